/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* accelnetctl health's output (src/cli/health.c) without a bus: the table fits 80 columns
 * whatever the reasons, details under unhealthy adapters only, the footer counts, --json. */
#include "cli/health.h"
#include "cli/output.h"
#include "testlib.h"

static HealthReasonRec link_down[] = {
        { "LinkDown", "ens1f0 (0000:01:00.0) has no link: carrier 0, operstate down, for 12 s; 7 carrier changes in all",
          "Check the cable, the transceiver and the switch port of ens1f0; VMs on its VFs use their virtio path meanwhile." },
};
static HealthReasonRec many[] = {
        { "PcieLinkDegraded", "The PCIe link of 0000:03:00.0 runs at 2.5 GT/s x4, below the 8.0 GT/s x8 it is capable of.",
          "Reseat the adapter." },
        { "PcieOversubscribed", "The link speeds of the 2 port(s) add up to 20000 Mb/s.", "Move the adapter." },
        { "DevlinkReporterError", "The devlink health reporter 'tx' is in error.", "devlink health diagnose." },
        { "Flapping", "ens2f0's link changed more than 5 times within 600 s.", "No new VFs go to ens2f0." },
};
static HealthCounterRec counters[] = { { "carrier_changes", 7 }, { "aer_fatal", 0 } };
static HealthEventRec events[] = { { 1700000000000000ULL, "link", "carrier 0, operstate down, carrier changes 7" } };

static HealthRow rows[] = {
        { .address = "0000:01:00.0", .ifname = "ens1f0", .state = "Failed", .since_usec = 1700000000000000ULL,
          .reasons = link_down, .n_reasons = 1, .counters = counters, .n_counters = 2, .events = events, .n_events = 1 },
        { .address = "0000:01:00.1", .ifname = "ens1f1", .state = "Healthy" },
        { .address = "0000:03:00.0", .ifname = "ens2f0", .state = "Degraded", .quarantined = 1,
          .since_usec = 1700000000000000ULL, .reasons = many, .n_reasons = 4 },
        { .address = "0000:08:00.0", .ifname = "", .state = "Failed" },
};

TEST(table_fits_80_columns) {
        RenderOptions o = { .legend = true, .width = 200 };
        _cleanup_free_ char *text = NULL;
        CHECK_INT(health_rows_render(rows, ELEMENTSOF(rows), &o, &text), 0);
        ASSERT(text);
        for (const char *l = text; *l;) {
                size_t n = strcspn(l, "\n");
                CHECK(n <= HEALTH_TABLE_WIDTH);
                if (n > HEALTH_TABLE_WIDTH)
                        fprintf(stderr, "  %zu: %.*s\n", n, (int) n, l);
                l += n + (l[n] == '\n');
        }
        CHECK(strncmp(text, "PF", 2) == 0);
        CHECK_CONTAINS(text, "QUARANTINE REASONS");
        CHECK_CONTAINS(text, "0000:01:00.0 ens1f0 Failed   no         LinkDown");
        CHECK_CONTAINS(text, "Failed since 2023-11-14 22:13:20 UTC.");
        CHECK_CONTAINS(text, "LinkDown: ens1f0 (0000:01:00.0) has no link");
        /* four codes do not fit: the first ones and a count */
        CHECK_CONTAINS(text, "yes        PcieLinkDegraded,PcieOversubscribed +2");
        CHECK_CONTAINS(text, "Flapping: ens2f0's link changed");
        /* the healthy one has no detail; an adapter without a netdev shows "-" */
        CHECK_CONTAINS(text, "0000:01:00.1 ens1f1 Healthy  no         -\n0000:03:00.0");
        CHECK_CONTAINS(text, "0000:08:00.0 -      Failed   no         -");
        CHECK_CONTAINS(text, "4 adapters: 1 healthy, 1 degraded, 2 failed; 1 quarantined.\n");

        /* a narrower terminal wins; no legend: no header, no footer */
        o = (RenderOptions){ .legend = false, .width = 60 };
        free(text);
        text = NULL;
        CHECK_INT(health_rows_render(rows, ELEMENTSOF(rows), &o, &text), 0);
        CHECK(strncmp(text, "0000:01:00.0", 12) == 0);
        CHECK(!strstr(text, "adapters:"));
}

TEST(json) {
        _cleanup_json_ json_t *j = health_rows_to_json(rows, ELEMENTSOF(rows));
        ASSERT(j && json_array_size(j) == 4);
        json_t *a = json_array_get(j, 0);
        CHECK_STR(json_string_value(json_object_get(a, "pf")), "0000:01:00.0");
        CHECK_STR(json_string_value(json_object_get(a, "state")), "Failed");
        CHECK_STR(json_string_value(json_object_get(a, "since")), "2023-11-14 22:13:20 UTC");
        CHECK(json_is_false(json_object_get(a, "quarantined")));
        CHECK_INT(json_integer_value(json_object_get(json_object_get(a, "counters"), "carrier_changes")), 7);
        CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(a, "reasons"), 0), "code")),
                  "LinkDown");
        CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(a, "events"), 0), "kind")), "link");
        CHECK(json_is_true(json_object_get(json_array_get(j, 2), "quarantined")));
        CHECK_STR(json_string_value(json_object_get(json_array_get(j, 1), "since")), "-");
}

int main(void) {
        RUN(table_fits_80_columns);
        RUN(json);
        return TEST_MAIN_END();
}
