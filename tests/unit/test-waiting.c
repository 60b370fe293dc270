/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The order in which waiting VMs get VFs (policy/waiting.c) and ListVMs' note of a wait. */
#include "policy/waiting.h"
#include "testlib.h"

#define W(n, t, s) { .name = (n), .tier = (t), .since = (s) }

static void check_order(WaitingVm *v, size_t n, const char *const *want) {
        waiting_vms_sort(v, n);
        for (size_t i = 0; i < n; i++)
                CHECK_STR(v[i].name, want[i]);
}

TEST(tier_first) {
        /* Low waited longest and sorts first by name; High came last: High, Medium, Low. */
        WaitingVm v[] = {
                W("a-low", TIER_LOW, 1000),
                W("c-high", TIER_HIGH, 3000),
                W("b-medium", TIER_MEDIUM, 2000),
        };
        check_order(v, ELEMENTSOF(v), (const char *const[]){ "c-high", "b-medium", "a-low" });
}

TEST(longest_waiting_first_within_a_tier) {
        WaitingVm v[] = {
                W("aa-new", TIER_MEDIUM, 5000),
                W("zz-old", TIER_MEDIUM, 4000),
                W("mm-mid", TIER_MEDIUM, 4500),
        };
        check_order(v, ELEMENTSOF(v), (const char *const[]){ "zz-old", "mm-mid", "aa-new" });
}

TEST(name_breaks_ties) {
        WaitingVm v[] = {
                W("web3", TIER_LOW, 7),
                W("web1", TIER_LOW, 7),
                W("web2", TIER_LOW, 7),
        };
        check_order(v, ELEMENTSOF(v), (const char *const[]){ "web1", "web2", "web3" });
}

TEST(unknown_start_waits_behind_known_ones) {
        WaitingVm v[] = {
                W("a", TIER_HIGH, 0),
                W("b", TIER_HIGH, UINT64_C(253402300799)),
                W("c", TIER_LOW, 1),
                W("d", TIER_HIGH, 0),
        };
        check_order(v, ELEMENTSOF(v), (const char *const[]){ "b", "a", "d", "c" });
}

TEST(mixed) {
        /* Every key at once, given in the worst order: the result never depends on the input's. */
        static const WaitingVm ref[] = {
                W("h2", TIER_HIGH, 10), W("h1", TIER_HIGH, 20), W("h0", TIER_HIGH, 20),
                W("m9", TIER_MEDIUM, 5), W("m1", TIER_MEDIUM, 30),
                W("l5", TIER_LOW, 1), W("l4", TIER_LOW, 2), W("l3", TIER_LOW, 0),
        };
        static const char *const want[] = { "h2", "h0", "h1", "m9", "m1", "l5", "l4", "l3" };
        WaitingVm v[ELEMENTSOF(ref)];
        for (unsigned rot = 0; rot < ELEMENTSOF(ref); rot++) {
                for (size_t i = 0; i < ELEMENTSOF(ref); i++)
                        v[i] = ref[(ELEMENTSOF(ref) - 1 - i + rot) % ELEMENTSOF(ref)];
                check_order(v, ELEMENTSOF(v), want);
        }
        /* the comparison is a total order: antisymmetric, zero only for the same VM */
        for (size_t i = 0; i < ELEMENTSOF(ref); i++)
                for (size_t k = 0; k < ELEMENTSOF(ref); k++) {
                        int a = waiting_vm_compare(&ref[i], &ref[k]), b = waiting_vm_compare(&ref[k], &ref[i]);
                        CHECK((a < 0) == (b > 0));
                        CHECK((a == 0) == (i == k));
                }
        waiting_vms_sort(NULL, 0);
        waiting_vms_sort(v, 1);
        CHECK_STR(v[0].name, want[0]);
}

TEST(userdata_travels) {
        int x = 1, y = 2;
        WaitingVm v[] = { { .name = "x", .tier = TIER_LOW, .since = 1, .userdata = &x },
                         { .name = "y", .tier = TIER_HIGH, .since = 1, .userdata = &y } };
        waiting_vms_sort(v, 2);
        CHECK(v[0].userdata == &y && v[1].userdata == &x);
}

TEST(duration) {
        static const struct {
                uint64_t s;
                const char *want;
        } cases[] = {
                { 0, "0 s" },           { 59, "59 s" },           { 60, "1 min" },          { 239, "3 min" },
                { 3599, "59 min" },     { 3600, "1 h 0 min" },    { 3 * 3600 + 7 * 60 + 5, "3 h 7 min" },
                { 86399, "23 h 59 min" }, { 86400, "1 d 0 h" },   { 2 * 86400 + 5 * 3600 + 59, "2 d 5 h" },
                { 400 * 86400ULL, "400 d 0 h" },
        };
        char buf[48];
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                waiting_duration(cases[i].s, buf, sizeof buf);
                CHECK_STR(buf, cases[i].want);
        }
}

TEST(note) {
        char buf[256];
        /* 2026-12-06 21:30:05 UTC */
        const uint64_t since = UINT64_C(1796592605);

        waiting_note(since, since + 4 * 60 + 10, "all 2 VFs of this host are assigned", buf, sizeof buf);
        CHECK_STR(buf, "waiting for a VF since 2026-12-06 21:30:05 UTC (4 min): all 2 VFs of this host are assigned");
        waiting_note(since, since, "", buf, sizeof buf);
        CHECK_STR(buf, "waiting for a VF since 2026-12-06 21:30:05 UTC (0 s)");
        waiting_note(since, since - 100, NULL, buf, sizeof buf); /* the clock was set back */
        CHECK_STR(buf, "waiting for a VF since 2026-12-06 21:30:05 UTC (0 s)");
        waiting_note(0, since, "x", buf, sizeof buf);
        CHECK_STR(buf, "waiting for a VF: x");
        /* without the waited time: what other nodes are sent (it does not change by itself) */
        waiting_note(since, 0, "x", buf, sizeof buf);
        CHECK_STR(buf, "waiting for a VF since 2026-12-06 21:30:05 UTC: x");
        waiting_note(WAITING_SINCE_MAX, WAITING_SINCE_MAX + 3600, "y", buf, sizeof buf);
        CHECK_STR(buf, "waiting for a VF since 9999-12-31 23:59:59 UTC (1 h 0 min): y");
        /* truncated, never overrun */
        char small[20];
        waiting_note(since, since, "r", small, sizeof small);
        CHECK_STR(small, "waiting for a VF si");
}

int main(void) {
        RUN(tier_first);
        RUN(longest_waiting_first_within_a_tier);
        RUN(name_breaks_ties);
        RUN(unknown_start_waits_behind_known_ones);
        RUN(mixed);
        RUN(userdata_travels);
        RUN(duration);
        RUN(note);
        return TEST_MAIN_END();
}
