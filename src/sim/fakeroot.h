/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Materialises a host description (JSON) as a root directory in the real kernel layout:
 * sys/devices/pciDDDD:BB/... with binary `config` files and the sysfs attributes,
 * sys/bus/pci/devices symlinks, drivers, IOMMU groups, net devices, proc files. Used by
 * the tests (from real lspci dumps) and by `accelnetd --simulate`. The format is
 * documented in docs/host-description.md. */

#include <stdbool.h>
#include <stdint.h>

typedef struct json_t json_t;

typedef struct FakeRootOptions {
        /* Where relative "dump" names are looked up. NULL: the description file's own
         * directory (fakeroot_build_file), the working directory (fakeroot_build). */
        const char *dump_dir;
} FakeRootOptions;

/* Builds into `root` (which must exist and should be empty). On a bad description returns
 * -EINVAL and, if ret_error is given, a message naming the field. opts may be NULL. */
int fakeroot_build(const char *root, const json_t *desc, const FakeRootOptions *opts, char **ret_error);
int fakeroot_build_file(const char *root, const char *json_path, const FakeRootOptions *opts,
                        char **ret_error);

/* What a kernel does when `n` is written to a PF's sriov_numvfs (simkernel.c): creates (n > 0) or removes
 * (n == 0) the VF functions: config, physfn/virtfnN links, IOMMU groups, and, when
 * vf_driver is set, a bound driver and a netdev per VF. */
int fakeroot_set_vfs(const char *root, const char *pf_address, unsigned n, const char *vf_driver);

/* Synthesised config space (4096 bytes) for the described function. */
typedef struct SynthConfig {
        uint16_t vendor, device;
        uint32_t class_code;
        int pcie_type;            /* PCIE_TYPE_*; PCIE_TYPE_NONE for conventional PCI */
        uint8_t secondary, subordinate, primary;
        uint16_t sriov_total, sriov_offset, sriov_stride, sriov_vf_device, sriov_num;
        bool sriov, acs, acs_enabled, ari;
} SynthConfig;

void synth_config(const SynthConfig *s, uint8_t out[4096]);
