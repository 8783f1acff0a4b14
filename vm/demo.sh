# The guest side of `make demo`: each command is shown, then run.
show() { echo; echo "guest# $*"; sh -c "$*"; }
show 'uname -sr'
show 'insmod /toolkit/mydevice.ko && chmod 0666 /dev/mydevice   # chmod: what kmod/99-mydevice.rules does'
show 'cat /dev/mydevice'

mkdir -p /tmp/www && echo '<h1>hello from httpd</h1>' > /tmp/www/index.html
dd if=/dev/zero of=/tmp/www/big.bin bs=1k count=256 2>/dev/null
echo; echo "(the three servers start, each pushing its counters to /dev/mydevice every 500 ms)"
show 'chat serve --listen 127.0.0.1:7000 >/tmp/chat.log 2>&1 & /toolkit/bin/httpd --listen 127.0.0.1:8080 --root /tmp/www --access-log /tmp/access.log --user nobody >/tmp/httpd.log 2>&1 & mkdir -p /tmp/kv; kv serve --listen 127.0.0.1:6380 --dir /tmp/kv --appendfsync always >/tmp/kv.log 2>&1 & sleep 1; cat /tmp/chat.log /tmp/httpd.log /tmp/kv.log'
echo; echo "(load: chat-bench fans messages out to 50 chat clients; a wget loop fetches pages from httpd; redis-benchmark drives kv)"
show 'chat-bench run --target chat --addr 127.0.0.1:7000 --subscribers 50 --messages 6000 --timeout 60 >/tmp/bench.out 2>&1 &
      (for i in $(seq 100); do wget -q -O /dev/null http://127.0.0.1:8080/; wget -q -O /dev/null http://127.0.0.1:8080/big.bin; done; echo done > /tmp/wget.done) &
      (redis-benchmark -p 6380 -t set,get,incr,lpush -n 5000 -c 20 -q 2>&1 | tr "\r" "\n" | grep "per second" >/tmp/redis-bench.out; echo done > /tmp/redis.done) &
      sleep 3'
show 'cat /dev/mydevice'
sleep 2
show 'cat /dev/mydevice   # two seconds later: the counters moved'
i=0; while [ ! -s /tmp/bench.out ] || [ ! -e /tmp/wget.done ] || [ ! -e /tmp/redis.done ]; do i=$((i + 1)); [ $i -lt 600 ] || break; sleep 0.1; done
show 'cat /tmp/bench.out; wc -l < /tmp/access.log; cat /tmp/redis-bench.out'
show 'mydevice-ctl snapshot   # the same figures, through MYDEVICE_IOC_SNAPSHOT'
show 'printf "v=1\nname=bad name\n" | dd of=/dev/mydevice 2>&1 | head -n 1   # a malformed record is refused'
show 'kill -TERM $(pidof chat) $(pidof httpd) $(pidof kv); sleep 1; cat /dev/mydevice   # the servers stopped: their rows are gone'
show 'rmmod mydevice'
show 'dmesg | grep mydevice: | grep -v taints'
