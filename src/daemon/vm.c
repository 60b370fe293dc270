/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A VM's whole life: its facts from libvirt, its setting (in its own XML), its record on
 * this host, and the operations that change them (EnableVM, SetVM, DisableVM, and the
 * internal ones reconcile starts). The worker of every VM operation is vm-work.c's; the
 * rules for VF policy are vf.c's; admission is policy/admission.c's. */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "cluster-node.h"
#include "operation.h"
#include "pf-health.h"
#include "pf.h"
#include "policy/servicing.h"
#include "policy/waiting.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/names.h"
#include "shared/strutil.h"
#include "vf.h"
#include "virt/virt.h"
#include "vm-work.h"
#include "vm.h"

/* ---- the table ------------------------------------------------------------------------ */

Vm *manager_get_vm(const Manager *m, const char *name) {
        return hashmap_get(m->vms, name);
}

Vm *manager_add_vm(Manager *m, const char *name) {
        Vm *vm = manager_get_vm(m, name);
        if (vm)
                return vm;
        vm = calloc(1, sizeof *vm);
        if (!vm || !(vm->name = strdup(name))) {
                free(vm);
                return NULL;
        }
        vm->manager = m;
        vm->accel_tier = TIER_LOW;
        vm->live_reason = -1;
        if (hashmap_put(m->vms, vm->name, vm) < 0) {
                free(vm->name);
                free(vm);
                return NULL;
        }
        m->vms_sorted = mfree(m->vms_sorted);
        return vm;
}

Vm *vm_free(Vm *vm) {
        if (!vm)
                return NULL;
        if (vm->slot && vm->slot->owner == vm)
                vm->slot->owner = NULL;
        virt_domain_free(vm->domain);
        assignment_done(&vm->record);
        free(vm->note);
        free(vm->waiting_reason);
        free(vm->name);
        free(vm);
        return NULL;
}

void vm_gc(Vm *vm) {
        Manager *m = vm->manager;
        if (!vm->gone || vm->has_record || vm->operation)
                return;
        if (vm->saved_hash != 0) /* its record is on disk still: the next save drops it */
                (void) strv_appendf(&m->dropped, &m->n_dropped, "%s", vm->name);
        hashmap_remove(m->vms, vm->name);
        m->vms_sorted = mfree(m->vms_sorted);
        vm_free(vm);
}

/* ---- facts ---------------------------------------------------------------------------- */

void vm_set_domain(Vm *vm, VirtDomain *d) {
        virt_domain_free(vm->domain);
        vm->domain = d;
        vm->gone = !d;
        vm->accel = d && d->accel;
        if (d && d->accel) {
                Tier t = tier_from_string(d->accel_performance);
                vm->accel_tier = t >= 0 ? t : TIER_LOW;
        }
        /* accelerated or not, or gone: the waiting VMs are looked at again */
        manager_dirty(vm->manager, DIRTY_PROPERTIES | DIRTY_HANDOUT);
}

int vm_refresh(Vm *vm, AnStatus *st) {
        VirtDomain *d = NULL;
        int r = virt_domain_get(vm->manager->virt, vm->name, &d);
        if (r == -AN_ERROR_NO_SUCH_VM) {
                vm_set_domain(vm, NULL);
                return an_status_set(st, r, "No VM named '%s' (virsh list --all).", vm->name);
        }
        if (r < 0)
                return an_status_set(st, -AN_ERROR_BUSY, "libvirt cannot read VM %s: %s", vm->name, virt_last_error());
        vm_set_domain(vm, d);
        return 0;
}

static bool row(const Vm *vm, uint64_t now, VmRow *ret) {
        bool on = vm_accelerated(vm);
        if (!vm->domain && !vm->has_record)
                return false;
        Tier tier = vm->has_record ? vm->record.tier : vm->accel_tier;
        ret->state = on ? ACCELNET_VM_STATE_ENABLED : ACCELNET_VM_STATE_DISABLED;
        ret->performance = on ? tier_to_string(tier) : "";
        ret->vf = vm->has_record ? vm->record.vf : "";
        /* its whole time without a VF (servicing.c keeps it) */
        uint64_t total = servicing_without_total(vm->without_since, vm->without_total, now);
        if (vm_waiting(vm)) {
                waiting_note_total(vm->waiting_since, now, total, vm->waiting_reason, ret->note_buf,
                                   sizeof ret->note_buf);
                ret->note = ret->note_buf;
        } else if (on && !vm->has_record && vm->revoked_since) {
                servicing_revoked_note(vm->revoked_since, now, total, ret->note_buf, sizeof ret->note_buf);
                ret->note = ret->note_buf;
        } else if (vm->has_record && vm->record.phase == ASSIGN_PHASE_ASSIGNED && !vm->without_since &&
                   vm->without_total > 0) {
                const char *n = vm_note(vm);
                char t[64];
                servicing_total_note(vm->without_total, t, sizeof t);
                snprintf(ret->note_buf, sizeof ret->note_buf, "%s%s%s", n, *n ? "; " : "", t);
                ret->note = ret->note_buf;
        } else
                ret->note = vm_note(vm);
        return true;
}

bool vm_row(const Vm *vm, VmRow *ret) {
        time_t now = time(NULL);
        return row(vm, now > 0 ? (uint64_t) now : 1, ret);
}

bool vm_row_fact(const Vm *vm, VmRow *ret) {
        return row(vm, 0, ret);
}

bool vm_running(const Vm *vm) {
        return vm->domain && vm->domain->active;
}

bool vm_accelerated(const Vm *vm) {
        return vm->has_record || vm->accel;
}

static int numa_node_of(const Manager *m, const VirtDomain *d) {
        uint32_t node;
        if (d->numa_nodeset && parse_u32(d->numa_nodeset, 10, &node) >= 0)
                return (int) node;
        if (d->n_vcpupins > 0) {
                int n = -1;
                for (size_t i = 0; i < d->n_vcpupins; i++) {
                        int k = host_facts_cpuset_node(m->host, d->vcpupins[i].set);
                        if (k < 0 || (n >= 0 && k != n))
                                return -1;
                        n = k;
                }
                return n;
        }
        return host_facts_cpuset_node(m->host, d->vcpu_cpuset);
}

void vm_facts(const Vm *vm, VmFacts *ret, char mac[static 18], unsigned *ret_vlan) {
        const VirtDomain *d = vm->domain;

        *ret = (VmFacts){ .numa_node = -1 };
        mac[0] = 0;
        *ret_vlan = 0;
        if (!d)
                return;
        ret->exists = true;
        ret->vcpus = d->vcpus;
        for (size_t i = 0; i < d->n_ifaces; i++) {
                const VirtIface *f = &d->ifaces[i];
                if (f->type == VIRT_IFACE_HOSTDEV || !f->mac || !streq_ptr(f->model, "virtio"))
                        continue;
                ret->has_virtio_nic = true;
                snprintf(mac, 18, "%s", f->mac);
                *ret_vlan = f->vlan;
                break;
        }
        ret->numa_node = numa_node_of(vm->manager, d);
}

unsigned vm_eligible_tiers(const Vm *vm) {
        const Manager *m = vm->manager;
        AdmissionInput in = { .vm = vm->name, .smt_active = m->host ? m->host->smt_active : -1,
                              .tiers = &m->config->settings.tiers };
        char mac[18];
        unsigned vlan;

        vm_facts(vm, &in.facts, mac, &vlan);
        return admission_static_tiers(&in);
}

const char *vm_note(const Vm *vm) {
        if (vm->has_record) {
                switch (vm->record.phase) {
                case ASSIGN_PHASE_ASSIGNING:
                        return "being enabled";
                case ASSIGN_PHASE_RELEASING:
                        return "release pending: the guest has not let go of the VF";
                case ASSIGN_PHASE_INCOMING:
                        return "VF claimed for an incoming migration";
                case ASSIGN_PHASE_REVOKING:
                        return vm->note ? vm->note : "VF being revoked (servicing)";
                default:
                        break;
                }
        }
        if (vm->note)
                return vm->note;
        if (vm->has_record && vm->record.next_start)
                return vm_next_start_note(vm);
        if (vm->has_record && !vm->manager->enabled)
                return "management is disabled";
        return "";
}

/* The notes keep the prefix "applies at next start" that clients match on. A VF in the
 * persistent config reaches the guest only when QEMU starts again: a reboot inside the guest
 * keeps the same QEMU process and its devices, so a running VM needs a power cycle. */
#define POWER_CYCLE "power-cycle the VM (shut it down, then start it; a guest reboot is not enough)"

const char *vm_next_start_note(const Vm *vm) {
        const VirtDomain *d = vm->domain;
        int why = vm->live_reason;

        if (!vm->has_record || !vm->record.next_start)
                return NULL;
        if (d && !d->active)
                why = VIRT_LIVE_NOT_RUNNING;
        else if (why < 0 || why == VIRT_LIVE_NOT_RUNNING) {
                /* not told by an attach (a restart, adopted): judged from the running domain */
                const VirtIface *f = d ? virt_iface_find_mac(d->live_ifaces, d->n_live_ifaces, vm->record.mac) : NULL;
                why = f && f->teaming != VIRT_TEAMING_PERSISTENT ? VIRT_LIVE_NOT_TEAMED_AT_BOOT : -1;
        }
        switch (why) {
        case VIRT_LIVE_NOT_RUNNING:
                return "applies at next start: the VM is not running; it gets the VF when it starts";
        case VIRT_LIVE_NOT_TEAMED_AT_BOOT:
                return "applies at next start: the running virtio NIC was not started with teaming; " POWER_CYCLE;
        case VIRT_LIVE_UNSUPPORTED:
                return "applies at next start: the hypervisor cannot plug the VF into the running VM; " POWER_CYCLE;
        case VIRT_LIVE_FAILED:
                return "applies at next start: plugging the VF into the running VM failed; " POWER_CYCLE;
        default:
                return "applies at next start: the VF is in the VM's persistent config, not in the running VM; "
                       POWER_CYCLE;
        }
}

void vm_set_note(Vm *vm, const char *fmt, ...) {
        char *n = NULL;
        if (fmt) {
                va_list ap;
                va_start(ap, fmt);
                if (vasprintf(&n, fmt, ap) < 0)
                        n = NULL;
                va_end(ap);
        }
        free(vm->note);
        vm->note = n;
}

/* ---- waiting for a VF ------------------------------------------------------------------ */

bool vm_waiting(const Vm *vm) {
        return vm->waiting_since != 0 && !vm->has_record;
}

void vm_wait(Vm *vm, const char *reason) {
        Manager *m = vm->manager;

        if (!streq_ptr(vm->waiting_reason, reason)) {
                char *r = reason ? strdup(reason) : NULL;
                if (reason && !r)
                        return (void) log_oom();
                free_and_replace(vm->waiting_reason, r);
                if (vm->waiting_since != 0)
                        log_struct(LOG_INFO, NULL, NULL, NULL, vm->name, "VM %s still waits for a VF: %s", vm->name,
                                   strempty(reason));
        }
        if (vm->waiting_since != 0)
                return;
        uint64_t now = (uint64_t) time(NULL);
        vm->waiting_since = now > 0 && now <= WAITING_SINCE_MAX ? now : 1;
        log_struct(LOG_NOTICE, MESSAGE_ID_VM_WAITING, NULL, NULL, vm->name,
                   "VM %s is accelerated (performance %s) but no VF is free for it: it runs on virtio and waits for "
                   "one (%s).", vm->name, tier_to_string(vm->accel_tier), strempty(reason));
        manager_dirty(m, DIRTY_STATE | DIRTY_PROPERTIES);
        if (m->notify.vm_changed)
                m->notify.vm_changed(m->notify.userdata, vm->name, ACCELNET_VM_STATE_WAITING);
}

void vm_stop_waiting(Vm *vm) {
        if (vm->waiting_since == 0 && !vm->waiting_reason)
                return;
        if (vm->waiting_since != 0)
                manager_dirty(vm->manager, DIRTY_STATE | DIRTY_PROPERTIES);
        vm->waiting_since = 0;
        vm->waiting_reason = mfree(vm->waiting_reason);
}

void vm_policy(const Vm *vm, Tier tier, VfPolicy *ret) {
        const Manager *m = vm->manager;
        const TierSpec *spec = &m->config->settings.tiers.tiers[tier];
        *ret = (VfPolicy){ .vlan = vm->record.vlan, .spoofchk = true, .trust = false };
        snprintf(ret->mac, sizeof ret->mac, "%s", vm->record.mac);
        admission_tier_rates(spec, vm->slot ? vm->slot->pf->link_speed_mbps : 0, &ret->min_tx_rate,
                             &ret->max_tx_rate);
}

/* ---- the record ----------------------------------------------------------------------- */

int vm_take_slot(Vm *vm, VfSlot *s, Tier tier, const char *mac, unsigned vlan, AssignPhase phase) {
        Assignment a = { .tier = tier, .vf_index = s->index, .phase = phase, .vlan = vlan };
        snprintf(a.vf, sizeof a.vf, "%s", s->address);
        snprintf(a.pf, sizeof a.pf, "%s", s->pf->address);
        snprintf(a.mac, sizeof a.mac, "%s", strempty(mac));
        if (!(a.vm = strdup(vm->name)) || !(a.alias = strdup(ACCELNET_VF_ALIAS)) ||
            (vm->domain && vm->domain->uuid && !(a.vm_uuid = strdup(vm->domain->uuid)))) {
                assignment_done(&a);
                return -ENOMEM;
        }
        if (vm->slot && vm->slot->owner == vm)
                vm->slot->owner = NULL;
        assignment_done(&vm->record);
        vm->record = a;
        vm->has_record = true;
        vm->slot = s;
        s->owner = vm;
        if (s->held_for == vm)
                s->held_for = NULL;
        manager_dirty(vm->manager, DIRTY_STATE | DIRTY_PROPERTIES);
        return 0;
}

static void vm_drop_record(Vm *vm) {
        if (vm->slot && vm->slot->owner == vm)
                vm->slot->owner = NULL;
        vm->slot = NULL;
        assignment_done(&vm->record);
        vm->has_record = false;
        /* its VF is free: a waiting VM may have it now */
        manager_dirty(vm->manager, DIRTY_STATE | DIRTY_PROPERTIES | DIRTY_HANDOUT);
}

void vm_release(Vm *vm, const char *why) {
        Manager *m = vm->manager;
        if (!vm->has_record)
                return;
        if (vm->slot) {
                int r = vf_restore(m->nl, vm->slot->pf->ifname, vm->slot->index, &vm->record.saved);
                if (r < 0)
                        log_struct(LOG_WARNING, NULL, vm->record.pf, vm->record.vf, vm->name,
                                   "Restoring the settings of VF %s failed: %s", vm->record.vf, strerror(-r));
        }
        log_struct(LOG_NOTICE, MESSAGE_ID_VF_RELEASED, vm->record.pf, vm->record.vf, vm->name,
                   "VF %s released from VM %s: %s.", vm->record.vf, vm->name, why);
        vm_drop_record(vm);
        if (m->notify.vm_changed)
                m->notify.vm_changed(m->notify.userdata, vm->name, "released");
}

/* ---- snapshots: what undo and revert go back to --------------------------------------- */

int vm_snapshot_take(const Vm *vm, VmSnapshot *ret) {
        *ret = (VmSnapshot){ .has_record = vm->has_record, .accel = vm->accel, .accel_tier = vm->accel_tier };
        if (vm->has_record && assignment_copy(&ret->record, &vm->record) < 0)
                return -ENOMEM;
        return 0;
}

void vm_snapshot_restore(Vm *vm, const VmSnapshot *s) {
        if (vm->slot && vm->slot->owner == vm)
                vm->slot->owner = NULL;
        vm->slot = NULL;
        assignment_done(&vm->record);
        vm->has_record = false;
        if (s->has_record && assignment_copy(&vm->record, &s->record) >= 0) {
                vm->has_record = true;
                vm->slot = manager_find_slot(vm->manager, vm->record.vf);
                if (vm->slot)
                        vm->slot->owner = vm;
        }
        vm->accel = s->accel;
        vm->accel_tier = s->accel_tier;
        /* a VF may have freed (undone, disabled, moved) */
        manager_dirty(vm->manager, DIRTY_STATE | DIRTY_PROPERTIES | DIRTY_HANDOUT);
}

void vm_snapshot_done(VmSnapshot *s) {
        assignment_done(&s->record);
}

/* ---- admission ------------------------------------------------------------------------ */

int manager_choose_arrival_vf(Manager *m, const VirtDomain *d, Tier tier, VfSlot **ret, bool *ret_local) {
        _cleanup_free_ VfCandidate *c = NULL;
        _cleanup_free_ unsigned *load = NULL;
        size_t n = 0;

        int r = manager_vf_candidates(m, &c, &load, &n);
        if (r < 0)
                return r;
        int node = d ? numa_node_of(m, d) : -1;
        ssize_t pick = admission_choose_vf(&m->config->settings.tiers.tiers[tier], node, c, n, load, ret_local);
        if (pick < 0)
                return -ENOENT;
        *ret = manager_find_slot(m, c[pick].vf);
        return *ret ? 0 : -ENOENT;
}

int vm_admission_input(Vm *vm, Tier tier, AdmitMode mode, AdmissionInput *ret, VfCandidate **ret_c,
                       unsigned **ret_load) {
        Manager *m = vm->manager;
        _cleanup_free_ VfCandidate *c = NULL;
        _cleanup_free_ unsigned *load = NULL;
        char mac[18];
        unsigned vlan;
        size_t n = 0;

        int r = manager_vf_candidates(m, &c, &load, &n);
        if (r < 0)
                return r;
        unsigned assigned = manager_assigned_vfs(m);
        *ret = (AdmissionInput){
                .enabled = m->enabled, .vm = vm->name, .performance = tier_to_string(tier),
                .smt_active = m->host->smt_active, .tiers = &m->config->settings.tiers,
                /* in a cluster the share is claimed cluster-wide (cluster_node_claim) */
                .usable = mode == ADMIT_NEW && !manager_clustered(m) ? manager_usable_vfs(m) : manager_capacity_vfs(m),
                .reserve_included = mode != ADMIT_NEW || manager_clustered(m),
                /* a move gives its VF back as it takes the new one */
                .assigned = mode == ADMIT_MOVE && assigned > 0 ? assigned - 1 : assigned,
                .max_vms = m->config->settings.max_vms,
                .vm_already_assigned = mode == ADMIT_TIER_CHANGE, .cands = c, .n_cands = n, .pf_load = load,
        };
        vm_facts(vm, &ret->facts, mac, &vlan);
        *ret_c = TAKE_PTR(c);
        *ret_load = TAKE_PTR(load);
        return 0;
}

int vm_admit(Vm *vm, Tier tier, AdmitMode mode, VfSlot **ret_slot, bool *ret_local, AnStatus *st) {
        Manager *m = vm->manager;
        _cleanup_free_ VfCandidate *c = NULL;
        _cleanup_free_ unsigned *load = NULL;
        AdmissionInput in;
        AdmissionResult res;

        int r = vm_admission_input(vm, tier, mode, &in, &c, &load);
        if (r < 0)
                return an_status_set(st, r, "Out of memory.");
        r = admission_check(&in, &res);
        if (r < 0)
                return an_status_set(st, r, "%s", res.message);
        if (ret_slot)
                *ret_slot = mode == ADMIT_TIER_CHANGE ? vm->slot : manager_find_slot(m, c[res.choice].vf);
        if (ret_local)
                *ret_local = res.numa_local;
        return 0;
}

/* ---- the methods ---------------------------------------------------------------------- */

/* What every method needs before it may change anything. */
Vm *vm_method_begin(Manager *m, const char *name, bool need_enabled, AnStatus *st) {
        if (manager_check_writable(m, st) < 0)
                return NULL;
        if (need_enabled && !m->enabled) {
                an_status_set(st, -AN_ERROR_NOT_ENABLED, "%s %s", an_error_message(AN_ERROR_NOT_ENABLED),
                              an_error_remedy(AN_ERROR_NOT_ENABLED));
                return NULL;
        }
        if (!manager_virt_ready(m, st))
                return NULL;
        Vm *vm = manager_get_vm(m, name);
        if (!vm || !vm->domain) {
                /* Not heard of yet (its event may still be on its way): ask libvirt. */
                vm = manager_add_vm(m, name);
                if (!vm) {
                        an_status_set(st, -ENOMEM, "Out of memory.");
                        return NULL;
                }
                if (vm_refresh(vm, st) < 0) {
                        vm_gc(vm);
                        return NULL;
                }
        }
        if (vm->operation) {
                an_status_set(st, -AN_ERROR_BUSY, "Another operation on VM %s is in progress (%s); retry when it is done.",
                              name, vm->operation->type->name);
                return NULL;
        }
        if (m->management_op) {
                an_status_set(st, -AN_ERROR_BUSY, "Management is being changed (%s); retry when it is done.",
                              m->management_op->type->name);
                return NULL;
        }
        return vm;
}

static int already_enabled(AnStatus *st, const Vm *vm, Tier tier) {
        return an_status_set(st, -AN_ERROR_ALREADY_ENABLED,
                             "VM %s is already enabled with performance %s. To change it to %s use SetVM "
                             "('accelnetctl vm set %s --performance %s').", vm->name, tier_to_string(vm->accel_tier),
                             tier_to_string(tier), vm->name, tier_to_string(tier));
}

/* The no-op answers need what the methods need: a writable state and libvirt's answers
 * (while it is away every VM method is Busy, also one that would change nothing). */
static bool vm_noop_possible(Manager *m) {
        AnStatus ignore;
        return m->save_error >= 0 && manager_virt_ready(m, &ignore);
}

bool vm_enable_is_noop(Manager *m, const char *name, const char *performance) {
        if (!vm_noop_possible(m))
                return false;
        Vm *vm = manager_get_vm(m, name);
        Tier tier = tier_from_string(performance);
        return tier >= 0 && m->enabled && vm && vm->has_record && vm->accel && vm->accel_tier == tier && !vm->operation &&
               vm->record.phase == ASSIGN_PHASE_ASSIGNED;
}

/* In a cluster, a method for a domain of another node goes to that node. */
bool vm_forward(Manager *m, const char *method, const char *name, const char *performance, Completion *c) {
        if (!manager_clustered(m) || m->cluster->serving_request)
                return false;
        Vm *vm = manager_get_vm(m, name);
        if (vm && vm->domain)
                return false;
        uint32_t holder = cluster_node_holder(m->cluster, name);
        if (holder == 0)
                return false;
        cluster_node_forward(m->cluster, holder, method, name, performance, *c);
        return true;
}

static void vm_enable_claimed(Manager *m, const char *name, Tier tier, Completion c);

/* ---- EnableVM in a cluster: the claim and the job side by side ------------------------ */

typedef struct ClaimJoin {
        Manager *manager;
        char *vm;
        Completion c;
        bool job_done, claim_done;
        AnStatus job, claim;
} ClaimJoin;

static void claim_join_free(ClaimJoin *j) {
        free(j->vm);
        free(j);
}

static void claim_join_undone(void *userdata, const AnStatus *st) {
        ClaimJoin *j = userdata;
        if (st->r < 0)
                log_warning("VM %s: its VF could not be given back after the cluster refused it: %s", j->vm,
                            st->message);
        completion_done(&j->c, &j->claim);
        claim_join_free(j);
}

static void claim_join_maybe(ClaimJoin *j) {
        if (!j->job_done || !j->claim_done)
                return;
        if (j->job.r < 0 || j->claim.r >= 0) {
                /* a failed job: its claim leaves the count with our next facts */
                completion_done(&j->c, j->job.r < 0 ? &j->job : &AN_STATUS_OK);
                return claim_join_free(j);
        }
        Vm *vm = manager_get_vm(j->manager, j->vm);
        if (!vm || !vm->has_record || vm->operation) {
                completion_done(&j->c, &j->claim);
                return claim_join_free(j);
        }
        log_info("VM %s gives VF %s back: the cluster refused its claim.", j->vm, vm->record.vf);
        vm_start_job(vm, VM_JOB_DISABLE, NULL, _TIER_INVALID, (Completion){ claim_join_undone, j });
}

static void claim_join_job(void *userdata, const AnStatus *st) {
        ClaimJoin *j = userdata;
        j->job = *st;
        j->job_done = true;
        claim_join_maybe(j);
}

static void claim_join_claim(void *userdata, const AnStatus *st) {
        ClaimJoin *j = userdata;
        j->claim = *st;
        j->claim_done = true;
        claim_join_maybe(j);
}

static void claim_accepted(Manager *m, const char *vm, Tier tier, Completion c) {
        completion_done(&c, &AN_STATUS_OK);
}

static void vm_enable_with_claim(Vm *vm, VfSlot *slot, Tier tier, Completion c) {
        ClaimJoin *j = calloc(1, sizeof *j);
        if (!j || !(j->vm = strdup(vm->name))) {
                free(j);
                return completion_fail(&c, -ENOMEM, "Out of memory.");
        }
        j->manager = vm->manager;
        j->c = c;
        cluster_node_claim(vm->manager->cluster, vm->name, tier, claim_accepted, (Completion){ claim_join_claim, j });
        if (j->claim_done && j->claim.r < 0) {
                /* not even sent (no quorum, corosync away): nothing was taken */
                completion_done(&j->c, &j->claim);
                return claim_join_free(j);
        }
        vm_start_job(vm, VM_JOB_ENABLE, slot, tier, (Completion){ claim_join_job, j });
}

/* What EnableVM checks before a VF is taken, in the documented order, also again once a
 * waiting VM's claim is in: the VM, its tier (parsed from `performance` unless NULL), no
 * other tier in force, and the VF admission chooses. NULL when c has been told (an error,
 * or enabled with that tier already). */
static Vm *vm_enable_begin(Manager *m, const char *name, const char *performance, Tier *tier, VfSlot **ret_slot,
                           Completion *c) {
        AnStatus st = AN_STATUS_OK;
        Vm *vm = vm_method_begin(m, name, true, &st);

        if (vm && performance && manager_check_tier_arg(performance, tier, &st) < 0)
                vm = NULL;
        if (vm && vm_accelerated(vm) && vm->accel_tier != *tier)
                already_enabled(&st, vm, *tier);
        else if (vm && vm->revoked_since && vm_accelerated(vm))
                ; /* enabled with that tier, its VF revoked by the admin: none until RestoreVM */
        else if (vm && !vm->has_record && vm_admit(vm, *tier, ADMIT_NEW, ret_slot, NULL, &st) >= 0)
                return vm;
        completion_done(c, &st); /* st.r == 0: enabled with that tier already */
        return NULL;
}

void vm_enable(Manager *m, const char *name, const char *performance, Completion c) {
        AnStatus st = AN_STATUS_OK;
        VfSlot *slot = NULL;
        Tier tier;

        if (vm_forward(m, "EnableVM", name, performance, &c))
                return;
        if (manager_clustered(m) && cluster_node_check_quorum(m->cluster, &st) < 0)
                return completion_done(&c, &st);
        Vm *vm = vm_enable_begin(m, name, performance, &tier, &slot, &c);
        if (!vm)
                return;
        if (manager_clustered(m)) {
                /* A VF of the cluster's usable ones, claimed in agreed order. A VM that was not
                 * accelerated takes it while the claim travels (the claim is judged alike on
                 * every node; ours is not counted in our facts until it is): refused, the VF
                 * goes back before the caller hears it. A waiting VM waits for the claim. */
                if (vm_accelerated(vm))
                        return cluster_node_claim(m->cluster, name, tier, vm_enable_claimed, c);
                return vm_enable_with_claim(vm, slot, tier, c);
        }
        vm_start_job(vm, VM_JOB_ENABLE, slot, tier, c);
}

static void vm_enable_claimed(Manager *m, const char *name, Tier tier, Completion c) {
        VfSlot *slot = NULL;
        Vm *vm = vm_enable_begin(m, name, NULL, &tier, &slot, &c);
        if (vm)
                vm_start_job(vm, VM_JOB_ENABLE, slot, tier, c);
}

bool vm_set_is_noop(Manager *m, const char *name, const char *performance) {
        if (!vm_noop_possible(m))
                return false;
        Vm *vm = manager_get_vm(m, name);
        Tier tier = tier_from_string(performance);
        return tier >= 0 && m->enabled && vm && vm->has_record && vm->accel && vm->accel_tier == tier && !vm->operation;
}

void vm_set(Manager *m, const char *name, const char *performance, Completion c) {
        AnStatus st = AN_STATUS_OK;

        if (vm_forward(m, "SetVM", name, performance, &c))
                return;
        if (manager_clustered(m) && cluster_node_check_quorum(m->cluster, &st) < 0)
                return completion_done(&c, &st);
        Vm *vm = vm_method_begin(m, name, true, &st);
        bool local = false;
        VfSlot *slot = NULL;
        Tier tier;

        if (!vm || manager_check_tier_arg(performance, &tier, &st) < 0)
                return completion_done(&c, &st);
        if (!vm_accelerated(vm))
                return completion_fail(&c, -AN_ERROR_INVALID_ARGS,
                                       "VM '%s' is not accelerated: use EnableVM ('accelnetctl vm enable %s') first.",
                                       name, name);
        if (!vm->has_record)
                /* Accelerated but holding no VF here (waiting): the setting alone changes. */
                return vm_start_job(vm, VM_JOB_SETTING, NULL, tier, c);
        if (vm->accel_tier == tier && vm->record.tier == tier)
                return completion_done(&c, &st);
        if (vm_admit(vm, tier, ADMIT_TIER_CHANGE, NULL, NULL, &st) < 0)
                return completion_done(&c, &st);

        /* A stricter NUMA requirement that the current VF does not meet moves the VM to a
         * fitting VF (the guest is on virtio for that moment); a fitting one must be free. */
        const TierSpec *spec = &m->config->settings.tiers.tiers[tier];
        VmFacts facts;
        char mac[18];
        unsigned vlan;
        vm_facts(vm, &facts, mac, &vlan);
        if (spec->numa == NUMA_POLICY_REQUIRED && facts.numa_node >= 0 && vm->slot &&
            vm->slot->pf->numa_node != facts.numa_node) {
                int r = vm_admit(vm, tier, ADMIT_MOVE, &slot, &local, &st);
                if (r < 0 || !slot || !local)
                        return completion_fail(&c, -AN_ERROR_CANNOT_PROVISION_PERFORMANCE,
                                               "Performance %s needs a VF on NUMA node %d, where VM %s runs; it holds %s "
                                               "on node %d and no VF on node %d is free.", tier_to_string(tier),
                                               facts.numa_node, name, vm->record.vf, vm->slot->pf->numa_node,
                                               facts.numa_node);
                log_info("VM %s moves from VF %s (node %d) to %s (node %d) for performance %s.", name, vm->record.vf,
                         vm->slot->pf->numa_node, slot->address, facts.numa_node, tier_to_string(tier));
                return vm_start_job(vm, VM_JOB_MOVE, slot, tier, c);
        }
        vm_start_job(vm, VM_JOB_SET, vm->slot, tier, c);
}

bool vm_disable_is_noop(Manager *m, const char *name) {
        if (!vm_noop_possible(m))
                return false;
        Vm *vm = manager_get_vm(m, name);
        return m->enabled && vm && vm->domain && !vm_accelerated(vm) && !vm->operation;
}

void vm_disable(Manager *m, const char *name, Completion c) {
        AnStatus st = AN_STATUS_OK;

        if (vm_forward(m, "DisableVM", name, "", &c))
                return;
        Vm *vm = vm_method_begin(m, name, false, &st);

        if (!vm)
                return completion_done(&c, &st);
        if (!m->enabled && !vm->has_record)
                return completion_fail(&c, -AN_ERROR_NOT_ENABLED, "%s %s", an_error_message(AN_ERROR_NOT_ENABLED),
                                       an_error_remedy(AN_ERROR_NOT_ENABLED));
        if (!vm_accelerated(vm))
                return completion_done(&c, &st); /* not accelerated: nothing to do */
        vm_start_job(vm, vm->has_record ? VM_JOB_DISABLE : VM_JOB_SETTING, NULL, _TIER_INVALID, c);
}

/* ---- internal operations (reconcile) -------------------------------------------------- */

void vm_restore(Vm *vm, const char *why) {
        if (vm->operation || !vm->has_record || !vm->slot)
                return;
        log_struct(LOG_INFO, NULL, vm->record.pf, vm->record.vf, vm->name, "VM %s gets VF %s again: %s.", vm->name,
                   vm->record.vf, why);
        vm_start_job(vm, VM_JOB_RESTORE, vm->slot, vm->record.tier, COMPLETION_NONE);
}

void vm_write_setting(Vm *vm, Tier tier) {
        if (vm->operation)
                return;
        vm_start_job(vm, VM_JOB_SETTING, NULL, tier, COMPLETION_NONE);
}

void vm_detach_stray(Vm *vm, const char *vf, const char *why) {
        if (vm->operation)
                return;
        log_struct(LOG_WARNING, MESSAGE_ID_DRIFT, NULL, vf, vm->name, "VF %s is taken out of VM %s: %s.", vf, vm->name,
                   why);
        vm_start_stray_job(vm, vf);
}
