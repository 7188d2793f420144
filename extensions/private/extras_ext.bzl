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
    doc = """Chooses the extras.json to read, and whether test URLs are accepted.

Only the root module may use this tag, and at most once. A dependency that
uses it, or a root module that uses it twice, fails the extension with a
message that says so, and Bazel names each offending tag's place
(`'config' tag at <MODULE.bazel>:<line>:<column>`). Without it, the extension
reads this module's `skus/extras.json` and accepts only `https://` URLs.

For example, in a test module:

```starlark
provisioning_exts_extra.config(
    file = "//:extras.json",
    allow_insecure_urls = True,
)
```
""",
    attrs = {
        "allow_insecure_urls": attr.bool(
            doc = "Also accept `file://` URLs, and `http://` URLs whose host is a loopback address " +
                  "(`127.0.0.0/8`, `localhost`, `[::1]`). For tests only: the archives are still pinned by their hash. " +
                  "Without it, any other URL than `https://` is refused with a message naming the entry and the URL.",
        ),
        "file": attr.label(
            doc = "The extras.json to read, a `.json` file. " +
                  "When unset, the extension reads `skus/extras.json` beside this module's MODULE.bazel (in a checkout " +
                  "connected with `--override_module`, that checkout's), and names it " +
                  "`@ot_provisioning_exts//skus:extras.json` in messages.",
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
    doc = """Declares one repository per entry of extras.json, and the hub `@provisioning_exts_extra`.

| repository | what |
| --- | --- |
| one per entry (`presign_perso`, `perso_release`, ...) | an `http_archive` pinned by the entry's hash (`sha256` if the entry has it, else `integrity`), with its `urls`, `strip_prefix` and `type`; or, with `PROVISIONING_EXTS_LOCAL`, a local directory. Reach it through the hub. Its canonical name is `ot_provisioning_exts~~extra~<name>` on Bazel 7 and `ot_provisioning_exts++extra+<name>` on Bazel 8 (and on 7 with `--incompatible_use_plus_in_repo_names`). |
| `provisioning_exts_extra_index` | internal: the hub's `extras.bzl`, in a repository of its own so that re-pointing an entry rewrites this one file and leaves the hub as it is |
| `provisioning_exts_extra` | the hub: `//<name>/...` links entry `<name>`'s repository, `//:<name>` aliases its default target, `//:extras.bzl` defines `EXTRAS` |

Mistakes in extras.json fail the extension with messages of the form
`<file>:<line>:<column>: entry "<name>": <cause>`, where `<file>` is the
file's path in a local checkout, or its label.

The extension returns `extension_metadata(reproducible = True)`, with the hub
as the root module's only direct dependency (a direct dev dependency in a root
module that uses the extension as a dev dependency).

**Local override** (`--repo_env`): `PROVISIONING_EXTS_LOCAL=<name>=<dir>[,<name>=<dir>...]`
takes entry `<name>` from the local directory `<dir>` (absolute, or relative
to the root module's directory) instead of its archive, for example freshly
signed binaries that are not published yet:

```sh
bazel build --repo_env=PROVISIONING_EXTS_LOCAL=perso_release=/path/to/signed @provisioning_exts_extra//...
```

Edits in the directory show up on the next build. A directory without a
`BUILD.bazel` gets the same BUILD file as an archive without one (a `BUILD`
file is linked as `BUILD.bazel`). Unknown names and missing directories are
errors. Drop the variable, or set it empty, to go back to the archive: the
extension reads it with `module_ctx.getenv`, so a change re-runs it.
""",
)
