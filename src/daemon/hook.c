/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the libvirt hook asks of the daemon (org.accelnet1.Hook): VF policy at prepare, the
 * VF's own settings back at release, and a local VF for an incoming migration. Nothing here
 * calls libvirt: libvirtd is waiting on the hook (a call back would deadlock). */
#include <stdio.h>

#include "pf.h"
#include "plan.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/names.h"
#include "vf.h"
#include "virt/virt.h"
#include "vm-work.h"
#include "vm.h"

typedef struct PrepareWait {
        Manager *manager;
        char *vm;
        Completion completion;
} PrepareWait;

static int arrival_admit(Manager *m, const char *vm, Tier tier, AnStatus *st);

/* What a start brings: the domain XML libvirt is starting may come from another node (an HA
 * manager's `virsh create` of a shared file, a `virsh define` racing our retargeting of it),
 * and name a VF that is not this VM's here. libvirt lets no hook change the XML at prepare,
 * so the start goes ahead only with a VF that is free here: a VF this VM holds, or a free VF
 * of the intent, which the VM takes (as an arrival: the node reserve is open to it). A VF of
 * another VM, of a domain outside accelnet, or not of the intent fails the start, naming it:
 * one VF, one VM, always. */
static int prepare_check_xml(Manager *m, const char *name, const char *xml, AnStatus *st) {
        _cleanup_(virt_xml_accel_done) VirtXmlAccel acc = {};
        VfSettings saved;
        char why[160];

        if (isempty(xml) || !m->enabled || virt_xml_accel_parse(xml, &acc) < 0 || acc.n_vfs == 0)
                return 0; /* nothing of ours named (or not readable: libvirt judges it) */
        const VirtXmlVf *named = &acc.vfs[0];
        Vm *vm = manager_get_vm(m, name);
        if (vm && vm->has_record) {
                if (streq(vm->record.vf, named->pci))
                        return 0;
                return an_status_set(st, -AN_ERROR_ENABLE_ACCELNET_FAILED,
                                     "VM %s is started with VF %s in its XML, but its VF on this node is %s (an XML "
                                     "from another node?); accelnetd points its definition here at %s: start it "
                                     "again.", name, named->pci, vm->record.vf, vm->record.vf);
        }
        if (vm && vm->operation)
                return an_status_set(st, -AN_ERROR_BUSY, "Another operation on VM %s is in progress.", name);
        if (vm && vm->revoked_since)
                /* RevokeVM (servicing.c): no VF until RestoreVM, also not one its start names */
                return an_status_set(st, -AN_ERROR_ENABLE_ACCELNET_FAILED,
                                     "VM %s cannot start with VF %s: the admin revoked its VF on this node (RestoreVM, "
                                     "'accelnetctl vm restore %s', ends that). Start it from a definition without the "
                                     "VF.", name, named->pci, name);

        VfSlot *s = manager_find_slot(m, named->pci);
        if (!s)
                snprintf(why, sizeof why, "is not a VF of the adapters of intent '%s' on this node", m->intent);
        else if (s->owner)
                snprintf(why, sizeof why, "is VM %s's on this node", s->owner->name);
        else if (s->stray && !streq(s->stray, name))
                snprintf(why, sizeof why, "is in the XML of domain %s here (outside accelnet)", s->stray);
        else if (s->held_for)
                snprintf(why, sizeof why, "is still held by VM %s, which is moving to another VF", s->held_for->name);
        else if (!pf_usable(s->pf))
                snprintf(why, sizeof why, "is on adapter %s, which is not usable now", s->pf->address);
        else
                why[0] = 0;
        if (why[0])
                return an_status_set(st, -AN_ERROR_ENABLE_ACCELNET_FAILED,
                                     "VM %s cannot start with VF %s: that VF %s (the XML comes from another node?). "
                                     "Start it from a definition without the VF, or define it here first: accelnetd "
                                     "gives it a VF of this node.", name, named->pci, why);

        /* A free VF of the intent: the VM takes it, like an arrival. */
        Tier tier = acc.accel && acc.performance ? tier_from_string(acc.performance) : TIER_LOW;
        if (tier < 0)
                tier = TIER_LOW;
        if (manager_check_vm_arg(name, st) < 0 || manager_check_writable(m, st) < 0 ||
            arrival_admit(m, name, tier, st) < 0)
                return st->r;
        int r = vf_read_settings(m->nl, s->pf->ifname, s->index, &saved);
        if (r < 0)
                return an_status_set(st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "Cannot read VF %s: %s.", s->address,
                                     strerror(-r));
        if (!vm && !(vm = manager_add_vm(m, name)))
                return an_status_set(st, -ENOMEM, "Out of memory.");
        VmSnapshot before;
        if (vm_snapshot_take(vm, &before) < 0)
                return an_status_set(st, -ENOMEM, "Out of memory.");
        r = vm_take_slot(vm, s, tier, named->mac, named->vlan, ASSIGN_PHASE_INCOMING);
        if (r >= 0) {
                vm->record.saved = saved;
                vm->accel = true;
                vm->accel_tier = tier;
                vm_stop_waiting(vm);
                r = manager_save_now(m);
                if (r < 0) {
                        vm_snapshot_restore(vm, &before);
                        an_status_set(st, r, "Nothing was changed: the state folder %s cannot be written (%s).",
                                      m->state_dir, strerror(-r));
                }
        } else
                an_status_set(st, r, "Out of memory.");
        vm_snapshot_done(&before);
        if (r < 0) {
                vm_gc(vm);
                return st->r;
        }
        log_struct(LOG_NOTICE, MESSAGE_ID_VF_ASSIGNED, s->pf->address, s->address, name,
                   "VM %s starts with VF %s named in its XML, free on this node: it takes it with performance %s.",
                   name, s->address, tier_to_string(tier));
        if (m->notify.vm_changed)
                m->notify.vm_changed(m->notify.userdata, name, ACCELNET_VM_STATE_ENABLED);
        return 0;
}

static void prepare_now(Manager *m, const char *name, Completion *c) {
        AnStatus st = AN_STATUS_OK;
        char warnings[256];
        VfPolicy p;
        Vm *vm = manager_get_vm(m, name);

        if (!vm || !vm->has_record)
                return completion_done(c, &st); /* not ours, or waiting for a VF: starts on virtio */
        if (!vm->slot) {
                const Pf *pf = manager_find_pf(m, vm->record.pf);
                return completion_fail(c, -AN_ERROR_ENABLE_ACCELNET_FAILED,
                                       "VM %s is accelerated with VF %s, which does not exist now (%s has %u VFs%s%s). "
                                       "See 'accelnetctl prereq'.", name, vm->record.vf, vm->record.pf,
                                       pf ? pf->num_vfs : 0, pf && pf->error ? ": " : "", pf ? strempty(pf->error) : "");
        }
        vm_policy(vm, vm->record.tier, &p);
        if (vf_apply_policy(m->nl, vm->slot->pf->ifname, vm->slot->index, &p,
                            m->config->settings.tiers.tiers[vm->record.tier].rates_required, &st, warnings,
                            sizeof warnings) < 0) {
                log_struct(LOG_ERR, MESSAGE_ID_POLICY_DENIED, vm->record.pf, vm->record.vf, name,
                           "Hook prepare: VF policy of %s failed: %s", name, st.message);
                return completion_fail(c, -AN_ERROR_ENABLE_ACCELNET_FAILED, "VM %s cannot start with VF %s: %s", name,
                                       vm->record.vf, st.message);
        }
        if (warnings[0])
                log_struct(LOG_WARNING, NULL, vm->record.pf, vm->record.vf, name, "Hook prepare: %s.", warnings);
        if (vm->record.next_start) {
                vm->record.next_start = false; /* QEMU starts from the persistent config, VF included */
                manager_dirty(m, DIRTY_STATE);
        }
        log_struct(LOG_INFO, NULL, vm->record.pf, vm->record.vf, name,
                   "Hook prepare: VF policy of %s applied to %s before QEMU starts.", name, vm->record.vf);
        completion_done(c, &st);
}

static void prepare_resume(void *userdata, Pf *pf) {
        PrepareWait *w = userdata;
        if (pf)
                prepare_now(w->manager, w->vm, &w->completion);
        else
                completion_fail(&w->completion, -ESHUTDOWN, "accelnetd is shutting down.");
        free(w->vm);
        free(w);
}

/* Prepare waits for the VM's adapter when its VFs are being provisioned (at boot, libvirt
 * starts autostart VMs while accelnetd re-provisions: the VM then starts with its VF). */
void manager_hook_prepare(Manager *m, const char *name, const char *xml, Completion c) {
        AnStatus st = AN_STATUS_OK;
        if (prepare_check_xml(m, name, xml, &st) < 0) {
                log_struct(LOG_WARNING, NULL, NULL, NULL, name, "Hook prepare: %s", st.message);
                return completion_fail(&c, st.r, "%s", st.message);
        }
        Vm *vm = manager_get_vm(m, name);
        Pf *pf = vm && vm->has_record ? manager_find_pf(m, vm->record.pf) : NULL;

        if (pf && !vm->slot && !pf->operation)
                manager_provision_plan(m, "a VM starts");
        if (pf && pf->operation) {
                PrepareWait *w = calloc(1, sizeof *w);
                if (!w || !(w->vm = strdup(name))) {
                        free(w);
                        return completion_fail(&c, -ENOMEM, "Out of memory.");
                }
                *w = (PrepareWait){ .manager = m, .vm = w->vm, .completion = c };
                log_info("Hook prepare: VM %s waits for the VFs of %s.", name, pf->address);
                if (pf_wait(pf, prepare_resume, w) < 0) {
                        completion_fail(&w->completion, -ENOMEM, "Out of memory.");
                        free(w->vm);
                        free(w);
                }
                return;
        }
        prepare_now(m, name, &c);
}

int manager_hook_release(Manager *m, const char *name, AnStatus *st) {
        Vm *vm = manager_get_vm(m, name);
        if (vm && !vm->has_record && !vm->domain && !vm->operation && vm_waiting(vm)) {
                /* Arrived waiting for a VF, released before it ever started here: the incoming
                 * migration failed, it waits no more. */
                log_struct(LOG_INFO, NULL, NULL, NULL, name, "Hook release: incoming VM %s did not arrive; it no "
                           "longer waits for a VF.", name);
                vm_stop_waiting(vm);
                vm->gone = true;
                vm_gc(vm);
                /* On disk before the answer, as the wait was before Migrate answered. */
                (void) manager_save_now(m);
                return 0;
        }
        if (!vm || !vm->has_record || vm->operation)
                return 0;
        if (vm->record.phase == ASSIGN_PHASE_INCOMING) {
                /* Released before it ever started here: the incoming migration failed. */
                vm_release(vm, "the incoming migration did not complete");
                vm_gc(vm);
                (void) manager_save_now(m);
                return 0;
        }
        if (vm->slot) {
                int r = vf_restore(m->nl, vm->slot->pf->ifname, vm->slot->index, &vm->record.saved);
                if (r < 0)
                        log_struct(LOG_WARNING, NULL, vm->record.pf, vm->record.vf, name,
                                   "Hook release: restoring VF %s failed: %s", vm->record.vf, strerror(-r));
                else
                        log_struct(LOG_INFO, NULL, vm->record.pf, vm->record.vf, name, "Hook release: VF %s of %s restored.",
                                   vm->record.vf, name);
        }
        return 0;
}

/* The VF an incoming VM of `tier` would get (the node reserve included: the limit is the
 * capacity), or -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES with the VM, its tier and the counts in
 * st when none is free. */
static int arrival_admit(Manager *m, const char *vm, Tier tier, AnStatus *st) {
        unsigned assigned = manager_assigned_vfs(m), capacity = manager_capacity_vfs(m);

        if (assigned + 1 > capacity)
                return an_status_set(st, -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES,
                                     "No VF is free on this host for incoming VM %s (performance %s): %u of %u VFs "
                                     "assigned, the node reserve included (%u usable outside it).", vm,
                                     tier_to_string(tier), assigned, capacity, manager_usable_vfs(m));
        if (m->config->settings.max_vms > 0 && assigned + 1 > m->config->settings.max_vms)
                return an_status_set(st, -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES,
                                     "No VF for incoming VM %s (performance %s): %u VMs hold a VF already, the most "
                                     "this host takes (max_vms %u).", vm, tier_to_string(tier), assigned,
                                     m->config->settings.max_vms);
        return 0;
}

static int incoming_vf(Manager *m, const char *vm, const char *xml, Tier tier, VfSlot **ret, AnStatus *st) {
        _cleanup_(virt_domain_freep) VirtDomain *d = NULL;
        unsigned assigned = manager_assigned_vfs(m), capacity = manager_capacity_vfs(m);

        if (arrival_admit(m, vm, tier, st) < 0)
                return st->r;
        /* The VM's placement from the XML it comes with (unknown when unreadable). */
        if (xml && virt_domain_parse(xml, NULL, &d) < 0)
                d = NULL;
        bool local = false;
        if (manager_choose_arrival_vf(m, d, tier, ret, &local) < 0)
                return an_status_set(st, -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES,
                                     "No VF is free on this host for incoming VM %s (performance %s): %u of %u VFs "
                                     "assigned, the others held back (in a domain outside accelnet, or kept for a "
                                     "move)%s.", vm, tier_to_string(tier), assigned, capacity,
                                     m->config->settings.tiers.tiers[tier].numa == NUMA_POLICY_REQUIRED
                                             ? ", or not on the VM's NUMA node as its performance requires"
                                             : "");
        return 0;
}

/* A local VF for an incoming VM, from its XML alone (no libvirt): its tier travels in the
 * XML's accelnet setting; it may use the node reserve (the limit is the capacity). */
static int claim(Manager *m, Vm *vm, const char *xml, Tier tier, const VirtXmlVf *from, AnStatus *st) {
        VfSettings saved;
        VfSlot *pick = NULL;

        int r = incoming_vf(m, vm->name, xml, tier, &pick, st);
        if (r < 0)
                return r;
        r = vf_read_settings(m->nl, pick->pf->ifname, pick->index, &saved);
        if (r < 0)
                return an_status_set(st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "Cannot read VF %s: %s.", pick->address,
                                     strerror(-r));
        r = vm_take_slot(vm, pick, tier, from->mac, from->vlan, ASSIGN_PHASE_INCOMING);
        if (r < 0)
                return an_status_set(st, r, "Out of memory.");
        vm->record.saved = saved;
        vm->accel = true;
        vm->accel_tier = tier;
        return 0;
}

/* migration_requires_vf: an incoming VM that would arrive on virtio is refused instead. */
static int refuse_without_vf(AnStatus *st) {
        char why[sizeof st->message];
        snprintf(why, sizeof why, "%s", st->message);
        return an_status_set(st, -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES,
                             "%s migration_requires_vf is set in accelnet.json: the VM may not arrive on virtio. Free "
                             "a VF here or migrate it to another host.", why);
}

int manager_hook_arrive(Manager *m, HookArrival how, const char *name, const char *xml, char **ret_xml,
                        AnStatus *st) {
        _cleanup_(virt_xml_accel_done) VirtXmlAccel acc = {};
        bool restore = how == HOOK_ARRIVAL_RESTORE;
        /* A restore may find no VF and wait: migration_requires_vf is about migrations. */
        bool requires_vf = !restore && m->config->settings.migration_requires_vf;
        const char *who = restore ? "Restored" : "Incoming";
        VmSnapshot before;
        int r;

        r = virt_xml_accel_parse(xml, &acc);
        if (r >= 0 && acc.n_vfs == 0 && acc.accel && m->enabled && requires_vf) {
                /* Accelerated but without a VF (it waited where it comes from): it finds one
                 * free here, or may not come. */
                Tier t = acc.performance ? tier_from_string(acc.performance) : TIER_LOW;
                VfSlot *pick = NULL;
                if (manager_check_vm_arg(name, st) < 0)
                        return st->r;
                if (incoming_vf(m, name, xml, t >= 0 ? t : TIER_LOW, &pick, st) < 0) {
                        log_struct(LOG_WARNING, NULL, NULL, NULL, name, "Hook migrate: incoming VM %s refused: %s", name,
                                   st->message);
                        return refuse_without_vf(st);
                }
        }
        if (r == -EBADMSG || (r >= 0 && acc.n_vfs == 0)) {
                /* Not ours (or nothing libxml2 reads within our limits: libvirt judges it). */
                if (r < 0)
                        log_debug("Hook migrate: the XML of %s is not readable here (%s); passed on unchanged.",
                                  name, virt_last_error());
                *ret_xml = strdup(xml);
                return *ret_xml ? 0 : an_status_set(st, -ENOMEM, "Out of memory.");
        }
        if (r < 0)
                return an_status_set(st, -AN_ERROR_INVALID_ARGS, "The domain XML of incoming VM '%.64s' is refused: %s",
                                     name, virt_last_error());
        if (manager_check_vm_arg(name, st) < 0)
                return st->r;
        Tier tier = TIER_LOW;
        if (acc.accel && acc.performance) {
                tier = tier_from_string(acc.performance);
                if (tier < 0)
                        return an_status_set(st, -AN_ERROR_INVALID_ARGS,
                                             "The domain XML of incoming VM %s names an unknown performance '%.32s'.",
                                             name, acc.performance);
        }
        if (acc.n_vfs > 1)
                return an_status_set(st, -AN_ERROR_INVALID_ARGS, "VM %s arrives with %zu accelnet VFs; accelnet gives a VM one.",
                                     name, acc.n_vfs);
        if (!m->enabled)
                return an_status_set(st, -AN_ERROR_NOT_ENABLED, "VM %s arrives with a VF but Accelerated Networking is not "
                                     "enabled on this host: %s", name, an_error_remedy(AN_ERROR_NOT_ENABLED));
        if (manager_check_writable(m, st) < 0)
                return st->r;

        Vm *vm = manager_add_vm(m, name);
        if (!vm)
                return an_status_set(st, -ENOMEM, "Out of memory.");
        if (vm->operation)
                return an_status_set(st, -AN_ERROR_BUSY, "Another operation on VM %s is in progress.", name);
        if (vm_snapshot_take(vm, &before) < 0)
                return an_status_set(st, -ENOMEM, "Out of memory.");
        bool claimed = false, waits = false, revoked = false;
        if (!vm->has_record && vm->revoked_since) {
                /* The admin revoked its VF on this node (RevokeVM, servicing.c): it comes
                 * without one, and gets none until RestoreVM. */
                vm->accel = true;
                vm->accel_tier = tier;
                revoked = true;
        } else if (!vm->has_record) {
                if (claim(m, vm, xml, tier, &acc.vfs[0], st) < 0) {
                        if (st->r != -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES || requires_vf) {
                                if (st->r == -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES) {
                                        log_struct(LOG_WARNING, NULL, NULL, NULL, name,
                                                   "Hook migrate: incoming VM %s refused: %s", name, st->message);
                                        refuse_without_vf(st);
                                }
                                vm_snapshot_done(&before);
                                vm_gc(vm);
                                return st->r;
                        }
                        /* No VF free here: it arrives on virtio, its setting kept, and waits for
                         * one (from now: the wait is saved with the claim-less arrival). */
                        char reason[sizeof st->message + 64];
                        snprintf(reason, sizeof reason, "%s without one: %s",
                                 restore ? "restored" : "arrived by migration", st->message);
                        *st = AN_STATUS_OK;
                        vm->accel = true;
                        vm->accel_tier = tier;
                        vm_wait(vm, reason);
                        waits = true;
                } else
                        claimed = true;
                /* Written before the XML goes back: the claim (or the wait) survives a crash. */
                r = manager_save_now(m);
                if (r < 0) {
                        vm_snapshot_restore(vm, &before);
                        vm_stop_waiting(vm);
                        vm_snapshot_done(&before);
                        vm_gc(vm);
                        return an_status_set(st, r, "Nothing was changed: the state folder %s cannot be written (%s).",
                                             m->state_dir, strerror(-r));
                }
        }
        r = waits || revoked ? virt_xml_drop_vf(xml, acc.vfs[0].pci, ret_xml)
                             : virt_xml_retarget_vf(xml, acc.vfs[0].pci, vm->record.vf, ret_xml);
        if (r < 0) {
                if (claimed || waits) {
                        vm_snapshot_restore(vm, &before);
                        vm_stop_waiting(vm);
                        (void) manager_save_now(m);
                }
                vm_snapshot_done(&before);
                vm_gc(vm);
                return an_status_set(st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "Cannot rewrite the domain XML of %s: %s.",
                                     name, strerror(-r));
        }
        vm_snapshot_done(&before);
        if (claimed) {
                log_struct(LOG_NOTICE, MESSAGE_ID_VF_ASSIGNED, vm->record.pf, vm->record.vf, name,
                           "%s VM %s gets local VF %s with performance %s (its XML named %s).", who, name,
                           vm->record.vf, tier_to_string(tier), acc.vfs[0].pci);
                if (m->notify.vm_changed)
                        m->notify.vm_changed(m->notify.userdata, name, ACCELNET_VM_STATE_ENABLED);
        }
        if (revoked)
                log_struct(LOG_NOTICE, NULL, NULL, acc.vfs[0].pci, name,
                           "%s VM %s (performance %s) comes without its VF (its XML named %s): the admin revoked its "
                           "VF on this node.", who, name, tier_to_string(tier), acc.vfs[0].pci);
        if (waits)
                log_struct(LOG_NOTICE, NULL, NULL, acc.vfs[0].pci, name,
                           "%s VM %s (performance %s) comes without its VF (its XML named %s): none is free here; "
                           "it runs on virtio until one frees.", who, name, tier_to_string(tier), acc.vfs[0].pci);
        return 0;
}
