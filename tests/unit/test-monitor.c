/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The PF monitor (sriov/monitor.c, healthfacts.c) on the simulated backend's event source
 * (sim/simmonitor.c, simevent.c): events sent to ROOT/run/accelnet-sim/events.sock change
 * the fake sysfs and arrive normalized on the sd-event loop, only when something changed;
 * bad events are refused with a message naming the field. And the kernel's sources open. */
#include <sys/socket.h>
#include <sys/un.h>

#include "fakehost.h"
#include "sim/sim.h"
#include "sim/simevent.h"
#include "sriov/healthfacts.h"
#include "sriov/monitor.h"
#include "testlib.h"

#define HOST                                                                                                    \
        "{'iommu': true, 'devices': [ {'address': '0000:00:01.0', 'bus': [1, 1],"                              \
        " 'config': {'synth': {'vendor': '8086', 'device': '2f02', 'type': 'rootport', 'acs': true}},"        \
        " 'children': ["                                                                                        \
        "  {'address': '0000:01:00.0', 'driver': 'igb', 'ifname': 'ens1f0', 'link_speed': 1000,"               \
        "   'files': {'current_link_speed': '5.0 GT/s PCIe\\n', 'current_link_width': '4\\n',"                  \
        "             'max_link_speed': '5.0 GT/s PCIe\\n', 'max_link_width': '4\\n'},"                         \
        "   'config': {'synth': {'vendor': '8086', 'device': '10c9', 'class': '020000',"                       \
        "              'sriov': {'total': 8, 'offset': 128, 'stride': 2, 'vf_device': '10ca'}}}},"              \
        "  {'address': '0000:01:00.1', 'driver': 'igb', 'ifname': 'ens1f1', 'link_speed': 1000,"               \
        "   'config': {'synth': {'vendor': '8086', 'device': '10c9', 'class': '020000',"                       \
        "              'sriov': {'total': 8, 'offset': 128, 'stride': 2, 'vf_device': '10ca'}}}} ] } ] }"

#define MAX_EVENTS 64

typedef struct Seen {
        PfEvent ev[MAX_EVENTS];
        size_t n;
} Seen;

static void collect(void *userdata, const PfEvent *ev) {
        Seen *s = userdata;
        if (s->n < MAX_EVENTS)
                s->ev[s->n++] = *ev;
}

typedef struct Rig {
        FakeHost host;
        sd_event *event;
        PfMonitor *mon;
        Seen seen;
        int client;
        char server[108];
} Rig;

static bool rig_up(Rig *t) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        *t = (Rig){ .client = -1 };
        if (fake_host_build(&t->host, HOST) < 0 || sd_event_new(&t->event) < 0 ||
            pf_monitor_new(sim_backend(), t->event, t->host.root, collect, &t->seen, &t->mon) < 0)
                return false;
        if (pf_monitor_watch(t->mon, "0000:01:00.0", "ens1f0") < 0 || pf_monitor_watch(t->mon, "0000:01:00.1", NULL) < 0 ||
            pf_monitor_start(t->mon) < 0)
                return false;
        snprintf(t->server, sizeof t->server, "%s/%s", t->host.root, SIM_EVENTS_SOCKET);
        t->client = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s/client.sock", t->host.root);
        return t->client >= 0 && bind(t->client, (struct sockaddr *) &sa, sizeof sa) == 0;
}

static void rig_down(Rig *t) {
        if (t->client >= 0)
                close(t->client);
        pf_monitor_free(t->mon);
        sd_event_unref(t->event);
        fake_host_done(&t->host);
}

/* Sends one event, runs the loop until the reply comes; returns the reply ("ok", "error: ..."). */
static char *send_event(Rig *t, const char *json) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };
        static char reply[512];
        snprintf(sa.sun_path, sizeof sa.sun_path, "%s", t->server);
        if (sendto(t->client, json, strlen(json), 0, (struct sockaddr *) &sa, sizeof sa) < 0)
                return NULL;
        for (int i = 0; i < 100; i++) {
                ssize_t n = recv(t->client, reply, sizeof reply - 1, MSG_DONTWAIT);
                if (n >= 0) {
                        reply[n] = 0;
                        return reply;
                }
                (void) sd_event_run(t->event, 100000);
        }
        return NULL;
}

static char *sysfs(Rig *t, const char *rel) {
        static char buf[256];
        _cleanup_free_ char *p = root_path(t->host.root, rel), *s = NULL;
        if (!p || read_one_line(p, &s) < 0)
                return NULL;
        snprintf(buf, sizeof buf, "%s", s);
        return buf;
}

TEST(facts_from_sysfs) {
        Rig t;
        ASSERT(rig_up(&t));
        PfHealthFacts f;
        CHECK_INT(pf_monitor_read(t.mon, "0000:01:00.0", &f), 0);
        CHECK_INT(f.bound, 1);
        CHECK_STR(f.driver, "igb");
        CHECK_INT(f.link.carrier, 1);
        CHECK_INT(f.link.admin_up, 1);
        CHECK_INT(f.link.operstate, PF_OPER_UP);
        CHECK_INT(f.link.carrier_changes, 1);
        CHECK_INT(f.pcie.cur_speed_mts, 5000);
        CHECK_INT(f.pcie.cur_width, 4);
        CHECK_INT(f.pcie.max_width, 4);
        CHECK_INT(f.pcie.ports_mbps, 2000); /* both functions of the device */
        CHECK_INT(f.pcie.n_ports, 2);
        CHECK_INT(f.aer.fatal, -1);         /* no AER files */
        /* the second PF: its netdev found by itself, no PCIe files */
        CHECK_INT(pf_monitor_read(t.mon, "0000:01:00.1", &f), 0);
        CHECK_INT(f.link.carrier, 1);
        CHECK_INT(f.pcie.cur_speed_mts, 0);
        CHECK_CONTAINS(pf_monitor_describe(t.mon), "simulated events");
        rig_down(&t);
}

TEST(link_events) {
        Rig t;
        ASSERT(rig_up(&t));
        PfHealthFacts f;
        CHECK_INT(pf_monitor_read(t.mon, "0000:01:00.0", &f), 0);

        CHECK_STR(send_event(&t, "{\"pf\": \"ens1f0\", \"event\": \"link\", \"carrier\": false}"), "ok");
        ASSERT(t.seen.n == 1);
        CHECK_INT(t.seen.ev[0].kind, PF_EVENT_LINK);
        CHECK_STR(t.seen.ev[0].pf, "0000:01:00.0");
        CHECK_INT(t.seen.ev[0].link.carrier, 0);
        CHECK_INT(t.seen.ev[0].link.operstate, PF_OPER_DOWN);
        CHECK_INT(t.seen.ev[0].link.carrier_changes, 2);
        CHECK(t.seen.ev[0].realtime_usec > 0 && t.seen.ev[0].monotonic_usec > 0);
        CHECK_STR(sysfs(&t, "sys/class/net/ens1f0/carrier"), "0");
        CHECK_STR(sysfs(&t, "sys/class/net/ens1f0/operstate"), "down");
        CHECK_STR(sysfs(&t, "sys/class/net/ens1f0/carrier_changes"), "2");

        /* nothing changed: nothing passed on */
        CHECK_STR(send_event(&t, "{\"pf\": \"0000:01:00.0\", \"event\": \"link\", \"carrier\": false}"), "ok");
        CHECK_INT(t.seen.n, 1);

        /* flapping: one notification per transition */
        CHECK_STR(send_event(&t, "{\"pf\": \"ens1f0\", \"event\": \"flap\", \"count\": 3}"), "ok");
        ASSERT(t.seen.n == 4);
        CHECK_INT(t.seen.ev[3].link.carrier, 1);
        CHECK_INT(t.seen.ev[3].link.carrier_changes, 5);

        /* administratively down: no readable carrier, flags without IFF_UP */
        CHECK_STR(send_event(&t, "{\"pf\": \"ens1f0\", \"event\": \"link\", \"carrier\": true, \"admin_up\": false}"), "ok");
        ASSERT(t.seen.n == 5);
        CHECK_INT(t.seen.ev[4].link.admin_up, 0);
        CHECK_INT(t.seen.ev[4].link.carrier, -1);
        CHECK_INT(t.seen.ev[4].link.carrier_changes, 6);
        CHECK_STR(sysfs(&t, "sys/class/net/ens1f0/flags"), "0x1002");

        /* a PF that is not watched: dropped */
        pf_monitor_unwatch(t.mon, "0000:01:00.1");
        CHECK_STR(send_event(&t, "{\"pf\": \"ens1f1\", \"event\": \"link\", \"carrier\": false}"), "ok");
        CHECK_INT(t.seen.n, 5);
        rig_down(&t);
}

TEST(driver_and_recovery_events) {
        Rig t;
        ASSERT(rig_up(&t));
        CHECK_STR(send_event(&t, "{\"pf\": \"0000:01:00.0\", \"event\": \"unbind\"}"), "ok");
        ASSERT(t.seen.n == 1);
        CHECK_INT(t.seen.ev[0].kind, PF_EVENT_DRIVER_UNBOUND);
        char driver[PF_DRIVER_NAME_MAX];
        CHECK_INT(pf_read_driver(t.host.root, "0000:01:00.0", driver), 0);
        CHECK_STR(send_event(&t, "{\"pf\": \"0000:01:00.0\", \"event\": \"unbind\"}"),
                  "error: 0000:01:00.0 has no driver bound");
        CHECK_STR(send_event(&t, "{\"pf\": \"0000:01:00.0\", \"event\": \"bind\"}"), "ok");
        ASSERT(t.seen.n == 2);
        CHECK_INT(t.seen.ev[1].kind, PF_EVENT_DRIVER_BOUND);
        CHECK_STR(t.seen.ev[1].driver, "igb");
        CHECK_INT(pf_read_driver(t.host.root, "0000:01:00.0", driver), 1);
        CHECK_STR(driver, "igb");
        CHECK_STR(send_event(&t, "{\"pf\": \"0000:01:00.0\", \"event\": \"bind\"}"),
                  "error: 0000:01:00.0 is bound to igb already");

        CHECK_STR(send_event(&t, "{\"pf\": \"ens1f0\", \"event\": \"recovery\", \"result\": \"begin\", "
                                 "\"aer\": {\"nonfatal\": 2}}"), "ok");
        ASSERT(t.seen.n == 3);
        CHECK_INT(t.seen.ev[2].kind, PF_EVENT_RECOVERY_BEGIN);
        CHECK_INT(t.seen.ev[2].aer.nonfatal, 2);
        CHECK_INT(t.seen.ev[2].aer.correctable, 0);
        CHECK_STR(sysfs(&t, "sys/bus/pci/devices/0000:01:00.0/aer_dev_nonfatal"), "CmpltTO 2");
        CHECK_STR(send_event(&t, "{\"pf\": \"ens1f0\", \"event\": \"recovery\", \"result\": \"success\"}"), "ok");
        ASSERT(t.seen.n == 4);
        CHECK_INT(t.seen.ev[3].kind, PF_EVENT_RECOVERY_SUCCESS);
        CHECK_INT(t.seen.ev[3].aer.nonfatal, 2);
        CHECK_INT(t.seen.ev[3].pcie.cur_speed_mts, 5000);
        CHECK_STR(send_event(&t, "{\"pf\": \"ens1f0\", \"event\": \"recovery\", \"result\": \"failed\", "
                                 "\"aer\": {\"fatal\": 1}}"), "ok");
        ASSERT(t.seen.n == 5);
        CHECK_INT(t.seen.ev[4].kind, PF_EVENT_RECOVERY_FAILED);
        CHECK_INT(t.seen.ev[4].aer.fatal, 1);
        rig_down(&t);
}

TEST(pcie_and_devlink_events) {
        Rig t;
        ASSERT(rig_up(&t));
        PfHealthFacts f;
        CHECK_INT(pf_monitor_read(t.mon, "0000:01:00.0", &f), 0);
        CHECK_STR(send_event(&t, "{\"pf\": \"ens1f0\", \"event\": \"pcie-link\", \"speed\": \"2.5 GT/s PCIe\", "
                                 "\"width\": 2}"), "ok");
        ASSERT(t.seen.n == 1);
        CHECK_INT(t.seen.ev[0].kind, PF_EVENT_PCIE_LINK);
        CHECK_INT(t.seen.ev[0].pcie.cur_speed_mts, 2500);
        CHECK_INT(t.seen.ev[0].pcie.cur_width, 2);
        CHECK_INT(t.seen.ev[0].pcie.max_speed_mts, 5000);
        /* the same link again: no news */
        CHECK_STR(send_event(&t, "{\"pf\": \"ens1f0\", \"event\": \"pcie-link\", \"speed\": \"2.5 GT/s PCIe\", "
                                 "\"width\": 2}"), "ok");
        CHECK_INT(t.seen.n, 1);
        CHECK_STR(send_event(&t, "{\"pf\": \"ens1f0\", \"event\": \"devlink\", \"reporter\": \"tx\", "
                                 "\"state\": \"error\", \"errors\": 3}"), "ok");
        ASSERT(t.seen.n == 2);
        CHECK_INT(t.seen.ev[1].kind, PF_EVENT_DEVLINK_REPORTER);
        CHECK_STR(t.seen.ev[1].reporter.name, "tx");
        CHECK(t.seen.ev[1].reporter.error);
        CHECK_INT(t.seen.ev[1].reporter.error_count, 3);
        rig_down(&t);
}

TEST(bad_events_are_refused) {
        Rig t;
        ASSERT(rig_up(&t));
        static const char *const bad[][2] = {
                { "{\"pf\": \"0000:09:00.0\", \"event\": \"unbind\"}", "error: no PCI device 0000:09:00.0" },
                { "{\"pf\": \"eth9\", \"event\": \"unbind\"}", "error: no netdev eth9" },
                { "not json", "error: not JSON" },
                { "{\"pf\": \"ens1f0\", \"event\": \"reboot\"}", "error: \"event\": unknown event 'reboot'" },
                { "{\"pf\": \"ens1f0\", \"event\": \"link\"}", "error: \"carrier\" is required" },
                { "{\"pf\": \"ens1f0\", \"event\": \"link\", \"carrier\": 1}", "error: \"carrier\" must be true or false" },
                { "{\"pf\": \"ens1f0\", \"event\": \"link\", \"carrier\": true, \"count\": 2}",
                  "error: unknown key \"count\" for event \"link\"" },
                { "{\"pf\": \"ens1f0\", \"event\": \"flap\", \"count\": 0}", "error: \"count\" must be an integer 1-1000" },
                { "{\"pf\": \"a/b\", \"event\": \"unbind\"}", "error: \"pf\": 'a/b' is neither" },
                { "{\"pf\": \"ens1f0\", \"event\": \"recovery\", \"result\": \"maybe\"}", "error: \"result\": 'maybe'" },
                { "{\"pf\": \"ens1f0\", \"event\": \"recovery\", \"result\": \"begin\", \"aer\": {\"odd\": 1}}",
                  "error: \"aer\": unknown key \"odd\"" },
                { "{\"pf\": \"ens1f0\", \"event\": \"pcie-link\", \"speed\": \"fast\", \"width\": 4}",
                  "error: \"speed\": 'fast' is not a PCIe speed" },
                { "{\"pf\": \"ens1f0\", \"event\": \"pcie-link\", \"speed\": \"8 GT/s\", \"width\": 33}",
                  "error: \"width\" must be an integer 1-32" },
                { "{\"pf\": \"ens1f0\", \"event\": \"devlink\", \"reporter\": \"tx\", \"state\": \"sad\"}",
                  "error: \"state\": 'sad'" },
                { "{\"pf\": \"ens1f0\", \"pf\": \"ens1f1\", \"event\": \"unbind\"}", "error: not JSON" },
                { "[1]", "error: an event is a JSON object" },
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                const char *r = send_event(&t, bad[i][0]);
                CHECK(r && strncmp(r, bad[i][1], strlen(bad[i][1])) == 0);
                if (!r || strncmp(r, bad[i][1], strlen(bad[i][1])) != 0)
                        fprintf(stderr, "  %s -> %s\n", bad[i][0], r ? r : "(no reply)");
        }
        CHECK_INT(t.seen.n, 0);
        /* too big for one event */
        char big[SIM_EVENT_MAX_SIZE + 100];
        memset(big, ' ', sizeof big - 1);
        big[sizeof big - 1] = 0;
        CHECK_STR(send_event(&t, big), "error: an event is at most 4096 bytes");
        rig_down(&t);
}

TEST(sim_event_table) {
        for (int i = 0; i < _SIM_EVENT_TYPE_MAX; i++)
                CHECK_INT(sim_event_type_from_string(sim_event_type_to_string(i)), i);
        SimEvent e;
        char *err = NULL;
        const char *ok = "{\"pf\": \"ens1f0\", \"event\": \"pcie-link\", \"speed\": \"8.0 GT/s PCIe\", \"width\": 4, "
                         "\"max_speed\": \"16.0 GT/s PCIe\", \"max_width\": 8}";
        CHECK_INT(sim_event_parse(ok, strlen(ok), &e, &err), 0);
        CHECK_INT(e.type, SIM_EVENT_PCIE_LINK);
        CHECK_STR(e.max_speed, "16.0 GT/s PCIe");
        CHECK_INT(e.max_width, 8);
        /* the event name is exact (the table's lookup is case-insensitive) */
        const char *caps = "{\"pf\": \"ens1f0\", \"event\": \"UNBIND\"}";
        CHECK_INT(sim_event_parse(caps, strlen(caps), &e, &err), -EBADMSG);
        free(err);
}

TEST(aer_and_pcie_parsing) {
        int64_t v = 0;
        CHECK_INT(aer_total_parse("RxErr 1\nBadTLP 2\nTOTAL_ERR_COR 3\n", "TOTAL_ERR_COR", &v), 0);
        CHECK_INT(v, 3);
        CHECK_INT(aer_total_parse("TOTAL_ERR_CORX 3\n", "TOTAL_ERR_COR", &v), -EBADMSG);
        CHECK_INT(aer_total_parse("TOTAL_ERR_FATAL x\n", "TOTAL_ERR_FATAL", &v), -EBADMSG);
        CHECK_INT(aer_total_parse("", "TOTAL_ERR_FATAL", &v), -EBADMSG);
}

TEST(kernel_sources_open) {
        /* rtnetlink and udev exist on any Linux host the tests run on; devlink may not */
        sd_event *e = NULL;
        PfMonitor *m = NULL;
        Seen seen = {};
        ASSERT(sd_event_new(&e) >= 0);
        CHECK_INT(pf_monitor_new(sriov_backend_kernel(), e, "/", collect, &seen, &m), 0);
        CHECK_INT(pf_monitor_start(m), 0);
        CHECK_CONTAINS(pf_monitor_describe(m), "rtnetlink");
        CHECK_CONTAINS(pf_monitor_describe(m), "devlink");
        pf_monitor_free(m);
        sd_event_unref(e);
}

int main(void) {
        RUN(facts_from_sysfs);
        RUN(link_events);
        RUN(driver_and_recovery_events);
        RUN(pcie_and_devlink_events);
        RUN(bad_events_are_refused);
        RUN(sim_event_table);
        RUN(aer_and_pcie_parsing);
        RUN(kernel_sources_open);
        return TEST_MAIN_END();
}
