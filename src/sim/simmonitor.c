/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The simulated host's PF event source (backend.h monitor_open): a unix datagram socket,
 * ROOT/run/accelnet-sim/events.sock, watched on the daemon's loop (no polling). Each
 * datagram is one event of simevent.h's protocol: the simulated kernel first changes the
 * fake sysfs as a real one would (carrier, operstate, carrier_changes, flags, the driver
 * link, the aer_dev_* totals, the PCIe link), then hands the monitor the notification a
 * real kernel would send (an RTM_NEWLINK read back from that sysfs, a udev event, a devlink
 * reporter message), so that what the daemon reads always agrees with what it was told. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "fakesysfs.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/pciaddr.h"
#include "sim-internal.h"
#include "simevent.h"
#include "sriov/healthfacts.h"
#include "sriov/monitor-source.h"

typedef struct SimMonitor {
        PfMonitor *mon;
        char *root;
        int fd;
        sd_event_source *source;
} SimMonitor;

static int failf(char **ret, const char *fmt, ...) _printf_(2, 3);
static int failf(char **ret, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(ret, fmt, ap) < 0)
                *ret = NULL;
        va_end(ap);
        return -EINVAL;
}

static char *rooted(const char *root, const char *fmt, ...) _printf_(2, 3);
static char *rooted(const char *root, const char *fmt, ...) {
        _cleanup_free_ char *rel = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&rel, fmt, ap);
        va_end(ap);
        return n < 0 ? NULL : root_path(root, rel);
}

/* The PF named by address or netdev: its address and its netdev (NULL when it has none). */
static int resolve(const char *root, const char *name, char address[static PCI_ADDR_STRLEN], char **ret_ifname,
                   char **err) {
        PciAddr a;
        if (pci_addr_parse(name, &a) >= 0) {
                pci_addr_format(&a, address);
                _cleanup_free_ char *dev = rooted(root, "sys/bus/pci/devices/%s", address);
                if (!dev)
                        return -ENOMEM;
                if (!file_exists(dev))
                        return failf(err, "no PCI device %s in the simulated host", address);
                int r = pf_read_ifname(root, address, ret_ifname);
                if (r == -ENOENT)
                        *ret_ifname = NULL;
                return r == -ENOMEM ? r : 0;
        }
        if (pf_netdev_address(root, name, address) < 0)
                return failf(err, "no netdev %s of a PCI device in the simulated host", name);
        *ret_ifname = strdup(name);
        return *ret_ifname ? 0 : -ENOMEM;
}

static int put(const char *path, const char *fmt, ...) _printf_(2, 3);
static int put(const char *path, const char *fmt, ...) {
        _cleanup_free_ char *s = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&s, fmt, ap);
        va_end(ap);
        /* a new file where needed (aer_dev_*, the PCIe link), replaced whole as sysfs reads are */
        return n < 0 ? -ENOMEM : write_file_atomic_full(path, s, (size_t) n, 0644, false);
}

/* ---- link --------------------------------------------------------------------------------- */

/* Carrier (and the administrative state) of a netdev, with carrier_changes counting every
 * change of the effective carrier, as the kernel counts them. Then the RTM_NEWLINK. */
static int set_link(SimMonitor *s, const char *ifname, bool carrier, int admin_up, char **err) {
        _cleanup_free_ char *dir = rooted(s->root, "sys/class/net/%s", ifname);
        _cleanup_free_ char *pc = NULL, *po = NULL, *pcc = NULL, *pf = NULL;
        PfLinkFacts old;
        int r;

        if (!dir || !(pc = path_join(dir, "carrier")) || !(po = path_join(dir, "operstate")) ||
            !(pcc = path_join(dir, "carrier_changes")) || !(pf = path_join(dir, "flags")))
                return -ENOMEM;
        r = pf_read_link(s->root, ifname, &old);
        if (r < 0)
                return r;
        bool admin_old = old.admin_up != 0, admin_new = admin_up < 0 ? admin_old : admin_up;
        bool eff_old = admin_old && old.carrier == 1, eff_new = admin_new && carrier;
        uint64_t changes = old.carrier_changes >= 0 ? (uint64_t) old.carrier_changes : 0;
        if (eff_old != eff_new)
                changes++;
        r = put(pf, "0x%x\n", admin_new ? 0x1003 : 0x1002);
        if (r >= 0 && admin_new)
                r = put(pc, "%d\n", carrier ? 1 : 0);
        else if (r >= 0)
                (void) unlink(pc); /* reading carrier fails while the netdev is down */
        if (r >= 0)
                r = put(po, "%s\n", eff_new ? "up" : "down");
        if (r >= 0)
                r = put(pcc, "%" PRIu64 "\n", changes);
        if (r < 0)
                return failf(err, "cannot write the link of %s: %s", ifname, strerror(-r));

        MonitorLinkMsg msg = { .ifname = ifname };
        r = pf_read_link(s->root, ifname, &msg.link);
        if (r < 0)
                return r;
        pf_monitor_feed_link(s->mon, &msg);
        return 0;
}

/* ---- driver ------------------------------------------------------------------------------- */

/* The device folder relative to the root ("sys/devices/..."). */
static int device_rel(const char *root, const char *address, char **ret) {
        _cleanup_free_ char *link = rooted(root, "sys/bus/pci/devices/%s", address), *target = NULL;
        if (!link)
                return -ENOMEM;
        int r = readlink_malloc(link, &target);
        if (r < 0)
                return r;
        const char *p = target;
        while (strncmp(p, "../", 3) == 0)
                p += 3;
        if (strncmp(p, "devices/", 8) != 0)
                return -EBADMSG;
        return asprintf(ret, "sys/%s", p) < 0 ? -ENOMEM : 0;
}

static int unbind(SimMonitor *s, const char *address, char **err) {
        char driver[PF_DRIVER_NAME_MAX];
        int r = pf_read_driver(s->root, address, driver);
        if (r < 0)
                return r == -ENOMEM ? r : failf(err, "no PCI device %s", address);
        if (r == 0)
                return failf(err, "%s has no driver bound", address);
        _cleanup_free_ char *link = rooted(s->root, "sys/bus/pci/devices/%s/driver", address);
        _cleanup_free_ char *back = rooted(s->root, "sys/bus/pci/drivers/%s/%s", driver, address);
        _cleanup_free_ char *stash = rooted(s->root, "run/accelnet-sim/unbound/%s", address);
        _cleanup_free_ char *stash_dir = rooted(s->root, "run/accelnet-sim/unbound");
        if (!link || !back || !stash || !stash_dir)
                return -ENOMEM;
        (void) mkdir_p(stash_dir, 0755);
        r = put(stash, "%s\n", driver);
        if (r < 0)
                return failf(err, "cannot write %s: %s", stash, strerror(-r));
        if (unlink(link) < 0)
                return failf(err, "cannot unbind %s: %s", address, strerror(errno));
        (void) unlink(back);
        pf_monitor_feed_uevent(s->mon, &(MonitorUevent){ .action = "unbind", .sysname = address });
        return 0;
}

static int bind_driver(SimMonitor *s, const char *address, const char *want, char **err) {
        char driver[PF_DRIVER_NAME_MAX];
        _cleanup_free_ char *stash = rooted(s->root, "run/accelnet-sim/unbound/%s", address), *had = NULL, *rel = NULL;
        int r = pf_read_driver(s->root, address, driver);
        if (r < 0)
                return r == -ENOMEM ? r : failf(err, "no PCI device %s", address);
        if (r > 0)
                return failf(err, "%s is bound to %s already", address, driver);
        if (!stash)
                return -ENOMEM;
        if (!want[0]) {
                if (read_one_line(stash, &had) < 0)
                        return failf(err, "%s never had a driver here: give \"driver\"", address);
                want = had;
        }
        r = device_rel(s->root, address, &rel);
        if (r < 0)
                return failf(err, "cannot find the device folder of %s: %s", address, strerror(-r));
        r = fs_bind_driver(s->root, rel, address, want);
        if (r < 0)
                return failf(err, "cannot bind %s to %s: %s", address, want, strerror(-r));
        (void) unlink(stash);
        pf_monitor_feed_uevent(s->mon, &(MonitorUevent){ .action = "bind", .sysname = address, .driver = want });
        return 0;
}

/* ---- recovery, PCIe ------------------------------------------------------------------------- */

static int add_aer(SimMonitor *s, const char *address, const uint64_t add[3], char **err) {
        static const char *const files[3] = { "aer_dev_correctable", "aer_dev_nonfatal", "aer_dev_fatal" };
        static const char *const first[3] = { "BadTLP", "CmpltTO", "SurpDn" };
        static const char *const total[3] = { "TOTAL_ERR_COR", "TOTAL_ERR_NONFATAL", "TOTAL_ERR_FATAL" };
        PfAerFacts a;
        int r = pf_read_aer(s->root, address, &a);
        if (r < 0)
                return r;
        const int64_t now[3] = { a.correctable, a.nonfatal, a.fatal };
        bool any = false;
        for (int i = 0; i < 3; i++)
                any = any || add[i] > 0 || now[i] < 0;
        if (!any)
                return 0;
        for (int i = 0; i < 3; i++) {
                uint64_t v = (now[i] > 0 ? (uint64_t) now[i] : 0) + add[i];
                _cleanup_free_ char *p = rooted(s->root, "sys/bus/pci/devices/%s/%s", address, files[i]);
                if (!p)
                        return -ENOMEM;
                r = put(p, "%s %" PRIu64 "\n%s %" PRIu64 "\n", first[i], v, total[i], v);
                if (r < 0)
                        return failf(err, "cannot write %s: %s", p, strerror(-r));
        }
        return 0;
}

static const char *error_event_of(PfEventKind k) {
        return k == PF_EVENT_RECOVERY_BEGIN ? "BEGIN_RECOVERY"
               : k == PF_EVENT_RECOVERY_SUCCESS ? "SUCCESSFUL_RECOVERY" : "FAILED_RECOVERY";
}

static int set_pcie(SimMonitor *s, const char *address, const SimEvent *e, char **err) {
        struct {
                const char *file;
                char value[40];
        } w[4] = { { "current_link_speed", "" }, { "current_link_width", "" }, { "max_link_speed", "" },
                   { "max_link_width", "" } };
        snprintf(w[0].value, sizeof w[0].value, "%s\n", e->speed);
        snprintf(w[1].value, sizeof w[1].value, "%" PRIu32 "\n", e->width);
        if (e->max_speed[0])
                snprintf(w[2].value, sizeof w[2].value, "%s\n", e->max_speed);
        if (e->max_width)
                snprintf(w[3].value, sizeof w[3].value, "%" PRIu32 "\n", e->max_width);
        for (size_t i = 0; i < ELEMENTSOF(w); i++) {
                if (!w[i].value[0])
                        continue;
                _cleanup_free_ char *p = rooted(s->root, "sys/bus/pci/devices/%s/%s", address, w[i].file);
                if (!p)
                        return -ENOMEM;
                int r = put(p, "%s", w[i].value);
                if (r < 0)
                        return failf(err, "cannot write %s: %s", p, strerror(-r));
        }
        pf_monitor_feed_uevent(s->mon, &(MonitorUevent){ .action = "change", .sysname = address });
        return 0;
}

/* ---- one datagram ----------------------------------------------------------------------------- */

static int apply(SimMonitor *s, const SimEvent *e, char **err) {
        char address[PCI_ADDR_STRLEN];
        _cleanup_free_ char *ifname = NULL;
        int r = resolve(s->root, e->pf, address, &ifname, err);
        if (r < 0)
                return r;

        switch (e->type) {
        case SIM_EVENT_LINK:
        case SIM_EVENT_FLAP:
                if (!ifname)
                        return failf(err, "%s has no netdev", address);
                if (e->type == SIM_EVENT_LINK)
                        return set_link(s, ifname, e->carrier, e->admin_up, err);
                for (unsigned i = 0; i < e->count; i++) {
                        PfLinkFacts l;
                        r = pf_read_link(s->root, ifname, &l);
                        if (r >= 0)
                                r = set_link(s, ifname, l.carrier != 1, -1, err);
                        if (r < 0)
                                return r;
                }
                return 0;
        case SIM_EVENT_UNBIND:
                return unbind(s, address, err);
        case SIM_EVENT_BIND:
                return bind_driver(s, address, e->driver, err);
        case SIM_EVENT_RECOVERY:
                r = add_aer(s, address, e->aer_add, err);
                if (r < 0)
                        return r;
                pf_monitor_feed_uevent(s->mon, &(MonitorUevent){ .action = "change", .sysname = address,
                                                                 .error_event = error_event_of(e->recovery) });
                return 0;
        case SIM_EVENT_PCIE_LINK:
                return set_pcie(s, address, e, err);
        case SIM_EVENT_DEVLINK:
                pf_monitor_feed_reporter(s->mon, "pci", address, &e->reporter);
                return 0;
        default:
                return -EINVAL;
        }
}

static int on_datagram(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        SimMonitor *s = userdata;
        char buf[SIM_EVENT_MAX_SIZE + 1];

        for (unsigned i = 0; i < 256; i++) {
                struct sockaddr_un peer = {};
                socklen_t plen = sizeof peer;
                ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_TRUNC | MSG_DONTWAIT, (struct sockaddr *) &peer, &plen);
                if (n < 0) {
                        if (errno != EAGAIN && errno != EINTR)
                                log_debug("Simulated events: %m");
                        break;
                }
                _cleanup_free_ char *err = NULL;
                SimEvent e;
                int r;
                if ((size_t) n > SIM_EVENT_MAX_SIZE)
                        r = failf(&err, "an event is at most %u bytes", SIM_EVENT_MAX_SIZE);
                else {
                        r = sim_event_parse(buf, (size_t) n, &e, &err);
                        if (r >= 0)
                                r = apply(s, &e, &err);
                }
                if (r < 0)
                        log_debug("Simulated event refused: %s", err ? err : strerror(-r));
                /* a sender with an address of its own hears how it went */
                if (plen > sizeof(sa_family_t)) {
                        _cleanup_free_ char *reply = NULL;
                        if (asprintf(&reply, "%s%s", r >= 0 ? "ok" : "error: ", r >= 0 ? "" : err ? err : strerror(-r)) >= 0)
                                (void) sendto(fd, reply, strlen(reply), MSG_DONTWAIT | MSG_NOSIGNAL,
                                              (struct sockaddr *) &peer, plen);
                }
        }
        return 0;
}

void sim_monitor_close(void *handle) {
        SimMonitor *s = handle;
        if (!s)
                return;
        sd_event_source_disable_unref(s->source);
        if (s->fd >= 0)
                close(s->fd);
        free(s->root);
        free(s);
}

int sim_monitor_open(PfMonitor *mon, void **ret_handle) {
        _cleanup_free_ char *path = rooted(pf_monitor_get_root(mon), "%s", SIM_EVENTS_SOCKET);
        _cleanup_free_ char *dir = rooted(pf_monitor_get_root(mon), "run/accelnet-sim");
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        SimMonitor *s;
        int r;

        if (!path || !dir)
                return -ENOMEM;
        if (strlen(path) >= sizeof sa.sun_path) {
                pf_monitor_note_source(mon, "simulated events", -ENAMETOOLONG, "the root's path is too long for a socket");
                return -ENAMETOOLONG;
        }
        s = calloc(1, sizeof *s);
        if (!s || !(s->root = strdup(pf_monitor_get_root(mon)))) {
                free(s);
                return -ENOMEM;
        }
        s->mon = mon;
        s->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (s->fd < 0) {
                r = -errno;
                goto fail;
        }
        r = mkdir_p(dir, 0755);
        if (r < 0)
                goto fail;
        strcpy(sa.sun_path, path);
        (void) unlink(path);
        if (bind(s->fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
                r = -errno;
                goto fail;
        }
        (void) chmod(path, 0600);
        r = sd_event_add_io(pf_monitor_get_event(mon), &s->source, s->fd, EPOLLIN, on_datagram, s);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_description(s->source, "health-simulated");
        pf_monitor_note_source(mon, "simulated events on " SIM_EVENTS_SOCKET, 0, NULL);
        *ret_handle = s;
        return 0;
fail:
        pf_monitor_note_source(mon, "simulated events", r, NULL);
        sim_monitor_close(s);
        return r;
}
