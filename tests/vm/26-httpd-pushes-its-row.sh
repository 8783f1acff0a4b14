# A real server: httpd registers its row, counts the requests it answers and the bytes it
# sends, and the row goes away when it stops on SIGTERM.
# (By its full path: busybox's shell runs its own httpd applet for a bare `httpd`.)
load_module
mkdir -p /tmp/www && printf 'hello\n' > /tmp/www/index.html
/toolkit/bin/httpd --listen 127.0.0.1:8100 --root /tmp/www --access-log /tmp/access.log --allow-root >/tmp/httpd.out 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
wait_until 20 grep -q 'listening' /tmp/httpd.out || fail "httpd did not start: $(cat /tmp/httpd.out)"
wait_until 20 row httpd >/dev/null || fail "no httpd row: $(cat "$DEVICE")"
expect_eq "$(column httpd 2)" "$pid" "PID column"
for i in 1 2 3 4 5; do
  expect_eq "$(wget -q -O - http://127.0.0.1:8100/)" hello "body of request $i"
done
wget -q -O /dev/null http://127.0.0.1:8100/missing 2>/dev/null && fail "a missing file was served"
requests_are() { test "$(column httpd 6)" = "$1"; }
wait_until 30 requests_are 6 || fail "requests never reached 6: $(cat "$DEVICE")"
expect_eq "$(column httpd 5)" 6 "connections in total"
expect_eq "$(wc -l < /tmp/access.log)" 6 "access log lines"
kill -TERM $pid
wait $pid
expect_eq "$?" 0 "httpd's exit status after SIGTERM"
[ -z "$(row httpd)" ] || fail "row still there after httpd exited: $(cat "$DEVICE")"
