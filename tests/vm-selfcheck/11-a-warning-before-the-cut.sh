# boots: 2
# Self-check of the harness: the first boot loads a module that hits a WARN_ON, then cuts
# the power; the boot leaves no kernel log dump behind, yet the harness must fail the test
# from the kernel's report.
insmod /toolkit/tests/vm-selfcheck/module/harness_selfcheck.ko fault=1 || fail "insmod failed"
rmmod harness_selfcheck
power_cut
