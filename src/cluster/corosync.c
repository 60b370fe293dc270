/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* corosync from the sd-event loop: the CPG group "accelnet" (agreed-order multicast and
 * membership), votequorum (quorate or not) and cmap (the cluster's and the nodes' names).
 * See cluster.h for the contract.
 *
 * Connection: cmap is read, CPG and votequorum are opened, their fds go to the loop, and
 * the group is joined; any step failing undoes the others and the whole is tried again on
 * the back-off timer. A connection is lost when a library fd hangs up or a call answers
 * CS_ERR_LIBRARY / CS_ERR_BAD_HANDLE (corosync died): the queue is dropped,
 * connection(false) is called once, and the back-off starts again. The lost handles are
 * finalized only once their own fd has hung up too (or before the next attempt): finalize
 * sends a request and, when corosync is dying but has not closed that handle's socket
 * yet, libqb waits 2 s (QB_IPC_MAX_WAIT_MS) for an answer that never comes.
 *
 * Membership: libcpg announces a change of the group (confchg) and, separately, every
 * change of the totem ring (totem_confchg; CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF makes
 * it announce the current ring right after our own join). corosync sends the group change
 * caused by a totem change (reason NODEUP / NODEDOWN, and our own first join) BEFORE the
 * totem change that carries the new ring's number (exec/cpg.c: the downlist and joinlist
 * are applied in sync, notify_lib_totem_membership comes last in cpg_sync_activate). So
 * such a group change is held until the totem change arrives, and membership() is called
 * once, with the members and the ring they belong to. A process joining or leaving with no
 * totem change (JOIN, LEAVE, PROCDOWN) is told at once, with the current ring.
 *
 * Callbacks run from within cpg_dispatch / votequorum_dispatch. They may call cluster_send
 * and the getters, not cluster_free. */
#include <inttypes.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <corosync/cmap.h>
#include <corosync/corotypes.h>
#include <corosync/cpg.h>
#include <corosync/votequorum.h>

#include "cluster/cluster.h"
#include "shared/log.h"
#include "shared/macro.h"

#define RETRY_MIN_USEC (500ULL * 1000ULL)
#define RETRY_MAX_USEC (10ULL * 1000000ULL)
#define SEND_RETRY_USEC (20ULL * 1000ULL)
#define MESSAGE_MAX (1024U * 1024U)
/* Limits of the send queue (corosync answering TRY_AGAIN for so long means it is stuck). */
#define QUEUE_MAX_MESSAGES 65536U
#define QUEUE_MAX_BYTES (64U * 1024U * 1024U)
/* cmap's nodelist: more entries than corosync itself supports (PROCESSOR_COUNT_MAX 384). */
#define NODES_MAX 4096U

typedef struct QueuedMessage {
        struct QueuedMessage *next;
        size_t len;
        uint8_t data[];
} QueuedMessage;

/* One library connection (CPG or votequorum) and its fd's event source. */
typedef struct CsConn {
        uint64_t handle; /* cpg_handle_t, votequorum_handle_t */
        bool open;
        sd_event_source *source;
} CsConn;

typedef struct ClusterNode {
        uint32_t id;
        char *name; /* nodelist.node.N.name, else .ring0_addr; NULL when neither is set */
} ClusterNode;

struct Cluster {
        sd_event *event;
        ClusterCallbacks cb;

        CsConn cpg, vq;
        CsConn old_cpg, old_vq; /* lost, waiting for their fd to hang up before finalize */
        sd_event_source *connect_timer; /* the back-off */
        sd_event_source *send_timer;    /* retries the queue */
        sd_event_source *lost_defer;    /* a send saw the connection gone: drop it from the loop */
        uint64_t retry_usec;
        bool started, connected, quorate;
        bool failure_logged; /* the info line for this outage was written */

        /* From cmap, kept over disconnections. */
        uint32_t local_nodeid;
        char *name;
        ClusterNode *nodes; /* sorted by id, each once */
        uint32_t *node_ids; /* the same ids, for cluster_configured_nodes */
        size_t n_nodes;

        /* The group as of the last confchg (node ids, sorted, each once), the current ring,
         * and what membership() was last told. */
        uint32_t *members;
        size_t n_members;
        uint64_t ring;
        bool ring_known, membership_pending, joined;
        uint32_t *told;
        size_t n_told;
        uint64_t told_ring;
        bool told_any;

        QueuedMessage *queue_head, **queue_tail;
        size_t queue_n, queue_bytes;
};

static const struct cpg_name group_name = {
        .length = sizeof(CLUSTER_GROUP_NAME) - 1,
        .value = CLUSTER_GROUP_NAME,
};

static int errno_from_cs(cs_error_t e) {
        switch (e) {
        case CS_OK:
                return 0;
        case CS_ERR_LIBRARY:
        case CS_ERR_BAD_HANDLE:
                return -ENOTCONN;
        case CS_ERR_TRY_AGAIN:
        case CS_ERR_QUEUE_FULL:
                return -EAGAIN;
        case CS_ERR_NO_MEMORY:
                return -ENOMEM;
        case CS_ERR_ACCESS:
        case CS_ERR_SECURITY:
                return -EACCES;
        case CS_ERR_NOT_EXIST:
        case CS_ERR_NAME_NOT_FOUND:
                return -ENOENT;
        case CS_ERR_TOO_BIG:
                return -EMSGSIZE;
        case CS_ERR_TIMEOUT:
                return -ETIMEDOUT;
        case CS_ERR_INVALID_PARAM:
                return -EINVAL;
        default:
                return -EIO;
        }
}

static bool cs_connection_gone(cs_error_t e) {
        return e == CS_ERR_LIBRARY || e == CS_ERR_BAD_HANDLE;
}

static int cmp_u32(const void *a, const void *b) {
        uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
        return x < y ? -1 : x > y;
}

static int cmp_node(const void *a, const void *b) {
        return cmp_u32(&((const ClusterNode *) a)->id, &((const ClusterNode *) b)->id);
}

/* Sorts and removes repeated ids in place; returns the new count. */
static size_t sort_unique(uint32_t *ids, size_t n) {
        size_t k = 0;
        if (n == 0)
                return 0;
        qsort(ids, n, sizeof(uint32_t), cmp_u32);
        for (size_t i = 0; i < n; i++)
                if (k == 0 || ids[k - 1] != ids[i])
                        ids[k++] = ids[i];
        return k;
}

static void nodes_free(ClusterNode *nodes, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(nodes[i].name);
        free(nodes);
}

/* ---- cmap: the cluster's name and the nodelist, read once per connection ---- */

static char *cmap_string(cmap_handle_t h, const char *key) {
        char *s = NULL;
        if (cmap_get_string(h, key, &s) != CS_OK)
                return NULL;
        return s;
}

/* Reads totem.cluster_name and nodelist.node.N.{nodeid,name,ring0_addr} into the cache.
 * On failure the previous cache stays. */
static int read_cmap_from(Cluster *c, cmap_handle_t h, const char **ret_step, cs_error_t *ret_cs) {
        _cleanup_free_ unsigned *indexes = NULL;
        _cleanup_free_ char *name = NULL;
        cmap_iter_handle_t it;
        char key[CMAP_KEYNAME_MAXLEN + 1];
        size_t n_idx = 0, n = 0;
        ClusterNode *nodes = NULL;
        uint32_t *ids = NULL;
        cs_error_t e;

        name = cmap_string(h, "totem.cluster_name");

        /* The node sections' indexes (N of nodelist.node.N.nodeid); normally 0..n-1. */
        e = cmap_iter_init(h, "nodelist.node.", &it);
        if (e == CS_OK) {
                while (cmap_iter_next(h, it, key, NULL, NULL) == CS_OK) {
                        unsigned idx;
                        int end = 0;
                        if (sscanf(key, "nodelist.node.%u.nodeid%n", &idx, &end) != 1 || key[end] != '\0' ||
                            end == 0)
                                continue;
                        if (n_idx >= NODES_MAX)
                                break;
                        unsigned *t = reallocarray(indexes, n_idx + 1, sizeof(unsigned));
                        if (!t) {
                                (void) cmap_iter_finalize(h, it);
                                return -ENOMEM;
                        }
                        indexes = t;
                        indexes[n_idx++] = idx;
                }
                (void) cmap_iter_finalize(h, it);
        } else if (e != CS_ERR_NOT_EXIST && e != CS_ERR_NO_SECTIONS) {
                *ret_step = "cmap_iter_init";
                *ret_cs = e;
                return errno_from_cs(e);
        }

        if (n_idx > 0) {
                nodes = calloc(n_idx, sizeof(ClusterNode));
                ids = calloc(n_idx, sizeof(uint32_t));
                if (!nodes || !ids) {
                        free(nodes);
                        free(ids);
                        return -ENOMEM;
                }
        }
        for (size_t i = 0; i < n_idx; i++) {
                uint32_t id;
                snprintf(key, sizeof(key), "nodelist.node.%u.nodeid", indexes[i]);
                if (cmap_get_uint32(h, key, &id) != CS_OK || id == 0)
                        continue;
                snprintf(key, sizeof(key), "nodelist.node.%u.name", indexes[i]);
                nodes[n].name = cmap_string(h, key);
                if (!nodes[n].name) {
                        snprintf(key, sizeof(key), "nodelist.node.%u.ring0_addr", indexes[i]);
                        nodes[n].name = cmap_string(h, key);
                }
                nodes[n++].id = id;
        }
        if (n > 0)
                qsort(nodes, n, sizeof(ClusterNode), cmp_node);
        size_t k = 0; /* an id configured twice: the first section wins */
        for (size_t i = 0; i < n; i++) {
                if (k > 0 && nodes[k - 1].id == nodes[i].id) {
                        free(nodes[i].name);
                        continue;
                }
                nodes[k] = nodes[i];
                ids[k++] = nodes[i].id;
        }

        nodes_free(c->nodes, c->n_nodes);
        free(c->node_ids);
        c->nodes = nodes;
        c->node_ids = ids;
        c->n_nodes = k;
        free_and_replace(c->name, name);
        return 0;
}

static int read_cmap(Cluster *c, const char **ret_step, cs_error_t *ret_cs) {
        cmap_handle_t h;
        cs_error_t e;
        int r;

        e = cmap_initialize(&h);
        if (e != CS_OK) {
                *ret_step = "cmap_initialize";
                *ret_cs = e;
                return errno_from_cs(e);
        }
        r = read_cmap_from(c, h, ret_step, ret_cs);
        (void) cmap_finalize(h);
        return r;
}

/* ---- the send queue ---- */

static void queue_drop(Cluster *c) {
        if (c->queue_n > 0)
                log_debug("corosync: dropping %zu unsent message(s).", c->queue_n);
        while (c->queue_head) {
                QueuedMessage *m = c->queue_head;
                c->queue_head = m->next;
                free(m);
        }
        c->queue_tail = &c->queue_head;
        c->queue_n = c->queue_bytes = 0;
        c->send_timer = sd_event_source_disable_unref(c->send_timer);
}

static int queue_append(Cluster *c, const void *data, size_t len) {
        QueuedMessage *m;

        if (c->queue_n >= QUEUE_MAX_MESSAGES || c->queue_bytes + len > QUEUE_MAX_BYTES)
                return -ENOBUFS;
        m = malloc(sizeof(QueuedMessage) + len);
        if (!m)
                return -ENOMEM;
        m->next = NULL;
        m->len = len;
        if (len > 0)
                memcpy(m->data, data, len);
        *c->queue_tail = m;
        c->queue_tail = &m->next;
        c->queue_n++;
        c->queue_bytes += len;
        return 0;
}

static cs_error_t mcast(Cluster *c, const void *data, size_t len) {
        struct iovec iov = { .iov_base = (void *) data, .iov_len = len };
        return cpg_mcast_joined(c->cpg.handle, CPG_TYPE_AGREED, &iov, 1);
}

static void connection_lost(Cluster *c, const char *why);

static int on_lost_defer(sd_event_source *s, void *userdata) {
        Cluster *c = userdata;
        c->lost_defer = sd_event_source_disable_unref(c->lost_defer);
        connection_lost(c, "a send found the CPG connection gone");
        return 0;
}

/* A call outside the fd's callback found the connection gone: drop it from the loop, not
 * from under the caller (which may be inside one of our callbacks). */
static void schedule_lost(Cluster *c) {
        if (c->lost_defer)
                return;
        if (sd_event_add_defer(c->event, &c->lost_defer, on_lost_defer, c) < 0)
                return; /* the fd hangs up as well */
        (void) sd_event_source_set_description(c->lost_defer, "corosync-lost");
}

static int arm_send_timer(Cluster *c);

static int on_send_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Cluster *c = userdata;

        while (c->queue_head) {
                QueuedMessage *m = c->queue_head;
                cs_error_t e = mcast(c, m->data, m->len);
                if (e == CS_ERR_TRY_AGAIN) {
                        if (arm_send_timer(c) < 0)
                                schedule_lost(c); /* cannot retry: better a resync than a silent gap */
                        return 0;
                }
                if (e != CS_OK) {
                        /* A queued message cannot be handed back: losing one silently would break
                         * the agreed order the caller relies on, so the connection goes (the
                         * caller resynchronises on the next connection(true)). */
                        log_debug("corosync: cpg_mcast_joined of a queued message: %s.", cs_strerror(e));
                        schedule_lost(c);
                        return 0;
                }
                c->queue_head = m->next;
                if (!c->queue_head)
                        c->queue_tail = &c->queue_head;
                c->queue_n--;
                c->queue_bytes -= m->len;
                free(m);
        }
        return 0;
}

static int arm_send_timer(Cluster *c) {
        int r;

        if (c->send_timer) {
                r = sd_event_source_set_time_relative(c->send_timer, SEND_RETRY_USEC);
                if (r < 0)
                        return r;
                return sd_event_source_set_enabled(c->send_timer, SD_EVENT_ONESHOT);
        }
        r = sd_event_add_time_relative(c->event, &c->send_timer, CLOCK_MONOTONIC, SEND_RETRY_USEC,
                                       1000, on_send_timer, c);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(c->send_timer, "corosync-send-retry");
        return 0;
}

int cluster_send(Cluster *c, const void *data, size_t len) {
        cs_error_t e;
        int r;

        assert_return(c, -EINVAL);
        assert_return(data || len == 0, -EINVAL);
        if (len > MESSAGE_MAX)
                return -EMSGSIZE;
        if (!c->connected)
                return -ENOTCONN;
        if (c->queue_head) /* behind what waits already */
                return queue_append(c, data, len);

        e = mcast(c, data, len);
        if (e == CS_OK)
                return 0;
        if (e == CS_ERR_TRY_AGAIN) {
                log_debug("corosync: CPG busy (CS_ERR_TRY_AGAIN): queuing sends, retrying every %llu ms.",
                          SEND_RETRY_USEC / 1000ULL);
                r = queue_append(c, data, len);
                if (r < 0)
                        return r;
                r = arm_send_timer(c);
                if (r < 0) {
                        queue_drop(c);
                        return r;
                }
                return 0;
        }
        if (cs_connection_gone(e))
                schedule_lost(c);
        log_debug("corosync: cpg_mcast_joined: %s.", cs_strerror(e));
        return errno_from_cs(e);
}

/* ---- membership ---- */

static void tell_membership(Cluster *c) {
        uint32_t *t;

        if (!c->joined || !c->ring_known)
                return;
        c->membership_pending = false;
        if (c->told_any && c->told_ring == c->ring && c->n_told == c->n_members &&
            (c->n_members == 0 || memcmp(c->told, c->members, c->n_members * sizeof(uint32_t)) == 0))
                return;
        t = c->n_members > 0 ? malloc(c->n_members * sizeof(uint32_t)) : NULL;
        if (c->n_members > 0 && !t) {
                log_oom();
                return;
        }
        if (t)
                memcpy(t, c->members, c->n_members * sizeof(uint32_t));
        free(c->told);
        c->told = t;
        c->n_told = c->n_members;
        c->told_ring = c->ring;
        c->told_any = true;
        log_debug("corosync: group %s has %zu node(s), ring %" PRIu64 ".", CLUSTER_GROUP_NAME, c->n_told,
                  c->told_ring);
        if (c->cb.membership)
                c->cb.membership(c->cb.userdata, c->told, c->n_told, c->told_ring);
}

static Cluster *cpg_cluster(cpg_handle_t handle) {
        void *ctx = NULL;
        if (cpg_context_get(handle, &ctx) != CS_OK)
                return NULL;
        return ctx;
}

static void on_cpg_confchg(cpg_handle_t handle, const struct cpg_name *group,
                           const struct cpg_address *member_list, size_t member_list_entries,
                           const struct cpg_address *left_list, size_t left_list_entries,
                           const struct cpg_address *joined_list, size_t joined_list_entries) {
        Cluster *c = cpg_cluster(handle);
        bool with_totem = false;
        uint32_t *m = NULL;
        size_t n;

        if (!c || group->length != group_name.length ||
            memcmp(group->value, group_name.value, group_name.length) != 0)
                return;
        if (member_list_entries > 0) {
                m = calloc(member_list_entries, sizeof(uint32_t));
                if (!m) {
                        log_oom();
                        return;
                }
        }
        for (size_t i = 0; i < member_list_entries; i++)
                m[i] = member_list[i].nodeid;
        n = sort_unique(m, member_list_entries);
        free(c->members);
        c->members = m;
        c->n_members = n;

        for (size_t i = 0; i < left_list_entries; i++)
                if (left_list[i].reason == CPG_REASON_NODEDOWN)
                        with_totem = true;
        for (size_t i = 0; i < joined_list_entries; i++) {
                if (joined_list[i].reason == CPG_REASON_NODEUP)
                        with_totem = true;
                if (joined_list[i].nodeid == c->local_nodeid && joined_list[i].pid == (uint32_t) getpid())
                        c->joined = true;
        }
        /* Caused by a totem change: its ring arrives next (see the top of the file). */
        if (with_totem || !c->ring_known) {
                c->membership_pending = true;
                return;
        }
        tell_membership(c);
}

static void on_cpg_totem_confchg(cpg_handle_t handle, struct cpg_ring_id ring_id, uint32_t member_list_entries,
                                 const uint32_t *member_list) {
        Cluster *c = cpg_cluster(handle);

        if (!c)
                return;
        log_debug("corosync: totem ring %" PRIu64 " (representative %" PRIu32 ") with %" PRIu32 " node(s).",
                  (uint64_t) ring_id.seq, ring_id.nodeid, member_list_entries);
        c->ring = ring_id.seq;
        c->ring_known = true;
        if (c->membership_pending)
                tell_membership(c);
}

static void on_cpg_deliver(cpg_handle_t handle, const struct cpg_name *group, uint32_t nodeid, uint32_t pid,
                           void *msg, size_t msg_len) {
        Cluster *c = cpg_cluster(handle);

        if (!c || group->length != group_name.length ||
            memcmp(group->value, group_name.value, group_name.length) != 0)
                return;
        if (c->cb.message)
                c->cb.message(c->cb.userdata, nodeid, msg, msg_len);
}

/* ---- quorum ---- */

static void set_quorate(Cluster *c, bool quorate, bool always) {
        if (c->quorate == quorate && !always)
                return;
        c->quorate = quorate;
        log_debug("corosync: %s.", quorate ? "quorate" : "not quorate");
        if (c->cb.quorum)
                c->cb.quorum(c->cb.userdata, quorate);
}

static void on_vq_quorum(votequorum_handle_t handle, uint64_t context, uint32_t quorate,
                         uint32_t node_list_entries, votequorum_node_t node_list[]) {
        void *ctx = NULL;

        if (votequorum_context_get(handle, &ctx) != CS_OK || !ctx)
                return;
        if (!((Cluster *) ctx)->connected)
                return; /* the notification ahead of connection(true): getinfo covers it */
        set_quorate(ctx, quorate != 0, false);
}

/* ---- connection ---- */

static void csconn_close(CsConn *k, cs_error_t (*finalize)(uint64_t)) {
        /* The source first: finalize closes the fd. */
        k->source = sd_event_source_disable_unref(k->source);
        if (k->open)
                (void) finalize(k->handle);
        k->open = false;
}

/* Keeps a lost connection's handle until its fd hangs up (events 0: epoll still reports
 * EPOLLHUP and EPOLLERR), then closes it (on_cpg_io, on_vq_io). */
static void csconn_retire(CsConn *k, CsConn *old, cs_error_t (*finalize)(uint64_t)) {
        csconn_close(old, finalize);
        *old = *k;
        *k = (CsConn) {};
        if (!old->open || !old->source || sd_event_source_set_io_events(old->source, 0) < 0)
                csconn_close(old, finalize);
}

static void close_retired(Cluster *c) {
        csconn_close(&c->old_cpg, cpg_finalize);
        csconn_close(&c->old_vq, votequorum_finalize);
}

static void reset_state(Cluster *c) {
        c->lost_defer = sd_event_source_disable_unref(c->lost_defer);
        queue_drop(c);
        c->connected = c->joined = c->ring_known = c->membership_pending = c->told_any = false;
        c->members = mfree(c->members);
        c->told = mfree(c->told);
        c->n_members = c->n_told = 0;
}

/* Now: at a failed attempt and in cluster_free. */
static void disconnect(Cluster *c) {
        reset_state(c);
        csconn_close(&c->cpg, cpg_finalize);
        csconn_close(&c->vq, votequorum_finalize);
        close_retired(c);
}

static void arm_connect_timer(Cluster *c);

static void connection_lost(Cluster *c, const char *why) {
        bool was_quorate = c->quorate;

        if (!c->connected)
                return;
        log_debug("corosync: connection lost (%s).", why);
        reset_state(c);
        csconn_retire(&c->cpg, &c->old_cpg, cpg_finalize);
        csconn_retire(&c->vq, &c->old_vq, votequorum_finalize);
        c->quorate = false;
        c->failure_logged = false; /* the first failed reconnect of this outage says so once */
        c->retry_usec = RETRY_MIN_USEC;
        arm_connect_timer(c);
        if (was_quorate && c->cb.quorum)
                c->cb.quorum(c->cb.userdata, false);
        if (c->cb.connection)
                c->cb.connection(c->cb.userdata, false);
}

static int on_cpg_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Cluster *c = userdata;
        cs_error_t e;

        if (s == c->old_cpg.source) { /* hung up at last */
                csconn_close(&c->old_cpg, cpg_finalize);
                return 0;
        }
        if (revents & (EPOLLHUP | EPOLLERR)) {
                connection_lost(c, "the CPG connection hung up");
                return 0;
        }
        e = cpg_dispatch(c->cpg.handle, CS_DISPATCH_ALL);
        if (cs_connection_gone(e))
                connection_lost(c, cs_strerror(e));
        else if (e != CS_OK && e != CS_ERR_TRY_AGAIN)
                log_debug("corosync: cpg_dispatch: %s.", cs_strerror(e));
        return 0;
}

static int on_vq_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Cluster *c = userdata;
        cs_error_t e;

        if (s == c->old_vq.source) {
                csconn_close(&c->old_vq, votequorum_finalize);
                return 0;
        }
        if (revents & (EPOLLHUP | EPOLLERR)) {
                connection_lost(c, "the votequorum connection hung up");
                return 0;
        }
        e = votequorum_dispatch(c->vq.handle, CS_DISPATCH_ALL);
        if (cs_connection_gone(e))
                connection_lost(c, cs_strerror(e));
        else if (e != CS_OK && e != CS_ERR_TRY_AGAIN)
                log_debug("corosync: votequorum_dispatch: %s.", cs_strerror(e));
        return 0;
}

/* One attempt, all or nothing: no callback is called before it has fully succeeded. */
static int try_connect(Cluster *c) {
        cpg_model_v1_data_t model = {
                .model = CPG_MODEL_V1,
                .cpg_deliver_fn = on_cpg_deliver,
                .cpg_confchg_fn = on_cpg_confchg,
                .cpg_totem_confchg_fn = on_cpg_totem_confchg,
                .flags = CPG_MODEL_V1_DELIVER_INITIAL_TOTEM_CONF,
        };
        votequorum_callbacks_t vq_callbacks = { .votequorum_quorum_notify_fn = on_vq_quorum };
        struct votequorum_info info = {};
        const char *step = "?";
        cs_error_t e = CS_OK;
        unsigned nodeid = 0;
        int fd, r;

        close_retired(c); /* the old group member leaves before the new one joins */
        step = "reading cmap";
        r = read_cmap(c, &step, &e);
        if (r < 0)
                goto fail;

#define CS_STEP(call)                        \
        do {                                 \
                e = (call);                  \
                if (e != CS_OK) {            \
                        step = #call;        \
                        r = errno_from_cs(e); \
                        goto fail;           \
                }                            \
        } while (0)
        CS_STEP(cpg_model_initialize(&c->cpg.handle, CPG_MODEL_V1, (cpg_model_data_t *) &model, c));
        c->cpg.open = true;
        CS_STEP(cpg_local_get(c->cpg.handle, &nodeid));
        CS_STEP(votequorum_initialize(&c->vq.handle, &vq_callbacks));
        c->vq.open = true;
        CS_STEP(votequorum_context_set(c->vq.handle, c));
        /* Tracking first: a change after getinfo is then notified, none is missed. */
        CS_STEP(votequorum_trackstart(c->vq.handle, 0, CS_TRACK_CHANGES));
        CS_STEP(votequorum_getinfo(c->vq.handle, nodeid, &info));
        CS_STEP(cpg_fd_get(c->cpg.handle, &fd));
        r = sd_event_add_io(c->event, &c->cpg.source, fd, EPOLLIN, on_cpg_io, c);
        if (r < 0) {
                step = "sd_event_add_io";
                goto fail;
        }
        (void) sd_event_source_set_description(c->cpg.source, "corosync-cpg");
        CS_STEP(votequorum_fd_get(c->vq.handle, &fd));
        r = sd_event_add_io(c->event, &c->vq.source, fd, EPOLLIN, on_vq_io, c);
        if (r < 0) {
                step = "sd_event_add_io";
                goto fail;
        }
        (void) sd_event_source_set_description(c->vq.source, "corosync-votequorum");
        CS_STEP(cpg_join(c->cpg.handle, &group_name));
#undef CS_STEP

        c->local_nodeid = nodeid;
        c->connected = true;
        c->failure_logged = false;
        c->retry_usec = RETRY_MIN_USEC;
        log_debug("corosync: connected as node %u of cluster \"%s\", joined group %s.", nodeid, strempty(c->name),
                  CLUSTER_GROUP_NAME);
        if (c->cb.connection)
                c->cb.connection(c->cb.userdata, true);
        /* Then the quorum as getinfo found it, always; the membership comes from the group. */
        set_quorate(c, (info.flags & VOTEQUORUM_INFO_QUORATE) != 0, true);
        return 0;

fail:
        disconnect(c);
        if (!c->failure_logged) {
                log_info("Cannot connect to corosync (%s: %s); running as a cluster of one, retrying in the "
                         "background.", step, e != CS_OK ? cs_strerror(e) : strerror(-r));
                c->failure_logged = true;
        } else
                log_debug("corosync: connecting failed again (%s: %s).", step,
                          e != CS_OK ? cs_strerror(e) : strerror(-r));
        return r < 0 ? r : -EIO;
}

static int on_connect_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Cluster *c = userdata;

        if (try_connect(c) >= 0) {
                c->connect_timer = sd_event_source_disable_unref(c->connect_timer);
                return 0;
        }
        c->retry_usec = c->retry_usec * 2 > RETRY_MAX_USEC ? RETRY_MAX_USEC : c->retry_usec * 2;
        arm_connect_timer(c);
        return 0;
}

static void arm_connect_timer(Cluster *c) {
        int r;

        if (c->connect_timer) {
                r = sd_event_source_set_time_relative(c->connect_timer, c->retry_usec);
                if (r >= 0)
                        r = sd_event_source_set_enabled(c->connect_timer, SD_EVENT_ONESHOT);
        } else {
                r = sd_event_add_time_relative(c->event, &c->connect_timer, CLOCK_MONOTONIC, c->retry_usec,
                                               10 * 1000, on_connect_timer, c);
                if (r >= 0)
                        (void) sd_event_source_set_description(c->connect_timer, "corosync-connect");
        }
        if (r < 0)
                log_warning_errno(r, "Cannot arm the corosync reconnection timer: %m");
}

void cluster_start(Cluster *c) {
        if (!c || c->started)
                return;
        c->started = true;
        c->retry_usec = RETRY_MIN_USEC;
        if (try_connect(c) < 0)
                arm_connect_timer(c);
}

int cluster_new(sd_event *event, const ClusterCallbacks *cb, Cluster **ret) {
        Cluster *c;

        assert_return(event, -EINVAL);
        assert_return(ret, -EINVAL);
        c = calloc(1, sizeof(Cluster));
        if (!c)
                return -ENOMEM;
        c->event = sd_event_ref(event);
        if (cb)
                c->cb = *cb;
        c->queue_tail = &c->queue_head;
        c->retry_usec = RETRY_MIN_USEC;
        *ret = c;
        return 0;
}

Cluster *cluster_free(Cluster *c) {
        if (!c)
                return NULL;
        disconnect(c);
        c->connect_timer = sd_event_source_disable_unref(c->connect_timer);
        nodes_free(c->nodes, c->n_nodes);
        free(c->node_ids);
        free(c->name);
        sd_event_unref(c->event);
        free(c);
        return NULL;
}

bool cluster_connected(const Cluster *c) {
        return c && c->connected;
}

bool cluster_quorate(const Cluster *c) {
        return c && c->connected && c->quorate;
}

uint32_t cluster_local_nodeid(const Cluster *c) {
        return c ? c->local_nodeid : 0;
}

const char *cluster_name(const Cluster *c) {
        return c && c->connected && c->name ? c->name : "";
}

char *cluster_node_name(const Cluster *c, uint32_t nodeid) {
        const ClusterNode key = { .id = nodeid }, *n = NULL;
        char *s;

        if (c && c->n_nodes > 0)
                n = bsearch(&key, c->nodes, c->n_nodes, sizeof(ClusterNode), cmp_node);
        if (n && !isempty(n->name))
                return strdup(n->name);
        if (asprintf(&s, "node%" PRIu32, nodeid) < 0)
                return NULL;
        return s;
}

const uint32_t *cluster_configured_nodes(const Cluster *c, size_t *ret_n) {
        if (ret_n)
                *ret_n = c ? c->n_nodes : 0;
        return c ? c->node_ids : NULL;
}
