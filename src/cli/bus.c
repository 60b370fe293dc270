/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <string.h>

#include "bus.h"

int cli_bus_open(sd_bus **ret, char **ret_error) {
        sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);
        if (r < 0) {
                if (asprintf(ret_error, "Failed to connect to the system bus: %s", strerror(-r)) < 0)
                        *ret_error = NULL;
                return r;
        }
        (void) sd_bus_set_description(bus, "accelnetctl");
        *ret = bus;
        return 0;
}

bool cli_bus_error_is_not_running(const sd_bus_error *e) {
        return e && (sd_bus_error_has_name(e, SD_BUS_ERROR_SERVICE_UNKNOWN) ||
                     sd_bus_error_has_name(e, SD_BUS_ERROR_NAME_HAS_NO_OWNER));
}

char *cli_bus_error_message(const sd_bus_error *e, int r) {
        char *s = NULL;
        int n;

        if (cli_bus_error_is_not_running(e))
                return strdup(CLI_NOT_RUNNING_MESSAGE);
        if (e && e->name && e->name[0]) {
                if (e->message && e->message[0])
                        n = asprintf(&s, "%s (%s)", e->message, e->name);
                else
                        n = asprintf(&s, "%s", e->name);
        } else
                n = asprintf(&s, "%s", strerror(r < 0 ? -r : r ? r : EIO));
        return n < 0 ? NULL : s;
}
