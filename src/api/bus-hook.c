/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.accelnet1.Hook: for accelnet-hook, the libvirt hook (root only). */
#include <errno.h>

#include "bus-error.h"
#include "bus-hook.h"
#include "bus-manager.h"
#include "polkit.h"
#include "shared/log.h"
#include "shared/macro.h"

static int require_root(Manager *m, sd_bus_message *msg, sd_bus_error *error) {
        uid_t uid = 1;
        int r = bus_sender_uid(m, msg, &uid);
        if (r < 0 || uid != 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_ACCESS_DENIED,
                                        "org.accelnet1.Hook is for the libvirt hook (root) only.");
        return 0;
}

static int method_prepare_release(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        AnStatus st = AN_STATUS_OK;
        const char *vm;
        int r;

        r = sd_bus_message_read(msg, "s", &vm);
        if (r < 0)
                return r;
        r = require_root(m, msg, error);
        if (r < 0)
                return r;
        if (streq(sd_bus_message_get_member(msg), "Prepare"))
                r = manager_hook_prepare(m, vm, &st);
        else
                r = manager_hook_release(m, vm, &st);
        if (r < 0)
                return bus_error_from_status(error, &st);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_migrate(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        AnStatus st = AN_STATUS_OK;
        _cleanup_free_ char *out = NULL;
        const char *vm, *xml;
        int r;

        r = sd_bus_message_read(msg, "ss", &vm, &xml);
        if (r < 0)
                return r;
        r = require_root(m, msg, error);
        if (r < 0)
                return r;
        r = manager_hook_migrate(m, vm, xml, &out, &st);
        if (r < 0) {
                if (st.r == 0)
                        an_status_set(&st, r, "%s", strerror(-r));
                return bus_error_from_status(error, &st);
        }
        return sd_bus_reply_method_return(msg, "s", out);
}

static const sd_bus_vtable hook_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_METHOD_WITH_ARGS("Prepare", SD_BUS_ARGS("s", vm), SD_BUS_NO_RESULT, method_prepare_release,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Release", SD_BUS_ARGS("s", vm), SD_BUS_NO_RESULT, method_prepare_release,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Migrate", SD_BUS_ARGS("s", vm, "s", domain_xml), SD_BUS_RESULT("s", domain_xml),
                                method_migrate, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};

int bus_hook_add(Manager *m) {
        int r = sd_bus_add_object_vtable(m->bus, NULL, ACCELNET_BUS_PATH, ACCELNET_BUS_HOOK_INTERFACE, hook_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add the Hook interface: %m");
        return 0;
}
