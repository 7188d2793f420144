"""Compiles the fetch-time Go helper (tools/extras_helper) from this module's sources.

It builds with the host-compatible Go SDK that rules_go provides, offline
(GOPROXY=off, GOTOOLCHAIN=local) and with the user's Go build cache, so a
machine compiles it once. It is its own repository, so an edit to
extras.json never recompiles it; an edit to a source in HELPER_SRCS does.
"""

load("@go_host_compatible_sdk_label//:defs.bzl", "HOST_COMPATIBLE_SDK")
load(":helper_srcs.bzl", "HELPER_SRCS")

# The helper imports only the standard library, so its go.mod needs no
# requirements; it is written here rather than copied so that the module's
# test-only dependencies never have to be downloaded at fetch time.
_GO_MOD = """module github.com/ot-provisioning-exts/ot-provisioning-exts

go 1.22
"""

def _extras_helper_repo_impl(rctx):
    go_root = rctx.path(HOST_COMPATIBLE_SDK).dirname
    go = go_root.get_child("bin").get_child("go")
    for src in HELPER_SRCS:
        # Copies, not links: go:embed refuses symlinks.
        rctx.file("src/%s/%s" % (src.package, src.name), rctx.read(src), executable = False)
    rctx.file("src/go.mod", _GO_MOD, executable = False)

    env = {
        "CGO_ENABLED": "0",
        "GOFLAGS": "-mod=mod",
        "GOPROXY": "off",
        "GOROOT": str(go_root),
        "GOTOOLCHAIN": "local",
        "GOWORK": "off",
    }

    # Go's own defaults put the build cache under the user's home, shared by
    # every workspace. Without a home, keep it in this repository.
    if not (rctx.getenv("GOCACHE") or rctx.getenv("XDG_CACHE_HOME") or rctx.getenv("HOME")):
        env["GOCACHE"] = str(rctx.path("gocache"))
    if not (rctx.getenv("GOPATH") or rctx.getenv("HOME")):
        env["GOPATH"] = str(rctx.path("gopath"))

    res = rctx.execute(
        [go, "build", "-trimpath", "-o", str(rctx.path("extras_helper")), "./tools/extras_helper"],
        environment = env,
        working_directory = "src",
    )
    if res.return_code != 0:
        fail("compiling the extras helper with %s failed:\n%s" % (go, res.stderr))
    rctx.delete("src")
    rctx.file("BUILD.bazel", 'exports_files(["extras_helper"])\n', executable = False)

    # The binary is a function of HELPER_SRCS and the Go SDK (-trimpath, no
    # cgo, no network), so on Bazel >= 8.3 the repo contents cache may hand
    # it to other workspaces instead of compiling it again.
    if hasattr(rctx, "repo_metadata"):
        return rctx.repo_metadata(reproducible = True)
    return None

extras_helper_repo = repository_rule(
    implementation = _extras_helper_repo_impl,
    doc = "Builds tools/extras_helper for the host at fetch time.",
)
