# kv registers its row, counts the commands it runs (redis-cli, then redis-benchmark), and
# the row goes away when it stops on SIGTERM, its log synced.
load_module
mkdir -p /tmp/kv
/toolkit/bin/kv serve --listen 127.0.0.1:6380 --dir /tmp/kv --appendfsync always >/tmp/kv.out 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
wait_until 20 grep -q 'listening' /tmp/kv.out || fail "kv did not start: $(cat /tmp/kv.out)"
wait_until 20 row kv >/dev/null || fail "no kv row: $(cat "$DEVICE")"
expect_eq "$(column kv 2)" "$pid" "PID column"
expect_eq "$(redis-cli -p 6380 SET greeting hello)" OK "SET"
expect_eq "$(redis-cli -p 6380 GET greeting)" hello "GET"
expect_eq "$(redis-cli -p 6380 INCR n)" 1 "INCR"
requests_are() { test "$(column kv 6)" = "$1"; }
wait_until 30 requests_are 3 || fail "requests never reached 3: $(cat "$DEVICE")"
expect_eq "$(column kv 5)" 3 "connections in total"
redis-benchmark -p 6380 -t set,incr -n 2000 -c 8 -q >/tmp/bench.out 2>&1 || fail "redis-benchmark: $(cat /tmp/bench.out)"
grep -q 'SET: ' /tmp/bench.out || fail "no SET row: $(cat /tmp/bench.out)"
at_least() { test "$(column kv 6)" -ge "$1"; }
wait_until 30 at_least 4003 || fail "the benchmark's commands were not counted: $(cat "$DEVICE")"
expect_eq "$(redis-cli -p 6380 GET counter:__rand_int__)" 2000 "the benchmark's INCRs"
kill -TERM $pid
wait $pid
expect_eq "$?" 0 "kv's exit status after SIGTERM"
[ -z "$(row kv)" ] || fail "row still there after kv exited: $(cat "$DEVICE")"
# The log holds every write: a new kv on the same directory has them.
/toolkit/bin/kv serve --listen 127.0.0.1:6381 --dir /tmp/kv >/tmp/kv2.out 2>&1 &
pid=$!
wait_until 20 grep -q 'listening' /tmp/kv2.out || fail "kv did not restart: $(cat /tmp/kv2.out)"
expect_eq "$(redis-cli -p 6381 GET counter:__rand_int__)" 2000 "counter after restart"
expect_eq "$(redis-cli -p 6381 GET greeting)" hello "greeting after restart"
