/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Writing a fake sysfs: files, relative links, synthesised config space, and the pieces a PCI
 * function is made of (attributes, driver binding, IOMMU group, net device). Shared by the
 * host description builder (fakeroot.c) and the simulated kernel (simkernel.c). */
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "fakeroot.h"
#include "fakesysfs.h"
#include "shared/fileio.h"
#include "shared/hostfacts.h"
#include "shared/macro.h"

/* ---- files and links ---------------------------------------------------------------- */

int fs_put_file(const char *dir, const char *name, const void *data, size_t len) {
        _cleanup_free_ char *p = path_join(dir, name);
        _cleanup_fclose_ FILE *f = NULL;
        if (!p)
                return -ENOMEM;
        f = fopen(p, "we");
        if (!f)
                return -errno;
        if (len > 0 && fwrite(data, 1, len, f) != len)
                return -EIO;
        return fflush(f) == 0 ? 0 : -errno;
}

int fs_put_text(const char *dir, const char *name, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        int n;
        va_start(ap, fmt);
        n = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -ENOMEM;
        return fs_put_file(dir, name, s, (size_t) n);
}

/* Creates LINK (root-relative) pointing at TARGET (root-relative) with a relative path, as
 * the kernel's sysfs links are, so that realpath() never leaves the root. */
int fs_rel_symlink(const char *root, const char *target_rel, const char *link_rel) {
        _cleanup_free_ char *link_abs = root_path(root, link_rel), *dir = strdup(link_rel);
        char buf[PATH_MAX] = "";
        const char *t = target_rel, *l = link_rel;

        if (!link_abs || !dir)
                return -ENOMEM;
        /* Skip the common leading components. */
        for (;;) {
                size_t nt = strcspn(t, "/"), nl = strcspn(l, "/");
                if (nt != nl || strncmp(t, l, nt) != 0 || !l[nl] || !t[nt])
                        break;
                t += nt + 1;
                l += nl + 1;
        }
        for (const char *s = l; *s; s++)
                if (*s == '/')
                        strncat(buf, "../", sizeof buf - strlen(buf) - 1);
        strncat(buf, t, sizeof buf - strlen(buf) - 1);
        char *slash = strrchr(dir, '/');
        if (slash) {
                *slash = 0;
                _cleanup_free_ char *d = root_path(root, dir);
                if (!d || mkdir_p(d, 0755) < 0)
                        return -EIO;
        }
        (void) unlink(link_abs);
        return symlink(buf, link_abs) < 0 ? -errno : 0;
}

int fs_mkdir_rel(const char *root, const char *rel) {
        _cleanup_free_ char *p = root_path(root, rel);
        if (!p)
                return -ENOMEM;
        return mkdir_p(p, 0755);
}

/* ---- config space ---------------------------------------------------------------- */

void synth_config(const SynthConfig *s, uint8_t c[4096]) {
        bool bridge = s->pcie_type == PCIE_TYPE_ROOT_PORT || s->pcie_type == PCIE_TYPE_UPSTREAM ||
                      s->pcie_type == PCIE_TYPE_DOWNSTREAM || s->pcie_type == PCIE_TYPE_PCI_BRIDGE ||
                      (s->class_code >> 8) == 0x0604;
        int next = 0x100, prev = -1;

        memset(c, 0, 4096);
        cfg_put16(c, 0x00, s->vendor);
        cfg_put16(c, 0x02, s->device);
        cfg_put16(c, 0x04, 0x0406);                  /* memory + bus master + INTx disable */
        cfg_put16(c, 0x06, 0x0010);                  /* capability list */
        c[0x08] = 0x01;                          /* revision */
        c[0x09] = s->class_code & 0xff;
        c[0x0a] = (s->class_code >> 8) & 0xff;
        c[0x0b] = (s->class_code >> 16) & 0xff;
        c[0x0e] = bridge ? 1 : 0;
        if (bridge) {
                c[0x18] = s->primary;
                c[0x19] = s->secondary;
                c[0x1a] = s->subordinate;
        } else {
                cfg_put16(c, 0x2c, s->vendor);       /* subsystem */
                cfg_put16(c, 0x2e, s->device);
        }
        if (s->pcie_type == PCIE_TYPE_NONE) {
                cfg_put16(c, 0x06, 0);
                return;
        }
        c[0x34] = 0x40;
        c[0x40] = 0x10;                          /* PCI Express */
        c[0x41] = 0x00;
        cfg_put16(c, 0x42, (uint16_t) (0x0002 | (s->pcie_type & 0xf) << 4));

#define EXT_HDR(id, size)                                                          \
        do {                                                                       \
                if (prev >= 0)                                                     \
                        cfg_put32(c, prev, cfg_get32(c, prev) | (uint32_t) next << 20);    \
                cfg_put32(c, next, (uint32_t) (id) | 1u << 16);                        \
                prev = next;                                                       \
                next += (size);                                                    \
        } while (0)
        if (s->ari) {
                EXT_HDR(EXT_CAP_ARI, 0x10);
        }
        if (s->sriov) {
                int p = next;
                EXT_HDR(EXT_CAP_SRIOV, 0x40);
                cfg_put32(c, p + 0x04, 0);
                cfg_put16(c, p + 0x08, (uint16_t) ((s->sriov_num ? 0x0009 : 0x0000) | (s->ari ? 0x0010 : 0)));
                cfg_put16(c, p + 0x0c, s->sriov_total);
                cfg_put16(c, p + 0x0e, s->sriov_total);
                cfg_put16(c, p + 0x10, s->sriov_num);
                cfg_put16(c, p + 0x14, s->sriov_offset);
                cfg_put16(c, p + 0x16, s->sriov_stride);
                cfg_put16(c, p + 0x1a, s->sriov_vf_device);
                cfg_put32(c, p + 0x1c, 0x553);
                cfg_put32(c, p + 0x20, 0x1);
        }
        if (s->acs) {
                int p = next;
                EXT_HDR(EXT_CAP_ACS, 0x10);
                cfg_put16(c, p + 0x04, 0x001f);
                cfg_put16(c, p + 0x06, s->acs_enabled ? 0x001d : 0x0000);
        }
#undef EXT_HDR
}

/* Finds an extended capability of at least `size` bytes in raw bytes; -1 if absent or cut
 * short by the end of the bytes. Bounded against loops. */
int cfg_find_ext_cap(const uint8_t *c, size_t len, uint16_t id, size_t size) {
        int pos = 0x100;
        for (int i = 0; i < 256 && pos >= 0x100 && (size_t) pos + 4 <= len; i++) {
                uint32_t h = cfg_get32(c, pos);
                if (h == 0 || h == 0xffffffff)
                        return -1;
                if ((h & 0xffff) == id)
                        return (size_t) pos + size <= len ? pos : -1;
                pos = (int) (h >> 20) & 0xffc;
        }
        return -1;
}

/* ---- the parts of a function --------------------------------------------------------- */

bool dev_omitted(const json_t *dev, const char *name) {
        json_t *o = json_object_get(dev, "omit"), *v;
        size_t i;
        json_array_foreach(o, i, v)
                if (json_is_string(v) && streq(json_string_value(v), name))
                        return true;
        return false;
}

static int write_resource(const char *dir) {
        char buf[7 * 60] = "";
        for (int i = 0; i < 7; i++)
                strcat(buf, "0x0000000000000000 0x0000000000000000 0x0000000000000000\n");
        return fs_put_text(dir, "resource", "%s", buf);
}

/* The attributes every PCI function has, derived from its config bytes. */
int fs_write_basic_attrs(const json_t *dev, const char *dir, const uint8_t *cfg, size_t len, int numa) {
        int r = 0;
        if (len >= 64) {
                uint32_t cls = (uint32_t) cfg[0x09] | (uint32_t) cfg[0x0a] << 8 | (uint32_t) cfg[0x0b] << 16;
                if (!dev_omitted(dev, "vendor"))
                        r = r ?: fs_put_text(dir, "vendor", "0x%04x\n", cfg_get16(cfg, 0));
                if (!dev_omitted(dev, "device"))
                        r = r ?: fs_put_text(dir, "device", "0x%04x\n", cfg_get16(cfg, 2));
                if (!dev_omitted(dev, "class"))
                        r = r ?: fs_put_text(dir, "class", "0x%06x\n", cls);
                if (!dev_omitted(dev, "subsystem_vendor"))
                        r = r ?: fs_put_text(dir, "subsystem_vendor", "0x%04x\n", cfg_get16(cfg, 0x2c));
                if (!dev_omitted(dev, "subsystem_device"))
                        r = r ?: fs_put_text(dir, "subsystem_device", "0x%04x\n", cfg_get16(cfg, 0x2e));
                if (!dev_omitted(dev, "irq"))
                        r = r ?: fs_put_text(dir, "irq", "%u\n", cfg[0x3c] == 0xff ? 0 : cfg[0x3c]);
        }
        if (!dev_omitted(dev, "resource"))
                r = r ?: write_resource(dir);
        if (!dev_omitted(dev, "numa_node"))
                r = r ?: fs_put_text(dir, "numa_node", "%d\n", numa);
        return r;
}

int fs_bind_driver(const char *root, const char *dev_rel, const char *address, const char *driver) {
        _cleanup_free_ char *drv = NULL, *link = NULL, *back = NULL, *abs = NULL;
        int r;
        if (asprintf(&drv, "sys/bus/pci/drivers/%s", driver) < 0 ||
            asprintf(&link, "%s/driver", dev_rel) < 0 || asprintf(&back, "%s/%s", drv, address) < 0)
                return -ENOMEM;
        r = fs_mkdir_rel(root, drv);
        if (r < 0)
                return r;
        abs = root_path(root, drv);
        if (!abs)
                return -ENOMEM;
        (void) fs_put_text(abs, "bind", "%s", "");
        (void) fs_put_text(abs, "unbind", "%s", "");
        r = fs_rel_symlink(root, drv, link);
        return r < 0 ? r : fs_rel_symlink(root, dev_rel, back);
}

int fs_add_iommu_group(const char *root, const char *dev_rel, const char *address, int group) {
        _cleanup_free_ char *g = NULL, *link = NULL, *member = NULL;
        if (asprintf(&g, "sys/kernel/iommu_groups/%d", group) < 0 || asprintf(&link, "%s/iommu_group", dev_rel) < 0 ||
            asprintf(&member, "%s/devices/%s", g, address) < 0)
                return -ENOMEM;
        int r = fs_rel_symlink(root, g, link);
        return r < 0 ? r : fs_rel_symlink(root, dev_rel, member);
}

int fs_add_netdev(const char *root, const char *dev_rel, const char *ifname, const PciAddr *a,
                      unsigned speed) {
        _cleanup_free_ char *nrel = NULL, *nabs = NULL, *cls = NULL;
        int r;
        if (asprintf(&nrel, "%s/net/%s", dev_rel, ifname) < 0 || asprintf(&cls, "sys/class/net/%s", ifname) < 0)
                return -ENOMEM;
        r = fs_mkdir_rel(root, nrel);
        if (r < 0)
                return r;
        nabs = root_path(root, nrel);
        if (!nabs)
                return -ENOMEM;
        r = fs_put_text(nabs, "address", "52:54:%02x:%02x:%02x:%02x\n", a->domain & 0xff, a->bus, a->dev, a->func);
        r = r ?: fs_put_text(nabs, "speed", "%u\n", speed);
        r = r ?: fs_put_text(nabs, "operstate", "up\n");
        r = r ?: fs_put_text(nabs, "mtu", "1500\n");
        /* the link as the PF monitor reads it (src/sim/simmonitor.c changes it) */
        r = r ?: fs_put_text(nabs, "carrier", "1\n");
        r = r ?: fs_put_text(nabs, "carrier_changes", "1\n");
        r = r ?: fs_put_text(nabs, "flags", "0x1003\n");
        return r < 0 ? r : fs_rel_symlink(root, nrel, cls);
}
