/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The VF counters of one adapter (IFLA_VF_STATS through src/sriov: the kernel's rtnetlink,
 * which any user may read, or the simulated host under its root) with each VF's PCI address
 * (ROOT/sys/bus/pci/devices/PF/virtfnN). */

#include "snapshot.h"
#include "sriov/backend.h"

typedef struct VfStatsReader VfStatsReader;

int vf_stats_reader_new(const SriovBackend *backend, const char *root, VfStatsReader **ret);
VfStatsReader *vf_stats_reader_free(VfStatsReader *r);

/* Fills a->vfs (a->vf_read) for an adapter with enabled VFs and a netdev; a failure is kept
 * in a->vf_error (-ENOMEM is also returned). */
int vf_stats_read(VfStatsReader *rd, AdapterRow *a);
