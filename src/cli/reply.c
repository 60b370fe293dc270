/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "reply.h"
#include "shared/strutil.h"

/* One "(" sig ")" struct a row, read with sd_bus_message_read. */
#define READ_STRUCT_ARRAY(m, sig, Type, ret, ret_n, ...) \
        RECORDS_READ_ARRAY(m, sig, Type, ret, ret_n, sd_bus_message_read(m, "(" sig ")", __VA_ARGS__))

int prereq_rows_read(sd_bus_message *m, PrereqRow **ret, size_t *ret_n) {
        return READ_STRUCT_ARRAY(m, "sssss", PrereqRow, ret, ret_n, &_x->check, &_x->subject, &_x->result,
                                 &_x->code, &_x->detail);
}

int adapter_rows_read(sd_bus_message *m, AdapterRow **ret, size_t *ret_n) {
        return READ_STRUCT_ARRAY(m, "ssssuuu", AdapterRow, ret, ret_n, &_x->address, &_x->ifname, &_x->driver,
                                 &_x->support, &_x->total_vfs, &_x->enabled_vfs, &_x->assigned_vfs);
}

int vm_rows_read(sd_bus_message *m, VmRow **ret, size_t *ret_n) {
        return READ_STRUCT_ARRAY(m, "sssss", VmRow, ret, ret_n, &_x->vm, &_x->state, &_x->performance, &_x->vf,
                                 &_x->note);
}

int cluster_vm_rows_read(sd_bus_message *m, VmRow **ret, size_t *ret_n) {
        return READ_STRUCT_ARRAY(m, "ssssss", VmRow, ret, ret_n, &_x->vm, &_x->node, &_x->state, &_x->performance,
                                 &_x->vf, &_x->note);
}

int node_rows_read(sd_bus_message *m, NodeRow **ret, size_t *ret_n) {
        return READ_STRUCT_ARRAY(m, "ussbuuus", NodeRow, ret, ret_n, &_x->id, &_x->name, &_x->state,
                                 &_x->hyperthreading, &_x->capacity_vfs, &_x->usable_vfs, &_x->assigned_vfs,
                                 &_x->note);
}

int node_capacity_rows_read(sd_bus_message *m, NodeCapacityRow **ret, size_t *ret_n) {
        return READ_STRUCT_ARRAY(m, "usuuuu", NodeCapacityRow, ret, ret_n, &_x->id, &_x->name, &_x->free_vfs,
                                 &_x->free_high, &_x->free_medium, &_x->free_low);
}

int vm_results_read(sd_bus_message *m, VmResult **ret, size_t *ret_n) {
        return READ_STRUCT_ARRAY(m, "ss", VmResult, ret, ret_n, &_x->vm, &_x->error);
}

int vm_results_ex_read(sd_bus_message *m, VmResult **ret, size_t *ret_n) {
        return READ_STRUCT_ARRAY(m, "sss", VmResult, ret, ret_n, &_x->vm, &_x->error, &_x->message);
}

int explain_rows_read(sd_bus_message *m, ExplainRow **ret, size_t *ret_n) {
        return READ_STRUCT_ARRAY(m, "sss", ExplainRow, ret, ret_n, &_x->check, &_x->result, &_x->detail);
}

/* An "as" into an owned array of borrowed strings. */
static int read_string_array(sd_bus_message *m, const char ***ret, size_t *ret_n) {
        _cleanup_free_ const char **v = NULL;
        size_t n = 0, allocated = 0;
        int r = sd_bus_message_enter_container(m, 'a', "s");
        if (r < 0)
                return r;
        for (;;) {
                const char *s;
                r = sd_bus_message_read(m, "s", &s);
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = records_reserve((void **) &v, &allocated, n + 1, sizeof(char *));
                if (r < 0)
                        return r;
                v[n++] = s;
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(v);
        *ret_n = n;
        return 0;
}

int intent_rows_read(sd_bus_message *m, IntentRow **ret, size_t *ret_n) {
        IntentRow *rows = NULL;
        size_t n = 0, allocated = 0;
        int r = sd_bus_message_enter_container(m, 'a', "(sasas)");

        while (r >= 0) {
                r = sd_bus_message_enter_container(m, 'r', "sasas");
                if (r <= 0)
                        break;
                r = records_reserve((void **) &rows, &allocated, n + 1, sizeof(IntentRow));
                if (r < 0)
                        break;
                IntentRow *x = &rows[n++];
                *x = (IntentRow) {};
                r = sd_bus_message_read(m, "s", &x->name);
                if (r >= 0)
                        r = read_string_array(m, &x->types, &x->n_types);
                if (r >= 0)
                        r = read_string_array(m, &x->adapters, &x->n_adapters);
                if (r >= 0)
                        r = sd_bus_message_exit_container(m);
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(m);
        if (r < 0) {
                intent_rows_free(rows, n);
                return r;
        }
        *ret = rows;
        *ret_n = n;
        return 0;
}

/* The variant's value, when it has a type we show; 0 (and nothing read) otherwise. */
static int read_variant_value(sd_bus_message *m, const char *contents, Property *p) {
        union {
                int b;
                const char *s;
                uint8_t y;
                uint16_t q;
                int16_t n;
                uint32_t u;
                int32_t i;
                uint64_t t;
                int64_t x;
                double d;
        } v;
        int r;

        if (strlen(contents) != 1)
                return 0;
        switch (contents[0]) {
        case 'b':
                r = sd_bus_message_read_basic(m, 'b', &v.b);
                p->type = PROPERTY_BOOLEAN, p->b = v.b;
                break;
        case 's':
        case 'o':
        case 'g':
                r = sd_bus_message_read_basic(m, contents[0], &v.s);
                p->type = PROPERTY_STRING, p->s = v.s;
                break;
        case 'y':
                r = sd_bus_message_read_basic(m, 'y', &v.y);
                p->type = PROPERTY_UNSIGNED, p->u = v.y;
                break;
        case 'q':
                r = sd_bus_message_read_basic(m, 'q', &v.q);
                p->type = PROPERTY_UNSIGNED, p->u = v.q;
                break;
        case 'u':
                r = sd_bus_message_read_basic(m, 'u', &v.u);
                p->type = PROPERTY_UNSIGNED, p->u = v.u;
                break;
        case 't':
                r = sd_bus_message_read_basic(m, 't', &v.t);
                p->type = PROPERTY_UNSIGNED, p->u = v.t;
                break;
        case 'n':
                r = sd_bus_message_read_basic(m, 'n', &v.n);
                p->type = PROPERTY_SIGNED, p->i = v.n;
                break;
        case 'i':
                r = sd_bus_message_read_basic(m, 'i', &v.i);
                p->type = PROPERTY_SIGNED, p->i = v.i;
                break;
        case 'x':
                r = sd_bus_message_read_basic(m, 'x', &v.x);
                p->type = PROPERTY_SIGNED, p->i = v.x;
                break;
        case 'd':
                r = sd_bus_message_read_basic(m, 'd', &v.d);
                p->type = PROPERTY_DOUBLE, p->d = v.d;
                break;
        default:
                return 0;
        }
        return r < 0 ? r : 1;
}

int properties_read(sd_bus_message *m, Property **ret, size_t *ret_n) {
        _cleanup_free_ Property *props = NULL;
        size_t n = 0, allocated = 0;
        int r = sd_bus_message_enter_container(m, 'a', "{sv}");
        if (r < 0)
                return r;

        for (;;) {
                const char *name, *contents;
                Property p = {};

                r = sd_bus_message_enter_container(m, 'e', "sv");
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = sd_bus_message_read(m, "s", &name);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(m, NULL, &contents);
                if (r < 0)
                        return r;
                r = sd_bus_message_enter_container(m, 'v', contents);
                if (r < 0)
                        return r;
                r = read_variant_value(m, contents, &p);
                if (r < 0)
                        return r;
                if (r == 0) { /* a type we do not show */
                        r = sd_bus_message_skip(m, contents);
                        if (r < 0)
                                return r;
                } else {
                        r = records_reserve((void **) &props, &allocated, n + 1, sizeof(Property));
                        if (r < 0)
                                return r;
                        p.name = name;
                        props[n++] = p;
                }
                r = sd_bus_message_exit_container(m); /* variant */
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m); /* dict entry */
                if (r < 0)
                        return r;
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(props);
        *ret_n = n;
        return 0;
}
