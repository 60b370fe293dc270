/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The VM methods of org.accelnet1.Manager: the bus face of daemon/vm.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bus-api.h"
#include "bus-error.h"
#include "daemon/cluster-node.h"
#include "daemon/vm.h"
#include "polkit.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/names.h"

#define BATCH_MAX 1024

int method_enable_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusApi *api = userdata;
        AnStatus st = AN_STATUS_OK;
        const char *vm, *perf;
        int r;

        r = sd_bus_message_read(msg, "ss", &vm, &perf);
        if (r < 0)
                return r;
        /* The performance is judged by the model, in the seed's order of refusals. */
        if (manager_check_vm_arg(vm, &st) < 0)
                return bus_error_from_status(error, &st);
        if (vm_enable_is_noop(api->manager, vm, perf))
                return sd_bus_reply_method_return(msg, NULL);
        r = bus_verify_polkit_async(api, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        vm_enable(api->manager, vm, perf, bus_completion(msg));
        return 1;
}

int method_set_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusApi *api = userdata;
        AnStatus st = AN_STATUS_OK;
        const char *vm, *perf;
        int r;

        r = sd_bus_message_read(msg, "ss", &vm, &perf);
        if (r < 0)
                return r;
        if (manager_check_vm_arg(vm, &st) < 0)
                return bus_error_from_status(error, &st);
        if (vm_set_is_noop(api->manager, vm, perf))
                return sd_bus_reply_method_return(msg, NULL);
        r = bus_verify_polkit_async(api, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        vm_set(api->manager, vm, perf, bus_completion(msg));
        return 1;
}

int method_disable_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        BusApi *api = userdata;
        AnStatus st = AN_STATUS_OK;
        const char *vm;
        int r;

        r = sd_bus_message_read(msg, "s", &vm);
        if (r < 0)
                return r;
        if (manager_check_vm_arg(vm, &st) < 0)
                return bus_error_from_status(error, &st);
        if (vm_disable_is_noop(api->manager, vm))
                return sd_bus_reply_method_return(msg, NULL);
        r = bus_verify_polkit_async(api, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        vm_disable(api->manager, vm, bus_completion(msg));
        return 1;
}

/* ---- batches: one VM after the other, one result per VM ------------------------------ */

typedef struct Batch {
        Manager *manager;
        sd_bus_message *msg;
        bool enable;
        bool ex;             /* EnableVMsEx/DisableVMsEx: a(sss) with each VM's message */
        char *performance;
        char **vms;
        size_t n, next;
        char **errors;       /* error name per VM, "" when done */
        char **messages;     /* the message the single-VM call would give, "" when done */
        bool stepping;       /* inside batch_run: a VM that completes at once returns to the loop */
        bool item_done;
} Batch;

static void batch_free(Batch *b) {
        sd_bus_message_unref(b->msg);
        free(b->performance);
        strv_free_n(b->vms, b->n);
        strv_free_n(b->errors, b->n);
        strv_free_n(b->messages, b->n);
        free(b);
}

static int fill_batch(sd_bus_message *reply, void *userdata) {
        Batch *b = userdata;
        BusText t = {};
        int r = 0;
        for (size_t i = 0; r >= 0 && i < b->n; i++)
                r = b->ex ? sd_bus_message_append(reply, "(sss)", bus_text(&t, b->vms[i]), strempty(b->errors[i]),
                                                  bus_text(&t, b->messages[i]))
                          : sd_bus_message_append(reply, "(ss)", bus_text(&t, b->vms[i]), strempty(b->errors[i]));
        bus_text_done(&t);
        return r;
}

static void batch_run(Batch *b);

static void batch_item_done(void *userdata, const AnStatus *st) {
        Batch *b = userdata;
        size_t i = b->next - 1;
        const char *name = st->r >= 0 ? "" : bus_error_name(st->r);

        if (st->r < 0)
                log_info("%s %s: %s", b->enable ? "EnableVMs" : "DisableVMs", b->vms[i], st->message);
        b->errors[i] = strdup(name ? name : "org.freedesktop.DBus.Error.Failed");
        /* what the single-VM call's error would say (bus_error_from_status) */
        b->messages[i] = strdup(st->r >= 0           ? ""
                                : st->message[0]     ? st->message
                                : name               ? an_error_message((AnError) -st->r)
                                                     : strerror(-st->r));
        b->item_done = true;
        if (!b->stepping)
                batch_run(b); /* completed later: go on from here */
}

/* A loop, not a recursion: VMs that complete at once (already enabled, refused) are
 * taken one after the other here; one that completes later resumes the loop from its
 * completion. */
static void batch_run(Batch *b) {
        b->stepping = true;
        while (b->next < b->n) {
                const char *vm = b->vms[b->next++];
                AnStatus st = AN_STATUS_OK;
                b->item_done = false;
                if (manager_check_vm_arg(vm, &st) < 0)
                        batch_item_done(b, &st);
                else if (b->enable)
                        vm_enable(b->manager, vm, b->performance, (Completion){ batch_item_done, b });
                else
                        vm_disable(b->manager, vm, (Completion){ batch_item_done, b });
                if (!b->item_done) {
                        b->stepping = false;
                        return;
                }
        }
        int r = bus_reply_array(b->msg, b->ex ? "(sss)" : "(ss)", fill_batch, b);
        if (r < 0)
                log_warning_errno(r, "Cannot reply to %s: %m", sd_bus_message_get_member(b->msg));
        batch_free(b);
}

/* EnableVMs/DisableVMs and their Ex forms: one code path, only the reply differs. */
static int method_batch(sd_bus_message *msg, BusApi *api, bool enable, bool ex, sd_bus_error *error) {
        _cleanup_strv_free_ char **vms = NULL;
        const char *perf = NULL;
        size_t n = 0;
        int r;

        r = sd_bus_message_read_strv(msg, &vms);
        if (r < 0)
                return r;
        if (enable) {
                r = sd_bus_message_read(msg, "s", &perf);
                if (r < 0)
                        return r;
        }
        for (char **v = vms; v && *v; v++)
                n++;
        if (n == 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "The list of VMs is empty.");
        if (n > BATCH_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "%zu VMs in one call; at most %d.", n, BATCH_MAX);
        r = bus_verify_polkit_async(api, msg, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        Batch *b = calloc(1, sizeof *b);
        if (!b)
                return -ENOMEM;
        *b = (Batch){ .manager = api->manager, .msg = sd_bus_message_ref(msg), .enable = enable, .ex = ex,
                      .vms = TAKE_PTR(vms), .n = n };
        b->errors = calloc(n, sizeof(char *));
        b->messages = calloc(n, sizeof(char *));
        if (!b->errors || !b->messages || (perf && !(b->performance = strdup(perf)))) {
                batch_free(b);
                return -ENOMEM;
        }
        batch_run(b);
        return 1;
}

int method_enable_vms(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_batch(msg, userdata, true, false, error);
}

int method_disable_vms(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_batch(msg, userdata, false, false, error);
}

int method_enable_vms_ex(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_batch(msg, userdata, true, true, error);
}

int method_disable_vms_ex(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return method_batch(msg, userdata, false, true, error);
}

/* ---- ListVMs: from what libvirt told us, no call to it -------------------------------- */

/* Every VM of the cluster: this node's from what libvirt told us, the other nodes' from their
 * facts. ListVMs keeps its a(sssss) (a VM of another node says so in its note);
 * ListClusterVMs adds the node. */
typedef struct VmRows {
        sd_bus_message *reply;
        BusText text;
        bool with_node;
        int r;
} VmRows;

static void append_vm(VmRows *rows, const char *node, const char *name, const char *state, const char *performance,
                      const char *vf, const char *note) {
        if (rows->r < 0)
                return;
        if (rows->with_node)
                rows->r = sd_bus_message_append(rows->reply, "(ssssss)", bus_text(&rows->text, name),
                                                bus_text(&rows->text, node), state, performance, vf,
                                                bus_text(&rows->text, note));
        else
                rows->r = sd_bus_message_append(rows->reply, "(sssss)", bus_text(&rows->text, name), state, performance,
                                                vf, bus_text(&rows->text, note));
}

static void append_remote_vm(const char *node, const ClusterVm *vm, void *userdata) {
        VmRows *rows = userdata;
        if (rows->with_node)
                return append_vm(rows, node, vm->name, vm->state, vm->performance, vm->vf, vm->note);
        _cleanup_free_ char *note = NULL;
        if (asprintf(&note, "on node %s%s%s", node, isempty(vm->note) ? "" : ": ", vm->note) < 0) {
                rows->r = -ENOMEM;
                return;
        }
        append_vm(rows, node, vm->name, vm->state, vm->performance, vm->vf, note);
}

static int fill_vm_rows(sd_bus_message *reply, Manager *m, bool with_node) {
        VmRows rows = { .reply = reply, .with_node = with_node };
        _cleanup_free_ char *self = with_node ? cluster_node_own_name(m->cluster) : NULL;
        Vm **v = NULL;
        size_t n = 0;

        rows.r = manager_sorted_vms(m, &v, &n);
        for (size_t i = 0; rows.r >= 0 && i < n; i++) {
                VmRow row;
                if (vm_row(v[i], &row))
                        append_vm(&rows, strempty(self), v[i]->name, row.state, row.performance, row.vf, row.note);
        }
        cluster_node_foreach_remote_vm(m->cluster, append_remote_vm, &rows);
        bus_text_done(&rows.text);
        return rows.r;
}

static int fill_vms(sd_bus_message *reply, void *userdata) {
        return fill_vm_rows(reply, userdata, false);
}

static int fill_cluster_vms(sd_bus_message *reply, void *userdata) {
        return fill_vm_rows(reply, userdata, true);
}

int method_list_vms(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_reply_array(msg, "(sssss)", fill_vms, ((BusApi *) userdata)->manager);
}

int method_list_cluster_vms(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_reply_array(msg, "(ssssss)", fill_cluster_vms, ((BusApi *) userdata)->manager);
}
