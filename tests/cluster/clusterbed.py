"""The cluster tier's test bed: a corosync cluster of N nodes on one machine (TESTBED.md,
"A corosync cluster on one machine"), each node with its own private bus, its own
unprivileged libvirtd hosting the test driver and its own accelnetd on a simulated host
(tests/integration/harness.py's Env, one per node).

Layout of one Cluster (PREFIX = "acb<pid>", so parallel runs never collide):

  netns PREFIXbr   bridge br0, one port nI per node
  netns PREFIXnI   eth0 = 10.201.0.I/24 (veth to nI on br0), lo;
                   corosync -f (its own mount namespace, courtesy of `ip netns exec`, where
                   NODEDIR/corosync/run is bind-mounted over /run: /run/corosync.pid is a fixed
                   lock) and accelnetd (corosync's IPC sockets are abstract, i.e. per network
                   namespace, so accelnetd must run inside the node's namespace to find its
                   own corosync). The bus and libvirtd sockets are paths: reachable from any
                   namespace.

corosync.conf per node: knet, crypto none, token 300 ms with token_coefficient 0 (so it stays
300 ms with three nodes, not 950), knet link pings every 200 ms with a 1 s timeout (the
defaults derived from a 300 ms token make the links flap), votequorum, a nodelist with nodeid
1..N named node1..nodeN, cluster_name accelnet-test, system { state_dir per node, sched_rr
no }; corosync runs at nice -20. Three nodes are quorate 1.1-1.6 s after start; a node killed
with SIGKILL, or cut off, leaves the membership of the others ~0.7 s later.

Every process is started from the test's main thread with a parent-death signal, so nothing
outlives a killed test; Cluster.stop() (called by close(), by a failing start(), and by the
SIGTERM handler that main() installs for CTest's timeout) kills by PID, removes corosync's
/dev/shm/qb-<pid>-* and qb-corosync-<pid>-* files, the namespaces and the folders. What a
test killed with SIGKILL leaves (a PREFIX whose pid is dead: namespaces, folders, the shm
files of corosync's client connections) is swept at the next start (sweep_stale(), from
the run's manifest /run/accelnet-clusterbed/PREFIX.json).

Environment: as harness.py (ACCELNET_BUILD_DIR, ACCELNET_SOURCE_DIR, ACCELNET_FIXTURES_DIR);
ACCELNET_KEEP_TMP=1 keeps every node's folder (corosync.conf and log, accelnetd.log, ...).
A machine without root or corosync skips the tier (exit 77), unless ACCELNET_CLUSTER_REQUIRED
is set (scripts/test.sh sets it when run as root): then it fails.
"""
import glob
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

import harness  # noqa: E402
from harness import Env  # noqa: E402

CLUSTER_NAME = "accelnet-test"
TOKEN_MS = 300
SUBNET = "10.201.0"
NS_RE = re.compile(r"^acb(\d+)\D")       # every namespace of a run is acb<pid> + a non-digit
SKIP = 77                          # CTest's SKIP_RETURN_CODE for this tier
# One manifest per live cluster (its pids and folders), for sweep_stale() after a SIGKILL.
MANIFEST_DIR = "/run/accelnet-clusterbed"

_LIVE_CLUSTERS = []


# ---- what a node is made of ---------------------------------------------------------------------

def igb_pf(address, ifname, total, numa_node=0):
    return {"address": address, "driver": "igb", "ifname": ifname, "numa_node": numa_node, "link_speed": 1000,
            "config": {"synth": {"vendor": "8086", "device": "10c9", "class": "020000",
                                 "sriov": {"total": total, "offset": 128, "stride": 2, "vf_device": "10ca"}}}}


def rootport(address, bus, children, numa_node=0):
    return {"address": address, "numa_node": numa_node, "bus": bus, "children": children,
            "config": {"synth": {"vendor": "8086", "device": "2f02", "type": "rootport", "acs": True}}}


def node_host(totals=(8, 8), smt=0):
    """A simulated host: one healthy igb PF per entry of `totals` (its TotalVFs), named ens1,
    ens2, ... at 0000:0B:00.0 under its own root port with ACS, alternating NUMA nodes 0/1;
    smt 0 (hyperthreading off) or 1 (on). Every node names its PFs the same way, so one intent
    file fits all; the capacity of the intent COMPUTE_INTENT on it is sum(totals)."""
    ports = []
    for n, total in enumerate(totals):
        bus = 1 + 2 * n
        ports.append(rootport(f"0000:00:{n + 1:02x}.0", [bus, bus + 1],
                              [igb_pf(f"0000:{bus:02x}:00.0", f"ens{n + 1}", total, n % 2)], n % 2))
    return {"name": "clusternode", "kernel": "6.1.0-18-amd64", "iommu": True, "smt": smt,
            "numa": {"0": "0-7", "1": "8-15"}, "devices": ports}


def compute_intent(npfs=2):
    return {"compute": {"name": "compute", "types": ["compute"], "adapters": [f"ens{n + 1}" for n in range(npfs)]}}


DEFAULT_CONFIG = {"node_reserve_default": 50}


def domain(name, index, vcpus=4, running=True):
    """A test-driver domain with a virtio NIC whose MAC is unique in the cluster (index)."""
    mac = f"52:54:00:cb:{index // 256:02x}:{index % 256:02x}"
    return (f"<domain type='test' xmlns:test='http://libvirt.org/schemas/domain/test/1.0'>"
            f"<name>{name}</name><uuid>7a1cb000-0000-4000-8000-{index:012x}</uuid>"
            f"<memory unit='KiB'>1048576</memory><vcpu placement='static'>{vcpus}</vcpu>"
            f"<os><type arch='x86_64'>hvm</type></os><devices>"
            f"<interface type='network'><mac address='{mac}'/><source network='default'/>"
            f"<model type='virtio'/></interface></devices>"
            + ("" if running else "<test:runstate>5</test:runstate>") + "</domain>\n")


def usable(capacities, reserve):
    """DESIGN §2 "Cluster": N members, k = min(N - 1, ceil(N * reserve / 100)) nodes held in
    reserve, U = total capacity - the capacities of the k largest nodes. A cluster of one
    keeps the single-host meaning: floor(C * (100 - reserve) / 100)."""
    n = len(capacities)
    if n == 0:
        return 0
    if n == 1:
        return capacities[0] * (100 - reserve) // 100
    k = min(n - 1, -(-n * reserve // 100))
    return sum(capacities) - sum(sorted(capacities, reverse=True)[:k])


# ---- helpers ------------------------------------------------------------------------------------

def sh(*argv, check=True, timeout=30):
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: rc={p.returncode} {p.stderr.strip()}")
    return p


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def namespaces():
    p = sh("ip", "netns", "list", check=False)
    return [line.split()[0] for line in p.stdout.splitlines() if line.strip()]


def sweep_stale():
    """Cleans up after earlier runs whose test process is gone (killed with SIGKILL: their
    processes died with them, their namespaces, folders and the /dev/shm files of corosync's
    client connections did not): deletes the namespaces, and what the run's manifest names.
    Returns the namespaces deleted."""
    for path in glob.glob(os.path.join(MANIFEST_DIR, "acb*.json")):
        m = NS_RE.match(os.path.basename(path))
        if not m or alive(int(m.group(1))):
            continue
        try:
            with open(path) as f:
                info = json.load(f)
            for pid in info.get("pids", []):
                if not alive(pid):
                    remove_qb_files(pid)
            for d in info.get("dirs", []):
                shutil.rmtree(d, ignore_errors=True)
        except (OSError, ValueError):
            pass
        try:
            os.unlink(path)
        except OSError:
            pass
    gone = []
    for ns in namespaces():
        m = NS_RE.match(ns)
        if m and not alive(int(m.group(1))):
            for pid in sh("ip", "netns", "pids", ns, check=False).stdout.split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except (ProcessLookupError, ValueError):
                    pass
            sh("ip", "netns", "delete", ns, check=False)
            gone.append(ns)
    return gone


def wait_until(predicate, timeout, interval=0.05, what=None):
    """Calls predicate() until it returns a true value (which is returned) or `timeout`
    seconds pass (AssertionError naming `what` and the last value or exception)."""
    start = time.monotonic()
    last = None
    while True:
        try:
            v = predicate()
            if v:
                return v
            last = v
        except Exception as e:   # noqa: BLE001 - a daemon restarting answers with errors meanwhile
            last = e
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s: {what or predicate}; last: {last!r}")
        time.sleep(interval)


def settle(check, timeout, interval=0.05):
    """Runs check() (assertions) until it passes or `timeout` s pass; the last failure is
    raised (wait_until's twin for checks that assert)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return check()
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(interval)


def skip_unless_possible():
    """The reason this machine cannot run the tier, or None."""
    if os.geteuid() != 0:
        return "the cluster tier needs root (network namespaces, corosync)"
    for tool in ("corosync", "corosync-quorumtool", "corosync-cmapctl", "ip", "libvirtd", "virsh", "dbus-daemon"):
        if not shutil.which(tool, path="/usr/sbin:/usr/bin:/sbin:/bin"):
            return f"{tool} is not installed (scripts/deps.sh installs it)"
    if not os.path.exists(harness.ACCELNETD):
        return f"{harness.ACCELNETD} is not built"
    return None


# ---- one node -----------------------------------------------------------------------------------

class NodeEnv(Env):
    """harness.Env whose accelnetd runs inside the node's network namespace."""

    def __init__(self, ns, **kw):
        self.ns = ns
        saved = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS")
        try:
            super().__init__(**kw)
        finally:
            # Env points the process-wide DBUS_SYSTEM_BUS_ADDRESS at its bus; with N nodes that
            # would silently be the last one's. Every client here passes its node's address.
            if saved is None:
                os.environ.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
            else:
                os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = saved

    def exec(self, args, wait=True):
        # `ip netns exec` enters the namespace and execs: the PID stays accelnetd's.
        return super().exec(["ip", "netns", "exec", self.ns, *args], wait=wait)


class Node:
    def __init__(self, cluster, index, host_json, intents, config, domains):
        self.cluster = cluster
        self.index = self.nodeid = index
        self.name = f"node{index}"
        self.ns = f"{cluster.prefix}n{index}"
        self.port = f"n{index}"                 # the bridge's end of the node's veth
        self.addr = f"{SUBNET}.{index}"
        self.host_json = host_json
        self.intents = intents
        self.config = config
        self.domains = domains
        self.env = None
        self.dir = None
        self.corosync = None
        self.corosync_log = None
        self.pids = set()                       # every pid this node ever had (leak checks)

    # ---- corosync -------------------------------------------------------------------------
    def write_corosync_conf(self):
        d = os.path.join(self.dir, "corosync")
        for sub in ("run", "state"):
            os.makedirs(os.path.join(d, sub), exist_ok=True)
        nodes = "".join(f"  node {{\n    nodeid: {n.nodeid}\n    name: {n.name}\n    ring0_addr: {n.addr}\n  }}\n"
                        for n in self.cluster.nodes)
        conf = (f"totem {{\n  version: 2\n  cluster_name: {CLUSTER_NAME}\n  transport: knet\n"
                f"  crypto_cipher: none\n  crypto_hash: none\n  token: {self.cluster.token_ms}\n"
                f"  token_coefficient: {self.cluster.token_coefficient_ms}\n"
                f"  interface {{\n    linknumber: 0\n    knet_ping_interval: {self.cluster.knet_ping_interval_ms}\n"
                f"    knet_ping_timeout: {self.cluster.knet_ping_timeout_ms}\n  }}\n{self.cluster.totem_extra}}}\n"
                f"nodelist {{\n{nodes}}}\n"
                f"quorum {{\n  provider: corosync_votequorum\n}}\n"
                f"logging {{\n  to_stderr: yes\n  to_syslog: no\n  to_logfile: no\n  timestamp: hires\n}}\n"
                f"system {{\n  state_dir: {d}/state\n  sched_rr: no\n}}\n")
        self.corosync_conf = os.path.join(d, "corosync.conf")
        with open(self.corosync_conf, "w") as f:
            f.write(conf)

    def start_corosync(self):
        if self.corosync is not None and self.corosync.poll() is None:
            raise RuntimeError(f"{self.name}: corosync already runs")
        run = os.path.join(self.dir, "corosync", "run")
        # `ip netns exec` gives the command its own mount namespace (made a slave of /), so the
        # bind mount over /run stays there and dies with corosync: no `unshare -m` needed.
        self.corosync_log = open(os.path.join(self.dir, "corosync", "corosync.log"), "a")
        self.corosync = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "sh", "-c",
             f"mount --bind {run} /run && exec nice -n {self.cluster.corosync_nice} corosync -f -c {self.corosync_conf}"],
            stdin=subprocess.DEVNULL, stdout=self.corosync_log, stderr=subprocess.STDOUT,
            preexec_fn=term_with_parent)
        self.pids.add(self.corosync.pid)
        self.cluster.record()
        return self.corosync

    def kill_corosync(self, sig=signal.SIGKILL, timeout=10):
        """Signals corosync and waits for it (SIGKILL after `timeout`); removes its libqb
        shared-memory files, which a killed corosync leaves in /dev/shm."""
        p = self.corosync
        if p is None:
            return None
        try:
            if p.poll() is None:
                p.send_signal(sig)
                try:
                    p.wait(timeout)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(10)
        finally:
            self.corosync = None
            if self.corosync_log:
                self.corosync_log.close()
                self.corosync_log = None
            remove_qb_files(p.pid)
        return p.returncode

    @property
    def corosync_running(self):
        return self.corosync is not None and self.corosync.poll() is None

    def in_ns(self, *argv, check=False, timeout=30):
        """A command inside the node's network namespace."""
        return sh("ip", "netns", "exec", self.ns, *argv, check=check, timeout=timeout)

    def quorum(self):
        """corosync-quorumtool -s inside the namespace: {"quorate": bool, "members": [node
        ids], "total_votes": int, "text": raw}; None when corosync does not answer."""
        p = self.in_ns("corosync-quorumtool", "-s", timeout=10)
        if "Quorate:" not in p.stdout:
            return None
        text = p.stdout
        q = {"text": text,
             "quorate": bool(re.search(r"^Quorate:\s+Yes", text, re.M)),
             "total_votes": int(re.search(r"^Total votes:\s+(\d+)", text, re.M).group(1)),
             "members": []}
        tail = text.split("Membership information", 1)[-1]
        for line in tail.splitlines():
            m = re.match(r"\s*(\d+)\s+\d+\s+", line)
            if m:
                q["members"].append(int(m.group(1)))
        q["members"].sort()
        return q

    # ---- accelnetd and its clients ----------------------------------------------------------
    def make_env(self):
        self.env = NodeEnv(self.ns, libvirtd=True, host_json=self.host_json, intents=self.intents,
                           config=self.config, domains=self.domains)
        self.dir = self.env.dir
        self.pids.add(self.env.bus.pid)
        self.pids.add(self.env.libvirtd.proc.pid)
        if self.env.libvirtd.holder:
            self.pids.add(self.env.libvirtd.holder.pid)

    def start_accelnetd(self, wait=True):
        p = self.env.start(wait=wait)
        self.pids.add(p.pid)
        self.cluster.record()
        return p

    def kill_accelnetd(self, sig=signal.SIGKILL):
        return self.env.stop(sig)

    def stop_accelnetd(self):
        return self.env.stop()

    @property
    def accelnetd(self):
        return self.env.daemon

    def set_host(self, host_json):
        """Replaces the node's simulated host (e.g. another smt) as a reboot would: accelnetd
        stops, the fake root is built again from the new description; start it again yourself."""
        self.host_json = host_json
        with open(self.env.host, "w") as f:
            json.dump(host_json, f)
        self.env.simulated_reboot()

    def busctl(self, method, signature="", *args, user=None):
        """org.accelnet1.Manager.METHOD through busctl; the result's .data is the JSON reply."""
        return self.env.busctl(method, signature, *args, user=user)

    def call(self, method, *args, user=None):
        """Through dbus-send (args like 'string:x', 'uint32:5'); result.error_name."""
        return self.env.call(method, *args, user=user)

    def prop(self, name):
        return self.env.prop(name)

    def get_property(self, name):
        """The raw busctl result of get-property (for properties that may not exist)."""
        return self.env.run(["busctl", "--system", "--json=short", "get-property", harness.DEST, harness.PATH,
                             harness.IFACE, name])

    def ctl(self, *args, user=None):
        """accelnetctl with DBUS_SYSTEM_BUS_ADDRESS of this node's bus."""
        return self.env.ctl(*args, user=user)

    def define(self, *domains):
        """Defines domains in this node's libvirtd (domain() text, running unless <test:runstate>5)."""
        self.env.define(*domains)

    def virsh(self, *argv, check=True):
        return self.env.virsh(*argv, check=check)

    def domain_names(self, running=False):
        return self.env.domain_names(running)

    def hostdevs(self, vm):
        return self.env.hostdevs(vm)

    def sysfs(self, rel):
        return self.env.sysfs(rel)

    def close(self):
        """Ends the node's processes (accelnetd, corosync, libvirtd, bus) and removes its
        folder; returns the errors met on the way (everything is tried). Cluster.stop()
        signals every node's daemons first, so that they end in parallel."""
        errors = []
        try:
            if self.env and self.env.daemon is not None:
                self.env.stop()
        except BaseException as e:  # noqa: BLE001
            errors.append(e)
        try:
            self.kill_corosync(signal.SIGTERM, timeout=5)
        except BaseException as e:  # noqa: BLE001
            errors.append(e)
        if self.env:
            if os.environ.get("ACCELNET_KEEP_TMP"):
                print(f"\n  {self.name}:", end="", file=sys.stderr)     # Env.close prints the folder
            try:
                self.env.close()
            except BaseException as e:  # noqa: BLE001
                errors.append(e)
        return errors


def qb_files(pid):
    """libqb's /dev/shm entries of a process: as a server (corosync), the folder of each
    client connection's buffers (qb-PID-CLIENT-FD-RANDOM/) and its blackbox
    (qb-corosync-PID-blackbox-*); as a client, the folders of its connections
    (qb-SERVER-PID-FD-RANDOM/). A corosync killed with SIGKILL leaves them behind."""
    return sorted(set(glob.glob(f"/dev/shm/qb-{pid}-*") + glob.glob(f"/dev/shm/qb-corosync-{pid}-*")
                      + glob.glob(f"/dev/shm/qb-[0-9]*-{pid}-*")))


def term_with_parent():
    """preexec_fn for corosync: SIGTERM when the test process dies (even by SIGKILL), so that
    corosync leaves the membership and removes its /dev/shm files itself."""
    harness._LIBC.prctl(harness.PR_SET_PDEATHSIG, signal.SIGTERM)


def remove_qb_files(pid):
    for f in qb_files(pid):
        if os.path.isdir(f) and not os.path.islink(f):
            shutil.rmtree(f, ignore_errors=True)
        else:
            try:
                os.unlink(f)
            except OSError:
                pass


# ---- the cluster --------------------------------------------------------------------------------

class Cluster:
    """N nodes; see the module docstring. hosts/intents/configs/domains: one per node (or
    one for all: a dict for host/intents/config, a list of domain XMLs for domains).

        c = Cluster(3); c.start(); c.node(1).busctl("ListNodes"); c.stop()
    """

    def __init__(self, n=3, hosts=None, intents=None, configs=None, domains=None, token_ms=TOKEN_MS,
                 token_coefficient_ms=0, knet_ping_interval_ms=200, knet_ping_timeout_ms=1000, corosync_nice=-20,
                 totem_extra="", verbose=True):
        if not 1 <= n <= 200:
            raise ValueError("1 to 200 nodes")
        self.prefix = f"acb{os.getpid()}"
        if any(ns.startswith(self.prefix) for ns in namespaces()):
            # a second Cluster in one process at once: one more letter keeps names unique
            self.prefix += chr(ord("a") + sum(1 for c in _LIVE_CLUSTERS if c.prefix.startswith(self.prefix)))
        self.bridge_ns = f"{self.prefix}br"
        self.token_ms = token_ms
        # corosync adds token_coefficient (default 650 ms) per node above two to the token
        # timeout: with three nodes "token: 300" would really be 950 ms. 0 keeps it 300 ms.
        self.token_coefficient_ms = token_coefficient_ms
        # knet's link pings default to token / 4 and a timeout of token / 2 (75 and 150 ms
        # with token 300): measured here, the links then drop about every 9 s even on an idle
        # machine and every drop costs a membership change (10 in 45 s). With 200/1000 ms:
        # none in 45 s, also with three CPU hogs; a dead node is still noticed by the totem
        # token (kill -9: the survivors re-form in ~0.7 s).
        self.knet_ping_interval_ms = knet_ping_interval_ms
        self.knet_ping_timeout_ms = knet_ping_timeout_ms
        # corosync at nice -20 (sched_rr stays off as TESTBED.md says), so that a build running
        # beside the tests is less likely to delay the token (not measured on its own: the
        # 45 s under three CPU hogs above were with it)
        self.corosync_nice = corosync_nice
        self.totem_extra = totem_extra       # more lines for the totem section, as they are
        self.verbose = verbose
        hosts = hosts if isinstance(hosts, (list, tuple)) else [hosts or node_host()] * n
        intents = intents if isinstance(intents, (list, tuple)) else [intents or compute_intent()] * n
        configs = configs if isinstance(configs, (list, tuple)) else [configs or DEFAULT_CONFIG] * n
        if domains is None:
            domains = [[] for _ in range(n)]
        elif domains and isinstance(domains[0], str):
            domains = [list(domains)] * n
        if not len(hosts) == len(intents) == len(configs) == len(domains) == n:
            raise ValueError("hosts, intents, configs and domains need one entry per node")
        self.nodes = [Node(self, i + 1, hosts[i], intents[i], configs[i], domains[i]) for i in range(n)]
        self.started = False
        self.timings = {}

    @property
    def token_timeout(self):
        """corosync's effective token timeout in seconds (token + (N - 2) x token_coefficient):
        how long a silently dead node stays a member, before consensus (1.2 x token) runs."""
        return (self.token_ms + max(0, len(self.nodes) - 2) * self.token_coefficient_ms) / 1000

    def node(self, i):
        """Node i, counted from 1 as corosync's node ids."""
        return self.nodes[i - 1]

    def __iter__(self):
        return iter(self.nodes)

    def __len__(self):
        return len(self.nodes)

    # ---- bring-up -------------------------------------------------------------------------
    def _net_up(self):
        sh("ip", "netns", "add", self.bridge_ns)
        sh("ip", "-n", self.bridge_ns, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", self.bridge_ns, "link", "set", "br0", "up")
        for n in self.nodes:
            sh("ip", "netns", "add", n.ns)
            sh("ip", "-n", n.ns, "link", "set", "lo", "up")
            sh("ip", "-n", n.ns, "link", "add", "eth0", "type", "veth", "peer", "name", n.port, "netns",
               self.bridge_ns)
            sh("ip", "-n", n.ns, "addr", "add", f"{n.addr}/24", "dev", "eth0")
            sh("ip", "-n", n.ns, "link", "set", "eth0", "up")
            sh("ip", "-n", self.bridge_ns, "link", "set", n.port, "master", "br0", "up")

    def start(self, quorum_timeout=20):
        """Namespaces and bridge, every node's bus and libvirtd, corosync, accelnetd; returns
        when every corosync reports N members and quorum and every accelnetd owns its bus
        name. Any failure tears everything down before it is raised."""
        if self.started:
            raise RuntimeError("cluster already started")
        sweep_stale()
        _LIVE_CLUSTERS.append(self)
        self.started = True
        t0 = time.monotonic()
        try:
            self._net_up()
            t_net = time.monotonic()
            # the buses and libvirtds first (their folders hold corosync's), then every
            # corosync at once, then every accelnetd while corosync forms
            for n in self.nodes:
                n.make_env()
            self.record()
            t_env = time.monotonic()
            for n in self.nodes:
                n.write_corosync_conf()
            t_coro = time.monotonic()
            for n in self.nodes:
                n.start_corosync()
            for n in self.nodes:
                n.start_accelnetd(wait=False)
            for n in self.nodes:
                n.env.wait_ready()
            t_daemons = time.monotonic()
            self.wait_quorate(timeout=quorum_timeout)
            t_end = time.monotonic()
        except BaseException:
            self.stop()
            raise
        self.timings = {"network": t_net - t0, "buses+libvirtds": t_env - t_net,
                        "accelnetds on the bus": t_daemons - t_coro, "corosync quorate": t_end - t_coro,
                        "total": t_end - t0}
        if self.verbose:
            print(f"\n  cluster {self.prefix}: {len(self)} nodes up in {self.timings['total']:.2f} s "
                  f"(network {self.timings['network']:.2f} s, buses+libvirtds {self.timings['buses+libvirtds']:.2f} s, "
                  f"corosync quorate {self.timings['corosync quorate']:.2f} s after start, "
                  f"accelnetds on their buses {self.timings['accelnetds on the bus']:.2f} s)", file=sys.stderr)
        return self

    def start_and_wait_members(self, timeout=15):
        """start(), then waits until every accelnetd sees every node a member and quorate;
        stops the cluster if that fails. Returns the seconds the accelnetds took after it."""
        self.start()
        t0 = time.monotonic()
        try:
            wait_until(lambda: all(n.prop("ClusterNodes") == len(self) and n.prop("Quorate") for n in self), timeout,
                       what=f"every accelnetd: ClusterNodes {len(self)}, Quorate")
        except BaseException:
            self.stop()
            raise
        return time.monotonic() - t0

    def wait_quorate(self, nodes=None, members=None, timeout=20):
        """Waits until every node of `nodes` (default: all) has a quorate corosync whose
        membership is exactly `members` (default: those nodes' ids); returns the seconds."""
        nodes = [self.node(i) if isinstance(i, int) else i for i in (nodes or self.nodes)]
        want = sorted(members if members is not None else [n.nodeid for n in nodes])
        t0 = time.monotonic()

        def ok():
            for n in nodes:
                if not n.corosync_running:
                    raise RuntimeError(f"{n.name}: corosync exited with {n.corosync.returncode if n.corosync else None}:"
                                       f"\n{self.corosync_log(n)[-2000:]}")
                q = n.quorum()
                if not q or not q["quorate"] or q["members"] != want:
                    return False
            return True
        wait_until(ok, timeout, what=f"{[n.name for n in nodes]} quorate with members {want}")
        return time.monotonic() - t0

    def token_losses(self):
        """Per node, how often its corosync lost the token (a member failed or was cut off,
        or a stall made it look so): what to look at when a test saw a membership change
        that it did not cause."""
        return [self.corosync_log(n).count("A processor failed") for n in self.nodes]

    def corosync_log(self, n):
        try:
            with open(os.path.join(n.dir, "corosync", "corosync.log")) as f:
                return f.read()
        except OSError:
            return ""

    # ---- faults -----------------------------------------------------------------------------
    def kill_corosync(self, i, sig=signal.SIGKILL):
        return self.node(i).kill_corosync(sig)

    def start_corosync(self, i):
        return self.node(i).start_corosync()

    def kill_accelnetd(self, i, sig=signal.SIGKILL):
        return self.node(i).kill_accelnetd(sig)

    def start_accelnetd(self, i, wait=True):
        return self.node(i).start_accelnetd(wait)

    def cut_link(self, i):
        """Takes node i's veth down at the bridge (a switch port going dark): the node keeps
        its address, and both sides of the split keep running."""
        sh("ip", "-n", self.bridge_ns, "link", "set", self.node(i).port, "down")

    def restore_link(self, i):
        sh("ip", "-n", self.bridge_ns, "link", "set", self.node(i).port, "up")

    @staticmethod
    def wait_until(predicate, timeout, interval=0.05, what=None):
        return wait_until(predicate, timeout, interval, what)

    # ---- teardown -------------------------------------------------------------------------
    def pids(self):
        return set().union(*(n.pids for n in self.nodes))

    @property
    def manifest(self):
        return os.path.join(MANIFEST_DIR, f"{self.prefix}.json")

    def record(self):
        """Writes the manifest: what sweep_stale() removes if this process dies unclean."""
        os.makedirs(MANIFEST_DIR, exist_ok=True)
        tmp = self.manifest + ".tmp"
        with open(tmp, "w") as f:
            json.dump({"pids": sorted(self.pids()), "dirs": [n.dir for n in self.nodes if n.dir]}, f)
        os.replace(tmp, self.manifest)

    def stop(self):
        """Ends every process of every node (accelnetd, corosync, libvirtd, bus), removes
        corosync's shared-memory files, the namespaces and the folders. Safe to call twice
        and after a failed start. Raises the first error once everything was tried."""
        errors = []
        # signal first, wait after: accelnetds, then corosyncs (each takes ~1 s to leave)
        for n in self.nodes:
            for p in (n.accelnetd,) if n.env else ():
                if p is not None and p.poll() is None:
                    p.send_signal(signal.SIGCONT)
                    p.send_signal(signal.SIGTERM)
        for n in self.nodes:
            try:
                if n.env and n.env.daemon is not None:
                    n.env.stop()
            except BaseException as e:  # noqa: BLE001
                errors.append(e)
        for n in self.nodes:
            if n.corosync_running:
                n.corosync.send_signal(signal.SIGTERM)
        for n in self.nodes:
            errors += n.close()
        for ns in [n.ns for n in self.nodes] + [self.bridge_ns]:
            if ns in namespaces():
                for pid in sh("ip", "netns", "pids", ns, check=False).stdout.split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)   # nothing of ours should be left; be sure
                    except (ProcessLookupError, ValueError):
                        pass
                p = sh("ip", "netns", "delete", ns, check=False)
                if p.returncode != 0:
                    errors.append(RuntimeError(f"ip netns delete {ns}: {p.stderr.strip()}"))
        for pid in self.pids():
            remove_qb_files(pid)
        try:
            os.unlink(self.manifest)
        except OSError:
            pass
        if self in _LIVE_CLUSTERS:
            _LIVE_CLUSTERS.remove(self)
        self.started = False
        if errors:
            raise errors[0]

    close = stop

    def leftovers(self):
        """What stop() should have removed and did not: namespaces, live processes, qb files."""
        out = [ns for ns in namespaces() if ns.startswith(self.prefix)]
        out += [self.manifest] if os.path.exists(self.manifest) else []
        out += [f"pid {p}" for p in sorted(self.pids()) if alive(p)]
        out += [f for p in self.pids() for f in qb_files(p)]
        return out

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---- running the tests --------------------------------------------------------------------------

def _terminate(signum, frame):
    """CTest's timeout (SIGTERM) or ^C: tear every live cluster down, then exit."""
    for c in list(_LIVE_CLUSTERS):
        try:
            c.stop()
        except BaseException:  # noqa: BLE001
            pass
    harness._terminate(signum, frame)


def main(skip_reason=None):
    """unittest.main for a cluster test file. A machine that cannot run the tier, or a
    `skip_reason` (a callable returning a reason or None), exits with SKIP (77) and the
    reason printed, which CTest reports as skipped."""
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    reason = skip_unless_possible()
    if reason and os.environ.get("ACCELNET_CLUSTER_REQUIRED"):
        # scripts/test.sh as root: the machine is meant to run the tier
        print(f"FAILED: {reason} (ACCELNET_CLUSTER_REQUIRED is set)")
        sys.exit(1)
    if reason is None and skip_reason is not None:
        reason = skip_reason()
    if reason:
        print(f"SKIPPED: {reason}")
        sys.stdout.flush()
        sys.exit(SKIP)
    unittest.main(verbosity=2)
