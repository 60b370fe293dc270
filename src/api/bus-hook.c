/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.accelnet1.Hook: for accelnet-hook, the libvirt hook (root only). */
#include <errno.h>

#include "bus-api.h"
#include "bus-error.h"
#include "polkit.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/names.h"

static int require_root(BusApi *api, sd_bus_message *msg, sd_bus_error *error) {
        uid_t uid = 1;
        int r = bus_sender_uid(api, msg, &uid);
        if (r < 0 || uid != 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                                        ACCELNET_BUS_HOOK_INTERFACE " is for the libvirt hook (root) only.");
        return 0;
}

static int method_prepare(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusApi *api = userdata;
        const char *vm, *xml;
        int r;

        r = sd_bus_message_read(msg, "ss", &vm, &xml);
        if (r < 0)
                return r;
        r = require_root(api, msg, error);
        if (r < 0)
                return r;
        /* May answer later: a VM whose adapter is being provisioned waits for its VFs. */
        manager_hook_prepare(api->manager, vm, xml, bus_completion(msg));
        return 1;
}

static int method_release(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusApi *api = userdata;
        AnStatus st = AN_STATUS_OK;
        const char *vm;
        int r;

        r = sd_bus_message_read(msg, "s", &vm);
        if (r < 0)
                return r;
        r = require_root(api, msg, error);
        if (r < 0)
                return r;
        if (manager_hook_release(api->manager, vm, &st) < 0)
                return bus_error_from_status(error, &st);
        return sd_bus_reply_method_return(msg, NULL);
}

static int incoming(sd_bus_message *msg, BusApi *api, HookArrival how, sd_bus_error *error) {
        AnStatus st = AN_STATUS_OK;
        _cleanup_free_ char *out = NULL;
        const char *vm, *xml;
        int r;

        r = sd_bus_message_read(msg, "ss", &vm, &xml);
        if (r < 0)
                return r;
        r = require_root(api, msg, error);
        if (r < 0)
                return r;
        if (manager_hook_arrive(api->manager, how, vm, xml, &out, &st) < 0)
                return bus_error_from_status(error, &st);
        return sd_bus_reply_method_return(msg, "s", out);
}

static int method_migrate(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return incoming(msg, userdata, HOOK_ARRIVAL_MIGRATE, error);
}

static int method_restore(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return incoming(msg, userdata, HOOK_ARRIVAL_RESTORE, error);
}

const sd_bus_vtable bus_hook_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Prepare", SD_BUS_ARGS("s", vm, "s", domain_xml), SD_BUS_NO_RESULT, method_prepare,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Release", SD_BUS_ARGS("s", vm), SD_BUS_NO_RESULT, method_release,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Migrate", SD_BUS_ARGS("s", vm, "s", domain_xml), SD_BUS_RESULT("s", domain_xml),
                                method_migrate, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Restore", SD_BUS_ARGS("s", vm, "s", domain_xml), SD_BUS_RESULT("s", domain_xml),
                                method_restore, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};
