# A row's PID is the writer's process id as the *reader's* pid namespace numbers it. A writer
# in a child namespace (unshare -p -f) shows its inner PID to readers in there and its outer
# PID to readers outside; a writer outside is not visible from the child namespace and shows
# there as 0. Both in the text table and in the binary snapshot.
load_module
rm -f /tmp/ns-*
mydevice-ctl push --name outside 0 0 0 0 0 0 --hold 120 &
outside=$!
trap 'kill $outside 2>/dev/null; touch /tmp/ns-done' EXIT
wait_until 20 row outside >/dev/null || fail "no outside row: $(cat "$DEVICE")"
expect_eq "$(column outside 2)" "$outside" "the outside writer's PID, read outside"

# In a new pid namespace: a writer, and a reader that saves what it sees, then waits.
unshare -p -f sh -c '
  echo $$ > /tmp/ns-shell-pid
  mydevice-ctl push --name inside 0 0 0 0 0 0 --hold 120 &
  echo $! > /tmp/ns-writer-pid
  i=0
  until grep -q "^inside " /dev/mydevice; do
    i=$((i + 1)); [ $i -lt 200 ] || exit 1; sleep 0.1
  done
  cat /dev/mydevice > /tmp/ns-table
  mydevice-ctl snapshot > /tmp/ns-snapshot
  touch /tmp/ns-ready
  until [ -e /tmp/ns-done ]; do sleep 0.1; done
  kill $!
' &
ns=$!
wait_until 30 test -e /tmp/ns-ready || fail "the namespace's reader never got its table"

inner=$(cat /tmp/ns-writer-pid)
expect_eq "$(cat /tmp/ns-shell-pid)" 1 "the shell's PID in its new namespace"
pid_in() { awk -v name="$2" '$1 == name {print $2}' "$1"; }
expect_eq "$(pid_in /tmp/ns-table inside)" "$inner" "the inside writer's PID, read inside (table)"
expect_eq "$(pid_in /tmp/ns-snapshot inside)" "$inner" "the inside writer's PID, read inside (snapshot)"
expect_eq "$(pid_in /tmp/ns-table outside)" 0 "the outside writer's PID, read inside (table)"
expect_eq "$(pid_in /tmp/ns-snapshot outside)" 0 "the outside writer's PID, read inside (snapshot)"

# Outside, the same writer has its outer PID: the one whose /proc status lists both numbers.
outer=$(column inside 2)
[ "$outer" != "$inner" ] || fail "the inside writer has the same PID inside and outside: $outer"
nspid=$(awk '/^NSpid:/ {print $2, $3}' "/proc/$outer/status")
expect_eq "$nspid" "$outer $inner" "NSpid of the process the table shows outside"
mydevice-ctl snapshot > /tmp/ns-snapshot-outside
expect_eq "$(pid_in /tmp/ns-snapshot-outside inside)" "$outer" "the inside writer's PID, read outside (snapshot)"

touch /tmp/ns-done
wait $ns
wait_until 20 sh -c "! grep -q '^inside ' $DEVICE" || fail "the inside row outlived its namespace"
