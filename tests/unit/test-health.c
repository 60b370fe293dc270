/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PF health state machine (policy/health.c) on a fake clock: every transition, the
 * debounce, flapping and quarantine, the deadlines, the reasons' texts, the ring of events,
 * and the parsing and formulas of shared/pfhealth.c. */
#include "policy/config-internal.h"
#include "policy/health.h"
#include "shared/pfhealth.h"
#include "testlib.h"

#define SEC 1000000ULL
#define MSEC 1000ULL
#define T0 (1000 * SEC)

static HealthNow at(uint64_t mono) {
        return (HealthNow){ .mono = mono, .real = mono + 1700000000ULL * SEC };
}

static PfHealthFacts healthy_facts(void) {
        PfHealthFacts f;
        pf_health_facts_init(&f);
        f.bound = 1;
        snprintf(f.driver, sizeof f.driver, "igb");
        f.link = (PfLinkFacts){ .carrier = 1, .admin_up = 1, .operstate = PF_OPER_UP, .carrier_changes = 2 };
        f.aer = (PfAerFacts){ .correctable = 4, .nonfatal = 0, .fatal = 0 };
        f.pcie = (PfPcieFacts){ .cur_speed_mts = 5000, .max_speed_mts = 5000, .cur_width = 4, .max_width = 4,
                                .ports_mbps = 2000, .n_ports = 2 };
        return f;
}

static PfEvent link_event(int carrier, int64_t changes) {
        return (PfEvent){ .kind = PF_EVENT_LINK,
                          .link = { .carrier = carrier, .admin_up = 1,
                                    .operstate = carrier ? PF_OPER_UP : PF_OPER_DOWN, .carrier_changes = changes } };
}

static void start(PfHealth *h, const HealthSettings *s) {
        PfHealthFacts f = healthy_facts();
        CHECK_INT(pf_health_init(h, s, at(T0)), 0);
        CHECK(!pf_health_facts(h, &f, at(T0)));
        CHECK_INT(h->state, HEALTH_HEALTHY);
}

static bool has_reason(const PfHealth *h, uint64_t now, HealthReason code) {
        HealthReasonRow rows[_HEALTH_REASON_MAX];
        size_t n = pf_health_reasons(h, at(now), "0000:01:00.0", "ens1f0", rows, ELEMENTSOF(rows));
        for (size_t i = 0; i < n; i++)
                if (rows[i].code == code)
                        return true;
        return false;
}

TEST(string_tables) {
        for (int i = 0; i < _HEALTH_STATE_MAX; i++)
                CHECK_INT(health_state_from_string(health_state_to_string(i)), i);
        for (int i = 0; i < _HEALTH_REASON_MAX; i++)
                CHECK_INT(health_reason_from_string(health_reason_to_string(i)), i);
        for (int i = 0; i < _PF_EVENT_KIND_MAX; i++)
                CHECK_INT(pf_event_kind_from_string(pf_event_kind_to_string(i)), i);
        for (int i = 0; i < _PF_OPER_MAX; i++)
                CHECK_INT(pf_oper_state_from_string(pf_oper_state_to_string(i)), i);
        CHECK_INT(health_state_from_string("bogus"), _HEALTH_STATE_INVALID);
        CHECK_INT(health_reason_severity(HEALTH_REASON_LINK_DOWN), HEALTH_FAILED);
        CHECK_INT(health_reason_severity(HEALTH_REASON_FLAPPING), HEALTH_DEGRADED);
}

TEST(pcie_speed_and_bandwidth) {
        uint32_t v = 0;
        CHECK_INT(pcie_speed_parse("8.0 GT/s PCIe\n", &v), 0);
        CHECK_INT(v, 8000);
        CHECK_INT(pcie_speed_parse("2.5 GT/s", &v), 0);
        CHECK_INT(v, 2500);
        CHECK_INT(pcie_speed_parse("16 GT/s PCIe", &v), 0);
        CHECK_INT(v, 16000);
        CHECK_INT(pcie_speed_parse("Unknown", &v), -EINVAL);
        CHECK_INT(pcie_speed_parse("0 GT/s", &v), -EINVAL);
        CHECK_INT(pcie_speed_parse("5.0 MT/s", &v), -EINVAL);
        CHECK_INT(pcie_speed_parse("99999 GT/s", &v), -EINVAL);
        CHECK_INT(pcie_speed_parse("", &v), -EINVAL);
        /* lanes × rate × encoding */
        CHECK_INT(pcie_link_mbps(2500, 1), 2000);
        CHECK_INT(pcie_link_mbps(5000, 4), 16000);
        CHECK_INT(pcie_link_mbps(8000, 8), 63015);
        CHECK_INT(pcie_link_mbps(16000, 16), 252061);
        CHECK_INT(pcie_link_mbps(64000, 1), 60500);
        CHECK_INT(pcie_link_mbps(0, 8), 0);
}

TEST(link_down_debounced_then_failed_then_healthy) {
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        s.link_down_debounce_ms = 200;
        start(&h, &s);

        PfEvent down = link_event(0, 3);
        CHECK(!pf_health_event(&h, &down, at(T0 + SEC)));       /* within the debounce: no change */
        CHECK_INT(h.state, HEALTH_HEALTHY);
        CHECK_INT(pf_health_next_deadline(&h), T0 + SEC + 200 * MSEC);
        CHECK(!pf_health_tick(&h, at(T0 + SEC + 199 * MSEC)));
        CHECK(pf_health_tick(&h, at(T0 + SEC + 200 * MSEC)));   /* the debounce ran out */
        CHECK_INT(h.state, HEALTH_FAILED);
        CHECK(!pf_health_accepts_new_vfs(&h));
        CHECK(has_reason(&h, T0 + 2 * SEC, HEALTH_REASON_LINK_DOWN));
        /* a passed deadline is not armed again */
        CHECK_INT(pf_health_next_deadline(&h), UINT64_MAX);

        PfEvent up = link_event(1, 4);
        CHECK(pf_health_event(&h, &up, at(T0 + 5 * SEC)));
        CHECK_INT(h.state, HEALTH_HEALTHY);
        CHECK(pf_health_accepts_new_vfs(&h));
        CHECK_INT(h.counters.carrier_changes, 4);
        CHECK_INT(h.counters.carrier_changes_seen, 2);
        pf_health_done(&h);
}

TEST(short_blip_is_not_a_failure) {
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        s.link_down_debounce_ms = 100;
        start(&h, &s);
        PfEvent down = link_event(0, 3), up = link_event(1, 4);
        CHECK(!pf_health_event(&h, &down, at(T0 + SEC)));
        CHECK(!pf_health_event(&h, &up, at(T0 + SEC + 50 * MSEC)));
        CHECK_INT(pf_health_next_deadline(&h), UINT64_MAX);
        CHECK(!pf_health_tick(&h, at(T0 + 2 * SEC)));
        CHECK_INT(h.state, HEALTH_HEALTHY);
        pf_health_done(&h);
}

TEST(zero_debounce_fails_at_once) {
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        s.link_down_debounce_ms = 0;
        start(&h, &s);
        PfEvent down = link_event(0, 3);
        CHECK(pf_health_event(&h, &down, at(T0 + SEC)));
        CHECK_INT(h.state, HEALTH_FAILED);
        pf_health_done(&h);
}

TEST(admin_down_is_link_down_with_its_remedy) {
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        s.link_down_debounce_ms = 0;
        start(&h, &s);
        PfEvent ev = link_event(-1, 2);
        ev.link.admin_up = 0;
        CHECK(pf_health_event(&h, &ev, at(T0 + SEC)));
        HealthReasonRow rows[_HEALTH_REASON_MAX];
        size_t n = pf_health_reasons(&h, at(T0 + 3 * SEC), "0000:01:00.0", "ens1f0", rows, ELEMENTSOF(rows));
        ASSERT(n == 1);
        CHECK_INT(rows[0].code, HEALTH_REASON_LINK_DOWN);
        CHECK_CONTAINS(rows[0].evidence, "administratively down");
        CHECK_CONTAINS(rows[0].remedy, "ip link set ens1f0 up");
        pf_health_done(&h);
}

TEST(baseline_is_history) {
        /* carrier changes and AER errors from before the PF was watched are not news */
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        PfHealthFacts f = healthy_facts();
        f.link.carrier_changes = 1000;
        f.aer = (PfAerFacts){ .correctable = 50, .nonfatal = 3, .fatal = 1 };
        CHECK_INT(pf_health_init(&h, &s, at(T0)), 0);
        CHECK(!pf_health_facts(&h, &f, at(T0)));
        CHECK_INT(h.state, HEALTH_HEALTHY);
        CHECK(!h.quarantined);
        CHECK_INT(h.counters.carrier_changes, 1000);
        CHECK_INT(h.counters.carrier_changes_seen, 0);
        CHECK_INT(h.counters.aer_fatal, 1);
        CHECK_INT(h.n_events, 1); /* "watch" */
        CHECK_STR(h.events[0].kind, "watch");
        pf_health_done(&h);
}

TEST(driver_unbind_and_bind) {
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        start(&h, &s);
        PfEvent ev = { .kind = PF_EVENT_DRIVER_UNBOUND };
        CHECK(pf_health_event(&h, &ev, at(T0 + SEC)));
        CHECK_INT(h.state, HEALTH_FAILED);
        CHECK_INT(h.counters.driver_unbinds, 1);
        HealthReasonRow rows[_HEALTH_REASON_MAX];
        size_t n = pf_health_reasons(&h, at(T0 + SEC), "0000:01:00.0", NULL, rows, ELEMENTSOF(rows));
        ASSERT(n == 1);
        CHECK_INT(rows[0].code, HEALTH_REASON_DRIVER_UNBOUND);
        CHECK_CONTAINS(rows[0].evidence, "(it was igb)");
        CHECK_CONTAINS(rows[0].remedy, "/sys/bus/pci/drivers/igb/bind");
        /* the netdev is gone with it: no link reason on top */
        CHECK(!has_reason(&h, T0 + 10 * SEC, HEALTH_REASON_LINK_DOWN));

        ev = (PfEvent){ .kind = PF_EVENT_DRIVER_BOUND, .driver = "igb" };
        CHECK(pf_health_event(&h, &ev, at(T0 + 2 * SEC)));
        CHECK_INT(h.state, HEALTH_HEALTHY);
        /* the daemon re-reads the facts after a bind: a new netdev counts its changes afresh */
        PfHealthFacts f = healthy_facts();
        f.link.carrier_changes = 1;
        CHECK(!pf_health_facts(&h, &f, at(T0 + 2 * SEC)));
        PfEvent down = link_event(0, 2);
        (void) pf_health_event(&h, &down, at(T0 + 3 * SEC));
        CHECK_INT(h.counters.carrier_changes_seen, 1);
        pf_health_done(&h);
}

TEST(unbound_at_start) {
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        PfHealthFacts f;
        pf_health_facts_init(&f);
        f.bound = 0;
        CHECK_INT(pf_health_init(&h, &s, at(T0)), 0);
        CHECK(pf_health_facts(&h, &f, at(T0)));
        CHECK_INT(h.state, HEALTH_FAILED);
        HealthReasonRow rows[_HEALTH_REASON_MAX];
        size_t n = pf_health_reasons(&h, at(T0), "0000:08:00.0", NULL, rows, ELEMENTSOF(rows));
        ASSERT(n == 1);
        CHECK_CONTAINS(rows[0].remedy, "lspci -k -s 0000:08:00.0");
        pf_health_done(&h);
}

TEST(error_recovery) {
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        start(&h, &s);

        PfEvent ev = { .kind = PF_EVENT_RECOVERY_BEGIN, .aer = { .correctable = 4, .nonfatal = 1, .fatal = 0 } };
        CHECK(pf_health_event(&h, &ev, at(T0 + SEC)));
        CHECK_INT(h.state, HEALTH_DEGRADED);
        CHECK(has_reason(&h, T0 + SEC, HEALTH_REASON_RECOVERING));
        CHECK(has_reason(&h, T0 + SEC, HEALTH_REASON_AER_ERRORS));
        CHECK(pf_health_accepts_new_vfs(&h)); /* Degraded still takes VFs */

        ev = (PfEvent){ .kind = PF_EVENT_RECOVERY_SUCCESS, .aer = { .correctable = 4, .nonfatal = 1, .fatal = 0 },
                        .pcie = healthy_facts().pcie };
        CHECK(!pf_health_event(&h, &ev, at(T0 + 2 * SEC))); /* still Degraded: AerErrors */
        CHECK(!has_reason(&h, T0 + 2 * SEC, HEALTH_REASON_RECOVERING));
        CHECK(has_reason(&h, T0 + 2 * SEC, HEALTH_REASON_AER_ERRORS));
        /* the AER reason ages out after the window */
        CHECK_INT(pf_health_next_deadline(&h), T0 + SEC + 600 * SEC);
        CHECK(!pf_health_tick(&h, at(T0 + 300 * SEC)));
        CHECK(pf_health_tick(&h, at(T0 + 601 * SEC)));
        CHECK_INT(h.state, HEALTH_HEALTHY);
        CHECK_INT(pf_health_next_deadline(&h), UINT64_MAX);

        ev = (PfEvent){ .kind = PF_EVENT_RECOVERY_BEGIN, .aer = { .correctable = 4, .nonfatal = 1, .fatal = 1 } };
        CHECK(pf_health_event(&h, &ev, at(T0 + 700 * SEC)));
        ev = (PfEvent){ .kind = PF_EVENT_RECOVERY_FAILED, .aer = { .correctable = 4, .nonfatal = 1, .fatal = 1 } };
        CHECK(pf_health_event(&h, &ev, at(T0 + 701 * SEC)));
        CHECK_INT(h.state, HEALTH_FAILED);
        CHECK(has_reason(&h, T0 + 701 * SEC, HEALTH_REASON_RECOVERY_FAILED));
        CHECK_INT(h.counters.recoveries, 2);
        CHECK_INT(h.counters.recoveries_failed, 1);
        CHECK_INT(h.counters.aer_fatal, 1);
        /* a later successful recovery brings it back (AER still counted) */
        ev = (PfEvent){ .kind = PF_EVENT_RECOVERY_SUCCESS, .aer = { .correctable = 4, .nonfatal = 1, .fatal = 1 } };
        CHECK(pf_health_event(&h, &ev, at(T0 + 702 * SEC)));
        CHECK_INT(h.state, HEALTH_DEGRADED);
        pf_health_done(&h);
}

TEST(aer_counters_that_appear_later) {
        /* a device whose AER files were not there when it was first read */
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        PfHealthFacts f = healthy_facts();
        f.aer = PF_AER_FACTS_UNKNOWN;
        CHECK_INT(pf_health_init(&h, &s, at(T0)), 0);
        CHECK(!pf_health_facts(&h, &f, at(T0)));
        PfEvent ev = { .kind = PF_EVENT_RECOVERY_SUCCESS, .aer = { .correctable = 0, .nonfatal = 0, .fatal = 0 },
                       .pcie = f.pcie };
        CHECK(!pf_health_event(&h, &ev, at(T0 + SEC))); /* zeros: nothing rose */
        ev.aer.nonfatal = 1;
        CHECK(pf_health_event(&h, &ev, at(T0 + 2 * SEC)));
        CHECK(has_reason(&h, T0 + 2 * SEC, HEALTH_REASON_AER_ERRORS));
        pf_health_done(&h);
}

TEST(failed_recovery_cleared_by_rebind) {
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        start(&h, &s);
        PfEvent ev = { .kind = PF_EVENT_RECOVERY_FAILED, .aer = PF_AER_FACTS_UNKNOWN };
        CHECK(pf_health_event(&h, &ev, at(T0 + SEC)));
        CHECK_INT(h.state, HEALTH_FAILED);
        ev = (PfEvent){ .kind = PF_EVENT_DRIVER_BOUND, .driver = "igb" };
        CHECK(pf_health_event(&h, &ev, at(T0 + 2 * SEC)));
        CHECK_INT(h.state, HEALTH_HEALTHY);
        pf_health_done(&h);
}

TEST(pcie_degraded_and_oversubscribed) {
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        start(&h, &s);
        PfEvent ev = { .kind = PF_EVENT_PCIE_LINK,
                       .pcie = { .cur_speed_mts = 2500, .max_speed_mts = 5000, .cur_width = 4, .max_width = 4,
                                 .ports_mbps = 2000, .n_ports = 2 } };
        CHECK(pf_health_event(&h, &ev, at(T0 + SEC)));
        CHECK_INT(h.state, HEALTH_DEGRADED);
        CHECK(has_reason(&h, T0 + SEC, HEALTH_REASON_PCIE_LINK_DEGRADED));
        CHECK(!has_reason(&h, T0 + SEC, HEALTH_REASON_PCIE_OVERSUBSCRIBED)); /* 8000 Mb/s carry 2000 */

        /* two 10G ports on 2.5 GT/s x4 (8000 Mb/s): oversubscribed, and degraded */
        ev.pcie.ports_mbps = 20000;
        CHECK(!pf_health_event(&h, &ev, at(T0 + 2 * SEC)));
        CHECK(has_reason(&h, T0 + 2 * SEC, HEALTH_REASON_PCIE_OVERSUBSCRIBED));
        HealthReasonRow rows[_HEALTH_REASON_MAX];
        size_t n = pf_health_reasons(&h, at(T0 + 2 * SEC), "0000:01:00.0", "ens1f0", rows, ELEMENTSOF(rows));
        ASSERT(n == 2);
        CHECK_CONTAINS(rows[1].evidence, "20000 Mb/s");
        CHECK_CONTAINS(rows[1].evidence, "8000 Mb/s (2.5 GT/s x4, 8b/10b)");
        CHECK_CONTAINS(rows[0].evidence, "2.5 GT/s x4, below the 5.0 GT/s x4");

        /* back at full speed: the link carries 16000 < 20000, still oversubscribed only */
        ev.pcie.cur_speed_mts = 5000;
        CHECK(!pf_health_event(&h, &ev, at(T0 + 3 * SEC)));
        CHECK(!has_reason(&h, T0 + 3 * SEC, HEALTH_REASON_PCIE_LINK_DEGRADED));
        CHECK(has_reason(&h, T0 + 3 * SEC, HEALTH_REASON_PCIE_OVERSUBSCRIBED));
        ev.pcie.ports_mbps = 2000;
        CHECK(pf_health_event(&h, &ev, at(T0 + 4 * SEC)));
        CHECK_INT(h.state, HEALTH_HEALTHY);
        /* a link that reads 0 lanes (unknown) judges nothing */
        ev.pcie.cur_width = 0;
        ev.pcie.ports_mbps = 1000000;
        CHECK(!pf_health_event(&h, &ev, at(T0 + 5 * SEC)));
        CHECK_INT(h.state, HEALTH_HEALTHY);
        pf_health_done(&h);
}

TEST(devlink_reporter) {
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        start(&h, &s);
        PfEvent ev = { .kind = PF_EVENT_DEVLINK_REPORTER,
                       .reporter = { .name = "tx", .error = true, .error_count = 3, .recover_count = 2 } };
        CHECK(pf_health_event(&h, &ev, at(T0 + SEC)));
        CHECK_INT(h.state, HEALTH_DEGRADED);
        CHECK_INT(h.counters.devlink_errors, 3);
        PfEvent ev2 = { .kind = PF_EVENT_DEVLINK_REPORTER, .reporter = { .name = "fw", .error_count = 1 } };
        CHECK(!pf_health_event(&h, &ev2, at(T0 + SEC)));
        CHECK_INT(h.counters.devlink_errors, 4);
        ev.reporter.error = false;
        ev.reporter.recover_count = 3;
        CHECK(pf_health_event(&h, &ev, at(T0 + 2 * SEC)));
        CHECK_INT(h.state, HEALTH_HEALTHY);
        /* more reporters than tracked are ignored, not a crash */
        for (unsigned i = 0; i < HEALTH_REPORTERS_MAX + 4; i++) {
                PfEvent e = { .kind = PF_EVENT_DEVLINK_REPORTER };
                snprintf(e.reporter.name, sizeof e.reporter.name, "r%u", i);
                (void) pf_health_event(&h, &e, at(T0 + 3 * SEC));
        }
        CHECK_INT(h.n_reporters, HEALTH_REPORTERS_MAX);
        pf_health_done(&h);
}

/* n link transitions starting at `t`, one per `step`, ending with the link up. */
static int64_t flap(PfHealth *h, int64_t changes, unsigned n, uint64_t t, uint64_t step) {
        for (unsigned i = 0; i < n; i++) {
                PfEvent ev = link_event((int) ((n - i - 1) % 2 == 0), ++changes);
                (void) pf_health_event(h, &ev, at(t + i * step));
        }
        return changes;
}

TEST(flapping_quarantines_until_stable) {
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s); /* more than 5 in 600 s; stable 300 s */
        start(&h, &s);

        int64_t c = flap(&h, 2, 4, T0 + SEC, SEC); /* 4 changes: not flapping */
        CHECK(!h.quarantined);
        c = flap(&h, c, 2, T0 + 10 * SEC, 10 * MSEC); /* the 6th within 600 s */
        CHECK(h.quarantined);
        CHECK_INT(h.counters.quarantines, 1);
        CHECK_INT(h.state, HEALTH_DEGRADED);
        CHECK(!pf_health_accepts_new_vfs(&h));
        CHECK(has_reason(&h, T0 + 20 * SEC, HEALTH_REASON_FLAPPING));
        uint64_t last = T0 + 10 * SEC + 10 * MSEC;
        CHECK_INT(pf_health_next_deadline(&h), last + 300 * SEC);

        /* not yet stable */
        CHECK(!pf_health_tick(&h, at(last + 299 * SEC)));
        CHECK(h.quarantined);
        /* another change restarts the stable period */
        c = flap(&h, c, 2, last + 200 * SEC, SEC);
        last = last + 201 * SEC;
        CHECK_INT(pf_health_next_deadline(&h), last + 300 * SEC);
        CHECK(pf_health_tick(&h, at(last + 300 * SEC)));
        CHECK(!h.quarantined);
        CHECK_INT(h.state, HEALTH_HEALTHY);
        CHECK(pf_health_accepts_new_vfs(&h));
        CHECK_INT(pf_health_next_deadline(&h), UINT64_MAX);
        /* the count starts afresh: one more change is not flapping */
        c = flap(&h, c, 2, last + 301 * SEC, SEC);
        CHECK(!h.quarantined);
        CHECK_INT(h.counters.carrier_changes_seen, 10);
        pf_health_done(&h);
}

TEST(quarantine_waits_for_the_link_to_come_up) {
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        s.flap_count = 2;
        s.quarantine_stable_s = 10;
        s.link_down_debounce_ms = 1000;
        start(&h, &s);
        /* three changes, ending down: quarantined, then Failed after the debounce */
        int64_t c = 2;
        for (int i = 0; i < 3; i++) {
                PfEvent ev = link_event(i % 2, ++c); /* 0, 1, 0 */
                (void) pf_health_event(&h, &ev, at(T0 + (uint64_t) i * MSEC));
        }
        CHECK(h.quarantined);
        CHECK_INT(h.state, HEALTH_DEGRADED);
        CHECK(pf_health_tick(&h, at(T0 + 2 * MSEC + SEC)));
        CHECK_INT(h.state, HEALTH_FAILED);
        /* down for a long time: no stable period counts, nothing to wake up for */
        CHECK_INT(pf_health_next_deadline(&h), UINT64_MAX);
        CHECK(!pf_health_tick(&h, at(T0 + 100 * SEC)));
        CHECK(h.quarantined);
        /* up: Degraded (quarantined) until stable */
        PfEvent up = link_event(1, ++c);
        CHECK(pf_health_event(&h, &up, at(T0 + 200 * SEC)));
        CHECK_INT(h.state, HEALTH_DEGRADED);
        CHECK(pf_health_tick(&h, at(T0 + 210 * SEC)));
        CHECK_INT(h.state, HEALTH_HEALTHY);
        pf_health_done(&h);
}

TEST(coalesced_changes_count) {
        /* one RTM_NEWLINK may carry several transitions (IFLA_CARRIER_CHANGES jumps) */
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        start(&h, &s);
        PfEvent ev = link_event(1, 2 + 6);
        CHECK(pf_health_event(&h, &ev, at(T0 + SEC)));
        CHECK(h.quarantined);
        CHECK_INT(h.counters.carrier_changes_seen, 6);
        pf_health_done(&h);
}

TEST(changes_without_the_kernels_count) {
        /* a driver without IFLA_CARRIER_CHANGES: every carrier flip counts one */
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        s.flap_count = 1;
        start(&h, &s);
        PfEvent d = link_event(0, -1), u = link_event(1, -1);
        (void) pf_health_event(&h, &d, at(T0 + SEC));
        CHECK(!h.quarantined);
        (void) pf_health_event(&h, &u, at(T0 + 2 * SEC));
        CHECK(h.quarantined);
        pf_health_done(&h);
}

TEST(old_changes_leave_the_window) {
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        s.flap_count = 3;
        s.flap_window_s = 60;
        start(&h, &s);
        int64_t c = flap(&h, 2, 2, T0, SEC);
        c = flap(&h, c, 2, T0 + 100 * SEC, SEC); /* the first two are older than 60 s */
        CHECK(!h.quarantined);
        c = flap(&h, c, 2, T0 + 110 * SEC, SEC);
        CHECK(h.quarantined);
        pf_health_done(&h);
}

TEST(events_ring_is_bounded) {
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        s.flap_count = 1000;
        start(&h, &s);
        flap(&h, 2, 100, T0, SEC);
        CHECK_INT(h.n_events, HEALTH_EVENTS_MAX);
        /* oldest first, and the newest is the last link event */
        const HealthEventRecord *last = &h.events[(h.events_head + h.n_events - 1) % HEALTH_EVENTS_MAX];
        CHECK_STR(last->kind, "link");
        CHECK_CONTAINS(last->detail, "carrier changes 102");
        pf_health_done(&h);
}

TEST(settings_change_keeps_the_newest_changes) {
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        s.flap_count = 10;
        start(&h, &s);
        flap(&h, 2, 4, T0, SEC);
        CHECK(!h.quarantined);
        s.flap_count = 2;
        CHECK_INT(pf_health_set_settings(&h, &s, at(T0 + 10 * SEC)), 0);
        CHECK(h.quarantined); /* 3 of the 4 fit the new ring: more than 2 */
        CHECK_INT(h.n_changes, 3);
        pf_health_done(&h);
}

TEST(own_reset_is_no_failure_nor_flapping) {
        /* igb drops its link when sriov_numvfs is written: e2e measured ~0.4 s */
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        s.flap_count = 1;
        start(&h, &s);
        CHECK(!pf_health_reset_begin(&h, at(T0)));
        CHECK_INT(h.counters.resets, 1);
        PfEvent down = link_event(0, 3), up = link_event(1, 4);
        CHECK(!pf_health_event(&h, &down, at(T0 + SEC)));
        CHECK_INT(pf_health_next_deadline(&h), UINT64_MAX); /* nothing to judge while it runs */
        CHECK(!pf_health_reset_end(&h, at(T0 + 2 * SEC)));
        CHECK(!pf_health_tick(&h, at(T0 + 5 * SEC)));
        CHECK(!pf_health_event(&h, &up, at(T0 + 6 * SEC)));
        CHECK_INT(h.state, HEALTH_HEALTHY);
        CHECK(!h.quarantined);                       /* two changes, limit 1: not flapping */
        CHECK_INT(h.counters.carrier_changes_seen, 2);

        /* a link still down after the grace is a failure, debounced from the grace's end */
        CHECK(!pf_health_reset_begin(&h, at(T0 + 20 * SEC)));
        CHECK_INT(h.counters.resets, 2);
        PfEvent down2 = link_event(0, 5);
        CHECK(!pf_health_event(&h, &down2, at(T0 + 21 * SEC)));
        CHECK(!pf_health_reset_end(&h, at(T0 + 22 * SEC)));
        CHECK_INT(pf_health_next_deadline(&h), T0 + 32 * SEC + 50 * MSEC);
        CHECK(!pf_health_tick(&h, at(T0 + 32 * SEC)));
        CHECK(pf_health_tick(&h, at(T0 + 32 * SEC + 50 * MSEC)));
        CHECK_INT(h.state, HEALTH_FAILED);
        CHECK(!h.quarantined);
        /* after the grace, changes count again */
        PfEvent up2 = link_event(1, 6);
        CHECK(pf_health_event(&h, &up2, at(T0 + 40 * SEC)));
        CHECK(!h.quarantined);                       /* one change since: not more than 1 */
        PfEvent down3 = link_event(0, 7);
        (void) pf_health_event(&h, &down3, at(T0 + 41 * SEC));
        CHECK(h.quarantined);
        pf_health_done(&h);
}

TEST(state_change_recorded) {
        HealthSettings s;
        PfHealth h;
        health_settings_defaults(&s);
        start(&h, &s);
        PfEvent ev = { .kind = PF_EVENT_DRIVER_UNBOUND, .realtime_usec = 42 };
        CHECK(pf_health_event(&h, &ev, at(T0 + SEC)));
        CHECK_INT(h.state_since_real, at(T0 + SEC).real);
        const HealthEventRecord *last = &h.events[(h.events_head + h.n_events - 1) % HEALTH_EVENTS_MAX];
        CHECK_STR(last->kind, "state");
        CHECK_STR(last->detail, "Healthy -> Failed: DriverUnbound");
        const HealthEventRecord *prev = &h.events[(h.events_head + h.n_events - 2) % HEALTH_EVENTS_MAX];
        CHECK_INT(prev->realtime_usec, 42);
        HealthCounterRow rows[HEALTH_COUNTERS_N];
        pf_health_counter_rows(&h, rows);
        CHECK_STR(rows[7].name, "driver_unbinds");
        CHECK_INT(rows[7].value, 1);
        pf_health_done(&h);
}

TEST(config_health_settings) {
        Settings s;
        char *reason = NULL;
        const char *ok = "{\"health\": {\"flap_count\": 3, \"flap_window_s\": 60, \"quarantine_stable_s\": 30, "
                         "\"link_down_debounce_ms\": 0, \"reset_grace_s\": 0}}";
        CHECK_INT(settings_parse_text(ok, strlen(ok), &s, &reason), 0);
        CHECK_INT(s.health.flap_count, 3);
        CHECK_INT(s.health.flap_window_s, 60);
        CHECK_INT(s.health.quarantine_stable_s, 30);
        CHECK_INT(s.health.link_down_debounce_ms, 0);
        CHECK_INT(s.health.reset_grace_s, 0);
        const char *dflt = "{}";
        CHECK_INT(settings_parse_text(dflt, strlen(dflt), &s, &reason), 0);
        CHECK_INT(s.health.flap_count, 5);
        CHECK_INT(s.health.flap_window_s, 600);
        CHECK_INT(s.health.quarantine_stable_s, 300);
        CHECK_INT(s.health.link_down_debounce_ms, 50);
        CHECK_INT(s.health.reset_grace_s, 10);
        static const char *const bad[][2] = {
                { "{\"health\": {\"flap_count\": 0}}", "health.flap_count" },
                { "{\"health\": {\"flap_window_s\": 86401}}", "health.flap_window_s" },
                { "{\"health\": {\"link_down_debounce_ms\": -1}}", "health.link_down_debounce_ms" },
                { "{\"health\": {\"quarantine_stable_s\": \"300\"}}", "health.quarantine_stable_s" },
                { "{\"health\": {\"bogus\": 1}}", "bogus" },
                { "{\"health\": {\"reset_grace_s\": 601}}", "health.reset_grace_s" },
                { "{\"health\": 5}", "health" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                reason = mfree(reason);
                CHECK_INT(settings_parse_text(bad[i][0], strlen(bad[i][0]), &s, &reason), -EBADMSG);
                CHECK_CONTAINS(reason, bad[i][1]);
        }
        free(reason);
}

int main(void) {
        RUN(string_tables);
        RUN(pcie_speed_and_bandwidth);
        RUN(link_down_debounced_then_failed_then_healthy);
        RUN(short_blip_is_not_a_failure);
        RUN(zero_debounce_fails_at_once);
        RUN(admin_down_is_link_down_with_its_remedy);
        RUN(baseline_is_history);
        RUN(driver_unbind_and_bind);
        RUN(unbound_at_start);
        RUN(error_recovery);
        RUN(aer_counters_that_appear_later);
        RUN(failed_recovery_cleared_by_rebind);
        RUN(pcie_degraded_and_oversubscribed);
        RUN(devlink_reporter);
        RUN(flapping_quarantines_until_stable);
        RUN(quarantine_waits_for_the_link_to_come_up);
        RUN(coalesced_changes_count);
        RUN(changes_without_the_kernels_count);
        RUN(old_changes_leave_the_window);
        RUN(events_ring_is_bounded);
        RUN(settings_change_keeps_the_newest_changes);
        RUN(own_reset_is_no_failure_nor_flapping);
        RUN(state_change_recorded);
        RUN(config_health_settings);
        return TEST_MAIN_END();
}
