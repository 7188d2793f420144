// Package lint holds the repository's lint checks, run as tests so that the
// one test command in README.md covers them: buildifier (from
// github.com/bazelbuild/buildtools, run with `go tool buildifier`) over every
// BUILD, .bzl and MODULE.bazel file, `go vet` over every package, and
// actionlint (github.com/rhysd/actionlint) over .github/workflows.
package lint
