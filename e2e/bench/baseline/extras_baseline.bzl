"""A plain-Starlark twin of the extras extension, for benchmarks only.

Same inputs (an extras.json), same repositories (one http_archive per entry
with the same patch commands, and a hub of symlinks with aliases). It skips
the checks the Go helper makes, so it is a lower bound on the work.
"""

load("@bazel_tools//tools/build_defs/repo:http.bzl", "http_archive")

_DEFAULT_BUILD = """package(default_visibility = ["//visibility:public"])

_FILES = glob(["**"], allow_empty = True, exclude = ["BUILD.bazel", "REPO.bazel", "WORKSPACE", "WORKSPACE.bazel"])

exports_files(_FILES)

filegroup(name = "{name}", srcs = _FILES)
"""

def _patch_cmds(name):
    return [
        "find . -type f -exec touch -c {} +",
        "[ -e BUILD.bazel ] || { [ -e BUILD ] && ln -s BUILD BUILD.bazel; } || cat >BUILD.bazel <<'EOF'\n" +
        _DEFAULT_BUILD.format(name = name) + "EOF",
    ]

def _hub_impl(rctx):
    lines = ['package(default_visibility = ["//visibility:public"])', ""]
    for name, label in rctx.attr.spokes.items():
        rctx.symlink(rctx.path(label).dirname, name)
        lines.append('alias(name = "%s", actual = "//%s:%s")' % (name, name, name))
    rctx.file("BUILD.bazel", "\n".join(lines) + "\n")
    rctx.file("extras.bzl", "EXTRAS = %s\n" % rctx.attr.entries)

_hub = repository_rule(
    implementation = _hub_impl,
    attrs = {
        "entries": attr.string(),
        "spokes": attr.string_keyed_label_dict(),
    },
)

_config = tag_class(attrs = {"file": attr.label(mandatory = True)})

def _baseline_impl(mctx):
    file = mctx.modules[0].tags.config[0].file
    data = json.decode(mctx.read(file))
    spokes = {}
    for name, e in data.items():
        if name.startswith("$"):
            continue
        attrs = {"patch_cmds": _patch_cmds(name), "urls": e.get("urls") or [e["url"]]}
        if "sha256" in e:
            attrs["sha256"] = e["sha256"]
        else:
            attrs["integrity"] = e["integrity"]
        if "strip_prefix" in e:
            attrs["strip_prefix"] = e["strip_prefix"]
        if "type" in e:
            attrs["type"] = e["type"]
        http_archive(name = name, **attrs)
        spokes[name] = "@%s//:BUILD.bazel" % name
    _hub(name = "provisioning_exts_extra", spokes = spokes, entries = json.encode(data))
    return mctx.extension_metadata(reproducible = True)

extras = module_extension(
    implementation = _baseline_impl,
    tag_classes = {"config": _config},
)
