# The max_sources parameter: out of range refuses the load, a small limit is enforced.
unload_module
if insmod "$MODULE" max_sources=0 2>/dev/null; then fail "max_sources=0 was accepted"; fi
if insmod "$MODULE" max_sources=4097 2>/dev/null; then fail "max_sources=4097 was accepted"; fi
module_loaded && fail "module loaded with a bad parameter"
load_module max_sources=2
mydevice-ctl info | grep -q 'max_sources 2 ' || fail "info: $(mydevice-ctl info)"
mydevice-ctl push --name one 0 0 0 0 0 0 --hold 30 & p1=$!
mydevice-ctl push --name two 0 0 0 0 0 0 --hold 30 & p2=$!
i=0
while [ "$(mydevice-ctl info | cut -d' ' -f8)" != 2 ]; do
  i=$((i + 1)); [ $i -lt 300 ] || fail "two rows never registered"; sleep 0.1
done
out=$(mydevice-ctl push --name three 0 0 0 0 0 0 2>&1) && fail "a third source was accepted"
echo "$out" | grep -q 'No space left on device' || fail "third source: $out"
kill $p1 $p2; wait
unload_module
load_module
