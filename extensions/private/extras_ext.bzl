"""Implementation of the `extras` module extension (see //extensions:extras.bzl).

The Go helper does the work: it parses extras.json and prints the plan of the
repositories to declare. This file only runs it and declares what it says.
"""

load("@bazel_tools//tools/build_defs/repo:http.bzl", "http_archive")
load(":helper.bzl", "HELPER", "run_helper")
load(":hub_repo.bzl", "extras_hub")
load(":local_spoke_repo.bzl", "local_spoke")
load(":skus_repo.bzl", "skus_repo")

_DEFAULT_FILE = Label("//skus:extras.json")

# The repository rules a plan may name.
_RULES = {
    "http_archive": http_archive,
    "local_spoke": local_spoke,
}

_LOCAL_ENV = "PROVISIONING_EXTS_LOCAL"

_HUB = "provisioning_exts_extra"
_SKUS = "provisioning_exts"

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
    configs = []
    for mod in mctx.modules:
        for tag in mod.tags.config:
            if not mod.is_root:
                fail("extras.config is for the root module only, but module %s uses it" % mod.name)
            configs.append(tag)
    if len(configs) > 1:
        fail("extras.config may be used once, but the root module uses it %d times" % len(configs))
    if configs:
        return configs[0].file or _DEFAULT_FILE, configs[0].allow_insecure_urls
    return _DEFAULT_FILE, False

def _extras_impl(mctx):
    file, allow_insecure = _root_config(mctx)
    path = mctx.path(file)

    # The helper reads the file, not Starlark, so watch it explicitly: edits
    # then re-run the extension in every --lockfile_mode, also in a checkout
    # connected with --override_module (e2e/testdata/override_module.txtar).
    mctx.watch(file)
    args = [
        "plan",
        "-file",
        str(path),
        "-display",
        str(file),
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
    extras_hub(name = _HUB, spokes = plan["spokes"], spec = json.encode(plan["hub"]))
    skus_repo(name = _SKUS)

    # Consumers see the hub and the skus tree, not the spokes.
    direct = [_HUB, _SKUS]
    dev = not mctx.root_module_has_non_dev_dependency
    return mctx.extension_metadata(
        # The result depends only on the watched file, the helper's sources
        # and the watched environment variable.
        reproducible = True,
        root_module_direct_deps = [] if dev else direct,
        root_module_direct_dev_deps = direct if dev else [],
    )

extras = module_extension(
    implementation = _extras_impl,
    tag_classes = {"config": _config},
    doc = "Declares the repositories that extras.json names and the hub @provisioning_exts_extra.",
)
