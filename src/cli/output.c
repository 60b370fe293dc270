/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"
#include "shared/tier.h"

/* json_string(NULL) fails; a missing string is "" here. Steals nothing. */
static int set_string(json_t *o, const char *key, const char *value) {
        return json_object_set_new(o, key, json_string(strempty(value)));
}

static int set_uint(json_t *o, const char *key, uint64_t value) {
        /* json_int_t is long long: every u value fits, a t above INT64_MAX would not. */
        if (value > (uint64_t) INT64_MAX)
                return json_object_set_new(o, key, json_real((double) value));
        return json_object_set_new(o, key, json_integer((json_int_t) value));
}

static json_t *string_array(const char *const *v, size_t n) {
        _cleanup_json_ json_t *a = json_array();
        if (!a)
                return NULL;
        for (size_t i = 0; i < n; i++)
                if (json_array_append_new(a, json_string(strempty(v[i]))) < 0)
                        return NULL;
        return TAKE_PTR(a);
}

json_t *prereq_rows_to_json(const PrereqRow *rows, size_t n) {
        _cleanup_json_ json_t *a = json_array();
        if (!a)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                json_t *o = json_object();
                if (!o || json_array_append_new(a, o) < 0)
                        return NULL;
                if (set_string(o, "check", rows[i].check) < 0 || set_string(o, "subject", rows[i].subject) < 0 ||
                    set_string(o, "result", rows[i].result) < 0 || set_string(o, "code", rows[i].code) < 0 ||
                    set_string(o, "detail", rows[i].detail) < 0)
                        return NULL;
        }
        return TAKE_PTR(a);
}

json_t *adapter_rows_to_json(const AdapterRow *rows, size_t n) {
        _cleanup_json_ json_t *a = json_array();
        if (!a)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                json_t *o = json_object();
                if (!o || json_array_append_new(a, o) < 0)
                        return NULL;
                if (set_string(o, "address", rows[i].address) < 0 || set_string(o, "ifname", rows[i].ifname) < 0 ||
                    set_string(o, "driver", rows[i].driver) < 0 || set_string(o, "support", rows[i].support) < 0 ||
                    set_uint(o, "total_vfs", rows[i].total_vfs) < 0 ||
                    set_uint(o, "enabled_vfs", rows[i].enabled_vfs) < 0 ||
                    set_uint(o, "assigned_vfs", rows[i].assigned_vfs) < 0)
                        return NULL;
                /* ListAdaptersEx */
                if (rows[i].has_ex &&
                    (json_object_set_new(o, "numa_node", json_integer(rows[i].numa_node)) < 0 ||
                     set_uint(o, "speed_mbps", rows[i].speed_mbps) < 0 || set_string(o, "vendor", rows[i].vendor) < 0 ||
                     set_string(o, "model", rows[i].model) < 0 || set_string(o, "intent", rows[i].intent) < 0 ||
                     set_string(o, "health", rows[i].health) < 0 ||
                     json_object_set_new(o, "quarantined", json_boolean(rows[i].quarantined)) < 0 ||
                     json_object_set_new(o, "drained", json_boolean(rows[i].drained)) < 0))
                        return NULL;
        }
        return TAKE_PTR(a);
}

json_t *vm_row_to_json(const VmRow *v) {
        _cleanup_json_ json_t *o = json_object();
        if (!o || set_string(o, "vm", v->vm) < 0 || (v->node && set_string(o, "node", v->node) < 0) ||
            set_string(o, "state", v->state) < 0 || set_string(o, "performance", v->performance) < 0 ||
            set_string(o, "vf", v->vf) < 0 || set_string(o, "note", v->note) < 0)
                return NULL;
        /* ListVMsEx: the VM's facts (not for a VM of another node) */
        if (v->has_ex && v->power &&
            (set_string(o, "power", v->power) < 0 || set_uint(o, "vcpus", v->vcpus) < 0 ||
             json_object_set_new(o, "numa_node", json_integer(v->numa_node)) < 0 ||
             json_object_set_new(o, "vf_numa_node", json_integer(v->vf_numa_node)) < 0 ||
             set_string(o, "numa_local", v->numa_local) < 0 || set_string(o, "pf", v->pf) < 0))
                return NULL;
        if (v->has_eligible) {
                json_t *t = json_array();
                if (!t || json_object_set_new(o, "eligible_tiers", t) < 0)
                        return NULL;
                for (Tier k = 0; k < _TIER_MAX; k++)
                        if ((v->eligible & (1u << k)) && json_array_append_new(t, json_string(tier_to_string(k))) < 0)
                                return NULL;
        }
        return TAKE_PTR(o);
}

json_t *vm_rows_to_json(const VmRow *rows, size_t n, VmFilter filter) {
        _cleanup_json_ json_t *a = json_array();
        if (!a)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                if (!vm_row_matches(&rows[i], filter))
                        continue;
                json_t *o = vm_row_to_json(&rows[i]);
                if (!o || json_array_append_new(a, o) < 0)
                        return NULL;
        }
        return TAKE_PTR(a);
}

json_t *node_rows_to_json(const NodeRow *rows, size_t n) {
        _cleanup_json_ json_t *a = json_array();
        if (!a)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                json_t *o = json_object();
                if (!o || json_array_append_new(a, o) < 0)
                        return NULL;
                if (set_uint(o, "node_id", rows[i].id) < 0 || set_string(o, "name", rows[i].name) < 0 ||
                    set_string(o, "state", rows[i].state) < 0 ||
                    json_object_set_new(o, "hyperthreading", json_boolean(rows[i].hyperthreading)) < 0 ||
                    set_uint(o, "capacity_vfs", rows[i].capacity_vfs) < 0 ||
                    set_uint(o, "usable_vfs", rows[i].usable_vfs) < 0 ||
                    set_uint(o, "assigned_vfs", rows[i].assigned_vfs) < 0 || set_string(o, "note", rows[i].note) < 0)
                        return NULL;
                if (rows[i].has_free &&
                    (set_uint(o, "free_vfs", rows[i].free_vfs) < 0 ||
                     set_uint(o, "free_vfs_high", rows[i].free_high) < 0 ||
                     set_uint(o, "free_vfs_medium", rows[i].free_medium) < 0 ||
                     set_uint(o, "free_vfs_low", rows[i].free_low) < 0))
                        return NULL;
                if (rows[i].health && set_string(o, "health", rows[i].health) < 0)
                        return NULL;
        }
        return TAKE_PTR(a);
}

json_t *cluster_summary_to_json(const ClusterSummary *s) {
        _cleanup_json_ json_t *o = json_object();
        if (!o)
                return NULL;
        if (set_string(o, "cluster_name", s->cluster.name) < 0 ||
            json_object_set_new(o, "quorate", json_boolean(s->cluster.quorate)) < 0 ||
            set_uint(o, "cluster_nodes", s->cluster.members) < 0 ||
            json_object_set_new(o, "enabled", json_boolean(s->enabled)) < 0 ||
            set_string(o, "intent_name", s->intent) < 0 || set_uint(o, "node_reserve_percentage", s->reserve) < 0 ||
            set_uint(o, "reserve_nodes", s->reserve_nodes) < 0 || set_uint(o, "capacity_vfs", s->capacity_vfs) < 0 ||
            set_uint(o, "usable_vfs", s->usable_vfs) < 0 || set_uint(o, "assigned_vfs", s->assigned_vfs) < 0)
                return NULL;
        return TAKE_PTR(o);
}

json_t *intent_rows_to_json(const IntentRow *rows, size_t n) {
        _cleanup_json_ json_t *a = json_array();
        if (!a)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                json_t *o = json_object();
                if (!o || json_array_append_new(a, o) < 0)
                        return NULL;
                if (set_string(o, "name", rows[i].name) < 0 ||
                    json_object_set_new(o, "types", string_array(rows[i].types, rows[i].n_types)) < 0 ||
                    json_object_set_new(o, "adapters", string_array(rows[i].adapters, rows[i].n_adapters)) < 0)
                        return NULL;
        }
        return TAKE_PTR(a);
}

json_t *vm_results_to_json(const VmResult *results, size_t n) {
        _cleanup_json_ json_t *a = json_array();
        if (!a)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                json_t *o = json_object();
                if (!o || json_array_append_new(a, o) < 0)
                        return NULL;
                if (set_string(o, "vm", results[i].vm) < 0 ||
                    set_string(o, "result", vm_result_failed(&results[i]) ? "failed" : "done") < 0 ||
                    set_string(o, "error", results[i].error) < 0 ||
                    (results[i].message && set_string(o, "message", results[i].message) < 0))
                        return NULL;
        }
        return TAKE_PTR(a);
}

char *property_name_to_snake(const char *name) {
        size_t len = strlen(strempty(name));
        char *s = malloc(len * 2 + 1), *q = s;
        if (!s)
                return NULL;
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char) name[i];
                if (isupper(c) && i > 0 &&
                    (islower((unsigned char) name[i - 1]) || isdigit((unsigned char) name[i - 1])))
                        *q++ = '_';
                *q++ = (char) tolower(c);
        }
        *q = '\0';
        return s;
}

json_t *properties_to_json(const Property *props, size_t n) {
        _cleanup_json_ json_t *o = json_object();
        if (!o)
                return NULL;
        for (size_t i = 0; i < n; i++) {
                const Property *p = &props[i];
                _cleanup_free_ char *key = property_name_to_snake(p->name);
                int r;
                if (!key)
                        return NULL;
                switch (p->type) {
                case PROPERTY_BOOLEAN:
                        r = json_object_set_new(o, key, json_boolean(p->b));
                        break;
                case PROPERTY_STRING:
                        r = set_string(o, key, p->s);
                        break;
                case PROPERTY_UNSIGNED:
                        r = set_uint(o, key, p->u);
                        break;
                case PROPERTY_SIGNED:
                        r = json_object_set_new(o, key, json_integer((json_int_t) p->i));
                        break;
                case PROPERTY_DOUBLE:
                        r = json_object_set_new(o, key, json_real(p->d));
                        break;
                default:
                        r = 0;
                }
                if (r < 0)
                        return NULL;
        }
        return TAKE_PTR(o);
}

json_t *status_to_json(const Property *props, size_t n) {
        _cleanup_json_ json_t *o = properties_to_json(props, n);
        if (!o)
                return NULL;
        /* a daemon older than cluster mode: a cluster of one, as the CLI shows it */
        ClusterInfo c = cluster_info_from_properties(props, n);
        if ((!property_find(props, n, "ClusterName") && set_string(o, "cluster_name", c.name) < 0) ||
            (!property_find(props, n, "ClusterNodes") && set_uint(o, "cluster_nodes", c.members) < 0) ||
            (!property_find(props, n, "Quorate") && json_object_set_new(o, "quorate", json_boolean(c.quorate)) < 0))
                return NULL;
        return TAKE_PTR(o);
}

json_t *drain_to_json(const char *adapter, unsigned revoked, unsigned total) {
        return json_pack("{s:s, s:s, s:I, s:I}", "result", "done", "adapter", adapter ? adapter : "", "vfs_revoked",
                         (json_int_t) revoked, "vfs_total", (json_int_t) total);
}

json_t *done_to_json(void) {
        return json_pack("{s:s}", "result", "done");
}

int json_print(json_t *j, FILE *f, JsonMode mode) {
        size_t flags = JSON_ENCODE_ANY | JSON_REAL_PRECISION(17);
        flags |= mode == JSON_MODE_SHORT ? JSON_COMPACT : JSON_INDENT(2);

        if (!j || !f)
                return -EINVAL;
        if (json_dumpf(j, f, flags) < 0 || fputc('\n', f) == EOF)
                return -EIO;
        return 0;
}
