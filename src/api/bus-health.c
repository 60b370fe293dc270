/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.accelnet1.Manager: adapters' health. GetHealth (open to everyone) and the
 * HealthChanged signal; the model is daemon/pf-health.c's. */
#include <stdlib.h>

#include "bus-api.h"
#include "daemon/cluster-node.h"
#include "daemon/pf-health.h"
#include "daemon/pf.h"
#include "shared/macro.h"
#include "shared/names.h"

void bus_notify_health(void *userdata, const char *pf, const char *state, bool quarantined) {
        BusApi *api = userdata;
        (void) sd_bus_emit_signal(api->bus, ACCELNET_BUS_PATH, ACCELNET_BUS_MANAGER_INTERFACE, "HealthChanged", "ssb", pf,
                                  state, quarantined);
}

typedef struct EventRows {
        sd_bus_message *reply;
        BusText *text;
        int r;
} EventRows;

static void append_event(const HealthEventRecord *e, void *userdata) {
        EventRows *rows = userdata;
        if (rows->r >= 0)
                rows->r = sd_bus_message_append(rows->reply, "(tss)", e->realtime_usec, e->kind,
                                                bus_text(rows->text, e->detail));
}

static int compare_pf(const void *a, const void *b) {
        return strcmp((*(const Pf *const *) a)->address, (*(const Pf *const *) b)->address);
}

/* One PF: (ssstba(sss)a(st)a(tss)). */
static int append_pf(sd_bus_message *reply, const Pf *pf, HealthNow now, BusText *t) {
        const PfHealth *h = &pf->health;
        HealthReasonRow reasons[_HEALTH_REASON_MAX];
        HealthCounterRow counters[HEALTH_COUNTERS_N];
        size_t n = pf_health_reasons(h, now, pf->address, pf->ifname, reasons, ELEMENTSOF(reasons));
        int r;

        r = sd_bus_message_open_container(reply, 'r', "ssstba(sss)a(st)a(tss)");
        if (r >= 0)
                r = sd_bus_message_append(reply, "ssstb", pf->address, bus_text(t, pf->ifname),
                                          health_state_to_string(h->state), h->state_since_real, h->quarantined);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sss)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "(sss)", health_reason_to_string(reasons[i].code),
                                          bus_text(t, reasons[i].evidence), bus_text(t, reasons[i].remedy));
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(st)");
        pf_health_counter_rows(h, counters);
        for (size_t i = 0; r >= 0 && i < HEALTH_COUNTERS_N; i++)
                r = sd_bus_message_append(reply, "(st)", counters[i].name, counters[i].value);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(tss)");
        if (r >= 0) {
                EventRows rows = { .reply = reply, .text = t };
                pf_health_foreach_event(h, append_event, &rows);
                r = rows.r;
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int fill_health(sd_bus_message *reply, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ Pf **v = calloc(m->n_pfs ? m->n_pfs : 1, sizeof(Pf *));
        HealthNow now = health_now();
        BusText t = {};
        size_t n = 0;
        int r = 0;

        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_pfs; i++)
                if (m->pfs[i]->health_ready && m->pfs[i]->present)
                        v[n++] = m->pfs[i];
        qsort(v, n, sizeof(Pf *), compare_pf);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = append_pf(reply, v[i], now, &t);
        bus_text_done(&t);
        return r;
}

int method_get_health(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_reply_array(msg, "(ssstba(sss)a(st)a(tss))", fill_health, ((BusApi *) userdata)->manager);
}

/* ListNodeHealth: every node of ListNodes with its adapters' health summary, from its cluster
 * facts ("" from a node that does not report it); without corosync this host alone. */
static int fill_node_health(sd_bus_message *reply, void *userdata) {
        Manager *m = userdata;
        NodeRow *rows = NULL;
        size_t n = 0;
        BusText t = {};

        int r = cluster_node_rows(m->cluster, &rows, &n);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "(uss)", rows[i].id, bus_text(&t, rows[i].name),
                                          bus_text(&t, rows[i].health));
        node_rows_free(rows, n);
        bus_text_done(&t);
        return r;
}

int method_list_node_health(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_reply_array(msg, "(uss)", fill_node_health, ((BusApi *) userdata)->manager);
}
