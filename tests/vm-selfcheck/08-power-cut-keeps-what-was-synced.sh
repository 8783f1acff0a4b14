# boots: 2
# timeout: 60
# Self-check of the harness, a multi-boot test that must pass: the second boot is a new boot
# (another boot id) on the first one's disk, which was left mounted; it has the file synced
# before the cut, and not the one written without a sync, so the cut was a real one (no
# sync, no unmount); and it has the first boot's output.
case $BOOT in
1)
  # Nothing goes to the disk behind the test's back before the cut: no periodic writeback,
  # a journal commit at most every 5 minutes.
  echo 0 > /proc/sys/vm/dirty_writeback_centisecs
  mount -o remount,commit=300 "$DISK" || fail "cannot remount $DISK with commit=300"
  echo "boot-id $(cat /proc/sys/kernel/random/boot_id) ."
  echo "written and synced" > "$DISK/synced"
  sync "$DISK/synced" || fail "fsync of $DISK/synced failed"
  echo "written, not synced" > "$DISK/unsynced"
  power_cut
  ;;
2)
  expect_eq "$DISK_NEEDED_RECOVERY" yes "whether the disk was left mounted by boot 1"
  first=$(boot_output 1 | sed -n 's/^boot-id \(.*\) \.$/\1/p')
  [ -n "$first" ] || fail "boot 1's output did not reach this boot: $(boot_output 1)"
  [ "$first" != "$(cat /proc/sys/kernel/random/boot_id)" ] || fail "the boot id of boot 1 again: not a new boot"
  expect_eq "$(cat "$DISK/synced" 2>&1)" "written and synced" "the file synced before the cut"
  if [ "$(cat "$DISK/unsynced" 2>/dev/null)" = "written, not synced" ]; then
    fail "the file written without a sync survived the cut: something synced or unmounted the disk"
  fi
  ;;
esac
