#!/usr/bin/env bash
# Builds the test VM's kernel: Debian's linux-source-7.3 configured from tinyconfig plus
# kmod/kernel.config, with Rust enabled.
#
# The build lives outside the work tree, in $CACHE_DIR/kernel/<key>, where the key hashes
# everything that changes the build: the kernel package and the version of it that was
# fetched, the config fragment, this script and env.sh, and the versions of rustc, bindgen,
# libclang and gcc. A change to any of them builds a new kernel; a warm cache costs nothing.
# Every option the fragment sets must survive configuration, or the build fails.
#
#   scripts/kernel.sh           build if needed, then print the kernel build directory
#   scripts/kernel.sh --kdir    print the directory the current key maps to (no build)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/env.sh"

fragment="$root/kmod/kernel.config"
log() { printf '[kernel] %s\n' "$*" >&2; }

src_root="$CACHE_DIR/src/$KERNEL_PKG"

# What the build depends on, one line each (hashed into the cache key).
build_inputs() {
  cat "$fragment" "$here/kernel.sh" "$here/env.sh"
  echo "$KERNEL_PKG $(cat "$src_root/.version" 2>/dev/null || echo not-fetched)"
  "$KRUSTC" --version 2>/dev/null || echo no-rustc
  bindgen --version --verbose 2>/dev/null || echo no-bindgen   # bindgen and its libclang
  gcc --version 2>/dev/null | head -n1 || echo no-gcc
}
key=$(build_inputs | sha256sum | cut -c1-12)
out="$CACHE_DIR/kernel/$key"

if [ "${1:-}" = "--kdir" ]; then echo "$out"; exit 0; fi

if [ -f "$out/.built" ] && [ -f "$out/arch/x86/boot/bzImage" ]; then
  echo "$out"; exit 0
fi

mkdir -p "$CACHE_DIR/kernel"
# One build at a time per cache: a second caller waits for the first.
exec 9>"$CACHE_DIR/kernel/.lock"
flock 9
if [ -f "$out/.built" ]; then echo "$out"; exit 0; fi

# --- Source: Debian's linux-source package from the suite that has it. ---------------------
src=$(ls -d "$src_root"/linux-source-*/ 2>/dev/null | head -n1 || true)
if [ -z "$src" ] || [ ! -f "$src/.unpacked" ] || [ ! -f "$src_root/.version" ]; then
  log "fetching $KERNEL_PKG from Debian $KERNEL_SUITE"
  rm -rf "$src_root"; mkdir -p "$src_root"
  apt_dir="$src_root/apt"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  # The same Debian mirror this machine already uses, with a private apt state so the
  # system's own sources and lists stay as they are.
  mirror=$(apt-cache policy 2>/dev/null | awk '$3 ~ /^[a-z]+\/main$/ && $2 ~ /^https?:.*\/debian\/?$/ {print $2; exit}')
  mirror=${mirror:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)}
  [ -n "$mirror" ] || { log "cannot find this machine's Debian mirror in its apt sources"; exit 1; }
  echo "deb $mirror $KERNEL_SUITE main" > "$apt_dir/sources.list"
  o=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o APT::Sandbox::User=root)
  apt-get "${o[@]}" -qq update
  (cd "$src_root" && apt-get "${o[@]}" -qq download "$KERNEL_PKG")
  dpkg-deb -f "$src_root"/"$KERNEL_PKG"_*.deb Version > "$src_root/.version.new"
  dpkg -x "$src_root"/"$KERNEL_PKG"_*.deb "$src_root/deb"
  tar -C "$src_root" -xf "$src_root"/deb/usr/src/linux-source-*.tar.xz
  rm -rf "$src_root/deb" "$apt_dir" "$src_root"/*.deb
  src=$(ls -d "$src_root"/linux-source-*/ | head -n1)
  mv "$src_root/.version.new" "$src_root/.version"
  touch "$src/.unpacked"
  # The package's version is part of the key: recompute it now that it is known.
  key=$(build_inputs | sha256sum | cut -c1-12)
  out="$CACHE_DIR/kernel/$key"
  if [ -f "$out/.built" ]; then echo "$out"; exit 0; fi
fi
src=${src%/}
log "source: $src ($KERNEL_PKG $(cat "$src_root/.version"), kernel $(make -s -C "$src" kernelversion 2>/dev/null))"

# --- Configure. -----------------------------------------------------------------------------
kmake=(make -C "$src" O="$out" RUSTC="$KRUSTC" HOSTRUSTC="$KRUSTC" BINDGEN=bindgen)
rm -rf "$out"; mkdir -p "$out"
log "configuring: tinyconfig + kmod/kernel.config"
"${kmake[@]}" -s tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$fragment" >/dev/null
"${kmake[@]}" -s olddefconfig >/dev/null

if ! grep -qx 'CONFIG_RUST=y' "$out/.config"; then
  log "CONFIG_RUST=y did not survive configuration: the Rust toolchain check failed:"
  "${kmake[@]}" rustavailable >&2 || true
  exit 1
fi
dropped=$(grep -E '^CONFIG_[A-Z0-9_]+=y' "$fragment" | while read -r l; do
  grep -qx "$l" "$out/.config" || echo "${l%=y}"; done)
if [ -n "$dropped" ]; then
  log "kmod/kernel.config asks for options that configuration dropped (dependencies unmet): $(echo $dropped)"
  log "the tests rely on every one of them; fix the fragment (see $out/.config)"
  exit 1
fi

# --- Build, with a progress line a minute. --------------------------------------------------
jobs=$(( $(nproc) + 1 ))
log "building (make -j$jobs); about 15 minutes on 2 cores; full log: $out/build.log"
start=$(date +%s)
( while sleep 60; do
    log "still building: $(( ($(date +%s) - start) / 60 )) min, $(grep -c '^  [A-Z]' "$out/build.log" 2>/dev/null || echo 0) steps, last: $(tail -n1 "$out/build.log" 2>/dev/null | cut -c1-60)"
  done ) &
ticker=$!
trap 'kill $ticker 2>/dev/null || true' EXIT
if ! "${kmake[@]}" -j"$jobs" > "$out/build.log" 2>&1; then
  log "kernel build failed; last lines of $out/build.log:"
  tail -n 40 "$out/build.log" >&2
  exit 1
fi
kill $ticker 2>/dev/null || true
touch "$out/.built"
log "built in $(( $(date +%s) - start )) s: $out/arch/x86/boot/bzImage"
echo "$out"
