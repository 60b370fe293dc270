/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The operations on one VM: the write-ahead recorded on the Vm, the one worker that does the
 * slow part (netlink and libvirt, on copies only), and the outcome applied back on the loop
 * thread. Every VM operation — EnableVM, SetVM, DisableVM, a NUMA move, reconcile's restore,
 * adoption and stray removal — goes through here, so the rules are the same for all. */
#include <stdio.h>
#include <time.h>

#include "operation.h"
#include "pf.h"
#include "policy/waiting.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/names.h"
#include "vf.h"
#include "virt/virt.h"
#include "vm-work.h"

#define DETACH_TIMEOUT_USEC (10ULL * 1000000ULL)

enum {
        STEP_DETACH = 1 << 0,       /* `from` out of the domain's XML */
        STEP_RESTORE = 1 << 1,      /* `from`'s own settings back */
        STEP_APPLY = 1 << 2,        /* the policy on `to` */
        STEP_ATTACH = 1 << 3,       /* `to` into the domain's XML */
        STEP_SETTING = 1 << 4,      /* the setting into the domain's XML (tier), or out (no tier) */
        STEP_LINK_DOWN = 1 << 5,    /* `from`'s link state disabled (servicing, before the unplug) */
};

static const unsigned kind_steps[_VM_JOB_KIND_MAX] = {
        [VM_JOB_ENABLE] = STEP_APPLY | STEP_SETTING | STEP_ATTACH,
        [VM_JOB_SET] = STEP_APPLY | STEP_SETTING,
        [VM_JOB_MOVE] = STEP_DETACH | STEP_RESTORE | STEP_APPLY | STEP_ATTACH | STEP_SETTING,
        [VM_JOB_DISABLE] = STEP_DETACH | STEP_RESTORE | STEP_SETTING,
        [VM_JOB_RESTORE] = STEP_APPLY | STEP_ATTACH | STEP_SETTING,
        [VM_JOB_SETTING] = STEP_SETTING,
        [VM_JOB_STRAY] = STEP_DETACH,
        /* Servicing, ordered like Hyper-V's. 1. Link down: the guest's traffic moves to the
         * virtio standby while the VF is still plugged. 2. Unplug, live and from the persistent
         * config: a restart of the VM never brings a revoked VF back (its <metadata> setting
         * stays, so it gets a VF of an adapter in service by the usual rules). 3. The VF's own
         * saved settings, only once it is out: changing its MAC under a guest that still drives
         * it resets the VF there, and its earlier settings may give the guest what accelnet's
         * policy denies (trust on, spoof check off). */
        [VM_JOB_REVOKE] = STEP_LINK_DOWN | STEP_DETACH | STEP_RESTORE,
};

/* How GetOperationStats counts each kind. */
static const OpKind kind_op[_VM_JOB_KIND_MAX] = {
        [VM_JOB_ENABLE] = OP_KIND_VM_ENABLE,   [VM_JOB_SET] = OP_KIND_VM_SET,
        [VM_JOB_MOVE] = OP_KIND_VM_MOVE,       [VM_JOB_DISABLE] = OP_KIND_VM_DISABLE,
        [VM_JOB_RESTORE] = OP_KIND_VM_RESTORE, [VM_JOB_SETTING] = OP_KIND_VM_SETTING,
        [VM_JOB_STRAY] = OP_KIND_VM_STRAY,
};

static const char *const kind_name[_VM_JOB_KIND_MAX] = {
        [VM_JOB_ENABLE] = "enable VM",     [VM_JOB_SET] = "set VM",
        [VM_JOB_MOVE] = "move VM",         [VM_JOB_DISABLE] = "disable VM",
        [VM_JOB_RESTORE] = "restore VM",   [VM_JOB_SETTING] = "write VM setting",
        [VM_JOB_STRAY] = "remove stray VF",
        [VM_JOB_REVOKE] = "revoke VF",
};

typedef struct JobVf {
        char vf[PCI_ADDR_STRLEN];
        char pf_ifname[64];
        unsigned index;
        VfSettings saved;
} JobVf;

typedef struct VmJob {
        /* loop side */
        Vm *vm;
        VmJobKind kind;
        VmSnapshot before, ahead;   /* undo → before; revert → ahead */
        char held[PCI_ADDR_STRLEN]; /* MOVE: the old VF, kept from others until it is out */

        /* copies for the worker */
        const SriovBackend *backend;
        char *root;
        VirtConn *virt;
        char *name;
        unsigned steps;
        JobVf from, to;
        VfPolicy policy, old_policy;
        bool rates_required, has_old_policy;
        char mac[18];
        unsigned vlan;
        const char *tier;           /* static name; NULL: remove the setting */

        /* results */
        AnStatus st;
        VirtLive live;
        char live_note[320];
        bool pending_detach, attached, setting_written;
        bool link_down;             /* STEP_LINK_DOWN took (the driver has VF link control) */
        char warnings[512];
} VmJob;

static void vm_job_free(void *p) {
        VmJob *j = p;
        if (!j)
                return;
        vm_snapshot_done(&j->before);
        vm_snapshot_done(&j->ahead);
        free(j->root);
        free(j->name);
        free(j);
}

static void job_vf_from_slot(JobVf *v, const VfSlot *s, const VfSettings *saved) {
        *v = (JobVf){ .index = s->index };
        snprintf(v->vf, sizeof v->vf, "%s", s->address);
        snprintf(v->pf_ifname, sizeof v->pf_ifname, "%s", s->pf ? strempty(s->pf->ifname) : "");
        if (saved)
                v->saved = *saved;
}

static void warn(VmJob *j, const char *fmt, ...) _printf_(2, 3);
static void warn(VmJob *j, const char *fmt, ...) {
        size_t n = strlen(j->warnings);
        va_list ap;
        if (n + 3 >= sizeof j->warnings)
                return;
        if (n)
                n += (size_t) snprintf(j->warnings + n, sizeof j->warnings - n, "; ");
        va_start(ap, fmt);
        vsnprintf(j->warnings + n, sizeof j->warnings - n, fmt, ap);
        va_end(ap);
}

/* ---- the worker: copies only --------------------------------------------------------- */

/* libvirt went away during the call: the caller is told Busy, as while it is away. */
static int libvirt_failed(VmJob *j, int r, int code, const char *what) {
        if (r == -ENOTCONN || r == -EPIPE || r == -ECONNRESET || r == -ECONNREFUSED || r == -ESHUTDOWN ||
            !virt_conn_is_alive(j->virt))
                return an_status_set(&j->st, -AN_ERROR_BUSY,
                                     "libvirt is not reachable (%s); retrying. %s did not happen: try again when it "
                                     "answers.", virt_last_error(), what);
        return an_status_set(&j->st, code, "%s failed: %s", what, virt_last_error());
}

static void vm_job_work(void *p) {
        VmJob *j = p;
        _cleanup_(vf_netlink_freep) VfNetlink *nl = NULL;
        int r;

        if (j->steps & (STEP_RESTORE | STEP_APPLY | STEP_LINK_DOWN)) {
                r = vf_netlink_open(j->backend, j->root, &nl);
                if (r < 0) {
                        an_status_set(&j->st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "Cannot open netlink: %s.",
                                      strerror(-r));
                        return;
                }
        }
        if (j->steps & STEP_LINK_DOWN) {
                /* The VF's carrier goes first, while it is still plugged: the guest's failover
                 * driver (net_failover) makes the virtio standby its active path, so its traffic
                 * is on virtio before the device goes, as Hyper-V switches the data path to the
                 * synthetic NIC before it revokes the VF. A driver without VF link control (igb:
                 * EOPNOTSUPP) goes straight to the unplug, which the failover driver handles
                 * the same way (the primary unregisters, the standby carries on). */
                r = vf_netlink_set_link_state(nl, j->from.pf_ifname, j->from.index, VF_LINK_STATE_DISABLE);
                j->link_down = r >= 0;
                if (r < 0 && r != -EOPNOTSUPP)
                        warn(j, "taking the link of VF %s down failed: %s", j->from.vf, strerror(-r));
        }
        if (j->steps & STEP_DETACH) {
                VirtDetachResult dr;
                r = virt_domain_detach_vf(j->virt, j->name, j->from.vf, DETACH_TIMEOUT_USEC, &dr);
                if (j->kind == VM_JOB_REVOKE && (r == -ETIMEDOUT || r == -EOPNOTSUPP)) {
                        /* Out of the persistent config (a restart of the VM never brings it back),
                         * but the running guest still holds it: it stays reserved, its settings
                         * untouched, until the guest lets go or stops (servicing.c). */
                        j->pending_detach = true;
                        snprintf(j->live_note, sizeof j->live_note, "%s", virt_last_error());
                        return;
                }
                if (r == -ETIMEDOUT) {
                        /* The guest still holds it: it stays reserved, restored on DEVICE_REMOVED. */
                        j->pending_detach = true;
                        if (j->kind != VM_JOB_MOVE)
                                goto setting;
                        an_status_set(&j->st, -AN_ERROR_BUSY, "VM %s has not let go of VF %s yet; retry later.",
                                      j->name, j->from.vf);
                        return;
                }
                if (r < 0 && r != -AN_ERROR_NO_SUCH_VM) {
                        char what[160];
                        snprintf(what, sizeof what, "Taking VF %s out of VM %s", j->from.vf, j->name);
                        libvirt_failed(j, r, -AN_ERROR_BUSY, what);
                        return;
                }
        }
        if (j->steps & STEP_RESTORE) {
                r = vf_restore(nl, j->from.pf_ifname, j->from.index, &j->from.saved);
                if (r < 0)
                        warn(j, "restoring the settings of VF %s failed: %s", j->from.vf, strerror(-r));
        }
        if (j->steps & STEP_APPLY) {
                r = vf_apply_policy(nl, j->to.pf_ifname, j->to.index, &j->policy, j->rates_required, &j->st,
                                    j->warnings, sizeof j->warnings);
                if (r < 0) {
                        if (j->has_old_policy) /* a tier change: back to the old tier's policy */
                                (void) vf_apply_policy(nl, j->to.pf_ifname, j->to.index, &j->old_policy, false,
                                                       &(AnStatus){}, NULL, 0);
                        else if (j->kind != VM_JOB_RESTORE)
                                (void) vf_restore(nl, j->to.pf_ifname, j->to.index, &j->to.saved);
                        return;
                }
        }
setting:
        if (j->steps & STEP_SETTING && !(j->tier && j->pending_detach)) {
                r = virt_domain_set_accel(j->virt, j->name, j->pending_detach ? NULL : j->tier);
                if (r < 0 && r != -AN_ERROR_NO_SUCH_VM) {
                        char what[160];
                        snprintf(what, sizeof what, "Writing the accelnet setting into the XML of VM %s", j->name);
                        libvirt_failed(j, r, j->tier ? -AN_ERROR_ENABLE_ACCELNET_FAILED : -AN_ERROR_BUSY, what);
                        goto undo_apply;
                }
                j->setting_written = r >= 0;
        }
        if (j->pending_detach)
                return;
        if (j->steps & STEP_ATTACH) {
                VirtAttachArgs args = { .domain = j->name, .vf_pci = j->to.vf, .mac = j->mac, .vlan = j->vlan,
                                        .alias = ACCELNET_VF_ALIAS, .virtio_mac = j->mac };
                VirtAttachResult ar;
                r = virt_domain_attach_vf(j->virt, &args, &ar);
                if (r < 0) {
                        char what[160];
                        snprintf(what, sizeof what, "Attaching VF %s to VM %s", j->to.vf, j->name);
                        libvirt_failed(j, r, r == -AN_ERROR_NO_SUCH_VM || r == -AN_ERROR_GET_NETWORK_ADAPTER_FAILED
                                                     ? r : -AN_ERROR_ENABLE_ACCELNET_FAILED, what);
                        if (j->setting_written && j->kind == VM_JOB_ENABLE)
                                (void) virt_domain_set_accel(j->virt, j->name, NULL);
                        goto undo_apply;
                }
                j->attached = true;
                j->live = ar.live;
                snprintf(j->live_note, sizeof j->live_note, "%s%s%s", virt_live_to_string(ar.live),
                         ar.message[0] ? ": " : "", ar.message);
        }
        return;

undo_apply:
        if ((j->steps & STEP_APPLY) && nl && j->kind != VM_JOB_RESTORE)
                (void) vf_restore(nl, j->to.pf_ifname, j->to.index, &j->to.saved);
}

/* ---- the outcome, on the loop thread -------------------------------------------------- */

static void release_held(Manager *m, VmJob *j) {
        VfSlot *s = j->held[0] ? manager_find_slot(m, j->held) : NULL;
        if (s && s->held_for == j->vm)
                s->held_for = NULL;
}

/* The domain's facts after what the worker did, without reading them again: the events its
 * own change caused were not read either (libvirt.c). */
static int note_facts(Vm *vm, const VmJob *j) {
        VirtDomain *d = vm->domain;
        int r = 0;

        if ((j->steps & STEP_DETACH) && !j->pending_detach)
                virt_domain_forget_vf(d, j->from.vf);
        if (j->attached)
                r = virt_domain_note_vf(d, j->to.vf, j->mac, j->vlan, ACCELNET_VF_ALIAS, j->live == VIRT_LIVE_ATTACHED);
        if (r >= 0 && (j->steps & STEP_SETTING) && (j->setting_written || !j->tier))
                r = virt_domain_note_accel(d, j->tier);
        return r;
}

static void tell(Manager *m, const char *vm, const char *state) {
        if (m->notify.vm_changed)
                m->notify.vm_changed(m->notify.userdata, vm, state);
}

static void vm_job_finish(Operation *o, void *p) {
        VmJob *j = p;
        Vm *vm = j->vm;
        Manager *m = o->manager;

        vm->operation = NULL;
        release_held(m, j);
        if (j->warnings[0])
                log_struct(LOG_WARNING, NULL, NULL, j->to.vf[0] ? j->to.vf : j->from.vf, j->name, "VM %s, VF %s: %s.",
                           j->name, j->to.vf[0] ? j->to.vf : j->from.vf, j->warnings);
        o->status = j->st;
        bool ok = j->st.r >= 0;
        if (ok && vm->domain && note_facts(vm, j) < 0) {
                /* what the operation did could not be noted: read the domain again */
                AnStatus ignore;
                if (manager_virt_ready(m, &ignore))
                        (void) vm_refresh(vm, &ignore);
        }
        vm->facts_stale = false;
        if (!ok) {
                /* Part of it may have happened (libvirt went away mid-call, the reply was lost):
                 * what the domain holds now is read again and reconciled after this. */
                AnStatus ignore;
                if (manager_virt_ready(m, &ignore))
                        (void) vm_refresh(vm, &ignore);
                m->reconcile_wanted = true;
        }

        switch (j->kind) {
        case VM_JOB_ENABLE:
        case VM_JOB_RESTORE:
                if (!ok) {
                        log_struct(LOG_ERR, MESSAGE_ID_POLICY_DENIED, NULL, j->to.vf, j->name, "%s of %s failed: %s",
                                   kind_name[j->kind], j->name, j->st.message);
                        if (j->kind == VM_JOB_ENABLE)
                                vm_snapshot_restore(vm, &j->before);
                        else
                                vm_set_note(vm, "its VF could not be given back: %s", j->st.message);
                        if (j->kind == VM_JOB_ENABLE && !o->completion.fn && vm->accel && !vm->has_record) {
                                /* a VF given to an accelerated VM without one (it waited, or came
                                 * without): it waits on, tried again at the next refresh, not at
                                 * once (the same failure again and again) */
                                char reason[sizeof j->st.message + 128];
                                snprintf(reason, sizeof reason, "giving it VF %s failed (%s); tried again at the next "
                                         "refresh", j->to.vf, j->st.message);
                                vm->handout_failed = true;
                                vm_wait(vm, reason);
                        }
                        break;
                }
                vm->record.phase = ASSIGN_PHASE_ASSIGNED;
                vm->record.next_start = j->live != VIRT_LIVE_ATTACHED;
                vm->live_reason = (int) j->live;
                vm->accel = true;
                vm->accel_tier = vm->record.tier;
                vm_set_note(vm, NULL);
                char waited[64] = "";
                if (vm->waiting_since) {
                        uint64_t now = (uint64_t) time(NULL);
                        char d[48];
                        waiting_duration(now > vm->waiting_since ? now - vm->waiting_since : 0, d, sizeof d);
                        snprintf(waited, sizeof waited, ", after waiting %s", d);
                }
                vm_stop_waiting(vm);
                vm->handout_failed = false;
                log_struct(LOG_NOTICE, MESSAGE_ID_VF_ASSIGNED, vm->record.pf, j->to.vf, j->name,
                           "VF %s of %s %s VM %s (performance %s, MAC %s; %s%s).", j->to.vf, vm->record.pf,
                           j->kind == VM_JOB_ENABLE ? "assigned to" : "given back to", j->name,
                           tier_to_string(vm->record.tier), j->mac, j->live == VIRT_LIVE_ATTACHED ? "live" : j->live_note,
                           waited);
                tell(m, j->name, ACCELNET_VM_STATE_ENABLED);
                break;
        case VM_JOB_MOVE:
                if (!ok) {
                        /* Back to the old VF's record; if it was already out of the XML,
                         * reconcile gives it back. */
                        vm_snapshot_restore(vm, &j->before);
                        m->reconcile_wanted = true;
                        log_struct(LOG_ERR, NULL, NULL, j->to.vf, j->name, "Moving VM %s failed: %s", j->name,
                                   j->st.message);
                        break;
                }
                vm->record.phase = ASSIGN_PHASE_ASSIGNED;
                vm->record.next_start = j->live != VIRT_LIVE_ATTACHED;
                vm->live_reason = (int) j->live;
                vm->accel = true;
                vm->accel_tier = vm->record.tier;
                log_struct(LOG_NOTICE, MESSAGE_ID_VF_ASSIGNED, vm->record.pf, j->to.vf, j->name,
                           "VM %s moved from VF %s to VF %s (performance %s).", j->name, j->from.vf, j->to.vf,
                           tier_to_string(vm->record.tier));
                tell(m, j->name, ACCELNET_VM_STATE_ENABLED);
                break;
        case VM_JOB_SET:
                if (!ok) {
                        vm_snapshot_restore(vm, &j->before);
                        break;
                }
                vm->accel = true;
                vm->accel_tier = vm->record.tier;
                log_struct(LOG_NOTICE, NULL, vm->record.pf, vm->record.vf, j->name, "VM %s: performance %s → %s.",
                           j->name, tier_to_string(j->before.record.tier), tier_to_string(vm->record.tier));
                tell(m, j->name, ACCELNET_VM_STATE_ENABLED);
                break;
        case VM_JOB_DISABLE:
                if (!ok) {
                        vm_snapshot_restore(vm, &j->before);
                        break;
                }
                if (j->pending_detach) {
                        vm->accel = false;
                        log_struct(LOG_WARNING, NULL, vm->record.pf, vm->record.vf, j->name,
                                   "VM %s has not released VF %s yet (the guest did not acknowledge the unplug); it "
                                   "stays reserved until libvirt reports the device removed.", j->name, vm->record.vf);
                        break;
                }
                log_struct(LOG_NOTICE, MESSAGE_ID_VF_RELEASED, vm->record.pf, vm->record.vf, j->name,
                           "VF %s released from VM %s and restored.", vm->record.vf, j->name);
                vm_snapshot_restore(vm, &(VmSnapshot){ .accel = false, .accel_tier = TIER_LOW });
                tell(m, j->name, ACCELNET_VM_STATE_DISABLED);
                break;
        case VM_JOB_SETTING:
                if (!ok) {
                        log_struct(LOG_WARNING, NULL, NULL, NULL, j->name, "%s", j->st.message);
                        vm_snapshot_restore(vm, &j->before);
                        break;
                }
                vm->accel = j->tier != NULL;
                if (j->tier)
                        vm->accel_tier = tier_from_string(j->tier);
                if (o->completion.fn)
                        tell(m, j->name, j->tier ? ACCELNET_VM_STATE_ENABLED : ACCELNET_VM_STATE_DISABLED);
                break;
        case VM_JOB_REVOKE:
                vm_revoke_done(vm, &j->st, j->pending_detach, j->link_down, j->live_note);
                break;
        case VM_JOB_STRAY:
                if (ok) {
                        VfSlot *s = manager_find_slot(m, j->from.vf);
                        if (s && s->stray && streq(s->stray, j->name))
                                s->stray = mfree(s->stray);
                }
                break;
        default:
                break;
        }
        /* a VF may have freed, or the VM's setting changed: the waiting VMs are looked at */
        manager_dirty(m, DIRTY_HANDOUT);
        vm_gc(vm);
}

/* The write-ahead could not be saved: nothing was done, take it back. */
static void vm_job_undo(Operation *o, void *p) {
        VmJob *j = p;
        j->vm->operation = NULL;
        release_held(o->manager, j);
        vm_snapshot_restore(j->vm, &j->before);
        vm_gc(j->vm);
}

/* The outcome could not be saved: the model goes back to what is on disk (the write-ahead);
 * reconcile finishes or undoes it once the state can be written. */
static void vm_job_revert(Operation *o, void *p) {
        VmJob *j = p;
        Vm *vm = manager_get_vm(o->manager, j->name);
        if (vm && !vm->operation)
                vm_snapshot_restore(vm, &j->ahead);
        o->manager->reconcile_wanted = true;
}

static const OperationType vm_job_type = {
        .name = "VM",
        .kind = _OP_KIND_INVALID, /* each job says its own (kind_op) */
        .work = vm_job_work,
        .finish = vm_job_finish,
        .undo = vm_job_undo,
        .revert = vm_job_revert,
        .free_job = vm_job_free,
};

/* ---- the write-ahead ------------------------------------------------------------------ */

static VmJob *vm_job_new(Vm *vm, VmJobKind kind) {
        Manager *m = vm->manager;
        VmJob *j = calloc(1, sizeof *j);
        if (!j)
                return NULL;
        j->vm = vm;
        j->kind = kind;
        j->steps = kind_steps[kind];
        j->backend = m->backend;
        j->virt = m->virt;
        j->live = VIRT_LIVE_NOT_RUNNING;
        if (!(j->root = strdup(m->root)) || !(j->name = strdup(vm->name)) || vm_snapshot_take(vm, &j->before) < 0) {
                vm_job_free(j);
                return NULL;
        }
        return j;
}

void vm_start_job(Vm *vm, VmJobKind kind, VfSlot *slot, Tier tier, Completion c) {
        Manager *m = vm->manager;
        AnStatus st = AN_STATUS_OK;
        VmJob *j = vm_job_new(vm, kind);
        Operation *o = NULL;
        char mac[18];
        unsigned vlan;
        VmFacts facts;
        int r = 0;

        if (!j)
                return completion_fail(&c, -ENOMEM, "Out of memory.");
        vm_facts(vm, &facts, mac, &vlan);
        j->tier = tier >= 0 ? tier_to_string(tier) : NULL;
        if (tier >= 0)
                j->rates_required = m->config->settings.tiers.tiers[tier].rates_required;

        switch (kind) {
        case VM_JOB_ENABLE:
        case VM_JOB_MOVE: {
                VfSettings saved;
                r = vf_read_settings(m->nl, slot->pf->ifname, slot->index, &saved);
                if (r < 0) {
                        an_status_set(&st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "Cannot read VF %u of %s (%s): %s.",
                                      slot->index, slot->pf->ifname, slot->address, strerror(-r));
                        break;
                }
                if (kind == VM_JOB_MOVE) {
                        job_vf_from_slot(&j->from, vm->slot, &vm->record.saved);
                        snprintf(j->held, sizeof j->held, "%s", vm->slot->address);
                        snprintf(mac, sizeof mac, "%s", vm->record.mac);
                        vlan = vm->record.vlan;
                }
                r = vm_take_slot(vm, slot, tier, mac, vlan, ASSIGN_PHASE_ASSIGNING);
                if (r < 0) {
                        an_status_set(&st, r, "Out of memory.");
                        break;
                }
                if (j->held[0]) {
                        VfSlot *old = manager_find_slot(m, j->held);
                        if (old)
                                old->held_for = vm;
                }
                vm->record.saved = saved;
                job_vf_from_slot(&j->to, slot, &saved);
                vm_policy(vm, tier, &j->policy);
                break;
        }
        case VM_JOB_SET:
                job_vf_from_slot(&j->to, vm->slot, &vm->record.saved);
                vm_policy(vm, vm->record.tier, &j->old_policy);
                j->has_old_policy = true;
                vm->record.tier = tier;
                vm_policy(vm, tier, &j->policy);
                manager_dirty(m, DIRTY_STATE);
                break;
        case VM_JOB_DISABLE:
                job_vf_from_slot(&j->from, vm->slot ? vm->slot : &(VfSlot){}, &vm->record.saved);
                if (!vm->slot)
                        snprintf(j->from.vf, sizeof j->from.vf, "%s", vm->record.vf);
                if (!vm->slot)
                        j->steps &= ~STEP_RESTORE; /* the VF does not exist now */
                vm->record.phase = ASSIGN_PHASE_RELEASING;
                manager_dirty(m, DIRTY_STATE);
                break;
        case VM_JOB_RESTORE:
                job_vf_from_slot(&j->to, slot, &vm->record.saved);
                vm_policy(vm, vm->record.tier, &j->policy);
                j->rates_required = m->config->settings.tiers.tiers[vm->record.tier].rates_required;
                j->tier = tier_to_string(vm->record.tier);
                snprintf(mac, sizeof mac, "%s", vm->record.mac);
                vlan = vm->record.vlan;
                break;
        case VM_JOB_REVOKE:
                job_vf_from_slot(&j->from, vm->slot ? vm->slot : &(VfSlot){}, &vm->record.saved);
                if (!vm->slot) {
                        /* the VF does not exist now: out of the XML, nothing to take down or restore */
                        snprintf(j->from.vf, sizeof j->from.vf, "%s", vm->record.vf);
                        j->steps &= ~(STEP_LINK_DOWN | STEP_RESTORE);
                }
                vm->record.phase = ASSIGN_PHASE_REVOKING;
                manager_dirty(m, DIRTY_STATE);
                break;
        case VM_JOB_SETTING:
        case VM_JOB_STRAY:
                break;
        default:
                r = -EINVAL;
                an_status_set(&st, r, "Unknown VM operation.");
        }
        if (st.r < 0) {
                vm_snapshot_restore(vm, &j->before);
                vm_job_free(j);
                return completion_done(&c, &st);
        }
        snprintf(j->mac, sizeof j->mac, "%s", mac);
        j->vlan = vlan;
        if (vm_snapshot_take(vm, &j->ahead) < 0) {
                vm_snapshot_restore(vm, &j->before);
                vm_job_free(j);
                return completion_fail(&c, -ENOMEM, "Out of memory.");
        }
        r = operation_new(m, &vm_job_type, j, vm->name, c, &o, &st);
        if (r < 0) {
                vm_snapshot_restore(vm, &j->before);
                vm_job_free(j);
                return completion_done(&c, &st);
        }
        o->kind = kind_op[kind];
        vm->operation = o;
        log_debug("VM %s: %s queued.", vm->name, kind_name[kind]);
}

void vm_start_stray_job(Vm *vm, const char *vf) {
        AnStatus st = AN_STATUS_OK;
        VmJob *j = vm_job_new(vm, VM_JOB_STRAY);
        Operation *o = NULL;
        if (!j)
                return;
        snprintf(j->from.vf, sizeof j->from.vf, "%s", vf);
        if (vm_snapshot_take(vm, &j->ahead) < 0) {
                vm_job_free(j);
                return;
        }
        if (operation_new(vm->manager, &vm_job_type, j, vm->name, COMPLETION_NONE, &o, &st) < 0) {
                vm_job_free(j);
                return;
        }
        o->kind = OP_KIND_VM_STRAY;
        vm->operation = o;
}
