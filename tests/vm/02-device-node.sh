# The module creates /dev/mydevice, a misc character device (major 10).
load_module
[ -c "$DEVICE" ] || fail "$DEVICE is not a character device"
dev=$(cat /sys/class/misc/mydevice/dev) || fail "no /sys/class/misc/mydevice"
expect_eq "${dev%%:*}" 10 "major number"
