/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The Manager's libvirt connection: connecting with back-off, reading every domain once per
 * (re)connect, and libvirt's events keeping each VM's facts fresh. */
#include <stdio.h>

#include "pf.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/names.h"
#include "virt/virt.h"
#include "vm.h"

#define VIRT_RETRY_MIN_USEC (1ULL * 1000000ULL)
#define VIRT_RETRY_MAX_USEC (30ULL * 1000000ULL)

bool manager_virt_ready(Manager *m, AnStatus *st) {
        if (m->virt && m->domains_known && virt_conn_is_alive(m->virt))
                return true;
        an_status_set(st, -AN_ERROR_BUSY,
                      "libvirt is not reachable (%s); retrying. Nothing was changed: try again when it answers.",
                      m->libvirt_uri);
        return false;
}

#define READ_THREADS 8u

/* Every domain, read once (several at a time): the Vm table then mirrors libvirt. */
static int read_domains(Manager *m) {
        VirtDomain **doms = NULL;
        size_t n = 0;
        Vm *vm;
        int r;

        r = virt_domains_read_all(m->virt, READ_THREADS, &doms, &n);
        if (r < 0)
                return log_warning_errno(r, "Cannot read the libvirt domains: %s", virt_last_error());
        /* Vms libvirt does not list any more: gone (their records are released by reconcile). */
        _cleanup_free_ Vm **gone = calloc(hashmap_size(m->vms) + 1, sizeof(Vm *));
        size_t k = 0, d = 0;
        Vm **sorted = NULL;
        size_t n_sorted = 0;
        if (!gone || manager_sorted_vms(m, &sorted, &n_sorted) < 0) {
                for (size_t i = 0; i < n; i++)
                        virt_domain_free(doms[i]);
                free(doms);
                return log_oom();
        }
        for (size_t i = 0; i < n_sorted; i++) { /* both sorted by name: one merge */
                while (d < n && strcmp(doms[d]->name, sorted[i]->name) < 0)
                        d++;
                if (d >= n || !streq(doms[d]->name, sorted[i]->name))
                        gone[k++] = sorted[i];
        }
        for (size_t i = 0; i < n; i++) {
                vm = manager_add_vm(m, doms[i]->name);
                if (!vm) {
                        virt_domain_free(doms[i]);
                        continue;
                }
                vm_set_domain(vm, doms[i]);
        }
        free(doms);
        for (size_t i = 0; i < k; i++) {
                vm_set_domain(gone[i], NULL);
                vm_gc(gone[i]);
        }
        m->domains_known = true;
        log_debug("Read %zu libvirt domain(s).", n);
        return 0;
}

static void tell(Manager *m, const char *vm, const char *state) {
        if (m->notify.vm_changed)
                m->notify.vm_changed(m->notify.userdata, vm, state);
}

static void on_domain_event(VirtConn *vc, const char *domain, VirtEvent ev, const char *detail, void *userdata) {
        Manager *m = userdata;
        AnStatus st;
        Vm *vm;

        log_debug("libvirt: domain %s %s (%s).", domain, virt_event_to_string(ev), strempty(detail));
        vm = manager_add_vm(m, domain);
        if (!vm) {
                log_oom();
                return;
        }
        /* While its own operation runs, the domain's events are mostly that operation's:
         * the facts are read once when it ends, not for every event (and not while the
         * worker talks to libvirt). */
        if (vm->operation && ev != VIRT_EVENT_UNDEFINED) {
                vm->facts_stale = true;
                return;
        }
        /* Every event means the facts may have changed: read them again. */
        if (vm_refresh(vm, &st) < 0 && st.r != -AN_ERROR_NO_SUCH_VM)
                log_warning("%s", st.message);

        manager_reconcile_domain(m, vm);
        if (!vm->domain) {
                /* Undefined (or a transient domain stopped): what it held is freed. */
                if (vm->has_record && !vm->operation)
                        vm_release(vm, "the domain no longer exists");
                vm_gc(vm);
                return;
        }
        switch (ev) {
        case VIRT_EVENT_STARTED:
                vm->moved_away = false;
                if (vm->has_record && vm->record.phase == ASSIGN_PHASE_INCOMING) {
                        vm->record.phase = ASSIGN_PHASE_ASSIGNED;
                        log_struct(LOG_NOTICE, MESSAGE_ID_VF_ASSIGNED, vm->record.pf, vm->record.vf, vm->name,
                                   "VM %s arrived with VF %s.", vm->name, vm->record.vf);
                }
                if (vm->has_record && vm->record.next_start) {
                        vm->record.next_start = false; /* its persistent config with the VF is live now */
                        manager_dirty(m, DIRTY_STATE);
                }
                if (vm_accelerated(vm))
                        tell(m, domain, "started");
                break;
        case VIRT_EVENT_STOPPED:
                if (streq_ptr(detail, "migrated")) {
                        /* It left for another host; its definition stays here (a migration
                         * without --undefinesource). The VF is free for this host's VMs, and
                         * the definition no longer names it (started here again, it gets one
                         * of the VFs free then; a start naming a VF that is another VM's
                         * fails at the hook's prepare). */
                        vm->moved_away = true;
                        if (vm->has_record && vm->record.phase == ASSIGN_PHASE_ASSIGNED) {
                                char vf[sizeof vm->record.vf];
                                snprintf(vf, sizeof vf, "%s", vm->record.vf);
                                vm_release(vm, "the VM migrated to another host");
                                vm_detach_stray(vm, vf, "the VM migrated to another host");
                                manager_dirty(m, DIRTY_STATE | DIRTY_HANDOUT | DIRTY_PROPERTIES);
                        }
                }
                if (vm_accelerated(vm))
                        tell(m, domain, "stopped");
                break;
        case VIRT_EVENT_DEVICE_REMOVED:
                if (vm->has_record && vm->record.phase == ASSIGN_PHASE_RELEASING && !vm->operation &&
                    streq_ptr(detail, ACCELNET_VF_ALIAS))
                        vm_release(vm, "the guest released the device");
                break;
        default:
                break;
        }
        vm_gc(vm);
}

static void on_reconnect(VirtConn *vc, void *userdata) {
        Manager *m = userdata;
        log_notice("libvirt connection re-established; reading the domains and reconciling.");
        m->domains_known = false;
        if (read_domains(m) >= 0)
                m->reconcile_wanted = true;
        manager_dirty(m, DIRTY_PROPERTIES);
}

/* Connects once; on success reads the domains (reconcile follows in the post handler). */
static bool virt_try_connect(Manager *m) {
        int r = virt_conn_new(m->event, m->libvirt_uri, &m->virt);
        if (r < 0) {
                m->virt = NULL;
                note_list_clear(&m->notes, "libvirt");
                note_list_add(&m->notes, "libvirt", m->libvirt_uri, PREREQ_FAILED, AN_ERROR_ACCELNET_NOT_SUPPORTED,
                              "Cannot connect to libvirt at %s: %s (retrying).", m->libvirt_uri, virt_last_error());
                if (m->virt_retry_usec == VIRT_RETRY_MIN_USEC)
                        log_warning("Cannot connect to libvirt at %s: %s. Retrying with back-off; VM methods answer "
                                    "Busy until it answers.", m->libvirt_uri, virt_last_error());
                return false;
        }
        note_list_clear(&m->notes, "libvirt");
        virt_conn_set_event_handler(m->virt, on_domain_event, m);
        virt_conn_set_reconnect_handler(m->virt, on_reconnect, m);
        m->libvirt_version = mfree(m->libvirt_version);
        (void) virt_conn_version(m->virt, &m->libvirt_version);
        log_info("Connected to libvirt %s at %s.", strempty(m->libvirt_version), m->libvirt_uri);
        (void) manager_evaluate(m); /* the libvirt version is a prerequisite; the facts are fresh */
        if (read_domains(m) >= 0)
                m->reconcile_wanted = true;
        manager_dirty(m, DIRTY_PROPERTIES);
        return true;
}

static int on_virt_connect_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;

        if (virt_try_connect(m)) {
                m->virt_connect_timer = sd_event_source_disable_unref(m->virt_connect_timer);
                return 0;
        }
        m->virt_retry_usec = m->virt_retry_usec * 2 > VIRT_RETRY_MAX_USEC ? VIRT_RETRY_MAX_USEC : m->virt_retry_usec * 2;
        (void) sd_event_source_set_time_relative(s, m->virt_retry_usec);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
        return 0;
}

/* At start: while libvirtd is away the daemon serves everything else and retries with
 * back-off (1 s doubling to 30 s); VM methods answer Busy meanwhile. */
int manager_virt_connect(Manager *m) {
        int r;

        m->virt_retry_usec = VIRT_RETRY_MIN_USEC;
        if (virt_try_connect(m))
                return 0;
        r = sd_event_add_time_relative(m->event, &m->virt_connect_timer, CLOCK_MONOTONIC, m->virt_retry_usec, 0,
                                       on_virt_connect_timer, m);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(m->virt_connect_timer, "libvirt-connect");
        return 0;
}
