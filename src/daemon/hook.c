/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the libvirt hook asks of the daemon (org.accelnet1.Hook): VF policy at prepare, the
 * VF's own settings back at release, and a local VF for an incoming migration. Nothing here
 * calls libvirt: libvirtd is waiting on the hook (a call back would deadlock). */
#include <stdio.h>

#include "manager.h"
#include "policy/admission.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "virt/virt.h"
#include "vms-internal.h"

int manager_hook_prepare(Manager *m, const char *vm, AnStatus *st) {
        Assignment *a = state_find_vm(m->state, vm);
        VfPolicy p;
        VfApplyResult res = {};
        int r;

        if (!a)
                return 0; /* not ours */
        const VfSlot *s = manager_find_slot(m, a->vf);
        if (!s) {
                an_status_set(st, -AN_ERROR_ENABLE_ACCELNET_FAILED,
                              "VM %s is accelerated with VF %s, which does not exist now (were the VFs of %s re-created?). "
                              "Run 'accelnetctl vm disable %s' or re-enable management.", vm, a->vf, a->pf, vm);
                return st->r;
        }
        vm_policy_for(m, a, s, a->tier, &p);
        pthread_mutex_lock(&m->nl_lock);
        r = vf_policy_apply(m->nl, s->pf_ifname, s->index, &p, &res);
        pthread_mutex_unlock(&m->nl_lock);
        bool none_sent = true;
        for (int i = 0; i < _VF_ATTR_MAX; i++)
                if (res.result[i] != 0)
                        none_sent = false;
        if (res.result[VF_ATTR_MAC] < 0 || (p.vlan > 0 && res.result[VF_ATTR_VLAN] < 0) ||
            (r < 0 && r != -EOPNOTSUPP && none_sent)) {
                int e = res.result[VF_ATTR_MAC] < 0 ? res.result[VF_ATTR_MAC]
                        : res.result[VF_ATTR_VLAN] < 0 ? res.result[VF_ATTR_VLAN] : r;
                an_status_set(st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "Applying the VF policy of %s to VF %s failed: %s.", vm,
                              a->vf, strerror(-e));
                return st->r;
        }
        if (r < 0)
                log_struct(LOG_WARNING, NULL, a->pf, a->vf, vm, "VF policy of %s partly unsupported by the driver (%s).", vm,
                           strerror(-r));
        if (a->next_start) {
                a->next_start = false;
                (void) manager_save_state(m);
        }
        log_struct(LOG_INFO, NULL, a->pf, a->vf, vm, "Hook prepare: VF policy of %s applied to %s before QEMU starts.", vm,
                   a->vf);
        return 0;
}

int manager_hook_release(Manager *m, const char *vm, AnStatus *st) {
        Assignment *a = state_find_vm(m->state, vm);
        if (!a)
                return 0;
        const VfSlot *s = manager_find_slot(m, a->vf);
        if (s) {
                int r = vm_restore_vf(m, m->nl, s->pf_ifname, s->index, &a->saved);
                if (r < 0)
                        log_struct(LOG_WARNING, NULL, a->pf, a->vf, vm, "Hook release: restoring VF %s failed: %s", a->vf,
                                   strerror(-r));
                else
                        log_struct(LOG_INFO, NULL, a->pf, a->vf, vm, "Hook release: VF %s of %s restored.", a->vf, vm);
        }
        return 0;
}

int manager_hook_migrate(Manager *m, const char *vm, const char *xml, char **ret_xml, AnStatus *st) {
        _cleanup_(virt_xml_accel_done) VirtXmlAccel acc = {};
        _cleanup_free_ VfCandidate *c = NULL;
        _cleanup_free_ unsigned *load = NULL;
        int r;

        r = virt_xml_accel_parse(xml, &acc);
        if (r == -EBADMSG) {
                /* Not a well-formed domain XML: not ours to judge. libvirt refuses it if it
                 * must; VMs that accelnet does not manage keep migrating. */
                log_debug("Hook migrate: the domain XML of %s is not readable (%s); passed on unchanged.", vm,
                          virt_last_error());
                *ret_xml = strdup(xml);
                return *ret_xml ? 0 : -ENOMEM;
        }
        if (r < 0) {
                an_status_set(st, -AN_ERROR_INVALID_ARGS, "The domain XML of %s is refused: %s.", vm,
                              r == -ENOMEM ? strerror(ENOMEM) : virt_last_error());
                return st->r;
        }
        const VirtXmlVf *vfs = acc.vfs;
        size_t n = acc.n_vfs;
        if (n == 0) {
                *ret_xml = strdup(xml); /* not accelerated: unchanged */
                return *ret_xml ? 0 : -ENOMEM;
        }
        if (!m->state->enabled) {
                an_status_set(st, -AN_ERROR_NOT_ENABLED, "VM %s arrives with a VF but Accelerated Networking is not enabled "
                              "on this host: %s", vm, an_error_remedy(AN_ERROR_NOT_ENABLED));
                return st->r;
        }
        /* One VF per VM: the first accelnet hostdev is retargeted; a second one would keep a
         * foreign address, so it is refused. */
        if (n > 1) {
                an_status_set(st, -AN_ERROR_INVALID_ARGS, "VM %s arrives with %zu accelnet VFs; accelnet gives a VM one.", vm, n);
                return st->r;
        }
        const Assignment *a = state_find_vm(m->state, vm);
        char target[PCI_ADDR_STRLEN];
        if (a)
                snprintf(target, sizeof target, "%s", a->vf);
        else {
                /* Incoming VMs may use the reserve: the limit is the capacity, not the usable count. */
                if (manager_assigned_vfs(m) + 1 > manager_capacity_vfs(m)) {
                        an_status_set(st, -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES,
                                      "No VF is free on this host for incoming VM %s (%u of %u assigned, reserve included).",
                                      vm, manager_assigned_vfs(m), manager_capacity_vfs(m));
                        return st->r;
                }
                r = vm_candidates(m, &c, &load);
                if (r < 0)
                        return r;
                const TierSpec *low = &m->config->settings.tiers.tiers[TIER_LOW];
                ssize_t pick = admission_choose_vf(low, -1, c, m->n_vfs, load, NULL);
                if (pick < 0) {
                        an_status_set(st, -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES, "No VF is free for incoming VM %s.", vm);
                        return st->r;
                }
                const VfSlot *s = manager_find_slot(m, c[pick].vf);
                Assignment na = { .vm = (char *) vm, .tier = TIER_LOW, .vf_index = s->index, .phase = ASSIGN_PHASE_ASSIGNED,
                                  .vlan = vfs[0].vlan };
                snprintf(na.vf, sizeof na.vf, "%s", s->vf);
                snprintf(na.pf, sizeof na.pf, "%s", s->pf);
                snprintf(na.mac, sizeof na.mac, "%s", vfs[0].mac);
                char alias[64];
                vm_alias(s->vf, alias, sizeof alias);
                na.alias = alias;
                r = vm_read_vf(m, s, &na.saved);
                if (r < 0) {
                        an_status_set(st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "Cannot read VF %s: %s.", s->vf, strerror(-r));
                        return st->r;
                }
                if (!state_add_vm(m->state, &na) || manager_save_state(m) < 0) {
                        state_remove_vm(m->state, vm);
                        an_status_set(st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "Cannot save the state in %s.", m->state_dir);
                        return st->r;
                }
                snprintf(target, sizeof target, "%s", s->vf);
                log_struct(LOG_NOTICE, MESSAGE_ID_VF_ASSIGNED, s->pf, s->vf, vm,
                           "Incoming VM %s gets local VF %s (was %s on the source host).", vm, s->vf, vfs[0].pci);
                manager_vm_changed(m, vm, "enabled");
                manager_properties_changed(m);
        }
        r = virt_xml_retarget_vf(xml, vfs[0].pci, target, ret_xml);
        if (r < 0 && !a) {
                state_remove_vm(m->state, vm);
                (void) manager_save_state(m);
                manager_properties_changed(m);
        }
        if (r < 0) {
                an_status_set(st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "Cannot rewrite the domain XML of %s: %s.", vm, strerror(-r));
                return st->r;
        }
        return 0;
}
