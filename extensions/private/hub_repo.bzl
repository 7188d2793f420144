"""The hub repository @provisioning_exts_extra, written by the Go helper."""

load(":helper.bzl", "HELPER", "run_helper")

def _extras_hub_impl(rctx):
    rctx.file("hub_spec.json", rctx.attr.spec)
    args = ["hub", "-spec", "hub_spec.json", "-out", "."]
    for name, label in rctx.attr.spokes.items():
        args.append("-spoke=%s=%s" % (name, rctx.path(label).dirname))
    run_helper(rctx, rctx.path(HELPER), args)
    rctx.delete("hub_spec.json")

extras_hub = repository_rule(
    implementation = _extras_hub_impl,
    doc = "Links each entry's repository into one hub, with aliases and extras.bzl.",
    attrs = {
        "spec": attr.string(
            doc = "The hub spec from the helper's plan, as JSON.",
        ),
        "spokes": attr.string_keyed_label_dict(
            doc = "Entry name to a file at the root of its repository.",
        ),
    },
)
