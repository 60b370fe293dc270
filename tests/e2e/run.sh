#!/usr/bin/env bash
# accelnet e2e tier, host side: prepares the cached test bed (setup.sh), boots one QEMU 10
# guest (TCG, q35 + intel-iommu, igb SR-IOV NICs) that runs tests/e2e/scenario.py on the
# host's own root, and reports the guest's results. Exit status 0 only when the guest ran,
# finished in time and every step passed.
#
# Environment:
#   ACCELNET_BUILD_DIR       build folder with src/accelnetd, src/accelnetctl, src/accelnet-hook
#                            (default: SOURCE/build)
#   ACCELNET_E2E_RESULTS     where the guest writes its results (default BUILD/e2e-results)
#   ACCELNET_E2E_TIMEOUT     guest wall-clock limit in seconds (default 660; the scenario gets 60 s less)
#   ACCELNET_E2E_CACHE, XDG_CACHE_HOME   the test bed cache (see setup.sh)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd -P)
SRC=$(cd "$HERE/../.." && pwd -P)
BUILD=$(cd "${ACCELNET_BUILD_DIR:-$SRC/build}" && pwd -P)
RESULTS=${ACCELNET_E2E_RESULTS:-$BUILD/e2e-results}
GUEST_TIMEOUT=${ACCELNET_E2E_TIMEOUT:-660}
T0=$SECONDS
[[ "$GUEST_TIMEOUT" =~ ^[0-9]+$ ]] && [ "$GUEST_TIMEOUT" -ge 120 ] || {
  echo "e2e: ACCELNET_E2E_TIMEOUT '$GUEST_TIMEOUT' is not a number of seconds of at least 120" >&2; exit 1; }

# The guest sees the host's / (read-only) with fresh tmpfs on /tmp /run /var/tmp /var/log
# /var/lib/libvirt /var/cache/libvirt /root, so the source and build folders come in as their
# own shares, mounted at these same (physical, symlink-free) paths; params.env carries them
# in single quotes and QEMU's option parser needs commas doubled.
for p in "$SRC" "$BUILD"; do
  case "$p" in
    *"'"* | *'"'* | *'\'* | *$'\n'*)
      echo "e2e: the path '$p' contains a quote, a backslash or a newline, which the guest's" \
        "shares cannot carry: use a folder without them" >&2
      exit 1 ;;
  esac
done
virtfs_path() { printf '%s' "${1//,/,,}"; }

for b in accelnetd accelnetctl; do
  [ -x "$BUILD/src/$b" ] || { echo "e2e: $BUILD/src/$b is missing: build first" >&2; exit 1; }
done

echo "==> e2e: test bed (cache)"
CACHE=$("$HERE/setup.sh" | tail -n 1)
SETUP_S=$((SECONDS - T0))
REL=$(cat "$CACHE/kernel/release")
echo "    cache $CACHE, kernel $REL, setup ${SETUP_S}s"

rm -rf "$RESULTS"
mkdir -p "$RESULTS"
chmod 0777 "$RESULTS"
RESULTS=$(cd "$RESULTS" && pwd -P)
cat >"$RESULTS/params.env" <<EOF
E2E_SOURCE_DIR='$SRC'
E2E_BUILD_DIR='$BUILD'
E2E_KERNEL_RELEASE='$REL'
E2E_SCENARIO_TIMEOUT='$((GUEST_TIMEOUT - 60))'
E2E_STEPS='${ACCELNET_E2E_STEPS:-}'
EOF

# one MAC per igb so the guest finds each PF without knowing PCI addresses
QEMU_ARGS=(
  -accel tcg -cpu max -machine q35 -m 1024 -smp 2,sockets=1,cores=2,threads=1
  -nographic -no-reboot -nodefaults -serial stdio -monitor none
  -device intel-iommu,intremap=on
  -kernel "$CACHE/kernel/boot/vmlinuz-$REL" -initrd "$CACHE/initramfs.cpio.gz"
  -append "console=ttyS0 panic=-1 quiet loglevel=3 intel_iommu=on no_timer_check"
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap
  -virtfs "local,path=$(virtfs_path "$CACHE/kernel"),mount_tag=kernel,security_model=none,readonly=on,multidevs=remap"
  -virtfs "local,path=$(virtfs_path "$RESULTS"),mount_tag=results,security_model=none,multidevs=remap"
  # mounted by the init at their host paths, over whatever tmpfs hides them
  -virtfs "local,path=$(virtfs_path "$SRC"),mount_tag=src,security_model=none,readonly=on,multidevs=remap"
  -virtfs "local,path=$(virtfs_path "$BUILD"),mount_tag=build,security_model=none,readonly=on,multidevs=remap"
  # good PF: igb directly behind a root port (ACS) -> Supported
  -device pcie-root-port,id=rp1,chassis=1,slot=1
  -netdev user,id=n0,restrict=on -device igb,bus=rp1,netdev=n0,mac=52:54:00:e2:e0:01
  # igb behind a PCIe switch without ACS -> MissingAcs
  -device pcie-root-port,id=rp2,chassis=2,slot=2
  -device x3130-upstream,id=up2,bus=rp2
  -device xio3130-downstream,id=dn2,bus=up2,chassis=3,slot=0
  -netdev user,id=n1,restrict=on -device igb,bus=dn2,netdev=n1,mac=52:54:00:e2:e0:02
  # igb whose driver the scenario unbinds -> MissingPfDriver
  -device pcie-root-port,id=rp3,chassis=4,slot=3
  -netdev user,id=n2,restrict=on -device igb,bus=rp3,netdev=n2,mac=52:54:00:e2:e0:03
  # an SR-IOV function that is not a NIC
  -device pcie-root-port,id=rp4,chassis=5,slot=4
  -device nvme-subsys,id=nvsub0
  -device nvme,bus=rp4,serial=accelnete2e,subsys=nvsub0,sriov_max_vfs=2,sriov_vq_flexible=4,sriov_vi_flexible=2,max_ioqpairs=6,msix_qsize=3
)

# QEMU's monitor for the scenario's link events (QMP set_link from outside the guest): the guest
# writes its requests into the results share, tests/e2e/qmp-relay.py passes them on.
QMP_DIR=$(mktemp -d)
QEMU_ARGS+=(-qmp "unix:$QMP_DIR/qmp.sock,server=on,wait=off")
python3 "$HERE/qmp-relay.py" "$QMP_DIR/qmp.sock" "$RESULTS/qmp" >"$RESULTS/qmp-relay.log" 2>&1 &
RELAY=$!

echo "==> e2e: guest (QEMU 10, TCG, timeout ${GUEST_TIMEOUT}s); console: $RESULTS/console.log"
G0=$SECONDS
set +e
timeout -k 15 "$GUEST_TIMEOUT" "$HERE/qemu10.sh" "$CACHE" "${QEMU_ARGS[@]}" </dev/null >"$RESULTS/console.log" 2>&1
qrc=$?
kill "$RELAY" 2>/dev/null
wait "$RELAY" 2>/dev/null
set -e
rm -rf "$QMP_DIR"
GUEST_S=$((SECONDS - G0))

fail=0
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
  echo "e2e: FAIL: the guest timed out after ${GUEST_TIMEOUT}s" >&2
  fail=1
elif [ "$qrc" -ne 0 ]; then
  echo "e2e: FAIL: QEMU exited with status $qrc" >&2
  fail=1
fi
if [ -f "$RESULTS/init-failed" ]; then
  echo "e2e: FAIL: guest init: $(cat "$RESULTS/init-failed")" >&2
  fail=1
fi
if [ ! -s "$RESULTS/results.json" ]; then
  echo "e2e: FAIL: the guest wrote no results ($RESULTS/results.json); console tail:" >&2
  tail -n 40 "$RESULTS/console.log" >&2
  fail=1
else
  python3 "$HERE/report.py" "$RESULTS/results.json" || fail=1
fi
if [ ! -f "$RESULTS/scenario.rc" ]; then
  echo "e2e: FAIL: the scenario did not finish (no scenario.rc)" >&2
  fail=1
fi
echo "==> e2e: setup ${SETUP_S}s, guest ${GUEST_S}s (QEMU status $qrc), total $((SECONDS - T0))s; results in $RESULTS"
[ "$fail" -eq 0 ] && echo "==> e2e: PASS" || echo "==> e2e: FAIL"
exit "$fail"
