# After all of the above, the kernel has reported no bug, warning or locking problem, and
# kmemleak finds no leaked object.
found=$(dmesg | grep -E "$KERNEL_PROBLEMS")
[ -z "$found" ] || fail "kernel log reports: $found"
leaks=/sys/kernel/debug/kmemleak
[ -e $leaks ] || fail "kmemleak is not available"
echo scan > $leaks
echo scan > $leaks
report=$(cat $leaks)
[ -z "$report" ] || fail "kmemleak: $report"
