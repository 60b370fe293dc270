#!/usr/bin/env python3
"""The backend is chosen once, by options: `--simulate` runs on the simulated host (the
built-in one, compiled into accelnetd, in a temporary directory that goes away with the
daemon), and a fake `--root` alone is read with the kernel backend."""
import json
import os

from harness import ACCELNETD, TestCase, main


class Simulate(TestCase):
    def test_builtin_host(self):
        env = self.make_env()
        tmp = os.path.join(env.dir, "tmp")
        os.makedirs(tmp)
        env.daemon_env["TMPDIR"] = tmp
        env.exec([ACCELNETD, "--simulate", "--log-level=debug"])
        self.assertIn("(simulated host)", env.logtext())
        self.assertIn("Simulated host (built-in) built in " + tmp, env.logtext())
        # Everything comes from the binary: no source tree, no /usr/share.
        [sim] = os.listdir(tmp)
        sim = os.path.join(tmp, sim)
        self.assertEqual(sorted(os.listdir(sim)), ["config", "libvirt.xml", "root", "state"])

        r = env.busctl("ListAdapters")
        self.assertEqual(r.rc, 0, r)
        adapters = {a[0]: a for a in r.data[0]}
        self.assertEqual(adapters["0000:01:00.0"][1:4], ["ens1f0", "igb", "Supported"])
        self.assertEqual(adapters["0000:07:00.0"][3], "MissingAcs")
        self.assertEqual(adapters["0000:08:00.0"][3], "MissingPfDriver")
        r = env.busctl("ListIntents")
        self.assertEqual(sorted(i[0] for i in r.data[0]), ["compute", "storage"])
        r = env.busctl("ListVMs")
        self.assertIn("web1", [v[0] for v in r.data[0]])

        # The simulated kernel makes the VFs in the temporary root.
        r = env.call("Enable", "string:compute", "uint32:50")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(env.prop("CapacityVFs"), 32)
        self.assertTrue(os.path.islink(os.path.join(sim, "root/sys/bus/pci/devices/0000:01:00.0/virtfn0")))

        self.assertEqual(env.stop(), 0)
        self.assertEqual(os.listdir(tmp), [])

    def test_simulate_with_a_root(self):
        # What the other integration tests do: --simulate on a fake root built beforehand.
        env = self.make_env()
        env.start()
        self.assertIn("Simulated host: using the existing tree in " + env.root, env.logtext())
        self.assertEqual(env.call("Enable", "string:compute", "uint32:50").rc, 0)
        self.assertTrue(os.path.islink(os.path.join(env.root, "sys/bus/pci/devices/0000:01:00.0/virtfn0")))
        self.assertEqual(env.stop(), 0)
        self.assertTrue(os.path.isdir(env.root))    # the caller's root is kept

    def test_root_alone_is_the_kernel(self):
        env = self.make_env()
        env.start(simulate=False)
        ready = [line for line in env.logtext().splitlines() if " ready: " in line]
        self.assertTrue(ready, env.logtext())
        self.assertNotIn("simulated", ready[-1])
        self.assertNotIn("Simulated host", env.logtext())
        # The kernel backend writes sriov_numvfs and nothing more: in a fake tree no VF
        # appears (the kernel's part is played only by the simulation).
        env.call("Enable", "string:compute", "uint32:50")
        pf = "sys/bus/pci/devices/0000:01:00.0"
        self.assertEqual(env.sysfs(pf + "/sriov_numvfs"), "8")
        self.assertFalse(os.path.lexists(os.path.join(env.root, pf, "virtfn0")))
        self.assertFalse(os.path.exists(os.path.join(env.root, "run/accelnet-sim")))

    def test_bad_host_description(self):
        env = self.make_env()
        bad = os.path.join(env.dir, "bad.json")
        with open(bad, "w") as f:
            json.dump({"devices": [{"address": "0000:01:00.0", "colour": "red"}]}, f)
        empty_root = os.path.join(env.dir, "empty-root")
        p = env.exec([ACCELNETD, f"--simulate={bad}", f"--root={empty_root}", f"--state-dir={env.state_dir}"],
                     wait=False)
        self.assertEqual(p.wait(15), 1)
        self.assertIn(f"Cannot build the simulated host from {bad}", env.logtext())
        self.assertIn('unknown key "colour"', env.logtext())


if __name__ == "__main__":
    main()
