/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* accelnetd's replies read into the records of records.h: the rows borrow the message's
 * strings; arrays are owned (free(), or intent_rows_free). Each returns 0 or a negative
 * errno (-EBADMSG and friends for a wrong signature). */

#include <stddef.h>
#include <systemd/sd-bus.h>

#include "records.h"

int prereq_rows_read(sd_bus_message *m, PrereqRow **ret, size_t *ret_n);
int adapter_rows_read(sd_bus_message *m, AdapterRow **ret, size_t *ret_n);
int vm_rows_read(sd_bus_message *m, VmRow **ret, size_t *ret_n);
/* ListClusterVMs: the same rows with their node. */
int cluster_vm_rows_read(sd_bus_message *m, VmRow **ret, size_t *ret_n);
int node_rows_read(sd_bus_message *m, NodeRow **ret, size_t *ret_n);
int node_capacity_rows_read(sd_bus_message *m, NodeCapacityRow **ret, size_t *ret_n);
int intent_rows_read(sd_bus_message *m, IntentRow **ret, size_t *ret_n);
int vm_results_read(sd_bus_message *m, VmResult **ret, size_t *ret_n);
/* EnableVMsEx/DisableVMsEx: a(sss), each VM's message too. */
int vm_results_ex_read(sd_bus_message *m, VmResult **ret, size_t *ret_n);
int explain_rows_read(sd_bus_message *m, ExplainRow **ret, size_t *ret_n);
int properties_read(sd_bus_message *m, Property **ret, size_t *ret_n);
