# Helpers for the guest tests (sourced by run-suite.sh before each test).
# A test is a shell script: it passes by reaching its end, and fails through `fail`
# or any helper here that finds something wrong.

MODULE=/toolkit/mydevice.ko
DEVICE=/dev/mydevice

fail() { echo "FAIL: $*"; exit 1; }

# expect_eq ACTUAL EXPECTED WHAT
expect_eq() {
  [ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

module_loaded() { grep -q '^mydevice ' /proc/modules; }

# Loads the module and gives the node the mode the udev rule kmod/99-mydevice.rules gives it
# on a real system (the VM has no udev): any user may register and update its own row.
load_module() {
  if ! module_loaded; then
    insmod "$MODULE" "$@" || fail "insmod $MODULE $* failed"
  fi
  chmod 0666 "$DEVICE" || fail "chmod $DEVICE failed"
}

unload_module() {
  if module_loaded; then rmmod mydevice || fail "rmmod mydevice failed"; fi
}

# The kernel's reports of bugs: the same pattern the host checks the whole log with.
KERNEL_PROBLEMS=$(cat /toolkit/tests/vm/kernel-problems.ere)

# mark_log: puts a marker line in the kernel log; log_since_mark prints what came after it.
# (The log is never cleared: the host reads all of it at the end.)
mark_log() {
  LOG_MARK="toolkit-test: mark $$-$(cat /proc/uptime | cut -d' ' -f1)"
  echo "$LOG_MARK" > /dev/kmsg
}
log_since_mark() { dmesg | sed -n "/$LOG_MARK/,\$p" | sed 1d; }

# rust_test NAME: runs one of devstats' device tests (devstats/tests/device.rs) in the guest.
# It passes only if libtest ran exactly that one test and it passed: a name that no longer
# exists runs zero tests, which libtest calls success.
rust_test() {
  load_module
  rt_out=$(devstats-device-tests --ignored --exact "$1" --test-threads=1 --nocapture 2>&1)
  status=$?
  echo "$rt_out"
  [ $status -eq 0 ] || fail "devstats device test $1 failed"
  echo "$rt_out" | grep -q '^test result: ok\. 1 passed; 0 failed' \
    || fail "devstats device test $1 did not run exactly one test (is the name right?)"
}

# wait_until SECONDS COMMAND...: retries COMMAND every 0.1 s until it succeeds or time is up.
wait_until() {
  limit=$1; shift
  tries=$((limit * 10))
  while ! "$@" 2>/dev/null; do
    tries=$((tries - 1))
    [ $tries -gt 0 ] || return 1
    sleep 0.1
  done
}

# row NAME: the table's line for source NAME (empty if none).
row() { grep "^$1 " "$DEVICE"; }

# column NAME N: column N (1 = NAME) of source NAME's row.
column() { row "$1" | awk -v n="$2" '{print $n}'; }

# --- Multi-boot tests ('# boots: N'; run-suite.sh's header): power loss. ------------------
# DISK is the mount point of the test's own disk, BOOT and BOOTS say which boot this is.

# power_cut: ends every boot of a multi-boot test but the last. sysrq b resets the guest at
# once, as a power cut would: nothing is synced, written back or unmounted, so what the
# guest kernel still held in memory (dirty pages, an uncommitted journal) is lost, and what
# it had sent to the disk is there. QEMU runs with -no-reboot, so it exits; the host checks
# that this boot was cut and boots the next one on the same disk.
power_cut() {
  # The marker goes through the kernel log, which the restart flushes to the console (the
  # test's own output may lose its last bytes in the serial port's buffer).
  echo on > /proc/sys/kernel/printk_devkmsg
  echo "<2>TOOLKIT-POWER-CUT boot $BOOT of $BOOTS" > /dev/kmsg
  echo b > /proc/sysrq-trigger
  sleep 10
  fail "power_cut: the guest still runs 10 s after sysrq b"
}

# boot_output K: what the test printed in boot K (earlier than this one), as the host saved
# it from the serial console: lines may be cut at the power cut or broken by kernel lines,
# so match what you look for whole (say, a line format with an end mark).
boot_output() {
  [ "$1" -lt "$BOOT" ] || fail "boot_output $1: only earlier boots' output is known (this is boot $BOOT)"
  cat "/toolkit/boots/$1.out" || fail "boot_output $1: the host passed no output of boot $1"
}
