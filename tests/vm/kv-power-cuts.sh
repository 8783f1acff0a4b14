# The body of the power-cut tests of kv (60: the append-only log, 61: the btree engine),
# sourced by each after it sets:
#   PORT            kv's port
#   KV_FLAGS        `kv serve`'s flags for the engine under test
#   KV_SAYS         a pattern of kv's start-up lines worth showing (what recovery did)
#   check_kv_files  a function run after the last boot's clean stop: checks the files
# In each of the first three boots, four writers write to kv on the test's disk and print
# each write kv acknowledged, and the power is cut while they go on: after a few writes,
# after more, and after a random number. Each later boot starts kv on what the cuts left and
# finds there every write acknowledged before any earlier cut, with its value, and no
# writer's newest acknowledged write undone; the boots in between go on writing on what was
# recovered. The last one stops kv and runs check_kv_files.
WRITERS=4
# Writes of some 250 bytes, so that they straddle pages and sectors of the log, and a
# commit's pages of the tree fill and split.
PAD=$(printf '%0200d' 0)
# When the power is cut, by boot: after this many acknowledged writes (boot 3: at random).
case $BOOT in
  1) CUT_AFTER=5 ;;
  2) CUT_AFTER=300 ;;
  *) CUT_AFTER=$(( $(od -An -tu2 -N2 /dev/urandom | tr -d ' ') % 600 + 1 )) ;;
esac

cli() { redis-cli -p $PORT "$@"; }

mkdir -p "$DISK/kv"
/toolkit/bin/kv serve --listen 127.0.0.1:$PORT --dir "$DISK/kv" $KV_FLAGS >/tmp/kv.out 2>&1 &
kv=$!
wait_until 60 grep -q listening /tmp/kv.out || fail "kv did not start on what the last cut left: $(cat /tmp/kv.out)"
grep -i "$KV_SAYS" /tmp/kv.out | sed 's/^/kv: /'

# The writes acknowledged in the earlier boots: their 'ack BOOT WRITER N .' lines, as the
# host saved them from the console (a line cut short by the power cut has no end mark).
: > /tmp/acked
b=1
while [ $b -lt "$BOOT" ]; do
  boot_output $b | grep -E '^ack [0-9]+ [0-9]+ [0-9]+ \.$' > /tmp/acked-$b
  [ -s /tmp/acked-$b ] || fail "no acknowledged write of boot $b reached this boot: $(boot_output $b | tail -n 20)"
  cat /tmp/acked-$b >> /tmp/acked
  b=$((b + 1))
done
if [ -s /tmp/acked ]; then
  awk '{print "k:" $2 ":" $3 ":" $4}' /tmp/acked > /tmp/keys
  awk -v pad="$PAD" '{print "v:" $2 ":" $3 ":" $4 ":" pad}' /tmp/acked > /tmp/want
  xargs -n 50 redis-cli -p $PORT MGET < /tmp/keys > /tmp/got || fail "MGET failed"
  lost=$(paste -d ' ' /tmp/keys /tmp/want /tmp/got |
    awk '$2 != $3 {print $1 " is " ($3 == "" ? "missing" : "\"" substr($3, 1, 40) "...\"")}')
  [ -z "$lost" ] || fail "acknowledged writes lost to the power cuts: $(echo "$lost" | head -n 20)
($(echo "$lost" | wc -l) of $(wc -l < /tmp/acked)); kv said: $(cat /tmp/kv.out)"
  # Each writer's newest acknowledged write (its 'last' key) is there or a later one is.
  undone=$(awk '{k = $2 ":" $3; if ($4 + 0 > m[k]) m[k] = $4 + 0} END {for (k in m) print k, m[k]}' /tmp/acked |
    while read -r bw newest; do
      got=$(cli GET "last:$bw")
      [ "${got:-0}" -ge "$newest" ] || echo "last:$bw is '$got', but $newest was acknowledged"
    done)
  [ -z "$undone" ] || fail "acknowledged writes undone by older ones: $undone"
  echo "# all $(wc -l < /tmp/acked) writes acknowledged in boots 1 to $((BOOT - 1)) are there"
fi

if [ "$BOOT" -eq "$BOOTS" ]; then
  kill -TERM $kv
  wait $kv
  expect_eq "$?" 0 "kv's exit status after SIGTERM"
  check_kv_files
  exit 0
fi

# Writers, each a redis-cli on one connection fed an endless stream of writes: it sends one,
# waits for the reply, sends the next; the Nth reply is the Nth write's, printed once it is
# an OK.
writer() {
  w=$1
  i=0
  while :; do
    i=$((i + 1))
    echo "MSET k:$BOOT:$w:$i v:$BOOT:$w:$i:$PAD last:$BOOT:$w $i"
  done | redis-cli -p $PORT 2>&1 | {
    i=0
    while read -r reply; do
      i=$((i + 1))
      if [ "$reply" = OK ]; then
        echo "ack $BOOT $w $i ."
        echo . >> /tmp/acks
      else
        echo "write $BOOT $w $i not acknowledged: $reply"
      fi
    done
  }
}
# Said before the writers start, so that it reaches the console whole.
echo "# boot $BOOT cuts the power after $CUT_AFTER acknowledged writes, the writers going on"
: > /tmp/acks
w=1
while [ $w -le $WRITERS ]; do
  writer $w &
  w=$((w + 1))
done
enough() { [ "$(wc -l < /tmp/acks)" -ge "$CUT_AFTER" ]; }
wait_until 100 enough || fail "kv acknowledged $(wc -l < /tmp/acks) writes in 100 s, not $CUT_AFTER"
power_cut
