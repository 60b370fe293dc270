#!/usr/bin/env bash
# Longer fuzzing runs of the libFuzzer targets in tests/fuzz (docs/FUZZING.md).
#   scripts/fuzz.sh [SECONDS] [TARGET...]   run each TARGET (default: all) for SECONDS (default 600)
#   scripts/fuzz.sh --merge [TARGET...]     add the inputs a run found that cover new code to
#                                           the seed corpus tests/fuzz/corpus/TARGET/
# TARGET is fuzz-NAME or NAME (state-file, config, host-description, pcidump, cpulist, ...).
# Builds with clang in $BUILD_DIR (default build-fuzz). Each target's corpus keeps growing
# across runs in $BUILD_DIR/tests/fuzz/work/TARGET/corpus; a failure leaves its reproducer in
# .../work/TARGET/artifacts/ and stops the script with a non-zero status.
# Environment: FUZZ_JOBS (default 1) targets at a time, FUZZ_ARGS extra libFuzzer options
# (e.g. "-use_value_profile=1"), FUZZ_TIMEOUT (10 s per input), FUZZ_RSS_MB (2048).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/deps.sh
accelnet_install_deps

BUILD_DIR=${BUILD_DIR:-build-fuzz}
merge=0
seconds=600
if [ "${1:-}" = "--merge" ]; then merge=1; shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then seconds=$1; shift; fi

echo "==> build ($BUILD_DIR, clang, libFuzzer + ASan + UBSan)"
CC=clang cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DACCELNET_FUZZ=ON >/dev/null
cmake --build "$BUILD_DIR" -j2 --target fuzz-targets >/dev/null

targets=()
if [ $# -eq 0 ]; then
  for f in tests/fuzz/fuzz-*.c; do targets+=("$(basename "$f" .c)"); done
else
  for t in "$@"; do
    t=fuzz-${t#fuzz-}
    [ -f "tests/fuzz/$t.c" ] || { echo "fuzz.sh: no target $t (tests/fuzz/$t.c)" >&2; exit 2; }
    targets+=("$t")
  done
fi

corpus_of() {
  local t=$1
  if [ -d "tests/fuzz/corpus/$t" ]; then echo "tests/fuzz/corpus/$t"
  elif [ -d "tests/fuzz/corpus/${t#fuzz-}" ]; then echo "tests/fuzz/corpus/${t#fuzz-}"
  else echo ""; fi
}

if [ $merge = 1 ]; then
  for t in "${targets[@]}"; do
    work=$BUILD_DIR/tests/fuzz/work/$t
    seeds=$(corpus_of "$t")
    [ -n "$seeds" ] || seeds=tests/fuzz/corpus/$t
    [ -d "$work/corpus" ] || { echo "==> $t: no run to merge from ($work/corpus)"; continue; }
    mkdir -p "$seeds"
    before=$(find "$seeds" -type f | wc -l)
    # Merged in the scratch folder, which a target that drops root (to nobody) can write.
    rm -rf "$work/merge"
    mkdir -p "$work/merge"
    cp -r "$seeds/." "$work/merge/"
    if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1; then chown -R nobody "$work/merge"; fi
    "$BUILD_DIR/tests/fuzz/$t" -merge=1 "$work/merge" "$work/corpus" >"$work/merge.log" 2>&1 ||
      { tail -n 20 "$work/merge.log"; exit 1; }
    cp -n "$work/merge/"* "$seeds/"
    echo "==> $t: $before -> $(find "$seeds" -type f | wc -l) seeds in $seeds"
  done
  exit 0
fi

# fuzz-NAME.dict, else the dictionary of the format, after the last word (fuzz-domain-xml: xml.dict).
dict_of() {
  local t=$1
  if [ -f "tests/fuzz/$t.dict" ]; then echo "tests/fuzz/$t.dict"
  elif [ -f "tests/fuzz/${t##*-}.dict" ]; then echo "tests/fuzz/${t##*-}.dict"
  else echo ""; fi
}

run_one() {
  local t=$1
  FUZZ_KEEP_CORPUS=1 tests/fuzz/run-fuzzer.sh "$BUILD_DIR/tests/fuzz/$t" "$BUILD_DIR/tests/fuzz/work/$t" "$seconds" \
    "$(corpus_of "$t")" "$(dict_of "$t")" \
    "${FUZZ_TIMEOUT:-10}" "${FUZZ_RSS_MB:-2048}"
}

jobs=${FUZZ_JOBS:-1}
failed=()
for ((i = 0; i < ${#targets[@]}; i += jobs)); do
  pids=()
  for t in "${targets[@]:i:jobs}"; do
    run_one "$t" & pids+=("$!:$t")
  done
  for p in "${pids[@]}"; do
    wait "${p%%:*}" || failed+=("${p#*:}")
  done
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "==> failed: ${failed[*]}"
  exit 1
fi
echo "==> ${#targets[@]} target(s), ${seconds}s each: no failure"
