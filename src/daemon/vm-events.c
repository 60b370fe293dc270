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
        _cleanup_(vf_netlink_freep) VfNetlink *nl = NULL;
        if (!a)
                return;
        const VfSlot *s = manager_find_slot(m, a->vf);
        if (s && vm_netlink_open(m, &nl) >= 0)
                (void) vm_restore_vf(m, nl, s->pf_ifname, a->vf_index, &a->saved);
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

int manager_virt_connect(Manager *m) {
        int r;

        r = virt_conn_new(m->event, m->libvirt_uri, &m->virt);
        if (r < 0) {
                log_warning("Cannot connect to libvirt at %s: %s. VM methods fail until it is reachable.",
                            m->libvirt_uri, virt_last_error());
                manager_add_note(m, &m->notes, &m->n_notes, "libvirt", m->libvirt_uri, PREREQ_FAILED,
                                 AN_ERROR_ACCELNET_NOT_SUPPORTED, "Cannot connect to libvirt at %s: %s", m->libvirt_uri,
                                 virt_last_error());
                m->virt = NULL;
                return 0;
        }
        virt_conn_set_event_handler(m->virt, on_domain_event, m);
        virt_conn_set_reconnect_handler(m->virt, on_reconnect, m);
        free(m->libvirt_version);
        m->libvirt_version = NULL;
        (void) virt_conn_version(m->virt, &m->libvirt_version);
        (void) manager_refresh_domains(m);
        return 0;
}
