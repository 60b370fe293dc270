/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Selecting many VMs at once, like the seed's pipeline (Get-VM | Enable-...): "vm enable
 * --all-eligible" (every VM that has it disabled and passes admission's static checks) and
 * "vm set" with several VMs (the names may come from stdin: args.h). */
#include <jansson.h>
#include <string.h>

#include "bus.h"
#include "call.h"
#include "commands.h"
#include "output.h"
#include "render.h"
#include "report.h"
#include "shared/anerror.h"
#include "shared/strutil.h"
#include "table.h"
#include "views.h"

/* The errors of admission's static checks: the VM itself cannot take a VF (no virtio NIC to
 * pair it with, too few vCPUs for the tier), whatever the host has free. accelnetd makes
 * these checks before it changes anything, so such a VM is skipped, not failed. */
static bool error_is_static(const char *name) {
        const char *s = error_name_short(name);
        return streq_ptr(s, an_error_to_string(AN_ERROR_GET_NETWORK_ADAPTER_FAILED)) ||
               streq_ptr(s, an_error_to_string(AN_ERROR_VM_NOT_ENOUGH_VCPUS));
}

int verb_vm_set_many(const CliContext *ctx) {
        const CliArgs *a = ctx->args;
        _cleanup_free_ VmResult *results = calloc(a->n_vms, sizeof(VmResult));
        _cleanup_free_ char **names = calloc(a->n_vms, sizeof(char *)); /* the error names, owned */
        _cleanup_free_ char **messages = calloc(a->n_vms, sizeof(char *)); /* their messages, owned */
        int r = CLI_EXIT_SUCCESS;

        if (!results || !names || !messages)
                return cli_error(ctx, NULL, "Out of memory.");
        /* accelnetd has no SetVMs: one SetVM after the other */
        for (size_t i = 0; i < a->n_vms; i++) {
                _cleanup_bus_message_ sd_bus_message *m = NULL, *reply = NULL;
                _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
                r = cli_new_call(ctx, "SetVM", &m);
                if (r != CLI_EXIT_SUCCESS)
                        goto done;
                int k = sd_bus_message_append(m, "ss", a->vms[i], a->performance);
                if (k >= 0)
                        k = sd_bus_call(ctx->bus, m, CLI_TIMEOUT_CHANGE_USEC, &error, &reply);
                /* the bus itself failing is no per-VM result */
                if (k < 0 && (!sd_bus_error_is_set(&error) || cli_bus_error_is_not_running(&error))) {
                        r = cli_report_bus_error(ctx->out, ctx->err, a->json, &error, k);
                        goto done;
                }
                results[i].vm = a->vms[i];
                if (k < 0 && (!(names[i] = strdup(error.name)) || !(messages[i] = strdup(strempty(error.message))))) {
                        r = cli_error(ctx, NULL, "Out of memory.");
                        goto done;
                }
                results[i].error = k < 0 ? names[i] : "";
                results[i].message = k < 0 ? messages[i] : ""; /* the full message, as EnableVMsEx gives */
        }
        r = cli_emit_vm_results(ctx, results, a->n_vms);
done:
        for (size_t i = 0; i < a->n_vms; i++) {
                free(names[i]);
                free(messages[i]);
        }
        return r;
}

/* done, skipped (a static check: the reason) or failed */
static const char *eligible_result(const VmResult *r) {
        return !vm_result_failed(r) ? "done" : error_is_static(r->error) ? "skipped" : "failed";
}

static int emit_eligible(const CliContext *ctx, const VmResult *results, size_t n) {
        size_t counts[3] = {};
        for (size_t i = 0; i < n; i++) {
                const char *what = eligible_result(&results[i]);
                counts[streq(what, "done") ? 0 : streq(what, "skipped") ? 1 : 2]++;
        }

        if (ctx->args->json) {
                _cleanup_json_ json_t *j = json_array();
                for (size_t i = 0; j && i < n; i++)
                        if (json_array_append_new(j, json_pack("{s:s, s:s, s:s, s:s}", "vm", results[i].vm,
                                                               "result", eligible_result(&results[i]), "error",
                                                               results[i].error, "message",
                                                               results[i].message ? results[i].message : "")) < 0)
                                j = (json_decref(j), NULL);
                int r = cli_emit_json(ctx, j);
                if (r != CLI_EXIT_SUCCESS)
                        return r;
        } else {
                static const char *const headers[] = { "VM", "RESULT", "REASON" };
                RenderOptions o = view_options(ctx);
                _cleanup_(table_freep) Table *t = render_table_new(&o, ELEMENTSOF(headers), headers);
                _cleanup_free_ char *text = NULL;
                int r = t ? 0 : -ENOMEM;
                for (size_t i = 0; r >= 0 && i < n; i++) {
                        bool ok = !vm_result_failed(&results[i]);
                        const char *cells[] = { results[i].vm, eligible_result(&results[i]),
                                                ok ? "" : error_name_short(results[i].error) };
                        r = table_add_row(t, cells);
                        AnError e = ok ? _AN_ERROR_INVALID : an_error_from_bus_name(results[i].error);
                        if (r >= 0 && !ok && !isempty(results[i].message))
                                r = table_set_detail(t, results[i].message); /* EnableVMsEx's, in full */
                        else if (r >= 0 && (int) e >= AN_ERROR_BASE)
                                r = table_set_detail(t, an_error_message(e));
                }
                if (r >= 0)
                        r = table_format(t, o.width, &text);
                if (r >= 0 && fputs(text, ctx->out) == EOF)
                        r = -EIO;
                if (r >= 0 && ctx->args->legend &&
                    fprintf(ctx->out, "\n%zu done, %zu skipped, %zu failed.\n", counts[0], counts[1], counts[2]) < 0)
                        r = -EIO;
                if (r < 0)
                        return cli_error(ctx, NULL, "Failed to write the output: %s", strerror(-r));
        }
        if (counts[2] == 0)
                return CLI_EXIT_SUCCESS;
        return cli_error_text(ctx, "%zu of %zu eligible VMs failed.", counts[2], n - counts[1]);
}

int verb_vm_enable_all_eligible(const CliContext *ctx) {
        _cleanup_bus_message_ sd_bus_message *m = NULL, *list = NULL, *reply = NULL;
        _cleanup_free_ VmRow *rows = NULL;
        _cleanup_free_ VmResult *results = NULL;
        size_t n = 0, n_results = 0;
        int r;

        /* this host's VMs (EnableVMs acts on them): those that have it disabled */
        r = cli_new_call(ctx, "ListVMs", &m);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        r = cli_call(ctx, m, CLI_TIMEOUT_READ_USEC, &list);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        if (vm_rows_read(list, &rows, &n) < 0)
                return cli_parse_error(ctx, "ListVMs", -EBADMSG);

        /* EnableVMsEx (each VM's full message), EnableVMs from a daemon without it */
        size_t n_disabled = 0;
        for (size_t i = 0; i < n; i++)
                n_disabled += vm_row_matches(&rows[i], VM_FILTER_DISABLED);
        if (n_disabled == 0)
                return emit_eligible(ctx, NULL, 0);
        bool ex = true;
        for (;;) {
                const char *member = ex ? "EnableVMsEx" : "EnableVMs";
                m = sd_bus_message_unref(m);
                r = cli_new_call(ctx, member, &m);
                if (r != CLI_EXIT_SUCCESS)
                        return r;
                r = sd_bus_message_open_container(m, 'a', "s");
                for (size_t i = 0; r >= 0 && i < n; i++)
                        if (vm_row_matches(&rows[i], VM_FILTER_DISABLED))
                                r = sd_bus_message_append(m, "s", rows[i].vm);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
                if (r >= 0)
                        r = sd_bus_message_append(m, "s", ctx->args->performance);
                if (r < 0)
                        return cli_error(ctx, NULL, "Failed to build the %s call: %s", member, strerror(-r));
                r = ex ? cli_call_optional(ctx, m, CLI_TIMEOUT_CHANGE_USEC, &reply)
                       : cli_call(ctx, m, CLI_TIMEOUT_CHANGE_USEC, &reply);
                if (r != CLI_EXIT_SUCCESS)
                        return r;
                if (reply)
                        break;
                ex = false; /* UnknownMethod: an older daemon */
        }
        if ((ex ? vm_results_ex_read(reply, &results, &n_results) : vm_results_read(reply, &results, &n_results)) < 0)
                return cli_parse_error(ctx, ex ? "EnableVMsEx" : "EnableVMs", -EBADMSG);
        return emit_eligible(ctx, results, n_results);
}
