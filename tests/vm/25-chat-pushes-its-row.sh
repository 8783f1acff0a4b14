# A real server: `chat serve` registers its row, the row counts what clients did (lines
# relayed, connections), and the row goes away when the server stops on SIGTERM.
load_module
chat serve --listen 127.0.0.1:7100 --stats-interval-ms 20 >/tmp/chat.out 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
wait_until 20 grep -q 'listening' /tmp/chat.out || fail "chat did not start: $(cat /tmp/chat.out)"
wait_until 20 row chat-epoll >/dev/null || fail "no chat-epoll row: $(cat "$DEVICE")"
expect_eq "$(column chat-epoll 2)" "$pid" "PID column"
# Without TLS, no TLS gauges: TLS and KTLS show '-'.
expect_eq "$(column chat-epoll 10) $(column chat-epoll 11)" "- -" "TLS and KTLS columns"
( sleep 1; printf 'one\ntwo\nthree\n/me waves\n'; sleep 3 ) | nc 127.0.0.1 7100 >/tmp/alice.out &
( sleep 5 ) | nc 127.0.0.1 7100 >/tmp/bob.out &
requests_are() { test "$(column chat-epoll 6)" = "$1"; }
wait_until 30 requests_are 4 || fail "requests never reached 4: $(cat "$DEVICE")"
expect_eq "$(column chat-epoll 5)" 2 "connections in total"
expect_eq "$(column chat-epoll 4)" 2 "connections active"
grep -q 'three' /tmp/bob.out || wait_until 10 grep -q 'three' /tmp/bob.out || fail "bob did not get alice's lines: $(cat /tmp/bob.out)"
kill -TERM $pid
wait $pid
status=$?
expect_eq "$status" 0 "chat's exit status after SIGTERM"
[ -z "$(row chat-epoll)" ] || fail "row still there after chat exited: $(cat "$DEVICE")"
wait
