"""The dummy's SKU configuration: none."""

EXT_EARLGREY_OTP_CFGS = {}

EXT_EARLGREY_SKUS = {}

EXT_EXEC_ENV_SILICON_ROM_EXT = {}
