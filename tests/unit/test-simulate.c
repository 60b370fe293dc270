/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* `accelnetd --simulate` (src/sim/simulate.c): the built-in host compiled in, written to a
 * temporary directory under $TMPDIR, explicit options kept as given, nothing left behind. */

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

#include "shared/fileio.h"
#include "sim/builtin.h"
#include "sim/simulate.h"
#include "testlib.h"

static unsigned count_entries(const char *dir) {
        DIR *d = opendir(dir);
        struct dirent *de;
        unsigned n = 0;
        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (de->d_name[0] != '.')
                        n++;
        closedir(d);
        return n;
}

/* The compiled-in copy is conf/simulate, byte for byte, and nothing else. */
TEST(builtin_equals_conf) {
        static const char *const files[] = {
                "host.json", "libvirt.xml", "config/accelnet.json", "config/intents.d/compute.json",
                "config/intents.d/storage.json",
        };
        CHECK_INT(sim_builtin_files_count, ELEMENTSOF(files));
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                const EmbeddedFile *f = sim_builtin_find(files[i]);
                _cleanup_free_ char *p = NULL, *data = NULL;
                size_t n = 0;
                ASSERT(asprintf(&p, "%s/conf/simulate/%s", ACCELNET_SOURCE_DIR, files[i]) > 0);
                ASSERT(read_full_file(p, 1 << 20, &data, &n) == 0);
                CHECK(f != NULL);
                if (!f)
                        continue;
                CHECK_INT(f->size, n);
                CHECK(f->size == n && memcmp(f->data, data, n) == 0);
                CHECK_INT(f->data[f->size], 0);
        }
        CHECK(sim_builtin_find("nosuch.json") == NULL);
}

TEST(builtin_host_in_tmpdir) {
        char *tmp = test_tmpdir();
        _cleanup_free_ char *saved = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL, *tmpdir = NULL;
        _cleanup_free_ char *err = NULL;
        Simulation *s = NULL;
        SimulationOptions o = {};

        ASSERT(setenv("TMPDIR", tmp, 1) == 0);
        CHECK_INT(simulation_setup(&o, &s, &err), 0);
        if (saved)
                setenv("TMPDIR", saved, 1);
        else
                unsetenv("TMPDIR");
        ASSERT(s);
        ASSERT(s->tmpdir);
        CHECK(strncmp(s->tmpdir, tmp, strlen(tmp)) == 0);
        CHECK(s->built);
        CHECK_STR(s->host, "built-in");

        /* The fake root of conf/simulate/host.json. */
        _cleanup_free_ char *pf = path_join(s->root, "sys/bus/pci/devices/0000:01:00.0/sriov_totalvfs");
        _cleanup_free_ char *ens = path_join(s->root, "sys/class/net/ens1f0");
        CHECK(pf && file_exists(pf));
        CHECK(ens && file_exists(ens));
        /* The configuration, the libvirt node and the state directory are the simulation's. */
        _cleanup_free_ char *cfg = path_join(s->config_dir, "accelnet.json"),
                            *intents = path_join(s->config_dir, "intents.d");
        CHECK(cfg && file_exists(cfg));
        CHECK_INT(count_entries(intents), 2);
        CHECK(strncmp(s->libvirt_uri, "test:///", 8) == 0);
        CHECK(file_exists(s->libvirt_uri + strlen("test://")));
        CHECK(strncmp(s->libvirt_uri + strlen("test://"), s->tmpdir, strlen(s->tmpdir)) == 0);
        CHECK(strncmp(s->state_dir, s->tmpdir, strlen(s->tmpdir)) == 0);

        /* Freeing removes it all. */
        tmpdir = strdup(s->tmpdir);
        s = simulation_free(s);
        CHECK(s == NULL);
        CHECK(!file_exists(tmpdir));
        CHECK_INT(count_entries(tmp), 0);
        test_tmpdir_cleanup(tmp);
}

TEST(explicit_options_win) {
        char *tmp = test_tmpdir();
        _cleanup_free_ char *root = path_join(tmp, "root"), *err = NULL, *host = path_join(tmp, "host.json");
        const char *desc = "{\"devices\": [{\"address\": \"0000:07:00.0\", \"driver\": \"igb\", \"ifname\": \"eth7\","
                           " \"config\": {\"synth\": {\"vendor\": \"8086\", \"device\": \"10c9\","
                           " \"sriov\": {\"total\": 2}}}}]}";
        Simulation *s = NULL;
        SimulationOptions o = { .host_json = host, .root = root, .config_dir = "/cfg", .state_dir = "/st",
                                .libvirt_uri = "test:///default" };

        ASSERT(root && host && write_file_atomic(host, desc, strlen(desc), 0644) == 0);
        CHECK_INT(simulation_setup(&o, &s, &err), 0);
        ASSERT(s);
        CHECK(s->tmpdir == NULL); /* nothing needed one */
        CHECK_STR(s->root, root);
        CHECK_STR(s->config_dir, "/cfg");
        CHECK_STR(s->state_dir, "/st");
        CHECK_STR(s->libvirt_uri, "test:///default");
        CHECK(s->built);
        CHECK_STR(s->host, host);
        _cleanup_free_ char *eth7 = path_join(root, "sys/class/net/eth7");
        CHECK(file_exists(eth7));
        s = simulation_free(s);
        CHECK(file_exists(eth7)); /* the caller's root stays */

        /* A root that has a tree already is used as it is. */
        ASSERT(unlink(host) == 0);
        o.host_json = NULL;
        CHECK_INT(simulation_setup(&o, &s, &err), 0);
        ASSERT(s);
        CHECK(!s->built);
        CHECK(file_exists(eth7));
        _cleanup_free_ char *ens1f0 = path_join(root, "sys/class/net/ens1f0");
        CHECK(!file_exists(ens1f0));
        s = simulation_free(s);
        test_tmpdir_cleanup(tmp);
}

TEST(bad_host) {
        char *tmp = test_tmpdir();
        _cleanup_free_ char *root = path_join(tmp, "root"), *host = path_join(tmp, "host.json"), *err = NULL;
        Simulation *s = NULL;
        SimulationOptions o = { .host_json = "/nonexistent/host.json", .root = root, .config_dir = "/c",
                                .state_dir = "/s", .libvirt_uri = "test:///default" };

        CHECK_INT(simulation_setup(&o, &s, &err), -ENOENT);
        CHECK(s == NULL);
        CHECK_CONTAINS(err, "/nonexistent/host.json");
        CHECK_INT(count_entries(tmp), 0); /* nothing made */

        ASSERT(write_file_atomic(host, "{\"bogus\": 1}", 12, 0644) == 0);
        o.host_json = host;
        err = mfree(err);
        CHECK_INT(simulation_setup(&o, &s, &err), -EINVAL);
        CHECK(s == NULL);
        CHECK_CONTAINS(err, host);
        CHECK_CONTAINS(err, "unknown key \"bogus\"");
        test_tmpdir_cleanup(tmp);
}

int main(void) {
        RUN(builtin_equals_conf);
        RUN(builtin_host_in_tmpdir);
        RUN(explicit_options_win);
        RUN(bad_host);
        return TEST_MAIN_END();
}
