/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict number parsing, versions, PCI addresses, paths and atomic writes. */
#include <dirent.h>
#include <sys/stat.h>

#include "shared/fileio.h"
#include "shared/pciaddr.h"
#include "shared/strutil.h"
#include "shared/hostfacts.h"
#include "testlib.h"

TEST(parse_u64_strict) {
        uint64_t v;

        CHECK_INT(parse_u64("42", 10, &v), 0);
        CHECK_INT(v, 42);
        CHECK_INT(parse_u64(" 42\n", 10, &v), 0); /* sysfs values end in a newline */
        CHECK_INT(v, 42);
        CHECK_INT(parse_u64("0x1f", 0, &v), 0);
        CHECK_INT(v, 31);
        CHECK_INT(parse_u64("1f", 16, &v), 0);
        CHECK_INT(v, 31);
        CHECK_INT(parse_u64("0x020000", 16, &v), 0);
        CHECK_INT(v, 0x020000);
        CHECK_INT(parse_u64("18446744073709551615", 10, &v), 0);
        CHECK(v == UINT64_MAX);

        v = 7;
        CHECK_INT(parse_u64("-1", 10, &v), -EBADMSG);
        CHECK_INT(parse_u64("+1", 10, &v), -EBADMSG);
        CHECK_INT(parse_u64("", 10, &v), -EBADMSG);
        CHECK_INT(parse_u64("   ", 10, &v), -EBADMSG);
        CHECK_INT(parse_u64("abc", 10, &v), -EBADMSG);
        CHECK_INT(parse_u64("12abc", 10, &v), -EBADMSG);
        CHECK_INT(parse_u64("1 2", 10, &v), -EBADMSG);
        CHECK_INT(parse_u64("1f", 10, &v), -EBADMSG);
        CHECK_INT(parse_u64("18446744073709551616", 10, &v), -ERANGE);
        CHECK_INT(parse_u64(NULL, 10, &v), -EINVAL);
        CHECK_INT(v, 7); /* never written on failure */

        uint32_t w = 3;
        CHECK_INT(parse_u32("4294967295", 10, &w), 0);
        CHECK(w == UINT32_MAX);
        w = 3;
        CHECK_INT(parse_u32("4294967296", 10, &w), -ERANGE);
        CHECK_INT(w, 3);
}

TEST(parse_s64_strict) {
        int64_t v;

        CHECK_INT(parse_s64("-1", 10, &v), 0);
        CHECK_INT(v, -1);
        CHECK_INT(parse_s64("  -5\n", 10, &v), 0);
        CHECK_INT(v, -5);
        CHECK_INT(parse_s64("0x10", 0, &v), 0);
        CHECK_INT(v, 16);
        CHECK_INT(parse_s64("9223372036854775807", 10, &v), 0);
        CHECK(v == INT64_MAX);

        v = 9;
        CHECK_INT(parse_s64("x", 10, &v), -EBADMSG);
        CHECK_INT(parse_s64("", 10, &v), -EBADMSG);
        CHECK_INT(parse_s64("-", 10, &v), -EBADMSG);
        CHECK_INT(parse_s64("1.5", 10, &v), -EBADMSG);
        CHECK_INT(parse_s64("9223372036854775808", 10, &v), -ERANGE);
        CHECK_INT(parse_s64("-9223372036854775809", 10, &v), -ERANGE);
        CHECK_INT(parse_s64(NULL, 10, &v), -EINVAL);
        CHECK_INT(v, 9);
}

TEST(versions) {
        CHECK(version_compare("6.1.0-18-amd64", "5.10") > 0);
        CHECK(version_compare("5.10", "6.1.0-18-amd64") < 0);
        CHECK(version_compare("9.0.0", "7.0.0") > 0);
        CHECK(version_compare("7.0.0", "9.0.0") < 0);
        CHECK_INT(version_compare("7.0.0", "7.0.0"), 0);
        CHECK_INT(version_compare("6.1.0-18-amd64", "6.1.0-18-amd64"), 0);
        CHECK_INT(version_compare("5.10", "5.10.0"), 0);          /* missing components are 0 */
        CHECK(version_compare("5.10", "5.9") > 0);               /* numeric, not textual */
        CHECK(version_compare("5.4.0-150-generic", "5.10") < 0);
        CHECK(version_compare("4.19.0-26-amd64", "5.10") < 0);
        CHECK(version_compare("10.0.0", "9.10.0") > 0);
        CHECK_INT(version_compare("6.1-rc3", "6.1"), 0);          /* the suffix ends the comparison */
        CHECK(version_valid("6.1.0"));
        CHECK(!version_valid("v6.1"));
        CHECK(!version_valid(""));
        CHECK(!version_valid(NULL));
}

TEST(pci_addresses) {
        static const struct { const char *in, *out; uint32_t dom; uint8_t bus, dev, fn; } good[] = {
                { "0000:3b:00.1", "0000:3b:00.1", 0, 0x3b, 0, 1 },
                { "0002:01:00.0", "0002:01:00.0", 2, 1, 0, 0 },
                { "0000:00:1f.7", "0000:00:1f.7", 0, 0, 0x1f, 7 },
                { "0000:FF:1F.7", "0000:ff:1f.7", 0, 0xff, 0x1f, 7 },
                { "10000:e2:00.0", "10000:e2:00.0", 0x10000, 0xe2, 0, 0 },
                { "ffffffff:00:00.0", "ffffffff:00:00.0", 0xffffffff, 0, 0, 0 },
        };
        for (size_t i = 0; i < ELEMENTSOF(good); i++) {
                PciAddr a;
                char buf[PCI_ADDR_STRLEN];
                CHECK_INT(pci_addr_parse(good[i].in, &a), 0);
                CHECK(a.domain == good[i].dom);
                CHECK_INT(a.bus, good[i].bus);
                CHECK_INT(a.dev, good[i].dev);
                CHECK_INT(a.func, good[i].fn);
                CHECK_STR(pci_addr_format(&a, buf), good[i].out);
                PciAddr b;
                CHECK_INT(pci_addr_parse(buf, &b), 0);
                CHECK(pci_addr_equal(&a, &b));
        }
        static const char *const bad[] = {
                "0000:00:20.0", "0000:00:1f.8", "000:00:00.0", "0000:0g:00.0", "", "0000:00:00", "0000:00:00.",
                "0000:00:00.0 ", " 0000:00:00.0", "01:00.0", "0000:000:00.0", "0000:00:000.0", "0000:00:00.00",
                "123456789:00:00.0", "0000-00-00.0", "0000:00:00:0",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                PciAddr a = { .domain = 77 };
                if (pci_addr_parse(bad[i], &a) != -EINVAL) {
                        fprintf(stderr, "[pci_addresses] \"%s\" was accepted\n", bad[i]);
                        test_failures++;
                }
                CHECK_INT(a.domain, 77);
        }
        CHECK_INT(pci_addr_parse(NULL, &(PciAddr){}), -EINVAL);

        PciAddr pf;
        ASSERT(pci_addr_parse("0000:01:00.0", &pf) == 0);
        CHECK_INT(pci_addr_rid(&pf), 0x0100);
        ASSERT(pci_addr_parse("0000:02:10.4", &pf) == 0);
        CHECK_INT(pci_addr_rid(&pf), 0x0284);
}

TEST(paths) {
        _cleanup_free_ char *a = path_join("a/", "/b"), *b = path_join("a", "b"), *c = path_join("/", "sys"),
                            *d = path_join("/tmp/r//", "//sys/bus"), *e = path_join("", "x");
        CHECK_STR(a, "a/b");
        CHECK_STR(b, "a/b");
        CHECK_STR(c, "/sys");
        CHECK_STR(d, "/tmp/r/sys/bus");
        CHECK_STR(e, "/x");

        _cleanup_free_ char *r1 = root_path("/", "sys/bus/pci"), *r2 = root_path("", "/proc/cmdline"),
                            *r3 = root_path(NULL, "sys"), *r4 = root_path("/tmp/root", "sys/class/net"),
                            *r5 = root_path("/tmp/root/", "/sys");
        CHECK_STR(r1, "/sys/bus/pci");
        CHECK_STR(r2, "/proc/cmdline");
        CHECK_STR(r3, "/sys");
        CHECK_STR(r4, "/tmp/root/sys/class/net");
        CHECK_STR(r5, "/tmp/root/sys");

        CHECK_STR(path_basename("sys/bus/pci/drivers/igb"), "igb");
        CHECK_STR(path_basename("igb"), "igb");
        CHECK_STR(path_basename("dir/"), "");

        char s[] = "  \tvalue \n";
        CHECK_STR(strstrip(s), "value");
}

static size_t count_entries(const char *dir) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;
        while (d && (de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        return n;
}

TEST(atomic_write_and_reads) {
        char *dir = test_tmpdir();
        _cleanup_free_ char *p = path_join(dir, "state.json"), *data = NULL, *line = NULL,
                            *missing = path_join(dir, "no/such/dir/file");
        size_t n = 0;
        struct stat st;
        mode_t old = umask(022);

        ASSERT(p && missing);
        CHECK_INT(write_file_atomic(p, "{\"v\": 1}\n", 9, 0640), 0);
        CHECK_INT(read_full_file(p, 4096, &data, &n), 0);
        CHECK_INT(n, 9);
        CHECK_STR(data, "{\"v\": 1}\n");
        CHECK_INT(stat(p, &st), 0);
        CHECK_INT(st.st_mode & 0777, 0640);

        /* replacing: new content, and no temporary file left behind */
        free(data);
        data = NULL;
        CHECK_INT(write_file_atomic(p, "second", 6, 0600), 0);
        CHECK_INT(read_full_file(p, 4096, &data, &n), 0);
        CHECK_STR(data, "second");
        CHECK_INT(count_entries(dir), 1);

        /* a directory that does not exist: an error, nothing created */
        CHECK_INT(write_file_atomic(missing, "x", 1, 0644), -ENOENT);
        CHECK_INT(count_entries(dir), 1);

        /* read_full_file's limit */
        free(data);
        data = NULL;
        CHECK_INT(read_full_file(p, 5, &data, &n), -EFBIG);
        CHECK(data == NULL);
        CHECK_INT(read_full_file(p, 6, &data, &n), 0);
        CHECK_INT(n, 6);

        /* read_one_line: first line, trimmed; empty → -EBADMSG */
        CHECK_INT(write_file_atomic(p, "  8086 \nsecond\n", 15, 0644), 0);
        CHECK_INT(read_one_line(p, &line), 0);
        CHECK_STR(line, "8086");
        free(line);
        line = NULL;
        CHECK_INT(write_file_atomic(p, "\n", 1, 0644), 0);
        CHECK_INT(read_one_line(p, &line), -EBADMSG);
        CHECK(line == NULL);
        CHECK_INT(read_one_line(missing, &line), -ENOENT);

        uint64_t u;
        int64_t s;
        CHECK_INT(write_file_atomic(p, "0x1593\n", 7, 0644), 0);
        CHECK_INT(read_u64(p, 0, &u), 0);
        CHECK_INT(u, 0x1593);
        CHECK_INT(write_file_atomic(p, "-1\n", 3, 0644), 0);
        CHECK_INT(read_s64(p, 10, &s), 0);
        CHECK_INT(s, -1);
        CHECK_INT(read_u64(p, 10, &u), -EBADMSG);

        /* mkdir_p, file_exists, rm_rf */
        _cleanup_free_ char *deep = path_join(dir, "a/b/c");
        CHECK_INT(mkdir_p(deep, 0755), 0);
        CHECK_INT(mkdir_p(deep, 0755), 0); /* idempotent */
        CHECK(file_exists(deep));
        _cleanup_free_ char *top = path_join(dir, "a");
        CHECK_INT(rm_rf(top), 0);
        CHECK(!file_exists(top));
        CHECK_INT(rm_rf(top), 0); /* already gone is fine */

        umask(old);
        test_tmpdir_cleanup(dir);
}

TEST(cpulists_and_nodes) {
        const char *p = "0-3,8,^2\n";
        unsigned a, b;
        bool ex;
        CHECK_INT(cpulist_next(&p, &a, &b, &ex), 1);
        CHECK(a == 0 && b == 3 && !ex);
        CHECK_INT(cpulist_next(&p, &a, &b, &ex), 1);
        CHECK(a == 8 && b == 8 && !ex);
        CHECK_INT(cpulist_next(&p, &a, &b, &ex), 1);
        CHECK(a == 2 && b == 2 && ex);
        CHECK_INT(cpulist_next(&p, &a, &b, &ex), 0);
        const char *bad[] = { "x", "3-", "5-2", "1;2", "-1" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                const char *q = bad[i];
                CHECK_INT(cpulist_next(&q, &a, &b, &ex), -EINVAL);
        }

        /* Node 0: CPUs 0-7, node 1: CPUs 8-15. */
        int map[16];
        for (int c = 0; c < 16; c++)
                map[c] = c < 8 ? 0 : 1;
        HostFacts h = { .cpu_node = map, .n_cpus = 16 };
        CHECK_INT(host_facts_cpuset_node(&h, "8-15"), 1);
        CHECK_INT(host_facts_cpuset_node(&h, "3,5,^4"), 0);
        CHECK_INT(host_facts_cpuset_node(&h, "7-8"), -1);   /* spans nodes */
        CHECK_INT(host_facts_cpuset_node(&h, "20"), -1);    /* unknown CPU */
        CHECK_INT(host_facts_cpuset_node(&h, "a"), -1);
        CHECK_INT(host_facts_cpuset_node(&h, NULL), -1);
        HostFacts none = {};
        CHECK_INT(host_facts_cpuset_node(&none, "0"), -1);
}

int main(void) {
        RUN(cpulists_and_nodes);
        RUN(parse_u64_strict);
        RUN(parse_s64_strict);
        RUN(versions);
        RUN(pci_addresses);
        RUN(paths);
        RUN(atomic_write_and_reads);
        return TEST_MAIN_END();
}
