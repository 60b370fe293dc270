/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What accelnetctl needs around the parse: where a usage error points to (the verb's help),
 * the --json mode of a command line that did not parse, and the VM names of "-". */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "shared/strutil.h"
#include "table.h"

/* The options that take their value as the next word ("--intent NAME"). */
static bool takes_value(const char *word) {
        return streq(word, "--intent") || streq(word, "--node-reserve") || streq(word, "--performance");
}

char *cli_usage_hint(int argc, char *const *argv) {
        const char *words[2] = {};
        size_t n = 0;
        bool options = true;

        for (int i = 1; i < argc && n < 2; i++) {
                const char *w = argv[i];
                if (options && streq(w, "--")) {
                        options = false;
                        continue;
                }
                if (options && w[0] == '-' && w[1]) {
                        if (takes_value(w))
                                i++;
                        continue;
                }
                if (n == 0 && streq(w, "help"))
                        continue;
                words[n++] = w;
                if (n == 1 && !verb_group_find(w))
                        break;
        }

        char *s = NULL;
        int r;
        const char *group = n > 0 ? verb_group_find(words[0]) : NULL;
        Verb v = group ? verb_from_string(group, words[1]) : n > 0 ? verb_from_string(NULL, words[0]) : _VERB_INVALID;
        if ((int) v >= 0)
                r = asprintf(&s, "accelnetctl %s --help", verb_to_string(v));
        else if (group)
                r = asprintf(&s, "accelnetctl %s --help", group);
        else
                r = asprintf(&s, "accelnetctl --help");
        return r < 0 ? NULL : s;
}

JsonMode cli_args_json_mode(int argc, char *const *argv) {
        JsonMode mode = JSON_MODE_OFF;
        for (int i = 1; i < argc; i++) {
                const char *w = argv[i];
                if (streq(w, "--"))
                        break;
                if (takes_value(w)) {
                        i++;
                        continue;
                }
                if (streq(w, "--json") || streq(w, "--json=pretty"))
                        mode = JSON_MODE_PRETTY;
                else if (streq(w, "--json=short"))
                        mode = JSON_MODE_SHORT;
                else if (streq(w, "--json=off"))
                        mode = JSON_MODE_OFF;
        }
        return mode;
}

/* Reads all of in (at most CLI_NAMES_INPUT_MAX bytes). */
#define CLI_NAMES_INPUT_MAX (4u * 1024 * 1024)
static int read_all(FILE *in, char **ret, char **ret_error) {
        StrBuf b = {};
        char buf[4096];
        size_t k;
        while ((k = fread(buf, 1, sizeof buf, in)) > 0) {
                if (memchr(buf, '\0', k)) {
                        strbuf_done(&b);
                        *ret_error = strdup("Invalid VM names on standard input: a NUL byte.");
                        return -EINVAL;
                }
                strbuf_appendf(&b, "%.*s", (int) k, buf);
                if (b.len > CLI_NAMES_INPUT_MAX) {
                        strbuf_done(&b);
                        if (asprintf(ret_error, "Too many VM names on standard input (more than %u bytes).",
                                     CLI_NAMES_INPUT_MAX) < 0)
                                *ret_error = NULL;
                        return -EINVAL;
                }
        }
        if (ferror(in)) {
                strbuf_done(&b);
                *ret_error = strdup("Failed to read VM names from standard input.");
                return -EIO;
        }
        char *s = strbuf_steal(&b);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int cli_args_read_names(CliArgs *a, FILE *in, char **ret_error) {
        size_t dash = SIZE_MAX;
        for (size_t i = 0; i < a->n_vms; i++)
                if (streq(a->vms[i], "-")) {
                        if (dash != SIZE_MAX) {
                                *ret_error = strdup("'-' (VM names from standard input) may be given once.");
                                return -EINVAL;
                        }
                        dash = i;
                }
        if (dash == SIZE_MAX)
                return 0;

        _cleanup_free_ char *text = NULL;
        int r = read_all(in, &text, ret_error);
        if (r < 0)
                return r;

        /* one name a line: the spaces around it and blank lines do not count */
        size_t n_lines = 1;
        for (const char *p = text; *p; p++)
                n_lines += *p == '\n';
        _cleanup_free_ const char **names = calloc(a->n_vms + n_lines, sizeof(char *));
        if (!names)
                return -ENOMEM;
        size_t n = 0;
        for (size_t i = 0; i < dash; i++)
                names[n++] = a->vms[i];
        size_t line_no = 0;
        for (char *p = text; *p;) {
                char *nl = strchrnul(p, '\n');
                char *next = *nl ? nl + 1 : nl;
                *nl = '\0';
                line_no++;
                while (*p == ' ' || *p == '\t' || *p == '\r')
                        p++;
                char *end = p + strlen(p);
                while (end > p && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
                        *--end = '\0';
                if (*p) {
                        if (!utf8_is_valid(p)) {
                                if (asprintf(ret_error, "Invalid VM name on line %zu of standard input: not valid "
                                             "UTF-8.", line_no) < 0)
                                        *ret_error = NULL;
                                return -EINVAL;
                        }
                        names[n++] = p;
                }
                p = next;
        }
        size_t from_stdin = n - dash;
        for (size_t i = dash + 1; i < a->n_vms; i++)
                names[n++] = a->vms[i];
        if (from_stdin == 0 && n == 0) {
                *ret_error = strdup("No VM names on standard input.");
                return -EINVAL;
        }
        if (n > CLI_VMS_MAX) {
                if (asprintf(ret_error, "Too many VM names (%zu, at most %d).", n, CLI_VMS_MAX) < 0)
                        *ret_error = NULL;
                return -EINVAL;
        }
        free(a->vms);
        a->vms = TAKE_PTR(names);
        a->n_vms = n;
        free(a->names_buf);
        a->names_buf = TAKE_PTR(text);
        return 0;
}
