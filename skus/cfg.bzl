"""The SKUs this repository adds to OpenTitan, loaded as @provisioning_exts//:cfg.bzl.

OpenTitan loads this file on every build and merges the three dictionaries
into its own, so all three must exist, even when empty. Keys and values
follow OpenTitan's own EARLGREY_OTP_CFGS, EARLGREY_SKUS and
EXEC_ENV_SILICON_ROM_EXT (see sw/device/silicon_creator/manuf/base/ in
OpenTitan); labels may point into @provisioning_exts, @lowrisc_opentitan and
the archives of @provisioning_exts_extra.
"""

# OTP configuration name -> label of its OTP constants.
EXT_EARLGREY_OTP_CFGS = {}

# SKU name -> its configuration (otp, ca_data, dice_libs, host_ext_libs,
# device_ext_libs, rom_ext, ...).
EXT_EARLGREY_SKUS = {}

# Label of a silicon ROM_EXT execution environment -> None.
EXT_EXEC_ENV_SILICON_ROM_EXT = {}
