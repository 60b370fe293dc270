/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reconcile: the VMs' records, their settings (in their XML) and their domains' devices
 * brought together, at start, after libvirt reconnects, after provisioning and after Enable.
 * Everything is read from what the daemon already knows (the domains' facts, kept fresh by
 * libvirt's events; each PF's VF settings listed once); what needs libvirt to change runs as
 * operations. VMs with an operation in flight are left to it.
 *
 *  1. Every VF of ours that a domain's XML names is known before any VF is handed out: our
 *     hostdev (alias ua-accelnet-…) without a record is adopted with the VM's tier; a VF of
 *     the plan in a domain's XML outside accelnet is never handed out (a stray); a VF of
 *     another VM in a domain's XML is taken out of it.
 *  2. Every record is finished or undone (interrupted changes), released when its domain is
 *     gone, given back to its VM when its VF left the XML behind accelnet's back while the VM
 *     is still accelerated, and its VF policy re-applied when it drifted (a reboot, a driver
 *     reload).
 *  3. Every accelerated VM without a VF gets one (declarative), or waits for one: the waiting
 *     VMs are served in policy/waiting.h's order, here and whenever a VF may have freed
 *     (manager_hand_out). */
#include <stdio.h>

#include "cluster-node.h"
#include "pf.h"
#include "policy/waiting.h"
#include "servicing.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/names.h"
#include "vf.h"
#include "virt/virt.h"
#include "vm-work.h"
#include "vm.h"

static void drift(Manager *m, const char *vm, const char *vf, const char *fmt, ...) _printf_(4, 5);
static void drift(Manager *m, const char *vm, const char *vf, const char *fmt, ...) {
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        log_struct(LOG_WARNING, MESSAGE_ID_DRIFT, NULL, vf, vm, "Reconcile: %s", buf);
        note_list_add(&m->drift, "reconcile", vm ? vm : "host", PREREQ_WARNING, 0, "%s", buf);
}

/* VF settings listed once per PF for a whole reconcile (one RTM_GETLINK per PF). */
typedef struct PfList {
        const Pf *pf;
        VfInfo *vfs;
        size_t n;
        int r;
} PfList;

typedef struct Reconcile {
        Manager *m;
        PfList *lists;
        size_t n_lists;
} Reconcile;

static const VfInfo *cached_vf(Reconcile *rc, const VfSlot *s) {
        PfList *l = NULL;
        for (size_t i = 0; i < rc->n_lists && !l; i++)
                if (rc->lists[i].pf == s->pf)
                        l = &rc->lists[i];
        if (!l) {
                PfList *v = realloc(rc->lists, sizeof(PfList) * (rc->n_lists + 1));
                if (!v)
                        return NULL;
                rc->lists = v;
                l = &rc->lists[rc->n_lists++];
                *l = (PfList){ .pf = s->pf };
                l->r = vf_netlink_list(rc->m->nl, s->pf->ifname, &l->vfs, &l->n);
        }
        if (l->r < 0 || s->index >= l->n || l->vfs[s->index].index != s->index)
                return NULL;
        return &l->vfs[s->index];
}

static int on_policy_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* Right after its VFs were created a PF may refuse an attribute it takes a moment later (igb
 * refuses a rate while its link comes up): such a VM's policy is tried again, a few times. */
static void policy_retry_later(Manager *m, Vm *vm) {
        if (vm->policy_retries == 0)
                vm->policy_retries = MANAGER_POLICY_RETRIES;
        if (!m->policy_timer) {
                if (sd_event_add_time_relative(m->event, &m->policy_timer, CLOCK_MONOTONIC, MANAGER_POLICY_RETRY_USEC,
                                               0, on_policy_timer, m) >= 0)
                        (void) sd_event_source_set_description(m->policy_timer, "policy-retry");
        } else if (sd_event_source_get_enabled(m->policy_timer, NULL) == 0) {
                (void) sd_event_source_set_time_relative(m->policy_timer, MANAGER_POLICY_RETRY_USEC);
                (void) sd_event_source_set_enabled(m->policy_timer, SD_EVENT_ONESHOT);
        }
}

/* Applies the VM's policy; true when every attribute took. */
static bool apply_policy(Manager *m, Vm *vm, AnStatus *st, char *warnings, size_t n) {
        VfPolicy p;
        vm_policy(vm, vm->record.tier, &p);
        int r = vf_apply_policy(m->nl, vm->slot->pf->ifname, vm->slot->index, &p,
                                m->config->settings.tiers.tiers[vm->record.tier].rates_required, st, warnings, n);
        return r >= 0 && !warnings[0];
}

static int on_policy_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        bool again = false;
        Vm *vm;

        HASHMAP_FOREACH(vm, m->vms) {
                if (!vm->policy_retries || !vm->has_record || !vm->slot || vm->operation) {
                        vm->policy_retries = 0;
                        continue;
                }
                AnStatus st = AN_STATUS_OK;
                char warnings[256];
                if (apply_policy(m, vm, &st, warnings, sizeof warnings) || --vm->policy_retries == 0) {
                        if (vm->policy_retries == 0 && (st.r < 0 || warnings[0]))
                                log_struct(LOG_WARNING, NULL, vm->record.pf, vm->record.vf, vm->name,
                                           "VF %s of VM %s keeps refusing part of its policy: %s", vm->record.vf,
                                           vm->name, st.r < 0 ? st.message : warnings);
                        vm->policy_retries = 0;
                        continue;
                }
                again = true;
        }
        if (again) {
                (void) sd_event_source_set_time_relative(s, MANAGER_POLICY_RETRY_USEC);
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        }
        return 0;
}

/* The VM's policy, re-applied when the VF does not show it (or cannot be read). */
static void ensure_policy(Reconcile *rc, Vm *vm) {
        Manager *m = rc->m;
        VfPolicy p;
        AnStatus st = AN_STATUS_OK;
        char warnings[256] = "";

        vm_policy(vm, vm->record.tier, &p);
        const VfInfo *info = cached_vf(rc, vm->slot);
        if (info && vf_matches_policy(info, &p))
                return;
        bool complete = apply_policy(m, vm, &st, warnings, sizeof warnings);
        if (!complete)
                policy_retry_later(m, vm);
        if (st.r < 0)
                drift(m, vm->name, vm->record.vf, "VF %s of VM %s has lost its policy and re-applying it failed: %s",
                      vm->record.vf, vm->name, st.message);
        else
                drift(m, vm->name, vm->record.vf, "VF %s of VM %s %s; its policy (MAC %s, VLAN %u) was re-applied%s%s.",
                      vm->record.vf, vm->name, info ? "had drifted from its policy" : "could not be read",
                      vm->record.mac, vm->record.vlan, warnings[0] ? "; " : "", warnings);
}

static const VirtIface *find_vf(const VirtIface *v, size_t n, const char *vf) {
        return virt_iface_find_pci(v, n, vf);
}

static bool is_ours(const VirtIface *f) {
        return f->alias && strncmp(f->alias, ACCELNET_ALIAS_PREFIX, strlen(ACCELNET_ALIAS_PREFIX)) == 0;
}

/* 1. What the domains' XML holds. */
static void check_domain_vfs(Reconcile *rc, Vm *vm) {
        Manager *m = rc->m;
        const VirtDomain *d = vm->domain;

        for (size_t i = 0; i < m->n_pfs; i++)
                for (size_t k = 0; k < m->pfs[i]->n_slots; k++) {
                        VfSlot *s = &m->pfs[i]->slots[k];
                        if (s->stray && streq(s->stray, vm->name))
                                s->stray = mfree(s->stray);
                }
        if (!d)
                return;

        for (int pass = 0; pass < 2; pass++) {
                const VirtIface *v = pass ? d->live_ifaces : d->ifaces;
                size_t n = pass ? d->n_live_ifaces : d->n_ifaces;
                for (size_t i = 0; i < n; i++) {
                        if (v[i].type != VIRT_IFACE_HOSTDEV || !v[i].pci)
                                continue;
                        VfSlot *s = manager_find_slot(m, v[i].pci);
                        if (!s || s->owner == vm)
                                continue;
                        if (!is_ours(&v[i])) {
                                if (s->owner)
                                        drift(m, vm->name, s->address,
                                              "VF %s is in the XML of domain %s (outside accelnet) and recorded for VM "
                                              "%s: one of them must let it go.", s->address, vm->name, s->owner->name);
                                else if (!s->stray) {
                                        s->stray = strdup(vm->name);
                                        drift(m, vm->name, s->address,
                                              "VF %s is in the XML of domain %s outside accelnet: it is never handed "
                                              "out.", s->address, vm->name);
                                }
                                continue;
                        }
                        if (vm->operation)
                                continue;
                        if (s->owner || vm->has_record) {
                                drift(m, vm->name, s->address, "VM %s holds VF %s, which %s; it is taken out.", vm->name,
                                      s->address, s->owner ? "belongs to another VM" : "is not its recorded VF");
                                vm_detach_stray(vm, s->address, "not its VF");
                                continue;
                        }
                        if (!m->enabled || !s->pf->planned)
                                continue;
                        /* No record at all (state lost, or a record dropped): adopt it. */
                        Tier tier = vm->accel ? vm->accel_tier : TIER_LOW;
                        if (vm_take_slot(vm, s, tier, v[i].mac, v[i].vlan, ASSIGN_PHASE_ASSIGNED) < 0)
                                continue;
                        /* Its own settings are unknown: restore to the kernel's defaults. */
                        vm->record.saved = (VfSettings){ .valid = true, .mac = "00:00:00:00:00:00", .spoofchk = true };
                        vm->record.next_start = d->active && !find_vf(d->live_ifaces, d->n_live_ifaces, s->address);
                        drift(m, vm->name, s->address, "VM %s holds VF %s without a record; adopted with performance %s%s.",
                              vm->name, s->address, tier_to_string(tier), vm->accel ? "" : " (it had no setting)");
                        ensure_policy(rc, vm);
                        if (!vm->accel || vm->accel_tier != tier)
                                vm_write_setting(vm, tier);
                }
        }
}

/* 2. The VM's record against its domain. */
static void check_record(Reconcile *rc, Vm *vm) {
        Manager *m = rc->m;
        const VirtDomain *d = vm->domain;

        if (!d) {
                drift(m, vm->name, vm->record.vf, "VM %s no longer exists; its VF %s is freed.", vm->name, vm->record.vf);
                vm_release(vm, "the domain no longer exists");
                return;
        }
        if (servicing_owns_record(m, vm))
                return; /* being revoked (servicing.c): never given back or re-applied here */
        Pf *pf = manager_find_pf(m, vm->record.pf);
        if (!vm->slot) {
                VfSlot *s = manager_find_slot(m, vm->record.vf);
                if (s && s->owner && s->owner != vm) {
                        drift(m, vm->name, vm->record.vf, "VF %s was recorded for both %s and %s; %s keeps it.",
                              vm->record.vf, s->owner->name, vm->name, s->owner->name);
                        vm_release(vm, "recorded for another VM too");
                        return;
                }
                /* Its VF does not exist now: its adapter is being (or will be) provisioned. */
                vm_set_note(vm, "waiting for the VFs of %s (%s)", vm->record.pf,
                            pf && pf->operation ? "being provisioned"
                            : pf && pf->error ? pf->error : "not provisioned");
                return;
        }
        if (pf && pf->operation)
                return;
        bool in_xml = find_vf(d->ifaces, d->n_ifaces, vm->record.vf) != NULL;
        bool live = d->active && find_vf(d->live_ifaces, d->n_live_ifaces, vm->record.vf) != NULL;

        switch (vm->record.phase) {
        case ASSIGN_PHASE_ASSIGNING:
                if (!in_xml && !live) {
                        drift(m, vm->name, vm->record.vf, "Enabling VM %s was interrupted before libvirt took VF %s; "
                              "undone.", vm->name, vm->record.vf);
                        vm_release(vm, "interrupted enable undone");
                        return;
                }
                vm->record.phase = ASSIGN_PHASE_ASSIGNED;
                drift(m, vm->name, vm->record.vf, "Enabling VM %s was interrupted after libvirt took VF %s; finished.",
                      vm->name, vm->record.vf);
                break;
        case ASSIGN_PHASE_RELEASING:
                if (in_xml || live) {
                        drift(m, vm->name, vm->record.vf, "Disabling VM %s was interrupted; finishing.", vm->name);
                        vm_start_job(vm, VM_JOB_DISABLE, NULL, _TIER_INVALID, COMPLETION_NONE);
                        return;
                }
                drift(m, vm->name, vm->record.vf, "Disabling VM %s was interrupted; finished.", vm->name);
                vm_release(vm, "interrupted disable finished");
                if (vm->accel)
                        vm_write_setting(vm, _TIER_INVALID);
                return;
        case ASSIGN_PHASE_INCOMING:
                if (d->active && live)
                        vm->record.phase = ASSIGN_PHASE_ASSIGNED;
                else
                        return; /* the migration has not arrived yet */
                break;
        default:
                if (!in_xml && !live) {
                        if (vm->accel) {
                                drift(m, vm->name, vm->record.vf, "VF %s was removed from VM %s outside accelnet; "
                                      "the VM is accelerated, so it gets it back.", vm->record.vf, vm->name);
                                ensure_policy(rc, vm);
                                vm_restore(vm, "taken out outside accelnet");
                        } else {
                                drift(m, vm->name, vm->record.vf, "VF %s was removed from VM %s outside accelnet; "
                                      "it is freed.", vm->record.vf, vm->name);
                                vm_release(vm, "removed from the domain outside accelnet");
                        }
                        return;
                }
                break;
        }
        bool next_start = d->active ? !live : false;
        if (vm->record.next_start != next_start) {
                vm->record.next_start = next_start;
                manager_dirty(m, DIRTY_STATE);
        }
        vm_set_note(vm, NULL);
        ensure_policy(rc, vm);
        if (!vm->accel || vm->accel_tier != vm->record.tier)
                vm_write_setting(vm, vm->record.tier); /* the record is the stronger evidence */
        manager_dirty(m, DIRTY_STATE);
}

/* 3. An accelerated VM without a VF gets one, or waits. */

/* Why a VM waits, in words for ListVMs: what the host lacks rather than admission's wording
 * for a new VM (the node reserve is open to a waiting VM). */
static void wait_reason(Manager *m, const AnStatus *st, char *buf, size_t size) {
        unsigned capacity = manager_capacity_vfs(m), assigned = manager_assigned_vfs(m);
        bool provisioning = false;
        char out[256];

        for (size_t i = 0; i < m->n_pfs; i++)
                provisioning = provisioning || (m->pfs[i]->planned && m->pfs[i]->operation);
        /* adapters out of service (servicing): said, since they are why capacity is short */
        manager_servicing_out_of_service(m, out, sizeof out);
        if (capacity == 0)
                snprintf(buf, size, "%s%s", provisioning ? "the VFs of the intent are being provisioned"
                                                         : "no adapter of the intent has usable VFs on this host (see "
                                                           "'accelnetctl adapters')", out);
        else if (st->r == -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES && assigned >= capacity)
                snprintf(buf, size, "all %u VFs of this host are assigned, the node reserve included%s", capacity, out);
        else
                snprintf(buf, size, "%.700s%s", st->message, out);
}

static void give_vf(Vm *vm) {
        Manager *m = vm->manager;
        AnStatus st = AN_STATUS_OK;
        VfSlot *slot = NULL;
        char reason[sizeof st.message];

        for (size_t i = 0; i < vm->domain->n_ifaces; i++) {
                const VirtIface *f = &vm->domain->ifaces[i];
                if (f->type == VIRT_IFACE_HOSTDEV && is_ours(f)) {
                        /* One VM, one VF: it keeps the one in its XML that could not be adopted. */
                        vm_stop_waiting(vm);
                        vm_set_note(vm, "holds VF %s, which is not a VF of the intent in force", strempty(f->pci));
                        return;
                }
        }
        if (vm->handout_failed)
                return; /* it keeps its place and its reason; tried again at the next refresh */

        if (vm_admit(vm, vm->accel_tier, ADMIT_NEW_RESERVE, &slot, NULL, &st) < 0 || !slot) {
                wait_reason(m, &st, reason, sizeof reason);
                vm_wait(vm, reason);
                return;
        }
        vm_set_note(vm, NULL);
        if (vm->waiting_since)
                log_struct(LOG_INFO, NULL, slot->pf->address, slot->address, vm->name,
                           "VM %s, waiting for a VF, gets VF %s (performance %s).", vm->name, slot->address,
                           tier_to_string(vm->accel_tier));
        vm_start_job(vm, VM_JOB_ENABLE, slot, vm->accel_tier, COMPLETION_NONE);
        if (!vm->operation) {
                /* refused before it started (the VF's settings could not be read) */
                vm->handout_failed = true;
                snprintf(reason, sizeof reason, "VF %s could not be given to it; tried again at the next refresh",
                         slot->address);
                vm_wait(vm, reason);
        }
}

void manager_hand_out(Manager *m) {
        _cleanup_free_ WaitingVm *w = NULL;
        Vm **vms = NULL;
        size_t n = 0, k = 0;

        if (!m->domains_known || manager_sorted_vms(m, &vms, &n) < 0) {
                /* again with the reconcile that follows libvirt's answer */
                m->dirty &= ~DIRTY_HANDOUT;
                return;
        }
        w = calloc(n ? n : 1, sizeof(WaitingVm));
        if (!w) {
                log_oom();
                return;
        }
        for (size_t i = 0; i < n; i++) {
                Vm *vm = vms[i];
                if (vm->operation)
                        continue; /* left to it */
                if (!vm->domain && !vm->gone)
                        continue; /* not (yet) known to libvirt: an incoming VM keeps its wait */
                if (!m->enabled || !vm->accel || !vm->domain || vm->has_record || vm->revoked_since) {
                        /* (revoked by the admin: no VF until RestoreVM, servicing.c) */
                        vm_stop_waiting(vm);
                        continue;
                }
                if (!vm->domain->active && (vm->moved_away || cluster_node_vf_elsewhere(m->cluster, vm->name))) {
                        /* A definition left here by a migration or a failover: the VM runs
                         * elsewhere and has its VF there; it gets one here when it starts here. */
                        vm_stop_waiting(vm);
                        vm_set_note(vm, "runs on another host; gets a VF here when it starts here");
                        continue;
                }
                w[k++] = (WaitingVm){ .name = vm->name, .tier = vm->accel_tier, .since = vm->waiting_since,
                                      .userdata = vm };
        }
        /* High before Medium before Low, then the longest waiting, then the name: each takes
         * the VF admission chooses for it among those still free. */
        waiting_vms_sort(w, k);
        for (size_t i = 0; i < k; i++)
                give_vf(w[i].userdata);
        /* Cleared after the pass: what the pass itself undid (a job refused at its start) does
         * not ask for another one. */
        m->dirty &= ~DIRTY_HANDOUT;
}

/* One domain changed (an event): what its XML holds is known again at once, so that no VF it
 * names is handed out meanwhile. Its record waits for the next full reconcile. */
void manager_reconcile_domain(Manager *m, Vm *vm) {
        Reconcile rc = { .m = m };
        if (!m->domains_known)
                return;
        check_domain_vfs(&rc, vm);
        for (size_t i = 0; i < rc.n_lists; i++)
                free(rc.lists[i].vfs);
        free(rc.lists);
}

void manager_reconcile(Manager *m) {
        Reconcile rc = { .m = m };
        Vm **vms = NULL;
        size_t n = 0;

        m->reconcile_wanted = false;
        if (!m->domains_known)
                return; /* again when libvirt answers */
        note_list_clear(&m->drift, NULL);
        for (size_t i = 0; i < m->n_pfs; i++)
                for (size_t k = 0; k < m->pfs[i]->n_slots; k++)
                        m->pfs[i]->slots[k].stray = mfree(m->pfs[i]->slots[k].stray);
        /* Sorted: the same state gives the same adoptions and choices, and the walk survives
         * releases (a released Vm may leave the table). */
        if (manager_sorted_vms(m, &vms, &n) < 0)
                return;
        _cleanup_free_ Vm **v = n ? malloc(n * sizeof(Vm *)) : NULL;
        if (n && !v)
                return;
        if (n)
                memcpy(v, vms, n * sizeof(Vm *));

        for (size_t i = 0; i < n; i++)
                check_domain_vfs(&rc, v[i]);
        if (m->enabled)
                for (size_t i = 0; i < n; i++)
                        if (v[i]->has_record && !v[i]->operation)
                                check_record(&rc, v[i]);
        manager_hand_out(m);
        for (size_t i = 0; i < n; i++)
                vm_gc(v[i]);

        for (size_t i = 0; i < rc.n_lists; i++)
                free(rc.lists[i].vfs);
        free(rc.lists);
        manager_dirty(m, DIRTY_STATE | DIRTY_PROPERTIES);
        if (m->drift.n > 0)
                log_notice("Reconcile: %zu finding(s); see GetPrerequisites (check \"reconcile\").", m->drift.n);
}
