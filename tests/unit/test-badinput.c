/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Bad sysfs content never crashes discovery and never reaches libpci's fatal error hook (which
 * abort()s, failing this test): every broken function gets a problem naming the file and what
 * is wrong with it, and a verdict that is not Supported when the function cannot be read. */
#include <sys/stat.h>

#include "fakehost.h"

#define PF(addr, extra) \
        "{'address': '" addr "', 'driver': 'igb', " extra " 'config': {'dump': '" DUMP_82576 "', 'slot': '01:00.0'}}"
#define RP(addr, sec, sub, extra, children) \
        "{'address': '" addr "', 'bus': [" #sec ", " #sub "], " extra \
        " 'config': {'dump': '" DUMP_HASWELL_C610 "', 'slot': '00:01.0'}, 'children': [" children "]}"

static void check_problem(const FakeHost *t, const char *address, const char *needle) {
        const char *p = fake_problems(t, address);
        if (!strstr(p, needle)) {
                fprintf(stderr, "[%s] problems of %s: \"%s\", expected \"%s\"\n", test_current, address, p, needle);
                test_failures++;
        }
}

static void check_verdict(const FakeHost *t, const char *address, SriovSupport want) {
        SriovSupport v = fake_verdict(t, address);
        if (v != want) {
                fprintf(stderr, "[%s] %s is %s, expected %s (%s)\n", test_current, address,
                        strempty(sriov_support_to_string(v)), sriov_support_to_string(want),
                        strempty(fake_reason(t, address)));
                test_failures++;
        }
}

TEST(unreadable_config) {
        _cleanup_(fake_host_done) FakeHost t = {};
        ASSERT(fake_host_run(&t, "{'smt': 1, 'devices': [" RP("0000:00:01.0", 1, 32, "",
                /* 32 bytes of config */
                "{'address': '0000:01:00.0', 'driver': 'igb', 'config': {'dump': '" DUMP_82576 "', 'slot': '01:00.0', 'truncate': 32}},"
                /* an empty config file */
                "{'address': '0000:02:00.0', 'driver': 'igb', 'config': {'hex': ''}, 'files': {'class': '0x020000\\n'}},"
                /* no config, no class, no vendor */
                PF("0000:04:00.0", "'omit': ['class', 'vendor', 'config'],") ","
                /* class and vendor missing but config fine: the class comes from config */
                PF("0000:05:00.0", "'omit': ['class', 'vendor', 'device', 'irq', 'resource', 'numa_node'],") ","
                /* a class file that is not a number */
                PF("0000:06:00.0", "'files': {'class': 'zz\\n'},")) "]}") == 0);

        CHECK_INT(t.facts->n_adapters, 5);
        check_problem(&t, "0000:01:00.0",
                      "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/config: truncated (32 bytes, at least 64 needed)");
        check_verdict(&t, "0000:01:00.0", SRIOV_UNKNOWN);
        CHECK_CONTAINS(fake_reason(&t, "0000:01:00.0"), "0000:01:00.0/config: truncated (32 bytes");

        check_problem(&t, "0000:02:00.0", "0000:02:00.0/config: truncated (0 bytes");
        check_verdict(&t, "0000:02:00.0", SRIOV_UNKNOWN);

        check_problem(&t, "0000:04:00.0", "0000:04:00.0/config: No such file or directory");
        check_verdict(&t, "0000:04:00.0", SRIOV_UNKNOWN);
        CHECK_CONTAINS(fake_reason(&t, "0000:04:00.0"), "0000:04:00.0/config: No such file or directory");

        const PfFacts *f = fake_adapter(&t, "0000:05:00.0");
        ASSERT(f);
        CHECK_INT(f->n_problems, 0);
        CHECK_INT(f->class_code, 0x020000);
        CHECK_INT(f->numa_node, -1);
        check_verdict(&t, "0000:05:00.0", SRIOV_SUPPORTED);

        check_problem(&t, "0000:06:00.0", "0000:06:00.0/class: not a valid value");
        f = fake_adapter(&t, "0000:06:00.0");
        ASSERT(f);
        CHECK_INT(f->class_code, 0x020000); /* from config */
        check_verdict(&t, "0000:06:00.0", SRIOV_SUPPORTED);
}

/* Deterministic bytes (xorshift), as hex. */
static char *garbage_hex(uint32_t seed, size_t n, void (*patch)(uint8_t *c)) {
        uint8_t c[4096];
        char *hex = malloc(2 * n + 1);
        if (!hex)
                abort();
        for (size_t i = 0; i < n; i++) {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                c[i] = (uint8_t) seed;
        }
        if (patch)
                patch(c);
        for (size_t i = 0; i < n; i++)
                sprintf(hex + 2 * i, "%02x", c[i]);
        return hex;
}

/* A network endpoint whose capability lists loop and whose SR-IOV fields are nonsense. */
static void patch_loops(uint8_t *c) {
        c[0x06] |= 0x10;                    /* capability list */
        c[0x09] = 0x00;
        c[0x0a] = 0x00;
        c[0x0b] = 0x02;                     /* network */
        c[0x0e] = 0x00;                     /* type 0 header */
        c[0x34] = 0x40;
        c[0x40] = 0x10;                     /* PCI Express, next pointer to itself */
        c[0x41] = 0x40;
        c[0x42] = 0x02;
        c[0x43] = 0x00;                     /* endpoint */
        /* SR-IOV at 0x100 whose next pointer is 0x100 */
        c[0x100] = 0x10;
        c[0x101] = 0x00;
        c[0x102] = 0x01;
        c[0x103] = 0x10;
        c[0x10e] = 0xff;                    /* TotalVFs 0xffff */
        c[0x10f] = 0xff;
        c[0x114] = 0xff;                    /* offset 0xffff */
        c[0x115] = 0xff;
        c[0x116] = 0xff;                    /* stride 0xffff */
        c[0x117] = 0xff;
}

static void patch_network_class(uint8_t *c) {
        c[0x0b] = 0x02;
        c[0x0a] = 0x00;
        c[0x09] = 0x00;
}

static char *json_device_hex(const char *address, const char *hex) {
        char *s;
        if (asprintf(&s, "{'address': '%s', 'driver': 'igb', 'config': {'hex': '%s'}}", address, hex) < 0)
                abort();
        return s;
}

TEST(garbage_config) {
        _cleanup_(fake_host_done) FakeHost t = {};
        _cleanup_free_ char *h1 = garbage_hex(0x12345678, 4096, patch_loops), *h2 = NULL, *desc = NULL,
                            *d1 = NULL, *d2 = NULL, *d3 = NULL, *h3 = NULL;
        h2 = garbage_hex(0xdeadbeef, 4096, patch_network_class);
        h3 = garbage_hex(0xcafef00d, 200, patch_network_class);
        d1 = json_device_hex("0000:01:00.0", h1);
        d2 = json_device_hex("0000:02:00.0", h2);
        d3 = json_device_hex("0000:03:00.0", h3);
        ASSERT(asprintf(&desc, "{'smt': 1, 'devices': [" RP("0000:00:01.0", 1, 255, "", "%s, %s, %s") "]}", d1, d2, d3) > 0);
        ASSERT(fake_host_run(&t, desc) == 0);

        /* Loops are cut; the nonsense SR-IOV values are judged, not trusted. */
        const PfFacts *f = fake_adapter(&t, "0000:01:00.0");
        ASSERT(f);
        CHECK(f->has_sriov);
        CHECK_INT(f->total_vfs, 0xffff);
        CHECK_INT(f->vf_offset, 0xffff);
        CHECK_INT(f->pcie_type, PCIE_TYPE_ENDPOINT);
        check_verdict(&t, "0000:01:00.0", SRIOV_NO_BUS_RESOURCES);
        const PrereqRow *row = fake_row(&t, "bus", "0000:01:00.0");
        ASSERT(row);
        CHECK_CONTAINS(row->detail, "past the last routing ID 0xffff");

        /* Random bytes: whatever they say, a result with a valid verdict, or no adapter. */
        for (size_t i = 0; i < t.facts->n_adapters; i++) {
                CHECK(t.report->verdicts[i] >= 0 && t.report->verdicts[i] < _SRIOV_SUPPORT_MAX);
                CHECK(t.report->reasons[i] != NULL);
        }
        /* 200 bytes: readable header, no extended space, PCIe unknown → not an SR-IOV adapter
         * unless its (random) capability list says PCI Express; either way no crash. */
        f = fake_adapter(&t, "0000:03:00.0");
        if (f)
                check_verdict(&t, "0000:03:00.0", SRIOV_UNKNOWN);
}

TEST(bad_sysfs_values) {
        _cleanup_(fake_host_done) FakeHost t = {};
        ASSERT(fake_host_run(&t, "{'smt': 1, 'devices': [" RP("0000:00:01.0", 1, 32, "",
                PF("0000:01:00.0", "'files': {'sriov_totalvfs': 'abc\\n', 'numa_node': 'x\\n', 'sriov_numvfs': '\\n'},") ","
                PF("0000:03:00.0", "'files': {'sriov_totalvfs': '99999999999999999999999\\n', 'sriov_drivers_autoprobe': '-1\\n'},") ","
                PF("0000:05:00.0", "'iommu_group': null,") ","
                PF("0000:07:00.0", "'iommu_group': null,") ","
                PF("0000:09:00.0", "")) "],"
                " 'symlinks': [{'link': 'sys/devices/pci0000:00/0000:00:01.0/0000:05:00.0/iommu_group',"
                "               'target': '../../../../kernel'},"
                "              {'link': 'sys/devices/pci0000:00/0000:00:01.0/0000:07:00.0/iommu_group',"
                "               'target': '../../../../kernel/iommu_groups/99'},"
                "              {'link': 'sys/devices/pci0000:00/0000:00:01.0/0000:09:00.0/driver',"
                "               'target': '../../../../bus/pci/drivers/gone'},"
                "              {'link': 'sys/devices/pci0000:00/0000:00:01.0/0000:03:00.0/net', 'target': 'net'}]}") == 0);

        const PfFacts *f = fake_adapter(&t, "0000:01:00.0");
        ASSERT(f);
        check_problem(&t, "0000:01:00.0", "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/sriov_totalvfs: not a valid value");
        check_problem(&t, "0000:01:00.0", "0000:01:00.0/numa_node: not a valid value");
        check_problem(&t, "0000:01:00.0", "0000:01:00.0/sriov_numvfs: not a valid value");
        CHECK_INT(f->numa_node, -1);
        /* config is readable and authoritative: the SR-IOV facts come from it */
        CHECK_INT(f->total_vfs, 8);
        check_verdict(&t, "0000:01:00.0", SRIOV_SUPPORTED);

        check_problem(&t, "0000:03:00.0", "0000:03:00.0/sriov_totalvfs: value out of range");
        check_problem(&t, "0000:03:00.0", "0000:03:00.0/sriov_drivers_autoprobe: not a valid value");
        check_problem(&t, "0000:03:00.0", "0000:03:00.0/net: symbolic link loop");
        f = fake_adapter(&t, "0000:03:00.0");
        ASSERT(f);
        CHECK(f->ifname == NULL);
        CHECK_INT(f->autoprobe, -1);

        check_problem(&t, "0000:05:00.0", "0000:05:00.0/iommu_group: link target 'kernel' is not a group number");
        check_verdict(&t, "0000:05:00.0", SRIOV_UNKNOWN);
        check_problem(&t, "0000:07:00.0", "0000:07:00.0/iommu_group: dangling link");
        CHECK_INT(fake_adapter(&t, "0000:07:00.0")->iommu_group, -1);
        check_verdict(&t, "0000:07:00.0", SRIOV_UNKNOWN);
        check_problem(&t, "0000:09:00.0", "0000:09:00.0/driver: dangling link");
        check_verdict(&t, "0000:09:00.0", SRIOV_MISSING_PF_DRIVER);
}

TEST(broken_links) {
        _cleanup_(fake_host_done) FakeHost t = {};
        ASSERT(fake_host_run(&t, "{'smt': 1, 'devices': [" RP("0000:00:01.0", 1, 32, "", PF("0000:01:00.0", "")) "],"
                " 'symlinks': ["
                /* dangling */
                "  {'link': 'sys/bus/pci/devices/0000:10:00.0', 'target': '../../../devices/pci0000:00/0000:10:00.0'},"
                /* to itself */
                "  {'link': 'sys/bus/pci/devices/0000:11:00.0', 'target': '0000:11:00.0'},"
                /* to each other */
                "  {'link': 'sys/bus/pci/devices/0000:12:00.0', 'target': '0000:13:00.0'},"
                "  {'link': 'sys/bus/pci/devices/0000:13:00.0', 'target': '0000:12:00.0'},"
                /* inside the root but outside sys/devices */
                "  {'link': 'sys/bus/pci/devices/0000:14:00.0', 'target': '../../../class/net'},"
                /* outside the root */
                "  {'link': 'sys/bus/pci/devices/0000:15:00.0', 'target': '/'},"
                /* not a PCI address at all */
                "  {'link': 'sys/bus/pci/devices/garbage', 'target': '0000:01:00.0'},"
                /* a PF's driver link pointing to itself: not a driver */
                "  {'link': 'sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/driver', 'target': 'driver'}"
                "]}") == 0);

        static const struct { const char *addr, *what; } want[] = {
                { "0000:10:00.0", "sys/bus/pci/devices/0000:10:00.0: cannot resolve the link: No such file or directory" },
                { "0000:11:00.0", "sys/bus/pci/devices/0000:11:00.0: cannot resolve the link: symbolic link loop" },
                { "0000:12:00.0", "sys/bus/pci/devices/0000:12:00.0: cannot resolve the link: symbolic link loop" },
                { "0000:13:00.0", "sys/bus/pci/devices/0000:13:00.0: cannot resolve the link: symbolic link loop" },
                { "0000:14:00.0", "sys/bus/pci/devices/0000:14:00.0: points to " },
                { "0000:15:00.0", "sys/bus/pci/devices/0000:15:00.0: points to /, outside sys/devices" },
        };
        CHECK_INT(t.facts->n_adapters, 1 + ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                check_problem(&t, want[i].addr, want[i].what);
                check_verdict(&t, want[i].addr, SRIOV_UNKNOWN);
                CHECK_CONTAINS(fake_reason(&t, want[i].addr), want[i].what);
                const PrereqRow *row = fake_row(&t, "driver", want[i].addr);
                ASSERT(row);
                /* the driver row names the path that was looked at, never an empty one */
                CHECK(strstr(row->detail, " (/driver") == NULL);
        }
        check_problem(&t, "0000:14:00.0", "outside sys/devices");
        /* "garbage" is a host problem, not an adapter */
        ASSERT(t.facts->n_problems == 1);
        CHECK_STR(t.facts->problems[0], "sys/bus/pci/devices/garbage: not a PCI address, ignored");
        check_problem(&t, "0000:01:00.0", "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/driver: symbolic link loop");
        CHECK(fake_adapter(&t, "0000:01:00.0")->driver == NULL);
        check_verdict(&t, "0000:01:00.0", SRIOV_MISSING_PF_DRIVER);
}

TEST(broken_bridges) {
        _cleanup_(fake_host_done) FakeHost t = {};
        ASSERT(fake_host_run(&t, "{'smt': 1, 'devices': ["
                RP("0000:00:1c.0", 40, 41, "'omit': ['config'],", PF("0000:28:00.0", "")) ","
                "{'address': '0000:00:1c.1', 'bus': [42, 43], 'config': {'dump': '" DUMP_HASWELL_C610 "', 'slot': '00:01.0', 'truncate': 16},"
                " 'children': [" PF("0000:2a:00.0", "") "]},"
                "{'address': '0000:00:1c.2', 'bus': [44, 45], 'config': {'all_ones': 4096},"
                " 'children': [" PF("0000:2c:00.0", "") "]},"
                RP("0000:00:1c.3", 46, 47, "'omit': ['bus_link'],", PF("0000:2e:00.0", ""))
                "]}") == 0);
        static const struct { const char *pf, *port, *what; } want[] = {
                { "0000:28:00.0", "0000:00:1c.0", "sys/bus/pci/devices/0000:00:1c.0/config: No such file or directory" },
                { "0000:2a:00.0", "0000:00:1c.1", "sys/bus/pci/devices/0000:00:1c.1/config: truncated (16 bytes" },
                { "0000:2c:00.0", "0000:00:1c.2", "sys/bus/pci/devices/0000:00:1c.2/config: reads all ones" },
                { "0000:2e:00.0", "0000:00:1c.3", "sys/bus/pci/devices/0000:00:1c.3/config: No such file or directory" },
        };
        /* The bridge with 16 bytes of config has no class file either: nothing says it is not a
         * NIC, so it is listed, unreadable, rather than silently dropped. */
        CHECK_INT(t.facts->n_adapters, ELEMENTSOF(want) + 1);
        check_problem(&t, "0000:00:1c.1", "sys/devices/pci0000:00/0000:00:1c.1/config: truncated (16 bytes");
        check_verdict(&t, "0000:00:1c.1", SRIOV_UNKNOWN);
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                const PfFacts *f = fake_adapter(&t, want[i].pf);
                ASSERT(f && f->n_path == 1);
                CHECK_STR(f->path[0].address, want[i].port);
                CHECK_CONTAINS(f->path[0].problem, want[i].what);
                check_verdict(&t, want[i].pf, SRIOV_UNKNOWN);
                const PrereqRow *acs = fake_row(&t, "acs", want[i].pf), *bus = fake_row(&t, "bus", want[i].pf);
                ASSERT(acs && bus);
                CHECK_INT(acs->result, PREREQ_FAILED);
                CHECK_INT(acs->code, AN_ERROR_SRIOV_SUPPORT_UNKNOWN);
                CHECK_CONTAINS(acs->detail, want[i].what);
                CHECK_INT(bus->result, PREREQ_WARNING);
                CHECK_CONTAINS(bus->detail, "no readable parent bridge");
        }
}

TEST(replaced_files) {
        _cleanup_(fake_host_done) FakeHost t = {};
        ASSERT(fake_host_build(&t, "{'smt': 1, 'devices': [" RP("0000:00:01.0", 1, 32, "",
                PF("0000:01:00.0", "") "," PF("0000:02:00.0", "") "," PF("0000:03:00.0", "")) "]}") == 0);
        /* config is a directory; class is a directory; a device entry that is a plain file */
        _cleanup_free_ char *cfg = fake_path(&t, "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/config"),
                            *cls = fake_path(&t, "sys/devices/pci0000:00/0000:00:01.0/0000:02:00.0/class"),
                            *big = fake_path(&t, "sys/devices/pci0000:00/0000:00:01.0/0000:03:00.0/config"),
                            *plain = fake_path(&t, "sys/bus/pci/devices/0000:16:00.0");
        ASSERT(unlink(cfg) == 0 && mkdir(cfg, 0755) == 0);
        ASSERT(unlink(cls) == 0 && mkdir(cls, 0755) == 0);
        char large[5000];
        memset(large, 0, sizeof large);
        ASSERT(write_file_atomic(big, large, sizeof large, 0644) == 0);
        ASSERT(write_file_atomic(plain, "x", 1, 0644) == 0);
        ASSERT(fake_host_evaluate(&t) == 0);

        check_problem(&t, "0000:01:00.0", "0000:01:00.0/config: not a regular file");
        check_verdict(&t, "0000:01:00.0", SRIOV_UNKNOWN);
        check_problem(&t, "0000:02:00.0", "0000:02:00.0/class: Is a directory");
        check_verdict(&t, "0000:02:00.0", SRIOV_SUPPORTED);
        check_problem(&t, "0000:03:00.0", "0000:03:00.0/config: unexpectedly large");
        check_verdict(&t, "0000:03:00.0", SRIOV_UNKNOWN);
        check_problem(&t, "0000:16:00.0", "sys/bus/pci/devices/0000:16:00.0: points to");
        check_verdict(&t, "0000:16:00.0", SRIOV_UNKNOWN);
}

TEST(empty_root) {
        _cleanup_(fake_host_done) FakeHost t = { .root = test_tmpdir() };
        ASSERT(fake_host_evaluate(&t) == 0);
        CHECK_INT(t.facts->n_adapters, 0);
        CHECK(!t.facts->iommu_on);
        CHECK(t.facts->kernel_release == NULL);
        ASSERT(t.facts->n_problems == 1);
        CHECK_STR(t.facts->problems[0], "sys/bus/pci/devices: No such file or directory");
        const PrereqRow *row = fake_row(&t, "discovery", "host");
        ASSERT(row);
        CHECK_INT(row->result, PREREQ_WARNING);
        CHECK_CONTAINS(row->detail, "sys/bus/pci/devices: No such file or directory");
        row = fake_row(&t, "kernel", "host");
        ASSERT(row);
        CHECK_INT(row->result, PREREQ_WARNING);
        CHECK_CONTAINS(row->detail, "proc/sys/kernel/osrelease");
        row = fake_row(&t, "adapters", "host");
        ASSERT(row);
        CHECK_INT(row->result, PREREQ_FAILED);
        CHECK_CONTAINS(row->detail, "0 of 0");
}

TEST(no_bus_pci_devices) {
        _cleanup_(fake_host_done) FakeHost t = {};
        ASSERT(fake_host_build(&t, "{'smt': 1, 'devices': [" RP("0000:00:01.0", 1, 2, "", PF("0000:01:00.0", "")) "]}") == 0);
        _cleanup_free_ char *p = fake_path(&t, "sys/bus/pci/devices");
        ASSERT(rm_rf(p) == 0);
        ASSERT(fake_host_evaluate(&t) == 0);
        CHECK_INT(t.facts->n_adapters, 0);
        CHECK(t.facts->iommu_on);
        ASSERT(t.facts->n_problems == 1);
        CHECK_STR(t.facts->problems[0], "sys/bus/pci/devices: No such file or directory");
        const PrereqRow *row = fake_row(&t, "adapters", "host");
        ASSERT(row);
        CHECK_INT(row->result, PREREQ_FAILED);
        CHECK_INT(row->code, AN_ERROR_ACCELNET_NOT_SUPPORTED);
}

TEST(bad_roots) {
        _cleanup_(pci_access_freep) PciAccess *pacc = NULL;
        HostFacts *h = NULL;
        char *dir = test_tmpdir();
        _cleanup_free_ char *missing = path_join(dir, "does-not-exist");

        ASSERT(pci_access_new(dir, &pacc) == 0);
        CHECK_INT(host_discover(pacc, missing, &h), -ENOENT);
        CHECK(h == NULL);
        CHECK_INT(host_discover(NULL, dir, &h), -EINVAL);

        /* libpci builds "SYSFS/devices/ADDR/config" in a 1 KiB buffer and aborts when it does
         * not fit: a root that long is refused up front. */
        char longroot[1400];
        snprintf(longroot, sizeof longroot, "%s", dir);
        while (strlen(longroot) + 101 < sizeof longroot - 1)
                strcat(longroot, "/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd");
        PciAccess *p2 = NULL;
        CHECK_INT(pci_access_new(longroot, &p2), -ENAMETOOLONG);
        CHECK(p2 == NULL);
        pci_access_free(p2);
        test_tmpdir_cleanup(dir);
}

TEST(long_root_path_works_below_the_limit) {
        /* A fake root several directories deep (but within libpci's limit) works. */
        _cleanup_(fake_host_done) FakeHost t = {};
        char *base = test_tmpdir();
        char deep[700];
        snprintf(deep, sizeof deep, "%s/%s/%s/%s", base,
                 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                 "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
                 "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc");
        ASSERT(mkdir_p(deep, 0755) == 0);
        FakeRootOptions o = { .dump_dir = test_fixtures_dir() };
        json_t *j = fake_json("{'smt': 1, 'devices': [" RP("0000:00:01.0", 1, 2, "", PF("0000:01:00.0", "")) "]}");
        ASSERT(j);
        int r = fakeroot_build(deep, j, &o, NULL);
        json_decref(j);
        t.root = strdup(deep);
        ASSERT(r == 0 && t.root);
        ASSERT(fake_host_evaluate(&t) == 0);
        check_verdict(&t, "0000:01:00.0", SRIOV_SUPPORTED);
        free(t.root);
        t.root = base; /* removed by fake_host_done */
}

int main(void) {
        RUN(unreadable_config);
        RUN(garbage_config);
        RUN(bad_sysfs_values);
        RUN(broken_links);
        RUN(broken_bridges);
        RUN(replaced_files);
        RUN(empty_root);
        RUN(no_bus_pci_devices);
        RUN(bad_roots);
        RUN(long_root_path_works_below_the_limit);
        return TEST_MAIN_END();
}
