/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "macro.h"
#include "strutil.h"

static bool next_component(const char **p, unsigned long *ret) {
        if (!isdigit((unsigned char) **p))
                return false;
        char *end;
        *ret = strtoul(*p, &end, 10);
        *p = end;
        if (**p == '.' && isdigit((unsigned char) (*p)[1]))
                (*p)++;
        else
                *p = ""; /* suffix like "-18-amd64" ends the comparison */
        return true;
}

int version_compare(const char *a, const char *b) {
        for (;;) {
                unsigned long x = 0, y = 0;
                bool hx = next_component(&a, &x), hy = next_component(&b, &y);
                if (!hx && !hy)
                        return 0;
                if (x != y)
                        return x < y ? -1 : 1;
        }
}

bool version_valid(const char *v) {
        return v && isdigit((unsigned char) v[0]);
}

int cpulist_next(const char **p, unsigned *ret_first, unsigned *ret_last, bool *ret_exclude) {
        const char *s = *p;
        unsigned long a, b;
        char *end;
        bool exclude = false;

        while (*s == ',' || *s == ' ' || *s == '\n')
                s++;
        if (!*s) {
                *p = s;
                return 0;
        }
        if (*s == '^') {
                exclude = true;
                s++;
        }
        if (!isdigit((unsigned char) *s))
                return -EINVAL;
        a = b = strtoul(s, &end, 10);
        s = end;
        if (*s == '-') {
                if (!isdigit((unsigned char) s[1]))
                        return -EINVAL;
                b = strtoul(s + 1, &end, 10);
                s = end;
        }
        if (b < a || b > 65535 || (*s && *s != ',' && *s != '\n' && *s != ' '))
                return -EINVAL;
        *ret_first = (unsigned) a;
        *ret_last = (unsigned) b;
        *ret_exclude = exclude;
        *p = s;
        return 1;
}

void strbuf_appendf(StrBuf *b, const char *fmt, ...) {
        va_list ap;
        int n;

        if (b->oom)
                return;
        for (;;) {
                size_t room = b->allocated - b->len;
                va_start(ap, fmt);
                n = vsnprintf(b->s ? b->s + b->len : NULL, room, fmt, ap);
                va_end(ap);
                if (n < 0) {
                        b->oom = true;
                        return;
                }
                if ((size_t) n < room) {
                        b->len += (size_t) n;
                        return;
                }
                size_t want = (b->allocated ? b->allocated : 128);
                while (want < b->len + (size_t) n + 1)
                        want *= 2;
                char *s = realloc(b->s, want);
                if (!s) {
                        b->oom = true;
                        return;
                }
                b->s = s;
                b->allocated = want;
        }
}

char *strbuf_steal(StrBuf *b) {
        char *s = b->oom ? NULL : b->s ? b->s : strdup("");
        if (b->oom)
                free(b->s);
        *b = (StrBuf){};
        return s;
}

void strbuf_done(StrBuf *b) {
        free(b->s);
        *b = (StrBuf){};
}

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_sequence(const unsigned char *s) {
        unsigned c = s[0];
        size_t n;
        unsigned cp;

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf) {
                n = 2;
                cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
                n = 3;
                cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
                n = 4;
                cp = c & 0x07;
        } else
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return n;
}

bool utf8_valid(const char *s) {
        const unsigned char *p = (const unsigned char *) s;
        while (*p) {
                size_t n = utf8_sequence(p);
                if (n == 0)
                        return false;
                p += n;
        }
        return true;
}

char *utf8_escape_invalid(const char *s) {
        const unsigned char *p = (const unsigned char *) s;
        StrBuf b = {};

        while (*p) {
                size_t n = utf8_sequence(p);
                if (n == 0) {
                        strbuf_appendf(&b, "\\x%02x", *p);
                        p++;
                        continue;
                }
                if (*p == '\\')
                        strbuf_appendf(&b, "\\\\");
                else
                        strbuf_appendf(&b, "%.*s", (int) n, (const char *) p);
                p += n;
        }
        return b.s ? strbuf_steal(&b) : strdup("");
}
