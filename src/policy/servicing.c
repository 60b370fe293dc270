/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <time.h>

#include "policy/servicing.h"
#include "policy/waiting.h"
#include "shared/macro.h"
#include "shared/string-table.h"

static const char *const pf_revoke_why_table[_PF_REVOKE_WHY_MAX] = {
        [PF_REVOKE_ADMIN_DRAIN] = "admin-drain",
        [PF_REVOKE_HEALTH_FAILED] = "health-failed",
};

DEFINE_STRING_TABLE_LOOKUP(pf_revoke_why, PfRevokeWhy);

uint64_t servicing_without_total(uint64_t since, uint64_t total, uint64_t now) {
        if (since == 0 || now <= since)
                return total;
        return total + (now - since);
}

void servicing_revoked_note(uint64_t since, uint64_t now, uint64_t total, char *buf, size_t size) {
        char when[32], dur[48], all[48];
        time_t t = (time_t) (since > WAITING_SINCE_MAX ? WAITING_SINCE_MAX : since);
        struct tm tm;

        if (since == 0 || !gmtime_r(&t, &tm) || strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm) == 0) {
                snprintf(buf, size, "VF revoked by the admin");
                return;
        }
        if (now == 0) {
                snprintf(buf, size, "VF revoked by the admin since %s UTC", when);
                return;
        }
        uint64_t revoked = now > since ? now - since : 0;
        waiting_duration(revoked, dur, sizeof dur);
        if (total <= revoked) {
                snprintf(buf, size, "VF revoked by the admin since %s UTC (%s)", when, dur);
                return;
        }
        waiting_duration(total, all, sizeof all);
        snprintf(buf, size, "VF revoked by the admin since %s UTC (%s; %s without a VF in total)", when, dur, all);
}

void servicing_total_note(uint64_t total, char *buf, size_t size) {
        char d[48];
        if (total == 0) {
                if (size)
                        buf[0] = 0;
                return;
        }
        waiting_duration(total, d, sizeof d);
        snprintf(buf, size, "%s without a VF in total", d);
}
