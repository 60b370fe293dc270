/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* org.accelnet1.Manager: the bus glue of the management model (daemon/management.c) and the
 * read methods. Handlers follow STYLE.md: read args → validate → return early if nothing
 * changes → authorise → change (model) → reply. */
#include <systemd/sd-daemon.h>

#include "bus-error.h"
#include "bus-manager.h"
#include "bus-util.h"
#include "bus-vm.h"
#include "polkit.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "policy/prereq.h"

static int property_get(sd_bus *bus, const char *path, const char *interface, const char *property,
                        sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;

        if (streq(property, "Enabled"))
                return sd_bus_message_append(reply, "b", m->state->enabled);
        if (streq(property, "IntentName"))
                return sd_bus_message_append(reply, "s", strempty(m->state->intent));
        if (streq(property, "NodeReservePercentage"))
                return sd_bus_message_append(reply, "u", (uint32_t) m->state->node_reserve);
        if (streq(property, "HyperthreadingEnabled"))
                return sd_bus_message_append(reply, "b", manager_hyperthreading(m));
        if (streq(property, "CapacityVFs"))
                return sd_bus_message_append(reply, "u", (uint32_t) manager_capacity_vfs(m));
        if (streq(property, "UsableVFs"))
                return sd_bus_message_append(reply, "u", (uint32_t) manager_usable_vfs(m));
        if (streq(property, "AssignedVFs"))
                return sd_bus_message_append(reply, "u", (uint32_t) manager_assigned_vfs(m));
        if (streq(property, "Version"))
                return sd_bus_message_append(reply, "s", manager_version());
        return -ENOENT;
}

void manager_properties_changed(Manager *m) {
        const char *changed[8];
        size_t n = 0;
        bool enabled = m->state->enabled, ht = manager_hyperthreading(m);
        unsigned reserve = m->state->node_reserve, cap = manager_capacity_vfs(m), usable = manager_usable_vfs(m),
                 assigned = manager_assigned_vfs(m);
        const char *intent = strempty(m->state->intent);

        if (enabled != m->published.enabled)
                changed[n++] = "Enabled";
        if (!streq(intent, strempty(m->published.intent)))
                changed[n++] = "IntentName";
        if (reserve != m->published.reserve)
                changed[n++] = "NodeReservePercentage";
        if (ht != m->published.ht)
                changed[n++] = "HyperthreadingEnabled";
        if (cap != m->published.capacity)
                changed[n++] = "CapacityVFs";
        if (usable != m->published.usable)
                changed[n++] = "UsableVFs";
        if (assigned != m->published.assigned)
                changed[n++] = "AssignedVFs";
        changed[n] = NULL;

        m->published.enabled = enabled;
        m->published.ht = ht;
        m->published.reserve = reserve;
        m->published.capacity = cap;
        m->published.usable = usable;
        m->published.assigned = assigned;
        char *ni = strdup(intent);
        if (ni) {
                free(m->published.intent);
                m->published.intent = ni;
        }
        if (n > 0 && m->bus)
                (void) sd_bus_emit_properties_changed_strv(m->bus, ACCELNET_BUS_PATH, ACCELNET_BUS_MANAGER_INTERFACE, (char **) changed);
        if (n > 0)
                (void) sd_notifyf(false, "STATUS=%zu adapter(s); management %s%s; %u of %u usable VFs assigned",
                                  m->host ? m->host->n_adapters : 0, enabled ? "enabled on " : "disabled",
                                  enabled ? intent : "", assigned, usable);
}

static int append_row(sd_bus_message *reply, const char *check, const char *subject, PrereqResult result,
                      AnError code, const char *detail) {
        return sd_bus_message_append(reply, "(sssss)", check, subject, prereq_result_to_string(result),
                                     code ? an_error_to_string(code) : "", detail);
}

static int fill_prerequisites(sd_bus_message *reply, void *userdata) {
        Manager *m = userdata;
        int r;

        for (size_t i = 0; i < m->prereq->n_rows; i++) {
                const PrereqRow *row = &m->prereq->rows[i];
                r = append_row(reply, row->check, row->subject, row->result, row->code, row->detail);
                if (r < 0)
                        return r;
        }
        const Note *sets[] = { m->notes, m->enable_notes, m->drift };
        size_t counts[] = { m->n_notes, m->n_enable_notes, m->n_drift };
        for (size_t s = 0; s < ELEMENTSOF(sets); s++)
                for (size_t i = 0; i < counts[s]; i++) {
                        r = append_row(reply, sets[s][i].check, sets[s][i].subject, sets[s][i].result, sets[s][i].code,
                                       sets[s][i].detail);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static int method_get_prerequisites(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_reply_array(msg, "(sssss)", fill_prerequisites, userdata);
}

static unsigned assigned_on(const Manager *m, const char *pf) {
        unsigned n = 0;
        for (size_t i = 0; i < m->state->n_vms; i++)
                if (streq(m->state->vms[i].pf, pf))
                        n++;
        return n;
}

static int fill_adapters(sd_bus_message *reply, void *userdata) {
        Manager *m = userdata;
        int r;

        for (size_t i = 0; i < m->host->n_adapters; i++) {
                const PfFacts *f = &m->host->adapters[i];
                r = sd_bus_message_append(reply, "(ssssuuu)", f->address, strempty(f->ifname), strempty(f->driver),
                                          sriov_support_to_string(m->prereq->verdicts[i]),
                                          /* the kernel's TotalVFs (drivers may cap the capability's, e.g. igb 8 → 7) */
                                          (uint32_t) (f->sysfs_sriov ? f->sysfs_total_vfs : f->total_vfs),
                                          (uint32_t) f->sysfs_num_vfs, (uint32_t) assigned_on(m, f->address));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int method_list_adapters(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_reply_array(msg, "(ssssuuu)", fill_adapters, userdata);
}

static int fill_intents(sd_bus_message *reply, void *userdata) {
        Manager *m = userdata;
        int r = 0;

        for (size_t i = 0; i < m->config->n_intents; i++) {
                const Intent *in = &m->config->intents[i];
                r = sd_bus_message_open_container(reply, 'r', "sasas");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "s", in->name);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "s");
                for (unsigned t = 1; r >= 0 && t <= INTENT_TYPE_MANAGEMENT; t <<= 1)
                        if (in->types & t)
                                r = sd_bus_message_append(reply, "s", intent_type_to_string((IntentType) t));
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "s");
                for (size_t k = 0; r >= 0 && k < in->n_adapters; k++)
                        r = sd_bus_message_append(reply, "s", in->adapters[k]);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int method_list_intents(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_reply_array(msg, "(sasas)", fill_intents, userdata);
}

/* ---- management ---------------------------------------------------------------------- */

static void reply_done(void *userdata, const AnStatus *st) {
        sd_bus_message *msg = userdata;
        if (st->r < 0)
                log_debug("%s failed: %s", sd_bus_message_get_member(msg), st->message);
        (void) bus_reply_status(msg, st);
        sd_bus_message_unref(msg);
}

static void enable_authorized(Manager *m, sd_bus_message *msg) {
        const char *intent;
        uint32_t reserve;
        if (sd_bus_message_rewind(msg, true) < 0 || sd_bus_message_read(msg, "su", &intent, &reserve) < 0) {
                AnStatus st;
                an_status_set(&st, -EIO, "Cannot re-read the request.");
                (void) bus_reply_status(msg, &st);
                return;
        }
        if (streq(sd_bus_message_get_member(msg), "Enable"))
                manager_enable(m, intent, reserve, reply_done, sd_bus_message_ref(msg));
        else
                manager_set(m, intent, reserve, reply_done, sd_bus_message_ref(msg));
}

static int method_enable_or_set(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        AnStatus st = AN_STATUS_OK;
        const char *intent;
        uint32_t reserve;
        bool changes = false;
        int r;

        if (bus_sender_is_root(m, msg)) { /* see method_single in bus-vm.c */
                enable_authorized(m, msg);
                return 1;
        }
        r = sd_bus_message_read(msg, "su", &intent, &reserve);
        if (r < 0)
                return r;
        if (streq(sd_bus_message_get_member(msg), "Enable"))
                r = manager_enable_check(m, intent, reserve, &changes, &st);
        else
                r = manager_set_check(m, intent, reserve, &changes, &st);
        if (r < 0)
                return bus_error_from_status(error, &st);
        if (!changes)
                return sd_bus_reply_method_return(msg, NULL);
        return bus_authorize(m, msg, enable_authorized);
}

static void disable_authorized(Manager *m, sd_bus_message *msg) {
        manager_disable(m, reply_done, sd_bus_message_ref(msg));
}

static int method_disable(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        AnStatus st = AN_STATUS_OK;
        bool changes = false;

        if (manager_disable_check(m, &changes, &st) < 0)
                return bus_error_from_status(error, &st);
        if (!changes)
                return sd_bus_reply_method_return(msg, NULL);
        return bus_authorize(m, msg, disable_authorized);
}

#define PROP(name, sig) SD_BUS_PROPERTY(name, sig, property_get, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE)

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        PROP("Enabled", "b"),
        PROP("IntentName", "s"),
        PROP("NodeReservePercentage", "u"),
        PROP("HyperthreadingEnabled", "b"),
        PROP("CapacityVFs", "u"),
        PROP("UsableVFs", "u"),
        PROP("AssignedVFs", "u"),
        SD_BUS_PROPERTY("Version", "s", property_get, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_METHOD_WITH_ARGS("GetPrerequisites", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sssss)", checks),
                                method_get_prerequisites, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Enable", SD_BUS_ARGS("s", intent, "u", node_reserve), SD_BUS_NO_RESULT,
                                method_enable_or_set, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Set", SD_BUS_ARGS("s", intent, "u", node_reserve), SD_BUS_NO_RESULT,
                                method_enable_or_set, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("Disable", SD_BUS_NO_ARGS, SD_BUS_NO_RESULT, method_disable,
                                SD_BUS_VTABLE_UNPRIVILEGED),
        BUS_VM_METHODS,
        SD_BUS_METHOD_WITH_ARGS("ListAdapters", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(ssssuuu)", adapters),
                                method_list_adapters, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_ARGS("ListIntents", SD_BUS_NO_ARGS, SD_BUS_RESULT("a(sasas)", intents),
                                method_list_intents, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_SIGNAL_WITH_ARGS("VMChanged", SD_BUS_ARGS("s", vm, "s", state), 0),
        SD_BUS_VTABLE_END,
};

int bus_manager_add(Manager *m) {
        int r = sd_bus_add_object_vtable(m->bus, NULL, ACCELNET_BUS_PATH, ACCELNET_BUS_MANAGER_INTERFACE, manager_vtable, m);
        if (r < 0)
                return log_error_errno(r, "Failed to add the Manager object: %m");
        return 0;
}
