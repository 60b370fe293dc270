/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manager.h"

/* --simulate: the simulated host (conf/simulate/host.json unless another description is
 * given) materialised as a fake root, the libvirt test driver on conf/simulate/libvirt.xml,
 * and the simulation's configuration; options the user gave explicitly win. */
typedef struct Simulation {
        char *tmpdir;    /* removed on free */
        char *root, *config_dir, *state_dir, *libvirt_uri;
} Simulation;

int simulation_setup(const char *host_json, ManagerOptions *mo, Simulation **ret);
Simulation *simulation_free(Simulation *s);
static inline void simulation_freep(Simulation **s) {
        if (*s)
                *s = simulation_free(*s);
}

/* Where the simulation's data lives: $ACCELNET_SIMULATE_DIR, else the copy beside the
 * running accelnetd (installed: DATADIR/accelnet/simulate; in the build tree: the copy the
 * build makes). 0 and an owned path, or a negative errno. */
int simulation_data_dir(char **ret);
