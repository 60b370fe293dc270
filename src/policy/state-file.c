/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* STATE_DIR/state.json: serialisation, strict parsing, and moving unusable files aside. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "policy/config.h"
#include "policy/jsonutil.h"
#include "policy/state-internal.h"
#include "policy/state.h"
#include "policy/waiting.h"
#include "shared/fileio.h"
#include "shared/macro.h"
#include "shared/strutil.h"

#define STATE_FILE_MAX (64u * 1024u * 1024u)
#define STATE_VMS_MAX 65536u       /* the largest max_vms the configuration allows */
#define STATE_PFS_MAX 4096u
#define STATE_NAME_MAX 1024u       /* VM names and interface aliases */

/* ---- writing ---- */

/* state.json is the text jansson's json_dumps(JSON_SORT_KEYS | JSON_INDENT(2)) gives, plus a
 * newline (tests/unit/test-state.c holds the two byte for byte), written straight into one
 * buffer: at 1,000 VMs building a json_t tree and dumping it took ~75 M instructions, ~10 ms
 * and ~3 MiB of short-lived heap per save, and the daemon saves on every change. Keys are
 * written in sorted order by hand. */

typedef struct Out {
        char *s;
        size_t n, cap;
        int error;                 /* the first failure; nothing is appended after it */
        unsigned depth;
        bool empty[8];             /* per open container: nothing written into it yet */
        bool compact;              /* one line, no indentation (the journal) */
} Out;

static void out_mem(Out *o, const char *p, size_t n) {
        if (o->error)
                return;
        if (o->n + n + 1 > o->cap) {
                size_t cap = o->cap ? o->cap : 4096;
                while (cap < o->n + n + 1)
                        cap *= 2;
                char *t = realloc(o->s, cap);
                if (!t) {
                        o->error = -ENOMEM;
                        return;
                }
                o->s = t;
                o->cap = cap;
        }
        memcpy(o->s + o->n, p, n);
        o->n += n;
        o->s[o->n] = 0;
}

static void out_str(Out *o, const char *p) {
        out_mem(o, p, strlen(p));
}

static void out_indent(Out *o, unsigned depth) {
        static const char spaces[] = "                ";
        if (o->compact)
                return;
        out_mem(o, "\n", 1);
        out_mem(o, spaces, 2 * depth < sizeof spaces - 1 ? 2 * depth : sizeof spaces - 1);
}

/* A JSON string: UTF-8 as it is, escapes as jansson writes them; anything that is not valid
 * UTF-8 is refused (-EINVAL), as json_string() refuses it. NULL is JSON null. */
static void out_json_string(Out *o, const char *s) {
        if (!s) {
                out_str(o, "null");
                return;
        }
        if (!utf8_valid(s)) {
                if (!o->error)
                        o->error = -EINVAL;
                return;
        }
        out_mem(o, "\"", 1);
        const char *run = s;
        for (const char *p = s; *p; p++) {
                unsigned char c = (unsigned char) *p;
                char seq[8];
                const char *e = NULL;
                if (c >= 0x20 && c != '"' && c != '\\')
                        continue;
                switch (c) {
                case '"': e = "\\\""; break;
                case '\\': e = "\\\\"; break;
                case '\b': e = "\\b"; break;
                case '\f': e = "\\f"; break;
                case '\n': e = "\\n"; break;
                case '\r': e = "\\r"; break;
                case '\t': e = "\\t"; break;
                default:
                        snprintf(seq, sizeof seq, "\\u%04X", c);
                        e = seq;
                }
                out_mem(o, run, (size_t) (p - run));
                out_str(o, e);
                run = p + 1;
        }
        out_str(o, run);
        out_mem(o, "\"", 1);
}

static void out_uint(Out *o, uint64_t v) {
        char buf[24], *p = buf + sizeof buf;
        do
                *--p = (char) ('0' + v % 10);
        while ((v /= 10) > 0);
        out_mem(o, p, (size_t) (buf + sizeof buf - p));
}

static void out_open(Out *o, char c) {
        out_mem(o, &c, 1);
        if (o->depth + 1 >= ELEMENTSOF(o->empty)) {
                if (!o->error)
                        o->error = -EINVAL;
                return;
        }
        o->empty[++o->depth] = true;
}

static void out_close(Out *o, char c) {
        if (!o->empty[o->depth])
                out_indent(o, o->depth - 1);
        out_mem(o, &c, 1);
        o->depth--;
}

/* The next member of the open container: a key (objects) or NULL (arrays). */
static void out_next(Out *o, const char *key) {
        if (!o->empty[o->depth])
                out_mem(o, ",", 1);
        o->empty[o->depth] = false;
        out_indent(o, o->depth);
        if (key) {
                out_json_string(o, key);
                out_mem(o, ": ", o->compact ? 1 : 2);
        }
}

static void put_string(Out *o, const char *key, const char *v) {
        out_next(o, key);
        out_json_string(o, v);
}

static void put_uint(Out *o, const char *key, uint64_t v) {
        out_next(o, key);
        out_uint(o, v);
}

static void put_bool(Out *o, const char *key, bool v) {
        out_next(o, key);
        out_str(o, v ? "true" : "false");
}

static void vf_settings_out(Out *o, const VfSettings *v) {
        out_open(o, '{');
        if (v->link_state != STATE_LINK_STATE_AUTO) /* auto, the kernel's default, is left out */
                put_string(o, "link_state", state_link_state_to_string(v->link_state));
        put_string(o, "mac", v->mac);
        put_uint(o, "max_tx_rate", v->max_tx_rate);
        put_uint(o, "min_tx_rate", v->min_tx_rate);
        put_uint(o, "qos", v->qos);
        put_bool(o, "spoofchk", v->spoofchk);
        put_bool(o, "trust", v->trust);
        put_bool(o, "valid", v->valid);
        put_uint(o, "vlan", v->vlan);
        out_close(o, '}');
}

static int assignment_out(Out *o, const Assignment *a) {
        if (!a->vm || !tier_to_string(a->tier) || !assign_phase_to_string(a->phase))
                return -EINVAL;
        out_open(o, '{');
        put_string(o, "alias", a->alias);
        put_string(o, "mac", a->mac);
        put_bool(o, "next_start", a->next_start);
        put_string(o, "pf", a->pf);
        put_string(o, "phase", assign_phase_to_string(a->phase));
        out_next(o, "saved");
        vf_settings_out(o, &a->saved);
        put_string(o, "tier", tier_to_string(a->tier));
        put_string(o, "uuid", a->vm_uuid);
        put_string(o, "vf", a->vf);
        put_uint(o, "vf_index", a->vf_index);
        put_uint(o, "vlan", a->vlan);
        put_string(o, "vm", a->vm);
        out_close(o, '}');
        return 0;
}

static int pf_out(Out *o, const ProvisionedPf *p) {
        if (!provision_status_to_string(p->status))
                return -EINVAL;
        out_open(o, '{');
        put_uint(o, "numvfs", p->numvfs);
        put_uint(o, "numvfs_before", p->numvfs_before);
        put_string(o, "pf", p->pf);
        put_string(o, "status", provision_status_to_string(p->status));
        out_close(o, '}');
        return 0;
}

static void waiting_out(Out *o, const State *s) {
        out_open(o, '[');
        for (size_t i = 0; i < s->n_waiting; i++) {
                out_next(o, NULL);
                out_open(o, '{');
                put_uint(o, "since", s->waiting[i].since);
                put_string(o, "vm", s->waiting[i].vm);
                out_close(o, '}');
        }
        out_close(o, ']');
}

static void servicing_out(Out *o, const State *s) {
        out_open(o, '{');
        out_next(o, "drained");
        out_open(o, '[');
        for (size_t i = 0; i < s->n_drained; i++) {
                out_next(o, NULL);
                out_open(o, '{');
                put_string(o, "pf", s->drained[i].pf);
                put_uint(o, "since", s->drained[i].since);
                out_close(o, '}');
        }
        out_close(o, ']');
        out_next(o, "vms");
        out_open(o, '[');
        for (size_t i = 0; i < s->n_services; i++) {
                const StateVmService *v = &s->services[i];
                out_next(o, NULL);
                out_open(o, '{');
                put_uint(o, "revoked_since", v->revoked_since);
                put_string(o, "vm", v->vm);
                put_uint(o, "without_vf_s", v->without_total);
                put_uint(o, "without_vf_since", v->without_since);
                out_close(o, '}');
        }
        out_close(o, ']');
        out_close(o, '}');
}

/* ---- the journal's lines (state-journal.c) ---- */

static void plan_out(Out *o, const State *s, int *r) {
        out_open(o, '{');
        out_next(o, "adapters");
        out_open(o, '[');
        for (size_t i = 0; *r >= 0 && i < s->n_pfs; i++) {
                out_next(o, NULL);
                *r = pf_out(o, &s->pfs[i]);
        }
        out_close(o, ']');
        out_next(o, "management");
        out_open(o, '{');
        put_bool(o, "enabled", s->enabled);
        put_string(o, "intent", s->intent);
        put_uint(o, "node_reserve", s->node_reserve);
        out_close(o, '}');
        out_close(o, '}');
}

int state_journal_format(const Assignment *const *upserts, size_t n_upserts, const char *const *drops, size_t n_drops,
                         const State *plan, const State *waiting, const State *servicing, char **ret,
                         size_t *ret_size) {
        Out o = { .compact = true };
        int r = 0;

        for (size_t i = 0; r >= 0 && i < n_drops; i++) {
                out_open(&o, '{');
                put_string(&o, "drop", drops[i]);
                out_close(&o, '}');
                out_mem(&o, "\n", 1);
        }
        if (plan) {
                out_open(&o, '{');
                out_next(&o, "plan");
                plan_out(&o, plan, &r);
                out_close(&o, '}');
                out_mem(&o, "\n", 1);
        }
        if (waiting) {
                out_open(&o, '{');
                out_next(&o, "waiting");
                waiting_out(&o, waiting);
                out_close(&o, '}');
                out_mem(&o, "\n", 1);
        }
        if (servicing) {
                out_open(&o, '{');
                out_next(&o, "servicing");
                servicing_out(&o, servicing);
                out_close(&o, '}');
                out_mem(&o, "\n", 1);
        }
        for (size_t i = 0; r >= 0 && i < n_upserts; i++) {
                out_open(&o, '{');
                out_next(&o, "vm");
                r = assignment_out(&o, upserts[i]);
                out_close(&o, '}');
                out_mem(&o, "\n", 1);
        }
        if (r >= 0 && o.error < 0)
                r = o.error;
        if (r < 0) {
                free(o.s);
                return r;
        }
        *ret = o.s ? o.s : strdup("");
        *ret_size = o.n;
        return *ret ? 0 : -ENOMEM;
}

int state_save(const char *state_dir, const State *s) {
        return state_save_full(state_dir, s, true);
}

/* -EINVAL for a state that cannot be written (unknown enum values, strings that are not
 * UTF-8), -ENOMEM. */
int state_format(const State *s, char **ret, size_t *ret_size) {
        _cleanup_free_ char *text = NULL;
        Out o = {};
        int r = 0;

        assert_return(s && ret, -EINVAL);

        out_open(&o, '{');
        out_next(&o, "adapters");
        out_open(&o, '[');
        for (size_t i = 0; r >= 0 && i < s->n_pfs; i++) {
                out_next(&o, NULL);
                r = pf_out(&o, &s->pfs[i]);
        }
        out_close(&o, ']');
        out_next(&o, "management");
        out_open(&o, '{');
        put_bool(&o, "enabled", s->enabled);
        put_string(&o, "intent", s->intent);
        put_uint(&o, "node_reserve", s->node_reserve);
        out_close(&o, '}');
        out_next(&o, "servicing");
        servicing_out(&o, s);
        put_uint(&o, "version", STATE_SCHEMA_VERSION);
        out_next(&o, "vms");
        out_open(&o, '[');
        for (size_t i = 0; r >= 0 && i < s->n_vms; i++) {
                out_next(&o, NULL);
                r = assignment_out(&o, &s->vms[i]);
        }
        out_close(&o, ']');
        out_next(&o, "waiting");
        waiting_out(&o, s);
        out_close(&o, '}');
        out_mem(&o, "\n", 1);
        text = o.s;
        if (r < 0)
                return r;
        if (o.error < 0)
                return o.error;
        if (ret_size)
                *ret_size = o.n;
        *ret = TAKE_PTR(text);
        return 0;
}

int state_save_full(const char *state_dir, const State *s, bool durable) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len;
        int r;

        assert_return(state_dir && s, -EINVAL);

        r = state_format(s, &text, &len);
        if (r < 0)
                return r;
        r = mkdir_p(state_dir, 0755);
        if (r < 0)
                return r;
        path = path_join(state_dir, STATE_FILE);
        if (!path)
                return -ENOMEM;
        return write_file_atomic_full(path, text, len, 0600, durable);
}

/* ---- reading ---- */

static bool mac_valid(const char *s) {
        if (strlen(s) != 17)
                return false;
        for (int i = 0; i < 17; i++)
                if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char) s[i]))
                        return false;
        return true;
}

static bool uuid_valid(const char *s) {
        if (strlen(s) != 36)
                return false;
        for (int i = 0; i < 36; i++)
                if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' : !isxdigit((unsigned char) s[i]))
                        return false;
        return true;
}

/* A MAC, or "" for none. */
static int get_mac(json_t *o, const char *parent, char ret[static 18], char **reason) {
        char f[JCHECK_FIELD_MAX];
        const char *s;
        int r;

        r = jcheck_string(json_object_get(o, "mac"), jcheck_field(f, parent, "mac"), false, true, 17, &s, reason);
        if (r < 0)
                return r;
        if (*s && !mac_valid(s))
                return jcheck_problem(reason, f, "\"%s\" is not a MAC address like aa:bb:cc:dd:ee:ff", s);
        strcpy(ret, s);
        return 0;
}

static int get_uint(json_t *o, const char *parent, const char *key, uint64_t max, uint64_t *ret, char **reason) {
        char f[JCHECK_FIELD_MAX];
        return jcheck_uint(json_object_get(o, key), jcheck_field(f, parent, key), 0, max, ret, reason);
}

static int get_bool(json_t *o, const char *parent, const char *key, bool *ret, char **reason) {
        char f[JCHECK_FIELD_MAX];
        return jcheck_bool(json_object_get(o, key), jcheck_field(f, parent, key), ret, reason);
}

static int get_pci(json_t *o, const char *parent, const char *key, char ret[static PCI_ADDR_STRLEN], char **reason) {
        char f[JCHECK_FIELD_MAX];
        const char *s;
        PciAddr a;
        int r;

        jcheck_field(f, parent, key);
        r = jcheck_string(json_object_get(o, key), f, false, false, PCI_ADDR_STRLEN, &s, reason);
        if (r < 0)
                return r;
        if (pci_addr_parse(s, &a) < 0)
                return jcheck_problem(reason, f, "\"%s\" is not a PCI address like 0000:3b:00.1", s);
        pci_addr_format(&a, ret);
        return 0;
}

/* Ensures that the object has exactly these keys. */
static int check_keys(json_t *o, const char *field, const char *const *keys, char **reason) {
        int r = jcheck_known_keys(o, field, keys, reason);
        if (r < 0)
                return r;
        return jcheck_required_keys(o, field, keys, reason);
}

static int parse_saved(json_t *o, const char *field, VfSettings *v, char **reason) {
        /* "link_state" came with version 3, and is written only when it is not auto */
        static const char *const keys[] = {
                "valid", "mac", "vlan", "qos", "spoofchk", "trust", "min_tx_rate", "max_tx_rate", "link_state", NULL,
        };
        static const char *const required[] = {
                "valid", "mac", "vlan", "qos", "spoofchk", "trust", "min_tx_rate", "max_tx_rate", NULL,
        };
        char f[JCHECK_FIELD_MAX];
        const char *ls;
        json_t *e;
        uint64_t u;
        int r;

        if ((r = jcheck_known_keys(o, field, keys, reason)) < 0 ||
            (r = jcheck_required_keys(o, field, required, reason)) < 0 ||
            (r = get_bool(o, field, "valid", &v->valid, reason)) < 0 || (r = get_mac(o, field, v->mac, reason)) < 0)
                return r;
        v->link_state = STATE_LINK_STATE_AUTO;
        if ((e = json_object_get(o, "link_state"))) {
                jcheck_field(f, field, "link_state");
                if ((r = jcheck_string(e, f, false, false, 16, &ls, reason)) < 0)
                        return r;
                int k = state_link_state_from_string(ls);
                if (k < 0)
                        return jcheck_problem(reason, f, "unknown link state \"%s\" (auto, enable or disable)", ls);
                v->link_state = (uint32_t) k;
        }
        if ((r = get_uint(o, field, "vlan", 4095, &u, reason)) < 0)
                return r;
        v->vlan = (uint32_t) u;
        if ((r = get_uint(o, field, "qos", 7, &u, reason)) < 0)
                return r;
        v->qos = (uint32_t) u;
        if ((r = get_bool(o, field, "spoofchk", &v->spoofchk, reason)) < 0 ||
            (r = get_bool(o, field, "trust", &v->trust, reason)) < 0)
                return r;
        if ((r = get_uint(o, field, "min_tx_rate", UINT32_MAX, &u, reason)) < 0)
                return r;
        v->min_tx_rate = (uint32_t) u;
        if ((r = get_uint(o, field, "max_tx_rate", UINT32_MAX, &u, reason)) < 0)
                return r;
        v->max_tx_rate = (uint32_t) u;
        return 0;
}

static int dup_string(json_t *v, const char *field, bool nullable, size_t max, bool (*valid)(const char *),
                      const char *what, char **ret, char **reason) {
        const char *s;
        int r;

        r = jcheck_string(v, field, nullable, false, max, &s, reason);
        if (r < 0)
                return r;
        if (!s) {
                *ret = NULL;
                return 0;
        }
        if (valid && !valid(s))
                return jcheck_problem(reason, field, "\"%.80s\" is not %s", s, what);
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static int parse_vm(json_t *o, const char *field, Assignment *a, char **reason) {
        static const char *const keys[] = {
                "vm", "uuid", "tier", "vf", "pf", "vf_index", "phase", "next_start", "alias", "mac", "vlan", "saved",
                NULL,
        };
        char f[JCHECK_FIELD_MAX];
        const char *s;
        uint64_t u;
        int r;

        if ((r = check_keys(o, field, keys, reason)) < 0)
                return r;
        if ((r = dup_string(json_object_get(o, "vm"), jcheck_field(f, field, "vm"), false, STATE_NAME_MAX, NULL,
                            NULL, &a->vm, reason)) < 0 ||
            (r = dup_string(json_object_get(o, "uuid"), jcheck_field(f, field, "uuid"), true, 36, uuid_valid,
                            "a UUID", &a->vm_uuid, reason)) < 0)
                return r;

        jcheck_field(f, field, "tier");
        if ((r = jcheck_string(json_object_get(o, "tier"), f, false, false, 16, &s, reason)) < 0)
                return r;
        a->tier = tier_from_string(s);
        if (a->tier < 0)
                return jcheck_problem(reason, f, "unknown tier \"%s\"", s);

        if ((r = get_pci(o, field, "vf", a->vf, reason)) < 0 || (r = get_pci(o, field, "pf", a->pf, reason)) < 0)
                return r;
        if ((r = get_uint(o, field, "vf_index", 65535, &u, reason)) < 0)
                return r;
        a->vf_index = (unsigned) u;

        jcheck_field(f, field, "phase");
        if ((r = jcheck_string(json_object_get(o, "phase"), f, false, false, 16, &s, reason)) < 0)
                return r;
        a->phase = assign_phase_from_string(s);
        if (a->phase < 0)
                return jcheck_problem(reason, f, "unknown phase \"%s\"", s);

        if ((r = get_bool(o, field, "next_start", &a->next_start, reason)) < 0 ||
            (r = dup_string(json_object_get(o, "alias"), jcheck_field(f, field, "alias"), true, STATE_NAME_MAX,
                            NULL, NULL, &a->alias, reason)) < 0 ||
            (r = get_mac(o, field, a->mac, reason)) < 0)
                return r;
        if ((r = get_uint(o, field, "vlan", 4095, &u, reason)) < 0)
                return r;
        a->vlan = (uint32_t) u;
        return parse_saved(json_object_get(o, "saved"), jcheck_field(f, field, "saved"), &a->saved, reason);
}

static int parse_pf(json_t *o, const char *field, ProvisionedPf *p, char **reason) {
        static const char *const keys[] = { "pf", "numvfs_before", "numvfs", "status", NULL };
        char f[JCHECK_FIELD_MAX];
        const char *s;
        uint64_t u;
        int r;

        if ((r = check_keys(o, field, keys, reason)) < 0 || (r = get_pci(o, field, "pf", p->pf, reason)) < 0)
                return r;
        if ((r = get_uint(o, field, "numvfs_before", 65535, &u, reason)) < 0)
                return r;
        p->numvfs_before = (unsigned) u;
        if ((r = get_uint(o, field, "numvfs", 65535, &u, reason)) < 0)
                return r;
        p->numvfs = (unsigned) u;

        jcheck_field(f, field, "status");
        if ((r = jcheck_string(json_object_get(o, "status"), f, false, false, 16, &s, reason)) < 0)
                return r;
        p->status = provision_status_from_string(s);
        if (p->status < 0)
                return jcheck_problem(reason, f, "unknown status \"%s\"", s);
        return 0;
}

static int parse_management(json_t *o, State *s, char **reason) {
        static const char *const keys[] = { "enabled", "intent", "node_reserve", NULL };
        uint64_t u;
        int r;

        if ((r = check_keys(o, "management", keys, reason)) < 0 ||
            (r = get_bool(o, "management", "enabled", &s->enabled, reason)) < 0 ||
            (r = dup_string(json_object_get(o, "intent"), "management.intent", true, 64, intent_name_valid,
                            "a valid intent name", &s->intent, reason)) < 0)
                return r;
        if ((r = get_uint(o, "management", "node_reserve", 99, &u, reason)) < 0)
                return r;
        s->node_reserve = (unsigned) u;
        return 0;
}

static int check_unique(const char *array, const char *key, const char *const *keys, size_t n, char **reason);

int state_parse_assignment(json_t *o, const char *field, Assignment *a, char **reason) {
        return parse_vm(o, field, a, reason);
}

/* Replaces s's adapters with the array pfs, named field in problems. */
static int parse_pfs(json_t *pfs, const char *field, State *s, char **reason) {
        json_t *e;
        size_t k;
        int r;

        if (!json_is_array(pfs))
                return jcheck_problem(reason, field, "must be an array");
        if (json_array_size(pfs) > STATE_PFS_MAX)
                return jcheck_problem(reason, field, "more than %u entries", STATE_PFS_MAX);
        free(s->pfs);
        s->pfs = NULL;
        s->n_pfs = 0;
        if (json_array_size(pfs) > 0 && !(s->pfs = calloc(json_array_size(pfs), sizeof(ProvisionedPf))))
                return -ENOMEM;
        json_array_foreach(pfs, k, e) {
                char f[JCHECK_FIELD_MAX];
                snprintf(f, sizeof f, "%s[%zu]", field, k);
                r = parse_pf(e, f, &s->pfs[k], reason);
                if (r < 0)
                        return r;
                s->n_pfs++;
        }
        return 0;
}

int state_parse_plan(json_t *o, State *s, char **reason) {
        static const char *const keys[] = { "management", "adapters", NULL };
        int r;

        if ((r = check_keys(o, "plan", keys, reason)) < 0 ||
            (r = parse_management(json_object_get(o, "management"), s, reason)) < 0)
                return r;
        return parse_pfs(json_object_get(o, "adapters"), "plan.adapters", s, reason);
}

/* One waiting VM: {"vm": NAME, "since": SECONDS}. */
static int parse_waiting_vm(json_t *o, const char *field, StateWaiting *w, char **reason) {
        static const char *const keys[] = { "vm", "since", NULL };
        char f[JCHECK_FIELD_MAX];
        uint64_t u;
        int r;

        if ((r = check_keys(o, field, keys, reason)) < 0 ||
            (r = dup_string(json_object_get(o, "vm"), jcheck_field(f, field, "vm"), false, STATE_NAME_MAX, NULL, NULL,
                            &w->vm, reason)) < 0)
                return r;
        r = jcheck_uint(json_object_get(o, "since"), jcheck_field(f, field, "since"), 1, WAITING_SINCE_MAX, &u, reason);
        if (r < 0)
                return r;
        w->since = u;
        return 0;
}

int state_parse_waiting(json_t *a, const char *field, State *s, char **reason) {
        State t = { .intent = NULL }; /* parsed aside: s keeps its list unless this one is whole */
        json_t *e;
        size_t k;
        int r = 0;

        if (!json_is_array(a))
                return jcheck_problem(reason, field, "must be an array");
        if (json_array_size(a) > STATE_VMS_MAX)
                return jcheck_problem(reason, field, "more than %u entries", STATE_VMS_MAX);
        if (json_array_size(a) > 0 && !(t.waiting = calloc(json_array_size(a), sizeof(StateWaiting))))
                return -ENOMEM;
        json_array_foreach(a, k, e) {
                char f[JCHECK_FIELD_MAX];
                snprintf(f, sizeof f, "%s[%zu]", field, k);
                t.n_waiting++; /* counted first so that a half-parsed entry is freed */
                r = parse_waiting_vm(e, f, &t.waiting[k], reason);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                state_waiting_clear(&t);
                return r;
        }
        state_waiting_clear(s);
        s->waiting = t.waiting;
        s->n_waiting = t.n_waiting;
        return 0;
}

int state_check_unique(const State *s, char **reason) {
        size_t most = s->n_vms > s->n_pfs ? s->n_vms : s->n_pfs;
        if (s->n_waiting > most)
                most = s->n_waiting;
        _cleanup_free_ const char **names = calloc(most + 1, sizeof(char *));
        int r;
        if (!names)
                return -ENOMEM;
        for (size_t i = 0; i < s->n_pfs; i++)
                names[i] = s->pfs[i].pf;
        if ((r = check_unique("adapters", "pf", names, s->n_pfs, reason)) < 0)
                return r;
        for (size_t i = 0; i < s->n_vms; i++)
                names[i] = s->vms[i].vm;
        if ((r = check_unique("vms", "vm", names, s->n_vms, reason)) < 0)
                return r;
        for (size_t i = 0; i < s->n_vms; i++)
                names[i] = s->vms[i].vf;
        if ((r = check_unique("vms", "vf", names, s->n_vms, reason)) < 0)
                return r;
        for (size_t i = 0; i < s->n_waiting; i++)
                names[i] = s->waiting[i].vm;
        if ((r = check_unique("waiting", "vm", names, s->n_waiting, reason)) < 0)
                return r;
        return state_servicing_check_unique(s, reason);
}

typedef struct KeyRef {
        const char *key;
        size_t index;
} KeyRef;

static int keyref_cmp(const void *a, const void *b) {
        const KeyRef *x = a, *y = b;
        int c = strcmp(x->key, y->key);
        return c ? c : (x->index > y->index) - (x->index < y->index);
}

/* Finds a key given twice (VM names, VF or PF addresses) in O(n log n). */
int state_check_unique_keys(const char *array, const char *key, const char *const *keys, size_t n, char **reason) {
        return check_unique(array, key, keys, n, reason);
}

static int check_unique(const char *array, const char *key, const char *const *keys, size_t n, char **reason) {
        _cleanup_free_ KeyRef *refs = NULL;

        if (n < 2)
                return 0;
        refs = calloc(n, sizeof(KeyRef));
        if (!refs)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                refs[i] = (KeyRef){ keys[i], i };
        qsort(refs, n, sizeof(KeyRef), keyref_cmp);
        for (size_t i = 1; i < n; i++)
                if (streq(refs[i - 1].key, refs[i].key)) {
                        char f[JCHECK_FIELD_MAX];
                        snprintf(f, sizeof f, "%s[%zu].%s", array, refs[i].index, key);
                        return jcheck_problem(reason, f, "\"%.80s\" also appears in %s[%zu]", refs[i].key, array,
                                              refs[i - 1].index);
                }
        return 0;
}

static int state_from_json(json_t *j, State **ret, char **reason) {
        /* "waiting" came with version 2 (a file without it has nobody waiting), "servicing" with
         * version 3 (a file without it has nothing drained or revoked, no time recorded) */
        static const char *const keys[] = { "version", "management", "adapters", "vms", "waiting", "servicing", NULL };
        static const char *const required[] = { "version", "management", "adapters", "vms", NULL };
        _cleanup_(state_freep) State *s = NULL;
        json_t *vms, *e;
        uint64_t u;
        size_t k;
        int r;

        if ((r = jcheck_known_keys(j, NULL, keys, reason)) < 0 || (r = jcheck_required_keys(j, NULL, required, reason)) < 0 ||
            (r = jcheck_uint(json_object_get(j, "version"), "version", 1, STATE_SCHEMA_VERSION, &u, reason)) < 0)
                return r;
        s = state_new();
        if (!s)
                return -ENOMEM;
        s->version = (unsigned) u;
        r = parse_management(json_object_get(j, "management"), s, reason);
        if (r < 0)
                return r;

        r = parse_pfs(json_object_get(j, "adapters"), "adapters", s, reason);
        if (r < 0)
                return r;

        vms = json_object_get(j, "vms");
        if (!json_is_array(vms))
                return jcheck_problem(reason, "vms", "must be an array");
        if (json_array_size(vms) > STATE_VMS_MAX)
                return jcheck_problem(reason, "vms", "more than %u entries", STATE_VMS_MAX);

        if (json_array_size(vms) > 0 && !(s->vms = calloc(json_array_size(vms), sizeof(Assignment))))
                return -ENOMEM;
        json_array_foreach(vms, k, e) {
                char f[JCHECK_FIELD_MAX];
                snprintf(f, sizeof f, "vms[%zu]", k);
                s->n_vms++; /* counted first so that a half-parsed entry is freed */
                r = parse_vm(e, f, &s->vms[k], reason);
                if (r < 0)
                        return r;
        }
        if ((e = json_object_get(j, "waiting"))) {
                r = state_parse_waiting(e, "waiting", s, reason);
                if (r < 0)
                        return r;
        }
        if ((e = json_object_get(j, "servicing"))) {
                r = state_parse_servicing(e, "servicing", s, reason);
                if (r < 0)
                        return r;
        }

        /* Nothing assigned twice, no PF provisioned twice, nobody waiting twice. */
        r = state_check_unique(s, reason);
        if (r < 0)
                return r;

        *ret = TAKE_PTR(s);
        return 0;
}

/* Renames path to path.TAG-YYYYmmddTHHMMSSZ (or with -1, -2... if taken) without replacing
 * anything; returns the new name. */
int state_move_aside(const char *path, const char *tag, char **ret) {
        char stamp[32];
        struct tm tm;
        time_t now = time(NULL);

        if (!gmtime_r(&now, &tm) || strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0)
                return -EINVAL;
        for (unsigned n = 0; n < 100; n++) {
                _cleanup_free_ char *to = NULL;
                int r;

                if ((n == 0 ? asprintf(&to, "%s.%s-%s", path, tag, stamp)
                            : asprintf(&to, "%s.%s-%s-%u", path, tag, stamp, n)) < 0)
                        return -ENOMEM;
                r = renameat2(AT_FDCWD, path, AT_FDCWD, to, RENAME_NOREPLACE);
                if (r < 0 && (errno == EINVAL || errno == ENOSYS)) {
                        /* No RENAME_NOREPLACE on this file system. */
                        if (file_exists(to)) {
                                errno = EEXIST;
                        } else
                                r = rename(path, to);
                }
                if (r >= 0) {
                        *ret = TAKE_PTR(to);
                        return 0;
                }
                if (errno != EEXIST)
                        return -errno;
        }
        return -EEXIST;
}

int state_parse(const char *text, size_t size, State **ret, int64_t *ret_version, char **reason) {
        json_auto_t *j = NULL;
        json_t *v;
        int r;

        assert_return(text && ret && reason, -EINVAL);

        r = jcheck_parse(text, size, &j, reason);
        if (r < 0)
                return r;
        /* A newer schema is reported as such, whatever else is in the file. */
        v = json_object_get(j, "version");
        if (json_is_integer(v) && json_integer_value(v) > STATE_SCHEMA_VERSION) {
                if (ret_version)
                        *ret_version = (int64_t) json_integer_value(v);
                r = jcheck_problem(reason, "version", "%lld is newer than version %d that this accelnetd understands",
                                   (long long) json_integer_value(v), STATE_SCHEMA_VERSION);
                return r == -EBADMSG ? -EPROTONOSUPPORT : r;
        }
        return state_from_json(j, ret, reason);
}

int state_load(const char *state_dir, State **ret, char **ret_note) {
        _cleanup_free_ char *path = NULL, *reason = NULL, *aside = NULL, *note = NULL, *tag = NULL, *text = NULL;
        _cleanup_(state_freep) State *s = NULL;
        int64_t version = 0;
        size_t size = 0;
        int r;

        assert_return(state_dir && ret, -EINVAL);

        path = path_join(state_dir, STATE_FILE);
        if (!path)
                return -ENOMEM;
        r = jcheck_read_file(path, STATE_FILE_MAX, &text, &size, &reason);
        if (r == -ENOENT)
                goto empty;
        if (r == -ELOOP || r == -EISDIR || r == -EFBIG) {
                /* Not a file we can read as ours (a symlink loop, a directory, a giant): it is
                 * set aside like a corrupt one, so that the daemon starts. */
                free(reason);
                reason = strdup(r == -ELOOP ? "it is a symlink loop" : r == -EISDIR ? "it is a directory"
                                                                                   : "it is too large");
                if (!reason)
                        return -ENOMEM;
                r = -EBADMSG;
        }
        if (r >= 0)
                r = state_parse(text, size, &s, &version, &reason);
        if (r == -EPROTONOSUPPORT) {
                if (asprintf(&tag, "v%lld", (long long) version) < 0)
                        return -ENOMEM;
                r = state_move_aside(path, tag, &aside);
                if (r < 0)
                        return r;
                if (asprintf(&note,
                             "%s has schema version %lld, newer than version %d that this accelnetd understands; "
                             "moved it to %s and started with an empty state",
                             path, (long long) version, STATE_SCHEMA_VERSION, aside) < 0)
                        return -ENOMEM;
                goto empty;
        }
        if (r == -EBADMSG) {
                r = state_move_aside(path, "corrupt", &aside);
                if (r < 0)
                        return r;
                if (asprintf(&note, "%s is not usable: %s; moved it to %s and started with an empty state", path,
                             reason, aside) < 0)
                        return -ENOMEM;
                goto empty;
        }
        if (r < 0)
                return r;

        r = state_journal_replay(state_dir, s, &note);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(s);
        if (ret_note)
                *ret_note = TAKE_PTR(note);
        return 0;

empty:
        s = state_new();
        if (!s)
                return -ENOMEM;
        if (!note) {
                /* No state.json: a journal alone holds every change since an empty state. */
                r = state_journal_replay(state_dir, s, &note);
                if (r < 0)
                        return r;
        } else {
                /* state.json was set aside: the changes in the journal were on top of it. */
                _cleanup_free_ char *jpath = path_join(state_dir, STATE_JOURNAL_FILE), *jaside = NULL;
                if (!jpath)
                        return -ENOMEM;
                if (file_exists(jpath) && state_move_aside(jpath, "orphan", &jaside) >= 0) {
                        char *n2 = NULL;
                        if (asprintf(&n2, "%s; its journal moved to %s", note, jaside) >= 0)
                                free_and_replace(note, n2);
                }
        }
        *ret = TAKE_PTR(s);
        if (ret_note)
                *ret_note = TAKE_PTR(note);
        return 0;
}
