# Copyright lowRISC contributors (OpenTitan project).
# Licensed under the Apache License, Version 2.0, see LICENSE for details.
# SPDX-License-Identifier: Apache-2.0

load("@bazel_tools//tools/build_defs/repo:http.bzl", "http_archive")

def _hub_repo_impl(rctx):
    for folder_name, spoke_file in rctx.attr.repo_mapping.items():
        # Get the absolute path to the spoke repository's root
        # using the label of a file in the root of the spoke repository.
        spoke_path = rctx.path(spoke_file).dirname

        # Symlink the entire spoke repo to a top-level folder in the hub
        rctx.symlink(spoke_path, folder_name)

    # Create a root BUILD file so Bazel recognizes these as packages
    rctx.file("BUILD.bazel", "# Hub Root")

hub_repo = repository_rule(
    implementation = _hub_repo_impl,
    attrs = {"repo_mapping": attr.string_keyed_label_dict(
        doc = "Map hub symlink names to spoke repositories.  The spoke repo should be the label of a file in the root of the spoke repo (e.g. BUILD.bazel)",
    )},
)

# Important note: this dictionary is read and modified by the release script (script/release.py).
# Therefore, it needs to remain a constant dictionary which can be parsed by the python ast module.
_ARCHIVES = {
    "presign_perso": {
        "url": "https://github.com/lowRISC/ot-sku/releases/download/PERSO_BUILD_20260513_rc00/presign_perso.tar.xz",
        "sha256": "2d93e320477766d6eaaa8ac2651bf33b7b5682b8e551786bd7d91678a7bc8284",
    },
    "presign_rom_ext": {
        "url": "https://github.com/lowRISC/ot-sku/releases/download/PERSO_BUILD_20260513_rc00/presign_rom_ext.tar.xz",
        "sha256": "23509138b83a8f88c2a24ea807558805932b40632823f9509164177ceb2da2ff",
    },
    "perso_release": {
        "urls": [
            "https://github.com/lowRISC/ot-sku/releases/download/PERSO_RELEASE_20260513_rc00/perso_release.tar.xz",
            "https://mirror.example.com/ot-sku/PERSO_RELEASE_20260513_rc00/perso_release.tar.xz",
        ],
        "sha256": "ceb5ea1e13093950d35a0f2336a69c9a6ce0fc2ca9d5dece477afa5f36935c24",
        "strip_prefix": "perso_release",
    },
    "rom_ext_release": {
        "url": "https://github.com/lowRISC/ot-sku/releases/download/PERSO_RELEASE_20260513_rc00/rom_ext_release.tar.xz",
        "sha256": "d3a2c20af21bdf17f383c6339cb9b64867c60bede7555c25d34a471d73ab51bf",
    },
}

def _extra_impl(mctx):
    for (name, info) in _ARCHIVES.items():
        http_archive(
            name = name,
            **info
        )
    hub_repo(
        name = "provisioning_exts_extra",
        repo_mapping = {
            name: "@{}//:BUILD.bazel".format(name)
            for name in _ARCHIVES
        },
    )

extra = module_extension(
    implementation = _extra_impl,
)
