#!/usr/bin/env bash
# Installs the Debian 12 packages accelnet needs to build, test and demo; a no-op when they
# are all present. Sourced by scripts/test.sh and scripts/demo.sh.
set -euo pipefail

ACCELNET_PACKAGES=(
  build-essential cmake pkg-config
  libsystemd-dev libvirt-dev libnl-3-dev libnl-route-3-dev libpci-dev libjansson-dev libxml2-dev pci.ids
  libcpg-dev libvotequorum-dev libcmap-dev libcorosync-common-dev corosync
  libmicrohttpd-dev
  # promtool (Debian 12 ships it only in the prometheus package, ~19 MB): the exporter's
  # test checks the metrics with `promtool check metrics`; the server itself is not started.
  prometheus
  pacemaker pacemaker-cli-utils
  dbus libvirt-clients libvirt-daemon systemd python3 iproute2 util-linux
  lintian rpm rpm2cpio cpio bash-completion dpkg-dev file
  clang libclang-rt-14-dev llvm
)

accelnet_install_deps() {
  local missing=()
  local p
  for p in "${ACCELNET_PACKAGES[@]}" "$@"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  echo "==> installing: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
