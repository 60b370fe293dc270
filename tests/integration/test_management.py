#!/usr/bin/env python3
"""Enable, Set, Disable, GetPrerequisites, ListAdapters, ListIntents over a real bus:
every error name of the management methods, argument validation that changes nothing,
authorisation, properties and state across restarts, kill -9 during Enable."""
import os
import signal
import subprocess
import time

from harness import TestCase, main

ERR = "org.accelnet1.Error."
INVALID = "org.freedesktop.DBus.Error.InvalidArgs"


def igb(address, ifname=None, driver="igb", total=8, numvfs=None, vf_driver=None):
    d = {"address": address,
         "config": {"synth": {"vendor": "8086", "device": "10c9",
                              "sriov": {"total": total, "offset": 128, "stride": 2, "vf_device": "10ca"}}}}
    if driver:
        d["driver"] = driver
    if ifname:
        d["ifname"] = ifname
    if numvfs is not None:
        d["sriov_numvfs"] = numvfs
    if vf_driver:
        d["vf_driver"] = vf_driver
    return d


def rootport(address, bus, children, acs=True):
    return {"address": address, "bus": bus, "children": children,
            "config": {"synth": {"vendor": "8086", "device": "2f02", "type": "rootport", "acs": acs}}}


class Errors(TestCase):
    def setUp(self):
        self.env = self.make_env()
        self.env.write_config("intents.d/acsonly.json", {"name": "acsonly", "types": ["compute"], "adapters": ["ens3"]})
        self.env.write_config("intents.d/nodriver.json",
                              {"name": "nodriver", "types": ["compute"], "adapters": ["0000:08:00.0"]})
        self.env.write_config("intents.d/ghost.json", {"name": "ghost", "types": ["compute"], "adapters": ["ens99"]})
        self.env.start()

    def assertUnchanged(self):
        self.assertFalse(self.env.prop("Enabled"))
        self.assertEqual(self.env.prop("CapacityVFs"), 0)
        self.assertEqual(self.env.sysfs("sys/bus/pci/devices/0000:01:00.0/sriov_numvfs"), "0")
        self.assertFalse(os.path.exists(os.path.join(self.env.state_dir, "state.json"))
                         and self.env.state()["management"]["enabled"])

    def test_intent_not_found(self):
        r = self.env.call("Enable", "string:nope", "uint32:50")
        self.assertError(r, ERR + "IntentNotFound", "nope")
        self.assertIn("compute", r.err)  # names the known intents
        self.assertUnchanged()

    def test_intent_type(self):
        self.assertError(self.env.call("Enable", "string:storage", "uint32:50"), ERR + "IntentTypeCheckFailed", "storage")
        self.assertUnchanged()

    def test_sriov_support_errors(self):
        self.assertError(self.env.call("Enable", "string:acsonly", "uint32:50"), ERR + "SriovSupportMissingAcs", "ens3")
        self.assertError(self.env.call("Enable", "string:nodriver", "uint32:50"), ERR + "SriovSupportMissingPfDriver",
                         "0000:08:00.0")
        self.assertError(self.env.call("Enable", "string:ghost", "uint32:50"), ERR + "SriovSupportUnknown", "ens99")
        self.assertUnchanged()

    def test_invalid_args(self):
        for args, needle in ((["string:compute", "uint32:100"], "100"),
                             (["string:compute", "uint32:4294967294"], "4294967294"),
                             (["string:", "uint32:50"], "empty"),
                             (["string:a/b", "uint32:50"], "a/b"),
                             (["string:" + "x" * 5000, "uint32:50"], "xxxx")):
            r = self.env.call("Enable", *args)
            self.assertError(r, INVALID, needle)
            self.assertLess(len(r.err), 1000)  # a 5,000-character name is not echoed whole
        # wrong signature: sd-bus refuses before our handler
        self.assertError(self.env.call("Enable", "string:compute", "string:50"), INVALID)
        self.assertError(self.env.call("Enable", "uint32:50"), INVALID)
        self.assertError(self.env.call("Set", "string:compute", "uint32:100"), INVALID, "100")
        self.assertUnchanged()

    def test_not_enabled(self):
        self.assertError(self.env.call("Set", "string:", "uint32:20"), ERR + "NotEnabled")
        # Disable when disabled is a no-op success
        self.assertEqual(self.env.call("Disable").rc, 0)

    def test_access_denied_for_nobody(self):
        r = self.env.call("Enable", "string:compute", "uint32:50", user="nobody")
        self.assertError(r, "org.freedesktop.DBus.Error.AccessDenied", "org.accelnet1.manage")
        self.assertUnchanged()
        # reads are open to everyone
        r = self.env.busctl("GetPrerequisites", user="nobody")
        self.assertEqual(r.rc, 0, r)
        self.assertTrue(any(row[0] == "iommu" for row in r.data[0]))
        self.assertEqual(self.env.busctl("ListAdapters", user="nobody").rc, 0)
        self.assertEqual(self.env.busctl("ListIntents", user="nobody").rc, 0)
        r = self.env.run(["busctl", "--system", "get-property", "org.accelnet1", "/org/accelnet1",
                          "org.accelnet1.Manager", "Enabled"], user="nobody")
        self.assertEqual(r.rc, 0, r)
        # writing a property is refused by the bus policy
        r = self.env.dbus_send("org.accelnet1", "/org/accelnet1", "org.freedesktop.DBus.Properties.Set",
                               "string:org.accelnet1.Manager", "string:Enabled", "variant:boolean:true", user="nobody")
        self.assertNotEqual(r.rc, 0)

    def test_access_denied_after_enable(self):
        self.assertEqual(self.env.call("Enable", "string:compute", "uint32:50").rc, 0)
        self.assertError(self.env.call("Disable", user="nobody"), "org.freedesktop.DBus.Error.AccessDenied")
        self.assertError(self.env.call("Set", "string:", "uint32:10", user="nobody"),
                         "org.freedesktop.DBus.Error.AccessDenied")
        self.assertTrue(self.env.prop("Enabled"))
        self.assertEqual(self.env.prop("NodeReservePercentage"), 50)


class Provisioning(TestCase):
    def test_enable_counts_and_skips(self):
        env = self.make_env()
        env.start()
        r = env.call("Enable", "string:compute", "uint32:50")
        self.assertEqual(r.rc, 0, r)
        p = env.props()
        # four healthy igb PFs of 8 VFs; ens3 (no ACS) and the E810 (no driver) skipped
        self.assertEqual((p["Enabled"], p["IntentName"], p["NodeReservePercentage"]), (True, "compute", 50))
        self.assertEqual((p["CapacityVFs"], p["UsableVFs"], p["AssignedVFs"]), (32, 16, 0))
        for pf in ("0000:01:00.0", "0000:01:00.1", "0000:03:00.0", "0000:03:00.1"):
            self.assertEqual(env.sysfs(f"sys/bus/pci/devices/{pf}/sriov_numvfs"), "8")
            self.assertTrue(os.path.islink(os.path.join(env.root, f"sys/bus/pci/devices/{pf}/virtfn7")))
        self.assertEqual(env.sysfs("sys/bus/pci/devices/0000:07:00.0/sriov_numvfs"), "0")
        adapters = {a[0]: a for a in env.busctl("ListAdapters").data[0]}
        self.assertEqual(adapters["0000:01:00.0"][1:], ["ens1f0", "igb", "Supported", 8, 8, 0])
        self.assertEqual(adapters["0000:07:00.0"][3], "MissingAcs")
        self.assertEqual(adapters["0000:08:00.0"][3], "MissingPfDriver")
        rows = env.busctl("GetPrerequisites").data[0]
        skipped = [r for r in rows if r[0] == "intent"]
        self.assertEqual({r[1] for r in skipped}, {"0000:07:00.0", "0000:08:00.0"})
        self.assertEqual({r[3] for r in skipped}, {"SriovSupportMissingAcs", "SriovSupportMissingPfDriver"})
        self.assertIn("skipped", env.logtext())
        # same call again: no-op
        self.assertEqual(env.call("Enable", "string:compute", "uint32:50").rc, 0)
        # reserve 0 and 99
        self.assertEqual(env.call("Set", "string:", "uint32:0").rc, 0)
        self.assertEqual((env.prop("UsableVFs"), env.prop("NodeReservePercentage")), (32, 0))
        self.assertEqual(env.call("Set", "string:", "uint32:99").rc, 0)
        self.assertEqual(env.prop("UsableVFs"), 0)  # floor(32 * 1 / 100)
        self.assertEqual(env.call("Set", "string:", "uint32:4294967295").rc, 0)  # keep
        self.assertEqual(env.prop("NodeReservePercentage"), 99)
        st = env.state()
        self.assertEqual(st["management"], {"enabled": True, "intent": "compute", "node_reserve": 99})
        self.assertEqual(sorted(a["pf"] for a in st["adapters"]), ["0000:01:00.0", "0000:01:00.1", "0000:03:00.0",
                                                                   "0000:03:00.1"])
        self.assertTrue(all(a["status"] == "done" and a["numvfs"] == 8 for a in st["adapters"]))
        # Disable stops tracking; the VFs stay
        self.assertEqual(env.call("Disable").rc, 0)
        self.assertEqual((env.prop("Enabled"), env.prop("CapacityVFs"), env.prop("IntentName")), (False, 0, ""))
        self.assertEqual(env.sysfs("sys/bus/pci/devices/0000:01:00.0/sriov_numvfs"), "8")

    def test_no_bus_resources(self):
        # The real 82576 dump: VF offset 384, stride 2 puts its VFs on the next bus.
        env = self.make_env(host_json={"devices": [
            rootport("0000:00:01.0", [1, 1], [{"address": "0000:01:00.0", "driver": "igb", "ifname": "ens1",
                                              "config": {"dump": "xxxx-pciutils-intel-82576-pf-sriov.txt",
                                                         "slot": "01:00.0"}}])]},
            intents={"c": {"name": "c", "types": ["compute"], "adapters": ["ens1"]}})
        env.start()
        self.assertError(env.call("Enable", "string:c", "uint32:50"), ERR + "SriovSupportNoBusResources", "pci=realloc")

    def test_accelnet_not_supported_old_kernel(self):
        env = self.make_env(host_json={"kernel": "4.9.0-8-amd64", "smt": 0, "devices": [
            rootport("0000:00:01.0", [1, 2], [igb("0000:01:00.0", "ens1")])]},
            intents={"c": {"name": "c", "types": ["compute"], "adapters": ["ens1"]}})
        env.start()
        self.assertError(env.call("Enable", "string:c", "uint32:50"), ERR + "AccelNetNotSupported", "4.9.0")
        self.assertFalse(env.prop("HyperthreadingEnabled"))

    def test_busy_when_vfs_in_use(self):
        env = self.make_env(host_json={"devices": [
            rootport("0000:00:01.0", [1, 2], [igb("0000:01:00.0", "ens1", numvfs=4, vf_driver="vfio-pci")])]},
            intents={"c": {"name": "c", "types": ["compute"], "adapters": ["ens1"]}})
        env.start()
        r = env.call("Enable", "string:c", "uint32:50")
        self.assertError(r, ERR + "Busy", "vfio-pci")
        self.assertIn("0000:01:10.0", r.err)  # names the holder
        self.assertEqual(env.sysfs("sys/bus/pci/devices/0000:01:00.0/sriov_numvfs"), "4")
        self.assertFalse(env.prop("Enabled"))

    def test_existing_vfs_used_as_they_are(self):
        env = self.make_env(host_json={"devices": [
            rootport("0000:00:01.0", [1, 2], [igb("0000:01:00.0", "ens1", numvfs=8, vf_driver="vfio-pci")])]},
            intents={"c": {"name": "c", "types": ["compute"], "adapters": ["ens1"]}})
        env.start()
        self.assertEqual(env.call("Enable", "string:c", "uint32:25").rc, 0)
        self.assertEqual((env.prop("CapacityVFs"), env.prop("UsableVFs")), (8, 6))
        self.assertEqual(env.state()["adapters"][0]["numvfs_before"], 8)

    def test_enable_refuses_an_adapter_that_lost_its_driver(self):
        env = self.make_env(host_json={"devices": [
            rootport("0000:00:01.0", [1, 2], [igb("0000:01:00.0", "ens1")])]},
            intents={"c": {"name": "c", "types": ["compute"], "adapters": ["ens1"]}})
        env.start()
        # the PF driver goes away after the daemon started: Enable looks at the host as it is now
        os.unlink(os.path.join(env.root, "sys/bus/pci/devices/0000:01:00.0/driver"))
        r = env.call("Enable", "string:c", "uint32:50")
        self.assertError(r, ERR + "SriovSupportMissingPfDriver", "0000:01:00.0")
        self.assertIn("driver", r.err)
        self.assertFalse(env.prop("Enabled"))
        self.assertFalse(env.state()["management"]["enabled"])


class Persistence(TestCase):
    # Restarts: a real libvirtd, whose domains outlive accelnetd (harness.Env libvirtd=True).
    def test_restart_keeps_management(self):
        env = self.make_env(libvirtd=True)
        env.start()
        self.assertEqual(env.call("Enable", "string:compute", "uint32:25").rc, 0)
        before = env.props()
        env.restart()
        self.assertEqual(env.props(), before)
        self.assertEqual(before["UsableVFs"], 24)

    def test_kill9_during_enable(self):
        env = self.make_env(libvirtd=True)
        # The simulated kernel takes 400 ms per sriov_numvfs write (src/sim/sim.h).
        delay = os.path.join(env.root, "run/accelnet-sim/numvfs-delay-ms")
        os.makedirs(os.path.dirname(delay), exist_ok=True)
        with open(delay, "w") as f:
            f.write("400\n")
        env.start()
        call = subprocess.Popen(["dbus-send", "--system", "--print-reply", "--dest=org.accelnet1", "/org/accelnet1",
                                 "org.accelnet1.Manager.Enable", "string:compute", "uint32:50"], env=env.env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(0.6)  # inside the second of four sriov_numvfs writes
        env.kill9()
        call.communicate(timeout=10)
        st = env.state()
        self.assertTrue(st["management"]["enabled"])
        self.assertIn("pending", [a["status"] for a in st["adapters"]])
        os.unlink(delay)
        env.start()
        # the restarted daemon reports what it has and finishes the interrupted provisioning
        self.assertTrue(env.prop("Enabled"))
        self.assertEqual(env.prop("IntentName"), "compute")
        deadline = time.time() + 10
        while env.prop("CapacityVFs") != 32 and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual((env.prop("CapacityVFs"), env.prop("UsableVFs")), (32, 16))
        self.assertTrue(all(a["status"] == "done" for a in env.state()["adapters"]))
        self.assertIn("Provisioning VFs (start)", env.logtext())

    def test_corrupt_state_kept_aside(self):
        env = self.make_env()
        os.makedirs(env.state_dir)
        with open(os.path.join(env.state_dir, "state.json"), "w") as f:
            f.write("{not json")
        env.start()
        aside = [n for n in os.listdir(env.state_dir) if n.startswith("state.json.corrupt-")]
        self.assertEqual(len(aside), 1)
        with open(os.path.join(env.state_dir, aside[0])) as f:
            self.assertEqual(f.read(), "{not json")
        rows = env.busctl("GetPrerequisites").data[0]
        self.assertTrue(any(r[0] == "state" and aside[0] in r[4] for r in rows), rows)
        self.assertFalse(env.prop("Enabled"))

    def test_newer_state_kept_aside(self):
        env = self.make_env()
        os.makedirs(env.state_dir)
        with open(os.path.join(env.state_dir, "state.json"), "w") as f:
            f.write('{"version": 99, "management": {"enabled": true}}')
        env.start()
        self.assertTrue(any(n.startswith("state.json.v99-") for n in os.listdir(env.state_dir)))
        self.assertFalse(env.prop("Enabled"))


class Config(TestCase):
    def test_bad_files_skipped(self):
        env = self.make_env(intents={
            "good": {"name": "good", "types": ["compute"], "adapters": ["ens1f0"]},
            "badjson": "{",
            "unknownkey": {"name": "u", "types": ["compute"], "adapters": ["ens1f0"], "colour": "red"},
            "wrongtype": {"name": "w", "types": "compute", "adapters": ["ens1f0"]},
            "zdup": {"name": "good", "types": ["compute"], "adapters": ["ens1f1"]},
        }, config='{"node_reserve_default": "fifty"}')
        env.start()
        intents = env.busctl("ListIntents").data[0]
        self.assertEqual(intents, [["good", ["compute"], ["ens1f0"]]])
        log = env.logtext()
        for needle in ("intents.d/badjson.json", "intents.d/unknownkey.json", "\"colour\"", "intents.d/wrongtype.json",
                       "\"types\"", "intents.d/zdup.json", "accelnet.json", "node_reserve_default"):
            self.assertIn(needle, log)
        self.assertEqual(log.count("intents.d/unknownkey.json"), 1)
        self.assertEqual(env.call("Enable", "string:good", "uint32:50").rc, 0)


class Signals(TestCase):
    def test_properties_changed(self):
        env = self.make_env()
        env.start()
        mon = subprocess.Popen(["dbus-monitor", "--system",
                                "type='signal',sender='org.accelnet1',interface='org.freedesktop.DBus.Properties'"],
                               env=env.env(), stdout=subprocess.PIPE, text=True)
        time.sleep(0.5)
        self.assertEqual(env.call("Enable", "string:compute", "uint32:50").rc, 0)
        time.sleep(0.5)
        mon.send_signal(signal.SIGTERM)
        out = mon.communicate(timeout=5)[0]
        mon.stdout.close() if mon.stdout and not mon.stdout.closed else None
        for p in ("Enabled", "IntentName", "CapacityVFs", "UsableVFs"):
            self.assertIn(f'string "{p}"', out)

    def test_sigterm_exits_cleanly(self):
        env = self.make_env(libvirtd=True)
        env.start()
        self.assertEqual(env.stop(signal.SIGTERM), 0)
        env.start()
        self.assertEqual(env.stop(signal.SIGINT), 0)


if __name__ == "__main__":
    main()
