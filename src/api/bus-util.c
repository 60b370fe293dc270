/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-util.h"
#include "shared/macro.h"

int bus_reply_array(sd_bus_message *msg, const char *contents, BusArrayFill fill, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', contents);
        if (r >= 0)
                r = fill(reply, userdata);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        return r;
}
