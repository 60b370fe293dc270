/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Enable, Set and Disable: the node-level management of DESIGN §2, and the plan it keeps
 * (which adapters, how many VFs). Management is declarative: the plan is re-provisioned at
 * every start and whenever an adapter of it lost its VFs (manager_provision_plan). */
#include <inttypes.h>
#include <stdio.h>

#include "cluster-node.h"
#include "operation.h"
#include "pf.h"
#include "plan.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strutil.h"
#include "vm.h"

/* ---- snapshots ------------------------------------------------------------------------ */

int plan_snapshot_take(const Manager *m, PlanSnapshot *ret) {
        *ret = (PlanSnapshot){ .enabled = m->enabled, .reserve = m->reserve };
        if ((m->intent && !(ret->intent = strdup(m->intent))) ||
            (m->n_pfs && !(ret->pfs = calloc(m->n_pfs, sizeof(PlanPf))))) {
                plan_snapshot_done(ret);
                return -ENOMEM;
        }
        for (size_t i = 0; i < m->n_pfs; i++) {
                const Pf *pf = m->pfs[i];
                PlanPf *p = &ret->pfs[ret->n++];
                *p = (PlanPf){ .planned = pf->planned, .want = pf->want, .numvfs_before = pf->numvfs_before,
                               .status = pf->status };
                snprintf(p->address, sizeof p->address, "%s", pf->address);
        }
        return 0;
}

void plan_snapshot_restore(Manager *m, const PlanSnapshot *s) {
        char *intent = s->intent ? strdup(s->intent) : NULL;
        if (s->intent && !intent) {
                log_oom();
                return;
        }
        free(m->intent);
        m->intent = intent;
        m->enabled = s->enabled;
        m->reserve = s->reserve;
        for (size_t i = 0; i < m->n_pfs; i++) {
                Pf *pf = m->pfs[i];
                const PlanPf *p = NULL;
                for (size_t k = 0; k < s->n && !p; k++)
                        if (streq(s->pfs[k].address, pf->address))
                                p = &s->pfs[k];
                pf->planned = p && p->planned;
                pf->want = p ? p->want : 0;
                pf->numvfs_before = p ? p->numvfs_before : 0;
                pf->status = p ? p->status : PROVISION_DONE;
        }
        manager_dirty(m, DIRTY_STATE | DIRTY_PROPERTIES);
}

void plan_snapshot_done(PlanSnapshot *s) {
        free(s->intent);
        free(s->pfs);
        *s = (PlanSnapshot){};
}

/* ---- a management change without a worker ---------------------------------------------- */

typedef struct PlanJob {
        PlanSnapshot before, ahead;
        char *what;
} PlanJob;

static void plan_job_free(void *p) {
        PlanJob *j = p;
        if (!j)
                return;
        plan_snapshot_done(&j->before);
        plan_snapshot_done(&j->ahead);
        free(j->what);
        free(j);
}

static void plan_job_finish(Operation *o, void *p) {
        PlanJob *j = p;
        Manager *m = o->manager;
        m->management_op = NULL;
        if (m->enabled)
                log_struct(LOG_NOTICE, MESSAGE_ID_MANAGEMENT_ENABLED, NULL, NULL, NULL,
                           "Accelerated Networking management on intent '%s' with node reserve %u%% (%s): %u VFs, "
                           "%u usable.", m->intent, m->reserve, j->what, manager_capacity_vfs(m), manager_usable_vfs(m));
        else
                log_struct(LOG_NOTICE, MESSAGE_ID_MANAGEMENT_DISABLED, NULL, NULL, NULL,
                           "Accelerated Networking management disabled (was intent '%s'); VFs and VM configuration "
                           "left as they are.", strempty(j->before.intent));
}

static void plan_job_undo(Operation *o, void *p) {
        PlanJob *j = p;
        o->manager->management_op = NULL;
        plan_snapshot_restore(o->manager, &j->before);
}

static const OperationType plan_type = {
        .name = "management",
        .kind = OP_KIND_MANAGEMENT,
        .finish = plan_job_finish,
        .undo = plan_job_undo,
        .free_job = plan_job_free,
};

static void plan_commit(Manager *m, PlanSnapshot *before, const char *what, Completion c) {
        AnStatus st = AN_STATUS_OK;
        PlanJob *j = calloc(1, sizeof *j);
        Operation *o = NULL;

        if (!j || !(j->what = strdup(what))) {
                free(j);
                plan_snapshot_restore(m, before);
                plan_snapshot_done(before);
                return completion_fail(&c, -ENOMEM, "Out of memory.");
        }
        j->before = *before;
        *before = (PlanSnapshot){};
        if (operation_new(m, &plan_type, j, what, c, &o, &st) < 0) {
                plan_snapshot_restore(m, &j->before);
                plan_job_free(j);
                return completion_done(&c, &st);
        }
        m->management_op = o;
        manager_dirty(m, DIRTY_STATE | DIRTY_PROPERTIES);
}

/* ---- the plan of an intent ------------------------------------------------------------ */

typedef struct Plan {
        const Intent *intent;
        Pf **pfs;
        size_t n;
        unsigned capacity;         /* VFs once provisioned */
} Plan;

static void plan_done(Plan *p) {
        free(p->pfs);
        *p = (Plan){};
}

/* Which of the intent's adapters can be used. With `notes`, skipped adapters are recorded
 * for GetPrerequisites. */
static int plan_intent(Manager *m, const char *name, Plan *plan, bool notes, AnStatus *st) {
        const Intent *in = config_find_intent(m->config, name);
        AnStatus first = { .r = 0 };

        *plan = (Plan){};
        if (!in) {
                StrBuf known = {};
                for (size_t i = 0; i < m->config->n_intents; i++)
                        strbuf_appendf(&known, "%s%s", i ? ", " : "", m->config->intents[i].name);
                an_status_set(st, -AN_ERROR_INTENT_NOT_FOUND, "Intent '%s' was not found in %s/intents.d (%s%s).", name,
                              m->config_dir, known.len ? "known: " : "none is configured", known.len ? known.s : "");
                strbuf_done(&known);
                return st->r;
        }
        if (!(in->types & INTENT_TYPE_COMPUTE))
                return an_status_set(st, -AN_ERROR_INTENT_TYPE_CHECK_FAILED,
                                     "Intent '%s' (%s) does not have the compute type: %s", in->name, in->source,
                                     an_error_remedy(AN_ERROR_INTENT_TYPE_CHECK_FAILED));
        plan->intent = in;
        if (notes)
                note_list_clear(&m->plan_notes, "intent");
        for (size_t i = 0; i < in->n_adapters; i++) {
                const char *a = in->adapters[i];
                Pf *pf = manager_find_pf(m, a);
                if (!pf || !pf->present) {
                        if (first.r == 0)
                                an_status_set(&first, -AN_ERROR_SRIOV_SUPPORT_UNKNOWN,
                                              "Adapter '%s' of intent '%s' is not an SR-IOV network adapter of this "
                                              "host (see 'accelnetctl adapters').", a, in->name);
                        if (notes)
                                note_list_add(&m->plan_notes, "intent", a, PREREQ_FAILED, AN_ERROR_SRIOV_SUPPORT_UNKNOWN,
                                              "Adapter '%s' of intent '%s' was not found on this host: skipped.", a,
                                              in->name);
                        continue;
                }
                if (pf->verdict != SRIOV_SUPPORTED) {
                        AnError e = sriov_support_to_error(pf->verdict);
                        const char *reason = "";
                        for (size_t k = 0; k < m->host->n_adapters; k++)
                                if (streq(m->host->adapters[k].address, pf->address))
                                        reason = m->prereq->reasons[k];
                        if (first.r == 0)
                                an_status_set(&first, -(int) e, "Adapter %s%s%s%s: %s %s", pf->address,
                                              pf->ifname ? " (" : "", strempty(pf->ifname), pf->ifname ? ")" : "",
                                              an_error_message(e), reason);
                        if (notes) {
                                log_struct(LOG_WARNING, MESSAGE_ID_POLICY_DENIED, pf->address, NULL, NULL,
                                           "Adapter %s of intent '%s' is %s: skipped.", pf->address, in->name,
                                           sriov_support_to_string(pf->verdict));
                                note_list_add(&m->plan_notes, "intent", pf->address, PREREQ_FAILED, e,
                                              "Adapter of intent '%s' skipped (%s): %s", in->name,
                                              sriov_support_to_string(pf->verdict), reason);
                        }
                        continue;
                }
                bool dup = false;
                for (size_t k = 0; k < plan->n; k++)
                        dup = dup || plan->pfs[k] == pf;
                if (dup)
                        continue;
                Pf **v = realloc(plan->pfs, sizeof(Pf *) * (plan->n + 1));
                if (!v) {
                        plan_done(plan);
                        return an_status_set(st, -ENOMEM, "Out of memory.");
                }
                plan->pfs = v;
                plan->pfs[plan->n++] = pf;
                plan->capacity += pf->total_vfs;
        }
        if (plan->n == 0) {
                if (first.r == 0)
                        an_status_set(&first, -AN_ERROR_SRIOV_SUPPORT_UNKNOWN, "Intent '%s' lists no adapters.", in->name);
                *st = first;
                plan_done(plan);
                return st->r;
        }
        if (!m->prereq->host_ok) {
                StrBuf why = {};
                for (size_t i = 0; i < m->prereq->n_rows; i++) {
                        const PrereqRow *row = &m->prereq->rows[i];
                        if (streq(row->subject, "host") && row->result == PREREQ_FAILED && !streq(row->check, "adapters"))
                                strbuf_appendf(&why, " %s", row->detail);
                }
                an_status_set(st, -AN_ERROR_ACCELNET_NOT_SUPPORTED, "%s%s",
                              an_error_message(AN_ERROR_ACCELNET_NOT_SUPPORTED), why.s ? why.s : "");
                strbuf_done(&why);
                plan_done(plan);
                return st->r;
        }
        return 0;
}

static bool plan_has(const Plan *plan, const Pf *pf) {
        for (size_t k = 0; k < plan->n; k++)
                if (plan->pfs[k] == pf)
                        return true;
        return false;
}

/* Everything that must hold before the plan may change: nothing else in flight, no VM left
 * on an adapter the plan drops, no VF count changed under VFs in use, and enough VFs for
 * the VMs that hold one. */
static int plan_check(Manager *m, const Plan *plan, uint32_t reserve, AnStatus *st) {
        Vm *vm;

        if (m->management_op)
                return an_status_set(st, -AN_ERROR_BUSY, "Another management change is in progress (%s).",
                                     m->management_op->type->name);
        if (operation_count(m) > 0)
                return an_status_set(st, -AN_ERROR_BUSY,
                                     "%u VM operation(s) are in progress; retry when they are done.", operation_count(m));
        HASHMAP_FOREACH(vm, m->vms) {
                if (!vm->has_record)
                        continue;
                Pf *pf = manager_find_pf(m, vm->record.pf);
                if (!pf || !plan_has(plan, pf))
                        return an_status_set(st, -AN_ERROR_BUSY,
                                             "VM %s holds VF %s of %s, which intent '%s' does not include: disable "
                                             "acceleration on it first ('accelnetctl vm disable %s').", vm->name,
                                             vm->record.vf, vm->record.pf, plan->intent->name, vm->name);
        }
        for (size_t i = 0; i < plan->n; i++) {
                Pf *pf = plan->pfs[i];
                if (pf->num_vfs == pf->total_vfs || pf->num_vfs == 0)
                        continue;
                _cleanup_free_ char *h = pf_describe_holders(pf);
                if (!isempty(h))
                        return an_status_set(st, -AN_ERROR_BUSY,
                                             "%s has %u VFs, %u are wanted, and its VFs are in use by %s: sriov_numvfs "
                                             "cannot change while VFs are in use. Release them first.", pf->address,
                                             pf->num_vfs, pf->total_vfs, h);
        }
        /* In a cluster the reserve is counted in nodes and judged cluster-wide (view.c). */
        unsigned usable = (unsigned) ((uint64_t) plan->capacity * (100 - reserve) / 100);
        unsigned assigned = manager_assigned_vfs(m);
        if (!manager_clustered(m) && assigned > usable)
                return an_status_set(st, -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES,
                                     "%u VFs are assigned to VMs but %u VFs with a node reserve of %" PRIu32 "%% leave "
                                     "only %u usable. Disable acceleration on %u VM(s) first or choose a lower reserve.",
                                     assigned, plan->capacity, reserve, usable, assigned - usable);
        return 0;
}

/* Puts the plan in force (the caller took the snapshot) and provisions what needs it. */
static void plan_apply(Manager *m, const Plan *plan, const char *intent, uint32_t reserve, const char *what,
                       bool revert_on_failure, PlanSnapshot *before, Completion c) {
        _cleanup_free_ Pf **todo = calloc(plan->n ? plan->n : 1, sizeof(Pf *));
        size_t n = 0;
        char *ni = strdup(intent);

        if (!todo || !ni) {
                free(ni);
                plan_snapshot_done(before);
                return completion_fail(&c, -ENOMEM, "Out of memory.");
        }
        free(m->intent);
        m->intent = ni;
        m->enabled = true;
        m->reserve = reserve;
        for (size_t i = 0; i < m->n_pfs; i++) {
                Pf *pf = m->pfs[i];
                bool in = plan_has(plan, pf);
                if (in && !pf->planned)
                        pf->numvfs_before = pf->num_vfs;
                if (!in && pf->planned)
                        log_struct(LOG_INFO, NULL, pf->address, NULL, NULL,
                                   "%s leaves the plan (intent '%s'); its %u VFs are left as they are.", pf->address,
                                   intent, pf->num_vfs);
                pf->planned = in;
                pf->want = in ? pf->total_vfs : 0;
                pf->status = PROVISION_DONE;
                pf->error = mfree(pf->error);
                if (in && pf->num_vfs != pf->want)
                        todo[n++] = pf;
        }
        m->reconcile_wanted = true; /* every VF in a domain's XML is known before one is handed out */
        manager_dirty(m, DIRTY_STATE | DIRTY_PROPERTIES | DIRTY_VFS);
        if (n > 0)
                pf_provision(m, todo, n, what, revert_on_failure, before, c);
        else
                plan_commit(m, before, what, c);
}

/* Enable and Set alike: the intent's plan, checked, then put in force. */
static void plan_change(Manager *m, const char *intent, uint32_t reserve, const char *what, bool revert_on_failure,
                        Completion c) {
        AnStatus st = AN_STATUS_OK;
        PlanSnapshot before;
        Plan plan;

        if (plan_intent(m, intent, &plan, false, &st) < 0)
                return completion_done(&c, &st);
        int r = plan_check(m, &plan, reserve, &st);
        plan_done(&plan);
        if (r < 0)
                return completion_done(&c, &st);
        if (plan_snapshot_take(m, &before) < 0)
                return completion_fail(&c, -ENOMEM, "Out of memory.");
        (void) plan_intent(m, intent, &plan, true, &st); /* again, recording the skipped adapters */
        plan_apply(m, &plan, intent, reserve, what, revert_on_failure, &before, c);
        plan_done(&plan);
}

/* In a cluster: whether this node can use the intent (the origin of a change checks its
 * own; every node reports what it could not do). */
static int cluster_intent_usable(Manager *m, const char *intent, AnStatus *st) {
        Plan plan;
        if (plan_intent(m, intent, &plan, false, st) < 0)
                return st->r;
        plan_done(&plan);
        return 0;
}

/* ---- the methods ---------------------------------------------------------------------- */

/* Enable's reserve: RESERVE_KEEP stands for accelnet.json's node_reserve_default. */
static uint32_t enable_reserve(const Manager *m, uint32_t reserve) {
        return reserve == RESERVE_KEEP ? m->config->settings.default_node_reserve : reserve;
}

bool manager_enable_is_noop(Manager *m, const char *intent, uint32_t reserve) {
        return m->enabled && streq_ptr(m->intent, intent) && m->reserve == enable_reserve(m, reserve);
}

void manager_enable(Manager *m, const char *intent, uint32_t reserve, Completion c) {
        AnStatus st = AN_STATUS_OK;

        reserve = enable_reserve(m, reserve);
        if (manager_check_intent_arg(intent, &st) < 0 || manager_check_reserve_arg(reserve, &st) < 0 ||
            manager_check_writable(m, &st) < 0)
                return completion_done(&c, &st);
        if (manager_clustered(m)) {
                /* The intent must be usable here; the rest is judged cluster-wide in agreed order. */
                if (cluster_intent_usable(m, intent, &st) < 0)
                        return completion_done(&c, &st);
                return cluster_node_settings(m->cluster, CLUSTER_OP_ENABLE, intent, reserve, c);
        }
        if (manager_enable_is_noop(m, intent, reserve))
                return completion_done(&c, &st);
        if (!m->management_op)
                (void) manager_refresh(m); /* the VF counts as they are now, not 30 s ago */
        if (m->enabled)
                return completion_fail(&c, -AN_ERROR_ALREADY_ENABLED,
                                       "Accelerated Networking is already enabled on intent '%s' with node reserve "
                                       "%u%%. To change it use Set ('accelnetctl set --intent %s --node-reserve %" PRIu32
                                       "').", m->intent, m->reserve, intent, reserve);
        plan_change(m, intent, reserve, "enable", true, c);
}

bool manager_set_is_noop(Manager *m, const char *intent, uint32_t reserve) {
        return m->enabled && (isempty(intent) || streq_ptr(m->intent, intent)) &&
               (reserve == RESERVE_KEEP || reserve == m->reserve);
}

void manager_set(Manager *m, const char *intent, uint32_t reserve, Completion c) {
        AnStatus st = AN_STATUS_OK;

        if ((!isempty(intent) && manager_check_intent_arg(intent, &st) < 0) ||
            (reserve != RESERVE_KEEP && manager_check_reserve_arg(reserve, &st) < 0) ||
            manager_check_writable(m, &st) < 0)
                return completion_done(&c, &st);
        if (manager_clustered(m)) {
                if (!isempty(intent) && cluster_intent_usable(m, intent, &st) < 0)
                        return completion_done(&c, &st);
                return cluster_node_settings(m->cluster, CLUSTER_OP_SET, intent, reserve, c);
        }
        if (!m->enabled)
                return completion_fail(&c, -AN_ERROR_NOT_ENABLED, "%s %s", an_error_message(AN_ERROR_NOT_ENABLED),
                                       an_error_remedy(AN_ERROR_NOT_ENABLED));
        if (manager_set_is_noop(m, intent, reserve))
                return completion_done(&c, &st);
        if (!m->management_op)
                (void) manager_refresh(m);
        _cleanup_free_ char *ni = strdup(isempty(intent) ? m->intent : intent);
        uint32_t nr = reserve == RESERVE_KEEP ? m->reserve : reserve;
        if (!ni)
                return completion_fail(&c, -ENOMEM, "Out of memory.");
        plan_change(m, ni, nr, "set", false, c);
}

bool manager_disable_is_noop(Manager *m) {
        return !m->enabled;
}

static void disable_here(Manager *m, Completion c);

void manager_disable(Manager *m, Completion c) {
        AnStatus st = AN_STATUS_OK;

        if (manager_check_writable(m, &st) < 0)
                return completion_done(&c, &st);
        if (manager_clustered(m))
                return cluster_node_settings(m->cluster, CLUSTER_OP_DISABLE, NULL, RESERVE_KEEP, c);
        disable_here(m, c);
}

static void disable_here(Manager *m, Completion c) {
        AnStatus st = AN_STATUS_OK;
        PlanSnapshot before;

        if (!m->enabled)
                return completion_done(&c, &st);
        if (m->management_op)
                return completion_fail(&c, -AN_ERROR_BUSY, "Another management change is in progress (%s).",
                                       m->management_op->type->name);
        if (operation_count(m) > 0)
                return completion_fail(&c, -AN_ERROR_BUSY,
                                       "%u VM operation(s) are in progress; retry when they are done.", operation_count(m));
        if (plan_snapshot_take(m, &before) < 0)
                return completion_fail(&c, -ENOMEM, "Out of memory.");
        /* Stops managing; VFs, the VMs' settings and their records stay (DESIGN §2): enabling
         * again finds them. */
        m->enabled = false;
        m->intent = mfree(m->intent);
        for (size_t i = 0; i < m->n_pfs; i++) {
                m->pfs[i]->planned = false;
                m->pfs[i]->want = 0;
                m->pfs[i]->status = PROVISION_DONE;
        }
        note_list_clear(&m->plan_notes, NULL);
        /* nothing is handed out now: the waiting VMs stop waiting */
        manager_dirty(m, DIRTY_STATE | DIRTY_PROPERTIES | DIRTY_HANDOUT);
        plan_commit(m, &before, "disable", c);
}

void manager_apply_settings(Manager *m, bool enabled, const char *intent, unsigned reserve, Completion c) {
        AnStatus st = AN_STATUS_OK;

        if (manager_check_writable(m, &st) < 0)
                return completion_done(&c, &st);
        if (!enabled)
                return disable_here(m, c);
        if (m->enabled && streq_ptr(m->intent, intent) && m->reserve == reserve)
                return completion_done(&c, &st);
        if (!m->management_op)
                (void) manager_refresh(m);
        plan_change(m, intent, reserve, m->enabled ? "set" : "enable", !m->enabled, c);
}

/* ---- declarative: the plan is what the VF counts become ------------------------------- */

void manager_provision_plan(Manager *m, const char *why) {
        _cleanup_free_ Pf **todo = NULL;
        PlanSnapshot before;
        size_t n = 0;

        if (!m->enabled || m->management_op || m->save_error < 0)
                return;
        todo = calloc(m->n_pfs ? m->n_pfs : 1, sizeof(Pf *));
        if (!todo)
                return;
        for (size_t i = 0; i < m->n_pfs; i++) {
                Pf *pf = m->pfs[i];
                if (pf->planned && pf->num_vfs == pf->want && pf->status == PROVISION_PENDING) {
                        /* Written before a crash that came before the record of it. */
                        pf->status = PROVISION_DONE;
                        manager_dirty(m, DIRTY_STATE | DIRTY_PROPERTIES);
                }
                if (!pf->planned || !pf->present || pf->verdict != SRIOV_SUPPORTED || pf->num_vfs == pf->want)
                        continue;
                if (pf->status == PROVISION_FAILED && !streq(why, "start"))
                        continue; /* failed before: retried at the next start, not every refresh */
                if (pf->num_vfs != 0) {
                        _cleanup_free_ char *h = pf_describe_holders(pf);
                        if (!isempty(h)) {
                                note_list_clear(&m->plan_notes, "provision");
                                note_list_add(&m->plan_notes, "provision", pf->address, PREREQ_FAILED,
                                              AN_ERROR_BUSY, "%s has %u VFs, the plan says %u, and they are in use by "
                                              "%s: left as it is.", pf->address, pf->num_vfs, pf->want, h);
                                continue;
                        }
                }
                todo[n++] = pf;
        }
        if (n == 0 || plan_snapshot_take(m, &before) < 0)
                return;
        pf_provision(m, todo, n, why, false, &before, COMPLETION_NONE);
}
