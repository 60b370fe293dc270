/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The PF monitor: events about the watched PFs, normalized (shared/pfhealth.h) and
 * delivered on the daemon's sd-event loop as they happen — no polling. Where they come from
 * is the backend's (backend.h monitor_open): on a real host rtnetlink link notifications
 * (RTNLGRP_LINK: carrier, operstate, IFLA_CARRIER_CHANGES), udev events of the PCI devices
 * through sd-device (bind, unbind, change with ERROR_EVENT=BEGIN_RECOVERY |
 * SUCCESSFUL_RECOVERY | FAILED_RECOVERY) and devlink health reporters (generic netlink
 * "devlink", group "config", where the driver has them); on the simulated host a datagram
 * socket (src/sim/simmonitor.c). What both share is here: which PFs are watched, the mapping
 * of a netdev or a PCI device to its PF, only real changes passed on, and the sysfs reads
 * that complete an event (AER counters after a recovery, the PCIe link after a change).
 *
 * Ownership: the monitor owns its sources; the callback gets a borrowed event. */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "backend.h"
#include "shared/pfhealth.h"

#define PF_MONITOR_WATCH_MAX 1024u

typedef void (*PfEventFn)(void *userdata, const PfEvent *ev);

int pf_monitor_new(const SriovBackend *b, sd_event *e, const char *root, PfEventFn fn, void *userdata,
                   PfMonitor **ret);
PfMonitor *pf_monitor_free(PfMonitor *m);
static inline void pf_monitor_freep(PfMonitor **m) {
        if (*m)
                *m = pf_monitor_free(*m);
}

/* Opens the backend's event sources on the loop. A source the host lacks (no devlink
 * family, no udev) is left out and described by pf_monitor_describe(); fails only when
 * none can be opened. */
int pf_monitor_start(PfMonitor *m);

/* Watches a PF (again): its netdev name may be NULL (none, or not known yet); events for
 * PFs that are not watched are dropped. -E2BIG above PF_MONITOR_WATCH_MAX. */
int pf_monitor_watch(PfMonitor *m, const char *address, const char *ifname);
void pf_monitor_unwatch(PfMonitor *m, const char *address);

/* Everything about a watched PF read now (healthfacts.h); what the monitor passes on
 * next is compared with it. */
int pf_monitor_read(PfMonitor *m, const char *address, PfHealthFacts *ret);

/* The sources in use and those left out, e.g. "rtnetlink, udev, devlink (no devlink
 * family: skipped)". Borrowed. */
const char *pf_monitor_describe(const PfMonitor *m);
