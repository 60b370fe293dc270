/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>

#include "shared/anerror.h"
#include "shared/log.h"
#include "shared/names.h"
#include "shared/string-table.h"
#include "virt/virt-internal.h"

#define RECONNECT_MIN_USEC (1U * 1000000U)
#define RECONNECT_MAX_USEC (30U * 1000000U)
#define KEEPALIVE_INTERVAL 5
#define KEEPALIVE_COUNT 3

struct VirtConn {
        sd_event *event;
        char *uri;
        /* Guards `conn` only: worker threads take their own reference under it. Everything
         * else is used on the loop thread alone. */
        pthread_mutex_t lock;
        virConnectPtr conn;
        int lifecycle_id, removed_id, added_id, metadata_id;
        bool close_cb_registered;
        sd_event_source *reconnect_src;
        uint64_t backoff_usec;
        VirtEventHandler on_event;
        void *event_userdata;
        VirtReconnectHandler on_reconnect;
        void *reconnect_userdata;
};

/* ---- errors (the per-thread message itself lives in domxml.c, for the hook's sake) ---- */

static int map_libvirt_error(const virError *e) {
        if (!e)
                return -EIO;
        switch (e->code) {
        case VIR_ERR_NO_DOMAIN:
                return -AN_ERROR_NO_SUCH_VM;
        case VIR_ERR_NO_SUPPORT:
        case VIR_ERR_OPERATION_UNSUPPORTED:
        case VIR_ERR_CONFIG_UNSUPPORTED:
        case VIR_ERR_ARGUMENT_UNSUPPORTED:
                return -EOPNOTSUPP;
        case VIR_ERR_INVALID_ARG:
        case VIR_ERR_XML_ERROR:
        case VIR_ERR_XML_DETAIL:
        case VIR_ERR_OPERATION_INVALID:
        case VIR_ERR_INVALID_DOMAIN:
                return -EINVAL;
        case VIR_ERR_NO_CONNECT:
        case VIR_ERR_INVALID_CONN:
        case VIR_ERR_RPC:
                return -ENOTCONN;
        case VIR_ERR_AUTH_FAILED:
        case VIR_ERR_AUTH_CANCELLED:
        case VIR_ERR_AUTH_UNAVAILABLE:
        case VIR_ERR_ACCESS_DENIED:
        case VIR_ERR_OPERATION_DENIED:
                return -EACCES;
        case VIR_ERR_OPERATION_TIMEOUT:
        case VIR_ERR_AGENT_UNRESPONSIVE:
                return -ETIMEDOUT;
        case VIR_ERR_NO_MEMORY:
                return -ENOMEM;
        case VIR_ERR_DEVICE_MISSING:
                return -ENODEV;
        case VIR_ERR_SYSTEM_ERROR:
                return e->int1 > 0 ? -e->int1 : -EIO;
        default:
                return -EIO;
        }
}

int virt_error_libvirt(const char *what) {
        virErrorPtr e = virGetLastError();
        int r = map_libvirt_error(e);
        virt_error_set(r, "%s: %s", what, e && e->message ? e->message : "unknown libvirt error");
        virResetLastError();
        return r;
}

/* ---- string tables ---- */

static const char *const virt_event_table[_VIRT_EVENT_MAX] = {
        [VIRT_EVENT_DEFINED] = "defined",   [VIRT_EVENT_UNDEFINED] = "undefined",
        [VIRT_EVENT_STARTED] = "started",   [VIRT_EVENT_STOPPED] = "stopped",
        [VIRT_EVENT_DEVICE_REMOVED] = "device-removed",
        [VIRT_EVENT_METADATA_CHANGED] = "metadata-changed",
        [VIRT_EVENT_DEVICE_ADDED] = "device-added",
};
DEFINE_STRING_TABLE_LOOKUP(virt_event, VirtEvent);

/* ---- events ---- */

static const char *lifecycle_detail(int event, int detail) {
        static const char *const defined[] = { "added", "updated", "renamed", "snapshot" };
        static const char *const undefined[] = { "removed", "renamed" };
        static const char *const started[] = { "booted", "migrated", "restored", "snapshot", "wakeup" };
        static const char *const stopped[] = { "shutdown", "destroyed", "crashed", "migrated",
                                               "saved", "failed", "snapshot" };
#define PICK(t) ((detail >= 0 && (size_t) detail < ELEMENTSOF(t)) ? t[detail] : "unknown")
        switch (event) {
        case VIR_DOMAIN_EVENT_DEFINED: return PICK(defined);
        case VIR_DOMAIN_EVENT_UNDEFINED: return PICK(undefined);
        case VIR_DOMAIN_EVENT_STARTED: return PICK(started);
        case VIR_DOMAIN_EVENT_STOPPED: return PICK(stopped);
        default: return "unknown";
        }
#undef PICK
}

static int lifecycle_cb(virConnectPtr c, virDomainPtr dom, int event, int detail, void *opaque) {
        VirtConn *vc = opaque;
        VirtEvent ev;

        switch (event) {
        case VIR_DOMAIN_EVENT_DEFINED: ev = VIRT_EVENT_DEFINED; break;
        case VIR_DOMAIN_EVENT_UNDEFINED: ev = VIRT_EVENT_UNDEFINED; break;
        case VIR_DOMAIN_EVENT_STARTED: ev = VIRT_EVENT_STARTED; break;
        case VIR_DOMAIN_EVENT_STOPPED: ev = VIRT_EVENT_STOPPED; break;
        default: return 0;
        }
        const char *name = virDomainGetName(dom);
        log_debug("libvirt event: domain %s %s (%s)", strempty(name), virt_event_to_string(ev),
                  lifecycle_detail(event, detail));
        if (vc->on_event && name)
                vc->on_event(vc, name, ev, lifecycle_detail(event, detail), vc->event_userdata);
        return 0;
}

static void device_removed_cb(virConnectPtr c, virDomainPtr dom, const char *alias, void *opaque) {
        VirtConn *vc = opaque;
        const char *name = virDomainGetName(dom);
        log_debug("libvirt event: domain %s device %s removed", strempty(name), strempty(alias));
        if (vc->on_event && name)
                vc->on_event(vc, name, VIRT_EVENT_DEVICE_REMOVED, strempty(alias), vc->event_userdata);
}

static void device_added_cb(virConnectPtr c, virDomainPtr dom, const char *alias, void *opaque) {
        VirtConn *vc = opaque;
        const char *name = virDomainGetName(dom);
        log_debug("libvirt event: domain %s device %s added", strempty(name), strempty(alias));
        if (vc->on_event && name)
                vc->on_event(vc, name, VIRT_EVENT_DEVICE_ADDED, strempty(alias), vc->event_userdata);
}

static void metadata_changed_cb(virConnectPtr c, virDomainPtr dom, int type, const char *nsuri, void *opaque) {
        VirtConn *vc = opaque;
        const char *name = virDomainGetName(dom);

        /* Only accelnet's own element: other applications' metadata is not our business. */
        if (type != VIR_DOMAIN_METADATA_ELEMENT || !streq_ptr(nsuri, ACCELNET_METADATA_URI))
                return;
        log_debug("libvirt event: domain %s metadata %s changed", strempty(name), nsuri);
        if (vc->on_event && name)
                vc->on_event(vc, name, VIRT_EVENT_METADATA_CHANGED, nsuri, vc->event_userdata);
}

void virt_conn_set_event_handler(VirtConn *vc, VirtEventHandler h, void *userdata) {
        vc->on_event = h;
        vc->event_userdata = userdata;
}

void virt_conn_set_reconnect_handler(VirtConn *vc, VirtReconnectHandler h, void *userdata) {
        vc->on_reconnect = h;
        vc->reconnect_userdata = userdata;
}

/* ---- connection lifecycle (loop thread) ---- */

static void close_cb(virConnectPtr c, int reason, void *opaque);

static void events_deregister(VirtConn *vc, virConnectPtr c) {
        int *ids[] = { &vc->lifecycle_id, &vc->removed_id, &vc->added_id, &vc->metadata_id };
        for (size_t i = 0; i < ELEMENTSOF(ids); i++) {
                if (*ids[i] >= 0)
                        (void) virConnectDomainEventDeregisterAny(c, *ids[i]);
                *ids[i] = -1;
        }
        if (vc->close_cb_registered)
                (void) virConnectUnregisterCloseCallback(c, close_cb);
        vc->close_cb_registered = false;
}

static void conn_teardown(VirtConn *vc) {
        virConnectPtr c;

        pthread_mutex_lock(&vc->lock);
        c = TAKE_PTR(vc->conn);
        pthread_mutex_unlock(&vc->lock);
        if (!c)
                return;
        events_deregister(vc, c);
        virResetLastError();
        virConnectClose(c);
}

/* Opens and sets up a connection; on success it becomes vc->conn. */
static int conn_open(VirtConn *vc) {
        virConnectPtr c;
        int r;

        /* The test driver's node file is read by libxml2, which prints to stderr when the
         * file is missing: check first. */
        if (vc->uri && strncmp(vc->uri, "test:///", 8) == 0 && !streq(vc->uri + 7, "/default") &&
            access(vc->uri + 7, R_OK) < 0)
                return virt_error_set(-errno, "Cannot read the test driver file %s: %s", vc->uri + 7, strerror(errno));

        c = virConnectOpen(vc->uri);
        if (!c)
                return virt_error_libvirt("Cannot connect to libvirt");

        r = virConnectSetKeepAlive(c, KEEPALIVE_INTERVAL, KEEPALIVE_COUNT);
        if (r < 0) {
                r = virt_error_libvirt("Cannot set keepalive");
                if (r != -EOPNOTSUPP)
                        goto fail;
                log_debug("libvirt: no keepalive on %s: %s", strempty(vc->uri), virt_last_error());
                virt_error_clear();
        }
        if (virConnectRegisterCloseCallback(c, close_cb, vc, NULL) < 0) {
                r = virt_error_libvirt("Cannot watch the connection");
                if (r != -EOPNOTSUPP)
                        goto fail;
                virt_error_clear();
        } else
                vc->close_cb_registered = true;

        vc->lifecycle_id = virConnectDomainEventRegisterAny(c, NULL, VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                                            VIR_DOMAIN_EVENT_CALLBACK(lifecycle_cb), vc, NULL);
        if (vc->lifecycle_id < 0) {
                r = virt_error_libvirt("Cannot register for lifecycle events");
                goto fail;
        }
        vc->removed_id = virConnectDomainEventRegisterAny(c, NULL, VIR_DOMAIN_EVENT_ID_DEVICE_REMOVED,
                                                          VIR_DOMAIN_EVENT_CALLBACK(device_removed_cb), vc, NULL);
        if (vc->removed_id < 0) {
                r = virt_error_libvirt("Cannot register for device-removed events");
                goto fail;
        }

        vc->added_id = virConnectDomainEventRegisterAny(c, NULL, VIR_DOMAIN_EVENT_ID_DEVICE_ADDED,
                                                        VIR_DOMAIN_EVENT_CALLBACK(device_added_cb), vc, NULL);
        if (vc->added_id < 0) {
                r = virt_error_libvirt("Cannot register for device-added events");
                goto fail;
        }
        vc->metadata_id = virConnectDomainEventRegisterAny(c, NULL, VIR_DOMAIN_EVENT_ID_METADATA_CHANGE,
                                                           VIR_DOMAIN_EVENT_CALLBACK(metadata_changed_cb), vc, NULL);
        if (vc->metadata_id < 0) {
                r = virt_error_libvirt("Cannot register for metadata-change events");
                goto fail;
        }

        pthread_mutex_lock(&vc->lock);
        vc->conn = c;
        pthread_mutex_unlock(&vc->lock);
        return 0;
fail:
        events_deregister(vc, c);
        virResetLastError();
        virConnectClose(c);
        return r;
}

static int reconnect_cb(sd_event_source *s, uint64_t usec, void *userdata) {
        VirtConn *vc = userdata;
        int r;

        conn_teardown(vc);
        r = conn_open(vc);
        if (r < 0) {
                vc->backoff_usec = vc->backoff_usec * 2 > RECONNECT_MAX_USEC ? RECONNECT_MAX_USEC
                                                                              : vc->backoff_usec * 2;
                log_debug("libvirt: reconnect to %s failed (%s), next try in %us", strempty(vc->uri),
                          virt_last_error(), (unsigned) (vc->backoff_usec / 1000000U));
                (void) sd_event_source_set_time_relative(s, vc->backoff_usec);
                (void) sd_event_source_set_enabled(s, SD_EVENT_ONESHOT);
                return 0;
        }
        log_debug("libvirt: reconnected to %s", strempty(vc->uri));
        vc->backoff_usec = RECONNECT_MIN_USEC;
        if (vc->on_reconnect)
                vc->on_reconnect(vc, vc->reconnect_userdata);
        return 0;
}

static void schedule_reconnect(VirtConn *vc) {
        int r;

        if (vc->reconnect_src) {
                int enabled = SD_EVENT_OFF;
                (void) sd_event_source_get_enabled(vc->reconnect_src, &enabled);
                if (enabled != SD_EVENT_OFF)
                        return; /* already scheduled */
                (void) sd_event_source_set_time_relative(vc->reconnect_src, vc->backoff_usec);
                (void) sd_event_source_set_enabled(vc->reconnect_src, SD_EVENT_ONESHOT);
                return;
        }
        r = sd_event_add_time_relative(vc->event, &vc->reconnect_src, CLOCK_MONOTONIC, vc->backoff_usec, 0,
                                       reconnect_cb, vc);
        if (r < 0)
                log_debug_errno(r, "libvirt: cannot schedule reconnect: %m");
        else
                (void) sd_event_source_set_description(vc->reconnect_src, "libvirt-reconnect");
}

/* libvirt calls this from the event loop; the connection is torn down later, from the
 * reconnect timer, never inside libvirt's callback. */
static void close_cb(virConnectPtr c, int reason, void *opaque) {
        VirtConn *vc = opaque;
        log_debug("libvirt: connection to %s closed (reason %d)", strempty(vc->uri), reason);
        schedule_reconnect(vc);
}

int virt_conn_new(sd_event *e, const char *uri, VirtConn **ret) {
        _cleanup_(virt_conn_freep) VirtConn *vc = NULL;
        int r;

        virt_error_clear();
        if (!e || !ret)
                return virt_error_set(-EINVAL, "Invalid arguments");
        r = virt_event_register(e);
        if (r < 0)
                return virt_error_set(r, "Cannot register libvirt's event loop: %s", strerror(-r));

        vc = calloc(1, sizeof(*vc));
        if (!vc)
                return virt_error_set(-ENOMEM, "Out of memory");
        pthread_mutex_init(&vc->lock, NULL);
        vc->event = sd_event_ref(e);
        vc->lifecycle_id = vc->removed_id = vc->added_id = vc->metadata_id = -1;
        vc->backoff_usec = RECONNECT_MIN_USEC;
        if (uri && !(vc->uri = strdup(uri)))
                return virt_error_set(-ENOMEM, "Out of memory");

        r = conn_open(vc);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(vc);
        return 0;
}

VirtConn *virt_conn_free(VirtConn *vc) {
        if (!vc)
                return NULL;
        vc->reconnect_src = sd_event_source_disable_unref(vc->reconnect_src);
        conn_teardown(vc);
        pthread_mutex_destroy(&vc->lock);
        sd_event_unref(vc->event);
        free(vc->uri);
        free(vc);
        return NULL;
}

/* ---- calls from any thread ---- */

virConnectPtr virt_conn_acquire(VirtConn *vc) {
        virConnectPtr c = NULL;

        if (!vc) {
                virt_error_set(-EINVAL, "No libvirt connection object");
                return NULL;
        }
        pthread_mutex_lock(&vc->lock);
        if (vc->conn && virConnectRef(vc->conn) == 0)
                c = vc->conn;
        pthread_mutex_unlock(&vc->lock);
        if (!c)
                virt_error_set(-ENOTCONN, "Not connected to libvirt (reconnecting)");
        return c;
}

bool virt_conn_is_alive(VirtConn *vc) {
        _cleanup_conn_ virConnectPtr c = virt_conn_acquire(vc);
        bool alive = c && virConnectIsAlive(c) == 1;
        virResetLastError();
        return alive;
}

int virt_conn_version(VirtConn *vc, char **ret) {
        unsigned long v = 0;
        char *s;

        virt_error_clear();
        if (vc) {
                _cleanup_conn_ virConnectPtr c = virt_conn_acquire(vc);
                if (!c)
                        return -ENOTCONN;
                if (virConnectGetLibVersion(c, &v) < 0)
                        return virt_error_libvirt("Cannot get libvirt's version");
        } else if (virGetVersion(&v, NULL, NULL) < 0)
                return virt_error_libvirt("Cannot get libvirt's version");
        if (asprintf(&s, "%lu.%lu.%lu", v / 1000000UL, v / 1000UL % 1000UL, v % 1000UL) < 0)
                return virt_error_set(-ENOMEM, "Out of memory");
        *ret = s;
        return 0;
}

void virt_strv_free(char **v, size_t n) {
        if (!v)
                return;
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int virt_conn_list_all(VirtConn *vc, virConnectPtr *ret_conn, virDomainPtr **ret_doms) {
        int n;

        virt_error_clear();
        *ret_conn = virt_conn_acquire(vc);
        if (!*ret_conn)
                return -ENOTCONN;
        n = virConnectListAllDomains(*ret_conn, ret_doms, 0);
        if (n < 0)
                return virt_error_libvirt("Cannot list domains");
        return n;
}

int virt_list_domains(VirtConn *vc, char ***ret_names, size_t *ret_n) {
        _cleanup_conn_ virConnectPtr c = NULL;
        virDomainPtr *doms = NULL;
        char **names = NULL;
        int n, r = 0;

        n = virt_conn_list_all(vc, &c, &doms);
        if (n < 0)
                return n;
        names = calloc((size_t) n + 1, sizeof(char *));
        if (!names)
                r = virt_error_set(-ENOMEM, "Out of memory");
        for (int i = 0; i < n; i++) {
                const char *name = virDomainGetName(doms[i]);
                if (r == 0 && !(names[i] = strdup(strempty(name))))
                        r = virt_error_set(-ENOMEM, "Out of memory");
                virDomainFree(doms[i]);
        }
        free(doms);
        if (r < 0) {
                virt_strv_free(names, (size_t) n);
                return r;
        }
        qsort(names, (size_t) n, sizeof(char *), cmp_str);
        *ret_names = names;
        *ret_n = (size_t) n;
        return 0;
}
