/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between the .c files of src/virt that talk to libvirt (an-virt) only; never
 * included from outside it. */

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "virt/domxml-internal.h"
#include "virt/virt.h"

/* A new reference on the current libvirt connection, or NULL (-ENOTCONN, error set). */
virConnectPtr virt_conn_acquire(VirtConn *vc);
static inline void virt_conn_releasep(virConnectPtr *c) {
        if (*c)
                virConnectClose(*c);
}
#define _cleanup_conn_ _cleanup_(virt_conn_releasep)

/* Takes a connection and lists every domain on it; returns the number of domains (the
 * caller frees each and the array, and releases *ret_conn) or a negative errno with the
 * error recorded. */
int virt_conn_list_all(VirtConn *vc, virConnectPtr *ret_conn, virDomainPtr **ret_doms);

static inline void virt_domain_ptr_freep(virDomainPtr *d) {
        if (*d)
                virDomainFree(*d);
}
#define _cleanup_dom_ _cleanup_(virt_domain_ptr_freep)

/* Turns libvirt's last error on this thread into a negative code (see virt.h) and the
 * thread's message "WHAT: libvirt's message"; resets libvirt's error. */
int virt_error_libvirt(const char *what);

/* Looks a domain up by name; -AN_ERROR_NO_SUCH_VM when there is none. */
int virt_domain_lookup(virConnectPtr c, const char *name, virDomainPtr *ret);
/* Fetches and parses the domain XML (flags: VIR_DOMAIN_XML_*); the root is a <domain>. */
int virt_domain_xml(virDomainPtr d, unsigned flags, DomXml **ret);
/* True when a live domain XML says the domain runs (an id other than -1). */
bool virt_domxml_active(const DomXml *x);
