/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* This host as a node of a corosync cluster (DESIGN §2 "Cluster"): the Manager's face in
 * the cluster. It owns the corosync connection (src/cluster/cluster.h) and the replicated
 * view (src/cluster/view.h), turns the bus methods that change settings into SETTINGS
 * messages, new VF admissions into CLAIMs, and VM methods for a domain of another node into
 * requests to that node; it announces this node's facts and applies the cluster's settings
 * here (each node provisions its own VFs).
 *
 * Cluster mode starts when corosync first answers (or at start, when this node was in a
 * cluster before: STATE/cluster.json). Without corosync the host is a cluster of one and
 * nothing here changes what the Manager does. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "cluster/view.h"
#include "manager.h"

#define CLUSTER_FACTS_INTERVAL_USEC (30ULL * 1000ULL)

typedef struct Cluster Cluster;
typedef struct ClusterPending ClusterPending;
typedef struct Pacemaker Pacemaker;

typedef struct ClusterNode {
        Manager *manager;
        Cluster *cluster;
        ClusterView *view;          /* the replicated settings and every node's facts */
        bool active;                /* cluster mode */
        bool connected, quorate;
        uint64_t next_req;
        ClusterPending *pending;    /* our settings changes, claims and forwarded requests */
        uint64_t claims_done;       /* our claims delivered so far (their outcome is in our facts) */
        bool apply_wanted;          /* the cluster's settings are not yet in force here */
        char *apply_error;          /* why they could not be put in force here */
        bool facts_wanted;          /* our facts may have changed */
        uint64_t facts_sent_usec;   /* when they went out last (CLOCK_MONOTONIC) */
        sd_event_source *facts_timer;
        bool serving_request;       /* a method forwarded to us runs: never forwarded again */
        NoteList notes;             /* GetPrerequisites' cluster rows */
        Pacemaker *pacemaker;       /* this node's free VFs as Pacemaker's utilization attribute */
        int pacemaker_told;         /* the PacemakerState last logged, -1 none */
        char *settings_path;        /* STATE/cluster.json */
} ClusterNode;

int cluster_node_new(Manager *m, ClusterNode **ret);
ClusterNode *cluster_node_free(ClusterNode *cn);
/* Loads STATE/cluster.json and starts connecting to corosync. */
int cluster_node_start(ClusterNode *cn);

/* Cluster mode (corosync answered once, or this node was in a cluster before). */
bool manager_clustered(const Manager *m);
/* In cluster mode: 0 when settings and new admissions may change; else -AN_ERROR_NO_QUORUM or
 * -AN_ERROR_BUSY (synchronising) in st. */
int cluster_node_check_quorum(ClusterNode *cn, AnStatus *st);

/* Enable / Set / Disable in cluster mode: multicast, judged in agreed order, put in force
 * on every node; c is told once it is in force here (or refused). */
void cluster_node_settings(ClusterNode *cn, ClusterOp op, const char *intent, uint32_t reserve, Completion c);
/* A new VF for vm on this node: claimed cluster-wide first. `then` runs once the claim is
 * accepted (with c), or c is told why not. */
typedef void (*ClaimedFn)(Manager *m, const char *vm, Tier tier, Completion c);
void cluster_node_claim(ClusterNode *cn, const char *vm, Tier tier, ClaimedFn then, Completion c);
/* The node whose facts list domain `vm`, 0 when none (or only this one). */
uint32_t cluster_node_holder(ClusterNode *cn, const char *vm);
/* True when another member's facts list domain `vm` with a VF: the VM runs there now (a
 * definition of it here, stopped, is a leftover of a failover or a migration). */
bool cluster_node_vf_elsewhere(ClusterNode *cn, const char *vm);
/* A VM method forwarded to node `to`; c gets its answer. */
void cluster_node_forward(ClusterNode *cn, uint32_t to, const char *method, const char *vm, const char *performance,
                          Completion c);

/* Counts of DESIGN §2 over the cluster. False when not in cluster mode. */
bool cluster_node_counts(const ClusterNode *cn, ClusterCounts *ret);
const char *cluster_node_name_of_cluster(const ClusterNode *cn);
unsigned cluster_node_members(const ClusterNode *cn);
bool cluster_node_quorate(const ClusterNode *cn);

/* Once per loop iteration (the Manager's post handler): settings put in force here when they
 * changed, our facts announced when they changed. */
void cluster_node_post(ClusterNode *cn);
void cluster_node_foreach_note(ClusterNode *cn, NoteVisitor f, void *userdata);

/* ListNodes rows: node id, name, member, hyperthreading, capacity, usable share, assigned,
 * note; and (ListNodeHealth) the node's adapters' health summary, "" when it reports none. */
typedef struct NodeRow {
        uint32_t id;
        char *name;
        bool member, ht;
        unsigned capacity, usable, assigned;
        char *note;
        char *health;
} NodeRow;
int cluster_node_rows(ClusterNode *cn, NodeRow **ret, size_t *ret_n);
void node_rows_free(NodeRow *rows, size_t n);
/* This node's VFs as Pacemaker's utilization attribute (cluster-capacity.c): set up with the
 * ClusterNode; cluster_pacemaker_update (the post handler, and when our facts change) keeps it
 * equal to the free column of this node's ListNodeCapacity row plus the VFs of the VMs running
 * here (pacemaker_utilization "capacity", the default), or the free column ("free"), in
 * cluster mode. */
int cluster_pacemaker_new(ClusterNode *cn);
void cluster_pacemaker_update(ClusterNode *cn);

/* ListNodeCapacity rows (cluster-capacity.c), as ListNodes' (node id, name): the VFs a VM arriving on the node
 * could get now, and of those the ones on adapters that can serve each tier (Tier order).
 * Each node announces its own numbers in its facts (bounded here by the cluster's room for
 * arrivals); a node out of the membership has 0. Without corosync one row, node id 0. */
typedef struct CapacityRow {
        uint32_t id;
        char *name;
        unsigned free;
        unsigned tier[_TIER_MAX];
} CapacityRow;
int cluster_node_capacity_rows(ClusterNode *cn, CapacityRow **ret, size_t *ret_n);
void capacity_rows_free(CapacityRow *rows, size_t n);
/* The free column of this node's row (what Pacemaker's accelnet-vfs follows). */
int cluster_node_own_free(ClusterNode *cn, unsigned *ret);
/* Every VM of the other nodes (their facts), for ListVMs / ListClusterVMs: the members', and
 * those of a node out of the membership that no member has, noted "lost with node N". */
typedef void (*RemoteVmVisitor)(const char *node, const ClusterVm *vm, void *userdata);
void cluster_node_foreach_remote_vm(ClusterNode *cn, RemoteVmVisitor f, void *userdata);
/* A node's name as the rows show it: from its facts, else from cmap. Newly allocated. */
char *cluster_node_view_name(const ClusterNode *cn, const ViewNode *node);
/* This node's name in the cluster (cmap), or the host name. Newly allocated. */
char *cluster_node_own_name(const ClusterNode *cn);
