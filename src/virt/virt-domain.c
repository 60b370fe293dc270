/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A domain's facts and accelnet's setting through libvirt; the XML itself is read in
 * domxml-domain.c. */
#include <stdio.h>

#include "shared/anerror.h"
#include "shared/names.h"
#include "shared/string-table.h"
#include "shared/tier.h"
#include "virt/virt-internal.h"

static const char *const virt_live_table[_VIRT_LIVE_MAX] = {
        [VIRT_LIVE_ATTACHED] = "live",
        [VIRT_LIVE_NOT_RUNNING] = "applies at next start: domain not running",
        [VIRT_LIVE_NOT_TEAMED_AT_BOOT] = "applies at next start: virtio NIC not teamed at boot",
        [VIRT_LIVE_UNSUPPORTED] = "applies at next start: live attach not supported",
        [VIRT_LIVE_FAILED] = "applies at next start: live attach failed",
};
DEFINE_STRING_TABLE_LOOKUP(virt_live, VirtLive);

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

int virt_domain_xml(virDomainPtr d, unsigned flags, DomXml **ret) {
        _cleanup_free_ char *xml = virDomainGetXMLDesc(d, flags);
        _cleanup_(domxml_freep) DomXml *x = NULL;
        const DomNode *root;
        int r;

        if (!xml)
                return virt_error_libvirt("Cannot get the domain XML");
        r = domxml_parse_string(xml, &x);
        if (r < 0)
                return virt_error_set(r, "Cannot read libvirt's domain XML: %s", virt_last_error());
        r = virt_domxml_domain(x, "libvirt domain", &root);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(x);
        return 0;
}

bool virt_domxml_active(const DomXml *x) {
        const char *id = domxml_attr(domxml_root(x), "id");
        return id && !streq(id, "-1");
}

int virt_domain_get(VirtConn *vc, const char *name, VirtDomain **ret) {
        _cleanup_conn_ virConnectPtr c = NULL;
        _cleanup_dom_ virDomainPtr dom = NULL;
        _cleanup_(domxml_freep) DomXml *current = NULL, *config = NULL;
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
        /* One fetch decides "active" (a running domain's live XML carries its id). For an
         * inactive domain that XML is its persistent definition: no second fetch. */
        r = virt_domain_xml(dom, 0, &current);
        if (r < 0)
                return r;
        if (!virt_domxml_active(current))
                return virt_domain_from_xml(current, NULL, ret);
        r = virt_domain_xml(dom, VIR_DOMAIN_XML_INACTIVE, &config);
        if (r < 0)
                return r;
        return virt_domain_from_xml(config, current, ret);
}

int virt_domain_set_accel(VirtConn *vc, const char *domain, const char *performance) {
        _cleanup_conn_ virConnectPtr c = NULL;
        _cleanup_dom_ virDomainPtr dom = NULL;
        _cleanup_free_ char *element = NULL;
        unsigned flags = VIR_DOMAIN_AFFECT_CONFIG;
        int r, active;

        virt_error_clear();
        if (performance && (int) tier_from_string(performance) < 0)
                return virt_error_set(-EINVAL, "Invalid performance '%s' (want Low, Medium or High)", performance);
        if (performance && asprintf(&element, "<%s %s='%s'/>", ACCELNET_METADATA_ELEMENT, "performance", performance) < 0)
                return virt_error_set(-ENOMEM, "Out of memory");
        c = virt_conn_acquire(vc);
        if (!c)
                return -ENOTCONN;
        r = virt_domain_lookup(c, domain, &dom);
        if (r < 0)
                return r;
        active = virDomainIsActive(dom);
        if (active < 0)
                return virt_error_libvirt("Cannot tell whether the domain runs");
        if (active)
                flags |= VIR_DOMAIN_AFFECT_LIVE;

        r = virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, element, ACCELNET_METADATA_PREFIX,
                                 ACCELNET_METADATA_URI, flags);
        if (r < 0 && (flags & VIR_DOMAIN_AFFECT_LIVE)) {
                /* The driver may refuse the live change (or the domain stopped meanwhile):
                 * the persistent definition is the one that counts. */
                r = virt_error_libvirt("Cannot set the domain's live metadata");
                if (r == -AN_ERROR_NO_SUCH_VM || r == -ENOTCONN)
                        return r;
                virt_error_clear();
                r = virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, element, ACCELNET_METADATA_PREFIX,
                                         ACCELNET_METADATA_URI, VIR_DOMAIN_AFFECT_CONFIG);
        }
        if (r < 0)
                return virt_error_libvirt(performance ? "Cannot set the domain's accelnet metadata"
                                                      : "Cannot remove the domain's accelnet metadata");
        return 0;
}
