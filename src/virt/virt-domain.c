/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>

#include "shared/anerror.h"
#include "shared/fileio.h"
#include "shared/names.h"
#include "shared/pciaddr.h"
#include "shared/string-table.h"
#include "virt/virt-internal.h"

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

static const char *const virt_live_table[_VIRT_LIVE_MAX] = {
        [VIRT_LIVE_ATTACHED] = "live",
        [VIRT_LIVE_NOT_RUNNING] = "applies at next start: domain not running",
        [VIRT_LIVE_NOT_TEAMED_AT_BOOT] = "applies at next start: virtio NIC not teamed at boot",
        [VIRT_LIVE_UNSUPPORTED] = "applies at next start: live attach not supported",
        [VIRT_LIVE_FAILED] = "applies at next start: live attach failed",
};
DEFINE_STRING_TABLE_LOOKUP(virt_live, VirtLive);

int virt_xml_parse(const char *xml, XmlNode **ret) {
        size_t off = 0;
        int r = xml_parse(xml, strlen(xml), ret, &off);
        if (r < 0)
                return virt_error_set(r == -ENOMEM ? -ENOMEM : -EBADMSG,
                                      "Cannot parse libvirt's XML at byte %zu: %s", off, strerror(-r));
        return 0;
}

int virt_domain_lookup(virConnectPtr c, const char *name, virDomainPtr *ret) {
        virDomainPtr d;

        if (isempty(name))
                return virt_error_set(-EINVAL, "Empty domain name");
        d = virDomainLookupByName(c, name);
        if (!d) {
                int r = virt_error_libvirt("Cannot look up domain");
                if (r == -AN_ERROR_NO_SUCH_VM)
                        virt_error_set(r, "No such domain '%s'", name);
                return r;
        }
        *ret = d;
        return 0;
}

int virt_domain_xml(virDomainPtr d, unsigned flags, XmlNode **ret) {
        _cleanup_free_ char *xml = virDomainGetXMLDesc(d, flags);
        _cleanup_(xml_node_freep) XmlNode *root = NULL;
        int r;

        if (!xml)
                return virt_error_libvirt("Cannot get the domain XML");
        r = virt_xml_parse(xml, &root);
        if (r < 0)
                return r;
        if (!streq(root->name, "domain"))
                return virt_error_set(-EBADMSG, "Domain XML has root <%s>", root->name);
        *ret = TAKE_PTR(root);
        return 0;
}

static int parse_hex_attr(const XmlNode *n, const char *name, uint32_t max, uint32_t *ret) {
        uint64_t v;
        const char *s = xml_attr(n, name);
        if (!s || parse_u64(s, 0, &v) < 0 || v > max)
                return -EBADMSG;
        *ret = (uint32_t) v;
        return 0;
}

int virt_hostdev_pci(const XmlNode *iface, char **ret) {
        const XmlNode *a = xml_find(iface, "source/address");
        uint32_t dom, bus, slot, fn;

        if (!a || !streq_ptr(xml_attr(a, "type"), "pci"))
                return -ENODATA;
        if (!xml_attr(a, "domain"))
                dom = 0;
        else if (parse_hex_attr(a, "domain", 0xffffffffU, &dom) < 0)
                return -EBADMSG;
        if (parse_hex_attr(a, "bus", 0xff, &bus) < 0 || parse_hex_attr(a, "slot", 0x1f, &slot) < 0 ||
            parse_hex_attr(a, "function", 7, &fn) < 0)
                return -EBADMSG;
        return asprintf(ret, "%04x:%02x:%02x.%x", dom, bus, slot, fn) < 0 ? -ENOMEM : 0;
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

int virt_iface_parse(const XmlNode *n, VirtIface *ret) {
        VirtIface i = {};
        const char *type = xml_attr(n, "type");
        const XmlNode *team = xml_child(n, "teaming");
        const char *vlan = xml_find(n, "vlan/tag") ? xml_attr(xml_find(n, "vlan/tag"), "id") : NULL;
        int r = 0;

        i.type = type ? virt_iface_type_from_string(type) : VIRT_IFACE_OTHER;
        if ((int) i.type < 0)
                i.type = VIRT_IFACE_OTHER;
        i.managed = streq_ptr(xml_attr(n, "managed"), "yes");
        if (team) {
                VirtTeaming t = virt_teaming_from_string(xml_attr(team, "type"));
                i.teaming = (int) t < 0 ? VIRT_TEAMING_NONE : t;
        }
        if (vlan) {
                uint32_t v;
                if (parse_u32(vlan, 10, &v) >= 0 && v <= 4095)
                        i.vlan = v;
        }
        if (dup_opt(type, &i.type_name) < 0 || dup_opt(xml_child_attr(n, "model", "type"), &i.model) < 0 ||
            dup_opt(xml_child_attr(n, "mac", "address"), &i.mac) < 0 ||
            dup_opt(xml_child_attr(n, "alias", "name"), &i.alias) < 0 ||
            dup_opt(team ? xml_attr(team, "persistent") : NULL, &i.teaming_persistent) < 0)
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

static int parse_ifaces(const XmlNode *dom, VirtIface **ret, size_t *ret_n) {
        const XmlNode *devs = xml_child(dom, "devices");
        size_t n = xml_count_children(devs, "interface"), k = 0;
        VirtIface *v = NULL;

        if (n > 0 && !(v = calloc(n, sizeof(VirtIface))))
                return -ENOMEM;
        for (XmlNode *c = xml_child(devs, "interface"); c; c = xml_next(c, "interface")) {
                int r = virt_iface_parse(c, &v[k]);
                if (r < 0) {
                        for (size_t j = 0; j < k; j++)
                                virt_iface_done(&v[j]);
                        free(v);
                        return r;
                }
                k++;
        }
        *ret = v;
        *ret_n = k;
        return 0;
}

static int parse_sets(const XmlNode *parent, const char *elem, const char *id_attr, const char *set_attr,
                      bool with_mode, VirtNamedSet **ret, size_t *ret_n) {
        size_t n = xml_count_children(parent, elem), k = 0;
        VirtNamedSet *v = NULL;

        if (n > 0 && !(v = calloc(n, sizeof(VirtNamedSet))))
                return -ENOMEM;
        for (XmlNode *c = xml_child(parent, elem); c; c = xml_next(c, elem)) {
                uint32_t id;
                if (parse_u32(strempty(xml_attr(c, id_attr)), 10, &id) < 0)
                        continue;
                v[k].id = id;
                if (dup_opt(xml_attr(c, set_attr), &v[k].set) < 0 ||
                    (with_mode && dup_opt(xml_attr(c, "mode"), &v[k].mode) < 0)) {
                        k++;
                        for (size_t j = 0; j < k; j++) {
                                free(v[j].set);
                                free(v[j].mode);
                        }
                        free(v);
                        return -ENOMEM;
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

static void ifaces_free(VirtIface *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                virt_iface_done(&v[i]);
        free(v);
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
        free(d->accel_performance);
        sets_free(d->memnodes, d->n_memnodes);
        sets_free(d->vcpupins, d->n_vcpupins);
        ifaces_free(d->ifaces, d->n_ifaces);
        ifaces_free(d->live_ifaces, d->n_live_ifaces);
        free(d);
        return NULL;
}

static int fill_placement(VirtDomain *d, const XmlNode *dom) {
        const XmlNode *vcpu = xml_child(dom, "vcpu");
        const XmlNode *numa = xml_child(dom, "numatune");
        const XmlNode *mem = xml_child(numa, "memory");
        uint32_t v;

        if (vcpu && parse_u32(xml_text(vcpu), 10, &v) >= 0)
                d->vcpus = d->vcpus_max = v;
        if (vcpu && xml_attr(vcpu, "current") && parse_u32(xml_attr(vcpu, "current"), 10, &v) >= 0)
                d->vcpus = v;
        if (dup_opt(xml_attr(vcpu, "placement"), &d->vcpu_placement) < 0 ||
            dup_opt(xml_attr(vcpu, "cpuset"), &d->vcpu_cpuset) < 0 ||
            dup_opt(xml_attr(mem, "mode"), &d->numa_mode) < 0 ||
            dup_opt(xml_attr(mem, "nodeset"), &d->numa_nodeset) < 0 ||
            dup_opt(xml_attr(mem, "placement"), &d->numa_placement) < 0)
                return -ENOMEM;
        if (parse_sets(numa, "memnode", "cellid", "nodeset", true, &d->memnodes, &d->n_memnodes) < 0 ||
            parse_sets(xml_child(dom, "cputune"), "vcpupin", "vcpu", "cpuset", false, &d->vcpupins,
                       &d->n_vcpupins) < 0)
                return -ENOMEM;
        return 0;
}

int virt_domain_get(VirtConn *vc, const char *name, VirtDomain **ret) {
        _cleanup_conn_ virConnectPtr c = NULL;
        _cleanup_dom_ virDomainPtr dom = NULL;
        _cleanup_(xml_node_freep) XmlNode *live = NULL, *config = NULL;
        _cleanup_(virt_domain_freep) VirtDomain *d = NULL;
        char uuid[VIR_UUID_STRING_BUFLEN];
        int r;

        virt_error_clear();
        if (!ret)
                return virt_error_set(-EINVAL, "Invalid arguments");
        c = virt_conn_acquire(vc);
        if (!c)
                return -ENOTCONN;
        r = virt_domain_lookup(c, name, &dom);
        if (r < 0)
                return r;
        /* One fetch decides "active": a running domain's live XML carries its id. */
        r = virt_domain_xml(dom, 0, &live);
        if (r < 0)
                return r;
        r = virt_domain_xml(dom, VIR_DOMAIN_XML_INACTIVE, &config);
        if (r < 0)
                return r;
        if (virDomainGetUUIDString(dom, uuid) < 0)
                return virt_error_libvirt("Cannot get the domain UUID");

        d = calloc(1, sizeof(*d));
        if (!d)
                return virt_error_set(-ENOMEM, "Out of memory");
        d->active = xml_attr(live, "id") && !streq(xml_attr(live, "id"), "-1");
        if (!(d->name = strdup(name)) || !(d->uuid = strdup(uuid)))
                return virt_error_set(-ENOMEM, "Out of memory");
        if (fill_placement(d, d->active ? live : config) < 0 ||
            parse_ifaces(config, &d->ifaces, &d->n_ifaces) < 0 ||
            (d->active && parse_ifaces(live, &d->live_ifaces, &d->n_live_ifaces) < 0))
                return virt_error_set(-ENOMEM, "Out of memory");
        const XmlNode *meta = xml_find(config, "metadata/" ACCELNET_METADATA_PREFIX ":" ACCELNET_METADATA_ELEMENT);
        d->accel = meta != NULL;
        if (meta && xml_attr(meta, "performance") && !(d->accel_performance = strdup(xml_attr(meta, "performance"))))
                return virt_error_set(-ENOMEM, "Out of memory");
        *ret = TAKE_PTR(d);
        return 0;
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
