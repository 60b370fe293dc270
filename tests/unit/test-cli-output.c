/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <jansson.h>
#include <stdio.h>

#include "cli/bus.h"
#include "cli/output.h"
#include "cli/render.h"
#include "cli/table.h"
#include "shared/anerror.h"
#include "shared/names.h"
#include "shared/tier.h"
#include "testlib.h"

static const AdapterRow adapters[] = {
        { .address = "0000:3b:00.0", .ifname = "ens1f0", .driver = "ixgbe", .support = "Supported",
          .total_vfs = 63, .enabled_vfs = 8, .assigned_vfs = 2 },
        { .address = "0000:d8:00.0", .ifname = "", .driver = "", .support = "MissingPfDriver" },
};

static const PrereqRow prereqs[] = {
        { "iommu", "host", "Passed", "", "IOMMU on (dmar0)." },
        { "acs", "0000:3b:00.0", "Failed", "SriovSupportMissingAcs",
          "The root port 0000:00:02.0 lacks ACS Source Validation, so VFs cannot be isolated. Use a slot "
          "behind a port with ACS." },
        { "smt", "host", "Warning", "", "" },
};

static const VmRow vms[] = {
        { .vm = "web1", .state = "enabled", .performance = "High", .vf = "0000:3b:10.0", .note = "", .node = NULL },
        { .vm = "db", .state = "disabled", .performance = "", .vf = "", .note = "", .node = NULL },
        { .vm = "batch", .state = "Enabled", .performance = "Low", .vf = "0000:3b:10.2",
          .note = "applies at next start" },
};

/* ListClusterVMs: the same with their nodes */
static const VmRow cluster_vms[] = {
        { .vm = "web1", .state = "enabled", .performance = "High", .vf = "0000:3b:10.0", .note = "", .node = "n1" },
        { .vm = "db", .state = "disabled", .performance = "", .vf = "", .note = "", .node = "n2" },
        { .vm = "batch", .state = "enabled", .performance = "Low", .vf = "", .note = "on node n3", .node = "n3" },
};

/* ListNodes: the README's four nodes (14, 14, 7, 7 VFs), reserve 50 and one node lost; with
 * ListNodeCapacity's free VFs (n2's PFs cannot serve High) */
static const NodeRow nodes[] = {
        { 1, "n1", "member", 1, 14, 0, 3, "", true, 11, 11, 11, 11, NULL },
        { 2, "n2", "member", 1, 14, 0, 0, "", true, 14, 0, 14, 14, NULL },
        { 3, "n3", "member", 1, 7, 7, 1, "", true, 6, 6, 6, 6, NULL },
        { 4, "n4.example.com", "member", 1, 7, 7, 0,
          "Intent adapters missing on this node: ens1f1 (0000:3b:00.1) was not found, so the node offers 7 of its "
          "14 VFs.", true, 7, 7, 7, 7, NULL },
        { 5, "n5", "lost", 0, 0, 0, 0, "", true, 0, 0, 0, 0, NULL },
};

/* The same from a daemon without ListNodeCapacity. */
static void nodes_without_free(NodeRow out[static 5]) {
        for (size_t i = 0; i < 5; i++) {
                out[i] = nodes[i];
                out[i].has_free = false;
        }
}

/* Checks that j is an array of n objects each having exactly the given keys. */
static void check_shape(json_t *j, size_t n, const char *const *keys, size_t n_keys) {
        CHECK(json_is_array(j));
        CHECK_INT(json_array_size(j), n);
        size_t i;
        json_t *o;
        json_array_foreach(j, i, o) {
                CHECK(json_is_object(o));
                CHECK_INT(json_object_size(o), n_keys);
                for (size_t k = 0; k < n_keys; k++)
                        CHECK(json_object_get(o, keys[k]) != NULL);
        }
}

/* Round trip through the printer: what --json prints must parse. */
static json_t *reparse(json_t *j, JsonMode mode) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return NULL;
        CHECK_INT(json_print(j, f, mode), 0);
        fclose(f);
        CHECK(size > 0 && buf[size - 1] == '\n');
        if (mode == JSON_MODE_SHORT)
                CHECK(strchr(buf, '\n') == buf + size - 1); /* one line */
        json_error_t err;
        json_t *back = json_loads(buf, 0, &err);
        CHECK(back != NULL);
        free(buf);
        return back;
}

/* Every line at most 80 columns. */
static void check_width80(const char *text) {
        const char *p = text;
        while (p && *p) {
                const char *nl = strchr(p, '\n');
                size_t len = nl ? (size_t) (nl - p) : strlen(p);
                _cleanup_free_ char *l = strndup(p, len);
                if (utf8_width(l) > 80)
                        fprintf(stderr, "too wide: %s\n", l);
                CHECK(utf8_width(l) <= 80);
                p = nl ? nl + 1 : NULL;
        }
}

TEST(adapters_json) {
        _cleanup_json_ json_t *j = adapter_rows_to_json(adapters, ELEMENTSOF(adapters));
        static const char *const keys[] = { "address", "ifname", "driver", "support",
                                            "total_vfs", "enabled_vfs", "assigned_vfs" };
        check_shape(j, 2, keys, ELEMENTSOF(keys));
        json_t *o = json_array_get(j, 0);
        CHECK_STR(json_string_value(json_object_get(o, "address")), "0000:3b:00.0");
        CHECK_INT(json_integer_value(json_object_get(o, "total_vfs")), 63);
        CHECK(json_is_integer(json_object_get(o, "assigned_vfs")));
        CHECK_STR(json_string_value(json_object_get(json_array_get(j, 1), "ifname")), "");

        _cleanup_json_ json_t *back = reparse(j, JSON_MODE_PRETTY);
        CHECK(json_equal(j, back));
        _cleanup_json_ json_t *back2 = reparse(j, JSON_MODE_SHORT);
        CHECK(json_equal(j, back2));

        _cleanup_json_ json_t *empty = adapter_rows_to_json(NULL, 0);
        CHECK(json_is_array(empty) && json_array_size(empty) == 0);
}

TEST(prereq_json) {
        _cleanup_json_ json_t *j = prereq_rows_to_json(prereqs, ELEMENTSOF(prereqs));
        static const char *const keys[] = { "check", "subject", "result", "code", "detail" };
        check_shape(j, 3, keys, ELEMENTSOF(keys));
        CHECK_STR(json_string_value(json_object_get(json_array_get(j, 1), "code")), "SriovSupportMissingAcs");
}

TEST(vms_json) {
        static const char *const keys[] = { "vm", "state", "performance", "vf", "note" };
        _cleanup_json_ json_t *all = vm_rows_to_json(vms, ELEMENTSOF(vms), VM_FILTER_ALL);
        check_shape(all, 3, keys, ELEMENTSOF(keys));
        _cleanup_json_ json_t *en = vm_rows_to_json(vms, ELEMENTSOF(vms), VM_FILTER_ENABLED);
        check_shape(en, 2, keys, ELEMENTSOF(keys)); /* "Enabled" counts too */
        CHECK_STR(json_string_value(json_object_get(json_array_get(en, 1), "vm")), "batch");
        _cleanup_json_ json_t *dis = vm_rows_to_json(vms, ELEMENTSOF(vms), VM_FILTER_DISABLED);
        check_shape(dis, 1, keys, ELEMENTSOF(keys));
        CHECK_STR(json_string_value(json_object_get(json_array_get(dis, 0), "vm")), "db");

        /* rows of ListClusterVMs carry their node */
        static const char *const ckeys[] = { "vm", "node", "state", "performance", "vf", "note" };
        _cleanup_json_ json_t *cl = vm_rows_to_json(cluster_vms, ELEMENTSOF(cluster_vms), VM_FILTER_ENABLED);
        check_shape(cl, 2, ckeys, ELEMENTSOF(ckeys));
        CHECK_STR(json_string_value(json_object_get(json_array_get(cl, 1), "node")), "n3");
}

TEST(vms_json_eligible_tiers) {
        /* ListVMsEx's eligible_tiers: a list of tier names, Low first; [] kept (nothing is
         * eligible); no key without it (an older daemon, a VM of another node) */
        const VmRow rows[] = {
                { .vm = "web1", .state = "disabled", .performance = "", .vf = "", .note = "", .has_ex = true,
                  .power = "running", .numa_local = "unknown", .pf = "", .has_eligible = true,
                  .eligible = (1u << TIER_HIGH) | (1u << TIER_LOW) },
                { .vm = "tiny", .state = "disabled", .performance = "", .vf = "", .note = "", .has_ex = true,
                  .power = "running", .numa_local = "unknown", .pf = "", .has_eligible = true },
                { .vm = "old", .state = "disabled", .performance = "", .vf = "", .note = "" },
        };
        _cleanup_json_ json_t *j = vm_rows_to_json(rows, ELEMENTSOF(rows), VM_FILTER_ALL);
        _cleanup_free_ char *s = json_dumps(j, JSON_COMPACT);
        CHECK_CONTAINS(s, "\"vm\":\"web1\"");
        CHECK_CONTAINS(s, "\"pf\":\"\",\"eligible_tiers\":[\"Low\",\"High\"]}");
        CHECK_CONTAINS(s, "\"pf\":\"\",\"eligible_tiers\":[]}");
        CHECK(!json_object_get(json_array_get(j, 2), "eligible_tiers"));
}

TEST(nodes_json) {
        static const char *const keys[] = { "node_id",      "name",          "state",           "hyperthreading",
                                            "capacity_vfs", "usable_vfs",    "assigned_vfs",    "note",
                                            "free_vfs",     "free_vfs_high", "free_vfs_medium", "free_vfs_low" };
        _cleanup_json_ json_t *j = node_rows_to_json(nodes, ELEMENTSOF(nodes));
        check_shape(j, 5, keys, ELEMENTSOF(keys));
        json_t *n2 = json_array_get(j, 1);
        CHECK_INT(json_integer_value(json_object_get(n2, "free_vfs")), 14);
        CHECK_INT(json_integer_value(json_object_get(n2, "free_vfs_high")), 0);
        CHECK_INT(json_integer_value(json_object_get(n2, "free_vfs_medium")), 14);
        CHECK_INT(json_integer_value(json_object_get(n2, "free_vfs_low")), 14);
        /* a daemon without ListNodeCapacity: no free_* keys */
        NodeRow old[5];
        nodes_without_free(old);
        _cleanup_json_ json_t *jo = node_rows_to_json(old, 5);
        check_shape(jo, 5, keys, 8);
        json_t *o = json_array_get(j, 3);
        CHECK_INT(json_integer_value(json_object_get(o, "node_id")), 4);
        CHECK_STR(json_string_value(json_object_get(o, "name")), "n4.example.com");
        CHECK(json_is_true(json_object_get(o, "hyperthreading")));
        CHECK_INT(json_integer_value(json_object_get(o, "capacity_vfs")), 7);
        CHECK_INT(json_integer_value(json_object_get(o, "usable_vfs")), 7);
        CHECK_CONTAINS(json_string_value(json_object_get(o, "note")), "Intent adapters missing");
        CHECK(json_is_false(json_object_get(json_array_get(j, 4), "hyperthreading")));
        CHECK_STR(json_string_value(json_object_get(json_array_get(j, 4), "state")), "lost");

        _cleanup_json_ json_t *back = reparse(j, JSON_MODE_SHORT);
        CHECK(json_equal(j, back));
        _cleanup_json_ json_t *empty = node_rows_to_json(NULL, 0);
        CHECK(json_is_array(empty) && json_array_size(empty) == 0);
}

TEST(cluster_summary) {
        Property props[] = {
                { .name = "Enabled", .type = PROPERTY_BOOLEAN, .b = true },
                { .name = "IntentName", .type = PROPERTY_STRING, .s = "compute1" },
                { .name = "NodeReservePercentage", .type = PROPERTY_UNSIGNED, .u = 50 },
                { .name = "ClusterName", .type = PROPERTY_STRING, .s = "prod" },
                { .name = "ClusterNodes", .type = PROPERTY_UNSIGNED, .u = 4 },
                { .name = "Quorate", .type = PROPERTY_BOOLEAN, .b = true },
        };
        ClusterSummary s;
        cluster_summary_build(props, ELEMENTSOF(props), nodes, ELEMENTSOF(nodes), &s);
        /* the README's example: k = min(3, ceil(4 x 50 / 100)) = 2, U = 42 - 28 = 14 */
        CHECK_INT(s.reserve_nodes, 2);
        CHECK_INT(s.capacity_vfs, 42); /* the members' only */
        CHECK_INT(s.usable_vfs, 14);
        CHECK_INT(s.assigned_vfs, 4);
        CHECK_INT(s.n_members, 4);
        CHECK_INT(s.n_lost, 1);

        _cleanup_free_ char *text = NULL;
        CHECK_INT(cluster_summary_render(&s, &text), 0);
        CHECK_STR(text, "Cluster: prod\n"
                        "Quorate: yes\n"
                        "Members: 4 (1 node lost)\n"
                        "Enabled: yes\n"
                        "Intent: compute1\n"
                        "Node reserve: 50%\n"
                        "Nodes in reserve: 2 of 4\n"
                        "Capacity VFs: 42\n"
                        "Usable VFs: 14\n"
                        "Assigned VFs: 4\n");

        _cleanup_json_ json_t *j = cluster_summary_to_json(&s);
        _cleanup_json_ json_t *back = reparse(j, JSON_MODE_SHORT);
        CHECK(json_equal(j, back));
        char *dump = json_dumps(j, JSON_COMPACT);
        CHECK_STR(dump, "{\"cluster_name\":\"prod\",\"quorate\":true,\"cluster_nodes\":4,\"enabled\":true,"
                        "\"intent_name\":\"compute1\",\"node_reserve_percentage\":50,\"reserve_nodes\":2,"
                        "\"capacity_vfs\":42,\"usable_vfs\":14,\"assigned_vfs\":4}");
        free(dump);

        /* reserve 0 and 99 on the same four nodes */
        props[2].u = 0;
        cluster_summary_build(props, ELEMENTSOF(props), nodes, ELEMENTSOF(nodes), &s);
        CHECK_INT(s.reserve_nodes, 0);
        props[2].u = 99;
        cluster_summary_build(props, ELEMENTSOF(props), nodes, ELEMENTSOF(nodes), &s);
        CHECK_INT(s.reserve_nodes, 3);

        /* not quorate */
        props[5].b = false;
        cluster_summary_build(props, ELEMENTSOF(props), nodes, 4, &s);
        _cleanup_free_ char *nq = NULL;
        CHECK_INT(cluster_summary_render(&s, &nq), 0);
        CHECK_CONTAINS(nq, "Quorate: no (settings and new admissions are refused until quorum returns)\n");
        CHECK_CONTAINS(nq, "Members: 4\n");
}

TEST(cluster_of_one) {
        /* a daemon older than cluster mode: no cluster properties, no ListNodes */
        Property props[] = {
                { .name = "Enabled", .type = PROPERTY_BOOLEAN, .b = true },
                { .name = "IntentName", .type = PROPERTY_STRING, .s = "compute1" },
                { .name = "NodeReservePercentage", .type = PROPERTY_UNSIGNED, .u = 50 },
                { .name = "HyperthreadingEnabled", .type = PROPERTY_BOOLEAN, .b = true },
                { .name = "CapacityVFs", .type = PROPERTY_UNSIGNED, .u = 32 },
                { .name = "UsableVFs", .type = PROPERTY_UNSIGNED, .u = 16 },
                { .name = "AssignedVFs", .type = PROPERTY_UNSIGNED, .u = 1 },
        };
        ClusterInfo c = cluster_info_from_properties(props, ELEMENTSOF(props));
        CHECK_STR(c.name, "");
        CHECK_INT(c.members, 1);
        CHECK(c.quorate);
        CHECK(!cluster_info_in_cluster(&c));

        NodeRow row = node_row_from_properties(props, ELEMENTSOF(props), "host1");
        CHECK_INT(row.id, 0);
        CHECK_STR(row.name, "host1");
        CHECK_STR(row.state, ACCELNET_NODE_STATE_MEMBER);
        CHECK(row.hyperthreading);
        CHECK_INT(row.capacity_vfs, 32);
        CHECK_INT(row.usable_vfs, 16);
        CHECK_INT(row.assigned_vfs, 1);
        CHECK_STR(row.note, "");

        ClusterSummary s;
        cluster_summary_build(props, ELEMENTSOF(props), &row, 1, &s);
        CHECK_INT(s.reserve_nodes, 0);
        _cleanup_free_ char *text = NULL;
        CHECK_INT(cluster_summary_render(&s, &text), 0);
        CHECK_STR(text, "Cluster: not in a cluster (cluster of one)\n"
                        "Quorate: yes\n"
                        "Members: 1\n"
                        "Enabled: yes\n"
                        "Intent: compute1\n"
                        "Node reserve: 50%\n"
                        "Nodes in reserve: 0 (one node: 50% of its VFs are held in reserve)\n"
                        "Capacity VFs: 32\n"
                        "Usable VFs: 16\n"
                        "Assigned VFs: 1\n");
}

TEST(intents_json) {
        const char *types[] = { "compute", "storage" };
        const char *ads[] = { "ens1f0" };
        IntentRow rows[] = { { "c1", types, 2, ads, 1 }, { "empty", NULL, 0, NULL, 0 } };
        _cleanup_json_ json_t *j = intent_rows_to_json(rows, 2);
        static const char *const keys[] = { "name", "types", "adapters" };
        check_shape(j, 2, keys, ELEMENTSOF(keys));
        json_t *t = json_object_get(json_array_get(j, 0), "types");
        CHECK(json_is_array(t));
        CHECK_INT(json_array_size(t), 2);
        CHECK_STR(json_string_value(json_array_get(t, 1)), "storage");
        CHECK_INT(json_array_size(json_object_get(json_array_get(j, 1), "adapters")), 0);
}

TEST(vm_results_json) {
        VmResult res[] = { { "a", "", NULL }, { "b", an_error_bus_name(AN_ERROR_NO_SUCH_VM), NULL } };
        _cleanup_json_ json_t *j = vm_results_to_json(res, 2);
        static const char *const keys[] = { "vm", "result", "error" };
        check_shape(j, 2, keys, ELEMENTSOF(keys));
        CHECK_STR(json_string_value(json_object_get(json_array_get(j, 0), "result")), "done");
        CHECK_STR(json_string_value(json_object_get(json_array_get(j, 1), "result")), "failed");
        CHECK_STR(json_string_value(json_object_get(json_array_get(j, 1), "error")),
                  ACCELNET_BUS_ERROR_PREFIX "NoSuchVM"); /* the full name */
        CHECK_INT(vm_results_n_failed(res, 2), 1);
}

TEST(status_json) {
        Property props[] = {
                { .name = "Enabled", .type = PROPERTY_BOOLEAN, .b = true },
                { .name = "IntentName", .type = PROPERTY_STRING, .s = "compute1" },
                { .name = "NodeReservePercentage", .type = PROPERTY_UNSIGNED, .u = 50 },
                { .name = "HyperthreadingEnabled", .type = PROPERTY_BOOLEAN, .b = false },
                { .name = "CapacityVFs", .type = PROPERTY_UNSIGNED, .u = 14 },
                { .name = "UsableVFs", .type = PROPERTY_UNSIGNED, .u = 7 },
                { .name = "AssignedVFs", .type = PROPERTY_UNSIGNED, .u = 1 },
                { .name = "Version", .type = PROPERTY_STRING, .s = "0.1.0" },
        };
        _cleanup_json_ json_t *j = properties_to_json(props, ELEMENTSOF(props));
        CHECK(json_is_object(j));
        CHECK_INT(json_object_size(j), 8);
        CHECK(json_is_true(json_object_get(j, "enabled")));
        CHECK(!json_object_get(j, "cluster_name")); /* only what the daemon sent */
        CHECK(json_is_false(json_object_get(j, "hyperthreading_enabled")));
        CHECK_STR(json_string_value(json_object_get(j, "intent_name")), "compute1");
        CHECK_INT(json_integer_value(json_object_get(j, "node_reserve_percentage")), 50);
        CHECK_INT(json_integer_value(json_object_get(j, "capacity_vfs")), 14);
        CHECK_INT(json_integer_value(json_object_get(j, "usable_vfs")), 7);
        CHECK_INT(json_integer_value(json_object_get(j, "assigned_vfs")), 1);
        CHECK_STR(json_string_value(json_object_get(j, "version")), "0.1.0");

        _cleanup_free_ char *text = NULL;
        CHECK_INT(properties_render(props, ELEMENTSOF(props), &text), 0);
        CHECK_STR(text, "Enabled: yes\n"
                        "Intent: compute1\n"
                        "Node reserve: 50%\n"
                        "Hyperthreading: no\n"
                        "Capacity VFs: 14\n"
                        "Usable VFs: 7\n"
                        "Assigned VFs: 1\n"
                        "Cluster: not in a cluster (cluster of one)\n"
                        "Version: 0.1.0\n");

        /* NodeName has its label, before the cluster line (it was "NodeName: x" at the end) */
        const Property named[] = {
                { .name = "Enabled", .type = PROPERTY_BOOLEAN, .b = false },
                { .name = "NodeName", .type = PROPERTY_STRING, .s = "host1" },
                { .name = "Version", .type = PROPERTY_STRING, .s = "0.1.0" },
        };
        _cleanup_free_ char *named_text = NULL;
        CHECK_INT(properties_render(named, ELEMENTSOF(named), &named_text), 0);
        CHECK_STR(named_text, "Enabled: no\n"
                              "Node: host1\n"
                              "Cluster: not in a cluster (cluster of one)\n"
                              "Version: 0.1.0\n");

        /* status --json: a daemon without the cluster properties is a cluster of one */
        _cleanup_json_ json_t *st = status_to_json(props, ELEMENTSOF(props));
        CHECK_INT(json_object_size(st), 11);
        CHECK_STR(json_string_value(json_object_get(st, "cluster_name")), "");
        CHECK_INT(json_integer_value(json_object_get(st, "cluster_nodes")), 1);
        CHECK(json_is_true(json_object_get(st, "quorate")));
        CHECK_STR(json_string_value(json_object_get(st, "version")), "0.1.0");
}

TEST(status_cluster) {
        Property props[] = {
                { .name = "Enabled", .type = PROPERTY_BOOLEAN, .b = true },
                { .name = "Quorate", .type = PROPERTY_BOOLEAN, .b = true },
                { .name = "ClusterNodes", .type = PROPERTY_UNSIGNED, .u = 3 },
                { .name = "ClusterName", .type = PROPERTY_STRING, .s = "prod" },
                { .name = "Version", .type = PROPERTY_STRING, .s = "0.2.0" },
        };
        _cleanup_free_ char *text = NULL;
        CHECK_INT(properties_render(props, ELEMENTSOF(props), &text), 0);
        /* one line for the three, where the contract puts them; none under its D-Bus name */
        CHECK_STR(text, "Enabled: yes\nCluster: prod, 3 members, quorate\nVersion: 0.2.0\n");

        _cleanup_json_ json_t *st = status_to_json(props, ELEMENTSOF(props));
        CHECK_INT(json_object_size(st), 5);
        CHECK_STR(json_string_value(json_object_get(st, "cluster_name")), "prod");
        CHECK_INT(json_integer_value(json_object_get(st, "cluster_nodes")), 3);

        /* out of quorum */
        props[1].b = false;
        props[2].u = 1;
        _cleanup_free_ char *lost = NULL;
        CHECK_INT(properties_render(props, ELEMENTSOF(props), &lost), 0);
        CHECK_CONTAINS(lost, "Cluster: prod, 1 member, not quorate (settings and new admissions refused)\n");
        _cleanup_json_ json_t *lj = status_to_json(props, ELEMENTSOF(props));
        CHECK(json_is_false(json_object_get(lj, "quorate")));

        /* corosync without totem.cluster_name: still a cluster */
        props[1].b = true;
        props[2].u = 2;
        props[3].s = "";
        _cleanup_free_ char *unnamed = NULL;
        CHECK_INT(properties_render(props, ELEMENTSOF(props), &unnamed), 0);
        CHECK_CONTAINS(unnamed, "Cluster: (no name: corosync unreachable or no totem.cluster_name), 2 members, "
                                "quorate\n");

        /* a node that was in a cluster, corosync unreachable: no name, 1 member, not quorate */
        props[1].b = false;
        props[2].u = 1;
        _cleanup_free_ char *away = NULL;
        CHECK_INT(properties_render(props, ELEMENTSOF(props), &away), 0);
        CHECK_CONTAINS(away, "Cluster: (no name: corosync unreachable or no totem.cluster_name), 1 member, not "
                             "quorate (settings and new admissions refused)\n");
        ClusterInfo ci = cluster_info_from_properties(props, ELEMENTSOF(props));
        CHECK(cluster_info_in_cluster(&ci));
        props[1].b = true;

        /* a new daemon without corosync */
        props[2].u = 1;
        _cleanup_free_ char *one = NULL;
        CHECK_INT(properties_render(props, ELEMENTSOF(props), &one), 0);
        CHECK_CONTAINS(one, "Cluster: not in a cluster (cluster of one)\n");
}

TEST(status_order_and_unknown) {
        /* the daemon's order does not matter; unknown properties follow under their name */
        Property props[] = {
                { .name = "Future", .type = PROPERTY_SIGNED, .i = -3 },
                { .name = "IntentName", .type = PROPERTY_STRING, .s = "" },
                { .name = "Enabled", .type = PROPERTY_BOOLEAN, .b = false },
        };
        _cleanup_free_ char *text = NULL;
        CHECK_INT(properties_render(props, ELEMENTSOF(props), &text), 0);
        CHECK_STR(text, "Enabled: no\nIntent: -\nCluster: not in a cluster (cluster of one)\nFuture: -3\n");
}

TEST(snake) {
        static const char *const cases[][2] = {
                { "CapacityVFs", "capacity_vfs" },
                { "NodeReservePercentage", "node_reserve_percentage" },
                { "HyperthreadingEnabled", "hyperthreading_enabled" },
                { "Version", "version" },
                { "IPv4Address", "ipv4_address" },
                { "", "" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *s = property_name_to_snake(cases[i][0]);
                CHECK_STR(s, cases[i][1]);
        }
}

TEST(render_adapters) {
        RenderOptions o = { .legend = true, .width = 80 };
        _cleanup_free_ char *s = NULL;
        CHECK_INT(adapter_rows_render(adapters, ELEMENTSOF(adapters), &o, &s), 0);
        CHECK_STR(s, "ADDRESS      IFNAME DRIVER SUPPORT         TOTAL ENABLED ASSIGNED\n"
                     "0000:3b:00.0 ens1f0 ixgbe  Supported          63       8        2\n"
                     "0000:d8:00.0 -      -      MissingPfDriver     0       0        0\n"
                     "\n"
                     "2 adapters listed.\n");

        o.legend = false;
        _cleanup_free_ char *t = NULL;
        CHECK_INT(adapter_rows_render(adapters, 1, &o, &t), 0);
        CHECK_STR(t, "0000:3b:00.0 ens1f0 ixgbe Supported 63 8 2\n");
}

TEST(render_prereq) {
        RenderOptions o = { .legend = true, .width = 60 };
        _cleanup_free_ char *s = NULL;
        CHECK_INT(prereq_rows_render(prereqs, ELEMENTSOF(prereqs), &o, &s), 0);
        CHECK_STR(s, "RESULT  CHECK SUBJECT      CODE\n"
                     "Passed  iommu host         -\n"
                     "    IOMMU on (dmar0).\n"
                     "Failed  acs   0000:3b:00.0 SriovSupportMissingAcs\n"
                     "    The root port 0000:00:02.0 lacks ACS Source Validation,\n"
                     "    so VFs cannot be isolated. Use a slot behind a port with\n"
                     "    ACS.\n"
                     "Warning smt   host         -\n"
                     "\n"
                     "3 checks: 1 passed, 1 warning, 1 failed.\n");
}

TEST(render_vms) {
        RenderOptions o = { .legend = true };
        _cleanup_free_ char *s = NULL;
        CHECK_INT(vm_rows_render(vms, ELEMENTSOF(vms), VM_FILTER_ENABLED, false, &o, &s), 0);
        CHECK_STR(s, "VM    STATE   PERFORMANCE VF           NOTE\n"
                     "web1  enabled High        0000:3b:10.0 -\n"
                     "batch Enabled Low         0000:3b:10.2 applies at next start\n"
                     "\n"
                     "2 VMs listed.\n");
        _cleanup_free_ char *d = NULL;
        CHECK_INT(vm_rows_render(vms, ELEMENTSOF(vms), VM_FILTER_DISABLED, false, &o, &d), 0);
        CHECK_CONTAINS(d, "\n1 VM listed.\n");

        /* in a cluster: the NODE column */
        _cleanup_free_ char *c = NULL;
        CHECK_INT(vm_rows_render(cluster_vms, ELEMENTSOF(cluster_vms), VM_FILTER_ALL, true, &o, &c), 0);
        CHECK_STR(c, "VM    NODE STATE    PERFORMANCE VF           NOTE\n"
                     "web1  n1   enabled  High        0000:3b:10.0 -\n"
                     "db    n2   disabled -           -            -\n"
                     "batch n3   enabled  Low         -            on node n3\n"
                     "\n"
                     "3 VMs listed.\n");
        /* a row without a node (never mixed in practice) shows "-" */
        _cleanup_free_ char *m = NULL;
        CHECK_INT(vm_rows_render(vms, 1, VM_FILTER_ALL, true, &o, &m), 0);
        CHECK_CONTAINS(m, "web1 -    enabled");
}

TEST(render_nodes) {
        RenderOptions o = { .legend = true, .width = 80 };
        _cleanup_free_ char *s = NULL;
        CHECK_INT(node_rows_render(nodes, ELEMENTSOF(nodes), &o, &s), 0);
        CHECK_STR(s, "ID NAME           STATE  HT  CAP USABLE ASSIGNED FREE HIGH MED LOW\n"
                     " 1 n1             member yes  14      0        3   11   11  11  11\n"
                     " 2 n2             member yes  14      0        0   14    0  14  14\n"
                     " 3 n3             member yes   7      7        1    6    6   6   6\n"
                     " 4 n4.example.com member yes   7      7        0    7    7   7   7\n"
                     "    Intent adapters missing on this node: ens1f1 (0000:3b:00.1) was not found,\n"
                     "    so the node offers 7 of its 14 VFs.\n"
                     " 5 n5             lost   no    0      0        0    0    0   0   0\n"
                     "\n"
                     "5 nodes listed: 4 members, 1 lost.\n");
        check_width80(s);

        o.legend = false;
        _cleanup_free_ char *t = NULL;
        CHECK_INT(node_rows_render(nodes, 1, &o, &t), 0);
        CHECK_STR(t, "1 n1 member yes 14 0 3 11 11 11 11\n");

        /* a daemon without ListNodeCapacity: the columns of ListNodes alone */
        NodeRow old[5];
        nodes_without_free(old);
        o.legend = true;
        _cleanup_free_ char *w = NULL;
        CHECK_INT(node_rows_render(old, 2, &o, &w), 0);
        CHECK_STR(w, "ID NAME STATE  HT  CAP USABLE ASSIGNED\n"
                     " 1 n1   member yes  14      0        3\n"
                     " 2 n2   member yes  14      0        0\n"
                     "\n"
                     "2 nodes listed.\n");
        /* a node that ListNodeCapacity did not list (it joined in between): "-" */
        old[0].has_free = true;
        _cleanup_free_ char *d = NULL;
        CHECK_INT(node_rows_render(old, 2, &o, &d), 0);
        CHECK_CONTAINS(d, " 2 n2   member yes  14      0        0    -    -   -   -\n");

        o.legend = true;
        _cleanup_free_ char *one = NULL;
        CHECK_INT(node_rows_render(nodes, 1, &o, &one), 0);
        CHECK_CONTAINS(one, "\n1 node listed.\n");
}

TEST(render_nodes_with_health) {
        /* ListNodeHealth's summaries: a HEALTH column, and what is not healthy below the node */
        NodeRow rows[3] = { nodes[0], nodes[3], nodes[4] };
        rows[0].health = "Healthy";
        rows[1].health = "Failed: ens1f0 (LinkDown); Degraded: ens2f0 (PcieLinkDegraded); quarantined: ens2f1";
        rows[2].health = ""; /* a node that does not report it */
        RenderOptions o = { .legend = true, .width = 80 };
        _cleanup_free_ char *s = NULL;
        CHECK_INT(node_rows_render(rows, ELEMENTSOF(rows), &o, &s), 0);
        CHECK_STR(s, "ID NAME           STATE  HT  CAP USABLE ASSIGNED FREE HIGH MED LOW HEALTH\n"
                     " 1 n1             member yes  14      0        3   11   11  11  11 Healthy\n"
                     " 4 n4.example.com member yes   7      7        0    7    7   7   7 Failed\n"
                     "    Intent adapters missing on this node: ens1f1 (0000:3b:00.1) was not found,\n"
                     "    so the node offers 7 of its 14 VFs.\n"
                     "    Health: Failed: ens1f0 (LinkDown); Degraded: ens2f0 (PcieLinkDegraded);\n"
                     "    quarantined: ens2f1\n"
                     " 5 n5             lost   no    0      0        0    0    0   0   0 -\n"
                     "\n"
                     "3 nodes listed: 2 members, 1 lost.\n");
        check_width80(s);
        _cleanup_json_ json_t *j = node_rows_to_json(rows, ELEMENTSOF(rows));
        CHECK_STR(json_string_value(json_object_get(json_array_get(j, 1), "health")), rows[1].health);
        _cleanup_json_ json_t *old = node_rows_to_json(nodes, 1);
        CHECK(!json_object_get(json_array_get(old, 0), "health")); /* an older daemon: no key */
}

TEST(render_intents) {
        const char *types[] = { "compute", "storage" };
        const char *ads[] = { "ens1f0", "0000:3b:00.1" };
        IntentRow rows[] = { { "c1", types, 2, ads, 2 } };
        RenderOptions o = { .legend = true };
        _cleanup_free_ char *s = NULL;
        CHECK_INT(intent_rows_render(rows, 1, &o, &s), 0);
        CHECK_STR(s, "NAME TYPES           ADAPTERS\n"
                     "c1   compute,storage ens1f0,0000:3b:00.1\n"
                     "\n"
                     "1 intent listed.\n");
}

TEST(render_vm_results) {
        VmResult res[] = { { "a", "", NULL },
                           { "b", an_error_bus_name(AN_ERROR_NO_SUCH_VM), NULL },
                           { "c", SD_BUS_ERROR_INVALID_ARGS, NULL },
                           { "d", an_error_bus_name(AN_ERROR_ALREADY_ENABLED), NULL },
                           { "e", SD_BUS_ERROR_NO_REPLY, NULL } };
        RenderOptions o = { .legend = true, .width = 60 };
        _cleanup_free_ char *s = NULL;
        CHECK_INT(vm_results_render(res, 5, &o, &s), 0);
        /* the seed's message for an error of the table, the short name for ours */
        CHECK_STR(s, "VM RESULT ERROR\n"
                     "a  done   -\n"
                     "b  failed NoSuchVM\n"
                     "    No such VM.\n"
                     "c  failed org.freedesktop.DBus.Error.InvalidArgs\n"
                     "    Invalid argument.\n"
                     "d  failed AlreadyEnabled\n"
                     "    Already enabled with other settings.\n"
                     "e  failed org.freedesktop.DBus.Error.NoReply\n" /* none for a foreign one */
                     "\n"
                     "1 done, 4 failed.\n");
        CHECK_CONTAINS(s, an_error_message(AN_ERROR_NO_SUCH_VM));
        CHECK_CONTAINS(s, an_error_message(AN_ERROR_ALREADY_ENABLED));
}

TEST(error_names) {
        CHECK_STR(error_name_short(an_error_bus_name(AN_ERROR_BUSY)), "Busy");
        CHECK_STR(error_name_short(an_error_bus_name(AN_ERROR_ALREADY_ENABLED)), "AlreadyEnabled");
        CHECK_STR(error_name_short(ACCELNET_BUS_ERROR_PREFIX "FromTheFuture"), "FromTheFuture");
        CHECK_STR(error_name_short(ACCELNET_BUS_ERROR_PREFIX), ACCELNET_BUS_ERROR_PREFIX);
        CHECK_STR(error_name_short(SD_BUS_ERROR_ACCESS_DENIED), SD_BUS_ERROR_ACCESS_DENIED);
        CHECK(error_name_short(NULL) == NULL);
}

TEST(bus_error_message) {
        sd_bus_error e = SD_BUS_ERROR_MAKE_CONST(ACCELNET_BUS_ERROR_PREFIX "IntentNotFound",
                                                 "Intent 'x' was not found.");
        _cleanup_free_ char *a = cli_bus_error_message(&e, -EIO);
        CHECK_STR(a, "Intent 'x' was not found. (" ACCELNET_BUS_ERROR_PREFIX "IntentNotFound)");

        sd_bus_error nr = SD_BUS_ERROR_MAKE_CONST(SD_BUS_ERROR_SERVICE_UNKNOWN,
                                                  "The name " ACCELNET_BUS_NAME " was not provided by any .service files");
        _cleanup_free_ char *b = cli_bus_error_message(&nr, -EIO);
        CHECK_STR(b, "accelnetd is not running (" ACCELNET_BUS_NAME " not on the system bus)");
        sd_bus_error nho = SD_BUS_ERROR_MAKE_CONST(SD_BUS_ERROR_NAME_HAS_NO_OWNER, "x");
        CHECK(cli_bus_error_is_not_running(&nho));
        CHECK(!cli_bus_error_is_not_running(&e));

        sd_bus_error bare = SD_BUS_ERROR_MAKE_CONST(ACCELNET_BUS_ERROR_PREFIX "Busy", NULL);
        _cleanup_free_ char *c = cli_bus_error_message(&bare, -EBUSY);
        CHECK_STR(c, ACCELNET_BUS_ERROR_PREFIX "Busy");

        _cleanup_free_ char *d = cli_bus_error_message(NULL, -ETIMEDOUT);
        CHECK_STR(d, strerror(ETIMEDOUT));
}

int main(void) {
        RUN(adapters_json);
        RUN(prereq_json);
        RUN(vms_json);
        RUN(vms_json_eligible_tiers);
        RUN(intents_json);
        RUN(vm_results_json);
        RUN(status_json);
        RUN(status_cluster);
        RUN(status_order_and_unknown);
        RUN(nodes_json);
        RUN(cluster_summary);
        RUN(cluster_of_one);
        RUN(snake);
        RUN(render_adapters);
        RUN(render_prereq);
        RUN(render_vms);
        RUN(render_nodes);
        RUN(render_nodes_with_health);
        RUN(render_intents);
        RUN(render_vm_results);
        RUN(error_names);
        RUN(bus_error_message);
        return TEST_MAIN_END();
}
