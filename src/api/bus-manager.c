/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.accelnet1.Manager: properties, management methods and the read methods; the BusApi
 * that owns the bus side. Handlers follow STYLE.md: read args → validate → return early if
 * nothing changes → authorise (polkit re-dispatches) → change (the model) → reply when the
 * change is on disk (the Completion). */
#include <systemd/sd-daemon.h>

#include "bus-api.h"
#include "bus-error.h"
#include "daemon/cluster-node.h"
#include "daemon/pf.h"
#include "polkit.h"
#include "policy/prereq.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/names.h"
#include "shared/strutil.h"

/* ---- the BusApi ------------------------------------------------------------------------ */

static void notify_properties(void *userdata, char **names) {
        BusApi *api = userdata;
        (void) sd_bus_emit_properties_changed_strv(api->bus, ACCELNET_BUS_PATH, ACCELNET_BUS_MANAGER_INTERFACE, names);
}

static void notify_vm(void *userdata, const char *vm, const char *state) {
        BusApi *api = userdata;
        BusText t = {};
        (void) sd_bus_emit_signal(api->bus, ACCELNET_BUS_PATH, ACCELNET_BUS_MANAGER_INTERFACE, "VMChanged", "ss",
                                  bus_text(&t, vm), state);
        bus_text_done(&t);
}

static ManagerNotify api_notify;

int bus_api_new(sd_bus *bus, BusApi **ret) {
        BusApi *api = calloc(1, sizeof *api);
        if (!api)
                return -ENOMEM;
        api->bus = sd_bus_ref(bus);
        *ret = api;
        return 0;
}

BusApi *bus_api_free(BusApi *api) {
        if (!api)
                return NULL;
        polkit_queries_free(api);
        sd_bus_unref(api->bus);
        free(api);
        return NULL;
}

const ManagerNotify *bus_api_notify(BusApi *api) {
        api_notify = (ManagerNotify){ .properties_changed = notify_properties, .vm_changed = notify_vm,
                                      .drain_progress = bus_notify_drain_progress,
                                      .provision_progress = bus_notify_provision_progress,
                                      .health_changed = bus_notify_health, .userdata = api };
        return &api_notify;
}

int bus_api_attach(BusApi *api, Manager *m) {
        int r;

        api->manager = m;
        r = sd_bus_add_object_vtable(api->bus, NULL, ACCELNET_BUS_PATH, ACCELNET_BUS_MANAGER_INTERFACE,
                                     bus_manager_vtable, api);
        if (r < 0)
                return log_error_errno(r, "Failed to add the Manager object: %m");
        r = sd_bus_add_object_vtable(api->bus, NULL, ACCELNET_BUS_PATH, ACCELNET_BUS_HOOK_INTERFACE, bus_hook_vtable,
                                     api);
        if (r < 0)
                return log_error_errno(r, "Failed to add the Hook interface: %m");
        return 0;
}

static void reply_completion(void *userdata, const AnStatus *st) {
        sd_bus_message *msg = userdata;
        if (st->r < 0)
                log_debug("%s failed: %s", strempty(sd_bus_message_get_member(msg)), st->message);
        (void) bus_reply_status(msg, st);
        sd_bus_message_unref(msg);
}

Completion bus_completion(sd_bus_message *msg) {
        return (Completion){ .fn = reply_completion, .userdata = sd_bus_message_ref(msg) };
}

int bus_reply_array(sd_bus_message *msg, const char *contents, BusArrayFill fill, void *userdata) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        int r;

        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', contents);
        if (r >= 0)
                r = fill(reply, userdata);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_send(NULL, reply, NULL);
        return r;
}

const char *bus_text(BusText *t, const char *s) {
        if (!s)
                return "";
        if (utf8_valid(s))
                return s;
        char *e = utf8_escape_invalid(s);
        char **v = e ? realloc(t->v, sizeof(char *) * (t->n + 1)) : NULL;
        if (!v) {
                free(e);
                return "?";
        }
        t->v = v;
        t->v[t->n++] = e;
        return e;
}

void bus_text_done(BusText *t) {
        strv_free_n(t->v, t->n);
        *t = (BusText){};
}

/* ---- properties ------------------------------------------------------------------------ */

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = ((BusApi *) userdata)->manager;
        unsigned capacity, usable, assigned;
        int r;

        manager_counts(m, &capacity, &usable, &assigned);
        if (streq(property, "Enabled"))
                return sd_bus_message_append(reply, "b", m->enabled);
        if (streq(property, "IntentName"))
                return sd_bus_message_append(reply, "s", strempty(m->intent));
        if (streq(property, "NodeReservePercentage"))
                return sd_bus_message_append(reply, "u", (uint32_t) m->reserve);
        if (streq(property, "HyperthreadingEnabled"))
                return sd_bus_message_append(reply, "b", manager_hyperthreading(m));
        if (streq(property, "HyperthreadingState"))
                return sd_bus_message_append(reply, "s", manager_hyperthreading_state(m));
        if (streq(property, "CapacityVFs"))
                return sd_bus_message_append(reply, "u", (uint32_t) capacity);
        if (streq(property, "UsableVFs"))
                return sd_bus_message_append(reply, "u", (uint32_t) usable);
        if (streq(property, "AssignedVFs"))
                return sd_bus_message_append(reply, "u", (uint32_t) assigned);
        if (streq(property, "ClusterName"))
                return sd_bus_message_append(reply, "s", cluster_node_name_of_cluster(m->cluster));
        if (streq(property, "ClusterNodes"))
                return sd_bus_message_append(reply, "u", (uint32_t) cluster_node_members(m->cluster));
        if (streq(property, "Quorate"))
                return sd_bus_message_append(reply, "b", cluster_node_quorate(m->cluster));
        if (streq(property, "NodeName")) {
                _cleanup_free_ char *name = cluster_node_own_name(m->cluster);
                BusText t = {};
                r = sd_bus_message_append(reply, "s", bus_text(&t, name));
                bus_text_done(&t);
                return r;
        }
        if (streq(property, "Version"))
                return sd_bus_message_append(reply, "s", manager_version());
        return -ENOENT;
}

/* ---- reads ----------------------------------------------------------------------------- */

typedef struct Rows {
        sd_bus_message *reply;
        BusText text;
        int r;
} Rows;

static int append_row(Rows *rows, const char *check, const char *subject, PrereqResult result, AnError code,
                      const char *detail) {
        if (rows->r >= 0)
                rows->r = sd_bus_message_append(rows->reply, "(sssss)", check, bus_text(&rows->text, subject),
                                                prereq_result_to_string(result), code ? an_error_to_string(code) : "",
                                                bus_text(&rows->text, detail));
        return rows->r;
}

static void append_note(const Note *n, void *userdata) {
        (void) append_row(userdata, n->check, n->subject, n->result, n->code, n->detail);
}

static int fill_prerequisites(sd_bus_message *reply, void *userdata) {
        Manager *m = userdata;
        Rows rows = { .reply = reply };

        for (size_t i = 0; i < m->prereq->n_rows; i++) {
                const PrereqRow *row = &m->prereq->rows[i];
                append_row(&rows, row->check, row->subject, row->result, row->code, row->detail);
        }
        manager_foreach_note(m, append_note, &rows);
        bus_text_done(&rows.text);
        return rows.r;
}

static int method_get_prerequisites(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_reply_array(msg, "(sssss)", fill_prerequisites, ((BusApi *) userdata)->manager);
}

static int fill_adapters(sd_bus_message *reply, void *userdata) {
        Manager *m = userdata;
        BusText t = {};
        int r = 0;

        for (size_t i = 0; r >= 0 && i < m->host->n_adapters; i++)
                r = bus_append_adapter(reply, m, i, false, &t);
        bus_text_done(&t);
        return r;
}

static int method_list_adapters(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_reply_array(msg, "(ssssuuu)", fill_adapters, ((BusApi *) userdata)->manager);
}

static int fill_intents(sd_bus_message *reply, void *userdata) {
        Manager *m = userdata;
        BusText t = {};
        int r = 0;

        for (size_t i = 0; r >= 0 && i < m->config->n_intents; i++) {
                const Intent *in = &m->config->intents[i];
                r = sd_bus_message_open_container(reply, 'r', "sasas");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "s", in->name);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "s");
                for (unsigned ty = 1; r >= 0 && ty <= INTENT_TYPE_MANAGEMENT; ty <<= 1)
                        if (in->types & ty)
                                r = sd_bus_message_append(reply, "s", intent_type_to_string((IntentType) ty));
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "s");
                for (size_t k = 0; r >= 0 && k < in->n_adapters; k++)
                        r = sd_bus_message_append(reply, "s", bus_text(&t, in->adapters[k]));
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        bus_text_done(&t);
        return r;
}

static int method_list_intents(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_reply_array(msg, "(sasas)", fill_intents, ((BusApi *) userdata)->manager);
}

/* ---- management ------------------------------------------------------------------------ */

static int method_enable(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusApi *api = userdata;
        Manager *m = api->manager;
        AnStatus st = AN_STATUS_OK;
        const char *intent;
        uint32_t reserve;
        int r;

        r = sd_bus_message_read(msg, "su", &intent, &reserve);
        if (r < 0)
                return r;
        if (manager_check_intent_arg(intent, &st) < 0 ||
            (reserve != RESERVE_KEEP && manager_check_reserve_arg(reserve, &st) < 0))
                return bus_error_from_status(error, &st);
        if (manager_enable_is_noop(m, intent, reserve))
                return sd_bus_reply_method_return(msg, NULL);
        r = bus_verify_polkit_async(api, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        manager_enable(m, intent, reserve, bus_completion(msg));
        return 1;
}

static int method_set(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusApi *api = userdata;
        Manager *m = api->manager;
        AnStatus st = AN_STATUS_OK;
        const char *intent;
        uint32_t reserve;
        int r;

        r = sd_bus_message_read(msg, "su", &intent, &reserve);
        if (r < 0)
                return r;
        if ((!isempty(intent) && manager_check_intent_arg(intent, &st) < 0) ||
            (reserve != RESERVE_KEEP && manager_check_reserve_arg(reserve, &st) < 0))
                return bus_error_from_status(error, &st);
        if (manager_set_is_noop(m, intent, reserve))
                return sd_bus_reply_method_return(msg, NULL);
        r = bus_verify_polkit_async(api, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        manager_set(m, intent, reserve, bus_completion(msg));
        return 1;
}

static int method_disable(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusApi *api = userdata;
        int r;

        if (manager_disable_is_noop(api->manager))
                return sd_bus_reply_method_return(msg, NULL);
        r = bus_verify_polkit_async(api, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        manager_disable(api->manager, bus_completion(msg));
        return 1;
}

/* ---- the cluster's nodes --------------------------------------------------------------- */

static int fill_nodes(sd_bus_message *reply, void *userdata) {
        Manager *m = userdata;
        NodeRow *rows = NULL;
        size_t n = 0;
        BusText t = {};

        int r = cluster_node_rows(m->cluster, &rows, &n);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "(ussbuuus)", rows[i].id, bus_text(&t, rows[i].name),
                                          rows[i].member ? ACCELNET_NODE_STATE_MEMBER : ACCELNET_NODE_STATE_LOST,
                                          rows[i].ht, rows[i].capacity, rows[i].usable, rows[i].assigned,
                                          bus_text(&t, rows[i].note));
        node_rows_free(rows, n);
        bus_text_done(&t);
        return r;
}

static int method_list_nodes(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_reply_array(msg, "(ussbuuus)", fill_nodes, ((BusApi *) userdata)->manager);
}

static int fill_node_capacity(sd_bus_message *reply, void *userdata) {
        Manager *m = userdata;
        CapacityRow *rows = NULL;
        size_t n = 0;
        BusText t = {};

        int r = cluster_node_capacity_rows(m->cluster, &rows, &n);
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(reply, "(usuuuu)", rows[i].id, bus_text(&t, rows[i].name), rows[i].free,
                                          rows[i].tier[TIER_HIGH], rows[i].tier[TIER_MEDIUM], rows[i].tier[TIER_LOW]);
        capacity_rows_free(rows, n);
        bus_text_done(&t);
        return r;
}

static int method_list_node_capacity(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_reply_array(msg, "(usuuuu)", fill_node_capacity, ((BusApi *) userdata)->manager);
}

/* ---- operations ------------------------------------------------------------------------ */

/* Every kind, also those that never ran (a series that exists from the start). */
static int fill_operation_stats(sd_bus_message *reply, void *userdata) {
        Manager *m = userdata;
        int r = 0;

        for (OpKind k = 0; r >= 0 && k < _OP_KIND_MAX; k++) {
                const OpKindStats *s = &m->op_stats.kind[k];
                r = sd_bus_message_open_container(reply, 'r', "sttda(dt)");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "sttd", op_kind_to_string(k), s->count, s->failures,
                                                  (double) s->sum_usec / 1e6);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "(dt)");
                for (unsigned i = 0; r >= 0 && i < OP_STATS_N_BUCKETS; i++)
                        r = sd_bus_message_append(reply, "(dt)", (double) op_stats_bucket_usec[i] / 1e6, s->bucket[i]);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        return r;
}

static int method_get_operation_stats(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_reply_array(msg, "(sttda(dt))", fill_operation_stats, ((BusApi *) userdata)->manager);
}

#define PROP(name, sig) SD_BUS_PROPERTY(name, sig, property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE)

const sd_bus_vtable bus_manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        PROP("Enabled", "b"),
        PROP("IntentName", "s"),
        PROP("NodeReservePercentage", "u"),
        PROP("HyperthreadingEnabled", "b"),
        PROP("HyperthreadingState", "s"),
        PROP("CapacityVFs", "u"),
        PROP("UsableVFs", "u"),
        PROP("AssignedVFs", "u"),
        PROP("ClusterName", "s"),
        PROP("ClusterNodes", "u"),
        PROP("Quorate", "b"),
        /* This node's name as ListNodes and ListClusterVMs give it; not announced: it changes
         * only when corosync comes or goes. */
        SD_BUS_PROPERTY("NodeName", "s", property_get, 0, 0),
        SD_BUS_PROPERTY("Version", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("GetPrerequisites", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sssss)", checks),
                                method_get_prerequisites, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Enable", SD_BUS_ARGS("s", intent, "u", node_reserve), SD_BUS_NO_RESULT,
                                method_enable, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Set", SD_BUS_ARGS("s", intent, "u", node_reserve), SD_BUS_NO_RESULT, method_set,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Disable", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_disable,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("EnableVM", SD_BUS_ARGS("s", vm, "s", performance), SD_BUS_NO_RESULT,
                                method_enable_vm, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("SetVM", SD_BUS_ARGS("s", vm, "s", performance), SD_BUS_NO_RESULT, method_set_vm,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DisableVM", SD_BUS_ARGS("s", vm), SD_BUS_NO_RESULT, method_disable_vm,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("EnableVMs", SD_BUS_ARGS("as", vms, "s", performance), SD_BUS_RESULT("a(ss)", results),
                                method_enable_vms, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DisableVMs", SD_BUS_ARGS("as", vms), SD_BUS_RESULT("a(ss)", results),
                                method_disable_vms, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListVMs", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sssss)", vms), method_list_vms,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListClusterVMs", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssssss)", vms),
                                method_list_cluster_vms, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListNodes", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ussbuuus)", nodes), method_list_nodes,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListNodeCapacity", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(usuuuu)", nodes),
                                method_list_node_capacity, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListAdapters", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssssuuu)", adapters),
                                method_list_adapters, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListIntents", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sasas)", intents),
                                method_list_intents, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("GetOperationStats", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sttda(dt))", operations),
                                method_get_operation_stats, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("VMChanged", SD_BUS_ARGS("s", vm, "s", state), 0),
        /* VFs being created on an adapter (Enable, Set, provisioning after a start) */
        SD_BUS_SIGNAL_WITH_ARGS("ProvisionProgress", SD_BUS_ARGS("s", adapter, "u", done, "u", total), 0),
        /* planned servicing (bus-servicing.c) */
        SD_BUS_METHOD_WITH_ARGS("DrainAdapter", SD_BUS_ARGS("s", adapter), SD_BUS_NO_RESULT, method_drain_adapter,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RestoreAdapter", SD_BUS_ARGS("s", adapter), SD_BUS_NO_RESULT, method_restore_adapter,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RevokeVM", SD_BUS_ARGS("s", vm), SD_BUS_NO_RESULT, method_revoke_vm,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("RestoreVM", SD_BUS_ARGS("s", vm), SD_BUS_NO_RESULT, method_restore_vm,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("DrainProgress", SD_BUS_ARGS("s", adapter, "u", done, "u", total), 0),
        /* adapters' health (bus-health.c) */
        SD_BUS_METHOD_WITH_ARGS("GetHealth", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssstba(sss)a(st)a(tss))", adapters),
                                method_get_health, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListNodeHealth", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(uss)", nodes),
                                method_list_node_health, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("HealthChanged", SD_BUS_ARGS("s", pf, "s", state, "b", quarantined), 0),
        /* issue 14: explain and views (bus-views.c), batches with messages (bus-vm.c) */
        SD_BUS_METHOD_WITH_ARGS("ExplainVM", SD_BUS_ARGS("s", vm, "s", performance), SD_BUS_RESULT("a(sss)", checks),
                                method_explain_vm, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("EnableVMsEx", SD_BUS_ARGS("as", vms, "s", performance),
                                SD_BUS_RESULT("a(sss)", results), method_enable_vms_ex, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("DisableVMsEx", SD_BUS_ARGS("as", vms), SD_BUS_RESULT("a(sss)", results),
                                method_disable_vms_ex, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListVMsEx", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sssssa{sv})", vms), method_list_vms_ex,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListAdaptersEx", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssssuuua{sv})", adapters),
                                method_list_adapters_ex, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListVFs", SD_BUS_ARGS("s", pf), SD_BUS_RESULT("a(ssua{sv})", vfs), method_list_vfs,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};
