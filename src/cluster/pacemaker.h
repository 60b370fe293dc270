/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* This node's free VFs as Pacemaker's node utilization attribute (default accelnet-vfs), so
 * that placement-strategy=utilization keeps a VM that needs a VF (a resource with
 * `utilization accelnet-vfs=1`) off nodes without one. Pacemaker's own command line tools do
 * the writing, as child processes watched by the sd-event loop: nothing blocks the loop and
 * no Pacemaker library is linked. With n the value:
 *
 *   crm_node -n                      this node's name in Pacemaker (only where its
 *                                    controller answers: the test that Pacemaker runs here)
 *   crm_attribute --node NAME --name accelnet-vfs --update n --utilization
 *
 * Coalesced: at most one run (the name, then the update) in flight; a value set meanwhile
 * replaces the one to write next, so the latest wins; runs start at most every
 * min_interval_usec; nothing runs while the value is the one written last. Not installed (no
 * crm_attribute or crm_node on PATH): nothing runs until a later value finds them. A failed
 * run is tried again with a back-off (retry_usec doubling up to retry_max_usec), and, when the
 * update itself failed, also as soon as the value changes. A run that takes longer than
 * timeout_usec is killed and counts as failed. This library logs at debug level only: the
 * caller is told the outcome of every run (PacemakerCallback) and logs what it needs once.
 *
 * The caller blocks SIGCHLD in every thread (sd_event_add_child requires it). */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#define PACEMAKER_ATTRIBUTE "accelnet-vfs"

typedef struct Pacemaker Pacemaker;

typedef enum PacemakerState {
        PACEMAKER_IDLE,          /* nothing written yet */
        PACEMAKER_ABSENT,        /* crm_node or crm_attribute not found: Pacemaker is not installed */
        PACEMAKER_NOT_RUNNING,   /* crm_node -n failed: no Pacemaker controller answers here */
        PACEMAKER_FAILED,        /* crm_attribute failed */
        PACEMAKER_PUBLISHED,     /* the value written is Pacemaker's */
        _PACEMAKER_STATE_MAX,
        _PACEMAKER_STATE_INVALID = -22,
} PacemakerState;

typedef struct PacemakerStatus {
        PacemakerState state;
        bool running;            /* a tool runs now */
        int64_t published;       /* the value written last, -1 none */
        unsigned runs;           /* runs started so far */
        char node[256];          /* Pacemaker's name for this node, "" while not known */
        char error[512];         /* the last failure: the tool, its exit status, what it said */
} PacemakerStatus;

/* Called when a run ends (not when nothing needed to run). */
typedef void (*PacemakerCallback)(void *userdata, const PacemakerStatus *status);

typedef struct PacemakerOptions {
        const char *crm_node;      /* a name looked up on $PATH, or a path; default "crm_node" */
        const char *crm_attribute; /* default "crm_attribute" */
        const char *attribute;     /* default PACEMAKER_ATTRIBUTE */
        uint64_t min_interval_usec;    /* default 1 s */
        uint64_t retry_usec;           /* default 1 s */
        uint64_t retry_max_usec;       /* default 60 s */
        uint64_t timeout_usec;         /* default 30 s */
        PacemakerCallback callback;
        void *userdata;
} PacemakerOptions;

/* o may be NULL; zero fields take the defaults. Strings are copied. */
int pacemaker_new(sd_event *event, const PacemakerOptions *o, Pacemaker **ret);
/* Kills and reaps a tool still running. */
Pacemaker *pacemaker_free(Pacemaker *p);
static inline void pacemaker_freep(Pacemaker **p) {
        if (*p)
                *p = pacemaker_free(*p);
}

/* The value Pacemaker should have: written as soon as the rules above allow. */
void pacemaker_set(Pacemaker *p, unsigned value);
void pacemaker_get_status(const Pacemaker *p, PacemakerStatus *ret);

const char *pacemaker_state_to_string(PacemakerState s); /* "idle", "absent", "not-running", ... */
PacemakerState pacemaker_state_from_string(const char *s);
