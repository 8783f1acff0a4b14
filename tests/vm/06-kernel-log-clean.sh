# After all of the above, the kernel has reported no bug, warning or locking problem.
found=$(dmesg | grep -E "$KERNEL_PROBLEMS")
[ -z "$found" ] || fail "kernel log reports: $found"
