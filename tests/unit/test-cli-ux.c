/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* accelnetctl's helpers around the parse (issue 14): edit distance and "did you mean", the
 * help a usage error points to, the --json mode of a bad command line, VM names from stdin,
 * and errors wrapped at 80 columns. */
#include <stdio.h>

#include "cli/args.h"
#include "cli/report.h"
#include "cli/suggest.h"
#include "testlib.h"

#define ARGV(...) ((char *const[]) { "accelnetctl", __VA_ARGS__, NULL })
#define ARGC(...) ((int) (sizeof((const char *[]) { "accelnetctl", __VA_ARGS__ }) / sizeof(char *)))

TEST(edit_distance) {
        CHECK_INT(edit_distance("enable", "enable"), 0);
        CHECK_INT(edit_distance("enabel", "enable"), 1); /* a transposition is one edit */
        CHECK_INT(edit_distance("enble", "enable"), 1);
        CHECK_INT(edit_distance("ENABLE", "enable"), 0);
        CHECK_INT(edit_distance("", "abc"), 3);
        CHECK_INT(edit_distance("kitten", "sitting"), 3);
        char longer[SUGGEST_WORD_MAX + 2];
        memset(longer, 'a', sizeof longer - 1);
        longer[sizeof longer - 1] = '\0';
        CHECK(edit_distance(longer, "a") == SIZE_MAX);
}

TEST(suggest) {
        static const char *const verbs[] = { "enable", "set", "disable", "list", "revoke", "restore", NULL };
        CHECK_STR(suggest_closest("enabel", verbs), "enable");
        CHECK_STR(suggest_closest("lsit", verbs), "list");
        CHECK_STR(suggest_closest("disabel", verbs), "disable");
        CHECK_STR(suggest_closest("Revoke", verbs), "revoke");
        CHECK(!suggest_closest("enable", verbs));          /* not a typo */
        CHECK(!suggest_closest("frobnicate", verbs));      /* nothing close */
        CHECK(!suggest_closest("x", verbs));               /* one letter is close to nothing */
        CHECK_STR(suggest_closest("reste", verbs), "restore"); /* two edits in five letters */
        static const char *const tie[] = { "abcd", "abce", NULL };
        CHECK(!suggest_closest("abcf", tie));               /* two as close: no guess */
        CHECK(!suggest_closest(NULL, verbs));
}

TEST(usage_hint) {
        char *h;
        CHECK_STR((h = cli_usage_hint(ARGC("vm", "enable", "web1"), ARGV("vm", "enable", "web1"))),
                  "accelnetctl vm enable --help");
        free(h);
        CHECK_STR((h = cli_usage_hint(ARGC("--performance", "low", "vm", "set"), ARGV("--performance", "low", "vm", "set"))),
                  "accelnetctl vm set --help");
        free(h);
        CHECK_STR((h = cli_usage_hint(ARGC("vm", "enabel"), ARGV("vm", "enabel"))), "accelnetctl vm --help");
        free(h);
        CHECK_STR((h = cli_usage_hint(ARGC("--json", "prereq", "--bogus"), ARGV("--json", "prereq", "--bogus"))),
                  "accelnetctl prereq --help");
        free(h);
        CHECK_STR((h = cli_usage_hint(ARGC("stauts"), ARGV("stauts"))), "accelnetctl --help");
        free(h);
        CHECK_STR((h = cli_usage_hint(ARGC("help", "adapter", "drain"), ARGV("help", "adapter", "drain"))),
                  "accelnetctl adapter drain --help");
        free(h);
}

TEST(json_mode) {
        CHECK_INT(cli_args_json_mode(ARGC("vm", "enabel"), ARGV("vm", "enabel")), JSON_MODE_OFF);
        CHECK_INT(cli_args_json_mode(ARGC("vm", "enabel", "--json"), ARGV("vm", "enabel", "--json")), JSON_MODE_PRETTY);
        CHECK_INT(cli_args_json_mode(ARGC("--json=short", "x"), ARGV("--json=short", "x")), JSON_MODE_SHORT);
        CHECK_INT(cli_args_json_mode(ARGC("--json", "--json=off"), ARGV("--json", "--json=off")), JSON_MODE_OFF);
        /* an option's value and what follows "--" are no options */
        CHECK_INT(cli_args_json_mode(ARGC("--intent", "--json", "x"), ARGV("--intent", "--json", "x")), JSON_MODE_OFF);
        CHECK_INT(cli_args_json_mode(ARGC("vm", "enable", "--", "--json"), ARGV("vm", "enable", "--", "--json")),
                  JSON_MODE_OFF);
}

static int read_names(const char *input, CliArgs *a, char **err) {
        FILE *f = fmemopen((void *) input, strlen(input), "r");
        if (!f)
                return -errno;
        int r = cli_args_read_names(a, f, err);
        fclose(f);
        return r;
}

TEST(names_from_stdin) {
        _cleanup_(cli_args_done) CliArgs a = {};
        _cleanup_free_ char *e = NULL;
#define NAMES_ARGS "vm", "enable", "first", "-", "last", "--performance", "low"
        CHECK_INT(cli_args_parse(ARGC(NAMES_ARGS), ARGV(NAMES_ARGS), &a, &e), 0);
        CHECK_INT(a.n_vms, 3);
        CHECK_INT(read_names("  web1  \n\n\tdb 1\r\n   \nweb2", &a, &e), 0);
        CHECK_INT(a.n_vms, 5);
        CHECK_STR(a.vms[0], "first");
        CHECK_STR(a.vms[1], "web1");
        CHECK_STR(a.vms[2], "db 1");
        CHECK_STR(a.vms[3], "web2");
        CHECK_STR(a.vms[4], "last");

        /* no "-": stdin is not read */
        _cleanup_(cli_args_done) CliArgs b = {};
        CHECK_INT(cli_args_parse(ARGC("vm", "disable", "x"), ARGV("vm", "disable", "x"), &b, &e), 0);
        CHECK_INT(read_names("y\n", &b, &e), 0);
        CHECK_INT(b.n_vms, 1);

        /* nothing on stdin */
        _cleanup_(cli_args_done) CliArgs c = {};
        CHECK_INT(cli_args_parse(ARGC("vm", "disable", "-"), ARGV("vm", "disable", "-"), &c, &e), 0);
        CHECK_INT(read_names(" \n\n", &c, &e), -EINVAL);
        CHECK_CONTAINS(e, "No VM names on standard input");
        e = mfree(e);
        CHECK_INT(c.n_vms, 1); /* unchanged */

        /* "-" twice */
        _cleanup_(cli_args_done) CliArgs d = {};
        CHECK_INT(cli_args_parse(ARGC("vm", "disable", "-", "-"), ARGV("vm", "disable", "-", "-"), &d, &e), 0);
        CHECK_INT(read_names("a\n", &d, &e), -EINVAL);
        CHECK_CONTAINS(e, "may be given once");
        e = mfree(e);

        /* bad UTF-8 names the line */
        _cleanup_(cli_args_done) CliArgs g = {};
        CHECK_INT(cli_args_parse(ARGC("vm", "disable", "-"), ARGV("vm", "disable", "-"), &g, &e), 0);
        CHECK_INT(read_names("ok\n\xff\xfe\n", &g, &e), -EINVAL);
        CHECK_CONTAINS(e, "line 2");
}

TEST(error_wrap) {
        _cleanup_free_ char *w = cli_error_wrap("short", 80);
        CHECK_STR(w, "accelnetctl: short\n");
        /* a word longer than the line is cut, every line at most 40 */
        char word[101];
        memset(word, 'x', 100);
        word[100] = '\0';
        _cleanup_free_ char *c = cli_error_wrap(word, 40);
        ASSERT(c);
        size_t col = 0, lines = 0;
        for (const char *p = c; *p; p++) {
                if (*p == '\n') {
                        CHECK(col <= 40);
                        col = 0;
                        lines++;
                } else
                        col++;
        }
        CHECK_INT(lines, 4); /* "accelnetctl:" then 100 x cut at 40 */
}

int main(void) {
        RUN(edit_distance);
        RUN(suggest);
        RUN(usage_hint);
        RUN(json_mode);
        RUN(names_from_stdin);
        RUN(error_wrap);
        return TEST_MAIN_END();
}
