#!/usr/bin/env python3
"""The cluster test bed itself (clusterbed.py), against what accelnetd does today: corosync
forms in three namespaces and is quorate on every node, every accelnetd answers on its own
bus from inside its node's namespace on its own simulated host, killing a corosync (or
cutting a node's link) leaves the other two a quorate pair, and teardown - normal, on
CTest's SIGTERM, or after a SIGKILL of the test - leaves no namespace, process or
/dev/shm file behind."""
import json
import os
import signal
import subprocess
import sys
import time
import unittest

import clusterbed
from clusterbed import CLUSTER_NAME, Cluster, alive, domain, namespaces, node_host, qb_files, wait_until

# unequal nodes: the bed gives every node its own simulated host
HOSTS = [node_host((8, 8)), node_host((8, 4)), node_host((4, 2))]


class Bed(unittest.TestCase):
    """One cluster for the whole class; the tests run in the order of their numbers and each
    leaves the cluster whole again (test_9 tears it down and checks what is left)."""

    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(3, hosts=HOSTS)
        cls.c.start()

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()


    def test_1_corosync_forms_and_is_quorate_everywhere(self):
        c = self.c
        self.assertLess(c.timings["corosync quorate"], 10)
        for n in c:
            q = n.quorum()
            self.assertIsNotNone(q, f"{n.name}: corosync-quorumtool does not answer")
            self.assertTrue(q["quorate"], q["text"])
            self.assertEqual(q["members"], [1, 2, 3], q["text"])
            self.assertEqual(q["total_votes"], 3, q["text"])
            self.assertRegex(q["text"], rf"\b{n.nodeid}\s+1\s+{n.name} \(local\)")
            p = n.in_ns("corosync-cmapctl", "-g", "totem.cluster_name")
            self.assertIn(f"= {CLUSTER_NAME}", p.stdout, p)
            p = n.in_ns("corosync-cmapctl", "-g", "runtime.votequorum.this_node_id")
            self.assertIn(f"= {n.nodeid}", p.stdout, p)
            # corosync runs in the node's namespace, with its /run private: its pid file is
            # in the node's folder, and the host's /run does not show the bind mount
            self.assertEqual(self.netns_of(n.corosync.pid), n.ns)
            with open(os.path.join(n.dir, "corosync", "run", "corosync.pid")) as f:
                self.assertEqual(int(f.read().strip()), n.corosync.pid)
        self.assertEqual(c.token_losses(), [0, 0, 0], "the token was lost after the cluster formed")
        with open("/proc/self/mountinfo") as f:
            mounts = f.read()
        for n in c:
            self.assertNotIn(os.path.join(n.dir, "corosync", "run"), mounts, "the bind mount leaked to the host")

    def test_2_every_accelnetd_answers_on_its_own_bus(self):
        c = self.c
        addresses = {n.env.address for n in c}
        self.assertEqual(len(addresses), 3)
        version = None
        for n, want in zip(c, ((8, 8), (8, 4), (4, 2))):
            r = n.env.run(["busctl", "--system", "--json=short", "get-property", "org.accelnet1", "/org/accelnet1",
                           "org.accelnet1.Manager", "Version"])
            self.assertEqual(r.rc, 0, r)
            v = json.loads(r.out)["data"]
            self.assertRegex(v, r"^\d+\.\d+")
            self.assertTrue(version is None or v == version)
            version = v
            self.assertEqual(self.netns_of(n.accelnetd.pid), n.ns, f"{n.name}: accelnetd outside its namespace")
            # its own simulated host: its PFs with their TotalVFs
            r = n.busctl("ListAdapters")
            self.assertEqual(r.rc, 0, r)
            self.assertEqual(sorted((a[1], a[4]) for a in r.data[0]), [("ens1", want[0]), ("ens2", want[1])])
            # accelnetctl on the node's bus
            r = n.ctl("status", "--json")
            self.assertEqual(r.rc, 0, r)

    def test_3_killing_a_corosync_leaves_a_quorate_pair(self):
        c = self.c
        killed = c.node(3).corosync.pid
        # a client connected to it, as accelnetd will be: libqb makes a /dev/shm folder per
        # connection, which a corosync killed with SIGKILL leaves behind
        # (corosync-cmapctl -t runs until it reads "q" on its stdin: a pipe kept open)
        tracker = subprocess.Popen(["ip", "netns", "exec", c.node(3).ns, "corosync-cmapctl", "-t", "totem"],
                                   stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.addCleanup(self.end, tracker)
        wait_until(lambda: any(f.startswith(f"/dev/shm/qb-{killed}-{tracker.pid}-") for f in qb_files(killed)), 5,
                   what="the tracker's connection folder in /dev/shm")
        t0 = time.monotonic()
        c.kill_corosync(3, signal.SIGKILL)
        c.wait_quorate([1, 2], members=[1, 2], timeout=15)
        took = time.monotonic() - t0
        print(f"\n  kill -9 of node3's corosync: nodes 1-2 see 2 members after {took:.2f} s "
              f"(token timeout {c.token_timeout:.2f} s)", file=sys.stderr)
        self.assertLess(took, c.token_timeout * 2.2 + 1)     # token + consensus (1.2 x token) + slack
        for i in (1, 2):
            q = c.node(i).quorum()
            self.assertEqual((q["members"], q["total_votes"], q["quorate"]), ([1, 2], 2, True), q["text"])
        self.assertIsNone(c.node(3).quorum())                 # nobody answers in node3's namespace
        self.assertEqual(qb_files(killed), [])               # removed by the bed
        c.start_corosync(3)
        took = c.wait_quorate(timeout=15)
        print(f"  node3's corosync again: 3 members after {took:.2f} s", file=sys.stderr)

    def test_4_a_cut_link_splits_and_heals(self):
        c = self.c
        t0 = time.monotonic()
        c.cut_link(3)
        c.wait_quorate([1, 2], members=[1, 2], timeout=15)
        wait_until(lambda: (q := c.node(3).quorum()) and not q["quorate"] and q["members"] == [3], 15,
                   what="node3 alone and not quorate")
        print(f"\n  node3's link cut: split seen after {time.monotonic() - t0:.2f} s", file=sys.stderr)
        self.assertIn("Activity blocked", c.node(3).quorum()["text"])
        t0 = time.monotonic()
        c.restore_link(3)
        c.wait_quorate(timeout=15)
        print(f"  link restored: 3 members after {time.monotonic() - t0:.2f} s", file=sys.stderr)

    def test_5_accelnetd_restarts_and_domains_stay_per_node(self):
        c = self.c
        c.node(1).define(domain("only-on-1", 1))
        c.node(3).define(domain("only-on-3", 3, running=False))
        self.assertEqual(c.node(1).domain_names(), ["only-on-1"])
        self.assertEqual(c.node(2).domain_names(), [])
        self.assertEqual(c.node(3).domain_names(), ["only-on-3"])
        old = c.node(2).accelnetd.pid
        c.kill_accelnetd(2, signal.SIGKILL)
        self.assertFalse(alive(old))
        c.start_accelnetd(2)
        self.assertNotEqual(c.node(2).accelnetd.pid, old)
        self.assertEqual(self.netns_of(c.node(2).accelnetd.pid), c.node(2).ns)
        self.assertRegex(c.node(2).prop("Version"), r"^\d+\.\d+")
        # node1's accelnetd sees the domain of its own libvirtd (with cluster mode, the other
        # nodes list it too: test_cluster.py)
        self.assertIn("only-on-1", [r[0] for r in c.node(1).busctl("ListVMs").data[0]])

    def test_9_teardown_leaves_nothing(self):
        c = self.c
        pids = c.pids()
        self.assertGreaterEqual(len(pids), 3 * 5)           # bus, libvirtd, holder, corosync, accelnetd
        self.assertTrue(any(ns.startswith(c.prefix) for ns in namespaces()))
        t0 = time.monotonic()
        c.stop()
        print(f"\n  teardown: {time.monotonic() - t0:.2f} s", file=sys.stderr)
        self.assertEqual(c.leftovers(), [])
        self.assertEqual([p for p in pids if alive(p)], [])
        self.assertFalse(any(os.path.exists(n.dir) for n in c))

    @staticmethod
    def end(p):
        if p.poll() is None:
            p.kill()
        p.wait(5)
        p.stdin.close()

    @staticmethod
    def netns_of(pid):
        p = subprocess.run(["ip", "netns", "identify", str(pid)], capture_output=True, text=True)
        return p.stdout.strip()


CHILD = """
import json, signal, sys, time
sys.path.insert(0, {here!r})
import clusterbed
signal.signal(signal.SIGTERM, clusterbed._terminate)
c = clusterbed.Cluster(2, verbose=False)
c.start()
print(json.dumps({{"prefix": c.prefix, "pids": sorted(c.pids()), "dirs": [n.dir for n in c]}}), flush=True)
time.sleep(120)
"""


class Teardown(unittest.TestCase):
    """A test process that dies: by SIGTERM (CTest's timeout) its handler tears the cluster
    down; by SIGKILL every process dies with it (parent-death signal) and the namespaces
    left are swept by the next cluster's start."""

    def child(self):
        p = subprocess.Popen([sys.executable, "-c", CHILD.format(here=os.path.dirname(os.path.abspath(__file__)))],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(self.reap, p)
        line = p.stdout.readline()
        if not line:
            p.wait(10)
            self.fail(f"the child's cluster did not start: {p.stderr.read()[-3000:]}")
        info = json.loads(line)
        self.assertTrue(all(alive(pid) for pid in info["pids"]))
        return p, info

    @staticmethod
    def reap(p):
        if p.poll() is None:
            p.kill()
            p.wait(10)
        p.stdout.close()
        p.stderr.close()

    def assertNothingLeft(self, info):
        wait_until(lambda: not any(alive(pid) for pid in info["pids"]), 10, what="every process of the child's cluster gone")
        self.assertEqual([f for pid in info["pids"] for f in qb_files(pid)], [])
        self.assertEqual([ns for ns in namespaces() if ns.startswith(info["prefix"])], [])
        self.assertFalse(any(os.path.exists(d) for d in info["dirs"]))
        self.assertFalse(os.path.exists(os.path.join(clusterbed.MANIFEST_DIR, info["prefix"] + ".json")))

    def test_sigterm_tears_down(self):
        p, info = self.child()
        p.send_signal(signal.SIGTERM)
        self.assertEqual(p.wait(30), 128 + signal.SIGTERM)
        self.assertNothingLeft(info)

    def test_sigkill_leaves_namespaces_that_the_next_start_sweeps(self):
        p, info = self.child()
        p.kill()
        p.wait(10)
        # the processes die with it; the namespaces, folders and manifest stay
        wait_until(lambda: not any(alive(pid) for pid in info["pids"]), 10, what="the child's processes gone")
        left = [ns for ns in namespaces() if ns.startswith(info["prefix"])]
        self.assertEqual(len(left), 3)                       # two nodes and the bridge
        manifest = os.path.join(clusterbed.MANIFEST_DIR, info["prefix"] + ".json")
        self.assertTrue(os.path.exists(manifest))
        self.assertTrue(all(os.path.isdir(d) for d in info["dirs"]))
        swept = clusterbed.sweep_stale()
        self.assertEqual(sorted(left), sorted(ns for ns in swept if ns.startswith(info["prefix"])))
        self.assertNothingLeft(info)
        self.assertFalse(os.path.exists(manifest))


if __name__ == "__main__":
    clusterbed.main()
