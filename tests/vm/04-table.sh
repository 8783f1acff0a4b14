# `cat` shows the header, the module totals and the column titles; `dd bs=7` reads the
# same table as `cat` (times aside: they move between two reads).
load_module
table=$(cat "$DEVICE")
echo "$table" | head -n 1 | grep -Eq '^mydevice 0\.4\.0, protocol 1, up [0-9]+\.[0-9]s, [0-9]+/64 sources$' \
  || fail "header: $(echo "$table" | head -n 1)"
echo "$table" | sed -n 2p | grep -Eq '^totals: opens [0-9]+, writes accepted [0-9]+, writes rejected [0-9]+, reads [0-9]+$' \
  || fail "totals: $(echo "$table" | sed -n 2p)"
expect_eq "$(echo "$table" | sed -n 3p)" \
  "NAME  PID  UPTIME  CONNS  CONNS_TOTAL  REQUESTS  BYTES_IN  BYTES_OUT  ERRORS  TLS  KTLS  LAST_UPDATE" "titles"
mask() { sed -E 's/[0-9]+\.[0-9]s/T/g; s/opens [0-9]+/opens N/; s/reads [0-9]+/reads N/'; }
a=$(cat "$DEVICE" | mask)
b=$(dd if="$DEVICE" bs=7 2>/dev/null | mask)
expect_eq "$b" "$a" "table read with dd bs=7"
