#!/usr/bin/env bash
# Installs what the tests need, builds, and runs every test tier (unit, integration, cluster,
# packaging, browser, e2e).
#   scripts/test.sh [-L LABEL]   run only one tier (unit, integration, cluster, browser, e2e, fuzz)
# Environment: BUILD_DIR (default build), ACCELNET_SANITIZE=0 to skip the sanitizer build,
# ACCELNET_FUZZ=0 to skip the fuzz targets (tests/fuzz, 30 s each, built with clang).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
accelnet_install_deps
accelnet_fetch_promtool
accelnet_fetch_playwright

BUILD_DIR=${BUILD_DIR:-build}
JOBS=$(nproc 2>/dev/null || echo 2)
label=()
if [ "${1:-}" = "-L" ] && [ -n "${2:-}" ]; then label=(-L "$2"); fi

echo "==> build ($BUILD_DIR)"
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DACCELNET_WERROR=ON >/dev/null
cmake --build "$BUILD_DIR" -j"$JOBS"

if [ "${ACCELNET_SANITIZE:-1}" = "1" ] && [ ${#label[@]} -eq 0 ]; then
  echo "==> unit and integration tests under ASan+UBSan ($BUILD_DIR-asan)"
  cmake -S . -B "$BUILD_DIR-asan" -DCMAKE_BUILD_TYPE=Debug -DACCELNET_SANITIZE=ON -DACCELNET_WERROR=ON >/dev/null
  cmake --build "$BUILD_DIR-asan" -j"$JOBS" >/dev/null
  # The integration harness fails a test whose accelnetd log shows a sanitizer report.
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$BUILD_DIR-asan" -L "unit|integration" -E "packaging" --output-on-failure -j"$JOBS"
fi

if [ "${ACCELNET_FUZZ:-1}" = "1" ] && { [ ${#label[@]} -eq 0 ] || [ "${label[1]}" = fuzz ]; }; then
  # tests/fuzz: every libFuzzer target for 30 s from its seed corpus (scripts/fuzz.sh runs
  # them longer). clang is required: a separate build folder.
  echo "==> fuzz targets, 30 s each ($BUILD_DIR-fuzz)"
  CC=clang cmake -S . -B "$BUILD_DIR-fuzz" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DACCELNET_FUZZ=ON >/dev/null
  cmake --build "$BUILD_DIR-fuzz" -j"$JOBS" --target fuzz-targets >/dev/null
  if [ ${#label[@]} -gt 0 ]; then
    exec ctest --test-dir "$BUILD_DIR-fuzz" -L fuzz --output-on-failure -j2
  fi
  ctest --test-dir "$BUILD_DIR-fuzz" -L fuzz --output-on-failure -j2
fi

# Every registered test, one at a time: unit, integration, cluster (three corosync nodes in
# network namespaces; needs root and corosync: as root, a machine that cannot run it fails the
# tier instead of skipping it), packaging, browser (the Cockpit page in headless Chromium), e2e.
if [ "$(id -u)" = 0 ]; then export ACCELNET_CLUSTER_REQUIRED=1; fi
echo "==> all tiers"
ctest --test-dir "$BUILD_DIR" --output-on-failure "${label[@]}"
