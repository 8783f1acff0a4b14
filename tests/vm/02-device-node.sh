# The module creates /dev/mydevice, a misc character device (major 10), root-only as the
# misc layer makes it until the udev rule (here: load_module) opens it to every user.
unload_module
insmod "$MODULE" || fail "insmod failed"
[ -c "$DEVICE" ] || fail "$DEVICE is not a character device"
dev=$(cat /sys/class/misc/mydevice/dev) || fail "no /sys/class/misc/mydevice"
expect_eq "${dev%%:*}" 10 "major number"
expect_eq "$(stat -c %a "$DEVICE")" 600 "mode as created"
load_module
expect_eq "$(stat -c %a "$DEVICE")" 666 "mode after the udev rule"
