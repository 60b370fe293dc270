/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The rows of accelnetd's replies as plain data. commands.c fills them from a D-Bus
 * reply, output.c turns them into JSON and render.c into tables, so both formats can be
 * tested without a bus. Strings are borrowed (from the sd_bus_message they were read
 * from, which must outlive the rows); only the arrays are owned. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "args.h"

/* GetPrerequisites: a(sssss) */
typedef struct PrereqRow {
        const char *check, *subject, *result, *code, *detail;
} PrereqRow;

/* ListAdapters: a(ssssuuu); ListAdaptersEx adds a{sv} (has_ex, views.c). */
typedef struct AdapterRow {
        const char *address, *ifname, *driver, *support;
        uint32_t total_vfs, enabled_vfs, assigned_vfs;
        bool has_ex;
        int32_t numa_node;         /* -1 unknown */
        uint32_t speed_mbps;       /* 0 unknown */
        const char *vendor, *model, *intent, *health;
        int quarantined, drained;  /* D-Bus booleans */
} AdapterRow;

/* ListVMs: a(sssss); ListClusterVMs: a(ssssss) with the node second. node is NULL when
 * the rows came from ListVMs (a daemon older than cluster mode). */
typedef struct VmRow {
        const char *vm, *state, *performance, *vf, *note;
        const char *node;
        /* ListVMsEx's a{sv} (views.c); has_ex false from the older methods, power NULL for a
         * VM of another node (its facts are not announced) */
        bool has_ex;
        const char *power, *numa_local, *pf;
        uint32_t vcpus;
        int32_t numa_node, vf_numa_node;
        /* "eligible_tiers" (a VM of this node, from a daemon that has the key): the tiers it
         * passes admission's static checks for, bit 1u << Tier */
        bool has_eligible;
        unsigned eligible;
} VmRow;

/* ListNodes: a(ussbuuus); with the node's free VFs from ListNodeCapacity when the daemon has
 * it (has_free). */
typedef struct NodeRow {
        uint32_t id;
        const char *name, *state; /* state: ACCELNET_NODE_STATE_MEMBER or _LOST */
        int hyperthreading;       /* a D-Bus boolean: 0 or 1 */
        uint32_t capacity_vfs, usable_vfs, assigned_vfs;
        const char *note;
        bool has_free;
        uint32_t free_vfs, free_high, free_medium, free_low;
        const char *health;       /* ListNodeHealth's summary ("" unreported); NULL when the daemon lacks it */
} NodeRow;

/* ListNodeCapacity: a(usuuuu) */
typedef struct NodeCapacityRow {
        uint32_t id;
        const char *name;
        uint32_t free_vfs, free_high, free_medium, free_low;
} NodeCapacityRow;

/* ListIntents: a(sasas) */
typedef struct IntentRow {
        const char *name;
        const char **types;    /* owned array */
        size_t n_types;
        const char **adapters; /* owned array */
        size_t n_adapters;
} IntentRow;

/* EnableVMs/DisableVMs: a(ss); error is "" when the VM is done. EnableVMsEx/DisableVMsEx:
 * a(sss) with the message the single-VM call would give (NULL from the older methods). */
typedef struct VmResult {
        const char *vm, *error;
        const char *message;
} VmResult;

/* One property of GetAll. Unknown types are skipped when reading. */
typedef enum PropertyType {
        PROPERTY_BOOLEAN,
        PROPERTY_STRING,
        PROPERTY_UNSIGNED,
        PROPERTY_SIGNED,
        PROPERTY_DOUBLE,
} PropertyType;

typedef struct Property {
        const char *name;
        PropertyType type;
        union {
                bool b;
                const char *s;
                uint64_t u;
                int64_t i;
                double d;
        };
} Property;

void intent_rows_free(IntentRow *rows, size_t n);

/* The cluster as the Manager's properties ClusterName, ClusterNodes and Quorate describe
 * it. A daemon without them (older than cluster mode) is a cluster of one: name "",
 * 1 member, quorate. */
typedef struct ClusterInfo {
        const char *name; /* "" when not in a corosync cluster; borrowed */
        uint32_t members; /* N */
        bool quorate;
} ClusterInfo;

ClusterInfo cluster_info_from_properties(const Property *props, size_t n);
/* In a corosync cluster: a cluster name, more than one member (corosync runs without
 * totem.cluster_name too), or no quorum (a cluster of one is always quorate; a node that was
 * in a cluster stays in cluster mode while corosync is unreachable: no name, 1 member, not
 * quorate). */
bool cluster_info_in_cluster(const ClusterInfo *c);

/* What "cluster status" shows: the cluster, its settings, and the VF counts summed over
 * the member nodes of ListNodes. */
typedef struct ClusterSummary {
        ClusterInfo cluster;
        bool enabled;
        const char *intent;     /* borrowed; "" when none */
        uint32_t reserve;       /* NodeReservePercentage */
        uint32_t reserve_nodes; /* k for N = cluster.members and the reserve */
        uint64_t capacity_vfs, usable_vfs, assigned_vfs;
        size_t n_members, n_lost; /* rows of ListNodes: members, and the others (lost) */
} ClusterSummary;

void cluster_summary_build(const Property *props, size_t n, const NodeRow *nodes, size_t n_nodes,
                           ClusterSummary *ret);

/* The one row of ListNodes that a daemon without it (older than cluster mode) stands for:
 * node id 0, the host name given, a member, and the node's properties. Borrows hostname. */
NodeRow node_row_from_properties(const Property *props, size_t n, const char *hostname);
bool node_row_is_member(const NodeRow *row);
/* Gives each node row the free VFs of the capacity row with its node id (has_free); rows
 * without one keep has_free false. */
void node_rows_add_capacity(NodeRow *rows, size_t n, const NodeCapacityRow *cap, size_t n_cap);

/* Whether a ListVMs row passes vm list's --enabled/--disabled (state compared
 * case-insensitively with "enabled"/"disabled"). */
bool vm_row_matches(const VmRow *row, VmFilter filter);
/* Whether a per-VM result is a failure. */
bool vm_result_failed(const VmResult *r);
size_t vm_results_n_failed(const VmResult *results, size_t n);

/* Finds a property by name; NULL if absent. */
const Property *property_find(const Property *props, size_t n, const char *name);

/* Grows *array (of elements of size `size`) so that it has room for `need` elements.
 * 0, -ENOMEM, or -E2BIG above RECORDS_MAX. */
#define RECORDS_MAX (1024 * 1024)
int records_reserve(void **array, size_t *allocated, size_t need, size_t size);

/* ExplainVM: a(sss) */
typedef struct ExplainRow {
        const char *check, *result, *detail;
} ExplainRow;
