# Self-check of the harness: expects a header the device does not show, so it must fail.
load_module
expect_eq "$(head -n 1 "$DEVICE" | cut -d, -f1)" "mydevice 9.9.9" "version in the header of $DEVICE"
