/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The operations on one VM (shared by vm.c, reconcile.c and hook.c): a job per operation
 * with copies of what its worker needs, one worker for all of them (vm-work.c), and the
 * snapshots that undo and revert go back to. */

#include "vm.h"

typedef enum VmJobKind {
        VM_JOB_ENABLE,   /* policy → setting in XML → VF into XML (live when it runs) */
        VM_JOB_SET,      /* the new tier's policy → setting in XML */
        VM_JOB_MOVE,     /* old VF out and restored → new VF as in ENABLE (a NUMA move) */
        VM_JOB_DISABLE,  /* VF out of XML → VF restored → setting out of XML */
        VM_JOB_RESTORE,  /* give the VM its VF again: policy → VF into XML → setting */
        VM_JOB_SETTING,  /* only the setting in XML (written, or removed with _TIER_INVALID) */
        VM_JOB_STRAY,    /* take a VF that is not the VM's out of its XML */
        VM_JOB_REVOKE,   /* servicing: VF link down → VF out of the XML (live and persistent) →
                          * VF restored; the setting stays (servicing.c) */
        _VM_JOB_KIND_MAX,
} VmJobKind;

typedef struct VmSnapshot {
        bool has_record;
        Assignment record;
        bool accel;
        Tier accel_tier;
} VmSnapshot;

int vm_snapshot_take(const Vm *vm, VmSnapshot *ret);
void vm_snapshot_restore(Vm *vm, const VmSnapshot *s);
void vm_snapshot_done(VmSnapshot *s);

typedef enum AdmitMode {
        ADMIT_NEW,          /* a new VF within the usable VFs */
        ADMIT_NEW_RESERVE,  /* a new VF, the node reserve included (incoming, restored) */
        ADMIT_TIER_CHANGE,  /* the VM keeps its VF: no capacity, no choice */
        ADMIT_MOVE,         /* the VM gives its VF back for another */
} AdmitMode;

/* Admission of `vm` for `tier` (policy/admission.c on the VM's cached facts); the chosen VF
 * in *ret_slot (its own for a tier change). */
int vm_admit(Vm *vm, Tier tier, AdmitMode mode, VfSlot **ret_slot, bool *ret_local, AnStatus *st);
/* What vm_admit hands to admission: the VM's facts and the host's counts and candidates for
 * `tier` in `mode` (the candidates and their PFs' loads owned by the caller; ret->cands and
 * ret->pf_load point into them). ExplainVM judges the same input rule by rule. */
int vm_admission_input(Vm *vm, Tier tier, AdmitMode mode, AdmissionInput *ret, VfCandidate **ret_c,
                       unsigned **ret_load);

/* Records the write-ahead of `kind` on the VM (`slot`: the VF it gets, for ENABLE, MOVE,
 * RESTORE) and starts the operation; `c` is completed once (COMPLETION_NONE: internal). */
void vm_start_job(Vm *vm, VmJobKind kind, VfSlot *slot, Tier tier, Completion c);
void vm_start_stray_job(Vm *vm, const char *vf);

/* What every VM method checks before it may change anything (vm.c): a writable state,
 * management enabled (need_enabled), libvirt answering, the domain known (read now when not),
 * no operation on the VM or on management. NULL with st filled otherwise. */
Vm *vm_method_begin(Manager *m, const char *name, bool need_enabled, AnStatus *st);

/* The outcome of a VM_JOB_REVOKE, applied by servicing.c: r/message the job's status, pending
 * when the VF is out of the persistent config but the running guest still holds it (why in
 * `note`), link_down when its link was taken down first (drivers without VF link control:
 * not). */
void vm_revoke_done(Vm *vm, const AnStatus *st, bool pending, bool link_down, const char *note);
