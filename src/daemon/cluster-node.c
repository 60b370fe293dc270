/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* This host as a node of a corosync cluster (cluster-node.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "cluster-node.h"
#include "pf-health.h"
#include "cluster/cluster.h"
#include "cluster/pacemaker.h"
#include "operation.h"
#include "servicing.h"
#include "policy/admission.h"
#include "policy/tier.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/names.h"
#include "shared/strutil.h"
#include "vm.h"

typedef enum PendingKind {
        PENDING_SETTINGS,
        PENDING_CLAIM,
        PENDING_FORWARD,
} PendingKind;

struct ClusterPending {
        ClusterPending *next;
        PendingKind kind;
        uint64_t id;                /* request id, or claim sequence */
        uint32_t to;                /* PENDING_FORWARD: the node asked */
        char *vm;
        Tier tier;
        ClaimedFn then;
        Completion c;
};

static void pending_free(ClusterPending *p) {
        free(p->vm);
        free(p);
}

static ClusterPending *pending_take(ClusterNode *cn, PendingKind kind, uint64_t id) {
        for (ClusterPending **p = &cn->pending; *p; p = &(*p)->next)
                if ((*p)->kind == kind && (*p)->id == id) {
                        ClusterPending *found = *p;
                        *p = found->next;
                        return found;
                }
        return NULL;
}

static ClusterPending *pending_add(ClusterNode *cn, PendingKind kind, uint64_t id, const char *vm, Completion c) {
        ClusterPending *p = calloc(1, sizeof *p);
        if (!p || (vm && !(p->vm = strdup(vm)))) {
                free(p);
                return NULL;
        }
        p->kind = kind;
        p->id = id;
        p->c = c;
        p->next = cn->pending;
        cn->pending = p;
        return p;
}

/* Every pending call that `match` selects is told st. */
static void pending_fail_where(ClusterNode *cn, bool (*match)(const ClusterPending *p, const void *arg), const void *arg,
                               int r, const char *message) {
        ClusterPending **p = &cn->pending;
        while (*p) {
                ClusterPending *x = *p;
                if (!match || match(x, arg)) {
                        *p = x->next;
                        completion_fail(&x->c, r, "%s", message);
                        pending_free(x);
                } else
                        p = &x->next;
        }
}

/* ---- persistence: STATE/cluster.json ------------------------------------------------------ */

static int settings_save(ClusterNode *cn) {
        _cleanup_free_ char *text = NULL;
        if (cluster_settings_format(&cn->view->settings, &text) < 0)
                return log_oom();
        int r = write_file_atomic(cn->settings_path, text, strlen(text), 0600);
        if (r < 0)
                log_warning_errno(r, "Failed to write %s: %m", cn->settings_path);
        return r;
}

/* The settings in force on this host (the intent borrowed), version 0. */
static ClusterSettings local_settings(const Manager *m) {
        return (ClusterSettings){ .enabled = m->enabled, .intent = m->enabled ? m->intent : NULL,
                                  .reserve = m->reserve };
}

/* Settings as this node had them: STATE/cluster.json; else the local ones, version 0. */
static int settings_load(ClusterNode *cn, ClusterSettings *ret, bool *ret_found) {
        Manager *m = cn->manager;
        _cleanup_free_ char *text = NULL;
        size_t size;

        *ret_found = false;
        int r = read_full_file(cn->settings_path, 64 * 1024, &text, &size);
        if (r >= 0) {
                r = cluster_settings_parse(text, size, ret);
                if (r == -ENOMEM)
                        return log_oom();
                *ret_found = r >= 0;
                if (r < 0)
                        log_warning("%s is not valid; the cluster's settings are taken from the other nodes.",
                                    cn->settings_path);
                return 0;
        }
        if (r != -ENOENT)
                log_warning_errno(r, "Failed to read %s: %m", cn->settings_path);
        ClusterSettings here = local_settings(m);
        *ret = (ClusterSettings){};
        return cluster_settings_copy(ret, &here) < 0 ? log_oom() : 0;
}

/* ---- facts --------------------------------------------------------------------------------- */

char *cluster_node_own_name(const ClusterNode *cn) {
        if (cn && cn->cluster && cn->connected)
                return cluster_node_name(cn->cluster, cluster_local_nodeid(cn->cluster));
        char host[256] = "";
        if (gethostname(host, sizeof host - 1) < 0)
                strcpy(host, "localhost");
        return strdup(host);
}

/* A VM whose claim is not yet delivered: the VF it may already hold is not announced (it is
 * counted once its claim is judged, in agreed order, never before). */
static bool claim_in_flight(const ClusterNode *cn, const char *vm) {
        for (const ClusterPending *p = cn->pending; p; p = p->next)
                if (p->kind == PENDING_CLAIM && streq_ptr(p->vm, vm))
                        return true;
        return false;
}

static int build_facts(ClusterNode *cn, NodeFacts *f) {
        Manager *m = cn->manager;
        Vm **v = NULL;
        size_t n = 0;

        *f = (NodeFacts){ .ht = m->host ? m->host->smt_active : -1, .capacity = manager_capacity_vfs(m),
                          .claim_seq = cn->claims_done };
        f->name = cluster_node_own_name(cn);
        f->kernel = strdup(m->host && m->host->kernel_release ? m->host->kernel_release : "");
        f->libvirt = strdup(strempty(m->libvirt_version));
        f->tiers = tier_table_digest(&m->config->settings.tiers);
        f->note = strdup(strempty(cn->apply_error));
        f->health = manager_health_summary(m, NULL); /* its adapters' health, for cluster nodes */
        if (!f->name || !f->kernel || !f->libvirt || !f->tiers || !f->note || !f->health)
                return -ENOMEM;
        FreeVfs fv;
        int r = manager_free_vfs(m, &fv);
        if (r < 0)
                return r;
        f->free = fv.free;
        for (Tier k = 0; k < _TIER_MAX; k++)
                f->free_tier[k] = fv.tier[k];
        r = manager_sorted_vms(m, &v, &n);
        if (r < 0)
                return r;
        if (n > 0 && !(f->vms = calloc(n, sizeof(ClusterVm))))
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                VmRow row;
                if (!vm_row_fact(v[i], &row))
                        continue;
                ClusterVm *c = &f->vms[f->n_vms++];
                if (!(c->name = strdup(v[i]->name)) || !(c->state = strdup(row.state)) ||
                    !(c->performance = strdup(row.performance)) ||
                    !(c->vf = strdup(claim_in_flight(cn, v[i]->name) ? "" : row.vf)) ||
                    !(c->note = strdup(row.note)))
                        return -ENOMEM;
        }
        return 0;
}

static void send_text(ClusterNode *cn, char *text, const char *what) {
        if (!text)
                return;
        int r = cluster_send(cn->cluster, text, strlen(text));
        if (r < 0)
                log_debug_errno(r, "Cluster: failed to send %s: %m", what);
        free(text);
}

static void announce_facts(ClusterNode *cn) {
        NodeFacts f;
        if (!cn->view)
                return;
        cn->facts_wanted = false;
        if (build_facts(cn, &f) < 0) {
                node_facts_done(&f);
                log_oom();
                return;
        }
        if (!cluster_view_set_own_facts(cn->view, &f))
                return;
        if (cn->connected && cn->view->synced) {
                char *text = NULL;
                if (cluster_msg_facts(cn->view, &text) >= 0)
                        send_text(cn, text, "facts");
                (void) sd_event_now(cn->manager->event, CLOCK_MONOTONIC, &cn->facts_sent_usec);
        }
        /* our free VFs may have changed (the facts timer runs outside the post handler) */
        cluster_pacemaker_update(cn);
}

static int on_facts_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        ClusterNode *cn = userdata;
        if (cn->facts_wanted)
                announce_facts(cn);
        return 0;
}

/* Our facts go out at most every CLUSTER_FACTS_INTERVAL_USEC: a VM's enable or disable
 * changes them two or three times within a few milliseconds, and every member parses each
 * announcement. Admission does not wait for them (claims are counted until the facts that
 * reflect them arrive). */
static void announce_facts_soon(ClusterNode *cn) {
        uint64_t now = 0, due = cn->facts_sent_usec + CLUSTER_FACTS_INTERVAL_USEC;
        (void) sd_event_now(cn->manager->event, CLOCK_MONOTONIC, &now);
        if (cn->facts_sent_usec == 0 || now >= due)
                return announce_facts(cn);
        if (!cn->facts_timer) {
                if (sd_event_add_time(cn->manager->event, &cn->facts_timer, CLOCK_MONOTONIC, due, 1000, on_facts_timer,
                                      cn) < 0)
                        return announce_facts(cn);
                (void) sd_event_source_set_description(cn->facts_timer, "cluster-facts");
        } else {
                (void) sd_event_source_set_time(cn->facts_timer, due);
        }
        (void) sd_event_source_set_enabled(cn->facts_timer, SD_EVENT_ONESHOT);
}

/* The cluster's view changed (a message, the membership, quorum): the properties are
 * published again; our own facts are not changed by it. */
static void view_changed(ClusterNode *cn) {
        bool wanted = cn->facts_wanted;
        manager_dirty(cn->manager, DIRTY_PROPERTIES);
        cn->facts_wanted = wanted;
}

/* ---- the cluster's rows of GetPrerequisites --------------------------------------------- */

static void rebuild_notes(ClusterNode *cn) {
        ClusterView *v = cn->view;
        NoteList *l = &cn->notes;
        const char *kernel = NULL, *libvirt = NULL, *tiers = NULL;
        bool kernel_same = true, libvirt_same = true, tiers_same = true;
        ClusterCounts c;

        note_list_clear(l, "cluster-quorum");
        note_list_clear(l, "cluster-hyperthreading");
        note_list_clear(l, "cluster-versions");
        note_list_clear(l, "cluster-tiers");
        note_list_clear(l, "cluster-intent");
        if (!cn->active || !v)
                return;
        cluster_view_counts(v, &c);
        if (cn->quorate)
                note_list_add(l, "cluster-quorum", strempty(cluster_name(cn->cluster)), PREREQ_PASSED, 0,
                              "Quorate: %zu member node(s); %u node(s) held in reserve, %u of %u VFs usable.",
                              v->n_members, c.k, c.usable, c.capacity);
        else
                note_list_add(l, "cluster-quorum", strempty(cluster_name(cn->cluster)), PREREQ_FAILED,
                              AN_ERROR_NO_QUORUM, "%s %s", an_error_message(AN_ERROR_NO_QUORUM),
                              an_error_remedy(AN_ERROR_NO_QUORUM));
        StrBuf ht_on = {}, ht_off = {};
        for (size_t i = 0; i < v->n_nodes; i++) {
                const ViewNode *n = &v->nodes[i];
                if (!n->member || !n->has_facts)
                        continue;
                const NodeFacts *f = &n->facts;
                if (f->ht >= 0)
                        strbuf_appendf(f->ht ? &ht_on : &ht_off, "%s%s", (f->ht ? ht_on.len : ht_off.len) ? ", " : "",
                                       strempty(f->name));
                kernel_same = kernel_same && (!kernel || streq(kernel, strempty(f->kernel)));
                libvirt_same = libvirt_same && (!libvirt || streq(libvirt, strempty(f->libvirt)));
                tiers_same = tiers_same && (!tiers || streq(tiers, strempty(f->tiers)));
                kernel = strempty(f->kernel);
                libvirt = strempty(f->libvirt);
                tiers = strempty(f->tiers);
                /* the intent on each node: its usable adapters' VFs, or what it could not do */
                if (!isempty(f->note))
                        note_list_add(l, "cluster-intent", strempty(f->name), PREREQ_FAILED,
                                      AN_ERROR_ENABLE_ACCELNET_FAILED, "%s", f->note);
                else if (v->settings.enabled && f->capacity == 0)
                        note_list_add(l, "cluster-intent", strempty(f->name), PREREQ_FAILED,
                                      AN_ERROR_SRIOV_SUPPORT_UNKNOWN,
                                      "Intent '%s' has no usable adapter on %s: it adds no VF to the cluster. Check "
                                      "'accelnetctl prereq' and intents.d there.", strempty(v->settings.intent),
                                      strempty(f->name));
                else if (v->settings.enabled)
                        note_list_add(l, "cluster-intent", strempty(f->name), PREREQ_PASSED, 0,
                                      "Intent '%s': %u VFs on %s.", strempty(v->settings.intent), f->capacity,
                                      strempty(f->name));
        }
        if (ht_on.len && ht_off.len)
                note_list_add(l, "cluster-hyperthreading", "cluster", PREREQ_FAILED,
                              AN_ERROR_HYPERTHREADING_CHECK_FAILED, "%s Hyperthreading is on on %s and off on %s. %s",
                              an_error_message(AN_ERROR_HYPERTHREADING_CHECK_FAILED), ht_on.s, ht_off.s,
                              an_error_remedy(AN_ERROR_HYPERTHREADING_CHECK_FAILED));
        else
                note_list_add(l, "cluster-hyperthreading", "cluster", PREREQ_PASSED, 0,
                              "Hyperthreading is %s on every member node.", ht_on.len ? "on" : "off");
        strbuf_done(&ht_on);
        strbuf_done(&ht_off);
        StrBuf versions = {};
        for (size_t i = 0; i < v->n_nodes; i++)
                if (v->nodes[i].member && v->nodes[i].has_facts)
                        strbuf_appendf(&versions, "%s%s: kernel %s, libvirt %s", versions.len ? "; " : "",
                                       strempty(v->nodes[i].facts.name), strempty(v->nodes[i].facts.kernel),
                                       strempty(v->nodes[i].facts.libvirt));
        note_list_add(l, "cluster-versions", "cluster", kernel_same && libvirt_same ? PREREQ_PASSED : PREREQ_WARNING, 0,
                      "%s%s", kernel_same && libvirt_same ? "" : "Versions differ between nodes: ",
                      strempty(versions.s));
        strbuf_done(&versions);
        note_list_add(l, "cluster-tiers", "cluster", tiers_same ? PREREQ_PASSED : PREREQ_FAILED,
                      tiers_same ? 0 : AN_ERROR_CANNOT_PROVISION_PERFORMANCE,
                      tiers_same ? "Every member node has the same tier table."
                                 : "The tier tables differ between nodes (settings.tiers in accelnet.json): a VM "
                                   "that moves may not get the same performance. Make them the same on every node.");
}

void cluster_node_foreach_note(ClusterNode *cn, NoteVisitor f, void *userdata) {
        for (size_t i = 0; cn && i < cn->notes.n; i++)
                f(&cn->notes.v[i], userdata);
}

/* ---- putting the cluster's settings in force here --------------------------------------- */

static void applied(void *userdata, const AnStatus *st) {
        ClusterNode *cn = userdata;
        free(cn->apply_error);
        cn->apply_error = NULL;
        note_list_clear(&cn->notes, "cluster-apply");
        if (st->r < 0) {
                if (asprintf(&cn->apply_error, "The cluster's settings could not be put in force here: %s",
                             st->message) < 0)
                        cn->apply_error = NULL;
                log_warning("Cluster: %s", strempty(cn->apply_error));
                note_list_add(&cn->notes, "cluster-apply", "settings", PREREQ_FAILED, AN_ERROR_ENABLE_ACCELNET_FAILED,
                              "%s", strempty(cn->apply_error));
                if (st->r == -AN_ERROR_BUSY)
                        cn->apply_wanted = true; /* again when what is in flight is done */
        }
        cn->facts_wanted = true;
        manager_dirty(cn->manager, DIRTY_PROPERTIES);
}

static void apply_now(ClusterNode *cn, Completion c) {
        const ClusterSettings *s = &cn->view->settings;
        manager_apply_settings(cn->manager, s->enabled, s->intent, s->reserve, c);
}

/* Our own change: the caller hears the local outcome, and so does apply_error. */
typedef struct ApplyReply {
        ClusterNode *cn;
        Completion c;
} ApplyReply;

static void applied_and_reply(void *userdata, const AnStatus *st) {
        ApplyReply *a = userdata;
        applied(a->cn, st);
        completion_done(&a->c, st);
        free(a);
}

/* ---- events from corosync --------------------------------------------------------------- */

static void on_settings_changed(ClusterNode *cn) {
        (void) settings_save(cn);
        cn->apply_wanted = true;
        view_changed(cn);
}

static bool pending_to_gone_node(const ClusterPending *p, const void *arg) {
        const ClusterView *v = arg;
        if (p->kind != PENDING_FORWARD)
                return false;
        for (size_t i = 0; i < v->n_nodes; i++)
                if (v->nodes[i].id == p->to)
                        return !v->nodes[i].member;
        return true;
}

static void on_connection(void *userdata, bool connected) {
        ClusterNode *cn = userdata;

        cn->connected = connected;
        if (!connected) {
                cn->quorate = false;
                if (cn->view) {
                        uint32_t self = cn->view->self;
                        _cleanup_free_ char *ignore = NULL;
                        (void) cluster_view_membership(cn->view, &self, 1, 0, &ignore);
                }
                pending_fail_where(cn, NULL, NULL, -AN_ERROR_NO_QUORUM,
                                   "The connection to corosync was lost before the cluster answered; retry when "
                                   "it is back ('corosync-quorumtool -s').");
                log_warning("Cluster: lost the connection to corosync; changes are refused until it is back.");
                view_changed(cn);
                rebuild_notes(cn);
                return;
        }
        uint32_t self = cluster_local_nodeid(cn->cluster);
        if (cn->view && cn->view->self != self)
                cn->view = cluster_view_free(cn->view);
        if (!cn->view) {
                ClusterSettings s;
                bool found;
                if (cluster_view_new(self, reserve_usable, &cn->view) < 0) {
                        log_oom();
                        return;
                }
                (void) settings_load(cn, &s, &found);
                (void) cluster_view_load_settings(cn->view, &s);
                cluster_settings_done(&s);
                if (!found)
                        (void) settings_save(cn);
        }
        if (!cn->active)
                log_info("Cluster: joined corosync cluster '%s' as node %" PRIu32 "; settings are cluster-wide now.",
                         cluster_name(cn->cluster), self);
        cn->active = true;
        cn->quorate = cluster_quorate(cn->cluster);
        announce_facts(cn);
        view_changed(cn);
}

static void on_membership(void *userdata, const uint32_t *members, size_t n, uint64_t ring) {
        ClusterNode *cn = userdata;
        _cleanup_free_ char *sync = NULL;

        if (!cn->view)
                return;
        announce_facts(cn); /* the SYNC carries our facts as they are now */
        if (cluster_view_membership(cn->view, members, n, ring, &sync) < 0) {
                log_oom();
                return;
        }
        log_info("Cluster: %zu member node(s) (ring %" PRIu64 ").", n, ring);
        pending_fail_where(cn, pending_to_gone_node, cn->view, -AN_ERROR_BUSY,
                           "The node that holds the VM left the cluster before it answered; retry.");
        int r = cluster_send(cn->cluster, sync, strlen(sync));
        if (r < 0)
                log_warning_errno(r, "Cluster: failed to send the sync: %m");
        view_changed(cn);
        rebuild_notes(cn);
}

static void on_quorum(void *userdata, bool quorate) {
        ClusterNode *cn = userdata;
        if (cn->quorate != quorate)
                log_struct(quorate ? LOG_INFO : LOG_WARNING, NULL, NULL, NULL, NULL, "Cluster: quorum %s.",
                           quorate ? "gained: settings and admissions may change"
                                   : "lost: running VMs keep their VFs; changes are refused");
        cn->quorate = quorate;
        view_changed(cn);
        rebuild_notes(cn);
}

/* The answer of a request forwarded to us goes back to its node. */
typedef struct ForwardReply {
        ClusterNode *cn;
        uint64_t req;
        uint32_t to;
} ForwardReply;

static void forwarded_done(void *userdata, const AnStatus *st) {
        ForwardReply *f = userdata;
        char *text = NULL, errname[64];
        const char *name = "";

        if (st->r < 0) {
                if (an_error_is_domain(st->r))
                        name = an_error_bus_name((AnError) -st->r);
                else {
                        snprintf(errname, sizeof errname, "errno:%d", -st->r);
                        name = errname;
                }
        }
        if (cluster_msg_reply(f->req, f->to, name, st->message, &text) >= 0)
                send_text(f->cn, text, "a reply");
        free(f);
}

static void on_request(ClusterNode *cn, ViewEvent *e) {
        Manager *m = cn->manager;
        ForwardReply *f = calloc(1, sizeof *f);
        if (!f)
                return (void) log_oom();
        *f = (ForwardReply){ .cn = cn, .req = e->req, .to = e->from };
        Completion c = { forwarded_done, f };
        log_info("Cluster: %s %s%s%s asked by node %" PRIu32 ".", e->method, e->vm, isempty(e->performance) ? "" : " ",
                 e->performance, e->from);
        cn->serving_request = true;
        if (streq(e->method, "EnableVM"))
                vm_enable(m, e->vm, e->performance, c);
        else if (streq(e->method, "SetVM"))
                vm_set(m, e->vm, e->performance, c);
        else if (streq(e->method, "DisableVM"))
                vm_disable(m, e->vm, c);
        else if (streq(e->method, "RevokeVM"))
                vm_revoke(m, e->vm, c);
        else if (streq(e->method, "RestoreVM"))
                vm_unrevoke(m, e->vm, c);
        else
                completion_fail(&c, -EOPNOTSUPP, "Unknown method '%s' forwarded.", e->method);
        cn->serving_request = false;
}

static void on_reply(ClusterNode *cn, ViewEvent *e) {
        ClusterPending *p = pending_take(cn, PENDING_FORWARD, e->req);
        AnStatus st = AN_STATUS_OK;
        if (!p)
                return;
        if (!isempty(e->error_name)) {
                int r = -EIO;
                AnError code = an_error_from_bus_name(e->error_name);
                if (code >= 0)
                        r = -(int) code;
                else if (strncmp(e->error_name, "errno:", 6) == 0)
                        r = -abs(atoi(e->error_name + 6));
                if (r == 0)
                        r = -EIO;
                an_status_set(&st, r, "%s", strempty(e->reply_message));
        }
        completion_done(&p->c, &st);
        pending_free(p);
}

static void on_message(void *userdata, uint32_t from, const void *data, size_t len) {
        ClusterNode *cn = userdata;
        Manager *m = cn->manager;
        ViewEvent e;

        if (!cn->view)
                return;
        int r = cluster_view_deliver(cn->view, from, data, len, &e);
        if (r < 0) {
                log_debug_errno(r, "Cluster: ignored a message from node %" PRIu32 ": %m", from);
                return;
        }
        switch (e.type) {
        case VIEW_EVENT_SETTINGS: {
                ClusterPending *p = e.mine ? pending_take(cn, PENDING_SETTINGS, e.req) : NULL;
                if (e.changed) {
                        log_info("Cluster: settings version %" PRIu64 " from node %" PRIu32 ": %s%s%s, reserve %u%%.",
                                 cn->view->settings.version, from,
                                 cn->view->settings.enabled ? "enabled on intent '" : "management disabled",
                                 cn->view->settings.enabled ? cn->view->settings.intent : "",
                                 cn->view->settings.enabled ? "'" : "", cn->view->settings.reserve);
                        on_settings_changed(cn);
                }
                if (p) {
                        if (e.error < 0)
                                completion_fail(&p->c, e.error, "%s", e.message);
                        else if (!e.changed)
                                completion_done(&p->c, &AN_STATUS_OK);
                        else {
                                ApplyReply *a = calloc(1, sizeof *a);
                                if (!a)
                                        completion_fail(&p->c, -ENOMEM, "Out of memory.");
                                else {
                                        *a = (ApplyReply){ cn, p->c };
                                        cn->apply_wanted = false;
                                        apply_now(cn, (Completion){ applied_and_reply, a });
                                }
                        }
                        pending_free(p);
                }
                break;
        }
        case VIEW_EVENT_SYNCED:
                if (!isempty(e.message)) {
                        log_warning("Cluster: %s", e.message);
                        note_list_clear(&cn->notes, "cluster-drift");
                        note_list_add(&cn->notes, "cluster-drift", "settings", PREREQ_WARNING, 0, "%s", e.message);
                }
                if (e.changed)
                        on_settings_changed(cn);
                cn->facts_wanted = true;
                view_changed(cn);
                rebuild_notes(cn);
                break;
        case VIEW_EVENT_FACTS:
                view_changed(cn);
                rebuild_notes(cn);
                break;
        case VIEW_EVENT_CLAIM:
                if (e.mine) {
                        ClusterPending *p = pending_take(cn, PENDING_CLAIM, e.seq);
                        if (e.seq > cn->claims_done)
                                cn->claims_done = e.seq;
                        cn->facts_wanted = true;
                        if (p) {
                                if (e.error < 0)
                                        completion_fail(&p->c, e.error, "%s", e.message);
                                else
                                        p->then(m, p->vm, p->tier, p->c);
                                pending_free(p);
                        }
                }
                view_changed(cn);
                break;
        case VIEW_EVENT_REQUEST:
                on_request(cn, &e);
                break;
        case VIEW_EVENT_REPLY:
                on_reply(cn, &e);
                break;
        case VIEW_EVENT_NONE:
                break;
        }
        view_event_done(&e);
}

/* ---- the Manager's calls ------------------------------------------------------------------ */

int cluster_node_new(Manager *m, ClusterNode **ret) {
        ClusterNode *cn = calloc(1, sizeof *cn);
        if (!cn)
                return -ENOMEM;
        cn->manager = m;
        cn->next_req = 1;
        cn->settings_path = path_join(m->state_dir, "cluster.json");
        ClusterCallbacks cb = { on_connection, on_membership, on_message, on_quorum, cn };
        int r = cn->settings_path ? cluster_new(m->event, &cb, &cn->cluster) : -ENOMEM;
        if (r >= 0)
                r = cluster_pacemaker_new(cn);
        if (r < 0) {
                cluster_free(cn->cluster);
                free(cn->settings_path);
                free(cn);
                return r;
        }
        *ret = cn;
        return 0;
}

ClusterNode *cluster_node_free(ClusterNode *cn) {
        if (!cn)
                return NULL;
        while (cn->pending) {
                ClusterPending *p = cn->pending;
                cn->pending = p->next;
                completion_fail(&p->c, -ESHUTDOWN, "accelnetd is stopping.");
                pending_free(p);
        }
        sd_event_source_disable_unref(cn->facts_timer);
        pacemaker_free(cn->pacemaker);
        cluster_free(cn->cluster);
        cluster_view_free(cn->view);
        note_list_clear(&cn->notes, NULL);
        free(cn->apply_error);
        free(cn->settings_path);
        free(cn);
        return NULL;
}

int cluster_node_start(ClusterNode *cn) {
        /* A node that was in a cluster stays in cluster mode while corosync is away: it
         * refuses changes (NoQuorum) instead of making them alone. */
        if (file_exists(cn->settings_path)) {
                ClusterSettings s;
                bool found;
                (void) settings_load(cn, &s, &found);
                if (found) {
                        cn->active = true;
                        if (cluster_view_new(0, reserve_usable, &cn->view) >= 0) {
                                (void) cluster_view_load_settings(cn->view, &s);
                                uint32_t self = 0;
                                _cleanup_free_ char *ignore = NULL;
                                (void) cluster_view_membership(cn->view, &self, 1, 0, &ignore);
                                announce_facts(cn);
                                ClusterSettings here = local_settings(cn->manager);
                                cn->apply_wanted = !cluster_settings_same(&s, &here);
                        }
                }
                cluster_settings_done(&s);
        }
        cluster_start(cn->cluster);
        return 0;
}

bool manager_clustered(const Manager *m) {
        return m->cluster && m->cluster->active;
}

int cluster_node_check_quorum(ClusterNode *cn, AnStatus *st) {
        if (!cn->connected || !cn->quorate)
                return an_status_set(st, -AN_ERROR_NO_QUORUM, "%s %s", an_error_message(AN_ERROR_NO_QUORUM),
                                     an_error_remedy(AN_ERROR_NO_QUORUM));
        if (!cn->view || !cn->view->synced)
                return an_status_set(st, -AN_ERROR_BUSY,
                                     "The cluster is synchronising after a membership change; retry in a moment.");
        return 0;
}

static void send_pending(ClusterNode *cn, PendingKind kind, uint64_t id, char *text, const char *vm, Completion c,
                         ClusterPending **ret) {
        ClusterPending *p = text ? pending_add(cn, kind, id, vm, c) : NULL;
        if (!p) {
                free(text);
                return completion_fail(&c, -ENOMEM, "Out of memory.");
        }
        int r = cluster_send(cn->cluster, text, strlen(text));
        free(text);
        if (r < 0) {
                (void) pending_take(cn, kind, id);
                pending_free(p);
                return completion_fail(&c, -AN_ERROR_NO_QUORUM, "Failed to reach the cluster: %s. %s", strerror(-r),
                                       an_error_remedy(AN_ERROR_NO_QUORUM));
        }
        if (ret)
                *ret = p;
}

void cluster_node_settings(ClusterNode *cn, ClusterOp op, const char *intent, uint32_t reserve, Completion c) {
        AnStatus st = AN_STATUS_OK;
        char *text = NULL;

        if (cluster_node_check_quorum(cn, &st) < 0)
                return completion_done(&c, &st);
        uint64_t req = cn->next_req++;
        if (cluster_msg_settings(req, op, intent, reserve, &text) < 0)
                return completion_fail(&c, -ENOMEM, "Out of memory.");
        send_pending(cn, PENDING_SETTINGS, req, text, NULL, c, NULL);
}

void cluster_node_claim(ClusterNode *cn, const char *vm, Tier tier, ClaimedFn then, Completion c) {
        AnStatus st = AN_STATUS_OK;
        ClusterPending *p = NULL;
        uint64_t seq;
        char *text = NULL;

        if (cluster_node_check_quorum(cn, &st) < 0)
                return completion_done(&c, &st);
        if (cluster_msg_claim(cn->view, vm, &seq, &text) < 0)
                return completion_fail(&c, -ENOMEM, "Out of memory.");
        send_pending(cn, PENDING_CLAIM, seq, text, vm, c, &p);
        if (p) {
                p->tier = tier;
                p->then = then;
        }
}

uint32_t cluster_node_holder(ClusterNode *cn, const char *vm) {
        if (!cn || !cn->view)
                return 0;
        for (size_t i = 0; i < cn->view->n_nodes; i++) {
                const ViewNode *n = &cn->view->nodes[i];
                if (n->id != cn->view->self && n->member && n->has_facts && node_facts_find_vm(&n->facts, vm))
                        return n->id;
        }
        return 0;
}

bool cluster_node_vf_elsewhere(ClusterNode *cn, const char *vm) {
        if (!cn || !cn->view)
                return false;
        for (size_t i = 0; i < cn->view->n_nodes; i++) {
                const ViewNode *n = &cn->view->nodes[i];
                const ClusterVm *v;
                if (n->id != cn->view->self && n->member && n->has_facts && (v = node_facts_find_vm(&n->facts, vm)) &&
                    !isempty(v->vf))
                        return true;
        }
        return false;
}

void cluster_node_forward(ClusterNode *cn, uint32_t to, const char *method, const char *vm, const char *performance,
                          Completion c) {
        char *text = NULL;
        uint64_t req = cn->next_req++;
        if (!cn->connected)
                return completion_fail(&c, -AN_ERROR_NO_QUORUM, "%s %s", an_error_message(AN_ERROR_NO_QUORUM),
                                       an_error_remedy(AN_ERROR_NO_QUORUM));
        if (cluster_msg_request(req, to, method, vm, performance, &text) < 0)
                return completion_fail(&c, -ENOMEM, "Out of memory.");
        ClusterPending *p = NULL;
        send_pending(cn, PENDING_FORWARD, req, text, vm, c, &p);
        if (p)
                p->to = to;
}

bool cluster_node_counts(const ClusterNode *cn, ClusterCounts *ret) {
        if (!cn || !cn->active || !cn->view)
                return false;
        cluster_view_counts(cn->view, ret);
        return true;
}

const char *cluster_node_name_of_cluster(const ClusterNode *cn) {
        return cn && cn->active ? cluster_name(cn->cluster) : "";
}

unsigned cluster_node_members(const ClusterNode *cn) {
        if (!cn || !cn->active || !cn->view || !cn->connected)
                return 1;
        return (unsigned) cn->view->n_members;
}

bool cluster_node_quorate(const ClusterNode *cn) {
        return !cn || !cn->active || cn->quorate;
}

void cluster_node_post(ClusterNode *cn) {
        Manager *m = cn->manager;
        if (!cn->active || !cn->view)
                return;
        if (cn->apply_wanted && !m->management_op && operation_count(m) == 0 && m->save_error >= 0) {
                cn->apply_wanted = false;
                apply_now(cn, (Completion){ applied, cn });
        }
        if (cn->facts_wanted)
                announce_facts_soon(cn);
        cluster_pacemaker_update(cn);
}

char *cluster_node_view_name(const ClusterNode *cn, const ViewNode *node) {
        const NodeFacts *f = node->has_facts ? &node->facts : NULL;
        return f && !isempty(f->name) ? strdup(f->name) : cluster_node_name(cn->cluster, node->id);
}

int cluster_node_rows(ClusterNode *cn, NodeRow **ret, size_t *ret_n) {
        Manager *m = cn->manager;
        NodeRow *rows = NULL;
        size_t n = 0;

        if (!cn->active || !cn->view) {
                if (!(rows = calloc(1, sizeof *rows)))
                        return -ENOMEM;
                rows[0] = (NodeRow){ .id = 0, .name = cluster_node_own_name(cn), .member = true,
                                     .ht = manager_hyperthreading(m), .capacity = manager_capacity_vfs(m),
                                     .usable = manager_usable_vfs(m), .assigned = manager_assigned_vfs(m),
                                     .note = strdup(""), .health = manager_health_summary(m, NULL) };
                if (!rows[0].name || !rows[0].note || !rows[0].health) {
                        node_rows_free(rows, 1);
                        return -ENOMEM;
                }
                *ret = rows;
                *ret_n = 1;
                return 0;
        }
        ClusterView *v = cn->view;
        ClusterCounts c;
        cluster_view_counts(v, &c);
        if (!(rows = calloc(v->n_nodes ? v->n_nodes : 1, sizeof *rows)))
                return -ENOMEM;
        for (size_t i = 0; i < v->n_nodes; i++) {
                const ViewNode *node = &v->nodes[i];
                NodeRow *r = &rows[n++];
                const NodeFacts *f = node->has_facts ? &node->facts : NULL;
                unsigned assigned = f ? node_facts_assigned(f) : 0;
                for (size_t k = 0; f && k < node->n_claims; k++) {
                        const ClusterVm *vm = node_facts_find_vm(f, node->claims[k].vm);
                        if (!vm || isempty(vm->vf))
                                assigned++;
                }
                *r = (NodeRow){ .id = node->id, .member = node->member, .ht = f && f->ht == 1,
                                .capacity = f ? f->capacity : 0, .assigned = node->member ? assigned : 0 };
                if (node->member && c.capacity > 0 && f)
                        r->usable = (unsigned) ((uint64_t) c.usable * f->capacity / c.capacity);
                r->name = cluster_node_view_name(cn, node);
                if (!node->member)
                        r->note = strdup("lost: not counted in the usable or assigned VFs");
                else
                        r->note = strdup(f ? strempty(f->note) : "no facts yet");
                r->health = strdup(f && f->health ? f->health : "");
                if (!r->name || !r->note || !r->health) {
                        node_rows_free(rows, n);
                        return -ENOMEM;
                }
        }
        *ret = rows;
        *ret_n = n;
        return 0;
}

void node_rows_free(NodeRow *rows, size_t n) {
        for (size_t i = 0; i < n; i++) {
                free(rows[i].name);
                free(rows[i].note);
                free(rows[i].health);
        }
        free(rows);
}

/* Whether a member node (this one included) has domain `vm`. */
static bool listed_by_member(ClusterNode *cn, const char *vm) {
        Vm *here = manager_get_vm(cn->manager, vm);
        if (here && here->domain)
                return true;
        for (size_t i = 0; i < cn->view->n_nodes; i++) {
                const ViewNode *n = &cn->view->nodes[i];
                if (n->id != cn->view->self && n->member && n->has_facts && node_facts_find_vm(&n->facts, vm))
                        return true;
        }
        return false;
}

void cluster_node_foreach_remote_vm(ClusterNode *cn, RemoteVmVisitor f, void *userdata) {
        if (!cn || !cn->active || !cn->view)
                return;
        for (size_t i = 0; i < cn->view->n_nodes; i++) {
                const ViewNode *n = &cn->view->nodes[i];
                if (n->id == cn->view->self || !n->has_facts)
                        continue;
                for (size_t k = 0; k < n->facts.n_vms; k++) {
                        const ClusterVm *vm = &n->facts.vms[k];
                        if (n->member) {
                                f(strempty(n->facts.name), vm, userdata);
                                continue;
                        }
                        /* A node out of the membership: its VMs as it last told, until they run
                         * on a member (failover); their VFs are not counted. */
                        if (listed_by_member(cn, vm->name))
                                continue;
                        _cleanup_free_ char *note = NULL;
                        if (asprintf(&note, "lost with %s%s%s", strempty(n->facts.name),
                                     isempty(vm->note) ? "" : "; was: ", strempty(vm->note)) < 0)
                                continue;
                        ClusterVm lost = *vm;
                        lost.note = note;
                        f(strempty(n->facts.name), &lost, userdata);
                }
        }
}
