/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* For the implementations of a backend's event sources (backend.h monitor_open): the
 * kernel's (monitor-kernel.c) and the simulation's (src/sim/simmonitor.c). A source hands
 * the monitor what it received, raw, and the monitor (monitor.c) maps it to a watched PF,
 * drops what did not change, completes it from sysfs and passes it on. Not for other
 * callers. */

#include "monitor.h"

/* An RTM_NEWLINK (or the simulation's equivalent). */
typedef struct MonitorLinkMsg {
        int ifindex;             /* 0 unknown */
        const char *ifname;      /* IFLA_IFNAME */
        PfLinkFacts link;
} MonitorLinkMsg;

/* A udev event of a PCI device. */
typedef struct MonitorUevent {
        const char *action;      /* "bind", "unbind", "change", "add", "remove" */
        const char *sysname;     /* the PCI address */
        const char *driver;      /* DRIVER= of a bind, may be NULL */
        const char *error_event; /* ERROR_EVENT= of a change, NULL without */
} MonitorUevent;

sd_event *pf_monitor_get_event(PfMonitor *m);
const char *pf_monitor_get_root(PfMonitor *m);

void pf_monitor_feed_link(PfMonitor *m, const MonitorLinkMsg *msg);
void pf_monitor_feed_uevent(PfMonitor *m, const MonitorUevent *u);
/* A devlink health reporter of device `bus`/`dev` ("pci", "0000:01:00.0"). */
void pf_monitor_feed_reporter(PfMonitor *m, const char *bus, const char *dev, const PfReporterFacts *r);
/* Notifications were lost (a socket overrun): every watched PF's link is read again. */
void pf_monitor_resync(PfMonitor *m);

/* What the source is ("rtnetlink"), and whether it runs (r >= 0) or why not (detail). */
void pf_monitor_note_source(PfMonitor *m, const char *name, int r, const char *detail);
