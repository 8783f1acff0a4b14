# boots: 4
# timeout: 150
# kv with `--engine btree` loses no acknowledged write to a power cut: a write is
# acknowledged only after the B+tree commit that holds it (pages, fdatasync, meta page,
# fdatasync; a small commit writes its pages and a meta page listing them, then one
# fdatasync), one commit per event-loop turn. As test 60 does for the log: in each of the
# first three boots, four writers write to kv on the test's disk and print each write kv
# acknowledged, and the power is cut while they go on: after a few writes, after more, and
# after a random number. Each later boot starts kv on what the cuts left (the tree at its
# last commit, whatever page or meta page the cut tore) and finds there every write
# acknowledged before any earlier cut, with its value, and no writer's newest acknowledged
# write undone. The last one stops kv and checks the file with `btree check`.
PORT=6391
KV_FLAGS="--engine btree"
KV_SAYS="btree engine"
check_kv_files() {
  btree check "$DISK/kv/kv.btree" > /tmp/check.out 2>&1 || fail "btree check: $(cat /tmp/check.out)"
  [ ! -e "$DISK/kv/appendonlydir" ] || fail "the btree engine wrote an append-only log"
}
. /toolkit/tests/vm/kv-power-cuts.sh
