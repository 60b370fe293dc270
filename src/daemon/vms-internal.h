/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "manager.h"
#include "policy/admission.h"
#include "sriov/vfpolicy.h"

typedef struct VmInfo {
        VmFacts facts;
        bool active;
        char uuid[40];
        char mac[18];     /* the virtio NIC's */
        unsigned vlan;
} VmInfo;

bool vm_is_busy(const Manager *m, const char *vm);
int vm_busy_add(Manager *m, const char *vm);
void vm_busy_remove(Manager *m, const char *vm);
const VfSlot *manager_find_slot(const Manager *m, const char *vf);
/* Keeps a free VF out of every choice (a move in progress), or lets it go again. */
void vm_hold_vf(Manager *m, const char *vf, bool hold);

/* Domain facts through libvirt; facts.exists is false for an unknown VM (not an error). */
int vm_gather(Manager *m, const char *vm, VmInfo *ret, AnStatus *st);
int vm_candidates(Manager *m, VfCandidate **ret_c, unsigned **ret_load);
void vm_policy_for(const Manager *m, const Assignment *a, const VfSlot *s, Tier tier, VfPolicy *ret);
void vm_alias(const char *vf, char *buf, size_t n);
int vm_read_vf(Manager *m, const VfSlot *s, VfSettings *ret);
void vf_settings_to_policy(const VfSettings *v, VfPolicy *ret);

/* Restores a VF's saved settings through `nl` (the calling thread's own handle). */
int vm_restore_vf(VfNetlink *nl, const char *pf_ifname, unsigned index, const VfSettings *saved);
/* Releases an assignment on the loop thread without libvirt (the domain is gone):
 * restores the VF and drops the record. */
void vm_release_local(Manager *m, const char *vm, const char *why);
