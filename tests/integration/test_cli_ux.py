#!/usr/bin/env python3
"""accelnetctl's usability (issue 14): errors in JSON, prerequisite exit status, the status
lines, 80 columns, "did you mean", completion, monitor, progress and VM selection - against
a real accelnetd on the simulated host (conf/simulate: web1, web2, db1, tiny, batch, nonic)."""
import copy
import fcntl
import glob
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time

from harness import ACCELNETCTL, BUILD_DIR, PREREQ_TOOL, SIM_DIR, SOURCE_DIR, TestCase, main

COMPLETION = os.path.join(SOURCE_DIR, "completion", "accelnetctl")
WIDTH = 80
VERB_HELP = [("status",), ("prereq",), ("enable",), ("set",), ("disable",), ("adapters",), ("intents",),
             ("health",), ("monitor",), ("vm", "enable"), ("vm", "set"), ("vm", "disable"), ("vm", "list"),
             ("vm", "revoke"), ("vm", "restore"), ("adapter", "drain"), ("adapter", "restore"),
             ("cluster", "status"), ("cluster", "nodes"), ("vm",), ("adapter",), ("cluster",), ()]


def sim_host():
    with open(os.path.join(SIM_DIR, "host.json")) as f:
        return json.load(f)


def too_wide(text, width=WIDTH):
    return [line for line in text.splitlines() if len(line) > width]


class UxCase(TestCase):
    # every stderr line accelnetctl printed in this test, checked for width at the end
    def setUp(self):
        self.seen_err = []

    def ctl(self, env, *args, **kw):
        r = env.ctl(*args, **kw)
        self.seen_err.append((args, r.err))
        return r

    def tearDown(self):
        for args, err in self.seen_err:
            self.assertEqual(too_wide(err), [], f"accelnetctl {' '.join(args)}: stderr wider than {WIDTH}")


class JsonErrors(UxCase):
    def test_errors_are_json_on_stdout_with_the_same_exit_status(self):
        env = self.make_env()
        env.start()
        # a daemon error: exit 1, {"error": short name, "message": ...}, the line on stderr too
        r = self.ctl(env, "vm", "enable", "web1", "--performance", "high", "--json")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(json.loads(r.out)["error"], "NotEnabled", r)
        self.assertIn("not enabled", json.loads(r.out)["message"])
        self.assertIn("not enabled", r.err)
        plain = self.ctl(env, "vm", "enable", "web1", "--performance", "high")
        self.assertEqual((plain.rc, plain.out), (1, ""))
        # --json=short: one line
        r = self.ctl(env, "--json=short", "enable", "--intent", "storage")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(len(r.out.splitlines()), 1, r)
        self.assertEqual(json.loads(r.out)["error"], "IntentTypeCheckFailed")
        # usage errors: exit 2, nothing sent, error "UsageError"
        for argv in (["vm", "enable", "web1", "--json"], ["vm", "enabel", "web1", "--json"],
                     ["--json", "--node-reserve", "100", "enable", "--intent", "compute"],
                     ["enable", "--intent", "compute", "--node-reserve", "100", "--json=short"]):
            r = self.ctl(env, *argv)
            self.assertEqual(r.rc, 2, r)
            self.assertEqual(json.loads(r.out)["error"], "UsageError", r)
            self.assertEqual(self.ctl(env, *[a for a in argv if not a.startswith("--json")]).out, "")
        # an error of the bus: a D-Bus error's short name
        r = self.ctl(env, "vm", "enable", "web1", "--performance", "low", "--json", "--no-ask-password",
                     user="nobody")
        self.assertEqual(r.rc, 1, r)
        self.assertIn(json.loads(r.out)["error"], ("AccessDenied", "InteractiveAuthorizationRequired"))
        # several VMs, some failing: the results are the JSON (one document), exit 1
        self.assertEqual(self.ctl(env, "enable", "--intent", "compute").rc, 0)
        r = self.ctl(env, "vm", "enable", "web2", "tiny", "--performance", "high", "--json")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual({x["vm"]: x["error"] for x in json.loads(r.out)},
                         {"web2": "", "tiny": "org.accelnet1.Error.VmNotEnoughVcpus"})
        # the daemon gone: NotRunning
        env.stop()
        r = self.ctl(env, "status", "--json")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(json.loads(r.out)["error"], "NotRunning")
        self.assertIn("accelnetd is not running", r.err)


class Prereq(UxCase):
    def test_exit_status_failed_filter_and_adapter_reasons(self):
        env = self.make_env()
        env.start()
        r = self.ctl(env, "prereq")
        # ens3 lacks ACS, the E810 has no driver: a check failed (exit 3), the report printed
        self.assertEqual(r.rc, 3, r)
        self.assertIn("35 checks", r.out)
        rows = json.loads(self.ctl(env, "prereq", "--json").out)
        adapters = [x for x in rows if x["check"] == "adapters"][0]
        self.assertIn("4 of 6", adapters["detail"])
        self.assertIn("0000:07:00.0 (ens3) MissingAcs", adapters["detail"])
        self.assertIn("0000:08:00.0 MissingPfDriver", adapters["detail"])
        # --failed: only the Failed and Warning rows, the exit status the same
        r = self.ctl(env, "prereq", "--failed")
        self.assertEqual(r.rc, 3, r)
        results = [line.split()[0] for line in r.out.splitlines()[1:] if line and not line.startswith(" ")]
        self.assertEqual(results[:-1], ["Failed"] * 3, r.out)     # the last line is the footer
        self.assertNotIn("Passed iommu", r.out)
        js = json.loads(self.ctl(env, "prereq", "--failed", "--json").out)
        self.assertEqual({x["result"] for x in js}, {"Failed"})
        self.assertEqual(len(js), 3)
        self.assertEqual(self.ctl(env, "vm", "list", "--failed").rc, 2)

    def test_a_host_that_passes_exits_0(self):
        h = sim_host()
        # only the first root port with its two healthy igb PFs
        h["devices"] = h["devices"][:1]
        env = self.make_env(host_json=h)
        env.start()
        r = self.ctl(env, "prereq")
        self.assertEqual(r.rc, 0, r)
        r = self.ctl(env, "prereq", "--failed")
        self.assertEqual(r.rc, 0, r)
        self.assertNotIn("Passed", r.out)


class Status(UxCase):
    def test_unknown_hyperthreading_and_the_reserve_while_disabled(self):
        h = sim_host()
        h.pop("smt", None)
        env = self.make_env(host_json=h)
        env.start()
        self.assertEqual(env.prop("HyperthreadingState"), "unknown")
        out = self.ctl(env, "status").out
        self.assertIn("Hyperthreading: unknown (the stricter minimums apply)\n", out)
        self.assertNotIn("Node reserve", out)       # disabled: no reserve applies
        st = json.loads(self.ctl(env, "status", "--json").out)
        self.assertEqual(st["hyperthreading_state"], "unknown")
        self.assertEqual(self.ctl(env, "enable", "--intent", "compute", "--node-reserve", "30").rc, 0)
        self.assertIn("Node reserve: 30%\n", self.ctl(env, "status").out)

    def test_known_hyperthreading(self):
        env = self.make_env()
        env.start()
        self.assertEqual(env.prop("HyperthreadingState"), "off")
        self.assertIn("Hyperthreading: off\n", self.ctl(env, "status").out)


class Width(UxCase):
    def test_help_and_man_pages_fit_80_columns(self):
        for words in VERB_HELP:
            r = subprocess.run([ACCELNETCTL, *words, "--help"], capture_output=True, text=True)
            self.assertEqual(r.returncode, 0, (words, r))
            self.assertEqual(too_wide(r.stdout), [], words)
        r = subprocess.run([PREREQ_TOOL, "--help"], capture_output=True, text=True)
        self.assertEqual(too_wide(r.stdout), [])
        pages = sorted(glob.glob(os.path.join(SOURCE_DIR, "man", "*.[158]")))
        self.assertGreaterEqual(len(pages), 6)
        for page in pages:
            r = subprocess.run(["groff", "-man", "-Tutf8", "-rLL=80n", "-P-cbou", page], capture_output=True,
                               text=True, env=dict(os.environ, LC_ALL="C.UTF-8"))
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertGreater(len(r.stdout), 1000, page)
            self.assertEqual(too_wide(r.stdout), [], page)

    def test_error_messages_fit_80_columns(self):
        """Every verb's error paths on the simulated host; tearDown measures every stderr line."""
        with open(os.path.join(SIM_DIR, "config", "intents.d", "compute.json")) as f:
            compute = json.load(f)
        # "bad": adapters that fail their checks; Enable's message carries their whole evidence
        env = self.make_env(intents={"compute": compute, "storage": {"name": "storage", "types": ["storage"],
                                                                     "adapters": ["ens2f1"]},
                                     "bad": {"name": "bad", "types": ["compute"], "adapters": ["ens3"]}})
        env.start()
        r = self.ctl(env, "enable", "--intent", "bad", "--json=short")
        self.assertEqual(r.rc, 1, r)
        self.assertGreater(len(json.loads(r.out)["message"]), 600)     # the 762-column line of issue 14
        self.assertGreater(len(r.err.splitlines()), 8)
        cases = [("enable", "--intent", "storage"), ("enable", "--intent", "nope"), ("set", "--node-reserve", "5"),
                 ("disable",), ("vm", "enable", "web1", "--performance", "low"), ("vm", "set", "web1",
                 "--performance", "low"), ("vm", "disable", "web1"), ("vm", "revoke", "web1"),
                 ("vm", "restore", "web1"), ("adapter", "drain", "ens9"), ("adapter", "restore", "ens3"),
                 ("enable", "--intent", "compute", "--node-reserve", "100"), ("vm", "enable", "x" * 300),
                 ("vm", "enable", "web1", "--performance", "ultra"), ("--bogus",), ("vm", "frob")]
        for c in cases:
            self.ctl(env, *c)
        self.assertEqual(self.ctl(env, "enable", "--intent", "compute", "--node-reserve", "95").rc, 0)
        cases = [("vm", "enable", "tiny", "--performance", "high"), ("vm", "enable", "nonic", "--performance", "low"),
                 ("vm", "enable", "nosuch", "--performance", "low"), ("vm", "enable", "web1", "web2", "db1", "batch",
                 "--performance", "high"), ("vm", "set", "web2", "--performance", "low"),
                 ("vm", "disable", "tiny"), ("enable", "--intent", "compute"), ("set", "--intent", "storage"),
                 ("set", "--node-reserve", "99"), ("adapter", "drain", "ens3"), ("vm", "revoke", "tiny"),
                 ("vm", "restore", "batch"), ("adapter", "restore", "ens1f0")]
        for c in cases:
            self.ctl(env, *c)
        self.assertTrue(any(len(err) > 60 for _, err in self.seen_err))


class Suggest(UxCase):
    def test_did_you_mean_and_the_verbs_help(self):
        env = self.make_env()
        env.start()
        for argv, want, see in [
                (["vm", "enabel", "web1"], "Unknown vm command 'enabel'. Did you mean 'enable'?",
                 "See 'accelnetctl vm --help'."),
                (["stauts"], "Unknown command 'stauts'. Did you mean 'status'?", "See 'accelnetctl --help'."),
                (["vmm", "list"], "Unknown command 'vmm'. Did you mean 'vm'?", "See 'accelnetctl --help'."),
                (["vm", "enable", "web1", "--performace", "low"],
                 "Unknown option '--performace'. Did you mean '--performance'?",
                 "See 'accelnetctl vm enable --help'."),
                (["vm", "enable", "web1", "--performance", "hihg"],
                 "Invalid --performance value 'hihg': expected low, medium or high. Did you mean 'high'?",
                 "See 'accelnetctl vm enable --help'."),
                (["vm", "enable", "web1"], "'vm enable' needs --performance", "See 'accelnetctl vm enable --help'."),
                (["adapter", "drain"], "'adapter drain' needs an adapter", "See 'accelnetctl adapter drain --help'."),
                (["vm", "list", "--enabeld"], "Did you mean '--enabled'?", "See 'accelnetctl vm list --help'."),
        ]:
            r = self.ctl(env, *argv)
            self.assertEqual(r.rc, 2, r)
            self.assertIn(want, r.err.replace("\n", " "))
            self.assertEqual(r.err.splitlines()[-1], see, r)
        # nothing close: no suggestion
        r = self.ctl(env, "frobnicate")
        self.assertNotIn("Did you mean", r.err)


def complete(env, line):
    """COMPREPLY of the completion function for the command line (the cursor at its end)."""
    words = line.split(" ")
    script = (f"source /usr/share/bash-completion/bash_completion 2>/dev/null\n"
              f"source {COMPLETION}\n"
              f"accelnetctl() {{ {ACCELNETCTL} \"$@\"; }}\n"
              f"COMP_WORDS=({' '.join(repr(w) if w else repr('') for w in words)})\n"
              f"COMP_CWORD={len(words) - 1}\nCOMP_LINE={line!r}\nCOMP_POINT={len(line)}\n"
              f"_accelnetctl accelnetctl '{words[-1]}' '{words[-2]}'\n"
              "printf '%s\\n' \"${COMPREPLY[@]}\"\n")
    r = subprocess.run(["bash", "-c", script], env=dict(env.env(), PATH=os.path.dirname(ACCELNETCTL) + ":" +
                                                           os.environ["PATH"]),
                       capture_output=True, text=True, timeout=30)
    return sorted(x for x in r.stdout.splitlines() if x)


class Completion(UxCase):
    def test_vms_by_state_and_compute_intents(self):
        env = self.make_env()
        env.start()
        self.assertEqual(self.ctl(env, "enable", "--intent", "compute").rc, 0)
        self.assertEqual(self.ctl(env, "vm", "enable", "web1", "db1", "--performance", "low").rc, 0)
        # enable: only the disabled VMs that could be enabled (not nonic: no virtio NIC; not
        # tiny: 1 vCPU); disable/set: only enabled ones
        self.assertEqual(complete(env, "accelnetctl vm enable "), ["batch", "web2"])
        self.assertEqual(complete(env, "accelnetctl vm disable "), ["db1", "web1"])
        self.assertEqual(complete(env, "accelnetctl vm set "), ["db1", "web1"])
        self.assertEqual(complete(env, "accelnetctl vm enable w"), ["web2"])
        self.assertEqual(complete(env, "accelnetctl vm revoke "), ["db1", "web1"])
        # with --performance on the line: the VMs eligible for that tier (web1 has 2 vCPUs,
        # High needs 4 with hyperthreading off), any case, either form
        self.assertEqual(complete(env, "accelnetctl vm set --performance high "), ["db1"])
        self.assertEqual(complete(env, "accelnetctl vm set --performance=HIGH "), ["db1"])
        self.assertEqual(complete(env, "accelnetctl vm set --performance Low "), ["db1", "web1"])
        self.assertEqual(complete(env, "accelnetctl vm enable --performance High "), ["batch", "web2"])
        self.assertEqual(complete(env, "accelnetctl vm disable --performance high "), ["db1", "web1"])
        self.assertEqual(self.ctl(env, "vm", "disable", "web1").rc, 0)
        self.assertEqual(complete(env, "accelnetctl vm enable --performance medium "), ["batch", "web1", "web2"])
        self.assertEqual(complete(env, "accelnetctl vm enable --performance high "), ["batch", "web2"])
        self.assertEqual(complete(env, "accelnetctl vm enable "), ["batch", "web1", "web2"])
        # intents with the compute type only (storage has none)
        self.assertEqual(complete(env, "accelnetctl enable --intent "), ["compute"])
        self.assertEqual(complete(env, "accelnetctl vm enab"), ["enable"])
        self.assertIn("monitor", complete(env, "accelnetctl mon"))
        self.assertEqual(complete(env, "accelnetctl prereq --f"), ["--failed"])


    def test_vms_from_an_older_daemon(self):
        """Without "eligible_tiers" (a daemon before it, or without ListVMsEx) every VM in the
        state is offered, as before. The records are those accelnetctl printed for such a
        daemon (vm list --json=short from ListVMs)."""
        older = ('[{"vm":"nonic","state":"disabled","performance":"","vf":"","note":""},'
                 '{"vm":"tiny","state":"disabled","performance":"","vf":"","note":""},'
                 '{"vm":"web1","state":"enabled","performance":"Low","vf":"0000:01:10.0","note":""}]')
        newer = ('[{"vm":"nonic","state":"disabled","performance":"","vf":"","note":"","eligible_tiers":[]},'
                 '{"vm":"tiny","state":"disabled","performance":"","vf":"","note":"","node":"b",'
                 '"eligible_tiers":["Low","Medium"]},'
                 '{"vm":"web1","state":"enabled","performance":"Low","vf":"0000:01:10.0","note":""}]')

        def field(json_text, *args):
            script = (f"source {COMPLETION}\nprintf '%s' \"$1\" | __accelnetctl_json_field vm \"${{@:2}}\"\n")
            r = subprocess.run(["bash", "-c", script, "bash", json_text, *args], capture_output=True, text=True,
                               timeout=30)
            self.assertEqual(r.stderr, "")
            return sorted(r.stdout.split())

        self.assertEqual(field(older, "disabled", "", "any"), ["nonic", "tiny"])
        self.assertEqual(field(older, "disabled", "", "high"), ["nonic", "tiny"])
        self.assertEqual(field(older, "enabled", "", "high"), ["web1"])
        self.assertEqual(field(newer, "disabled", "", "any"), ["tiny"])
        self.assertEqual(field(newer, "disabled", "", "MEDIUM"), ["tiny"])
        self.assertEqual(field(newer, "disabled", "", "high"), [])
        self.assertEqual(field(newer, "enabled", "", "high"), ["web1"])   # no key: kept
        self.assertEqual(field(newer, "disabled"), ["nonic", "tiny"])      # no tier asked


class LineReader:
    """A process's stdout lines as they come (a thread reads them)."""

    def __init__(self, proc):
        import threading
        self.proc, self.lines, self.lock = proc, [], threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def wait(self, pred, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                if any(pred(x) for x in self.lines):
                    return True
            time.sleep(0.05)
        return False

    def all(self):
        with self.lock:
            return list(self.lines)


class Monitor(UxCase):
    def start_monitor(self, env, *args):
        p = subprocess.Popen([ACCELNETCTL, "monitor", *args], env=env.env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        reader = LineReader(p)

        def end():
            if p.poll() is None:
                p.kill()
            p.wait(10)
            reader.thread.join(5)
            p.stdout.close()
            p.stderr.close()
        self.addCleanup(end)
        # ready when it shows a change: the reserve set back and forth until a line comes
        for i in range(50):
            self.assertEqual(self.ctl(env, "set", "--node-reserve", str(40 + i % 2)).rc, 0)
            if reader.wait(lambda x: "NodeReservePercentage" in x or "node_reserve_percentage" in x, 0.3):
                return p, reader
        self.fail("accelnetctl monitor showed no event")

    def test_events_one_line_each_until_interrupted(self):
        env = self.make_env()
        env.start()
        self.assertEqual(self.ctl(env, "enable", "--intent", "compute").rc, 0)
        text, reader = self.start_monitor(env)
        js, jreader = self.start_monitor(env, "--json")
        self.assertEqual(self.ctl(env, "vm", "enable", "web2", "--performance", "low").rc, 0)
        stamp = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z "
        self.assertTrue(reader.wait(lambda x: re.match(stamp + "VM web2: enabled$", x)), reader.all())
        self.assertTrue(reader.wait(lambda x: re.match(stamp + "Manager: .*AssignedVFs=1", x)), reader.all())
        self.assertTrue(jreader.wait(lambda x: json.loads(x).get("vm") == "web2"), jreader.all())
        events = [json.loads(x) for x in jreader.all()]
        self.assertIn({"event": "VMChanged", "vm": "web2", "state": "enabled"},
                      [{k: v for k, v in e.items() if k != "time"} for e in events])
        self.assertTrue(all(re.match(r"^\d{4}-.*Z$", e["time"]) for e in events))
        self.assertTrue(any(e["event"] == "PropertiesChanged" and e["changed"].get("assigned_vfs") == 1
                            for e in events), events)
        # a drain's progress
        self.assertEqual(self.ctl(env, "adapter", "drain", "ens1f0").rc, 0)
        self.assertTrue(reader.wait(lambda x: re.match(stamp + r"Draining 0000:01:00\.0: \d+ of \d+ VFs? revoked", x)),
                        reader.all())
        self.assertTrue(jreader.wait(lambda x: json.loads(x)["event"] == "DrainProgress"))
        # every line is one JSON object; the human lines fit 80 columns
        self.assertEqual(too_wide("\n".join(reader.all())), [])
        # SIGINT and SIGTERM: exit status 0
        text.send_signal(signal.SIGINT)
        js.send_signal(signal.SIGTERM)
        self.assertEqual(text.wait(10), 0, text.stderr.read())
        self.assertEqual(js.wait(10), 0)

    def test_not_running(self):
        env = self.make_env()
        r = self.ctl(env, "monitor", "--json")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual(json.loads(r.out)["error"], "NotRunning")


class Selection(UxCase):
    def test_all_eligible_stdin_and_set_many(self):
        env = self.make_env()
        env.start()
        self.assertEqual(self.ctl(env, "enable", "--intent", "compute", "--node-reserve", "0").rc, 0)
        self.assertEqual(self.ctl(env, "vm", "enable", "db1", "--performance", "low").rc, 0)
        # High needs 4 vCPUs: web1 (2) and tiny (1) are skipped, nonic has no virtio NIC; db1 is
        # enabled already and not touched
        r = self.ctl(env, "vm", "enable", "--all-eligible", "--performance", "high")
        self.assertEqual(r.rc, 0, r)
        rows = {l.split()[0]: l.split()[1:] for l in r.out.splitlines()[1:] if l and not l.startswith(" ")
                and l[0].isalpha() and not l[0].isdigit()}
        self.assertEqual(rows["web2"], ["done", "-"])
        self.assertEqual(rows["batch"], ["done", "-"])
        self.assertEqual(rows["web1"], ["skipped", "VmNotEnoughVcpus"])
        self.assertEqual(rows["tiny"], ["skipped", "VmNotEnoughVcpus"])
        self.assertEqual(rows["nonic"], ["skipped", "GetNetworkAdapterFailed"])
        self.assertNotIn("db1", rows)
        self.assertIn("2 done, 3 skipped, 0 failed.", r.out)
        # each skipped VM's full message (EnableVMsEx): its count and the tier's minimum
        self.assertIn("VM 'tiny' has 1 vCPU(s); performance High needs at least 4", " ".join(r.out.split()))
        vms = {v["vm"]: v for v in json.loads(self.ctl(env, "vm", "list", "--json").out)}
        self.assertEqual((vms["web2"]["performance"], vms["batch"]["performance"], vms["db1"]["performance"]),
                         ("High", "High", "Low"))
        self.assertEqual(vms["web1"]["state"], "disabled")
        # again: only the skipped ones are left, nothing fails
        r = self.ctl(env, "vm", "enable", "--all-eligible", "--performance", "low", "--json=short")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual({x["vm"]: x["result"] for x in json.loads(r.out)},
                         {"web1": "done", "tiny": "skipped", "nonic": "skipped"})
        # names with --all-eligible: a usage error
        self.assertEqual(self.ctl(env, "vm", "enable", "web1", "--all-eligible", "--performance", "low").rc, 2)

        # vm set with several VMs, the names from stdin ("-"): a table, exit 1 if one failed
        p = subprocess.run([ACCELNETCTL, "vm", "set", "-", "--performance", "medium"], input="  web2 \n\n\tbatch\n",
                           env=env.env(), capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p)
        self.assertIn("2 done, 0 failed.", p.stdout)
        vms = {v["vm"]: v for v in json.loads(self.ctl(env, "vm", "list", "--json").out)}
        self.assertEqual((vms["web2"]["performance"], vms["batch"]["performance"]), ("Medium", "Medium"))
        r = self.ctl(env, "vm", "set", "web2", "nonic", "db1", "--performance", "high", "--json=short")
        self.assertEqual(r.rc, 1, r)
        self.assertEqual({x["vm"]: x["result"] for x in json.loads(r.out)},
                         {"web2": "done", "nonic": "failed", "db1": "done"})
        self.assertIn("1 of 3 VMs failed.", r.err)
        # each failed VM with its full message, as EnableVMsEx gives it (SetVM's error message)
        nonic = next(x for x in json.loads(r.out) if x["vm"] == "nonic")
        self.assertIn("VM 'nonic' is not accelerated", nonic["message"])
        r = self.ctl(env, "vm", "set", "web2", "nonic", "--performance", "low")
        self.assertIn(nonic["message"][:40], " ".join(r.out.split()), r)
        # vm disable with names from stdin
        p = subprocess.run([ACCELNETCTL, "vm", "disable", "-"], input="web2\ndb1\n", env=env.env(),
                           capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p)
        vms = {v["vm"]: v for v in json.loads(self.ctl(env, "vm", "list", "--json").out)}
        self.assertEqual((vms["web2"]["state"], vms["db1"]["state"]), ("disabled", "disabled"))
        # nothing on stdin: a usage error, nothing sent
        p = subprocess.run([ACCELNETCTL, "vm", "disable", "-"], input="\n  \n", env=env.env(), capture_output=True,
                           text=True)
        self.assertEqual(p.returncode, 2, p)
        self.assertIn("No VM names on standard input", p.stderr)


def run_on_pty(env, argv, timeout=60, columns=200):
    """argv with stdin, stdout and stderr on a pseudo-terminal; (exit status, all it wrote)."""
    pid, fd = pty.fork()
    if pid == 0:
        e = env.env()
        e["COLUMNS"] = str(columns)
        os.execve(argv[0], argv, e)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    out = b""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode()


class Progress(UxCase):
    def slow_numvfs(self, env, ms):
        path = os.path.join(env.root, "run/accelnet-sim/numvfs-delay-ms")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(str(ms))

    def test_enable_shows_each_adapters_progress_on_a_terminal(self):
        env = self.make_env()
        env.start()
        self.slow_numvfs(env, 300)
        rc, out = run_on_pty(env, [ACCELNETCTL, "enable", "--intent", "compute"])
        self.assertEqual(rc, 0, out)
        for name, address in (("ens1f0", "0000:01:00.0"), ("ens1f1", "0000:01:00.1"), ("ens2f0", "0000:03:00.0"),
                              ("ens2f1", "0000:03:00.1")):
            self.assertIn(f"Provisioning {name} ({address}): 0 of 8 VFs created", out)
            self.assertRegex(out, rf"\rProvisioned {name} \({address}\): 8 VFs created\. *\r\n")
        # in order: each adapter's end before the next one's start
        self.assertLess(out.index("Provisioned ens1f0"), out.index("Provisioning ens1f1"))
        self.assertEqual(json.loads(self.ctl(env, "status", "--json").out)["capacity_vfs"], 32)

    def test_quiet_with_json_or_without_a_terminal(self):
        from vmlib import Monitor as BusMonitor
        env = self.make_env()
        env.start()
        self.slow_numvfs(env, 100)
        mon = BusMonitor(env)
        self.addCleanup(mon.close)
        r = self.ctl(env, "enable", "--intent", "compute")
        self.assertEqual((r.rc, r.out, r.err), (0, "", ""))
        # the daemon said how far it was all the same: each adapter at 0 and at 8 of 8
        self.assertTrue(mon.wait(lambda t: t.count("member=ProvisionProgress") >= 8, 5), mon.text())
        progress = re.findall(r'member=ProvisionProgress\n\s+string "([^"]*)"\n\s+uint32 (\d+)\n\s+uint32 (\d+)',
                              mon.text())
        self.assertEqual(sorted(set(progress)), sorted({(a, d, "8") for a in ("0000:01:00.0", "0000:01:00.1",
                                                                              "0000:03:00.0", "0000:03:00.1")
                                                       for d in ("0", "8")}))
        # --json on a terminal: only the JSON
        self.assertEqual(self.ctl(env, "disable").rc, 0)
        self.assertEqual(self.ctl(env, "set", "--node-reserve", "10").rc, 1)   # not enabled
        rc, out = run_on_pty(env, [ACCELNETCTL, "enable", "--intent", "compute", "--json=short"])
        self.assertEqual(rc, 0, out)
        self.assertEqual(out.strip(), '{"result":"done"}')


if __name__ == "__main__":
    main()
