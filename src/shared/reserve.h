/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How many nodes the node reserve holds back (DESIGN §2, "Cluster"), for whoever cannot
 * reach src/policy: accelnetctl shows k for the current membership. The reserve is the
 * percentage of cluster nodes that can be down at once while every accelerated VM still has
 * a VF; on a cluster of one it is a share of the host's VFs and holds no node. The usable
 * VFs U (the total less the k largest nodes' capacities) are the daemon's, policy's
 * reserve_usable(). */

#include <stdint.h>

/* k = min(n - 1, ceil(n * reserve / 100)); 0 when n <= 1. A reserve above 100 counts as
 * 100. The same k as policy's reserve_nodes() for every valid reserve (0-99). */
uint32_t reserve_nodes_held(uint32_t n, uint32_t reserve);
