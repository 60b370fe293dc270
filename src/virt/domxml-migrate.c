/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Domain XML handed to the libvirt hook at "migrate begin", from another host: read
 * accelnet's part of it (every value checked) and point its VF at a local one, or take it
 * out when none is free here. No connection: the hook path never calls libvirt. */
#include <ctype.h>
#include <stdio.h>

#include "shared/fileio.h"
#include "shared/names.h"
#include "shared/tier.h"
#include "virt/domxml-internal.h"

#define ACCEL_VFS_MAX 256U /* more accelnet hostdevs than a domain can hold PCI slots for */

static bool is_accel_vf(const DomNode *iface) {
        const char *alias = domxml_child_attr(iface, "alias", "name");
        return streq_ptr(domxml_attr(iface, "type"), "hostdev") && alias &&
               strncmp(alias, ACCELNET_ALIAS_PREFIX, strlen(ACCELNET_ALIAS_PREFIX)) == 0;
}

/* "52:54:00:aa:bb:cc": six two-digit hex groups, a unicast address, not all zero. */
static int check_mac(const char *s, const char *alias, char ret[static 18]) {
        unsigned first = 0;
        bool zero = true;

        if (strlen(s) != 17)
                goto bad;
        for (size_t i = 0; i < 17; i++) {
                if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char) s[i]))
                        goto bad;
                if (i % 3 != 2 && s[i] != '0')
                        zero = false;
        }
        sscanf(s, "%2x", &first);
        if (first & 1)
                return virt_error_set(-EINVAL, "MAC address '%s' of interface '%s' is a multicast address", s, alias);
        if (zero)
                return virt_error_set(-EINVAL, "MAC address '%s' of interface '%s' is all zero", s, alias);
        for (size_t i = 0; i < 17; i++)
                ret[i] = (char) tolower((unsigned char) s[i]);
        ret[17] = '\0';
        return 0;
bad:
        return virt_error_set(-EINVAL, "MAC address '%s' of interface '%s' is not of the form xx:xx:xx:xx:xx:xx", s,
                              alias);
}

static int check_vlan(const DomNode *iface, const char *alias, unsigned *ret) {
        const DomNode *vlan = domxml_child(iface, "vlan"), *tag;
        const char *id;
        uint64_t v;

        *ret = 0;
        if (!vlan)
                return 0;
        tag = domxml_child(vlan, "tag");
        if (streq_ptr(domxml_attr(vlan, "trunk"), "yes") || domxml_next(tag, "tag") || domxml_next(vlan, "vlan"))
                return virt_error_set(-EINVAL, "Interface '%s' has a VLAN trunk: an accelnet VF takes one VLAN tag",
                                      alias);
        if (!tag)
                return 0;
        id = domxml_attr(tag, "id");
        if (!id)
                return virt_error_set(-EINVAL, "The VLAN tag of interface '%s' has no id", alias);
        /* decimal digits only, as libvirt writes it */
        for (const char *c = id; *c; c++)
                if (!isdigit((unsigned char) *c))
                        goto bad;
        if (parse_u64(id, 10, &v) < 0 || v < 1 || v > 4094)
                goto bad;
        *ret = (unsigned) v;
        return 0;
bad:
        return virt_error_set(-EINVAL, "VLAN tag id '%s' of interface '%s' is not in 1..4094", id, alias);
}

/* The facts of one accelnet hostdev, each checked. */
static int read_vf(const DomNode *iface, VirtXmlVf *ret) {
        const char *alias = domxml_child_attr(iface, "alias", "name");
        const char *mac = domxml_child_attr(iface, "mac", "address");
        VirtXmlVf vf = {};
        PciAddr a;
        int r;

        r = virt_hostdev_address(iface, &a);
        if (r == -ENODATA)
                return virt_error_set(-EINVAL, "Interface '%s' has no PCI source address", alias);
        if (r < 0) {
                char why[256];
                snprintf(why, sizeof why, "%s", virt_last_error());
                return virt_error_set(r, "Interface '%s': %s", alias, why);
        }
        pci_addr_format(&a, vf.pci);
        if (mac) {
                r = check_mac(mac, alias, vf.mac);
                if (r < 0)
                        return r;
        }
        r = check_vlan(iface, alias, &vf.vlan);
        if (r < 0)
                return r;
        *ret = vf;
        return 0;
}

void virt_xml_accel_done(VirtXmlAccel *a) {
        if (!a)
                return;
        free(a->vfs);
        free(a->performance);
        *a = (VirtXmlAccel) {};
}

static int accel_read(const DomXml *x, VirtXmlAccel *ret) {
        _cleanup_(virt_xml_accel_done) VirtXmlAccel acc = {};
        const DomNode *dom, *meta;
        size_t n = 0;
        int r;

        r = virt_domxml_domain(x, "migrating domain", &dom);
        if (r < 0)
                return r;
        DomNode *devs = domxml_child(dom, "devices");
        for (DomNode *i = domxml_child(devs, "interface"); i; i = domxml_next(i, "interface"))
                if (is_accel_vf(i))
                        n++;
        if (n > ACCEL_VFS_MAX)
                return virt_error_set(-EINVAL, "The domain has %zu accelnet VF interfaces, more than %u", n,
                                      ACCEL_VFS_MAX);
        if (n > 0 && !(acc.vfs = calloc(n, sizeof(VirtXmlVf))))
                return virt_error_set(-ENOMEM, "Out of memory");
        for (DomNode *i = domxml_child(devs, "interface"); i; i = domxml_next(i, "interface")) {
                if (!is_accel_vf(i))
                        continue;
                r = read_vf(i, &acc.vfs[acc.n_vfs]);
                if (r < 0)
                        return r;
                acc.n_vfs++;
        }

        meta = virt_domxml_accel_element(dom);
        acc.accel = meta != NULL;
        const char *perf = domxml_attr(meta, "performance");
        if (perf) {
                if ((int) tier_from_string(perf) < 0)
                        return virt_error_set(-EINVAL, "Performance '%s' in the domain's accelnet metadata is not "
                                                       "Low, Medium or High", perf);
                acc.performance = strdup(perf);
                if (!acc.performance)
                        return virt_error_set(-ENOMEM, "Out of memory");
        }
        *ret = acc;
        acc = (VirtXmlAccel) {};
        return 0;
}

int virt_xml_accel_parse(const char *xml, VirtXmlAccel *ret) {
        _cleanup_(domxml_freep) DomXml *x = NULL;
        int r;

        virt_error_clear();
        if (!ret)
                return virt_error_set(-EINVAL, "Invalid arguments");
        r = domxml_parse_string(xml, &x);
        if (r == -EINVAL)
                r = virt_error_set(-EBADMSG, "No domain XML");
        if (r < 0)
                return r;
        return accel_read(x, ret);
}

static int set_address(DomNode *iface, const PciAddr *a) {
        DomNode *src = domxml_find(iface, "source/address");
        char buf[16];
        int r;

        snprintf(buf, sizeof buf, "0x%04x", a->domain);
        r = domxml_set_attr(src, "domain", buf);
        snprintf(buf, sizeof buf, "0x%02x", a->bus);
        r = r ?: domxml_set_attr(src, "bus", buf);
        snprintf(buf, sizeof buf, "0x%02x", a->dev);
        r = r ?: domxml_set_attr(src, "slot", buf);
        snprintf(buf, sizeof buf, "0x%x", a->func);
        r = r ?: domxml_set_attr(src, "function", buf);
        return r;
}

/* Parses the document and checks accelnet's part of it as virt_xml_accel_parse does: nothing
 * unchecked is passed on. */
static int parse_checked(const char *xml, DomXml **ret) {
        _cleanup_(domxml_freep) DomXml *x = NULL;
        _cleanup_(virt_xml_accel_done) VirtXmlAccel acc = {};
        int r;

        r = domxml_parse_string(xml, &x);
        if (r == -EINVAL)
                r = virt_error_set(-EBADMSG, "No domain XML");
        if (r < 0)
                return r;
        r = accel_read(x, &acc);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(x);
        return 0;
}

static bool is_accel_vf_at(const DomNode *iface, const PciAddr *at) {
        PciAddr a;
        return is_accel_vf(iface) && virt_hostdev_address(iface, &a) >= 0 && pci_addr_equal(&a, at);
}

static int write_doc(DomXml *x, char **ret) {
        int r = domxml_to_string(x, ret);
        if (r < 0)
                return virt_error_set(r, "Cannot write the domain XML: %s", strerror(-r));
        return 0;
}

int virt_xml_retarget_vf(const char *xml, const char *old_vf, const char *new_vf, char **ret) {
        _cleanup_(domxml_freep) DomXml *x = NULL;
        PciAddr from, to;
        bool done = false;
        int r;

        virt_error_clear();
        if (!ret)
                return virt_error_set(-EINVAL, "Invalid arguments");
        if (!old_vf || pci_addr_parse(old_vf, &from) < 0)
                return virt_error_set(-EINVAL, "Invalid PCI address '%s'", strempty(old_vf));
        if (!new_vf || pci_addr_parse(new_vf, &to) < 0)
                return virt_error_set(-EINVAL, "Invalid PCI address '%s'", strempty(new_vf));
        r = parse_checked(xml, &x);
        if (r < 0)
                return r;

        DomNode *devs = domxml_child(domxml_root(x), "devices");
        for (DomNode *i = domxml_child(devs, "interface"); i; i = domxml_next(i, "interface")) {
                if (!is_accel_vf_at(i, &from))
                        continue;
                if (set_address(i, &to) < 0)
                        return virt_error_set(-ENOMEM, "Out of memory");
                done = true;
        }
        if (!done)
                return virt_error_set(-ENOENT, "No accelnet VF interface has the PCI address %s", old_vf);
        return write_doc(x, ret);
}

int virt_xml_drop_vf(const char *xml, const char *vf, char **ret) {
        _cleanup_(domxml_freep) DomXml *x = NULL;
        bool done = false;
        PciAddr at;
        int r;

        virt_error_clear();
        if (!ret)
                return virt_error_set(-EINVAL, "Invalid arguments");
        if (!vf || pci_addr_parse(vf, &at) < 0)
                return virt_error_set(-EINVAL, "Invalid PCI address '%s'", strempty(vf));
        r = parse_checked(xml, &x);
        if (r < 0)
                return r;

        DomNode *devs = domxml_child(domxml_root(x), "devices");
        for (DomNode *i = domxml_child(devs, "interface"), *next; i; i = next) {
                next = domxml_next(i, "interface");
                if (!is_accel_vf_at(i, &at))
                        continue;
                domxml_remove(i);
                done = true;
        }
        if (!done)
                return virt_error_set(-ENOENT, "No accelnet VF interface has the PCI address %s", vf);
        return write_doc(x, ret);
}
