#!/usr/bin/env bash
# The main job end to end on accelnetd's built-in simulated host: a private D-Bus system bus
# with the project's policy, accelnetd --simulate (a fake sysfs root with four healthy igb
# PFs, one behind a port without ACS, one E810 without a driver; simulated netlink; the
# libvirt test driver with six VMs), then accelnetctl: prerequisites, adapters, enable,
# VM enable/list/show/check/disable, VF list, status.
#   scripts/demo.sh        (installs what it needs and builds first; non-interactive)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
accelnet_install_deps

BUILD_DIR=${BUILD_DIR:-build}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$PWD/$BUILD_DIR ;; esac   # an absolute BUILD_DIR works too
if [ "${ACCELNET_DEMO_NO_BUILD:-0}" != 1 ]; then
  echo "==> building ($BUILD_DIR)"
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD_DIR" -j"$(nproc 2>/dev/null || echo 2)" >/dev/null
fi
ACCELNETD=$BUILD_DIR/src/accelnetd
ACCELNETCTL=$BUILD_DIR/src/accelnetctl

work=$(mktemp -d /tmp/accelnet-demo-XXXXXX)
chmod 755 "$work"
daemon_pid=""
bus_pid=""
cleanup() {
  [ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null || true
  [ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

sed -e "s|@SOCKET@|$work/bus.sock|" -e "s|@POLICY@|$PWD/conf/org.accelnet1.conf|" \
  tests/integration/bus.conf.in > "$work/bus.conf"
dbus-daemon --nofork --print-address --config-file="$work/bus.conf" > "$work/address" 2>/dev/null &
bus_pid=$!
for _ in $(seq 50); do [ -s "$work/address" ] && break; sleep 0.1; done
export DBUS_SYSTEM_BUS_ADDRESS=$(head -1 "$work/address")

"$ACCELNETD" --simulate --state-dir="$work/state" > "$work/accelnetd.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 100); do
  if "$ACCELNETCTL" status >/dev/null 2>&1; then break; fi
  if ! kill -0 "$daemon_pid" 2>/dev/null; then cat "$work/accelnetd.log"; exit 1; fi
  sleep 0.1
done

step() { printf '\n\033[1m$ accelnetctl %s\033[0m\n' "$*"; "$ACCELNETCTL" "$@"; }
fails() { printf '\n\033[1m$ accelnetctl %s\033[0m   (expected to fail)\n' "$*"; if "$ACCELNETCTL" "$@" 2>&1; then echo "unexpected success"; exit 1; fi; }

echo "accelnetd is running on a simulated host (log: $work/accelnetd.log)"
# two adapters of the simulated host fail their checks: prereq says so with exit status 3
printf '\n\033[1m$ accelnetctl prereq\033[0m   (two adapters fail: exit status 3)\n'
rc=0; "$ACCELNETCTL" prereq || rc=$?
if [ "$rc" -ne 3 ]; then echo "accelnetctl prereq: exit status $rc, expected 3"; exit 1; fi
step adapters
step intents
fails enable --intent storage
step enable --intent compute --node-reserve 50
step status
step vm list
fails vm enable tiny --performance medium
fails vm enable nonic --performance low
step vm enable web1 web2 --performance medium
step vm enable db1 --performance high
step vm enable batch --performance low
fails vm enable tiny --performance low
step vm list
step vm set web2 --performance high
step vm show web2
fails vm check tiny --performance high
step vf list ens1f0
step status
step vm disable web2
step vm list --enabled
step adapters
step disable
step status
printf '\nDemo finished: the daemon log follows.\n'
sed 's/^/  | /' "$work/accelnetd.log"
