/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "reserve.h"

uint32_t reserve_nodes_held(uint32_t n, uint32_t reserve) {
        if (n <= 1)
                return 0;
        uint64_t k = ((uint64_t) n * (reserve > 100 ? 100 : reserve) + 99) / 100; /* ceil */
        return k < n - 1 ? (uint32_t) k : n - 1;
}
