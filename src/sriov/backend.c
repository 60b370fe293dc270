/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "backend.h"
#include "kernel.h"

static const SriovBackend kernel_backend = {
        .name = "kernel",
        .simulated = false,
        .vf_open = vf_kernel_open,
        .vf_close = vf_kernel_close,
        .vf_list = vf_kernel_list,
        .vf_set = vf_kernel_set,
        .write_num_vfs = pf_kernel_write_num_vfs,
        .monitor_open = pf_kernel_monitor_open,
        .monitor_close = pf_kernel_monitor_close,
};

const SriovBackend *sriov_backend_kernel(void) {
        return &kernel_backend;
}

bool sriov_backend_is_simulated(const SriovBackend *b) {
        return b && b->simulated;
}
