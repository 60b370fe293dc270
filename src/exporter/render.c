/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The metrics, Prometheus' naming: prefix accelnet_, base units (bytes, seconds, ratios),
 * _total for counters, one HELP and TYPE per family, every series of a family together, no
 * timestamps. Per node and tier, every node × tier is written (0 included), so that a series
 * does not vanish when its count drops to 0. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "render.h"
#include "shared/macro.h"
#include "shared/names.h"
#include "shared/tier.h"

/* Tiers from the highest, as accelnetctl lists them. */
static const Tier tiers[] = { TIER_HIGH, TIER_MEDIUM, TIER_LOW };

static bool is_waiting(const VmRow *v) {
        return v->note && strncmp(v->note, ACCELNET_NOTE_WAITING, strlen(ACCELNET_NOTE_WAITING)) == 0;
}

static bool vm_holds_vf(const VmRow *v) {
        return streq_ptr(v->state, ACCELNET_VM_STATE_ENABLED) && !isempty(v->vf);
}

static bool vm_on_node(const VmRow *v, const NodeRow *n) {
        return streq_ptr(v->node, n->name);
}

/* The VM holding VF `address` on this node (NULL: none). */
static const char *vf_owner(const Snapshot *s, const char *address) {
        for (size_t i = 0; i < s->n_vms; i++)
                if (vm_holds_vf(&s->vms[i]) && streq_ptr(s->vms[i].node, s->node_name) &&
                    streq_ptr(s->vms[i].vf, address))
                        return s->vms[i].name;
        return NULL;
}

static void render_daemon(const Snapshot *s, Expo *e) {
        expo_family(e, "accelnet_management_enabled", "gauge",
                    "Whether management is enabled (1) on the intent named by the label, or not (0).");
        expo_u64(e, "accelnet_management_enabled", s->enabled, "intent", strempty(s->intent), NULL);
        expo_family(e, "accelnet_node_reserve_ratio", "gauge",
                    "The node reserve (NodeReservePercentage / 100): the share held back for failover and migration.");
        expo_double(e, "accelnet_node_reserve_ratio", s->reserve / 100.0, NULL);
        expo_family(e, "accelnet_hyperthreading_enabled", "gauge",
                    "Whether hyperthreading is on (1) or off or unknown (0); it sets the tiers' minimum vCPUs.");
        expo_u64(e, "accelnet_hyperthreading_enabled", s->hyperthreading, NULL);
        expo_family(e, "accelnet_capacity_vfs", "gauge",
                    "VFs on the intent's supported adapters (CapacityVFs; over the cluster in cluster mode).");
        expo_u64(e, "accelnet_capacity_vfs", s->capacity, NULL);
        expo_family(e, "accelnet_usable_vfs", "gauge", "VFs that may be assigned, the node reserve taken off (UsableVFs).");
        expo_u64(e, "accelnet_usable_vfs", s->usable, NULL);
        expo_family(e, "accelnet_assigned_vfs", "gauge", "VFs assigned to VMs (AssignedVFs).");
        expo_u64(e, "accelnet_assigned_vfs", s->assigned, NULL);
}

static void render_nodes(const Snapshot *s, Expo *e) {
        char id[16];
        static const struct {
                const char *name, *help;
                size_t offset;
        } counts[] = {
                { "accelnet_node_capacity_vfs", "VFs of the intent's usable adapters on the node (ListNodes).",
                  offsetof(NodeRow, capacity) },
                { "accelnet_node_usable_vfs", "The node's share of the usable VFs (ListNodes).", offsetof(NodeRow, usable) },
                { "accelnet_node_assigned_vfs", "VFs assigned to VMs on the node (ListNodes).", offsetof(NodeRow, assigned) },
        };

        expo_family(e, "accelnet_node_up", "gauge", "Whether the node is a member of the cluster now (1) or lost (0).");
        for (size_t i = 0; i < s->n_nodes; i++) {
                snprintf(id, sizeof id, "%" PRIu32, s->nodes[i].id);
                expo_u64(e, "accelnet_node_up", s->nodes[i].member, "node_id", id, "node", s->nodes[i].name, NULL);
        }
        for (size_t c = 0; c < ELEMENTSOF(counts); c++) {
                expo_family(e, counts[c].name, "gauge", counts[c].help);
                for (size_t i = 0; i < s->n_nodes; i++) {
                        snprintf(id, sizeof id, "%" PRIu32, s->nodes[i].id);
                        uint32_t v = *(const uint32_t *) ((const char *) &s->nodes[i] + counts[c].offset);
                        expo_u64(e, counts[c].name, v, "node_id", id, "node", s->nodes[i].name, NULL);
                }
        }

        if (s->has_node_capacity) {
                expo_family(e, "accelnet_node_free_vfs", "gauge",
                            "VFs a VM arriving on the node (failover, migration) could get there now, reserve included "
                            "(ListNodeCapacity).");
                for (size_t i = 0; i < s->n_nodes; i++)
                        if (s->nodes[i].has_free) {
                                snprintf(id, sizeof id, "%" PRIu32, s->nodes[i].id);
                                expo_u64(e, "accelnet_node_free_vfs", s->nodes[i].free, "node_id", id, "node",
                                         s->nodes[i].name, NULL);
                        }
                expo_family(e, "accelnet_node_tier_free_vfs", "gauge",
                            "Free VFs on the node that can serve the tier (ListNodeCapacity; NUMA not counted).");
                for (size_t i = 0; i < s->n_nodes; i++) {
                        const NodeRow *n = &s->nodes[i];
                        if (!n->has_free)
                                continue;
                        snprintf(id, sizeof id, "%" PRIu32, n->id);
                        const uint32_t v[] = { n->free_high, n->free_medium, n->free_low };
                        for (size_t t = 0; t < ELEMENTSOF(tiers); t++)
                                expo_u64(e, "accelnet_node_tier_free_vfs", v[t], "node_id", id, "node", n->name, "tier",
                                         tier_to_string(tiers[t]), NULL);
                }
        }

        /* From the VMs: per node and tier, those holding a VF and those waiting for one. */
        static const struct {
                const char *name, *help;
                bool waiting;
        } vm_counts[] = {
                { "accelnet_node_tier_assigned_vfs", "VFs assigned to VMs of the tier on the node (ListClusterVMs).", false },
                { "accelnet_waiting_vms",
                  "Accelerated VMs of the tier on the node that found no free VF and run on virtio until one frees.", true },
        };
        for (size_t c = 0; c < ELEMENTSOF(vm_counts); c++) {
                expo_family(e, vm_counts[c].name, "gauge", vm_counts[c].help);
                for (size_t i = 0; i < s->n_nodes; i++) {
                        snprintf(id, sizeof id, "%" PRIu32, s->nodes[i].id);
                        for (size_t t = 0; t < ELEMENTSOF(tiers); t++) {
                                const char *tier = tier_to_string(tiers[t]);
                                uint64_t k = 0;
                                for (size_t v = 0; v < s->n_vms; v++) {
                                        const VmRow *vm = &s->vms[v];
                                        if (!vm_on_node(vm, &s->nodes[i]) || !streq_ptr(vm->performance, tier))
                                                continue;
                                        if (vm_counts[c].waiting ? is_waiting(vm) : vm_holds_vf(vm))
                                                k++;
                                }
                                expo_u64(e, vm_counts[c].name, k, "node_id", id, "node", s->nodes[i].name, "tier", tier,
                                         NULL);
                        }
                }
        }

        expo_family(e, "accelnet_vms", "gauge", "libvirt domains on the node, accelerated (enabled) or not (disabled).");
        for (size_t i = 0; i < s->n_nodes; i++) {
                snprintf(id, sizeof id, "%" PRIu32, s->nodes[i].id);
                uint64_t en = 0, dis = 0;
                for (size_t v = 0; v < s->n_vms; v++)
                        if (vm_on_node(&s->vms[v], &s->nodes[i])) {
                                if (streq_ptr(s->vms[v].state, ACCELNET_VM_STATE_ENABLED))
                                        en++;
                                else
                                        dis++;
                        }
                expo_u64(e, "accelnet_vms", en, "node_id", id, "node", s->nodes[i].name, "state",
                         ACCELNET_VM_STATE_ENABLED, NULL);
                expo_u64(e, "accelnet_vms", dis, "node_id", id, "node", s->nodes[i].name, "state",
                         ACCELNET_VM_STATE_DISABLED, NULL);
        }
}

static void render_adapters(const Snapshot *s, Expo *e) {
        static const struct {
                const char *name, *help;
                size_t offset;
        } counts[] = {
                { "accelnet_adapter_total_vfs", "The adapter's TotalVFs (as the kernel caps it).",
                  offsetof(AdapterRow, total_vfs) },
                { "accelnet_adapter_enabled_vfs", "VFs enabled on the adapter (sriov_numvfs).",
                  offsetof(AdapterRow, enabled_vfs) },
                { "accelnet_adapter_assigned_vfs", "VFs of the adapter assigned to VMs.", offsetof(AdapterRow, assigned_vfs) },
        };

        expo_family(e, "accelnet_adapter_info", "gauge",
                    "One per SR-IOV adapter (PF) of this host: its driver and SR-IOV support verdict.");
        for (size_t i = 0; i < s->n_adapters; i++) {
                const AdapterRow *a = &s->adapters[i];
                expo_u64(e, "accelnet_adapter_info", 1, "pf", a->ifname, "pf_address", a->address, "driver", a->driver,
                         "verdict", a->verdict, NULL);
        }
        for (size_t c = 0; c < ELEMENTSOF(counts); c++) {
                expo_family(e, counts[c].name, "gauge", counts[c].help);
                for (size_t i = 0; i < s->n_adapters; i++) {
                        const AdapterRow *a = &s->adapters[i];
                        uint32_t v = *(const uint32_t *) ((const char *) a + counts[c].offset);
                        expo_u64(e, counts[c].name, v, "pf", a->ifname, "pf_address", a->address, NULL);
                }
        }
        expo_family(e, "accelnet_adapter_vf_stats_up", "gauge",
                    "Whether the VF counters of the adapter could be read over rtnetlink in this scrape (1) or not (0).");
        for (size_t i = 0; i < s->n_adapters; i++) {
                const AdapterRow *a = &s->adapters[i];
                if (a->vf_read || a->vf_error < 0)
                        expo_u64(e, "accelnet_adapter_vf_stats_up", a->vf_error >= 0, "pf", a->ifname, "pf_address",
                                 a->address, NULL);
        }
}

static void render_vfs(const Snapshot *s, Expo *e) {
        static const struct {
                const char *name, *help;
                size_t offset;
        } counters[] = {
                { "accelnet_vf_receive_bytes_total", "Bytes the VF received (IFLA_VF_STATS).", offsetof(VfStats, rx_bytes) },
                { "accelnet_vf_transmit_bytes_total", "Bytes the VF sent.", offsetof(VfStats, tx_bytes) },
                { "accelnet_vf_receive_packets_total", "Packets the VF received.", offsetof(VfStats, rx_packets) },
                { "accelnet_vf_transmit_packets_total", "Packets the VF sent.", offsetof(VfStats, tx_packets) },
                { "accelnet_vf_receive_broadcast_packets_total", "Broadcast packets the VF received.",
                  offsetof(VfStats, broadcast) },
                { "accelnet_vf_receive_multicast_packets_total", "Multicast packets the VF received.",
                  offsetof(VfStats, multicast) },
                { "accelnet_vf_receive_drop_total", "Received packets of the VF that were dropped.",
                  offsetof(VfStats, rx_dropped) },
                { "accelnet_vf_transmit_drop_total", "Packets the VF sent that were dropped.", offsetof(VfStats, tx_dropped) },
        };
        char idx[16];

        for (size_t c = 0; c < ELEMENTSOF(counters); c++) {
                expo_family(e, counters[c].name, "counter", counters[c].help);
                for (size_t i = 0; i < s->n_adapters; i++) {
                        const AdapterRow *a = &s->adapters[i];
                        for (size_t k = 0; k < a->n_vfs; k++) {
                                const VfRow *v = &a->vfs[k];
                                uint64_t val = *(const uint64_t *) ((const char *) &v->stats + counters[c].offset);
                                snprintf(idx, sizeof idx, "%" PRIu32, v->index);
                                expo_u64(e, counters[c].name, val, "pf", a->ifname, "vf", idx, "vf_address", v->address,
                                         "vm", strempty(vf_owner(s, v->address)), NULL);
                        }
                }
        }
}

static void render_health(const Snapshot *s, Expo *e) {
        static const char *const states[] = { "Healthy", "Degraded", "Failed" };

        expo_family(e, "accelnet_adapter_health", "gauge",
                    "The adapter's health as accelnetd judges it: 1 for its state, 0 for the others (GetHealth).");
        for (size_t i = 0; i < s->n_health; i++)
                for (size_t k = 0; k < ELEMENTSOF(states); k++)
                        expo_u64(e, "accelnet_adapter_health", streq_ptr(s->health[i].state, states[k]), "pf",
                                 s->health[i].ifname, "pf_address", s->health[i].address, "state", states[k], NULL);
        expo_family(e, "accelnet_adapter_quarantined", "gauge",
                    "Whether accelnetd hands out no VF of the adapter (1) until it is healthy again.");
        for (size_t i = 0; i < s->n_health; i++)
                expo_u64(e, "accelnet_adapter_quarantined", s->health[i].quarantined, "pf", s->health[i].ifname,
                         "pf_address", s->health[i].address, NULL);
        expo_family(e, "accelnet_adapter_health_reasons", "gauge",
                    "Reasons accelnetd gives for the adapter's state (accelnetctl shows them with their remedies).");
        for (size_t i = 0; i < s->n_health; i++)
                expo_u64(e, "accelnet_adapter_health_reasons", s->health[i].n_reasons, "pf", s->health[i].ifname,
                         "pf_address", s->health[i].address, NULL);
}

static void render_operations(const Snapshot *s, Expo *e) {
        char le[32];

        expo_family(e, "accelnet_operations_total", "counter",
                    "Operations of the kind that ended since accelnetd started (GetOperationStats).");
        for (size_t i = 0; i < s->n_ops; i++)
                expo_u64(e, "accelnet_operations_total", s->ops[i].count, "kind", s->ops[i].kind, NULL);
        expo_family(e, "accelnet_operation_failures_total", "counter",
                    "Operations of the kind whose caller was told an error.");
        for (size_t i = 0; i < s->n_ops; i++)
                expo_u64(e, "accelnet_operation_failures_total", s->ops[i].failures, "kind", s->ops[i].kind, NULL);
        expo_family(e, "accelnet_operation_duration_seconds", "histogram",
                    "How long callers waited for an operation of the kind: from the request to the reply, the outcome saved.");
        for (size_t i = 0; i < s->n_ops; i++) {
                const OpRow *o = &s->ops[i];
                for (size_t b = 0; b < o->n_buckets; b++)
                        expo_u64(e, "accelnet_operation_duration_seconds_bucket", o->bucket[b], "kind", o->kind, "le",
                                 expo_format_double(o->le[b], le), NULL);
                expo_u64(e, "accelnet_operation_duration_seconds_bucket", o->count, "kind", o->kind, "le", "+Inf", NULL);
                expo_double(e, "accelnet_operation_duration_seconds_sum", o->sum_seconds, "kind", o->kind, NULL);
                expo_u64(e, "accelnet_operation_duration_seconds_count", o->count, "kind", o->kind, NULL);
        }
}

void render_metrics(const Snapshot *s, const char *version, Expo *e) {
        expo_family(e, "accelnet_up", "gauge", "Whether accelnetd answered on the bus in this scrape (1) or not (0).");
        expo_u64(e, "accelnet_up", s->up, NULL);
        expo_family(e, "accelnet_info", "gauge",
                    "accelnet's version (accelnet-exporter's) and accelnetd's (\"\" when it did not answer); always 1.");
        expo_u64(e, "accelnet_info", 1, "version", version, "daemon_version", strempty(s->version), NULL);
        if (!s->up)
                return;
        render_daemon(s, e);
        render_nodes(s, e);
        render_adapters(s, e);
        render_vfs(s, e);
        if (s->has_health)
                render_health(s, e);
        if (s->has_ops)
                render_operations(s, e);
}
