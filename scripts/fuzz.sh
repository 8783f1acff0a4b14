#!/usr/bin/env bash
# Runs the fuzz targets of fuzz/ (cargo fuzz, libFuzzer) for FUZZ_SECONDS each: all of them,
# or those named as arguments. Stable rustc runs cargo fuzz with RUSTC_BOOTSTRAP=1 (it
# needs nightly flags). Each target starts from its committed corpus (fuzz/corpus/TARGET,
# read only) and its protocol's dictionary; what it finds new goes to target/fuzz/corpus,
# crashes to fuzz/artifacts. fuzz/README.md says how to minimise and keep them.
#
# --check (`make fuzz-check`, part of `make test`): every target built once, then run for
# FUZZ_CHECK_SECONDS (20) each from its committed corpus, new inputs to a scratch directory
# emptied first (target/fuzz/check/corpus), crashes to target/fuzz/check/artifacts. Each
# fuzzer's output goes to a log file (target/fuzz/check/TARGET.log), never a pipe; a line
# per target gives its executions and coverage, a crash or hang names the target, the
# input written and the log, and fails the run once every target has run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/env.sh"

check=0
if [ "${1:-}" = --check ]; then
  check=1
  shift
fi
seconds=${FUZZ_SECONDS:-30}
[ $check = 0 ] || seconds=${FUZZ_CHECK_SECONDS:-20}
# Overflow checks and debug assertions on (-a); no sanitizer (the code under test is safe Rust,
# and ASan would halve the executions).
flags=(--release --debug-assertions --sanitizer none)
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$root/target/fuzz}

# target: dictionary and longest input (http_head checks every prefix of its input, so its
# cost grows with the square of the length).
declare -A dict=([range_conditional]=http [resp]=resp [aof]=resp [http_head]=http [chunked]=http [mydevice_record]=mydevice [http_config]=httpconf [strace_decode]=strace)
declare -A max_len=([range_conditional]=256 [resp]=1024 [aof]=4096 [http_head]=1024 [chunked]=2048 [chat_lines]=2048 [btree]=16384 [mydevice_record]=1024 [http_config]=2048 [chat_clients]=2048 [strace_decode]=4096)

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(resp aof http_head chunked range_conditional chat_lines btree mydevice_record http_config chat_clients strace_decode)
for t in "${targets[@]}"; do
  [ -n "${max_len[$t]:-}" ] || { echo "fuzz: no target $t (fuzz/fuzz_targets)"; exit 2; }
done
cd "$root/fuzz"

if [ $check = 0 ]; then
  for t in "${targets[@]}"; do
    # FUZZ_RUNS: a campaign of that many executions instead (fuzz/README.md's figures).
    if [ -n "${FUZZ_RUNS:-}" ]; then
      args=(-runs="$FUZZ_RUNS")
      echo "[fuzz] $t for $FUZZ_RUNS executions"
    else
      args=(-max_total_time="$seconds")
      echo "[fuzz] $t for ${seconds}s"
    fi
    args+=(-max_len="${max_len[$t]}" -print_final_stats=1)
    [ -z "${dict[$t]:-}" ] || args+=(-dict="dict/${dict[$t]}.dict")
    mkdir -p "$CARGO_TARGET_DIR/corpus/$t"
    cargo fuzz run "${flags[@]}" "$t" "$CARGO_TARGET_DIR/corpus/$t" "corpus/$t" -- "${args[@]}"
  done
  exit 0
fi

started=$SECONDS
echo "[fuzz-check] building the fuzz targets (cargo fuzz build, $CARGO_TARGET_DIR)"
cargo fuzz build "${flags[@]}"
built=$((SECONDS - started))
bin_dir=$CARGO_TARGET_DIR/x86_64-unknown-linux-gnu/release
work=$CARGO_TARGET_DIR/check
failed=()
for t in "${targets[@]}"; do
  rm -rf "${work:?}/corpus/$t"
  mkdir -p "$work/corpus/$t" "$work/artifacts/$t"
  log=$work/$t.log
  # -timeout: an input running 10 s is a hang (the slowest take milliseconds), and fails
  # here rather than at libFuzzer's default of 20 minutes.
  args=(-max_total_time="$seconds" -max_len="${max_len[$t]}" -timeout=10 -print_final_stats=1
    -artifact_prefix="$work/artifacts/$t/")
  [ -z "${dict[$t]:-}" ] || args+=(-dict="dict/${dict[$t]}.dict")
  status=0
  "$bin_dir/$t" "$work/corpus/$t" "corpus/$t" "${args[@]}" </dev/null >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  cov=$(sed -n 's/.* cov: \([0-9]*\) .*/\1/p' "$log" | tail -n 1)
  if [ $status = 0 ]; then
    echo "[fuzz-check] $t: ${execs:-?} executions (${rate:-?}/s), ${cov:-?} edges, no crash"
    continue
  fi
  failed+=("$t")
  echo "[fuzz-check] $t FAILED (libFuzzer exit status $status):"
  # The panic's message and libFuzzer's report, without the backtrace (in the log).
  excerpt=$({ grep -m 1 -A 3 'panicked at' "$log" || true; sed -n '/ERROR: libFuzzer/,$p' "$log"; })
  [ -n "$excerpt" ] || excerpt=$(tail -n 30 "$log")
  sed 's/^/    /' <<<"$excerpt"
  input=$(sed -n 's/.*Test unit written to //p' "$log" | tail -n 1)
  echo "[fuzz-check] $t: input ${input:-not written}; log $log"
  [ -z "$input" ] || echo "[fuzz-check] replay it: $bin_dir/$t $input"
done
echo "[fuzz-check] ${#targets[@]} targets, ${seconds}s each: $((SECONDS - started))s in all (${built}s building)"
if [ ${#failed[@]} -gt 0 ]; then
  echo "[fuzz-check] failed: ${failed[*]} (fuzz/README.md, \"A crash, step by step\")"
  exit 1
fi
