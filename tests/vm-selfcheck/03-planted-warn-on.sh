# Self-check of the harness: passes itself, but a module it loads hits a WARN_ON, so the
# harness must fail this test (and name it) from the kernel log.
insmod /toolkit/tests/vm-selfcheck/module/harness_selfcheck.ko fault=1 || fail "insmod failed"
rmmod harness_selfcheck
