/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "shared/string-table.h"
#include "shared/tier.h"

static const char *const tier_table[_TIER_MAX] = {
        [TIER_LOW] = "Low",
        [TIER_MEDIUM] = "Medium",
        [TIER_HIGH] = "High",
};

DEFINE_STRING_TABLE_LOOKUP(tier, Tier);
