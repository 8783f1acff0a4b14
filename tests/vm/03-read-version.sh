# A read returns exactly the version line; reading byte by byte gives the same bytes, and
# a read at the end of the line returns end of file.
load_module
expected='mydevice 0.1.0'
expect_eq "$(cat "$DEVICE")" "$expected" "content of $DEVICE"
expect_eq "$(cat "$DEVICE" | wc -c)" 15 "bytes read (with the newline)"
expect_eq "$(dd if="$DEVICE" bs=1 2>/dev/null)" "$expected" "content read with dd bs=1"
cat "$DEVICE" > /tmp/whole; dd if="$DEVICE" bs=7 2>/dev/null > /tmp/pieces
cmp /tmp/whole /tmp/pieces || fail "dd bs=7 differs from cat"
