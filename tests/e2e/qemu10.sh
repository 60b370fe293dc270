#!/bin/sh
# Runs the cached Debian 13 QEMU 10 from its folder with its own ld.so and libraries, without
# touching the host's.   qemu10.sh CACHE QEMU-ARGS...
set -eu
CACHE=$1; shift
D=$CACHE/qemu10
export QEMU_MODULE_DIR="$D/usr/lib/x86_64-linux-gnu/qemu"
exec "$D/lib64/ld-linux-x86-64.so.2" \
  --library-path "$D/usr/lib/x86_64-linux-gnu:$D/lib/x86_64-linux-gnu" \
  "$D/usr/bin/qemu-system-x86_64" -L "$D/usr/share/qemu" -L "$D/usr/share/seabios" "$@"
