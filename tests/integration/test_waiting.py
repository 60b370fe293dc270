#!/usr/bin/env python3
"""VMs waiting for a VF on a single host ("VMs that move keep their fast path"): an accelerated
VM (its <metadata> says so) that finds no free VF runs on virtio and is listed as waiting, with
since when (kept across an accelnetd restart); it gets a VF as soon as one frees, not at the
30 s refresh; when several wait, High before Medium before Low, then the longest waiting; and
an incoming migration onto a full host arrives waiting, or is refused with
ClusterNotEnoughResources when accelnet.json says migration_requires_vf.

Every test runs against a real libvirtd (test driver): the waiting VMs are defined with their
accelnet <metadata>, as a VM arrives by failover or is defined from another host's XML."""
import calendar
import re
import time

from harness import METADATA_NS, accel_metadata, hostdev_ifaces, main
from test_hook_migrate import MigrateTestCase, incoming_xml
from vmlib import ERR, INTENT1, domain, host, igb_pf, rootport, settle

WAITING = re.compile(r"^waiting for a VF since (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC \(([^)]*)\): (.+)$")
PROMPT = 1.5        # seconds: "as soon as one frees" (the periodic refresh is 30 s)


def one_pf_host(total):
    """ens1 (0000:01:00.0) with `total` VFs: 0000:01:10.0, 0000:01:10.2, ..."""
    return host([rootport("0000:00:01.0", [1, 2], [igb_pf("0000:01:00.0", "ens1", total=total)])])


def accel_domain(name, tier, index, vcpus=4, running=True):
    """A domain whose XML already says it is accelerated with `tier` (as one defined from
    another host's XML, or arriving by failover), with a virtio NIC and no VF."""
    xml = domain(name, vcpus, f"52:54:00:ee:00:{index:02x}", running=running, index=100 + index)
    md = f"<metadata><accelnet:vm xmlns:accelnet='{METADATA_NS}' performance='{tier}'/></metadata>"
    return xml.replace("</uuid>", "</uuid>" + md, 1)


def parse_since(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%d %H:%M:%S"))


class WaitingTestCase(MigrateTestCase):
    def full_host(self, total=2, config=None, holders=("hold1", "hold2")):
        """One PF with `total` VFs, reserve 0, every VF held by an enabled VM."""
        doms = [domain(n, 4, f"52:54:00:ab:00:{i:02x}", index=i + 1) for i, n in enumerate(holders)]
        env = self.make(libvirtd=True, host_json=one_pf_host(total), intents=INTENT1, enable="c", reserve=0,
                        domains=doms, config=config)
        for n in holders:
            self.enable(env, n, "Low")
        self.assertEqual((env.prop("CapacityVFs"), env.prop("AssignedVFs")), (total, total))
        return env

    def xml_vf(self, env, vm):
        """The accelnet VF in the VM's persistent XML, None without one."""
        vfs = [h["pci"] for h in env.hostdevs(vm) if (h["alias"] or "").startswith("ua-accelnet-")]
        self.assertLessEqual(len(vfs), 1, vfs)
        return vfs[0] if vfs else None

    def waiting(self, env, vm):
        """(since as a UTC timestamp, the waited time as written, reason) of a VM listed as
        waiting for a VF: enabled, with its tier, no VF."""
        row = self.vms(env).get(vm)
        self.assertIsNotNone(row, f"{vm} is not listed")
        m = WAITING.match(row[3])
        self.assertTrue(m, f"{vm} is not listed as waiting for a VF: {row}")
        self.assertEqual((row[0], row[2]), ("enabled", ""), row)
        return parse_since(m.group(1)), m.group(2), m.group(3)

    def wait_listed_waiting(self, env, vm, timeout=3):
        return settle(lambda: self.waiting(env, vm), timeout)

    def gets_vf(self, env, vm, vf, tier, timeout=PROMPT):
        """Waits up to `timeout` s (from now) for `vm` to hold `vf` in its persistent XML and to be
        listed with it; returns the seconds it took."""
        t0 = time.monotonic()

        def check():
            self.assertEqual(self.xml_vf(env, vm), vf, f"{vm}'s XML")
            row = self.vms(env)[vm]
            self.assertEqual(row[:3], ("enabled", tier, vf), row)
            self.assertFalse(row[3].startswith("waiting"), row)
        settle(check, timeout)
        return time.monotonic() - t0


class Order(WaitingTestCase):
    def test_high_then_medium_then_low(self):
        """Three VMs wait on a full host, Low first, then High, then Medium (the names in the
        other order): as VFs free one at a time they go to High, Medium, Low - not in the order
        they began to wait, nor by name."""
        env = self.full_host()
        vf1, vf2 = self.enabled(env)["hold1"][2], self.enabled(env)["hold2"][2]
        waits = {}
        for i, (name, tier) in enumerate((("wa-low", "Low"), ("wc-high", "High"), ("wb-medium", "Medium"))):
            if i:
                time.sleep(1.1)           # since is kept to the second
            env.define(accel_domain(name, tier, i))
            waits[name] = self.wait_listed_waiting(env, name)
            self.assertEqual(self.vms(env)[name][1], tier)
            self.assertIn("2 VFs", waits[name][2], "the reason names what is missing")
        self.assertLess(waits["wa-low"][0], waits["wc-high"][0])
        self.assertLess(waits["wc-high"][0], waits["wb-medium"][0])
        self.assertEqual(env.prop("AssignedVFs"), 2)

        self.disable(env, "hold1")
        self.gets_vf(env, "wc-high", vf1, "High")
        self.assertEqual(self.waiting(env, "wb-medium")[0], waits["wb-medium"][0])
        self.assertEqual(self.waiting(env, "wa-low")[0], waits["wa-low"][0])
        self.assertIsNone(self.xml_vf(env, "wb-medium"))
        self.assertIsNone(self.xml_vf(env, "wa-low"))

        self.disable(env, "hold2")
        self.gets_vf(env, "wb-medium", vf2, "Medium")
        self.assertEqual(self.waiting(env, "wa-low")[0], waits["wa-low"][0])
        self.assertIsNone(self.xml_vf(env, "wa-low"))

        self.disable(env, "wc-high")
        self.gets_vf(env, "wa-low", vf1, "Low")
        self.assertEqual({vm: row[2] for vm, row in self.enabled(env).items()},
                         {"wa-low": vf1, "wb-medium": vf2})
        self.assertXmlInvariants(env, "after the hand-outs", metadata=True)
        self.assertEqual(env.state().get("waiting", []), [])

    def test_same_tier_longest_waiting_first(self):
        """Two Medium VMs: the one that has waited longer gets the VF, though its name sorts
        after the other's."""
        env = self.full_host(total=1, holders=("hold1",))
        vf = self.enabled(env)["hold1"][2]
        env.define(accel_domain("zz-old", "Medium", 1))
        old = self.wait_listed_waiting(env, "zz-old")
        time.sleep(1.1)
        env.define(accel_domain("aa-new", "Medium", 2))
        new = self.wait_listed_waiting(env, "aa-new")
        self.assertLess(old[0], new[0])
        self.disable(env, "hold1")
        self.gets_vf(env, "zz-old", vf, "Medium")
        self.assertEqual(self.waiting(env, "aa-new")[0], new[0])
        self.assertIsNone(self.xml_vf(env, "aa-new"))


class Promptly(WaitingTestCase):
    def test_vf_within_a_second_of_disable(self):
        """A waiting VM (running) gets the VF another VM's DisableVM frees within ~1 s, with the
        VM's MAC on the VF; a stopped one, next, gets its VF into its persistent config."""
        env = self.full_host()
        vf1, vf2 = self.enabled(env)["hold1"][2], self.enabled(env)["hold2"][2]
        env.define(accel_domain("runner", "Medium", 1))
        self.wait_listed_waiting(env, "runner")
        t0 = time.monotonic()
        self.disable(env, "hold1")
        self.gets_vf(env, "runner", vf1, "Medium")
        took = time.monotonic() - t0
        self.assertLess(took, PROMPT + 0.5, f"the VF came {took:.1f} s after DisableVM")
        self.assertEqual(self.vf_settings(env, vf1)["mac"], "52:54:00:ee:00:01")
        self.assertEqual({v["vm"]: v["vf"] for v in self.state_vms(env)}, {"runner": vf1, "hold2": vf2})

        env.define(accel_domain("sleeper", "Low", 2, running=False))
        self.wait_listed_waiting(env, "sleeper")
        self.assertNotIn("sleeper", env.domain_names(running=True))
        self.disable(env, "hold2")
        self.gets_vf(env, "sleeper", vf2, "Low")
        self.assertNotIn("sleeper", env.domain_names(running=True), "a stopped VM is not started")
        self.assertXmlInvariants(env, "after the hand-outs", metadata=True, policy=True)

    def test_undefined_domain_frees_its_vf_for_a_waiting_vm(self):
        """A holder's domain undefined: its VF goes to the waiting VM at once."""
        env = self.full_host(total=1, holders=("hold1",))
        vf = self.enabled(env)["hold1"][2]
        env.define(accel_domain("waiter", "High", 1))
        self.wait_listed_waiting(env, "waiter")
        env.undefine("hold1")
        self.gets_vf(env, "waiter", vf, "High")


class Restart(WaitingTestCase):
    def test_waited_time_survives_a_restart(self):
        """The wait is listed with since when and for how long; state.json keeps since when, so
        an accelnetd restart neither resets it nor loses the VM's place."""
        env = self.full_host(total=1, holders=("hold1",))
        vf = self.enabled(env)["hold1"][2]
        t_define = time.time()
        env.define(accel_domain("waiter", "Medium", 1))
        since, waited, reason = self.wait_listed_waiting(env, "waiter")
        self.assertLessEqual(abs(since - t_define), 2, f"since {since} vs defined at {t_define}")
        self.assertRegex(waited, r"^\d+ s$")
        self.assertIn(reason, self.vms(env)["waiter"][3])
        self.assertEqual(env.state().get("waiting"), [{"vm": "waiter", "since": since}])
        time.sleep(2.2)
        env.restart()
        since2, waited2, reason2 = self.wait_listed_waiting(env, "waiter")
        self.assertEqual(since2, since, "the restart reset the wait")
        self.assertGreaterEqual(int(waited2.split()[0]), 2, waited2)
        self.assertEqual(reason2, reason)
        with open(env.state_dir + "/state.json") as f:
            self.assertIn('"waiting"', f.read(), "state.json written whole at start keeps the wait")
        # and it still gets the VF promptly after the restart
        self.disable(env, "hold1")
        self.gets_vf(env, "waiter", vf, "Medium")
        self.assertEqual(env.state().get("waiting"), [])


class Migration(WaitingTestCase):
    def test_requires_vf_refuses_the_migration(self):
        """migration_requires_vf true: the hook's Migrate onto a host without a free VF is refused
        with ClusterNotEnoughResources naming the VM, its tier and the counts; nothing stored."""
        env = self.full_host(config={"migration_requires_vf": True})
        before = self.state_bytes(env)
        r, out = self.hook(env, "Migrate", "mig1", incoming_xml(tier="High"))
        self.assertError(r, ERR + "ClusterNotEnoughResources", "mig1")
        self.assertIsNone(out)
        self.assertIn("High", r.err)
        self.assertIn("2 of 2", r.err)
        self.assertIn("migration_requires_vf", r.err)
        self.assertEqual(self.state_bytes(env), before)
        self.assertEqual(env.prop("AssignedVFs"), 2)
        self.assertNotIn("mig1", self.vms(env))

    def test_default_arrives_waiting_and_gets_a_vf(self):
        """migration_requires_vf false (the default): the Migrate succeeds, the XML comes back
        without the source host's VF (the virtio NIC and the tier kept), the VM arrives on
        virtio listed as waiting, and gets the next VF that frees."""
        env = self.full_host()
        vf1 = self.enabled(env)["hold1"][2]
        t0 = time.time()
        r, out = self.hook(env, "Migrate", "mig1", incoming_xml(tier="High"))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(hostdev_ifaces(out), [], "the source host's VF is passed on")
        self.assertEqual(accel_metadata(out), {"performance": "High"})
        self.assertIn("52:54:00:dd:00:01", out)
        self.assertEqual(env.prop("AssignedVFs"), 2)
        env.define((out, True))
        since, _, reason = self.wait_listed_waiting(env, "mig1")
        self.assertLessEqual(abs(since - t0), 2)
        self.assertEqual(self.vms(env)["mig1"][1], "High")
        self.disable(env, "hold1")
        self.gets_vf(env, "mig1", vf1, "High")
        self.assertXmlInvariants(env, "after the arrival", metadata=True)

    def test_failed_arrival_waits_no_more(self):
        """An incoming VM that arrived waiting but was released before it ever started here
        (the migration failed) is no longer kept as waiting."""
        env = self.full_host()
        r, _ = self.hook(env, "Migrate", "mig1", incoming_xml())
        self.assertEqual(r.rc, 0, r)
        self.assertEqual([w["vm"] for w in env.state()["waiting"]], ["mig1"], "the wait is saved before the XML goes back")
        r, _ = self.hook(env, "Release", "mig1")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(env.state()["waiting"], [])
        self.assertNotIn("mig1", self.vms(env))
        self.assertEqual(env.prop("AssignedVFs"), 2)

    def test_accelerated_vm_without_a_vf(self):
        """A VM that comes accelerated but without a VF (it waited where it comes from): passed
        on unchanged by default (it waits here too); refused on a full host with
        migration_requires_vf."""
        xml = re.sub(r"<interface type='hostdev'.*?</interface>", "", incoming_xml(tier="Low"), flags=re.S)
        self.assertEqual(hostdev_ifaces(xml), [])
        env = self.full_host()
        r, out = self.hook(env, "Migrate", "mig1", xml)
        self.assertEqual((r.rc, out), (0, xml), r)
        env2 = self.full_host(config={"migration_requires_vf": True})
        r, out = self.hook(env2, "Migrate", "mig1", xml)
        self.assertError(r, ERR + "ClusterNotEnoughResources", "mig1 (performance Low)")
        self.assertIn("migration_requires_vf", r.err)
        # with a VF free it may come (and gets one when its domain arrives)
        self.disable(env2, "hold1")
        r, out = self.hook(env2, "Migrate", "mig1", xml)
        self.assertEqual((r.rc, out), (0, xml), r)


if __name__ == "__main__":
    main()
