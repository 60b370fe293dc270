#!/usr/bin/env python3
"""ListNodeCapacity in a cluster (issue 12, "HA managers can see capacity") on three corosync
nodes: every node lists every node's free VFs, the same numbers everywhere (each node counts
its own and announces them with its facts); an EnableVM on one node lowers that node's free
VFs on every node, a DisableVM gives them back; per tier, a node whose PFs cannot set the
rates High requires has none for High; a node out of the membership has 0.

  ListNodeCapacity  a(usuuuu)  node id, name, free VFs, free for High, Medium, Low

node1: ens1 igb 8 + ens2 igb 8; node2: igb 8 + igb 4; node3: igb 4 + ixgbe 4 (the only PF that
sets a minimum rate, which the tier table makes High require). Reserve 50: k = 2 of 3 nodes are
held in reserve, but a VM arriving on a node (failover) may use it, so every VF not assigned is
free for it."""
import sys
import time
import unittest

import clusterbed
from clusterbed import Cluster, compute_intent, domain, igb_pf, node_host, rootport, wait_until

TOTALS = [(8, 8), (8, 4), (4, 4)]
CAPS = [sum(t) for t in TOTALS]
CONFIG = {"node_reserve_default": 50, "tiers": {"high": {"min_tx_rate_mbps": 100, "rates_required": True}}}
CONVERGE = 5


def ixgbe_host(igb_total, ixgbe_total):
    h = node_host((igb_total, ixgbe_total))
    pf = h["devices"][1]["children"][0]
    pf["driver"] = "ixgbe"
    pf["link_speed"] = 10000
    pf["config"]["synth"]["device"] = "10fb"
    pf["config"]["synth"]["sriov"]["vf_device"] = "10ed"
    return h


HOSTS = [node_host(TOTALS[0]), node_host(TOTALS[1]), ixgbe_host(*TOTALS[2])]
HIGH = [0, 0, TOTALS[2][1]]          # VFs that can serve High on each node


def domains_of(i):
    return [domain(f"n{i}vm{k}", 100 * i + k) for k in range(3)]


def settle(check, timeout=CONVERGE):
    return clusterbed.settle(check, timeout)


class Capacity(unittest.TestCase):
    c = None

    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(3, hosts=HOSTS, intents=compute_intent(), configs=CONFIG,
                        domains=[domains_of(i) for i in (1, 2, 3)])
        cls.c.start_and_wait_members()

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()
        left = cls.c.leftovers()
        if left:
            raise AssertionError(f"left behind: {left}")

    def capacity(self, n):
        r = n.busctl("ListNodeCapacity")
        self.assertEqual(r.rc, 0, r)
        return {row[0]: row for row in r.data[0]}

    def assertCapacity(self, want, seen_by=(1, 2, 3)):
        """want: {node id: (free, high, medium, low)}, the same on every node of seen_by."""
        def check():
            for i in seen_by:
                rows = self.capacity(self.c.node(i))
                got = {nid: tuple(row[2:]) for nid, row in rows.items()}
                self.assertEqual(got, want, f"ListNodeCapacity on node{i}")
                self.assertEqual({nid: row[1] for nid, row in rows.items()},
                                 {nid: f"node{nid}" for nid in want}, f"names on node{i}")
        settle(check)

    def free(self, assigned=(0, 0, 0)):
        return {i + 1: (CAPS[i] - assigned[i], min(HIGH[i], CAPS[i] - assigned[i]), CAPS[i] - assigned[i],
                        CAPS[i] - assigned[i]) for i in range(3)}

    def test_1_every_node_sees_every_node(self):
        n1 = self.c.node(1)
        # management disabled: nothing could be given to an arriving VM
        self.assertCapacity({1: (0, 0, 0, 0), 2: (0, 0, 0, 0), 3: (0, 0, 0, 0)})
        self.assertEqual(n1.call("Enable", "string:compute", "uint32:50").rc, 0)
        self.assertCapacity(self.free())

    def test_2_enable_on_one_changes_it_everywhere(self):
        n2, n3 = self.c.node(2), self.c.node(3)
        r = n2.call("EnableVM", "string:n2vm0", "string:Low")
        self.assertEqual(r.rc, 0, r)
        self.assertCapacity(self.free((0, 1, 0)))
        # High on node3 takes its ixgbe VF: its High column drops with its free VFs
        r = n3.call("EnableVM", "string:n3vm0", "string:High")
        self.assertEqual(r.rc, 0, r)
        want = self.free((0, 1, 1))
        want[3] = (CAPS[2] - 1, HIGH[2] - 1, CAPS[2] - 1, CAPS[2] - 1)
        self.assertCapacity(want)
        # asked on another node: forwarded to node 2, seen everywhere
        r = self.c.node(1).call("DisableVM", "string:n2vm0")
        self.assertEqual(r.rc, 0, r)
        want[2] = self.free()[2]
        self.assertCapacity(want)
        r = n3.call("DisableVM", "string:n3vm0")
        self.assertEqual(r.rc, 0, r)
        self.assertCapacity(self.free())

    def test_3_a_lost_node_has_none(self):
        c = self.c
        c.kill_corosync(3)
        want = self.free()
        want[3] = (0, 0, 0, 0)
        self.assertCapacity(want, seen_by=(1, 2))
        c.start_corosync(3)
        c.wait_quorate()
        wait_until(lambda: all(n.prop("ClusterNodes") == 3 for n in c), 15, what="node3 back")
        self.assertCapacity(self.free())


if __name__ == "__main__":
    clusterbed.main()
