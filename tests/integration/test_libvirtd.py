#!/usr/bin/env python3
"""src/virt against a real libvirtd hosting the test driver (TESTBED.md): accelnet's domain
metadata (virt_domain_set_accel) written over libvirt's RPC, read back by src/virt and,
independently, by virsh, in the persistent and the live definition, with another
application's metadata left alone. The C side is test-virt's --accel mode."""
import os
import shutil
import subprocess
import tempfile
import time
import unittest

from harness import BUILD_DIR, main

TEST_VIRT = os.path.join(BUILD_DIR, "tests", "unit", "test-virt")
URI_NS = "https://accelnet.dev/xmlns/domain/1"
OTHER_NS = "urn:example:other-app"
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def domain(name, uuid_tail):
    return (f"<domain type='test'><name>{name}</name>"
            f"<uuid>11111111-2222-3333-4444-{uuid_tail:012d}</uuid>"
            "<metadata><other:app xmlns:other='" + OTHER_NS + "'>kept</other:app></metadata>"
            "<memory>262144</memory><vcpu>2</vcpu><os><type>hvm</type></os>"
            "<devices><interface type='network'><mac address='52:54:00:00:0a:01'/>"
            "<source network='default'/><model type='virtio'/></interface></devices></domain>")


@unittest.skipUnless(shutil.which("libvirtd") and shutil.which("virsh") and shutil.which("setpriv"),
                     "needs libvirtd, virsh and setpriv")
class LibvirtdTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="accelnet-libvirtd-")
        self.addCleanup(shutil.rmtree, self.dir, True)
        os.chmod(self.dir, 0o777)
        for sub in ("run", "cfg", "cache"):
            os.makedirs(os.path.join(self.dir, sub))
            os.chown(os.path.join(self.dir, sub), 65534, 65534)
        os.chown(self.dir, 65534, 65534)
        env = dict(os.environ, HOME=self.dir, XDG_RUNTIME_DIR=f"{self.dir}/run",
                   XDG_CONFIG_HOME=f"{self.dir}/cfg", XDG_CACHE_HOME=f"{self.dir}/cache")
        self.log = open(os.path.join(self.dir, "libvirtd.log"), "w")
        self.libvirtd = subprocess.Popen(NOBODY + ["libvirtd", "--timeout", "0"], env=env,
                                         stdout=self.log, stderr=subprocess.STDOUT)
        self.addCleanup(self.stop_libvirtd)
        sock = f"{self.dir}/run/libvirt/libvirt-sock"
        self.uri = f"test+unix:///default?socket={sock}"
        deadline = time.monotonic() + 20
        while not os.path.exists(sock):
            self.assertIsNone(self.libvirtd.poll(), "libvirtd exited")
            self.assertLess(time.monotonic(), deadline, "libvirtd did not start")
            time.sleep(0.1)
        # The test driver's state lives while a connection stays open: a virsh holds one,
        # and defines the domains through it (so they exist only once it is connected).
        self.holder = subprocess.Popen(["virsh", "-q", "-c", self.uri], stdin=subprocess.PIPE,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
        self.addCleanup(self.stop_holder)
        for name, tail in (("acc-stopped", 1), ("acc-running", 2)):
            path = os.path.join(self.dir, name + ".xml")
            with open(path, "w") as f:
                f.write(domain(name, tail))
            self.holder.stdin.write(f"define {path}\n")
        self.holder.stdin.write("start acc-running\n")
        self.holder.stdin.flush()
        deadline = time.monotonic() + 20
        while True:
            p = subprocess.run(["virsh", "-q", "-c", self.uri, "domstate", "acc-running"], capture_output=True,
                               text=True, timeout=60)
            if p.returncode == 0 and p.stdout.strip() == "running":
                break
            self.assertIsNone(self.holder.poll(), "the virsh holding the connection exited")
            self.assertLess(time.monotonic(), deadline, "the domains were not defined")
            time.sleep(0.1)

    def stop_holder(self):
        self.holder.stdin.close()
        self.holder.wait(10)

    def stop_libvirtd(self):
        self.libvirtd.terminate()
        try:
            self.libvirtd.wait(10)
        except subprocess.TimeoutExpired:
            self.libvirtd.kill()
            self.libvirtd.wait()
        self.log.close()

    def virsh(self, *args):
        p = subprocess.run(["virsh", "-q", "-c", self.uri, *args], capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, f"virsh {args}: {p.stderr}")
        return p.stdout

    def metadata(self, vm, *flags):
        p = subprocess.run(["virsh", "-q", "-c", self.uri, "metadata", vm, URI_NS, *flags],
                           capture_output=True, text=True, timeout=60)
        return p.stdout.strip() if p.returncode == 0 else None

    def test_set_accel_over_rpc(self):
        p = subprocess.run([TEST_VIRT, "--accel", self.uri, "acc-stopped", "acc-running"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("ok   set_accel", p.stdout)
        # test-virt leaves performance='Medium' on both: libvirt itself says so
        self.assertEqual(self.metadata("acc-stopped", "--config"), '<vm performance="Medium"/>')
        self.assertEqual(self.metadata("acc-running", "--config"), '<vm performance="Medium"/>')
        self.assertEqual(self.metadata("acc-running", "--live"), '<vm performance="Medium"/>')
        for vm in ("acc-stopped", "acc-running"):
            xml = self.virsh("dumpxml", "--inactive", vm)
            self.assertIn("<other:app xmlns:other=\"" + OTHER_NS + "\">kept</other:app>", xml)
            self.assertIn(f'<accelnet:vm xmlns:accelnet="{URI_NS}" performance="Medium"/>', xml)


if __name__ == "__main__":
    main()
