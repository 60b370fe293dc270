/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Admission order, the vCPU table, the capacity check and the VF choice (NUMA per tier,
 * least-loaded PF, deterministic), on plain facts. */
#include "policy/admission.h"
#include "testlib.h"

static TierTable tiers;

static VfCandidate cand(const char *vf, const char *pf, unsigned index, int node, bool free_) {
        VfCandidate c = { .index = index, .numa_node = node, .free = free_, .min_rate_ok = true, .max_rate_ok = true,
                          .link_speed_mbps = 10000 };
        snprintf(c.vf, sizeof c.vf, "%s", vf);
        snprintf(c.pf, sizeof c.pf, "%s", pf);
        return c;
}

/* Two PFs on node 0 (01:00.0, 01:00.1) and one on node 1 (81:00.0). */
static VfCandidate C[6];
static unsigned LOAD[6];

static void setup(void) {
        tier_table_defaults(&tiers);
        C[0] = cand("0000:01:10.0", "0000:01:00.0", 0, 0, true);
        C[1] = cand("0000:01:10.2", "0000:01:00.0", 1, 0, true);
        C[2] = cand("0000:01:10.1", "0000:01:00.1", 0, 0, true);
        C[3] = cand("0000:01:10.3", "0000:01:00.1", 1, 0, true);
        C[4] = cand("0000:81:10.0", "0000:81:00.0", 0, 1, true);
        C[5] = cand("0000:81:10.2", "0000:81:00.0", 1, 1, true);
        memset(LOAD, 0, sizeof LOAD);
}

static AdmissionInput input(const char *perf, unsigned vcpus, int node) {
        return (AdmissionInput){
                .enabled = true, .vm = "web1", .performance = perf,
                .facts = { .exists = true, .vcpus = vcpus, .has_virtio_nic = true, .numa_node = node },
                .smt_active = 0, .tiers = &tiers, .usable = 4, .assigned = 0,
                .cands = C, .n_cands = ELEMENTSOF(C), .pf_load = LOAD,
        };
}

TEST(order_of_refusals) {
        AdmissionResult res;
        AdmissionInput in;

        setup();
        /* Every check fails at once: the first in the order wins. */
        in = input("turbo", 1, -1);
        in.enabled = false;
        in.facts.exists = false;
        in.facts.has_virtio_nic = false;
        in.assigned = 4;
        CHECK_INT(admission_check(&in, &res), -AN_ERROR_NOT_ENABLED);
        in.enabled = true;
        CHECK_INT(admission_check(&in, &res), -AN_ERROR_NO_SUCH_VM);
        in.facts.exists = true;
        CHECK_INT(admission_check(&in, &res), -AN_ERROR_INVALID_ARGS);
        CHECK_CONTAINS(res.message, "turbo");
        in.performance = "HIGH";
        CHECK_INT(admission_check(&in, &res), -AN_ERROR_GET_NETWORK_ADAPTER_FAILED);
        in.facts.has_virtio_nic = true;
        CHECK_INT(admission_check(&in, &res), -AN_ERROR_VM_NOT_ENOUGH_VCPUS);
        CHECK_CONTAINS(res.message, "at least 4 with hyperthreading off");
        in.facts.vcpus = 4;
        CHECK_INT(admission_check(&in, &res), -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES);
        CHECK_CONTAINS(res.message, "4 of 4");
        in.assigned = 3;
        CHECK_INT(admission_check(&in, &res), 0);
        CHECK_INT(res.tier, TIER_HIGH);
}

TEST(max_vms) {
        AdmissionResult res;
        AdmissionInput in;

        setup();
        in = input("Low", 4, -1);
        in.usable = 4;
        in.assigned = 2;
        in.max_vms = 2;
        CHECK_INT(admission_check(&in, &res), -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES);
        CHECK_CONTAINS(res.message, "max_vms 2");
        in.max_vms = 3;
        CHECK_INT(admission_check(&in, &res), 0);
        in.max_vms = 0; /* no cap */
        CHECK_INT(admission_check(&in, &res), 0);
}

TEST(vcpu_minimums_follow_smt) {
        AdmissionResult res;
        setup();
        /* Seed table: off 2,2,4; on 4,4,4; unknown counts as on. */
        static const struct { const char *tier; int smt; unsigned ok, refused; } t[] = {
                { "Low", 0, 2, 1 }, { "Medium", 0, 2, 1 }, { "High", 0, 4, 3 },
                { "Low", 1, 4, 3 }, { "Medium", 1, 4, 3 }, { "High", 1, 4, 3 }, { "low", -1, 4, 3 },
        };
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                AdmissionInput in = input(t[i].tier, t[i].ok, -1);
                in.smt_active = t[i].smt;
                CHECK_INT(admission_check(&in, &res), 0);
                in.facts.vcpus = t[i].refused;
                CHECK_INT(admission_check(&in, &res), -AN_ERROR_VM_NOT_ENOUGH_VCPUS);
        }
}

TEST(already_assigned_skips_capacity_and_choice) {
        AdmissionResult res;
        setup();
        AdmissionInput in = input("Low", 2, -1);
        in.assigned = 4; /* full, but a tier change of a VM that holds a VF needs no new one */
        in.vm_already_assigned = true;
        CHECK_INT(admission_check(&in, &res), 0);
}

TEST(least_loaded_pf_then_address) {
        bool local;
        setup();
        /* All empty: lowest PF address, lowest VF index. */
        CHECK_INT(admission_choose_vf(&tiers.tiers[TIER_LOW], -1, C, 6, LOAD, &local), 0);
        /* PF 01:00.0 carries one VM: 01:00.1 is less loaded. */
        C[0].free = false;
        LOAD[0] = LOAD[1] = 1;
        CHECK_INT(admission_choose_vf(&tiers.tiers[TIER_LOW], -1, C, 6, LOAD, &local), 2);
        /* Deterministic: the same input gives the same answer. */
        CHECK_INT(admission_choose_vf(&tiers.tiers[TIER_LOW], -1, C, 6, LOAD, &local), 2);
        /* Nothing free → -1. */
        for (size_t i = 0; i < 6; i++)
                C[i].free = false;
        CHECK_INT(admission_choose_vf(&tiers.tiers[TIER_LOW], -1, C, 6, LOAD, &local), -1);
}

TEST(numa_per_tier) {
        AdmissionResult res;
        bool local = false;
        setup();
        /* Low ignores NUMA: the least-loaded PF wins even off-node. */
        LOAD[0] = LOAD[1] = LOAD[2] = LOAD[3] = 2;
        CHECK_INT(admission_choose_vf(&tiers.tiers[TIER_LOW], 0, C, 6, LOAD, &local), 4);
        CHECK(!local);
        /* Medium prefers the VM's node when a VF is free there. */
        CHECK_INT(admission_choose_vf(&tiers.tiers[TIER_MEDIUM], 0, C, 6, LOAD, &local), 0);
        CHECK(local);
        /* ... and falls back to any node when none is. */
        C[0].free = C[1].free = C[2].free = C[3].free = false;
        CHECK_INT(admission_choose_vf(&tiers.tiers[TIER_MEDIUM], 0, C, 6, LOAD, &local), 4);
        CHECK(!local);
        /* High requires it: CannotProvisionPerformance naming the node. */
        AdmissionInput in = input("High", 4, 0);
        CHECK_INT(admission_check(&in, &res), -AN_ERROR_CANNOT_PROVISION_PERFORMANCE);
        CHECK_CONTAINS(res.message, "NUMA node 0");
        /* High with the VM on node 1: the node-1 VF. */
        in.facts.numa_node = 1;
        CHECK_INT(admission_check(&in, &res), 0);
        CHECK_STR(C[res.choice].vf, "0000:81:10.0");
        CHECK(res.numa_local);
        /* Placement unknown: High takes any free VF. */
        in.facts.numa_node = -1;
        CHECK_INT(admission_check(&in, &res), 0);
}

TEST(required_rates) {
        AdmissionResult res;
        setup();
        tiers.tiers[TIER_MEDIUM].rates_required = true;
        tiers.tiers[TIER_MEDIUM].min_tx_rate_mbps = 100;
        for (size_t i = 0; i < 6; i++)
                C[i].min_rate_ok = false; /* igb: no minimum rate */
        AdmissionInput in = input("Medium", 2, -1);
        CHECK_INT(admission_check(&in, &res), -AN_ERROR_CANNOT_PROVISION_PERFORMANCE);
        CHECK_CONTAINS(res.message, "rates");
        C[5].min_rate_ok = true;
        CHECK_INT(admission_check(&in, &res), 0);
        CHECK_INT(res.choice, 5);
}

/* ListNodeCapacity's numbers: free candidates, bounded like an arrival (capacity, max_vms),
 * and per tier those on a PF that can serve it. */
TEST(free_vfs_per_tier) {
        FreeVfs f;
        setup();
        C[1].free = false; /* assigned */
        admission_free_vfs(&tiers, C, 6, 6, 1, 0, &f);
        CHECK_INT(f.free, 5);
        for (Tier k = 0; k < _TIER_MAX; k++)
                CHECK_INT(f.tier[k], 5); /* the default tiers require no rates */
        /* High needs a minimum rate that only the PF on NUMA node 1 sets (igb cannot) */
        tiers.tiers[TIER_HIGH].rates_required = true;
        tiers.tiers[TIER_HIGH].min_tx_rate_mbps = 100;
        for (size_t i = 0; i < 4; i++)
                C[i].min_rate_ok = false;
        admission_free_vfs(&tiers, C, 6, 6, 1, 0, &f);
        CHECK_INT(f.free, 5);
        CHECK_INT(f.tier[TIER_HIGH], 2);
        CHECK_INT(f.tier[TIER_MEDIUM], 5);
        CHECK_INT(f.tier[TIER_LOW], 5);
        /* ... and above that PF's link speed it serves none */
        C[4].link_speed_mbps = C[5].link_speed_mbps = 50;
        admission_free_vfs(&tiers, C, 6, 6, 1, 0, &f);
        CHECK_INT(f.tier[TIER_HIGH], 0);
        /* an arrival may use the reserve but not more than the capacity: a record whose VF is
         * not among the slots (yet) still counts */
        admission_free_vfs(&tiers, C, 6, 6, 3, 0, &f);
        CHECK_INT(f.free, 3);
        CHECK_INT(f.tier[TIER_LOW], 3);
        /* max_vms caps what this host takes */
        admission_free_vfs(&tiers, C, 6, 6, 1, 2, &f);
        CHECK_INT(f.free, 1);
        admission_free_vfs(&tiers, C, 6, 6, 1, 1, &f);
        CHECK_INT(f.free, 0);
        CHECK_INT(f.tier[TIER_MEDIUM], 0);
        /* management off: capacity 0 */
        admission_free_vfs(&tiers, C, 6, 0, 0, 0, &f);
        CHECK_INT(f.free, 0);
        admission_free_vfs(&tiers, NULL, 0, 0, 0, 0, &f);
        CHECK_INT(f.free, 0);
}

TEST(tier_rates_against_link_speed) {
        uint32_t min, max;
        TierSpec s = { .min_tx_rate_mbps = 0, .max_tx_rate_mbps = 2000 };
        admission_tier_rates(&s, 1000, &min, &max);
        CHECK_INT(max, 0); /* a cap at or above the link speed is no cap */
        admission_tier_rates(&s, 10000, &min, &max);
        CHECK_INT(max, 2000);
        admission_tier_rates(&s, 0, &min, &max); /* unknown link speed */
        CHECK_INT(max, 2000);
        s = (TierSpec){ .min_tx_rate_mbps = 5000, .max_tx_rate_mbps = 0 };
        admission_tier_rates(&s, 1000, &min, &max);
        CHECK_INT(min, 1000);
}

TEST(vm_names) {
        CHECK(vm_name_valid("web1"));
        CHECK(vm_name_valid("a name with spaces"));
        CHECK(!vm_name_valid(""));
        CHECK(!vm_name_valid(NULL));
        CHECK(!vm_name_valid("a/b"));
        CHECK(!vm_name_valid("new\nline"));
        char long_name[300];
        memset(long_name, 'x', sizeof long_name);
        long_name[256] = 0;
        CHECK(vm_name_valid(long_name));
        long_name[256] = 'x';
        long_name[257] = 0;
        CHECK(!vm_name_valid(long_name));
}

/* DESIGN §2's reserve in nodes, worked by hand. */
TEST(reserve_in_nodes) {
        unsigned k;
        const unsigned four[] = { 7, 14, 7, 14 };
        /* 4 nodes, reserve 50: k = min(3, 2) = 2, the two 14s held back: U = 42 - 28 */
        CHECK_INT(reserve_usable(four, 4, 50, &k), 14);
        CHECK_INT(k, 2);
        /* reserve 0 holds nothing back */
        CHECK_INT(reserve_usable(four, 4, 0, &k), 42);
        CHECK_INT(k, 0);
        /* reserve 99: k = min(3, ceil(3.96)) = 3, only the smallest node counts */
        CHECK_INT(reserve_usable(four, 4, 99, &k), 7);
        CHECK_INT(k, 3);
        /* reserve 1 on 4 nodes still holds a whole node: ceil(0.04) = 1 */
        CHECK_INT(reserve_usable(four, 4, 1, &k), 28);
        CHECK_INT(k, 1);
        const unsigned three[] = { 16, 8, 4 };
        CHECK_INT(reserve_usable(three, 3, 50, &k), 4); /* k = 2: 28 - 16 - 8 */
        CHECK_INT(reserve_usable(three, 3, 33, &k), 12); /* k = ceil(0.99) = 1 */
        CHECK_INT(reserve_usable(three, 3, 34, &k), 4);  /* k = ceil(1.02) = 2 */
        /* a cluster of one: the single-host share */
        const unsigned one[] = { 14 };
        CHECK_INT(reserve_usable(one, 1, 50, &k), 7);
        CHECK_INT(k, 0);
        CHECK_INT(reserve_usable(one, 1, 0, &k), 14);
        CHECK_INT(reserve_usable(one, 1, 99, &k), 0);
        CHECK_INT(reserve_usable(NULL, 0, 50, &k), 0);
        CHECK_INT(reserve_nodes(2, 50), 1);
        CHECK_INT(reserve_nodes(2, 0), 0);
        CHECK_INT(reserve_nodes(10, 99), 9);
}

/* ExplainVM's view: every rule judged, with the same messages as admission_check's refusals,
 * and the first refusal equal to admission_check's. */
TEST(explain_judges_every_rule) {
        AdmissionVerdict v[_ADMISSION_STEP_MAX];
        AdmissionResult res, res2;
        AdmissionInput in;

        setup();
        in = input("High", 2, 1);
        in.enabled = false;
        in.assigned = 4;
        CHECK_INT(admission_explain(&in, v, &res), -AN_ERROR_NOT_ENABLED);
        CHECK_INT(admission_check(&in, &res2), -AN_ERROR_NOT_ENABLED);
        CHECK_STR(v[ADMISSION_STEP_ENABLED].message, res2.message);
        CHECK_INT(v[ADMISSION_STEP_DOMAIN].r, 0);
        CHECK_INT(v[ADMISSION_STEP_TIER].r, 0);
        CHECK_INT(v[ADMISSION_STEP_VIRTIO_NIC].r, 0);
        /* not stopped by the first refusal: the vCPU rule is judged too */
        CHECK_INT(v[ADMISSION_STEP_VCPUS].r, -AN_ERROR_VM_NOT_ENOUGH_VCPUS);
        CHECK_CONTAINS(v[ADMISSION_STEP_VCPUS].message, "has 2 vCPU(s); performance High needs at least 4");
        CHECK_INT(v[ADMISSION_STEP_USABLE].r, -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES);
        CHECK_CONTAINS(v[ADMISSION_STEP_USABLE].message, "4 of 4 usable VFs are assigned");
        CHECK_INT(v[ADMISSION_STEP_VF].r, 0);
        CHECK_CONTAINS(v[ADMISSION_STEP_VF].message, "0000:81:10.0");
        CHECK_CONTAINS(v[ADMISSION_STEP_VF].message, "on the VM's node 1");

        /* the same input as admission_check, rule by rule: equal outcomes */
        in.enabled = true;
        in.facts.vcpus = 4;
        in.assigned = 1;
        CHECK_INT(admission_explain(&in, v, &res), 0);
        CHECK_INT(admission_check(&in, &res2), 0);
        CHECK_INT(res.choice, res2.choice);
        CHECK_CONTAINS(v[ADMISSION_STEP_USABLE].message, "1 of 4 usable VFs are assigned: 3 left");
        CHECK_CONTAINS(v[ADMISSION_STEP_VCPUS].message, "has 4 vCPU(s)");

        /* an unknown tier: the tier's rules are not judged */
        in.performance = "turbo";
        CHECK_INT(admission_explain(&in, v, NULL), -AN_ERROR_INVALID_ARGS);
        CHECK_INT(v[ADMISSION_STEP_VCPUS].r, ADMISSION_SKIPPED);
        CHECK_INT(v[ADMISSION_STEP_VF].r, ADMISSION_SKIPPED);
        CHECK_INT(v[ADMISSION_STEP_VIRTIO_NIC].r, ADMISSION_SKIPPED);

        /* no domain: nothing about the VM is judged; no free VF on the required node */
        in = input("High", 4, 1);
        in.facts.exists = false;
        CHECK_INT(admission_explain(&in, v, NULL), -AN_ERROR_NO_SUCH_VM);
        CHECK_INT(v[ADMISSION_STEP_VCPUS].r, ADMISSION_SKIPPED);
        in = input("High", 4, 1);
        C[4].free = C[5].free = false;
        CHECK_INT(admission_explain(&in, v, NULL), -AN_ERROR_CANNOT_PROVISION_PERFORMANCE);
        CHECK_CONTAINS(v[ADMISSION_STEP_VF].message, "needs a VF on NUMA node 1");
        CHECK_INT(admission_check(&in, &res2), -AN_ERROR_CANNOT_PROVISION_PERFORMANCE);
        CHECK_STR(v[ADMISSION_STEP_VF].message, res2.message);

        /* the node reserve included (an arrival, a waiting VM): said so, not "outside the reserve" */
        in = input("Low", 4, -1);
        in.reserve_included = true;
        in.usable = 8;
        in.assigned = 8;
        CHECK_INT(admission_explain(&in, v, NULL), -AN_ERROR_CLUSTER_NOT_ENOUGH_RESOURCES);
        CHECK_CONTAINS(v[ADMISSION_STEP_USABLE].message, "All 8 VFs of this host are assigned, the node reserve included.");
        in.assigned = 5;
        CHECK_INT(admission_explain(&in, v, NULL), 0);
        CHECK_CONTAINS(v[ADMISSION_STEP_USABLE].message, "5 of the host's 8 VFs are assigned, the node reserve included");

        /* a VM that holds a VF: no capacity, no choice */
        in.vm_already_assigned = true;
        CHECK_INT(admission_explain(&in, v, NULL), 0);
        CHECK_INT(v[ADMISSION_STEP_USABLE].r, ADMISSION_SKIPPED);
        CHECK_INT(v[ADMISSION_STEP_VF].r, ADMISSION_SKIPPED);
}

TEST(static_tiers) {
        AdmissionInput in;
        const unsigned all = (1u << TIER_LOW) | (1u << TIER_MEDIUM) | (1u << TIER_HIGH);

        setup();
        /* 2 vCPUs, hyperthreading off: Low and Medium (2), not High (4) */
        in = input("High", 2, -1);
        CHECK_INT(admission_static_tiers(&in), (1u << TIER_LOW) | (1u << TIER_MEDIUM));
        /* hyperthreading on (and unknown, the stricter column): every tier needs 4 */
        in.smt_active = 1;
        CHECK_INT(admission_static_tiers(&in), 0);
        in.smt_active = -1;
        CHECK_INT(admission_static_tiers(&in), 0);
        in.facts.vcpus = 4;
        CHECK_INT(admission_static_tiers(&in), all);
        /* only the static facts count: not management, the tier asked, capacity or VFs */
        in.enabled = false;
        in.performance = "turbo";
        in.assigned = in.usable = 4;
        in.n_cands = 0;
        CHECK_INT(admission_static_tiers(&in), all);
        /* no virtio NIC, or no domain: none */
        in.facts.has_virtio_nic = false;
        CHECK_INT(admission_static_tiers(&in), 0);
        in.facts.has_virtio_nic = true;
        in.facts.exists = false;
        CHECK_INT(admission_static_tiers(&in), 0);
        /* 1 vCPU: none (the simulated host's "tiny") */
        in = input("Low", 1, -1);
        CHECK_INT(admission_static_tiers(&in), 0);
        /* agrees with admission_check's verdict on every tier */
        for (unsigned vcpus = 0; vcpus <= 5; vcpus++)
                for (int smt = -1; smt <= 1; smt++)
                        for (Tier k = 0; k < _TIER_MAX; k++) {
                                AdmissionResult res;
                                in = input(tier_to_string(k), vcpus, -1);
                                in.smt_active = smt;
                                int r = admission_check(&in, &res);
                                bool refused_static = r == -AN_ERROR_VM_NOT_ENOUGH_VCPUS;
                                CHECK(!!(admission_static_tiers(&in) & (1u << k)) == !refused_static);
                        }
}

int main(void) {
        RUN(order_of_refusals);
        RUN(vcpu_minimums_follow_smt);
        RUN(max_vms);
        RUN(already_assigned_skips_capacity_and_choice);
        RUN(least_loaded_pf_then_address);
        RUN(numa_per_tier);
        RUN(required_rates);
        RUN(free_vfs_per_tier);
        RUN(tier_rates_against_link_speed);
        RUN(vm_names);
        RUN(reserve_in_nodes);
        RUN(explain_judges_every_rule);
        RUN(static_tiers);
        return TEST_MAIN_END();
}
