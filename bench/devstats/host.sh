#!/usr/bin/env bash
# Host side of bench/devstats: chat's epoll server under fan-out load (1 publisher, 100
# subscribers, 64-byte messages) with its Reporter pushing, and not pushing, in alternating
# pairs; the host kernel has no mydevice, so the records go to a regular file (everything
# but the module's write handler, whose cost the VM part measures). Two push intervals: the
# servers' 500 ms, and 10 ms (50 x as many pushes) to show the margin.
#
# Measured per run: the server's CPU time (utime + stime of all its threads, the Reporter's
# included, from /proc) per delivered message. The server is CPU-bound, so its throughput on
# a CPU of its own is the inverse; unlike the wall-clock rate, CPU time barely moves when
# other work shares this 2-core machine. Per pair: efficiency = cpu_off / cpu_on (>= 0.99
# is the goal), and the wall-clock rate ratio for reference.
#   host.sh BIN_DIR  → one line per interval:
#   HOSTPAIRS interval_ms=500 pairs=10 median=1.002 min=0.97 max=1.03 rate_median=...
set -euo pipefail
bins=$1
pairs=${BENCH_PAIRS:-10}
messages=${BENCH_MESSAGES:-40000}
tmp=$(mktemp -d /tmp/bench-devstats.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
port=${BENCH_CHAT_PORT:-7310}

# run on|off INTERVAL → "RATE CPU_NS_PER_MESSAGE"
run() {
  local dev=none
  if [ "$1" = on ]; then dev="$tmp/stats.rec"; : >"$dev"; fi
  "$bins/chat" serve --listen "127.0.0.1:$port" --stats-device "$dev" \
    --stats-interval-ms "$2" --max-clients 2000 >"$tmp/chat.log" 2>&1 &
  local pid=$! i=0
  while ! grep -q listening "$tmp/chat.log"; do
    i=$((i + 1)); [ $i -lt 200 ] || { echo "chat did not start" >&2; exit 1; }; sleep 0.05
  done
  local out
  out=$("$bins/chat-bench" run --target chat --addr "127.0.0.1:$port" --subscribers 100 \
          --messages "$messages" --server-pid "$pid" --timeout 120)
  local ticks
  ticks=$(awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat")
  kill -TERM "$pid"; wait "$pid" || true
  case "$out" in *void=no*) ;; *) echo "void run: $out" >&2; exit 1 ;; esac
  if [ "$1" = on ] && [ ! -s "$tmp/stats.rec" ]; then echo "nothing was pushed" >&2; exit 1; fi
  local rate delivered
  rate=$(echo "$out" | sed -n 's/.*rate=\([0-9.]*\).*/\1/p')
  delivered=$(echo "$out" | sed -n 's/.*delivered=\([0-9]*\).*/\1/p')
  awk -v r="$rate" -v t="$ticks" -v d="$delivered" -v hz="$(getconf CLK_TCK)" \
    'BEGIN { printf "%s %.2f\n", r, t / hz * 1e9 / d }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

for interval in 500 10; do
  eff=() rates=() cpu_on=() cpu_off=()
  for p in $(seq 1 "$pairs"); do
    # Alternate the order, so a drift in the machine's load favours neither side.
    if [ $((p % 2)) = 1 ]; then read -r r_on c_on < <(run on "$interval"); read -r r_off c_off < <(run off "$interval")
    else read -r r_off c_off < <(run off "$interval"); read -r r_on c_on < <(run on "$interval"); fi
    eff+=("$(awk -v a="$c_on" -v b="$c_off" 'BEGIN { printf "%.4f", b / a }')")
    rates+=("$(awk -v a="$r_on" -v b="$r_off" 'BEGIN { printf "%.4f", a / b }')")
    cpu_on+=("$c_on"); cpu_off+=("$c_off")
  done
  sorted=$(printf '%s\n' "${eff[@]}" | sort -n)
  printf 'HOSTPAIRS interval_ms=%s pairs=%d median=%.4f min=%.4f max=%.4f cpu_ns_on=%s cpu_ns_off=%s rate_median=%.4f\n' \
    "$interval" "$pairs" "$(echo "$sorted" | median)" "$(echo "$sorted" | head -n 1)" \
    "$(echo "$sorted" | tail -n 1)" "$(printf '%s\n' "${cpu_on[@]}" | median)" \
    "$(printf '%s\n' "${cpu_off[@]}" | median)" "$(printf '%s\n' "${rates[@]}" | median)"
done
