/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The sysfs side of a PF's health, read under a root (DESIGN §1), the same for a real host
 * and a fake tree: the netdev's carrier, operstate, carrier_changes and flags
 * (sys/class/net/IFNAME), the PCI device's driver link, its AER counters (aer_dev_correctable,
 * aer_dev_nonfatal, aer_dev_fatal: the TOTAL_ERR_* lines) and its PCIe link
 * (current_link_speed/width, max_link_speed/width), and the link speeds of every network
 * port of the same PCI device (all its functions), for oversubscription. What cannot be read
 * is "unknown" (-1, 0): never an error, as a kernel without AER or a virtual device lacks
 * some of these files. Only -ENOMEM is returned. */

#include "shared/pfhealth.h"

/* ifname NULL: the link is unknown. */
int pf_read_link(const char *root, const char *ifname, PfLinkFacts *ret);
int pf_read_aer(const char *root, const char *address, PfAerFacts *ret);
int pf_read_pcie(const char *root, const char *address, PfPcieFacts *ret);
/* 1 and the driver's name, 0 when none is bound, -ENOENT when the device is not there. */
int pf_read_driver(const char *root, const char *address, char buf[static PF_DRIVER_NAME_MAX]);
/* The PF's first netdev name (the first entry of DEV/net), owned; -ENOENT when it has none. */
int pf_read_ifname(const char *root, const char *address, char **ret);
/* The PCI address of the device whose netdev `ifname` is (its folder holds net/IFNAME);
 * -ENOENT when it is not a PCI device's. */
int pf_netdev_address(const char *root, const char *ifname, char ret[static PCI_ADDR_STRLEN]);
/* All of them. ifname NULL: the PF's own (pf_read_ifname). */
int pf_read_health_facts(const char *root, const char *address, const char *ifname, PfHealthFacts *ret);

/* The AER file's total: the value of the line "TOTAL_ERR_COR N" etc. in `text`; -EBADMSG
 * without one. */
int aer_total_parse(const char *text, const char *key, int64_t *ret);
