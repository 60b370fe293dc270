/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fake-root builder: the real kernel sysfs layout, from real dumps. */
#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>

#include "fakehost.h"
#include "sim/pcidump.h"
#include "sim/sim.h"

#define PF_REL "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0"
#define RP_REL "sys/devices/pci0000:00/0000:00:01.0"

/* Haswell-E root port 00:01.0 (ACS on), buses 1-2, with the 82576 PF below it. */
static const char *const host_82576 =
        "{'kernel': '6.8.0-31-generic', 'smt': 1, 'numa': {'0': '0-7', '1': '8-15'},"
        " 'devices': [{'address': '0000:00:01.0', 'bus': [1, 2],"
        "   'config': {'dump': '" DUMP_HASWELL_C610 "', 'slot': '00:01.0'},"
        "   'children': [{'address': '0000:01:00.0', 'driver': 'igb', 'ifname': 'enp1s0f0',"
        "     'iommu_group': 7, 'numa_node': 1, 'link_speed': 1000,"
        "     'config': {'dump': '" DUMP_82576 "', 'slot': '01:00.0'}}]}]}";

static char *read_text(const FakeHost *t, const char *rel) {
        _cleanup_free_ char *p = fake_path(t, rel);
        char *s = NULL;
        if (read_one_line(p, &s) < 0)
                return NULL;
        return s;
}

/* realpath of ROOT/rel, relative to the canonical root; NULL if it does not resolve or
 * leaves the root. */
static char *resolve_rel(const FakeHost *t, const char *rel) {
        _cleanup_free_ char *p = fake_path(t, rel);
        char canon[PATH_MAX], croot[PATH_MAX];
        size_t n;
        if (!realpath(p, canon) || !realpath(t->root, croot))
                return NULL;
        n = strlen(croot);
        if (strncmp(canon, croot, n) != 0 || canon[n] != '/')
                return NULL;
        return strdup(canon + n + 1);
}

static char *link_text(const FakeHost *t, const char *rel) {
        _cleanup_free_ char *p = fake_path(t, rel);
        char *s = NULL;
        if (readlink_malloc(p, &s) < 0)
                return NULL;
        return s;
}

static bool exists_rel(const FakeHost *t, const char *rel) {
        _cleanup_free_ char *p = fake_path(t, rel);
        struct stat st;
        return lstat(p, &st) == 0;
}

static void check_text(const FakeHost *t, const char *rel, const char *want) {
        _cleanup_free_ char *s = read_text(t, rel);
        if (!s || !streq(s, want)) {
                fprintf(stderr, "[%s] %s reads \"%s\", expected \"%s\"\n", test_current, rel, s ? s : "(unreadable)", want);
                test_failures++;
        }
}

static void check_resolves(const FakeHost *t, const char *rel, const char *want) {
        _cleanup_free_ char *s = resolve_rel(t, rel), *l = link_text(t, rel);
        if (!s || !streq(s, want)) {
                fprintf(stderr, "[%s] %s resolves to \"%s\", expected \"%s\"\n", test_current, rel, s ? s : "(nothing)", want);
                test_failures++;
        }
        /* sysfs links are relative, so that they resolve inside any root. */
        if (!l || l[0] == '/') {
                fprintf(stderr, "[%s] %s is not a relative symlink (%s)\n", test_current, rel, l ? l : "no link");
                test_failures++;
        }
}

static const PciDumpDevice *dump_dev(PciDump **store, const char *file, const char *slot) {
        _cleanup_free_ char *p = path_join(test_fixtures_dir(), file);
        unsigned line;
        if (pci_dump_parse_file(p, store, &line) < 0)
                return NULL;
        return pci_dump_find(*store, slot);
}

static int read_config(const FakeHost *t, const char *rel, uint8_t **ret, size_t *ret_size) {
        _cleanup_free_ char *p = fake_path(t, rel);
        return read_full_file(p, 8192, (char **) ret, ret_size);
}

TEST(layout) {
        _cleanup_(fake_host_done) FakeHost t = {};
        ASSERT(fake_host_build(&t, host_82576) == 0);

        static const char *const pf_files[] = {
                "config", "vendor", "device", "class", "irq", "resource", "numa_node", "subsystem_vendor",
                "subsystem_device", "sriov_totalvfs", "sriov_numvfs", "sriov_offset", "sriov_stride",
                "sriov_vf_device", "sriov_drivers_autoprobe",
        };
        for (size_t i = 0; i < ELEMENTSOF(pf_files); i++) {
                _cleanup_free_ char *rel = path_join(PF_REL, pf_files[i]);
                if (!exists_rel(&t, rel)) {
                        fprintf(stderr, "[layout] missing %s\n", rel);
                        test_failures++;
                }
        }
        check_text(&t, PF_REL "/vendor", "0x8086");
        check_text(&t, PF_REL "/device", "0x10c9");
        check_text(&t, PF_REL "/class", "0x020000");
        check_text(&t, PF_REL "/numa_node", "1");
        check_text(&t, PF_REL "/sriov_totalvfs", "8");
        check_text(&t, PF_REL "/sriov_numvfs", "0");
        check_text(&t, PF_REL "/sriov_offset", "384");
        check_text(&t, PF_REL "/sriov_stride", "2");
        check_text(&t, PF_REL "/sriov_vf_device", "10ca");
        check_text(&t, PF_REL "/net/enp1s0f0/speed", "1000");

        /* A bridge: bus numbers as sysfs has them, no SR-IOV files. */
        check_text(&t, RP_REL "/secondary_bus_number", "1");
        check_text(&t, RP_REL "/subordinate_bus_number", "2");
        check_text(&t, RP_REL "/class", "0x060400");
        CHECK(!exists_rel(&t, RP_REL "/sriov_totalvfs"));
        CHECK(!exists_rel(&t, RP_REL "/driver"));

        /* sys/bus/pci/devices: relative links into sys/devices. */
        check_resolves(&t, "sys/bus/pci/devices/0000:01:00.0", PF_REL);
        check_resolves(&t, "sys/bus/pci/devices/0000:00:01.0", RP_REL);
        /* driver and its back link */
        check_resolves(&t, PF_REL "/driver", "sys/bus/pci/drivers/igb");
        check_resolves(&t, "sys/bus/pci/drivers/igb/0000:01:00.0", PF_REL);
        /* IOMMU group 7 as asked, with the member link */
        check_resolves(&t, PF_REL "/iommu_group", "sys/kernel/iommu_groups/7");
        check_resolves(&t, "sys/kernel/iommu_groups/7/devices/0000:01:00.0", PF_REL);
        /* net device */
        check_resolves(&t, "sys/class/net/enp1s0f0", PF_REL "/net/enp1s0f0");
        /* host */
        check_text(&t, "proc/sys/kernel/osrelease", "6.8.0-31-generic");
        check_text(&t, "sys/devices/system/cpu/smt/active", "1");
        check_text(&t, "sys/devices/system/cpu/smt/control", "on");
        check_text(&t, "sys/devices/system/node/node1/cpulist", "8-15");
        check_resolves(&t, "sys/class/iommu/dmar0", "sys/devices/virtual/iommu/dmar0");
        _cleanup_free_ char *cmdline = read_text(&t, "proc/cmdline");
        CHECK_CONTAINS(cmdline, "intel_iommu=on");
}

static const char *walk_root;
static int walk_bad;
static int check_link(const char *p, const struct stat *st, int flag, struct FTW *ftw) {
        char canon[PATH_MAX], target[PATH_MAX];
        ssize_t n;
        if (flag != FTW_SL && flag != FTW_SLN)
                return 0;
        n = readlink(p, target, sizeof target - 1);
        if (n < 0 || target[0] == '/' || !realpath(p, canon) || strncmp(canon, walk_root, strlen(walk_root)) != 0 ||
            canon[strlen(walk_root)] != '/') {
                fprintf(stderr, "[all_links_relative] %s does not resolve inside the root\n", p);
                walk_bad++;
        }
        return 0;
}

TEST(all_links_relative) {
        _cleanup_(fake_host_done) FakeHost t = {};
        char croot[PATH_MAX];
        ASSERT(fake_host_build(&t, host_82576) == 0);
        ASSERT(fakeroot_set_vfs(t.root, "0000:01:00.0", 4, "igbvf") == 0);
        ASSERT(realpath(t.root, croot));
        walk_root = croot;
        walk_bad = 0;
        CHECK_INT(nftw(t.root, check_link, 32, FTW_PHYS), 0);
        CHECK_INT(walk_bad, 0);
}

TEST(config_bytes_equal_dump) {
        _cleanup_(fake_host_done) FakeHost t = {};
        _cleanup_(pci_dump_freep) PciDump *d1 = NULL, *d2 = NULL;
        _cleanup_free_ uint8_t *pf = NULL, *rp = NULL;
        size_t n = 0, m = 0;

        ASSERT(fake_host_build(&t, host_82576) == 0);
        const PciDumpDevice *want = dump_dev(&d1, DUMP_82576, "01:00.0");
        const PciDumpDevice *want_rp = dump_dev(&d2, DUMP_HASWELL_C610, "00:01.0");
        ASSERT(want && want_rp);
        ASSERT(read_config(&t, PF_REL "/config", &pf, &n) == 0);
        CHECK_INT(n, 4096);
        CHECK(n == want->len && memcmp(pf, want->data, n) == 0);

        /* The bridge's bytes are the dump's, except the bus registers the description set. */
        ASSERT(read_config(&t, RP_REL "/config", &rp, &m) == 0);
        CHECK_INT(m, 4096);
        ASSERT(m == want_rp->len);
        CHECK_INT(rp[0x19], 1);
        CHECK_INT(rp[0x1a], 2);
        CHECK_INT(want_rp->data[0x19], 4); /* the dump said 04-04 */
        rp[0x18] = want_rp->data[0x18];
        rp[0x19] = want_rp->data[0x19];
        rp[0x1a] = want_rp->data[0x1a];
        CHECK(memcmp(rp, want_rp->data, m) == 0);
}

TEST(thunderx_domain_and_sizes) {
        _cleanup_(fake_host_done) FakeHost t = {};
        _cleanup_free_ uint8_t *b = NULL, *c = NULL, *o = NULL;
        size_t n = 0;

        ASSERT(fake_host_build(&t,
                "{'devices': [{'address': '0002:00:01.0', 'bus': [1, 1],"
                " 'config': {'synth': {'vendor': '177d', 'device': 'a01c', 'type': 'rootport', 'acs': true}},"
                " 'children': [{'address': '0002:01:00.0', 'driver': 'thunder-nicpf',"
                "   'config': {'dump': '" DUMP_THUNDERX "', 'slot': '0002:01:00.0'}},"
                "  {'address': '0002:01:00.1', 'config': {'dump': '" DUMP_CX5_256 "', 'slot': '01:00.0'}},"
                "  {'address': '0002:01:00.2', 'config': {'dump': '" DUMP_82576 "', 'slot': '01:00.0', 'truncate': 32}},"
                "  {'address': '0002:01:00.3', 'config': {'all_ones': 4096}, 'omit': ['numa_node', 'resource']},"
                "  {'address': '0002:01:00.4', 'config': {'hex': '8680c910'}, 'files': {'class': '0x020000\\n'}}]}]}") == 0);
        check_resolves(&t, "sys/bus/pci/devices/0002:01:00.0",
                       "sys/devices/pci0002:00/0002:00:01.0/0002:01:00.0");
        check_text(&t, "sys/devices/pci0002:00/0002:00:01.0/0002:01:00.0/sriov_totalvfs", "128");
        check_text(&t, "sys/devices/pci0002:00/0002:00:01.0/0002:01:00.0/vendor", "0x177d");
        /* 256-byte dump: 256-byte config file, no SR-IOV attributes */
        ASSERT(read_config(&t, "sys/bus/pci/devices/0002:01:00.1/config", &b, &n) == 0);
        CHECK_INT(n, 256);
        CHECK(!exists_rel(&t, "sys/bus/pci/devices/0002:01:00.1/sriov_totalvfs"));
        /* truncate */
        ASSERT(read_config(&t, "sys/bus/pci/devices/0002:01:00.2/config", &c, &n) == 0);
        CHECK_INT(n, 32);
        CHECK(!exists_rel(&t, "sys/bus/pci/devices/0002:01:00.2/vendor"));
        /* all ones, and omit */
        ASSERT(read_config(&t, "sys/bus/pci/devices/0002:01:00.3/config", &o, &n) == 0);
        CHECK_INT(n, 4096);
        CHECK(n == 4096 && o[0] == 0xff && o[4095] == 0xff);
        check_text(&t, "sys/bus/pci/devices/0002:01:00.3/class", "0xffffff");
        CHECK(!exists_rel(&t, "sys/bus/pci/devices/0002:01:00.3/numa_node"));
        CHECK(!exists_rel(&t, "sys/bus/pci/devices/0002:01:00.3/resource"));
        CHECK(exists_rel(&t, "sys/bus/pci/devices/0002:01:00.3/irq"));
        /* hex, with a files override */
        check_text(&t, "sys/bus/pci/devices/0002:01:00.4/class", "0x020000");
}

TEST(omit_iommu_off_and_raw_links) {
        _cleanup_(fake_host_done) FakeHost t = {};
        ASSERT(fake_host_build(&t,
                "{'iommu': false, 'kernel': '5.4.0-150-generic',"
                " 'devices': [{'address': '0000:3b:00.0', 'omit': ['class', 'vendor', 'config', 'sriov', 'bus_link'],"
                "   'config': {'dump': '" DUMP_82576 "', 'slot': '01:00.0'}}],"
                " 'symlinks': [{'link': 'sys/bus/pci/devices/0000:3c:00.0', 'target': '0000:3c:00.0'}]}") == 0);
        const char *dev = "sys/devices/pci0000:3b/0000:3b:00.0";
        _cleanup_free_ char *cls = path_join(dev, "class"), *cfg = path_join(dev, "config"),
                            *vendor = path_join(dev, "vendor"), *device = path_join(dev, "device"),
                            *tv = path_join(dev, "sriov_totalvfs"), *grp = path_join(dev, "iommu_group");
        CHECK(exists_rel(&t, dev));
        CHECK(!exists_rel(&t, cls));
        CHECK(!exists_rel(&t, cfg));
        CHECK(!exists_rel(&t, vendor));
        CHECK(exists_rel(&t, device));
        CHECK(!exists_rel(&t, tv));
        CHECK(!exists_rel(&t, "sys/bus/pci/devices/0000:3b:00.0"));
        /* IOMMU off: no unit, no group links */
        CHECK(!exists_rel(&t, "sys/class/iommu/dmar0"));
        CHECK(!exists_rel(&t, grp));
        check_text(&t, "proc/sys/kernel/osrelease", "5.4.0-150-generic");
        /* no smt key: the smt files are absent, as on kernels without SMT control */
        CHECK(!exists_rel(&t, "sys/devices/system/cpu/smt/active"));
        /* raw link written as given */
        _cleanup_free_ char *l = link_text(&t, "sys/bus/pci/devices/0000:3c:00.0");
        CHECK_STR(l, "0000:3c:00.0");
}

static void vf_address(const char *pf, unsigned offset, unsigned stride, unsigned i, char out[PCI_ADDR_STRLEN]) {
        PciAddr a, v;
        ASSERT(pci_addr_parse(pf, &a) == 0);
        unsigned rid = pci_addr_rid(&a) + offset + i * stride;
        v = (PciAddr){ .domain = a.domain, .bus = (uint8_t) (rid >> 8), .dev = (rid >> 3) & 0x1f, .func = rid & 7 };
        pci_addr_format(&v, out);
}

TEST(set_vfs_82576) {
        _cleanup_(fake_host_done) FakeHost t = {};
        _cleanup_free_ uint8_t *cfg = NULL;
        size_t n = 0;
        ASSERT(fake_host_build(&t, host_82576) == 0);

        ASSERT(fakeroot_set_vfs(t.root, "0000:01:00.0", 3, "igbvf") == 0);
        /* offset 384, stride 2 from 01:00.0 (RID 0x0100): 0x0280, 0x0282, 0x0284 */
        char vf0[PCI_ADDR_STRLEN];
        vf_address("0000:01:00.0", 384, 2, 0, vf0);
        CHECK_STR(vf0, "0000:02:10.0");
        for (unsigned i = 0; i < 3; i++) {
                char va[PCI_ADDR_STRLEN];
                _cleanup_free_ char *virtfn = NULL, *vrel = NULL, *bl = NULL, *physfn = NULL, *vend = NULL,
                                    *dev = NULL, *drv = NULL, *grp = NULL;
                vf_address("0000:01:00.0", 384, 2, i, va);
                ASSERT(asprintf(&virtfn, PF_REL "/virtfn%u", i) > 0);
                ASSERT(asprintf(&vrel, RP_REL "/%s", va) > 0);
                ASSERT(asprintf(&bl, "sys/bus/pci/devices/%s", va) > 0);
                ASSERT(asprintf(&physfn, "%s/physfn", vrel) > 0);
                ASSERT(asprintf(&vend, "%s/vendor", vrel) > 0);
                ASSERT(asprintf(&dev, "%s/device", vrel) > 0);
                ASSERT(asprintf(&drv, "%s/driver", vrel) > 0);
                ASSERT(asprintf(&grp, "%s/iommu_group", vrel) > 0);
                check_resolves(&t, virtfn, vrel);
                check_resolves(&t, bl, vrel);
                check_resolves(&t, physfn, PF_REL);
                check_resolves(&t, drv, "sys/bus/pci/drivers/igbvf");
                check_text(&t, vend, "0x8086");
                check_text(&t, dev, "0x10ca");
                _cleanup_free_ char *g = resolve_rel(&t, grp);
                CHECK(g && strncmp(g, "sys/kernel/iommu_groups/", 24) == 0);
                CHECK(g && !streq(g, "sys/kernel/iommu_groups/7")); /* not the PF's group */
        }
        CHECK(!exists_rel(&t, PF_REL "/virtfn3"));
        check_text(&t, PF_REL "/sriov_numvfs", "3");
        /* the PF's SR-IOV capability (0x160) now says NumVFs 3, VF Enable */
        ASSERT(read_config(&t, PF_REL "/config", &cfg, &n) == 0);
        ASSERT(n == 4096);
        CHECK_INT(cfg[0x170] | cfg[0x171] << 8, 3);
        CHECK_INT(cfg[0x168] & 0x1, 1);
        /* a VF netdev per VF, named after the PF's */
        CHECK(exists_rel(&t, "sys/class/net/enp1s0f0v0"));
        CHECK(exists_rel(&t, "sys/class/net/enp1s0f0v2"));

        /* back to 0: everything goes */
        ASSERT(fakeroot_set_vfs(t.root, "0000:01:00.0", 0, NULL) == 0);
        for (unsigned i = 0; i < 3; i++) {
                char va[PCI_ADDR_STRLEN];
                _cleanup_free_ char *virtfn = NULL, *vrel = NULL, *bl = NULL, *back = NULL;
                vf_address("0000:01:00.0", 384, 2, i, va);
                ASSERT(asprintf(&virtfn, PF_REL "/virtfn%u", i) > 0);
                ASSERT(asprintf(&vrel, RP_REL "/%s", va) > 0);
                ASSERT(asprintf(&bl, "sys/bus/pci/devices/%s", va) > 0);
                ASSERT(asprintf(&back, "sys/bus/pci/drivers/igbvf/%s", va) > 0);
                CHECK(!exists_rel(&t, virtfn));
                CHECK(!exists_rel(&t, vrel));
                CHECK(!exists_rel(&t, bl));
                CHECK(!exists_rel(&t, back));
        }
        CHECK(!exists_rel(&t, "sys/class/net/enp1s0f0v0"));
        CHECK(exists_rel(&t, "sys/class/net/enp1s0f0"));
        check_text(&t, PF_REL "/sriov_numvfs", "0");
        free(cfg);
        cfg = NULL;
        ASSERT(read_config(&t, PF_REL "/config", &cfg, &n) == 0);
        CHECK_INT(cfg[0x170] | cfg[0x171] << 8, 0);
        CHECK_INT(cfg[0x168] & 0x1, 0);

        /* limits and bad arguments */
        CHECK_INT(fakeroot_set_vfs(t.root, "0000:01:00.0", 9, NULL), -ERANGE); /* TotalVFs 8 */
        CHECK_INT(fakeroot_set_vfs(t.root, "0000:00:01.0", 1, NULL), -ENOENT); /* no SR-IOV cap */
        CHECK_INT(fakeroot_set_vfs(t.root, "0000:09:00.0", 1, NULL), -ENOENT); /* no such PF */
        CHECK_INT(fakeroot_set_vfs(t.root, "01:00.0", 1, NULL), -EINVAL);
}

TEST(set_vfs_at_build_thunderx) {
        _cleanup_(fake_host_done) FakeHost t = {};
        /* "sriov_numvfs" in the description creates the VFs once the tree exists. */
        ASSERT(fake_host_build(&t,
                "{'devices': [{'address': '0002:00:01.0', 'bus': [1, 1],"
                " 'config': {'dump': '" DUMP_HASWELL_C610 "', 'slot': '00:01.0'},"
                " 'children': [{'address': '0002:01:00.0', 'driver': 'thunder-nicpf', 'ifname': 'enP2p1s0f0',"
                "   'sriov_numvfs': 10, 'vf_driver': 'thunder-nicvf',"
                "   'config': {'dump': '" DUMP_THUNDERX "', 'slot': '0002:01:00.0'}}]}]}") == 0);
        const char *pf = "sys/devices/pci0002:00/0002:00:01.0/0002:01:00.0";
        for (unsigned i = 0; i < 10; i++) {
                char va[PCI_ADDR_STRLEN];
                _cleanup_free_ char *virtfn = NULL, *vrel = NULL;
                vf_address("0002:01:00.0", 1, 1, i, va); /* offset 1, stride 1 */
                ASSERT(asprintf(&virtfn, "%s/virtfn%u", pf, i) > 0);
                ASSERT(asprintf(&vrel, "sys/devices/pci0002:00/0002:00:01.0/%s", va) > 0);
                check_resolves(&t, virtfn, vrel);
        }
        char last[PCI_ADDR_STRLEN];
        vf_address("0002:01:00.0", 1, 1, 9, last);
        CHECK_STR(last, "0002:01:01.2");
        CHECK(!exists_rel(&t, "sys/devices/pci0002:00/0002:00:01.0/0002:01:00.0/virtfn10"));
        _cleanup_free_ char *numvfs = path_join(pf, "sriov_numvfs");
        check_text(&t, numvfs, "10");
}

static void check_bad(const char *desc, const char *want_in_error) {
        _cleanup_(fake_host_done) FakeHost t = {};
        int r = fake_host_build(&t, desc);
        if (r != -EINVAL || !t.error || !strstr(t.error, want_in_error)) {
                fprintf(stderr, "[%s] %s\n  gave %d \"%s\", expected -EINVAL with \"%s\"\n", test_current, desc, r,
                        t.error ? t.error : "(no message)", want_in_error);
                test_failures++;
        }
}

TEST(bad_descriptions) {
        check_bad("[1, 2]", "must be a JSON object");
        check_bad("{'bogus': 1}", "unknown key \"bogus\"");
        check_bad("{'kernel': 5}", "\"kernel\"");
        check_bad("{'iommu': 'yes'}", "\"iommu\"");
        check_bad("{'smt': 2}", "\"smt\"");
        check_bad("{'numa': {'x': '0-3'}}", "\"numa\"");
        check_bad("{'devices': {}}", "\"devices\"");
        check_bad("{'devices': [{'address': '0000:00:20.0'}]}", "\"address\"");
        check_bad("{'devices': [{'address': '0000:01:00.0', 'colour': 'red'}]}", "0000:01:00.0: unknown key \"colour\"");
        check_bad("{'devices': [{'address': '0000:01:00.0', 'driver': 5}]}", "0000:01:00.0: \"driver\" must be a string");
        check_bad("{'devices': [{'address': '0000:01:00.0', 'numa_node': '1'}]}", "\"numa_node\"");
        check_bad("{'devices': [{'address': '0000:01:00.0', 'iommu_group': 'a'}]}", "\"iommu_group\"");
        check_bad("{'devices': [{'address': '0000:01:00.0', 'ifname': 'a/b'}]}", "\"ifname\"");
        check_bad("{'devices': [{'address': '0000:01:00.0', 'bus': '1-2'}]}", "\"bus\"");
        check_bad("{'devices': [{'address': '0000:01:00.0', 'bus': [3, 2]}]}", "\"bus\" range 3-2");
        check_bad("{'devices': [{'address': '0000:01:00.0', 'files': {'class': 2}}]}", "\"files\".class");
        check_bad("{'devices': [{'address': '0000:01:00.0', 'children': {}}]}", "\"children\"");
        check_bad("{'devices': [{'address': '0000:01:00.0', 'sriov_numvfs': -1}]}", "\"sriov_numvfs\"");
        check_bad("{'devices': [{'address': '0000:01:00.0', 'config': {}}]}", "needs one of dump, synth");
        check_bad("{'devices': [{'address': '0000:01:00.0', 'config': {'hex': '86zz'}}]}", "non-hex");
        check_bad("{'devices': [{'address': '0000:01:00.0', 'config': {'all_ones': 5000}}]}", "\"all_ones\"");
        check_bad("{'devices': [{'address': '0000:01:00.0', 'config': {'dump': '" DUMP_82576 "', 'slot': '09:00.0'}}]}",
                  "slot 09:00.0 not in dump");
        check_bad("{'devices': [{'address': '0000:01:00.0', 'config': {'dump': 'no-such-file.txt', 'slot': '01:00.0'}}]}",
                  "no-such-file.txt: No such file or directory");
        check_bad("{'devices': [{'address': '0000:01:00.0', 'config': {'synth': {'vendor': '8086'}}}]}",
                  "\"device\" is required");
        check_bad("{'devices': [{'address': '0000:01:00.0', 'config': {'synth': {'vendor': '8086', 'device': '1593', 'type': 'switch'}}}]}",
                  "\"type\"");
        check_bad("{'devices': [{'address': '0000:01:00.0', 'config': {'synth': {'vendor': '8086', 'device': '1593', 'acs': 'on'}}}]}",
                  "\"acs\"");
        check_bad("{'devices': [{'address': '0000:01:00.0', 'config': {'synth': {'vendor': '8086', 'device': '1593', 'sriov': {'totl': 4}}}}]}",
                  "unknown key \"totl\"");
        /* a child's error names the child */
        check_bad("{'devices': [{'address': '0000:00:01.0', 'children': [{'address': '0000:01:00.1', 'driver': []}]}]}",
                  "0000:01:00.1: \"driver\"");
        check_bad("{'symlinks': [{'link': 'sys/x'}]}", "symlinks[0]");
        check_bad("{'numvfs_delay_ms': 60001}", "\"numvfs_delay_ms\" must be an integer 0-60000");
        check_bad("{'numvfs_delay_ms': '400'}", "\"numvfs_delay_ms\"");
}

TEST(numvfs_delay_key) {
        FakeHost h;
        _cleanup_free_ char *p = NULL, *v = NULL;
        ASSERT(fake_host_build(&h, "{'numvfs_delay_ms': 250}") == 0);
        ASSERT(asprintf(&p, "%s/" SIM_NUMVFS_DELAY_FILE, h.root) > 0);
        ASSERT(read_one_line(p, &v) >= 0);
        CHECK_STR(v, "250");
        fake_host_done(&h);
        /* absent: no file, the simulated kernel answers at once */
        ASSERT(fake_host_build(&h, "{}") == 0);
        free(p);
        ASSERT(asprintf(&p, "%s/" SIM_NUMVFS_DELAY_FILE, h.root) > 0);
        CHECK(!file_exists(p));
        fake_host_done(&h);
}

/* A description's relative "dump" names are its neighbours, whatever the working directory;
 * an explicit dump directory wins. */
TEST(dump_relative_to_description) {
        char *dir = test_tmpdir();
        _cleanup_free_ char *sub = path_join(dir, "hosts"), *desc = NULL, *copy = NULL, *src = NULL, *data = NULL;
        _cleanup_free_ char *root1 = path_join(dir, "root1"), *root2 = path_join(dir, "root2"), *err = NULL;
        _cleanup_free_ char *cfg1 = NULL, *cfg2 = NULL, *b1 = NULL, *b2 = NULL;
        const char *text = "{\"devices\": [{\"address\": \"0000:01:00.0\", "
                           "\"config\": {\"dump\": \"" DUMP_82576 "\", \"slot\": \"01:00.0\"}}]}";
        size_t n, n1 = 0, n2 = 0;
        char cwd[4096];

        ASSERT(sub && root1 && root2 && mkdir_p(sub, 0755) == 0 && mkdir_p(root1, 0755) == 0 &&
               mkdir_p(root2, 0755) == 0);
        desc = path_join(sub, "host.json");
        copy = path_join(sub, DUMP_82576);
        src = path_join(test_fixtures_dir(), DUMP_82576);
        ASSERT(desc && copy && src && read_full_file(src, 1 << 20, &data, &n) == 0);
        ASSERT(write_file_atomic(copy, data, n, 0644) == 0);
        ASSERT(write_file_atomic(desc, text, strlen(text), 0644) == 0);

        ASSERT(getcwd(cwd, sizeof cwd));
        ASSERT(chdir("/") == 0);
        CHECK_INT(fakeroot_build_file(root1, desc, NULL, &err), 0);
        FakeRootOptions o = { .dump_dir = test_fixtures_dir() };
        CHECK_INT(fakeroot_build_file(root2, desc, &o, &err), 0);
        ASSERT(chdir(cwd) == 0);
        cfg1 = path_join(root1, "sys/bus/pci/devices/0000:01:00.0/config");
        cfg2 = path_join(root2, "sys/bus/pci/devices/0000:01:00.0/config");
        ASSERT(read_full_file(cfg1, 8192, &b1, &n1) == 0 && read_full_file(cfg2, 8192, &b2, &n2) == 0);
        CHECK_INT(n1, 4096);
        CHECK(n1 == n2 && memcmp(b1, b2, n1) == 0);

        /* Not beside the description, and no dump directory: the error names the path. */
        ASSERT(unlink(copy) == 0);
        _cleanup_free_ char *root3 = path_join(dir, "root3");
        ASSERT(root3 && mkdir_p(root3, 0755) == 0);
        free(err);
        err = NULL;
        CHECK_INT(fakeroot_build_file(root3, desc, NULL, &err), -EINVAL);
        CHECK_CONTAINS(err, "hosts/" DUMP_82576);
        test_tmpdir_cleanup(dir);
}

TEST(build_file_not_json) {
        char *dir = test_tmpdir();
        _cleanup_free_ char *p = path_join(dir, "host.json"), *err = NULL, *root = path_join(dir, "root");
        ASSERT(p && root);
        CHECK_INT(write_file_atomic(p, "{\"devices\": [", 13, 0644), 0);
        CHECK_INT(mkdir_p(root, 0755), 0);
        CHECK_INT(fakeroot_build_file(root, p, NULL, &err), -EINVAL);
        CHECK_CONTAINS(err, "host.json:1:");

        /* a dump with a malformed hex line: the builder names the file and the line */
        _cleanup_free_ char *dump = path_join(dir, "bad-dump.txt"), *desc = NULL;
        ASSERT(dump);
        const char *text = "01:00.0 Ethernet\n00: 86 80 c9 10\n10: 00 xx\n";
        CHECK_INT(write_file_atomic(dump, text, strlen(text), 0644), 0);
        ASSERT(asprintf(&desc, "{'devices': [{'address': '0000:01:00.0', 'config': {'dump': '%s', 'slot': '01:00.0'}}]}",
                        dump) > 0);
        check_bad(desc, "bad-dump.txt: malformed hex at line 3");
        test_tmpdir_cleanup(dir);
}

static int find_cap(const uint8_t *c, uint16_t id) {
        int pos = 0x100;
        for (int i = 0; i < 32 && pos >= 0x100; i++) {
                uint32_t h = (uint32_t) c[pos] | (uint32_t) c[pos + 1] << 8 | (uint32_t) c[pos + 2] << 16 |
                             (uint32_t) c[pos + 3] << 24;
                if (h == 0)
                        return -1;
                if ((h & 0xffff) == id)
                        return pos;
                pos = (int) (h >> 20) & 0xffc;
        }
        return -1;
}

TEST(synth_config_e810) {
        uint8_t c[4096];
        /* The E810-C of vvv-intelwiredlan-e810c-pf-no-driver-bound.txt. */
        SynthConfig s = { .vendor = 0x8086, .device = 0x1593, .class_code = 0x020000, .pcie_type = PCIE_TYPE_ENDPOINT,
                          .sriov = true, .sriov_total = 64, .sriov_offset = 8, .sriov_stride = 1,
                          .sriov_vf_device = 0x1889, .acs = true, .acs_enabled = true, .ari = true };
        synth_config(&s, c);
        CHECK_INT(c[0] | c[1] << 8, 0x8086);
        CHECK_INT(c[2] | c[3] << 8, 0x1593);
        CHECK_INT(c[0x0b], 0x02);
        CHECK_INT(c[0x0e], 0);
        CHECK_INT(c[0x34], 0x40);
        CHECK_INT(c[0x40], 0x10); /* PCI Express */
        CHECK_INT((c[0x42] >> 4) & 0xf, PCIE_TYPE_ENDPOINT);
        int iov = find_cap(c, 0x0010), acs = find_cap(c, 0x000d), ari = find_cap(c, 0x000e);
        CHECK(iov > 0 && acs > 0 && ari > 0);
        ASSERT(iov > 0 && acs > 0);
        CHECK_INT(c[iov + 0x0e] | c[iov + 0x0f] << 8, 64);
        CHECK_INT(c[iov + 0x14] | c[iov + 0x15] << 8, 8);
        CHECK_INT(c[iov + 0x16] | c[iov + 0x17] << 8, 1);
        CHECK_INT(c[iov + 0x1a] | c[iov + 0x1b] << 8, 0x1889);
        CHECK_INT(c[acs + 6] | c[acs + 7] << 8, 0x001d);
        CHECK_INT(c[iov + 0x08] & 0x19, 0x10); /* ARI Capable Hierarchy, VFs not enabled */

        /* NumVFs set: VF Enable and MSE, and ARI kept */
        s.sriov_num = 4;
        synth_config(&s, c);
        CHECK_INT(c[iov + 0x10] | c[iov + 0x11] << 8, 4);
        CHECK_INT(c[iov + 0x08] & 0x19, 0x19);

        /* A root port: type 1 header, bus numbers, class 0604. */
        SynthConfig p = { .vendor = 0x8086, .device = 0x2f04, .class_code = 0x060400, .pcie_type = PCIE_TYPE_ROOT_PORT,
                          .primary = 0, .secondary = 3, .subordinate = 5, .acs = true, .acs_enabled = false };
        synth_config(&p, c);
        CHECK_INT(c[0x0e], 1);
        CHECK_INT(c[0x19], 3);
        CHECK_INT(c[0x1a], 5);
        CHECK_INT((c[0x42] >> 4) & 0xf, PCIE_TYPE_ROOT_PORT);
        acs = find_cap(c, 0x000d);
        ASSERT(acs > 0);
        CHECK_INT(c[acs + 4] | c[acs + 5] << 8, 0x001f);
        CHECK_INT(c[acs + 6] | c[acs + 7] << 8, 0);
        CHECK_INT(find_cap(c, 0x0010), -1);
}

int main(void) {
        RUN(layout);
        RUN(all_links_relative);
        RUN(config_bytes_equal_dump);
        RUN(thunderx_domain_and_sizes);
        RUN(omit_iommu_off_and_raw_links);
        RUN(set_vfs_82576);
        RUN(set_vfs_at_build_thunderx);
        RUN(bad_descriptions);
        RUN(numvfs_delay_key);
        RUN(dump_relative_to_description);
        RUN(build_file_not_json);
        RUN(synth_config_e810);
        return TEST_MAIN_END();
}
