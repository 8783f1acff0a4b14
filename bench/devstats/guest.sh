# Guest side of bench/devstats: chat (epoll) with its statistics pushed to the real
# /dev/mydevice, and with pushing off, alternately, under the same fan-out load.
insmod /toolkit/mydevice.ko && chmod 0666 /dev/mydevice || exit 1
ulimit -n 65536
run() {  # run on|off
  if [ "$1" = on ]; then dev=/dev/mydevice; else dev=none; fi
  chat serve --listen 127.0.0.1:7200 --stats-device $dev --stats-interval-ms 500 --max-clients 2000 >/tmp/chat.log 2>&1 &
  pid=$!
  i=0; while ! grep -q listening /tmp/chat.log; do i=$((i+1)); [ $i -lt 200 ] || exit 1; sleep 0.05; done
  out=$(chat-bench run --target chat --addr 127.0.0.1:7200 --subscribers 100 \
          --messages "${MESSAGES:-3000}" --server-pid $pid --timeout 120)
  echo "RESULT $1 $out pushes=$(grep '^totals' /dev/mydevice | sed 's/.*writes accepted \([0-9]*\).*/\1/')"
  kill -TERM $pid; wait $pid
}
echo "PUSHCOST $(mydevice-ctl push-cost --count 20000)"
for pair in 1 2 3 4 5 6; do
  if [ $((pair % 2)) = 1 ]; then run on; run off; else run off; run on; fi
done
rmmod mydevice
