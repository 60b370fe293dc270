/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The health state machine of a PF (health.h). Pure: time comes from the caller. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "policy/health.h"
#include "shared/macro.h"
#include "shared/string-table.h"

#define USEC_PER_SEC 1000000ULL
#define USEC_PER_MSEC 1000ULL
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

static const char *const health_state_table[_HEALTH_STATE_MAX] = {
        [HEALTH_HEALTHY] = "Healthy",
        [HEALTH_DEGRADED] = "Degraded",
        [HEALTH_FAILED] = "Failed",
};

DEFINE_STRING_TABLE_LOOKUP(health_state, HealthState);

static const char *const health_reason_table[_HEALTH_REASON_MAX] = {
        [HEALTH_REASON_LINK_DOWN] = "LinkDown",
        [HEALTH_REASON_DRIVER_UNBOUND] = "DriverUnbound",
        [HEALTH_REASON_RECOVERY_FAILED] = "RecoveryFailed",
        [HEALTH_REASON_RECOVERING] = "Recovering",
        [HEALTH_REASON_AER_ERRORS] = "AerErrors",
        [HEALTH_REASON_PCIE_LINK_DEGRADED] = "PcieLinkDegraded",
        [HEALTH_REASON_PCIE_OVERSUBSCRIBED] = "PcieOversubscribed",
        [HEALTH_REASON_DEVLINK_REPORTER] = "DevlinkReporterError",
        [HEALTH_REASON_FLAPPING] = "Flapping",
};

DEFINE_STRING_TABLE_LOOKUP(health_reason, HealthReason);

HealthState health_reason_severity(HealthReason r) {
        switch (r) {
        case HEALTH_REASON_LINK_DOWN:
        case HEALTH_REASON_DRIVER_UNBOUND:
        case HEALTH_REASON_RECOVERY_FAILED:
                return HEALTH_FAILED;
        default:
                return HEALTH_DEGRADED;
        }
}

void health_settings_defaults(HealthSettings *s) {
        *s = (HealthSettings){
                .flap_count = 5,
                .flap_window_s = 600,
                .quarantine_stable_s = 300,
                .link_down_debounce_ms = 50,
                .reset_grace_s = 10,
        };
}

/* ---- records ---------------------------------------------------------------------------- */

static void record(PfHealth *h, uint64_t real, const char *kind, const char *fmt, ...) _printf_(4, 5);
static void record(PfHealth *h, uint64_t real, const char *kind, const char *fmt, ...) {
        HealthEventRecord *e;
        va_list ap;

        if (h->n_events < HEALTH_EVENTS_MAX)
                e = &h->events[(h->events_head + h->n_events++) % HEALTH_EVENTS_MAX];
        else {
                e = &h->events[h->events_head];
                h->events_head = (h->events_head + 1) % HEALTH_EVENTS_MAX;
        }
        e->realtime_usec = real;
        e->kind = kind;
        va_start(ap, fmt);
        vsnprintf(e->detail, sizeof e->detail, fmt, ap);
        va_end(ap);
}

void pf_health_foreach_event(const PfHealth *h, HealthEventVisitor fn, void *userdata) {
        for (size_t i = 0; i < h->n_events; i++)
                fn(&h->events[(h->events_head + i) % HEALTH_EVENTS_MAX], userdata);
}

/* "2.5 GT/s", "16.0 GT/s" */
static const char *speed_text(uint32_t mts, char buf[static 24]) {
        if (mts == 0)
                return "unknown speed";
        snprintf(buf, 24, "%" PRIu32 ".%" PRIu32 " GT/s", mts / 1000, (mts % 1000) / 100);
        return buf;
}

static const char *encoding_text(uint32_t mts) {
        return mts < 8000 ? "8b/10b" : mts < 64000 ? "128b/130b" : "FLIT 242/256";
}

/* ---- life -------------------------------------------------------------------------------- */

int pf_health_init(PfHealth *h, const HealthSettings *s, HealthNow now) {
        *h = (PfHealth){ .settings = *s, .bound = -1, .link = PF_LINK_FACTS_UNKNOWN, .aer = PF_AER_FACTS_UNKNOWN,
                         .state = HEALTH_HEALTHY, .state_since_real = now.real };
        h->changes_cap = (size_t) s->flap_count + 1;
        h->changes = calloc(h->changes_cap, sizeof(uint64_t));
        return h->changes ? 0 : -ENOMEM;
}

void pf_health_done(PfHealth *h) {
        h->changes = mfree(h->changes);
        h->n_changes = h->changes_cap = 0;
}

static uint64_t change_at(const PfHealth *h, size_t i) {
        return h->changes[(h->changes_head + i) % h->changes_cap];
}

static void push_change(PfHealth *h, uint64_t t) {
        if (h->n_changes < h->changes_cap)
                h->changes[(h->changes_head + h->n_changes++) % h->changes_cap] = t;
        else {
                h->changes[h->changes_head] = t;
                h->changes_head = (h->changes_head + 1) % h->changes_cap;
        }
}

static bool evaluate(PfHealth *h, HealthNow now);

int pf_health_set_settings(PfHealth *h, const HealthSettings *s, HealthNow now) {
        size_t cap = (size_t) s->flap_count + 1;
        if (cap != h->changes_cap) {
                uint64_t *v = calloc(cap, sizeof(uint64_t));
                if (!v)
                        return -ENOMEM;
                /* the newest changes that fit */
                size_t keep = MIN(h->n_changes, cap);
                for (size_t i = 0; i < keep; i++)
                        v[i] = change_at(h, h->n_changes - keep + i);
                free(h->changes);
                h->changes = v;
                h->changes_cap = cap;
                h->changes_head = 0;
                h->n_changes = keep;
        }
        h->settings = *s;
        (void) evaluate(h, now);
        return 0;
}

/* ---- judging ------------------------------------------------------------------------------ */

static bool link_down(const PfHealth *h) {
        const PfLinkFacts *l = &h->link;
        if (h->bound == 0)
                return false; /* no netdev: DriverUnbound says it */
        return l->admin_up == 0 || l->carrier == 0 || l->operstate == PF_OPER_DOWN ||
               l->operstate == PF_OPER_LOWERLAYERDOWN || l->operstate == PF_OPER_NOTPRESENT;
}

static size_t changes_within(const PfHealth *h, uint64_t now, uint64_t window) {
        size_t n = 0;
        for (size_t i = 0; i < h->n_changes; i++) {
                uint64_t t = change_at(h, i);
                if (t <= now && now - t < window)
                        n++;
        }
        return n;
}

static bool pcie_degraded(const PfPcieFacts *p) {
        return p->cur_speed_mts && p->max_speed_mts && p->cur_width && p->max_width &&
               (p->cur_speed_mts < p->max_speed_mts || p->cur_width < p->max_width);
}

static bool pcie_oversubscribed(const PfPcieFacts *p) {
        uint64_t slot = pcie_link_mbps(p->cur_speed_mts, p->cur_width);
        return slot > 0 && p->ports_mbps > slot;
}

static bool reporter_error(const PfHealth *h) {
        for (size_t i = 0; i < h->n_reporters; i++)
                if (h->reporters[i].error)
                        return true;
        return false;
}

static uint64_t window_usec(unsigned s) {
        return (uint64_t) s * USEC_PER_SEC;
}

/* Since when a link that is down counts: the later of when it went down and the end of an
 * expected reset's grace (UINT64_MAX while a reset runs). */
static uint64_t judged_from(const PfHealth *h) {
        if (h->reset_until == UINT64_MAX)
                return UINT64_MAX;
        return MAX(h->link_down_since, h->reset_until);
}

/* The reasons that hold at `now`, as bits. */
static unsigned reasons_mask(const PfHealth *h, uint64_t now) {
        unsigned m = 0;

        if (h->bound == 0)
                m |= 1u << HEALTH_REASON_DRIVER_UNBOUND;
        if (link_down(h) && h->link_down_since && judged_from(h) != UINT64_MAX &&
            now >= judged_from(h) + (uint64_t) h->settings.link_down_debounce_ms * USEC_PER_MSEC)
                m |= 1u << HEALTH_REASON_LINK_DOWN;
        if (h->recovery_failed)
                m |= 1u << HEALTH_REASON_RECOVERY_FAILED;
        if (h->recovering)
                m |= 1u << HEALTH_REASON_RECOVERING;
        if (h->aer_increase_at && now < h->aer_increase_at + window_usec(h->settings.flap_window_s))
                m |= 1u << HEALTH_REASON_AER_ERRORS;
        if (h->bound != 0 && pcie_degraded(&h->pcie))
                m |= 1u << HEALTH_REASON_PCIE_LINK_DEGRADED;
        if (h->bound != 0 && pcie_oversubscribed(&h->pcie))
                m |= 1u << HEALTH_REASON_PCIE_OVERSUBSCRIBED;
        if (h->bound != 0 && reporter_error(h))
                m |= 1u << HEALTH_REASON_DEVLINK_REPORTER;
        if (h->quarantined)
                m |= 1u << HEALTH_REASON_FLAPPING;
        return m;
}

static HealthState state_of(unsigned mask) {
        HealthState s = HEALTH_HEALTHY;
        for (int r = 0; r < _HEALTH_REASON_MAX; r++)
                if ((mask & (1u << r)) && health_reason_severity((HealthReason) r) > s)
                        s = health_reason_severity((HealthReason) r);
        return s;
}

static void reason_names(unsigned mask, char *buf, size_t n) {
        size_t k = 0;
        buf[0] = 0;
        for (int r = 0; r < _HEALTH_REASON_MAX && k + 1 < n; r++)
                if (mask & (1u << r)) {
                        int w = snprintf(buf + k, n - k, "%s%s", k ? ", " : "", health_reason_to_string((HealthReason) r));
                        if (w < 0)
                                break;
                        k = MIN(k + (size_t) w, n - 1);
                }
}

/* Quarantine in and out, then the state from the reasons. True when either changed. */
static bool evaluate(PfHealth *h, HealthNow now) {
        bool was_quarantined = h->quarantined;
        const HealthSettings *s = &h->settings;

        if (h->quarantined && !link_down(h) && h->bound != 0 && h->last_change &&
            now.mono >= h->last_change + window_usec(s->quarantine_stable_s)) {
                h->quarantined = false;
                h->n_changes = h->changes_head = 0; /* the count starts afresh */
                record(h, now.real, "quarantine", "quarantine lifted: the link has been stable for %u s",
                       s->quarantine_stable_s);
        }
        if (!h->quarantined) {
                size_t n = changes_within(h, now.mono, window_usec(s->flap_window_s));
                if (n > s->flap_count) {
                        h->quarantined = true;
                        h->quarantined_at = now.mono;
                        h->counters.quarantines++;
                        record(h, now.real, "quarantine", "quarantined: %zu carrier changes within %u s (more than %u)",
                               n, s->flap_window_s, s->flap_count);
                }
        }

        unsigned mask = reasons_mask(h, now.mono);
        HealthState st = state_of(mask);
        bool changed = st != h->state;
        h->reasons = mask;
        if (changed) {
                char names[160];
                reason_names(mask, names, sizeof names);
                record(h, now.real, "state", "%s -> %s%s%s", health_state_to_string(h->state),
                       health_state_to_string(st), names[0] ? ": " : "", names);
                h->state = st;
                h->state_since_real = now.real;
        }
        return changed || was_quarantined != h->quarantined;
}

static void clear_passed(PfHealth *h, uint64_t now);

bool pf_health_tick(PfHealth *h, HealthNow now) {
        bool changed = evaluate(h, now);
        clear_passed(h, now.mono);
        return changed;
}

uint64_t pf_health_next_deadline(const PfHealth *h) {
        uint64_t d = UINT64_MAX;
        const HealthSettings *s = &h->settings;

        if (link_down(h) && h->link_down_since && !(h->reasons & (1u << HEALTH_REASON_LINK_DOWN)) &&
            judged_from(h) != UINT64_MAX)
                d = MIN(d, judged_from(h) + (uint64_t) s->link_down_debounce_ms * USEC_PER_MSEC);
        if (h->quarantined && !link_down(h) && h->bound != 0 && h->last_change)
                d = MIN(d, h->last_change + window_usec(s->quarantine_stable_s));
        if (h->aer_increase_at)
                d = MIN(d, h->aer_increase_at + window_usec(s->flap_window_s));
        return d;
}

/* Only deadlines still ahead matter: a passed one has been judged (the reason holds, or
 * the quarantine is lifted), so the caller's timer does not fire again for it. */
static void clear_passed(PfHealth *h, uint64_t now) {
        if (h->aer_increase_at && now >= h->aer_increase_at + window_usec(h->settings.flap_window_s))
                h->aer_increase_at = 0;
}

bool pf_health_reset_begin(PfHealth *h, HealthNow now) {
        if (h->reset_until != UINT64_MAX)
                h->counters.resets++;
        h->reset_until = UINT64_MAX;
        record(h, now.real, "reset", "accelnet writes sriov_numvfs: link changes are part of the reset");
        return evaluate(h, now);
}

bool pf_health_reset_end(PfHealth *h, HealthNow now) {
        if (h->reset_until != UINT64_MAX)
                return false;
        h->reset_until = MAX(now.mono + window_usec(h->settings.reset_grace_s), 1);
        return evaluate(h, now);
}

bool pf_health_accepts_new_vfs(const PfHealth *h) {
        return h->state != HEALTH_FAILED && !h->quarantined;
}

/* ---- inputs --------------------------------------------------------------------------------- */

static void link_detail(const PfLinkFacts *l, char *buf, size_t n) {
        char cc[32] = "unknown";
        if (l->carrier_changes >= 0)
                snprintf(cc, sizeof cc, "%" PRId64, l->carrier_changes);
        snprintf(buf, n, "carrier %s, operstate %s%s, carrier changes %s",
                 l->carrier < 0 ? "unknown" : l->carrier ? "1" : "0", pf_oper_state_to_string(l->operstate),
                 l->admin_up == 0 ? ", administratively down" : "", cc);
}

/* Takes new link facts; counts carrier changes unless this is the baseline. */
static void apply_link(PfHealth *h, const PfLinkFacts *l, HealthNow now, bool baseline) {
        uint64_t delta = 0;
        bool was_down = link_down(h);

        if (l->carrier_changes >= 0 && h->link.carrier_changes >= 0) {
                if (l->carrier_changes > h->link.carrier_changes)
                        delta = (uint64_t) (l->carrier_changes - h->link.carrier_changes);
                /* lower: a new netdev (driver reload) counts afresh */
        } else if (l->carrier >= 0 && h->link.carrier >= 0 && l->carrier != h->link.carrier)
                delta = 1;
        if (l->carrier_changes >= 0)
                h->counters.carrier_changes = (uint64_t) l->carrier_changes;
        h->link = *l;
        if (!baseline && delta > 0) {
                h->counters.carrier_changes_seen += delta;
                h->last_change = MAX(now.mono, 1);
                /* changes of accelnet's own reset are no flapping */
                if (!h->reset_until || (h->reset_until != UINT64_MAX && now.mono >= h->reset_until))
                        for (uint64_t i = 0; i < MIN(delta, (uint64_t) h->changes_cap); i++)
                                push_change(h, now.mono);
        }
        bool down = link_down(h);
        if (down && (!was_down || (!baseline && delta > 0) || !h->link_down_since))
                h->link_down_since = MAX(now.mono, 1); /* a bounce within one message starts the debounce again */
        else if (!down)
                h->link_down_since = 0;
}

static void apply_aer(PfHealth *h, const PfAerFacts *a, HealthNow now, bool baseline) {
        const int64_t nv[3] = { a->correctable, a->nonfatal, a->fatal };
        int64_t *ov[3] = { &h->aer.correctable, &h->aer.nonfatal, &h->aer.fatal };
        uint64_t *cv[3] = { &h->counters.aer_correctable, &h->counters.aer_nonfatal, &h->counters.aer_fatal };

        for (int i = 0; i < 3; i++) {
                if (nv[i] < 0)
                        continue;
                /* counters that appear later (unknown before) count from 0 */
                if (!baseline && nv[i] > MAX(*ov[i], 0))
                        h->aer_increase_at = MAX(now.mono, 1);
                *ov[i] = nv[i];
                *cv[i] = (uint64_t) nv[i];
        }
}

static void aer_detail(const PfAerFacts *a, char *buf, size_t n) {
        if (a->correctable < 0 && a->nonfatal < 0 && a->fatal < 0) {
                snprintf(buf, n, "AER counters not available");
                return;
        }
        snprintf(buf, n, "AER correctable %" PRId64 ", non-fatal %" PRId64 ", fatal %" PRId64, a->correctable,
                 a->nonfatal, a->fatal);
}

static void apply_pcie(PfHealth *h, const PfPcieFacts *p) {
        h->pcie = *p;
}

static void pcie_detail(const PfPcieFacts *p, char *buf, size_t n) {
        char a[24], b[24];
        snprintf(buf, n, "PCIe link %s x%" PRIu32 " of %s x%" PRIu32 "; ports %" PRIu64 " Mb/s (%u)",
                 speed_text(p->cur_speed_mts, a), p->cur_width, speed_text(p->max_speed_mts, b), p->max_width,
                 p->ports_mbps, p->n_ports);
}

static void apply_reporter(PfHealth *h, const PfReporterFacts *r) {
        PfReporterFacts *slot = NULL;
        for (size_t i = 0; i < h->n_reporters && !slot; i++)
                if (streq(h->reporters[i].name, r->name))
                        slot = &h->reporters[i];
        if (!slot && h->n_reporters < HEALTH_REPORTERS_MAX)
                slot = &h->reporters[h->n_reporters++];
        if (!slot)
                return; /* more reporters than tracked: a driver with that many is not seen */
        *slot = *r;
        slot->name[sizeof slot->name - 1] = 0;
        uint64_t sum = 0;
        for (size_t i = 0; i < h->n_reporters; i++)
                sum += h->reporters[i].error_count;
        h->counters.devlink_errors = sum;
}

bool pf_health_facts(PfHealth *h, const PfHealthFacts *f, HealthNow now) {
        bool baseline = !h->watched;
        char d[HEALTH_EVENT_DETAIL_MAX];

        h->bound = f->bound;
        if (f->bound > 0) {
                snprintf(h->driver, sizeof h->driver, "%s", f->driver);
                h->recovery_failed = false; /* a driver bound afresh: the device is back */
        }
        apply_link(h, &f->link, now, baseline);
        apply_aer(h, &f->aer, now, baseline);
        apply_pcie(h, &f->pcie);
        h->watched = true;
        if (baseline) {
                link_detail(&f->link, d, sizeof d);
                record(h, now.real, "watch", "%s%s%s; %s", f->bound > 0 ? "driver " : f->bound == 0 ? "no driver" : "driver unknown",
                       f->bound > 0 ? h->driver : "", f->bound > 0 ? " bound" : "", d);
        }
        return evaluate(h, now);
}

bool pf_health_event(PfHealth *h, const PfEvent *ev, HealthNow now) {
        const char *kind = pf_event_kind_to_string(ev->kind);
        uint64_t real = ev->realtime_usec ? ev->realtime_usec : now.real;
        char d[HEALTH_EVENT_DETAIL_MAX];

        if (!kind)
                return false;
        switch (ev->kind) {
        case PF_EVENT_LINK:
                if (h->bound == 0)
                        h->bound = 1; /* a netdev reports: a driver is bound */
                apply_link(h, &ev->link, now, !h->watched);
                h->watched = true;
                link_detail(&ev->link, d, sizeof d);
                record(h, real, kind, "%s", d);
                break;
        case PF_EVENT_DRIVER_BOUND:
                h->bound = 1;
                snprintf(h->driver, sizeof h->driver, "%s", ev->driver);
                h->recovery_failed = false;
                h->recovering = false;
                record(h, real, kind, "driver %s bound", ev->driver[0] ? ev->driver : "(unknown)");
                break;
        case PF_EVENT_DRIVER_UNBOUND:
                if (h->bound != 0)
                        h->counters.driver_unbinds++;
                h->bound = 0;
                h->link = PF_LINK_FACTS_UNKNOWN;
                h->link_down_since = 0;
                h->recovering = false;
                record(h, real, kind, "driver %s unbound", h->driver[0] ? h->driver : "(unknown)");
                break;
        case PF_EVENT_RECOVERY_BEGIN:
                h->recovering = true;
                h->counters.recoveries++;
                apply_aer(h, &ev->aer, now, false);
                aer_detail(&ev->aer, d, sizeof d);
                record(h, real, kind, "PCI error recovery begun; %s", d);
                break;
        case PF_EVENT_RECOVERY_SUCCESS:
                h->recovering = false;
                h->recovery_failed = false;
                apply_aer(h, &ev->aer, now, false);
                apply_pcie(h, &ev->pcie);
                aer_detail(&ev->aer, d, sizeof d);
                record(h, real, kind, "PCI error recovery succeeded; %s", d);
                break;
        case PF_EVENT_RECOVERY_FAILED:
                h->recovering = false;
                h->recovery_failed = true;
                h->counters.recoveries_failed++;
                apply_aer(h, &ev->aer, now, false);
                aer_detail(&ev->aer, d, sizeof d);
                record(h, real, kind, "PCI error recovery failed; %s", d);
                break;
        case PF_EVENT_PCIE_LINK:
                apply_pcie(h, &ev->pcie);
                pcie_detail(&ev->pcie, d, sizeof d);
                record(h, real, kind, "%s", d);
                break;
        case PF_EVENT_DEVLINK_REPORTER:
                apply_reporter(h, &ev->reporter);
                record(h, real, kind, "reporter %.31s: %s (errors %" PRIu64 ", recoveries %" PRIu64 ")",
                       ev->reporter.name, ev->reporter.error ? "error" : "healthy", ev->reporter.error_count,
                       ev->reporter.recover_count);
                break;
        default:
                return false;
        }
        bool changed = evaluate(h, now);
        clear_passed(h, now.mono);
        return changed;
}

/* ---- reasons ------------------------------------------------------------------------------ */

static void set_row(HealthReasonRow *row, HealthReason code) {
        *row = (HealthReasonRow){ .code = code };
}

size_t pf_health_reasons(const PfHealth *h, HealthNow now, const char *address, const char *ifname,
                         HealthReasonRow *ret, size_t max) {
        unsigned mask = reasons_mask(h, now.mono);
        const char *name = ifname && *ifname ? ifname : address;
        const HealthSettings *s = &h->settings;
        size_t n = 0;
        char a[24], b[24];

        /* worst first: the Failed reasons, then the Degraded ones, each in table order */
        for (int pass = 0; pass < 2; pass++)
                for (int r = 0; r < _HEALTH_REASON_MAX && n < max; r++) {
                        if (!(mask & (1u << r)) ||
                            (health_reason_severity((HealthReason) r) == HEALTH_FAILED) != (pass == 0))
                                continue;
                        HealthReasonRow *row = &ret[n++];
                        set_row(row, (HealthReason) r);
                        switch ((HealthReason) r) {
                        case HEALTH_REASON_LINK_DOWN: {
                                uint64_t secs = now.mono > h->link_down_since ? (now.mono - h->link_down_since) / USEC_PER_SEC : 0;
                                if (h->link.admin_up == 0) {
                                        snprintf(row->evidence, sizeof row->evidence,
                                                 "%s (%s) is administratively down (for %" PRIu64 " s).", name, address, secs);
                                        snprintf(row->remedy, sizeof row->remedy,
                                                 "Bring it up (ip link set %s up); VMs on its VFs use their virtio path "
                                                 "meanwhile.", name);
                                } else {
                                        snprintf(row->evidence, sizeof row->evidence,
                                                 "%s (%s) has no link: carrier %s, operstate %s, for %" PRIu64
                                                 " s; %" PRIu64 " carrier changes in all.", name, address,
                                                 h->link.carrier < 0 ? "unknown" : h->link.carrier ? "1" : "0",
                                                 pf_oper_state_to_string(h->link.operstate), secs,
                                                 h->counters.carrier_changes);
                                        snprintf(row->remedy, sizeof row->remedy,
                                                 "Check the cable, the transceiver and the switch port of %s; VMs on its "
                                                 "VFs use their virtio path meanwhile.", name);
                                }
                                break;
                        }
                        case HEALTH_REASON_DRIVER_UNBOUND:
                                snprintf(row->evidence, sizeof row->evidence, "No driver is bound to %s%s%s%s.", address,
                                         h->driver[0] ? " (it was " : "", h->driver, h->driver[0] ? ")" : "");
                                if (h->driver[0])
                                        snprintf(row->remedy, sizeof row->remedy,
                                                 "Bind it again: modprobe %s, or echo %s > "
                                                 "/sys/bus/pci/drivers/%s/bind.", h->driver, address, h->driver);
                                else
                                        snprintf(row->remedy, sizeof row->remedy,
                                                 "Load the adapter's PF driver (lspci -k -s %s names the candidates).",
                                                 address);
                                break;
                        case HEALTH_REASON_RECOVERY_FAILED:
                                snprintf(row->evidence, sizeof row->evidence,
                                         "PCI error recovery of %s failed (%" PRIu64 " of %" PRIu64 " recoveries failed; AER "
                                         "non-fatal %" PRIu64 ", fatal %" PRIu64 "): the device is offline.", address,
                                         h->counters.recoveries_failed, h->counters.recoveries, h->counters.aer_nonfatal,
                                         h->counters.aer_fatal);
                                snprintf(row->remedy, sizeof row->remedy,
                                         "Read the kernel's AER messages (journalctl -k), reseat or replace the adapter; "
                                         "rebinding its driver or a reboot brings it back.");
                                break;
                        case HEALTH_REASON_RECOVERING:
                                snprintf(row->evidence, sizeof row->evidence,
                                         "PCI error recovery of %s is in progress (recovery %" PRIu64 ").", address,
                                         h->counters.recoveries);
                                snprintf(row->remedy, sizeof row->remedy,
                                         "Wait for it to finish; if it fails the adapter becomes Failed.");
                                break;
                        case HEALTH_REASON_AER_ERRORS:
                                snprintf(row->evidence, sizeof row->evidence,
                                         "AER errors of %s rose within the last %u s: correctable %" PRIu64 ", non-fatal %"
                                         PRIu64 ", fatal %" PRIu64 " (totals since boot).", address, s->flap_window_s,
                                         h->counters.aer_correctable, h->counters.aer_nonfatal, h->counters.aer_fatal);
                                snprintf(row->remedy, sizeof row->remedy,
                                         "Read the kernel's AER messages (journalctl -k); reseat the adapter or move it to "
                                         "another slot, and update its firmware.");
                                break;
                        case HEALTH_REASON_PCIE_LINK_DEGRADED:
                                snprintf(row->evidence, sizeof row->evidence,
                                         "The PCIe link of %s runs at %s x%" PRIu32 ", below the %s x%" PRIu32
                                         " it is capable of.", address, speed_text(h->pcie.cur_speed_mts, a),
                                         h->pcie.cur_width, speed_text(h->pcie.max_speed_mts, b), h->pcie.max_width);
                                snprintf(row->remedy, sizeof row->remedy,
                                         "Reseat the adapter in a slot wired for x%" PRIu32 ", check riser cables and the "
                                         "firmware's PCIe speed setting.", h->pcie.max_width);
                                break;
                        case HEALTH_REASON_PCIE_OVERSUBSCRIBED:
                                snprintf(row->evidence, sizeof row->evidence,
                                         "The link speeds of the %u port(s) of %s's adapter add up to %" PRIu64
                                         " Mb/s, more than its PCIe link carries: %" PRIu64 " Mb/s (%s x%" PRIu32
                                         ", %s).", h->pcie.n_ports, address, h->pcie.ports_mbps,
                                         pcie_link_mbps(h->pcie.cur_speed_mts, h->pcie.cur_width),
                                         speed_text(h->pcie.cur_speed_mts, a), h->pcie.cur_width,
                                         encoding_text(h->pcie.cur_speed_mts));
                                snprintf(row->remedy, sizeof row->remedy,
                                         "Move the adapter to a slot with more lanes or a newer PCIe generation, or run "
                                         "fewer ports at full speed.");
                                break;
                        case HEALTH_REASON_DEVLINK_REPORTER: {
                                const PfReporterFacts *rep = NULL;
                                for (size_t i = 0; i < h->n_reporters && !rep; i++)
                                        if (h->reporters[i].error)
                                                rep = &h->reporters[i];
                                snprintf(row->evidence, sizeof row->evidence,
                                         "The devlink health reporter '%.31s' of pci/%s is in error (%" PRIu64
                                         " errors, %" PRIu64 " recoveries).", rep ? rep->name : "?", address,
                                         rep ? rep->error_count : 0, rep ? rep->recover_count : 0);
                                snprintf(row->remedy, sizeof row->remedy,
                                         "devlink health diagnose pci/%s reporter %.31s; then devlink health recover, or "
                                         "reload the driver.", address, rep ? rep->name : "?");
                                break;
                        }
                        case HEALTH_REASON_FLAPPING: {
                                uint64_t stable = h->last_change && now.mono > h->last_change && !link_down(h)
                                                          ? (now.mono - h->last_change) / USEC_PER_SEC : 0;
                                snprintf(row->evidence, sizeof row->evidence,
                                         "%s's link changed more than %u times within %u s (%" PRIu64 " changes seen): "
                                         "quarantined; stable for %" PRIu64 " of %u s.", name, s->flap_count,
                                         s->flap_window_s, h->counters.carrier_changes_seen, stable,
                                         s->quarantine_stable_s);
                                snprintf(row->remedy, sizeof row->remedy,
                                         "No new VFs go to %s until its link stays up for %u s; check the cable, the "
                                         "transceiver and the switch port (errors, autonegotiation).", name,
                                         s->quarantine_stable_s);
                                break;
                        }
                        default:
                                break;
                        }
                }
        return n;
}

void pf_health_counter_rows(const PfHealth *h, HealthCounterRow ret[static HEALTH_COUNTERS_N]) {
        const HealthCounters *c = &h->counters;
        HealthCounterRow rows[HEALTH_COUNTERS_N] = {
                { "carrier_changes", c->carrier_changes },
                { "carrier_changes_seen", c->carrier_changes_seen },
                { "aer_correctable", c->aer_correctable },
                { "aer_nonfatal", c->aer_nonfatal },
                { "aer_fatal", c->aer_fatal },
                { "recoveries", c->recoveries },
                { "recoveries_failed", c->recoveries_failed },
                { "driver_unbinds", c->driver_unbinds },
                { "quarantines", c->quarantines },
                { "devlink_errors", c->devlink_errors },
                { "resets", c->resets },
        };
        memcpy(ret, rows, sizeof rows);
}
