/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "render.h"
#include "shared/anerror.h"
#include "shared/names.h"
#include "shared/strutil.h"
#include "table.h"

const char *error_name_short(const char *name) {
        if (name && strncmp(name, ACCELNET_BUS_ERROR_PREFIX, strlen(ACCELNET_BUS_ERROR_PREFIX)) == 0 &&
            name[strlen(ACCELNET_BUS_ERROR_PREFIX)])
                return name + strlen(ACCELNET_BUS_ERROR_PREFIX);
        return name;
}

Table *render_table_new(const RenderOptions *o, size_t n, const char *const *headers) {
        Table *t = table_new(n, headers);
        if (t)
                table_set_header(t, o->legend);
        return t;
}

int render_table_finish(const Table *t, const RenderOptions *o, const char *footer, char **ret) {
        _cleanup_free_ char *body = NULL;
        int r = table_format(t, o->width, &body);
        if (r < 0)
                return r;
        if (!o->legend || !footer) {
                *ret = TAKE_PTR(body);
                return 0;
        }
        char *s;
        if (asprintf(&s, "%s\n%s\n", body, footer) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static int finish_listed(const Table *t, const RenderOptions *o, size_t n, const char *one, const char *many,
                         char **ret) {
        _cleanup_free_ char *footer = NULL;
        if (asprintf(&footer, "%zu %s listed.", n, n == 1 ? one : many) < 0)
                return -ENOMEM;
        return render_table_finish(t, o, footer, ret);
}

int prereq_rows_render(const PrereqRow *rows, size_t n, const RenderOptions *o, char **ret) {
        static const char *const headers[] = { "RESULT", "CHECK", "SUBJECT", "CODE" };
        _cleanup_(table_freep) Table *t = render_table_new(o, ELEMENTSOF(headers), headers);
        size_t passed = 0, warnings = 0, failed = 0;
        int r;

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *cells[] = { rows[i].result, rows[i].check, rows[i].subject, rows[i].code };
                r = table_add_row(t, cells);
                if (r < 0)
                        return r;
                r = table_set_detail(t, rows[i].detail);
                if (r < 0)
                        return r;
                if (strcasecmp(strempty(rows[i].result), ACCELNET_PREREQ_PASSED) == 0)
                        passed++;
                else if (strcasecmp(strempty(rows[i].result), ACCELNET_PREREQ_WARNING) == 0)
                        warnings++;
                else if (strcasecmp(strempty(rows[i].result), ACCELNET_PREREQ_FAILED) == 0)
                        failed++;
        }

        _cleanup_free_ char *footer = NULL;
        if (asprintf(&footer, "%zu %s: %zu passed, %zu %s, %zu failed.", n, n == 1 ? "check" : "checks", passed,
                     warnings, warnings == 1 ? "warning" : "warnings", failed) < 0)
                return -ENOMEM;
        return render_table_finish(t, o, footer, ret);
}

int adapter_rows_render(const AdapterRow *rows, size_t n, const RenderOptions *o, char **ret) {
        static const char *const headers[] = { "ADDRESS", "IFNAME", "DRIVER", "SUPPORT",
                                                "TOTAL",   "ENABLED", "ASSIGNED" };
        _cleanup_(table_freep) Table *t = render_table_new(o, ELEMENTSOF(headers), headers);
        int r;

        if (!t)
                return -ENOMEM;
        for (size_t c = 4; c < 7; c++)
                (void) table_set_align(t, c, TABLE_ALIGN_RIGHT);
        for (size_t i = 0; i < n; i++) {
                char total[16], enabled[16], assigned[16];
                snprintf(total, sizeof total, "%" PRIu32, rows[i].total_vfs);
                snprintf(enabled, sizeof enabled, "%" PRIu32, rows[i].enabled_vfs);
                snprintf(assigned, sizeof assigned, "%" PRIu32, rows[i].assigned_vfs);
                const char *cells[] = { rows[i].address, rows[i].ifname, rows[i].driver, rows[i].support,
                                        total,           enabled,        assigned };
                r = table_add_row(t, cells);
                if (r < 0)
                        return r;
        }
        return finish_listed(t, o, n, "adapter", "adapters", ret);
}

int vm_rows_render(const VmRow *rows, size_t n, VmFilter filter, bool show_node, const RenderOptions *o,
                   char **ret) {
        static const char *const headers[] = { "VM", "NODE", "STATE", "PERFORMANCE", "VF", "NOTE" };
        static const char *const headers_local[] = { "VM", "STATE", "PERFORMANCE", "VF", "NOTE" };
        _cleanup_(table_freep) Table *t = show_node ? render_table_new(o, ELEMENTSOF(headers), headers)
                                                    : render_table_new(o, ELEMENTSOF(headers_local), headers_local);
        int r;

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                if (!vm_row_matches(&rows[i], filter))
                        continue;
                const char *cells[] = { rows[i].vm, rows[i].node, rows[i].state, rows[i].performance, rows[i].vf,
                                        rows[i].note };
                const char *cells_local[] = { rows[i].vm, rows[i].state, rows[i].performance, rows[i].vf,
                                              rows[i].note };
                r = table_add_row(t, show_node ? cells : cells_local);
                if (r < 0)
                        return r;
        }
        return finish_listed(t, o, table_n_rows(t), "VM", "VMs", ret);
}

/* n as a table cell, "" (shown "-") when not known */
static const char *cell_u32(char buf[static 16], bool known, uint32_t n) {
        if (!known)
                return "";
        snprintf(buf, 16, "%" PRIu32, n);
        return buf;
}

/* The worst state of a health summary: its first word ("Degraded: ens1f0 ..." -> "Degraded"). */
static void health_word(const char *summary, char buf[static 16]) {
        size_t n = summary ? strcspn(summary, ":;") : 0;
        snprintf(buf, 16, "%.*s", (int) (n < 15 ? n : 15), summary ? summary : "");
}

int node_rows_render(const NodeRow *rows, size_t n, const RenderOptions *o, char **ret) {
        /* FREE HIGH MED LOW (ListNodeCapacity) and HEALTH (ListNodeHealth) when the daemon has
         * them */
        /* CAP: with FREE HIGH MED LOW and HEALTH the table fits 80 columns for 14-character
         * node names */
        static const char *const base[] = { "ID", "NAME", "STATE", "HT", "CAP", "USABLE", "ASSIGNED" };
        static const char *const free_headers[] = { "FREE", "HIGH", "MED", "LOW" };
        const char *headers[ELEMENTSOF(base) + ELEMENTSOF(free_headers) + 1];
        bool with_free = false;
        size_t members = 0, columns = 0;
        bool health = false;
        int r;

        for (size_t i = 0; i < n; i++) {
                with_free = with_free || rows[i].has_free;
                health = health || rows[i].health;
        }
        for (size_t c = 0; c < ELEMENTSOF(base); c++)
                headers[columns++] = base[c];
        for (size_t c = 0; with_free && c < ELEMENTSOF(free_headers); c++)
                headers[columns++] = free_headers[c];
        if (health)
                headers[columns++] = "HEALTH";
        _cleanup_(table_freep) Table *t = render_table_new(o, columns, headers);
        if (!t)
                return -ENOMEM;
        (void) table_set_align(t, 0, TABLE_ALIGN_RIGHT);
        for (size_t c = 4; c < columns - health; c++) /* the numbers; HEALTH is a word */
                (void) table_set_align(t, c, TABLE_ALIGN_RIGHT);
        for (size_t i = 0; i < n; i++) {
                char id[16], capacity[16], usable[16], assigned[16], free_[16], high[16], medium[16], low[16],
                        word[16];
                bool f = rows[i].has_free;
                const char *cells[ELEMENTSOF(headers)];
                size_t k = 0;
                cells[k++] = cell_u32(id, true, rows[i].id);
                cells[k++] = rows[i].name;
                cells[k++] = rows[i].state;
                cells[k++] = rows[i].hyperthreading ? "yes" : "no";
                cells[k++] = cell_u32(capacity, true, rows[i].capacity_vfs);
                cells[k++] = cell_u32(usable, true, rows[i].usable_vfs);
                cells[k++] = cell_u32(assigned, true, rows[i].assigned_vfs);
                if (with_free) {
                        cells[k++] = cell_u32(free_, f, rows[i].free_vfs);
                        cells[k++] = cell_u32(high, f, rows[i].free_high);
                        cells[k++] = cell_u32(medium, f, rows[i].free_medium);
                        cells[k++] = cell_u32(low, f, rows[i].free_low);
                }
                if (health) {
                        health_word(rows[i].health, word);
                        cells[k++] = word;
                }
                r = table_add_row(t, cells);
                if (r < 0)
                        return r;
                /* the note under the node, and what is not healthy: the table stays narrow */
                StrBuf d = {};
                if (!isempty(rows[i].note))
                        strbuf_appendf(&d, "%s", rows[i].note);
                if (rows[i].health && strchr(rows[i].health, ':'))
                        strbuf_appendf(&d, "%sHealth: %s", d.len ? "\n" : "", rows[i].health);
                r = d.oom ? -ENOMEM : table_set_detail(t, d.s);
                strbuf_done(&d);
                if (r < 0)
                        return r;
                if (node_row_is_member(&rows[i]))
                        members++;
        }

        _cleanup_free_ char *footer = NULL;
        if (members == n) {
                if (asprintf(&footer, "%zu %s listed.", n, n == 1 ? "node" : "nodes") < 0)
                        return -ENOMEM;
        } else if (asprintf(&footer, "%zu %s listed: %zu %s, %zu lost.", n, n == 1 ? "node" : "nodes", members,
                            members == 1 ? "member" : "members", n - members) < 0)
                return -ENOMEM;
        return render_table_finish(t, o, footer, ret);
}

/* What the cluster is called: its name, or what stands for one. */
static void append_cluster_name(StrBuf *b, const ClusterInfo *c) {
        if (!isempty(c->name))
                strbuf_appendf(b, "%s", c->name);
        else if (cluster_info_in_cluster(c))
                strbuf_appendf(b, "(no name: corosync unreachable or no totem.cluster_name)");
        else
                strbuf_appendf(b, "not in a cluster (cluster of one)");
}

int cluster_summary_render(const ClusterSummary *s, char **ret) {
        StrBuf b = {};
        bool in_cluster = cluster_info_in_cluster(&s->cluster);

        strbuf_appendf(&b, "Cluster: ");
        append_cluster_name(&b, &s->cluster);
        strbuf_appendf(&b, "\nQuorate: %s\n",
                       s->cluster.quorate ? "yes"
                                          : "no (settings and new admissions are refused until quorum returns)");
        strbuf_appendf(&b, "Members: %" PRIu32, s->cluster.members);
        if (s->n_lost > 0)
                strbuf_appendf(&b, " (%zu %s lost)", s->n_lost, s->n_lost == 1 ? "node" : "nodes");
        strbuf_appendf(&b, "\nEnabled: %s\n", s->enabled ? "yes" : "no");
        strbuf_appendf(&b, "Intent: %s\n", isempty(s->intent) ? "-" : s->intent);
        strbuf_appendf(&b, "Node reserve: %" PRIu32 "%%\n", s->reserve);
        if (in_cluster && s->cluster.members > 1)
                strbuf_appendf(&b, "Nodes in reserve: %" PRIu32 " of %" PRIu32 "\n", s->reserve_nodes,
                               s->cluster.members);
        else
                strbuf_appendf(&b, "Nodes in reserve: 0 (one node: %" PRIu32 "%% of its VFs are held in reserve)\n",
                               s->reserve);
        strbuf_appendf(&b, "Capacity VFs: %" PRIu64 "\n", s->capacity_vfs);
        strbuf_appendf(&b, "Usable VFs: %" PRIu64 "\n", s->usable_vfs);
        strbuf_appendf(&b, "Assigned VFs: %" PRIu64 "\n", s->assigned_vfs);

        char *text = strbuf_steal(&b);
        if (!text)
                return -ENOMEM;
        *ret = text;
        return 0;
}

static char *join(const char *const *v, size_t n, const char *sep) {
        StrBuf b = {};
        for (size_t i = 0; i < n; i++)
                strbuf_appendf(&b, "%s%s", i > 0 ? sep : "", strempty(v[i]));
        return strbuf_steal(&b);
}

int intent_rows_render(const IntentRow *rows, size_t n, const RenderOptions *o, char **ret) {
        static const char *const headers[] = { "NAME", "TYPES", "ADAPTERS" };
        _cleanup_(table_freep) Table *t = render_table_new(o, ELEMENTSOF(headers), headers);
        int r;

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                _cleanup_free_ char *types = join(rows[i].types, rows[i].n_types, ",");
                _cleanup_free_ char *adapters = join(rows[i].adapters, rows[i].n_adapters, ",");
                if (!types || !adapters)
                        return -ENOMEM;
                const char *cells[] = { rows[i].name, types, adapters };
                r = table_add_row(t, cells);
                if (r < 0)
                        return r;
        }
        return finish_listed(t, o, n, "intent", "intents", ret);
}

int vm_results_render(const VmResult *results, size_t n, const RenderOptions *o, char **ret) {
        static const char *const headers[] = { "VM", "RESULT", "ERROR" };
        _cleanup_(table_freep) Table *t = render_table_new(o, ELEMENTSOF(headers), headers);
        int r;

        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                bool failed = vm_result_failed(&results[i]);
                const char *cells[] = { results[i].vm, failed ? "failed" : "done",
                                        failed ? error_name_short(results[i].error) : "" };
                r = table_add_row(t, cells);
                if (r < 0)
                        return r;
                /* EnableVMsEx/DisableVMsEx send the full message; EnableVMs/DisableVMs only the
                 * error name: its message from the table */
                AnError e = failed ? an_error_from_bus_name(results[i].error) : _AN_ERROR_INVALID;
                if (failed && !isempty(results[i].message)) {
                        r = table_set_detail(t, results[i].message);
                        if (r < 0)
                                return r;
                } else if ((int) e >= AN_ERROR_BASE) {
                        r = table_set_detail(t, an_error_message(e));
                        if (r < 0)
                                return r;
                }
        }

        size_t n_failed = vm_results_n_failed(results, n);
        _cleanup_free_ char *footer = NULL;
        if (asprintf(&footer, "%zu done, %zu failed.", n - n_failed, n_failed) < 0)
                return -ENOMEM;
        return render_table_finish(t, o, footer, ret);
}

/* The status lines in order. ClusterName stands for the "Cluster:" line made of the three
 * cluster properties; ClusterNodes and Quorate are in it (label NULL). */
static const struct {
        const char *name, *label;
} property_labels[] = {
        { "Enabled", "Enabled" },
        { "IntentName", "Intent" },
        { "NodeReservePercentage", "Node reserve" },
        { "HyperthreadingEnabled", "Hyperthreading" },
        { "HyperthreadingState", NULL }, /* in the Hyperthreading line */
        { "CapacityVFs", "Capacity VFs" },
        { "UsableVFs", "Usable VFs" },
        { "AssignedVFs", "Assigned VFs" },
        { "NodeName", "Node" },
        { "ClusterName", "Cluster" },
        { "ClusterNodes", NULL },
        { "Quorate", NULL },
        { "Version", "Version" },
};

static void append_property(StrBuf *b, const char *label, const Property *p) {
        strbuf_appendf(b, "%s: ", label);
        switch (p->type) {
        case PROPERTY_BOOLEAN:
                strbuf_appendf(b, "%s", p->b ? "yes" : "no");
                break;
        case PROPERTY_STRING:
                strbuf_appendf(b, "%s", isempty(p->s) ? "-" : p->s);
                break;
        case PROPERTY_UNSIGNED:
                strbuf_appendf(b, "%" PRIu64, p->u);
                break;
        case PROPERTY_SIGNED:
                strbuf_appendf(b, "%" PRIi64, p->i);
                break;
        case PROPERTY_DOUBLE:
                strbuf_appendf(b, "%g", p->d);
                break;
        }
        if (streq(p->name, "NodeReservePercentage") && p->type == PROPERTY_UNSIGNED)
                strbuf_appendf(b, "%%");
        strbuf_appendf(b, "\n");
}

/* "Cluster: prod, 3 members, quorate", also for a daemon without the cluster properties
 * (a cluster of one). */
static void append_cluster_line(StrBuf *b, const Property *props, size_t n) {
        ClusterInfo c = cluster_info_from_properties(props, n);
        strbuf_appendf(b, "Cluster: ");
        append_cluster_name(b, &c);
        if (cluster_info_in_cluster(&c))
                strbuf_appendf(b, ", %" PRIu32 " %s, %s", c.members, c.members == 1 ? "member" : "members",
                               c.quorate ? "quorate" : "not quorate (settings and new admissions refused)");
        strbuf_appendf(b, "\n");
}

int properties_render(const Property *props, size_t n, char **ret) {
        StrBuf b = {};

        for (size_t k = 0; k < ELEMENTSOF(property_labels); k++) {
                if (streq(property_labels[k].name, "ClusterName")) {
                        append_cluster_line(&b, props, n);
                        continue;
                }
                const Property *p = property_find(props, n, property_labels[k].name);
                if (!p || !property_labels[k].label)
                        continue;
                /* the reserve applies while management is enabled: enable sets it anew */
                const Property *enabled = property_find(props, n, "Enabled");
                if (streq(p->name, "NodeReservePercentage") && enabled && enabled->type == PROPERTY_BOOLEAN &&
                    !enabled->b)
                        continue;
                /* on, off or unknown (a daemon from before HyperthreadingState: yes or no) */
                const Property *state = property_find(props, n, "HyperthreadingState");
                if (streq(p->name, "HyperthreadingEnabled") && state && state->type == PROPERTY_STRING) {
                        strbuf_appendf(&b, "Hyperthreading: %s%s\n", state->s,
                                       streq(state->s, "unknown") ? " (the stricter minimums apply)" : "");
                        continue;
                }
                append_property(&b, property_labels[k].label, p);
        }
        for (size_t i = 0; i < n; i++) {
                bool known = false;
                for (size_t k = 0; k < ELEMENTSOF(property_labels) && !known; k++)
                        known = streq_ptr(props[i].name, property_labels[k].name);
                /* a property the daemon sent twice is shown once */
                if (!known && property_find(props, n, props[i].name) == &props[i])
                        append_property(&b, props[i].name, &props[i]);
        }

        char *s = strbuf_steal(&b);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

/* The progress line of work on an adapter's VFs: "Draining ens1 (0000:01:00.0): 3 of 8 VFs
 * revoked", and at the end "Drained ens1 (0000:01:00.0): 8 VFs revoked.". */
static int progress_render(const char *running, const char *finished, const char *what, const char *name,
                           const char *address, unsigned done, unsigned total, bool final, char **ret) {
        char where[96] = "";
        if (!isempty(address) && !streq_ptr(address, name))
                snprintf(where, sizeof where, " (%s)", address);
        int n = final ? asprintf(ret, "%s %s%s: %u VF%s %s.", finished, strempty(name), where, done,
                                 done == 1 ? "" : "s", what)
                      : asprintf(ret, "%s %s%s: %u of %u VF%s %s", running, strempty(name), where, done, total,
                                 total == 1 ? "" : "s", what);
        return n < 0 ? -ENOMEM : 0;
}

int drain_progress_render(const char *name, const char *address, unsigned done, unsigned total, bool final,
                          char **ret) {
        return progress_render("Draining", "Drained", "revoked", name, address, done, total, final, ret);
}

int provision_progress_render(const char *name, const char *address, unsigned done, unsigned total, bool final,
                              char **ret) {
        return progress_render("Provisioning", "Provisioned", "created", name, address, done, total, final, ret);
}
