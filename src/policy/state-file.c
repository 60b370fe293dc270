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
#include "policy/state.h"
#include "shared/fileio.h"
#include "shared/macro.h"

#define STATE_FILE "state.json"
#define STATE_FILE_MAX (64u * 1024u * 1024u)
#define STATE_VMS_MAX 65536u       /* the largest max_vms the configuration allows */
#define STATE_PFS_MAX 4096u
#define STATE_NAME_MAX 1024u       /* VM names and interface aliases */

/* ---- writing ---- */

static int put(json_t *o, const char *key, json_t *v) {
        /* json_object_set_new() consumes v even on failure. */
        if (!v || json_object_set_new(o, key, v) < 0)
                return -ENOMEM;
        return 0;
}

/* NULL → JSON null. Strings must be UTF-8 (json_string() refuses anything else). */
static int put_str(json_t *o, const char *key, const char *s) {
        json_t *v;

        if (!s)
                return put(o, key, json_null());
        v = json_string(s);
        if (!v)
                return -EINVAL;
        return put(o, key, v);
}

static int vf_settings_to_json(const VfSettings *v, json_t **ret) {
        json_auto_t *o = json_object();
        int r;

        if (!o)
                return -ENOMEM;
        if ((r = put(o, "valid", json_boolean(v->valid))) < 0 || (r = put_str(o, "mac", v->mac)) < 0 ||
            (r = put(o, "vlan", json_integer(v->vlan))) < 0 || (r = put(o, "qos", json_integer(v->qos))) < 0 ||
            (r = put(o, "spoofchk", json_boolean(v->spoofchk))) < 0 ||
            (r = put(o, "trust", json_boolean(v->trust))) < 0 ||
            (r = put(o, "min_tx_rate", json_integer(v->min_tx_rate))) < 0 ||
            (r = put(o, "max_tx_rate", json_integer(v->max_tx_rate))) < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int assignment_to_json(const Assignment *a, json_t **ret) {
        json_auto_t *o = json_object();
        json_t *saved = NULL;
        int r;

        if (!o)
                return -ENOMEM;
        if (!a->vm || !tier_to_string(a->tier) || !assign_phase_to_string(a->phase))
                return -EINVAL;
        if ((r = put_str(o, "vm", a->vm)) < 0 || (r = put_str(o, "uuid", a->vm_uuid)) < 0 ||
            (r = put_str(o, "tier", tier_to_string(a->tier))) < 0 || (r = put_str(o, "vf", a->vf)) < 0 ||
            (r = put_str(o, "pf", a->pf)) < 0 || (r = put(o, "vf_index", json_integer(a->vf_index))) < 0 ||
            (r = put_str(o, "phase", assign_phase_to_string(a->phase))) < 0 ||
            (r = put(o, "next_start", json_boolean(a->next_start))) < 0 ||
            (r = put_str(o, "alias", a->alias)) < 0 || (r = put_str(o, "mac", a->mac)) < 0 ||
            (r = put(o, "vlan", json_integer(a->vlan))) < 0)
                return r;
        r = vf_settings_to_json(&a->saved, &saved);
        if (r < 0)
                return r;
        r = put(o, "saved", saved);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int pf_to_json(const ProvisionedPf *p, json_t **ret) {
        json_auto_t *o = json_object();
        int r;

        if (!o)
                return -ENOMEM;
        if (!provision_status_to_string(p->status))
                return -EINVAL;
        if ((r = put_str(o, "pf", p->pf)) < 0 || (r = put(o, "numvfs_before", json_integer(p->numvfs_before))) < 0 ||
            (r = put(o, "numvfs", json_integer(p->numvfs))) < 0 ||
            (r = put_str(o, "status", provision_status_to_string(p->status))) < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int state_to_json(const State *s, json_t **ret) {
        json_auto_t *o = json_object(), *m = json_object(), *pfs = json_array(), *vms = json_array();
        int r;

        if (!o || !m || !pfs || !vms)
                return -ENOMEM;
        if ((r = put(m, "enabled", json_boolean(s->enabled))) < 0 || (r = put_str(m, "intent", s->intent)) < 0 ||
            (r = put(m, "node_reserve", json_integer(s->node_reserve))) < 0)
                return r;
        for (size_t i = 0; i < s->n_pfs; i++) {
                json_t *e = NULL;
                r = pf_to_json(&s->pfs[i], &e);
                if (r < 0)
                        return r;
                if (json_array_append_new(pfs, e) < 0)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < s->n_vms; i++) {
                json_t *e = NULL;
                r = assignment_to_json(&s->vms[i], &e);
                if (r < 0)
                        return r;
                if (json_array_append_new(vms, e) < 0)
                        return -ENOMEM;
        }
        if ((r = put(o, "version", json_integer(STATE_SCHEMA_VERSION))) < 0 ||
            (r = put(o, "management", TAKE_PTR(m))) < 0 || (r = put(o, "adapters", TAKE_PTR(pfs))) < 0 ||
            (r = put(o, "vms", TAKE_PTR(vms))) < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

int state_save(const char *state_dir, const State *s) {
        return state_save_full(state_dir, s, true);
}

int state_format(const State *s, char **ret, size_t *ret_size) {
        _cleanup_free_ char *text = NULL;
        json_auto_t *j = NULL;
        size_t len;
        char *t;
        int r;

        assert_return(s && ret, -EINVAL);

        r = state_to_json(s, &j);
        if (r < 0)
                return r;
        text = json_dumps(j, JSON_SORT_KEYS | JSON_INDENT(2));
        if (!text)
                return -ENOMEM;
        len = strlen(text);
        t = realloc(text, len + 2);
        if (!t)
                return -ENOMEM;
        text = t;
        text[len++] = '\n';
        text[len] = 0;
        *ret = TAKE_PTR(text);
        if (ret_size)
                *ret_size = len;
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
        static const char *const keys[] = {
                "valid", "mac", "vlan", "qos", "spoofchk", "trust", "min_tx_rate", "max_tx_rate", NULL,
        };
        uint64_t u;
        int r;

        if ((r = check_keys(o, field, keys, reason)) < 0 || (r = get_bool(o, field, "valid", &v->valid, reason)) < 0 ||
            (r = get_mac(o, field, v->mac, reason)) < 0)
                return r;
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
        static const char *const keys[] = { "version", "management", "adapters", "vms", NULL };
        _cleanup_(state_freep) State *s = NULL;
        _cleanup_free_ const char **names = NULL;
        json_t *pfs, *vms, *e;
        uint64_t u;
        size_t k;
        int r;

        if ((r = check_keys(j, NULL, keys, reason)) < 0 ||
            (r = jcheck_uint(json_object_get(j, "version"), "version", 1, STATE_SCHEMA_VERSION, &u, reason)) < 0)
                return r;
        s = state_new();
        if (!s)
                return -ENOMEM;
        s->version = (unsigned) u;
        r = parse_management(json_object_get(j, "management"), s, reason);
        if (r < 0)
                return r;

        pfs = json_object_get(j, "adapters");
        vms = json_object_get(j, "vms");
        if (!json_is_array(pfs))
                return jcheck_problem(reason, "adapters", "must be an array");
        if (!json_is_array(vms))
                return jcheck_problem(reason, "vms", "must be an array");
        if (json_array_size(pfs) > STATE_PFS_MAX)
                return jcheck_problem(reason, "adapters", "more than %u entries", STATE_PFS_MAX);
        if (json_array_size(vms) > STATE_VMS_MAX)
                return jcheck_problem(reason, "vms", "more than %u entries", STATE_VMS_MAX);

        if (json_array_size(pfs) > 0 && !(s->pfs = calloc(json_array_size(pfs), sizeof(ProvisionedPf))))
                return -ENOMEM;
        json_array_foreach(pfs, k, e) {
                char f[JCHECK_FIELD_MAX];
                snprintf(f, sizeof f, "adapters[%zu]", k);
                r = parse_pf(e, f, &s->pfs[k], reason);
                if (r < 0)
                        return r;
                s->n_pfs++;
        }

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

        /* Nothing assigned twice, no PF provisioned twice. */
        names = calloc(s->n_vms > s->n_pfs ? s->n_vms + 1 : s->n_pfs + 1, sizeof(char *));
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

        *ret = TAKE_PTR(s);
        return 0;
}

/* Renames path to path.TAG-YYYYmmddTHHMMSSZ (or with -1, -2... if taken) without replacing
 * anything; returns the new name. */
static int move_aside(const char *path, const char *tag, char **ret) {
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
                r = move_aside(path, tag, &aside);
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
                r = move_aside(path, "corrupt", &aside);
                if (r < 0)
                        return r;
                if (asprintf(&note, "%s is not usable: %s; moved it to %s and started with an empty state", path,
                             reason, aside) < 0)
                        return -ENOMEM;
                goto empty;
        }
        if (r < 0)
                return r;

        *ret = TAKE_PTR(s);
        if (ret_note)
                *ret_note = NULL;
        return 0;

empty:
        s = state_new();
        if (!s)
                return -ENOMEM;
        *ret = TAKE_PTR(s);
        if (ret_note)
                *ret_note = TAKE_PTR(note);
        return 0;
}
