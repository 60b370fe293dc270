/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Plain data about a PF's health, filled by src/sriov (the PF monitor: rtnetlink, udev,
 * devlink, sysfs reads) and judged by src/policy/health.c. No library types here, so both
 * layers can share it (as hostfacts.h does for discovery). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pciaddr.h"

/* RFC 2863 operational states, the kernel's IF_OPER_* values and sysfs `operstate` names. */
typedef enum PfOperState {
        PF_OPER_UNKNOWN,
        PF_OPER_NOTPRESENT,
        PF_OPER_DOWN,
        PF_OPER_LOWERLAYERDOWN,
        PF_OPER_TESTING,
        PF_OPER_DORMANT,
        PF_OPER_UP,
        _PF_OPER_MAX,
        _PF_OPER_INVALID = -22,
} PfOperState;

/* "unknown", "notpresent", "down", "lowerlayerdown", "testing", "dormant", "up". */
const char *pf_oper_state_to_string(PfOperState s);
PfOperState pf_oper_state_from_string(const char *s);

/* What the monitor reports, normalized the same way for the kernel and the simulation. */
typedef enum PfEventKind {
        PF_EVENT_LINK,             /* RTM_NEWLINK of the PF's netdev: carrier, operstate, carrier changes */
        PF_EVENT_DRIVER_BOUND,     /* udev "bind" of the PF's PCI device */
        PF_EVENT_DRIVER_UNBOUND,   /* udev "unbind" */
        PF_EVENT_RECOVERY_BEGIN,   /* udev change ERROR_EVENT=BEGIN_RECOVERY (PCI error recovery) */
        PF_EVENT_RECOVERY_SUCCESS, /* ERROR_EVENT=SUCCESSFUL_RECOVERY */
        PF_EVENT_RECOVERY_FAILED,  /* ERROR_EVENT=FAILED_RECOVERY */
        PF_EVENT_PCIE_LINK,        /* another udev change: the PCIe link re-read */
        PF_EVENT_DEVLINK_REPORTER, /* a devlink health reporter's state (genetlink "devlink", group "config") */
        _PF_EVENT_KIND_MAX,
        _PF_EVENT_KIND_INVALID = -22,
} PfEventKind;

/* "link", "driver-bound", "driver-unbound", "recovery-begin", "recovery-success",
 * "recovery-failed", "pcie-link", "devlink-reporter". */
const char *pf_event_kind_to_string(PfEventKind k);
PfEventKind pf_event_kind_from_string(const char *s);

#define PF_DRIVER_NAME_MAX 64
#define PF_REPORTER_NAME_MAX 32

typedef struct PfLinkFacts {
        int carrier;               /* 1, 0; -1 unknown (no netdev, or an administratively down one) */
        int admin_up;              /* IFF_UP: 1, 0, -1 unknown */
        PfOperState operstate;
        int64_t carrier_changes;   /* the kernel's count (IFLA_CARRIER_CHANGES), -1 unknown */
} PfLinkFacts;

#define PF_LINK_FACTS_UNKNOWN ((PfLinkFacts){ .carrier = -1, .admin_up = -1, .carrier_changes = -1 })

/* The PCIe link of the PF's device (`current_link_speed` etc. in sysfs) and the network
 * ports that share it (every function of the same PCI device with a netdev). */
typedef struct PfPcieFacts {
        uint32_t cur_speed_mts, max_speed_mts; /* transfer rate per lane in MT/s (2.5 GT/s = 2500); 0 unknown */
        uint32_t cur_width, max_width;         /* lanes; 0 unknown (a link that is down reads 0) */
        uint64_t ports_mbps;                   /* the sum of the ports' link speeds, Mb/s; 0 unknown */
        unsigned n_ports;                      /* ports with a known speed in that sum */
} PfPcieFacts;

/* The TOTAL_ERR_* lines of aer_dev_correctable, aer_dev_nonfatal and aer_dev_fatal. */
typedef struct PfAerFacts {
        int64_t correctable, nonfatal, fatal; /* -1 unknown (no AER capability, no file) */
} PfAerFacts;

#define PF_AER_FACTS_UNKNOWN ((PfAerFacts){ .correctable = -1, .nonfatal = -1, .fatal = -1 })

typedef struct PfReporterFacts {
        char name[PF_REPORTER_NAME_MAX];       /* "tx", "fw_fatal", ... */
        bool error;                            /* DEVLINK_HEALTH_REPORTER_STATE_ERROR */
        uint64_t error_count, recover_count;
} PfReporterFacts;

/* One event of one PF. Only the part of its kind is meaningful. */
typedef struct PfEvent {
        PfEventKind kind;
        char pf[PCI_ADDR_STRLEN];              /* the PF's PCI address */
        uint64_t realtime_usec;                /* when it was seen (CLOCK_REALTIME), for the record */
        uint64_t monotonic_usec;               /* the same instant on CLOCK_MONOTONIC, for latency figures */
        PfLinkFacts link;                      /* LINK */
        char driver[PF_DRIVER_NAME_MAX];       /* DRIVER_BOUND ("" unknown) */
        PfAerFacts aer;                        /* RECOVERY_*: the counters read right after it */
        PfPcieFacts pcie;                      /* RECOVERY_SUCCESS, PCIE_LINK: the link read right after it */
        PfReporterFacts reporter;              /* DEVLINK_REPORTER */
} PfEvent;

/* Everything the monitor reads of a PF at once: when it starts watching it, after its
 * driver is bound again. */
typedef struct PfHealthFacts {
        int bound;                             /* a driver is bound: 1, 0, -1 unknown */
        char driver[PF_DRIVER_NAME_MAX];
        PfLinkFacts link;
        PfAerFacts aer;
        PfPcieFacts pcie;
} PfHealthFacts;

void pf_health_facts_init(PfHealthFacts *f);

/* "8.0 GT/s PCIe", "2.5 GT/s", "16 GT/s PCIe" → MT/s (8000, 2500, 16000); -EINVAL for
 * anything else ("Unknown", garbage, above 1000 GT/s). */
int pcie_speed_parse(const char *s, uint32_t *ret);
/* The usable data rate of a PCIe link in Mb/s: lanes × transfer rate × the encoding's
 * efficiency (8b/10b below 8 GT/s, 128b/130b from 8 to 32 GT/s, 242/256 FLIT mode at
 * 64 GT/s and above). 0 when either is unknown. */
uint64_t pcie_link_mbps(uint32_t speed_mts, uint32_t width);
