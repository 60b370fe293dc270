/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A PF's health facts from sysfs (healthfacts.h). */
#include <dirent.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>

#include "healthfacts.h"
#include "shared/fileio.h"
#include "shared/macro.h"
#include "shared/pciaddr.h"

#define AER_FILE_MAX 8192u

static char *dev_attr(const char *root, const char *address, const char *name) {
        _cleanup_free_ char *rel = NULL;
        if (asprintf(&rel, "sys/bus/pci/devices/%s/%s", address, name) < 0)
                return NULL;
        return root_path(root, rel);
}

static char *net_attr(const char *root, const char *ifname, const char *name) {
        _cleanup_free_ char *rel = NULL;
        if (asprintf(&rel, "sys/class/net/%s/%s", ifname, name) < 0)
                return NULL;
        return root_path(root, rel);
}

/* A name that is one path component: a netdev or a driver. */
static bool name_ok(const char *s) {
        return s && *s && strlen(s) < 256 && !strchr(s, '/') && !streq(s, ".") && !streq(s, "..");
}

int pf_read_link(const char *root, const char *ifname, PfLinkFacts *ret) {
        PfLinkFacts l = PF_LINK_FACTS_UNKNOWN;
        _cleanup_free_ char *carrier = NULL, *oper = NULL, *changes = NULL, *flags = NULL, *s = NULL;
        uint64_t v;

        if (!name_ok(ifname)) {
                *ret = l;
                return 0;
        }
        carrier = net_attr(root, ifname, "carrier");
        oper = net_attr(root, ifname, "operstate");
        changes = net_attr(root, ifname, "carrier_changes");
        flags = net_attr(root, ifname, "flags");
        if (!carrier || !oper || !changes || !flags)
                return -ENOMEM;
        /* carrier fails with EINVAL while the netdev is administratively down: unknown */
        if (read_u64(carrier, 10, &v) >= 0 && v <= 1)
                l.carrier = (int) v;
        if (read_one_line(oper, &s) >= 0) {
                PfOperState o = pf_oper_state_from_string(s);
                l.operstate = o >= 0 ? o : PF_OPER_UNKNOWN;
        }
        if (read_u64(changes, 10, &v) >= 0 && v <= INT64_MAX)
                l.carrier_changes = (int64_t) v;
        if (read_u64(flags, 16, &v) >= 0)
                l.admin_up = (v & IFF_UP) ? 1 : 0;
        *ret = l;
        return 0;
}

int aer_total_parse(const char *text, const char *key, int64_t *ret) {
        size_t kl = strlen(key);
        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
                if (strncmp(p, key, kl) != 0 || p[kl] != ' ')
                        continue;
                const char *v = p + kl;
                while (*v == ' ')
                        v++;
                char num[24];
                size_t n = strcspn(v, "\n");
                if (n == 0 || n >= sizeof num)
                        return -EBADMSG;
                memcpy(num, v, n);
                num[n] = 0;
                uint64_t u;
                if (parse_u64(num, 10, &u) < 0 || u > INT64_MAX)
                        return -EBADMSG;
                *ret = (int64_t) u;
                return 0;
        }
        return -EBADMSG;
}

static int read_aer_file(const char *root, const char *address, const char *file, const char *key, int64_t *ret) {
        _cleanup_free_ char *p = dev_attr(root, address, file), *text = NULL;
        if (!p)
                return -ENOMEM;
        *ret = -1;
        if (read_full_file(p, AER_FILE_MAX, &text, NULL) < 0)
                return 0;
        (void) aer_total_parse(text, key, ret);
        return 0;
}

int pf_read_aer(const char *root, const char *address, PfAerFacts *ret) {
        PfAerFacts a = PF_AER_FACTS_UNKNOWN;
        int r = read_aer_file(root, address, "aer_dev_correctable", "TOTAL_ERR_COR", &a.correctable);
        if (r >= 0)
                r = read_aer_file(root, address, "aer_dev_nonfatal", "TOTAL_ERR_NONFATAL", &a.nonfatal);
        if (r >= 0)
                r = read_aer_file(root, address, "aer_dev_fatal", "TOTAL_ERR_FATAL", &a.fatal);
        if (r < 0)
                return r;
        *ret = a;
        return 0;
}

static uint32_t read_speed(const char *root, const char *address, const char *name) {
        _cleanup_free_ char *p = dev_attr(root, address, name), *s = NULL;
        uint32_t v = 0;
        if (p && read_one_line(p, &s) >= 0 && pcie_speed_parse(s, &v) >= 0)
                return v;
        return 0;
}

static uint32_t read_width(const char *root, const char *address, const char *name) {
        _cleanup_free_ char *p = dev_attr(root, address, name);
        uint64_t v;
        if (p && read_u64(p, 10, &v) >= 0 && v <= 64)
                return (uint32_t) v;
        return 0;
}

/* The speeds of the netdevs of every function of the same device (DDDD:BB:DD.*). */
static int read_ports(const char *root, const char *address, PfPcieFacts *p) {
        _cleanup_free_ char *dir = root_path(root, "sys/bus/pci/devices");
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        PciAddr self;

        if (!dir)
                return -ENOMEM;
        if (pci_addr_parse(address, &self) < 0 || !(d = opendir(dir)))
                return 0;
        while ((de = readdir(d))) {
                PciAddr a;
                if (pci_addr_parse(de->d_name, &a) < 0 || a.domain != self.domain || a.bus != self.bus ||
                    a.dev != self.dev)
                        continue;
                _cleanup_free_ char *netdir = dev_attr(root, de->d_name, "net");
                if (!netdir)
                        return -ENOMEM;
                _cleanup_(closedirp) DIR *nd = opendir(netdir);
                struct dirent *ne;
                while (nd && (ne = readdir(nd))) {
                        if (ne->d_name[0] == '.')
                                continue;
                        _cleanup_free_ char *sp = path_join(netdir, ne->d_name), *speed = NULL;
                        if (!sp || !(speed = path_join(sp, "speed")))
                                return -ENOMEM;
                        int64_t s;
                        /* a link that is down reads -1 or fails: not counted */
                        if (read_s64(speed, 10, &s) >= 0 && s > 0 && s <= 10000000) {
                                p->ports_mbps += (uint64_t) s;
                                p->n_ports++;
                        }
                }
        }
        return 0;
}

int pf_read_pcie(const char *root, const char *address, PfPcieFacts *ret) {
        PfPcieFacts p = {
                .cur_speed_mts = read_speed(root, address, "current_link_speed"),
                .max_speed_mts = read_speed(root, address, "max_link_speed"),
                .cur_width = read_width(root, address, "current_link_width"),
                .max_width = read_width(root, address, "max_link_width"),
        };
        int r = read_ports(root, address, &p);
        if (r < 0)
                return r;
        *ret = p;
        return 0;
}

int pf_read_driver(const char *root, const char *address, char buf[static PF_DRIVER_NAME_MAX]) {
        _cleanup_free_ char *dev = dev_attr(root, address, ""), *link = dev_attr(root, address, "driver"), *target = NULL;
        if (!dev || !link)
                return -ENOMEM;
        buf[0] = 0;
        if (!file_exists(dev))
                return -ENOENT;
        int r = readlink_malloc(link, &target);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return 0;
        snprintf(buf, PF_DRIVER_NAME_MAX, "%s", path_basename(target));
        return 1;
}

int pf_read_ifname(const char *root, const char *address, char **ret) {
        _cleanup_free_ char *netdir = dev_attr(root, address, "net");
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        char *best = NULL;

        if (!netdir)
                return -ENOMEM;
        d = opendir(netdir);
        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.' || (best && strcmp(de->d_name, best) >= 0))
                        continue;
                free(best);
                if (!(best = strdup(de->d_name)))
                        return -ENOMEM;
        }
        if (!best)
                return -ENOENT;
        *ret = best;
        return 0;
}

int pf_netdev_address(const char *root, const char *ifname, char ret[static PCI_ADDR_STRLEN]) {
        _cleanup_free_ char *p = NULL, *rel = NULL;
        char real[PATH_MAX];
        PciAddr a;

        if (!name_ok(ifname))
                return -ENOENT;
        if (asprintf(&rel, "sys/class/net/%s", ifname) < 0 || !(p = root_path(root, rel)))
                return -ENOMEM;
        /* sys/class/net/IFNAME -> .../DDDD:BB:DD.F/net/IFNAME */
        if (!realpath(p, real))
                return -ENOENT;
        char *slash = strrchr(real, '/');
        if (!slash || slash == real)
                return -ENOENT;
        *slash = 0;
        if (!streq(path_basename(real), "net") || !(slash = strrchr(real, '/')))
                return -ENOENT;
        *slash = 0;
        if (pci_addr_parse(path_basename(real), &a) < 0)
                return -ENOENT;
        pci_addr_format(&a, ret);
        return 0;
}

int pf_read_health_facts(const char *root, const char *address, const char *ifname, PfHealthFacts *ret) {
        _cleanup_free_ char *own = NULL;
        PfHealthFacts f;
        int r;

        pf_health_facts_init(&f);
        r = pf_read_driver(root, address, f.driver);
        if (r == -ENOMEM)
                return r;
        f.bound = r > 0 ? 1 : 0;
        if (!ifname) {
                r = pf_read_ifname(root, address, &own);
                if (r == -ENOMEM)
                        return r;
                ifname = own;
        }
        if (f.bound > 0) {
                r = pf_read_link(root, ifname, &f.link);
                if (r < 0)
                        return r;
        }
        r = pf_read_aer(root, address, &f.aer);
        if (r < 0)
                return r;
        r = pf_read_pcie(root, address, &f.pcie);
        if (r < 0)
                return r;
        *ret = f;
        return 0;
}
