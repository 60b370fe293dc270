/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Plain data about the host, filled by src/sriov (which reads the hardware) and judged by
 * src/policy (which decides). No library types here, so both layers can share it. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pciaddr.h"

/* PCI Express device/port types (PCIe base spec, Capabilities register bits 7:4). */
#define PCIE_TYPE_NONE (-1) /* conventional PCI: no PCI Express capability */
#define PCIE_TYPE_ENDPOINT 0x0
#define PCIE_TYPE_ROOT_PORT 0x4
#define PCIE_TYPE_UPSTREAM 0x5
#define PCIE_TYPE_DOWNSTREAM 0x6
#define PCIE_TYPE_PCI_BRIDGE 0x7
#define PCIE_TYPE_PCIE_BRIDGE 0x8
#define PCIE_TYPE_RC_INTEGRATED 0x9

/* ACS Capability/Control bits (PCIe base spec 7.7.8). */
#define ACS_SOURCE_VALIDATION 0x0001
#define ACS_TRANSLATION_BLOCKING 0x0002
#define ACS_REQUEST_REDIRECT 0x0004
#define ACS_COMPLETION_REDIRECT 0x0008
#define ACS_UPSTREAM_FORWARDING 0x0010

/* One bridge on the way from a PF up to its root port. */
typedef struct PciPort {
        char address[PCI_ADDR_STRLEN];
        char *sysfs_rel;           /* sys/devices/... relative to the root */
        char *name;                /* vendor and device name from the ID database */
        int pcie_type;             /* PCI_EXP_TYPE_* or PCIE_TYPE_NONE */
        bool has_acs;
        uint16_t acs_cap, acs_ctrl;
        int acs_offset;            /* config offset of the ACS capability, -1 if none */
        int secondary_bus, subordinate_bus; /* -1 when unknown */
        const char *bus_source;    /* "subordinate_bus_number" or "config" (static string) */
        char *problem;             /* set when the port could not be read */
} PciPort;

/* One network function that is (or might be) an SR-IOV physical function. */
typedef struct PfFacts {
        char address[PCI_ADDR_STRLEN];
        PciAddr addr;
        char *sysfs_rel;           /* sys/devices/... relative to the root, NULL if unresolved */
        char *ifname, *driver, *vendor_name, *device_name;
        uint16_t vendor, device;
        uint32_t class_code;       /* 0x020000 */
        int numa_node;             /* -1 unknown */
        int64_t link_speed_mbps;   /* -1 unknown */
        int iommu_group;           /* -1 none */

        size_t config_size;        /* bytes of config space that could be read */
        bool config_all_ones;
        int pcie_type;

        bool has_sriov;            /* SR-IOV capability seen in config space */
        int sriov_offset_cfg;      /* config offset of the capability */
        uint16_t total_vfs, initial_vfs, num_vfs, vf_offset, vf_stride, vf_device;
        bool vf_enable, ari_hierarchy;

        bool sysfs_sriov;          /* sriov_totalvfs present in sysfs */
        uint32_t sysfs_total_vfs, sysfs_num_vfs;
        int autoprobe;             /* sriov_drivers_autoprobe, -1 unknown */
        uint32_t vfs_present;      /* virtfnN links */

        PciPort *path;             /* nearest bridge first, root port last */
        size_t n_path;
        bool path_complete;        /* the walk reached the host bridge */

        char **problems;           /* "FILE: what is wrong" */
        size_t n_problems;
} PfFacts;

typedef struct HostFacts {
        char *root;
        bool iommu_on;             /* sys/class/iommu has an entry */
        char *iommu_units;         /* "dmar0 dmar1", NULL if none */
        char *kernel_release;      /* proc/sys/kernel/osrelease */
        char *cmdline;             /* proc/cmdline, evidence only */
        int smt_active;            /* 1, 0, or -1 when unknown */
        char *smt_problem;
        int *cpu_node;             /* NUMA node of each CPU (sys/devices/system/node), -1 unknown */
        size_t n_cpus;             /* 0 when the host reports no NUMA nodes */

        PfFacts *adapters;
        size_t n_adapters;
        char **ignored;            /* SR-IOV functions that are not network adapters, with why */
        size_t n_ignored;
        char **problems;           /* host-wide read problems */
        size_t n_problems;
} HostFacts;

void pci_port_done(PciPort *p);
void pf_facts_done(PfFacts *f);
HostFacts *host_facts_free(HostFacts *h);
static inline void host_facts_freep(HostFacts **h) {
        if (*h)
                *h = host_facts_free(*h);
}

/* Appends a formatted string to a growable array. */
int strv_appendf(char ***v, size_t *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void strv_free_n(char **v, size_t n);

const PfFacts *host_facts_find_adapter(const HostFacts *h, const char *name_or_address);
/* The one node all CPUs of a cpuset ("8-15", "3,5,^4") belong to, or -1 (spans nodes,
 * unknown CPU, malformed, no NUMA information). */
int host_facts_cpuset_node(const HostFacts *h, const char *cpuset);
