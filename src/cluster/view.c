/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The replicated settings and the nodes' facts (view.h): every member applies the same
 * messages in the same order, so every member decides alike. Messages are JSON objects
 * with a type "t": sync, facts, settings, claim, request, reply. */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>

#include "shared/anerror.h"
#include "shared/macro.h"
#include "shared/strutil.h"
#include "view.h"

#define MSG_MAX_VMS 65536u

#define _cleanup_json_ _cleanup_(json_decrefp)

/* ---- settings and facts ----------------------------------------------------------------- */

void cluster_settings_done(ClusterSettings *s) {
        s->intent = mfree(s->intent);
}

int cluster_settings_copy(ClusterSettings *dst, const ClusterSettings *src) {
        char *i = NULL;
        if (src->intent && !(i = strdup(src->intent)))
                return -ENOMEM;
        free(dst->intent);
        *dst = *src;
        dst->intent = i;
        return 0;
}

bool cluster_settings_same(const ClusterSettings *a, const ClusterSettings *b) {
        if (a->enabled != b->enabled)
                return false;
        if (!a->enabled)
                return true;
        return streq_ptr(a->intent, b->intent) && a->reserve == b->reserve;
}

static void cluster_vm_done(ClusterVm *vm) {
        free(vm->name);
        free(vm->state);
        free(vm->performance);
        free(vm->vf);
        free(vm->note);
        *vm = (ClusterVm){};
}

void node_facts_done(NodeFacts *f) {
        free(f->name);
        free(f->kernel);
        free(f->libvirt);
        free(f->tiers);
        free(f->note);
        free(f->health);
        for (size_t i = 0; i < f->n_vms; i++)
                cluster_vm_done(&f->vms[i]);
        free(f->vms);
        *f = (NodeFacts){ .ht = -1 };
}

unsigned node_facts_assigned(const NodeFacts *f) {
        unsigned n = 0;
        for (size_t i = 0; i < f->n_vms; i++)
                if (!isempty(f->vms[i].vf))
                        n++;
        return n;
}

static int cmp_vm(const void *a, const void *b) {
        return strcmp(((const ClusterVm *) a)->name, ((const ClusterVm *) b)->name);
}

const ClusterVm *node_facts_find_vm(const NodeFacts *f, const char *name) {
        ClusterVm key = { .name = (char *) name };
        if (!f->vms)
                return NULL;
        return bsearch(&key, f->vms, f->n_vms, sizeof(ClusterVm), cmp_vm);
}

static bool facts_equal_str(const char *a, const char *b) {
        return streq(strempty(a), strempty(b));
}

static bool node_facts_equal(const NodeFacts *a, const NodeFacts *b) {
        if (a->ht != b->ht || a->capacity != b->capacity || a->free != b->free ||
            memcmp(a->free_tier, b->free_tier, sizeof a->free_tier) != 0 || a->claim_seq != b->claim_seq ||
            a->n_vms != b->n_vms ||
            !facts_equal_str(a->name, b->name) || !facts_equal_str(a->kernel, b->kernel) ||
            !facts_equal_str(a->libvirt, b->libvirt) || !facts_equal_str(a->tiers, b->tiers) ||
            !facts_equal_str(a->note, b->note) || !streq_ptr(a->health, b->health))
                return false;
        for (size_t i = 0; i < a->n_vms; i++) {
                const ClusterVm *x = &a->vms[i], *y = &b->vms[i];
                if (!facts_equal_str(x->name, y->name) || !facts_equal_str(x->state, y->state) ||
                    !facts_equal_str(x->performance, y->performance) || !facts_equal_str(x->vf, y->vf) ||
                    !facts_equal_str(x->note, y->note))
                        return false;
        }
        return true;
}

/* ---- the view --------------------------------------------------------------------------- */

static void view_node_drop_claims(ViewNode *n) {
        for (size_t i = 0; i < n->n_claims; i++)
                free(n->claims[i].vm);
        n->claims = mfree(n->claims);
        n->n_claims = 0;
}

static void view_node_done(ViewNode *n) {
        node_facts_done(&n->facts);
        view_node_drop_claims(n);
        cluster_settings_done(&n->sync_settings);
}

int cluster_view_new(uint32_t self, ClusterUsableFn usable_fn, ClusterView **ret) {
        ClusterView *v = calloc(1, sizeof *v);
        if (!v)
                return -ENOMEM;
        v->self = self;
        v->usable_fn = usable_fn;
        v->next_claim_seq = 1;
        *ret = v;
        return 0;
}

ClusterView *cluster_view_free(ClusterView *v) {
        if (!v)
                return NULL;
        for (size_t i = 0; i < v->n_nodes; i++)
                view_node_done(&v->nodes[i]);
        free(v->nodes);
        cluster_settings_done(&v->settings);
        node_facts_done(&v->own);
        free(v);
        return NULL;
}

int cluster_view_load_settings(ClusterView *v, const ClusterSettings *s) {
        return cluster_settings_copy(&v->settings, s);
}

ViewNode *cluster_view_node(ClusterView *v, uint32_t id) {
        for (size_t i = 0; i < v->n_nodes; i++)
                if (v->nodes[i].id == id)
                        return &v->nodes[i];
        return NULL;
}

static ViewNode *view_node_add(ClusterView *v, uint32_t id) {
        ViewNode *n = cluster_view_node(v, id);
        if (n)
                return n;
        ViewNode *nv = realloc(v->nodes, sizeof(ViewNode) * (v->n_nodes + 1));
        if (!nv)
                return NULL;
        v->nodes = nv;
        size_t at = v->n_nodes;
        while (at > 0 && v->nodes[at - 1].id > id)
                at--;
        memmove(&v->nodes[at + 1], &v->nodes[at], sizeof(ViewNode) * (v->n_nodes - at));
        v->nodes[at] = (ViewNode){ .id = id, .facts.ht = -1 };
        v->n_nodes++;
        return &v->nodes[at];
}

bool cluster_view_set_own_facts(ClusterView *v, NodeFacts *f) {
        bool changed = !v->has_own || !node_facts_equal(&v->own, f);
        node_facts_done(&v->own);
        v->own = *f;
        v->has_own = true;
        *f = (NodeFacts){ .ht = -1 };
        return changed;
}

/* The facts that count for node n: delivered ones, or ours before anything was delivered. */
static const NodeFacts *node_counted_facts(const ClusterView *v, const ViewNode *n) {
        if (n->has_facts)
                return &n->facts;
        if (n->id == v->self && v->has_own)
                return &v->own;
        return NULL;
}

void cluster_view_counts(const ClusterView *v, ClusterCounts *ret) {
        _cleanup_free_ unsigned *caps = calloc(v->n_nodes ? v->n_nodes : 1, sizeof(unsigned));
        size_t n = 0;
        unsigned assigned = 0, capacity = 0;

        for (size_t i = 0; i < v->n_nodes; i++) {
                const ViewNode *node = &v->nodes[i];
                const NodeFacts *f = node_counted_facts(v, node); /* ours: corosync may be away */
                if (!node->member || !f || !caps)
                        continue;
                caps[n++] = f->capacity;
                capacity += f->capacity;
                assigned += node_facts_assigned(f);
                for (size_t c = 0; c < node->n_claims; c++) {
                        const ClusterVm *vm = node_facts_find_vm(f, node->claims[c].vm);
                        if (!vm || isempty(vm->vf))
                                assigned++;
                }
        }
        *ret = (ClusterCounts){ .n = (unsigned) n, .capacity = capacity, .assigned = assigned };
        ret->usable = v->usable_fn ? v->usable_fn(caps, n, v->settings.reserve, &ret->k) : capacity;
}

void cluster_view_node_free(const ClusterView *v, const ViewNode *n, NodeFree *ret) {
        /* our own numbers as they are now (the others' as delivered): no decision rests on
         * them, and this node is the one they describe */
        const NodeFacts *f = n->id == v->self && v->has_own ? &v->own : node_counted_facts(v, n);
        ClusterCounts c;

        *ret = (NodeFree){};
        if (!n->member || !f)
                return;
        cluster_view_counts(v, &c);
        unsigned room = c.capacity > c.assigned ? c.capacity - c.assigned : 0;
        ret->free = f->free < room ? f->free : room;
        for (Tier k = 0; k < _TIER_MAX; k++)
                ret->tier[k] = f->free_tier[k] < ret->free ? f->free_tier[k] : ret->free;
}

/* ---- messages out ----------------------------------------------------------------------- */

static int json_dump_text(json_t *j, char **ret) {
        if (!j)
                return -ENOMEM;
        char *s = json_dumps(j, JSON_COMPACT);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

static json_t *settings_to_json(const ClusterSettings *s) {
        return json_pack("{s:b, s:s?, s:i, s:I, s:I}", "enabled", s->enabled, "intent", s->intent, "reserve",
                         (json_int_t) s->reserve, "version", (json_int_t) s->version, "origin",
                         (json_int_t) s->origin);
}

static json_t *facts_to_json(const NodeFacts *f) {
        json_t *vms = json_array();
        if (!vms)
                return NULL;
        for (size_t i = 0; i < f->n_vms; i++) {
                const ClusterVm *vm = &f->vms[i];
                if (json_array_append_new(vms, json_pack("[sssss]", vm->name, strempty(vm->state),
                                                         strempty(vm->performance), strempty(vm->vf),
                                                         strempty(vm->note))) < 0) {
                        json_decref(vms);
                        return NULL;
                }
        }
        /* "health" only when known: a node without it sends what nodes before it sent */
        return json_pack("{s:s, s:i, s:s, s:s, s:s, s:i, s:I, s:[III], s:s, s:I, s:o, s:s*}", "name", strempty(f->name),
                         "ht", f->ht, "kernel", strempty(f->kernel), "libvirt", strempty(f->libvirt), "tiers",
                         strempty(f->tiers), "capacity", (json_int_t) f->capacity, "free", (json_int_t) f->free,
                         "free_tiers", (json_int_t) f->free_tier[TIER_LOW], (json_int_t) f->free_tier[TIER_MEDIUM],
                         (json_int_t) f->free_tier[TIER_HIGH], "note", strempty(f->note), "claim_seq",
                         (json_int_t) f->claim_seq, "vms", vms, "health", f->health);
}

static json_t *own_facts_json(const ClusterView *v) {
        NodeFacts none = { .ht = -1 };
        return facts_to_json(v->has_own ? &v->own : &none);
}

int cluster_view_membership(ClusterView *v, const uint32_t *members, size_t n, uint64_t ring, char **ret) {
        for (size_t i = 0; i < n; i++)
                if (!view_node_add(v, members[i]))
                        return -ENOMEM;
        v->n_members = 0;
        for (size_t i = 0; i < v->n_nodes; i++) {
                ViewNode *node = &v->nodes[i];
                bool member = false;
                for (size_t k = 0; k < n; k++)
                        member = member || members[k] == node->id;
                node->member = member;
                node->synced = false;
                cluster_settings_done(&node->sync_settings);
                /* claims are re-announced in the facts of the SYNC */
                view_node_drop_claims(node);
                if (member)
                        v->n_members++;
        }
        /* corosync keeps its ring when only a process joins or leaves (an accelnetd restarted):
         * the members are part of what names this membership */
        uint64_t tag = ring ^ 0xcbf29ce484222325ULL;
        for (size_t i = 0; i < n; i++)
                tag = (tag ^ members[i]) * 0x100000001b3ULL;
        v->ring = tag & INT64_MAX;
        v->synced = false;
        _cleanup_json_ json_t *j = json_pack("{s:s, s:I, s:o, s:o}", "t", "sync", "ring", (json_int_t) v->ring, "settings",
                                             settings_to_json(&v->settings), "facts", own_facts_json(v));
        return json_dump_text(j, ret);
}

int cluster_msg_facts(const ClusterView *v, char **ret) {
        _cleanup_json_ json_t *j = json_pack("{s:s, s:o}", "t", "facts", "facts", own_facts_json(v));
        return json_dump_text(j, ret);
}

static const char *const op_names[] = {
        [CLUSTER_OP_ENABLE] = "enable",
        [CLUSTER_OP_SET] = "set",
        [CLUSTER_OP_DISABLE] = "disable",
};

int cluster_msg_settings(uint64_t req, ClusterOp op, const char *intent, unsigned reserve, char **ret) {
        _cleanup_json_ json_t *j = json_pack("{s:s, s:I, s:s, s:s?, s:I}", "t", "settings", "req", (json_int_t) req,
                                             "op", op_names[op], "intent", isempty(intent) ? NULL : intent, "reserve",
                                             (json_int_t) reserve);
        return json_dump_text(j, ret);
}

int cluster_msg_claim(ClusterView *v, const char *vm, uint64_t *ret_seq, char **ret) {
        uint64_t seq = v->next_claim_seq;
        _cleanup_json_ json_t *j = json_pack("{s:s, s:I, s:s}", "t", "claim", "seq", (json_int_t) seq, "vm", vm);
        int r = json_dump_text(j, ret);
        if (r < 0)
                return r;
        v->next_claim_seq++;
        *ret_seq = seq;
        return 0;
}

int cluster_msg_request(uint64_t req, uint32_t to, const char *method, const char *vm, const char *performance,
                        char **ret) {
        _cleanup_json_ json_t *j = json_pack("{s:s, s:I, s:I, s:s, s:s, s:s}", "t", "request", "req", (json_int_t) req,
                                             "to", (json_int_t) to, "method", method, "vm", vm, "performance",
                                             strempty(performance));
        return json_dump_text(j, ret);
}

int cluster_msg_reply(uint64_t req, uint32_t to, const char *error, const char *message, char **ret) {
        _cleanup_json_ json_t *j = json_pack("{s:s, s:I, s:I, s:s, s:s}", "t", "reply", "req", (json_int_t) req, "to",
                                             (json_int_t) to, "error", strempty(error), "message", strempty(message));
        return json_dump_text(j, ret);
}

/* ---- messages in ------------------------------------------------------------------------ */

void view_event_done(ViewEvent *e) {
        free(e->method);
        free(e->vm);
        free(e->performance);
        free(e->error_name);
        free(e->reply_message);
        *e = (ViewEvent){};
}

static const char *json_str(json_t *o, const char *key) {
        json_t *s = json_object_get(o, key);
        return json_is_string(s) ? json_string_value(s) : NULL;
}

static int json_uint(json_t *o, const char *key, uint64_t max, uint64_t *ret) {
        json_t *n = json_object_get(o, key);
        if (!json_is_integer(n) || json_integer_value(n) < 0 || (uint64_t) json_integer_value(n) > max)
                return -EBADMSG;
        *ret = (uint64_t) json_integer_value(n);
        return 0;
}

static int dup_str(json_t *o, const char *key, char **ret) {
        const char *s = json_str(o, key);
        if (!s)
                return -EBADMSG;
        return (*ret = strdup(s)) ? 0 : -ENOMEM;
}

static int settings_from_json(json_t *o, ClusterSettings *ret) {
        json_t *en = json_object_get(o, "enabled"), *in = json_object_get(o, "intent");
        uint64_t reserve, version, origin;
        if (!json_is_boolean(en) || (in && !json_is_null(in) && !json_is_string(in)) ||
            json_uint(o, "reserve", 99, &reserve) < 0 || json_uint(o, "version", INT64_MAX, &version) < 0 ||
            json_uint(o, "origin", UINT32_MAX, &origin) < 0)
                return -EBADMSG;
        *ret = (ClusterSettings){ .enabled = json_is_true(en), .reserve = (unsigned) reserve, .version = version,
                                  .origin = (uint32_t) origin };
        if (json_is_string(in) && !(ret->intent = strdup(json_string_value(in))))
                return -ENOMEM;
        return 0;
}

int cluster_settings_format(const ClusterSettings *s, char **ret) {
        _cleanup_json_ json_t *j = settings_to_json(s);
        char *text = j ? json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS) : NULL;
        if (!text)
                return -ENOMEM;
        *ret = text;
        return 0;
}

int cluster_settings_parse(const char *text, size_t size, ClusterSettings *ret) {
        _cleanup_json_ json_t *j = json_loadb(text, size, JSON_REJECT_DUPLICATES, NULL);
        *ret = (ClusterSettings){};
        return j ? settings_from_json(j, ret) : -EBADMSG;
}

static int free_from_json(json_t *o, NodeFacts *f) {
        json_t *tiers = json_object_get(o, "free_tiers");
        uint64_t n;

        if (!json_object_get(o, "free") && !tiers)
                return 0;
        if (json_uint(o, "free", UINT32_MAX, &n) < 0 || !json_is_array(tiers) || json_array_size(tiers) != _TIER_MAX)
                return -EBADMSG;
        f->free = (unsigned) n;
        for (Tier k = 0; k < _TIER_MAX; k++) {
                json_t *t = json_array_get(tiers, (size_t) k);
                if (!json_is_integer(t) || json_integer_value(t) < 0 || json_integer_value(t) > UINT32_MAX)
                        return -EBADMSG;
                f->free_tier[k] = (unsigned) json_integer_value(t);
        }
        return 0;
}

static int facts_from_json(json_t *o, NodeFacts *ret) {
        _cleanup_(node_facts_done) NodeFacts f = { .ht = -1 };
        json_t *vms = json_object_get(o, "vms"), *ht = json_object_get(o, "ht");
        uint64_t cap, seq;
        int r;

        if (!json_is_object(o) || !json_is_array(vms) || json_array_size(vms) > MSG_MAX_VMS || !json_is_integer(ht) ||
            json_uint(o, "capacity", UINT32_MAX, &cap) < 0 || json_uint(o, "claim_seq", INT64_MAX, &seq) < 0)
                return -EBADMSG;
        f.ht = json_integer_value(ht) > 0 ? 1 : json_integer_value(ht) == 0 ? 0 : -1;
        f.capacity = (unsigned) cap;
        /* free and free_tiers came with ListNodeCapacity: a node older than that has neither
         * (0 free there, as far as we know) */
        if ((r = free_from_json(o, &f)) < 0)
                return r;
        f.claim_seq = seq;
        if ((r = dup_str(o, "name", &f.name)) < 0 || (r = dup_str(o, "kernel", &f.kernel)) < 0 ||
            (r = dup_str(o, "libvirt", &f.libvirt)) < 0 || (r = dup_str(o, "tiers", &f.tiers)) < 0 ||
            (r = dup_str(o, "note", &f.note)) < 0)
                return r;
        /* optional (nodes before health reporting lack it), a string when there */
        if (json_object_get(o, "health") && (r = dup_str(o, "health", &f.health)) < 0)
                return r;
        if (json_array_size(vms) > 0 && !(f.vms = calloc(json_array_size(vms), sizeof(ClusterVm))))
                return -ENOMEM;
        size_t i;
        json_t *row;
        json_array_foreach(vms, i, row) {
                const char *s[5];
                if (!json_is_array(row) || json_array_size(row) != 5)
                        return -EBADMSG;
                for (size_t k = 0; k < 5; k++)
                        if (!(s[k] = json_string_value(json_array_get(row, k))))
                                return -EBADMSG;
                ClusterVm *vm = &f.vms[f.n_vms++];
                if (!(vm->name = strdup(s[0])) || !(vm->state = strdup(s[1])) || !(vm->performance = strdup(s[2])) ||
                    !(vm->vf = strdup(s[3])) || !(vm->note = strdup(s[4])))
                        return -ENOMEM;
        }
        if (f.n_vms > 1)
                qsort(f.vms, f.n_vms, sizeof(ClusterVm), cmp_vm);
        *ret = f;
        f = (NodeFacts){ .ht = -1 };
        return 0;
}

static void node_take_facts(ViewNode *n, NodeFacts *f) {
        size_t k = 0;
        for (size_t i = 0; i < n->n_claims; i++) {
                if (n->claims[i].seq <= f->claim_seq)
                        free(n->claims[i].vm);
                else
                        n->claims[k++] = n->claims[i];
        }
        n->n_claims = k;
        node_facts_done(&n->facts);
        n->facts = *f;
        n->has_facts = true;
        *f = (NodeFacts){ .ht = -1 };
}

static const char *node_label(const ViewNode *n, char buf[static 32]) {
        if (n->has_facts && !isempty(n->facts.name))
                return n->facts.name;
        snprintf(buf, 32, "node %" PRIu32, n->id);
        return buf;
}

static void event_refuse(ViewEvent *e, int error, const char *fmt, ...) _printf_(3, 4);
static void event_refuse(ViewEvent *e, int error, const char *fmt, ...) {
        va_list ap;
        e->error = error;
        va_start(ap, fmt);
        vsnprintf(e->message, sizeof e->message, fmt, ap);
        va_end(ap);
}

/* Hyperthreading must be alike on every member: the odd ones are the smaller group (on a
 * tie, the group without the lowest node id). */
static bool ht_check(const ClusterView *v, ViewEvent *e) {
        unsigned on = 0, off = 0;
        int first = -1;
        for (size_t i = 0; i < v->n_nodes; i++) {
                const ViewNode *n = &v->nodes[i];
                if (!n->member || !n->has_facts || n->facts.ht < 0)
                        continue;
                if (first < 0)
                        first = n->facts.ht;
                n->facts.ht ? on++ : off++;
        }
        if (on == 0 || off == 0)
                return true;
        int odd = on < off ? 1 : off < on ? 0 : !first;
        StrBuf names = {};
        for (size_t i = 0; i < v->n_nodes; i++) {
                const ViewNode *n = &v->nodes[i];
                char buf[32];
                if (n->member && n->has_facts && n->facts.ht == odd)
                        strbuf_appendf(&names, "%s%s", names.len ? ", " : "", node_label(n, buf));
        }
        event_refuse(e, -AN_ERROR_HYPERTHREADING_CHECK_FAILED,
                     "%s Hyperthreading is %s on %s but %s on the other %u node(s). %s",
                     an_error_message(AN_ERROR_HYPERTHREADING_CHECK_FAILED), odd ? "on" : "off", strempty(names.s),
                     odd ? "off" : "on", odd ? off : on, an_error_remedy(AN_ERROR_HYPERTHREADING_CHECK_FAILED));
        strbuf_done(&names);
        return false;
}

static bool capacity_check(ClusterView *v, unsigned reserve, ViewEvent *e) {
        unsigned saved = v->settings.reserve;
        ClusterCounts c;
        v->settings.reserve = reserve;
        cluster_view_counts(v, &c);
        v->settings.reserve = saved;
        if (c.assigned <= c.usable || c.capacity == 0)
                return true;
        event_refuse(e, -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES,
                     "%u VFs are assigned in the cluster but with %u node(s) and a node reserve of %u%% (%u node(s) "
                     "held in reserve) only %u of %u VFs are usable. Disable acceleration on %u VM(s) first or "
                     "choose a lower reserve.", c.assigned, c.n, reserve, c.k, c.usable, c.capacity,
                     c.assigned - c.usable);
        return false;
}

static int deliver_settings(ClusterView *v, uint32_t from, json_t *o, ViewEvent *e) {
        const char *op = json_str(o, "op");
        json_t *in = json_object_get(o, "intent");
        uint64_t req, reserve;

        if (!op || json_uint(o, "req", INT64_MAX, &req) < 0 || json_uint(o, "reserve", UINT32_MAX, &reserve) < 0 ||
            (in && !json_is_null(in) && !json_is_string(in)) || (reserve > 99 && reserve != CLUSTER_RESERVE_KEEP))
                return -EBADMSG;
        const char *intent = json_is_string(in) ? json_string_value(in) : NULL;
        *e = (ViewEvent){ .type = VIEW_EVENT_SETTINGS, .from = from, .mine = from == v->self, .req = req };
        if (!v->synced) {
                event_refuse(e, -AN_ERROR_BUSY, "The cluster is synchronising after a membership change; retry.");
                return 0;
        }
        ClusterSettings next = { .enabled = v->settings.enabled, .reserve = v->settings.reserve };
        const char *cur = v->settings.intent;
        if (streq(op, "enable")) {
                if (!intent || reserve > 99)
                        return -EBADMSG;
                if (v->settings.enabled && streq_ptr(cur, intent) && v->settings.reserve == reserve)
                        return 0;
                if (v->settings.enabled) {
                        event_refuse(e, -AN_ERROR_ALREADY_ENABLED,
                                     "Accelerated Networking is already enabled in the cluster on intent '%s' with "
                                     "node reserve %u%%. To change it use Set ('accelnetctl set --intent %s "
                                     "--node-reserve %" PRIu64 "').", strempty(cur), v->settings.reserve, intent,
                                     reserve);
                        return 0;
                }
                next.enabled = true;
                next.intent = (char *) intent;
                next.reserve = (unsigned) reserve;
        } else if (streq(op, "set")) {
                if (!v->settings.enabled) {
                        event_refuse(e, -AN_ERROR_NOT_ENABLED, "%s %s", an_error_message(AN_ERROR_NOT_ENABLED),
                                     an_error_remedy(AN_ERROR_NOT_ENABLED));
                        return 0;
                }
                next.intent = (char *) (intent ? intent : cur);
                if (reserve != CLUSTER_RESERVE_KEEP)
                        next.reserve = (unsigned) reserve;
                if (streq_ptr(next.intent, cur) && next.reserve == v->settings.reserve)
                        return 0;
        } else if (streq(op, "disable")) {
                if (!v->settings.enabled)
                        return 0;
                next.enabled = false;
        } else
                return -EBADMSG;
        if (next.enabled && (!ht_check(v, e) || !capacity_check(v, next.reserve, e)))
                return 0;
        char *ni = NULL;
        if (next.enabled && !(ni = strdup(next.intent)))
                return -ENOMEM;
        free(v->settings.intent);
        v->settings = (ClusterSettings){ .enabled = next.enabled, .intent = ni, .reserve = next.reserve,
                                         .version = v->settings.version + 1, .origin = from };
        e->changed = true;
        return 0;
}

static void sync_finish(ClusterView *v, ViewEvent *e) {
        const ViewNode *win = NULL;
        for (size_t i = 0; i < v->n_nodes; i++) {
                const ViewNode *n = &v->nodes[i];
                if (!n->member)
                        continue;
                if (!n->synced)
                        return;
                /* nodes are sorted by id: on a tie the first (lowest id) stays */
                if (!win || n->sync_settings.version > win->sync_settings.version)
                        win = n;
        }
        v->synced = true;
        *e = (ViewEvent){ .type = VIEW_EVENT_SYNCED };
        if (!win)
                return;
        StrBuf drift = {};
        for (size_t i = 0; i < v->n_nodes; i++) {
                const ViewNode *n = &v->nodes[i];
                char buf[32];
                if (!n->member || (cluster_settings_same(&n->sync_settings, &win->sync_settings) &&
                                   n->sync_settings.version == win->sync_settings.version))
                        continue;
                const ClusterSettings *s = &n->sync_settings;
                strbuf_appendf(&drift, "%s%s had %s%s%s, reserve %u%% (version %" PRIu64 ")", drift.len ? "; " : "",
                               node_label(n, buf), s->enabled ? "intent '" : "management disabled",
                               s->enabled ? strempty(s->intent) : "", s->enabled ? "'" : "", s->reserve, s->version);
        }
        if (drift.len) {
                char buf[32];
                const ClusterSettings *w = &win->sync_settings;
                snprintf(e->message, sizeof e->message,
                         "Settings differed after a membership change; %s's (version %" PRIu64 ": %s%s%s, reserve "
                         "%u%%) are in force: %s.", node_label(win, buf), w->version,
                         w->enabled ? "intent '" : "management disabled", w->enabled ? strempty(w->intent) : "",
                         w->enabled ? "'" : "", w->reserve, drift.s);
        }
        strbuf_done(&drift);
        if (!cluster_settings_same(&v->settings, &win->sync_settings) ||
            v->settings.version != win->sync_settings.version) {
                e->changed = !cluster_settings_same(&v->settings, &win->sync_settings);
                if (cluster_settings_copy(&v->settings, &win->sync_settings) < 0)
                        e->changed = false;
        }
}

static int deliver_sync(ClusterView *v, uint32_t from, json_t *o, ViewEvent *e) {
        _cleanup_(node_facts_done) NodeFacts f = { .ht = -1 };
        ClusterSettings s = {};
        uint64_t ring;
        int r;

        if (json_uint(o, "ring", INT64_MAX, &ring) < 0)
                return -EBADMSG;
        ViewNode *n = cluster_view_node(v, from);
        if (ring != v->ring || !n || !n->member || n->synced)
                return 0; /* of another membership */
        if ((r = settings_from_json(json_object_get(o, "settings"), &s)) < 0 ||
            (r = facts_from_json(json_object_get(o, "facts"), &f)) < 0) {
                cluster_settings_done(&s);
                return r;
        }
        n->synced = true;
        cluster_settings_done(&n->sync_settings);
        n->sync_settings = s;
        node_take_facts(n, &f);
        sync_finish(v, e);
        return 0;
}

static int deliver_facts(ClusterView *v, uint32_t from, json_t *o, ViewEvent *e) {
        _cleanup_(node_facts_done) NodeFacts f = { .ht = -1 };
        int r = facts_from_json(json_object_get(o, "facts"), &f);
        if (r < 0)
                return r;
        ViewNode *n = cluster_view_node(v, from);
        if (!n || !n->member)
                return 0;
        node_take_facts(n, &f);
        *e = (ViewEvent){ .type = VIEW_EVENT_FACTS, .from = from };
        return 0;
}

static int deliver_claim(ClusterView *v, uint32_t from, json_t *o, ViewEvent *e) {
        const char *vm = json_str(o, "vm");
        uint64_t seq;

        if (!vm || json_uint(o, "seq", INT64_MAX, &seq) < 0)
                return -EBADMSG;
        ViewNode *n = cluster_view_node(v, from);
        if (!n || !n->member)
                return 0;
        *e = (ViewEvent){ .type = VIEW_EVENT_CLAIM, .from = from, .mine = from == v->self, .seq = seq };
        if (!v->synced)
                return event_refuse(e, -AN_ERROR_BUSY, "The cluster is synchronising after a membership change; retry."),
                       0;
        if (!v->settings.enabled)
                return event_refuse(e, -AN_ERROR_NOT_ENABLED, "%s %s", an_error_message(AN_ERROR_NOT_ENABLED),
                                    an_error_remedy(AN_ERROR_NOT_ENABLED)),
                       0;
        const ClusterVm *have = n->has_facts ? node_facts_find_vm(&n->facts, vm) : NULL;
        bool counted = have && !isempty(have->vf);
        for (size_t i = 0; i < n->n_claims; i++)
                counted = counted || streq(n->claims[i].vm, vm);
        if (!counted) {
                ClusterCounts c;
                cluster_view_counts(v, &c);
                if (c.assigned + 1 > c.usable)
                        return event_refuse(e, -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES,
                                            "%s With %u node(s) and a node reserve of %u%%, %u node(s) are held in "
                                            "reserve: %u of the cluster's %u VFs are usable and %u are assigned. %s",
                                            an_error_message(AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES), c.n,
                                            v->settings.reserve, c.k, c.usable, c.capacity, c.assigned,
                                            an_error_remedy(AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES)),
                               0;
        }
        struct ViewClaim *cv = realloc(n->claims, sizeof(struct ViewClaim) * (n->n_claims + 1));
        if (!cv)
                return -ENOMEM;
        n->claims = cv;
        if (!(cv[n->n_claims].vm = strdup(vm)))
                return -ENOMEM;
        cv[n->n_claims++].seq = seq;
        return 0;
}

/* A request or reply is for one node ("to"): the others ignore it. Fills e for us and
 * copies the two string fields named into the given places. */
static int deliver_addressed(ClusterView *v, uint32_t from, json_t *o, ViewEventType type, const char *key1,
                             char **ret1, const char *key2, char **ret2, ViewEvent *e) {
        uint64_t req, to;
        int r;

        if (json_uint(o, "req", INT64_MAX, &req) < 0 || json_uint(o, "to", UINT32_MAX, &to) < 0)
                return -EBADMSG;
        if (to != v->self)
                return 0;
        *e = (ViewEvent){ .type = type, .from = from, .req = req };
        if ((r = dup_str(o, key1, ret1)) < 0 || (r = dup_str(o, key2, ret2)) < 0) {
                view_event_done(e);
                return r;
        }
        return 0;
}

static int deliver_request(ClusterView *v, uint32_t from, json_t *o, ViewEvent *e) {
        int r = deliver_addressed(v, from, o, VIEW_EVENT_REQUEST, "method", &e->method, "vm", &e->vm, e);
        if (r < 0 || e->type != VIEW_EVENT_REQUEST)
                return r;
        if ((r = dup_str(o, "performance", &e->performance)) < 0)
                view_event_done(e);
        return r;
}

static int deliver_reply(ClusterView *v, uint32_t from, json_t *o, ViewEvent *e) {
        return deliver_addressed(v, from, o, VIEW_EVENT_REPLY, "error", &e->error_name, "message", &e->reply_message, e);
}

int cluster_view_deliver(ClusterView *v, uint32_t from, const void *data, size_t len, ViewEvent *ret) {
        _cleanup_json_ json_t *o = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
        const char *t = o ? json_str(o, "t") : NULL;

        *ret = (ViewEvent){};
        if (!t)
                return -EBADMSG;
        if (streq(t, "sync"))
                return deliver_sync(v, from, o, ret);
        if (streq(t, "facts"))
                return deliver_facts(v, from, o, ret);
        if (streq(t, "settings"))
                return deliver_settings(v, from, o, ret);
        if (streq(t, "claim"))
                return deliver_claim(v, from, o, ret);
        if (streq(t, "request"))
                return deliver_request(v, from, o, ret);
        if (streq(t, "reply"))
                return deliver_reply(v, from, o, ret);
        return -EBADMSG;
}
