#!/usr/bin/env python3
"""accelnetctl against a real accelnetd on a private bus, and scripts/demo.sh end to end."""
import json
import os
import socket
import subprocess

from harness import BUILD_DIR, SOURCE_DIR, TestCase, main


class Cli(TestCase):
    def setUp(self):
        self.env = self.make_env()
        self.env.start()

    def test_read_verbs(self):
        r = self.env.ctl("adapters")
        self.assertEqual(r.rc, 0, r)
        lines = r.out.splitlines()
        self.assertTrue(lines[0].startswith("ADDRESS"), r.out)
        # ListAdaptersEx: VFS assigned/enabled/total, NUMA, SPEED, HEALTH, INTENT; the model below
        self.assertEqual(lines[0].split(), ["ADDRESS", "IFNAME", "DRIVER", "SUPPORT", "VFS", "NUMA", "SPEED", "HEALTH",
                                            "INTENT"])
        self.assertRegex(r.out, r"0000:07:00\.0\s+ens3\s+igb\s+MissingAcs\s+0/0/8\s+0\s+1G\s+Healthy\s+compute\n"
                                r"    Intel Corporation 82576 Gigabit Network Connection\n")
        # columns are aligned: every data row has SUPPORT at the header's offset; 80 columns
        col = lines[0].index("SUPPORT")
        for line in lines[1:13:2]:
            self.assertNotEqual(line[col], " ", line)
        self.assertTrue(all(len(l) <= 80 for l in lines), r.out)
        js = json.loads(self.env.ctl("adapters", "--json").out)
        self.assertEqual(len(js), 6)
        self.assertEqual({a["support"] for a in js}, {"Supported", "MissingAcs", "MissingPfDriver"})
        self.assertEqual(set(js[0]), {"address", "ifname", "driver", "support", "total_vfs", "enabled_vfs",
                                      "assigned_vfs", "numa_node", "speed_mbps", "vendor", "model", "intent",
                                      "health", "quarantined", "drained"})
        pre = json.loads(self.env.ctl("prereq", "--json").out)
        self.assertTrue(any(p["check"] == "acs" and p["code"] == "SriovSupportMissingAcs" for p in pre))
        intents = json.loads(self.env.ctl("intents", "--json").out)
        self.assertIn({"name": "storage", "types": ["storage"], "adapters": ["ens2f1"]}, intents)
        # reads work for anyone
        self.assertEqual(self.env.ctl("status", user="nobody").rc, 0)

    def test_enable_status_disable(self):
        r = self.env.ctl("enable", "--intent", "compute")     # --node-reserve defaults to 50
        self.assertEqual(r.rc, 0, r)
        st = json.loads(self.env.ctl("status", "--json").out)
        self.assertEqual((st["enabled"], st["intent_name"], st["node_reserve_percentage"], st["capacity_vfs"],
                          st["usable_vfs"]), (True, "compute", 50, 32, 16))
        self.assertIn("Node reserve: 50%", self.env.ctl("status").out)
        self.assertEqual(self.env.ctl("set", "--node-reserve", "25").rc, 0)
        self.assertEqual(self.env.prop("UsableVFs"), 24)
        self.assertEqual(self.env.ctl("vm", "enable", "web2", "--performance", "MEDIUM").rc, 0)
        vms = {v["vm"]: v for v in json.loads(self.env.ctl("vm", "list", "--json").out)}
        self.assertEqual(vms["web2"]["state"], "enabled")
        self.assertEqual(vms["web2"]["performance"], "Medium")
        # why, and what to do: web2 runs, and its virtio NIC was not started with teaming
        self.assertEqual(vms["web2"]["note"], "applies at next start: the running virtio NIC was not started with "
                         "teaming; power-cycle the VM (shut it down, then start it; a guest reboot is not enough)")
        self.assertEqual([l.split()[0] for l in self.env.ctl("vm", "list", "--enabled", "--no-legend").out.splitlines()],
                         ["web2"])
        self.assertEqual(self.env.ctl("disable").rc, 0)
        self.assertFalse(self.env.prop("Enabled"))

    def test_cluster_of_one(self):
        # accelnetd without corosync is a cluster of one: the same whether it has cluster mode
        # (ClusterName "", ListNodes' one row) or predates it (accelnetctl falls back on the
        # properties, ListVMs and this host's name).
        r = self.env.ctl("cluster", "status")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.err, "")
        for line in ("Cluster: not in a cluster (cluster of one)", "Quorate: yes", "Members: 1", "Enabled: no",
                     "Nodes in reserve: 0 (one node: 50% of its VFs are held in reserve)"):
            self.assertIn(line + "\n", r.out)
        self.assertIn("Cluster: not in a cluster (cluster of one)\n", self.env.ctl("status").out)
        st = json.loads(self.env.ctl("status", "--json=short").out)
        self.assertEqual((st["cluster_name"], st["cluster_nodes"], st["quorate"]), ("", 1, True))

        self.assertEqual(self.env.ctl("enable", "--intent", "compute", "--node-reserve", "25").rc, 0)
        self.assertEqual(self.env.ctl("vm", "enable", "web2", "--performance", "low").rc, 0)
        cs = json.loads(self.env.ctl("cluster", "status", "--json").out)
        self.assertEqual(cs, {"cluster_name": "", "quorate": True, "cluster_nodes": 1, "enabled": True,
                              "intent_name": "compute", "node_reserve_percentage": 25, "reserve_nodes": 0,
                              "capacity_vfs": 32, "usable_vfs": 24, "assigned_vfs": 1})
        nodes = json.loads(self.env.ctl("cluster", "nodes", "--json").out)
        self.assertEqual(nodes, [{"node_id": 0, "name": socket.gethostname(), "state": "member",
                                  "hyperthreading": self.env.prop("HyperthreadingEnabled"), "capacity_vfs": 32,
                                  "usable_vfs": 24, "assigned_vfs": 1, "note": "",
                                  # a VM arriving here may use the reserve: every VF not assigned
                                  "free_vfs": 31, "free_vfs_high": 31, "free_vfs_medium": 31,
                                  "free_vfs_low": 31, "health": "Healthy"}])
        r = self.env.ctl("cluster", "nodes")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.out.splitlines()[0].split(), ["ID", "NAME", "STATE", "HT", "CAP", "USABLE",
                                                         "ASSIGNED", "FREE", "HIGH", "MED", "LOW", "HEALTH"])
        self.assertRegex(r.out.splitlines()[1], r" Healthy$")
        self.assertIn("\n1 node listed.\n", r.out)
        self.assertTrue(all(len(l) <= 80 for l in r.out.splitlines()), r.out)

        # vm list: no NODE column on a cluster of one; in JSON a node is this host when given
        r = self.env.ctl("vm", "list")
        self.assertEqual(r.rc, 0, r)
        self.assertEqual(r.err, "")
        self.assertEqual(r.out.splitlines()[0].split(), ["VM", "STATE", "PERFORMANCE", "VF", "POWER", "VCPUS", "NUMA"])
        vms = json.loads(self.env.ctl("vm", "list", "--json").out)
        self.assertIn("web2", [v["vm"] for v in vms])
        for v in vms:
            self.assertLessEqual(set(v), {"vm", "node", "state", "performance", "vf", "note", "power", "vcpus",
                                          "numa_node", "vf_numa_node", "numa_local", "pf", "eligible_tiers"})
            self.assertLessEqual(set(v.get("eligible_tiers", [])), {"Low", "Medium", "High"})
            self.assertEqual(v.get("node", socket.gethostname()), socket.gethostname())

    def test_errors_exit_1_with_message(self):
        r = self.env.ctl("enable", "--intent", "storage")
        self.assertEqual(r.rc, 1)
        self.assertIn("does not have the compute type", r.err.replace("\n", " "))
        self.assertIn("org.accelnet1.Error.IntentTypeCheckFailed", r.err)
        r = self.env.ctl("enable", "--intent", "compute", user="nobody")
        self.assertEqual(r.rc, 1)
        self.assertIn("AccessDenied", r.err)
        self.assertFalse(self.env.prop("Enabled"))

    def test_usage_exit_2_sends_nothing(self):
        for args, needle in ((["enable", "--intent", "compute", "--node-reserve", "100"], "100"),
                             (["enable", "--intent", "compute", "--node-reserve", "abc"], "abc"),
                             (["enable"], "--intent"),
                             (["vm", "enable", "web2", "--performance", "turbo"], "turbo"),
                             (["frobnicate"], "frobnicate"),
                             (["cluster"], "Missing cluster command"),
                             (["cluster", "list"], "'list'"),
                             (["cluster", "nodes", "--enabled"], "--enabled")):
            r = self.env.ctl(*args)
            self.assertEqual(r.rc, 2, (args, r))
            self.assertIn(needle, r.err)
        self.assertFalse(self.env.prop("Enabled"))

    def test_daemon_not_running(self):
        self.env.stop()
        r = self.env.ctl("status")
        self.assertEqual(r.rc, 1)
        self.assertIn("accelnetd is not running", r.err)

    def test_help_and_version(self):
        r = self.env.ctl("--help")
        self.assertEqual(r.rc, 0)
        for verb in ("prereq", "enable", "set", "disable", "vm", "adapters", "intents", "status", "cluster status",
                     "cluster nodes"):
            self.assertIn(verb, r.out)
        self.assertTrue(all(len(l) <= 80 for l in r.out.splitlines()), r.out)
        r = self.env.run([os.path.join(BUILD_DIR, "src", "accelnetd"), "--version"])
        self.assertEqual(r.rc, 0)
        self.assertRegex(r.out, r"accelnetd \d+\.\d+\.\d+")


class Demo(TestCase):
    def test_demo_runs_to_the_end(self):
        env = dict(os.environ, ACCELNET_DEMO_NO_BUILD="1", BUILD_DIR=os.path.relpath(BUILD_DIR, SOURCE_DIR))
        env.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
        p = subprocess.run([os.path.join(SOURCE_DIR, "scripts", "demo.sh")], env=env, capture_output=True, text=True,
                           timeout=300, stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 0, p.stdout[-3000:] + p.stderr[-3000:])
        for needle in ("accelnetctl prereq", "MissingAcs", "Capacity VFs: 32", "VmNotEnoughVcpus",
                       "applies at next start", "Demo finished"):
            self.assertIn(needle, p.stdout)


if __name__ == "__main__":
    main()
