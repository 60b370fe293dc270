#!/usr/bin/env python3
"""org.accelnet1.Hook Migrate and Release (issue 10, item 7), called as accelnet-hook calls
them (root, over the bus): data from the migration source is checked before anything is
stored, a valid incoming VM claims a local VF keeping its alias and its tier from the
<metadata> it brings, a failed incoming migration (Release before the domain ever started
here) gives the claim back, and the XML of a VM accelnet does not manage comes back unchanged
however deep or whatever DOCTYPE it has. Each test is named after the bug it covers and fails
on the core before the rework."""
import json
import os
import subprocess

from harness import BUILD_DIR, METADATA_NS, VF_ALIAS, accel_metadata, hostdev_ifaces, main
from vmlib import INTENT1, INTENT12, VmTestCase, host, igb_pf, rootport, two_node_host

HOOK = "org.accelnet1.Hook"
INVALID = "org.freedesktop.DBus.Error.InvalidArgs"
HOOK_PROGRAM = os.path.join(BUILD_DIR, "src", "accelnet-hook")
SOURCE_VF = "0000:5e:00.2"          # the VF the VM had on the source host


def incoming_xml(name="mig1", mac="52:54:00:dd:00:01", vlan=None, tier="Medium", vf=SOURCE_VF, placement=""):
    """An accelerated VM's XML as the migration source sends it: metadata with its tier, the
    virtio NIC teamed with accelnet's VF hostdev (alias ua-accelnet-vf)."""
    dom, bus, rest = vf.split(":")
    slot, fn = rest.split(".")
    v = f"<vlan><tag id='{vlan}'/></vlan>" if vlan is not None else ""
    md = f"<metadata><accelnet:vm xmlns:accelnet='{METADATA_NS}' performance='{tier}'/></metadata>" if tier else ""
    return (f"<domain type='test'><name>{name}</name><uuid>5e5e0000-0000-4000-8000-000000000001</uuid>{md}"
            f"<memory unit='KiB'>1048576</memory><vcpu placement='static'>4</vcpu>{placement}"
            "<os><type arch='x86_64'>hvm</type></os><devices>"
            f"<interface type='network'><mac address='{mac}'/><source network='default'/><model type='virtio'/>"
            f"{v}<teaming type='persistent'/><alias name='ua-accelnet-net0'/></interface>"
            f"<interface type='hostdev' managed='yes'><mac address='{mac}'/><source>"
            f"<address type='pci' domain='0x{dom}' bus='0x{bus}' slot='0x{slot}' function='0x{fn}'/></source>{v}"
            f"<teaming type='transient' persistent='ua-accelnet-net0'/><alias name='{VF_ALIAS}'/></interface>"
            "</devices></domain>")


class MigrateTestCase(VmTestCase):
    def hook(self, env, method, *args):
        """A Hook method through dbus-send (root); returns (Result, the returned string or None)."""
        r = env.dbus_send("org.accelnet1", "/org/accelnet1", f"{HOOK}.{method}", *[f"string:{a}" for a in args])
        out = None
        if r.rc == 0 and 'string "' in r.out:
            out = r.out[r.out.index('string "') + len('string "'):r.out.rindex('"')]
        return r, out

    def state_bytes(self, env):
        return env.state_files()

    def local_vfs(self, env):
        """The VF addresses of the host's PFs (sysfs virtfn links), sorted."""
        vfs = set()
        for pf in self.pf_ifnames(env):
            dev = os.path.realpath(os.path.join(env.root, "sys/bus/pci/devices", pf))
            vfs |= {os.path.basename(os.path.realpath(os.path.join(dev, n)))
                    for n in os.listdir(dev) if n.startswith("virtfn")}
        return sorted(vfs)

    def hook_program(self, env, vm, op, sub, xml):
        """accelnet-hook itself, as libvirtd runs it."""
        return subprocess.run([HOOK_PROGRAM, vm, op, sub, "-"], input=xml, env=env.env(), capture_output=True,
                              text=True, timeout=60)


class Migrate(MigrateTestCase):
    def test_migrate_stores_unchecked_source_data(self):
        """An accelnet hostdev with an empty VM name or one over 256 bytes, VLAN 99999 or -1, MAC
        zz: InvalidArgs naming the value, nothing stored (state.json byte-identical), and the
        next start keeps the whole state (no state.json.corrupt-*)."""
        env = self.make(libvirtd=True, enable="compute")
        self.enable(env, "web2", "Low")
        before, assigned = self.state_bytes(env), env.prop("AssignedVFs")
        before_state = env.state()
        long_name = "m" * 300
        cases = [("", incoming_xml(name=""), None),
                 (long_name, incoming_xml(name=long_name), "mmmmmmmmmmmmmmmm"),
                 ("mig1", incoming_xml(vlan=99999), "99999"),
                 ("mig1", incoming_xml(vlan=-1), "-1"),
                 ("mig1", incoming_xml(mac="zz"), "zz")]
        for vm, xml, needle in cases:
            r, out = self.hook(env, "Migrate", vm, xml)
            self.assertError(r, INVALID, needle)
            self.assertIsNone(out)
            self.assertEqual(self.state_bytes(env), before, f"Migrate {vm[:20]!r} {needle} stored something")
            self.assertEqual(env.prop("AssignedVFs"), assigned)
        self.assertEqual(set(self.enabled(env)), {"web2"})
        env.restart()
        self.assertEqual([n for n in os.listdir(env.state_dir) if "corrupt" in n], [])
        self.assertEqual(env.state(), before_state)
        self.assertEqual(set(self.enabled(env)), {"web2"})
        self.assertTrue(env.prop("Enabled"))

    def test_migrate_drops_the_tier_and_alias_of_the_source(self):
        """A valid Migrate claims a local VF: the returned XML's hostdev points at it, its alias
        and MAC unchanged, AssignedVFs + 1, and the VM listed with the tier of its metadata."""
        env = self.make(libvirtd=True, enable="compute")
        self.enable(env, "web2", "Low")
        local_vfs = set()
        for pf, ifname in self.pf_ifnames(env).items():
            dev = os.path.realpath(os.path.join(env.root, "sys/bus/pci/devices", pf))
            local_vfs |= {os.path.basename(os.path.realpath(os.path.join(dev, n)))
                          for n in os.listdir(dev) if n.startswith("virtfn")}
        xml = incoming_xml(tier="High")
        r, out = self.hook(env, "Migrate", "mig1", xml)
        self.assertEqual(r.rc, 0, r)
        hds = hostdev_ifaces(out)
        self.assertEqual(len(hds), 1, out)
        self.assertIn(hds[0]["pci"], local_vfs - {self.enabled(env)["web2"][2]}, "not a free local VF")
        self.assertEqual(hds[0]["alias"], VF_ALIAS, "the alias changed on the way")
        self.assertEqual(hds[0]["mac"], "52:54:00:dd:00:01")
        self.assertEqual(hds[0]["teaming"], {"type": "transient", "persistent": "ua-accelnet-net0"})
        self.assertEqual(accel_metadata(out), {"performance": "High"})
        self.assertEqual(env.prop("AssignedVFs"), 2)
        self.assertEqual(self.enabled(env).get("mig1", ())[:3], ("enabled", "High", hds[0]["pci"]),
                         "the incoming VM's tier comes from its metadata")

    def test_incoming_vf_follows_the_numa_rules_of_enablevm(self):
        """The incoming VF is chosen by EnableVM's rules: a High VM whose memory is bound to NUMA
        node 1 gets a VF of ens2 (node 1) although ens1 is less loaded; a Low VM (no NUMA
        policy) the least-loaded adapter's."""
        env = self.make(libvirtd=True, host_json=two_node_host(), intents=INTENT12, enable="c", reserve=0)
        node1 = "<numatune><memory mode='strict' nodeset='1'/></numatune>"
        r, out = self.hook(env, "Migrate", "mig1", incoming_xml(tier="High", placement=node1))
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(hostdev_ifaces(out)[0]["pci"].startswith("0000:03:"), out)
        r, out = self.hook(env, "Migrate", "mig2", incoming_xml(name="mig2", mac="52:54:00:dd:00:02", tier="Low"))
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(hostdev_ifaces(out)[0]["pci"].startswith("0000:01:"), "ens1 holds none yet: " + out)

    def test_release_after_failed_incoming_migration_keeps_the_vf(self):
        """A failed incoming migration gives its claim back: Release before libvirt ever
        reported the domain started here frees the VF for the next VM."""
        one_vf = host([rootport("0000:00:01.0", [1, 2], [igb_pf("0000:01:00.0", "ens1", total=1)])])
        env = self.make(libvirtd=True, host_json=one_vf, intents=INTENT1, enable="c", reserve=0)
        r, out = self.hook(env, "Migrate", "mig1", incoming_xml())
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(hostdev_ifaces(out)[0]["pci"], "0000:01:10.0")
        self.assertEqual(env.prop("AssignedVFs"), 1)
        r, _ = self.hook(env, "Release", "mig1")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(env.prop("AssignedVFs"), 0, "the claim of the failed migration was kept")
        self.assertNotIn("mig1", self.enabled(env))
        self.enable(env, "web2", "Low")
        self.assertEqual(self.enabled(env)["web2"][2], "0000:01:10.0")
        self.assertXmlInvariants(env, "after the failed migration")

    def test_migrate_of_unmanaged_deep_or_doctype_xml_fails(self):
        """XML of a VM accelnet does not manage comes back unchanged and the call succeeds:
        2,000 nested elements in <metadata>, or a DOCTYPE with internal entities."""
        env = self.make(libvirtd=True, enable="compute")
        deep = ("<domain type='test'><name>deep</name><metadata><d:n xmlns:d='urn:example:deep'>" + "<d:n>" * 1999 +
                "</d:n>" * 2000 + "</metadata><memory unit='KiB'>1048576</memory><devices>"
                "<interface type='network'><mac address='52:54:00:dd:00:02'/><source network='default'/>"
                "<model type='virtio'/></interface></devices></domain>")
        entities = ('<?xml version="1.0"?>\n<!DOCTYPE domain [\n<!ENTITY a "aaaaaaaaaa">\n'
                    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">\n]>\n'
                    "<domain type='test'><name>ent</name><description>&c;</description>"
                    "<memory unit='KiB'>1048576</memory><devices><interface type='network'>"
                    "<mac address='52:54:00:dd:00:03'/><source network='default'/><model type='virtio'/></interface>"
                    "</devices></domain>")
        for vm, xml in (("deep", deep), ("ent", entities)):
            r, out = self.hook(env, "Migrate", vm, xml)
            self.assertEqual(r.rc, 0, f"{vm}: {r.err[:300]}")
            self.assertEqual(out, xml, f"{vm}: the XML changed")
        self.assertEqual(env.prop("AssignedVFs"), 0)
        self.assertIsNone(env.daemon.poll())


class PortableStart(MigrateTestCase):
    """issue 12, portable domain XML: libvirt lets no hook change the XML at prepare, so a
    start of a definition from another node (virsh create of a shared file, a define racing
    accelnetd's retargeting) goes ahead only with a VF that is free here for the VM; migrate
    and restore begin rewrite the XML."""

    ONE_PF = host([rootport("0000:00:01.0", [1, 2], [igb_pf("0000:01:00.0", "ens1", total=2)])])

    def test_prepare_takes_a_free_vf_named_in_the_xml(self):
        """The XML names a free VF of the intent: the VM takes it with the tier of its setting
        (AssignedVFs + 1), and a start that never happens (Release) gives it back."""
        env = self.make(libvirtd=True, host_json=self.ONE_PF, intents=INTENT1, enable="c", reserve=50)
        vf = self.local_vfs(env)[1]
        r, _ = self.hook(env, "Prepare", "mig1", incoming_xml(tier="High", vf=vf))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.enabled(env).get("mig1", ())[:3], ("enabled", "High", vf))
        self.assertEqual(env.prop("AssignedVFs"), 1)
        r, _ = self.hook(env, "Release", "mig1")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(env.prop("AssignedVFs"), 0, "the start did not happen: the VF is free again")
        self.assertNotIn("mig1", self.enabled(env))

    def test_prepare_refuses_a_vf_of_another_vm_or_not_of_the_intent(self):
        """The XML names web2's VF, or a VF of no adapter here: the start fails naming the VF
        and its holder, and nothing changes (state files byte-identical)."""
        env = self.make(libvirtd=True, host_json=self.ONE_PF, intents=INTENT1, enable="c", reserve=0)
        self.enable(env, "web2", "Low")
        theirs = self.enabled(env)["web2"][2]
        before = self.state_bytes(env)
        r, _ = self.hook(env, "Prepare", "mig1", incoming_xml(vf=theirs))
        self.assertError(r, "org.accelnet1.Error.EnableAccelNetFailed", f"VF {theirs}: that VF is VM web2's")
        r, _ = self.hook(env, "Prepare", "mig1", incoming_xml(vf=SOURCE_VF))
        self.assertError(r, "org.accelnet1.Error.EnableAccelNetFailed", "is not a VF of the adapters of intent 'c'")
        self.assertEqual(self.state_bytes(env), before)
        self.assertEqual(env.prop("AssignedVFs"), 1)
        self.assertNotIn("mig1", self.enabled(env))
        # the hook program says it on libvirt's behalf and fails the start
        p = self.hook_program(env, "mig1", "prepare", "begin", incoming_xml(vf=theirs))
        self.assertEqual(p.returncode, 1, p)
        self.assertIn(f"that VF is VM web2's", p.stderr)

    def test_prepare_of_a_vm_whose_vf_here_is_another(self):
        """web2 holds a VF here; a start of web2 from an XML naming another VF fails, naming
        the VF it has here."""
        env = self.make(libvirtd=True, host_json=self.ONE_PF, intents=INTENT1, enable="c", reserve=0)
        self.enable(env, "web2", "Low")
        mine = self.enabled(env)["web2"][2]
        other = next(v for v in self.local_vfs(env) if v != mine)
        r, _ = self.hook(env, "Prepare", "web2", incoming_xml(name="web2", vf=other))
        self.assertError(r, "org.accelnet1.Error.EnableAccelNetFailed", f"its VF on this node is {mine}")
        r, _ = self.hook(env, "Prepare", "web2", incoming_xml(name="web2", vf=mine))
        self.assertEqual(r.rc, 0, r)

    def test_restore_keeps_its_own_vf_and_retargets_a_foreign_one(self):
        """restore begin: a save image made here keeps the VM's VF (XML unchanged); one made on
        another node is pointed at a free VF here with its tier, and a restore that never
        starts gives it back."""
        env = self.make(libvirtd=True, host_json=self.ONE_PF, intents=INTENT1, enable="c", reserve=0)
        self.enable(env, "web2", "Medium")
        mine = self.enabled(env)["web2"][2]
        xml = incoming_xml(name="web2", vf=mine, tier="Medium")
        r, out = self.hook(env, "Restore", "web2", xml)
        self.assertEqual(r.rc, 0, r)
        self.assertEqual([h["pci"] for h in hostdev_ifaces(out)], [mine])
        r, out = self.hook(env, "Restore", "mig1", incoming_xml(vf=SOURCE_VF, tier="High"))
        self.assertEqual(r.rc, 0, r)
        got = [h["pci"] for h in hostdev_ifaces(out)]
        self.assertEqual(len(got), 1)
        self.assertNotEqual(got[0], mine)
        self.assertEqual(self.enabled(env)["mig1"][:3], ("enabled", "High", got[0]))
        self.assertEqual(env.prop("AssignedVFs"), 2)
        self.hook(env, "Release", "mig1")
        self.assertEqual(env.prop("AssignedVFs"), 1)

    def test_restore_without_a_free_vf_waits_even_with_migration_requires_vf(self):
        """Both VFs taken: the restored VM comes on virtio and waits; migration_requires_vf
        refuses migrations, not restores."""
        env = self.make(libvirtd=True, host_json=self.ONE_PF, intents=INTENT1, enable="c", reserve=0,
                        config={"migration_requires_vf": True})
        self.enable(env, "web2", "Low")
        self.enable(env, "batch", "Low")
        r, _ = self.hook(env, "Migrate", "mig1", incoming_xml(vf=SOURCE_VF))
        self.assertError(r, "org.accelnet1.Error.ClusterNotEnoughResources", "migration_requires_vf")
        r, out = self.hook(env, "Restore", "mig1", incoming_xml(vf=SOURCE_VF))
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(hostdev_ifaces(out), [], "no VF is free: it comes without one")
        self.assertEqual(accel_metadata(out), {"performance": "Medium"})
        self.assertEqual(env.prop("AssignedVFs"), 2)


if __name__ == "__main__":
    main()
