/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

#include "daemon/manager.h"

/* The D-Bus error name of a domain code (shared/anerror.c's table); NULL for errnos. */
const char *bus_error_name(int r);

/* Fills `error` from a status (domain code → its name, errno → a system error) and returns
 * the negative value sd-bus handlers return. */
int bus_error_from_status(sd_bus_error *error, const AnStatus *st);
/* Replies to `m` with success or the status' error. */
int bus_reply_status(sd_bus_message *m, const AnStatus *st);
