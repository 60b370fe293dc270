/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Provisioning VFs through sriov_numvfs. Safe to call from a worker thread (no shared
 * state). With `simulate`, the write is carried out by the simulated kernel of a fake root
 * (fakeroot_set_vfs), including the kernel's error cases. */

#include <stdbool.h>

typedef struct VfHolder {
        char vf[20];
        char holder[64];   /* driver bound to the VF ("vfio-pci"), if any */
} VfHolder;

/* Current sriov_numvfs and sriov_totalvfs of a PF. */
int pf_read_num_vfs(const char *root, const char *pf, unsigned *ret_num, unsigned *ret_total);

/* Sets sriov_numvfs to `n`: nothing when it already is n; goes through 0 when changing a
 * non-zero count (the kernel refuses n→m with EBUSY). sriov_drivers_autoprobe is set to
 * `autoprobe` first (VFs meant for VFIO should not be grabbed by the VF netdev driver).
 * Returns the kernel's errno: -ENOENT (no PF driver with SR-IOV support), -ERANGE (above
 * TotalVFs), -ENOMEM/-ENOSPC (no bus numbers or MMIO space), -EBUSY (VFs in use). */
int pf_write_num_vfs(const char *root, bool simulate, const char *pf, unsigned n, bool autoprobe);

/* "No PF driver with SR-IOV support is bound (ENOENT)" etc.: the admin's reading of a
 * sriov_numvfs write error, with the remedy. Static string. */
const char *pf_num_vfs_strerror(int r);

/* VF address of virtfnN, into buf (PCI_ADDR_STRLEN). */
int pf_vf_address(const char *root, const char *pf, unsigned index, char *buf);
/* The driver bound to a VF (owned string) or -ENOENT if none. */
int vf_read_driver(const char *root, const char *vf, char **ret);
