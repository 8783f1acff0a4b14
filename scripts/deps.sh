#!/usr/bin/env bash
# Installs, idempotently, everything the build and the tests need on Debian/Ubuntu:
# the Rust toolchain pieces the kernel needs (rustc + its sources of one version,
# libclang >= 17, bindgen >= 0.71.1), the kernel's build dependencies, QEMU and a
# static busybox for the test VM, e2fsprogs for the disks of its power-loss tests, the
# clients the tests drive, and cargo-fuzz.
# Skips whatever is already present; needs root only when something is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/env.sh"

log() { printf '[deps] %s\n' "$*"; }

# Debian packages: the kernel build, the VM, and the test clients. With KDIR= the kernel is
# the user's, built with a toolchain of their own (README, Requirements): the kernel's Rust
# toolchain is then not installed here.
kernel_toolchain=(rustc-web rust-web-src rust-web-clippy libclang1-22)
[ -n "${KDIR:-}" ] && kernel_toolchain=()
apt_pkgs=(
  "${kernel_toolchain[@]}"
  make gcc g++ bc flex bison libelf-dev libssl-dev cpio xz-utils
  busybox-static qemu-system-x86 e2fsprogs
  curl netcat-openbsd strace apache2-utils chromium python3-venv iproute2
  redis-server redis-tools python3-redis
  pkg-config openssl   # chat's TLS: libssl-dev (above) found through pkg-config; its tests drive openssl s_client
  socat   # chat's TLS tests: socat - OPENSSL:... as another client nobody here wrote
  nginx-light libnginx-mod-stream   # chat-bench's TLS test: nginx's TLS stream listener, the handshake anchor
  ncat    # chat's TLS tests: nmap's ncat --ssl, with --ssl-verify against the test CA
  gawk dpkg-dev   # strace's test suite (strace-lite/suite/build.sh)
)

missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    log "missing Debian packages: ${missing[*]}"
    log "run 'make deps' as root (or: sudo apt-get install ${missing[*]})"
    exit 1
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || log "apt-get update reported problems; trying the install anyway"
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The kernel's toolchain (skipped with KDIR=): bindgen >= 0.71.1 (Debian bookworm ships
# 0.60) from crates.io; rustc and rust-src of one version (the kernel compiles `core` from
# source), its clippy, libclang >= 17.
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }
if [ -z "${KDIR:-}" ]; then
  bg_ver=$( (bindgen --version 2>/dev/null || true) | awk '{print $2}')
  if [ -z "$bg_ver" ] || ! version_ge "$bg_ver" 0.71.1; then
    log "installing bindgen-cli from crates.io (about 2 minutes)"
    cargo install --locked bindgen-cli --version '^0.73' --root "$TOOLS_DIR"
  fi
  [ -x "$KRUSTC" ] || { log "$KRUSTC is missing (package rustc-web)"; exit 1; }
  [ -x /usr/bin/clippy-driver ] || { log "/usr/bin/clippy-driver is missing (package rust-web-clippy)"; exit 1; }
  [ -d "$LIBCLANG_PATH" ] || { log "$LIBCLANG_PATH is missing (package libclang1-22)"; exit 1; }
fi

# HTTPolice (PyPI; needs bitstring<4) checks httpd's responses: in a venv in the cache, so
# the system's Python stays as it is.
if [ ! -x "$TOOLS_DIR/bin/httpolice" ]; then
  log "installing httpolice from PyPI into $TOOLS_DIR/venv"
  python3 -m venv "$TOOLS_DIR/venv"
  "$TOOLS_DIR/venv/bin/pip" install -q httpolice 'bitstring<4'
  mkdir -p "$TOOLS_DIR/bin"
  ln -sf ../venv/bin/httpolice "$TOOLS_DIR/bin/httpolice"
fi

# Userland binaries go into the VM statically linked; the test build needs clippy and rustfmt.
for c in clippy:clippy fmt:rustfmt; do
  if ! cargo "${c%%:*}" --version >/dev/null 2>&1; then
    log "installing rustup component ${c#*:}"
    rustup component add "${c#*:}"
  fi
done
# cargo-fuzz (libFuzzer) for `make fuzz`, from crates.io into the tools directory.
if ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz from crates.io (about 2 minutes)"
  cargo install --locked cargo-fuzz --version '^0.13' --root "$TOOLS_DIR"
fi
log "all dependencies present"
