/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* PF health from accelnetd's GetHealth, kept apart because its reply is provisional: as
 * planned, a(ssstba(sss)a(st)a(tss)) — PF address, ifname, state ("Healthy", "Degraded",
 * "Failed"), a number, quarantined, reasons (code, evidence, remedy), counters (name,
 * value), last events. Only the first five fields and the count of reasons are used; an
 * accelnetd without GetHealth (UnknownMethod), or with another signature, leaves the health
 * metrics out. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "shared/log.h"
#include "shared/macro.h"

#define HEALTH_SIGNATURE "a(ssstba(sss)a(st)a(tss))"

static int read_row(sd_bus_message *reply, HealthRow *h) {
        const char *address, *ifname, *state;
        uint64_t unused;
        int quarantined, r;

        r = sd_bus_message_enter_container(reply, 'r', "ssstba(sss)a(st)a(tss)");
        if (r <= 0)
                return r;
        r = sd_bus_message_read(reply, "ssstb", &address, &ifname, &state, &unused, &quarantined);
        if (r < 0)
                return r;
        r = sd_bus_message_enter_container(reply, 'a', "(sss)");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_skip(reply, "(sss)")) > 0)
                h->n_reasons++;
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(reply);
        if (r >= 0)
                r = sd_bus_message_skip(reply, "a(st)a(tss)");
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return r;
        h->quarantined = quarantined;
        h->address = strdup(address);
        h->ifname = strdup(ifname);
        h->state = strdup(state);
        if (!h->address || !h->ifname || !h->state) {
                h->address = mfree(h->address);
                h->ifname = mfree(h->ifname);
                h->state = mfree(h->state);
                return -ENOMEM;
        }
        return 1;
}

int collect_health(sd_bus *bus, Snapshot *s) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = collect_call(bus, "GetHealth", &error, &reply);
        if (r < 0) {
                if (!sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_METHOD))
                        log_debug("GetHealth failed: %s", error.message ? error.message : strerror(-r));
                return 0;
        }
        if (!streq_ptr(sd_bus_message_get_signature(reply, true), HEALTH_SIGNATURE)) {
                log_debug("GetHealth answers %s, not " HEALTH_SIGNATURE ": health left out.",
                          strempty(sd_bus_message_get_signature(reply, true)));
                return 0;
        }
        r = sd_bus_message_enter_container(reply, 'a', "(ssstba(sss)a(st)a(tss))");
        for (;;) {
                if (r < 0)
                        break;
                if (s->n_health >= COLLECT_MAX_ROWS) {
                        r = -E2BIG;
                        break;
                }
                HealthRow *v = realloc(s->health, sizeof *v * (s->n_health + 1));
                if (!v)
                        return -ENOMEM;
                s->health = v;
                v[s->n_health] = (HealthRow){};
                r = read_row(reply, &v[s->n_health]);
                if (r <= 0)
                        break;
                s->n_health++;
        }
        if (r == -ENOMEM)
                return r;
        if (r < 0) {
                log_debug_errno(r, "GetHealth's reply cannot be read: %m");
                return 0; /* whatever was read stays out too */
        }
        s->has_health = true;
        return 0;
}
