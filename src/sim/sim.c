/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "sim-internal.h"
#include "sim.h"

static const SriovBackend simulated_backend = {
        .name = "simulated",
        .simulated = true,
        .vf_open = sim_vf_open,
        .vf_close = sim_vf_close,
        .vf_list = sim_vf_list,
        .vf_set = sim_vf_set,
        .write_num_vfs = sim_write_num_vfs,
        .monitor_open = sim_monitor_open,
        .monitor_close = sim_monitor_close,
};

const SriovBackend *sim_backend(void) {
        return &simulated_backend;
}
