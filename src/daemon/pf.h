/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A Pf is one SR-IOV adapter (physical function) of the host, or of the plan: its facts
 * (refreshed from sysfs), its place in the plan of the intent in force (how many VFs, what
 * the count was before, whether provisioning is done), and its VFs as slots that say who
 * holds each one. Provisioning (writing sriov_numvfs) is the Pf's: pf_provision() runs in an
 * operation, and whatever waits for the VFs (the hook's Prepare, reconcile) waits on it. */

#include <stdbool.h>

#include "manager.h"
#include "policy/admission.h"
#include "policy/servicing.h"
#include "policy/health.h"
#include "shared/pciaddr.h"

struct VfSlot {
        char address[PCI_ADDR_STRLEN];
        unsigned index;          /* N of virtfnN */
        Pf *pf;
        Vm *owner;               /* the VM that holds it, or is being given it */
        Vm *held_for;            /* kept free for a VM that is moving to it */
        char *stray;             /* a domain that holds it outside accelnet: never handed out */
};

typedef struct PfWaiter PfWaiter;

struct Pf {
        Manager *manager;
        char address[PCI_ADDR_STRLEN];

        /* facts, copied at every refresh */
        bool present;            /* the host has this adapter now */
        char *ifname, *driver;
        int numa_node;
        uint32_t link_speed_mbps;
        unsigned total_vfs;      /* the kernel's sriov_totalvfs (or the capability's) */
        unsigned num_vfs;        /* sriov_numvfs */
        SriovSupport verdict;

        /* the plan (persistent) */
        bool planned;            /* an adapter of the intent in force */
        unsigned want;           /* VFs wanted */
        unsigned numvfs_before;  /* sriov_numvfs before accelnet first provisioned it */
        ProvisionStatus status;
        char *error;             /* why the last provisioning failed */

        VfSlot *slots;           /* the VFs present, by index */
        size_t n_slots;

        Operation *operation;    /* provisioning in flight */
        PfWaiter *waiters;       /* called back when provisioning ends */

        /* servicing (servicing.c): out of service while any PfRevokeWhy holds */
        unsigned revoked;                           /* 1u << PfRevokeWhy */
        uint64_t revoked_since[_PF_REVOKE_WHY_MAX]; /* s since the epoch (UTC) */
        char *revoke_reason[_PF_REVOKE_WHY_MAX];    /* in the admin's words, for notes and logs */
        bool draining;           /* its VFs are being revoked: DrainProgress is told */
        unsigned drain_total;    /* VFs it had when the drain began */
        unsigned drain_done;     /* of which revoked (as last told) */
        /* ---- health (pf-health.c): judged from the PF monitor's events; not persistent ---- */
        PfHealth health;
        bool health_ready;       /* watched: health initialised and its facts read */
};

Pf *pf_new(Manager *m, const char *address);
Pf *pf_free(Pf *pf);
Pf *manager_find_pf(const Manager *m, const char *address_or_ifname);
/* Finds or creates (NULL on OOM). */
Pf *manager_get_pf(Manager *m, const char *address);

/* Copies the facts of the adapter (or marks the Pf absent with NULL) and rebuilds its slots
 * from sysfs; owners are re-linked by the caller (manager_link_slots). */
int pf_update(Pf *pf, const PfFacts *f, SriovSupport verdict);
/* The slot of a VF address, of any Pf. Borrowed. */
VfSlot *manager_find_slot(const Manager *m, const char *vf);
/* Rebuilds the address index and gives every slot its owner from the VMs' records. */
void manager_link_slots(Manager *m);

/* Counted in capacity: planned, supported, provisioned, in service (no PfRevokeWhy holds). */
bool pf_usable(const Pf *pf);
/* A VF that may be handed out. */
bool vf_slot_free(const VfSlot *s);
/* Every VF of the usable PFs as an admission candidate (free or not), with the load of its
 * PF (parallel arrays, owned). */
int manager_vf_candidates(const Manager *m, VfCandidate **ret_c, unsigned **ret_load, size_t *ret_n);
/* Who holds VFs of the Pf (our VMs, strays); "" when none. Owned. */
char *pf_describe_holders(const Pf *pf);

typedef struct PlanSnapshot PlanSnapshot;

/* Writes sriov_numvfs of every Pf in `pfs` to its `want` in one operation (a worker
 * thread), the write-ahead (status pending) saved first. `before` is the plan as it was
 * before the caller changed it (taken over: undo goes back to it). `c` is completed when
 * done (COMPLETION_NONE for internal provisioning). `revert_on_failure`: Enable from
 * disabled, every write failed → management goes back to `before`. */
void pf_provision(Manager *m, Pf **pfs, size_t n, const char *why, bool revert_on_failure, PlanSnapshot *before,
                  Completion c);

/* Calls `fn(userdata, pf)` when the Pf's provisioning has ended (at once if none runs). */
typedef void (*PfWaitFn)(void *userdata, Pf *pf);
int pf_wait(Pf *pf, PfWaitFn fn, void *userdata);

/* ---- servicing (servicing.c) ------------------------------------------------------------ */

/* The seam for planned servicing and for the health monitor. A PF is out of service while any
 * PfRevokeWhy holds: none of its VFs is handed out (EnableVM, a waiting VM, an arrival, a
 * start naming one), it leaves CapacityVFs, and every VF it has is revoked from its VM, ordered
 * like Hyper-V's servicing (vm-work.c, VM_JOB_REVOKE): the VF's link is taken down so that the
 * guest's failover driver moves its traffic to the virtio standby, then the VF is unplugged live
 * and taken out of the persistent config, then its own saved settings are restored. Each VM
 * keeps its setting (accelerated, tier) and gets a VF of another PF of the intent in service
 * when one is free, or waits for one (reconcile.c, manager_hand_out). DrainProgress is told as
 * the VFs go.
 *
 * manager_pf_revoke() adds `why` (idempotent; `reason` replaces its text, NULL keeps it);
 * manager_pf_unrevoke() drops it, and the PF is back in service once no reason holds (a health
 * recovery leaves an admin drain in force): the waiting VMs get its VFs by the usual order.
 * PF_REVOKE_ADMIN_DRAIN is kept in state.json (a restart, also after kill -9, finishes the
 * drain: a VF whose revoke was under way is revoked, none is lost or given twice);
 * PF_REVOKE_HEALTH_FAILED is not (the monitor finds it again). Both are loop-thread only and
 * return at once: the revokes run as operations, and whoever wants to know when they are done
 * waits with manager_pf_drain_wait(). Calls with management disabled are recorded and acted on
 * once it is enabled. */
void manager_pf_revoke(Manager *m, Pf *pf, PfRevokeWhy why, const char *reason);
void manager_pf_unrevoke(Manager *m, Pf *pf, PfRevokeWhy why);
/* No PfRevokeWhy holds. */
bool pf_in_service(const Pf *pf);
/* Completes `c` when no revoke of the PF's VFs can go further now: r 0 when every VF is back,
 * Busy naming the VFs still held (a guest that has not let go, a failed unplug retried at the
 * next refresh), or Busy when the PF is put back in service first. */
void manager_pf_drain_wait(Manager *m, Pf *pf, Completion c);
