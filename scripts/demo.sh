#!/usr/bin/env bash
# `make demo`: boots the test VM and shows the toolkit working in it (vm/demo.sh): the
# servers' rows in /dev/mydevice under load, strace-lite on httpd, and where to go next.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
echo "Booting the test VM (kernel $(make -s -C "$KDIR" kernelversion 2>/dev/null || echo '?'), software emulation unless KVM was proven to work)..."
"$here/vm.sh" run "$(cat "$here/../vm/demo.sh")"
