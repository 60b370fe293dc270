/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The operation statistics of GetOperationStats (src/daemon/opstats.c): kind names, the
 * cumulative buckets, failures, and kinds out of range. */
#include <errno.h>

#include "daemon/opstats.h"
#include "testlib.h"

TEST(kind_names_round_trip) {
        for (OpKind k = 0; k < _OP_KIND_MAX; k++) {
                const char *s = op_kind_to_string(k);
                ASSERT(s);
                CHECK_INT(op_kind_from_string(s), k);
                for (OpKind o = 0; o < k; o++)
                        CHECK(strcmp(s, op_kind_to_string(o)) != 0);
        }
        CHECK_STR(op_kind_to_string(OP_KIND_VM_ENABLE), "vm-enable");
        CHECK_STR(op_kind_to_string(OP_KIND_PROVISION), "provision");
        CHECK(op_kind_to_string(_OP_KIND_MAX) == NULL);
        CHECK(op_kind_to_string(_OP_KIND_INVALID) == NULL);
        CHECK_INT(op_kind_from_string("nosuch"), -EINVAL);
        CHECK_INT(op_kind_from_string(NULL), -EINVAL);
}

TEST(bounds_ascending) {
        for (unsigned i = 1; i < OP_STATS_N_BUCKETS; i++)
                CHECK(op_stats_bucket_usec[i] > op_stats_bucket_usec[i - 1]);
        CHECK(op_stats_bucket_usec[0] == 5000);
        CHECK(op_stats_bucket_usec[OP_STATS_N_BUCKETS - 1] == 60000000);
}

TEST(record) {
        OpStats s = {};

        op_stats_record(&s, OP_KIND_VM_ENABLE, 5000, false);     /* on the first bound: in it */
        op_stats_record(&s, OP_KIND_VM_ENABLE, 5001, true);      /* just above */
        op_stats_record(&s, OP_KIND_VM_ENABLE, 1200000, false);  /* 1.2 s */
        op_stats_record(&s, OP_KIND_VM_ENABLE, 90000000, true);  /* above every bound */
        const OpKindStats *e = &s.kind[OP_KIND_VM_ENABLE];
        CHECK(e->count == 4);
        CHECK(e->failures == 2);
        CHECK(e->sum_usec == 5000 + 5001 + 1200000 + 90000000ULL);
        CHECK(e->bucket[0] == 1);                       /* ≤ 5 ms */
        CHECK(e->bucket[1] == 2);                       /* ≤ 10 ms */
        CHECK(e->bucket[6] == 2);                       /* ≤ 0.5 s */
        CHECK(e->bucket[7] == 2);                       /* ≤ 1 s */
        CHECK(e->bucket[8] == 3);                       /* ≤ 2.5 s */
        CHECK(e->bucket[OP_STATS_N_BUCKETS - 1] == 3);  /* ≤ 60 s: the 90 s one is in count only */
        for (unsigned i = 1; i < OP_STATS_N_BUCKETS; i++)
                CHECK(e->bucket[i] >= e->bucket[i - 1]);
        /* Other kinds untouched; kinds out of range ignored. */
        CHECK(s.kind[OP_KIND_VM_DISABLE].count == 0);
        op_stats_record(&s, _OP_KIND_INVALID, 1, true);
        op_stats_record(&s, _OP_KIND_MAX, 1, true);
        op_stats_record(NULL, OP_KIND_VM_SET, 1, true);
        uint64_t total = 0;
        for (OpKind k = 0; k < _OP_KIND_MAX; k++)
                total += s.kind[k].count;
        CHECK(total == 4);
}

int main(void) {
        RUN(kind_names_round_trip);
        RUN(bounds_ascending);
        RUN(record);
        return TEST_MAIN_END();
}
