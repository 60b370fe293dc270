#!/bin/sh
# accelnet benchmarks: builds accelnet in Release (build-bench/, beside the source) and the
# benchmark programs (build-bench/bench-tools/), then runs bench/bench.py, which prints a
# table with one "met:" line per target and, with --json FILE, writes every figure. See
# docs/PERFORMANCE.md.
#
#   bench/run.sh [--quick] [--json FILE] [--keep] [--only discovery|dbus|big|health|cluster|drain]
#
# Needs: root (accelnetd owns org.accelnet1 on a private bus under the project's policy),
# dbus-daemon, strace, python3, libvirtd and virsh (a private unprivileged libvirtd hosts the
# test driver for the 1,000-VM figures), setpriv, the build dependencies of accelnet.
# The cluster scenario also needs corosync (scripts/deps.sh installs it); without it the
# scenario is skipped with the reason printed, and the other figures are still taken.
# Everything runs in a temporary directory on private buses and the libvirt test driver (the
# cluster scenario: in network namespaces of its own); nothing touches the host's buses,
# libvirt or NICs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
build=${ACCELNET_BENCH_BUILD:-$src/build-bench}
jobs=$(nproc 2>/dev/null || echo 2)

args=""
json=""
while [ $# -gt 0 ]; do
        case "$1" in
        --quick|--keep) args="$args $1" ;;
        --only) args="$args --only $2"; shift ;;
        --only=*) args="$args --only ${1#--only=}" ;;
        --json) json="$2"; shift ;;
        --json=*) json="${1#--json=}" ;;
        -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
        esac
        shift
done
if [ -n "$json" ]; then
        case "$json" in /*) ;; *) json="$(pwd)/$json" ;; esac
        args="$args --json $json"
fi

[ "$(id -u)" = 0 ] || { echo "bench: run as root (accelnetd must own org.accelnet1 under the project's D-Bus policy)" >&2; exit 2; }

# What the project needs to build (scripts/deps.sh), plus strace for the raw-walk replay.
if ! command -v strace >/dev/null || ! command -v dbus-daemon >/dev/null || ! command -v cmake >/dev/null ||
   ! command -v libvirtd >/dev/null || ! command -v virsh >/dev/null; then
        bash -c ". '$src/scripts/deps.sh' && accelnet_install_deps strace" >&2 || exit 2
fi
for t in dbus-daemon strace python3 cmake libvirtd virsh setpriv busctl; do
        command -v "$t" >/dev/null || { echo "bench: $t is needed" >&2; exit 2; }
done

echo "bench: building accelnet (Release) in $build" >&2
cmake -S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target accelnetd accelnet-prereq an-virt an-sriov an-policy an-shared >/dev/null
cmake -S "$here" -B "$build/bench-tools" -DCMAKE_BUILD_TYPE=Release -DACCELNET_BUILD_DIR="$build" >/dev/null
cmake --build "$build/bench-tools" -j "$jobs" >/dev/null

# shellcheck disable=SC2086
exec python3 "$here/bench.py" --build "$build" $args
