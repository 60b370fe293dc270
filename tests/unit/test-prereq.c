/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The SR-IOV support verdicts (DESIGN §2), each on a fake root built from real dump bytes
 * wherever a real dump exists, through libpci discovery and the prerequisite engine. Each
 * case checks the verdict and the evidence and remedy that explain it. */
#include "fakehost.h"

/* An 82576 PF (real dump) at ADDR, igb bound. */
#define PF_82576(addr, ifname) \
        "{'address': '" addr "', 'driver': 'igb', 'ifname': '" ifname "'," \
        " 'config': {'dump': '" DUMP_82576 "', 'slot': '01:00.0'}}"

/* A bridge from a real dump, with bus range and children. */
#define PORT(addr, dump, slot, sec, sub, children) \
        "{'address': '" addr "', 'bus': [" #sec ", " #sub "], 'config': {'dump': '" dump "', 'slot': '" slot "'}," \
        " 'children': [" children "]}"

static void check_row(const FakeHost *t, const char *check, const char *subject, PrereqResult result, AnError code,
                      const char *needle) {
        const PrereqRow *row = fake_row(t, check, subject);
        if (!row) {
                fprintf(stderr, "[%s] no \"%s\" row for %s\n", test_current, check, subject);
                test_failures++;
                return;
        }
        if (row->result != result || row->code != code || (needle && !strstr(row->detail, needle))) {
                fprintf(stderr, "[%s] row %s/%s: %s [%s] \"%s\"\n    expected %s [%s] containing \"%s\"\n", test_current,
                        check, subject, prereq_result_to_string(row->result), strempty(an_error_to_string(row->code)),
                        row->detail, prereq_result_to_string(result), strempty(an_error_to_string(code)),
                        strempty(needle));
                test_failures++;
        }
}

#define CHECK_VERDICT(t, addr, v)                                                                             \
        do {                                                                                                  \
                SriovSupport _v = fake_verdict(t, addr);                                                      \
                if (_v != (v)) {                                                                              \
                        fprintf(stderr, "%s:%d: [%s] %s is %s, expected %s (%s)\n", __FILE__, __LINE__,       \
                                test_current, addr, strempty(sriov_support_to_string(_v)),                    \
                                sriov_support_to_string(v), strempty(fake_reason(t, addr)));                  \
                        test_failures++;                                                                      \
                }                                                                                             \
        } while (0)

TEST(i82576_bus_room) {
        _cleanup_(fake_host_done) FakeHost t = {};
        /* Haswell-E root port 00:01.0 (ACS on) given buses 1-2: the VFs (offset 384, stride 2)
         * land on bus 02, which the bridge forwards. */
        ASSERT(fake_host_run(&t, "{'smt': 1, 'devices': ["
                PORT("0000:00:01.0", DUMP_HASWELL_C610, "00:01.0", 1, 2, PF_82576("0000:01:00.0", "enp1s0f0")) "]}") == 0);
        ASSERT(t.facts->n_adapters == 1);
        const PfFacts *f = fake_adapter(&t, "enp1s0f0");
        ASSERT(f);
        CHECK_STR(f->address, "0000:01:00.0");
        CHECK_INT(f->vendor, 0x8086);
        CHECK_INT(f->device, 0x10c9);
        CHECK_INT(f->class_code, 0x020000);
        CHECK(f->has_sriov);
        CHECK_INT(f->sriov_offset_cfg, 0x160);
        CHECK_INT(f->total_vfs, 8);
        CHECK_INT(f->num_vfs, 1);
        CHECK_INT(f->vf_offset, 384);
        CHECK_INT(f->vf_stride, 2);
        CHECK_INT(f->vf_device, 0x10ca);
        CHECK_STR(f->driver, "igb");
        CHECK(f->iommu_group >= 0);
        CHECK(f->path_complete);
        ASSERT(f->n_path == 1);
        CHECK_STR(f->path[0].address, "0000:00:01.0");
        CHECK_INT(f->path[0].pcie_type, PCIE_TYPE_ROOT_PORT);
        CHECK_INT(f->path[0].secondary_bus, 1);
        CHECK_INT(f->path[0].subordinate_bus, 2);

        CHECK_VERDICT(&t, "0000:01:00.0", SRIOV_SUPPORTED);
        CHECK_STR(fake_reason(&t, "0000:01:00.0"), "All checks passed.");
        check_row(&t, "sriov", "0000:01:00.0", PREREQ_PASSED, 0, "TotalVFs 8, NumVFs 1, VF offset 384, stride 2");
        check_row(&t, "acs", "0000:01:00.0", PREREQ_PASSED, 0, "SrcValid+ ReqRedir+ CmpltRedir+ UpstreamFwd+");
        check_row(&t, "driver", "0000:01:00.0", PREREQ_PASSED, 0, "Driver igb");
        check_row(&t, "bus", "0000:01:00.0", PREREQ_PASSED, 0, "VFs from bus 02 to bus 02");
        check_row(&t, "bus", "0000:01:00.0", PREREQ_PASSED, 0, "buses 01-02");
        check_row(&t, "adapters", "host", PREREQ_PASSED, 0, "1 of 1");
        CHECK_INT(t.report->n_supported, 1);
        CHECK(t.report->host_ok);
}

TEST(i82576_no_bus_resources) {
        _cleanup_(fake_host_done) FakeHost t = {};
        /* The same card under a bridge whose subordinate bus equals its secondary. */
        ASSERT(fake_host_run(&t, "{'smt': 1, 'devices': ["
                PORT("0000:00:01.0", DUMP_HASWELL_C610, "00:01.0", 1, 1, PF_82576("0000:01:00.0", "enp1s0f0")) "]}") == 0);
        CHECK_VERDICT(&t, "0000:01:00.0", SRIOV_NO_BUS_RESOURCES);
        check_row(&t, "bus", "0000:01:00.0", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_NO_BUS_RESOURCES, "pci=realloc");
        check_row(&t, "bus", "0000:01:00.0", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_NO_BUS_RESOURCES,
                  "VFs from bus 02 to bus 02; parent bridge 0000:00:01.0 has buses 01-01");
        CHECK_CONTAINS(fake_reason(&t, "0000:01:00.0"), "pci=realloc");
        /* only the bus check failed */
        check_row(&t, "sriov", "0000:01:00.0", PREREQ_PASSED, 0, NULL);
        check_row(&t, "acs", "0000:01:00.0", PREREQ_PASSED, 0, NULL);
        check_row(&t, "driver", "0000:01:00.0", PREREQ_PASSED, 0, NULL);
        check_row(&t, "adapters", "host", PREREQ_FAILED, AN_ERROR_ACCELNET_NOT_SUPPORTED, "0 of 1");
        /* and why: each unusable adapter with its verdict */
        check_row(&t, "adapters", "host", PREREQ_FAILED, AN_ERROR_ACCELNET_NOT_SUPPORTED,
                  "not usable: 0000:01:00.0 (enp1s0f0) NoBusResources.");
        CHECK_INT(t.report->n_supported, 0);
}

TEST(thunderx_domain_2) {
        _cleanup_(fake_host_done) FakeHost t = {};
        /* 128 VFs at offset 1, stride 1 stay on bus 01: buses 1-1 are enough. The root port in
         * domain 0002 takes the Haswell-E port's real bytes (ACS on). */
        ASSERT(fake_host_run(&t, "{'smt': 0, 'devices': ["
                PORT("0002:00:01.0", DUMP_HASWELL_C610, "00:01.0", 1, 1,
                     "{'address': '0002:01:00.0', 'driver': 'thunder-nicpf', 'ifname': 'enP2p1s0f0',"
                     " 'config': {'dump': '" DUMP_THUNDERX "', 'slot': '0002:01:00.0'}}") "]}") == 0);
        ASSERT(t.facts->n_adapters == 1);
        const PfFacts *f = &t.facts->adapters[0];
        CHECK_STR(f->address, "0002:01:00.0");
        CHECK_INT(f->addr.domain, 2);
        CHECK_STR(f->sysfs_rel, "sys/devices/pci0002:00/0002:00:01.0/0002:01:00.0");
        CHECK_INT(f->vendor, 0x177d);
        CHECK_INT(f->total_vfs, 128);
        CHECK_INT(f->num_vfs, 128);
        CHECK(f->vf_enable);
        CHECK_INT(f->vf_offset, 1);
        CHECK_INT(f->vf_stride, 1);
        CHECK_INT(f->vf_device, 0xa034);
        ASSERT(f->n_path == 1);
        CHECK_STR(f->path[0].address, "0002:00:01.0");
        CHECK_VERDICT(&t, "0002:01:00.0", SRIOV_SUPPORTED);
        check_row(&t, "bus", "0002:01:00.0", PREREQ_PASSED, 0, "VFs from bus 01 to bus 01");
        check_row(&t, "sriov", "0002:01:00.0", PREREQ_PASSED, 0, "SR-IOV capability at 0x180");
}

TEST(x58_ich10_ports_no_acs) {
        _cleanup_(fake_host_done) FakeHost t = {};
        /* PFs below the X58's ICH10 root ports 00:1c.0/1/2 (real bytes: no ACS capability). */
        ASSERT(fake_host_run(&t, "{'smt': 1, 'devices': ["
                PORT("0000:00:1c.0", DUMP_X58, "00:1c.0", 5, 6, PF_82576("0000:05:00.0", "enp5s0")) ","
                PORT("0000:00:1c.1", DUMP_X58, "00:1c.1", 7, 8, PF_82576("0000:07:00.0", "enp7s0")) ","
                PORT("0000:00:1c.2", DUMP_X58, "00:1c.2", 9, 10, PF_82576("0000:09:00.0", "enp9s0")) "]}") == 0);
        CHECK_INT(t.facts->n_adapters, 3);
        static const char *const pfs[] = { "0000:05:00.0", "0000:07:00.0", "0000:09:00.0" };
        static const char *const ports[] = { "0000:00:1c.0", "0000:00:1c.1", "0000:00:1c.2" };
        for (size_t i = 0; i < ELEMENTSOF(pfs); i++) {
                char want[128];
                CHECK_VERDICT(&t, pfs[i], SRIOV_MISSING_ACS);
                const PfFacts *f = fake_adapter(&t, pfs[i]);
                ASSERT(f && f->n_path == 1);
                CHECK(!f->path[0].has_acs);
                snprintf(want, sizeof want, "root port %s", ports[i]);
                check_row(&t, "acs", pfs[i], PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_MISSING_ACS, want);
                snprintf(want, sizeof want, "no ACS capability in sys/devices/pci0000:00/%s/config", ports[i]);
                check_row(&t, "acs", pfs[i], PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_MISSING_ACS, want);
                check_row(&t, "acs", pfs[i], PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_MISSING_ACS, "Remedy:");
                check_row(&t, "bus", pfs[i], PREREQ_PASSED, 0, NULL);
                CHECK_CONTAINS(fake_reason(&t, pfs[i]), "no ACS capability");
        }
}

TEST(haswell_acs_and_c610_pch_port) {
        _cleanup_(fake_host_done) FakeHost t = {};
        /* One mail, three real ports: Haswell-E 00:01.0 and 00:01.1 (ACS on), C610 PCH 00:1c.4
         * (no ACS capability). */
        ASSERT(fake_host_run(&t, "{'smt': 1, 'devices': ["
                PORT("0000:00:01.0", DUMP_HASWELL_C610, "00:01.0", 4, 5, PF_82576("0000:04:00.0", "enp4s0")) ","
                PORT("0000:00:01.1", DUMP_HASWELL_C610, "00:01.1", 6, 7, PF_82576("0000:06:00.0", "enp6s0")) ","
                PORT("0000:00:1c.4", DUMP_HASWELL_C610, "00:1c.4", 12, 13, PF_82576("0000:0c:00.0", "enp12s0")) "]}") == 0);
        CHECK_INT(t.facts->n_adapters, 3);
        CHECK_VERDICT(&t, "0000:04:00.0", SRIOV_SUPPORTED);
        CHECK_VERDICT(&t, "0000:06:00.0", SRIOV_SUPPORTED);
        CHECK_VERDICT(&t, "0000:0c:00.0", SRIOV_MISSING_ACS);
        check_row(&t, "acs", "0000:04:00.0", PREREQ_PASSED, 0,
                  "root port 0000:00:01.0: ACS at 0x110, ACSCtl SrcValid+ ReqRedir+ CmpltRedir+ UpstreamFwd+");
        check_row(&t, "acs", "0000:06:00.0", PREREQ_PASSED, 0,
                  "root port 0000:00:01.1: ACS at 0x110, ACSCtl SrcValid+ ReqRedir+ CmpltRedir+ UpstreamFwd+");
        check_row(&t, "acs", "0000:0c:00.0", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_MISSING_ACS,
                  "root port 0000:00:1c.4");
        check_row(&t, "acs", "0000:0c:00.0", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_MISSING_ACS, "no ACS capability");
        const PfFacts *f = fake_adapter(&t, "enp4s0");
        ASSERT(f && f->n_path == 1);
        CHECK(f->path[0].has_acs);
        CHECK_INT(f->path[0].acs_ctrl, 0x001d);
        CHECK_INT(t.report->n_supported, 2);
        check_row(&t, "adapters", "host", PREREQ_PASSED, 0, "2 of 3");
        check_row(&t, "adapters", "host", PREREQ_PASSED, 0, "are usable; not usable: 0000:0c:00.0");
        check_row(&t, "adapters", "host", PREREQ_PASSED, 0, "MissingAcs.");
}

TEST(x58_ioh_ports_acs_off) {
        _cleanup_(fake_host_done) FakeHost t = {};
        /* X58 IOH root ports: the ACS capability is there, every control bit is off. */
        ASSERT(fake_host_run(&t, "{'smt': 1, 'devices': ["
                PORT("0000:00:01.0", DUMP_X58, "00:01.0", 1, 2, PF_82576("0000:01:00.0", "enp1s0")) ","
                PORT("0000:00:03.0", DUMP_X58, "00:03.0", 3, 4, PF_82576("0000:03:00.0", "enp3s0")) ","
                PORT("0000:00:07.0", DUMP_X58, "00:07.0", 5, 6, PF_82576("0000:05:00.0", "enp5s0")) "]}") == 0);
        static const char *const pfs[] = { "0000:01:00.0", "0000:03:00.0", "0000:05:00.0" };
        for (size_t i = 0; i < ELEMENTSOF(pfs); i++) {
                CHECK_VERDICT(&t, pfs[i], SRIOV_MISSING_ACS);
                const PfFacts *f = fake_adapter(&t, pfs[i]);
                ASSERT(f && f->n_path == 1);
                CHECK(f->path[0].has_acs);
                CHECK_INT(f->path[0].acs_ctrl & ACS_REQUIRED_CTRL, 0);
                CHECK_INT(f->path[0].acs_cap & ACS_REQUIRED_CTRL, ACS_REQUIRED_CTRL);
                check_row(&t, "acs", pfs[i], PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_MISSING_ACS,
                          "ACSCtl SrcValid- ReqRedir- CmpltRedir- UpstreamFwd-");
                check_row(&t, "acs", pfs[i], PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_MISSING_ACS,
                          "ACSCap SrcValid+ ReqRedir+ CmpltRedir+ UpstreamFwd+");
                check_row(&t, "acs", pfs[i], PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_MISSING_ACS,
                          "supports the required controls but they are off");
                check_row(&t, "acs", pfs[i], PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_MISSING_ACS,
                          "the kernel turns them on at boot when the IOMMU is enabled");
                CHECK_CONTAINS(fake_reason(&t, pfs[i]), "but they are off");
        }
}

TEST(e810_no_driver) {
        _cleanup_(fake_host_done) FakeHost t = {};
        /* No 4 KiB dump of an E810 exists: its values from
         * vvv-intelwiredlan-e810c-pf-no-driver-bound.txt (Total 64, offset 8, stride 1, VF DID
         * 1889, ACS at 0x1b0, "Kernel modules: ice" but no driver in use). */
        ASSERT(fake_host_run(&t, "{'smt': 1, 'devices': ["
                PORT("0000:e0:03.0", DUMP_HASWELL_C610, "00:01.0", 226, 226,
                     "{'address': '0000:e2:00.0', 'numa_node': 1,"
                     " 'config': {'synth': {'vendor': '8086', 'device': '1593', 'class': '020000', 'acs': true, 'ari': true,"
                     "   'sriov': {'total': 64, 'offset': 8, 'stride': 1, 'vf_device': '1889'}}}}") "]}") == 0);
        const PfFacts *f = fake_adapter(&t, "0000:e2:00.0");
        ASSERT(f);
        CHECK(f->driver == NULL);
        CHECK(f->ifname == NULL);
        CHECK_INT(f->total_vfs, 64);
        CHECK_INT(f->vf_offset, 8);
        CHECK_INT(f->vf_stride, 1);
        CHECK_INT(f->vf_device, 0x1889);
        CHECK_INT(f->numa_node, 1);
        CHECK_VERDICT(&t, "0000:e2:00.0", SRIOV_MISSING_PF_DRIVER);
        check_row(&t, "driver", "0000:e2:00.0", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_MISSING_PF_DRIVER,
                  "No driver is bound (sys/devices/pci0000:e0/0000:e0:03.0/0000:e2:00.0/driver is missing)");
        check_row(&t, "driver", "0000:e2:00.0", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_MISSING_PF_DRIVER, "modprobe ice");
        check_row(&t, "driver", "0000:e2:00.0", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_MISSING_PF_DRIVER, "8086:1593");
        /* RIDs e2:01.0 .. e2:08.7: bus e2 only */
        check_row(&t, "bus", "0000:e2:00.0", PREREQ_PASSED, 0, "VFs from bus e2 to bus e2");
        check_row(&t, "acs", "0000:e2:00.0", PREREQ_PASSED, 0, NULL);
}

TEST(driver_without_sriov_and_precedence) {
        _cleanup_(fake_host_done) FakeHost t = {};
        ASSERT(fake_host_run(&t, "{'smt': 1, 'devices': ["
                PORT("0000:00:01.0", DUMP_HASWELL_C610, "00:01.0", 1, 2,
                     "{'address': '0000:01:00.0', 'driver': 'pci-stub',"
                     " 'config': {'dump': '" DUMP_82576 "', 'slot': '01:00.0'}}") ","
                /* no driver AND no ACS AND no bus room: MissingAcs comes first (DESIGN §2 order) */
                PORT("0000:00:1c.4", DUMP_HASWELL_C610, "00:1c.4", 12, 12,
                     "{'address': '0000:0c:00.0', 'config': {'dump': '" DUMP_82576 "', 'slot': '01:00.0'}}") "]}") == 0);
        CHECK_VERDICT(&t, "0000:01:00.0", SRIOV_MISSING_PF_DRIVER);
        check_row(&t, "driver", "0000:01:00.0", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_MISSING_PF_DRIVER,
                  "pci-stub cannot create VFs");
        check_row(&t, "driver", "0000:01:00.0", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_MISSING_PF_DRIVER, "'modprobe igb' (82576/I350)");

        CHECK_VERDICT(&t, "0000:0c:00.0", SRIOV_MISSING_ACS);
        check_row(&t, "acs", "0000:0c:00.0", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_MISSING_ACS, NULL);
        check_row(&t, "driver", "0000:0c:00.0", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_MISSING_PF_DRIVER, NULL);
        check_row(&t, "bus", "0000:0c:00.0", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_NO_BUS_RESOURCES, "buses 0c-0c");
        CHECK_CONTAINS(fake_reason(&t, "0000:0c:00.0"), "no ACS capability");
}

TEST(non_network_sriov_is_not_an_adapter) {
        _cleanup_(fake_host_done) FakeHost t = {};
        /* Samsung PM174x NVMe (class 0108, TotalVFs 64), the Alder Lake iGPU 00:02.0 (class
         * 0300, TotalVFs 7), the Intel 0d93 RCiEP (class ff00, TotalVFs 6), and the ConnectX-3
         * Pro (a NIC whose SR-IOV is firmware-disabled): none is an adapter. */
        ASSERT(fake_host_run(&t, "{'smt': 1, 'devices': ["
                "{'address': '0000:00:02.0', 'driver': 'i915', 'config': {'dump': '" DUMP_ALDERLAKE "', 'slot': '00:02.0'}},"
                "{'address': '0000:6b:00.0', 'config': {'dump': '" DUMP_0D93 "', 'slot': '6b:00.0'}},"
                PORT("0000:00:1d.0", DUMP_HASWELL_C610, "00:01.0", 46, 46,
                     "{'address': '0000:2e:00.0', 'driver': 'nvme', 'config': {'dump': '" DUMP_PM174X "', 'slot': '2e:00.0'}}") ","
                PORT("0000:00:02.1", DUMP_HASWELL_CX3, "00:02.0", 3, 3,
                     "{'address': '0000:03:00.0', 'driver': 'mlx4_core', 'ifname': 'enp3s0',"
                     " 'config': {'dump': '" DUMP_HASWELL_CX3 "', 'slot': '03:00.0'}}") ","
                PORT("0000:00:01.0", DUMP_HASWELL_C610, "00:01.0", 1, 2, PF_82576("0000:01:00.0", "enp1s0")) "]}") == 0);
        CHECK_INT(t.facts->n_adapters, 1);
        CHECK(fake_adapter(&t, "0000:01:00.0") != NULL);
        static const char *const others[] = { "0000:00:02.0", "0000:6b:00.0", "0000:2e:00.0", "0000:03:00.0" };
        for (size_t i = 0; i < ELEMENTSOF(others); i++) {
                CHECK(fake_adapter(&t, others[i]) == NULL);
                CHECK_INT(fake_verdict(&t, others[i]), _SRIOV_SUPPORT_INVALID);
                CHECK(fake_row(&t, "sriov", others[i]) == NULL);
        }
        CHECK_INT(t.facts->n_ignored, 3);
        CHECK(fake_ignored(&t, "0000:00:02.0"));
        CHECK(fake_ignored(&t, "0000:6b:00.0"));
        CHECK(fake_ignored(&t, "0000:2e:00.0"));
        CHECK(!fake_ignored(&t, "0000:03:00.0")); /* a NIC without SR-IOV is simply not listed */
        for (size_t i = 0; i < t.facts->n_ignored; i++) {
                const char *s = t.facts->ignored[i];
                if (strncmp(s, "0000:00:02.0", 12) == 0) {
                        CHECK_CONTAINS(s, "class 0x030000");
                        CHECK_CONTAINS(s, "TotalVFs 7");
                } else if (strncmp(s, "0000:2e:00.0", 12) == 0) {
                        CHECK_CONTAINS(s, "class 0x010802");
                        CHECK_CONTAINS(s, "TotalVFs 64");
                } else if (strncmp(s, "0000:6b:00.0", 12) == 0) {
                        CHECK_CONTAINS(s, "class 0xff0000");
                        CHECK_CONTAINS(s, "TotalVFs 6");
                }
                CHECK_CONTAINS(s, "not a network controller");
        }
}

TEST(connectx5_256_bytes) {
        _cleanup_(fake_host_done) FakeHost t = {};
        /* Only 256 bytes of config: the SR-IOV capability cannot be seen. */
        ASSERT(fake_host_run(&t, "{'smt': 1, 'devices': ["
                PORT("0000:00:01.0", DUMP_HASWELL_C610, "00:01.0", 1, 1,
                     "{'address': '0000:01:00.0', 'driver': 'mlx5_core', 'ifname': 'enp1s0f0np0',"
                     " 'config': {'dump': '" DUMP_CX5_256 "', 'slot': '01:00.0'}}") "]}") == 0);
        const PfFacts *f = fake_adapter(&t, "0000:01:00.0");
        ASSERT(f);
        CHECK_INT(f->config_size, 256);
        CHECK(!f->has_sriov);
        CHECK_INT(f->vendor, 0x15b3);
        CHECK_INT(f->device, 0x1019);
        CHECK_VERDICT(&t, "0000:01:00.0", SRIOV_UNKNOWN);
        check_row(&t, "sriov", "0000:01:00.0", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_UNKNOWN, "only 256 bytes");
        check_row(&t, "sriov", "0000:01:00.0", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_UNKNOWN, "extended");
        check_row(&t, "sriov", "0000:01:00.0", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_UNKNOWN, "root");
        check_row(&t, "sriov", "0000:01:00.0", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_UNKNOWN,
                  "sys/devices/pci0000:00/0000:00:01.0/0000:01:00.0/config");
        CHECK_CONTAINS(fake_reason(&t, "0000:01:00.0"), "cannot be seen");
}

TEST(all_ones) {
        _cleanup_(fake_host_done) FakeHost t = {};
        /* Alder Lake 2f:00.0 reads all ff (D3cold). With the kernel's cached class of a NIC it
         * is an adapter that cannot be judged; without it, it is nobody's adapter. */
        ASSERT(fake_host_run(&t, "{'smt': 1, 'devices': ["
                PORT("0000:00:1c.6", DUMP_HASWELL_C610, "00:01.0", 47, 47,
                     "{'address': '0000:2f:00.0', 'files': {'class': '0x020000\\n'},"
                     " 'config': {'dump': '" DUMP_ALDERLAKE "', 'slot': '2f:00.0'}}") ","
                PORT("0000:00:1c.7", DUMP_HASWELL_C610, "00:01.0", 48, 48,
                     "{'address': '0000:30:00.0', 'config': {'dump': '" DUMP_ALDERLAKE "', 'slot': '2f:00.0'}}") "]}") == 0);
        CHECK_INT(t.facts->n_adapters, 1);
        CHECK(fake_adapter(&t, "0000:30:00.0") == NULL);
        const PfFacts *f = fake_adapter(&t, "0000:2f:00.0");
        ASSERT(f);
        CHECK(f->config_all_ones);
        CHECK_INT(f->class_code, 0x020000);
        CHECK_VERDICT(&t, "0000:2f:00.0", SRIOV_UNKNOWN);
        CHECK_CONTAINS(fake_problems(&t, "0000:2f:00.0"),
                       "sys/devices/pci0000:00/0000:00:1c.6/0000:2f:00.0/config: reads all ones");
        check_row(&t, "sriov", "0000:2f:00.0", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_UNKNOWN,
                  "0000:2f:00.0/config: reads all ones");
        CHECK_CONTAINS(fake_reason(&t, "0000:2f:00.0"), "/config: reads all ones");
}

TEST(iommu_off) {
        _cleanup_(fake_host_done) FakeHost t = {};
        ASSERT(fake_host_run(&t, "{'iommu': false, 'smt': 1, 'cmdline': 'BOOT_IMAGE=/vmlinuz ro quiet', 'devices': ["
                PORT("0000:00:01.0", DUMP_HASWELL_C610, "00:01.0", 1, 2, PF_82576("0000:01:00.0", "enp1s0f0")) "]}") == 0);
        CHECK(!t.facts->iommu_on);
        CHECK(!t.report->host_ok);
        check_row(&t, "iommu", "host", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_UNKNOWN, "sys/class/iommu is empty");
        check_row(&t, "iommu", "host", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_UNKNOWN, "intel_iommu=on");
        CHECK_VERDICT(&t, "0000:01:00.0", SRIOV_UNKNOWN);
        check_row(&t, "sriov", "0000:01:00.0", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_UNKNOWN, "The IOMMU is off");
        check_row(&t, "adapters", "host", PREREQ_FAILED, AN_ERROR_ACCELNET_NOT_SUPPORTED, "0 of 1");

        /* The command line asks for the IOMMU but none came up: the firmware is the culprit. */
        _cleanup_(fake_host_done) FakeHost u = {};
        ASSERT(fake_host_run(&u, "{'iommu': false, 'cmdline': 'ro intel_iommu=on iommu=pt'}") == 0);
        check_row(&u, "iommu", "host", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_UNKNOWN, "although the command line asks");
}

TEST(iommu_group_missing) {
        _cleanup_(fake_host_done) FakeHost t = {};
        /* The IOMMU is on but the PF has no group. */
        ASSERT(fake_host_run(&t, "{'smt': 1, 'devices': ["
                PORT("0000:00:01.0", DUMP_HASWELL_C610, "00:01.0", 1, 2,
                     "{'address': '0000:01:00.0', 'driver': 'igb', 'iommu_group': null,"
                     " 'config': {'dump': '" DUMP_82576 "', 'slot': '01:00.0'}}") "]}") == 0);
        CHECK_INT(fake_adapter(&t, "0000:01:00.0")->iommu_group, -1);
        CHECK_VERDICT(&t, "0000:01:00.0", SRIOV_UNKNOWN);
        check_row(&t, "sriov", "0000:01:00.0", PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_UNKNOWN, "no iommu_group link");
}

TEST(smt) {
        _cleanup_(fake_host_done) FakeHost none = {}, on = {}, off = {};
        ASSERT(fake_host_run(&none, "{}") == 0);
        CHECK_INT(none.facts->smt_active, -1);
        check_row(&none, "hyperthreading", "host", PREREQ_WARNING, AN_ERROR_HYPERTHREADING_CHECK_FAILED,
                  "sys/devices/system/cpu/smt/active: missing");
        ASSERT(fake_host_run(&on, "{'smt': 1}") == 0);
        CHECK_INT(on.facts->smt_active, 1);
        check_row(&on, "hyperthreading", "host", PREREQ_PASSED, 0, "Hyperthreading is on");
        ASSERT(fake_host_run(&off, "{'smt': 0}") == 0);
        CHECK_INT(off.facts->smt_active, 0);
        check_row(&off, "hyperthreading", "host", PREREQ_PASSED, 0, "Hyperthreading is off");
}

TEST(kernel_floor) {
        _cleanup_(fake_host_done) FakeHost old = {}, ok = {}, edge = {};
        ASSERT(fake_host_run(&old, "{'kernel': '4.19.0-26-amd64', 'smt': 1}") == 0);
        CHECK_STR(old.facts->kernel_release, "4.19.0-26-amd64");
        check_row(&old, "kernel", "host", PREREQ_FAILED, AN_ERROR_ACCELNET_NOT_SUPPORTED,
                  "Kernel 4.19.0-26-amd64 is older than " PREREQ_DEFAULT_KERNEL_MIN);
        CHECK(!old.report->host_ok);
        ASSERT(fake_host_run(&ok, "{'kernel': '6.1.0-18-amd64', 'smt': 1}") == 0);
        check_row(&ok, "kernel", "host", PREREQ_PASSED, 0, "Kernel 6.1.0-18-amd64");
        CHECK(ok.report->host_ok);
        /* 5.10 is the floor itself; 5.4 sorts below it numerically, not as text */
        ASSERT(fake_host_run(&edge, "{'kernel': '5.10.0-28-amd64'}") == 0);
        check_row(&edge, "kernel", "host", PREREQ_PASSED, 0, NULL);
        FakeHost five = {};
        ASSERT(fake_host_run(&five, "{'kernel': '5.4.0-150-generic'}") == 0);
        check_row(&five, "kernel", "host", PREREQ_FAILED, AN_ERROR_ACCELNET_NOT_SUPPORTED, "older than");
        fake_host_done(&five);
}

TEST(every_adapter_has_its_rows) {
        _cleanup_(fake_host_done) FakeHost t = {};
        ASSERT(fake_host_run(&t, "{'smt': 1, 'devices': ["
                PORT("0000:00:01.0", DUMP_HASWELL_C610, "00:01.0", 1, 2, PF_82576("0000:01:00.0", "enp1s0f0")) ","
                PORT("0000:00:1c.4", DUMP_HASWELL_C610, "00:1c.4", 12, 13, PF_82576("0000:0c:00.0", "enp12s0")) "]}") == 0);
        static const char *const checks[] = { "sriov", "acs", "driver", "bus" };
        for (size_t i = 0; i < t.facts->n_adapters; i++)
                for (size_t k = 0; k < ELEMENTSOF(checks); k++) {
                        const PrereqRow *row = fake_row(&t, checks[k], t.facts->adapters[i].address);
                        CHECK(row != NULL);
                }
        /* the subject carries the interface name */
        const PrereqRow *row = fake_row(&t, "driver", "0000:0c:00.0");
        ASSERT(row);
        CHECK_STR(row->subject, "0000:0c:00.0 (enp12s0)");
        /* adapters are sorted by address */
        CHECK_STR(t.facts->adapters[0].address, "0000:01:00.0");
        CHECK_STR(t.facts->adapters[1].address, "0000:0c:00.0");
        CHECK_INT(prereq_result_from_string("Warning"), PREREQ_WARNING);
        for (int r = 0; r < _PREREQ_RESULT_MAX; r++)
                CHECK_INT(prereq_result_from_string(prereq_result_to_string((PrereqResult) r)), r);
}

int main(void) {
        RUN(i82576_bus_room);
        RUN(i82576_no_bus_resources);
        RUN(thunderx_domain_2);
        RUN(x58_ich10_ports_no_acs);
        RUN(haswell_acs_and_c610_pch_port);
        RUN(x58_ioh_ports_acs_off);
        RUN(e810_no_driver);
        RUN(driver_without_sriov_and_precedence);
        RUN(non_network_sriov_is_not_an_adapter);
        RUN(connectx5_256_bytes);
        RUN(all_ones);
        RUN(iommu_off);
        RUN(iommu_group_missing);
        RUN(smt);
        RUN(kernel_floor);
        RUN(every_adapter_has_its_rows);
        return TEST_MAIN_END();
}
