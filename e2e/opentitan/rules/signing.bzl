"""The stand-in's offline-signing macros, named after OpenTitan's rules/signing.bzl.

They keep the shape of the real flow (digests out, signatures in) with
genrules that any machine can build.
"""

def offline_presigning_artifacts(name, srcs, **kwargs):
    """The digests to sign in the offline ceremony: `<name>.digests`, one line per image.

    Args:
      name: the target name.
      srcs: the images to sign.
      **kwargs: passed to the genrule (visibility, tags, ...).
    """
    native.genrule(
        name = name,
        srcs = srcs,
        outs = [name + ".digests"],
        cmd = "for f in $(SRCS); do echo \"$$(sha256sum < $$f | cut -d' ' -f1)  $$(basename $$f)\"; done > $@",
        **kwargs
    )

def offline_signature_attach(name, srcs, ecdsa_signatures, spx_signatures, **kwargs):
    """Signed images: `<name>.signed`, the images, then their ECDSA, then their SPHINCS+ signatures.

    Args:
      name: the target name.
      srcs: the images.
      ecdsa_signatures: one `.ecdsa_sig` file per image.
      spx_signatures: one `.spx_sig` file per image.
      **kwargs: passed to the genrule (visibility, tags, ...).
    """
    if len(ecdsa_signatures) != len(srcs) or len(spx_signatures) != len(srcs):
        fail("%s: every image needs one .ecdsa_sig and one .spx_sig" % name)
    native.genrule(
        name = name,
        srcs = srcs + ecdsa_signatures + spx_signatures,
        outs = [name + ".signed"],
        cmd = "cat $(SRCS) > $@",
        **kwargs
    )
