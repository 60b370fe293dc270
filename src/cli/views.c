/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* accelnetctl vm show, vm check, vf list and the Ex listings (views.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bus.h"
#include "output.h"
#include "shared/strutil.h"
#include "shared/tier.h"
#include "table.h"
#include "call.h"
#include "report.h"
#include "views.h"

/* ---- reading ------------------------------------------------------------------------------ */

typedef struct DictField {
        const char *key;
        char type;      /* 's', 'u', 'i', 'b', 't'; 'T': an "as" of tier names */
        void *ptr;      /* const char **, uint32_t *, int32_t *, int *, uint64_t *; 'T': unsigned *, the
                         * tiers' bits (1u << Tier; names this client does not know are left out) */
        bool *seen;     /* optional: set when the key came */
} DictField;

/* A variant holding an "as" of tier names into their bits. */
static int read_tiers(sd_bus_message *m, unsigned *ret) {
        const char *s;
        int r = sd_bus_message_enter_container(m, 'v', "as");
        if (r >= 0)
                r = sd_bus_message_enter_container(m, 'a', "s");
        *ret = 0;
        while (r >= 0) {
                r = sd_bus_message_read_basic(m, 's', &s);
                if (r <= 0)
                        break;
                Tier k = tier_from_string(s);
                if (k >= 0)
                        *ret |= 1u << k;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        return r;
}

/* An a{sv} into the fields named; other keys, and known keys of another type, are skipped
 * (a newer daemon may add keys). */
static int read_dict(sd_bus_message *m, const DictField *fields, size_t n) {
        int r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;
        for (;;) {
                const char *key, *contents;
                r = sd_bus_message_enter_container(m, 'e', "sv");
                if (r <= 0)
                        break;
                r = sd_bus_message_read(m, "s", &key);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(m, NULL, &contents);
                if (r < 0)
                        return r;
                const DictField *f = NULL;
                for (size_t i = 0; i < n && !f; i++)
                        if (streq(fields[i].key, key) &&
                            (fields[i].type == 'T' ? streq(contents, "as")
                                                   : contents[0] == fields[i].type && !contents[1]))
                                f = &fields[i];
                if (f && f->type == 'T')
                        r = read_tiers(m, f->ptr);
                else if (f) {
                        char sig[2] = { f->type, 0 };
                        r = sd_bus_message_enter_container(m, 'v', sig);
                        if (r >= 0)
                                r = sd_bus_message_read_basic(m, f->type, f->ptr);
                        if (r >= 0)
                                r = sd_bus_message_exit_container(m);
                } else
                        r = sd_bus_message_skip(m, "v");
                if (r >= 0 && f && f->seen)
                        *f->seen = true;
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m);
                if (r < 0)
                        return r;
        }
        return r < 0 ? r : sd_bus_message_exit_container(m);
}

/* An array of structs whose last member is an a{sv}: `head` reads the rest. */
/* An array of structs whose last member is an a{sv}: `head` reads the rest, `dict` the a{sv}. */
#define READ_ROWS(m, sig, Type, ret, ret_n, head, dict)                                             \
        RECORDS_READ_ARRAY(m, sig, Type, ret, ret_n, ({                                             \
                int _q = sd_bus_message_enter_container(m, 'r', sig);                               \
                if (_q > 0) {                                                                       \
                        _q = head(m, _x);                                                           \
                        if (_q >= 0)                                                                \
                                _q = dict(m, _x);                                                   \
                        if (_q >= 0)                                                                \
                                _q = sd_bus_message_exit_container(m);                              \
                        if (_q >= 0)                                                                \
                                _q = 1;                                                             \
                }                                                                                   \
                _q;                                                                                 \
        }))

static int vf_head(sd_bus_message *m, VfRow *x) {
        x->spoof_check = x->trust = -1;
        return sd_bus_message_read(m, "ssu", &x->pf, &x->vf, &x->index);
}

static int vf_dict(sd_bus_message *m, VfRow *x) {
        const DictField f[] = {
                { .key = "mac", .type = 's', .ptr = &x->mac },
                { .key = "vlan", .type = 'u', .ptr = &x->vlan },
                { .key = "qos", .type = 'u', .ptr = &x->qos },
                { .key = "spoof_check", .type = 'b', .ptr = &x->spoof_check },
                { .key = "trust", .type = 'b', .ptr = &x->trust },
                { .key = "min_tx_rate", .type = 'u', .ptr = &x->min_tx_rate },
                { .key = "max_tx_rate", .type = 'u', .ptr = &x->max_tx_rate },
                { .key = "link_state", .type = 's', .ptr = &x->link_state },
                { .key = "owner", .type = 's', .ptr = &x->owner },
                { .key = "rx_bytes", .type = 't', .ptr = &x->rx_bytes, .seen = &x->has_stats },
                { .key = "tx_bytes", .type = 't', .ptr = &x->tx_bytes },
                { .key = "rx_packets", .type = 't', .ptr = &x->rx_packets },
                { .key = "tx_packets", .type = 't', .ptr = &x->tx_packets },
                { .key = "rx_dropped", .type = 't', .ptr = &x->rx_dropped },
                { .key = "tx_dropped", .type = 't', .ptr = &x->tx_dropped },
                { .key = "broadcast", .type = 't', .ptr = &x->broadcast },
                { .key = "multicast", .type = 't', .ptr = &x->multicast },
        };
        return read_dict(m, f, ELEMENTSOF(f));
}

int vf_rows_read(sd_bus_message *m, VfRow **ret, size_t *ret_n) {
        return READ_ROWS(m, "ssua{sv}", VfRow, ret, ret_n, vf_head, vf_dict);
}

static int vm_head(sd_bus_message *m, VmRow *x) {
        x->has_ex = true;
        x->numa_node = x->vf_numa_node = -1;
        return sd_bus_message_read(m, "sssss", &x->vm, &x->state, &x->performance, &x->vf, &x->note);
}

static int vm_dict(sd_bus_message *m, VmRow *x) {
        const DictField f[] = {
                { .key = "node", .type = 's', .ptr = &x->node },
                { .key = "power", .type = 's', .ptr = &x->power },
                { .key = "vcpus", .type = 'u', .ptr = &x->vcpus },
                { .key = "numa_node", .type = 'i', .ptr = &x->numa_node },
                { .key = "vf_numa_node", .type = 'i', .ptr = &x->vf_numa_node },
                { .key = "numa_local", .type = 's', .ptr = &x->numa_local },
                { .key = "pf", .type = 's', .ptr = &x->pf },
                { .key = "eligible_tiers", .type = 'T', .ptr = &x->eligible, .seen = &x->has_eligible },
        };
        return read_dict(m, f, ELEMENTSOF(f));
}

int vm_rows_ex_read(sd_bus_message *m, VmRow **ret, size_t *ret_n) {
        return READ_ROWS(m, "sssssa{sv}", VmRow, ret, ret_n, vm_head, vm_dict);
}

static int adapter_head(sd_bus_message *m, AdapterRow *x) {
        x->has_ex = true;
        x->numa_node = -1;
        return sd_bus_message_read(m, "ssssuuu", &x->address, &x->ifname, &x->driver, &x->support, &x->total_vfs,
                                   &x->enabled_vfs, &x->assigned_vfs);
}

static int adapter_dict(sd_bus_message *m, AdapterRow *x) {
        const DictField f[] = {
                { .key = "numa_node", .type = 'i', .ptr = &x->numa_node },
                { .key = "speed_mbps", .type = 'u', .ptr = &x->speed_mbps },
                { .key = "vendor", .type = 's', .ptr = &x->vendor },
                { .key = "model", .type = 's', .ptr = &x->model },
                { .key = "intent", .type = 's', .ptr = &x->intent },
                { .key = "health", .type = 's', .ptr = &x->health },
                { .key = "quarantined", .type = 'b', .ptr = &x->quarantined },
                { .key = "drained", .type = 'b', .ptr = &x->drained },
        };
        return read_dict(m, f, ELEMENTSOF(f));
}

int adapter_rows_ex_read(sd_bus_message *m, AdapterRow **ret, size_t *ret_n) {
        return READ_ROWS(m, "ssssuuua{sv}", AdapterRow, ret, ret_n, adapter_head, adapter_dict);
}

/* ---- rendering ---------------------------------------------------------------------------- */

void format_count(uint64_t n, char buf[static 8]) {
        static const char units[] = "KMGTPE";
        if (n < 1000) {
                snprintf(buf, 8, "%" PRIu64, n);
                return;
        }
        double v = (double) n;
        size_t u = 0;
        v /= 1000.0;
        while (v >= 999.5 && u + 1 < sizeof units - 1) {
                v /= 1000.0;
                u++;
        }
        if (v < 9.95)
                snprintf(buf, 8, "%.1f%c", v, units[u]);
        else
                snprintf(buf, 8, "%.0f%c", v, units[u]);
}

static const char *numa_cell(const VmRow *v) {
        if (!v->numa_local || isempty(v->vf))
                return "";
        return streq(v->numa_local, "yes") ? "local" : streq(v->numa_local, "no") ? "remote" : "";
}

int vm_facts_render(const VmRow *v, size_t width, char **ret) {
        StrBuf b = {};
        strbuf_appendf(&b, "VM: %s\n", v->vm);
        if (isempty(v->performance))
                strbuf_appendf(&b, "State: %s\n", v->state);
        else
                strbuf_appendf(&b, "State: %s (performance %s)\n", v->state, v->performance);
        if (isempty(v->vf))
                strbuf_appendf(&b, "VF: -\n");
        else
                strbuf_appendf(&b, "VF: %s (PF %s)\n", v->vf, isempty(v->pf) ? "-" : v->pf);
        if (!isempty(v->node))
                strbuf_appendf(&b, "Node: %s\n", v->node);
        if (v->power) {
                strbuf_appendf(&b, "Power: %s\n", v->power);
                strbuf_appendf(&b, "vCPUs: %" PRIu32 "\n", v->vcpus);
                strbuf_appendf(&b, "NUMA: VM ");
                if (v->numa_node >= 0)
                        strbuf_appendf(&b, "node %" PRIi32, v->numa_node);
                else
                        strbuf_appendf(&b, "unknown");
                if (!isempty(v->vf)) {
                        if (v->vf_numa_node >= 0)
                                strbuf_appendf(&b, ", VF node %" PRIi32, v->vf_numa_node);
                        else
                                strbuf_appendf(&b, ", VF unknown");
                        const char *c = numa_cell(v);
                        if (*c)
                                strbuf_appendf(&b, " (%s)", c);
                }
                strbuf_appendf(&b, "\n");
        }
        /* the note wrapped under itself: "Note: " and the lines after it indented as much */
        _cleanup_free_ char *note = text_wrap(isempty(v->note) ? "-" : v->note, strlen("Note: "),
                                              width > 0 ? width : TABLE_DEFAULT_WIDTH);
        if (!note)
                return strbuf_done(&b), -ENOMEM;
        memcpy(note, "Note: ", strlen("Note: "));
        strbuf_appendf(&b, "%s", note);
        *ret = strbuf_steal(&b);
        return *ret ? 0 : -ENOMEM;
}

size_t explain_rows_n_failed(const ExplainRow *rows, size_t n) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (streq_ptr(rows[i].result, "Failed"))
                        k++;
        return k;
}

int explain_rows_render(const ExplainRow *rows, size_t n, const RenderOptions *o, char **ret) {
        static const char *const headers[] = { "RESULT", "CHECK" };
        _cleanup_(table_freep) Table *t = render_table_new(o, ELEMENTSOF(headers), headers);
        size_t warnings = 0, failed = 0;
        int r;

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                bool bad = streq_ptr(rows[i].result, "Failed");
                failed += bad;
                warnings += streq_ptr(rows[i].result, "Warning");
                /* the logical order is kept; a failure is marked so that it stands out */
                const char *cells[] = { bad ? "FAILED" : rows[i].result, rows[i].check };
                r = table_add_row(t, cells);
                if (r >= 0)
                        r = table_set_detail(t, rows[i].detail);
                if (r < 0)
                        return r;
        }
        _cleanup_free_ char *footer = NULL;
        if (asprintf(&footer, "%zu checks: %zu passed, %zu warning%s, %zu failed.", n, n - warnings - failed, warnings,
                     warnings == 1 ? "" : "s", failed) < 0)
                return -ENOMEM;
        return render_table_finish(t, o, footer, ret);
}

json_t *explain_rows_to_json(const ExplainRow *rows, size_t n) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < n; i++)
                if (json_array_append_new(a, json_pack("{s:s, s:s, s:s}", "check", rows[i].check, "result",
                                                       rows[i].result, "detail", rows[i].detail)) < 0)
                        return json_decref(a), NULL;
        return a;
}

static void rate_cell(const VfRow *v, char buf[static 24]) {
        if (v->min_tx_rate == 0 && v->max_tx_rate == 0)
                buf[0] = 0;
        else if (v->min_tx_rate == 0)
                snprintf(buf, 24, "%" PRIu32, v->max_tx_rate);
        else
                snprintf(buf, 24, "%" PRIu32 "-%" PRIu32, v->min_tx_rate, v->max_tx_rate);
}

static const char *bool_cell(int b) {
        return b < 0 ? "" : b ? "on" : "off";
}

int vf_rows_render(const VfRow *rows, size_t n, const RenderOptions *o, char **ret) {
        static const char *const headers[] = { "PF", "VF", "MAC", "VLAN", "SPOOF", "TRUST", "RATE",
                                                "LINK", "OWNER", "RX", "TX", "DROPS" };
        _cleanup_(table_freep) Table *t = render_table_new(o, ELEMENTSOF(headers), headers);
        int r;

        if (!t)
                return -ENOMEM;
        for (size_t c = 9; c < 12; c++)
                (void) table_set_align(t, c, TABLE_ALIGN_RIGHT);
        (void) table_set_align(t, 1, TABLE_ALIGN_RIGHT);
        (void) table_set_align(t, 3, TABLE_ALIGN_RIGHT);
        for (size_t i = 0; i < n; i++) {
                const VfRow *v = &rows[i];
                char index[16], vlan[16], rate[24], rx[8] = "", tx[8] = "", drops[8] = "";
                snprintf(index, sizeof index, "%" PRIu32, v->index);
                if (v->vlan > 0)
                        snprintf(vlan, sizeof vlan, "%" PRIu32, v->vlan);
                else
                        vlan[0] = 0;
                rate_cell(v, rate);
                if (v->has_stats) {
                        format_count(v->rx_bytes, rx);
                        format_count(v->tx_bytes, tx);
                        format_count(v->rx_dropped + v->tx_dropped, drops);
                }
                const char *cells[] = { v->pf, index, v->mac, vlan, bool_cell(v->spoof_check), bool_cell(v->trust),
                                        rate, v->link_state, v->owner, rx, tx, drops };
                r = table_add_row(t, cells);
                if (r < 0)
                        return r;
        }
        _cleanup_free_ char *footer = NULL;
        if (asprintf(&footer, "%zu VF%s listed. VF: index on the PF; RATE: transmit Mb/s min-max; RX, TX: bytes",
                     n, n == 1 ? "" : "s") < 0)
                return -ENOMEM;
        return render_table_finish(t, o, footer, ret);
}

json_t *vf_rows_to_json(const VfRow *rows, size_t n) {
        json_t *a = json_array();
        for (size_t i = 0; a && i < n; i++) {
                const VfRow *v = &rows[i];
                json_t *o = json_pack("{s:s, s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:s, s:s}", "pf", v->pf, "vf", v->vf,
                                      "index", (json_int_t) v->index, "mac", strempty(v->mac), "vlan",
                                      (json_int_t) v->vlan, "qos", (json_int_t) v->qos, "min_tx_rate",
                                      (json_int_t) v->min_tx_rate, "max_tx_rate", (json_int_t) v->max_tx_rate,
                                      "link_state", strempty(v->link_state), "owner", strempty(v->owner));
                if (o && v->spoof_check >= 0)
                        json_object_set_new(o, "spoof_check", json_boolean(v->spoof_check));
                if (o && v->trust >= 0)
                        json_object_set_new(o, "trust", json_boolean(v->trust));
                if (o && v->has_stats) {
                        const struct {
                                const char *k;
                                uint64_t v;
                        } c[] = { { "rx_bytes", v->rx_bytes },     { "tx_bytes", v->tx_bytes },
                                  { "rx_packets", v->rx_packets }, { "tx_packets", v->tx_packets },
                                  { "rx_dropped", v->rx_dropped }, { "tx_dropped", v->tx_dropped },
                                  { "broadcast", v->broadcast },   { "multicast", v->multicast } };
                        for (size_t k = 0; k < ELEMENTSOF(c); k++)
                                json_object_set_new(o, c[k].k, json_integer((json_int_t) c[k].v));
                }
                if (!o || json_array_append_new(a, o) < 0)
                        return json_decref(a), NULL;
        }
        return a;
}

int vm_rows_ex_render(const VmRow *rows, size_t n, VmFilter filter, bool show_node, const RenderOptions *o,
                      char **ret) {
        /* With the legend the note is wrapped under its row (80 columns); without it (--no-legend,
         * for scripts) one line per VM, the note its last column. */
        static const char *const headers[] = { "VM", "NODE", "STATE", "PERFORMANCE", "VF", "POWER", "VCPUS", "NUMA",
                                                "NOTE" };
        static const char *const headers_local[] = { "VM", "STATE", "PERFORMANCE", "VF", "POWER", "VCPUS", "NUMA",
                                                      "NOTE" };
        size_t note_col = o->legend ? 0 : 1;
        _cleanup_(table_freep) Table *t = show_node
                                                  ? render_table_new(o, ELEMENTSOF(headers) - 1 + note_col, headers)
                                                  : render_table_new(o, ELEMENTSOF(headers_local) - 1 + note_col, headers_local);
        int r;

        if (!t)
                return -ENOMEM;
        (void) table_set_align(t, show_node ? 6 : 5, TABLE_ALIGN_RIGHT);
        for (size_t i = 0; i < n; i++) {
                const VmRow *v = &rows[i];
                if (!vm_row_matches(v, filter))
                        continue;
                char vcpus[16] = "";
                if (v->power)
                        snprintf(vcpus, sizeof vcpus, "%" PRIu32, v->vcpus);
                const char *cells[] = { v->vm, v->node, v->state, v->performance, v->vf, v->power, vcpus, numa_cell(v),
                                        v->note };
                const char *cells_local[] = { v->vm, v->state, v->performance, v->vf, v->power, vcpus, numa_cell(v),
                                              v->note };
                r = table_add_row(t, show_node ? cells : cells_local);
                if (r >= 0 && o->legend)
                        r = table_set_detail(t, v->note);
                if (r < 0)
                        return r;
        }
        size_t k = table_n_rows(t);
        _cleanup_free_ char *footer = NULL;
        if (asprintf(&footer, "%zu VM%s listed.", k, k == 1 ? "" : "s") < 0)
                return -ENOMEM;
        return render_table_finish(t, o, footer, ret);
}

static void speed_cell(uint32_t mbps, char buf[static 16]) {
        if (mbps == 0)
                buf[0] = 0;
        else if (mbps % 1000 == 0)
                snprintf(buf, 16, "%" PRIu32 "G", mbps / 1000);
        else if (mbps > 1000)
                snprintf(buf, 16, "%.1fG", mbps / 1000.0);
        else
                snprintf(buf, 16, "%" PRIu32 "M", mbps);
}

/* "compute" or, for an adapter named by several intents, "compute+1" (JSON has them all). */
static void intent_cell(const char *intents, char *buf, size_t size) {
        const char *comma = intents ? strchr(intents, ',') : NULL;
        if (!comma) {
                snprintf(buf, size, "%s", strempty(intents));
                return;
        }
        size_t more = 0;
        for (const char *p = comma; p; p = strchr(p + 1, ','))
                more++;
        snprintf(buf, size, "%.*s+%zu", (int) (comma - intents), intents, more);
}

int adapter_rows_ex_render(const AdapterRow *rows, size_t n, const RenderOptions *o, char **ret) {
        static const char *const headers[] = { "ADDRESS", "IFNAME", "DRIVER", "SUPPORT", "VFS",
                                                "NUMA",    "SPEED",  "HEALTH", "INTENT" };
        _cleanup_(table_freep) Table *t = render_table_new(o, ELEMENTSOF(headers), headers);
        int r;

        if (!t)
                return -ENOMEM;
        for (size_t c = 4; c < 7; c++)
                (void) table_set_align(t, c, TABLE_ALIGN_RIGHT);
        for (size_t i = 0; i < n; i++) {
                const AdapterRow *a = &rows[i];
                char vfs[40], numa[16] = "", speed[16], health[32], intent[80];
                snprintf(vfs, sizeof vfs, "%" PRIu32 "/%" PRIu32 "/%" PRIu32, a->assigned_vfs, a->enabled_vfs,
                         a->total_vfs);
                if (a->numa_node >= 0)
                        snprintf(numa, sizeof numa, "%" PRIi32, a->numa_node);
                speed_cell(a->speed_mbps, speed);
                snprintf(health, sizeof health, "%s%s%s", strempty(a->health), a->drained ? ",drained" : "",
                         a->quarantined ? ",quarant." : "");
                intent_cell(a->intent, intent, sizeof intent);
                const char *cells[] = { a->address, a->ifname, a->driver, a->support, vfs,
                                        numa,       speed,     health,    intent };
                r = table_add_row(t, cells);
                if (r < 0)
                        return r;
                _cleanup_free_ char *model = NULL;
                if ((!isempty(a->vendor) || !isempty(a->model)) &&
                    asprintf(&model, "%s%s%s", strempty(a->vendor), !isempty(a->vendor) && !isempty(a->model) ? " " : "",
                             strempty(a->model)) < 0)
                        return -ENOMEM;
                r = table_set_detail(t, model);
                if (r < 0)
                        return r;
        }
        _cleanup_free_ char *footer = NULL;
        if (asprintf(&footer, "%zu adapter%s listed. VFS: assigned/enabled/total.", n, n == 1 ? "" : "s") < 0)
                return -ENOMEM;
        return render_table_finish(t, o, footer, ret);
}

/* ---- the verbs ---------------------------------------------------------------------------- */

/* A read of member with the arguments types says; the reply in *ret. */
static int call(const CliContext *ctx, const char *member, sd_bus_message **ret, const char *types, ...) {
        _cleanup_bus_message_ sd_bus_message *m = NULL;
        va_list ap;
        int r = cli_new_call(ctx, member, &m);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        if (types) {
                va_start(ap, types);
                r = sd_bus_message_appendv(m, types, ap);
                va_end(ap);
                if (r < 0)
                        return cli_error(ctx, NULL, "Failed to build the %s call: %s", member, strerror(-r));
        }
        return cli_call(ctx, m, CLI_TIMEOUT_READ_USEC, ret);
}

RenderOptions view_options(const CliContext *ctx) {
        size_t w = ctx->width ? ctx->width : TABLE_DEFAULT_WIDTH;
        if (!isatty(fileno(ctx->out)) && w > VIEWS_PIPE_WIDTH)
                w = VIEWS_PIPE_WIDTH;
        return (RenderOptions){ .legend = ctx->args->legend, .width = w };
}

/* j printed and released. */
static int emit(const CliContext *ctx, json_t *j) {
        _cleanup_json_ json_t *owned = j;
        return cli_emit_json(ctx, owned);
}

/* ExplainVM for the VM and `performance`; the rows and the reply they borrow from. */
static int explain(const CliContext *ctx, const char *vm, const char *performance, sd_bus_message **ret_reply,
                   ExplainRow **ret, size_t *ret_n) {
        int r = call(ctx, "ExplainVM", ret_reply, "ss", vm, performance);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        r = explain_rows_read(*ret_reply, ret, ret_n);
        if (r < 0)
                return cli_parse_error(ctx, "ExplainVM", r);
        return CLI_EXIT_SUCCESS;
}

int verb_vm_show(const CliContext *ctx) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL, *list = NULL;
        _cleanup_free_ ExplainRow *rows = NULL;
        _cleanup_free_ VmRow *vms = NULL;
        const char *name = ctx->args->vms[0];
        size_t n = 0, n_vms = 0;
        const VmRow *vm = NULL;

        int r = explain(ctx, name, "", &reply, &rows, &n);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        r = call(ctx, "ListVMsEx", &list, NULL);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        r = vm_rows_ex_read(list, &vms, &n_vms);
        if (r < 0)
                return cli_parse_error(ctx, "ListVMsEx", r);
        for (size_t i = 0; i < n_vms && !vm; i++)
                if (streq(vms[i].vm, name))
                        vm = &vms[i];
        VmRow none = { .vm = name, .state = "?", .performance = "", .vf = "", .note = "" };
        if (!vm)
                vm = &none; /* it went between the two calls */

        if (ctx->args->json) {
                json_t *o = vm_row_to_json(vm);
                if (o)
                        json_object_set_new(o, "checks", explain_rows_to_json(rows, n));
                return emit(ctx, o);
        }
        RenderOptions o = view_options(ctx);
        _cleanup_free_ char *head = NULL, *text = NULL;
        r = vm_facts_render(vm, o.width, &head);
        if (r >= 0)
                r = explain_rows_render(rows, n, &o, &text);
        if (r >= 0)
                r = cli_emit_text(ctx, 0, head);
        if (r == CLI_EXIT_SUCCESS) {
                fputc('\n', ctx->out);
                r = cli_emit_text(ctx, 0, text);
        }
        return r < 0 ? cli_emit_text(ctx, r, NULL) : r;
}

int verb_vm_check(const CliContext *ctx) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        _cleanup_free_ ExplainRow *rows = NULL;
        const char *name = ctx->args->vms[0];
        size_t n = 0;

        int r = explain(ctx, name, ctx->args->performance, &reply, &rows, &n);
        if (r != CLI_EXIT_SUCCESS)
                return r;
        size_t failed = explain_rows_n_failed(rows, n);
        if (ctx->args->json) {
                json_t *o = json_pack("{s:s, s:s, s:b, s:o}", "vm", name, "performance", ctx->args->performance, "ok",
                                      failed == 0, "checks", explain_rows_to_json(rows, n));
                r = emit(ctx, o);
        } else {
                RenderOptions o = view_options(ctx);
                _cleanup_free_ char *text = NULL;
                r = explain_rows_render(rows, n, &o, &text);
                r = cli_emit_text(ctx, r, text);
        }
        if (r != CLI_EXIT_SUCCESS)
                return r;
        if (failed > 0) {
                /* the rows are the document (also with --json): only the summary on stderr */
                _cleanup_free_ char *msg = NULL;
                if (asprintf(&msg, "VM %s would get no VF with performance %s: %zu check%s failed.", name,
                             ctx->args->performance, failed, failed == 1 ? "" : "s") < 0)
                        msg = NULL;
                return cli_report(NULL, ctx->err, JSON_MODE_OFF, CLI_EXIT_FAILURE, NULL, msg ? msg : "Out of memory.");
        }
        return CLI_EXIT_SUCCESS;
}

int verb_vf_list(const CliContext *ctx) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        _cleanup_free_ VfRow *rows = NULL;
        size_t n = 0;

        int r = call(ctx, "ListVFs", &reply, "s", strempty(ctx->args->adapter));
        if (r != CLI_EXIT_SUCCESS)
                return r;
        r = vf_rows_read(reply, &rows, &n);
        if (r < 0)
                return cli_parse_error(ctx, "ListVFs", r);
        if (ctx->args->json)
                return emit(ctx, vf_rows_to_json(rows, n));
        RenderOptions o = view_options(ctx);
        _cleanup_free_ char *text = NULL;
        r = vf_rows_render(rows, n, &o, &text);
        return cli_emit_text(ctx, r, text);
}
