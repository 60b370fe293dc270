#!/usr/bin/env python3
"""Prints the e2e guest's results (results.json) on the host: one line per step, its failures,
its timings, and the accelnet-versus-by-hand comparison. Exit status 1 when a step failed or
the scenario did not finish."""
import json
import sys

with open(sys.argv[1]) as f:
    doc = json.load(f)
steps = doc.get("steps", [])
bad = 0
print(f"==> e2e steps (guest scenario {doc.get('elapsed_s')}s, kernel {doc.get('facts', {}).get('kernel')})")
for s in steps:
    print(f"    {s['status'].upper():4}  {s['name']:10} {s['seconds']:7.2f}s  {s['title']}")
    for fl in s.get("failures", []):
        print(f"            failed: {fl}")
    for k, v in s.get("metrics", {}).items():
        print(f"            {k} = {v}")
    if s["status"] != "pass":
        bad += 1
        tail = [e for e in s.get("evidence", []) if e.startswith("FAILED") or e.startswith("$")][-6:]
        for e in tail:
            print("            | " + e.replace("\n", "\n            | ")[:1500])
c = doc.get("comparison") or {}
if c:
    print(f"==> e2e: enable management + accelerate one VM: accelnet {c.get('accelnet_s')}s, "
          f"by hand {c.get('by_hand_s')}s, ratio accelnet/by-hand {c.get('ratio_accelnet_over_by_hand')}")
if not doc.get("final"):
    print("e2e: FAIL: the scenario did not finish (results are partial)")
    bad += 1
if not steps:
    print("e2e: FAIL: no step ran")
    bad += 1
sys.exit(1 if bad else 0)
