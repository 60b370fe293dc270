#!/bin/bash
# accelnet e2e guest, stage 2: PID 1 after switch_root into the host's root (see init).
# Runs tests/e2e/scenario.py under a timeout with its output on the console and in the
# results share, then powers the guest off. Never returns.
R=/run/accelnet-e2e/results
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb
# shellcheck disable=SC1091
. "$R/params.env"
mkdir -p /dev/pts /dev/shm
mount -t devpts -o ptmxmode=0666,mode=0620,gid=5 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
ip link set lo up
echo "e2e-stage2: running the scenario (timeout ${E2E_SCENARIO_TIMEOUT}s)" >/dev/console
timeout -k 10 "${E2E_SCENARIO_TIMEOUT}" python3 -u "$E2E_SOURCE_DIR/tests/e2e/scenario.py" "$R" 2>&1 | tee "$R/scenario.log" >/dev/console
rc=${PIPESTATUS[0]}
echo "$rc" >"$R/scenario.rc"
sync
echo "e2e-stage2: scenario exit status $rc, powering off" >/dev/console
/bin/busybox poweroff -f
sleep 5
echo o >/proc/sysrq-trigger
