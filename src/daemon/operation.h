/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* An Operation is one slow change (sriov_numvfs writes, libvirt attach/detach, netlink) with
 * its reply. It owns the Completion of its caller (for a bus method: the message) and the
 * job: copies of everything its worker needs. The worker runs in a thread and touches only
 * the job, never the Manager.
 *
 * Life of an operation, all but `work` on the loop thread:
 *   operation_new()       the caller has recorded its write-ahead in the model (a VF
 *                         reserved, a PF marked pending) and marked the state dirty;
 *   post handler          state.json written → the worker starts; the save failed → `undo`
 *                         takes the write-ahead back and the caller gets the error;
 *   work(job)             in the thread;
 *   finish(o, job)        the outcome applied to the model (o->status says how it went);
 *   post handler          state.json written → the completion is called with o->status;
 *                         the save failed → `revert` puts the model back to what is on disk
 *                         and the caller is told the change could not be saved.
 * At most settings.max_concurrent_ops run at once; operation_new() refuses more with Busy
 * unless the operation is internal (no completion): those wait for a free place. */

#include <pthread.h>
#include <stdbool.h>

#include "manager.h"
#include "opstats.h"

typedef void (*OperationWork)(void *job);
typedef void (*OperationStep)(Operation *o, void *job);

typedef enum OperationState {
        OPERATION_WRITE_AHEAD,   /* waiting for its write-ahead record to be saved */
        OPERATION_QUEUED,        /* internal, waiting for a place */
        OPERATION_RUNNING,       /* in its worker thread */
        OPERATION_COMMITTING,    /* finished; its outcome waits for the save */
} OperationState;

typedef struct OperationType {
        const char *name;        /* "enable VM", "provision", ... */
        OpKind kind;             /* counted under it (opstats.h) unless the creator says otherwise */
        OperationWork work;
        OperationStep finish;    /* applies the outcome; sets o->status */
        OperationStep undo;      /* the write-ahead could not be saved: take it back */
        OperationStep revert;    /* the outcome could not be saved: back to the write-ahead */
        void (*free_job)(void *job);
} OperationType;

struct Operation {
        Manager *manager;
        const OperationType *type;
        void *job;
        char *subject;           /* the VM or the PFs, for logs */
        Completion completion;
        AnStatus status;
        OperationState state;
        bool internal;
        OpKind kind;             /* type->kind, or what the creator set after operation_new */
        uint64_t started_usec;   /* CLOCK_MONOTONIC at operation_new */

        bool worked;             /* the worker is done with the job (under the pool's lock) */
        Operation *queue_next;   /* in the pool's queue */
        int efd;
        sd_event_source *source;
        Operation *next;
};

/* Creates the operation in the WRITE_AHEAD state: the caller has changed the model and the
 * post handler will save and start it. `job` is owned from here on; on failure it is still
 * the caller's (who takes its write-ahead back). -AN_ERROR_BUSY (with st filled) when too
 * many run and `c` is a real completion. An operation without `work` completes as soon as
 * its write-ahead is saved (a change that needs no worker). */
int operation_new(Manager *m, const OperationType *type, void *job, const char *subject, Completion c,
                  Operation **ret, AnStatus *st);

/* Called by the post handler after a save attempt (r = its result). */
void operation_saved(Manager *m, int r);
/* Waits for every worker and runs its finish (shutdown); completions get an error. */
void operation_drain(Manager *m);
/* The worker threads, started as operations need them (at most max_concurrent_ops) and kept
 * for the next ones: a warm thread instead of a new one per operation. */
typedef struct WorkerPool WorkerPool;
WorkerPool *worker_pool_free(WorkerPool *p);

/* Operations in worker threads or waiting for one. */
unsigned operation_count(const Manager *m);
