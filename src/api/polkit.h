/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "bus-api.h"

/* Authorises a mutating call, the way systemd's daemons do: root at once; anyone else by
 * polkit's CheckAuthorization for ACCELNET_POLKIT_ACTION_MANAGE, asked asynchronously. The
 * method handler calls this after validating its arguments and returns 1 when this returns
 * 0: when polkit answers, the same message is dispatched again and the handler runs again,
 * now getting the answer.
 *   1   authorised: go on;
 *   0   polkit was asked: return 1, the handler runs again;
 *   <0  refused (AccessDenied in `error`, also when polkit is absent), or an error. */
int bus_verify_polkit_async(BusApi *api, sd_bus_message *msg, sd_bus_error *error);

/* The caller's effective UID, remembered per unique bus name. */
int bus_sender_uid(BusApi *api, sd_bus_message *msg, uid_t *ret);

void polkit_queries_free(BusApi *api);
