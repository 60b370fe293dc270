/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* accelnet-exporter's text (src/exporter/expfmt.c, render.c) from snapshots made by hand:
 * escaping, number formats, a family per metric with HELP and TYPE, no timestamps, the
 * histogram's cumulative buckets and +Inf, the vm label from the VMs of this node only, the
 * per-node-and-tier counts, and what is left out when the daemon is down or lacks a method. */
#include <math.h>

#include "exporter/expfmt.h"
#include "exporter/http.h"
#include "exporter/render.h"
#include "testlib.h"

static char *render(const Snapshot *s) {
        Expo e = {};
        render_metrics(s, "9.9", &e);
        char *t = expo_steal(&e, NULL);
        if (!t)
                abort();
        return t;
}

/* The value of the one line that starts with `series ` (-1 when none, -2 when several). */
static double value_of(const char *text, const char *series) {
        size_t n = strlen(series);
        double v = -1;
        int found = 0;
        for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
                if (strncmp(p, series, n) == 0 && p[n] == ' ') {
                        v = strtod(p + n + 1, NULL);
                        found++;
                }
        return found == 1 ? v : found ? -2 : -1;
}

TEST(format_double) {
        char buf[32];
        CHECK_STR(expo_format_double(0.005, buf), "0.005");
        CHECK_STR(expo_format_double(1, buf), "1");
        CHECK_STR(expo_format_double(60, buf), "60");
        CHECK_STR(expo_format_double(0.1 + 0.2, buf), "0.30000000000000004");
        CHECK_STR(expo_format_double(INFINITY, buf), "+Inf");
        CHECK_STR(expo_format_double(NAN, buf), "NaN");
}

TEST(escaping) {
        Expo e = {};
        expo_family(&e, "x_total", "counter", "a \\ b\nc \"q\"");
        expo_u64(&e, "x_total", 18446744073709551615ULL, "l", "v\"\\\n", "m", NULL, NULL);
        expo_double(&e, "y", 0.25, NULL);
        _cleanup_free_ char *t = expo_steal(&e, NULL);
        ASSERT(t);
        CHECK_STR(t, "# HELP x_total a \\\\ b\\nc \"q\"\n# TYPE x_total counter\n"
                     "x_total{l=\"v\\\"\\\\\\n\",m=\"\"} 18446744073709551615\ny 0.25\n");
}

static Snapshot sample(void) {
        static NodeRow nodes[2] = {
                { .id = 1, .name = (char *) "node1", .member = true, .capacity = 8, .usable = 4, .assigned = 2,
                  .has_free = true, .free = 3, .free_high = 1, .free_medium = 3, .free_low = 3 },
                { .id = 2, .name = (char *) "node2", .member = false },
        };
        static VfRow vfs[2] = {
                { .index = 0, .address = "0000:01:10.0", .stats = { .rx_bytes = 1000, .tx_dropped = 7 } },
                { .index = 1, .address = "0000:01:10.2", .stats = { .rx_bytes = 5 } },
        };
        static AdapterRow adapters[1] = {
                { .address = (char *) "0000:01:00.0", .ifname = (char *) "ens1f0", .driver = (char *) "igb",
                  .verdict = (char *) "Supported", .total_vfs = 7, .enabled_vfs = 2, .assigned_vfs = 1,
                  .vf_read = true, .vfs = vfs, .n_vfs = 2 },
        };
        static VmRow vms[4] = {
                { .name = (char *) "web1", .node = (char *) "node1", .state = (char *) "enabled",
                  .performance = (char *) "High", .vf = (char *) "0000:01:10.0", .note = (char *) "" },
                /* Same VF address on the other node: not this node's VF. */
                { .name = (char *) "far", .node = (char *) "node2", .state = (char *) "enabled",
                  .performance = (char *) "Low", .vf = (char *) "0000:01:10.2", .note = (char *) "" },
                { .name = (char *) "wait1", .node = (char *) "node1", .state = (char *) "enabled",
                  .performance = (char *) "Medium", .vf = (char *) "",
                  .note = (char *) "waiting for a VF since 2025-01-01 00:00:00 UTC (3 min): none free" },
                { .name = (char *) "plain", .node = (char *) "node1", .state = (char *) "disabled",
                  .performance = (char *) "", .vf = (char *) "", .note = (char *) "" },
        };
        static double le[2] = { 0.5, 1 };
        static uint64_t bucket[2] = { 1, 3 };
        static OpRow ops[1] = {
                { .kind = (char *) "vm-enable", .count = 4, .failures = 1, .sum_seconds = 2.5, .n_buckets = 2, .le = le,
                  .bucket = bucket },
        };
        return (Snapshot){ .up = true, .version = (char *) "1.2", .enabled = true, .intent = (char *) "compute",
                           .node_name = (char *) "node1", .reserve = 50, .capacity = 8, .usable = 4, .assigned = 2,
                           .nodes = nodes, .n_nodes = 2, .has_node_capacity = true, .adapters = adapters,
                           .n_adapters = 1, .vms = vms, .n_vms = 4, .ops = ops, .n_ops = 1, .has_ops = true };
}

TEST(render_up) {
        Snapshot s = sample();
        _cleanup_free_ char *t = render(&s);

        CHECK(value_of(t, "accelnet_up") == 1);
        CHECK(value_of(t, "accelnet_info{version=\"9.9\",daemon_version=\"1.2\"}") == 1);
        CHECK(value_of(t, "accelnet_node_reserve_ratio") == 0.5);
        CHECK(value_of(t, "accelnet_capacity_vfs") == 8);
        CHECK(value_of(t, "accelnet_node_up{node_id=\"2\",node=\"node2\"}") == 0);
        CHECK(value_of(t, "accelnet_node_tier_free_vfs{node_id=\"1\",node=\"node1\",tier=\"High\"}") == 1);
        /* node2 has no ListNodeCapacity row: no free series for it */
        CHECK(value_of(t, "accelnet_node_free_vfs{node_id=\"2\",node=\"node2\"}") == -1);
        CHECK(value_of(t, "accelnet_node_tier_assigned_vfs{node_id=\"1\",node=\"node1\",tier=\"High\"}") == 1);
        CHECK(value_of(t, "accelnet_node_tier_assigned_vfs{node_id=\"1\",node=\"node1\",tier=\"Low\"}") == 0);
        CHECK(value_of(t, "accelnet_node_tier_assigned_vfs{node_id=\"2\",node=\"node2\",tier=\"Low\"}") == 1);
        CHECK(value_of(t, "accelnet_waiting_vms{node_id=\"1\",node=\"node1\",tier=\"Medium\"}") == 1);
        CHECK(value_of(t, "accelnet_waiting_vms{node_id=\"1\",node=\"node1\",tier=\"High\"}") == 0);
        CHECK(value_of(t, "accelnet_vms{node_id=\"1\",node=\"node1\",state=\"disabled\"}") == 1);
        CHECK(value_of(t, "accelnet_vms{node_id=\"1\",node=\"node1\",state=\"enabled\"}") == 2);
        /* The vm label: this node's VM on VF 0; VF 1's address belongs to a VM of node2. */
        CHECK(value_of(t, "accelnet_vf_receive_bytes_total{pf=\"ens1f0\",vf=\"0\",vf_address=\"0000:01:10.0\",vm=\"web1\"}") ==
              1000);
        CHECK(value_of(t, "accelnet_vf_transmit_drop_total{pf=\"ens1f0\",vf=\"0\",vf_address=\"0000:01:10.0\",vm=\"web1\"}") ==
              7);
        CHECK(value_of(t, "accelnet_vf_receive_bytes_total{pf=\"ens1f0\",vf=\"1\",vf_address=\"0000:01:10.2\",vm=\"\"}") == 5);
        CHECK(value_of(t, "accelnet_adapter_vf_stats_up{pf=\"ens1f0\",pf_address=\"0000:01:00.0\"}") == 1);
        /* The histogram: the daemon's buckets, +Inf = count, sum and count. */
        CHECK(strstr(t, "# TYPE accelnet_operation_duration_seconds histogram\n") != NULL);
        CHECK(value_of(t, "accelnet_operation_duration_seconds_bucket{kind=\"vm-enable\",le=\"0.5\"}") == 1);
        CHECK(value_of(t, "accelnet_operation_duration_seconds_bucket{kind=\"vm-enable\",le=\"1\"}") == 3);
        CHECK(value_of(t, "accelnet_operation_duration_seconds_bucket{kind=\"vm-enable\",le=\"+Inf\"}") == 4);
        CHECK(value_of(t, "accelnet_operation_duration_seconds_sum{kind=\"vm-enable\"}") == 2.5);
        CHECK(value_of(t, "accelnet_operation_failures_total{kind=\"vm-enable\"}") == 1);
        /* No health without GetHealth. */
        CHECK(strstr(t, "accelnet_adapter_health") == NULL);

        /* Every line: a comment, or NAME[{...}] VALUE with no timestamp; every family has its
         * HELP and TYPE once. */
        unsigned helps = 0, types = 0;
        for (char *line = t, *next; line && *line; line = next) {
                next = strchr(line, '\n');
                ASSERT(next);
                *next++ = 0;
                if (strncmp(line, "# HELP ", 7) == 0) {
                        helps++;
                        continue;
                }
                if (strncmp(line, "# TYPE ", 7) == 0) {
                        types++;
                        continue;
                }
                CHECK(strncmp(line, "accelnet_", 9) == 0);
                const char *close = strrchr(line, '}');
                const char *val = strrchr(close ? close : line, ' ');
                ASSERT(val);
                CHECK(strchr(val + 1, ' ') == NULL);
        }
        CHECK(helps == types && helps > 30);
}

TEST(render_health) {
        Snapshot s = sample();
        HealthRow h = { .address = (char *) "0000:01:00.0", .ifname = (char *) "ens1f0", .state = (char *) "Degraded",
                        .quarantined = true, .n_reasons = 2 };
        s.health = &h;
        s.n_health = 1;
        s.has_health = true;
        _cleanup_free_ char *t = render(&s);
        CHECK(value_of(t, "accelnet_adapter_health{pf=\"ens1f0\",pf_address=\"0000:01:00.0\",state=\"Degraded\"}") == 1);
        CHECK(value_of(t, "accelnet_adapter_health{pf=\"ens1f0\",pf_address=\"0000:01:00.0\",state=\"Healthy\"}") == 0);
        CHECK(value_of(t, "accelnet_adapter_quarantined{pf=\"ens1f0\",pf_address=\"0000:01:00.0\"}") == 1);
        CHECK(value_of(t, "accelnet_adapter_health_reasons{pf=\"ens1f0\",pf_address=\"0000:01:00.0\"}") == 2);
}

TEST(render_down) {
        Snapshot s = { .up = false };
        _cleanup_free_ char *t = render(&s);
        CHECK_STR(t, "# HELP accelnet_up Whether accelnetd answered on the bus in this scrape (1) or not (0).\n"
                     "# TYPE accelnet_up gauge\naccelnet_up 0\n"
                     "# HELP accelnet_info accelnet's version (accelnet-exporter's) and accelnetd's (\"\" when it did not "
                     "answer); always 1.\n# TYPE accelnet_info gauge\n"
                     "accelnet_info{version=\"9.9\",daemon_version=\"\"} 1\n");
}

TEST(listen_addresses) {
        int fd = -1;
        CHECK_INT(http_listen("127.0.0.1", &fd), -EINVAL);
        CHECK_INT(http_listen("127.0.0.1:", &fd), -EINVAL);
        CHECK_INT(http_listen("127.0.0.1:0", &fd), -EINVAL);
        CHECK_INT(http_listen("127.0.0.1:65536", &fd), -EINVAL);
        CHECK_INT(http_listen("::1:9870", &fd), -EINVAL);      /* IPv6 needs brackets */
        CHECK_INT(http_listen("localhost:9870", &fd), -EINVAL); /* numeric hosts only */
        CHECK_INT(http_listen("[::1:9870", &fd), -EINVAL);
        CHECK_INT(http_listen(NULL, &fd), -EINVAL);
        CHECK(fd == -1);
}

int main(void) {
        RUN(format_double);
        RUN(escaping);
        RUN(render_up);
        RUN(render_health);
        RUN(render_down);
        RUN(listen_addresses);
        return TEST_MAIN_END();
}
