#!/bin/sh
# Runs a suite of guest tests and reports them as KTAP on stdout.
#   sh run-suite.sh DIR
# Every DIR/NN-name.sh is one test, run in a fresh shell with lib.sh sourced, in name order,
# in a process group of its own, under a time limit: TEST_TIMEOUT seconds (default 180), or
# the test's own from a '# timeout: N' line. A test passes when it exits 0 and the kernel
# logged no problem (tests/vm/kernel-problems.ere) while it ran; so a warning or lockdep
# report is pinned on the test that caused it. A failing test's output and the kernel's
# report follow its result as KTAP diagnostics ('# ' lines).
dir=${1:-/toolkit/tests/vm}
lib=/toolkit/tests/vm/lib.sh
problems=/toolkit/tests/vm/kernel-problems.ere
default_limit=${TEST_TIMEOUT:-180}
tests=$(ls "$dir"/[0-9]*.sh 2>/dev/null | sort)
n=0
for t in $tests; do n=$((n + 1)); done
echo "KTAP version 1"
echo "1..$n"
i=0
for t in $tests; do
  i=$((i + 1))
  name=$(basename "$t" .sh)
  name=${name#[0-9][0-9]-}
  out=/tmp/test-$i.out
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
  if [ $rc -eq 0 ] && [ -z "$report" ] && [ ! -e /tmp/test-timed-out ]; then
    echo "ok $i $name"
  else
    echo "not ok $i $name"
    [ -e /tmp/test-timed-out ] && echo "# timed out after $limit s"
    sed 's/^/# /' "$out"
    echo "# exit status $rc"
    if [ -n "$report" ]; then
      echo "# the kernel reported, while this test ran:"
      dmesg | sed -n "/$mark\$/,\$p" | sed 1d | sed 's/^/# kernel: /'
    fi
  fi
done
