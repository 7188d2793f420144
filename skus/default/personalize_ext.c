// The default device-side personalisation extension of ot_provisioning_exts:
// both hooks succeed without touching the device.
#include "sw/device/silicon_creator/manuf/base/personalize_ext.h"

status_t personalize_extension_pre_cert_endorse(
    personalize_extension_pre_endorse_t *pre_params) {
  (void)pre_params;
  return OK_STATUS();
}

status_t personalize_extension_post_cert_endorse(
    personalize_extension_post_endorse_t *post_params) {
  (void)post_params;
  return OK_STATUS();
}
