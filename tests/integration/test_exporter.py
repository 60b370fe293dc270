#!/usr/bin/env python3
"""accelnet-exporter against accelnetd on the simulated host and the project's bus policy,
run as nobody (it needs no privilege): /metrics scraped over HTTP and checked with
`promtool check metrics` (from Debian's prometheus package, unpacked by scripts/deps.sh), its numbers compared
with ListAdapters, ListVMs, ListNodes, the properties and GetOperationStats, and with VF
counters written into the simulated host's VF files; the vm label from ListVMs; waiting VMs;
accelnet_up 0 while accelnetd is away and 1 again after; HTTP errors; a socket passed by
systemd (systemd-socket-activate); and accelnetd itself listening on no TCP port."""
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

from harness import BUILD_DIR, as_nobody_dying_with_parent, main
from test_waiting import accel_domain, one_pf_host
from vmlib import INTENT1, VmTestCase, domain, settle

EXPORTER = os.path.join(BUILD_DIR, "src", "accelnet-exporter")
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def parse(text):
    """{(name, frozenset(labels)): value} of every sample; asserts no line has a timestamp."""
    out = {}
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        m = SAMPLE.match(line)
        assert m, f"not a sample line (or one with a timestamp): {line!r}"
        labels = frozenset(LABEL.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def series(samples, name, **labels):
    """Every sample of `name` whose labels include `labels`: {frozenset(labels): value}."""
    want = set(labels.items())
    return {l: v for (n, l), v in samples.items() if n == name and want <= set(l)}


def one(samples, name, **labels):
    s = series(samples, name, **labels)
    assert len(s) == 1, f"{name}{labels}: {len(s)} series: {s}"
    return next(iter(s.values()))


def socket_inodes(pid):
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            t = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]", t)
        if m:
            out.add(m.group(1))
    return out


def tcp_listen_inodes():
    """Inodes of the TCP sockets in LISTEN state (st 0A) of this network namespace."""
    out = set()
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(f) as fh:
            for line in fh.readlines()[1:]:
                cols = line.split()
                if cols[3] == "0A":
                    out.add(cols[9])
    return out


class ExporterTestCase(VmTestCase):
    def exporter(self, env, *args, argv_prefix=()):
        """Starts accelnet-exporter as nobody on a free port against env's bus and root;
        returns (process, base URL). Stopped (and its log checked) at cleanup."""
        port = free_port()
        log = open(os.path.join(env.dir, f"exporter-{port}.log"), "w")
        argv = [*argv_prefix, EXPORTER, "--simulate", f"--root={env.root}", "--log-level=debug", *args]
        if not argv_prefix:
            argv.append(f"--listen=127.0.0.1:{port}")
        else:
            argv = [a.replace("@PORT@", str(port)) for a in argv]
        p = subprocess.Popen(argv, env=env.env(), stdout=log, stderr=subprocess.STDOUT,
                             preexec_fn=as_nobody_dying_with_parent)

        def stop():
            if p.poll() is None:
                p.terminate()
                p.wait(10)
            log.close()
            with open(log.name) as f:
                text = f.read()
            for mark in env.SANITIZER_MARKS:
                self.assertNotIn(mark, text, f"accelnet-exporter's log:\n{text[-3000:]}")
        self.addCleanup(stop)
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 10
        while True:
            if p.poll() is not None:
                with open(log.name) as f:
                    self.fail(f"accelnet-exporter exited:\n{f.read()[-3000:]}")
            try:
                if self.get(url + "/")[0] == 200:
                    break
            except (urllib.error.URLError, ConnectionError):
                pass
            self.assertLess(time.time(), deadline, "accelnet-exporter does not answer")
            time.sleep(0.05)
        return p, url

    def get(self, url, method="GET"):
        req = urllib.request.Request(url, method=method)
        try:
            with urllib.request.urlopen(req, timeout=15) as r:
                return r.status, r.headers, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read().decode()

    def scrape(self, url):
        status, headers, body = self.get(url + "/metrics")
        self.assertEqual(status, 200, body)
        self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"), headers["Content-Type"])
        self.promtool(body)
        return body, parse(body)

    def promtool(self, body):
        promtool = os.environ.get("ACCELNET_PROMTOOL") or shutil.which("promtool")
        self.assertIsNotNone(promtool, "promtool is missing (scripts/test.sh fetches it: accelnet_fetch_promtool)")
        r = subprocess.run([promtool, "check", "metrics"], input=body, capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, f"promtool check metrics:\n{r.stdout}{r.stderr}\n{body[:2000]}")


class Exporter(ExporterTestCase):
    def test_metrics_match_the_daemon_and_the_vfs(self):
        env = self.make(enable="compute", reserve=50)
        self.enable(env, "web2", "Low")
        self.enable(env, "db1", "High")
        r = env.call("EnableVM", "string:web1", "string:High")   # 2 vCPUs: refused before any operation
        self.assertNotEqual(r.rc, 0)
        vms = self.vms(env)
        web2_vf = vms["web2"][2]
        adapters = env.busctl("ListAdapters").data[0]
        pf = next(a for a in adapters if web2_vf.startswith(a[0][:8]) and a[6] > 0)
        ifname = pf[1]
        index = next(i for i in range(self.numvfs(env, ifname))
                     if os.path.basename(os.readlink(os.path.join(env.root, "sys/bus/pci/devices", pf[0],
                                                                  f"virtfn{i}"))) == web2_vf)
        # Counters in the simulated VF file, as a driver would report them; the settings the
        # daemon applied stay as they are.
        path = self.sim_path(env, ifname)
        with open(path) as f:
            doc = json.load(f)
        entry = next((v for v in doc["vfs"] if v["vf"] == index), None)
        self.assertIsNotNone(entry, doc)
        stats = {"rx_packets": 1200, "tx_packets": 800, "rx_bytes": 5_000_000_000_123, "tx_bytes": 987654,
                 "broadcast": 7, "multicast": 9, "rx_dropped": 3, "tx_dropped": 4}
        entry["stats"] = stats
        with open(path + ".new", "w") as f:
            json.dump(doc, f)
        os.rename(path + ".new", path)

        p, url = self.exporter(env)
        body, s = self.scrape(url)
        self.assertEqual(one(s, "accelnet_up"), 1)
        self.assertEqual(one(s, "accelnet_info", daemon_version=env.prop("Version")), 1)
        for prop, metric in (("CapacityVFs", "accelnet_capacity_vfs"), ("UsableVFs", "accelnet_usable_vfs"),
                             ("AssignedVFs", "accelnet_assigned_vfs")):
            self.assertEqual(one(s, metric), env.prop(prop), metric)
        self.assertEqual(one(s, "accelnet_node_reserve_ratio"), 0.5)
        self.assertEqual(one(s, "accelnet_management_enabled", intent="compute"), 1)

        # Adapters: ListAdapters, row by row.
        self.assertEqual(len(series(s, "accelnet_adapter_info")), len(adapters))
        for a in adapters:
            lbl = {"pf": a[1], "pf_address": a[0]}
            self.assertEqual(one(s, "accelnet_adapter_info", driver=a[2], verdict=a[3], **lbl), 1)
            self.assertEqual(one(s, "accelnet_adapter_total_vfs", **lbl), a[4])
            self.assertEqual(one(s, "accelnet_adapter_enabled_vfs", **lbl), a[5])
            self.assertEqual(one(s, "accelnet_adapter_assigned_vfs", **lbl), a[6])
            # one series per enabled VF, each counter
            self.assertEqual(len(series(s, "accelnet_vf_receive_bytes_total", pf=a[1])), a[5])

        # The node and its tiers: ListNodes, ListNodeCapacity, ListVMs.
        (node_id, node, _, _, cap, usable, assigned, _), = env.busctl("ListNodes").data[0]
        self.assertEqual(env.prop("NodeName"), node)
        nl = {"node_id": str(node_id), "node": node}
        self.assertEqual(one(s, "accelnet_node_up", **nl), 1)
        self.assertEqual(one(s, "accelnet_node_capacity_vfs", **nl), cap)
        self.assertEqual(one(s, "accelnet_node_usable_vfs", **nl), usable)
        self.assertEqual(one(s, "accelnet_node_assigned_vfs", **nl), assigned)
        (_, _, free, high, medium, low), = env.busctl("ListNodeCapacity").data[0]
        self.assertEqual(one(s, "accelnet_node_free_vfs", **nl), free)
        for tier, n in (("High", high), ("Medium", medium), ("Low", low)):
            self.assertEqual(one(s, "accelnet_node_tier_free_vfs", tier=tier, **nl), n)
            held = sum(1 for row in vms.values() if row[0] == "enabled" and row[1] == tier and row[2])
            self.assertEqual(one(s, "accelnet_node_tier_assigned_vfs", tier=tier, **nl), held, tier)
            self.assertEqual(one(s, "accelnet_waiting_vms", tier=tier, **nl), 0)
        self.assertEqual(one(s, "accelnet_node_tier_assigned_vfs", tier="High", **nl), 1)
        self.assertEqual(one(s, "accelnet_vms", state="enabled", **nl),
                         sum(1 for row in vms.values() if row[0] == "enabled"))
        self.assertEqual(one(s, "accelnet_vms", state="disabled", **nl),
                         sum(1 for row in vms.values() if row[0] == "disabled"))

        # The VF counters that were written, under web2's VF, with the vm label.
        vl = {"pf": ifname, "vf": str(index), "vf_address": web2_vf, "vm": "web2"}
        for metric, key in (("accelnet_vf_receive_bytes_total", "rx_bytes"),
                            ("accelnet_vf_transmit_bytes_total", "tx_bytes"),
                            ("accelnet_vf_receive_packets_total", "rx_packets"),
                            ("accelnet_vf_transmit_packets_total", "tx_packets"),
                            ("accelnet_vf_receive_broadcast_packets_total", "broadcast"),
                            ("accelnet_vf_receive_multicast_packets_total", "multicast"),
                            ("accelnet_vf_receive_drop_total", "rx_dropped"),
                            ("accelnet_vf_transmit_drop_total", "tx_dropped")):
            self.assertEqual(one(s, metric, **vl), stats[key], metric)
        self.assertIn(f'accelnet_vf_receive_bytes_total{{pf="{ifname}",vf="{index}",vf_address="{web2_vf}",'
                      f'vm="web2"}} 5000000000123\n', body, "u64 counters are written whole")
        # Every VF held by a VM carries its name, every other none.
        owners = {row[2]: vm for vm, row in vms.items() if row[0] == "enabled" and row[2]}
        for labels in series(s, "accelnet_vf_receive_bytes_total"):
            d = dict(labels)
            self.assertEqual(d["vm"], owners.get(d["vf_address"], ""), d)
        self.assertEqual(sum(1 for l in series(s, "accelnet_vf_receive_bytes_total") if dict(l)["vm"]), len(owners))

        # Operations: GetOperationStats, and the two VM enables (the refused one is none).
        ops = {row[0]: row for row in env.busctl("GetOperationStats").data[0]}
        self.assertEqual(ops["vm-enable"][1], 2)
        for kind, (_, count, failures, total, buckets) in ops.items():
            self.assertEqual(one(s, "accelnet_operations_total", kind=kind), count)
            self.assertEqual(one(s, "accelnet_operation_failures_total", kind=kind), failures)
            self.assertEqual(one(s, "accelnet_operation_duration_seconds_count", kind=kind), count)
            self.assertEqual(one(s, "accelnet_operation_duration_seconds_bucket", kind=kind, le="+Inf"), count)
            self.assertAlmostEqual(one(s, "accelnet_operation_duration_seconds_sum", kind=kind), total, places=6)
            for le, n in buckets:
                self.assertEqual(one(s, "accelnet_operation_duration_seconds_bucket", kind=kind,
                                     le=("%g" % le)), n, (kind, le))
        self.assertEqual(one(s, "accelnet_operations_total", kind="provision"), ops["provision"][1])
        self.assertGreaterEqual(ops["provision"][1], 1)

        # Health: served from GetHealth only where the daemon has it.
        intro = env.run(["busctl", "--system", "introspect", "org.accelnet1", "/org/accelnet1", "org.accelnet1.Manager"])
        has_health = ".GetHealth " in intro.out
        self.assertEqual(bool(series(s, "accelnet_adapter_health")), has_health)

        # A counter changes with the file, between two scrapes.
        entry["stats"]["tx_bytes"] = 1_000_000
        with open(path + ".new", "w") as f:
            json.dump(doc, f)
        os.rename(path + ".new", path)
        _, s2 = self.scrape(url)
        self.assertEqual(one(s2, "accelnet_vf_transmit_bytes_total", **vl), 1_000_000)

        # accelnetd listens on no TCP port; the exporter does (the check can see one).
        listening = tcp_listen_inodes()
        self.assertFalse(socket_inodes(env.daemon.pid) & listening, "accelnetd has a listening TCP socket")
        self.assertTrue(socket_inodes(p.pid) & listening, "the exporter's listening socket is not seen")
        tcp = set()
        for f in ("/proc/net/tcp", "/proc/net/tcp6"):
            with open(f) as fh:
                tcp |= {line.split()[9] for line in fh.readlines()[1:]}
        self.assertFalse(socket_inodes(env.daemon.pid) & tcp, "accelnetd has a TCP socket")

        # HTTP: other paths and methods.
        self.assertEqual(self.get(url + "/nope")[0], 404)
        self.assertEqual(self.get(url + "/metrics", method="POST")[0], 405)
        status, headers, body = self.get(url + "/metrics", method="HEAD")
        self.assertEqual((status, body), (200, ""))

    def test_daemon_away_and_back(self):
        env = self.make(enable="compute")
        p, url = self.exporter(env)
        _, s = self.scrape(url)
        self.assertEqual(one(s, "accelnet_up"), 1)
        env.stop()
        body, s = self.scrape(url)
        self.assertEqual(one(s, "accelnet_up"), 0)
        self.assertEqual(one(s, "accelnet_info", daemon_version=""), 1)
        self.assertEqual({n for n, _ in s}, {"accelnet_up", "accelnet_info"}, body)
        # A scrape never starts accelnetd (bus activation off): nothing took the name.
        r = env.dbus_send("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
                          "string:org.accelnet1")
        self.assertIn("boolean false", r.out)
        env.start()
        _, s = self.scrape(url)
        self.assertEqual(one(s, "accelnet_up"), 1)
        self.assertEqual(one(s, "accelnet_capacity_vfs"), env.prop("CapacityVFs"))
        self.assertIsNone(p.poll())

    def test_socket_from_systemd(self):
        if not shutil.which("systemd-socket-activate"):
            self.skipTest("systemd-socket-activate is missing")
        env = self.make(enable="compute")
        p, url = self.exporter(env, argv_prefix=("systemd-socket-activate", "-E", "DBUS_SYSTEM_BUS_ADDRESS",
                                                            "-l", "127.0.0.1:@PORT@"))
        # systemd-socket-activate starts the exporter at the first connection (exporter()'s GET /),
        # with only the environment it is told to pass.
        _, s = self.scrape(url)
        self.assertEqual(one(s, "accelnet_up"), 1)


class Waiting(ExporterTestCase):
    def test_waiting_vms(self):
        """A full host (one PF, 2 VFs, reserve 0, both held): an accelerated High VM defined
        there waits, and the exporter counts it where ListVMs lists it waiting."""
        holders = [domain(n, 4, f"52:54:00:ab:00:{i:02x}", index=i + 1) for i, n in enumerate(("hold1", "hold2"))]
        env = self.make(libvirtd=True, host_json=one_pf_host(2), intents=INTENT1, enable="c", reserve=0, domains=holders)
        for n in ("hold1", "hold2"):
            self.enable(env, n, "Low")
        env.define(accel_domain("wait-high", "High", 1))
        settle(lambda: self.assertTrue(self.vms(env)["wait-high"][3].startswith("waiting for a VF")), 5)
        p, url = self.exporter(env)
        _, s = self.scrape(url)
        node = env.prop("NodeName")
        self.assertEqual(one(s, "accelnet_waiting_vms", node=node, tier="High"), 1)
        self.assertEqual(one(s, "accelnet_waiting_vms", node=node, tier="Low"), 0)
        self.assertEqual(one(s, "accelnet_node_tier_assigned_vfs", node=node, tier="Low"), 2)
        self.assertEqual(one(s, "accelnet_node_tier_free_vfs", node=node, tier="High"), 0)
        self.assertEqual(one(s, "accelnet_vms", node=node, state="enabled"), 3)


if __name__ == "__main__":
    main()
