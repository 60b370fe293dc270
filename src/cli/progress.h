/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A long call with its progress: the Manager's method is called asynchronously and, until it
 * answers, its progress signals (s adapter, u done, u total: DrainProgress,
 * ProvisionProgress) are handed to a callback. adapter drain and enable/set use it. */

#include <stdbool.h>
#include <stdio.h>
#include <systemd/sd-bus.h>

typedef void (*ProgressFn)(void *userdata, const char *adapter, unsigned done, unsigned total);

/* Like sd_bus_call: >= 0 with *ret_reply (owned), or a negative errno with *ret_error set
 * when the daemon answered with an error. */
int cli_call_with_progress(sd_bus *bus, sd_bus_message *m, uint64_t timeout, const char *signal, ProgressFn fn,
                           void *userdata, sd_bus_error *ret_error, sd_bus_message **ret_reply);

/* A progress line on a terminal: "\r" + the line, padded over a longer one before it. */
typedef struct ProgressLine {
        FILE *f;
        size_t shown; /* the width of the line on the screen; 0: none */
} ProgressLine;
void progress_line_show(ProgressLine *p, const char *line);
/* The line stays (a newline after it). */
void progress_line_keep(ProgressLine *p);
