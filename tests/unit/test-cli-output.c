/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <jansson.h>
#include <stdio.h>

#include "cli/bus.h"
#include "cli/output.h"
#include "cli/render.h"
#include "shared/anerror.h"
#include "shared/names.h"
#include "testlib.h"

static const AdapterRow adapters[] = {
        { "0000:3b:00.0", "ens1f0", "ixgbe", "Supported", 63, 8, 2 },
        { "0000:d8:00.0", "", "", "MissingPfDriver", 0, 0, 0 },
};

static const PrereqRow prereqs[] = {
        { "iommu", "host", "Passed", "", "IOMMU on (dmar0)." },
        { "acs", "0000:3b:00.0", "Failed", "SriovSupportMissingAcs",
          "The root port 0000:00:02.0 lacks ACS Source Validation, so VFs cannot be isolated. Use a slot "
          "behind a port with ACS." },
        { "smt", "host", "Warning", "", "" },
};

static const VmRow vms[] = {
        { "web1", "enabled", "High", "0000:3b:10.0", "" },
        { "db", "disabled", "", "", "" },
        { "batch", "Enabled", "Low", "0000:3b:10.2", "applies at next start" },
};

/* Checks that j is an array of n objects each having exactly the given keys. */
static void check_shape(json_t *j, size_t n, const char *const *keys, size_t n_keys) {
        CHECK(json_is_array(j));
        CHECK_INT(json_array_size(j), n);
        size_t i;
        json_t *o;
        json_array_foreach(j, i, o) {
                CHECK(json_is_object(o));
                CHECK_INT(json_object_size(o), n_keys);
                for (size_t k = 0; k < n_keys; k++)
                        CHECK(json_object_get(o, keys[k]) != NULL);
        }
}

/* Round trip through the printer: what --json prints must parse. */
static json_t *reparse(json_t *j, JsonMode mode) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return NULL;
        CHECK_INT(json_print(j, f, mode), 0);
        fclose(f);
        CHECK(size > 0 && buf[size - 1] == '\n');
        if (mode == JSON_MODE_SHORT)
                CHECK(strchr(buf, '\n') == buf + size - 1); /* one line */
        json_error_t err;
        json_t *back = json_loads(buf, 0, &err);
        CHECK(back != NULL);
        free(buf);
        return back;
}

TEST(adapters_json) {
        _cleanup_json_ json_t *j = adapter_rows_to_json(adapters, ELEMENTSOF(adapters));
        static const char *const keys[] = { "address", "ifname", "driver", "support",
                                            "total_vfs", "enabled_vfs", "assigned_vfs" };
        check_shape(j, 2, keys, ELEMENTSOF(keys));
        json_t *o = json_array_get(j, 0);
        CHECK_STR(json_string_value(json_object_get(o, "address")), "0000:3b:00.0");
        CHECK_INT(json_integer_value(json_object_get(o, "total_vfs")), 63);
        CHECK(json_is_integer(json_object_get(o, "assigned_vfs")));
        CHECK_STR(json_string_value(json_object_get(json_array_get(j, 1), "ifname")), "");

        _cleanup_json_ json_t *back = reparse(j, JSON_MODE_PRETTY);
        CHECK(json_equal(j, back));
        _cleanup_json_ json_t *back2 = reparse(j, JSON_MODE_SHORT);
        CHECK(json_equal(j, back2));

        _cleanup_json_ json_t *empty = adapter_rows_to_json(NULL, 0);
        CHECK(json_is_array(empty) && json_array_size(empty) == 0);
}

TEST(prereq_json) {
        _cleanup_json_ json_t *j = prereq_rows_to_json(prereqs, ELEMENTSOF(prereqs));
        static const char *const keys[] = { "check", "subject", "result", "code", "detail" };
        check_shape(j, 3, keys, ELEMENTSOF(keys));
        CHECK_STR(json_string_value(json_object_get(json_array_get(j, 1), "code")), "SriovSupportMissingAcs");
}

TEST(vms_json) {
        static const char *const keys[] = { "vm", "state", "performance", "vf", "note" };
        _cleanup_json_ json_t *all = vm_rows_to_json(vms, ELEMENTSOF(vms), VM_FILTER_ALL);
        check_shape(all, 3, keys, ELEMENTSOF(keys));
        _cleanup_json_ json_t *en = vm_rows_to_json(vms, ELEMENTSOF(vms), VM_FILTER_ENABLED);
        check_shape(en, 2, keys, ELEMENTSOF(keys)); /* "Enabled" counts too */
        CHECK_STR(json_string_value(json_object_get(json_array_get(en, 1), "vm")), "batch");
        _cleanup_json_ json_t *dis = vm_rows_to_json(vms, ELEMENTSOF(vms), VM_FILTER_DISABLED);
        check_shape(dis, 1, keys, ELEMENTSOF(keys));
        CHECK_STR(json_string_value(json_object_get(json_array_get(dis, 0), "vm")), "db");
}

TEST(intents_json) {
        const char *types[] = { "compute", "storage" };
        const char *ads[] = { "ens1f0" };
        IntentRow rows[] = { { "c1", types, 2, ads, 1 }, { "empty", NULL, 0, NULL, 0 } };
        _cleanup_json_ json_t *j = intent_rows_to_json(rows, 2);
        static const char *const keys[] = { "name", "types", "adapters" };
        check_shape(j, 2, keys, ELEMENTSOF(keys));
        json_t *t = json_object_get(json_array_get(j, 0), "types");
        CHECK(json_is_array(t));
        CHECK_INT(json_array_size(t), 2);
        CHECK_STR(json_string_value(json_array_get(t, 1)), "storage");
        CHECK_INT(json_array_size(json_object_get(json_array_get(j, 1), "adapters")), 0);
}

TEST(vm_results_json) {
        VmResult res[] = { { "a", "" }, { "b", an_error_bus_name(AN_ERROR_NO_SUCH_VM) } };
        _cleanup_json_ json_t *j = vm_results_to_json(res, 2);
        static const char *const keys[] = { "vm", "result", "error" };
        check_shape(j, 2, keys, ELEMENTSOF(keys));
        CHECK_STR(json_string_value(json_object_get(json_array_get(j, 0), "result")), "done");
        CHECK_STR(json_string_value(json_object_get(json_array_get(j, 1), "result")), "failed");
        CHECK_STR(json_string_value(json_object_get(json_array_get(j, 1), "error")),
                  ACCELNET_BUS_ERROR_PREFIX "NoSuchVM"); /* the full name */
        CHECK_INT(vm_results_n_failed(res, 2), 1);
}

TEST(status_json) {
        Property props[] = {
                { .name = "Enabled", .type = PROPERTY_BOOLEAN, .b = true },
                { .name = "IntentName", .type = PROPERTY_STRING, .s = "compute1" },
                { .name = "NodeReservePercentage", .type = PROPERTY_UNSIGNED, .u = 50 },
                { .name = "HyperthreadingEnabled", .type = PROPERTY_BOOLEAN, .b = false },
                { .name = "CapacityVFs", .type = PROPERTY_UNSIGNED, .u = 14 },
                { .name = "UsableVFs", .type = PROPERTY_UNSIGNED, .u = 7 },
                { .name = "AssignedVFs", .type = PROPERTY_UNSIGNED, .u = 1 },
                { .name = "Version", .type = PROPERTY_STRING, .s = "0.1.0" },
        };
        _cleanup_json_ json_t *j = properties_to_json(props, ELEMENTSOF(props));
        CHECK(json_is_object(j));
        CHECK_INT(json_object_size(j), 8);
        CHECK(json_is_true(json_object_get(j, "enabled")));
        CHECK(json_is_false(json_object_get(j, "hyperthreading_enabled")));
        CHECK_STR(json_string_value(json_object_get(j, "intent_name")), "compute1");
        CHECK_INT(json_integer_value(json_object_get(j, "node_reserve_percentage")), 50);
        CHECK_INT(json_integer_value(json_object_get(j, "capacity_vfs")), 14);
        CHECK_INT(json_integer_value(json_object_get(j, "usable_vfs")), 7);
        CHECK_INT(json_integer_value(json_object_get(j, "assigned_vfs")), 1);
        CHECK_STR(json_string_value(json_object_get(j, "version")), "0.1.0");

        _cleanup_free_ char *text = NULL;
        CHECK_INT(properties_render(props, ELEMENTSOF(props), &text), 0);
        CHECK_STR(text, "Enabled: yes\n"
                        "Intent: compute1\n"
                        "Node reserve: 50%\n"
                        "Hyperthreading: no\n"
                        "Capacity VFs: 14\n"
                        "Usable VFs: 7\n"
                        "Assigned VFs: 1\n"
                        "Version: 0.1.0\n");
}

TEST(status_order_and_unknown) {
        /* the daemon's order does not matter; unknown properties follow under their name */
        Property props[] = {
                { .name = "Future", .type = PROPERTY_SIGNED, .i = -3 },
                { .name = "IntentName", .type = PROPERTY_STRING, .s = "" },
                { .name = "Enabled", .type = PROPERTY_BOOLEAN, .b = false },
        };
        _cleanup_free_ char *text = NULL;
        CHECK_INT(properties_render(props, ELEMENTSOF(props), &text), 0);
        CHECK_STR(text, "Enabled: no\nIntent: -\nFuture: -3\n");
}

TEST(snake) {
        static const char *const cases[][2] = {
                { "CapacityVFs", "capacity_vfs" },
                { "NodeReservePercentage", "node_reserve_percentage" },
                { "HyperthreadingEnabled", "hyperthreading_enabled" },
                { "Version", "version" },
                { "IPv4Address", "ipv4_address" },
                { "", "" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                _cleanup_free_ char *s = property_name_to_snake(cases[i][0]);
                CHECK_STR(s, cases[i][1]);
        }
}

TEST(render_adapters) {
        RenderOptions o = { .legend = true, .width = 80 };
        _cleanup_free_ char *s = NULL;
        CHECK_INT(adapter_rows_render(adapters, ELEMENTSOF(adapters), &o, &s), 0);
        CHECK_STR(s, "ADDRESS      IFNAME DRIVER SUPPORT         TOTAL ENABLED ASSIGNED\n"
                     "0000:3b:00.0 ens1f0 ixgbe  Supported          63       8        2\n"
                     "0000:d8:00.0 -      -      MissingPfDriver     0       0        0\n"
                     "\n"
                     "2 adapters listed.\n");

        o.legend = false;
        _cleanup_free_ char *t = NULL;
        CHECK_INT(adapter_rows_render(adapters, 1, &o, &t), 0);
        CHECK_STR(t, "0000:3b:00.0 ens1f0 ixgbe Supported 63 8 2\n");
}

TEST(render_prereq) {
        RenderOptions o = { .legend = true, .width = 60 };
        _cleanup_free_ char *s = NULL;
        CHECK_INT(prereq_rows_render(prereqs, ELEMENTSOF(prereqs), &o, &s), 0);
        CHECK_STR(s, "RESULT  CHECK SUBJECT      CODE\n"
                     "Passed  iommu host         -\n"
                     "    IOMMU on (dmar0).\n"
                     "Failed  acs   0000:3b:00.0 SriovSupportMissingAcs\n"
                     "    The root port 0000:00:02.0 lacks ACS Source Validation,\n"
                     "    so VFs cannot be isolated. Use a slot behind a port with\n"
                     "    ACS.\n"
                     "Warning smt   host         -\n"
                     "\n"
                     "3 checks: 1 passed, 1 warning, 1 failed.\n");
}

TEST(render_vms) {
        RenderOptions o = { .legend = true };
        _cleanup_free_ char *s = NULL;
        CHECK_INT(vm_rows_render(vms, ELEMENTSOF(vms), VM_FILTER_ENABLED, &o, &s), 0);
        CHECK_STR(s, "VM    STATE   PERFORMANCE VF           NOTE\n"
                     "web1  enabled High        0000:3b:10.0 -\n"
                     "batch Enabled Low         0000:3b:10.2 applies at next start\n"
                     "\n"
                     "2 VMs listed.\n");
        _cleanup_free_ char *d = NULL;
        CHECK_INT(vm_rows_render(vms, ELEMENTSOF(vms), VM_FILTER_DISABLED, &o, &d), 0);
        CHECK_CONTAINS(d, "\n1 VM listed.\n");
}

TEST(render_intents) {
        const char *types[] = { "compute", "storage" };
        const char *ads[] = { "ens1f0", "0000:3b:00.1" };
        IntentRow rows[] = { { "c1", types, 2, ads, 2 } };
        RenderOptions o = { .legend = true };
        _cleanup_free_ char *s = NULL;
        CHECK_INT(intent_rows_render(rows, 1, &o, &s), 0);
        CHECK_STR(s, "NAME TYPES           ADAPTERS\n"
                     "c1   compute,storage ens1f0,0000:3b:00.1\n"
                     "\n"
                     "1 intent listed.\n");
}

TEST(render_vm_results) {
        VmResult res[] = { { "a", "" },
                           { "b", an_error_bus_name(AN_ERROR_NO_SUCH_VM) },
                           { "c", SD_BUS_ERROR_INVALID_ARGS },
                           { "d", an_error_bus_name(AN_ERROR_ALREADY_ENABLED) },
                           { "e", SD_BUS_ERROR_NO_REPLY } };
        RenderOptions o = { .legend = true, .width = 60 };
        _cleanup_free_ char *s = NULL;
        CHECK_INT(vm_results_render(res, 5, &o, &s), 0);
        /* the seed's message for an error of the table, the short name for ours */
        CHECK_STR(s, "VM RESULT ERROR\n"
                     "a  done   -\n"
                     "b  failed NoSuchVM\n"
                     "    No such VM.\n"
                     "c  failed org.freedesktop.DBus.Error.InvalidArgs\n"
                     "    Invalid argument.\n"
                     "d  failed AlreadyEnabled\n"
                     "    Already enabled with other settings.\n"
                     "e  failed org.freedesktop.DBus.Error.NoReply\n" /* none for a foreign one */
                     "\n"
                     "1 done, 4 failed.\n");
        CHECK_CONTAINS(s, an_error_message(AN_ERROR_NO_SUCH_VM));
        CHECK_CONTAINS(s, an_error_message(AN_ERROR_ALREADY_ENABLED));
}

TEST(error_names) {
        CHECK_STR(error_name_short(an_error_bus_name(AN_ERROR_BUSY)), "Busy");
        CHECK_STR(error_name_short(an_error_bus_name(AN_ERROR_ALREADY_ENABLED)), "AlreadyEnabled");
        CHECK_STR(error_name_short(ACCELNET_BUS_ERROR_PREFIX "FromTheFuture"), "FromTheFuture");
        CHECK_STR(error_name_short(ACCELNET_BUS_ERROR_PREFIX), ACCELNET_BUS_ERROR_PREFIX);
        CHECK_STR(error_name_short(SD_BUS_ERROR_ACCESS_DENIED), SD_BUS_ERROR_ACCESS_DENIED);
        CHECK(error_name_short(NULL) == NULL);
}

TEST(bus_error_message) {
        sd_bus_error e = SD_BUS_ERROR_MAKE_CONST(ACCELNET_BUS_ERROR_PREFIX "IntentNotFound",
                                                 "Intent 'x' was not found.");
        _cleanup_free_ char *a = cli_bus_error_message(&e, -EIO);
        CHECK_STR(a, "Intent 'x' was not found. (" ACCELNET_BUS_ERROR_PREFIX "IntentNotFound)");

        sd_bus_error nr = SD_BUS_ERROR_MAKE_CONST(SD_BUS_ERROR_SERVICE_UNKNOWN,
                                                  "The name " ACCELNET_BUS_NAME " was not provided by any .service files");
        _cleanup_free_ char *b = cli_bus_error_message(&nr, -EIO);
        CHECK_STR(b, "accelnetd is not running (" ACCELNET_BUS_NAME " not on the system bus)");
        sd_bus_error nho = SD_BUS_ERROR_MAKE_CONST(SD_BUS_ERROR_NAME_HAS_NO_OWNER, "x");
        CHECK(cli_bus_error_is_not_running(&nho));
        CHECK(!cli_bus_error_is_not_running(&e));

        sd_bus_error bare = SD_BUS_ERROR_MAKE_CONST(ACCELNET_BUS_ERROR_PREFIX "Busy", NULL);
        _cleanup_free_ char *c = cli_bus_error_message(&bare, -EBUSY);
        CHECK_STR(c, ACCELNET_BUS_ERROR_PREFIX "Busy");

        _cleanup_free_ char *d = cli_bus_error_message(NULL, -ETIMEDOUT);
        CHECK_STR(d, strerror(ETIMEDOUT));
}

int main(void) {
        RUN(adapters_json);
        RUN(prereq_json);
        RUN(vms_json);
        RUN(intents_json);
        RUN(vm_results_json);
        RUN(status_json);
        RUN(status_order_and_unknown);
        RUN(snake);
        RUN(render_adapters);
        RUN(render_prereq);
        RUN(render_vms);
        RUN(render_intents);
        RUN(render_vm_results);
        RUN(error_names);
        RUN(bus_error_message);
        return TEST_MAIN_END();
}
