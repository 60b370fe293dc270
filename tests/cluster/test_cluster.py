#!/usr/bin/env python3
"""Cluster mode (DESIGN §2 "Cluster", §3 additions) on three corosync nodes of unequal
capacity: forming and quorum, management set on any node and in force on all, the node
reserve's arithmetic over members, the hyperthreading check, VM verbs forwarded to the node
that has the VM, cluster-wide admission under concurrent clients, a node's corosync killed,
an accelnetd killed and restarted, a partition and its healing, every accelnetd restarted.

The contract these tests hold accelnetd to:
  properties  ClusterName s (cmap totem.cluster_name, "" without corosync), ClusterNodes u
              (members now), Quorate b (true on a cluster of one); UsableVFs = the cluster's
              U, AssignedVFs = VFs assigned cluster-wide, the same on every node
  ListNodes        a(ussbuuus)  node id, name, member/lost, hyperthreading, capacity, usable
                                share, assigned on that node, note
  ListClusterVMs   a(ssssss)    vm, node name, enabled/disabled, performance, VF, note
  ListVMs          a(sssss)     as before, every VM of the cluster
  error NoQuorum   Enable/Set/Disable/EnableVM on a node without quorum
  U = total capacity - the capacities of the k largest members, k = min(N - 1,
  ceil(N * reserve / 100)); EnableVM refused with ClusterNotEnoughResources when
  assigned + 1 > U; HyperthreadingCheckFailed names the odd nodes; EnableVM/SetVM/DisableVM
  from any node for a VM on any node, NoSuchVM only when no node has it.

One cluster serves every test of the file; setUp puts it back whole and disabled."""
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import unittest

import clusterbed
import harness
from clusterbed import (CLUSTER_NAME, Cluster, NodeEnv, compute_intent, domain, node_host, sh, usable,
                        wait_until)

ERR = "org.accelnet1.Error."
TOTALS = [(8, 8), (8, 4), (4, 4)]              # node1 16 VFs, node2 12, node3 8
CAPS = [sum(t) for t in TOTALS]
HOSTS = [node_host(t) for t in TOTALS]
# The concurrency test runs 24 clients at once; the daemon's own limit on slow operations
# (max_concurrent_operations, default 8, Busy beyond) is not what it is about.
CONFIG = {"node_reserve_default": 50, "max_concurrent_operations": 32,
          # test_18 takes a link down right after Enable: no grace after accelnet's own reset
          "health": {"reset_grace_s": 0}}
CONCURRENT = 24                                 # 3 nodes x 8 clients
CV = [f"cv{k:02d}" for k in range(CONCURRENT)]  # cvK lives on node K % 3 + 1


def cv_node(k):
    return k % 3 + 1


def domains_of(i):
    d = [domain(name, 100 + k) for k, name in enumerate(CV) if cv_node(k) == i]
    if i == 3:
        d.append(domain("far3", 1))
    if i == 1:
        d.append(domain("near1", 2, running=False))
    return d


ALL_VMS = sorted(CV + ["far3", "near1"])
HOME = {**{name: cv_node(k) for k, name in enumerate(CV)}, "far3": 3, "near1": 1}
CONVERGE = 5          # s: a replicated change seen on every member
HOOK = os.path.join(harness.BUILD_DIR, "src", "accelnet-hook")


def without_vf(xml):
    """The domain XML without accelnet's VF interface: the portable form of a definition
    (the accelnet setting in <metadata> and the virtio NIC stay)."""
    return re.sub(r"<interface\b(?:(?!</interface>).)*?" + re.escape(harness.VF_ALIAS) + r".*?</interface>", "",
                  xml, flags=re.S)


def settle(check, timeout=CONVERGE):
    """clusterbed.settle with this file's default timeout."""
    return clusterbed.settle(check, timeout)


class Base(unittest.TestCase):
    c = None

    # ---- reading a node -----------------------------------------------------------------
    def settings(self, n):
        return (n.prop("Enabled"), n.prop("IntentName"), n.prop("NodeReservePercentage"))

    def nodes_rows(self, n):
        r = n.busctl("ListNodes")
        self.assertEqual(r.rc, 0, r)
        return {row[0]: row for row in r.data[0]}

    def cluster_vms(self, n):
        r = n.busctl("ListClusterVMs")
        self.assertEqual(r.rc, 0, r)
        return {row[0]: row for row in r.data[0]}

    def ok(self, r, what=""):
        self.assertEqual(r.rc, 0, f"{what}: {r}")
        return r

    BUSY_AFTER_CHANGE = 3      # s

    def call_after_change(self, n, method, *args):
        """A call made right after a membership change: accelnetd answers Busy ("the cluster
        is synchronising after a membership change; retry in a moment") until its state
        sync is done, which the contract does not mention; a client retries. Retried for
        BUSY_AFTER_CHANGE seconds at most, and said when it happened."""
        t0 = time.monotonic()
        while True:
            r = n.call(method, *args)
            if r.error_name != ERR + "Busy" or time.monotonic() - t0 > self.BUSY_AFTER_CHANGE:
                break
            time.sleep(0.05)
        if time.monotonic() - t0 > 0.04:
            print(f"\n  {n.name} {method}: Busy for {time.monotonic() - t0:.2f} s after a membership change",
                  file=sys.stderr)
        return r

    def assertError(self, r, name, contains=None):
        self.assertNotEqual(r.rc, 0, f"expected {name}, got success: {r}")
        self.assertEqual(r.error_name, name, r)
        if contains:
            self.assertIn(contains, r.err)

    def wait_members(self, nodes, count, timeout=10):
        """Every node of `nodes` (indexes) answers ClusterNodes == count and Quorate."""
        def check():
            for i in nodes:
                n = self.c.node(i)
                self.assertEqual((n.prop("ClusterNodes"), n.prop("Quorate")), (count, True), n.name)
        settle(check, timeout)

    def assertSettings(self, want, nodes=(1, 2, 3), timeout=CONVERGE):
        settle(lambda: [self.assertEqual(self.settings(self.c.node(i)), want, f"node{i}") for i in nodes], timeout)

    def assertUsable(self, want, nodes=(1, 2, 3), timeout=CONVERGE):
        settle(lambda: [self.assertEqual(self.c.node(i).prop("UsableVFs"), want, f"node{i}") for i in nodes], timeout)

    def assertAssigned(self, want, nodes=(1, 2, 3), timeout=CONVERGE):
        settle(lambda: [self.assertEqual(self.c.node(i).prop("AssignedVFs"), want, f"node{i}") for i in nodes],
               timeout)

    # ---- moving VMs -----------------------------------------------------------------------
    def hook(self, n, vm, op, sub, xml):
        """accelnet-hook on node n as libvirtd runs it: the domain XML on standard input."""
        return subprocess.run([HOOK, vm, op, sub, "-"], input=xml, env=n.env.env(), capture_output=True, text=True,
                              timeout=60)

    def create(self, n, vm, xml):
        """`virsh create` of a domain XML on node n (a transient domain, as an incoming migration
        or an HA manager's start from a file makes it)."""
        path = os.path.join(n.dir, f"{vm}.create.xml")
        with open(path, "w") as f:
            f.write(xml)
        n.virsh("create", path)

    def held_on(self, n):
        """{domain: [VF]} of node n's libvirt: the VFs in a domain's persistent XML and, when it
        runs, in its live XML (each once)."""
        running = set(n.domain_names(running=True))
        held = {}
        for d in n.domain_names():
            vfs = [h["pci"] for h in n.env.hostdevs(d, inactive=True)]
            if d in running:
                vfs += [h["pci"] for h in n.env.hostdevs(d, inactive=False)]
            held[d] = sorted(set(vfs))
        return held

    def enable_running(self, n, vm, tier):
        """EnableVM of a running VM whose virtio NIC was started without teaming: the VF applies
        at its next start, so it is started again (as an admin would) until it runs with it."""
        self.ok(n.call("EnableVM", f"string:{vm}", f"string:{tier}"), f"EnableVM {vm}")
        n.virsh("destroy", vm)
        n.virsh("start", vm)
        vf = [h["pci"] for h in n.hostdevs(vm)]
        settle(lambda: self.assertEqual([h["pci"] for h in n.env.hostdevs(vm, inactive=False)], vf, "live"))
        return vf[0]

    def disable_running(self, n, vm):
        """The test driver cannot take a device out of a running domain: the VM is stopped,
        disabled and started again (back to setUp's state, its NIC without the VF)."""
        n.virsh("destroy", vm, check=False)
        self.ok(self.call_after_change(n, "DisableVM", f"string:{vm}"), f"DisableVM {vm}")
        n.virsh("start", vm)

    def assertOwnership(self, nodes=(1, 2, 3)):
        """On every node of `nodes`: no VF in the XML of two domains, no VF recorded for two
        VMs, every VF in a domain's XML recorded for that domain, and every VM accelnetd lists
        with a VF on that node holds exactly that VF in its XML (or, when libvirt could not
        plug it into the running domain, its note says it applies at the next start)."""
        for i in nodes:
            n = self.c.node(i)
            held = self.held_on(n)
            flat = [v for vfs in held.values() for v in vfs]
            self.assertEqual(len(flat), len(set(flat)), f"{n.name}: a VF twice: {held}")
            rows = {r[0]: r for r in self.ok(n.busctl("ListClusterVMs")).data[0] if r[1] == n.name and r[4]}
            recorded = {r[4]: vm for vm, r in rows.items()}
            self.assertEqual(len(recorded), len(rows), f"{n.name}: a VF recorded twice: {rows}")
            for d, vfs in held.items():
                for v in vfs:
                    self.assertEqual(recorded.get(v), d, f"{n.name}: {v} in the XML of {d}: {rows}")
            for vm, r in rows.items():
                if held.get(vm) != [r[4]]:
                    self.assertEqual(held.get(vm), [], f"{n.name}: {vm} listed with {r[4]}: {held}")
                    self.assertIn("applies at next start", r[5], f"{n.name}: {vm}: {r}")

    def assertGivenLive(self, n, vm, vf, row):
        """vm on node n got VF vf while it runs: in its live XML, or (libvirt's test driver has
        no device hot-plug; tests/e2e does it with QEMU) the live attach was tried and the
        driver refused it, which the VM's note says."""
        live = [h["pci"] for h in n.env.hostdevs(vm, inactive=False)]
        if live != [vf]:
            self.assertEqual(live, [], f"{vm} on {n.name}")
            self.assertIn("applies at next start", row[5], f"{vm} on {n.name}: {row}")
            with open(os.path.join(n.dir, "accelnetd.log"), errors="replace") as f:
                self.assertIn(f"VF {vf} in domain {vm}: config unchanged, applies at next start: live attach not "
                              "supported", f.read(), f"{vm} on {n.name}: no live attach was tried")

    def rows_on(self, n, vm):
        """ListClusterVMs rows of vm (one per node that lists it)."""
        return sorted(tuple(r) for r in self.ok(n.busctl("ListClusterVMs")).data[0] if r[0] == vm)

    def put_back(self, vm, home, *elsewhere):
        """After a move: vm gone from the nodes `elsewhere`, defined and running on its home
        node again as the cluster's domains_of() made it."""
        for i in elsewhere:
            n = self.c.node(i)
            if vm in n.domain_names():
                n.virsh("destroy", vm, check=False)
                n.virsh("undefine", vm, check=False)
        h = self.c.node(home)
        if vm not in h.domain_names():
            h.define(next(d for d in domains_of(home) if f"<name>{vm}</name>" in d))

    def numvfs(self, i):
        n = self.c.node(i)
        return [int(n.sysfs(f"sys/bus/pci/devices/0000:{1 + 2 * p:02x}:00.0/sriov_numvfs")) for p in range(2)]


class ClusterMode(Base):
    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(3, hosts=HOSTS, intents=compute_intent(), configs=CONFIG,
                        domains=[domains_of(i) for i in (1, 2, 3)])
        took = cls.c.start_and_wait_members()
        print(f"  every accelnetd sees 3 members {took:.2f} s after corosync was quorate", file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        # the tests' own faults (a kill -9, two cuts) cost a few; many more on a node mean
        # stalls, which may explain a failure
        print(f"\n  corosync token losses per node: {cls.c.token_losses()}", file=sys.stderr)
        cls.c.stop()

    def setUp(self):
        """Back to a whole, disabled cluster: every corosync and accelnetd running, every link
        up, the default hosts, no VM enabled, management disabled."""
        c = self.c
        for n, host in zip(c, HOSTS):
            c.restore_link(n.index)
            if n.host_json != host:
                n.set_host(host)
            if not n.corosync_running:
                n.start_corosync()
            if n.accelnetd is None or n.accelnetd.poll() is not None:
                if n.accelnetd is not None:
                    n.stop_accelnetd()
                n.start_accelnetd()
        c.wait_quorate(timeout=15)
        self.wait_members((1, 2, 3), 3, timeout=15)
        n1 = c.node(1)
        for vm, row in self.cluster_vms(n1).items():
            if row[2] == "enabled":
                self.ok(self.call_after_change(n1, "DisableVM", f"string:{vm}"), f"reset: DisableVM {vm}")
        self.ok(self.call_after_change(n1, "Disable"), "reset: Disable")
        settle(lambda: [self.assertFalse(n.prop("Enabled"), n.name) for n in c])

    def cluster_prereq(self, n):
        """GetPrerequisites' cluster rows of node n: (check, subject) -> [result, code, detail]."""
        r = n.busctl("GetPrerequisites")
        self.assertEqual(r.rc, 0, r)
        return {(row[0], row[1]): row[2:] for row in r.data[0] if row[0].startswith("cluster-")}

    def enable(self, reserve, on=1, intent="compute"):
        """Enable on one node; returns once every node has the settings and its VFs. Enable
        returns before the other nodes have provisioned (each does so on its own when the
        change reaches it), and a VM verb for a node still provisioning gets Busy."""
        self.ok(self.c.node(on).call("Enable", f"string:{intent}", f"uint32:{reserve}"), f"Enable on node{on}")
        self.assertSettings((True, intent, reserve))
        self.assertProvisioned()

    def assertProvisioned(self, nodes=(1, 2, 3), timeout=CONVERGE):
        """Every node's accelnetd lists all VFs of its adapters enabled (ListAdapters)."""
        def check():
            for i in nodes:
                rows = {a[1]: a for a in self.c.node(i).busctl("ListAdapters").data[0]}
                self.assertEqual([rows[f"ens{p + 1}"][5] for p in range(2)], list(TOTALS[i - 1]), f"node{i}'s VFs")
        settle(check, timeout)

    # ---- scenarios ----------------------------------------------------------------------
    def test_01_forming_and_quorum(self):
        c = self.c
        for n in c:
            self.assertEqual(n.prop("ClusterName"), CLUSTER_NAME, n.name)
            self.assertEqual(n.prop("ClusterNodes"), 3, n.name)
            self.assertTrue(n.prop("Quorate"), n.name)
        views = []
        for n in c:
            rows = self.nodes_rows(n)
            self.assertEqual(sorted(rows), [1, 2, 3], n.name)
            for i, row in rows.items():
                self.assertEqual(len(row), 8, row)
                self.assertEqual(row[1:4], [f"node{i}", "member", False], f"{n.name}'s view of node{i}")
            views.append({i: row[:4] for i, row in rows.items()})
        self.assertTrue(views[0] == views[1] == views[2], views)
        # ListVMs (unchanged signature) and ListClusterVMs list every VM of the cluster, on every node
        for n in c:
            r = n.busctl("ListVMs")
            self.assertEqual(r.rc, 0, r)
            self.assertTrue(all(len(row) == 5 for row in r.data[0]))
            self.assertEqual(sorted(row[0] for row in r.data[0]), ALL_VMS, n.name)
            vms = self.cluster_vms(n)
            self.assertEqual(sorted(vms), ALL_VMS, n.name)
            for vm, row in vms.items():
                self.assertEqual(len(row), 6, row)
                self.assertEqual((row[1], row[2], row[4]), (f"node{HOME[vm]}", "disabled", ""), f"{n.name}: {row}")

    def test_02_enable_on_node1_is_in_force_on_all(self):
        c = self.c
        self.enable(50, on=1)
        # each node provisions its own VFs, on its own adapters
        for i, totals in zip((1, 2, 3), TOTALS):
            settle(lambda: self.assertEqual(self.numvfs(i), list(totals), f"node{i}'s sriov_numvfs"))
            adapters = {a[1]: a for a in c.node(i).busctl("ListAdapters").data[0]}
            self.assertEqual([adapters[f"ens{p + 1}"][4:6] for p in range(2)], [[t, t] for t in totals])
        for n in c:
            rows = self.nodes_rows(n)
            self.assertEqual([rows[i][4] for i in (1, 2, 3)], CAPS, f"{n.name}: capacities")
            self.assertEqual([rows[i][6] for i in (1, 2, 3)], [0, 0, 0], f"{n.name}: assigned")
            for i in (1, 2, 3):
                self.assertLessEqual(rows[i][5], rows[i][4], f"{n.name}: node{i}'s usable share above its capacity")
            # "the node's share of U": how U is split is not said; the shares cannot add up to more
            self.assertLessEqual(sum(rows[i][5] for i in (1, 2, 3)), usable(CAPS, 50), f"{n.name}: usable shares")
        self.assertUsable(usable(CAPS, 50))
        self.assertAssigned(0)
        # GetPrerequisites' cluster rows, the same on every node
        for n in c:
            def rows_ok():
                rows = self.cluster_prereq(n)
                self.assertEqual(rows[("cluster-quorum", CLUSTER_NAME)][0], "Passed", n.name)
                self.assertIn("3 member node(s)", rows[("cluster-quorum", CLUSTER_NAME)][2])
                self.assertEqual(rows[("cluster-hyperthreading", "cluster")][0], "Passed", n.name)
                self.assertEqual(rows[("cluster-tiers", "cluster")][0], "Passed", n.name)
                self.assertEqual(rows[("cluster-versions", "cluster")][0], "Passed", n.name)
                for i, cap in zip((1, 2, 3), CAPS):
                    result, _code, detail = rows[("cluster-intent", f"node{i}")]
                    self.assertEqual((result, detail), ("Passed", f"Intent 'compute': {cap} VFs on node{i}."))
            settle(rows_ok)
        # idempotent on any node; other values need Set
        self.ok(c.node(2).call("Enable", "string:compute", "uint32:50"), "the same Enable again on node2")
        self.assertError(c.node(3).call("Enable", "string:compute", "uint32:20"), ERR + "AlreadyEnabled")
        self.assertSettings((True, "compute", 50))
        # Set on node3, Disable on node2: on all
        self.ok(c.node(3).call("Set", "string:", "uint32:20"), "Set on node3")
        self.assertSettings((True, "compute", 20))
        self.assertUsable(usable(CAPS, 20))
        self.ok(c.node(2).call("Disable"), "Disable on node2")
        settle(lambda: [self.assertFalse(n.prop("Enabled"), n.name) for n in c])

    def test_03_reserve_arithmetic_over_members(self):
        c = self.c
        self.enable(0)
        for step, reserve in enumerate((0, 1, 20, 33, 34, 50, 66, 67, 99)):
            on = c.node(step % 3 + 1)
            self.ok(on.call("Set", "string:", f"uint32:{reserve}"), f"Set {reserve} on {on.name}")
            self.assertSettings((True, "compute", reserve))
            self.assertUsable(usable(CAPS, reserve))
        # two members: the largest node leaves (SIGTERM: a clean leave); U over nodes 2 and 3
        c.kill_corosync(1, signal.SIGTERM)
        self.wait_members((2, 3), 2, timeout=10)
        settle(lambda: self.assertEqual(self.nodes_rows(c.node(2))[1][2], "lost"))
        for reserve in (99, 50, 49, 0):
            self.ok(c.node(2).call("Set", "string:", f"uint32:{reserve}"), f"Set {reserve} on node2")
            self.assertSettings((True, "compute", reserve), nodes=(2, 3))
            self.assertUsable(usable(CAPS[1:], reserve), nodes=(2, 3))
        # node1 back: three members, its capacity counts again, and it took the last Set
        c.start_corosync(1)
        self.wait_members((1, 2, 3), 3, timeout=15)
        self.assertSettings((True, "compute", 0))
        self.assertUsable(usable(CAPS, 0))
        self.assertEqual(usable(CAPS, 0), sum(CAPS))

    def test_04_hyperthreading_mismatch_is_refused_naming_the_odd_node(self):
        c = self.c
        n3 = c.node(3)
        before = [self.numvfs(i) for i in (1, 2)]       # Disable leaves VFs: earlier tests' stay
        n3.set_host(node_host(TOTALS[2], smt=1))          # a fresh host: no VFs
        n3.start_accelnetd()
        self.wait_members((1, 2, 3), 3, timeout=15)
        self.assertTrue(n3.prop("HyperthreadingEnabled"))
        settle(lambda: self.assertEqual([self.nodes_rows(c.node(1))[i][3] for i in (1, 2, 3)], [False, False, True]))
        for on in (1, 3):
            r = c.node(on).call("Enable", "string:compute", "uint32:50")
            self.assertError(r, ERR + "HyperthreadingCheckFailed", "node3")
        # and GetPrerequisites says so on every node, naming both sides
        for n in c:
            settle(lambda: self.assertEqual(self.cluster_prereq(n)[("cluster-hyperthreading", "cluster")][:2],
                                            ["Failed", "HyperthreadingCheckFailed"], n.name))
            detail = self.cluster_prereq(n)[("cluster-hyperthreading", "cluster")][2]
            self.assertIn("on on node3 and off on node1, node2", detail)
        for n in c:
            self.assertFalse(n.prop("Enabled"), n.name)
        self.assertEqual([self.numvfs(i) for i in (1, 2)], before, "VFs changed by a refused Enable")
        self.assertEqual(self.numvfs(3), [0, 0], "node3 provisioned VFs for a refused Enable")

    def test_05_vm_verbs_are_forwarded_to_the_vms_node(self):
        c = self.c
        n1, n2, n3 = c.node(1), c.node(2), c.node(3)
        self.enable(0)
        self.ok(n1.call("EnableVM", "string:far3", "string:Low"), "EnableVM far3 from node1")

        def same_everywhere():
            rows = [self.cluster_vms(n)["far3"] for n in c]
            self.assertTrue(rows[0] == rows[1] == rows[2] and rows[0][2] == "enabled", rows)
            return rows[0]
        vm, node, state, perf, vf, _note = settle(same_everywhere)
        self.assertEqual((node, state, perf.lower()), ("node3", "enabled", "low"))
        # the VF is node3's: in node3's libvirt XML, a VF of one of node3's PFs
        self.assertEqual([h["pci"] for h in n3.hostdevs("far3")], [vf])
        self.assertIn(os.path.basename(os.readlink(os.path.join(n3.env.root, f"sys/bus/pci/devices/{vf}/physfn"))),
                      ("0000:01:00.0", "0000:03:00.0"))
        for n in (n1, n2):
            self.assertNotIn("far3", n.domain_names())
        self.assertAssigned(1)
        for n in c:
            settle(lambda: self.assertEqual([self.nodes_rows(n)[i][6] for i in (1, 2, 3)], [0, 0, 1], n.name))
            listed = {row[0]: row for row in n.busctl("ListVMs").data[0]}
            self.assertEqual(listed["far3"][1:4], ["enabled", perf, vf], n.name)
        # SetVM from node2, DisableVM from node1
        self.ok(n2.call("SetVM", "string:far3", "string:High"), "SetVM far3 from node2")
        settle(lambda: [self.assertEqual(self.cluster_vms(n)["far3"][3].lower(), "high", n.name) for n in c])
        self.ok(n1.call("DisableVM", "string:far3"), "DisableVM far3 from node1")
        settle(lambda: [self.assertEqual(self.cluster_vms(n)["far3"][2], "disabled", n.name) for n in c])
        self.assertAssigned(0)
        self.assertEqual(n3.hostdevs("far3"), [])
        # NoSuchVM only when no node has the VM
        for method, args in (("EnableVM", ["string:nowhere", "string:Low"]), ("SetVM", ["string:nowhere", "string:High"]),
                             ("DisableVM", ["string:nowhere"])):
            for n in (n1, n3):
                self.assertError(n.call(method, *args), ERR + "NoSuchVM")

    def test_06_concurrent_clients_on_every_node_never_exceed_u(self):
        c = self.c
        self.enable(50)
        u = usable(CAPS, 50)
        self.assertLess(u, CONCURRENT)
        barrier = threading.Barrier(CONCURRENT)
        results = [None] * CONCURRENT

        def client(k):
            on = c.node(k // 8 + 1)                  # 8 clients per node, most for VMs on another node
            barrier.wait()
            results[k] = on.call("EnableVM", f"string:{CV[k]}", "string:Low")

        threads = [threading.Thread(target=client, args=(k,)) for k in range(CONCURRENT)]
        t0 = time.monotonic()
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        print(f"\n  {CONCURRENT} concurrent EnableVM: {time.monotonic() - t0:.2f} s", file=sys.stderr)
        self.assertNotIn(None, results, "a client did not return")
        done = [CV[k] for k, r in enumerate(results) if r.rc == 0]
        refused = {CV[k]: r.error_name for k, r in enumerate(results) if r.rc != 0}
        self.assertEqual(set(refused.values()) - {ERR + "ClusterNotEnoughResources"}, set(), refused)
        self.assertLessEqual(len(done), u)
        self.assertEqual(len(done), u, "refused with ClusterNotEnoughResources while below U")
        self.assertAssigned(len(done))
        for n in c:
            settle(lambda: self.assertEqual(sorted(vm for vm, row in self.cluster_vms(n).items() if row[2] == "enabled"),
                                            sorted(done), n.name))
            settle(lambda: self.assertEqual(sum(row[6] for row in self.nodes_rows(n).values()), len(done), n.name))
        # every enabled VM has one VF in its own node's XML; no VF twice on a node
        for i in (1, 2, 3):
            n = c.node(i)
            vfs = {vm: [h["pci"] for h in n.hostdevs(vm)] for vm in n.domain_names()}
            mine = [vm for vm in done if HOME[vm] == i]
            self.assertEqual(sorted(vm for vm, v in vfs.items() if v), sorted(mine), n.name)
            flat = [x for v in vfs.values() for x in v]
            self.assertEqual(len(flat), len(set(flat)), f"{n.name}: a VF twice: {vfs}")

    def test_07_a_killed_corosync_takes_its_nodes_capacity_out_of_u(self):
        c = self.c
        self.enable(0)
        self.assertUsable(sum(CAPS))
        t0 = time.monotonic()
        c.kill_corosync(3, signal.SIGKILL)
        # the contract: within the token timeout + 1 s. corosync itself needs the token
        # timeout plus consensus (1.2 x token) to re-form, ~0.7 s with token 300 ms, which
        # leaves accelnetd ~0.6 s; a token of 1 s or more could not meet it at all.
        deadline = c.token_timeout + 1
        settle(lambda: self.assertUsable(CAPS[0] + CAPS[1], nodes=(1, 2), timeout=0), deadline)
        took = time.monotonic() - t0
        print(f"\n  kill -9 of node3's corosync: UsableVFs {sum(CAPS)} -> {CAPS[0] + CAPS[1]} on nodes 1-2 "
              f"after {took:.2f} s (allowed {deadline:.2f} s)", file=sys.stderr)
        self.wait_members((1, 2), 2, timeout=1)
        settle(lambda: self.assertEqual(self.nodes_rows(c.node(1))[3][2], "lost"))
        # node3's VMs are still listed, as lost with it, and counted nowhere
        for i in (1, 2):
            vms = self.cluster_vms(c.node(i))
            lost = sorted(vm for vm, row in vms.items() if row[1] == "node3")
            self.assertEqual(lost, sorted(vm for vm in ALL_VMS if HOME[vm] == 3), f"node{i}")
            for vm in lost:
                self.assertTrue(vms[vm][5].startswith("lost with node3"), vms[vm])
        c.start_corosync(3)
        self.wait_members((1, 2, 3), 3, timeout=15)
        self.assertUsable(sum(CAPS))
        self.assertSettings((True, "compute", 0))

    def test_08_a_killed_accelnetd_comes_back_with_the_settings(self):
        c = self.c
        self.enable(30, on=2)
        c.kill_accelnetd(2, signal.SIGKILL)
        c.start_accelnetd(2)
        self.wait_members((1, 2, 3), 3, timeout=15)
        self.assertSettings((True, "compute", 30))
        self.assertUsable(usable(CAPS, 30))

    def test_09_a_restarted_accelnetd_catches_up_with_a_change_made_while_it_was_down(self):
        c = self.c
        self.enable(30)
        c.kill_accelnetd(2, signal.SIGKILL)
        self.wait_members((1, 3), 2)
        self.ok(self.call_after_change(c.node(1), "Set", "string:", "uint32:40"), "Set while node2's accelnetd is down")
        self.assertSettings((True, "compute", 40), nodes=(1, 3))
        c.start_accelnetd(2)
        self.wait_members((1, 2, 3), 3, timeout=15)
        self.assertSettings((True, "compute", 40))

    def test_10_a_partition_blocks_the_minority_and_heals(self):
        c = self.c
        n1, n3 = c.node(1), c.node(3)
        n3.set_host(HOSTS[2])          # a fresh host without VFs: node3 provisions only once healed
        n3.start_accelnetd()
        self.wait_members((1, 2, 3), 3, timeout=15)
        self.assertEqual(self.numvfs(3), [0, 0])

        def split():
            t0 = time.monotonic()
            c.cut_link(3)
            settle(lambda: self.assertFalse(n3.prop("Quorate")), 10)
            self.wait_members((1, 2), 2, timeout=10)
            self.assertEqual(n3.prop("ClusterNodes"), 1)
            return time.monotonic() - t0

        def heal():
            t0 = time.monotonic()
            c.restore_link(3)
            self.wait_members((1, 2, 3), 3, timeout=15)
            return time.monotonic() - t0

        # 1. split while disabled: the minority cannot Enable, the majority can
        before = self.settings(n3)
        self.assertFalse(before[0])
        took = split()
        self.assertError(n3.call("Enable", "string:compute", "uint32:50"), ERR + "NoQuorum")
        self.assertFalse(n3.prop("Enabled"))
        self.assertEqual(self.numvfs(3), [0, 0])
        self.ok(n1.call("Enable", "string:compute", "uint32:50"), "Enable on the quorate side")
        self.assertSettings((True, "compute", 50), nodes=(1, 2))     # node2 knows before it is asked
        self.ok(c.node(2).call("Set", "string:", "uint32:30"), "Set on the quorate side")
        self.assertSettings((True, "compute", 30), nodes=(1, 2))
        self.assertEqual(self.settings(n3), before)
        healed = heal()
        self.assertSettings((True, "compute", 30))
        settle(lambda: self.assertEqual(self.numvfs(3), list(TOTALS[2])))
        self.assertUsable(usable(CAPS, 30))
        print(f"\n  split seen {took:.2f} s after the cut, healed {healed:.2f} s after the restore", file=sys.stderr)
        # 2. split while enabled: the minority refuses Set, Disable, EnableVM; the majority Sets
        split()
        self.assertError(n3.call("Set", "string:", "uint32:20"), ERR + "NoQuorum")
        self.assertError(n3.call("Disable"), ERR + "NoQuorum")
        self.assertError(n3.call("EnableVM", "string:far3", "string:Low"), ERR + "NoQuorum")
        self.assertEqual(self.settings(n3), (True, "compute", 30))
        self.assertEqual(self.cluster_vms(n3)["far3"][2], "disabled")
        self.ok(n1.call("Set", "string:", "uint32:40"), "Set on the quorate side")
        self.assertSettings((True, "compute", 40), nodes=(1, 2))
        heal()
        self.assertSettings((True, "compute", 40))
        self.assertUsable(usable(CAPS, 40))
        # the drift is reported: node3 held the older settings
        def cluster_log():
            lines = []
            for m in c:
                try:
                    with open(os.path.join(m.dir, "accelnetd.log")) as f:
                        lines += [f"{m.name}: {line.rstrip()}" for line in f if "Cluster:" in line]
                except OSError:
                    pass
            return "\n".join(lines[-60:])
        # A node reports the drift it took part in: node3 always (its settings were replaced
        # in the first sync it joined), and the majority node(s) it merged with first (under
        # load corosync may merge {3} with one node before the other joins: that one then saw
        # no difference).
        def drift_row(n):
            row = self.cluster_prereq(n).get(("cluster-drift", "settings"))
            return row if row and "node3 had intent 'compute', reserve 30%" in row[2] else None

        def drift():
            row = drift_row(n3)
            self.assertIsNotNone(row, f"node3: no drift row for this merge\n{cluster_log()}")
            self.assertEqual(row[0], "Warning")
            self.assertIn("reserve 40%", row[2])
            self.assertTrue(drift_row(c.node(1)) or drift_row(c.node(2)),
                            f"neither node1 nor node2 reports the drift\n{cluster_log()}")
        settle(drift)

    def test_11_restarting_every_accelnetd_keeps_the_settings(self):
        c = self.c
        self.enable(37, on=2)
        self.ok(c.node(1).call("EnableVM", "string:far3", "string:Low"), "EnableVM far3")
        vf = self.cluster_vms(c.node(3))["far3"][4]
        for n in c:
            n.accelnetd.send_signal(signal.SIGTERM)
        for n in c:
            n.stop_accelnetd()
        for n in c:
            n.start_accelnetd(wait=False)
        for n in c:
            n.env.wait_ready()
        self.wait_members((1, 2, 3), 3, timeout=15)
        self.assertSettings((True, "compute", 37))
        self.assertUsable(usable(CAPS, 37))
        self.assertAssigned(1)
        for n in c:
            row = self.cluster_vms(n)["far3"]
            self.assertEqual((row[1], row[2], row[3].lower(), row[4]), ("node3", "enabled", "low", vf), n.name)
        self.assertEqual([h["pci"] for h in c.node(3).hostdevs("far3")], [vf])

    def test_12_failover_from_the_same_xml_gets_a_distinct_local_vf(self):
        """An HA manager starts a dead node's VM on a survivor from the VM's own XML: the XML
        names node1's VF, which on node2 is another VM's; node2 gives the VM a VF of its own,
        with the tier of its setting, and no VF is held twice there."""
        c = self.c
        n1, n2 = c.node(1), c.node(2)
        self.enable(0)
        vm = CV[0]                                   # node1's
        other = next(name for k, name in enumerate(CV) if cv_node(k) == 2)
        self.ok(n1.call("EnableVM", f"string:{vm}", "string:High"), f"EnableVM {vm}")
        self.ok(n2.call("EnableVM", f"string:{other}", "string:Low"), f"EnableVM {other}")
        old = [h["pci"] for h in n1.hostdevs(vm)]
        self.assertEqual(old, [h["pci"] for h in n2.hostdevs(other)], "the test wants the same address on both")
        xml = n1.env.dumpxml(vm, inactive=True)
        # node1 dies (its corosync and accelnetd)
        c.kill_corosync(1, signal.SIGKILL)
        n1.kill_accelnetd()
        self.wait_members((2, 3), 2, timeout=10)
        path = os.path.join(n2.dir, f"{vm}.xml")
        with open(path, "w") as f:
            f.write(xml)
        try:
            n2.virsh("define", path)
            n2.virsh("start", vm)

            def moved():
                held = {name: [h["pci"] for h in n2.hostdevs(name)] for name in n2.domain_names()}
                self.assertEqual(len(held[vm]), 1, held)
                self.assertNotEqual(held[vm], old, "node1's VF address kept on node2")
                flat = [x for v in held.values() for x in v]
                self.assertEqual(len(flat), len(set(flat)), f"a VF twice on node2: {held}")
                self.assertEqual(held[other], old, f"{other} lost its VF")
                row = self.cluster_vms(n2)[vm]
                self.assertEqual((row[1], row[2], row[3].lower(), row[4]), ("node2", "enabled", "high", held[vm][0]))
            settle(moved, 10)
        finally:
            n2.virsh("destroy", vm, check=False)
            n2.virsh("undefine", vm, check=False)

    def test_13_live_migration_through_the_hook_stages(self):
        """node1 -> node2 as libvirt drives it: migrate begin on node2 claims a VF there with the
        VM's tier (the XML rewritten), prepare begin applies its policy, QEMU runs there; the
        source's release end and the domain leaving node1 free its VF there."""
        c = self.c
        n1, n2 = c.node(1), c.node(2)
        self.enable(0)
        vm = CV[0]
        src = [self.enable_running(n1, vm, "High")]
        self.assertAssigned(1)
        xml = n1.env.dumpxml(vm)
        try:
            p = self.hook(n2, vm, "migrate", "begin", xml)
            self.assertEqual(p.returncode, 0, p.stderr)
            got = harness.hostdev_ifaces(p.stdout)
            self.assertEqual(len(got), 1, p.stdout)
            dst = got[0]["pci"]
            self.assertEqual(got[0]["alias"], harness.VF_ALIAS)
            self.assertNotIn(dst, [v for vfs in self.held_on(n2).values() for v in vfs], "not free on node2")
            self.assertEqual(harness.accel_metadata(p.stdout), {"performance": "High"})
            self.assertAssigned(2)          # the claim counts while the VM moves
            p2 = self.hook(n2, vm, "prepare", "begin", p.stdout)
            self.assertEqual(p2.returncode, 0, p2.stderr)
            self.create(n2, vm, p.stdout)
            # the source: QEMU ends (release end), the domain leaves (--undefinesource)
            self.assertEqual(self.hook(n1, vm, "release", "end", xml).returncode, 0)
            n1.virsh("destroy", vm)
            n1.virsh("undefine", vm)

            def moved():
                for n in c:
                    self.assertEqual(self.rows_on(n, vm), [(vm, "node2", "enabled", "High", dst, "")], n.name)
                self.assertEqual(n1.prop("AssignedVFs"), 1)
                self.assertOwnership()
            settle(moved, 10)
            self.assertNotIn(src[0], [v for vfs in self.held_on(n1).values() for v in vfs])
        finally:
            self.put_back(vm, 1, 2)

    def test_14_a_cancelled_migration_frees_its_claim(self):
        """migrate begin on node2 claims a VF; the migration is cancelled before QEMU ran there
        (release end without a start): the claim is given back, node1 keeps its VF."""
        c = self.c
        n1, n2 = c.node(1), c.node(2)
        self.enable(0)
        vm = CV[0]
        src = [self.enable_running(n1, vm, "Medium")]
        xml = n1.env.dumpxml(vm)
        try:
            p = self.hook(n2, vm, "migrate", "begin", xml)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertAssigned(2)
            self.assertEqual(self.hook(n2, vm, "release", "end", p.stdout).returncode, 0)

            def freed():
                for n in c:
                    self.assertEqual(self.rows_on(n, vm), [(vm, "node1", "enabled", "Medium", src[0], "")], n.name)
                self.assertOwnership()
            settle(freed)
            self.assertAssigned(1)
        finally:
            self.disable_running(n1, vm)

    def fill(self, i):
        """Enables every cv VM of node i (node3: 8 VMs for 8 VFs); returns their names."""
        names = [name for k, name in enumerate(CV) if cv_node(k) == i]
        for name in names:
            self.ok(self.c.node(i).call("EnableVM", f"string:{name}", "string:Low"), f"EnableVM {name}")
        return names

    def test_15_migration_into_a_full_node_arrives_waiting_and_gets_a_vf(self):
        """node3 has no free VF: the VM arrives on virtio (its XML without the VF, its setting
        kept), listed waiting; when a VM is disabled on node3 it gets that VF, live."""
        c = self.c
        n1, n3 = c.node(1), c.node(3)
        self.enable(0)
        full = self.fill(3)
        vm = CV[0]
        self.enable_running(n1, vm, "High")
        xml = n1.env.dumpxml(vm)
        try:
            p = self.hook(n3, vm, "migrate", "begin", xml)
            self.assertEqual(p.returncode, 0, p.stderr)
            self.assertEqual(harness.hostdev_ifaces(p.stdout), [], "node3 is full: no VF in the XML")
            self.assertEqual(harness.accel_metadata(p.stdout), {"performance": "High"})
            self.assertEqual(self.hook(n3, vm, "prepare", "begin", p.stdout).returncode, 0)
            self.create(n3, vm, p.stdout)
            self.assertEqual(self.hook(n1, vm, "release", "end", xml).returncode, 0)
            n1.virsh("destroy", vm)
            n1.virsh("undefine", vm)

            def waiting():
                rows = self.rows_on(n1, vm)
                self.assertEqual([r[:5] for r in rows], [(vm, "node3", "enabled", "High", "")])
                self.assertIn("waiting for a VF", rows[0][5])
                self.assertOwnership()
            settle(waiting, 10)
            freed = [h["pci"] for h in n3.hostdevs(full[0])][0]
            self.ok(n1.call("DisableVM", f"string:{full[0]}"))     # forwarded to node3

            def got_it():
                for n in c:
                    rows = self.rows_on(n, vm)
                    self.assertEqual([r[:5] for r in rows], [(vm, "node3", "enabled", "High", freed)], n.name)
                self.assertGivenLive(n3, vm, freed, self.rows_on(n3, vm)[0])
                self.assertOwnership()
            settle(got_it, 10)
        finally:
            self.put_back(vm, 1, 3)

    def test_16_migration_requires_vf_refuses_a_migration_into_a_full_node(self):
        """With migration_requires_vf on node3, the same migration is refused at migrate begin
        (ClusterNotEnoughResources, naming the VM), and nothing changes anywhere."""
        c = self.c
        n1, n3 = c.node(1), c.node(3)
        n3.env.write_config("accelnet.json", {**CONFIG, "migration_requires_vf": True})
        n3.stop_accelnetd()
        n3.start_accelnetd()
        try:
            self.wait_members((1, 2, 3), 3, timeout=15)
            self.enable(0)
            self.fill(3)
            vm = CV[0]
            self.enable_running(n1, vm, "High")
            self.assertAssigned(9)
            before = {i: self.held_on(c.node(i)) for i in (1, 2, 3)}
            p = self.hook(n3, vm, "migrate", "begin", n1.env.dumpxml(vm))
            self.assertEqual(p.returncode, 1, p)
            self.assertIn("ClusterNotEnoughResources", p.stderr)
            self.assertIn(f"incoming VM {vm} (performance High)", p.stderr)
            self.assertIn("migration_requires_vf", p.stderr)
            self.assertEqual(p.stdout, "")
            self.assertEqual(self.rows_on(n3, vm), [(vm, "node1", "enabled", "High", before[1][vm][0], "")])
            self.assertEqual({i: self.held_on(c.node(i)) for i in (1, 2, 3)}, before)
            self.assertAssigned(9)
            self.assertOwnership()
            self.disable_running(n1, vm)
        finally:
            n3.env.write_config("accelnet.json", CONFIG)
            n3.stop_accelnetd()
            n3.start_accelnetd()

    def test_17_node_loss_the_reserve_pays_for_its_vms_on_the_survivors(self):
        """node1 dies whole (corosync, libvirtd, accelnetd) with two accelerated VMs. An HA
        manager starts them on node2 (from node1's definition, `virsh define` + start) and on
        node3 (`virsh create`: of node1's XML, whose VF is refused at prepare when it is taken
        there, then of its portable form without the VF). Each gets a distinct local VF with
        its tier although U is full: the node reserve pays; new VMs are still refused."""
        c = self.c
        n1, n2, n3 = c.node(1), c.node(2), c.node(3)
        self.enable(33)        # N = 3: k = 1, U = 36 - 16 = 20; after node1: k = 1, U = 20 - 12 = 8
        a, b = CV[0], CV[3]    # node1's
        self.ok(n1.call("EnableVM", f"string:{a}", "string:High"))
        self.ok(n1.call("EnableVM", f"string:{b}", "string:Medium"))
        on2 = [name for k, name in enumerate(CV) if cv_node(k) == 2]
        on3 = [name for k, name in enumerate(CV) if cv_node(k) == 3]
        for name in on2[:5] + on3[:3]:
            self.ok(n1.call("EnableVM", f"string:{name}", "string:Low"), f"EnableVM {name}")
        self.assertAssigned(10)
        xml_a, xml_b = n1.env.dumpxml(a, inactive=True), n1.env.dumpxml(b, inactive=True)
        vf_b = harness.hostdev_ifaces(xml_b)[0]["pci"]
        snap = n1.env.kill_libvirtd(keep=True)
        try:
            c.kill_corosync(1, signal.SIGKILL)
            n1.kill_accelnetd()
            self.wait_members((2, 3), 2, timeout=10)
            self.assertUsable(8, nodes=(2, 3))
            self.assertAssigned(8, nodes=(2, 3))
            r = self.call_after_change(n2, "EnableVM", f"string:{on2[5]}", "string:Low")
            self.assertError(r, ERR + "ClusterNotEnoughResources")
            for n in (n2, n3):
                rows = self.rows_on(n, a)
                self.assertEqual(rows[0][1:3], ("node1", "enabled"))
                self.assertIn("lost with node1", rows[0][5])

            # a -> node2: its definition, as the HA manager keeps it, defined and started
            path = os.path.join(n2.dir, f"{a}.xml")
            with open(path, "w") as f:
                f.write(xml_a)
            n2.virsh("define", path)
            settle(lambda: self.assertEqual(self.rows_on(n2, a)[0][1:4], ("node2", "enabled", "High")), 10)
            p = self.hook(n2, a, "prepare", "begin", n2.env.dumpxml(a, inactive=True))
            self.assertEqual(p.returncode, 0, p.stderr)
            n2.virsh("start", a)

            # b -> node3 with `virsh create` of node1's XML: its VF is node3's own only if free
            taken = {v: d for d, vfs in self.held_on(n3).items() for v in vfs}
            p = self.hook(n3, b, "prepare", "begin", xml_b)
            if vf_b in taken:
                self.assertEqual(p.returncode, 1, p)
                self.assertIn(f"that VF is VM {taken[vf_b]}'s", p.stderr)
                portable = without_vf(xml_b)
                self.assertEqual(harness.hostdev_ifaces(portable), [])
                self.assertEqual(self.hook(n3, b, "prepare", "begin", portable).returncode, 0)
                self.create(n3, b, portable)
            else:
                self.assertEqual(p.returncode, 0, p.stderr)
                self.create(n3, b, xml_b)

            def arrived():
                ra, rb = self.rows_on(n2, a), self.rows_on(n2, b)
                self.assertEqual([r[1:4] for r in ra], [("node2", "enabled", "High")])
                self.assertEqual([r[1:4] for r in rb], [("node3", "enabled", "Medium")])
                self.assertEqual([h["pci"] for h in n2.env.hostdevs(a, inactive=False)], [ra[0][4]])
                self.assertTrue(rb[0][4], rb)
                self.assertGivenLive(n3, b, rb[0][4], rb[0])
                self.assertOwnership((2, 3))
            settle(arrived, 10)
            # the reserve paid: 10 VFs assigned over the two members, U is 8; new VMs refused
            self.assertAssigned(10, nodes=(2, 3))
            self.assertUsable(8, nodes=(2, 3))
            r = n3.call("EnableVM", f"string:{on3[3]}", "string:Low")
            self.assertError(r, ERR + "ClusterNotEnoughResources")
        finally:
            for vm, i in ((a, 2), (b, 3)):
                n = c.node(i)
                n.virsh("destroy", vm, check=False)
                n.virsh("undefine", vm, check=False)
            n1.env.start_libvirtd(snap or ())

    def test_18_revoke_and_restore_are_forwarded_to_the_vms_node(self):
        """RevokeVM from node1 and RestoreVM from node2 for a VM of node3: node3 does them; the
        VM keeps its setting without a VF in between, and gets one back."""
        c = self.c
        n1, n2, n3 = c.node(1), c.node(2), c.node(3)
        self.enable(0)
        vm = CV[2]                                   # node3's
        self.ok(n1.call("EnableVM", f"string:{vm}", "string:Medium"))
        self.ok(n1.call("RevokeVM", f"string:{vm}"), "RevokeVM from node1")

        def revoked():
            for n in c:
                rows = self.rows_on(n, vm)
                self.assertEqual([r[1:5] for r in rows], [("node3", "enabled", "Medium", "")], n.name)
                self.assertIn("revoked", rows[0][5])
            self.assertEqual(n3.hostdevs(vm), [])
            self.assertOwnership()
        settle(revoked)
        self.assertAssigned(0)
        self.ok(n2.call("RestoreVM", f"string:{vm}"), "RestoreVM from node2")

        def restored():
            rows = self.rows_on(n1, vm)
            self.assertEqual([r[1:4] for r in rows], [("node3", "enabled", "Medium")])
            self.assertEqual([h["pci"] for h in n3.hostdevs(vm)], [rows[0][4]])
            self.assertOwnership()
        settle(restored)
        self.assertAssigned(1)
        r = n1.call("RevokeVM", "string:nosuchvm")
        self.assertError(r, ERR + "NoSuchVM")


    def test_18_a_nodes_adapter_health_reaches_every_node(self):
        """node2's ens1 loses its link (the simulated kernel's event): node2 takes its capacity
        out of its facts, so every node's U drops, and every node's ListNodeHealth shows node2
        Failed with the adapter and the reason; the link back, both return."""
        import json
        c = self.c
        self.enable(0)
        self.assertUsable(sum(CAPS))
        n2 = c.node(2)

        def sim(carrier):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            try:
                path = os.path.join(n2.dir, "health-client.sock")
                if os.path.exists(path):
                    os.unlink(path)
                s.bind(path)
                s.settimeout(10)
                s.sendto(json.dumps({"pf": "ens1", "event": "link", "carrier": carrier}).encode(),
                         os.path.join(n2.env.root, "run/accelnet-sim/events.sock"))
                self.assertEqual(s.recv(4096).decode(), "ok")
            finally:
                s.close()

        def health_of_node2(i):
            rows = {row[1]: row[2] for row in self.ok(c.node(i).busctl("ListNodeHealth")).data[0]}
            return rows.get(n2.name)

        sim(False)
        try:
            settle(lambda: [self.assertEqual(health_of_node2(i), "Failed: ens1 (LinkDown)", f"node{i}")
                            for i in (1, 2, 3)], CONVERGE)
            self.assertUsable(sum(CAPS) - TOTALS[1][0])
            self.assertEqual(self.nodes_rows(c.node(1))[2][4], CAPS[1] - TOTALS[1][0])
        finally:
            sim(True)
        settle(lambda: [self.assertEqual(health_of_node2(i), "Healthy", f"node{i}") for i in (1, 2, 3)], CONVERGE)
        self.assertUsable(sum(CAPS))


class WithoutCorosync(Base):
    """A host whose namespace has no corosync: a cluster of one."""

    def test_cluster_of_one(self):
        ns = f"acb{os.getpid()}solo"
        sh("ip", "netns", "add", ns)
        self.addCleanup(sh, "ip", "netns", "delete", ns, check=False)
        env = NodeEnv(ns, host_json=HOSTS[0], intents=compute_intent(), config=CONFIG)
        self.addCleanup(env.close)
        env.start()
        self.assertEqual((env.prop("ClusterName"), env.prop("Quorate")), ("", True))
        self.assertEqual(env.prop("ClusterNodes"), 1)
        # conf/org.accelnet1.Manager.xml (cluster-cli): without corosync one row, node id 0
        # and the host name
        r = env.busctl("ListNodes")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual([row[:3] for row in r.data[0]], [[0, socket.gethostname(), "member"]])
        self.assertEqual(env.call("Enable", "string:compute", "uint32:50").rc, 0)
        self.assertEqual(env.prop("UsableVFs"), CAPS[0] * 50 // 100)      # the single-host meaning
        self.assertEqual(usable(CAPS[:1], 50), CAPS[0] * 50 // 100)


if __name__ == "__main__":
    clusterbed.main()
