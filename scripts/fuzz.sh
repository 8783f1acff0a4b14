#!/usr/bin/env bash
# Runs the fuzz targets of fuzz/ (cargo fuzz, libFuzzer) for FUZZ_SECONDS each: all of them,
# or those named as arguments. Stable rustc runs cargo fuzz with RUSTC_BOOTSTRAP=1 (it
# needs nightly flags). Each target starts from its committed corpus (fuzz/corpus/TARGET,
# read only) and its protocol's dictionary; what it finds new goes to target/fuzz/corpus,
# crashes to fuzz/artifacts. fuzz/README.md says how to minimise and keep them.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/scripts/env.sh"

seconds=${FUZZ_SECONDS:-30}
# Overflow checks and debug assertions on (-a); no sanitizer (the code under test is safe Rust,
# and ASan would halve the executions).
flags=(--release --debug-assertions --sanitizer none)
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR=${FUZZ_TARGET_DIR:-$root/target/fuzz}

# target: dictionary and longest input (the incremental targets re-parse every prefix, so
# their cost grows with the square of the length).
declare -A dict=([range_conditional]=http [resp]=resp [aof]=resp [http_head]=http [chunked]=http [mydevice_record]=mydevice [http_config]=httpconf [strace_decode]=strace)
declare -A max_len=([range_conditional]=256 [resp]=1024 [aof]=4096 [http_head]=1024 [chunked]=2048 [chat_lines]=2048 [btree]=16384 [mydevice_record]=1024 [http_config]=2048 [chat_clients]=2048 [strace_decode]=4096)

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(resp aof http_head chunked range_conditional chat_lines btree mydevice_record http_config chat_clients strace_decode)
cd "$root/fuzz"
for t in "${targets[@]}"; do
  [ -n "${max_len[$t]:-}" ] || { echo "fuzz: no target $t (fuzz/fuzz_targets)"; exit 2; }
  args=(-max_total_time="$seconds" -max_len="${max_len[$t]}" -print_final_stats=1)
  [ -z "${dict[$t]:-}" ] || args+=(-dict="dict/${dict[$t]}.dict")
  mkdir -p "$CARGO_TARGET_DIR/corpus/$t"
  echo "[fuzz] $t for ${seconds}s"
  cargo fuzz run "${flags[@]}" "$t" "$CARGO_TARGET_DIR/corpus/$t" "corpus/$t" -- "${args[@]}"
done
