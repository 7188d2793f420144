"""Implementation of the module extension `extra` (see //:extension.bzl).

The Go helper does the work: it parses extras.json and prints the plan of the
repositories to declare. This file only runs it and declares what it says.
"""

load("@bazel_tools//tools/build_defs/repo:http.bzl", "http_archive")
load(":helper.bzl", "HELPER", "run_helper")
load(":hub_repo.bzl", "extras_hub")
load(":index_repo.bzl", "extras_index")
load(":local_spoke_repo.bzl", "local_spoke")

# skus/ is .bazelignore'd (it is @provisioning_exts, whose labels only a
# consumer can resolve), so the default file has no label of its own: find it
# beside this module's MODULE.bazel, and name it as users know it.
_MODULE_FILE = Label("//:MODULE.bazel")
_DEFAULT_DISPLAY = "@ot_provisioning_exts//skus:extras.json"

# The repository rules a plan may name.
_RULES = {
    "http_archive": http_archive,
    "local_spoke": local_spoke,
}

_LOCAL_ENV = "PROVISIONING_EXTS_LOCAL"

_HUB = "provisioning_exts_extra"
_INDEX = "provisioning_exts_extra_index"

_config = tag_class(
    doc = "Settings of the root module. Only the root module may use this tag, at most once.",
    attrs = {
        "allow_insecure_urls": attr.bool(
            doc = "Also accept `file://` URLs and `http://` URLs on loopback. For tests only: " +
                  "archives are still pinned by their hash, but never fetched over plain HTTP from elsewhere.",
        ),
        "file": attr.label(
            doc = "The extras.json to read instead of `@ot_provisioning_exts//skus:extras.json`.",
            allow_single_file = [".json"],
        ),
    },
)

def _root_config(mctx):
    """Returns (path, display name, allow_insecure_urls) from the root module's config tag."""
    configs = []
    for mod in mctx.modules:
        for tag in mod.tags.config:
            # A tag passed to fail() prints as "'config' tag at <file>:<line>:<column>".
            if not mod.is_root:
                fail("extra.config is for the root module only, but module %s uses it:" % mod.name, tag)
            configs.append(tag)
    if len(configs) > 1:
        fail("extra.config may be used once, but the root module uses it %d times:" % len(configs), sep = "\n  ", *configs)
    allow_insecure = configs[0].allow_insecure_urls if configs else False
    if configs and configs[0].file:
        return mctx.path(configs[0].file), str(configs[0].file), allow_insecure
    default = mctx.path(_MODULE_FILE).dirname.get_child("skus").get_child("extras.json")
    return default, _DEFAULT_DISPLAY, allow_insecure

def _extras_impl(mctx):
    path, display, allow_insecure = _root_config(mctx)

    # The helper reads the file, not Starlark, so watch it explicitly: edits
    # then re-run the extension in every --lockfile_mode, also in a checkout
    # connected with --override_module (e2e/testdata/override_module.txtar).
    mctx.watch(path)
    args = [
        "plan",
        "-file",
        str(path),
        "-display",
        display,
        "-workspace",
        str(mctx.path(Label("@@//:MODULE.bazel")).dirname),
        "-local",
        mctx.getenv(_LOCAL_ENV, ""),
    ]
    if allow_insecure:
        args.append("-allow-insecure-urls")
    plan = json.decode(run_helper(mctx, mctx.path(HELPER), args))

    for repo in plan["repos"]:
        _RULES[repo["rule"]](name = repo["name"], **repo["attrs"])
    extras_index(name = _INDEX, extras_bzl = plan["extras_bzl"])
    extras_hub(
        name = _HUB,
        index = "@%s//:BUILD.bazel" % _INDEX,
        spec = json.encode(plan["hub"]),
        spokes = plan["spokes"],
    )

    # Consumers see the hub, never the spokes: OpenTitan's use_repo names the
    # hub alone, and anything more here would make Bazel warn on every build.
    direct = [_HUB]
    dev = not mctx.root_module_has_non_dev_dependency
    return mctx.extension_metadata(
        # The result depends only on the watched file, the helper's sources
        # and the watched environment variable.
        reproducible = True,
        root_module_direct_deps = [] if dev else direct,
        root_module_direct_dev_deps = direct if dev else [],
    )

extra = module_extension(
    implementation = _extras_impl,
    tag_classes = {"config": _config},
    doc = "Declares the repositories that extras.json names and the hub @provisioning_exts_extra.",
)
