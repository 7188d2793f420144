"""The SKUs the stand-in provisions: its own, plus those of @provisioning_exts.

OpenTitan loads @provisioning_exts//:cfg.bzl like this on every build, so the
file and its three dictionaries must always exist.
"""

load(
    "@provisioning_exts//:cfg.bzl",
    "EXT_EARLGREY_OTP_CFGS",
    "EXT_EARLGREY_SKUS",
    "EXT_EXEC_ENV_SILICON_ROM_EXT",
)

EARLGREY_OTP_CFGS = {
    "em00": "//sw/device/silicon_creator/manuf/base:em00",
} | EXT_EARLGREY_OTP_CFGS

EARLGREY_SKUS = {
    "emulation": {
        "device_ext_libs": ["@provisioning_exts//:default_perso_fw_ext"],
        "host_ext_libs": ["@provisioning_exts//:default_ft_ext_lib"],
        "otp": "em00",
    },
} | EXT_EARLGREY_SKUS

EXEC_ENV_SILICON_ROM_EXT = {
    "//sw/device/silicon_creator/manuf/base:silicon_rom_ext": None,
} | EXT_EXEC_ENV_SILICON_ROM_EXT
