#!/usr/bin/env python3
"""Robustness of accelnetd (issue 10, contract items 7 (bad input), 9-14): a state folder that
cannot be written (read-only bind mount, full tmpfs), hostile data from a migration source,
batches that must not recurse, VF policy at prepare and reconcile with the tier's
rates_required, max_vms, an interface name that is not UTF-8, and a symlink loop as state.json.

Each test starts accelnetd with --simulate on a fake root. The libvirt test driver runs inside
accelnetd (test:///FILE) and forgets what accelnetd wrote when accelnetd stops; where a test
restarts the daemon, it first writes a node file in which each enabled VM holds its VF, as a
real libvirtd would still have it (node_file_with_vfs)."""
import contextlib
import glob
import json
import os
import re
import resource
import subprocess
import time
import xml.etree.ElementTree as ET

from harness import DEST, PATH, SIM_DIR, TestCase, main

ERR = "org.accelnet1.Error."
INVALID = "org.freedesktop.DBus.Error.InvalidArgs"
HOOK_IFACE = "org.accelnet1.Hook"
META_NS = "https://accelnet.dev/xmlns/domain/1"
VF_ALIAS = "ua-accelnet-vf"
NET_ALIAS = "ua-accelnet-net0"
FOREIGN_VF = "0000:5e:00.2"        # a VF address on the migration source, not on this host
CHANGE_REFUSED = "cannot be written"


# ---- helpers ----------------------------------------------------------------------------------

ET.register_namespace("accelnet", META_NS)
ET.register_namespace("test", "http://libvirt.org/schemas/domain/test/1.0")


def hook_call(env, method, *args, user=None):
    """org.accelnet1.Hook.METHOD through dbus-send (so the error name is known); args like
    'string:web2'. On success of Migrate, .xml is the returned string, exactly."""
    r = env.dbus_send(DEST, PATH, f"{HOOK_IFACE}.{method}", *args, user=user)
    r.xml = None
    if r.rc == 0 and method == "Migrate":
        head = '\n   string "'
        start = r.out.index(head) + len(head)
        end = r.out.rindex('"')
        r.xml = r.out[start:end]
    return r


def node_domain(name):
    """The <domain> of NAME in the simulated host's libvirt node file."""
    for d in ET.parse(os.path.join(SIM_DIR, "libvirt.xml")).getroot().iter("domain"):
        if d.findtext("name") == name:
            return d
    raise KeyError(name)


def pci_attrs(pci):
    dom, bus, rest = pci.split(":")
    slot, fn = rest.split(".")
    return {"type": "pci", "domain": f"0x{dom}", "bus": f"0x{bus}", "slot": f"0x{slot}", "function": f"0x{fn}"}


def add_accelnet_vf(d, vf, tier=None, mac=None, vlan=None, alias=VF_ALIAS):
    """Gives domain element D accelnet's VF hostdev at VF, teamed with its virtio NIC, and (with
    TIER) accelnet's metadata, as EnableVM writes them."""
    devices = d.find("devices")
    virtio = devices.find("interface")
    if tier:
        md = d.find("metadata")
        if md is None:
            md = ET.Element("metadata")
            d.insert(list(d).index(d.find("uuid")) + 1, md)
        ET.SubElement(md, f"{{{META_NS}}}vm", {"performance": tier})
    ET.SubElement(virtio, "teaming", {"type": "persistent"})
    ET.SubElement(virtio, "alias", {"name": NET_ALIAS})
    hd = ET.SubElement(devices, "interface", {"type": "hostdev", "managed": "yes"})
    ET.SubElement(hd, "mac", {"address": mac or virtio.find("mac").get("address")})
    ET.SubElement(ET.SubElement(hd, "source"), "address", pci_attrs(vf))
    if vlan is not None:
        ET.SubElement(ET.SubElement(hd, "vlan"), "tag", {"id": str(vlan)})
    ET.SubElement(hd, "teaming", {"type": "transient", "persistent": NET_ALIAS})
    ET.SubElement(hd, "alias", {"name": alias})
    return d


def node_file_with_vfs(env, path):
    """A copy of the simulated node file in which every VM that ListVMs shows enabled holds its
    VF in its definition, with accelnet's metadata: what libvirtd would still have after an
    accelnetd restart. Returns the test:// URI."""
    enabled = {row[0]: row for row in env.busctl("ListVMs").data[0] if row[1] == "enabled"}
    tree = ET.parse(os.path.join(SIM_DIR, "libvirt.xml"))
    for d in tree.getroot().iter("domain"):
        row = enabled.get(d.findtext("name"))
        if row:
            add_accelnet_vf(d, row[3], tier=row[2])
    tree.write(path)
    return "test://" + path


def wait_for(pred, timeout=10.0, step=0.1):
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v or time.time() > deadline:
            return v
        time.sleep(step)


def read_bytes(path):
    """The file's bytes, None when it does not exist."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


@contextlib.contextmanager
def stack_limit(kib):
    """Children started inside get a soft RLIMIT_STACK of KIB (the test process keeps its own
    stack, which is already mapped)."""
    old = resource.getrlimit(resource.RLIMIT_STACK)
    resource.setrlimit(resource.RLIMIT_STACK, (kib * 1024, old[1]))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_STACK, old)


class VfSim:
    """A VF of the fake root: its PF, the PF's netdev and the simulated netlink settings."""

    def __init__(self, env, vf):
        self.env = env
        devices = os.path.join(env.root, "sys/bus/pci/devices")
        self.pf = os.path.basename(os.readlink(os.path.join(devices, vf, "physfn")))
        self.index = next(int(n[len("virtfn"):]) for n in os.listdir(os.path.join(devices, self.pf))
                          if n.startswith("virtfn") and os.path.basename(os.readlink(os.path.join(devices, self.pf, n))) == vf)
        self.ifname = os.listdir(os.path.join(devices, self.pf, "net"))[0]
        self.file = os.path.join(env.root, "run/accelnet-sim/vf", self.ifname + ".json")

    def settings(self):
        with open(self.file) as f:
            return next(v for v in json.load(f)["vfs"] if v["vf"] == self.index)

    def set(self, **kw):
        with open(self.file) as f:
            doc = json.load(f)
        next(v for v in doc["vfs"] if v["vf"] == self.index).update(kw)
        with open(self.file, "w") as f:
            json.dump(doc, f)

    def set_link(self, state):
        with open(os.path.join(self.env.root, "sys/class/net", self.ifname, "operstate"), "w") as f:
            f.write(state + "\n")


class Base(TestCase):
    def start_env(self, config=None, **kw):
        env = self.make_env(**kw)
        if config is not None:  # the simulated intents stay; accelnet.json is replaced
            env.write_config("accelnet.json", config)
        env.start("--simulate")
        return env

    def ok(self, r):
        self.assertEqual(r.rc, 0, r)
        return r

    def list_vms(self, env):
        return sorted(map(tuple, env.busctl("ListVMs").data[0]))

    def vm_row(self, env, vm):
        return next((tuple(r) for r in env.busctl("ListVMs").data[0] if r[0] == vm), None)

    def assertFails(self, r, name, contains=None):
        """R failed with error NAME whose message contains CONTAINS (compact failure output)."""
        self.assertNotEqual(r.rc, 0, f"expected {name}, got success: {r.out[:300]!r}")
        self.assertEqual(r.error_name, name, r.err.strip())
        if contains:
            self.assertIn(contains, r.err)

    def start_or_fail(self, env, why):
        """Starts accelnetd; a daemon that does not come up fails the test (not an error)."""
        try:
            env.start("--simulate")
        except RuntimeError as e:
            self.fail(f"accelnetd did not start {why}: {str(e)[-1500:]}")

    def corrupt_files(self, env):
        return glob.glob(os.path.join(env.state_dir, "state.json.*"))


# ---- item 9: the state folder cannot be written ------------------------------------------------

class StateFolderTest(Base):
    def mount(self, *argv):
        r = subprocess.run(["mount", *argv], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0, f"mount {argv}: {r.stderr}")

    @staticmethod
    def mounted(path):
        """Whether PATH is a mount point (os.path.ismount misses a bind mount of a folder on
        its own file system)."""
        with open("/proc/self/mountinfo") as f:
            return any(line.split()[4] == path for line in f)

    def unmount(self, path):
        for _ in range(4):
            if not self.mounted(path):
                return
            if subprocess.run(["umount", path], capture_output=True).returncode != 0:
                subprocess.run(["umount", "-l", path], capture_output=True)
        self.assertFalse(self.mounted(path), f"{path} is still mounted")

    def make_read_only(self, env):
        self.addCleanup(self.unmount, env.state_dir)
        self.mount("--bind", env.state_dir, env.state_dir)
        self.mount("-o", "remount,bind,ro", env.state_dir)
        with self.assertRaises(OSError):  # root ignores modes, not a read-only mount
            open(os.path.join(env.state_dir, "probe"), "w").close()

    PFS = ("0000:01:00.0", "0000:01:00.1", "0000:03:00.0", "0000:03:00.1")

    def snapshot(self, env, columns=5):
        """Properties, ListVMs (the first COLUMNS of each row), state.json's bytes and the
        intent's sriov_numvfs."""
        return {"properties": env.props(), "ListVMs": [r[:columns] for r in self.list_vms(env)],
                "state.json": env.state_files(),
                "sriov_numvfs": [env.sysfs(f"sys/bus/pci/devices/{p}/sriov_numvfs") for p in self.PFS]}

    def assertRefused(self, env, what, method, *args):
        """METHOD is refused with a message that says the folder cannot be written and names
        it, and nothing changes; every deviation is reported at once."""
        before = self.snapshot(env)
        r = env.call(method, *args)
        after = self.snapshot(env)
        problems = [f"{k} changed: {before[k]!r} -> {after[k]!r}" if k != "state.json" else "state.json changed"
                    for k in before if before[k] != after[k]]
        if r.rc == 0:
            problems.insert(0, "succeeded")
        else:
            if CHANGE_REFUSED not in r.err:
                problems.append(f"the message lacks {CHANGE_REFUSED!r}")
            if env.state_dir not in r.err:
                problems.append(f"the message does not name {env.state_dir}")
        self.assertEqual(problems, [], f"{what} with an unwritable state folder: {r.err.strip()}")

    def assertStateRow(self, env):
        rows = env.busctl("GetPrerequisites").data[0]
        about = [r for r in rows if env.state_dir in r[1] + " " + r[4] and r[2] != "Passed"]
        self.assertTrue(about, f"no GetPrerequisites row about {env.state_dir}: {rows}")

    def refuse_all_changes(self, env):
        """Every change on an enabled host with web2 Medium is refused; nothing changes."""
        self.assertRefused(env, "Set --node-reserve 30", "Set", "string:", "uint32:30")
        self.assertRefused(env, "Disable", "Disable")
        self.assertRefused(env, "EnableVM web1", "EnableVM", "string:web1", "string:low")
        self.assertRefused(env, "SetVM web2 high", "SetVM", "string:web2", "string:high")
        self.assertRefused(env, "DisableVM web2", "DisableVM", "string:web2")
        self.assertEqual(env.prop("NodeReservePercentage"), 50)
        self.assertEqual(self.vm_row(env, "web2")[1:3], ("enabled", "Medium"))
        self.assertEqual(self.vm_row(env, "web1")[1], "disabled")

    def test_read_only_state_folder(self):
        env = self.start_env()
        # Management off, folder read-only: Enable is refused and changes nothing.
        os.makedirs(env.state_dir, exist_ok=True)
        self.make_read_only(env)
        self.assertRefused(env, "Enable", "Enable", "string:compute", "uint32:50")
        self.assertFalse(env.prop("Enabled"))
        self.assertStateRow(env)
        self.unmount(env.state_dir)

        # Writable: management and web2 are enabled.
        self.ok(env.call("Enable", "string:compute", "uint32:50"))
        self.ok(env.call("EnableVM", "string:web2", "string:medium"))
        vf = self.vm_row(env, "web2")[3]

        # Read-only while running: reads answer, every change is refused, the hook still works.
        self.make_read_only(env)
        self.refuse_all_changes(env)
        self.assertStateRow(env)
        self.assertEqual(len(env.busctl("ListAdapters").data[0]), 6)
        sim = VfSim(env, vf)
        sim.set(mac="00:00:00:00:00:00", trust=True)
        r = hook_call(env, "Prepare", "string:web2", "string:")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(sim.settings()["mac"], "52:54:00:aa:00:01")
        self.assertFalse(sim.settings()["trust"])

        # A start with the folder read-only: the daemon runs and serves reads, keeps the state.
        # (The note "applies at next start" may go: in the node file the VF is live too.)
        before = self.snapshot(env, columns=4)
        uri = node_file_with_vfs(env, os.path.join(env.dir, "node.xml"))
        env.stop()
        env.uri = uri
        self.start_or_fail(env, "with a read-only state folder")
        self.assertEqual(self.snapshot(env, columns=4), before)
        self.assertEqual(env.busctl("ListVMs").rc, 0)
        self.assertStateRow(env)
        self.refuse_all_changes(env)

        # Writable again: changes work again.
        self.unmount(env.state_dir)
        self.ok(env.call("EnableVM", "string:web1", "string:low"))
        self.assertEqual(self.vm_row(env, "web1")[1:3], ("enabled", "Low"))
        self.assertIn("web1", [a["vm"] for a in env.state()["vms"]])
        self.ok(env.call("Set", "string:", "uint32:30"))
        self.assertEqual(env.state()["management"]["node_reserve"], 30)

    def test_full_state_folder(self):
        env = self.make_env()
        os.makedirs(env.state_dir)
        self.addCleanup(self.unmount, env.state_dir)
        self.mount("-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", env.state_dir)
        env.start("--simulate")
        self.ok(env.call("Enable", "string:compute", "uint32:50"))
        self.ok(env.call("EnableVM", "string:web2", "string:medium"))

        # Fill the file system up.
        filler = os.path.join(env.state_dir, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while os.write(fd, b"\0" * 4096) > 0:
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        with self.assertRaises(OSError):
            with open(os.path.join(env.state_dir, "probe"), "wb") as f:
                f.write(b"x" * 8192)
        for p in glob.glob(os.path.join(env.state_dir, "probe")):
            os.unlink(p)

        self.refuse_all_changes(env)
        self.assertStateRow(env)

        # Space again: changes work again.
        os.unlink(filler)
        self.ok(env.call("EnableVM", "string:web1", "string:low"))
        self.assertEqual(self.vm_row(env, "web1")[1:3], ("enabled", "Low"))
        self.assertIn("web1", [a["vm"] for a in env.state()["vms"]])


# ---- item 7 (bad input): data from the migration source ---------------------------------------

def migrating_xml(name, vlan=None, mac=None, tier="High"):
    d = node_domain("web1")
    d.find("name").text = name
    add_accelnet_vf(d, FOREIGN_VF, tier=tier, mac=mac, vlan=vlan)
    return ET.tostring(d, encoding="unicode")


class MigrateInputTest(Base):
    def test_bad_migration_data_refused(self):
        env = self.start_env()
        self.ok(env.call("Enable", "string:compute", "uint32:50"))
        state_path = os.path.join(env.state_dir, "state.json")
        long_name = "v" * 257
        cases = [
            ("empty VM name", "", migrating_xml(""), None),
            ("VM name of 257 bytes", long_name, migrating_xml(long_name), long_name[:32]),
            ("VLAN 99999", "web1", migrating_xml("web1", vlan=99999), "99999"),
            ("VLAN -1", "web1", migrating_xml("web1", vlan=-1), "-1"),
            ("MAC zz", "web1", migrating_xml("web1", mac="zz"), "zz"),
        ]
        for what, vm, xml, named in cases:
            with self.subTest(what):
                before = read_bytes(state_path)
                assigned = env.prop("AssignedVFs")
                r = hook_call(env, "Migrate", f"string:{vm}", f"string:{xml}")
                self.assertFails(r, INVALID, named)
                self.assertEqual(read_bytes(state_path), before)
                self.assertEqual(env.prop("AssignedVFs"), assigned)
                self.assertEqual(env.state()["vms"], [])
        # Nothing was stored that the next start could not read.
        saved = env.state()
        env.restart("--simulate")
        self.assertEqual(self.corrupt_files(env), [])
        self.assertEqual((env.prop("Enabled"), env.prop("IntentName"), env.prop("NodeReservePercentage")),
                         (True, "compute", 50))
        self.assertEqual(env.state()["management"], saved["management"])
        self.assertEqual(env.state()["vms"], [])
        bad = [r for r in env.busctl("GetPrerequisites").data[0] if r[2] != "Passed" and "state.json" in r[4]]
        self.assertEqual(bad, [])

    def test_unmanaged_xml_returned_unchanged(self):
        env = self.start_env()
        self.ok(env.call("Enable", "string:compute", "uint32:50"))
        before = env.state_files()
        plain = ET.tostring(node_domain("web1"), encoding="unicode")
        # 2,000 nested elements in <metadata> of a VM without accelnet's VF.
        deep = plain.replace("</uuid>", "</uuid><metadata><app:x xmlns:app='https://example.org/app'>"
                             + "<app:x>" * 1999 + "deep" + "</app:x>" * 2000 + "</metadata>", 1)
        # A DOCTYPE with internal entities that would expand to 10^9 bytes.
        lol = ["<!ENTITY lol0 'lol'>"] + [f"<!ENTITY lol{i} '" + f"&lol{i - 1};" * 10 + "'>" for i in range(1, 10)]
        doctype = ("<?xml version='1.0'?>\n<!DOCTYPE domain [\n" + "\n".join(lol) + "\n]>\n"
                   + plain.replace("</uuid>", "</uuid><description>&lol9;</description>", 1))
        for what, xml in (("deep metadata", deep), ("DOCTYPE with entities", doctype)):
            with self.subTest(what):
                r = hook_call(env, "Migrate", "string:web1", f"string:{xml}")
                self.assertEqual(r.rc, 0, f"{what}: {r.err[:500]}")
                self.assertEqual(r.xml, xml)
                self.assertIsNone(env.daemon.poll())
        self.assertEqual(env.state_files(), before)
        self.assertEqual(env.prop("AssignedVFs"), 0)


# ---- item 10: batches never recurse ------------------------------------------------------------

class BatchTest(Base):
    STACK_KIB = 1024

    def test_batch_of_1024_already_enabled(self):
        # A batch must not use stack per VM. With the default 8 MiB a recursion of 1,024 steps
        # (about 3.5 KiB each, more under ASan) happens to fit; 1 MiB is plenty for a loop.
        env = self.make_env()
        with stack_limit(self.STACK_KIB):
            env.start("--simulate")
        self.ok(env.call("Enable", "string:compute", "uint32:50"))
        self.ok(env.call("EnableVM", "string:web2", "string:medium"))
        r = env.busctl("EnableVMs", "ass", 1024, *(["web2"] * 1024), "medium")
        self.assertEqual(r.rc, 0, r.err)
        rows = r.data[0]
        self.assertEqual(len(rows), 1024)
        self.assertEqual(rows, [["web2", ""]] * 1024)
        self.assertIsNone(env.daemon.poll(), "accelnetd died")
        self.assertEqual(self.vm_row(env, "web2")[1:3], ("enabled", "Medium"))
        self.assertEqual(env.prop("AssignedVFs"), 1)


# ---- item 11: VF policy at prepare and reconcile, rates_required -------------------------------

RATED = {"node_reserve_default": 50,
         "tiers": {"medium": {"max_tx_rate_mbps": 500, "rates_required": True}}}


class RatesRequiredTest(Base):
    def enable_web2(self, env):
        self.ok(env.call("Enable", "string:compute", "uint32:50"))
        self.ok(env.call("EnableVM", "string:web2", "string:medium"))
        sim = VfSim(env, self.vm_row(env, "web2")[3])
        self.assertEqual(sim.settings()["max_tx_rate"], 500)
        return sim

    def test_prepare_fails_when_a_required_rate_is_refused(self):
        env = self.start_env(config=RATED)
        sim = self.enable_web2(env)
        self.ok(hook_call(env, "Prepare", "string:web2", "string:"))

        # The PF's link goes down: igb refuses every rate (EINVAL); the tier requires its rate.
        sim.set(max_tx_rate=0)
        sim.set_link("down")
        r = hook_call(env, "Prepare", "string:web2", "string:")
        self.assertFails(r, ERR + "EnableAccelNetFailed")

        # Link up again: the prepare applies the whole policy.
        sim.set_link("up")
        self.ok(hook_call(env, "Prepare", "string:web2", "string:"))
        self.assertEqual(sim.settings()["max_tx_rate"], 500)
        self.assertEqual(sim.settings()["mac"], "52:54:00:aa:00:01")

    def test_reconcile_reports_a_failed_reapply(self):
        env = self.start_env(config=RATED)
        sim = self.enable_web2(env)
        uri = node_file_with_vfs(env, os.path.join(env.dir, "node.xml"))
        env.stop()
        # While accelnetd is down the VF loses its settings and the PF its link: the
        # re-apply at start cannot set the required rate.
        sim.set(mac="00:00:00:00:00:00", trust=True, max_tx_rate=0)
        sim.set_link("down")
        env.uri = uri
        env.start("--simulate")

        def failure_rows():
            rows = env.busctl("GetPrerequisites").data[0]
            return [r for r in rows if r[0] == "reconcile" and "web2" in r[1] + " " + r[4]
                    and r[2] in ("Warning", "Failed") and re.search(r"fail|refuse|cannot", r[4], re.I)]

        rows = wait_for(failure_rows, 5)
        self.assertTrue(rows, "no reconcile row reports the failed re-apply: "
                        f"{[r for r in env.busctl('GetPrerequisites').data[0] if r[0] == 'reconcile']}")
        self.assertIn(self.vm_row(env, "web2")[3], " ".join(rows[0]))


# ---- item 12: max_vms --------------------------------------------------------------------------

class MaxVmsTest(Base):
    def test_max_vms_enforced(self):
        env = self.start_env(config={"node_reserve_default": 50, "max_vms": 2})
        self.ok(env.call("Enable", "string:compute", "uint32:0"))
        self.ok(env.call("EnableVM", "string:web1", "string:low"))
        self.ok(env.call("EnableVM", "string:web2", "string:medium"))
        before = (env.props(), self.list_vms(env), env.state_files())

        r = env.call("EnableVM", "string:db1", "string:medium")
        self.assertFails(r, ERR + "ClusterNotEnoughResources", "max_vms")
        r = env.busctl("EnableVMs", "ass", 2, "db1", "batch", "low")
        self.assertEqual(r.rc, 0, r.err)
        self.assertEqual(r.data[0], [["db1", ERR + "ClusterNotEnoughResources"],
                                     ["batch", ERR + "ClusterNotEnoughResources"]])
        self.assertEqual((env.props(), self.list_vms(env), env.state_files()),
                         before)
        self.assertEqual(env.prop("AssignedVFs"), 2)

        # A freed place can be taken.
        self.ok(env.call("DisableVM", "string:web1"))
        self.ok(env.call("EnableVM", "string:db1", "string:medium"))
        self.assertEqual(env.prop("AssignedVFs"), 2)


# ---- item 13: an interface name that is not UTF-8 ----------------------------------------------

class NonUtf8NameTest(Base):
    PF = "0000:03:00.1"      # ens2f1, in intent compute by its address
    ESCAPED = "ens2\\xff"

    def test_non_utf8_interface_name(self):
        env = self.make_env()
        root = env.root.encode()
        net = root + b"/sys/devices/pci0000:00/0000:00:02.0/0000:03:00.1/net/"
        os.rename(net + b"ens2f1", net + b"ens2\xff")
        os.unlink(root + b"/sys/class/net/ens2f1")
        os.symlink(b"../../devices/pci0000:00/0000:00:02.0/0000:03:00.1/net/ens2\xff", root + b"/sys/class/net/ens2\xff")
        env.start("--simulate")

        def check(user):
            r = env.busctl("ListAdapters", user=user)
            self.assertEqual(r.rc, 0, f"ListAdapters as {user or 'root'}: {r.err}")
            rows = {a[0]: a for a in r.data[0]}
            self.assertEqual(len(rows), 6)
            self.assertEqual(rows[self.PF][1], self.ESCAPED)
            self.assertEqual(rows["0000:01:00.0"][1], "ens1f0")
            r = env.busctl("GetPrerequisites", user=user)
            self.assertEqual(r.rc, 0, f"GetPrerequisites as {user or 'root'}: {r.err}")
            about = [row for row in r.data[0] if self.PF in row[1]]
            self.assertTrue(about, r.data[0])
            for row in about:
                if "ens2" in row[1]:
                    self.assertIn(self.ESCAPED, row[1])
            return rows

        for user in (None, "nobody"):
            with self.subTest(user=user or "root"):
                check(user)
        # Management works with that adapter, and the answers stay good.
        self.ok(env.call("Enable", "string:compute", "uint32:50"))
        self.assertEqual(env.prop("CapacityVFs"), 32)
        for user in (None, "nobody"):
            with self.subTest(user=user or "root", enabled=True):
                self.assertEqual(check(user)[self.PF][5], 8)
        self.assertIsNone(env.daemon.poll())


# ---- item 14: a symlink loop as state.json -----------------------------------------------------

class StateSymlinkLoopTest(Base):
    def test_state_symlink_loop(self):
        env = self.make_env()
        os.makedirs(env.state_dir)
        state = os.path.join(env.state_dir, "state.json")
        os.symlink("state.json.loop", state)
        os.symlink("state.json", os.path.join(env.state_dir, "state.json.loop"))
        self.start_or_fail(env, "with a symlink loop as state.json")

        aside = [p for p in glob.glob(os.path.join(env.state_dir, "state.json.corrupt-*"))]
        self.assertEqual(len(aside), 1, os.listdir(env.state_dir))
        self.assertTrue(os.path.islink(aside[0]))
        self.assertEqual(os.readlink(aside[0]), "state.json.loop")
        self.assertFalse(os.path.islink(state))
        rows = env.busctl("GetPrerequisites").data[0]
        about = [r for r in rows if os.path.basename(aside[0]) in r[4]]
        self.assertTrue(about, rows)
        self.assertIn(about[0][2], ("Warning", "Failed"))
        self.assertFalse(env.prop("Enabled"))

        # The daemon works: a real state file is written where the link was.
        self.ok(env.call("Enable", "string:compute", "uint32:50"))
        self.assertFalse(os.path.islink(state))
        self.assertTrue(env.state()["management"]["enabled"])


if __name__ == "__main__":
    main()
