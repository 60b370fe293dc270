/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <sys/types.h>

#include "admission.h"
#include "shared/macro.h"
#include "shared/reserve.h"

bool vm_name_valid(const char *name) {
        size_t n = name ? strlen(name) : 0;
        if (n == 0 || n > 256)
                return false;
        for (const unsigned char *p = (const unsigned char *) name; *p; p++)
                if (*p < 0x20 || *p == 0x7f || *p == '/')
                        return false;
        return true;
}

bool admission_rates_ok(const TierSpec *spec, const VfCandidate *c) {
        if (!spec->rates_required)
                return true;
        if (spec->min_tx_rate_mbps > 0 && !c->min_rate_ok)
                return false;
        if (spec->min_tx_rate_mbps > 0 && c->link_speed_mbps > 0 && spec->min_tx_rate_mbps > c->link_speed_mbps)
                return false;
        if (spec->max_tx_rate_mbps > 0 && !c->max_rate_ok)
                return false;
        return true;
}

void admission_tier_rates(const TierSpec *spec, uint32_t link, uint32_t *ret_min, uint32_t *ret_max) {
        uint32_t max = spec->max_tx_rate_mbps, min = spec->min_tx_rate_mbps;
        if (link > 0 && max >= link)
                max = 0;
        if (link > 0 && min > link)
                min = link;
        if (max > 0 && min > max)
                min = max;
        *ret_min = min;
        *ret_max = max;
}

static unsigned umin(unsigned a, unsigned b) {
        return a < b ? a : b;
}

void admission_free_vfs(const TierTable *t, const VfCandidate *c, size_t n, unsigned capacity, unsigned assigned,
                        unsigned max_vms, FreeVfs *ret) {
        unsigned room = capacity > assigned ? capacity - assigned : 0;
        if (max_vms > 0)
                room = umin(room, max_vms > assigned ? max_vms - assigned : 0);
        *ret = (FreeVfs){};
        for (size_t i = 0; i < n; i++) {
                if (!c[i].free)
                        continue;
                ret->free++;
                for (Tier k = 0; k < _TIER_MAX; k++)
                        if (admission_rates_ok(&t->tiers[k], &c[i]))
                                ret->tier[k]++;
        }
        ret->free = umin(ret->free, room);
        for (Tier k = 0; k < _TIER_MAX; k++)
                ret->tier[k] = umin(ret->tier[k], ret->free);
}

static int cmp_candidate(const VfCandidate *a, unsigned la, const VfCandidate *b, unsigned lb) {
        if (la != lb)
                return la < lb ? -1 : 1;
        int c = strcmp(a->pf, b->pf);
        if (c != 0)
                return c;
        return a->index < b->index ? -1 : a->index > b->index;
}

ssize_t admission_choose_vf(const TierSpec *spec, int vm_node, const VfCandidate *c, size_t n,
                            const unsigned *pf_load, bool *ret_local) {
        ssize_t best = -1, best_local = -1;

        for (size_t i = 0; i < n; i++) {
                if (!c[i].free || !admission_rates_ok(spec, &c[i]))
                        continue;
                bool local = vm_node >= 0 && c[i].numa_node == vm_node;
                if (best < 0 || cmp_candidate(&c[i], pf_load[i], &c[best], pf_load[best]) < 0)
                        best = (ssize_t) i;
                if (local && (best_local < 0 || cmp_candidate(&c[i], pf_load[i], &c[best_local], pf_load[best_local]) < 0))
                        best_local = (ssize_t) i;
        }
        switch (spec->numa) {
        case NUMA_POLICY_REQUIRED:
                if (vm_node >= 0) {
                        if (ret_local)
                                *ret_local = best_local >= 0;
                        return best_local;
                }
                break;
        case NUMA_POLICY_PREFERRED:
                if (best_local >= 0) {
                        if (ret_local)
                                *ret_local = true;
                        return best_local;
                }
                break;
        default:
                break;
        }
        if (ret_local)
                *ret_local = best >= 0 && vm_node >= 0 && c[best].numa_node == vm_node;
        return best;
}

static const char *smt_words(int smt_active) {
        return smt_active == 1 ? "on" : smt_active == 0 ? "off" : "unknown (treated as on)";
}

/* Each rule once, in the order: 0 (passed; `msg` says why, with the numbers) or
 * -AN_ERROR_* (`msg` says why not, with the remedy). admission_check stops at the first
 * refusal, admission_explain judges them all. res->tier is set by ADMISSION_STEP_TIER;
 * steps after it are skipped (ADMISSION_SKIPPED) when it failed. */
static int step_judge(AdmissionStep step, const AdmissionInput *in, AdmissionResult *res, char *msg, size_t size) {
        switch (step) {
        case ADMISSION_STEP_ENABLED:
                if (!in->enabled) {
                        snprintf(msg, size, "%s %s", an_error_message(AN_ERROR_NOT_ENABLED),
                                 an_error_remedy(AN_ERROR_NOT_ENABLED));
                        return -AN_ERROR_NOT_ENABLED;
                }
                snprintf(msg, size, "Accelerated Networking management is enabled.");
                return 0;
        case ADMISSION_STEP_DOMAIN:
                if (!in->facts.exists) {
                        snprintf(msg, size, "No VM named '%s' (virsh list --all).", in->vm);
                        return -AN_ERROR_NO_SUCH_VM;
                }
                snprintf(msg, size, "libvirt has a domain named '%s'.", in->vm);
                return 0;
        case ADMISSION_STEP_TIER:
                res->tier = tier_from_string(in->performance);
                if (res->tier < 0) {
                        snprintf(msg, size, "Unknown performance '%.64s': use Low, Medium or High.", in->performance);
                        return -AN_ERROR_INVALID_ARGS;
                }
                snprintf(msg, size, "Performance %s.", tier_to_string(res->tier));
                return 0;
        case ADMISSION_STEP_VIRTIO_NIC:
                if (!in->facts.has_virtio_nic) {
                        snprintf(msg, size, "VM '%s' has no virtio network interface to pair the VF with. %s", in->vm,
                                 an_error_remedy(AN_ERROR_GET_NETWORK_ADAPTER_FAILED));
                        return -AN_ERROR_GET_NETWORK_ADAPTER_FAILED;
                }
                snprintf(msg, size, "VM '%s' has a virtio network interface to pair the VF with.", in->vm);
                return 0;
        case ADMISSION_STEP_VCPUS: {
                unsigned min = tier_min_vcpus(in->tiers, res->tier, in->smt_active);
                if (in->facts.vcpus < min) {
                        snprintf(msg, size,
                                 "VM '%s' has %u vCPU(s); performance %s needs at least %u with hyperthreading %s. %s",
                                 in->vm, in->facts.vcpus, tier_to_string(res->tier), min, smt_words(in->smt_active),
                                 an_error_remedy(AN_ERROR_VM_NOT_ENOUGH_VCPUS));
                        return -AN_ERROR_VM_NOT_ENOUGH_VCPUS;
                }
                snprintf(msg, size, "VM '%s' has %u vCPU(s); performance %s needs at least %u with hyperthreading %s.",
                         in->vm, in->facts.vcpus, tier_to_string(res->tier), min, smt_words(in->smt_active));
                return 0;
        }
        case ADMISSION_STEP_MAX_VMS:
                if (in->max_vms > 0 && in->assigned + 1 > in->max_vms) {
                        snprintf(msg, size,
                                 "%u VMs hold a VF already, the most this host takes (max_vms %u in accelnet.json). "
                                 "Raise max_vms or disable acceleration on another VM.", in->assigned, in->max_vms);
                        return -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES;
                }
                if (in->max_vms > 0)
                        snprintf(msg, size, "%u VMs hold a VF; this host takes at most %u (max_vms).", in->assigned,
                                 in->max_vms);
                else
                        snprintf(msg, size, "No cap on the VMs that hold a VF (max_vms 0).");
                return 0;
        case ADMISSION_STEP_USABLE:
                if (in->reserve_included) {
                        if (in->assigned + 1 > in->usable) {
                                snprintf(msg, size, "All %u VFs of this host are assigned, the node reserve included. "
                                         "%s", in->usable, an_error_remedy(AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES));
                                return -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES;
                        }
                        snprintf(msg, size, "%u of the host's %u VFs are assigned, the node reserve included (it may "
                                 "be used here): %u left.", in->assigned, in->usable, in->usable - in->assigned);
                        return 0;
                }
                if (in->assigned + 1 > in->usable) {
                        snprintf(msg, size, "No VF left outside the node reserve: %u of %u usable VFs are assigned. %s",
                                 in->assigned, in->usable, an_error_remedy(AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES));
                        return -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES;
                }
                snprintf(msg, size, "%u of %u usable VFs are assigned: %u left outside the node reserve.", in->assigned,
                         in->usable, in->usable - in->assigned);
                return 0;
        case ADMISSION_STEP_VF: {
                const TierSpec *spec = &in->tiers->tiers[res->tier];
                bool local = false;
                ssize_t pick = admission_choose_vf(spec, in->facts.numa_node, in->cands, in->n_cands, in->pf_load,
                                                   &local);
                if (pick < 0) {
                        if (spec->numa == NUMA_POLICY_REQUIRED && in->facts.numa_node >= 0)
                                snprintf(msg, size,
                                         "Performance %s needs a VF on NUMA node %d, where VM '%s' runs, and none is "
                                         "free%s.", tier_to_string(res->tier), in->facts.numa_node, in->vm,
                                         spec->rates_required ? " with a PF driver that sets the tier's rates" : "");
                        else
                                snprintf(msg, size, "No free VF can provide performance %s%s.", tier_to_string(res->tier),
                                         spec->rates_required ? " (its transmit rates need a PF driver that supports them)"
                                                              : "");
                        return -AN_ERROR_CANNOT_PROVISION_PERFORMANCE;
                }
                res->choice = (size_t) pick;
                res->numa_local = local;
                const VfCandidate *c = &in->cands[pick];
                if (c->numa_node >= 0 && in->facts.numa_node >= 0)
                        snprintf(msg, size, "VF %s of %s (NUMA node %d, %s the VM's node %d) would be chosen.", c->vf,
                                 c->pf, c->numa_node, local ? "on" : "not on", in->facts.numa_node);
                else
                        snprintf(msg, size, "VF %s of %s would be chosen (NUMA placement %s).", c->vf, c->pf,
                                 c->numa_node < 0 ? "of the adapter unknown" : "of the VM unknown");
                return 0;
        }
        default:
                snprintf(msg, size, "?");
                return -EINVAL;
        }
}

/* Steps that need more than the facts: a tier (after ADMISSION_STEP_TIER), a VM without a VF. */
static bool step_applies(AdmissionStep step, const AdmissionInput *in) {
        if (step >= ADMISSION_STEP_MAX_VMS && in->vm_already_assigned)
                return false;
        return true;
}

int admission_check(const AdmissionInput *in, AdmissionResult *ret) {
        AdmissionResult res = { .tier = _TIER_INVALID };

        for (AdmissionStep step = 0; step < _ADMISSION_STEP_MAX; step++) {
                if (!step_applies(step, in))
                        break;
                int r = step_judge(step, in, &res, res.message, sizeof res.message);
                if (r < 0) {
                        *ret = res;
                        return r;
                }
        }
        res.message[0] = 0;
        *ret = res;
        return 0;
}

int admission_explain(const AdmissionInput *in, AdmissionVerdict ret[static _ADMISSION_STEP_MAX],
                      AdmissionResult *ret_result) {
        AdmissionResult res = { .tier = _TIER_INVALID };
        int first = 0;

        for (AdmissionStep step = 0; step < _ADMISSION_STEP_MAX; step++) {
                AdmissionVerdict *v = &ret[step];
                *v = (AdmissionVerdict){ .step = step };
                bool after_tier = step > ADMISSION_STEP_TIER;
                if (!step_applies(step, in) || (after_tier && res.tier < 0) ||
                    (step >= ADMISSION_STEP_VIRTIO_NIC && !in->facts.exists)) {
                        v->r = ADMISSION_SKIPPED;
                        continue;
                }
                v->r = step_judge(step, in, &res, v->message, sizeof v->message);
                if (v->r < 0 && first == 0)
                        first = v->r;
        }
        if (ret_result)
                *ret_result = res;
        return first;
}

unsigned admission_static_tiers(const AdmissionInput *in) {
        unsigned mask = 0;
        char msg[512];

        for (Tier k = 0; k < _TIER_MAX; k++) {
                AdmissionInput one = *in;
                AdmissionResult res = { .tier = _TIER_INVALID };
                bool ok = true;

                one.performance = tier_to_string(k);
                for (AdmissionStep step = ADMISSION_STEP_DOMAIN; ok && step <= ADMISSION_STEP_VCPUS; step++)
                        ok = step_judge(step, &one, &res, msg, sizeof msg) >= 0;
                if (ok)
                        mask |= 1u << k;
        }
        return mask;
}

unsigned reserve_nodes(size_t n, unsigned reserve) {
        return reserve_nodes_held(n > UINT32_MAX ? UINT32_MAX : (uint32_t) n, reserve);
}

unsigned reserve_usable(const unsigned *caps, size_t n, unsigned reserve, unsigned *ret_k) {
        uint64_t total = 0;
        unsigned k = reserve_nodes(n, reserve);

        for (size_t i = 0; i < n; i++)
                total += caps[i];
        if (ret_k)
                *ret_k = k;
        if (n == 1)
                return (unsigned) (total * (100 - (reserve < 100 ? reserve : 100)) / 100);
        /* the k largest: k rounds of picking the largest not yet picked (n is small) */
        _cleanup_free_ bool *taken = calloc(n ? n : 1, sizeof(bool));
        if (!taken)
                return 0;
        for (unsigned round = 0; round < k; round++) {
                size_t best = n;
                for (size_t i = 0; i < n; i++)
                        if (!taken[i] && (best == n || caps[i] > caps[best]))
                                best = i;
                taken[best] = true;
                total -= caps[best];
        }
        return (unsigned) total;
}
