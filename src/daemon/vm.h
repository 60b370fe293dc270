/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A Vm is one libvirt domain, from the moment the daemon hears of it until it is undefined
 * and holds nothing. Its whole life is in vm.c:
 *   - what libvirt says of it (its domain facts, kept fresh by events);
 *   - its setting, which travels in its own XML (<metadata><accelnet:vm performance=…/>):
 *     accelerated or not, and its tier;
 *   - its record on this host (persistent, state.json): the VF it holds, the VF's settings
 *     from before, the phase of the change under way;
 *   - the operation in flight on it, if any (one at a time);
 *   - its wait for a VF: an accelerated VM that holds none here because none was free waits
 *     (on virtio) from a time kept in state.json, and is served in policy/waiting.h's order
 *     as soon as one frees (manager_hand_out, reconcile.c).
 * A pointer to a Vm stays valid while the Vm is in m->vms; it leaves when the domain is gone
 * and the Vm holds no VF and runs no operation. */

#include <stdbool.h>

#include "manager.h"
#include "policy/admission.h"
#include "sriov/vfpolicy.h"

typedef struct VirtDomain VirtDomain;

struct Vm {
        Manager *manager;
        char *name;

        VirtDomain *domain;      /* what libvirt said last; NULL: not (yet) known to libvirt */
        bool accel;              /* its setting: accelerated (accelnet metadata in its XML) */
        Tier accel_tier;         /* the tier of its setting */

        bool has_record;         /* it holds (or is being given, or is giving back) a VF */
        Assignment record;       /* record.vm == name when has_record */
        uint64_t saved_hash;     /* of the record as last written to disk; 0: none written */
        VfSlot *slot;            /* the slot of record.vf, NULL while its VF does not exist */

        Operation *operation;    /* in flight */
        bool facts_stale;        /* libvirt told of a change while the operation ran */
        unsigned policy_retries; /* its VF took only part of its policy: tries left */
        char *note;              /* why it has no VF, or what waits (ListVMs) */
        int live_reason;         /* VirtLive: why its VF is not live (record.next_start), as the
                                  * last attach said; -1 unknown (after a restart: judged from the
                                  * domain's facts) */
        bool gone;               /* undefined in libvirt */
        bool moved_away;         /* stopped by a migration to another host (until it starts
                                  * here again): its definition here gets no VF */

        uint64_t waiting_since;  /* waiting for a VF since (s since the epoch, UTC; state.json);
                                  * 0: not waiting */
        char *waiting_reason;    /* why none was given (ListVMs' note) */
        bool handout_failed;     /* giving it a VF failed: tried again at the next refresh */

        /* servicing (servicing.c; state.json "servicing") */
        uint64_t revoked_since;  /* RevokeVM: it keeps its setting but holds no VF and gets none
                                  * until RestoreVM (s since the epoch); 0: not revoked */
        uint64_t without_since;  /* accelerated and without a VF here since (s); 0: it holds one */
        uint64_t without_total;  /* seconds without a VF in the episodes that ended */
        bool revoke_pending;     /* its VF is out of its persistent config, but the running guest
                                  * still holds it (not acknowledged, or libvirt cannot unplug) */
        bool revoke_failed;      /* revoking its VF failed: tried again at the next refresh */
};

/* The VF a VM arriving on this host (migration, restore, a start elsewhere) gets, chosen by
 * EnableVM's rules: the tier's NUMA policy against the VM's placement in `d` (NULL: unknown),
 * the tier's rate needs, then the least-loaded adapter. -ENOENT when none fits. */
int manager_choose_arrival_vf(Manager *m, const VirtDomain *d, Tier tier, VfSlot **ret, bool *ret_local);

/* In a cluster, a VM method (EnableVM, SetVM, DisableVM, RevokeVM, RestoreVM) for a domain
 * that another node has goes to that node: true when it was sent there (c gets its answer),
 * false when this node is the one to act (or a request from another node is being served). */
bool vm_forward(Manager *m, const char *method, const char *name, const char *performance, Completion *c);

/* Lookup; NULL when unknown. */
Vm *manager_get_vm(const Manager *m, const char *name);
/* Finds or creates the Vm of a domain name (NULL on OOM). */
Vm *manager_add_vm(Manager *m, const char *name);
/* Takes a Vm out of the table and frees it when it is gone and idle. */
void vm_gc(Vm *vm);
Vm *vm_free(Vm *vm);

/* Takes over `d` (the domain's facts), or forgets them (NULL: the domain is gone). */
void vm_set_domain(Vm *vm, VirtDomain *d);
/* Reads the domain from libvirt now (loop thread) and updates the facts. 0,
 * -AN_ERROR_NO_SUCH_VM, or a libvirt error (message in st). */
int vm_refresh(Vm *vm, AnStatus *st);

bool vm_accelerated(const Vm *vm);
/* Its domain runs (or is paused): it has a live definition. */
bool vm_running(const Vm *vm);

/* A VM as ListVMs shows it: state (enabled/disabled), performance ("" when disabled), VF
 * ("" when none), note. False for a name that is neither a domain nor holds a VF. Borrowed
 * (the note of a waiting VM from the row's own buffer: use the row where it was filled). */
#define VM_ROW_NOTE_MAX 768
typedef struct VmRow {
        const char *state, *performance, *vf, *note;
        char note_buf[VM_ROW_NOTE_MAX];
} VmRow;
bool vm_row(const Vm *vm, VmRow *ret);
/* The same for this node's facts in a cluster: the note of a waiting VM without the waited
 * time (other nodes show it later; it must not change by itself). */
bool vm_row_fact(const Vm *vm, VmRow *ret);
/* The policy its VF gets with `tier` (MAC and VLAN of its record). */
void vm_policy(const Vm *vm, Tier tier, VfPolicy *ret);
/* "applies at next start: WHY; WHAT TO DO", "being enabled", ...; "" when none (a wait is
 * vm_row's). Borrowed. */
const char *vm_note(const Vm *vm);
/* Why its VF applies at the next start only, and whether a power cycle is needed (static,
 * starts with "applies at next start"); NULL when its VF is live or it holds none. */
const char *vm_next_start_note(const Vm *vm);
void vm_set_note(Vm *vm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Waiting for a VF: accelerated and holding none here. */
bool vm_waiting(const Vm *vm);
/* The VM waits for a VF, because of `reason`: from now when it did not wait yet (logged,
 * saved, told as VMChanged "waiting"); the reason is replaced. */
void vm_wait(Vm *vm, const char *reason);
/* It no longer waits (it got a VF, is no longer accelerated, its domain is gone, management
 * is off). */
void vm_stop_waiting(Vm *vm);

/* Gives the VM's record the slot (a reservation) / drops the record and frees the slot. */
int vm_take_slot(Vm *vm, VfSlot *s, Tier tier, const char *mac, unsigned vlan, AssignPhase phase);
/* The one release: restores the VF's own settings (loop thread), drops the record, frees
 * the slot, logs, tells (VMChanged "released"), marks the state dirty. */
void vm_release(Vm *vm, const char *why);

/* The methods (vm.c). Each completes `c` exactly once, refusing in the seed's order:
 * NotEnabled, NoSuchVM, an unknown performance (InvalidArgs), then admission's. */
bool vm_enable_is_noop(Manager *m, const char *name, const char *performance);
void vm_enable(Manager *m, const char *name, const char *performance, Completion c);
bool vm_set_is_noop(Manager *m, const char *name, const char *performance);
void vm_set(Manager *m, const char *name, const char *performance, Completion c);
bool vm_disable_is_noop(Manager *m, const char *name);
void vm_disable(Manager *m, const char *name, Completion c);

/* Internal operations of reconcile: give the VM its VF again (policy, XML, metadata), write
 * only its setting (tier; _TIER_INVALID removes it), or take a VF that is not its own out of
 * its XML. */
void vm_restore(Vm *vm, const char *why);
void vm_write_setting(Vm *vm, Tier tier);
void vm_detach_stray(Vm *vm, const char *vf, const char *why);

/* Admission facts (vCPUs, virtio NIC, NUMA node) from the cached domain. */
void vm_facts(const Vm *vm, VmFacts *ret, char mac[static 18], unsigned *ret_vlan);

/* The tiers (bit 1u << Tier) the VM passes admission's static checks for on this host (a
 * virtio NIC, enough vCPUs with the host's hyperthreading): admission_static_tiers. */
unsigned vm_eligible_tiers(const Vm *vm);
