/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "daemon/manager.h"

#include "shared/names.h"

typedef void (*BusAuthorized)(Manager *m, sd_bus_message *msg);

/* Lets root through at once; anyone else is checked with polkit's CheckAuthorization,
 * asynchronously (the loop keeps serving others). `fn` runs only when authorised; otherwise
 * the method gets org.freedesktop.DBus.Error.AccessDenied, also when polkit is absent.
 * Returns 1 (the reply comes later or was sent) or a negative errno. */
int bus_authorize(Manager *m, sd_bus_message *msg, BusAuthorized fn);
/* True for root callers: their changes need no authorisation, so handlers may go straight
 * to the model, which checks (in the same order) and changes in one step. */
bool bus_sender_is_root(Manager *m, sd_bus_message *msg);
/* The caller's effective UID, remembered per unique bus name. */
int bus_sender_uid(Manager *m, sd_bus_message *msg, uid_t *ret);
