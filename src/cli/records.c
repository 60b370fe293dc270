/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <strings.h>

#include "records.h"
#include "shared/macro.h"
#include "shared/names.h"
#include "shared/reserve.h"

void intent_rows_free(IntentRow *rows, size_t n) {
        if (!rows)
                return;
        for (size_t i = 0; i < n; i++) {
                free(rows[i].types);
                free(rows[i].adapters);
        }
        free(rows);
}

bool vm_row_matches(const VmRow *row, VmFilter filter) {
        switch (filter) {
        case VM_FILTER_ENABLED:
                return row->state && strcasecmp(row->state, ACCELNET_VM_STATE_ENABLED) == 0;
        case VM_FILTER_DISABLED:
                return row->state && strcasecmp(row->state, ACCELNET_VM_STATE_DISABLED) == 0;
        default:
                return true;
        }
}

bool vm_result_failed(const VmResult *r) {
        return !isempty(r->error);
}

size_t vm_results_n_failed(const VmResult *results, size_t n) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (vm_result_failed(&results[i]))
                        k++;
        return k;
}

const Property *property_find(const Property *props, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (streq_ptr(props[i].name, name))
                        return &props[i];
        return NULL;
}

int records_reserve(void **array, size_t *allocated, size_t need, size_t size) {
        if (need <= *allocated)
                return 0;
        if (need > RECORDS_MAX)
                return -E2BIG;
        size_t want = *allocated ? *allocated * 2 : 8;
        while (want < need)
                want *= 2;
        void *p = reallocarray(*array, want, size);
        if (!p)
                return -ENOMEM;
        *array = p;
        *allocated = want;
        return 0;
}

static bool property_bool(const Property *props, size_t n, const char *name, bool def) {
        const Property *p = property_find(props, n, name);
        return p && p->type == PROPERTY_BOOLEAN ? p->b : def;
}

static uint64_t property_uint(const Property *props, size_t n, const char *name, uint64_t def) {
        const Property *p = property_find(props, n, name);
        return p && p->type == PROPERTY_UNSIGNED ? p->u : def;
}

static const char *property_string(const Property *props, size_t n, const char *name, const char *def) {
        const Property *p = property_find(props, n, name);
        return p && p->type == PROPERTY_STRING ? strempty(p->s) : def;
}

static uint32_t u32(uint64_t v) {
        return v > UINT32_MAX ? UINT32_MAX : (uint32_t) v;
}

ClusterInfo cluster_info_from_properties(const Property *props, size_t n) {
        return (ClusterInfo) {
                .name = property_string(props, n, "ClusterName", ""),
                .members = u32(property_uint(props, n, "ClusterNodes", 1)),
                .quorate = property_bool(props, n, "Quorate", true),
        };
}

bool cluster_info_in_cluster(const ClusterInfo *c) {
        return !isempty(c->name) || c->members > 1 || !c->quorate;
}

bool node_row_is_member(const NodeRow *row) {
        return row->state && strcasecmp(row->state, ACCELNET_NODE_STATE_MEMBER) == 0;
}

void node_rows_add_capacity(NodeRow *rows, size_t n, const NodeCapacityRow *cap, size_t n_cap) {
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < n_cap; k++) {
                        if (cap[k].id != rows[i].id)
                                continue;
                        rows[i].has_free = true;
                        rows[i].free_vfs = cap[k].free_vfs;
                        rows[i].free_high = cap[k].free_high;
                        rows[i].free_medium = cap[k].free_medium;
                        rows[i].free_low = cap[k].free_low;
                        break;
                }
}

void cluster_summary_build(const Property *props, size_t n, const NodeRow *nodes, size_t n_nodes,
                           ClusterSummary *ret) {
        ClusterSummary s = {
                .cluster = cluster_info_from_properties(props, n),
                .enabled = property_bool(props, n, "Enabled", false),
                .intent = property_string(props, n, "IntentName", ""),
                .reserve = u32(property_uint(props, n, "NodeReservePercentage", 0)),
        };
        s.reserve_nodes = reserve_nodes_held(s.cluster.members, s.reserve);
        for (size_t i = 0; i < n_nodes; i++) {
                if (!node_row_is_member(&nodes[i])) {
                        s.n_lost++;
                        continue;
                }
                s.n_members++;
                s.capacity_vfs += nodes[i].capacity_vfs;
                s.usable_vfs += nodes[i].usable_vfs;
                s.assigned_vfs += nodes[i].assigned_vfs;
        }
        *ret = s;
}

NodeRow node_row_from_properties(const Property *props, size_t n, const char *hostname) {
        return (NodeRow) {
                .id = 0,
                .name = strempty(hostname),
                .state = ACCELNET_NODE_STATE_MEMBER,
                .hyperthreading = property_bool(props, n, "HyperthreadingEnabled", false),
                .capacity_vfs = u32(property_uint(props, n, "CapacityVFs", 0)),
                .usable_vfs = u32(property_uint(props, n, "UsableVFs", 0)),
                .assigned_vfs = u32(property_uint(props, n, "AssignedVFs", 0)),
                .note = "",
        };
}
