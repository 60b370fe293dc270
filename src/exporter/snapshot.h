/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What one scrape read: accelnetd's answers over the bus (collect.c, health.c) and the VF
 * counters of this host's adapters (vfstats.c). render.c turns it into metrics; a unit
 * test builds one by hand. Every string is owned. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/pciaddr.h"
#include "sriov/vfpolicy.h"

typedef struct NodeRow {
        uint32_t id;
        char *name;
        bool member;                 /* "member" (else "lost") */
        uint32_t capacity, usable, assigned;
        bool has_free;               /* ListNodeCapacity had a row for it */
        uint32_t free, free_high, free_medium, free_low;
} NodeRow;

typedef struct VfRow {
        uint32_t index;
        char address[PCI_ADDR_STRLEN]; /* "" when virtfnN cannot be read */
        VfStats stats;
} VfRow;

typedef struct AdapterRow {
        char *address, *ifname, *driver, *verdict;
        uint32_t total_vfs, enabled_vfs, assigned_vfs;
        int vf_error;                /* reading the VF counters: 0 or -errno (not tried: 0, n_vfs 0) */
        bool vf_read;                /* the counters were read */
        VfRow *vfs;
        size_t n_vfs;
} AdapterRow;

typedef struct VmRow {
        char *name, *node, *state, *performance, *vf, *note;
} VmRow;

typedef struct OpRow {
        char *kind;
        uint64_t count, failures;
        double sum_seconds;
        size_t n_buckets;
        double *le;                  /* upper bounds, ascending */
        uint64_t *bucket;            /* cumulative */
} OpRow;

typedef struct HealthRow {
        char *address, *ifname, *state; /* "Healthy", "Degraded", "Failed" */
        bool quarantined;
        uint32_t n_reasons;
} HealthRow;

typedef struct Snapshot {
        bool up;                     /* accelnetd answered every core read */
        char *version;               /* accelnetd's; NULL when not up */
        bool enabled, hyperthreading;
        char *intent, *node_name;
        uint32_t reserve, capacity, usable, assigned;

        NodeRow *nodes;
        size_t n_nodes;
        bool has_node_capacity;      /* ListNodeCapacity answered */
        AdapterRow *adapters;
        size_t n_adapters;
        VmRow *vms;                  /* ListClusterVMs: every VM of the cluster, with its node */
        size_t n_vms;
        OpRow *ops;
        size_t n_ops;
        bool has_ops;                /* GetOperationStats answered */
        HealthRow *health;
        size_t n_health;
        bool has_health;             /* GetHealth answered */
} Snapshot;

void snapshot_done(Snapshot *s);
