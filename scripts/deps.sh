#!/usr/bin/env bash
# Installs the Debian 12 packages accelnet needs to build, test and demo; a no-op when they
# are all present. Sourced by scripts/test.sh and scripts/demo.sh.
set -euo pipefail

ACCELNET_PACKAGES=(
  build-essential cmake pkg-config
  libsystemd-dev libvirt-dev libnl-3-dev libnl-route-3-dev libpci-dev libjansson-dev libxml2-dev pci.ids
  libcpg-dev libvotequorum-dev libcmap-dev libcorosync-common-dev corosync
  libmicrohttpd-dev
  pacemaker pacemaker-cli-utils
  dbus libvirt-clients libvirt-daemon systemd python3 iproute2 util-linux
  lintian rpm rpm2cpio cpio bash-completion dpkg-dev file
  clang libclang-rt-14-dev llvm
  cockpit-ws cockpit-bridge cockpit-system chromium fonts-liberation nodejs
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

# promtool, for the exporter's test (`promtool check metrics`). Debian 12 ships it only in the
# prometheus package, whose installation also enables and starts a Prometheus server on port
# 9090: instead the package is downloaded once into the cache outside the clone and only
# promtool is taken out of it (a static Go program). Sets ACCELNET_PROMTOOL.
accelnet_fetch_promtool() {
  if command -v promtool >/dev/null 2>&1; then
    ACCELNET_PROMTOOL=$(command -v promtool)
    export ACCELNET_PROMTOOL
    return 0
  fi
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/accelnet/promtool"
  if [ ! -x "$dir/usr/bin/promtool" ]; then
    echo "==> fetching promtool (Debian's prometheus package, unpacked in $dir; not installed)"
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
    (cd "$dir.tmp" && apt-get download -qq prometheus >/dev/null 2>&1 ||
       { apt-get update -qq && apt-get download -qq prometheus >/dev/null; })
    dpkg-deb -x "$dir.tmp"/prometheus_*.deb "$dir.tmp/root"
    rm -rf "$dir" && mv "$dir.tmp/root" "$dir" && rm -rf "$dir.tmp"
  fi
  ACCELNET_PROMTOOL="$dir/usr/bin/promtool"
  export ACCELNET_PROMTOOL
}

# playwright-core from npm, for the browser tier (tests/browser): one package of JavaScript
# that drives Debian's own chromium (it downloads no browser), installed once into the cache
# outside the clone at a pinned version. Sets ACCELNET_NPM_DIR.
ACCELNET_PLAYWRIGHT_VERSION=1.65.2
accelnet_fetch_playwright() {
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/accelnet/npm"
  local have=""
  if [ -f "$dir/node_modules/playwright-core/package.json" ]; then
    have=$(node -p "require('$dir/node_modules/playwright-core/package.json').version" 2>/dev/null || true)
  fi
  if [ "$have" != "$ACCELNET_PLAYWRIGHT_VERSION" ]; then
    # Debian's nodejs comes without npm (package npm); a nodejs that carries its own npm
    # conflicts with that package, so it is installed only where npm is missing.
    command -v npm >/dev/null 2>&1 || accelnet_install_deps npm
    echo "==> installing playwright-core@$ACCELNET_PLAYWRIGHT_VERSION from npm into $dir"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --silent --no-save \
      "playwright-core@$ACCELNET_PLAYWRIGHT_VERSION" >/dev/null
  fi
  ACCELNET_NPM_DIR="$dir"
  export ACCELNET_NPM_DIR
}
