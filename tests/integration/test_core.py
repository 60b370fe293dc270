#!/usr/bin/env python3
"""The single-node core's contract, libvirt side (issue 10, items 1-4 and 8), against a real
libvirtd hosting the test driver so that domain XML outlives accelnetd: the VM's setting in
its own XML (<metadata>, one VF alias per VM), declarative management across a simulated
reboot, one VF one VM across disable/enable and a lost state file and with VFs that are not
ours in domain XML, idempotent Enable/EnableVM, and another intent counting only its own
adapters. Each test is named after the bug it covers and fails on the core before the rework."""
import json
import os
import time

from harness import METADATA_NS, VF_ALIAS, main
from vmlib import (ERR, INTENT1, VmTestCase, ZERO_MAC, domain, host, igb_pf, many_vms, rootport, two_node_host,
                   INTENT12)

ALREADY = ERR + "AlreadyEnabled"
INTENT_PFS = ("0000:01:00.0", "0000:01:00.1", "0000:03:00.0", "0000:03:00.1")   # the simulated host's "compute"


def wait_for(pred, timeout):
    """pred() until true or the timeout; returns its last value."""
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v or time.time() > deadline:
            return v
        time.sleep(0.1)


def foreign_domain(name, vf, index, running=False):
    """A domain that holds VF `vf` as a hostdev interface that is not accelnet's (an admin's
    own passthrough: no ua-accelnet- alias)."""
    dom, bus, rest = vf.split(":")
    slot, fn = rest.split(".")
    return (f"<domain type='test'><name>{name}</name><uuid>7a1c0000-0000-4000-9000-{index:012x}</uuid>"
            f"<memory unit='KiB'>1048576</memory><vcpu placement='static'>4</vcpu>"
            f"<os><type arch='x86_64'>hvm</type></os><devices>"
            f"<interface type='hostdev' managed='yes'><mac address='52:54:00:ee:00:{index:02x}'/>"
            f"<source><address type='pci' domain='0x{dom}' bus='0x{bus}' slot='0x{slot}' function='0x{fn}'/>"
            f"</source></interface></devices>"
            + ("" if running else "<test:runstate>5</test:runstate>") + "</domain>")


class CoreTestCase(VmTestCase):
    def rows(self, env, *vms):
        """(state, tier, VF) of each VM in ListVMs."""
        all_rows = self.vms(env)
        return {vm: all_rows[vm][:3] if vm in all_rows else None for vm in vms}

    def hostdev(self, env, vm):
        """The one accelnet hostdev of the VM's persistent XML (fails when there is not exactly one)."""
        ours = [h for h in env.hostdevs(vm) if (h["alias"] or "").startswith("ua-accelnet-")]
        self.assertEqual(len(ours), 1, f"{vm}: accelnet hostdevs in the persistent XML: {ours}")
        return ours[0]

    def tier_in_xml(self, env, vm):
        md = env.metadata(vm)
        return md.get("performance") if md else None


# ---- 1. the VM's setting travels in its own XML -----------------------------------------------

class SettingInXml(CoreTestCase):
    def test_tier_missing_from_domain_metadata(self):
        """EnableVM writes <metadata><vm xmlns='https://accelnet.dev/xmlns/domain/1'
        performance='TIER'/>, SetVM updates it, management Disable leaves it, DisableVM
        removes it."""
        env = self.make(libvirtd=True, enable="compute")
        self.enable(env, "web2", "medium")         # any spelling; written as the daemon spells it
        self.enable(env, "batch", "High")          # a stopped VM: persistent XML only
        xml = env.dumpxml("web2", inactive=True)
        self.assertIn(METADATA_NS, xml, "no accelnet metadata namespace in web2's persistent XML")
        self.assertEqual(self.tier_in_xml(env, "web2"), "Medium")
        self.assertEqual(self.tier_in_xml(env, "batch"), "High")
        self.assertIsNone(self.tier_in_xml(env, "web1"), "a VM never enabled has no accelnet metadata")
        self.ok(env.call("SetVM", "string:web2", "string:HIGH"))
        self.assertEqual(self.tier_in_xml(env, "web2"), "High")
        self.ok(env.call("SetVM", "string:web2", "string:Low"))
        self.assertEqual(self.tier_in_xml(env, "web2"), "Low")
        # management Disable stops tracking; the VMs' own setting stays with them
        self.ok(env.call("Disable"))
        self.assertEqual((self.tier_in_xml(env, "web2"), self.tier_in_xml(env, "batch")), ("Low", "High"))
        self.ok(env.call("Enable", "string:compute", "uint32:50"))
        self.disable(env, "batch")
        self.assertIsNone(self.tier_in_xml(env, "batch"), "DisableVM left the metadata in batch's XML")
        self.assertEqual(self.tier_in_xml(env, "web2"), "Low")
        self.assertXmlInvariants(env, "after DisableVM", metadata=True)

    def test_vf_alias_derived_from_vf_address(self):
        """The VF interface's alias is ua-accelnet-vf for every VM, and stays when the VM moves to
        another VF (QEMU refuses a second primary with another alias for the same standby)."""
        # node 0: ens1 with 4 VFs; node 1: ens2 with one. db1 is pinned to node 1.
        env = self.make(libvirtd=True, host_json=two_node_host(total0=4, total1=1), intents=INTENT12, enable="c",
                        reserve=0)
        self.enable(env, "web2", "Low")
        self.enable(env, "web1", "Low")            # least loaded: node 1's only VF
        self.enable(env, "db1", "Medium")          # prefers node 1, which is full: a node-0 VF
        for vm in ("web2", "web1", "db1"):
            h = self.hostdev(env, vm)
            self.assertEqual(h["alias"], VF_ALIAS, f"{vm}'s VF {h['pci']} has alias {h['alias']}")
            self.assertEqual(h["teaming"]["type"], "transient", vm)
        old = self.hostdev(env, "db1")["pci"]
        self.disable(env, "web1")
        self.ok(env.call("SetVM", "string:db1", "string:High"))   # moves db1 to node 1's VF
        h = self.hostdev(env, "db1")
        self.assertEqual(h["pci"], "0000:03:10.0")
        self.assertNotEqual(h["pci"], old)
        self.assertEqual(h["alias"], VF_ALIAS, "the alias changed with the VF")
        self.assertXmlInvariants(env, "after the move")


# ---- 2. declarative management: a reboot keeps what is enabled --------------------------------

class Declarative(CoreTestCase):
    VMS = {"tagged": ("Medium", "52:54:00:bb:00:01", 42), "off": ("High", "52:54:00:bb:00:02", 0),
           "plain": ("Low", "52:54:00:bb:00:03", 0)}

    def test_simulated_reboot_drops_enabled_vms(self):
        """After a reboot (fake root rebuilt from the same host description: no VFs, no VF
        settings; libvirt keeps its domains) and an accelnetd start, every enabled VM is listed
        enabled with its tier and VF within a few seconds, AssignedVFs is unchanged,
        sriov_numvfs is back at the plan and each VF has its VM's policy again."""
        doms = [domain("tagged", 4, "52:54:00:bb:00:01", vlan=42, index=1),
                domain("off", 4, "52:54:00:bb:00:02", running=False, index=2),
                domain("plain", 4, "52:54:00:bb:00:03", index=3),
                domain("other", 4, "52:54:00:bb:00:04", index=4)]
        env = self.make(libvirtd=True, domains=doms, enable="compute", reserve=30)
        for vm, (tier, _, _) in self.VMS.items():
            self.enable(env, vm, tier)
        ifnames = self.pf_ifnames(env)
        before = self.rows(env, *self.VMS, "other")
        props = env.props()
        self.assertEqual(props["AssignedVFs"], 3)
        self.assertEqual([self.numvfs(env, ifnames[pf]) for pf in INTENT_PFS], [8] * 4)

        env.simulated_reboot()
        self.assertEqual([self.numvfs(env, ifnames[pf]) for pf in INTENT_PFS], [0] * 4, "the reboot left VFs")
        self.assertFalse(os.path.exists(os.path.join(env.root, "run/accelnet-sim")))
        env.start()

        def settled():
            return (self.rows(env, *self.VMS, "other") == before and env.prop("AssignedVFs") == 3 and
                    [self.numvfs(env, ifnames[pf]) for pf in INTENT_PFS] == [8] * 4)
        wait_for(settled, 8)
        self.assertEqual(self.rows(env, *self.VMS, "other"), before, "ListVMs after the reboot")
        after = env.props()
        for p in ("Enabled", "IntentName", "NodeReservePercentage", "CapacityVFs", "UsableVFs", "AssignedVFs"):
            self.assertEqual(after[p], props[p], p)
        self.assertEqual([self.numvfs(env, ifnames[pf]) for pf in INTENT_PFS], [8] * 4, "sriov_numvfs after the reboot")
        # the VF policy is set again: MAC and VLAN of the VM's virtio NIC, spoof check on, trust off
        for vm, (_, mac, vlan) in self.VMS.items():
            vf = before[vm][2]
            s = self.vf_settings(env, vf)
            self.assertEqual((s["mac"], s["vlan"], s["spoofchk"], s["trust"]), (mac, vlan, True, False),
                             f"the policy of {vm}'s VF {vf} after the reboot")
        # nothing else holds a VF's MAC
        macs = [s["mac"] for pf in INTENT_PFS for s in self.sim_vfs(env, ifnames[pf]).values() if s["mac"] != ZERO_MAC]
        self.assertEqual(sorted(macs), sorted(m for _, m, _ in self.VMS.values()))
        self.assertXmlInvariants(env, "after the reboot")


# ---- 3. one VF, one VM, always ------------------------------------------------------------------

class OneVfOneVm(CoreTestCase):
    TIERS = {"vm00": "Medium", "vm01": "High", "vm02": "Low"}

    def enable_three(self, env):
        for vm, tier in self.TIERS.items():
            self.enable(env, vm, tier)
        return self.rows(env, *self.TIERS)

    def test_disable_then_enable_hands_the_vfs_of_enabled_vms_out_again(self):
        """disable -> enable -> vm enable more VMs never puts one VF into two domains' XML, and
        the VMs enabled before the disable are listed enabled again with their tier and VF."""
        env = self.make(libvirtd=True, domains=many_vms(8, stopped_every=3), enable="compute", reserve=0)
        before = self.enable_three(env)
        self.ok(env.call("Disable"))
        self.ok(env.call("Enable", "string:compute", "uint32:0"))
        r = env.busctl("EnableVMs", "ass", 4, "vm03", "vm04", "vm05", "vm06", "Low")
        self.ok(r)
        self.assertEqual([e[1] for e in r.data[0]], [""] * 4)
        self.assertXmlInvariants(env, "after disable, enable, EnableVMs")
        self.assertEqual(self.rows(env, *self.TIERS), before, "VMs enabled before the disable")
        self.assertXmlInvariants(env, "at the end", metadata=True, policy=True)

    def test_lost_state_file_hands_vfs_in_domain_xml_out_again(self):
        """After state.json is lost (deleted, daemon restarted, management enabled again) the
        VFs still in domain XML are adopted for their VMs, with the tier of their metadata,
        and never handed out again."""
        env = self.make(libvirtd=True, domains=many_vms(8, stopped_every=3), enable="compute", reserve=0)
        before = self.enable_three(env)
        self.assertEqual(env.stop(), 0)
        os.unlink(os.path.join(env.state_dir, "state.json"))
        env.start()
        self.ok(env.call("Enable", "string:compute", "uint32:0"))
        r = env.busctl("EnableVMs", "ass", 4, "vm03", "vm04", "vm05", "vm06", "Low")
        self.ok(r)
        self.assertEqual([e[1] for e in r.data[0]], [""] * 4)
        self.assertXmlInvariants(env, "after the state file was lost")
        self.assertEqual(self.rows(env, *self.TIERS), before, "VMs whose VF is in their XML")
        self.assertXmlInvariants(env, "at the end", metadata=True, policy=True)

    def test_vf_in_a_foreign_hostdev_is_handed_out(self):
        """A VF of the intent in a domain's XML that is not accelnet's (no ua-accelnet- alias) is
        never handed out, whether the domain was there before management was enabled or is
        defined later, and it is reported in GetPrerequisites (check "reconcile")."""
        # one PF with three VFs: 0000:01:10.0, 0000:01:10.2, 0000:01:10.4; reserve 0
        one_pf = host([rootport("0000:00:01.0", [1, 2], [igb_pf("0000:01:00.0", "ens1", total=3)])])
        env = self.make(libvirtd=True, host_json=one_pf, intents=INTENT1,
                        domains=[foreign_domain("admin1", "0000:01:10.0", 1)] + many_vms(3))
        self.ok(env.call("Enable", "string:c", "uint32:0"))
        env.define(foreign_domain("admin2", "0000:01:10.4", 2, running=True))
        time.sleep(0.5)          # the define event reaches the daemon
        r = env.call("EnableVM", "string:vm00", "string:Low")
        vfs = self.enabled(env)
        self.assertNotIn(vfs.get("vm00", ("", "", ""))[2], ("0000:01:10.0", "0000:01:10.4"),
                         "vm00 got a VF another domain holds")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(vfs["vm00"][2], "0000:01:10.2")
        for vm in ("vm01", "vm02"):
            r = env.call("EnableVM", f"string:{vm}", "string:Low")
            self.assertNotEqual(r.rc, 0, f"{vm} was given a VF: {self.enabled(env).get(vm)}")
            self.assertEqual(env.hostdevs(vm), [], f"{vm}'s XML got a hostdev")
        self.assertEqual(env.hostdevs("admin1")[0]["pci"], "0000:01:10.0")
        self.assertEqual(env.hostdevs("admin2")[0]["pci"], "0000:01:10.4")
        self.assertXmlInvariants(env, "with foreign hostdevs")
        rows = [row for row in env.busctl("GetPrerequisites").data[0] if row[0] == "reconcile"]
        for vf, vm in (("0000:01:10.0", "admin1"), ("0000:01:10.4", "admin2")):
            self.assertTrue(any(vf in " ".join(row) and vm in " ".join(row) for row in rows),
                            f"no reconcile row names {vf} of {vm}: {rows}")


# ---- 4. idempotent verbs ------------------------------------------------------------------------

class Idempotent(CoreTestCase):
    INTENTS = {"compute": {"name": "compute", "types": ["compute"], "adapters": ["ens1f0", "ens1f1"]},
               "other": {"name": "other", "types": ["compute"], "adapters": ["ens2f0"]}}

    def test_enable_on_an_enabled_host_changes_intent_or_reserve(self):
        """Enable with the intent and reserve in force: success, nothing changes. With another
        intent or reserve: AlreadyEnabled naming what is in force and Set / accelnetctl set;
        nothing changes - also `accelnetctl enable --intent compute` without --node-reserve on a
        host enabled with reserve 30."""
        env = self.make(intents=self.INTENTS)
        self.ok(env.call("Enable", "string:compute", "uint32:30"))
        props, state = env.props(), env.state()
        self.ok(env.call("Enable", "string:compute", "uint32:30"))
        self.assertEqual((env.props(), env.state()), (props, state))
        r = env.ctl("enable", "--intent", "compute")        # --node-reserve defaults to 50
        self.assertEqual(r.rc, 1, f"accelnetctl enable with another reserve: {r}")
        self.assertIn(ALREADY, r.err)
        for needle in ("compute", "30", "accelnetctl set"):
            self.assertIn(needle, r.err)
        self.assertEqual(env.prop("NodeReservePercentage"), 30)
        for intent, reserve in (("other", 30), ("compute", 40), ("other", 50)):
            r = env.call("Enable", f"string:{intent}", f"uint32:{reserve}")
            self.assertError(r, ALREADY)
            for needle in ("compute", "30", "Set", "accelnetctl set"):
                self.assertIn(needle, r.err, f"Enable {intent} {reserve}")
            self.assertEqual((env.props(), env.state()), (props, state), f"Enable {intent} {reserve} changed something")
        # the verb to use works
        self.ok(env.call("Set", "string:other", "uint32:4294967295"))
        self.assertEqual((env.prop("IntentName"), env.prop("NodeReservePercentage")), ("other", 30))

    def test_enablevm_with_another_tier_changes_it(self):
        """EnableVM of a VM enabled with the same tier: success, nothing changes; with another
        tier: AlreadyEnabled naming the tier in force and SetVM / accelnetctl vm set, tier and
        metadata unchanged. EnableVMs applies the rule per VM."""
        env = self.make(libvirtd=True, enable="compute")
        self.enable(env, "web2", "Low")
        before = (self.rows(env, "web2"), self.state_text(env), env.dumpxml("web2", inactive=True))
        self.enable(env, "web2", "Low")
        self.enable(env, "web2", "LOW")
        self.assertEqual((self.rows(env, "web2"), self.state_text(env), env.dumpxml("web2", inactive=True)), before)
        r = env.call("EnableVM", "string:web2", "string:High")
        self.assertError(r, ALREADY)
        for needle in ("Low", "SetVM", "accelnetctl vm set"):
            self.assertIn(needle, r.err)
        r = env.ctl("vm", "enable", "web2", "--performance", "medium")
        self.assertEqual(r.rc, 1, r)
        self.assertIn(ALREADY, r.err)
        r = env.busctl("EnableVMs", "ass", 3, "web2", "web1", "web2", "Medium")
        self.ok(r)
        self.assertEqual(r.data[0], [["web2", ALREADY], ["web1", ""], ["web2", ALREADY]])
        r = env.busctl("EnableVMs", "ass", 2, "web2", "web1", "medium")
        self.assertEqual(r.data[0], [["web2", ALREADY], ["web1", ""]])
        self.assertEqual(self.rows(env, "web2")["web2"][:2], ("enabled", "Low"))
        self.assertEqual(self.tier_in_xml(env, "web2"), "Low")
        # the verb to use works
        self.ok(env.call("SetVM", "string:web2", "string:High"))
        self.assertEqual(self.rows(env, "web2")["web2"][:2], ("enabled", "High"))
        self.assertXmlInvariants(env, "at the end", metadata=True, policy=True)


# ---- 8. another intent --------------------------------------------------------------------------

class AnotherIntent(CoreTestCase):
    INTENTS = {"a": {"name": "a", "types": ["compute"], "adapters": ["ens1f0", "ens1f1"]},
               "b": {"name": "b", "types": ["compute"], "adapters": ["ens2f0"]}}

    def plan(self, env):
        """The PFs of the provisioning plan in state.json."""
        return sorted(a["pf"] for a in env.state()["adapters"])

    def assertCounts(self, env, capacity, usable, plan, where):
        self.assertEqual((env.prop("CapacityVFs"), env.prop("UsableVFs")), (capacity, usable), where)
        self.assertEqual(self.plan(env), plan, f"{where}: the plan")

    def test_set_to_another_intent_counts_the_old_intents_adapters(self):
        """Set --intent other, or Disable then Enable with another intent: CapacityVFs,
        UsableVFs and the plan count only the new intent's adapters."""
        env = self.make(intents=self.INTENTS, enable="a", reserve=50)
        a_pfs, b_pfs = ["0000:01:00.0", "0000:01:00.1"], ["0000:03:00.0"]
        self.assertCounts(env, 16, 8, a_pfs, "intent a")
        self.ok(env.call("Set", "string:b", "uint32:4294967295"))
        self.assertCounts(env, 8, 4, b_pfs, "Set to intent b")
        env.restart()
        self.assertCounts(env, 8, 4, b_pfs, "intent b after a restart")
        self.ok(env.call("Set", "string:a", "uint32:4294967295"))
        self.assertCounts(env, 16, 8, a_pfs, "Set back to intent a")
        self.ok(env.call("Disable"))
        self.ok(env.call("Enable", "string:b", "uint32:50"))
        self.assertCounts(env, 8, 4, b_pfs, "Disable, Enable with intent b")
        # what the plan held is visible to clients too
        st = json.loads(env.ctl("status", "--json").out)
        self.assertEqual((st["capacity_vfs"], st["usable_vfs"]), (8, 4))


if __name__ == "__main__":
    main()
