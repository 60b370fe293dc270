/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "shared/log.h"
#include "virt/virt-event.h"

/* One libvirt handle (fd watch) or timer. Fields other than `src` are protected by
 * VirtEventLoop.lock; `src` is touched only on the loop thread. */
typedef struct VEntry {
        int id;
        bool is_timer;
        int fd;       /* handle: libvirt's fd */
        int events;   /* handle: VIR_EVENT_HANDLE_* mask; timer: interval in ms, -1 = off */
        virEventHandleCallback hcb;
        virEventTimeoutCallback tcb;
        void *opaque;
        virFreeCallback ff;
        sd_event_source *src;
        bool dirty, removed;
        struct VEntry *next;
} VEntry;

typedef struct VirtEventLoop {
        sd_event *event;
        pthread_t loop_thread;
        pthread_mutex_t lock;
        VEntry *entries; /* live ones, and removed ones not yet detached from sd-event */
        VEntry *reap;    /* detached, waiting for their free callback */
        int next_id;
        bool dirty;
        int wake_fd;
        sd_event_source *wake_src, *reap_src;
} VirtEventLoop;

/* libvirt's event callbacks carry no context pointer: see virt-event.h. */
static VirtEventLoop *event_loop;

static bool on_loop_thread(const VirtEventLoop *l) {
        return pthread_equal(pthread_self(), l->loop_thread);
}

static uint32_t to_epoll(int events) {
        uint32_t m = 0;
        if (events & VIR_EVENT_HANDLE_READABLE)
                m |= EPOLLIN;
        if (events & VIR_EVENT_HANDLE_WRITABLE)
                m |= EPOLLOUT;
        return m;
}

static int from_epoll(uint32_t m) {
        int e = 0;
        if (m & (EPOLLIN | EPOLLPRI))
                e |= VIR_EVENT_HANDLE_READABLE;
        if (m & EPOLLOUT)
                e |= VIR_EVENT_HANDLE_WRITABLE;
        if (m & EPOLLERR)
                e |= VIR_EVENT_HANDLE_ERROR;
        if (m & EPOLLHUP)
                e |= VIR_EVENT_HANDLE_HANGUP;
        return e;
}

static int io_cb(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        VEntry *en = userdata;
        VirtEventLoop *l = event_loop;
        virEventHandleCallback cb;
        void *opaque;
        int id, lfd, want;

        pthread_mutex_lock(&l->lock);
        if (en->removed || en->events == 0) {
                pthread_mutex_unlock(&l->lock);
                return 0;
        }
        cb = en->hcb;
        opaque = en->opaque;
        id = en->id;
        lfd = en->fd;
        want = en->events;
        pthread_mutex_unlock(&l->lock);

        int ev = from_epoll(revents) & (want | VIR_EVENT_HANDLE_ERROR | VIR_EVENT_HANDLE_HANGUP);
        if (ev)
                cb(id, lfd, ev, opaque);
        return 0;
}

static int time_cb(sd_event_source *s, uint64_t usec, void *userdata) {
        VEntry *en = userdata;
        VirtEventLoop *l = event_loop;
        virEventTimeoutCallback cb;
        void *opaque;
        int id;

        pthread_mutex_lock(&l->lock);
        if (en->removed || en->events < 0) {
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
                pthread_mutex_unlock(&l->lock);
                return 0;
        }
        /* periodic: the next expiry counts from now, like libvirt's own loop */
        (void) sd_event_source_set_time_relative(s, (uint64_t) en->events * 1000U);
        cb = en->tcb;
        opaque = en->opaque;
        id = en->id;
        pthread_mutex_unlock(&l->lock);

        cb(id, opaque);
        return 0;
}

/* Loop thread, lock held. Never calls into libvirt. */
static void apply_entry(VirtEventLoop *l, VEntry *en) {
        int r;

        if (en->is_timer) {
                if (en->events < 0) {
                        if (en->src)
                                (void) sd_event_source_set_enabled(en->src, SD_EVENT_OFF);
                        return;
                }
                uint64_t usec = (uint64_t) en->events * 1000U;
                if (!en->src) {
                        r = sd_event_add_time_relative(l->event, &en->src, CLOCK_MONOTONIC, usec, 1000,
                                                       time_cb, en);
                        if (r < 0) {
                                log_debug_errno(r, "libvirt timer %d: cannot add time source: %m", en->id);
                                return;
                        }
                        (void) sd_event_source_set_description(en->src, "libvirt-timer");
                } else
                        (void) sd_event_source_set_time_relative(en->src, usec);
                (void) sd_event_source_set_enabled(en->src, SD_EVENT_ON);
                return;
        }

        if (!en->src) {
                /* Watch a duplicate that the source owns: if libvirt closes its fd and the
                 * number is reused before our removal applies, epoll still watches the
                 * right file and removing the old source cannot drop the new one. */
                int dfd = fcntl(en->fd, F_DUPFD_CLOEXEC, 3);
                if (dfd < 0) {
                        log_debug_errno(errno, "libvirt handle %d: cannot dup fd %d: %m", en->id, en->fd);
                        return;
                }
                r = sd_event_add_io(l->event, &en->src, dfd, to_epoll(en->events), io_cb, en);
                if (r < 0) {
                        close(dfd);
                        log_debug_errno(r, "libvirt handle %d: cannot add io source: %m", en->id);
                        return;
                }
                (void) sd_event_source_set_io_fd_own(en->src, true);
                (void) sd_event_source_set_description(en->src, "libvirt-handle");
        } else
                (void) sd_event_source_set_io_events(en->src, to_epoll(en->events));
        (void) sd_event_source_set_enabled(en->src, en->events ? SD_EVENT_ON : SD_EVENT_OFF);
}

static void apply(VirtEventLoop *l) {
        bool reap = false;

        if (!l->dirty)
                return;
        /* removals first, so that a reused fd number is never confused */
        for (VEntry **p = &l->entries; *p;) {
                VEntry *en = *p;
                if (!en->removed) {
                        p = &en->next;
                        continue;
                }
                *p = en->next;
                en->src = sd_event_source_disable_unref(en->src);
                en->next = l->reap;
                l->reap = en;
                reap = true;
        }
        for (VEntry *en = l->entries; en; en = en->next)
                if (en->dirty) {
                        apply_entry(l, en);
                        en->dirty = false;
                }
        l->dirty = false;
        if (reap)
                (void) sd_event_source_set_enabled(l->reap_src, SD_EVENT_ONESHOT);
}

/* Lock held. */
static void changed(VirtEventLoop *l, VEntry *en) {
        en->dirty = true;
        l->dirty = true;
        if (on_loop_thread(l))
                apply(l);
        else {
                uint64_t one = 1;
                (void) !write(l->wake_fd, &one, sizeof(one));
        }
}

static int wake_cb(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        VirtEventLoop *l = userdata;
        uint64_t v;

        (void) !read(fd, &v, sizeof(v));
        pthread_mutex_lock(&l->lock);
        apply(l);
        pthread_mutex_unlock(&l->lock);
        return 0;
}

static int reap_cb(sd_event_source *s, void *userdata) {
        VirtEventLoop *l = userdata;
        VEntry *list;

        pthread_mutex_lock(&l->lock);
        list = TAKE_PTR(l->reap);
        pthread_mutex_unlock(&l->lock);

        while (list) {
                VEntry *en = list;
                list = en->next;
                if (en->ff)
                        en->ff(en->opaque);
                free(en);
        }
        return 0;
}

static int add_entry(VEntry *en) {
        VirtEventLoop *l = event_loop;
        int id;

        if (!l) {
                free(en);
                return -1;
        }
        pthread_mutex_lock(&l->lock);
        if (l->next_id == INT32_MAX) {
                pthread_mutex_unlock(&l->lock);
                free(en);
                return -1;
        }
        id = en->id = ++l->next_id;
        en->next = l->entries;
        l->entries = en;
        changed(l, en);
        pthread_mutex_unlock(&l->lock);
        return id;
}

static VEntry *find_entry(VirtEventLoop *l, int id, bool timer) {
        for (VEntry *en = l->entries; en; en = en->next)
                if (en->id == id && en->is_timer == timer && !en->removed)
                        return en;
        return NULL;
}

static int update_entry(int id, bool timer, int events) {
        VirtEventLoop *l = event_loop;
        if (!l)
                return -1;
        pthread_mutex_lock(&l->lock);
        VEntry *en = find_entry(l, id, timer);
        if (en) {
                en->events = events;
                changed(l, en);
        }
        pthread_mutex_unlock(&l->lock);
        return en ? 0 : -1;
}

static int remove_entry(int id, bool timer) {
        VirtEventLoop *l = event_loop;
        if (!l)
                return -1;
        pthread_mutex_lock(&l->lock);
        VEntry *en = find_entry(l, id, timer);
        if (en) {
                en->removed = true;
                changed(l, en);
        }
        pthread_mutex_unlock(&l->lock);
        return en ? 0 : -1;
}

static int ve_add_handle(int fd, int events, virEventHandleCallback cb, void *opaque, virFreeCallback ff) {
        VEntry *en = calloc(1, sizeof(*en));
        if (!en || fd < 0)
                return free(en), -1;
        *en = (VEntry) { .fd = fd, .events = events, .hcb = cb, .opaque = opaque, .ff = ff };
        return add_entry(en);
}

static void ve_update_handle(int watch, int events) {
        (void) update_entry(watch, false, events);
}

static int ve_remove_handle(int watch) {
        return remove_entry(watch, false);
}

static int ve_add_timeout(int interval, virEventTimeoutCallback cb, void *opaque, virFreeCallback ff) {
        VEntry *en = calloc(1, sizeof(*en));
        if (!en)
                return -1;
        *en = (VEntry) { .is_timer = true, .fd = -1, .events = interval < 0 ? -1 : interval, .tcb = cb,
                         .opaque = opaque, .ff = ff };
        return add_entry(en);
}

static void ve_update_timeout(int timer, int interval) {
        (void) update_entry(timer, true, interval < 0 ? -1 : interval);
}

static int ve_remove_timeout(int timer) {
        return remove_entry(timer, true);
}

static void silent_error(void *userdata, virErrorPtr err) {
}

int virt_event_register(sd_event *e) {
        VirtEventLoop *l;
        int r;

        if (!e)
                return -EINVAL;
        if (event_loop)
                return event_loop->event == e ? 0 : -EBUSY;

        if (virInitialize() < 0)
                return -EIO;
        virSetErrorFunc(NULL, silent_error);

        l = calloc(1, sizeof(*l));
        if (!l)
                return -ENOMEM;
        l->event = sd_event_ref(e);
        l->loop_thread = pthread_self();
        pthread_mutex_init(&l->lock, NULL);
        l->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (l->wake_fd < 0) {
                r = -errno;
                goto fail;
        }
        r = sd_event_add_io(e, &l->wake_src, l->wake_fd, EPOLLIN, wake_cb, l);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_description(l->wake_src, "libvirt-wake");
        r = sd_event_add_defer(e, &l->reap_src, reap_cb, l);
        if (r < 0)
                goto fail;
        (void) sd_event_source_set_enabled(l->reap_src, SD_EVENT_OFF);
        (void) sd_event_source_set_description(l->reap_src, "libvirt-reap");

        event_loop = l;
        virEventRegisterImpl(ve_add_handle, ve_update_handle, ve_remove_handle, ve_add_timeout,
                             ve_update_timeout, ve_remove_timeout);
        return 0;
fail:
        sd_event_source_unref(l->wake_src);
        if (l->wake_fd >= 0)
                close(l->wake_fd);
        pthread_mutex_destroy(&l->lock);
        sd_event_unref(l->event);
        free(l);
        return r;
}

unsigned virt_event_count(void) {
        VirtEventLoop *l = event_loop;
        unsigned n = 0;
        if (!l)
                return 0;
        pthread_mutex_lock(&l->lock);
        for (VEntry *en = l->entries; en; en = en->next)
                if (!en->removed)
                        n++;
        pthread_mutex_unlock(&l->lock);
        return n;
}
