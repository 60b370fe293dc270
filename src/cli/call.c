/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "call.h"
#include "output.h"
#include "render.h"
#include "report.h"
#include "views.h"

static int error_va(const CliContext *ctx, JsonMode json, const char *name, const char *fmt, va_list ap)
        _printf_(4, 0);
static int error_va(const CliContext *ctx, JsonMode json, const char *name, const char *fmt, va_list ap) {
        _cleanup_free_ char *msg = NULL;
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        return cli_report(ctx->out, ctx->err, json, CLI_EXIT_FAILURE, name ? name : CLI_ERROR_FAILED,
                          msg ? msg : "Out of memory.");
}

int cli_error(const CliContext *ctx, const char *name, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = error_va(ctx, ctx->args->json, name, fmt, ap);
        va_end(ap);
        return r;
}

int cli_error_text(const CliContext *ctx, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = error_va(ctx, JSON_MODE_OFF, NULL, fmt, ap);
        va_end(ap);
        return r;
}

int cli_bus_error(const CliContext *ctx, const sd_bus_error *e, int r) {
        return cli_report_bus_error(ctx->out, ctx->err, ctx->args->json, e, r);
}

int cli_parse_error(const CliContext *ctx, const char *method, int r) {
        return cli_error(ctx, CLI_ERROR_BAD_REPLY, "Failed to parse the reply of %s: %s", method, strerror(-r));
}

int cli_new_call(const CliContext *ctx, const char *member, sd_bus_message **ret) {
        int r = sd_bus_message_new_method_call(ctx->bus, ret, ACCELNET_BUS_NAME, ACCELNET_BUS_PATH,
                                               ACCELNET_BUS_MANAGER_INTERFACE, member);
        if (r < 0)
                return cli_error(ctx, NULL, "Failed to create a %s call: %s", member, strerror(-r));
        return CLI_EXIT_SUCCESS;
}

int cli_call(const CliContext *ctx, sd_bus_message *m, uint64_t timeout, sd_bus_message **ret) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call(ctx->bus, m, timeout, &error, ret);
        if (r < 0)
                return cli_bus_error(ctx, &error, r);
        return CLI_EXIT_SUCCESS;
}

int cli_call_optional(const CliContext *ctx, sd_bus_message *m, uint64_t timeout, sd_bus_message **ret) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_call(ctx->bus, m, timeout, &error, ret);
        if (r >= 0)
                return CLI_EXIT_SUCCESS;
        if (sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_METHOD)) {
                *ret = NULL;
                return CLI_EXIT_SUCCESS;
        }
        return cli_bus_error(ctx, &error, r);
}

int cli_emit_json(const CliContext *ctx, json_t *j) {
        if (!j)
                return cli_error(ctx, NULL, "Out of memory.");
        if (json_print(j, ctx->out, ctx->args->json) < 0)
                return cli_error(ctx, NULL, "Failed to write JSON output.");
        return CLI_EXIT_SUCCESS;
}

int cli_emit_text(const CliContext *ctx, int r, const char *text) {
        if (r < 0 || !text)
                return cli_error(ctx, NULL, "Failed to format the output: %s", strerror(r < 0 ? -r : ENOMEM));
        if (fputs(text, ctx->out) == EOF)
                return cli_error(ctx, NULL, "Failed to write output.");
        return CLI_EXIT_SUCCESS;
}

int cli_emit_vm_results(const CliContext *ctx, const VmResult *results, size_t n) {
        int r;

        if (ctx->args->json) {
                _cleanup_json_ json_t *j = vm_results_to_json(results, n);
                r = cli_emit_json(ctx, j);
        } else {
                /* with messages: never wider than 80 columns into a pipe */
                RenderOptions o = view_options(ctx);
                _cleanup_free_ char *text = NULL;
                r = vm_results_render(results, n, &o, &text);
                r = cli_emit_text(ctx, r, text);
        }
        if (r != CLI_EXIT_SUCCESS)
                return r;

        size_t n_failed = vm_results_n_failed(results, n);
        if (n_failed > 0)
                return cli_error_text(ctx, "%zu of %zu VMs failed.", n_failed, n);
        return CLI_EXIT_SUCCESS;
}
