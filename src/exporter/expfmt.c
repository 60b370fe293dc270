/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expfmt.h"

/* Label values escape \, " and newline; HELP texts \ and newline. Plain runs in one piece. */
static void append_escaped(StrBuf *b, const char *s, bool quote) {
        const char *special = quote ? "\\\"\n" : "\\\n";

        for (const char *p = s ? s : ""; *p;) {
                size_t n = strcspn(p, special);
                if (n > 0) {
                        strbuf_appendf(b, "%.*s", (int) n, p);
                        p += n;
                        continue;
                }
                strbuf_appendf(b, "%s", *p == '\\' ? "\\\\" : *p == '"' ? "\\\"" : "\\n");
                p++;
        }
}

void expo_family(Expo *e, const char *name, const char *type, const char *help) {
        strbuf_appendf(&e->b, "# HELP %s ", name);
        append_escaped(&e->b, help, false);
        strbuf_appendf(&e->b, "\n# TYPE %s %s\n", name, type);
}

static void append_labels(StrBuf *b, va_list ap) {
        const char *k;
        bool first = true;

        while ((k = va_arg(ap, const char *))) {
                const char *v = va_arg(ap, const char *);
                strbuf_appendf(b, "%s%s=\"", first ? "{" : ",", k);
                append_escaped(b, v, true);
                strbuf_appendf(b, "\"");
                first = false;
        }
        if (!first)
                strbuf_appendf(b, "}");
}

void expo_u64(Expo *e, const char *name, uint64_t value, ...) {
        va_list ap;
        strbuf_appendf(&e->b, "%s", name);
        va_start(ap, value);
        append_labels(&e->b, ap);
        va_end(ap);
        strbuf_appendf(&e->b, " %" PRIu64 "\n", value);
}

void expo_double(Expo *e, const char *name, double value, ...) {
        char buf[32];
        va_list ap;
        strbuf_appendf(&e->b, "%s", name);
        va_start(ap, value);
        append_labels(&e->b, ap);
        va_end(ap);
        strbuf_appendf(&e->b, " %s\n", expo_format_double(value, buf));
}

const char *expo_format_double(double v, char buf[static 32]) {
        if (isnan(v))
                return strcpy(buf, "NaN");
        if (isinf(v))
                return strcpy(buf, v > 0 ? "+Inf" : "-Inf");
        if (v == floor(v) && fabs(v) < 1e15) {
                snprintf(buf, 32, "%.0f", v); /* "60", not "6e+01" */
                return buf;
        }
        for (int prec = 1; prec <= 17; prec++) {
                snprintf(buf, 32, "%.*g", prec, v);
                if (strtod(buf, NULL) == v)
                        break;
        }
        return buf;
}

char *expo_steal(Expo *e, size_t *ret_len) {
        size_t len = e->b.len;
        char *s = strbuf_steal(&e->b);
        if (s && ret_len)
                *ret_len = len;
        return s;
}

void expo_done(Expo *e) {
        strbuf_done(&e->b);
}
