/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What a VM arriving on each node could get there (ListNodeCapacity), and this node's number
 * as Pacemaker's node utilization attribute accelnet-vfs (src/cluster/pacemaker.h):
 * accelnet.json's pacemaker_utilization says which number, "free" (the free column) or
 * "capacity" (the free VFs plus those of the VMs running here, what Pacemaker allocates VM
 * resources that declare utilization accelnet-vfs=1 from), so that
 * placement-strategy=utilization keeps VMs that need a VF off nodes without a free one. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "cluster-node.h"
#include "cluster/pacemaker.h"
#include "shared/log.h"
#include "shared/strutil.h"
#include "virt/virt.h"
#include "vm.h"

int cluster_node_capacity_rows(ClusterNode *cn, CapacityRow **ret, size_t *ret_n) {
        CapacityRow *rows = NULL;
        size_t n = 0;

        if (!cn->active || !cn->view) {
                FreeVfs fv;
                int r = manager_free_vfs(cn->manager, &fv);
                if (r < 0)
                        return r;
                if (!(rows = calloc(1, sizeof *rows)))
                        return -ENOMEM;
                rows[0] = (CapacityRow){ .id = 0, .name = cluster_node_own_name(cn), .free = fv.free };
                memcpy(rows[0].tier, fv.tier, sizeof rows[0].tier);
                if (!rows[0].name) {
                        capacity_rows_free(rows, 1);
                        return -ENOMEM;
                }
                *ret = rows;
                *ret_n = 1;
                return 0;
        }
        ClusterView *v = cn->view;
        if (!(rows = calloc(v->n_nodes ? v->n_nodes : 1, sizeof *rows)))
                return -ENOMEM;
        for (size_t i = 0; i < v->n_nodes; i++) {
                const ViewNode *node = &v->nodes[i];
                CapacityRow *r = &rows[n++];
                NodeFree nf;
                cluster_view_node_free(v, node, &nf);
                *r = (CapacityRow){ .id = node->id, .free = nf.free, .name = cluster_node_view_name(cn, node) };
                memcpy(r->tier, nf.tier, sizeof r->tier);
                if (!r->name) {
                        capacity_rows_free(rows, n);
                        return -ENOMEM;
                }
        }
        *ret = rows;
        *ret_n = n;
        return 0;
}

void capacity_rows_free(CapacityRow *rows, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(rows[i].name);
        free(rows);
}

int cluster_node_own_free(ClusterNode *cn, unsigned *ret) {
        if (!cn->active || !cn->view) {
                FreeVfs fv;
                int r = manager_free_vfs(cn->manager, &fv);
                if (r < 0)
                        return r;
                *ret = fv.free;
                return 0;
        }
        NodeFree nf = {};
        const ViewNode *self = cluster_view_node(cn->view, cn->view->self);
        if (self)
                cluster_view_node_free(cn->view, self, &nf);
        *ret = nf.free;
        return 0;
}

/* ---- Pacemaker ------------------------------------------------------------------------- */

/* Each run's outcome: logged when the state changes (a failure once, not at every try), and a
 * GetPrerequisites row while Pacemaker is in use here. */
static void on_pacemaker(void *userdata, const PacemakerStatus *st) {
        ClusterNode *cn = userdata;
        bool changed = cn->pacemaker_told != (int) st->state;
        bool capacity = cn->manager->config &&
                        cn->manager->config->settings.pacemaker_utilization == PACEMAKER_UTILIZATION_CAPACITY;

        note_list_clear(&cn->notes, "pacemaker");
        switch (st->state) {
        case PACEMAKER_PUBLISHED:
                if (changed)
                        log_info("Pacemaker: node %s's utilization attribute %s follows its %s (now %" PRIi64 ").",
                                 st->node, PACEMAKER_ATTRIBUTE, capacity ? "VF capacity for VMs" : "free VFs",
                                 st->published);
                else
                        log_debug("Pacemaker: %s = %" PRIi64 " on node %s.", PACEMAKER_ATTRIBUTE, st->published,
                                  st->node);
                note_list_add(&cn->notes, "pacemaker", st->node, PREREQ_PASSED, 0,
                              "Pacemaker's utilization attribute %s of node %s is %" PRIi64 ": %s.",
                              PACEMAKER_ATTRIBUTE, st->node, st->published,
                              capacity ? "this node's free VFs plus those of the VMs running here "
                                         "(pacemaker_utilization \"capacity\": Pacemaker subtracts the VM "
                                         "resources with utilization accelnet-vfs=1 that it runs here)"
                                       : "this node's free VFs (pacemaker_utilization \"free\"; for VM "
                                         "resources with utilization accelnet-vfs=1 use \"capacity\")");
                break;
        case PACEMAKER_FAILED:
                if (changed)
                        log_warning("Pacemaker: cannot write this node's utilization attribute %s: %s Tried again when "
                                    "the free VFs change, and after a pause.", PACEMAKER_ATTRIBUTE, st->error);
                note_list_add(&cn->notes, "pacemaker", PACEMAKER_ATTRIBUTE, PREREQ_WARNING, 0,
                              "Pacemaker runs here but its utilization attribute %s could not be written: %s "
                              "Check 'crm_mon -1' and 'crm_attribute --node NODE --name %s --query --utilization'.",
                              PACEMAKER_ATTRIBUTE, st->error, PACEMAKER_ATTRIBUTE);
                break;
        case PACEMAKER_NOT_RUNNING:
                if (changed)
                        log_info("Pacemaker does not run on this node (%s): its utilization attribute %s is written "
                                 "once it does.", st->error, PACEMAKER_ATTRIBUTE);
                break;
        case PACEMAKER_ABSENT:
                if (changed)
                        log_debug("Pacemaker is not installed (%s): no utilization attribute.", st->error);
                break;
        default:
                break;
        }
        cn->pacemaker_told = st->state;
}

int cluster_pacemaker_new(ClusterNode *cn) {
        PacemakerOptions o = { .callback = on_pacemaker, .userdata = cn };
        cn->pacemaker_told = -1;
        return pacemaker_new(cn->manager->event, &o, &cn->pacemaker);
}

/* VFs held by this node's running VMs: Pacemaker counts the VM resources it runs here
 * against the node's attribute itself. */
static unsigned running_vfs(const Manager *m) {
        unsigned n = 0;
        Vm *vm;
        HASHMAP_FOREACH(vm, m->vms)
                if (vm->has_record && vm->domain && vm->domain->active)
                        n++;
        return n;
}

void cluster_pacemaker_update(ClusterNode *cn) {
        Manager *m = cn->manager;
        unsigned value;

        /* Pacemaker runs on corosync: only in cluster mode */
        if (!cn->pacemaker || !cn->active || !m->config)
                return;
        if (m->config->settings.pacemaker_utilization == PACEMAKER_UTILIZATION_OFF) {
                /* not in use: no row, and a new start is logged again */
                note_list_clear(&cn->notes, "pacemaker");
                cn->pacemaker_told = -1;
                return;
        }
        if (cluster_node_own_free(cn, &value) < 0) {
                log_oom();
                return;
        }
        /* "capacity": what Pacemaker allocates VM resources with utilization accelnet-vfs=1
         * from; less the ones it runs here, that is the free VFs */
        if (m->config->settings.pacemaker_utilization == PACEMAKER_UTILIZATION_CAPACITY && m->enabled)
                value += running_vfs(m);
        pacemaker_set(cn->pacemaker, value);
}
