# Self-check of the harness: expects content the device does not return, so it must fail.
load_module
expect_eq "$(cat "$DEVICE")" "mydevice 9.9.9" "content of $DEVICE"
