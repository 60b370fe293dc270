/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>

#include "shared/strutil.h"
#include "testlib.h"
#include "virt/xml.h"

/* What `virsh dumpxml` prints for a qemu domain, with a comment, a processing
 * instruction, entities, a namespace and CDATA added. */
static const char domain_xml[] =
        "<?xml version='1.0' encoding='UTF-8'?>\n"
        "<!-- WARNING: THIS IS AN AUTO-GENERATED FILE. -->\n"
        "<domain type='kvm' id='7' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>\n"
        "  <name>web&amp;db-01</name>\n"
        "  <uuid>3e3fce45-4f53-4fa7-bb32-11f34168b82b</uuid>\n"
        "  <title>Tom &quot;the &lt;web&gt;&quot; server &#x2014; &#233;t&#xE9;</title>\n"
        "  <metadata><app:info xmlns:app=\"http://example.org/app\"><![CDATA[a<b && c>d]]></app:info></metadata>\n"
        "  <memory unit='KiB'>4194304</memory>\n"
        "  <vcpu placement='static' cpuset='0-3,8-11' current='4'>8</vcpu>\n"
        "  <cputune>\n"
        "    <vcpupin vcpu='0' cpuset='2'/>\n"
        "    <vcpupin vcpu='1' cpuset='3'/>\n"
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
        "      <mac address='52:54:00:6b:3c:58'/>\n"
        "      <source network='default' portid='a1' bridge='virbr0'/>\n"
        "      <target dev='vnet0'/>\n"
        "      <model type='virtio'/>\n"
        "      <teaming type='persistent'/>\n"
        "      <alias name='ua-net0'/>\n"
        "      <address type='pci' domain='0x0000' bus='0x01' slot='0x00' function='0x0'/>\n"
        "    </interface>\n"
        "    <interface type='bridge'><mac address='52:54:00:aa:bb:cc'/><source bridge='br0'/>"
        "<vlan trunk='yes'><tag id='42'/><tag id='43' nativeMode='untagged'/></vlan><model type='e1000e'/></interface>\n"
        "    <interface type=\"direct\">\n"
        "      <mac address=\"52:54:00:dd:ee:ff\"/>\n"
        "      <source dev=\"ens1f0\" mode=\"vepa\"/>\n"
        "    </interface>\n"
        "    <interface type='hostdev' managed='yes'>\n"
        "      <mac address='52:54:00:6b:3c:58'/>\n"
        "      <source>\n"
        "        <address type='pci' domain='0x0000' bus='0x3b' slot='0x10' function='0x1'/>\n"
        "      </source>\n"
        "      <teaming type='transient' persistent='ua-net0'/>\n"
        "      <alias name='ua-accelnet-vf0'/>\n"
        "    </interface>\n"
        "    <hostdev mode='subsystem' type='pci' managed='yes'>\n"
        "      <source><address domain='0x0000' bus='0x5e' slot='0x00' function='0x2'/></source>\n"
        "    </hostdev>\n"
        "    <!-- a comment between devices -->\n"
        "    <graphics type='vnc' port='-1' passwd='p&apos;w&#10;d'/>\n"
        "  </devices>\n"
        "  <qemu:commandline><qemu:arg value='-s'/></qemu:commandline>\n"
        "</domain>";

static XmlNode *parse_ok(const char *s) {
        XmlNode *n = NULL;
        int r = xml_parse(s, strlen(s), &n, NULL);
        CHECK_INT(r, 0);
        return n;
}

TEST(parse_domain) {
        _cleanup_(xml_node_freep) XmlNode *d = parse_ok(domain_xml);
        ASSERT(d);
        CHECK_STR(d->name, "domain");
        CHECK_STR(xml_attr(d, "type"), "kvm");
        CHECK_STR(xml_attr(d, "id"), "7");
        CHECK_STR(xml_attr(d, "xmlns:qemu"), "http://libvirt.org/schemas/domain/qemu/1.0");
        CHECK(xml_attr(d, "nope") == NULL);
        CHECK_STR(xml_text(xml_child(d, "name")), "web&db-01");
        CHECK_STR(xml_text(xml_child(d, "title")), "Tom \"the <web>\" server \xE2\x80\x94 \xC3\xA9t\xC3\xA9");
        CHECK_STR(xml_text(xml_find(d, "metadata/app:info")), "a<b && c>d");
        CHECK_STR(xml_text(xml_child(d, "vcpu")), "8");
        CHECK_STR(xml_child_attr(d, "vcpu", "current"), "4");
        CHECK_STR(xml_child_attr(d, "vcpu", "cpuset"), "0-3,8-11");
        CHECK_STR(xml_attr(xml_find(d, "numatune/memory"), "nodeset"), "1");
        CHECK_STR(xml_attr(xml_find(d, "numatune/memnode"), "mode"), "preferred");
        CHECK_INT(xml_count_children(xml_child(d, "cputune"), "vcpupin"), 2);
        CHECK_INT(xml_count_children(xml_child(d, "cputune"), NULL), 3);
        CHECK_STR(xml_text(xml_find(d, "os/type")), "hvm");
        CHECK_STR(xml_attr(xml_find(d, "qemu:commandline/qemu:arg"), "value"), "-s");
        CHECK_STR(xml_attr(xml_find(d, "devices/graphics"), "passwd"), "p'w\nd");

        XmlNode *devices = xml_child(d, "devices");
        CHECK_INT(xml_count_children(devices, "interface"), 4);
        const char *types[] = { "network", "bridge", "direct", "hostdev" };
        size_t k = 0;
        for (XmlNode *i = xml_child(devices, "interface"); i; i = xml_next(i, "interface"), k++) {
                ASSERT(k < ELEMENTSOF(types));
                CHECK_STR(xml_attr(i, "type"), types[k]);
                CHECK(xml_child_attr(i, "mac", "address") != NULL);
        }
        XmlNode *bridge = xml_next(xml_child(devices, "interface"), "interface");
        CHECK_STR(xml_attr(xml_find(bridge, "vlan/tag"), "id"), "42");
        XmlNode *hd = xml_next(xml_next(bridge, "interface"), "interface");
        CHECK_STR(xml_attr(xml_find(hd, "source/address"), "bus"), "0x3b");
        CHECK_STR(xml_child_attr(hd, "teaming", "persistent"), "ua-net0");
        CHECK(xml_find(d, "devices/nothing") == NULL);
        CHECK(xml_find(d, "") == d);
        /* parents are linked */
        CHECK(hd->parent == devices && devices->parent == d && d->parent == NULL);
}

TEST(round_trip) {
        _cleanup_(xml_node_freep) XmlNode *a = parse_ok(domain_xml), *b = NULL, *c = NULL;
        _cleanup_free_ char *s1 = NULL, *s2 = NULL, *s3 = NULL;
        ASSERT(a);
        CHECK_INT(xml_serialize(a, &s1), 0);
        ASSERT(s1);
        /* comments and PIs are gone, text and attributes survive escaped */
        CHECK(!strstr(s1, "<!--"));
        CHECK(!strstr(s1, "<?"));
        CHECK_CONTAINS(s1, "<name>web&amp;db-01</name>");
        CHECK_CONTAINS(s1, "passwd='p&apos;w&#10;d'");
        CHECK_CONTAINS(s1, "<teaming type='transient' persistent='ua-net0'/>");
        CHECK_CONTAINS(s1, "a&lt;b &amp;&amp; c&gt;d");
        b = parse_ok(s1);
        ASSERT(b);
        CHECK_INT(xml_serialize(b, &s2), 0);
        CHECK_STR(s2, s1);
        CHECK_STR(xml_text(xml_child(b, "title")), xml_text(xml_child(a, "title")));
        CHECK_STR(xml_attr(xml_find(b, "devices/graphics"), "passwd"), "p'w\nd");
        /* a deep copy serialises the same */
        c = xml_copy(a);
        ASSERT(c);
        CHECK_INT(xml_serialize(c, &s3), 0);
        CHECK_STR(s3, s1);
}

TEST(entities) {
        _cleanup_(xml_node_freep) XmlNode *n =
                parse_ok("<a v='&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#x1F600;'>&#9;x&#13;&#10;</a>");
        ASSERT(n);
        CHECK_STR(xml_attr(n, "v"), "<>&\"'AB\xF0\x9F\x98\x80");
        CHECK_STR(xml_text(n), "\tx\r\n");
        _cleanup_free_ char *e = xml_escape("a&b<c>d'e\"f\tg\nh");
        CHECK_STR(e, "a&amp;b&lt;c&gt;d&apos;e&quot;f&#9;g&#10;h");
        _cleanup_free_ char *empty = xml_escape("");
        CHECK_STR(empty, "");
        /* what we escape parses back to the original */
        _cleanup_free_ char *doc = NULL;
        const char *nasty = "x'\"<>&\n\t\r;&amp;";
        _cleanup_free_ char *esc = xml_escape(nasty);
        ASSERT(asprintf(&doc, "<a v='%s'>%s</a>", esc, esc) > 0);
        _cleanup_(xml_node_freep) XmlNode *m = parse_ok(doc);
        ASSERT(m);
        CHECK_STR(xml_attr(m, "v"), nasty);
        CHECK_STR(xml_text(m), nasty);
}

TEST(malformed) {
        static const char *const bad[] = {
                "",
                "   ",
                "text",
                "<a>",
                "<a></b>",
                "<a><b></a></b>",
                "<a/><b/>",
                "<a/>trailing",
                "<a x='1' x='2'/>",
                "<a x=1/>",
                "<a x='1'y='2'/>",
                "<a x='<'/>",
                "<a x='1/>",
                "<a>&foo;</a>",
                "<a>&amp</a>",
                "<a>& b</a>",
                "<a>&#0;</a>",
                "<a>&#xD800;</a>",
                "<a>&#x110000;</a>",
                "<a>&#1;</a>",
                "<a>&#;</a>",
                "<a>&#x;</a>",
                "<a>&#12a;</a>",
                "<!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>",
                "<a><!DOCTYPE b></a>",
                "<a><!-- x -- y --></a>",
                "<a><!-- unterminated </a>",
                "<a><![CDATA[ unterminated </a>",
                "<a><?pi unterminated </a>",
                "<1a/>",
                "< a/>",
                "<a",
                "<a b",
                "<a b=",
                "<a b='c'",
                "</a>",
                "<a></a ",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                XmlNode *n = NULL;
                int r = xml_parse(bad[i], strlen(bad[i]), &n, NULL);
                if (r != -EBADMSG)
                        fprintf(stderr, "accepted or wrong error %d: %s\n", r, bad[i]);
                CHECK_INT(r, -EBADMSG);
                CHECK(n == NULL);
        }
        /* an embedded NUL */
        XmlNode *n = NULL;
        CHECK_INT(xml_parse("<a>x\0y</a>", 10, &n, NULL), -EBADMSG);
        CHECK_INT(xml_parse("<a b='x\0'/>", 11, &n, NULL), -EBADMSG);
        /* the error offset points into the input */
        size_t off = 0;
        CHECK_INT(xml_parse("<a><b></c></a>", 14, &n, &off), -EBADMSG);
        CHECK(off > 0 && off <= 14);
        CHECK(n == NULL);
}

TEST(truncated_and_mutated) {
        size_t len = strlen(domain_xml);
        /* every proper prefix is rejected, cleanly */
        for (size_t i = 0; i < len; i++) {
                XmlNode *n = NULL;
                int r = xml_parse(domain_xml, i, &n, NULL);
                if (r == 0)
                        fprintf(stderr, "prefix of %zu bytes accepted\n", i);
                CHECK(r < 0);
                CHECK(n == NULL);
        }
        /* single-byte corruption never crashes; what is accepted serialises */
        _cleanup_free_ char *buf = malloc(len + 1);
        ASSERT(buf);
        const char repl[] = { '<', '>', '&', '\'', '"', '/', '\0', 'x', ';', '!' };
        for (size_t i = 0; i < len; i++)
                for (size_t k = 0; k < ELEMENTSOF(repl); k++) {
                        memcpy(buf, domain_xml, len + 1);
                        buf[i] = repl[k];
                        XmlNode *n = NULL;
                        if (xml_parse(buf, len, &n, NULL) == 0) {
                                char *s = NULL;
                                CHECK_INT(xml_serialize(n, &s), 0);
                                free(s);
                                xml_node_free(n);
                        }
                }
}

static char *nested(unsigned depth) {
        StrBuf b = {};
        for (unsigned i = 0; i < depth; i++)
                strbuf_appendf(&b, "<e%u>", i);
        for (unsigned i = depth; i > 0; i--)
                strbuf_appendf(&b, "</e%u>", i - 1);
        return strbuf_steal(&b);
}

TEST(limits) {
        XmlNode *n = NULL;
        _cleanup_free_ char *ok = nested(XML_MAX_DEPTH), *deep = nested(XML_MAX_DEPTH + 1),
                            *very = nested(100000);
        ASSERT(ok && deep && very);
        CHECK_INT(xml_parse(ok, strlen(ok), &n, NULL), 0);
        ASSERT(n);
        CHECK(xml_find(n, "e1/e2/e3") != NULL);
        n = xml_node_free(n);
        CHECK_INT(xml_parse(deep, strlen(deep), &n, NULL), -ELOOP);
        CHECK(n == NULL);
        CHECK_INT(xml_parse(very, strlen(very), &n, NULL), -ELOOP);

        /* size: exactly at the limit is parsed, one byte more is refused unread */
        size_t max = XML_MAX_SIZE;
        char *big = malloc(max + 2);
        ASSERT(big);
        memset(big, ' ', max + 1);
        memcpy(big, "<a>", 3);
        memcpy(big + max - 4, "</a>", 4);
        big[max + 1] = '\0';
        CHECK_INT(xml_parse(big, max, &n, NULL), 0);
        CHECK(n && strlen(xml_text(n)) == max - 7);
        n = xml_node_free(n);
        CHECK_INT(xml_parse(big, max + 1, &n, NULL), -EFBIG);
        CHECK(n == NULL);
        free(big);

        /* many siblings are fine (no recursion over siblings) */
        StrBuf b = {};
        strbuf_appendf(&b, "<devices>");
        for (unsigned i = 0; i < 100000; i++)
                strbuf_appendf(&b, "<interface type='network'/>");
        strbuf_appendf(&b, "</devices>");
        _cleanup_free_ char *wide = strbuf_steal(&b);
        ASSERT(wide);
        CHECK_INT(xml_parse(wide, strlen(wide), &n, NULL), 0);
        CHECK_INT(xml_count_children(n, "interface"), 100000);
        n = xml_node_free(n);
}

TEST(edit) {
        _cleanup_(xml_node_freep) XmlNode *d = parse_ok(domain_xml);
        ASSERT(d);
        XmlNode *net = xml_find(d, "devices/interface");
        ASSERT(net);
        /* change an attribute, add and drop some */
        CHECK_INT(xml_set_attr(xml_child(net, "alias"), "name", "ua-accelnet-net0"), 0);
        CHECK_INT(xml_set_attr(net, "trustGuestRxFilters", "y&s"), 0);
        CHECK(xml_unset_attr(net, "trustGuestRxFilters"));
        CHECK(!xml_unset_attr(net, "trustGuestRxFilters"));
        xml_node_free(xml_child(net, "teaming"));
        CHECK(xml_child(net, "teaming") == NULL);
        XmlNode *t = xml_new_child(net, "teaming");
        ASSERT(t);
        CHECK_INT(xml_set_attr(t, "type", "persistent"), 0);
        /* move a node out of the tree and into another place */
        XmlNode *hd = xml_next(xml_next(xml_next(net, "interface"), "interface"), "interface");
        ASSERT(hd);
        xml_unlink(hd);
        CHECK_INT(xml_count_children(xml_child(d, "devices"), "interface"), 3);
        xml_append(xml_child(d, "devices"), hd);
        CHECK_INT(xml_count_children(xml_child(d, "devices"), "interface"), 4);
        XmlNode *title = xml_child(d, "title");
        CHECK_INT(xml_set_text(title, "a<b"), 0);
        CHECK_STR(xml_text(title), "a<b");

        _cleanup_free_ char *s = NULL, *one = NULL;
        CHECK_INT(xml_serialize(d, &s), 0);
        CHECK_CONTAINS(s, "<alias name='ua-accelnet-net0'/>");
        CHECK_CONTAINS(s, "<title>a&lt;b</title>");
        CHECK_CONTAINS(s, "<teaming type='persistent'/></interface>");
        CHECK_INT(xml_serialize(net, &one), 0);
        CHECK(strncmp(one, "<interface type='network'>", 26) == 0);
        _cleanup_(xml_node_freep) XmlNode *again = parse_ok(s);
        ASSERT(again);
        CHECK_STR(xml_attr(xml_find(again, "devices/interface/alias"), "name"), "ua-accelnet-net0");

        /* building from scratch */
        _cleanup_(xml_node_freep) XmlNode *root = xml_element_new("interface");
        ASSERT(root);
        CHECK_INT(xml_set_attr(root, "type", "hostdev"), 0);
        XmlNode *mac = xml_new_child(root, "mac");
        CHECK_INT(xml_set_attr(mac, "address", "52:54:00:00:00:01"), 0);
        _cleanup_free_ char *built = NULL;
        CHECK_INT(xml_serialize(root, &built), 0);
        CHECK_STR(built, "<interface type='hostdev'><mac address='52:54:00:00:00:01'/></interface>");
}

int main(void) {
        RUN(parse_domain);
        RUN(round_trip);
        RUN(entities);
        RUN(malformed);
        RUN(truncated_and_mutated);
        RUN(limits);
        RUN(edit);
        return TEST_MAIN_END();
}
