// The stand-in's status type: the part of OpenTitan's API that the
// personalisation extensions use.
#ifndef OPENTITAN_SW_DEVICE_LIB_BASE_STATUS_H_
#define OPENTITAN_SW_DEVICE_LIB_BASE_STATUS_H_

typedef struct status {
  int value;
} status_t;

#define OK_STATUS() ((status_t){.value = 0})

#endif  // OPENTITAN_SW_DEVICE_LIB_BASE_STATUS_H_
