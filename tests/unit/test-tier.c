/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "policy/tier.h"
#include "testlib.h"

TEST(tier_strings) {
        static const char *const names[_TIER_MAX] = { "Low", "Medium", "High" };

        for (int t = 0; t < _TIER_MAX; t++) {
                CHECK_STR(tier_to_string((Tier) t), names[t]);
                CHECK_INT(tier_from_string(tier_to_string((Tier) t)), t);
        }
        /* Typed by people: case-insensitive. */
        CHECK_INT(tier_from_string("low"), TIER_LOW);
        CHECK_INT(tier_from_string("MEDIUM"), TIER_MEDIUM);
        CHECK_INT(tier_from_string("hIgH"), TIER_HIGH);
        CHECK_INT(tier_from_string("ultra"), _TIER_INVALID);
        CHECK_INT(tier_from_string(""), _TIER_INVALID);
        CHECK_INT(tier_from_string("Low "), _TIER_INVALID);
        CHECK_INT(tier_from_string(NULL), _TIER_INVALID);
        CHECK(tier_to_string(_TIER_MAX) == NULL);
        CHECK(tier_to_string(_TIER_INVALID) == NULL);
}

TEST(numa_policy_strings) {
        static const char *const names[_NUMA_POLICY_MAX] = { "none", "preferred", "required" };

        for (int p = 0; p < _NUMA_POLICY_MAX; p++) {
                CHECK_STR(numa_policy_to_string((NumaPolicy) p), names[p]);
                CHECK_INT(numa_policy_from_string(numa_policy_to_string((NumaPolicy) p)), p);
        }
        CHECK_INT(numa_policy_from_string("Required"), NUMA_POLICY_REQUIRED);
        CHECK_INT(numa_policy_from_string("strict"), _NUMA_POLICY_INVALID);
        CHECK_INT(numa_policy_from_string(NULL), _NUMA_POLICY_INVALID);
        CHECK(numa_policy_to_string(_NUMA_POLICY_MAX) == NULL);
        CHECK(numa_policy_to_string(_NUMA_POLICY_INVALID) == NULL);
}

TEST(defaults) {
        TierTable t;

        memset(&t, 0xaa, sizeof t); /* every field must be written */
        tier_table_defaults(&t);

        /* The seed's minimum vCPUs: hyperthreading off 2, 2, 4; on 4, 4, 4. */
        CHECK_INT(t.tiers[TIER_LOW].min_vcpus_smt_off, 2);
        CHECK_INT(t.tiers[TIER_MEDIUM].min_vcpus_smt_off, 2);
        CHECK_INT(t.tiers[TIER_HIGH].min_vcpus_smt_off, 4);
        CHECK_INT(t.tiers[TIER_LOW].min_vcpus_smt_on, 4);
        CHECK_INT(t.tiers[TIER_MEDIUM].min_vcpus_smt_on, 4);
        CHECK_INT(t.tiers[TIER_HIGH].min_vcpus_smt_on, 4);

        CHECK_INT(t.tiers[TIER_LOW].max_tx_rate_mbps, 2000);
        CHECK_INT(t.tiers[TIER_MEDIUM].max_tx_rate_mbps, 10000);
        CHECK_INT(t.tiers[TIER_HIGH].max_tx_rate_mbps, 0);

        CHECK_INT(t.tiers[TIER_LOW].numa, NUMA_POLICY_NONE);
        CHECK_INT(t.tiers[TIER_MEDIUM].numa, NUMA_POLICY_PREFERRED);
        CHECK_INT(t.tiers[TIER_HIGH].numa, NUMA_POLICY_REQUIRED);

        for (int i = 0; i < _TIER_MAX; i++) {
                CHECK_INT(t.tiers[i].min_tx_rate_mbps, 0);
                CHECK(t.tiers[i].rates_required == false);
        }
}

TEST(min_vcpus) {
        TierTable t;

        tier_table_defaults(&t);
        CHECK_INT(tier_min_vcpus(&t, TIER_LOW, 0), 2);
        CHECK_INT(tier_min_vcpus(&t, TIER_MEDIUM, 0), 2);
        CHECK_INT(tier_min_vcpus(&t, TIER_HIGH, 0), 4);
        CHECK_INT(tier_min_vcpus(&t, TIER_LOW, 1), 4);
        CHECK_INT(tier_min_vcpus(&t, TIER_MEDIUM, 1), 4);
        CHECK_INT(tier_min_vcpus(&t, TIER_HIGH, 1), 4);
        /* Unknown hyperthreading state: the "on" column. */
        CHECK_INT(tier_min_vcpus(&t, TIER_LOW, -1), 4);
        CHECK_INT(tier_min_vcpus(&t, TIER_MEDIUM, -1), 4);

        /* The columns are read from the table, not hard-coded. */
        t.tiers[TIER_LOW].min_vcpus_smt_off = 3;
        t.tiers[TIER_LOW].min_vcpus_smt_on = 7;
        CHECK_INT(tier_min_vcpus(&t, TIER_LOW, 0), 3);
        CHECK_INT(tier_min_vcpus(&t, TIER_LOW, 1), 7);
        CHECK_INT(tier_min_vcpus(&t, TIER_LOW, -1), 7);

        CHECK_INT(tier_min_vcpus(&t, _TIER_INVALID, 0), 0);
        CHECK_INT(tier_min_vcpus(&t, _TIER_MAX, 1), 0);
}

int main(void) {
        RUN(tier_strings);
        RUN(numa_policy_strings);
        RUN(defaults);
        RUN(min_vcpus);
        return TEST_MAIN_END();
}
