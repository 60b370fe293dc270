#!/usr/bin/env python3
"""The browser tier: accelnet's Cockpit page (cockpit/) in headless Chromium, driven by
Playwright (accelnet.test.mjs, under `node --test`), against a real cockpit-ws on loopback
and a real accelnetd on the simulated host, both on a private dbus-daemon with the project's
policy (tests/integration/harness.py).

cockpit-ws runs without login (--local-session: its bridge runs as this user, here root) on a
free loopback port, with the page in a package folder of this run (XDG_DATA_DIRS), so it is
never an installed copy that gets tested. The simulated host gets one more intent, "edge"
(compute type, only ens3, which sits behind a switch port without ACS): enabling with it fails
the way the seed says. libvirt is a real libvirtd (its test driver), so that the VMs'
settings outlive a restart of accelnetd; the test stops and starts accelnetd through a
loopback endpoint of this script (ACCELNET_CONTROL_URL: POST /daemon/stop, /daemon/start).

Environment: ACCELNET_NPM_DIR (default ${XDG_CACHE_HOME:-~/.cache}/accelnet/npm, where
scripts/deps.sh's accelnet_fetch_playwright installs playwright-core), ACCELNET_CHROMIUM
(default /usr/lib/chromium/chromium), ACCELNET_SCREENSHOT_DIR (default
BUILD/tests/browser/screenshots), ACCELNET_BROWSER_TEST (the test file; default
accelnet.test.mjs here). Exit status: node's."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
import harness  # noqa: E402

COCKPIT_WS = "/usr/lib/cockpit/cockpit-ws"
CHROMIUM = os.environ.get("ACCELNET_CHROMIUM", "/usr/lib/chromium/chromium")
NPM_DIR = os.environ.get("ACCELNET_NPM_DIR", os.path.join(
    os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache")), "accelnet", "npm"))
EDGE_INTENT = {"name": "edge", "types": ["compute"], "adapters": ["ens3"]}


def need():
    missing = []
    for path, what in ((COCKPIT_WS, "cockpit-ws (apt: cockpit-ws cockpit-bridge cockpit-system)"),
                       (CHROMIUM, "chromium (apt: chromium fonts-liberation)"),
                       (os.path.join(NPM_DIR, "node_modules", "playwright-core", "package.json"),
                        "playwright-core (scripts/deps.sh: accelnet_fetch_playwright)")):
        if not os.path.exists(path):
            missing.append(f"{what}: {path} is missing")
    if not shutil.which("node"):
        missing.append("node (apt: nodejs)")
    if missing:
        sys.exit("browser tier cannot run:\n  " + "\n  ".join(missing) + "\n(scripts/test.sh installs them)")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_ws(env, pkgroot, user, procs):
    """cockpit-ws without login on a free loopback port, its bridge running as `user` (root or
    nobody), on the test's bus; returns its base URL once it serves the page, and procs with
    (process, log path) added."""
    home = os.path.join(env.dir, f"home-{user}")
    os.makedirs(os.path.join(home, "run"), mode=0o700)
    if user == "nobody":
        for d in (home, os.path.join(home, "run")):
            os.chown(d, harness.NOBODY.pw_uid, harness.NOBODY.pw_gid)
    port = free_port()
    wsenv = env.env()
    wsenv.update({"DBUS_SESSION_BUS_ADDRESS": env.address, "XDG_DATA_DIRS": f"{pkgroot}:/usr/share",
                  "XDG_RUNTIME_DIR": os.path.join(home, "run"), "HOME": home})
    log = os.path.join(env.dir, f"cockpit-ws-{user}.log")
    with open(log, "w") as out:
        proc = subprocess.Popen([COCKPIT_WS, "--local-session=cockpit-bridge", "--address", "127.0.0.1", "--port",
                                 str(port)], env=wsenv, stdout=out, stderr=subprocess.STDOUT, cwd=home,
                                preexec_fn=harness.as_nobody_dying_with_parent if user == "nobody"
                                else harness.die_with_parent)
    procs.append((proc, log))
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 15
    while True:
        try:
            with urllib.request.urlopen(f"{base}/cockpit/@localhost/accelnet/manifest.json", timeout=2) as r:
                if r.status == 200:
                    return base, procs
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            sys.exit(f"cockpit-ws ({user}) did not serve the page:\n" + open(log).read()[-3000:])
        time.sleep(0.05)


def start_control(env):
    """A loopback HTTP endpoint for the test to stop and start accelnetd as systemd would
    (POST /daemon/stop: SIGTERM, answers the exit status once it has exited; POST
    /daemon/start: the same daemon again, answers once it owns its bus name). Returns the
    server (its base URL in .url)."""
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            try:
                if self.path == "/daemon/stop":
                    body = str(env.stop())
                elif self.path == "/daemon/start":
                    env.start()
                    body = str(env.daemon.pid)
                else:
                    self.send_error(404)
                    return
            except Exception as e:  # the test reads the reason
                self.send_error(500, str(e)[:200])
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    # one thread serves every request: accelnetd dies with the thread that started it
    # (PR_SET_PDEATHSIG follows the forking thread), so that thread must outlive the test
    server = HTTPServer(("127.0.0.1", 0), Handler)
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    need()
    t0 = time.time()
    # a real libvirtd (its test driver): the VMs' settings outlive a restart of accelnetd
    env = harness.Env(libvirtd=True)
    ws = []
    control = None
    try:
        env.write_config("intents.d/edge.json", EDGE_INTENT)
        env.start()
        # the page, as a package of this run's own data folder
        pkgroot = os.path.join(env.dir, "share")
        shutil.copytree(os.path.join(harness.SOURCE_DIR, "cockpit"), os.path.join(pkgroot, "cockpit", "accelnet"))
        # one cockpit-ws as root (an administrator's session: changes allowed) and one as nobody
        # (an unprivileged user: read-only, the daemon answers changes with AccessDenied)
        base, ws = start_ws(env, pkgroot, "root", ws)
        base_ro, ws = start_ws(env, pkgroot, "nobody", ws)
        shots = os.environ.get("ACCELNET_SCREENSHOT_DIR",
                               os.path.join(harness.BUILD_DIR, "tests", "browser", "screenshots"))
        os.makedirs(shots, exist_ok=True)
        profile = tempfile.mkdtemp(prefix="profile-", dir=env.dir)
        control = start_control(env)
        nodeenv = env.env()
        nodeenv.update({"ACCELNET_URL": f"{base}/cockpit/@localhost/accelnet/index.html",
                        "ACCELNET_SHELL_URL": f"{base}/accelnet",
                        "ACCELNET_RO_URL": f"{base_ro}/cockpit/@localhost/accelnet/index.html",
                        "ACCELNETCTL": harness.ACCELNETCTL, "ACCELNET_NPM_DIR": NPM_DIR,
                        "ACCELNET_CHROMIUM": CHROMIUM, "ACCELNET_SCREENSHOT_DIR": shots,
                        "ACCELNET_PROFILE": profile, "ACCELNET_CONTROL_URL": control.url})
        print(f"setup (daemon, bus, two cockpit-ws: {base}, {base_ro}) {time.time() - t0:.1f} s", flush=True)
        tests = os.environ.get("ACCELNET_BROWSER_TEST", os.path.join(HERE, "accelnet.test.mjs"))
        rc = subprocess.run(["node", "--test", "--test-concurrency=1", tests],
                            env=nodeenv).returncode
        if rc != 0:
            print("---- accelnetd log (end) ----\n" + env.logtext()[-4000:])
            for _, log in ws:
                print(f"---- {log} (end) ----\n" + open(log).read()[-2000:])
        print(f"browser tier: {time.time() - t0:.1f} s; screenshots in {shots}", flush=True)
        return rc
    finally:
        if control:
            control.shutdown()
        for proc, _ in ws:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        env.close()


if __name__ == "__main__":
    sys.exit(main())
