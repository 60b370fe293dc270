/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM methods of org.accelnet1.Manager: bus glue for daemon/vm-ops.c. */
#include <errno.h>
#include <stdio.h>

#include "bus-error.h"
#include "bus-manager.h"
#include "bus-util.h"
#include "bus-vm.h"
#include "daemon/manager.h"
#include "polkit.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/names.h"

#define BATCH_MAX 1024

void manager_vm_changed(Manager *m, const char *vm, const char *state) {
        if (m->bus)
                (void) sd_bus_emit_signal(m->bus, ACCELNET_BUS_PATH, ACCELNET_BUS_MANAGER_INTERFACE, "VMChanged", "ss", vm, state);
}

static void reply_done(void *userdata, const AnStatus *st) {
        sd_bus_message *msg = userdata;
        (void) bus_reply_status(msg, st);
        sd_bus_message_unref(msg);
}

static void single_authorized(Manager *m, sd_bus_message *msg) {
        const char *member = sd_bus_message_get_member(msg), *vm, *perf = NULL;
        int r;

        r = sd_bus_message_rewind(msg, true);
        if (r >= 0)
                r = streq(member, "DisableVM") ? sd_bus_message_read(msg, "s", &vm) : sd_bus_message_read(msg, "ss", &vm, &perf);
        if (r < 0) {
                AnStatus st;
                an_status_set(&st, -EIO, "Cannot re-read the request.");
                (void) bus_reply_status(msg, &st);
                return;
        }
        if (streq(member, "EnableVM"))
                manager_enable_vm(m, vm, perf, reply_done, sd_bus_message_ref(msg));
        else if (streq(member, "SetVM"))
                manager_set_vm(m, vm, perf, reply_done, sd_bus_message_ref(msg));
        else
                manager_disable_vm(m, vm, reply_done, sd_bus_message_ref(msg));
}

static int method_single(sd_bus_message *msg, Manager *m, sd_bus_error *error) {
        const char *member = sd_bus_message_get_member(msg), *vm, *perf = NULL;
        AnStatus st = AN_STATUS_OK;
        bool changes = false;
        int r;

        /* The separate check only spares polkit hopeless requests: root needs no polkit, and
         * the model checks again anyway (the state may change while polkit is asked). */
        if (bus_sender_is_root(m, msg)) {
                single_authorized(m, msg);
                return 1;
        }
        r = streq(member, "DisableVM") ? sd_bus_message_read(msg, "s", &vm) : sd_bus_message_read(msg, "ss", &vm, &perf);
        if (r < 0)
                return r;
        if (streq(member, "EnableVM"))
                r = manager_enable_vm_check(m, vm, perf, &changes, &st);
        else if (streq(member, "SetVM"))
                r = manager_set_vm_check(m, vm, perf, &changes, &st);
        else
                r = manager_disable_vm_check(m, vm, &changes, &st);
        if (r < 0)
                return bus_error_from_status(error, &st);
        if (!changes)
                return sd_bus_reply_method_return(msg, NULL);
        return bus_authorize(m, msg, single_authorized);
}

int method_enable_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_single(msg, userdata, error);
}
int method_set_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_single(msg, userdata, error);
}
int method_disable_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_single(msg, userdata, error);
}

/* ---- batches: one VM after the other, one result per VM ------------------------------ */

typedef struct Batch {
        Manager *m;
        sd_bus_message *msg;
        bool enable;
        char *performance;
        char **vms;
        size_t n, next;
        char **errors;       /* error name per VM, "" when done */
} Batch;

static void batch_free(Batch *b) {
        sd_bus_message_unref(b->msg);
        free(b->performance);
        strv_free_n(b->vms, b->n);
        strv_free_n(b->errors, b->n);
        free(b);
}

static int fill_batch(sd_bus_message *reply, void *userdata) {
        Batch *b = userdata;
        int r = 0;
        for (size_t i = 0; r >= 0 && i < b->n; i++)
                r = sd_bus_message_append(reply, "(ss)", b->vms[i], b->errors[i] ? b->errors[i] : "");
        return r;
}

static void batch_reply(Batch *b) {
        int r = bus_reply_array(b->msg, "(ss)", fill_batch, b);
        if (r < 0)
                log_warning_errno(r, "Cannot reply to %s: %m", sd_bus_message_get_member(b->msg));
}

static void batch_step(Batch *b);

static void batch_item_done(void *userdata, const AnStatus *st) {
        Batch *b = userdata;
        size_t i = b->next - 1;
        const char *name = st->r >= 0 ? "" : bus_error_name(st->r);
        if (st->r < 0)
                log_info("%s %s: %s", b->enable ? "EnableVMs" : "DisableVMs", b->vms[i], st->message);
        b->errors[i] = strdup(name ? name : "org.freedesktop.DBus.Error.Failed");
        batch_step(b);
}

static void batch_step(Batch *b) {
        if (b->next >= b->n) {
                batch_reply(b);
                batch_free(b);
                return;
        }
        const char *vm = b->vms[b->next++];
        if (b->enable)
                manager_enable_vm(b->m, vm, b->performance, batch_item_done, b);
        else
                manager_disable_vm(b->m, vm, batch_item_done, b);
}

static void batch_authorized(Manager *m, sd_bus_message *msg) {
        Batch *b = calloc(1, sizeof *b);
        const char *perf = NULL;
        char **vms = NULL;
        int r;

        if (!b)
                return;
        b->m = m;
        b->msg = sd_bus_message_ref(msg);
        b->enable = streq(sd_bus_message_get_member(msg), "EnableVMs");
        r = sd_bus_message_rewind(msg, true);
        if (r >= 0)
                r = sd_bus_message_read_strv(msg, &vms);
        if (r >= 0 && b->enable)
                r = sd_bus_message_read(msg, "s", &perf);
        for (char **v = vms; r >= 0 && v && *v; v++)
                r = strv_appendf(&b->vms, &b->n, "%s", *v);
        for (char **v = vms; v && *v; v++)
                free(*v);
        free(vms);
        b->performance = strdup(strempty(perf));
        b->errors = calloc(b->n ? b->n : 1, sizeof(char *));
        if (r < 0 || !b->performance || !b->errors) {
                AnStatus st;
                an_status_set(&st, r < 0 ? r : -ENOMEM, "Cannot read the request.");
                (void) bus_reply_status(msg, &st);
                b->n = b->errors ? b->n : 0;
                batch_free(b);
                return;
        }
        batch_step(b);
}

static int method_batch(sd_bus_message *msg, Manager *m, sd_bus_error *error) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *dummy = NULL;
        char **vms = NULL;
        const char *perf = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_read_strv(msg, &vms);
        if (r < 0)
                return r;
        if (streq(sd_bus_message_get_member(msg), "EnableVMs"))
                r = sd_bus_message_read(msg, "s", &perf);
        for (char **v = vms; v && *v; v++)
                n++;
        for (char **v = vms; v && *v; v++)
                free(*v);
        free(vms);
        if (r < 0)
                return r;
        if (n == 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "The list of VMs is empty.");
        if (n > BATCH_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%zu VMs in one call; at most %d.", n, BATCH_MAX);
        return bus_authorize(m, msg, batch_authorized);
}

int method_enable_vms(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_batch(msg, userdata, error);
}
int method_disable_vms(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_batch(msg, userdata, error);
}

/* ---- ListVMs ------------------------------------------------------------------------- */

static const char *vm_note(const Assignment *a) {
        if (a->phase == ASSIGN_PHASE_ASSIGNING)
                return "being enabled";
        if (a->phase == ASSIGN_PHASE_RELEASING)
                return "release pending: the guest has not let go of the VF";
        if (a->next_start)
                return "applies at next start";
        return "";
}

static int append_vm(sd_bus_message *reply, const char *name, const Assignment *a) {
        if (!a)
                return sd_bus_message_append(reply, "(sssss)", name, ACCELNET_VM_STATE_DISABLED, "", "", "");
        return sd_bus_message_append(reply, "(sssss)", name, ACCELNET_VM_STATE_ENABLED, tier_to_string(a->tier), a->vf,
                                     vm_note(a));
}

static int cmp_assignment(const void *a, const void *b) {
        return strcmp((*(Assignment *const *) a)->vm, (*(Assignment *const *) b)->vm);
}

static int cmp_name(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static int fill_vms(sd_bus_message *reply, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ Assignment **byname = calloc(m->state->n_vms + 1, sizeof(Assignment *));
        int r;

        if (!byname)
                return -ENOMEM;
        /* Both lists sorted by name: lookups, not a scan per domain (thousands of VMs). */
        for (size_t i = 0; i < m->state->n_vms; i++)
                byname[i] = &m->state->vms[i];
        qsort(byname, m->state->n_vms, sizeof(Assignment *), cmp_assignment);
        for (size_t i = 0; i < m->n_domains; i++) {
                Assignment key = { .vm = m->domains[i] }, *kp = &key, **hit = NULL;
                if (m->state->n_vms)
                        hit = bsearch(&kp, byname, m->state->n_vms, sizeof(Assignment *), cmp_assignment);
                r = append_vm(reply, m->domains[i], hit ? *hit : NULL);
                if (r < 0)
                        return r;
        }
        /* Accelerated VMs libvirt does not list (not connected, or gone a moment ago). */
        for (size_t i = 0; i < m->state->n_vms; i++) {
                bool listed = m->n_domains &&
                              bsearch(&m->state->vms[i].vm, m->domains, m->n_domains, sizeof(char *), cmp_name);
                if (!listed) {
                        r = append_vm(reply, m->state->vms[i].vm, &m->state->vms[i]);
                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int method_list_vms(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_reply_array(msg, "(sssss)", fill_vms, userdata);
}
