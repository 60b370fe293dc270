/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* accelnet-hook's one call to accelnetd (org.accelnet1.Hook on the system bus), under one
 * deadline that covers connecting, authenticating and the reply: libvirtd is waiting. */

#include <stdint.h>

#include "hook.h"

#include "shared/names.h"

typedef struct HookCallResult {
        HookCallStatus status;
        char *detail; /* owned: "message (error name)" or the errno's text; NULL when OK */
        char *xml;    /* owned: Migrate's or Restore's reply; NULL otherwise */
} HookCallResult;

void hook_call_result_done(HookCallResult *r);

/* Calls Prepare(vm, xml), Release(vm), Migrate(vm, xml) or Restore(vm, xml) on the system
 * bus ($DBUS_SYSTEM_BUS_ADDRESS is honoured) without starting the daemon by activation.
 * Every failure is described in *ret (status and detail); returns -EINVAL for
 * HOOK_ACTION_NONE or a Migrate or Restore without XML, otherwise 0. */
/* auto_start: let the bus activate accelnetd (accelerated VMs at prepare and migrate). */
int hook_bus_call(HookAction action, const char *vm, const char *xml, uint64_t timeout_usec, bool auto_start,
                  HookCallResult *ret);
