#!/usr/bin/env python3
"""Packaging tests (labels "integration" and "packaging"): build the DEB and the RPM with
CPack from a build of this tree configured with the default prefix (/usr/local) and from
one configured with /usr; check that both put every file at its system path (dpkg-deb -c,
rpm -qpl) and carry no path of the build machine or of the build's prefix; run lintian,
install the .deb into a throwaway root with `dpkg --root --force-script-chrootless` (the
maintainer scripts run for real and honour DPKG_ROOT), and check files, binaries, the
D-Bus policy, removal and purge, the RPM's lists and scripts, the systemd unit (verify,
security score), the committed introspection XML against the running daemon, and the bash
completion. The steps after "paths" use the packages of the default-prefix build.

    pkgtest.py build|paths|deb|rpm|systemd|introspect|completion|cockpit

"cockpit" builds cockpit-accelnet (the Cockpit page, its own CPack configuration) from the
default-prefix build and checks both packages: architecture-independent, depending on
cockpit-bridge, holding exactly the page under /usr/share/cockpit/accelnet (a manifest that
parses, the HTML loading only files of the package) - and the accelnet package none of it.

Environment (set by CTest): ACCELNET_SOURCE_DIR, ACCELNET_BUILD_DIR, ACCELNET_PKG_DIR
(where the packages are built). Exit 77 = skipped (a tool is missing).
"""
import glob
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

SOURCE_DIR = os.environ.get("ACCELNET_SOURCE_DIR", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
BUILD_DIR = os.environ.get("ACCELNET_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
PKG_DIR = os.environ.get("ACCELNET_PKG_DIR", os.path.join(BUILD_DIR, "tests", "packaging", "pkg"))
SKIP = 77
SECURITY_MAX = 3.0
EXPORTER_SECURITY_MAX = 2.0   # accelnet-exporter: unprivileged, so held tighter (issue 14)

failures = []


def check(cond, what):
    print(("ok:   " if cond else "FAIL: ") + what, flush=True)
    if not cond:
        failures.append(what)
    return cond


def run(argv, **kw):
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    return subprocess.run(argv, **kw)


def need(*tools):
    missing = [t for t in tools if not shutil.which(t)]
    if missing:
        print(f"SKIP: missing {' '.join(missing)} (scripts/deps.sh installs them)")
        sys.exit(SKIP)


def finish():
    if failures:
        print(f"\n{len(failures)} check(s) failed:\n  " + "\n  ".join(failures))
        sys.exit(1)
    print("\nall checks passed")
    sys.exit(0)


def package(ext, build="default"):
    out = out_dir(build)
    found = sorted(glob.glob(os.path.join(out, f"*.{ext}")))
    if not found:
        print(f"no .{ext} in {out}: run the 'build' step first")
        sys.exit(1)
    return found[-1]


# ---- build ----------------------------------------------------------------------------
# (name, extra configure arguments): the packages must not depend on the prefix.
BUILDS = (("default", []), ("usr", ["-DCMAKE_INSTALL_PREFIX=/usr"]))


def out_dir(build):
    return os.path.join(PKG_DIR, "out" if build == "default" else f"out-{build}")


def tree_dir(build):
    return os.path.join(PKG_DIR, "tree" if build == "default" else f"tree-{build}")


def cmd_build():
    need("cpack", "dpkg-deb", "dpkg-shlibdeps", "rpmbuild")
    for name, extra in BUILDS:
        tree, out = tree_dir(name), out_dir(name)
        shutil.rmtree(out, ignore_errors=True)
        t0 = time.time()
        r = run(["cmake", "-S", SOURCE_DIR, "-B", tree, "-DBUILD_TESTING=OFF", "-DCMAKE_BUILD_TYPE=RelWithDebInfo",
                 *extra])
        if not check(r.returncode == 0, f"configure the {name}-prefix build"):
            print(r.stdout[-3000:], r.stderr[-3000:])
            finish()
        prefix = re.search(r"^CMAKE_INSTALL_PREFIX:PATH=(.*)$", open(os.path.join(tree, "CMakeCache.txt")).read(), re.M)
        check(prefix is not None and prefix.group(1) == ("/usr" if extra else "/usr/local"),
              f"the {name} build's CMAKE_INSTALL_PREFIX is {prefix.group(1) if prefix else None}")
        r = run(["cmake", "--build", tree, f"-j{os.cpu_count() or 2}"])
        if not check(r.returncode == 0, f"build ({name} prefix)"):
            print(r.stdout[-3000:], r.stderr[-3000:])
            finish()
        r = run(["cpack", "--config", os.path.join(tree, "CPackConfig.cmake"), "-G", "DEB;RPM", "-B", out], cwd=tree)
        print(r.stdout[-1500:])
        check(r.returncode == 0, f"cpack -G 'DEB;RPM' ({name} prefix)")
        check("Warning" not in r.stdout + r.stderr, f"cpack gives no warning ({name} prefix)")
        debs = glob.glob(os.path.join(out, "*.deb"))
        rpms = glob.glob(os.path.join(out, "*.rpm"))
        check(len(debs) == 1, f"one .deb built: {debs}")
        check(len(rpms) == 1, f"one .rpm built: {rpms}")
        print(f"{name}-prefix packages built in {time.time() - t0:.1f} s")
    finish()


# ---- paths ----------------------------------------------------------------------------
def expected_package_files():
    """Every file and link of the package, as absolute paths: the fixed ones, plus one per
    man page and per file of the simulated host that the source tree has."""
    files = {"/" + f for f in EXPECTED_FILES} | {HOOK_LINK}
    for page in glob.glob(os.path.join(SOURCE_DIR, "man", "*.[1-8]")):
        files.add(f"/usr/share/man/man{page[-1]}/{os.path.basename(page)}.gz")
    sim = os.path.join(SOURCE_DIR, "conf", "simulate")
    for d, _, names in os.walk(sim):
        for n in names:
            files.add("/usr/share/accelnet/simulate/" + os.path.relpath(os.path.join(d, n), sim))
    return files


# Where a packaged file may be: the system's places, never /usr/local or /lib.
SYSTEM_PLACES = ("/usr/bin/", "/usr/sbin/", "/usr/libexec/accelnet/", "/usr/share/", "/usr/lib/systemd/system/",
                 "/etc/accelnet/", "/etc/libvirt/hooks/qemu.d/")


def deb_listing(deb):
    """dpkg-deb -c: {path: type} with '-' file, 'l' link, 'd' directory; links map to their target."""
    entries = {}
    for line in run(["dpkg-deb", "-c", deb], check=True).stdout.splitlines():
        f = line.split()
        path = f[5][1:].rstrip("/") or "/"
        entries[path] = f[7] if f[0][0] == "l" else f[0][0]
    return entries


def foreign_paths(build):
    """The strings no installed file may contain for a build: the source, build and fixture
    folders, and the build's own prefix when it is not /usr."""
    paths = {SOURCE_DIR, os.path.realpath(SOURCE_DIR), BUILD_DIR, PKG_DIR, tree_dir(build)}
    fixtures = os.environ.get("ACCELNET_FIXTURES_DIR")
    if fixtures:
        paths |= {fixtures, os.path.realpath(fixtures)}
    if build == "default":
        paths.add("/usr/local")
    return sorted(p.rstrip("/") for p in paths if p)


def cmd_paths():
    need("dpkg-deb", "rpm", "rpm2cpio", "cpio")
    expected = expected_package_files()
    listings = {}
    for name, _ in BUILDS:
        deb, rpm = package("deb", name), package("rpm", name)
        entries = deb_listing(deb)
        files = {p for p, t in entries.items() if t != "d"}
        check(files == expected, f"dpkg-deb -c ({name} prefix) lists exactly the expected files: "
                                 f"missing {sorted(expected - files)}, unexpected {sorted(files - expected)}")
        check(entries.get(HOOK_LINK) == HOOK_TARGET,
              f"dpkg-deb -c ({name} prefix): {HOOK_LINK} -> {entries.get(HOOK_LINK)}")
        for p in sorted(entries):
            if entries[p] != "d":
                check(p.startswith(SYSTEM_PLACES), f"deb ({name} prefix) installs {p} at a system path")
        check(not any(p.startswith(("/usr/local", "/lib/", "/opt")) or p == "/usr/local" for p in entries),
              f"deb ({name} prefix): nothing under /usr/local, /lib or /opt")

        rpm_list = set(run(["rpm", "-qpl", rpm], check=True).stdout.split())
        rpm_files = {p for p in rpm_list if p in expected}
        rpm_dirs = rpm_list - rpm_files
        check(rpm_files == expected, f"rpm -qpl ({name} prefix) lists every expected file: "
                                     f"missing {sorted(expected - rpm_files)}")
        check(all("accelnet" in p for p in rpm_dirs), f"rpm ({name} prefix) owns only its own directories: "
                                                      f"{sorted(rpm_dirs)}")
        for p in sorted(rpm_list):
            check(p.startswith(SYSTEM_PLACES) or p in ("/etc/accelnet", "/usr/libexec/accelnet"),
                  f"rpm ({name} prefix) installs {p} at a system path")
        listings[name] = (entries, rpm_list)

        # No path of the build machine in any installed file, binaries included.
        tmp = tempfile.mkdtemp(prefix="accelnet-paths-")
        try:
            root = os.path.join(tmp, "deb")
            run(["dpkg-deb", "-x", deb, root], check=True)
            rroot = os.path.join(tmp, "rpm")
            os.makedirs(rroot)
            r = subprocess.run(f"rpm2cpio '{rpm}' | cpio -idm --quiet", shell=True, cwd=rroot, capture_output=True)
            check(r.returncode == 0, f"rpm2cpio | cpio ({name} prefix)")
            for kind, top in (("deb", root), ("rpm", rroot)):
                bad = []
                for d, _, names in os.walk(top):
                    for n in names:
                        f = os.path.join(d, n)
                        if os.path.islink(f):
                            data = os.readlink(f).encode()
                        else:
                            with open(f, "rb") as fh:
                                data = fh.read()
                        if f.endswith(".gz"):
                            data = gzip.decompress(data)
                        for p in foreign_paths(name):
                            if p.encode() in data:
                                bad.append(f"/{os.path.relpath(f, top)} contains {p}")
                check(not bad, f"{kind} ({name} prefix): no file names a path of the build machine or of the "
                               f"build's prefix {bad[:10]}")
            unit_path = os.path.join(root, "usr/lib/systemd/system/accelnetd.service")
            unit = open(unit_path).read() if os.path.isfile(unit_path) else ""
            check("ExecStart=/usr/sbin/accelnetd\n" in unit, f"the unit ({name} prefix) starts /usr/sbin/accelnetd")
            strings = run(["strings", "-a", os.path.join(root, "usr/sbin/accelnetd")]).stdout.splitlines()
            for want in ("/etc/accelnet", "/var/lib/accelnet"):
                check(want in strings, f"accelnetd ({name} prefix) has {want} compiled in")
            hook = run(["strings", "-a", os.path.join(root, "usr/libexec/accelnet/accelnet-hook")]).stdout
            check(HOOK_LINK in hook, f"accelnet-hook ({name} prefix) names its place {HOOK_LINK}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    if len(listings) == 2:
        (d1, r1), (d2, r2) = listings.values()
        check(d1 == d2, "the default-prefix and the /usr-prefix .deb list the same paths")
        check(r1 == r2, "the default-prefix and the /usr-prefix .rpm list the same paths")
    finish()


# ---- deb ------------------------------------------------------------------------------
EXPECTED_FILES = [
    "usr/sbin/accelnetd", "usr/bin/accelnetctl", "usr/libexec/accelnet/accelnet-hook",
    "usr/lib/systemd/system/accelnetd.service",
    "usr/bin/accelnet-exporter", "usr/lib/systemd/system/accelnet-exporter.service",
    "usr/lib/systemd/system/accelnet-exporter.socket",
    "usr/share/dbus-1/system.d/org.accelnet1.conf",
    "usr/share/dbus-1/system-services/org.accelnet1.service",
    "usr/share/dbus-1/interfaces/org.accelnet1.Manager.xml",
    "usr/share/dbus-1/interfaces/org.accelnet1.Hook.xml",
    "usr/share/polkit-1/actions/org.accelnet1.policy",
    "etc/accelnet/accelnet.json", "etc/accelnet/intents.d/compute1.json.example",
    "usr/share/accelnet/simulate/host.json", "usr/share/accelnet/simulate/libvirt.xml",
    "usr/share/accelnet/simulate/config/accelnet.json",
    "usr/share/man/man8/accelnetd.8.gz", "usr/share/man/man1/accelnetctl.1.gz",
    "usr/share/man/man5/accelnet.json.5.gz", "usr/bin/accelnet-prereq", "usr/share/man/man1/accelnet-prereq.1.gz",
    "usr/share/bash-completion/completions/accelnetctl",
    "usr/share/doc/accelnet/copyright", "usr/share/doc/accelnet/changelog.gz",
]
HOOK_LINK = "/etc/libvirt/hooks/qemu.d/accelnet"
HOOK_TARGET = "/usr/libexec/accelnet/accelnet-hook"


def dpkg(root, *args):
    argv = ["dpkg", f"--root={root}", "--force-script-chrootless", "--force-depends", *args]
    if os.geteuid() != 0:
        argv = ["fakeroot", *argv[:1], "--force-not-root", *argv[1:]]
    r = run(argv, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if r.returncode != 0:
        print(r.stdout, r.stderr)
    return r


def make_root(tmp):
    root = os.path.join(tmp, "root")
    for d in ("var/lib/dpkg/info", "var/lib/dpkg/updates", "var/lib/dpkg/triggers"):
        os.makedirs(os.path.join(root, d))
    open(os.path.join(root, "var/lib/dpkg/status"), "w").close()
    return root


def private_bus(tmp, policy):
    sock = os.path.join(tmp, "bus.sock")
    with open(os.path.join(SOURCE_DIR, "tests", "integration", "bus.conf.in")) as f:
        conf = f.read().replace("@SOCKET@", sock).replace("@POLICY@", policy)
    path = os.path.join(tmp, "bus.conf")
    with open(path, "w") as f:
        f.write(conf)
    bus = subprocess.Popen(["dbus-daemon", "--nofork", "--print-address", f"--config-file={path}"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    addr = bus.stdout.readline().strip()
    return bus, addr


def cmd_deb():
    need("dpkg", "lintian", "dbus-daemon", "deb-systemd-helper", "man")
    deb = package("deb")

    # lintian: no errors; warnings are printed.
    r = run(["lintian", "--no-tag-display-limit", deb])
    tags = [l for l in r.stdout.splitlines() if re.match(r"^[EWIP]: ", l)]
    for l in tags:
        print("  lintian " + l)
    errors = [l for l in tags if l.startswith("E: ")]
    check(not errors and r.returncode in (0, 1) and "error" not in r.stderr.lower(),
          f"lintian: no errors ({len(errors)} errors, {sum(l.startswith('W: ') for l in tags)} warnings)")

    info = run(["dpkg-deb", "-f", deb, "Depends"]).stdout
    for lib in ("libsystemd0", "libvirt0", "libjansson4", "libpci3", "libnl-3-200", "libc6", "init-system-helpers",
                "libcpg4", "libvotequorum8", "libcmap4", "libcorosync-common4", "libmicrohttpd12"):
        check(re.search(rf"(^|[ ,]){re.escape(lib)}([ ,(]|$)", info.strip()) is not None, f"Depends names {lib}")
    rec = run(["dpkg-deb", "-f", deb, "Recommends"]).stdout
    check(re.search(r"(^|[ ,])corosync([ ,(]|$)", rec.strip()) is not None, f"Recommends names corosync: {rec.strip()}")
    ctl = run(["dpkg-deb", "-I", deb, "conffiles"]).stdout
    check(sorted(ctl.split()) == ["/etc/accelnet/accelnet.json", "/etc/accelnet/intents.d/compute1.json.example"],
          f"conffiles are the default configuration: {ctl.split()}")

    tmp = tempfile.mkdtemp(prefix="accelnet-pkg-")
    os.chmod(tmp, 0o755)  # nobody must reach the bus socket
    try:
        root = make_root(tmp)
        check(dpkg(root, "-i", deb).returncode == 0, "dpkg --root -i")
        for f in EXPECTED_FILES:
            check(os.path.isfile(os.path.join(root, f)), f"installed /{f}")
        hook = os.path.join(root, "etc/libvirt/hooks/qemu.d/accelnet")
        check(os.path.islink(hook) and os.readlink(hook) == "/usr/libexec/accelnet/accelnet-hook",
              "hook link /etc/libvirt/hooks/qemu.d/accelnet -> /usr/libexec/accelnet/accelnet-hook")
        check(os.access(os.path.join(root, "usr/libexec/accelnet/accelnet-hook"), os.X_OK), "hook is executable")
        wants = os.path.join(root, "etc/systemd/system/multi-user.target.wants/accelnetd.service")
        check(os.path.islink(wants), "postinst enabled accelnetd.service (multi-user.target.wants)")
        q = run(["dpkg-query", f"--root={root}", "-W", "-f=${Conffiles}", "accelnet"]).stdout
        check("/etc/accelnet/accelnet.json" in q, "dpkg registered the conffiles")

        r = run([os.path.join(root, "usr/bin/accelnetctl"), "--help"])
        check(r.returncode == 0 and "vm enable" in r.stdout, "installed accelnetctl --help runs")
        r = run([os.path.join(root, "usr/bin/accelnet-exporter"), "--version"])
        check(r.returncode == 0 and re.match(r"accelnet-exporter \d+\.\d+", r.stdout),
              f"installed accelnet-exporter --version: {r.stdout.strip()}")
        check(not os.path.lexists(os.path.join(root, "etc/systemd/system/multi-user.target.wants/accelnet-exporter.service"))
              and not os.path.lexists(os.path.join(root, "etc/systemd/system/sockets.target.wants/accelnet-exporter.socket")),
              "postinst leaves accelnet-exporter for the administrator to enable")
        r = run([os.path.join(root, "usr/sbin/accelnetd"), "--version"])
        check(r.returncode == 0 and re.match(r"accelnetd \d+\.\d+", r.stdout), f"installed accelnetd --version: {r.stdout.strip()}")
        r = run(["bash", "-n", os.path.join(root, "usr/share/bash-completion/completions/accelnetctl")])
        check(r.returncode == 0, "completion file parses")
        for page in glob.glob(os.path.join(root, "usr/share/man/man*/*.gz")):
            r = run(["man", "--warnings", "-l", page], env={**os.environ, "MANWIDTH": "80"})
            check(r.returncode == 0 and not r.stderr.strip(), f"man page {os.path.basename(page)} renders cleanly {r.stderr.strip()[:300]}")

        # dbus-daemon accepts the installed policy, and the installed daemon takes its name on it.
        policy = os.path.join(root, "usr/share/dbus-1/system.d/org.accelnet1.conf")
        bus, addr = private_bus(tmp, policy)
        daemon = None
        try:
            check(bool(addr), "dbus-daemon starts with the installed policy")
            if addr and os.geteuid() == 0:
                # The built-in simulated host is compiled in: nothing from the source tree or
                # /usr/share is read, and no source-tree path is in the binary.
                with open(os.path.join(root, "usr/sbin/accelnetd"), "rb") as f:
                    binary = f.read()
                leaks = [d for d in (SOURCE_DIR, BUILD_DIR, os.path.join(PKG_DIR, "tree")) if d.encode() in binary]
                check(not leaks, f"the installed accelnetd contains no source or build tree path {leaks}")
                env = {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": addr, "TMPDIR": tmp}
                env.pop("JOURNAL_STREAM", None)
                log = open(os.path.join(tmp, "accelnetd.log"), "w")
                daemon = subprocess.Popen([os.path.join(root, "usr/sbin/accelnetd"), "--simulate"], env=env,
                                          stdout=log, stderr=subprocess.STDOUT)
                ok = False
                for _ in range(200):
                    r = run(["busctl", "--system", "status", "org.accelnet1"], env=env)
                    if r.returncode == 0 or daemon.poll() is not None:
                        ok = r.returncode == 0
                        break
                    time.sleep(0.05)
                check(ok, "installed accelnetd --simulate owns org.accelnet1 under the installed policy")
                r = run([os.path.join(root, "usr/bin/accelnetctl"), "adapters"], env=env)
                check(r.returncode == 0 and "0000:01:00.0" in r.stdout and "ens1f0" in r.stdout,
                      f"installed accelnetd --simulate runs on the built-in host: {r.stdout.strip()[:200]} {r.stderr.strip()[:200]}")
                r = run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                         os.path.join(root, "usr/bin/accelnetctl"), "status", "--json=short"], env=env)
                check(r.returncode == 0 and '"Version"' in r.stdout.replace("version", "Version"),
                      f"an unprivileged user reads the status through the policy: {r.stdout.strip()[:200]} {r.stderr.strip()[:200]}")
                r = run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "busctl", "--system",
                         "call", "org.accelnet1", "/org/accelnet1", "org.accelnet1.Hook", "Release", "s", "x"], env=env)
                check(r.returncode != 0, "an unprivileged user cannot call org.accelnet1.Hook")
        finally:
            if daemon:
                daemon.terminate()
                daemon.wait(15)
            bus.terminate()
            bus.wait(5)

        # Removal keeps the state and the configuration; purge deletes both.
        state = os.path.join(root, "var/lib/accelnet/state.json")
        os.makedirs(os.path.dirname(state))
        with open(state, "w") as f:
            f.write('{"version": 1}\n')
        with open(os.path.join(root, "etc/accelnet/intents.d/mine.json"), "w") as f:
            f.write('{"name": "mine", "types": ["compute"], "adapters": ["ens1f0"]}\n')
        check(dpkg(root, "-r", "accelnet").returncode == 0, "dpkg --root -r")
        check(not os.path.exists(os.path.join(root, "usr/sbin/accelnetd")), "remove: binaries gone")
        check(os.path.isfile(state), "remove: /var/lib/accelnet/state.json kept")
        check(os.path.isfile(os.path.join(root, "etc/accelnet/accelnet.json")), "remove: conffiles kept")
        check(os.path.islink(os.path.join(root, "etc/systemd/system/accelnetd.service")),
              "remove: postrm masked the unit (no stale enablement)")
        check(dpkg(root, "-P", "accelnet").returncode == 0, "dpkg --root -P (purge)")
        check(not os.path.exists(os.path.join(root, "var/lib/accelnet")), "purge: /var/lib/accelnet deleted")
        check(not os.path.exists(os.path.join(root, "etc/accelnet")), "purge: /etc/accelnet deleted")
        check(not os.path.lexists(wants) and not os.path.lexists(os.path.join(root, "etc/systemd/system/accelnetd.service")),
              "purge: no enablement link and no mask left")
        check(not os.path.lexists(hook), "purge: hook link gone")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


# ---- rpm ------------------------------------------------------------------------------
def cmd_rpm():
    need("rpm")
    pkg = package("rpm")
    files = set(run(["rpm", "-qpl", pkg]).stdout.split())
    for f in EXPECTED_FILES:
        check("/" + f in files, f"rpm -qpl lists /{f}")
    check("/etc/libvirt/hooks/qemu.d/accelnet" in files, "rpm -qpl lists the hook link")
    for d in ("/etc", "/usr", "/usr/bin", "/usr/sbin", "/usr/share/dbus-1", "/usr/lib", "/usr/lib/systemd/system",
              "/etc/libvirt"):
        check(d not in files, f"rpm does not own the system directory {d}")
    check(not any(f.startswith("/usr/lib/.build-id") for f in files), "no build-id links")
    reqs = run(["rpm", "-qpR", pkg]).stdout
    for lib in ("libsystemd.so.0", "libvirt.so.0", "libjansson.so.4", "libpci.so.3", "libnl-3.so.200", "libc.so.6", "dbus",
                "libcpg.so.4", "libvotequorum.so.8", "libcmap.so.4", "libcorosync_common.so.4", "libmicrohttpd.so.12"):
        check(re.search(rf"^{re.escape(lib)}", reqs, re.M) is not None, f"rpm -qpR requires {lib}")
    sugg = run(["rpm", "-qp", "--suggests", pkg]).stdout.split()
    check("corosync" in sugg, f"rpm suggests corosync: {sugg}")
    conf = sorted(run(["rpm", "-qpc", pkg]).stdout.split())
    check(conf == ["/etc/accelnet/accelnet.json", "/etc/accelnet/intents.d/compute1.json.example"],
          f"rpm -qpc: only the default configuration is %config: {conf}")
    r = run(["rpm", "-qp", "--qf", "[%{FILEFLAGS:fflags} %{FILENAMES}\n]", pkg]).stdout
    check(all(" /etc/accelnet/" not in l or l.startswith("cn") for l in r.splitlines() if l.split()[-1].endswith((".json", ".example"))),
          "configuration is %config(noreplace)")
    scripts = run(["rpm", "-qp", "--scripts", pkg]).stdout
    check("postinstall scriptlet" in scripts and "systemctl enable accelnetd.service" in scripts, "%post enables the unit")
    check("preuninstall scriptlet" in scripts and "systemctl stop accelnetd.service" in scripts, "%preun stops the unit")
    check("postuninstall scriptlet" in scripts and "daemon-reload" in scripts, "%postun reloads systemd")
    check("systemctl stop accelnet-exporter.socket accelnet-exporter.service" in scripts,
          "%preun stops accelnet-exporter (socket and service)")
    check("systemctl enable accelnet-exporter" not in scripts, "%post leaves accelnet-exporter for the administrator to enable")
    code = [l for l in scripts.splitlines() if not l.lstrip().startswith("#")]
    check(not any("/var/lib/accelnet" in l for l in code), "rpm -e keeps /var/lib/accelnet (no purge in RPM)")
    finish()


# ---- systemd --------------------------------------------------------------------------
def cmd_systemd():
    need("systemd-analyze", "dpkg-deb", "man")
    deb = package("deb")
    tmp = tempfile.mkdtemp(prefix="accelnet-unit-")
    try:
        root = os.path.join(tmp, "root")
        run(["dpkg-deb", "-x", deb, root], check=True)
        # The packages the unit relies on, as on a real host: systemd's own units and kill.
        os.makedirs(os.path.join(root, "usr/lib/systemd"), exist_ok=True)
        shutil.copytree("/lib/systemd/system", os.path.join(root, "usr/lib/systemd/system"), symlinks=True,
                        dirs_exist_ok=True)
        os.makedirs(os.path.join(root, "bin"), exist_ok=True)
        shutil.copy("/bin/kill", os.path.join(root, "bin/kill"))
        unit = os.path.join(root, "usr/lib/systemd/system/accelnetd.service")
        env = {**os.environ, "MANPATH": os.path.join(root, "usr/share/man"), "SYSTEMD_LOG_COLOR": "0"}
        r = run(["systemd-analyze", "verify", f"--root={root}", "/usr/lib/systemd/system/accelnetd.service"], env=env)
        print(r.stdout, r.stderr)
        check(r.returncode == 0 and not r.stderr.strip() and not r.stdout.strip(), "systemd-analyze verify is clean")
        r = run(["systemd-analyze", "security", "--offline=true", "--no-pager", unit], env=env)
        m = re.search(r"Overall exposure level for accelnetd\.service: (\d+\.\d+)", r.stdout)
        print("\n".join(l for l in r.stdout.splitlines() if l.startswith("✗")))
        score = float(m.group(1)) if m else 99.0
        print(f"systemd-analyze security --offline=true: exposure {score}")
        check(m is not None and score <= SECURITY_MAX, f"security exposure {score} <= {SECURITY_MAX}")
        text = open(unit).read()
        for key in ("Type=notify", "BusName=org.accelnet1", "WatchdogSec=", "Restart=on-failure", "After=libvirtd.service",
                    "Wants=libvirtd.service", "ProtectSystem=strict", "StateDirectory=accelnet", "RuntimeDirectory=accelnet",
                    "NoNewPrivileges=yes", "RestrictAddressFamilies=AF_UNIX AF_NETLINK", "SystemCallFilter=@system-service",
                    "CapabilityBoundingSet=CAP_NET_ADMIN CAP_SYS_ADMIN", "ExecStart=/usr/sbin/accelnetd\n"):
            check(key in text, f"unit has {key.strip()}")
        check(re.search(r"^ProtectKernelTunables=yes", text, re.M) is None, "ProtectKernelTunables stays off (sriov_numvfs)")
        check(re.search(r"^Requires=.*libvirtd", text, re.M) is None, "no Requires= on libvirtd")

        # accelnet-exporter: its units verify, and the service scores <= 2.0.
        units = ["/usr/lib/systemd/system/accelnet-exporter.service", "/usr/lib/systemd/system/accelnet-exporter.socket"]
        r = run(["systemd-analyze", "verify", f"--root={root}", *units], env=env)
        print(r.stdout, r.stderr)
        check(r.returncode == 0 and not r.stderr.strip() and not r.stdout.strip(),
              "systemd-analyze verify is clean for accelnet-exporter.service and .socket")
        exporter = os.path.join(root, units[0][1:])
        r = run(["systemd-analyze", "security", "--offline=true", "--no-pager", exporter], env=env)
        m = re.search(r"Overall exposure level for accelnet-exporter\.service: (\d+\.\d+)", r.stdout)
        print("\n".join(l for l in r.stdout.splitlines() if l.startswith("✗")))
        score = float(m.group(1)) if m else 99.0
        print(f"accelnet-exporter.service: systemd-analyze security --offline=true: exposure {score}")
        check(m is not None and score <= EXPORTER_SECURITY_MAX,
              f"accelnet-exporter.service exposure {score} <= {EXPORTER_SECURITY_MAX}")
        text = open(exporter).read()
        for key in ("Type=notify", "DynamicUser=yes", "CapabilityBoundingSet=\n", "NoNewPrivileges=yes",
                    "ProtectSystem=strict", "PrivateDevices=yes", "RestrictAddressFamilies=AF_UNIX AF_NETLINK AF_INET AF_INET6",
                    "ExecStart=/usr/bin/accelnet-exporter\n"):
            check(key in text, f"accelnet-exporter.service has {key.strip()}")
        sock = open(os.path.join(root, units[1][1:])).read()
        check("ListenStream=127.0.0.1:9870" in sock, "accelnet-exporter.socket listens on 127.0.0.1:9870")

        act = open(os.path.join(root, "usr/share/dbus-1/system-services/org.accelnet1.service")).read()
        for key in ("[D-BUS Service]", "Name=org.accelnet1", "Exec=/bin/false", "User=root", "SystemdService=accelnetd.service"):
            check(key in act, f"activation file has {key}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    finish()


# ---- introspection and completion against a running daemon ------------------------------
def load_harness():
    sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
    os.environ.setdefault("ACCELNET_BUILD_DIR", BUILD_DIR)
    import harness
    return harness


def interface_model(iface):
    """A comparable description: members with their arguments and annotations, no comments."""
    def args(el):
        return tuple((a.get("name"), a.get("type"), a.get("direction", "in" if el.tag == "method" else "out"))
                     for a in el.findall("arg"))
    def ann(el):
        return tuple(sorted((a.get("name"), a.get("value")) for a in el.findall("annotation")))
    return {
        "methods": {m.get("name"): (args(m), ann(m)) for m in iface.findall("method")},
        "signals": {s.get("name"): (args(s), ann(s)) for s in iface.findall("signal")},
        "properties": {p.get("name"): (p.get("type"), p.get("access"), ann(p)) for p in iface.findall("property")},
        "annotations": ann(iface),
    }


def cmd_introspect():
    need("busctl", "dbus-daemon")
    harness = load_harness()
    env = harness.Env()
    try:
        env.start()
        r = env.run(["busctl", "--system", "call", "org.accelnet1", "/org/accelnet1",
                     "org.freedesktop.DBus.Introspectable", "Introspect", "--json=short"])
        check(r.rc == 0, "Introspect answers")
        live = ET.fromstring(json.loads(r.out)["data"][0])
        live_ifaces = {i.get("name"): i for i in live.findall("interface")}
        for name in ("org.accelnet1.Manager", "org.accelnet1.Hook"):
            path = os.path.join(SOURCE_DIR, "conf", f"{name}.xml")
            committed = ET.parse(path).getroot().findall("interface")
            check(len(committed) == 1 and committed[0].get("name") == name, f"{name}.xml describes {name} only")
            if name not in live_ifaces or not committed:
                check(False, f"{name} is served by the daemon")
                continue
            a, b = interface_model(committed[0]), interface_model(live_ifaces[name])
            for kind in ("methods", "signals", "properties"):
                for member in sorted(set(a[kind]) | set(b[kind])):
                    check(a[kind].get(member) == b[kind].get(member),
                          f"{name}.{member} ({kind[:-1]}) matches the daemon: file {a[kind].get(member)} daemon {b[kind].get(member)}")
    finally:
        env.close()
    finish()


def cmd_completion():
    need("bash")
    bc = "/usr/share/bash-completion/bash_completion"
    if not os.path.exists(bc):
        print("SKIP: bash-completion is not installed")
        sys.exit(SKIP)
    harness = load_harness()
    comp = os.path.join(SOURCE_DIR, "completion", "accelnetctl")
    env = harness.Env()
    try:
        env.start()
        bindir = os.path.dirname(harness.ACCELNETCTL)

        def complete(line):
            script = f"""
source {bc}
source {comp}
COMP_LINE='{line}'
COMP_POINT=${{#COMP_LINE}}
read -ra COMP_WORDS <<< "$COMP_LINE"
[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
_accelnetctl
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
            e = env.env()
            e["PATH"] = bindir + ":" + e["PATH"]
            r = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], env=e, capture_output=True, text=True,
                               timeout=30)
            return sorted(x for x in r.stdout.split("\n") if x)

        check(complete("accelnetctl ") == sorted("status prereq enable set disable adapters intents health monitor vm adapter cluster vf help".split()),
              "verbs")
        check(complete("accelnetctl vm ") == sorted("enable set disable list revoke restore show check".split()), "vm verbs")
        check(complete("accelnetctl vf ") == ["list"], "vf verbs")
        vfs = complete("accelnetctl vf list ")
        check("ens1f0" in vfs and "0000:01:00.0" in vfs, f"vf list offers the adapters: {vfs}")
        shown = complete("accelnetctl vm show ")
        check(shown == ["batch", "db1", "nonic", "tiny", "web1", "web2"], f"vm show offers every VM: {shown}")
        check(complete("accelnetctl vm check web1 --perf") == ["--performance"], "vm check takes --performance")
        check(complete("accelnetctl adapter ") == ["drain", "restore"], "adapter verbs")
        check(complete("accelnetctl cluster ") == ["nodes", "status"], "cluster verbs")
        check(complete("accelnetctl cluster nodes ") == [], "cluster nodes takes no arguments")
        check(complete("accelnetctl vm enable web1 --performance ") == ["high", "low", "medium"], "--performance values")
        vms = complete("accelnetctl vm enable ")
        check(vms == ["batch", "db1", "web1", "web2"],
              f"vm enable offers the disabled VMs that can be enabled (not nonic, tiny): {vms}")
        vms = complete("accelnetctl vm enable --performance high ")
        check(vms == ["batch", "db1", "web2"], f"vm enable --performance high: the VMs eligible for High: {vms}")
        check(complete("accelnetctl vm disable ") == [], "vm disable offers no VM when none is enabled")
        intents = complete("accelnetctl enable --intent ")
        check(intents == ["compute"], f"--intent offers the daemon's intents with the compute type: {intents}")
        check("--node-reserve" in complete("accelnetctl enable --"), "enable options")
        check(complete("accelnetctl vm list --d") == ["--disabled"], "vm list options")
        check("--json" in complete("accelnetctl --j"), "global options")
        adapters = complete("accelnetctl adapter drain ")
        check("ens1f0" in adapters and "0000:01:00.0" in adapters,
              f"adapter drain offers the adapters by name and address: {adapters}")
        env.stop()
        t0 = time.time()
        check(complete("accelnetctl vm enable ") == [], "no daemon: no VM names")
        check(time.time() - t0 < 10, "no daemon: completion returns promptly")
    finally:
        env.close()
    finish()


# ---- cockpit-accelnet ------------------------------------------------------------------
COCKPIT_FILES = ("manifest.json", "index.html", "accelnet.js", "accelnet.css")


def cmd_cockpit():
    need("cpack", "dpkg-deb", "rpmbuild", "rpm")
    tree = tree_dir("default")
    out = os.path.join(PKG_DIR, "out-cockpit")
    shutil.rmtree(out, ignore_errors=True)
    config = os.path.join(tree, "CPackConfig-cockpit.cmake")
    if not check(os.path.exists(config), f"{config} exists (run the 'build' step first)"):
        finish()
    r = run(["cpack", "--config", config, "-G", "DEB;RPM", "-B", out], cwd=tree)
    print(r.stdout[-1500:], r.stderr[-1500:])
    check(r.returncode == 0, "cpack -G 'DEB;RPM' with CPackConfig-cockpit.cmake")
    check("Warning" not in r.stdout + r.stderr, "cpack gives no warning (cockpit-accelnet)")
    debs = glob.glob(os.path.join(out, "*.deb"))
    rpms = glob.glob(os.path.join(out, "*.rpm"))
    if not (check(len(debs) == 1, f"one .deb: {debs}") & check(len(rpms) == 1, f"one .rpm: {rpms}")):
        finish()
    deb, rpm = debs[0], rpms[0]
    check(os.path.basename(deb).startswith("cockpit-accelnet_") and deb.endswith("_all.deb"), f"the .deb's name: {deb}")
    check(os.path.basename(rpm).startswith("cockpit-accelnet-") and rpm.endswith(".noarch.rpm"), f"the .rpm's name: {rpm}")
    want = ({f"/usr/share/cockpit/accelnet/{f}" for f in COCKPIT_FILES} |
            {f"/usr/share/doc/cockpit-accelnet/{f}" for f in ("copyright", "changelog.gz")})
    files = {p for p, t in deb_listing(deb).items() if t != "d"}
    check(files == want, f"the .deb holds the page and its copyright: {sorted(files ^ want)} differ")
    field = lambda name: run(["dpkg-deb", "-f", deb, name]).stdout.strip()
    check(field("Package") == "cockpit-accelnet", f"Package: {field('Package')}")
    check(field("Architecture") == "all", f"Architecture: {field('Architecture')}")
    check(field("Depends") == "cockpit-bridge", f"Depends: {field('Depends')}")
    rfiles = set(run(["rpm", "-qpl", rpm]).stdout.split())
    check(want <= rfiles and all(f.startswith(("/usr/share/cockpit/accelnet", "/usr/share/doc/cockpit-accelnet"))
                                 for f in rfiles), f"the .rpm's files: {sorted(rfiles)}")
    arch = run(["rpm", "-qp", "--qf", "%{ARCH}", rpm]).stdout.strip()
    check(arch == "noarch", f"the .rpm is noarch: {arch}")
    reqs = [x for x in run(["rpm", "-qpR", rpm]).stdout.split("\n") if x and not x.startswith("rpmlib(")]
    check(reqs == ["cockpit-bridge"], f"the .rpm requires cockpit-bridge only: {reqs}")
    # what is in the package is the page: the manifest parses, the HTML loads only its own
    # files and Cockpit's base1, and no inline script (Cockpit's CSP forbids them)
    with tempfile.TemporaryDirectory() as tmp:
        run(["dpkg-deb", "-x", deb, tmp], check=True)
        page = os.path.join(tmp, "usr/share/cockpit/accelnet")
        try:
            manifest = json.load(open(os.path.join(page, "manifest.json")))
            check("index" in manifest.get("menu", {}), "the manifest has a menu entry 'index'")
        except ValueError as e:
            check(False, f"manifest.json parses: {e}")
        html = open(os.path.join(page, "index.html")).read()
        srcs = re.findall(r'(?:src|href)="([^"]+)"', html)
        check(all(s == "../base1/cockpit.js" or os.path.exists(os.path.join(page, s)) for s in srcs),
              f"index.html loads only the package's files and base1: {srcs}")
        check(not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "index.html has no inline script")
    if shutil.which("lintian"):
        r = run(["lintian", "--no-tag-display-limit", deb])
        errors = [l for l in r.stdout.splitlines() if l.startswith("E:")]
        check(not errors, f"lintian finds no error in cockpit-accelnet: {errors}")
    main = deb_listing(package("deb"))
    check(not any(p.startswith("/usr/share/cockpit") for p in main), "the accelnet .deb has no Cockpit page")
    finish()


if __name__ == "__main__":
    steps = {"cockpit": cmd_cockpit, "build": cmd_build, "paths": cmd_paths, "deb": cmd_deb, "rpm": cmd_rpm, "systemd": cmd_systemd,
             "introspect": cmd_introspect, "completion": cmd_completion}
    if len(sys.argv) != 2 or sys.argv[1] not in steps:
        print(__doc__)
        sys.exit(2)
    steps[sys.argv[1]]()
