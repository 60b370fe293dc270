/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Enable, Set and Disable: the node-level management of DESIGN §2. */
#include <inttypes.h>
#include <stdio.h>

#include "manager.h"
#include "operation.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strutil.h"
#include "sriov/numvfs.h"

#define RESERVE_KEEP UINT32_MAX

typedef struct PlanItem {
        char pf[PCI_ADDR_STRLEN];
        unsigned want, current;
} PlanItem;

typedef struct Plan {
        const Intent *intent;
        PlanItem *items;
        size_t n_items;
        unsigned capacity;         /* VFs once provisioned */
} Plan;

static void plan_done(Plan *p) {
        free(p->items);
        *p = (Plan){};
}

/* Which of the intent's adapters can be used, and what to provision on them. With
 * `notes`, skipped adapters are recorded for GetPrerequisites. */
static int plan_intent(Manager *m, const char *name, Plan *plan, bool notes, AnStatus *st) {
        const Intent *in = config_find_intent(m->config, name);
        AnStatus first = { .r = 0 };

        *plan = (Plan){};
        if (!in) {
                StrBuf known = {};
                for (size_t i = 0; i < m->config->n_intents; i++)
                        strbuf_appendf(&known, "%s%s", i ? ", " : "", m->config->intents[i].name);
                an_status_set(st, -AN_ERROR_INTENT_NOT_FOUND, "Intent '%s' was not found in %s/intents.d (%s%s).",
                              name, m->config_dir, known.len ? "known: " : "none is configured",
                              known.len ? known.s : "");
                strbuf_done(&known);
                return st->r;
        }
        if (!(in->types & INTENT_TYPE_COMPUTE)) {
                an_status_set(st, -AN_ERROR_INTENT_TYPE_CHECK_FAILED,
                              "Intent '%s' (%s) does not have the compute type: %s", in->name, in->source,
                              an_error_remedy(AN_ERROR_INTENT_TYPE_CHECK_FAILED));
                return st->r;
        }
        plan->intent = in;
        if (notes) {
                notes_free(m->enable_notes, m->n_enable_notes);
                m->enable_notes = NULL;
                m->n_enable_notes = 0;
        }
        for (size_t i = 0; i < in->n_adapters; i++) {
                const char *a = in->adapters[i];
                const PfFacts *f = NULL;
                size_t idx = 0;
                for (size_t k = 0; k < m->host->n_adapters; k++)
                        if (streq(m->host->adapters[k].address, a) || streq_ptr(m->host->adapters[k].ifname, a)) {
                                f = &m->host->adapters[k];
                                idx = k;
                        }
                if (!f) {
                        if (first.r == 0)
                                an_status_set(&first, -AN_ERROR_SRIOV_SUPPORT_UNKNOWN,
                                              "Adapter '%s' of intent '%s' is not an SR-IOV network adapter of this "
                                              "host (see 'accelnetctl adapters').", a, in->name);
                        if (notes)
                                manager_add_note(m, &m->enable_notes, &m->n_enable_notes, "intent", a, PREREQ_FAILED,
                                                 AN_ERROR_SRIOV_SUPPORT_UNKNOWN,
                                                 "Adapter '%s' of intent '%s' was not found on this host: skipped.", a,
                                                 in->name);
                        continue;
                }
                SriovSupport v = m->prereq->verdicts[idx];
                if (v != SRIOV_SUPPORTED) {
                        AnError e = sriov_support_to_error(v);
                        if (first.r == 0)
                                an_status_set(&first, -(int) e, "Adapter %s%s%s%s: %s %s", f->address,
                                              f->ifname ? " (" : "", strempty(f->ifname), f->ifname ? ")" : "",
                                              an_error_message(e), m->prereq->reasons[idx]);
                        if (notes) {
                                log_struct(LOG_WARNING, MESSAGE_ID_POLICY_DENIED, f->address, NULL, NULL,
                                           "Adapter %s of intent '%s' is %s: skipped.", f->address, in->name,
                                           sriov_support_to_string(v));
                                manager_add_note(m, &m->enable_notes, &m->n_enable_notes, "intent", f->address,
                                                 PREREQ_FAILED, e, "Adapter of intent '%s' skipped (%s): %s", in->name,
                                                 sriov_support_to_string(v), m->prereq->reasons[idx]);
                        }
                        continue;
                }
                bool dup = false;
                for (size_t k = 0; k < plan->n_items; k++)
                        if (streq(plan->items[k].pf, f->address))
                                dup = true;
                if (dup)
                        continue;
                PlanItem *ni = realloc(plan->items, sizeof(PlanItem) * (plan->n_items + 1));
                if (!ni)
                        return -ENOMEM;
                plan->items = ni;
                PlanItem *it = &plan->items[plan->n_items++];
                snprintf(it->pf, sizeof it->pf, "%s", f->address);
                it->want = f->sysfs_total_vfs ? f->sysfs_total_vfs : f->total_vfs;
                it->current = f->sysfs_num_vfs;
                plan->capacity += it->want;
        }
        if (plan->n_items == 0) {
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
                an_status_set(st, -AN_ERROR_ACCELNET_NOT_SUPPORTED, "%s%s", an_error_message(AN_ERROR_ACCELNET_NOT_SUPPORTED),
                              why.s ? why.s : "");
                strbuf_done(&why);
                plan_done(plan);
                return st->r;
        }
        return 0;
}

/* Who holds VFs of `pf`: our assignments and VFIO-bound VFs. Empty string when none. */
static char *pf_holders(Manager *m, const char *pf, unsigned numvfs) {
        StrBuf b = {};
        for (size_t i = 0; i < m->state->n_vms; i++)
                if (streq(m->state->vms[i].pf, pf))
                        strbuf_appendf(&b, "%sVM %s (%s)", b.len ? ", " : "", m->state->vms[i].vm, m->state->vms[i].vf);
        for (unsigned i = 0; i < numvfs; i++) {
                char vf[PCI_ADDR_STRLEN];
                _cleanup_free_ char *drv = NULL;
                if (pf_vf_address(m->root, pf, i, vf) < 0 || vf_read_driver(m->root, vf, &drv) < 0)
                        continue;
                if (streq(drv, "vfio-pci") && !state_find_vf(m->state, vf))
                        strbuf_appendf(&b, "%s%s bound to vfio-pci (a VM or VFIO user outside accelnet)", b.len ? ", " : "", vf);
        }
        return strbuf_steal(&b);
}

static int plan_check_busy(Manager *m, const Plan *plan, AnStatus *st) {
        for (size_t i = 0; i < plan->n_items; i++) {
                const PlanItem *it = &plan->items[i];
                if (it->current == it->want || it->current == 0)
                        continue;
                _cleanup_free_ char *h = pf_holders(m, it->pf, it->current);
                if (!isempty(h)) {
                        an_status_set(st, -AN_ERROR_BUSY,
                                      "%s has %u VFs, %u are wanted, and its VFs are in use by %s: sriov_numvfs cannot "
                                      "change while VFs are in use. Release them first.",
                                      it->pf, it->current, it->want, h);
                        return st->r;
                }
        }
        return 0;
}

static int check_capacity(Manager *m, unsigned capacity, uint32_t reserve, AnStatus *st) {
        unsigned usable = (unsigned) ((uint64_t) capacity * (100 - reserve) / 100);
        unsigned assigned = manager_assigned_vfs(m);
        if (assigned > usable) {
                an_status_set(st, -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES,
                              "%u VFs are assigned to VMs but %u VFs with a node reserve of %" PRIu32 "%% leave only %u "
                              "usable. Disable acceleration on %u VM(s) first or choose a lower reserve.",
                              assigned, capacity, reserve, usable, assigned - usable);
                return st->r;
        }
        return 0;
}

/* VMs on adapters that a new intent would drop. */
static int check_leaving(Manager *m, const Plan *plan, AnStatus *st) {
        for (size_t i = 0; i < m->state->n_vms; i++) {
                const Assignment *a = &m->state->vms[i];
                bool kept = false;
                for (size_t k = 0; k < plan->n_items; k++)
                        if (streq(plan->items[k].pf, a->pf))
                                kept = true;
                if (!kept) {
                        an_status_set(st, -AN_ERROR_BUSY,
                                      "VM %s uses VF %s of %s, which intent '%s' does not include: disable acceleration "
                                      "on it first.", a->vm, a->vf, a->pf, plan->intent->name);
                        return st->r;
                }
        }
        return 0;
}

int manager_enable_check(Manager *m, const char *intent, uint32_t reserve, bool *ret_changes, AnStatus *st) {
        Plan plan;
        int r;

        if (manager_check_intent_arg(intent, st) < 0 || manager_check_reserve_arg(reserve, st) < 0)
                return st->r;
        r = plan_intent(m, intent, &plan, false, st);
        if (r < 0)
                return r;
        if (m->management_busy) {
                plan_done(&plan);
                an_status_set(st, -AN_ERROR_BUSY, "Another Enable, Set or Disable is in progress.");
                return st->r;
        }
        bool same = m->state->enabled && streq_ptr(m->state->intent, intent) && m->state->node_reserve == reserve;
        bool provisioned = true;
        for (size_t i = 0; i < plan.n_items; i++)
                if (plan.items[i].current != plan.items[i].want || !state_find_pf(m->state, plan.items[i].pf))
                        provisioned = false;
        *ret_changes = !(same && provisioned);
        r = plan_check_busy(m, &plan, st);
        if (r >= 0 && m->state->enabled)
                r = check_leaving(m, &plan, st);
        if (r >= 0)
                r = check_capacity(m, plan.capacity, reserve, st);
        plan_done(&plan);
        return r < 0 ? r : 0;
}

typedef struct ProvisionJob {
        Manager *manager;
        char *root;
        const SriovBackend *backend;
        bool autoprobe;
        PlanItem *items;
        int *results;
        size_t n;
        ManagerDone done;
        void *userdata;
        bool reply_on_failure_revert;   /* Enable from disabled: all failed → back to disabled */
        char *what;                     /* "enable" / "set" / "resume" */
} ProvisionJob;

static void provision_job_free(void *p) {
        ProvisionJob *j = p;
        free(j->root);
        free(j->items);
        free(j->results);
        free(j->what);
        free(j);
}

static void provision_work(void *p) {
        ProvisionJob *j = p;
        for (size_t i = 0; i < j->n; i++)
                j->results[i] = pf_set_num_vfs(j->backend, j->root, j->items[i].pf, j->items[i].want, j->autoprobe);
}

static void provision_done(Manager *m, void *p) {
        ProvisionJob *j = p;
        AnStatus st = AN_STATUS_OK;
        size_t ok = 0;
        StrBuf errs = {};

        for (size_t i = 0; i < j->n; i++) {
                ProvisionedPf *pp = state_find_pf(m->state, j->items[i].pf);
                int r = j->results[i];
                if (pp)
                        pp->status = r >= 0 ? PROVISION_DONE : PROVISION_FAILED;
                if (r >= 0) {
                        ok++;
                        log_struct(LOG_INFO, NULL, j->items[i].pf, NULL, NULL, "%s: %u VFs provisioned.", j->items[i].pf,
                                   j->items[i].want);
                        continue;
                }
                const char *why = pf_num_vfs_strerror(r);
                char buf[64];
                if (!why) {
                        snprintf(buf, sizeof buf, "%s", strerror(-r));
                        why = buf;
                }
                strbuf_appendf(&errs, "%s%s: writing %u to sriov_numvfs failed: %s", errs.len ? "; " : "",
                               j->items[i].pf, j->items[i].want, why);
                log_struct(LOG_ERR, NULL, j->items[i].pf, NULL, NULL, "%s: writing %u to sriov_numvfs failed: %s",
                           j->items[i].pf, j->items[i].want, why);
                manager_add_note(m, &m->enable_notes, &m->n_enable_notes, "provision", j->items[i].pf, PREREQ_FAILED,
                                 AN_ERROR_ENABLE_ACCELNET_FAILED, "Writing %u to sriov_numvfs failed: %s.",
                                 j->items[i].want, why);
        }
        if (ok == 0 && j->n > 0) {
                an_status_set(&st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "%s %s.",
                              an_error_message(AN_ERROR_ENABLE_ACCELNET_FAILED), errs.s ? errs.s : "");
                if (j->reply_on_failure_revert) {
                        m->state->enabled = false;
                        m->state->intent = mfree(m->state->intent);
                        state_clear_pfs(m->state);
                }
        }
        strbuf_done(&errs);
        (void) manager_save_state(m);
        (void) manager_refresh(m);
        m->management_busy = false;
        if (st.r >= 0 && m->state->enabled)
                log_struct(LOG_NOTICE, MESSAGE_ID_MANAGEMENT_ENABLED, NULL, NULL, NULL,
                           "Accelerated Networking management enabled on intent '%s' with node reserve %u%% "
                           "(%s): %u VFs, %u usable.",
                           m->state->intent, m->state->node_reserve, j->what, manager_capacity_vfs(m),
                           manager_usable_vfs(m));
        manager_properties_changed(m);
        if (j->done)
                j->done(j->userdata, &st);
}

/* Records the plan in the state (intent first: saved before any write), then writes
 * sriov_numvfs in a worker thread. */
static void provision_start(Manager *m, const Plan *plan, const char *intent, uint32_t reserve, bool revert,
                            const char *what, ManagerDone done, void *userdata) {
        AnStatus st = AN_STATUS_OK;
        ProvisionJob *j = calloc(1, sizeof *j);
        int r;

        if (!j || !(j->items = calloc(plan->n_items, sizeof(PlanItem))) ||
            !(j->results = calloc(plan->n_items, sizeof(int))) || !(j->root = strdup(m->root)) ||
            !(j->what = strdup(what))) {
                if (j)
                        provision_job_free(j);
                an_status_set(&st, -ENOMEM, "Out of memory.");
                done(userdata, &st);
                return;
        }
        memcpy(j->items, plan->items, sizeof(PlanItem) * plan->n_items);
        j->n = plan->n_items;
        j->manager = m;
        j->backend = m->backend;
        j->autoprobe = m->config->settings.vf_autoprobe;
        j->done = done;
        j->userdata = userdata;
        j->reply_on_failure_revert = revert;

        char *ni = strdup(intent);
        if (!ni) {
                provision_job_free(j);
                an_status_set(&st, -ENOMEM, "Out of memory.");
                done(userdata, &st);
                return;
        }
        free(m->state->intent);
        m->state->intent = ni;
        m->state->enabled = true;
        m->state->node_reserve = reserve;
        for (size_t i = 0; i < plan->n_items; i++) {
                ProvisionedPf *pp = state_find_pf(m->state, plan->items[i].pf);
                if (!pp) {
                        ProvisionedPf np = { .numvfs_before = plan->items[i].current, .numvfs = plan->items[i].want,
                                             .status = PROVISION_PENDING };
                        snprintf(np.pf, sizeof np.pf, "%s", plan->items[i].pf);
                        pp = state_add_pf(m->state, &np);
                } else {
                        pp->numvfs = plan->items[i].want;
                        pp->status = PROVISION_PENDING;
                }
        }
        r = manager_save_state(m);
        if (r < 0) {
                provision_job_free(j);
                an_status_set(&st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "Cannot save the state in %s: %s.", m->state_dir,
                              strerror(-r));
                done(userdata, &st);
                return;
        }
        m->management_busy = true;
        r = operation_start(m, what, provision_work, provision_done, j, provision_job_free);
        if (r < 0) {
                m->management_busy = false;
                provision_job_free(j);
                an_status_set(&st, r, r == -AN_ERROR_BUSY ? "Too many operations in progress; retry later."
                                                           : "Cannot start the provisioning: %s", strerror(-r));
                done(userdata, &st);
        }
}

void manager_enable(Manager *m, const char *intent, uint32_t reserve, ManagerDone done, void *userdata) {
        AnStatus st = AN_STATUS_OK;
        bool changes = false;
        Plan plan;

        /* Checked again: the state may have changed while polkit was asked. */
        if (manager_enable_check(m, intent, reserve, &changes, &st) < 0) {
                done(userdata, &st);
                return;
        }
        if (!changes) {
                done(userdata, &st);
                return;
        }
        if (plan_intent(m, intent, &plan, true, &st) < 0) {
                done(userdata, &st);
                return;
        }
        provision_start(m, &plan, intent, reserve, !m->state->enabled, "enable", done, userdata);
        plan_done(&plan);
}

int manager_set_check(Manager *m, const char *intent, uint32_t reserve, bool *ret_changes, AnStatus *st) {
        if (!isempty(intent) && manager_check_intent_arg(intent, st) < 0)
                return st->r;
        if (reserve != RESERVE_KEEP && manager_check_reserve_arg(reserve, st) < 0)
                return st->r;
        if (!m->state->enabled) {
                an_status_set(st, -AN_ERROR_NOT_ENABLED, "%s %s", an_error_message(AN_ERROR_NOT_ENABLED),
                              an_error_remedy(AN_ERROR_NOT_ENABLED));
                return st->r;
        }
        const char *ni = isempty(intent) ? m->state->intent : intent;
        uint32_t nr = reserve == RESERVE_KEEP ? m->state->node_reserve : reserve;
        return manager_enable_check(m, ni, nr, ret_changes, st);
}

void manager_set(Manager *m, const char *intent, uint32_t reserve, ManagerDone done, void *userdata) {
        AnStatus st = AN_STATUS_OK;
        bool changes = false;
        if (manager_set_check(m, intent, reserve, &changes, &st) < 0) {
                done(userdata, &st);
                return;
        }
        _cleanup_free_ char *ni = strdup(isempty(intent) ? m->state->intent : intent);
        uint32_t nr = reserve == RESERVE_KEEP ? m->state->node_reserve : reserve;
        if (!ni) {
                an_status_set(&st, -ENOMEM, "Out of memory.");
                done(userdata, &st);
                return;
        }
        if (!changes) {
                done(userdata, &st);
                return;
        }
        /* Only the reserve changes and the adapters are provisioned: no worker needed. */
        Plan plan;
        if (plan_intent(m, ni, &plan, true, &st) < 0) {
                done(userdata, &st);
                return;
        }
        provision_start(m, &plan, ni, nr, false, "set", done, userdata);
        plan_done(&plan);
}

int manager_disable_check(Manager *m, bool *ret_changes, AnStatus *st) {
        if (m->management_busy) {
                an_status_set(st, -AN_ERROR_BUSY, "Another Enable, Set or Disable is in progress.");
                return st->r;
        }
        if (m->n_busy_vms > 0) {
                an_status_set(st, -AN_ERROR_BUSY, "%zu VM operation(s) are in progress (e.g. on %s); retry when they are done.",
                              m->n_busy_vms, m->busy_vms[0]);
                return st->r;
        }
        *ret_changes = m->state->enabled;
        return 0;
}

void manager_disable(Manager *m, ManagerDone done, void *userdata) {
        AnStatus st = AN_STATUS_OK;
        bool changes = false;
        _cleanup_free_ char *old = NULL;

        if (manager_disable_check(m, &changes, &st) < 0 || !changes) {
                done(userdata, &st);
                return;
        }
        /* Stops tracking; VFs and VM configuration stay as they are (DESIGN §2). */
        old = TAKE_PTR(m->state->intent);
        m->state->enabled = false;
        state_clear_pfs(m->state);
        while (m->state->n_vms > 0)
                state_remove_vm(m->state, m->state->vms[0].vm);
        if (manager_save_state(m) < 0) {
                an_status_set(&st, -EIO, "Cannot save the state in %s.", m->state_dir);
                done(userdata, &st);
                return;
        }
        notes_free(m->enable_notes, m->n_enable_notes);
        m->enable_notes = NULL;
        m->n_enable_notes = 0;
        log_struct(LOG_NOTICE, MESSAGE_ID_MANAGEMENT_DISABLED, NULL, NULL, NULL,
                   "Accelerated Networking management disabled (was intent '%s'); VFs and VM configuration left as they are.",
                   strempty(old));
        manager_properties_changed(m);
        done(userdata, &st);
}

/* After a crash: provisioning that was under way is finished (the admin asked for it). */
static void resume_done(void *userdata, const AnStatus *st) {
        if (st->r < 0)
                log_warning("Resuming the interrupted provisioning failed: %s", st->message);
}

int manager_resume_provisioning(Manager *m) {
        Plan plan = {};
        bool pending = false;

        if (!m->state->enabled)
                return 0;
        for (size_t i = 0; i < m->state->n_pfs; i++) {
                ProvisionedPf *p = &m->state->pfs[i];
                if (p->status != PROVISION_PENDING)
                        continue;
                unsigned cur = 0;
                if (pf_read_num_vfs(m->root, p->pf, &cur, NULL) >= 0 && cur == p->numvfs) {
                        p->status = PROVISION_DONE;
                        continue;
                }
                PlanItem *ni = realloc(plan.items, sizeof(PlanItem) * (plan.n_items + 1));
                if (!ni) {
                        plan_done(&plan);
                        return -ENOMEM;
                }
                plan.items = ni;
                PlanItem *it = &plan.items[plan.n_items++];
                snprintf(it->pf, sizeof it->pf, "%s", p->pf);
                it->want = p->numvfs;
                it->current = cur;
                pending = true;
        }
        if (!pending) {
                plan_done(&plan);
                return manager_save_state(m);
        }
        log_notice("Resuming provisioning interrupted by a restart (%zu adapter(s)).", plan.n_items);
        _cleanup_free_ char *intent = strdup(m->state->intent ? m->state->intent : "");
        provision_start(m, &plan, intent ? intent : "", m->state->node_reserve, false, "resume", resume_done, NULL);
        plan_done(&plan);
        return 0;
}
