/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The cluster as this node sees it: the replicated settings and every node's facts, kept
 * the same on every member by applying the same messages in the same (agreed) order. Pure:
 * no corosync, no I/O; the daemon feeds it what cluster.h delivers and sends what it
 * builds, so it is tested by feeding messages.
 *
 * Settings (management enabled, intent, reserve) change only through a SETTINGS message,
 * judged on delivery by every member alike (so two concurrent changes are decided in agreed
 * order), each change a new version. After every membership change each member sends a SYNC
 * with its settings and its facts; when every member's SYNC of that membership is in, the
 * highest version wins, a tie to the lowest node id (the pmxcfs rule), and the nodes that
 * held something else are reported as drift. Until then (`synced` false) changes and claims
 * are refused. Facts are owned by their node: it re-announces them (FACTS) when they change,
 * and the others keep them only in memory.
 *
 * Admission is cluster-wide: a node that wants to give a VM a new VF multicasts a CLAIM; on
 * delivery every member counts the assigned VFs (every member's announced VMs with a VF plus
 * its claims not yet reflected in its facts) against the usable VFs U, and accepts or refuses
 * it alike, so concurrent EnableVMs on several nodes never together exceed U. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/tier.h"

/* U for member capacities (the policy's reserve_usable, given by the daemon: decisions live
 * in src/policy). */
typedef unsigned (*ClusterUsableFn)(const unsigned *caps, size_t n, unsigned reserve, unsigned *ret_k);

typedef struct ClusterSettings {
        bool enabled;
        char *intent;            /* NULL when not enabled */
        unsigned reserve;
        uint64_t version;        /* 0: never changed in a cluster */
        uint32_t origin;         /* node id whose change this is */
} ClusterSettings;

void cluster_settings_done(ClusterSettings *s);
int cluster_settings_copy(ClusterSettings *dst, const ClusterSettings *src);
bool cluster_settings_same(const ClusterSettings *a, const ClusterSettings *b); /* values, not version */
/* The settings as JSON text, the shape a SYNC carries (a node keeps them in
 * STATE/cluster.json), and back: -EBADMSG for text that is not that. */
int cluster_settings_format(const ClusterSettings *s, char **ret);
int cluster_settings_parse(const char *text, size_t size, ClusterSettings *ret);

/* One of a node's domains, as its ListVMs row. */
typedef struct ClusterVm {
        char *name, *state, *performance, *vf, *note;
} ClusterVm;

typedef struct NodeFacts {
        char *name;              /* the node's name (cmap) */
        int ht;                  /* 1, 0, -1 unknown */
        char *kernel, *libvirt, *tiers; /* versions; a digest of the tier table */
        unsigned capacity;       /* VFs of its usable intent adapters */
        unsigned free;           /* VFs a VM arriving there could get now (policy's admission_free_vfs) */
        unsigned free_tier[_TIER_MAX]; /* of those, on adapters that can serve each tier (Tier order) */
        char *note;              /* what it could not do, "" when nothing */
        char *health;            /* its adapters' health summary ("Healthy", "Failed: ens1f0 (LinkDown)");
                                  * NULL from a node that does not report it */
        uint64_t claim_seq;      /* its claims up to this one are reflected in vms */
        ClusterVm *vms;          /* every domain, sorted by name */
        size_t n_vms;
} NodeFacts;

void node_facts_done(NodeFacts *f);
unsigned node_facts_assigned(const NodeFacts *f); /* VMs with a VF */
const ClusterVm *node_facts_find_vm(const NodeFacts *f, const char *name);

typedef enum ClusterOp {
        CLUSTER_OP_ENABLE,
        CLUSTER_OP_SET,
        CLUSTER_OP_DISABLE,
} ClusterOp;

#define CLUSTER_RESERVE_KEEP UINT32_MAX

typedef struct ViewNode {
        uint32_t id;
        bool member;
        bool has_facts;
        NodeFacts facts;
        struct ViewClaim {
                uint64_t seq;
                char *vm;
        } *claims;               /* accepted, not yet in its facts */
        size_t n_claims;
        /* sync of the current membership */
        bool synced;
        ClusterSettings sync_settings;
} ViewNode;

typedef struct ClusterView {
        uint32_t self;
        ClusterUsableFn usable_fn;
        ClusterSettings settings;
        uint64_t ring;           /* names the membership: corosync's ring and the members */
        bool synced;
        ViewNode *nodes;         /* every node seen, sorted by id */
        size_t n_nodes;
        size_t n_members;
        uint64_t next_claim_seq; /* of our own claims */
        NodeFacts own;           /* our facts as last set, not yet delivered perhaps */
        bool has_own;
} ClusterView;

int cluster_view_new(uint32_t self, ClusterUsableFn usable_fn, ClusterView **ret);
ClusterView *cluster_view_free(ClusterView *v);
static inline void cluster_view_freep(ClusterView **v) {
        if (*v)
                *v = cluster_view_free(*v);
}

/* The settings this node had (state.json) before joining. */
int cluster_view_load_settings(ClusterView *v, const ClusterSettings *s);
/* Our own facts as they are now (taken over), for the next FACTS or SYNC message. True when
 * they differ from what was last set. The view counts our facts as delivered, like every
 * other node's, so that every member decides on the same view; until the first delivery
 * (no corosync) it counts these. */
bool cluster_view_set_own_facts(ClusterView *v, NodeFacts *f);
ViewNode *cluster_view_node(ClusterView *v, uint32_t id);

/* A new membership: the members (sorted) and the ring. Starts the sync: *ret is the SYNC
 * message to multicast (malloc'd text). */
int cluster_view_membership(ClusterView *v, const uint32_t *members, size_t n, uint64_t ring, char **ret);

/* Counts over the members with facts: N, k, total capacity, U and assigned (claims
 * included). */
typedef struct ClusterCounts {
        unsigned n, k, capacity, usable, assigned;
} ClusterCounts;
void cluster_view_counts(const ClusterView *v, ClusterCounts *ret);

/* A node's free VFs as ListNodeCapacity gives them: what it announced (ours: as last set),
 * bounded by the cluster's room for arrivals (total capacity less assigned over the members:
 * arrivals may use the reserve); 0 for a node out of the membership or without facts. */
typedef struct NodeFree {
        unsigned free;
        unsigned tier[_TIER_MAX];  /* each <= free */
} NodeFree;
void cluster_view_node_free(const ClusterView *v, const ViewNode *n, NodeFree *ret);

/* Messages to multicast (malloc'd text, JSON). */
int cluster_msg_facts(const ClusterView *v, char **ret);
int cluster_msg_settings(uint64_t req, ClusterOp op, const char *intent, unsigned reserve, char **ret);
int cluster_msg_claim(ClusterView *v, const char *vm, uint64_t *ret_seq, char **ret);
int cluster_msg_request(uint64_t req, uint32_t to, const char *method, const char *vm, const char *performance,
                        char **ret);
int cluster_msg_reply(uint64_t req, uint32_t to, const char *error, const char *message, char **ret);

typedef enum ViewEventType {
        VIEW_EVENT_NONE,         /* nothing for the daemon (ignored, or for another node) */
        VIEW_EVENT_SETTINGS,     /* a SETTINGS message was judged: changed, no-op or refused */
        VIEW_EVENT_SYNCED,       /* every member's SYNC is in: settings may have changed */
        VIEW_EVENT_FACTS,        /* another node's facts changed */
        VIEW_EVENT_CLAIM,        /* a claim was judged (ours when `mine`) */
        VIEW_EVENT_REQUEST,      /* a VM method forwarded to us */
        VIEW_EVENT_REPLY,        /* the answer to a request of ours */
} ViewEventType;

typedef struct ViewEvent {
        ViewEventType type;
        uint32_t from;
        bool mine;               /* SETTINGS, CLAIM: sent by this node */
        uint64_t req, seq;
        int error;               /* SETTINGS, CLAIM: 0, or -AN_ERROR_* */
        bool changed;            /* SETTINGS, SYNCED: the settings changed */
        char message[768];       /* refusal, or the drift after a sync */
        char *method, *vm, *performance; /* REQUEST */
        char *error_name;        /* REPLY: "" = done */
        char *reply_message;     /* REPLY */
} ViewEvent;

void view_event_done(ViewEvent *e);

/* Applies one delivered message. -EBADMSG for a message that is not ours or malformed
 * (ignored by every member alike). */
int cluster_view_deliver(ClusterView *v, uint32_t from, const void *data, size_t len, ViewEvent *ret);
