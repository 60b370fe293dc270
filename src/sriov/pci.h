/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The libpci wrapper: config-space capabilities of one function, read through libpci's
 * sysfs backend pointed at ROOT/sys/bus/pci. Callers validate that the function's
 * config file is readable before asking (libpci's error hook cannot return). */

#include <stdbool.h>
#include <stdint.h>

#include "shared/pciaddr.h"

typedef struct PciAccess PciAccess;

typedef struct PciConfigInfo {
        uint8_t header_type;       /* 0 endpoint, 1 bridge */
        int pcie_type;             /* PCI_EXP_TYPE_*, or PCIE_TYPE_NONE */
        bool has_sriov;
        int sriov_pos;
        uint16_t sriov_ctrl, total_vfs, initial_vfs, num_vfs, vf_offset, vf_stride, vf_device;
        bool has_acs;
        int acs_pos;
        uint16_t acs_cap, acs_ctrl;
        int secondary_bus, subordinate_bus; /* type 1 headers only, else -1 */
} PciConfigInfo;

/* Owns a struct pci_access. */
int pci_access_new(const char *root, PciAccess **ret);
PciAccess *pci_access_free(PciAccess *a);
static inline void pci_access_freep(PciAccess **a) {
        if (*a)
                *a = pci_access_free(*a);
}

int pci_access_read_info(PciAccess *a, const PciAddr *addr, PciConfigInfo *ret);
/* "Intel Corporation" / "82576 Gigabit Network Connection"; owned strings. */
int pci_access_lookup_names(PciAccess *a, uint16_t vendor, uint16_t device, char **ret_vendor,
                            char **ret_device);
