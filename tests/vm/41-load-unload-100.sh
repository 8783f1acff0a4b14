# Loading and unloading 100 times in a row works every time, with a row registered in
# between each time.
unload_module
i=0
while [ $i -lt 100 ]; do
  insmod "$MODULE" || fail "insmod number $((i + 1)) failed"
  printf 'v=1\nname=cycle\nrequests=%d\n' $i > "$DEVICE" || fail "write on load $((i + 1))"
  rmmod mydevice || fail "rmmod number $((i + 1)) failed"
  i=$((i + 1))
done
module_loaded && fail "module still loaded"
true
