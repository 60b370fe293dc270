#!/usr/bin/env python3
"""accelnet e2e scenario: runs INSIDE the test guest (QEMU 10, igb SR-IOV NICs), as root, on
the host's own root filesystem (tmpfs overlay). Started by stage2.sh.

    scenario.py RESULTS_DIR

Brings up a system dbus-daemon with the project's policy, virtlogd + libvirtd, and accelnetd
with its real backends (root /, kernel netlink, qemu:///system), then runs the steps below.
Each step is recorded with pass/fail, its evidence and its timing in RESULTS_DIR/results.json
(rewritten after every step, so a timeout keeps what was done) and RESULTS_DIR/results.txt.
PCI addresses are never assumed: the PFs are found by the MACs run.sh gave them and their
place in the topology is checked through sysfs.
"""
import contextlib
import datetime
import json
import os
import pty
import re
import select
import shlex
import shutil
import signal
import subprocess
import sys
import time
import traceback

RESULTS = sys.argv[1] if len(sys.argv) > 1 else "/run/accelnet-e2e/results"
E2E = "/run/accelnet-e2e"


def read_params(path):
    params = {}
    with open(path) as f:
        for line in f:
            m = re.match(r"^(\w+)='(.*)'$", line.strip())
            if m:
                params[m.group(1)] = m.group(2)
    return params


P = read_params(os.path.join(RESULTS, "params.env"))
SRC = P["E2E_SOURCE_DIR"]
BUILD = P["E2E_BUILD_DIR"]
KREL = P["E2E_KERNEL_RELEASE"]
ACCELNETD = os.path.join(BUILD, "src", "accelnetd")
ACCELNETCTL = os.path.join(BUILD, "src", "accelnetctl")
HOOK = os.path.join(BUILD, "src", "accelnet-hook")
CONFIG = os.path.join(E2E, "config")
STATE = os.path.join(E2E, "state")
DAEMON_LOG = os.path.join(RESULTS, "accelnetd.log")
URI = "qemu:///system"
INTENT = "e2e"

# the MACs run.sh gives the three igb PFs
MAC_GOOD, MAC_SWITCH, MAC_UNBOUND = "52:54:00:e2:e0:01", "52:54:00:e2:e0:02", "52:54:00:e2:e0:03"
# tier rates for this test bed: the emulated 82576 links at 1000 Mb/s and igb refuses a
# max_tx_rate above the link speed and any min_tx_rate
LOW_MAX_RATE, MEDIUM_MAX_RATE = 500, 800
# how long accelnetd may take, once started, to re-provision the VFs and give every enabled VM
# its VF and policy back after a reboot-like loss of the VFs
REBOOT_RECOVERY_S = 30

T_START = time.monotonic()
steps = []
facts = {"kernel": KREL}
comparison = {}


class StepFailed(Exception):
    pass


class Step:
    def __init__(self, name, title):
        self.name, self.title = name, title
        self.status = "running"
        self.evidence = []
        self.failures = []
        self.metrics = {}
        self.seconds = 0.0
        self.t0 = time.monotonic()

    def note(self, text):
        text = str(text)
        if len(text) > 6000:
            text = text[:3000] + "\n[...]\n" + text[-3000:]
        self.evidence.append(text)
        print(f"  | {text}".replace("\n", "\n  | "), flush=True)

    def expect(self, cond, what):
        if cond:
            self.note(f"ok: {what}")
        else:
            self.note(f"FAILED: {what}")
            self.failures.append(what)
        return bool(cond)

    def require(self, cond, what):
        if not self.expect(cond, what):
            raise StepFailed(what)

    def as_dict(self):
        return {"name": self.name, "title": self.title, "status": self.status, "seconds": round(self.seconds, 2),
                "failures": self.failures, "metrics": self.metrics, "evidence": self.evidence}


CURRENT = [None]


def note(text):
    if CURRENT[0]:
        CURRENT[0].note(text)
    else:
        print(text, flush=True)


def write_results(final=False):
    doc = {"version": 1, "final": final, "elapsed_s": round(time.monotonic() - T_START, 2), "facts": facts,
           "comparison": comparison, "steps": [s.as_dict() for s in steps]}
    tmp = os.path.join(RESULTS, "results.json.tmp")
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=1)
    os.replace(tmp, os.path.join(RESULTS, "results.json"))
    with open(os.path.join(RESULTS, "results.txt"), "w") as f:
        for s in steps:
            f.write(f"{s.status.upper():4}  {s.name:10} {s.seconds:7.2f}s  {s.title}\n")
            for fl in s.failures:
                f.write(f"        failed: {fl}\n")
            for k, v in s.metrics.items():
                f.write(f"        {k} = {v}\n")
        if comparison:
            f.write(f"comparison: {json.dumps(comparison)}\n")


@contextlib.contextmanager
def step(name, title):
    s = Step(name, title)
    steps.append(s)
    CURRENT[0] = s
    print(f"== step {name}: {title}", flush=True)
    try:
        yield s
        s.status = "fail" if s.failures else "pass"
    except StepFailed:
        s.status = "fail"
    except Exception as e:  # a bug in the scenario or an unexpected state: the step fails with the trace
        s.status = "fail"
        s.failures.append(f"exception: {e!r}")
        s.note(traceback.format_exc())
    finally:
        s.seconds = time.monotonic() - s.t0
        CURRENT[0] = None
        print(f"== step {name}: {s.status.upper()} ({s.seconds:.2f}s)", flush=True)
        write_results()


class Run:
    def __init__(self, cmd, rc, out, err, seconds):
        self.cmd, self.rc, self.out, self.err, self.seconds = cmd, rc, out, err, seconds

    def json(self):
        return json.loads(self.out)


def sh(cmd, timeout=120, check=True, quiet=False, input=None, env=None):
    """Runs cmd (list or shell string); records it and its output in the current step."""
    shell = isinstance(cmd, str)
    shown = cmd if shell else " ".join(shlex.quote(c) for c in cmd)
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, shell=shell, capture_output=True, text=True, timeout=timeout, input=input,
                           env=env, stdin=None if input is not None else subprocess.DEVNULL)
        r = Run(shown, p.returncode, p.stdout, p.stderr, time.monotonic() - t0)
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
        err = e.stderr.decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        r = Run(shown, -999, out, err + f"\n(timed out after {timeout}s)", time.monotonic() - t0)
    if not quiet or r.rc != 0:
        text = f"$ {shown}  [rc {r.rc}, {r.seconds:.2f}s]"
        if r.out.strip():
            text += "\n" + r.out.rstrip()
        if r.err.strip():
            text += "\n(stderr) " + r.err.rstrip()
        note(text)
    if check and r.rc != 0:
        raise StepFailed(f"command failed (rc {r.rc}): {shown}")
    return r


def ctl(*args, timeout=180, check=True, quiet=False):
    return sh([ACCELNETCTL, "--no-ask-password", *args], timeout=timeout, check=check, quiet=quiet)


def ctl_json(*args, timeout=180):
    r = ctl("--json", *args, timeout=timeout)
    return json.loads(r.out) if r.out.strip() else None


def virsh(*args, timeout=120, check=True, quiet=False):
    return sh(["virsh", "-c", URI, *args], timeout=timeout, check=check, quiet=quiet)


def wait_for(pred, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        try:
            v = pred()
        except Exception:
            v = None
        if v:
            return v
        if time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def read(path, default=None):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def write(path, value):
    with open(path, "w") as f:
        f.write(str(value))


# ---------------------------------------------------------------- sysfs facts

PCI = "/sys/bus/pci/devices"


def pci_ids(addr):
    return read(f"{PCI}/{addr}/vendor"), read(f"{PCI}/{addr}/device")


def parent_of(addr):
    """The PCI address of the bridge above addr (from the sysfs path)."""
    real = os.path.realpath(f"{PCI}/{addr}")
    parent = os.path.basename(os.path.dirname(real))
    return parent if re.match(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$", parent) else None


def driver_of(addr):
    link = f"{PCI}/{addr}/driver"
    return os.path.basename(os.readlink(link)) if os.path.islink(link) else ""


def netdev_of(addr):
    try:
        names = os.listdir(f"{PCI}/{addr}/net")
        return names[0] if names else ""
    except OSError:
        return ""


def vfs_of(pf):
    vfs = {}
    for e in os.listdir(f"{PCI}/{pf}"):
        m = re.match(r"^virtfn(\d+)$", e)
        if m:
            vfs[int(m.group(1))] = os.path.basename(os.readlink(f"{PCI}/{pf}/{e}"))
    return dict(sorted(vfs.items()))


def vf_index(pf, vf):
    for i, a in vfs_of(pf).items():
        if a == vf:
            return i
    return None


def ip_vfinfo(ifname):
    """{vf index: vfinfo} from `ip -j -d link show PF`."""
    r = sh(["ip", "-j", "-d", "link", "show", ifname], quiet=True)
    doc = json.loads(r.out)[0]
    return {v.get("vf"): v for v in doc.get("vfinfo_list", [])}, doc


def vf_view(v):
    """The attributes accelnet manages, from one vfinfo entry."""
    if v is None:
        return None
    vlan = 0
    if isinstance(v.get("vlan_list"), list) and v["vlan_list"]:
        vlan = v["vlan_list"][0].get("vlan", 0)
    elif "vlan" in v:
        vlan = v.get("vlan", 0)
    rate = v.get("rate", {}) if isinstance(v.get("rate"), dict) else {}
    return {"mac": v.get("address", v.get("mac", "")).lower(), "vlan": vlan, "spoofchk": v.get("spoofchk"),
            "trust": v.get("trust"), "max_tx_rate": rate.get("max_tx", v.get("max_tx_rate", 0)),
            "min_tx_rate": rate.get("min_tx", v.get("min_tx_rate", 0))}


# ---------------------------------------------------------------- processes

daemon = {"proc": None}


def bus_has_accelnet():
    try:
        r = subprocess.run([ACCELNETCTL, "status"], capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        bus_has_accelnet.last = "accelnetctl status timed out (30s)"
        return False
    bus_has_accelnet.last = f"rc {r.returncode}: {r.stdout.strip()} {r.stderr.strip()}"
    return r.returncode == 0


def start_daemon(s, wait=True):
    log = open(DAEMON_LOG, "a")
    log.write(f"==== accelnetd started at +{time.monotonic() - T_START:.2f}s\n")
    log.flush()
    cmd = [ACCELNETD, f"--config-dir={CONFIG}", f"--state-dir={STATE}", f"--libvirt-uri={URI}", "--log-level=debug"]
    t0 = time.monotonic()
    daemon["proc"] = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    s.note(f"started {' '.join(cmd)} (pid {daemon['proc'].pid})")
    if not wait:
        return True
    ok = wait_for(lambda: daemon["proc"].poll() is None and bus_has_accelnet(), 60)
    s.metrics.setdefault("daemon_start_s", round(time.monotonic() - t0, 2))
    if not ok:
        s.note(f"accelnetctl status: {getattr(bus_has_accelnet, 'last', '')}")
        sh(["busctl", "--system", "list", "--no-pager"], check=False)
        s.note("accelnetd log:\n" + daemon_log_tail(30))
    s.require(ok, f"accelnetd owns org.accelnet1 on the bus ({time.monotonic() - t0:.2f}s)")
    return ok


def stop_daemon(s, timeout=15):
    """SIGTERM, as systemd stops the service; SIGKILL only if it does not exit in time."""
    proc = daemon["proc"]
    if proc is None or proc.poll() is not None:
        return
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
        s.note(f"accelnetd (pid {proc.pid}) exited on SIGTERM in {time.monotonic() - t0:.2f}s, status {proc.returncode}")
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        s.expect(False, f"accelnetd (pid {proc.pid}) exits within {timeout}s of SIGTERM (needed SIGKILL)")


def daemon_log_tail(n=40):
    try:
        with open(DAEMON_LOG) as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def daemon_log_since(offset):
    with open(DAEMON_LOG) as f:
        f.seek(offset)
        return f.read()


def daemon_log_size():
    try:
        return os.path.getsize(DAEMON_LOG)
    except OSError:
        return 0


def libvirt_answers():
    try:
        r = subprocess.run(["virsh", "-c", URI, "uri"], capture_output=True, text=True, timeout=20,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        libvirt_answers.last = "virsh uri timed out (20s)"
        return False
    libvirt_answers.last = f"rc {r.returncode}: {r.stdout.strip()} {r.stderr.strip()}"
    return r.returncode == 0


def start_libvirtd(s, wait=True):
    sh("libvirtd -d", timeout=30)
    start_libvirtd.t0 = time.monotonic()
    if wait:
        wait_libvirtd(s)


def libvirtd_threads():
    r = subprocess.run("for p in $(pidof libvirtd); do for t in /proc/$p/task/*; do "
                       "echo \"$(cat $t/comm) $(cat $t/wchan)\"; done; done; ps -eo pid,etimes,time,args | grep -v ' \\[' ",
                       shell=True, capture_output=True, text=True, timeout=30)
    return r.stdout


def wait_libvirtd(s):
    t_next = [time.monotonic() + 30]

    def probe():
        if time.monotonic() > t_next[0]:
            t_next[0] = time.monotonic() + 30
            s.note(f"libvirtd not answering yet ({getattr(libvirt_answers, 'last', '')}):\n{libvirtd_threads()}")
        return libvirt_answers()
    ok = wait_for(probe, 240, 0.5)
    s.metrics["libvirtd_ready_s"] = round(time.monotonic() - start_libvirtd.t0, 2)
    if not ok:
        s.note(f"last virsh answer: {getattr(libvirt_answers, 'last', '')}")
        s.note("libvirtd.log tail:\n" + "".join(open("/var/log/libvirt/libvirtd.log").readlines()[-40:])
               if os.path.exists("/var/log/libvirt/libvirtd.log") else "no libvirtd.log")
        sh("ps axf", check=False)
    s.require(ok, f"libvirtd answers on qemu:///system ({s.metrics['libvirtd_ready_s']}s)")


def stop_libvirtd(s):
    pid = read("/run/libvirtd.pid")
    if pid:
        sh(f"kill {pid}", check=False)
        wait_for(lambda: not os.path.exists(f"/proc/{pid}"), 30)


# ---------------------------------------------------------------- nested domains

KERNEL_COPY = "/var/lib/libvirt/images/vmlinuz-nested"
# the drain step's nested guest's initramfs (setup.sh builds it from tests/e2e/nested-init)
NESTED_INITRD = "/var/lib/libvirt/images/initramfs-nested.cpio.gz"


def domain_xml(name, mac, vcpus=4, kvm=False):
    """A nested domain. By default TCG, no OS: it is started paused, QEMU runs and takes
    hotplugs, and the nested vCPUs cost nothing under TCG. kvm=True: the drain step's guest with
    an OS (TESTBED.md, "Link events and a nested guest that really fails over"): KVM (the outer
    guest's -cpu max has svm, kvm_amd gives /dev/kvm), the same kernel with NESTED_INITRD, whose
    init loads virtio_net, net_failover and igbvf; it acknowledges hot-unplugs. Only one of its
    vCPUs is brought up (maxcpus=1): the others exist for accelnet's tier minimum and cost
    nothing while they wait for a SIPI."""
    if kvm:
        head = "<domain type='kvm'>"
        cpu = "\n  <cpu mode='host-passthrough'/>"
        boot = (f"<initrd>{NESTED_INITRD}</initrd>\n"
                "    <cmdline>console=ttyS0 panic=-1 quiet maxcpus=1 no_timer_check</cmdline>")
        usb = "\n    <controller type='usb' model='none'/>"
    else:
        head, cpu, usb = "<domain type='qemu'>", "", ""
        boot = "<cmdline>console=ttyS0 panic=0 quiet</cmdline>"
    return f"""{head}
  <name>{name}</name>
  <memory unit='MiB'>256</memory>
  <vcpu>{vcpus}</vcpu>{cpu}
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
    <kernel>{KERNEL_COPY}</kernel>
    {boot}
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>destroy</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>{usb}
    <controller type='pci' model='pcie-root'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <controller type='pci' model='pcie-root-port'/>
    <interface type='user'>
      <mac address='{mac}'/>
      <model type='virtio'/>
      <rom enabled='no'/>
      <teaming type='persistent'/>
      <alias name='ua-net0'/>
    </interface>
    <serial type='file'><source path='/var/log/libvirt/qemu/{name}-serial.log'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
"""


def define_domain(name, mac, vcpus=4, kvm=False):
    path = os.path.join(E2E, f"{name}.xml")
    write(path, domain_xml(name, mac, vcpus, kvm))
    virsh("define", path, quiet=True)


def start_domain(s, name):
    r = virsh("start", "--paused", name, timeout=120)
    s.metrics[f"start_{name}_s"] = round(r.seconds, 2)


def dom_xml(name, inactive=False):
    args = ["dumpxml", name] + (["--inactive"] if inactive else [])
    return virsh(*args, quiet=True).out


def dom_active(name):
    r = virsh("domstate", name, check=False, quiet=True)
    return r.rc == 0 and r.out.strip() in ("running", "paused")


def hostdevs_in(xml):
    """[(pci address, mac, teaming)] of <interface type='hostdev'> and <hostdev> in a domain XML."""
    import xml.etree.ElementTree as ET
    out = []
    root = ET.fromstring(xml)
    for dev in root.find("devices"):
        if (dev.tag == "interface" and dev.get("type") == "hostdev") or dev.tag == "hostdev":
            a = dev.find("source/address")
            if a is None:
                continue
            addr = "%04x:%02x:%02x.%x" % (int(a.get("domain", "0"), 16), int(a.get("bus"), 16),
                                          int(a.get("slot"), 16), int(a.get("function"), 16))
            mac = dev.find("mac")
            t = dev.find("teaming")
            out.append((addr, mac.get("address").lower() if mac is not None else "",
                        dict(t.attrib) if t is not None else None))
    return out


def all_domains():
    return [n for n in virsh("list", "--all", "--name", quiet=True).out.split() if n]


# ---------------------------------------------------------------- the scenario

topo = {}
TIER_MAX_RATE = {}  # tier name (lower case) -> max_tx_rate the VF must carry, from the daemon's config


def guest_setup():
    with step("setup", "guest: drivers, PFs by MAC and topology, dbus, libvirtd, accelnetd") as s:
        # libvirt: a clean configuration (the overlay makes /etc writable in the guest only)
        for d in ("/etc/libvirt/qemu", "/etc/libvirt/qemu/autostart", "/etc/libvirt/qemu/networks/autostart"):
            if os.path.isdir(d):
                for f in os.listdir(d):
                    if f.endswith(".xml"):
                        os.unlink(os.path.join(d, f))
        os.makedirs("/etc/libvirt/hooks/qemu.d", exist_ok=True)
        for f in os.listdir("/etc/libvirt/hooks/qemu.d"):
            os.unlink(os.path.join("/etc/libvirt/hooks/qemu.d", f))
        # libvirtd resolves its built-in QEMU user before reading qemu.conf: without
        # libvirt-daemon-system the host has no libvirt-qemu user, so add one in the guest
        # (the overlay's /etc, never the host's)
        with open("/etc/passwd") as f:
            has_user = any(l.startswith("libvirt-qemu:") for l in f)
        if not has_user:
            with open("/etc/group") as f:
                groups = {l.split(":")[0] for l in f}
            with open("/etc/group", "a") as f:
                for g, gid in (("kvm", 64054), ("libvirt-qemu", 64055), ("libvirt", 64056)):
                    if g not in groups:
                        f.write(f"{g}:x:{gid}:\n")
            with open("/etc/passwd", "a") as f:
                f.write("libvirt-qemu:x:64055:64055:Libvirt Qemu:/var/lib/libvirt:/usr/sbin/nologin\n")
        # QEMU runs as root in the guest; no AppArmor profiles
        write("/etc/libvirt/qemu.conf", 'user = "root"\ngroup = "root"\nsecurity_driver = "none"\n')
        write("/etc/libvirt/libvirtd.conf", 'auth_unix_ro = "none"\nauth_unix_rw = "none"\n'
              f'log_outputs = "2:file:{RESULTS}/libvirtd.log"\n')
        os.makedirs("/var/lib/libvirt/images", exist_ok=True)
        shutil.copy(f"{E2E}/kernel/boot/vmlinuz-{KREL}", KERNEL_COPY)
        if os.path.exists(f"{E2E}/kernel/nested-initramfs.cpio.gz"):
            shutil.copy(f"{E2E}/kernel/nested-initramfs.cpio.gz", NESTED_INITRD)
        os.makedirs("/var/log/libvirt/qemu", exist_ok=True)

        # the system bus with the project's policy
        os.makedirs("/run/dbus", exist_ok=True)
        policy = os.path.join(SRC, "conf", "org.accelnet1.conf")
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "bus.conf.in")) as f:
            conf = f.read().replace("@POLICY@", policy).replace("@SOCKET@", "/run/dbus/system_bus_socket")
        write(os.path.join(E2E, "bus.conf"), conf)
        sh(["dbus-daemon", f"--config-file={E2E}/bus.conf", "--fork", "--print-pid"])
        s.require(wait_for(lambda: os.path.exists("/run/dbus/system_bus_socket"), 10), "system bus socket")

        # nested KVM for the drain step's guest with an OS: the outer -cpu max is AMD with svm;
        # before libvirtd, whose capabilities then offer <domain type='kvm'>
        sh(["modprobe", "kvm_amd"], check=False, quiet=True)
        facts["nested_kvm"] = os.path.exists("/dev/kvm")
        s.note(f"/dev/kvm {'present' if facts['nested_kvm'] else 'MISSING'} after modprobe kvm_amd")
        sh("virtlogd -d", timeout=30)
        start_libvirtd(s, wait=False)  # its first connection probes QEMU: overlap that with the rest

        facts["cpus"] = os.cpu_count()
        facts["smt_active"] = read("/sys/devices/system/cpu/smt/active")
        for m in ("igb", "igbvf", "nvme", "vfio-pci", "vfio_iommu_type1"):
            sh(["modprobe", m], check=False, quiet=True)
        s.note("modules: " + " ".join(sorted(l.split()[0] for l in open("/proc/modules")
                                              if l.split()[0] in ("igb", "igbvf", "nvme", "vfio_pci", "vfio"))))
        s.expect(os.listdir("/sys/class/iommu"), "the IOMMU is on (/sys/class/iommu has an entry)")

        pfs = {}
        nvme = []
        for addr in sorted(os.listdir(PCI)):
            vid, did = pci_ids(addr)
            if (vid, did) == ("0x8086", "0x10c9"):
                mac = read(f"{PCI}/{addr}/net/{netdev_of(addr)}/address", "") if netdev_of(addr) else ""
                pfs[mac] = addr
            cls = read(f"{PCI}/{addr}/class", "")
            if cls.startswith("0x0108") and read(f"{PCI}/{addr}/sriov_totalvfs"):
                nvme.append(addr)
        s.note(f"igb PFs by MAC: {pfs}; NVMe with SR-IOV: {nvme}")
        s.require(all(m in pfs for m in (MAC_GOOD, MAC_SWITCH, MAC_UNBOUND)), "three igb PFs found by their MACs")
        s.require(len(nvme) == 1, "one NVMe function with SR-IOV")
        good, switch, unbound = pfs[MAC_GOOD], pfs[MAC_SWITCH], pfs[MAC_UNBOUND]
        topo.update(good=good, switch=switch, unbound=unbound, nvme=nvme[0], good_if=netdev_of(good),
                    switch_if=netdev_of(switch))
        for name, addr in (("good", good), ("switch", switch), ("unbound", unbound), ("nvme", nvme[0])):
            chain, a = [], addr
            while a:
                chain.append(f"{a}({':'.join(x[2:] for x in pci_ids(a))})")
                a = parent_of(a)
            s.note(f"{name}: {' <- '.join(chain)}; TotalVFs {read(f'{PCI}/{addr}/sriov_totalvfs')}, "
                   f"offset {read(f'{PCI}/{addr}/sriov_offset')}, stride {read(f'{PCI}/{addr}/sriov_stride')}, "
                   f"iommu_group {os.path.basename(os.readlink(f'{PCI}/{addr}/iommu_group'))}")
        s.expect(pci_ids(parent_of(good)) == ("0x1b36", "0x000c"), "the good PF sits directly on a pcie-root-port")
        s.expect(pci_ids(parent_of(switch)) == ("0x104c", "0x8233"), "the second PF sits on an xio3130 downstream port")
        write(f"/sys/bus/pci/drivers/igb/unbind", unbound)
        s.expect(driver_of(unbound) == "", f"igb unbound from {unbound}")
        topo["total_vfs"] = int(read(f"{PCI}/{good}/sriov_totalvfs"))
        facts["topology"] = dict(topo)

        # the rate limits need the PF's link up
        sh(["ip", "link", "set", topo["good_if"], "up"])
        up = wait_for(lambda: read(f"/sys/class/net/{topo['good_if']}/carrier") == "1", 30)
        s.expect(up, f"{topo['good_if']} has carrier (speed {read(f'/sys/class/net/' + topo['good_if'] + '/speed')})")

        wait_libvirtd(s)
        sh(["virsh", "-c", URI, "version"])
        # accelnetd's configuration: the shipped one with rates this NIC accepts, one intent
        with open(os.path.join(SRC, "conf", "accelnet.json")) as f:
            cfg = json.load(f)
        cfg["tiers"]["low"]["max_tx_rate_mbps"] = LOW_MAX_RATE
        cfg["tiers"]["low"]["min_tx_rate_mbps"] = 0
        cfg["tiers"]["medium"]["max_tx_rate_mbps"] = MEDIUM_MAX_RATE
        cfg["tiers"]["medium"]["min_tx_rate_mbps"] = 0
        os.makedirs(os.path.join(CONFIG, "intents.d"), exist_ok=True)
        os.makedirs(STATE, exist_ok=True)
        write(os.path.join(CONFIG, "accelnet.json"), json.dumps(cfg, indent=1))
        TIER_MAX_RATE.update({t: v.get("max_tx_rate_mbps", 0) for t, v in cfg["tiers"].items()})
        write(os.path.join(CONFIG, "intents.d", f"{INTENT}.json"),
              json.dumps({"name": INTENT, "types": ["compute"], "adapters": [good]}))
        s.note(f"intent {INTENT}: adapters [{good}]; tier low max_tx_rate {LOW_MAX_RATE} Mb/s")
        start_daemon(s)
        st = ctl_json("status")
        facts["status_at_start"] = st
        facts["hyperthreading"] = st.get("hyperthreading_enabled") if isinstance(st, dict) else None


def step_prereq():
    with step("prereq", "accelnetctl prereq / adapters: verdicts match the topology") as s:
        r = ctl("--json", "prereq", check=False)
        rows = json.loads(r.out) if r.out.strip() else []
        for row in rows:
            s.note(f"prereq: {row.get('check')} | {row.get('subject')} | {row.get('result')} | {row.get('code')}")
        adapters = ctl_json("adapters")
        by_addr = {a["address"]: a for a in adapters}
        want = {topo["good"]: "Supported", topo["switch"]: "MissingAcs", topo["unbound"]: "MissingPfDriver"}
        for addr, verdict in want.items():
            got = by_addr.get(addr, {}).get("support")
            s.expect(got == verdict, f"adapter {addr}: support {got!r} == {verdict!r}")
        s.expect(topo["nvme"] not in by_addr, f"the NVMe {topo['nvme']} is not an adapter")
        s.expect(by_addr.get(topo["good"], {}).get("total_vfs") == topo["total_vfs"],
                 f"TotalVFs of the good PF is {topo['total_vfs']}")
        subj = " ".join(f"{row.get('subject')} {row.get('code')}" for row in rows)
        s.expect("SriovSupportMissingAcs" in subj and "SriovSupportMissingPfDriver" in subj,
                 "prereq names SriovSupportMissingAcs and SriovSupportMissingPfDriver")
        s.expect(topo["nvme"] not in subj, "prereq does not list the NVMe")


def status():
    return ctl_json("status", timeout=60)


def step_enable():
    with step("enable", "enable --intent (reserve 0), then set --node-reserve 50: VFs appear, capacity right") as s:
        pf, total = topo["good"], topo["total_vfs"]
        s.note(f"before: sriov_numvfs {read(f'{PCI}/{pf}/sriov_numvfs')}")
        r = ctl("enable", "--intent", INTENT, "--node-reserve", "0")
        s.metrics["enable_s"] = round(r.seconds, 2)
        numvfs = read(f"{PCI}/{pf}/sriov_numvfs")
        s.expect(numvfs == str(total), f"sriov_numvfs {numvfs} == TotalVFs {total}")
        vfs = wait_for(lambda: len(vfs_of(pf)) == total and vfs_of(pf), 20)
        s.expect(vfs and len(vfs) == total, f"{total} virtfn links")
        if vfs:
            autoprobe = read(f"{PCI}/{pf}/sriov_drivers_autoprobe")
            drivers = {i: driver_of(a) or "-" for i, a in vfs.items()}
            s.note(f"VFs: {vfs}; drivers {drivers}; sriov_drivers_autoprobe {autoprobe}")
            s.expect(all(d in ("-", "igbvf", "vfio-pci") for d in drivers.values()), "VFs have igbvf or no driver")
            for i, a in vfs.items():
                s.expect(os.path.islink(f"{PCI}/{a}/physfn") and os.path.islink(f"{PCI}/{a}/iommu_group"),
                         f"VF {i} {a}: physfn link, IOMMU group "
                         f"{os.path.basename(os.readlink(f'{PCI}/{a}/iommu_group'))}")
        vinfo, _ = ip_vfinfo(topo["good_if"])
        s.expect(len(vinfo) == total, f"ip link shows {len(vinfo)} VFs on {topo['good_if']}")
        st = status()
        s.note(f"status: {st}")
        s.expect(st.get("enabled") is True and st.get("intent_name") == INTENT, "management enabled on the intent")
        s.expect(st.get("capacity_vfs") == total and st.get("usable_vfs") == total,
                 f"CapacityVFs {st.get('capacity_vfs')} == {total}, UsableVFs {st.get('usable_vfs')} == {total} (reserve 0)")
        r = ctl("set", "--node-reserve", "50")
        s.metrics["set_reserve_s"] = round(r.seconds, 2)
        st = status()
        usable = total * 50 // 100
        s.note(f"status: {st}")
        s.expect(st.get("node_reserve_percentage") == 50, "NodeReservePercentage 50")
        s.expect(st.get("capacity_vfs") == total and st.get("usable_vfs") == usable,
                 f"CapacityVFs {st.get('capacity_vfs')} == {total}, UsableVFs {st.get('usable_vfs')} == {usable}")
        s.expect(read(f"{PCI}/{pf}/sriov_numvfs") == str(total), "sriov_numvfs unchanged by set")
        ctl("adapters")
        topo["provisioned_at"] = time.monotonic()


# ---- health: the good PF's link taken down and up from outside the guest ------------------------

QMP_DIR = os.path.join(RESULTS, "qmp")   # tests/e2e/qmp-relay.py on the host passes these to QEMU
QMP_SEQ = [0]


def qmp(s, cmd, timeout=20):
    """One QMP command to the outer QEMU (through the host's relay): its reply document
    {"reply", "sent", "answered"} (host times), or None when no relay answered."""
    QMP_SEQ[0] += 1
    name = os.path.join(QMP_DIR, f"{QMP_SEQ[0]:03d}")
    tmp = name + ".tmp"
    with open(tmp, "w") as f:
        json.dump(cmd, f)
    os.rename(tmp, name + ".req")
    rep = wait_for(lambda: os.path.exists(name + ".rep") and json.load(open(name + ".rep")), timeout, 0.01)
    s.note(f"QMP {json.dumps(cmd)} -> {rep}")
    return rep or None


def good_health():
    for a in ctl_json("health") or []:
        if a.get("pf") == topo["good"]:
            return a
    return None


def step_health_link():
    with step("health-link", "QMP set_link on the good igb from outside: rtnetlink events, Failed, then Healthy") as s:
        pf, ifname = topo["good"], topo["good_if"]
        s.require(os.path.isdir(QMP_DIR), f"the host's QMP relay is there ({QMP_DIR})")
        # accelnet's own sriov_numvfs write (step enable) reset igb's link: part of the reset, and
        # its grace (PF_HEALTH_RESET_GRACE_USEC, 10 s) must be over before a link change counts
        if "provisioned_at" in topo:
            time.sleep(max(0.0, topo["provisioned_at"] + 10.5 - time.monotonic()))
        h = good_health()
        s.note(f"health before: {h}")
        s.require(h and h["state"] == "Healthy", f"{pf} is Healthy before")
        if "provisioned_at" in topo:
            s.expect(h["counters"]["resets"] >= 1, f"the provisioning was an expected reset ({h['counters']['resets']})")
            s.metrics["carrier_changes_during_enable"] = h["counters"]["carrier_changes_seen"]
        cap0 = status().get("capacity_vfs")
        changes0 = h["counters"]["carrier_changes"]
        n_events0 = len(h["events"])

        def after(h, since_usec):
            return [e for e in h["events"] if e["time_usec"] > since_usec]

        # down: netdev id n0 is the good igb's (run.sh)
        t_req = time.time()
        rep = qmp(s, {"execute": "set_link", "arguments": {"name": "n0", "up": False}})
        s.require(rep and "return" in rep["reply"], "QMP set_link n0 down answered")
        s.metrics["qmp_set_link_ms"] = round((rep["answered"] - rep["sent"]) * 1000, 2)
        h = wait_for(lambda: (lambda x: x if x and x["state"] == "Failed" else None)(good_health()), 15, 0.1)
        s.require(h, f"{pf} became Failed")
        reasons = [r["code"] for r in h["reasons"]]
        s.expect(reasons == ["LinkDown"], f"reasons {reasons} == ['LinkDown']")
        s.note(f"health down: {h}")
        s.note(f"sysfs: carrier {read(f'/sys/class/net/{ifname}/carrier')}, operstate "
               f"{read(f'/sys/class/net/{ifname}/operstate')}, carrier_changes "
               f"{read(f'/sys/class/net/{ifname}/carrier_changes')}")
        ev = after(h, int(t_req * 1e6) - 1)
        links = [e for e in ev if e["kind"] == "link"]
        states = [e for e in ev if e["kind"] == "state"]
        s.expect(len(links) == 1 and "carrier 0" in links[0]["detail"],
                 f"exactly one link notification, carrier 0: {links}")
        s.expect(h["counters"]["carrier_changes"] == changes0 + 1,
                 f"carrier_changes {h['counters']['carrier_changes']} == {changes0} + 1 (IFLA_CARRIER_CHANGES)")
        if links and states:
            s.metrics["request_to_link_event_ms"] = round((links[0]["time_usec"] / 1e6 - t_req) * 1000, 1)
            s.metrics["link_down_event_to_failed_ms"] = round((states[0]["time_usec"] - links[0]["time_usec"]) / 1000, 1)
        st = status()
        s.expect(st.get("capacity_vfs") == 0, f"CapacityVFs {st.get('capacity_vfs')} == 0 while the only PF is Failed "
                                              f"(was {cap0})")

        # up: igb reports the link about half a second later (TESTBED.md)
        t_req = time.time()
        rep = qmp(s, {"execute": "set_link", "arguments": {"name": "n0", "up": True}})
        s.require(rep and "return" in rep["reply"], "QMP set_link n0 up answered")
        h = wait_for(lambda: (lambda x: x if x and x["state"] == "Healthy" else None)(good_health()), 20, 0.1)
        s.require(h, f"{pf} became Healthy again")
        ev = after(h, int(t_req * 1e6) - 1)
        links = [e for e in ev if e["kind"] == "link"]
        states = [e for e in ev if e["kind"] == "state"]
        s.expect(len(links) == 1 and "carrier 1" in links[0]["detail"], f"one link notification, carrier 1: {links}")
        s.expect(h["counters"]["carrier_changes"] == changes0 + 2, f"carrier_changes {h['counters']['carrier_changes']} "
                                                                  f"== {changes0} + 2")
        if links and states:
            s.metrics["request_to_link_up_event_ms"] = round((links[0]["time_usec"] / 1e6 - t_req) * 1000, 1)
            s.metrics["link_up_event_to_healthy_ms"] = round((states[0]["time_usec"] - links[0]["time_usec"]) / 1000, 1)
        s.expect(len(h["events"]) >= n_events0 + 4 or len(h["events"]) == 16, "the events ring recorded both")
        st = wait_for(lambda: (lambda x: x if x.get("capacity_vfs") == cap0 else None)(status()), 10)
        s.expect(st, f"CapacityVFs back to {cap0}")
        ctl("health")
        # the later steps set VF rates, which igb refuses while the PF has no link
        up = wait_for(lambda: read(f"/sys/class/net/{ifname}/carrier") == "1", 20)
        s.expect(up, f"{ifname} has carrier again")


saved_before = {}
PRESTATE = [["spoofchk", "off"], ["trust", "on"], ["max_tx_rate", "100"]]


def set_prestate(s, indexes=None):
    for i in (indexes if indexes is not None else vfs_of(topo["good"]).keys()):
        for attr in PRESTATE:
            sh(["ip", "link", "set", topo["good_if"], "vf", str(i), *attr], quiet=True)
    s.note(f"VF pre-state set by hand: {PRESTATE}")


def vm_row(name):
    for row in ctl_json("vm", "list"):
        if row.get("vm") == name:
            return row
    return None


def step_vm_enable():
    with step("vm-enable", "vm enable VM --performance low: VF in the XML with the virtio MAC, policy on the PF") as s:
        mac = "52:54:00:aa:00:01"
        define_domain("vm1", mac)
        define_domain("vmsmall", "52:54:00:aa:00:09", vcpus=1)
        start_domain(s, "vm1")
        # give every VF settings of its own (as an admin might have), so that "restored" means
        # accelnet put back what it saved, not the driver's defaults
        set_prestate(s)
        vinfo, _ = ip_vfinfo(topo["good_if"])
        saved_before.clear()
        saved_before.update({i: vf_view(v) for i, v in vinfo.items()})
        s.note(f"VFs before: {saved_before}")
        t0 = time.monotonic()
        r = ctl("vm", "enable", "vm1", "--performance", "low", check=False)
        s.metrics["vm_enable_s"] = round(time.monotonic() - t0, 2)
        s.require(r.rc == 0, "vm enable vm1 succeeded")
        row = vm_row("vm1")
        s.note(f"vm list: {row}")
        s.require(row and row.get("state") == "enabled" and row.get("vf"), "vm1 is enabled with a VF")
        vf = row["vf"]
        idx = vf_index(topo["good"], vf)
        s.require(idx is not None, f"VF {vf} belongs to the good PF (index {idx})")
        topo["vm1_vf"], topo["vm1_idx"] = vf, idx
        live = hostdevs_in(dom_xml("vm1"))
        inactive = hostdevs_in(dom_xml("vm1", inactive=True))
        s.note(f"vm1 hostdevs live {live}, persistent {inactive}")
        for label, devs in (("persistent", inactive), ("live", live)):
            hit = [d for d in devs if d[0] == vf]
            s.expect(hit and hit[0][1] == mac and hit[0][2] and hit[0][2].get("type") == "transient"
                     and hit[0][2].get("persistent") == "ua-net0",
                     f"{label} XML: VF {vf} with MAC {mac} and <teaming type='transient' persistent='ua-net0'/>")
        x = dom_xml("vm1", inactive=True)
        s.expect("<teaming type='persistent'/>" in x, "the virtio NIC keeps <teaming type='persistent'/>")
        s.note("live driver of the VF: " + (driver_of(vf) or "-"))
        vinfo, _ = ip_vfinfo(topo["good_if"])
        v = vf_view(vinfo.get(idx))
        s.note(f"ip link VF {idx}: {v}")
        s.expect(v and v["mac"] == mac, f"VF MAC {v and v['mac']} == {mac}")
        s.expect(v and v["vlan"] == 0, "VF VLAN 0 (the virtio NIC has none)")
        s.expect(v and v["spoofchk"] is True, "spoof check on")
        s.expect(v and v["trust"] is False, "trust off")
        s.expect(v and v["max_tx_rate"] == LOW_MAX_RATE, f"max_tx_rate {v and v['max_tx_rate']} == {LOW_MAX_RATE}")
        st = status()
        s.expect(st.get("assigned_vfs") == 1, f"AssignedVFs {st.get('assigned_vfs')} == 1")
        # a VM below the tier's vCPU minimum is refused with the seed's error
        r = ctl("vm", "enable", "vmsmall", "--performance", "low", check=False)
        s.expect(r.rc != 0 and ("VmNotEnoughVcpus" in r.err or "vCPU" in r.err),
                 "vm enable of a 1-vCPU domain is refused (VmNotEnoughVcpus)")


def step_vm_disable():
    with step("vm-disable", "vm disable VM: the VF's saved settings are back") as s:
        vf, idx = topo.get("vm1_vf"), topo.get("vm1_idx")
        s.require(vf is not None, "step vm-enable gave vm1 a VF")
        r = ctl("vm", "disable", "vm1", check=False)
        s.metrics["vm_disable_s"] = round(r.seconds, 2)
        s.expect(r.rc == 0, "vm disable vm1 succeeded")
        vinfo, _ = ip_vfinfo(topo["good_if"])
        v = vf_view(vinfo.get(idx))
        want = saved_before.get(idx)
        s.note(f"VF {idx} after disable: {v}; saved before enable: {want}")
        row = vm_row("vm1")
        s.note(f"vm list: {row}")
        if v != want:
            # the nested guest runs no OS and never acknowledges the unplug: accelnetd keeps the VF
            # reserved until libvirt reports the device gone. Stopping the domain is that report.
            s.note("VF not restored while vm1 runs (unplug not acknowledged by the nested guest): destroying vm1")
            virsh("destroy", "vm1", check=False)
            t0 = time.monotonic()
            v = wait_for(lambda: (vf_view(ip_vfinfo(topo["good_if"])[0].get(idx)) == want)
                         and vf_view(ip_vfinfo(topo["good_if"])[0].get(idx)), 30, 0.5)
            s.metrics["restore_after_destroy_s"] = round(time.monotonic() - t0, 2)
            v = vf_view(ip_vfinfo(topo["good_if"])[0].get(idx))
            s.note(f"VF {idx} after destroy: {v}")
        s.expect(v == want, f"VF {idx} settings restored to {want}")
        inactive = hostdevs_in(dom_xml("vm1", inactive=True))
        s.expect(not any(d[0] == vf for d in inactive), f"VF {vf} gone from vm1's persistent XML ({inactive})")
        row = vm_row("vm1")
        s.expect(row and row.get("state") == "disabled", f"vm1 disabled in vm list ({row})")
        st = status()
        s.expect(st.get("assigned_vfs") == 0, f"AssignedVFs {st.get('assigned_vfs')} == 0")


def check_unique(s, label):
    """Every VF in at most one VM: vm list, state.json and the domains' XML."""
    rows = ctl_json("vm", "list")
    owners = {}
    for row in rows:
        if row.get("vf"):
            owners.setdefault(row["vf"], []).append(row["vm"])
    s.note(f"{label}: vm list VFs {owners}")
    s.expect(all(len(v) == 1 for v in owners.values()), f"{label}: vm list gives every VF at most one VM")
    try:
        with open(os.path.join(STATE, "state.json")) as f:
            state = json.load(f)
        sv = {}
        for a in state.get("vms", []):
            sv.setdefault(a.get("vf"), []).append(a.get("vm"))
        s.note(f"{label}: state.json VFs {sv} (phases {[a.get('phase') for a in state.get('vms', [])]})")
        s.expect(all(len(v) == 1 for v in sv.values()), f"{label}: state.json gives every VF at most one VM")
    except (OSError, ValueError) as e:
        s.expect(False, f"{label}: state.json readable ({e})")
        sv = {}
    xv = {}
    for d in all_domains():
        for xml_flag in (False, True):
            for addr, _, _ in hostdevs_in(dom_xml(d, inactive=xml_flag)):
                xv.setdefault(addr, set()).add(d)
    s.note(f"{label}: domain XML VFs {xv}")
    s.expect(all(len(v) == 1 for v in xv.values()), f"{label}: the domains' XML give every VF at most one domain")
    for vf, doms in xv.items():
        listed = owners.get(vf, [])
        s.expect(sorted(listed) == sorted(doms), f"{label}: VF {vf} in XML of {sorted(doms)}, vm list {listed}")
    return owners, sv, xv


def kill_during_enable(s, vm, pattern):
    """Starts `vm enable VM`, SIGKILLs accelnetd as soon as its log shows PATTERN."""
    off = daemon_log_size()
    proc = subprocess.Popen([ACCELNETCTL, "--no-ask-password", "vm", "enable", vm, "--performance", "low"],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    t0 = time.monotonic()
    hit = wait_for(lambda: pattern in daemon_log_since(off), 60, 0.01)
    dpid = daemon["proc"].pid
    os.kill(dpid, signal.SIGKILL)
    daemon["proc"].wait()
    at = time.monotonic() - t0
    try:
        out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    s.note(f"SIGKILL accelnetd (pid {dpid}) {at:.2f}s into `vm enable {vm}`, at log line {pattern!r} "
           f"({'seen' if hit else 'NOT seen'}); client rc {proc.returncode}: {out.strip()} {err.strip()}")
    s.note("daemon log up to the kill:\n" + daemon_log_since(off)[-2500:])
    with contextlib.suppress(OSError):
        with open(os.path.join(STATE, "state.json")) as f:
            s.note("state.json after the kill: " + json.dumps(json.load(f).get("vms")))
    return hit, proc.returncode


def check_no_leak(s, label, owners):
    """VFs that no VM holds carry the settings they had before accelnet touched them."""
    vinfo, _ = ip_vfinfo(topo["good_if"])
    vfs = vfs_of(topo["good"])
    for i, addr in vfs.items():
        if addr in owners:
            continue
        v = vf_view(vinfo.get(i))
        want = saved_before.get(i)
        s.expect(v == want, f"{label}: free VF {i} ({addr}) has its saved settings {want} (got {v})")


# ---- drain: the good PF out of service and back, with accelerated nested domains ----------------

MAC_K = "52:54:00:aa:00:0c"   # the nested guest with an OS (vmk)
NESTED_READY_S = 150          # its init is ready 15-23 s after `virsh start` idle, 29-48 s at load 3-5


def serial_log(name):
    return read(f"/var/log/libvirt/qemu/{name}-serial.log", "") or ""


class Background:
    """A monitor process whose line-buffered output goes to a file in the results share."""

    def __init__(self, s, cmd, path):
        self.path = path
        self.f = open(path, "w")
        self.proc = subprocess.Popen(["stdbuf", "-oL", *cmd], stdin=subprocess.DEVNULL, stdout=self.f,
                                     stderr=subprocess.STDOUT)
        s.note(f"started in the background (pid {self.proc.pid}): {' '.join(cmd)} > {path}")

    def text(self):
        return read(self.path, "") or ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.f.close()


def drain_signals(text, pf):
    """[(time, done, total)] of the DrainProgress signals for PF in dbus-monitor's output."""
    out = []
    for m in re.finditer(r"signal time=([0-9.]+)[^\n]*member=DrainProgress\n\s+string \"([^\"]*)\"\n"
                         r"\s+uint32 (\d+)\n\s+uint32 (\d+)", text):
        if m.group(2) == pf:
            out.append((float(m.group(1)), int(m.group(3)), int(m.group(4))))
    return out


def libvirt_events(text, kind, dom):
    """[(time, detail)] of `virsh event --all --loop --timestamp` lines of that kind for dom."""
    out = []
    for m in re.finditer(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+)\+0000: event '([\w-]+)' for domain '?([\w-]+)'?:? ?(.*)$",
                         text, re.M):
        if m.group(2) == kind and m.group(3) == dom:
            t = datetime.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=datetime.timezone.utc)
            out.append((t.timestamp(), m.group(4)))
    return out


def ctl_on_tty(s, *args, timeout=180):
    """accelnetctl with its stdout on a pseudo-terminal (so it shows progress, as at a shell)."""
    master, slave = pty.openpty()
    cmd = [ACCELNETCTL, "--no-ask-password", *args]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=slave, stderr=subprocess.PIPE, text=True)
    os.close(slave)
    chunks = []
    deadline = t0 + timeout
    while True:
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                data = os.read(master, 4096)
            except OSError:  # EIO: the last writer closed
                data = b""
            if data:
                chunks.append(data)
                continue
            if proc.poll() is not None:
                break
        elif proc.poll() is not None:
            break
        if time.monotonic() > deadline:
            proc.kill()
            break
    err = proc.stderr.read()
    proc.wait()
    os.close(master)
    out = b"".join(chunks).decode(errors="replace")
    run = Run(" ".join(cmd) + "  (stdout on a tty)", proc.returncode, out, err, time.monotonic() - t0)
    s.note(f"$ {run.cmd}  [rc {run.rc}, {run.seconds:.2f}s]\n{out.replace(chr(13), '<CR>').rstrip()}"
           + (f"\n(stderr) {err.rstrip()}" if err.strip() else ""))
    return run


def vf_live(dom, vf):
    return any(d[0] == vf for d in hostdevs_in(dom_xml(dom)))


def vf_config(dom, vf):
    return any(d[0] == vf for d in hostdevs_in(dom_xml(dom, inactive=True)))


def wait_serial(name, off, pattern, timeout):
    """The first match of the regex PATTERN in the domain's serial console after offset OFF."""
    return wait_for(lambda: re.search(pattern, serial_log(name)[off:]), timeout, 0.2)


IGBVF_BOUND, IGBVF_NONE = r"igbvf devices: \[[^\]]+\]", r"igbvf devices: \[\]"


def step_drain():
    with step("drain", "adapter drain / restore of the good PF with accelerated nested domains: no OS (its VF never "
                       "reached the guest), a KVM guest with an OS paused (Busy) and running (acknowledges live)") as s:
        pf, ifn = topo["good"], topo["good_if"]
        st0 = status()
        s.require(st0.get("enabled") is True and st0.get("intent_name") == INTENT, f"management enabled on {INTENT}")
        cap0, usable0, assigned0 = st0.get("capacity_vfs"), st0.get("usable_vfs"), st0.get("assigned_vfs")
        s.require(cap0 == topo["total_vfs"], f"CapacityVFs {cap0} == {topo['total_vfs']} before")
        if not saved_before:  # vm-enable did not run: the VFs get settings of their own here
            set_prestate(s)
            saved_before.update({i: vf_view(v) for i, v in ip_vfinfo(ifn)[0].items()})
        before = {i: vf_view(v) for i, v in ip_vfinfo(ifn)[0].items()}
        s.note(f"VFs before (what accelnet saves and must restore): {before}")

        def vf_now(idx):
            return vf_view(ip_vfinfo(ifn)[0].get(idx))

        def counts(what, capacity, assigned):
            st = status()
            s.expect(st.get("capacity_vfs") == capacity and st.get("assigned_vfs") == assigned
                     and st.get("usable_vfs") == (usable0 if capacity else 0),
                     f"{what}: CapacityVFs {st.get('capacity_vfs')} == {capacity}, AssignedVFs "
                     f"{st.get('assigned_vfs')} == {assigned}, UsableVFs {st.get('usable_vfs')} == "
                     f"{usable0 if capacity else 0}")

        def progress_since(n):
            return [(d, t) for _, d, t in drain_signals(sig.text(), pf)[n:]]

        def check_progress(n, total, what):
            # the last DrainProgress of a drain says total of total; the first, 0 of total
            got = wait_for(lambda: (lambda x: x if x and x[-1] == (total, total) else None)(progress_since(n)), 5, 0.2)
            got = progress_since(n)
            s.expect(got and got[0] == (0, total) and got[-1] == (total, total)
                     and all(a[0] <= b[0] for a, b in zip(got, got[1:])),
                     f"{what}: DrainProgress on the bus from 0 of {total} to {total} of {total}: {got}")

        bg = []
        try:
            # The nested KVM guest with an OS boots meanwhile (its init runs ~25-45 s after the start).
            kvm = os.path.exists("/dev/kvm")
            s.require(kvm and os.path.exists(NESTED_INITRD), f"nested KVM (/dev/kvm {kvm}) and {NESTED_INITRD}")
            define_domain("vmk", MAC_K, vcpus=2, kvm=True)
            t_kstart = time.monotonic()
            kstart = subprocess.Popen(["virsh", "-c", URI, "start", "vmk"], stdin=subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            sig = Background(s, ["dbus-monitor", "--system",
                                 "type='signal',interface='org.accelnet1.Manager',member='DrainProgress'"],
                             os.path.join(RESULTS, "drain-signals.log"))
            bg.append(sig)
            ev = Background(s, ["virsh", "-c", URI, "event", "--all", "--loop", "--timestamp"],
                            os.path.join(RESULTS, "drain-libvirt-events.log"))
            bg.append(ev)

            # ---- A: the other steps' nested domain, paused, no OS. The VF is teamed with the
            # virtio NIC (failover=on), so QEMU keeps it hidden until a guest driver negotiates the
            # standby feature: it never reaches this guest, and its unplug needs no acknowledgement.
            if "vm1" not in all_domains():
                define_domain("vm1", "52:54:00:aa:00:01")
            if not dom_active("vm1"):
                start_domain(s, "vm1")
            r = ctl("vm", "enable", "vm1", "--performance", "low", check=False)
            s.require(r.rc == 0, "vm enable vm1 (running, paused, no OS)")
            vf1 = (vm_row("vm1") or {}).get("vf")
            idx1 = vf_index(pf, vf1)
            s.require(vf1 and idx1 is not None and vf_live("vm1", vf1), f"vm1 has VF {idx1} ({vf1}) in its live XML")
            n = len(drain_signals(sig.text(), pf))
            r = ctl("adapter", "drain", pf, check=False)
            s.metrics["drain_no_os_s"] = round(r.seconds, 2)
            s.expect(r.rc == 0, "the drain completes: QEMU drops the hidden failover primary without the guest")
            s.expect(not vf_live("vm1", vf1) and not vf_config("vm1", vf1), f"VF {vf1} gone from vm1's live and "
                                                                            f"persistent XML")
            s.expect(vf_now(idx1) == before[idx1], f"VF {idx1}'s saved settings restored ({vf_now(idx1)})")
            row = vm_row("vm1")
            s.note(f"vm list: {row}")
            s.expect(row and row.get("state") == "enabled" and not row.get("vf"),
                     "vm1 keeps its setting, holds no VF and waits")
            counts("drained", 0, assigned0)
            check_progress(n, 1, "the drain of vm1's VF")
            virsh("destroy", "vm1")  # stopped: at the restore it gets a VF in its XML, in use at its start

            # ---- B: the nested KVM guest with an OS
            out, _ = kstart.communicate(timeout=120)
            s.note(f"virsh start vmk: rc {kstart.returncode}, {out.strip()}")
            s.require(kstart.returncode == 0, "the nested KVM domain vmk started")
            ready = wait_serial("vmk", 0, r"nested-init: \[[0-9.]+\] ready", max(1.0, t_kstart + NESTED_READY_S
                                                                                   - time.monotonic()))
            s.metrics["vmk_ready_s"] = round(time.monotonic() - t_kstart, 2)  # from `virsh start`, part A meanwhile
            s.note("vmk serial console:\n" + serial_log("vmk")[-1500:])
            s.require(ready, f"vmk's init ready within {NESTED_READY_S}s of its start")
            # restore: the adapter in service again; vmk is not accelerated yet, vm1 (stopped) waits
            r = ctl("adapter", "restore", pf, check=False)
            s.expect(r.rc == 0, "adapter restore")
            vf1 = (vm_row("vm1") or {}).get("vf")
            s.expect(vf1 and vf_config("vm1", vf1), f"vm1 (stopped) got a VF in its persistent XML ({vf1})")
            counts("restored", cap0, assigned0 + 1)
            off = len(serial_log("vmk"))
            t0 = time.monotonic()
            r = ctl("vm", "enable", "vmk", "--performance", "low", check=False)
            s.metrics["vm_enable_vmk_s"] = round(time.monotonic() - t0, 2)
            s.require(r.rc == 0, "vm enable vmk")
            vfk = (vm_row("vmk") or {}).get("vf")
            idxk = vf_index(pf, vfk)
            s.require(vfk and idxk is not None and vf_live("vmk", vfk), f"VF {idxk} ({vfk}) in vmk's live XML")
            bound = wait_serial("vmk", off, IGBVF_BOUND, 60)
            s.metrics["vf_in_guest_s"] = round(time.monotonic() - t0, 2)
            s.note("vmk serial console after the enable:\n" + serial_log("vmk")[off:][-1500:])
            s.require(bound, "igbvf drives the VF in the nested guest")
            s.expect(re.search(r"failover primary slave:\w+ registered", serial_log("vmk")[off:]),
                     "net_failover registered the VF as the primary of the virtio NIC")
            policyk = vf_now(idxk)
            s.note(f"VF {idxk} with vmk: {policyk}")

            # ---- B1: the guest paused: it cannot acknowledge the unplug
            virsh("suspend", "vmk")
            n = len(drain_signals(sig.text(), pf))
            r = ctl("adapter", "drain", pf, check=False)
            s.metrics["drain_busy_s"] = round(r.seconds, 2)
            s.expect(r.rc != 0 and "org.accelnet1.Error.Busy" in r.err and vfk in r.err and "vmk" in r.err,
                     f"the drain answers Busy naming VF {vfk} of vmk (rc {r.rc})")
            row = vm_row("vmk")
            s.note(f"vm list: {row}")
            s.expect(row and row.get("vf") == vfk and "still holds it" in row.get("note", ""),
                     f"vmk's VF {vfk} stays recorded, its note says the guest still holds it")
            s.expect(not vf_config("vmk", vfk), f"VF {vfk} out of vmk's persistent XML")
            s.expect(vf_live("vmk", vfk), f"VF {vfk} still in vmk's live XML")
            s.expect(vf_now(idxk) == policyk, f"VF {idxk} keeps vmk's policy while the guest holds it")
            # vm1's VF (stopped, in its persistent XML only) went at once
            idx1 = vf_index(pf, vf1) if vf1 else None
            s.expect(idx1 is not None and not (vm_row("vm1") or {}).get("vf") and not vf_config("vm1", vf1)
                     and vf_now(idx1) == before[idx1], f"vm1's VF {vf1} (stopped VM) revoked and restored")
            counts("drained, vmk's guest holding its VF", 0, assigned0 + 1)
            check_unique(s, "drained, vmk's guest holding its VF")
            ctl("adapters", check=False)
            progress = progress_since(n)
            s.expect(progress and progress[0] == (0, 2) and progress[-1] == (1, 2),
                     f"DrainProgress: from 0 of 2 to 1 of 2 ({progress})")
            # the guest runs again and acknowledges the pending unplug
            off = len(serial_log("vmk"))
            t_req = time.time()
            t0 = time.monotonic()
            virsh("resume", "vmk")
            freed = wait_for(lambda: not (vm_row("vmk") or {}).get("vf") and vf_now(idxk) == before[idxk], 30, 0.2)
            s.metrics["resume_to_vf_restored_s"] = round(time.monotonic() - t0, 2)
            removed = wait_for(lambda: libvirt_events(ev.text(), "device-removed", "vmk"), 5, 0.2)
            s.note(f"libvirt device-removed events of vmk: {removed}")
            if removed:
                s.metrics["resume_to_device_removed_s"] = round(removed[-1][0] - t_req, 2)
            s.expect(freed, f"after the resume the guest let go: VF {idxk} freed, its saved settings back")
            s.expect(wait_serial("vmk", off, IGBVF_NONE, 10), "the nested guest has no igbvf device any more")
            s.expect(not vf_live("vmk", vfk), f"VF {vfk} gone from vmk's live XML")
            check_progress(n, 2, "the drain, finished by the guest")
            counts("drained", 0, assigned0)
            r = ctl("adapter", "drain", pf, check=False)
            s.expect(r.rc == 0 and r.seconds < 5, f"asked again, the drain answers at once ({r.seconds:.2f}s): "
                                                   "nothing is left")

            # ---- B2: restore, then a drain the running guest acknowledges
            def restore(what):
                off = len(serial_log("vmk"))
                t0 = time.monotonic()
                r = ctl("adapter", "restore", pf, check=False)
                took = time.monotonic() - t0
                s.expect(r.rc == 0, f"{what}: adapter restore ({took:.2f}s)")
                rows = {n: vm_row(n) or {} for n in ("vm1", "vmk")}
                s.note(f"vm list: {rows}")
                vk, v1 = rows["vmk"].get("vf"), rows["vm1"].get("vf")
                s.expect(vk and vf_live("vmk", vk) and vf_config("vmk", vk),
                         f"{what}: vmk (running) has VF {vk} again, live and persistent")
                s.expect(v1 and vf_config("vm1", v1), f"{what}: vm1 (stopped) has VF {v1} in its persistent XML")
                s.expect(wait_serial("vmk", off, IGBVF_BOUND, 60), f"{what}: igbvf drives it in the nested guest")
                counts(what, cap0, assigned0 + 2)
                return took, vk, v1

            s.metrics["restore_s"] = round(restore("restored")[0], 2)
            vfk = (vm_row("vmk") or {}).get("vf")
            idxk = vf_index(pf, vfk)
            off = len(serial_log("vmk"))
            n = len(drain_signals(sig.text(), pf))
            log_off = daemon_log_size()
            t_req = time.time()
            r = ctl_on_tty(s, "adapter", "drain", pf)
            s.metrics["drain_live_s"] = round(r.seconds, 2)
            s.expect(r.rc == 0, "the drain completes live: the running guest acknowledged the unplug")
            s.expect("2 of 2 VFs revoked" in r.out and "Drained" in r.out,
                     "the progress on the terminal reaches 2 of 2 VFs")
            removed = [e for e in libvirt_events(ev.text(), "device-removed", "vmk") if e[0] >= t_req]
            s.note(f"libvirt device-removed events of vmk since the drain: {removed}")
            if removed:
                s.metrics["drain_to_device_removed_s"] = round(removed[0][0] - t_req, 2)
            s.expect(removed, "libvirt reported the device removed within the drain")
            s.expect(wait_serial("vmk", off, IGBVF_NONE, 10)
                     and re.search(r"failover primary slave:\w+ unregistered", serial_log("vmk")[off:]),
                     "the nested guest let go of the VF: failover primary unregistered, no igbvf device")
            s.note("vmk serial console during the drain:\n" + serial_log("vmk")[off:][-1000:])
            # Hyper-V's order takes the VF's link down first where the driver allows; igb does not
            revoked = [l for l in daemon_log_since(log_off).splitlines() if f"VF {vfk} revoked from VM vmk" in l]
            s.note(f"accelnetd: {revoked}")
            s.expect(revoked and "no VF link control on this driver" in revoked[0],
                     "igb has no VF link control: the revoke went straight to the unplug (accelnetd says so)")
            s.expect(not vf_live("vmk", vfk) and not vf_config("vmk", vfk),
                     f"VF {vfk} gone from vmk's live and persistent XML")
            s.expect(not (vm_row("vm1") or {}).get("vf"), "vm1 holds no VF")
            now = {i: vf_view(v) for i, v in ip_vfinfo(ifn)[0].items()}
            s.expect(now == before, f"every VF has its saved settings back ({now})")
            check_progress(n, 2, "the live drain")
            counts("drained", 0, assigned0)

            # ---- restore: vmk gets a VF live, vm1 at its start
            s.metrics["restore_live_s"] = round(restore("restored again")[0], 2)
            start_domain(s, "vm1")
            v1 = (vm_row("vm1") or {}).get("vf")
            s.expect(v1 and vf_live("vm1", v1), f"vm1 started with its VF {v1} in its live XML")
            v = vf_now(vf_index(pf, v1)) if v1 else None
            s.expect(v and v["mac"] == "52:54:00:aa:00:01" and v["max_tx_rate"] == LOW_MAX_RATE and v["spoofchk"]
                     and not v["trust"], f"vm1's VF carries its policy ({v})")
            # done: vmk's VF unplugged live by a disable, vm1's with the domain stopped
            virsh("destroy", "vm1")
            r1 = ctl("vm", "disable", "vm1", check=False)
            t0 = time.monotonic()
            r2 = ctl("vm", "disable", "vmk", check=False)
            s.metrics["vm_disable_vmk_s"] = round(time.monotonic() - t0, 2)
            s.expect(r1.rc == 0 and r2.rc == 0 and not (vm_row("vmk") or {}).get("vf"), "vm disable vm1, vmk")
            owners, _, _ = check_unique(s, "after the drain step")
            check_no_leak(s, "after the drain step", owners)
            counts("after the drain step", cap0, assigned0)
        finally:
            for b in bg:
                b.stop()
            # the later steps start from the adapter in service, vmk gone and vm1 stopped
            for d in ("vmk", "vm1"):
                if dom_active(d):
                    virsh("destroy", d, check=False, quiet=True)
            for d in ("vmk", "vm1"):
                if (vm_row(d) or {}).get("state") not in (None, "disabled"):
                    ctl("vm", "disable", d, check=False, quiet=True)
            if "vmk" in all_domains():
                virsh("undefine", "vmk", check=False, quiet=True)
            ctl("adapter", "restore", pf, check=False, quiet=True)
            s.note("memory at the end: " + sh("free -m", check=False, quiet=True).out)


def step_crash():
    with step("crash", "kill -9 accelnetd during vm enable, restart: every VF has at most one VM") as s:
        define_domain("vm2", "52:54:00:aa:00:02")
        start_domain(s, "vm2")
        interrupted = 0
        for n, pattern in enumerate(("Operation vm started", "rate set", "in domain vm2")):
            row = vm_row("vm2")
            if row and row.get("state") == "enabled":
                ctl("vm", "disable", "vm2", check=False)
            hit, rc = kill_during_enable(s, "vm2", pattern)
            interrupted += 1 if rc != 0 else 0
            t0 = time.monotonic()
            start_daemon(s)
            s.metrics[f"restart_{n}_s"] = round(time.monotonic() - t0, 2)
            time.sleep(1)  # let the reconcile run
            owners, _, _ = check_unique(s, f"kill {n} ({pattern})")
            check_no_leak(s, f"kill {n}", owners)
        s.metrics["kills"] = 3
        s.metrics["kills_interrupting_the_client"] = interrupted
        # the VM can be enabled (again) afterwards, and still nothing is doubled
        r = ctl("vm", "enable", "vm2", "--performance", "low", check=False)
        row = vm_row("vm2")
        s.expect(row and row.get("state") == "enabled" and row.get("vf"),
                 f"vm2 enabled after the restarts (rc {r.rc}, {row})")
        owners, _, _ = check_unique(s, "after re-enabling vm2")
        check_no_leak(s, "after re-enabling vm2", owners)
        if row and row.get("vf"):
            idx = vf_index(topo["good"], row["vf"])
            v = vf_view(ip_vfinfo(topo["good_if"])[0].get(idx))
            s.expect(v and v["mac"] == "52:54:00:aa:00:02" and v["max_tx_rate"] == LOW_MAX_RATE
                     and v["spoofchk"] is True and v["trust"] is False, f"vm2's VF {idx} carries its policy ({v})")
        s.note("daemon log after the last restart:\n" + daemon_log_tail(25))


def step_hook():
    with step("hook", "accelnet-hook prepare: VF policy in place before QEMU starts") as s:
        s.require(os.access(HOOK, os.X_OK), f"{HOOK} is built")
        os.makedirs("/etc/libvirt/hooks/qemu.d", exist_ok=True)
        shutil.copy(HOOK, "/etc/libvirt/hooks/qemu.d/accelnet")
        os.chmod("/etc/libvirt/hooks/qemu.d/accelnet", 0o755)
        stop_libvirtd(s)
        start_libvirtd(s)
        mac = "52:54:00:aa:00:03"
        define_domain("vm3", mac)
        r = ctl("vm", "enable", "vm3", "--performance", "low", check=False)
        s.require(r.rc == 0, "vm enable vm3 (stopped) succeeded")
        row = vm_row("vm3")
        s.note(f"vm list: {row}")
        s.require(row and row.get("vf"), "vm3 has a VF")
        vf = row["vf"]
        idx = vf_index(topo["good"], vf)
        s.note(f"VF {idx} ({vf}) after vm enable: {vf_view(ip_vfinfo(topo['good_if'])[0].get(idx))}")
        # drift (as after a host reboot): the VF loses accelnet's policy; the hook must restore it
        for attr in (["max_tx_rate", "0"], ["spoofchk", "off"], ["trust", "on"]):
            sh(["ip", "link", "set", topo["good_if"], "vf", str(idx), *attr], quiet=True)
        before = vf_view(ip_vfinfo(topo["good_if"])[0].get(idx))
        s.note(f"VF {idx} ({vf}) before start, policy removed by hand: {before}")
        s.expect(before and before["max_tx_rate"] == 0 and before["spoofchk"] is False, "VF policy removed")
        inactive = hostdevs_in(dom_xml("vm3", inactive=True))
        s.expect(any(d[0] == vf and d[1] == mac for d in inactive), f"VF {vf} in vm3's persistent XML")
        off = daemon_log_size()
        t_start = time.time()
        start_domain(s, "vm3")
        log = daemon_log_since(off)
        s.note("accelnetd log during start:\n" + log[-3000:])
        s.expect("Hook prepare" in log, "accelnetd logged 'Hook prepare'")
        started = log.find("domain vm3 started")
        s.expect("Hook prepare" in log and (started < 0 or log.find("Hook prepare") < started),
                 "'Hook prepare' comes before libvirt's 'started' event")
        after = vf_view(ip_vfinfo(topo["good_if"])[0].get(idx))
        s.note(f"VF {idx} after start: {after}")
        s.expect(after and after["mac"] == mac and after["spoofchk"] is True and after["trust"] is False
                 and after["max_tx_rate"] == LOW_MAX_RATE,
                 f"VF policy in place: MAC {mac}, spoofchk on, trust off, max_tx_rate {LOW_MAX_RATE}")
        qlog = read("/var/log/libvirt/qemu/vm3.log", "")
        s.note("vm3 QEMU log (libvirt):\n" + qlog[-1500:])
        s.metrics["hook_start_s"] = round(time.time() - t_start, 2)
        live = hostdevs_in(dom_xml("vm3"))
        s.expect(any(d[0] == vf for d in live), f"VF {vf} in vm3's live XML")


def virtio_nic(xml):
    """(MAC, VLAN tag or 0) of the domain's virtio NIC (the one a VF is paired with)."""
    import xml.etree.ElementTree as ET
    for dev in ET.fromstring(xml).find("devices"):
        m = dev.find("model")
        if dev.tag == "interface" and m is not None and m.get("type") == "virtio":
            tag = dev.find("vlan/tag")
            return dev.find("mac").get("address").lower(), int(tag.get("id")) if tag is not None else 0
    return None, 0


def policy_diff(got, want):
    """The attributes where a VF's settings differ from the policy it should carry ([] when it does)."""
    if got is None:
        return ["no such VF on the PF"]
    return [f"{k} {got.get(k)!r} != {v!r}" for k, v in want.items() if got.get(k) != v]


def step_reboot():
    with step("reboot", "reboot-like: accelnetd stopped, VMs down, sriov_numvfs 0 behind its back, accelnetd "
                        "started: the planned VFs and every enabled VM's VF and policy come back") as s:
        pf, ifn = topo["good"], topo["good_if"]
        numvfs_path = f"{PCI}/{pf}/sriov_numvfs"
        st0 = status()
        s.note(f"status before: {st0}")
        s.require(st0.get("enabled") is True and st0.get("intent_name") == INTENT,
                  f"management enabled on intent {INTENT}")
        planned = int(read(numvfs_path, "0"))
        s.require(planned > 0 and st0.get("capacity_vfs") == planned,
                  f"sriov_numvfs {planned} (the planned count) == CapacityVFs {st0.get('capacity_vfs')}")
        with contextlib.suppress(OSError, ValueError):
            with open(os.path.join(STATE, "state.json")) as f:
                s.note(f"state.json before, without the VMs: "
                       f"{ {k: v for k, v in json.load(f).items() if k != 'vms'} }")
        vfs_before = vfs_of(pf)
        # every accelerated domain: its VF (the address in its persistent XML <source>), the MAC
        # and VLAN of its virtio NIC, and the rates of its tier
        want = {}
        vinfo, _ = ip_vfinfo(ifn)
        for row in ctl_json("vm", "list"):
            if row.get("state") != "enabled":
                continue
            name, vf = row["vm"], row.get("vf")
            xml = dom_xml(name, inactive=True)
            mac, vlan = virtio_nic(xml)
            sources = [d[0] for d in hostdevs_in(xml)]
            s.require(vf and sources == [vf], f"{name}: vm list VF {vf!r} is the one VF in its XML <source> {sources}")
            tier = row.get("performance", "").lower()
            s.require(tier in TIER_MAX_RATE, f"{name}: tier {row.get('performance')!r} is configured")
            policy = {"mac": mac, "vlan": vlan, "spoofchk": True, "trust": False, "max_tx_rate": TIER_MAX_RATE[tier]}
            idx = vf_index(pf, vf)
            got = vf_view(vinfo.get(idx))
            s.require(not policy_diff(got, policy), f"before: {name}'s VF {idx} ({vf}) carries {policy} (got {got})")
            want[name] = {"vf": vf, "idx": idx, "tier": row.get("performance"), "policy": policy}
        s.require(want, "at least one accelerated domain")
        s.metrics["accelerated_vms"] = len(want)

        # the reboot: the service stops, the VMs go down with the host, the VFs and their settings
        # vanish (what a reboot or a PF driver reload does), all behind accelnetd's back
        t0 = time.monotonic()
        stop_daemon(s)
        for d in all_domains():
            if dom_active(d):
                virsh("destroy", d, check=False, quiet=True)
        s.metrics["shutdown_s"] = round(time.monotonic() - t0, 2)
        s.note(f"domains after the shutdown: {virsh('list', '--all', quiet=True).out.strip()}")
        t0 = time.monotonic()
        write(numvfs_path, 0)
        s.metrics["numvfs_0_s"] = round(time.monotonic() - t0, 2)
        s.require(read(numvfs_path) == "0" and not vfs_of(pf) and not ip_vfinfo(ifn)[0],
                  f"sriov_numvfs 0: no virtfn links, no VFs in ip link show {ifn}")

        t0 = time.monotonic()
        start_daemon(s)
        s.metrics["daemon_up_s"] = round(time.monotonic() - t0, 2)
        last = {"missing": ["not checked yet"]}

        def recovered():
            missing = []
            n = read(numvfs_path)
            if n != str(planned) or vfs_of(pf) != vfs_before:
                missing.append(f"sriov_numvfs {n} (planned {planned}), virtfn links {vfs_of(pf)}")
            r = sh([ACCELNETCTL, "--json", "vm", "list"], check=False, quiet=True)
            rows = {row["vm"]: row for row in json.loads(r.out)} if r.rc == 0 else {}
            vinfo, _ = ip_vfinfo(ifn)
            for name, w in want.items():
                row = rows.get(name)
                if not row or row.get("state") != "enabled" or row.get("vf") != w["vf"]:
                    missing.append(f"{name}: vm list {row} (want enabled with VF {w['vf']})")
                diff = policy_diff(vf_view(vinfo.get(w["idx"])), w["policy"])
                if diff:
                    missing.append(f"{name}'s VF {w['idx']} ({w['vf']}): {', '.join(diff)}")
            r = sh([ACCELNETCTL, "--json", "status"], check=False, quiet=True)
            st = json.loads(r.out) if r.rc == 0 else {}
            for k in ("enabled", "intent_name", "capacity_vfs", "usable_vfs"):
                if st.get(k) != st0.get(k):
                    missing.append(f"status {k} {st.get(k)!r} (before the reboot {st0.get(k)!r})")
            if st.get("assigned_vfs") != len(want):
                missing.append(f"status assigned_vfs {st.get('assigned_vfs')!r} (want {len(want)})")
            last["missing"] = missing
            return not missing
        ok = wait_for(recovered, REBOOT_RECOVERY_S, 0.5)
        took = time.monotonic() - t0
        s.metrics["recovered_s"] = round(took, 2) if ok else None
        s.note(f"{'recovered' if ok else 'NOT recovered'} {took:.2f}s after accelnetd was started")
        s.note(f"status: {status()}")
        ctl("vm", "list", check=False)
        s.note(f"ip link VFs: { {i: vf_view(v) for i, v in ip_vfinfo(ifn)[0].items()} }")
        for name, w in want.items():
            sources = [d[0] for d in hostdevs_in(dom_xml(name, inactive=True))]
            s.expect(sources == [w["vf"]], f"{name}: its XML <source> is still {w['vf']} ({sources})")
        s.note("accelnetd log since the start:\n" + daemon_log_tail(40))
        s.expect(ok, f"within {REBOOT_RECOVERY_S}s: sriov_numvfs {planned}, every accelerated VM enabled with "
                     f"the same VF and its policy, status as before; "
                     + ("all there" if ok else "still wrong: " + "; ".join(last["missing"])))
        if not ok:
            return
        # as libvirt's autostart would after a reboot: the domain starts with its VF
        name = sorted(want)[-1]
        start_domain(s, name)  # records start_NAME_s
        w = want[name]
        live = [d[0] for d in hostdevs_in(dom_xml(name))]
        s.expect(live == [w["vf"]], f"{name} started with VF {w['vf']} in its live XML ({live})")
        got = vf_view(ip_vfinfo(ifn)[0].get(w["idx"]))
        s.expect(not policy_diff(got, w["policy"]), f"{name}'s VF {w['idx']} still carries {w['policy']} ({got})")


def step_compare():
    with step("compare", "time: accelnet (enable + vm enable) vs by hand (numvfs, ip link, virsh attach-device)") as s:
        pf, ifn, total = topo["good"], topo["good_if"], topo["total_vfs"]
        # tear down: no domain holds a VF, management off, no VFs
        for d in all_domains():
            if dom_active(d):
                virsh("destroy", d, check=False, quiet=True)
        enabled = [r["vm"] for r in ctl_json("vm", "list") if r.get("state") == "enabled"]
        if enabled:
            ctl("vm", "disable", *enabled, check=False)
        ctl("disable", check=False)
        write(f"{PCI}/{pf}/sriov_numvfs", 0)
        s.require(read(f"{PCI}/{pf}/sriov_numvfs") == "0", "VFs removed for a clean start")

        # accelnet
        define_domain("vma", "52:54:00:aa:00:0a")
        start_domain(s, "vma")
        t0 = time.monotonic()
        r1 = ctl("enable", "--intent", INTENT, "--node-reserve", "0", check=False)
        r2 = ctl("vm", "enable", "vma", "--performance", "low", check=False)
        t_acc = time.monotonic() - t0
        s.require(r1.rc == 0 and r2.rc == 0, "accelnet: enable + vm enable succeeded")
        row = vm_row("vma")
        s.note(f"accelnet: {row}")
        live_acc = any(d[1] == "52:54:00:aa:00:0a" for d in hostdevs_in(dom_xml("vma")))

        # reset
        virsh("destroy", "vma", check=False, quiet=True)
        ctl("vm", "disable", "vma", check=False)
        ctl("disable", check=False)
        write(f"{PCI}/{pf}/sriov_numvfs", 0)

        # by hand, same result: VFs, the VF's policy, the VF in the domain (live + persistent)
        mac = "52:54:00:aa:00:0b"
        define_domain("vmb", mac)
        start_domain(s, "vmb")
        t0 = time.monotonic()
        write(f"{PCI}/{pf}/sriov_drivers_autoprobe", 0)
        write(f"{PCI}/{pf}/sriov_numvfs", total)
        vfs = wait_for(lambda: len(vfs_of(pf)) == total and vfs_of(pf), 20, 0.05)
        vf = vfs[0]
        # igb resets the PF when VFs are created; a rate needs the link back up
        wait_for(lambda: read(f"/sys/class/net/{ifn}/carrier") == "1", 30, 0.05)
        for attr in (["mac", mac], ["vlan", "0"], ["spoofchk", "on"], ["trust", "off"],
                     ["max_tx_rate", str(LOW_MAX_RATE)]):
            sh(["ip", "link", "set", ifn, "vf", "0", *attr], quiet=True)
        d, b, sl_f = vf.split(":")[0], vf.split(":")[1], vf.split(":")[2]
        sl, fn = sl_f.split(".")
        xml = (f"<interface type='hostdev' managed='yes'><mac address='{mac}'/>"
               f"<source><address type='pci' domain='0x{d}' bus='0x{b}' slot='0x{sl}' function='0x{fn}'/></source>"
               f"<teaming type='transient' persistent='ua-net0'/><alias name='ua-accelnet-vf0'/></interface>")
        write(os.path.join(E2E, "byhand.xml"), xml)
        flags = ["--config", "--live"] if live_acc else ["--config"]
        r = virsh("attach-device", "vmb", os.path.join(E2E, "byhand.xml"), *flags, check=False)
        t_hand = time.monotonic() - t0
        s.require(r.rc == 0, "by hand: virsh attach-device succeeded")
        v = vf_view(ip_vfinfo(ifn)[0].get(0))
        s.note(f"by hand: VF 0 {v}")
        comparison.update({"accelnet_s": round(t_acc, 3), "by_hand_s": round(t_hand, 3),
                           "ratio_accelnet_over_by_hand": round(t_acc / t_hand, 2) if t_hand else None,
                           "live": live_acc, "vfs": total})
        s.metrics.update(comparison)
        s.note(f"accelnet {t_acc:.2f}s vs by hand {t_hand:.2f}s: ratio {t_acc / t_hand:.2f}")
        virsh("destroy", "vmb", check=False, quiet=True)


STEPS = (step_prereq, step_enable, step_health_link, step_vm_enable, step_vm_disable, step_drain, step_crash, step_hook, step_reboot, step_compare)


def main():
    print(f"accelnet e2e scenario: kernel {KREL}, build {BUILD}", flush=True)
    # step names as results.json shows them (vm-enable) or as the functions spell them (vm_enable)
    only = [n.strip().replace("-", "_") for n in P.get("E2E_STEPS", "").split(",") if n.strip()]
    known = [fn.__name__[5:] for fn in STEPS]
    unknown = [n for n in only if n not in known]
    if unknown:
        with step("steps", "ACCELNET_E2E_STEPS names known steps") as s:
            s.expect(False, f"unknown step(s) {', '.join(unknown)} in ACCELNET_E2E_STEPS; known: "
                            f"{', '.join(n.replace('_', '-') for n in known)}")
        write_results(final=True)
        return 1
    guest_setup()
    if steps[-1].status == "pass":
        for fn in STEPS:
            if not only or fn.__name__[5:] in only:
                fn()
    final_dump()
    write_results(final=True)
    return 0 if all(s.status == "pass" for s in steps) else 1


def final_dump():
    with contextlib.suppress(Exception):
        shutil.copy(os.path.join(STATE, "state.json"), os.path.join(RESULTS, "state.json"))
    with contextlib.suppress(Exception):
        shutil.copy("/var/log/libvirt/libvirtd.log", os.path.join(RESULTS, "libvirtd.log"))
    with contextlib.suppress(Exception):
        os.makedirs(os.path.join(RESULTS, "qemu-logs"), exist_ok=True)
        for f in os.listdir("/var/log/libvirt/qemu"):
            shutil.copy(os.path.join("/var/log/libvirt/qemu", f), os.path.join(RESULTS, "qemu-logs", f))


if __name__ == "__main__":
    try:
        rc = main()
    except Exception:
        traceback.print_exc()
        write_results(final=True)
        rc = 2
    sys.exit(rc)
