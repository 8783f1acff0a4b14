#!/usr/bin/env bash
# strace-lite watching our own servers, as a person would use it: `strace-lite -f httpd`
# while curl fetches a file, and `strace-lite -f chat serve` while one client's line is
# relayed to another. The traces must show the calls that make these servers what they
# are: accept4, the epoll loop, sendfile for a large file, the line read and written.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bins="$root/target/x86_64-unknown-linux-gnu/release"
tmp=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$tmp"' EXIT
failed=0
expect() {  # expect DESCRIPTION TRACE ERE
  if grep -Eq "$3" "$2"; then echo "strace-servers: ok - $1"
  else echo "strace-servers: FAILED - $1 (no line matching /$3/ in $2)"; failed=1; fi
}
wait_for() {  # wait_for FILE ERE: up to 20 s
  for _ in $(seq 200); do grep -Eq "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  echo "strace-servers: gave up waiting for /$2/ in $1"; cat "$1"; return 1
}
# The traced server is the tracer's child; with -o the tracer ignores SIGTERM (as strace).
stop_server() {  # stop_server TRACER_PID
  kill -TERM "$(pgrep -P "$1" | head -n 1)"
  for _ in $(seq 200); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1"
}

# httpd serving a 100 KiB file to curl.
mkdir -p "$tmp/www"
head -c 102400 /dev/urandom > "$tmp/www/big.bin"
"$bins/strace-lite" -f -o "$tmp/httpd.trace" "$bins/httpd" --listen 127.0.0.1:0 \
  --root "$tmp/www" --threads 1 --access-log off --allow-root > "$tmp/httpd.out" 2>&1 &
pids+=($!)
wait_for "$tmp/httpd.out" 'listening on http://' || exit 1
url=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$tmp/httpd.out" | head -n 1)
curl -s -o "$tmp/got.bin" "${url}big.bin"
cmp -s "$tmp/got.bin" "$tmp/www/big.bin" && echo "strace-servers: ok - httpd served the file while traced" \
  || { echo "strace-servers: FAILED - httpd's file differs while traced"; failed=1; }
stop_server "${pids[0]}"
t="$tmp/httpd.trace"
expect "httpd: the listening socket" "$t" 'bind\([0-9]+, \{sa_family=AF_INET, sin_port=htons\([0-9]+\), sin_addr=inet_addr\("127\.0\.0\.1"\)\}, 16\) += 0'
expect "httpd: accept4 of curl's connection" "$t" 'accept4\([0-9]+, \{sa_family=AF_INET, .*SOCK_(NONBLOCK|CLOEXEC).*= [0-9]+'
expect "httpd: its epoll loop" "$t" 'epoll_(p?wait|ctl)\('
expect "httpd: the request read" "$t" '(read|recvfrom)\([0-9]+, "GET /big\.bin HTTP/1\.1\\r\\n'
expect "httpd: the file opened" "$t" 'openat2?\(.*big\.bin'
expect "httpd: sendfile for the body" "$t" 'sendfile\([0-9]+, [0-9]+, .*= [0-9]+'

# chat relaying alice's line to bob.
"$bins/strace-lite" -f -o "$tmp/chat.trace" "$bins/chat" serve --listen 127.0.0.1:0 \
  --stats-device none > "$tmp/chat.out" 2>&1 &
pids+=($!)
wait_for "$tmp/chat.out" 'listening on' || exit 1
addr=$(sed -n 's/.*listening on \([0-9.]*:[0-9]*\).*/\1/p' "$tmp/chat.out" | head -n 1)
# Every client is bounded: nc does not exit on end of input while the server stays open.
( sleep 3 ) | timeout 10 nc "${addr%:*}" "${addr#*:}" > "$tmp/bob.out" &
pids+=($!)
sleep 0.5
( sleep 0.5; printf 'hello bob\n'; sleep 1 ) | timeout 10 nc "${addr%:*}" "${addr#*:}" > /dev/null
wait_for "$tmp/bob.out" 'hello bob' || failed=1
stop_server "${pids[1]}"
t="$tmp/chat.trace"
expect "chat: accept4 of the clients" "$t" 'accept4\('
expect "chat: its epoll loop" "$t" 'epoll_(p?wait|ctl)\('
expect "chat: alice's line read" "$t" '(read|recvfrom)\([0-9]+, "hello bob\\n"'
expect "chat: the line relayed to bob with alice's nick" "$t" '(write|sendto|writev)\([0-9]+, .*: hello bob\\n'
[ $failed = 0 ] || { echo "--- httpd trace (tail):"; tail -n 30 "$tmp/httpd.trace"; echo "--- chat trace (tail):"; tail -n 30 "$tmp/chat.trace"; }
exit $failed
