/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Domain XML on libxml2 (src/virt/domxml*.c), without libvirt: the DOM helpers, the domain
 * facts (virt_domain_parse), accelnet's part of a migrating domain (virt_xml_accel_parse),
 * retargeting its VF, and hostile input: entities (billion laughs), external entities and
 * DTDs that must never be read, deep nesting, NUL bytes, 17 MiB, truncation, odd values. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "shared/fileio.h"
#include "shared/names.h"
#include "shared/strutil.h"
#include "testlib.h"
#include "virt/domxml.h"
#include "virt/virt.h"

static char *tmpdir;

/* The persistent definition of an accelerated VM as `virsh dumpxml --inactive` prints it,
 * with another application's metadata, a qemu: namespace and comments. */
static const char config_xml[] =
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        "<!-- WARNING: THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE OVERWRITTEN -->\n"
        "<domain type='kvm' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
        "  <name>web&amp;db-01</name>\n"
        "  <uuid>3e3fce45-4f53-4fa7-bb32-11f34168b82b</uuid>\n"
        "  <title>Tom &quot;the &lt;web&gt;&quot; server &#x2014; &#233;t&#xE9;</title>\n"
        "  <metadata>\n"
        "    <libosinfo:libosinfo xmlns:libosinfo=\"http://libosinfo.org/xmlns/libvirt/domain/1.0\">\n"
        "      <libosinfo:os id=\"http://debian.org/debian/12\"/>\n"
        "    </libosinfo:libosinfo>\n"
        "    <app:vm xmlns:app=\"http://example.org/other-app\" performance=\"Wrong\"/>\n"
        "    <accelnet:vm xmlns:accelnet=\"https://accelnet.dev/xmlns/domain/1\" performance=\"Medium\"/>\n"
        "  </metadata>\n"
        "  <memory unit='KiB'>4194304</memory>\n"
        "  <vcpu placement='static' cpuset='0-3,8-11' current='4'>8</vcpu>\n"
        "  <cputune>\n"
        "    <vcpupin vcpu='0' cpuset='2'/>\n"
        "    <vcpupin vcpu='1' cpuset='3'/>\n"
        "    <vcpupin vcpu='x' cpuset='9'/>\n"
        "    <emulatorpin cpuset='0-1'/>\n"
        "  </cputune>\n"
        "  <numatune>\n"
        "    <memory mode='strict' nodeset='1'/>\n"
        "    <memnode cellid='0' mode='preferred' nodeset='1'/>\n"
        "  </numatune>\n"
        "  <os><type arch='x86_64' machine='pc-q35-7.2'>hvm</type><?ignored pi?></os>\n"
        "  <devices>\n"
        "    <emulator>/usr/bin/qemu-system-x86_64</emulator>\n"
        "    <interface type='network'>\n"
        "      <mac address='52:54:00:6B:3C:58'/>\n"
        "      <source network='default'/>\n"
        "      <model type='virtio'/>\n"
        "      <teaming type='persistent'/>\n"
        "      <alias name='ua-accelnet-net0'/>\n"
        "      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>\n"
        "    </interface>\n"
        "    <interface type='bridge'><mac address='52:54:00:aa:bb:cc'/><source bridge='br0'/>"
        "<vlan trunk='yes'><tag id='42'/><tag id='43' nativeMode='untagged'/></vlan><model type='e1000e'/></interface>\n"
        "    <interface type=\"direct\">\n"
        "      <mac address=\"52:54:00:dd:ee:ff\"/>\n"
        "      <source dev=\"ens1f0\" mode=\"vepa\"/>\n"
        "    </interface>\n"
        "    <!-- accelnet's VF, paired with the virtio NIC -->\n"
        "    <interface type='hostdev' managed='yes'>\n"
        "      <mac address='52:54:00:6b:3c:58'/>\n"
        "      <source>\n"
        "        <address type='pci' domain='0x0000' bus='0x3b' slot='0x10' function='0x1'/>\n"
        "      </source>\n"
        "      <vlan><tag id='100'/></vlan>\n"
        "      <teaming type='transient' persistent='ua-accelnet-net0'/>\n"
        "      <alias name='ua-accelnet-vf'/>\n"
        "    </interface>\n"
        "    <interface type='hostdev'><source><address type='usb' bus='1' device='2'/></source></interface>\n"
        "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
        "      <source><address domain='0x0000' bus='0x5e' slot='0x00' function='0x2'/></source>\n"
        "      <alias name='ua-accelnet-not-an-interface'/>\n"
        "    </hostdev>\n"
        "    <graphics type='vnc' port='-1' passwd='p&apos;w&#10;d'/>\n"
        "  </devices>\n"
        "  <qemu:commandline><qemu:arg value='-s'/></qemu:commandline>\n"
        "</domain>\n";

/* The same VM running (`virsh dumpxml`): an id, placement changed live, the VF not (yet)
 * live, aliases on every device. */
static const char live_xml[] =
        "<domain type='kvm' id='7'>\n"
        "  <name>web&amp;db-01</name>\n"
        "  <uuid>3e3fce45-4f53-4fa7-bb32-11f34168b82b</uuid>\n"
        "  <metadata>\n"
        "    <accelnet:vm xmlns:accelnet=\"https://accelnet.dev/xmlns/domain/1\" performance=\"High\"/>\n"
        "  </metadata>\n"
        "  <vcpu placement='auto'>6</vcpu>\n"
        "  <numatune><memory mode='interleave' placement='auto'/></numatune>\n"
        "  <devices>\n"
        "    <interface type='network'>\n"
        "      <mac address='52:54:00:6b:3c:58'/>\n"
        "      <source network='default' portid='a1' bridge='virbr0'/>\n"
        "      <target dev='vnet0'/>\n"
        "      <model type='virtio'/>\n"
        "      <alias name='net0'/>\n"
        "    </interface>\n"
        "  </devices>\n"
        "</domain>\n";

/* ---- helpers ---- */

static DomXml *parse_ok(const char *s) {
        DomXml *x = NULL;
        int r = domxml_parse_string(s, &x);
        if (r < 0)
                fprintf(stderr, "parse failed: %s\n", virt_last_error());
        CHECK_INT(r, 0);
        return x;
}

/* Replaces the first `from` in s by `to` (owned). */
static char *replace(const char *s, const char *from, const char *to) {
        const char *p = strstr(s, from);
        char *out = NULL;
        if (!p)
                return NULL;
        if (asprintf(&out, "%.*s%s%s", (int) (p - s), s, to, p + strlen(from)) < 0)
                return NULL;
        return out;
}

/* stderr into a file while bad input is handled: libxml2 must print nothing. */
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

/* ---- the DOM helpers ---- */

TEST(dom_read) {
        _cleanup_(domxml_freep) DomXml *x = parse_ok(config_xml);
        ASSERT(x);
        DomNode *d = domxml_root(x);
        CHECK(domxml_is(d, "domain"));
        CHECK(!domxml_is(d, "node"));
        CHECK_STR(domxml_name(d), "domain");
        CHECK_STR(domxml_attr(d, "type"), "kvm");
        CHECK(domxml_attr(d, "nope") == NULL);
        CHECK(domxml_attr(d, "xmlns:qemu") == NULL); /* a namespace declaration is no attribute */
        CHECK_STR(domxml_text(domxml_child(d, "name")), "web&db-01");
        CHECK_STR(domxml_text(domxml_child(d, "title")), "Tom \"the <web>\" server \xE2\x80\x94 \xC3\xA9t\xC3\xA9");
        CHECK_STR(domxml_text(domxml_child(d, "vcpu")), "8");
        CHECK_STR(domxml_child_attr(d, "vcpu", "current"), "4");
        CHECK_STR(domxml_attr(domxml_find(d, "numatune/memnode"), "mode"), "preferred");
        CHECK_INT(domxml_count_children(domxml_child(d, "cputune"), "vcpupin"), 3);
        CHECK_INT(domxml_count_children(domxml_child(d, "cputune"), NULL), 4);
        CHECK_STR(domxml_text(domxml_find(d, "os/type")), "hvm");
        CHECK_STR(domxml_attr(domxml_find(d, "devices/graphics"), "passwd"), "p'w\nd");
        CHECK(domxml_find(d, "devices/nothing") == NULL);
        CHECK(domxml_find(d, "") == d);
        /* namespaced elements are not found by their name or prefix alone */
        CHECK(domxml_child(d, "commandline") == NULL);
        CHECK(domxml_child(d, "qemu:commandline") == NULL);
        DomNode *meta = domxml_child(d, "metadata");
        CHECK_INT(domxml_count_children(meta, NULL), 0);
        DomNode *ours = domxml_child_ns(meta, ACCELNET_METADATA_URI, "vm");
        ASSERT(ours);
        CHECK_STR(domxml_attr(ours, "performance"), "Medium");
        CHECK_STR(domxml_attr(domxml_child_ns(meta, "http://example.org/other-app", "vm"), "performance"), "Wrong");
        CHECK(domxml_child_ns(meta, ACCELNET_METADATA_URI, "other") == NULL);
        CHECK(domxml_child_ns(meta, "https://accelnet.dev/xmlns/domain/2", "vm") == NULL);

        DomNode *devices = domxml_child(d, "devices");
        CHECK_INT(domxml_count_children(devices, "interface"), 5);
        const char *types[] = { "network", "bridge", "direct", "hostdev", "hostdev" };
        size_t k = 0;
        for (DomNode *i = domxml_child(devices, "interface"); i; i = domxml_next(i, "interface"), k++) {
                ASSERT(k < ELEMENTSOF(types));
                CHECK_STR(domxml_attr(i, "type"), types[k]);
        }
        CHECK_INT(k, 5);
        /* NULL in, nothing out */
        CHECK(domxml_child(NULL, "x") == NULL);
        CHECK(domxml_next(NULL, "x") == NULL);
        CHECK(domxml_attr(NULL, "x") == NULL);
        CHECK_STR(domxml_text(NULL), "");
        CHECK_INT(domxml_count_children(NULL, NULL), 0);
        CHECK(domxml_root(NULL) == NULL);
}

TEST(dom_values_as_written) {
        /* Text split by a comment reads as one; CDATA is text; an empty attribute is "". */
        _cleanup_(domxml_freep) DomXml *x =
                parse_ok("<a e=''><b>one<!-- c -->two<![CDATA[<three>]]></b><c><![CDATA[x&y]]></c><d/></a>");
        ASSERT(x);
        DomNode *a = domxml_root(x);
        CHECK_STR(domxml_attr(a, "e"), "");
        CHECK_STR(domxml_text(domxml_child(a, "b")), "onetwo<three>");
        CHECK_STR(domxml_text(domxml_child(a, "c")), "x&y");
        CHECK_STR(domxml_text(domxml_child(a, "d")), "");
        /* the same value twice is the same string */
        CHECK_STR(domxml_text(domxml_child(a, "b")), domxml_text(domxml_child(a, "b")));
}

TEST(dom_edit_and_write) {
        _cleanup_(domxml_freep) DomXml *x = parse_ok(config_xml);
        _cleanup_free_ char *s = NULL, *one = NULL, *net = NULL;
        ASSERT(x);
        DomNode *d = domxml_root(x);
        DomNode *iface = domxml_find(d, "devices/interface");
        ASSERT(iface);
        CHECK_INT(domxml_set_attr(domxml_child(iface, "alias"), "name", "ua-x'\"<&>"), 0);
        CHECK_STR(domxml_child_attr(iface, "alias", "name"), "ua-x'\"<&>");
        CHECK_INT(domxml_set_attr(iface, "trustGuestRxFilters", "yes"), 0);
        CHECK(domxml_unset_attr(iface, "trustGuestRxFilters"));
        CHECK(!domxml_unset_attr(iface, "trustGuestRxFilters"));
        CHECK_INT(domxml_set_attr(iface, "qemu:x", "1"), -EINVAL);
        domxml_remove(domxml_child(iface, "teaming"));
        CHECK(domxml_child(iface, "teaming") == NULL);
        DomNode *t = domxml_new_child(iface, "teaming");
        ASSERT(t);
        CHECK_INT(domxml_set_attr(t, "type", "persistent"), 0);

        CHECK_INT(domxml_to_string(x, &s), 0);
        ASSERT(s);
        /* everything else is kept: declaration, comments, PI, other namespaces, references */
        CHECK(strncmp(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!-- WARNING", 50) == 0);
        CHECK_CONTAINS(s, "<!-- accelnet's VF, paired with the virtio NIC -->");
        CHECK_CONTAINS(s, "<?ignored pi?>");
        CHECK_CONTAINS(s, "<qemu:commandline><qemu:arg value=\"-s\"/></qemu:commandline>");
        CHECK_CONTAINS(s, "xmlns:libosinfo=\"http://libosinfo.org/xmlns/libvirt/domain/1.0\"");
        CHECK_CONTAINS(s, "<name>web&amp;db-01</name>");
        CHECK_CONTAINS(s, "<alias name=\"ua-x'&quot;&lt;&amp;&gt;\"/>");
        CHECK_CONTAINS(s, "<teaming type=\"persistent\"/></interface>");
        CHECK(!strstr(s, "trustGuestRxFilters"));
        /* and reads back the same */
        _cleanup_(domxml_freep) DomXml *again = parse_ok(s);
        ASSERT(again);
        CHECK_STR(domxml_attr(domxml_find(domxml_root(again), "devices/interface/alias"), "name"), "ua-x'\"<&>");
        CHECK_STR(domxml_attr(domxml_find(domxml_root(again), "devices/graphics"), "passwd"), "p'w\nd");

        /* one element alone, with the namespace it uses from an ancestor declared on it */
        CHECK_INT(domxml_node_to_string(domxml_child_ns(domxml_child(d, "metadata"), ACCELNET_METADATA_URI, "vm"), &one),
                  0);
        CHECK_STR(one, "<accelnet:vm xmlns:accelnet=\"https://accelnet.dev/xmlns/domain/1\" performance=\"Medium\"/>");
        CHECK_INT(domxml_node_to_string(domxml_find(d, "devices/interface"), &net), 0);
        CHECK(net && strncmp(net, "<interface type=\"network\">", 26) == 0);
        CHECK(net && !strstr(net, "<?xml"));

        /* no declaration in, none out */
        _cleanup_(domxml_freep) DomXml *bare = parse_ok("<a><!--c--><b/></a>");
        _cleanup_free_ char *bs = NULL;
        ASSERT(bare);
        CHECK_INT(domxml_to_string(bare, &bs), 0);
        CHECK_STR(bs, "<a><!--c--><b/></a>\n");
}

TEST(dom_build_and_copy) {
        _cleanup_(domxml_freep) DomXml *x = NULL, *dst = NULL, *copy = NULL, *src = parse_ok(config_xml);
        _cleanup_free_ char *s = NULL, *c = NULL, *d = NULL;
        ASSERT(src);
        CHECK_INT(domxml_new("interface", &x), 0);
        ASSERT(x);
        DomNode *root = domxml_root(x);
        CHECK_INT(domxml_set_attr(root, "type", "hostdev"), 0);
        DomNode *mac = domxml_new_child(root, "mac");
        CHECK_INT(domxml_set_attr(mac, "address", "52:54:00:00:00:01"), 0);
        CHECK_INT(domxml_to_string(x, &s), 0);
        CHECK_STR(s, "<interface type=\"hostdev\"><mac address=\"52:54:00:00:00:01\"/></interface>\n");

        /* a copy of an element that uses a namespace declared on an ancestor declares it */
        DomNode *cmd = NULL;
        for (DomNode *n = domxml_root(src)->children; n; n = n->next)
                if (n->type == XML_ELEMENT_NODE && streq(domxml_name(n), "commandline"))
                        cmd = n;
        ASSERT(cmd);
        CHECK_INT(domxml_copy(cmd, &copy), 0);
        CHECK_INT(domxml_to_string(copy, &c), 0);
        CHECK_CONTAINS(c, "<qemu:commandline xmlns:qemu=\"http://libvirt.org/schemas/domain/qemu/1.0\">");

        /* across documents */
        CHECK_INT(domxml_new("devices", &dst), 0);
        CHECK(domxml_append_copy(domxml_root(dst), root) != NULL);
        CHECK(domxml_append_copy(domxml_root(dst), domxml_find(domxml_root(src), "devices/interface")) != NULL);
        x = domxml_free(x); /* the copy does not depend on its source */
        CHECK_INT(domxml_count_children(domxml_root(dst), "interface"), 2);
        CHECK_INT(domxml_to_string(dst, &d), 0);
        CHECK_CONTAINS(d, "<devices><interface type=\"hostdev\"><mac address=\"52:54:00:00:00:01\"/></interface>"
                          "<interface type=\"network\">");
}

/* ---- domain facts ---- */

TEST(domain_inactive) {
        _cleanup_(virt_domain_freep) VirtDomain *d = NULL;
        CHECK_INT(virt_domain_parse(config_xml, NULL, &d), 0);
        ASSERT(d);
        CHECK_STR(d->name, "web&db-01");
        CHECK_STR(d->uuid, "3e3fce45-4f53-4fa7-bb32-11f34168b82b");
        CHECK(!d->active);
        CHECK_INT(d->vcpus, 4);
        CHECK_INT(d->vcpus_max, 8);
        CHECK_STR(d->vcpu_placement, "static");
        CHECK_STR(d->vcpu_cpuset, "0-3,8-11");
        CHECK_STR(d->numa_mode, "strict");
        CHECK_STR(d->numa_nodeset, "1");
        CHECK(d->numa_placement == NULL);
        ASSERT(d->n_memnodes == 1);
        CHECK_INT(d->memnodes[0].id, 0);
        CHECK_STR(d->memnodes[0].mode, "preferred");
        CHECK_STR(d->memnodes[0].set, "1");
        ASSERT(d->n_vcpupins == 2); /* vcpu='x' is skipped */
        CHECK_INT(d->vcpupins[1].id, 1);
        CHECK_STR(d->vcpupins[1].set, "3");
        CHECK(d->vcpupins[1].mode == NULL);
        CHECK(d->accel);
        CHECK_STR(d->accel_performance, "Medium");
        CHECK_INT(d->n_live_ifaces, 0);

        ASSERT(d->n_ifaces == 5);
        const VirtIface *v = &d->ifaces[0], *b = &d->ifaces[1], *h = &d->ifaces[3], *usb = &d->ifaces[4];
        CHECK_INT(v->type, VIRT_IFACE_NETWORK);
        CHECK_STR(v->type_name, "network");
        CHECK_STR(v->model, "virtio");
        CHECK_STR(v->mac, "52:54:00:6b:3c:58"); /* lower case */
        CHECK_STR(v->alias, "ua-accelnet-net0");
        CHECK_INT(v->teaming, VIRT_TEAMING_PERSISTENT);
        CHECK(v->pci == NULL);
        CHECK_INT(b->type, VIRT_IFACE_BRIDGE);
        CHECK_INT(b->vlan, 42);
        CHECK_STR(b->model, "e1000e");
        CHECK_INT(d->ifaces[2].type, VIRT_IFACE_DIRECT);
        CHECK(d->ifaces[2].model == NULL);
        CHECK_INT(h->type, VIRT_IFACE_HOSTDEV);
        CHECK(h->managed);
        CHECK_STR(h->pci, "0000:3b:10.1");
        CHECK_INT(h->vlan, 100);
        CHECK_INT(h->teaming, VIRT_TEAMING_TRANSIENT);
        CHECK_STR(h->teaming_persistent, "ua-accelnet-net0");
        CHECK_STR(h->alias, ACCELNET_VF_ALIAS);
        CHECK_INT(usb->type, VIRT_IFACE_HOSTDEV);
        CHECK(usb->pci == NULL);
        CHECK(virt_iface_find_pci(d->ifaces, d->n_ifaces, "0000:3b:10.1") == h);
        CHECK(virt_iface_find_mac(d->ifaces, d->n_ifaces, "52:54:00:AA:BB:CC") == b);
        CHECK(virt_iface_find_mac(d->ifaces, d->n_ifaces, "52:54:00:6b:3c:58") == v);
}

TEST(domain_active) {
        _cleanup_(virt_domain_freep) VirtDomain *d = NULL;
        CHECK_INT(virt_domain_parse(config_xml, live_xml, &d), 0);
        ASSERT(d);
        CHECK(d->active);
        /* placement from the running definition */
        CHECK_INT(d->vcpus, 6);
        CHECK_INT(d->vcpus_max, 6);
        CHECK_STR(d->vcpu_placement, "auto");
        CHECK(d->vcpu_cpuset == NULL);
        CHECK_STR(d->numa_mode, "interleave");
        CHECK_STR(d->numa_placement, "auto");
        CHECK_INT(d->n_memnodes, 0);
        CHECK_INT(d->n_vcpupins, 0);
        /* interfaces: both definitions */
        CHECK_INT(d->n_ifaces, 5);
        ASSERT(d->n_live_ifaces == 1);
        CHECK_STR(d->live_ifaces[0].alias, "net0");
        CHECK_INT(d->live_ifaces[0].teaming, VIRT_TEAMING_NONE);
        /* the setting: from the persistent definition, not the live one */
        CHECK(d->accel);
        CHECK_STR(d->accel_performance, "Medium");
}

TEST(domain_metadata) {
        static const struct {
                const char *metadata;
                bool accel;
                const char *performance;
        } cases[] = {
                { "", false, NULL },
                { "<metadata/>", false, NULL },
                /* our URI under any prefix, or as the default namespace */
                { "<metadata><x:vm xmlns:x='https://accelnet.dev/xmlns/domain/1' performance='low'/></metadata>", true,
                  "low" },
                { "<metadata><vm xmlns='https://accelnet.dev/xmlns/domain/1'/></metadata>", true, NULL },
                { "<metadata><accelnet:vm xmlns:accelnet='https://accelnet.dev/xmlns/domain/1' "
                  "performance='Bogus'/></metadata>",
                  true, "Bogus" }, /* as written: judged by the caller */
                /* our prefix on another URI, our element name without a namespace, elsewhere */
                { "<metadata><accelnet:vm xmlns:accelnet='https://example.org/accelnet' performance='High'/></metadata>",
                  false, NULL },
                { "<metadata><vm performance='High'/></metadata>", false, NULL },
                { "<description><accelnet:vm xmlns:accelnet='https://accelnet.dev/xmlns/domain/1'/></description>",
                  false, NULL },
                { "<metadata><accelnet:other xmlns:accelnet='https://accelnet.dev/xmlns/domain/1'/></metadata>", false,
                  NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *xml = NULL;
                _cleanup_(virt_domain_freep) VirtDomain *d = NULL;
                ASSERT(asprintf(&xml, "<domain><name>m</name>%s</domain>", cases[i].metadata) > 0);
                CHECK_INT(virt_domain_parse(xml, NULL, &d), 0);
                ASSERT(d);
                if (d->accel != cases[i].accel || !streq_ptr(d->accel_performance, cases[i].performance))
                        fprintf(stderr, "metadata case %zu: %s\n", i, cases[i].metadata);
                CHECK(d->accel == cases[i].accel);
                CHECK(streq_ptr(d->accel_performance, cases[i].performance));
                CHECK(d->uuid == NULL);
        }
}

TEST(domain_bad) {
        VirtDomain *d = NULL;
        CHECK_INT(virt_domain_parse("<network><name>default</name></network>", NULL, &d), -EBADMSG);
        CHECK_CONTAINS(virt_last_error(), "<network>");
        CHECK_INT(virt_domain_parse("<domain><uuid>x</uuid></domain>", NULL, &d), -EBADMSG);
        CHECK_CONTAINS(virt_last_error(), "<name>");
        CHECK_INT(virt_domain_parse("<domain><name></name></domain>", NULL, &d), -EBADMSG);
        CHECK_INT(virt_domain_parse("<domain><name>a</name></domain>", "<domain><name>a</name>", &d), -EBADMSG);
        CHECK_CONTAINS(virt_last_error(), "line 1");
        CHECK_INT(virt_domain_parse("<domain><name>a</name></domain>", "<node/>", &d), -EBADMSG);
        CHECK_INT(virt_domain_parse(NULL, NULL, &d), -EINVAL);
        CHECK_INT(virt_domain_parse("<domain><name>a</nome></domain>", NULL, &d), -EBADMSG);
        CHECK_CONTAINS(virt_last_error(), "mismatch");
        CHECK(d == NULL);
}

/* ---- migration XML ---- */

TEST(accel_parse) {
        _cleanup_(virt_xml_accel_done) VirtXmlAccel a = {};
        CHECK_INT(virt_xml_accel_parse(config_xml, &a), 0);
        ASSERT(a.n_vfs == 1); /* not the virtio partner, not the USB one, not the <hostdev> */
        CHECK_STR(a.vfs[0].pci, "0000:3b:10.1");
        CHECK_STR(a.vfs[0].mac, "52:54:00:6b:3c:58");
        CHECK_INT(a.vfs[0].vlan, 100);
        CHECK(a.accel);
        CHECK_STR(a.performance, "Medium");

        /* a disabled VM: no VF, no setting; the virtio partner keeps its alias */
        _cleanup_(virt_xml_accel_done) VirtXmlAccel b = {};
        CHECK_INT(virt_xml_accel_parse(live_xml, &b), 0);
        CHECK_INT(b.n_vfs, 0);
        CHECK(b.vfs == NULL);
        CHECK(b.accel);
        CHECK_STR(b.performance, "High");
        _cleanup_(virt_xml_accel_done) VirtXmlAccel c = {};
        CHECK_INT(virt_xml_accel_parse("<domain><devices><interface type='hostdev'><alias name='ua-accelnet-vf'/>"
                                       "<source><address type='pci' bus='1' slot='2' function='3'/></source>"
                                       "<vlan/></interface></devices></domain>",
                                       &c),
                  0);
        ASSERT(c.n_vfs == 1);
        CHECK_STR(c.vfs[0].pci, "0000:01:02.3"); /* decimal numbers, the default domain */
        CHECK_STR(c.vfs[0].mac, "");
        CHECK_INT(c.vfs[0].vlan, 0);
        CHECK(!c.accel);
        CHECK(c.performance == NULL);
        virt_xml_accel_done(&c);
        virt_xml_accel_done(&c); /* twice is fine */
}

/* A domain with accelnet's VF whose parts are given. */
static char *vf_domain(const char *address, const char *mac, const char *vlan, const char *metadata) {
        char *s = NULL;
        if (asprintf(&s,
                     "<domain type='kvm'><name>m</name>%s<devices>"
                     "<interface type='network'><mac address='52:54:00:00:00:01'/><model type='virtio'/>"
                     "<alias name='ua-accelnet-net0'/></interface>"
                     "<interface type='hostdev' managed='yes'>%s<source>%s</source>%s"
                     "<teaming type='transient' persistent='ua-accelnet-net0'/><alias name='ua-accelnet-vf'/>"
                     "</interface></devices></domain>",
                     metadata, mac, address, vlan) < 0)
                return NULL;
        return s;
}

#define GOOD_ADDRESS "<address type='pci' domain='0x0000' bus='0x3b' slot='0x10' function='0x1'/>"
#define GOOD_MAC "<mac address='52:54:00:00:00:01'/>"

TEST(accel_bad_values) {
        static const struct {
                const char *address, *mac, *vlan, *metadata, *message;
        } cases[] = {
                { "<address type='pci' domain='0' bus='0x100' slot='0' function='0'/>", GOOD_MAC, "", "",
                  "PCI bus '0x100'" },
                { "<address type='pci' bus='-1' slot='0' function='0'/>", GOOD_MAC, "", "", "PCI bus '-1'" },
                { "<address type='pci' bus='1' slot='0x20' function='0'/>", GOOD_MAC, "", "", "PCI slot '0x20'" },
                { "<address type='pci' bus='1' slot='1' function='8'/>", GOOD_MAC, "", "", "PCI function '8'" },
                { "<address type='pci' domain='0x100000000' bus='1' slot='1' function='1'/>", GOOD_MAC, "", "",
                  "PCI domain '0x100000000'" },
                { "<address type='pci' domain='-1' bus='1' slot='1' function='1'/>", GOOD_MAC, "", "",
                  "PCI domain '-1'" },
                { "<address type='pci' bus='0x' slot='1' function='1'/>", GOOD_MAC, "", "", "PCI bus '0x'" },
                { "<address type='pci' bus='' slot='1' function='1'/>", GOOD_MAC, "", "", "PCI bus ''" },
                { "<address type='pci' bus='1' slot='1'/>", GOOD_MAC, "", "", "no 'function'" },
                { "<address type='usb' bus='1' device='1'/>", GOOD_MAC, "", "", "no PCI source address" },
                { "", GOOD_MAC, "", "", "no PCI source address" },
                { GOOD_ADDRESS, "<mac address='zz'/>", "", "", "MAC address 'zz'" },
                { GOOD_ADDRESS, "<mac address='52:54:00:00:00:0g'/>", "", "", "MAC address '52:54:00:00:00:0g'" },
                { GOOD_ADDRESS, "<mac address='52:54:00:00:00:001'/>", "", "", "MAC address '52:54:00:00:00:001'" },
                { GOOD_ADDRESS, "<mac address='52-54-00-00-00-01'/>", "", "", "MAC address '52-54-00-00-00-01'" },
                { GOOD_ADDRESS, "<mac address='01:00:5e:00:00:01'/>", "", "", "multicast" },
                { GOOD_ADDRESS, "<mac address='00:00:00:00:00:00'/>", "", "", "all zero" },
                { GOOD_ADDRESS, "<mac address=''/>", "", "", "MAC address ''" },
                { GOOD_ADDRESS, GOOD_MAC, "<vlan><tag id='99999'/></vlan>", "", "VLAN tag id '99999'" },
                { GOOD_ADDRESS, GOOD_MAC, "<vlan><tag id='4095'/></vlan>", "", "VLAN tag id '4095'" },
                { GOOD_ADDRESS, GOOD_MAC, "<vlan><tag id='0'/></vlan>", "", "VLAN tag id '0'" },
                { GOOD_ADDRESS, GOOD_MAC, "<vlan><tag id='-1'/></vlan>", "", "VLAN tag id '-1'" },
                { GOOD_ADDRESS, GOOD_MAC, "<vlan><tag id='0x10'/></vlan>", "", "VLAN tag id '0x10'" },
                { GOOD_ADDRESS, GOOD_MAC, "<vlan><tag id=' 7'/></vlan>", "", "VLAN tag id ' 7'" },
                { GOOD_ADDRESS, GOOD_MAC, "<vlan><tag id='99999999999999999999999'/></vlan>", "",
                  "VLAN tag id '99999999999999999999999'" },
                { GOOD_ADDRESS, GOOD_MAC, "<vlan><tag/></vlan>", "", "has no id" },
                { GOOD_ADDRESS, GOOD_MAC, "<vlan><tag id='1'/><tag id='2'/></vlan>", "", "trunk" },
                { GOOD_ADDRESS, GOOD_MAC, "<vlan trunk='yes'><tag id='1'/></vlan>", "", "trunk" },
                { GOOD_ADDRESS, GOOD_MAC, "",
                  "<metadata><accelnet:vm xmlns:accelnet='https://accelnet.dev/xmlns/domain/1' "
                  "performance='Turbo'/></metadata>",
                  "Performance 'Turbo'" },
                { GOOD_ADDRESS, GOOD_MAC, "",
                  "<metadata><accelnet:vm xmlns:accelnet='https://accelnet.dev/xmlns/domain/1' "
                  "performance=''/></metadata>",
                  "Performance ''" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *xml = vf_domain(cases[i].address, cases[i].mac, cases[i].vlan, cases[i].metadata);
                _cleanup_free_ char *out = NULL;
                VirtXmlAccel a = { .n_vfs = 12345 };
                ASSERT(xml);
                int r = virt_xml_accel_parse(xml, &a);
                if (r != -EINVAL || !strstr(virt_last_error(), cases[i].message))
                        fprintf(stderr, "case %zu: r=%d '%s'\n", i, r, virt_last_error());
                CHECK_INT(r, -EINVAL);
                CHECK_CONTAINS(virt_last_error(), cases[i].message);
                CHECK_INT(a.n_vfs, 12345); /* untouched on failure */
                /* retargeting checks the same */
                CHECK_INT(virt_xml_retarget_vf(xml, "0000:3b:10.1", "0000:3b:10.2", &out), -EINVAL);
                CHECK(out == NULL);
        }
        /* a long value is cut in the message, never inside a UTF-8 sequence (it goes on the bus) */
        for (size_t shift = 0; shift < 4; shift++) {
                StrBuf mb = {};
                strbuf_appendf(&mb, "<mac address='%.*s", (int) shift, "xyz");
                for (int i = 0; i < 300; i++)
                        strbuf_appendf(&mb, "\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
                strbuf_appendf(&mb, "'/>");
                _cleanup_free_ char *mac = strbuf_steal(&mb);
                _cleanup_free_ char *xml = vf_domain(GOOD_ADDRESS, mac, "", "");
                VirtXmlAccel a = {};
                ASSERT(xml);
                CHECK_INT(virt_xml_accel_parse(xml, &a), -EINVAL);
                const unsigned char *m = (const unsigned char *) virt_last_error();
                size_t l = strlen((const char *) m), i = 0;
                CHECK(l > 400);
                while (i < l) {
                        size_t want = m[i] < 0x80 ? 1 : (m[i] & 0xE0) == 0xC0 ? 2 : (m[i] & 0xF0) == 0xE0 ? 3 : 4;
                        CHECK(i + want <= l);
                        for (size_t k = 1; k < want && i + k < l; k++)
                                CHECK((m[i + k] & 0xC0) == 0x80);
                        i += want;
                }
        }

        /* the good parts together are good, with upper-case hex */
        _cleanup_free_ char *good = vf_domain(GOOD_ADDRESS, "<mac address='52:54:00:AB:CD:EF'/>",
                                              "<vlan><tag id='4094'/></vlan>", "");
        _cleanup_(virt_xml_accel_done) VirtXmlAccel a = {};
        CHECK_INT(virt_xml_accel_parse(good, &a), 0);
        ASSERT(a.n_vfs == 1);
        CHECK_STR(a.vfs[0].mac, "52:54:00:ab:cd:ef");
        CHECK_INT(a.vfs[0].vlan, 4094);
}

TEST(accel_not_xml) {
        static const char *const bad[] = {
                "", "   ", "text", "<domain>", "<domain></b>", "<domain/><domain/>", "<domain/>trailing",
                "<domain a='1' a='2'/>", "<domain a=1/>", "<domain a='<'/>", "<domain>&foo;</domain>",
                "<domain>&#0;</domain>", "<domain>&#xD800;</domain>", "<domain><!-- x -- y --></domain>",
                "<domain><![CDATA[ unterminated </domain>", "<1a/>", "<network/>",
                "<domain>\xff\xfe</domain>", /* not UTF-8 */
                "<?xml version='1.0' encoding='UTF-16'?><domain/>\xff",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                VirtXmlAccel a = {};
                _cleanup_free_ char *out = NULL;
                int r = virt_xml_accel_parse(bad[i], &a);
                if (r != -EBADMSG)
                        fprintf(stderr, "accepted or wrong error %d: %s\n", r, bad[i]);
                CHECK_INT(r, -EBADMSG);
                CHECK(virt_last_error()[0] != '\0');
                CHECK_INT(virt_xml_retarget_vf(bad[i], "0000:3b:10.1", "0000:3b:10.2", &out), -EBADMSG);
        }
        VirtXmlAccel a = {};
        CHECK_INT(virt_xml_accel_parse(NULL, &a), -EBADMSG);
}

TEST(retarget) {
        _cleanup_free_ char *out = NULL, *back = NULL, *again = NULL, *canonical = NULL, *expected = NULL;
        _cleanup_(domxml_freep) DomXml *x = parse_ok(config_xml);
        ASSERT(x);
        CHECK_INT(domxml_to_string(x, &canonical), 0);
        ASSERT(canonical);

        CHECK_INT(virt_xml_retarget_vf(config_xml, "0000:3b:10.1", "0000:af:02.7", &out), 0);
        ASSERT(out);
        /* exactly the source address changes: the document written back as libxml2 writes the
         * input, with only those four attributes different */
        expected = replace(canonical, "domain=\"0x0000\" bus=\"0x3b\" slot=\"0x10\" function=\"0x1\"",
                           "domain=\"0x0000\" bus=\"0xaf\" slot=\"0x02\" function=\"0x7\"");
        CHECK_STR(out, expected);
        CHECK_CONTAINS(out, "<alias name=\"ua-accelnet-vf\"/>");
        CHECK_CONTAINS(out, "<!-- WARNING: THIS IS AN AUTO-GENERATED FILE.");
        CHECK_CONTAINS(out, "<qemu:commandline>");
        CHECK_CONTAINS(out, "<libosinfo:os id=\"http://debian.org/debian/12\"/>");
        /* the result reads back as the new VF, with everything else the same */
        _cleanup_(virt_xml_accel_done) VirtXmlAccel a = {};
        CHECK_INT(virt_xml_accel_parse(out, &a), 0);
        ASSERT(a.n_vfs == 1);
        CHECK_STR(a.vfs[0].pci, "0000:af:02.7");
        CHECK_STR(a.vfs[0].mac, "52:54:00:6b:3c:58");
        CHECK_INT(a.vfs[0].vlan, 100);
        CHECK_STR(a.performance, "Medium");
        /* and back: the same text as the input written by libxml2 */
        CHECK_INT(virt_xml_retarget_vf(out, "0000:af:02.7", "0000:3b:10.1", &back), 0);
        CHECK_STR(back, canonical);
        CHECK_INT(virt_xml_retarget_vf(back, "0000:3b:10.1", "0000:af:02.7", &again), 0);
        CHECK_STR(again, out);

        char *none = NULL;
        CHECK_INT(virt_xml_retarget_vf(config_xml, "0000:3b:10.2", "0000:af:02.7", &none), -ENOENT);
        CHECK_INT(virt_xml_retarget_vf(config_xml, "0000:5e:00.2", "0000:af:02.7", &none), -ENOENT); /* <hostdev> */
        CHECK_INT(virt_xml_retarget_vf(config_xml, "0000:01:00.0", "0000:af:02.7", &none), -ENOENT); /* virtio */
        CHECK_INT(virt_xml_retarget_vf(live_xml, "0000:3b:10.1", "0000:af:02.7", &none), -ENOENT);
        CHECK_INT(virt_xml_retarget_vf(config_xml, "0000:3b:10.1", "0000:af:20.0", &none), -EINVAL);
        CHECK_CONTAINS(virt_last_error(), "0000:af:20.0");
        CHECK_INT(virt_xml_retarget_vf(config_xml, "garbage", "0000:af:02.7", &none), -EINVAL);
        CHECK_INT(virt_xml_retarget_vf(config_xml, NULL, "0000:af:02.7", &none), -EINVAL);
        CHECK(none == NULL);
}

/* An incoming VM that finds no free VF here arrives on virtio: accelnet's hostdev is taken out
 * of its XML, and nothing else. */
TEST(drop_vf) {
        _cleanup_free_ char *out = NULL, *canonical = NULL, *expected = NULL;
        _cleanup_(domxml_freep) DomXml *x = parse_ok(config_xml);
        ASSERT(x);
        CHECK_INT(domxml_to_string(x, &canonical), 0);
        ASSERT(canonical);

        CHECK_INT(virt_xml_drop_vf(config_xml, "0000:3b:10.1", &out), 0);
        ASSERT(out);
        /* exactly that <interface> element goes (the whitespace around it stays) */
        const char *from = strstr(canonical, "<interface type=\"hostdev\" managed=\"yes\">");
        ASSERT(from);
        const char *to = strstr(from, "</interface>");
        ASSERT(to);
        to += strlen("</interface>");
        ASSERT(asprintf(&expected, "%.*s%s", (int) (from - canonical), canonical, to) > 0);
        CHECK_STR(out, expected);
        /* the virtio NIC keeps its teaming and alias (a VF can be paired with it later), the
         * setting (the tier) stays, the other devices stay */
        CHECK_CONTAINS(out, "<teaming type=\"persistent\"/>");
        CHECK_CONTAINS(out, "<alias name=\"ua-accelnet-net0\"/>");
        CHECK_CONTAINS(out, "<address type=\"usb\" bus=\"1\" device=\"2\"/>");
        CHECK_CONTAINS(out, "<alias name=\"ua-accelnet-not-an-interface\"/>");
        CHECK(!strstr(out, "ua-accelnet-vf"));
        _cleanup_(virt_xml_accel_done) VirtXmlAccel a = {};
        CHECK_INT(virt_xml_accel_parse(out, &a), 0);
        CHECK_INT(a.n_vfs, 0);
        CHECK(a.accel);
        CHECK_STR(a.performance, "Medium");

        char *none = NULL;
        CHECK_INT(virt_xml_drop_vf(config_xml, "0000:3b:10.2", &none), -ENOENT);
        CHECK_INT(virt_xml_drop_vf(config_xml, "0000:5e:00.2", &none), -ENOENT); /* <hostdev> */
        CHECK_INT(virt_xml_drop_vf(out, "0000:3b:10.1", &none), -ENOENT);        /* already out */
        CHECK_INT(virt_xml_drop_vf(config_xml, "garbage", &none), -EINVAL);
        CHECK_INT(virt_xml_drop_vf(config_xml, NULL, &none), -EINVAL);
        CHECK_INT(virt_xml_drop_vf("<domain", "0000:3b:10.1", &none), -EBADMSG);
        /* the same checks as the parse: a bad value in the hostdevs is refused, not passed on */
        _cleanup_free_ char *bad = replace(config_xml, "<tag id='100'/>", "<tag id='99999'/>");
        ASSERT(bad);
        CHECK_INT(virt_xml_drop_vf(bad, "0000:3b:10.1", &none), -EINVAL);
        CHECK_CONTAINS(virt_last_error(), "99999");
        CHECK(none == NULL);
}

TEST(retarget_keeps_doctype) {
        /* A DOCTYPE with an internal subset and entity references: kept as they were, nothing
         * expanded (the VLAN id '&v;' is reported, not read as 7). */
        static const char doc[] = "<!DOCTYPE domain [\n<!ENTITY note \"hello\">\n]>\n"
                                  "<domain><name>m</name><description>&note;</description><devices>"
                                  "<interface type='hostdev'><source>" GOOD_ADDRESS "</source>"
                                  "<alias name='ua-accelnet-vf'/></interface></devices></domain>";
        _cleanup_free_ char *out = NULL;
        CHECK_INT(virt_xml_retarget_vf(doc, "0000:3b:10.1", "0000:3b:11.0", &out), 0);
        ASSERT(out);
        CHECK(strncmp(out, "<!DOCTYPE domain [\n<!ENTITY note \"hello\">\n]>\n<domain>", 52) == 0);
        CHECK_CONTAINS(out, "<description>&note;</description>");
        CHECK_CONTAINS(out, "bus=\"0x3b\" slot=\"0x11\" function=\"0x0\"");
        CHECK(!strstr(out, "<description>hello"));

        _cleanup_(virt_domain_freep) VirtDomain *d = NULL;
        CHECK_INT(virt_domain_parse(doc, NULL, &d), 0);
        _cleanup_free_ char *vdoc = replace(doc, "<alias", "<vlan><tag id='&v;'/></vlan><alias");
        _cleanup_free_ char *vdoc2 = replace(vdoc, "<!ENTITY note", "<!ENTITY v \"7\">\n<!ENTITY note");
        ASSERT(vdoc2);
        VirtXmlAccel a = {};
        CHECK_INT(virt_xml_accel_parse(vdoc2, &a), -EINVAL);
        CHECK_CONTAINS(virt_last_error(), "VLAN tag id '&v;'");
}

/* ---- hostile input ---- */

static char *billion_laughs(const char *use) {
        StrBuf b = {};
        strbuf_appendf(&b, "<?xml version='1.0'?>\n<!DOCTYPE domain [\n<!ENTITY lol \"lol\">\n");
        for (int i = 1; i <= 9; i++) {
                strbuf_appendf(&b, "<!ENTITY lol%d \"", i);
                for (int k = 0; k < 10; k++)
                        strbuf_appendf(&b, "&lol%.0d;", i - 1);
                strbuf_appendf(&b, "\">\n");
        }
        strbuf_appendf(&b, "]>\n%s", use);
        return strbuf_steal(&b);
}

/* Runs fn in a child with an alarm; its CPU time and peak memory come back. */
typedef int (*ChildFn)(const char *xml);

static int run_bounded(ChildFn fn, const char *xml, double *ret_cpu, long *ret_maxrss_kib) {
        struct rusage ru = {};
        int status = 0;
        pid_t pid = fork();
        if (pid < 0)
                return -errno;
        if (pid == 0) {
                alarm(20);
                _exit(fn(xml));
        }
        if (wait4(pid, &status, 0, &ru) < 0)
                return -errno;
        *ret_cpu = (double) ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double) ru.ru_stime.tv_sec +
                   ru.ru_stime.tv_usec / 1e6;
        *ret_maxrss_kib = ru.ru_maxrss;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int child_accel(const char *xml) {
        VirtXmlAccel a = {};
        int r = virt_xml_accel_parse(xml, &a);
        virt_xml_accel_done(&a);
        return r == -EBADMSG ? 0 : r == -EINVAL ? 1 : 2;
}

static int child_domain(const char *xml) {
        VirtDomain *d = NULL;
        int r = virt_domain_parse(xml, NULL, &d);
        /* reading the values must not expand either */
        if (r == 0 && (strstr(d->name, "lollol") || (d->n_ifaces > 0 && d->ifaces[0].mac &&
                                                     (strstr(d->ifaces[0].mac, "lollol") ||
                                                      strstr(d->ifaces[0].mac, "aaaaaaaa")))))
                r = -E2BIG;
        virt_domain_free(d);
        return r == -EBADMSG ? 0 : r == 0 ? 1 : 2;
}

TEST(billion_laughs) {
        long base_kib = 0;
        struct rusage self = {};
        getrusage(RUSAGE_SELF, &self);
        base_kib = self.ru_maxrss;
        static const struct {
                const char *use;
                ChildFn fn;
        } cases[] = {
                /* in text, in an attribute value, through the domain facts */
                { "<domain><name>&lol9;</name></domain>", child_accel },
                { "<domain><name>m</name><devices><interface type='hostdev'><mac address='&lol9;'/>"
                  "<alias name='ua-accelnet-vf'/></interface></devices></domain>",
                  child_accel },
                { "<domain><name>m</name><devices><interface type='network'><mac address='&lol9;'/>"
                  "</interface></devices></domain>",
                  child_domain },
                { "<domain><name>&lol9;</name><devices><interface type='network'><mac address='&lol3;'/>"
                  "</interface></devices></domain>",
                  child_domain },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *xml = billion_laughs(cases[i].use);
                double cpu = 0;
                long kib = 0;
                ASSERT(xml);
                int st = run_bounded(cases[i].fn, xml, &cpu, &kib);
                fprintf(stderr, "billion laughs %zu: exit %d, %.3f s CPU, %ld KiB peak (parent %ld KiB)\n", i, st, cpu,
                        kib, base_kib);
                /* refused (entity loop), or read with the references unexpanded: either way
                 * cheap. Expanded, lol9 is 3 GB. */
                CHECK(st == 0 || st == 1);
                CHECK(cpu < 2.0);
                CHECK(kib < base_kib + 128 * 1024);
        }

        /* the quadratic blow-up: one 64 KiB entity referenced 2000 times (128 MB expanded) */
        StrBuf b = {};
        strbuf_appendf(&b, "<!DOCTYPE domain [<!ENTITY a \"");
        for (int i = 0; i < 64 * 1024 / 8; i++)
                strbuf_appendf(&b, "aaaaaaaa");
        strbuf_appendf(&b, "\">]><domain><name>m</name><devices><interface type='network'><mac address='");
        for (int i = 0; i < 1000; i++)
                strbuf_appendf(&b, "&a;");
        strbuf_appendf(&b, "'/></interface></devices><description>");
        for (int i = 0; i < 1000; i++)
                strbuf_appendf(&b, "&a;");
        strbuf_appendf(&b, "</description></domain>");
        _cleanup_free_ char *quad = strbuf_steal(&b);
        ASSERT(quad);
        double cpu = 0;
        long kib = 0;
        int st = run_bounded(child_domain, quad, &cpu, &kib);
        fprintf(stderr, "quadratic: exit %d, %.3f s CPU, %ld KiB peak\n", st, cpu, kib);
        CHECK(st == 0 || st == 1);
        CHECK(cpu < 2.0);
        CHECK(kib < base_kib + 96 * 1024);
}

/* inotify on a file: any open or read of it shows. */
static int watch_file(const char *path) {
        int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fd < 0 || inotify_add_watch(fd, path, IN_OPEN | IN_ACCESS) < 0)
                return -1;
        return fd;
}

static ssize_t file_events(int fd) {
        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        ssize_t n = read(fd, buf, sizeof(buf));
        return n < 0 && errno == EAGAIN ? 0 : n;
}

TEST(external_entities_never_read) {
        _cleanup_free_ char *secret = path_join(tmpdir, "secret.dtd");
        _cleanup_close_ int ino = -1, lsock = -1;
        struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t sl = sizeof(sa);
        ASSERT(secret);
        ASSERT(write_file_atomic(secret, "<!ENTITY leak \"LEAKED\">", 23, 0644) == 0);
        ino = watch_file(secret);
        ASSERT(ino >= 0);
        /* the test of the test: reading the file is seen */
        _cleanup_free_ char *content = NULL;
        ASSERT(read_full_file(secret, 4096, &content, NULL) == 0);
        CHECK(file_events(ino) > 0);
        CHECK_INT(file_events(ino), 0);
        /* a local "web server" that must get no connection */
        lsock = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        ASSERT(lsock >= 0 && bind(lsock, (struct sockaddr *) &sa, sizeof(sa)) == 0 && listen(lsock, 4) == 0);
        ASSERT(getsockname(lsock, (struct sockaddr *) &sa, &sl) == 0);

        const char *forms[] = {
                "<!DOCTYPE domain SYSTEM \"%1$s\">\n<domain><name>m</name></domain>",
                "<!DOCTYPE domain PUBLIC \"-//X//DTD X//EN\" \"%1$s\">\n<domain><name>m</name></domain>",
                "<!DOCTYPE domain [<!ENTITY ext SYSTEM \"%1$s\">]>\n<domain><name>m</name><description>&ext;</description></domain>",
                "<!DOCTYPE domain [<!ENTITY %% pe SYSTEM \"%1$s\"> %%pe; ]>\n<domain><name>&leak;</name></domain>",
                "<!DOCTYPE domain [<!ENTITY ext SYSTEM \"%1$s\">]>\n<domain><name>m</name><devices>"
                "<interface type='hostdev'><mac address='&ext;'/><alias name='ua-accelnet-vf'/></interface></devices></domain>",
                "<!DOCTYPE domain [<!ENTITY ext SYSTEM \"file://%1$s\">]>\n<domain><name>&ext;</name></domain>",
        };
        for (size_t i = 0; i < ELEMENTSOF(forms); i++)
                for (int net = 0; net < 2; net++) {
                        _cleanup_free_ char *url = NULL, *xml = NULL, *out = NULL;
                        if (net)
                                ASSERT(asprintf(&url, "http://127.0.0.1:%u/x.dtd", ntohs(sa.sin_port)) > 0);
                        ASSERT(asprintf(&xml, forms[i], net ? url : secret) > 0);
                        VirtDomain *d = NULL;
                        VirtXmlAccel a = {};
                        int r1 = virt_domain_parse(xml, NULL, &d);
                        int r2 = virt_xml_accel_parse(xml, &a);
                        if (r1 == 0) {
                                CHECK(!strstr(d->name, "LEAKED"));
                                d = virt_domain_free(d);
                        }
                        virt_xml_accel_done(&a);
                        (void) virt_xml_retarget_vf(xml, "0000:3b:10.1", "0000:3b:10.2", &out);
                        CHECK(!out || !strstr(out, "LEAKED"));
                        CHECK(r2 == 0 || r2 == -EBADMSG || r2 == -EINVAL);
                        ssize_t ev = file_events(ino);
                        int conn = accept(lsock, NULL, NULL);
                        if (ev != 0 || conn >= 0)
                                fprintf(stderr, "form %zu (%s): read %zd, connection %d\n", i, net ? "http" : "file", ev,
                                        conn);
                        CHECK_INT(ev, 0);
                        CHECK(conn < 0);
                        if (conn >= 0)
                                close(conn);
                }
}

static char *nested(unsigned depth) {
        StrBuf b = {};
        strbuf_appendf(&b, "<domain><name>deep</name><metadata>");
        for (unsigned i = 0; i < depth; i++)
                strbuf_appendf(&b, "<e>");
        for (unsigned i = 0; i < depth; i++)
                strbuf_appendf(&b, "</e>");
        strbuf_appendf(&b, "</metadata></domain>");
        return strbuf_steal(&b);
}

TEST(limits) {
        VirtDomain *d = NULL;
        VirtXmlAccel a = {};

        /* depth: libxml2's limit (256) holds; 200 levels are read */
        _cleanup_free_ char *ok = nested(200), *deep = nested(5000), *very = nested(200000);
        ASSERT(ok && deep && very);
        CHECK_INT(virt_domain_parse(ok, NULL, &d), 0);
        d = virt_domain_free(d);
        CHECK_INT(virt_domain_parse(deep, NULL, &d), -EBADMSG);
        CHECK_CONTAINS(virt_last_error(), "depth");
        CHECK_INT(virt_xml_accel_parse(very, &a), -EBADMSG);

        /* NUL bytes: refused by length, and cut short as a C string */
        DomXml *x = NULL;
        CHECK_INT(domxml_parse("<domain>x\0y</domain>", 20, &x), -EBADMSG);
        CHECK_CONTAINS(virt_last_error(), "NUL byte at offset 9");
        CHECK_INT(domxml_parse("<domain b='x\0'/>", 16, &x), -EBADMSG);
        CHECK_INT(virt_xml_accel_parse("<domain><name>x\0</name></domain>", &a), -EBADMSG);
        CHECK_INT(domxml_parse("", 0, &x), -EBADMSG);
        CHECK(x == NULL);

        /* size: exactly the limit is read, one byte more is refused before parsing */
        size_t max = DOMXML_MAX_SIZE;
        char *big = malloc(max + 2);
        ASSERT(big);
        /* comments of 1000 bytes (libxml2 refuses one text node over 10 MB) and padding */
        static const char head[] = "<domain><name>big</name>", tail[] = "</domain>";
        size_t pos = strlen(head);
        memcpy(big, head, pos);
        while (pos + 1000 + strlen(tail) <= max) {
                memcpy(big + pos, "<!--", 4);
                memset(big + pos + 4, 'x', 993);
                memcpy(big + pos + 997, "-->", 3);
                pos += 1000;
        }
        memset(big + pos, ' ', max - pos);
        memcpy(big + max - strlen(tail), tail, strlen(tail));
        big[max] = '\0';
        CHECK_INT(virt_domain_parse(big, NULL, &d), 0);
        CHECK(d && streq(d->name, "big"));
        d = virt_domain_free(d);
        big[max - strlen(tail)] = ' ';
        memcpy(big + max + 1 - strlen(tail), tail, strlen(tail));
        big[max + 1] = '\0';
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        CHECK_INT(virt_domain_parse(big, NULL, &d), -EBADMSG);
        CHECK_CONTAINS(virt_last_error(), "16777217 bytes");
        CHECK_INT(virt_xml_accel_parse(big, &a), -EBADMSG);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        /* refused unread: far less than parsing 16 MiB takes */
        CHECK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 100);
        free(big);

        /* 17 MiB of real-looking domain */
        StrBuf b = {};
        strbuf_appendf(&b, "<domain><name>wide</name><devices>");
        while (b.len < 17U * 1024U * 1024U)
                strbuf_appendf(&b, "<interface type='network'><mac address='52:54:00:00:00:01'/></interface>");
        strbuf_appendf(&b, "</devices></domain>");
        _cleanup_free_ char *wide = strbuf_steal(&b);
        ASSERT(wide);
        CHECK_INT(virt_xml_accel_parse(wide, &a), -EBADMSG);
        DomXml *wx = NULL;
        CHECK_INT(domxml_parse(wide, strlen(wide), &wx), -EBADMSG);
        CHECK(wx == NULL);

        /* many siblings are fine */
        b = (StrBuf) {};
        strbuf_appendf(&b, "<domain><name>many</name><devices>");
        for (unsigned i = 0; i < 20000; i++)
                strbuf_appendf(&b, "<interface type='network'><mac address='52:54:00:00:%02x:%02x'/></interface>",
                               i >> 8 & 0xff, i & 0xff);
        strbuf_appendf(&b, "</devices></domain>");
        _cleanup_free_ char *many = strbuf_steal(&b);
        ASSERT(many);
        CHECK_INT(virt_domain_parse(many, NULL, &d), 0);
        CHECK(d && d->n_ifaces == 20000);
        d = virt_domain_free(d);
}

TEST(truncated_and_mutated) {
        size_t len = strlen(config_xml), end = (size_t) (strrchr(config_xml, '>') - config_xml) + 1;
        _cleanup_free_ char *buf = malloc(len + 1);
        ASSERT(buf);
        /* every prefix that cuts the root element short is refused, cleanly */
        for (size_t i = 0; i < end; i++) {
                VirtXmlAccel a = {};
                memcpy(buf, config_xml, i);
                buf[i] = '\0';
                int r = virt_xml_accel_parse(buf, &a);
                if (r != -EBADMSG)
                        fprintf(stderr, "prefix of %zu bytes: %d\n", i, r);
                CHECK_INT(r, -EBADMSG);
        }
        /* single-byte corruption never crashes; what is accepted is consistent */
        const char repl[] = { '<', '>', '&', '\'', '"', '/', 'x', ';', '!', '0', ':' };
        for (size_t i = 0; i < len; i++)
                for (size_t k = 0; k < ELEMENTSOF(repl); k++) {
                        memcpy(buf, config_xml, len + 1);
                        buf[i] = repl[k];
                        VirtXmlAccel a = {};
                        VirtDomain *d = NULL;
                        int r = virt_xml_accel_parse(buf, &a);
                        CHECK(r == 0 || r == -EBADMSG || r == -EINVAL);
                        if (r == 0 && a.n_vfs > 0) {
                                char *out = NULL;
                                int r2 = virt_xml_retarget_vf(buf, a.vfs[0].pci, "0000:01:00.1", &out);
                                CHECK(r2 == 0);
                                free(out);
                        }
                        virt_xml_accel_done(&a);
                        r = virt_domain_parse(buf, NULL, &d);
                        CHECK(r == 0 || r == -EBADMSG);
                        virt_domain_free(d);
                }
}

static int generic_calls;
static void my_generic(void *ctx, const char *msg, ...) {
        generic_calls++;
}

TEST(silent) {
        _cleanup_free_ char *lol = billion_laughs("<domain>&lol9;</domain>"), *deep = nested(1000);
        ASSERT(lol && deep);
        /* a handler this thread had before is back afterwards, and was not called */
        xmlSetGenericErrorFunc(NULL, my_generic);
        stderr_capture();
        const char *bad[] = { "<domain>", "<domain>&x;</domain>", "<domain xmlns:a='x'><b:c/></domain>", lol, deep,
                              "<?xml version='1.0' encoding='EBCDIC-nonsense'?><domain/>", "<domain>\x80</domain>",
                              "<!DOCTYPE domain SYSTEM 'http://127.0.0.1:1/x'><domain/>" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                VirtDomain *d = NULL;
                VirtXmlAccel a = {};
                char *out = NULL;
                (void) virt_domain_parse(bad[i], NULL, &d);
                (void) virt_xml_accel_parse(bad[i], &a);
                (void) virt_xml_retarget_vf(bad[i], "0000:01:00.1", "0000:01:00.2", &out);
                virt_domain_free(d);
                virt_xml_accel_done(&a);
                free(out);
        }
        long printed = stderr_restore();
        CHECK_INT(printed, 0);
        CHECK(xmlGenericError == my_generic);
        CHECK_INT(generic_calls, 0);
        xmlSetGenericErrorFunc(NULL, NULL);
}

int main(void) {
        tmpdir = test_tmpdir();
        RUN(dom_read);
        RUN(dom_values_as_written);
        RUN(dom_edit_and_write);
        RUN(dom_build_and_copy);
        RUN(domain_inactive);
        RUN(domain_active);
        RUN(domain_metadata);
        RUN(domain_bad);
        RUN(accel_parse);
        RUN(accel_bad_values);
        RUN(accel_not_xml);
        RUN(retarget);
        RUN(drop_vf);
        RUN(retarget_keeps_doctype);
        RUN(billion_laughs);
        RUN(external_entities_never_read);
        RUN(limits);
        RUN(truncated_and_mutated);
        RUN(silent);
        test_tmpdir_cleanup(tmpdir);
        return TEST_MAIN_END();
}
