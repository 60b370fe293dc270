/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The health of one PF: a pure state machine fed with the monitor's normalized events
 * (shared/pfhealth.h) and the time, no I/O. The caller (the daemon) owns one PfHealth per
 * PF, feeds it every event and the facts read at start, and arms one timer at
 * pf_health_next_deadline(): the only time-driven changes are a link-down debounce running
 * out, a quarantine lifted after a stable period, and AER errors ageing out of the window.
 *
 * States, from the worst reason that holds (each reason has a code, evidence and a remedy):
 *   Failed    LinkDown (carrier 0 or operstate down for longer than the debounce, or the
 *             netdev administratively down), DriverUnbound, RecoveryFailed (PCI error
 *             recovery gave up: the device is offline until its driver is bound again or a
 *             later recovery succeeds);
 *   Degraded  Recovering (PCI error recovery in progress), AerErrors (the AER counters rose
 *             within the last flap window), PcieLinkDegraded (current link speed or width
 *             below the maximum), PcieOversubscribed (the ports' link speeds add up to more
 *             than the PCIe link carries), DevlinkReporterError, Flapping (quarantined);
 *   Healthy   none of these.
 * Flapping: more than flap_count carrier changes within flap_window_s quarantine the PF (no
 * new VFs on it); the quarantine is lifted once the link has been up without a change for
 * quarantine_stable_s, and the count starts afresh.
 *
 * Resets of accelnet's own: writing sriov_numvfs resets some PFs (igb: its link drops for
 * about half a second, measured in the e2e guest). Between pf_health_reset_begin() and a grace
 * period (reset_grace_s) after pf_health_reset_end(), carrier changes are counted as part of the reset, not as
 * flaps, and a link that is down is no failure; one still down after the grace is judged from
 * then on, with the debounce. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/pfhealth.h"

typedef enum HealthState {
        HEALTH_HEALTHY,
        HEALTH_DEGRADED,
        HEALTH_FAILED,
        _HEALTH_STATE_MAX,
        _HEALTH_STATE_INVALID = -22,
} HealthState;

/* "Healthy", "Degraded", "Failed". */
const char *health_state_to_string(HealthState s);
HealthState health_state_from_string(const char *s);

typedef enum HealthReason {
        HEALTH_REASON_LINK_DOWN,
        HEALTH_REASON_DRIVER_UNBOUND,
        HEALTH_REASON_RECOVERY_FAILED,
        HEALTH_REASON_RECOVERING,
        HEALTH_REASON_AER_ERRORS,
        HEALTH_REASON_PCIE_LINK_DEGRADED,
        HEALTH_REASON_PCIE_OVERSUBSCRIBED,
        HEALTH_REASON_DEVLINK_REPORTER,
        HEALTH_REASON_FLAPPING,
        _HEALTH_REASON_MAX,
        _HEALTH_REASON_INVALID = -22,
} HealthReason;

/* "LinkDown", "DriverUnbound", "RecoveryFailed", "Recovering", "AerErrors",
 * "PcieLinkDegraded", "PcieOversubscribed", "DevlinkReporterError", "Flapping". */
const char *health_reason_to_string(HealthReason r);
HealthReason health_reason_from_string(const char *s);
/* The state a reason alone puts the PF in. */
HealthState health_reason_severity(HealthReason r);

/* accelnet.json "health": {...}; defaults in health_settings_defaults(). */
typedef struct HealthSettings {
        unsigned flap_count;             /* 5: more carrier changes than this ... */
        unsigned flap_window_s;          /* 600: ... within this many seconds quarantine the PF */
        unsigned quarantine_stable_s;    /* 300: stable (link up, no change) this long lifts it */
        unsigned link_down_debounce_ms;  /* 50: a link down shorter than this is not a failure */
        unsigned reset_grace_s;          /* 10: after accelnet's own reset, its link changes still are */
} HealthSettings;

#define HEALTH_FLAP_COUNT_MIN 1u
#define HEALTH_FLAP_COUNT_MAX 1000u
#define HEALTH_WINDOW_S_MAX 86400u        /* flap_window_s, quarantine_stable_s: 1 s to a day */
#define HEALTH_DEBOUNCE_MS_MAX 60000u
#define HEALTH_RESET_GRACE_S_MAX 600u

void health_settings_defaults(HealthSettings *s);

#define HEALTH_EVENTS_MAX 16u              /* the last events kept per PF */
#define HEALTH_REPORTERS_MAX 8u            /* devlink health reporters tracked per PF */
#define HEALTH_EVENT_DETAIL_MAX 128

typedef struct HealthEventRecord {
        uint64_t realtime_usec;
        const char *kind;                  /* static: pf_event_kind_to_string(), "state", "quarantine" */
        char detail[HEALTH_EVENT_DETAIL_MAX];
} HealthEventRecord;

typedef struct HealthCounters {
        uint64_t carrier_changes;          /* the kernel's count as last seen */
        uint64_t carrier_changes_seen;     /* changes seen since accelnetd watches the PF */
        uint64_t aer_correctable, aer_nonfatal, aer_fatal; /* the kernel's totals as last read */
        uint64_t recoveries;               /* PCI error recoveries begun */
        uint64_t recoveries_failed;
        uint64_t driver_unbinds;
        uint64_t quarantines;
        uint64_t devlink_errors;           /* sum of the reporters' error counts */
        uint64_t resets;                   /* accelnet's own resets (sriov_numvfs written) */
} HealthCounters;

/* Now, on both clocks: monotonic for every decision, realtime for what is shown. */
typedef struct HealthNow {
        uint64_t mono, real;               /* microseconds */
} HealthNow;

typedef struct PfHealth {
        HealthSettings settings;
        bool watched;                      /* facts seen at least once */

        /* what is known of the PF */
        int bound;                         /* 1, 0, -1 unknown */
        char driver[PF_DRIVER_NAME_MAX];
        PfLinkFacts link;
        uint64_t link_down_since;          /* monotonic; 0 when the link is not down */
        bool recovering, recovery_failed;
        PfAerFacts aer;
        uint64_t aer_increase_at;          /* monotonic, of the last rise; 0 none */
        PfPcieFacts pcie;
        PfReporterFacts reporters[HEALTH_REPORTERS_MAX];
        size_t n_reporters;

        /* flapping: the times of the last carrier changes (a ring of flap_count + 1) */
        uint64_t *changes;
        size_t n_changes, changes_head, changes_cap;
        uint64_t last_change;              /* monotonic, of the last carrier change; 0 none */
        bool quarantined;
        uint64_t quarantined_at;           /* monotonic */
        uint64_t reset_until;              /* monotonic end of an expected reset's grace; UINT64_MAX while
                                            * it runs, 0 none */

        /* what was decided */
        unsigned reasons;                  /* bits of HealthReason, as last judged */
        HealthState state;
        uint64_t state_since_real;         /* realtime of the last change of state (or of the start) */
        HealthCounters counters;
        HealthEventRecord events[HEALTH_EVENTS_MAX]; /* a ring, events_head the oldest */
        size_t n_events, events_head;
} PfHealth;

/* Healthy, nothing known. Returns -ENOMEM (the flap ring is allocated). */
int pf_health_init(PfHealth *h, const HealthSettings *s, HealthNow now);
void pf_health_done(PfHealth *h);
/* New settings (a configuration reload): the flap history is kept as far as it fits. */
int pf_health_set_settings(PfHealth *h, const HealthSettings *s, HealthNow now);

/* The facts read at once (start, after a bind). The first time they are the baseline: the
 * kernel's carrier and AER counts from before are history, not news. Returns true when the
 * state or the quarantine changed. */
bool pf_health_facts(PfHealth *h, const PfHealthFacts *f, HealthNow now);
/* One event (its pf field is not looked at). Returns true when the state or the quarantine
 * changed. */
bool pf_health_event(PfHealth *h, const PfEvent *ev, HealthNow now);
/* Re-judges at `now` (a deadline passed). Returns true when the state or quarantine changed. */
bool pf_health_tick(PfHealth *h, HealthNow now);
/* When pf_health_tick must run next (monotonic usec), UINT64_MAX when nothing is pending. */
uint64_t pf_health_next_deadline(const PfHealth *h);

/* accelnet resets the PF (writes sriov_numvfs) from now; at its end, reset_grace_s more seconds
 * pass before its link is judged again. Both return true when the state or quarantine
 * changed. */
bool pf_health_reset_begin(PfHealth *h, HealthNow now);
bool pf_health_reset_end(PfHealth *h, HealthNow now);

/* Whether new VFs may be handed out on the PF: not Failed, not quarantined. */
bool pf_health_accepts_new_vfs(const PfHealth *h);

#define HEALTH_TEXT_MAX 320

typedef struct HealthReasonRow {
        HealthReason code;
        char evidence[HEALTH_TEXT_MAX];
        char remedy[HEALTH_TEXT_MAX];
} HealthReasonRow;

/* The reasons that hold at `now`, worst first, at most `max` (there are at most
 * _HEALTH_REASON_MAX); `ifname` (may be NULL) and `address` name the PF in the texts.
 * Returns how many. */
size_t pf_health_reasons(const PfHealth *h, HealthNow now, const char *address, const char *ifname,
                         HealthReasonRow *ret, size_t max);

/* The events kept, oldest first: calls fn for each. */
typedef void (*HealthEventVisitor)(const HealthEventRecord *e, void *userdata);
void pf_health_foreach_event(const PfHealth *h, HealthEventVisitor fn, void *userdata);

/* The counters as (name, value) pairs in a fixed order, the order GetHealth lists them:
 * carrier_changes, carrier_changes_seen, aer_correctable, aer_nonfatal, aer_fatal,
 * recoveries, recoveries_failed, driver_unbinds, quarantines, devlink_errors, resets. */
#define HEALTH_COUNTERS_N 11u
typedef struct HealthCounterRow {
        const char *name;
        uint64_t value;
} HealthCounterRow;
void pf_health_counter_rows(const PfHealth *h, HealthCounterRow ret[static HEALTH_COUNTERS_N]);
