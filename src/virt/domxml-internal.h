/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared between the .c files of src/virt only (an-domxml and an-virt); never included from
 * outside it. No libvirt here: an-domxml is linked into accelnet-hook. */

#include "shared/pciaddr.h"
#include "virt/domxml.h"
#include "virt/virt.h"

/* The root <domain> of a document; -EBADMSG (message names `what`) for another root. */
int virt_domxml_domain(const DomXml *x, const char *what, const DomNode **ret);
/* VirtDomain from the persistent definition and, for an active domain, the live one. */
int virt_domain_from_xml(const DomXml *config, const DomXml *live, VirtDomain **ret);
/* <metadata><accelnet:vm> of a <domain> (namespace ACCELNET_METADATA_URI), or NULL. */
const DomNode *virt_domxml_accel_element(const DomNode *domain);

/* The PCI source address of a hostdev <interface>: 0; -ENODATA when it has none (USB, or no
 * <source><address type='pci'>); -EINVAL for a missing or bad number (message names it). */
int virt_hostdev_address(const DomNode *iface, PciAddr *ret);
/* The same as "0000:01:10.1" (owned); -EBADMSG instead of -EINVAL. */
int virt_hostdev_pci(const DomNode *iface, char **ret);
/* Fills a VirtIface from an <interface> element (values as written, tolerant). */
int virt_iface_parse(const DomNode *n, VirtIface *ret);
void virt_iface_done(VirtIface *i);
