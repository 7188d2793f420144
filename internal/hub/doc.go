// Package hub turns a parsed extras.json into what Bazel needs: the plan of
// repositories the module extension declares (one http_archive per entry, or
// a local repository for an entry pointed at a local directory) and the
// files of the @provisioning_exts_extra hub repository.
//
// Like package extras, it imports only the standard library: the fetch-time
// helper (tools/extras_helper) that uses it is compiled with no network.
// The generated files come from the templates in templates/, so a reader
// sees their shape directly.
package hub
