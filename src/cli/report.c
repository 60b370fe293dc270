/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <jansson.h>
#include <string.h>

#include "bus.h"
#include "output.h"
#include "report.h"
#include "shared/strutil.h"
#include "table.h"

#define CLI_ERROR_PREFIX "accelnetctl: "

const char *cli_error_name(const sd_bus_error *e) {
        if (cli_bus_error_is_not_running(e))
                return CLI_ERROR_NOT_RUNNING;
        if (!e || isempty(e->name))
                return CLI_ERROR_FAILED;
        const char *dot = strrchr(e->name, '.');
        return dot && dot[1] ? dot + 1 : e->name;
}

/* Appends line (no '\n' inside) cut into pieces of at most width code points. */
static void append_cut(StrBuf *b, const char *line, size_t len, size_t width) {
        size_t col = 0;
        for (size_t i = 0; i < len; i++) {
                bool start = ((unsigned char) line[i] & 0xC0) != 0x80;
                if (start && col == width) {
                        strbuf_appendf(b, "\n");
                        col = 0;
                }
                strbuf_appendf(b, "%c", line[i]);
                if (start)
                        col++;
        }
        strbuf_appendf(b, "\n");
}

char *cli_error_wrap(const char *message, size_t width) {
        _cleanup_free_ char *full = NULL;
        if (width == 0)
                width = TABLE_DEFAULT_WIDTH;
        if (asprintf(&full, CLI_ERROR_PREFIX "%s", strempty(message)) < 0)
                return NULL;
        _cleanup_free_ char *wrapped = text_wrap(full, 0, width);
        if (!wrapped)
                return NULL;
        StrBuf b = {};
        for (const char *p = wrapped; *p;) {
                const char *nl = strchrnul(p, '\n');
                append_cut(&b, p, (size_t) (nl - p), width);
                p = *nl ? nl + 1 : nl;
        }
        return strbuf_steal(&b);
}

int cli_report(FILE *out, FILE *err, JsonMode json, int status, const char *name, const char *message) {
        /* a stream without a descriptor (a test's memory stream) is no terminal: 80 */
        _cleanup_free_ char *text = cli_error_wrap(message, output_width(err ? fileno(err) : -1));
        /* what was printed before the error comes before it, also when both go to one pipe */
        (void) fflush(out ? out : stdout);
        if (err)
                fputs(text ? text : CLI_ERROR_PREFIX "Out of memory.\n", err);
        if (json != JSON_MODE_OFF && out) {
                json_t *j = json_pack("{s:s, s:s}", "error", name ? name : CLI_ERROR_FAILED, "message",
                                      strempty(message));
                if (j)
                        (void) json_print(j, out, json);
                json_decref(j);
                fflush(out);
        }
        return status;
}

int cli_report_bus_error(FILE *out, FILE *err, JsonMode json, const sd_bus_error *e, int r) {
        _cleanup_free_ char *msg = cli_bus_error_message(e, r);
        const char *name = cli_error_name(e);
        if (!msg)
                return cli_report(out, err, json, CLI_EXIT_FAILURE, CLI_ERROR_FAILED, "Out of memory.");
        /* the JSON's message is the daemon's text; its name is "error" */
        if (json != JSON_MODE_OFF && e && !isempty(e->message) && !cli_bus_error_is_not_running(e)) {
                (void) cli_report(NULL, err, JSON_MODE_OFF, CLI_EXIT_FAILURE, name, msg);
                return cli_report(out, NULL, json, CLI_EXIT_FAILURE, name, e->message);
        }
        return cli_report(out, err, json, CLI_EXIT_FAILURE, name, msg);
}
