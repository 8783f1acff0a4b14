# The max_sources_per_uid parameter: out of range refuses the load; the value loaded shows in
# the load line and MYDEVICE_IOC_INFO, and an unprivileged uid gets that many sources and no
# more (the same device test as with the default, here with a cap of 2).
unload_module
for bad in 0 4097; do
  if insmod "$MODULE" max_sources_per_uid=$bad 2>/dev/null; then
    fail "max_sources_per_uid=$bad was accepted"
  fi
done
module_loaded && fail "module loaded with a bad parameter"
mark_log
load_module max_sources_per_uid=2
log_since_mark | grep -q 'mydevice: loaded, .*, max_sources=64, max_sources_per_uid=2$' \
  || fail "no load line with the parameter in: $(log_since_mark | tail -n 5)"
mydevice-ctl info | grep -q ' max_sources_per_uid 2 ' || fail "info: $(mydevice-ctl info)"
rust_test one_uid_gets_at_most_its_share_of_sources
unload_module
load_module
