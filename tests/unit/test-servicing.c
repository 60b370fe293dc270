/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Planned servicing, the pure part (policy/servicing.c): why an adapter is out of service,
 * a VM's time without a VF, and how ListVMs words a revoke, a wait and a total. */
#include "policy/servicing.h"
#include "policy/waiting.h"
#include "testlib.h"

#define T0 UINT64_C(1796592605) /* 2026-12-06 21:30:05 UTC */

TEST(revoke_why_table) {
        static const char *const names[] = { "admin-drain", "health-failed" };
        for (int w = 0; w < _PF_REVOKE_WHY_MAX; w++) {
                CHECK_STR(pf_revoke_why_to_string((PfRevokeWhy) w), names[w]);
                CHECK_INT(pf_revoke_why_from_string(names[w]), w);
        }
        CHECK_INT(pf_revoke_why_from_string("Admin-Drain"), PF_REVOKE_ADMIN_DRAIN);
        CHECK_INT(pf_revoke_why_from_string("drain"), _PF_REVOKE_WHY_INVALID);
        CHECK_INT(pf_revoke_why_from_string(NULL), _PF_REVOKE_WHY_INVALID);
        CHECK(pf_revoke_why_to_string(_PF_REVOKE_WHY_MAX) == NULL);
        CHECK(pf_revoke_why_to_string(_PF_REVOKE_WHY_INVALID) == NULL);
}

TEST(without_total) {
        CHECK_INT(servicing_without_total(0, 0, T0), 0);
        CHECK_INT(servicing_without_total(0, 42, T0), 42);           /* none running */
        CHECK_INT(servicing_without_total(T0 - 30, 42, T0), 72);     /* 42 before, 30 now */
        CHECK_INT(servicing_without_total(T0 + 5, 42, T0), 42);      /* the clock went back */
        CHECK_INT(servicing_without_total(T0, 0, 0), 0);             /* no "now" */
}

TEST(revoked_note) {
        char buf[256];
        servicing_revoked_note(T0, T0 + 240, 240, buf, sizeof buf);
        CHECK_STR(buf, "VF revoked by the admin since 2026-12-06 21:30:05 UTC (4 min)");
        /* earlier episodes: the whole time too */
        servicing_revoked_note(T0, T0 + 240, 600, buf, sizeof buf);
        CHECK_STR(buf, "VF revoked by the admin since 2026-12-06 21:30:05 UTC (4 min; 10 min without a VF in total)");
        /* for the facts other nodes show: nothing that changes by itself */
        servicing_revoked_note(T0, 0, 600, buf, sizeof buf);
        CHECK_STR(buf, "VF revoked by the admin since 2026-12-06 21:30:05 UTC");
        servicing_revoked_note(0, T0, 0, buf, sizeof buf);
        CHECK_STR(buf, "VF revoked by the admin");
        servicing_revoked_note(T0 + 10, T0, 0, buf, sizeof buf);
        CHECK_STR(buf, "VF revoked by the admin since 2026-12-06 21:30:15 UTC (0 s)");
        /* truncated, never overrun */
        char small[12];
        servicing_revoked_note(T0, T0 + 1, 0, small, sizeof small);
        CHECK_STR(small, "VF revoked ");
}

TEST(total_note) {
        char buf[64];
        servicing_total_note(42, buf, sizeof buf);
        CHECK_STR(buf, "42 s without a VF in total");
        servicing_total_note(3 * 3600 + 420, buf, sizeof buf);
        CHECK_STR(buf, "3 h 7 min without a VF in total");
        servicing_total_note(0, buf, sizeof buf);
        CHECK_STR(buf, "");
}

TEST(waiting_note_with_total) {
        char buf[256];
        /* a first wait: as before */
        waiting_note_total(T0, T0 + 240, 240, "all 8 VFs of this host are assigned", buf, sizeof buf);
        CHECK_STR(buf, "waiting for a VF since 2026-12-06 21:30:05 UTC (4 min): all 8 VFs of this host are assigned");
        /* after a revoke: the whole time without a VF inside the parentheses */
        waiting_note_total(T0, T0 + 240, 3 * 3600 + 420, "why", buf, sizeof buf);
        CHECK_STR(buf, "waiting for a VF since 2026-12-06 21:30:05 UTC (4 min; 3 h 7 min without a VF in total): why");
        /* the facts' form has neither */
        waiting_note_total(T0, 0, 9999, "why", buf, sizeof buf);
        CHECK_STR(buf, "waiting for a VF since 2026-12-06 21:30:05 UTC: why");
        /* waiting_note is waiting_note_total without a total */
        char other[256];
        waiting_note(T0, T0 + 5, "x", buf, sizeof buf);
        waiting_note_total(T0, T0 + 5, 0, "x", other, sizeof other);
        CHECK_STR(buf, other);
}

int main(void) {
        RUN(revoke_why_table);
        RUN(without_total);
        RUN(revoked_note);
        RUN(total_note);
        RUN(waiting_note_with_total);
        return TEST_MAIN_END();
}
