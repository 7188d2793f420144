"""The fetch-time Go helper (tools/extras_helper), for the host, without rules_go.

The repository @ot_provisioning_exts_helper holds `extras_helper`, taken in
this order:

1. The pinned prebuilt of extensions/private/helper.lock.json for the host
   platform, downloaded with Bazel's own downloader (so the repository cache,
   --distdir, `bazel vendor` and --experimental_downloader_config apply), but
   only if the SHA-256 of the helper's sources (HELPER_SRCS, read from the
   files Bazel watches) equals the lock's `sources_sha256`: a checkout whose
   helper sources differ never runs it. Bazel's downloader computes that
   SHA-256 (see _sources_match), not Starlark.
2. Otherwise compiled from those sources (`go build -trimpath`, no cgo, no
   network, the build and module caches inside this repository), with
   a. the Go whose GOROOT `--repo_env=PROVISIONING_EXTS_GO=<GOROOT>` names,
      the only environment variable this rule reads; else
   b. the official Go distribution the lock pins for the host platform,
      downloaded with Bazel's downloader and verified against its sha256.
3. With neither, one error names the platform and every remedy.

The file HOW in the repository says which way ran (one line: "prebuilt <url>",
"compiled with PROVISIONING_EXTS_GO <goroot>" or "compiled with go <version>
from <url>").
"""

load(":helper_srcs.bzl", "HELPER_SRCS")
load(":sha256.bzl", "sha256_hex")

LOCK = Label("//extensions/private:helper.lock.json")

# The only setting this rule reads from the environment (--repo_env).
GO_ENV = "PROVISIONING_EXTS_GO"

# The helper imports only the standard library, so its go.mod needs no
# requirements; it is written here rather than copied so that the module's
# test-only dependencies never have to be downloaded at fetch time.
_GO_MOD = """module github.com/ot-provisioning-exts/ot-provisioning-exts

go 1.22
"""

def host_platform(os_name, arch):
    """Returns the lock's name of a platform, such as "linux_amd64".

    Args:
      os_name: repository_ctx.os.name.
      arch: repository_ctx.os.arch.

    Returns:
      "<goos>_<goarch>", or the raw names joined by "_" for a platform Go
      has no name for here.
    """
    os_name = os_name.lower()
    goos = os_name
    if os_name.startswith("linux"):
        goos = "linux"
    elif os_name.startswith("mac") or os_name.startswith("darwin"):
        goos = "darwin"
    elif os_name.startswith("windows"):
        goos = "windows"
    goarch = {
        "aarch64": "arm64",
        "amd64": "amd64",
        "arm64": "arm64",
        "x86_64": "amd64",
    }.get(arch, arch)
    return goos + "_" + goarch

def _src_path(label):
    return label.name if not label.package else label.package + "/" + label.name

def sources_stream(files):
    """What internal/helperlock.SourcesDigest hashes: the helper's sources as one string.

    Args:
      files: a dict from slash-separated path (from the module root) to
        content (one character per byte).

    Returns:
      For each file in path order, the path, "\\n", the content's length in
      bytes in decimal, "\\n" and the content.
    """
    return "".join([
        "%s\n%d\n%s" % (path, len(files[path]), files[path])
        for path in sorted(files.keys())
    ])

def _sources_match(rctx, files, want):
    """Whether the SHA-256 of sources_stream(files) is want, as Bazel's downloader computes it.

    Starlark has no hash function, and sha256_hex, written in Starlark,
    costs about 0.3 s of every cold fetch. So the stream is first written to
    a file and "downloaded" from it with sha256 = want: Bazel hashes it
    natively. Its repository cache would answer a known sha256 without
    reading the file, so the download's canonical_id is the stream itself:
    the cache answers only for the very same sources, whose SHA-256 it has
    checked before. A download can also fail for other reasons (a
    --experimental_downloader_config that blocks file:// URLs), so a
    failure is confirmed with sha256_hex before the sources count as
    changed.

    Args:
      rctx: the repository_ctx.
      files: as for sources_stream.
      want: the lock's sources_sha256.

    Returns:
      True if the digests are equal.
    """
    stream = sources_stream(files)
    rctx.file("sources.stream", stream, executable = False, legacy_utf8 = False)
    res = rctx.download(
        url = "file://" + str(rctx.path("sources.stream")),
        output = "sources.checked",
        sha256 = want,
        canonical_id = stream,
        allow_fail = True,
    )
    rctx.delete("sources.stream")
    rctx.delete("sources.checked")
    return res.success or sha256_hex(stream) == want

def _compile(rctx, goroot, platform, files):
    for path, content in files.items():
        # Copies, not links: go:embed refuses symlinks. Byte for byte:
        # content has one character per byte, which legacy_utf8 would
        # encode again (a "…" in a Go string would become "â€¦").
        rctx.file("src/" + path, content, executable = False, legacy_utf8 = False)
    rctx.file("src/go.mod", _GO_MOD, executable = False)
    go = rctx.path(goroot).get_child("bin").get_child("go")
    goos, _, goarch = platform.partition("_")

    # Every setting that changes what `go build` makes is fixed here, so that
    # none comes from the user's environment (which is no input of this
    # repository); "" is Go's default.
    env = {
        "CGO_ENABLED": "0",
        "GOAMD64": "",
        "GOARCH": goarch,
        "GOARM64": "",
        "GOCACHE": str(rctx.path("gocache")),
        "GODEBUG": "",
        "GOENV": "off",
        "GOEXPERIMENT": "",
        "GOFIPS140": "",
        "GOFLAGS": "-mod=mod",
        "GOOS": goos,
        "GOPATH": str(rctx.path("gopath")),
        "GOPROXY": "off",
        "GOROOT": str(rctx.path(goroot)),
        "GOTOOLCHAIN": "local",
        "GOWORK": "off",
    }
    res = rctx.execute(
        [go, "build", "-trimpath", "-buildvcs=false", "-ldflags=-buildid=", "-o", str(rctx.path("extras_helper")), "./tools/extras_helper"],
        environment = env,
        working_directory = "src",
    )
    if res.return_code != 0:
        fail("ot_provisioning_exts: compiling the extras helper with %s failed:\n%s" % (go, res.stderr))
    rctx.delete("src")
    rctx.delete("gocache")
    rctx.delete("gopath")

def _pinned_go(rctx, lock, platform):
    """Downloads and unpacks the lock's Go for platform; returns (GOROOT, url) or (None, why)."""
    entry = lock.get("go", {}).get(platform)
    if not entry:
        return None, "the lock pins no Go distribution for %s" % platform
    res = rctx.download(
        url = entry["url"],
        output = "go_sdk.zip",
        sha256 = entry["sha256"],
        allow_fail = True,
    )
    if not res.success:
        return None, "downloading the pinned Go %s from %s failed" % (lock.get("go_version", "?"), entry["url"])
    rctx.extract("go_sdk.zip", output = "go_sdk", stripPrefix = entry.get("strip_prefix", ""))
    rctx.delete("go_sdk.zip")

    # Zip entries carry no Unix modes: make the go command and the tools
    # executable, as cmd/go does for the toolchains it downloads.
    goos, _, goarch = platform.partition("_")
    res = rctx.execute(["chmod", "-R", "a+x", "go_sdk/bin", "go_sdk/pkg/tool/%s_%s" % (goos, goarch)])
    if res.return_code != 0:
        fail("ot_provisioning_exts: making the pinned Go executable failed:\n%s" % res.stderr)
    return "go_sdk", entry["url"]

def _extras_helper_repo_impl(rctx):
    lock = json.decode(rctx.read(LOCK))
    platform = host_platform(rctx.os.name, rctx.os.arch)

    # rctx.read of a Label watches the file: an edit to a source refetches.
    files = {}
    for src in HELPER_SRCS:
        files[_src_path(src)] = rctx.read(src)
    rctx.file("BUILD.bazel", 'exports_files(["extras_helper"])\n', executable = False)

    # 1. The prebuilt, only for the very sources it was built from.
    prebuilt = lock.get("helper", {}).get(platform)
    if not prebuilt:
        no_prebuilt = "the lock lists no prebuilt helper for %s" % platform
    elif not _sources_match(rctx, files, lock.get("sources_sha256", "")):
        no_prebuilt = "the helper's sources differ from those the lock's prebuilt was built from (sources_sha256 %s)" % lock.get("sources_sha256")
    else:
        res = rctx.download(url = prebuilt["url"], output = "extras_helper", sha256 = prebuilt["sha256"], executable = True, allow_fail = True)
        if res.success:
            rctx.file("HOW", "prebuilt %s\n" % prebuilt["url"], executable = False)
            return _reproducible(rctx)
        no_prebuilt = "downloading the prebuilt helper from %s failed" % prebuilt["url"]

    # 2a. A Go the user names.
    goroot = rctx.getenv(GO_ENV)
    if goroot:
        if not rctx.path(goroot).get_child("bin").get_child("go").exists:
            fail("ot_provisioning_exts: %s=%s is not a Go installation: %s/bin/go does not exist. Set it to the GOROOT of a Go >= 1.22 (`go env GOROOT`)." % (GO_ENV, goroot, goroot))
        _compile(rctx, goroot, platform, files)
        rctx.file("HOW", "compiled with %s %s\n" % (GO_ENV, goroot), executable = False)
        return _reproducible(rctx)

    # 2b. The pinned Go distribution.
    sdk, url_or_why = _pinned_go(rctx, lock, platform)
    if sdk:
        _compile(rctx, sdk, platform, files)
        rctx.delete(sdk)
        rctx.file("HOW", "compiled with go %s from %s\n" % (lock.get("go_version", "?"), url_or_why), executable = False)
        return _reproducible(rctx)

    # 3. Nothing left.
    urls = [e["url"] for e in [prebuilt, lock.get("go", {}).get(platform)] if e]
    fail("""ot_provisioning_exts: no extras helper for the host platform {platform}:
  - no prebuilt: {no_prebuilt};
  - no Go to compile it: --repo_env={env} is not set, and {no_go}.
Remedies, any one:
  - let Bazel download {urls}: online, or through --repository_cache, --distdir or a `bazel vendor` directory that holds it, or from a mirror named in --experimental_downloader_config;
  - name a local Go: --repo_env={env}=<GOROOT of a Go >= 1.22>;
  - use a checkout whose helper sources match a published prebuilt for {platform} (extensions/private/helper.lock.json).""".format(
        platform = platform,
        no_prebuilt = no_prebuilt,
        env = GO_ENV,
        no_go = url_or_why,
        urls = " and ".join(urls) if urls else "nothing: the lock names no download for this platform",
    ))

def _reproducible(rctx):
    # The result is a function of the lock, the watched sources and
    # PROVISIONING_EXTS_GO, so on Bazel >= 8.3 the repo contents cache may
    # hand it to other workspaces instead of fetching or compiling it again.
    if hasattr(rctx, "repo_metadata"):
        return rctx.repo_metadata(reproducible = True)
    return None

extras_helper_repo = repository_rule(
    implementation = _extras_helper_repo_impl,
    doc = "The fetch-time helper tools/extras_helper for the host: the lock's prebuilt, or compiled from the sources.",
)
