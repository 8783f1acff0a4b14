# docs/progression.md's `sh vm` blocks, run in the VM by make vm-test as the page's `sh`
# blocks are run on the host by make docs-check, so its VM commands cannot rot either. Each
# block's CMD runs as `make vm-run CMD='...'` runs it after a fresh boot: in a new shell, in
# /toolkit, the module not loaded; it passes by exiting 0.
#
# Generated from the page by docs/check-progression.sh --write-vm-test: do not edit here.
# docs/check-progression.sh fails while this file is not what the page generates.
# timeout: 600

# progression_block N: runs the guest command on stdin, the page's Nth VM command.
# PROGRESSION_DRY_RUN=1 prints it instead (the host's check runs this file so).
progression_block() {
  b=${TMPDIR:-/tmp}/progression-block-$1
  cat > $b.sh
  if [ -n "${PROGRESSION_DRY_RUN:-}" ]; then
    printf 'would run VM command %s: %s\n' "$1" "$(cat $b.sh)"
    return 0
  fi
  unload_module
  echo "== VM command $1 of docs/progression.md"
  # A session of its own (setsid execs in place), so that whatever it leaves running goes.
  ( cd /toolkit && exec setsid sh $b.sh ) > $b.out 2>&1 < /dev/null &
  block=$!
  wait $block
  rc=$?
  kill -KILL -$block 2>/dev/null
  sed 's/^/    /' $b.out
  [ $rc -eq 0 ] || fail "VM command $1 of docs/progression.md exited with status $rc: $(cat $b.sh)"
}

# ### The device: `kmod/` (mydevice.ko) and `devstats/`
progression_block 1 <<'CMD'
insmod /toolkit/mydevice.ko || exit 1; /toolkit/bin/chat serve --listen 127.0.0.1:7000 >/tmp/chat.log 2>&1 & until grep -q listening /tmp/chat.log 2>/dev/null; do sleep 0.1; done; /toolkit/bin/chat-bench run --target chat --addr 127.0.0.1:7000 --subscribers 10 --messages 2000; cat /dev/mydevice; /toolkit/bin/mydevice-ctl snapshot; kill $(pidof chat); wait; cat /dev/mydevice
CMD

# ### The device: `kmod/` (mydevice.ko) and `devstats/`
progression_block 2 <<'CMD'
insmod /toolkit/mydevice.ko || exit 1; /toolkit/bin/strace-lite -f -e trace=openat,write -o /tmp/trace /toolkit/bin/chat serve --listen 127.0.0.1:7000 --stats-interval-ms 100 >/tmp/chat.log 2>&1 & until grep -q listening /tmp/chat.log 2>/dev/null; do sleep 0.1; done; /toolkit/bin/chat-bench run --target chat --addr 127.0.0.1:7000 --subscribers 2 --messages 100 >/dev/null; kill $(pidof chat); wait; grep -E "mydevice|v=1" /tmp/trace | head
CMD
