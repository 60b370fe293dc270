/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sriov/backend.h"
#include "sriov/numvfs.h"
#include "sriov/vfpolicy.h"

struct SriovBackend {
        bool simulated;
};

static const SriovBackend kernel = { .simulated = false };
static const SriovBackend simulated = { .simulated = true };

const SriovBackend *sriov_backend_kernel(void) {
        return &kernel;
}

const SriovBackend *sriov_backend_simulated(void) {
        return &simulated;
}

bool sriov_backend_is_simulated(const SriovBackend *b) {
        return b && b->simulated;
}

int vf_netlink_open(const SriovBackend *b, const char *root, VfNetlink **ret) {
        return b->simulated ? vf_netlink_new_sim(root, ret) : vf_netlink_new_kernel(ret);
}

int pf_set_num_vfs(const SriovBackend *b, const char *root, const char *pf, unsigned n, bool autoprobe) {
        return pf_write_num_vfs(root, b->simulated, pf, n, autoprobe);
}
