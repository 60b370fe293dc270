/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "call.h"
#include "commands.h"
#include "health.h"
#include "output.h"
#include "progress.h"
#include "render.h"
#include "report.h"
#include "shared/strutil.h"
#include "views.h"

/* A method without arguments, for reading. */
static int call_read(const CliContext *ctx, const char *member, sd_bus_message **ret) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        int r = cli_new_call(ctx, member, &m);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        return cli_call(ctx, m, CLI_TIMEOUT_READ_USEC, ret);
}

/* A method without arguments that a daemon older than cluster mode lacks: when the daemon
 * answers UnknownMethod, CLI_EXIT_SUCCESS with *ret NULL and nothing printed. */
static int call_read_optional(const CliContext *ctx, const char *member, sd_bus_message **ret) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        int r = cli_new_call(ctx, member, &m);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        return cli_call_optional(ctx, m, CLI_TIMEOUT_READ_USEC, ret);
}

/* Properties.GetAll of the Manager: the reply, which the properties borrow from, and them. */
static int get_all(const CliContext *ctx, sd_bus_message **ret_reply, Property **ret, size_t *ret_n) {
        _cleanup_bus_message_ sd_bus_message *m = NULL, *reply = NULL;
        int r = sd_bus_message_new_method_call(ctx->bus, &m, ACCELNET_BUS_NAME, ACCELNET_BUS_PATH,
                                               "org.freedesktop.DBus.Properties", "GetAll");
        if (r >= 0)
                r = sd_bus_message_append(m, "s", ACCELNET_BUS_MANAGER_INTERFACE);
        if (r < 0)
                return cli_error(ctx, NULL, "Failed to build the GetAll call: %s", strerror(-r));
        r = cli_call(ctx, m, CLI_TIMEOUT_READ_USEC, &reply);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        r = properties_read(reply, ret, ret_n);
        if (r < 0)
                return cli_parse_error(ctx, "GetAll", r);
        *ret_reply = TAKE_PTR(reply);
        return CLI_EXIT_SUCCESS;
}

static RenderOptions render_options(const CliContext *ctx) {
        return (RenderOptions) { .legend = ctx->args->legend, .width = ctx->width };
}

/* Success of a call that returns nothing: silent, or {"result":"done"} with --json. */
static int emit_done(const CliContext *ctx) {
        if (!ctx->args->json)
                return CLI_EXIT_SUCCESS;
        _cleanup_json_ json_t *j = done_to_json();
        return cli_emit_json(ctx, j);
}

/* ---- verbs ---- */

int verb_status(const CliContext *ctx) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        _cleanup_free_ Property *props = NULL;
        size_t n;

        int r = get_all(ctx, &reply, &props, &n);
        if (r != CLI_EXIT_SUCCESS)
                return r;

        /* Provisioning under way (after a start, a driver reload) or failed: its rows. */
        _cleanup_bus_message_ sd_bus_message *checks = NULL;
        _cleanup_free_ PrereqRow *rows = NULL;
        size_t n_rows = 0;
        r = call_read(ctx, "GetPrerequisites", &checks);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        r = prereq_rows_read(checks, &rows, &n_rows);
        if (r < 0)
                return cli_parse_error(ctx, "GetPrerequisites", r);
        /* and the adapters out of service (servicing): theirs */
        size_t k = 0, ks = 0;
        _cleanup_free_ PrereqRow *svc = calloc(n_rows + 1, sizeof(PrereqRow));
        if (!svc)
                return cli_error(ctx, NULL, "Out of memory.");
        for (size_t i = 0; i < n_rows; i++) {
                if (streq(rows[i].check, "servicing"))
                        svc[ks++] = rows[i];
                else if (streq(rows[i].check, "provision"))
                        rows[k++] = rows[i];
        }

        if (ctx->args->json) {
                _cleanup_json_ json_t *j = status_to_json(props, n);
                json_t *p = json_array(), *q = json_array();
                for (size_t i = 0; p && i < k; i++)
                        (void) json_array_append_new(p, json_pack("{s:s, s:s, s:s}", "adapter", rows[i].subject,
                                                                  "result", rows[i].result, "detail", rows[i].detail));
                for (size_t i = 0; q && i < ks; i++)
                        (void) json_array_append_new(q, json_pack("{s:s, s:s}", "adapter", svc[i].subject, "detail",
                                                                  svc[i].detail));
                if (!j || !p || !q || json_object_set_new(j, "provisioning", p) < 0 ||
                    json_object_set_new(j, "servicing", q) < 0)
                        return cli_error(ctx, NULL, "Out of memory.");
                return cli_emit_json(ctx, j);
        }
        _cleanup_free_ char *text = NULL;
        r = properties_render(props, n, &text);
        if (r >= 0 && k + ks > 0) {
                StrBuf b = {};
                strbuf_appendf(&b, "%s", text);
                for (size_t i = 0; i < k; i++)
                        strbuf_appendf(&b, "Provisioning: %s %s\n", rows[i].subject, rows[i].detail);
                for (size_t i = 0; i < ks; i++)
                        strbuf_appendf(&b, "Servicing: %s\n", svc[i].detail);
                free(text);
                text = strbuf_steal(&b);
                r = text ? 0 : -ENOMEM;
        }
        return cli_emit_text(ctx, r, text);
}

int verb_prereq(const CliContext *ctx) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        _cleanup_free_ PrereqRow *rows = NULL;
        size_t n;

        int r = call_read(ctx, "GetPrerequisites", &reply);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        r = prereq_rows_read(reply, &rows, &n);
        if (r < 0)
                return cli_parse_error(ctx, "GetPrerequisites", r);

        /* the exit status says whether a check failed, whatever is shown */
        bool failed = false;
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                bool passed = streq(rows[i].result, "Passed");
                failed = failed || streq(rows[i].result, "Failed");
                if (!ctx->args->failed_only || !passed)
                        rows[k++] = rows[i];
        }
        n = k;

        if (ctx->args->json) {
                _cleanup_json_ json_t *j = prereq_rows_to_json(rows, n);
                r = cli_emit_json(ctx, j);
        } else {
                RenderOptions o = render_options(ctx);
                _cleanup_free_ char *text = NULL;
                r = prereq_rows_render(rows, n, &o, &text);
                r = cli_emit_text(ctx, r, text);
        }
        return r == CLI_EXIT_SUCCESS && failed ? CLI_EXIT_CHECK_FAILED : r;
}

int verb_adapters(const CliContext *ctx) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL, *checks = NULL;
        _cleanup_free_ AdapterRow *rows = NULL;
        _cleanup_free_ PrereqRow *notes = NULL;
        size_t n, n_notes = 0;
        int r;

        /* The adapters out of service (servicing) are said under the table: GetPrerequisites'
         * rows of check "servicing" (ListAdapters keeps its signature). */
        if (!ctx->args->json) {
                r = call_read(ctx, "GetPrerequisites", &checks);
                if (r != CLI_EXIT_SUCCESS)
                        return r;
                if (prereq_rows_read(checks, &notes, &n_notes) < 0)
                        n_notes = 0;
        }
        /* ListAdaptersEx (NUMA, speed, model, intent, health) where the daemon has it */
        const char *method = "ListAdaptersEx";
        r = call_read_optional(ctx, method, &reply);
        if (r == CLI_EXIT_SUCCESS && reply)
                r = adapter_rows_ex_read(reply, &rows, &n);
        else if (r == CLI_EXIT_SUCCESS) {
                method = "ListAdapters";
                r = call_read(ctx, method, &reply);
                if (r != CLI_EXIT_SUCCESS)
                        return r;
                r = adapter_rows_read(reply, &rows, &n);
        } else
                return r;
        if (r < 0)
                return cli_parse_error(ctx, method, r);

        if (ctx->args->json) {
                _cleanup_json_ json_t *j = adapter_rows_to_json(rows, n);
                return cli_emit_json(ctx, j);
        }
        RenderOptions o = render_options(ctx);
        _cleanup_free_ char *text = NULL;
        if (n > 0 && rows[0].has_ex)
                o = view_options(ctx);
        r = n > 0 && rows[0].has_ex ? adapter_rows_ex_render(rows, n, &o, &text) : adapter_rows_render(rows, n, &o, &text);
        StrBuf b = {};
        for (size_t i = 0; r >= 0 && i < n_notes; i++)
                if (streq(notes[i].check, "servicing"))
                        strbuf_appendf(&b, "%s%s\n", b.len ? "" : "\n", notes[i].detail);
        if (r >= 0 && b.len) {
                _cleanup_free_ char *more = strbuf_steal(&b);
                char *all = NULL;
                r = more && asprintf(&all, "%s%s", text, more) >= 0 ? 0 : -ENOMEM;
                if (r >= 0)
                        free_and_replace(text, all);
        }
        strbuf_done(&b);
        return cli_emit_text(ctx, r, text);
}

int verb_intents(const CliContext *ctx) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        IntentRow *rows = NULL;
        size_t n;

        int r = call_read(ctx, "ListIntents", &reply);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        r = intent_rows_read(reply, &rows, &n);
        if (r < 0)
                return cli_parse_error(ctx, "ListIntents", r);

        if (ctx->args->json) {
                _cleanup_json_ json_t *j = intent_rows_to_json(rows, n);
                r = cli_emit_json(ctx, j);
        } else {
                RenderOptions o = render_options(ctx);
                _cleanup_free_ char *text = NULL;
                r = intent_rows_render(rows, n, &o, &text);
                r = cli_emit_text(ctx, r, text);
        }
        intent_rows_free(rows, n);
        return r;
}

int verb_vm_list(const CliContext *ctx) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL, *all = NULL;
        _cleanup_free_ VmRow *rows = NULL;
        _cleanup_free_ Property *props = NULL;
        size_t n, n_props;
        const char *method = "ListClusterVMs";

        /* Every VM of the cluster with its node and facts (ListVMsEx); a daemon older than
         * issue 14 has ListClusterVMs, one older than cluster mode only ListVMs. */
        int r = call_read_optional(ctx, "ListVMsEx", &reply);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        if (reply) {
                method = "ListVMsEx";
                r = vm_rows_ex_read(reply, &rows, &n);
        } else if ((r = call_read_optional(ctx, method, &reply)) != CLI_EXIT_SUCCESS)
                return r;
        else if (!reply) {
                method = "ListVMs";
                r = call_read(ctx, method, &reply);
                if (r != CLI_EXIT_SUCCESS)
                        return r;
                r = vm_rows_read(reply, &rows, &n);
        } else if (!streq(method, "ListVMsEx"))
                r = cluster_vm_rows_read(reply, &rows, &n);
        if (r < 0)
                return cli_parse_error(ctx, method, r);

        if (ctx->args->json) {
                _cleanup_json_ json_t *j = vm_rows_to_json(rows, n, ctx->args->filter);
                return cli_emit_json(ctx, j);
        }

        /* The NODE column in a cluster only: on a cluster of one it would name this host
         * on every row. */
        bool show_node = false;
        if (!streq(method, "ListVMs")) {
                r = get_all(ctx, &all, &props, &n_props);
                if (r != CLI_EXIT_SUCCESS)
                        return r;
                ClusterInfo c = cluster_info_from_properties(props, n_props);
                show_node = cluster_info_in_cluster(&c);
        }
        RenderOptions o = render_options(ctx);
        _cleanup_free_ char *text = NULL;
        if (n > 0 && rows[0].has_ex) {
                o = view_options(ctx);
                r = vm_rows_ex_render(rows, n, ctx->args->filter, show_node, &o, &text);
        }
        else
                r = vm_rows_render(rows, n, ctx->args->filter, show_node, &o, &text);
        return cli_emit_text(ctx, r, text);
}

/* ListNodes; for a daemon without it (older than cluster mode) the one row that its
 * properties stand for, named with this host's name in host (the daemon is on this host:
 * the system bus is local). */
static int list_nodes(const CliContext *ctx, const Property *props, size_t n_props, char *host, size_t host_size,
                      sd_bus_message **ret_reply, NodeRow **ret, size_t *ret_n) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        int r = call_read_optional(ctx, "ListNodes", &reply);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        if (reply) {
                r = node_rows_read(reply, ret, ret_n);
                if (r < 0)
                        return cli_parse_error(ctx, "ListNodes", r);
                *ret_reply = TAKE_PTR(reply);
                return CLI_EXIT_SUCCESS;
        }

        if (gethostname(host, host_size) < 0)
                host[0] = '\0';
        host[host_size - 1] = '\0';
        NodeRow *row = malloc(sizeof *row);
        if (!row)
                return cli_error(ctx, NULL, "Out of memory.");
        *row = node_row_from_properties(props, n_props, host);
        *ret_reply = NULL;
        *ret = row;
        *ret_n = 1;
        return CLI_EXIT_SUCCESS;
}

/* What both cluster verbs read: every property and the nodes (the messages hold the
 * strings the rows point at). */
typedef struct ClusterRead {
        sd_bus_message *all, *nodes_reply;
        Property *props;
        NodeRow *nodes;
        size_t n_props, n_nodes;
        char host[256];
} ClusterRead;

static void cluster_read_done(ClusterRead *c) {
        sd_bus_message_unref(c->all);
        sd_bus_message_unref(c->nodes_reply);
        free(c->props);
        free(c->nodes);
}

static int cluster_read(const CliContext *ctx, ClusterRead *c) {
        int r = get_all(ctx, &c->all, &c->props, &c->n_props);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        return list_nodes(ctx, c->props, c->n_props, c->host, sizeof c->host, &c->nodes_reply, &c->nodes, &c->n_nodes);
}

int verb_cluster_status(const CliContext *ctx) {
        _cleanup_(cluster_read_done) ClusterRead c = {};
        int r = cluster_read(ctx, &c);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        Property *props = c.props;
        NodeRow *nodes = c.nodes;
        size_t n_props = c.n_props, n_nodes = c.n_nodes;

        ClusterSummary s;
        cluster_summary_build(props, n_props, nodes, n_nodes, &s);
        if (ctx->args->json) {
                _cleanup_json_ json_t *j = cluster_summary_to_json(&s);
                return cli_emit_json(ctx, j);
        }
        _cleanup_free_ char *text = NULL;
        r = cluster_summary_render(&s, &text);
        return cli_emit_text(ctx, r, text);
}

int verb_cluster_nodes(const CliContext *ctx) {
        _cleanup_(cluster_read_done) ClusterRead c = {};
        int r = cluster_read(ctx, &c);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        NodeRow *nodes = c.nodes;
        size_t n_nodes = c.n_nodes;
        _cleanup_bus_message_ sd_bus_message *health = NULL; /* the rows borrow its strings */
        r = node_rows_read_health(ctx, nodes, n_nodes, &health);
        if (r != CLI_EXIT_SUCCESS)
                return r;

        /* each node's free VFs, from a daemon that has ListNodeCapacity */
        _cleanup_bus_message_ sd_bus_message *cap_reply = NULL;
        r = call_read_optional(ctx, "ListNodeCapacity", &cap_reply);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        if (cap_reply) {
                _cleanup_free_ NodeCapacityRow *cap = NULL;
                size_t n_cap = 0;
                r = node_capacity_rows_read(cap_reply, &cap, &n_cap);
                if (r < 0)
                        return cli_parse_error(ctx, "ListNodeCapacity", r);
                node_rows_add_capacity(nodes, n_nodes, cap, n_cap);
        }

        if (ctx->args->json) {
                _cleanup_json_ json_t *j = node_rows_to_json(nodes, n_nodes);
                return cli_emit_json(ctx, j);
        }
        RenderOptions o = render_options(ctx);
        _cleanup_free_ char *text = NULL;
        r = node_rows_render(nodes, n_nodes, &o, &text);
        return cli_emit_text(ctx, r, text);
}

typedef struct Provision {
        ProgressLine line;
        AdapterRow *adapters; /* for their names */
        size_t n_adapters;
} Provision;

static void on_provision_progress(void *userdata, const char *pf, unsigned done, unsigned total) {
        Provision *p = userdata;
        const char *name = pf;
        for (size_t i = 0; i < p->n_adapters; i++)
                if (streq(p->adapters[i].address, pf) && !isempty(p->adapters[i].ifname))
                        name = p->adapters[i].ifname;
        _cleanup_free_ char *line = NULL;
        if (provision_progress_render(name, pf, done, total, done == total, &line) < 0)
                return;
        progress_line_show(&p->line, line);
        if (done == total)
                progress_line_keep(&p->line);
}

/* Enable and Set may provision VFs, which takes a while on adapters with many: on a terminal
 * (stdout and stderr) each adapter's progress is shown (ProvisionProgress); with --json or
 * when either is not a terminal nothing is. */
static int call_provisioning(const CliContext *ctx, sd_bus_message *m, sd_bus_message **ret) {
        if (ctx->args->json || !isatty(fileno(ctx->out)) || !isatty(fileno(ctx->err)))
                return cli_call(ctx, m, CLI_TIMEOUT_CHANGE_USEC, ret);

        _cleanup_bus_message_ sd_bus_message *list = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        Provision p = { .line = { .f = ctx->out } };
        if (call_read(ctx, "ListAdapters", &list) != CLI_EXIT_SUCCESS)
                return CLI_EXIT_FAILURE;
        if (adapter_rows_read(list, &p.adapters, &p.n_adapters) < 0)
                p.n_adapters = 0;
        int r = cli_call_with_progress(ctx->bus, m, CLI_TIMEOUT_CHANGE_USEC, "ProvisionProgress", on_provision_progress,
                                       &p, &error, ret);
        progress_line_keep(&p.line);
        free(p.adapters);
        if (r < 0 && !sd_bus_error_is_set(&error))
                return cli_error(ctx, NULL, "Failed to talk to accelnetd: %s", strerror(-r));
        if (r < 0)
                return cli_bus_error(ctx, &error, r);
        return CLI_EXIT_SUCCESS;
}

int verb_enable(const CliContext *ctx) {
        _cleanup_bus_message_ sd_bus_message *m = NULL, *reply = NULL;
        int r = cli_new_call(ctx, "Enable", &m);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        r = sd_bus_message_append(m, "su", ctx->args->intent,
                                          ctx->args->have_node_reserve ? ctx->args->node_reserve : CLI_SET_KEEP_RESERVE);
        if (r < 0)
                return cli_error(ctx, NULL, "Failed to build the Enable call: %s", strerror(-r));
        r = call_provisioning(ctx, m, &reply);
        return r != CLI_EXIT_SUCCESS ? r : emit_done(ctx);
}

int verb_set(const CliContext *ctx) {
        _cleanup_bus_message_ sd_bus_message *m = NULL, *reply = NULL;
        int r = cli_new_call(ctx, "Set", &m);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        r = sd_bus_message_append(m, "su", ctx->args->intent ? ctx->args->intent : CLI_SET_KEEP_INTENT,
                                  ctx->args->have_node_reserve ? ctx->args->node_reserve : CLI_SET_KEEP_RESERVE);
        if (r < 0)
                return cli_error(ctx, NULL, "Failed to build the Set call: %s", strerror(-r));
        r = call_provisioning(ctx, m, &reply);
        return r != CLI_EXIT_SUCCESS ? r : emit_done(ctx);
}

int verb_disable(const CliContext *ctx) {
        _cleanup_bus_message_ sd_bus_message *m = NULL, *reply = NULL;
        int r = cli_new_call(ctx, "Disable", &m);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        r = cli_call(ctx, m, CLI_TIMEOUT_CHANGE_USEC, &reply);
        return r != CLI_EXIT_SUCCESS ? r : emit_done(ctx);
}

/* A call of `member` with the command line's VMs (one "s", or an "as" when several) and the
 * performance (when given). */
static int vm_call_new(const CliContext *ctx, const char *member, const char *performance, sd_bus_message **ret) {
        const CliArgs *a = ctx->args;
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        int r = cli_new_call(ctx, member, &m);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        if (a->n_vms == 1)
                r = sd_bus_message_append(m, "s", a->vms[0]);
        else {
                r = sd_bus_message_open_container(m, 'a', "s");
                for (size_t i = 0; r >= 0 && i < a->n_vms; i++)
                        r = sd_bus_message_append(m, "s", a->vms[i]);
                if (r >= 0)
                        r = sd_bus_message_close_container(m);
        }
        if (r >= 0 && performance)
                r = sd_bus_message_append(m, "s", performance);
        if (r < 0)
                return cli_error(ctx, NULL, "Failed to build the %s call: %s", member, strerror(-r));
        *ret = TAKE_PTR(m);
        return CLI_EXIT_SUCCESS;
}

/* EnableVM/DisableVM for one VM; for several EnableVMsEx/DisableVMsEx (each VM's full
 * message), or EnableVMs/DisableVMs from a daemon without them (UnknownMethod). */
static int vm_change(const CliContext *ctx, const char *one, const char *many, const char *many_ex,
                     const char *performance) {
        const CliArgs *a = ctx->args;
        _cleanup_bus_message_ sd_bus_message *m = NULL, *reply = NULL;
        bool ex = false;
        int r;

        if (a->n_vms > 1) {
                r = vm_call_new(ctx, many_ex, performance, &m);
                if (r != CLI_EXIT_SUCCESS)
                        return r;
                r = cli_call_optional(ctx, m, CLI_TIMEOUT_CHANGE_USEC, &reply);
                if (r != CLI_EXIT_SUCCESS)
                        return r;
                ex = reply != NULL;
                m = sd_bus_message_unref(m);
        }
        if (!ex) {
                r = vm_call_new(ctx, a->n_vms == 1 ? one : many, performance, &m);
                if (r != CLI_EXIT_SUCCESS)
                        return r;
                r = cli_call(ctx, m, CLI_TIMEOUT_CHANGE_USEC, &reply);
                if (r != CLI_EXIT_SUCCESS)
                        return r;
        }

        if (a->n_vms == 1) {
                if (!a->json)
                        return CLI_EXIT_SUCCESS;
                VmResult done = { .vm = a->vms[0], .error = "", .message = "" };
                return cli_emit_vm_results(ctx, &done, 1);
        }

        _cleanup_free_ VmResult *results = NULL;
        size_t n;
        r = ex ? vm_results_ex_read(reply, &results, &n) : vm_results_read(reply, &results, &n);
        if (r < 0)
                return cli_parse_error(ctx, ex ? many_ex : many, r);
        return cli_emit_vm_results(ctx, results, n);
}

int verb_vm_enable(const CliContext *ctx) {
        if (ctx->args->all_eligible)
                return verb_vm_enable_all_eligible(ctx);
        return vm_change(ctx, "EnableVM", "EnableVMs", "EnableVMsEx", ctx->args->performance);
}

int verb_vm_disable(const CliContext *ctx) {
        return vm_change(ctx, "DisableVM", "DisableVMs", "DisableVMsEx", NULL);
}

int verb_vm_set(const CliContext *ctx) {
        _cleanup_bus_message_ sd_bus_message *m = NULL, *reply = NULL;
        if (ctx->args->n_vms > 1)
                return verb_vm_set_many(ctx);
        int r = cli_new_call(ctx, "SetVM", &m);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        r = sd_bus_message_append(m, "ss", ctx->args->vms[0], ctx->args->performance);
        if (r < 0)
                return cli_error(ctx, NULL, "Failed to build the SetVM call: %s", strerror(-r));
        r = cli_call(ctx, m, CLI_TIMEOUT_CHANGE_USEC, &reply);
        return r != CLI_EXIT_SUCCESS ? r : emit_done(ctx);
}

/* ---- planned servicing ---- */

/* One call with one string argument that changes something; silent, or {"result":"done"}. */
static int change_one(const CliContext *ctx, const char *member, const char *arg) {
        _cleanup_bus_message_ sd_bus_message *m = NULL, *reply = NULL;
        int r = cli_new_call(ctx, member, &m);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        r = sd_bus_message_append(m, "s", arg);
        if (r < 0)
                return cli_error(ctx, NULL, "Failed to build the %s call: %s", member, strerror(-r));
        r = cli_call(ctx, m, CLI_TIMEOUT_CHANGE_USEC, &reply);
        return r != CLI_EXIT_SUCCESS ? r : emit_done(ctx);
}

int verb_adapter_restore(const CliContext *ctx) {
        return change_one(ctx, "RestoreAdapter", ctx->args->adapter);
}

int verb_vm_revoke(const CliContext *ctx) {
        return change_one(ctx, "RevokeVM", ctx->args->vms[0]);
}

int verb_vm_restore(const CliContext *ctx) {
        return change_one(ctx, "RestoreVM", ctx->args->vms[0]);
}

typedef struct Drain {
        const CliContext *ctx;
        const char *name;        /* as given */
        char address[32];        /* its PCI address, from ListAdapters ("" when not found there) */
        bool tty;                /* progress on the terminal */
        ProgressLine line;
        unsigned revoked, total;
} Drain;

static void on_drain_progress(void *userdata, const char *pf, unsigned done, unsigned total) {
        Drain *d = userdata;
        if (!streq(pf, d->address) && !streq(pf, d->name))
                return; /* another adapter's */
        d->revoked = done;
        d->total = total;
        _cleanup_free_ char *line = NULL;
        if (d->tty && drain_progress_render(d->name, d->address, d->revoked, d->total, false, &line) >= 0)
                progress_line_show(&d->line, line);
}

/* The adapter's PCI address, which DrainProgress names, from ListAdapters (netdev name or an
 * address in another spelling given); "" when it is not listed (the daemon says why). */
static void adapter_resolve(const CliContext *ctx, const char *name, char *address, size_t size) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        _cleanup_free_ AdapterRow *rows = NULL;
        size_t n = 0;
        if (call_read(ctx, "ListAdapters", &reply) != CLI_EXIT_SUCCESS || adapter_rows_read(reply, &rows, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++)
                if (streq(rows[i].address, name) || streq_ptr(rows[i].ifname, name))
                        snprintf(address, size, "%s", rows[i].address);
}

int verb_adapter_drain(const CliContext *ctx) {
        _cleanup_bus_message_ sd_bus_message *m = NULL, *reply = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        Drain d = { .ctx = ctx, .name = ctx->args->adapter, .line = { .f = ctx->out },
                    .tty = !ctx->args->json && isatty(fileno(ctx->out)) };
        int r;

        adapter_resolve(ctx, d.name, d.address, sizeof d.address);
        r = cli_new_call(ctx, "DrainAdapter", &m);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        r = sd_bus_message_append(m, "s", d.name);
        if (r < 0)
                return cli_error(ctx, NULL, "Failed to build the DrainAdapter call: %s", strerror(-r));
        /* progress comes as DrainProgress signals while the call runs (the daemon answers when
         * every VF is revoked) */
        r = cli_call_with_progress(ctx->bus, m, CLI_TIMEOUT_DRAIN_USEC, "DrainProgress", on_drain_progress, &d, &error,
                                   &reply);
        progress_line_keep(&d.line);
        if (r < 0 && !sd_bus_error_is_set(&error))
                return cli_error(ctx, NULL, "Failed to talk to accelnetd: %s", strerror(-r));
        if (r < 0)
                return cli_bus_error(ctx, &error, r);
        if (ctx->args->json) {
                _cleanup_json_ json_t *j = drain_to_json(d.address[0] ? d.address : d.name, d.revoked, d.total);
                return cli_emit_json(ctx, j);
        }
        if (d.tty) {
                _cleanup_free_ char *line = NULL;
                r = drain_progress_render(d.name, d.address, d.revoked, d.total, true, &line);
                if (r >= 0)
                        fprintf(ctx->out, "%s\n", line);
        }
        return CLI_EXIT_SUCCESS;
}

int cli_run(const CliContext *ctx) {
        static int (*const table[_VERB_MAX])(const CliContext *) = {
                [VERB_STATUS] = verb_status,       [VERB_PREREQ] = verb_prereq,
                [VERB_ENABLE] = verb_enable,       [VERB_SET] = verb_set,
                [VERB_DISABLE] = verb_disable,     [VERB_ADAPTERS] = verb_adapters,
                [VERB_INTENTS] = verb_intents,     [VERB_VM_ENABLE] = verb_vm_enable,
                [VERB_VM_SET] = verb_vm_set,       [VERB_VM_DISABLE] = verb_vm_disable,
                [VERB_VM_LIST] = verb_vm_list,     [VERB_CLUSTER_STATUS] = verb_cluster_status,
                [VERB_CLUSTER_NODES] = verb_cluster_nodes,
                [VERB_ADAPTER_DRAIN] = verb_adapter_drain, [VERB_ADAPTER_RESTORE] = verb_adapter_restore,
                [VERB_VM_REVOKE] = verb_vm_revoke,         [VERB_VM_RESTORE] = verb_vm_restore,
                [VERB_HEALTH] = verb_health,               [VERB_MONITOR] = verb_monitor,
                [VERB_VM_SHOW] = verb_vm_show,             [VERB_VM_CHECK] = verb_vm_check,
                [VERB_VF_LIST] = verb_vf_list,
        };
        Verb v = ctx->args->verb;

        if ((int) v < 0 || v >= _VERB_MAX || !table[v])
                return cli_error(ctx, NULL, "Internal error: no command.");

        /* A change may need polkit to ask for a password; only a person at a terminal can
         * answer that. */
        if (verb_is_mutating(v))
                (void) sd_bus_set_allow_interactive_authorization(ctx->bus,
                                                                  ctx->args->ask_password && isatty(STDIN_FILENO));
        int r = table[v](ctx);
        if (fflush(ctx->out) == EOF && r == CLI_EXIT_SUCCESS)
                return cli_error(ctx, NULL, "Failed to write output: %s", strerror(errno));
        return r;
}
