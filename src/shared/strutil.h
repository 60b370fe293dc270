/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Compares dotted versions numerically ("6.1.0-18-amd64" vs "5.10"); stops at the first
 * component that does not start with a digit. Returns <0, 0, >0. */
int version_compare(const char *a, const char *b);
bool version_valid(const char *v);

/* One item of a kernel/libvirt CPU list ("0-3,8,^2"): *p advances past it. Returns 1 with
 * the range (exclude set for "^N"), 0 at the end, -EINVAL when malformed. */
int cpulist_next(const char **p, unsigned *ret_first, unsigned *ret_last, bool *ret_exclude);

/* Growable string buffer for building messages. */
typedef struct StrBuf {
        char *s;
        size_t len, allocated;
        bool oom;
} StrBuf;

void strbuf_appendf(StrBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the string over (NULL on OOM) and resets the buffer. */
char *strbuf_steal(StrBuf *b);
void strbuf_done(StrBuf *b);

/* Whether s is valid UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF). */
bool utf8_valid(const char *s);
/* s with every byte that is not part of valid UTF-8 written as \xNN (and a backslash as
 * \\ only when escaping happened); NULL on OOM. Owned. */
char *utf8_escape_invalid(const char *s);
