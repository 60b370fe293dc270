/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* src/virt against libvirt's test driver: a node file in a temp dir, test:///PATH. */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <time.h>

#include "shared/anerror.h"
#include "shared/fileio.h"
#include "shared/names.h"
#include "shared/strutil.h"
#include "testlib.h"
#include "virt/virt.h"
#include <libvirt/libvirt.h>

#define DOMAIN_HEAD(name, n, vcpu) \
        "<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>" \
        "<name>" name "</name><uuid>11111111-2222-3333-4444-00000000000" n "</uuid>"  \
        "<memory>262144</memory>" vcpu "<os><type>hvm</type></os>"
#define SHUTOFF "<test:runstate>5</test:runstate>"
#define VIRTIO(mac) \
        "<interface type='network'><mac address='" mac "'/><source network='default'/><model type='virtio'/></interface>"

static const char node_xml[] =
        "<node>"
        /* running, 1 vCPU, a virtio NIC that was not teamed at boot */
        DOMAIN_HEAD("vm1", "1", "<vcpu>1</vcpu>")
        "<devices>" VIRTIO("52:54:00:00:01:01") "</devices></domain>"
        /* stopped, 2 vCPUs */
        DOMAIN_HEAD("vm2", "2", "<vcpu>2</vcpu>") SHUTOFF
        "<devices>" VIRTIO("52:54:00:00:02:01") "</devices></domain>"
        /* running, 4 vCPUs (2 current), its virtio NIC teamed at boot with a user alias */
        DOMAIN_HEAD("vm4", "4", "<vcpu current='2'>4</vcpu>")
        "<devices><interface type='network'><mac address='52:54:00:00:04:01'/><source network='default'/>"
        "<model type='virtio'/><teaming type='persistent'/><alias name='ua-net0'/></interface></devices></domain>"
        /* running, 8 vCPUs, NUMA-pinned, several interface types and a VF from boot */
        DOMAIN_HEAD("vm8", "8", "<vcpu placement='static' cpuset='0-7'>8</vcpu>")
        "<metadata><app:x xmlns:app='urn:example:other'>kept</app:x>"
        "<accelnet:vm xmlns:accelnet='" ACCELNET_METADATA_URI "' performance='Low'/></metadata>"
        "<cputune><vcpupin vcpu='0' cpuset='0'/><vcpupin vcpu='1' cpuset='1-2'/></cputune>"
        "<numatune><memory mode='strict' nodeset='0'/><memnode cellid='0' mode='preferred' nodeset='0'/></numatune>"
        "<cpu><numa><cell id='0' cpus='0-7' memory='262144' unit='KiB'/></numa></cpu>"
        "<devices>"
        "<interface type='network'><mac address='52:54:00:00:08:01'/><source network='default'/><model type='virtio'/>"
        "<teaming type='persistent'/><alias name='ua-net0'/></interface>"
        "<interface type='bridge'><mac address='52:54:00:00:08:02'/><source bridge='br0'/><vlan><tag id='42'/></vlan>"
        "<model type='e1000e'/></interface>"
        "<interface type='direct'><mac address='52:54:00:00:08:03'/><source dev='eth0' mode='vepa'/>"
        "<model type='virtio'/></interface>"
        "<interface type='hostdev' managed='yes'><mac address='52:54:00:00:08:01'/><source>"
        "<address type='pci' domain='0x0000' bus='0x3b' slot='0x10' function='0x3'/></source>"
        "<teaming type='transient' persistent='ua-net0'/><alias name='ua-accelnet-vf9'/></interface>"
        "</devices></domain>"
        /* stopped, no NIC */
        DOMAIN_HEAD("nonic", "9", "<vcpu>2</vcpu>") SHUTOFF "<devices/></domain>"
        "</node>";

static sd_event *event;
static VirtConn *conn;
static char *tmpdir;

/* Redirects stderr to a file for the duration of a block of calls; returns its size. */
static int stderr_saved = -1;
static char stderr_path[512];

static void stderr_capture(void) {
        fflush(stderr);
        snprintf(stderr_path, sizeof(stderr_path), "%s/stderr", tmpdir);
        int fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        stderr_saved = dup(2);
        dup2(fd, 2);
        close(fd);
}

static long stderr_restore(void) {
        struct stat st;
        fflush(stderr);
        dup2(stderr_saved, 2);
        close(stderr_saved);
        stderr_saved = -1;
        return stat(stderr_path, &st) < 0 ? -1 : (long) st.st_size;
}

typedef struct Seen {
        unsigned defined, undefined, started, stopped, removed, metadata, other;
        char last_domain[64], last_detail[64];
} Seen;

static void on_event(VirtConn *vc, const char *domain, VirtEvent ev, const char *detail, void *userdata) {
        Seen *s = userdata;
        switch (ev) {
        case VIRT_EVENT_DEFINED: s->defined++; break;
        case VIRT_EVENT_UNDEFINED: s->undefined++; break;
        case VIRT_EVENT_STARTED: s->started++; break;
        case VIRT_EVENT_STOPPED: s->stopped++; break;
        case VIRT_EVENT_DEVICE_REMOVED: s->removed++; break;
        case VIRT_EVENT_METADATA_CHANGED: s->metadata++; break;
        default: s->other++; break;
        }
        snprintf(s->last_domain, sizeof(s->last_domain), "%s", domain);
        snprintf(s->last_detail, sizeof(s->last_detail), "%s", detail);
}

/* Runs the loop until *flag becomes non-zero or `ms` pass. */
static void run_until(volatile unsigned *flag, unsigned ms) {
        struct timespec t0, t;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        while (!*flag) {
                (void) sd_event_run(event, 50 * 1000);
                clock_gettime(CLOCK_MONOTONIC, &t);
                if ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 > ms)
                        break;
        }
}

TEST(string_tables) {
        for (int i = 0; i < _VIRT_EVENT_MAX; i++)
                CHECK_INT(virt_event_from_string(virt_event_to_string((VirtEvent) i)), i);
        for (int i = 0; i < _VIRT_IFACE_TYPE_MAX; i++)
                CHECK_INT(virt_iface_type_from_string(virt_iface_type_to_string((VirtIfaceType) i)), i);
        for (int i = 0; i < _VIRT_TEAMING_MAX; i++)
                CHECK_INT(virt_teaming_from_string(virt_teaming_to_string((VirtTeaming) i)), i);
        for (int i = 0; i < _VIRT_LIVE_MAX; i++)
                CHECK_INT(virt_live_from_string(virt_live_to_string((VirtLive) i)), i);
        CHECK_INT(virt_iface_type_from_string("bogus"), _VIRT_IFACE_TYPE_INVALID);
        CHECK_STR(virt_event_to_string(VIRT_EVENT_METADATA_CHANGED), "metadata-changed");
        CHECK_STR(virt_event_to_string(VIRT_EVENT_DEVICE_ADDED), "device-added");
        CHECK_INT(virt_event_from_string("Device-Added"), VIRT_EVENT_DEVICE_ADDED);
        CHECK(virt_live_to_string(_VIRT_LIVE_MAX) == NULL);
}

TEST(connection) {
        _cleanup_free_ char *v = NULL, *lib = NULL;
        CHECK(virt_conn_is_alive(conn));
        CHECK_INT(virt_conn_version(conn, &v), 0);
        CHECK_INT(virt_conn_version(NULL, &lib), 0);
        CHECK_STR(v, lib);
        CHECK(v && version_compare(v, "7.0.0") >= 0);
        CHECK(v && strchr(v, '.') && strchr(strchr(v, '.') + 1, '.'));
        /* libvirt's own handles and timers live on our loop */
        CHECK(virt_event_count() > 0);

        /* a bad URI fails with a message and prints nothing */
        VirtConn *bad = NULL;
        stderr_capture();
        int r = virt_conn_new(event, "test:///nonexistent/dir/node.xml", &bad);
        CHECK_INT(r, -ENOENT);
        CHECK_CONTAINS(virt_last_error(), "/nonexistent/dir/node.xml");
        r = virt_conn_new(event, "nosuchdriver:///system", &bad);
        CHECK(r < 0);
        CHECK(virt_last_error()[0] != '\0');
        _cleanup_free_ char *badfile = path_join(tmpdir, "bad.xml");
        _cleanup_free_ char *baduri = NULL;
        ASSERT(badfile && asprintf(&baduri, "test://%s", badfile) > 0);
        ASSERT(write_file_atomic(badfile, "<node><domain>", 14, 0644) == 0);
        r = virt_conn_new(event, baduri, &bad);
        CHECK(r < 0);
        long printed = stderr_restore();
        CHECK(bad == NULL);
        CHECK_INT(printed, 0);
}

TEST(list) {
        char **names = NULL;
        size_t n = 0;
        CHECK_INT(virt_list_domains(conn, &names, &n), 0);
        ASSERT(n == 5);
        CHECK_STR(names[0], "nonic");
        CHECK_STR(names[1], "vm1");
        CHECK_STR(names[2], "vm2");
        CHECK_STR(names[3], "vm4");
        CHECK_STR(names[4], "vm8");
        virt_strv_free(names, n);
}

TEST(facts) {
        _cleanup_(virt_domain_freep) VirtDomain *d1 = NULL, *d2 = NULL, *d4 = NULL, *d8 = NULL, *dn = NULL;

        CHECK_INT(virt_domain_get(conn, "vm1", &d1), 0);
        ASSERT(d1);
        CHECK_STR(d1->name, "vm1");
        CHECK_STR(d1->uuid, "11111111-2222-3333-4444-000000000001");
        CHECK(d1->active);
        CHECK_INT(d1->vcpus, 1);
        ASSERT(d1->n_ifaces == 1 && d1->n_live_ifaces == 1);
        CHECK_INT(d1->ifaces[0].type, VIRT_IFACE_NETWORK);
        CHECK_STR(d1->ifaces[0].model, "virtio");
        CHECK_STR(d1->ifaces[0].mac, "52:54:00:00:01:01");
        CHECK_INT(d1->ifaces[0].teaming, VIRT_TEAMING_NONE);
        CHECK(d1->numa_mode == NULL && d1->n_vcpupins == 0);
        CHECK(!d1->accel);
        CHECK(d1->accel_performance == NULL);

        CHECK_INT(virt_domain_get(conn, "vm2", &d2), 0);
        ASSERT(d2);
        CHECK(!d2->active);
        CHECK_INT(d2->vcpus, 2);
        CHECK_INT(d2->n_live_ifaces, 0);
        CHECK_INT(d2->n_ifaces, 1);

        CHECK_INT(virt_domain_get(conn, "vm4", &d4), 0);
        ASSERT(d4);
        CHECK_INT(d4->vcpus, 2);
        CHECK_INT(d4->vcpus_max, 4);
        ASSERT(d4->n_live_ifaces == 1);
        CHECK_INT(d4->live_ifaces[0].teaming, VIRT_TEAMING_PERSISTENT);
        CHECK_STR(d4->live_ifaces[0].alias, "ua-net0");

        CHECK_INT(virt_domain_get(conn, "vm8", &d8), 0);
        ASSERT(d8);
        CHECK(d8->active);
        CHECK_INT(d8->vcpus, 8);
        CHECK_STR(d8->vcpu_cpuset, "0-7");
        CHECK_STR(d8->vcpu_placement, "static");
        CHECK(d8->accel);
        CHECK_STR(d8->accel_performance, "Low");
        CHECK_STR(d8->numa_mode, "strict");
        CHECK_STR(d8->numa_nodeset, "0");
        ASSERT(d8->n_memnodes == 1);
        CHECK_INT(d8->memnodes[0].id, 0);
        CHECK_STR(d8->memnodes[0].mode, "preferred");
        CHECK_STR(d8->memnodes[0].set, "0");
        ASSERT(d8->n_vcpupins == 2);
        CHECK_INT(d8->vcpupins[1].id, 1);
        CHECK_STR(d8->vcpupins[1].set, "1-2");
        ASSERT(d8->n_ifaces == 4);
        CHECK_INT(d8->ifaces[1].type, VIRT_IFACE_BRIDGE);
        CHECK_STR(d8->ifaces[1].model, "e1000e");
        CHECK_INT(d8->ifaces[1].vlan, 42);
        CHECK_INT(d8->ifaces[2].type, VIRT_IFACE_DIRECT);
        CHECK_INT(d8->ifaces[3].type, VIRT_IFACE_HOSTDEV);
        CHECK(d8->ifaces[3].managed);
        CHECK_STR(d8->ifaces[3].pci, "0000:3b:10.3");
        CHECK_INT(d8->ifaces[3].teaming, VIRT_TEAMING_TRANSIENT);
        CHECK_STR(d8->ifaces[3].teaming_persistent, "ua-net0");
        CHECK_STR(d8->ifaces[3].alias, "ua-accelnet-vf9");
        CHECK(virt_iface_find_pci(d8->live_ifaces, d8->n_live_ifaces, "0000:3b:10.3") != NULL);
        CHECK(virt_iface_find_mac(d8->ifaces, d8->n_ifaces, "52:54:00:00:08:03") == &d8->ifaces[2]);
        CHECK(virt_iface_find_mac(d8->ifaces, d8->n_ifaces, "52:54:00:00:08:02") == &d8->ifaces[1]);
        CHECK(virt_iface_find_mac(d8->ifaces, d8->n_ifaces, "52:54:00:ff:ff:ff") == NULL);

        CHECK_INT(virt_domain_get(conn, "nonic", &dn), 0);
        ASSERT(dn);
        CHECK_INT(dn->n_ifaces, 0);
}

TEST(unknown_domain) {
        VirtDomain *d = NULL;
        VirtAttachResult ar;
        VirtDetachResult dr;
        stderr_capture();
        int r1 = virt_domain_get(conn, "no-such-vm", &d);
        int r2 = virt_domain_attach_vf(conn,
                                       &(VirtAttachArgs) { .domain = "no-such-vm", .vf_pci = "0000:01:10.1",
                                                           .mac = "52:54:00:00:00:01", .alias = "ua-accelnet-vf0",
                                                           .virtio_mac = "52:54:00:00:00:01" },
                                       &ar);
        int r3 = virt_domain_detach_vf(conn, "no-such-vm", "0000:01:10.1", 0, &dr);
        long printed = stderr_restore();
        CHECK_INT(r1, -AN_ERROR_NO_SUCH_VM);
        CHECK_INT(r2, -AN_ERROR_NO_SUCH_VM);
        CHECK_INT(r3, -AN_ERROR_NO_SUCH_VM);
        CHECK_CONTAINS(virt_last_error(), "no-such-vm");
        CHECK(d == NULL);
        CHECK_INT(printed, 0);
}

static VirtAttachArgs vf_args(const char *domain, const char *pci, const char *mac, unsigned vlan, const char *alias) {
        return (VirtAttachArgs) { .domain = domain, .vf_pci = pci, .mac = mac, .vlan = vlan, .alias = alias,
                                  .virtio_mac = mac };
}

TEST(attach_stopped) {
        Seen seen = {};
        VirtAttachResult res = {};
        VirtAttachArgs a = vf_args("vm2", "0000:01:10.1", "52:54:00:00:02:01", 42, "ua-accelnet-vf0");

        virt_conn_set_event_handler(conn, on_event, &seen);
        CHECK_INT(virt_domain_attach_vf(conn, &a, &res), 0);
        CHECK(res.changed_config);
        CHECK_INT(res.live, VIRT_LIVE_NOT_RUNNING);
        CHECK_STR(res.virtio_alias, "ua-accelnet-net0");
        CHECK(res.message[0] != '\0');

        _cleanup_(virt_domain_freep) VirtDomain *d = NULL;
        CHECK_INT(virt_domain_get(conn, "vm2", &d), 0);
        ASSERT(d && d->n_ifaces == 2);
        const VirtIface *v = &d->ifaces[0], *h = virt_iface_find_pci(d->ifaces, d->n_ifaces, "0000:01:10.1");
        CHECK_INT(v->type, VIRT_IFACE_NETWORK);
        CHECK_STR(v->alias, "ua-accelnet-net0");
        CHECK_INT(v->teaming, VIRT_TEAMING_PERSISTENT);
        ASSERT(h);
        CHECK(h->managed);
        CHECK_STR(h->mac, "52:54:00:00:02:01");
        CHECK_INT(h->vlan, 42);
        CHECK_INT(h->teaming, VIRT_TEAMING_TRANSIENT);
        CHECK_STR(h->teaming_persistent, "ua-accelnet-net0");
        CHECK_STR(h->alias, "ua-accelnet-vf0");

        /* the redefinition came back as a lifecycle event through the sd-event bridge */
        run_until(&seen.defined, 5000);
        CHECK(seen.defined >= 1);
        CHECK_STR(seen.last_domain, "vm2");
        CHECK_STR(seen.last_detail, "updated");

        /* idempotent: same call changes nothing */
        VirtAttachResult again = {};
        CHECK_INT(virt_domain_attach_vf(conn, &a, &again), 0);
        CHECK(!again.changed_config);
        CHECK_INT(again.live, VIRT_LIVE_NOT_RUNNING);
        _cleanup_(virt_domain_freep) VirtDomain *d2 = NULL;
        CHECK_INT(virt_domain_get(conn, "vm2", &d2), 0);
        CHECK(d2 && d2->n_ifaces == 2);

        /* the same VF under another alias, or another VF for the same virtio NIC: refused */
        VirtAttachArgs other = a;
        other.alias = "ua-accelnet-other";
        CHECK_INT(virt_domain_attach_vf(conn, &other, &res), -EEXIST);
        other = a;
        other.vf_pci = "0000:01:10.3";
        other.alias = "ua-accelnet-vf1";
        CHECK_INT(virt_domain_attach_vf(conn, &other, &res), -EEXIST);
        virt_conn_set_event_handler(conn, NULL, NULL);
}

TEST(attach_running) {
        VirtAttachResult res = {};
        /* not teamed at boot: config only */
        VirtAttachArgs a = vf_args("vm1", "0000:01:10.5", "52:54:00:00:01:01", 0, "ua-accelnet-vf1");
        CHECK_INT(virt_domain_attach_vf(conn, &a, &res), 0);
        CHECK(res.changed_config);
        CHECK_INT(res.live, VIRT_LIVE_NOT_TEAMED_AT_BOOT);
        _cleanup_(virt_domain_freep) VirtDomain *d = NULL;
        CHECK_INT(virt_domain_get(conn, "vm1", &d), 0);
        ASSERT(d);
        CHECK(d->active);
        CHECK_INT(d->n_ifaces, 2);
        CHECK_INT(d->n_live_ifaces, 1); /* nothing live */
        const VirtIface *h = virt_iface_find_pci(d->ifaces, d->n_ifaces, "0000:01:10.5");
        ASSERT(h);
        CHECK_INT(h->vlan, 0);
        CHECK_STR(h->teaming_persistent, "ua-accelnet-net0");

        /* teamed at boot: live is tried, the test driver cannot, the user alias is kept */
        VirtAttachArgs b = vf_args("vm4", "0000:01:11.1", "52:54:00:00:04:01", 7, "ua-accelnet-vf2");
        stderr_capture();
        int r = virt_domain_attach_vf(conn, &b, &res);
        long printed = stderr_restore();
        CHECK_INT(r, 0);
        CHECK_INT(printed, 0);
        CHECK(res.changed_config);
        CHECK_INT(res.live, VIRT_LIVE_UNSUPPORTED);
        CHECK_CONTAINS(res.message, "not supported");
        CHECK_STR(res.virtio_alias, "ua-net0");
        _cleanup_(virt_domain_freep) VirtDomain *d4 = NULL;
        CHECK_INT(virt_domain_get(conn, "vm4", &d4), 0);
        ASSERT(d4);
        h = virt_iface_find_pci(d4->ifaces, d4->n_ifaces, "0000:01:11.1");
        ASSERT(h);
        CHECK_STR(h->teaming_persistent, "ua-net0");
        CHECK_INT(h->vlan, 7);
        CHECK_STR(d4->ifaces[0].alias, "ua-net0");

        /* booted with the VF: already live, nothing to change */
        VirtAttachArgs c = vf_args("vm8", "0000:3b:10.3", "52:54:00:00:08:01", 0, "ua-accelnet-vf9");
        CHECK_INT(virt_domain_attach_vf(conn, &c, &res), 0);
        CHECK(!res.changed_config);
        CHECK_INT(res.live, VIRT_LIVE_ATTACHED);
}

TEST(attach_errors) {
        VirtAttachResult res = {};
        VirtAttachArgs a = vf_args("nonic", "0000:01:10.1", "52:54:00:00:09:01", 0, "ua-accelnet-vf0");
        CHECK_INT(virt_domain_attach_vf(conn, &a, &res), -AN_ERROR_GET_NETWORK_ADAPTER_FAILED);
        /* a NIC that is not virtio cannot be teamed */
        a = vf_args("vm8", "0000:01:10.1", "52:54:00:00:08:02", 0, "ua-accelnet-vf0");
        CHECK_INT(virt_domain_attach_vf(conn, &a, &res), -AN_ERROR_GET_NETWORK_ADAPTER_FAILED);

        a = vf_args("vm2", "0000:01:10.1", "52:54:00:00:02:01", 0, "ua-accelnet-vf0");
        VirtAttachArgs bad = a;
        bad.vf_pci = "01:10.1.9";
        CHECK_INT(virt_domain_attach_vf(conn, &bad, &res), -EINVAL);
        bad = a;
        bad.mac = "52:54:00:00:02";
        CHECK_INT(virt_domain_attach_vf(conn, &bad, &res), -EINVAL);
        bad = a;
        bad.vlan = 4095;
        CHECK_INT(virt_domain_attach_vf(conn, &bad, &res), -EINVAL);
        bad = a;
        bad.alias = "net0";
        CHECK_INT(virt_domain_attach_vf(conn, &bad, &res), -EINVAL);
        bad.alias = "ua-accelnet-x'/><evil";
        CHECK_INT(virt_domain_attach_vf(conn, &bad, &res), -EINVAL);
        CHECK_CONTAINS(virt_last_error(), "alias");
}

TEST(detach) {
        VirtDetachResult res = {};
        CHECK_INT(virt_domain_detach_vf(conn, "vm2", "0000:01:10.1", 1000000, &res), 0);
        CHECK(res.changed_config);
        CHECK(!res.detached_live);
        _cleanup_(virt_domain_freep) VirtDomain *d = NULL;
        CHECK_INT(virt_domain_get(conn, "vm2", &d), 0);
        ASSERT(d && d->n_ifaces == 1);
        CHECK_INT(d->ifaces[0].teaming, VIRT_TEAMING_NONE);
        CHECK_STR(d->ifaces[0].alias, "ua-accelnet-net0"); /* the alias may stay */
        CHECK_STR(d->ifaces[0].mac, "52:54:00:00:02:01");

        /* idempotent */
        res = (VirtDetachResult) {};
        CHECK_INT(virt_domain_detach_vf(conn, "vm2", "0000:01:10.1", 0, &res), 0);
        CHECK(!res.changed_config);

        /* attach again after detach: same result as the first time */
        VirtAttachResult ar = {};
        VirtAttachArgs a = vf_args("vm2", "0000:01:10.1", "52:54:00:00:02:01", 42, "ua-accelnet-vf0");
        CHECK_INT(virt_domain_attach_vf(conn, &a, &ar), 0);
        CHECK(ar.changed_config);
        CHECK_STR(ar.virtio_alias, "ua-accelnet-net0");
        CHECK_INT(virt_domain_detach_vf(conn, "vm2", "0000:01:10.1", 0, &res), 0);

        /* a re-plug: another VF under the VM's one alias */
        const char *vfs[] = { "0000:01:10.1", "0000:01:10.2" };
        for (size_t i = 0; i < ELEMENTSOF(vfs); i++) {
                _cleanup_(virt_domain_freep) VirtDomain *dv = NULL;
                a = vf_args("vm2", vfs[i], "52:54:00:00:02:01", 0, ACCELNET_VF_ALIAS);
                CHECK_INT(virt_domain_attach_vf(conn, &a, &ar), 0);
                CHECK(ar.changed_config);
                CHECK_INT(virt_domain_get(conn, "vm2", &dv), 0);
                ASSERT(dv && dv->n_ifaces == 2);
                const VirtIface *h = virt_iface_find_pci(dv->ifaces, dv->n_ifaces, vfs[i]);
                ASSERT(h);
                CHECK_STR(h->alias, ACCELNET_VF_ALIAS);
                CHECK_STR(h->teaming_persistent, "ua-accelnet-net0");
                res = (VirtDetachResult) {};
                CHECK_INT(virt_domain_detach_vf(conn, "vm2", vfs[i], 0, &res), 0);
                CHECK(res.changed_config);
        }

        /* running domain, VF only in the config */
        res = (VirtDetachResult) {};
        CHECK_INT(virt_domain_detach_vf(conn, "vm4", "0000:01:11.1", 0, &res), 0);
        CHECK(res.changed_config);
        _cleanup_(virt_domain_freep) VirtDomain *d4 = NULL;
        CHECK_INT(virt_domain_get(conn, "vm4", &d4), 0);
        ASSERT(d4 && d4->n_ifaces == 1);
        CHECK_INT(d4->ifaces[0].teaming, VIRT_TEAMING_NONE);

        /* live: the test driver cannot detach; the config is updated and the error returned */
        res = (VirtDetachResult) {};
        stderr_capture();
        int r = virt_domain_detach_vf(conn, "vm8", "0000:3b:10.3", 100000, &res);
        long printed = stderr_restore();
        CHECK_INT(r, -EOPNOTSUPP);
        CHECK_INT(printed, 0);
        CHECK(res.changed_config);
        CHECK(!res.detached_live);
        _cleanup_(virt_domain_freep) VirtDomain *d8 = NULL;
        CHECK_INT(virt_domain_get(conn, "vm8", &d8), 0);
        ASSERT(d8);
        CHECK(virt_iface_find_pci(d8->ifaces, d8->n_ifaces, "0000:3b:10.3") == NULL);
        CHECK(virt_iface_find_pci(d8->live_ifaces, d8->n_live_ifaces, "0000:3b:10.3") != NULL);
        CHECK_INT(d8->ifaces[0].teaming, VIRT_TEAMING_NONE);
        CHECK_INT(d8->n_ifaces, 3);

        CHECK_INT(virt_domain_detach_vf(conn, "vm8", "not-pci", 0, &res), -EINVAL);
}

/* virDomainGetXMLDesc, counted: this definition takes the place of libvirt's for the calls
 * src/virt makes (linked statically into this binary). */
static unsigned xml_fetches;
char *virDomainGetXMLDesc(virDomainPtr d, unsigned int flags) {
        static char *(*real)(virDomainPtr, unsigned int);
        if (!real)
                *(void **) &real = dlsym(RTLD_NEXT, "virDomainGetXMLDesc");
        xml_fetches++;
        return real(d, flags);
}

TEST(xml_fetches) {
        _cleanup_(virt_domain_freep) VirtDomain *stopped = NULL, *running = NULL;
        /* an inactive domain: one fetch (the daemon reads every domain at start) */
        xml_fetches = 0;
        CHECK_INT(virt_domain_get(conn, "vm2", &stopped), 0);
        CHECK_INT(xml_fetches, 1);
        CHECK(stopped && !stopped->active);
        /* an active one: live and persistent */
        xml_fetches = 0;
        CHECK_INT(virt_domain_get(conn, "vm8", &running), 0);
        CHECK_INT(xml_fetches, 2);
        CHECK(running && running->active && running->accel);
}

/* Domains for the accel tests: the node file's, or those given on the command line (a real
 * libvirtd hosting the test driver: tests/integration/test_libvirtd.py). */
static const char *accel_stopped = "vm2", *accel_running = "vm1";

static void accel_expect(const char *vm, bool accel, const char *performance) {
        _cleanup_(virt_domain_freep) VirtDomain *d = NULL;
        CHECK_INT(virt_domain_get(conn, vm, &d), 0);
        if (!d)
                return;
        if (d->accel != accel || !streq_ptr(d->accel_performance, performance))
                fprintf(stderr, "%s: accel %d performance %s, expected %d %s\n", vm, d->accel,
                        strempty(d->accel_performance), accel, strempty(performance));
        CHECK(d->accel == accel);
        CHECK(streq_ptr(d->accel_performance, performance));
}

TEST(set_accel) {
        const char *vms[] = { accel_stopped, accel_running };
        Seen seen = {};

        virt_conn_set_event_handler(conn, on_event, &seen);
        for (size_t i = 0; i < ELEMENTSOF(vms); i++) {
                const char *vm = vms[i];
                accel_expect(vm, false, NULL);
                seen = (Seen) {};
                CHECK_INT(virt_domain_set_accel(conn, vm, "Medium"), 0);
                accel_expect(vm, true, "Medium");
                /* libvirt tells, for our namespace */
                run_until(&seen.metadata, 5000);
                CHECK(seen.metadata >= 1);
                CHECK_STR(seen.last_domain, vm);
                CHECK_STR(seen.last_detail, ACCELNET_METADATA_URI);
                /* idempotent; a new value replaces the old, as written */
                CHECK_INT(virt_domain_set_accel(conn, vm, "Medium"), 0);
                accel_expect(vm, true, "Medium");
                CHECK_INT(virt_domain_set_accel(conn, vm, "high"), 0);
                accel_expect(vm, true, "high");
                /* a bad value changes nothing */
                CHECK_INT(virt_domain_set_accel(conn, vm, "Turbo"), -EINVAL);
                CHECK_CONTAINS(virt_last_error(), "'Turbo'");
                CHECK_INT(virt_domain_set_accel(conn, vm, "Medium'/><x a='"), -EINVAL);
                CHECK_INT(virt_domain_set_accel(conn, vm, ""), -EINVAL);
                accel_expect(vm, true, "high");
                /* removed, twice */
                CHECK_INT(virt_domain_set_accel(conn, vm, NULL), 0);
                accel_expect(vm, false, NULL);
                CHECK_INT(virt_domain_set_accel(conn, vm, NULL), 0);
                accel_expect(vm, false, NULL);
                /* left set for whoever looks next (the libvirtd test reads it with virsh) */
                CHECK_INT(virt_domain_set_accel(conn, vm, "Medium"), 0);
                accel_expect(vm, true, "Medium");
        }
        stderr_capture();
        int r = virt_domain_set_accel(conn, "no-such-vm", "Low");
        long printed = stderr_restore();
        CHECK_INT(r, -AN_ERROR_NO_SUCH_VM);
        CHECK_CONTAINS(virt_last_error(), "no-such-vm");
        CHECK_INT(printed, 0);
        CHECK_INT(virt_domain_set_accel(conn, "", "Low"), -EINVAL);
        virt_conn_set_event_handler(conn, NULL, NULL);
}

TEST(set_accel_cleanup) {
        CHECK_INT(virt_domain_set_accel(conn, accel_stopped, NULL), 0);
        CHECK_INT(virt_domain_set_accel(conn, accel_running, NULL), 0);
        /* another application's metadata is not touched */
        _cleanup_(virt_domain_freep) VirtDomain *d8 = NULL;
        CHECK_INT(virt_domain_set_accel(conn, "vm8", "High"), 0);
        CHECK_INT(virt_domain_set_accel(conn, "vm8", NULL), 0);
        CHECK_INT(virt_domain_get(conn, "vm8", &d8), 0);
        CHECK(d8 && !d8->accel);
}

/* Slow calls run in a worker thread while the loop keeps going (as in the daemon). */
typedef struct Worker {
        int done_fd;
        int r_attach, r_get, r_detach;
        unsigned n_ifaces;
} Worker;

static void *worker_main(void *p) {
        Worker *w = p;
        VirtAttachResult ar;
        VirtDetachResult dr;
        VirtAttachArgs a = vf_args("vm2", "0000:01:12.0", "52:54:00:00:02:01", 0, "ua-accelnet-vf3");
        VirtDomain *d = NULL;

        w->r_attach = virt_domain_attach_vf(conn, &a, &ar);
        w->r_get = virt_domain_get(conn, "vm2", &d);
        w->n_ifaces = d ? (unsigned) d->n_ifaces : 0;
        virt_domain_free(d);
        w->r_detach = virt_domain_detach_vf(conn, "vm2", "0000:01:12.0", 0, &dr);
        uint64_t one = 1;
        (void) !write(w->done_fd, &one, sizeof(one));
        return NULL;
}

static int worker_done(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        *(unsigned *) userdata = 1;
        return 0;
}

TEST(worker_thread) {
        Seen seen = {};
        Worker w = { .done_fd = eventfd(0, EFD_CLOEXEC) };
        unsigned done = 0;
        sd_event_source *src = NULL;
        pthread_t t;

        ASSERT(w.done_fd >= 0);
        virt_conn_set_event_handler(conn, on_event, &seen);
        CHECK_INT(sd_event_add_io(event, &src, w.done_fd, EPOLLIN, worker_done, &done), 0);
        ASSERT(pthread_create(&t, NULL, worker_main, &w) == 0);
        run_until(&done, 10000);
        pthread_join(t, NULL);
        CHECK(done);
        CHECK_INT(w.r_attach, 0);
        CHECK_INT(w.r_get, 0);
        CHECK_INT(w.n_ifaces, 2);
        CHECK_INT(w.r_detach, 0);
        /* the events the worker's calls caused reach the loop thread */
        run_until(&seen.defined, 5000);
        CHECK(seen.defined >= 1);
        sd_event_source_disable_unref(src);
        close(w.done_fd);
        virt_conn_set_event_handler(conn, NULL, NULL);
}

int main(int argc, char *argv[]) {
        _cleanup_free_ char *node = NULL, *uri = NULL;

        tmpdir = test_tmpdir();
        if (sd_event_new(&event) < 0)
                return 1;
        /* test-virt --accel URI STOPPED RUNNING: only the metadata tests, against the
         * domains of another libvirt (a real libvirtd hosting the test driver). */
        if (argc == 5 && streq(argv[1], "--accel")) {
                accel_stopped = argv[3];
                accel_running = argv[4];
                if (virt_conn_new(event, argv[2], &conn) < 0) {
                        fprintf(stderr, "cannot connect to %s: %s\n", argv[2], virt_last_error());
                        return 1;
                }
                RUN(set_accel);
        } else {
                node = path_join(tmpdir, "node.xml");
                if (!node || write_file_atomic(node, node_xml, strlen(node_xml), 0644) < 0 ||
                    asprintf(&uri, "test://%s", node) < 0)
                        return 1;
                if (virt_conn_new(event, uri, &conn) < 0) {
                        fprintf(stderr, "cannot connect to %s: %s\n", uri, virt_last_error());
                        return 1;
                }
                RUN(string_tables);
                RUN(connection);
                RUN(list);
                RUN(facts);
                RUN(xml_fetches);
                RUN(unknown_domain);
                RUN(set_accel);
                RUN(set_accel_cleanup);
                RUN(attach_stopped);
                RUN(attach_running);
                RUN(attach_errors);
                RUN(detach);
                RUN(worker_thread);
        }

        conn = virt_conn_free(conn);
        /* let libvirt's deferred free callbacks run */
        for (int i = 0; i < 10; i++)
                (void) sd_event_run(event, 0);
        event = sd_event_unref(event);
        test_tmpdir_cleanup(tmpdir);
        return TEST_MAIN_END();
}
