/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* How many operations of each kind ended since accelnetd started, how many failed, and how
 * long their callers waited: from the request (operation_new) to the outcome on disk and
 * told (operation_complete), as a cumulative histogram with fixed bounds. Read over the bus
 * with GetOperationStats (for accelnet-exporter's latency histograms). Plain counters on
 * the loop thread: no lock. */

#include <stdbool.h>
#include <stdint.h>

typedef enum OpKind {
        OP_KIND_PROVISION,   /* sriov_numvfs writes of the intent's adapters */
        OP_KIND_MANAGEMENT,  /* Enable, Set, Disable: the settings */
        OP_KIND_VM_ENABLE,   /* VmJobKind, one each (vm-work.h) */
        OP_KIND_VM_SET,
        OP_KIND_VM_MOVE,
        OP_KIND_VM_DISABLE,
        OP_KIND_VM_RESTORE,
        OP_KIND_VM_SETTING,
        OP_KIND_VM_STRAY,
        _OP_KIND_MAX,
        _OP_KIND_INVALID = -22,
} OpKind;

/* "provision", "management", "vm-enable", "vm-set", "vm-move", "vm-disable", "vm-restore",
 * "vm-setting", "vm-stray" */
const char *op_kind_to_string(OpKind k);
OpKind op_kind_from_string(const char *s);

#define OP_STATS_N_BUCKETS 13
/* Upper bounds of the buckets in microseconds, ascending: 5 ms … 60 s (an igb PF takes
 * about 1.2 s per sriov_numvfs write; a live attach some hundred ms). */
extern const uint64_t op_stats_bucket_usec[OP_STATS_N_BUCKETS];

typedef struct OpKindStats {
        uint64_t count;       /* ended, whatever the outcome */
        uint64_t failures;    /* of which the caller was told an error */
        uint64_t sum_usec;
        uint64_t bucket[OP_STATS_N_BUCKETS]; /* cumulative: those that took ≤ the bound */
} OpKindStats;

typedef struct OpStats {
        OpKindStats kind[_OP_KIND_MAX];
} OpStats;

/* One operation of kind `k` ended after `usec`; ignored for a kind out of range. */
void op_stats_record(OpStats *s, OpKind k, uint64_t usec, bool failed);
