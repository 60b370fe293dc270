/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "cluster-node.h"
#include "config.h"
#include "operation.h"
#include "pf-health.h"
#include "pf.h"
#include "policy/admission.h"
#include "servicing.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "sriov/discover.h"
#include "sriov/pci.h"
#include "sriov/vfpolicy.h"
#include "virt/virt.h"
#include "vm.h"

/* ---- small things ---------------------------------------------------------------------- */

int an_status_set(AnStatus *s, int r, const char *fmt, ...) {
        va_list ap;
        s->r = r;
        va_start(ap, fmt);
        vsnprintf(s->message, sizeof s->message, fmt, ap);
        va_end(ap);
        return r;
}

void completion_done(Completion *c, const AnStatus *st) {
        CompletionFn fn = c->fn;
        c->fn = NULL;
        if (fn)
                fn(c->userdata, st);
}

void completion_fail(Completion *c, int r, const char *fmt, ...) {
        AnStatus st = { .r = r };
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(st.message, sizeof st.message, fmt, ap);
        va_end(ap);
        completion_done(c, &st);
}

const char *manager_version(void) {
        return PACKAGE_VERSION;
}

void note_list_add(NoteList *l, const char *check, const char *subject, PrereqResult result, AnError code,
                   const char *fmt, ...) {
        char *detail = NULL;
        va_list ap;

        va_start(ap, fmt);
        if (vasprintf(&detail, fmt, ap) < 0)
                detail = NULL;
        va_end(ap);
        Note *v = detail ? realloc(l->v, sizeof(Note) * (l->n + 1)) : NULL;
        if (!v) {
                free(detail);
                return;
        }
        l->v = v;
        v[l->n] = (Note){ .check = strdup(check), .subject = strdup(subject), .detail = detail, .result = result,
                          .code = code };
        if (!v[l->n].check || !v[l->n].subject) {
                free(v[l->n].check);
                free(v[l->n].subject);
                free(detail);
                return;
        }
        l->n++;
}

void note_list_clear(NoteList *l, const char *check) {
        size_t k = 0;
        for (size_t i = 0; i < l->n; i++) {
                if (!check || streq(l->v[i].check, check)) {
                        free(l->v[i].check);
                        free(l->v[i].subject);
                        free(l->v[i].detail);
                        continue;
                }
                l->v[k++] = l->v[i];
        }
        l->n = k;
        if (k == 0)
                l->v = mfree(l->v);
}

void manager_foreach_note(Manager *m, NoteVisitor f, void *userdata) {
        const NoteList *lists[] = { &m->notes, &m->plan_notes, &m->drift };
        for (size_t s = 0; s < ELEMENTSOF(lists); s++)
                for (size_t i = 0; i < lists[s]->n; i++)
                        f(&lists[s]->v[i], userdata);
        manager_servicing_foreach_note(m, f, userdata);
        manager_health_foreach_note(m, f, userdata);
        cluster_node_foreach_note(m->cluster, f, userdata);
}

int manager_sorted_vms(Manager *m, Vm ***ret, size_t *ret_n) {
        if (!m->vms_sorted && hashmap_size(m->vms) > 0) {
                int r = hashmap_sorted_values(m->vms, (void ***) &m->vms_sorted, &m->n_vms_sorted);
                if (r < 0)
                        return r;
        }
        if (!m->vms_sorted)
                m->n_vms_sorted = 0;
        *ret = m->vms_sorted;
        *ret_n = m->n_vms_sorted;
        return 0;
}

/* ---- arguments -------------------------------------------------------------------------- */

int manager_check_intent_arg(const char *intent, AnStatus *st) {
        if (isempty(intent))
                return an_status_set(st, -AN_ERROR_INVALID_ARGS, "The intent name must not be empty.");
        if (!intent_name_valid(intent))
                return an_status_set(st, -AN_ERROR_INVALID_ARGS,
                                     "Invalid intent name '%.64s'%s: use 1-64 characters of A-Z a-z 0-9 _ . - (not "
                                     "starting with '.').", intent, strlen(intent) > 64 ? " (truncated)" : "");
        return 0;
}

int manager_check_reserve_arg(uint32_t reserve, AnStatus *st) {
        if (reserve > 99)
                return an_status_set(st, -AN_ERROR_INVALID_ARGS,
                                     "Node reserve %" PRIu32 " is outside 0-99 (a percentage of the VFs kept free for "
                                     "failover).", reserve);
        return 0;
}

int manager_check_vm_arg(const char *vm, AnStatus *st) {
        if (!vm_name_valid(vm))
                return an_status_set(st, -AN_ERROR_INVALID_ARGS,
                                     "Invalid VM name '%.64s'%s: 1-256 printable characters without '/'.", strempty(vm),
                                     vm && strlen(vm) > 64 ? " (truncated)" : "");
        return 0;
}

int manager_check_tier_arg(const char *performance, Tier *ret, AnStatus *st) {
        Tier t = tier_from_string(performance);
        if (t < 0)
                return an_status_set(st, -AN_ERROR_INVALID_ARGS, "Unknown performance '%.64s': use Low, Medium or High.",
                                     strempty(performance));
        *ret = t;
        return 0;
}

/* ---- counts ---------------------------------------------------------------------------- */

bool manager_hyperthreading(const Manager *m) {
        return m->host && m->host->smt_active == 1;
}

static int hyperthreading_state(const Manager *m) {
        return m->host && m->host->smt_active >= 0 ? m->host->smt_active > 0 : -1;
}

const char *manager_hyperthreading_state(const Manager *m) {
        int s = hyperthreading_state(m);
        return s < 0 ? "unknown" : s ? "on" : "off";
}

unsigned manager_capacity_vfs(const Manager *m) {
        unsigned c = 0;
        if (!m->enabled)
                return 0;
        for (size_t i = 0; i < m->n_pfs; i++)
                if (pf_usable(m->pfs[i]) && pf_accepts_new_vfs(m->pfs[i])) /* not Failed, not quarantined */
                        c += (unsigned) m->pfs[i]->n_slots;
        return c;
}

unsigned manager_usable_vfs(const Manager *m) {
        uint64_t c = manager_capacity_vfs(m);
        return (unsigned) (c * (100 - m->reserve) / 100);
}

void manager_counts(const Manager *m, unsigned *ret_capacity, unsigned *ret_usable, unsigned *ret_assigned) {
        ClusterCounts c;
        if (cluster_node_counts(m->cluster, &c)) {
                *ret_capacity = c.capacity;
                *ret_usable = c.usable;
                *ret_assigned = c.assigned;
                return;
        }
        *ret_capacity = manager_capacity_vfs(m);
        *ret_usable = manager_usable_vfs(m);
        *ret_assigned = manager_assigned_vfs(m);
}

int manager_free_vfs(const Manager *m, FreeVfs *ret) {
        _cleanup_free_ VfCandidate *c = NULL;
        _cleanup_free_ unsigned *load = NULL;
        size_t n = 0;

        *ret = (FreeVfs){};
        if (!m->enabled || !m->config)
                return 0;
        int r = manager_vf_candidates(m, &c, &load, &n);
        if (r < 0)
                return r;
        admission_free_vfs(&m->config->settings.tiers, c, n, manager_capacity_vfs(m), manager_assigned_vfs(m),
                           m->config->settings.max_vms, ret);
        return 0;
}

unsigned manager_assigned_vfs(const Manager *m) {
        unsigned n = 0;
        Vm *vm;
        HASHMAP_FOREACH(vm, m->vms)
                if (vm->has_record)
                        n++;
        return n;
}

/* ---- the state file -------------------------------------------------------------------- */

static int on_state_sync(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ char *p = path_join(m->state_dir, "state.json");
        int r = p ? fsync_path(p) : -ENOMEM;
        if (r >= 0 || r == -ENOENT)
                r = state_journal_sync(m->journal);
        if (r < 0)
                log_warning_errno(r, "Failed to sync %s: %m", m->state_dir);
        return 0;
}

static void arm_sync(Manager *m) {
        /* Written at once (a crash of the daemon never loses it); the fsync for power loss
         * follows within MANAGER_SYNC_USEC, one for a whole burst. */
        if (!m->sync_timer) {
                if (sd_event_add_time_relative(m->event, &m->sync_timer, CLOCK_MONOTONIC, MANAGER_SYNC_USEC, 0,
                                               on_state_sync, m) < 0) {
                        (void) on_state_sync(NULL, 0, m);
                        return;
                }
                (void) sd_event_source_set_description(m->sync_timer, "state-sync");
        } else if (sd_event_source_get_enabled(m->sync_timer, NULL) == 0) {
                (void) sd_event_source_set_time_relative(m->sync_timer, MANAGER_SYNC_USEC);
                (void) sd_event_source_set_enabled(m->sync_timer, SD_EVENT_ONESHOT);
        }
}

/* The model as state.json has it: management, the planned adapters, the VMs' records.
 * Usually only what changed is appended to the journal (the records whose hash differs
 * from what was written, the ones dropped, the plan if it changed); now and then, and at
 * start and exit, state.json is written whole and the journal emptied. */
static int manager_write_state(Manager *m) {
        State s = { .version = STATE_SCHEMA_VERSION, .enabled = m->enabled, .intent = m->intent,
                    .node_reserve = m->reserve };
        _cleanup_free_ ProvisionedPf *pfs = calloc(m->n_pfs ? m->n_pfs : 1, sizeof(ProvisionedPf));
        _cleanup_free_ Assignment *vms = calloc(hashmap_size(m->vms) + 1, sizeof(Assignment));
        _cleanup_free_ const Assignment **changed = calloc(hashmap_size(m->vms) + 1, sizeof(Assignment *));
        _cleanup_free_ uint64_t *hashes = calloc(hashmap_size(m->vms) + 1, sizeof(uint64_t));
        _cleanup_free_ const char **drops = calloc(hashmap_size(m->vms) + m->n_dropped + 1, sizeof(char *));
        _cleanup_free_ StateWaiting *waiting = calloc(hashmap_size(m->vms) + 1, sizeof(StateWaiting));
        size_t n = 0, n_changed = 0, n_drops = 0;
        Vm **sorted = NULL;
        int r;

        if (!pfs || !vms || !changed || !hashes || !drops || !waiting || manager_sorted_vms(m, &sorted, &n) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_pfs; i++) {
                const Pf *pf = m->pfs[i];
                if (!pf->planned)
                        continue;
                ProvisionedPf *p = &pfs[s.n_pfs++];
                *p = (ProvisionedPf){ .numvfs_before = pf->numvfs_before, .numvfs = pf->want, .status = pf->status };
                snprintf(p->pf, sizeof p->pf, "%s", pf->address);
        }
        s.pfs = pfs;
        uint64_t plan_hash = state_plan_hash(&s);
        for (size_t i = 0; i < m->n_dropped; i++)
                drops[n_drops++] = m->dropped[i];
        for (size_t i = 0; i < n; i++) {
                Vm *vm = sorted[i];
                hashes[i] = vm->has_record ? assignment_hash(&vm->record) : 0;
                if (vm->has_record)
                        vms[s.n_vms++] = vm->record; /* borrowed strings */
                if (vm_waiting(vm))
                        waiting[s.n_waiting++] = (StateWaiting){ .vm = vm->name, .since = vm->waiting_since };
                if (hashes[i] == vm->saved_hash)
                        continue;
                if (vm->has_record)
                        changed[n_changed++] = &vm->record;
                else
                        drops[n_drops++] = vm->name;
        }
        s.vms = vms;
        s.waiting = waiting; /* borrowed names */
        uint64_t waiting_hash = state_waiting_hash(&s);
        if (manager_servicing_state(m, sorted, n, &s) < 0)
                return -ENOMEM;
        _cleanup_free_ _unused_ StateDrained *drained = s.drained;     /* freed on return; s borrows it */
        _cleanup_free_ _unused_ StateVmService *services = s.services; /* freed on return; names borrowed */
        uint64_t servicing_hash = state_servicing_hash(&s);

        bool whole = m->compact_wanted || state_journal_broken(m->journal) ||
                     state_journal_lines(m->journal) + n_changed + n_drops + 3 > MANAGER_JOURNAL_MAX_LINES;
        if (whole) {
                /* Opened first, so that the compaction empties what load replayed. Without a
                 * journal every save writes state.json whole. */
                if (!m->journal && state_journal_open(m->state_dir, &m->journal) < 0)
                        m->journal = NULL;
                r = state_compact(m->state_dir, &s, m->journal, false);
        } else
                r = state_journal_append(m->journal, changed, n_changed, drops, n_drops,
                                         plan_hash != m->saved_plan_hash ? &s : NULL,
                                         waiting_hash != m->saved_waiting_hash ? &s : NULL,
                                         servicing_hash != m->saved_servicing_hash ? &s : NULL);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                sorted[i]->saved_hash = hashes[i];
        m->saved_plan_hash = plan_hash;
        m->saved_waiting_hash = waiting_hash;
        m->saved_servicing_hash = servicing_hash;
        strv_free_n(m->dropped, m->n_dropped);
        m->dropped = NULL;
        m->n_dropped = 0;
        m->compact_wanted = false;
        arm_sync(m);
        return 0;
}

static int on_save_retry(sd_event_source *s, uint64_t usec, void *userdata);

/* Remembers whether the state folder can be written: when not, every change is refused and
 * a save is retried every MANAGER_SAVE_RETRY_USEC. */
static void note_save_result(Manager *m, int r) {
        if (r >= 0) {
                if (m->save_error < 0) {
                        log_notice("The state folder %s can be written again; changes are accepted.", m->state_dir);
                        note_list_clear(&m->notes, "state folder");
                        m->reconcile_wanted = true;
                        manager_dirty(m, DIRTY_PROPERTIES);
                }
                m->save_error = 0;
                (void) sd_event_source_set_enabled(m->save_retry_timer, SD_EVENT_OFF);
                return;
        }
        if (m->save_error != r) {
                log_error_errno(r, "The state folder %s cannot be written: %m. Changes are refused until it can be.",
                                m->state_dir);
                note_list_clear(&m->notes, "state folder");
                note_list_add(&m->notes, "state folder", m->state_dir, PREREQ_FAILED, 0,
                              "%s cannot be written (%s): changes are refused until it can be; reads keep working. "
                              "Free space or make it writable.", m->state_dir, strerror(-r));
        }
        m->save_error = r;
        if (!m->save_retry_timer) {
                if (sd_event_add_time_relative(m->event, &m->save_retry_timer, CLOCK_MONOTONIC,
                                               MANAGER_SAVE_RETRY_USEC, 0, on_save_retry, m) >= 0)
                        (void) sd_event_source_set_description(m->save_retry_timer, "state-retry");
        } else if (sd_event_source_get_enabled(m->save_retry_timer, NULL) == 0) {
                (void) sd_event_source_set_time_relative(m->save_retry_timer, MANAGER_SAVE_RETRY_USEC);
                (void) sd_event_source_set_enabled(m->save_retry_timer, SD_EVENT_ONESHOT);
        }
}

static int on_save_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        note_save_result(m, manager_write_state(m));
        if (m->save_error >= 0)
                manager_dirty(m, DIRTY_STATE);
        return 0;
}

int manager_save_now(Manager *m) {
        int r = manager_write_state(m);
        note_save_result(m, r);
        if (r >= 0)
                m->dirty &= ~DIRTY_STATE;
        /* What was saved changed the counts (and this node's facts in a cluster). */
        manager_dirty(m, DIRTY_PROPERTIES);
        return r;
}

int manager_check_writable(Manager *m, AnStatus *st) {
        if (m->save_error >= 0)
                return 0;
        /* Asked for a change: maybe the admin made room meanwhile. */
        note_save_result(m, manager_write_state(m));
        if (m->save_error >= 0)
                return 0;
        return an_status_set(st, m->save_error,
                             "Nothing was changed: the state folder %s cannot be written (%s). Changes are refused until "
                             "it can be; reads keep working.", m->state_dir, strerror(-m->save_error));
}

/* ---- once per loop iteration ----------------------------------------------------------- */

static void publish(Manager *m) {
        char *changed[13];
        size_t n = 0;
        bool ht = manager_hyperthreading(m);
        unsigned cap, usable, assigned;
        const char *intent = strempty(m->intent);
        const char *cname = cluster_node_name_of_cluster(m->cluster);
        unsigned members = cluster_node_members(m->cluster);
        bool quorate = cluster_node_quorate(m->cluster);

        manager_counts(m, &cap, &usable, &assigned);

        if (m->enabled != m->published.enabled)
                changed[n++] = (char *) "Enabled";
        if (!streq(intent, strempty(m->published.intent)))
                changed[n++] = (char *) "IntentName";
        if (m->reserve != m->published.reserve)
                changed[n++] = (char *) "NodeReservePercentage";
        if (ht != m->published.ht)
                changed[n++] = (char *) "HyperthreadingEnabled";
        if (hyperthreading_state(m) != m->published.ht_state)
                changed[n++] = (char *) "HyperthreadingState";
        if (cap != m->published.capacity)
                changed[n++] = (char *) "CapacityVFs";
        if (usable != m->published.usable)
                changed[n++] = (char *) "UsableVFs";
        if (assigned != m->published.assigned)
                changed[n++] = (char *) "AssignedVFs";
        if (!streq(cname, strempty(m->published.cluster_name)))
                changed[n++] = (char *) "ClusterName";
        if (members != m->published.cluster_nodes)
                changed[n++] = (char *) "ClusterNodes";
        if (quorate != m->published.quorate)
                changed[n++] = (char *) "Quorate";
        changed[n] = NULL;
        if (n == 0)
                return;
        m->published.enabled = m->enabled;
        m->published.ht = ht;
        m->published.ht_state = hyperthreading_state(m);
        m->published.reserve = m->reserve;
        m->published.capacity = cap;
        m->published.usable = usable;
        m->published.assigned = assigned;
        m->published.cluster_nodes = members;
        m->published.quorate = quorate;
        char *nc = strdup(cname);
        if (nc)
                free_and_replace(m->published.cluster_name, nc);
        char *ni = strdup(intent);
        if (ni)
                free_and_replace(m->published.intent, ni);
        if (m->notify.properties_changed)
                m->notify.properties_changed(m->notify.userdata, changed);
        (void) sd_notifyf(false, "STATUS=%zu adapter(s); management %s%s; %u of %u usable VFs assigned%s",
                          m->host ? m->host->n_adapters : 0, m->enabled ? "enabled on " : "disabled", m->enabled ? intent : "",
                          assigned, usable, m->management_op ? "; provisioning" : "");
}

static int on_post(sd_event_source *s, void *userdata) {
        Manager *m = userdata;

        /* Rounds: a finished operation may dirty the state again or want a reconcile. */
        for (int round = 0; round < 4; round++) {
                if (m->dirty & DIRTY_VFS) {
                        m->dirty &= ~DIRTY_VFS;
                        manager_link_slots(m);
                }
                /* Servicing first: what must be revoked is, before any hand-out looks at it
                 * (a facts change or a freed VF may also end a revoke: DIRTY_HANDOUT). */
                if ((m->dirty & (DIRTY_SERVICING | DIRTY_HANDOUT)) || m->reconcile_wanted) {
                        m->dirty &= ~DIRTY_SERVICING;
                        manager_servicing_step(m);
                }
                if (m->reconcile_wanted)
                        manager_reconcile(m); /* its last step serves the waiting VMs */
                else if (m->dirty & DIRTY_HANDOUT)
                        manager_hand_out(m);
                int r = 0;
                if (m->dirty & DIRTY_STATE) {
                        m->dirty &= ~DIRTY_STATE;
                        r = manager_write_state(m);
                        note_save_result(m, r);
                }
                operation_saved(m, r);
                if (r >= 0 && m->save_error >= 0)
                        manager_servicing_report(m); /* what is on disk now is told */
                if (!(m->dirty & (DIRTY_STATE | DIRTY_VFS | DIRTY_HANDOUT | DIRTY_SERVICING)) && !m->reconcile_wanted)
                        break;
        }
        if (m->cluster)
                cluster_node_post(m->cluster);
        if (m->dirty & DIRTY_PROPERTIES) {
                m->dirty &= ~DIRTY_PROPERTIES;
                publish(m);
        }
        if (m->dirty || m->reconcile_wanted)
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

void manager_flush(Manager *m) {
        (void) on_post(m->post_source, m);
}

void manager_dirty(Manager *m, unsigned flags) {
        m->dirty |= flags;
        if (m->cluster && (flags & (DIRTY_STATE | DIRTY_PROPERTIES)))
                m->cluster->facts_wanted = true;
        if (m->post_source)
                (void) sd_event_source_set_enabled(m->post_source, SD_EVENT_ONESHOT);
}

/* ---- lifecycle ------------------------------------------------------------------------- */

int manager_new(const ManagerOptions *o, const ManagerNotify *notify, Manager **ret) {
        _cleanup_(manager_freep) Manager *m = NULL;
        int r;

        m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;
        m->root = strdup(o->root ? o->root : "/");
        m->config_dir = strdup(o->config_dir ? o->config_dir : ACCELNET_SYSCONFDIR);
        m->state_dir = strdup(o->state_dir ? o->state_dir : ACCELNET_STATEDIR);
        m->libvirt_uri = strdup(o->libvirt_uri ? o->libvirt_uri : "qemu:///system");
        m->backend = o->backend ? o->backend : sriov_backend_kernel();
        m->reserve = 50;
        if (notify)
                m->notify = *notify;
        m->vms = hashmap_new();
        m->vf_slots = hashmap_new();
        m->servicing = servicing_new();
        if (!m->root || !m->config_dir || !m->state_dir || !m->libvirt_uri || !m->vms || !m->vf_slots ||
            !m->servicing)
                return -ENOMEM;
        r = sd_event_default(&m->event);
        if (r < 0)
                return r;
        /* Lowest priority: it runs once whatever else is pending has been handled, so a burst
         * of calls shares one save (group commit) and one PropertiesChanged. */
        r = sd_event_add_defer(m->event, &m->post_source, on_post, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_priority(m->post_source, SD_EVENT_PRIORITY_IDLE);
        (void) sd_event_source_set_enabled(m->post_source, SD_EVENT_OFF);
        (void) sd_event_source_set_description(m->post_source, "post");
        r = cluster_node_new(m, &m->cluster);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the cluster connection: %m");
        r = pci_access_new(m->root, &m->pacc);
        if (r < 0)
                return r;
        r = vf_netlink_open(m->backend, m->root, &m->nl);
        if (r < 0)
                return log_error_errno(r, "Cannot open the netlink backend: %m");
        *ret = TAKE_PTR(m);
        return 0;
}

Manager *manager_free(Manager *m) {
        Vm *vm;

        if (!m)
                return NULL;
        /* Workers end, their outcomes are saved (state.json whole) and told. */
        operation_drain(m);
        m->cluster = cluster_node_free(m->cluster);
        m->pool = worker_pool_free(m->pool);
        m->compact_wanted = true;
        int r = manager_write_state(m);
        operation_saved(m, r);
        m->servicing = servicing_free(m->servicing);
        if (m->sync_timer) {
                if (sd_event_source_get_enabled(m->sync_timer, NULL) > 0)
                        (void) on_state_sync(NULL, 0, m);
                sd_event_source_disable_unref(m->sync_timer);
        }
        sd_event_source_disable_unref(m->save_retry_timer);
        state_journal_free(m->journal);
        strv_free_n(m->dropped, m->n_dropped);
        sd_event_source_disable_unref(m->virt_connect_timer);
        sd_event_source_disable_unref(m->refresh_timer);
        sd_event_source_disable_unref(m->policy_timer);
        sd_event_source_disable_unref(m->post_source);
        manager_health_stop(m);
        virt_conn_free(m->virt);
        vf_netlink_free(m->nl);
        HASHMAP_FOREACH(vm, m->vms)
                vm->slot = NULL;
        for (size_t i = 0; i < m->n_pfs; i++)
                pf_free(m->pfs[i]);
        free(m->pfs);
        HASHMAP_FOREACH(vm, m->vms)
                vm_free(vm);
        hashmap_free(m->vms);
        hashmap_free(m->vf_slots);
        free(m->vms_sorted);
        free(m->libvirt_version);
        pci_access_free(m->pacc);
        host_facts_free(m->host);
        prereq_report_free(m->prereq);
        config_free(m->config);
        note_list_clear(&m->notes, NULL);
        note_list_clear(&m->plan_notes, NULL);
        note_list_clear(&m->drift, NULL);
        free(m->published.intent);
        free(m->published.cluster_name);
        free(m->intent);
        free(m->root);
        free(m->config_dir);
        free(m->state_dir);
        free(m->libvirt_uri);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

/* ---- facts ----------------------------------------------------------------------------- */

static int judge(Manager *m, const HostFacts *h, PrereqReport **ret) {
        PrereqConfig pc = {
                .kernel_min = m->config->settings.kernel_min,
                .libvirt_min = m->config->settings.libvirt_min,
                .libvirt_version = m->libvirt_version,
        };
        int r = prereq_evaluate(h, &pc, ret);
        if (r < 0)
                return log_error_errno(r, "Prerequisite evaluation failed: %m");
        return 0;
}

/* Facts and verdicts are replaced together (the verdicts array is parallel to the
 * adapters), and every Pf takes its facts from them. */
static void install(Manager *m, HostFacts *h, PrereqReport *rep) {
        bool changed = false;

        if (h) {
                host_facts_free(m->host);
                m->host = h;
        }
        prereq_report_free(m->prereq);
        m->prereq = rep;
        for (size_t i = 0; i < m->host->n_adapters; i++) {
                Pf *pf = manager_get_pf(m, m->host->adapters[i].address);
                if (pf && pf_update(pf, &m->host->adapters[i], m->prereq->verdicts[i]) > 0)
                        changed = true;
        }
        for (size_t i = 0; i < m->n_pfs; i++)
                if (!host_facts_find_adapter(m->host, m->pfs[i]->address) && pf_update(m->pfs[i], NULL, SRIOV_UNKNOWN) > 0)
                        changed = true;
        if (changed)
                manager_link_slots(m);
        manager_health_sync_pfs(m); /* adapters that appeared are watched */
        manager_dirty(m, DIRTY_PROPERTIES);
}

int manager_evaluate(Manager *m) {
        PrereqReport *rep = NULL;
        int r = judge(m, m->host, &rep);
        if (r < 0)
                return r;
        install(m, NULL, rep);
        return 0;
}

int manager_refresh(Manager *m) {
        _cleanup_(host_facts_freep) HostFacts *h = NULL;
        PrereqReport *rep = NULL;
        int r;

        r = host_discover(m->pacc, m->root, &h);
        if (r < 0)
                return log_error_errno(r, "Host discovery under %s failed: %m", m->root);
        r = judge(m, h, &rep);
        if (r < 0)
                return r;
        install(m, TAKE_PTR(h), rep);
        return 0;
}

int manager_reload_config(Manager *m) {
        _cleanup_(config_freep) Config *c = NULL;
        char **problems = NULL;
        size_t n = 0;
        int r;

        r = config_load(m->config_dir, &c, &problems, &n);
        if (r < 0)
                return log_error_errno(r, "Failed to load configuration from %s: %m", m->config_dir);
        note_list_clear(&m->notes, "config");
        for (size_t i = 0; i < n; i++) {
                log_warning("Configuration: %s (skipped)", problems[i]);
                note_list_add(&m->notes, "config", m->config_dir, PREREQ_WARNING, 0, "%s: skipped.", problems[i]);
        }
        strv_free_n(problems, n);
        config_free(m->config);
        m->config = TAKE_PTR(c);
        log_debug("Loaded %zu intent(s) from %s.", m->config->n_intents, m->config_dir);
        manager_health_settings_changed(m);
        return 0;
}

/* The periodic look at the host: an intent PF that lost its VFs (a driver reload) is
 * provisioned again, and its VMs get their VFs back (reconcile). */
static int on_refresh_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        Vm *vm;
        HASHMAP_FOREACH(vm, m->vms)
                vm->handout_failed = false; /* the VFs that could not be given are tried again */
        manager_servicing_refresh(m);      /* and the revokes that failed */
        if (manager_clustered(m))
                m->cluster->apply_wanted = true; /* settings that could not be put in force here: again */
        if (!m->management_op && manager_refresh(m) >= 0) {
                manager_provision_plan(m, "VFs vanished");
                m->reconcile_wanted = true;
                manager_dirty(m, DIRTY_PROPERTIES);
        }
        (void) sd_event_source_set_time_relative(s, MANAGER_REFRESH_USEC);
        return 0;
}

static int load_state(Manager *m) {
        _cleanup_(state_freep) State *s = NULL;
        _cleanup_free_ char *note = NULL;
        int r;

        r = state_load(m->state_dir, &s, &note);
        if (r < 0)
                return log_error_errno(r, "Failed to load the state from %s: %m", m->state_dir);
        if (note) {
                log_warning("State: %s", note);
                note_list_add(&m->notes, "state", m->state_dir, PREREQ_WARNING, 0, "%s", note);
        }
        m->enabled = s->enabled;
        m->intent = TAKE_PTR(s->intent);
        m->reserve = s->node_reserve;
        for (size_t i = 0; i < s->n_pfs; i++) {
                Pf *pf = manager_get_pf(m, s->pfs[i].pf);
                if (!pf)
                        return log_oom();
                pf->planned = true;
                pf->want = s->pfs[i].numvfs;
                pf->numvfs_before = s->pfs[i].numvfs_before;
                pf->status = s->pfs[i].status;
        }
        for (size_t i = 0; i < s->n_vms; i++) {
                Vm *vm = manager_get_vm(m, s->vms[i].vm);
                if (vm) {
                        log_warning("State: VM %s is recorded twice; the second record (VF %s) is dropped.",
                                    vm->name, s->vms[i].vf);
                        continue;
                }
                vm = manager_add_vm(m, s->vms[i].vm);
                if (!vm || assignment_copy(&vm->record, &s->vms[i]) < 0)
                        return log_oom();
                vm->has_record = true;
                vm->accel = true; /* until libvirt says otherwise */
                vm->accel_tier = vm->record.tier;
        }
        /* The waiting VMs keep their place: since when they wait (libvirt's domains say
         * whether they still do). */
        for (size_t i = 0; i < s->n_waiting; i++) {
                Vm *vm = manager_get_vm(m, s->waiting[i].vm);
                if (vm && vm->has_record)
                        continue; /* holds a VF: does not wait */
                if (!vm && !(vm = manager_add_vm(m, s->waiting[i].vm)))
                        return log_oom();
                vm->waiting_since = s->waiting[i].since;
        }
        /* Servicing: the drains and revokes in force, each VM's time without a VF. */
        return manager_servicing_load(m, s);
}

int manager_startup(Manager *m) {
        int r;

        r = manager_reload_config(m);
        if (r < 0)
                return r;
        r = load_state(m);
        if (r < 0)
                return r;
        r = manager_refresh(m);
        if (r < 0)
                return r;
        r = manager_health_start(m);
        if (r < 0)
                return r;
        /* Can changes be saved at all? If not: serve reads, refuse changes, retry. The
         * journal replayed at load is folded into state.json here. */
        m->compact_wanted = true;
        (void) manager_save_now(m);
        if (m->enabled && !config_find_intent(m->config, m->intent)) {
                log_warning("Management is enabled on intent '%s', which is no longer configured.", m->intent);
                note_list_add(&m->notes, "intent", strempty(m->intent), PREREQ_WARNING, AN_ERROR_INTENT_NOT_FOUND,
                              "Management is enabled on intent '%s', which %s/intents.d no longer defines; the "
                              "adapters provisioned before are still used.", m->intent, m->config_dir);
        }
        /* Declarative: what the plan says is what the VF counts become (after a reboot they
         * are 0); the VMs get their VFs back once libvirt is read and the VFs exist. */
        manager_provision_plan(m, "start");
        r = manager_virt_connect(m);
        if (r < 0)
                return r;
        r = sd_event_add_time_relative(m->event, &m->refresh_timer, CLOCK_MONOTONIC, MANAGER_REFRESH_USEC,
                                       1000000ULL, on_refresh_timer, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(m->refresh_timer, "refresh");
        r = cluster_node_start(m->cluster);
        if (r < 0)
                return r;
        /* Reconciled and saved before the bus name is taken: the first caller sees it. */
        manager_dirty(m, DIRTY_PROPERTIES);
        manager_flush(m);
        return 0;
}
