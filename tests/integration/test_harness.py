#!/usr/bin/env python3
"""The harness itself (harness.py): the real libvirtd keeps its domains across accelnetd
restarts, a libvirtd restart with keep=True brings back every domain's persistent and live
XML and which ones run, keep=False brings back an empty test driver, accelnetd finds its way
back through the socket symlink, and close() leaves no process and no folder behind."""
import os
import re
import signal
import time

from harness import Env, TestCase, main


def no_id(xml):
    """Live XML without the domain ID (a restarted guest gets a new one)."""
    return re.sub(r"<domain type='test' id='\d+'>", "<domain type='test'>", xml, count=1)


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class Harness(TestCase):
    def test_domains_outlive_accelnetd_and_libvirtd_restarts(self):
        env = self.make_env(libvirtd=True)
        names = ["batch", "db1", "nonic", "tiny", "web1", "web2"]
        self.assertEqual(sorted(env.domain_names()), names)           # the test driver's "test" is gone
        self.assertEqual(sorted(env.domain_names(running=True)), ["db1", "nonic", "tiny", "web1", "web2"])
        env.start()
        self.assertEqual(env.call("Enable", "string:compute", "uint32:50").rc, 0)
        self.assertEqual(env.call("EnableVM", "string:web2", "string:Low").rc, 0)
        persistent = {n: env.dumpxml(n, inactive=True) for n in names}
        live = {n: no_id(env.dumpxml(n)) for n in env.domain_names(running=True)}
        self.assertEqual(len(env.hostdevs("web2")), 1)                # accelnetd wrote through the symlink
        env.restart()
        self.assertEqual({n: env.dumpxml(n, inactive=True) for n in names}, persistent)
        gen = env.libvirtd.gen
        old_pid = env.libvirtd.proc.pid
        env.restart_libvirtd(down=0.5)
        self.assertEqual(env.libvirtd.gen, gen + 1)
        self.assertFalse(alive(old_pid))
        self.assertEqual({n: env.dumpxml(n, inactive=True) for n in names}, persistent)
        self.assertEqual({n: no_id(env.dumpxml(n)) for n in env.domain_names(running=True)}, live)
        # accelnetd reaches the new libvirtd by itself (DisableVM of a VM that is not enabled)
        deadline = time.time() + 35
        while env.call("DisableVM", "string:web1").rc != 0:
            self.assertLess(time.time(), deadline, env.logtext()[-2000:])
            time.sleep(0.25)
        self.assertEqual(env.busctl("ListVMs").data[0][-1][:2], ["web2", "enabled"])
        # keep=False: the empty test driver a real libvirtd never is
        snap = env.restart_libvirtd(keep=False)
        self.assertIsNone(snap)
        self.assertEqual(env.domain_names(), [])
        env.define(*[(x, False) for x in persistent.values()])
        self.assertEqual(sorted(env.domain_names()), names)
        self.assertEqual(env.domain_names(running=True), [])

    def test_close_leaves_nothing(self):
        env = Env(libvirtd=True)
        try:
            env.start()
            pids = [env.daemon.pid, env.bus.pid, env.libvirtd.proc.pid, env.libvirtd.holder.pid]
            env.daemon.send_signal(signal.SIGSTOP)      # even a frozen accelnetd
        finally:
            env.close()
        self.assertEqual([p for p in pids if alive(p)], [])
        self.assertFalse(os.path.exists(env.dir))

    def test_file_driver_needs_no_libvirtd(self):
        env = self.make_env()
        self.assertIsNone(env.libvirtd)
        self.assertTrue(env.uri.startswith("test:///"))
        env.start()
        self.assertEqual(len(env.busctl("ListVMs").data[0]), 6)
        with self.assertRaises(RuntimeError):
            env.dumpxml("web1")


if __name__ == "__main__":
    main()
