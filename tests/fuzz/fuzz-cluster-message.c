/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Messages from the other nodes of a corosync cluster (src/cluster/view.c): the JSON that
 * every member applies in agreed order. A malformed one must be refused alike everywhere
 * (-EBADMSG), never crash or leak. The first byte picks the sender (node 1, 2 or 3); the
 * view is three synced members with facts, management enabled, so that every kind of
 * message reaches its judgement. A node's free VFs (ListNodeCapacity) never show a tier with
 * more than the node's free ones. */
#include <errno.h>
#include <string.h>

#include "cluster/view.h"
#include "fuzzlib.h"
#include "policy/admission.h"

static void feed(ClusterView *v, uint32_t from, const char *text) {
        ViewEvent e;
        (void) cluster_view_deliver(v, from, text, strlen(text), &e);
        view_event_done(&e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        ClusterView *v = NULL;
        uint32_t members[] = { 1, 2, 3 };
        char *sync = NULL;

        if (size < 1 || cluster_view_new(1, reserve_usable, &v) < 0)
                return 0;
        NodeFacts f = { .ht = 0, .capacity = 8 };
        f.name = strdup("node1");
        (void) cluster_view_set_own_facts(v, &f);
        if (cluster_view_membership(v, members, 3, 7, &sync) >= 0) {
                feed(v, 1, sync);
                /* the others' SYNC, as node 1 would see it (the same ring tag) */
                for (uint32_t n = 2; n <= 3; n++) {
                        char msg[768];
                        snprintf(msg, sizeof msg,
                                 "{\"t\":\"sync\",\"ring\":%llu,\"settings\":{\"enabled\":true,\"intent\":\"compute\","
                                 "\"reserve\":50,\"version\":3,\"origin\":2},\"facts\":{\"name\":\"node%u\",\"ht\":0,"
                                 "\"kernel\":\"6.1\",\"libvirt\":\"9.0.0\",\"tiers\":\"t\",\"capacity\":8,%s\"note\":\"\","
                                 "\"claim_seq\":0,\"vms\":[[\"web%u\",\"enabled\",\"Low\",\"0000:01:10.0\",\"\"]]}}",
                                 (unsigned long long) v->ring, n,
                                 /* node 3 predates ListNodeCapacity: no free VFs in its facts */
                                 n == 2 ? "\"free\":7,\"free_tiers\":[7,7,0]," : "", n);
                        feed(v, n, msg);
                }
        }
        free(sync);
        ViewEvent e;
        (void) cluster_view_deliver(v, 1 + data[0] % 3, data + 1, size - 1, &e);
        view_event_done(&e);
        /* and its counts and the next messages still work on whatever it left */
        ClusterCounts c;
        cluster_view_counts(v, &c);
        for (size_t i = 0; i < v->n_nodes; i++) {
                NodeFree nf;
                cluster_view_node_free(v, &v->nodes[i], &nf);
                if (nf.tier[TIER_HIGH] > nf.free)
                        __builtin_trap();
        }
        char *m = NULL;
        if (cluster_msg_facts(v, &m) >= 0)
                feed(v, 1, m);
        free(m);
        cluster_view_free(v);
        return 0;
}
