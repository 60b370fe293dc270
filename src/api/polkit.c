/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "polkit.h"
#include "shared/log.h"
#include "shared/macro.h"

typedef struct PolkitQuery {
        Manager *manager;
        sd_bus_message *msg;
        sd_bus_slot *slot;
        BusAuthorized fn;
} PolkitQuery;

static void deny(sd_bus_message *msg, const char *why) {
        _cleanup_(sd_bus_error_free) sd_bus_error e = SD_BUS_ERROR_NULL;
        const char *sender = sd_bus_message_get_sender(msg);
        log_struct(LOG_NOTICE, MESSAGE_ID_POLICY_DENIED, NULL, NULL, NULL, "%s from %s denied: %s",
                   strempty(sd_bus_message_get_member(msg)), strempty(sender), why);
        (void) sd_bus_error_setf(&e, SD_BUS_ERROR_ACCESS_DENIED,
                                 "Access denied: %s needs root or the polkit action " ACCELNET_POLKIT_ACTION_MANAGE " (%s).",
                                 strempty(sd_bus_message_get_member(msg)), why);
        (void) sd_bus_reply_method_error(msg, &e);
}

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int authorized = 0, challenge = 0, r;

        if (e)
                deny(q->msg, sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER)
                                     ? "polkit is not running"
                                     : e->message ? e->message : e->name);
        else {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                if (r < 0)
                        deny(q->msg, "unreadable reply from polkit");
                else if (authorized)
                        q->fn(q->manager, q->msg);
                else
                        deny(q->msg, challenge ? "polkit requires interactive authentication" : "polkit said no");
        }
        sd_bus_message_unref(q->msg);
        sd_bus_slot_unref(q->slot);
        free(q);
        return 0;
}

int bus_sender_uid(Manager *m, sd_bus_message *msg, uid_t *ret) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        const char *sender = sd_bus_message_get_sender(msg);
        uid_t uid;
        int r;

        for (size_t i = 0; sender && i < ELEMENTSOF(m->sender_uids); i++)
                if (streq(m->sender_uids[i].name, sender)) {
                        *ret = m->sender_uids[i].uid;
                        return 0;
                }
        r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return r;
        if (sender && strlen(sender) < sizeof m->sender_uids[0].name) {
                unsigned k = m->sender_uid_next++ % ELEMENTSOF(m->sender_uids);
                snprintf(m->sender_uids[k].name, sizeof m->sender_uids[k].name, "%s", sender);
                m->sender_uids[k].uid = uid;
        }
        *ret = uid;
        return 0;
}

bool bus_sender_is_root(Manager *m, sd_bus_message *msg) {
        uid_t uid = 1;
        return bus_sender_uid(m, msg, &uid) >= 0 && uid == 0;
}

int bus_authorize(Manager *m, sd_bus_message *msg, BusAuthorized fn) {
        uid_t uid = 1;
        int r;

        r = bus_sender_uid(m, msg, &uid);
        if (r >= 0 && uid == 0) {
                fn(m, msg);
                return 1;
        }

        PolkitQuery *q = calloc(1, sizeof *q);
        if (!q)
                return -ENOMEM;
        q->manager = m;
        q->msg = sd_bus_message_ref(msg);
        q->fn = fn;
        uint32_t flags = sd_bus_message_get_allow_interactive_authorization(msg) ? 1 : 0;
        r = sd_bus_call_method_async(sd_bus_message_get_bus(msg), &q->slot, "org.freedesktop.PolicyKit1",
                                     "/org/freedesktop/PolicyKit1/Authority", "org.freedesktop.PolicyKit1.Authority",
                                     "CheckAuthorization", on_polkit_reply, q, "(sa{sv})sa{ss}us", "system-bus-name", 1,
                                     "name", "s", sd_bus_message_get_sender(msg), ACCELNET_POLKIT_ACTION_MANAGE, 0, flags, "");
        if (r < 0) {
                deny(msg, "polkit could not be asked");
                sd_bus_message_unref(q->msg);
                free(q);
        }
        return 1;
}
