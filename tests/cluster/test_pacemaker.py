#!/usr/bin/env python3
"""Pacemaker sees each node's free VFs (issue 12, "HA managers can see capacity"): on three
corosync nodes that also run Pacemaker (Debian 12's 2.1.5), each node's utilization attribute
accelnet-vfs, read back with `crm_attribute --query --utilization` and `cibadmin -Q`, follows
that node's free VFs (ListNodeCapacity's free column) through EnableVM, EnableVMs and DisableVM;
a burst of changes costs fewer CIB writes than changes; with pacemaker_utilization "off"
(accelnet.json, reloaded) a node stops writing it. And why "capacity" exists: a resource
standing for a VM (a Dummy with utilization accelnet-vfs=1) is stopped by Pacemaker when its
node's attribute is the free VFs and they reach 0 (the VM's own VF counted twice), and runs
with "capacity" (the free VFs plus those of the VMs running there), which is therefore the
default.

Pacemaker on the test bed: each node is a network namespace of clusterbed.py (its own
corosync). pacemakerd runs inside it, so that it finds its node's corosync and its daemons'
IPC (abstract unix sockets) are the namespace's own; `ip netns exec` gives it a mount
namespace of its own, in which NODEDIR/pacemaker/{lib,log,run} are bound over
/var/lib/pacemaker, /var/log/pacemaker and /run, so the three CIBs and logs do not collide
(libqb's /dev/shm files carry pids: they do not collide either). Each CIB starts from a
seed with dc-deadtime 2s (the default 20 s would hold the first DC back for 20 s and make a
shutdown wait for it), stonith-enabled false (no fencing devices here) and
placement-strategy utilization. Measured here: crm_node -n answers ~2 s after pacemakerd
starts, a DC is elected ~5 s after, crm_attribute writes work from the first answer on, and
SIGTERM to pacemakerd ends every daemon in well under a second. Whatever the test started
is ended: pacemakerd first (SIGTERM, SIGKILL after 20 s), then every process left in the
namespaces, their /dev/shm files, then the cluster (clusterbed's stop).

Skipped (exit 77, with the reason) where Pacemaker is not installed
(scripts/deps.sh installs pacemaker and pacemaker-cli-utils)."""
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest
import xml.etree.ElementTree as ET

import clusterbed
from clusterbed import Cluster, compute_intent, domain, node_host, wait_until

ATTR = "accelnet-vfs"
TOTALS = [(8, 8), (8, 4), (4, 4)]              # node1 16 VFs, node2 12, node3 8
CAPS = [sum(t) for t in TOTALS]
# "free" (the free column alone) is what tests 1-3 follow; test 4 shows why the default is
# "capacity"
CONFIG = {"node_reserve_default": 50, "pacemaker_utilization": "free"}
TOOLS = ("pacemakerd", "crm_attribute", "crm_node", "cibadmin")
FOLLOW = 10           # s: a change reaches Pacemaker (a run a second at most, ~0.1 s each)
SEED_CIB = """<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="cib-bootstrap-options-dc-deadtime" name="dc-deadtime" value="2s"/>
        <nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/>
        <nvpair id="cib-bootstrap-options-placement-strategy" name="placement-strategy" value="utilization"/>
      </cluster_property_set>
    </crm_config>
    <nodes/>
    <resources/>
    <constraints/>
  </configuration>
  <status/>
</cib>
"""


def skip_reason():
    for tool in TOOLS:
        if not shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin"):
            return f"{tool} is not installed (Debian: pacemaker, pacemaker-cli-utils; scripts/deps.sh installs them)"
    try:
        pwd.getpwnam("hacluster")
    except KeyError:
        return "no hacluster user (the pacemaker package creates it)"
    return None


def domains_of(i):
    d = [domain(f"p{i}vm{k}", 200 * i + k) for k in range(7)]
    if i == 3:
        d.append(domain("p3stopped", 290, running=False))
    return d


class Pacemakerd:
    """pacemakerd inside a node's namespace with its own /var/lib/pacemaker, /var/log/pacemaker
    and /run; every pid it ever had is kept (the leak check)."""

    def __init__(self, node):
        self.node = node
        self.dir = os.path.join(node.dir, "pacemaker")
        self.proc = None
        self.pids = set()

    def start(self):
        hacluster = pwd.getpwnam("hacluster")
        for sub in ("lib/cib", "lib/pengine", "lib/blackbox", "lib/cores", "log", "run"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        cib = os.path.join(self.dir, "lib", "cib", "cib.xml")
        with open(cib, "w") as f:
            f.write(SEED_CIB)
        os.chmod(cib, 0o600)
        for root, dirs, files in os.walk(self.dir):
            for name in dirs + files:
                os.chown(os.path.join(root, name), hacluster.pw_uid, hacluster.pw_gid)
        os.chown(self.dir, hacluster.pw_uid, hacluster.pw_gid)
        self.out = open(os.path.join(self.dir, "pacemakerd.out"), "w")
        d = self.dir
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.node.ns, "sh", "-c",
             f"mount --bind {d}/lib /var/lib/pacemaker && mount --bind {d}/log /var/log/pacemaker && "
             f"mount --bind {d}/run /run && exec pacemakerd"],
            stdin=subprocess.DEVNULL, stdout=self.out, stderr=subprocess.STDOUT,
            preexec_fn=clusterbed.term_with_parent)
        self.pids.add(self.proc.pid)
        self.node.pids.add(self.proc.pid)
        self.node.cluster.record()

    def note_pids(self):
        """Every process in the node's namespace that is not the node's own (corosync,
        accelnetd): Pacemaker's daemons."""
        theirs = {self.node.corosync.pid if self.node.corosync else -1,
                  self.node.accelnetd.pid if self.node.accelnetd else -1}
        for pid in clusterbed.sh("ip", "netns", "pids", self.node.ns, check=False).stdout.split():
            if int(pid) not in theirs and int(pid) not in self.node.pids:
                self.pids.add(int(pid))
        self.node.pids |= self.pids

    def stop(self, timeout=20):
        if self.proc is None:
            return None
        self.note_pids()
        t0 = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        # pacemakerd waits for its daemons; anything left is killed
        deadline = time.monotonic() + 5
        while any(clusterbed.alive(p) for p in self.pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        for p in self.pids:
            if clusterbed.alive(p):
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for p in self.pids:
            clusterbed.remove_qb_files(p)
        self.out.close()
        self.proc = None
        return time.monotonic() - t0

    def log(self):
        try:
            with open(os.path.join(self.dir, "log", "pacemaker.log")) as f:
                return f.read()
        except OSError:
            return ""


class PacemakerUtilization(unittest.TestCase):
    c = None
    pcmk = []

    @classmethod
    def setUpClass(cls):
        cls.c = Cluster(3, hosts=[node_host(t) for t in TOTALS], intents=compute_intent(), configs=CONFIG,
                        domains=[domains_of(i) for i in (1, 2, 3)])
        cls.c.start()
        cls.pcmk = []
        try:
            t0 = time.monotonic()
            cls.pcmk = [Pacemakerd(n) for n in cls.c]
            for p in cls.pcmk:
                p.start()
            n1 = cls.c.node(1)
            wait_until(lambda: all(n.prop("ClusterNodes") == 3 and n.prop("Quorate") for n in cls.c), 15,
                       what="every accelnetd: ClusterNodes 3, Quorate")
            r = n1.call("Enable", "string:compute", "uint32:50")
            if r.rc != 0:
                raise AssertionError(f"Enable: {r}")
            wait_until(lambda: all(n.in_ns("crm_node", "-n", timeout=10).stdout.strip() == n.name for n in cls.c),
                       30, what="crm_node -n answers on every node")
            cls.t_pacemaker = time.monotonic() - t0
            print(f"\n  Pacemaker answers on every node {cls.t_pacemaker:.1f} s after pacemakerd started",
                  file=sys.stderr)
            # the DC writes its properties (dc-version, cluster-infrastructure, ...) into the
            # configuration once elected: after that only our attributes change it
            wait_until(lambda: n1.in_ns("crm_attribute", "--type", "crm_config", "--name", "dc-version", "--query",
                                        "--quiet", timeout=10).returncode == 0, 30, what="a DC")
            wait_until(cls.configuration_settled, 10, what="the DC's properties written")
            print(f"  a DC elected, its properties written {time.monotonic() - t0:.1f} s after pacemakerd started",
                  file=sys.stderr)
            for p in cls.pcmk:
                p.note_pids()
        except BaseException:
            cls.stop_all()
            raise

    @classmethod
    def configuration_settled(cls):
        """The CIB's epoch stays the same for 0.5 s."""
        def epoch():
            r = cls.c.node(1).in_ns("cibadmin", "-Q", timeout=20)
            m = re.search(r'<cib [^>]*\bepoch="(\d+)"', r.stdout)
            return m and int(m.group(1))
        before = epoch()
        time.sleep(0.5)
        return before is not None and epoch() == before

    @classmethod
    def stop_all(cls):
        errors = []
        for p in cls.pcmk:
            try:
                took = p.stop()
                if took is not None:
                    print(f"  {p.node.name}: pacemakerd stopped in {took:.2f} s", file=sys.stderr)
            except BaseException as e:  # noqa: BLE001
                errors.append(e)
        pids = set().union(*(p.pids for p in cls.pcmk)) if cls.pcmk else set()
        try:
            cls.c.stop()
        except BaseException as e:  # noqa: BLE001
            errors.append(e)
        left = cls.c.leftovers() + [f"pacemaker pid {p}" for p in sorted(pids) if clusterbed.alive(p)]
        left += [f for p in pids for f in clusterbed.qb_files(p)]
        if left:
            errors.append(AssertionError(f"left behind: {left}"))
        if errors:
            raise errors[0]

    @classmethod
    def tearDownClass(cls):
        cls.stop_all()

    # ---- reading --------------------------------------------------------------------------
    def free(self, n):
        """{node name: free VFs} of ListNodeCapacity on node n."""
        r = n.busctl("ListNodeCapacity")
        self.assertEqual(r.rc, 0, r)
        return {row[1]: row[2] for row in r.data[0]}

    def query(self, asker, name):
        """accelnet-vfs of node `name` as crm_attribute on node `asker` reads it, None if unset."""
        r = asker.in_ns("crm_attribute", "--node", name, "--name", ATTR, "--query", "--utilization", "--quiet",
                        timeout=20)
        return int(r.stdout.strip()) if r.returncode == 0 and r.stdout.strip().isdigit() else None

    def cib_nodes(self, asker):
        """{uname: accelnet-vfs} from `cibadmin -Q -o nodes` and the CIB's epoch."""
        r = asker.in_ns("cibadmin", "-Q", "-o", "nodes", timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        out = {}
        for node in ET.fromstring(r.stdout).iter("node"):
            for nv in node.iter("nvpair"):
                if nv.get("name") == ATTR and node.find("utilization") is not None:
                    out[node.get("uname")] = int(nv.get("value"))
        return out

    def pacemaker_rows(self, n):
        r = n.busctl("GetPrerequisites")
        self.assertEqual(r.rc, 0, r)
        return [row for row in r.data[0] if row[0] == "pacemaker"]

    def epoch(self, asker):
        """The CIB's epoch: +1 at every change of its configuration (our attribute writes)."""
        r = asker.in_ns("cibadmin", "-Q", timeout=20)
        m = re.search(r'<cib [^>]*\bepoch="(\d+)"', r.stdout)
        self.assertTrue(m, r.stdout[:300])
        return int(m.group(1))

    def assertFollows(self, expect=None, timeout=FOLLOW):
        """Every node's accelnet-vfs, as Pacemaker has it (crm_attribute on every node and the
        CIB), equals that node's free VFs in ListNodeCapacity, and those are `expect` ({node:
        free VFs}, some or all nodes) once the last change has reached every node; returns
        them."""
        want = {}

        def check():
            want.clear()
            want.update(self.free(self.c.node(1)))
            if expect:
                self.assertEqual({k: want.get(k) for k in expect}, expect, "ListNodeCapacity on node1")
            for n in self.c:
                self.assertEqual(self.free(n), want, f"ListNodeCapacity on {n.name}")
            for asker in self.c:
                got = {name: self.query(asker, name) for name in want}
                self.assertEqual(got, want, f"crm_attribute --query on {asker.name}")
            self.assertEqual(self.cib_nodes(self.c.node(2)), want, "cibadmin -Q -o nodes")
        self._settle(check, timeout)
        return dict(want)

    def _settle(self, check, timeout):
        return clusterbed.settle(check, timeout, interval=0.2)

    # ---- the tests ------------------------------------------------------------------------
    def test_1_published_on_every_node(self):
        t0 = time.monotonic()
        got = self.assertFollows(timeout=30)
        self.assertEqual(got, {"node1": CAPS[0], "node2": CAPS[1], "node3": CAPS[2]})
        print(f"\n  accelnet-vfs on every node {time.monotonic() - t0:.1f} s after Pacemaker answered",
              file=sys.stderr)
        # GetPrerequisites says so
        for n in self.c:
            rows = self.pacemaker_rows(n)
            self.assertEqual([(row[1], row[2]) for row in rows], [(n.name, "Passed")], rows)

    def test_2_follows_enable_and_disable(self):
        n1, n2 = self.c.node(1), self.c.node(2)
        r = n2.call("EnableVM", "string:p2vm0", "string:Low")
        self.assertEqual(r.rc, 0, r)
        t0 = time.monotonic()
        got = self.assertFollows({"node1": CAPS[0], "node2": CAPS[1] - 1, "node3": CAPS[2]})
        print(f"\n  EnableVM: node2's accelnet-vfs followed in {time.monotonic() - t0:.2f} s", file=sys.stderr)
        self.assertEqual(got, {"node1": CAPS[0], "node2": CAPS[1] - 1, "node3": CAPS[2]})
        # a burst on node1 (five VFs within a moment): the latest value wins, in fewer CIB writes
        before = self.epoch(n2)
        r = n1.busctl("EnableVMs", "ass", 5, *[f"p1vm{k}" for k in range(5)], "Low")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual([row[1] for row in r.data[0]], [""] * 5, r.data)
        got = self.assertFollows({"node1": CAPS[0] - 5})
        self.assertEqual(got["node1"], CAPS[0] - 5)
        writes = self.epoch(n2) - before
        print(f"  EnableVMs of 5: {writes} CIB write(s) for node1's 5 changes", file=sys.stderr)
        self.assertLess(writes, 5)
        # DisableVM, also asked on another node (forwarded)
        r = n1.call("DisableVM", "string:p2vm0")
        self.assertEqual(r.rc, 0, r)
        r = n1.busctl("DisableVMs", "as", 5, *[f"p1vm{k}" for k in range(5)])
        self.assertEqual(r.rc, 0, r)
        got = self.assertFollows({"node1": CAPS[0], "node2": CAPS[1], "node3": CAPS[2]})
        self.assertEqual(got, {"node1": CAPS[0], "node2": CAPS[1], "node3": CAPS[2]})

    def test_3_setting_off_stops_writing(self):
        n3 = self.c.node(3)
        n3.env.write_config("accelnet.json", dict(CONFIG, pacemaker_utilization="off"))
        n3.accelnetd.send_signal(signal.SIGHUP)
        # reloaded: GetPrerequisites has no pacemaker row any more
        wait_until(lambda: not self.pacemaker_rows(n3), FOLLOW, what="node3's pacemaker row gone")
        r = n3.call("EnableVM", "string:p3vm0", "string:Low")
        self.assertEqual(r.rc, 0, r)
        wait_until(lambda: self.free(self.c.node(1))["node3"] == CAPS[2] - 1, FOLLOW, what="node3's free VFs")
        time.sleep(2.5)      # more than a run (1 s apart, ~0.1 s each) would take
        self.assertEqual(self.query(self.c.node(1), "node3"), CAPS[2])
        # on again: written
        n3.env.write_config("accelnet.json", CONFIG)
        n3.accelnetd.send_signal(signal.SIGHUP)
        self.assertEqual(self.assertFollows({"node3": CAPS[2] - 1})["node3"], CAPS[2] - 1)
        r = n3.call("DisableVM", "string:p3vm0")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(self.assertFollows({"node3": CAPS[2]})["node3"], CAPS[2])

    def locate(self, rsc):
        """The node Pacemaker runs rsc on, None when stopped."""
        r = self.c.node(1).in_ns("crm_resource", "--locate", "--resource", rsc, timeout=20)
        m = re.search(r"is running on: (\S+)", r.stdout)
        return m.group(1) if m else None

    def enable_all_of_node3(self):
        vms = [f"p3vm{k}" for k in range(7)] + ["p3stopped"]
        r = self.c.node(3).busctl("EnableVMs", "ass", len(vms), *vms, "Low")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual([row[1] for row in r.data[0]], [""] * len(vms), r.data)
        return vms

    def test_4_capacity_for_vm_resources(self):
        """A resource that stands for a VM on node3 (a Dummy with utilization accelnet-vfs=1, kept
        off node1 and node2): Pacemaker counts it against node3's attribute itself. With "free"
        the VM that took node3's last free VF makes the attribute 0 and Pacemaker stops the
        resource; with "capacity" (free VFs plus those of the VMs running there: 7 running VMs
        hold a VF, a stopped one holds the 8th) it keeps running."""
        n1, n3 = self.c.node(1), self.c.node(3)
        # the README's commands (Pacemaker's own tools; the seed CIB has the property already)
        r = n1.in_ns("crm_attribute", "--type", "crm_config", "--name", "placement-strategy", "--update", "utilization",
                     timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        rsc = "<primitive id='vm3' class='ocf' provider='pacemaker' type='Dummy'/>"
        self.assertEqual(n1.in_ns("cibadmin", "-C", "-o", "resources", "-X", rsc, timeout=20).returncode, 0)
        r = n1.in_ns("crm_resource", "--resource", "vm3", "--utilization", "--set-parameter", ATTR,
                     "--parameter-value", "1", timeout=20)
        self.assertEqual(r.returncode, 0, r.stderr)
        for node in ("node1", "node2"):
            con = f"<rsc_location id='vm3-not-{node}' rsc='vm3' node='{node}' score='-INFINITY'/>"
            self.assertEqual(n1.in_ns("cibadmin", "-C", "-o", "constraints", "-X", con, timeout=20).returncode, 0)
        wait_until(lambda: self.locate("vm3") == "node3", 20, what="vm3 started on node3")

        vms = self.enable_all_of_node3()
        self.assertEqual(self.assertFollows({"node3": 0})["node3"], 0)
        wait_until(lambda: self.locate("vm3") is None, 20, what="free: Pacemaker stops vm3 (node3's attribute 0)")

        n3.env.write_config("accelnet.json", dict(CONFIG, pacemaker_utilization="capacity"))
        n3.accelnetd.send_signal(signal.SIGHUP)
        self._settle(lambda: self.assertEqual(self.query(n1, "node3"), 7), FOLLOW)
        wait_until(lambda: self.locate("vm3") == "node3", 20, what="capacity: vm3 runs on node3 again")
        # a VM that starts here: its VF moves from free to running, the attribute stays; one
        # that stops keeps its VF (the definition holds it): one less
        n3.virsh("destroy", "p3vm0")
        self._settle(lambda: self.assertEqual(self.query(n1, "node3"), 6), FOLLOW)
        r = n3.busctl("DisableVMs", "as", len(vms), *vms)
        self.assertEqual(r.rc, 0, r)
        self._settle(lambda: self.assertEqual(self.query(n1, "node3"), CAPS[2]), FOLLOW)

        for node in ("node1", "node2"):
            n1.in_ns("cibadmin", "-D", "-o", "constraints", "-X", f"<rsc_location id='vm3-not-{node}'/>", timeout=20)
        n1.in_ns("cibadmin", "-D", "-o", "resources", "-X", "<primitive id='vm3'/>", timeout=20)
        n3.virsh("start", "p3vm0")
        n3.env.write_config("accelnet.json", CONFIG)
        n3.accelnetd.send_signal(signal.SIGHUP)


if __name__ == "__main__":
    clusterbed.main(skip_reason)
