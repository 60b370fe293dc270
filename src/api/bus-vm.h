/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <systemd/sd-bus.h>

/* The VM methods of org.accelnet1.Manager (bus-vm.c). */
int method_enable_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_set_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_disable_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_enable_vms(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_disable_vms(sd_bus_message *msg, void *userdata, sd_bus_error *error);
int method_list_vms(sd_bus_message *msg, void *userdata, sd_bus_error *error);

#define BUS_VM_METHODS                                                                                        \
        SD_BUS_METHOD_WITH_ARGS("EnableVM", SD_BUS_ARGS("s", vm, "s", performance), SD_BUS_NO_RESULT,        \
                                method_enable_vm, SD_BUS_VTABLE_UNPRIVILEGED),                               \
        SD_BUS_METHOD_WITH_ARGS("SetVM", SD_BUS_ARGS("s", vm, "s", performance), SD_BUS_NO_RESULT,           \
                                method_set_vm, SD_BUS_VTABLE_UNPRIVILEGED),                                  \
        SD_BUS_METHOD_WITH_ARGS("DisableVM", SD_BUS_ARGS("s", vm), SD_BUS_NO_RESULT, method_disable_vm,      \
                                SD_BUS_VTABLE_UNPRIVILEGED),                                                 \
        SD_BUS_METHOD_WITH_ARGS("EnableVMs", SD_BUS_ARGS("as", vms, "s", performance),                       \
                                SD_BUS_RESULT("a(ss)", results), method_enable_vms, SD_BUS_VTABLE_UNPRIVILEGED), \
        SD_BUS_METHOD_WITH_ARGS("DisableVMs", SD_BUS_ARGS("as", vms), SD_BUS_RESULT("a(ss)", results),       \
                                method_disable_vms, SD_BUS_VTABLE_UNPRIVILEGED),                             \
        SD_BUS_METHOD_WITH_ARGS("ListVMs", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sssss)", vms), method_list_vms,  \
                                SD_BUS_VTABLE_UNPRIVILEGED)
