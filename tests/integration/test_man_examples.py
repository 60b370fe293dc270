"""Every example in the man pages runs, as written, on the simulated host.

The EXAMPLES section of each page in man/ is read from the roff source (its .nf/.fi blocks,
escapes undone) and run:

* accelnetctl(1): each line that starts with a program (accelnetctl, printf ... | accelnetctl,
  timeout ... accelnetctl) is a command, run by bash in order against
  accelnetd on the built-in simulated host (conf/simulate: intent "compute", adapters ens1f0..,
  VMs web1, web2, db1, tiny, batch, nonic) with a real libvirtd hosting the test driver. It
  must exit 0, or with the status a roff comment `.\\" exit: N` just before it names. The
  lines after a command, up to the next command, are the output the page shows: each must
  appear in what the command printed (spaces collapsed).
* accelnetd(8) and accelnet-exporter(8): a block whose lines run programs is run as one bash
  script with `set -e`, in a private mount and network namespace (tmpfs over /var/lib, /run
  and, when it exists, /etc/accelnet, so the daemon's default state and config folders are
  empty ones; loopback only, so port 9870 is the example's own), /tmp in the text pointing
  at a scratch folder, the built programs first on PATH, and the private bus of this test
  as the system bus; background jobs are killed at the end. A block that is a Prometheus
  configuration goes through `promtool check config`.
* accelnet.json(5): the JSON blocks are written where the page says (accelnet.json,
  intents.d/NAME.json) and accelnetd must load them and the command the page ends with must
  succeed.
* accelnet-hook(8): the block of its INSTALLATION section installs the hook under /etc/libvirt;
  run in a private mount namespace with tmpfs over /etc and the built hook bound on
  /usr/libexec/accelnet; the installed hook must run, and systemctl (there is no systemd
  here) records that libvirtd was to be restarted.

A page with an EXAMPLES section this test does not know fails it, so a new page gets a runner.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import ACCELNETCTL, BUILD_DIR, SOURCE_DIR, Env  # noqa: E402

MAN_DIR = os.path.join(SOURCE_DIR, "man")
BIN_DIR = os.path.join(BUILD_DIR, "src")
PROGRAMS = ("sudo ", "accelnetd", "accelnetctl", "accelnet-exporter", "accelnet-hook", "accelnet-prereq",
            "dbus-daemon", "curl", "mkdir", "ln", "systemctl", "virsh", "sleep", "printf", "timeout", "DBUS_SYSTEM_BUS_ADDRESS=")

ESCAPES = [(r"\-", "-"), (r"\(aq", "'"), (r"\(dq", '"'), (r"\e", "\\"), (r"\(em", "--"), (r"\ ", " "),
           (r"\&", ""), (r"\fB", ""), (r"\fI", ""), (r"\fR", ""), (r"\fP", "")]


def unroff(line):
    for a, b in ESCAPES:
        line = line.replace(a, b)
    return line


def examples(page, section="EXAMPLES"):
    """The section's .nf blocks: a list of [(line, exit_status)] where exit_status
    is the one a `.\\" exit: N` comment before the line names (None: 0 expected)."""
    with open(os.path.join(MAN_DIR, page)) as f:
        text = f.read().splitlines()
    blocks, block, in_section, in_block, status = [], None, False, False, None
    for raw in text:
        if raw.startswith(".SH"):
            in_section = raw.split(None, 1)[1].strip('"') == section if len(raw.split()) > 1 else False
            continue
        if not in_section:
            continue
        m = re.match(r'\.\\"\s*exit:\s*([\d|]+)', raw)
        if m:
            status = {int(x) for x in m.group(1).split("|")}
            continue
        if raw.startswith(".nf"):
            in_block, block = True, []
            continue
        if raw.startswith(".fi"):
            in_block = False
            blocks.append(block)
            continue
        if in_block and not raw.startswith("."):
            line = unroff(raw)
            if block and block[-1][0].endswith("\\"):      # a continued command line
                block[-1] = (block[-1][0][:-1] + line.strip(), block[-1][1])
            else:
                block.append((line, status))
                status = None
    return blocks


def is_command(line):
    return line.lstrip().startswith(PROGRAMS)


def squash(s):
    return " ".join(s.split())


def pages_with_examples():
    out = []
    for page in sorted(os.listdir(MAN_DIR)):
        with open(os.path.join(MAN_DIR, page)) as f:
            if re.search(r"^\.SH\s+\"?EXAMPLES", f.read(), re.M):
                out.append(page)
    return out


def namespace_script(scratch, body):
    """body run as root in a private mount and network namespace, with empty state folders."""
    etc = "mount -t tmpfs tmpfs /etc/accelnet" if os.path.isdir("/etc/accelnet") else ":"
    return f"""set -e -o pipefail
ip link set lo up
mount --make-rprivate /
mount -t tmpfs tmpfs /var/lib
mount -t tmpfs tmpfs /run
{etc}
export PATH={BIN_DIR}:{scratch}/bin:$PATH TMPDIR={scratch}
trap 'rc=$?; set +e; kill $(jobs -p) 2>/dev/null; wait; exit $rc' EXIT
cd {scratch}
{body}
"""


class ManExamples(unittest.TestCase):
    def setUp(self):
        self.scratch = tempfile.mkdtemp(prefix="accelnet-man-")
        os.makedirs(os.path.join(self.scratch, "bin"))
        promtool = os.environ.get("ACCELNET_PROMTOOL") or shutil.which("promtool")
        if promtool:
            os.symlink(promtool, os.path.join(self.scratch, "bin", "promtool"))

    def tearDown(self):
        shutil.rmtree(self.scratch, ignore_errors=True)

    def test_every_page_has_a_runner(self):
        known = {"accelnetctl.1", "accelnetd.8", "accelnet-exporter.8", "accelnet.json.5", "accelnet-hook.8",
                 "accelnet-prereq.1"}
        self.assertLessEqual(set(pages_with_examples()), known,
                             "a man page with EXAMPLES that this test does not run")

    def run_shell_blocks(self, page, env):
        ran = 0
        for block in examples(page):
            lines = [line for line, _ in block]
            if not any(is_command(line) for line in lines):
                if any(line.lstrip().startswith("scrape_configs:") for line in lines):
                    path = os.path.join(self.scratch, "prometheus.yml")
                    with open(path, "w") as f:
                        f.write("\n".join(lines) + "\n")
                    p = subprocess.run([os.path.join(self.scratch, "bin", "promtool"), "check", "config", path],
                                       capture_output=True, text=True)
                    self.assertEqual(p.returncode, 0, f"{page}: promtool check config:\n{p.stdout}{p.stderr}")
                    ran += 1
                continue
            body = "\n".join(line.replace("/tmp/", self.scratch + "/") for line in lines)
            p = subprocess.run(["unshare", "--mount", "--net", "bash", "-c", namespace_script(self.scratch, body)],
                               env=env, capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, f"{page}: the example\n{body}\nfailed:\n{p.stdout}{p.stderr}")
            ran += 1
        self.assertGreater(ran, 0, f"{page}: no example ran")

    def test_accelnetd_8(self):
        env = Env()
        self.addCleanup(env.close)
        self.run_shell_blocks("accelnetd.8", env.env())

    def test_accelnet_exporter_8(self):
        env = Env()
        self.addCleanup(env.close)
        self.run_shell_blocks("accelnet-exporter.8", env.env())

    def test_accelnet_hook_8(self):
        env = Env()
        self.addCleanup(env.close)
        libexec = os.path.join(self.scratch, "libexec")
        os.makedirs(libexec)
        shutil.copy(os.path.join(BIN_DIR, "accelnet-hook"), libexec)
        ran = 0
        for block in examples("accelnet-hook.8", "INSTALLATION"):
            lines = [line for line, _ in block]
            if not all(is_command(line) for line in lines):
                continue        # the messages the hook prints, not commands
            # No systemd here: systemctl records what it was asked.
            body = "mount -t tmpfs tmpfs /etc\nmkdir -p /usr/libexec/accelnet\n" \
                   f"mount --bind {libexec} /usr/libexec/accelnet\n" \
                   f"systemctl() {{ echo \"$*\" >> {self.scratch}/systemctl; }}\n" + "\n".join(lines) + \
                   "\n/etc/libvirt/hooks/qemu.d/accelnet --version\n" \
                   f"grep -qx 'restart libvirtd' {self.scratch}/systemctl\n"
            p = subprocess.run(["unshare", "--mount", "--net", "bash", "-c", namespace_script(self.scratch, body)],
                               env=env.env(), capture_output=True, text=True, timeout=60)
            self.assertEqual(p.returncode, 0, f"the example\n{body}\nfailed:\n{p.stdout}{p.stderr}")
            ran += 1
        self.assertGreater(ran, 0)

    def test_accelnet_prereq_1(self):
        """Each line on its own, the simulated host's description where the package installs it
        (bound there from conf/simulate); sudo as root is the command itself; an exit status
        the page does not give must be 0, or 3 (a check failed) for the real host's check."""
        ran = 0
        for block in examples("accelnet-prereq.1"):
            for line, status in block:
                if not is_command(line):
                    continue
                body = "mkdir -p /usr/share/accelnet/simulate\n" \
                       f"mount --bind {SOURCE_DIR}/conf/simulate /usr/share/accelnet/simulate\n" \
                       'sudo() { "$@"; }\n' + line + "\n"
                p = subprocess.run(["unshare", "--mount", "--net", "bash", "-c",
                                    namespace_script(self.scratch, body).replace("set -e -o pipefail", "set -o pipefail")],
                                   capture_output=True, text=True, timeout=60)
                allowed = status or ({0, 3} if line.startswith("sudo") else {0})
                self.assertIn(p.returncode, allowed, f"`{line}`:\n{p.stdout}{p.stderr}")
                self.assertRegex(p.stdout, r"(?m)^(Passed|Failed|Warning|RESULT)", p.stdout)
                ran += 1
        self.assertGreater(ran, 0)

    def test_accelnet_json_5(self):
        blocks = examples("accelnet.json.5")
        docs = ["\n".join(line for line, _ in b) for b in blocks]
        parsed = [json.loads(d) for d in docs]          # each block is JSON
        config = next(p for p in parsed if "name" not in p)
        intents = {p["name"]: p for p in parsed if "name" in p}
        self.assertTrue(intents)
        env = Env(libvirtd=True, config=config, intents=intents)
        self.addCleanup(env.close)
        env.start()
        log = env.logtext()
        self.assertNotRegex(log, r"(?i)accelnet\.json.*(invalid|ignored|error)")
        for name in intents:
            p = subprocess.run([ACCELNETCTL, "enable", "--intent", name], env=env.env(), capture_output=True,
                               text=True)
            self.assertEqual(p.returncode, 0, p.stderr)
            p = subprocess.run([ACCELNETCTL, "--json", "status"], env=env.env(), capture_output=True, text=True)
            status = json.loads(p.stdout)
            self.assertEqual(status.get("node_reserve_percentage"),
                             config.get("node_reserve_default", 50), p.stdout)

    def test_accelnetctl_1(self):
        env = Env(libvirtd=True)
        self.addCleanup(env.close)
        env.start()
        commands = []           # [command, status, [output lines]]
        for block in examples("accelnetctl.1"):
            for line, status in block:
                if is_command(line):
                    commands.append([line, status or {0}, []])
                elif commands and line.strip():
                    commands[-1][2].append(line)
        self.assertGreater(len(commands), 5)
        for command, status, shown in commands:
            e = env.env()
            e["PATH"] = BIN_DIR + ":" + e["PATH"]
            p = subprocess.run(["bash", "-c", command], env=e, capture_output=True, text=True, timeout=60, input="")
            self.assertIn(p.returncode, status,
                             f"accelnetctl(1) example `{command}` exited {p.returncode}:\n{p.stdout}{p.stderr}")
            printed = squash(p.stdout + p.stderr)
            for line in shown:
                self.assertIn(squash(line), printed, f"`{command}` printed:\n{p.stdout}{p.stderr}")


if __name__ == "__main__":
    unittest.main(verbosity=2)
