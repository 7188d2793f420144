// Package testtools holds what the tests of several packages share, as
// gazelle's testtools does: one small file per job.
//
//   - golden.go: golden files and the -update flag that rewrites them;
//   - kill.go: processes killed with SIGKILL in the middle of their work,
//     to check what a crashed run leaves behind;
//   - server.go: a loopback HTTP or HTTPS server that serves files and,
//     under path prefixes, fails as downloads fail;
//   - scriptcmds.go: the testscript commands that the e2e scenarios and
//     update_extras's scripts share (archive, hash, envsubst, serve).
//
// Its subpackage [archivetest] builds archives (the demo uses it too, so it
// is not test-only); [archive.Walk] is the one archive reader, shared by the
// tests and the tools.
//
// [archivetest]: github.com/ot-provisioning-exts/ot-provisioning-exts/internal/testtools/archivetest
// [archive.Walk]: github.com/ot-provisioning-exts/ot-provisioning-exts/internal/archive
package testtools
