/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A domain's facts from its XML (VirtDomain), without libvirt: virt_domain_get() fetches the
 * XML, fuzzers and unit tests call virt_domain_parse() directly. */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>

#include "shared/fileio.h"
#include "shared/names.h"
#include "shared/string-table.h"
#include "virt/domxml-internal.h"

static const char *const virt_iface_type_table[_VIRT_IFACE_TYPE_MAX] = {
        [VIRT_IFACE_NETWORK] = "network",     [VIRT_IFACE_BRIDGE] = "bridge",
        [VIRT_IFACE_DIRECT] = "direct",       [VIRT_IFACE_HOSTDEV] = "hostdev",
        [VIRT_IFACE_ETHERNET] = "ethernet",   [VIRT_IFACE_USER] = "user",
        [VIRT_IFACE_VHOSTUSER] = "vhostuser", [VIRT_IFACE_VDPA] = "vdpa",
        [VIRT_IFACE_OTHER] = "other",
};
DEFINE_STRING_TABLE_LOOKUP(virt_iface_type, VirtIfaceType);

static const char *const virt_teaming_table[_VIRT_TEAMING_MAX] = {
        [VIRT_TEAMING_NONE] = "none",
        [VIRT_TEAMING_PERSISTENT] = "persistent",
        [VIRT_TEAMING_TRANSIENT] = "transient",
};
DEFINE_STRING_TABLE_LOOKUP(virt_teaming, VirtTeaming);

/* One number of a PCI address as libvirt reads it (any base: "0x3b", "59"). */
static int address_part(const DomNode *a, const char *name, uint32_t max, bool required, uint32_t *ret) {
        const char *s = domxml_attr(a, name);
        uint64_t v;

        if (!s) {
                if (required)
                        return virt_error_set(-EINVAL, "The PCI address has no '%s'", name);
                *ret = 0;
                return 0;
        }
        if (parse_u64(s, 0, &v) < 0 || v > max)
                return virt_error_set(-EINVAL, "PCI %s '%s' is not a number in 0..%#x", name, s, max);
        *ret = (uint32_t) v;
        return 0;
}

int virt_hostdev_address(const DomNode *iface, PciAddr *ret) {
        const DomNode *a = domxml_find(iface, "source/address");
        uint32_t dom = 0, bus = 0, slot = 0, fn = 0;
        int r;

        if (!a || !streq_ptr(domxml_attr(a, "type"), "pci"))
                return -ENODATA;
        r = address_part(a, "domain", UINT32_MAX, false, &dom);
        if (r >= 0)
                r = address_part(a, "bus", 0xff, true, &bus);
        if (r >= 0)
                r = address_part(a, "slot", 0x1f, true, &slot);
        if (r >= 0)
                r = address_part(a, "function", 7, true, &fn);
        if (r < 0)
                return r;
        *ret = (PciAddr) { .domain = dom, .bus = (uint8_t) bus, .dev = (uint8_t) slot, .func = (uint8_t) fn };
        return 0;
}

int virt_hostdev_pci(const DomNode *iface, char **ret) {
        char buf[PCI_ADDR_STRLEN];
        PciAddr a;
        int r = virt_hostdev_address(iface, &a);
        if (r == -EINVAL)
                return -EBADMSG;
        if (r < 0)
                return r;
        *ret = strdup(pci_addr_format(&a, buf));
        return *ret ? 0 : -ENOMEM;
}

static int dup_opt(const char *s, char **ret) {
        if (!s) {
                *ret = NULL;
                return 0;
        }
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

void virt_iface_done(VirtIface *i) {
        free(i->type_name);
        free(i->model);
        free(i->mac);
        free(i->alias);
        free(i->teaming_persistent);
        free(i->pci);
        *i = (VirtIface) {};
}

int virt_iface_parse(const DomNode *n, VirtIface *ret) {
        VirtIface i = {};
        const char *type = domxml_attr(n, "type");
        const DomNode *team = domxml_child(n, "teaming");
        const char *vlan = domxml_attr(domxml_find(n, "vlan/tag"), "id");
        int r = 0;

        i.type = type ? virt_iface_type_from_string(type) : VIRT_IFACE_OTHER;
        if ((int) i.type < 0)
                i.type = VIRT_IFACE_OTHER;
        i.managed = streq_ptr(domxml_attr(n, "managed"), "yes");
        if (team) {
                VirtTeaming t = virt_teaming_from_string(domxml_attr(team, "type"));
                i.teaming = (int) t < 0 ? VIRT_TEAMING_NONE : t;
        }
        if (vlan) {
                uint32_t v;
                if (parse_u32(vlan, 10, &v) >= 0 && v <= 4095)
                        i.vlan = v;
        }
        if (dup_opt(type, &i.type_name) < 0 || dup_opt(domxml_child_attr(n, "model", "type"), &i.model) < 0 ||
            dup_opt(domxml_child_attr(n, "mac", "address"), &i.mac) < 0 ||
            dup_opt(domxml_child_attr(n, "alias", "name"), &i.alias) < 0 ||
            dup_opt(team ? domxml_attr(team, "persistent") : NULL, &i.teaming_persistent) < 0)
                r = -ENOMEM;
        if (r == 0 && i.mac)
                for (char *c = i.mac; *c; c++)
                        *c = (char) tolower((unsigned char) *c);
        if (r == 0 && i.type == VIRT_IFACE_HOSTDEV) {
                r = virt_hostdev_pci(n, &i.pci);
                if (r == -ENODATA || r == -EBADMSG) /* USB or odd address: no PCI fact */
                        r = 0;
        }
        if (r < 0) {
                virt_iface_done(&i);
                return r;
        }
        *ret = i;
        return 0;
}

static void ifaces_free(VirtIface *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                virt_iface_done(&v[i]);
        free(v);
}

static int parse_ifaces(const DomNode *dom, VirtIface **ret, size_t *ret_n) {
        const DomNode *devs = domxml_child(dom, "devices");
        size_t n = domxml_count_children(devs, "interface"), k = 0;
        VirtIface *v = NULL;

        if (n > 0 && !(v = calloc(n, sizeof(VirtIface))))
                return -ENOMEM;
        for (DomNode *c = domxml_child(devs, "interface"); c; c = domxml_next(c, "interface")) {
                int r = virt_iface_parse(c, &v[k]);
                if (r < 0) {
                        ifaces_free(v, k);
                        return r;
                }
                k++;
        }
        *ret = v;
        *ret_n = k;
        return 0;
}

static void sets_free(VirtNamedSet *v, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(v[i].set);
                free(v[i].mode);
        }
        free(v);
}

static int parse_sets(const DomNode *parent, const char *elem, const char *id_attr, const char *set_attr,
                      bool with_mode, VirtNamedSet **ret, size_t *ret_n) {
        size_t n = domxml_count_children(parent, elem), k = 0;
        VirtNamedSet *v = NULL;

        if (n > 0 && !(v = calloc(n, sizeof(VirtNamedSet))))
                return -ENOMEM;
        for (DomNode *c = domxml_child(parent, elem); c; c = domxml_next(c, elem)) {
                uint32_t id;
                if (parse_u32(strempty(domxml_attr(c, id_attr)), 10, &id) < 0)
                        continue;
                v[k].id = id;
                if (dup_opt(domxml_attr(c, set_attr), &v[k].set) < 0 ||
                    (with_mode && dup_opt(domxml_attr(c, "mode"), &v[k].mode) < 0)) {
                        sets_free(v, k + 1);
                        return -ENOMEM;
                }
                k++;
        }
        *ret = v;
        *ret_n = k;
        return 0;
}

VirtDomain *virt_domain_free(VirtDomain *d) {
        if (!d)
                return NULL;
        free(d->name);
        free(d->uuid);
        free(d->vcpu_placement);
        free(d->vcpu_cpuset);
        free(d->numa_mode);
        free(d->numa_nodeset);
        free(d->numa_placement);
        sets_free(d->memnodes, d->n_memnodes);
        sets_free(d->vcpupins, d->n_vcpupins);
        ifaces_free(d->ifaces, d->n_ifaces);
        ifaces_free(d->live_ifaces, d->n_live_ifaces);
        free(d->accel_performance);
        free(d);
        return NULL;
}

static int fill_placement(VirtDomain *d, const DomNode *dom) {
        const DomNode *vcpu = domxml_child(dom, "vcpu");
        const DomNode *numa = domxml_child(dom, "numatune");
        const DomNode *mem = domxml_child(numa, "memory");
        uint32_t v;

        if (vcpu && parse_u32(domxml_text(vcpu), 10, &v) >= 0)
                d->vcpus = d->vcpus_max = v;
        if (vcpu && domxml_attr(vcpu, "current") && parse_u32(domxml_attr(vcpu, "current"), 10, &v) >= 0)
                d->vcpus = v;
        if (dup_opt(domxml_attr(vcpu, "placement"), &d->vcpu_placement) < 0 ||
            dup_opt(domxml_attr(vcpu, "cpuset"), &d->vcpu_cpuset) < 0 ||
            dup_opt(domxml_attr(mem, "mode"), &d->numa_mode) < 0 ||
            dup_opt(domxml_attr(mem, "nodeset"), &d->numa_nodeset) < 0 ||
            dup_opt(domxml_attr(mem, "placement"), &d->numa_placement) < 0)
                return -ENOMEM;
        if (parse_sets(numa, "memnode", "cellid", "nodeset", true, &d->memnodes, &d->n_memnodes) < 0 ||
            parse_sets(domxml_child(dom, "cputune"), "vcpupin", "vcpu", "cpuset", false, &d->vcpupins,
                       &d->n_vcpupins) < 0)
                return -ENOMEM;
        return 0;
}

const DomNode *virt_domxml_accel_element(const DomNode *domain) {
        return domxml_child_ns(domxml_child(domain, "metadata"), ACCELNET_METADATA_URI, ACCELNET_METADATA_ELEMENT);
}

int virt_domxml_domain(const DomXml *x, const char *what, const DomNode **ret) {
        const DomNode *root = domxml_root(x);
        if (!domxml_is(root, "domain"))
                return virt_error_set(-EBADMSG, "The %s XML has the root element <%s>, not <domain>", what,
                                      strempty(domxml_name(root)));
        *ret = root;
        return 0;
}

int virt_domain_from_xml(const DomXml *config, const DomXml *live, VirtDomain **ret) {
        _cleanup_(virt_domain_freep) VirtDomain *d = NULL;
        const DomNode *cdom = NULL, *ldom = NULL, *facts, *accel, *uuid;
        const char *name;
        int r;

        r = virt_domxml_domain(config, "persistent domain", &cdom);
        if (r < 0)
                return r;
        if (live) {
                r = virt_domxml_domain(live, "live domain", &ldom);
                if (r < 0)
                        return r;
        }
        facts = ldom ?: cdom;
        name = domxml_text(domxml_child(facts, "name"));
        if (isempty(name))
                return virt_error_set(-EBADMSG, "The domain XML has no <name>");

        d = calloc(1, sizeof(*d));
        if (!d)
                return virt_error_set(-ENOMEM, "Out of memory");
        d->active = ldom != NULL;
        accel = virt_domxml_accel_element(cdom);
        d->accel = accel != NULL;
        uuid = domxml_child(facts, "uuid");
        if (!(d->name = strdup(name)) || dup_opt(uuid ? domxml_text(uuid) : NULL, &d->uuid) < 0 ||
            dup_opt(domxml_attr(accel, "performance"), &d->accel_performance) < 0 || fill_placement(d, facts) < 0 ||
            parse_ifaces(cdom, &d->ifaces, &d->n_ifaces) < 0 ||
            (ldom && parse_ifaces(ldom, &d->live_ifaces, &d->n_live_ifaces) < 0))
                return virt_error_set(-ENOMEM, "Out of memory");
        *ret = TAKE_PTR(d);
        return 0;
}

int virt_domain_parse(const char *config_xml, const char *live_xml, VirtDomain **ret) {
        _cleanup_(domxml_freep) DomXml *config = NULL, *live = NULL;
        int r;

        virt_error_clear();
        if (!config_xml || !ret)
                return virt_error_set(-EINVAL, "No domain XML");
        r = domxml_parse_string(config_xml, &config);
        if (r < 0)
                return r;
        if (live_xml) {
                r = domxml_parse_string(live_xml, &live);
                if (r < 0)
                        return r;
        }
        return virt_domain_from_xml(config, live, ret);
}

const VirtIface *virt_iface_find_mac(const VirtIface *v, size_t n, const char *mac) {
        if (!mac)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (v[i].mac && strcasecmp(v[i].mac, mac) == 0)
                        return &v[i];
        return NULL;
}

const VirtIface *virt_iface_find_pci(const VirtIface *v, size_t n, const char *pci) {
        PciAddr want, have;

        if (!pci || pci_addr_parse(pci, &want) < 0)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (v[i].type == VIRT_IFACE_HOSTDEV && v[i].pci && pci_addr_parse(v[i].pci, &have) >= 0 &&
                    pci_addr_equal(&want, &have))
                        return &v[i];
        return NULL;
}

/* ---- the facts after accelnet's own change ---- */

static int iface_add(VirtIface **v, size_t *n, const char *pci, const char *mac, unsigned vlan, const char *alias) {
        for (size_t i = 0; i < *n; i++)
                if ((*v)[i].type == VIRT_IFACE_HOSTDEV && streq_ptr((*v)[i].pci, pci))
                        return 0;
        VirtIface *nv = realloc(*v, sizeof(VirtIface) * (*n + 1));
        if (!nv)
                return -ENOMEM;
        *v = nv;
        VirtIface f = { .type = VIRT_IFACE_HOSTDEV, .vlan = vlan, .teaming = VIRT_TEAMING_TRANSIENT, .managed = true };
        if (!(f.type_name = strdup("hostdev")) || !(f.pci = strdup(pci)) || (mac && !(f.mac = strdup(mac))) ||
            (alias && !(f.alias = strdup(alias)))) {
                virt_iface_done(&f);
                return -ENOMEM;
        }
        nv[(*n)++] = f;
        return 0;
}

static void iface_drop(VirtIface *v, size_t *n, const char *pci) {
        for (size_t i = 0; i < *n; i++)
                if (v[i].type == VIRT_IFACE_HOSTDEV && streq_ptr(v[i].pci, pci)) {
                        virt_iface_done(&v[i]);
                        memmove(&v[i], &v[i + 1], sizeof(VirtIface) * (*n - i - 1));
                        (*n)--;
                        return;
                }
}

int virt_domain_note_vf(VirtDomain *d, const char *pci, const char *mac, unsigned vlan, const char *alias, bool live) {
        int r = iface_add(&d->ifaces, &d->n_ifaces, pci, mac, vlan, alias);
        if (r >= 0 && live && d->active)
                r = iface_add(&d->live_ifaces, &d->n_live_ifaces, pci, mac, vlan, alias);
        return r;
}

void virt_domain_forget_vf(VirtDomain *d, const char *pci) {
        iface_drop(d->ifaces, &d->n_ifaces, pci);
        iface_drop(d->live_ifaces, &d->n_live_ifaces, pci);
}

int virt_domain_note_accel(VirtDomain *d, const char *performance) {
        char *p = performance ? strdup(performance) : NULL;
        if (performance && !p)
                return -ENOMEM;
        free(d->accel_performance);
        d->accel_performance = p;
        d->accel = performance != NULL;
        return 0;
}
