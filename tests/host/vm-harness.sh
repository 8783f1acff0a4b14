#!/usr/bin/env bash
# Tests of the VM harness itself, on the host: that `vm.sh run` returns the guest command's
# output and exit status, and that `vm.sh test` fails a run with a failing test or with a
# warning in the guest's kernel log (tests/vm-selfcheck has one of each).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
failed=0
check() {  # check DESCRIPTION COMMAND...
  if "${@:2}"; then echo "harness: ok - $1"; else echo "harness: FAILED - $1"; failed=1; fi
}

scripts/vm.sh run 'echo "hello from $(uname -s)"; exit 7' >"$out/run.out" 2>"$out/run.err"
rc=$?
check "vm.sh run returns the guest command's exit status (7, got $rc)" test "$rc" = 7
check "vm.sh run prints the guest command's output" grep -qx 'hello from Linux' "$out/run.out"

scripts/vm.sh test tests/vm-selfcheck >"$out/test.out" 2>"$out/test.err"
rc=$?
check "vm.sh test exits non-zero when a test fails (got $rc)" test "$rc" != 0
check "vm.sh test reports the passing test" grep -qx 'PASS passes' "$out/test.out"
check "vm.sh test reports the failing test" grep -qx 'FAIL wrong-content' "$out/test.out"
check "vm.sh test shows why it failed" grep -q "expected 'mydevice 9.9.9', got 'mydevice [0-9]" "$out/test.out"
check "vm.sh test counts the results" grep -qx '2 passed, 1 failed' "$out/test.out"
check "vm.sh test finds the warning in the kernel log" grep -q 'WARNING: harness self-check' "$out/test.err"

if [ $failed != 0 ]; then
  echo "--- vm.sh run:"; cat "$out/run.out" "$out/run.err"
  echo "--- vm.sh test:"; cat "$out/test.out" "$out/test.err"
  exit 1
fi
