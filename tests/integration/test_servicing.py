#!/usr/bin/env python3
"""Planned servicing (issue 13): DrainAdapter / RestoreAdapter and RevokeVM / RestoreVM, like
Azure's servicing events - the VF is revoked, the VM keeps its traffic on virtio and its
setting, the VF comes back afterwards.

Against a real libvirtd hosting the test driver (domains outlive accelnetd's restarts and
kill -9). That driver cannot hot-plug nor hot-unplug: a VF given to a running VM reaches its
persistent config only ("applies at next start"), and a VF a running domain was started with
cannot be unplugged live - the revoke takes it out of the persistent config and the guest
keeps it until it stops; both are asserted as such (what the XML holds, what the note says).

What is asserted each time: the VFs are gone from the domains' XML, the counts (AssignedVFs,
CapacityVFs, ListAdapters' assigned column) are right, the simulated VF settings are back to
what they were before the VMs got them, revoked VMs get a VF of another adapter when one is
free or are listed waiting, DrainProgress and VMChanged are sent, state.json keeps the drain
and the revoke, and one VF is in one VM only - also after kill -9 in the middle of a drain."""
import json
import os
import re
import signal
import subprocess
import time

from harness import ACCELNETCTL, hostdev_ifaces, main
from test_hook_migrate import MigrateTestCase, incoming_xml
from vmlib import (ERR, INTENT1, INTENT12, INVALID, ZERO_MAC, Monitor, VmTestCase, domain, host, igb_pf, many_vms,
                   rootport, settle, two_node_host, vm_mac)

ENS1, ENS2 = "0000:01:00.0", "0000:03:00.0"
# what the VFs of ens1 hold before accelnet hands any out (restored after a revoke)
PREVIOUS = [{"vf": i, "mac": f"02:11:22:33:44:{i:02x}", "vlan": 7, "qos": 0, "spoofchk": False, "trust": True,
             "min_tx_rate": 0, "max_tx_rate": 100, "link_state": "auto"} for i in range(8)]
WAITING = re.compile(r"^waiting for a VF since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC \(([^)]*)\): (.+)$")
REVOKED = re.compile(r"^VF revoked by the admin since (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC \(([^)]*)\)$")
TOTAL = re.compile(r"(\d+) s without a VF in total")


def one_pf_host(total=4, driver="igb"):
    pf = igb_pf(ENS1, "ens1", total=total)
    pf["driver"] = driver
    return host([rootport("0000:00:01.0", [1, 2], [pf])])


def drain_progress(mon):
    """[(adapter, done, total)] of the DrainProgress signals so far, in order."""
    return [(a, int(d), int(t)) for a, d, t in
            re.findall(r'member=DrainProgress\n\s+string "([^"]*)"\n\s+uint32 (\d+)\n\s+uint32 (\d+)', mon.text())]


class ServicingCase(VmTestCase):
    def adapters(self, env):
        """{PCI address: (ifname, assigned VFs)} from ListAdapters."""
        return {a[0]: (a[1], a[6]) for a in env.busctl("ListAdapters").data[0]}

    def servicing_rows(self, env):
        return [row for row in env.busctl("GetPrerequisites").data[0] if row[0] == "servicing"]

    def xml_vfs(self, env):
        """Every VF in any domain's persistent XML."""
        return [vf for vfs in env.vfs_in_xml().values() for vf in vfs]

    def on(self, rows, prefix):
        return {vm for vm, row in rows.items() if row[0] == "enabled" and row[2].startswith(prefix)}


class Drain(ServicingCase):
    def test_drain_moves_the_vms_restores_the_vfs_and_restore_gives_the_adapter_back(self):
        """Two PFs with room: the VMs on the drained one get VFs of the other at once; its VFs
        are out of every domain's XML with their own settings back; the counts drop; progress
        and VMChanged are sent; nothing of it is handed out until RestoreAdapter."""
        env = self.make(libvirtd=True, host_json=two_node_host(total0=4, total1=6), intents=INTENT12, enable="c",
                        reserve=0, domains=many_vms(5))
        self.write_sim(env, "ens1", PREVIOUS[:4])
        for i in range(4):
            self.enable(env, f"vm{i:02d}", "Low")
        before = self.enabled(env)
        moved = self.on(before, "0000:01:")
        self.assertEqual(len(moved), 2, before)
        self.assertEqual(self.adapters(env)[ENS1], ("ens1", 2))
        mon = Monitor(env)

        self.ok(env.call("DrainAdapter", "string:ens1"))
        rows = self.enabled(env)
        self.assertEqual(set(rows), set(before), "every VM keeps its setting")
        self.assertEqual(self.on(rows, "0000:01:"), set(), f"a VF of the drained adapter is still listed: {rows}")
        for vm in moved:
            self.assertTrue(rows[vm][2].startswith("0000:03:"), f"{vm} got no VF of ens2: {rows[vm]}")
            self.assertEqual(rows[vm][1], "Low")
        self.assertEqual([vf for vf in self.xml_vfs(env) if vf.startswith("0000:01:")], [],
                         "a VF of the drained adapter is in a domain's XML")
        self.assertXmlInvariants(env, "after the drain", metadata=True, policy=True)
        self.assertEqual(self.adapters(env), {ENS1: ("ens1", 0), ENS2: ("ens2", 4)})
        self.assertEqual((env.prop("AssignedVFs"), env.prop("CapacityVFs")), (4, 6), "ens1 is out of the capacity")
        self.assertEqual(self.sim_vfs(env, "ens1"), {i: PREVIOUS[i] for i in range(4)},
                         "the revoked VFs have their own settings back")
        # what was told: progress 0 of 2 to 2 of 2 for ens1's address, a revoke per VM
        self.assertTrue(mon.wait(lambda t: drain_progress(mon)[-1:] == [(ENS1, 2, 2)], 5), drain_progress(mon))
        prog = drain_progress(mon)
        self.assertEqual(prog[0], (ENS1, 0, 2))
        self.assertEqual([p[1] for p in prog], sorted(p[1] for p in prog), "progress goes up")
        self.assertEqual({vm for vm, st in mon.vm_changed() if st == "revoked"}, moved)
        # kept, and said
        st = env.state()
        self.assertEqual([d["pf"] for d in st["servicing"]["drained"]], [ENS1])
        self.assertNotIn(ENS1, [v["pf"] for v in st["vms"]])
        (row,) = self.servicing_rows(env)
        self.assertEqual(row[1:3], [ENS1, "Warning"])
        self.assertIn("ens1 is out of service: drained by the admin since", row[4])
        out = env.ctl("adapters")
        self.assertIn("ens1 is out of service: drained by the admin", out.out)
        self.assertIn("Servicing: ens1 is out of service", env.ctl("status").out)
        # nothing of it is handed out: a fifth VM gets a VF of ens2
        self.enable(env, "vm04", "Low")
        self.assertTrue(self.enabled(env)["vm04"][2].startswith("0000:03:"))
        r = env.call("EnableVM", "string:vm04", "string:Low")      # idempotent
        self.ok(r)
        self.disable(env, "vm04")
        # drained again: nothing left to do, answered at once
        self.ok(env.call("DrainAdapter", "string:0000:01:00.0"))

        self.ok(env.call("RestoreAdapter", "string:ens1"))
        self.assertEqual((env.prop("CapacityVFs"), env.prop("AssignedVFs")), (10, 4))
        self.assertEqual(env.state()["servicing"]["drained"], [])
        self.assertEqual(self.servicing_rows(env), [])
        self.assertEqual({vm: row[2] for vm, row in self.enabled(env).items()},
                         {vm: row[2] for vm, row in rows.items()}, "the moved VMs stay where they are")
        self.enable(env, "vm04", "Low")
        self.assertTrue(self.enabled(env)["vm04"][2].startswith("0000:01:"), "ens1 hands out VFs again")
        self.assertXmlInvariants(env, "after the restore", metadata=True, policy=True)
        mon.close()

    def test_nothing_free_elsewhere_the_vms_wait_and_restore_gives_them_vfs_back(self):
        """One adapter: its drain leaves the VMs on virtio, listed waiting (the drained adapter
        named as why), with no VF in their XML; RestoreAdapter gives them VFs again and answers
        when they have them; ListVMs then says how long they were without one."""
        env = self.make(libvirtd=True, host_json=one_pf_host(4), intents=INTENT1, enable="c", reserve=0,
                        domains=many_vms(3))
        self.write_sim(env, "ens1", PREVIOUS[:4])
        for vm in ("vm00", "vm01"):
            self.enable(env, vm, "Medium")
        self.ok(env.call("DrainAdapter", "string:ens1"))
        rows = self.vms(env)
        for vm in ("vm00", "vm01"):
            self.assertEqual(rows[vm][:3], ("enabled", "Medium", ""), rows[vm])
            m = WAITING.match(rows[vm][3])
            self.assertTrue(m, rows[vm])
            self.assertIn("out of service: ens1 (drained by the admin)", m.group(2))
            self.assertEqual(env.metadata(vm), {"performance": "Medium"}, "the setting stays in the XML")
        self.assertEqual(self.xml_vfs(env), [])
        self.assertEqual((env.prop("AssignedVFs"), env.prop("CapacityVFs")), (0, 0))
        self.assertEqual(self.adapters(env)[ENS1], ("ens1", 0))
        self.assertEqual(self.sim_vfs(env, "ens1"), {i: PREVIOUS[i] for i in range(4)})
        # no EnableVM on it
        r = env.call("EnableVM", "string:vm02", "string:Low")
        self.assertNotEqual(r.rc, 0, r)
        self.assertNotIn("vm02", self.enabled(env))
        time.sleep(1.2)

        self.ok(env.call("RestoreAdapter", "string:0000:01:00.0"))
        rows = self.enabled(env)      # answered when they have them: no settle
        self.assertEqual(set(rows), {"vm00", "vm01"})
        for vm in ("vm00", "vm01"):
            self.assertTrue(rows[vm][2].startswith("0000:01:"), rows[vm])
            self.assertGreaterEqual(int(TOTAL.search(rows[vm][3]).group(1)), 1, rows[vm])
        self.assertXmlInvariants(env, "after the restore", metadata=True, policy=True)
        self.assertEqual({v["vm"]: v["without_vf_s"] >= 1 for v in env.state()["servicing"]["vms"]},
                         {"vm00": True, "vm01": True})

    def test_cli_shows_progress_on_a_terminal_and_is_quiet_otherwise(self):
        """accelnetctl adapter drain: on a terminal the progress and the end; not on a terminal
        nothing; --json the adapter and the counts; adapter restore; the errors named."""
        env = self.make(libvirtd=True, host_json=two_node_host(total0=4, total1=4), intents=INTENT12, enable="c",
                        reserve=0, domains=many_vms(4))
        for i in range(4):
            self.enable(env, f"vm{i:02d}", "Low")
        # a pseudo-terminal (script(1)) for accelnetctl's stdout
        p = subprocess.run(["script", "-qec", f"{ACCELNETCTL} adapter drain ens1", "/dev/null"], env=env.env(),
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p)
        self.assertIn("Draining ens1 (0000:01:00.0): 0 of 2 VFs revoked", p.stdout)
        self.assertIn("Drained ens1 (0000:01:00.0): 2 VFs revoked.", p.stdout)
        r = env.ctl("adapter", "restore", "ens1")
        self.assertEqual((r.rc, r.out, r.err), (0, "", ""))
        # ens1 has no VF now (the VMs stay on ens2): quiet, and the JSON says 0 of 0
        r = env.ctl("adapter", "drain", "ens2")
        self.assertEqual((r.rc, r.out, r.err), (0, "", ""), "not a terminal: quiet")
        self.assertEqual(self.on(self.enabled(env), "0000:03:"), set())
        r = env.ctl("adapter", "restore", "ens2", "--json=short")
        self.assertEqual(json.loads(r.out), {"result": "done"})
        r = env.ctl("--json=short", "adapter", "drain", "ens1")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(json.loads(r.out), {"result": "done", "adapter": ENS1, "vfs_revoked": 4, "vfs_total": 4})
        r = env.ctl("adapter", "drain", "ens9")
        self.assertEqual(r.rc, 1)
        self.assertIn("No adapter 'ens9' on this host", r.err)
        self.assertIn(ERR + "AdapterNotFound", r.err)


class RevokeOneVm(ServicingCase):
    def test_revoke_keeps_the_setting_and_restore_gives_a_vf_back(self):
        """RevokeVM: no VF (XML, ListVMs, counts), its VF's settings back, the setting kept in
        the XML; no VF for it while revoked, also across a restart and with VFs free; EnableVM
        with its tier changes nothing, another tier is AlreadyEnabled; RestoreVM gives it a VF
        and ListVMs says how long it was without one."""
        env = self.make(libvirtd=True, host_json=one_pf_host(4), intents=INTENT1, enable="c", reserve=0,
                        domains=many_vms(2))
        self.write_sim(env, "ens1", PREVIOUS[:4])
        self.enable(env, "vm00", "High")
        vf = self.enabled(env)["vm00"][2]
        mon = Monitor(env)
        self.ok(env.call("RevokeVM", "string:vm00"))
        row = self.vms(env)["vm00"]
        self.assertEqual(row[:3], ("enabled", "High", ""))
        self.assertTrue(REVOKED.match(row[3]), row)
        self.assertEqual(env.hostdevs("vm00"), [])
        self.assertEqual(env.metadata("vm00"), {"performance": "High"})
        self.assertEqual((env.prop("AssignedVFs"), env.prop("CapacityVFs")), (0, 4))
        self.assertEqual(self.vf_settings(env, vf), PREVIOUS[0])
        self.assertTrue(mon.wait(lambda t: ("vm00", "revoked") in mon.vm_changed(), 5), mon.vm_changed())
        (svc,) = env.state()["servicing"]["vms"]
        self.assertEqual(svc["vm"], "vm00")
        self.assertGreater(svc["revoked_since"], 0)
        # idempotent; EnableVM with its tier changes nothing, another is refused
        self.ok(env.call("RevokeVM", "string:vm00"))
        self.ok(env.call("EnableVM", "string:vm00", "string:High"))
        self.assertEqual(self.vms(env)["vm00"][2], "")
        self.assertError(env.call("EnableVM", "string:vm00", "string:Low"), ERR + "AlreadyEnabled")
        time.sleep(2.1)
        env.restart()
        row = self.vms(env)["vm00"]
        m = REVOKED.match(row[3])
        self.assertTrue(m, row)
        self.assertGreaterEqual(int(m.group(2).split()[0]), 2, row)
        self.assertEqual(env.hostdevs("vm00"), [], "a restart gives it no VF")
        self.assertEqual(env.prop("AssignedVFs"), 0)

        self.ok(env.call("RestoreVM", "string:vm00"))
        row = self.vms(env)["vm00"]
        self.assertEqual(row[:2], ("enabled", "High"))
        self.assertNotEqual(row[2], "")
        self.assertGreaterEqual(int(TOTAL.search(row[3]).group(1)), 2, row)
        self.assertXmlInvariants(env, "after RestoreVM", metadata=True, policy=True)
        self.assertEqual(env.state()["servicing"]["vms"][0]["revoked_since"], 0)
        self.ok(env.call("RestoreVM", "string:vm00"))          # not revoked: nothing to do
        # disabled, its time without a VF is forgotten; revoked while waiting, it stops waiting
        self.disable(env, "vm00")
        settle(lambda: self.assertEqual(env.state()["servicing"]["vms"], []))
        mon.close()

    def test_errors_name_the_value(self):
        env = self.make(libvirtd=True, host_json=two_node_host(total0=4, total1=4), intents=INTENT1, enable="c",
                        reserve=0, domains=many_vms(2))
        self.enable(env, "vm00", "Low")
        self.assertError(env.call("DrainAdapter", "string:ens9"), ERR + "AdapterNotFound", "'ens9'")
        self.assertError(env.call("RestoreAdapter", "string:0000:09:00.0"), ERR + "AdapterNotFound", "0000:09:00.0")
        self.assertError(env.call("DrainAdapter", "string:ens2"), INVALID, "not an adapter of intent 'c'")
        self.assertError(env.call("DrainAdapter", "string:"), INVALID, "Invalid adapter ''")
        self.assertError(env.call("DrainAdapter", "string:a/b"), INVALID, "'a/b'")
        self.assertError(env.call("RevokeVM", "string:nosuch"), ERR + "NoSuchVM", "nosuch")
        self.assertError(env.call("RevokeVM", "string:vm01"), INVALID, "VM 'vm01' is not accelerated")
        self.assertError(env.call("RestoreVM", "string:"), INVALID)
        # not root, no polkit: AccessDenied, nothing changed (a call that would change nothing
        # is answered before polkit is asked, as for every method)
        denied = "org.freedesktop.DBus.Error.AccessDenied"
        self.assertError(env.call("DrainAdapter", "string:ens1", user="nobody"), denied)
        self.assertError(env.call("RevokeVM", "string:vm00", user="nobody"), denied)
        self.ok(env.call("RestoreAdapter", "string:ens1", user="nobody"))       # not drained: nothing to do
        self.assertEqual(env.prop("AssignedVFs"), 1)
        self.assertEqual(env.state()["servicing"], {"drained": [], "vms": []})
        self.ok(env.call("RevokeVM", "string:vm00"))
        self.ok(env.call("DrainAdapter", "string:ens1"))
        self.assertError(env.call("RestoreAdapter", "string:ens1", user="nobody"), denied)
        self.assertError(env.call("RestoreVM", "string:vm00", user="nobody"), denied)
        svc = env.state()["servicing"]
        self.assertEqual(([d["pf"] for d in svc["drained"]], [v["vm"] for v in svc["vms"] if v["revoked_since"]]),
                         ([ENS1], ["vm00"]))
        self.ok(env.call("RestoreVM", "string:vm00"))
        self.assertTrue(WAITING.match(self.vms(env)["vm00"][3]), "restored, it waits: its adapter is drained")
        self.ok(env.call("RestoreAdapter", "string:ens1"))
        self.assertNotEqual(self.vms(env)["vm00"][2], "")
        r = env.ctl("vm", "revoke", "nosuch")
        self.assertEqual(r.rc, 1)
        self.assertIn(ERR + "NoSuchVM", r.err)
        self.ok(env.call("Disable"))
        self.assertError(env.call("DrainAdapter", "string:ens1"), ERR + "NotEnabled")
        self.assertError(env.call("RevokeVM", "string:vm00"), ERR + "NotEnabled")


class Hook(ServicingCase, MigrateTestCase):
    def test_a_revoked_vm_gets_no_vf_from_the_hook(self):
        """A VM whose VF the admin revoked, arriving by migration: it comes without a VF (the
        XML given back has none) and stays revoked; started from an XML that names a free VF of
        this node: the start is refused, naming the revoke."""
        env = self.make(libvirtd=True, host_json=one_pf_host(4), intents=INTENT1, enable="c", reserve=0,
                        domains=many_vms(1))
        self.enable(env, "vm00", "Medium")
        self.ok(env.call("RevokeVM", "string:vm00"))
        r, out = self.hook(env, "Migrate", "vm00", incoming_xml(name="vm00", mac=vm_mac(0), vf="0000:5e:00.2"))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(hostdev_ifaces(out), [], "it comes without a VF")
        self.assertIn("ua-accelnet-net0", out, "its virtio NIC and setting stay")
        self.assertTrue(REVOKED.match(self.vms(env)["vm00"][3]), self.vms(env)["vm00"])
        self.assertEqual(env.prop("AssignedVFs"), 0)
        free = self.local_vfs(env)[0]
        r, _ = self.hook(env, "Prepare", "vm00", incoming_xml(name="vm00", mac=vm_mac(0), vf=free))
        self.assertError(r, ERR + "EnableAccelNetFailed", "the admin revoked its VF on this node")
        self.assertEqual(env.prop("AssignedVFs"), 0)
        self.ok(env.call("RestoreVM", "string:vm00"))
        self.assertNotEqual(self.vms(env)["vm00"][2], "")


class LiveVf(ServicingCase):
    def test_a_running_guest_that_cannot_be_unplugged_keeps_its_vf_until_it_stops(self):
        """A domain started with its VF (the test driver cannot unplug live): the revoke takes
        the VF out of its persistent config at once - a restart of the VM never brings it back
        - but the running guest holds it: it stays assigned (counted, listed with why), its
        settings untouched, DrainAdapter answers Busy naming it; when the domain stops it is
        freed and restored, and the VM gets another VF."""
        env = self.make(libvirtd=True, host_json=two_node_host(total0=4, total1=4), intents=INTENT12, enable="c",
                        reserve=0, domains=[domain("live", 4, vm_mac(1), running=False, index=1)])
        self.write_sim(env, "ens1", PREVIOUS[:4])
        self.enable(env, "live", "Low")
        env.start_domain("live")
        vf = self.enabled(env)["live"][2]
        pf, other = ("ens1", "ens2") if vf.startswith("0000:01:") else ("ens2", "ens1")
        self.assertIn(vf, [h["pci"] for h in env.hostdevs("live", inactive=False)], "started with its VF")
        r = env.call("DrainAdapter", f"string:{pf}")
        self.assertError(r, ERR + "Busy", f"VF {vf} of VM live")
        self.assertIn("running guest still holds it", r.err)
        self.assertEqual(env.hostdevs("live"), [], "out of the persistent config")
        self.assertIn(vf, [h["pci"] for h in env.hostdevs("live", inactive=False)], "still in the live XML")
        row = self.vms(env)["live"]
        self.assertEqual(row[:3], ("enabled", "Low", vf))
        self.assertIn("out of its persistent config, but the running guest still holds it", row[3])
        self.assertEqual(env.prop("AssignedVFs"), 1)
        self.assertEqual(env.state()["vms"][0]["phase"], "revoking")
        if pf == "ens1":
            self.assertEqual(self.vf_settings(env, vf)["mac"], vm_mac(1), "the guest's VF keeps its policy")
        # the guest stops: the VF is freed and restored, the VM gets a VF of the other adapter
        env.destroy_domain("live")

        def freed():
            row = self.vms(env)["live"]
            self.assertEqual(row[:2], ("enabled", "Low"))
            self.assertTrue(row[2].startswith("0000:03:" if other == "ens2" else "0000:01:"), row)
            self.assertEqual(self.adapters(env)[ENS1 if pf == "ens1" else ENS2][1], 0)
        settle(freed)
        if pf == "ens1":
            self.assertEqual(self.vf_settings(env, vf), PREVIOUS[int(vf[-1]) // 2])
        self.assertXmlInvariants(env, "after the guest stopped", metadata=True)
        self.ok(env.call("DrainAdapter", f"string:{pf}"))       # nothing left: done


class Order(ServicingCase):
    def test_link_down_before_the_unplug_settings_after(self):
        """On a driver with VF link control, with every VF operation of the simulated host
        made slow: while the VF is in the VM's XML its link goes down and its policy stays; once
        it is out of the XML its own settings come back, the link state last."""
        env = self.make(libvirtd=True, host_json=one_pf_host(4, driver="ixgbe"), intents=INTENT1, enable="c",
                        reserve=0, domains=[domain("web", 4, vm_mac(7), vlan=42, index=1)])
        self.enable(env, "web", "Low")
        vf = self.enabled(env)["web"][2]
        self.assertEqual(self.vf_settings(env, vf)["vlan"], 42)
        with open(os.path.join(env.root, "run/accelnet-sim/vf-set-delay-ms"), "w") as f:
            f.write("400")
        call = subprocess.Popen(["dbus-send", "--system", "--print-reply", "--dest=org.accelnet1", "/org/accelnet1",
                                 "org.accelnet1.Manager.RevokeVM", "string:web"], env=env.env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        samples = []
        while call.poll() is None:
            # in the XML before and after the settings are read: True (plugged all along),
            # False (out all along), None (it changed meanwhile: says nothing either way;
            # a busy machine stretches the reads)
            before = vf in [h["pci"] for h in env.hostdevs("web")]
            s = self.vf_settings(env, vf)
            after = vf in [h["pci"] for h in env.hostdevs("web")]
            in_xml = before if before == after else None
            samples.append((in_xml, s["mac"], s["vlan"], s["link_state"]))
            time.sleep(0.05)
        out, err = call.communicate()
        self.assertEqual(call.returncode, 0, err)
        self.assertIn((True, vm_mac(7), 42, "disable"), samples, "the link goes down while the VF is plugged")
        self.assertEqual([s for s in samples if s[0] is True and s[1] != vm_mac(7)], [],
                         "nothing of the VF's own settings comes back while it is plugged")
        self.assertTrue(any(s[0] is False and s[3] == "disable" for s in samples),
                        f"the settings come back once it is out, the link state last: {samples}")
        self.assertEqual(self.vf_settings(env, vf), {"vf": int(vf[-1]) // 2, "mac": ZERO_MAC, "vlan": 0, "qos": 0,
                                                    "spoofchk": True, "trust": False, "min_tx_rate": 0,
                                                    "max_tx_rate": 0, "link_state": "auto"})
        os.unlink(os.path.join(env.root, "run/accelnet-sim/vf-set-delay-ms"))
        self.ok(env.call("RestoreVM", "string:web"))
        self.assertEqual(self.vf_settings(env, self.enabled(env)["web"][2])["link_state"], "auto")


class Crash(ServicingCase):
    N = 8

    def test_kill9_in_the_middle_of_a_drain(self):
        """kill -9 of accelnetd while 8 VFs are revoked two at a time, each revoke slowed by the
        simulated host: after the restart the drain finishes by itself - every VM off the
        drained adapter (on the other one, or waiting), no VF lost (each freed VF has its own
        settings back, the count adds up) and none in two VMs - and DrainAdapter answers."""
        env = self.make(libvirtd=True, host_json=two_node_host(total0=8, total1=8), intents=INTENT12, enable="c",
                        reserve=0, domains=many_vms(12),
                        pre_start=lambda e: e.write_config("accelnet.json", {"max_concurrent_operations": 2}))
        self.write_sim(env, "ens1", PREVIOUS)
        names = [f"vm{i:02d}" for i in range(12)]
        for vm in names:
            self.enable(env, vm, "Low")
        on1 = self.on(self.enabled(env), "0000:01:")
        self.assertEqual(len(on1), 6)
        delay = os.path.join(env.root, "run/accelnet-sim/vf-set-delay-ms")
        with open(delay, "w") as f:
            f.write("150")
        call = subprocess.Popen(["dbus-send", "--system", "--print-reply", "--dest=org.accelnet1", "/org/accelnet1",
                                 "org.accelnet1.Manager.DrainAdapter", "string:ens1"], env=env.env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

        def some_revoked():
            st = env.state()
            revoking = [v["vm"] for v in st["vms"] if v["phase"] == "revoking"]
            gone = on1 - {v["vm"] for v in st["vms"] if v["pf"] == ENS1}
            self.assertTrue(revoking and gone, f"revoking {revoking}, gone {gone}")
        settle(some_revoked, 30)
        env.kill9()
        call.communicate()
        self.assertNotEqual(call.returncode, 0, "the call was cut by the kill")
        st = env.state()
        self.assertEqual([d["pf"] for d in st["servicing"]["drained"]], [ENS1], "the drain is on disk")
        self.assertTrue([v for v in st["vms"] if v["pf"] == ENS1], "the kill came before the end")
        os.unlink(delay)
        env.start()

        def finished():
            rows = self.vms(env)
            self.assertEqual(self.on(rows, "0000:01:"), set(), rows)
            self.assertEqual({v["pf"] for v in env.state()["vms"]}, {ENS2})
            self.assertEqual([v["phase"] for v in env.state()["vms"]], ["assigned"] * len(env.state()["vms"]))
            self.assertEqual(self.adapters(env)[ENS1], ("ens1", 0))
        settle(finished, 20)
        self.ok(env.call("DrainAdapter", "string:ens1"))
        rows = self.vms(env)
        with_vf = {vm for vm in names if rows[vm][2]}
        waiting = {vm for vm in names if rows[vm][3].startswith("waiting for a VF")}
        self.assertEqual(len(with_vf), 8, rows)                    # ens2's 8 VFs
        self.assertEqual(with_vf | waiting, set(names), "every VM has a VF or waits for one")
        self.assertEqual(with_vf & waiting, set())
        self.assertEqual([vf for vf in self.xml_vfs(env) if vf.startswith("0000:01:")], [])
        self.assertEqual(self.sim_vfs(env, "ens1"), {i: PREVIOUS[i] for i in range(8)}, "no VF of ens1 lost")
        self.assertEqual({r["vm"]: r["vf"] for r in env.state()["vms"]}, {vm: rows[vm][2] for vm in with_vf})
        xml = env.vfs_in_xml()
        self.assertEqual({vm: vfs for vm, vfs in xml.items() if vfs}, {vm: [rows[vm][2]] for vm in with_vf})
        self.assertEqual(len(set(rows[vm][2] for vm in with_vf)), 8, "a VF in two VMs")
        self.assertEqual((env.prop("AssignedVFs"), env.prop("CapacityVFs")), (8, 8))
        # and back: the waiting ones get ens1's VFs
        self.ok(env.call("RestoreAdapter", "string:ens1"))
        self.assertEqual({vm for vm, row in self.vms(env).items() if row[2]}, set(names))
        self.assertXmlInvariants(env, "after the restore", metadata=True, policy=True)


if __name__ == "__main__":
    main()
