#!/usr/bin/env bash
# Runs one libFuzzer target for SECONDS from a copy of its seed corpus; fails if the target
# crashes, leaks, trips UBSan, runs out of memory or takes longer than TIMEOUT on one input.
#   run-fuzzer.sh BINARY WORKDIR SECONDS [CORPUS [DICT [TIMEOUT [RSS_MB]]]]
# WORKDIR gets corpus/ (the seeds, then what the run found), artifacts/ (crash-*, leak-*,
# timeout-*, oom-*: the inputs to turn into unit tests), tmp/ (TMPDIR: the target's private
# folder) and fuzz.log. WORKDIR is emptied first unless FUZZ_KEEP_CORPUS=1, which keeps the
# corpus a previous run grew (scripts/fuzz.sh). FUZZ_ARGS adds libFuzzer options.
set -euo pipefail

bin=$1 work=$2 seconds=$3 corpus=${4:-} dict=${5:-} timeout=${6:-10} rss=${7:-2048}
name=$(basename "$bin")

case $work in
  */work/*|*/fuzz-*) ;;
  *) echo "run-fuzzer.sh: refusing to use $work as scratch folder (expected .../work/NAME)" >&2; exit 2 ;;
esac
if [ "${FUZZ_KEEP_CORPUS:-0}" != 1 ]; then rm -rf "$work"; fi
rm -rf "$work/artifacts" "$work/tmp"
mkdir -p "$work/corpus" "$work/artifacts" "$work/tmp"
if [ -n "$corpus" ]; then cp -r "$corpus/." "$work/corpus/"; fi
# A target that writes files (fuzz-host-description) drops root for user nobody, which
# must then be able to write its scratch folder.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then chown -R nobody "$work"; fi

args=(-max_total_time="$seconds" -timeout="$timeout" -rss_limit_mb="$rss" -malloc_limit_mb="$rss"
      -artifact_prefix="$work/artifacts/" -print_final_stats=1)
if [ -n "$dict" ]; then args+=(-dict="$dict"); fi
# shellcheck disable=SC2206 # FUZZ_ARGS is a list of options
extra=(${FUZZ_ARGS:-})

export TMPDIR="$work/tmp"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

echo "==> $name: ${seconds}s from $(find "$work/corpus" -type f | wc -l) inputs (${corpus:-no seed corpus})"
rc=0
"$bin" "${args[@]}" "${extra[@]}" "$work/corpus" </dev/null >"$work/fuzz.log" 2>&1 || rc=$?

runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$work/fuzz.log" | tail -n1)
found=$(find "$work/artifacts" -type f | sort)
if [ "$rc" -ne 0 ] || [ -n "$found" ] || [ -z "$runs" ]; then
  tail -n 80 "$work/fuzz.log"
  echo "==> $name FAILED (exit status $rc) after ${runs:-?} runs; full log: $work/fuzz.log"
  for f in $found; do
    echo "    reproducer: $f"
    echo "      re-run: $bin $f"
  done
  exit 1
fi
echo "==> $name: $runs runs, corpus now $(find "$work/corpus" -type f | wc -l) inputs, no failure"
