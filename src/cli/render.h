/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Human output of every command, as text (so tests can compare it). Tables have an
 * upper-case header row and a "N things listed." footer unless legend is off. Each
 * function returns 0 and an owned string in *ret, or -ENOMEM. */

#include <stdbool.h>
#include <stddef.h>

#include "records.h"
#include "table.h"

typedef struct RenderOptions {
        bool legend;  /* header row and footer */
        size_t width; /* wrap width for details; 0 = TABLE_DEFAULT_WIDTH */
} RenderOptions;

/* A table with the header row when o->legend says so. NULL on OOM. */
Table *render_table_new(const RenderOptions *o, size_t n, const char *const *headers);
/* Formats the table and, with the legend, a footer after an empty line. */
int render_table_finish(const Table *t, const RenderOptions *o, const char *footer, char **ret);

/* RESULT CHECK SUBJECT CODE, each row followed by its detail indented and wrapped;
 * footer "N checks: P passed, W warnings, F failed." */
int prereq_rows_render(const PrereqRow *rows, size_t n, const RenderOptions *o, char **ret);
/* ADDRESS IFNAME DRIVER SUPPORT TOTAL ENABLED ASSIGNED */
int adapter_rows_render(const AdapterRow *rows, size_t n, const RenderOptions *o, char **ret);
/* VM STATE PERFORMANCE VF NOTE, only rows that pass filter; with show_node (in a
 * cluster) VM NODE STATE PERFORMANCE VF NOTE. */
int vm_rows_render(const VmRow *rows, size_t n, VmFilter filter, bool show_node, const RenderOptions *o,
                   char **ret);
/* ID NAME STATE HT CAP(ACITY) USABLE ASSIGNED (and HEALTH, the worst state of its adapters, when
 * the rows have it), each node's note (if any) and health summary (when not healthy) below
 * it, indented and wrapped; footer "N nodes listed." or "N nodes listed: M members, L lost." */
int node_rows_render(const NodeRow *rows, size_t n, const RenderOptions *o, char **ret);
/* cluster status: "Key: value" lines (Cluster, Quorate, Members, Enabled, Intent, Node
 * reserve, Nodes in reserve, Capacity VFs, Usable VFs, Assigned VFs). */
int cluster_summary_render(const ClusterSummary *s, char **ret);
/* NAME TYPES ADAPTERS (lists comma-separated) */
int intent_rows_render(const IntentRow *rows, size_t n, const RenderOptions *o, char **ret);
/* VM RESULT ERROR; a failed row is followed by the error's message when the error table
 * (shared/anerror.h) knows its name; footer "N done, F failed." */
int vm_results_render(const VmResult *results, size_t n, const RenderOptions *o, char **ret);
/* "Key: value" lines, known properties first in the contract's order with readable keys
 * (Enabled, Intent, Node reserve, Hyperthreading, Capacity VFs, Usable VFs, Assigned VFs,
 * Cluster, Version), then any other property under its D-Bus name. Booleans are yes/no,
 * an empty string is "-", the reserve gets a '%'. The Cluster line is made of ClusterName,
 * ClusterNodes and Quorate, and is there without them too (a cluster of one). */
int properties_render(const Property *props, size_t n, char **ret);

/* adapter drain on a terminal: "Draining ens1 (0000:01:00.0): 3 of 8 VFs revoked" while it
 * runs (address "" leaves out the parenthesis), "Drained ens1 (0000:01:00.0): 8 VFs revoked."
 * when done (final). */
int drain_progress_render(const char *name, const char *address, unsigned done, unsigned total, bool final,
                          char **ret);

/* enable/set on a terminal, monitor: "Provisioning ens1 (0000:01:00.0): 0 of 8 VFs created"
 * (final: "Provisioned ens1 (0000:01:00.0): 8 VFs created."); address as for drain. */
int provision_progress_render(const char *name, const char *address, unsigned done, unsigned total, bool final,
                              char **ret);

/* ACCELNET_BUS_ERROR_PREFIX "NoSuchVM" → "NoSuchVM"; other names unchanged. Borrowed. */
const char *error_name_short(const char *name);
