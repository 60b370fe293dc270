/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One scrape's reads: accelnetd over the bus (auto-start off: a scrape never starts the
 * daemon), then the VF counters of this host's adapters over rtnetlink (or the simulated
 * host), through src/sriov. The Collector keeps the bus connection and the VF handle from
 * scrape to scrape, and reconnects a bus that went away. */

#include <systemd/sd-bus.h>

#include "shared/macro.h"
#include "snapshot.h"
#include "sriov/backend.h"

#define COLLECT_CALL_TIMEOUT_USEC (3ULL * 1000000ULL) /* per bus call */
#define COLLECT_MAX_ROWS 65536u                      /* per reply: more is refused */

typedef struct Collector Collector;

/* backend: the kernel's, or the simulation's on `root` (--simulate). */
int collector_new(const SriovBackend *backend, const char *root, Collector **ret);
Collector *collector_free(Collector *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(Collector *, collector_free);

/* Fills *s (zeroed first). Never fails on what accelnetd says or does not say: s->up tells.
 * Returns < 0 only when memory runs out. */
int collector_scrape(Collector *c, Snapshot *s);

/* health.c: GetHealth into s->health, when the daemon has it (provisional signature). */
int collect_health(sd_bus *bus, Snapshot *s);
/* The call every read makes (auto-start off, COLLECT_CALL_TIMEOUT_USEC). */
int collect_call(sd_bus *bus, const char *member, sd_bus_error *error, sd_bus_message **ret_reply);
