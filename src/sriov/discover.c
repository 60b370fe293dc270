/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <limits.h>
#include <pci/header.h>
#include <stdio.h>
#include <sys/stat.h>

#include "discover.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strutil.h"

#define MAX_PATH_DEPTH 32
#define MIN_CONFIG_SIZE 64
#define MAX_CONFIG_SIZE 4096

typedef struct Walk {
        const char *root;
        size_t root_len;       /* of the canonical root, 0 for "/" */
        char *root_canon;
        PciAccess *pacc;
        HostFacts *host;
} Walk;

static int problem(PfFacts *f, const char *fmt, ...) _printf_(2, 3);
static int problem(PfFacts *f, const char *fmt, ...) {
        char buf[1024];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        return strv_appendf(&f->problems, &f->n_problems, "%s", buf);
}

static const char *errno_text(int r) {
        switch (r) {
        case -EBADMSG:
                return "not a valid value";
        case -EFBIG:
                return "unexpectedly large";
        case -ERANGE:
                return "value out of range";
        case -ELOOP:
                return "symbolic link loop";
        case -ENOLINK:
                return "dangling link (its target does not exist)";
        default:
                return strerror(-r);
        }
}

/* Reads DIR/ATTR as a number. Missing optional files return -ENOENT quietly; anything else
 * that is wrong is recorded as a problem naming REL/ATTR. */
static int attr_u64(PfFacts *f, const char *dir, const char *rel, const char *attr, int base,
                    bool required, uint64_t *ret) {
        _cleanup_free_ char *p = path_join(dir, attr);
        int r;

        if (!p)
                return -ENOMEM;
        r = read_u64(p, base, ret);
        if (r == -ENOENT && !required)
                return r;
        if (r < 0)
                (void) problem(f, "%s/%s: %s", rel, attr, errno_text(r));
        return r;
}

static int attr_s64(PfFacts *f, const char *dir, const char *rel, const char *attr,
                    int64_t *ret) {
        _cleanup_free_ char *p = path_join(dir, attr);
        int r;

        if (!p)
                return -ENOMEM;
        r = read_s64(p, 0, ret);
        if (r < 0 && r != -ENOENT)
                (void) problem(f, "%s/%s: %s", rel, attr, errno_text(r));
        return r;
}

/* The name a sysfs link (driver, iommu_group) leads to: the basename of its resolved target,
 * so that a link which only looks right (a loop, a dangling target) is not taken for a driver
 * or a group. -ENOENT when there is no link at all; -ENOLINK when it points nowhere. */
static int link_basename(const char *dir, const char *attr, char **ret) {
        _cleanup_free_ char *p = path_join(dir, attr), *target = NULL;
        char canon[PATH_MAX];
        int r;

        if (!p)
                return -ENOMEM;
        r = readlink_malloc(p, &target);
        if (r < 0)
                return r;
        if (!realpath(p, canon))
                return errno == ENOENT ? -ENOLINK : -errno;
        char *b = strdup(path_basename(canon));
        if (!b)
                return -ENOMEM;
        *ret = b;
        return 0;
}

/* Canonical path → path relative to the root, or NULL if outside it. */
static char *rel_to_root(const Walk *w, const char *canon) {
        if (w->root_len == 0)
                return strdup(canon + 1);
        if (strncmp(canon, w->root_canon, w->root_len) != 0 || canon[w->root_len] != '/')
                return NULL;
        return strdup(canon + w->root_len + 1);
}

/* Reads the config file ourselves: how much of it is there and whether it reads all
 * ones. libpci is asked only after this succeeded. */
static int check_config(const char *dir, size_t *ret_size, bool *ret_all_ones, uint8_t hdr[64]) {
        _cleanup_free_ char *p = path_join(dir, "config"), *buf = NULL;
        size_t n;
        int r;
        struct stat st;

        if (!p)
                return -ENOMEM;
        if (stat(p, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        r = read_full_file(p, MAX_CONFIG_SIZE, &buf, &n);
        if (r < 0)
                return r;
        *ret_size = n;
        if (n < MIN_CONFIG_SIZE)
                return -ENODATA;
        memcpy(hdr, buf, 64);
        *ret_all_ones = true;
        for (size_t i = 0; i < MIN_CONFIG_SIZE; i++)
                if ((uint8_t) buf[i] != 0xff) {
                        *ret_all_ones = false;
                        break;
                }
        return 0;
}

static const char *config_problem(int r, size_t size) {
        static _Thread_local char buf[128];
        if (r == -ENODATA) {
                snprintf(buf, sizeof buf, "truncated (%zu bytes, at least %d needed)", size, MIN_CONFIG_SIZE);
                return buf;
        }
        if (r == -EBADMSG)
                return "not a regular file";
        return errno_text(r);
}

static int read_port(Walk *w, const char *canon_dir, PciPort *port) {
        _cleanup_free_ char *bus_dir = NULL, *rel = NULL;
        uint8_t hdr[64];
        size_t size = 0;
        bool ones = false;
        PciAddr a;
        PciConfigInfo info;
        int r;

        *port = (PciPort){ .pcie_type = PCIE_TYPE_NONE, .acs_offset = -1, .secondary_bus = -1,
                           .subordinate_bus = -1 };
        snprintf(port->address, sizeof port->address, "%s", path_basename(canon_dir));
        port->sysfs_rel = rel_to_root(w, canon_dir);
        (void) pci_addr_parse(port->address, &a);

        /* libpci reaches the port through sys/bus/pci/devices: check that path. */
        rel = path_join("sys/bus/pci/devices", port->address);
        bus_dir = root_path(w->root, rel);
        if (!rel || !bus_dir)
                return -ENOMEM;
        r = check_config(bus_dir, &size, &ones, hdr);
        if (r < 0) {
                if (asprintf(&port->problem, "%s/config: %s", rel, config_problem(r, size)) < 0)
                        return -ENOMEM;
                return 0;
        }
        if (ones) {
                if (asprintf(&port->problem, "%s/config: reads all ones (port powered off or gone)", rel) < 0)
                        return -ENOMEM;
                return 0;
        }
        r = pci_access_read_info(w->pacc, &a, &info);
        if (r < 0)
                return r;
        port->pcie_type = info.pcie_type;
        port->has_acs = info.has_acs;
        port->acs_offset = info.acs_pos;
        port->acs_cap = info.acs_cap;
        port->acs_ctrl = info.acs_ctrl;
        port->secondary_bus = info.secondary_bus;
        port->subordinate_bus = info.subordinate_bus;
        port->bus_source = "config";

        /* The kernel's view of the bus range wins over the registers when it has one. */
        uint64_t sec, sub;
        {
                _cleanup_free_ char *ps = path_join(bus_dir, "secondary_bus_number");
                _cleanup_free_ char *pu = path_join(bus_dir, "subordinate_bus_number");
                if (ps && pu && read_u64(ps, 0, &sec) >= 0 && read_u64(pu, 0, &sub) >= 0 &&
                    sec <= 255 && sub <= 255) {
                        port->secondary_bus = (int) sec;
                        port->subordinate_bus = (int) sub;
                        port->bus_source = "subordinate_bus_number";
                }
        }

        uint16_t vendor = (uint16_t) (hdr[0] | hdr[1] << 8), device = (uint16_t) (hdr[2] | hdr[3] << 8);
        _cleanup_free_ char *vn = NULL, *dn = NULL;
        if (pci_access_lookup_names(w->pacc, vendor, device, &vn, &dn) >= 0)
                if (asprintf(&port->name, "%s %s", vn, dn) < 0)
                        port->name = NULL;
        return 0;
}

static int walk_upstream(Walk *w, const char *canon, PfFacts *f) {
        _cleanup_free_ char *dir = strdup(canon);
        if (!dir)
                return -ENOMEM;

        for (int depth = 0; depth < MAX_PATH_DEPTH; depth++) {
                char *slash = strrchr(dir, '/');
                PciAddr a;
                int r;

                if (!slash || slash == dir)
                        break;
                *slash = 0;
                const char *base = path_basename(dir);
                if (strncmp(base, "pci", 3) == 0) {
                        f->path_complete = true;
                        return 0;
                }
                if (pci_addr_parse(base, &a) < 0)
                        break;
                PciPort *np = realloc(f->path, sizeof(PciPort) * (f->n_path + 1));
                if (!np)
                        return -ENOMEM;
                f->path = np;
                r = read_port(w, dir, &f->path[f->n_path]);
                f->n_path++;
                if (r < 0)
                        return r;
        }
        _cleanup_free_ char *rel = rel_to_root(w, canon);
        return problem(f, "%s: the walk up to the root port did not reach a host bridge (pciDDDD:BB)",
                       rel ? rel : canon);
}

static int count_virtfn(const char *dir) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;
        int n = 0;
        if (!d)
                return 0;
        while ((de = readdir(d)))
                if (strncmp(de->d_name, "virtfn", 6) == 0)
                        n++;
        return n;
}

static int first_entry(const char *dir, char **ret) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;
        char *best = NULL;
        if (!d)
                return -errno;
        /* Deterministic: the alphabetically first interface name. */
        while ((de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                if (!best || strcmp(de->d_name, best) < 0) {
                        free(best);
                        best = strdup(de->d_name);
                        if (!best)
                                return -ENOMEM;
                }
        }
        if (!best)
                return -ENOENT;
        *ret = best;
        return 0;
}

static bool has_sriov_attr(const char *dir) {
        _cleanup_free_ char *p = path_join(dir, "sriov_totalvfs");
        return p && file_exists(p);
}

static int append_adapter(HostFacts *h, PfFacts *f) {
        PfFacts *na = realloc(h->adapters, sizeof(PfFacts) * (h->n_adapters + 1));
        if (!na)
                return -ENOMEM;
        h->adapters = na;
        h->adapters[h->n_adapters++] = *f;
        *f = (PfFacts){};
        return 0;
}

static void read_pf_sysfs(PfFacts *f, const char *dir, const char *rel) {
        uint64_t v;
        int64_t s;
        int r;

        r = link_basename(dir, "driver", &f->driver);
        if (r < 0 && r != -ENOENT)
                (void) problem(f, "%s/driver: %s", rel, errno_text(r));

        _cleanup_free_ char *netdir = path_join(dir, "net");
        if (netdir) {
                r = first_entry(netdir, &f->ifname);
                if (r < 0 && r != -ENOENT)
                        (void) problem(f, "%s/net: %s", rel, errno_text(r));
        }

        f->numa_node = -1;
        if (attr_s64(f, dir, rel, "numa_node", &s) >= 0 && s >= 0 && s < 4096)
                f->numa_node = (int) s;

        f->iommu_group = -1;
        _cleanup_free_ char *grp = NULL;
        r = link_basename(dir, "iommu_group", &grp);
        if (r >= 0) {
                uint32_t g;
                if (parse_u32(grp, 10, &g) >= 0 && g <= INT32_MAX)
                        f->iommu_group = (int) g;
                else
                        (void) problem(f, "%s/iommu_group: link target '%s' is not a group number", rel, grp);
        } else if (r != -ENOENT)
                (void) problem(f, "%s/iommu_group: %s", rel, errno_text(r));

        f->autoprobe = -1;
        if (has_sriov_attr(dir)) {
                f->sysfs_sriov = true;
                if (attr_u64(f, dir, rel, "sriov_totalvfs", 10, true, &v) >= 0 && v <= 0xffff)
                        f->sysfs_total_vfs = (uint32_t) v;
                if (attr_u64(f, dir, rel, "sriov_numvfs", 10, true, &v) >= 0 && v <= 0xffff)
                        f->sysfs_num_vfs = (uint32_t) v;
                if (attr_u64(f, dir, rel, "sriov_drivers_autoprobe", 10, false, &v) >= 0)
                        f->autoprobe = v ? 1 : 0;
        }
        f->vfs_present = (uint32_t) count_virtfn(dir);

        f->link_speed_mbps = -1;
        if (f->ifname) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/net/%s/speed", dir, f->ifname) >= 0) {
                        /* A link that is down reads -1 or fails with EINVAL: both mean unknown. */
                        if (read_s64(p, 10, &s) >= 0 && s > 0)
                                f->link_speed_mbps = s;
                }
        }
}

static int discover_function(Walk *w, const char *name) {
        _cleanup_(pf_facts_done) PfFacts f = {};
        _cleanup_free_ char *link_rel = NULL, *link_abs = NULL, *phys = NULL, *rel = NULL;
        char canon[PATH_MAX];
        uint8_t hdr[64] = {};
        uint64_t cls = 0;
        bool class_known = false, ones = false;
        int r;

        if (pci_addr_parse(name, &f.addr) < 0)
                return strv_appendf(&w->host->problems, &w->host->n_problems,
                                    "sys/bus/pci/devices/%s: not a PCI address, ignored", name);
        pci_addr_format(&f.addr, f.address);
        f.pcie_type = PCIE_TYPE_NONE;
        f.numa_node = -1;
        f.iommu_group = -1;
        f.link_speed_mbps = -1;
        f.autoprobe = -1;

        link_rel = path_join("sys/bus/pci/devices", name);
        link_abs = root_path(w->root, link_rel);
        if (!link_rel || !link_abs)
                return -ENOMEM;

        /* VFs are never adapters; skip them before touching anything else (hosts have
         * thousands). */
        phys = path_join(link_abs, "physfn");
        if (!phys)
                return -ENOMEM;
        if (file_exists(phys))
                return 0;

        if (!realpath(link_abs, canon)) {
                r = -errno;
                (void) problem(&f, "%s: cannot resolve the link: %s", link_rel, errno_text(r));
                return append_adapter(w->host, &f);
        }
        rel = rel_to_root(w, canon);
        if (!rel || strncmp(rel, "sys/devices/", 12) != 0) {
                (void) problem(&f, "%s: points to %s, outside sys/devices", link_rel, canon);
                return append_adapter(w->host, &f);
        }
        f.sysfs_rel = TAKE_PTR(rel);

        r = attr_u64(&f, canon, f.sysfs_rel, "class", 16, false, &cls);
        if (r >= 0 && cls <= 0xffffff)
                class_known = true;

        r = check_config(canon, &f.config_size, &ones, hdr);
        if (r < 0) {
                (void) problem(&f, "%s/config: %s", f.sysfs_rel, config_problem(r, f.config_size));
                if (class_known && (cls >> 16) != PCI_BASE_CLASS_NETWORK)
                        return 0; /* not ours, however broken */
                f.class_code = (uint32_t) cls;
                read_pf_sysfs(&f, canon, f.sysfs_rel);
                return append_adapter(w->host, &f);
        }
        f.config_all_ones = ones;
        if (!class_known && !ones) {
                cls = (uint64_t) hdr[PCI_CLASS_PROG] | (uint64_t) hdr[PCI_CLASS_DEVICE] << 8 |
                      (uint64_t) hdr[PCI_CLASS_DEVICE + 1] << 16;
                class_known = true;
        }
        f.class_code = (uint32_t) cls;

        if (ones) {
                if (class_known && (cls >> 16) != PCI_BASE_CLASS_NETWORK)
                        return 0;
                (void) problem(&f, "%s/config: reads all ones (device powered off, in D3cold, or gone)",
                               f.sysfs_rel);
                read_pf_sysfs(&f, canon, f.sysfs_rel);
                return append_adapter(w->host, &f);
        }

        PciConfigInfo info;
        r = pci_access_read_info(w->pacc, &f.addr, &info);
        if (r < 0)
                return r;

        f.vendor = (uint16_t) (hdr[0] | hdr[1] << 8);
        f.device = (uint16_t) (hdr[2] | hdr[3] << 8);
        f.pcie_type = info.pcie_type;
        f.has_sriov = info.has_sriov;
        f.sriov_offset_cfg = info.sriov_pos;
        f.total_vfs = info.total_vfs;
        f.initial_vfs = info.initial_vfs;
        f.num_vfs = info.num_vfs;
        f.vf_offset = info.vf_offset;
        f.vf_stride = info.vf_stride;
        f.vf_device = info.vf_device;
        f.vf_enable = info.sriov_ctrl & PCI_IOV_CTRL_VFE;
        f.ari_hierarchy = info.sriov_ctrl & PCI_IOV_CTRL_ARI;

        if ((cls >> 16) != PCI_BASE_CLASS_NETWORK) {
                if (info.has_sriov || has_sriov_attr(canon))
                        return strv_appendf(&w->host->ignored, &w->host->n_ignored,
                                            "%s: class 0x%06x is not a network controller: its SR-IOV capability "
                                            "(TotalVFs %u) is not used for networking",
                                            f.address, (unsigned) cls, info.total_vfs);
                return 0;
        }

        /* A network function is an adapter when it has SR-IOV, or when it is PCI Express
         * but its extended config space (where SR-IOV lives) could not be read. */
        bool ext_hidden = f.config_size <= 256 && f.pcie_type != PCIE_TYPE_NONE;
        if (!info.has_sriov && !has_sriov_attr(canon) && !ext_hidden)
                return 0;

        read_pf_sysfs(&f, canon, f.sysfs_rel);
        (void) pci_access_lookup_names(w->pacc, f.vendor, f.device, &f.vendor_name, &f.device_name);
        r = walk_upstream(w, canon, &f);
        if (r < 0)
                return r;
        return append_adapter(w->host, &f);
}

static int adapter_cmp(const void *a, const void *b) {
        const PfFacts *x = a, *y = b;
        if (x->addr.domain != y->addr.domain)
                return x->addr.domain < y->addr.domain ? -1 : 1;
        int rx = pci_addr_rid(&x->addr), ry = pci_addr_rid(&y->addr);
        if (rx != ry)
                return rx < ry ? -1 : 1;
        return strcmp(x->address, y->address);
}

int host_discover(PciAccess *pacc, const char *root, HostFacts **ret) {
        _cleanup_(host_facts_freep) HostFacts *h = NULL;
        _cleanup_free_ char *devdir = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        char canon_root[PATH_MAX];
        struct dirent *de;
        Walk w = {};
        int r;

        assert_return(pacc, -EINVAL);
        if (isempty(root))
                root = "/";
        h = calloc(1, sizeof *h);
        if (!h)
                return -ENOMEM;
        h->root = strdup(root);
        if (!h->root)
                return -ENOMEM;
        h->smt_active = -1;

        if (!realpath(root, canon_root))
                return -errno;
        w = (Walk){ .root = root, .root_canon = canon_root, .pacc = pacc, .host = h };
        w.root_len = streq(canon_root, "/") ? 0 : strlen(canon_root);

        r = host_read_platform(root, h);
        if (r < 0)
                return r;

        devdir = root_path(root, "sys/bus/pci/devices");
        if (!devdir)
                return -ENOMEM;
        d = opendir(devdir);
        if (!d) {
                r = strv_appendf(&h->problems, &h->n_problems, "sys/bus/pci/devices: %s", strerror(errno));
                if (r < 0)
                        return r;
        } else
                while ((de = readdir(d))) {
                        if (de->d_name[0] == '.')
                                continue;
                        r = discover_function(&w, de->d_name);
                        if (r < 0)
                                return r;
                }

        if (h->n_adapters > 1)
                qsort(h->adapters, h->n_adapters, sizeof(PfFacts), adapter_cmp);
        *ret = TAKE_PTR(h);
        return 0;
}

/* NUMA: sys/devices/system/node/nodeN/cpulist → the node of every CPU, read once. */
static int read_cpu_nodes(const char *root, HostFacts *h) {
        _cleanup_free_ char *dir = root_path(root, "sys/devices/system/node");
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;

        if (!dir)
                return -ENOMEM;
        d = opendir(dir);
        if (!d)
                return 0;
        while ((de = readdir(d))) {
                _cleanup_free_ char *p = NULL, *list = NULL;
                uint32_t node;
                unsigned a, b;
                bool exclude;
                const char *q;

                if (strncmp(de->d_name, "node", 4) != 0 || parse_u32(de->d_name + 4, 10, &node) < 0 || node > 4095)
                        continue;
                if (asprintf(&p, "%s/%s/cpulist", dir, de->d_name) < 0)
                        return -ENOMEM;
                if (read_one_line(p, &list) < 0)
                        continue;
                q = list;
                while (cpulist_next(&q, &a, &b, &exclude) > 0) {
                        if (exclude)
                                continue;
                        if (b >= h->n_cpus) {
                                int *nm = realloc(h->cpu_node, sizeof(int) * (b + 1));
                                if (!nm)
                                        return -ENOMEM;
                                for (size_t c = h->n_cpus; c <= b; c++)
                                        nm[c] = -1;
                                h->cpu_node = nm;
                                h->n_cpus = b + 1;
                        }
                        for (unsigned c = a; c <= b; c++)
                                h->cpu_node[c] = (int) node;
                }
        }
        return 0;
}

int host_read_platform(const char *root, HostFacts *h) {
        _cleanup_free_ char *p = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        struct dirent *de;
        uint64_t v;
        int r;

        /* IOMMU: an entry in sys/class/iommu (dmar0, ivhd0, ...) means the kernel drives one. */
        p = root_path(root, "sys/class/iommu");
        if (!p)
                return -ENOMEM;
        d = opendir(p);
        if (d)
                while ((de = readdir(d))) {
                        if (de->d_name[0] == '.')
                                continue;
                        char *n;
                        if (asprintf(&n, "%s%s%s", strempty(h->iommu_units), h->iommu_units ? " " : "",
                                     de->d_name) < 0)
                                return -ENOMEM;
                        free_and_replace(h->iommu_units, n);
                        h->iommu_on = true;
                }
        p = mfree(p);

        p = root_path(root, "proc/sys/kernel/osrelease");
        if (!p)
                return -ENOMEM;
        r = read_one_line(p, &h->kernel_release);
        if (r < 0 && r != -ENOENT && r != -EBADMSG)
                (void) strv_appendf(&h->problems, &h->n_problems, "proc/sys/kernel/osrelease: %s", strerror(-r));
        p = mfree(p);

        p = root_path(root, "proc/cmdline");
        if (!p)
                return -ENOMEM;
        (void) read_one_line(p, &h->cmdline);
        p = mfree(p);

        p = root_path(root, "sys/devices/system/cpu/smt/active");
        if (!p)
                return -ENOMEM;
        r = read_u64(p, 10, &v);
        if (r >= 0 && v <= 1)
                h->smt_active = (int) v;
        else {
                h->smt_active = -1;
                if (asprintf(&h->smt_problem, "sys/devices/system/cpu/smt/active: %s",
                             r == -ENOENT ? "missing (kernel older than 4.19 or no SMT control)"
                             : r < 0 ? errno_text(r) : "not 0 or 1") < 0)
                        return -ENOMEM;
        }
        return read_cpu_nodes(root, h);
}
