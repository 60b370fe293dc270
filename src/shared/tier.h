/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The performance tiers by name; what each tier means is policy (policy/tier.h). */
typedef enum Tier {
        TIER_LOW,
        TIER_MEDIUM,
        TIER_HIGH,
        _TIER_MAX,
        _TIER_INVALID = -22,
} Tier;

/* "Low", "Medium", "High"; from_string is case-insensitive. */
const char *tier_to_string(Tier t);
Tier tier_from_string(const char *s);
