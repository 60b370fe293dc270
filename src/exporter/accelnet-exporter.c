/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* accelnet-exporter: Prometheus metrics of accelnetd (read over D-Bus) and of this host's VFs
 * (read over rtnetlink), served over HTTP by libmicrohttpd. Unprivileged: reads only.
 * main → arguments → event loop with signal and watchdog sources → listening socket (from
 * systemd, or --listen) → READY=1 → run; each GET /metrics is one scrape. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "collect.h"
#include "config.h"
#include "http.h"
#include "render.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "sim/sim.h"

static void help(void) {
        printf("Usage: accelnet-exporter [OPTIONS]\n"
               "Prometheus metrics of accelnetd and of this host's SR-IOV VFs, on /metrics.\n\n"
               "  --listen=HOST:PORT    where to serve (default " HTTP_DEFAULT_LISTEN "; \":9870\"\n"
               "                        is every address); a socket passed by systemd wins\n"
               "  --root=DIR            the host's sysfs under DIR (default /), as accelnetd's\n"
               "  --simulate            read the VF counters of the simulated host in --root\n"
               "                        (accelnetd --simulate --root=DIR) instead of the kernel\n"
               "  --log-level=LEVEL     err, warning, notice, info (default) or debug\n"
               "  -h --help             show this help\n"
               "     --version          show the version\n\n"
               "accelnetd is read on the system bus (DBUS_SYSTEM_BUS_ADDRESS selects another)\n"
               "and never started by a scrape. See accelnet-exporter(8).\n");
}

typedef struct Exporter {
        Collector *collector;
        sd_event *event;
} Exporter;

static int scrape(void *userdata, char **ret_body, size_t *ret_len) {
        Exporter *x = userdata;
        Snapshot s;
        Expo e = {};
        int r;

        r = collector_scrape(x->collector, &s);
        if (r < 0) {
                snapshot_done(&s);
                return r;
        }
        render_metrics(&s, PACKAGE_VERSION, &e);
        snapshot_done(&s);
        *ret_body = expo_steal(&e, ret_len);
        return *ret_body ? 0 : -ENOMEM;
}

static int on_signal_exit(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Exporter *x = userdata;
        log_info("Received %s, exiting.", strsignal((int) si->ssi_signo));
        (void) sd_notify(false, "STOPPING=1");
        return sd_event_exit(x->event, 0);
}

static int run(int argc, char **argv) {
        enum { ARG_LISTEN = 0x100, ARG_ROOT, ARG_SIMULATE, ARG_LOG_LEVEL, ARG_VERSION };
        static const struct option opts[] = {
                { "listen", required_argument, NULL, ARG_LISTEN },
                { "root", required_argument, NULL, ARG_ROOT },
                { "simulate", no_argument, NULL, ARG_SIMULATE },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        const char *listen = NULL, *root = "/", *where;
        bool simulate = false;
        int c, r, fd = -EBADF;

        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0)
                switch (c) {
                case ARG_LISTEN: listen = optarg; break;
                case ARG_ROOT: root = optarg; break;
                case ARG_SIMULATE: simulate = true; break;
                case ARG_LOG_LEVEL:
                        r = log_set_max_level_from_option(optarg);
                        if (r < 0)
                                return r;
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("accelnet-exporter %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'.", argv[optind]);
                return -EINVAL;
        }
        if (isempty(root)) {
                log_error("--root needs a folder.");
                return -EINVAL;
        }
        if (simulate && streq(root, "/")) {
                log_error("--simulate reads the simulated host that accelnetd --simulate --root=DIR runs on: give "
                          "that --root.");
                return -EINVAL;
        }

        /* The socket: systemd's (accelnet-exporter.socket), else our own. */
        r = sd_listen_fds(true);
        if (r < 0)
                return log_error_errno(r, "Failed to read the sockets passed by systemd: %m");
        if (r > 1) {
                log_error("systemd passed %d sockets; accelnet-exporter serves on one.", r);
                return -EINVAL;
        }
        if (r == 1) {
                fd = SD_LISTEN_FDS_START;
                where = "the socket passed by systemd";
                if (listen)
                        log_notice("Serving on the socket passed by systemd; --listen=%s is not used.", listen);
        } else {
                const char *addr = where = listen ? listen : HTTP_DEFAULT_LISTEN;
                r = http_listen(addr, &fd);
                if (r == -EINVAL) {
                        log_error("Invalid --listen '%s': HOST:PORT with a numeric host, e.g. 127.0.0.1:9870, "
                                  "[::1]:9870 or :9870.", addr);
                        return r;
                }
                if (r < 0)
                        return log_error_errno(r, "Cannot listen on %s: %m", addr);
        }

        _cleanup_(collector_freep) Collector *collector = NULL;
        r = collector_new(simulate ? sim_backend() : sriov_backend_kernel(), root, &collector);
        if (r < 0) {
                if (fd >= 0)
                        close(fd);
                return log_oom();
        }
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        r = sd_event_default(&event);
        if (r < 0) {
                close(fd);
                return log_error_errno(r, "Failed to allocate the event loop: %m");
        }
        Exporter x = { .collector = collector, .event = event };
        _cleanup_(http_freep) Http *http = NULL;
        r = http_new(event, fd, scrape, &x, &http);
        if (r < 0)
                return log_error_errno(r, "Cannot start the HTTP server: %m");

        (void) signal(SIGPIPE, SIG_IGN);
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        (void) sd_event_add_signal(event, NULL, SIGTERM, on_signal_exit, &x);
        (void) sd_event_add_signal(event, NULL, SIGINT, on_signal_exit, &x);
        (void) sd_event_set_watchdog(event, true);

        log_info("accelnet-exporter %s ready: /metrics on %s; VF counters from the %s%s.", PACKAGE_VERSION, where,
                 simulate ? "simulated host in " : "kernel", simulate ? root : "");
        (void) sd_notify(false, "READY=1");
        r = sd_event_loop(event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        return 0;
}

int main(int argc, char **argv) {
        log_set_ident("accelnet-exporter");
        return run(argc, argv) < 0 ? 1 : 0;
}
