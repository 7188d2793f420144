"""The targets of one releasable artifact (perso, rom_ext), as ot-sku's skus/open/<a> packages have them.

Built in OpenTitan (here the stand-in) as @provisioning_exts//open/<a>: a
release builds :presign_<a> (presign), then runs :signature_test and builds
:<a>_release (postsign), the labels of release/artifacts.json.
"""

load("@lowrisc_opentitan//rules:signing.bzl", "offline_presigning_artifacts", "offline_signature_attach")
load("@rules_pkg//pkg:tar.bzl", "pkg_tar")

def _archive_build(name, out, what, filegroups):
    """A genrule writing the BUILD.bazel of an archive: exports and filegroups.

    Args:
      name: the target name.
      out: the output, <dir>/BUILD.bazel.
      what: a comment line for the file.
      filegroups: name -> srcs expression (a Starlark string).
    """
    groups = "".join([
        "\nfilegroup(\n    name = \"%s\",\n    srcs = %s,\n)\n" % (group, srcs)
        for group, srcs in filegroups.items()
    ])
    native.genrule(
        name = name,
        outs = [out],
        cmd = "cat > $@ <<'BUILD_EOF'\n# %s\npackage(default_visibility = [\"//visibility:public\"])\n\nexports_files(glob([\"*\"], exclude = [\"BUILD.bazel\"]))\n%sBUILD_EOF" % (what, groups),
    )

# A package-wide set of targets named as upstream names them, not one target.
# buildifier: disable=unnamed-macro
def release_artifact(artifact, images):
    """The images of an artifact, its pre-signing archive, signature test and release archive.

    Args:
      artifact: the artifact's name, such as "perso".
      images: the images to sign, file name -> content (one line).
    """
    hub_presign = "@provisioning_exts_extra//presign_%s" % artifact
    signatures = "//open/signatures/%s" % artifact

    # The images to sign (in ot-sku: OpenTitan's firmware).
    native.genrule(
        name = "images",
        outs = images.keys(),
        cmd = "; ".join(["echo '%s' > $(execpath %s)" % (content, image) for image, content in images.items()]),
    )

    # One <image>.digest per image, for the offline signing ceremony.
    offline_presigning_artifacts(
        name = "presigning",
        srcs = [":" + image for image in images],
    )

    # The build's label (bazel build --stamp --embed_label=LABEL), or
    # "unstamped" without --stamp.
    native.genrule(
        name = "stamp",
        outs = ["stamp.txt"],
        cmd = select({
            "//open:stamping": "grep '^BUILD_EMBED_LABEL' bazel-out/stable-status.txt > $@ || echo BUILD_EMBED_LABEL > $@",
            "//conditions:default": "echo unstamped > $@",
        }),
        stamp = -1,
    )

    # The pre-signing archive, published as presign_<a>.tar.xz and used as
    # @provisioning_exts_extra//presign_<a>: everything at its root, with a
    # BUILD file.
    _archive_build(
        name = "presign_build",
        out = "presign_archive/BUILD.bazel",
        what = "The pre-signing archive of %s: %s." % (artifact, hub_presign),
        filegroups = {
            "digests": "glob([\"*.digest\"])",
            "images": repr(sorted(images.keys())),
            "presign_" + artifact: "[\"stamp.txt\", \":digests\", \":images\"]",
        },
    )
    pkg_tar(
        name = "presign_" + artifact,
        srcs = [
            ":images",
            ":presign_archive/BUILD.bazel",
            ":presigning",
            ":stamp",
        ],
        extension = "tar.xz",
    )

    # The published images, with the ceremony's signatures.
    offline_signature_attach(
        name = "signed",
        srcs = [hub_presign + ":images"],
        ecdsa_signatures = [signatures + ":ecdsa_signatures"],
        spx_signatures = [signatures + ":spx_signatures"],
    )

    # Every digest of the published archive has its signatures, and no
    # signature is stray. The stand-in has no rules_shell; Bazel 7 and 8
    # still have sh_test built in.
    # buildifier: disable=native-sh-test
    native.sh_test(
        name = "signature_test",
        srcs = ["//open:signature_test.sh"],
        args = [
            "--digests",
            "$(rlocationpaths %s:digests)" % hub_presign,
            "--signatures",
            "$(rlocationpaths %s:signatures)" % signatures,
        ],
        data = [
            signatures + ":signatures",
            hub_presign + ":digests",
        ],
    )

    # The release archive, published as <a>_release.tar.xz and used as
    # @provisioning_exts_extra//<a>_release.
    _archive_build(
        name = "release_build",
        out = "release_archive/BUILD.bazel",
        what = "The release archive of %s: @provisioning_exts_extra//%s_release." % (artifact, artifact),
        filegroups = {artifact + "_release": "[\"signed.signed\"]"},
    )
    pkg_tar(
        name = artifact + "_release",
        srcs = [
            ":release_archive/BUILD.bazel",
            ":signed",
            ":stamp",
        ],
        extension = "tar.xz",
    )

# buildifier: disable=unnamed-macro
def signature_files():
    """The signature files of the ceremony in a signatures package, as filegroups."""
    native.exports_files(native.glob(["*_sig"], allow_empty = True))
    native.filegroup(
        name = "ecdsa_signatures",
        srcs = native.glob(["*.ecdsa_sig"], allow_empty = True),
    )
    native.filegroup(
        name = "spx_signatures",
        srcs = native.glob(["*.spx_sig"], allow_empty = True),
    )

    # Every signature file, for the signature test (which finds stray ones),
    # and the BUILD file, so that it is never empty.
    native.filegroup(
        name = "signatures",
        srcs = ["BUILD.bazel"] + native.glob(["*_sig"], allow_empty = True),
    )
