#!/usr/bin/env python3
"""Adapters' health over a real bus on the simulated host: the simulated kernel (a datagram
socket ROOT/run/accelnet-sim/events.sock, src/sim/simevent.h) delivers link down/up,
flapping, driver unbind/bind, PCI error recovery begin/success/failed, PCIe link changes and
devlink reporter states, as rtnetlink, udev and devlink would; GetHealth, HealthChanged,
GetPrerequisites and accelnetctl health show the states and reasons; a Failed or quarantined
PF takes no new VF (EnableVM goes elsewhere, CapacityVFs drops, VMs keep their VFs), and a
PF that comes back gives waiting VMs their VFs.

No timed assertion: state changes are waited for (bounded), never raced. The figures
(event to state change, wake-ups at idle) are bench/run.sh's."""
import json
import os
import socket
import time

from harness import main
from test_waiting import accel_domain
from vmlib import ERR, INTENT12, Monitor, VmTestCase, host, igb_pf, many_vms, rootport, settle, two_node_host

ENS1, ENS2 = "0000:01:00.0", "0000:03:00.0"
# the tests change links right after Enable: no grace after accelnet's own reset (provisioning)
NO_GRACE = {"health": {"reset_grace_s": 0}}
COUNTERS = ["carrier_changes", "carrier_changes_seen", "aer_correctable", "aer_nonfatal", "aer_fatal", "recoveries",
            "recoveries_failed", "driver_unbinds", "quarantines", "devlink_errors", "resets"]


def vf_pf(vf):
    """The PF of one of two_node_host's VFs: ens1's are on bus 01, ens2's on bus 03."""
    return {"01": ENS1, "03": ENS2}[vf.split(":")[1]]


class HealthTestCase(VmTestCase):
    def sim(self, env, ok=True, **event):
        """Sends one simulated event and returns the daemon's reply ("ok" or "error: ...")."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.addCleanup(s.close)
        self._n = getattr(self, "_n", 0) + 1
        path = os.path.join(env.dir, f"client-{self._n}.sock")
        s.bind(path)
        s.settimeout(10)
        s.sendto(json.dumps(event).encode(), os.path.join(env.root, "run/accelnet-sim/events.sock"))
        reply = s.recv(4096).decode()
        os.unlink(path)
        if ok:
            self.assertEqual(reply, "ok", f"{event}: {reply}")
        return reply

    def health(self, env):
        """GetHealth as {PF address: {...}}."""
        r = env.busctl("GetHealth")
        self.assertEqual(r.rc, 0, r)
        out = {}
        for a in r.data[0]:
            out[a[0]] = {"ifname": a[1], "state": a[2], "since": a[3], "quarantined": a[4],
                         "reasons": [x[0] for x in a[5]], "texts": a[5], "counters": dict((c[0], c[1]) for c in a[6]),
                         "counter_names": [c[0] for c in a[6]], "events": a[7]}
        return out

    def wait_health(self, env, pf, state, reasons=None, quarantined=None, timeout=10):
        def check():
            h = self.health(env)[pf]
            self.assertEqual(h["state"], state, h)
            if reasons is not None:
                self.assertEqual(h["reasons"], reasons, h)
            if quarantined is not None:
                self.assertEqual(h["quarantined"], quarantined, h)
            return h
        return settle(check, timeout)

    def vf_of(self, env, vm):
        return self.vms(env)[vm][2]


class AtStart(HealthTestCase):
    def test_every_adapter_watched(self):
        """The built-in host: five healthy igb PFs and an E810 without a driver."""
        env = self.make()
        h = self.health(env)
        self.assertEqual(sorted(h), ["0000:01:00.0", "0000:01:00.1", "0000:03:00.0", "0000:03:00.1", "0000:07:00.0",
                                     "0000:08:00.0"])
        for pf in ("0000:01:00.0", "0000:07:00.0"):
            self.assertEqual((h[pf]["state"], h[pf]["quarantined"], h[pf]["reasons"]), ("Healthy", False, []))
            self.assertEqual(h[pf]["counter_names"], COUNTERS)
            self.assertEqual(h[pf]["counters"]["carrier_changes"], 1)
            self.assertEqual(h[pf]["events"][0][1], "watch")
            self.assertIn("driver igb bound; carrier 1", h[pf]["events"][0][2])
        e810 = h["0000:08:00.0"]
        self.assertEqual((e810["ifname"], e810["state"], e810["reasons"]), ("", "Failed", ["DriverUnbound"]))
        self.assertIn("lspci -k -s 0000:08:00.0", e810["texts"][0][2])
        # GetPrerequisites: one "health" row per adapter
        rows = {r[1]: r for r in env.busctl("GetPrerequisites").data[0] if r[0] == "health"}
        self.assertEqual(len(rows), 6)
        self.assertEqual(rows["0000:01:00.0"][2:], ["Passed", "", "ens1f0: Healthy."])
        self.assertEqual(rows["0000:08:00.0"][2], "Failed")
        self.assertIn("DriverUnbound", rows["0000:08:00.0"][4])
        # accelnetctl health, readable by anyone
        r = env.ctl("health", user="nobody")
        self.assertEqual(r.rc, 0, r)
        lines = r.out.splitlines()
        self.assertEqual(lines[0].split(), ["PF", "IFNAME", "STATE", "QUARANTINE", "REASONS"])
        self.assertRegex(r.out, r"0000:01:00\.0 ens1f0 Healthy\s+no\s+-")
        self.assertRegex(r.out, r"0000:08:00\.0 -\s+Failed\s+no\s+DriverUnbound")
        self.assertIn("6 adapters: 5 healthy, 0 degraded, 1 failed; 0 quarantined.", r.out)
        self.assertTrue(all(len(l) <= 80 for l in lines), r.out)
        js = json.loads(env.ctl("health", "--json").out)
        self.assertEqual([a["pf"] for a in js], sorted(h))
        self.assertEqual(set(js[0]), {"pf", "ifname", "state", "since", "since_usec", "quarantined", "reasons",
                                      "counters", "events"})
        self.assertEqual(list(js[0]["counters"]), COUNTERS)

    def test_bad_events_name_the_value(self):
        env = self.make()
        self.assertEqual(self.sim(env, ok=False, pf="0000:0a:00.0", event="unbind"),
                         "error: no PCI device 0000:0a:00.0 in the simulated host")
        self.assertEqual(self.sim(env, ok=False, pf="ens1f0", event="link", carrier="down"),
                         "error: \"carrier\" must be true or false")
        self.assertEqual(self.sim(env, ok=False, pf="ens1f0", event="melt"),
                         "error: \"event\": unknown event 'melt' (link, flap, unbind, bind, recovery, pcie-link, devlink)")
        self.assertEqual(self.sim(env, ok=False, pf="0000:08:00.0", event="link", carrier=False),
                         "error: 0000:08:00.0 has no netdev")
        self.assertEqual(self.health(env)[ENS1]["state"], "Healthy")


class Failures(HealthTestCase):
    def two_pf(self, n_vms=4, config=NO_GRACE):
        """ens1 and ens2, 8 VFs each, reserve 0, VMs vm00..vmNN with virtio NICs."""
        env = self.make(host_json=two_node_host(), intents=INTENT12, domains=many_vms(n_vms), enable="c", reserve=0,
                        config=config)
        self.assertEqual(env.prop("CapacityVFs"), 16)
        return env

    def test_link_down_and_up(self):
        env = self.two_pf()
        mon = Monitor(env)
        self.addCleanup(mon.close)
        self.enable(env, "vm00")
        held = self.vf_of(env, "vm00")
        self.assertEqual(vf_pf(held), ENS1)       # the tie goes to the lowest address

        self.sim(env, pf="ens1", event="link", carrier=False)
        h = self.wait_health(env, ENS1, "Failed", ["LinkDown"])
        self.assertIn("ens1 (0000:01:00.0) has no link: carrier 0, operstate down", h["texts"][0][1])
        self.assertIn("Check the cable", h["texts"][0][2])
        self.assertEqual(h["counters"]["carrier_changes"], 2)
        self.assertEqual([e[1] for e in h["events"]][-2:], ["link", "state"])
        self.assertEqual(h["events"][-1][2], "Healthy -> Failed: LinkDown")
        # no new VFs on it: capacity without ens1; the VM it served has its VF revoked and gets
        # one of ens2 (the guest stays on virtio meanwhile); the next VMs go to ens2 (the
        # least-loaded rule alone would have given the second one ens1)
        settle(lambda: self.assertEqual(env.prop("CapacityVFs"), 8))
        settle(lambda: self.assertEqual(vf_pf(self.vf_of(env, "vm00") or "0000:00:00.0"), ENS2), 5)
        self.assertNotEqual(self.vf_of(env, "vm00"), held)
        self.assertNotIn(held, [row[2] for row in self.vms(env).values()], "the revoked VF still held")
        self.enable(env, "vm01")
        self.enable(env, "vm02")
        self.assertEqual({vf_pf(self.vf_of(env, v)) for v in ("vm01", "vm02")}, {ENS2})
        self.assertEqual(env.prop("AssignedVFs"), 3)
        rows = {r[1]: r for r in env.busctl("GetPrerequisites").data[0] if r[0] == "health"}
        self.assertEqual(rows[ENS1][2], "Failed")
        self.assertIn("LinkDown", rows[ENS1][4])
        out = env.ctl("health").out
        self.assertRegex(out, r"0000:01:00\.0 ens1\s+Failed\s+no\s+LinkDown")
        self.assertIn("Failed since ", out)

        self.sim(env, pf="0000:01:00.0", event="link", carrier=True)
        h = self.wait_health(env, ENS1, "Healthy", [])
        self.assertEqual(h["counters"]["carrier_changes"], 3)
        self.assertEqual(h["counters"]["carrier_changes_seen"], 2)
        settle(lambda: self.assertEqual(env.prop("CapacityVFs"), 16))
        self.enable(env, "vm03")                    # ens1 is the least loaded again
        self.assertEqual(vf_pf(self.vf_of(env, "vm03")), ENS1)
        self.assertTrue(mon.wait(lambda t: t.count("member=HealthChanged") >= 2))
        text = mon.text()
        self.assertIn('string "0000:01:00.0"\n   string "Failed"\n   boolean false', text)
        self.assertIn('string "0000:01:00.0"\n   string "Healthy"\n   boolean false', text)

    def test_node_health_in_cluster_nodes(self):
        """The node's summary (its cluster facts' health): ListNodeHealth and cluster nodes."""
        env = self.two_pf()
        self.assertEqual(env.busctl("ListNodeHealth").data[0][0][2], "Healthy")
        self.sim(env, pf="ens2", event="link", carrier=False)
        self.wait_health(env, ENS2, "Failed")
        self.sim(env, pf="ens1", event="pcie-link", speed="2.5 GT/s PCIe", width=1, max_speed="5.0 GT/s PCIe",
                 max_width=4)
        self.wait_health(env, ENS1, "Degraded")
        row = env.busctl("ListNodeHealth").data[0]
        self.assertEqual(len(row), 1)
        self.assertEqual(row[0][2], "Failed: ens2 (LinkDown); Degraded: ens1 (PcieLinkDegraded)")
        r = env.ctl("cluster", "nodes")
        self.assertRegex(r.out.splitlines()[1], r" Failed$")
        self.assertIn("Health: Failed: ens2 (LinkDown); Degraded: ens1 (PcieLinkDegraded)", r.out)
        nodes = json.loads(env.ctl("cluster", "nodes", "--json").out)
        self.assertEqual(nodes[0]["health"], row[0][2])

    def test_own_reset_is_no_failure_nor_flapping(self):
        """Enable writes sriov_numvfs, which resets igb's link (e2e): within the grace after it
        (30 s here) link changes are counted but neither make the PF Failed nor quarantine it."""
        env = self.two_pf(config={"health": {"flap_count": 1, "reset_grace_s": 30}})
        h = self.health(env)[ENS1]
        self.assertEqual(h["counters"]["resets"], 1)
        self.assertIn("reset", [e[1] for e in h["events"]])
        self.sim(env, pf="ens1", event="flap", count=4)
        self.sim(env, pf="ens1", event="link", carrier=False)
        h = self.health(env)[ENS1]
        self.assertEqual((h["state"], h["quarantined"], h["counters"]["carrier_changes_seen"]), ("Healthy", False, 5))
        self.assertEqual(env.prop("CapacityVFs"), 16)

    def test_admin_down(self):
        env = self.two_pf()
        self.sim(env, pf="ens2", event="link", carrier=True, admin_up=False)
        h = self.wait_health(env, ENS2, "Failed", ["LinkDown"])
        self.assertIn("administratively down", h["texts"][0][1])
        self.assertIn("ip link set ens2 up", h["texts"][0][2])
        self.sim(env, pf="ens2", event="link", carrier=True, admin_up=True)
        self.wait_health(env, ENS2, "Healthy")

    def test_unbind_and_bind(self):
        env = self.two_pf()
        self.sim(env, pf=ENS1, event="unbind")
        h = self.wait_health(env, ENS1, "Failed", ["DriverUnbound"])
        self.assertIn("(it was igb)", h["texts"][0][1])
        self.assertIn("/sys/bus/pci/drivers/igb/bind", h["texts"][0][2])
        self.assertEqual(h["counters"]["driver_unbinds"], 1)
        # the host was read again at once: no driver, so no longer usable
        adapters = {a[0]: a for a in env.busctl("ListAdapters").data[0]}
        self.assertEqual((adapters[ENS1][2], adapters[ENS1][3]), ("", "MissingPfDriver"))
        self.assertEqual(env.prop("CapacityVFs"), 8)

        self.sim(env, pf=ENS1, event="bind")
        self.wait_health(env, ENS1, "Healthy", [])
        adapters = {a[0]: a for a in env.busctl("ListAdapters").data[0]}
        self.assertEqual((adapters[ENS1][2], adapters[ENS1][3]), ("igb", "Supported"))
        self.assertEqual(env.prop("CapacityVFs"), 16)
        self.assertEqual([e[1] for e in self.health(env)[ENS1]["events"]][-4:],
                         ["driver-unbound", "state", "driver-bound", "state"])

    def test_error_recovery(self):
        env = self.two_pf()
        self.sim(env, pf="ens2", event="recovery", result="begin", aer={"nonfatal": 1})
        h = self.wait_health(env, ENS2, "Degraded", ["Recovering", "AerErrors"])
        self.assertEqual((h["counters"]["recoveries"], h["counters"]["aer_nonfatal"]), (1, 1))
        self.assertEqual(env.prop("CapacityVFs"), 16)    # Degraded still takes VFs
        self.sim(env, pf="ens2", event="recovery", result="success")
        self.wait_health(env, ENS2, "Degraded", ["AerErrors"])
        self.sim(env, pf="ens2", event="recovery", result="begin", aer={"fatal": 1})
        self.sim(env, pf="ens2", event="recovery", result="failed")
        h = self.wait_health(env, ENS2, "Failed", ["RecoveryFailed", "AerErrors"])
        self.assertIn("the device is offline", h["texts"][0][1])
        self.assertEqual((h["counters"]["recoveries"], h["counters"]["recoveries_failed"], h["counters"]["aer_fatal"]),
                         (2, 1, 1))
        self.assertEqual(env.prop("CapacityVFs"), 8)
        with open(os.path.join(env.root, "sys/bus/pci/devices", ENS2, "aer_dev_fatal")) as f:
            self.assertIn("TOTAL_ERR_FATAL 1", f.read())
        # a later recovery that succeeds brings it back (the AER errors stay in the window)
        self.sim(env, pf="ens2", event="recovery", result="success")
        self.wait_health(env, ENS2, "Degraded", ["AerErrors"])
        self.assertEqual(env.prop("CapacityVFs"), 16)

    def test_failed_state_survives_a_restart(self):
        """Health is not persistent: at start it is read from sysfs, where the simulated
        kernel left the link down."""
        env = self.two_pf()
        self.sim(env, pf="ens1", event="link", carrier=False)
        self.wait_health(env, ENS1, "Failed")
        env.restart()
        h = self.wait_health(env, ENS1, "Failed", ["LinkDown"])
        self.assertIn("carrier 0, operstate down", h["events"][0][2])
        self.assertEqual(env.prop("CapacityVFs"), 8)


class Flapping(HealthTestCase):
    CONFIG = {"health": {"flap_count": 3, "flap_window_s": 60, "quarantine_stable_s": 3, "reset_grace_s": 0}}

    def test_quarantine_then_lifted(self):
        env = self.make(host_json=two_node_host(), intents=INTENT12, domains=many_vms(4), enable="c", reserve=0,
                        config=self.CONFIG)
        mon = Monitor(env)
        self.addCleanup(mon.close)
        self.enable(env, "vm00")                   # ens1 (tie)
        self.enable(env, "vm01")                   # ens2 (least loaded)
        self.assertEqual([vf_pf(self.vf_of(env, v)) for v in ("vm00", "vm01")], [ENS1, ENS2])

        # three changes: not yet flapping
        self.sim(env, pf="ens1", event="flap", count=2)
        self.assertFalse(self.health(env)[ENS1]["quarantined"])
        # the fourth within 60 s: quarantined (more than 3)
        self.sim(env, pf="ens1", event="flap", count=2)
        h = self.wait_health(env, ENS1, "Degraded", ["Flapping"], quarantined=True)
        self.assertIn("changed more than 3 times within 60 s", h["texts"][0][1])
        self.assertEqual(h["counters"]["quarantines"], 1)
        self.assertEqual(env.prop("CapacityVFs"), 8)
        # a new VM does not get a VF on the quarantined PF (the tie would have given it ens1)
        self.enable(env, "vm02")
        self.assertEqual(vf_pf(self.vf_of(env, "vm02")), ENS2)
        self.assertEqual(vf_pf(self.vf_of(env, "vm00")), ENS1)    # its VM keeps its VF
        self.assertRegex(env.ctl("health").out, r"0000:01:00\.0 ens1\s+Degraded yes\s+Flapping")

        # stable for 3 s: lifted, by the daemon's own timer (no event comes)
        h = self.wait_health(env, ENS1, "Healthy", [], quarantined=False, timeout=15)
        self.assertEqual([e[1] for e in h["events"]][-2:], ["quarantine", "state"])
        self.assertIn("quarantine lifted", h["events"][-2][2])
        settle(lambda: self.assertEqual(env.prop("CapacityVFs"), 16))
        self.enable(env, "vm03")
        self.assertEqual(vf_pf(self.vf_of(env, "vm03")), ENS1)    # least loaded again
        self.assertTrue(mon.wait(lambda t: 'string "Degraded"\n   boolean true' in t and
                                 'string "Healthy"\n   boolean false' in t))

    def test_stable_period_waits_for_the_link(self):
        """A quarantined PF whose link stays down is not lifted, however long it stays down."""
        config = {"health": {"flap_count": 1, "flap_window_s": 60, "quarantine_stable_s": 1, "reset_grace_s": 0}}
        env = self.make(host_json=two_node_host(), intents=INTENT12, domains=many_vms(1), enable="c", reserve=0,
                        config=config)
        self.sim(env, pf="ens2", event="flap", count=3)          # ends down
        self.wait_health(env, ENS2, "Failed", ["LinkDown", "Flapping"], quarantined=True)
        time.sleep(1.5)                                          # longer than the stable period
        self.wait_health(env, ENS2, "Failed", ["LinkDown", "Flapping"], quarantined=True)
        self.sim(env, pf="ens2", event="link", carrier=True)
        self.wait_health(env, ENS2, "Degraded", ["Flapping"], quarantined=True)
        self.wait_health(env, ENS2, "Healthy", [], quarantined=False, timeout=10)


class Recovery(HealthTestCase):
    def test_recovered_pf_serves_the_waiting_vm(self):
        """One PF, 2 VFs, one held: the PF fails (capacity 0), an accelerated VM arrives and
        waits; the PF comes back and the VM gets a VF at once."""
        one = host([rootport("0000:00:01.0", [1, 2], [igb_pf("0000:01:00.0", "ens1", total=2)])])
        doms = many_vms(1, prefix="hold")
        env = self.make(libvirtd=True, host_json=one, intents={"c": {"name": "c", "types": ["compute"],
                                                                     "adapters": ["ens1"]}},
                        enable="c", reserve=0, domains=doms, config=NO_GRACE)
        self.enable(env, "hold00")
        self.sim(env, pf="ens1", event="link", carrier=False)
        self.wait_health(env, ENS1, "Failed")
        settle(lambda: self.assertEqual(env.prop("CapacityVFs"), 0))
        self.assertError(env.call("EnableVM", "string:hold00", "string:High"), ERR + "AlreadyEnabled")
        env.define(accel_domain("waiter", "Low", 1))
        settle(lambda: self.assertTrue(self.vms(env)["waiter"][3].startswith("waiting for a VF"), self.vms(env)))
        self.assertEqual(self.vms(env)["waiter"][2], "")

        self.sim(env, pf="ens1", event="link", carrier=True)
        self.wait_health(env, ENS1, "Healthy")
        settle(lambda: self.assertNotEqual(self.vms(env)["waiter"][2], "", self.vms(env)))
        self.assertEqual(env.prop("CapacityVFs"), 2)
        self.assertEqual(env.prop("AssignedVFs"), 2)


class PcieAndDevlink(HealthTestCase):
    @staticmethod
    def dual_port_host():
        """Two 10G ports of one device on a PCIe link running at 8 GT/s x2 of x4."""
        files = {"current_link_speed": "8.0 GT/s PCIe\n", "current_link_width": "2\n",
                 "max_link_speed": "8.0 GT/s PCIe\n", "max_link_width": "4\n"}
        p0 = igb_pf("0000:01:00.0", "ens1f0", speed=10000)
        p1 = igb_pf("0000:01:00.1", "ens1f1", speed=10000)
        p0["files"] = files
        p1["files"] = files
        return host([rootport("0000:00:01.0", [1, 2], [p0, p1])])

    def test_pcie_link_degraded_and_oversubscribed(self):
        env = self.make(host_json=self.dual_port_host(),
                        intents={"c": {"name": "c", "types": ["compute"], "adapters": ["ens1f0", "ens1f1"]}})
        h = self.health(env)[ENS1]
        self.assertEqual((h["state"], h["reasons"]), ("Degraded", ["PcieLinkDegraded", "PcieOversubscribed"]))
        self.assertIn("runs at 8.0 GT/s x2, below the 8.0 GT/s x4", h["texts"][0][1])
        # 2 x 8000 MT/s x 128/130 = 15753 Mb/s carry less than 2 x 10000 Mb/s
        self.assertIn("add up to 20000 Mb/s, more than its PCIe link carries: 15753 Mb/s (8.0 GT/s x2, 128b/130b)",
                      h["texts"][1][1])
        self.sim(env, pf="ens1f0", event="pcie-link", speed="8.0 GT/s PCIe", width=4)
        h = self.wait_health(env, ENS1, "Healthy", [])     # x4: 31507 Mb/s
        self.assertEqual(h["events"][-2][1], "pcie-link")

    def test_devlink_reporter(self):
        env = self.make()
        self.sim(env, pf="ens2f0", event="devlink", reporter="tx", state="error", errors=3, recovers=2)
        h = self.wait_health(env, "0000:03:00.0", "Degraded", ["DevlinkReporterError"])
        self.assertIn("'tx' of pci/0000:03:00.0 is in error (3 errors, 2 recoveries)", h["texts"][0][1])
        self.assertEqual(h["counters"]["devlink_errors"], 3)
        self.sim(env, pf="ens2f0", event="devlink", reporter="tx", state="healthy", errors=3, recovers=3)
        self.wait_health(env, "0000:03:00.0", "Healthy", [])


if __name__ == "__main__":
    main()
