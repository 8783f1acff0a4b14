# Self-check of the harness: passes itself, but a module it loads takes two locks in both
# orders, which lockdep reports; the harness must fail this test from the kernel log.
insmod /toolkit/tests/vm-selfcheck/module/harness_selfcheck.ko fault=2 || fail "insmod failed"
rmmod harness_selfcheck
