/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Aligned human tables in the style of networkctl/busctl: an upper-case header row,
 * columns separated by one space, numbers right-aligned, an empty cell shown as "-".
 * A row may carry a detail text that is printed below it, indented and wrapped at the
 * output width (the prerequisite report uses this for its message + remedy). */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "shared/macro.h"

/* Width used when the output is not a terminal and $COLUMNS is not set. */
#define TABLE_DEFAULT_WIDTH 80
/* Detail lines are indented by this many spaces. */
#define TABLE_DETAIL_INDENT 4
/* Hard limits: a table is built from one D-Bus reply, so these are generous. */
#define TABLE_COLUMNS_MAX 16
#define TABLE_ROWS_MAX (1024 * 1024)

typedef enum TableAlign {
        TABLE_ALIGN_LEFT,
        TABLE_ALIGN_RIGHT,
} TableAlign;

typedef struct Table Table;

/* headers: n_columns strings, copied. Returns NULL on OOM or a bad column count. */
Table *table_new(size_t n_columns, const char *const *headers);
Table *table_free(Table *t);
DEFINE_TRIVIAL_CLEANUP_FUNC(Table *, table_free);

int table_set_align(Table *t, size_t column, TableAlign align);
/* Show the header row (default) or not (--no-legend). */
void table_set_header(Table *t, bool show);
/* cells: n_columns strings (NULL or "" is shown as "-"), copied. 0 or -ENOMEM/-E2BIG. */
int table_add_row(Table *t, const char *const *cells);
/* Attaches a detail text to the last added row (copied; NULL or "" removes it).
 * -ENOENT if there is no row yet. */
int table_set_detail(Table *t, const char *detail);
size_t table_n_rows(const Table *t);

/* The whole table as text, every line ending in '\n'; no trailing spaces. width is the
 * line width used to wrap details (0 = TABLE_DEFAULT_WIDTH). Owned by the caller. */
int table_format(const Table *t, size_t width, char **ret);
int table_print(const Table *t, FILE *f, size_t width);

/* Number of characters (UTF-8 code points) in s: the display width for our purposes. */
size_t utf8_width(const char *s);
bool utf8_is_valid(const char *s);

/* Wraps text at width columns, every line prefixed with indent spaces and ended with '\n'.
 * Words are never split: a word longer than the room gets a line of its own. Existing
 * newlines start new lines; runs of spaces collapse. NULL on OOM. */
char *text_wrap(const char *text, size_t indent, size_t width);

/* $COLUMNS if it is a sane number, else the width of the terminal on fd, else
 * TABLE_DEFAULT_WIDTH. */
size_t output_width(int fd);
