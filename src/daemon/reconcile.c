/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reconcile: at start and after libvirt reconnects, the state is checked against the
 * domains' persistent and live XML and the VFs' settings. What can be repaired is (leaked
 * VFs freed, interrupted operations finished or undone, drifted policy re-applied); no VF
 * is ever left with two VMs; every finding goes to the log and to GetPrerequisites. */
#include <stdio.h>

#include "manager.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "virt/virt.h"
#include "vms-internal.h"

#define RECONCILE_DETACH_TIMEOUT_USEC (2ULL * 1000000ULL)

static void drift(Manager *m, const char *vm, const char *vf, const char *fmt, ...) _printf_(4, 5);
static void drift(Manager *m, const char *vm, const char *vf, const char *fmt, ...) {
        char buf[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof buf, fmt, ap);
        va_end(ap);
        log_struct(LOG_WARNING, MESSAGE_ID_DRIFT, NULL, vf, vm, "Reconcile: %s", buf);
        manager_add_note(m, &m->drift, &m->n_drift, "reconcile", vm, PREREQ_WARNING, 0, "%s", buf);
}

/* VF settings listed once per PF for a whole reconcile (one RTM_GETLINK per PF, not per VM). */
typedef struct PfList {
        char ifname[16];
        VfInfo *vfs;
        size_t n;
        int r;
} PfList;

typedef struct Reconcile {
        Manager *m;
        PfList *pfs;
        size_t n_pfs;
} Reconcile;

static const VfInfo *cached_vf(Reconcile *rc, const VfSlot *s) {
        PfList *l = NULL;
        for (size_t i = 0; i < rc->n_pfs && !l; i++)
                if (streq(rc->pfs[i].ifname, s->pf_ifname))
                        l = &rc->pfs[i];
        if (!l) {
                PfList *np = realloc(rc->pfs, sizeof(PfList) * (rc->n_pfs + 1));
                if (!np)
                        return NULL;
                rc->pfs = np;
                l = &rc->pfs[rc->n_pfs++];
                *l = (PfList){};
                snprintf(l->ifname, sizeof l->ifname, "%s", s->pf_ifname);
                l->r = vf_netlink_list(rc->m->nl, s->pf_ifname, &l->vfs, &l->n);
        }
        if (l->r < 0 || s->index >= l->n || l->vfs[s->index].index != s->index)
                return NULL;
        return &l->vfs[s->index];
}

static void reconcile_done(Reconcile *rc) {
        for (size_t i = 0; i < rc->n_pfs; i++)
                free(rc->pfs[i].vfs);
        free(rc->pfs);
}

static bool vf_policy_matches(const VfInfo *i, const VfPolicy *p) {
        return strcasecmp(i->mac, p->mac) == 0 && i->vlan == p->vlan && (i->spoofchk < 0 || i->spoofchk == p->spoofchk) &&
               (i->trust < 0 || i->trust == p->trust);
}

static void reapply(Reconcile *rc, Assignment *a, const VfSlot *s, bool only_if_drifted) {
        Manager *m = rc->m;
        VfPolicy p;
        VfApplyResult res = {};
        vm_policy_for(m, a, s, a->tier, &p);
        const VfInfo *info = only_if_drifted ? cached_vf(rc, s) : NULL;
        if (!only_if_drifted || !info || !vf_policy_matches(info, &p)) {
                (void) vf_policy_apply(m->nl, s->pf_ifname, s->index, &p, &res);
                if (only_if_drifted)
                        drift(m, a->vm, a->vf, "VF %s of VM %s had drifted from its policy (MAC %s, VLAN %u); re-applied.",
                              a->vf, a->vm, a->mac, a->vlan);
        }
}

/* d: the domain's facts, NULL when libvirt does not know the VM. */
static void check_assignment(Reconcile *rc, const char *vm, const VirtDomain *d) {
        Manager *m = rc->m;
        Assignment *a = state_find_vm(m->state, vm);
        const VfSlot *s;
        int r;

        if (!a)
                return;
        s = manager_find_slot(m, a->vf);
        if (!s) {
                drift(m, vm, a->vf, "VF %s of VM %s no longer exists (its PF's VFs changed); the record is dropped.", a->vf, vm);
                state_remove_vm(m->state, vm);
                return;
        }
        if (!d) {
                drift(m, vm, a->vf, "VM %s no longer exists; its VF %s is freed.", vm, a->vf);
                vm_release_local(m, vm, "the domain no longer exists");
                return;
        }
        bool persistent = virt_iface_find_pci(d->ifaces, d->n_ifaces, a->vf) != NULL;
        bool live = d->active && virt_iface_find_pci(d->live_ifaces, d->n_live_ifaces, a->vf) != NULL;

        switch (a->phase) {
        case ASSIGN_PHASE_ASSIGNING:
                if (persistent || live) {
                        reapply(rc, a, s, false);
                        a->phase = ASSIGN_PHASE_ASSIGNED;
                        a->next_start = d->active && !live;
                        drift(m, vm, a->vf, "Enabling VM %s was interrupted after libvirt took VF %s; finished.", vm, a->vf);
                } else {
                        drift(m, vm, a->vf, "Enabling VM %s was interrupted before libvirt took VF %s; undone.", vm, a->vf);
                        vm_release_local(m, vm, "interrupted enable undone");
                }
                return;
        case ASSIGN_PHASE_RELEASING:
                if (persistent || live) {
                        VirtDetachResult dr;
                        r = virt_domain_detach_vf(m->virt, vm, a->vf, RECONCILE_DETACH_TIMEOUT_USEC, &dr);
                        if (r < 0) {
                                drift(m, vm, a->vf, "VM %s still holds VF %s after an interrupted disable (%s); it stays reserved.",
                                      vm, a->vf, virt_last_error());
                                return;
                        }
                }
                drift(m, vm, a->vf, "Disabling VM %s was interrupted; finished.", vm);
                vm_release_local(m, vm, "interrupted disable finished");
                return;
        default:
                if (!persistent && !live) {
                        drift(m, vm, a->vf, "VF %s was removed from VM %s outside accelnet; it is freed.", a->vf, vm);
                        vm_release_local(m, vm, "removed from the domain outside accelnet");
                        return;
                }
                if (d->active && !live != a->next_start)
                        a->next_start = !live;
                reapply(rc, a, s, true);
                return;
        }
}

/* Domains that hold one of our VFs without a record, or a VF recorded for another VM. */
static void check_domain(Reconcile *rc, const char *name, const VirtDomain *d) {
        Manager *m = rc->m;
        for (int pass = 0; pass < 2; pass++) {
                const VirtIface *v = pass ? d->live_ifaces : d->ifaces;
                size_t n = pass ? d->n_live_ifaces : d->n_ifaces;
                for (size_t i = 0; i < n; i++) {
                        if (v[i].type != VIRT_IFACE_HOSTDEV || !v[i].pci || !v[i].alias ||
                            strncmp(v[i].alias, "ua-accelnet-", 12) != 0 || !manager_find_slot(m, v[i].pci))
                                continue;
                        Assignment *owner = state_find_vf(m->state, v[i].pci);
                        if (owner && streq(owner->vm, name))
                                continue;
                        if (owner || state_find_vm(m->state, name)) {
                                VirtDetachResult dr;
                                drift(m, name, v[i].pci, "VM %s holds VF %s, which %s; removed from %s.", name, v[i].pci,
                                      owner ? "belongs to another VM" : "is not its recorded VF", name);
                                (void) virt_domain_detach_vf(m->virt, name, v[i].pci, RECONCILE_DETACH_TIMEOUT_USEC, &dr);
                                continue;
                        }
                        /* No record at all (state lost, or management re-enabled): adopt it. */
                        const VfSlot *s = manager_find_slot(m, v[i].pci);
                        Assignment a = { .vm = (char *) name, .vm_uuid = d->uuid, .tier = TIER_LOW, .vf_index = s->index,
                                         .phase = ASSIGN_PHASE_ASSIGNED, .alias = v[i].alias, .vlan = v[i].vlan,
                                         .next_start = d->active && pass == 0 &&
                                                       !virt_iface_find_pci(d->live_ifaces, d->n_live_ifaces, v[i].pci),
                                         .saved = { .valid = true, .mac = "00:00:00:00:00:00", .spoofchk = true } };
                        snprintf(a.vf, sizeof a.vf, "%s", s->vf);
                        snprintf(a.pf, sizeof a.pf, "%s", s->pf);
                        snprintf(a.mac, sizeof a.mac, "%s", strempty(v[i].mac));
                        if (state_add_vm(m->state, &a)) {
                                drift(m, name, s->vf, "VM %s holds VF %s without a record; adopted as performance Low.", name,
                                      s->vf);
                                reapply(rc, state_find_vm(m->state, name), s, false);
                        }
                }
        }
}

static int cmp_name(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int manager_reconcile(Manager *m) {
        notes_free(m->drift, m->n_drift);
        m->drift = NULL;
        m->n_drift = 0;

        (void) manager_rebuild_vfs(m);
        /* One VF, one VM: a duplicate record (hand-edited state) loses. */
        for (size_t i = 0; i < m->state->n_vms; i++)
                for (size_t k = i + 1; k < m->state->n_vms; k++)
                        if (streq(m->state->vms[i].vf, m->state->vms[k].vf)) {
                                drift(m, m->state->vms[k].vm, m->state->vms[k].vf,
                                      "VF %s was recorded for both %s and %s; %s keeps it.", m->state->vms[k].vf,
                                      m->state->vms[i].vm, m->state->vms[k].vm, m->state->vms[i].vm);
                                state_remove_vm(m->state, m->state->vms[k].vm);
                                k--;
                        }
        if (!m->virt) {
                (void) manager_save_state(m);
                return 0;
        }
        if (!m->state->enabled && m->state->n_vms == 0) {
                (void) manager_save_state(m);
                return 0;
        }
        /* Each domain is read once: its own record first, then foreign or unrecorded VFs. */
        Reconcile rc = { .m = m };
        for (size_t i = 0; i < m->n_domains; i++) {
                _cleanup_(virt_domain_freep) VirtDomain *d = NULL;
                int r = virt_domain_get(m->virt, m->domains[i], &d);
                if (r == -AN_ERROR_NO_SUCH_VM)
                        continue; /* gone since the list: handled below as unknown */
                if (r < 0) {
                        log_warning("Reconcile: cannot read VM %s: %s", m->domains[i], virt_last_error());
                        continue;
                }
                check_assignment(&rc, m->domains[i], d);
                if (m->state->enabled)
                        check_domain(&rc, m->domains[i], d);
        }
        /* Records of VMs libvirt does not list (names first: releasing changes the array). */
        char **names = NULL;
        size_t n = 0;
        for (size_t i = 0; i < m->state->n_vms; i++)
                if (!bsearch(&m->state->vms[i].vm, m->domains, m->n_domains, sizeof(char *), cmp_name))
                        (void) strv_appendf(&names, &n, "%s", m->state->vms[i].vm);
        for (size_t i = 0; i < n; i++) {
                _cleanup_(virt_domain_freep) VirtDomain *d = NULL;
                if (virt_domain_get(m->virt, names[i], &d) == -AN_ERROR_NO_SUCH_VM)
                        check_assignment(&rc, names[i], NULL);
                else if (d)
                        check_assignment(&rc, names[i], d);
        }
        strv_free_n(names, n);
        reconcile_done(&rc);
        (void) manager_save_state(m);
        if (m->n_drift > 0)
                log_notice("Reconcile: %zu finding(s); see GetPrerequisites (check \"reconcile\").", m->n_drift);
        manager_properties_changed(m);
        return 0;
}
