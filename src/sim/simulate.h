/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* `accelnetd --simulate`: a simulated host to run on. The host description (the built-in
 * one unless a file is given) is materialised as a fake root, libvirt is its test driver on
 * the built-in node file, and the configuration is the built-in one; whatever the caller
 * gives explicitly wins and is used as it is. Everything built-in is compiled into the
 * binary (builtin.h) and written into a temporary directory, made only when something
 * needs it, under $TMPDIR (default /tmp), and removed by simulation_free(). */

#include <stdbool.h>

typedef struct SimulationOptions {
        const char *host_json;    /* a host description file; NULL = the built-in host */
        const char *root;         /* NULL = TMP/root; built there when it has no sys/ yet */
        const char *config_dir;   /* NULL = the built-in configuration, written to TMP/config */
        const char *state_dir;    /* NULL = TMP/state */
        const char *libvirt_uri;  /* NULL = test:///TMP/libvirt.xml, the built-in node */
} SimulationOptions;

typedef struct Simulation {
        char *tmpdir;             /* NULL when nothing needed one; removed on free */
        char *root, *config_dir, *state_dir, *libvirt_uri; /* always set (owned copies) */
        bool built;               /* the host was built into root (false: root had a tree) */
        char *host;               /* what it was built from: the file, or "built-in" */
} Simulation;

/* On failure returns a negative errno and, if ret_error is given, a message naming what
 * failed (owned by the caller). Nothing here logs above debug: the caller logs. */
int simulation_setup(const SimulationOptions *o, Simulation **ret, char **ret_error);
Simulation *simulation_free(Simulation *s);
static inline void simulation_freep(Simulation **s) {
        if (*s)
                *s = simulation_free(*s);
}
