/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* accelnet-hook's decisions without a bus: operations, arguments, the timeout, "managed"
 * detection in domain XML, reading stdin, error classification and the exit code and
 * message for every outcome (daemon absent, denied, silent, failing). */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <stdio.h>
#include <systemd/sd-bus-protocol.h>
#include <unistd.h>

#include "config.h"
#include "hook/hook.h"
#include "shared/anerror.h"
#include "shared/fileio.h"
#include "shared/names.h"
#include "shared/strutil.h"
#include "testlib.h"

#define ARGV(...) ((char *const[]) { "accelnet-hook", __VA_ARGS__, NULL })
#define ARGC(...) ((int) (sizeof((const char *[]) { "accelnet-hook", __VA_ARGS__ }) / sizeof(char *)))
#define PARSE(a, err, ...) hook_args_parse(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), a, err)

TEST(op_table) {
        for (int i = 0; i < _HOOK_OP_MAX; i++) {
                const char *s = hook_op_to_string((HookOp) i);
                ASSERT(s);
                CHECK_INT(hook_op_from_string(s), i);
        }
        CHECK_STR(hook_op_to_string(HOOK_OP_RECONNECT), "reconnect");
        CHECK_STR(hook_op_to_string(HOOK_OP_ATTACH), "attach");
        CHECK(hook_op_to_string(_HOOK_OP_MAX) == NULL);
        CHECK(hook_op_to_string(_HOOK_OP_INVALID) == NULL);
        CHECK_INT(hook_op_from_string("PREPARE"), _HOOK_OP_INVALID); /* libvirt's spelling only */
        CHECK_INT(hook_op_from_string("shutdown"), _HOOK_OP_INVALID);
        CHECK_INT(hook_op_from_string(""), _HOOK_OP_INVALID);
        CHECK_INT(hook_op_from_string(NULL), _HOOK_OP_INVALID);

        for (int i = 0; i < _HOOK_ACTION_MAX; i++) {
                const char *s = hook_action_to_string((HookAction) i);
                ASSERT(s);
                CHECK_INT(hook_action_from_string(s), i);
        }
        CHECK(hook_action_to_string(_HOOK_ACTION_MAX) == NULL);
        for (int i = 0; i < _HOOK_CALL_STATUS_MAX; i++) {
                const char *s = hook_call_status_to_string((HookCallStatus) i);
                ASSERT(s);
                CHECK_INT(hook_call_status_from_string(s), i);
        }
        CHECK(hook_call_status_to_string(_HOOK_CALL_STATUS_MAX) == NULL);
        CHECK_INT(hook_call_status_from_string("nope"), _HOOK_CALL_STATUS_INVALID);
}

TEST(actions) {
        CHECK_INT(hook_action_for("prepare", "begin"), HOOK_ACTION_PREPARE);
        CHECK_INT(hook_action_for("release", "end"), HOOK_ACTION_RELEASE);
        CHECK_INT(hook_action_for("migrate", "begin"), HOOK_ACTION_MIGRATE);
        CHECK_INT(hook_action_for("restore", "begin"), HOOK_ACTION_RESTORE);
        CHECK_STR(hook_action_method(HOOK_ACTION_RESTORE), "Restore");
        CHECK(hook_action_filters_xml(HOOK_ACTION_MIGRATE) && hook_action_filters_xml(HOOK_ACTION_RESTORE));
        CHECK(!hook_action_filters_xml(HOOK_ACTION_PREPARE) && !hook_action_filters_xml(HOOK_ACTION_RELEASE));
        CHECK_STR(hook_action_method(HOOK_ACTION_PREPARE), "Prepare");
        CHECK_STR(hook_action_method(HOOK_ACTION_RELEASE), "Release");
        CHECK_STR(hook_action_method(HOOK_ACTION_MIGRATE), "Migrate");
        CHECK(hook_action_method(HOOK_ACTION_NONE) == NULL);

        /* Everything else is a no-op, reconnect above all (a failure there kills the VM). */
        static const char *const none[][2] = {
                { "start", "begin" },       { "started", "begin" }, { "stopped", "end" },   { "restore", "end" },
                { "reconnect", "begin" },   { "attach", "begin" },  { "prepare", "end" },   { "release", "begin" },
                { "migrate", "end" },       { "shutdown", "begin" }, { "", "" },            { "Prepare", "begin" },
                { "prepare", "BEGIN" },     { "prepare", "" },
        };
        for (size_t i = 0; i < ELEMENTSOF(none); i++)
                CHECK_INT(hook_action_for(none[i][0], none[i][1]), HOOK_ACTION_NONE);
        CHECK_INT(hook_action_for(NULL, "begin"), HOOK_ACTION_NONE);
        CHECK_INT(hook_action_for("prepare", NULL), HOOK_ACTION_NONE);
}

TEST(args) {
        HookArgs a;
        char *e = NULL;

        CHECK_INT(PARSE(&a, &e, "web2", "prepare", "begin", "-"), 0);
        CHECK_INT(a.mode, HOOK_MODE_RUN);
        CHECK_STR(a.vm, "web2");
        CHECK_STR(a.op, "prepare");
        CHECK_STR(a.sub_op, "begin");
        CHECK_STR(a.extra, "-");

        CHECK_INT(PARSE(&a, &e, "web2", "release", "end"), 0); /* EXTRA is optional */
        CHECK(a.extra == NULL);
        CHECK_INT(PARSE(&a, &e, "web2", "release", "end", "shutdown", "future"), 0); /* more: ignored */
        CHECK_STR(a.extra, "shutdown");
        /* A domain may be called "--help": with four arguments it is one. */
        CHECK_INT(PARSE(&a, &e, "--help", "prepare", "begin", "-"), 0);
        CHECK_INT(a.mode, HOOK_MODE_RUN);
        CHECK_STR(a.vm, "--help");

        CHECK_INT(PARSE(&a, &e, "--help"), 0);
        CHECK_INT(a.mode, HOOK_MODE_HELP);
        CHECK_INT(PARSE(&a, &e, "-h"), 0);
        CHECK_INT(a.mode, HOOK_MODE_HELP);
        CHECK_INT(PARSE(&a, &e, "--version"), 0);
        CHECK_INT(a.mode, HOOK_MODE_VERSION);
        CHECK(e == NULL);

        CHECK_INT(PARSE(&a, &e, "--frobnicate"), -EINVAL);
        CHECK_CONTAINS(e, "Unknown option '--frobnicate'");
        e = mfree(e);
        CHECK_INT(PARSE(&a, &e, "web2"), -EINVAL);
        CHECK_CONTAINS(e, "got 1 argument.");
        e = mfree(e);
        CHECK_INT(PARSE(&a, &e, "web2", "prepare"), -EINVAL);
        CHECK_CONTAINS(e, "got 2 arguments");
        e = mfree(e);
        CHECK_INT(hook_args_parse(1, ARGV(NULL), &a, &e), -EINVAL);
        CHECK_CONTAINS(e, "got 0 arguments");
        e = mfree(e);
        CHECK_INT(PARSE(&a, &e, "", "prepare", "begin", "-"), -EINVAL);
        CHECK_CONTAINS(e, "domain name is empty");
        e = mfree(e);

        const char *help = hook_help_text();
        CHECK_CONTAINS(help, "DOMAIN OPERATION SUB-OPERATION");
        CHECK_CONTAINS(help, "/etc/libvirt/hooks/qemu.d/accelnet");
        CHECK_CONTAINS(help, HOOK_TIMEOUT_ENV);
}

TEST(timeout) {
        uint64_t t = 1;

        CHECK_INT(hook_timeout_usec(NULL, &t), 0);
        CHECK_INT(t, 5000000);
        CHECK_INT(hook_timeout_usec("", &t), 0);
        CHECK_INT(t, 5000000);
        CHECK_INT(hook_timeout_usec("1", &t), 0);
        CHECK_INT(t, 1000);
        CHECK_INT(hook_timeout_usec("250", &t), 0);
        CHECK_INT(t, 250000);
        CHECK_INT(hook_timeout_usec("600000", &t), 0);
        CHECK_INT(t, 600000000);
        static const char *const bad[] = { "0", "600001", "-1", "abc", "5s", " 5", "5 ", "0x10", "+5",
                                           "99999999999999999999999" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                t = 1;
                CHECK_INT(hook_timeout_usec(bad[i], &t), -EINVAL);
                CHECK_INT(t, 5000000); /* the default, still usable */
        }
}

/* A domain in libvirt's own output format (virsh dumpxml of an accelerated VM). */
static const char accel_xml[] =
        "<domain type='kvm' id='3'>\n"
        "  <name>web2</name>\n"
        "  <uuid>6695eb01-f6a4-8304-79aa-97f2502e1901</uuid>\n"
        "  <description>a &lt;test&gt; VM</description>\n"
        "  <devices>\n"
        "    <interface type='network'>\n"
        "      <mac address='52:54:00:aa:00:01'/>\n"
        "      <source network='default'/>\n"
        "      <model type='virtio'/>\n"
        "      <teaming type='persistent'/>\n"
        "      <alias name='" ACCELNET_ALIAS_PREFIX "net0'/>\n"
        "    </interface>\n"
        "    <interface type='hostdev' managed='yes'>\n"
        "      <mac address='52:54:00:aa:00:01'/>\n"
        "      <source>\n"
        "        <address type='pci' domain='0x0000' bus='0x01' slot='0x10' function='0x0'/>\n"
        "      </source>\n"
        "      <teaming type='transient' persistent='" ACCELNET_ALIAS_PREFIX "net0'/>\n"
        "      <alias name='" ACCELNET_ALIAS_PREFIX "vf-0000-01-10-0'/>\n"
        "    </interface>\n"
        "  </devices>\n"
        "</domain>\n";

/* The same VM after DisableVM: the virtio NIC keeps its alias, the VF is gone. */
static const char disabled_xml[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE domain>\n"
        "<domain type=\"kvm\">\n"
        "  <name>web2</name>\n"
        "  <devices>\n"
        "    <interface type=\"network\">\n"
        "      <mac address=\"52:54:00:aa:00:01\"/>\n"
        "      <alias name=\"" ACCELNET_ALIAS_PREFIX "net0\"/>\n"
        "    </interface>\n"
        "  </devices>\n"
        "</domain>\n";

TEST(xml_managed) {
        CHECK_INT(hook_xml_managed(accel_xml), HOOK_MANAGED_YES);
        CHECK_INT(hook_xml_managed(disabled_xml), HOOK_MANAGED_NO);

        /* Double quotes, whitespace around '=', other attributes first, a '>' in a value. */
        CHECK_INT(hook_xml_managed("<domain><devices><interface managed=\"yes\" type = \"hostdev\">"
                                   "<source><address bus='0x01'/></source>"
                                   "<alias\n name = \"" ACCELNET_ALIAS_PREFIX "vf-0000-01-10-2\" /></interface></devices></domain>"),
                  HOOK_MANAGED_YES);
        CHECK_INT(hook_xml_managed("<domain><devices><disk note='a>b'/><interface type='hostdev'>"
                                   "<alias name='" ACCELNET_ALIAS_PREFIX "x'/></interface></devices></domain>"),
                  HOOK_MANAGED_YES);

        /* Not ours: a hostdev interface with another alias, our alias on a network
         * interface, in a comment or CDATA, outside any interface, or after a self-closed one. */
        CHECK_INT(hook_xml_managed("<domain><devices><interface type='hostdev'><alias name='hostdev0'/>"
                                   "</interface></devices></domain>"),
                  HOOK_MANAGED_NO);
        CHECK_INT(hook_xml_managed("<domain><devices><interface type='hostdev'><alias name='ua-other'/>"
                                   "</interface></devices></domain>"),
                  HOOK_MANAGED_NO);
        CHECK_INT(hook_xml_managed("<domain><devices><interface type='bridge'><alias name='" ACCELNET_ALIAS_PREFIX "vf-1'/>"
                                   "</interface></devices></domain>"),
                  HOOK_MANAGED_NO);
        CHECK_INT(hook_xml_managed("<domain><devices><interface type='hostdev'>"
                                   "<!-- <alias name='" ACCELNET_ALIAS_PREFIX "vf-1'/> --><alias name='hostdev1'/>"
                                   "</interface></devices></domain>"),
                  HOOK_MANAGED_NO);
        CHECK_INT(hook_xml_managed("<domain><metadata><![CDATA[<interface type='hostdev'><alias name='" ACCELNET_ALIAS_PREFIX "1'/>"
                                   "]]></metadata></domain>"),
                  HOOK_MANAGED_NO);
        CHECK_INT(hook_xml_managed("<domain><devices><interface type='hostdev'></interface>"
                                   "<hostdev mode='subsystem'><alias name='" ACCELNET_ALIAS_PREFIX "1'/></hostdev></devices></domain>"),
                  HOOK_MANAGED_NO);
        CHECK_INT(hook_xml_managed("<domain><devices><interface type='hostdev'/>"
                                   "<alias name='" ACCELNET_ALIAS_PREFIX "1'/></devices></domain>"),
                  HOOK_MANAGED_NO);
        CHECK_INT(hook_xml_managed("<domain><devices><interfaces type='hostdev'><aliases name='" ACCELNET_ALIAS_PREFIX "1'/>"
                                   "</interfaces></devices></domain>"),
                  HOOK_MANAGED_NO);

        /* Cannot tell: nothing, not a domain, cut short. */
        CHECK_INT(hook_xml_managed(NULL), HOOK_MANAGED_UNKNOWN);
        CHECK_INT(hook_xml_managed(""), HOOK_MANAGED_UNKNOWN);
        CHECK_INT(hook_xml_managed("hello"), HOOK_MANAGED_UNKNOWN);
        CHECK_INT(hook_xml_managed("<network><name>default</name></network>"), HOOK_MANAGED_UNKNOWN);
        CHECK_INT(hook_xml_managed("<domain><devices><interface type='hostdev'><alias name='ua-acc"),
                  HOOK_MANAGED_UNKNOWN);
        CHECK_INT(hook_xml_managed("<domain><devices><interface type='hostdev"), HOOK_MANAGED_UNKNOWN);
        CHECK_INT(hook_xml_managed("<domain><devices><interface type=hostdev>"), HOOK_MANAGED_UNKNOWN);
        CHECK_INT(hook_xml_managed("<domain><!-- unterminated"), HOOK_MANAGED_UNKNOWN);
        /* Cut short after the alias: not a document, so it cannot be told (the hook then
         * treats the VM as possibly ours, as it does a YES). */
        CHECK_INT(hook_xml_managed("<domain><devices><interface type='hostdev'><alias name='ua-accelnet-1'/><x"),
                  HOOK_MANAGED_UNKNOWN);
        /* Our alias on a device outside <devices>, or in another namespace: not ours. */
        CHECK_INT(hook_xml_managed("<domain><interface type='hostdev'><alias name='ua-accelnet-vf'/></interface></domain>"),
                  HOOK_MANAGED_NO);
        CHECK_INT(hook_xml_managed("<domain xmlns:x='urn:x'><devices><x:interface type='hostdev'>"
                                   "<alias name='ua-accelnet-vf'/></x:interface></devices></domain>"),
                  HOOK_MANAGED_NO);
        CHECK_INT(hook_xml_managed("<domain xmlns='urn:x'><devices><interface type='hostdev'>"
                                   "<alias name='ua-accelnet-vf'/></interface></devices></domain>"),
                  HOOK_MANAGED_UNKNOWN);
        /* A node file (several domains) is not a domain XML. */
        _cleanup_free_ char *node = NULL;
        ASSERT(read_full_file(ACCELNET_SOURCE_DIR "/conf/simulate/libvirt.xml", 1 << 20, &node, NULL) >= 0);
        CHECK_INT(hook_xml_managed(node), HOOK_MANAGED_UNKNOWN);
        /* Every domain of the simulated host's libvirt (test driver node file): none has a VF. */
        size_t n_domains = 0;
        for (const char *p = strstr(node, "<domain"); p; p = strstr(p + 1, "<domain")) {
                const char *end = strstr(p, "</domain>");
                ASSERT(end);
                _cleanup_free_ char *one = strndup(p, (size_t) (end - p) + strlen("</domain>"));
                ASSERT(one);
                CHECK_INT(hook_xml_managed(one), HOOK_MANAGED_NO);
                n_domains++;
        }
        CHECK(n_domains >= 2);
}

TEST(xml_managed_hostile) {
        /* Entities are never expanded: an alias spelled through one is not ours... */
        CHECK_INT(hook_xml_managed("<!DOCTYPE domain [<!ENTITY p 'ua-accelnet-'>]><domain><devices>"
                                   "<interface type='hostdev'><alias name='&p;vf'/></interface></devices></domain>"),
                  HOOK_MANAGED_NO);
        /* ...and a billion laughs is refused at once. */
        StrBuf b = {};
        strbuf_appendf(&b, "<!DOCTYPE domain [<!ENTITY l0 'lol'>");
        for (int i = 1; i <= 9; i++) {
                strbuf_appendf(&b, "<!ENTITY l%d '", i);
                for (int k = 0; k < 10; k++)
                        strbuf_appendf(&b, "&l%d;", i - 1);
                strbuf_appendf(&b, "'>");
        }
        strbuf_appendf(&b, "]><domain><devices><interface type='hostdev'><alias name='ua-accelnet-vf'/>"
                           "</interface></devices><description>&l9;</description><title a='&l9;'/></domain>");
        _cleanup_free_ char *lol = strbuf_steal(&b);
        ASSERT(lol);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        CHECK_INT(hook_xml_managed(lol), HOOK_MANAGED_UNKNOWN);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        CHECK((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 1000);

        /* An external entity or DTD is never read: a FIFO would block any reader. */
        _cleanup_free_ char *dir = test_tmpdir(), *fifo = path_join(dir, "fifo"), *xml = NULL;
        ASSERT(fifo && mkfifo(fifo, 0600) == 0);
        ASSERT(asprintf(&xml, "<!DOCTYPE domain SYSTEM '%s' [<!ENTITY e SYSTEM '%s'><!ENTITY %% p SYSTEM '%s'> %%p;]>"
                              "<domain><devices><interface type='hostdev'><alias name='ua-accelnet-vf'/>"
                              "</interface></devices><description>&e;</description></domain>",
                        fifo, fifo, fifo) > 0);
        alarm(10); /* a read would hang here: SIGALRM fails the test */
        HookManaged m = hook_xml_managed(xml);
        alarm(0);
        CHECK_INT(m, HOOK_MANAGED_YES);
        (void) unlink(fifo);
        test_tmpdir_cleanup(TAKE_PTR(dir));

        /* Deep nesting, over 16 MiB, not UTF-8. */
        b = (StrBuf) {};
        strbuf_appendf(&b, "<domain><devices><interface type='hostdev'><alias name='ua-accelnet-vf'/></interface>"
                           "</devices><metadata>");
        for (int i = 0; i < 3000; i++)
                strbuf_appendf(&b, "<e>");
        for (int i = 0; i < 3000; i++)
                strbuf_appendf(&b, "</e>");
        strbuf_appendf(&b, "</metadata></domain>");
        _cleanup_free_ char *deep = strbuf_steal(&b);
        ASSERT(deep);
        CHECK_INT(hook_xml_managed(deep), HOOK_MANAGED_UNKNOWN);
        size_t big = HOOK_XML_MAX + 1;
        _cleanup_free_ char *huge = malloc(big + 1);
        ASSERT(huge);
        /* "<domain>", comments of 1000 bytes (one text node may not exceed 10 MB), spaces */
        memset(huge, ' ', big);
        memcpy(huge, "<domain>", 8);
        for (size_t pos = 8; pos + 1000 + 9 < big; pos += 1000) {
                memcpy(huge + pos, "<!--", 4);
                memset(huge + pos + 4, 'x', 993);
                memcpy(huge + pos + 997, "-->", 3);
        }
        memcpy(huge + big - 9, "</domain>", 9);
        huge[big] = '\0';
        CHECK_INT(hook_xml_managed(huge), HOOK_MANAGED_UNKNOWN);
        memcpy(huge + big - 10, "</domain>", 10); /* one byte less: exactly the limit, read */
        CHECK_INT(strlen(huge), HOOK_XML_MAX);
        CHECK_INT(hook_xml_managed(huge), HOOK_MANAGED_NO);
        CHECK_INT(hook_xml_managed("<domain>\xc3\x28</domain>"), HOOK_MANAGED_UNKNOWN);
}

static int tmp_fd_with(const char *dir, const void *data, size_t n) {
        _cleanup_free_ char *p = path_join(dir, "stdin");
        if (!p)
                return -ENOMEM;
        int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        if (n > 0 && write(fd, data, n) != (ssize_t) n) {
                close(fd);
                return -EIO;
        }
        (void) lseek(fd, 0, SEEK_SET);
        return fd;
}

TEST(read_all) {
        char *dir = test_tmpdir();
        char *s = NULL;
        size_t n = 99;
        int fd;

        ASSERT(dir);
        ASSERT((fd = tmp_fd_with(dir, accel_xml, strlen(accel_xml))) >= 0);
        CHECK_INT(hook_read_all(fd, HOOK_XML_MAX, &s, &n), 0);
        CHECK_STR(s, accel_xml);
        CHECK_INT(n, strlen(accel_xml));
        s = mfree(s);
        close(fd);

        ASSERT((fd = tmp_fd_with(dir, "", 0)) >= 0);
        CHECK_INT(hook_read_all(fd, HOOK_XML_MAX, &s, &n), 0);
        CHECK_STR(s, "");
        CHECK_INT(n, 0);
        s = mfree(s);
        close(fd);

        /* Exactly the limit is fine, one byte more is not; both across the buffer growth. */
        size_t big = 300 * 1024;
        char *data = malloc(big + 1);
        ASSERT(data);
        memset(data, 'x', big + 1);
        ASSERT((fd = tmp_fd_with(dir, data, big)) >= 0);
        CHECK_INT(hook_read_all(fd, big, &s, &n), 0);
        CHECK_INT(n, big);
        CHECK(s && strlen(s) == big);
        s = mfree(s);
        close(fd);
        ASSERT((fd = tmp_fd_with(dir, data, big + 1)) >= 0);
        CHECK_INT(hook_read_all(fd, big, &s, &n), -EFBIG);
        CHECK(s == NULL);
        close(fd);
        ASSERT((fd = tmp_fd_with(dir, "abc", 3)) >= 0);
        CHECK_INT(hook_read_all(fd, 2, &s, &n), -EFBIG);
        close(fd);
        free(data);

        ASSERT((fd = tmp_fd_with(dir, "<domain>\0</domain>", 18)) >= 0);
        CHECK_INT(hook_read_all(fd, HOOK_XML_MAX, &s, &n), -EBADMSG);
        CHECK(s == NULL);
        close(fd);

        CHECK_INT(hook_read_all(-1, HOOK_XML_MAX, &s, &n), -EBADF);
        CHECK(s == NULL);
        test_tmpdir_cleanup(dir);
}

TEST(classify) {
        CHECK_INT(hook_call_status_classify(SD_BUS_ERROR_SERVICE_UNKNOWN, -EHOSTUNREACH), HOOK_CALL_NOT_RUNNING);
        CHECK_INT(hook_call_status_classify(SD_BUS_ERROR_NAME_HAS_NO_OWNER, -ENXIO), HOOK_CALL_NOT_RUNNING);
        CHECK_INT(hook_call_status_classify(SD_BUS_ERROR_ACCESS_DENIED, -EACCES), HOOK_CALL_DENIED);
        /* Every error of the daemon's table is its answer (AccessDenied: a refusal). */
        for (int e = AN_ERROR_BASE; e < _AN_ERROR_MAX; e++)
                CHECK_INT(hook_call_status_classify(an_error_bus_name((AnError) e), -EIO),
                          e == AN_ERROR_ACCESS_DENIED ? HOOK_CALL_DENIED : HOOK_CALL_FAILED);
        CHECK_INT(hook_call_status_classify(an_error_bus_name(AN_ERROR_ALREADY_ENABLED), 0), HOOK_CALL_FAILED);
        CHECK_INT(hook_call_status_classify(SD_BUS_ERROR_INVALID_ARGS, -EINVAL), HOOK_CALL_FAILED);
        /* and so is an error a newer daemon knows and this hook does not */
        CHECK_INT(hook_call_status_classify(ACCELNET_BUS_ERROR_PREFIX "FromTheFuture", -EIO), HOOK_CALL_FAILED);
        CHECK_INT(hook_call_status_classify("System.Error.ENOSPC", -ENOSPC), HOOK_CALL_FAILED);
        /* a look-alike is not */
        CHECK_INT(hook_call_status_classify("org.accelnet1.ErrorX", -EIO), HOOK_CALL_UNREACHABLE);
        /* No answer, lost connection, a daemon without the Hook interface. */
        CHECK_INT(hook_call_status_classify(SD_BUS_ERROR_NO_REPLY, -ETIMEDOUT), HOOK_CALL_UNREACHABLE);
        CHECK_INT(hook_call_status_classify(SD_BUS_ERROR_TIMEOUT, -ETIMEDOUT), HOOK_CALL_UNREACHABLE);
        CHECK_INT(hook_call_status_classify(SD_BUS_ERROR_UNKNOWN_INTERFACE, -EBADR), HOOK_CALL_UNREACHABLE);
        CHECK_INT(hook_call_status_classify(SD_BUS_ERROR_UNKNOWN_METHOD, -EBADR), HOOK_CALL_UNREACHABLE);
        /* Without a name: connecting. */
        CHECK_INT(hook_call_status_classify(NULL, -ENOENT), HOOK_CALL_NOT_RUNNING);
        CHECK_INT(hook_call_status_classify("", -ECONNREFUSED), HOOK_CALL_NOT_RUNNING);
        CHECK_INT(hook_call_status_classify(NULL, -EACCES), HOOK_CALL_DENIED);
        CHECK_INT(hook_call_status_classify(NULL, -ETIMEDOUT), HOOK_CALL_UNREACHABLE);
        CHECK_INT(hook_call_status_classify(NULL, -ECONNRESET), HOOK_CALL_UNREACHABLE);
        CHECK_INT(hook_call_status_classify(NULL, 0), HOOK_CALL_OK);
}

/* Runs hook_decide and checks the exit code, stdout echo and message (NULL: none). */
static void check_decide(int line, HookAction action, HookManaged managed, HookCallStatus status, int exit_code,
                         bool echo, const char *needle) {
        HookOutcome o = { .exit_code = -1 };
        int r = hook_decide(action, managed, status, "web2", "Boom (" ACCELNET_BUS_ERROR_PREFIX "EnableAccelNetFailed)", &o);
        if (r != 0 || o.exit_code != exit_code || o.echo_input != echo || (needle && !strstr(strempty(o.message), needle)) ||
            (!needle && o.message)) {
                fprintf(stderr, "%s:%d: [%s] hook_decide(%s, %d, %s) = %d: exit %d echo %d message \"%s\", "
                        "expected exit %d echo %d message with \"%s\"\n",
                        __FILE__, line, test_current, hook_action_to_string(action), managed,
                        hook_call_status_to_string(status), r, o.exit_code, o.echo_input, strempty(o.message), exit_code,
                        echo, strempty(needle));
                test_failures++;
        }
        hook_outcome_done(&o);
        CHECK(o.message == NULL);
}
#define DECIDE(...) check_decide(__LINE__, __VA_ARGS__)

TEST(decide) {
        static const HookManaged all_managed[] = { HOOK_MANAGED_NO, HOOK_MANAGED_YES, HOOK_MANAGED_UNKNOWN };

        /* Nothing to do, or done: 0, silent. */
        for (size_t i = 0; i < ELEMENTSOF(all_managed); i++)
                for (int s = 0; s < _HOOK_CALL_STATUS_MAX; s++) {
                        DECIDE(HOOK_ACTION_NONE, all_managed[i], (HookCallStatus) s, 0, false, NULL);
                        DECIDE(HOOK_ACTION_PREPARE, all_managed[i], HOOK_CALL_OK, 0, false, NULL);
                        DECIDE(HOOK_ACTION_MIGRATE, all_managed[i], HOOK_CALL_OK, 0, false, NULL);
                        DECIDE(HOOK_ACTION_RESTORE, all_managed[i], HOOK_CALL_OK, 0, false, NULL);
                        DECIDE(HOOK_ACTION_RELEASE, all_managed[i], HOOK_CALL_OK, 0, false, NULL);
                }

        /* The daemon's refusal is final, whatever the XML says. */
        for (size_t i = 0; i < ELEMENTSOF(all_managed); i++) {
                DECIDE(HOOK_ACTION_PREPARE, all_managed[i], HOOK_CALL_FAILED, 1, false,
                       "VF policy for VM web2 cannot be applied: Boom (" ACCELNET_BUS_ERROR_PREFIX "EnableAccelNetFailed)");
                DECIDE(HOOK_ACTION_MIGRATE, all_managed[i], HOOK_CALL_FAILED, 1, false,
                       "a local VF for incoming VM web2 cannot be found: Boom");
                DECIDE(HOOK_ACTION_RESTORE, all_managed[i], HOOK_CALL_FAILED, 1, false,
                       "a local VF for restored VM web2 cannot be found: Boom");
                /* Release never fails. */
                DECIDE(HOOK_ACTION_RELEASE, all_managed[i], HOOK_CALL_FAILED, 0, false,
                       "warning: the VF of VM web2 was not restored: Boom");
        }

        /* Daemon absent: VMs without our VF go ahead quietly; accelerated ones do not start. */
        DECIDE(HOOK_ACTION_PREPARE, HOOK_MANAGED_NO, HOOK_CALL_NOT_RUNNING, 0, false, NULL);
        DECIDE(HOOK_ACTION_MIGRATE, HOOK_MANAGED_NO, HOOK_CALL_NOT_RUNNING, 0, true, NULL);
        DECIDE(HOOK_ACTION_RELEASE, HOOK_MANAGED_NO, HOOK_CALL_NOT_RUNNING, 0, false, NULL);
        DECIDE(HOOK_ACTION_PREPARE, HOOK_MANAGED_YES, HOOK_CALL_NOT_RUNNING, 1, false,
               "accelnet-hook: accelnetd is not running: VF policy for VM web2 cannot be applied; "
               "start accelnetd (systemctl start accelnetd)");
        DECIDE(HOOK_ACTION_PREPARE, HOOK_MANAGED_UNKNOWN, HOOK_CALL_NOT_RUNNING, 1, false,
               "readable domain XML on standard input");
        DECIDE(HOOK_ACTION_MIGRATE, HOOK_MANAGED_YES, HOOK_CALL_NOT_RUNNING, 1, false,
               "accelnetd is not running: a local VF for incoming VM web2 cannot be found; start accelnetd");
        DECIDE(HOOK_ACTION_MIGRATE, HOOK_MANAGED_UNKNOWN, HOOK_CALL_NOT_RUNNING, 1, false, "accelnetd is not running");
        /* A save image of a VM without our VF restores as it was, the XML echoed. */
        DECIDE(HOOK_ACTION_RESTORE, HOOK_MANAGED_NO, HOOK_CALL_NOT_RUNNING, 0, true, NULL);
        DECIDE(HOOK_ACTION_RESTORE, HOOK_MANAGED_YES, HOOK_CALL_NOT_RUNNING, 1, false,
               "accelnetd is not running: a local VF for restored VM web2 cannot be found");
        DECIDE(HOOK_ACTION_RELEASE, HOOK_MANAGED_YES, HOOK_CALL_NOT_RUNNING, 0, false,
               "warning: accelnetd is not running: the VF of VM web2");
        DECIDE(HOOK_ACTION_RELEASE, HOOK_MANAGED_UNKNOWN, HOOK_CALL_NOT_RUNNING, 0, false, "accelnetd is not running");

        /* Refused by the bus or no answer: the same split, but never silent. */
        DECIDE(HOOK_ACTION_PREPARE, HOOK_MANAGED_YES, HOOK_CALL_DENIED, 1, false,
               "VF policy for VM web2 cannot be applied: permission denied calling accelnetd");
        DECIDE(HOOK_ACTION_PREPARE, HOOK_MANAGED_UNKNOWN, HOOK_CALL_DENIED, 1, false, "runs its hooks as root");
        DECIDE(HOOK_ACTION_PREPARE, HOOK_MANAGED_NO, HOOK_CALL_DENIED, 0, false,
               "warning: permission denied calling accelnetd");
        DECIDE(HOOK_ACTION_MIGRATE, HOOK_MANAGED_NO, HOOK_CALL_DENIED, 0, true, "VM web2 has no accelnet VF: continuing");
        DECIDE(HOOK_ACTION_MIGRATE, HOOK_MANAGED_YES, HOOK_CALL_DENIED, 1, false, "permission denied");
        DECIDE(HOOK_ACTION_RELEASE, HOOK_MANAGED_YES, HOOK_CALL_DENIED, 0, false, "warning: the VF of VM web2 was not restored");
        DECIDE(HOOK_ACTION_RELEASE, HOOK_MANAGED_NO, HOOK_CALL_DENIED, 0, false, NULL);
        DECIDE(HOOK_ACTION_PREPARE, HOOK_MANAGED_YES, HOOK_CALL_UNREACHABLE, 1, false,
               "VF policy for VM web2 cannot be applied: accelnetd did not answer: Boom");
        DECIDE(HOOK_ACTION_PREPARE, HOOK_MANAGED_NO, HOOK_CALL_UNREACHABLE, 0, false,
               "warning: accelnetd did not answer: Boom");
        DECIDE(HOOK_ACTION_MIGRATE, HOOK_MANAGED_NO, HOOK_CALL_UNREACHABLE, 0, true, "did not answer");
        DECIDE(HOOK_ACTION_MIGRATE, HOOK_MANAGED_UNKNOWN, HOOK_CALL_UNREACHABLE, 1, false, "did not answer");
        DECIDE(HOOK_ACTION_RELEASE, HOOK_MANAGED_UNKNOWN, HOOK_CALL_UNREACHABLE, 0, false, "was not restored");

        /* No detail: still a message. Invalid input: an error, nothing written. */
        HookOutcome o = { .exit_code = 7 };
        CHECK_INT(hook_decide(HOOK_ACTION_PREPARE, HOOK_MANAGED_YES, HOOK_CALL_FAILED, "db1", NULL, &o), 0);
        CHECK_INT(o.exit_code, 1);
        CHECK_CONTAINS(o.message, "VM db1 cannot be applied: no details");
        hook_outcome_done(&o);
        o = (HookOutcome){ .exit_code = 7 };
        CHECK_INT(hook_decide(HOOK_ACTION_PREPARE, HOOK_MANAGED_YES, _HOOK_CALL_STATUS_MAX, "db1", NULL, &o), -EINVAL);
        CHECK_INT(hook_decide(_HOOK_ACTION_MAX, HOOK_MANAGED_YES, HOOK_CALL_FAILED, "db1", NULL, &o), -EINVAL);
        CHECK_INT(o.exit_code, 7);
}

int main(void) {
        RUN(op_table);
        RUN(actions);
        RUN(args);
        RUN(timeout);
        RUN(xml_managed);
        RUN(xml_managed_hostile);
        RUN(read_all);
        RUN(classify);
        RUN(decide);
        return TEST_MAIN_END();
}
