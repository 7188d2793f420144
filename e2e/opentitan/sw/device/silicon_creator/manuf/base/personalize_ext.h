// The stand-in's personalisation extension interface: the two hooks that a
// SKU's device extension implements (OpenTitan's, reduced to their shape).
#ifndef OPENTITAN_SW_DEVICE_SILICON_CREATOR_MANUF_BASE_PERSONALIZE_EXT_H_
#define OPENTITAN_SW_DEVICE_SILICON_CREATOR_MANUF_BASE_PERSONALIZE_EXT_H_

#include "sw/device/lib/base/status.h"

typedef struct personalize_extension_pre_endorse {
  void *uj;
} personalize_extension_pre_endorse_t;

typedef struct personalize_extension_post_endorse {
  void *uj;
} personalize_extension_post_endorse_t;

status_t personalize_extension_pre_cert_endorse(
    personalize_extension_pre_endorse_t *pre_params);

status_t personalize_extension_post_cert_endorse(
    personalize_extension_post_endorse_t *post_params);

#endif  // OPENTITAN_SW_DEVICE_SILICON_CREATOR_MANUF_BASE_PERSONALIZE_EXT_H_
