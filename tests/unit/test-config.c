/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libgen.h>
#include <sys/stat.h>

#include "policy/config-internal.h"
#include "policy/config.h"
#include "shared/fileio.h"
#include "shared/hostfacts.h"
#include "shared/strutil.h"
#include "testlib.h"

/* Writes DIR/REL, creating intents.d if needed. */
static void put_file(const char *dir, const char *rel, const char *content) {
        _cleanup_free_ char *path = path_join(dir, rel), *parent = NULL;
        _cleanup_fclose_ FILE *f = NULL;

        if (!path)
                abort();
        parent = strdup(path);
        if (!parent || mkdir_p(dirname(parent), 0755) < 0)
                abort();
        f = fopen(path, "we");
        if (!f || fputs(content, f) < 0)
                abort();
}

static void del_file(const char *dir, const char *rel) {
        _cleanup_free_ char *path = path_join(dir, rel);
        if (!path || (unlink(path) < 0 && errno != ENOENT))
                abort();
}

typedef struct Loaded {
        Config *config;
        char **problems;
        size_t n_problems;
} Loaded;

static void loaded_done(Loaded *l) {
        config_free(l->config);
        strv_free_n(l->problems, l->n_problems);
        *l = (Loaded){};
}

static int load(const char *dir, Loaded *l) {
        *l = (Loaded){};
        return config_load(dir, &l->config, &l->problems, &l->n_problems);
}

static bool settings_equal(const Settings *a, const Settings *b) {
        if (a->default_node_reserve != b->default_node_reserve || !streq(a->kernel_min, b->kernel_min) ||
            !streq(a->libvirt_min, b->libvirt_min) || a->max_concurrent_ops != b->max_concurrent_ops ||
            a->max_vms != b->max_vms || a->vf_autoprobe != b->vf_autoprobe ||
            a->migration_requires_vf != b->migration_requires_vf || a->pacemaker_utilization != b->pacemaker_utilization)
                return false;
        for (int t = 0; t < _TIER_MAX; t++) {
                const TierSpec *x = &a->tiers.tiers[t], *y = &b->tiers.tiers[t];
                if (x->min_vcpus_smt_off != y->min_vcpus_smt_off || x->min_vcpus_smt_on != y->min_vcpus_smt_on ||
                    x->min_tx_rate_mbps != y->min_tx_rate_mbps || x->max_tx_rate_mbps != y->max_tx_rate_mbps ||
                    x->numa != y->numa || x->rates_required != y->rates_required)
                        return false;
        }
        return true;
}

static void dump_problems(const Loaded *l) {
        for (size_t i = 0; i < l->n_problems; i++)
                fprintf(stderr, "    problem: %s\n", l->problems[i]);
}

TEST(settings_defaults_values) {
        Settings s;

        memset(&s, 0xaa, sizeof s);
        settings_defaults(&s);
        CHECK_INT(s.default_node_reserve, 50);
        CHECK_STR(s.kernel_min, "5.10");
        CHECK_STR(s.libvirt_min, "7.0.0");
        CHECK_INT(s.max_concurrent_ops, 8);
        CHECK_INT(s.max_vms, 4096);
        CHECK(s.vf_autoprobe == false);
        CHECK(s.migration_requires_vf == false);
        CHECK_INT(s.pacemaker_utilization, PACEMAKER_UTILIZATION_CAPACITY);
        CHECK_INT(s.tiers.tiers[TIER_HIGH].min_vcpus_smt_off, 4);
        CHECK_INT(s.tiers.tiers[TIER_MEDIUM].max_tx_rate_mbps, 10000);
}

TEST(missing_and_empty) {
        _cleanup_free_ char *missing = NULL;
        char *dir = test_tmpdir();
        Loaded l;
        Settings def;

        settings_defaults(&def);

        /* Missing directory: defaults, no intents, no problems. */
        missing = path_join(dir, "nope");
        ASSERT(missing);
        CHECK_INT(load(missing, &l), 0);
        ASSERT(l.config);
        CHECK(settings_equal(&l.config->settings, &def));
        CHECK_INT(l.config->n_intents, 0);
        CHECK_INT(l.n_problems, 0);
        loaded_done(&l);

        /* Empty file set and an empty intents.d. */
        ASSERT(mkdir_p(dir, 0755) == 0);
        put_file(dir, "intents.d/README", "not an intent");
        CHECK_INT(load(dir, &l), 0);
        CHECK(settings_equal(&l.config->settings, &def));
        CHECK_INT(l.config->n_intents, 0);
        CHECK_INT(l.n_problems, 0);
        loaded_done(&l);

        /* "{}" is valid: every key is optional. */
        put_file(dir, "accelnet.json", "{}");
        CHECK_INT(load(dir, &l), 0);
        CHECK(settings_equal(&l.config->settings, &def));
        CHECK_INT(l.n_problems, 0);
        loaded_done(&l);

        /* Callers may ignore problems. */
        Config *c = NULL;
        put_file(dir, "accelnet.json", "{\"max_vms\": 0}");
        CHECK_INT(config_load(dir, &c, NULL, NULL), 0);
        CHECK(c && c->settings.max_vms == 4096);
        config_free(c);
        CHECK(config_free(NULL) == NULL);

        test_tmpdir_cleanup(dir);
}

/* conf/ in the source tree is documentation by value: it must load cleanly and equal the
 * built-in defaults. */
TEST(shipped_conf) {
        _cleanup_free_ char *conf = NULL;
        Settings def;
        Loaded l;

        /* __FILE__ is project-relative (-ffile-prefix-map): the tests know the source tree. */
        conf = path_join(ACCELNET_SOURCE_DIR, "conf");
        ASSERT(conf);
        _cleanup_free_ char *settings_file = path_join(conf, "accelnet.json");
        ASSERT(settings_file && file_exists(settings_file));

        settings_defaults(&def);
        CHECK_INT(load(conf, &l), 0);
        ASSERT(l.config);
        dump_problems(&l);
        CHECK_INT(l.n_problems, 0);
        CHECK(settings_equal(&l.config->settings, &def));
        ASSERT(l.config->n_intents == 1);
        const Intent *i = config_find_intent(l.config, "compute1");
        ASSERT(i);
        CHECK_INT(i->types, INTENT_TYPE_COMPUTE);
        ASSERT(i->n_adapters == 2);
        CHECK_STR(i->adapters[0], "ens1f0");
        CHECK_STR(i->adapters[1], "0000:3b:00.1");
        CHECK_STR(i->source, "intents.d/compute1.json");
        loaded_done(&l);

        /* The simulated host's configuration is valid too. */
        _cleanup_free_ char *sim = path_join(conf, "simulate/config");
        ASSERT(sim);
        CHECK_INT(load(sim, &l), 0);
        ASSERT(l.config);
        dump_problems(&l);
        CHECK_INT(l.n_problems, 0);
        CHECK(l.config->n_intents >= 1);
        loaded_done(&l);
}

TEST(settings_full) {
        char *dir = test_tmpdir();
        Loaded l;

        put_file(dir, "accelnet.json",
                 "{\"node_reserve_default\": 0, \"kernel_min\": \"6.1\", \"libvirt_min\": \"9.0.0\",\n"
                 " \"max_concurrent_operations\": 256, \"max_vms\": 65536, \"vf_drivers_autoprobe\": true,\n"
                 " \"migration_requires_vf\": true, \"pacemaker_utilization\": \"Capacity\",\n"
                 " \"tiers\": {\n"
                 "  \"LOW\": {\"min_vcpus\": {\"smt_off\": 1, \"smt_on\": 2}, \"min_tx_rate_mbps\": 100,\n"
                 "           \"max_tx_rate_mbps\": 1000, \"numa\": \"required\", \"rates_required\": true},\n"
                 "  \"Medium\": {\"min_vcpus\": {\"smt_on\": 8}},\n"
                 "  \"high\": {\"min_tx_rate_mbps\": 5000, \"numa\": \"Preferred\"}\n"
                 " }}\n");
        CHECK_INT(load(dir, &l), 0);
        ASSERT(l.config);
        dump_problems(&l);
        CHECK_INT(l.n_problems, 0);
        const Settings *s = &l.config->settings;
        CHECK_INT(s->default_node_reserve, 0);
        CHECK_STR(s->kernel_min, "6.1");
        CHECK_STR(s->libvirt_min, "9.0.0");
        CHECK_INT(s->max_concurrent_ops, 256);
        CHECK_INT(s->max_vms, 65536);
        CHECK(s->vf_autoprobe);
        CHECK(s->migration_requires_vf);
        CHECK_INT(s->pacemaker_utilization, PACEMAKER_UTILIZATION_CAPACITY);
        const TierSpec *low = &s->tiers.tiers[TIER_LOW], *med = &s->tiers.tiers[TIER_MEDIUM],
                       *high = &s->tiers.tiers[TIER_HIGH];
        CHECK_INT(low->min_vcpus_smt_off, 1);
        CHECK_INT(low->min_vcpus_smt_on, 2);
        CHECK_INT(low->min_tx_rate_mbps, 100);
        CHECK_INT(low->max_tx_rate_mbps, 1000);
        CHECK_INT(low->numa, NUMA_POLICY_REQUIRED);
        CHECK(low->rates_required);
        /* Partial tiers keep the defaults of the keys not given. */
        CHECK_INT(med->min_vcpus_smt_off, 2);
        CHECK_INT(med->min_vcpus_smt_on, 8);
        CHECK_INT(med->max_tx_rate_mbps, 10000);
        CHECK_INT(med->numa, NUMA_POLICY_PREFERRED);
        /* min above max is fine when max is 0 (unlimited). */
        CHECK_INT(high->min_tx_rate_mbps, 5000);
        CHECK_INT(high->max_tx_rate_mbps, 0);
        CHECK_INT(high->numa, NUMA_POLICY_PREFERRED);
        CHECK_INT(high->min_vcpus_smt_off, 4);
        CHECK(!high->rates_required);
        loaded_done(&l);
        test_tmpdir_cleanup(dir);
}

typedef struct BadCase {
        const char *content;
        const char *problem;  /* exact, or a prefix when it ends in '*' */
} BadCase;

static void check_problem(const char *got, const char *want) {
        size_t n = strlen(want);
        if (n > 0 && want[n - 1] == '*') {
                if (!got || strncmp(got, want, n - 1) != 0) {
                        fprintf(stderr, "%s:%d: [%s] problem \"%s\" does not start with \"%.*s\"\n", __FILE__,
                                __LINE__, test_current, got ? got : "(null)", (int) (n - 1), want);
                        test_failures++;
                }
        } else
                CHECK_STR(got, want);
}

TEST(settings_rejected) {
        static const BadCase cases[] = {
                { "{", "accelnet.json: invalid JSON (line *" },
                { "", "accelnet.json: invalid JSON (line *" },
                { "[]", "accelnet.json: must be a JSON object" },
                { "{\"max_vms\": 1, \"max_vms\": 2}", "accelnet.json: invalid JSON (line 1, column *" },
                { "{\"node_reserve\": 10}", "accelnet.json: field \"node_reserve\": unknown key" },
                { "{\"node_reserve_default\": 100}",
                  "accelnet.json: field \"node_reserve_default\": must be an integer between 0 and 99, not 100" },
                { "{\"node_reserve_default\": -1}",
                  "accelnet.json: field \"node_reserve_default\": must be an integer between 0 and 99, not -1" },
                { "{\"node_reserve_default\": \"50\"}",
                  "accelnet.json: field \"node_reserve_default\": must be an integer between 0 and 99" },
                { "{\"node_reserve_default\": 5.0}",
                  "accelnet.json: field \"node_reserve_default\": must be an integer between 0 and 99" },
                { "{\"kernel_min\": 5}",
                  "accelnet.json: field \"kernel_min\": must be a version string of numbers and dots like \"5.10\"" },
                { "{\"kernel_min\": \"5..10\"}",
                  "accelnet.json: field \"kernel_min\": must be a version string of numbers and dots like \"5.10\"" },
                { "{\"kernel_min\": \"\"}",
                  "accelnet.json: field \"kernel_min\": must be a version string of numbers and dots like \"5.10\"" },
                { "{\"libvirt_min\": \"v7\"}",
                  "accelnet.json: field \"libvirt_min\": must be a version string of numbers and dots like \"5.10\"" },
                { "{\"libvirt_min\": \"7.0.\"}",
                  "accelnet.json: field \"libvirt_min\": must be a version string of numbers and dots like \"5.10\"" },
                { "{\"libvirt_min\": \"1.2.3.4.5.6.7.8.9.10.11.12.13.14.15\"}",
                  "accelnet.json: field \"libvirt_min\": must be a version string of numbers and dots like \"5.10\"" },
                { "{\"max_concurrent_operations\": 0}",
                  "accelnet.json: field \"max_concurrent_operations\": must be an integer between 1 and 256, not 0" },
                { "{\"max_concurrent_operations\": 257}",
                  "accelnet.json: field \"max_concurrent_operations\": must be an integer between 1 and 256, not 257" },
                { "{\"max_vms\": 0}", "accelnet.json: field \"max_vms\": must be an integer between 1 and 65536, not 0" },
                { "{\"max_vms\": 65537}",
                  "accelnet.json: field \"max_vms\": must be an integer between 1 and 65536, not 65537" },
                { "{\"vf_drivers_autoprobe\": \"yes\"}",
                  "accelnet.json: field \"vf_drivers_autoprobe\": must be true or false" },
                { "{\"vf_drivers_autoprobe\": 0}", "accelnet.json: field \"vf_drivers_autoprobe\": must be true or false" },
                { "{\"migration_requires_vf\": \"true\"}",
                  "accelnet.json: field \"migration_requires_vf\": must be true or false" },
                { "{\"migration_requires_vf\": 1}",
                  "accelnet.json: field \"migration_requires_vf\": must be true or false" },
                { "{\"migration_requires_vf\": null}",
                  "accelnet.json: field \"migration_requires_vf\": must be true or false" },
                { "{\"pacemaker_utilization\": \"yes\"}",
                  "accelnet.json: field \"pacemaker_utilization\": must be \"free\", \"capacity\" or \"off\"" },
                { "{\"pacemaker_utilization\": true}",
                  "accelnet.json: field \"pacemaker_utilization\": must be \"free\", \"capacity\" or \"off\"" },
                { "{\"migration_requires_vfs\": true}",
                  "accelnet.json: field \"migration_requires_vfs\": unknown key" },
                { "{\"tiers\": []}", "accelnet.json: field \"tiers\": must be an object" },
                { "{\"tiers\": {\"ultra\": {}}}",
                  "accelnet.json: field \"tiers.ultra\": unknown tier (expected low, medium or high)" },
                { "{\"tiers\": {\"low\": {}, \"LOW\": {}}}", "accelnet.json: field \"tiers.LOW\": tier Low given twice" },
                { "{\"tiers\": {\"low\": 5}}", "accelnet.json: field \"tiers.low\": must be an object" },
                { "{\"tiers\": {\"low\": {\"speed\": 1}}}", "accelnet.json: field \"tiers.low.speed\": unknown key" },
                { "{\"tiers\": {\"low\": {\"min_vcpus\": 3}}}",
                  "accelnet.json: field \"tiers.low.min_vcpus\": must be an object" },
                { "{\"tiers\": {\"low\": {\"min_vcpus\": {\"smt_maybe\": 3}}}}",
                  "accelnet.json: field \"tiers.low.min_vcpus.smt_maybe\": unknown key" },
                { "{\"tiers\": {\"low\": {\"min_vcpus\": {\"smt_off\": 0}}}}",
                  "accelnet.json: field \"tiers.low.min_vcpus.smt_off\": must be an integer between 1 and 4096, not 0" },
                { "{\"tiers\": {\"high\": {\"min_vcpus\": {\"smt_on\": 4097}}}}",
                  "accelnet.json: field \"tiers.high.min_vcpus.smt_on\": must be an integer between 1 and 4096, not 4097" },
                { "{\"tiers\": {\"medium\": {\"numa\": \"sometimes\"}}}",
                  "accelnet.json: field \"tiers.medium.numa\": must be \"none\", \"preferred\" or \"required\"" },
                { "{\"tiers\": {\"medium\": {\"numa\": 1}}}",
                  "accelnet.json: field \"tiers.medium.numa\": must be \"none\", \"preferred\" or \"required\"" },
                { "{\"tiers\": {\"high\": {\"rates_required\": 1}}}",
                  "accelnet.json: field \"tiers.high.rates_required\": must be true or false" },
                { "{\"tiers\": {\"low\": {\"min_tx_rate_mbps\": 3000}}}",
                  "accelnet.json: field \"tiers.low.min_tx_rate_mbps\": 3000 is above max_tx_rate_mbps 2000" },
                { "{\"tiers\": {\"medium\": {\"min_tx_rate_mbps\": 500, \"max_tx_rate_mbps\": 400}}}",
                  "accelnet.json: field \"tiers.medium.min_tx_rate_mbps\": 500 is above max_tx_rate_mbps 400" },
                { "{\"tiers\": {\"low\": {\"max_tx_rate_mbps\": 1000001}}}",
                  "accelnet.json: field \"tiers.low.max_tx_rate_mbps\": must be an integer between 0 and 1000000, not 1000001" },
                { "{\"tiers\": {\"low\": {\"min_tx_rate_mbps\": -5}}}",
                  "accelnet.json: field \"tiers.low.min_tx_rate_mbps\": must be an integer between 0 and 1000000, not -5" },
                /* A bad field makes the whole file count as absent, good fields included. */
                { "{\"max_vms\": 10, \"kernel_min\": \"6.1\", \"node_reserve_default\": 100}",
                  "accelnet.json: field \"node_reserve_default\": must be an integer between 0 and 99, not 100" },
                { "{\"max_vms\": 10, \"tiers\": {\"high\": {\"numa\": \"none\"}, \"low\": {\"numa\": \"x\"}}}",
                  "accelnet.json: field \"tiers.low.numa\": must be \"none\", \"preferred\" or \"required\"" },
        };
        char *dir = test_tmpdir();
        Settings def;

        settings_defaults(&def);
        /* A good intent beside the bad settings file still loads. */
        put_file(dir, "intents.d/compute1.json", "{\"name\": \"compute1\", \"types\": [\"compute\"], \"adapters\": [\"ens1f0\"]}");

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Loaded l;

                put_file(dir, "accelnet.json", cases[i].content);
                CHECK_INT(load(dir, &l), 0);
                if (!l.config) {
                        test_failures++;
                        continue;
                }
                if (l.n_problems != 1) {
                        fprintf(stderr, "case %zu (%s): %zu problems\n", i, cases[i].content, l.n_problems);
                        dump_problems(&l);
                }
                CHECK_INT(l.n_problems, 1);
                if (l.n_problems >= 1)
                        check_problem(l.problems[0], cases[i].problem);
                if (!settings_equal(&l.config->settings, &def)) {
                        fprintf(stderr, "case %zu (%s): settings are not the defaults\n", i, cases[i].content);
                        test_failures++;
                }
                CHECK_INT(l.config->n_intents, 1);
                CHECK(config_find_intent(l.config, "compute1") != NULL);
                loaded_done(&l);
        }
        test_tmpdir_cleanup(dir);
}

TEST(settings_not_a_file) {
        char *dir = test_tmpdir();
        _cleanup_free_ char *p = path_join(dir, "accelnet.json"), *big = NULL;
        Loaded l;

        /* A directory where the file should be. */
        ASSERT(p && mkdir(p, 0755) == 0);
        CHECK_INT(load(dir, &l), 0);
        CHECK_INT(l.n_problems, 1);
        if (l.n_problems == 1)
                CHECK_STR(l.problems[0], "accelnet.json: not a regular file");
        loaded_done(&l);
        ASSERT(rmdir(p) == 0);

        /* Larger than 1 MiB, even if valid JSON. */
        size_t n = 1024 * 1024 + 1;
        big = malloc(n + 1);
        ASSERT(big);
        memset(big, ' ', n);
        big[0] = '{';
        big[n - 1] = '}';
        big[n] = 0;
        put_file(dir, "accelnet.json", big);
        CHECK_INT(load(dir, &l), 0);
        CHECK_INT(l.n_problems, 1);
        if (l.n_problems == 1)
                CHECK_STR(l.problems[0], "accelnet.json: larger than 1048576 bytes");
        CHECK_INT(l.config->settings.max_vms, 4096);
        loaded_done(&l);

        /* Exactly 1 MiB is accepted. */
        big[n - 2] = '}';
        big[n - 1] = 0;
        put_file(dir, "accelnet.json", big);
        CHECK_INT(load(dir, &l), 0);
        dump_problems(&l);
        CHECK_INT(l.n_problems, 0);
        loaded_done(&l);
        test_tmpdir_cleanup(dir);
}

TEST(intents_good) {
        char *dir = test_tmpdir();
        _cleanup_free_ char *sub = NULL, *target = NULL, *link = NULL;
        Loaded l;

        put_file(dir, "intents.d/b-storage.json",
                 "{\"adapters\": [\"0000:3B:00.0\", \"ens2\"], \"types\": [\"Storage\", \"management\"],"
                 " \"name\": \"st.or_age-2\"}");
        put_file(dir, "intents.d/a-compute.json",
                 "{\"name\": \"compute1\", \"types\": [\"compute\", \"compute\"], \"adapters\": [\"ens1f0\"]}");
        /* Not intents: other suffixes, hidden files, directories. */
        put_file(dir, "intents.d/c.json.bak", "garbage");
        put_file(dir, "intents.d/.hidden.json", "garbage");
        put_file(dir, "intents.d/json", "garbage");
        put_file(dir, "intents.d/.json", "garbage");
        sub = path_join(dir, "intents.d/d.json");
        ASSERT(sub && mkdir(sub, 0755) == 0);
        /* A symlink to a regular file counts as the file. */
        target = path_join(dir, "elsewhere.txt");
        link = path_join(dir, "intents.d/e-link.json");
        ASSERT(target && link);
        put_file(dir, "elsewhere.txt", "{\"name\": \"linked\", \"types\": [\"compute\"], \"adapters\": [\"eth0\"]}");
        ASSERT(symlink(target, link) == 0);

        CHECK_INT(load(dir, &l), 0);
        ASSERT(l.config);
        dump_problems(&l);
        CHECK_INT(l.n_problems, 0);
        ASSERT(l.config->n_intents == 3);
        /* Sorted by file name, not by intent name. */
        const Intent *a = &l.config->intents[0], *b = &l.config->intents[1], *e = &l.config->intents[2];
        CHECK_STR(a->name, "compute1");
        CHECK_STR(a->source, "intents.d/a-compute.json");
        CHECK_INT(a->types, INTENT_TYPE_COMPUTE);
        CHECK_INT(a->n_adapters, 1);
        CHECK_STR(b->name, "st.or_age-2");
        CHECK_STR(b->source, "intents.d/b-storage.json");
        CHECK_INT(b->types, INTENT_TYPE_STORAGE | INTENT_TYPE_MANAGEMENT);
        ASSERT(b->n_adapters == 2);
        CHECK_STR(b->adapters[0], "0000:3B:00.0"); /* as written */
        CHECK_STR(b->adapters[1], "ens2");
        CHECK_STR(e->name, "linked");

        CHECK(config_find_intent(l.config, "compute1") == a);
        CHECK(config_find_intent(l.config, "st.or_age-2") == b);
        CHECK(config_find_intent(l.config, "Compute1") == NULL);
        CHECK(config_find_intent(l.config, "nope") == NULL);
        CHECK(config_find_intent(l.config, NULL) == NULL);
        CHECK(config_find_intent(NULL, "compute1") == NULL);
        loaded_done(&l);
        test_tmpdir_cleanup(dir);
}

static char *json_list(const char *prefix, size_t n) {
        StrBuf b = {};
        strbuf_appendf(&b, "[");
        for (size_t i = 0; i < n; i++)
                strbuf_appendf(&b, "%s\"%s%zu\"", i ? ", " : "", prefix, i);
        strbuf_appendf(&b, "]");
        return strbuf_steal(&b);
}

TEST(intents_rejected) {
        static const BadCase cases[] = {
                { "{\"name\": \"x\",", "intents.d/m-bad.json: invalid JSON (line *" },
                { "[\"compute1\"]", "intents.d/m-bad.json: must be a JSON object" },
                { "{\"name\": \"x\", \"types\": [\"compute\"], \"adapters\": [\"eth0\"], \"mtu\": 9000}",
                  "intents.d/m-bad.json: field \"mtu\": unknown key" },
                { "{\"types\": [\"compute\"], \"adapters\": [\"eth0\"]}", "intents.d/m-bad.json: field \"name\": is required" },
                { "{\"name\": 5, \"types\": [\"compute\"], \"adapters\": [\"eth0\"]}",
                  "intents.d/m-bad.json: field \"name\": must be a string" },
                { "{\"name\": \".hidden\", \"types\": [\"compute\"], \"adapters\": [\"eth0\"]}",
                  "intents.d/m-bad.json: field \"name\": \".hidden\" is not 1-64 characters of A-Z, a-z, 0-9, '_', '.', '-' not starting with '.'" },
                { "{\"name\": \"\", \"types\": [\"compute\"], \"adapters\": [\"eth0\"]}",
                  "intents.d/m-bad.json: field \"name\": \"\" is not 1-64 characters*" },
                { "{\"name\": \"a/b\", \"types\": [\"compute\"], \"adapters\": [\"eth0\"]}",
                  "intents.d/m-bad.json: field \"name\": \"a/b\" is not 1-64 characters*" },
                { "{\"name\": \"a b\", \"types\": [\"compute\"], \"adapters\": [\"eth0\"]}",
                  "intents.d/m-bad.json: field \"name\": \"a b\" is not 1-64 characters*" },
                { "{\"name\": \"a\\nb\", \"types\": [\"compute\"], \"adapters\": [\"eth0\"]}",
                  "intents.d/m-bad.json: field \"name\": \"a?b\" is not 1-64 characters*" },
                { "{\"name\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\", \"types\": [\"compute\"], \"adapters\": [\"eth0\"]}",
                  "intents.d/m-bad.json: field \"name\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\" is not 1-64 characters*" },
                { "{\"name\": \"x\", \"adapters\": [\"eth0\"]}", "intents.d/m-bad.json: field \"types\": is required" },
                { "{\"name\": \"x\", \"types\": \"compute\", \"adapters\": [\"eth0\"]}",
                  "intents.d/m-bad.json: field \"types\": must be an array of strings" },
                { "{\"name\": \"x\", \"types\": [\"compute\", 1], \"adapters\": [\"eth0\"]}",
                  "intents.d/m-bad.json: field \"types\": must be an array of strings" },
                { "{\"name\": \"x\", \"types\": [], \"adapters\": [\"eth0\"]}",
                  "intents.d/m-bad.json: field \"types\": must not be empty" },
                { "{\"name\": \"x\", \"types\": [\"compute\", \"gpu\"], \"adapters\": [\"eth0\"]}",
                  "intents.d/m-bad.json: field \"types\": unknown type \"gpu\" (expected compute, storage or management)" },
                { "{\"name\": \"x\", \"types\": [\"compute\"]}", "intents.d/m-bad.json: field \"adapters\": is required" },
                { "{\"name\": \"x\", \"types\": [\"compute\"], \"adapters\": \"eth0\"}",
                  "intents.d/m-bad.json: field \"adapters\": must be an array of strings" },
                { "{\"name\": \"x\", \"types\": [\"compute\"], \"adapters\": [\"eth0\", null]}",
                  "intents.d/m-bad.json: field \"adapters\": must be an array of strings" },
                { "{\"name\": \"x\", \"types\": [\"compute\"], \"adapters\": []}",
                  "intents.d/m-bad.json: field \"adapters\": must not be empty" },
                { "{\"name\": \"x\", \"types\": [\"compute\"], \"adapters\": [\"eth/0\"]}",
                  "intents.d/m-bad.json: field \"adapters\": \"eth/0\" is neither a network interface name nor a PCI address like 0000:3b:00.1" },
                { "{\"name\": \"x\", \"types\": [\"compute\"], \"adapters\": [\"\"]}",
                  "intents.d/m-bad.json: field \"adapters\": \"\" is neither*" },
                { "{\"name\": \"x\", \"types\": [\"compute\"], \"adapters\": [\"sixteen_chars_xx\"]}",
                  "intents.d/m-bad.json: field \"adapters\": \"sixteen_chars_xx\" is neither*" },
                { "{\"name\": \"x\", \"types\": [\"compute\"], \"adapters\": [\"0000:3b:00.8\"]}",
                  "intents.d/m-bad.json: field \"adapters\": \"0000:3b:00.8\" is neither*" },
                { "{\"name\": \"x\", \"types\": [\"compute\"], \"adapters\": [\"3b:00.1\"]}",
                  "intents.d/m-bad.json: field \"adapters\": \"3b:00.1\" is neither*" },
                { "{\"name\": \"x\", \"types\": [\"compute\"], \"adapters\": [\"ens1f0\", \"ens1f0\"]}",
                  "intents.d/m-bad.json: field \"adapters\": \"ens1f0\" is listed twice" },
                { "{\"name\": \"x\", \"types\": [\"compute\"], \"adapters\": [\"0000:3b:00.1\", \"0000:3B:00.1\"]}",
                  "intents.d/m-bad.json: field \"adapters\": \"0000:3B:00.1\" is listed twice" },
                { "{\"name\": \"x\", \"name\": \"y\", \"types\": [\"compute\"], \"adapters\": [\"eth0\"]}",
                  "intents.d/m-bad.json: invalid JSON (line 1, column *" },
        };
        char *dir = test_tmpdir();

        put_file(dir, "intents.d/a-good.json", "{\"name\": \"first\", \"types\": [\"compute\"], \"adapters\": [\"ens1f0\"]}");
        put_file(dir, "intents.d/z-good.json", "{\"name\": \"last\", \"types\": [\"storage\"], \"adapters\": [\"ens2f0\"]}");
        /* Good settings beside bad intents still load. */
        put_file(dir, "accelnet.json", "{\"max_vms\": 12}");

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                Loaded l;

                put_file(dir, "intents.d/m-bad.json", cases[i].content);
                CHECK_INT(load(dir, &l), 0);
                if (!l.config) {
                        test_failures++;
                        continue;
                }
                if (l.n_problems != 1) {
                        fprintf(stderr, "case %zu (%s): %zu problems\n", i, cases[i].content, l.n_problems);
                        dump_problems(&l);
                }
                CHECK_INT(l.n_problems, 1);
                if (l.n_problems >= 1)
                        check_problem(l.problems[0], cases[i].problem);
                CHECK_INT(l.config->n_intents, 2);
                CHECK(config_find_intent(l.config, "first") != NULL);
                CHECK(config_find_intent(l.config, "last") != NULL);
                CHECK(config_find_intent(l.config, "x") == NULL);
                CHECK_INT(l.config->settings.max_vms, 12);
                loaded_done(&l);
        }
        test_tmpdir_cleanup(dir);
}

TEST(intent_adapter_limits) {
        char *dir = test_tmpdir();
        _cleanup_free_ char *ok = json_list("eth", 256), *over = json_list("eth", 257), *content = NULL;
        Loaded l;

        ASSERT(ok && over);
        ASSERT(asprintf(&content, "{\"name\": \"many\", \"types\": [\"compute\"], \"adapters\": %s}", ok) > 0);
        put_file(dir, "intents.d/many.json", content);
        CHECK_INT(load(dir, &l), 0);
        dump_problems(&l);
        CHECK_INT(l.n_problems, 0);
        const Intent *i = config_find_intent(l.config, "many");
        CHECK(i && i->n_adapters == 256);
        CHECK(i && streq(i->adapters[255], "eth255"));
        loaded_done(&l);

        content = mfree(content);
        ASSERT(asprintf(&content, "{\"name\": \"many\", \"types\": [\"compute\"], \"adapters\": %s}", over) > 0);
        put_file(dir, "intents.d/many.json", content);
        CHECK_INT(load(dir, &l), 0);
        CHECK_INT(l.config->n_intents, 0);
        CHECK_INT(l.n_problems, 1);
        if (l.n_problems == 1)
                CHECK_STR(l.problems[0], "intents.d/many.json: field \"adapters\": more than 256 adapters");
        loaded_done(&l);

        /* Intent names: 64 characters are fine. */
        const char *name64 = "a234567890123456789012345678901234567890123456789012345678901234";
        content = mfree(content);
        ASSERT(asprintf(&content, "{\"name\": \"%s\", \"types\": [\"compute\"], \"adapters\": [\"eth0\"]}", name64) > 0);
        put_file(dir, "intents.d/many.json", content);
        CHECK_INT(load(dir, &l), 0);
        CHECK_INT(l.n_problems, 0);
        CHECK(config_find_intent(l.config, name64) != NULL);
        loaded_done(&l);

        /* Over 1 MiB is skipped. */
        size_t n = 1024 * 1024 + 10;
        content = mfree(content);
        content = malloc(n + 1);
        ASSERT(content);
        memset(content, ' ', n);
        content[n] = 0;
        memcpy(content, "{\"name\": \"big\", \"types\": [\"compute\"], \"adapters\": [\"eth0\"]}",
               strlen("{\"name\": \"big\", \"types\": [\"compute\"], \"adapters\": [\"eth0\"]}"));
        put_file(dir, "intents.d/many.json", content);
        CHECK_INT(load(dir, &l), 0);
        CHECK_INT(l.config->n_intents, 0);
        CHECK_INT(l.n_problems, 1);
        if (l.n_problems == 1)
                CHECK_STR(l.problems[0], "intents.d/many.json: larger than 1048576 bytes");
        loaded_done(&l);
        test_tmpdir_cleanup(dir);
}

TEST(intent_duplicates) {
        char *dir = test_tmpdir();
        Loaded l;

        put_file(dir, "intents.d/b.json", "{\"name\": \"compute1\", \"types\": [\"storage\"], \"adapters\": [\"ens2\"]}");
        put_file(dir, "intents.d/a.json", "{\"name\": \"compute1\", \"types\": [\"compute\"], \"adapters\": [\"ens1\"]}");
        put_file(dir, "intents.d/c.json", "{\"name\": \"other\", \"types\": [\"compute\"], \"adapters\": [\"ens1\"]}");
        put_file(dir, "intents.d/d.json", "{\"name\": \"compute1\", \"types\": [\"compute\"], \"adapters\": [\"ens3\"]}");

        CHECK_INT(load(dir, &l), 0);
        ASSERT(l.config);
        CHECK_INT(l.config->n_intents, 2);
        /* The first file in name order wins. */
        const Intent *i = config_find_intent(l.config, "compute1");
        ASSERT(i);
        CHECK_STR(i->source, "intents.d/a.json");
        CHECK_INT(i->types, INTENT_TYPE_COMPUTE);
        CHECK_STR(i->adapters[0], "ens1");
        CHECK(config_find_intent(l.config, "other") != NULL);
        ASSERT(l.n_problems == 2);
        CHECK_STR(l.problems[0],
                  "intents.d/b.json: field \"name\": duplicate intent name \"compute1\" (already defined in intents.d/a.json)");
        CHECK_STR(l.problems[1],
                  "intents.d/d.json: field \"name\": duplicate intent name \"compute1\" (already defined in intents.d/a.json)");
        loaded_done(&l);

        /* Remove the first: the second takes its place. */
        del_file(dir, "intents.d/a.json");
        CHECK_INT(load(dir, &l), 0);
        i = config_find_intent(l.config, "compute1");
        CHECK(i && streq(i->source, "intents.d/b.json"));
        CHECK_INT(l.n_problems, 1);
        loaded_done(&l);
        test_tmpdir_cleanup(dir);
}

TEST(intent_file_limit) {
        char *dir = test_tmpdir();
        Loaded l;

        for (unsigned k = 0; k < 1030; k++) {
                char rel[64], content[160];
                snprintf(rel, sizeof rel, "intents.d/i%04u.json", k);
                snprintf(content, sizeof content, "{\"name\": \"i%u\", \"types\": [\"compute\"], \"adapters\": [\"eth0\"]}", k);
                put_file(dir, rel, content);
        }
        CHECK_INT(load(dir, &l), 0);
        ASSERT(l.config);
        CHECK_INT(l.config->n_intents, 1024);
        CHECK(config_find_intent(l.config, "i1023") != NULL);
        CHECK(config_find_intent(l.config, "i1024") == NULL);
        CHECK_INT(l.n_problems, 1);
        if (l.n_problems == 1)
                CHECK_STR(l.problems[0], "intents.d: more than 1024 intent files; 6 skipped, from i1024.json on");
        loaded_done(&l);
        test_tmpdir_cleanup(dir);
}

TEST(problem_lines_printable) {
        char *dir = test_tmpdir();
        Loaded l;

        put_file(dir, "intents.d/evil\nname.json", "{");
        CHECK_INT(load(dir, &l), 0);
        CHECK_INT(l.n_problems, 1);
        if (l.n_problems == 1) {
                CHECK(strchr(l.problems[0], '\n') == NULL);
                CHECK_CONTAINS(l.problems[0], "intents.d/evil?name.json: invalid JSON");
        }
        loaded_done(&l);
        test_tmpdir_cleanup(dir);
}

TEST(intent_names_and_types) {
        CHECK(intent_name_valid("compute1"));
        CHECK(intent_name_valid("a"));
        CHECK(intent_name_valid("A-b_c.d9"));
        CHECK(intent_name_valid("a."));
        CHECK(intent_name_valid("a234567890123456789012345678901234567890123456789012345678901234"));
        CHECK(!intent_name_valid("a2345678901234567890123456789012345678901234567890123456789012345"));
        CHECK(!intent_name_valid(""));
        CHECK(!intent_name_valid(NULL));
        CHECK(!intent_name_valid(".a"));
        CHECK(!intent_name_valid(".."));
        CHECK(!intent_name_valid("a/b"));
        CHECK(!intent_name_valid("a b"));
        CHECK(!intent_name_valid("é"));
        CHECK(!intent_name_valid("a:b"));

        static const IntentType types[] = { INTENT_TYPE_COMPUTE, INTENT_TYPE_STORAGE, INTENT_TYPE_MANAGEMENT };
        static const char *const names[] = { "compute", "storage", "management" };
        for (size_t i = 0; i < ELEMENTSOF(types); i++) {
                CHECK_STR(intent_type_to_string(types[i]), names[i]);
                CHECK_INT(intent_type_from_string(names[i]), types[i]);
        }
        CHECK_INT(intent_type_from_string("Compute"), INTENT_TYPE_COMPUTE);
        CHECK_INT(intent_type_from_string("gpu"), -EINVAL);
        CHECK_INT(intent_type_from_string(""), -EINVAL);
        CHECK_INT(intent_type_from_string(NULL), -EINVAL);
        CHECK(intent_type_to_string((IntentType) 0) == NULL);
        CHECK(intent_type_to_string((IntentType) (INTENT_TYPE_COMPUTE | INTENT_TYPE_STORAGE)) == NULL);
        CHECK(intent_type_to_string((IntentType) (1 << 3)) == NULL);
}

TEST(parse_text) {
        /* settings_parse_text/intent_parse_text: what config_load runs on each file's text. */
        static const char settings[] = "{\"node_reserve_default\": 20, \"tiers\": {\"high\": {\"numa\": \"none\"}}}";
        static const char intent[] = "{\"name\": \"c1\", \"types\": [\"compute\"], \"adapters\": [\"ens1f0\"]}";
        _cleanup_free_ char *reason = NULL;
        _cleanup_(intent_done) Intent i = {};
        Settings s;

        /* Exactly size bytes are parsed: the closing brace cut off is invalid JSON. */
        CHECK_INT(settings_parse_text(settings, sizeof settings - 1, &s, &reason), 0);
        CHECK_INT(s.default_node_reserve, 20);
        CHECK_INT(s.tiers.tiers[TIER_HIGH].numa, NUMA_POLICY_NONE);
        CHECK_INT(settings_parse_text(settings, sizeof settings - 2, &s, &reason), -EBADMSG);
        CHECK_CONTAINS(reason, "invalid JSON");
        CHECK_INT(settings_parse_text("{\"max_vms\": 1, \"max_vms\": 2}", 28, &s, &reason), -EBADMSG);
        CHECK_CONTAINS(reason, "duplicate");
        CHECK_INT(settings_parse_text("[]", 2, &s, &reason), -EBADMSG);
        CHECK_CONTAINS(reason, "must be a JSON object");
        /* migration_requires_vf alone: set, everything else at its default */
        Settings def;
        settings_defaults(&def);
        def.migration_requires_vf = true;
        CHECK_INT(settings_parse_text("{\"migration_requires_vf\": true}", 31, &s, &reason), 0);
        CHECK(settings_equal(&s, &def));
        CHECK_INT(settings_parse_text("{\"migration_requires_vf\": false}", 32, &s, &reason), 0);
        CHECK(!s.migration_requires_vf);
        /* pacemaker_utilization alone: off, everything else at its default */
        settings_defaults(&def);
        def.pacemaker_utilization = PACEMAKER_UTILIZATION_OFF;
        CHECK_INT(settings_parse_text("{\"pacemaker_utilization\": \"off\"}", 32, &s, &reason), 0);
        CHECK(settings_equal(&s, &def));
        for (PacemakerUtilization u = 0; u < _PACEMAKER_UTILIZATION_MAX; u++)
                CHECK_INT(pacemaker_utilization_from_string(pacemaker_utilization_to_string(u)), u);
        CHECK_INT(pacemaker_utilization_from_string("on"), -EINVAL);

        CHECK_INT(intent_parse_text(intent, sizeof intent - 1, &i, &reason), 0);
        CHECK_STR(i.name, "c1");
        CHECK_INT(i.types, INTENT_TYPE_COMPUTE);
        CHECK_INT(i.n_adapters, 1);
        intent_done(&i);
        CHECK_INT(intent_parse_text(intent, 10, &i, &reason), -EBADMSG);
        CHECK(i.name == NULL);
        CHECK_CONTAINS(reason, "invalid JSON");
}

int main(void) {
        RUN(settings_defaults_values);
        RUN(missing_and_empty);
        RUN(shipped_conf);
        RUN(settings_full);
        RUN(settings_rejected);
        RUN(settings_not_a_file);
        RUN(intents_good);
        RUN(intents_rejected);
        RUN(intent_adapter_limits);
        RUN(intent_duplicates);
        RUN(intent_file_limit);
        RUN(problem_lines_printable);
        RUN(intent_names_and_types);
        RUN(parse_text);
        return TEST_MAIN_END();
}
