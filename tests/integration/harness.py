"""Integration test harness: a private dbus-daemon loaded with the project's own policy
file (conf/org.accelnet1.conf), accelnetd on a fake root, and the real clients (busctl,
dbus-send, accelnetctl) driving it. Used by every tests/integration/test_*.py.

Environment (set by CTest): ACCELNET_BUILD_DIR, ACCELNET_SOURCE_DIR, ACCELNET_FIXTURES_DIR.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import unittest

SOURCE_DIR = os.environ.get("ACCELNET_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
BUILD_DIR = os.environ.get("ACCELNET_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
FIXTURES_DIR = os.environ.get("ACCELNET_FIXTURES_DIR", os.path.join(SOURCE_DIR, "../shared/fixtures/real"))
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


class Env:
    """One private bus and (re)startable daemon in a temporary directory."""

    def __init__(self, host=None, host_json=None, config=None, intents=None, uri=None):
        self.dir = tempfile.mkdtemp(prefix="accelnet-it-")
        os.chmod(self.dir, 0o755)          # nobody must reach the bus socket
        self.root = os.path.join(self.dir, "root")
        self.config_dir = os.path.join(self.dir, "config")
        self.state_dir = os.path.join(self.dir, "state")
        self.log_path = os.path.join(self.dir, "accelnetd.log")
        os.makedirs(self.root)
        os.makedirs(os.path.join(self.config_dir, "intents.d"))
        if host_json is not None:
            host = os.path.join(self.dir, "host.json")
            with open(host, "w") as f:
                json.dump(host_json, f)
        self.host = host or os.path.join(SIM_DIR, "host.json")
        subprocess.run([PREREQ_TOOL, f"--root={self.root}", f"--host={self.host}",
                        f"--dump-dir={FIXTURES_DIR}"], check=False, capture_output=True)
        if not os.path.isdir(os.path.join(self.root, "sys")):
            raise RuntimeError(f"fake root was not built from {self.host}")
        src_cfg = os.path.join(SIM_DIR, "config")
        if config is None and intents is None:
            shutil.copytree(src_cfg, self.config_dir, dirs_exist_ok=True)
        if config is not None:
            self.write_config("accelnet.json", config)
        for name, body in (intents or {}).items():
            self.write_config(f"intents.d/{name}.json", body)
        self.uri = uri or "test://" + os.path.join(SIM_DIR, "libvirt.xml")
        self.bus = None
        self.daemon = None
        self.daemon_env = {}
        self._start_bus()

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
                                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
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
        self.daemon = subprocess.Popen(args, env=env, stdout=self.log, stderr=subprocess.STDOUT)
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
        if self.daemon and self.daemon.poll() is None:
            self.daemon.send_signal(sig)
            self.daemon.wait(timeout)
        rc = self.daemon.returncode if self.daemon else None
        self.daemon = None
        if getattr(self, "log", None):
            self.log.close()
            self.log = None
        return rc

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
        try:
            self.stop()
            log = self.logtext()
            bad = [m for m in self.SANITIZER_MARKS if m in log]
            if bad:
                raise AssertionError(f"accelnetd reported {bad[0]}:\n{log[-4000:]}")
        finally:
            if self.bus:
                self.bus.terminate()
                self.bus.wait(5)
                self.bus.stdout.close()
            if not os.environ.get("ACCELNET_KEEP_TMP"):
                shutil.rmtree(self.dir, ignore_errors=True)

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
        return self.run([ACCELNETCTL, *args], user=user)

    def state(self):
        with open(os.path.join(self.state_dir, "state.json")) as f:
            return json.load(f)

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


def main():
    unittest.main(verbosity=2)
