#!/usr/bin/env python3
"""ListNodeCapacity on a single host (issue 12, "HA managers can see capacity"): one row, node
id 0 and the host name, with the VFs a VM arriving here could get now (the free VFs of the
intent's usable adapters, the node reserve included, within max_vms) and, of those, the ones
on adapters that can serve High, Medium and Low. The numbers are checked against what
ListAdapters and ListVMs say, before and after EnableVM and DisableVM, and in accelnetctl's
`cluster nodes`.

The host has an igb PF (ens1, 8 VFs, no minimum transmit rate: TESTBED.md) and an ixgbe PF
(ens2, 4 VFs); the tier table makes High require a minimum rate, so only ens2 can serve High."""
import json
import socket

from harness import main
from vmlib import ERR, VmTestCase, host, igb_pf, many_vms, rootport

INTENT = {"c": {"name": "c", "types": ["compute"], "adapters": ["ens1", "ens2"]}}
HIGH_NEEDS_RATES = {"tiers": {"high": {"min_tx_rate_mbps": 100, "rates_required": True}}}
RATE_CAPABLE = {"ixgbe"}        # src/daemon/pf.c: igb cannot set a minimum rate


def ixgbe_pf(address, ifname, numa_node=1, total=4):
    pf = igb_pf(address, ifname, numa_node, total, speed=10000)
    pf["driver"] = "ixgbe"
    pf["config"]["synth"]["device"] = "10fb"
    pf["config"]["synth"]["sriov"]["vf_device"] = "10ed"
    return pf


HOST = host([rootport("0000:00:01.0", [1, 2], [igb_pf("0000:01:00.0", "ens1", 0, 8)], 0),
             rootport("0000:00:02.0", [3, 4], [ixgbe_pf("0000:03:00.0", "ens2", 1, 4)], 1)])


class CapacityTestCase(VmTestCase):
    def capacity(self, env):
        r = env.busctl("ListNodeCapacity")
        self.assertEqual(r.rc, 0, r)
        rows = r.data[0]
        self.assertEqual(len(rows), 1, rows)
        return rows[0]

    def expected(self, env, max_vms=0):
        """[0, host, free, High, Medium, Low] from ListAdapters (the intent's supported PFs: VFs
        enabled less assigned) and the tier table of HIGH_NEEDS_RATES, bounded by max_vms less
        the VMs that hold a VF (ListVMs)."""
        r = env.busctl("ListAdapters")
        self.assertEqual(r.rc, 0, r)
        free = high = 0
        for address, ifname, driver, verdict, total, enabled, assigned in r.data[0]:
            if ifname not in ("ens1", "ens2") or verdict != "Supported" or not env.prop("Enabled"):
                continue
            free += enabled - assigned
            if driver in RATE_CAPABLE:
                high += enabled - assigned
        holders = [vm for vm, row in self.vms(env).items() if row[2]]
        self.assertEqual(len(holders), env.prop("AssignedVFs"))
        if max_vms:
            free = min(free, max_vms - len(holders))
            high = min(high, free)
        return [0, socket.gethostname(), free, high, free, free]

    def test_numbers_follow_enable_and_disable(self):
        env = self.make(host_json=HOST, intents=INTENT, config=HIGH_NEEDS_RATES, domains=many_vms(8))
        # management off: nothing could be given to an arriving VM
        self.assertEqual(self.capacity(env), [0, socket.gethostname(), 0, 0, 0, 0])
        self.ok(env.call("Enable", "string:c", "uint32:50"))
        self.assertEqual(env.prop("CapacityVFs"), 12)
        # the node reserve (6 of 12) is there for arriving VMs: all 12 are free for them
        self.assertEqual(self.capacity(env), [0, socket.gethostname(), 12, 4, 12, 12])
        self.assertEqual(self.capacity(env), self.expected(env))

        self.enable(env, "vm00", "High")
        vf = self.vms(env)["vm00"][2]
        self.assertTrue(vf.startswith("0000:03:"), f"High must get an ixgbe VF (ens2): {vf}")
        self.assertEqual(self.capacity(env), [0, socket.gethostname(), 11, 3, 11, 11])
        self.assertEqual(self.capacity(env), self.expected(env))
        self.enable(env, "vm01", "Low")
        self.enable(env, "vm02", "Medium")
        self.assertEqual(self.capacity(env)[2], 9)
        self.assertEqual(self.capacity(env), self.expected(env))

        # the ctl shows the same numbers
        r = env.ctl("cluster", "nodes", "--json")
        self.assertEqual(r.rc, 0, r)
        row = json.loads(r.out)[0]
        cap = self.capacity(env)
        self.assertEqual([row["free_vfs"], row["free_vfs_high"], row["free_vfs_medium"], row["free_vfs_low"]],
                         cap[2:])
        r = env.ctl("cluster", "nodes")
        # FREE HIGH MED LOW, then HEALTH
        self.assertEqual(r.out.splitlines()[1].split()[-5:-1], [str(n) for n in cap[2:]], r.out)

        self.disable(env, "vm00")
        self.assertEqual(self.capacity(env), [0, socket.gethostname(), 10, 4, 10, 10])
        self.assertEqual(self.capacity(env), self.expected(env))
        self.disable(env, "vm01")
        self.disable(env, "vm02")
        self.assertEqual(self.capacity(env), [0, socket.gethostname(), 12, 4, 12, 12])

        # the ixgbe VFs all taken: High has none left (EnableVM says so), the others still have
        # the igb's
        for vm in ("vm03", "vm04", "vm05", "vm06"):
            self.enable(env, vm, "High")
        self.assertError(env.call("EnableVM", "string:vm07", "string:High"), ERR + "CannotProvisionPerformance")
        self.assertEqual(self.capacity(env), [0, socket.gethostname(), 8, 0, 8, 8])
        self.assertEqual(self.capacity(env), self.expected(env))

        self.ok(env.call("Disable"))
        self.assertEqual(self.capacity(env), [0, socket.gethostname(), 0, 0, 0, 0])

    def test_reserve_counts_and_max_vms_bounds(self):
        # reserve 50 on 12 VFs: EnableVM stops at 6, an arriving VM could still get the other 6;
        # max_vms 8 leaves room for 2 more
        config = dict(HIGH_NEEDS_RATES, max_vms=8)
        env = self.make(host_json=HOST, intents=INTENT, config=config, domains=many_vms(8), enable="c", reserve=50)
        for i in range(6):
            self.enable(env, f"vm{i:02d}", "Low")
        self.assertError(env.call("EnableVM", "string:vm06", "string:Low"), ERR + "ClusterNotEnoughResources")
        cap = self.capacity(env)
        self.assertEqual(cap[2], 2, cap)
        self.assertEqual(cap, self.expected(env, max_vms=8))
        self.disable(env, "vm00")
        self.assertEqual(self.capacity(env)[2], 3)
        self.assertEqual(self.capacity(env), self.expected(env, max_vms=8))


if __name__ == "__main__":
    main()
