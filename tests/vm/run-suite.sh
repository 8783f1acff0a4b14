#!/bin/sh
# Runs guest tests and reports them as KTAP on stdout.
#   sh run-suite.sh DIR|TEST            the suite DIR (or the one test TEST), in one boot
#   sh run-suite.sh --boot K/N TEST     boot K of the N boots of the multi-boot test TEST
#
# Every DIR/NN-name.sh is one test, run in a fresh shell with lib.sh sourced, in name order,
# in a process group of its own, under a time limit: TEST_TIMEOUT seconds (default 180), or
# the test's own from a '# timeout: N' line. A test passes when it exits 0 and the kernel
# logged no problem (tests/vm/kernel-problems.ere) while it ran; so a warning or lockdep
# report is pinned on the test that caused it. A failing test's output and the kernel's
# report follow its result as KTAP diagnostics ('# ' lines).
#
# A test with a '# boots: N' line (N > 1) is a multi-boot test, for power loss: the host
# (scripts/vm.sh) gives it a disk of its own and boots N times on it, running it once a boot
# with --boot; in a suite run it is left out here. In each boot the disk is mounted at $DISK
# and the test sees BOOT (1..N) and BOOTS (N). Every boot but the last must end in power_cut
# (lib.sh): the guest is reset at once, nothing synced or unmounted; the test's output goes
# to the console as it is written, so the host keeps what was printed before the cut and
# hands it to the later boots (boot_output K). The last boot ends like any test; then the
# disk is unmounted and the host checks the file system. See the README, "Power-loss tests".
lib=/toolkit/tests/vm/lib.sh
problems=/toolkit/tests/vm/kernel-problems.ere
default_limit=${TEST_TIMEOUT:-180}

# boots_of TEST: N from its '# boots: N' line, 1 if it has none.
boots_of() {
  b=$(sed -n 's/^# boots: *\([0-9][0-9]*\).*/\1/p' "$1" | head -n 1)
  echo "${b:-1}"
}

# run_test I TEST OUT: runs TEST (number I) to its end or its limit, its output into OUT
# (a file, or /dev/console to show it as it is written); prints its KTAP result.
run_test() {
  i=$1 t=$2 out=$3
  name=$(basename "$t" .sh)
  name=${name#[0-9][0-9]-}
  limit=$(sed -n 's/^# timeout: *\([0-9][0-9]*\).*/\1/p' "$t" | head -n 1)
  limit=${limit:-$default_limit}
  mark="toolkit-suite: test $i $name begins"
  echo "$mark" > /dev/kmsg

  # The test leads its own process group (setsid execs in place: a background job of a
  # non-interactive shell is no group leader), so the watchdog can stop all of it.
  rm -f /tmp/test-timed-out
  setsid sh -c ". '$lib'; . '$t'" >"$out" 2>&1 </dev/null &
  pid=$!
  ( sleep "$limit"; touch /tmp/test-timed-out; kill -TERM -"$pid" 2>/dev/null
    sleep 5; kill -KILL -"$pid" 2>/dev/null ) &
  watchdog=$!
  wait "$pid"
  rc=$?
  kill "$watchdog" 2>/dev/null; wait "$watchdog" 2>/dev/null
  kill -KILL -"$pid" 2>/dev/null   # whatever the test left running

  report=$(dmesg | sed -n "/$mark\$/,\$p" | sed 1d | grep -E -f "$problems")
  if [ $rc -eq 0 ] && [ -z "$report" ] && [ ! -e /tmp/test-timed-out ] && [ -z "$extra_failure" ]; then
    echo "ok $i $name"
  else
    echo "not ok $i $name"
    [ -e /tmp/test-timed-out ] && echo "# timed out after $limit s"
    [ -n "$extra_failure" ] && echo "# $extra_failure"
    [ -f "$out" ] && sed 's/^/# /' "$out"
    echo "# exit status $rc"
    if [ -n "$report" ]; then
      echo "# the kernel reported, while this test ran:"
      dmesg | sed -n "/$mark\$/,\$p" | sed 1d | sed 's/^/# kernel: /'
    fi
  fi
}

# The disk of a multi-boot test (the host attaches one virtio disk, ext4 on the whole of it).
DISK=/disk
DISK_DEV=/dev/vda

# Whether the file system on DISK_DEV was left mounted (not cleanly unmounted): ext4 keeps
# the incompatible feature RECOVER (0x4; offset 0x60 of the superblock, which starts at
# byte 1024) set while it is mounted, and clears it on a clean unmount.
disk_needs_recovery() {
  flags=$(dd if="$DISK_DEV" bs=1 skip=1120 count=4 2>/dev/null | od -An -tu4 | tr -d ' ')
  [ $(( ${flags:-0} & 4 )) -ne 0 ]
}

if [ "$1" = --boot ]; then
  BOOT=${2%/*} BOOTS=${2#*/} t=$3
  export BOOT BOOTS DISK DISK_DEV
  echo "KTAP version 1"
  echo "1..1"
  extra_failure=
  tries=50
  while [ ! -b "$DISK_DEV" ] && [ $tries -gt 0 ]; do sleep 0.1; tries=$((tries - 1)); done
  if disk_needs_recovery; then DISK_NEEDED_RECOVERY=yes; else DISK_NEEDED_RECOVERY=no; fi
  export DISK_NEEDED_RECOVERY
  mkdir -p "$DISK"
  if ! mount -t ext4 "$DISK_DEV" "$DISK" 2>/tmp/mount.err; then
    echo "not ok 1 $(basename "$t" .sh | sed 's/^[0-9][0-9]-//')"
    echo "# boot $BOOT of $BOOTS: cannot mount $DISK_DEV: $(cat /tmp/mount.err)"
    exit 0
  fi
  echo "# boot $BOOT of $BOOTS: $DISK_DEV on $DISK (it was left mounted: $DISK_NEEDED_RECOVERY)"
  if [ "$BOOT" -lt "$BOOTS" ]; then
    # Until the cut, the whole kernel log goes to the console too, so the host sees a report
    # logged before it (there is no dump at the end of a boot that is cut).
    echo 8 > /proc/sys/kernel/printk
    extra_failure="boot $BOOT of $BOOTS ended without cutting the power (power_cut)"
    run_test 1 "$t" /dev/console
  else
    run_test 1 "$t" /tmp/test-1.out > /tmp/result
    # A clean unmount: the host checks the file system it leaves behind.
    if ! umount "$DISK" 2>/tmp/umount.err; then
      sed -i "1s/^ok /not ok /" /tmp/result
      echo "# cannot unmount $DISK after the test: $(cat /tmp/umount.err)" >> /tmp/result
    fi
    cat /tmp/result
  fi
  exit 0
fi

target=${1:-/toolkit/tests/vm}
if [ -f "$target" ]; then tests=$target; else tests=$(ls "$target"/[0-9]*.sh 2>/dev/null | sort); fi
run=
for t in $tests; do
  [ "$(boots_of "$t")" -gt 1 ] || run="$run $t"
done
n=0
for t in $run; do n=$((n + 1)); done
echo "KTAP version 1"
echo "1..$n"
i=0
extra_failure=
for t in $run; do
  i=$((i + 1))
  run_test $i "$t" /tmp/test-$i.out
done
