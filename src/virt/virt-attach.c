/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <stdio.h>
#include <strings.h>
#include <inttypes.h>
#include <time.h>

#include "shared/anerror.h"
#include "shared/log.h"
#include "shared/names.h"
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
        size_t pl = strlen(ACCELNET_ALIAS_PREFIX);
        if (!s || strncmp(s, ACCELNET_ALIAS_PREFIX, pl) != 0 || strlen(s) <= pl || strlen(s) > ALIAS_MAX)
                return false;
        for (const char *c = s; *c; c++)
                if (!isalnum((unsigned char) *c) && *c != '-' && *c != '_')
                        return false;
        return true;
}

static DomNode *find_iface_mac(const DomNode *devices, const char *mac) {
        for (DomNode *c = domxml_child(devices, "interface"); c; c = domxml_next(c, "interface"))
                if (!streq_ptr(domxml_attr(c, "type"), "hostdev") &&
                    strcasecmp(strempty(domxml_child_attr(c, "mac", "address")), mac) == 0)
                        return c;
        return NULL;
}

static DomNode *find_iface_alias(const DomNode *devices, const char *alias) {
        for (DomNode *c = domxml_child(devices, "interface"); c; c = domxml_next(c, "interface"))
                if (streq_ptr(domxml_child_attr(c, "alias", "name"), alias))
                        return c;
        return NULL;
}

static DomNode *find_hostdev_pci(const DomNode *devices, const char *pci) {
        for (DomNode *c = domxml_child(devices, "interface"); c; c = domxml_next(c, "interface")) {
                _cleanup_free_ char *p = NULL;
                if (streq_ptr(domxml_attr(c, "type"), "hostdev") && virt_hostdev_pci(c, &p) >= 0 && streq(p, pci))
                        return c;
        }
        return NULL;
}

/* Another VF (transient interface) paired with this alias, other than `except`? */
static DomNode *find_transient_for(const DomNode *devices, const char *alias, const DomNode *except) {
        for (DomNode *c = domxml_child(devices, "interface"); c; c = domxml_next(c, "interface")) {
                DomNode *t = domxml_child(c, "teaming");
                if (c != except && t && streq_ptr(domxml_attr(t, "type"), "transient") &&
                    streq_ptr(domxml_attr(t, "persistent"), alias))
                        return c;
        }
        return NULL;
}

static bool alias_in_use(const DomNode *devices, const char *alias) {
        for (DomNode *c = domxml_child(devices, NULL); c; c = domxml_next(c, NULL))
                if (streq_ptr(domxml_child_attr(c, "alias", "name"), alias))
                        return true;
        return false;
}

static DomNode *is_teaming(const DomNode *iface, const char *type) {
        DomNode *t = domxml_child(iface, "teaming");
        return t && streq_ptr(domxml_attr(t, "type"), type) ? t : NULL;
}

/* Gives the virtio NIC `alias` and <teaming type='persistent'/>. */
static int team_virtio(DomNode *iface, const char *alias) {
        DomNode *a = domxml_child(iface, "alias"), *t;

        if (!a && !(a = domxml_new_child(iface, "alias")))
                return -ENOMEM;
        if (domxml_set_attr(a, "name", alias) < 0)
                return -ENOMEM;
        while ((t = domxml_child(iface, "teaming")))
                domxml_remove(t);
        t = domxml_new_child(iface, "teaming");
        if (!t || domxml_set_attr(t, "type", "persistent") < 0)
                return -ENOMEM;
        return 0;
}

static void untie_virtio(DomNode *iface) {
        DomNode *t;
        while ((t = domxml_child(iface, "teaming")))
                domxml_remove(t);
}

/* A document whose root is the VF's <interface type='hostdev'>. */
static DomXml *hostdev_new(const PciAddr *a, const VirtAttachArgs *args, const char *persistent) {
        _cleanup_(domxml_freep) DomXml *x = NULL;
        DomNode *n, *c;
        char buf[16];

        if (domxml_new("interface", &x) < 0)
                return NULL;
        n = domxml_root(x);
        if (domxml_set_attr(n, "type", "hostdev") < 0 || domxml_set_attr(n, "managed", "yes") < 0)
                return NULL;
        if (!(c = domxml_new_child(n, "mac")) || domxml_set_attr(c, "address", args->mac) < 0)
                return NULL;
        if (!(c = domxml_new_child(n, "source")) || !(c = domxml_new_child(c, "address")) ||
            domxml_set_attr(c, "type", "pci") < 0)
                return NULL;
        snprintf(buf, sizeof(buf), "0x%04x", a->domain);
        if (domxml_set_attr(c, "domain", buf) < 0)
                return NULL;
        snprintf(buf, sizeof(buf), "0x%02x", a->bus);
        if (domxml_set_attr(c, "bus", buf) < 0)
                return NULL;
        snprintf(buf, sizeof(buf), "0x%02x", a->dev);
        if (domxml_set_attr(c, "slot", buf) < 0)
                return NULL;
        snprintf(buf, sizeof(buf), "0x%x", a->func);
        if (domxml_set_attr(c, "function", buf) < 0)
                return NULL;
        if (args->vlan > 0) {
                snprintf(buf, sizeof(buf), "%u", args->vlan);
                if (!(c = domxml_new_child(n, "vlan")) || !(c = domxml_new_child(c, "tag")) || domxml_set_attr(c, "id", buf) < 0)
                        return NULL;
        }
        if (!(c = domxml_new_child(n, "teaming")) || domxml_set_attr(c, "type", "transient") < 0 ||
            domxml_set_attr(c, "persistent", persistent) < 0)
                return NULL;
        if (!(c = domxml_new_child(n, "alias")) || domxml_set_attr(c, "name", args->alias) < 0)
                return NULL;
        return TAKE_PTR(x);
}

static int device_op(virDomainPtr d, DeviceOp op, const DomNode *el, unsigned flags) {
        _cleanup_free_ char *xml = NULL;
        int r;

        if (domxml_node_to_string(el, &xml) < 0)
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

static int define_tree(virConnectPtr c, const DomXml *config) {
        _cleanup_free_ char *xml = NULL;
        virDomainPtr d;

        if (domxml_to_string(config, &xml) < 0)
                return virt_error_set(-ENOMEM, "Out of memory");
        d = virDomainDefineXML(c, xml);
        if (!d)
                return virt_error_libvirt("Cannot redefine the domain");
        virDomainFree(d);
        return 0;
}

static int attach_config(virConnectPtr c, virDomainPtr dom, DomXml *config, DomNode *virtio,
                         const char *alias, const DomNode *hostdev) {
        DomNode *devices = domxml_child(domxml_root(config), "devices");
        bool virtio_done = domxml_child_attr(virtio, "alias", "name") &&
                           streq(domxml_child_attr(virtio, "alias", "name"), alias) && is_teaming(virtio, "persistent");
        int r = 0;

        if (!virtio_done) {
                _cleanup_(domxml_freep) DomXml *copy = NULL;
                if (domxml_copy(virtio, &copy) < 0 || team_virtio(domxml_root(copy), alias) < 0)
                        return virt_error_set(-ENOMEM, "Out of memory");
                r = device_op(dom, DEVICE_UPDATE, domxml_root(copy), VIR_DOMAIN_AFFECT_CONFIG);
        }
        if (r >= 0)
                r = device_op(dom, DEVICE_ATTACH, hostdev, VIR_DOMAIN_AFFECT_CONFIG);
        if (r >= 0)
                return 0;

        log_debug("libvirt: per-device config change refused (%s), redefining", virt_last_error());
        if (team_virtio(virtio, alias) < 0)
                return virt_error_set(-ENOMEM, "Out of memory");
        if (!domxml_append_copy(devices, hostdev))
                return virt_error_set(-ENOMEM, "Out of memory");
        return define_tree(c, config);
}

static void attach_live(virDomainPtr dom, const VirtAttachArgs *args, const PciAddr *pci, const char *pci_str,
                        VirtAttachResult *res) {
        _cleanup_(domxml_freep) DomXml *live = NULL, *hostdev = NULL;
        DomNode *devices, *virtio;
        const char *alias;
        int r;

        r = virt_domain_xml(dom, 0, &live);
        if (r < 0 || !virt_domxml_active(live)) {
                res->live = r < 0 ? VIRT_LIVE_FAILED : VIRT_LIVE_NOT_RUNNING;
                snprintf(res->message, sizeof(res->message), "%s",
                         r < 0 ? virt_last_error() : "the domain is not running");
                return;
        }
        devices = domxml_child(domxml_root(live), "devices");
        if (find_hostdev_pci(devices, pci_str)) {
                res->live = VIRT_LIVE_ATTACHED; /* booted with it, or attached before */
                return;
        }
        virtio = find_iface_mac(devices, args->virtio_mac);
        alias = domxml_child_attr(virtio, "alias", "name");
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
        r = device_op(dom, DEVICE_ATTACH, domxml_root(hostdev), VIR_DOMAIN_AFFECT_LIVE);
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
        _cleanup_(domxml_freep) DomXml *config = NULL, *hostdev = NULL;
        VirtAttachResult res = { .live = VIRT_LIVE_NOT_RUNNING };
        char pci_str[PCI_ADDR_STRLEN], alias[ALIAS_MAX + 1];
        DomNode *devices, *virtio, *existing;
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
        /* A transient domain (an incoming migration, `virsh create`) has no persistent
         * definition to change: the VF goes in live only, and redefining it would make it
         * persistent behind the admin's back. */
        bool transient = virDomainIsPersistent(dom) == 0;
        devices = domxml_child(domxml_root(config), "devices");
        virtio = find_iface_mac(devices, args->virtio_mac);
        if (!virtio)
                return virt_error_set(-AN_ERROR_GET_NETWORK_ADAPTER_FAILED, "Domain '%s' has no interface with MAC %s",
                                      args->domain, args->virtio_mac);
        if (!streq_ptr(domxml_child_attr(virtio, "model", "type"), "virtio"))
                return virt_error_set(-AN_ERROR_GET_NETWORK_ADAPTER_FAILED,
                                      "Interface %s of domain '%s' is not a virtio NIC", args->virtio_mac,
                                      args->domain);

        existing = find_hostdev_pci(devices, pci_str);
        if (existing && !streq_ptr(domxml_child_attr(existing, "alias", "name"), args->alias))
                return virt_error_set(-EEXIST, "VF %s is already in domain '%s' as '%s'", pci_str, args->domain,
                                      strempty(domxml_child_attr(existing, "alias", "name")));

        /* the virtio NIC's alias: keep a user alias, else make one up */
        const char *cur = domxml_child_attr(virtio, "alias", "name");
        if (cur && strncmp(cur, "ua-", 3) == 0 && strlen(cur) <= ALIAS_MAX)
                snprintf(alias, sizeof(alias), "%s", cur);
        else {
                size_t idx = 0;
                for (DomNode *i = domxml_child(devices, "interface"); i && i != virtio; i = domxml_next(i, "interface"))
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

        if (!transient && (!existing || !is_teaming(virtio, "persistent"))) {
                hostdev = hostdev_new(&pci, args, alias);
                if (!hostdev)
                        return virt_error_set(-ENOMEM, "Out of memory");
                if (existing) {
                        /* the VF is there but its partner lost the teaming: repair only that */
                        hostdev = domxml_free(hostdev);
                        _cleanup_(domxml_freep) DomXml *copy = NULL;
                        if (domxml_copy(virtio, &copy) < 0 || team_virtio(domxml_root(copy), alias) < 0)
                                return virt_error_set(-ENOMEM, "Out of memory");
                        if (device_op(dom, DEVICE_UPDATE, domxml_root(copy), VIR_DOMAIN_AFFECT_CONFIG) < 0) {
                                if (team_virtio(virtio, alias) < 0)
                                        return virt_error_set(-ENOMEM, "Out of memory");
                                r = define_tree(c, config);
                                if (r < 0)
                                        return r;
                        }
                } else {
                        r = attach_config(c, dom, config, virtio, alias, domxml_root(hostdev));
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
        _cleanup_(domxml_freep) DomXml *live = NULL;
        int r = virt_domain_xml(dom, 0, &live);
        if (r < 0)
                return r;
        return !virt_domxml_active(live) || !find_hostdev_pci(domxml_child(domxml_root(live), "devices"), pci_str);
}

static int detach_live(virDomainPtr dom, const char *pci_str, uint64_t timeout_usec, VirtDetachResult *res) {
        _cleanup_(domxml_freep) DomXml *live = NULL;
        DomNode *hostdev;
        const char *alias;
        int r;

        r = virt_domain_xml(dom, 0, &live);
        if (r < 0)
                return r;
        if (!virt_domxml_active(live))
                return 0;
        hostdev = find_hostdev_pci(domxml_child(domxml_root(live), "devices"), pci_str);
        if (!hostdev)
                return 0;
        alias = domxml_child_attr(hostdev, "alias", "name");
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
        _cleanup_(domxml_freep) DomXml *config = NULL;
        DomNode *devices, *hostdev, *virtio = NULL;
        _cleanup_free_ char *partner = NULL;
        int r;

        if (virDomainIsPersistent(dom) == 0)
                return 0; /* transient: nothing but the live definition, done by the caller */
        r = virt_domain_xml(dom, CONFIG_XML_FLAGS, &config);
        if (r < 0)
                return r;
        devices = domxml_child(domxml_root(config), "devices");
        hostdev = find_hostdev_pci(devices, pci_str);
        if (!hostdev)
                return 0;
        if (is_teaming(hostdev, "transient") && domxml_attr(is_teaming(hostdev, "transient"), "persistent") &&
            !(partner = strdup(domxml_attr(is_teaming(hostdev, "transient"), "persistent"))))
                return virt_error_set(-ENOMEM, "Out of memory");
        if (partner && !find_transient_for(devices, partner, hostdev))
                virtio = find_iface_alias(devices, partner);
        if (virtio && !is_teaming(virtio, "persistent"))
                virtio = NULL;

        r = device_op(dom, DEVICE_DETACH, hostdev, VIR_DOMAIN_AFFECT_CONFIG);
        if (r >= 0 && virtio) {
                _cleanup_(domxml_freep) DomXml *copy = NULL;
                if (domxml_copy(virtio, &copy) < 0)
                        return virt_error_set(-ENOMEM, "Out of memory");
                untie_virtio(domxml_root(copy));
                r = device_op(dom, DEVICE_UPDATE, domxml_root(copy), VIR_DOMAIN_AFFECT_CONFIG);
        }
        if (r < 0) {
                log_debug("libvirt: per-device config change refused (%s), redefining", virt_last_error());
                /* the detach may have gone through: edit a fresh copy */
                config = domxml_free(config);
                r = virt_domain_xml(dom, CONFIG_XML_FLAGS, &config);
                if (r < 0)
                        return r;
                devices = domxml_child(domxml_root(config), "devices");
                hostdev = find_hostdev_pci(devices, pci_str);
                virtio = partner && !find_transient_for(devices, partner, hostdev) ? find_iface_alias(devices, partner)
                                                                                    : NULL;
                domxml_remove(hostdev);
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
