/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* accelnet's setting in a domain's <metadata>. */
#include <ctype.h>
#include <stdio.h>

#include "shared/anerror.h"
#include "shared/fileio.h"
#include "shared/names.h"
#include "shared/pciaddr.h"
#include "virt/virt-internal.h"

int virt_domain_set_accel(VirtConn *vc, const char *domain, const char *performance) {
        _cleanup_conn_ virConnectPtr c = NULL;
        _cleanup_dom_ virDomainPtr dom = NULL;
        _cleanup_free_ char *xml = NULL, *esc = NULL;
        int r;

        virt_error_clear();
        c = virt_conn_acquire(vc);
        if (!c)
                return -ENOTCONN;
        r = virt_domain_lookup(c, domain, &dom);
        if (r < 0)
                return r;
        if (performance) {
                esc = xml_escape(performance);
                if (!esc || asprintf(&xml, "<" ACCELNET_METADATA_ELEMENT " performance='%s'/>", esc) < 0)
                        return virt_error_set(-ENOMEM, "Out of memory");
        }
        unsigned flags = VIR_DOMAIN_AFFECT_CONFIG;
        if (virDomainIsActive(dom) == 1)
                flags |= VIR_DOMAIN_AFFECT_LIVE;
        if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, xml, xml ? ACCELNET_METADATA_PREFIX : NULL,
                                 ACCELNET_METADATA_URI, flags) < 0) {
                if (!(flags & VIR_DOMAIN_AFFECT_LIVE))
                        return virt_error_libvirt("Cannot write the accelnet metadata");
                virResetLastError();
                if (virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, xml, xml ? ACCELNET_METADATA_PREFIX : NULL,
                                         ACCELNET_METADATA_URI, VIR_DOMAIN_AFFECT_CONFIG) < 0)
                        return virt_error_libvirt("Cannot write the accelnet metadata");
        }
        return 0;
}

static bool mac_ok(const char *s) {
        if (!s || strlen(s) != 17)
                return false;
        for (size_t i = 0; i < 17; i++)
                if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char) s[i]))
                        return false;
        return true;
}

int virt_xml_accel_parse(const char *xml, VirtXmlAccel *ret) {
        _cleanup_(xml_node_freep) XmlNode *root = NULL;
        int r;

        virt_error_clear();
        *ret = (VirtXmlAccel){};
        r = xml_parse_string(xml, &root);
        if (r < 0)
                return virt_error_set(-EBADMSG, "Cannot parse the domain XML: %s", strerror(-r));
        const XmlNode *meta = xml_find(root, "metadata/" ACCELNET_METADATA_PREFIX ":" ACCELNET_METADATA_ELEMENT);
        XmlNode *devs = xml_child(root, "devices");
        for (XmlNode *i = devs ? xml_child(devs, "interface") : NULL; i; i = xml_next(i, "interface")) {
                const char *alias = xml_child_attr(i, "alias", "name");
                if (!streq_ptr(xml_attr(i, "type"), "hostdev") || !alias ||
                    strncmp(alias, ACCELNET_ALIAS_PREFIX, strlen(ACCELNET_ALIAS_PREFIX)) != 0)
                        continue;
                _cleanup_free_ char *pci = NULL;
                if (virt_hostdev_pci(i, &pci) < 0) {
                        virt_xml_accel_done(ret);
                        return virt_error_set(-EINVAL, "accelnet's VF interface has no valid PCI source address");
                }
                const char *mac = xml_child_attr(i, "mac", "address");
                if (mac && !mac_ok(mac)) {
                        virt_xml_accel_done(ret);
                        return virt_error_set(-EINVAL, "MAC address '%.32s' of the VF interface is invalid", mac);
                }
                uint32_t vlan = 0;
                const XmlNode *tag = xml_find(i, "vlan/tag");
                if (tag) {
                        const char *id = xml_attr(tag, "id");
                        if (!id || parse_u32(id, 10, &vlan) < 0 || vlan < 1 || vlan > 4094) {
                                virt_xml_accel_done(ret);
                                return virt_error_set(-EINVAL, "VLAN tag id '%.32s' of the VF interface is not 1-4094",
                                                      strempty(id));
                        }
                }
                VirtXmlVf *v = realloc(ret->vfs, sizeof(VirtXmlVf) * (ret->n_vfs + 1));
                if (!v) {
                        virt_xml_accel_done(ret);
                        return virt_error_set(-ENOMEM, "Out of memory");
                }
                ret->vfs = v;
                VirtXmlVf *f = &v[ret->n_vfs++];
                *f = (VirtXmlVf){ .vlan = vlan };
                snprintf(f->pci, sizeof f->pci, "%s", pci);
                snprintf(f->mac, sizeof f->mac, "%s", strempty(mac));
        }
        ret->accel = meta != NULL;
        if (meta && xml_attr(meta, "performance") && !(ret->performance = strdup(xml_attr(meta, "performance")))) {
                virt_xml_accel_done(ret);
                return virt_error_set(-ENOMEM, "Out of memory");
        }
        return 0;
}

void virt_xml_accel_done(VirtXmlAccel *a) {
        free(a->vfs);
        free(a->performance);
        *a = (VirtXmlAccel){};
}
