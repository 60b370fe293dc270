/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A domain's facts and accelnet's setting through libvirt; the XML itself is read in
 * domxml-domain.c. */
#include <pthread.h>
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

/* The facts of one domain from its handle: one XML fetch for an inactive domain, two for a
 * running one. */
static int domain_read(virDomainPtr dom, VirtDomain **ret) {
        _cleanup_(domxml_freep) DomXml *current = NULL, *config = NULL;
        int r;

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

typedef struct ReadAll {
        virDomainPtr *doms;
        VirtDomain **out;
        int *results;
        size_t n;
        size_t next;
        pthread_mutex_t lock;
} ReadAll;

static void *read_all_thread(void *p) {
        ReadAll *ra = p;
        for (;;) {
                pthread_mutex_lock(&ra->lock);
                size_t i = ra->next++;
                pthread_mutex_unlock(&ra->lock);
                if (i >= ra->n)
                        return NULL;
                ra->results[i] = domain_read(ra->doms[i], &ra->out[i]);
                virResetLastError();
        }
}

static int cmp_domain(const void *a, const void *b) {
        return strcmp((*(VirtDomain *const *) a)->name, (*(VirtDomain *const *) b)->name);
}

int virt_domains_read_all(VirtConn *vc, unsigned threads, VirtDomain ***ret, size_t *ret_n) {
        _cleanup_conn_ virConnectPtr c = NULL;
        virDomainPtr *doms = NULL;
        ReadAll ra = {};
        pthread_t tid[16];
        unsigned started = 0;
        int n, r = 0;

        n = virt_conn_list_all(vc, &c, &doms);
        if (n < 0)
                return n;
        ra = (ReadAll){ .doms = doms, .n = (size_t) n, .out = calloc((size_t) n + 1, sizeof(VirtDomain *)),
                        .results = calloc((size_t) n + 1, sizeof(int)) };
        pthread_mutex_init(&ra.lock, NULL);
        if (!ra.out || !ra.results)
                r = virt_error_set(-ENOMEM, "Out of memory");
        /* libvirt's remote driver carries several calls at once on one connection: the
         * round trips to libvirtd overlap instead of following one another. */
        if (threads > ELEMENTSOF(tid))
                threads = ELEMENTSOF(tid);
        for (unsigned t = 0; r == 0 && t + 1 < threads && t + 1 < (unsigned) n; t++)
                if (pthread_create(&tid[t], NULL, read_all_thread, &ra) == 0)
                        started++;
        if (r == 0)
                (void) read_all_thread(&ra);
        for (unsigned t = 0; t < started; t++)
                (void) pthread_join(tid[t], NULL);
        pthread_mutex_destroy(&ra.lock);

        size_t k = 0;
        for (size_t i = 0; i < (size_t) (n > 0 ? n : 0); i++) {
                if (r == 0 && ra.results[i] == 0 && ra.out[i])
                        ra.out[k++] = ra.out[i];
                else if (ra.out && ra.out[i])
                        virt_domain_free(ra.out[i]);
                /* a domain gone between the list and its read, or one that cannot be read,
                 * is left out: its events bring it back */
                virDomainFree(doms[i]);
        }
        free(doms);
        free(ra.results);
        if (r < 0) {
                free(ra.out);
                return r;
        }
        qsort(ra.out, k, sizeof(VirtDomain *), cmp_domain);
        *ret = ra.out;
        *ret_n = k;
        return 0;
}

int virt_domain_get(VirtConn *vc, const char *name, VirtDomain **ret) {
        _cleanup_conn_ virConnectPtr c = NULL;
        _cleanup_dom_ virDomainPtr dom = NULL;
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
        return domain_read(dom, ret);
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
        /* A transient domain (an incoming migration, `virsh create`) has only its live
         * definition: the setting goes there. */
        if (active && virDomainIsPersistent(dom) == 0)
                flags = VIR_DOMAIN_AFFECT_LIVE;

        r = virDomainSetMetadata(dom, VIR_DOMAIN_METADATA_ELEMENT, element, ACCELNET_METADATA_PREFIX,
                                 ACCELNET_METADATA_URI, flags);
        if (r < 0 && (flags & VIR_DOMAIN_AFFECT_LIVE) && (flags & VIR_DOMAIN_AFFECT_CONFIG)) {
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
