/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "policy/config-internal.h"
#include "policy/config.h"
#include "policy/jsonutil.h"
#include "shared/fileio.h"
#include "shared/hostfacts.h"
#include "shared/macro.h"
#include "shared/string-table.h"

#define CONFIG_SETTINGS_FILE "accelnet.json"
#define CONFIG_INTENTS_DIR "intents.d"

static const char *const pacemaker_utilization_table[_PACEMAKER_UTILIZATION_MAX] = {
        [PACEMAKER_UTILIZATION_OFF] = "off",
        [PACEMAKER_UTILIZATION_FREE] = "free",
        [PACEMAKER_UTILIZATION_CAPACITY] = "capacity",
};

DEFINE_STRING_TABLE_LOOKUP(pacemaker_utilization, PacemakerUtilization);

void settings_defaults(Settings *s) {
        *s = (Settings){
                .default_node_reserve = 50,
                .kernel_min = "5.10",
                .libvirt_min = "7.0.0",
                .max_concurrent_ops = 8,
                .max_vms = 4096,
                .vf_autoprobe = false,
                .migration_requires_vf = false,
                .pacemaker_utilization = PACEMAKER_UTILIZATION_CAPACITY,
        };
        tier_table_defaults(&s->tiers);
        health_settings_defaults(&s->health);
}

/* "5.10", "7.0.0": dot-separated decimal numbers, nothing else. */
static bool min_version_valid(const char *v) {
        bool digit = false;

        if (strlen(v) >= SETTINGS_VERSION_MAX)
                return false;
        for (const char *p = v; *p; p++) {
                if (*p >= '0' && *p <= '9')
                        digit = true;
                else if (*p == '.' && digit)
                        digit = false;
                else
                        return false;
        }
        return digit;
}

static int parse_version(json_t *v, const char *field, char ret[static SETTINGS_VERSION_MAX], char **reason) {
        const char *s;

        if (!json_is_string(v) || !min_version_valid((s = json_string_value(v))))
                return jcheck_problem(reason, field, "must be a version string of numbers and dots like \"5.10\"");
        strcpy(ret, s);
        return 0;
}

static int parse_tier(json_t *o, const char *field, TierSpec *spec, char **reason) {
        static const char *const keys[] = {
                "min_vcpus", "min_tx_rate_mbps", "max_tx_rate_mbps", "numa", "rates_required", NULL,
        };
        static const char *const vcpu_keys[] = { "smt_off", "smt_on", NULL };
        TierSpec t = *spec;
        char f[JCHECK_FIELD_MAX], g[JCHECK_FIELD_MAX];
        uint64_t u;
        json_t *v;
        int r;

        r = jcheck_known_keys(o, field, keys, reason);
        if (r < 0)
                return r;

        if ((v = json_object_get(o, "min_vcpus"))) {
                json_t *w;

                jcheck_field(f, field, "min_vcpus");
                r = jcheck_known_keys(v, f, vcpu_keys, reason);
                if (r < 0)
                        return r;
                if ((w = json_object_get(v, "smt_off"))) {
                        r = jcheck_uint(w, jcheck_field(g, f, "smt_off"), 1, CONFIG_VCPUS_MAX, &u, reason);
                        if (r < 0)
                                return r;
                        t.min_vcpus_smt_off = (unsigned) u;
                }
                if ((w = json_object_get(v, "smt_on"))) {
                        r = jcheck_uint(w, jcheck_field(g, f, "smt_on"), 1, CONFIG_VCPUS_MAX, &u, reason);
                        if (r < 0)
                                return r;
                        t.min_vcpus_smt_on = (unsigned) u;
                }
        }
        if ((v = json_object_get(o, "min_tx_rate_mbps"))) {
                r = jcheck_uint(v, jcheck_field(f, field, "min_tx_rate_mbps"), 0, CONFIG_RATE_MAX, &u, reason);
                if (r < 0)
                        return r;
                t.min_tx_rate_mbps = (uint32_t) u;
        }
        if ((v = json_object_get(o, "max_tx_rate_mbps"))) {
                r = jcheck_uint(v, jcheck_field(f, field, "max_tx_rate_mbps"), 0, CONFIG_RATE_MAX, &u, reason);
                if (r < 0)
                        return r;
                t.max_tx_rate_mbps = (uint32_t) u;
        }
        if ((v = json_object_get(o, "numa"))) {
                NumaPolicy p = json_is_string(v) ? numa_policy_from_string(json_string_value(v))
                                                 : _NUMA_POLICY_INVALID;
                if (p < 0)
                        return jcheck_problem(reason, jcheck_field(f, field, "numa"),
                                              "must be \"none\", \"preferred\" or \"required\"");
                t.numa = p;
        }
        if ((v = json_object_get(o, "rates_required"))) {
                r = jcheck_bool(v, jcheck_field(f, field, "rates_required"), &t.rates_required, reason);
                if (r < 0)
                        return r;
        }
        if (t.max_tx_rate_mbps > 0 && t.min_tx_rate_mbps > t.max_tx_rate_mbps)
                return jcheck_problem(reason, jcheck_field(f, field, "min_tx_rate_mbps"),
                                      "%u is above max_tx_rate_mbps %u", t.min_tx_rate_mbps, t.max_tx_rate_mbps);

        *spec = t;
        return 0;
}

static int parse_tiers(json_t *o, TierTable *table, char **reason) {
        const char *key;
        bool seen[_TIER_MAX] = {};
        TierTable t = *table;
        json_t *v;
        int r;

        if (!json_is_object(o))
                return jcheck_problem(reason, "tiers", "must be an object");
        json_object_foreach(o, key, v) {
                char f[JCHECK_FIELD_MAX];
                Tier tier = tier_from_string(key);

                jcheck_field(f, "tiers", key);
                if (tier < 0)
                        return jcheck_problem(reason, f, "unknown tier (expected low, medium or high)");
                if (seen[tier])
                        return jcheck_problem(reason, f, "tier %s given twice", tier_to_string(tier));
                seen[tier] = true;
                r = parse_tier(v, f, &t.tiers[tier], reason);
                if (r < 0)
                        return r;
        }
        *table = t;
        return 0;
}

/* "health": {"flap_count": 5, "flap_window_s": 600, "quarantine_stable_s": 300,
 * "link_down_debounce_ms": 50, "reset_grace_s": 10}, every key optional (policy/health.h). */
static int parse_health(json_t *o, HealthSettings *ret, char **reason) {
        static const struct {
                const char *key;
                uint64_t min, max;
                size_t offset;
        } fields[] = {
                { "flap_count", HEALTH_FLAP_COUNT_MIN, HEALTH_FLAP_COUNT_MAX, offsetof(HealthSettings, flap_count) },
                { "flap_window_s", 1, HEALTH_WINDOW_S_MAX, offsetof(HealthSettings, flap_window_s) },
                { "quarantine_stable_s", 1, HEALTH_WINDOW_S_MAX, offsetof(HealthSettings, quarantine_stable_s) },
                { "link_down_debounce_ms", 0, HEALTH_DEBOUNCE_MS_MAX, offsetof(HealthSettings, link_down_debounce_ms) },
                { "reset_grace_s", 0, HEALTH_RESET_GRACE_S_MAX, offsetof(HealthSettings, reset_grace_s) },
        };
        static const char *const keys[] = { "flap_count", "flap_window_s", "quarantine_stable_s",
                                            "link_down_debounce_ms", "reset_grace_s", NULL };
        HealthSettings h = *ret;
        char f[JCHECK_FIELD_MAX];
        uint64_t u;
        int r;

        if (!json_is_object(o))
                return jcheck_problem(reason, "health", "must be an object");
        r = jcheck_known_keys(o, "health", keys, reason);
        if (r < 0)
                return r;
        for (size_t i = 0; i < ELEMENTSOF(fields); i++) {
                json_t *v = json_object_get(o, fields[i].key);
                if (!v)
                        continue;
                r = jcheck_uint(v, jcheck_field(f, "health", fields[i].key), fields[i].min, fields[i].max, &u, reason);
                if (r < 0)
                        return r;
                *(unsigned *) ((char *) &h + fields[i].offset) = (unsigned) u;
        }
        *ret = h;
        return 0;
}

int settings_parse(json_t *j, Settings *ret, char **reason) {
        static const char *const keys[] = {
                "node_reserve_default", "kernel_min", "libvirt_min", "max_concurrent_operations",
                "max_vms", "vf_drivers_autoprobe", "migration_requires_vf", "pacemaker_utilization", "tiers", "health", NULL,
        };
        Settings s;
        uint64_t u;
        json_t *v;
        int r;

        settings_defaults(&s);
        r = jcheck_known_keys(j, NULL, keys, reason);
        if (r < 0)
                return r;

        if ((v = json_object_get(j, "node_reserve_default"))) {
                r = jcheck_uint(v, "node_reserve_default", 0, 99, &u, reason);
                if (r < 0)
                        return r;
                s.default_node_reserve = (unsigned) u;
        }
        if ((v = json_object_get(j, "kernel_min"))) {
                r = parse_version(v, "kernel_min", s.kernel_min, reason);
                if (r < 0)
                        return r;
        }
        if ((v = json_object_get(j, "libvirt_min"))) {
                r = parse_version(v, "libvirt_min", s.libvirt_min, reason);
                if (r < 0)
                        return r;
        }
        if ((v = json_object_get(j, "max_concurrent_operations"))) {
                r = jcheck_uint(v, "max_concurrent_operations", 1, 256, &u, reason);
                if (r < 0)
                        return r;
                s.max_concurrent_ops = (unsigned) u;
        }
        if ((v = json_object_get(j, "max_vms"))) {
                r = jcheck_uint(v, "max_vms", 1, 65536, &u, reason);
                if (r < 0)
                        return r;
                s.max_vms = (unsigned) u;
        }
        if ((v = json_object_get(j, "vf_drivers_autoprobe"))) {
                r = jcheck_bool(v, "vf_drivers_autoprobe", &s.vf_autoprobe, reason);
                if (r < 0)
                        return r;
        }
        if ((v = json_object_get(j, "migration_requires_vf"))) {
                r = jcheck_bool(v, "migration_requires_vf", &s.migration_requires_vf, reason);
                if (r < 0)
                        return r;
        }
        if ((v = json_object_get(j, "pacemaker_utilization"))) {
                PacemakerUtilization pu = json_is_string(v) ? pacemaker_utilization_from_string(json_string_value(v))
                                                            : _PACEMAKER_UTILIZATION_INVALID;
                if (pu < 0)
                        return jcheck_problem(reason, "pacemaker_utilization",
                                              "must be \"free\", \"capacity\" or \"off\"");
                s.pacemaker_utilization = pu;
        }
        if ((v = json_object_get(j, "tiers"))) {
                r = parse_tiers(v, &s.tiers, reason);
                if (r < 0)
                        return r;
        }
        if ((v = json_object_get(j, "health"))) {
                r = parse_health(v, &s.health, reason);
                if (r < 0)
                        return r;
        }
        *ret = s;
        return 0;
}

int settings_parse_text(const char *text, size_t size, Settings *ret, char **reason) {
        json_auto_t *j = NULL;
        int r;

        r = jcheck_parse(text, size, &j, reason);
        if (r < 0)
                return r;
        return settings_parse(j, ret, reason);
}

/* Reads one file. 0 with *ret set, 0 with *ret NULL when the file does not exist (or,
 * with a problem line, when it cannot be read or is not a regular file of at most
 * CONFIG_FILE_MAX bytes), -ENOMEM. */
static int load_text(const char *config_dir, const char *rel, char **ret, size_t *ret_size, char ***problems,
                     size_t *n_problems) {
        _cleanup_free_ char *path = NULL, *reason = NULL;
        int r;

        *ret = NULL;
        path = path_join(config_dir, rel);
        if (!path)
                return -ENOMEM;
        r = jcheck_read_file(path, CONFIG_FILE_MAX, ret, ret_size, &reason);
        if (r == -ENOENT)
                return 0;
        if (r == -ENOMEM)
                return r;
        if (r == -EBADMSG)
                return strv_appendf(problems, n_problems, "%s: %s", rel, reason);
        if (r < 0)
                return strv_appendf(problems, n_problems, "%s: cannot read: %s", rel, strerror(-r));
        return 0;
}

static int load_settings(const char *config_dir, Settings *s, char ***problems, size_t *n_problems) {
        _cleanup_free_ char *reason = NULL, *text = NULL;
        size_t size = 0;
        int r;

        settings_defaults(s);
        r = load_text(config_dir, CONFIG_SETTINGS_FILE, &text, &size, problems, n_problems);
        if (r < 0 || !text)
                return r;
        r = settings_parse_text(text, size, s, &reason);
        if (r == -EBADMSG)
                return strv_appendf(problems, n_problems, "%s: %s", CONFIG_SETTINGS_FILE, reason);
        return r;
}

static int cmp_names(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool intent_file_name(const char *name) {
        size_t n = strlen(name);
        return name[0] != '.' && n > 5 && streq(name + n - 5, ".json");
}

/* The regular *.json files of intents.d, sorted. A missing directory gives none. */
static int list_intent_files(const char *config_dir, char ***ret, size_t *ret_n, char ***problems,
                             size_t *n_problems) {
        _cleanup_free_ char *path = NULL;
        _cleanup_(closedirp) DIR *d = NULL;
        char **names = NULL;
        size_t n = 0;
        struct dirent *de;
        int r = 0;

        *ret = NULL;
        *ret_n = 0;
        path = path_join(config_dir, CONFIG_INTENTS_DIR);
        if (!path)
                return -ENOMEM;
        d = opendir(path);
        if (!d) {
                if (errno == ENOENT)
                        return 0;
                return strv_appendf(problems, n_problems, "%s: cannot open: %s", CONFIG_INTENTS_DIR,
                                    strerror(errno));
        }
        while ((errno = 0, de = readdir(d))) {
                struct stat st;

                if (!intent_file_name(de->d_name))
                        continue;
                /* Follows symlinks: a link to a regular file counts as one. */
                if (fstatat(dirfd(d), de->d_name, &st, 0) < 0) {
                        r = strv_appendf(problems, n_problems, "%s/%s: cannot read: %s", CONFIG_INTENTS_DIR,
                                         de->d_name, strerror(errno));
                        if (r < 0)
                                goto fail;
                        continue;
                }
                if (!S_ISREG(st.st_mode))
                        continue;
                r = strv_appendf(&names, &n, "%s", de->d_name);
                if (r < 0)
                        goto fail;
        }
        if (errno != 0) {
                r = strv_appendf(problems, n_problems, "%s: cannot read: %s", CONFIG_INTENTS_DIR, strerror(errno));
                if (r < 0)
                        goto fail;
        }
        if (n > 0)
                qsort(names, n, sizeof(char *), cmp_names);
        *ret = names;
        *ret_n = n;
        return 0;
fail:
        strv_free_n(names, n);
        return r;
}

static int config_add_intent(Config *c, Intent *i) {
        Intent *n = realloc(c->intents, sizeof(Intent) * (c->n_intents + 1));
        if (!n)
                return -ENOMEM;
        c->intents = n;
        c->intents[c->n_intents++] = *i;
        *i = (Intent){};
        return 0;
}

static int load_intents(const char *config_dir, Config *c, char ***problems, size_t *n_problems) {
        char **files = NULL;
        size_t n_files = 0;
        int r;

        r = list_intent_files(config_dir, &files, &n_files, problems, n_problems);
        if (r < 0)
                return r;

        for (size_t k = 0; k < n_files; k++) {
                _cleanup_free_ char *rel = NULL, *reason = NULL, *text = NULL;
                _cleanup_(intent_done) Intent i = {};
                const Intent *other;
                size_t size = 0;

                if (k >= CONFIG_INTENTS_MAX) {
                        r = strv_appendf(problems, n_problems,
                                         "%s: more than %u intent files; %zu skipped, from %s on",
                                         CONFIG_INTENTS_DIR, CONFIG_INTENTS_MAX, n_files - k, files[k]);
                        break;
                }
                r = -ENOMEM;
                if (asprintf(&rel, "%s/%s", CONFIG_INTENTS_DIR, files[k]) < 0)
                        break;
                r = load_text(config_dir, rel, &text, &size, problems, n_problems);
                if (r < 0)
                        break;
                if (!text)
                        continue;
                r = intent_parse_text(text, size, &i, &reason);
                if (r == -EBADMSG) {
                        r = strv_appendf(problems, n_problems, "%s: %s", rel, reason);
                        if (r < 0)
                                break;
                        continue;
                }
                if (r < 0)
                        break;
                other = config_find_intent(c, i.name);
                if (other) {
                        r = strv_appendf(problems, n_problems,
                                         "%s: field \"name\": duplicate intent name \"%s\" (already defined in %s)",
                                         rel, i.name, other->source);
                        if (r < 0)
                                break;
                        continue;
                }
                i.source = TAKE_PTR(rel);
                r = config_add_intent(c, &i);
                if (r < 0)
                        break;
        }
        strv_free_n(files, n_files);
        return r < 0 ? r : 0;
}

int config_load(const char *config_dir, Config **ret, char ***ret_problems, size_t *ret_n_problems) {
        _cleanup_(config_freep) Config *c = NULL;
        char **problems = NULL;
        size_t n_problems = 0;
        int r;

        assert_return(config_dir, -EINVAL);
        assert_return(ret, -EINVAL);

        c = calloc(1, sizeof(Config));
        if (!c)
                return -ENOMEM;
        r = load_settings(config_dir, &c->settings, &problems, &n_problems);
        if (r >= 0)
                r = load_intents(config_dir, c, &problems, &n_problems);
        if (r < 0) {
                strv_free_n(problems, n_problems);
                return r;
        }

        /* File names come from readdir(): keep every line a single printable line. */
        for (size_t i = 0; i < n_problems; i++)
                for (char *p = problems[i]; *p; p++)
                        if ((unsigned char) *p < 0x20 || *p == 0x7f)
                                *p = '?';

        *ret = TAKE_PTR(c);
        if (ret_problems)
                *ret_problems = problems;
        else
                strv_free_n(problems, n_problems);
        if (ret_n_problems)
                *ret_n_problems = n_problems;
        return 0;
}

Config *config_free(Config *c) {
        if (!c)
                return NULL;
        for (size_t i = 0; i < c->n_intents; i++)
                intent_done(&c->intents[i]);
        free(c->intents);
        return mfree(c);
}

const Intent *config_find_intent(const Config *c, const char *name) {
        if (!c || !name)
                return NULL;
        for (size_t i = 0; i < c->n_intents; i++)
                if (streq(c->intents[i].name, name))
                        return &c->intents[i];
        return NULL;
}
