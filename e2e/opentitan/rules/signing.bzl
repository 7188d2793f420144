"""The stand-in's offline-signing macros, named after OpenTitan's rules/signing.bzl.

They keep the shape of the real flow (one digest per image out, signatures
in) with genrules that any machine can build.
"""

def _digest_name(src):
    """Upstream's paths.replace_extension(src.basename, ".digest"), from a label string."""
    base = src.rpartition(":")[2] if ":" in src else src.rpartition("/")[2]
    base = base.rpartition("/")[2]
    dot = base.rfind(".")
    if dot > 0:
        base = base[:dot]
    return base + ".digest"

def offline_presigning_artifacts(name, srcs, manifest = None, ecdsa_key = None, rsa_key = None, spx_key = None, **kwargs):
    """The digests to sign in the offline ceremony: one `<image>.digest` per image.

    As upstream, an image `perso.bin` gives `perso.digest` (its base name
    with the extension replaced by `.digest`), and the target's files are
    the digests. Each digest is one line, the image's SHA-256 in hex and its
    name, as `sha256sum` prints them.

    Each src must name a file by its file name (`:perso.bin`,
    `@repo//pkg:perso.bin`), not a rule, because the digest's name comes
    from the label. One genrule per image makes it, `<name>_<digest>`; the
    target `name` is a filegroup of the digests.

    Args:
      name: the target name.
      srcs: the images to sign.
      manifest: upstream's manifest; accepted and ignored.
      ecdsa_key: upstream's key; accepted and ignored.
      rsa_key: upstream's key; accepted and ignored.
      spx_key: upstream's key; accepted and ignored.
      **kwargs: passed to every target (visibility, tags, ...).
    """
    if manifest or ecdsa_key or rsa_key or spx_key:
        pass  # Upstream signs with these; the stand-in only hashes.
    outs = []
    for src in srcs:
        out = _digest_name(src)
        if out in outs:
            fail("%s: two images give the digest %s" % (name, out))
        outs.append(out)
        native.genrule(
            name = "%s_%s" % (name, out),
            srcs = [src],
            outs = [out],
            cmd = "echo \"$$(sha256sum < $< | cut -d' ' -f1)  $$(basename $<)\" > $@",
            **kwargs
        )
    native.filegroup(
        name = name,
        srcs = outs,
        **kwargs
    )

def offline_signature_attach(name, srcs, ecdsa_signatures = [], spx_signatures = [], rsa_signatures = [], **kwargs):
    """Signed images: `<name>.signed`, the images, then their ECDSA, then their SPHINCS+ signatures.

    As upstream, the signatures may be any labels, such as filegroups of the
    `.ecdsa_sig` and `.spx_sig` files that the signing ceremony produced.

    Args:
      name: the target name.
      srcs: the images.
      ecdsa_signatures: the `.ecdsa_sig` files (labels of files or filegroups).
      spx_signatures: the `.spx_sig` files (labels of files or filegroups).
      rsa_signatures: upstream's RSA signatures, attached after the others.
      **kwargs: passed to the genrule (visibility, tags, ...).
    """
    native.genrule(
        name = name,
        srcs = srcs + ecdsa_signatures + spx_signatures + rsa_signatures,
        outs = [name + ".signed"],
        cmd = "cat $(SRCS) > $@",
        **kwargs
    )
