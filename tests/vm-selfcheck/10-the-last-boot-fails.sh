# boots: 2
# Self-check of the harness: the power is cut in the first boot, and the second boot fails:
# the harness must fail the test, with the second boot's reason.
[ "$BOOT" = 1 ] && power_cut
fail "planted failure in boot $BOOT"
