/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* accelnetctl health (health.h). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bus.h"
#include "health.h"
#include "report.h"
#include "output.h"
#include "records.h"
#include "shared/strutil.h"
#include "table.h"

#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- reading ------------------------------------------------------------------------------ */

void health_rows_free(HealthRow *rows, size_t n) {
        for (size_t i = 0; rows && i < n; i++) {
                free(rows[i].reasons);
                free(rows[i].counters);
                free(rows[i].events);
        }
        free(rows);
}

static int read_reasons(sd_bus_message *m, HealthRow *row) {
        size_t allocated = 0;
        int r = sd_bus_message_enter_container(m, 'a', "(sss)");
        while (r >= 0) {
                r = records_reserve((void **) &row->reasons, &allocated, row->n_reasons + 1, sizeof(HealthReasonRec));
                if (r < 0)
                        return r;
                HealthReasonRec *x = &row->reasons[row->n_reasons];
                r = sd_bus_message_read(m, "(sss)", &x->code, &x->evidence, &x->remedy);
                if (r <= 0)
                        break;
                row->n_reasons++;
        }
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int read_counters(sd_bus_message *m, HealthRow *row) {
        size_t allocated = 0;
        int r = sd_bus_message_enter_container(m, 'a', "(st)");
        while (r >= 0) {
                r = records_reserve((void **) &row->counters, &allocated, row->n_counters + 1, sizeof(HealthCounterRec));
                if (r < 0)
                        return r;
                HealthCounterRec *x = &row->counters[row->n_counters];
                r = sd_bus_message_read(m, "(st)", &x->name, &x->value);
                if (r <= 0)
                        break;
                row->n_counters++;
        }
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

static int read_events(sd_bus_message *m, HealthRow *row) {
        size_t allocated = 0;
        int r = sd_bus_message_enter_container(m, 'a', "(tss)");
        while (r >= 0) {
                r = records_reserve((void **) &row->events, &allocated, row->n_events + 1, sizeof(HealthEventRec));
                if (r < 0)
                        return r;
                HealthEventRec *x = &row->events[row->n_events];
                r = sd_bus_message_read(m, "(tss)", &x->usec, &x->kind, &x->detail);
                if (r <= 0)
                        break;
                row->n_events++;
        }
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

int health_rows_read(sd_bus_message *m, HealthRow **ret, size_t *ret_n) {
        HealthRow *rows = NULL;
        size_t n = 0, allocated = 0;
        int r = sd_bus_message_enter_container(m, 'a', "(ssstba(sss)a(st)a(tss))");
        while (r >= 0) {
                r = sd_bus_message_enter_container(m, 'r', "ssstba(sss)a(st)a(tss)");
                if (r <= 0)
                        break;
                r = records_reserve((void **) &rows, &allocated, n + 1, sizeof(HealthRow));
                if (r < 0)
                        break;
                HealthRow *x = &rows[n];
                *x = (HealthRow){};
                n++; /* from here on freed with the others */
                r = sd_bus_message_read(m, "ssstb", &x->address, &x->ifname, &x->state, &x->since_usec, &x->quarantined);
                if (r >= 0)
                        r = read_reasons(m, x);
                if (r >= 0)
                        r = read_counters(m, x);
                if (r >= 0)
                        r = read_events(m, x);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                health_rows_free(rows, n);
                return r;
        }
        *ret = rows;
        *ret_n = n;
        return 0;
}

/* ---- output ------------------------------------------------------------------------------- */

static void format_time(uint64_t usec, char buf[static 32]) {
        time_t t = (time_t) (usec / 1000000);
        struct tm tm;
        if (usec == 0 || !gmtime_r(&t, &tm) || strftime(buf, 32, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
                snprintf(buf, 32, "-");
}

/* The reason codes that fit `room` characters: "LinkDown", "PcieLinkDegraded,AerErrors +1". */
static void reasons_cell(const HealthRow *row, size_t room, StrBuf *b) {
        size_t shown = 0;
        for (size_t i = 0; i < row->n_reasons; i++) {
                size_t more = strlen(row->reasons[i].code) + (shown ? 1 : 0);
                size_t tail = i + 1 < row->n_reasons ? 4 : 0; /* " +N" */
                if (b->len + more + tail > room && shown > 0)
                        break;
                strbuf_appendf(b, "%s%s", shown ? "," : "", row->reasons[i].code);
                shown++;
        }
        if (shown < row->n_reasons)
                strbuf_appendf(b, " +%zu", row->n_reasons - shown);
}

int health_rows_render(const HealthRow *rows, size_t n, const RenderOptions *o, char **ret) {
        static const char *const headers[] = { "PF", "IFNAME", "STATE", "QUARANTINE", "REASONS" };
        _cleanup_(table_freep) Table *t = table_new(ELEMENTSOF(headers), headers);
        size_t width = o->width && o->width < HEALTH_TABLE_WIDTH ? o->width : HEALTH_TABLE_WIDTH;
        size_t healthy = 0, degraded = 0, failed = 0, quarantined = 0;
        size_t w_if = strlen("IFNAME");
        int r;

        if (!t)
                return -ENOMEM;
        table_set_header(t, o->legend);
        for (size_t i = 0; i < n; i++)
                w_if = MAX(w_if, strlen(rows[i].ifname));
        /* PF (12) IFNAME STATE (8) QUARANTINE (10), one space between: the rest is REASONS' */
        size_t used = 12 + 1 + w_if + 1 + 8 + 1 + 10 + 1;
        size_t room = width > used + 12 ? width - used : 12;

        for (size_t i = 0; i < n; i++) {
                const HealthRow *row = &rows[i];
                StrBuf cell = {}, detail = {};
                reasons_cell(row, room, &cell);
                const char *cells[] = { row->address, row->ifname, row->state, row->quarantined ? "yes" : "no",
                                        cell.s ? cell.s : "" };
                r = table_add_row(t, cells);
                if (r >= 0 && row->n_reasons > 0) {
                        char since[32];
                        format_time(row->since_usec, since);
                        strbuf_appendf(&detail, "%s since %s.", row->state, since);
                        for (size_t k = 0; k < row->n_reasons; k++)
                                strbuf_appendf(&detail, "\n%s: %s %s", row->reasons[k].code, row->reasons[k].evidence,
                                               row->reasons[k].remedy);
                        r = detail.oom ? -ENOMEM : table_set_detail(t, detail.s);
                }
                strbuf_done(&cell);
                strbuf_done(&detail);
                if (r < 0)
                        return r;
                healthy += streq(row->state, "Healthy");
                degraded += streq(row->state, "Degraded");
                failed += streq(row->state, "Failed");
                quarantined += row->quarantined != 0;
        }

        _cleanup_free_ char *body = NULL;
        r = table_format(t, width, &body);
        if (r < 0)
                return r;
        if (!o->legend) {
                *ret = TAKE_PTR(body);
                return 0;
        }
        return asprintf(ret, "%s\n%zu %s: %zu healthy, %zu degraded, %zu failed; %zu quarantined.\n", body, n,
                        n == 1 ? "adapter" : "adapters", healthy, degraded, failed, quarantined) < 0 ? -ENOMEM : 0;
}

json_t *health_rows_to_json(const HealthRow *rows, size_t n) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < n; i++) {
                const HealthRow *row = &rows[i];
                char since[32];
                format_time(row->since_usec, since);
                json_t *reasons = json_array(), *counters = json_object(), *events = json_array();
                for (size_t k = 0; reasons && k < row->n_reasons; k++)
                        (void) json_array_append_new(reasons, json_pack("{s:s, s:s, s:s}", "code", row->reasons[k].code,
                                                                        "evidence", row->reasons[k].evidence, "remedy",
                                                                        row->reasons[k].remedy));
                for (size_t k = 0; counters && k < row->n_counters; k++)
                        (void) json_object_set_new(counters, row->counters[k].name,
                                                   json_integer((json_int_t) row->counters[k].value));
                for (size_t k = 0; events && k < row->n_events; k++) {
                        char when[32];
                        format_time(row->events[k].usec, when);
                        (void) json_array_append_new(events, json_pack("{s:s, s:I, s:s, s:s}", "time", when, "time_usec",
                                                                       (json_int_t) row->events[k].usec, "kind",
                                                                       row->events[k].kind, "detail",
                                                                       row->events[k].detail));
                }
                json_t *o = reasons && counters && events
                                    ? json_pack("{s:s, s:s, s:s, s:s, s:I, s:b, s:o, s:o, s:o}", "pf", row->address,
                                                "ifname", row->ifname, "state", row->state, "since", since, "since_usec",
                                                (json_int_t) row->since_usec, "quarantined", row->quarantined != 0,
                                                "reasons", reasons, "counters", counters, "events", events)
                                    : NULL;
                if (!o || json_array_append_new(a, o) < 0) {
                        if (!o) {
                                json_decref(reasons);
                                json_decref(counters);
                                json_decref(events);
                        }
                        json_decref(a);
                        return NULL;
                }
        }
        return a;
}

/* ---- the verb ----------------------------------------------------------------------------- */

int verb_health(const CliContext *ctx) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        HealthRow *rows = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_call_method(ctx->bus, ACCELNET_BUS_NAME, ACCELNET_BUS_PATH, ACCELNET_BUS_MANAGER_INTERFACE,
                               "GetHealth", &error, &reply, NULL);
        if (r < 0) {
                return cli_report_bus_error(ctx->out, ctx->err, ctx->args->json, &error, r);
        }
        r = health_rows_read(reply, &rows, &n);
        if (r < 0) {
                return cli_report(ctx->out, ctx->err, ctx->args->json, CLI_EXIT_FAILURE, CLI_ERROR_BAD_REPLY,
                                  "Failed to parse the reply of GetHealth.");
        }
        if (ctx->args->json) {
                _cleanup_json_ json_t *j = health_rows_to_json(rows, n);
                health_rows_free(rows, n);
                if (!j || json_print(j, ctx->out, ctx->args->json) < 0) {
                        return cli_report(NULL, ctx->err, JSON_MODE_OFF, CLI_EXIT_FAILURE, NULL,
                                          "Failed to write JSON output.");
                }
                return CLI_EXIT_SUCCESS;
        }
        RenderOptions o = { .legend = ctx->args->legend, .width = ctx->width };
        _cleanup_free_ char *text = NULL;
        r = health_rows_render(rows, n, &o, &text);
        health_rows_free(rows, n);
        if (r < 0 || fputs(text, ctx->out) == EOF) {
                return cli_report(NULL, ctx->err, JSON_MODE_OFF, CLI_EXIT_FAILURE, NULL,
                                  "Failed to write the output.");
        }
        return CLI_EXIT_SUCCESS;
}

int node_rows_read_health(const CliContext *ctx, NodeRow *rows, size_t n, sd_bus_message **ret_reply) {
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_call_method(ctx->bus, ACCELNET_BUS_NAME, ACCELNET_BUS_PATH, ACCELNET_BUS_MANAGER_INTERFACE,
                               "ListNodeHealth", &error, &reply, NULL);
        if (r < 0 && sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_METHOD))
                return CLI_EXIT_SUCCESS; /* an accelnetd from before health reporting */
        if (r < 0) {
                return cli_report_bus_error(ctx->out, ctx->err, ctx->args->json, &error, r);
        }
        r = sd_bus_message_enter_container(reply, 'a', "(uss)");
        while (r > 0) {
                uint32_t id;
                const char *name, *summary;
                r = sd_bus_message_read(reply, "(uss)", &id, &name, &summary);
                for (size_t i = 0; r > 0 && i < n; i++)
                        if (rows[i].id == id)
                                rows[i].health = summary;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0) {
                return cli_report(ctx->out, ctx->err, ctx->args->json, CLI_EXIT_FAILURE, CLI_ERROR_BAD_REPLY,
                                  "Failed to parse the reply of ListNodeHealth.");
        }
        *ret_reply = TAKE_PTR(reply);
        return CLI_EXIT_SUCCESS;
}
