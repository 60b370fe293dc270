"""Integration test harness: a private dbus-daemon loaded with the project's own policy
file (conf/org.accelnet1.conf), accelnetd on a fake root, the real clients (busctl, dbus-send,
accelnetctl) driving it, and libvirt behind it. Used by every tests/integration/test_*.py.

libvirt comes in two forms:

* Env(libvirtd=True): a real, unprivileged libvirtd (session mode, run as nobody, its own
  HOME/XDG folders under the test folder, no driver modules loaded so it is ready in about
  0.1 s) hosting the libvirt test driver. accelnetd gets
  test+unix:///default?socket=DIR/libvirtd/libvirt-sock. A holder connection (a `virsh`
  reading commands from a pipe) stays open for the whole test, so the test driver's
  instance - and every domain defined through it - outlives any number of accelnetd
  restarts. Domains are defined with `virsh define` (and `virsh start` for running ones)
  from the same XML builders the node files use; the test driver's own "test" domain is
  removed. dumpxml, live and --inactive, reads what accelnetd wrote.

  libvirtd can be killed (kill_libvirtd) and started again (start_libvirtd,
  restart_libvirtd). What that models, and what it does not:
    - modelled: the connection drops (accelnetd sees EOF, or ECONNREFUSED while libvirtd is
      down: the socket path is a symlink to the current libvirtd's socket and keeps pointing
      at the dead one), every call fails meanwhile, accelnetd must notice and reconnect by
      itself, register its events anew, and find domain IDs changed.
    - the test driver keeps nothing on disk: a restarted libvirtd starts EMPTY, where a real
      one keeps its persistent domains and its running guests. So by default (keep=True)
      the harness freezes accelnetd (SIGSTOP) for a moment, snapshots every domain's
      persistent XML and, for running ones, live XML, kills libvirtd, thaws accelnetd, and
      in the new libvirtd defines the live XML, starts it and defines the persistent XML over
      it - all BEFORE the socket symlink points at the new libvirtd, so accelnetd never sees
      the empty instance and finds live and persistent XML as they were. keep=False gives
      the empty libvirtd that a real one never is (the test then defines what it wants).
    - not modelled: the guests' own continuity (a running domain is started again, with a
      new ID), live attach/detach (the test driver has none: a VF reaches the persistent
      config only), and the exact instant of the kill relative to accelnetd's calls: the
      freeze lets libvirtd finish what accelnetd had sent, so a change is either fully in
      the snapshot or fails for accelnetd as a call to a dead libvirtd - never half-applied
      on the libvirt side (a real libvirtd writes its config atomically too).

* Env() without libvirtd: the in-process test:///FILE driver (a node file). It forgets
  every change when accelnetd disconnects: only for tests that need nothing to persist.

Environment (set by CTest): ACCELNET_BUILD_DIR, ACCELNET_SOURCE_DIR, ACCELNET_FIXTURES_DIR.
ACCELNET_KEEP_TMP=1 keeps each test's folder.
"""
import ctypes
import json
import os
import pwd
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import xml.etree.ElementTree as ET

SOURCE_DIR = os.environ.get("ACCELNET_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
BUILD_DIR = os.environ.get("ACCELNET_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
FIXTURES_DIR = os.environ.get("ACCELNET_FIXTURES_DIR", os.path.join(SOURCE_DIR, "tests/fixtures/real"))
ACCELNETD = os.path.join(BUILD_DIR, "src", "accelnetd")
ACCELNETCTL = os.path.join(BUILD_DIR, "src", "accelnetctl")
PREREQ_TOOL = os.path.join(BUILD_DIR, "src", "accelnet-prereq")
SIM_DIR = os.path.join(SOURCE_DIR, "conf", "simulate")
POLICY = os.path.join(SOURCE_DIR, "conf", "org.accelnet1.conf")

DEST = "org.accelnet1"
PATH = "/org/accelnet1"
IFACE = "org.accelnet1.Manager"
AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]


class Result:
    def __init__(self, proc):
        self.rc = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    @property
    def error_name(self):
        """The D-Bus error name printed by dbus-send ('Error NAME: message')."""
        for line in self.err.splitlines():
            if line.startswith("Error "):
                return line.split()[1].rstrip(":")
        return None

    def __repr__(self):
        return f"Result(rc={self.rc}, out={self.out!r}, err={self.err!r})"


METADATA_NS = "https://accelnet.dev/xmlns/domain/1"   # src/shared/names.h
ALIAS_PREFIX = "ua-accelnet-"
VF_ALIAS = ALIAS_PREFIX + "vf"
NOBODY = pwd.getpwnam("nobody")
_LIBC = ctypes.CDLL(None, use_errno=True)
PR_SET_PDEATHSIG = 1


def die_with_parent():
    """preexec_fn: the child is killed when the test process dies (even by SIGKILL, as CTest's
    timeout does), so no daemon outlives its test. The signal comes when the starting THREAD
    ends: start daemons from the test's own thread, not from a helper thread."""
    _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def as_nobody_dying_with_parent():
    """preexec_fn: drop to nobody, then set the parent-death signal (a credential change
    clears it, which is why `setpriv --pdeathsig` does not do)."""
    os.setgroups([])
    os.setgid(NOBODY.pw_gid)
    os.setuid(NOBODY.pw_uid)
    die_with_parent()


def node_domains(path):
    """The <domain> elements of a libvirt test-driver node file, as XML text (byte for byte)."""
    with open(path) as f:
        return re.findall(r"<domain\b.*?</domain>", f.read(), re.S)


def domain_name(xml):
    m = re.search(r"<name>([^<]*)</name>", xml)
    if not m:
        raise ValueError(f"no <name> in {xml[:200]!r}")
    return m.group(1)


def domain_runs(xml):
    """A node-file domain runs unless its <test:runstate> says otherwise (5 = shut off)."""
    m = re.search(r"<test:runstate>\s*(\d+)\s*</test:runstate>", xml)
    return m is None or m.group(1) == "1"


def pci_of(address):
    """'0000:01:10.2' from a libvirt <address domain= bus= slot= function=> element."""
    return "%04x:%02x:%02x.%x" % tuple(int(address.get(k), 16) for k in ("domain", "bus", "slot", "function"))


def hostdev_ifaces(xml):
    """Every <interface type='hostdev'> of a domain XML: [{pci, alias, mac, vlan, teaming}]."""
    root = ET.fromstring(xml)
    out = []
    for i in root.findall("./devices/interface"):
        if i.get("type") != "hostdev":
            continue
        addr = i.find("source/address")
        tag = i.find("vlan/tag")
        team = i.find("teaming")
        out.append({"pci": pci_of(addr) if addr is not None else None,
                    "alias": i.find("alias").get("name") if i.find("alias") is not None else None,
                    "mac": i.find("mac").get("address") if i.find("mac") is not None else None,
                    "vlan": int(tag.get("id")) if tag is not None else 0,
                    "teaming": dict(team.attrib) if team is not None else None})
    return out


def accel_metadata(xml):
    """The attributes of accelnet's <metadata><vm xmlns=METADATA_NS/>, None without one."""
    root = ET.fromstring(xml)
    el = root.find(f"./metadata/{{{METADATA_NS}}}vm")
    return dict(el.attrib) if el is not None else None


class Libvirtd:
    """An unprivileged libvirtd hosting the test driver, restartable; see the module docstring.

    self.uri is the stable URI for accelnetd (through the symlink); every generation of the
    daemon gets its own folder DIR/gN (owned by nobody), so nothing of a killed one is reused."""

    READY_TIMEOUT = 15

    def __init__(self, dirname):
        self.dir = dirname
        os.makedirs(self.dir, exist_ok=True)
        os.chmod(self.dir, 0o755)
        self.link = os.path.join(self.dir, "libvirt-sock")
        self.uri = "test+unix:///default?socket=" + self.link
        self.gen = 0
        self.gen_dir = None
        self.proc = None
        self.holder = None
        self.log = None
        self.defs = 0

    # ---- process --------------------------------------------------------------------
    @property
    def socket(self):
        return os.path.join(self.gen_dir, "run", "libvirt", "libvirt-sock")

    @property
    def direct_uri(self):
        """The current generation's own socket (works before the symlink points at it)."""
        return "test+unix:///default?socket=" + self.socket

    def launch(self):
        """Starts a new libvirtd generation without waiting for it (see ready())."""
        if self.proc is not None:
            raise RuntimeError("libvirtd is already running")
        self.gen += 1
        self.gen_dir = os.path.join(self.dir, f"g{self.gen}")
        empty = os.path.join(self.dir, "no-modules")
        for d in (self.gen_dir, empty):
            os.makedirs(d, exist_ok=True)
        os.chown(self.gen_dir, NOBODY.pw_uid, NOBODY.pw_gid)
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": self.gen_dir,
               "XDG_RUNTIME_DIR": os.path.join(self.gen_dir, "run"),
               "XDG_CONFIG_HOME": os.path.join(self.gen_dir, "cfg"),
               "XDG_CACHE_HOME": os.path.join(self.gen_dir, "cache"),
               # no qemu/lxc/... modules: the test driver is built into libvirt itself, and
               # without the others libvirtd is ready in ~0.1 s instead of ~0.6 s
               "LIBVIRT_DRIVER_DIR": empty}
        self.log = open(os.path.join(self.dir, f"libvirtd-g{self.gen}.log"), "w")
        self.proc = subprocess.Popen(["libvirtd", "--timeout", "0"], env=env, stdin=subprocess.DEVNULL,
                                     stdout=self.log, stderr=subprocess.STDOUT, cwd=self.gen_dir,
                                     preexec_fn=as_nobody_dying_with_parent)

    def ready(self, domains=()):
        """Waits for the launched libvirtd, opens the holder connection, removes the test
        driver's own domain, defines `domains`, and only then points the symlink at it."""
        deadline = time.time() + self.READY_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"libvirtd exited with {self.proc.returncode}:\n{self.logtext()}")
            if os.path.exists(self.socket) and self._open_holder():
                break
            if time.time() > deadline:
                raise RuntimeError(f"libvirtd did not answer within {self.READY_TIMEOUT} s:\n{self.logtext()}")
            time.sleep(0.02)
        # the test driver's own domain goes, in the same virsh call as the definitions
        self.define_all(domains, first=["destroy test", "undefine test"])
        tmp = self.link + ".new"
        if os.path.lexists(tmp):
            os.unlink(tmp)
        os.symlink(self.socket, tmp)
        os.replace(tmp, self.link)

    def _open_holder(self):
        h = subprocess.Popen(["virsh", "-q", "-c", self.direct_uri], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, text=True, preexec_fn=die_with_parent)
        h.stdin.write("echo holder-ready\n")
        h.stdin.flush()
        ready, _, _ = select.select([h.stdout], [], [], 5)
        line = h.stdout.readline() if ready else ""
        if "holder-ready" in line:
            self.holder = h
            return True
        self._close_holder(h)
        return False

    @staticmethod
    def _close_holder(h):
        try:
            h.stdin.close()
        except OSError:
            pass
        try:
            h.wait(2)
        except subprocess.TimeoutExpired:
            h.kill()
            h.wait(5)
        h.stdout.close()

    def start(self, domains=()):
        self.launch()
        self.ready(domains)

    @property
    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self, sig=signal.SIGKILL):
        """Kills libvirtd (SIGKILL by default: no clean-up, the socket file stays and refuses
        connections). The holder connection goes with it."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
            self.proc = None
        if self.holder is not None:
            self._close_holder(self.holder)
            self.holder = None
        if self.log:
            self.log.close()
            self.log = None

    def logtext(self):
        try:
            with open(os.path.join(self.dir, f"libvirtd-g{self.gen}.log")) as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    # ---- virsh ------------------------------------------------------------------------
    def virsh(self, *argv, check=True, timeout=60):
        """One virsh command (argv as for the command line) on the current libvirtd."""
        p = subprocess.run(["virsh", "-q", "-c", self.direct_uri, *argv], capture_output=True, text=True,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise RuntimeError(f"virsh {' '.join(argv)}: {p.stderr.strip()}")
        return p

    def batch(self, commands, timeout=120):
        """Several virsh commands in one connection; errors are ignored (callers check)."""
        if not commands:
            return None
        return subprocess.run(["virsh", "-q", "-c", self.direct_uri, " ; ".join(commands)], capture_output=True,
                              text=True, timeout=timeout)

    def define_all(self, domains, first=()):
        """Defines domains and starts the running ones. Each is node-file XML text (running
        unless its <test:runstate> says 5), (xml, running), or (xml, running, live_xml) as
        snapshot() gives: then the live XML is defined and started first and the persistent
        XML defined over it, so both come back as they were. One virsh call (after the
        commands `first`), which also lists the domains to check the result."""
        cmds, names = list(first), []
        for d in domains:
            xml, run, live = (d, domain_runs(d), None) if isinstance(d, str) else (tuple(d) + (None,))[:3]
            name = domain_name(xml)
            if live:
                cmds += [f"define {self._write(live)}", f"start {name}"]
            cmds.append(f"define {self._write(xml)}")
            if run and not live:
                cmds.append(f"start {name}")
            names.append((name, run))
        if not cmds:
            return
        # virsh's echo prints no newline in a command list: the markers split its output
        p = self.batch(cmds + ["echo @@all@@", "list --all --name", "echo @@running@@", "list --name"])
        out = p.stdout
        if "@@all@@" not in out or "@@running@@" not in out:
            raise RuntimeError(f"virsh: {p.stderr.strip()}")
        have = set(out.split("@@all@@", 1)[1].split("@@running@@", 1)[0].split())
        active = set(out.split("@@running@@", 1)[1].split())
        bad = [n for n, run in names if n not in have or (run and n not in active)]
        if bad:
            raise RuntimeError(f"virsh did not define/start {bad}: {p.stderr.strip()}")

    def _write(self, xml):
        xml = re.sub(r"<test:runstate>.*?</test:runstate>", "", xml, flags=re.S)
        self.defs += 1
        path = os.path.join(self.dir, f"def-{self.defs}.xml")
        with open(path, "w") as f:
            f.write(xml)
        return path

    def names(self, running=False):
        p = self.virsh("list", "--name", *([] if running else ["--all"]))
        return [n for n in p.stdout.split() if n]

    def dumpxml(self, name, inactive=False):
        return self.virsh("dumpxml", *(["--inactive"] if inactive else []), "--security-info", name).stdout

    def snapshot(self):
        """[(persistent XML, running, live XML or None)] of every domain: what a real
        libvirtd keeps across its own restart (its config on disk, its running guests)."""
        names = self.names()
        active = set(self.names(running=True))
        if not names:
            return []
        p = self.batch([f"dumpxml --inactive --security-info {n}" for n in names] +
                       [f"dumpxml --security-info {n}" for n in names if n in active])
        xmls = re.findall(r"<domain\b.*?</domain>", p.stdout, re.S)
        want = names + [n for n in names if n in active]
        if [domain_name(x) for x in xmls] != want:
            raise RuntimeError(f"snapshot: dumpxml gave {[domain_name(x) for x in xmls]} for {want}: {p.stderr}")
        live = dict(zip([n for n in names if n in active], xmls[len(names):]))
        return [(x, n in active, live.get(n)) for x, n in zip(xmls, names)]


_LIVE_ENVS = []


class Env:
    """One private bus, a (re)startable accelnetd and, with libvirtd=True, a (re)startable
    libvirtd, in a temporary directory. close() ends every process and removes the folder.

    domains (libvirtd only): the domain XMLs to define at start (node-file <domain> text,
    running unless <test:runstate> says 5, or (xml, running) pairs); default: the simulated
    host's node file conf/simulate/libvirt.xml. uri (file driver only): the node file URI."""

    def __init__(self, host=None, host_json=None, config=None, intents=None, uri=None, libvirtd=False,
                 domains=None):
        self.dir = tempfile.mkdtemp(prefix="accelnet-it-")
        os.chmod(self.dir, 0o755)          # nobody must reach the bus socket
        self.root = os.path.join(self.dir, "root")
        self.config_dir = os.path.join(self.dir, "config")
        self.state_dir = os.path.join(self.dir, "state")
        self.log_path = os.path.join(self.dir, "accelnetd.log")
        self.bus = None
        self.daemon = None
        self.daemon_env = {}
        self.log = None
        self.libvirtd = None
        _LIVE_ENVS.append(self)
        try:
            if libvirtd:
                self.libvirtd = Libvirtd(os.path.join(self.dir, "libvirtd"))
                self.libvirtd.launch()     # comes up while the fake root is built
            os.makedirs(self.root)
            os.makedirs(os.path.join(self.config_dir, "intents.d"))
            if host_json is not None:
                host = os.path.join(self.dir, "host.json")
                with open(host, "w") as f:
                    json.dump(host_json, f)
            self.host = host or os.path.join(SIM_DIR, "host.json")
            self.build_root()
            src_cfg = os.path.join(SIM_DIR, "config")
            if config is None and intents is None:
                shutil.copytree(src_cfg, self.config_dir, dirs_exist_ok=True)
            if config is not None:
                self.write_config("accelnet.json", config)
            for name, body in (intents or {}).items():
                self.write_config(f"intents.d/{name}.json", body)
            if self.libvirtd:
                if uri:
                    raise ValueError("uri is for the file driver; give libvirtd=True domains instead")
                self.libvirtd.ready(node_domains(os.path.join(SIM_DIR, "libvirt.xml")) if domains is None else domains)
                self.uri = self.libvirtd.uri
            else:
                if domains is not None:
                    raise ValueError("domains need libvirtd=True; the file driver takes a node file uri")
                self.uri = uri or "test://" + os.path.join(SIM_DIR, "libvirt.xml")
            self._start_bus()
        except BaseException:
            self.close()
            raise

    def build_root(self):
        """(Re)builds the fake root from the host description, at the same path."""
        subprocess.run([PREREQ_TOOL, f"--root={self.root}", f"--host={self.host}",
                        f"--dump-dir={FIXTURES_DIR}"], check=False, capture_output=True)
        if not os.path.isdir(os.path.join(self.root, "sys")):
            raise RuntimeError(f"fake root was not built from {self.host}")

    def simulated_reboot(self):
        """A host reboot as accelnetd sees it: the daemon stops, the fake root is built again
        from the same host description at the same path (every VF, and the simulated VF
        settings under ROOT/run/accelnet-sim, are gone), and libvirt keeps its persistent
        domains. The caller starts accelnetd again."""
        self.stop()
        shutil.rmtree(self.root)
        os.makedirs(self.root)
        self.build_root()

    def write_config(self, rel, body):
        p = os.path.join(self.config_dir, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(body if isinstance(body, str) else json.dumps(body))

    def _start_bus(self):
        sock = os.path.join(self.dir, "bus.sock")
        with open(os.path.join(os.path.dirname(__file__), "bus.conf.in")) as f:
            conf = f.read().replace("@SOCKET@", sock).replace("@POLICY@", POLICY)
        conf_path = os.path.join(self.dir, "bus.conf")
        with open(conf_path, "w") as f:
            f.write(conf)
        self.bus = subprocess.Popen(["dbus-daemon", "--nofork", "--print-address", f"--config-file={conf_path}"],
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                                    preexec_fn=die_with_parent)
        self.address = self.bus.stdout.readline().strip()
        if not self.address:
            raise RuntimeError("dbus-daemon did not start")
        os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = self.address

    def env(self):
        e = dict(os.environ)
        e["DBUS_SYSTEM_BUS_ADDRESS"] = self.address
        e.pop("JOURNAL_STREAM", None)
        return e

    # ---- daemon ----------------------------------------------------------------------
    def start(self, *extra, wait=True, simulate=True):
        # --simulate: the simulated backend on this fake root (a root alone means the kernel's).
        args = [ACCELNETD, *(["--simulate"] if simulate else []), f"--root={self.root}",
                f"--config-dir={self.config_dir}", f"--state-dir={self.state_dir}", f"--libvirt-uri={self.uri}",
                "--log-level=debug", *extra]
        return self.exec(args, wait=wait)

    def exec(self, args, wait=True):
        """Starts accelnetd with exactly these arguments (args[0] is the binary)."""
        env = self.env()
        env.update(self.daemon_env)
        self.log = open(self.log_path, "a")
        self.daemon = subprocess.Popen(args, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                       preexec_fn=die_with_parent)
        if wait:
            self.wait_ready()
        return self.daemon

    def wait_ready(self, timeout=15):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.daemon.poll() is not None:
                raise RuntimeError(f"accelnetd exited with {self.daemon.returncode}:\n{self.logtext()}")
            r = self.dbus_send("org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner",
                               "string:" + DEST)
            if "boolean true" in r.out:
                return
            time.sleep(0.05)
        raise RuntimeError(f"accelnetd did not take the bus name:\n{self.logtext()}")

    def stop(self, sig=signal.SIGTERM, timeout=15):
        """Signals accelnetd and waits for it; returns its exit status. A daemon that does
        not exit within `timeout` is killed and the timeout raised."""
        try:
            if self.daemon and self.daemon.poll() is None:
                self.daemon.send_signal(signal.SIGCONT)   # in case a test froze it
                self.daemon.send_signal(sig)
                try:
                    self.daemon.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.daemon.kill()
                    self.daemon.wait(10)
                    raise
            return self.daemon.returncode if self.daemon else None
        finally:
            self.daemon = None
            if self.log:
                self.log.close()
                self.log = None

    def kill9(self):
        return self.stop(signal.SIGKILL)

    def restart(self, *extra):
        self.stop()
        return self.start(*extra)

    def logtext(self):
        try:
            with open(self.log_path) as f:
                return f.read()
        except OSError:
            return ""

    SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")

    def close(self):
        """Ends accelnetd, libvirtd and the bus whatever happened, then removes the folder;
        fails the test when accelnetd's log shows a sanitizer report."""
        try:
            try:
                self.stop()
            finally:
                if self.libvirtd:
                    self.libvirtd.kill()
            log = self.logtext()
            bad = [m for m in self.SANITIZER_MARKS if m in log]
            if bad:
                raise AssertionError(f"accelnetd reported {bad[0]}:\n{log[-4000:]}")
        finally:
            if self.bus:
                self.bus.terminate()
                self.bus.wait(5)
                self.bus.stdout.close()
                self.bus = None
            if self in _LIVE_ENVS:
                _LIVE_ENVS.remove(self)
            if os.environ.get("ACCELNET_KEEP_TMP"):
                print(f"\n  kept {self.dir}", file=sys.stderr)
            else:
                shutil.rmtree(self.dir, ignore_errors=True)

    # ---- libvirt (libvirtd=True) -------------------------------------------------------
    def _lv(self):
        if not self.libvirtd:
            raise RuntimeError("this Env uses the in-process test:///FILE driver; make it with libvirtd=True")
        return self.libvirtd

    def virsh(self, *argv, check=True):
        """One virsh command on the test's libvirtd, e.g. env.virsh("domstate", "web1")."""
        return self._lv().virsh(*argv, check=check)

    def define(self, *domains):
        """Defines domain XMLs (node-file text: running unless <test:runstate>5; or
        (xml, running) pairs) and starts the running ones."""
        self._lv().define_all(domains)

    def start_domain(self, name):
        self.virsh("start", name)

    def destroy_domain(self, name):
        self.virsh("destroy", name)

    def undefine(self, name):
        lv = self._lv()
        if name in lv.names(running=True):
            lv.virsh("destroy", name)
        lv.virsh("undefine", name)

    def domain_names(self, running=False):
        return self._lv().names(running)

    def dumpxml(self, name, inactive=False):
        """The domain's live XML, or its persistent one with inactive=True."""
        return self._lv().dumpxml(name, inactive)

    def hostdevs(self, name, inactive=True):
        """The <interface type='hostdev'> of a domain: [{pci, alias, mac, vlan, teaming}]."""
        return hostdev_ifaces(self.dumpxml(name, inactive))

    def metadata(self, name):
        """accelnet's <metadata> element of the persistent XML as a dict; None without one."""
        return accel_metadata(self.dumpxml(name, inactive=True))

    def vfs_in_xml(self):
        """{VM: [VF PCI addresses]} of every domain's persistent XML (hostdev interfaces)."""
        return {n: [h["pci"] for h in self.hostdevs(n)] for n in self.domain_names()}

    def kill_libvirtd(self, keep=True, sig=signal.SIGKILL):
        """Kills libvirtd. keep=True first snapshots what a real libvirtd would keep on disk
        (with accelnetd frozen for the moment of the snapshot and the kill, so that no change
        it makes falls between them) and returns it for start_libvirtd."""
        lv = self._lv()
        snap = None
        frozen = self.daemon is not None and self.daemon.poll() is None
        if frozen and keep:
            self.daemon.send_signal(signal.SIGSTOP)
            time.sleep(0.1)          # libvirtd finishes what accelnetd sent before the freeze
        try:
            if keep:
                snap = lv.snapshot()
            lv.kill(sig)
        finally:
            if frozen and keep:
                self.daemon.send_signal(signal.SIGCONT)
        return snap

    def start_libvirtd(self, domains=()):
        """Starts a new libvirtd with `domains` defined before accelnetd can reach it."""
        self._lv().start(domains)

    def restart_libvirtd(self, keep=True, down=0.0):
        """kill_libvirtd(keep), `down` seconds of outage, start_libvirtd(the snapshot)."""
        snap = self.kill_libvirtd(keep)
        if down:
            time.sleep(down)
        self.start_libvirtd(snap or ())
        return snap

    # ---- clients ---------------------------------------------------------------------
    def run(self, argv, user=None, timeout=120):
        if user == "nobody":
            argv = AS_NOBODY + argv
        p = subprocess.run(argv, env=self.env(), capture_output=True, text=True, timeout=timeout)
        return Result(p)

    def dbus_send(self, dest, path, member, *args, user=None):
        return self.run(["dbus-send", "--system", "--print-reply", f"--dest={dest}", path, member, *args], user=user)

    def call(self, method, *args, user=None):
        """org.accelnet1.Manager.METHOD through dbus-send; args like 'string:x', 'uint32:5'."""
        return self.dbus_send(DEST, PATH, f"{IFACE}.{method}", *args, user=user)

    def busctl(self, method, signature="", *args, user=None):
        argv = ["busctl", "--system", "--json=short", "call", DEST, PATH, IFACE, method]
        if signature:
            argv += [signature, *[str(a) for a in args]]
        r = self.run(argv, user=user)
        r.data = json.loads(r.out)["data"] if r.rc == 0 and r.out.strip() else None
        return r

    def prop(self, name):
        r = self.run(["busctl", "--system", "--json=short", "get-property", DEST, PATH, IFACE, name])
        if r.rc != 0:
            raise RuntimeError(f"get-property {name}: {r.err}")
        return json.loads(r.out)["data"]

    def props(self):
        return {k: self.prop(k) for k in ("Enabled", "IntentName", "NodeReservePercentage", "HyperthreadingEnabled",
                                          "CapacityVFs", "UsableVFs", "AssignedVFs", "Version")}

    def ctl(self, *args, user=None):
        r = self.run([ACCELNETCTL, *args], user=user)
        # accelnetctl's messages fit 80 columns (issue 14): checked on every call of every test
        wide = [line for line in r.err.splitlines() if len(line) > 80]
        if wide and "COLUMNS" not in os.environ:
            raise AssertionError(f"accelnetctl {' '.join(args)}: stderr wider than 80 columns: {wide}")
        return r

    def state(self):
        """The daemon's state as it would load it: state.json, then every whole line of
        state.journal replayed over it (a record upserted, a name dropped, the plan or the
        waiting VMs or the servicing lists replaced). "waiting" is [] for a file without it (schema
        version 1), "servicing" {"drained": [], "vms": []} (before version 3)."""
        path = os.path.join(self.state_dir, "state.json")
        if os.path.exists(path):
            with open(path) as f:
                st = json.load(f)
        else:
            st = {"version": 2, "management": {"enabled": False, "intent": None, "node_reserve": 50},
                  "adapters": [], "vms": [], "waiting": []}
        st.setdefault("waiting", [])
        st.setdefault("servicing", {"drained": [], "vms": []})
        try:
            with open(os.path.join(self.state_dir, "state.journal")) as f:
                text = f.read()
        except FileNotFoundError:
            text = ""
        for line in text.split("\n")[:-1]:        # a cut last line is not a change
            if not line:
                continue
            change = json.loads(line)
            if "vm" in change:
                st["vms"] = [v for v in st["vms"] if v["vm"] != change["vm"]["vm"]] + [change["vm"]]
            elif "drop" in change:
                st["vms"] = [v for v in st["vms"] if v["vm"] != change["drop"]]
            elif "plan" in change:
                st["management"] = change["plan"]["management"]
                st["adapters"] = change["plan"]["adapters"]
            elif "waiting" in change:
                st["waiting"] = change["waiting"]
            elif "servicing" in change:
                st["servicing"] = change["servicing"]
        st["vms"].sort(key=lambda v: v["vm"])
        return st

    def state_files(self):
        """The bytes of state.json and state.journal: what "nothing was written" compares."""
        out = b""
        for name in ("state.json", "state.journal"):
            try:
                with open(os.path.join(self.state_dir, name), "rb") as f:
                    out += f.read() + b"\0"
            except FileNotFoundError:
                out += b"-\0"
        return out

    def sysfs(self, rel):
        with open(os.path.join(self.root, rel)) as f:
            return f.read().strip()


class TestCase(unittest.TestCase):
    """A test case with an Env per test (self.env), closed afterwards."""
    host = None
    host_json = None

    def make_env(self, **kw):
        kw.setdefault("host", self.host)
        kw.setdefault("host_json", self.host_json)
        env = Env(**kw)
        self.addCleanup(env.close)
        return env

    def assertError(self, result, name, contains=None):
        self.assertNotEqual(result.rc, 0, f"expected {name}, got success: {result}")
        self.assertEqual(result.error_name, name, f"{result}")
        if contains:
            self.assertIn(contains, result.err)


def _terminate(signum, frame):
    """CTest's timeout (SIGTERM) or ^C: end every process of every live Env, then exit."""
    for env in list(_LIVE_ENVS):
        try:
            env.close()
        except BaseException:
            pass
    os._exit(128 + signum)


def main():
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    unittest.main(verbosity=2)
