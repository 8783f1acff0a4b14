#!/bin/sh
# Runs a suite of guest tests and reports them as KTAP on stdout.
#   sh run-suite.sh DIR
# Every DIR/NN-name.sh is one test, run in a fresh shell with lib.sh sourced, in name order,
# under a time limit. A test passes when it exits 0; a failing test's output is printed as
# KTAP diagnostics ('# ' lines) after its result.
dir=${1:-/toolkit/tests/vm}
lib=/toolkit/tests/vm/lib.sh
limit=${TEST_TIMEOUT:-180}
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
  timeout "$limit" sh -c ". '$lib'; . '$t'" >"$out" 2>&1 </dev/null
  rc=$?
  if [ $rc -eq 0 ]; then
    echo "ok $i $name"
  else
    echo "not ok $i $name"
    [ $rc -eq 143 ] && echo "# timed out after $limit s"
    sed 's/^/# /' "$out"
    echo "# exit status $rc"
  fi
done
