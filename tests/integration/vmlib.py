"""Shared by the VM tests (test_vms.py, test_core.py, test_libvirt_outage.py): host
descriptions, libvirt domain builders, a dbus-monitor with a readiness handshake, and
VmTestCase with its consistency checks - today's (assertConsistent: ListVMs, state.json,
AssignedVFs and the VFs' settings agree) and the libvirt side's (assertXmlInvariants: one VF,
one VM across every domain's persistent XML, and every record's VF in its VM's XML)."""
import json
import os
import re
import signal
import subprocess
import threading
import time

from harness import ALIAS_PREFIX, SIM_DIR, TestCase, accel_metadata, hostdev_ifaces

ERR = "org.accelnet1.Error."
INVALID = "org.freedesktop.DBus.Error.InvalidArgs"
ZERO_MAC = "00:00:00:00:00:00"
DEFAULT_NODE = os.path.join(SIM_DIR, "libvirt.xml")
WEB2_MAC = "52:54:00:aa:00:01"
DB1_MAC = "52:54:00:aa:00:02"


# ---- host descriptions ------------------------------------------------------------------------

def igb_pf(address, ifname, numa_node=0, total=8, speed=1000):
    return {"address": address, "driver": "igb", "ifname": ifname, "numa_node": numa_node, "link_speed": speed,
            "config": {"synth": {"vendor": "8086", "device": "10c9", "class": "020000",
                                 "sriov": {"total": total, "offset": 128, "stride": 2, "vf_device": "10ca"}}}}


def rootport(address, bus, children, numa_node=0):
    return {"address": address, "numa_node": numa_node, "bus": bus, "children": children,
            "config": {"synth": {"vendor": "8086", "device": "2f02", "type": "rootport", "acs": True}}}


def host(devices, smt=0):
    return {"name": "vmtest", "kernel": "6.1.0-18-amd64", "iommu": True, "smt": smt,
            "numa": {"0": "0-7", "1": "8-15"}, "devices": devices}


def two_node_host(smt=0, total0=8, total1=8):
    """ens1 (0000:01:00.0) on NUMA node 0, ens2 (0000:03:00.0) on node 1."""
    return host([rootport("0000:00:01.0", [1, 2], [igb_pf("0000:01:00.0", "ens1", 0, total0)], 0),
                 rootport("0000:00:02.0", [3, 4], [igb_pf("0000:03:00.0", "ens2", 1, total1)], 1)], smt)


INTENT12 = {"c": {"name": "c", "types": ["compute"], "adapters": ["ens1", "ens2"]}}
INTENT1 = {"c": {"name": "c", "types": ["compute"], "adapters": ["ens1"]}}


# ---- libvirt test-driver node files -----------------------------------------------------------

def domain(name, vcpus=4, mac=None, vlan=None, running=True, index=0, node=None):
    nic = ""
    if mac:
        v = f"<vlan><tag id='{vlan}'/></vlan>" if vlan else ""
        nic = (f"<interface type='network'><mac address='{mac}'/><source network='default'/>"
               f"<model type='virtio'/>{v}</interface>")
    numa = f"<numatune><memory mode='strict' nodeset='{node}'/></numatune>" if node is not None else ""
    return (f"<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>"
            f"<name>{name}</name><uuid>7a1c0000-0000-4000-8000-{index:012x}</uuid>"
            f"<memory unit='KiB'>1048576</memory><vcpu placement='static'>{vcpus}</vcpu>{numa}"
            f"<os><type arch='x86_64'>hvm</type></os><devices>{nic}</devices>"
            + ("" if running else "<test:runstate>5</test:runstate>") + "</domain>\n")


def write_node(dirname, domains):
    path = os.path.join(dirname, "node.xml")
    with open(path, "w") as f:
        f.write("<?xml version='1.0'?>\n<node>\n<cpu><mhz>2400</mhz><model>x86_64</model><active>16</active>"
                "<nodes>2</nodes><sockets>1</sockets><cores>8</cores><threads>2</threads></cpu>"
                "<memory>67108864</memory>\n" + "".join(domains) + "</node>\n")
    return path


def settle(check, timeout=5):
    """Runs check() (assertions) until it passes or the timeout, for what the daemon may
    still be doing after it answers (a reconcile after a reconnect); the last failure is
    raised."""
    deadline = time.time() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


def vm_mac(i):
    return f"52:54:00:cc:{i // 256:02x}:{i % 256:02x}"


def many_vms(n, prefix="vm", vcpus=4, stopped_every=0):
    return [domain(f"{prefix}{i:02d}", vcpus, vm_mac(i), running=not (stopped_every and i % stopped_every == 0),
                   index=i + 1) for i in range(n)]


# ---- dbus-monitor with a readiness handshake ---------------------------------------------------

class Monitor:
    PING = "net.accelnet.test.Ping"

    def __init__(self, env, *rules):
        self.env = env
        rules = list(rules) or ["type='signal',sender='org.accelnet1'"]
        rules.append(f"type='signal',interface='{self.PING}'")
        self.proc = subprocess.Popen(["dbus-monitor", "--system", *rules], env=env.env(), stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, text=True)
        self.lines = []
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        deadline = time.time() + 10
        while time.time() < deadline:
            env.run(["dbus-send", "--system", "--type=signal", "/net/accelnet/test", f"{self.PING}.Ping"])
            if self.wait(lambda t: self.PING in t, 0.3):
                return
        raise RuntimeError("dbus-monitor did not start")

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(line)

    def text(self):
        with self.lock:
            return "".join(self.lines)

    def wait(self, pred, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if pred(self.text()):
                return True
            time.sleep(0.02)
        return pred(self.text())

    def vm_changed(self):
        """[(vm, state)] of the VMChanged signals so far, in order."""
        return re.findall(r'member=VMChanged\n\s+string "([^"]*)"\n\s+string "([^"]*)"', self.text())

    def assigned_vfs(self):
        """The AssignedVFs values of the PropertiesChanged signals so far, in order."""
        return [int(v) for v in re.findall(r'string "AssignedVFs"\n\s+variant\s+uint32 (\d+)', self.text())]

    def close(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(5)
        self.thread.join(5)
        self.proc.stdout.close()


# ---- the test case ----------------------------------------------------------------------------

class VmTestCase(TestCase):
    def make(self, node=None, domains=None, host_json=None, intents=None, config=None, start=True, enable=None,
             reserve=50, pre_start=None, libvirtd=False):
        """An Env; enable=INTENT enables management. With libvirtd=True the domains (default:
        the simulated host's) are defined in a real libvirtd and outlive accelnetd restarts;
        otherwise they go into a node file for the in-process test driver."""
        if libvirtd:
            if node:
                raise ValueError("a node file is for the file driver; give domains")
            env = self.make_env(host_json=host_json, intents=intents, config=config, libvirtd=True, domains=domains)
        else:
            env = self.make_env(host_json=host_json, intents=intents, config=config)
            if domains is not None:
                node = write_node(env.dir, domains)
            env.uri = "test://" + (node or DEFAULT_NODE)
        if pre_start:
            pre_start(env)
        if start:
            env.start()
        if enable:
            r = env.call("Enable", f"string:{enable}", f"uint32:{reserve}")
            self.assertEqual(r.rc, 0, r)
        return env

    def vms(self, env):
        r = env.busctl("ListVMs")
        self.assertEqual(r.rc, 0, r)
        return {row[0]: tuple(row[1:]) for row in r.data[0]}

    def enabled(self, env):
        return {vm: row for vm, row in self.vms(env).items() if row[0] == "enabled"}

    def ok(self, r):
        self.assertEqual(r.rc, 0, r)

    def enable(self, env, vm, tier="Low"):
        r = env.call("EnableVM", f"string:{vm}", f"string:{tier}")
        self.assertEqual(r.rc, 0, f"EnableVM {vm} {tier}: {r}")
        return r

    def disable(self, env, vm):
        r = env.call("DisableVM", f"string:{vm}")
        self.assertEqual(r.rc, 0, f"DisableVM {vm}: {r}")

    def state_text(self, env):
        """The state as the daemon would load it (state.json and its journal), as text."""
        return json.dumps(env.state(), sort_keys=True, indent=1)

    def state_vms(self, env):
        return env.state()["vms"]

    def sim_path(self, env, ifname):
        return os.path.join(env.root, "run/accelnet-sim/vf", f"{ifname}.json")

    def numvfs(self, env, ifname):
        dev = os.path.dirname(os.path.dirname(os.path.realpath(os.path.join(env.root, "sys/class/net", ifname))))
        with open(os.path.join(dev, "sriov_numvfs")) as f:
            return int(f.read())

    def sim_vfs(self, env, ifname):
        """The simulated VF settings of a PF, defaults filled in, by index."""
        n = self.numvfs(env, ifname)
        out = {i: {"vf": i, "mac": ZERO_MAC, "vlan": 0, "qos": 0, "spoofchk": True, "trust": False,
                   "min_tx_rate": 0, "max_tx_rate": 0, "link_state": "auto"} for i in range(n)}
        p = self.sim_path(env, ifname)
        if os.path.exists(p):
            with open(p) as f:
                data = json.load(f)
            if data["num_vfs"] == n:
                for e in data["vfs"]:
                    out[e["vf"]].update(e)
        return out

    def write_sim(self, env, ifname, entries):
        n = self.numvfs(env, ifname)
        os.makedirs(os.path.dirname(self.sim_path(env, ifname)), exist_ok=True)
        with open(self.sim_path(env, ifname), "w") as f:
            json.dump({"version": 1, "pf": ifname, "num_vfs": n, "vfs": entries}, f)

    def vf_settings(self, env, vf):
        """The simulated settings of VF `vf` (PCI address), found through sysfs (its physfn
        and the PF's virtfnN link), not through state.json."""
        dev = os.path.join(env.root, "sys/bus/pci/devices", vf)
        pf_dev = os.path.realpath(os.path.join(dev, "physfn"))
        index = next(int(n[len("virtfn"):]) for n in os.listdir(pf_dev)
                     if n.startswith("virtfn") and os.path.basename(os.path.realpath(os.path.join(pf_dev, n))) == vf)
        ifname = os.listdir(os.path.join(pf_dev, "net"))[0]
        return self.sim_vfs(env, ifname)[index]

    def pf_ifnames(self, env):
        """PCI address -> ifname of the PFs with VFs (the intent's, here)."""
        return {a[0]: a[1] for a in env.busctl("ListAdapters").data[0] if a[1] and a[3] == "Supported" and a[5] > 0}

    def assertOneVmPerVf(self, rows, records, where=""):
        vfs = [row[2] for row in rows.values() if row[0] == "enabled"]
        self.assertEqual(len(vfs), len(set(vfs)), f"{where}: a VF twice in ListVMs: {rows}")
        svfs = [v["vf"] for v in records]
        self.assertEqual(len(svfs), len(set(svfs)), f"{where}: a VF twice in state.json: {records}")
        names = [v["vm"] for v in records]
        self.assertEqual(len(names), len(set(names)), f"{where}: a VM twice in state.json: {records}")

    def assertConsistent(self, env, where="", ifnames=None, macs=True):
        """At rest: ListVMs, state.json, AssignedVFs and the VFs' settings all agree. After a
        restart the daemon may still be giving VMs their VFs back (operations it started
        itself): it is given a few seconds to come to rest."""
        settle(lambda: self._consistent_now(env, where, ifnames, macs), 10)

    def _consistent_now(self, env, where, ifnames, macs):
        rows = self.vms(env)
        records = self.state_vms(env)
        self.assertOneVmPerVf(rows, records, where)
        self.assertEqual([v["vm"] for v in records if v.get("phase", "assigned") != "assigned"], [],
                         f"{where}: records stuck in assigning/releasing: {records}")
        listed = {vm: row[2] for vm, row in rows.items() if row[0] == "enabled"}
        self.assertEqual(listed, {v["vm"]: v["vf"] for v in records}, where)
        self.assertEqual(env.prop("AssignedVFs"), len(listed), where)
        # each assigned VF carries its VM's MAC; every other VF is back at its defaults
        if not macs:
            return
        names = ifnames or self.pf_ifnames(env)
        by_vf = {(v["pf"], v["vf_index"]): v for v in records}
        for pf, ifname in names.items():
            for idx, s in self.sim_vfs(env, ifname).items():
                rec = by_vf.get((pf, idx))
                self.assertEqual(s["mac"], rec["mac"] if rec else ZERO_MAC,
                                 f"{where}: VF {idx} of {ifname} (record {rec})")

    def assertXmlInvariants(self, env, where="", adopted=True, metadata=False, policy=False):
        """The libvirt side, at rest (after a reconcile):
        - no VF in two domains' persistent XML, and at most one accelnet VF per domain;
        - every state.json record's VF is in its VM's XML;
        - ListVMs agrees with state.json and with the XML; AssignedVFs counts it;
        - adopted: every accelnet hostdev in any domain's XML is recorded for that VM (a VM
          whose VF is in its XML is never dropped; contract 3, 6);
        - metadata: a domain has accelnet's <metadata> exactly when it is listed enabled, with
          its tier (contract 1);
        - policy: the VF of every enabled VM carries the MAC and VLAN of its hostdev in the XML,
          spoof check on, trust off (the simulated VF settings, found through sysfs).
        Returns {vm: vf} of the enabled VMs."""
        names = env.domain_names()
        xmls = {vm: env.dumpxml(vm, inactive=True) for vm in names}
        xml = {vm: hostdev_ifaces(x) for vm, x in xmls.items()}
        owners = {}
        for vm, hds in xml.items():
            for h in hds:
                owners.setdefault(h["pci"], []).append(vm)
            ours = [h["pci"] for h in hds if (h["alias"] or "").startswith(ALIAS_PREFIX)]
            self.assertLessEqual(len(ours), 1, f"{where}: VM {vm} has {len(ours)} accelnet VFs in its XML: {ours}")
        twice = {vf: vms for vf, vms in owners.items() if len(vms) > 1}
        self.assertEqual(twice, {}, f"{where}: a VF in two domains' XML")
        records = self.state_vms(env)
        for r in records:
            self.assertIn(r["vf"], [h["pci"] for h in xml.get(r["vm"], [])],
                          f"{where}: state.json records VF {r['vf']} for VM {r['vm']}, whose XML does not have it")
        rows = self.vms(env)
        listed = {vm: row[2] for vm, row in rows.items() if row[0] == "enabled"}
        self.assertEqual(listed, {r["vm"]: r["vf"] for r in records}, f"{where}: ListVMs and state.json differ")
        for vm, vf in listed.items():
            self.assertIn(vf, [h["pci"] for h in xml.get(vm, [])], f"{where}: ListVMs gives {vm} VF {vf}, not in its XML")
        if adopted:
            in_xml = {vm: h["pci"] for vm, hds in xml.items() for h in hds if (h["alias"] or "").startswith(ALIAS_PREFIX)}
            self.assertEqual({vm: vf for vm, vf in listed.items() if vm in names}, in_xml,
                             f"{where}: accelnet VFs in domain XML vs the VMs listed enabled")
        self.assertEqual(env.prop("AssignedVFs"), len(listed), f"{where}: AssignedVFs")
        if metadata:
            tiers = {vm: row[1] for vm, row in rows.items() if row[0] == "enabled" and vm in names}
            md = {vm: (accel_metadata(x) or {}).get("performance") for vm, x in xmls.items()}
            self.assertEqual({vm: t for vm, t in md.items() if t is not None}, tiers,
                             f"{where}: the tier in each domain's <metadata> vs ListVMs")
        if policy:
            for vm, vf in listed.items():
                h = [h for h in xml.get(vm, []) if h["pci"] == vf][0]
                s = self.vf_settings(env, vf)
                self.assertEqual((s["mac"].lower(), s["vlan"], s["spoofchk"], s["trust"]),
                                 ((h["mac"] or "").lower(), h["vlan"], True, False), f"{where}: the policy of {vm}'s VF {vf}")
        return listed
