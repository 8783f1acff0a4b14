# The guest side of `make demo`: each command is shown, then run.
show() { echo; echo "guest# $*"; sh -c "$*"; }
show 'uname -sr'
show 'insmod /toolkit/mydevice.ko && chmod 0666 /dev/mydevice   # chmod: what kmod/99-mydevice.rules does'
show 'cat /dev/mydevice'

mkdir -p /tmp/www && echo '<h1>hello from httpd</h1>' > /tmp/www/index.html
dd if=/dev/zero of=/tmp/www/big.bin bs=1k count=256 2>/dev/null
echo; echo "(the four servers start, each pushing its counters to /dev/mydevice every 500 ms; proxy forwards port 8081 to httpd with splice)"
show 'chat serve --listen 127.0.0.1:7000 >/tmp/chat.log 2>&1 & /toolkit/bin/httpd --listen 127.0.0.1:8080 --root /tmp/www --access-log /tmp/access.log --user nobody >/tmp/httpd.log 2>&1 & mkdir -p /tmp/kv; kv serve --listen 127.0.0.1:6380 --dir /tmp/kv --appendfsync always >/tmp/kv.log 2>&1 & proxy --listen 127.0.0.1:8081 --upstream 127.0.0.1:8080 >/tmp/proxy.log 2>&1 & sleep 1; cat /tmp/chat.log /tmp/httpd.log /tmp/kv.log /tmp/proxy.log'
echo; echo "(load: chat-bench fans messages out to 50 chat clients; a wget loop fetches pages from httpd, half of them through proxy; redis-benchmark drives kv)"
show 'chat-bench run --target chat --addr 127.0.0.1:7000 --subscribers 50 --messages 6000 --timeout 60 >/tmp/bench.out 2>&1 &
      (for i in $(seq 100); do wget -q -O /dev/null http://127.0.0.1:8080/; wget -q -O /dev/null http://127.0.0.1:8081/big.bin; done; echo done > /tmp/wget.done) &
      (redis-benchmark -p 6380 -t set,get,incr,lpush -n 5000 -c 20 -q 2>&1 | tr "\r" "\n" | grep "per second" >/tmp/redis-bench.out; echo done > /tmp/redis.done) &
      sleep 3'
show 'cat /dev/mydevice'
sleep 2
show 'cat /dev/mydevice   # two seconds later: the counters moved'
i=0; while [ ! -s /tmp/bench.out ] || [ ! -e /tmp/wget.done ] || [ ! -e /tmp/redis.done ]; do i=$((i + 1)); [ $i -lt 600 ] || break; sleep 0.1; done
show 'cat /tmp/bench.out; wc -l < /tmp/access.log; cat /tmp/redis-bench.out'
show 'mydevice-ctl snapshot   # the same figures, through MYDEVICE_IOC_SNAPSHOT'
show 'printf "v=1\nname=bad name\n" | dd of=/dev/mydevice 2>&1 | head -n 1   # a malformed record is refused'
show 'kill -TERM $(pidof chat) $(pidof httpd) $(pidof kv) $(pidof proxy); sleep 1; cat /dev/mydevice   # the servers stopped: their rows are gone'

echo; echo "(strace-lite watches httpd: every network call of three requests, then the -C summary)"
show 'strace-lite -f -C -e trace=%net -o /tmp/httpd.trace /toolkit/bin/httpd --listen 127.0.0.1:8090 --root /tmp/www --threads 1 --access-log off --user nobody >/tmp/httpd2.log 2>&1 &
      i=0; until wget -q -O /dev/null http://127.0.0.1:8090/ 2>/dev/null; do i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1; done
      wget -q -O /dev/null http://127.0.0.1:8090/; wget -q -O /dev/null http://127.0.0.1:8090/big.bin
      kill -TERM $(pidof httpd); wait'
show 'grep -E "accept4|recvfrom|sendto|sendfile|setsockopt" /tmp/httpd.trace | grep -v EAGAIN | head -n 12'
show 'sed -n "/^% time/,\$p" /tmp/httpd.trace'
echo; echo "(chat over TLS 1.3, the kernel encrypting the records once OpenSSL's handshake is done: kTLS)"
show 'chat gen-cert --dir /tmp/certs --name 127.0.0.1 >/dev/null 2>&1
      chat serve --listen 127.0.0.1:7443 --ktls on --stats-device none --tls-cert /tmp/certs/server.pem --tls-key /tmp/certs/server.key >/tmp/tls.log 2>&1 &
      i=0; until grep -q listening /tmp/tls.log; do i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1; done
      (echo "hello over TLS"; sleep 1) | chat connect --tls --ca /tmp/certs/server.pem 127.0.0.1:7443 | head -n 1
      grep "TLSv1.3" /tmp/tls.log; grep -E "^TlsCurrTxSw|^TlsTxSw" /proc/net/tls_stat
      kill -TERM $(pidof chat); wait'

echo; echo "(kv on its second engine: the strings in a copy-on-write B+tree file, then btree's own tool on it)"
show 'mkdir -p /tmp/kvb; kv serve --listen 127.0.0.1:6390 --dir /tmp/kvb --engine btree >/tmp/kvb.log 2>&1 &
      i=0; until grep -q listening /tmp/kvb.log; do i=$((i + 1)); [ $i -lt 100 ] || break; sleep 0.1; done
      redis-benchmark -p 6390 -t set -n 20000 -r 100000 -c 10 -q 2>&1 | tr "\r" "\n" | grep "per second"
      redis-cli -p 6390 DBSIZE; kill -TERM $(pidof kv); wait
      btree check /tmp/kvb/kv.btree && btree stat /tmp/kvb/kv.btree'

show 'rmmod mydevice'
show 'dmesg | grep mydevice: | grep -v taints'

cat <<'GUIDE'

What you saw: the module loaded and /dev/mydevice empty; chat, httpd, kv and proxy each
pushing a row while chat-bench, wget and redis-benchmark loaded them; the table moving; the
same figures through an ioctl; a malformed record refused; the rows gone when the servers
stopped; strace-lite tracing httpd's network calls with strace's flags and summary; chat over
TLS with the kernel encrypting (kTLS); kv on the B+tree engine, and btree checking its file.

Where to go next:
  docs/progression.md      the learning path, step by step, each with a command to run
  chat/README.md           five concurrency models side by side
  httpd/README.md          the static web server, its config, logs and signals
  kv/README.md             the Redis-compatible server and its append-only log
  btree/README.md          the on-disk B+tree, kv's second engine
  proxy/README.md          the splice(2) TCP proxy
  strace-lite/README.md    the tracer, measured on strace's own test suite
  docs/mydevice.md         the device's interface
GUIDE
