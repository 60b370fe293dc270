/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The daemon's persistent state, STATE_DIR/state.json: written atomically (temporary file,
 * fsync, rename, fsync of the directory), with a schema version. Every change that touches
 * hardware or libvirt is recorded here *before* it is made (intent first), so that the
 * daemon can finish or undo it after a crash. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/pciaddr.h"
#include "tier.h"

/* 2: "waiting" (VMs waiting for a VF, since when). 3: "servicing" (adapters drained by the
 * admin, VMs whose VF the admin revoked, each VM's time without a VF), the phase "revoking"
 * and a saved VF's "link_state". Version 1 and 2 files load as they are (nothing drained or
 * revoked, no time recorded). */
#define STATE_SCHEMA_VERSION 3

/* A VF's link state as the kernel's IFLA_VF_LINK_STATE_* numbers it (the policy layer does
 * not include sriov/): 0 auto, 1 enable, 2 disable. */
#define STATE_LINK_STATE_AUTO 0u
#define STATE_LINK_STATE_MAX 2u

/* A VF's settings as found before we changed them, restored on release. */
typedef struct VfSettings {
        bool valid;
        char mac[18];           /* "aa:bb:cc:dd:ee:ff" */
        uint32_t vlan, qos;
        bool spoofchk, trust;
        uint32_t min_tx_rate, max_tx_rate;  /* Mb/s */
        uint32_t link_state;    /* STATE_LINK_STATE_*: "link_state" in state.json, written only
                                 * when not auto (absent in files before version 3: auto) */
} VfSettings;

typedef enum AssignPhase {
        ASSIGN_PHASE_ASSIGNING,  /* VF reserved, libvirt/netlink not yet confirmed */
        ASSIGN_PHASE_ASSIGNED,
        ASSIGN_PHASE_RELEASING,  /* detach/restore under way */
        ASSIGN_PHASE_INCOMING,   /* claimed for an incoming migration, not yet started here */
        ASSIGN_PHASE_REVOKING,   /* being revoked (servicing): link down, unplug, restore under
                                  * way; finished after a crash, whatever else changed */
        _ASSIGN_PHASE_MAX,
        _ASSIGN_PHASE_INVALID = -22,
} AssignPhase;

/* "assigning", "assigned", "releasing", "incoming", "revoking" */
const char *assign_phase_to_string(AssignPhase p);
AssignPhase assign_phase_from_string(const char *s);

typedef struct Assignment {
        char *vm;                        /* libvirt domain name */
        char *vm_uuid;                   /* may be NULL */
        Tier tier;
        char vf[PCI_ADDR_STRLEN];        /* VF PCI address */
        char pf[PCI_ADDR_STRLEN];        /* its PF */
        unsigned vf_index;               /* N of virtfnN */
        AssignPhase phase;
        bool next_start;                 /* persistent config only: applies at next start */
        char *alias;                     /* "ua-accelnet-..." of the hostdev interface */
        char mac[18];                    /* the virtio NIC's MAC given to the VF */
        uint32_t vlan;                   /* 0 = none */
        VfSettings saved;                /* the VF before we touched it */
} Assignment;

typedef enum ProvisionStatus {
        PROVISION_PENDING,               /* sriov_numvfs write about to happen */
        PROVISION_DONE,
        PROVISION_FAILED,
        _PROVISION_STATUS_MAX,
        _PROVISION_STATUS_INVALID = -22,
} ProvisionStatus;

const char *provision_status_to_string(ProvisionStatus s);  /* "pending", "done", "failed" */
ProvisionStatus provision_status_from_string(const char *s);

typedef struct ProvisionedPf {
        char pf[PCI_ADDR_STRLEN];
        unsigned numvfs_before;          /* what sriov_numvfs was before we enabled */
        unsigned numvfs;                 /* what we set (the wanted count) */
        ProvisionStatus status;
} ProvisionedPf;

/* A VM waiting for a VF here (accelerated, holding none): since when, so that its place in the
 * order (policy/waiting.h) survives a restart. */
typedef struct StateWaiting {
        char *vm;                        /* libvirt domain name */
        uint64_t since;                  /* seconds since the epoch (UTC), 1..WAITING_SINCE_MAX */
} StateWaiting;

/* Servicing (schema 3): an adapter the admin drained (DrainAdapter), since when. */
typedef struct StateDrained {
        char pf[PCI_ADDR_STRLEN];
        uint64_t since;                  /* seconds since the epoch (UTC), 1..WAITING_SINCE_MAX */
} StateDrained;

/* Servicing (schema 3): a VM whose VF the admin revoked (RevokeVM) and/or its time without a
 * VF while accelerated. An entry has at least one of the three non-zero. */
typedef struct StateVmService {
        char *vm;                        /* libvirt domain name */
        uint64_t revoked_since;          /* RevokeVM: since (s since the epoch); 0: not revoked */
        uint64_t without_since;          /* without a VF since (s since the epoch); 0: has one */
        uint64_t without_total;          /* seconds without a VF in the episodes that ended */
} StateVmService;

typedef struct State {
        unsigned version;
        bool enabled;
        char *intent;                    /* NULL when not enabled */
        unsigned node_reserve;           /* 0-99 */
        ProvisionedPf *pfs;
        size_t n_pfs;
        Assignment *vms;
        size_t n_vms;
        StateWaiting *waiting;           /* sorted as the writer gave them (the daemon: by name) */
        size_t n_waiting;
        StateDrained *drained;           /* adapters drained by the admin */
        size_t n_drained;
        StateVmService *services;        /* VMs revoked, or with time without a VF */
        size_t n_services;
} State;

State *state_new(void);
State *state_free(State *s);
static inline void state_freep(State **s) {
        if (*s)
                *s = state_free(*s);
}

/* Loads STATE_DIR/state.json and replays STATE_DIR/state.journal over it. A missing file
 * gives an empty state (0). A file that is not
 * valid JSON, does not match the schema, or carries a newer version is renamed to
 * state.json.corrupt-<UTC timestamp> (or state.json.v<N>-<timestamp>) and an empty state is
 * returned; *ret_note then says what happened and where the file went (NULL otherwise). */
int state_load(const char *state_dir, State **ret, char **ret_note);
/* The parser state_load uses, on the file's text (size bytes, no NUL needed): 0 with *ret;
 * -EBADMSG with *reason ('field "F": what') when the text is not JSON or does not match the
 * schema; -EPROTONOSUPPORT with *ret_version (if given) and *reason when the text carries a
 * schema version newer than STATE_SCHEMA_VERSION; -ENOMEM. *reason is replaced, not
 * appended to: the caller frees it. */
int state_parse(const char *text, size_t size, State **ret, int64_t *ret_version, char **reason);
/* state_save's text: sorted keys, indented, ending in a newline. *ret is owned. */
int state_format(const State *s, char **ret, size_t *ret_size);
/* Atomic replace of STATE_DIR/state.json (created 0600, directory created 0755 if missing). */
int state_save(const char *state_dir, const State *s);
/* durable=false: replaced atomically but not fsynced (the daemon syncs a moment later,
 * coalescing bursts of changes); a process crash never loses or tears it. */
int state_save_full(const char *state_dir, const State *s, bool durable);

/* STATE_DIR/state.journal: what changed since state.json was written whole, appended (see
 * state-journal.c). state_load replays it over state.json. */
typedef struct StateJournal StateJournal;
int state_journal_open(const char *state_dir, StateJournal **ret);
StateJournal *state_journal_free(StateJournal *j);
/* Appends the records given (whole), the names dropped, when plan is given the management
 * settings and the adapters of the plan, when waiting is given its waiting VMs (the whole
 * list, replacing the one before), and when servicing is given its drained adapters and VM
 * services (both lists whole); one write. */
int state_journal_append(StateJournal *j, const Assignment *const *upserts, size_t n_upserts,
                         const char *const *drops, size_t n_drops, const State *plan, const State *waiting,
                         const State *servicing);
int state_journal_sync(StateJournal *j);
size_t state_journal_lines(const StateJournal *j);
/* True when only a compaction may write (an append failed part-way, or no journal). */
bool state_journal_broken(const StateJournal *j);
/* state.json written whole with s, then the journal emptied. */
int state_compact(const char *state_dir, const State *s, StateJournal *j, bool durable);

Assignment *state_find_vm(State *s, const char *vm);
Assignment *state_find_vf(State *s, const char *vf);
ProvisionedPf *state_find_pf(State *s, const char *pf);
/* Appends a copy (strings duplicated); returns the new element or NULL on OOM. */
Assignment *state_add_vm(State *s, const Assignment *a);
void state_remove_vm(State *s, const char *vm);
ProvisionedPf *state_add_pf(State *s, const ProvisionedPf *p);
void state_clear_pfs(State *s);
/* Appends a waiting VM (the name copied); NULL on OOM or a NULL name. */
StateWaiting *state_add_waiting(State *s, const char *vm, uint64_t since);
StateWaiting *state_find_waiting(State *s, const char *vm);
void state_waiting_clear(State *s);
/* Servicing: appends (the name copied); NULL on OOM or a NULL name. */
StateDrained *state_add_drained(State *s, const char *pf, uint64_t since);
StateDrained *state_find_drained(State *s, const char *pf);
StateVmService *state_add_service(State *s, const StateVmService *v);
StateVmService *state_find_service(State *s, const char *vm);
void state_servicing_clear(State *s);
void assignment_done(Assignment *a);
/* A deep copy (strings duplicated); -ENOMEM. */
int assignment_copy(Assignment *dst, const Assignment *src);
/* A 64-bit hash of every field (never 0): what the journal compares to know what changed. */
uint64_t assignment_hash(const Assignment *a);
uint64_t state_plan_hash(const State *s);
/* Of the waiting VMs (names and starts, in order; never 0). */
uint64_t state_waiting_hash(const State *s);
/* Of the drained adapters and the VM services (in order; never 0). */
uint64_t state_servicing_hash(const State *s);
