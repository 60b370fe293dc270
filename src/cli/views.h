/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* accelnetctl's views of issue 14: vm show, vm check (ExplainVM), vf list (ListVFs), and the
 * Ex forms of the listings and batches (ListVMsEx, ListAdaptersEx, EnableVMsEx,
 * DisableVMsEx) that vm list, adapters, vm enable and vm disable use when the daemon has
 * them. Strings are borrowed from the reply; arrays are owned. */

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "commands.h"
#include "records.h"
#include "render.h"

/* The widest a table of these views is when the output is not a terminal. */
#define VIEWS_PIPE_WIDTH 80

/* ListVFs: a(ssua{sv}); has_stats when the PF reported counters, the booleans -1 when not
 * reported */
typedef struct VfRow {
        const char *pf, *vf;
        uint32_t index;
        const char *mac, *link_state, *owner;
        uint32_t vlan, qos, min_tx_rate, max_tx_rate;
        int spoof_check, trust;
        bool has_stats;
        uint64_t rx_bytes, tx_bytes, rx_packets, tx_packets, rx_dropped, tx_dropped, broadcast, multicast;
} VfRow;

int vf_rows_read(sd_bus_message *m, VfRow **ret, size_t *ret_n);
int vm_rows_ex_read(sd_bus_message *m, VmRow **ret, size_t *ret_n);
int adapter_rows_ex_read(sd_bus_message *m, AdapterRow **ret, size_t *ret_n);

/* The VM's facts as "Key: value" lines (VM, State, VF, Node, Power, NUMA, Note). */
int vm_facts_render(const VmRow *vm, size_t width, char **ret);
/* RESULT CHECK with each detail wrapped below; a Failed row says FAILED; footer "N checks:
 * P passed, W warnings, F failed." */
int explain_rows_render(const ExplainRow *rows, size_t n, const RenderOptions *o, char **ret);
size_t explain_rows_n_failed(const ExplainRow *rows, size_t n);
json_t *explain_rows_to_json(const ExplainRow *rows, size_t n);
/* PF VF MAC VLAN SPOOF TRUST RATE LINK OWNER RX TX DROPS (VF: its index; the numbers short,
 * 1.5K, 12M); footer "N VFs listed." */
int vf_rows_render(const VfRow *rows, size_t n, const RenderOptions *o, char **ret);
json_t *vf_rows_to_json(const VfRow *rows, size_t n);
/* vm list with ListVMsEx: VM [NODE] STATE PERFORMANCE VF POWER VCPUS NUMA, the note wrapped
 * below the row; without the legend one line per VM, NOTE its last column. */
int vm_rows_ex_render(const VmRow *rows, size_t n, VmFilter filter, bool show_node, const RenderOptions *o,
                      char **ret);
/* adapters with ListAdaptersEx: ADDRESS IFNAME DRIVER SUPPORT VFS (assigned/enabled/total)
 * NUMA SPEED HEALTH INTENT (the first, "+N" for more), the model (vendor and device names)
 * below the row. */
int adapter_rows_ex_render(const AdapterRow *rows, size_t n, const RenderOptions *o, char **ret);
/* "1.5K", "12M", "987" */
void format_count(uint64_t n, char buf[static 8]);

/* Details wrapped at the terminal's width, never wider than VIEWS_PIPE_WIDTH into a pipe or
 * file. */
RenderOptions view_options(const CliContext *ctx);

int verb_vm_show(const CliContext *ctx);
int verb_vm_check(const CliContext *ctx);
int verb_vf_list(const CliContext *ctx);
