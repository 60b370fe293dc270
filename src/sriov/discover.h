/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "pci.h"
#include "shared/hostfacts.h"

/* Walks ROOT/sys/bus/pci/devices and reads every network function with SR-IOV (or whose
 * SR-IOV capability cannot be seen), its upstream path to the root port, and the host
 * facts (IOMMU, SMT, kernel). Never fails on bad sysfs content: what cannot be read is
 * recorded as a problem naming the file. Fails only on OOM or when `pacc` is NULL.
 * Adapters are sorted by PCI address. Returns an owned HostFacts. */
int host_discover(PciAccess *pacc, const char *root, HostFacts **ret);

/* Host-only part (IOMMU, SMT, kernel release, command line). */
int host_read_platform(const char *root, HostFacts *h);
