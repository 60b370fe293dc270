/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shared/log.h"
#include "shared/macro.h"
#include "shared/pciaddr.h"
#include "sriov/numvfs.h"
#include "vfstats.h"

struct VfStatsReader {
        const SriovBackend *backend;
        char *root;
        VfNetlink *nl;               /* opened at the first read, again after a socket error */
};

int vf_stats_reader_new(const SriovBackend *backend, const char *root, VfStatsReader **ret) {
        VfStatsReader *rd = calloc(1, sizeof *rd);
        if (!rd || !(rd->root = strdup(root ? root : "/"))) {
                free(rd);
                return -ENOMEM;
        }
        rd->backend = backend;
        *ret = rd;
        return 0;
}

VfStatsReader *vf_stats_reader_free(VfStatsReader *rd) {
        if (!rd)
                return NULL;
        vf_netlink_free(rd->nl);
        free(rd->root);
        return mfree(rd);
}

int vf_stats_read(VfStatsReader *rd, AdapterRow *a) {
        _cleanup_free_ VfInfo *v = NULL;
        size_t n = 0;
        int r;

        PciAddr pa;
        if (a->enabled_vfs == 0 || isempty(a->ifname) || pci_addr_parse(a->address, &pa) < 0)
                return 0;
        if (!rd->nl) {
                r = vf_netlink_open(rd->backend, rd->root, &rd->nl);
                if (r < 0) {
                        a->vf_error = r;
                        return r == -ENOMEM ? r : 0;
                }
        }
        r = vf_netlink_list_stats(rd->nl, a->ifname, &v, &n);
        if (r < 0) {
                log_debug_errno(r, "Reading the VF counters of %s failed: %m", a->ifname);
                a->vf_error = r;
                /* A kernel socket that timed out or broke: a new one next time. */
                if (r != -ENODEV && r != -EINVAL)
                        rd->nl = vf_netlink_free(rd->nl);
                return r == -ENOMEM ? r : 0;
        }
        a->vf_read = true;
        if (n == 0)
                return 0;
        a->vfs = calloc(n, sizeof *a->vfs);
        if (!a->vfs)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                VfRow *row = &a->vfs[a->n_vfs++];
                row->index = v[i].index;
                row->stats = v[i].stats;
                if (pf_vf_address(rd->root, a->address, v[i].index, row->address) < 0)
                        row->address[0] = 0;
        }
        return 0;
}
