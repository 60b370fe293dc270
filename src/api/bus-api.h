/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The bus face of the Manager: the org.accelnet1.Manager and org.accelnet1.Hook interfaces
 * on /org/accelnet1, polkit, and the ManagerNotify that turns the model's changes into
 * PropertiesChanged and VMChanged. main() wires it:
 *
 *   bus_api_new(bus, &api);  manager_new(&o, bus_api_notify(api), &m);  bus_api_attach(api, m);
 */

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "daemon/manager.h"

typedef struct PolkitQuery PolkitQuery;

typedef struct BusApi {
        sd_bus *bus;
        Manager *manager;
        PolkitQuery *queries;      /* polkit questions in flight or answered */
        /* UIDs of recent callers by unique bus name (names are never reused on a bus), so
         * that authorising a call is not a round trip to the bus daemon each time. */
        struct {
                char name[32];
                uid_t uid;
        } sender_uids[64];
        unsigned sender_uid_next;
} BusApi;

int bus_api_new(sd_bus *bus, BusApi **ret);
BusApi *bus_api_free(BusApi *api);
static inline void bus_api_freep(BusApi **a) {
        if (*a)
                *a = bus_api_free(*a);
}
/* The callbacks for manager_new(). */
const ManagerNotify *bus_api_notify(BusApi *api);
/* Adds the vtables for the Manager. */
int bus_api_attach(BusApi *api, Manager *m);

/* ---- shared by the bus-*.c files ---- */

/* A Completion that replies to `msg` (success, or the status' error). */
Completion bus_completion(sd_bus_message *msg);
/* Replies to `msg` with one array of `contents` ("(ssssuuu)"), filled by `fill`. */
typedef int (*BusArrayFill)(sd_bus_message *reply, void *userdata);
int bus_reply_array(sd_bus_message *msg, const char *contents, BusArrayFill fill, void *userdata);

/* Strings from the system (interface names, sysfs) need not be UTF-8, which D-Bus requires:
 * the bad bytes are shown as \xNN. A BusText keeps the escaped copies of one reply. */
typedef struct BusText {
        char **v;
        size_t n;
} BusText;
const char *bus_text(BusText *t, const char *s);
void bus_text_done(BusText *t);

/* The VM methods of org.accelnet1.Manager (bus-vm.c). */
int method_enable_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_set_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_disable_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_enable_vms(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_disable_vms(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_vms(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_cluster_vms(sd_bus_message *msg, void *userdata, sd_bus_error *error);

/* Planned servicing (bus-servicing.c). */
int method_drain_adapter(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_restore_adapter(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_revoke_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_restore_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error);
/* ManagerNotify.drain_progress: the DrainProgress signal. */
void bus_notify_drain_progress(void *userdata, const char *pf, unsigned done, unsigned total);
/* ManagerNotify.provision_progress: the ProvisionProgress signal. */
void bus_notify_provision_progress(void *userdata, const char *pf, unsigned done, unsigned total);
/* Adapters' health (bus-health.c): GetHealth, and ManagerNotify's health_changed. */
int method_get_health(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_node_health(sd_bus_message *msg, void *userdata, sd_bus_error *error);
void bus_notify_health(void *userdata, const char *pf, const char *state, bool quarantined);

/* Issue 14's read views (bus-views.c): ExplainVM, ListVMsEx, ListAdaptersEx, ListVFs; and one
 * adapter's row of ListAdapters (ex false: "(ssssuuu)") or ListAdaptersEx ("(ssssuuua{sv})"). */
int method_explain_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_vms_ex(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_adapters_ex(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_vfs(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int bus_append_adapter(sd_bus_message *reply, Manager *m, size_t i, bool ex, BusText *t);
/* EnableVMsEx / DisableVMsEx (bus-vm.c): the batches with each VM's full message. */
int method_enable_vms_ex(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_disable_vms_ex(sd_bus_message *msg, void *userdata, sd_bus_error *error);

extern const sd_bus_vtable bus_manager_vtable[];
extern const sd_bus_vtable bus_hook_vtable[];
