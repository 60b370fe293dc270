/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The simulated kernel's side of sriov_numvfs: VF functions appear and disappear in the fake
 * sysfs as a kernel makes them (docs/host-description.md, "VFs"). */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>

#include "fakeroot.h"
#include "fakesysfs.h"
#include "shared/fileio.h"
#include "shared/hostfacts.h"
#include "shared/macro.h"
#include "sim-internal.h"
#include "sim.h"

static int next_free_group(const char *root) {
        _cleanup_free_ char *p = root_path(root, "sys/kernel/iommu_groups");
        _cleanup_(closedirp) DIR *d = p ? opendir(p) : NULL;
        struct dirent *de;
        int max = 0;
        while (d && (de = readdir(d))) {
                uint32_t g;
                if (parse_u32(de->d_name, 10, &g) >= 0 && (int) g > max)
                        max = (int) g;
        }
        return max + 1;
}

static int remove_vfs(const char *root, const char *pf_abs) {
        _cleanup_(closedirp) DIR *d = opendir(pf_abs);
        struct dirent *de;
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                char vf[PATH_MAX];
                _cleanup_free_ char *link = NULL;
                if (strncmp(de->d_name, "virtfn", 6) != 0)
                        continue;
                link = path_join(pf_abs, de->d_name);
                if (!link)
                        return -ENOMEM;
                if (realpath(link, vf)) {
                        const char *addr = path_basename(vf);
                        _cleanup_free_ char *bl = NULL, *blabs = NULL;
                        _cleanup_free_ char *gl = path_join(vf, "iommu_group");
                        char gpath[PATH_MAX];
                        if (gl && realpath(gl, gpath)) {
                                _cleanup_free_ char *member = NULL;
                                if (asprintf(&member, "%s/devices/%s", gpath, addr) >= 0)
                                        (void) unlink(member);
                                _cleanup_free_ char *devs = path_join(gpath, "devices");
                                if (devs)
                                        (void) rmdir(devs);
                                (void) rmdir(gpath);
                        }
                        _cleanup_free_ char *dl = path_join(vf, "driver");
                        char dpath[PATH_MAX];
                        if (dl && realpath(dl, dpath)) {
                                _cleanup_free_ char *back = path_join(dpath, addr);
                                if (back)
                                        (void) unlink(back);
                        }
                        _cleanup_free_ char *netdir = path_join(vf, "net");
                        _cleanup_(closedirp) DIR *nd = netdir ? opendir(netdir) : NULL;
                        struct dirent *ne;
                        while (nd && (ne = readdir(nd))) {
                                _cleanup_free_ char *cl = NULL;
                                if (ne->d_name[0] == '.')
                                        continue;
                                if (asprintf(&cl, "sys/class/net/%s", ne->d_name) >= 0) {
                                        _cleanup_free_ char *cla = root_path(root, cl);
                                        if (cla)
                                                (void) unlink(cla);
                                }
                        }
                        if (asprintf(&bl, "sys/bus/pci/devices/%s", addr) >= 0 && (blabs = root_path(root, bl)))
                                (void) unlink(blabs);
                        (void) rm_rf(vf);
                }
                (void) unlink(link);
        }
        return 0;
}

int fakeroot_set_vfs(const char *root, const char *pf_address, unsigned n, const char *vf_driver) {
        _cleanup_free_ char *bl = NULL, *blabs = NULL, *cfgp = NULL, *cfgbuf = NULL, *pf_rel = NULL;
        _cleanup_free_ char *pf_if = NULL;
        char pf_abs[PATH_MAX], root_canon[PATH_MAX];
        size_t len;
        PciAddr pa;
        int r, p;

        if (pci_addr_parse(pf_address, &pa) < 0)
                return -EINVAL;
        if (asprintf(&bl, "sys/bus/pci/devices/%s", pf_address) < 0 || !(blabs = root_path(root, bl)))
                return -ENOMEM;
        if (!realpath(blabs, pf_abs) || !realpath(root, root_canon))
                return -errno;
        size_t rl = streq(root_canon, "/") ? 0 : strlen(root_canon);
        /* A raw link may point anywhere: the PF must be a device directory inside the root. */
        if (strncmp(pf_abs, root_canon, rl) != 0 || pf_abs[rl] != '/' || !strchr(pf_abs + rl + 1, '/'))
                return -ENOENT;
        pf_rel = strdup(pf_abs + rl + 1);
        cfgp = path_join(pf_abs, "config");
        if (!pf_rel || !cfgp)
                return -ENOMEM;
        r = read_full_file(cfgp, 4096, &cfgbuf, &len);
        if (r < 0)
                return r;
        uint8_t *cfg = (uint8_t *) cfgbuf;
        p = cfg_find_ext_cap(cfg, len, EXT_CAP_SRIOV, EXT_CAP_SRIOV_SIZE);
        if (p < 0)
                return -ENOENT;
        if (n > cfg_get16(cfg, p + 0x0e))
                return -ERANGE;

        r = remove_vfs(root, pf_abs);
        if (r < 0)
                return r;

        _cleanup_free_ char *netdir = path_join(pf_abs, "net");
        _cleanup_(closedirp) DIR *nd = netdir ? opendir(netdir) : NULL;
        struct dirent *ne;
        while (nd && (ne = readdir(nd)))
                if (ne->d_name[0] != '.' && !pf_if)
                        pf_if = strdup(ne->d_name);

        uint16_t offset = cfg_get16(cfg, p + 0x14), stride = cfg_get16(cfg, p + 0x16), vfdid = cfg_get16(cfg, p + 0x1a);
        uint32_t cls = (uint32_t) cfg[0x09] | (uint32_t) cfg[0x0a] << 8 | (uint32_t) cfg[0x0b] << 16;
        _cleanup_free_ char *parent_rel = strdup(pf_rel);
        if (!parent_rel)
                return -ENOMEM;
        *strrchr(parent_rel, '/') = 0;
        int64_t numa = -1;
        _cleanup_free_ char *np = path_join(pf_abs, "numa_node");
        if (np)
                (void) read_s64(np, 10, &numa);
        int group = next_free_group(root);

        for (unsigned i = 0; i < n; i++) {
                uint32_t rid = pci_addr_rid(&pa) + offset + i * stride;
                PciAddr va = { .domain = pa.domain, .bus = (uint8_t) (rid >> 8), .dev = (rid >> 3) & 0x1f, .func = rid & 7 };
                char vs[PCI_ADDR_STRLEN];
                _cleanup_free_ char *vrel = NULL, *vabs = NULL, *physfn = NULL, *virtfn = NULL, *vbl = NULL;
                SynthConfig sc = { .vendor = cfg_get16(cfg, 0), .device = vfdid, .class_code = cls,
                                   .pcie_type = PCIE_TYPE_ENDPOINT };
                uint8_t vcfg[4096];

                if (rid > 0xffff)
                        return -ENOSPC;
                pci_addr_format(&va, vs);
                if (asprintf(&vrel, "%s/%s", parent_rel, vs) < 0 || asprintf(&physfn, "%s/physfn", vrel) < 0 ||
                    asprintf(&virtfn, "%s/virtfn%u", pf_rel, i) < 0 || asprintf(&vbl, "sys/bus/pci/devices/%s", vs) < 0)
                        return -ENOMEM;
                r = fs_mkdir_rel(root, vrel);
                if (r < 0)
                        return r;
                vabs = root_path(root, vrel);
                if (!vabs)
                        return -ENOMEM;
                synth_config(&sc, vcfg);
                r = fs_put_file(vabs, "config", vcfg, sizeof vcfg);
                r = r ?: fs_write_basic_attrs(NULL, vabs, vcfg, sizeof vcfg, (int) numa);
                r = r ?: fs_rel_symlink(root, pf_rel, physfn);
                r = r ?: fs_rel_symlink(root, vrel, virtfn);
                r = r ?: fs_rel_symlink(root, vrel, vbl);
                r = r ?: fs_add_iommu_group(root, vrel, vs, group++);
                if (r >= 0 && vf_driver)
                        r = fs_bind_driver(root, vrel, vs, vf_driver);
                if (r >= 0 && vf_driver && pf_if) {
                        char vif[32];
                        snprintf(vif, sizeof vif, "%.10sv%u", pf_if, i);
                        r = fs_add_netdev(root, vrel, vif, &va, 10000);
                }
                if (r < 0)
                        return r;
        }

        /* The PF's own view: NumVFs and VF Enable in config, sriov_numvfs in sysfs. */
        cfg_put16(cfg, p + 0x10, (uint16_t) n);
        cfg_put16(cfg, p + 0x08, (uint16_t) ((cfg_get16(cfg, p + 0x08) & ~0x0009) | (n ? 0x0009 : 0)));
        r = fs_put_file(pf_abs, "config", cfg, len);
        return r < 0 ? r : fs_put_text(pf_abs, "sriov_numvfs", "%u\n", n);
}

/* The simulated kernel's sriov_numvfs write: a PF without a driver has no sriov_configure
 * (-ENOENT), and the write takes as long as the simulated host says (sim.h). */
int sim_write_num_vfs(const char *root, const char *pf, unsigned n) {
        _cleanup_free_ char *rel = NULL, *drv = NULL, *delay_path = NULL;
        uint64_t ms;

        if (asprintf(&rel, "sys/bus/pci/devices/%s/driver", pf) < 0 || !(drv = root_path(root, rel)) ||
            !(delay_path = root_path(root, SIM_NUMVFS_DELAY_FILE)))
                return -ENOMEM;
        if (!file_exists(drv))
                return -ENOENT;
        /* A real igb takes about 1.2 s to enable VFs (TESTBED.md); a test that needs a write
         * in flight (kill -9 during Enable) asks the simulated host for that. */
        if (read_u64(delay_path, 10, &ms) >= 0 && ms > 0 && ms <= SIM_NUMVFS_DELAY_MAX_MS)
                (void) usleep((useconds_t) ms * 1000);
        return fakeroot_set_vfs(root, pf, n, NULL);
}
