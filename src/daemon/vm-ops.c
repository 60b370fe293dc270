/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The model of EnableVM, SetVM and DisableVM: check on the loop thread, reserve and save,
 * then netlink and libvirt in a worker, then finish on the loop thread. */
#include <stdio.h>

#include "manager.h"
#include "operation.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strutil.h"
#include "virt/virt.h"
#include "vms-internal.h"

#define DETACH_TIMEOUT_USEC (10ULL * 1000000ULL)

typedef enum JobKind { JOB_ENABLE, JOB_DISABLE, JOB_RATES } JobKind;

typedef struct VmJob {
        Manager *m;
        JobKind kind;
        const SriovBackend *backend;   /* copies for the worker's own VF handle */
        char *root;
        char *vm;
        /* the VF */
        char vf[PCI_ADDR_STRLEN], pf[PCI_ADDR_STRLEN], pf_ifname[16];
        unsigned index;
        Tier tier, old_tier;
        bool rates_required;
        VfPolicy policy;
        VfPolicy old_policy;        /* JOB_RATES: what to go back to when the new one fails */
        VfSettings saved;
        char mac[18], alias[64];
        unsigned vlan;
        /* results */
        AnStatus st;
        bool live, pending_detach;
        char live_note[320];
        char warnings[512];
        ManagerDone done;
        void *userdata;
} VmJob;

static void vm_job_free(void *p) {
        VmJob *j = p;
        free(j->vm);
        free(j->root);
        free(j);
}

int vm_restore_vf(VfNetlink *nl, const char *pf_ifname, unsigned index, const VfSettings *saved) {
        VfPolicy p;
        VfApplyResult res = {};
        int r;

        if (!saved->valid)
                return 0;
        vf_settings_to_policy(saved, &p);
        r = vf_policy_apply(nl, pf_ifname, index, &p, &res);
        return r == -EOPNOTSUPP ? 0 : r;
}

/* Applies the policy; decides per attribute whether a failure is a warning or fatal. */
static int apply_policy(VmJob *j, VfNetlink *nl) {
        VfApplyResult res = {};
        StrBuf w = {};
        int r;

        r = vf_policy_apply(nl, j->pf_ifname, j->index, &j->policy, &res);
        if (r == -EINVAL && res.result[VF_ATTR_MAC] == 0 && res.result[VF_ATTR_VLAN] == 0 &&
            res.result[VF_ATTR_RATE] == -EINVAL)
                r = -EOPNOTSUPP; /* a rate the driver refuses is like one it does not support */
        bool none_sent = true;
        for (int a = 0; a < _VF_ATTR_MAX; a++)
                if (res.result[a] != 0)
                        none_sent = false;
        if (r < 0 && none_sent) { /* refused before anything was sent: a bad PF name or policy */
                an_status_set(&j->st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "VF policy for VF %u of %s (%s) refused: %s.",
                              j->index, j->pf_ifname, j->vf, strerror(-r));
                return j->st.r;
        }
        for (int a = 0; a < _VF_ATTR_MAX; a++) {
                int e = res.result[a];
                if (e == 0)
                        continue;
                bool fatal = a == VF_ATTR_MAC || (a == VF_ATTR_VLAN && j->policy.vlan > 0) ||
                             (a == VF_ATTR_RATE && j->rates_required) ||
                             (e != -EOPNOTSUPP && e != -EINVAL && a != VF_ATTR_RATE);
                if (fatal) {
                        an_status_set(&j->st,
                                      a == VF_ATTR_RATE ? -AN_ERROR_CANNOT_PROVISION_PERFORMANCE : -AN_ERROR_ENABLE_ACCELNET_FAILED,
                                      "Setting %s of VF %u of %s (%s) failed: %s.", vf_attr_to_string((VfAttr) a), j->index,
                                      j->pf_ifname, j->vf, strerror(-e));
                        strbuf_done(&w);
                        return j->st.r;
                }
                strbuf_appendf(&w, "%s%s not supported by the %s driver (%s)", w.len ? "; " : "",
                               vf_attr_to_string((VfAttr) a), j->pf_ifname, strerror(-e));
        }
        if (w.s)
                snprintf(j->warnings, sizeof j->warnings, "%s", w.s);
        strbuf_done(&w);
        return 0;
}

static void job_enable_work(VmJob *j) {
        _cleanup_(vf_netlink_freep) VfNetlink *nl = NULL;
        VirtAttachResult ar;
        int r;

        r = vf_netlink_open(j->backend, j->root, &nl);
        if (r < 0) {
                an_status_set(&j->st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "Netlink: %s.", strerror(-r));
                return;
        }
        if (apply_policy(j, nl) < 0) {
                if (j->kind == JOB_RATES) {
                        /* The VM keeps its VF: back to the old tier's policy, not the VF's own. */
                        VfApplyResult res = {};
                        (void) vf_policy_apply(nl, j->pf_ifname, j->index, &j->old_policy, &res);
                } else
                        (void) vm_restore_vf(nl, j->pf_ifname, j->index, &j->saved);
                return;
        }
        if (j->kind == JOB_RATES)
                return;
        VirtAttachArgs args = { .domain = j->vm, .vf_pci = j->vf, .mac = j->mac, .vlan = j->vlan, .alias = j->alias,
                                .virtio_mac = j->mac };
        r = virt_domain_attach_vf(j->m->virt, &args, &ar);
        if (r < 0) {
                an_status_set(&j->st, r == -AN_ERROR_NO_SUCH_VM ? r : -AN_ERROR_ENABLE_ACCELNET_FAILED,
                              "Attaching VF %s to %s failed: %s", j->vf, j->vm, virt_last_error());
                (void) vm_restore_vf(nl, j->pf_ifname, j->index, &j->saved);
                return;
        }
        j->live = ar.live == VIRT_LIVE_ATTACHED;
        snprintf(j->live_note, sizeof j->live_note, "%s%s%s", virt_live_to_string(ar.live), ar.message[0] ? ": " : "",
                 ar.message);
}

static void job_disable_work(VmJob *j) {
        _cleanup_(vf_netlink_freep) VfNetlink *nl = NULL;
        VirtDetachResult dr;
        int r;

        if (j->m->virt) {
                r = virt_domain_detach_vf(j->m->virt, j->vm, j->vf, DETACH_TIMEOUT_USEC, &dr);
                if (r == -ETIMEDOUT) {
                        j->pending_detach = true;
                        return; /* the guest still holds it: keep it reserved, restore later */
                }
                if (r < 0 && r != -AN_ERROR_NO_SUCH_VM) {
                        an_status_set(&j->st, -AN_ERROR_BUSY, "Detaching VF %s from %s failed: %s", j->vf, j->vm,
                                      virt_last_error());
                        return;
                }
        }
        r = vf_netlink_open(j->backend, j->root, &nl);
        if (r >= 0)
                r = vm_restore_vf(nl, j->pf_ifname, j->index, &j->saved);
        if (r < 0)
                snprintf(j->warnings, sizeof j->warnings, "restoring the VF's settings failed: %s", strerror(-r));
}

static void vm_job_work(void *p) {
        VmJob *j = p;
        if (j->kind == JOB_DISABLE)
                job_disable_work(j);
        else
                job_enable_work(j);
}

static void vm_job_done(Manager *m, void *p) {
        VmJob *j = p;
        Assignment *a = state_find_vm(m->state, j->vm);

        vm_busy_remove(m, j->vm);
        if (j->warnings[0])
                log_struct(LOG_WARNING, NULL, j->pf, j->vf, j->vm, "VM %s, VF %s: %s.", j->vm, j->vf, j->warnings);
        switch (j->kind) {
        case JOB_ENABLE:
                if (j->st.r < 0) {
                        state_remove_vm(m->state, j->vm);
                        log_struct(LOG_ERR, MESSAGE_ID_POLICY_DENIED, j->pf, j->vf, j->vm, "Enabling %s failed: %s", j->vm,
                                   j->st.message);
                } else if (a) {
                        a->phase = ASSIGN_PHASE_ASSIGNED;
                        a->next_start = !j->live;
                        log_struct(LOG_NOTICE, MESSAGE_ID_VF_ASSIGNED, j->pf, j->vf, j->vm,
                                   "VF %s of %s assigned to VM %s (performance %s, MAC %s; %s).", j->vf, j->pf, j->vm,
                                   tier_to_string(j->tier), j->mac, j->live ? "live" : j->live_note);
                }
                break;
        case JOB_RATES:
                if (a) {
                        if (j->st.r < 0)
                                a->tier = j->old_tier;
                        else
                                log_struct(LOG_NOTICE, NULL, j->pf, j->vf, j->vm, "VM %s: performance %s → %s.", j->vm,
                                           tier_to_string(j->old_tier), tier_to_string(j->tier));
                }
                break;
        case JOB_DISABLE:
                if (j->st.r < 0) {
                        if (a)
                                a->phase = ASSIGN_PHASE_ASSIGNED;
                } else if (j->pending_detach) {
                        log_struct(LOG_WARNING, NULL, j->pf, j->vf, j->vm,
                                   "VM %s has not released VF %s yet (the guest did not acknowledge the unplug); it "
                                   "stays reserved until libvirt reports the device removed.", j->vm, j->vf);
                } else {
                        state_remove_vm(m->state, j->vm);
                        log_struct(LOG_NOTICE, MESSAGE_ID_VF_RELEASED, j->pf, j->vf, j->vm,
                                   "VF %s released from VM %s and restored.", j->vf, j->vm);
                }
                break;
        }
        (void) manager_save_state(m);
        if (j->st.r >= 0 && j->kind != JOB_RATES)
                manager_vm_changed(m, j->vm, j->kind == JOB_ENABLE ? "enabled" : "disabled");
        manager_properties_changed(m);
        if (j->done)
                j->done(j->userdata, &j->st);
}

static void job_start(Manager *m, VmJob *j) {
        AnStatus st = AN_STATUS_OK;
        int r;

        j->backend = m->backend;
        j->root = strdup(m->root);
        r = j->root ? vm_busy_add(m, j->vm) : -ENOMEM;
        if (r >= 0)
                r = operation_start(m, "vm", vm_job_work, vm_job_done, j, vm_job_free);
        if (r < 0) {
                vm_busy_remove(m, j->vm);
                if (r == -AN_ERROR_BUSY)
                        an_status_set(&st, r, "Too many operations in progress (%u); retry later.", m->ops_running);
                else
                        an_status_set(&st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "Cannot start: %s", strerror(-r));
                /* undo what the caller recorded */
                Assignment *a = state_find_vm(m->state, j->vm);
                if (a && j->kind == JOB_ENABLE)
                        state_remove_vm(m->state, j->vm);
                else if (a && j->kind == JOB_DISABLE)
                        a->phase = ASSIGN_PHASE_ASSIGNED;
                else if (a)
                        a->tier = j->old_tier;
                (void) manager_save_state(m);
                ManagerDone done = j->done;
                void *ud = j->userdata;
                vm_job_free(j);
                done(ud, &st);
        }
}

/* ---- checks ----------------------------------------------------------------------------- */

static int check_name(Manager *m, const char *vm, AnStatus *st) {
        if (!vm_name_valid(vm)) {
                an_status_set(st, -AN_ERROR_INVALID_ARGS, "Invalid VM name '%.64s'%s: 1-256 printable characters without '/'.",
                              vm, strlen(vm) > 64 ? " (truncated)" : "");
                return st->r;
        }
        if (vm_is_busy(m, vm)) {
                an_status_set(st, -AN_ERROR_BUSY, "Another operation on VM %s is in progress.", vm);
                return st->r;
        }
        return 0;
}

/* Admission with everything gathered; on success *ret_res holds the tier and choice. */
static int admit(Manager *m, const char *vm, const char *performance, VmInfo *info, AdmissionResult *ret_res,
                 VfCandidate **ret_c, AnStatus *st) {
        _cleanup_free_ VfCandidate *c = NULL;
        _cleanup_free_ unsigned *load = NULL;
        int r;

        if (check_name(m, vm, st) < 0)
                return st->r;
        if (!m->state->enabled) {
                an_status_set(st, -AN_ERROR_NOT_ENABLED, "%s %s", an_error_message(AN_ERROR_NOT_ENABLED),
                              an_error_remedy(AN_ERROR_NOT_ENABLED));
                return st->r;
        }
        if (vm_gather(m, vm, info, st) < 0)
                return st->r;
        r = vm_candidates(m, &c, &load);
        if (r < 0) {
                an_status_set(st, r, "Out of memory.");
                return r;
        }
        AdmissionInput in = {
                .enabled = true, .vm = vm, .performance = performance, .facts = info->facts,
                .smt_active = m->host->smt_active, .tiers = &m->config->settings.tiers,
                .usable = manager_usable_vfs(m), .assigned = manager_assigned_vfs(m),
                .vm_already_assigned = state_find_vm(m->state, vm) != NULL,
                .cands = c, .n_cands = m->n_vfs, .pf_load = load,
        };
        r = admission_check(&in, ret_res);
        if (r < 0) {
                an_status_set(st, r, "%s", ret_res->message);
                return r;
        }
        if (ret_c)
                *ret_c = TAKE_PTR(c);
        return 0;
}

int manager_enable_vm_check(Manager *m, const char *vm, const char *performance, bool *ret_changes, AnStatus *st) {
        AdmissionResult res;
        VmInfo info;
        if (admit(m, vm, performance, &info, &res, NULL, st) < 0)
                return st->r;
        const Assignment *a = state_find_vm(m->state, vm);
        *ret_changes = !a || a->tier != res.tier;
        return 0;
}

void manager_enable_vm(Manager *m, const char *vm, const char *performance, ManagerDone done, void *userdata) {
        _cleanup_free_ VfCandidate *c = NULL;
        AnStatus st = AN_STATUS_OK;
        AdmissionResult res;
        VmInfo info;

        if (admit(m, vm, performance, &info, &res, &c, &st) < 0)
                return done(userdata, &st);
        if (state_find_vm(m->state, vm))
                return manager_set_vm(m, vm, performance, done, userdata);

        const VfCandidate *pick = &c[res.choice];
        const VfSlot *slot = manager_find_slot(m, pick->vf);
        VmJob *j = calloc(1, sizeof *j);
        if (!slot || !j || !(j->vm = strdup(vm))) {
                free(j);
                an_status_set(&st, -ENOMEM, "Out of memory.");
                return done(userdata, &st);
        }
        *j = (VmJob){ .m = m, .kind = JOB_ENABLE, .vm = j->vm, .index = slot->index, .tier = res.tier,
                      .rates_required = m->config->settings.tiers.tiers[res.tier].rates_required,
                      .vlan = info.vlan, .done = done, .userdata = userdata };
        snprintf(j->vf, sizeof j->vf, "%s", slot->vf);
        snprintf(j->pf, sizeof j->pf, "%s", slot->pf);
        snprintf(j->pf_ifname, sizeof j->pf_ifname, "%s", slot->pf_ifname);
        snprintf(j->mac, sizeof j->mac, "%s", info.mac);
        vm_alias(slot->vf, j->alias, sizeof j->alias);

        /* The restore point and the reservation are saved before anything changes. */
        int r = vm_read_vf(m, slot, &j->saved);
        if (r < 0) {
                an_status_set(&st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "Cannot read VF %u of %s (%s): %s.", slot->index,
                              slot->pf_ifname, slot->vf, strerror(-r));
                vm_job_free(j);
                return done(userdata, &st);
        }
        Assignment a = { .vm = j->vm, .vm_uuid = info.uuid[0] ? info.uuid : NULL, .tier = res.tier, .vf_index = slot->index,
                         .phase = ASSIGN_PHASE_ASSIGNING, .alias = j->alias, .vlan = info.vlan, .saved = j->saved };
        snprintf(a.vf, sizeof a.vf, "%s", slot->vf);
        snprintf(a.pf, sizeof a.pf, "%s", slot->pf);
        snprintf(a.mac, sizeof a.mac, "%s", info.mac);
        if (!state_add_vm(m->state, &a) || manager_save_state(m) < 0) {
                state_remove_vm(m->state, vm);
                an_status_set(&st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "Cannot save the state in %s.", m->state_dir);
                vm_job_free(j);
                return done(userdata, &st);
        }
        vm_policy_for(m, state_find_vm(m->state, vm), slot, res.tier, &j->policy);
        job_start(m, j);
}

typedef struct MoveCtx {
        Manager *m;
        char *vm, *performance;
        char target[PCI_ADDR_STRLEN];   /* held while the old VF is released */
        ManagerDone done;
        void *userdata;
} MoveCtx;

static void move_released(void *p, const AnStatus *st) {
        MoveCtx *mc = p;
        vm_hold_vf(mc->m, mc->target, false);
        if (st->r < 0)
                mc->done(mc->userdata, st);
        else
                manager_enable_vm(mc->m, mc->vm, mc->performance, mc->done, mc->userdata);
        free(mc->vm);
        free(mc->performance);
        free(mc);
}

int manager_set_vm_check(Manager *m, const char *vm, const char *performance, bool *ret_changes, AnStatus *st) {
        AdmissionResult res;
        VmInfo info;
        if (check_name(m, vm, st) < 0)
                return st->r;
        if (m->state->enabled && !state_find_vm(m->state, vm)) {
                if (vm_gather(m, vm, &info, st) < 0)
                        return st->r;
                if (!info.facts.exists)
                        an_status_set(st, -AN_ERROR_NO_SUCH_VM, "No VM named '%s' (virsh list --all).", vm);
                else
                        an_status_set(st, -AN_ERROR_INVALID_ARGS,
                                      "VM '%s' is not accelerated: use EnableVM (accelnetctl vm enable) first.", vm);
                return st->r;
        }
        if (admit(m, vm, performance, &info, &res, NULL, st) < 0)
                return st->r;
        *ret_changes = state_find_vm(m->state, vm)->tier != res.tier;
        return 0;
}

void manager_set_vm(Manager *m, const char *vm, const char *performance, ManagerDone done, void *userdata) {
        AnStatus st = AN_STATUS_OK;
        bool changes = false;
        VmInfo info;
        AdmissionResult res;

        if (manager_set_vm_check(m, vm, performance, &changes, &st) < 0 || !changes)
                return done(userdata, &st);
        if (admit(m, vm, performance, &info, &res, NULL, &st) < 0)
                return done(userdata, &st);
        Assignment *a = state_find_vm(m->state, vm);
        const VfSlot *slot = manager_find_slot(m, a->vf);
        const TierSpec *spec = &m->config->settings.tiers.tiers[res.tier];

        /* A stricter NUMA requirement that the current VF does not meet moves the VM to a
         * fitting VF: the VF is released (the guest falls back to virtio for that moment)
         * and the VM enabled again. Checked first that a fitting VF is free. */
        if (spec->numa == NUMA_POLICY_REQUIRED && info.facts.numa_node >= 0 && slot &&
            slot->numa_node != info.facts.numa_node) {
                _cleanup_free_ VfCandidate *c = NULL;
                _cleanup_free_ unsigned *load = NULL;
                ssize_t pick = -1;
                if (vm_candidates(m, &c, &load) < 0 ||
                    (pick = admission_choose_vf(spec, info.facts.numa_node, c, m->n_vfs, load, NULL)) < 0) {
                        an_status_set(&st, -AN_ERROR_CANNOT_PROVISION_PERFORMANCE,
                                      "Performance %s needs a VF on NUMA node %d, where VM %s runs; it holds %s on node "
                                      "%d and no VF on node %d is free.", tier_to_string(res.tier), info.facts.numa_node,
                                      vm, a->vf, slot->numa_node, info.facts.numa_node);
                        return done(userdata, &st);
                }
                MoveCtx *mc = calloc(1, sizeof *mc);
                if (!mc || !(mc->vm = strdup(vm)) || !(mc->performance = strdup(performance))) {
                        if (mc)
                                free(mc->vm);
                        free(mc);
                        an_status_set(&st, -ENOMEM, "Out of memory.");
                        return done(userdata, &st);
                }
                *mc = (MoveCtx){ .m = m, .vm = mc->vm, .performance = mc->performance, .done = done, .userdata = userdata };
                snprintf(mc->target, sizeof mc->target, "%s", c[pick].vf);
                /* Nobody else may take the target between the release and the new enable. */
                vm_hold_vf(m, mc->target, true);
                log_info("VM %s moves from VF %s (node %d) to a VF on node %d for performance %s.", vm, a->vf,
                         slot->numa_node, info.facts.numa_node, tier_to_string(res.tier));
                return manager_disable_vm(m, vm, move_released, mc);
        }
        VmJob *j = calloc(1, sizeof *j);
        if (!j || !(j->vm = strdup(vm))) {
                free(j);
                an_status_set(&st, -ENOMEM, "Out of memory.");
                return done(userdata, &st);
        }
        char *name = j->vm;
        *j = (VmJob){ .m = m, .kind = JOB_RATES, .vm = name, .index = a->vf_index, .tier = res.tier, .old_tier = a->tier,
                      .rates_required = spec->rates_required, .saved = a->saved, .done = done, .userdata = userdata };
        snprintf(j->vf, sizeof j->vf, "%s", a->vf);
        snprintf(j->pf, sizeof j->pf, "%s", a->pf);
        snprintf(j->pf_ifname, sizeof j->pf_ifname, "%s", slot ? slot->pf_ifname : "");
        vm_policy_for(m, a, slot, res.tier, &j->policy);
        vm_policy_for(m, a, slot, a->tier, &j->old_policy);
        a->tier = res.tier;
        (void) manager_save_state(m);
        job_start(m, j);
}

int manager_disable_vm_check(Manager *m, const char *vm, bool *ret_changes, AnStatus *st) {
        VmInfo info;
        if (check_name(m, vm, st) < 0)
                return st->r;
        const Assignment *a = state_find_vm(m->state, vm);
        if (a) {
                *ret_changes = true;
                return 0;
        }
        if (!m->state->enabled) {
                an_status_set(st, -AN_ERROR_NOT_ENABLED, "%s %s", an_error_message(AN_ERROR_NOT_ENABLED),
                              an_error_remedy(AN_ERROR_NOT_ENABLED));
                return st->r;
        }
        if (vm_gather(m, vm, &info, st) < 0)
                return st->r;
        if (!info.facts.exists) {
                an_status_set(st, -AN_ERROR_NO_SUCH_VM, "No VM named '%s' (virsh list --all).", vm);
                return st->r;
        }
        *ret_changes = false; /* not accelerated: nothing to do */
        return 0;
}

void manager_disable_vm(Manager *m, const char *vm, ManagerDone done, void *userdata) {
        AnStatus st = AN_STATUS_OK;
        bool changes = false;

        if (manager_disable_vm_check(m, vm, &changes, &st) < 0 || !changes)
                return done(userdata, &st);
        Assignment *a = state_find_vm(m->state, vm);
        const VfSlot *slot = manager_find_slot(m, a->vf);
        VmJob *j = calloc(1, sizeof *j);
        if (!j || !(j->vm = strdup(vm))) {
                free(j);
                an_status_set(&st, -ENOMEM, "Out of memory.");
                return done(userdata, &st);
        }
        char *name = j->vm;
        *j = (VmJob){ .m = m, .kind = JOB_DISABLE, .vm = name, .index = a->vf_index, .tier = a->tier, .saved = a->saved,
                      .done = done, .userdata = userdata };
        snprintf(j->vf, sizeof j->vf, "%s", a->vf);
        snprintf(j->pf, sizeof j->pf, "%s", a->pf);
        snprintf(j->pf_ifname, sizeof j->pf_ifname, "%s", slot ? slot->pf_ifname : "");
        a->phase = ASSIGN_PHASE_RELEASING;
        if (manager_save_state(m) < 0) {
                a->phase = ASSIGN_PHASE_ASSIGNED;
                an_status_set(&st, -EIO, "Cannot save the state in %s.", m->state_dir);
                vm_job_free(j);
                return done(userdata, &st);
        }
        job_start(m, j);
}
