/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "shared/tier.h"

typedef enum NumaPolicy {
        NUMA_POLICY_NONE,      /* any VF */
        NUMA_POLICY_PREFERRED, /* a VF on the VM's NUMA node if one is free, else any */
        NUMA_POLICY_REQUIRED,  /* only a VF on the VM's NUMA node (when the placement is known) */
        _NUMA_POLICY_MAX,
        _NUMA_POLICY_INVALID = -22,
} NumaPolicy;

const char *numa_policy_to_string(NumaPolicy p);  /* "none", "preferred", "required" */
NumaPolicy numa_policy_from_string(const char *s);

typedef struct TierSpec {
        unsigned min_vcpus_smt_off;  /* seed: Low 2, Medium 2, High 4 */
        unsigned min_vcpus_smt_on;   /* seed: Low 4, Medium 4, High 4 */
        uint32_t min_tx_rate_mbps;   /* 0 = none */
        uint32_t max_tx_rate_mbps;   /* 0 = none */
        NumaPolicy numa;             /* Low none, Medium preferred, High required */
        bool rates_required;         /* an unsupported rate attribute fails the tier instead of warning */
} TierSpec;

typedef struct TierTable {
        TierSpec tiers[_TIER_MAX];
} TierTable;

/* The seed's table and the documented defaults for rates (Low 0/2000, Medium 0/10000,
 * High 0/0 i.e. unlimited). */
void tier_table_defaults(TierTable *t);

/* smt_active: 1, 0, or -1 when unknown (then the stricter "on" column applies). */
unsigned tier_min_vcpus(const TierTable *t, Tier tier, int smt_active);

/* The table in one line ("Low:2/4/0/2000/none/0 Medium:..."): equal on two nodes exactly
 * when their tables are. Newly allocated; NULL on ENOMEM. */
char *tier_table_digest(const TierTable *t);
