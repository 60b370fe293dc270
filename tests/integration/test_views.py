#!/usr/bin/env python3
"""Issue 14's bus methods against accelnetd on a simulated host with two NUMA nodes (ens1 on
node 0, ens2 on node 1, 8 VFs each): ExplainVM (every admission rule, the numbers of
ListNodes and the properties, nothing changed), EnableVMsEx/DisableVMsEx (the single call's
message per VM; the old batches unchanged), ListVMsEx, ListAdaptersEx and ListVFs (against the
simulated host's VF files), and the reason in the "applies at next start" note."""
import json
import os

from harness import main
from vmlib import ERR, INTENT12, INVALID, VmTestCase, domain, two_node_host

NOSUCH = ERR + "NoSuchVM"
NOT_FOUND = ERR + "AdapterNotFound"

DOMAINS = [domain("big", vcpus=4, mac="52:54:00:cc:00:01", index=1, node=0),
           domain("far", vcpus=4, mac="52:54:00:cc:00:02", index=2, node=1),
           domain("small", vcpus=1, mac="52:54:00:cc:00:03", index=3),
           domain("nonic", vcpus=4, index=4),
           domain("off", vcpus=2, mac="52:54:00:cc:00:05", index=5, running=False)]

CHECKS = ["management", "setting", "domain", "vcpus", "virtio-nic", "teaming", "numa", "capacity", "vf",
          "adapter-health", "waiting"]


class Views(VmTestCase):
    def setUp(self):
        self.env = self.make(host_json=two_node_host(), domains=DOMAINS, intents=INTENT12, enable="c", reserve=50)

    def explain(self, vm, perf="", user=None):
        r = self.env.busctl("ExplainVM", "ss", vm, perf, user=user)
        self.assertEqual(r.rc, 0, r)
        rows = r.data[0]
        self.assertEqual([c for c, _, _ in rows], CHECKS, rows)
        return {c: (res, detail) for c, res, detail in rows}

    def snapshot(self):
        env = self.env
        return (env.state_files(), env.busctl("ListVMs").data, {k: env.prop(k) for k in ("AssignedVFs", "UsableVFs")},
                {i: self.sim_vfs(env, i) for i in ("ens1", "ens2")})

    def test_explain_changes_nothing_and_judges_every_rule(self):
        env = self.env
        before = self.snapshot()
        # as nobody: reads need no authorisation
        small = self.explain("small", "High", user="nobody")
        self.assertEqual(small["vcpus"][0], "Failed")
        self.assertIn("'small' has 1 vCPU(s); performance High needs at least 4 with hyperthreading off",
                      small["vcpus"][1])
        # the same message as EnableVM's refusal, word for word
        r = env.call("EnableVM", "string:small", "string:High")
        self.assertError(r, ERR + "VmNotEnoughVcpus")
        self.assertIn(small["vcpus"][1], r.err)
        # not stopped by the refusal: the other rules are judged too
        self.assertEqual(small["setting"][0], "Warning")
        self.assertEqual(small["virtio-nic"][0], "Passed")
        self.assertEqual(small["capacity"][0], "Passed")
        self.assertEqual(small["vf"][0], "Passed")
        nonic = self.explain("nonic", "Low")
        self.assertEqual(nonic["virtio-nic"][0], "Failed")
        self.assertIn("no virtio network interface", nonic["virtio-nic"][1])
        self.assertEqual(self.snapshot(), before)

        # the numbers are ListNodes' and the properties'
        self.enable(env, "big", "Medium")
        (_, _, _, _, cap, usable, assigned, _), = env.busctl("ListNodes").data[0]
        self.assertEqual((cap, usable, assigned), (16, 8, 1))
        self.assertEqual((env.prop("CapacityVFs"), env.prop("UsableVFs"), env.prop("AssignedVFs")), (16, 8, 1))
        far = self.explain("far", "High")
        self.assertEqual(far["capacity"][0], "Passed")
        self.assertIn("1 of 8 usable VFs are assigned: 7 left outside the node reserve", far["capacity"][1])
        self.assertIn("Host: 16 VFs, 8 usable (node reserve 50%), 1 assigned; free on this node: 15, 15 of them "
                      "for performance High", far["capacity"][1])
        # NUMA: High requires the VM's node (1): a VF of ens2
        self.assertEqual(far["numa"][0], "Passed")
        self.assertIn("The VM is on NUMA node 1, the VF it would get (0000:03:", far["numa"][1])
        self.assertIn("on node 1: local (performance High: NUMA required)", far["numa"][1])
        self.assertIn("Adapters of intent 'c' that take new VFs: ens1 (Healthy), ens2 (Healthy).",
                      far["adapter-health"][1])

        # a held VF: its own, its adapter's health, no capacity needed; "" = its tier
        big = self.explain("big")
        self.assertIn("VM 'big' is accelerated with performance Medium", big["setting"][1])
        vf = self.vms(env)["big"][2]
        self.assertIn(f"It holds VF {vf} (index ", big["vf"][1])
        self.assertIn("Its VF's adapter ens1 (0000:01:00.0) is Healthy.", big["adapter-health"][1])
        self.assertEqual(big["numa"], ("Passed", f"The VM is on NUMA node 0, its VF {vf} on node 0: local "
                                                 "(performance Medium: NUMA preferred)."))
        self.assertIn("It holds a VF: no capacity needed.", big["capacity"][1])

        # ens2 drained: High for "far" fails on NUMA, Medium only warns (preferred)
        self.ok(env.call("DrainAdapter", "string:ens2"))
        before = self.snapshot()
        far = self.explain("far", "High")
        self.assertEqual(far["vf"][0], "Failed")
        self.assertIn("Performance High needs a VF on NUMA node 1, where VM 'far' runs, and none is free",
                      far["vf"][1])
        self.assertEqual(far["numa"][0], "Failed")
        self.assertEqual(far["adapter-health"][0], "Warning")
        self.assertIn("Not taking any: ens2 (drained for servicing).", far["adapter-health"][1])
        r = env.call("EnableVM", "string:far", "string:High")
        self.assertError(r, ERR + "CannotProvisionPerformance")
        self.assertIn(far["vf"][1], r.err)
        far = self.explain("far", "Medium")
        self.assertEqual((far["vf"][0], far["numa"][0]), ("Passed", "Warning"))
        self.assertIn("on node 0: remote", far["numa"][1])
        self.assertEqual(self.snapshot(), before)

    def test_explain_waiting_and_revoked(self):
        env = self.env
        self.enable(env, "big", "Medium")
        self.ok(env.call("DrainAdapter", "string:ens1"))       # big moves to ens2
        self.ok(env.call("DrainAdapter", "string:ens2"))       # and then waits: no adapter left
        (big,) = [r for r in env.busctl("ListVMsEx").data[0] if r[0] == "big"]
        self.assertTrue(big[4].startswith("waiting for a VF since "), big)
        self.assertGreater(big[5]["waiting_since"]["data"], 0)
        rows = self.explain("big")
        self.assertEqual(rows["waiting"][0], "Warning")
        self.assertIn("It runs on virtio and is " + big[4], rows["waiting"][1])
        self.assertEqual(rows["adapter-health"], ("Failed", "No adapter of intent 'c' takes new VFs: ens1 (drained "
                                                            "for servicing), ens2 (drained for servicing). 'accelnetctl "
                                                            "health' says why; 'accelnetctl adapter restore' ends a "
                                                            "drain."))
        self.assertEqual(rows["capacity"][0], "Failed")
        self.assertIn("All 0 VFs of this host are assigned, the node reserve included.", rows["capacity"][1])
        self.assertEqual(rows["vf"], ("Failed", "No free VF can provide performance Medium."))
        # back on ens2, then revoked by the admin: since when, and how to end it
        self.ok(env.call("RestoreAdapter", "string:ens2"))
        self.ok(env.call("RevokeVM", "string:big"))
        rows = self.explain("big")
        self.assertEqual(rows["waiting"][0], "Warning")
        self.assertRegex(rows["waiting"][1], r"^It holds no VF: VF revoked by the admin since \d{4}-\d\d-\d\d "
                                             r".*It gets none until 'accelnetctl vm restore big'\.$")
        self.assertIn("0 of the host's 8 VFs are assigned, the node reserve included (it may be used here): 8 left.",
                      rows["capacity"][1])

    def test_explain_teamed_nic(self):
        # a running VM whose virtio NIC was started with failover: the test driver cannot plug
        # the VF live, and the note says so (a power cycle)
        teamed = domain("teamed", vcpus=4, mac="52:54:00:cc:00:09", index=9).replace(
            "<model type='virtio'/>", "<model type='virtio'/><teaming type='persistent'/><alias name='ua-net0'/>")
        env = self.make(host_json=two_node_host(), domains=[teamed], intents=INTENT12, enable="c")
        self.assertEqual(self.explain_on(env, "teamed")["teaming"][0], "Passed")
        self.enable(env, "teamed", "Low")
        note = self.vms(env)["teamed"][3]
        self.assertEqual(note, "applies at next start: the hypervisor cannot plug the VF into the running VM; "
                               "power-cycle the VM (shut it down, then start it; a guest reboot is not enough)")
        rows = self.explain_on(env, "teamed")
        self.assertEqual(rows["teaming"], ("Warning", "The running virtio NIC 52:54:00:cc:00:09 is teamed (failover), "
                                                      f"but its VF is not in the running VM: {note}."))
        self.assertEqual(rows["vf"][0], "Warning")

    def explain_on(self, env, vm):
        r = env.busctl("ExplainVM", "ss", vm, "")
        self.assertEqual(r.rc, 0, r)
        return {c: (res, detail) for c, res, detail in r.data[0]}

    def test_explain_errors(self):
        env = self.env
        self.assertError(env.call("ExplainVM", "string:ghost", "string:"), NOSUCH, "No VM named 'ghost'")
        self.assertError(env.call("ExplainVM", "string:big", "string:turbo"), INVALID, "turbo")
        self.assertError(env.call("ExplainVM", "string:", "string:"), INVALID)
        # disabled management: said in the first row, nothing refused
        self.ok(env.call("Disable"))
        rows = self.explain("big")
        self.assertEqual(rows["management"][0], "Failed")
        self.assertIn("accelnetctl enable", rows["management"][1])
        self.assertIn("Checked for performance Low, the least demanding tier", rows["setting"][1])

    def test_batches_with_messages(self):
        env = self.env
        single = env.call("EnableVM", "string:small", "string:High")
        self.assertError(single, ERR + "VmNotEnoughVcpus")
        r = env.busctl("EnableVMsEx", "ass", 3, "big", "small", "ghost", "High")
        self.assertEqual(r.rc, 0, r)
        rows = r.data[0]
        self.assertEqual([row[:2] for row in rows], [["big", ""], ["small", ERR + "VmNotEnoughVcpus"],
                                                    ["ghost", NOSUCH]])
        self.assertEqual(rows[0][2], "")
        self.assertIn(rows[1][2], single.err)
        self.assertIn("at least 4 with hyperthreading off", rows[1][2])
        self.assertEqual(rows[2][2], "No VM named 'ghost' (virsh list --all).")
        self.assertEqual(self.enabled(env)["big"][:2], ("enabled", "High"))
        # the old batch: a(ss), the same outcome
        r = env.busctl("EnableVMs", "ass", 3, "far", "off", "small", "Low")
        self.assertEqual(r.data[0], [["far", ""], ["off", ""], ["small", ERR + "VmNotEnoughVcpus"]])
        r = env.busctl("DisableVMsEx", "as", 3, "far", "off", "ghost")
        self.assertEqual(r.data[0], [["far", "", ""], ["off", "", ""],
                                     ["ghost", NOSUCH, "No VM named 'ghost' (virsh list --all)."]])
        self.assertEqual(set(self.enabled(env)), {"big"})
        self.assertError(env.call("EnableVMsEx", "array:string:", "string:Low"), INVALID, "empty")

    def test_list_vms_ex(self):
        env = self.env
        self.enable(env, "big", "Medium")
        self.enable(env, "off", "Low")
        node = env.prop("NodeName")
        plain = {row[0]: row[1:] for row in env.busctl("ListVMs").data[0]}
        rows = {row[0]: row for row in env.busctl("ListVMsEx").data[0]}
        self.assertEqual(set(rows), set(plain))
        for vm, row in rows.items():
            self.assertEqual(row[1:5], plain[vm], vm)            # ListVMs' fields, unchanged
        d = {k: v["data"] for k, v in rows["big"][5].items()}
        pf = "0000:01:00.0" if rows["big"][3].startswith("0000:01:") else "0000:03:00.0"
        self.assertEqual(d, {"node": node, "power": "running", "vcpus": 4, "numa_node": 0, "vf_numa_node": 0,
                             "numa_local": "yes", "pf": pf, "mac": "52:54:00:cc:00:01", "waiting_since": 0,
                             "revoked_since": 0, "eligible_tiers": ["Low", "Medium", "High"]})
        self.assertEqual(pf, "0000:01:00.0")                 # Medium prefers the VM's node
        d = {k: v["data"] for k, v in rows["off"][5].items()}
        self.assertEqual((d["power"], d["vcpus"], d["numa_node"], d["numa_local"]), ("shut off", 2, -1, "unknown"))
        d = {k: v["data"] for k, v in rows["small"][5].items()}
        self.assertEqual((d["power"], d["vcpus"], d["pf"], d["vf_numa_node"]), ("running", 1, "", -1))
        # eligible_tiers: admission's static checks (virtio NIC, vCPUs with hyperthreading off:
        # Low 2, Medium 2, High 4), whatever the VM's state, capacity or management
        eligible = {vm: row[5]["eligible_tiers"]["data"] for vm, row in rows.items()}
        self.assertEqual(eligible, {"big": ["Low", "Medium", "High"], "far": ["Low", "Medium", "High"],
                                    "small": [], "nonic": [], "off": ["Low", "Medium"]})
        self.assertEqual(rows["off"][5]["eligible_tiers"]["type"], "as")
        # the same verdicts as ExplainVM's vcpus and virtio-nic checks
        for vm in rows:
            for tier in ("Low", "Medium", "High"):
                e = self.explain(vm, tier)
                static_ok = e["vcpus"][0] == "Passed" and e["virtio-nic"][0] == "Passed"
                self.assertEqual(tier in eligible[vm], static_ok, (vm, tier, e["vcpus"], e["virtio-nic"]))
        # the reason in the note, its prefix kept
        self.assertEqual(plain["off"][3], "applies at next start: the VM is not running; it gets the VF when it "
                                          "starts")
        self.assertEqual(plain["big"][3], "applies at next start: the running virtio NIC was not started with "
                                          "teaming; power-cycle the VM (shut it down, then start it; a guest reboot "
                                          "is not enough)")

    def test_list_adapters_ex(self):
        env = self.env
        self.enable(env, "big", "Low")
        plain = env.busctl("ListAdapters").data[0]
        rows = env.busctl("ListAdaptersEx").data[0]
        self.assertEqual([row[:7] for row in rows], plain)
        d = {row[1]: {k: v["data"] for k, v in row[7].items()} for row in rows}
        self.assertEqual(d["ens1"], {"numa_node": 0, "speed_mbps": 1000, "vendor": "Intel Corporation",
                                     "model": "82576 Gigabit Network Connection", "intent": "c",
                                     "health": "Healthy", "quarantined": False, "drained": False, "in_use": True})
        self.assertEqual((d["ens2"]["numa_node"], d["ens2"]["drained"]), (1, False))
        self.ok(env.call("DrainAdapter", "string:0000:03:00.0"))
        d = {row[1]: {k: v["data"] for k, v in row[7].items()} for row in env.busctl("ListAdaptersEx").data[0]}
        self.assertTrue(d["ens2"]["drained"])

    def test_list_vfs(self):
        env = self.env
        self.enable(env, "big", "Medium")
        vf = self.vms(env)["big"][2]
        # counters as a driver reports them (IFLA_VF_STATS), written into the simulated VF file
        path = self.sim_path(env, "ens1")
        with open(path) as f:
            doc = json.load(f)
        entry = next(v for v in doc["vfs"] if v["mac"] == "52:54:00:cc:00:01")
        stats = {"rx_packets": 1200, "tx_packets": 800, "rx_bytes": 5_000_000_000_123, "tx_bytes": 987654,
                 "broadcast": 7, "multicast": 9, "rx_dropped": 3, "tx_dropped": 4}
        entry["stats"] = stats
        with open(path + ".new", "w") as f:
            json.dump(doc, f)
        os.rename(path + ".new", path)

        rows = env.busctl("ListVFs", "s", "ens1").data[0]
        sim = self.sim_vfs(env, "ens1")
        self.assertEqual([r[2] for r in rows], sorted(sim))
        for pf, addr, index, dv in rows:
            d = {k: v["data"] for k, v in dv.items()}
            s = sim[index]
            self.assertEqual(pf, "ens1")
            self.assertEqual(os.path.basename(os.readlink(os.path.join(env.root, "sys/bus/pci/devices/0000:01:00.0",
                                                                      f"virtfn{index}"))), addr)
            self.assertEqual((d["mac"], d["vlan"], d["qos"], d["spoof_check"], d["trust"], d["min_tx_rate"],
                              d["max_tx_rate"], d["link_state"]),
                             (s["mac"], s["vlan"], s["qos"], s["spoofchk"], s["trust"], s["min_tx_rate"],
                              s["max_tx_rate"], s["link_state"]))
            self.assertEqual(d["owner"], "big" if addr == vf else "")
            if addr == vf:
                self.assertEqual({k: d[k] for k in stats}, stats)
        self.assertIn(vf, [r[1] for r in rows])
        # by PCI address the same; "" every adapter's
        self.assertEqual(env.busctl("ListVFs", "s", "0000:01:00.0").data[0], rows)
        every = env.busctl("ListVFs", "s", "").data[0]
        self.assertEqual(len(every), 16)
        self.assertEqual({r[0] for r in every}, {"ens1", "ens2"})
        self.assertError(env.call("ListVFs", "string:nope"), NOT_FOUND, "No adapter 'nope'")
        self.assertEqual(env.busctl("ListVFs", "s", "ens2", user="nobody").rc, 0)


if __name__ == "__main__":
    main()
