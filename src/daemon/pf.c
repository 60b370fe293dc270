/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Adapters: their facts, their place in the plan, their VFs (slots) and provisioning. */
#include <stdatomic.h>
#include <stdio.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "operation.h"
#include "pf-health.h"
#include "pf.h"
#include "plan.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strutil.h"
#include "sriov/numvfs.h"
#include "vm.h"

struct PfWaiter {
        PfWaitFn fn;
        void *userdata;
        PfWaiter *next;
};

Pf *pf_new(Manager *m, const char *address) {
        Pf *pf = calloc(1, sizeof *pf);
        if (!pf)
                return NULL;
        pf->manager = m;
        pf->numa_node = -1;
        pf->verdict = SRIOV_UNKNOWN;
        pf->status = PROVISION_DONE;
        snprintf(pf->address, sizeof pf->address, "%s", address);
        return pf;
}

static void slots_free(Pf *pf) {
        for (size_t i = 0; i < pf->n_slots; i++) {
                if (pf->slots[i].owner && pf->slots[i].owner->slot == &pf->slots[i])
                        pf->slots[i].owner->slot = NULL;
                free(pf->slots[i].stray);
        }
        pf->slots = mfree(pf->slots);
        pf->n_slots = 0;
}

Pf *pf_free(Pf *pf) {
        if (!pf)
                return NULL;
        while (pf->waiters) {
                PfWaiter *w = pf->waiters;
                pf->waiters = w->next;
                w->fn(w->userdata, NULL);
                free(w);
        }
        slots_free(pf);
        for (int w = 0; w < _PF_REVOKE_WHY_MAX; w++)
                free(pf->revoke_reason[w]);
        pf_health_done(&pf->health);
        free(pf->ifname);
        free(pf->driver);
        free(pf->error);
        free(pf);
        return NULL;
}

Pf *manager_find_pf(const Manager *m, const char *name) {
        for (size_t i = 0; name && i < m->n_pfs; i++)
                if (streq(m->pfs[i]->address, name) || streq_ptr(m->pfs[i]->ifname, name))
                        return m->pfs[i];
        return NULL;
}

Pf *manager_get_pf(Manager *m, const char *address) {
        for (size_t i = 0; i < m->n_pfs; i++)
                if (streq(m->pfs[i]->address, address))
                        return m->pfs[i];
        Pf **v = realloc(m->pfs, sizeof(Pf *) * (m->n_pfs + 1));
        if (!v)
                return NULL;
        m->pfs = v;
        Pf *pf = pf_new(m, address);
        if (!pf)
                return NULL;
        m->pfs[m->n_pfs++] = pf;
        return pf;
}

static int set_str(char **p, const char *v) {
        if (streq_ptr(*p, v))
                return 0;
        char *n = v ? strdup(v) : NULL;
        if (v && !n)
                return -ENOMEM;
        free(*p);
        *p = n;
        return 0;
}

int pf_update(Pf *pf, const PfFacts *f, SriovSupport verdict) {
        Manager *m = pf->manager;
        pf->present = f != NULL;
        pf->verdict = f ? verdict : SRIOV_UNKNOWN;
        if (f) {
                if (set_str(&pf->ifname, f->ifname) < 0 || set_str(&pf->driver, f->driver) < 0)
                        return -ENOMEM;
                pf->numa_node = f->numa_node;
                pf->link_speed_mbps = f->link_speed_mbps > 0 ? (uint32_t) f->link_speed_mbps : 0;
                pf->total_vfs = f->sysfs_sriov ? f->sysfs_total_vfs : f->total_vfs;
                pf->num_vfs = f->sysfs_num_vfs;
        } else
                pf->num_vfs = 0;

        /* The slots are rebuilt only when the VFs changed: pointers to them stay valid. */
        unsigned n = pf->num_vfs;
        bool same = pf->n_slots == n;
        char addr[PCI_ADDR_STRLEN];
        for (unsigned i = 0; same && i < n; i++)
                same = pf_vf_address(m->root, pf->address, i, addr) >= 0 && streq(addr, pf->slots[i].address);
        if (same)
                return 0;
        slots_free(pf);
        if (n == 0)
                return 1;
        VfSlot *v = calloc(n, sizeof(VfSlot));
        if (!v)
                return -ENOMEM;
        size_t k = 0;
        for (unsigned i = 0; i < n; i++) {
                if (pf_vf_address(m->root, pf->address, i, v[k].address) < 0)
                        continue;
                v[k].index = i;
                v[k].pf = pf;
                k++;
        }
        pf->slots = v;
        pf->n_slots = k;
        return 1;
}

VfSlot *manager_find_slot(const Manager *m, const char *vf) {
        return vf ? hashmap_get(m->vf_slots, vf) : NULL;
}

void manager_link_slots(Manager *m) {
        Hashmap *h = hashmap_new();
        Vm *vm;

        if (!h) {
                log_oom();
                return;
        }
        for (size_t i = 0; i < m->n_pfs; i++)
                for (size_t k = 0; k < m->pfs[i]->n_slots; k++) {
                        VfSlot *s = &m->pfs[i]->slots[k];
                        s->owner = NULL;
                        (void) hashmap_put(h, s->address, s);
                }
        hashmap_free(m->vf_slots);
        m->vf_slots = h;
        HASHMAP_FOREACH(vm, m->vms) {
                vm->slot = vm->has_record ? manager_find_slot(m, vm->record.vf) : NULL;
                if (vm->slot && vm->slot->owner) {
                        /* One VF, one VM: a second record of the same VF (a hand-edited state)
                         * is not linked; reconcile reports and drops it. */
                        vm->slot = NULL;
                        continue;
                }
                if (vm->slot)
                        vm->slot->owner = vm;
        }
}

bool pf_usable(const Pf *pf) {
        return pf->planned && pf->present && pf->verdict == SRIOV_SUPPORTED && pf->status == PROVISION_DONE &&
               !pf->operation && pf_in_service(pf);
}

bool vf_slot_free(const VfSlot *s) {
        return !s->owner && !s->held_for && !s->stray;
}

int manager_vf_candidates(const Manager *m, VfCandidate **ret_c, unsigned **ret_load, size_t *ret_n) {
        size_t n = 0, k = 0;
        for (size_t i = 0; i < m->n_pfs; i++)
                if (pf_usable(m->pfs[i]))
                        n += m->pfs[i]->n_slots;
        _cleanup_free_ VfCandidate *c = calloc(n ? n : 1, sizeof(VfCandidate));
        _cleanup_free_ unsigned *load = calloc(n ? n : 1, sizeof(unsigned));
        if (!c || !load)
                return -ENOMEM;
        for (size_t i = 0; i < m->n_pfs; i++) {
                const Pf *pf = m->pfs[i];
                if (!pf_usable(pf))
                        continue;
                unsigned pf_load = 0;
                for (size_t s = 0; s < pf->n_slots; s++)
                        if (pf->slots[s].owner)
                                pf_load++;
                for (size_t s = 0; s < pf->n_slots; s++) {
                        const VfSlot *slot = &pf->slots[s];
                        /* a Failed or quarantined PF takes no new VF; its VMs keep theirs */
                        c[k] = (VfCandidate){ .index = slot->index, .numa_node = pf->numa_node,
                                              .free = vf_slot_free(slot) && pf_accepts_new_vfs(pf),
                                              /* igb cannot set a minimum rate (EINVAL), as measured */
                                              .min_rate_ok = !streq_ptr(pf->driver, "igb"), .max_rate_ok = true,
                                              .link_speed_mbps = pf->link_speed_mbps };
                        snprintf(c[k].vf, sizeof c[k].vf, "%s", slot->address);
                        snprintf(c[k].pf, sizeof c[k].pf, "%s", pf->address);
                        load[k++] = pf_load;
                }
        }
        *ret_c = TAKE_PTR(c);
        *ret_load = TAKE_PTR(load);
        *ret_n = k;
        return 0;
}

char *pf_describe_holders(const Pf *pf) {
        StrBuf b = {};
        for (size_t i = 0; i < pf->n_slots; i++) {
                const VfSlot *s = &pf->slots[i];
                _cleanup_free_ char *drv = NULL;
                if (s->owner)
                        strbuf_appendf(&b, "%sVM %s (%s)", b.len ? ", " : "", s->owner->name, s->address);
                else if (s->stray)
                        strbuf_appendf(&b, "%sdomain %s outside accelnet (%s)", b.len ? ", " : "", s->stray, s->address);
                else if (vf_read_driver(pf->manager->root, s->address, &drv) >= 0 && streq(drv, "vfio-pci"))
                        strbuf_appendf(&b, "%s%s bound to vfio-pci (a VM or VFIO user outside accelnet)",
                                       b.len ? ", " : "", s->address);
        }
        return b.s ? strbuf_steal(&b) : strdup("");
}

/* ---- waiting for provisioning --------------------------------------------------------- */

int pf_wait(Pf *pf, PfWaitFn fn, void *userdata) {
        if (!pf->operation) {
                fn(userdata, pf);
                return 0;
        }
        PfWaiter *w = calloc(1, sizeof *w);
        if (!w)
                return -ENOMEM;
        *w = (PfWaiter){ .fn = fn, .userdata = userdata };
        PfWaiter **pp = &pf->waiters;
        while (*pp)
                pp = &(*pp)->next;
        *pp = w;
        return 0;
}

static void pf_wake(Pf *pf) {
        PfWaiter *w = TAKE_PTR(pf->waiters);
        while (w) {
                PfWaiter *next = w->next;
                w->fn(w->userdata, pf);
                free(w);
                w = next;
        }
}

/* ---- provisioning --------------------------------------------------------------------- */

typedef struct ProvisionItem {
        char pf[PCI_ADDR_STRLEN];
        unsigned want, current;
        int result;
} ProvisionItem;

typedef struct ProvisionJob {
        PlanSnapshot before, ahead;
        bool revert_on_failure;
        char *why;
        /* copies for the worker */
        const SriovBackend *backend;
        char *root;
        bool autoprobe;
        ProvisionItem *items;
        size_t n;
        /* progress: the worker counts the items it started and finished and pokes the loop
         * through progress_fd; the loop reports what it has not yet (ProvisionProgress) */
        Manager *manager;              /* for the loop thread only */
        atomic_size_t started, finished;
        size_t told_started, told_finished;
        int progress_fd;
        sd_event_source *progress_source;
} ProvisionJob;

static void provision_job_free(void *p) {
        ProvisionJob *j = p;
        if (!j)
                return;
        plan_snapshot_done(&j->before);
        plan_snapshot_done(&j->ahead);
        j->progress_source = sd_event_source_disable_unref(j->progress_source);
        if (j->progress_fd >= 0)
                close(j->progress_fd);
        free(j->why);
        free(j->root);
        free(j->items);
        free(j);
}

static void provision_poke(ProvisionJob *j) {
        if (j->progress_fd >= 0)
                (void) eventfd_write(j->progress_fd, 1);
}

static void provision_work(void *p) {
        ProvisionJob *j = p;
        for (size_t i = 0; i < j->n; i++) {
                atomic_store(&j->started, i + 1);
                provision_poke(j);
                j->items[i].result = pf_set_num_vfs(j->backend, j->root, j->items[i].pf, j->items[i].want, j->autoprobe);
                atomic_store(&j->finished, i + 1); /* after the result: the loop reads it then */
                provision_poke(j);
        }
}

/* On the loop: what the worker started and finished since the last time, as progress. */
static void provision_tell(ProvisionJob *j) {
        const ManagerNotify *n = &j->manager->notify;
        size_t finished = atomic_load(&j->finished), started = atomic_load(&j->started);
        /* in the worker's order: an item's start, its end, the next one's start */
        while (j->told_started < started || j->told_finished < finished) {
                bool end = j->told_finished < j->told_started && j->told_finished < finished;
                const ProvisionItem *it = &j->items[end ? j->told_finished++ : j->told_started++];
                if (n->provision_progress && it->want > 0 && (!end || it->result >= 0))
                        n->provision_progress(n->userdata, it->pf, end ? it->want : 0, it->want);
        }
}

static int on_provision_progress(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        eventfd_t v;
        (void) eventfd_read(fd, &v);
        provision_tell(userdata);
        return 0;
}

static void provision_release(Manager *m, ProvisionJob *j) {
        for (size_t i = 0; i < j->n; i++) {
                Pf *pf = manager_find_pf(m, j->items[i].pf);
                if (pf)
                        manager_health_reset_end(m, pf); /* its link is judged again after a grace */
                if (pf && pf->operation) {
                        pf->operation = NULL;
                        pf_wake(pf);
                }
        }
        m->management_op = NULL;
}

static void provision_finish(Operation *o, void *p) {
        ProvisionJob *j = p;
        Manager *m = o->manager;
        StrBuf errs = {};
        size_t ok = 0;

        provision_tell(j); /* the last of it, before the outcome */
        j->progress_source = sd_event_source_disable_unref(j->progress_source);

        note_list_clear(&m->plan_notes, "provision");
        for (size_t i = 0; i < j->n; i++) {
                ProvisionItem *it = &j->items[i];
                Pf *pf = manager_find_pf(m, it->pf);
                if (pf) {
                        pf->status = it->result >= 0 ? PROVISION_DONE : PROVISION_FAILED;
                        pf->error = mfree(pf->error);
                }
                if (it->result >= 0) {
                        ok++;
                        log_struct(LOG_INFO, NULL, it->pf, NULL, NULL, "%s: %u VFs provisioned (were %u; %s).", it->pf,
                                   it->want, it->current, j->why);
                        continue;
                }
                const char *why = pf_num_vfs_strerror(it->result);
                char buf[64];
                if (!why) {
                        snprintf(buf, sizeof buf, "%s", strerror(-it->result));
                        why = buf;
                }
                if (pf)
                        pf->error = strdup(why);
                strbuf_appendf(&errs, "%s%s: writing %u to sriov_numvfs failed: %s", errs.len ? "; " : "", it->pf,
                               it->want, why);
                log_struct(LOG_ERR, NULL, it->pf, NULL, NULL, "%s: writing %u to sriov_numvfs failed: %s", it->pf,
                           it->want, why);
                note_list_add(&m->plan_notes, "provision", it->pf, PREREQ_FAILED, AN_ERROR_ENABLE_ACCELNET_FAILED,
                              "Writing %u to sriov_numvfs failed: %s.", it->want, why);
        }
        if (ok == 0 && j->n > 0) {
                an_status_set(&o->status, -AN_ERROR_ENABLE_ACCELNET_FAILED, "%s %s.",
                              an_error_message(AN_ERROR_ENABLE_ACCELNET_FAILED), errs.s ? errs.s : "");
                if (j->revert_on_failure)
                        plan_snapshot_restore(m, &j->before);
        }
        strbuf_done(&errs);
        provision_release(m, j);
        (void) manager_refresh(m);
        m->reconcile_wanted = true;
        manager_dirty(m, DIRTY_STATE | DIRTY_PROPERTIES);
        if (o->status.r >= 0 && m->enabled)
                log_struct(LOG_NOTICE, MESSAGE_ID_MANAGEMENT_ENABLED, NULL, NULL, NULL,
                           "Accelerated Networking management on intent '%s' with node reserve %u%% (%s): %u VFs, "
                           "%u usable.", m->intent, m->reserve, j->why, manager_capacity_vfs(m), manager_usable_vfs(m));
}

static void provision_undo(Operation *o, void *p) {
        ProvisionJob *j = p;
        note_list_clear(&o->manager->plan_notes, "provision");
        plan_snapshot_restore(o->manager, &j->before);
        provision_release(o->manager, j);
}

static void provision_revert(Operation *o, void *p) {
        ProvisionJob *j = p;
        plan_snapshot_restore(o->manager, &j->ahead);
        o->manager->reconcile_wanted = true;
}

static const OperationType provision_type = {
        .name = "provision",
        .kind = OP_KIND_PROVISION,
        .work = provision_work,
        .finish = provision_finish,
        .undo = provision_undo,
        .revert = provision_revert,
        .free_job = provision_job_free,
};

void pf_provision(Manager *m, Pf **pfs, size_t n, const char *why, bool revert_on_failure, PlanSnapshot *before,
                  Completion c) {
        AnStatus st = AN_STATUS_OK;
        ProvisionJob *j = calloc(1, sizeof *j);
        Operation *o = NULL;
        StrBuf what = {};

        if (j)
                j->progress_fd = -1;
        if (!j || !(j->items = calloc(n ? n : 1, sizeof(ProvisionItem))) || !(j->root = strdup(m->root)) ||
            !(j->why = strdup(why))) {
                provision_job_free(j);
                plan_snapshot_restore(m, before);
                plan_snapshot_done(before);
                return completion_fail(&c, -ENOMEM, "Out of memory.");
        }
        j->before = *before;
        *before = (PlanSnapshot){};
        j->backend = m->backend;
        j->manager = m;
        /* progress is a nicety: without its eventfd the work runs all the same */
        j->progress_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (j->progress_fd >= 0 &&
            sd_event_add_io(m->event, &j->progress_source, j->progress_fd, EPOLLIN, on_provision_progress, j) < 0) {
                close(j->progress_fd);
                j->progress_fd = -1;
        }
        j->autoprobe = m->config->settings.vf_autoprobe;
        j->revert_on_failure = revert_on_failure;
        for (size_t i = 0; i < n; i++) {
                ProvisionItem *it = &j->items[j->n++];
                snprintf(it->pf, sizeof it->pf, "%s", pfs[i]->address);
                it->want = pfs[i]->want;
                it->current = pfs[i]->num_vfs;
                pfs[i]->status = PROVISION_PENDING;
                strbuf_appendf(&what, "%s%s %u → %u", what.len ? ", " : "", pfs[i]->ifname ? pfs[i]->ifname : pfs[i]->address,
                               it->current, it->want);
        }
        manager_dirty(m, DIRTY_STATE | DIRTY_PROPERTIES);
        if (plan_snapshot_take(m, &j->ahead) < 0) {
                plan_snapshot_restore(m, &j->before);
                provision_job_free(j);
                strbuf_done(&what);
                return completion_fail(&c, -ENOMEM, "Out of memory.");
        }
        if (operation_new(m, &provision_type, j, what.s, c, &o, &st) < 0) {
                strbuf_done(&what);
                plan_snapshot_restore(m, &j->before);
                provision_job_free(j);
                return completion_done(&c, &st);
        }
        note_list_clear(&m->plan_notes, "provision");
        for (size_t i = 0; i < n; i++) {
                pfs[i]->operation = o;
                manager_health_reset_begin(m, pfs[i]); /* the write may reset the PF's link */
                note_list_add(&m->plan_notes, "provision", pfs[i]->address, PREREQ_WARNING, 0,
                              "%s: VFs being provisioned, %u → %u (%s).", strempty(pfs[i]->ifname), pfs[i]->num_vfs,
                              pfs[i]->want, why);
        }
        m->management_op = o;
        log_struct(LOG_NOTICE, NULL, NULL, NULL, NULL, "Provisioning VFs (%s): %s.", why, strempty(what.s));
        strbuf_done(&what);
}
