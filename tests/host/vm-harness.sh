#!/usr/bin/env bash
# Tests of the VM harness itself, on the host: it must pass what passes and fail every way a
# run can go wrong. `vm.sh run` returns the guest command's output and exit status; `vm.sh
# test` on tests/vm-selfcheck fails a test that fails, a test whose module makes the kernel
# WARN or lockdep report (and names that test), a test that hangs past its limit (and goes
# on), and a Rust device test name that runs nothing; a multi-boot (power-loss) test passes
# when its second boot sees what the first synced before its power cut, and fails when a
# boot but the last does not cut the power, when its last boot fails, and when the kernel
# reports a problem before a cut; a suite of zero tests fails; a guest that never finishes
# fails, and so does one whose boot makes no progress.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
. scripts/env.sh
KDIR=${KDIR:-$(scripts/kernel.sh --kdir)}
export KDIR
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
failed=0
check() {  # check DESCRIPTION COMMAND...
  if "${@:2}"; then echo "harness: ok - $1"; else echo "harness: FAILED - $1"; failed=1; fi
}
show() { for f in "$@"; do echo "--- $f:"; cat "$out/$f"; done; }

# The deliberately bad module the self-check suite loads (never shipped).
make -s -C "$KDIR" M="$root/tests/vm-selfcheck/module" RUSTC="$KRUSTC" HOSTRUSTC="$KRUSTC" \
  modules >"$out/module.log" 2>&1 || { cat "$out/module.log"; echo "harness: cannot build the self-check module"; exit 1; }

scripts/vm.sh run 'echo "hello from $(uname -s)"; exit 7' >"$out/run.out" 2>"$out/run.err"
rc=$?
check "vm.sh run returns the guest command's exit status (7, got $rc)" test "$rc" = 7
check "vm.sh run prints the guest command's output" grep -qx 'hello from Linux' "$out/run.out"

scripts/vm.sh test tests/vm-selfcheck >"$out/test.out" 2>"$out/test.err"
rc=$?
check "vm.sh test exits non-zero when tests fail (got $rc)" test "$rc" != 0
check "vm.sh test reports the passing test" grep -qx 'PASS passes' "$out/test.out"
check "vm.sh test reports the failing test" grep -qx 'FAIL wrong-content' "$out/test.out"
check "vm.sh test shows why it failed" grep -q "expected 'mydevice 9.9.9', got 'mydevice [0-9]" "$out/test.out"
check "a WARN_ON fails the test that caused it" grep -qx 'FAIL planted-warn-on' "$out/test.out"
check "... with the kernel's report" grep -q '# kernel: .*WARNING: .*harness_selfcheck' "$out/test.out"
check "a lockdep report fails the test that caused it" grep -qx 'FAIL lockdep-report' "$out/test.out"
check "... with lockdep's report" grep -q '# kernel: .*possible circular locking dependency' "$out/test.out"
check "a test that hangs past its limit fails" grep -qx 'FAIL hangs-past-its-limit' "$out/test.out"
check "... and says it timed out" grep -qx '     # timed out after 5 s' "$out/test.out"
check "the next test runs, with the hung one's processes gone" grep -qx 'PASS runs-after-a-hang' "$out/test.out"
check "a Rust device test name that runs no test fails" grep -qx 'FAIL rust-test-of-a-missing-name' "$out/test.out"
check "a power cut keeps what was synced, loses what was not, and a new boot sees the disk" \
  grep -qx 'PASS power-cut-keeps-what-was-synced' "$out/test.out"
check "a boot of a multi-boot test that does not cut the power fails it" \
  grep -qx 'FAIL a-boot-that-does-not-cut-the-power' "$out/test.out"
check "... and says so" grep -q '^     # boot 1 of 2 ended without cutting the power' "$out/test.out"
check "a multi-boot test whose last boot fails fails" grep -qx 'FAIL the-last-boot-fails' "$out/test.out"
check "... with that boot's reason" grep -qx '     # FAIL: planted failure in boot 2' "$out/test.out"
check "a kernel warning before a power cut fails the test" grep -qx 'FAIL a-warning-before-the-cut' "$out/test.out"
check "... with the kernel's report" grep -q '     # .*WARNING: .*harness_selfcheck' "$out/test.out"
check "vm.sh test counts the results" grep -qx '3 passed, 8 failed' "$out/test.out"

scripts/vm.sh test tests/vm-selfcheck/empty >"$out/empty.out" 2>"$out/empty.err"
rc=$?
check "a suite that runs no test fails (got $rc)" test "$rc" != 0
check "... and says so" grep -qx 'the suite ran no test' "$out/empty.out"

VM_TIMEOUT=30 scripts/vm.sh run 'sleep 100000' >"$out/never.out" 2>"$out/never.err"
rc=$?
check "a guest that never finishes fails (exit 124, got $rc)" test "$rc" = 124
check "... and says it did not finish" grep -q 'the guest did not finish within 30 s' "$out/never.err"

# QEMU's -S starts the machine with its CPUs stopped: a boot that makes no progress at all.
VM_QEMU_ARGS=-S VM_BOOT_TIMEOUT=10 scripts/vm.sh run true >"$out/stall.out" 2>"$out/stall.err"
rc=$?
check "a boot that makes no progress fails (got $rc)" test "$rc" = 124
check "... and says the boot made no progress" grep -q "the guest's boot made no progress" "$out/stall.err"
check "... after one more try" grep -q "booting once more" "$out/stall.err"

if [ $failed != 0 ]; then
  show run.out run.err test.out test.err empty.out empty.err never.out never.err stall.out stall.err
  exit 1
fi
