/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* accelnetd's replies read into the records of records.h: the rows borrow the message's
 * strings; arrays are owned (free(), or intent_rows_free). Each returns 0 or a negative
 * errno (-EBADMSG and friends for a wrong signature). */

#include <stddef.h>
#include <systemd/sd-bus.h>

#include "records.h"

/* Reads an array of "(" sig ")" structs into an owned array of Type (reset to {} before
 * each row): read_one is an expression that reads the row at _x (a Type *) and gives < 0 on
 * error, 0 at the array's end and > 0 for a row read. Evaluates to 0 (*ret and *ret_n set) or a
 * negative errno (nothing set). */
#define RECORDS_READ_ARRAY(m, sig, Type, ret, ret_n, read_one)                                      \
        ({                                                                                          \
                _cleanup_free_ Type *_rows = NULL;                                                  \
                size_t _n = 0, _allocated = 0;                                                      \
                int _r = sd_bus_message_enter_container(m, 'a', "(" sig ")");                       \
                while (_r >= 0) {                                                                   \
                        _r = records_reserve((void **) &_rows, &_allocated, _n + 1, sizeof(Type));  \
                        if (_r < 0)                                                                 \
                                break;                                                              \
                        Type *_x = &_rows[_n];                                                      \
                        *_x = (Type) {};                                                            \
                        _r = (read_one);                                                            \
                        if (_r <= 0)                                                                \
                                break;                                                              \
                        _n++;                                                                       \
                }                                                                                   \
                if (_r >= 0)                                                                        \
                        _r = sd_bus_message_exit_container(m);                                      \
                if (_r >= 0) {                                                                      \
                        *(ret) = TAKE_PTR(_rows);                                                   \
                        *(ret_n) = _n;                                                              \
                }                                                                                   \
                _r < 0 ? _r : 0;                                                                    \
        })

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
