/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* accelnetd: main → arguments → event loop with signal and watchdog sources → bus connect,
 * vtables, name → startup (config, state, discovery, resume) → READY=1 → run. */
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <systemd/sd-daemon.h>

#include "api/bus-api.h"
#include "config.h"
#include "manager.h"
#include "shared/log.h"
#include "shared/macro.h"
#include "shared/names.h"
#include "sim/sim.h"
#include "sim/simulate.h"
#include "sriov/backend.h"

static void help(void) {
        printf("Usage: accelnetd [OPTIONS]\n"
               "Accelerated Networking daemon: SR-IOV VFs for libvirt VMs, over D-Bus\n"
               "(org.accelnet1).\n\n"
               "  --root=DIR            read hardware facts under DIR (default /)\n"
               "  --config-dir=DIR      configuration (default " ACCELNET_SYSCONFDIR ")\n"
               "  --state-dir=DIR       state (default " ACCELNET_STATEDIR ")\n"
               "  --libvirt-uri=URI     libvirt connection (default qemu:///system)\n"
               "  --simulate[=HOST.json]\n"
               "                        run on a simulated host instead of the kernel: the\n"
               "                        description (default: the built-in one) becomes a\n"
               "                        fake root in a temporary directory (or in --root, if\n"
               "                        it has no sys/ yet), with simulated VF netlink and\n"
               "                        sriov_numvfs and libvirt's test driver; configuration\n"
               "                        and state default to the simulation's own\n"
               "  --log-level=LEVEL     err, warning, notice, info (default) or debug\n"
               "  -h --help             show this help\n"
               "     --version          show the version\n\n"
               "Without --simulate, VF policy goes to the running kernel over netlink,\n"
               "whatever --root says. The system bus is used; DBUS_SYSTEM_BUS_ADDRESS\n"
               "selects another one. See accelnetd(8).\n");
}

static int on_signal_exit(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        log_info("Received %s, exiting.", strsignal((int) si->ssi_signo));
        (void) sd_notify(false, "STOPPING=1");
        return sd_event_exit(m->event, 0);
}

static int on_signal_reload(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        (void) sd_notify(false, "RELOADING=1");
        (void) manager_reload_config(m);
        (void) manager_refresh(m);
        manager_dirty(m, DIRTY_PROPERTIES);
        (void) sd_notify(false, "READY=1");
        return 0;
}

static int run(int argc, char **argv) {
        enum { ARG_ROOT = 0x100, ARG_CONFIG, ARG_STATE, ARG_URI, ARG_SIMULATE, ARG_VERSION, ARG_LOG_LEVEL };
        static const struct option opts[] = {
                { "root", required_argument, NULL, ARG_ROOT },
                { "config-dir", required_argument, NULL, ARG_CONFIG },
                { "state-dir", required_argument, NULL, ARG_STATE },
                { "libvirt-uri", required_argument, NULL, ARG_URI },
                { "simulate", optional_argument, NULL, ARG_SIMULATE },
                { "log-level", required_argument, NULL, ARG_LOG_LEVEL },
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                {},
        };
        ManagerOptions mo = {};
        const char *sim_host = NULL;
        bool simulate = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", opts, NULL)) >= 0)
                switch (c) {
                case ARG_ROOT: mo.root = optarg; break;
                case ARG_CONFIG: mo.config_dir = optarg; break;
                case ARG_STATE: mo.state_dir = optarg; break;
                case ARG_URI: mo.libvirt_uri = optarg; break;
                case ARG_SIMULATE:
                        simulate = true;
                        sim_host = optarg;
                        break;
                case ARG_LOG_LEVEL:
                        r = log_set_max_level_from_option(optarg);
                        if (r < 0)
                                return r;
                        break;
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("accelnetd %s\n", PACKAGE_VERSION);
                        return 0;
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                log_error("Unexpected argument '%s'.", argv[optind]);
                return -EINVAL;
        }

        /* The backend is chosen here, once: the simulation only when asked for. */
        _cleanup_(simulation_freep) Simulation *sim = NULL;
        mo.backend = sriov_backend_kernel();
        if (simulate) {
                _cleanup_free_ char *err = NULL;
                SimulationOptions so = { .host_json = sim_host && sim_host[0] ? sim_host : NULL,
                                         .root = mo.root && mo.root[0] ? mo.root : NULL,
                                         .config_dir = mo.config_dir, .state_dir = mo.state_dir,
                                         .libvirt_uri = mo.libvirt_uri };
                r = simulation_setup(&so, &sim, &err);
                if (r < 0)
                        return log_error_errno(r, "Cannot set up the simulated host: %s", err ? err : strerror(-r));
                if (sim->built)
                        log_info("Simulated host (%s) built in %s.", sim->host, sim->root);
                else
                        log_info("Simulated host: using the existing tree in %s.", sim->root);
                mo.root = sim->root;
                mo.config_dir = sim->config_dir;
                mo.state_dir = sim->state_dir;
                mo.libvirt_uri = sim->libvirt_uri;
                mo.backend = sim_backend();
        }

        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        r = sd_bus_open_system(&bus);
        if (r < 0)
                return log_error_errno(r, "Failed to connect to the system bus: %m");
        _cleanup_(bus_api_freep) BusApi *api = NULL;
        r = bus_api_new(bus, &api);
        if (r < 0)
                return log_oom();
        /* The Manager reports its changes to the bus layer through ManagerNotify. */
        _cleanup_(manager_freep) Manager *m = NULL;
        r = manager_new(&mo, bus_api_notify(api), &m);
        if (r < 0)
                return log_error_errno(r, "Failed to set up: %m");

        /* The workers and the domain readers are short of work most of the time: two malloc
         * arenas serve them, instead of one per thread, each keeping its freed memory. */
        (void) mallopt(M_ARENA_MAX, 2);
        /* A peer that goes away (libvirtd killed mid-call) must be an error, not our death. */
        (void) signal(SIGPIPE, SIG_IGN);
        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGHUP);
        /* Pacemaker's tools run as children watched by the loop (sd_event_add_child): SIGCHLD
         * is blocked here, before any worker thread exists, so in every thread */
        sigaddset(&mask, SIGCHLD);
        sigprocmask(SIG_BLOCK, &mask, NULL);
        (void) sd_event_add_signal(m->event, NULL, SIGTERM, on_signal_exit, m);
        (void) sd_event_add_signal(m->event, NULL, SIGINT, on_signal_exit, m);
        (void) sd_event_add_signal(m->event, NULL, SIGHUP, on_signal_reload, m);
        (void) sd_event_set_watchdog(m->event, true);

        r = sd_bus_attach_event(bus, m->event, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to attach the bus to the event loop: %m");

        r = manager_startup(m);
        if (r < 0)
                return r;
        r = bus_api_attach(api, m);
        if (r < 0)
                return r;
        r = sd_bus_request_name(bus, ACCELNET_BUS_NAME, 0);
        if (r < 0)
                return log_error_errno(r, "Failed to acquire the bus name " ACCELNET_BUS_NAME " (is another accelnetd running? "
                                       "is the D-Bus policy installed?): %m");

        /* What start-up parsed and freed (every domain's XML, the state) goes back now. */
        (void) malloc_trim(0);
        log_info("accelnetd %s ready: %zu adapter(s) under %s, management %s%s%s.", PACKAGE_VERSION,
                 m->host->n_adapters, m->root, m->enabled ? "enabled on intent " : "disabled",
                 m->enabled ? m->intent : "", sriov_backend_is_simulated(m->backend) ? " (simulated host)" : "");
        (void) sd_notifyf(false, "READY=1\nSTATUS=%zu adapter(s); management %s%s", m->host->n_adapters,
                          m->enabled ? "enabled on " : "disabled", m->enabled ? m->intent : "");

        r = sd_event_loop(m->event);
        if (r < 0)
                return log_error_errno(r, "Event loop failed: %m");
        /* The Manager goes first (it saves and replies), then the bus. */
        m = manager_free(m);
        return 0;
}

int main(int argc, char **argv) {
        log_set_ident("accelnetd");
        int r = run(argc, argv);
        return r < 0 ? 1 : 0;
}
