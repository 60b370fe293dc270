/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* VM methods: filled in with the VM model (daemon/vms.c). */
#include <errno.h>

#include "bus-error.h"
#include "bus-vm.h"
#include "daemon/manager.h"

static int not_yet(sd_bus_message *msg, Manager *m, sd_bus_error *error) {
        AnStatus st;
        if (!m->state->enabled)
                an_status_set(&st, -AN_ERROR_NOT_ENABLED, "%s %s", an_error_message(AN_ERROR_NOT_ENABLED),
                              an_error_remedy(AN_ERROR_NOT_ENABLED));
        else
                an_status_set(&st, -EOPNOTSUPP, "VM acceleration is not available in this build.");
        return bus_error_from_status(error, &st);
}

int method_enable_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error) { return not_yet(msg, userdata, error); }
int method_set_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error) { return not_yet(msg, userdata, error); }
int method_disable_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error) { return not_yet(msg, userdata, error); }
int method_enable_vms(sd_bus_message *msg, void *userdata, sd_bus_error *error) { return not_yet(msg, userdata, error); }
int method_disable_vms(sd_bus_message *msg, void *userdata, sd_bus_error *error) { return not_yet(msg, userdata, error); }
int method_list_vms(sd_bus_message *msg, void *userdata, sd_bus_error *error) { return not_yet(msg, userdata, error); }
