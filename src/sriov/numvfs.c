/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <limits.h>
#include <stdio.h>

#include "kernel.h"
#include "numvfs.h"
#include "shared/fileio.h"
#include "shared/macro.h"
#include "shared/pciaddr.h"

static char *pf_attr(const char *root, const char *pf, const char *attr) {
        _cleanup_free_ char *rel = NULL;
        if (asprintf(&rel, "sys/bus/pci/devices/%s/%s", pf, attr) < 0)
                return NULL;
        return root_path(root, rel);
}

int pf_read_num_vfs(const char *root, const char *pf, unsigned *ret_num, unsigned *ret_total) {
        _cleanup_free_ char *pn = pf_attr(root, pf, "sriov_numvfs"), *pt = pf_attr(root, pf, "sriov_totalvfs");
        uint64_t n, t;
        int r;
        if (!pn || !pt)
                return -ENOMEM;
        r = read_u64(pn, 10, &n);
        if (r < 0)
                return r;
        r = read_u64(pt, 10, &t);
        if (r < 0)
                return r;
        if (n > 0xffff || t > 0xffff)
                return -ERANGE;
        if (ret_num)
                *ret_num = (unsigned) n;
        if (ret_total)
                *ret_total = (unsigned) t;
        return 0;
}

int pf_kernel_write_num_vfs(const char *root, const char *pf, unsigned n) {
        _cleanup_free_ char *p = pf_attr(root, pf, "sriov_numvfs");
        char buf[16];
        if (!p)
                return -ENOMEM;
        snprintf(buf, sizeof buf, "%u", n);
        return write_string_file(p, buf);
}

int pf_set_num_vfs(const SriovBackend *b, const char *root, const char *pf, unsigned n, bool autoprobe) {
        unsigned cur = 0, total = 0;
        PciAddr a;
        int r;

        assert_return(b && b->write_num_vfs && root && pf, -EINVAL);
        if (pci_addr_parse(pf, &a) < 0)
                return -EINVAL;
        r = pf_read_num_vfs(root, pf, &cur, &total);
        if (r < 0)
                return r;
        if (cur == n)
                return 0;
        if (n > total)
                return -ERANGE;

        _cleanup_free_ char *ap = pf_attr(root, pf, "sriov_drivers_autoprobe");
        if (!ap)
                return -ENOMEM;
        if (file_exists(ap)) {
                r = write_string_file(ap, autoprobe ? "1" : "0");
                if (r < 0)
                        return r;
        }
        if (cur > 0) {
                r = b->write_num_vfs(root, pf, 0);
                if (r < 0)
                        return r;
        }
        if (n == 0)
                return 0;
        return b->write_num_vfs(root, pf, n);
}

const char *pf_num_vfs_strerror(int r) {
        switch (r) {
        case -ENOENT:
                return "no PF driver with SR-IOV support is bound (ENOENT): load the adapter's PF driver";
        case -ERANGE:
                return "the count is above TotalVFs (ERANGE)";
        case -ENOMEM:
        case -ENOSPC:
                return "the kernel found no PCI bus numbers or MMIO space for the VFs (ENOMEM): boot with pci=realloc";
        case -EBUSY:
                return "VFs of this PF are in use (EBUSY): release them first";
        case -EPERM:
        case -EACCES:
                return "permission denied writing sriov_numvfs: accelnetd must run as root";
        case -EIO:
                return "the adapter's firmware refused to enable VFs (EIO): check dmesg";
        default:
                return NULL;
        }
}

int pf_vf_address(const char *root, const char *pf, unsigned index, char *buf) {
        char name[32];
        snprintf(name, sizeof name, "virtfn%u", index);
        _cleanup_free_ char *p = pf_attr(root, pf, name), *target = NULL;
        int r;
        if (!p)
                return -ENOMEM;
        r = readlink_malloc(p, &target);
        if (r < 0)
                return r;
        PciAddr a;
        if (pci_addr_parse(path_basename(target), &a) < 0)
                return -EBADMSG;
        pci_addr_format(&a, buf);
        return 0;
}

int vf_read_driver(const char *root, const char *vf, char **ret) {
        _cleanup_free_ char *p = pf_attr(root, vf, "driver"), *target = NULL;
        int r;
        if (!p)
                return -ENOMEM;
        r = readlink_malloc(p, &target);
        if (r < 0)
                return r;
        char *s = strdup(path_basename(target));
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}
