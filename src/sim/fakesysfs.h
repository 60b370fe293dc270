/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Writing a fake sysfs (fakesysfs.c), for fakeroot.c and simkernel.c. Paths named `*_rel`
 * are relative to `root`; links are made relative, as the kernel's are, so that they
 * resolve inside the root wherever it is. Each function returns 0 or a negative errno. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/macro.h"
#include "shared/pciaddr.h"

typedef struct json_t json_t;

#define EXT_CAP_SRIOV 0x0010
#define EXT_CAP_ACS 0x000d
#define EXT_CAP_ARI 0x000e
#define EXT_CAP_SRIOV_SIZE 0x40 /* the SR-IOV registers read and written here end at 0x1c */

/* DIR/NAME with exactly these bytes, or this formatted text. */
int fs_put_file(const char *dir, const char *name, const void *data, size_t len);
int fs_put_text(const char *dir, const char *name, const char *fmt, ...) _printf_(3, 4);
/* LINK → TARGET (both root-relative), written as a relative path; parents created. */
int fs_rel_symlink(const char *root, const char *target_rel, const char *link_rel);
int fs_mkdir_rel(const char *root, const char *rel);

/* Little-endian config space registers. */
static inline void cfg_put16(uint8_t *c, int off, uint16_t v) {
        c[off] = v & 0xff;
        c[off + 1] = v >> 8;
}
static inline void cfg_put32(uint8_t *c, int off, uint32_t v) {
        for (int i = 0; i < 4; i++)
                c[off + i] = (v >> (8 * i)) & 0xff;
}
static inline uint16_t cfg_get16(const uint8_t *c, int off) {
        return (uint16_t) (c[off] | c[off + 1] << 8);
}
static inline uint32_t cfg_get32(const uint8_t *c, int off) {
        return (uint32_t) c[off] | (uint32_t) c[off + 1] << 8 | (uint32_t) c[off + 2] << 16 |
               (uint32_t) c[off + 3] << 24;
}
/* Offset of an extended capability of at least `size` bytes in raw bytes; -1 if absent or
 * cut short by the end of the bytes. Bounded against loops. */
int cfg_find_ext_cap(const uint8_t *c, size_t len, uint16_t id, size_t size);

/* Whether the device description `dev` (may be NULL) lists `name` in "omit". */
bool dev_omitted(const json_t *dev, const char *name);
/* The attributes every PCI function has, derived from its config bytes (docs). */
int fs_write_basic_attrs(const json_t *dev, const char *dir, const uint8_t *cfg, size_t len, int numa);
/* sys/bus/pci/drivers/DRIVER with bind/unbind, DEV/driver and the driver's back link. */
int fs_bind_driver(const char *root, const char *dev_rel, const char *address, const char *driver);
/* DEV/iommu_group → sys/kernel/iommu_groups/GROUP and its member link. */
int fs_add_iommu_group(const char *root, const char *dev_rel, const char *address, int group);
/* DEV/net/IFNAME/{address,speed,operstate,mtu,carrier,carrier_changes,flags} and sys/class/net/IFNAME. */
int fs_add_netdev(const char *root, const char *dev_rel, const char *ifname, const PciAddr *a, unsigned speed);
