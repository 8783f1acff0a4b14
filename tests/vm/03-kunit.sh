# The module's KUnit suites (record parsing, table formatting, the registry of sources) run
# when it loads, and all of their cases pass.
unload_module
mark_log
load_module
log=$(log_since_mark)
for suite in mydevice_record mydevice_table mydevice_registry; do
  echo "$log" | grep -Eq "^\[ *[0-9.]+\] *ok [0-9]+ $suite\$" \
    || fail "suite $suite did not pass: $(echo "$log" | grep -A30 "Subtest: $suite")"
done
cases=$(echo "$log" | grep -Ec '^\[ *[0-9.]+\] +ok [0-9]+ ')
[ "$cases" -ge 16 ] || fail "only $cases KUnit cases passed: $log"
if echo "$log" | grep -q 'not ok'; then fail "a KUnit case failed: $log"; fi
echo "$cases KUnit cases passed"
