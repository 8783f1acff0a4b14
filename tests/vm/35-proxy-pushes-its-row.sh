# proxy registers its row in front of httpd: the connections it forwarded, the bytes each
# way as the clients see them, an error when its upstream is gone, and no row once it stops.
load_module
mkdir -p /tmp/pwww && chmod 755 /tmp/pwww
dd if=/dev/zero of=/tmp/pwww/f.bin bs=1000 count=100 2>/dev/null
/toolkit/bin/httpd --listen 127.0.0.1:8180 --root /tmp/pwww --access-log off --user nobody >/tmp/phttpd.out 2>&1 &
httpd_pid=$!
/toolkit/bin/proxy --listen 127.0.0.1:8181 --upstream 127.0.0.1:8180 >/tmp/proxy.out 2>&1 &
pid=$!
trap 'kill $pid $httpd_pid 2>/dev/null' EXIT
wait_until 20 grep -q 'listening' /tmp/proxy.out || fail "proxy did not start: $(cat /tmp/proxy.out)"
wait_until 20 wget -q -O /dev/null http://127.0.0.1:8180/f.bin || fail "httpd did not start: $(cat /tmp/phttpd.out)"
wait_until 20 row proxy >/dev/null || fail "no proxy row: $(cat "$DEVICE")"
expect_eq "$(column proxy 2)" "$pid" "PID column"
for i in 1 2; do
  wget -q -O /tmp/got.bin http://127.0.0.1:8181/f.bin || fail "wget through the proxy: $(cat /tmp/proxy.out)"
  cmp -s /tmp/got.bin /tmp/pwww/f.bin || fail "the file came through changed"
done
requests_are() { test "$(column proxy 6)" = "$1"; }
wait_until 30 requests_are 2 || fail "requests never reached 2: $(cat "$DEVICE")"
expect_eq "$(column proxy 4)" 0 "connections open"
expect_eq "$(column proxy 5)" 2 "connections in total"
down=$(column proxy 8)
[ "$down" -gt 200000 ] || fail "bytes upstream -> client: $down, want more than two files: $(cat "$DEVICE")"
expect_eq "$(column proxy 9)" 0 "errors"
kill -TERM $httpd_pid; wait $httpd_pid 2>/dev/null
wget -q -O /dev/null http://127.0.0.1:8181/f.bin && fail "a wget with no upstream succeeded"
errors_are() { test "$(column proxy 9)" = "$1"; }
wait_until 30 errors_are 1 || fail "the failed connection was not counted: $(cat "$DEVICE")"
kill -TERM $pid
wait $pid
expect_eq "$?" 0 "proxy's exit status after SIGTERM"
[ -z "$(row proxy)" ] || fail "row still there after proxy exited: $(cat "$DEVICE")"
