/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Admission of a VM to Accelerated Networking and the choice of its VF: pure decisions on
 * plain facts gathered by the daemon (libvirt domain, host SMT, counts, free VFs). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "shared/anerror.h"
#include "shared/pciaddr.h"
#include "tier.h"

typedef struct VmFacts {
        bool exists;
        unsigned vcpus;
        bool has_virtio_nic;     /* a network interface to pair the VF with */
        int numa_node;           /* the node the VM is placed on, -1 when not known */
} VmFacts;

typedef struct VfCandidate {
        char vf[PCI_ADDR_STRLEN];
        char pf[PCI_ADDR_STRLEN];
        unsigned index;          /* virtfnN */
        int numa_node;           /* of the PF, -1 unknown */
        bool free;               /* not assigned to any VM */
        bool min_rate_ok, max_rate_ok; /* the PF's driver can set min/max transmit rates */
        uint32_t link_speed_mbps;/* of the PF, 0 unknown */
} VfCandidate;

typedef struct AdmissionInput {
        bool enabled;
        const char *vm;
        const char *performance;     /* tier name as given */
        VmFacts facts;
        int smt_active;              /* 1, 0, -1 unknown */
        const TierTable *tiers;
        unsigned usable, assigned;   /* counts of DESIGN §2 */
        bool reserve_included;       /* `usable` is the capacity, the node reserve included (an
                                      * arrival, a waiting VM, a cluster's local check) */
        unsigned max_vms;            /* settings.max_vms: VMs that may hold a VF at once (0 = no cap) */
        bool vm_already_assigned;    /* it holds a VF (a tier change, or a no-op) */
        const VfCandidate *cands;
        size_t n_cands;
        const unsigned *pf_load;     /* VFs assigned per candidate's PF, parallel to cands */
} AdmissionInput;

typedef struct AdmissionResult {
        Tier tier;
        size_t choice;               /* index into cands, when a VF was chosen */
        bool numa_local;             /* the chosen VF is on the VM's node */
        char message[512];           /* on refusal: why, with the numbers */
} AdmissionResult;

/* The rules of admission, each judged once (admission.c), in the order below. */
typedef enum AdmissionStep {
        ADMISSION_STEP_ENABLED,     /* management enabled (NotEnabled) */
        ADMISSION_STEP_DOMAIN,      /* the domain exists (NoSuchVM) */
        ADMISSION_STEP_TIER,        /* a known tier (InvalidArgs) */
        ADMISSION_STEP_VIRTIO_NIC,  /* a virtio NIC to pair with (GetNetworkAdapterFailed) */
        ADMISSION_STEP_VCPUS,       /* the tier's minimum vCPUs (VmNotEnoughVcpus) */
        ADMISSION_STEP_MAX_VMS,     /* max_vms (ClusterNotEnoughResources) */
        ADMISSION_STEP_USABLE,      /* assigned + 1 <= usable (ClusterNotEnoughResources) */
        ADMISSION_STEP_VF,          /* a free VF for the tier (CannotProvisionPerformance) */
        _ADMISSION_STEP_MAX,
        _ADMISSION_STEP_INVALID = -22,
} AdmissionStep;

#define ADMISSION_SKIPPED 1   /* AdmissionVerdict.r: not judged (an earlier fact is missing) */

typedef struct AdmissionVerdict {
        AdmissionStep step;
        int r;                 /* 0 passed, -AN_ERROR_* refused, ADMISSION_SKIPPED */
        char message[512];     /* why, with the numbers (and the remedy on refusal) */
} AdmissionVerdict;

/* In the order of the issue: NotEnabled; NoSuchVM; unknown tier (InvalidArgs);
 * GetNetworkAdapterFailed; VmNotEnoughVcpus (message states the minimum);
 * ClusterNotEnoughResources (max_vms reached, or assigned would exceed usable); CannotProvisionPerformance (no
 * free VF meets the tier's NUMA requirement or rate needs). Returns 0 and the chosen VF, or
 * -AN_ERROR_*. With vm_already_assigned no VF is chosen and the capacity check is skipped. */
int admission_check(const AdmissionInput *in, AdmissionResult *ret);

/* Every rule of admission_check judged, none stopping the others (ExplainVM): one verdict per
 * AdmissionStep; steps that need a fact that is missing (no domain, an unknown tier) are
 * ADMISSION_SKIPPED, and with vm_already_assigned the capacity and choice steps too. Returns
 * the first refusal (what admission_check returns) or 0; *ret_result (optional) as
 * admission_check fills it. */
int admission_explain(const AdmissionInput *in, AdmissionVerdict ret[static _ADMISSION_STEP_MAX],
                      AdmissionResult *ret_result);

/* The tiers (bit 1u << Tier) for which the VM passes admission's static checks, those that
 * depend on the VM and the host alone: the domain exists, it has a virtio NIC to pair with,
 * and enough vCPUs for the tier with this host's hyperthreading state (in->facts,
 * in->smt_active, in->tiers; in->performance, management, capacity and VFs are not looked
 * at). The same step judgements as admission_check; a VM refused here is refused there. */
unsigned admission_static_tiers(const AdmissionInput *in);

/* The VF choice alone: NUMA policy of the tier, then the least-loaded PF, then the lowest
 * PF address and VF index (deterministic). -1 when none fits. */
ssize_t admission_choose_vf(const TierSpec *spec, int vm_node, const VfCandidate *c, size_t n,
                            const unsigned *pf_load, bool *ret_local);

/* Whether a candidate meets the tier's rate needs (only when the tier requires rates). */
bool admission_rates_ok(const TierSpec *spec, const VfCandidate *c);

/* The transmit rates to program for a tier on a PF: a cap at or above the link speed is no
 * cap (some drivers refuse a rate above the link speed). */
void admission_tier_rates(const TierSpec *spec, uint32_t link_speed_mbps, uint32_t *ret_min, uint32_t *ret_max);

/* What a VM arriving on a host could get there now (ListNodeCapacity, Pacemaker's
 * accelnet-vfs): the free VFs of the intent's usable adapters, bounded as an arrival's
 * admission bounds them (the node reserve may be used: the limit is the capacity, and
 * max_vms); and, per tier, those of them on a PF that can serve the tier (its required
 * rates: admission_rates_ok). NUMA locality is not counted: it depends on where the VM
 * runs. */
typedef struct FreeVfs {
        unsigned free;
        unsigned tier[_TIER_MAX]; /* each <= free */
} FreeVfs;

void admission_free_vfs(const TierTable *t, const VfCandidate *c, size_t n, unsigned capacity, unsigned assigned,
                        unsigned max_vms, FreeVfs *ret);

/* libvirt domain names as accepted over the bus: 1-256 bytes, printable, no '/'. */
bool vm_name_valid(const char *name);

/* The node reserve of DESIGN §2, counted in nodes. With n ≥ 2 member nodes of capacities
 * caps[] (VFs of the intent's usable adapters on each), k = min(n − 1, ⌈n × reserve / 100⌉)
 * nodes are held in reserve and the cluster's usable VFs are the total less the capacities
 * of the k largest nodes: every accelerated VM still finds a VF when any k nodes are down.
 * On a cluster of one (n = 1) the reserve keeps its single-host meaning, a share of the
 * host's VFs: U = ⌊C × (100 − reserve) / 100⌋, k = 0. n = 0 gives 0. */
unsigned reserve_nodes(size_t n, unsigned reserve);
unsigned reserve_usable(const unsigned *caps, size_t n, unsigned reserve, unsigned *ret_k);
