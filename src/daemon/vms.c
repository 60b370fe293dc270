/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VMs: EnableVM, SetVM, DisableVM. Admission and VF choice are decided in
 * policy/admission.c on facts gathered here; the VF reservation and its previous settings
 * are saved in the state before anything changes, then the slow part (netlink, libvirt)
 * runs in a worker thread. */
#include <stdio.h>

#include "manager.h"
#include "operation.h"
#include "policy/admission.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strutil.h"
#include "sriov/numvfs.h"
#include "sriov/vfpolicy.h"
#include "virt/virt.h"
#include "vms-internal.h"

#define DETACH_TIMEOUT_USEC (10ULL * 1000000ULL)

/* ---- bookkeeping ---------------------------------------------------------------------- */

bool vm_is_busy(const Manager *m, const char *vm) {
        for (size_t i = 0; i < m->n_busy_vms; i++)
                if (streq(m->busy_vms[i], vm))
                        return true;
        return false;
}

int vm_busy_add(Manager *m, const char *vm) {
        return strv_appendf(&m->busy_vms, &m->n_busy_vms, "%s", vm);
}

void vm_busy_remove(Manager *m, const char *vm) {
        for (size_t i = 0; i < m->n_busy_vms; i++)
                if (streq(m->busy_vms[i], vm)) {
                        free(m->busy_vms[i]);
                        memmove(&m->busy_vms[i], &m->busy_vms[i + 1], sizeof(char *) * (m->n_busy_vms - i - 1));
                        m->n_busy_vms--;
                        return;
                }
}

void vm_hold_vf(Manager *m, const char *vf, bool hold) {
        for (size_t i = 0; i < m->n_held_vfs; i++)
                if (streq(m->held_vfs[i], vf)) {
                        if (!hold) {
                                free(m->held_vfs[i]);
                                memmove(&m->held_vfs[i], &m->held_vfs[i + 1], sizeof(char *) * (m->n_held_vfs - i - 1));
                                m->n_held_vfs--;
                        }
                        return;
                }
        if (hold)
                (void) strv_appendf(&m->held_vfs, &m->n_held_vfs, "%s", vf);
}

static bool vm_vf_held(const Manager *m, const char *vf) {
        for (size_t i = 0; i < m->n_held_vfs; i++)
                if (streq(m->held_vfs[i], vf))
                        return true;
        return false;
}

static int cmp_slot(const void *a, const void *b) {
        return strcmp(((const VfSlot *) a)->vf, ((const VfSlot *) b)->vf);
}

/* m->vfs is sorted by address (fixed-width hex, so strcmp orders it). */
const VfSlot *manager_find_slot(const Manager *m, const char *vf) {
        VfSlot key = {};
        if (!vf || strlen(vf) >= sizeof key.vf)
                return NULL;
        snprintf(key.vf, sizeof key.vf, "%s", vf);
        return m->n_vfs ? bsearch(&key, m->vfs, m->n_vfs, sizeof(VfSlot), cmp_slot) : NULL;
}

int manager_rebuild_vfs(Manager *m) {
        VfSlot *v = NULL;
        size_t n = 0;

        for (size_t i = 0; m->state->enabled && i < m->state->n_pfs; i++) {
                const ProvisionedPf *p = &m->state->pfs[i];
                const PfFacts *f = NULL;
                for (size_t k = 0; k < m->host->n_adapters; k++)
                        if (streq(m->host->adapters[k].address, p->pf) && m->prereq->verdicts[k] == SRIOV_SUPPORTED)
                                f = &m->host->adapters[k];
                if (!f || p->status != PROVISION_DONE)
                        continue;
                for (unsigned idx = 0; idx < f->sysfs_num_vfs; idx++) {
                        VfSlot s = { .index = idx, .numa_node = f->numa_node,
                                     .link_speed_mbps = f->link_speed_mbps > 0 ? (uint32_t) f->link_speed_mbps : 0 };
                        if (pf_vf_address(m->root, f->address, idx, s.vf) < 0)
                                continue;
                        snprintf(s.pf, sizeof s.pf, "%s", f->address);
                        snprintf(s.pf_ifname, sizeof s.pf_ifname, "%s", strempty(f->ifname));
                        snprintf(s.pf_driver, sizeof s.pf_driver, "%s", strempty(f->driver));
                        VfSlot *nv = realloc(v, sizeof(VfSlot) * (n + 1));
                        if (!nv) {
                                free(v);
                                return -ENOMEM;
                        }
                        v = nv;
                        v[n++] = s;
                }
        }
        if (n > 1)
                qsort(v, n, sizeof(VfSlot), cmp_slot);
        free(m->vfs);
        m->vfs = v;
        m->n_vfs = n;
        return 0;
}

/* ---- facts ---------------------------------------------------------------------------- */

static int vm_numa_node(Manager *m, const VirtDomain *d) {
        uint32_t node;
        if (d->numa_nodeset && parse_u32(d->numa_nodeset, 10, &node) >= 0)
                return (int) node;
        if (d->n_vcpupins > 0) {
                int n = -1;
                for (size_t i = 0; i < d->n_vcpupins; i++) {
                        int k = host_facts_cpuset_node(m->host, d->vcpupins[i].set);
                        if (k < 0 || (n >= 0 && k != n))
                                return -1;
                        n = k;
                }
                return n;
        }
        return host_facts_cpuset_node(m->host, d->vcpu_cpuset);
}

int vm_gather(Manager *m, const char *vm, VmInfo *ret, AnStatus *st) {
        _cleanup_(virt_domain_freep) VirtDomain *d = NULL;
        int r;

        *ret = (VmInfo){ .facts.numa_node = -1 };
        if (!m->virt) {
                an_status_set(st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "libvirt (%s) is not connected; retry when it is.",
                              m->libvirt_uri);
                return st->r;
        }
        r = virt_domain_get(m->virt, vm, &d);
        if (r == -AN_ERROR_NO_SUCH_VM)
                return 0;
        if (r < 0) {
                an_status_set(st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "libvirt: %s", virt_last_error());
                return st->r;
        }
        ret->facts.exists = true;
        ret->facts.vcpus = d->vcpus;
        ret->active = d->active;
        snprintf(ret->uuid, sizeof ret->uuid, "%s", strempty(d->uuid));
        for (size_t i = 0; i < d->n_ifaces; i++) {
                const VirtIface *f = &d->ifaces[i];
                if (f->type == VIRT_IFACE_HOSTDEV || !f->mac || !streq_ptr(f->model, "virtio"))
                        continue;
                ret->facts.has_virtio_nic = true;
                snprintf(ret->mac, sizeof ret->mac, "%s", f->mac);
                ret->vlan = f->vlan;
                break;
        }
        ret->facts.numa_node = vm_numa_node(m, d);
        return 0;
}

static int cmp_str_ptr(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Candidates for the admission: every VF of the intent's PFs, with its load. */
int vm_candidates(Manager *m, VfCandidate **ret_c, unsigned **ret_load) {
        _cleanup_free_ VfCandidate *c = calloc(m->n_vfs ? m->n_vfs : 1, sizeof(VfCandidate));
        _cleanup_free_ unsigned *load = calloc(m->n_vfs ? m->n_vfs : 1, sizeof(unsigned));
        _cleanup_free_ const char **taken = calloc(m->state->n_vms + 1, sizeof(char *));
        if (!c || !load || !taken)
                return -ENOMEM;
        /* Assigned VFs sorted once, so that each of thousands of slots is a lookup. */
        for (size_t k = 0; k < m->state->n_vms; k++)
                taken[k] = m->state->vms[k].vf;
        qsort(taken, m->state->n_vms, sizeof(char *), cmp_str_ptr);
        /* Load per PF, counted once (a host has a few PFs, thousands of VFs). */
        typedef struct PfLoad { const char *pf; unsigned n; } PfLoad;
        _cleanup_free_ PfLoad *loads = calloc(m->state->n_vms + 1, sizeof(PfLoad));
        size_t n_loads = 0;
        if (!loads)
                return -ENOMEM;
        for (size_t k = 0; k < m->state->n_vms; k++) {
                size_t j = 0;
                while (j < n_loads && !streq(loads[j].pf, m->state->vms[k].pf))
                        j++;
                if (j == n_loads)
                        loads[n_loads++] = (PfLoad){ .pf = m->state->vms[k].pf };
                loads[j].n++;
        }
        for (size_t i = 0; i < m->n_vfs; i++) {
                const VfSlot *s = &m->vfs[i];
                const char *key = s->vf;
                bool assigned = m->state->n_vms && bsearch(&key, taken, m->state->n_vms, sizeof(char *), cmp_str_ptr);
                unsigned pf_load = 0;
                for (size_t j = 0; j < n_loads; j++)
                        if (streq(loads[j].pf, s->pf))
                                pf_load = loads[j].n;
                c[i] = (VfCandidate){ .index = s->index, .numa_node = s->numa_node, .free = !assigned && !vm_vf_held(m, s->vf),
                                      /* igb cannot set a minimum rate (EINVAL), as measured */
                                      .min_rate_ok = !streq(s->pf_driver, "igb"), .max_rate_ok = true,
                                      .link_speed_mbps = s->link_speed_mbps };
                snprintf(c[i].vf, sizeof c[i].vf, "%s", s->vf);
                snprintf(c[i].pf, sizeof c[i].pf, "%s", s->pf);
                load[i] = pf_load;
        }
        *ret_c = TAKE_PTR(c);
        *ret_load = TAKE_PTR(load);
        return 0;
}

void vm_policy_for(const Manager *m, const Assignment *a, const VfSlot *s, Tier tier, VfPolicy *ret) {
        const TierSpec *spec = &m->config->settings.tiers.tiers[tier];
        *ret = (VfPolicy){ .vlan = a->vlan, .spoofchk = true, .trust = false };
        snprintf(ret->mac, sizeof ret->mac, "%s", a->mac);
        admission_tier_rates(spec, s ? s->link_speed_mbps : 0, &ret->min_tx_rate, &ret->max_tx_rate);
}

void vm_alias(const char *vf, char *buf, size_t n) {
        PciAddr a;
        if (pci_addr_parse(vf, &a) < 0)
                a = (PciAddr){};
        snprintf(buf, n, "ua-accelnet-vf-%04x-%02x-%02x-%x", a.domain, a.bus, a.dev, a.func);
}

/* Reads the VF's current settings (its restore point) on the loop thread. */
int vm_read_vf(Manager *m, const VfSlot *s, VfSettings *ret) {
        VfInfo info;
        VfPolicy p;
        int r;

        r = vf_netlink_get(m->nl, s->pf_ifname, s->index, &info);
        if (r < 0)
                return r;
        (void) vf_policy_from_info(&info, &p);
        *ret = (VfSettings){ .valid = true, .vlan = p.vlan, .qos = p.qos, .spoofchk = p.spoofchk, .trust = p.trust,
                             .min_tx_rate = p.min_tx_rate, .max_tx_rate = p.max_tx_rate };
        snprintf(ret->mac, sizeof ret->mac, "%s", p.mac);
        return 0;
}

void vf_settings_to_policy(const VfSettings *v, VfPolicy *ret) {
        *ret = (VfPolicy){ .vlan = v->vlan, .qos = v->qos, .spoofchk = v->spoofchk, .trust = v->trust,
                           .min_tx_rate = v->min_tx_rate, .max_tx_rate = v->max_tx_rate };
        snprintf(ret->mac, sizeof ret->mac, "%s", v->mac);
}
