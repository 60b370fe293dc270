/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Manager owns everything: the event loop, libpci, the host facts, the configuration,
 * the management settings, the adapters (Pf, pf.h) and the VMs (Vm, vm.h), the libvirt
 * connection and the operations in flight (operation.h). It knows nothing of D-Bus: the
 * bus layer (src/api) calls the model functions below with a Completion, and is told of
 * changes through ManagerNotify, wired in main.
 *
 * Persistence: model code marks what changed (manager_dirty()); once per loop iteration a
 * post handler saves state.json, emits the changed properties and VM signals, starts the
 * operations whose write-ahead record is now on disk, and replies to the operations whose
 * outcome is now on disk. A state folder that cannot be written makes the daemon refuse
 * every change (reads keep working) until a save succeeds again. */

#include <stdbool.h>
#include <systemd/sd-event.h>

#include "policy/admission.h"
#include "policy/config.h"
#include "policy/prereq.h"
#include "opstats.h"
#include "policy/state.h"
#include "shared/anerror.h"
#include "shared/hashmap.h"
#include "shared/hostfacts.h"
#include "sriov/backend.h"

#define MANAGER_REFRESH_USEC (30ULL * 1000000ULL)
#define MANAGER_SYNC_USEC (200ULL * 1000ULL)
#define MANAGER_SAVE_RETRY_USEC (5ULL * 1000000ULL)
#define MANAGER_POLICY_RETRY_USEC (3ULL * 1000000ULL)
#define MANAGER_POLICY_RETRIES 20u
#define MANAGER_JOURNAL_MAX_LINES 4096u
#define RESERVE_KEEP UINT32_MAX

typedef struct PciAccess PciAccess;
typedef struct Operation Operation;
typedef struct VirtConn VirtConn;
typedef struct VfNetlink VfNetlink;
typedef struct Pf Pf;
typedef struct Vm Vm;
typedef struct VfSlot VfSlot;
typedef struct ClusterNode ClusterNode;
typedef struct Servicing Servicing;
typedef struct PfMonitor PfMonitor;

/* The outcome of a model call: r >= 0 success; r < 0 a negative errno or -AN_ERROR_*;
 * message is what the caller should be told (names the bad value, the remedy). */
typedef struct AnStatus {
        int r;
        char message[1024];
} AnStatus;

int an_status_set(AnStatus *s, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define AN_STATUS_OK ((AnStatus){ .r = 0 })

/* Who is waiting for the outcome of a model call: called exactly once, possibly before the
 * model function returns. The bus layer's completion replies to its message. */
typedef void (*CompletionFn)(void *userdata, const AnStatus *status);
typedef struct Completion {
        CompletionFn fn;
        void *userdata;
} Completion;
#define COMPLETION_NONE ((Completion){})
void completion_done(Completion *c, const AnStatus *st);
void completion_fail(Completion *c, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* How the Manager tells the outside (the bus layer) that something changed. */
typedef struct ManagerNotify {
        /* names: NULL-terminated list of the properties whose value changed */
        void (*properties_changed)(void *userdata, char **names);
        /* "enabled", "disabled", "started", "stopped", "released", "waiting", "revoked" */
        void (*vm_changed)(void *userdata, const char *vm, const char *state);
        /* servicing: `done` of the `total` VFs of the PF (its PCI address) revoked so far */
        void (*drain_progress)(void *userdata, const char *pf, unsigned done, unsigned total);
        /* provisioning: the PF (its PCI address) gets `total` VFs; `done` of them are created
         * (0 when its sriov_numvfs write starts, total when it is done) */
        void (*provision_progress)(void *userdata, const char *pf, unsigned done, unsigned total);
        /* a PF's health state ("Healthy", "Degraded", "Failed") or quarantine changed */
        void (*health_changed)(void *userdata, const char *pf, const char *state, bool quarantined);
        void *userdata;
} ManagerNotify;

/* Extra rows for GetPrerequisites beyond the engine's: config problems, state recovery,
 * adapters skipped by the intent, provisioning, reconcile findings. */
typedef struct Note {
        char *check, *subject, *detail;
        PrereqResult result;
        AnError code;
} Note;

typedef struct NoteList {
        Note *v;
        size_t n;
} NoteList;

void note_list_add(NoteList *l, const char *check, const char *subject, PrereqResult result, AnError code,
                   const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Drops the notes of one check ("config", "libvirt", ...), or all with NULL. */
void note_list_clear(NoteList *l, const char *check);

typedef struct ManagerOptions {
        const char *root;          /* "/" */
        const char *config_dir;    /* /etc/accelnet */
        const char *state_dir;     /* /var/lib/accelnet */
        const char *libvirt_uri;   /* qemu:///system */
        const SriovBackend *backend; /* the kernel's, or the simulation's (--simulate) */
} ManagerOptions;

typedef enum DirtyFlags {
        DIRTY_STATE = 1 << 0,      /* state.json must be written */
        DIRTY_PROPERTIES = 1 << 1, /* published properties may have changed */
        DIRTY_VFS = 1 << 2,        /* VF slots must be rebuilt from sysfs */
        DIRTY_HANDOUT = 1 << 3,    /* a VF may have freed, or a VM's setting or domain changed: the
                                    * waiting VMs are served (manager_hand_out) */
        DIRTY_SERVICING = 1 << 4,  /* an adapter or a VM was revoked or restored: its VFs are
                                    * revoked or given back (servicing.h) */
} DirtyFlags;

typedef struct Manager {
        sd_event *event;
        sd_event_source *post_source;    /* the once-per-iteration handler */
        sd_event_source *sync_timer;     /* fsync of state.json, coalesced */
        sd_event_source *save_retry_timer;
        sd_event_source *refresh_timer;
        sd_event_source *policy_timer;   /* VF policies that took only in part, tried again */
        ManagerNotify notify;
        const SriovBackend *backend;

        char *root, *config_dir, *state_dir, *libvirt_uri;

        PciAccess *pacc;
        HostFacts *host;
        PrereqReport *prereq;
        Config *config;

        /* Management (persistent): DESIGN §2. */
        bool enabled;
        char *intent;
        unsigned reserve;

        Pf **pfs;                  /* one per adapter of the host or of the plan */
        size_t n_pfs;
        Hashmap *vf_slots;         /* VF PCI address → VfSlot (of every Pf) */
        Hashmap *vms;              /* domain name → Vm */
        Vm **vms_sorted;           /* cache for listings; NULL when stale */
        size_t n_vms_sorted;

        /* libvirt */
        VirtConn *virt;            /* NULL until the first connection */
        sd_event_source *virt_connect_timer;
        uint64_t virt_retry_usec;
        char *libvirt_version;
        bool domains_known;        /* every domain read since the last (re)connect */
        VfNetlink *nl;             /* the loop thread's VF netlink handle */

        /* operations */
        Operation *ops;            /* every operation that has not replied yet */
        struct WorkerPool *pool;   /* the threads that run their work */
        unsigned n_running;        /* of which in a worker thread */
        Operation *management_op;  /* Enable/Set/Disable/provisioning in flight */
        OpStats op_stats;          /* the operations that ended, per kind (opstats.h) */

        /* persistence: state.json written whole now and then, every save in between an
         * append of what changed to state.journal (policy/state-journal.c) */
        StateJournal *journal;
        uint64_t saved_plan_hash;  /* of the plan as last written */
        uint64_t saved_waiting_hash; /* of the waiting VMs as last written */
        uint64_t saved_servicing_hash; /* of the drained adapters and VM services as last written */
        char **dropped;            /* records written once, of Vms since freed: "drop" lines */
        size_t n_dropped;
        bool compact_wanted;       /* the next save writes state.json whole */
        unsigned dirty;            /* DirtyFlags */
        int save_error;            /* 0, or -errno of the last failed save */
        bool reconcile_wanted;     /* a full reconcile after this iteration */

        NoteList notes;            /* config, state, libvirt, state folder */
        NoteList plan_notes;       /* adapters of the intent that were skipped, provisioning */
        NoteList drift;            /* the last reconcile's findings */

        ClusterNode *cluster;      /* this host as a corosync cluster node (cluster-node.h) */
        Servicing *servicing;      /* drains and revokes under way, and who waits on them
                                    * (servicing.h; the seam is manager_pf_revoke, pf.h) */

        /* PF health (pf-health.h): the events of every adapter, and the one timer of their
         * deadlines (armed only while a debounce, a quarantine or an AER window runs) */
        PfMonitor *monitor;
        sd_event_source *health_timer;

        /* Last published values, for PropertiesChanged. */
        struct {
                bool enabled, ht;
                int ht_state; /* host facts' smt_active: 1, 0, -1 unknown */
                char *intent;
                unsigned reserve, capacity, usable, assigned;
                char *cluster_name;
                unsigned cluster_nodes;
                bool quorate;
        } published;
} Manager;

int manager_new(const ManagerOptions *o, const ManagerNotify *notify, Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) {
        if (*m)
                *m = manager_free(*m);
}

/* Loads configuration and state, discovers the host, re-provisions what the plan says,
 * connects libvirt (reconciling when it answers, retrying when not). */
int manager_startup(Manager *m);
/* Re-reads the host facts and re-evaluates the prerequisites; re-provisions an intent PF
 * whose VF count dropped. */
int manager_refresh(Manager *m);
/* Re-judges the facts already read (after the libvirt version became known). */
int manager_evaluate(Manager *m);
/* Re-reads configuration (SIGHUP). */
int manager_reload_config(Manager *m);

void manager_dirty(Manager *m, unsigned flags);
/* Runs the post handler's work now (reconcile, save, start and tell operations, publish). */
void manager_flush(Manager *m);
/* Writes state.json now (the write-ahead of a synchronous change, e.g. the hook's Migrate). */
int manager_save_now(Manager *m);
/* 0 when changes may be made; otherwise fills st with why not (state folder unwritable). */
int manager_check_writable(Manager *m, AnStatus *st);

/* Counts of DESIGN §2 on this host. */
unsigned manager_capacity_vfs(const Manager *m);
unsigned manager_usable_vfs(const Manager *m);
unsigned manager_assigned_vfs(const Manager *m);
/* The published counts: over the cluster in cluster mode (U with the reserve in nodes),
 * else this host's. */
void manager_counts(const Manager *m, unsigned *ret_capacity, unsigned *ret_usable, unsigned *ret_assigned);
/* What a VM arriving on this host could get here now, in all and per tier (policy's
 * admission_free_vfs over this host's VFs): 0 while management is off. */
int manager_free_vfs(const Manager *m, FreeVfs *ret);
bool manager_hyperthreading(const Manager *m);
/* "on", "off" or "unknown" (no SMT control in sysfs: the stricter "on" minimums apply). */
const char *manager_hyperthreading_state(const Manager *m);
const char *manager_version(void);

/* Validation of bus arguments (InvalidArgs with the bad value quoted). */
int manager_check_intent_arg(const char *intent, AnStatus *st);
int manager_check_reserve_arg(uint32_t reserve, AnStatus *st);
int manager_check_vm_arg(const char *vm, AnStatus *st);
int manager_check_tier_arg(const char *performance, Tier *ret, AnStatus *st);

/* Management (management.c). Each validates first; nothing changes on error. */
/* Enable's reserve may be RESERVE_KEEP (4294967295): accelnet.json's node_reserve_default. */
bool manager_enable_is_noop(Manager *m, const char *intent, uint32_t reserve);
void manager_enable(Manager *m, const char *intent, uint32_t reserve, Completion c);
bool manager_set_is_noop(Manager *m, const char *intent, uint32_t reserve);
void manager_set(Manager *m, const char *intent, uint32_t reserve, Completion c);
bool manager_disable_is_noop(Manager *m);
void manager_disable(Manager *m, Completion c);
/* Puts settings in force on this host, whatever was in force (the cluster's settings,
 * decided elsewhere): no AlreadyEnabled, no check of this host's share. */
void manager_apply_settings(Manager *m, bool enabled, const char *intent, unsigned reserve, Completion c);

/* The plan's adapters that are not at their planned VF count are provisioned (start, PF
 * VF count dropped). No-op when management is off or a management operation runs. */
void manager_provision_plan(Manager *m, const char *why);

/* libvirt (libvirt.c). */
int manager_virt_connect(Manager *m);
/* True when libvirt answers; else fills st with Busy "libvirt is not reachable". */
bool manager_virt_ready(Manager *m, AnStatus *st);

/* Reconcile (reconcile.c): every VM brought to what its setting, its record and its domain
 * XML say (one VF, one VM; policy re-applied; records of gone domains released). */
void manager_reconcile(Manager *m);
/* The part of it for one domain whose XML changed: strays marked, our VFs adopted. */
void manager_reconcile_domain(Manager *m, Vm *vm);
/* Its last step, also on its own whenever a VF may have freed (DIRTY_HANDOUT, in the post
 * handler): every accelerated VM without a VF gets a free one, in policy/waiting.h's order
 * (High, Medium, Low; then the longest waiting; then the name), or waits for one. A VF given
 * to a waiting VM is this host's own (the node reserve included), also in a cluster. */
void manager_hand_out(Manager *m);

/* The libvirt hook's requests (hook.c); libvirt-free. Prepare may wait for provisioning. */
/* prepare begin: `xml` is the domain XML libvirt starts ("" when the hook had none). */
void manager_hook_prepare(Manager *m, const char *vm, const char *xml, Completion c);
int manager_hook_release(Manager *m, const char *vm, AnStatus *st);
typedef enum HookArrival {
        HOOK_ARRIVAL_MIGRATE, /* migrate begin: an incoming migration */
        HOOK_ARRIVAL_RESTORE, /* restore begin: a save image, made here or on another node */
} HookArrival;
/* The domain XML pointed at a VF of this host (its own when it has one here), or without
 * its VF when none is free (it waits for one). */
int manager_hook_arrive(Manager *m, HookArrival how, const char *vm, const char *xml, char **ret_xml, AnStatus *st);

/* Notes of GetPrerequisites in order: engine rows are separate (m->prereq). */
typedef void (*NoteVisitor)(const Note *n, void *userdata);
void manager_foreach_note(Manager *m, NoteVisitor f, void *userdata);

/* The VMs sorted by name (cached until the set changes). Borrowed. */
int manager_sorted_vms(Manager *m, Vm ***ret, size_t *ret_n);
