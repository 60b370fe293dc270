/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <stdlib.h>

#include "polkit.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/names.h"

struct PolkitQuery {
        BusApi *api;
        sd_bus_message *request;
        sd_bus_slot *slot;
        int result;                /* 0 pending, 1 authorised, -EACCES refused */
        char *why;                 /* why refused */
        PolkitQuery *next;
};

static void query_free(BusApi *api, PolkitQuery *q) {
        for (PolkitQuery **pp = &api->queries; *pp; pp = &(*pp)->next)
                if (*pp == q) {
                        *pp = q->next;
                        break;
                }
        sd_bus_slot_unref(q->slot);
        sd_bus_message_unref(q->request);
        free(q->why);
        free(q);
}

void polkit_queries_free(BusApi *api) {
        while (api->queries)
                query_free(api, api->queries);
}

int bus_sender_uid(BusApi *api, sd_bus_message *msg, uid_t *ret) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        const char *sender = sd_bus_message_get_sender(msg);
        uid_t uid;
        int r;

        for (size_t i = 0; sender && i < ELEMENTSOF(api->sender_uids); i++)
                if (streq(api->sender_uids[i].name, sender)) {
                        *ret = api->sender_uids[i].uid;
                        return 0;
                }
        r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_EUID, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        if (r < 0)
                return r;
        if (sender && strlen(sender) < sizeof api->sender_uids[0].name) {
                unsigned k = api->sender_uid_next++ % ELEMENTSOF(api->sender_uids);
                snprintf(api->sender_uids[k].name, sizeof api->sender_uids[k].name, "%s", sender);
                api->sender_uids[k].uid = uid;
        }
        *ret = uid;
        return 0;
}

static int deny(sd_bus_message *msg, const char *why, sd_bus_error *error) {
        log_struct(LOG_NOTICE, MESSAGE_ID_POLICY_DENIED, NULL, NULL, NULL, "%s from %s denied: %s",
                   strempty(sd_bus_message_get_member(msg)), strempty(sd_bus_message_get_sender(msg)), why);
        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                 "Access denied: %s needs root or the polkit action " ACCELNET_POLKIT_ACTION_MANAGE " (%s).",
                                 strempty(sd_bus_message_get_member(msg)), why);
}

static int on_polkit_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        PolkitQuery *q = userdata;
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        int authorized = 0, challenge = 0, r;

        q->slot = sd_bus_slot_unref(q->slot);
        if (e)
                q->why = strdup(sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER)
                                        ? "polkit is not running"
                                        : e->message ? e->message : e->name);
        else {
                r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                if (r < 0)
                        q->why = strdup("unreadable reply from polkit");
                else if (!authorized)
                        q->why = strdup(challenge ? "polkit requires interactive authentication" : "polkit said no");
        }
        q->result = authorized ? 1 : -EACCES;
        /* The method runs again with the same message and finds the answer. */
        r = sd_bus_message_rewind(q->request, true);
        if (r >= 0)
                r = sd_bus_enqueue_for_read(sd_bus_message_get_bus(q->request), q->request);
        if (r < 0) {
                (void) sd_bus_reply_method_errnof(q->request, r, "Cannot dispatch the request again: %m");
                query_free(q->api, q);
        }
        return 0;
}

int bus_verify_polkit_async(BusApi *api, sd_bus_message *msg, sd_bus_error *error) {
        uid_t uid = 1;
        int r;

        for (PolkitQuery *q = api->queries; q; q = q->next)
                if (q->request == msg) {
                        if (q->result == 0)
                                return 0; /* still asking */
                        r = q->result;
                        _cleanup_free_ char *why = TAKE_PTR(q->why);
                        query_free(api, q);
                        return r > 0 ? 1 : deny(msg, why ? why : "polkit said no", error);
                }

        r = bus_sender_uid(api, msg, &uid);
        if (r >= 0 && uid == 0)
                return 1;

        PolkitQuery *q = calloc(1, sizeof *q);
        if (!q)
                return -ENOMEM;
        q->api = api;
        q->request = sd_bus_message_ref(msg);
        uint32_t flags = sd_bus_message_get_allow_interactive_authorization(msg) ? 1 : 0;
        r = sd_bus_call_method_async(sd_bus_message_get_bus(msg), &q->slot, "org.freedesktop.PolicyKit1",
                                     "/org/freedesktop/PolicyKit1/Authority", "org.freedesktop.PolicyKit1.Authority",
                                     "CheckAuthorization", on_polkit_reply, q, "(sa{sv})sa{ss}us", "system-bus-name", 1,
                                     "name", "s", sd_bus_message_get_sender(msg), ACCELNET_POLKIT_ACTION_MANAGE, 0, flags,
                                     "");
        if (r < 0) {
                sd_bus_message_unref(q->request);
                free(q);
                return deny(msg, "polkit could not be asked", error);
        }
        q->next = api->queries;
        api->queries = q;
        return 0;
}
