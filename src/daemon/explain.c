/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ExplainVM (explain.h). */
#include <stdio.h>
#include <time.h>

#include "cluster-node.h"
#include "explain.h"
#include "pf-health.h"
#include "pf.h"
#include "policy/servicing.h"
#include "policy/waiting.h"
#include "shared/macro.h"
#include "shared/strutil.h"
#include "virt/virt.h"
#include "vm-work.h"
#include "vm.h"

static PrereqResult verdict_result(const AdmissionVerdict *v) {
        return v->r < 0 ? PREREQ_FAILED : PREREQ_PASSED;
}

static const char *pf_label(const Pf *pf) {
        return pf->ifname ? pf->ifname : pf->address;
}

/* The virtio NIC the VF pairs with: the record's MAC, else the first virtio NIC's. */
static const VirtIface *virtio_nic(const Vm *vm, const VirtIface *v, size_t n) {
        VmFacts f;
        char mac[18];
        unsigned vlan;
        vm_facts(vm, &f, mac, &vlan);
        const char *want = vm->has_record && vm->record.mac[0] ? vm->record.mac : mac;
        return *want ? virt_iface_find_mac(v, n, want) : NULL;
}

static void row_teaming(const Vm *vm, NoteList *l) {
        const VirtDomain *d = vm->domain;
        const char *next = vm_next_start_note(vm);

        if (!d->active) {
                note_list_add(l, "teaming", "", PREREQ_PASSED, 0,
                              "The VM is not running: its VF is plugged when it starts (the virtio NIC is teamed in its "
                              "persistent config when the VF is given).");
                return;
        }
        const VirtIface *f = virtio_nic(vm, d->live_ifaces, d->n_live_ifaces);
        if (!f) {
                note_list_add(l, "teaming", "", PREREQ_WARNING, 0,
                              "The running VM has no virtio NIC to pair a VF with: one added to its persistent config "
                              "takes effect when it is powered off and started again.");
                return;
        }
        if (f->teaming != VIRT_TEAMING_PERSISTENT) {
                note_list_add(l, "teaming", "", PREREQ_WARNING, 0,
                              "The running virtio NIC %s was not started with <teaming type='persistent'/> (failover "
                              "is negotiated when QEMU starts the NIC): a VF reaches the guest only after a power "
                              "cycle — shut the VM down, then start it; a guest reboot is not enough.",
                              strempty(f->mac));
                return;
        }
        if (next)
                note_list_add(l, "teaming", "", PREREQ_WARNING, 0,
                              "The running virtio NIC %s is teamed (failover), but its VF is not in the running VM: %s.",
                              strempty(f->mac), next);
        else
                note_list_add(l, "teaming", "", PREREQ_PASSED, 0,
                              "The running virtio NIC %s is teamed (failover): a VF is plugged live. The guest uses it "
                              "once its virtio-net driver has negotiated failover (net_failover); if it had not at "
                              "boot, a guest reboot is enough.", strempty(f->mac));
}

static void row_numa(Manager *m, const Vm *vm, Tier tier, const AdmissionInput *in, const AdmissionVerdict *vf,
                     const AdmissionResult *res, NoteList *l) {
        const TierSpec *spec = &m->config->settings.tiers.tiers[tier];
        int vm_node = in->facts.numa_node, vf_node = -1;
        const char *what;
        char vf_name[64];

        if (vm->has_record && vm->slot) {
                vf_node = vm->slot->pf->numa_node;
                snprintf(vf_name, sizeof vf_name, "its VF %s", vm->record.vf);
                what = vf_name;
        } else if (vf->r == 0) {
                vf_node = in->cands[res->choice].numa_node;
                snprintf(vf_name, sizeof vf_name, "the VF it would get (%s)", in->cands[res->choice].vf);
                what = vf_name;
        } else
                what = NULL;

        if (vm_node < 0) {
                note_list_add(l, "numa", "", PREREQ_PASSED, 0,
                              "The VM's NUMA placement is not known (no <numatune> nodeset, no vCPU pinning to one "
                              "node): performance %s's NUMA policy (%s) is not applied.", tier_to_string(tier),
                              numa_policy_to_string(spec->numa));
                return;
        }
        if (!what) {
                note_list_add(l, "numa", "", spec->numa == NUMA_POLICY_REQUIRED ? PREREQ_FAILED : PREREQ_WARNING, 0,
                              "The VM is on NUMA node %d; no free VF %s (performance %s: NUMA %s).", vm_node,
                              spec->numa == NUMA_POLICY_REQUIRED ? "on that node" : "to compare", tier_to_string(tier),
                              numa_policy_to_string(spec->numa));
                return;
        }
        if (vf_node < 0) {
                note_list_add(l, "numa", "", PREREQ_PASSED, 0,
                              "The VM is on NUMA node %d; the NUMA node of %s is not known.", vm_node, what);
                return;
        }
        bool local = vf_node == vm_node;
        PrereqResult r = local || spec->numa == NUMA_POLICY_NONE ? PREREQ_PASSED
                       : spec->numa == NUMA_POLICY_REQUIRED    ? PREREQ_FAILED
                                                               : PREREQ_WARNING;
        note_list_add(l, "numa", "", r, 0, "The VM is on NUMA node %d, %s on node %d: %s (performance %s: NUMA %s).%s",
                      vm_node, what, vf_node, local ? "local" : "remote", tier_to_string(tier),
                      numa_policy_to_string(spec->numa),
                      r == PREREQ_WARNING ? " No free VF on the VM's node: traffic crosses the interconnect."
                      : r == PREREQ_FAILED ? " 'accelnetctl vm set' with this tier moves it to a local VF when one is free."
                                           : "");
}

static void row_capacity(Manager *m, const Vm *vm, Tier tier, const AdmissionVerdict *v, NoteList *l) {
        unsigned capacity, usable, assigned;
        FreeVfs fv;

        manager_counts(m, &capacity, &usable, &assigned);
        if (manager_free_vfs(m, &fv) < 0)
                fv = (FreeVfs){};
        char counts[320];
        snprintf(counts, sizeof counts,
                 "%s: %u VFs, %u usable (node reserve %u%%), %u assigned; free on this node: %u, %u of them for "
                 "performance %s (the reserve included).", manager_clustered(m) ? "Cluster" : "Host", capacity, usable,
                 m->reserve, assigned, fv.free, fv.tier[tier], tier_to_string(tier));
        if (vm->has_record) {
                note_list_add(l, "capacity", "", PREREQ_PASSED, 0, "It holds a VF: no capacity needed. %s", counts);
                return;
        }
        const AdmissionVerdict *max = &v[ADMISSION_STEP_MAX_VMS], *use = &v[ADMISSION_STEP_USABLE];
        const AdmissionVerdict *bad = max->r < 0 ? max : use->r < 0 ? use : NULL;
        if (use->r == ADMISSION_SKIPPED) {
                note_list_add(l, "capacity", "", PREREQ_WARNING, 0, "%s", counts);
                return;
        }
        note_list_add(l, "capacity", "", bad ? PREREQ_FAILED : PREREQ_PASSED, 0, "%s %s%s",
                      bad ? bad->message : use->message, counts,
                      "");
}

static void row_vf(const Vm *vm, const AdmissionVerdict *v, NoteList *l) {
        if (vm->has_record) {
                const char *next = vm_next_start_note(vm);
                note_list_add(l, "vf", "", next ? PREREQ_WARNING : PREREQ_PASSED, 0,
                              "It holds VF %s (index %u of %s, performance %s)%s%s.", vm->record.vf,
                              vm->record.vf_index, vm->record.pf, tier_to_string(vm->record.tier), next ? "; " : "",
                              strempty(next));
                return;
        }
        if (v->r == ADMISSION_SKIPPED)
                return;
        note_list_add(l, "vf", "", verdict_result(v), 0, "%s", v->message);
}

static const char *pf_trouble(const Pf *pf, char *buf, size_t size) {
        if (pf->revoked & (1u << PF_REVOKE_ADMIN_DRAIN))
                snprintf(buf, size, "drained for servicing");
        else if (pf->health_ready && pf->health.state == HEALTH_FAILED)
                snprintf(buf, size, "Failed");
        else if (pf->health_ready && pf->health.quarantined)
                snprintf(buf, size, "quarantined (flapping)");
        else if (!pf_in_service(pf))
                snprintf(buf, size, "out of service");
        else if (!pf->present)
                snprintf(buf, size, "not present");
        else if (pf->verdict != SRIOV_SUPPORTED)
                snprintf(buf, size, "%s", sriov_support_to_string(pf->verdict));
        else if (pf->health_ready && pf->health.state == HEALTH_DEGRADED)
                return "Degraded"; /* takes VFs, but say it */
        else
                return NULL;
        return buf;
}

static void row_health(Manager *m, const Vm *vm, NoteList *l) {
        char buf[64];

        if (vm->has_record && vm->slot) {
                const Pf *pf = vm->slot->pf;
                const char *t = pf_trouble(pf, buf, sizeof buf);
                const char *state = pf->health_ready ? health_state_to_string(pf->health.state) : "not watched yet";
                PrereqResult r = !t ? PREREQ_PASSED : streq(t, "Degraded") ? PREREQ_WARNING : PREREQ_FAILED;
                note_list_add(l, "adapter-health", "", r, 0, "Its VF's adapter %s (%s) is %s%s%s.%s", pf_label(pf),
                              pf->address, state, t && !streq(t, "Degraded") && !streq(t, state) ? ", " : "",
                              t && !streq(t, "Degraded") && !streq(t, state) ? t : "",
                              r == PREREQ_FAILED ? " Its VF is revoked (the VM runs on virtio) and it gets one of another "
                                                   "adapter when one is free; 'accelnetctl health' says why." : "");
                return;
        }
        StrBuf ok = {}, bad = {};
        size_t n = 0, n_bad = 0;
        for (size_t i = 0; i < m->n_pfs; i++) {
                const Pf *pf = m->pfs[i];
                if (!pf->planned)
                        continue;
                n++;
                const char *t = pf_trouble(pf, buf, sizeof buf);
                if (t && !streq(t, "Degraded")) {
                        n_bad++;
                        strbuf_appendf(&bad, "%s%s (%s)", bad.len ? ", " : "", pf_label(pf), t);
                } else
                        strbuf_appendf(&ok, "%s%s (%s)", ok.len ? ", " : "", pf_label(pf),
                                       pf->health_ready ? health_state_to_string(pf->health.state) : "Healthy");
        }
        _cleanup_free_ char *oks = strbuf_steal(&ok), *bads = strbuf_steal(&bad);
        if (n == 0)
                note_list_add(l, "adapter-health", "", PREREQ_WARNING, 0,
                              "No adapter hands out VFs: %s", m->enabled ? "the intent has none in the plan."
                                                                         : "management is disabled.");
        else if (n_bad == n)
                note_list_add(l, "adapter-health", "", PREREQ_FAILED, 0,
                              "No adapter of intent '%s' takes new VFs: %s. 'accelnetctl health' says why; 'accelnetctl "
                              "adapter restore' ends a drain.", strempty(m->intent), strempty(bads));
        else
                note_list_add(l, "adapter-health", "", n_bad ? PREREQ_WARNING : PREREQ_PASSED, 0,
                              "Adapters of intent '%s' that take new VFs: %s.%s%s%s", strempty(m->intent), strempty(oks),
                              n_bad ? " Not taking any: " : "", strempty(bads), n_bad ? "." : "");
}

static void row_waiting(const Vm *vm, NoteList *l) {
        time_t t = time(NULL);
        uint64_t now = t > 0 ? (uint64_t) t : 1;
        uint64_t total = servicing_without_total(vm->without_since, vm->without_total, now);
        char note[VM_ROW_NOTE_MAX];

        if (vm_waiting(vm)) {
                waiting_note_total(vm->waiting_since, now, total, vm->waiting_reason, note, sizeof note);
                note_list_add(l, "waiting", "", PREREQ_WARNING, 0,
                              "It runs on virtio and is %s. It gets a VF as soon as one frees, in the order of waiting.",
                              note);
        } else if (vm_accelerated(vm) && !vm->has_record && vm->revoked_since) {
                servicing_revoked_note(vm->revoked_since, now, total, note, sizeof note);
                note_list_add(l, "waiting", "", PREREQ_WARNING, 0,
                              "It holds no VF: %s. It gets none until 'accelnetctl vm restore %s'.", note, vm->name);
        } else if (vm_accelerated(vm) && !vm->has_record)
                note_list_add(l, "waiting", "", PREREQ_WARNING, 0, "It is accelerated but holds no VF%s%s.",
                              vm_note(vm)[0] ? ": " : "", vm_note(vm));
        else
                note_list_add(l, "waiting", "", PREREQ_PASSED, 0, "%s",
                              vm->has_record ? "It is not waiting: it holds a VF." : "It is not waiting for a VF.");
}

int manager_explain_vm(Manager *m, const char *name, const char *performance, NoteList *ret, AnStatus *st) {
        _cleanup_free_ VfCandidate *c = NULL;
        _cleanup_free_ unsigned *load = NULL;
        AdmissionVerdict v[_ADMISSION_STEP_MAX];
        AdmissionInput in;
        AdmissionResult res;
        NoteList l = {};
        Tier tier = TIER_LOW;
        int r;

        if (manager_check_vm_arg(name, st) < 0)
                return st->r;
        if (!isempty(performance) && manager_check_tier_arg(performance, &tier, st) < 0)
                return st->r;
        Vm *vm = manager_get_vm(m, name);
        if (!vm || !vm->domain) {
                if (!manager_virt_ready(m, st))
                        return st->r;
                uint32_t holder = manager_clustered(m) ? cluster_node_holder(m->cluster, name) : 0;
                if (holder != 0)
                        return an_status_set(st, -AN_ERROR_NO_SUCH_VM,
                                             "VM '%s' is not on this node but on cluster node %u: ask accelnetd there.",
                                             name, holder);
                return an_status_set(st, -AN_ERROR_NO_SUCH_VM, "No VM named '%s' (virsh list --all).", name);
        }
        bool asked = !isempty(performance);
        if (!asked && vm_accelerated(vm))
                tier = vm->has_record ? vm->record.tier : vm->accel_tier;

        AdmitMode mode = vm->has_record ? ADMIT_TIER_CHANGE : vm_accelerated(vm) ? ADMIT_NEW_RESERVE : ADMIT_NEW;
        r = vm_admission_input(vm, tier, mode, &in, &c, &load);
        if (r < 0)
                return an_status_set(st, r, "Out of memory.");
        (void) admission_explain(&in, v, &res);

        /* management and the VM's setting */
        if (v[ADMISSION_STEP_ENABLED].r < 0)
                note_list_add(&l, "management", "", PREREQ_FAILED, 0, "%s", v[ADMISSION_STEP_ENABLED].message);
        else
                note_list_add(&l, "management", "", PREREQ_PASSED, 0,
                              "Management is enabled with intent '%s' (node reserve %u%%).", strempty(m->intent),
                              m->reserve);
        if (vm_accelerated(vm)) {
                Tier own = vm->has_record ? vm->record.tier : vm->accel_tier;
                note_list_add(&l, "setting", "", PREREQ_PASSED, 0,
                              "VM '%s' is accelerated with performance %s (its setting is in its domain XML).%s%s%s",
                              name, tier_to_string(own), asked && own != tier ? " Checked for performance " : "",
                              asked && own != tier ? tier_to_string(tier) : "",
                              asked && own != tier ? " ('accelnetctl vm set')." : "");
        } else
                note_list_add(&l, "setting", "", PREREQ_WARNING, 0,
                              "VM '%s' is not accelerated: it gets no VF until 'accelnetctl vm enable %s --performance "
                              "%s'. Checked for performance %s%s.", name, name, tier_to_string(tier),
                              tier_to_string(tier),
                              asked ? "" : ", the least demanding tier (--performance checks another)");

        note_list_add(&l, "domain", "", verdict_result(&v[ADMISSION_STEP_DOMAIN]), 0, "%s It is %s.",
                      v[ADMISSION_STEP_DOMAIN].message, vm->domain->active ? "running" : "not running");
        /* the brief's order: vCPUs, then the NIC */
        if (v[ADMISSION_STEP_VCPUS].r != ADMISSION_SKIPPED)
                note_list_add(&l, "vcpus", "", verdict_result(&v[ADMISSION_STEP_VCPUS]), 0, "%s",
                              v[ADMISSION_STEP_VCPUS].message);
        if (v[ADMISSION_STEP_VIRTIO_NIC].r != ADMISSION_SKIPPED)
                note_list_add(&l, "virtio-nic", "", verdict_result(&v[ADMISSION_STEP_VIRTIO_NIC]), 0, "%s",
                              v[ADMISSION_STEP_VIRTIO_NIC].message);
        row_teaming(vm, &l);
        row_numa(m, vm, tier, &in, &v[ADMISSION_STEP_VF], &res, &l);
        row_capacity(m, vm, tier, v, &l);
        row_vf(vm, &v[ADMISSION_STEP_VF], &l);
        row_health(m, vm, &l);
        row_waiting(vm, &l);

        *ret = l;
        return 0;
}
