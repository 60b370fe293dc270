/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The simulated backend of VF policy, for `accelnetd --simulate` and the tests: no netlink,
 * the VF settings of each PF live in ROOT/run/accelnet-sim/vf/<pf>.json, written atomically
 * after every change, and the VF count is the fake sysfs' sriov_numvfs.
 *
 * File format (version 1):
 *   { "version": 1, "pf": "ens1f0", "num_vfs": 4,
 *     "vfs": [ { "vf": 0, "mac": "00:00:00:00:00:00", "vlan": 0, "qos": 0,
 *                "spoofchk": true, "trust": false, "min_tx_rate": 0, "max_tx_rate": 0,
 *                "link_state": "auto",
 *                "stats": { "rx_packets": 0, "tx_packets": 0, "rx_bytes": 0, "tx_bytes": 0,
 *                           "broadcast": 0, "multicast": 0, "rx_dropped": 0, "tx_dropped": 0 } },
 *              ... ] }
 * "num_vfs" records the count the settings belong to: when sriov_numvfs no longer matches,
 * the VFs were destroyed and created again and start from the defaults, as with a real
 * driver. Missing VFs or fields take the defaults (MAC zero, VLAN 0, spoof check on,
 * trust off, no rate limit, link state auto, every counter 0). "stats" holds the VF's traffic
 * counters (IFLA_VF_STATS), which nothing here changes: a test writes them, and every write
 * of the file keeps them (it is written only for a VF with a counter above 0).
 *
 * The driver named by the PF's `driver` link decides what is refused, as measured on igb
 * (TESTBED.md): igb says EOPNOTSUPP to link state, and EINVAL to min_tx_rate > 0, to any
 * rate while the PF's operstate is "down", and to a max_tx_rate above the PF's link speed;
 * other drivers accept everything the kernel accepts (min_tx_rate > max_tx_rate is refused
 * by all of them). A multicast MAC is refused by every driver. The handle holds no state but
 * the root: every call reads the sysfs and the file again, so sriov_numvfs changes are seen
 * at once.
 *
 * Any number of handles, in any threads and processes, may change VFs of one PF at once:
 * each read-modify-write of a PF's file holds an exclusive flock(2) on
 * ROOT/run/accelnet-sim/lock/<pf>.lock (flock belongs to the open file, so two handles of one
 * process exclude each other as two processes do). Readers take no lock: the file is
 * replaced by rename(2), so they see the old settings or the new ones, never a mix. */

#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "shared/fileio.h"
#include "sim-internal.h"
#include "sim.h"

#define VF_SIM_DIR "run/accelnet-sim/vf"
#define VF_SIM_LOCK_DIR "run/accelnet-sim/lock"
#define VF_SIM_MAX_FILE (4 * 1024 * 1024)
#define VF_SIM_VERSION 1

typedef struct SimPf {
        bool has_sriov;       /* sriov_numvfs exists: the netdev is a PF with VF operations */
        uint32_t num_vfs;
        char driver[64];      /* "" when unbound */
        int64_t speed_mbps;   /* -1 unknown */
        bool link_down;       /* operstate "down" */
} SimPf;

/* ---- the fake sysfs ---------------------------------------------------------------------- */

/* The PCI function behind sys/class/net/IF: its `device` link if there is one, otherwise
 * the directory two levels above the resolved netdev (…/0000:3b:00.0/net/IF). The result
 * must stay inside the root. */
static int sim_pf_device(const char *root, const char *pf, char **ret) {
        _cleanup_free_ char *rel = NULL, *cls = NULL, *devlink = NULL;
        char resolved[PATH_MAX], root_canon[PATH_MAX];
        struct stat st;

        if (asprintf(&rel, "sys/class/net/%s", pf) < 0)
                return -ENOMEM;
        cls = root_path(root, rel);
        devlink = cls ? path_join(cls, "device") : NULL;
        if (!devlink)
                return -ENOMEM;
        if (lstat(cls, &st) < 0)
                return errno == ENOENT ? -ENODEV : -errno;
        if (!realpath(root, root_canon))
                return -errno;
        if (realpath(devlink, resolved)) {
                /* fine */
        } else if (realpath(cls, resolved)) {
                char *slash;
                for (int i = 0; i < 2; i++) {
                        slash = strrchr(resolved, '/');
                        if (!slash || slash == resolved)
                                return -ENODEV;
                        *slash = 0;
                }
        } else
                return errno == ENOENT ? -ENODEV : -errno;

        size_t rl = strlen(root_canon);
        if (!streq(root_canon, "/") && (strncmp(resolved, root_canon, rl) != 0 || resolved[rl] != '/'))
                return -ENODEV;
        char *d = strdup(resolved);
        if (!d)
                return -ENOMEM;
        *ret = d;
        return 0;
}

static int sim_pf_load(const char *root, const char *pf, SimPf *ret) {
        _cleanup_free_ char *dev = NULL, *numvfs = NULL, *drvlink = NULL, *drv = NULL, *rel = NULL, *speed = NULL;
        SimPf s = { .speed_mbps = -1 };
        uint64_t n;
        int r;

        r = sim_pf_device(root, pf, &dev);
        if (r < 0)
                return r;
        numvfs = path_join(dev, "sriov_numvfs");
        drvlink = path_join(dev, "driver");
        if (!numvfs || !drvlink)
                return -ENOMEM;
        r = read_u64(numvfs, 10, &n);
        if (r >= 0) {
                if (n > VF_NETLINK_MAX_VFS)
                        return -E2BIG;
                s.has_sriov = true;
                s.num_vfs = (uint32_t) n;
        } else if (r != -ENOENT)
                return r;
        if (readlink_malloc(drvlink, &drv) >= 0)
                snprintf(s.driver, sizeof s.driver, "%s", path_basename(drv));
        if (asprintf(&rel, "sys/class/net/%s", pf) < 0)
                return -ENOMEM;
        _cleanup_free_ char *netdir = root_path(root, rel), *oper = NULL, *state = NULL;
        if (!netdir || !(speed = path_join(netdir, "speed")) || !(oper = path_join(netdir, "operstate")))
                return -ENOMEM;
        (void) read_s64(speed, 10, &s.speed_mbps);
        if (read_one_line(oper, &state) >= 0)
                s.link_down = streq(state, "down");
        *ret = s;
        return 0;
}

/* ---- the state file ------------------------------------------------------------------------ */

static char *sim_state_path(const char *root, const char *pf) {
        _cleanup_free_ char *rel = NULL;
        if (asprintf(&rel, VF_SIM_DIR "/%s.json", pf) < 0)
                return NULL;
        return root_path(root, rel);
}

static void vf_defaults(VfInfo *v, uint32_t index) {
        *v = (VfInfo){
                .index = index,
                .mac = "00:00:00:00:00:00",
                .spoofchk = 1,
                .trust = 0,
                .link_state = VF_LINK_STATE_AUTO,
        };
}

static int get_u32(const json_t *o, const char *key, uint32_t max, uint32_t *v) {
        json_t *j = json_object_get(o, key);
        if (!j)
                return 0;
        if (!json_is_integer(j) || json_integer_value(j) < 0 || json_integer_value(j) > (json_int_t) max)
                return -EBADMSG;
        *v = (uint32_t) json_integer_value(j);
        return 0;
}

static int get_bool(const json_t *o, const char *key, int *v) {
        json_t *j = json_object_get(o, key);
        if (!j)
                return 0;
        if (!json_is_boolean(j))
                return -EBADMSG;
        *v = json_is_true(j);
        return 0;
}

static int get_u64(const json_t *o, const char *key, uint64_t *v) {
        json_t *j = json_object_get(o, key);
        if (!j)
                return 0;
        if (!json_is_integer(j) || json_integer_value(j) < 0)
                return -EBADMSG;
        *v = (uint64_t) json_integer_value(j);
        return 0;
}

/* The names of VfStats' fields in the file, in the order they are written. */
static const struct {
        const char *name;
        size_t offset;
} stat_fields[] = {
        { "rx_packets", offsetof(VfStats, rx_packets) }, { "tx_packets", offsetof(VfStats, tx_packets) },
        { "rx_bytes", offsetof(VfStats, rx_bytes) },     { "tx_bytes", offsetof(VfStats, tx_bytes) },
        { "broadcast", offsetof(VfStats, broadcast) },   { "multicast", offsetof(VfStats, multicast) },
        { "rx_dropped", offsetof(VfStats, rx_dropped) }, { "tx_dropped", offsetof(VfStats, tx_dropped) },
};

static uint64_t *stat_field(VfStats *s, size_t i) {
        return (uint64_t *) ((char *) s + stat_fields[i].offset);
}

static int parse_stats(const json_t *j, VfStats *ret) {
        VfStats s = {};
        if (!json_is_object(j))
                return -EBADMSG;
        for (size_t i = 0; i < ELEMENTSOF(stat_fields); i++)
                if (get_u64(j, stat_fields[i].name, stat_field(&s, i)) < 0)
                        return -EBADMSG;
        *ret = s;
        return 0;
}

static bool stats_zero(const VfStats *s) {
        VfStats z = {};
        return memcmp(s, &z, sizeof z) == 0;
}

static int parse_vf_entry(const json_t *e, VfInfo *vfs, uint32_t n) {
        uint32_t index = UINT32_MAX;
        VfInfo v;
        json_t *j;
        uint8_t mac[6];

        if (!json_is_object(e) || get_u32(e, "vf", UINT32_MAX - 1, &index) < 0 || index == UINT32_MAX)
                return -EBADMSG;
        if (index >= n)
                return 0; /* a VF that no longer exists */
        v = vfs[index];
        if ((j = json_object_get(e, "mac"))) {
                if (!json_is_string(j) || vf_mac_parse(json_string_value(j), mac) < 0)
                        return -EBADMSG;
                vf_mac_format(mac, v.mac);
        }
        if (get_u32(e, "vlan", 4095, &v.vlan) < 0 || get_u32(e, "qos", 7, &v.qos) < 0 ||
            get_bool(e, "spoofchk", &v.spoofchk) < 0 || get_bool(e, "trust", &v.trust) < 0 ||
            get_u32(e, "min_tx_rate", UINT32_MAX, &v.min_tx_rate) < 0 ||
            get_u32(e, "max_tx_rate", UINT32_MAX, &v.max_tx_rate) < 0)
                return -EBADMSG;
        if ((j = json_object_get(e, "link_state"))) {
                VfLinkState ls = json_is_string(j) ? vf_link_state_from_string(json_string_value(j))
                                                   : _VF_LINK_STATE_INVALID;
                if ((int) ls < 0)
                        return -EBADMSG;
                v.link_state = ls;
        }
        if ((j = json_object_get(e, "stats")) && parse_stats(j, &v.stats) < 0)
                return -EBADMSG;
        vfs[index] = v;
        return 0;
}

/* All num_vfs VFs, from the file where it has them. -EBADMSG for a file that is not ours. */
static int sim_state_load(const char *path, uint32_t num_vfs, VfInfo **ret) {
        _cleanup_free_ VfInfo *vfs = NULL;
        _cleanup_free_ char *data = NULL;
        _cleanup_(json_decrefp) json_t *j = NULL;
        json_error_t err;
        size_t size;
        uint32_t file_n = 0, version = 0;
        int r;

        vfs = calloc(num_vfs ? num_vfs : 1, sizeof *vfs);
        if (!vfs)
                return -ENOMEM;
        for (uint32_t i = 0; i < num_vfs; i++)
                vf_defaults(&vfs[i], i);

        r = read_full_file(path, VF_SIM_MAX_FILE, &data, &size);
        if (r == -ENOENT)
                goto done;
        if (r < 0)
                return r;
        j = json_loadb(data, size, JSON_REJECT_DUPLICATES, &err);
        if (!j || !json_is_object(j))
                return -EBADMSG;
        if (get_u32(j, "version", UINT32_MAX, &version) < 0 || version != VF_SIM_VERSION ||
            get_u32(j, "num_vfs", UINT32_MAX, &file_n) < 0)
                return -EBADMSG;
        json_t *list = json_object_get(j, "vfs"), *e;
        size_t i;
        if (!json_is_array(list))
                return -EBADMSG;
        if (file_n != num_vfs)
                goto done; /* sriov_numvfs changed since: fresh VFs */
        json_array_foreach(list, i, e) {
                r = parse_vf_entry(e, vfs, num_vfs);
                if (r < 0)
                        return r;
        }
done:
        *ret = TAKE_PTR(vfs);
        return 0;
}

/* The file's text, one VF per line, formatted directly (through a jansson tree and
 * json_dumps a 256-VF file took ~0.45 ms, and the daemon writes it on every VF change). */
static int sim_state_format(const char *pf, const VfInfo *vfs, uint32_t n, char **ret, size_t *ret_len) {
        _cleanup_free_ char *name = NULL, *text = NULL;
        _cleanup_(json_decrefp) json_t *jpf = json_string(pf);
        size_t cap, len;
        int k;

        if (!jpf)
                return -EINVAL; /* not UTF-8 */
        name = json_dumps(jpf, JSON_ENCODE_ANY);
        if (!name)
                return -ENOMEM;
        /* Each VF line is at most ~220 bytes (10-digit numbers, a 17-character MAC), and up to
         * ~380 more with its counters (20-digit numbers). */
        cap = 128 + strlen(name) + (size_t) n * 640;
        text = malloc(cap);
        if (!text)
                return -ENOMEM;
        k = snprintf(text, cap, "{\"version\": %d, \"pf\": %s, \"num_vfs\": %" PRIu32 ", \"vfs\": [%s", VF_SIM_VERSION,
                     name, n, n ? "\n" : "");
        if (k < 0 || (size_t) k >= cap)
                return -ENOMEM;
        len = (size_t) k;
        for (uint32_t i = 0; i < n; i++) {
                const VfInfo *v = &vfs[i];
                k = snprintf(text + len, cap - len,
                             "  {\"vf\": %" PRIu32 ", \"mac\": \"%s\", \"vlan\": %" PRIu32 ", \"qos\": %" PRIu32
                             ", \"spoofchk\": %s, \"trust\": %s, \"min_tx_rate\": %" PRIu32 ", \"max_tx_rate\": %" PRIu32
                             ", \"link_state\": \"%s\"",
                             v->index, v->mac, v->vlan, v->qos, v->spoofchk > 0 ? "true" : "false",
                             v->trust > 0 ? "true" : "false", v->min_tx_rate, v->max_tx_rate,
                             vf_link_state_to_string(v->link_state) ?: "auto");
                if (k < 0 || (size_t) k >= cap - len)
                        return -ENOMEM;
                len += (size_t) k;
                VfStats st = v->stats;
                for (size_t f = 0; !stats_zero(&st) && f < ELEMENTSOF(stat_fields); f++) {
                        k = snprintf(text + len, cap - len, "%s\"%s\": %" PRIu64, f == 0 ? ", \"stats\": {" : ", ",
                                     stat_fields[f].name, *stat_field(&st, f));
                        if (k < 0 || (size_t) k >= cap - len)
                                return -ENOMEM;
                        len += (size_t) k;
                }
                k = snprintf(text + len, cap - len, "%s}%s\n", stats_zero(&st) ? "" : "}", i + 1 < n ? "," : "");
                if (k < 0 || (size_t) k >= cap - len)
                        return -ENOMEM;
                len += (size_t) k;
        }
        k = snprintf(text + len, cap - len, "]}\n");
        if (k < 0 || (size_t) k >= cap - len)
                return -ENOMEM;
        *ret_len = len + (size_t) k;
        *ret = TAKE_PTR(text);
        return 0;
}

static int sim_state_save(const char *root, const char *path, const char *pf, const VfInfo *vfs, uint32_t n) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = sim_state_format(pf, vfs, n, &text, &len);
        if (r < 0)
                return r;
        /* A simulated device: atomic against a crash of the daemon, no fsync (the real
         * hardware it stands for has no power-loss durability either). The folder is made
         * the first time only. */
        r = write_file_atomic_full(path, text, len, 0644, false);
        if (r == -ENOENT) {
                _cleanup_free_ char *dir = root_path(root, VF_SIM_DIR);
                if (!dir)
                        return -ENOMEM;
                r = mkdir_p(dir, 0755);
                if (r < 0)
                        return r;
                r = write_file_atomic_full(path, text, len, 0644, false);
        }
        return r;
}

/* Exclusive lock on the PF's lock file; returns the fd that holds it (closing it unlocks). */
static int sim_lock_pf(const char *root, const char *pf) {
        _cleanup_free_ char *dir = root_path(root, VF_SIM_LOCK_DIR), *name = NULL, *path = NULL;
        _cleanup_close_ int fd = -EBADF;
        int r;

        if (!dir || asprintf(&name, "%s.lock", pf) < 0 || !(path = path_join(dir, name)))
                return -ENOMEM;
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0 && errno == ENOENT) {
                /* The folder is made the first time only. */
                r = mkdir_p(dir, 0755);
                if (r < 0)
                        return r;
                fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        }
        if (fd < 0)
                return -errno;
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return -errno;
        return TAKE_FD(fd);
}

/* ---- the backend ------------------------------------------------------------------------------ */

struct SimVf {
        char *root;
};

int sim_vf_open(const char *root, void **ret_handle) {
        SimVf *h;

        if (!root)
                return -EINVAL;
        h = calloc(1, sizeof *h);
        if (!h)
                return -ENOMEM;
        h->root = strdup(root);
        if (!h->root) {
                free(h);
                return -ENOMEM;
        }
        *ret_handle = h;
        return 0;
}

void sim_vf_close(void *handle) {
        SimVf *h = handle;
        if (!h)
                return;
        free(h->root);
        free(h);
}

int sim_vf_list(void *handle, const char *pf, unsigned flags, VfInfo **ret, size_t *ret_n) {
        SimVf *h = handle;
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ VfInfo *vfs = NULL;
        SimPf s;
        int r;

        r = sim_pf_load(h->root, pf, &s);
        if (r < 0)
                return r;
        if (s.num_vfs == 0) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }
        path = sim_state_path(h->root, pf);
        if (!path)
                return -ENOMEM;
        r = sim_state_load(path, s.num_vfs, &vfs);
        if (r < 0)
                return r;
        /* As a kernel: the counters only when asked for (no RTEXT_FILTER_SKIP_STATS). */
        for (uint32_t i = 0; i < s.num_vfs; i++) {
                vfs[i].has_stats = flags & VF_LIST_STATS;
                if (!vfs[i].has_stats)
                        vfs[i].stats = (VfStats){};
        }
        *ret = TAKE_PTR(vfs);
        *ret_n = s.num_vfs;
        return 0;
}
static bool is_igb(const SimPf *s) {
        return streq(s->driver, "igb");
}

/* What the driver says to the request, before anything changes. */
static int sim_check(const SimPf *s, const VfSetRequest *req) {
        if (!s->has_sriov)
                return -EOPNOTSUPP; /* no ndo_set_vf_* at all (lo, a VF netdev, ...) */
        if (req->vf >= s->num_vfs)
                return -EINVAL;
        switch (req->kind) {
        case VF_SET_MAC:
                if (req->mac[0] & 1) /* multicast */
                        return -EINVAL;
                return 0;
        case VF_SET_LINK_STATE:
                return is_igb(s) ? -EOPNOTSUPP : 0;
        case VF_SET_RATE:
                if (is_igb(s)) {
                        /* igb_ndo_set_vf_bw: no minimum, link up, at most the link speed. */
                        if (req->min_tx_rate > 0 || s->link_down)
                                return -EINVAL;
                        if (s->speed_mbps > 0 && req->max_tx_rate > s->speed_mbps)
                                return -EINVAL;
                } else if (req->max_tx_rate > 0 && req->min_tx_rate > req->max_tx_rate)
                        return -EINVAL;
                return 0;
        default:
                return 0;
        }
}

static int sim_apply(VfInfo *v, const VfSetRequest *req) {
        switch (req->kind) {
        case VF_SET_MAC:
                vf_mac_format(req->mac, v->mac);
                return 0;
        case VF_SET_VLAN:
                v->vlan = req->vlan;
                v->qos = req->qos;
                return 0;
        case VF_SET_SPOOFCHK:
                v->spoofchk = req->on;
                return 0;
        case VF_SET_TRUST:
                v->trust = req->on;
                return 0;
        case VF_SET_RATE:
                v->min_tx_rate = req->min_tx_rate;
                v->max_tx_rate = req->max_tx_rate;
                return 0;
        case VF_SET_LINK_STATE:
                v->link_state = req->link_state;
                return 0;
        default:
                return -EINVAL;
        }
}

/* The simulated host may ask for slow VF operations (sim.h): the change is made, then the call
 * takes that long (outside the PF's lock: other VFs are not held up). */
static void sim_vf_set_delay(const char *root) {
        _cleanup_free_ char *p = root_path(root, SIM_VF_SET_DELAY_FILE);
        uint64_t ms;
        if (p && read_u64(p, 10, &ms) >= 0 && ms > 0 && ms <= SIM_NUMVFS_DELAY_MAX_MS)
                (void) usleep((useconds_t) ms * 1000);
}

/* A test may hold VF operations (sim.h): once its change is made, a call returns only when
 * SIM_VF_SET_HOLD_FILE is gone or holds a count above 0, which it takes one from. The count's
 * read-modify-write holds a flock(2) of its own (any number of threads and processes); what
 * cannot be read (a test's write under way) counts as 0. Never longer than the simulated
 * host's limit, so that a test that died does not keep the daemon's workers for ever. */
static void sim_vf_set_hold(const char *root) {
        _cleanup_free_ char *p = root_path(root, SIM_VF_SET_HOLD_FILE), *dir = root_path(root, VF_SIM_LOCK_DIR),
                            *lock_path = dir ? path_join(dir, "vf-set-hold.lock") : NULL;
        if (!p || !lock_path || access(p, F_OK) < 0)
                return;
        for (unsigned waited_ms = 0; waited_ms < SIM_NUMVFS_DELAY_MAX_MS; waited_ms += 5) {
                _cleanup_close_ int fd = -EBADF;
                uint64_t n;
                bool go = false;

                (void) mkdir_p(dir, 0755);
                fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
                if (fd < 0)
                        return;
                while (flock(fd, LOCK_EX) < 0)
                        if (errno != EINTR)
                                return;
                if (access(p, F_OK) < 0)
                        go = true;
                else if (read_u64(p, 10, &n) >= 0 && n > 0) {
                        char buf[32];
                        snprintf(buf, sizeof buf, "%" PRIu64 "\n", n - 1);
                        go = write_file_atomic(p, buf, strlen(buf), 0644) >= 0;
                }
                if (go)
                        return;
                closep(&fd);
                fd = -EBADF;
                (void) usleep(5000);
        }
}

/* Several requests for one PF: each is judged as the driver would judge it on its own (a
 * refused one changes nothing), and the PF's file is read and written once, under its lock. */
int sim_vf_set(void *handle, const char *pf, const VfSetRequest *reqs, size_t n, int *results) {
        SimVf *h = handle;
        _cleanup_free_ char *path = NULL;
        _cleanup_free_ VfInfo *vfs = NULL;
        _cleanup_close_ int lock = -EBADF;
        bool changed = false;
        SimPf s;
        int r;

        r = sim_pf_load(h->root, pf, &s);
        if (r < 0)
                return r;
        if (!(path = sim_state_path(h->root, pf)))
                return -ENOMEM;
        lock = sim_lock_pf(h->root, pf);
        if (lock < 0)
                return lock;
        r = sim_state_load(path, s.num_vfs, &vfs);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                results[i] = sim_check(&s, &reqs[i]);
                if (results[i] >= 0)
                        results[i] = sim_apply(&vfs[reqs[i].vf], &reqs[i]);
                if (results[i] >= 0)
                        changed = true;
        }
        r = changed ? sim_state_save(h->root, path, pf, vfs, s.num_vfs) : 0;
        closep(&lock);
        lock = -EBADF;
        sim_vf_set_hold(h->root);
        sim_vf_set_delay(h->root);
        return r;
}
