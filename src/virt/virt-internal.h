/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between the .c files of src/virt only; never included from outside it. */

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "virt/virt.h"
#include "virt/xml.h"

/* A new reference on the current libvirt connection, or NULL (-ENOTCONN, error set). */
virConnectPtr virt_conn_acquire(VirtConn *vc);
static inline void virt_conn_releasep(virConnectPtr *c) {
        if (*c)
                virConnectClose(*c);
}
#define _cleanup_conn_ _cleanup_(virt_conn_releasep)

static inline void virt_domain_ptr_freep(virDomainPtr *d) {
        if (*d)
                virDomainFree(*d);
}
#define _cleanup_dom_ _cleanup_(virt_domain_ptr_freep)

/* Turns libvirt's last error on this thread into a negative code (see virt.h) and the
 * thread's message "WHAT: libvirt's message"; resets libvirt's error. */
int virt_error_libvirt(const char *what);
/* Sets the thread's message and returns r. */
int virt_error_set(int r, const char *fmt, ...) _printf_(2, 3);
/* Clears the thread's message (at the start of each public call). */
void virt_error_clear(void);

/* Parses a domain XML document from libvirt. */
int virt_xml_parse(const char *xml, XmlNode **ret);
/* Looks a domain up by name; -AN_ERROR_NO_SUCH_VM when there is none. */
int virt_domain_lookup(virConnectPtr c, const char *name, virDomainPtr *ret);
/* Fetches and parses the domain XML (flags: VIR_DOMAIN_XML_*). */
int virt_domain_xml(virDomainPtr d, unsigned flags, XmlNode **ret);
/* Fills a VirtIface from an <interface> element. */
int virt_iface_parse(const XmlNode *n, VirtIface *ret);
void virt_iface_done(VirtIface *i);
/* "0000:01:10.1" from <source><address type='pci' .../>; -ENODATA if absent. */
int virt_hostdev_pci(const XmlNode *iface, char **ret);
