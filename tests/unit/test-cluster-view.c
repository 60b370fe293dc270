/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The replicated view (src/cluster/view.c) on three in-process members: every message is
 * delivered to every member of the sender's partition in one global order, as CPG does. */
#include <inttypes.h>
#include <stdio.h>

#include "cluster/view.h"
#include "policy/admission.h"
#include "shared/anerror.h"
#include "testlib.h"

#define N 3

typedef struct Net {
        ClusterView *v[N + 1];          /* 1-based node ids */
        int part[N + 1];                /* partition of each node */
        ViewEvent last[N + 1];          /* the last event each node saw */
        uint64_t ring;
} Net;

static void net_send(Net *net, uint32_t from, char *msg) {
        for (uint32_t to = 1; to <= N; to++) {
                if (net->part[to] != net->part[from])
                        continue;
                ViewEvent e;
                CHECK(cluster_view_deliver(net->v[to], from, msg, strlen(msg), &e) >= 0);
                if (e.type != VIEW_EVENT_NONE) {
                        view_event_done(&net->last[to]);
                        net->last[to] = e;
                } else
                        view_event_done(&e);
        }
        free(msg);
}

static void set_facts(Net *net, uint32_t id, int ht, unsigned capacity, unsigned assigned) {
        NodeFacts f = { .ht = ht, .capacity = capacity, .n_vms = assigned };
        char name[32];
        snprintf(name, sizeof name, "node%" PRIu32, id);
        f.name = strdup(name);
        f.kernel = strdup("6.1");
        f.libvirt = strdup("9.0.0");
        f.tiers = strdup("t");
        f.note = strdup("");
        f.vms = calloc(assigned ? assigned : 1, sizeof(ClusterVm));
        for (unsigned i = 0; i < assigned; i++) {
                char vm[32];
                snprintf(vm, sizeof vm, "vm%" PRIu32 "-%02u", id, i);
                f.vms[i] = (ClusterVm){ strdup(vm), strdup("enabled"), strdup("high"), strdup("0000:01:10.0"), strdup("") };
        }
        (void) cluster_view_set_own_facts(net->v[id], &f);
}

/* Every partition gets a new membership; each member multicasts its SYNC. */
static void net_membership(Net *net) {
        net->ring++;
        for (int p = 0; p <= N; p++) {
                uint32_t members[N];
                size_t n = 0;
                for (uint32_t id = 1; id <= N; id++)
                        if (net->part[id] == p)
                                members[n++] = id;
                if (n == 0)
                        continue;
                char *sync[N + 1] = {};
                for (size_t i = 0; i < n; i++)
                        CHECK(cluster_view_membership(net->v[members[i]], members, n, net->ring, &sync[members[i]]) >= 0);
                for (size_t i = 0; i < n; i++)
                        net_send(net, members[i], sync[members[i]]);
        }
}

static void net_init(Net *net, const unsigned caps[N], const int ht[N]) {
        *net = (Net){};
        for (uint32_t id = 1; id <= N; id++) {
                CHECK(cluster_view_new(id, reserve_usable, &net->v[id]) >= 0);
                set_facts(net, id, ht[id - 1], caps[id - 1], 0);
        }
        net_membership(net);
        for (uint32_t id = 1; id <= N; id++)
                CHECK(net->v[id]->synced);
}

static void net_done(Net *net) {
        for (uint32_t id = 1; id <= N; id++) {
                cluster_view_free(net->v[id]);
                view_event_done(&net->last[id]);
        }
}

static void settings(Net *net, uint32_t from, ClusterOp op, const char *intent, unsigned reserve) {
        char *m;
        CHECK(cluster_msg_settings(7, op, intent, reserve, &m) >= 0);
        net_send(net, from, m);
}

TEST(enable_on_one_is_in_force_on_all) {
        Net net;
        net_init(&net, (const unsigned[]){ 14, 14, 7 }, (const int[]){ 1, 1, 1 });
        settings(&net, 2, CLUSTER_OP_ENABLE, "compute", 50);
        for (uint32_t id = 1; id <= N; id++) {
                CHECK(net.v[id]->settings.enabled);
                CHECK_STR(net.v[id]->settings.intent, "compute");
                CHECK_INT(net.v[id]->settings.reserve, 50);
                CHECK_INT(net.v[id]->settings.version, 1);
                CHECK_INT(net.v[id]->settings.origin, 2);
                ClusterCounts c;
                cluster_view_counts(net.v[id], &c);
                /* 3 nodes, 50 %: k = 2, U = 35 - 14 - 14 */
                CHECK_INT(c.n, 3);
                CHECK_INT(c.k, 2);
                CHECK_INT(c.usable, 7);
        }
        CHECK(net.last[2].mine && net.last[2].changed && net.last[2].error == 0);
        CHECK(!net.last[1].mine && net.last[1].changed);
        /* the same again: a no-op; other values: AlreadyEnabled, decided alike everywhere */
        settings(&net, 3, CLUSTER_OP_ENABLE, "compute", 50);
        CHECK(!net.last[3].changed && net.last[3].error == 0);
        settings(&net, 3, CLUSTER_OP_ENABLE, "compute", 10);
        for (uint32_t id = 1; id <= N; id++) {
                CHECK_INT(net.last[id].error, -AN_ERROR_ALREADY_ENABLED);
                CHECK_INT(net.v[id]->settings.reserve, 50);
        }
        /* two Sets in one order: the later wins everywhere */
        settings(&net, 1, CLUSTER_OP_SET, NULL, 0);
        settings(&net, 3, CLUSTER_OP_SET, NULL, 20);
        for (uint32_t id = 1; id <= N; id++) {
                CHECK_INT(net.v[id]->settings.reserve, 20);
                CHECK_INT(net.v[id]->settings.version, 3);
        }
        settings(&net, 1, CLUSTER_OP_DISABLE, NULL, CLUSTER_RESERVE_KEEP);
        for (uint32_t id = 1; id <= N; id++)
                CHECK(!net.v[id]->settings.enabled);
        net_done(&net);
}

TEST(hyperthreading_names_the_odd_node) {
        Net net;
        net_init(&net, (const unsigned[]){ 8, 8, 8 }, (const int[]){ 1, 0, 1 });
        settings(&net, 1, CLUSTER_OP_ENABLE, "compute", 0);
        CHECK_INT(net.last[1].error, -AN_ERROR_HYPERTHREADING_CHECK_FAILED);
        CHECK_CONTAINS(net.last[1].message, "node2");
        CHECK(strstr(net.last[1].message, "node1") == NULL);
        CHECK(!net.v[3]->settings.enabled);
        net_done(&net);
}

TEST(claims_never_exceed_usable) {
        Net net;
        net_init(&net, (const unsigned[]){ 4, 4, 4 }, (const int[]){ 0, 0, 0 });
        settings(&net, 1, CLUSTER_OP_ENABLE, "compute", 34); /* k = 2: U = 4 */
        unsigned accepted = 0;
        for (int round = 0; round < 4; round++)
                for (uint32_t id = 1; id <= N; id++) {
                        char vm[32], *m;
                        uint64_t seq;
                        snprintf(vm, sizeof vm, "vm%" PRIu32 "-%d", id, round);
                        CHECK(cluster_msg_claim(net.v[id], vm, &seq, &m) >= 0);
                        net_send(&net, id, m);
                        CHECK(net.last[id].type == VIEW_EVENT_CLAIM && net.last[id].mine);
                        if (net.last[id].error == 0)
                                accepted++;
                        else {
                                CHECK_INT(net.last[id].error, -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES);
                                CHECK_CONTAINS(net.last[id].message, "4 of the cluster's 12 VFs are usable");
                        }
                }
        CHECK_INT(accepted, 4);
        for (uint32_t id = 1; id <= N; id++) {
                ClusterCounts c;
                cluster_view_counts(net.v[id], &c);
                CHECK_INT(c.assigned, 4);
        }
        /* node 1's facts now carry its claimed VMs (claim_seq covers them): still 4 */
        NodeFacts f = { .ht = 0, .capacity = 4, .claim_seq = 4 };
        f.name = strdup("node1");
        f.vms = calloc(2, sizeof(ClusterVm));
        f.n_vms = 2;
        f.vms[0] = (ClusterVm){ strdup("vm1-0"), strdup("enabled"), strdup("low"), strdup("0000:01:10.0"), strdup("") };
        f.vms[1] = (ClusterVm){ strdup("vm1-1"), strdup("enabled"), strdup("low"), strdup("0000:01:10.2"), strdup("") };
        CHECK(cluster_view_set_own_facts(net.v[1], &f));
        char *m;
        CHECK(cluster_msg_facts(net.v[1], &m) >= 0);
        net_send(&net, 1, m);
        for (uint32_t id = 1; id <= N; id++) {
                ClusterCounts c;
                cluster_view_counts(net.v[id], &c);
                CHECK_INT(c.assigned, 4);
        }
        net_done(&net);
}

TEST(a_lost_node_leaves_the_counts) {
        Net net;
        net_init(&net, (const unsigned[]){ 10, 6, 4 }, (const int[]){ 1, 1, 1 });
        settings(&net, 1, CLUSTER_OP_ENABLE, "compute", 0);
        ClusterCounts c;
        cluster_view_counts(net.v[1], &c);
        CHECK_INT(c.usable, 20);
        net.part[3] = 1;
        net_membership(&net);
        cluster_view_counts(net.v[1], &c);
        CHECK_INT(c.n, 2);
        CHECK_INT(c.usable, 16);
        cluster_view_counts(net.v[3], &c); /* alone: a cluster of one, the single-host share */
        CHECK_INT(c.n, 1);
        CHECK_INT(c.usable, 4);
        net_done(&net);
}

TEST(a_merge_converges_on_the_highest_version) {
        Net net;
        net_init(&net, (const unsigned[]){ 8, 8, 8 }, (const int[]){ 1, 1, 1 });
        settings(&net, 1, CLUSTER_OP_ENABLE, "compute", 50);
        /* node 3 cut off; the majority changes twice, the minority would change once */
        net.part[3] = 1;
        net_membership(&net);
        settings(&net, 2, CLUSTER_OP_SET, NULL, 10);
        settings(&net, 1, CLUSTER_OP_SET, "storage", CLUSTER_RESERVE_KEEP);
        settings(&net, 3, CLUSTER_OP_SET, NULL, 90); /* the daemon refuses this without quorum; the view alone would take it */
        CHECK_INT(net.v[3]->settings.version, 2);
        CHECK_INT(net.v[1]->settings.version, 3);
        net.part[3] = 0;
        net_membership(&net);
        for (uint32_t id = 1; id <= N; id++) {
                CHECK(net.v[id]->synced);
                CHECK_INT(net.v[id]->settings.version, 3);
                CHECK_STR(net.v[id]->settings.intent, "storage");
                CHECK_INT(net.v[id]->settings.reserve, 10);
        }
        CHECK(net.last[3].type == VIEW_EVENT_SYNCED && net.last[3].changed);
        CHECK_CONTAINS(net.last[3].message, "node3 had intent 'compute', reserve 90%");
        CHECK(net.last[1].type == VIEW_EVENT_SYNCED && !net.last[1].changed);

        /* a tie of versions goes to the lowest node id */
        net.part[1] = 1;
        net_membership(&net);
        settings(&net, 1, CLUSTER_OP_SET, NULL, 5);
        settings(&net, 2, CLUSTER_OP_SET, NULL, 7);
        net.part[1] = 0;
        net_membership(&net);
        for (uint32_t id = 1; id <= N; id++)
                CHECK_INT(net.v[id]->settings.reserve, 5);
        net_done(&net);
}

TEST(until_synced_changes_are_refused) {
        Net net;
        net_init(&net, (const unsigned[]){ 8, 8, 8 }, (const int[]){ 1, 1, 1 });
        uint32_t members[] = { 1, 2, 3 };
        char *sync;
        CHECK(cluster_view_membership(net.v[1], members, 3, 99, &sync) >= 0);
        free(sync);
        char *m;
        CHECK(cluster_msg_settings(1, CLUSTER_OP_ENABLE, "compute", 0, &m) >= 0);
        ViewEvent e;
        CHECK(cluster_view_deliver(net.v[1], 1, m, strlen(m), &e) >= 0);
        CHECK_INT(e.error, -AN_ERROR_BUSY);
        CHECK(!net.v[1]->settings.enabled);
        view_event_done(&e);
        free(m);
        /* malformed input is refused, alike everywhere */
        const char *bad[] = { "", "{", "[]", "{\"t\":\"settings\"}", "{\"t\":\"settings\",\"req\":1,\"op\":\"enable\","
                              "\"intent\":\"x\",\"reserve\":100}", "{\"t\":\"sync\",\"ring\":-1}",
                              "{\"t\":\"facts\",\"facts\":{\"vms\":[[1,2,3,4,5]]}}", "{\"t\":\"nope\"}" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CHECK_INT(cluster_view_deliver(net.v[2], 1, bad[i], strlen(bad[i]), &e), -EBADMSG);
                view_event_done(&e);
        }
        net_done(&net);
}

TEST(requests_and_replies_reach_their_node_only) {
        Net net;
        net_init(&net, (const unsigned[]){ 8, 8, 8 }, (const int[]){ 1, 1, 1 });
        char *m;
        CHECK(cluster_msg_request(42, 3, "EnableVM", "web1", "high", &m) >= 0);
        net_send(&net, 1, m);
        CHECK(net.last[3].type == VIEW_EVENT_REQUEST);
        CHECK_INT(net.last[3].req, 42);
        CHECK_STR(net.last[3].vm, "web1");
        CHECK_STR(net.last[3].method, "EnableVM");
        CHECK(net.last[2].type != VIEW_EVENT_REQUEST);
        CHECK(cluster_msg_reply(42, 1, "org.accelnet1.Error.NoSuchVM", "no", &m) >= 0);
        net_send(&net, 3, m);
        CHECK(net.last[1].type == VIEW_EVENT_REPLY);
        CHECK_STR(net.last[1].error_name, "org.accelnet1.Error.NoSuchVM");
        net_done(&net);
}

static void announce(Net *net, uint32_t id, unsigned capacity, unsigned free_, unsigned high, unsigned medium,
                     unsigned low) {
        NodeFacts f = { .ht = 1, .capacity = capacity, .free = free_ };
        f.free_tier[TIER_HIGH] = high;
        f.free_tier[TIER_MEDIUM] = medium;
        f.free_tier[TIER_LOW] = low;
        char name[32];
        snprintf(name, sizeof name, "node%" PRIu32, id);
        f.name = strdup(name);
        CHECK(cluster_view_set_own_facts(net->v[id], &f));
        char *m;
        CHECK(cluster_msg_facts(net->v[id], &m) >= 0);
        net_send(net, id, m);
}

static NodeFree node_free(Net *net, uint32_t seen_by, uint32_t id) {
        NodeFree nf;
        const ViewNode *n = cluster_view_node(net->v[seen_by], id);
        if (!n) {
                CHECK(n);
                return (NodeFree){};
        }
        cluster_view_node_free(net->v[seen_by], n, &nf);
        return nf;
}

/* ListNodeCapacity: each node's free VFs travel in its facts; every member sees the same
 * numbers; a node out of the membership has none. */
TEST(free_vfs_travel_in_the_facts) {
        Net net;
        net_init(&net, (const unsigned[]){ 8, 8, 8 }, (const int[]){ 1, 1, 1 });
        settings(&net, 1, CLUSTER_OP_ENABLE, "compute", 50);
        announce(&net, 1, 8, 8, 8, 8, 8);
        announce(&net, 2, 8, 5, 0, 5, 5); /* High needs rates that node 2's PFs cannot set */
        announce(&net, 3, 8, 3, 3, 3, 3);
        for (uint32_t seen_by = 1; seen_by <= N; seen_by++) {
                NodeFree a = node_free(&net, seen_by, 1), b = node_free(&net, seen_by, 2), c = node_free(&net, seen_by, 3);
                CHECK_INT(a.free, 8);
                CHECK_INT(b.free, 5);
                CHECK_INT(b.tier[TIER_HIGH], 0);
                CHECK_INT(b.tier[TIER_MEDIUM], 5);
                CHECK_INT(b.tier[TIER_LOW], 5);
                CHECK_INT(c.free, 3);
                CHECK_INT(c.tier[TIER_HIGH], 3);
        }
        /* a change of the free VFs alone is a change of the facts */
        NodeFacts f = { .ht = 1, .capacity = 8, .free = 3 };
        f.free_tier[TIER_HIGH] = f.free_tier[TIER_MEDIUM] = f.free_tier[TIER_LOW] = 3;
        f.name = strdup("node3");
        CHECK(!cluster_view_set_own_facts(net.v[3], &f));
        f = (NodeFacts){ .ht = 1, .capacity = 8, .free = 3 };
        f.free_tier[TIER_HIGH] = 2;
        f.free_tier[TIER_MEDIUM] = f.free_tier[TIER_LOW] = 3;
        f.name = strdup("node3");
        CHECK(cluster_view_set_own_facts(net.v[3], &f));
        /* node 3 cut off: 0 free for the others, its own numbers for itself */
        net.part[3] = 1;
        net_membership(&net);
        CHECK_INT(node_free(&net, 1, 3).free, 0);
        CHECK_INT(node_free(&net, 1, 3).tier[TIER_LOW], 0);
        CHECK_INT(node_free(&net, 3, 3).free, 3);
        CHECK_INT(node_free(&net, 3, 3).tier[TIER_HIGH], 2);
        CHECK_INT(node_free(&net, 1, 2).free, 5);
        net_done(&net);
}

/* The cluster's room for arrivals bounds a node's number: what the members' capacities less
 * what is assigned (claims included) leaves. */
TEST(free_vfs_bounded_by_the_cluster) {
        Net net;
        net_init(&net, (const unsigned[]){ 2, 2, 2 }, (const int[]){ 0, 0, 0 });
        settings(&net, 1, CLUSTER_OP_ENABLE, "compute", 0);
        /* node 1 says 5 free (more than the cluster can have: 6 capacity, 2 assigned) */
        set_facts(&net, 2, 0, 2, 2);
        char *m;
        CHECK(cluster_msg_facts(net.v[2], &m) >= 0);
        net_send(&net, 2, m);
        announce(&net, 1, 2, 5, 5, 5, 5);
        CHECK_INT(node_free(&net, 3, 1).free, 4);
        CHECK_INT(node_free(&net, 3, 1).tier[TIER_HIGH], 4);
        uint64_t seq;
        CHECK(cluster_msg_claim(net.v[3], "vm-new", &seq, &m) >= 0);
        net_send(&net, 3, m);
        CHECK_INT(node_free(&net, 2, 1).free, 3);
        net_done(&net);
}

/* Facts of a node older than ListNodeCapacity (no "free"): 0 free; a malformed one is refused. */
TEST(free_vfs_of_older_and_bad_facts) {
        Net net;
        net_init(&net, (const unsigned[]){ 8, 8, 8 }, (const int[]){ 1, 1, 1 });
        announce(&net, 2, 8, 6, 6, 6, 6);
        const char *old = "{\"t\":\"facts\",\"facts\":{\"name\":\"node2\",\"ht\":1,\"kernel\":\"6.1\",\"libvirt\":\"9.0.0\","
                          "\"tiers\":\"t\",\"capacity\":8,\"note\":\"\",\"claim_seq\":0,\"vms\":[]}}";
        ViewEvent e;
        CHECK_INT(cluster_view_deliver(net.v[1], 2, old, strlen(old), &e), 0);
        view_event_done(&e);
        CHECK_INT(node_free(&net, 1, 2).free, 0);
        CHECK_INT(node_free(&net, 1, 2).tier[TIER_LOW], 0);
        const char *bad[] = {
                "{\"t\":\"facts\",\"facts\":{\"name\":\"n\",\"ht\":1,\"kernel\":\"\",\"libvirt\":\"\",\"tiers\":\"\","
                "\"capacity\":8,\"free\":3,\"note\":\"\",\"claim_seq\":0,\"vms\":[]}}",
                "{\"t\":\"facts\",\"facts\":{\"name\":\"n\",\"ht\":1,\"kernel\":\"\",\"libvirt\":\"\",\"tiers\":\"\","
                "\"capacity\":8,\"free\":3,\"free_tiers\":[1,2],\"note\":\"\",\"claim_seq\":0,\"vms\":[]}}",
                "{\"t\":\"facts\",\"facts\":{\"name\":\"n\",\"ht\":1,\"kernel\":\"\",\"libvirt\":\"\",\"tiers\":\"\","
                "\"capacity\":8,\"free\":-1,\"free_tiers\":[1,2,3],\"note\":\"\",\"claim_seq\":0,\"vms\":[]}}",
                "{\"t\":\"facts\",\"facts\":{\"name\":\"n\",\"ht\":1,\"kernel\":\"\",\"libvirt\":\"\",\"tiers\":\"\","
                "\"capacity\":8,\"free\":3,\"free_tiers\":[1,\"2\",3],\"note\":\"\",\"claim_seq\":0,\"vms\":[]}}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CHECK_INT(cluster_view_deliver(net.v[1], 2, bad[i], strlen(bad[i]), &e), -EBADMSG);
                view_event_done(&e);
        }
        net_done(&net);
}

TEST(facts_carry_the_health_summary) {
        Net net;
        net_init(&net, (const unsigned[]){ 8, 8, 8 }, (const int[]){ 1, 1, 1 });
        /* a node that reports none (as one from before health reporting): NULL on every node */
        CHECK(!cluster_view_node(net.v[2], 1)->facts.health);
        /* a change of health alone is news, and reaches every node */
        NodeFacts f = { .ht = 1, .capacity = 0 };
        f.name = strdup("node1");
        f.kernel = strdup("6.1");
        f.libvirt = strdup("9.0.0");
        f.tiers = strdup("t");
        f.note = strdup("");
        f.health = strdup("Failed: ens1f0 (LinkDown)");
        CHECK(cluster_view_set_own_facts(net.v[1], &f));
        char *m;
        CHECK(cluster_msg_facts(net.v[1], &m) >= 0);
        CHECK_CONTAINS(m, "\"health\":\"Failed: ens1f0 (LinkDown)\"");
        net_send(&net, 1, m);
        for (uint32_t id = 1; id <= N; id++)
                CHECK_STR(cluster_view_node(net.v[id], 1)->facts.health, "Failed: ens1f0 (LinkDown)");
        /* the same facts again: nothing to send */
        NodeFacts g = { .ht = 1 };
        g.name = strdup("node1");
        g.kernel = strdup("6.1");
        g.libvirt = strdup("9.0.0");
        g.tiers = strdup("t");
        g.note = strdup("");
        g.health = strdup("Failed: ens1f0 (LinkDown)");
        CHECK(!cluster_view_set_own_facts(net.v[1], &g));
        /* health must be a string when it is there */
        const char *bad = "{\"t\":\"facts\",\"facts\":{\"name\":\"n\",\"ht\":1,\"kernel\":\"6.1\",\"libvirt\":\"9\","
                          "\"tiers\":\"t\",\"capacity\":4,\"note\":\"\",\"claim_seq\":1,\"vms\":[],\"health\":5}}";
        ViewEvent e;
        CHECK_INT(cluster_view_deliver(net.v[2], 3, bad, strlen(bad), &e), -EBADMSG);
        view_event_done(&e);
        net_done(&net);
}

TEST(settings_text_round_trip) {
        ClusterSettings s = { .enabled = true, .intent = (char *) "compute", .reserve = 37, .version = 12,
                              .origin = 3 }, back = {};
        char *text = NULL;
        CHECK(cluster_settings_format(&s, &text) >= 0);
        CHECK(cluster_settings_parse(text, strlen(text), &back) >= 0);
        CHECK(cluster_settings_same(&s, &back));
        CHECK_INT(back.version, 12);
        CHECK_INT(back.origin, 3);
        cluster_settings_done(&back);
        free(text);
        const char *bad[] = { "", "{", "[]", "{\"enabled\":true,\"reserve\":100,\"version\":1,\"origin\":1}",
                              "{\"enabled\":1,\"reserve\":1,\"version\":1,\"origin\":1}" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                CHECK_INT(cluster_settings_parse(bad[i], strlen(bad[i]), &back), -EBADMSG);
                cluster_settings_done(&back);
        }
}

int main(void) {
        RUN(enable_on_one_is_in_force_on_all);
        RUN(hyperthreading_names_the_odd_node);
        RUN(claims_never_exceed_usable);
        RUN(a_lost_node_leaves_the_counts);
        RUN(a_merge_converges_on_the_highest_version);
        RUN(until_synced_changes_are_refused);
        RUN(requests_and_replies_reach_their_node_only);
        RUN(free_vfs_travel_in_the_facts);
        RUN(free_vfs_bounded_by_the_cluster);
        RUN(free_vfs_of_older_and_bad_facts);
        RUN(facts_carry_the_health_summary);
        RUN(settings_text_round_trip);
        return TEST_MAIN_END();
}
