/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>

#include "policy/tier.h"
#include "shared/strutil.h"
#include "shared/macro.h"
#include "shared/string-table.h"

static const char *const numa_policy_table[_NUMA_POLICY_MAX] = {
        [NUMA_POLICY_NONE] = "none",
        [NUMA_POLICY_PREFERRED] = "preferred",
        [NUMA_POLICY_REQUIRED] = "required",
};

DEFINE_STRING_TABLE_LOOKUP(numa_policy, NumaPolicy);

void tier_table_defaults(TierTable *t) {
        /* The seed's minimum vCPU table; rates in Mb/s, 0 = no limit. */
        t->tiers[TIER_LOW] = (TierSpec){
                .min_vcpus_smt_off = 2,
                .min_vcpus_smt_on = 4,
                .min_tx_rate_mbps = 0,
                .max_tx_rate_mbps = 2000,
                .numa = NUMA_POLICY_NONE,
                .rates_required = false,
        };
        t->tiers[TIER_MEDIUM] = (TierSpec){
                .min_vcpus_smt_off = 2,
                .min_vcpus_smt_on = 4,
                .min_tx_rate_mbps = 0,
                .max_tx_rate_mbps = 10000,
                .numa = NUMA_POLICY_PREFERRED,
                .rates_required = false,
        };
        t->tiers[TIER_HIGH] = (TierSpec){
                .min_vcpus_smt_off = 4,
                .min_vcpus_smt_on = 4,
                .min_tx_rate_mbps = 0,
                .max_tx_rate_mbps = 0,
                .numa = NUMA_POLICY_REQUIRED,
                .rates_required = false,
        };
}

unsigned tier_min_vcpus(const TierTable *t, Tier tier, int smt_active) {
        assert_return(t, 0);
        assert_return((int) tier >= 0 && tier < _TIER_MAX, 0);

        /* Unknown hyperthreading state: hold VMs to the stricter "on" column. */
        if (smt_active == 0)
                return t->tiers[tier].min_vcpus_smt_off;
        return t->tiers[tier].min_vcpus_smt_on;
}

char *tier_table_digest(const TierTable *t) {
        StrBuf b = {};
        for (Tier i = 0; i < _TIER_MAX; i++) {
                const TierSpec *s = &t->tiers[i];
                strbuf_appendf(&b, "%s%s:%u/%u/%" PRIu32 "/%" PRIu32 "/%s/%d", i ? " " : "", tier_to_string(i),
                               s->min_vcpus_smt_off, s->min_vcpus_smt_on, s->min_tx_rate_mbps, s->max_tx_rate_mbps,
                               numa_policy_to_string(s->numa), s->rates_required);
        }
        return strbuf_steal(&b);
}
