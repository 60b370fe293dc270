/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The read views of org.accelnet1.Manager added by issue 14 (all open to every caller):
 * ExplainVM, ListVMsEx, ListAdaptersEx and ListVFs. Their model is the daemon's
 * (explain.c, vm.c, pf.c); the VF values come through src/sriov (the netlink VF list with
 * IFLA_VF_STATS, the same reader the exporter uses). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "bus-api.h"
#include "bus-error.h"
#include "daemon/cluster-node.h"
#include "daemon/explain.h"
#include "daemon/pf.h"
#include "daemon/vm.h"
#include "policy/prereq.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strutil.h"
#include "sriov/numvfs.h"
#include "sriov/vfpolicy.h"

/* ---- ExplainVM ------------------------------------------------------------------------- */

static int fill_explain(sd_bus_message *reply, void *userdata) {
        NoteList *l = userdata;
        BusText t = {};
        int r = 0;
        for (size_t i = 0; r >= 0 && i < l->n; i++)
                r = sd_bus_message_append(reply, "(sss)", l->v[i].check, prereq_result_to_string(l->v[i].result),
                                          bus_text(&t, l->v[i].detail));
        bus_text_done(&t);
        return r;
}

int method_explain_vm(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = ((BusApi *) userdata)->manager;
        AnStatus st = AN_STATUS_OK;
        NoteList rows = {};
        const char *vm, *perf;
        int r;

        r = sd_bus_message_read(msg, "ss", &vm, &perf);
        if (r < 0)
                return r;
        if (manager_explain_vm(m, vm, perf, &rows, &st) < 0)
                return bus_error_from_status(error, &st);
        r = bus_reply_array(msg, "(sss)", fill_explain, &rows);
        note_list_clear(&rows, NULL);
        return r;
}

/* ---- ListVMsEx ------------------------------------------------------------------------- */

typedef struct VmExRows {
        Manager *manager;
        sd_bus_message *reply;
        BusText text;
        const char *self;
        int r;
} VmExRows;

static int append_entry(sd_bus_message *reply, const char *key, const char *type, ...) {
        va_list ap;
        int r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", key);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'v', type);
        if (r >= 0) {
                va_start(ap, type);
                r = sd_bus_message_appendv(reply, type, ap);
                va_end(ap);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

/* "eligible_tiers": as, the tier names of the mask (vm_eligible_tiers), Low first. */
static int append_eligible_tiers(sd_bus_message *reply, unsigned mask) {
        int r = sd_bus_message_open_container(reply, 'e', "sv");
        if (r >= 0)
                r = sd_bus_message_append(reply, "s", "eligible_tiers");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'v', "as");
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "s");
        for (Tier k = 0; r >= 0 && k < _TIER_MAX; k++)
                if (mask & (1u << k))
                        r = sd_bus_message_append(reply, "s", tier_to_string(k));
        for (int i = 0; r >= 0 && i < 3; i++)
                r = sd_bus_message_close_container(reply);
        return r;
}

static void append_vm_ex(VmExRows *rows, const Vm *vm, const char *node, const ClusterVm *remote) {
        sd_bus_message *reply = rows->reply;
        BusText *t = &rows->text;
        VmRow row;
        int r;

        if (rows->r < 0)
                return;
        if (vm && !vm_row(vm, &row))
                return;
        if (remote)
                row = (VmRow){ .state = remote->state, .performance = remote->performance, .vf = remote->vf,
                               .note = remote->note };
        r = sd_bus_message_open_container(reply, 'r', "sssssa{sv}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "sssss", bus_text(t, vm ? vm->name : remote->name), strempty(row.state),
                                          strempty(row.performance), strempty(row.vf), bus_text(t, row.note));
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = append_entry(reply, "node", "s", bus_text(t, node));
        if (r >= 0 && vm && vm->domain) {
                VmFacts f;
                char mac[18];
                unsigned vlan;
                vm_facts(vm, &f, mac, &vlan);
                int vf_node = vm->has_record && vm->slot ? vm->slot->pf->numa_node : -1;
                const char *local = f.numa_node < 0 || vf_node < 0 ? "unknown" : f.numa_node == vf_node ? "yes" : "no";
                r = append_entry(reply, "power", "s", vm_running(vm) ? "running" : "shut off");
                if (r >= 0)
                        r = append_entry(reply, "vcpus", "u", (uint32_t) f.vcpus);
                if (r >= 0)
                        r = append_entry(reply, "numa_node", "i", (int32_t) f.numa_node);
                if (r >= 0)
                        r = append_entry(reply, "vf_numa_node", "i", (int32_t) vf_node);
                if (r >= 0)
                        r = append_entry(reply, "numa_local", "s", local);
                if (r >= 0)
                        r = append_entry(reply, "pf", "s", vm->has_record ? vm->record.pf : "");
                if (r >= 0)
                        r = append_entry(reply, "mac", "s", mac);
                if (r >= 0)
                        r = append_entry(reply, "waiting_since", "t", (uint64_t) (vm_waiting(vm) ? vm->waiting_since : 0));
                if (r >= 0)
                        r = append_entry(reply, "revoked_since", "t", (uint64_t) vm->revoked_since);
                if (r >= 0)
                        r = append_eligible_tiers(reply, vm_eligible_tiers(vm));
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        rows->r = r;
}

static void append_remote_vm_ex(const char *node, const ClusterVm *vm, void *userdata) {
        append_vm_ex(userdata, NULL, node, vm);
}

static int fill_vms_ex(sd_bus_message *reply, void *userdata) {
        Manager *m = userdata;
        _cleanup_free_ char *self = cluster_node_own_name(m->cluster);
        VmExRows rows = { .manager = m, .reply = reply, .self = self };
        Vm **v = NULL;
        size_t n = 0;

        rows.r = manager_sorted_vms(m, &v, &n);
        for (size_t i = 0; rows.r >= 0 && i < n; i++)
                append_vm_ex(&rows, v[i], strempty(self), NULL);
        cluster_node_foreach_remote_vm(m->cluster, append_remote_vm_ex, &rows);
        bus_text_done(&rows.text);
        return rows.r;
}

int method_list_vms_ex(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_reply_array(msg, "(sssssa{sv})", fill_vms_ex, ((BusApi *) userdata)->manager);
}

/* ---- ListAdapters, ListAdaptersEx -------------------------------------------------------- */

/* The intents that name the adapter (by netdev name or PCI address), comma-separated. */
static char *adapter_intents(const Manager *m, const PfFacts *f) {
        StrBuf b = {};
        for (size_t i = 0; m->config && i < m->config->n_intents; i++) {
                const Intent *in = &m->config->intents[i];
                for (size_t k = 0; k < in->n_adapters; k++)
                        if (streq_ptr(in->adapters[k], f->address) || streq_ptr(in->adapters[k], f->ifname)) {
                                strbuf_appendf(&b, "%s%s", b.len ? "," : "", in->name);
                                break;
                        }
        }
        char *s = strbuf_steal(&b);
        return s ? s : strdup("");
}

int bus_append_adapter(sd_bus_message *reply, Manager *m, size_t i, bool ex, BusText *t) {
        const PfFacts *f = &m->host->adapters[i];
        const Pf *pf = manager_find_pf(m, f->address);
        uint32_t assigned = 0;
        int r;

        for (size_t k = 0; pf && k < pf->n_slots; k++)
                if (pf->slots[k].owner)
                        assigned++;
        r = sd_bus_message_open_container(reply, 'r', ex ? "ssssuuua{sv}" : "ssssuuu");
        if (r >= 0)
                r = sd_bus_message_append(reply, "ssssuuu", f->address, bus_text(t, f->ifname), bus_text(t, f->driver),
                                          sriov_support_to_string(m->prereq->verdicts[i]),
                                          /* the kernel's TotalVFs (drivers may cap the capability's, e.g. igb 8 → 7) */
                                          (uint32_t) (f->sysfs_sriov ? f->sysfs_total_vfs : f->total_vfs),
                                          (uint32_t) f->sysfs_num_vfs, assigned);
        if (r >= 0 && ex) {
                _cleanup_free_ char *intents = adapter_intents(m, f);
                bool watched = pf && pf->health_ready;
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
                if (r >= 0)
                        r = append_entry(reply, "numa_node", "i", (int32_t) f->numa_node);
                if (r >= 0)
                        r = append_entry(reply, "speed_mbps", "u",
                                         (uint32_t) (f->link_speed_mbps > 0 && f->link_speed_mbps <= UINT32_MAX
                                                             ? f->link_speed_mbps : 0));
                if (r >= 0)
                        r = append_entry(reply, "vendor", "s", bus_text(t, f->vendor_name));
                if (r >= 0)
                        r = append_entry(reply, "model", "s", bus_text(t, f->device_name));
                if (r >= 0)
                        r = append_entry(reply, "intent", "s", bus_text(t, intents));
                if (r >= 0)
                        r = append_entry(reply, "health", "s",
                                         health_state_to_string(watched ? pf->health.state : HEALTH_HEALTHY));
                if (r >= 0)
                        r = append_entry(reply, "quarantined", "b", (int) (watched && pf->health.quarantined));
                if (r >= 0)
                        r = append_entry(reply, "drained", "b",
                                         (int) (pf && (pf->revoked & (1u << PF_REVOKE_ADMIN_DRAIN))));
                if (r >= 0)
                        r = append_entry(reply, "in_use", "b", (int) (pf && pf->planned));
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

static int fill_adapters_ex(sd_bus_message *reply, void *userdata) {
        Manager *m = userdata;
        BusText t = {};
        int r = 0;
        for (size_t i = 0; r >= 0 && i < m->host->n_adapters; i++)
                r = bus_append_adapter(reply, m, i, true, &t);
        bus_text_done(&t);
        return r;
}

int method_list_adapters_ex(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        return bus_reply_array(msg, "(ssssuuua{sv})", fill_adapters_ex, ((BusApi *) userdata)->manager);
}

/* ---- ListVFs ----------------------------------------------------------------------------- */

typedef struct VfFill {
        Manager *manager;
        const PfFacts *only;   /* NULL: every adapter with VFs */
        AnStatus st;           /* a read failure of `only` */
} VfFill;

static int append_vf(sd_bus_message *reply, Manager *m, const PfFacts *f, const VfInfo *v, BusText *t) {
        char addr[PCI_ADDR_STRLEN] = "";
        if (pf_vf_address(m->root, f->address, v->index, addr) < 0)
                addr[0] = 0;
        const VfSlot *s = addr[0] ? manager_find_slot(m, addr) : NULL;
        const char *owner = s && s->owner ? s->owner->name : s && s->stray ? s->stray : "";
        int r = sd_bus_message_open_container(reply, 'r', "ssua{sv}");
        if (r >= 0)
                r = sd_bus_message_append(reply, "ssu", bus_text(t, f->ifname), addr, v->index);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r >= 0)
                r = append_entry(reply, "mac", "s", v->mac);
        if (r >= 0)
                r = append_entry(reply, "vlan", "u", v->vlan);
        if (r >= 0)
                r = append_entry(reply, "qos", "u", v->qos);
        if (r >= 0 && v->spoofchk >= 0)
                r = append_entry(reply, "spoof_check", "b", v->spoofchk);
        if (r >= 0 && v->trust >= 0)
                r = append_entry(reply, "trust", "b", v->trust);
        if (r >= 0)
                r = append_entry(reply, "min_tx_rate", "u", v->min_tx_rate);
        if (r >= 0)
                r = append_entry(reply, "max_tx_rate", "u", v->max_tx_rate);
        if (r >= 0)
                r = append_entry(reply, "link_state", "s",
                                 v->link_state >= 0 ? strempty(vf_link_state_to_string(v->link_state)) : "");
        if (r >= 0)
                r = append_entry(reply, "owner", "s", bus_text(t, owner));
        const struct {
                const char *key;
                uint64_t value;
        } counters[] = {
                { "rx_bytes", v->stats.rx_bytes },     { "tx_bytes", v->stats.tx_bytes },
                { "rx_packets", v->stats.rx_packets }, { "tx_packets", v->stats.tx_packets },
                { "rx_dropped", v->stats.rx_dropped }, { "tx_dropped", v->stats.tx_dropped },
                { "broadcast", v->stats.broadcast },   { "multicast", v->stats.multicast },
        };
        for (size_t k = 0; r >= 0 && v->has_stats && k < ELEMENTSOF(counters); k++)
                r = append_entry(reply, counters[k].key, "t", counters[k].value);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        return r;
}

/* The VFs of one adapter as its PF reports them (rtnetlink IFLA_VF_INFO with IFLA_VF_STATS,
 * or the simulated host's). */
static int read_vfs(Manager *m, const PfFacts *f, VfInfo **ret, size_t *ret_n, AnStatus *st) {
        *ret = NULL;
        *ret_n = 0;
        if (isempty(f->ifname) || f->sysfs_num_vfs == 0)
                return 0;
        int r = vf_netlink_list_stats(m->nl, f->ifname, ret, ret_n);
        if (r < 0)
                return an_status_set(st, r, "Reading the VFs of %s (%s) failed: %s", f->ifname, f->address,
                                     strerror(-r));
        return 0;
}

static int fill_vfs(sd_bus_message *reply, void *userdata) {
        VfFill *fill = userdata;
        Manager *m = fill->manager;
        BusText t = {};
        int r = 0;

        for (size_t i = 0; r >= 0 && i < m->host->n_adapters; i++) {
                const PfFacts *f = &m->host->adapters[i];
                _cleanup_free_ VfInfo *v = NULL;
                size_t n = 0;
                AnStatus st = AN_STATUS_OK;
                if (fill->only && fill->only != f)
                        continue;
                if (read_vfs(m, f, &v, &n, &st) < 0) {
                        log_debug("ListVFs: %s", st.message); /* all: an adapter that cannot be read is left out */
                        continue;
                }
                for (size_t k = 0; r >= 0 && k < n; k++)
                        r = append_vf(reply, m, f, &v[k], &t);
        }
        bus_text_done(&t);
        return r;
}

int method_list_vfs(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = ((BusApi *) userdata)->manager;
        VfFill fill = { .manager = m };
        const char *name;
        int r;

        r = sd_bus_message_read(msg, "s", &name);
        if (r < 0)
                return r;
        if (!isempty(name)) {
                for (size_t i = 0; i < m->host->n_adapters && !fill.only; i++) {
                        const PfFacts *f = &m->host->adapters[i];
                        if (streq(f->address, name) || streq_ptr(f->ifname, name))
                                fill.only = f;
                }
                if (!fill.only) {
                        AnStatus st = AN_STATUS_OK;
                        an_status_set(&st, -AN_ERROR_ADAPTER_NOT_FOUND,
                                      "No adapter '%.256s' on this host ('accelnetctl adapters' lists them, by PCI "
                                      "address and netdev name).", name);
                        return bus_error_from_status(error, &st);
                }
                /* one adapter asked for: a failed read is the answer, not an empty list */
                _cleanup_free_ VfInfo *v = NULL;
                size_t n = 0;
                AnStatus st = AN_STATUS_OK;
                if (read_vfs(m, fill.only, &v, &n, &st) < 0)
                        return bus_error_from_status(error, &st);
        }
        return bus_reply_array(msg, "(ssua{sv})", fill_vfs, &fill);
}
