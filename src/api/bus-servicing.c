/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Planned servicing on org.accelnet1.Manager: DrainAdapter, RestoreAdapter, RevokeVM,
 * RestoreVM and the DrainProgress signal; the bus face of daemon/servicing.c. Each handler
 * reads → validates (the bad value quoted) → answers at once when nothing would change →
 * authorises (root or polkit's org.accelnet1.manage) → asks the model, which answers when
 * the VFs are revoked or given back and that is on disk. */
#include "bus-api.h"
#include "bus-error.h"
#include "daemon/servicing.h"
#include "polkit.h"
#include "shared/names.h"

void bus_notify_drain_progress(void *userdata, const char *pf, unsigned done, unsigned total) {
        BusApi *api = userdata;
        (void) sd_bus_emit_signal(api->bus, ACCELNET_BUS_PATH, ACCELNET_BUS_MANAGER_INTERFACE, "DrainProgress", "suu",
                                  pf, (uint32_t) done, (uint32_t) total);
}

void bus_notify_provision_progress(void *userdata, const char *pf, unsigned done, unsigned total) {
        BusApi *api = userdata;
        (void) sd_bus_emit_signal(api->bus, ACCELNET_BUS_PATH, ACCELNET_BUS_MANAGER_INTERFACE, "ProvisionProgress",
                                  "suu", pf, (uint32_t) done, (uint32_t) total);
}

typedef int (*ArgCheck)(const char *arg, AnStatus *st);
typedef bool (*NoopCheck)(Manager *m, const char *arg);
typedef void (*Change)(Manager *m, const char *arg, Completion c);

static int servicing_method(sd_bus_message *msg, BusApi *api, ArgCheck check, NoopCheck noop, Change change,
                            sd_bus_error *error) {
        AnStatus st = AN_STATUS_OK;
        const char *arg;
        int r;

        r = sd_bus_message_read(msg, "s", &arg);
        if (r < 0)
                return r;
        if (check(arg, &st) < 0)
                return bus_error_from_status(error, &st);
        if (noop(api->manager, arg))
                return sd_bus_reply_method_return(msg, NULL);
        r = bus_verify_polkit_async(api, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        change(api->manager, arg, bus_completion(msg));
        return 1;
}

int method_drain_adapter(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return servicing_method(msg, userdata, manager_check_adapter_arg, manager_drain_adapter_is_noop,
                                manager_drain_adapter, error);
}

int method_restore_adapter(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return servicing_method(msg, userdata, manager_check_adapter_arg, manager_restore_adapter_is_noop,
                                manager_restore_adapter, error);
}

int method_revoke_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return servicing_method(msg, userdata, manager_check_vm_arg, vm_revoke_is_noop, vm_revoke, error);
}

int method_restore_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return servicing_method(msg, userdata, manager_check_vm_arg, vm_unrevoke_is_noop, vm_unrevoke, error);
}
