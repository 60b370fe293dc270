/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "shared/strutil.h"
#include "table.h"

struct Table {
        size_t n_columns;
        char **headers;          /* n_columns */
        TableAlign *align;       /* n_columns */
        bool show_header;

        char **cells;            /* n_rows * n_columns, row-major */
        char **details;          /* n_rows, NULL for none */
        size_t n_rows, n_allocated;
};

static void strv_free_count(char **v, size_t n) {
        if (!v)
                return;
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

Table *table_new(size_t n_columns, const char *const *headers) {
        if (n_columns == 0 || n_columns > TABLE_COLUMNS_MAX || !headers)
                return NULL;

        Table *t = calloc(1, sizeof *t);
        if (!t)
                return NULL;
        t->n_columns = n_columns;
        t->show_header = true;
        t->headers = calloc(n_columns, sizeof(char *));
        t->align = calloc(n_columns, sizeof(TableAlign));
        if (!t->headers || !t->align)
                return table_free(t);
        for (size_t i = 0; i < n_columns; i++) {
                t->headers[i] = strdup(strempty(headers[i]));
                if (!t->headers[i])
                        return table_free(t);
        }
        return t;
}

Table *table_free(Table *t) {
        if (!t)
                return NULL;
        strv_free_count(t->headers, t->n_columns);
        free(t->align);
        strv_free_count(t->cells, t->n_rows * t->n_columns);
        strv_free_count(t->details, t->n_rows);
        free(t);
        return NULL;
}

int table_set_align(Table *t, size_t column, TableAlign align) {
        assert_return(t, -EINVAL);
        assert_return(column < t->n_columns, -EINVAL);
        t->align[column] = align;
        return 0;
}

void table_set_header(Table *t, bool show) {
        if (t)
                t->show_header = show;
}

size_t table_n_rows(const Table *t) {
        return t ? t->n_rows : 0;
}

int table_add_row(Table *t, const char *const *cells) {
        assert_return(t && cells, -EINVAL);

        if (t->n_rows >= TABLE_ROWS_MAX)
                return -E2BIG;
        if (t->n_rows == t->n_allocated) {
                size_t want = t->n_allocated ? t->n_allocated * 2 : 8;
                char **c = reallocarray(t->cells, want * t->n_columns, sizeof(char *));
                if (!c)
                        return -ENOMEM;
                t->cells = c;
                char **d = reallocarray(t->details, want, sizeof(char *));
                if (!d)
                        return -ENOMEM;
                t->details = d;
                t->n_allocated = want;
        }

        char **row = t->cells + t->n_rows * t->n_columns;
        for (size_t i = 0; i < t->n_columns; i++) {
                row[i] = strdup(isempty(cells[i]) ? "-" : cells[i]);
                if (!row[i]) {
                        for (size_t k = 0; k < i; k++)
                                row[k] = mfree(row[k]);
                        return -ENOMEM;
                }
        }
        t->details[t->n_rows] = NULL;
        t->n_rows++;
        return 0;
}

int table_set_detail(Table *t, const char *detail) {
        assert_return(t, -EINVAL);
        if (t->n_rows == 0)
                return -ENOENT;

        char *copy = NULL;
        if (!isempty(detail)) {
                copy = strdup(detail);
                if (!copy)
                        return -ENOMEM;
        }
        free_and_replace(t->details[t->n_rows - 1], copy);
        return 0;
}

size_t utf8_width(const char *s) {
        size_t n = 0;
        for (const unsigned char *p = (const unsigned char *) strempty(s); *p; p++)
                if ((*p & 0xC0) != 0x80) /* count every byte that starts a code point */
                        n++;
        return n;
}

bool utf8_is_valid(const char *s) {
        const unsigned char *p = (const unsigned char *) s;
        if (!p)
                return false;
        while (*p) {
                size_t len;
                uint32_t cp;
                if (*p < 0x80) {
                        p++;
                        continue;
                } else if ((*p & 0xE0) == 0xC0) {
                        len = 2;
                        cp = *p & 0x1F;
                } else if ((*p & 0xF0) == 0xE0) {
                        len = 3;
                        cp = *p & 0x0F;
                } else if ((*p & 0xF8) == 0xF0) {
                        len = 4;
                        cp = *p & 0x07;
                } else
                        return false;
                for (size_t i = 1; i < len; i++) {
                        if ((p[i] & 0xC0) != 0x80)
                                return false;
                        cp = cp << 6 | (p[i] & 0x3F);
                }
                /* overlong forms, surrogates and values beyond Unicode */
                if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
                    (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
                        return false;
                p += len;
        }
        return true;
}

static void append_spaces(StrBuf *b, size_t n) {
        for (size_t i = 0; i < n; i++)
                strbuf_appendf(b, " ");
}

/* Appends one wrapped line of text (no newline inside) to b. */
static void wrap_line(StrBuf *b, const char *line, size_t len, size_t indent, size_t width) {
        size_t room = width > indent ? width - indent : 0;
        size_t col = 0; /* characters on the current output line, after the indent */
        const char *p = line, *end = line + len;

        if (room < 20)
                room = 20; /* a silly narrow terminal still gets readable lines */

        for (;;) {
                while (p < end && (*p == ' ' || *p == '\t'))
                        p++;
                if (p >= end)
                        break;
                const char *w = p;
                while (p < end && *p != ' ' && *p != '\t')
                        p++;
                size_t wbytes = (size_t) (p - w);
                size_t wwidth = 0;
                for (size_t i = 0; i < wbytes; i++)
                        if (((unsigned char) w[i] & 0xC0) != 0x80)
                                wwidth++;

                if (col > 0 && col + 1 + wwidth > room) {
                        strbuf_appendf(b, "\n");
                        col = 0;
                }
                if (col == 0)
                        append_spaces(b, indent);
                else {
                        strbuf_appendf(b, " ");
                        col++;
                }
                strbuf_appendf(b, "%.*s", (int) wbytes, w);
                col += wwidth;
        }
        strbuf_appendf(b, "\n"); /* an empty input line stays an empty line */
}

static void wrap_into(StrBuf *b, const char *text, size_t indent, size_t width) {
        const char *p = strempty(text);
        for (;;) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                if (len > 0 || nl)
                        wrap_line(b, p, len, indent, width);
                if (!nl)
                        break;
                p = nl + 1;
                if (!*p)
                        break; /* a trailing newline adds no empty line */
        }
}

char *text_wrap(const char *text, size_t indent, size_t width) {
        StrBuf b = {};
        wrap_into(&b, text, indent, width);
        return strbuf_steal(&b);
}

static void append_cell(StrBuf *b, const char *s, size_t width, TableAlign align, bool last) {
        size_t w = utf8_width(s);
        size_t pad = width > w ? width - w : 0;

        if (align == TABLE_ALIGN_RIGHT)
                append_spaces(b, pad);
        strbuf_appendf(b, "%s", s);
        if (align == TABLE_ALIGN_LEFT && !last)
                append_spaces(b, pad);
}

static void append_row(StrBuf *b, const Table *t, char *const *cells, const size_t *widths) {
        /* The last column is not padded: trailing spaces help nobody. */
        for (size_t i = 0; i < t->n_columns; i++) {
                if (i > 0)
                        strbuf_appendf(b, " ");
                append_cell(b, cells[i], widths[i], t->align[i], i + 1 == t->n_columns);
        }
        strbuf_appendf(b, "\n");
}

int table_format(const Table *t, size_t width, char **ret) {
        assert_return(t && ret, -EINVAL);

        _cleanup_free_ size_t *widths = calloc(t->n_columns, sizeof(size_t));
        if (!widths)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_columns; i++) {
                if (t->show_header)
                        widths[i] = utf8_width(t->headers[i]);
                for (size_t r = 0; r < t->n_rows; r++) {
                        size_t w = utf8_width(t->cells[r * t->n_columns + i]);
                        if (w > widths[i])
                                widths[i] = w;
                }
        }

        StrBuf b = {};
        if (t->show_header)
                append_row(&b, t, t->headers, widths);
        for (size_t r = 0; r < t->n_rows; r++) {
                append_row(&b, t, t->cells + r * t->n_columns, widths);
                if (t->details[r])
                        wrap_into(&b, t->details[r], TABLE_DETAIL_INDENT,
                                  width > 0 ? width : TABLE_DEFAULT_WIDTH);
        }
        char *s = strbuf_steal(&b);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int table_print(const Table *t, FILE *f, size_t width) {
        _cleanup_free_ char *s = NULL;
        int r = table_format(t, width, &s);
        if (r < 0)
                return r;
        if (fputs(s, f) == EOF)
                return -EIO;
        return 0;
}

size_t output_width(int fd) {
        const char *e = getenv("COLUMNS");
        if (e && *e) {
                char *end;
                errno = 0;
                unsigned long v = strtoul(e, &end, 10);
                if (errno == 0 && *end == '\0' && v >= 10 && v <= 10000)
                        return (size_t) v;
        }

        struct winsize ws = {};
        if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) >= 0 && ws.ws_col > 0)
                return ws.ws_col;
        return TABLE_DEFAULT_WIDTH;
}
