/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every accelnetctl verb against a fake org.accelnet1.Manager over a peer-to-peer
 * connection (a socketpair, no bus daemon): what goes on the wire, what is printed, and
 * the exit status. Two fakes: one as accelnetd was before cluster mode (no cluster
 * properties, no ListNodes or ListClusterVMs), one in a corosync cluster. */
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include <systemd/sd-bus.h>

#include "cli/args.h"
#include "cli/bus.h"
#include "cli/commands.h"
#include "cli/render.h"
#include "cli/report.h"
#include "shared/anerror.h"
#include "shared/names.h"
#include "testlib.h"

/* "accelnetctl: MESSAGE" as it is printed on a stderr that is no terminal: wrapped at 80. */
static const char *test_wrapped(const char *message) {
        static char ring[4][4096];
        static unsigned k;
        char *buf = ring[k++ % 4];
        _cleanup_free_ char *w = cli_error_wrap(message, 80);
        snprintf(buf, sizeof ring[0], "%s", w ? w : "(oom)");
        return buf;
}
#define WRAPPED(m) test_wrapped(m)

typedef struct Fake {
        int fd;
        bool bad_reply;          /* ListAdapters answers with the wrong signature */
        bool drained;            /* GetPrerequisites has a row of check "servicing" */
        /* properties */
        int enabled, hyperthreading;
        char *intent_name, *version;
        uint32_t reserve, capacity, usable, assigned;
        /* cluster mode: the cluster properties and methods */
        bool cluster;
        char *cluster_name;
        uint32_t cluster_nodes;
        int quorate;
        /* the last call, "Method arg arg ..." */
        char last[512];
        /* every call, "Method Method ..." */
        char calls[512];
} Fake;

static void record(Fake *f, sd_bus_message *m, const char *args) {
        snprintf(f->last, sizeof f->last, "%s%s%s", sd_bus_message_get_member(m), *args ? " " : "", args);
}

static int method_list_adapters(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        record(userdata, m, "");
        return sd_bus_reply_method_return(m, "a(ssssuuu)", 2, "0000:3b:00.0", "ens1f0", "ixgbe", "Supported", 63, 8,
                                          2, "0000:3b:00.1", "ens1f1", "ixgbe", "MissingAcs", 63, 0, 0);
}

/* Runs before the vtables, for every call (also those sd-bus answers itself, GetAll, and
 * those it refuses as UnknownMethod), whose names it notes in calls. With bad_reply
 * ListAdapters answers with a signature the client does not expect (sd-bus enforces the
 * vtable's). */
static int object_bad_reply(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        Fake *f = userdata;
        size_t len = strlen(f->calls);
        snprintf(f->calls + len, sizeof f->calls - len, "%s%s", len ? " " : "", sd_bus_message_get_member(m));
        if (!f->bad_reply || !sd_bus_message_is_method_call(m, ACCELNET_BUS_MANAGER_INTERFACE, "ListAdapters"))
                return 0;
        record(f, m, "");
        return sd_bus_reply_method_return(m, "s", "oops");
}

static int method_list_vms(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        record(userdata, m, "");
        return sd_bus_reply_method_return(m, "a(sssss)", 3, "web1", "enabled", "High", "0000:3b:10.0", "", "db",
                                          "disabled", "", "", "", "batch", "enabled", "Low", "0000:3b:10.2",
                                          "applies at next start");
}

static int method_list_intents(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        record(userdata, m, "");
        return sd_bus_reply_method_return(m, "a(sasas)", 2, "compute1", 1, "compute", 2, "ens1f0", "0000:3b:00.1",
                                          "mgmt", 2, "management", "storage", 0);
}

static int method_prereq(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        record(userdata, m, "");
        if (((Fake *) userdata)->drained)
                return sd_bus_reply_method_return(m, "a(sssss)", 2, "iommu", "host", "Passed", "", "IOMMU on.",
                                                  "servicing", "0000:3b:00.0", "Warning", "",
                                                  "ens1f0 is out of service: drained by the admin.");
        return sd_bus_reply_method_return(m, "a(sssss)", 2, "iommu", "host", "Passed", "", "IOMMU on.", "acs",
                                          "0000:3b:00.1", "Failed", "SriovSupportMissingAcs",
                                          "The root port lacks ACS.");
}

/* The daemon's AlreadyEnabled names what is in force and the verb to use; a long message. */
#define ALREADY_ENABLED_MESSAGE                                                                              \
        "Accelerated Networking is already enabled on intent 'compute1' with a node reserve of 50%%, not on " \
        "intent '%s' with %" PRIu32 "%%: 'accelnetctl enable' changes nothing that is in force. Use "        \
        "'accelnetctl set --intent NAME --node-reserve N' (Set) to change the intent or the reserve, or "    \
        "'accelnetctl disable' first."

static int method_enable(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *intent;
        uint32_t reserve;
        char buf[256];
        int r = sd_bus_message_read(m, "su", &intent, &reserve);
        if (r < 0)
                return r;
        snprintf(buf, sizeof buf, "%s %" PRIu32, intent, reserve);
        record(userdata, m, buf);
        if (!((Fake *) userdata)->quorate)
                return sd_bus_error_set(error, an_error_bus_name(AN_ERROR_NO_QUORUM),
                                        an_error_message(AN_ERROR_NO_QUORUM));
        if (streq(intent, "other") && streq(sd_bus_message_get_member(m), "Enable"))
                return sd_bus_error_setf(error, an_error_bus_name(AN_ERROR_ALREADY_ENABLED), ALREADY_ENABLED_MESSAGE,
                                         intent, reserve);
        if (streq(intent, "missing"))
                return sd_bus_error_setf(error, an_error_bus_name(AN_ERROR_INTENT_NOT_FOUND),
                                         "Intent '%s' was not found.", intent);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_disable(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        record(userdata, m, "");
        return sd_bus_reply_method_return(m, NULL);
}

static int method_vm(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *vm, *perf = NULL;
        char buf[256];
        int r = sd_bus_message_read(m, "s", &vm);
        if (r >= 0 && !streq(sd_bus_message_get_member(m), "DisableVM"))
                r = sd_bus_message_read(m, "s", &perf);
        if (r < 0)
                return r;
        snprintf(buf, sizeof buf, "%s%s%s", vm, perf ? " " : "", perf ? perf : "");
        record(userdata, m, buf);
        if (streq(vm, "web1") && perf && streq(perf, "Low") && streq(sd_bus_message_get_member(m), "EnableVM"))
                return sd_bus_error_setf(error, an_error_bus_name(AN_ERROR_ALREADY_ENABLED),
                                         "VM '%s' is already enabled with performance High; use 'accelnetctl vm set %s "
                                         "--performance %s' (SetVM) to change it.", vm, vm, perf);
        if (streq(vm, "nonic"))
                return sd_bus_error_setf(error, an_error_bus_name(AN_ERROR_GET_NETWORK_ADAPTER_FAILED),
                                         "VM '%s' has no network adapter.", vm);
        return sd_bus_reply_method_return(m, NULL);
}

static int method_vms(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        char **vms = NULL;
        const char *perf = NULL;
        char buf[256] = "";
        int r = sd_bus_message_read_strv(m, &vms);
        if (r >= 0 && streq(sd_bus_message_get_member(m), "EnableVMs"))
                r = sd_bus_message_read(m, "s", &perf);
        if (r >= 0)
                r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(ss)");
        for (size_t i = 0; r >= 0 && vms && vms[i]; i++) {
                strncat(buf, vms[i], sizeof buf - strlen(buf) - 2);
                strcat(buf, ",");
                r = sd_bus_message_append(reply, "(ss)", vms[i],
                                          strncmp(vms[i], "bad", 3) == 0   ? an_error_bus_name(AN_ERROR_NO_SUCH_VM)
                                          : strncmp(vms[i], "dup", 3) == 0 ? an_error_bus_name(AN_ERROR_ALREADY_ENABLED)
                                                                           : "");
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (perf && strlen(buf) + strlen(perf) + 2 < sizeof buf) {
                strcat(buf, " ");
                strcat(buf, perf);
        }
        record(userdata, m, buf);
        for (size_t i = 0; vms && vms[i]; i++)
                free(vms[i]);
        free(vms);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* DrainAdapter: two DrainProgress signals (one of another adapter) before the answer, as the
 * daemon sends them while the VFs go; "ens9" is not an adapter. The others answer at once. */
static int method_servicing(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        const char *arg;
        int r = sd_bus_message_read(m, "s", &arg);
        if (r < 0)
                return r;
        record(userdata, m, arg);
        if (streq(arg, "ens9"))
                return sd_bus_error_setf(error, an_error_bus_name(AN_ERROR_ADAPTER_NOT_FOUND),
                                         "No adapter '%s' on this host.", arg);
        if (streq(sd_bus_message_get_member(m), "DrainAdapter")) {
                sd_bus *bus = sd_bus_message_get_bus(m);
                (void) sd_bus_emit_signal(bus, ACCELNET_BUS_PATH, ACCELNET_BUS_MANAGER_INTERFACE, "DrainProgress", "suu",
                                          "0000:3b:00.0", 0, 2);
                (void) sd_bus_emit_signal(bus, ACCELNET_BUS_PATH, ACCELNET_BUS_MANAGER_INTERFACE, "DrainProgress", "suu",
                                          "0000:3b:00.1", 5, 9);
                (void) sd_bus_emit_signal(bus, ACCELNET_BUS_PATH, ACCELNET_BUS_MANAGER_INTERFACE, "DrainProgress", "suu",
                                          "0000:3b:00.0", 2, 2);
                if (streq(arg, "ens1f1"))
                        return sd_bus_error_setf(error, an_error_bus_name(AN_ERROR_BUSY),
                                                 "Adapter ens1f1 is out of service and 1 of its 2 VFs are revoked.");
        }
        return sd_bus_reply_method_return(m, NULL);
}

static const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Enabled", "b", NULL, offsetof(Fake, enabled), 0),
        SD_BUS_PROPERTY("IntentName", "s", NULL, offsetof(Fake, intent_name), 0),
        SD_BUS_PROPERTY("NodeReservePercentage", "u", NULL, offsetof(Fake, reserve), 0),
        SD_BUS_PROPERTY("HyperthreadingEnabled", "b", NULL, offsetof(Fake, hyperthreading), 0),
        SD_BUS_PROPERTY("CapacityVFs", "u", NULL, offsetof(Fake, capacity), 0),
        SD_BUS_PROPERTY("UsableVFs", "u", NULL, offsetof(Fake, usable), 0),
        SD_BUS_PROPERTY("AssignedVFs", "u", NULL, offsetof(Fake, assigned), 0),
        SD_BUS_PROPERTY("Version", "s", NULL, offsetof(Fake, version), 0),
        SD_BUS_METHOD("GetPrerequisites", "", "a(sssss)", method_prereq, 0),
        SD_BUS_METHOD("Enable", "su", "", method_enable, 0),
        SD_BUS_METHOD("Set", "su", "", method_enable, 0),
        SD_BUS_METHOD("Disable", "", "", method_disable, 0),
        SD_BUS_METHOD("EnableVM", "ss", "", method_vm, 0),
        SD_BUS_METHOD("SetVM", "ss", "", method_vm, 0),
        SD_BUS_METHOD("DisableVM", "s", "", method_vm, 0),
        SD_BUS_METHOD("EnableVMs", "ass", "a(ss)", method_vms, 0),
        SD_BUS_METHOD("DisableVMs", "as", "a(ss)", method_vms, 0),
        SD_BUS_METHOD("ListAdapters", "", "a(ssssuuu)", method_list_adapters, 0),
        SD_BUS_METHOD("ListVMs", "", "a(sssss)", method_list_vms, 0),
        SD_BUS_METHOD("ListIntents", "", "a(sasas)", method_list_intents, 0),
        SD_BUS_METHOD("DrainAdapter", "s", "", method_servicing, 0),
        SD_BUS_METHOD("RestoreAdapter", "s", "", method_servicing, 0),
        SD_BUS_METHOD("RevokeVM", "s", "", method_servicing, 0),
        SD_BUS_METHOD("RestoreVM", "s", "", method_servicing, 0),
        SD_BUS_SIGNAL("DrainProgress", "suu", 0),
        SD_BUS_VTABLE_END,
};

static int method_list_nodes(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        record(userdata, m, "");
        return sd_bus_reply_method_return(m, "a(ussbuuus)", 3, 1, "n1", "member", 1, 14, 7, 2, "", 2, "n2", "member",
                                          1, 14, 7, 1, "", 3, "n3", "lost", 1, 7, 0, 0,
                                          "Lost from the membership; its VMs fail over to the members.");
}

/* node 3 (lost) left out: a node that joined between the two calls */
static int method_list_node_capacity(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        record(userdata, m, "");
        return sd_bus_reply_method_return(m, "a(usuuuu)", 2, 1, "n1", 5, 0, 5, 5, 2, "n2", 12, 12, 12, 12);
}

static int method_list_cluster_vms(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        record(userdata, m, "");
        return sd_bus_reply_method_return(m, "a(ssssss)", 3, "web1", "n1", "enabled", "High", "0000:3b:10.0", "",
                                          "db", "n2", "disabled", "", "", "", "batch", "n2", "enabled", "Low",
                                          "0000:5e:10.2", "applies at next start");
}

/* EnableVMsEx/DisableVMsEx (a daemon with issue 14): each VM's full message. */
static int method_vms_ex(sd_bus_message *m, void *userdata, sd_bus_error *error) {
        _cleanup_bus_message_ sd_bus_message *reply = NULL;
        char **vms = NULL;
        const char *perf = "";
        char buf[256] = "", msg[128];
        int r = sd_bus_message_read_strv(m, &vms);
        if (r >= 0 && streq(sd_bus_message_get_member(m), "EnableVMsEx"))
                r = sd_bus_message_read(m, "s", &perf);
        if (r >= 0)
                r = sd_bus_message_new_method_return(m, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "(sss)");
        for (size_t i = 0; r >= 0 && vms && vms[i]; i++) {
                bool bad = strncmp(vms[i], "bad", 3) == 0;
                strncat(buf, vms[i], sizeof buf - strlen(buf) - 2);
                strcat(buf, ",");
                snprintf(msg, sizeof msg, "No VM named '%s' (virsh list --all).", vms[i]);
                r = sd_bus_message_append(reply, "(sss)", vms[i], bad ? an_error_bus_name(AN_ERROR_NO_SUCH_VM) : "",
                                          bad ? msg : "");
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (strlen(buf) + strlen(perf) + 2 < sizeof buf) {
                strcat(buf, " ");
                strcat(buf, perf);
        }
        record(userdata, m, buf);
        for (size_t i = 0; vms && vms[i]; i++)
                free(vms[i]);
        free(vms);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* Registered after manager_vtable, on the same interface, by the fake in cluster mode. */
static const sd_bus_vtable cluster_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("ClusterName", "s", NULL, offsetof(Fake, cluster_name), 0),
        SD_BUS_PROPERTY("ClusterNodes", "u", NULL, offsetof(Fake, cluster_nodes), 0),
        SD_BUS_PROPERTY("Quorate", "b", NULL, offsetof(Fake, quorate), 0),
        SD_BUS_METHOD("ListNodes", "", "a(ussbuuus)", method_list_nodes, 0),
        SD_BUS_METHOD("ListNodeCapacity", "", "a(usuuuu)", method_list_node_capacity, 0),
        SD_BUS_METHOD("ListClusterVMs", "", "a(ssssss)", method_list_cluster_vms, 0),
        SD_BUS_METHOD("EnableVMsEx", "ass", "a(sss)", method_vms_ex, 0),
        SD_BUS_METHOD("DisableVMsEx", "as", "a(sss)", method_vms_ex, 0),
        SD_BUS_VTABLE_END,
};

static void *server(void *p) {
        Fake *f = p;
        sd_bus *bus = NULL;
        sd_id128_t id = { .bytes = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 } };

        if (sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, f->fd, f->fd) < 0 || sd_bus_set_server(bus, 1, id) < 0 ||
            sd_bus_add_object(bus, NULL, ACCELNET_BUS_PATH, object_bad_reply, f) < 0 ||
            sd_bus_add_object_vtable(bus, NULL, ACCELNET_BUS_PATH, ACCELNET_BUS_MANAGER_INTERFACE, manager_vtable,
                                     f) < 0 ||
            (f->cluster && sd_bus_add_object_vtable(bus, NULL, ACCELNET_BUS_PATH, ACCELNET_BUS_MANAGER_INTERFACE,
                                                    cluster_vtable, f) < 0) ||
            sd_bus_start(bus) < 0) {
                fprintf(stderr, "fake server setup failed\n");
                sd_bus_unref(bus);
                return NULL;
        }
        for (;;) {
                int r = sd_bus_process(bus, NULL);
                if (r < 0)
                        break; /* the client went away */
                if (r > 0)
                        continue;
                if (sd_bus_wait(bus, UINT64_MAX) < 0)
                        break;
        }
        sd_bus_flush_close_unref(bus);
        return NULL;
}

static Fake fake = {
        .enabled = 1,
        .intent_name = (char *) "compute1",
        .version = (char *) "0.1.0",
        .reserve = 50,
        .capacity = 126,
        .usable = 63,
        .assigned = 2,
        .quorate = 1, /* not a property of this one: Enable's behaviour */
};
static Fake cluster_fake = {
        .enabled = 1,
        .intent_name = (char *) "compute1",
        .version = (char *) "0.2.0",
        .reserve = 50,
        .capacity = 14,
        .usable = 7,
        .assigned = 2,
        .cluster = true,
        .cluster_name = (char *) "prod",
        .cluster_nodes = 2,
        .quorate = 1,
};
static sd_bus *client = NULL, *cluster_client = NULL;

/* Runs one command line against a fake; output and errors in the buffers. */
static int run_on(Fake *f, sd_bus *bus, char **out, char **err, int argc, char *const *argv) {
        CliArgs a = {};
        _cleanup_free_ char *e = NULL;
        size_t n_out = 0, n_err = 0;

        *out = *err = NULL;
        f->last[0] = '\0';
        f->calls[0] = '\0';
        int r = cli_args_parse(argc, argv, &a, &e);
        if (r < 0) {
                fprintf(stderr, "parse failed: %s\n", strempty(e));
                return -1;
        }
        FILE *fo = open_memstream(out, &n_out), *fe = open_memstream(err, &n_err);
        CliContext ctx = { .bus = bus, .args = &a, .out = fo, .err = fe, .width = 100 };
        r = cli_run(&ctx);
        fclose(fo);
        fclose(fe);
        cli_args_done(&a);
        return r;
}

#define ARGS(...)                                                                              \
        (int) (sizeof((const char *[]) { "accelnetctl", __VA_ARGS__ }) / sizeof(char *)),              \
                (char *const[]) { "accelnetctl", __VA_ARGS__, NULL }
/* against the daemon as it was before cluster mode */
#define RUN_CLI(out, err, ...) run_on(&fake, client, out, err, ARGS(__VA_ARGS__))
/* against the one in a cluster */
#define RUN_CLUSTER(out, err, ...) run_on(&cluster_fake, cluster_client, out, err, ARGS(__VA_ARGS__))

TEST(status) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        CHECK_INT(RUN_CLI(&out, &err, "status"), 0);
        CHECK_STR(out, "Enabled: yes\nIntent: compute1\nNode reserve: 50%\nHyperthreading: no\n"
                       "Capacity VFs: 126\nUsable VFs: 63\nAssigned VFs: 2\n"
                       "Cluster: not in a cluster (cluster of one)\nVersion: 0.1.0\n");
        CHECK_STR(err, "");

        /* a daemon without the cluster properties is a cluster of one, in JSON too */
        _cleanup_free_ char *jout = NULL, *jerr = NULL;
        CHECK_INT(RUN_CLI(&jout, &jerr, "status", "--json=short"), 0);
        CHECK_STR(jout, "{\"enabled\":true,\"intent_name\":\"compute1\",\"node_reserve_percentage\":50,"
                        "\"hyperthreading_enabled\":false,\"capacity_vfs\":126,\"usable_vfs\":63,"
                        "\"assigned_vfs\":2,\"version\":\"0.1.0\",\"cluster_name\":\"\",\"cluster_nodes\":1,"
                        "\"quorate\":true,\"provisioning\":[],\"servicing\":[]}\n");

        _cleanup_free_ char *cout = NULL, *cerr = NULL;
        CHECK_INT(RUN_CLUSTER(&cout, &cerr, "status"), 0);
        CHECK_STR(cout, "Enabled: yes\nIntent: compute1\nNode reserve: 50%\nHyperthreading: no\n"
                        "Capacity VFs: 14\nUsable VFs: 7\nAssigned VFs: 2\n"
                        "Cluster: prod, 2 members, quorate\nVersion: 0.2.0\n");
        CHECK_STR(cerr, "");
}

TEST(adapters) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        CHECK_INT(RUN_CLI(&out, &err, "adapters"), 0);
        CHECK_STR(fake.last, "ListAdapters");
        CHECK_STR(out, "ADDRESS      IFNAME DRIVER SUPPORT    TOTAL ENABLED ASSIGNED\n"
                       "0000:3b:00.0 ens1f0 ixgbe  Supported     63       8        2\n"
                       "0000:3b:00.1 ens1f1 ixgbe  MissingAcs    63       0        0\n"
                       "\n2 adapters listed.\n");

        _cleanup_free_ char *jout = NULL, *jerr = NULL;
        CHECK_INT(RUN_CLI(&jout, &jerr, "--json=short", "adapters"), 0);
        CHECK_CONTAINS(jout, "[{\"address\":\"0000:3b:00.0\",\"ifname\":\"ens1f0\",\"driver\":\"ixgbe\","
                             "\"support\":\"Supported\",\"total_vfs\":63,\"enabled_vfs\":8,\"assigned_vfs\":2},");
}

TEST(bad_reply) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        fake.bad_reply = true;
        CHECK_INT(RUN_CLI(&out, &err, "adapters"), CLI_EXIT_FAILURE);
        fake.bad_reply = false;
        CHECK_CONTAINS(err, "accelnetctl: Failed to parse the reply of ListAdapters");
        CHECK_STR(out, "");
}

TEST(lists) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        CHECK_INT(RUN_CLI(&out, &err, "vm", "list", "--enabled", "--no-legend"), 0);
        CHECK_STR(out, "web1  enabled High 0000:3b:10.0 -\n"
                       "batch enabled Low  0000:3b:10.2 applies at next start\n");
        /* a daemon without ListClusterVMs answers UnknownMethod: ListVMs, and no error */
        CHECK_STR(fake.calls, "ListVMsEx ListClusterVMs ListVMs");
        CHECK_STR(err, "");

        _cleanup_free_ char *iout = NULL, *ierr = NULL;
        CHECK_INT(RUN_CLI(&iout, &ierr, "intents"), 0);
        CHECK_STR(iout, "NAME     TYPES              ADAPTERS\n"
                        "compute1 compute            ens1f0,0000:3b:00.1\n"
                        "mgmt     management,storage -\n"
                        "\n2 intents listed.\n");

        _cleanup_free_ char *jout = NULL, *jerr = NULL;
        CHECK_INT(RUN_CLI(&jout, &jerr, "intents", "--json=short"), 0);
        CHECK_STR(jout, "[{\"name\":\"compute1\",\"types\":[\"compute\"],\"adapters\":[\"ens1f0\",\"0000:3b:00.1\"]},"
                        "{\"name\":\"mgmt\",\"types\":[\"management\",\"storage\"],\"adapters\":[]}]\n");

        _cleanup_free_ char *pout = NULL, *perr = NULL;
        /* a check failed: exit status 3, the report printed */
        CHECK_INT(RUN_CLI(&pout, &perr, "prereq"), CLI_EXIT_CHECK_FAILED);
        CHECK_STR(perr, "");
        CHECK_STR(pout, "RESULT CHECK SUBJECT      CODE\n"
                        "Passed iommu host         -\n"
                        "    IOMMU on.\n"
                        "Failed acs   0000:3b:00.1 SriovSupportMissingAcs\n"
                        "    The root port lacks ACS.\n"
                        "\n2 checks: 1 passed, 0 warnings, 1 failed.\n");
}

TEST(cluster_vm_list) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        CHECK_INT(RUN_CLUSTER(&out, &err, "vm", "list"), 0);
        CHECK_STR(cluster_fake.calls, "ListVMsEx ListClusterVMs GetAll");
        CHECK_STR(out, "VM    NODE STATE    PERFORMANCE VF           NOTE\n"
                       "web1  n1   enabled  High        0000:3b:10.0 -\n"
                       "db    n2   disabled -           -            -\n"
                       "batch n2   enabled  Low         0000:5e:10.2 applies at next start\n"
                       "\n"
                       "3 VMs listed.\n");
        CHECK_STR(err, "");

        _cleanup_free_ char *jout = NULL, *jerr = NULL;
        CHECK_INT(RUN_CLUSTER(&jout, &jerr, "vm", "list", "--disabled", "--json=short"), 0);
        CHECK_STR(cluster_fake.calls, "ListVMsEx ListClusterVMs"); /* JSON has the node on every row */
        CHECK_STR(jout, "[{\"vm\":\"db\",\"node\":\"n2\",\"state\":\"disabled\",\"performance\":\"\",\"vf\":\"\","
                        "\"note\":\"\"}]\n");

        /* a new daemon on a cluster of one: no NODE column, the host on every row adds nothing */
        cluster_fake.cluster_name = (char *) "";
        cluster_fake.cluster_nodes = 1;
        _cleanup_free_ char *oout = NULL, *oerr = NULL;
        CHECK_INT(RUN_CLUSTER(&oout, &oerr, "vm", "list", "--no-legend", "--enabled"), 0);
        CHECK_STR(oout, "web1  enabled High 0000:3b:10.0 -\n"
                        "batch enabled Low  0000:5e:10.2 applies at next start\n");
        cluster_fake.cluster_name = (char *) "prod";
        cluster_fake.cluster_nodes = 2;

        /* JSON from a daemon without ListClusterVMs: no "node" */
        _cleanup_free_ char *lout = NULL, *lerr = NULL;
        CHECK_INT(RUN_CLI(&lout, &lerr, "vm", "list", "--json=short", "--disabled"), 0);
        CHECK_STR(lout, "[{\"vm\":\"db\",\"state\":\"disabled\",\"performance\":\"\",\"vf\":\"\",\"note\":\"\"}]\n");
}

TEST(cluster_status) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        CHECK_INT(RUN_CLUSTER(&out, &err, "cluster", "status"), 0);
        CHECK_STR(cluster_fake.calls, "GetAll ListNodes");
        /* k = min(2 - 1, ceil(2 x 50 / 100)) = 1; the VFs of the two members */
        CHECK_STR(out, "Cluster: prod\n"
                       "Quorate: yes\n"
                       "Members: 2 (1 node lost)\n"
                       "Enabled: yes\n"
                       "Intent: compute1\n"
                       "Node reserve: 50%\n"
                       "Nodes in reserve: 1 of 2\n"
                       "Capacity VFs: 28\n"
                       "Usable VFs: 14\n"
                       "Assigned VFs: 3\n");
        CHECK_STR(err, "");

        _cleanup_free_ char *jout = NULL, *jerr = NULL;
        CHECK_INT(RUN_CLUSTER(&jout, &jerr, "cluster", "status", "--json=short"), 0);
        CHECK_STR(jout, "{\"cluster_name\":\"prod\",\"quorate\":true,\"cluster_nodes\":2,\"enabled\":true,"
                        "\"intent_name\":\"compute1\",\"node_reserve_percentage\":50,\"reserve_nodes\":1,"
                        "\"capacity_vfs\":28,\"usable_vfs\":14,\"assigned_vfs\":3}\n");

        /* a daemon older than cluster mode: a cluster of one, from its properties */
        _cleanup_free_ char *oout = NULL, *oerr = NULL;
        CHECK_INT(RUN_CLI(&oout, &oerr, "cluster", "status"), 0);
        CHECK_STR(fake.calls, "GetAll ListNodes");
        CHECK_STR(oout, "Cluster: not in a cluster (cluster of one)\n"
                        "Quorate: yes\n"
                        "Members: 1\n"
                        "Enabled: yes\n"
                        "Intent: compute1\n"
                        "Node reserve: 50%\n"
                        "Nodes in reserve: 0 (one node: 50% of its VFs are held in reserve)\n"
                        "Capacity VFs: 126\n"
                        "Usable VFs: 63\n"
                        "Assigned VFs: 2\n");
        CHECK_STR(oerr, "");
        _cleanup_free_ char *ojout = NULL, *ojerr = NULL;
        CHECK_INT(RUN_CLI(&ojout, &ojerr, "cluster", "status", "--json=short"), 0);
        CHECK_STR(ojout, "{\"cluster_name\":\"\",\"quorate\":true,\"cluster_nodes\":1,\"enabled\":true,"
                         "\"intent_name\":\"compute1\",\"node_reserve_percentage\":50,\"reserve_nodes\":0,"
                         "\"capacity_vfs\":126,\"usable_vfs\":63,\"assigned_vfs\":2}\n");
}

TEST(cluster_nodes) {
        _cleanup_free_ char *out = NULL, *err = NULL;
        CHECK_INT(RUN_CLUSTER(&out, &err, "cluster", "nodes"), 0);
        CHECK_STR(cluster_fake.calls, "GetAll ListNodes ListNodeHealth ListNodeCapacity");
        CHECK_STR(out, "ID NAME STATE  HT  CAP USABLE ASSIGNED FREE HIGH MED LOW\n"
                       " 1 n1   member yes  14      7        2    5    0   5   5\n"
                       " 2 n2   member yes  14      7        1   12   12  12  12\n"
                       " 3 n3   lost   yes   7      0        0    -    -   -   -\n"
                       "    Lost from the membership; its VMs fail over to the members.\n"
                       "\n"
                       "3 nodes listed: 2 members, 1 lost.\n");
        CHECK_STR(err, "");

        _cleanup_free_ char *jout = NULL, *jerr = NULL;
        CHECK_INT(RUN_CLUSTER(&jout, &jerr, "--json=short", "cluster", "nodes"), 0);
        CHECK_CONTAINS(jout, "[{\"node_id\":1,\"name\":\"n1\",\"state\":\"member\",\"hyperthreading\":true,"
                             "\"capacity_vfs\":14,\"usable_vfs\":7,\"assigned_vfs\":2,\"note\":\"\",\"free_vfs\":5,"
                             "\"free_vfs_high\":0,\"free_vfs_medium\":5,\"free_vfs_low\":5},");
        CHECK_CONTAINS(jout, "\"note\":\"Lost from the membership; its VMs fail over to the members.\"}]");

        /* a daemon without ListNodes: one row, node id 0, this host */
        char host[256] = "";
        CHECK_INT(gethostname(host, sizeof host), 0);
        _cleanup_free_ char *oout = NULL, *oerr = NULL;
        CHECK_INT(RUN_CLI(&oout, &oerr, "cluster", "nodes", "--json=short"), 0);
        char expected[512];
        snprintf(expected, sizeof expected,
                 "[{\"node_id\":0,\"name\":\"%s\",\"state\":\"member\",\"hyperthreading\":false,"
                 "\"capacity_vfs\":126,\"usable_vfs\":63,\"assigned_vfs\":2,\"note\":\"\"}]\n",
                 host);
        CHECK_STR(oout, expected);
        CHECK_STR(oerr, "");
        _cleanup_free_ char *tout = NULL, *terr = NULL;
        CHECK_INT(RUN_CLI(&tout, &terr, "cluster", "nodes", "--no-legend"), 0);
        snprintf(expected, sizeof expected, "0 %s member no 126 63 2\n", host);
        CHECK_STR(tout, expected);
}

TEST(no_quorum) {
        _cleanup_free_ char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL;
        cluster_fake.quorate = 0;
        CHECK_INT(RUN_CLUSTER(&o1, &e1, "set", "--node-reserve", "25"), CLI_EXIT_FAILURE);
        CHECK_STR(cluster_fake.last, "Set  25");
        CHECK_STR(e1, WRAPPED("This node is not in the quorate part of the cluster: settings and new "
                              "admissions are refused until quorum returns. (" ACCELNET_BUS_ERROR_PREFIX "NoQuorum)"));
        CHECK_STR(o1, "");
        CHECK_INT(RUN_CLUSTER(&o2, &e2, "cluster", "status"), 0);
        CHECK_CONTAINS(o2, "Quorate: no (settings and new admissions are refused until quorum returns)\n");
        cluster_fake.quorate = 1;
}

TEST(management) {
        _cleanup_free_ char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL, *o3 = NULL, *e3 = NULL, *o4 = NULL,
                            *e4 = NULL, *o5 = NULL, *e5 = NULL;

        CHECK_INT(RUN_CLI(&o1, &e1, "enable", "--intent", "compute1"), 0);
        CHECK_STR(fake.last, "Enable compute1 4294967295"); /* the daemon's node_reserve_default */
        CHECK_STR(o1, ""); /* silent on success */

        CHECK_INT(RUN_CLI(&o2, &e2, "set", "--node-reserve", "20"), 0);
        CHECK_STR(fake.last, "Set  20"); /* "" keeps the intent */
        CHECK_INT(RUN_CLI(&o3, &e3, "set", "--intent", "c2", "--json"), 0);
        CHECK_STR(fake.last, "Set c2 4294967295");
        CHECK_STR(o3, "{\n  \"result\": \"done\"\n}\n");

        CHECK_INT(RUN_CLI(&o4, &e4, "disable"), 0);
        CHECK_STR(fake.last, "Disable");

        CHECK_INT(RUN_CLI(&o5, &e5, "enable", "--intent", "missing", "--node-reserve", "10"), CLI_EXIT_FAILURE);
        CHECK_STR(fake.last, "Enable missing 10");
        /* wrapped at 80 columns (the test's stderr is no terminal) */
        CHECK_STR(e5, "accelnetctl: Intent 'missing' was not found.\n(" ACCELNET_BUS_ERROR_PREFIX "IntentNotFound)\n");
        CHECK_STR(o5, "");
}

TEST(vm_one) {
        _cleanup_free_ char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL, *o3 = NULL, *e3 = NULL, *o4 = NULL,
                            *e4 = NULL;

        CHECK_INT(RUN_CLI(&o1, &e1, "vm", "enable", "web1", "--performance", "high"), 0);
        CHECK_STR(fake.last, "EnableVM web1 High");
        CHECK_STR(o1, "");

        CHECK_INT(RUN_CLI(&o2, &e2, "vm", "enable", "nonic", "--performance", "low", "--json"), CLI_EXIT_FAILURE);
        CHECK_STR(e2, "accelnetctl: VM 'nonic' has no network adapter.\n"
                      "(" ACCELNET_BUS_ERROR_PREFIX "GetNetworkAdapterFailed)\n");
        /* --json: the error on stdout too, its short name and the daemon's message */
        CHECK_STR(o2, "{\n  \"error\": \"GetNetworkAdapterFailed\",\n  \"message\": \"VM 'nonic' has no network "
                      "adapter.\"\n}\n");

        CHECK_INT(RUN_CLI(&o3, &e3, "vm", "set", "web1", "--performance", "Medium"), 0);
        CHECK_STR(fake.last, "SetVM web1 Medium");

        CHECK_INT(RUN_CLI(&o4, &e4, "vm", "disable", "web1", "--json=short"), 0);
        CHECK_STR(fake.last, "DisableVM web1");
        CHECK_STR(o4, "[{\"vm\":\"web1\",\"result\":\"done\",\"error\":\"\",\"message\":\"\"}]\n");
}

TEST(vm_many) {
        _cleanup_free_ char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL, *o3 = NULL, *e3 = NULL;

        CHECK_INT(RUN_CLI(&o1, &e1, "vm", "enable", "a", "b", "--performance", "low"), 0);
        CHECK_STR(fake.last, "EnableVMs a,b, Low");
        CHECK_STR(o1, "VM RESULT ERROR\na  done   -\nb  done   -\n\n2 done, 0 failed.\n");
        CHECK_STR(e1, "");

        CHECK_INT(RUN_CLI(&o2, &e2, "vm", "enable", "a", "bad1", "--performance", "low"), CLI_EXIT_FAILURE);
        CHECK_CONTAINS(o2, "bad1 failed NoSuchVM\n");
        CHECK_STR(e2, "accelnetctl: 1 of 2 VMs failed.\n");

        CHECK_INT(RUN_CLI(&o3, &e3, "vm", "disable", "bad2", "c", "--json=short"), CLI_EXIT_FAILURE);
        CHECK_STR(fake.last, "DisableVMs bad2,c,");
        CHECK_STR(o3, "[{\"vm\":\"bad2\",\"result\":\"failed\",\"error\":\"" ACCELNET_BUS_ERROR_PREFIX "NoSuchVM\"},"
                      "{\"vm\":\"c\",\"result\":\"done\",\"error\":\"\"}]\n");
}

/* A daemon with EnableVMsEx: each VM's own message under its row and in the JSON; the
 * daemon without it (fake) got EnableVMs above after an UnknownMethod. */
TEST(vm_many_ex) {
        _cleanup_free_ char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL;

        CHECK_INT(RUN_CLUSTER(&o1, &e1, "vm", "enable", "a", "bad1", "--performance", "high"), CLI_EXIT_FAILURE);
        CHECK_STR(cluster_fake.last, "EnableVMsEx a,bad1, High");
        CHECK_STR(o1, "VM   RESULT ERROR\na    done   -\nbad1 failed NoSuchVM\n"
                      "    No VM named 'bad1' (virsh list --all).\n\n1 done, 1 failed.\n");
        CHECK_STR(e1, "accelnetctl: 1 of 2 VMs failed.\n");

        CHECK_INT(RUN_CLUSTER(&o2, &e2, "vm", "disable", "bad2", "c", "--json=short"), CLI_EXIT_FAILURE);
        CHECK_STR(cluster_fake.last, "DisableVMsEx bad2,c, ");
        CHECK_STR(o2, "[{\"vm\":\"bad2\",\"result\":\"failed\",\"error\":\"" ACCELNET_BUS_ERROR_PREFIX "NoSuchVM\","
                      "\"message\":\"No VM named 'bad2' (virsh list --all).\"},"
                      "{\"vm\":\"c\",\"result\":\"done\",\"error\":\"\",\"message\":\"\"}]\n");
}

TEST(already_enabled) {
        _cleanup_free_ char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL, *o3 = NULL, *e3 = NULL, *o4 = NULL,
                            *e4 = NULL, *o5 = NULL, *e5 = NULL;
        char expected[2048];

        /* the daemon's whole message, then its full error name, on stderr; the usual status */
        CHECK_INT(RUN_CLI(&o1, &e1, "enable", "--intent", "other", "--node-reserve", "30"), CLI_EXIT_FAILURE);
        CHECK_STR(fake.last, "Enable other 30");
        char message[512];
        snprintf(message, sizeof message, ALREADY_ENABLED_MESSAGE, "other", 30u);
        snprintf(expected, sizeof expected, "%s (%s)", message, an_error_bus_name(AN_ERROR_ALREADY_ENABLED));
        CHECK(strlen(expected) > 300);
        _cleanup_free_ char *wrapped = cli_error_wrap(expected, 80);
        ASSERT(wrapped);
        CHECK_STR(e1, wrapped);
        CHECK(strlen(e1) > 300 && strchr(e1, '\n') < e1 + strlen(e1) - 1); /* more than one line */
        CHECK_STR(o1, "");
        /* --json: the same text on stderr, and on stdout the error as JSON */
        CHECK_INT(RUN_CLI(&o2, &e2, "--json=short", "enable", "--intent", "other", "--node-reserve", "30"),
                  CLI_EXIT_FAILURE);
        CHECK_STR(e2, wrapped);
        snprintf(expected, sizeof expected, "{\"error\":\"AlreadyEnabled\",\"message\":\"%s\"}\n", message);
        CHECK_STR(o2, expected);

        CHECK_INT(RUN_CLI(&o3, &e3, "vm", "enable", "web1", "--performance", "low"), CLI_EXIT_FAILURE);
        CHECK_STR(e3, WRAPPED("VM 'web1' is already enabled with performance High; use 'accelnetctl vm set web1 "
                              "--performance Low' (SetVM) to change it. (" ACCELNET_BUS_ERROR_PREFIX "AlreadyEnabled)"));
        CHECK_STR(o3, "");

        /* in a batch: the short name and the table's message under the row */
        CHECK_INT(RUN_CLI(&o4, &e4, "vm", "enable", "a", "dup1", "--performance", "high"), CLI_EXIT_FAILURE);
        CHECK_STR(o4, "VM   RESULT ERROR\n"
                      "a    done   -\n"
                      "dup1 failed AlreadyEnabled\n"
                      "    Already enabled with other settings.\n"
                      "\n"
                      "1 done, 1 failed.\n");
        CHECK_STR(e4, "accelnetctl: 1 of 2 VMs failed.\n");
        CHECK_INT(RUN_CLI(&o5, &e5, "vm", "enable", "a", "dup1", "--performance", "high", "--json=short"),
                  CLI_EXIT_FAILURE);
        CHECK_STR(o5, "[{\"vm\":\"a\",\"result\":\"done\",\"error\":\"\"},"
                      "{\"vm\":\"dup1\",\"result\":\"failed\",\"error\":\"" ACCELNET_BUS_ERROR_PREFIX "AlreadyEnabled\"}]\n");
}

TEST(servicing) {
        _cleanup_free_ char *o1 = NULL, *e1 = NULL, *o2 = NULL, *e2 = NULL, *o3 = NULL, *e3 = NULL, *o4 = NULL,
                            *e4 = NULL, *o5 = NULL, *e5 = NULL, *o6 = NULL, *e6 = NULL, *line = NULL;

        /* not a terminal: quiet, the call made with the name given; the address from ListAdapters */
        CHECK_INT(RUN_CLI(&o1, &e1, "adapter", "drain", "ens1f0"), 0);
        CHECK_STR(fake.last, "DrainAdapter ens1f0");
        CHECK_STR(fake.calls, "ListAdapters DrainAdapter");
        CHECK_STR(o1, "");
        CHECK_STR(e1, "");
        /* --json: the adapter's address and its own progress (not the other adapter's) */
        CHECK_INT(RUN_CLI(&o2, &e2, "--json=short", "adapter", "drain", "ens1f0"), 0);
        CHECK_STR(o2, "{\"result\":\"done\",\"adapter\":\"0000:3b:00.0\",\"vfs_revoked\":2,\"vfs_total\":2}\n");
        /* the daemon's refusal, with its name; exit status 1 */
        CHECK_INT(RUN_CLI(&o3, &e3, "adapter", "drain", "ens9"), CLI_EXIT_FAILURE);
        CHECK_STR(e3, WRAPPED("No adapter 'ens9' on this host. (" ACCELNET_BUS_ERROR_PREFIX "AdapterNotFound)"));
        CHECK_INT(RUN_CLI(&o4, &e4, "adapter", "drain", "ens1f1"), CLI_EXIT_FAILURE);
        CHECK_CONTAINS(e4, "1 of its 2 VFs are revoked.\n(" ACCELNET_BUS_ERROR_PREFIX "Busy)");

        CHECK_INT(RUN_CLI(&o5, &e5, "adapter", "restore", "0000:3b:00.0", "--json=short"), 0);
        CHECK_STR(fake.last, "RestoreAdapter 0000:3b:00.0");
        CHECK_STR(o5, "{\"result\":\"done\"}\n");
        CHECK_INT(RUN_CLI(&o6, &e6, "vm", "revoke", "web1"), 0);
        CHECK_STR(fake.last, "RevokeVM web1");
        CHECK_STR(o6, "");
        free(o6), free(e6);
        CHECK_INT(RUN_CLI(&o6, &e6, "vm", "restore", "web1"), 0);
        CHECK_STR(fake.last, "RestoreVM web1");

        /* status and adapters say which adapters are out of service */
        _cleanup_free_ char *o7 = NULL, *e7 = NULL, *o8 = NULL, *e8 = NULL, *o9 = NULL, *e9 = NULL;
        fake.drained = true;
        CHECK_INT(RUN_CLI(&o7, &e7, "status"), 0);
        CHECK_CONTAINS(o7, "Version: 0.1.0\nServicing: ens1f0 is out of service: drained by the admin.\n");
        CHECK_INT(RUN_CLI(&o8, &e8, "adapters"), 0);
        CHECK_CONTAINS(o8, "\n2 adapters listed.\n\nens1f0 is out of service: drained by the admin.\n");
        CHECK_INT(RUN_CLI(&o9, &e9, "status", "--json=short"), 0);
        CHECK_CONTAINS(o9, "\"servicing\":[{\"adapter\":\"0000:3b:00.0\",\"detail\":\"ens1f0 is out of service: "
                           "drained by the admin.\"}]}");
        fake.drained = false;

        /* what a terminal shows */
        CHECK_INT(drain_progress_render("ens1f0", "0000:3b:00.0", 3, 8, false, &line), 0);
        CHECK_STR(line, "Draining ens1f0 (0000:3b:00.0): 3 of 8 VFs revoked");
        line = mfree(line);
        CHECK_INT(drain_progress_render("0000:3b:00.0", "0000:3b:00.0", 8, 8, true, &line), 0);
        CHECK_STR(line, "Drained 0000:3b:00.0: 8 VFs revoked.");
        line = mfree(line);
        CHECK_INT(drain_progress_render("x", "", 1, 1, false, &line), 0);
        CHECK_STR(line, "Draining x: 1 of 1 VF revoked");
}

/* A server thread for f and a client connected to it. */
static int connect_fake(Fake *f, pthread_t *t, sd_bus **ret) {
        int fds[2];
        sd_bus *bus = NULL;

        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0) {
                perror("socketpair");
                return -1;
        }
        f->fd = fds[0];
        if (pthread_create(t, NULL, server, f) != 0)
                return -1;
        if (sd_bus_new(&bus) < 0 || sd_bus_set_fd(bus, fds[1], fds[1]) < 0 || sd_bus_start(bus) < 0) {
                fprintf(stderr, "client setup failed\n");
                return -1;
        }
        *ret = bus;
        return 0;
}

int main(void) {
        pthread_t t, tc;

        if (connect_fake(&fake, &t, &client) < 0 || connect_fake(&cluster_fake, &tc, &cluster_client) < 0)
                return 1;

        RUN(status);
        RUN(adapters);
        RUN(bad_reply);
        RUN(lists);
        RUN(management);
        RUN(vm_one);
        RUN(vm_many);
        RUN(vm_many_ex);
        RUN(already_enabled);
        RUN(cluster_vm_list);
        RUN(cluster_status);
        RUN(cluster_nodes);
        RUN(no_quorum);
        RUN(servicing);

        client = sd_bus_flush_close_unref(client); /* the server sees the hang-up and ends */
        cluster_client = sd_bus_flush_close_unref(cluster_client);
        pthread_join(t, NULL);
        pthread_join(tc, NULL);
        return TEST_MAIN_END();
}
