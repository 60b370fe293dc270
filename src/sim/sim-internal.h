/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The simulation's side of the backend table (sim.h): vfsim.c (VF policy) and simkernel.c
 * (sriov_numvfs) and simmonitor.c (PF events), gathered in sim.c. Not for other layers. */

#include "sriov/backend.h"

typedef struct SimVf SimVf;

int sim_vf_open(const char *root, void **ret_handle);
void sim_vf_close(void *handle);
int sim_vf_list(void *handle, const char *pf, unsigned flags, VfInfo **ret, size_t *ret_n);
int sim_vf_set(void *handle, const char *pf, const VfSetRequest *reqs, size_t n, int *results);
int sim_write_num_vfs(const char *root, const char *pf, unsigned n);
/* The simulated PF event source (simmonitor.c, protocol in simevent.h). */
int sim_monitor_open(PfMonitor *mon, void **ret_handle);
void sim_monitor_close(void *handle);
