# Two files open at the same time each read a whole table, and many readers in parallel
# all get whole tables.
load_module
exec 3<"$DEVICE" 4<"$DEVICE"
expect_eq "$(cat <&4 | wc -l)" 3 "lines read from the second open file"
expect_eq "$(cat <&3 | wc -l)" 3 "lines read from the first open file"
exec 3<&- 4<&-
for r in 1 2 3 4 5 6 7 8; do
  ( for i in 1 2 3 4 5 6 7 8 9 10; do cat "$DEVICE"; done > /tmp/reader-$r ) &
done
wait
for r in 1 2 3 4 5 6 7 8; do
  expect_eq "$(grep -c '^mydevice 0.4.0' /tmp/reader-$r)" 10 "headers seen by reader $r"
  expect_eq "$(grep -c '^NAME ' /tmp/reader-$r)" 10 "title lines seen by reader $r"
done
