#!/usr/bin/env bash
# accelnet e2e test bed: builds (once) and caches everything the guest needs, outside the clone.
#
#   tests/e2e/setup.sh            prepare the cache, print its path on the last line
#
# Cache: ${ACCELNET_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/accelnet/testbed}
#   qemu10/       Debian 13 (trixie) minbase root with qemu-system-x86 (QEMU 10, has igb)
#   kernel/       the Debian 12 kernel package extracted (boot/vmlinuz-*, lib/modules/*), depmod'ed
#   initramfs.cpio.gz   busybox-static + the 9p module chain + tests/e2e/init
#   kernel/nested-initramfs.cpio.gz   the drain step's nested guest: busybox-static + virtio,
#                 failover, virtio_net, igbvf + tests/e2e/nested-init
#   *.done        a step's marker, written only after the step completed; a step whose
#                 marker is missing is redone from scratch (interrupted downloads included)
#   .lock         flock: concurrent runs wait for each other instead of clobbering the cache
#
# Host packages (Debian 12) are installed with apt-get only when missing: the guest runs the
# host's own root, so libvirt, dbus, iproute2 and the nested QEMU (7.2) come from the host.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${ACCELNET_E2E_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/accelnet/testbed}
MIRROR=${ACCELNET_E2E_MIRROR:-http://deb.debian.org/debian}
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

log() { printf '[setup %5ss] %s\n' "$SECONDS" "$*" >&2; }

HOST_PACKAGES=(
  qemu-system-x86 qemu-system-data seabios ipxe-qemu busybox-static cpio debootstrap
  debian-archive-keyring iproute2 kmod dbus dbus-daemon libvirt-daemon
  libvirt-daemon-driver-qemu libvirt-clients python3 util-linux procps
)

install_host_packages() {
  local missing=() p
  for p in "${HOST_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing host packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# step NAME STAMP: true when the step's marker exists with the same stamp
done_p() { [ -f "$CACHE/$1.done" ] && [ "$(cat "$CACHE/$1.done")" = "$2" ]; }
mark() { printf '%s' "$2" >"$CACHE/$1.done.tmp" && sync -f "$CACHE/$1.done.tmp" 2>/dev/null; mv -f "$CACHE/$1.done.tmp" "$CACHE/$1.done"; }

step_qemu() {
  local stamp="trixie minbase qemu-system-x86 v1"
  if done_p qemu10 "$stamp" && [ -x "$CACHE/qemu10/usr/bin/qemu-system-x86_64" ]; then return 0; fi
  rm -f "$CACHE/qemu10.done"
  log "debootstrap trixie with qemu-system-x86 (QEMU 10) into $CACHE/qemu10"
  rm -rf "$CACHE/qemu10.tmp" "$CACHE/qemu10"
  if ! debootstrap --variant=minbase --include=qemu-system-x86 trixie "$CACHE/qemu10.tmp" "$MIRROR" \
      >"$CACHE/debootstrap.log" 2>&1; then
    tail -n 30 "$CACHE/debootstrap.log" >&2
    [ -f "$CACHE/qemu10.tmp/debootstrap/debootstrap.log" ] && tail -n 30 "$CACHE/qemu10.tmp/debootstrap/debootstrap.log" >&2
    echo "setup: debootstrap failed (log: $CACHE/debootstrap.log)" >&2
    return 1
  fi
  # the packages' downloaded .debs are not needed any more
  rm -rf "$CACHE/qemu10.tmp/var/cache/apt/archives/"*.deb
  mv "$CACHE/qemu10.tmp" "$CACHE/qemu10"
  "$HERE/qemu10.sh" "$CACHE" --version >&2
  "$HERE/qemu10.sh" "$CACHE" -machine none -device igb,help 2>/dev/null | grep -q "^igb options" || {
    echo "setup: the cached QEMU has no igb device" >&2; return 1; }
  mark qemu10 "$stamp"
}

kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'
}

step_kernel() {
  local pkg
  pkg=$(kernel_package)
  if [ -z "$pkg" ]; then
    $SUDO apt-get update -qq
    pkg=$(kernel_package)
  fi
  [ -n "$pkg" ] || { echo "setup: cannot resolve linux-image-amd64's kernel package" >&2; return 1; }
  local stamp="$pkg v1"
  if done_p kernel "$stamp" && [ -f "$CACHE/kernel/release" ]; then return 0; fi
  rm -f "$CACHE/kernel.done"
  log "downloading and extracting $pkg"
  rm -rf "$CACHE/kernel.tmp" "$CACHE/kernel"
  mkdir -p "$CACHE/kernel.tmp/deb"
  (cd "$CACHE/kernel.tmp/deb" && apt-get download -q "$pkg" >/dev/null 2>&1) || {
    $SUDO apt-get update -qq
    (cd "$CACHE/kernel.tmp/deb" && apt-get download -q "$pkg" >/dev/null)
  }
  dpkg-deb -x "$CACHE/kernel.tmp/deb/"*.deb "$CACHE/kernel.tmp/root"
  local rel=${pkg#linux-image-}
  [ -f "$CACHE/kernel.tmp/root/boot/vmlinuz-$rel" ] || { echo "setup: no vmlinuz-$rel in $pkg" >&2; return 1; }
  depmod -b "$CACHE/kernel.tmp/root" "$rel"
  mkdir -p "$CACHE/kernel.tmp/out"
  mv "$CACHE/kernel.tmp/root/boot" "$CACHE/kernel.tmp/out/boot"
  mkdir -p "$CACHE/kernel.tmp/out/modules"
  mv "$CACHE/kernel.tmp/root/lib/modules/$rel" "$CACHE/kernel.tmp/out/modules/$rel"
  echo "$rel" >"$CACHE/kernel.tmp/out/release"
  mv "$CACHE/kernel.tmp/out" "$CACHE/kernel"
  rm -rf "$CACHE/kernel.tmp"
  mark kernel "$stamp"
}

# the 9p chain, in the order that loads (TESTBED.md); modules that are built in are skipped
INITRD_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci 9pnet 9pnet_virtio netfs fscache 9p overlay"

# make_initramfs INIT OUT MODULES...: busybox-static, the modules (in that order; built-in ones
# skipped) with their order in /modules/order, and INIT as /init, into the gzip'ed cpio OUT
make_initramfs() {
  local init=$1 out=$2 rel busybox=/bin/busybox   # busybox-static's
  shift 2
  rel=$(cat "$CACHE/kernel/release")
  local d="$out.d"
  rm -rf "$d"
  mkdir -p "$d"/{bin,dev,proc,sys,newroot,modules,mnt}
  cp "$busybox" "$d/bin/busybox"
  cp "$init" "$d/init"
  chmod 0755 "$d/init" "$d/bin/busybox"
  local m f order=""
  for m in "$@"; do
    f=$(find "$CACHE/kernel/modules/$rel/kernel" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" | head -n 1)
    if [ -z "$f" ]; then
      # built in?
      grep -q "/$m.ko" "$CACHE/kernel/modules/$rel/modules.builtin" 2>/dev/null && continue
      echo "setup: module $m not found in $rel" >&2
      return 1
    fi
    case "$f" in
      *.xz) xz -dc "$f" >"$d/modules/$m.ko" ;;
      *.zst) zstd -qdc "$f" >"$d/modules/$m.ko" ;;
      *) cp "$f" "$d/modules/$m.ko" ;;
    esac
    order="$order $m"
  done
  echo "$order" >"$d/modules/order"
  (cd "$d" && find . -print0 | cpio --null -o -H newc --quiet | gzip -1) >"$out.tmp"
  mv -f "$out.tmp" "$out"
  rm -rf "$d"
}

step_initramfs() {
  local stamp
  stamp="$(cat "$CACHE/kernel/release") $(sha256sum "$HERE/init" | cut -c1-16) $(stat -c %s /bin/busybox) v1"
  if done_p initramfs "$stamp" && [ -f "$CACHE/initramfs.cpio.gz" ]; then return 0; fi
  rm -f "$CACHE/initramfs.done"
  log "building the initramfs"
  # shellcheck disable=SC2086
  make_initramfs "$HERE/init" "$CACHE/initramfs.cpio.gz" $INITRD_MODULES
  mark initramfs "$stamp"
}

# the nested guest's (the drain step's nested KVM domain): virtio and the failover chain, in
# the order that loads (TESTBED.md), and the VF's driver. Kept in kernel/, the folder the
# guest sees (9p tag kernel), next to the kernel it boots with.
NESTED_MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net igbvf"

step_nested_initramfs() {
  local stamp
  stamp="$(cat "$CACHE/kernel/release") $(sha256sum "$HERE/nested-init" | cut -c1-16) $(stat -c %s /bin/busybox) v1"
  if done_p nested-initramfs "$stamp" && [ -f "$CACHE/kernel/nested-initramfs.cpio.gz" ]; then return 0; fi
  rm -f "$CACHE/nested-initramfs.done"
  log "building the nested guest's initramfs"
  # shellcheck disable=SC2086
  make_initramfs "$HERE/nested-init" "$CACHE/kernel/nested-initramfs.cpio.gz" $NESTED_MODULES
  mark nested-initramfs "$stamp"
}

main() {
  install_host_packages
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.lock"
  if ! flock -n 9; then
    log "another run holds $CACHE/.lock, waiting"
    flock 9
  fi
  step_qemu
  step_kernel
  step_initramfs
  step_nested_initramfs
  log "test bed ready in $CACHE"
  echo "$CACHE"
}

main "$@"
