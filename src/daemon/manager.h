/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The Manager owns everything: the event loop, the bus, libpci, the host facts, the
 * configuration, the state, the libvirt connection and the netlink backend. The model
 * functions here (manager_enable, ...) know nothing of D-Bus: src/api/ calls them and turns
 * their AnStatus into replies. */

#include <pthread.h>
#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "policy/config.h"
#include "policy/prereq.h"
#include "policy/state.h"
#include "shared/anerror.h"
#include "shared/hostfacts.h"

#define MANAGER_REFRESH_USEC (30ULL * 1000000ULL)
#define MANAGER_SYNC_USEC (200ULL * 1000ULL)

typedef struct PciAccess PciAccess;
typedef struct Operation Operation;
typedef struct VirtConn VirtConn;
typedef struct VfNetlink VfNetlink;
typedef struct SriovBackend SriovBackend;

/* One VF of a provisioned PF (rebuilt from sysfs on every refresh). */
typedef struct VfSlot {
        char vf[PCI_ADDR_STRLEN];
        char pf[PCI_ADDR_STRLEN];
        char pf_ifname[16];
        char pf_driver[32];
        unsigned index;
        int numa_node;
        uint32_t link_speed_mbps;
} VfSlot;

/* The outcome of a model call: r >= 0 success; r < 0 a negative errno or -AN_ERROR_*;
 * message is what the caller should be told (names the bad value, the remedy). */
typedef struct AnStatus {
        int r;
        char message[1024];
} AnStatus;

void an_status_set(AnStatus *s, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define AN_STATUS_OK ((AnStatus){ .r = 0 })

/* Completion of an operation that may finish later (slow work in a worker thread). */
typedef void (*ManagerDone)(void *userdata, const AnStatus *status);

/* Extra rows for GetPrerequisites beyond the engine's: config problems, state recovery,
 * adapters skipped by the intent, reconcile drift. */
typedef struct Note {
        char *check, *subject, *detail;
        PrereqResult result;
        AnError code;
} Note;

typedef struct ManagerOptions {
        const char *root;          /* "/" */
        const char *config_dir;    /* /etc/accelnet */
        const char *state_dir;     /* /var/lib/accelnet */
        const char *libvirt_uri;   /* qemu:///system */
        const SriovBackend *backend; /* sriov_backend_kernel() (NULL) or the simulation's */
} ManagerOptions;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        sd_event_source *refresh_timer;
        sd_event_source *sync_timer;     /* fsync of state.json, coalesced */

        char *root, *config_dir, *state_dir, *libvirt_uri;
        const SriovBackend *backend; /* chosen once in main: VF policy and sriov_numvfs */

        PciAccess *pacc;
        HostFacts *host;
        PrereqReport *prereq;
        Config *config;
        State *state;

        Note *notes;               /* persistent notes (config, state recovery) */
        size_t n_notes;
        Note *enable_notes;        /* adapters of the intent that were skipped */
        size_t n_enable_notes;

        VirtConn *virt;            /* NULL while libvirt is unreachable */
        sd_event_source *virt_connect_timer;
        uint64_t virt_retry_usec;
        char *libvirt_version;
        char **domains;            /* every libvirt domain, cached (events keep it fresh) */
        size_t n_domains;
        VfNetlink *nl;             /* the loop thread's handle (workers open their own) */
        VfSlot *vfs;               /* VFs of the provisioned, supported PFs */
        size_t n_vfs;
        char **busy_vms;           /* VMs with an operation in flight */
        size_t n_busy_vms;
        char **held_vfs;           /* free VFs kept for a VM that is moving to them */
        size_t n_held_vfs;
        Note *drift;               /* what the last reconcile found and repaired */
        size_t n_drift;

        /* UIDs of recent callers by unique bus name (names are never reused on a bus), so
         * that authorising a call is not a round trip to the bus daemon each time. */
        struct {
                char name[32];
                uid_t uid;
        } sender_uids[64];
        unsigned sender_uid_next;

        unsigned ops_running;      /* slow operations in worker threads */
        bool management_busy;      /* an Enable/Set/Disable is in progress */
        Operation *ops;            /* linked list of running operations */

        /* Last published values, for PropertiesChanged. */
        struct {
                bool enabled, ht;
                char *intent;
                unsigned reserve, capacity, usable, assigned;
        } published;
} Manager;

int manager_new(const ManagerOptions *o, Manager **ret);
Manager *manager_free(Manager *m);
static inline void manager_freep(Manager **m) {
        if (*m)
                *m = manager_free(*m);
}

/* Loads configuration and state, discovers the host, finishes interrupted provisioning. */
int manager_startup(Manager *m);
/* Re-reads the host facts and re-evaluates the prerequisites. */
int manager_refresh(Manager *m);
/* Re-judges the facts already read (after the libvirt version became known). */
int manager_evaluate(Manager *m);
/* Re-reads configuration (SIGHUP). */
int manager_reload_config(Manager *m);

/* Counts of DESIGN §2. */
unsigned manager_capacity_vfs(const Manager *m);
unsigned manager_usable_vfs(const Manager *m);
unsigned manager_assigned_vfs(const Manager *m);
bool manager_hyperthreading(const Manager *m);
const char *manager_version(void);

/* Validation shared by the bus layer (InvalidArgs) and the model. */
int manager_check_intent_arg(const char *intent, AnStatus *st);
int manager_check_reserve_arg(uint32_t reserve, AnStatus *st);

/* Management. Each validates first (nothing changes on error). When *ret_changes is
 * false the call was a no-op (already in that state). The `done` callback is called once,
 * possibly before the function returns. */
int manager_enable_check(Manager *m, const char *intent, uint32_t reserve, bool *ret_changes, AnStatus *st);
void manager_enable(Manager *m, const char *intent, uint32_t reserve, ManagerDone done, void *userdata);
int manager_set_check(Manager *m, const char *intent, uint32_t reserve, bool *ret_changes, AnStatus *st);
void manager_set(Manager *m, const char *intent, uint32_t reserve, ManagerDone done, void *userdata);
int manager_disable_check(Manager *m, bool *ret_changes, AnStatus *st);
void manager_disable(Manager *m, ManagerDone done, void *userdata);
/* At start: finishes provisioning that a crash interrupted (recorded as pending). */
int manager_resume_provisioning(Manager *m);

/* Called by the model whenever a published property may have changed. Implemented by the
 * bus layer (src/api), which emits PropertiesChanged for the ones that did. */
void manager_properties_changed(Manager *m);

void manager_add_note(Manager *m, Note **v, size_t *n, const char *check, const char *subject,
                      PrereqResult result, AnError code, const char *fmt, ...) __attribute__((format(printf, 8, 9)));
void notes_free(Note *v, size_t n);

/* VMs (daemon/vms.c). Names and tiers are validated as in management. */
void manager_enable_vm(Manager *m, const char *vm, const char *performance, ManagerDone done, void *userdata);
int manager_enable_vm_check(Manager *m, const char *vm, const char *performance, bool *ret_changes, AnStatus *st);
void manager_set_vm(Manager *m, const char *vm, const char *performance, ManagerDone done, void *userdata);
int manager_set_vm_check(Manager *m, const char *vm, const char *performance, bool *ret_changes, AnStatus *st);
void manager_disable_vm(Manager *m, const char *vm, ManagerDone done, void *userdata);
int manager_disable_vm_check(Manager *m, const char *vm, bool *ret_changes, AnStatus *st);
/* Called by the VM model on every change of a VM's acceleration ("enabled", "disabled",
 * "started", "stopped", "released"); the bus layer emits VMChanged. */
void manager_vm_changed(Manager *m, const char *vm, const char *state);

/* libvirt (daemon/vms.c). */
int manager_virt_connect(Manager *m);
int manager_refresh_domains(Manager *m);
int manager_rebuild_vfs(Manager *m);
/* Reconciles the state with libvirt and the VFs (daemon/reconcile.c). */
int manager_reconcile(Manager *m);

int manager_save_state(Manager *m);

/* The libvirt hook's requests (daemon/hook.c); synchronous and libvirt-free. */
int manager_hook_prepare(Manager *m, const char *vm, AnStatus *st);
int manager_hook_release(Manager *m, const char *vm, AnStatus *st);
int manager_hook_migrate(Manager *m, const char *vm, const char *xml, char **ret_xml, AnStatus *st);
