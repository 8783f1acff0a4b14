# boots: 4
# timeout: 150
# kv with `--appendfsync always` loses no acknowledged write to a power cut. In each of the
# first three boots, four writers write to kv on the test's disk and print each write kv
# acknowledged, and the power is cut while they go on: after a few writes, after more, and
# after a random number. Each later boot starts kv on what the cuts left (a torn tail of the
# log cut off) and finds there every write acknowledged before any earlier cut, with its
# value, and no writer's newest acknowledged write undone; the boots in between go on
# writing on the recovered log. The last one stops kv and checks the log with check-aof.
PORT=6390
KV_FLAGS="--appendfsync always"
KV_SAYS=torn
check_kv_files() {
  kv check-aof "$DISK/kv/appendonlydir" > /tmp/check.out 2>&1 || fail "check-aof: $(cat /tmp/check.out)"
}
. /toolkit/tests/vm/kv-power-cuts.sh
