#!/usr/bin/env python3
"""Scenario generator for the benchmarks (bench/run.sh).

  gen.py host N_PF VFS OUT.json
      A host description (docs/host-description.md): N_PF synthesised E810-like PFs
      (ice, TotalVFs = VFS, offset 8, stride 1, ARI), each under its own root port with
      ACS, with VFS VFs already created and bound to iavf (net devices ethNvM).
  gen.py vms N_PF VFS N_VM ROOT DOMAIN_DIR CONFIG_DIR STATE_DIR
      N_VM domains (+ 4 spare ones without a VF) as one XML file each in DOMAIN_DIR, and
      DOMAIN_DIR/define.virsh, the virsh commands that define and start them all (bench.py
      feeds it to one virsh session on a libvirtd hosting test:///default). Each of the
      N_VM holds one VF as accelnet leaves it: a hostdev interface with alias ua-accelnet-vf
      teamed (transient) with the virtio NIC (persistent, alias ua-accelnet-net0), and the
      setting <accelnet:vm performance="Low"/> in <metadata>. Also the configuration (one
      compute intent over all PFs) and a state.json (src/policy/state-file.c, version 1)
      with management enabled and those assignments. ROOT is the fake root built from the
      host description (used to read the VF addresses from the virtfnN links).
  gen.py drain N_PF VFS N_VM ROOT DOMAIN_DIR CONFIG_DIR STATE_DIR [INTENT_PFS]
      The drain scenario: N_VM running domains that each hold a VF of PF 0 as accelnet leaves
      a running VM given its VF by the libvirt test driver (in the persistent config only,
      "applies at next start": define.virsh defines the plain domain, starts it, then defines
      it again with the VF), DOMAIN_DIR/redefine.virsh (the persistent definitions with the VF
      again, after a drain), DOMAIN_DIR/vms.txt (VM:VF per line), the configuration (one
      compute intent over the first INTENT_PFS PFs, default all) and a state.json with those
      assignments (next_start true).
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


VF_ALIAS = "ua-accelnet-vf"            # ACCELNET_VF_ALIAS (src/shared/names.h)
VIRTIO_ALIAS = "ua-accelnet-net0"       # what virt_domain_attach_vf gives the first NIC
METADATA_URI = "https://accelnet.dev/xmlns/domain/1"  # ACCELNET_METADATA_URI


def domain_xml(v, n_vm, n_pf, root, tier="Low"):
    """Domain v as accelnet leaves an enabled one (v < n_vm): the virtio NIC teamed (persistent)
    with a hostdev VF interface (transient, alias ua-accelnet-vf) and the setting in
    <metadata>; v >= n_vm: a plain domain with one virtio NIC. Returns (name, uuid, mac, vf, pf, i)."""
    name = f"vm{v:05d}"
    mac = f"52:54:00:{(v >> 16) & 0xff:02x}:{(v >> 8) & 0xff:02x}:{v & 0xff:02x}"
    uuid = f"6695eb01-f6a4-8304-79aa-{v:012x}"
    virtio = f'<interface type="network"><mac address="{mac}"/><source network="default"/><model type="virtio"/>'
    devs, meta, vf, k, i = [], "", None, None, None
    if v < n_vm:
        k, i = v % n_pf, v // n_pf
        vf = vf_address(root, k, i)
        dom, bus, rest = vf.split(":")
        slot, fn = rest.split(".")
        devs.append(virtio + f'<teaming type="persistent"/><alias name="{VIRTIO_ALIAS}"/></interface>')
        devs.append(f'<interface type="hostdev" managed="yes"><mac address="{mac}"/>'
                    f'<source><address type="pci" domain="0x{dom}" bus="0x{bus}" slot="0x{slot}" '
                    f'function="0x{fn}"/></source><teaming type="transient" persistent="{VIRTIO_ALIAS}"/>'
                    f'<alias name="{VF_ALIAS}"/></interface>')
        meta = f'<metadata><accelnet:vm xmlns:accelnet="{METADATA_URI}" performance="{tier}"/></metadata>'
    else:
        devs.append(virtio + "</interface>")
    xml = (f'<domain type="test"><name>{name}</name><uuid>{uuid}</uuid>{meta}'
           '<memory unit="KiB">1048576</memory><vcpu placement="static">4</vcpu>'
           '<os><type arch="x86_64">hvm</type></os><devices>' + "".join(devs) + "</devices></domain>")
    return name, uuid, mac, vf, (pf_addr(k) if k is not None else None), i, xml


def vms(n_pf, vfs, n_vm, root, out_dir, config_dir, state_dir):
    """N_VM enabled domains + 4 plain ones as one file each in OUT_DIR, and OUT_DIR/define.virsh:
    the virsh commands that define and start them all (fed to one virsh session)."""
    os.makedirs(os.path.join(config_dir, "intents.d"), exist_ok=True)
    os.makedirs(state_dir, exist_ok=True)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(config_dir, "accelnet.json"), "w") as f:
        json.dump({"node_reserve_default": 0}, f)
    with open(os.path.join(config_dir, "intents.d", "compute.json"), "w") as f:
        json.dump({"name": "compute", "types": ["compute"], "adapters": [ifname(k) for k in range(n_pf)]}, f)
    assignments, cmds = [], []
    for v in range(n_vm + 4):
        name, uuid, mac, vf, pf, i, xml = domain_xml(v, n_vm, n_pf, root)
        path = os.path.join(out_dir, f"{name}.xml")
        with open(path, "w") as f:
            f.write(xml + "\n")
        cmds.append(f"define {path}")
        cmds.append(f"start {name}")
        if vf:
            assignments.append({"vm": name, "uuid": uuid, "tier": "Low", "vf": vf, "pf": pf, "vf_index": i,
                                "phase": "assigned", "next_start": False, "alias": VF_ALIAS, "mac": mac, "vlan": 0,
                                "saved": {"valid": True, "mac": "00:00:00:00:00:00", "vlan": 0, "qos": 0,
                                          "spoofchk": True, "trust": False, "min_tx_rate": 0, "max_tx_rate": 0}})
    with open(os.path.join(out_dir, "define.virsh"), "w") as f:
        f.write("\n".join(cmds) + "\n")
    state = {"version": 1, "management": {"enabled": True, "intent": "compute", "node_reserve": 0},
             "adapters": [{"pf": pf_addr(k), "numvfs_before": vfs, "numvfs": vfs, "status": "done"}
                          for k in range(n_pf)],
             "vms": assignments}
    with open(os.path.join(state_dir, "state.json"), "w") as f:
        json.dump(state, f)


def drain(n_pf, vfs, n_vm, root, out_dir, config_dir, state_dir, intent_pfs=None):
    n_int = n_pf if intent_pfs is None else int(intent_pfs)
    os.makedirs(os.path.join(config_dir, "intents.d"), exist_ok=True)
    os.makedirs(state_dir, exist_ok=True)
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(config_dir, "accelnet.json"), "w") as f:
        json.dump({"node_reserve_default": 0}, f)
    with open(os.path.join(config_dir, "intents.d", "compute.json"), "w") as f:
        json.dump({"name": "compute", "types": ["compute"], "adapters": [ifname(k) for k in range(n_int)]}, f)
    assignments, cmds, redef, pairs = [], [], [], []
    for v in range(n_vm):
        # one PF (n_pf=1 to domain_xml): every VF is PF 0's
        name, uuid, mac, vf, pf, i, xml = domain_xml(v, n_vm, 1, root)
        _, _, _, _, _, _, plain = domain_xml(v, 0, 1, root)
        plain_path = os.path.join(out_dir, f"{name}-plain.xml")
        path = os.path.join(out_dir, f"{name}.xml")
        with open(plain_path, "w") as f:
            f.write(plain + "\n")
        with open(path, "w") as f:
            f.write(xml + "\n")
        cmds += [f"define {plain_path}", f"start {name}", f"define {path}"]
        redef.append(f"define {path}")
        pairs.append(f"{name}:{vf}")
        assignments.append({"vm": name, "uuid": uuid, "tier": "Low", "vf": vf, "pf": pf, "vf_index": i,
                            "phase": "assigned", "next_start": True, "alias": VF_ALIAS, "mac": mac, "vlan": 0,
                            "saved": {"valid": True, "mac": "00:00:00:00:00:00", "vlan": 0, "qos": 0,
                                      "spoofchk": True, "trust": False, "min_tx_rate": 0, "max_tx_rate": 0}})
    for fname, lines in (("define.virsh", cmds), ("redefine.virsh", redef), ("vms.txt", pairs)):
        with open(os.path.join(out_dir, fname), "w") as f:
            f.write("\n".join(lines) + "\n")
    state = {"version": 1, "management": {"enabled": True, "intent": "compute", "node_reserve": 0},
             "adapters": [{"pf": pf_addr(k), "numvfs_before": vfs, "numvfs": vfs, "status": "done"}
                          for k in range(n_int)],
             "vms": assignments}
    with open(os.path.join(state_dir, "state.json"), "w") as f:
        json.dump(state, f)


if __name__ == "__main__":
    if sys.argv[1] == "host":
        host(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
    elif sys.argv[1] == "vms":
        vms(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), *sys.argv[5:9])
    elif sys.argv[1] == "drain":
        drain(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), *sys.argv[5:10])
    else:
        sys.exit(__doc__)
