# httpd that chroots and drops to nobody still pushes its row: it opens /dev/mydevice
# before the chroot (the device is not inside the jail) and keeps the open file.
load_module
mkdir -p /tmp/jail/www /tmp/jail/logs && printf 'jailed\n' > /tmp/jail/www/index.html
chmod 0777 /tmp/jail/logs
cat > /tmp/jail.conf <<CONF
listen 127.0.0.1:8200;
root /tmp/jail/www;
threads 1;
chroot /tmp/jail;
user nobody;
group nogroup;
access_log /tmp/jail/logs/access.log;
error_log /tmp/jail/logs/error.log;
CONF
/toolkit/bin/httpd --config /tmp/jail.conf >/tmp/jail.out 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null' EXIT
wait_until 20 grep -q 'listening' /tmp/jail.out || fail "httpd did not start: $(cat /tmp/jail.out /tmp/jail/logs/error.log)"
expect_eq "$(wget -q -O - http://127.0.0.1:8200/)" jailed "body served from the jail"
expect_eq "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" 65534 "uid after the drop"
requests_are() { test "$(column httpd 6)" = "$1"; }
wait_until 30 requests_are 1 || fail "no httpd row counting the request: $(cat "$DEVICE"; cat /tmp/jail.out)"
kill -TERM $pid
wait $pid
[ -z "$(row httpd)" ] || fail "row still there after httpd exited"
