#!/bin/sh
# Runs every memgate fuzz target for a bounded time: tests/fuzz/run.sh BUILD_DIR [SECONDS]
# (default 30 s per target). BUILD_DIR is a MEMGATE_SANITIZE=fuzzer build with the targets built
# (cmake --build BUILD_DIR --target fuzz_targets).
#
# New corpus entries go to BUILD_DIR/fuzz-corpus/TARGET (listed first, so libFuzzer writes
# there); the committed seeds in tests/fuzz/NAME are only read. A crash, leak, UB report, broken
# property or timeout is saved as BUILD_DIR/fuzz-artifacts/TARGET-crash-... (or leak-, timeout-,
# oom-); reproduce it with BUILD_DIR/bin/TARGET ARTIFACT. Exits 1 if any target found one.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 BUILD_DIR [SECONDS_PER_TARGET]" >&2
  exit 2
fi
build=$1
seconds=${2:-30}
case $seconds in
  '' | *[!0-9]*) echo "$0: SECONDS_PER_TARGET must be a whole number, got '$seconds'" >&2; exit 2 ;;
esac
here=$(cd "$(dirname "$0")" && pwd)

# halt_on_error: the first report ends the run with the input saved. UBSan aborts too
# (the build uses -fno-sanitize-recover=all); print_stacktrace names the line.
ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1}
UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export ASAN_OPTIONS UBSAN_OPTIONS

failed=""
for name in scenario baseline report procfs json_count command_targets; do
  target=fuzz_$name
  binary=$build/bin/$target
  if [ ! -x "$binary" ]; then
    echo "$0: $binary not found: cmake --build $build --target fuzz_targets" >&2
    exit 2
  fi
  corpus=$build/fuzz-corpus/$target
  artifacts=$build/fuzz-artifacts
  logs=$build/fuzz-logs
  mkdir -p "$corpus" "$artifacts" "$logs"
  rm -f "$artifacts/$target-"*
  set -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/$target-"
  if [ -f "$here/$name.dict" ]; then set -- "$@" -dict="$here/$name.dict"; fi
  echo "== $target: $seconds s"
  log=$logs/$target.log
  if "$binary" "$@" "$corpus" "$here/$name" >"$log" 2>&1; then
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' \
      "$log" || true
  else
    tail -n 40 "$log"
    found=$(ls "$artifacts/$target-"* 2>/dev/null | tr '\n' ' ')
    echo "== $target FAILED: ${found:-no artifact saved}; full log: $log"
    echo "   reproduce: $binary ARTIFACT"
    failed="$failed $target"
  fi
done

if [ -n "$failed" ]; then
  echo "fuzzing found problems in:$failed (artifacts in $build/fuzz-artifacts)" >&2
  exit 1
fi
echo "fuzzing: no findings"
