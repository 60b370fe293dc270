/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* Replies to `msg` with one array of `contents` ("(ssssuuu)"), filled by `fill`. */
typedef int (*BusArrayFill)(sd_bus_message *reply, void *userdata);
int bus_reply_array(sd_bus_message *msg, const char *contents, BusArrayFill fill, void *userdata);
