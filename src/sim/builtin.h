/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The built-in simulated host, compiled in from conf/simulate/ (cmake/Embed.cmake writes
 * builtin-data.c at build time): host.json, libvirt.xml, config/accelnet.json and
 * config/intents.d/ *.json. The daemon reads nothing from the source tree or from
 * /usr/share to simulate. */

#include <stddef.h>

typedef struct EmbeddedFile {
        const char *path;               /* relative: "host.json", "config/intents.d/compute.json" */
        const unsigned char *data;      /* `size` bytes, then a NUL */
        size_t size;
} EmbeddedFile;

extern const EmbeddedFile sim_builtin_files[];
extern const size_t sim_builtin_files_count;

/* The file at `path`, or NULL. Borrowed, static. */
const EmbeddedFile *sim_builtin_find(const char *path);
/* Writes every built-in file whose path starts with the directory prefix `prefix` ("" = all,
 * else ending in '/') under `dir`, without the prefix, creating directories as needed. */
int sim_builtin_write(const char *prefix, const char *dir);
