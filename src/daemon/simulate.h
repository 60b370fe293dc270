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

/* Where the simulation's data lives: the installed copy, else the source tree's conf/simulate. */
const char *simulation_data_dir(void);
