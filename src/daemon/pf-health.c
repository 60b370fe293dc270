/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Each adapter's health (pf-health.h): monitor events in, states, quarantine and their
 * effects out. */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "pf-health.h"
#include "pf.h"
#include "policy/config.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strutil.h"
#include "sriov/monitor.h"

#define HEALTH_TIMER_ACCURACY_USEC 1000ULL
#define MIN(a, b) ((a) < (b) ? (a) : (b))

HealthNow health_now(void) {
        struct timespec rt, mt;
        clock_gettime(CLOCK_REALTIME, &rt);
        clock_gettime(CLOCK_MONOTONIC, &mt);
        return (HealthNow){ .real = (uint64_t) rt.tv_sec * 1000000ULL + (uint64_t) rt.tv_nsec / 1000,
                            .mono = (uint64_t) mt.tv_sec * 1000000ULL + (uint64_t) mt.tv_nsec / 1000 };
}

bool pf_accepts_new_vfs(const Pf *pf) {
        return !pf->health_ready || pf_health_accepts_new_vfs(&pf->health);
}

static const char *pf_name(const Pf *pf) {
        return pf->ifname ? pf->ifname : pf->address;
}

/* ---- the one timer ---------------------------------------------------------------------- */

static int on_health_timer(sd_event_source *s, uint64_t usec, void *userdata);

static void arm_timer(Manager *m) {
        uint64_t next = UINT64_MAX;
        for (size_t i = 0; i < m->n_pfs; i++)
                if (m->pfs[i]->health_ready)
                        next = MIN(next, pf_health_next_deadline(&m->pfs[i]->health));
        if (next == UINT64_MAX) {
                if (m->health_timer)
                        (void) sd_event_source_set_enabled(m->health_timer, SD_EVENT_OFF);
                return;
        }
        if (!m->health_timer) {
                if (sd_event_add_time(m->event, &m->health_timer, CLOCK_MONOTONIC, next, HEALTH_TIMER_ACCURACY_USEC,
                                      on_health_timer, m) < 0) {
                        log_warning("Cannot arm the health timer: health deadlines are judged at the next event.");
                        return;
                }
                (void) sd_event_source_set_description(m->health_timer, "health-deadline");
                return;
        }
        (void) sd_event_source_set_time(m->health_timer, next);
        (void) sd_event_source_set_enabled(m->health_timer, SD_EVENT_ONESHOT);
}

static void judge(Manager *m, Pf *pf, HealthState before, bool was_quarantined, bool changed) {
        if (changed && (pf->health.state != before || pf->health.quarantined != was_quarantined))
                manager_pf_health_changed(m, pf, before, was_quarantined);
}

static int on_health_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        HealthNow now = health_now();
        for (size_t i = 0; i < m->n_pfs; i++) {
                Pf *pf = m->pfs[i];
                if (!pf->health_ready)
                        continue;
                HealthState before = pf->health.state;
                bool q = pf->health.quarantined;
                judge(m, pf, before, q, pf_health_tick(&pf->health, now));
        }
        arm_timer(m);
        return 0;
}

/* ---- watching ----------------------------------------------------------------------------- */

/* Reads the adapter's facts (again) into its health. */
static bool read_facts(Manager *m, Pf *pf, HealthNow now) {
        PfHealthFacts f;
        int r = pf_monitor_read(m->monitor, pf->address, &f);
        if (r < 0) {
                log_debug_errno(r, "PF %s: cannot read its health facts: %m", pf->address);
                return false;
        }
        return pf_health_facts(&pf->health, &f, now);
}

static void watch(Manager *m, Pf *pf, HealthNow now) {
        int r;
        if (!pf->present)
                return;
        r = pf_monitor_watch(m->monitor, pf->address, pf->ifname);
        if (r < 0) {
                log_warning_errno(r, "PF %s: not watched for health events: %m", pf->address);
                return;
        }
        if (pf->health_ready)
                return;
        r = pf_health_init(&pf->health, &m->config->settings.health, now);
        if (r < 0) {
                log_oom();
                return;
        }
        pf->health_ready = true;
        (void) read_facts(m, pf, now);
        log_struct(pf->health.state == HEALTH_HEALTHY ? LOG_INFO : LOG_WARNING, NULL, pf->address, NULL, NULL,
                   "PF %s (%s): health %s at start.", pf->address, strempty(pf->ifname),
                   health_state_to_string(pf->health.state));
        if (pf->health.state != HEALTH_HEALTHY)
                manager_dirty(m, DIRTY_PROPERTIES);
}

void manager_health_sync_pfs(Manager *m) {
        if (!m->monitor)
                return;
        HealthNow now = health_now();
        for (size_t i = 0; i < m->n_pfs; i++)
                watch(m, m->pfs[i], now);
        arm_timer(m);
}

void manager_health_settings_changed(Manager *m) {
        HealthNow now = health_now();
        for (size_t i = 0; m->config && i < m->n_pfs; i++) {
                Pf *pf = m->pfs[i];
                if (!pf->health_ready)
                        continue;
                HealthState before = pf->health.state;
                bool q = pf->health.quarantined;
                if (pf_health_set_settings(&pf->health, &m->config->settings.health, now) < 0) {
                        log_oom();
                        continue;
                }
                judge(m, pf, before, q, true);
        }
        arm_timer(m);
}

/* Our own sriov_numvfs write begins or ends (pf_health_reset_begin/_end): judged like an event. */
static void reset_step(Manager *m, Pf *pf, bool (*step)(PfHealth *h, HealthNow now)) {
        if (!pf->health_ready)
                return;
        HealthState before = pf->health.state;
        bool q = pf->health.quarantined;
        judge(m, pf, before, q, step(&pf->health, health_now()));
        arm_timer(m);
}

void manager_health_reset_begin(Manager *m, Pf *pf) {
        reset_step(m, pf, pf_health_reset_begin);
}

void manager_health_reset_end(Manager *m, Pf *pf) {
        reset_step(m, pf, pf_health_reset_end);
}

/* ---- events ------------------------------------------------------------------------------- */

static void on_pf_event(void *userdata, const PfEvent *ev) {
        Manager *m = userdata;
        Pf *pf = manager_find_pf(m, ev->pf);
        HealthNow now = health_now();

        if (!pf || !pf->health_ready)
                return;
        HealthState before = pf->health.state;
        bool q = pf->health.quarantined;
        bool changed = pf_health_event(&pf->health, ev, now);
        log_debug("PF %s: %s event%s.", pf->address, pf_event_kind_to_string(ev->kind), changed ? " changed its health" : "");

        if (ev->kind == PF_EVENT_DRIVER_BOUND || ev->kind == PF_EVENT_DRIVER_UNBOUND) {
                /* The host's facts change with the driver (the verdict, the netdev, the VFs): read
                 * them now rather than at the next refresh, and re-provision a PF that came back
                 * without its VFs. */
                if (ev->kind == PF_EVENT_DRIVER_BOUND)
                        changed = read_facts(m, pf, now) || changed;
                if (!m->management_op && manager_refresh(m) >= 0) {
                        pf = manager_find_pf(m, ev->pf); /* still the same object; found again for clarity */
                        manager_provision_plan(m, ev->kind == PF_EVENT_DRIVER_BOUND ? "PF driver bound" : "PF driver unbound");
                        m->reconcile_wanted = true;
                        manager_dirty(m, DIRTY_PROPERTIES);
                }
                if (!pf)
                        return;
        }
        if (changed && (pf->health.state != before || pf->health.quarantined != q))
                log_debug("PF %s: event to state change in %" PRIu64 " us.", pf->address,
                          now.mono > ev->monotonic_usec ? now.mono - ev->monotonic_usec : 0);
        judge(m, pf, before, q, changed);
        arm_timer(m);
}

int manager_health_start(Manager *m) {
        int r = pf_monitor_new(m->backend, m->event, m->root, on_pf_event, m, &m->monitor);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the PF monitor: %m");
        manager_health_sync_pfs(m);
        r = pf_monitor_start(m->monitor);
        if (r < 0)
                log_warning_errno(r, "No PF health events (%s): adapters' health is read at start and refreshes only.",
                                  pf_monitor_describe(m->monitor));
        else
                log_info("PF health events from %s.", pf_monitor_describe(m->monitor));
        /* what happened between the first read and the sources' opening */
        HealthNow now = health_now();
        for (size_t i = 0; i < m->n_pfs; i++) {
                Pf *pf = m->pfs[i];
                if (!pf->health_ready)
                        continue;
                HealthState before = pf->health.state;
                bool q = pf->health.quarantined;
                judge(m, pf, before, q, read_facts(m, pf, now));
        }
        arm_timer(m);
        return 0;
}

void manager_health_stop(Manager *m) {
        m->health_timer = sd_event_source_disable_unref(m->health_timer);
        m->monitor = pf_monitor_free(m->monitor);
}

/* ---- effects ------------------------------------------------------------------------------- */

static void reasons_text(const Pf *pf, HealthNow now, bool remedies, StrBuf *b) {
        HealthReasonRow rows[_HEALTH_REASON_MAX];
        size_t n = pf_health_reasons(&pf->health, now, pf->address, pf->ifname, rows, ELEMENTSOF(rows));
        for (size_t i = 0; i < n; i++) {
                strbuf_appendf(b, "%s%s: %s", i ? "; " : "", health_reason_to_string(rows[i].code), rows[i].evidence);
                if (remedies)
                        strbuf_appendf(b, " %s", rows[i].remedy);
        }
}

void manager_pf_health_changed(Manager *m, Pf *pf, HealthState before, bool was_quarantined) {
        HealthNow now = health_now();
        HealthState st = pf->health.state;
        StrBuf why = {};

        reasons_text(pf, now, false, &why);
        /* A Failed PF is out of service: its VFs are revoked from their VMs (which continue on
         * virtio and get a VF of a healthy adapter of the intent when one is free, else wait),
         * through the same revoke as a drain; back from Failed, it is in service again unless
         * the admin drained it, and the waiting VMs get its VFs. */
        if (st == HEALTH_FAILED && before != HEALTH_FAILED)
                manager_pf_revoke(m, pf, PF_REVOKE_HEALTH_FAILED, why.len ? why.s : "Failed");
        else if (st != HEALTH_FAILED && before == HEALTH_FAILED)
                manager_pf_unrevoke(m, pf, PF_REVOKE_HEALTH_FAILED);
        if (st != before)
                log_struct(st == HEALTH_FAILED ? LOG_ERR : st == HEALTH_DEGRADED ? LOG_WARNING : LOG_NOTICE,
                           MESSAGE_ID_PF_HEALTH, pf->address, NULL, NULL, "PF %s (%s): health %s -> %s%s%s", pf->address,
                           pf_name(pf), health_state_to_string(before), health_state_to_string(st), why.len ? ": " : ".",
                           strempty(why.s));
        if (pf->health.quarantined && !was_quarantined)
                log_struct(LOG_WARNING, MESSAGE_ID_PF_QUARANTINED, pf->address, NULL, NULL,
                           "PF %s (%s) quarantined: its link changed more than %u times within %u s; no new VFs on it "
                           "until it has been stable for %u s (VMs keep their VFs).", pf->address, pf_name(pf),
                           pf->health.settings.flap_count, pf->health.settings.flap_window_s,
                           pf->health.settings.quarantine_stable_s);
        else if (!pf->health.quarantined && was_quarantined)
                log_struct(LOG_NOTICE, MESSAGE_ID_PF_QUARANTINE_LIFTED, pf->address, NULL, NULL,
                           "PF %s (%s): quarantine lifted, its link has been stable for %u s.", pf->address, pf_name(pf),
                           pf->health.settings.quarantine_stable_s);
        strbuf_done(&why);

        if (m->notify.health_changed)
                m->notify.health_changed(m->notify.userdata, pf->address, health_state_to_string(st),
                                         pf->health.quarantined);

        /* Capacity follows (CapacityVFs, UsableVFs, this node's facts in a cluster), and VMs
         * waiting for a VF get one when the PF is back in service. */
        manager_dirty(m, DIRTY_PROPERTIES | DIRTY_HANDOUT);
}

/* ---- reads ----------------------------------------------------------------------------------- */

void manager_health_foreach_note(Manager *m, NoteVisitor f, void *userdata) {
        HealthNow now = health_now();
        for (size_t i = 0; i < m->n_pfs; i++) {
                Pf *pf = m->pfs[i];
                if (!pf->health_ready || !pf->present)
                        continue;
                StrBuf b = {};
                strbuf_appendf(&b, "%s: %s%s", pf_name(pf), health_state_to_string(pf->health.state),
                               pf->health.quarantined ? ", quarantined (no new VFs)" : "");
                if (pf->health.state == HEALTH_FAILED)
                        strbuf_appendf(&b, ", no new VFs");
                StrBuf r = {};
                reasons_text(pf, now, true, &r);
                if (r.len)
                        strbuf_appendf(&b, ". %s", r.s);
                else
                        strbuf_appendf(&b, ".");
                strbuf_done(&r);
                Note n = { .check = (char *) "health", .subject = pf->address, .detail = b.s ? b.s : (char *) "",
                           .result = pf->health.state == HEALTH_FAILED     ? PREREQ_FAILED
                                     : pf->health.state == HEALTH_DEGRADED ? PREREQ_WARNING
                                                                           : PREREQ_PASSED };
                f(&n, userdata);
                strbuf_done(&b);
        }
}

char *manager_health_summary(Manager *m, HealthState *ret_state) {
        HealthState worst = HEALTH_HEALTHY;
        StrBuf b = {}, q = {};

        for (size_t i = 0; i < m->n_pfs; i++) {
                Pf *pf = m->pfs[i];
                if (!pf->health_ready || !pf->present || (m->enabled && !pf->planned))
                        continue;
                if (pf->health.state > worst)
                        worst = pf->health.state;
                if (pf->health.quarantined)
                        strbuf_appendf(&q, "%s%s", q.len ? ", " : "", pf_name(pf));
        }
        strbuf_appendf(&b, "%s", health_state_to_string(worst));
        /* "Failed: ens2f0 (LinkDown); Degraded: ens1f0 (PcieLinkDegraded)" */
        for (HealthState s = HEALTH_FAILED; s > HEALTH_HEALTHY; s--) {
                bool first = true;
                for (size_t i = 0; i < m->n_pfs; i++) {
                        Pf *pf = m->pfs[i];
                        if (!pf->health_ready || !pf->present || (m->enabled && !pf->planned) || pf->health.state != s)
                                continue;
                        if (first && s == worst)
                                strbuf_appendf(&b, ": ");
                        else if (first)
                                strbuf_appendf(&b, "; %s: ", health_state_to_string(s));
                        else
                                strbuf_appendf(&b, ", ");
                        strbuf_appendf(&b, "%s (", pf_name(pf));
                        bool any = false;
                        for (int r = 0; r < _HEALTH_REASON_MAX; r++)
                                if (pf->health.reasons & (1u << r)) {
                                        strbuf_appendf(&b, "%s%s", any ? ", " : "", health_reason_to_string((HealthReason) r));
                                        any = true;
                                }
                        strbuf_appendf(&b, ")");
                        first = false;
                }
        }
        if (q.len)
                strbuf_appendf(&b, "; quarantined: %s", q.s);
        strbuf_done(&q);
        if (ret_state)
                *ret_state = worst;
        return strbuf_steal(&b);
}
