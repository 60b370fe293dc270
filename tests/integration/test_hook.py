#!/usr/bin/env python3
"""accelnet-hook, the libvirt qemu hook, against a real accelnetd on a private bus: each stage
with a real domain XML on stdin (the simulated host's libvirt test driver node file, plus the
VF hostdev accelnetd puts in the persistent config), checking exit codes, stdout (the migrate
XML), stderr and the simulated VF settings; then with the daemon stopped, frozen, the bus
gone, and as an unprivileged user. The daemon's libvirt is a real libvirtd hosting the test
driver, so an enabled VM's XML given to the hook is the persistent XML accelnetd wrote
(virsh dumpxml --inactive); XML from a migration source is built here."""
import copy
import json
import os
import signal
import subprocess
import time
import xml.etree.ElementTree as ET

from harness import AS_NOBODY, BUILD_DIR, SIM_DIR, TestCase, main

HOOK = os.path.join(BUILD_DIR, "src", "accelnet-hook")
NOT_RUNNING = ("accelnet-hook: accelnetd is not running: VF policy for VM web2 cannot be applied; "
               "start accelnetd (systemctl start accelnetd)")
ZERO_MAC = "00:00:00:00:00:00"
FOREIGN_VF = "0000:5e:00.2"


def node_domain(name):
    """The <domain> of NAME from the test driver's node file, as an Element."""
    for d in ET.parse(os.path.join(SIM_DIR, "libvirt.xml")).getroot().iter("domain"):
        if d.findtext("name") == name:
            return copy.deepcopy(d)
    raise KeyError(name)


def pci_attrs(pci):
    dom, bus, rest = pci.split(":")
    slot, fn = rest.split(".")
    return {"type": "pci", "domain": f"0x{dom}", "bus": f"0x{bus}", "slot": f"0x{slot}", "function": f"0x{fn}"}


def pci_of(address):
    return "%04x:%02x:%02x.%x" % tuple(int(address.get(k), 16) for k in ("domain", "bus", "slot", "function"))


def domain_xml(name, vf=None, alias=None):
    """NAME's XML as libvirt hands it to the hook; with VF, the accelnet hostdev paired with the
    virtio NIC (what EnableVM writes into the persistent config)."""
    d = node_domain(name)
    devices = d.find("devices")
    virtio = devices.find("interface")
    if vf:
        ET.SubElement(virtio, "teaming", {"type": "persistent"})
        ET.SubElement(virtio, "alias", {"name": "ua-accelnet-net0"})
        hd = ET.SubElement(devices, "interface", {"type": "hostdev", "managed": "yes"})
        ET.SubElement(hd, "mac", {"address": virtio.find("mac").get("address")})
        ET.SubElement(ET.SubElement(hd, "source"), "address", pci_attrs(vf))
        ET.SubElement(hd, "teaming", {"type": "transient", "persistent": "ua-accelnet-net0"})
        ET.SubElement(hd, "alias", {"name": alias or "ua-accelnet-vf"})
    elif virtio is not None:
        # A VM that was disabled keeps its virtio alias: that alone is not "managed".
        ET.SubElement(virtio, "alias", {"name": "ua-accelnet-net0"})
    return ET.tostring(d, encoding="unicode")


class HookTest(TestCase):
    def setUp(self):
        self.env = self.make_env(libvirtd=True)
        self.env.start()

    # ---- helpers -----------------------------------------------------------------------
    def hook(self, vm, op, sub, xml="", extra="-", user=None, env=None, timeout=60):
        argv = [HOOK, vm, op, sub, extra]
        if user == "nobody":
            argv = AS_NOBODY + argv
        e = self.env.env()
        e.update(env or {})
        t = time.monotonic()
        p = subprocess.run(argv, input=xml, env=e, capture_output=True, text=True, timeout=timeout)
        p.elapsed = time.monotonic() - t
        return p

    def assertHook(self, p, rc, out="", err=""):
        """rc and stdout exactly; stderr contains err ("" → stderr empty)."""
        self.assertEqual(p.returncode, rc, f"rc {p.returncode}: stdout={p.stdout!r} stderr={p.stderr!r}")
        self.assertEqual(p.stdout, out, p.stderr)
        if err:
            self.assertIn(err, p.stderr)
        else:
            self.assertEqual(p.stderr, "")

    def enable(self, vm="web2", tier="medium"):
        r = self.env.call("Enable", "string:compute", "uint32:50")
        self.assertEqual(r.rc, 0, r)
        r = self.env.call("EnableVM", f"string:{vm}", f"string:{tier}")
        self.assertEqual(r.rc, 0, r)
        return self.assignment(vm)

    def local_xml(self, vm, a):
        """The VM's XML as libvirt hands it to the hook: its persistent XML, with the VF
        accelnetd put there."""
        xml = self.env.dumpxml(vm, inactive=True)
        self.assertEqual([pci_of(h.find("source/address")) for h in ET.fromstring(xml).iter("interface")
                          if h.get("type") == "hostdev"], [a["vf"]])
        return xml

    def assignment(self, vm):
        for a in self.env.state()["vms"]:
            if a["vm"] == vm:
                return a
        return None

    def ifname(self, pf):
        data = self.env.busctl("ListAdapters").data[0]
        return next(a[1] for a in data if a[0] == pf)

    def vf_file(self, a):
        return os.path.join(self.env.root, "run/accelnet-sim/vf", self.ifname(a["pf"]) + ".json")

    def vf_settings(self, a):
        with open(self.vf_file(a)) as f:
            doc = json.load(f)
        return next(v for v in doc["vfs"] if v["vf"] == a["vf_index"])

    def set_vf(self, a, **kw):
        """Changes the simulated VF behind the daemon's back (a driver reset, a careless admin)."""
        path = self.vf_file(a)
        with open(path) as f:
            doc = json.load(f)
        next(v for v in doc["vfs"] if v["vf"] == a["vf_index"]).update(kw)
        with open(path, "w") as f:
            json.dump(doc, f)

    def sim_snapshot(self):
        d = os.path.join(self.env.root, "run/accelnet-sim/vf")
        if not os.path.isdir(d):
            return {}
        snap = {}
        for n in sorted(os.listdir(d)):
            with open(os.path.join(d, n)) as f:
                snap[n] = f.read()
        return snap

    # ---- the stages with the daemon running ------------------------------------------
    def test_prepare_applies_and_release_restores(self):
        a = self.enable()
        xml = self.local_xml("web2", a)
        self.assertTrue(a["next_start"])
        # Scribble on the VF: prepare must put the VM's policy back before QEMU starts.
        self.set_vf(a, mac=ZERO_MAC, spoofchk=False, trust=True)

        self.assertHook(self.hook("web2", "prepare", "begin", xml), 0)
        vf = self.vf_settings(a)
        self.assertEqual(vf["mac"], "52:54:00:aa:00:01")
        self.assertTrue(vf["spoofchk"])
        self.assertFalse(vf["trust"])
        self.assertFalse(self.assignment("web2")["next_start"])  # the daemon saw the start
        self.assertIn("Hook prepare", self.env.logtext())
        # QEMU's life: nothing to do.
        for op, sub in (("start", "begin"), ("started", "begin"), ("stopped", "end")):
            self.assertHook(self.hook("web2", op, sub, xml), 0)
        self.assertEqual(self.vf_settings(a)["mac"], "52:54:00:aa:00:01")

        self.assertHook(self.hook("web2", "release", "end", xml, extra="shutdown"), 0)
        vf = self.vf_settings(a)
        saved = a["saved"]
        self.assertEqual(vf["mac"], ZERO_MAC)
        self.assertEqual((vf["vlan"], vf["spoofchk"], vf["trust"], vf["max_tx_rate"]),
                         (saved["vlan"], saved["spoofchk"], saved["trust"], saved["max_tx_rate"]))
        # Still enabled: the VF stays the VM's for its next start.
        self.assertEqual(self.assignment("web2")["vf"], a["vf"])

        # And again: a second start applies it again.
        self.assertHook(self.hook("web2", "prepare", "begin", xml), 0)
        self.assertEqual(self.vf_settings(a)["mac"], "52:54:00:aa:00:01")

    def test_prepare_failure_stops_the_start(self):
        a = self.enable()
        xml = self.local_xml("web2", a)
        self.hook("web2", "release", "end", xml)
        # The simulated driver's settings file becomes unusable: the MAC cannot be set.
        path = self.vf_file(a)
        os.unlink(path)
        os.mkdir(path)
        p = self.hook("web2", "prepare", "begin", xml)
        self.assertHook(p, 1, err="accelnet-hook: VF policy for VM web2 cannot be applied: ")
        self.assertIn("org.accelnet1.Error.EnableAccelNetFailed", p.stderr)
        self.assertIn(a["vf"], p.stderr)  # the daemon's own message, passed through
        self.assertEqual(p.stderr.count("\n"), 1)
        # release never fails, even now
        p = self.hook("web2", "release", "end", xml)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stdout, "")

    def test_migrate_retargets_to_a_local_vf(self):
        self.enable()  # web2 holds one VF already
        xml = domain_xml("web1", FOREIGN_VF)
        p = self.hook("web1", "migrate", "begin", xml)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(p.stderr, "")
        out = ET.fromstring(p.stdout)
        self.assertEqual(out.findtext("name"), "web1")
        hostdevs = [i for i in out.find("devices").findall("interface") if i.get("type") == "hostdev"]
        self.assertEqual(len(hostdevs), 1)
        local = pci_of(hostdevs[0].find("source/address"))
        self.assertNotEqual(local, FOREIGN_VF)
        self.assertNotEqual(local, self.assignment("web2")["vf"])  # a free one
        # an accelnet alias; which one: test_hook_migrate (the alias travels unchanged)
        self.assertTrue(hostdevs[0].find("alias").get("name").startswith("ua-accelnet-"))
        self.assertEqual(hostdevs[0].find("mac").get("address"), "52:54:00:aa:00:00")
        # everything else unchanged: the virtio partner, its teaming
        virtio = out.find("devices").find("interface")
        self.assertEqual(virtio.get("type"), "network")
        self.assertEqual(virtio.find("teaming").get("type"), "persistent")
        # the daemon now tracks web1 on that VF, and prepare on arrival applies its policy
        a = self.assignment("web1")
        self.assertEqual(a["vf"], local)
        self.assertHook(self.hook("web1", "prepare", "begin", p.stdout), 0)
        self.assertEqual(self.vf_settings(a)["mac"], "52:54:00:aa:00:00")
        self.assertTrue(self.vf_settings(a)["spoofchk"])

    def test_migrate_checks_the_incoming_xml(self):
        self.enable()
        snap = self.sim_snapshot()
        state = self.env.state()
        # A value that accelnet would put on a VF is checked: refused, naming it, nothing changes.
        bad = domain_xml("web1", FOREIGN_VF).replace("<alias name=\"ua-accelnet-vf\"", "<vlan><tag id=\"99999\" /></vlan>"
                                                      "<alias name=\"ua-accelnet-vf\"")
        self.assertIn('id="99999"', bad)
        p = self.hook("web1", "migrate", "begin", bad)
        self.assertHook(p, 1, err="VLAN tag id '99999'")
        self.assertIn("org.freedesktop.DBus.Error.InvalidArgs", p.stderr)
        self.assertEqual(self.sim_snapshot(), snap)
        self.assertEqual(self.env.state(), state)
        # XML that is not well-formed (or holds a DOCTYPE with a billion laughs) is not ours to
        # judge: passed on unchanged, for libvirt to refuse.
        cut = domain_xml("web1", FOREIGN_VF)[:-20]
        self.assertHook(self.hook("web1", "migrate", "begin", cut), 0, out=cut)
        lol = ("<!DOCTYPE domain [<!ENTITY l0 'lol'>" +
               "".join(f"<!ENTITY l{i} '{('&l%d;' % (i - 1)) * 10}'>" for i in range(1, 10)) + "]>" +
               domain_xml("web1", FOREIGN_VF).replace("<name>web1</name>", "<name>web1</name><title>&l9;</title>"))
        p = self.hook("web1", "migrate", "begin", lol, timeout=20)
        self.assertHook(p, 0, out=lol)
        self.assertLess(p.elapsed, 10)
        self.assertIsNone(self.assignment("web1"))
        self.assertEqual(self.sim_snapshot(), snap)

    def test_migrate_refused_by_the_daemon(self):
        # Management is not enabled on this host: the incoming VM cannot get a VF.
        snap = self.sim_snapshot()
        p = self.hook("web1", "migrate", "begin", domain_xml("web1", FOREIGN_VF))
        self.assertHook(p, 1, err="accelnet-hook: a local VF for incoming VM web1 cannot be found: ")
        self.assertIn("org.accelnet1.Error.NotEnabled", p.stderr)
        self.assertEqual(self.sim_snapshot(), snap)
        # Without XML there is nothing to rewrite.
        self.assertHook(self.hook("web1", "migrate", "begin", ""), 1, err="needs the domain XML")

    def test_unmanaged_vm_untouched(self):
        self.enable()  # web2 is accelerated; web1 is not
        snap = self.sim_snapshot()
        xml = domain_xml("web1")
        for op, sub in (("prepare", "begin"), ("start", "begin"), ("started", "begin"), ("stopped", "end"),
                        ("release", "end"), ("reconnect", "begin"), ("attach", "begin")):
            self.assertHook(self.hook("web1", op, sub, xml), 0)
        # migrate and restore: the daemon returns the XML unchanged, and libvirt gets it back
        # as it was
        self.assertHook(self.hook("web1", "migrate", "begin", xml), 0, out=xml)
        self.assertHook(self.hook("web1", "restore", "begin", xml), 0, out=xml)
        # nonic: a VM without any network interface
        self.assertHook(self.hook("nonic", "prepare", "begin", domain_xml("nonic")), 0)
        self.assertEqual(self.sim_snapshot(), snap)
        self.assertIsNone(self.assignment("web1"))

    def test_not_root(self):
        a = self.enable()
        xml = self.local_xml("web2", a)
        self.set_vf(a, mac=ZERO_MAC, trust=True)
        p = self.hook("web2", "prepare", "begin", xml, user="nobody")
        self.assertHook(p, 1, err="accelnet-hook: VF policy for VM web2 cannot be applied: permission denied")
        self.assertIn("libvirtd runs its hooks as root", p.stderr)
        self.assertIn("AccessDenied", p.stderr)
        self.assertEqual(self.vf_settings(a)["mac"], ZERO_MAC)  # nothing applied
        self.assertTrue(self.vf_settings(a)["trust"])
        # A VM without our VF is not held up by it, but the problem is said.
        p = self.hook("web1", "prepare", "begin", domain_xml("web1"), user="nobody")
        self.assertHook(p, 0, err="warning: permission denied")
        # release and reconnect never fail
        self.assertEqual(self.hook("web2", "release", "end", xml, user="nobody").returncode, 0)
        self.assertHook(self.hook("web2", "reconnect", "begin", xml, user="nobody"), 0)

    # ---- without a daemon -------------------------------------------------------------
    def check_daemon_absent(self, a, env=None):
        accel = self.local_xml("web2", a)
        plain = domain_xml("web1")
        snap = self.sim_snapshot()
        # VMs that are not accelerated start, arrive and stop as if accelnet were not there.
        for op, sub in (("prepare", "begin"), ("release", "end"), ("reconnect", "begin"), ("start", "begin")):
            self.assertHook(self.hook("web1", op, sub, plain, env=env), 0)
        self.assertHook(self.hook("web1", "migrate", "begin", plain, env=env), 0, out=plain)
        # An accelerated VM does not start without its policy, nor arrive without a VF.
        self.assertHook(self.hook("web2", "prepare", "begin", accel, env=env), 1, err=NOT_RUNNING)
        self.assertHook(self.hook("web2", "migrate", "begin", accel, env=env), 1, err="accelnetd is not running")
        # Without XML nobody can tell: refuse rather than start without the policy.
        self.assertHook(self.hook("web2", "prepare", "begin", "", env=env), 1, err="readable domain XML on standard input")
        # release and reconnect never fail.
        self.assertHook(self.hook("web2", "release", "end", accel, env=env), 0,
                        err="warning: accelnetd is not running")
        self.assertHook(self.hook("web2", "reconnect", "begin", accel, env=env), 0)
        self.assertHook(self.hook("web2", "stopped", "end", accel, env=env), 0)
        self.assertEqual(self.sim_snapshot(), snap)

    def test_daemon_stopped(self):
        a = self.enable()
        self.assertEqual(self.env.stop(), 0)
        self.check_daemon_absent(a)

    def test_no_system_bus(self):
        a = self.enable()
        self.check_daemon_absent(a, env={"DBUS_SYSTEM_BUS_ADDRESS": "unix:path=" + os.path.join(self.env.dir, "no.sock")})

    def test_daemon_frozen(self):
        """A daemon that does not answer costs at most the timeout."""
        a = self.enable()
        accel = self.local_xml("web2", a)
        env = {"ACCELNET_HOOK_TIMEOUT_MS": "400"}
        self.env.daemon.send_signal(signal.SIGSTOP)
        try:
            p = self.hook("web2", "prepare", "begin", accel, env=env)
            self.assertHook(p, 1, err="VF policy for VM web2 cannot be applied: accelnetd did not answer")
            self.assertLess(p.elapsed, 3.0)
            p = self.hook("web1", "prepare", "begin", domain_xml("web1"), env=env)
            self.assertHook(p, 0, err="warning: accelnetd did not answer")
            self.assertLess(p.elapsed, 3.0)
            p = self.hook("web2", "release", "end", accel, env=env)
            self.assertEqual(p.returncode, 0)
            self.assertHook(self.hook("web2", "reconnect", "begin", accel, env=env), 0)
        finally:
            self.env.daemon.send_signal(signal.SIGCONT)
        # A bad timeout value falls back to the default, with a word about it.
        p = self.hook("web2", "prepare", "begin", accel, env={"ACCELNET_HOOK_TIMEOUT_MS": "soon"})
        self.assertHook(p, 0, err="warning: ignoring ACCELNET_HOOK_TIMEOUT_MS='soon'")

    # ---- the command line -------------------------------------------------------------
    def test_command_line(self):
        def run(*args):
            return subprocess.run([HOOK, *args], input="", env=self.env.env(), capture_output=True, text=True)

        p = run("--version")
        self.assertEqual((p.returncode, p.stdout.strip()), (0, self.env.prop("Version")))
        p = run("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("/etc/libvirt/hooks/qemu.d/accelnet", p.stdout)
        for args in ((), ("web2",), ("web2", "prepare"), ("--bogus",), ("", "prepare", "begin", "-")):
            p = run(*args)
            self.assertEqual(p.returncode, 2, args)
            self.assertIn("Usage: accelnet-hook DOMAIN OPERATION SUB-OPERATION", p.stderr)
            self.assertEqual(p.stdout, "")
        # Operations libvirt may add later: nothing to do, success.
        p = run("web2", "frobnicate", "begin", "-")
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, "", ""))


if __name__ == "__main__":
    main()
