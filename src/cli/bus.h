/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* accelnetctl's side of the D-Bus contract (DESIGN §3): names, timeouts, connecting and
 * turning a failed call into one line for the user. */

#include <stdint.h>
#include <systemd/sd-bus.h>

#include "shared/macro.h"

#include "shared/names.h"

#define CLI_USEC_PER_SEC UINT64_C(1000000)
/* Reads answer at once; changes may provision VFs, attach devices or wait for polkit. */
#define CLI_TIMEOUT_READ_USEC (25 * CLI_USEC_PER_SEC)
#define CLI_TIMEOUT_CHANGE_USEC (120 * CLI_USEC_PER_SEC)
/* A drain waits for every guest to let go of its VF (each may take its time to acknowledge
 * the unplug): the daemon answers when it can go no further. */
#define CLI_TIMEOUT_DRAIN_USEC (3600 * CLI_USEC_PER_SEC)

#define CLI_NOT_RUNNING_MESSAGE "accelnetd is not running (" ACCELNET_BUS_NAME " not on the system bus)"

/* sd-bus.h defines sd_bus_flush_close_unrefp and sd_bus_message_unrefp. */
static inline void cli_bus_error_freep(sd_bus_error *e) {
        sd_bus_error_free(e);
}
#define _cleanup_bus_ _cleanup_(sd_bus_flush_close_unrefp)
#define _cleanup_bus_message_ _cleanup_(sd_bus_message_unrefp)
#define _cleanup_bus_error_ _cleanup_(cli_bus_error_freep)

/* The system bus (sd_bus_open_system: $DBUS_SYSTEM_BUS_ADDRESS is honoured). On failure
 * *ret_error is the line to print (owned). */
int cli_bus_open(sd_bus **ret, char **ret_error);

/* The line to print after "accelnetctl: " for a failed call: "accelnetd is not running
 * (...)" when the name has no owner, else "<message> (<error name>)", or the errno's text
 * when there is no error name. Owned; NULL on OOM. */
char *cli_bus_error_message(const sd_bus_error *e, int r);

/* Whether the error means that nobody owns org.accelnet1. */
bool cli_bus_error_is_not_running(const sd_bus_error *e);
