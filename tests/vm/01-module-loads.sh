# insmod succeeds, the module is listed, and loading logs exactly one line (besides the
# kernel's own note that an out-of-tree module taints it).
unload_module
mark_log
insmod "$MODULE" || fail "insmod failed"
module_loaded || fail "mydevice not in /proc/modules after insmod"
lines=$(log_since_mark | grep 'mydevice: ' | grep -vc 'taints kernel')
expect_eq "$lines" 1 "log lines on load"
log_since_mark | grep -q 'mydevice: loaded, version 0\.4\.0, protocol 1: /dev/mydevice, max_sources=64, max_sources_per_uid=16$' \
  || fail "no load line in: $(log_since_mark | tail -n 5)"
