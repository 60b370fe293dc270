/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "opstats.h"
#include "shared/string-table.h"

static const char *const op_kind_table[_OP_KIND_MAX] = {
        [OP_KIND_PROVISION] = "provision",   [OP_KIND_MANAGEMENT] = "management",
        [OP_KIND_VM_ENABLE] = "vm-enable",   [OP_KIND_VM_SET] = "vm-set",
        [OP_KIND_VM_MOVE] = "vm-move",       [OP_KIND_VM_DISABLE] = "vm-disable",
        [OP_KIND_VM_RESTORE] = "vm-restore", [OP_KIND_VM_SETTING] = "vm-setting",
        [OP_KIND_VM_STRAY] = "vm-stray",
};

DEFINE_STRING_TABLE_LOOKUP(op_kind, OpKind);

const uint64_t op_stats_bucket_usec[OP_STATS_N_BUCKETS] = {
        5000, 10000, 25000, 50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000, 30000000, 60000000,
};

void op_stats_record(OpStats *s, OpKind k, uint64_t usec, bool failed) {
        if (!s || (int) k < 0 || k >= _OP_KIND_MAX)
                return;
        OpKindStats *st = &s->kind[k];
        st->count++;
        if (failed)
                st->failures++;
        st->sum_usec += usec;
        for (unsigned i = 0; i < OP_STATS_N_BUCKETS; i++)
                if (usec <= op_stats_bucket_usec[i])
                        st->bucket[i]++;
}
