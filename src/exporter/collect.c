/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* accelnetd's answers for one scrape: the Manager's properties (one GetAll), ListNodes,
 * ListAdapters and ListClusterVMs (the core: a failure of any makes accelnet_up 0), then,
 * when the daemon has them, ListNodeCapacity, GetOperationStats and GetHealth (an
 * UnknownMethod leaves their metrics out). Then the VF counters (vfstats.c). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "collect.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/names.h"
#include "vfstats.h"

struct Collector {
        sd_bus *bus;                 /* NULL until connected, and after it broke */
        VfStatsReader *vf;
};

int collector_new(const SriovBackend *backend, const char *root, Collector **ret) {
        _cleanup_free_ Collector *c = calloc(1, sizeof *c);
        int r;

        if (!c)
                return -ENOMEM;
        r = vf_stats_reader_new(backend, root, &c->vf);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(c);
        return 0;
}

Collector *collector_free(Collector *c) {
        if (!c)
                return NULL;
        sd_bus_flush_close_unref(c->bus);
        vf_stats_reader_free(c->vf);
        return mfree(c);
}

int collect_call(sd_bus *bus, const char *member, sd_bus_error *error, sd_bus_message **ret_reply) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &m, ACCELNET_BUS_NAME, ACCELNET_BUS_PATH, ACCELNET_BUS_MANAGER_INTERFACE,
                                           member);
        if (r < 0)
                return r;
        /* A scrape reads a running daemon; it never starts one through bus activation. */
        r = sd_bus_message_set_auto_start(m, false);
        if (r < 0)
                return r;
        return sd_bus_call(bus, m, COLLECT_CALL_TIMEOUT_USEC, error, ret_reply);
}

/* Room for one more row of *v (n rows now); NULL when out of memory or at the limit. */
static void *grow(void **v, size_t n, size_t size) {
        if (n >= COLLECT_MAX_ROWS)
                return NULL;
        void *p = realloc(*v, size * (n + 1));
        if (!p)
                return NULL;
        *v = p;
        memset((char *) p + size * n, 0, size);
        return (char *) p + size * n;
}

static int dup_all(char **dst[], const char *src[], size_t n) {
        for (size_t i = 0; i < n; i++)
                if (!(*dst[i] = strdup(src[i])))
                        return -ENOMEM;
        return 0;
}

/* ---- the Manager's properties ------------------------------------------------------------ */

static int read_properties(sd_bus_message *reply, Snapshot *s) {
        int r;

        r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
                const char *name, *contents;
                char type;
                r = sd_bus_message_read(reply, "s", &name);
                if (r >= 0)
                        r = sd_bus_message_peek_type(reply, &type, &contents);
                if (r < 0)
                        break;
                const struct {
                        const char *name, *sig;
                        void *dst;
                } props[] = {
                        { "Enabled", "b", &s->enabled },        { "HyperthreadingEnabled", "b", &s->hyperthreading },
                        { "IntentName", "s", &s->intent },      { "NodeName", "s", &s->node_name },
                        { "Version", "s", &s->version },        { "NodeReservePercentage", "u", &s->reserve },
                        { "CapacityVFs", "u", &s->capacity },   { "UsableVFs", "u", &s->usable },
                        { "AssignedVFs", "u", &s->assigned },
                };
                bool done = false;
                for (size_t i = 0; r >= 0 && !done && i < ELEMENTSOF(props); i++) {
                        if (!streq(name, props[i].name) || !streq_ptr(contents, props[i].sig))
                                continue;
                        done = true;
                        r = sd_bus_message_enter_container(reply, 'v', contents);
                        if (r < 0)
                                break;
                        if (props[i].sig[0] == 'b') {
                                int b;
                                r = sd_bus_message_read(reply, "b", &b);
                                *(bool *) props[i].dst = b;
                        } else if (props[i].sig[0] == 'u')
                                r = sd_bus_message_read(reply, "u", props[i].dst);
                        else {
                                const char *str;
                                r = sd_bus_message_read(reply, "s", &str);
                                if (r >= 0 && !(*(char **) props[i].dst = strdup(str)))
                                        r = -ENOMEM;
                        }
                        if (r >= 0)
                                r = sd_bus_message_exit_container(reply);
                }
                if (r >= 0 && !done)
                        r = sd_bus_message_skip(reply, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        if (r < 0)
                return r;
        return s->version ? 0 : -EBADMSG;
}

/* ---- the lists ---------------------------------------------------------------------------- */

static int read_nodes(sd_bus_message *reply, Snapshot *s) {
        int r = sd_bus_message_enter_container(reply, 'a', "(ussbuuus)");
        while (r >= 0) {
                const char *name, *state, *note;
                uint32_t id, cap, usable, assigned;
                int ht;
                r = sd_bus_message_read(reply, "(ussbuuus)", &id, &name, &state, &ht, &cap, &usable, &assigned, &note);
                if (r <= 0)
                        break;
                NodeRow *n = grow((void **) &s->nodes, s->n_nodes, sizeof *n);
                if (!n)
                        return -ENOMEM;
                s->n_nodes++;
                *n = (NodeRow){ .id = id, .member = streq(state, ACCELNET_NODE_STATE_MEMBER), .capacity = cap,
                                .usable = usable, .assigned = assigned, .name = strdup(name) };
                if (!n->name)
                        return -ENOMEM;
        }
        return r;
}

static int read_node_capacity(sd_bus_message *reply, Snapshot *s) {
        int r = sd_bus_message_enter_container(reply, 'a', "(usuuuu)");
        while (r >= 0) {
                const char *name;
                uint32_t id, free, high, medium, low;
                r = sd_bus_message_read(reply, "(usuuuu)", &id, &name, &free, &high, &medium, &low);
                if (r <= 0)
                        break;
                for (size_t i = 0; i < s->n_nodes; i++)
                        if (s->nodes[i].id == id) {
                                NodeRow *n = &s->nodes[i];
                                n->has_free = true;
                                n->free = free;
                                n->free_high = high;
                                n->free_medium = medium;
                                n->free_low = low;
                        }
        }
        return r;
}

static int read_adapters(sd_bus_message *reply, Snapshot *s) {
        int r = sd_bus_message_enter_container(reply, 'a', "(ssssuuu)");
        while (r >= 0) {
                const char *f[4];
                uint32_t total, enabled, assigned;
                r = sd_bus_message_read(reply, "(ssssuuu)", &f[0], &f[1], &f[2], &f[3], &total, &enabled, &assigned);
                if (r <= 0)
                        break;
                AdapterRow *a = grow((void **) &s->adapters, s->n_adapters, sizeof *a);
                if (!a)
                        return -ENOMEM;
                s->n_adapters++;
                *a = (AdapterRow){ .total_vfs = total, .enabled_vfs = enabled, .assigned_vfs = assigned };
                char **dst[] = { &a->address, &a->ifname, &a->driver, &a->verdict };
                r = dup_all(dst, f, ELEMENTSOF(dst));
        }
        return r;
}

static int read_vms(sd_bus_message *reply, Snapshot *s) {
        int r = sd_bus_message_enter_container(reply, 'a', "(ssssss)");
        while (r >= 0) {
                const char *f[6];
                r = sd_bus_message_read(reply, "(ssssss)", &f[0], &f[1], &f[2], &f[3], &f[4], &f[5]);
                if (r <= 0)
                        break;
                VmRow *v = grow((void **) &s->vms, s->n_vms, sizeof *v);
                if (!v)
                        return -ENOMEM;
                s->n_vms++;
                char **dst[] = { &v->name, &v->node, &v->state, &v->performance, &v->vf, &v->note };
                r = dup_all(dst, f, ELEMENTSOF(dst));
        }
        return r;
}

static int read_ops(sd_bus_message *reply, Snapshot *s) {
        int r = sd_bus_message_enter_container(reply, 'a', "(sttda(dt))");
        while (r >= 0 && (r = sd_bus_message_enter_container(reply, 'r', "sttda(dt)")) > 0) {
                const char *kind;
                OpRow *o = grow((void **) &s->ops, s->n_ops, sizeof *o);
                if (!o)
                        return -ENOMEM;
                s->n_ops++;
                r = sd_bus_message_read(reply, "sttd", &kind, &o->count, &o->failures, &o->sum_seconds);
                if (r < 0)
                        break;
                if (!(o->kind = strdup(kind)))
                        return -ENOMEM;
                r = sd_bus_message_enter_container(reply, 'a', "(dt)");
                while (r >= 0) {
                        double le;
                        uint64_t n;
                        r = sd_bus_message_read(reply, "(dt)", &le, &n);
                        if (r <= 0)
                                break;
                        if (o->n_buckets > 0 && !(le > o->le[o->n_buckets - 1]))
                                return -EBADMSG; /* bounds must ascend */
                        double *l = grow((void **) &o->le, o->n_buckets, sizeof *l);
                        uint64_t *b = l ? grow((void **) &o->bucket, o->n_buckets, sizeof *b) : NULL;
                        if (!b)
                                return -ENOMEM;
                        *l = le;
                        *b = n;
                        o->n_buckets++;
                }
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
        }
        return r;
}

typedef int (*ReadFn)(sd_bus_message *reply, Snapshot *s);

/* 1: read; 0: the daemon has no such method (optional ones); < 0: failed. */
static int read_method(sd_bus *bus, const char *member, ReadFn fn, Snapshot *s) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = collect_call(bus, member, &error, &reply);
        if (r < 0) {
                if (sd_bus_error_has_name(&error, SD_BUS_ERROR_UNKNOWN_METHOD))
                        return 0;
                log_debug("%s failed: %s", member, error.message ? error.message : strerror(-r));
                return r;
        }
        r = fn(reply, s);
        if (r < 0 && r != -ENOMEM) {
                log_debug_errno(r, "%s's reply cannot be read: %m", member);
                return -EBADMSG;
        }
        return r < 0 ? r : 1;
}

static int read_all_properties(sd_bus *bus, Snapshot *s) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        _cleanup_(sd_bus_error_free) sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_message_new_method_call(bus, &reply, ACCELNET_BUS_NAME, ACCELNET_BUS_PATH,
                                           "org.freedesktop.DBus.Properties", "GetAll");
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", ACCELNET_BUS_MANAGER_INTERFACE);
        if (r >= 0)
                r = sd_bus_message_set_auto_start(reply, false);
        if (r < 0)
                return r;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *answer = NULL;
        r = sd_bus_call(bus, reply, COLLECT_CALL_TIMEOUT_USEC, &error, &answer);
        if (r < 0) {
                log_debug("accelnetd does not answer: %s", error.message ? error.message : strerror(-r));
                return r;
        }
        r = read_properties(answer, s);
        return r == -ENOMEM ? r : r < 0 ? -EBADMSG : 0;
}

static int scrape_bus(Collector *c, Snapshot *s) {
        int r;

        if (!c->bus) {
                r = sd_bus_open_system(&c->bus);
                if (r < 0) {
                        log_debug_errno(r, "Cannot connect to the system bus: %m");
                        c->bus = NULL;
                        return 0;
                }
                (void) sd_bus_set_description(c->bus, "accelnet-exporter");
        }
        r = read_all_properties(c->bus, s);
        if (r >= 0)
                r = read_method(c->bus, "ListNodes", read_nodes, s);
        if (r >= 0)
                r = read_method(c->bus, "ListAdapters", read_adapters, s);
        if (r >= 0)
                r = read_method(c->bus, "ListClusterVMs", read_vms, s);
        if (r == -ENOMEM)
                return r;
        if (r <= 0) {
                /* A bus that went away (dbus restarted) is opened again at the next scrape. */
                if (sd_bus_is_open(c->bus) <= 0)
                        c->bus = sd_bus_flush_close_unref(c->bus);
                return 0;
        }
        s->up = true;
        r = read_method(c->bus, "ListNodeCapacity", read_node_capacity, s);
        if (r == -ENOMEM)
                return r;
        s->has_node_capacity = r > 0;
        r = read_method(c->bus, "GetOperationStats", read_ops, s);
        if (r == -ENOMEM)
                return r;
        s->has_ops = r > 0;
        return collect_health(c->bus, s);
}

int collector_scrape(Collector *c, Snapshot *s) {
        int r;

        *s = (Snapshot){};
        r = scrape_bus(c, s);
        if (r < 0)
                return r;
        if (!s->up) {
                /* Half-read answers say nothing: only accelnet_up and accelnet_info go out. */
                snapshot_done(s);
                *s = (Snapshot){};
                return 0;
        }
        for (size_t i = 0; i < s->n_adapters; i++) {
                r = vf_stats_read(c->vf, &s->adapters[i]);
                if (r == -ENOMEM)
                        return r;
        }
        return 0;
}

void snapshot_done(Snapshot *s) {
        if (!s)
                return;
        free(s->version);
        free(s->intent);
        free(s->node_name);
        for (size_t i = 0; i < s->n_nodes; i++)
                free(s->nodes[i].name);
        free(s->nodes);
        for (size_t i = 0; i < s->n_adapters; i++) {
                AdapterRow *a = &s->adapters[i];
                free(a->address);
                free(a->ifname);
                free(a->driver);
                free(a->verdict);
                free(a->vfs);
        }
        free(s->adapters);
        for (size_t i = 0; i < s->n_vms; i++) {
                VmRow *v = &s->vms[i];
                free(v->name);
                free(v->node);
                free(v->state);
                free(v->performance);
                free(v->vf);
                free(v->note);
        }
        free(s->vms);
        for (size_t i = 0; i < s->n_ops; i++) {
                free(s->ops[i].kind);
                free(s->ops[i].le);
                free(s->ops[i].bucket);
        }
        free(s->ops);
        for (size_t i = 0; i < s->n_health; i++) {
                free(s->health[i].address);
                free(s->health[i].ifname);
                free(s->health[i].state);
        }
        free(s->health);
        *s = (Snapshot){};
}
