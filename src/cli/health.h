/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* accelnetctl health: Manager.GetHealth read into records, rendered as a table that fits 80
 * columns (PF IFNAME STATE QUARANTINE REASONS, each unhealthy adapter's evidence and remedy
 * wrapped below it) or as JSON. Strings are borrowed from the reply; arrays are owned
 * (health_rows_free). */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "commands.h"
#include "render.h"

#define HEALTH_TABLE_WIDTH 80

typedef struct HealthReasonRec {
        const char *code, *evidence, *remedy;
} HealthReasonRec;

typedef struct HealthCounterRec {
        const char *name;
        uint64_t value;
} HealthCounterRec;

typedef struct HealthEventRec {
        uint64_t usec;
        const char *kind, *detail;
} HealthEventRec;

/* GetHealth: a(ssstba(sss)a(st)a(tss)) */
typedef struct HealthRow {
        const char *address, *ifname, *state;
        uint64_t since_usec;
        int quarantined;
        HealthReasonRec *reasons;
        size_t n_reasons;
        HealthCounterRec *counters;
        size_t n_counters;
        HealthEventRec *events;
        size_t n_events;
} HealthRow;

int health_rows_read(sd_bus_message *m, HealthRow **ret, size_t *ret_n);
void health_rows_free(HealthRow *rows, size_t n);

/* PF IFNAME STATE QUARANTINE REASONS; below an unhealthy adapter "since TIME" and each
 * reason's evidence and remedy, wrapped at min(width, 80); footer "N adapters: H healthy,
 * D degraded, F failed; Q quarantined." */
int health_rows_render(const HealthRow *rows, size_t n, const RenderOptions *o, char **ret);
/* [{"pf","ifname","state","since","since_usec","quarantined","reasons":[{"code","evidence",
 * "remedy"}],"counters":{NAME: N},"events":[{"time","time_usec","kind","detail"}]}] */
json_t *health_rows_to_json(const HealthRow *rows, size_t n);

int verb_health(const CliContext *ctx);

/* cluster nodes: each row's health summary from ListNodeHealth (matched by node id), the
 * strings borrowed from *ret_reply; a daemon without the method leaves them NULL. Returns an
 * exit status (the error printed). */
int node_rows_read_health(const CliContext *ctx, NodeRow *rows, size_t n, sd_bus_message **ret_reply);
