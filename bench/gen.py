#!/usr/bin/env python3
"""Scenario generator for the benchmarks (bench/run.sh).

  gen.py host N_PF VFS OUT.json
      A host description (docs/host-description.md): N_PF synthesised E810-like PFs
      (ice, TotalVFs = VFS, offset 8, stride 1, ARI), each under its own root port with
      ACS, with VFS VFs already created and bound to iavf (net devices ethNvM).
  gen.py vms N_PF VFS N_VM ROOT NODE.xml CONFIG_DIR STATE_DIR
      A libvirt test-driver node file with N_VM running domains (+ 4 spare ones without a
      VF), each holding one VF as accelnet leaves it (hostdev interface, alias
      ua-accelnet-vf-DDDD-BB-DD-F, teamed with the virtio NIC), the configuration (one
      compute intent over all PFs) and a state.json (src/policy/state-file.c, version 1)
      with management enabled and those assignments. ROOT is the fake root built from the
      host description (used to read the VF addresses from the virtfnN links).
"""
import json
import os
import sys


def pf_bus(k):
    return 2 + 2 * k


def pf_addr(k):
    return f"0000:{pf_bus(k):02x}:00.0"


def ifname(k):
    return f"eth{k}"


def host(n_pf, vfs, out):
    devs = []
    for k in range(n_pf):
        b = pf_bus(k)
        devs.append({
            "address": f"0000:00:{k + 1:02x}.0", "numa_node": k % 2, "bus": [b, b + 1],
            "config": {"synth": {"vendor": "8086", "device": "2030", "type": "rootport", "acs": True}},
            "children": [{
                "address": pf_addr(k), "driver": "ice", "ifname": ifname(k), "numa_node": k % 2,
                "link_speed": 100000, "sriov_numvfs": vfs, "vf_driver": "iavf",
                "config": {"synth": {"vendor": "8086", "device": "1593", "class": "020000", "ari": True,
                                     "sriov": {"total": vfs, "offset": 8, "stride": 1, "vf_device": "1889"}}},
            }],
        })
    desc = {"comment": f"bench: {n_pf} PFs x {vfs} VFs", "kernel": "6.1.0-18-amd64", "iommu": True, "smt": 0,
            "numa": {"0": "0-7", "1": "8-15"}, "devices": devs}
    with open(out, "w") as f:
        json.dump(desc, f)


def vf_address(root, k, i):
    dev = os.path.join(root, "sys/bus/pci/devices", pf_addr(k))
    return os.path.basename(os.readlink(os.path.join(dev, f"virtfn{i}")))


def vms(n_pf, vfs, n_vm, root, node, config_dir, state_dir):
    os.makedirs(os.path.join(config_dir, "intents.d"), exist_ok=True)
    os.makedirs(state_dir, exist_ok=True)
    with open(os.path.join(config_dir, "accelnet.json"), "w") as f:
        json.dump({"node_reserve_default": 0}, f)
    with open(os.path.join(config_dir, "intents.d", "compute.json"), "w") as f:
        json.dump({"name": "compute", "types": ["compute"], "adapters": [ifname(k) for k in range(n_pf)]}, f)
    out = ['<?xml version="1.0"?>', "<node>",
           "  <cpu><mhz>2400</mhz><model>x86_64</model><active>16</active><nodes>2</nodes><sockets>1</sockets>"
           "<cores>8</cores><threads>2</threads></cpu>", "  <memory>67108864</memory>"]
    assignments = []
    for v in range(n_vm + 4):
        name = f"vm{v:05d}"
        mac = f"52:54:00:{(v >> 16) & 0xff:02x}:{(v >> 8) & 0xff:02x}:{v & 0xff:02x}"
        uuid = f"6695eb01-f6a4-8304-79aa-{v:012x}"
        dev = [f'      <interface type="network"><mac address="{mac}"/><source network="default"/>'
               f'<model type="virtio"/>']
        if v < n_vm:
            k, i = v % n_pf, v // n_pf
            vf = vf_address(root, k, i)
            dom, bus, rest = vf.split(":")
            slot, fn = rest.split(".")
            alias = f"ua-accelnet-vf-{dom}-{bus}-{slot}-{fn}"
            dev[0] += '<teaming type="persistent"/><alias name="ua-accelnet-virtio0"/></interface>'
            dev.append(f'      <interface type="hostdev" managed="yes"><mac address="{mac}"/>'
                       f'<source><address type="pci" domain="0x{dom}" bus="0x{bus}" slot="0x{slot}" '
                       f'function="0x{fn}"/></source><teaming type="transient" persistent="ua-accelnet-virtio0"/>'
                       f'<alias name="{alias}"/></interface>')
            assignments.append({"vm": name, "uuid": uuid, "tier": "Low", "vf": vf, "pf": pf_addr(k), "vf_index": i,
                                "phase": "assigned", "next_start": False, "alias": alias, "mac": mac, "vlan": 0,
                                "saved": {"valid": True, "mac": "00:00:00:00:00:00", "vlan": 0, "qos": 0,
                                          "spoofchk": True, "trust": False, "min_tx_rate": 0, "max_tx_rate": 0}})
        else:
            dev[0] += "</interface>"
        out += ['  <domain type="test">', f"    <name>{name}</name>", f"    <uuid>{uuid}</uuid>",
                '    <memory unit="KiB">1048576</memory>', '    <vcpu placement="static">4</vcpu>',
                '    <os><type arch="x86_64">hvm</type></os>', "    <devices>", *dev, "    </devices>", "  </domain>"]
    out.append("</node>")
    with open(node, "w") as f:
        f.write("\n".join(out) + "\n")
    state = {"version": 1, "management": {"enabled": True, "intent": "compute", "node_reserve": 0},
             "adapters": [{"pf": pf_addr(k), "numvfs_before": vfs, "numvfs": vfs, "status": "done"}
                          for k in range(n_pf)],
             "vms": assignments}
    with open(os.path.join(state_dir, "state.json"), "w") as f:
        json.dump(state, f)


if __name__ == "__main__":
    if sys.argv[1] == "host":
        host(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif sys.argv[1] == "vms":
        vms(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), *sys.argv[5:9])
    else:
        sys.exit(__doc__)
