/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>

#include "cli/table.h"
#include "testlib.h"

static char *format(Table *t, size_t width) {
        char *s = NULL;
        int r = table_format(t, width, &s);
        CHECK_INT(r, 0);
        return s;
}

TEST(alignment) {
        static const char *const headers[] = { "ADDRESS", "IFNAME", "TOTAL", "NOTE" };
        _cleanup_(table_freep) Table *t = table_new(4, headers);
        ASSERT(t);
        CHECK_INT(table_set_align(t, 2, TABLE_ALIGN_RIGHT), 0);
        CHECK_INT(table_set_align(t, 4, TABLE_ALIGN_RIGHT), -EINVAL);

        const char *r1[] = { "0000:3b:00.0", "ens1f0", "64", "" };
        const char *r2[] = { "0000:d8:00.1", "enp216s0f1np1", "7", "x" };
        CHECK_INT(table_add_row(t, r1), 0);
        CHECK_INT(table_add_row(t, r2), 0);
        CHECK_INT(table_n_rows(t), 2);

        _cleanup_free_ char *s = format(t, 0);
        /* left columns padded to the widest cell, numbers right-aligned, empty cell "-",
         * no trailing spaces, one space between columns */
        CHECK_STR(s, "ADDRESS      IFNAME        TOTAL NOTE\n"
                     "0000:3b:00.0 ens1f0           64 -\n"
                     "0000:d8:00.1 enp216s0f1np1     7 x\n");
}

TEST(no_header) {
        static const char *const headers[] = { "A-VERY-LONG-HEADER", "B" };
        _cleanup_(table_freep) Table *t = table_new(2, headers);
        ASSERT(t);
        table_set_header(t, false);
        const char *r1[] = { "x", "y" };
        CHECK_INT(table_add_row(t, r1), 0);
        _cleanup_free_ char *s = format(t, 0);
        /* the hidden header does not widen the column */
        CHECK_STR(s, "x y\n");
}

TEST(empty_table) {
        static const char *const headers[] = { "VM", "STATE" };
        _cleanup_(table_freep) Table *t = table_new(2, headers);
        ASSERT(t);
        _cleanup_free_ char *s = format(t, 0);
        CHECK_STR(s, "VM STATE\n");

        table_set_header(t, false);
        _cleanup_free_ char *e = format(t, 0);
        CHECK_STR(e, "");
}

TEST(bad_new) {
        static const char *const headers[] = { "A" };
        CHECK(table_new(0, headers) == NULL);
        CHECK(table_new(TABLE_COLUMNS_MAX + 1, headers) == NULL);
        CHECK(table_new(1, NULL) == NULL);
}

TEST(utf8_columns) {
        static const char *const headers[] = { "VM", "STATE" };
        _cleanup_(table_freep) Table *t = table_new(2, headers);
        ASSERT(t);
        const char *r1[] = { "gäst", "on" }; /* 4 characters, 5 bytes */
        const char *r2[] = { "ab", "off" };
        CHECK_INT(table_add_row(t, r1), 0);
        CHECK_INT(table_add_row(t, r2), 0);
        _cleanup_free_ char *s = format(t, 0);
        CHECK_STR(s, "VM   STATE\n"
                     "gäst on\n"
                     "ab   off\n");
}

TEST(detail_wrapped) {
        static const char *const headers[] = { "RESULT", "CHECK" };
        _cleanup_(table_freep) Table *t = table_new(2, headers);
        ASSERT(t);
        CHECK_INT(table_set_detail(t, "too early"), -ENOENT);
        const char *r1[] = { "Failed", "iommu" };
        const char *r2[] = { "Passed", "smt" };
        CHECK_INT(table_add_row(t, r1), 0);
        CHECK_INT(table_set_detail(t, "The IOMMU is off. Boot with intel_iommu=on and check the firmware setting."), 0);
        CHECK_INT(table_add_row(t, r2), 0);
        CHECK_INT(table_set_detail(t, ""), 0); /* no detail line */

        _cleanup_free_ char *s = format(t, 30);
        CHECK_STR(s, "RESULT CHECK\n"
                     "Failed iommu\n"
                     "    The IOMMU is off. Boot\n"
                     "    with intel_iommu=on and\n"
                     "    check the firmware\n"
                     "    setting.\n"
                     "Passed smt\n");

        /* every wrapped line fits the width */
        _cleanup_free_ char *w = format(t, 40);
        for (char *line = w, *nl; (nl = strchr(line, '\n')); line = nl + 1)
                CHECK((size_t) (nl - line) <= 40);
}

TEST(wrap) {
        _cleanup_free_ char *a = text_wrap("one two three four", 2, 22);
        /* 22 wide means fewer than 20 of room: the 20 column floor applies */
        CHECK_STR(a, "  one two three four\n");

        _cleanup_free_ char *b = text_wrap("aaaa bbbb cccc dddd eeee ffff", 0, 20);
        CHECK_STR(b, "aaaa bbbb cccc dddd\neeee ffff\n");

        /* a word longer than the line is kept whole on a line of its own */
        _cleanup_free_ char *c = text_wrap("see /sys/bus/pci/devices/0000:3b:00.0/sriov_totalvfs now", 4, 30);
        CHECK_STR(c, "    see\n    /sys/bus/pci/devices/0000:3b:00.0/sriov_totalvfs\n    now\n");

        /* newlines are kept, runs of spaces collapse, a trailing newline adds nothing */
        _cleanup_free_ char *d = text_wrap("first  line\n\nthird\n", 1, 40);
        CHECK_STR(d, " first line\n\n third\n");

        _cleanup_free_ char *e = text_wrap("", 4, 40);
        CHECK_STR(e, "");
        _cleanup_free_ char *f = text_wrap(NULL, 4, 40);
        CHECK_STR(f, "");
}

TEST(utf8) {
        CHECK_INT(utf8_width("abc"), 3);
        CHECK_INT(utf8_width("gäst"), 4);
        CHECK_INT(utf8_width(""), 0);
        CHECK_INT(utf8_width(NULL), 0);
        CHECK(utf8_is_valid("gäst €"));
        CHECK(!utf8_is_valid("\xff"));
        CHECK(!utf8_is_valid("a\xc3"));         /* truncated */
        CHECK(!utf8_is_valid("\xc0\xaf"));      /* overlong '/' */
        CHECK(!utf8_is_valid("\xed\xa0\x80"));  /* surrogate */
        CHECK(!utf8_is_valid(NULL));
}

TEST(width) {
        const char *saved = getenv("COLUMNS");
        _cleanup_free_ char *copy = saved ? strdup(saved) : NULL;

        setenv("COLUMNS", "132", 1);
        CHECK_INT(output_width(-1), 132);
        setenv("COLUMNS", "junk", 1);
        CHECK_INT(output_width(-1), TABLE_DEFAULT_WIDTH); /* not a tty: the default */
        unsetenv("COLUMNS");
        CHECK_INT(output_width(-1), TABLE_DEFAULT_WIDTH);

        if (copy)
                setenv("COLUMNS", copy, 1);
}

int main(void) {
        RUN(alignment);
        RUN(no_header);
        RUN(empty_table);
        RUN(bad_new);
        RUN(utf8_columns);
        RUN(detail_wrapped);
        RUN(wrap);
        RUN(utf8);
        RUN(width);
        return TEST_MAIN_END();
}
