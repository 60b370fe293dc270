/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fake-root builder on hostile descriptions (found while fuzzing, tests/fuzz): nothing
 * is written outside the root, numbers out of range are refused with a message instead of
 * wrapping, and config bytes are never read past their end. */
#include <dirent.h>
#include <sys/stat.h>

#include "fakehost.h"

typedef struct Sandbox {
        char *dir;   /* the temporary directory: holds root/ and nothing else */
        char *root;
        char *error;
        int r;
} Sandbox;

static void sandbox_done(Sandbox *s) {
        free(s->root);
        free(s->error);
        test_tmpdir_cleanup(s->dir);
        *s = (Sandbox){};
}

/* Builds desc (written with ' for ") into DIR/root. */
static int sandbox_build(Sandbox *s, const char *desc) {
        FakeRootOptions o = { .dump_dir = test_fixtures_dir() };
        json_t *j = fake_json(desc);

        *s = (Sandbox){ .dir = test_tmpdir() };
        s->root = path_join(s->dir, "root");
        if (!j || !s->root || mkdir(s->root, 0755) < 0)
                abort();
        s->r = fakeroot_build(s->root, j, &o, &s->error);
        json_decref(j);
        return s->r;
}

/* Names the entries of dir other than those listed (NULL-terminated); NULL if none. */
static char *stray_entry(const char *dir, const char *const *allowed) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;

        if (!d)
                return strdup("(cannot open)");
        while ((de = readdir(d))) {
                bool ok = streq(de->d_name, ".") || streq(de->d_name, "..");
                for (const char *const *a = allowed; *a && !ok; a++)
                        ok = streq(*a, de->d_name);
                if (!ok)
                        return strdup(de->d_name);
        }
        return NULL;
}

/* The build is refused with a message containing want, and nothing appears beside the root. */
static void check_refused(const char *desc, const char *want) {
        _cleanup_(sandbox_done) Sandbox s = {};
        _cleanup_free_ char *stray = NULL;
        int r = sandbox_build(&s, desc);

        if (r != -EINVAL || !s.error || !strstr(s.error, want)) {
                fprintf(stderr, "[%s] %s\n  gave %d \"%s\", expected -EINVAL with \"%s\"\n", test_current, desc, r,
                        s.error ? s.error : "(no message)", want);
                test_failures++;
        }
        stray = stray_entry(s.dir, (const char *const[]){ "root", NULL });
        if (stray) {
                fprintf(stderr, "[%s] %s\n  wrote %s beside the root\n", test_current, desc, stray);
                test_failures++;
        }
}

#define DEV(extra) "{'devices': [{'address': '0000:01:00.0', " extra "}]}"
#define SRIOV_PF(addr, extra)                                                                              \
        "{'address': '" addr "', 'config': {'synth': {'vendor': '8086', 'device': '10c9',"               \
        " 'sriov': {'total': 65535, 'offset': 128, 'stride': 1}}}" extra "}"

TEST(names_stay_inside_the_root) {
        /* A driver, VF driver, net device or file name that is a path. */
        check_refused(DEV("'driver': '../../../../../escaped'"), "\"driver\" must be a name");
        check_refused(DEV("'driver': ''"), "\"driver\" must be a name");
        check_refused(DEV("'driver': 'igb e1000'"), "\"driver\" must be a name");
        check_refused(DEV("'driver': '..'"), "\"driver\" must be a name");
        check_refused(DEV("'vf_driver': '../../escaped'"), "\"vf_driver\" must be a name");
        check_refused(DEV("'vf_driver': 5"), "\"vf_driver\" must be a name");
        check_refused(DEV("'ifname': '..'"), "\"ifname\"");
        check_refused(DEV("'ifname': ''"), "\"ifname\"");
        check_refused(DEV("'ifname': 'eth 0'"), "\"ifname\"");
        check_refused(DEV("'ifname': 'eth0:1'"), "\"ifname\"");
        check_refused(DEV("'files': {'..': 'x'}"), "\"files\" has a key that is not a file name");
        check_refused(DEV("'files': {'': 'x'}"), "\"files\" has a key that is not a file name");
}

TEST(raw_links_stay_inside_the_root) {
        check_refused("{'symlinks': [{'link': '../escaped', 'target': 'x'}]}", "symlinks[0]");
        check_refused("{'symlinks': [{'link': 'sys/../../escaped', 'target': 'x'}]}", "symlinks[0]");
        check_refused("{'symlinks': [{'link': '/tmp/escaped', 'target': 'x'}]}", "symlinks[0]");
        check_refused("{'symlinks': [{'link': 'sys/', 'target': 'x'}]}", "symlinks[0]");
        check_refused("{'symlinks': [{'link': 'sys/x', 'target': ''}]}", "symlinks[0]");
        check_refused("{'symlinks': [{'link': 'sys/x', 'target': 'y', 'mode': 1}]}", "unknown key \"mode\"");
        check_refused("{'symlinks': {'link': 'sys/x', 'target': 'y'}}", "\"symlinks\" must be an array");
        check_refused("{'symlinks': [5]}", "symlinks[0]");
        /* A second link through the first one, which leaves the root: refused, and nothing is
         * replaced where the first one points. */
        {
                _cleanup_(sandbox_done) Sandbox s = {};
                _cleanup_free_ char *desc = NULL, *outside = NULL, *victim = NULL, *text = NULL;

                ASSERT(sandbox_build(&s, "{}") == 0);
                outside = path_join(s.dir, "outside");
                victim = path_join(outside, "victim");
                ASSERT(outside && victim && mkdir(outside, 0755) == 0);
                CHECK_INT(write_file_atomic(victim, "kept\n", 5, 0644), 0);
                ASSERT(rm_rf(s.root) == 0 && mkdir(s.root, 0755) == 0);
                ASSERT(asprintf(&desc, "{'symlinks': [{'link': 'sys/out', 'target': '%s'},"
                                       " {'link': 'sys/out/victim', 'target': 'replaced'}]}", outside) > 0);
                FakeRootOptions o = {};
                json_t *j = fake_json(desc);
                ASSERT(j);
                free(s.error);
                s.error = NULL;
                CHECK_INT(fakeroot_build(s.root, j, &o, &s.error), -EINVAL);
                json_decref(j);
                CHECK_CONTAINS(s.error, "symlinks[1]: the directory of sys/out/victim is outside the root");
                CHECK_INT(read_one_line(victim, &text), 0);
                CHECK_STR(text, "kept");
        }
}

TEST(numbers_out_of_range) {
        /* These wrapped when cast to int: iommu_group INT_MAX overflowed the next group number,
         * and bus [2^32 + 1, 2^32 + 2] was taken as [1, 2]. */
        check_refused(DEV("'iommu_group': 2147483647"), "\"iommu_group\" must be an integer 0-65535");
        check_refused(DEV("'iommu_group': -3"), "\"iommu_group\"");
        check_refused(DEV("'numa_node': 4294967296"), "\"numa_node\" must be an integer -1-1023");
        check_refused(DEV("'numa_node': -2"), "\"numa_node\"");
        check_refused(DEV("'bus': [4294967297, 4294967298]"), "\"bus\" range 4294967297-4294967298 is not valid");
        check_refused(DEV("'omit': 'config'"), "\"omit\" must be an array");
        check_refused(DEV("'omit': ['config', 'colour']"), "\"omit\"[1] is not one of");

        _cleanup_(sandbox_done) Sandbox s = {};
        CHECK_INT(sandbox_build(&s, DEV("'iommu_group': 65535, 'numa_node': -1, 'omit': ['irq']")), 0);
}

TEST(limits) {
        /* 33 levels of bridges. */
        _cleanup_free_ char *deep = strdup("{'address': '0000:01:00.0'}");
        ASSERT(deep);
        for (int i = 0; i < 33; i++) {
                char *d = NULL;
                ASSERT(asprintf(&d, "{'address': '0000:01:00.0', 'children': [%s]}", deep) > 0);
                free_and_replace(deep, d);
        }
        _cleanup_free_ char *desc = NULL;
        ASSERT(asprintf(&desc, "{'devices': [%s]}", deep) > 0);
        check_refused(desc, "more than 32 levels of \"children\"");

        /* More than 4096 VFs in all. */
        check_refused("{'devices': [" SRIOV_PF("0000:01:00.0", ", 'sriov_numvfs': 4000") ","
                      SRIOV_PF("0000:02:00.0", ", 'sriov_numvfs': 97") "]}",
                      "0000:02:00.0: more than 4096 VFs in the description");
}

TEST(config_bytes_not_read_past_the_end) {
        /* An SR-IOV capability header at 0xffc: its registers would lie past the 4096 bytes
         * (the builder read sriov_totalvfs & co. from beyond its buffer). The capability does
         * not count, so there are no sriov_* files. */
        _cleanup_free_ char *hex = NULL, *desc = NULL, *tv = NULL, *tv2 = NULL;
        _cleanup_(sandbox_done) Sandbox s = {};
        struct stat st;

        hex = malloc(2 * 4096 + 1);
        ASSERT(hex);
        memset(hex, '0', 2 * 4096);
        hex[2 * 4096] = 0;
        memcpy(hex, "86801015", 8);                         /* vendor 8086, device 1510 */
        memcpy(hex + 2 * 0x100, "0100c1ff", 8);             /* id 0x0001, next 0xffc */
        memcpy(hex + 2 * 0xffc, "10000100", 8);             /* SR-IOV, last */
        ASSERT(asprintf(&desc, DEV("'config': {'hex': '%s'}"), hex) > 0);
        CHECK_INT(sandbox_build(&s, desc), 0);
        tv = path_join(s.root, "sys/devices/pci0000:01/0000:01:00.0/sriov_totalvfs");
        ASSERT(tv);
        CHECK(stat(tv, &st) < 0 && errno == ENOENT);

        /* The same capability 0x40 bytes earlier fits and counts. */
        memset(hex + 2 * 0xffc, '0', 8);
        memcpy(hex + 2 * 0x100, "0100c1fb", 8);             /* next 0xfbc */
        memcpy(hex + 2 * 0xfbc, "10000100", 8);
        memcpy(hex + 2 * (0xfbc + 0x0e), "0700", 4);        /* TotalVFs 7 */
        free(desc);
        ASSERT(asprintf(&desc, DEV("'config': {'hex': '%s'}"), hex) > 0);
        sandbox_done(&s);
        CHECK_INT(sandbox_build(&s, desc), 0);
        tv2 = path_join(s.root, "sys/devices/pci0000:01/0000:01:00.0/sriov_totalvfs");
        _cleanup_free_ char *text = NULL;
        CHECK_INT(read_one_line(tv2, &text), 0);
        CHECK_STR(text, "7");
}

TEST(set_vfs_only_inside_the_root) {
        /* A raw link sends the PF's bus link to a directory outside the root that holds a
         * config with SR-IOV: fakeroot_set_vfs must not create VFs there. */
        _cleanup_(sandbox_done) Sandbox s = {};
        _cleanup_free_ char *outside = NULL, *desc = NULL, *stray = NULL;
        uint8_t cfg[4096];
        SynthConfig sc = { .vendor = 0x8086, .device = 0x10c9, .class_code = 0x020000, .pcie_type = PCIE_TYPE_ENDPOINT,
                           .sriov = true, .sriov_total = 8, .sriov_offset = 128, .sriov_stride = 2,
                           .sriov_vf_device = 0x10ca };

        ASSERT(sandbox_build(&s, "{}") == 0);
        outside = path_join(s.dir, "pf");
        ASSERT(outside && mkdir(outside, 0755) == 0);
        synth_config(&sc, cfg);
        _cleanup_free_ char *cfgp = path_join(outside, "config");
        ASSERT(cfgp);
        CHECK_INT(write_file_atomic(cfgp, (const char *) cfg, sizeof cfg, 0644), 0);

        ASSERT(rm_rf(s.root) == 0 && mkdir(s.root, 0755) == 0);
        ASSERT(asprintf(&desc, "{'symlinks': [{'link': 'sys/bus/pci/devices/0000:01:00.0', 'target': '%s'}]}",
                        outside) > 0);
        json_t *j = fake_json(desc);
        ASSERT(j);
        FakeRootOptions o = {};
        CHECK_INT(fakeroot_build(s.root, j, &o, NULL), 0);
        json_decref(j);

        CHECK_INT(fakeroot_set_vfs(s.root, "0000:01:00.0", 2, NULL), -ENOENT);
        stray = stray_entry(outside, (const char *const[]){ "config", NULL });
        if (stray)
                fprintf(stderr, "fakeroot_set_vfs wrote %s outside the root\n", stray);
        CHECK(!stray);
        _cleanup_free_ char *stray2 = stray_entry(s.dir, (const char *const[]){ "root", "pf", NULL });
        CHECK(!stray2);
}

TEST(raw_links_after_the_vfs) {
        /* The documented order: VFs are part of the tree, raw links come after it, so a raw
         * link can replace a VF's bus link. */
        _cleanup_(sandbox_done) Sandbox s = {};
        CHECK_INT(sandbox_build(&s, "{'devices': [" SRIOV_PF("0000:01:00.0", ", 'sriov_numvfs': 1") "],"
                                    " 'symlinks': [{'link': 'sys/bus/pci/devices/0000:01:10.0', 'target': 'gone'}]}"),
                  0);
        _cleanup_free_ char *l = path_join(s.root, "sys/bus/pci/devices/0000:01:10.0"), *text = NULL;
        ASSERT(l);
        CHECK_INT(readlink_malloc(l, &text), 0);
        CHECK_STR(text, "gone");
}

int main(void) {
        RUN(names_stay_inside_the_root);
        RUN(raw_links_stay_inside_the_root);
        RUN(numbers_out_of_range);
        RUN(limits);
        RUN(config_bytes_not_read_past_the_end);
        RUN(set_vfs_only_inside_the_root);
        RUN(raw_links_after_the_vfs);
        return TEST_MAIN_END();
}
