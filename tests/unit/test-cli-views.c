/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* accelnetctl's views (views.c) on plain rows: the short counts, ExplainVM's table with a
 * failure marked and the details wrapped, vf list and the Ex listings within 80 columns,
 * the JSON. */
#include <jansson.h>
#include <string.h>

#include "cli/views.h"
#include "testlib.h"

static bool within(const char *text, size_t width) {
        for (const char *p = text; *p;) {
                size_t n = strcspn(p, "\n");
                if (n > width)
                        return false;
                p += n + (p[n] ? 1 : 0);
        }
        return true;
}

TEST(counts) {
        char b[8];
        format_count(0, b);
        CHECK_STR(b, "0");
        format_count(999, b);
        CHECK_STR(b, "999");
        format_count(1000, b);
        CHECK_STR(b, "1.0K");
        format_count(1549, b);
        CHECK_STR(b, "1.5K");
        format_count(987654, b);
        CHECK_STR(b, "988K");
        format_count(999999, b);
        CHECK_STR(b, "1.0M");
        format_count(5000000000123ULL, b);
        CHECK_STR(b, "5.0T");
        format_count(UINT64_MAX, b);
        CHECK_STR(b, "18E");
}

static const ExplainRow explain[] = {
        { "management", "Passed", "Management is enabled with intent 'compute' (node reserve 50%)." },
        { "vcpus", "Failed", "VM 'tiny' has 1 vCPU(s); performance High needs at least 4 with hyperthreading off. "
                             "Raise the VM's vCPU count (virsh setvcpus --config) or choose a lower performance "
                             "setting." },
        { "teaming", "Warning", "The running virtio NIC 52:54:00:aa:00:03 was not started with <teaming "
                                "type='persistent'/>." },
};

TEST(explain_table) {
        _cleanup_free_ char *text = NULL;
        RenderOptions o = { .legend = true, .width = 80 };

        CHECK_INT(explain_rows_render(explain, 3, &o, &text), 0);
        CHECK_STR(text, "RESULT  CHECK\n"
                        "Passed  management\n"
                        "    Management is enabled with intent 'compute' (node reserve 50%).\n"
                        "FAILED  vcpus\n"
                        "    VM 'tiny' has 1 vCPU(s); performance High needs at least 4 with\n"
                        "    hyperthreading off. Raise the VM's vCPU count (virsh setvcpus --config) or\n"
                        "    choose a lower performance setting.\n"
                        "Warning teaming\n"
                        "    The running virtio NIC 52:54:00:aa:00:03 was not started with <teaming\n"
                        "    type='persistent'/>.\n"
                        "\n"
                        "3 checks: 1 passed, 1 warning, 1 failed.\n");
        CHECK(within(text, 80));
        CHECK_INT(explain_rows_n_failed(explain, 3), 1);
        CHECK_INT(explain_rows_n_failed(explain, 1), 0);

        json_t *j = explain_rows_to_json(explain, 3);
        CHECK(j && json_array_size(j) == 3);
        CHECK_STR(json_string_value(json_object_get(json_array_get(j, 1), "result")), "Failed");
        CHECK_STR(json_string_value(json_object_get(json_array_get(j, 1), "check")), "vcpus");
        json_decref(j);
}

TEST(vf_table) {
        VfRow rows[2] = {
                { .pf = "ens1f0", .vf = "0000:01:10.0", .index = 0, .mac = "52:54:00:aa:00:01", .vlan = 42,
                  .link_state = "auto", .owner = "web2", .spoof_check = 1, .trust = 0, .max_tx_rate = 1000,
                  .has_stats = true, .rx_bytes = 5000000000123ULL, .tx_bytes = 987654, .rx_dropped = 3,
                  .tx_dropped = 4 },
                { .pf = "ens1f0", .vf = "0000:01:10.2", .index = 1, .mac = "00:00:00:00:00:00", .link_state = "auto",
                  .owner = "", .spoof_check = -1, .trust = -1, .min_tx_rate = 100, .max_tx_rate = 1000 },
        };
        _cleanup_free_ char *text = NULL;
        RenderOptions o = { .legend = true, .width = 80 };

        CHECK_INT(vf_rows_render(rows, 2, &o, &text), 0);
        CHECK_STR(text, "PF     VF MAC               VLAN SPOOF TRUST RATE     LINK OWNER   RX   TX DROPS\n"
                        "ens1f0  0 52:54:00:aa:00:01   42 on    off   1000     auto web2  5.0T 988K     7\n"
                        "ens1f0  1 00:00:00:00:00:00    - -     -     100-1000 auto -        -    -     -\n"
                        "\n"
                        "2 VFs listed. VF: index on the PF; RATE: transmit Mb/s min-max; RX, TX: bytes\n");
        CHECK(within(text, 80));

        json_t *j = vf_rows_to_json(rows, 2);
        json_t *a = json_array_get(j, 0), *b = json_array_get(j, 1);
        CHECK(json_integer_value(json_object_get(a, "rx_bytes")) == 5000000000123LL);
        CHECK(json_is_true(json_object_get(a, "spoof_check")));
        CHECK(json_is_false(json_object_get(a, "trust")));
        CHECK_STR(json_string_value(json_object_get(a, "vf")), "0000:01:10.0");
        /* not reported by the PF: not in the JSON */
        CHECK(!json_object_get(b, "spoof_check") && !json_object_get(b, "rx_bytes"));
        CHECK(json_integer_value(json_object_get(b, "min_tx_rate")) == 100);
        json_decref(j);
}

TEST(vm_list_ex) {
        VmRow rows[2] = {
                { .vm = "db1", .state = "enabled", .performance = "High", .vf = "0000:03:10.0",
                  .note = "applies at next start: the running virtio NIC was not started with teaming; power-cycle "
                          "the VM (shut it down, then start it; a guest reboot is not enough)",
                  .has_ex = true, .power = "running", .vcpus = 8, .numa_node = 1, .vf_numa_node = 1,
                  .numa_local = "yes" },
                { .vm = "batch", .state = "disabled", .performance = "", .vf = "", .note = "", .has_ex = true,
                  .power = "shut off", .vcpus = 4, .numa_node = -1, .vf_numa_node = -1, .numa_local = "unknown" },
        };
        _cleanup_free_ char *text = NULL, *plain = NULL;
        RenderOptions o = { .legend = true, .width = 80 };

        CHECK_INT(vm_rows_ex_render(rows, 2, VM_FILTER_ALL, false, &o, &text), 0);
        CHECK_STR(text, "VM    STATE    PERFORMANCE VF           POWER    VCPUS NUMA\n"
                        "db1   enabled  High        0000:03:10.0 running      8 local\n"
                        "    applies at next start: the running virtio NIC was not started with teaming;\n"
                        "    power-cycle the VM (shut it down, then start it; a guest reboot is not\n"
                        "    enough)\n"
                        "batch disabled -           -            shut off     4 -\n"
                        "\n"
                        "2 VMs listed.\n");
        /* --no-legend: one line per VM, the note last */
        o.legend = false;
        CHECK_INT(vm_rows_ex_render(rows, 2, VM_FILTER_ENABLED, false, &o, &plain), 0);
        CHECK_STR(plain, "db1 enabled High 0000:03:10.0 running 8 local applies at next start: the running virtio NIC "
                         "was not started with teaming; power-cycle the VM (shut it down, then start it; a guest "
                         "reboot is not enough)\n");
}

TEST(adapters_ex) {
        AdapterRow rows[1] = {
                { .address = "0000:03:00.1", .ifname = "ens2f1", .driver = "igb", .support = "Supported",
                  .total_vfs = 8, .enabled_vfs = 8, .assigned_vfs = 1, .has_ex = true, .numa_node = 1,
                  .speed_mbps = 25000, .vendor = "Intel Corporation", .model = "82576 Gigabit Network Connection",
                  .intent = "compute,storage,backup", .health = "Degraded", .drained = 1 },
        };
        _cleanup_free_ char *text = NULL;
        RenderOptions o = { .legend = true, .width = 80 };

        CHECK_INT(adapter_rows_ex_render(rows, 1, &o, &text), 0);
        CHECK_STR(text, "ADDRESS      IFNAME DRIVER SUPPORT     VFS NUMA SPEED HEALTH           INTENT\n"
                        "0000:03:00.1 ens2f1 igb    Supported 1/8/8    1   25G Degraded,drained compute+2\n"
                        "    Intel Corporation 82576 Gigabit Network Connection\n"
                        "\n"
                        "1 adapter listed. VFS: assigned/enabled/total.\n");
        CHECK(within(text, 80));
}

int main(void) {
        RUN(counts);
        RUN(explain_table);
        RUN(vf_table);
        RUN(vm_list_ex);
        RUN(adapters_ex);
        return TEST_MAIN_END();
}
