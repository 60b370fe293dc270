/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The kernel backend's operations (vfnetlink.c, numvfs.c), gathered into one table in
 * backend.c. Not for other layers: they reach them through sriov_backend_kernel(). */

#include "backend.h"

int vf_kernel_open(const char *root, void **ret_handle);
void vf_kernel_close(void *handle);
int vf_kernel_list(void *handle, const char *pf, unsigned flags, VfInfo **ret, size_t *ret_n);
int vf_kernel_set(void *handle, const char *pf, const VfSetRequest *reqs, size_t n, int *results);
int pf_kernel_write_num_vfs(const char *root, const char *pf, unsigned n);
int pf_kernel_monitor_open(PfMonitor *mon, void **ret_handle);
void pf_kernel_monitor_close(void *handle);
