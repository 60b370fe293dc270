#!/usr/bin/env python3
"""The browser tier: accelnet's Cockpit page (cockpit/) in headless Chromium, driven by
Playwright (accelnet.test.mjs, under `node --test`), against a real cockpit-ws on loopback
and a real accelnetd on the simulated host, both on a private dbus-daemon with the project's
policy (tests/integration/harness.py).

cockpit-ws runs without login (--local-session: its bridge runs as this user, here root) on a
free loopback port, with the page in a package folder of this run (XDG_DATA_DIRS), so it is
never an installed copy that gets tested. The simulated host gets one more intent, "edge"
(compute type, only ens3, which sits behind a switch port without ACS): enabling with it fails
the way the seed says.

Environment: ACCELNET_NPM_DIR (default ${XDG_CACHE_HOME:-~/.cache}/accelnet/npm, where
scripts/deps.sh's accelnet_fetch_playwright installs playwright-core), ACCELNET_CHROMIUM
(default /usr/lib/chromium/chromium), ACCELNET_SCREENSHOT_DIR (default
BUILD/tests/browser/screenshots). Exit status: node's."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

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


def main():
    need()
    t0 = time.time()
    env = harness.Env()
    ws = None
    try:
        env.write_config("intents.d/edge.json", EDGE_INTENT)
        env.start()
        # the page, as a package of this run's own data folder
        pkgroot = os.path.join(env.dir, "share")
        shutil.copytree(os.path.join(harness.SOURCE_DIR, "cockpit"), os.path.join(pkgroot, "cockpit", "accelnet"))
        port = free_port()
        wsenv = env.env()
        wsenv.update({"DBUS_SESSION_BUS_ADDRESS": env.address, "XDG_DATA_DIRS": f"{pkgroot}:/usr/share",
                      "XDG_RUNTIME_DIR": os.path.join(env.dir, "run"), "HOME": env.dir})
        os.makedirs(wsenv["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)
        ws_log = open(os.path.join(env.dir, "cockpit-ws.log"), "w")
        ws = subprocess.Popen([COCKPIT_WS, "--local-session=cockpit-bridge", "--address", "127.0.0.1", "--port",
                               str(port)], env=wsenv, stdout=ws_log, stderr=subprocess.STDOUT,
                              preexec_fn=harness.die_with_parent)
        base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 15
        while True:
            try:
                with urllib.request.urlopen(f"{base}/cockpit/@localhost/accelnet/manifest.json", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if ws.poll() is not None or time.time() > deadline:
                ws_log.flush()
                sys.exit("cockpit-ws did not serve the page:\n" + open(ws_log.name).read()[-3000:])
            time.sleep(0.05)
        shots = os.environ.get("ACCELNET_SCREENSHOT_DIR",
                               os.path.join(harness.BUILD_DIR, "tests", "browser", "screenshots"))
        os.makedirs(shots, exist_ok=True)
        profile = tempfile.mkdtemp(prefix="profile-", dir=env.dir)
        nodeenv = env.env()
        nodeenv.update({"ACCELNET_URL": f"{base}/cockpit/@localhost/accelnet/index.html",
                        "ACCELNET_SHELL_URL": f"{base}/accelnet",
                        "ACCELNETCTL": harness.ACCELNETCTL, "ACCELNET_NPM_DIR": NPM_DIR,
                        "ACCELNET_CHROMIUM": CHROMIUM, "ACCELNET_SCREENSHOT_DIR": shots,
                        "ACCELNET_PROFILE": profile})
        print(f"setup (daemon, bus, cockpit-ws on port {port}) {time.time() - t0:.1f} s", flush=True)
        rc = subprocess.run(["node", "--test", "--test-concurrency=1", os.path.join(HERE, "accelnet.test.mjs")],
                            env=nodeenv).returncode
        if rc != 0:
            print("---- accelnetd log (end) ----\n" + env.logtext()[-4000:])
            ws_log.flush()
            print("---- cockpit-ws log (end) ----\n" + open(ws_log.name).read()[-2000:])
        print(f"browser tier: {time.time() - t0:.1f} s; screenshots in {shots}", flush=True)
        return rc
    finally:
        if ws is not None:
            ws.terminate()
            try:
                ws.wait(5)
            except subprocess.TimeoutExpired:
                ws.kill()
                ws.wait(5)
        env.close()


if __name__ == "__main__":
    sys.exit(main())
