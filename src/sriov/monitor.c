/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PF monitor's shared part (monitor.h): watched PFs, mapping, de-duplication, and the
 * sysfs reads that complete an event. */
#include <stdio.h>
#include <time.h>

#include "healthfacts.h"
#include "monitor-source.h"
#include "shared/fileio.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/strutil.h"

typedef struct Watched {
        char address[PCI_ADDR_STRLEN];
        char *ifname;
        bool have_link;           /* the link facts last passed on (or read) */
        PfLinkFacts link;
        bool have_pcie;
        PfPcieFacts pcie;
} Watched;

struct PfMonitor {
        const SriovBackend *backend;
        sd_event *event;
        char *root;
        PfEventFn fn;
        void *userdata;
        Watched *w;
        size_t n;
        void *source;             /* the backend's, closed with monitor_close */
        bool started;
        StrBuf describe;
};

int pf_monitor_new(const SriovBackend *b, sd_event *e, const char *root, PfEventFn fn, void *userdata,
                   PfMonitor **ret) {
        PfMonitor *m = calloc(1, sizeof *m);
        if (!m)
                return -ENOMEM;
        m->backend = b;
        m->event = sd_event_ref(e);
        m->fn = fn;
        m->userdata = userdata;
        m->root = strdup(root ? root : "/");
        if (!m->root) {
                pf_monitor_free(m);
                return -ENOMEM;
        }
        *ret = m;
        return 0;
}

PfMonitor *pf_monitor_free(PfMonitor *m) {
        if (!m)
                return NULL;
        if (m->source && m->backend->monitor_close)
                m->backend->monitor_close(m->source);
        for (size_t i = 0; i < m->n; i++)
                free(m->w[i].ifname);
        free(m->w);
        free(m->root);
        strbuf_done(&m->describe);
        sd_event_unref(m->event);
        free(m);
        return NULL;
}

int pf_monitor_start(PfMonitor *m) {
        if (m->started)
                return 0;
        if (!m->backend->monitor_open) {
                pf_monitor_note_source(m, "events", -EOPNOTSUPP, "the backend has none");
                return -EOPNOTSUPP;
        }
        int r = m->backend->monitor_open(m, &m->source);
        if (r < 0)
                return r;
        m->started = true;
        return 0;
}

const char *pf_monitor_describe(const PfMonitor *m) {
        return m->describe.s ? m->describe.s : "";
}

void pf_monitor_note_source(PfMonitor *m, const char *name, int r, const char *detail) {
        if (r >= 0)
                strbuf_appendf(&m->describe, "%s%s", m->describe.len ? ", " : "", name);
        else
                strbuf_appendf(&m->describe, "%s%s (%s: skipped)", m->describe.len ? ", " : "", name,
                               detail ? detail : strerror(-r));
}

sd_event *pf_monitor_get_event(PfMonitor *m) {
        return m->event;
}

const char *pf_monitor_get_root(PfMonitor *m) {
        return m->root;
}

static Watched *find_address(PfMonitor *m, const char *address) {
        for (size_t i = 0; address && i < m->n; i++)
                if (streq(m->w[i].address, address))
                        return &m->w[i];
        return NULL;
}

static Watched *find_ifname(PfMonitor *m, const char *ifname) {
        for (size_t i = 0; ifname && i < m->n; i++)
                if (m->w[i].ifname && streq(m->w[i].ifname, ifname))
                        return &m->w[i];
        return NULL;
}

int pf_monitor_watch(PfMonitor *m, const char *address, const char *ifname) {
        PciAddr a;
        if (pci_addr_parse(address, &a) < 0)
                return -EINVAL;
        Watched *w = find_address(m, address);
        if (!w) {
                if (m->n >= PF_MONITOR_WATCH_MAX)
                        return -E2BIG;
                Watched *v = realloc(m->w, sizeof(Watched) * (m->n + 1));
                if (!v)
                        return -ENOMEM;
                m->w = v;
                w = &m->w[m->n++];
                *w = (Watched){};
                snprintf(w->address, sizeof w->address, "%s", address);
        }
        if (!streq_ptr(w->ifname, ifname)) {
                char *n = ifname ? strdup(ifname) : NULL;
                if (ifname && !n)
                        return -ENOMEM;
                free(w->ifname);
                w->ifname = n;
                w->have_link = false;
        }
        return 0;
}

void pf_monitor_unwatch(PfMonitor *m, const char *address) {
        Watched *w = find_address(m, address);
        if (!w)
                return;
        free(w->ifname);
        *w = m->w[--m->n];
}

int pf_monitor_read(PfMonitor *m, const char *address, PfHealthFacts *ret) {
        Watched *w = find_address(m, address);
        int r = pf_read_health_facts(m->root, address, w ? w->ifname : NULL, ret);
        if (r < 0 || !w)
                return r;
        w->link = ret->link;
        w->have_link = ret->bound > 0;
        w->pcie = ret->pcie;
        w->have_pcie = true;
        return 0;
}

static void stamp(PfEvent *ev, PfEventKind kind, const char *address) {
        struct timespec rt, mt;
        clock_gettime(CLOCK_REALTIME, &rt);
        clock_gettime(CLOCK_MONOTONIC, &mt);
        *ev = (PfEvent){ .kind = kind, .link = PF_LINK_FACTS_UNKNOWN, .aer = PF_AER_FACTS_UNKNOWN,
                         .realtime_usec = (uint64_t) rt.tv_sec * 1000000ULL + (uint64_t) rt.tv_nsec / 1000,
                         .monotonic_usec = (uint64_t) mt.tv_sec * 1000000ULL + (uint64_t) mt.tv_nsec / 1000 };
        snprintf(ev->pf, sizeof ev->pf, "%s", address);
}

static bool link_same(const PfLinkFacts *a, const PfLinkFacts *b) {
        return a->carrier == b->carrier && a->admin_up == b->admin_up && a->operstate == b->operstate &&
               a->carrier_changes == b->carrier_changes;
}

/* The PF whose netdev this is, when the name is not a watched one's (yet, or renamed). */
static Watched *find_by_sysfs(PfMonitor *m, const char *ifname) {
        char address[PCI_ADDR_STRLEN];
        if (pf_netdev_address(m->root, ifname, address) < 0)
                return NULL;
        return find_address(m, address);
}

void pf_monitor_feed_link(PfMonitor *m, const MonitorLinkMsg *msg) {
        Watched *w = find_ifname(m, msg->ifname);
        if (!w) {
                w = find_by_sysfs(m, msg->ifname);
                if (!w)
                        return;
                log_debug("PF %s: its netdev is now %s.", w->address, msg->ifname);
                if (pf_monitor_watch(m, w->address, msg->ifname) < 0)
                        return;
                w = find_ifname(m, msg->ifname);
                if (!w)
                        return;
        }
        /* a VF policy change, statistics, an address: the PF's RTM_NEWLINK says nothing new */
        if (w->have_link && link_same(&w->link, &msg->link))
                return;
        w->link = msg->link;
        w->have_link = true;
        PfEvent ev;
        stamp(&ev, PF_EVENT_LINK, w->address);
        ev.link = msg->link;
        m->fn(m->userdata, &ev);
}

void pf_monitor_feed_uevent(PfMonitor *m, const MonitorUevent *u) {
        Watched *w = u->sysname ? find_address(m, u->sysname) : NULL;
        PfEvent ev;

        if (!w || !u->action)
                return;
        if (streq(u->action, "bind")) {
                stamp(&ev, PF_EVENT_DRIVER_BOUND, w->address);
                if (u->driver)
                        snprintf(ev.driver, sizeof ev.driver, "%s", u->driver);
                else
                        (void) pf_read_driver(m->root, w->address, ev.driver);
                w->have_link = false;
        } else if (streq(u->action, "unbind") || streq(u->action, "remove")) {
                stamp(&ev, PF_EVENT_DRIVER_UNBOUND, w->address);
                w->have_link = false;
        } else if (streq(u->action, "change") && u->error_event) {
                PfEventKind k = streq(u->error_event, "BEGIN_RECOVERY")        ? PF_EVENT_RECOVERY_BEGIN
                                : streq(u->error_event, "SUCCESSFUL_RECOVERY") ? PF_EVENT_RECOVERY_SUCCESS
                                : streq(u->error_event, "FAILED_RECOVERY")     ? PF_EVENT_RECOVERY_FAILED
                                                                               : _PF_EVENT_KIND_INVALID;
                if (k < 0) {
                        log_debug("PF %s: unknown ERROR_EVENT=%.64s ignored.", w->address, u->error_event);
                        return;
                }
                stamp(&ev, k, w->address);
                /* the counters the recovery left behind (a real kernel counts before it reports) */
                if (pf_read_aer(m->root, w->address, &ev.aer) < 0)
                        return;
                if (k == PF_EVENT_RECOVERY_SUCCESS) {
                        if (pf_read_pcie(m->root, w->address, &ev.pcie) < 0)
                                return;
                        w->pcie = ev.pcie;
                        w->have_pcie = true;
                }
        } else if (streq(u->action, "change")) {
                PfPcieFacts p;
                if (pf_read_pcie(m->root, w->address, &p) < 0)
                        return;
                if (w->have_pcie && memcmp(&p, &w->pcie, sizeof p) == 0)
                        return;
                w->pcie = p;
                w->have_pcie = true;
                stamp(&ev, PF_EVENT_PCIE_LINK, w->address);
                ev.pcie = p;
        } else
                return;
        m->fn(m->userdata, &ev);
}

void pf_monitor_feed_reporter(PfMonitor *m, const char *bus, const char *dev, const PfReporterFacts *r) {
        Watched *w = bus && streq(bus, "pci") ? find_address(m, dev) : NULL;
        if (!w)
                return;
        PfEvent ev;
        stamp(&ev, PF_EVENT_DEVLINK_REPORTER, w->address);
        ev.reporter = *r;
        ev.reporter.name[sizeof ev.reporter.name - 1] = 0;
        m->fn(m->userdata, &ev);
}

void pf_monitor_resync(PfMonitor *m) {
        for (size_t i = 0; i < m->n; i++) {
                if (!m->w[i].ifname)
                        continue;
                _cleanup_free_ char *name = strdup(m->w[i].ifname);
                MonitorLinkMsg msg = { .ifname = name };
                if (!name || pf_read_link(m->root, name, &msg.link) < 0)
                        continue;
                pf_monitor_feed_link(m, &msg); /* may change m->w[i] */
        }
}
