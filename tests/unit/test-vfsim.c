/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The simulated backend of VF policy (src/sim/vfsim.c) on a fake root, through the same API
 * the daemon uses: settings, the igb driver's refusals, the file format, persistence. */

#include <dirent.h>
#include <libgen.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include <sys/stat.h>

#include "shared/fileio.h"
#include "sim/fakeroot.h"
#include "sim/sim.h"
#include "sriov/backend.h"
#include "sriov/vfpolicy.h"
#include "testlib.h"

#define IGB_PF "0000:3b:00.0"

static const char host_json[] =
        "{\"devices\": ["
        " {\"address\": \"" IGB_PF "\", \"driver\": \"igb\", \"ifname\": \"ens1f0\", \"sriov_numvfs\": 4,"
        "  \"link_speed\": 1000,"
        "  \"config\": {\"synth\": {\"vendor\": \"8086\", \"device\": \"10c9\","
        "   \"sriov\": {\"total\": 7, \"offset\": 128, \"stride\": 2, \"vf_device\": \"10ca\"}}}},"
        " {\"address\": \"0000:5e:00.0\", \"driver\": \"mlx5_core\", \"ifname\": \"ens2f0\", \"sriov_numvfs\": 2,"
        "  \"config\": {\"synth\": {\"vendor\": \"15b3\", \"device\": \"1017\","
        "   \"sriov\": {\"total\": 8, \"offset\": 2, \"stride\": 1, \"vf_device\": \"1018\"}}}},"
        " {\"address\": \"0000:86:00.0\", \"driver\": \"igb\", \"ifname\": \"ens3f0\","
        "  \"config\": {\"synth\": {\"vendor\": \"8086\", \"device\": \"10c9\","
        "   \"sriov\": {\"total\": 7, \"offset\": 128, \"stride\": 2, \"vf_device\": \"10ca\"}}}},"
        " {\"address\": \"0000:00:19.0\", \"driver\": \"e1000e\", \"ifname\": \"eno1\","
        "  \"config\": {\"synth\": {\"vendor\": \"8086\", \"device\": \"15bb\"}}}"
        "]}";

static char *make_root(void) {
        char *root = test_tmpdir();
        json_error_t err;
        json_t *j = json_loads(host_json, 0, &err);
        char *error = NULL;
        int r;

        if (!j) {
                fprintf(stderr, "host json: %s\n", err.text);
                abort();
        }
        r = fakeroot_build(root, j, NULL, &error);
        json_decref(j);
        if (r < 0) {
                fprintf(stderr, "fakeroot_build: %s: %s\n", strerror(-r), error ? error : "");
                abort();
        }
        free(error);
        return root;
}

static char *state_file(const char *root, const char *pf) {
        char *p;
        if (asprintf(&p, "%s/run/accelnet-sim/vf/%s.json", root, pf) < 0)
                abort();
        return p;
}

static VfNetlink *sim(const char *root) {
        VfNetlink *nl = NULL;
        if (vf_netlink_open(sim_backend(), root, &nl) < 0)
                abort();
        return nl;
}

static bool info_equal(const VfInfo *a, const VfInfo *b) {
        return a->index == b->index && streq(a->mac, b->mac) && a->vlan == b->vlan && a->qos == b->qos &&
               a->spoofchk == b->spoofchk && a->trust == b->trust && a->min_tx_rate == b->min_tx_rate &&
               a->max_tx_rate == b->max_tx_rate && a->link_state == b->link_state;
}

TEST(sim_defaults) {
        char *root = make_root();
        _cleanup_free_ char *sf = state_file(root, "ens1f0");
        _cleanup_(vf_netlink_freep) VfNetlink *nl = sim(root);
        _cleanup_free_ VfInfo *v = NULL;
        size_t n = 99;

        CHECK(vf_netlink_backend(nl) == sim_backend());
        CHECK(sriov_backend_is_simulated(vf_netlink_backend(nl)));
        CHECK_INT(vf_netlink_list(nl, "ens1f0", &v, &n), 0);
        CHECK_INT(n, 4);
        for (size_t i = 0; v && i < n; i++) {
                CHECK_INT(v[i].index, i);
                CHECK_STR(v[i].mac, "00:00:00:00:00:00");
                CHECK_INT(v[i].vlan, 0);
                CHECK_INT(v[i].qos, 0);
                CHECK_INT(v[i].spoofchk, 1);
                CHECK_INT(v[i].trust, 0);
                CHECK_INT(v[i].min_tx_rate, 0);
                CHECK_INT(v[i].max_tx_rate, 0);
                CHECK_INT(v[i].link_state, VF_LINK_STATE_AUTO);
        }
        CHECK(!file_exists(sf)); /* reading writes nothing */
        test_tmpdir_cleanup(root);
}

TEST(sim_set_get) {
        char *root = make_root();
        _cleanup_free_ char *sf = state_file(root, "ens1f0");
        _cleanup_(vf_netlink_freep) VfNetlink *nl = sim(root);
        VfInfo i, other;

        CHECK_INT(vf_netlink_set_mac(nl, "ens1f0", 2, "52:54:00:AA:BB:CC"), 0);
        CHECK(file_exists(sf));
        CHECK_INT(vf_netlink_set_vlan(nl, "ens1f0", 2, 42, 3), 0);
        CHECK_INT(vf_netlink_set_spoofchk(nl, "ens1f0", 2, false), 0);
        CHECK_INT(vf_netlink_set_trust(nl, "ens1f0", 2, true), 0);
        CHECK_INT(vf_netlink_set_rate(nl, "ens1f0", 2, 0, 500), 0);
        CHECK_INT(vf_netlink_get(nl, "ens1f0", 2, &i), 0);
        CHECK_INT(i.index, 2);
        CHECK_STR(i.mac, "52:54:00:aa:bb:cc");
        CHECK_INT(i.vlan, 42);
        CHECK_INT(i.qos, 3);
        CHECK_INT(i.spoofchk, 0);
        CHECK_INT(i.trust, 1);
        CHECK_INT(i.min_tx_rate, 0);
        CHECK_INT(i.max_tx_rate, 500);
        CHECK_INT(i.link_state, VF_LINK_STATE_AUTO);

        /* Back and forth, and the neighbours are untouched. */
        CHECK_INT(vf_netlink_set_spoofchk(nl, "ens1f0", 2, true), 0);
        CHECK_INT(vf_netlink_set_trust(nl, "ens1f0", 2, false), 0);
        CHECK_INT(vf_netlink_set_vlan(nl, "ens1f0", 2, 0, 0), 0);
        CHECK_INT(vf_netlink_set_mac(nl, "ens1f0", 2, "00:00:00:00:00:00"), 0);
        CHECK_INT(vf_netlink_get(nl, "ens1f0", 2, &i), 0);
        CHECK_INT(i.spoofchk, 1);
        CHECK_INT(i.trust, 0);
        CHECK_INT(i.vlan, 0);
        CHECK_STR(i.mac, "00:00:00:00:00:00");
        CHECK_INT(vf_netlink_get(nl, "ens1f0", 1, &other), 0);
        CHECK_STR(other.mac, "00:00:00:00:00:00");
        CHECK_INT(other.max_tx_rate, 0);
        CHECK_INT(vf_netlink_get(nl, "ens1f0", 3, &other), 0);
        CHECK_INT(other.index, 3);
        test_tmpdir_cleanup(root);
}

TEST(sim_igb_refusals) {
        char *root = make_root();
        _cleanup_(vf_netlink_freep) VfNetlink *nl = sim(root);
        VfInfo before, after;

        CHECK_INT(vf_netlink_set_rate(nl, "ens1f0", 0, 0, 300), 0);
        CHECK_INT(vf_netlink_get(nl, "ens1f0", 0, &before), 0);
        /* As measured on igb: link state is not supported, a minimum rate is refused. */
        CHECK_INT(vf_netlink_set_link_state(nl, "ens1f0", 0, VF_LINK_STATE_DISABLE), -EOPNOTSUPP);
        CHECK_INT(vf_netlink_set_rate(nl, "ens1f0", 0, 100, 500), -EINVAL);
        CHECK_INT(vf_netlink_set_rate(nl, "ens1f0", 0, 0, 2000), -EINVAL); /* above the 1000 Mb/s link */
        CHECK_INT(vf_netlink_set_mac(nl, "ens1f0", 0, "01:00:5e:00:00:01"), -EINVAL); /* multicast */
        CHECK_INT(vf_netlink_set_mac(nl, "ens1f0", 0, "52:54:00:aa:bb"), -EINVAL);
        CHECK_INT(vf_netlink_set_vlan(nl, "ens1f0", 0, 4096, 0), -EINVAL);
        CHECK_INT(vf_netlink_set_vlan(nl, "ens1f0", 0, 10, 8), -EINVAL);
        CHECK_INT(vf_netlink_set_link_state(nl, "ens1f0", 0, (VfLinkState) 7), -EINVAL);
        CHECK_INT(vf_netlink_get(nl, "ens1f0", 0, &after), 0);
        CHECK(info_equal(&before, &after)); /* a refused request changes nothing */
        CHECK_INT(after.max_tx_rate, 300);
        CHECK_INT(after.link_state, VF_LINK_STATE_AUTO);

        /* igb sets no rate at all while the PF link is down. */
        _cleanup_free_ char *oper = NULL;
        ASSERT(asprintf(&oper, "%s/sys/class/net/ens1f0/operstate", root) >= 0);
        ASSERT(write_string_file(oper, "down\n") == 0);
        CHECK_INT(vf_netlink_set_rate(nl, "ens1f0", 0, 0, 0), -EINVAL);
        CHECK_INT(vf_netlink_set_trust(nl, "ens1f0", 0, true), 0);
        test_tmpdir_cleanup(root);
}

TEST(sim_other_driver) {
        char *root = make_root();
        _cleanup_(vf_netlink_freep) VfNetlink *nl = sim(root);
        _cleanup_free_ VfInfo *v = NULL;
        size_t n = 0;
        VfInfo i;

        CHECK_INT(vf_netlink_list(nl, "ens2f0", &v, &n), 0);
        CHECK_INT(n, 2);
        CHECK_INT(vf_netlink_set_link_state(nl, "ens2f0", 1, VF_LINK_STATE_DISABLE), 0);
        CHECK_INT(vf_netlink_set_rate(nl, "ens2f0", 1, 100, 5000), 0);
        CHECK_INT(vf_netlink_set_rate(nl, "ens2f0", 1, 600, 500), -EINVAL); /* min above max */
        CHECK_INT(vf_netlink_get(nl, "ens2f0", 1, &i), 0);
        CHECK_INT(i.link_state, VF_LINK_STATE_DISABLE);
        CHECK_INT(i.min_tx_rate, 100);
        CHECK_INT(i.max_tx_rate, 5000);
        /* Separate files per PF. */
        CHECK_INT(vf_netlink_get(nl, "ens1f0", 1, &i), 0);
        CHECK_INT(i.min_tx_rate, 0);
        CHECK_INT(i.link_state, VF_LINK_STATE_AUTO);
        test_tmpdir_cleanup(root);
}

TEST(sim_apply) {
        char *root = make_root();
        _cleanup_(vf_netlink_freep) VfNetlink *nl = sim(root);
        VfPolicy p = { .mac = "52:54:00:12:34:56", .vlan = 100, .qos = 2, .spoofchk = true, .trust = false,
                       .min_tx_rate = 100, .max_tx_rate = 800 };
        VfApplyResult res;
        VfInfo i;

        CHECK_INT(vf_netlink_set_spoofchk(nl, "ens1f0", 1, false), 0);
        CHECK_INT(vf_netlink_set_trust(nl, "ens1f0", 1, true), 0);

        /* igb refuses the minimum rate: reported on that attribute only, the rest applied. */
        CHECK_INT(vf_policy_apply(nl, "ens1f0", 1, &p, &res), -EINVAL);
        CHECK_INT(res.result[VF_ATTR_MAC], 0);
        CHECK_INT(res.result[VF_ATTR_VLAN], 0);
        CHECK_INT(res.result[VF_ATTR_SPOOFCHK], 0);
        CHECK_INT(res.result[VF_ATTR_TRUST], 0);
        CHECK_INT(res.result[VF_ATTR_RATE], -EINVAL);
        CHECK_INT(vf_netlink_get(nl, "ens1f0", 1, &i), 0);
        CHECK_STR(i.mac, "52:54:00:12:34:56");
        CHECK_INT(i.vlan, 100);
        CHECK_INT(i.qos, 2);
        CHECK_INT(i.spoofchk, 1);
        CHECK_INT(i.trust, 0);
        CHECK_INT(i.min_tx_rate, 0);
        CHECK_INT(i.max_tx_rate, 0);

        /* Without a minimum it all goes through. An empty MAC leaves the MAC alone. */
        p.min_tx_rate = 0;
        p.mac[0] = 0;
        p.vlan = 7;
        CHECK_INT(vf_policy_apply(nl, "ens1f0", 1, &p, &res), 0);
        for (VfAttr a = 0; a < _VF_ATTR_MAX; a++)
                CHECK_INT(res.result[a], 0);
        CHECK_INT(vf_netlink_get(nl, "ens1f0", 1, &i), 0);
        CHECK_STR(i.mac, "52:54:00:12:34:56");
        CHECK_INT(i.vlan, 7);
        CHECK_INT(i.max_tx_rate, 800);

        /* Invalid policies are refused before anything is sent. */
        VfPolicy bad = p;
        snprintf(bad.mac, sizeof bad.mac, "zz:54:00:12:34:56");
        memset(&res, 0x55, sizeof res);
        CHECK_INT(vf_policy_apply(nl, "ens1f0", 1, &bad, &res), -EINVAL);
        CHECK_INT(res.result[VF_ATTR_MAC], 0x55555555); /* untouched */
        bad = p;
        bad.qos = 8;
        CHECK_INT(vf_policy_apply(nl, "ens1f0", 1, &bad, &res), -EINVAL);

        /* A PF that does not exist: every attribute says so. */
        snprintf(p.mac, sizeof p.mac, "52:54:00:12:34:57");
        CHECK_INT(vf_policy_apply(nl, "nosuch0", 0, &p, &res), -ENODEV);
        for (VfAttr a = 0; a < _VF_ATTR_MAX; a++)
                CHECK_INT(res.result[a], -ENODEV);
        /* Past the VF count. */
        CHECK_INT(vf_policy_apply(nl, "ens1f0", 4, &p, &res), -EINVAL);
        CHECK_INT(res.result[VF_ATTR_VLAN], -EINVAL);
        test_tmpdir_cleanup(root);
}

TEST(sim_restore_round_trip) {
        char *root = make_root();
        _cleanup_(vf_netlink_freep) VfNetlink *nl = sim(root);
        VfPolicy saved, p = { .mac = "52:54:00:00:00:09", .vlan = 9, .spoofchk = true, .max_tx_rate = 900 };
        VfApplyResult res;
        VfInfo orig, now;

        /* Something an admin set before accelnet took the VF. */
        CHECK_INT(vf_netlink_set_mac(nl, "ens1f0", 3, "02:00:00:00:00:03"), 0);
        CHECK_INT(vf_netlink_set_vlan(nl, "ens1f0", 3, 30, 1), 0);
        CHECK_INT(vf_netlink_set_spoofchk(nl, "ens1f0", 3, false), 0);
        CHECK_INT(vf_netlink_set_trust(nl, "ens1f0", 3, true), 0);
        CHECK_INT(vf_netlink_set_rate(nl, "ens1f0", 3, 0, 250), 0);
        CHECK_INT(vf_netlink_get(nl, "ens1f0", 3, &orig), 0);
        CHECK_INT(vf_policy_from_info(&orig, &saved), 0);
        CHECK_STR(saved.mac, "02:00:00:00:00:03");
        CHECK_INT(saved.vlan, 30);
        CHECK_INT(saved.qos, 1);
        CHECK(!saved.spoofchk);
        CHECK(saved.trust);
        CHECK_INT(saved.max_tx_rate, 250);

        CHECK_INT(vf_policy_apply(nl, "ens1f0", 3, &p, &res), 0);
        CHECK_INT(vf_netlink_get(nl, "ens1f0", 3, &now), 0);
        CHECK(!info_equal(&orig, &now));
        CHECK_INT(vf_policy_apply(nl, "ens1f0", 3, &saved, &res), 0);
        CHECK_INT(vf_netlink_get(nl, "ens1f0", 3, &now), 0);
        CHECK(info_equal(&orig, &now));

        /* Unknown values from a driver that does not report them: kernel defaults, flagged. */
        VfInfo unknown = orig;
        unknown.spoofchk = -1;
        unknown.trust = -1;
        CHECK_INT(vf_policy_from_info(&unknown, &saved), 1);
        CHECK(saved.spoofchk);
        CHECK(!saved.trust);
        snprintf(unknown.mac, sizeof unknown.mac, "garbage");
        CHECK_INT(vf_policy_from_info(&unknown, &saved), -EINVAL);
        test_tmpdir_cleanup(root);
}

TEST(sim_persistence) {
        char *root = make_root();
        _cleanup_free_ char *sf = state_file(root, "ens1f0"), *data = NULL, *dir = NULL;
        VfNetlink *nl = sim(root);
        VfInfo i;

        CHECK_INT(vf_netlink_set_mac(nl, "ens1f0", 0, "52:54:00:00:00:01"), 0);
        CHECK_INT(vf_netlink_set_vlan(nl, "ens1f0", 0, 11, 0), 0);
        CHECK_INT(vf_netlink_set_trust(nl, "ens1f0", 0, true), 0);
        nl = vf_netlink_free(nl);
        CHECK(nl == NULL);

        nl = sim(root);
        CHECK_INT(vf_netlink_get(nl, "ens1f0", 0, &i), 0);
        CHECK_STR(i.mac, "52:54:00:00:00:01");
        CHECK_INT(i.vlan, 11);
        CHECK_INT(i.trust, 1);
        vf_netlink_free(nl);

        /* The file is the documented format, and no temporary file is left behind. */
        ASSERT(read_full_file(sf, 1 << 20, &data, NULL) == 0);
        json_t *j = json_loads(data, 0, NULL);
        ASSERT(j);
        CHECK_INT(json_integer_value(json_object_get(j, "version")), 1);
        CHECK_STR(json_string_value(json_object_get(j, "pf")), "ens1f0");
        CHECK_INT(json_integer_value(json_object_get(j, "num_vfs")), 4);
        CHECK_INT(json_array_size(json_object_get(j, "vfs")), 4);
        json_t *e0 = json_array_get(json_object_get(j, "vfs"), 0);
        CHECK_STR(json_string_value(json_object_get(e0, "mac")), "52:54:00:00:00:01");
        CHECK(json_is_true(json_object_get(e0, "trust")));
        CHECK(json_is_true(json_object_get(e0, "spoofchk")));
        CHECK_STR(json_string_value(json_object_get(e0, "link_state")), "auto");
        json_decref(j);

        ASSERT(asprintf(&dir, "%s/run/accelnet-sim/vf", root) >= 0);
        DIR *d = opendir(dir);
        struct dirent *de;
        unsigned entries = 0;
        ASSERT(d);
        while ((de = readdir(d)))
                if (de->d_name[0] != '.') {
                        entries++;
                        CHECK_STR(de->d_name, "ens1f0.json");
                }
        closedir(d);
        CHECK_INT(entries, 1);
        test_tmpdir_cleanup(root);
}

static int put_file(const char *path, const char *text) {
        return write_file_atomic_full(path, text, strlen(text), 0644, false);
}

/* Counters: written by a test into the file, reported only when asked for, kept by every
 * change the daemon makes, written back only where one is above 0. */
TEST(sim_vf_stats) {
        char *root = make_root();
        _cleanup_free_ char *sf = state_file(root, "ens1f0"), *data = NULL;
        _cleanup_(vf_netlink_freep) VfNetlink *nl = sim(root);
        _cleanup_free_ VfInfo *v = NULL;
        size_t n = 0;

        /* No file yet: 0 everywhere, as a fresh VF. */
        CHECK_INT(vf_netlink_list_stats(nl, "ens1f0", &v, &n), 0);
        CHECK_INT(n, 4);
        for (size_t i = 0; v && i < n; i++) {
                CHECK(v[i].has_stats);
                CHECK(v[i].stats.rx_bytes == 0 && v[i].stats.tx_dropped == 0);
        }
        v = mfree(v);
        _cleanup_free_ char *dir = NULL;
        ASSERT(asprintf(&dir, "%s/run/accelnet-sim/vf", root) >= 0 && mkdir_p(dir, 0755) >= 0);
        ASSERT(put_file(sf, "{\"version\": 1, \"pf\": \"ens1f0\", \"num_vfs\": 4, \"vfs\": ["
                                     "{\"vf\": 1, \"stats\": {\"rx_packets\": 10, \"tx_packets\": 20, "
                                     "\"rx_bytes\": 1099511627776, \"tx_bytes\": 4000, \"broadcast\": 3, "
                                     "\"multicast\": 4, \"rx_dropped\": 5, \"tx_dropped\": 6}},"
                                     "{\"vf\": 2, \"stats\": {\"rx_bytes\": 7}}]}") == 0);
        CHECK_INT(vf_netlink_list_stats(nl, "ens1f0", &v, &n), 0);
        ASSERT(v && n == 4);
        CHECK(v[1].stats.rx_packets == 10 && v[1].stats.tx_packets == 20 && v[1].stats.rx_bytes == 1099511627776ULL &&
              v[1].stats.tx_bytes == 4000 && v[1].stats.broadcast == 3 && v[1].stats.multicast == 4 &&
              v[1].stats.rx_dropped == 5 && v[1].stats.tx_dropped == 6);
        CHECK(v[2].stats.rx_bytes == 7 && v[2].stats.rx_packets == 0);
        CHECK(v[0].stats.rx_bytes == 0);
        v = mfree(v);
        /* The daemon's listing leaves them out, as RTEXT_FILTER_SKIP_STATS does. */
        CHECK_INT(vf_netlink_list(nl, "ens1f0", &v, &n), 0);
        ASSERT(v && n == 4);
        CHECK(!v[1].has_stats && v[1].stats.rx_bytes == 0);
        v = mfree(v);
        /* A change of policy keeps the counters. */
        CHECK_INT(vf_netlink_set_mac(nl, "ens1f0", 1, "52:54:00:00:00:09"), 0);
        CHECK_INT(vf_netlink_list_stats(nl, "ens1f0", &v, &n), 0);
        ASSERT(v && n == 4);
        CHECK_STR(v[1].mac, "52:54:00:00:00:09");
        CHECK(v[1].stats.rx_bytes == 1099511627776ULL && v[1].stats.tx_dropped == 6);
        CHECK(v[2].stats.rx_bytes == 7);
        v = mfree(v);
        ASSERT(read_full_file(sf, 1 << 20, &data, NULL) == 0);
        json_t *j = json_loads(data, 0, NULL);
        ASSERT(j);
        json_t *vfs = json_object_get(j, "vfs");
        CHECK(json_object_get(json_array_get(vfs, 0), "stats") == NULL); /* all 0: not written */
        CHECK_INT(json_integer_value(json_object_get(json_object_get(json_array_get(vfs, 1), "stats"), "tx_dropped")), 6);
        json_decref(j);
        /* Bad counters are a corrupt file. */
        ASSERT(put_file(sf, "{\"version\": 1, \"num_vfs\": 4, \"vfs\": [{\"vf\": 0, \"stats\": {\"rx_bytes\": -1}}]}") == 0);
        CHECK_INT(vf_netlink_list_stats(nl, "ens1f0", &v, &n), -EBADMSG);
        ASSERT(put_file(sf, "{\"version\": 1, \"num_vfs\": 4, \"vfs\": [{\"vf\": 0, \"stats\": 5}]}") == 0);
        CHECK_INT(vf_netlink_list_stats(nl, "ens1f0", &v, &n), -EBADMSG);
        test_tmpdir_cleanup(root);
}

TEST(sim_numvfs_change_resets) {
        char *root = make_root();
        _cleanup_(vf_netlink_freep) VfNetlink *nl = sim(root);
        _cleanup_free_ VfInfo *v = NULL;
        size_t n = 0;
        VfInfo i;

        CHECK_INT(vf_netlink_set_vlan(nl, "ens1f0", 1, 55, 0), 0);
        /* Through 0 and up again, as the kernel demands: the VFs are new. */
        CHECK_INT(fakeroot_set_vfs(root, IGB_PF, 0, NULL), 0);
        CHECK_INT(vf_netlink_list(nl, "ens1f0", &v, &n), 0);
        CHECK_INT(n, 0);
        CHECK(v == NULL);
        CHECK_INT(vf_netlink_set_vlan(nl, "ens1f0", 0, 1, 0), -EINVAL);
        CHECK_INT(fakeroot_set_vfs(root, IGB_PF, 3, NULL), 0);
        CHECK_INT(vf_netlink_list(nl, "ens1f0", &v, &n), 0);
        CHECK_INT(n, 3);
        CHECK_INT(vf_netlink_get(nl, "ens1f0", 1, &i), 0);
        CHECK_INT(i.vlan, 0);
        CHECK_INT(vf_netlink_get(nl, "ens1f0", 3, &i), -EINVAL);
        test_tmpdir_cleanup(root);
}

TEST(sim_bad_indices) {
        char *root = make_root();
        _cleanup_(vf_netlink_freep) VfNetlink *nl = sim(root);
        _cleanup_free_ VfInfo *v = NULL;
        size_t n = 7;
        VfInfo i = { .index = 12345 };

        CHECK_INT(vf_netlink_get(nl, "ens1f0", 4, &i), -EINVAL);
        CHECK_INT(i.index, 12345); /* not written on failure */
        CHECK_INT(vf_netlink_set_mac(nl, "ens1f0", 4, "52:54:00:00:00:01"), -EINVAL);
        CHECK_INT(vf_netlink_set_trust(nl, "ens1f0", 7, true), -EINVAL);
        CHECK_INT(vf_netlink_set_spoofchk(nl, "ens1f0", UINT32_MAX, true), -EINVAL);
        CHECK_INT(vf_netlink_list(nl, "nosuch0", &v, &n), -ENODEV);
        CHECK_INT(n, 7);
        CHECK_INT(vf_netlink_get(nl, "nosuch0", 0, &i), -ENODEV);
        CHECK_INT(vf_netlink_set_vlan(nl, "nosuch0", 0, 1, 0), -ENODEV);
        CHECK_INT(vf_netlink_list(nl, "../../etc", &v, &n), -EINVAL);
        CHECK_INT(vf_netlink_set_trust(nl, "", 0, true), -EINVAL);
        /* A netdev without SR-IOV: no VFs, and no VF operations at all. */
        CHECK_INT(vf_netlink_list(nl, "eno1", &v, &n), 0);
        CHECK_INT(n, 0);
        CHECK_INT(vf_netlink_set_mac(nl, "eno1", 0, "52:54:00:00:00:01"), -EOPNOTSUPP);
        /* An igb PF with SR-IOV but sriov_numvfs 0. */
        CHECK_INT(vf_netlink_list(nl, "ens3f0", &v, &n), 0);
        CHECK_INT(n, 0);
        CHECK_INT(vf_netlink_set_trust(nl, "ens3f0", 0, true), -EINVAL);
        test_tmpdir_cleanup(root);
}

TEST(sim_corrupt_file) {
        char *root = make_root();
        _cleanup_free_ char *sf = state_file(root, "ens1f0");
        _cleanup_(vf_netlink_freep) VfNetlink *nl = sim(root);
        VfInfo i;

        CHECK_INT(vf_netlink_set_trust(nl, "ens1f0", 0, true), 0);
        ASSERT(write_string_file(sf, "{\"version\": 1, \"num_vfs\": 4, \"vfs\": [{\"vf\": 0, \"vlan\": 5000}]}") == 0);
        CHECK_INT(vf_netlink_get(nl, "ens1f0", 0, &i), -EBADMSG);
        ASSERT(write_string_file(sf, "{\"vers") == 0);
        CHECK_INT(vf_netlink_get(nl, "ens1f0", 0, &i), -EBADMSG);
        ASSERT(write_string_file(sf, "{\"version\": 2, \"num_vfs\": 4, \"vfs\": []}") == 0);
        CHECK_INT(vf_netlink_set_trust(nl, "ens1f0", 0, true), -EBADMSG);
        test_tmpdir_cleanup(root);
}

TEST(sim_device_link) {
        /* A root whose netdev has a `device` link (as a real kernel has) resolves through it. */
        char *root = make_root();
        _cleanup_free_ char *link = NULL;
        _cleanup_(vf_netlink_freep) VfNetlink *nl = sim(root);
        _cleanup_free_ VfInfo *v = NULL;
        size_t n = 0;

        ASSERT(asprintf(&link, "%s/sys/devices/pci0000:3b/" IGB_PF "/net/ens1f0/device", root) >= 0);
        (void) unlink(link);
        ASSERT(symlink("../../../" IGB_PF, link) == 0);
        CHECK_INT(vf_netlink_list(nl, "ens1f0", &v, &n), 0);
        CHECK_INT(n, 4);
        test_tmpdir_cleanup(root);
}

typedef struct HeldSet {
        const char *root;
        uint32_t vlan;
        atomic_int r;
        atomic_bool returned;
} HeldSet;

static void *held_set_thread(void *p) {
        HeldSet *h = p;
        _cleanup_(vf_netlink_freep) VfNetlink *nl = sim(h->root);
        h->r = vf_netlink_set_vlan(nl, "ens2f0", 1, h->vlan, 0);
        h->returned = true;
        return NULL;
}

static uint32_t vlan_of(const char *root, uint32_t vf) {
        _cleanup_(vf_netlink_freep) VfNetlink *nl = sim(root);
        VfInfo i;
        if (vf_netlink_get(nl, "ens2f0", vf, &i) < 0)
                abort();
        return i.vlan;
}

/* Waits up to 10 s for the VLAN of VF 1 of ens2f0 to be `vlan`. */
static bool vlan_reaches(const char *root, uint32_t vlan) {
        for (int i = 0; i < 2000; i++) {
                if (vlan_of(root, 1) == vlan)
                        return true;
                (void) usleep(5000);
        }
        return false;
}

TEST(sim_vf_set_hold) {
        /* vf-set-hold: a call makes its change, then waits for a count above 0 (taking one),
         * or for the file to go; other readers see the change at once. */
        char *root = make_root();
        _cleanup_free_ char *hold = NULL;
        HeldSet a = { .root = root, .vlan = 10 }, b = { .root = root, .vlan = 20 };
        pthread_t t;

        ASSERT(asprintf(&hold, "%s/" SIM_VF_SET_HOLD_FILE, root) >= 0);
        _cleanup_free_ char *dir = strdup(hold);
        ASSERT(dir && mkdir_p(dirname(dir), 0755) >= 0);
        ASSERT(write_file_atomic(hold, "0\n", 2, 0644) >= 0);
        ASSERT(pthread_create(&t, NULL, held_set_thread, &a) == 0);
        ASSERT(vlan_reaches(root, 10));             /* made and visible... */
        (void) usleep(100 * 1000);
        ASSERT(!a.returned);                        /* ...but held */
        ASSERT(write_file_atomic(hold, "1\n", 2, 0644) >= 0);
        ASSERT(pthread_join(t, NULL) == 0);
        CHECK_INT(a.r, 0);
        _cleanup_free_ char *left = NULL;
        ASSERT(read_full_file(hold, 64, &left, NULL) >= 0);
        ASSERT(streq(left, "0\n"));                /* it took its one */
        ASSERT(pthread_create(&t, NULL, held_set_thread, &b) == 0);
        ASSERT(vlan_reaches(root, 20));
        (void) usleep(100 * 1000);
        ASSERT(!b.returned);
        ASSERT(unlink(hold) == 0);                  /* no file: every call returns */
        ASSERT(pthread_join(t, NULL) == 0);
        CHECK_INT(b.r, 0);
        CHECK_INT(vlan_of(root, 0), 0);             /* other VFs untouched */
        test_tmpdir_cleanup(root);
}

int main(void) {
        RUN(sim_defaults);
        RUN(sim_set_get);
        RUN(sim_igb_refusals);
        RUN(sim_other_driver);
        RUN(sim_apply);
        RUN(sim_restore_round_trip);
        RUN(sim_persistence);
        RUN(sim_vf_stats);
        RUN(sim_numvfs_change_resets);
        RUN(sim_bad_indices);
        RUN(sim_corrupt_file);
        RUN(sim_device_link);
        RUN(sim_vf_set_hold);
        return TEST_MAIN_END();
}
