/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <string.h>

#include "bus.h"
#include "progress.h"
#include "table.h"

typedef struct Call {
        ProgressFn fn;
        void *userdata;
        bool done;
        sd_bus_error error;
        sd_bus_message *reply;
} Call;

static int on_progress(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Call *c = userdata;
        const char *adapter;
        uint32_t done, total;
        if (sd_bus_message_read(m, "suu", &adapter, &done, &total) < 0)
                return 0;
        if (c->fn)
                c->fn(c->userdata, adapter, done, total);
        return 0;
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Call *c = userdata;
        c->done = true;
        if (sd_bus_message_is_method_error(m, NULL))
                (void) sd_bus_error_copy(&c->error, sd_bus_message_get_error(m));
        else
                c->reply = sd_bus_message_ref(m);
        return 0;
}

int cli_call_with_progress(sd_bus *bus, sd_bus_message *m, uint64_t timeout, const char *signal, ProgressFn fn,
                           void *userdata, sd_bus_error *ret_error, sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *match = NULL, *pending = NULL;
        Call c = { .fn = fn, .userdata = userdata, .error = SD_BUS_ERROR_NULL };
        int r;

        /* the match first: no signal sent after the call may be missed */
        r = sd_bus_match_signal(bus, &match, NULL, ACCELNET_BUS_PATH, ACCELNET_BUS_MANAGER_INTERFACE, signal,
                                on_progress, &c);
        if (r >= 0)
                r = sd_bus_call_async(bus, &pending, m, on_reply, &c, timeout);
        while (r >= 0 && !c.done) {
                r = sd_bus_process(bus, NULL);
                if (r > 0 || c.done)
                        continue;
                if (r >= 0)
                        r = sd_bus_wait(bus, UINT64_MAX);
                if (r == -EINTR)
                        r = 0;
        }
        if (r < 0) {
                sd_bus_error_free(&c.error);
                sd_bus_message_unref(c.reply);
                return r;
        }
        if (sd_bus_error_is_set(&c.error)) {
                *ret_error = c.error;
                return -sd_bus_error_get_errno(&c.error) ?: -EIO;
        }
        *ret_reply = c.reply;
        return 0;
}

void progress_line_show(ProgressLine *p, const char *line) {
        size_t w = utf8_width(line);
        fprintf(p->f, "\r%s%*s", line, p->shown > w ? (int) (p->shown - w) : 0, "");
        fflush(p->f);
        p->shown = w > 0 ? w : 1;
}

void progress_line_keep(ProgressLine *p) {
        if (p->shown)
                fputc('\n', p->f);
        fflush(p->f);
        p->shown = 0;
}
