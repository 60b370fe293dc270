/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The simulated host's health events: what a test sends to ROOT/run/accelnet-sim/events.sock
 * (simmonitor.c), one JSON object per datagram. The protocol:
 *
 *   {"pf": P, "event": "link", "carrier": true|false [, "admin_up": true|false]}
 *         the PF's carrier (operstate follows: up/down), carrier_changes +1 when it flips;
 *         admin_up false: the netdev is administratively down (flags, operstate down, no
 *         readable carrier), as `ip link set P down` leaves it
 *   {"pf": P, "event": "flap", "count": N}
 *         N carrier transitions (1-1000), one notification each, ending where an even N
 *         began (down-up pairs from an up link)
 *   {"pf": P, "event": "unbind"}          the PF's driver unbound (the driver link goes)
 *   {"pf": P, "event": "bind" [, "driver": "igb"]}
 *         bound again (by default to the driver it had)
 *   {"pf": P, "event": "recovery", "result": "begin"|"success"|"failed"
 *         [, "aer": {"correctable": N, "nonfatal": N, "fatal": N}]}
 *         PCI error recovery (udev change with ERROR_EVENT=BEGIN_RECOVERY |
 *         SUCCESSFUL_RECOVERY | FAILED_RECOVERY); "aer" adds N errors to the aer_dev_* totals
 *         before the event, as the kernel counts them before it reports
 *   {"pf": P, "event": "pcie-link", "speed": "2.5 GT/s PCIe", "width": 4
 *         [, "max_speed": "8.0 GT/s PCIe", "max_width": 8]}
 *         the PCIe link (current_link_speed/width, max_* when given) and a udev change
 *   {"pf": P, "event": "devlink", "reporter": "tx", "state": "error"|"healthy"
 *         [, "errors": N, "recovers": N]}
 *         a devlink health reporter notification
 *
 * P is the PF's PCI address ("0000:01:00.0") or its netdev name ("ens1f0"). Unknown keys,
 * wrong types and values out of range are refused with a message naming the field. A
 * sender that bound its own socket gets "ok" or "error: WHY" back in one datagram, sent once
 * the daemon has taken the event (its state already reflects it, but for a debounce). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/pfhealth.h"

#define SIM_EVENTS_SOCKET "run/accelnet-sim/events.sock"
#define SIM_EVENT_MAX_SIZE 4096u
#define SIM_FLAP_MAX 1000u
#define SIM_AER_ADD_MAX 1000000u
#define SIM_PF_NAME_MAX 64

typedef enum SimEventType {
        SIM_EVENT_LINK,
        SIM_EVENT_FLAP,
        SIM_EVENT_UNBIND,
        SIM_EVENT_BIND,
        SIM_EVENT_RECOVERY,
        SIM_EVENT_PCIE_LINK,
        SIM_EVENT_DEVLINK,
        _SIM_EVENT_TYPE_MAX,
        _SIM_EVENT_TYPE_INVALID = -22,
} SimEventType;

/* "link", "flap", "unbind", "bind", "recovery", "pcie-link", "devlink". */
const char *sim_event_type_to_string(SimEventType t);
SimEventType sim_event_type_from_string(const char *s);

typedef struct SimEvent {
        SimEventType type;
        char pf[SIM_PF_NAME_MAX];        /* a PCI address or a netdev name, as given */
        bool carrier;                    /* LINK */
        int admin_up;                    /* LINK: 1, 0, -1 not given (unchanged) */
        unsigned count;                  /* FLAP */
        char driver[PF_DRIVER_NAME_MAX]; /* BIND: "" = the one it had */
        PfEventKind recovery;            /* RECOVERY: PF_EVENT_RECOVERY_BEGIN/SUCCESS/FAILED */
        uint64_t aer_add[3];             /* RECOVERY: correctable, nonfatal, fatal to add */
        char speed[32], max_speed[32];   /* PCIE_LINK: sysfs text; max_speed "" = unchanged */
        uint32_t width, max_width;       /* PCIE_LINK: max_width 0 = unchanged */
        PfReporterFacts reporter;        /* DEVLINK */
} SimEvent;

/* Parses one datagram (size bytes, no NUL needed). 0, or -EBADMSG with *ret_error (owned)
 * naming the bad field, or -ENOMEM. *ret is written on success only. */
int sim_event_parse(const char *text, size_t size, SimEvent *ret, char **ret_error);
