/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>

#include "bus-error.h"
#include "shared/macro.h"

const char *bus_error_name(int r) {
        if (!an_error_is_domain(r))
                return NULL;
        return an_error_bus_name((AnError) -r);
}

int bus_error_from_status(sd_bus_error *error, const AnStatus *st) {
        const char *name = bus_error_name(st->r);
        if (name)
                return sd_bus_error_set(error, name, st->message[0] ? st->message : an_error_message((AnError) -st->r));
        if (st->r >= 0)
                return 0;
        if (st->message[0])
                return sd_bus_error_set_errnof(error, -st->r, "%s", st->message);
        return sd_bus_error_set_errno(error, st->r);
}

int bus_reply_status(sd_bus_message *m, const AnStatus *st) {
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        if (st->r >= 0)
                return sd_bus_reply_method_return(m, NULL);
        (void) bus_error_from_status(&error, st);
        return sd_bus_reply_method_error(m, &error);
}
