/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <pthread.h>
#include <sys/eventfd.h>

#include "manager.h"
#include "operation.h"
#include "shared/log.h"
#include "shared/macro.h"

struct Operation {
        Manager *manager;
        char *name;
        pthread_t thread;
        int efd;
        sd_event_source *source;
        OperationWork work;
        OperationDone done;
        OperationFree free_data;
        void *data;
        Operation *next;
};

static void *operation_thread(void *p) {
        Operation *o = p;
        uint64_t one = 1;
        o->work(o->data);
        /* Wake the loop; eventfd writes of 1 cannot fail short. */
        if (write(o->efd, &one, sizeof one) < 0) {
                /* nothing we can do from here; the drain path joins anyway */
        }
        return NULL;
}

static void operation_finish(Operation *o) {
        Manager *m = o->manager;

        (void) pthread_join(o->thread, NULL);
        for (Operation **pp = &m->ops; *pp; pp = &(*pp)->next)
                if (*pp == o) {
                        *pp = o->next;
                        break;
                }
        m->ops_running--;
        o->source = sd_event_source_disable_unref(o->source);
        close(o->efd);
        log_debug("Operation %s finished.", o->name);
        if (o->done)
                o->done(m, o->data);
        if (o->free_data)
                o->free_data(o->data);
        free(o->name);
        free(o);
}

static int on_operation_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        uint64_t v;
        if (read(fd, &v, sizeof v) < 0 && errno != EAGAIN)
                log_debug_errno(errno, "eventfd read: %m");
        operation_finish(userdata);
        return 0;
}

int operation_start(Manager *m, const char *name, OperationWork work, OperationDone done, void *data,
                    OperationFree free_data) {
        Operation *o;
        int r;

        if (m->ops_running >= m->config->settings.max_concurrent_ops)
                return -AN_ERROR_BUSY;
        o = calloc(1, sizeof *o);
        if (!o)
                return -ENOMEM;
        *o = (Operation){ .manager = m, .work = work, .done = done, .data = data, .free_data = free_data };
        o->name = strdup(name);
        o->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (!o->name || o->efd < 0) {
                r = o->efd < 0 ? -errno : -ENOMEM;
                goto fail;
        }
        r = sd_event_add_io(m->event, &o->source, o->efd, EPOLLIN, on_operation_done, o);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_description(o->source, "operation");
        r = -pthread_create(&o->thread, NULL, operation_thread, o);
        if (r < 0)
                goto fail;
        o->next = m->ops;
        m->ops = o;
        m->ops_running++;
        log_debug("Operation %s started (%u running).", name, m->ops_running);
        return 0;
fail:
        sd_event_source_disable_unref(o->source);
        if (o->efd >= 0)
                close(o->efd);
        free(o->name);
        free(o);
        return r;
}

void operation_drain(Manager *m) {
        while (m->ops)
                operation_finish(m->ops);
}
