/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>

#include "fakeroot.h"
#include "fakesysfs.h"
#include "pcidump.h"
#include "shared/fileio.h"
#include "shared/hostfacts.h"
#include "shared/macro.h"
#include "sim.h"

/* Limits on what a description can make. */
#define FAKEROOT_DEPTH_MAX 32u    /* bridges below bridges */
#define FAKEROOT_VFS_MAX 4096u    /* sriov_numvfs, summed over the description */
#define FAKEROOT_DRIVER_MAX 64    /* driver names, with the NUL */
#define FAKEROOT_GROUP_MAX 65535  /* IOMMU group numbers */
#define FAKEROOT_NODE_MAX 1023    /* NUMA nodes */

typedef struct DumpCache {
        char *name;
        PciDump *dump;
} DumpCache;

typedef struct Ctx {
        const char *root;
        const FakeRootOptions *opts;
        char *error;
        DumpCache *dumps;
        size_t n_dumps;
        bool iommu;
        int next_group;
        char **pending_vfs;   /* "ADDR\tN\tDRIVER" created after the whole tree exists */
        size_t n_pending_vfs;
        unsigned n_vfs;       /* their sum */
} Ctx;

static int fail(Ctx *c, const char *fmt, ...) _printf_(2, 3);
static int fail(Ctx *c, const char *fmt, ...) {
        va_list ap;
        if (!c->error) {
                va_start(ap, fmt);
                if (vasprintf(&c->error, fmt, ap) < 0)
                        c->error = NULL;
                va_end(ap);
        }
        return -EINVAL;
}

/* Makes the folder rel below the root and returns its absolute path. */
static int make_dir(Ctx *c, const char *rel, char **ret_abs) {
        int r = fs_mkdir_rel(c->root, rel);
        if (r < 0)
                return r;
        *ret_abs = root_path(c->root, rel);
        return *ret_abs ? 0 : -ENOMEM;
}

/* ---- description parsing ----------------------------------------------------------- */

static bool keys_allowed(Ctx *c, const json_t *o, const char *where, const char *const *allowed) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *) o, key, v) {
                bool ok = false;
                for (const char *const *a = allowed; *a; a++)
                        if (streq(*a, key))
                                ok = true;
                if (!ok) {
                        (void) fail(c, "%s: unknown key \"%s\"", where, key);
                        return false;
                }
        }
        return true;
}

static int parse_hex16(Ctx *c, const json_t *o, const char *key, const char *where, uint16_t *ret) {
        json_t *v = json_object_get(o, key);
        uint64_t x;
        if (!v)
                return fail(c, "%s: \"%s\" is required", where, key);
        if (json_is_integer(v))
                x = (uint64_t) json_integer_value(v);
        else if (!json_is_string(v) || parse_u64(json_string_value(v), 16, &x) < 0)
                return fail(c, "%s: \"%s\" must be a hex string", where, key);
        if (x > 0xffff)
                return fail(c, "%s: \"%s\" out of range", where, key);
        *ret = (uint16_t) x;
        return 0;
}

static int get_uint(Ctx *c, const json_t *o, const char *key, const char *where, unsigned max,
                    unsigned def, unsigned *ret) {
        json_t *v = json_object_get(o, key);
        if (!v) {
                *ret = def;
                return 0;
        }
        if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
                return fail(c, "%s: \"%s\" must be an integer 0-%u", where, key, max);
        *ret = (unsigned) json_integer_value(v);
        return 0;
}

/* A name that becomes one path component (a driver, a net device, a file): not empty, not
 * "." or "..", no '/', no whitespace or control characters, shorter than max. */
static bool component_valid(const char *s, size_t max) {
        size_t n = strlen(s);

        if (n == 0 || n >= max || streq(s, ".") || streq(s, ".."))
                return false;
        for (const char *p = s; *p; p++)
                if (*p == '/' || (unsigned char) *p <= ' ' || *p == 0x7f)
                        return false;
        return true;
}

/* A JSON integer within [min, max]. */
static bool int_in(const json_t *v, json_int_t min, json_int_t max) {
        return json_is_integer(v) && json_integer_value(v) >= min && json_integer_value(v) <= max;
}

static int pcie_type_from_string(const char *s) {
        static const struct { const char *name; int type; } t[] = {
                { "endpoint", PCIE_TYPE_ENDPOINT },     { "rootport", PCIE_TYPE_ROOT_PORT },
                { "upstream", PCIE_TYPE_UPSTREAM },     { "downstream", PCIE_TYPE_DOWNSTREAM },
                { "pci-bridge", PCIE_TYPE_NONE },       { "pci", PCIE_TYPE_NONE },
                { "rciep", PCIE_TYPE_RC_INTEGRATED },
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                if (streq(t[i].name, s))
                        return t[i].type;
        return -100;
}

static int build_synth(Ctx *c, const json_t *s, const char *where, uint8_t *cfg, size_t *len) {
        static const char *const keys[] = { "vendor", "device", "class", "type", "sriov", "acs", "ari", NULL };
        SynthConfig sc = { .pcie_type = PCIE_TYPE_ENDPOINT };
        json_t *v;
        uint64_t cls = 0x020000;

        if (!json_is_object(s))
                return fail(c, "%s: \"synth\" must be an object", where);
        if (!keys_allowed(c, s, where, keys))
                return -EINVAL;
        if (parse_hex16(c, s, "vendor", where, &sc.vendor) < 0 || parse_hex16(c, s, "device", where, &sc.device) < 0)
                return -EINVAL;
        if ((v = json_object_get(s, "class")) &&
            (!json_is_string(v) || parse_u64(json_string_value(v), 16, &cls) < 0 || cls > 0xffffff))
                return fail(c, "%s: \"class\" must be a hex string like \"020000\"", where);
        sc.class_code = (uint32_t) cls;
        if ((v = json_object_get(s, "type"))) {
                int t = json_is_string(v) ? pcie_type_from_string(json_string_value(v)) : -100;
                if (t == -100)
                        return fail(c, "%s: \"type\" must be endpoint, rootport, upstream, downstream, rciep or pci-bridge", where);
                sc.pcie_type = t;
                if (t == PCIE_TYPE_ROOT_PORT || t == PCIE_TYPE_DOWNSTREAM || t == PCIE_TYPE_UPSTREAM ||
                    streq(json_string_value(v), "pci-bridge"))
                        if (!json_object_get(s, "class"))
                                sc.class_code = 0x060400;
        }
        if ((v = json_object_get(s, "sriov"))) {
                static const char *const sk[] = { "total", "offset", "stride", "vf_device", "num", NULL };
                unsigned x = 0;
                if (!json_is_object(v) || !keys_allowed(c, v, where, sk))
                        return fail(c, "%s: \"sriov\" must be an object", where);
                sc.sriov = true;
                if (get_uint(c, v, "total", where, 0xffff, 8, &x) < 0)
                        return -EINVAL;
                sc.sriov_total = (uint16_t) x;
                if (get_uint(c, v, "offset", where, 0xffff, 128, &x) < 0)
                        return -EINVAL;
                sc.sriov_offset = (uint16_t) x;
                if (get_uint(c, v, "stride", where, 0xffff, 2, &x) < 0)
                        return -EINVAL;
                sc.sriov_stride = (uint16_t) x;
                if (get_uint(c, v, "num", where, 0xffff, 0, &x) < 0)
                        return -EINVAL;
                sc.sriov_num = (uint16_t) x;
                sc.sriov_vf_device = (uint16_t) (sc.device + 1);
                if (json_object_get(v, "vf_device") && parse_hex16(c, v, "vf_device", where, &sc.sriov_vf_device) < 0)
                        return -EINVAL;
        }
        if ((v = json_object_get(s, "acs"))) {
                if (json_is_boolean(v)) {
                        sc.acs = json_is_true(v);
                        sc.acs_enabled = sc.acs;
                } else if (json_is_string(v) && streq(json_string_value(v), "disabled")) {
                        sc.acs = true;
                        sc.acs_enabled = false;
                } else
                        return fail(c, "%s: \"acs\" must be true, false or \"disabled\"", where);
        }
        if ((v = json_object_get(s, "ari")))
                sc.ari = json_is_true(v);
        synth_config(&sc, cfg);
        *len = 4096;
        return 0;
}

static int load_dump(Ctx *c, const char *name, const char *where, PciDump **ret) {
        for (size_t i = 0; i < c->n_dumps; i++)
                if (streq(c->dumps[i].name, name)) {
                        *ret = c->dumps[i].dump;
                        return 0;
                }
        _cleanup_free_ char *path = c->opts && c->opts->dump_dir && name[0] != '/'
                                            ? path_join(c->opts->dump_dir, name) : strdup(name);
        PciDump *d = NULL;
        unsigned line = 0;
        int r;
        if (!path)
                return -ENOMEM;
        r = pci_dump_parse_file(path, &d, &line);
        if (r == -EBADMSG)
                return fail(c, "%s: dump %s: malformed hex at line %u", where, path, line);
        if (r < 0)
                return fail(c, "%s: dump %s: %s", where, path, strerror(-r));
        DumpCache *nd = realloc(c->dumps, sizeof(DumpCache) * (c->n_dumps + 1));
        if (!nd) {
                pci_dump_free(d);
                return -ENOMEM;
        }
        c->dumps = nd;
        c->dumps[c->n_dumps] = (DumpCache){ .name = strdup(name), .dump = d };
        if (!c->dumps[c->n_dumps].name) {
                pci_dump_free(d);
                return -ENOMEM;
        }
        c->n_dumps++;
        *ret = d;
        return 0;
}

static int build_config(Ctx *c, const json_t *cfgdesc, const char *where, uint8_t *cfg, size_t *len) {
        static const char *const keys[] = { "dump", "slot", "synth", "all_ones", "hex", "truncate", NULL };
        json_t *v;
        unsigned trunc = 0;
        int r;

        if (!json_is_object(cfgdesc))
                return fail(c, "%s: \"config\" must be an object", where);
        if (!keys_allowed(c, cfgdesc, where, keys))
                return -EINVAL;
        memset(cfg, 0xff, 4096);
        *len = 0;
        if ((v = json_object_get(cfgdesc, "dump"))) {
                json_t *slot = json_object_get(cfgdesc, "slot");
                PciDump *d = NULL;
                if (!json_is_string(v) || !json_is_string(slot))
                        return fail(c, "%s: \"dump\" and \"slot\" must be strings", where);
                r = load_dump(c, json_string_value(v), where, &d);
                if (r < 0)
                        return r;
                const PciDumpDevice *dev = pci_dump_find(d, json_string_value(slot));
                if (!dev)
                        return fail(c, "%s: slot %s not in dump %s", where, json_string_value(slot), json_string_value(v));
                memcpy(cfg, dev->data, dev->len);
                *len = dev->len;
        } else if ((v = json_object_get(cfgdesc, "synth"))) {
                r = build_synth(c, v, where, cfg, len);
                if (r < 0)
                        return r;
        } else if ((v = json_object_get(cfgdesc, "all_ones"))) {
                if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 4096)
                        return fail(c, "%s: \"all_ones\" must be a size 0-4096", where);
                *len = (size_t) json_integer_value(v);
        } else if ((v = json_object_get(cfgdesc, "hex"))) {
                const char *h = json_is_string(v) ? json_string_value(v) : NULL;
                if (!h)
                        return fail(c, "%s: \"hex\" must be a string", where);
                for (size_t i = 0; h[i] && h[i + 1] && *len < 4096; i += 2) {
                        char b[3] = { h[i], h[i + 1], 0 };
                        uint64_t x;
                        if (parse_u64(b, 16, &x) < 0)
                                return fail(c, "%s: \"hex\" has a non-hex byte at %zu", where, i);
                        cfg[(*len)++] = (uint8_t) x;
                }
        } else
                return fail(c, "%s: \"config\" needs one of dump, synth, all_ones, hex", where);
        r = get_uint(c, cfgdesc, "truncate", where, 4096, (unsigned) *len, &trunc);
        if (r < 0)
                return r;
        if (trunc < *len)
                *len = trunc;
        return 0;
}

/* ---- devices ----------------------------------------------------------------------- */

static const char *const omit_names[] = {
        "config", "vendor", "device", "class", "subsystem_vendor", "subsystem_device", "irq", "resource",
        "numa_node", "sriov", "bus_link", NULL,
};

static int check_omit(Ctx *c, const json_t *dev, const char *where) {
        json_t *o = json_object_get(dev, "omit"), *v;
        size_t i;

        if (!o)
                return 0;
        if (!json_is_array(o))
                return fail(c, "%s: \"omit\" must be an array of names", where);
        json_array_foreach(o, i, v) {
                bool known = false;
                for (const char *const *n = omit_names; *n && json_is_string(v); n++)
                        if (streq(*n, json_string_value(v)))
                                known = true;
                if (!known)
                        return fail(c, "%s: \"omit\"[%zu] is not one of config, vendor, device, class, "
                                    "subsystem_vendor, subsystem_device, irq, resource, numa_node, sriov, bus_link",
                                    where, i);
        }
        return 0;
}

static int write_sriov_attrs(const char *dir, const uint8_t *cfg, size_t len, unsigned numvfs) {
        int p = cfg_find_ext_cap(cfg, len, EXT_CAP_SRIOV, EXT_CAP_SRIOV_SIZE);
        int r = 0;
        if (p < 0)
                return 0;
        r = r ?: fs_put_text(dir, "sriov_totalvfs", "%u\n", cfg_get16(cfg, p + 0x0e));
        r = r ?: fs_put_text(dir, "sriov_numvfs", "%u\n", numvfs);
        r = r ?: fs_put_text(dir, "sriov_offset", "%u\n", cfg_get16(cfg, p + 0x14));
        r = r ?: fs_put_text(dir, "sriov_stride", "%u\n", cfg_get16(cfg, p + 0x16));
        r = r ?: fs_put_text(dir, "sriov_vf_device", "%x\n", cfg_get16(cfg, p + 0x1a));
        r = r ?: fs_put_text(dir, "sriov_drivers_autoprobe", "1\n");
        return r;
}

static int build_device(Ctx *c, const json_t *dev, const char *parent_rel, int parent_secondary, unsigned depth) {
        static const char *const keys[] = {
                "address", "config", "bus", "driver", "vf_driver", "ifname", "numa_node", "iommu_group",
                "sriov_numvfs", "link_speed", "files", "omit", "children", "comment", NULL,
        };
        _cleanup_free_ char *rel = NULL, *abs = NULL, *buslink = NULL;
        uint8_t cfg[4096];
        size_t len = 0;
        char addr_s[PCI_ADDR_STRLEN];
        PciAddr a;
        json_t *v;
        unsigned numvfs = 0, speed = 0;
        int numa = -1, sec = -1, r;

        v = json_object_get(dev, "address");
        if (!json_is_string(v) || pci_addr_parse(json_string_value(v), &a) < 0)
                return fail(c, "device under %s: \"address\" must be DDDD:BB:DD.F", parent_rel);
        pci_addr_format(&a, addr_s);
        if (!keys_allowed(c, dev, addr_s, keys))
                return -EINVAL;
        if (depth > FAKEROOT_DEPTH_MAX)
                return fail(c, "%s: more than %u levels of \"children\"", addr_s, FAKEROOT_DEPTH_MAX);
        r = check_omit(c, dev, addr_s);
        if (r < 0)
                return r;
        if (asprintf(&rel, "%s/%s", parent_rel, addr_s) < 0)
                return -ENOMEM;
        r = make_dir(c, rel, &abs);
        if (r < 0)
                return r;

        if ((v = json_object_get(dev, "numa_node"))) {
                if (!int_in(v, -1, FAKEROOT_NODE_MAX))
                        return fail(c, "%s: \"numa_node\" must be an integer -1-%d", addr_s, FAKEROOT_NODE_MAX);
                numa = (int) json_integer_value(v);
        }
        if ((v = json_object_get(dev, "config"))) {
                r = build_config(c, v, addr_s, cfg, &len);
                if (r < 0)
                        return r;
        }
        if ((v = json_object_get(dev, "bus"))) {
                if (!json_is_array(v) || json_array_size(v) != 2 || !json_is_integer(json_array_get(v, 0)) ||
                    !json_is_integer(json_array_get(v, 1)))
                        return fail(c, "%s: \"bus\" must be [secondary, subordinate]", addr_s);
                json_int_t sec_j = json_integer_value(json_array_get(v, 0)),
                           sub_j = json_integer_value(json_array_get(v, 1));
                if (sec_j < 0 || sec_j > 255 || sub_j < sec_j || sub_j > 255)
                        return fail(c, "%s: \"bus\" range %lld-%lld is not valid", addr_s, (long long) sec_j,
                                    (long long) sub_j);
                sec = (int) sec_j;
                int sub = (int) sub_j;
                /* Only a type 1 (bridge) header has bus registers: a function that reads
                 * all ones keeps reading all ones. */
                if (len >= 0x1b && (cfg[0x0e] & 0x7f) == 1) {
                        cfg[0x18] = (uint8_t) (parent_secondary >= 0 ? parent_secondary : a.bus);
                        cfg[0x19] = (uint8_t) sec;
                        cfg[0x1a] = (uint8_t) sub;
                }
                r = fs_put_text(abs, "secondary_bus_number", "%d\n", sec);
                r = r ?: fs_put_text(abs, "subordinate_bus_number", "%d\n", sub);
                if (r < 0)
                        return r;
        }
        if (json_object_get(dev, "config") && !dev_omitted(dev, "config")) {
                r = fs_put_file(abs, "config", cfg, len);
                if (r < 0)
                        return r;
        }
        r = fs_write_basic_attrs(dev, abs, cfg, len, numa);
        if (r < 0)
                return r;
        if (get_uint(c, dev, "sriov_numvfs", addr_s, 0xffff, 0, &numvfs) < 0 ||
            get_uint(c, dev, "link_speed", addr_s, 1000000, 10000, &speed) < 0)
                return -EINVAL;
        if (!dev_omitted(dev, "sriov")) {
                r = write_sriov_attrs(abs, cfg, len, 0);
                if (r < 0)
                        return r;
        }

        if (asprintf(&buslink, "sys/bus/pci/devices/%s", addr_s) < 0)
                return -ENOMEM;
        if (!dev_omitted(dev, "bus_link")) {
                r = fs_rel_symlink(c->root, rel, buslink);
                if (r < 0)
                        return r;
        }
        if ((v = json_object_get(dev, "driver"))) {
                if (!json_is_string(v))
                        return fail(c, "%s: \"driver\" must be a string", addr_s);
                if (!component_valid(json_string_value(v), FAKEROOT_DRIVER_MAX))
                        return fail(c, "%s: \"driver\" must be a name shorter than %d characters without '/' or spaces",
                                    addr_s, FAKEROOT_DRIVER_MAX);
                r = fs_bind_driver(c->root, rel, addr_s, json_string_value(v));
                if (r < 0)
                        return r;
        }
        v = json_object_get(dev, "iommu_group");
        if (v && !json_is_null(v) && !int_in(v, 0, FAKEROOT_GROUP_MAX))
                return fail(c, "%s: \"iommu_group\" must be an integer 0-%d or null", addr_s, FAKEROOT_GROUP_MAX);
        if ((v && json_is_integer(v)) || (!v && c->iommu)) {
                int g = v ? (int) json_integer_value(v) : c->next_group++;
                if (v && g >= c->next_group)
                        c->next_group = g + 1;
                r = fs_add_iommu_group(c->root, rel, addr_s, g);
                if (r < 0)
                        return r;
        }
        if ((v = json_object_get(dev, "ifname"))) {
                if (!json_is_string(v) || !component_valid(json_string_value(v), 16) || strchr(json_string_value(v), ':'))
                        return fail(c, "%s: \"ifname\" must be an interface name", addr_s);
                r = fs_add_netdev(c->root, rel, json_string_value(v), &a, speed);
                if (r < 0)
                        return r;
        }
        if ((v = json_object_get(dev, "files"))) {
                const char *k;
                json_t *fv;
                if (!json_is_object(v))
                        return fail(c, "%s: \"files\" must be an object", addr_s);
                json_object_foreach(v, k, fv) {
                        if (!component_valid(k, NAME_MAX + 1))
                                return fail(c, "%s: \"files\" has a key that is not a file name", addr_s);
                        if (!json_is_string(fv))
                                return fail(c, "%s: \"files\".%s must be a string", addr_s, k);
                        r = fs_put_text(abs, k, "%s", json_string_value(fv));
                        if (r < 0)
                                return r;
                }
        }
        json_t *vd = json_object_get(dev, "vf_driver");
        if (vd && (!json_is_string(vd) || !component_valid(json_string_value(vd), FAKEROOT_DRIVER_MAX)))
                return fail(c, "%s: \"vf_driver\" must be a name shorter than %d characters without '/' or spaces",
                            addr_s, FAKEROOT_DRIVER_MAX);
        if (numvfs > 0) {
                if (numvfs > FAKEROOT_VFS_MAX - c->n_vfs)
                        return fail(c, "%s: more than %u VFs in the description", addr_s, FAKEROOT_VFS_MAX);
                c->n_vfs += numvfs;
                r = strv_appendf(&c->pending_vfs, &c->n_pending_vfs, "%s\t%u\t%s", addr_s, numvfs,
                                 vd ? json_string_value(vd) : "");
                if (r < 0)
                        return r;
        }
        if ((v = json_object_get(dev, "children"))) {
                json_t *child;
                size_t i;
                if (!json_is_array(v))
                        return fail(c, "%s: \"children\" must be an array", addr_s);
                json_array_foreach(v, i, child) {
                        if (!json_is_object(child))
                                return fail(c, "%s: children[%zu] must be an object", addr_s, i);
                        r = build_device(c, child, rel, sec, depth + 1);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

/* ---- the host ------------------------------------------------------------------------ */

/* A root-relative path: not empty, not absolute, no "." or ".." components, no empty ones. */
static bool rel_path_valid(const char *p) {
        if (!*p || *p == '/' || strlen(p) >= PATH_MAX)
                return false;
        for (const char *s = p; *s;) {
                size_t n = strcspn(s, "/");
                if (n == 0 || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
                        return false;
                s += n;
                if (*s == '/')
                        s++;
                if (!*s && s[-1] == '/')
                        return false;
        }
        return true;
}

static int build_host(Ctx *c, const json_t *desc) {
        static const char *const keys[] = { "kernel", "cmdline", "iommu", "smt", "numa", "devices", "symlinks",
                                            "numvfs_delay_ms", "comment", "name", "libvirt", NULL };
        json_t *v;
        int r;

        if (!json_is_object(desc))
                return fail(c, "host description: must be a JSON object");
        if (!keys_allowed(c, desc, "host", keys))
                return -EINVAL;

        r = fs_mkdir_rel(c->root, "sys/bus/pci/devices");
        r = r ?: fs_mkdir_rel(c->root, "sys/bus/pci/drivers");
        r = r ?: fs_mkdir_rel(c->root, "sys/class/net");
        r = r ?: fs_mkdir_rel(c->root, "sys/class/iommu");
        r = r ?: fs_mkdir_rel(c->root, "sys/kernel/iommu_groups");
        r = r ?: fs_mkdir_rel(c->root, "proc/sys/kernel");
        r = r ?: fs_mkdir_rel(c->root, "sys/devices/system/cpu");
        if (r < 0)
                return r;

        _cleanup_free_ char *proc = root_path(c->root, "proc"), *kernel = root_path(c->root, "proc/sys/kernel");
        if (!proc || !kernel)
                return -ENOMEM;
        v = json_object_get(desc, "kernel");
        if (v && !json_is_string(v))
                return fail(c, "host: \"kernel\" must be a string");
        r = fs_put_text(kernel, "osrelease", "%s\n", v ? json_string_value(v) : "6.1.0-18-amd64");
        v = json_object_get(desc, "cmdline");
        if (v && !json_is_string(v))
                return fail(c, "host: \"cmdline\" must be a string");
        r = r ?: fs_put_text(proc, "cmdline", "%s\n", v ? json_string_value(v) : "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro intel_iommu=on iommu=pt");
        if (r < 0)
                return r;

        v = json_object_get(desc, "iommu");
        c->iommu = !v || json_is_true(v);
        if (v && !json_is_boolean(v))
                return fail(c, "host: \"iommu\" must be true or false");
        if (c->iommu) {
                r = fs_mkdir_rel(c->root, "sys/devices/virtual/iommu/dmar0");
                r = r ?: fs_rel_symlink(c->root, "sys/devices/virtual/iommu/dmar0", "sys/class/iommu/dmar0");
                if (r < 0)
                        return r;
        }

        v = json_object_get(desc, "smt");
        if (v && !json_is_null(v)) {
                if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1)
                        return fail(c, "host: \"smt\" must be 0, 1 or null");
                _cleanup_free_ char *smt = root_path(c->root, "sys/devices/system/cpu/smt");
                if (!smt || mkdir_p(smt, 0755) < 0)
                        return -EIO;
                r = fs_put_text(smt, "active", "%d\n", (int) json_integer_value(v));
                r = r ?: fs_put_text(smt, "control", "%s\n", json_integer_value(v) ? "on" : "off");
                if (r < 0)
                        return r;
        }

        if ((v = json_object_get(desc, "numa"))) {
                const char *k;
                json_t *cpus;
                if (!json_is_object(v))
                        return fail(c, "host: \"numa\" must map node numbers to CPU lists");
                json_object_foreach(v, k, cpus) {
                        uint32_t node;
                        _cleanup_free_ char *rel = NULL, *abs = NULL;
                        if (parse_u32(k, 10, &node) < 0 || node > 1023 || !json_is_string(cpus))
                                return fail(c, "host: \"numa\".%s must be a CPU list string", k);
                        if (asprintf(&rel, "sys/devices/system/node/node%u", node) < 0)
                                return -ENOMEM;
                        r = make_dir(c, rel, &abs);
                        if (r < 0)
                                return r;
                        r = fs_put_text(abs, "cpulist", "%s\n", json_string_value(cpus));
                        if (r < 0)
                                return r;
                }
        }

        if ((v = json_object_get(desc, "numvfs_delay_ms"))) {
                if (!json_is_integer(v) || json_integer_value(v) < 0 ||
                    json_integer_value(v) > (json_int_t) SIM_NUMVFS_DELAY_MAX_MS)
                        return fail(c, "host: \"numvfs_delay_ms\" must be an integer 0-%u", SIM_NUMVFS_DELAY_MAX_MS);
                _cleanup_free_ char *dp = root_path(c->root, SIM_NUMVFS_DELAY_FILE), *dd = NULL;
                char ms[16];
                if (!dp || !(dd = strdup(dp)))
                        return -ENOMEM;
                *strrchr(dd, '/') = 0;
                snprintf(ms, sizeof ms, "%u\n", (unsigned) json_integer_value(v));
                r = mkdir_p(dd, 0755);
                r = r ?: write_file_atomic_full(dp, ms, strlen(ms), 0644, false);
                if (r < 0)
                        return r;
        }

        json_t *devs = json_object_get(desc, "devices"), *dev;
        size_t i;
        if (devs && !json_is_array(devs))
                return fail(c, "host: \"devices\" must be an array");
        json_array_foreach(devs, i, dev) {
                json_t *a = json_object_get(dev, "address");
                PciAddr pa;
                _cleanup_free_ char *hostbridge = NULL;
                if (!json_is_object(dev) || !json_is_string(a) || pci_addr_parse(json_string_value(a), &pa) < 0)
                        return fail(c, "host: devices[%zu] needs an \"address\" DDDD:BB:DD.F", i);
                if (asprintf(&hostbridge, "sys/devices/pci%04x:%02x", pa.domain, pa.bus) < 0)
                        return -ENOMEM;
                r = build_device(c, dev, hostbridge, -1, 0);
                if (r < 0)
                        return r;
        }

        /* Raw links for broken trees: {"link": REL, "target": "text as written"}, checked
         * here and made last (make_raw_links). */
        json_t *links = json_object_get(desc, "symlinks"), *l;
        if (links && !json_is_array(links))
                return fail(c, "host: \"symlinks\" must be an array");
        json_array_foreach(links, i, l) {
                json_t *ln = json_object_get(l, "link"), *tg = json_object_get(l, "target");
                if (!json_is_object(l) || !json_is_string(ln) || !json_is_string(tg))
                        return fail(c, "host: symlinks[%zu] needs \"link\" and \"target\" strings", i);
                if (!rel_path_valid(json_string_value(ln)) || strlen(json_string_value(tg)) == 0 ||
                    strlen(json_string_value(tg)) >= PATH_MAX)
                        return fail(c, "host: symlinks[%zu]: \"link\" must be a path inside the root without \"..\" "
                                    "and \"target\" not empty", i);
                if (!keys_allowed(c, l, "host: symlinks", (const char *const[]){ "link", "target", NULL }))
                        return -EINVAL;
        }
        return 0;
}

/* The raw links, after everything else: later writes never follow them. Each link's
 * directory must exist and resolve inside the root. */
static int make_raw_links(Ctx *c, const json_t *desc) {
        json_t *links = json_object_get(desc, "symlinks"), *l;
        char root_canon[PATH_MAX];
        size_t i, rl;

        if (!realpath(c->root, root_canon))
                return -errno;
        rl = streq(root_canon, "/") ? 0 : strlen(root_canon);
        json_array_foreach(links, i, l) {
                const char *link = json_string_value(json_object_get(l, "link"));
                _cleanup_free_ char *labs = root_path(c->root, link), *dir = NULL;
                char dir_canon[PATH_MAX];
                int r;

                if (!labs || !(dir = strdup(labs)))
                        return -ENOMEM;
                *strrchr(dir, '/') = 0;
                if (!realpath(dir, dir_canon)) {
                        r = -errno;
                        (void) fail(c, "host: symlinks[%zu]: the directory of %s: %s", i, link, strerror(-r));
                        return r;
                }
                if (strncmp(dir_canon, root_canon, rl) != 0 || (dir_canon[rl] != '/' && dir_canon[rl] != 0))
                        return fail(c, "host: symlinks[%zu]: the directory of %s is outside the root", i, link);
                (void) unlink(labs);
                if (symlink(json_string_value(json_object_get(l, "target")), labs) < 0) {
                        r = -errno;
                        (void) fail(c, "host: symlinks[%zu]: cannot create %s: %s", i, link, strerror(-r));
                        return r;
                }
        }
        return 0;
}

int fakeroot_build(const char *root, const json_t *desc, const FakeRootOptions *opts, char **ret_error) {
        Ctx c = { .root = root, .opts = opts, .next_group = 1 };
        int r;

        r = build_host(&c, desc);
        for (size_t i = 0; r >= 0 && i < c.n_pending_vfs; i++) {
                char addr[PCI_ADDR_STRLEN + 1], drv[FAKEROOT_DRIVER_MAX] = "";
                unsigned n = 0;
                if (sscanf(c.pending_vfs[i], "%20[^\t]\t%u\t%63s", addr, &n, drv) < 2)
                        continue;
                r = fakeroot_set_vfs(root, addr, n, drv[0] ? drv : NULL);
                if (r < 0)
                        (void) fail(&c, "%s: cannot create %u VFs: %s", addr, n, strerror(-r));
        }
        if (r >= 0)
                r = make_raw_links(&c, desc);
        for (size_t i = 0; i < c.n_dumps; i++) {
                free(c.dumps[i].name);
                pci_dump_free(c.dumps[i].dump);
        }
        free(c.dumps);
        strv_free_n(c.pending_vfs, c.n_pending_vfs);
        if (r < 0 && ret_error)
                *ret_error = TAKE_PTR(c.error);
        free(c.error);
        return r;
}

int fakeroot_build_file(const char *root, const char *json_path, const FakeRootOptions *opts, char **ret_error) {
        _cleanup_free_ char *dir = NULL;
        FakeRootOptions o = opts ? *opts : (FakeRootOptions){};
        json_error_t err;
        json_t *j;
        int r;

        if (!o.dump_dir) {
                /* Relative "dump" names are the description's neighbours. */
                const char *slash = strrchr(json_path, '/');
                dir = slash ? strndup(json_path, slash == json_path ? 1 : (size_t) (slash - json_path)) : strdup(".");
                if (!dir)
                        return -ENOMEM;
                o.dump_dir = dir;
        }
        j = json_load_file(json_path, JSON_REJECT_DUPLICATES, &err);
        if (!j) {
                if (ret_error && asprintf(ret_error, "%s:%d:%d: %s", json_path, err.line, err.column, err.text) < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }
        r = fakeroot_build(root, j, &o, ret_error);
        json_decref(j);
        return r;
}
