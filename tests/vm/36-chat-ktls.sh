# Kernel TLS (CONFIG_TLS): `chat serve --ktls on` hands each connection's sending to the
# kernel once the handshake is done (OpenSSL's SSL_OP_ENABLE_KTLS: setsockopt TCP_ULP "tls",
# then SOL_TLS/TLS_TX with the keys), so the broadcast reaches the clients in records the
# kernel encrypted, and a connection the kernel did not take would be closed. The guest has
# no openssl command: the certificates come from `chat gen-cert`, the clients are
# `chat connect --tls --ca`, which verify the server and its address.
#
# For each connection the server's line must say the kernel took the sending: "kTLS send"
# (Debian 12's OpenSSL 3.0 hands over only the sending direction of TLS 1.3), or
# "kTLS send+recv" with an OpenSSL that hands over both. The kernel's own counters
# (/proc/net/tls_stat, when it has them) must count exactly those connections, and give
# them back when they close; and the server's totals at its end must say the same.
#
# The server's row in /dev/mydevice counts its live TLS connections and those the kernel
# took (columns TLS and KTLS), exactly: with a plaintext client on the plain port and a TLS
# client on the TLS port, 2 connections, 1 TLS, 1 kTLS (--ktls on) or 0 (--ktls off); and
# they go down as the clients leave.
# timeout: 200

grep -qw tls /proc/sys/net/ipv4/tcp_available_ulp \
  || fail "no tls ULP in this kernel (CONFIG_TLS): '$(cat /proc/sys/net/ipv4/tcp_available_ulp)'"

pki=/tmp/ktls-pki
rm -rf "$pki"
chat gen-cert --dir "$pki" --ca --name 127.0.0.1 --days 2 >/tmp/gen-cert.out 2>&1 \
  || fail "chat gen-cert: $(cat /tmp/gen-cert.out)"

# tls_stat NAME: a counter of /proc/net/tls_stat ("TlsTxSw   3" lines), 0 if missing.
tls_stat() {
  v=$(awk -v k="$1" '$1 == k { print $2 }' /proc/net/tls_stat 2>/dev/null)
  echo "${v:-0}"
}
if [ -r /proc/net/tls_stat ]; then counters=yes; else
  counters=no; echo "# no /proc/net/tls_stat: the kernel's counters are not checked"
fi

clients="alice bob carol"
pids=
trap 'kill $pids 2>/dev/null' EXIT
port=7440
for model in epoll threads; do
  port=$((port + 1))
  log=/tmp/ktls-$model.log
  cur0=$(tls_stat TlsCurrTxSw) tx0=$(tls_stat TlsTxSw) rx0=$(tls_stat TlsRxSw)
  chat serve --listen 127.0.0.1:$port --model $model --ktls on --stats-device none \
    --tls-cert $pki/server.pem --tls-key $pki/server.key >"$log" 2>&1 &
  server=$!
  pids="$pids $server"
  wait_until 20 grep -q "listening on 127.0.0.1:$port ($model model, TLS)" "$log" \
    || fail "$model: chat did not start: $(cat "$log")"

  # Each client reads its input from a FIFO this shell holds open (fd 3, 4, 5), so it stays
  # in the room until the FIFO is closed. A client is started before its FIFO is opened for
  # writing: each open waits for the other side.
  fd=3
  for c in $clients; do
    rm -f /tmp/$c.in; mkfifo /tmp/$c.in
    chat connect --tls --ca $pki/ca.pem 127.0.0.1:$port </tmp/$c.in >/tmp/$c.out 2>&1 &
    pids="$pids $!"
    eval "exec $fd>/tmp/$c.in"
    fd=$((fd + 1))
    wait_until 20 grep -q '^\* welcome to chat, you are ' /tmp/$c.out \
      || fail "$model: $c got no greeting: $(cat /tmp/$c.out); server: $(cat "$log")"
  done

  # A line in from alice, the broadcast out to bob and carol; and one back from bob.
  echo "hello over kernel TLS" >&3
  for c in bob carol; do
    wait_until 20 grep -q ': hello over kernel TLS$' /tmp/$c.out \
      || fail "$model: $c did not get alice's line: $(cat /tmp/$c.out)"
  done
  echo "and back" >&4
  for c in alice carol; do
    wait_until 20 grep -q ': and back$' /tmp/$c.out \
      || fail "$model: $c did not get bob's line: $(cat /tmp/$c.out)"
  done

  # The server's line per connection: e.g.
  # "chat: TLS 127.0.0.1:40312: TLSv1.3 TLS_AES_256_GCM_SHA384, kTLS send".
  took=$(grep -cE '^chat: TLS 127\.0\.0\.1:[0-9]+: TLSv1\.3 TLS_[A-Z0-9_]+, kTLS send(\+recv)?$' "$log")
  expect_eq "$took" 3 "$model: connections whose sending the kernel took (log: $(cat "$log"))"
  both=$(grep -c ', kTLS send+recv$' "$log")
  if grep -q 'kTLS off\|did not take' "$log"; then fail "$model: $(cat "$log")"; fi

  if [ $counters = yes ]; then
    expect_eq "$(( $(tls_stat TlsCurrTxSw) - cur0 ))" 3 "$model: TlsCurrTxSw while connected"
    expect_eq "$(( $(tls_stat TlsTxSw) - tx0 ))" 3 "$model: TlsTxSw"
    expect_eq "$(( $(tls_stat TlsRxSw) - rx0 ))" "$both" "$model: TlsRxSw (connections with kTLS send+recv)"
    expect_eq "$(tls_stat TlsDecryptError)" 0 "TlsDecryptError"
  fi

  # End of input: each client says goodbye (close_notify) and leaves; then the server stops.
  exec 3>&- 4>&- 5>&-
  kill -TERM $server
  wait $server
  expect_eq "$?" 0 "$model: chat's exit status after SIGTERM"
  # Its last TLS line: the totals.
  expect_eq "$(grep '^chat: TLS: ' "$log")" "chat: TLS: 3 handshakes, 3 with kTLS send, $both with kTLS recv" "$model: the server's TLS totals"
  if [ $counters = yes ]; then
    cur_back() { test "$(tls_stat TlsCurrTxSw)" = "$cur0"; }
    wait_until 10 cur_back || fail "$model: TlsCurrTxSw $(tls_stat TlsCurrTxSw) after the server stopped, $cur0 before"
  fi
  echo "# $model: $(grep -m1 'kTLS' "$log")"
done

load_module
# conns TLS KTLS: the chat-epoll row's CONNS, TLS and KTLS columns.
gauges() { echo "$(column chat-epoll 4) $(column chat-epoll 10) $(column chat-epoll 11)"; }
gauges_are() { test "$(gauges)" = "$1"; }
for ktls in on off; do
  port=$((port + 2))
  tls_port=$((port + 1))
  log=/tmp/ktls-row-$ktls.log
  chat serve --listen 127.0.0.1:$port --tls-listen 127.0.0.1:$tls_port --ktls $ktls \
    --stats-interval-ms 20 --tls-cert $pki/server.pem --tls-key $pki/server.key >"$log" 2>&1 &
  server=$!
  pids="$pids $server"
  wait_until 20 grep -q "listening on 127.0.0.1:$tls_port (epoll model, TLS)" "$log" \
    || fail "--ktls $ktls: chat did not start: $(cat "$log")"
  wait_until 20 gauges_are "0 0 0" || fail "--ktls $ktls: before any client: $(cat "$DEVICE")"

  rm -f /tmp/row-plain.in /tmp/row-tls.in
  mkfifo /tmp/row-plain.in /tmp/row-tls.in
  nc 127.0.0.1 $port </tmp/row-plain.in >/tmp/row-plain.out 2>&1 &
  plain=$!
  pids="$pids $plain"
  exec 3>/tmp/row-plain.in
  chat connect --tls --ca $pki/ca.pem 127.0.0.1:$tls_port </tmp/row-tls.in >/tmp/row-tls.out 2>&1 &
  pids="$pids $!"
  exec 4>/tmp/row-tls.in
  for c in plain tls; do
    wait_until 20 grep -q '^\* welcome to chat, you are ' /tmp/row-$c.out \
      || fail "--ktls $ktls: the $c client got no greeting: $(cat /tmp/row-$c.out); server: $(cat "$log")"
  done
  if [ $ktls = on ]; then want="2 1 1"; else want="2 1 0"; fi
  wait_until 20 gauges_are "$want" \
    || fail "--ktls $ktls: CONNS TLS KTLS are '$(gauges)', not '$want': $(cat "$DEVICE"); server: $(cat "$log")"
  # The TLS client leaves (end of its input), then the plaintext one is cut off.
  exec 4>&-
  wait_until 20 gauges_are "1 0 0" || fail "--ktls $ktls: after the TLS client left: $(cat "$DEVICE")"
  exec 3>&-
  kill $plain
  wait_until 20 gauges_are "0 0 0" || fail "--ktls $ktls: after both left: $(cat "$DEVICE")"
  echo "# --ktls $ktls, with both clients: CONNS TLS KTLS = $want"
  kill -TERM $server
  wait $server
  expect_eq "$?" 0 "--ktls $ktls: chat's exit status after SIGTERM"
  [ -z "$(row chat-epoll)" ] || fail "row still there after chat exited: $(cat "$DEVICE")"
done
wait
