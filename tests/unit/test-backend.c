/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The backend seam (src/sriov/backend.h):
 *   - what the shared half (vfpolicy.c, numvfs.c) asks of a backend, seen through a
 *     recording backend: the order of the requests, going through 0, nothing sent for bad
 *     input;
 *   - one scenario written against the daemon's API only (vf_netlink_open, pf_set_num_vfs,
 *     vf_policy_apply ...) and run on every backend that can run here: the simulation on a
 *     fake root; the kernel's when ACCELNET_TEST_SRIOV_PF=PCIADDR/IFNAME names a real PF
 *     this test may reconfigure (none here: it says "skipped");
 *   - the kernel backend's sriov_numvfs write on a fake root (a plain file write);
 *   - the simulated VF store under load: two threads with two handles and a fork()ed child
 *     changing VFs of one PF 1,000 times each lose no write. */

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>

#include "shared/fileio.h"
#include "sim/fakeroot.h"
#include "sim/sim.h"
#include "sriov/backend.h"
#include "sriov/numvfs.h"
#include "sriov/vfpolicy.h"
#include "testlib.h"

#define IGB_PF "0000:3b:00.0"
#define MLX_PF "0000:5e:00.0"

static const char host_json[] =
        "{\"devices\": ["
        " {\"address\": \"" IGB_PF "\", \"driver\": \"igb\", \"ifname\": \"ens1f0\", \"sriov_numvfs\": 4,"
        "  \"link_speed\": 1000,"
        "  \"config\": {\"synth\": {\"vendor\": \"8086\", \"device\": \"10c9\","
        "   \"sriov\": {\"total\": 7, \"offset\": 128, \"stride\": 2, \"vf_device\": \"10ca\"}}}},"
        " {\"address\": \"" MLX_PF "\", \"driver\": \"mlx5_core\", \"ifname\": \"ens2f0\","
        "  \"link_speed\": 100000,"
        "  \"config\": {\"synth\": {\"vendor\": \"15b3\", \"device\": \"1017\","
        "   \"sriov\": {\"total\": 8, \"offset\": 2, \"stride\": 1, \"vf_device\": \"1018\"}}}},"
        " {\"address\": \"0000:86:00.0\", \"ifname\": \"ens3f0\","
        "  \"config\": {\"synth\": {\"vendor\": \"8086\", \"device\": \"10c9\","
        "   \"sriov\": {\"total\": 7, \"offset\": 128, \"stride\": 2, \"vf_device\": \"10ca\"}}}}"
        "]}";

static char *make_root(void) {
        char *root = test_tmpdir(), *error = NULL;
        json_error_t err;
        json_t *j = json_loads(host_json, 0, &err);
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

static unsigned read_numvfs(const char *root, const char *pf) {
        unsigned n = 9999;
        if (pf_read_num_vfs(root, pf, &n, NULL) < 0)
                return 9999;
        return n;
}

/* ---- a recording backend ---------------------------------------------------------------- */

typedef struct Rec {
        char log[64][48];
        size_t n;
        int set_result[_VF_SET_KIND_MAX];  /* what each kind of request gets */
        int batch_result;                  /* returned by vf_set */
        int numvfs_result;
} Rec;

static Rec rec; /* the recording backend's state (tests run one at a time) */

static void rec_add(const char *fmt, ...) _printf_(1, 2);
static void rec_add(const char *fmt, ...) {
        va_list ap;
        if (rec.n >= ELEMENTSOF(rec.log))
                abort();
        va_start(ap, fmt);
        vsnprintf(rec.log[rec.n++], sizeof rec.log[0], fmt, ap);
        va_end(ap);
}

static int rec_open(const char *root, void **ret) {
        rec_add("open %s", root);
        *ret = &rec;
        return 0;
}
static void rec_close(void *h) {
        if (h == &rec)
                rec_add("close");
}
static int rec_list(void *h, const char *pf, unsigned flags, VfInfo **ret, size_t *ret_n) {
        rec_add("list %s%s", pf, flags & VF_LIST_STATS ? " stats" : "");
        *ret = NULL;
        *ret_n = 0;
        return 0;
}
static int rec_set(void *h, const char *pf, const VfSetRequest *reqs, size_t n, int *results) {
        static const char *const kinds[] = { "mac", "vlan", "spoofchk", "trust", "rate", "link" };
        for (size_t i = 0; i < n; i++) {
                rec_add("set %s vf%u %s", pf, reqs[i].vf, kinds[reqs[i].kind]);
                results[i] = rec.set_result[reqs[i].kind];
        }
        return rec.batch_result;
}
static int rec_numvfs(const char *root, const char *pf, unsigned n) {
        rec_add("numvfs %s %u", pf, n);
        if (rec.numvfs_result < 0)
                return rec.numvfs_result;
        /* What a kernel shows afterwards. */
        _cleanup_free_ char *rel = NULL, *p = NULL;
        char buf[16];
        if (asprintf(&rel, "sys/bus/pci/devices/%s/sriov_numvfs", pf) < 0 || !(p = root_path(root, rel)))
                return -ENOMEM;
        snprintf(buf, sizeof buf, "%u\n", n);
        return write_string_file(p, buf);
}

static const SriovBackend recording_backend = {
        .name = "recording",
        .vf_open = rec_open,
        .vf_close = rec_close,
        .vf_list = rec_list,
        .vf_set = rec_set,
        .write_num_vfs = rec_numvfs,
};

static void rec_reset(void) {
        rec = (Rec){};
}

static bool rec_is(size_t i, const char *want) {
        if (i >= rec.n) {
                fprintf(stderr, "  request %zu missing, expected \"%s\"\n", i, want);
                return false;
        }
        if (!streq(rec.log[i], want)) {
                fprintf(stderr, "  request %zu is \"%s\", expected \"%s\"\n", i, rec.log[i], want);
                return false;
        }
        return true;
}

TEST(backend_tables) {
        const SriovBackend *k = sriov_backend_kernel(), *s = sim_backend();

        ASSERT(k && s && k != s);
        CHECK_STR(k->name, "kernel");
        CHECK_STR(s->name, "simulated");
        CHECK(!sriov_backend_is_simulated(k));
        CHECK(sriov_backend_is_simulated(s));
        CHECK(!sriov_backend_is_simulated(NULL));
        CHECK(!sriov_backend_is_simulated(&recording_backend));
        for (int i = 0; i < 2; i++) {
                const SriovBackend *b = i ? s : k;
                CHECK(b->vf_open && b->vf_close && b->vf_list && b->vf_set && b->write_num_vfs);
        }
        /* Always the same table: chosen once, compared by pointer. */
        CHECK(sriov_backend_kernel() == k);
        CHECK(sim_backend() == s);
}

TEST(policy_requests_in_order) {
        _cleanup_(vf_netlink_freep) VfNetlink *nl = NULL;
        VfPolicy p = { .mac = "52:54:00:00:00:01", .vlan = 10, .spoofchk = true, .max_tx_rate = 100 };
        VfApplyResult res;

        rec_reset();
        ASSERT(vf_netlink_open(&recording_backend, "/some/root", &nl) == 0);
        CHECK(vf_netlink_backend(nl) == &recording_backend);
        CHECK(rec_is(0, "open /some/root"));

        CHECK_INT(vf_policy_apply(nl, "ens1f0", 3, &p, &res), 0);
        CHECK_INT(rec.n, 6);
        CHECK(rec_is(1, "set ens1f0 vf3 mac"));
        CHECK(rec_is(2, "set ens1f0 vf3 vlan"));
        CHECK(rec_is(3, "set ens1f0 vf3 spoofchk"));
        CHECK(rec_is(4, "set ens1f0 vf3 trust"));
        CHECK(rec_is(5, "set ens1f0 vf3 rate"));

        /* No MAC: not sent. A refused attribute is reported on its own; the others go on. */
        rec_reset();
        p.mac[0] = 0;
        rec.set_result[VF_SET_TRUST] = -EOPNOTSUPP;
        rec.set_result[VF_SET_RATE] = -EINVAL;
        CHECK_INT(vf_policy_apply(nl, "ens1f0", 3, &p, &res), -EINVAL);
        CHECK_INT(rec.n, 4);
        CHECK(rec_is(0, "set ens1f0 vf3 vlan"));
        CHECK_INT(res.result[VF_ATTR_MAC], 0);
        CHECK_INT(res.result[VF_ATTR_VLAN], 0);
        CHECK_INT(res.result[VF_ATTR_TRUST], -EOPNOTSUPP);
        CHECK_INT(res.result[VF_ATTR_RATE], -EINVAL);
        rec.set_result[VF_SET_RATE] = 0;
        CHECK_INT(vf_policy_apply(nl, "ens1f0", 3, &p, &res), -EOPNOTSUPP);

        /* A backend that could do nothing: every attribute gets its error. */
        rec_reset();
        rec.batch_result = -ENODEV;
        CHECK_INT(vf_policy_apply(nl, "ens1f0", 3, &p, &res), -ENODEV);
        for (VfAttr a = VF_ATTR_VLAN; a < _VF_ATTR_MAX; a++)
                CHECK_INT(res.result[a], -ENODEV);
        CHECK_INT(vf_netlink_set_trust(nl, "ens1f0", 0, true), -ENODEV);

        /* Bad input never reaches the backend. */
        rec_reset();
        VfPolicy bad = p;
        snprintf(bad.mac, sizeof bad.mac, "52:54:00:00:00");
        CHECK_INT(vf_policy_apply(nl, "ens1f0", 3, &bad, &res), -EINVAL);
        bad = p;
        bad.vlan = 4096;
        CHECK_INT(vf_policy_apply(nl, "ens1f0", 3, &bad, &res), -EINVAL);
        CHECK_INT(vf_policy_apply(nl, "../../etc", 3, &p, &res), -EINVAL);
        CHECK_INT(vf_policy_apply(nl, "ens1f0", (uint32_t) INT32_MAX, &p, &res), -EINVAL);
        CHECK_INT(vf_netlink_set_mac(nl, "ens1f0", 0, "zz:00:00:00:00:00"), -EINVAL);
        CHECK_INT(vf_netlink_set_vlan(nl, "ens1f0", 0, 1, 8), -EINVAL);
        CHECK_INT(vf_netlink_set_link_state(nl, "ens1f0", 0, (VfLinkState) 9), -EINVAL);
        CHECK_INT(vf_netlink_set_trust(nl, "ens1f0 ", 0, true), -EINVAL);
        CHECK_INT(rec.n, 0);

        nl = vf_netlink_free(nl);
        CHECK(rec_is(0, "close"));
        CHECK_INT(vf_netlink_open(NULL, "/", &nl), -EINVAL);
}

TEST(numvfs_through_zero) {
        char *root = make_root();

        rec_reset();
        /* 4 → 2: the kernel refuses n → m, so through 0. */
        CHECK_INT(pf_set_num_vfs(&recording_backend, root, IGB_PF, 2, false), 0);
        CHECK_INT(rec.n, 2);
        CHECK(rec_is(0, "numvfs " IGB_PF " 0"));
        CHECK(rec_is(1, "numvfs " IGB_PF " 2"));
        CHECK_INT(read_numvfs(root, IGB_PF), 2);
        /* sriov_drivers_autoprobe was written first. */
        _cleanup_free_ char *ap = NULL, *v = NULL;
        ASSERT(asprintf(&ap, "%s/sys/bus/pci/devices/" IGB_PF "/sriov_drivers_autoprobe", root) >= 0);
        ASSERT(read_one_line(ap, &v) >= 0);
        CHECK_STR(v, "0");

        /* Already there: nothing written. Above TotalVFs, or not a PCI address: refused,
         * nothing written. */
        rec_reset();
        CHECK_INT(pf_set_num_vfs(&recording_backend, root, IGB_PF, 2, true), 0);
        CHECK_INT(pf_set_num_vfs(&recording_backend, root, IGB_PF, 8, true), -ERANGE);
        CHECK_INT(pf_set_num_vfs(&recording_backend, root, "../../../../etc", 1, true), -EINVAL);
        CHECK_INT(pf_set_num_vfs(&recording_backend, root, "0000:99:00.0", 1, true), -ENOENT);
        CHECK_INT(pf_set_num_vfs(NULL, root, IGB_PF, 1, true), -EINVAL);
        CHECK_INT(rec.n, 0);

        /* 0 → 3: one write. 3 → 0: one write. */
        CHECK_INT(pf_set_num_vfs(&recording_backend, root, MLX_PF, 3, true), 0);
        CHECK_INT(pf_set_num_vfs(&recording_backend, root, MLX_PF, 0, true), 0);
        CHECK_INT(rec.n, 2);
        CHECK(rec_is(0, "numvfs " MLX_PF " 3"));
        CHECK(rec_is(1, "numvfs " MLX_PF " 0"));

        /* The backend's error comes back as it is. */
        rec_reset();
        rec.numvfs_result = -EBUSY;
        CHECK_INT(pf_set_num_vfs(&recording_backend, root, IGB_PF, 3, true), -EBUSY);
        CHECK_INT(rec.n, 1);
        test_tmpdir_cleanup(root);
}

/* ---- one scenario, any backend ------------------------------------------------------------- */

/* Written against the daemon's API only. `pf` is the PCI address of a PF with TotalVFs ≥ 2
 * and a driver that takes MAC, VLAN, spoof check, trust and a max rate of 100 Mb/s; `ifname`
 * its netdev. Leaves the PF with 0 VFs. */
static void scenario(const SriovBackend *b, const char *root, const char *pf, const char *ifname) {
        _cleanup_(vf_netlink_freep) VfNetlink *nl = NULL;
        _cleanup_free_ VfInfo *v = NULL;
        VfPolicy want = { .mac = "52:54:00:5c:e0:01", .vlan = 42, .spoofchk = true, .trust = false,
                          .max_tx_rate = 100 }, saved;
        VfApplyResult res;
        VfInfo before, after;
        size_t n = 0;

        ASSERT(vf_netlink_open(b, root, &nl) == 0);
        CHECK(vf_netlink_backend(nl) == b);

        CHECK_INT(pf_set_num_vfs(b, root, pf, 0, false), 0);
        CHECK_INT(vf_netlink_list(nl, ifname, &v, &n), 0);
        CHECK_INT(n, 0);
        v = mfree(v);
        CHECK_INT(pf_set_num_vfs(b, root, pf, 2, false), 0);
        CHECK_INT(read_numvfs(root, pf), 2);
        CHECK_INT(vf_netlink_list(nl, ifname, &v, &n), 0);
        CHECK_INT(n, 2);

        /* Save, apply, read back, restore: what the daemon does for every VM. */
        ASSERT(vf_netlink_get(nl, ifname, 1, &before) == 0);
        CHECK_INT(before.index, 1);
        ASSERT(vf_policy_from_info(&before, &saved) >= 0);
        CHECK_INT(vf_policy_apply(nl, ifname, 1, &want, &res), 0);
        ASSERT(vf_netlink_get(nl, ifname, 1, &after) == 0);
        CHECK_STR(after.mac, "52:54:00:5c:e0:01");
        CHECK_INT(after.vlan, 42);
        CHECK_INT(after.max_tx_rate, 100);
        if (after.spoofchk >= 0)
                CHECK_INT(after.spoofchk, 1);
        CHECK_INT(vf_policy_apply(nl, ifname, 1, &saved, &res), 0);
        ASSERT(vf_netlink_get(nl, ifname, 1, &after) == 0);
        CHECK_STR(after.mac, before.mac);
        CHECK_INT(after.vlan, before.vlan);
        CHECK_INT(after.max_tx_rate, before.max_tx_rate);

        /* The drivers' common answers. */
        CHECK_INT(vf_netlink_set_vlan(nl, ifname, 2, 5, 0), -EINVAL); /* past the VF count */
        CHECK_INT(vf_netlink_list(nl, "an-nosuch0", &v, &n), -ENODEV);
        CHECK_INT(pf_set_num_vfs(b, root, pf, 4096, false), -ERANGE);

        CHECK_INT(pf_set_num_vfs(b, root, pf, 0, false), 0);
        CHECK_INT(read_numvfs(root, pf), 0);
}

TEST(scenario_simulated) {
        char *root = make_root();
        scenario(sim_backend(), root, MLX_PF, "ens2f0");
        /* And on the igb the scenario's rate is within its 1000 Mb/s link. */
        scenario(sim_backend(), root, IGB_PF, "ens1f0");
        test_tmpdir_cleanup(root);
}

TEST(scenario_kernel) {
        /* "PCIADDR/IFNAME" of a real PF this test may reconfigure (the e2e guest's igb). */
        const char *e = getenv("ACCELNET_TEST_SRIOV_PF");
        char pf[32], ifname[32];

        if (!e || sscanf(e, "%31[^/]/%31s", pf, ifname) != 2) {
                printf("skipped: the kernel backend needs a real PF (ACCELNET_TEST_SRIOV_PF=PCIADDR/IFNAME)\n");
                return;
        }
        scenario(sriov_backend_kernel(), "/", pf, ifname);
}

TEST(kernel_numvfs_is_a_sysfs_write) {
        /* On a fake root the kernel backend writes the file and nothing else: no VF appears
         * (that is the kernel's part, which only the simulation plays). */
        char *root = make_root();
        _cleanup_free_ char *virtfn = NULL;

        CHECK_INT(pf_set_num_vfs(sriov_backend_kernel(), root, MLX_PF, 3, true), 0);
        CHECK_INT(read_numvfs(root, MLX_PF), 3);
        ASSERT(asprintf(&virtfn, "%s/sys/bus/pci/devices/" MLX_PF "/virtfn0", root) >= 0);
        CHECK(!file_exists(virtfn));
        CHECK_INT(pf_set_num_vfs(sim_backend(), root, MLX_PF, 0, true), 0);
        CHECK_INT(pf_set_num_vfs(sim_backend(), root, MLX_PF, 3, true), 0);
        CHECK(file_exists(virtfn));
        test_tmpdir_cleanup(root);
}

TEST(sim_numvfs_kernel_errors) {
        char *root = make_root();

        /* No PF driver: no sriov_configure. */
        CHECK_INT(pf_set_num_vfs(sim_backend(), root, "0000:86:00.0", 2, true), -ENOENT);
        CHECK_INT(read_numvfs(root, "0000:86:00.0"), 0);
        CHECK_INT(pf_set_num_vfs(sim_backend(), root, MLX_PF, 9, true), -ERANGE);
        test_tmpdir_cleanup(root);
}

static uint64_t now_msec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

TEST(sim_numvfs_delay) {
        char *root = make_root();
        _cleanup_free_ char *delay = NULL;
        uint64_t t0;

        ASSERT(asprintf(&delay, "%s/" SIM_NUMVFS_DELAY_FILE, root) >= 0);
        CHECK(!file_exists(delay));
        t0 = now_msec();
        CHECK_INT(pf_set_num_vfs(sim_backend(), root, MLX_PF, 1, true), 0);
        CHECK(now_msec() - t0 < 150);

        _cleanup_free_ char *dir = strdup(delay);
        ASSERT(dir);
        *strrchr(dir, '/') = 0;
        ASSERT(mkdir_p(dir, 0755) == 0);
        ASSERT(write_file_atomic(delay, "200\n", 4, 0644) == 0);
        t0 = now_msec();
        CHECK_INT(pf_set_num_vfs(sim_backend(), root, MLX_PF, 2, true), 0); /* 1 → 0 → 2: two writes */
        CHECK(now_msec() - t0 >= 400);
        CHECK_INT(read_numvfs(root, MLX_PF), 2);

        /* Nonsense is no delay. */
        ASSERT(write_file_atomic(delay, "999999999\n", 10, 0644) == 0);
        t0 = now_msec();
        CHECK_INT(pf_set_num_vfs(sim_backend(), root, MLX_PF, 0, true), 0);
        CHECK(now_msec() - t0 < 150);
        test_tmpdir_cleanup(root);
}

/* ---- many writers at once --------------------------------------------------------------- */

#define ROUNDS 1000

typedef struct Writer {
        const char *root;
        int which;          /* 0: VLAN of VF 0, 1: max rate of VF 1, 2: MAC of VF 2 */
        unsigned lost;      /* own writes not there right after they were made */
        int error;
} Writer;

static int writer_round(VfNetlink *nl, int which, unsigned i, unsigned *lost) {
        VfInfo v;
        char mac[VF_MAC_STRLEN];
        int r;

        snprintf(mac, sizeof mac, "52:54:00:00:%02x:%02x", (i >> 8) & 0xff, i & 0xff);
        if (which == 0)
                r = vf_netlink_set_vlan(nl, "ens2f0", 0, i % 4000 + 1, 0);
        else if (which == 1)
                r = vf_netlink_set_rate(nl, "ens2f0", 1, 0, i + 1);
        else
                r = vf_netlink_set_mac(nl, "ens2f0", 2, mac);
        if (r < 0)
                return r;
        r = vf_netlink_get(nl, "ens2f0", (uint32_t) which, &v);
        if (r < 0)
                return r;
        if ((which == 0 && v.vlan != i % 4000 + 1) || (which == 1 && v.max_tx_rate != i + 1) ||
            (which == 2 && !streq(v.mac, mac)))
                (*lost)++;
        return 0;
}

static void *writer_thread(void *p) {
        Writer *w = p;
        _cleanup_(vf_netlink_freep) VfNetlink *nl = NULL;

        w->error = vf_netlink_open(sim_backend(), w->root, &nl);
        for (unsigned i = 0; w->error >= 0 && i < ROUNDS; i++)
                w->error = writer_round(nl, w->which, i, &w->lost);
        return NULL;
}

TEST(sim_concurrent_writers) {
        char *root = make_root();
        Writer w[2] = { { .root = root, .which = 0 }, { .root = root, .which = 1 } };
        pthread_t t[2];
        pid_t child;
        int status = -1;
        VfInfo v;

        ASSERT(pf_set_num_vfs(sim_backend(), root, MLX_PF, 3, true) == 0);

        /* The child first, while this process has no threads. */
        fflush(NULL);
        child = fork();
        ASSERT(child >= 0);
        if (child == 0) {
                Writer cw = { .root = root, .which = 2 };
                (void) writer_thread(&cw);
                _exit(cw.error < 0 ? 2 : cw.lost > 0 ? 1 : 0);
        }
        for (int i = 0; i < 2; i++)
                ASSERT(pthread_create(&t[i], NULL, writer_thread, &w[i]) == 0);
        for (int i = 0; i < 2; i++)
                ASSERT(pthread_join(t[i], NULL) == 0);
        ASSERT(waitpid(child, &status, 0) == child);

        for (int i = 0; i < 2; i++) {
                CHECK_INT(w[i].error, 0);
                CHECK_INT(w[i].lost, 0);
        }
        CHECK(WIFEXITED(status));
        CHECK_INT(WEXITSTATUS(status), 0);

        /* Every last write is there, side by side, with nobody else's. */
        _cleanup_(vf_netlink_freep) VfNetlink *nl = NULL;
        ASSERT(vf_netlink_open(sim_backend(), root, &nl) == 0);
        ASSERT(vf_netlink_get(nl, "ens2f0", 0, &v) == 0);
        CHECK_INT(v.vlan, (ROUNDS - 1) % 4000 + 1);
        CHECK_INT(v.max_tx_rate, 0);
        ASSERT(vf_netlink_get(nl, "ens2f0", 1, &v) == 0);
        CHECK_INT(v.max_tx_rate, ROUNDS);
        CHECK_INT(v.vlan, 0);
        ASSERT(vf_netlink_get(nl, "ens2f0", 2, &v) == 0);
        CHECK_STR(v.mac, "52:54:00:00:03:e7"); /* 999 */
        CHECK_INT(v.vlan, 0);
        test_tmpdir_cleanup(root);
}

int main(void) {
        RUN(backend_tables);
        RUN(policy_requests_in_order);
        RUN(numvfs_through_zero);
        RUN(scenario_simulated);
        RUN(scenario_kernel);
        RUN(kernel_numvfs_is_a_sysfs_write);
        RUN(sim_numvfs_kernel_errors);
        RUN(sim_numvfs_delay);
        RUN(sim_concurrent_writers);
        return TEST_MAIN_END();
}
