/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Prometheus' text exposition format (version 0.0.4): a family's HELP and TYPE lines, then
 * its samples; label values and help texts escaped; no timestamps (the exporter guidelines:
 * a scrape is the time of its samples). The caller writes each family's samples right after
 * its header. Memory runs out → the buffer says so (expo_steal returns NULL). */

#include <stdint.h>

#include "shared/strutil.h"

#define EXPO_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct Expo {
        StrBuf b;
} Expo;

/* type: "gauge", "counter", "histogram". */
void expo_family(Expo *e, const char *name, const char *type, const char *help);
/* One sample: NAME{l1="v1",...} VALUE. The labels are name/value pairs ending in NULL; a
 * NULL value writes "". */
void expo_u64(Expo *e, const char *name, uint64_t value, ...) __attribute__((sentinel));
void expo_double(Expo *e, const char *name, double value, ...) __attribute__((sentinel));

/* The shortest text that reads back as `v` ("0.005", "1", "+Inf", "NaN"), into buf. */
const char *expo_format_double(double v, char buf[static 32]);

/* The text (owned, NUL-terminated; NULL when memory ran out) and its length. */
char *expo_steal(Expo *e, size_t *ret_len);
void expo_done(Expo *e);
