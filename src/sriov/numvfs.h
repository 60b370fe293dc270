/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Provisioning VFs through sriov_numvfs. Safe to call from a worker thread (no shared
 * state). The write itself is the backend's (backend.h): the kernel's is a write of the
 * sysfs file, the simulation's plays the kernel's part on a fake root, error cases
 * included. */

#include <stdbool.h>

typedef struct SriovBackend SriovBackend;

typedef struct VfHolder {
        char vf[20];
        char holder[64];   /* driver bound to the VF ("vfio-pci"), if any */
} VfHolder;

/* Current sriov_numvfs and sriov_totalvfs of a PF. */
int pf_read_num_vfs(const char *root, const char *pf, unsigned *ret_num, unsigned *ret_total);

/* Sets sriov_numvfs of the PF at PCI address `pf` to `n`: nothing when it already is n; goes through 0 when changing a
 * non-zero count (the kernel refuses n→m with EBUSY). sriov_drivers_autoprobe is set to
 * `autoprobe` first (VFs meant for VFIO should not be grabbed by the VF netdev driver).
 * Returns the kernel's errno: -ENOENT (no PF driver with SR-IOV support), -ERANGE (above
 * TotalVFs), -ENOMEM/-ENOSPC (no bus numbers or MMIO space), -EBUSY (VFs in use). */
int pf_set_num_vfs(const SriovBackend *b, const char *root, const char *pf, unsigned n, bool autoprobe);

/* "No PF driver with SR-IOV support is bound (ENOENT)" etc.: the admin's reading of a
 * sriov_numvfs write error, with the remedy. Static string. */
const char *pf_num_vfs_strerror(int r);

/* VF address of virtfnN, into buf (PCI_ADDR_STRLEN). */
int pf_vf_address(const char *root, const char *pf, unsigned index, char *buf);
/* The driver bound to a VF (owned string) or -ENOENT if none. */
int vf_read_driver(const char *root, const char *vf, char **ret);
