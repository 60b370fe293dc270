#!/usr/bin/env python3
"""accelnet.json's kernel_min and libvirt_min do what accelnet.json(5) says: a running kernel
or a libvirt older than the minimum fails its prerequisite check (AccelNetNotSupported, with the
versions and the remedy), so Enable is refused naming it; at the minimum or newer it passes."""
import json

from harness import TestCase, main

ERR = "org.accelnet1.Error."


class Versions(TestCase):
    def env_with(self, settings):
        env = self.make_env(config=settings)
        env.write_config("intents.d/compute.json",
                         {"name": "compute", "types": ["compute"], "adapters": ["ens1f0", "ens1f1"]})
        env.start()
        return env

    def rows(self, env):
        r = env.ctl("--json", "prereq")
        return {row["check"]: row for row in json.loads(r.out)}, r.rc

    def test_kernel_older_than_kernel_min_fails(self):
        env = self.env_with({"kernel_min": "99.0"})
        rows, rc = self.rows(env)
        self.assertEqual(rows["kernel"]["result"], "Failed", rows["kernel"])
        self.assertEqual(rows["kernel"]["code"], "AccelNetNotSupported")
        self.assertRegex(rows["kernel"]["detail"], r"Kernel \S+ is older than 99\.0\. Remedy: boot a kernel 99\.0")
        self.assertEqual(rc, 3)
        r = env.ctl("enable", "--intent", "compute")
        self.assertEqual(r.rc, 1, r)
        self.assertIn(ERR + "AccelNetNotSupported", r.err)
        self.assertFalse(env.prop("Enabled"))

    def test_libvirt_older_than_libvirt_min_fails(self):
        env = self.env_with({"libvirt_min": "999.0.0"})
        rows, _ = self.rows(env)
        self.assertEqual(rows["libvirt"]["result"], "Failed", rows["libvirt"])
        self.assertEqual(rows["libvirt"]["code"], "AccelNetNotSupported")
        r = env.ctl("enable", "--intent", "compute")
        self.assertEqual(r.rc, 1, r)
        self.assertIn(ERR + "AccelNetNotSupported", r.err)

    def test_at_the_minimum_passes(self):
        env = self.env_with({"kernel_min": "1.0", "libvirt_min": "1.0.0"})
        rows, _ = self.rows(env)
        self.assertEqual(rows["kernel"]["result"], "Passed", rows["kernel"])
        self.assertEqual(rows["libvirt"]["result"], "Passed", rows["libvirt"])
        self.assertEqual(env.ctl("enable", "--intent", "compute").rc, 0)


if __name__ == "__main__":
    main()
