/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdio.h>
#include <sys/eventfd.h>

#include "operation.h"
#include "shared/log.h"
#include "shared/macro.h"

struct WorkerPool {
        pthread_mutex_t lock;
        pthread_cond_t cond, done;
        Operation *head, *tail;  /* queued, not yet taken by a thread */
        pthread_t *threads;
        unsigned n_threads, idle;
        bool stop;
};

static void *worker_thread(void *p) {
        WorkerPool *pool = p;
        uint64_t one = 1;

        pthread_mutex_lock(&pool->lock);
        for (;;) {
                while (!pool->head && !pool->stop) {
                        pool->idle++;
                        pthread_cond_wait(&pool->cond, &pool->lock);
                        pool->idle--;
                }
                if (!pool->head)
                        break; /* stopping, nothing left */
                Operation *o = pool->head;
                pool->head = o->queue_next;
                if (!pool->head)
                        pool->tail = NULL;
                pthread_mutex_unlock(&pool->lock);

                o->type->work(o->job);

                pthread_mutex_lock(&pool->lock);
                o->worked = true;
                pthread_cond_broadcast(&pool->done);
                /* Wake the loop; an eventfd write of 1 cannot fail short. */
                if (write(o->efd, &one, sizeof one) < 0) {
                        /* nothing to do from here: operation_drain waits on `done` anyway */
                }
        }
        pthread_mutex_unlock(&pool->lock);
        return NULL;
}

static int pool_submit(Manager *m, Operation *o) {
        WorkerPool *pool = m->pool;
        unsigned max = m->config->settings.max_concurrent_ops;
        int r = 0;

        if (!pool) {
                pool = calloc(1, sizeof *pool);
                if (!pool)
                        return -ENOMEM;
                pthread_mutex_init(&pool->lock, NULL);
                pthread_cond_init(&pool->cond, NULL);
                pthread_cond_init(&pool->done, NULL);
                m->pool = pool;
        }
        pthread_mutex_lock(&pool->lock);
        if (pool->idle == 0 && pool->n_threads < (max ? max : 1)) {
                pthread_t *v = realloc(pool->threads, sizeof(pthread_t) * (pool->n_threads + 1));
                if (!v)
                        r = -ENOMEM;
                else {
                        pool->threads = v;
                        r = -pthread_create(&v[pool->n_threads], NULL, worker_thread, pool);
                        if (r >= 0)
                                pool->n_threads++;
                }
                if (r < 0 && pool->n_threads > 0)
                        r = 0; /* the threads there take it in turn */
        }
        if (r >= 0) {
                o->queue_next = NULL;
                if (pool->tail)
                        pool->tail->queue_next = o;
                else
                        pool->head = o;
                pool->tail = o;
                pthread_cond_signal(&pool->cond);
        }
        pthread_mutex_unlock(&pool->lock);
        return r;
}

WorkerPool *worker_pool_free(WorkerPool *pool) {
        if (!pool)
                return NULL;
        pthread_mutex_lock(&pool->lock);
        pool->stop = true;
        pthread_cond_broadcast(&pool->cond);
        pthread_mutex_unlock(&pool->lock);
        for (unsigned i = 0; i < pool->n_threads; i++)
                (void) pthread_join(pool->threads[i], NULL);
        free(pool->threads);
        pthread_cond_destroy(&pool->cond);
        pthread_cond_destroy(&pool->done);
        pthread_mutex_destroy(&pool->lock);
        free(pool);
        return NULL;
}

/* Waits until the worker is done with the operation's job; done already when its eventfd
 * woke the loop, and the lock orders the job's memory for the loop thread. */
static void wait_worked(Manager *m, Operation *o) {
        WorkerPool *pool = m->pool;
        pthread_mutex_lock(&pool->lock);
        while (!o->worked)
                pthread_cond_wait(&pool->done, &pool->lock);
        pthread_mutex_unlock(&pool->lock);
}

static void operation_unlink(Manager *m, Operation *o) {
        for (Operation **pp = &m->ops; *pp; pp = &(*pp)->next)
                if (*pp == o) {
                        *pp = o->next;
                        return;
                }
}

static void operation_free(Operation *o) {
        if (!o)
                return;
        o->source = sd_event_source_disable_unref(o->source);
        if (o->efd >= 0)
                close(o->efd);
        if (o->type->free_job)
                o->type->free_job(o->job);
        free(o->subject);
        free(o);
}

/* The end: the caller is told, the operation goes. */
static void operation_complete(Manager *m, Operation *o) {
        uint64_t now = 0;

        operation_unlink(m, o);
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &now);
        op_stats_record(&m->op_stats, o->kind, now > o->started_usec ? now - o->started_usec : 0, o->status.r < 0);
        log_debug("Operation %s (%s) done: %s", o->type->name, strempty(o->subject),
                  o->status.r >= 0 ? "ok" : o->status.message);
        completion_done(&o->completion, &o->status);
        operation_free(o);
}

static void operation_finish(Manager *m, Operation *o) {
        wait_worked(m, o);
        m->n_running--;
        o->source = sd_event_source_disable_unref(o->source);
        o->type->finish(o, o->job);
        o->state = OPERATION_COMMITTING;
        manager_dirty(m, DIRTY_STATE | DIRTY_PROPERTIES);
}

static int on_operation_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Operation *o = userdata;
        uint64_t v;
        if (read(fd, &v, sizeof v) < 0 && errno != EAGAIN)
                log_debug_errno(errno, "eventfd read: %m");
        operation_finish(o->manager, o);
        return 0;
}

static int operation_run(Manager *m, Operation *o) {
        int r;

        o->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (o->efd < 0)
                return -errno;
        r = sd_event_add_io(m->event, &o->source, o->efd, EPOLLIN, on_operation_done, o);
        if (r < 0)
                return r;
        (void) sd_event_source_set_description(o->source, "operation");
        r = pool_submit(m, o);
        if (r < 0) {
                o->source = sd_event_source_disable_unref(o->source);
                return r;
        }
        o->state = OPERATION_RUNNING;
        m->n_running++;
        log_debug("Operation %s (%s) started (%u running).", o->type->name, strempty(o->subject), m->n_running);
        return 0;
}

unsigned operation_count(const Manager *m) {
        unsigned n = 0;
        for (Operation *o = m->ops; o; o = o->next)
                if (o->state != OPERATION_COMMITTING)
                        n++;
        return n;
}

int operation_new(Manager *m, const OperationType *type, void *job, const char *subject, Completion c,
                  Operation **ret, AnStatus *st) {
        Operation *o;

        if (c.fn && operation_count(m) >= m->config->settings.max_concurrent_ops)
                return an_status_set(st, -AN_ERROR_BUSY,
                                     "Too many operations are in progress (%u, max_concurrent_ops); retry later.",
                                     operation_count(m));
        o = calloc(1, sizeof *o);
        if (!o || !(o->subject = strdup(strempty(subject)))) {
                free(o);
                return an_status_set(st, -ENOMEM, "Out of memory.");
        }
        *o = (Operation){ .manager = m, .type = type, .job = job, .subject = o->subject, .completion = c,
                          .state = OPERATION_WRITE_AHEAD, .internal = !c.fn, .efd = -EBADF, .kind = type->kind };
        (void) sd_event_now(m->event, CLOCK_MONOTONIC, &o->started_usec);
        /* Appended: operations start and complete in the order they were asked for. */
        Operation **pp = &m->ops;
        while (*pp)
                pp = &(*pp)->next;
        *pp = o;
        manager_dirty(m, DIRTY_STATE);
        if (ret)
                *ret = o;
        return 0;
}

/* After the post handler's save: write-aheads start (or are undone), outcomes are told (or
 * reverted), queued internal operations take the places that became free. */
void operation_saved(Manager *m, int r) {
        Operation *next;

        for (Operation *o = m->ops; o; o = next) {
                next = o->next;
                switch (o->state) {
                case OPERATION_WRITE_AHEAD:
                        if (r < 0) {
                                if (o->type->undo)
                                        o->type->undo(o, o->job);
                                an_status_set(&o->status, r,
                                              "Nothing was changed: the state folder %s cannot be written (%s).",
                                              m->state_dir, strerror(-r));
                                manager_dirty(m, DIRTY_PROPERTIES);
                                operation_complete(m, o);
                                break;
                        }
                        if (!o->type->work) {
                                /* Nothing slow to do: the saved write-ahead is the change. */
                                if (o->type->finish)
                                        o->type->finish(o, o->job);
                                operation_complete(m, o);
                                break;
                        }
                        o->state = OPERATION_QUEUED;
                        __attribute__((fallthrough));
                case OPERATION_QUEUED: {
                        if (o->internal && m->n_running >= m->config->settings.max_concurrent_ops)
                                break;
                        int k = operation_run(m, o);
                        if (k < 0) {
                                if (o->type->undo)
                                        o->type->undo(o, o->job);
                                an_status_set(&o->status, k, "Cannot start the operation: %s", strerror(-k));
                                manager_dirty(m, DIRTY_STATE | DIRTY_PROPERTIES);
                                operation_complete(m, o);
                        }
                        break;
                }
                case OPERATION_COMMITTING:
                        if (r < 0) {
                                if (o->type->revert)
                                        o->type->revert(o, o->job);
                                if (o->status.r >= 0)
                                        an_status_set(&o->status, r,
                                                      "The change was made but could not be saved: the state folder %s "
                                                      "cannot be written (%s). accelnetd keeps what is on disk and "
                                                      "finishes or undoes the change once it can write again.",
                                                      m->state_dir, strerror(-r));
                                manager_dirty(m, DIRTY_PROPERTIES);
                        }
                        operation_complete(m, o);
                        break;
                case OPERATION_RUNNING:
                        break;
                }
        }
}

/* Shutdown: workers are waited for and their outcomes applied (the caller saves and then
 * calls operation_saved, which tells them); what never started is taken back and told. */
void operation_drain(Manager *m) {
        Operation *next;
        for (Operation *o = m->ops; o; o = next) {
                next = o->next;
                if (o->state == OPERATION_RUNNING)
                        operation_finish(m, o);
                else if (o->state == OPERATION_WRITE_AHEAD || o->state == OPERATION_QUEUED) {
                        if (o->type->undo)
                                o->type->undo(o, o->job);
                        an_status_set(&o->status, -ESHUTDOWN, "accelnetd is shutting down; nothing was changed.");
                        operation_complete(m, o);
                }
        }
}
