/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The seam between accelnet and the host's SR-IOV kernel interfaces: the kernel's (libnl,
 * sysfs) or a simulation's, chosen once at start. Interim shape; the simulation moves to
 * src/sim behind it. */

#include <stdbool.h>

typedef struct VfNetlink VfNetlink;
typedef struct SriovBackend SriovBackend;

const SriovBackend *sriov_backend_kernel(void);
const SriovBackend *sriov_backend_simulated(void);
bool sriov_backend_is_simulated(const SriovBackend *b);

/* A VF-policy handle for the calling thread. */
int vf_netlink_open(const SriovBackend *b, const char *root, VfNetlink **ret);
/* Sets sriov_numvfs (see numvfs.h for the semantics). */
int pf_set_num_vfs(const SriovBackend *b, const char *root, const char *pf, unsigned n, bool autoprobe);
