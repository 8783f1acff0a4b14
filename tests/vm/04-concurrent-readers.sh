# Two files open at the same time each read the whole line, and many readers in parallel
# all see it.
load_module
exec 3<"$DEVICE" 4<"$DEVICE"
expect_eq "$(cat <&4)" "mydevice 0.1.0" "second open file"
expect_eq "$(cat <&3)" "mydevice 0.1.0" "first open file, read after the second"
exec 3<&- 4<&-
for r in 1 2 3 4 5 6 7 8; do
  ( for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do cat "$DEVICE"; done > /tmp/reader-$r ) &
done
wait
for r in 1 2 3 4 5 6 7 8; do
  expect_eq "$(sort -u /tmp/reader-$r)" "mydevice 0.1.0" "lines seen by reader $r"
  expect_eq "$(wc -l < /tmp/reader-$r)" 20 "reads by reader $r"
done
