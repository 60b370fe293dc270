/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Domain XML handed to the libvirt hook at "migrate begin": find accelnet's VF hostdevs and
 * point them at local VFs. Pure XML work: no connection, so the hook path never calls libvirt. */
#include <stdio.h>

#include "shared/macro.h"
#include "shared/pciaddr.h"
#include "virt.h"
#include "xml.h"

static bool is_our_vf(const XmlNode *iface) {
        const char *type = xml_attr(iface, "type"), *alias = xml_child_attr(iface, "alias", "name");
        return type && streq(type, "hostdev") && alias && strncmp(alias, "ua-accelnet-", 12) == 0;
}

static int iface_pci(const XmlNode *iface, char buf[static PCI_ADDR_STRLEN]) {
        const XmlNode *a = xml_find(iface, "source/address");
        unsigned long dom, bus, slot, fn;
        if (!a || !xml_attr(a, "domain") || !xml_attr(a, "bus") || !xml_attr(a, "slot") || !xml_attr(a, "function"))
                return -EBADMSG;
        dom = strtoul(xml_attr(a, "domain"), NULL, 0);
        bus = strtoul(xml_attr(a, "bus"), NULL, 0);
        slot = strtoul(xml_attr(a, "slot"), NULL, 0);
        fn = strtoul(xml_attr(a, "function"), NULL, 0);
        if (bus > 0xff || slot > 0x1f || fn > 7)
                return -EBADMSG;
        snprintf(buf, PCI_ADDR_STRLEN, "%04lx:%02lx:%02lx.%lu", dom, bus, slot, fn);
        return 0;
}

int virt_xml_accel_vfs(const char *xml, VirtXmlVf **ret_vfs, size_t *ret_n) {
        _cleanup_(xml_node_freep) XmlNode *root = NULL;
        VirtXmlVf *v = NULL;
        size_t n = 0;
        int r;

        r = xml_parse_string(xml, &root);
        if (r < 0)
                return r;
        XmlNode *devs = xml_child(root, "devices");
        for (XmlNode *i = devs ? xml_child(devs, "interface") : NULL; i; i = xml_next(i, "interface")) {
                char pci[PCI_ADDR_STRLEN];
                if (!is_our_vf(i) || iface_pci(i, pci) < 0)
                        continue;
                VirtXmlVf *nv = realloc(v, sizeof(VirtXmlVf) * (n + 1));
                if (!nv) {
                        free(v);
                        return -ENOMEM;
                }
                v = nv;
                const char *mac = xml_child_attr(i, "mac", "address");
                const XmlNode *tag = xml_find(i, "vlan/tag");
                v[n] = (VirtXmlVf){ .vlan = tag && xml_attr(tag, "id") ? (unsigned) strtoul(xml_attr(tag, "id"), NULL, 10) : 0 };
                snprintf(v[n].pci, sizeof v[n].pci, "%s", pci);
                snprintf(v[n].mac, sizeof v[n].mac, "%s", strempty(mac));
                n++;
        }
        *ret_vfs = v;
        *ret_n = n;
        return 0;
}

int virt_xml_retarget_vf(const char *xml, const char *old_vf, const char *new_vf, char **ret) {
        _cleanup_(xml_node_freep) XmlNode *root = NULL;
        PciAddr a;
        char buf[16];
        bool done = false;
        int r;

        if (pci_addr_parse(new_vf, &a) < 0)
                return -EINVAL;
        r = xml_parse_string(xml, &root);
        if (r < 0)
                return r;
        XmlNode *devs = xml_child(root, "devices");
        for (XmlNode *i = devs ? xml_child(devs, "interface") : NULL; i; i = xml_next(i, "interface")) {
                char pci[PCI_ADDR_STRLEN];
                if (!is_our_vf(i) || iface_pci(i, pci) < 0 || !streq(pci, old_vf))
                        continue;
                XmlNode *src = xml_find(i, "source/address");
                snprintf(buf, sizeof buf, "0x%04x", a.domain);
                r = xml_set_attr(src, "domain", buf);
                snprintf(buf, sizeof buf, "0x%02x", a.bus);
                r = r ?: xml_set_attr(src, "bus", buf);
                snprintf(buf, sizeof buf, "0x%02x", a.dev);
                r = r ?: xml_set_attr(src, "slot", buf);
                snprintf(buf, sizeof buf, "0x%x", a.func);
                r = r ?: xml_set_attr(src, "function", buf);
                if (r < 0)
                        return r;
                done = true;
        }
        if (!done)
                return -ENOENT;
        return xml_serialize(root, ret);
}
