/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <inttypes.h>
#include <time.h>

#include "shared/anerror.h"
#include "shared/log.h"
#include "shared/pciaddr.h"
#include "virt/virt-internal.h"

/* Persistent changes go through the per-device calls first (they leave the rest of the
 * definition alone); when the driver refuses them (the test driver has none, and qemu
 * cannot match a NIC whose alias we are adding), the inactive XML is edited and
 * redefined. It is fetched with VIR_DOMAIN_XML_SECURE so that redefining keeps secrets
 * such as graphics passwords. */
#define CONFIG_XML_FLAGS (VIR_DOMAIN_XML_INACTIVE | VIR_DOMAIN_XML_SECURE)
#define DETACH_POLL_USEC (100U * 1000U)
#define ALIAS_MAX 48

typedef enum DeviceOp {
        DEVICE_ATTACH,
        DEVICE_UPDATE,
        DEVICE_DETACH,
} DeviceOp;

static bool mac_valid(const char *s) {
        if (!s || strlen(s) != 17)
                return false;
        for (size_t i = 0; i < 17; i++)
                if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char) s[i]))
                        return false;
        return true;
}

static bool alias_valid(const char *s) {
        if (!s || strncmp(s, "ua-accelnet-", 12) != 0 || strlen(s) <= 12 || strlen(s) > ALIAS_MAX)
                return false;
        for (const char *c = s; *c; c++)
                if (!isalnum((unsigned char) *c) && *c != '-' && *c != '_')
                        return false;
        return true;
}

static XmlNode *find_iface_mac(const XmlNode *devices, const char *mac) {
        for (XmlNode *c = xml_child(devices, "interface"); c; c = xml_next(c, "interface"))
                if (!streq_ptr(xml_attr(c, "type"), "hostdev") &&
                    strcasecmp(strempty(xml_child_attr(c, "mac", "address")), mac) == 0)
                        return c;
        return NULL;
}

static XmlNode *find_iface_alias(const XmlNode *devices, const char *alias) {
        for (XmlNode *c = xml_child(devices, "interface"); c; c = xml_next(c, "interface"))
                if (streq_ptr(xml_child_attr(c, "alias", "name"), alias))
                        return c;
        return NULL;
}

static XmlNode *find_hostdev_pci(const XmlNode *devices, const char *pci) {
        for (XmlNode *c = xml_child(devices, "interface"); c; c = xml_next(c, "interface")) {
                _cleanup_free_ char *p = NULL;
                if (streq_ptr(xml_attr(c, "type"), "hostdev") && virt_hostdev_pci(c, &p) >= 0 && streq(p, pci))
                        return c;
        }
        return NULL;
}

/* Another VF (transient interface) paired with this alias, other than `except`? */
static XmlNode *find_transient_for(const XmlNode *devices, const char *alias, const XmlNode *except) {
        for (XmlNode *c = xml_child(devices, "interface"); c; c = xml_next(c, "interface")) {
                XmlNode *t = xml_child(c, "teaming");
                if (c != except && t && streq_ptr(xml_attr(t, "type"), "transient") &&
                    streq_ptr(xml_attr(t, "persistent"), alias))
                        return c;
        }
        return NULL;
}

static bool alias_in_use(const XmlNode *devices, const char *alias) {
        for (XmlNode *c = xml_child(devices, NULL); c; c = xml_next(c, NULL))
                if (streq_ptr(xml_child_attr(c, "alias", "name"), alias))
                        return true;
        return false;
}

static XmlNode *is_teaming(const XmlNode *iface, const char *type) {
        XmlNode *t = xml_child(iface, "teaming");
        return t && streq_ptr(xml_attr(t, "type"), type) ? t : NULL;
}

/* Gives the virtio NIC `alias` and <teaming type='persistent'/>. */
static int team_virtio(XmlNode *iface, const char *alias) {
        XmlNode *a = xml_child(iface, "alias"), *t;

        if (!a && !(a = xml_new_child(iface, "alias")))
                return -ENOMEM;
        if (xml_set_attr(a, "name", alias) < 0)
                return -ENOMEM;
        while ((t = xml_child(iface, "teaming")))
                xml_node_free(t);
        t = xml_new_child(iface, "teaming");
        if (!t || xml_set_attr(t, "type", "persistent") < 0)
                return -ENOMEM;
        return 0;
}

static void untie_virtio(XmlNode *iface) {
        XmlNode *t;
        while ((t = xml_child(iface, "teaming")))
                xml_node_free(t);
}

static XmlNode *hostdev_new(const PciAddr *a, const VirtAttachArgs *args, const char *persistent) {
        _cleanup_(xml_node_freep) XmlNode *n = xml_element_new("interface");
        XmlNode *c;
        char buf[16];

        if (!n || xml_set_attr(n, "type", "hostdev") < 0 || xml_set_attr(n, "managed", "yes") < 0)
                return NULL;
        if (!(c = xml_new_child(n, "mac")) || xml_set_attr(c, "address", args->mac) < 0)
                return NULL;
        if (!(c = xml_new_child(n, "source")) || !(c = xml_new_child(c, "address")) ||
            xml_set_attr(c, "type", "pci") < 0)
                return NULL;
        snprintf(buf, sizeof(buf), "0x%04x", a->domain);
        if (xml_set_attr(c, "domain", buf) < 0)
                return NULL;
        snprintf(buf, sizeof(buf), "0x%02x", a->bus);
        if (xml_set_attr(c, "bus", buf) < 0)
                return NULL;
        snprintf(buf, sizeof(buf), "0x%02x", a->dev);
        if (xml_set_attr(c, "slot", buf) < 0)
                return NULL;
        snprintf(buf, sizeof(buf), "0x%x", a->func);
        if (xml_set_attr(c, "function", buf) < 0)
                return NULL;
        if (args->vlan > 0) {
                snprintf(buf, sizeof(buf), "%u", args->vlan);
                if (!(c = xml_new_child(n, "vlan")) || !(c = xml_new_child(c, "tag")) || xml_set_attr(c, "id", buf) < 0)
                        return NULL;
        }
        if (!(c = xml_new_child(n, "teaming")) || xml_set_attr(c, "type", "transient") < 0 ||
            xml_set_attr(c, "persistent", persistent) < 0)
                return NULL;
        if (!(c = xml_new_child(n, "alias")) || xml_set_attr(c, "name", args->alias) < 0)
                return NULL;
        return TAKE_PTR(n);
}

static int device_op(virDomainPtr d, DeviceOp op, const XmlNode *el, unsigned flags) {
        _cleanup_free_ char *xml = NULL;
        int r;

        if (xml_serialize(el, &xml) < 0)
                return virt_error_set(-ENOMEM, "Out of memory");
        switch (op) {
        case DEVICE_ATTACH: r = virDomainAttachDeviceFlags(d, xml, flags); break;
        case DEVICE_UPDATE: r = virDomainUpdateDeviceFlags(d, xml, flags); break;
        default: r = virDomainDetachDeviceFlags(d, xml, flags); break;
        }
        if (r < 0)
                return virt_error_libvirt(op == DEVICE_ATTACH   ? "Cannot attach the device"
                                          : op == DEVICE_UPDATE ? "Cannot update the device"
                                                                : "Cannot detach the device");
        return 0;
}

static int define_tree(virConnectPtr c, const XmlNode *root) {
        _cleanup_free_ char *xml = NULL;
        virDomainPtr d;

        if (xml_serialize(root, &xml) < 0)
                return virt_error_set(-ENOMEM, "Out of memory");
        d = virDomainDefineXML(c, xml);
        if (!d)
                return virt_error_libvirt("Cannot redefine the domain");
        virDomainFree(d);
        return 0;
}

static bool domain_active(const XmlNode *live) {
        const char *id = xml_attr(live, "id");
        return id && !streq(id, "-1");
}

static int attach_config(virConnectPtr c, virDomainPtr dom, XmlNode *config, XmlNode *virtio,
                         const char *alias, XmlNode *hostdev) {
        XmlNode *devices = xml_child(config, "devices");
        bool virtio_done = xml_child_attr(virtio, "alias", "name") &&
                           streq(xml_child_attr(virtio, "alias", "name"), alias) && is_teaming(virtio, "persistent");
        int r = 0;

        if (!virtio_done) {
                _cleanup_(xml_node_freep) XmlNode *copy = xml_copy(virtio);
                if (!copy || team_virtio(copy, alias) < 0)
                        return virt_error_set(-ENOMEM, "Out of memory");
                r = device_op(dom, DEVICE_UPDATE, copy, VIR_DOMAIN_AFFECT_CONFIG);
        }
        if (r >= 0)
                r = device_op(dom, DEVICE_ATTACH, hostdev, VIR_DOMAIN_AFFECT_CONFIG);
        if (r >= 0)
                return 0;

        log_debug("libvirt: per-device config change refused (%s), redefining", virt_last_error());
        if (team_virtio(virtio, alias) < 0)
                return virt_error_set(-ENOMEM, "Out of memory");
        xml_append(devices, hostdev);
        r = define_tree(c, config);
        xml_unlink(hostdev);
        return r;
}

static void attach_live(virDomainPtr dom, const VirtAttachArgs *args, const PciAddr *pci, const char *pci_str,
                        VirtAttachResult *res) {
        _cleanup_(xml_node_freep) XmlNode *live = NULL, *hostdev = NULL;
        XmlNode *devices, *virtio;
        const char *alias;
        int r;

        r = virt_domain_xml(dom, 0, &live);
        if (r < 0 || !domain_active(live)) {
                res->live = r < 0 ? VIRT_LIVE_FAILED : VIRT_LIVE_NOT_RUNNING;
                snprintf(res->message, sizeof(res->message), "%s",
                         r < 0 ? virt_last_error() : "the domain is not running");
                return;
        }
        devices = xml_child(live, "devices");
        if (find_hostdev_pci(devices, pci_str)) {
                res->live = VIRT_LIVE_ATTACHED; /* booted with it, or attached before */
                return;
        }
        virtio = find_iface_mac(devices, args->virtio_mac);
        alias = xml_child_attr(virtio, "alias", "name");
        if (!virtio || !is_teaming(virtio, "persistent") || !alias) {
                res->live = VIRT_LIVE_NOT_TEAMED_AT_BOOT;
                snprintf(res->message, sizeof(res->message),
                         "the running virtio NIC %s was not started with <teaming type='persistent'/>",
                         args->virtio_mac);
                return;
        }
        hostdev = hostdev_new(pci, args, alias);
        if (!hostdev) {
                res->live = VIRT_LIVE_FAILED;
                snprintf(res->message, sizeof(res->message), "Out of memory");
                return;
        }
        r = device_op(dom, DEVICE_ATTACH, hostdev, VIR_DOMAIN_AFFECT_LIVE);
        if (r >= 0) {
                res->live = VIRT_LIVE_ATTACHED;
                return;
        }
        res->live = r == -EOPNOTSUPP ? VIRT_LIVE_UNSUPPORTED : VIRT_LIVE_FAILED;
        snprintf(res->message, sizeof(res->message), "%s", virt_last_error());
        virt_error_clear();
}

int virt_domain_attach_vf(VirtConn *vc, const VirtAttachArgs *args, VirtAttachResult *ret) {
        _cleanup_conn_ virConnectPtr c = NULL;
        _cleanup_dom_ virDomainPtr dom = NULL;
        _cleanup_(xml_node_freep) XmlNode *config = NULL, *hostdev = NULL;
        VirtAttachResult res = { .live = VIRT_LIVE_NOT_RUNNING };
        char pci_str[PCI_ADDR_STRLEN], alias[ALIAS_MAX + 1];
        XmlNode *devices, *virtio, *existing;
        PciAddr pci;
        int r;

        virt_error_clear();
        if (!args || !ret || isempty(args->domain))
                return virt_error_set(-EINVAL, "Invalid arguments");
        if (!args->vf_pci || pci_addr_parse(args->vf_pci, &pci) < 0)
                return virt_error_set(-EINVAL, "Invalid VF PCI address '%s'", strempty(args->vf_pci));
        if (!mac_valid(args->mac) || !mac_valid(args->virtio_mac))
                return virt_error_set(-EINVAL, "Invalid MAC address '%s'",
                                      mac_valid(args->mac) ? strempty(args->virtio_mac) : strempty(args->mac));
        if (args->vlan > 4094)
                return virt_error_set(-EINVAL, "Invalid VLAN %u", args->vlan);
        if (!alias_valid(args->alias))
                return virt_error_set(-EINVAL, "Invalid device alias '%s' (want ua-accelnet-NAME)",
                                      strempty(args->alias));
        pci_addr_format(&pci, pci_str);

        c = virt_conn_acquire(vc);
        if (!c)
                return -ENOTCONN;
        r = virt_domain_lookup(c, args->domain, &dom);
        if (r < 0)
                return r;
        r = virt_domain_xml(dom, CONFIG_XML_FLAGS, &config);
        if (r < 0)
                return r;
        devices = xml_child(config, "devices");
        virtio = find_iface_mac(devices, args->virtio_mac);
        if (!virtio)
                return virt_error_set(-AN_ERROR_GET_NETWORK_ADAPTER_FAILED, "Domain '%s' has no interface with MAC %s",
                                      args->domain, args->virtio_mac);
        if (!streq_ptr(xml_child_attr(virtio, "model", "type"), "virtio"))
                return virt_error_set(-AN_ERROR_GET_NETWORK_ADAPTER_FAILED,
                                      "Interface %s of domain '%s' is not a virtio NIC", args->virtio_mac,
                                      args->domain);

        existing = find_hostdev_pci(devices, pci_str);
        if (existing && !streq_ptr(xml_child_attr(existing, "alias", "name"), args->alias))
                return virt_error_set(-EEXIST, "VF %s is already in domain '%s' as '%s'", pci_str, args->domain,
                                      strempty(xml_child_attr(existing, "alias", "name")));

        /* the virtio NIC's alias: keep a user alias, else make one up */
        const char *cur = xml_child_attr(virtio, "alias", "name");
        if (cur && strncmp(cur, "ua-", 3) == 0 && strlen(cur) <= ALIAS_MAX)
                snprintf(alias, sizeof(alias), "%s", cur);
        else {
                size_t idx = 0;
                for (XmlNode *i = xml_child(devices, "interface"); i && i != virtio; i = xml_next(i, "interface"))
                        idx++;
                for (size_t k = idx;; k++) {
                        snprintf(alias, sizeof(alias), "ua-accelnet-net%zu", k);
                        if (!alias_in_use(devices, alias))
                                break;
                }
        }
        if (find_transient_for(devices, alias, existing))
                return virt_error_set(-EEXIST, "The virtio NIC %s of domain '%s' is already paired with another VF",
                                      args->virtio_mac, args->domain);
        if (!existing && alias_in_use(devices, args->alias))
                return virt_error_set(-EEXIST, "Alias '%s' is already used in domain '%s'", args->alias,
                                      args->domain);

        if (!existing || !is_teaming(virtio, "persistent")) {
                hostdev = hostdev_new(&pci, args, alias);
                if (!hostdev)
                        return virt_error_set(-ENOMEM, "Out of memory");
                if (existing) {
                        /* the VF is there but its partner lost the teaming: repair only that */
                        xml_node_free(TAKE_PTR(hostdev));
                        _cleanup_(xml_node_freep) XmlNode *copy = xml_copy(virtio);
                        if (!copy || team_virtio(copy, alias) < 0)
                                return virt_error_set(-ENOMEM, "Out of memory");
                        if (device_op(dom, DEVICE_UPDATE, copy, VIR_DOMAIN_AFFECT_CONFIG) < 0) {
                                if (team_virtio(virtio, alias) < 0)
                                        return virt_error_set(-ENOMEM, "Out of memory");
                                r = define_tree(c, config);
                                if (r < 0)
                                        return r;
                        }
                } else {
                        r = attach_config(c, dom, config, virtio, alias, hostdev);
                        if (r < 0)
                                return r;
                }
                res.changed_config = true;
        }
        snprintf(res.virtio_alias, sizeof(res.virtio_alias), "%s", alias);

        attach_live(dom, args, &pci, pci_str, &res);
        log_debug("libvirt: VF %s in domain %s: config %s, %s", pci_str, args->domain,
                  res.changed_config ? "changed" : "unchanged", virt_live_to_string(res.live));
        *ret = res;
        return 0;
}

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000U + (uint64_t) ts.tv_nsec / 1000U;
}

/* 1: gone from the live definition (or not running), 0: still there, <0 error. */
static int live_gone(virDomainPtr dom, const char *pci_str) {
        _cleanup_(xml_node_freep) XmlNode *live = NULL;
        int r = virt_domain_xml(dom, 0, &live);
        if (r < 0)
                return r;
        return !domain_active(live) || !find_hostdev_pci(xml_child(live, "devices"), pci_str);
}

static int detach_live(virDomainPtr dom, const char *pci_str, uint64_t timeout_usec, VirtDetachResult *res) {
        _cleanup_(xml_node_freep) XmlNode *live = NULL;
        XmlNode *hostdev;
        const char *alias;
        int r;

        r = virt_domain_xml(dom, 0, &live);
        if (r < 0)
                return r;
        if (!domain_active(live))
                return 0;
        hostdev = find_hostdev_pci(xml_child(live, "devices"), pci_str);
        if (!hostdev)
                return 0;
        alias = xml_child_attr(hostdev, "alias", "name");
        if (alias)
                r = virDomainDetachDeviceAlias(dom, alias, VIR_DOMAIN_AFFECT_LIVE) < 0
                            ? virt_error_libvirt("Cannot detach the device")
                            : 0;
        else
                r = device_op(dom, DEVICE_DETACH, hostdev, VIR_DOMAIN_AFFECT_LIVE);
        if (r < 0)
                return r;

        /* libvirt returns once the unplug is requested; the guest may take its time */
        for (uint64_t deadline = now_usec() + timeout_usec;;) {
                r = live_gone(dom, pci_str);
                if (r < 0)
                        return r;
                if (r > 0) {
                        res->detached_live = true;
                        return 0;
                }
                uint64_t now = now_usec();
                if (now >= deadline)
                        return virt_error_set(-ETIMEDOUT, "VF %s is still attached to the running domain after %" PRIu64
                                                          " ms (the guest has not released it)",
                                              pci_str, timeout_usec / 1000U);
                uint64_t step = deadline - now < DETACH_POLL_USEC ? deadline - now : DETACH_POLL_USEC;
                struct timespec ts = { .tv_sec = (time_t) (step / 1000000U), .tv_nsec = (long) (step % 1000000U) * 1000L };
                (void) nanosleep(&ts, NULL);
        }
}

static int detach_config(virConnectPtr c, virDomainPtr dom, const char *pci_str, VirtDetachResult *res) {
        _cleanup_(xml_node_freep) XmlNode *config = NULL;
        XmlNode *devices, *hostdev, *virtio = NULL;
        _cleanup_free_ char *partner = NULL;
        int r;

        r = virt_domain_xml(dom, CONFIG_XML_FLAGS, &config);
        if (r < 0)
                return r;
        devices = xml_child(config, "devices");
        hostdev = find_hostdev_pci(devices, pci_str);
        if (!hostdev)
                return 0;
        if (is_teaming(hostdev, "transient") && xml_attr(is_teaming(hostdev, "transient"), "persistent") &&
            !(partner = strdup(xml_attr(is_teaming(hostdev, "transient"), "persistent"))))
                return virt_error_set(-ENOMEM, "Out of memory");
        if (partner && !find_transient_for(devices, partner, hostdev))
                virtio = find_iface_alias(devices, partner);
        if (virtio && !is_teaming(virtio, "persistent"))
                virtio = NULL;

        r = device_op(dom, DEVICE_DETACH, hostdev, VIR_DOMAIN_AFFECT_CONFIG);
        if (r >= 0 && virtio) {
                _cleanup_(xml_node_freep) XmlNode *copy = xml_copy(virtio);
                if (!copy)
                        return virt_error_set(-ENOMEM, "Out of memory");
                untie_virtio(copy);
                r = device_op(dom, DEVICE_UPDATE, copy, VIR_DOMAIN_AFFECT_CONFIG);
        }
        if (r < 0) {
                log_debug("libvirt: per-device config change refused (%s), redefining", virt_last_error());
                /* the detach may have gone through: edit a fresh copy */
                config = xml_node_free(config);
                r = virt_domain_xml(dom, CONFIG_XML_FLAGS, &config);
                if (r < 0)
                        return r;
                devices = xml_child(config, "devices");
                hostdev = find_hostdev_pci(devices, pci_str);
                virtio = partner && !find_transient_for(devices, partner, hostdev) ? find_iface_alias(devices, partner)
                                                                                    : NULL;
                xml_node_free(hostdev);
                if (virtio)
                        untie_virtio(virtio);
                r = define_tree(c, config);
                if (r < 0)
                        return r;
        }
        res->changed_config = true;
        return 0;
}

int virt_domain_detach_vf(VirtConn *vc, const char *domain, const char *vf_pci, uint64_t timeout_usec,
                          VirtDetachResult *ret) {
        _cleanup_conn_ virConnectPtr c = NULL;
        _cleanup_dom_ virDomainPtr dom = NULL;
        VirtDetachResult res = {};
        char pci_str[PCI_ADDR_STRLEN];
        PciAddr pci;
        int r, r_live;

        virt_error_clear();
        if (isempty(domain) || !ret)
                return virt_error_set(-EINVAL, "Invalid arguments");
        if (!vf_pci || pci_addr_parse(vf_pci, &pci) < 0)
                return virt_error_set(-EINVAL, "Invalid VF PCI address '%s'", strempty(vf_pci));
        pci_addr_format(&pci, pci_str);

        c = virt_conn_acquire(vc);
        if (!c)
                return -ENOTCONN;
        r = virt_domain_lookup(c, domain, &dom);
        if (r < 0)
                return r;

        r_live = detach_live(dom, pci_str, timeout_usec, &res);
        _cleanup_free_ char *live_error = r_live < 0 ? strdup(virt_last_error()) : NULL;
        /* the persistent config is updated even when the live removal is incomplete */
        r = detach_config(c, dom, pci_str, &res);
        if (r < 0)
                return r;
        *ret = res;
        if (r_live < 0)
                return virt_error_set(r_live, "%s", live_error ? live_error : "Live detach failed");
        return 0;
}
