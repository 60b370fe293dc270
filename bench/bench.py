#!/usr/bin/env python3
"""accelnet benchmarks (driven by bench/run.sh). Everything runs in one temporary directory,
on a private dbus-daemon loaded with the project's policy, with the libvirt test driver (in
accelnetd's process for the EnableVM/DisableVM cycles; hosted by a private unprivileged
libvirtd for the 1,000-VM figures); every process is stopped at the end. Figures are ratios
taken in this one run.

usage: bench.py --build DIR [--quick] [--json FILE] [--keep] [--only discovery|dbus|big|health|cluster|drain]

The cluster scenario (bench/clusterbench.py) brings up three corosync nodes with the cluster
tier's test bed; without root or corosync it is skipped, with the reason printed.
"""
import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
SIM = os.path.join(SRC, "conf", "simulate")
POLICY = os.path.join(SRC, "conf", "org.accelnet1.conf")
BUS_CONF = os.path.join(SRC, "tests", "integration", "bus.conf.in")
GEN = os.path.join(HERE, "gen.py")
VFS_PER_PF = 256
READS = ("ListAdapters", "GetPrerequisites", "ListVMs")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run(argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw)


def median(v):
    return statistics.median(v) if v else None


NOBODY = 65534
EMPTY_NODE = """<?xml version="1.0"?>
<node>
  <cpu><mhz>2400</mhz><model>x86_64</model><active>16</active><nodes>2</nodes><sockets>1</sockets><cores>8</cores><threads>2</threads></cpu>
  <memory>67108864</memory>
</node>
"""


class Libvirtd:
    """A private, unprivileged libvirtd (TESTBED.md, "A real libvirtd hosting the test driver")
    whose test:///default instance holds the domains, kept alive by one virsh session (the
    holder) through which every domain is defined: one process, not one per domain."""

    def __init__(self, base):
        self.dir = base
        os.makedirs(base)
        os.chown(base, NOBODY, NOBODY)
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"), "HOME": base,
               "XDG_RUNTIME_DIR": f"{base}/run", "XDG_CONFIG_HOME": f"{base}/cfg", "XDG_CACHE_HOME": f"{base}/cache"}
        self.log = open(os.path.join(os.path.dirname(base), os.path.basename(base) + ".log"), "w")
        self.proc = subprocess.Popen(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                                      "libvirtd", "--timeout", "0"], env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        self.socket = f"{base}/run/libvirt/libvirt-sock"
        deadline = time.monotonic() + 30
        while not os.path.exists(self.socket):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"libvirtd did not start; see {self.log.name}")
            time.sleep(0.02)
        self.uri = f"test+unix:///default?socket={self.socket}"
        self.out = os.path.join(os.path.dirname(base), os.path.basename(base) + "-virsh.log")
        with open(self.out, "w") as f:
            self.holder = subprocess.Popen(["virsh", "-q", "-c", self.uri], stdin=subprocess.PIPE, stdout=f,
                                           stderr=subprocess.STDOUT, text=True)
        self.marks = 0
        self.virsh(["uri"])

    def uri_for(self, node_file):
        """A private test-driver instance of node_file in this libvirtd (its memory, not ours)."""
        return f"test+unix://{node_file}?socket={self.socket}"

    def virsh(self, commands, timeout=300):
        """Runs the commands in the holder's session; raises on any error line."""
        self.marks += 1
        mark = f"bench-mark-{self.marks}"
        with open(self.out) as f:
            f.seek(0, 2)
            start = f.tell()
        self.holder.stdin.write("\n".join(commands) + f"\necho {mark}\n")
        self.holder.stdin.flush()
        deadline = time.monotonic() + timeout
        while True:
            with open(self.out) as f:
                f.seek(start)
                text = f.read()
            if mark in text:
                break
            if self.holder.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"virsh session stopped or timed out; see {self.out}")
            time.sleep(0.05)
        errors = [line for line in text.splitlines() if line.startswith("error:")]
        if errors:
            raise RuntimeError(f"virsh: {errors[0]} (see {self.out})")
        return text

    def rss_kib(self):
        return Bench.mem(self.proc.pid).get("VmRSS")

    def stop(self):
        if self.holder.poll() is None:
            self.holder.stdin.close()
            try:
                self.holder.wait(10)
            except subprocess.TimeoutExpired:
                self.holder.kill()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Bench:
    def __init__(self, args):
        self.a = args
        self.quick = args.quick
        self.build = os.path.abspath(args.build)
        self.tools = os.path.join(self.build, "bench-tools")
        self.accelnetd = os.path.join(self.build, "src", "accelnetd")
        self.prereq = os.path.join(self.build, "src", "accelnet-prereq")
        self.dir = tempfile.mkdtemp(prefix="accelnet-bench-")
        os.chmod(self.dir, 0o755)
        self.res = {}
        self.notes = []
        self.buses = []
        self.daemons = []
        self.libvirtds = []
        self.memdir = None

    # ---- infrastructure ------------------------------------------------------------
    def new_bus(self, name):
        """A private dbus-daemon with the project's policy (tests/integration/bus.conf.in)."""
        sock = os.path.join(self.dir, f"{name}.sock")
        with open(BUS_CONF) as f:
            conf = f.read().replace("@SOCKET@", sock).replace("@POLICY@", POLICY)
        path = os.path.join(self.dir, f"{name}.conf")
        with open(path, "w") as f:
            f.write(conf)
        p = subprocess.Popen(["dbus-daemon", "--nofork", "--print-address", f"--config-file={path}"],
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        address = p.stdout.readline().strip()
        if not address:
            raise RuntimeError("dbus-daemon did not start")
        self.buses.append(p)
        env = dict(os.environ, DBUS_SYSTEM_BUS_ADDRESS=address)
        env.pop("JOURNAL_STREAM", None)
        env.pop("NOTIFY_SOCKET", None)
        return address, env

    def start_bus(self):
        self.address, self.env = self.new_bus("bus")

    def memory_dir(self):
        """A directory on tmpfs (/dev/shm), removed at the end; the run directory if there is none."""
        if self.memdir is None:
            self.memdir = self.dir
            with open("/proc/mounts") as f:
                if any(line.split()[1:3] == ["/dev/shm", "tmpfs"] for line in f):
                    self.memdir = tempfile.mkdtemp(prefix="accelnet-bench-", dir="/dev/shm")
                    os.chmod(self.memdir, 0o755)
        return self.memdir

    def build_root(self, name, host_json, in_memory=True):
        """A fake root from a host description. In memory (tmpfs) unless asked otherwise: sysfs
        is an in-memory file system too, and on this machine's ext4 a 4096-VF root took 30-50 s
        to build (inode allocation slows down after many recent deletions) against 1.4 s."""
        root = os.path.join(self.memory_dir() if in_memory else self.dir, name)
        os.makedirs(root)
        t0 = time.monotonic()
        subprocess.run([self.prereq, f"--root={root}", f"--host={host_json}"], capture_output=True)
        dt = time.monotonic() - t0
        if not os.path.isdir(os.path.join(root, "sys")):
            raise RuntimeError(f"fake root {root} was not built")
        return root, dt

    def start_daemon(self, root, config, state, uri, log_name, serve=False):
        """Starts accelnetd; returns (proc, seconds from exec to READY=1)."""
        nsock_path = os.path.join(self.dir, f"notify-{len(self.daemons)}.sock")
        ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        ns.bind(nsock_path)
        ns.settimeout(120)
        env = dict(self.env, NOTIFY_SOCKET=nsock_path)
        logf = open(os.path.join(self.dir, log_name), "a")
        t0 = time.monotonic()
        # --simulate: the simulated VF netlink and sriov_numvfs on this fake root.
        p = subprocess.Popen([self.accelnetd, "--simulate", f"--root={root}", f"--config-dir={config}", f"--state-dir={state}",
                              f"--libvirt-uri={uri}", "--log-level=info"], env=env, stdout=logf, stderr=subprocess.STDOUT)
        self.daemons.append(p)
        try:
            while True:
                msg = ns.recv(4096).decode(errors="replace")
                if "READY=1" in msg.split("\n"):
                    break
        except socket.timeout:
            p.kill()
            raise RuntimeError(f"accelnetd did not become ready; see {logf.name}")
        finally:
            ns.close()
            os.unlink(nsock_path)
        dt = time.monotonic() - t0
        logf.close()
        if serve:
            # accelnetd connects to libvirt and reconciles from its loop right after READY=1,
            # before it serves any bus message: the first Ping answered marks the end.
            subprocess.run([os.path.join(self.tools, "dbus-bench"), "ping"], env=self.env, check=True, timeout=300)
            return p, dt, time.monotonic() - t0
        return p, dt

    def stop_daemon(self, p):
        """SIGTERM, then reaps it; returns the CPU time (user + system, all threads) that the
        daemon used over its whole life, or None if it had been reaped already."""
        cpu = None
        if p.returncode is None:
            p.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 30
            while True:
                pid, status, ru = os.wait4(p.pid, os.WNOHANG)
                if pid == p.pid:
                    p.returncode = os.waitstatus_to_exitcode(status)
                    cpu = ru.ru_utime + ru.ru_stime
                    break
                if time.monotonic() > deadline:
                    p.kill()
                    p.wait()
                    break
                time.sleep(0.005)
        if p in self.daemons:
            self.daemons.remove(p)
        return cpu

    @staticmethod
    def mem(pid):
        out = {}
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                    out[k] = int(v.split()[0])  # KiB
        return out

    def tool(self, name, *args, env=None, timeout=600):
        p = subprocess.run([os.path.join(self.tools, name), *map(str, args)], capture_output=True, text=True,
                           env=env or self.env, timeout=timeout)
        if p.returncode != 0:
            raise RuntimeError(f"{name} {args[:3]}: rc={p.returncode}\n{p.stdout}\n{p.stderr}")
        return json.loads(p.stdout)

    def busctl(self, *args):
        return subprocess.run(["busctl", "--system", "call", "org.accelnet1", "/org/accelnet1",
                               "org.accelnet1.Manager", *args], env=self.env, capture_output=True, text=True)

    # ---- machine -------------------------------------------------------------------
    def machine(self):
        model = "?"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo") as f:
            mem_kib = int(f.readline().split()[1])
        self.res["machine"] = {"nproc": os.cpu_count(), "cpu": model, "mem_mib": mem_kib // 1024,
                               "kernel": platform.release(), "load_avg_at_start": os.getloadavg()}

    # ---- 1. discovery ----------------------------------------------------------------
    def trace_ops(self, root):
        """The filesystem operations one discovery makes under ROOT, each once."""
        out = os.path.join(self.dir, "strace.txt")
        subprocess.run(["strace", "-f", "-qq", "-e", "trace=openat,open,readlink,readlinkat,access,faccessat,faccessat2,"
                        "newfstatat,stat,lstat", "-o", out, os.path.join(self.tools, "discover-bench"), "once", root],
                       check=True, capture_output=True)
        ops, seen = [], set()
        rx = re.compile(r'^(?:\d+\s+)?(\w+)\((?:AT_FDCWD, )?"([^"]*)"(.*)\)\s+=\s+(-?\d+)')
        for line in open(out):
            m = rx.match(line)
            if not m:
                continue
            call, path, rest, rv = m.group(1), m.group(2), m.group(3), int(m.group(4))
            if not path.startswith(root):
                continue
            if call in ("openat", "open") and rv >= 0:
                kind = "D" if "O_DIRECTORY" in rest else "F"
            elif call in ("readlink", "readlinkat") and rv > 0:
                kind = "L"
            elif call in ("access", "faccessat", "faccessat2"):
                kind = "E"
            else:
                continue
            if (kind, path) not in seen:
                seen.add((kind, path))
                ops.append((kind, path))
        path = os.path.join(self.dir, f"ops-{os.path.basename(root)}.txt")
        with open(path, "w") as f:
            for k, p in ops:
                f.write(f"{k} {p}\n")
        counts = {k: sum(1 for o in ops if o[0] == k) for k in "FDLE"}
        return path, ops, counts

    def cat_walk(self, ops, reps):
        """The same operations with the shell tools: cat, ls -f, readlink, test -e (xargs)."""
        lists = {}
        for k, p in ops:
            lists.setdefault(k, []).append(p)
        files = {}
        for k, v in lists.items():
            files[k] = os.path.join(self.dir, f"list-{k}")
            with open(files[k], "w") as f:
                f.write("\0".join(v) + "\0")
        cmds = {"F": ["xargs", "-0", "cat"], "D": ["xargs", "-0", "ls", "-f"], "L": ["xargs", "-0", "readlink"],
                "E": ["xargs", "-0", "stat", "-c", "%n"]}
        times = []
        for _ in range(reps):
            t0 = time.monotonic()
            for k in files:
                with open(files[k]) as fin:
                    subprocess.run(cmds[k], stdin=fin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            times.append(time.monotonic() - t0)
        return median(times)

    def discovery(self):
        reps = 15 if self.quick else 60
        curve = []
        for n_pf in (1, 2, 4, 8, 16):
            host = os.path.join(self.dir, f"host-{n_pf}.json")
            run([sys.executable, GEN, "host", str(n_pf), str(VFS_PER_PF), host])
            root, build_s = self.build_root(f"root-{n_pf}pf", host)
            ops_path, ops, counts = self.trace_ops(root)
            r = self.tool("discover-bench", "run", root, reps, ops_path)
            if r["adapters"] != n_pf:
                raise RuntimeError(f"discovery found {r['adapters']} adapters, expected {n_pf}")
            row = {"pfs": n_pf, "vfs": n_pf * VFS_PER_PF, "fakeroot_build_s": round(build_s, 3),
                   "discover_p50_ms": round(r["discover_p50_s"] * 1e3, 3),
                   "raw_c_p50_ms": round(r["raw_p50_s"] * 1e3, 3),
                   "ratio_vs_raw_c": round(r["discover_p50_s"] / r["raw_p50_s"], 3), "ops": counts}
            if n_pf == 16:
                cat_s = self.cat_walk(ops, 3 if self.quick else 10)
                row["raw_cat_p50_ms"] = round(cat_s * 1e3, 3)
                row["ratio_vs_cat"] = round(r["discover_p50_s"] / cat_s, 3)
                self.root16 = root
            else:
                shutil.rmtree(root, ignore_errors=True)  # memory: only the largest root is kept
            curve.append(row)
            log(f"  discovery {n_pf:2d} PF: {row['discover_p50_ms']} ms vs raw {row['raw_c_p50_ms']} ms")
        per_doubling = [curve[i + 1]["discover_p50_ms"] / curve[i]["discover_p50_ms"] for i in range(len(curve) - 1)]
        raw_doubling = [curve[i + 1]["raw_c_p50_ms"] / curve[i]["raw_c_p50_ms"] for i in range(len(curve) - 1)]
        gm = lambda v: round((lambda p: p ** (1 / len(v)))(eval("*".join(map(str, v)))), 3)
        big = curve[-1]
        self.res["discovery"] = {"curve": curve, "time_factor_per_doubling": [round(x, 3) for x in per_doubling],
                                 "time_factor_per_doubling_geomean": gm(per_doubling),
                                 "raw_factor_per_doubling_geomean": gm(raw_doubling), "reps": reps}
        self.res["discovery_4096vf_vs_raw_ratio"] = big["ratio_vs_raw_c"]
        self.res["discovery_4096vf_vs_cat_ratio"] = big["ratio_vs_cat"]
        self.res["discovery_4096vf_ms"] = big["discover_p50_ms"]

    # ---- 2. D-Bus reads ----------------------------------------------------------------
    def sim_env(self, in_memory=True):
        """The built-in simulated host (conf/simulate), management enabled on 'compute'. Its
        fake root, which holds the simulated kernel's VF settings (run/accelnet-sim), is in
        memory like a real kernel's; the daemon's state folder is on disk."""
        root, _ = self.build_root("root-sim" + ("" if in_memory else "-disk"), os.path.join(SIM, "host.json"),
                                  in_memory=in_memory)
        tag = "" if in_memory else "-disk"
        cfg = os.path.join(self.dir, "config-sim" + tag)
        shutil.copytree(os.path.join(SIM, "config"), cfg)
        state = os.path.join(self.dir, "state-sim" + tag)
        uri = "test://" + os.path.join(SIM, "libvirt.xml")
        return root, cfg, state, uri

    @staticmethod
    def ratios(r, clients, rounds):
        ping = r["Ping"]["p50_us"]
        row = {"clients": clients, "rounds_per_client": rounds}
        for m in ("Ping",) + READS:
            row[m] = dict(r[m])
            if m != "Ping":
                row[m]["p50_vs_ping"] = round(r[m]["p50_us"] / ping, 3)
                row[m]["p99_vs_ping_p99"] = round(r[m]["p99_us"] / r["Ping"]["p99_us"], 3)
        row["worst_read_p50_vs_ping"] = max(row[m]["p50_vs_ping"] for m in READS)
        return row

    def reads(self, label, clients_list=(1, 32), mirror=None):
        """D-Bus reads; with mirror (the address of a `dbus-bench mirror` bus), the 1-client run
        makes every call to the trivial service too, right after the daemon's: returns
        (daemon figures, trivial service figures)."""
        rounds = {1: 300 if self.quick else 2000, 32: 20 if self.quick else 150}
        out, triv = {}, None
        for c in clients_list:
            extra = (mirror,) if mirror and c == 1 else ()
            r = self.tool("dbus-bench", "reads", c, rounds.get(c, 50), *extra)
            row = self.ratios(r, c, r["rounds"])
            out[f"{c}_clients"] = row
            log(f"  reads [{label}] {c:2d} clients: ping p50 {row['Ping']['p50_us']} us; " +
                ", ".join(f"{m} x{row[m]['p50_vs_ping']}" for m in READS))
            if extra:
                t = self.ratios(r["mirror"], c, r["rounds"])
                triv = {f"{c}_clients": t}
                log(f"  reads [{label}, trivial service, same replies] {c:2d} clients: ping p50 {t['Ping']['p50_us']} us; " +
                    ", ".join(f"{m} x{t[m]['p50_vs_ping']}" for m in READS))
        return out, triv

    def start_mirror(self):
        """A trivial sd-bus service (dbus-bench mirror) answering the same replies as accelnetd
        (fetched from it once) on a second, identical private bus: the part of each ratio that
        the reply's size alone costs. Returns (its bus address, the process)."""
        address, env = self.new_bus(f"mirror-{len(self.buses)}")
        p = subprocess.Popen([os.path.join(self.tools, "dbus-bench"), "mirror", self.address], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if p.stdout.readline().strip() != "ready":
            p.kill()
            raise RuntimeError(f"dbus-bench mirror did not start: {p.stderr.read()}")
        return address, p

    @staticmethod
    def reply_sizes(env):
        """Rows and body bytes (D-Bus marshalling: strings 4-aligned with length and NUL, structs
        8-aligned) of each read's reply, from busctl --json."""
        out = {}
        for m in READS:
            r = subprocess.run(["busctl", "--system", "--json=short", "call", "org.accelnet1", "/org/accelnet1",
                                "org.accelnet1.Manager", m], env=env, capture_output=True, text=True)
            if r.returncode != 0:
                out[m] = None
                continue
            rows, n = json.loads(r.stdout)["data"][0], 0
            for row in rows:
                n = (n + 7) // 8 * 8
                for f in row:
                    n = (n + 3) // 4 * 4 + 4 + ((len(f.encode()) + 1) if isinstance(f, str) else 0)
            out[m] = {"rows": len(rows), "body_bytes": n}
        return out

    def dbus_and_cycles(self):
        root, cfg, state, uri = self.sim_env()
        p, _, _ = self.start_daemon(root, cfg, state, uri, "accelnetd-sim.log", serve=True)
        try:
            r = self.busctl("Enable", "su", "compute", "0")
            if r.returncode != 0:
                raise RuntimeError(f"Enable failed: {r.stderr}")
            maddr, mp = self.start_mirror()
            try:
                reads, triv = self.reads("simulated host", mirror=maddr)
            finally:
                mp.kill()
                mp.wait()
            self.res["dbus_reads_simulated_host"] = reads
            self.res["dbus_read_vs_ping_p50_ratio"] = reads["1_clients"]["worst_read_p50_vs_ping"]
            self.res["dbus_read_vs_ping_p50_ratio_32_clients"] = reads["32_clients"]["worst_read_p50_vs_ping"]
            self.res["dbus_reads_simulated_host_trivial_service"] = triv
            self.res["dbus_reply_bytes_simulated_host"] = self.reply_sizes(self.env)
            # 3. EnableVM + DisableVM cycles, alternated in slices with the same libvirt calls
            # made directly through src/virt (virt-bench) on the same VFs, so that the load of
            # the machine hits both alike.
            slices, secs = (5, 1) if self.quick else (10, 2)
            vms = ["web1", "web2", "db1", "batch"]
            vfs = []
            # VFs the daemon picks: those of the compute intent's supported PFs (ListAdapters:
            # state.json alone is not the state since saves append to state.journal).
            r = subprocess.run(["busctl", "--system", "--json=short", "call", "org.accelnet1", "/org/accelnet1",
                                "org.accelnet1.Manager", "ListAdapters"], env=self.env, capture_output=True,
                               text=True, check=True)
            for pf in [a[0] for a in json.loads(r.stdout)["data"][0] if a[3] == "Supported" and a[5] > 0]:
                d = os.path.join(root, "sys/bus/pci/devices", pf)
                for i in range(8):
                    link = os.path.join(d, f"virtfn{i}")
                    if os.path.islink(link):
                        vfs.append(os.path.basename(os.readlink(link)))
            runs = {"cyc1": [], "cyc4": [], "direct1": [], "direct4": []}
            for _ in range(slices):
                runs["cyc1"].append(self.tool("dbus-bench", "cycles", 1, secs, "Low", "web1"))
                runs["direct1"].append(self.tool("virt-bench", uri, secs, "Low", f"web1:{vfs[0]}"))
                runs["cyc4"].append(self.tool("dbus-bench", "cycles", 4, secs, "Low", *vms))
                runs["direct4"].append(self.tool("virt-bench", uri, secs, "Low",
                                                 *[f"{v}:{vfs[i]}" for i, v in enumerate(vms)]))
            m = self.mem(p.pid)
        finally:
            self.stop_daemon(p)

        def merged(rs):
            cycles, wall = sum(r["cycles"] for r in rs), sum(r["wall_s"] for r in rs)
            return {"clients": rs[0]["clients"], "slices": len(rs), "cycles": cycles, "wall_s": round(wall, 6),
                    "cycles_per_s": round(cycles / wall, 1),
                    "cycle_p50_us_per_slice": [r["cycle_p50_us"] for r in rs]}
        cyc1, cyc4, direct1, direct4 = (merged(runs[k]) for k in ("cyc1", "cyc4", "direct1", "direct4"))
        # Time per cycle (wall / cycles, all clients together) direct vs through the daemon.
        share1 = 1 - (direct1["wall_s"] / direct1["cycles"]) / (cyc1["wall_s"] / cyc1["cycles"])
        share4 = 1 - (direct4["wall_s"] / direct4["cycles"]) / (cyc4["wall_s"] / cyc4["cycles"])
        self.res["enable_disable"] = {
            "daemon_1_client": cyc1, "daemon_4_clients": cyc4, "direct_virt_1_thread": direct1,
            "direct_virt_4_threads": direct4,
            "daemon_share_of_cycle_1_client": round(share1, 3),
            "daemon_share_of_cycle_4_clients": round(share4, 3),
            "throughput_4_vs_1_client": round(cyc4["cycles_per_s"] / cyc1["cycles_per_s"], 3),
            "direct_throughput_4_vs_1_thread": round(direct4["cycles_per_s"] / direct1["cycles_per_s"], 3),
            "daemon_mem_kib_after": m,
            "sim_root": root, "state_dir": state}
        if not self.quick:
            # The same 1-client cycles with the simulated kernel's VF files on disk, as before.
            droot, dcfg, dstate, _ = self.sim_env(in_memory=False)
            p, _, _ = self.start_daemon(droot, dcfg, dstate, uri, "accelnetd-sim-disk.log", serve=True)
            try:
                if self.busctl("Enable", "su", "compute", "0").returncode != 0:
                    raise RuntimeError("Enable failed")
                disk1 = self.tool("dbus-bench", "cycles", 1, slices * secs, "Low", "web1")
            finally:
                self.stop_daemon(p)
            self.res["enable_disable"]["daemon_1_client_sim_root_on_disk"] = disk1
            self.res["enable_disable"]["daemon_share_of_cycle_1_client_sim_root_on_disk"] = round(
                1 - (direct1["wall_s"] / direct1["cycles"]) / (disk1["wall_s"] / disk1["cycles"]), 3)
        # What D-Bus alone leaves: a daemon that did nothing but answer would still add two
        # method round trips (Ping p50 of the same run) to each direct cycle.
        ping_s = self.res["dbus_reads_simulated_host"]["1_clients"]["Ping"]["p50_us"] / 1e6
        direct_cycle = direct1["wall_s"] / direct1["cycles"]
        self.res["enable_disable"]["share_floor_two_round_trips"] = round(1 - direct_cycle / (direct_cycle + 2 * ping_s), 3)
        self.res["enable_disable_ops_per_s"] = cyc1["cycles_per_s"]
        self.res["enable_disable_ops_per_s_4_clients"] = cyc4["cycles_per_s"]
        self.res["enable_disable_daemon_share"] = round(share1, 3)
        self.res["daemon_share_of_cycle_4_clients"] = round(share4, 3)
        log(f"  EnableVM+DisableVM: {cyc1['cycles_per_s']}/s (1 client), {cyc4['cycles_per_s']}/s (4); direct "
            f"{direct1['cycles_per_s']}/s (4 threads: {direct4['cycles_per_s']}/s); daemon share {share1:.1%} "
            f"(4 clients: {share4:.1%})")

    # ---- 4. 4096 VFs and N VMs on a libvirtd-hosted test driver: start-up, reads, memory ------
    def big_scenario(self, n_vm):
        """The three start-ups compared: A (management enabled, N records, N+4 domains), B (the
        same domains, management disabled, no records) and C (management enabled on the same
        intent, no records, no domains: a private empty test-driver instance)."""
        base = os.path.join(self.dir, f"scn-{n_vm}vm")
        sc = {"domains": os.path.join(base, "domains"), "config": os.path.join(base, "config"),
              "state": os.path.join(base, "state"), "state_off": os.path.join(base, "state-disabled"),
              "state_none": os.path.join(base, "state-novms"), "empty": os.path.join(base, "empty-node.xml")}
        run([sys.executable, GEN, "vms", "16", str(VFS_PER_PF), str(n_vm), self.root16, sc["domains"], sc["config"],
             sc["state"]])
        with open(os.path.join(sc["state"], "state.json")) as f:
            st = json.load(f)
        for key, variant in (("state_off", dict(st, management={"enabled": False, "intent": None, "node_reserve": 0},
                                                  adapters=[], vms=[])),
                             ("state_none", dict(st, vms=[]))):
            os.makedirs(sc[key])
            with open(os.path.join(sc[key], "state.json"), "w") as f:
                json.dump(variant, f)
        with open(sc["empty"], "w") as f:
            f.write(EMPTY_NODE)
        os.chmod(sc["empty"], 0o644)
        return sc

    @staticmethod
    def count_lines(path, needle):
        with open(path, errors="replace") as f:
            return sum(1 for line in f if needle in line)

    def big_host(self):
        reps = 5 if self.quick else 9
        sizes = (1000,) if self.quick else (10, 100, 1000)
        curve = []
        for n in sizes:
            lv = Libvirtd(os.path.join(self.dir, f"libvirtd-{n}vm"))
            self.libvirtds.append(lv)
            sc = self.big_scenario(n)
            t0 = time.monotonic()
            with open(os.path.join(sc["domains"], "define.virsh")) as f:
                lv.virsh(f.read().splitlines())
            define_s = time.monotonic() - t0
            # First start, not measured: the simulated VFs start from the driver's defaults, so
            # reconcile applies every VM's policy once (and would write any missing setting).
            p, _, first = self.start_daemon(self.root16, sc["config"], sc["state"], lv.uri, f"accelnetd-{n}vm-first.log",
                                            serve=True)
            self.stop_daemon(p)
            a_log = f"accelnetd-{n}vm.log"
            ta, tb, tc, ra, ca, cb, cc, mem_a, mem_c = [], [], [], [], [], [], [], None, None
            keep = None
            for i in range(reps):
                # Alternated, so that drift hits all three alike. CPU: the daemon's whole life
                # (start-up, then the SIGTERM save), from wait4.
                p, _, t = self.start_daemon(self.root16, sc["config"], sc["state_none"], lv.uri_for(sc["empty"]),
                                            f"accelnetd-{n}vm-novms.log", serve=True)
                tc.append(t)
                mem_c = self.mem(p.pid)
                cc.append(self.stop_daemon(p))
                p, _, t = self.start_daemon(self.root16, sc["config"], sc["state_off"], lv.uri,
                                            f"accelnetd-{n}vm-disabled.log", serve=True)
                tb.append(t)
                cb.append(self.stop_daemon(p))
                p, ready, t = self.start_daemon(self.root16, sc["config"], sc["state"], lv.uri, a_log, serve=True)
                ta.append(t)
                ra.append(ready)
                mem_a = self.mem(p.pid)
                if n == sizes[-1] and i == reps - 1:
                    keep = p
                else:
                    ca.append(self.stop_daemon(p))
            with open(os.path.join(sc["state"], "state.json")) as f:
                kept = len(json.load(f)["vms"])
            row = {"vms": n, "vfs": 16 * VFS_PER_PF, "domains": n + 4, "define_s": round(define_s, 3),
                   "vms_kept_after_reconcile": kept,
                   "reconcile_findings_in_measured_starts": self.count_lines(os.path.join(self.dir, a_log), "Reconcile:"),
                   "first_start_serving_s": round(first, 4),
                   "serving_s_p50": round(median(ta), 4), "serving_s_all": [round(x, 4) for x in ta],
                   "ready_s_p50": round(median(ra), 4),
                   "disabled_serving_s_p50": round(median(tb), 4), "no_vms_serving_s_p50": round(median(tc), 4),
                   "reconcile_s": round(median(ta) - median(tc), 4),
                   "records_s": round(median(ta) - median(tb), 4),
                   "read_domains_s": round(median(tb) - median(tc), 4),
                   "cpu_s_p50": round(median(ca), 4), "disabled_cpu_s_p50": round(median(cb), 4),
                   "no_vms_cpu_s_p50": round(median(cc), 4),
                   "reconcile_cpu_s": round(median(ca) - median(cc), 4),
                   "mem_kib": mem_a, "no_vms_mem_kib": mem_c, "libvirtd_rss_kib": lv.rss_kib()}
            curve.append(row)
            log(f"  start-up {n:4d} VMs: serving {row['serving_s_p50']} s (no VMs {row['no_vms_serving_s_p50']} s, "
                f"disabled {row['disabled_serving_s_p50']} s): reconcile {row['reconcile_s']} s, daemon CPU "
                f"{row['reconcile_cpu_s']} s; RssAnon "
                f"{mem_a['RssAnon']} KiB, HWM {mem_a['VmHWM']} KiB; findings {row['reconcile_findings_in_measured_starts']}")
            if keep is None:
                lv.stop()
        self.res["reconcile"] = {"curve": curve, "reps": reps, "libvirt": "test:///default in a private libvirtd",
                                 "method": "exec -> first Peer.Ping answered (the daemon reads every domain and "
                                           "reconciles before it takes the bus name) with N VMs enabled (records and "
                                           "domains), minus the same start with management enabled but no records and "
                                           "no domains (an empty test-driver instance in the same libvirtd); "
                                           "records_s subtracts instead the start with the same domains and "
                                           "management disabled"}
        big = curve[-1]
        self.res["reconcile_1000vm_s"] = big["reconcile_s"]
        self.res["startup_1000vm_s"] = big["serving_s_p50"]
        # D-Bus reads on the large host, the same replies from a trivial service, then memory.
        try:
            maddr, mp = self.start_mirror()
            try:
                reads, triv = self.reads("4096 VFs, 1000 VMs", mirror=maddr)
            finally:
                mp.kill()
                mp.wait()
            self.res["dbus_reads_4096vf_1000vm"] = reads
            self.res["dbus_read_vs_ping_p50_ratio_4096vf_1000vm"] = reads["1_clients"]["worst_read_p50_vs_ping"]
            self.res["dbus_reads_4096vf_1000vm_trivial_service"] = triv
            self.res["dbus_reply_bytes_4096vf_1000vm"] = self.reply_sizes(self.env)
            m = self.mem(keep.pid)
        finally:
            self.stop_daemon(keep)
            for lv in self.libvirtds:
                lv.stop()
            self.libvirtds = []
        self.res["memory_4096vf_1000vm_kib"] = m
        self.res["rss_4096vf_mib"] = round(m["VmHWM"] / 1024, 2)
        self.res["rss_4096vf_vmrss_mib"] = round(m["VmRSS"] / 1024, 2)
        self.res["rss_anon_4096vf_1000vm_mib"] = round(m["RssAnon"] / 1024, 2)

    # ---- 5. servicing: the drain of an adapter with 64 assigned VFs ------------------------------
    DRAIN_VFS = 64

    def drain_one(self, lv, sc, config, state0, label):
        """One DrainAdapter of eth0 with its 64 VFs assigned to 64 running VMs: the VFs back in
        the persistent definitions, a fresh copy of the state, accelnetd started (not timed; it
        re-applies the VFs' policy at its first start), then the call timed from busctl's exec
        to its answer (DrainAdapter answers when every VF is revoked)."""
        state = os.path.join(sc["base"], f"state-{label}")
        shutil.rmtree(state, ignore_errors=True)
        shutil.copytree(state0, state)
        with open(os.path.join(sc["domains"], "redefine.virsh")) as f:
            lv.virsh(f.read().splitlines())
        p, _, _ = self.start_daemon(self.root_drain, config, state, lv.uri, f"accelnetd-drain-{label}.log", serve=True)
        try:
            t0 = time.monotonic()
            r = subprocess.run(["busctl", "--system", "--timeout=600", "call", "org.accelnet1", "/org/accelnet1",
                                "org.accelnet1.Manager", "DrainAdapter", "s", "eth0"], env=self.env,
                               capture_output=True, text=True)
            dt = time.monotonic() - t0
            if r.returncode != 0:
                raise RuntimeError(f"DrainAdapter: {r.stderr.strip()}")
            r = subprocess.run(["busctl", "--system", "--json=short", "call", "org.accelnet1", "/org/accelnet1",
                                "org.accelnet1.Manager", "ListAdapters"], env=self.env, capture_output=True, text=True)
            left = [a[6] for a in json.loads(r.stdout)["data"][0] if a[1] == "eth0"]
            if left != [0]:
                raise RuntimeError(f"eth0 still has {left} VFs assigned after the drain")
        finally:
            self.stop_daemon(p)
        return dt

    def drain(self):
        n = self.DRAIN_VFS
        reps = 3 if self.quick else 7
        host = os.path.join(self.dir, "host-drain.json")
        run([sys.executable, GEN, "host", "2", str(n), host])
        self.root_drain, _ = self.build_root("root-drain", host)
        base = os.path.join(self.dir, "drain")
        sc = {"base": base, "domains": os.path.join(base, "domains")}
        # the same 64 domains; an intent of eth0 alone (the VMs wait: the drain alone) and one of
        # eth0 and eth1 (each VM gets a VF of eth1 as its VF of eth0 goes)
        for label, pfs in (("alone", "1"), ("moved", "2")):
            run([sys.executable, GEN, "drain", "2", str(n), str(n), self.root_drain, sc["domains"],
                 os.path.join(base, f"config-{label}"), os.path.join(base, f"state0-{label}"), pfs])
        lv = Libvirtd(os.path.join(self.dir, "libvirtd-drain"))
        self.libvirtds.append(lv)
        try:
            with open(os.path.join(sc["domains"], "define.virsh")) as f:
                lv.virsh(f.read().splitlines())
            with open(os.path.join(sc["domains"], "vms.txt")) as f:
                pairs = f.read().split()
            alone, moved, direct = [], [], []
            for i in range(reps):
                alone.append(self.drain_one(lv, sc, os.path.join(base, "config-alone"),
                                            os.path.join(base, "state0-alone"), f"alone-{i}"))
                moved.append(self.drain_one(lv, sc, os.path.join(base, "config-moved"),
                                            os.path.join(base, "state0-moved"), f"moved-{i}"))
                # libvirt's own share: the same detaches, 8 at a time (max_concurrent_operations)
                with open(os.path.join(sc["domains"], "redefine.virsh")) as f:
                    lv.virsh(f.read().splitlines())
                direct.append(self.tool("detach-bench", lv.uri, 8, *pairs)["wall_s"])
        finally:
            lv.stop()
            self.libvirtds.remove(lv)
        d, lib, mv = median(alone), median(direct), median(moved)
        self.res["drain"] = {
            "vfs": n, "reps": reps, "driver": "ice (simulated; VF link state supported)", "concurrency": 8,
            "alone_s_all": [round(x, 4) for x in alone], "moved_s_all": [round(x, 4) for x in moved],
            "libvirt_s_all": [round(x, 4) for x in direct],
            "method": "busctl DrainAdapter eth0 (64 running VMs of the libvirt test driver, a private libvirtd, each "
                      "with a VF of eth0 in its persistent config) from exec to the answer, which comes when every VF "
                      "is revoked (link down, unplug, settings restored, saved); alone: eth0 is the intent's only "
                      "adapter (the VMs wait); moved: eth1 (64 free VFs) is in the intent too, and each VM gets one "
                      "of its VFs while the others are revoked. libvirt's share: bench/detach-bench making the same "
                      "virt_domain_detach_vf calls, 8 at a time, with the daemon stopped."}
        self.res["drain_64_vfs_s"] = round(d, 4)
        self.res["drain_64_vfs_libvirt_s"] = round(lib, 4)
        self.res["drain_64_vfs_daemon_s"] = round(d - lib, 4)
        self.res["drain_64_vfs_target_s"] = round(2 + lib, 4)
        self.res["drain_64_vfs_moved_s"] = round(mv, 4)
        log(f"  drain of 64 VFs: {d:.3f} s (libvirt's own {lib:.3f} s, the rest {d - lib:.3f} s); with the VMs moved "
            f"to another adapter {mv:.3f} s")

    # ---- 6. e2e ---------------------------------------------------------------------------
    def e2e(self):
        self.res["vf_policy_all_vfs_vs_ip_link_ratio"] = None
        self.res["vf_policy_note"] = ("not measured: needs the e2e guest (tests/e2e, real igb VFs in QEMU); "
                                      "no e2e benchmark hook exists in this tree yet")
        marker = os.path.join(SRC, "tests", "e2e", "bench-vf-policy.sh")
        if os.path.exists(marker) and os.environ.get("ACCELNET_E2E_BENCH"):
            self.res["vf_policy_note"] = f"see {marker} (run by hand: ACCELNET_E2E_BENCH=1)"

    # ---- 5b. health -------------------------------------------------------------------------
    def health(self):
        """bench/healthbench.py: wake-ups at idle, event -> state change on the simulated host."""
        import healthbench
        healthbench.HealthBench(self).run()

    # ---- 6. cluster ------------------------------------------------------------------------
    def cluster(self):
        """bench/clusterbench.py; skipped (the reason printed and kept as cluster_skipped) where
        it cannot run: not root, corosync or the cluster tier's tools missing."""
        import clusterbench
        cb, why = clusterbench.load_clusterbed(self.build)
        if why:
            log(f"  cluster: skipped: {why}")
            self.res["cluster_skipped"] = why
            return
        if self.a.keep:
            os.environ["ACCELNET_KEEP_TMP"] = "1"
        try:
            clusterbench.ClusterBench(self, cb).run()
        except Exception as e:  # noqa: BLE001 - the other scenarios' figures are still written
            log(f"  cluster: FAILED: {e}")
            self.res["cluster_error"] = str(e)

    # ---- driver ---------------------------------------------------------------------------
    def ensure_root16(self):
        """The 16 PF x 256 VF fake root (discovery builds it; --only big builds it alone)."""
        if getattr(self, "root16", None):
            return
        host = os.path.join(self.dir, "host-16.json")
        run([sys.executable, GEN, "host", "16", str(VFS_PER_PF), host])
        self.root16, _ = self.build_root("root-16pf", host)

    @staticmethod
    def dig(r, path):
        for k in path.split("."):
            if not isinstance(r, dict) or k not in r:
                return None
            r = r[k]
        return r

    # (label, JSON key path, operator, limit, issue); the JSON keeps every one under targets_met.
    TARGETS = [
        ("EnableVM+DisableVM: daemon share of a cycle, 1 client", "enable_disable_daemon_share", "<=", 0.30, "10"),
        ("EnableVM+DisableVM: daemon share of a cycle, 4 clients", "daemon_share_of_cycle_4_clients", "<=", 0.30, "10"),
        ("ListVMs p50 / Ping p50 (4096 VFs, 1000 VMs, 1 client)",
         "dbus_reads_4096vf_1000vm.1_clients.ListVMs.p50_vs_ping", "<=", 1.3, "10"),
        ("GetPrerequisites p50 / Ping p50 (4096 VFs, 1000 VMs)",
         "dbus_reads_4096vf_1000vm.1_clients.GetPrerequisites.p50_vs_ping", "<=", 1.3, "10"),
        ("ListAdapters p50 / Ping p50 (4096 VFs, 1000 VMs)",
         "dbus_reads_4096vf_1000vm.1_clients.ListAdapters.p50_vs_ping", "<=", 1.3, "10"),
        ("reconcile of 1000 VMs, libvirtd-hosted (s)", "reconcile_1000vm_s", "<=", 0.2, "10"),
        ("RssAnon, 4096 VFs + 1000 VMs, libvirtd-hosted (MiB)", "rss_anon_4096vf_1000vm_mib", "<=", 8, "10"),
        ("VmHWM, 4096 VFs + 1000 VMs, libvirtd-hosted (MiB)", "rss_4096vf_mib", "<=", 30, "10"),
        ("discovery 16 PF x 256 VF / raw C walk", "discovery_4096vf_vs_raw_ratio", "<=", 2, "earlier"),
        ("D-Bus read p50 / Ping p50, simulated host (worst)", "dbus_read_vs_ping_p50_ratio", "<=", 1.3, "earlier"),
        ("cluster: EnableVM p50, node of 3 / standalone", "cluster_enablevm_p50_ratio", "<=", 1.5, "cluster"),
        ("cluster: kill -9 of a corosync -> survivors' U (s)", "cluster_membership_to_u_s", "<=",
         "cluster_membership_to_u_target_s", "cluster"),
        ("cluster: 1000 VMs, merge -> every node in sync (s)", "cluster_merge_sync_1000vm_s", "<=", 1, "cluster"),
        ("drain of an adapter with 64 assigned VFs (s), <= 2 + libvirt's", "drain_64_vfs_s", "<=",
         "drain_64_vfs_target_s", "13"),
        ("health: PF link down -> its VFs revoked, p50, debounce incl. (ms)", "health_event_to_revoke_ms_p50", "<=",
         100, "13"),
        ("health: PF link down -> Failed, p50, debounce incl. (ms)", "health_event_to_state_ms_p50", "<=", 100, "13"),
    ]

    INFO = [
        ("trivial service, the same ListVMs reply / its Ping",
         "dbus_reads_4096vf_1000vm_trivial_service.1_clients.ListVMs.p50_vs_ping"),
        ("trivial service, the same GetPrerequisites reply / its Ping",
         "dbus_reads_4096vf_1000vm_trivial_service.1_clients.GetPrerequisites.p50_vs_ping"),
        ("trivial service, the same ListAdapters reply / its Ping",
         "dbus_reads_4096vf_1000vm_trivial_service.1_clients.ListAdapters.p50_vs_ping"),
        ("EnableVM+DisableVM cycles/s, 1 client", "enable_disable_ops_per_s"),
        ("  ... 4 clients", "enable_disable_ops_per_s_4_clients"),
        ("  ... 4 clients / 1 client", "enable_disable.throughput_4_vs_1_client"),
        ("  ... direct libvirt calls, cycles/s, 1 thread", "enable_disable.direct_virt_1_thread.cycles_per_s"),
        ("  ... share if the daemon added only two D-Bus round trips", "enable_disable.share_floor_two_round_trips"),
        ("start-up to serving, 1000 VMs (s)", "startup_1000vm_s"),
        ("  ... of which the records (vs management disabled)", "reconcile.curve.-1.records_s"),
        ("reconcile of 1000 VMs: the daemon's CPU time (s)", "reconcile.curve.-1.reconcile_cpu_s"),
        ("VmRSS at 4096 VFs + 1000 VMs (MiB)", "rss_4096vf_vmrss_mib"),
        ("D-Bus read p50 / Ping p50, simulated host, 32 clients", "dbus_read_vs_ping_p50_ratio_32_clients"),
        ("discovery: time factor per doubling of PFs", "discovery.time_factor_per_doubling_geomean"),
        ("VF policy, accelnet vs ip link (e2e)", "vf_policy_all_vfs_vs_ip_link_ratio"),
        ("cluster: EnableVM p50 on a node of 3 (ms)", "cluster_enablevm_p50_ms"),
        ("  ... standalone accelnetd (ms)", "standalone_enablevm_p50_ms"),
        ("  ... forwarded from node1 to the VM's node (ms)", "cluster_enablevm_forwarded_p50_ms"),
        ("  ... with every corosync at nice 0, not -20 (ms)", "cluster_enablevm_p50_ms_corosync_nice0"),
        ("  ... ratio with corosync at nice 0", "cluster_enablevm_p50_ratio_corosync_nice0"),
        ("  ... servers' CPU per sample, cluster (ms)", "cluster_enablevm.cpu_ms_per_sample_cluster_total"),
        ("  ... of which the three corosyncs (ms)", "cluster_enablevm.cpu_ms_per_sample_cluster_by_kind.corosync"),
        ("  ... servers' CPU per sample, standalone (ms)", "cluster_enablevm.cpu_ms_per_sample_standalone_total"),
        ("cluster: token timeout in force (s)", "cluster_token_timeout_s"),
        ("  ... kill -9 -> U: corosync's membership, median (s)", "cluster_membership.corosync_s_median"),
        ("  ... kill -9 -> U: worst of the kills (s)", "cluster_membership.max_s"),
        ("cluster: 1000 VMs, link restore -> every node in sync (s)", "cluster_merge_from_restore_1000vm_s"),
        ("cluster: EnableVM p50, 334 VMs on the node, cluster (ms)", "cluster_enablevm_334vm.cluster_p50_ms"),
        ("  ... standalone with the same 334 VMs (ms)", "cluster_enablevm_334vm.standalone_p50_ms"),
        ("  ... ratio", "cluster_enablevm_334vm.ratio"),
        ("cluster: the scenario's wall time (s)", "cluster_scenario_s"),
        ("drain of 64 VFs: libvirt's own share (s)", "drain_64_vfs_libvirt_s"),
        ("  ... the rest: accelnetd, netlink, the state (s)", "drain_64_vfs_daemon_s"),
        ("  ... with each VM moved to another adapter (s)", "drain_64_vfs_moved_s"),
        ("health: accelnetd's wake-ups per minute at idle", "idle_wakeups_per_min"),
        ("  ... its CPU time per minute at idle (ms)", "idle_cpu_ms_per_min"),
        ("health: driver unbind -> Failed, p50 (ms)", "health_unbind_to_state_ms_p50"),
        ("health: link up -> Healthy, p50 (ms)", "health_link_up_to_state_ms_p50"),
    ]

    def value(self, path):
        if ".curve.-1." in path:
            head, tail = path.split(".curve.-1.")
            curve = self.dig(self.res, head + ".curve")
            return curve[-1].get(tail) if curve else None
        return self.dig(self.res, path)

    def limit(self, lim):
        """A target's limit: a number, or the JSON key of a figure of the same run."""
        return self.value(lim) if isinstance(lim, str) else lim

    def targets(self):
        ok = {}
        for label, path, op, lim, issue in self.TARGETS:
            v, n = self.value(path), self.limit(lim)
            ok[f"{path} {op} {lim}"] = None if v is None or n is None else {"<=": v <= n, ">=": v >= n}[op]
        self.res["targets_met"] = ok

    def table(self):
        met = self.res.get("targets_met", {})
        print(f"\n{'figure':<60} {'value':>9}  {'target':<8} met")
        print("-" * 84)
        for label, path, op, lim, issue in self.TARGETS:
            v = self.value(path)
            m = met.get(f"{path} {op} {lim}")
            tag = "-" if m is None else ("yes" if m else "NO")
            n = self.limit(lim)
            print(f"{label:<60} {('-' if v is None else v)!s:>9}  {op} {('-' if n is None else n)!s:<5} {tag}" +
                  {"10": "", "cluster": "  (cluster)", "13": "  (health and servicing)"}.get(issue, "  (earlier issue)"))
        print()
        for label, path in self.INFO:
            v = self.value(path)
            print(f"{label:<60} {('-' if v is None else v)!s:>9}")
        for label, path, op, lim, issue in self.TARGETS:
            m = met.get(f"{path} {op} {lim}")
            if issue in ("10", "cluster", "13"):
                print(f"met: {'-  ' if m is None else ('yes' if m else 'NO ')} {label}: {self.value(path)} {op} "
                      f"{self.limit(lim)}")
        if self.res.get("cluster_skipped"):
            print(f"cluster: skipped: {self.res['cluster_skipped']}")
        if self.res.get("cluster_error"):
            print(f"cluster: FAILED: {self.res['cluster_error']}")
        m = self.res.get("machine", {})
        print(f"\nmachine: {m.get('nproc')} CPUs, {m.get('cpu')}, {m.get('mem_mib')} MiB; load at start "
              f"{m.get('load_avg_at_start')}; run took {self.res.get('bench_wall_s')} s\n")

    def teardown(self):
        for p in list(self.daemons):
            self.stop_daemon(p)
        for lv in self.libvirtds:
            lv.stop()
        self.libvirtds = []
        for b in self.buses:
            b.terminate()
            b.wait(10)
        self.buses = []
        dirs = [self.dir] + ([self.memdir] if self.memdir not in (None, self.dir) else [])
        if not self.a.keep:
            for d in dirs:
                shutil.rmtree(d, ignore_errors=True)
        else:
            log(f"kept {' and '.join(dirs)}")

    def main(self, only=None):
        t0 = time.monotonic()
        self.res["mode"] = "quick" if self.quick else "full"
        self.machine()
        try:
            self.start_bus()
            stages = self.res.setdefault("stage_s", {})
            if only in (None, "discovery"):
                log("discovery ...")
                t = time.monotonic()
                self.discovery()
                stages["discovery"] = round(time.monotonic() - t, 1)
            if only in (None, "dbus"):
                log("D-Bus reads and EnableVM/DisableVM on the simulated host ...")
                t = time.monotonic()
                self.dbus_and_cycles()
                stages["dbus_and_cycles"] = round(time.monotonic() - t, 1)
            if only in (None, "big"):
                log("16 PF x 256 VF and 1000 VMs on a libvirtd-hosted test driver: start-up, reads, memory ...")
                t = time.monotonic()
                self.ensure_root16()
                self.big_host()
                stages["big_host"] = round(time.monotonic() - t, 1)
            if only in (None, "drain"):
                log("servicing: the drain of an adapter with 64 assigned VFs ...")
                t = time.monotonic()
                self.drain()
                stages["drain"] = round(time.monotonic() - t, 1)
            if only in (None, "health"):
                log("health: wake-ups at idle, event -> state change on the simulated host ...")
                t = time.monotonic()
                self.health()
                stages["health"] = round(time.monotonic() - t, 1)
            if only in (None, "cluster"):
                log("a 3-node corosync cluster (tests/cluster's test bed): EnableVM, membership, merge ...")
                t = time.monotonic()
                self.cluster()
                stages["cluster"] = round(time.monotonic() - t, 1)
            if only is None:
                self.e2e()
        finally:
            self.teardown()
        self.res["bench_wall_s"] = round(time.monotonic() - t0, 1)
        self.targets()
        self.table()
        if self.a.json:
            with open(self.a.json, "w") as f:
                json.dump(self.res, f, indent=2)
                f.write("\n")
        if self.res.get("cluster_error"):
            sys.exit(1)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--only", choices=["discovery", "dbus", "big", "health", "cluster", "drain"])
    a = ap.parse_args()
    Bench(a).main(a.only)
