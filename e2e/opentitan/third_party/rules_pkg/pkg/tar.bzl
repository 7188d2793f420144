"""STAND-IN for @rules_pkg//pkg:tar.bzl (see ../MODULE.bazel): pkg_tar as a genrule."""

def pkg_tar(name, srcs = [], extension = "tar", package_dir = "", **kwargs):
    """A tar archive of srcs, flat, under package_dir: <name>.<extension>.

    Args:
      name: the target name.
      srcs: the files to pack.
      extension: "tar", "tar.gz" or "tar.xz".
      package_dir: the directory the files sit in inside the archive.
      **kwargs: passed to the genrule (visibility, tags, ...).
    """
    flags = {"tar": "", "tar.gz": "z", "tar.xz": "J"}
    if extension not in flags:
        fail("%s: this stand-in packs tar, tar.gz or tar.xz, not %s" % (name, extension))
    native.genrule(
        name = name,
        srcs = srcs,
        outs = ["%s.%s" % (name, extension)],
        cmd = " && ".join([
            "d=$$(mktemp -d)",
            "mkdir -p $$d/%s" % (package_dir or "."),
            "cp $(SRCS) $$d/%s" % (package_dir or "."),
            "tar -C $$d -c%sf $@ --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner ." % flags[extension],
            "rm -rf $$d",
        ]),
        **kwargs
    )
