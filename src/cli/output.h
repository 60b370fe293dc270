/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* --json: every command prints one JSON document on stdout. Lists are arrays of objects
 * with lowercase snake_case keys; status is one object. Strings are passed through as
 * the daemon sent them ("" stays ""), numbers are numbers, booleans booleans.
 * All builders return a new reference (owned by the caller), NULL on OOM. */

#include <jansson.h>
#include <stdio.h>

#include "args.h"
#include "records.h"
#include "shared/macro.h"

/* jansson ≥ 2.11 has json_decrefp too; ours works with any version. */
static inline void cli_json_decrefp(json_t **j) {
        if (*j) {
                json_decref(*j);
                *j = NULL;
        }
}
#define _cleanup_json_ _cleanup_(cli_json_decrefp)

/* [{"check","subject","result","code","detail"}] */
json_t *prereq_rows_to_json(const PrereqRow *rows, size_t n);
/* [{"address","ifname","driver","support","total_vfs","enabled_vfs","assigned_vfs"}] */
json_t *adapter_rows_to_json(const AdapterRow *rows, size_t n);
/* [{"vm","state","performance","vf","note"}], only the rows that pass filter; rows with a
 * node (from ListClusterVMs) have "node" too. */
/* One VM's object (vm list --json's and vm show --json's): ListVMs' fields, the node, and
 * ListVMsEx's facts and eligible_tiers when the daemon sent them. NULL on OOM. */
json_t *vm_row_to_json(const VmRow *v);
json_t *vm_rows_to_json(const VmRow *rows, size_t n, VmFilter filter);
/* [{"node_id","name","state","hyperthreading","capacity_vfs","usable_vfs","assigned_vfs",
 * "note"}], with "free_vfs","free_vfs_high","free_vfs_medium","free_vfs_low" on a row that has
 * them (ListNodeCapacity) */
json_t *node_rows_to_json(const NodeRow *rows, size_t n);
/* {"cluster_name","quorate","cluster_nodes","enabled","intent_name",
 * "node_reserve_percentage","reserve_nodes","capacity_vfs","usable_vfs","assigned_vfs"} */
json_t *cluster_summary_to_json(const ClusterSummary *s);
/* [{"name","types":[...],"adapters":[...]}] */
json_t *intent_rows_to_json(const IntentRow *rows, size_t n);
/* [{"vm","result":"done"|"failed","error":"" or the D-Bus error name}] */
json_t *vm_results_to_json(const VmResult *results, size_t n);
/* {"enabled":true,"intent_name":"...","node_reserve_percentage":50,...}: every property
 * under property_name_to_snake(name). */
json_t *properties_to_json(const Property *props, size_t n);
/* status: properties_to_json, with "cluster_name" "", "cluster_nodes" 1 and "quorate" true
 * for the cluster properties a daemon older than cluster mode does not have. */
json_t *status_to_json(const Property *props, size_t n);
/* {"result":"done"} for commands that return nothing. */
json_t *done_to_json(void);
/* adapter drain: {"result":"done","adapter":ADDRESS,"vfs_revoked":N,"vfs_total":N} */
json_t *drain_to_json(const char *adapter, unsigned revoked, unsigned total);

/* "CapacityVFs" → "capacity_vfs", "NodeReservePercentage" → "node_reserve_percentage":
 * an underscore before each upper-case letter that follows a lower-case letter or digit,
 * everything lower-cased. Owned; NULL on OOM. */
char *property_name_to_snake(const char *name);

/* Writes j and a newline. 0 or -EIO/-EINVAL. */
int json_print(json_t *j, FILE *f, JsonMode mode);
