/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The libvirt connection of the Manager: the domain cache, lifecycle events, reconnects. */
#include <stdio.h>

#include "manager.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "virt/virt.h"
#include "vms-internal.h"

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int manager_refresh_domains(Manager *m) {
        char **names = NULL;
        size_t n = 0;
        int r;

        if (!m->virt)
                return -ENOTCONN;
        r = virt_list_domains(m->virt, &names, &n);
        if (r < 0)
                return log_warning_errno(r, "Cannot list libvirt domains: %s", virt_last_error());
        virt_strv_free(m->domains, m->n_domains);
        m->domains = names;
        m->n_domains = n;
        return 0;
}

static void domains_add(Manager *m, const char *name) {
        for (size_t i = 0; i < m->n_domains; i++)
                if (streq(m->domains[i], name))
                        return;
        if (strv_appendf(&m->domains, &m->n_domains, "%s", name) >= 0)
                qsort(m->domains, m->n_domains, sizeof(char *), cmp_str);
}

static void domains_remove(Manager *m, const char *name) {
        for (size_t i = 0; i < m->n_domains; i++)
                if (streq(m->domains[i], name)) {
                        free(m->domains[i]);
                        memmove(&m->domains[i], &m->domains[i + 1], sizeof(char *) * (m->n_domains - i - 1));
                        m->n_domains--;
                        return;
                }
}

void vm_release_local(Manager *m, const char *vm, const char *why) {
        Assignment *a = state_find_vm(m->state, vm);
        if (!a)
                return;
        const VfSlot *s = manager_find_slot(m, a->vf);
        if (s)
                (void) vm_restore_vf(m->nl, s->pf_ifname, a->vf_index, &a->saved);
        log_struct(LOG_NOTICE, MESSAGE_ID_VF_RELEASED, a->pf, a->vf, vm, "VF %s released from VM %s: %s.", a->vf, vm, why);
        state_remove_vm(m->state, vm);
        (void) manager_save_state(m);
        manager_vm_changed(m, vm, "released");
        manager_properties_changed(m);
}

static void on_domain_event(VirtConn *vc, const char *domain, VirtEvent ev, const char *detail, void *userdata) {
        Manager *m = userdata;
        Assignment *a = state_find_vm(m->state, domain);

        log_debug("libvirt: domain %s %s (%s).", domain, virt_event_to_string(ev), strempty(detail));
        switch (ev) {
        case VIRT_EVENT_DEFINED:
                domains_add(m, domain);
                break;
        case VIRT_EVENT_UNDEFINED:
                domains_remove(m, domain);
                if (a && !vm_is_busy(m, domain))
                        vm_release_local(m, domain, "the domain was undefined");
                break;
        case VIRT_EVENT_STARTED:
                if (a && a->next_start) {
                        a->next_start = false; /* the persistent config with the VF is live now */
                        (void) manager_save_state(m);
                }
                if (a)
                        manager_vm_changed(m, domain, "started");
                break;
        case VIRT_EVENT_STOPPED:
                if (a)
                        manager_vm_changed(m, domain, "stopped");
                break;
        case VIRT_EVENT_DEVICE_REMOVED:
                if (a && a->phase == ASSIGN_PHASE_RELEASING && !vm_is_busy(m, domain)) {
                        char alias[64];
                        vm_alias(a->vf, alias, sizeof alias);
                        if (streq_ptr(detail, alias))
                                vm_release_local(m, domain, "the guest released the device");
                }
                break;
        default:
                break;
        }
}

static void on_reconnect(VirtConn *vc, void *userdata) {
        Manager *m = userdata;
        log_notice("libvirt connection re-established; reconciling.");
        (void) manager_refresh_domains(m);
        (void) manager_reconcile(m);
}

static void drop_libvirt_notes(Manager *m) {
        size_t k = 0;
        for (size_t i = 0; i < m->n_notes; i++) {
                if (streq(m->notes[i].check, "libvirt")) {
                        free(m->notes[i].check);
                        free(m->notes[i].subject);
                        free(m->notes[i].detail);
                        continue;
                }
                m->notes[k++] = m->notes[i];
        }
        m->n_notes = k;
}

#define VIRT_RETRY_MIN_USEC (1ULL * 1000000ULL)
#define VIRT_RETRY_MAX_USEC (30ULL * 1000000ULL)

/* Connects once; on success reconciles and returns true. */
static bool virt_try_connect(Manager *m) {
        int r = virt_conn_new(m->event, m->libvirt_uri, &m->virt);
        if (r < 0) {
                m->virt = NULL;
                drop_libvirt_notes(m);
                manager_add_note(m, &m->notes, &m->n_notes, "libvirt", m->libvirt_uri, PREREQ_FAILED,
                                 AN_ERROR_ACCELNET_NOT_SUPPORTED, "Cannot connect to libvirt at %s: %s (retrying).",
                                 m->libvirt_uri, virt_last_error());
                if (m->virt_retry_usec == VIRT_RETRY_MIN_USEC)
                        log_warning("Cannot connect to libvirt at %s: %s. Retrying with back-off; VM methods fail until "
                                    "it answers.", m->libvirt_uri, virt_last_error());
                return false;
        }
        drop_libvirt_notes(m);
        virt_conn_set_event_handler(m->virt, on_domain_event, m);
        virt_conn_set_reconnect_handler(m->virt, on_reconnect, m);
        free(m->libvirt_version);
        m->libvirt_version = NULL;
        (void) virt_conn_version(m->virt, &m->libvirt_version);
        log_info("Connected to libvirt %s at %s.", strempty(m->libvirt_version), m->libvirt_uri);
        (void) manager_evaluate(m);     /* the libvirt version is a prerequisite; the facts are fresh */
        (void) manager_refresh_domains(m);
        (void) manager_reconcile(m);
        manager_properties_changed(m);
        return true;
}

/* While libvirtd is away the daemon serves everything else and retries with back-off
 * (1 s doubling to 30 s); VM methods say libvirt is not connected meanwhile. */
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

/* At start, before the bus name is taken, so that reconcile has run by the first call. */
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
