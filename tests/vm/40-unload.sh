# rmmod is refused while the device is open, and succeeds once it is closed: the node
# goes away and unloading logs one line.
load_module
exec 3<"$DEVICE"
if rmmod mydevice 2>/dev/null; then fail "rmmod succeeded while $DEVICE was open"; fi
module_loaded || fail "module gone while $DEVICE was open"
exec 3<&-
mark_log
rmmod mydevice || fail "rmmod failed after the file was closed"
module_loaded && fail "module still listed after rmmod"
[ -e "$DEVICE" ] && fail "$DEVICE still exists after rmmod"
log_since_mark | grep -q 'mydevice: unloaded' || fail "no unload line in: $(log_since_mark | tail -n 5)"
true
