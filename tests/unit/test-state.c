/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <jansson.h>
#include <sys/stat.h>

#include "policy/state.h"
#include "shared/fileio.h"
#include "testlib.h"

static void put_file(const char *dir, const char *rel, const char *content) {
        _cleanup_free_ char *path = path_join(dir, rel);
        _cleanup_fclose_ FILE *f = NULL;

        if (!path)
                abort();
        f = fopen(path, "we");
        if (!f || fputs(content, f) < 0)
                abort();
}

static char *get_file(const char *dir, const char *rel) {
        _cleanup_free_ char *path = path_join(dir, rel);
        char *s = NULL;

        if (!path || read_full_file(path, 1 << 24, &s, NULL) < 0)
                return NULL;
        return s;
}

/* Number of entries in dir (besides . and ..); *ret_match gets the one starting with prefix
 * (if several, the last seen) and *ret_n_match how many do. */
static size_t list_dir(const char *dir, const char *prefix, char **ret_match, size_t *ret_n_match) {
        _cleanup_(closedirp) DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0, m = 0;

        if (ret_match)
                *ret_match = NULL;
        if (!d)
                return 0;
        while ((de = readdir(d))) {
                if (streq(de->d_name, ".") || streq(de->d_name, ".."))
                        continue;
                n++;
                if (prefix && strncmp(de->d_name, prefix, strlen(prefix)) == 0) {
                        m++;
                        if (ret_match) {
                                free(*ret_match);
                                *ret_match = strdup(de->d_name);
                        }
                }
        }
        if (ret_n_match)
                *ret_n_match = m;
        return n;
}

/* "YYYYmmddTHHMMSSZ" */
static bool is_timestamp(const char *s) {
        if (strlen(s) < 16)
                return false;
        for (int i = 0; i < 16; i++) {
                if (i == 8 ? s[i] != 'T' : i == 15 ? s[i] != 'Z' : (s[i] < '0' || s[i] > '9'))
                        return false;
        }
        return s[16] == 0 || s[16] == '-';
}

static void fill_state(State *s) {
        Assignment a = {
                .vm = (char *) "web-01",
                .vm_uuid = (char *) "6f1c3a4e-8d2b-4c1e-9a7f-0123456789ab",
                .tier = TIER_HIGH,
                .vf = "0000:3b:02.1",
                .pf = "0000:3b:00.0",
                .vf_index = 9,
                .phase = ASSIGN_PHASE_RELEASING,
                .next_start = true,
                .alias = (char *) "ua-accelnet-web-01",
                .mac = "52:54:00:aa:bb:cc",
                .vlan = 4094,
                .saved = {
                        .valid = true,
                        .mac = "02:00:00:00:00:01",
                        .vlan = 100,
                        .qos = 5,
                        .spoofchk = false,
                        .trust = true,
                        .min_tx_rate = 17,
                        .max_tx_rate = 4000000000u,
                        .link_state = 2, /* disable */
                },
        };
        Assignment b = {
                .vm = (char *) "db \"primary\" ü",
                .tier = TIER_LOW,
                .vf = "10000:00:01.7",
                .pf = "10000:00:00.0",
                .vf_index = 0,
                .phase = ASSIGN_PHASE_ASSIGNING,
                .mac = "",
        };
        ProvisionedPf p = { .pf = "0000:3b:00.0", .numvfs_before = 2, .numvfs = 63, .status = PROVISION_DONE };
        ProvisionedPf q = { .pf = "10000:00:00.0", .numvfs_before = 0, .numvfs = 7, .status = PROVISION_FAILED };

        s->enabled = true;
        s->node_reserve = 33;
        free(s->intent);
        s->intent = strdup("compute1");
        if (!s->intent || !state_add_vm(s, &a) || !state_add_vm(s, &b) || !state_add_pf(s, &p) || !state_add_pf(s, &q) ||
            !state_add_waiting(s, "mig \"1\" ü", UINT64_C(1796592605)) || !state_add_waiting(s, "web-02", 1) ||
            !state_add_drained(s, "0000:3b:00.0", UINT64_C(1796592000)) ||
            !state_add_service(s, &(StateVmService){ .vm = (char *) "web-01", .without_total = 42 }) ||
            !state_add_service(s, &(StateVmService){ .vm = (char *) "revoked \"ü\"", .revoked_since = 1796592100,
                                                     .without_since = 1796592099, .without_total = 7 }))
                abort();
}

TEST(string_tables) {
        static const char *const phases[] = { "assigning", "assigned", "releasing", "incoming", "revoking" };
        static const char *const statuses[] = { "pending", "done", "failed" };

        for (int i = 0; i < _ASSIGN_PHASE_MAX; i++) {
                CHECK_STR(assign_phase_to_string((AssignPhase) i), phases[i]);
                CHECK_INT(assign_phase_from_string(phases[i]), i);
        }
        CHECK_INT(assign_phase_from_string("attached"), _ASSIGN_PHASE_INVALID);
        CHECK_INT(assign_phase_from_string(NULL), _ASSIGN_PHASE_INVALID);
        CHECK(assign_phase_to_string(_ASSIGN_PHASE_MAX) == NULL);
        CHECK(assign_phase_to_string(_ASSIGN_PHASE_INVALID) == NULL);

        for (int i = 0; i < _PROVISION_STATUS_MAX; i++) {
                CHECK_STR(provision_status_to_string((ProvisionStatus) i), statuses[i]);
                CHECK_INT(provision_status_from_string(statuses[i]), i);
        }
        CHECK_INT(provision_status_from_string("ok"), _PROVISION_STATUS_INVALID);
        CHECK_INT(provision_status_from_string(NULL), _PROVISION_STATUS_INVALID);
        CHECK(provision_status_to_string(_PROVISION_STATUS_MAX) == NULL);
}

TEST(missing_file_and_dir) {
        char *dir = test_tmpdir();
        _cleanup_free_ char *sub = path_join(dir, "var/lib/accelnet"), *file = NULL, *note = (char *) 1;
        _cleanup_(state_freep) State *s = NULL;
        struct stat st;

        ASSERT(sub);
        /* Missing directory and file: an empty state, no note. */
        CHECK_INT(state_load(sub, &s, &note), 0);
        ASSERT(s);
        CHECK(note == NULL);
        CHECK_INT(s->version, STATE_SCHEMA_VERSION);
        CHECK(!s->enabled);
        CHECK(s->intent == NULL);
        CHECK_INT(s->n_vms, 0);
        CHECK_INT(s->n_pfs, 0);
        CHECK(!file_exists(sub));

        /* Saving creates the directory (0755) and the file (0600). */
        s->enabled = true;
        CHECK_INT(state_save(sub, s), 0);
        ASSERT(stat(sub, &st) == 0);
        CHECK(S_ISDIR(st.st_mode));
        CHECK_INT(st.st_mode & 0777 & ~0022, 0755 & ~0022);
        file = path_join(sub, "state.json");
        ASSERT(file && stat(file, &st) == 0);
        CHECK_INT(st.st_mode & 0777, 0600);
        s = state_free(s);

        CHECK_INT(state_load(sub, &s, NULL), 0);
        ASSERT(s);
        CHECK(s->enabled);
        test_tmpdir_cleanup(dir);
}

TEST(round_trip) {
        char *dir = test_tmpdir();
        _cleanup_(state_freep) State *s = state_new(), *t = NULL;
        _cleanup_free_ char *note = NULL, *text = NULL;

        ASSERT(s);
        fill_state(s);
        CHECK_INT(state_save(dir, s), 0);
        CHECK_INT(state_load(dir, &t, &note), 0);
        ASSERT(t);
        CHECK(note == NULL);

        CHECK_INT(t->version, STATE_SCHEMA_VERSION);
        CHECK_INT(STATE_SCHEMA_VERSION, 3);
        CHECK(t->enabled);
        CHECK_STR(t->intent, "compute1");
        CHECK_INT(t->node_reserve, 33);

        ASSERT(t->n_pfs == 2);
        CHECK_STR(t->pfs[0].pf, "0000:3b:00.0");
        CHECK_INT(t->pfs[0].numvfs_before, 2);
        CHECK_INT(t->pfs[0].numvfs, 63);
        CHECK_INT(t->pfs[0].status, PROVISION_DONE);
        CHECK_STR(t->pfs[1].pf, "10000:00:00.0");
        CHECK_INT(t->pfs[1].numvfs_before, 0);
        CHECK_INT(t->pfs[1].numvfs, 7);
        CHECK_INT(t->pfs[1].status, PROVISION_FAILED);

        ASSERT(t->n_vms == 2);
        const Assignment *a = &t->vms[0], *b = &t->vms[1];
        CHECK_STR(a->vm, "web-01");
        CHECK_STR(a->vm_uuid, "6f1c3a4e-8d2b-4c1e-9a7f-0123456789ab");
        CHECK_INT(a->tier, TIER_HIGH);
        CHECK_STR(a->vf, "0000:3b:02.1");
        CHECK_STR(a->pf, "0000:3b:00.0");
        CHECK_INT(a->vf_index, 9);
        CHECK_INT(a->phase, ASSIGN_PHASE_RELEASING);
        CHECK(a->next_start);
        CHECK_STR(a->alias, "ua-accelnet-web-01");
        CHECK_STR(a->mac, "52:54:00:aa:bb:cc");
        CHECK_INT(a->vlan, 4094);
        CHECK(a->saved.valid);
        CHECK_STR(a->saved.mac, "02:00:00:00:00:01");
        CHECK_INT(a->saved.vlan, 100);
        CHECK_INT(a->saved.qos, 5);
        CHECK(!a->saved.spoofchk);
        CHECK(a->saved.trust);
        CHECK_INT(a->saved.min_tx_rate, 17);
        CHECK_INT(a->saved.max_tx_rate, 4000000000u);
        CHECK_INT(a->saved.link_state, 2);
        CHECK_INT(b->saved.link_state, 0);

        /* servicing (schema 3) */
        ASSERT(t->n_drained == 1);
        CHECK_STR(t->drained[0].pf, "0000:3b:00.0");
        CHECK_INT(t->drained[0].since, 1796592000);
        ASSERT(t->n_services == 2);
        CHECK(state_find_service(t, "web-01") == &t->services[0]);
        CHECK_INT(t->services[0].without_total, 42);
        CHECK_INT(t->services[0].revoked_since, 0);
        CHECK_STR(t->services[1].vm, "revoked \"ü\"");
        CHECK_INT(t->services[1].revoked_since, 1796592100);
        CHECK_INT(t->services[1].without_since, 1796592099);
        CHECK_INT(t->services[1].without_total, 7);
        CHECK(state_find_drained(t, "0000:3b:00.1") == NULL);

        CHECK_STR(b->vm, "db \"primary\" ü");
        CHECK(b->vm_uuid == NULL);
        CHECK_INT(b->tier, TIER_LOW);
        CHECK_STR(b->vf, "10000:00:01.7");
        CHECK_STR(b->pf, "10000:00:00.0");
        CHECK_INT(b->vf_index, 0);
        CHECK_INT(b->phase, ASSIGN_PHASE_ASSIGNING);
        CHECK(!b->next_start);
        CHECK(b->alias == NULL);
        CHECK_STR(b->mac, "");
        CHECK_INT(b->vlan, 0);
        CHECK(!b->saved.valid);
        CHECK_STR(b->saved.mac, "");
        CHECK(!b->saved.spoofchk);

        ASSERT(t->n_waiting == 2);
        CHECK_STR(t->waiting[0].vm, "mig \"1\" ü");
        CHECK_INT(t->waiting[0].since, 1796592605);
        CHECK_STR(t->waiting[1].vm, "web-02");
        CHECK_INT(t->waiting[1].since, 1);
        CHECK(state_find_waiting(t, "web-02") == &t->waiting[1]);
        CHECK(state_find_waiting(t, "web-01") == NULL);

        /* Saving what was loaded gives the same bytes. */
        text = get_file(dir, "state.json");
        ASSERT(text);
        CHECK_INT(state_save(dir, t), 0);
        _cleanup_free_ char *again = get_file(dir, "state.json");
        CHECK_STR(again, text);

        /* Sorted keys, indented, one object per line group, trailing newline. */
        CHECK(strncmp(text, "{\n  \"adapters\": [\n", 18) == 0);
        const char *ad = strstr(text, "\"adapters\""), *ma = strstr(text, "\"management\""),
                   *ve = strstr(text, "\"version\": 3"), *vm = strstr(text, "\n  \"vms\""),
                   *wa = strstr(text, "\"waiting\": [\n    {\n      \"since\": 1796592605,\n      \"vm\": ");
        const char *sv = strstr(text, "\"servicing\": {\n    \"drained\": [\n      {\n        \"pf\": \"0000:3b:00.0\"");
        CHECK(ad && ma && ve && vm && wa && sv && ad < ma && ma < sv && sv < ve && ve < vm && vm < wa);
        CHECK_CONTAINS(text, "\"link_state\": \"disable\",\n        \"mac\": \"02:00:00:00:00:01\"");
        CHECK_CONTAINS(text, "\"uuid\": null");
        CHECK_CONTAINS(text, "\"phase\": \"releasing\"");
        CHECK_CONTAINS(text, "\"tier\": \"High\"");
        CHECK_CONTAINS(text, "\"status\": \"failed\"");
        CHECK(text[strlen(text) - 1] == '\n');

        /* An empty state round-trips too. */
        state_freep(&t);
        t = state_new();
        ASSERT(t);
        CHECK_INT(state_save(dir, t), 0);
        state_freep(&t);
        CHECK_INT(state_load(dir, &t, NULL), 0);
        ASSERT(t);
        CHECK(!t->enabled);
        CHECK(t->intent == NULL);
        CHECK_INT(t->n_vms + t->n_pfs + t->n_waiting, 0);
        _cleanup_free_ char *empty = get_file(dir, "state.json");
        CHECK_CONTAINS(empty, "\"waiting\": []");
        CHECK_CONTAINS(empty, "\"servicing\": {\n    \"drained\": [],\n    \"vms\": []\n  },");
        test_tmpdir_cleanup(dir);
}

/* A state.json of schema version 1 (before the waiting VMs were kept) loads as it is: nothing
 * waits; written again it is version 3 with an empty "waiting" and "servicing". */
TEST(version_1_loads) {
        static const char v1[] =
                "{\n  \"adapters\": [\n    {\n      \"numvfs\": 7,\n      \"numvfs_before\": 0,\n      \"pf\": "
                "\"0000:01:00.0\",\n      \"status\": \"done\"\n    }\n  ],\n  \"management\": {\n    \"enabled\": true,\n"
                "    \"intent\": \"c\",\n    \"node_reserve\": 0\n  },\n  \"version\": 1,\n  \"vms\": [\n    {\n"
                "      \"alias\": \"ua-accelnet-vf\",\n      \"mac\": \"52:54:00:aa:00:01\",\n      \"next_start\": true,\n"
                "      \"pf\": \"0000:01:00.0\",\n      \"phase\": \"assigned\",\n      \"saved\": {\n        \"mac\": "
                "\"00:00:00:00:00:00\",\n        \"max_tx_rate\": 0,\n        \"min_tx_rate\": 0,\n        \"qos\": 0,\n"
                "        \"spoofchk\": true,\n        \"trust\": false,\n        \"valid\": true,\n        \"vlan\": 0\n"
                "      },\n      \"tier\": \"Low\",\n      \"uuid\": null,\n      \"vf\": \"0000:01:10.0\",\n"
                "      \"vf_index\": 0,\n      \"vlan\": 0,\n      \"vm\": \"web2\"\n    }\n  ]\n}\n";
        char *dir = test_tmpdir();
        _cleanup_(state_freep) State *s = NULL, *t = NULL;
        _cleanup_free_ char *note = NULL, *text = NULL;

        put_file(dir, "state.json", v1);
        CHECK_INT(state_load(dir, &s, &note), 0);
        ASSERT(s);
        CHECK(note == NULL);
        CHECK_INT(list_dir(dir, NULL, NULL, NULL), 1); /* nothing moved aside */
        CHECK_INT(s->version, 1);
        CHECK(s->enabled);
        CHECK_STR(s->intent, "c");
        ASSERT(s->n_vms == 1);
        CHECK_STR(s->vms[0].vm, "web2");
        CHECK_STR(s->vms[0].vf, "0000:01:10.0");
        CHECK_INT(s->n_pfs, 1);
        CHECK_INT(s->n_waiting, 0);

        CHECK_INT(state_save(dir, s), 0);
        text = get_file(dir, "state.json");
        CHECK_CONTAINS(text, "\"version\": 3,");
        CHECK_CONTAINS(text, "\"waiting\": []\n}\n");
        CHECK_CONTAINS(text, "\"servicing\": {\n    \"drained\": [],\n    \"vms\": []\n  },");
        CHECK_INT(state_load(dir, &t, NULL), 0);
        ASSERT(t);
        CHECK_INT(t->version, 3);
        CHECK_INT(t->n_vms, 1);
        CHECK_INT(t->vms[0].saved.link_state, 0);
        test_tmpdir_cleanup(dir);
}

/* Schema version 2 (the waiting VMs, no servicing) loads as it is: nothing drained or revoked,
 * no time without a VF recorded; its journal lines replay on it; written again it is version 3
 * and a saved VF's link state "auto" is left out. */
TEST(version_2_loads) {
        static const char v2[] =
                "{\"adapters\": [], \"management\": {\"enabled\": true, \"intent\": \"c\", \"node_reserve\": 0},"
                " \"version\": 2, \"vms\": [{\"alias\": \"ua-accelnet-vf\", \"mac\": \"52:54:00:aa:00:01\","
                " \"next_start\": false, \"pf\": \"0000:01:00.0\", \"phase\": \"assigned\", \"saved\": {\"mac\":"
                " \"00:00:00:00:00:00\", \"max_tx_rate\": 0, \"min_tx_rate\": 0, \"qos\": 0, \"spoofchk\": true,"
                " \"trust\": false, \"valid\": true, \"vlan\": 0}, \"tier\": \"Low\", \"uuid\": null, \"vf\":"
                " \"0000:01:10.0\", \"vf_index\": 0, \"vlan\": 0, \"vm\": \"web2\"}],"
                " \"waiting\": [{\"since\": 1796592605, \"vm\": \"late\"}]}\n";
        char *dir = test_tmpdir();
        _cleanup_(state_freep) State *s = NULL, *t = NULL;
        _cleanup_free_ char *note = NULL, *text = NULL;

        put_file(dir, "state.json", v2);
        put_file(dir, "state.journal",
                 "{\"servicing\": {\"drained\": [{\"pf\": \"0000:01:00.0\", \"since\": 1796592700}], \"vms\": "
                 "[{\"revoked_since\": 0, \"vm\": \"web2\", \"without_vf_s\": 3, \"without_vf_since\": 0}]}}\n");
        CHECK_INT(state_load(dir, &s, &note), 0);
        ASSERT(s);
        CHECK(note == NULL);
        CHECK_INT(s->version, 2);
        CHECK_INT(s->n_vms, 1);
        CHECK_INT(s->n_waiting, 1);
        ASSERT(s->n_drained == 1);
        CHECK_STR(s->drained[0].pf, "0000:01:00.0");
        ASSERT(s->n_services == 1);
        CHECK_INT(s->services[0].without_total, 3);

        CHECK_INT(state_save(dir, s), 0);
        text = get_file(dir, "state.json");
        CHECK_CONTAINS(text, "\"version\": 3,");
        CHECK(strstr(text, "link_state") == NULL);
        CHECK_CONTAINS(text, "\"without_vf_s\": 3,");
        CHECK_INT(state_load(dir, &t, NULL), 0);
        ASSERT(t);
        CHECK_INT(t->version, 3);
        CHECK_INT(t->n_drained, 1);
        test_tmpdir_cleanup(dir);
}

TEST(atomic_write) {
        char *dir = test_tmpdir();
        _cleanup_(state_freep) State *s = state_new();
        _cleanup_free_ char *before = NULL, *after = NULL, *match = NULL;
        size_t n_match;

        ASSERT(s);
        for (int i = 0; i < 5; i++) {
                s->node_reserve = (unsigned) i;
                CHECK_INT(state_save(dir, s), 0);
        }
        /* Only state.json: no temporary file stays behind. */
        CHECK_INT(list_dir(dir, "state.json", &match, &n_match), 1);
        CHECK_INT(n_match, 1);
        CHECK_STR(match, "state.json");
        before = get_file(dir, "state.json");
        CHECK_CONTAINS(before, "\"node_reserve\": 4");

        /* A state that cannot be written fails without touching the file or leaving a temp. */
        fill_state(s);
        s->vms[1].tier = _TIER_INVALID;
        CHECK_INT(state_save(dir, s), -EINVAL);
        s->vms[1].tier = TIER_LOW;
        s->pfs[0].status = _PROVISION_STATUS_MAX;
        CHECK_INT(state_save(dir, s), -EINVAL);
        after = get_file(dir, "state.json");
        CHECK_STR(after, before);
        CHECK_INT(list_dir(dir, NULL, NULL, NULL), 1);
        CHECK_INT(state_save(dir, NULL), -EINVAL);
        test_tmpdir_cleanup(dir);
}

typedef struct Corrupt {
        const char *content;
        const char *reason;
} Corrupt;

#define VM_OK(extra)                                                                               \
        "{\"vm\": \"a\", \"uuid\": null, \"tier\": \"Low\", \"vf\": \"0000:01:00.1\", \"pf\": \"0000:01:00.0\", " \
        "\"vf_index\": 0, \"phase\": \"assigned\", \"next_start\": false, \"alias\": null, \"mac\": \"\", "   \
        "\"vlan\": 0, \"saved\": {\"valid\": false, \"mac\": \"\", \"vlan\": 0, \"qos\": 0, \"spoofchk\": true, " \
        "\"trust\": false, \"min_tx_rate\": 0, \"max_tx_rate\": 0}" extra "}"
#define MGMT "\"management\": {\"enabled\": false, \"intent\": null, \"node_reserve\": 50}"
#define DOC(vms) "{\"version\": 1, " MGMT ", \"adapters\": [], \"vms\": [" vms "]}"
#define WDOC(waiting) "{\"version\": 2, " MGMT ", \"adapters\": [], \"vms\": [], \"waiting\": " waiting "}"

TEST(corrupt_moved_aside) {
        static const Corrupt cases[] = {
                { "", "invalid JSON" },
                { "{\"version\": 1, ", "invalid JSON" },
                { "[1]", "must be a JSON object" },
                { "{\"version\": 1, \"version\": 1}", "invalid JSON" },
                { "{" MGMT ", \"adapters\": [], \"vms\": []}", "field \"version\": is required" },
                { "{\"version\": \"1\", " MGMT ", \"adapters\": [], \"vms\": []}", "field \"version\": must be an integer" },
                { "{\"version\": 0, " MGMT ", \"adapters\": [], \"vms\": []}", "field \"version\": must be an integer between 1 and 3, not 0" },
                { "{\"version\": 1, " MGMT ", \"adapters\": [], \"vms\": [], \"extra\": 1}", "field \"extra\": unknown key" },
                { "{\"version\": 1, \"adapters\": [], \"vms\": []}", "field \"management\": is required" },
                { "{\"version\": 1, \"management\": {\"enabled\": 1, \"intent\": null, \"node_reserve\": 50}, \"adapters\": [], \"vms\": []}",
                  "field \"management.enabled\": must be true or false" },
                { "{\"version\": 1, \"management\": {\"enabled\": true, \"intent\": 5, \"node_reserve\": 50}, \"adapters\": [], \"vms\": []}",
                  "field \"management.intent\": must be a string or null" },
                { "{\"version\": 1, \"management\": {\"enabled\": true, \"intent\": \"../x\", \"node_reserve\": 50}, \"adapters\": [], \"vms\": []}",
                  "field \"management.intent\": \"../x\" is not a valid intent name" },
                { "{\"version\": 1, \"management\": {\"enabled\": true, \"intent\": \"c\", \"node_reserve\": 100}, \"adapters\": [], \"vms\": []}",
                  "field \"management.node_reserve\": must be an integer between 0 and 99, not 100" },
                { "{\"version\": 1, " MGMT ", \"adapters\": {}, \"vms\": []}", "field \"adapters\": must be an array" },
                { "{\"version\": 1, " MGMT ", \"adapters\": [], \"vms\": null}", "field \"vms\": must be an array" },
                { "{\"version\": 1, " MGMT ", \"adapters\": [{\"pf\": \"0000:01:00\", \"numvfs_before\": 0, \"numvfs\": 4, \"status\": \"done\"}], \"vms\": []}",
                  "field \"adapters[0].pf\": \"0000:01:00\" is not a PCI address like 0000:3b:00.1" },
                { "{\"version\": 1, " MGMT ", \"adapters\": [{\"pf\": \"0000:01:00.0\", \"numvfs_before\": -1, \"numvfs\": 4, \"status\": \"done\"}], \"vms\": []}",
                  "field \"adapters[0].numvfs_before\": must be an integer between 0 and 65535, not -1" },
                { "{\"version\": 1, " MGMT ", \"adapters\": [{\"pf\": \"0000:01:00.0\", \"numvfs_before\": 0, \"numvfs\": 4, \"status\": \"ok\"}], \"vms\": []}",
                  "field \"adapters[0].status\": unknown status \"ok\"" },
                { "{\"version\": 1, " MGMT ", \"adapters\": [{\"pf\": \"0000:01:00.0\", \"numvfs_before\": 0, \"numvfs\": 4}], \"vms\": []}",
                  "field \"adapters[0].status\": is required" },
                { "{\"version\": 1, " MGMT ", \"adapters\": [{\"pf\": \"0000:01:00.0\", \"numvfs_before\": 0, \"numvfs\": 4, \"status\": \"done\"},"
                  " {\"pf\": \"0000:01:00.0\", \"numvfs_before\": 0, \"numvfs\": 4, \"status\": \"done\"}], \"vms\": []}",
                  "field \"adapters[1].pf\": \"0000:01:00.0\" also appears in adapters[0]" },
                { DOC(VM_OK(", \"color\": 1")), "field \"vms[0].color\": unknown key" },
                { WDOC("{}"), "field \"waiting\": must be an array" },
                { WDOC("[5]"), "field \"waiting[0]\": must be an object" },
                { WDOC("[{\"vm\": \"a\"}]"), "field \"waiting[0].since\": is required" },
                { WDOC("[{\"since\": 5}]"), "field \"waiting[0].vm\": is required" },
                { WDOC("[{\"vm\": \"a\", \"since\": 5, \"tier\": \"High\"}]"), "field \"waiting[0].tier\": unknown key" },
                { WDOC("[{\"vm\": \"\", \"since\": 5}]"), "field \"waiting[0].vm\": must not be empty" },
                { WDOC("[{\"vm\": null, \"since\": 5}]"), "field \"waiting[0].vm\": must be a string" },
                { WDOC("[{\"vm\": \"a\", \"since\": 0}]"),
                  "field \"waiting[0].since\": must be an integer between 1 and 253402300799, not 0" },
                { WDOC("[{\"vm\": \"a\", \"since\": 253402300800}]"),
                  "field \"waiting[0].since\": must be an integer between 1 and 253402300799, not 253402300800" },
                { WDOC("[{\"vm\": \"a\", \"since\": \"5\"}]"), "field \"waiting[0].since\": must be an integer" },
                { WDOC("[{\"vm\": \"a\", \"since\": 5}, {\"vm\": \"a\", \"since\": 6}]"),
                  "field \"waiting[1].vm\": \"a\" also appears in waiting[0]" },
                { DOC("5"), "field \"vms[0]\": must be an object" },
                { DOC("{\"vm\": \"a\"}"), "field \"vms[0].uuid\": is required" },
                { DOC(VM_OK("") ", " VM_OK("")), "field \"vms[1].vm\": \"a\" also appears in vms[0]" },
        };
        char *dir = test_tmpdir();

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(state_freep) State *s = NULL;
                _cleanup_free_ char *note = NULL, *match = NULL, *moved = NULL, *rel = NULL;
                size_t n_match = 0;

                put_file(dir, "state.json", cases[i].content);
                CHECK_INT(state_load(dir, &s, &note), 0);
                if (!s || !note) {
                        fprintf(stderr, "case %zu: %s\n", i, cases[i].content);
                        test_failures++;
                        continue;
                }
                /* An empty state ... */
                CHECK(!s->enabled);
                CHECK_INT(s->n_vms + s->n_pfs, 0);
                /* ... and the file moved aside, never lost. */
                CHECK(list_dir(dir, "state.json.corrupt-", &match, &n_match) == 1);
                CHECK_INT(n_match, 1);
                ASSERT(match);
                CHECK(is_timestamp(match + strlen("state.json.corrupt-")));
                moved = get_file(dir, match);
                CHECK_STR(moved, cases[i].content);
                CHECK_CONTAINS(note, match);
                CHECK_CONTAINS(note, dir);
                CHECK_CONTAINS(note, cases[i].reason);
                if (!strstr(note, cases[i].reason))
                        fprintf(stderr, "case %zu: %s\n", i, cases[i].content);
                rel = path_join(dir, match);
                ASSERT(rel && unlink(rel) == 0);
        }
        test_tmpdir_cleanup(dir);
}

TEST(corrupt_vm_fields) {
        /* Every kind of bad value inside a VM entry; each mutates one field of a valid entry. */
        static const struct {
                const char *from, *to, *reason;
        } cases[] = {
                { "\"vm\": \"a\"", "\"vm\": \"\"", "field \"vms[0].vm\": must not be empty" },
                { "\"uuid\": null", "\"uuid\": \"not-a-uuid\"", "field \"vms[0].uuid\": \"not-a-uuid\" is not a UUID" },
                { "\"tier\": \"Low\"", "\"tier\": \"Ultra\"", "field \"vms[0].tier\": unknown tier \"Ultra\"" },
                /* Notes are single printable lines. */
                { "\"tier\": \"Low\"", "\"tier\": \"L\\nw\"", "field \"vms[0].tier\": unknown tier \"L?w\"" },
                { "\"vf\": \"0000:01:00.1\"", "\"vf\": \"0000:01:20.1\"", "field \"vms[0].vf\": \"0000:01:20.1\" is not a PCI address" },
                { "\"pf\": \"0000:01:00.0\"", "\"pf\": 5", "field \"vms[0].pf\": must be a string" },
                { "\"vf_index\": 0", "\"vf_index\": 65536", "field \"vms[0].vf_index\": must be an integer between 0 and 65535, not 65536" },
                { "\"phase\": \"assigned\"", "\"phase\": \"attached\"", "field \"vms[0].phase\": unknown phase \"attached\"" },
                { "\"next_start\": false", "\"next_start\": null", "field \"vms[0].next_start\": must be true or false" },
                { "\"alias\": null", "\"alias\": 1", "field \"vms[0].alias\": must be a string or null" },
                { "\"mac\": \"\", \"vlan\"", "\"mac\": \"52:54:00:zz:00:01\", \"vlan\"", "field \"vms[0].mac\": \"52:54:00:zz:00:01\" is not a MAC address" },
                { "\"vlan\": 0, \"saved\"", "\"vlan\": 4096, \"saved\"", "field \"vms[0].vlan\": must be an integer between 0 and 4095, not 4096" },
                { "\"qos\": 0", "\"qos\": 8", "field \"vms[0].saved.qos\": must be an integer between 0 and 7, not 8" },
                { "\"spoofchk\": true", "\"spoofchk\": \"on\"", "field \"vms[0].saved.spoofchk\": must be true or false" },
                { "\"max_tx_rate\": 0", "\"max_tx_rate\": 4294967296", "field \"vms[0].saved.max_tx_rate\": must be an integer between 0 and 4294967295" },
                { "\"valid\": false, ", "", "field \"vms[0].saved.valid\": is required" },
        };
        static const char base[] = DOC(VM_OK(""));
        char *dir = test_tmpdir();

        /* The unmodified document is valid. */
        {
                _cleanup_(state_freep) State *s = NULL;
                _cleanup_free_ char *note = NULL;
                put_file(dir, "state.json", base);
                CHECK_INT(state_load(dir, &s, &note), 0);
                CHECK(note == NULL);
                CHECK(s && s->n_vms == 1);
                CHECK(s && s->vms[0].saved.spoofchk);
        }

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_(state_freep) State *s = NULL;
                _cleanup_free_ char *note = NULL, *match = NULL, *doc = NULL, *moved = NULL, *path = NULL;
                const char *at = strstr(base, cases[i].from);

                ASSERT(at);
                ASSERT(asprintf(&doc, "%.*s%s%s", (int) (at - base), base, cases[i].to, at + strlen(cases[i].from)) > 0);
                put_file(dir, "state.json", doc);
                CHECK_INT(state_load(dir, &s, &note), 0);
                CHECK(s && s->n_vms == 0);
                CHECK_CONTAINS(note, cases[i].reason);
                CHECK(list_dir(dir, "state.json.corrupt-", &match, NULL) == 1);
                ASSERT(match);
                CHECK_CONTAINS(note, match);
                moved = get_file(dir, match);
                CHECK_STR(moved, doc);
                path = path_join(dir, match);
                ASSERT(path && unlink(path) == 0);
        }

        /* PCI addresses are kept in canonical form. */
        {
                _cleanup_(state_freep) State *s = NULL;
                _cleanup_free_ char *note = NULL, *doc = NULL;
                const char *at = strstr(base, "0000:01:00.1");

                ASSERT(at);
                ASSERT(asprintf(&doc, "%.*s0000:01:1F.7%s", (int) (at - base), base, at + 12) > 0);
                put_file(dir, "state.json", doc);
                CHECK_INT(state_load(dir, &s, &note), 0);
                CHECK(note == NULL);
                ASSERT(s && s->n_vms == 1);
                CHECK_STR(s->vms[0].vf, "0000:01:1f.7");
                CHECK(state_find_vf(s, "0000:01:1f.7") == &s->vms[0]);
        }

        /* The same VF twice is corrupt too, however it is spelled. */
        {
                _cleanup_(state_freep) State *s = NULL;
                _cleanup_free_ char *note = NULL;
                put_file(dir, "state.json",
                         DOC(VM_OK("") ", {\"vm\": \"b\", \"uuid\": null, \"tier\": \"High\", \"vf\": \"00000000:01:00.1\", "
                             "\"pf\": \"0000:01:00.0\", \"vf_index\": 0, \"phase\": \"assigned\", \"next_start\": false, "
                             "\"alias\": null, \"mac\": \"\", \"vlan\": 0, \"saved\": {\"valid\": false, \"mac\": \"\", "
                             "\"vlan\": 0, \"qos\": 0, \"spoofchk\": true, \"trust\": false, \"min_tx_rate\": 0, "
                             "\"max_tx_rate\": 0}}"));
                CHECK_INT(state_load(dir, &s, &note), 0);
                CHECK_CONTAINS(note, "field \"vms[1].vf\": \"0000:01:00.1\" also appears in vms[0]");
        }
        test_tmpdir_cleanup(dir);
}

TEST(newer_version_moved_aside) {
        static const char doc[] = "{\"version\": 4, \"whatever\": {\"new\": true}}\n";
        char *dir = test_tmpdir();
        _cleanup_(state_freep) State *s = NULL;
        _cleanup_free_ char *note = NULL, *match = NULL, *moved = NULL;
        size_t n_match;

        put_file(dir, "state.json", doc);
        CHECK_INT(state_load(dir, &s, &note), 0);
        ASSERT(s && note);
        CHECK_INT(s->version, STATE_SCHEMA_VERSION);
        CHECK_INT(s->n_vms, 0);
        CHECK_INT(list_dir(dir, "state.json.v4-", &match, &n_match), 1);
        CHECK_INT(n_match, 1);
        ASSERT(match);
        CHECK(is_timestamp(match + strlen("state.json.v4-")));
        moved = get_file(dir, match);
        CHECK_STR(moved, doc);
        CHECK_CONTAINS(note, match);
        CHECK_CONTAINS(note, "schema version 4");
        CHECK(!file_exists(match));
        test_tmpdir_cleanup(dir);
}

TEST(repeated_corruption_keeps_every_file) {
        char *dir = test_tmpdir();
        size_t n_match = 0;

        /* Several corrupt files within the same second: none overwrites another. */
        for (int i = 0; i < 3; i++) {
                _cleanup_(state_freep) State *s = NULL;
                _cleanup_free_ char *note = NULL;
                char content[32];

                snprintf(content, sizeof content, "garbage %d", i);
                put_file(dir, "state.json", content);
                CHECK_INT(state_load(dir, &s, &note), 0);
                CHECK(note != NULL);
        }
        CHECK_INT(list_dir(dir, "state.json.corrupt-", NULL, &n_match), 3);
        CHECK_INT(n_match, 3);
        test_tmpdir_cleanup(dir);
}

TEST(helpers) {
        _cleanup_(state_freep) State *s = state_new();
        char vm[] = "vm-1", uuid[] = "6f1c3a4e-8d2b-4c1e-9a7f-0123456789ab";
        Assignment a = { .vm = vm, .vm_uuid = uuid, .vf = "0000:01:00.1", .pf = "0000:01:00.0", .tier = TIER_MEDIUM };
        Assignment *p;

        ASSERT(s);
        CHECK_INT(s->node_reserve, 50);
        p = state_add_vm(s, &a);
        ASSERT(p);
        /* Strings are copies. */
        CHECK(p->vm != vm);
        CHECK(p->vm_uuid != uuid);
        vm[0] = 'X';
        CHECK_STR(s->vms[0].vm, "vm-1");
        CHECK(s->vms[0].alias == NULL);
        CHECK_INT(s->vms[0].tier, TIER_MEDIUM);

        a.vm = (char *) "vm-2";
        a.vm_uuid = NULL;
        memcpy(a.vf, "0000:01:00.2", 13);
        ASSERT(state_add_vm(s, &a));
        a.vm = (char *) "vm-3";
        memcpy(a.vf, "0000:01:00.3", 13);
        ASSERT(state_add_vm(s, &a));
        a.vm = (char *) "vm-4";
        memcpy(a.vf, "0000:01:00.4", 13);
        ASSERT(state_add_vm(s, &a));
        a.vm = NULL;
        CHECK(state_add_vm(s, &a) == NULL);
        CHECK_INT(s->n_vms, 4);

        CHECK(state_find_vm(s, "vm-2") == &s->vms[1]);
        CHECK(state_find_vm(s, "vm-5") == NULL);
        CHECK(state_find_vm(s, NULL) == NULL);
        CHECK(state_find_vf(s, "0000:01:00.3") == &s->vms[2]);

        CHECK(state_find_vf(s, "0000:01:00.5") == NULL);

        /* Removal keeps the order of the others. */
        state_remove_vm(s, "vm-2");
        CHECK_INT(s->n_vms, 3);
        CHECK_STR(s->vms[0].vm, "vm-1");
        CHECK_STR(s->vms[1].vm, "vm-3");
        CHECK_STR(s->vms[2].vm, "vm-4");
        CHECK_STR(s->vms[1].vf, "0000:01:00.3");
        CHECK(state_find_vm(s, "vm-2") == NULL);
        state_remove_vm(s, "nope");
        state_remove_vm(s, NULL);
        CHECK_INT(s->n_vms, 3);
        state_remove_vm(s, "vm-4");
        state_remove_vm(s, "vm-1");
        CHECK_INT(s->n_vms, 1);
        CHECK_STR(s->vms[0].vm, "vm-3");
        state_remove_vm(s, "vm-3");
        CHECK_INT(s->n_vms, 0);
        CHECK(state_find_vm(s, "vm-3") == NULL);

        ProvisionedPf pf = { .pf = "0000:01:00.0", .numvfs = 4, .status = PROVISION_PENDING };
        ASSERT(state_add_pf(s, &pf));
        memcpy(pf.pf, "0000:02:00.0", 13);
        ASSERT(state_add_pf(s, &pf));
        CHECK(state_find_pf(s, "0000:02:00.0") == &s->pfs[1]);
        CHECK(state_find_pf(s, "0000:03:00.0") == NULL);
        CHECK_INT(s->pfs[0].numvfs, 4);
        state_clear_pfs(s);
        CHECK_INT(s->n_pfs, 0);
        CHECK(state_find_pf(s, "0000:01:00.0") == NULL);

        Assignment d = { .vm = strdup("x"), .alias = strdup("y") };
        assignment_done(&d);
        CHECK(d.vm == NULL && d.alias == NULL);
        CHECK(state_free(NULL) == NULL);
}

TEST(parse_and_format_text) {
        /* state_parse/state_format: what state_load and state_save run, on text. */
        _cleanup_(state_freep) State *s = state_new(), *t = NULL, *u = NULL;
        _cleanup_free_ char *text = NULL, *again = NULL, *reason = NULL;
        size_t len = 0, len2 = 0;
        int64_t version = 0;

        ASSERT(s);
        fill_state(s);
        CHECK_INT(state_format(s, &text, &len), 0);
        ASSERT(text);
        CHECK_INT(strlen(text), len);
        CHECK(text[len - 1] == '\n');
        /* No NUL needed: parse exactly len bytes of a copy without one. */
        _cleanup_free_ char *copy = malloc(len);
        ASSERT(copy);
        memcpy(copy, text, len);
        CHECK_INT(state_parse(copy, len, &t, &version, &reason), 0);
        ASSERT(t);
        CHECK(reason == NULL);
        CHECK_INT(version, 0); /* only set for a newer version */
        CHECK_INT(t->n_vms, 2);
        CHECK_STR(t->vms[1].vm, "db \"primary\" ü");
        CHECK_INT(state_format(t, &again, &len2), 0);
        CHECK_INT(len2, len);
        CHECK_STR(again, text);

        /* Not JSON, cut short, not an object, the wrong schema: -EBADMSG and a reason. */
        CHECK_INT(state_parse(text, len / 2, &u, NULL, &reason), -EBADMSG);
        CHECK(u == NULL);
        CHECK_CONTAINS(reason, "invalid JSON");
        CHECK_INT(state_parse("[1]", 3, &u, NULL, &reason), -EBADMSG);
        CHECK_CONTAINS(reason, "must be a JSON object");
        CHECK_INT(state_parse("{\"version\": 1}", 14, &u, NULL, &reason), -EBADMSG);
        CHECK_CONTAINS(reason, "field \"management\": is required");
        CHECK(u == NULL);

        /* A newer schema: -EPROTONOSUPPORT with the version, whatever else is there. */
        version = 0;
        CHECK_INT(state_parse("{\"version\": 7, \"x\": 1}", 22, &u, &version, &reason), -EPROTONOSUPPORT);
        CHECK(u == NULL);
        CHECK_INT(version, 7);
        CHECK_CONTAINS(reason, "field \"version\": 7 is newer than version 3");
}

/* ---- the writer against jansson ----------------------------------------------------------- */

/* What state.json was before the writer wrote it by hand: jansson's tree, dumped with
 * JSON_SORT_KEYS | JSON_INDENT(2), plus a newline. NULL when jansson refuses the state (a
 * string that is not UTF-8). */
static json_t *ref_str(const char *s) {
        return s ? json_string(s) : json_null();
}

static char *reference_text(const State *s) {
        json_t *o = json_object(), *m = json_object(), *pfs = json_array(), *vms = json_array(), *w = json_array();
        bool ok = o && m && pfs && vms && w;

        ok = ok && json_object_set_new(m, "enabled", json_boolean(s->enabled)) == 0 &&
             json_object_set_new(m, "intent", ref_str(s->intent)) == 0 &&
             json_object_set_new(m, "node_reserve", json_integer(s->node_reserve)) == 0;
        for (size_t i = 0; ok && i < s->n_pfs; i++) {
                const ProvisionedPf *p = &s->pfs[i];
                json_t *e = json_pack("{s:s, s:I, s:I, s:s}", "pf", p->pf, "numvfs_before",
                                      (json_int_t) p->numvfs_before, "numvfs", (json_int_t) p->numvfs, "status",
                                      provision_status_to_string(p->status));
                ok = e && json_array_append_new(pfs, e) == 0;
        }
        for (size_t i = 0; ok && i < s->n_vms; i++) {
                const Assignment *a = &s->vms[i];
                json_t *sv = json_pack("{s:b, s:o, s:I, s:I, s:b, s:b, s:I, s:I}", "valid", a->saved.valid, "mac",
                                       ref_str(a->saved.mac), "vlan", (json_int_t) a->saved.vlan, "qos",
                                       (json_int_t) a->saved.qos, "spoofchk", a->saved.spoofchk, "trust",
                                       a->saved.trust, "min_tx_rate", (json_int_t) a->saved.min_tx_rate,
                                       "max_tx_rate", (json_int_t) a->saved.max_tx_rate);
                static const char *const ls[] = { "auto", "enable", "disable" };
                if (sv && a->saved.link_state != 0)
                        json_object_set_new(sv, "link_state", json_string(ls[a->saved.link_state]));
                json_t *e = sv ? json_pack("{s:o, s:o, s:s, s:o, s:o, s:I, s:s, s:b, s:o, s:o, s:I, s:o}", "vm",
                                           ref_str(a->vm), "uuid", ref_str(a->vm_uuid), "tier",
                                           tier_to_string(a->tier), "vf", ref_str(a->vf), "pf", ref_str(a->pf),
                                           "vf_index", (json_int_t) a->vf_index, "phase",
                                           assign_phase_to_string(a->phase), "next_start", a->next_start, "alias",
                                           ref_str(a->alias), "mac", ref_str(a->mac), "vlan", (json_int_t) a->vlan,
                                           "saved", sv)
                              : NULL;
                ok = e && json_array_append_new(vms, e) == 0;
        }
        for (size_t i = 0; ok && i < s->n_waiting; i++) {
                json_t *e = json_pack("{s:o, s:I}", "vm", ref_str(s->waiting[i].vm), "since",
                                      (json_int_t) s->waiting[i].since);
                ok = e && json_array_append_new(w, e) == 0;
        }
        ok = ok && json_object_set_new(o, "waiting", w) == 0;
        if (ok)
                w = NULL;
        json_t *svc = json_object(), *dr = json_array(), *sv = json_array();
        ok = ok && svc && dr && sv;
        for (size_t i = 0; ok && i < s->n_drained; i++) {
                json_t *e = json_pack("{s:s, s:I}", "pf", s->drained[i].pf, "since", (json_int_t) s->drained[i].since);
                ok = e && json_array_append_new(dr, e) == 0;
        }
        for (size_t i = 0; ok && i < s->n_services; i++) {
                const StateVmService *v = &s->services[i];
                json_t *e = json_pack("{s:o, s:I, s:I, s:I}", "vm", ref_str(v->vm), "revoked_since",
                                      (json_int_t) v->revoked_since, "without_vf_since", (json_int_t) v->without_since,
                                      "without_vf_s", (json_int_t) v->without_total);
                ok = e && json_array_append_new(sv, e) == 0;
        }
        ok = ok && json_object_set_new(svc, "drained", dr) == 0 && (dr = NULL, json_object_set_new(svc, "vms", sv) == 0) &&
             (sv = NULL, json_object_set_new(o, "servicing", svc) == 0);
        if (ok)
                svc = NULL;
        json_decref(svc);
        json_decref(dr);
        json_decref(sv);
        ok = ok && json_object_set_new(o, "version", json_integer(STATE_SCHEMA_VERSION)) == 0 &&
             json_object_set_new(o, "management", m) == 0 && (m = NULL, json_object_set_new(o, "adapters", pfs) == 0) &&
             (pfs = NULL, json_object_set_new(o, "vms", vms) == 0);
        if (ok)
                vms = NULL;
        char *text = ok ? json_dumps(o, JSON_SORT_KEYS | JSON_INDENT(2)) : NULL, *line = NULL;
        if (text && asprintf(&line, "%s\n", text) < 0)
                line = NULL;
        free(text);
        json_decref(o);
        json_decref(m);
        json_decref(pfs);
        json_decref(vms);
        json_decref(w);
        return line;
}

static void check_same_as_jansson(const char *dir, const State *s) {
        _cleanup_free_ char *want = reference_text(s), *got = NULL;
        ASSERT(want);
        CHECK_INT(state_save(dir, s), 0);
        got = get_file(dir, "state.json");
        CHECK_STR(got, want);
}

TEST(writer_same_bytes_as_jansson) {
        char *dir = test_tmpdir();
        _cleanup_(state_freep) State *s = state_new();
        ASSERT(s);

        check_same_as_jansson(dir, s); /* empty: "[]", null intent */
        fill_state(s);
        check_same_as_jansson(dir, s);

        /* Every escape jansson writes: quotes, backslashes, each control character, DEL and
         * multi-byte UTF-8 as they are. */
        char name[64];
        for (int c = 1; c < 0x20; c++) {
                snprintf(name, sizeof name, "v%c\"\\/\x7f é€😀%c", c, c);
                free(s->vms[1].vm);
                s->vms[1].vm = strdup(name);
                ASSERT(s->vms[1].vm);
                check_same_as_jansson(dir, s);
        }
        free(s->vms[0].alias);
        s->vms[0].alias = strdup("ua-\t\n");
        free(s->intent);
        s->intent = NULL;
        s->vms[0].vlan = 0;
        s->vms[0].saved.max_tx_rate = UINT32_MAX;
        check_same_as_jansson(dir, s);

        /* Many VMs, as the daemon saves them. */
        for (unsigned i = 0; i < 300; i++) {
                Assignment a = { .tier = (Tier) (i % 3), .vf_index = i, .phase = (AssignPhase) (i % 4),
                                 .next_start = i % 2, .vlan = i, .mac = "52:54:00:00:01:02",
                                 .saved = { .valid = true, .mac = "00:00:00:00:00:00", .spoofchk = true } };
                snprintf(name, sizeof name, "vm%05u", i);
                a.vm = name;
                snprintf(a.vf, sizeof a.vf, "0000:%02x:%02x.%u", 2 + i / 64, (i / 8) % 8, i % 8);
                snprintf(a.pf, sizeof a.pf, "0000:%02x:00.0", 2 + i / 64);
                ASSERT(state_add_vm(s, &a));
        }
        check_same_as_jansson(dir, s);
        test_tmpdir_cleanup(dir);
}

TEST(writer_refuses_what_jansson_refuses) {
        char *dir = test_tmpdir();
        _cleanup_(state_freep) State *s = state_new();
        _cleanup_free_ char *before = NULL, *after = NULL;
        /* Not UTF-8: a lone continuation byte, an overlong '/', a surrogate, above U+10FFFF,
         * 0xF5, a sequence cut short. */
        static const char *const bad[] = { "a\x80", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80",
                                           "\xe2\x82" };
        ASSERT(s);
        fill_state(s);
        CHECK_INT(state_save(dir, s), 0);
        before = get_file(dir, "state.json");
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                json_t *j = json_string(bad[i]);
                CHECK(j == NULL); /* jansson refuses it too */
                json_decref(j);
                free(s->vms[1].vm);
                s->vms[1].vm = strdup(bad[i]);
                ASSERT(s->vms[1].vm);
                CHECK_INT(state_save(dir, s), -EINVAL);
        }
        free(s->vms[1].vm);
        s->vms[1].vm = strdup("db");
        free(s->intent);
        s->intent = strdup("\xff");
        CHECK_INT(state_save(dir, s), -EINVAL);
        after = get_file(dir, "state.json");
        CHECK_STR(after, before);
        test_tmpdir_cleanup(dir);
}

/* state.journal: appends replayed over state.json, a cut last line ignored, a bad line ends
 * the replay and sets the journal aside, a compaction empties it. */
TEST(journal) {
        _cleanup_free_ char *dir = test_tmpdir();
        _cleanup_(state_freep) State *s = state_new(), *back = NULL;
        _cleanup_free_ char *note = NULL;
        StateJournal *j = NULL;

        ASSERT(s);
        fill_state(s);
        ASSERT(state_journal_open(dir, &j) == 0);
        CHECK_INT(state_compact(dir, s, j, false), 0);
        CHECK_INT(state_journal_lines(j), 0);

        /* web-01 changes tier, the other is dropped, a third comes, the plan changes */
        Assignment c = { .vm = (char *) "new", .tier = TIER_MEDIUM, .vf = "0000:3b:02.3", .pf = "0000:3b:00.0",
                         .vf_index = 10, .phase = ASSIGN_PHASE_ASSIGNING, .mac = "52:54:00:00:00:03" };
        Assignment *w = state_find_vm(s, "web-01");
        w->tier = TIER_LOW;
        uint64_t h = assignment_hash(w);
        const Assignment *up[] = { w, &c };
        const char *drops[] = { "db \"primary\" ü" };
        State plan = { .enabled = true, .intent = (char *) "other", .node_reserve = 5, .pfs = s->pfs, .n_pfs = 1 };
        State waiting = { .intent = NULL };
        ASSERT(state_add_waiting(&waiting, "arrived", 42));
        uint64_t wh = state_waiting_hash(&waiting);
        CHECK(wh != state_waiting_hash(s));
        CHECK_INT(state_journal_append(j, up, 2, drops, 1, &plan, &waiting, NULL), 0);
        CHECK_INT(state_journal_lines(j), 5);
        CHECK_INT(state_waiting_hash(&waiting), wh);
        waiting.waiting[0].since++;
        CHECK(state_waiting_hash(&waiting) != wh);
        waiting.waiting[0].since--;
        CHECK_INT(assignment_hash(w), h); /* same record, same hash */
        w->next_start = !w->next_start;
        CHECK(assignment_hash(w) != h);
        w->next_start = !w->next_start;

        ASSERT(state_load(dir, &back, &note) == 0);
        CHECK(note == NULL);
        CHECK_STR(back->intent, "other");
        CHECK_INT(back->node_reserve, 5);
        CHECK_INT(back->n_pfs, 1);
        CHECK_INT(back->n_vms, 2);
        CHECK_INT(state_find_vm(back, "web-01")->tier, TIER_LOW);
        CHECK_INT(state_find_vm(back, "web-01")->saved.max_tx_rate, 4000000000u);
        CHECK(state_find_vm(back, "db \"primary\" ü") == NULL);
        CHECK_INT(state_find_vm(back, "new")->phase, ASSIGN_PHASE_ASSIGNING);
        /* the waiting line replaces the whole list */
        ASSERT(back->n_waiting == 1);
        CHECK_STR(back->waiting[0].vm, "arrived");
        CHECK_INT(back->waiting[0].since, 42);
        back = state_free(back);

        /* an empty list empties it; a plan alone keeps it */
        State none = { .intent = NULL };
        CHECK_INT(state_journal_append(j, NULL, 0, NULL, 0, &plan, NULL, NULL), 0);
        ASSERT(state_load(dir, &back, &note) == 0);
        CHECK_INT(back->n_waiting, 1);
        back = state_free(back);
        CHECK_INT(state_journal_append(j, NULL, 0, NULL, 0, NULL, &none, NULL), 0);
        CHECK_INT(state_journal_lines(j), 7);
        ASSERT(state_load(dir, &back, &note) == 0);
        CHECK(note == NULL);
        CHECK_INT(back->n_waiting, 0);
        CHECK_INT(back->n_vms, 2);
        back = state_free(back);
        CHECK_INT(state_journal_append(j, NULL, 0, NULL, 0, NULL, &waiting, NULL), 0);
        state_waiting_clear(&waiting);

        /* a servicing line replaces both of its lists */
        State svc = { .intent = NULL };
        ASSERT(state_add_drained(&svc, "0000:3b:00.1", 9));
        uint64_t sh = state_servicing_hash(&svc);
        CHECK(sh != state_servicing_hash(s));
        CHECK_INT(state_journal_append(j, NULL, 0, NULL, 0, NULL, NULL, &svc), 0);
        ASSERT(state_load(dir, &back, &note) == 0);
        CHECK(note == NULL);
        ASSERT(back->n_drained == 1);
        CHECK_STR(back->drained[0].pf, "0000:3b:00.1");
        CHECK_INT(back->n_services, 0);
        back = state_free(back);
        state_servicing_clear(&svc);
        CHECK_INT(waiting.n_waiting, 0);

        /* a crash in the middle of an append: the cut line was never acted on */
        _cleanup_free_ char *jp = path_join(dir, "state.journal");
        FILE *fp = fopen(jp, "ae");
        ASSERT(fp);
        fputs("{\"drop\":\"web-0", fp);
        fclose(fp);
        ASSERT(state_load(dir, &back, &note) == 0);
        CHECK(note == NULL);
        CHECK(state_find_vm(back, "web-01") != NULL);
        back = state_free(back);

        /* a line that is not ours: replay stops there, the journal goes aside */
        fp = fopen(jp, "ae");
        ASSERT(fp);
        fputs("\n{\"vm\":{\"vm\":\"x\"}}\n{\"drop\":\"web-01\"}\n", fp);
        fclose(fp);
        ASSERT(state_load(dir, &back, &note) == 0);
        CHECK_CONTAINS(note, "state.journal is not usable after line");
        CHECK(state_find_vm(back, "web-01") != NULL); /* the drop after the bad line is not applied */
        CHECK(!file_exists(jp));
        back = state_free(back);
        note = mfree(note);

        /* compaction: state.json has it all, the journal is empty */
        j = state_journal_free(j);
        ASSERT(state_journal_open(dir, &j) == 0);
        CHECK_INT(state_journal_append(j, up, 1, NULL, 0, NULL, NULL, NULL), 0);
        CHECK_INT(state_compact(dir, s, j, false), 0);
        _cleanup_free_ char *text = get_file(dir, "state.journal");
        CHECK_STR(text, "");
        ASSERT(state_load(dir, &back, &note) == 0);
        CHECK_INT(back->n_vms, 2);
        state_journal_free(j);
        test_tmpdir_cleanup(TAKE_PTR(dir));
}

int main(void) {
        RUN(string_tables);
        RUN(journal);
        RUN(missing_file_and_dir);
        RUN(round_trip);
        RUN(version_1_loads);
        RUN(version_2_loads);
        RUN(atomic_write);
        RUN(corrupt_moved_aside);
        RUN(corrupt_vm_fields);
        RUN(newer_version_moved_aside);
        RUN(repeated_corruption_keeps_every_file);
        RUN(helpers);
        RUN(parse_and_format_text);
        RUN(writer_same_bytes_as_jansson);
        RUN(writer_refuses_what_jansson_refuses);
        return TEST_MAIN_END();
}
