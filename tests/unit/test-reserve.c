/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The nodes the node reserve holds back, with the README's worked examples, and the same k
 * as policy's reserve_nodes() (the daemon's, which calls it). */
#include "policy/admission.h"
#include "shared/reserve.h"
#include "testlib.h"

TEST(nodes_held) {
        /* k = min(N - 1, ceil(N * reserve / 100)); README: four nodes */
        CHECK_INT(reserve_nodes_held(4, 50), 2);
        CHECK_INT(reserve_nodes_held(4, 25), 1);
        CHECK_INT(reserve_nodes_held(4, 0), 0);
        CHECK_INT(reserve_nodes_held(4, 99), 3); /* ceil(3.96) = 4, at most N - 1 */
        CHECK_INT(reserve_nodes_held(4, 1), 1);  /* any reserve holds a node */
        CHECK_INT(reserve_nodes_held(4, 26), 2);
        CHECK_INT(reserve_nodes_held(3, 33), 1);
        CHECK_INT(reserve_nodes_held(3, 34), 2);
        CHECK_INT(reserve_nodes_held(2, 50), 1);
        /* a cluster of one (or none) holds no node: its reserve is a share of its VFs */
        CHECK_INT(reserve_nodes_held(1, 99), 0);
        CHECK_INT(reserve_nodes_held(0, 50), 0);
        /* out of range: 100 at most, no overflow */
        CHECK_INT(reserve_nodes_held(5, 4294967295u), 4);
        CHECK_INT(reserve_nodes_held(4294967295u, 50), 2147483648u);
}

TEST(same_as_policy) {
        for (uint32_t n = 0; n <= 64; n++)
                for (uint32_t r = 0; r <= 99; r++)
                        if (reserve_nodes_held(n, r) != reserve_nodes(n, r)) {
                                fprintf(stderr, "n=%u reserve=%u: %u, policy %u\n", n, r, reserve_nodes_held(n, r),
                                        reserve_nodes(n, r));
                                CHECK(false);
                                return;
                        }
}

int main(void) {
        RUN(nodes_held);
        RUN(same_as_policy);
        return TEST_MAIN_END();
}
