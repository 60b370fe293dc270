/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* corosync from the sd-event loop (DESIGN §1: the only place for libcpg, libvotequorum and
 * libcmap). accelnetd joins the CPG group "accelnet": agreed-order multicast and membership
 * come from CPG, quorum from votequorum, the cluster's and the nodes' names from cmap. No
 * membership, election or consensus code of our own.
 *
 * The libraries' fds are watched by the loop; nothing blocks. When corosync is not running
 * (or goes away: EPOLLHUP, CS_ERR_LIBRARY) the connection is dropped and tried again on a
 * timer with back-off (0.5 s doubling to 10 s); a send that gets CS_ERR_TRY_AGAIN is queued
 * and retried, in order. Without corosync the callbacks are simply never called with
 * connected = true: the daemon is a cluster of one. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#define CLUSTER_GROUP_NAME "accelnet"

typedef struct Cluster Cluster;

typedef struct ClusterCallbacks {
        /* Connected to corosync and joined the group (true), or lost it (false: every later
         * call until the next true fails with -ENOTCONN; reconnection is automatic). A loss
         * while quorate is preceded by quorum(false); no empty membership is told. */
        void (*connection)(void *userdata, bool connected);
        /* The group's members changed (or are known for the first time after joining):
         * their node ids, sorted ascending, each once (a second process of one node is
         * ignored). `ring` is the same number on every member for one membership (the
         * totem ring's sequence), and grows with every change of the totem ring. A process
         * leaving or joining while corosync keeps its ring (accelnetd restarted on a node)
         * changes the members but not `ring`: (ring, members) identifies a membership. */
        void (*membership)(void *userdata, const uint32_t *members, size_t n, uint64_t ring);
        /* A message multicast by a member, in agreed order; our own are delivered too. */
        void (*message)(void *userdata, uint32_t from, const void *data, size_t len);
        /* votequorum says this node is (or is no longer) in the quorate partition. */
        void (*quorum)(void *userdata, bool quorate);
        void *userdata;
} ClusterCallbacks;

int cluster_new(sd_event *event, const ClusterCallbacks *cb, Cluster **ret);
Cluster *cluster_free(Cluster *c);
static inline void cluster_freep(Cluster **c) {
        if (*c)
                *c = cluster_free(*c);
}

/* Tries to connect now; when corosync does not answer, again on the back-off timer. */
void cluster_start(Cluster *c);

bool cluster_connected(const Cluster *c);
bool cluster_quorate(const Cluster *c);
/* 0 until connected. */
uint32_t cluster_local_nodeid(const Cluster *c);
/* totem.cluster_name from cmap, "" when not connected or not set. Borrowed. */
const char *cluster_name(const Cluster *c);
/* The node's name from cmap's nodelist (name, else ring0_addr), else "node<id>". Newly
 * allocated; NULL only on ENOMEM. Works from the cached nodelist when disconnected. */
char *cluster_node_name(const Cluster *c, uint32_t nodeid);
/* The node ids of cmap's nodelist (every configured node, members or not), sorted; borrowed,
 * valid until the next callback. */
const uint32_t *cluster_configured_nodes(const Cluster *c, size_t *ret_n);

/* Multicasts data to the group in agreed order (CPG_TYPE_AGREED). Queued and retried when
 * corosync answers CS_ERR_TRY_AGAIN; -ENOTCONN when not connected; -EMSGSIZE above 1 MiB;
 * -ENOBUFS when the queue is full (65536 messages or 64 MiB). The callbacks may call it;
 * they must not call cluster_free. */
int cluster_send(Cluster *c, const void *data, size_t len);
