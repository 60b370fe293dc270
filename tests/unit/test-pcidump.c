/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The lspci -x/-xxx/-xxxx converter, on the real dumps of tests/fixtures/real (a copy of ../shared/fixtures/real). */
#include "fakehost.h"
#include "sim/pcidump.h"

static uint16_t rd16(const PciDumpDevice *d, size_t off) {
        return (uint16_t) (d->data[off] | d->data[off + 1] << 8);
}

static uint32_t rd32(const PciDumpDevice *d, size_t off) {
        return (uint32_t) rd16(d, off) | (uint32_t) rd16(d, off + 2) << 16;
}

/* Walks the extended capability list in the parsed bytes (independently of the code under
 * test); -1 if absent. */
static int ext_cap(const PciDumpDevice *d, uint16_t id) {
        size_t pos = 0x100;
        for (int i = 0; i < 64 && pos >= 0x100 && pos + 4 <= d->len; i++) {
                uint32_t h = rd32(d, pos);
                if (h == 0 || h == 0xffffffff)
                        return -1;
                if ((h & 0xffff) == id)
                        return (int) pos;
                pos = (h >> 20) & 0xffc;
        }
        return -1;
}

static PciDump *parse_fixture(const char *name, int *ret_r) {
        _cleanup_free_ char *path = path_join(test_fixtures_dir(), name);
        PciDump *d = NULL;
        unsigned line = 0;
        *ret_r = pci_dump_parse_file(path, &d, &line);
        if (*ret_r < 0)
                fprintf(stderr, "%s: %s at line %u\n", path, strerror(-*ret_r), line);
        return d;
}

TEST(intel_82576) {
        int r;
        _cleanup_(pci_dump_freep) PciDump *d = parse_fixture(DUMP_82576, &r);
        ASSERT(r == 0 && d);
        CHECK_INT(d->n, 1);
        const PciDumpDevice *dev = pci_dump_find(d, "01:00.0");
        ASSERT(dev);
        CHECK(dev == pci_dump_find(d, "0000:01:00.0"));
        CHECK_INT(dev->addr.domain, 0);
        CHECK_INT(dev->addr.bus, 1);
        CHECK_INT(dev->len, 4096);
        CHECK_INT(rd16(dev, 0x00), 0x8086);
        CHECK_INT(rd16(dev, 0x02), 0x10c9);
        CHECK_INT(dev->data[0x0b], 0x02); /* network controller */
        int sriov = ext_cap(dev, 0x0010);
        CHECK_INT(sriov, 0x160);
        ASSERT(sriov > 0);
        CHECK_INT(rd16(dev, sriov + 0x0c), 8);   /* InitialVFs */
        CHECK_INT(rd16(dev, sriov + 0x0e), 8);   /* TotalVFs */
        CHECK_INT(rd16(dev, sriov + 0x10), 1);   /* NumVFs */
        CHECK_INT(rd16(dev, sriov + 0x14), 384); /* First VF offset */
        CHECK_INT(rd16(dev, sriov + 0x16), 2);   /* VF stride */
        CHECK_INT(rd16(dev, sriov + 0x1a), 0x10ca);
        /* the last line of the dump: "ff0: 00 ..." */
        CHECK_INT(dev->data[0xfff], 0x00);
        CHECK(pci_dump_find(d, "02:00.0") == NULL);
        CHECK(pci_dump_find(d, "not-a-slot") == NULL);
}

TEST(connectx5_256_bytes) {
        int r;
        _cleanup_(pci_dump_freep) PciDump *d = parse_fixture(DUMP_CX5_256, &r);
        ASSERT(r == 0 && d);
        CHECK_INT(d->n, 1);
        const PciDumpDevice *dev = pci_dump_find(d, "01:00.0");
        ASSERT(dev);
        CHECK_INT(dev->len, 256);
        CHECK_INT(rd16(dev, 0), 0x15b3);
        CHECK_INT(rd16(dev, 2), 0x1019);
        /* Nothing past 256 bytes: the SR-IOV capability is not in the dump. */
        CHECK_INT(ext_cap(dev, 0x0010), -1);
}

TEST(x58_full_tree) {
        int r;
        _cleanup_(pci_dump_freep) PciDump *d = parse_fixture(DUMP_X58, &r);
        ASSERT(r == 0 && d);
        CHECK_INT(d->n, 53);
        size_t full = 0, small = 0;
        for (size_t i = 0; i < d->n; i++) {
                if (d->devices[i].len == 4096)
                        full++;
                else if (d->devices[i].len == 256)
                        small++;
        }
        /* 19 functions have an "ff0:" line in the file; the rest were dumped with 256 bytes. */
        CHECK_INT(full, 19);
        CHECK_INT(full + small, 53);
        CHECK_INT(d->devices[0].addr.bus, 0x00);
        CHECK_INT(d->devices[52].addr.bus, 0xff);
        CHECK_INT(d->devices[52].addr.dev, 0x06);
        CHECK_INT(d->devices[52].addr.func, 3);

        /* ICH10 root port 00:1c.0: a PCI bridge without ACS. */
        const PciDumpDevice *ich = pci_dump_find(d, "00:1c.0");
        ASSERT(ich);
        CHECK_INT(ich->data[0x0b], 0x06);
        CHECK_INT(ich->data[0x0a], 0x04);
        CHECK_INT(ich->data[0x0e] & 0x7f, 1);
        CHECK_INT(ext_cap(ich, 0x000d), -1);

        /* X58 IOH root ports: ACS present, every control bit off. */
        static const char *const ioh[] = { "00:01.0", "00:03.0", "00:07.0" };
        for (size_t i = 0; i < ELEMENTSOF(ioh); i++) {
                const PciDumpDevice *p = pci_dump_find(d, ioh[i]);
                ASSERT(p);
                int acs = ext_cap(p, 0x000d);
                CHECK(acs > 0);
                if (acs > 0) {
                        CHECK_INT(rd16(p, acs + 4) & 0x1d, 0x1d); /* SV RR CR UF capable */
                        CHECK_INT(rd16(p, acs + 6), 0);           /* none enabled */
                }
        }
        /* The two RTL8111 NICs. */
        const PciDumpDevice *rtl = pci_dump_find(d, "07:00.0");
        ASSERT(rtl);
        CHECK_INT(rd16(rtl, 0), 0x10ec);
        CHECK_INT(rd16(rtl, 2), 0x8168);
}

TEST(c610_haswell_mail_wrapped) {
        int r;
        _cleanup_(pci_dump_freep) PciDump *d = parse_fixture(DUMP_HASWELL_C610, &r);
        ASSERT(r == 0 && d);
        /* The header lines are wrapped ("...Core i7 PCI \nExpress Root Port 1"); the wrapped
         * halves create no devices and no bytes. */
        CHECK_INT(d->n, 3);
        static const struct { const char *slot; uint16_t did; int acs; uint8_t sec; } want[] = {
                { "00:01.0", 0x2f02, 0x110, 0x04 },
                { "00:01.1", 0x2f03, 0x110, 0x05 },
                { "00:1c.4", 0x8d18, -1, 0x0c },
        };
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                const PciDumpDevice *p = pci_dump_find(d, want[i].slot);
                ASSERT(p);
                CHECK_INT(p->len, 4096);
                CHECK_INT(rd16(p, 0), 0x8086);
                CHECK_INT(rd16(p, 2), want[i].did);
                CHECK_INT(p->data[0x19], want[i].sec);
                int acs = ext_cap(p, 0x000d);
                CHECK_INT(acs, want[i].acs);
                if (acs > 0) {
                        CHECK_INT(rd16(p, acs + 4), 0x001f); /* ACSCap SV TB RR CR UF */
                        CHECK_INT(rd16(p, acs + 6), 0x001d); /* ACSCtl SV RR CR UF */
                }
        }
}

TEST(alderlake_vvv_between_hex) {
        int r;
        _cleanup_(pci_dump_freep) PciDump *d = parse_fixture(DUMP_ALDERLAKE, &r);
        ASSERT(r == 0 && d);
        CHECK_INT(d->n, 29);
        const PciDumpDevice *igpu = pci_dump_find(d, "00:02.0");
        ASSERT(igpu);
        CHECK_INT(igpu->len, 4096);
        CHECK_INT(igpu->data[0x0b], 0x03); /* display controller */
        int sriov = ext_cap(igpu, 0x0010);
        CHECK_INT(sriov, 0x320);
        if (sriov > 0) {
                CHECK_INT(rd16(igpu, sriov + 0x0e), 7);
                CHECK_INT(rd16(igpu, sriov + 0x14), 1);
                CHECK_INT(rd16(igpu, sriov + 0x1a), 0x46a6);
        }
        /* 2f:00.0 reads all ones. */
        const PciDumpDevice *sd = pci_dump_find(d, "2f:00.0");
        ASSERT(sd);
        CHECK_INT(sd->len, 4096);
        size_t ones = 0;
        for (size_t i = 0; i < sd->len; i++)
                ones += sd->data[i] == 0xff;
        CHECK_INT(ones, 4096);
        /* The RTL8125 is a NIC without SR-IOV. */
        const PciDumpDevice *rtl = pci_dump_find(d, "2e:00.0");
        ASSERT(rtl);
        CHECK_INT(rd16(rtl, 2), 0x8125);
        CHECK_INT(ext_cap(rtl, 0x0010), -1);
}

TEST(thunderx_domain_2) {
        int r;
        _cleanup_(pci_dump_freep) PciDump *d = parse_fixture(DUMP_THUNDERX, &r);
        ASSERT(r == 0 && d);
        CHECK_INT(d->n, 1);
        CHECK(pci_dump_find(d, "01:00.0") == NULL); /* that would be domain 0 */
        const PciDumpDevice *dev = pci_dump_find(d, "0002:01:00.0");
        ASSERT(dev);
        CHECK_INT(dev->addr.domain, 2);
        CHECK_INT(dev->len, 4096);
        CHECK_INT(rd16(dev, 0), 0x177d);
        CHECK_INT(rd16(dev, 2), 0xa01e);
        int sriov = ext_cap(dev, 0x0010);
        CHECK_INT(sriov, 0x180);
        if (sriov > 0) {
                CHECK_INT(rd16(dev, sriov + 0x0e), 128);
                CHECK_INT(rd16(dev, sriov + 0x10), 128);
                CHECK_INT(rd16(dev, sriov + 0x08) & 0x1, 1); /* VF Enable */
                CHECK_INT(rd16(dev, sriov + 0x1a), 0xa034);
        }
}

TEST(synthetic_text) {
        _cleanup_(pci_dump_freep) PciDump *d = NULL;
        unsigned line = 0;

        /* CRLF line ends, upper-case hex, a sparse offset, two devices, text in between. */
        ASSERT(pci_dump_parse("3b:00.1 Ethernet controller: X\r\n"
                              "\tSubsystem: whatever\r\n"
                              "00: 86 80 FB 15\r\n"
                              "40: 01 02\r\n"
                              "\r\n"
                              "0005:3b:00.0 Something\n"
                              "00: aa bb\n",
                              &d, &line) == 0);
        ASSERT(d);
        CHECK_INT(d->n, 2);
        const PciDumpDevice *a = pci_dump_find(d, "3b:00.1");
        ASSERT(a);
        CHECK_INT(a->len, 0x42);
        CHECK_INT(rd16(a, 2), 0x15fb);
        CHECK_INT(a->data[0x41], 0x02);
        CHECK_INT(a->data[0x10], 0xff); /* bytes not given read as all ones */
        const PciDumpDevice *b = pci_dump_find(d, "0005:3b:00.0");
        ASSERT(b);
        CHECK_INT(b->len, 2);
        CHECK_INT(b->data[1], 0xbb);

        d = pci_dump_free(d);
        ASSERT(pci_dump_parse("", &d, &line) == 0);
        ASSERT(d);
        CHECK_INT(d->n, 0);
}

TEST(malformed) {
        static const struct { const char *text; unsigned line; } bad[] = {
                { "01:00.0 Ethernet controller\n00: 86 80 zz 10\n", 2 },
                { "01:00.0 Ethernet controller\n\tSubsystem: foo\n00: 86 80 c9 10\n10: 868 0\n", 4 },
                { "01:00.0 Ethernet controller\n00: 86 80 c9 1\n", 2 },
                { "01:00.0 X\n00: 86 80\nff0: 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00\n", 3 },
                { "01:00.0 X\n00: 86 80\n1000: 00\n", 3 },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                PciDump *d = NULL;
                unsigned line = 0;
                int r = pci_dump_parse(bad[i].text, &d, &line);
                CHECK_INT(r, -EBADMSG);
                CHECK_INT(line, bad[i].line);
                CHECK(d == NULL);
                pci_dump_free(d);
        }

        /* A malformed line in a file: the line number counts from the file's start. */
        char *dir = test_tmpdir();
        _cleanup_free_ char *p = path_join(dir, "bad.txt");
        ASSERT(p);
        const char *text = "lspci -xxx\n01:00.0 Ethernet\n00: 86 80 c9 10\n10: 00 00 00 0g\n";
        CHECK_INT(write_file_atomic(p, text, strlen(text), 0644), 0);
        PciDump *d = NULL;
        unsigned line = 0;
        CHECK_INT(pci_dump_parse_file(p, &d, &line), -EBADMSG);
        CHECK_INT(line, 4);
        pci_dump_free(d);

        _cleanup_free_ char *missing = path_join(dir, "missing.txt");
        CHECK_INT(pci_dump_parse_file(missing, &d, &line), -ENOENT);
        test_tmpdir_cleanup(dir);
}

int main(void) {
        RUN(intel_82576);
        RUN(connectx5_256_bytes);
        RUN(x58_full_tree);
        RUN(c610_haswell_mail_wrapped);
        RUN(alderlake_vvv_between_hex);
        RUN(thunderx_domain_2);
        RUN(synthetic_text);
        RUN(malformed);
        return TEST_MAIN_END();
}
