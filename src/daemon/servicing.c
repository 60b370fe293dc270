/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Planned servicing (servicing.h): adapters out of service and VMs whose VF the admin
 * revoked, brought about by the post handler; the callers that wait for it; each VM's time
 * without a VF. The revoke itself is a VM operation (vm-work.c, VM_JOB_REVOKE). */
#include <limits.h>
#include <stdio.h>
#include <time.h>

#include "cluster-node.h"
#include "pf.h"
#include "policy/servicing.h"
#include "policy/waiting.h"
#include "servicing.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/names.h"
#include "shared/strutil.h"
#include "virt/virt.h"
#include "vm-work.h"
#include "vm.h"

#define ADAPTER_ARG_MAX 64

typedef enum JoinKind {
        JOIN_PF_DRAINED, /* DrainAdapter: the PF's revokes can go no further now */
        JOIN_VM_REVOKED, /* RevokeVM: the VM holds no VF (or its guest still does) */
        JOIN_VMS_SERVED, /* RestoreAdapter, RestoreVM: the VMs given a VF have it, or wait */
} JoinKind;

typedef struct Join Join;
struct Join {
        JoinKind kind;
        char *name;      /* the PF's address (JOIN_PF_DRAINED) or the VM (JOIN_VM_REVOKED) */
        char **vms;      /* JOIN_VMS_SERVED */
        size_t n_vms;
        bool report_vm;  /* JOIN_VMS_SERVED of RestoreVM: a VM that could not get its VF fails it */
        Completion c;
        Join *next;
};

struct Servicing {
        Join *joins;
};

static uint64_t now_s(void) {
        time_t t = time(NULL);
        if (t <= 0)
                return 1;
        return (uint64_t) t > WAITING_SINCE_MAX ? WAITING_SINCE_MAX : (uint64_t) t;
}

static void tell(Manager *m, const char *vm, const char *state) {
        if (m->notify.vm_changed)
                m->notify.vm_changed(m->notify.userdata, vm, state);
}

static const char *pf_name(const Pf *pf) {
        return pf->ifname ? pf->ifname : pf->address;
}

/* ---- joins -------------------------------------------------------------------------------- */

static void join_free(Join *j) {
        free(j->name);
        strv_free_n(j->vms, j->n_vms);
        free(j);
}

Servicing *servicing_new(void) {
        return calloc(1, sizeof(Servicing));
}

Servicing *servicing_free(Servicing *s) {
        if (!s)
                return NULL;
        while (s->joins) {
                Join *j = s->joins;
                s->joins = j->next;
                completion_fail(&j->c, -ESHUTDOWN, "accelnetd is shutting down; what was asked stays in force and "
                                                   "is finished at its next start.");
                join_free(j);
        }
        free(s);
        return NULL;
}

static Join *join_add(Manager *m, JoinKind kind, const char *name, Completion c) {
        Join *j = calloc(1, sizeof *j);
        if (!j || (name && !(j->name = strdup(name)))) {
                free(j);
                completion_fail(&c, -ENOMEM, "Out of memory.");
                return NULL;
        }
        j->kind = kind;
        j->c = c;
        Join **pp = &m->servicing->joins;
        while (*pp)
                pp = &(*pp)->next;
        *pp = j;
        /* answered after the next save, which the change that comes with it asks for */
        manager_dirty(m, DIRTY_STATE);
        return j;
}

/* ---- adapters out of service ------------------------------------------------------------- */

bool pf_in_service(const Pf *pf) {
        return pf->revoked == 0;
}

/* The records on the PF (a claim for an incoming migration is revoked once it arrives), of
 * which *ret_stuck cannot go further now (its guest holds the VF, or revoking it failed). */
static unsigned pf_records(Manager *m, const Pf *pf, unsigned *ret_stuck, StrBuf *why) {
        unsigned n = 0, stuck = 0;
        Vm **vms = NULL;
        size_t k = 0;

        if (manager_sorted_vms(m, &vms, &k) < 0)
                k = 0;
        for (size_t i = 0; i < k; i++) {
                const Vm *vm = vms[i];
                if (!vm->has_record || vm->record.phase == ASSIGN_PHASE_INCOMING || !streq(vm->record.pf, pf->address))
                        continue;
                n++;
                /* a DisableVM whose guest has not let go yet is as far as it gets for now, too */
                bool releasing = vm->record.phase == ASSIGN_PHASE_RELEASING;
                if (vm->operation || !(vm->revoke_pending || vm->revoke_failed || releasing))
                        continue;
                stuck++;
                if (why)
                        strbuf_appendf(why, "%sVF %s of VM %s (%s)", why->len ? "; " : "", vm->record.vf, vm->name,
                                       vm->revoke_pending ? "out of its persistent config, but the running guest "
                                                            "still holds it: freed when it lets go or stops"
                                       : releasing        ? "being released: the guest has not let go of it yet"
                                                          : "revoking it failed; tried again at the next refresh");
        }
        if (ret_stuck)
                *ret_stuck = stuck;
        return n;
}

static const char *why_text(PfRevokeWhy w) {
        return w == PF_REVOKE_ADMIN_DRAIN ? "drained by the admin" : "Failed (health)";
}

void manager_pf_revoke(Manager *m, Pf *pf, PfRevokeWhy why, const char *reason) {
        unsigned bit = 1u << why;

        if (why < 0 || why >= _PF_REVOKE_WHY_MAX)
                return;
        if (reason && !streq_ptr(pf->revoke_reason[why], reason)) {
                char *r = strdup(reason);
                if (r)
                        free_and_replace(pf->revoke_reason[why], r);
        }
        if (pf->revoked & bit)
                return;
        bool was_in = pf_in_service(pf);
        pf->revoked |= bit;
        pf->revoked_since[why] = now_s();
        if (was_in) {
                pf->draining = true;
                pf->drain_total = pf_records(m, pf, NULL, NULL);
                pf->drain_done = UINT_MAX; /* told at the next report: 0 of total */
        }
        log_struct(LOG_NOTICE, MESSAGE_ID_ADAPTER_OUT_OF_SERVICE, pf->address, NULL, NULL,
                   "Adapter %s (%s) is out of service: %s%s%s. None of its VFs is handed out; its %u assigned VFs "
                   "are revoked (the VMs keep their traffic on virtio and get a VF of another adapter of the "
                   "intent when one is free).", pf_name(pf), pf->address, why_text(why),
                   pf->revoke_reason[why] ? ": " : "", strempty(pf->revoke_reason[why]), pf->drain_total);
        manager_dirty(m, DIRTY_STATE | DIRTY_PROPERTIES | DIRTY_SERVICING);
}

static void complete_pf_joins(Manager *m, const Pf *pf, const AnStatus *st) {
        for (Join **pp = &m->servicing->joins; *pp;) {
                Join *j = *pp;
                if (j->kind != JOIN_PF_DRAINED || !streq(j->name, pf->address)) {
                        pp = &j->next;
                        continue;
                }
                *pp = j->next;
                completion_done(&j->c, st);
                join_free(j);
        }
}

void manager_pf_unrevoke(Manager *m, Pf *pf, PfRevokeWhy why) {
        unsigned bit = 1u << why;

        if (why < 0 || why >= _PF_REVOKE_WHY_MAX || !(pf->revoked & bit))
                return;
        pf->revoked &= ~bit;
        pf->revoked_since[why] = 0;
        pf->revoke_reason[why] = mfree(pf->revoke_reason[why]);
        if (pf_in_service(pf)) {
                if (pf->draining) {
                        AnStatus st;
                        an_status_set(&st, -AN_ERROR_BUSY,
                                      "Adapter %s was put back in service before its drain finished (%u of %u VFs "
                                      "revoked).", pf_name(pf), pf->drain_done == UINT_MAX ? 0 : pf->drain_done,
                                      pf->drain_total);
                        complete_pf_joins(m, pf, &st);
                }
                pf->draining = false;
                log_struct(LOG_NOTICE, MESSAGE_ID_ADAPTER_IN_SERVICE, pf->address, NULL, NULL,
                           "Adapter %s (%s) is back in service (%s ended): its VFs are handed out again.", pf_name(pf),
                           pf->address, why_text(why));
        } else
                log_struct(LOG_NOTICE, NULL, pf->address, NULL, NULL,
                           "Adapter %s (%s): %s ended, but it stays out of service (%s).", pf_name(pf), pf->address,
                           why_text(why), why_text(pf->revoked & (1u << PF_REVOKE_ADMIN_DRAIN) ? PF_REVOKE_ADMIN_DRAIN
                                                                                              : PF_REVOKE_HEALTH_FAILED));
        manager_dirty(m, DIRTY_STATE | DIRTY_PROPERTIES | DIRTY_HANDOUT | DIRTY_SERVICING);
}

void manager_pf_drain_wait(Manager *m, Pf *pf, Completion c) {
        (void) join_add(m, JOIN_PF_DRAINED, pf->address, c);
}

/* ---- the post handler's steps ------------------------------------------------------------- */

/* Accelerated, known to libvirt here, running here or defined here, and holding no VF (or one
 * that is being revoked). */
static bool without_vf(Manager *m, const Vm *vm) {
        if (!vm->accel || vm->moved_away)
                return false;
        if (vm->has_record)
                return vm->record.phase == ASSIGN_PHASE_REVOKING;
        return vm->domain->active || !cluster_node_vf_elsewhere(m->cluster, vm->name);
}

static void track(Manager *m, Vm *vm, uint64_t now) {
        if (!vm->accel && !vm->has_record) {
                /* no longer accelerated (DisableVM): nothing to revoke, no time to count */
                if (vm->revoked_since || vm->without_since || vm->without_total) {
                        vm->revoked_since = vm->without_since = vm->without_total = 0;
                        manager_dirty(m, DIRTY_STATE);
                }
                return;
        }
        bool without = without_vf(m, vm);
        if (without && !vm->without_since) {
                vm->without_since = now;
                manager_dirty(m, DIRTY_STATE);
        } else if (!without && vm->without_since) {
                vm->without_total = servicing_without_total(vm->without_since, vm->without_total, now);
                vm->without_since = 0;
                manager_dirty(m, DIRTY_STATE);
        }
}

/* A record servicing must take away: of a VM the admin revoked, on an adapter out of service,
 * or whose revoke began (it ends, whatever changed since). A change under way (an enable
 * interrupted, a disable) is reconcile's. */
bool servicing_owns_record(const Manager *m, const Vm *vm) {
        AssignPhase p = vm->record.phase;
        if (p == ASSIGN_PHASE_REVOKING)
                return true;
        if (p != ASSIGN_PHASE_ASSIGNED && p != ASSIGN_PHASE_ASSIGNING)
                return false;
        if (vm->revoked_since)
                return true;
        const Pf *pf = manager_find_pf(m, vm->record.pf);
        return pf && !pf_in_service(pf);
}

static void settle(Manager *m, Vm *vm) {
        const VirtDomain *d = vm->domain;
        bool in_config = virt_iface_find_pci(d->ifaces, d->n_ifaces, vm->record.vf) != NULL;
        bool live = d->active && virt_iface_find_pci(d->live_ifaces, d->n_live_ifaces, vm->record.vf) != NULL;

        if (!in_config && !live) {
                /* Out of the domain (the unplug was acknowledged, the VM stopped, a revoke cut
                 * short): the VF's own settings back, the record goes, the setting stays. */
                vm->revoke_pending = false;
                vm_set_note(vm, NULL);
                vm_release(vm, vm->revoked_since ? "revoked by the admin" : "its adapter is out of service");
                tell(m, vm->name, ACCELNET_VM_STATE_REVOKED);
                return;
        }
        if (vm->revoke_pending || vm->revoke_failed)
                return; /* the guest, or the next refresh */
        vm_start_job(vm, VM_JOB_REVOKE, NULL, _TIER_INVALID, COMPLETION_NONE);
}

void manager_servicing_step(Manager *m) {
        Vm **sorted = NULL;
        size_t n = 0;

        if (!m->enabled || !m->domains_known || manager_sorted_vms(m, &sorted, &n) < 0 || n == 0)
                return;
        /* a copy: a release may change the table's order cache */
        _cleanup_free_ Vm **v = malloc(n * sizeof(Vm *));
        if (!v)
                return (void) log_oom();
        memcpy(v, sorted, n * sizeof(Vm *));
        uint64_t now = now_s();
        bool libvirt = manager_virt_ready(m, &(AnStatus){});
        for (size_t i = 0; i < n; i++) {
                Vm *vm = v[i];
                if (!vm->domain)
                        continue; /* not (yet) known, or gone: reconcile's */
                track(m, vm, now);
                if (vm->operation || !vm->has_record || !libvirt || !servicing_owns_record(m, vm))
                        continue;
                settle(m, vm);
        }
}

void vm_revoke_done(Vm *vm, const AnStatus *st, bool pending, bool link_down, const char *note) {
        Manager *m = vm->manager;
        const char *why = vm->revoked_since ? "revoked by the admin" : "its adapter is out of service";

        if (st->r < 0) {
                /* Its record stays "revoking": tried again at the next refresh (not at once: the
                 * same failure again and again). */
                vm->revoke_failed = true;
                vm_set_note(vm, "revoking its VF failed (%s); tried again at the next refresh", st->message);
                log_struct(LOG_WARNING, NULL, vm->record.pf, vm->record.vf, vm->name,
                           "Revoking VF %s of VM %s (%s) failed: %s", vm->record.vf, vm->name, why, st->message);
                return;
        }
        if (pending) {
                vm->revoke_pending = true;
                vm_set_note(vm, "VF revoked: out of its persistent config, but the running guest still holds it "
                                "until it lets go or stops (%s)", strempty(note));
                log_struct(LOG_WARNING, NULL, vm->record.pf, vm->record.vf, vm->name,
                           "VF %s of VM %s (%s) is out of its persistent config, but the running guest still holds it "
                           "(%s); it stays reserved until the guest lets go or stops.", vm->record.vf, vm->name, why,
                           strempty(note));
                AnStatus ignore;
                if (manager_virt_ready(m, &ignore))
                        (void) vm_refresh(vm, &ignore); /* what libvirt holds now, both definitions */
                return;
        }
        log_struct(LOG_NOTICE, MESSAGE_ID_VF_REVOKED, vm->record.pf, vm->record.vf, vm->name,
                   "VF %s revoked from VM %s (%s): %s, it was unplugged and taken out of the persistent config, and "
                   "its own settings were restored; the VM keeps its traffic on virtio and its setting (performance "
                   "%s).", vm->record.vf, vm->name, why,
                   link_down ? "its link went down first" : "(no VF link control on this driver)",
                   tier_to_string(vm->accel_tier));
        vm->revoke_pending = false;
        vm_set_note(vm, NULL);
        /* The settings were restored by the worker: the record goes, the setting stays. */
        vm_snapshot_restore(vm, &(VmSnapshot){ .accel = vm->accel, .accel_tier = vm->accel_tier });
        tell(m, vm->name, ACCELNET_VM_STATE_REVOKED);
        manager_dirty(m, DIRTY_SERVICING);
}

static void report_pf(Manager *m, Pf *pf) {
        StrBuf why = {};
        unsigned stuck = 0;
        unsigned left = pf_records(m, pf, &stuck, &why);

        if (left > pf->drain_total)
                pf->drain_total = left; /* a VF that reached it meanwhile (adopted, arriving) */
        unsigned done = pf->drain_total - left;
        if (done != pf->drain_done) {
                pf->drain_done = done;
                if (m->notify.drain_progress)
                        m->notify.drain_progress(m->notify.userdata, pf->address, done, pf->drain_total);
        }
        if (left == 0) {
                pf->draining = false;
                log_struct(LOG_NOTICE, NULL, pf->address, NULL, NULL,
                           "Adapter %s (%s) is drained: its %u VFs were revoked.", pf_name(pf), pf->address,
                           pf->drain_total);
                complete_pf_joins(m, pf, &AN_STATUS_OK);
        } else if (stuck == left) {
                AnStatus st;
                an_status_set(&st, -AN_ERROR_BUSY,
                              "Adapter %s is out of service and %u of its %u VFs are revoked; not yet: %s. It hands "
                              "out no VF meanwhile.", pf_name(pf), done, pf->drain_total, strempty(why.s));
                complete_pf_joins(m, pf, &st);
        }
        strbuf_done(&why);
}

/* A join's answer now, or false while it must wait. */
static bool join_ready(Manager *m, Join *j, AnStatus *st) {
        *st = AN_STATUS_OK;
        switch (j->kind) {
        case JOIN_PF_DRAINED: {
                Pf *pf = manager_find_pf(m, j->name);
                if (!pf || pf_in_service(pf)) {
                        an_status_set(st, -AN_ERROR_BUSY, "Adapter %s was put back in service before its drain "
                                      "finished.", j->name);
                        return true;
                }
                if (!m->enabled) {
                        an_status_set(st, -AN_ERROR_NOT_ENABLED, "Management was disabled before the drain of %s "
                                      "finished; it goes on once management is enabled again.", pf_name(pf));
                        return true;
                }
                return false; /* report_pf answers */
        }
        case JOIN_VM_REVOKED: {
                Vm *vm = manager_get_vm(m, j->name);
                if (!vm || !vm->domain) {
                        an_status_set(st, -AN_ERROR_NO_SUCH_VM, "VM %s no longer exists.", j->name);
                        return true;
                }
                if (vm->operation)
                        return false;
                if (!vm->has_record || !vm->revoked_since)
                        return true; /* revoked (or restored meanwhile) */
                if (vm->record.phase == ASSIGN_PHASE_INCOMING)
                        an_status_set(st, -AN_ERROR_BUSY, "VM %s is revoked; it has VF %s claimed for an incoming "
                                      "migration, which is revoked when the VM arrives.", vm->name, vm->record.vf);
                else if (vm->revoke_pending)
                        an_status_set(st, -AN_ERROR_BUSY, "VM %s is revoked: VF %s is out of its persistent config, "
                                      "but the running guest still holds it; it is freed when the guest lets go or "
                                      "stops.", vm->name, vm->record.vf);
                else if (vm->revoke_failed)
                        an_status_set(st, -AN_ERROR_BUSY, "VM %s is revoked, but %s", vm->name, strempty(vm->note));
                else if (!m->enabled)
                        an_status_set(st, -AN_ERROR_NOT_ENABLED, "Management was disabled before the VF of VM %s "
                                      "was revoked.", vm->name);
                else
                        return !manager_virt_ready(m, st);
                return true;
        }
        case JOIN_VMS_SERVED:
                for (size_t i = 0; i < j->n_vms; i++) {
                        Vm *vm = manager_get_vm(m, j->vms[i]);
                        if (vm && vm->operation)
                                return false;
                }
                if (j->report_vm && j->n_vms == 1) {
                        Vm *vm = manager_get_vm(m, j->vms[0]);
                        if (vm && !vm->has_record && vm->handout_failed)
                                an_status_set(st, -AN_ERROR_ENABLE_ACCELNET_FAILED, "VM %s is restored, but %s",
                                              vm->name, strempty(vm->waiting_reason));
                }
                return true;
        }
        return true;
}

void manager_servicing_report(Manager *m) {
        for (size_t i = 0; i < m->n_pfs; i++)
                if (m->pfs[i]->draining && m->enabled && m->domains_known)
                        report_pf(m, m->pfs[i]);
        for (Join **pp = &m->servicing->joins; *pp;) {
                Join *j = *pp;
                AnStatus st;
                if (!join_ready(m, j, &st)) {
                        pp = &j->next;
                        continue;
                }
                *pp = j->next;
                completion_done(&j->c, &st);
                join_free(j);
        }
}

void manager_servicing_refresh(Manager *m) {
        Vm *vm;
        bool any = false;
        HASHMAP_FOREACH(vm, m->vms)
                if (vm->revoke_failed) {
                        vm->revoke_failed = false;
                        any = true;
                }
        if (any)
                manager_dirty(m, DIRTY_SERVICING);
}

/* ---- the methods -------------------------------------------------------------------------- */

int manager_check_adapter_arg(const char *pf, AnStatus *st) {
        bool ok = !isempty(pf) && strlen(pf) <= ADAPTER_ARG_MAX;
        for (const char *p = pf; ok && *p; p++)
                ok = *p > ' ' && *p < 0x7f && *p != '/';
        if (!ok)
                return an_status_set(st, -AN_ERROR_INVALID_ARGS,
                                     "Invalid adapter '%.64s'%s: a netdev name (ens1f0) or a PCI address (0000:3b:00.0).",
                                     strempty(pf), pf && strlen(pf) > 64 ? " (truncated)" : "");
        return 0;
}

/* The adapter a method names: by netdev name or PCI address (any spelling). */
static Pf *adapter_find(const Manager *m, const char *name) {
        Pf *pf = manager_find_pf(m, name);
        PciAddr a;
        char canon[PCI_ADDR_STRLEN];
        if (!pf && pci_addr_parse(name, &a) >= 0) {
                pci_addr_format(&a, canon);
                pf = manager_find_pf(m, canon);
        }
        return pf && (pf->present || pf->planned || pf->revoked) ? pf : NULL;
}

static char *intent_adapters(const Manager *m) {
        StrBuf b = {};
        for (size_t i = 0; i < m->n_pfs; i++)
                if (m->pfs[i]->planned)
                        strbuf_appendf(&b, "%s%s", b.len ? ", " : "", pf_name(m->pfs[i]));
        return b.s ? strbuf_steal(&b) : strdup("none");
}

static Pf *adapter_begin(Manager *m, const char *name, bool restoring, AnStatus *st) {
        if (manager_check_writable(m, st) < 0)
                return NULL;
        if (!m->enabled) {
                an_status_set(st, -AN_ERROR_NOT_ENABLED, "%s %s", an_error_message(AN_ERROR_NOT_ENABLED),
                              an_error_remedy(AN_ERROR_NOT_ENABLED));
                return NULL;
        }
        Pf *pf = adapter_find(m, name);
        if (!pf) {
                an_status_set(st, -AN_ERROR_ADAPTER_NOT_FOUND, "No adapter '%s' on this host ('accelnetctl adapters' "
                              "lists them, by PCI address and netdev name).", name);
                return NULL;
        }
        if (!pf->planned && !(restoring && pf->revoked)) {
                _cleanup_free_ char *list = intent_adapters(m);
                an_status_set(st, -AN_ERROR_INVALID_ARGS, "Adapter %s (%s) is not an adapter of intent '%s' (%s): "
                              "accelnet hands out none of its VFs, so it has none to %s.", pf_name(pf), pf->address,
                              strempty(m->intent), strempty(list), restoring ? "give back" : "revoke");
                return NULL;
        }
        if (!manager_virt_ready(m, st))
                return NULL;
        if (pf->operation) {
                an_status_set(st, -AN_ERROR_BUSY, "The VFs of adapter %s are being provisioned; retry when that is "
                              "done.", pf_name(pf));
                return NULL;
        }
        return pf;
}

bool manager_drain_adapter_is_noop(Manager *m, const char *name) {
        Pf *pf = m->enabled && m->save_error >= 0 ? adapter_find(m, name) : NULL;
        return pf && pf->planned && (pf->revoked & (1u << PF_REVOKE_ADMIN_DRAIN)) && !pf->draining &&
               pf_records(m, pf, NULL, NULL) == 0;
}

void manager_drain_adapter(Manager *m, const char *name, Completion c) {
        AnStatus st = AN_STATUS_OK;
        Pf *pf = adapter_begin(m, name, false, &st);
        if (!pf)
                return completion_done(&c, &st);
        manager_pf_revoke(m, pf, PF_REVOKE_ADMIN_DRAIN, NULL);
        if (!pf->draining)
                pf->draining = true; /* drained before: a new look at what is left */
        manager_pf_drain_wait(m, pf, c);
}

bool manager_restore_adapter_is_noop(Manager *m, const char *name) {
        Pf *pf = m->enabled && m->save_error >= 0 ? adapter_find(m, name) : NULL;
        return pf && pf->planned && !(pf->revoked & (1u << PF_REVOKE_ADMIN_DRAIN));
}

/* Answers `c` once the VMs that the hand-out which just ran started giving a VF to have it
 * (every such VM, or only `only_vm`), after the next save. */
static void join_served(Manager *m, const char *only_vm, Completion c) {
        Join *j = join_add(m, JOIN_VMS_SERVED, NULL, c);
        Vm **vms = NULL;
        size_t n = 0;
        if (!j)
                return;
        if (only_vm) {
                j->report_vm = true;
                (void) strv_appendf(&j->vms, &j->n_vms, "%s", only_vm);
                return;
        }
        if (manager_sorted_vms(m, &vms, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++)
                if (vms[i]->operation)
                        (void) strv_appendf(&j->vms, &j->n_vms, "%s", vms[i]->name);
}

void manager_restore_adapter(Manager *m, const char *name, Completion c) {
        AnStatus st = AN_STATUS_OK;
        Pf *pf = adapter_begin(m, name, true, &st);
        if (!pf)
                return completion_done(&c, &st);
        manager_pf_unrevoke(m, pf, PF_REVOKE_ADMIN_DRAIN);
        /* The VMs that wait (those its drain revoked among them) get VFs now, by the usual
         * order and choice; the caller hears when they have them. (Still out of service for its
         * health: nothing of it is handed out.) */
        if (pf_in_service(pf))
                manager_hand_out(m);
        join_served(m, NULL, c);
}

bool vm_revoke_is_noop(Manager *m, const char *name) {
        Vm *vm = m->enabled && m->save_error >= 0 ? manager_get_vm(m, name) : NULL;
        return vm && vm->domain && vm->revoked_since && !vm->has_record && !vm->operation;
}

void vm_revoke(Manager *m, const char *name, Completion c) {
        AnStatus st = AN_STATUS_OK;
        if (vm_forward(m, "RevokeVM", name, "", &c))
                return;
        Vm *vm = vm_method_begin(m, name, true, &st);
        if (!vm)
                return completion_done(&c, &st);
        if (!vm_accelerated(vm))
                return completion_fail(&c, -AN_ERROR_INVALID_ARGS,
                                       "VM '%s' is not accelerated: it has no VF to revoke (EnableVM, 'accelnetctl vm "
                                       "enable %s', makes it so).", name, name);
        if (!vm->revoked_since) {
                vm->revoked_since = now_s();
                vm_stop_waiting(vm);
                log_struct(LOG_NOTICE, MESSAGE_ID_VM_REVOKED, vm->has_record ? vm->record.pf : NULL,
                           vm->has_record ? vm->record.vf : NULL, vm->name,
                           "VM %s: its VF is revoked by the admin%s%s; it keeps its setting (performance %s) and gets "
                           "no VF until RestoreVM.", vm->name, vm->has_record ? ", " : "",
                           vm->has_record ? vm->record.vf : "", tier_to_string(vm->accel_tier));
                if (!vm->has_record)
                        tell(m, vm->name, ACCELNET_VM_STATE_REVOKED);
                manager_dirty(m, DIRTY_STATE | DIRTY_PROPERTIES | DIRTY_SERVICING);
        }
        (void) join_add(m, JOIN_VM_REVOKED, vm->name, c);
}

bool vm_unrevoke_is_noop(Manager *m, const char *name) {
        Vm *vm = m->enabled && m->save_error >= 0 ? manager_get_vm(m, name) : NULL;
        return vm && vm->domain && !vm->revoked_since && !vm->operation;
}

void vm_unrevoke(Manager *m, const char *name, Completion c) {
        AnStatus st = AN_STATUS_OK;
        if (vm_forward(m, "RestoreVM", name, "", &c))
                return;
        Vm *vm = vm_method_begin(m, name, true, &st);
        if (!vm)
                return completion_done(&c, &st);
        if (!vm->revoked_since)
                return completion_done(&c, &st);
        log_struct(LOG_NOTICE, MESSAGE_ID_VM_RESTORED, NULL, NULL, vm->name,
                   "VM %s: the admin restored it; it gets a VF by the usual rules (or waits for one).", vm->name);
        vm->revoked_since = 0;
        vm->handout_failed = false;
        vm_set_note(vm, NULL);
        manager_dirty(m, DIRTY_STATE | DIRTY_PROPERTIES | DIRTY_SERVICING | DIRTY_HANDOUT);
        manager_hand_out(m);
        join_served(m, vm->name, c);
}

/* ---- what the admin sees ------------------------------------------------------------------ */

static void describe(const Manager *m, const Pf *pf, StrBuf *b) {
        bool first = true;
        for (int w = 0; w < _PF_REVOKE_WHY_MAX; w++) {
                if (!(pf->revoked & (1u << w)))
                        continue;
                char when[32] = "?";
                time_t t = (time_t) pf->revoked_since[w];
                struct tm tm;
                if (gmtime_r(&t, &tm))
                        (void) strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
                strbuf_appendf(b, "%s%s since %s UTC%s%s", first ? "" : "; ", why_text((PfRevokeWhy) w), when,
                               pf->revoke_reason[w] ? ": " : "", strempty(pf->revoke_reason[w]));
                first = false;
        }
}

void manager_servicing_foreach_note(Manager *m, NoteVisitor f, void *userdata) {
        for (size_t i = 0; i < m->n_pfs; i++) {
                const Pf *pf = m->pfs[i];
                if (pf_in_service(pf))
                        continue;
                StrBuf b = {};
                strbuf_appendf(&b, "%s is out of service: ", pf_name(pf));
                describe(m, pf, &b);
                strbuf_appendf(&b, ". None of its VFs is handed out");
                if (pf->draining)
                        strbuf_appendf(&b, "; %u of its %u VFs revoked so far",
                                       pf->drain_done == UINT_MAX ? 0 : pf->drain_done, pf->drain_total);
                else
                        strbuf_appendf(&b, "; every VF it had is revoked");
                if (pf->revoked & (1u << PF_REVOKE_ADMIN_DRAIN))
                        strbuf_appendf(&b, ". RestoreAdapter ('accelnetctl adapter restore %s') puts it back in "
                                           "service.", pf_name(pf));
                else
                        strbuf_appendf(&b, ".");
                if (b.s) {
                        Note n = { .check = (char *) "servicing", .subject = (char *) pf->address, .detail = b.s,
                                   .result = PREREQ_WARNING };
                        f(&n, userdata);
                }
                strbuf_done(&b);
        }
}

void manager_servicing_out_of_service(const Manager *m, char *buf, size_t size) {
        StrBuf b = {};
        for (size_t i = 0; i < m->n_pfs; i++) {
                const Pf *pf = m->pfs[i];
                if (!pf->planned || pf_in_service(pf))
                        continue;
                strbuf_appendf(&b, "%s%s (%s)", b.len ? ", " : "", pf_name(pf),
                               why_text(pf->revoked & (1u << PF_REVOKE_ADMIN_DRAIN) ? PF_REVOKE_ADMIN_DRAIN
                                                                                   : PF_REVOKE_HEALTH_FAILED));
        }
        snprintf(buf, size, "%s%s", b.s ? "; out of service: " : "", strempty(b.s));
        strbuf_done(&b);
}

/* ---- state.json --------------------------------------------------------------------------- */

int manager_servicing_state(Manager *m, Vm **sorted, size_t n, State *s) {
        s->drained = calloc(m->n_pfs + 1, sizeof(StateDrained));
        s->services = calloc(n + 1, sizeof(StateVmService));
        if (!s->drained || !s->services) {
                s->drained = mfree(s->drained);
                s->services = mfree(s->services);
                return -ENOMEM;
        }
        s->n_drained = s->n_services = 0;
        /* sorted by address, so that the same drains give the same bytes */
        for (size_t i = 0; i < m->n_pfs; i++) {
                const Pf *pf = m->pfs[i];
                if (!(pf->revoked & (1u << PF_REVOKE_ADMIN_DRAIN)))
                        continue;
                size_t k = s->n_drained++;
                while (k > 0 && strcmp(s->drained[k - 1].pf, pf->address) > 0) {
                        s->drained[k] = s->drained[k - 1];
                        k--;
                }
                s->drained[k] = (StateDrained){ .since = pf->revoked_since[PF_REVOKE_ADMIN_DRAIN] };
                snprintf(s->drained[k].pf, sizeof s->drained[k].pf, "%s", pf->address);
        }
        for (size_t i = 0; i < n; i++) {
                const Vm *vm = sorted[i];
                if (vm->revoked_since || vm->without_since || vm->without_total)
                        s->services[s->n_services++] = (StateVmService){ .vm = vm->name, /* borrowed */
                                                                         .revoked_since = vm->revoked_since,
                                                                         .without_since = vm->without_since,
                                                                         .without_total = vm->without_total };
        }
        return 0;
}

int manager_servicing_load(Manager *m, const State *s) {
        for (size_t i = 0; i < s->n_drained; i++) {
                Pf *pf = manager_get_pf(m, s->drained[i].pf);
                if (!pf)
                        return log_oom();
                pf->revoked |= 1u << PF_REVOKE_ADMIN_DRAIN;
                pf->revoked_since[PF_REVOKE_ADMIN_DRAIN] = s->drained[i].since;
                /* what is left of its drain is finished once libvirt is read */
                pf->draining = true;
                pf->drain_done = UINT_MAX;
        }
        for (size_t i = 0; i < s->n_services; i++) {
                Vm *vm = manager_get_vm(m, s->services[i].vm);
                if (!vm && !(vm = manager_add_vm(m, s->services[i].vm)))
                        return log_oom();
                vm->revoked_since = s->services[i].revoked_since;
                vm->without_since = s->services[i].without_since;
                vm->without_total = s->services[i].without_total;
        }
        return 0;
}
