"""Health scenario of bench/bench.py (issue 13): accelnetd on the built-in simulated host,
management enabled.

1. Wake-ups at idle: every thread's scheduler count (/proc/PID/task/TID/schedstat, the third
   field: times it got a CPU) and its context switches, before and after a quiet period, and
   the CPU time spent meanwhile. A daemon that polls nothing wakes only for its own timers:
   the 30 s refresh (MANAGER_REFRESH_USEC) and, without corosync, the reconnect attempt to
   corosync (every 10 s once backed off, src/cluster/corosync.c): 2 + 6 = 8 per minute. The
   health part adds none (its only timer runs while a debounce, a quarantine's stable period
   or an AER window runs).
2. Event to state change: the simulated kernel's datagram (link down, link up, driver unbind,
   bind) sent at t0, the daemon's HealthChanged signal stamped by dbus-monitor at t1 (both
   CLOCK_REALTIME). The link-down figure includes the configured debounce
   (health.link_down_debounce_ms, default 50 ms); unbind has none.
3. Event to action: an intent of ens1f0 alone, one VM holding one of its VFs; the link-down
   datagram sent at t0, the daemon's VMChanged(vm, "revoked") stamped at t1 (the VF revoked
   from the VM: unplugged, out of its XML, its settings restored, the state saved); link up
   gives the VM a VF of ens1f0 again before the next round.
"""
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import threading
import time

PF, IFNAME = "0000:01:00.0", "ens1f0"


def log(*a):
    import sys
    print(*a, file=sys.stderr, flush=True)


def threads(pid):
    """{tid: (comm, timeslices, voluntary + involuntary context switches)}"""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                comm = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                slices = int(f.read().split()[2])
            cs = 0
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches", "nonvoluntary_ctxt_switches")):
                        cs += int(line.split()[1])
        except (OSError, IndexError, ValueError):
            continue
        out[int(tid)] = (comm, slices, cs)
    return out


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class SignalWatch:
    """dbus-monitor on one signal of accelnetd (HealthChanged: (realtime seconds, pf, state,
    quarantined); VMChanged: (realtime seconds, vm, state))."""

    def __init__(self, env, member="HealthChanged", nargs=3):
        self.member, self.nargs = member, nargs
        self.proc = subprocess.Popen(["dbus-monitor", "--system",
                                      f"type='signal',sender='org.accelnet1',member='{member}'"],
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.signals = []
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        cur = None
        for line in self.proc.stdout:
            m = re.match(r"signal time=(\d+\.\d+) .*member=" + self.member, line)
            if m:
                cur = [float(m.group(1))]
                continue
            if cur is not None:
                m = re.match(r'\s+(?:string "(.*)"|boolean (\w+))', line)
                if m:
                    cur.append(m.group(1) if m.group(1) is not None else m.group(2) == "true")
                if len(cur) == 1 + self.nargs:
                    with self.cond:
                        self.signals.append(tuple(cur))
                        self.cond.notify_all()
                    cur = None

    def wait(self, n, timeout=10):
        with self.cond:
            self.cond.wait_for(lambda: len(self.signals) >= n, timeout)
            return len(self.signals) >= n

    def close(self):
        self.proc.terminate()
        self.proc.wait(5)


class HealthBench:
    def __init__(self, bench):
        self.b = bench

    def sim(self, root, event):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        path = os.path.join(self.b.dir, f"hb-{os.getpid()}.sock")
        if os.path.exists(path):
            os.unlink(path)
        s.bind(path)
        s.settimeout(10)
        t0 = time.time()
        s.sendto(json.dumps(event).encode(), os.path.join(root, "run/accelnet-sim/events.sock"))
        reply = s.recv(4096).decode()
        s.close()
        os.unlink(path)
        if reply != "ok":
            raise RuntimeError(f"simulated event {event}: {reply}")
        return t0

    def idle(self, pid, seconds):
        # start-up's last work is over (reconcile, the first save's fsync) and, without corosync,
        # its reconnect attempts have backed off to their slowest (0.5 s doubling to 10 s)
        time.sleep(16)
        before, c0 = threads(pid), cpu_s(pid)
        time.sleep(seconds)
        after, c1 = threads(pid), cpu_s(pid)
        per = {}
        slices = switches = 0
        for tid, (comm, s1, x1) in after.items():
            s0, x0 = before.get(tid, (comm, 0, 0))[1:]
            key = f"{comm}[{tid}]"
            per[key] = {"timeslices_per_min": round((s1 - s0) * 60 / seconds, 1),
                        "ctxt_switches_per_min": round((x1 - x0) * 60 / seconds, 1)}
            slices += s1 - s0
            switches += x1 - x0
        return {"window_s": seconds, "threads": len(after), "per_thread": per,
                "wakeups_per_min": round(slices * 60 / seconds, 1),
                "ctxt_switches_per_min": round(switches * 60 / seconds, 1),
                "cpu_ms_per_min": round((c1 - c0) * 1000 * 60 / seconds, 2)}

    def latencies(self, root, watch, rounds):
        """[(kind, ms)] for link down/up and unbind/bind, `rounds` of each pair."""
        out = {"link_down": [], "link_up": [], "unbind": [], "bind": []}
        pairs = (("link_down", {"pf": IFNAME, "event": "link", "carrier": False}, "Failed"),
                 ("link_up", {"pf": IFNAME, "event": "link", "carrier": True}, "Healthy"),
                 ("unbind", {"pf": PF, "event": "unbind"}, "Failed"),
                 ("bind", {"pf": PF, "event": "bind"}, "Healthy"))
        for i in range(rounds):
            for kind, ev, state in pairs:
                n = len(watch.signals)
                t0 = self.sim(root, ev)
                if not watch.wait(n + 1):
                    raise RuntimeError(f"no HealthChanged after {ev}")
                t1, pf, st, _ = watch.signals[n]
                if (pf, st) != (PF, state):
                    raise RuntimeError(f"HealthChanged {pf} {st} after {ev}, expected {state}")
                out[kind].append((t1 - t0) * 1000)
                time.sleep(0.02)
        return out

    def revoke_latencies(self, root, cfg0, uri, rounds):
        """ms from a link-down datagram to VMChanged(vm, revoked), `rounds` times: accelnetd on
        an intent of ens1f0 alone (the simulated host's root of the first part, a fresh
        configuration and state), web2 holding one of its VFs."""
        b = self.b
        cfg, state = cfg0 + "-revoke", os.path.join(b.dir, "state-revoke")
        shutil.copytree(cfg0, cfg)
        with open(os.path.join(cfg, "intents.d", "only1.json"), "w") as f:
            json.dump({"name": "only1", "types": ["compute"], "adapters": [IFNAME]}, f)
        with open(os.path.join(cfg, "accelnet.json")) as f:
            settings = json.load(f)
        settings["health"] = {"flap_count": 1000, "flap_window_s": 1}
        with open(os.path.join(cfg, "accelnet.json"), "w") as f:
            json.dump(settings, f)
        p, _, _ = b.start_daemon(root, cfg, state, uri, "accelnetd-revoke.log", serve=True)
        watch = SignalWatch(b.env, "VMChanged", 2)
        out = []
        try:
            for args in (("Enable", "su", "only1", "0"), ("EnableVM", "ss", "web2", "Low")):
                r = b.busctl(*args)
                if r.returncode != 0:
                    raise RuntimeError(f"{args[0]} failed: {r.stderr}")
            time.sleep(0.5)  # dbus-monitor's match is in place
            for i in range(rounds):
                n = len(watch.signals)
                t0 = self.sim(root, {"pf": IFNAME, "event": "link", "carrier": False})
                deadline = time.monotonic() + 10
                while not any(sig[1:] == ("web2", "revoked") for sig in watch.signals[n:]):
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"no VMChanged(web2, revoked) after link down: {watch.signals[n:]}")
                    watch.wait(len(watch.signals) + 1, 1)
                t1 = next(sig[0] for sig in watch.signals[n:] if sig[1:] == ("web2", "revoked"))
                out.append((t1 - t0) * 1000)
                n = len(watch.signals)
                self.sim(root, {"pf": IFNAME, "event": "link", "carrier": True})
                deadline = time.monotonic() + 10
                while not any(sig[1:] == ("web2", "enabled") for sig in watch.signals[n:]):
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"web2 got no VF back after link up: {watch.signals[n:]}")
                    watch.wait(len(watch.signals) + 1, 1)
                time.sleep(0.05)
        finally:
            watch.close()
            b.stop_daemon(p)
        return out

    def run(self):
        b = self.b
        root, cfg, state, uri = b.sim_env()
        # no quarantine in the way of the repeated link changes; the default debounce stays
        with open(os.path.join(cfg, "accelnet.json")) as f:
            settings = json.load(f)
        settings["health"] = {"flap_count": 1000, "flap_window_s": 1}
        with open(os.path.join(cfg, "accelnet.json"), "w") as f:
            json.dump(settings, f)
        p, _, _ = b.start_daemon(root, cfg, state, uri, "accelnetd-health.log", serve=True)
        watch = None
        try:
            r = b.busctl("Enable", "su", "compute", "0")
            if r.returncode != 0:
                raise RuntimeError(f"Enable failed: {r.stderr}")
            window = 20 if b.quick else 60
            log(f"  idle: {window} s of nothing ...")
            idle = self.idle(p.pid, window)
            log(f"  idle: {idle['wakeups_per_min']} wake-ups/min over {idle['threads']} threads, "
                f"{idle['cpu_ms_per_min']} ms CPU/min: " +
                ", ".join(f"{k} {v['timeslices_per_min']}" for k, v in idle["per_thread"].items()
                          if v["timeslices_per_min"] > 0))
            watch = SignalWatch(b.env)
            time.sleep(0.5)  # dbus-monitor's match is in place
            rounds = 10 if b.quick else 40
            lat = self.latencies(root, watch, rounds)
            stats = {k: {"n": len(v), "p50_ms": round(statistics.median(v), 2), "max_ms": round(max(v), 2)}
                     for k, v in lat.items()}
            log("  event -> HealthChanged: " + ", ".join(f"{k} p50 {s['p50_ms']} ms" for k, s in stats.items()))
            b.res["health"] = {"idle": idle, "event_to_state": stats,
                               "link_down_debounce_ms": 50,
                               "note": "t0: the simulated kernel's datagram sent; t1: dbus-monitor's stamp of "
                                       "HealthChanged. link_down includes the 50 ms debounce."}
            b.res["idle_wakeups_per_min"] = idle["wakeups_per_min"]
            b.res["idle_cpu_ms_per_min"] = idle["cpu_ms_per_min"]
            b.res["health_event_to_state_ms_p50"] = stats["link_down"]["p50_ms"]
            b.res["health_unbind_to_state_ms_p50"] = stats["unbind"]["p50_ms"]
            b.res["health_link_up_to_state_ms_p50"] = stats["link_up"]["p50_ms"]
        finally:
            if watch:
                watch.close()
            b.stop_daemon(p)
        rev = self.revoke_latencies(root, cfg, uri, 10 if b.quick else 30)
        b.res["health"]["event_to_revoke"] = {"n": len(rev), "p50_ms": round(statistics.median(rev), 2),
                                              "max_ms": round(max(rev), 2)}
        b.res["health_event_to_revoke_ms_p50"] = round(statistics.median(rev), 2)
        log(f"  link down -> VF revoked (VMChanged revoked): p50 {b.res['health_event_to_revoke_ms_p50']} ms, "
            f"max {round(max(rev), 2)} ms over {len(rev)}")
