#!/usr/bin/env python3
"""accelnetctl vm show, vm check, vf list, and the Ex forms of vm list, adapters and the vm
enable/disable batches, against accelnetd on a simulated host with two NUMA nodes (ens1 on
node 0, ens2 on node 1). Output goes to a pipe: never wider than 80 columns."""
import json

from harness import main
from vmlib import INTENT12, VmTestCase, domain, two_node_host

DOMAINS = [domain("big", vcpus=4, mac="52:54:00:cc:00:01", index=1, node=0),
           domain("far", vcpus=4, mac="52:54:00:cc:00:02", index=2, node=1),
           domain("small", vcpus=1, mac="52:54:00:cc:00:03", index=3),
           domain("off", vcpus=2, mac="52:54:00:cc:00:05", index=5, running=False)]


class CliViews(VmTestCase):
    def setUp(self):
        self.env = self.make(host_json=two_node_host(), domains=DOMAINS, intents=INTENT12, enable="c", reserve=50)

    def narrow(self, text):
        long = [l for l in text.splitlines() if len(l) > 80]
        self.assertEqual(long, [], text)

    def unchanged(self):
        env = self.env
        return env.state_files(), env.busctl("ListVMs").data, self.sim_vfs(env, "ens1"), self.sim_vfs(env, "ens2")

    def test_vm_check(self):
        env = self.env
        before = self.unchanged()
        r = env.ctl("vm", "check", "small", "--performance", "high")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("FAILED  vcpus\n    VM 'small' has 1 vCPU(s); performance High needs at least 4 with\n"
                      "    hyperthreading off.", r.out)
        self.assertEqual(r.err, "accelnetctl: VM small would get no VF with performance High: 1 check failed.\n")
        self.assertIn("11 checks: ", r.out)
        self.narrow(r.out)
        # the logical order, the failure in its place
        self.assertEqual([l.split()[1] for l in r.out.splitlines()[1:] if l and not l.startswith(" ")][:11],
                         ["management", "setting", "domain", "vcpus", "virtio-nic", "teaming", "numa", "capacity",
                          "vf", "adapter-health", "waiting"])
        r = env.ctl("vm", "check", "big", "--performance", "high", "--json")
        self.assertEqual(r.rc, 0, r)
        js = json.loads(r.out)
        self.assertEqual((js["vm"], js["performance"], js["ok"]), ("big", "High", True))
        self.assertEqual([[c["check"], c["result"], c["detail"]] for c in js["checks"]],
                         env.busctl("ExplainVM", "ss", "big", "High").data[0])
        self.assertEqual(self.unchanged(), before)          # nothing changed
        # usage: the tier is needed; a VM that does not exist
        r = env.ctl("vm", "check", "small")
        self.assertEqual(r.rc, 2, r)
        self.assertIn("'vm check' needs --performance low|medium|high.", r.err)
        r = env.ctl("vm", "check", "ghost", "--performance", "low")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("No VM named 'ghost'", r.err)
        self.assertIn("org.accelnet1.Error.NoSuchVM", r.err)
        self.assertEqual(env.ctl("vm", "check", "big", "--performance", "low", user="nobody").rc, 0)

    def test_vm_show(self):
        env = self.env
        self.assertEqual(env.ctl("vm", "enable", "big", "--performance", "medium").rc, 0)
        vf = self.vms(env)["big"][2]
        r = env.ctl("vm", "show", "big")
        self.assertEqual(r.rc, 0, r)
        head = r.out.split("\n\n")[0].splitlines()
        self.assertEqual(head[:7], ["VM: big", "State: enabled (performance Medium)", f"VF: {vf} (PF 0000:01:00.0)",
                                    f"Node: {env.prop('NodeName')}", "Power: running", "vCPUs: 4",
                                    "NUMA: VM node 0, VF node 0 (local)"])
        # the note wrapped under "Note: " (it was one line of 160 columns)
        self.assertTrue(head[7].startswith("Note: applies at next start:"), head)
        self.assertTrue(all(line.startswith("      ") for line in head[8:]), head)
        self.assertEqual(" ".join(line.strip() for line in head[7:]),
                         "Note: applies at next start: the running virtio NIC was not started with teaming; "
                         "power-cycle the VM (shut it down, then start it; a guest reboot is not enough)")
        self.assertIn("Passed  numa\n    The VM is on NUMA node 0, its VF", r.out)
        self.assertIn("Warning teaming\n", r.out)
        self.narrow(r.out)
        js = json.loads(env.ctl("vm", "show", "small", "--json").out)
        self.assertEqual({k: js[k] for k in ("vm", "state", "performance", "vf", "power", "vcpus", "numa_node")},
                         {"vm": "small", "state": "disabled", "performance": "", "vf": "", "power": "running",
                          "vcpus": 1, "numa_node": -1})
        self.assertEqual(js["eligible_tiers"], [], js)     # 1 vCPU: no tier (vm list --json's key too)
        self.assertEqual([c["check"] for c in js["checks"]][:3], ["management", "setting", "domain"])
        self.assertIn("Checked for performance Low", js["checks"][1]["detail"])
        r = env.ctl("vm", "show", "ghost")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("NoSuchVM", r.err)

    def test_vf_list(self):
        env = self.env
        self.assertEqual(env.ctl("vm", "enable", "big", "--performance", "low").rc, 0)
        r = env.ctl("vf", "list")
        self.assertEqual(r.rc, 0, r)
        lines = r.out.splitlines()
        self.assertEqual(lines[0].split(), ["PF", "VF", "MAC", "VLAN", "SPOOF", "TRUST", "RATE", "LINK", "OWNER", "RX",
                                            "TX", "DROPS"])
        self.assertEqual(len([l for l in lines[1:] if l.startswith("ens")]), 16)
        self.assertRegex(r.out, r"\nens1 +\d+ 52:54:00:cc:00:01 +- on +off +- +auto big +0 +0 +0\n")
        self.assertIn("\n16 VFs listed.", r.out)
        self.narrow(r.out)
        js = json.loads(env.ctl("vf", "list", "ens2", "--json").out)
        sim = self.sim_vfs(env, "ens2")
        self.assertEqual([(v["index"], v["mac"], v["spoof_check"], v["trust"], v["link_state"]) for v in js],
                         [(i, sim[i]["mac"], sim[i]["spoofchk"], sim[i]["trust"], sim[i]["link_state"])
                          for i in sorted(sim)])
        self.assertEqual({v["pf"] for v in js}, {"ens2"})
        self.assertTrue(all(v["vf"].startswith("0000:03:") for v in js))
        r = env.ctl("vf", "list", "nope")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("No adapter 'nope'", r.err)
        r = env.ctl("vf", "list", "ens1", "ens2")
        self.assertEqual(r.rc, 2, r)
        self.assertIn("'vf list' takes at most one adapter", r.err)

    def test_batch_messages(self):
        env = self.env
        r = env.ctl("vm", "enable", "big", "small", "ghost", "--performance", "high")
        self.assertEqual(r.rc, 1, r)
        self.assertIn("small failed VmNotEnoughVcpus\n    VM 'small' has 1 vCPU(s); performance High needs at least "
                      "4 with\n    hyperthreading off.", r.out)
        self.assertIn("ghost failed NoSuchVM\n    No VM named 'ghost' (virsh list --all).\n", r.out)
        self.assertEqual(r.err, "accelnetctl: 2 of 3 VMs failed.\n")
        self.narrow(r.out)
        js = json.loads(env.ctl("vm", "disable", "big", "ghost", "--json").out)
        self.assertEqual(js, [{"vm": "big", "result": "done", "error": "", "message": ""},
                              {"vm": "ghost", "result": "failed", "error": "org.accelnet1.Error.NoSuchVM",
                               "message": "No VM named 'ghost' (virsh list --all)."}])

    def test_vm_list_and_adapters(self):
        env = self.env
        self.assertEqual(env.ctl("vm", "enable", "big", "far", "--performance", "medium").rc, 0)
        r = env.ctl("vm", "list")
        self.assertEqual(r.rc, 0, r)
        lines = r.out.splitlines()
        self.assertEqual(lines[0].split(), ["VM", "STATE", "PERFORMANCE", "VF", "POWER", "VCPUS", "NUMA"])
        self.assertRegex(r.out, r"\nbig +enabled +Medium +0000:01:\S+ running +4 local\n    applies at next start: ")
        self.assertRegex(r.out, r"\nfar +enabled +Medium +0000:03:\S+ running +4 local\n")
        self.assertRegex(r.out, r"\noff +disabled +- +- +shut off +2 -\n")
        self.narrow(r.out)
        # for scripts (--no-legend): one line per VM, the note its last column
        r = env.ctl("vm", "list", "--enabled", "--no-legend")
        self.assertEqual([l.split()[0] for l in r.out.splitlines()], ["big", "far"])
        self.assertRegex(r.out, r"^big +enabled +Medium +0000:01:\S+ running +4 local applies at next start: ")
        vms = {v["vm"]: v for v in json.loads(env.ctl("vm", "list", "--json").out)}
        self.assertEqual({k: vms["far"][k] for k in ("power", "vcpus", "numa_node", "vf_numa_node", "numa_local")},
                         {"power": "running", "vcpus": 4, "numa_node": 1, "vf_numa_node": 1, "numa_local": "yes"})
        r = env.ctl("adapters")
        self.assertEqual(r.rc, 0, r)
        self.assertRegex(r.out, r"\n0000:03:00\.0 ens2 +igb +Supported +1/8/8 +1 +1G Healthy compute\n|"
                                r"\n0000:03:00\.0 ens2 +igb +Supported +1/8/8 +1 +1G Healthy c\n")
        self.assertIn("\n    Intel Corporation 82576 Gigabit Network Connection\n", r.out)
        self.narrow(r.out)

    def test_help(self):
        env = self.env
        for verb in (("vm", "show"), ("vm", "check"), ("vf", "list")):
            r = env.ctl(*verb, "--help")
            self.assertEqual(r.rc, 0, r)
            self.assertIn(" ".join(verb), r.out)
            self.narrow(r.out)
        r = env.ctl("--help")
        for syntax in ("vm show VM", "vm check VM --performance low|medium|high", "vf list [ADAPTER]"):
            self.assertIn(syntax, r.out)
        self.narrow(r.out)


if __name__ == "__main__":
    main()
