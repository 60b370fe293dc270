/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sd-bus client of accelnet-hook: one method call, asynchronously, so that a bus or a
 * daemon that hangs costs at most the timeout (sd_bus_call would wait for the connection
 * to be set up without a limit of ours). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-bus.h>
#include <time.h>

#include "hook-bus.h"
#include "shared/macro.h"

typedef struct Pending {
        sd_bus_message *reply; /* owned once the reply (or sd-bus' synthetic error) arrived */
} Pending;

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Pending *p = userdata;
        p->reply = sd_bus_message_ref(m);
        return 0;
}

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * UINT64_C(1000000) + (uint64_t) ts.tv_nsec / 1000;
}

void hook_call_result_done(HookCallResult *r) {
        r->detail = mfree(r->detail);
        r->xml = mfree(r->xml);
}

static int result_errno(HookCallResult *ret, int r, const char *what) {
        *ret = (HookCallResult){ .status = hook_call_status_classify(NULL, r) };
        if (ret->status == HOOK_CALL_OK) /* r == 0: should not happen; never report success */
                ret->status = HOOK_CALL_UNREACHABLE;
        if (asprintf(&ret->detail, "%s: %s", what, strerror(r < 0 ? -r : EIO)) < 0)
                ret->detail = NULL;
        return 0;
}

int hook_bus_call(HookAction action, const char *vm, const char *xml, uint64_t timeout_usec, bool auto_start,
                  HookCallResult *ret) {
        _cleanup_(sd_bus_close_unrefp) sd_bus *bus = NULL;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *m = NULL;
        _cleanup_(sd_bus_slot_unrefp) sd_bus_slot *slot = NULL;
        Pending p = {};
        const char *method = hook_action_method(action);
        int r;

        if (!method || (hook_action_filters_xml(action) && !xml))
                return -EINVAL;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return result_errno(ret, r, "cannot connect to the system bus");
        (void) sd_bus_set_description(bus, HOOK_PROGRAM);
        (void) sd_bus_set_method_call_timeout(bus, timeout_usec); /* the Hello call too */

        r = sd_bus_message_new_method_call(bus, &m, ACCELNET_BUS_NAME, ACCELNET_BUS_PATH, ACCELNET_BUS_HOOK_INTERFACE, method);
        if (r >= 0)
                /* Only an accelerated VM may start the daemon through bus activation (at boot,
                 * libvirtd autostarts VMs before accelnetd.service, which is ordered after it);
                 * for everything else the hook must not start it behind the admin's back. */
                r = sd_bus_message_set_auto_start(m, auto_start);
        if (r >= 0)
                /* Prepare takes the XML too ("" when libvirt sent none): a start may name a VF
                 * that is not free here. Release takes the name alone. */
                r = action == HOOK_ACTION_RELEASE ? sd_bus_message_append(m, "s", vm)
                                                  : sd_bus_message_append(m, "ss", vm, strempty(xml));
        if (r < 0)
                return result_errno(ret, r, "cannot build the request");

        uint64_t deadline = now_usec() + timeout_usec;
        r = sd_bus_call_async(bus, &slot, m, on_reply, &p, timeout_usec);
        if (r < 0)
                return result_errno(ret, r, "cannot send the request");

        while (!p.reply) {
                r = sd_bus_process(bus, NULL);
                if (p.reply)
                        break;
                if (r < 0)
                        return result_errno(ret, r, "the connection to the system bus failed");
                if (r > 0)
                        continue;
                uint64_t n = now_usec();
                if (n >= deadline)
                        break;
                r = sd_bus_wait(bus, deadline - n);
                if (r < 0 && r != -EINTR)
                        return result_errno(ret, r, "the connection to the system bus failed");
        }
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = TAKE_PTR(p.reply);
        if (!reply) {
                *ret = (HookCallResult){ .status = HOOK_CALL_UNREACHABLE };
                if (asprintf(&ret->detail, "no answer within %llu ms",
                             (unsigned long long) (timeout_usec / HOOK_USEC_PER_MSEC)) < 0)
                        ret->detail = NULL;
                return 0;
        }

        if (sd_bus_message_is_method_error(reply, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(reply);
                *ret = (HookCallResult){ .status = hook_call_status_classify(e ? e->name : NULL,
                                                                             -sd_bus_message_get_errno(reply)) };
                if (ret->status == HOOK_CALL_OK)
                        ret->status = HOOK_CALL_UNREACHABLE;
                int k;
                if (e && !isempty(e->message))
                        k = asprintf(&ret->detail, "%s (%s)", e->message, strempty(e->name));
                else
                        k = asprintf(&ret->detail, "%s", e && e->name ? e->name : "unknown error");
                if (k < 0)
                        ret->detail = NULL;
                return 0;
        }

        *ret = (HookCallResult){ .status = HOOK_CALL_OK };
        if (hook_action_filters_xml(action)) {
                const char *out = NULL;
                r = sd_bus_message_read(reply, "s", &out);
                if (r < 0)
                        return result_errno(ret, r, "unexpected reply from accelnetd");
                ret->xml = strdup(out);
                if (!ret->xml)
                        return result_errno(ret, -ENOMEM, "cannot keep the reply");
        }
        return 0;
}
