/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <pci/pci.h>
#include <stdarg.h>
#include <stdio.h>

#include "pci.h"
#include "shared/fileio.h"
#include "shared/hostfacts.h"
#include "shared/log.h"
#include "shared/macro.h"

struct PciAccess {
        struct pci_access *pacc; /* owned */
        char *sysfs_path;        /* owned; libpci keeps a copy of its own */
};

/* libpci calls this for conditions it cannot continue from. Our callers validate the
 * files libpci will touch first, so reaching this is a bug: fail loudly, never silently. */
_noreturn_ static void pci_error_hook(char *msg, ...) {
        va_list ap;
        char buf[512];
        va_start(ap, msg);
        vsnprintf(buf, sizeof buf, msg, ap);
        va_end(ap);
        log_error("libpci fatal error (input was not validated): %s", buf);
        abort();
}

static void pci_warning_hook(char *msg, ...) {
        va_list ap;
        char buf[512];
        va_start(ap, msg);
        vsnprintf(buf, sizeof buf, msg, ap);
        va_end(ap);
        log_debug("libpci: %s", buf);
}

static void pci_debug_hook(char *msg, ...) {
        (void) msg;
}

/* libpci's sysfs backend formats "SYSFS/devices/DDDD:BB:DD.F/ATTR" into a buffer of this
 * size and calls the (fatal) error hook when it does not fit. */
#define LIBPCI_OBJNAMELEN 1024
#define LIBPCI_OBJNAME_TAIL "/devices/ffffffff:ff:ff.7/physical_slot_and_margin"

int pci_access_new(const char *root, PciAccess **ret) {
        _cleanup_free_ char *path = root_path(root, "sys/bus/pci");
        PciAccess *a;

        if (!path)
                return -ENOMEM;
        if (strlen(path) + strlen(LIBPCI_OBJNAME_TAIL) >= LIBPCI_OBJNAMELEN)
                return -ENAMETOOLONG;
        a = calloc(1, sizeof *a);
        if (!a)
                return -ENOMEM;
        a->pacc = pci_alloc();
        if (!a->pacc) {
                free(a);
                return -ENOMEM;
        }
        a->pacc->error = pci_error_hook;
        a->pacc->warning = pci_warning_hook;
        a->pacc->debug = pci_debug_hook;
        a->pacc->method = PCI_ACCESS_SYS_BUS_PCI;
        /* Read identity and class from config registers, never from sysfs files that a
         * broken tree might lack (libpci treats a missing one as fatal). */
        a->pacc->buscentric = 1;
        a->sysfs_path = TAKE_PTR(path);
        if (pci_set_param(a->pacc, "sysfs.path", a->sysfs_path) < 0) {
                pci_cleanup(a->pacc);
                free(a->sysfs_path);
                free(a);
                return -EINVAL;
        }
        pci_init(a->pacc);
        *ret = a;
        return 0;
}

PciAccess *pci_access_free(PciAccess *a) {
        if (!a)
                return NULL;
        pci_cleanup(a->pacc);
        free(a->sysfs_path);
        free(a);
        return NULL;
}

int pci_access_read_info(PciAccess *a, const PciAddr *addr, PciConfigInfo *ret) {
        struct pci_dev *d;
        struct pci_cap *cap;
        PciConfigInfo info = {
                .pcie_type = PCIE_TYPE_NONE,
                .sriov_pos = -1,
                .acs_pos = -1,
                .secondary_bus = -1,
                .subordinate_bus = -1,
        };

        d = pci_get_dev(a->pacc, (int) addr->domain, addr->bus, addr->dev, addr->func);
        if (!d)
                return -ENOMEM;

        info.header_type = pci_read_byte(d, PCI_HEADER_TYPE) & 0x7f;
        if (info.header_type == PCI_HEADER_TYPE_BRIDGE) {
                info.secondary_bus = pci_read_byte(d, PCI_SECONDARY_BUS);
                info.subordinate_bus = pci_read_byte(d, PCI_SUBORDINATE_BUS);
        }

        cap = pci_find_cap(d, PCI_CAP_ID_EXP, PCI_CAP_NORMAL);
        if (cap)
                info.pcie_type = (pci_read_word(d, cap->addr + PCI_EXP_FLAGS) & PCI_EXP_FLAGS_TYPE) >> 4;

        cap = pci_find_cap(d, PCI_EXT_CAP_ID_SRIOV, PCI_CAP_EXTENDED);
        if (cap) {
                info.has_sriov = true;
                info.sriov_pos = cap->addr;
                info.sriov_ctrl = pci_read_word(d, cap->addr + PCI_IOV_CTRL);
                info.initial_vfs = pci_read_word(d, cap->addr + PCI_IOV_INITIALVF);
                info.total_vfs = pci_read_word(d, cap->addr + PCI_IOV_TOTALVF);
                info.num_vfs = pci_read_word(d, cap->addr + PCI_IOV_NUMVF);
                info.vf_offset = pci_read_word(d, cap->addr + PCI_IOV_OFFSET);
                info.vf_stride = pci_read_word(d, cap->addr + PCI_IOV_STRIDE);
                info.vf_device = pci_read_word(d, cap->addr + PCI_IOV_DID);
        }

        cap = pci_find_cap(d, PCI_EXT_CAP_ID_ACS, PCI_CAP_EXTENDED);
        if (cap) {
                info.has_acs = true;
                info.acs_pos = cap->addr;
                info.acs_cap = pci_read_word(d, cap->addr + PCI_ACS_CAP);
                info.acs_ctrl = pci_read_word(d, cap->addr + PCI_ACS_CTRL);
        }

        pci_free_dev(d);
        *ret = info;
        return 0;
}

int pci_access_lookup_names(PciAccess *a, uint16_t vendor, uint16_t device, char **ret_vendor,
                            char **ret_device) {
        char vbuf[256], dbuf[256];
        char *v, *dv;

        /* pci.ids only: the udev hwdb fallback (taken for IDs pci.ids lacks) leaks its udev
         * context in pci_cleanup and ties the names to the host rather than the root. */
        v = pci_lookup_name(a->pacc, vbuf, sizeof vbuf, PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_HWDB, vendor);
        dv = pci_lookup_name(a->pacc, dbuf, sizeof dbuf, PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_HWDB, vendor, device);
        v = strdup(v ? v : "");
        dv = strdup(dv ? dv : "");
        if (!v || !dv) {
                free(v);
                free(dv);
                return -ENOMEM;
        }
        *ret_vendor = v;
        *ret_device = dv;
        return 0;
}
