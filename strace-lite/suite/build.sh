#!/usr/bin/env bash
# Builds what strace 6.1's own test suite needs to run the tests named in one or more list
# files (strace-lite/suite/*.list): Debian 12's source package of strace (6.1-0.1, the
# version of /usr/bin/strace there), configured once, and only the test programs (and
# libtests.a) those tests run. strace itself is not built: the tests run a tracer given to
# them in $STRACE (suite/run.sh).
#
# The build lives outside the work tree, in $CACHE_DIR/strace-suite/<version-key>, where the
# key hashes the package version, the configure arguments and the compiler's version; a
# second run only asks make whether the programs are up to date (about a second).
#
#   strace-lite/suite/build.sh LIST...      build what LIST's tests need; print the build dir
#   strace-lite/suite/build.sh --dir        print the build dir the current key maps to
#
# The source is fetched as a fresh Debian 12 machine can: apt-get source from bookworm's
# deb-src, with a private apt state (the system's sources stay as they are), and, failing
# that, the same three files from the archive's pool; either way the files' SHA-256 must be
# the ones pinned below (apt checks them too, against the signed Sources index).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
. "$root/scripts/env.sh"

PKG_VERSION=6.1-0.1
UPSTREAM=6.1
SUITE=bookworm
# strace_6.1-0.1.dsc, strace_6.1.orig.tar.xz, strace_6.1-0.1.debian.tar.xz
declare -A SHA256=(
  [strace_6.1-0.1.dsc]=87e4b573b73bbb4efc4b89ab4a051bca77384058b649913dbae7d0cdf53f103d
  [strace_6.1.orig.tar.xz]=2579e9cec37dbb786f6ea0bebd15f40dd561ef2bde2a2a2ecdce5963b01859fd
  [strace_6.1-0.1.debian.tar.xz]=74104eab6dbc912d5e9a61043400aaeb3f33dea3071051a7c2c7177a23b68961
)
# No m32/mx32 personalities (no multilib), no stack-trace or SELinux libraries: none of them
# changes a test program, only strace itself, which is not built.
CONFIGURE_ARGS=(--disable-mpers --without-libunwind --without-libdw --without-libselinux
                --disable-dependency-tracking)

log() { printf '[strace-suite] %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

base="$CACHE_DIR/strace-suite"
key_inputs() {
  echo "strace $PKG_VERSION ${SHA256[*]}"
  echo "${CONFIGURE_ARGS[*]}"
  gcc --version 2>/dev/null | head -n1 || echo no-gcc
}
key="$PKG_VERSION-$(key_inputs | sha256sum | cut -c1-10)"
out="$base/$key"

if [ "${1:-}" = "--dir" ]; then echo "$out"; exit 0; fi
[ $# -gt 0 ] || die "usage: $0 LIST... | --dir"
lists=()
for l in "$@"; do
  [ -f "$l" ] || die "no such list: $l"
  lists+=("$(cd "$(dirname "$l")" && pwd)/$(basename "$l")")
done

# --- Debian packages: the compiler and make, gawk (tests check traces with gawk scripts),
# dpkg-dev (dpkg-source unpacks the package), xz. As scripts/deps.sh does: only what is
# missing, and only as root.
pkgs=(gcc make gawk dpkg-dev xz-utils diffutils coreutils sed grep curl ca-certificates)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    die "missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})"
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || log "apt-get update reported problems; trying the install anyway"
  apt_log=$(mktemp)
  apt-get install -y -qq --no-install-recommends "${missing[@]}" > "$apt_log" 2>&1 ||
    { cat "$apt_log" >&2; die "apt-get install failed"; }
  rm -f "$apt_log"
fi

mkdir -p "$base"
# One build at a time per cache: a second caller waits for the first.
exec 9>"$base/.lock"
flock 9

# --- Source: Debian's strace 6.1-0.1, checked, unpacked with Debian's patches. -------------
src="$base/src/strace-$PKG_VERSION"
check_files() {  # check_files DIR: every pinned file there, with its pinned SHA-256
  local f
  for f in "${!SHA256[@]}"; do
    [ -f "$1/$f" ] || { log "missing $f"; return 1; }
    echo "${SHA256[$f]}  $1/$f" | sha256sum --quiet -c - || { log "checksum mismatch: $f"; return 1; }
  done
}
mirror_url() {  # this machine's Debian mirror, from its apt sources
  local m
  m=$(apt-cache policy 2>/dev/null | awk '$3 ~ /^[a-z-]+\/main$/ && $2 ~ /^https?:.*\/debian\/?$/ {print $2; exit}')
  m=${m:-$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)}
  echo "${m:-http://deb.debian.org/debian}"
}
if [ ! -f "$src/.unpacked" ]; then
  dl="$base/src/download"
  rm -rf "$src" "$dl"; mkdir -p "$dl"
  mirror=$(mirror_url)
  log "fetching Debian's source package strace $PKG_VERSION ($SUITE) from $mirror"
  apt_dir="$dl/apt"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  echo "deb-src $mirror $SUITE main" > "$apt_dir/sources.list"
  o=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
     -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o APT::Sandbox::User=root)
  if apt-get "${o[@]}" -qq update >&2 &&
     (cd "$dl" && apt-get "${o[@]}" -qq source --download-only "strace=$PKG_VERSION" >&2) &&
     check_files "$dl"; then
    :
  else
    log "apt-get source did not give the pinned files; fetching them from the pool"
    for f in "${!SHA256[@]}"; do
      curl -fsS --retry 3 -o "$dl/$f" "$mirror/pool/main/s/strace/$f" || die "cannot download $mirror/pool/main/s/strace/$f"
    done
    check_files "$dl" || die "the downloaded files are not the pinned strace $PKG_VERSION"
  fi
  # dpkg-source applies debian/patches (as Debian's build did); the .dsc's signature is
  # not checked here (no keyring needed): its hash is pinned above.
  (cd "$dl" && dpkg-source --no-check -x "strace_$PKG_VERSION.dsc" "$src" > "$dl/unpack.log" 2>&1) ||
    { cat "$dl/unpack.log" >&2; die "dpkg-source could not unpack strace_$PKG_VERSION.dsc"; }
  log "unpacked with Debian's patches: $(sed -n 's/.*info: applying //p' "$dl/unpack.log" | tr '\n' ' ')"
  rm -rf "$dl"
  touch "$src/.unpacked"
fi

# --- Configure (once per key), in a copy of the source. ---------------------------------------
if [ ! -f "$out/.configured" ]; then
  log "configuring strace $PKG_VERSION in $out (about 30 s)"
  rm -rf "$out"; mkdir -p "$out"
  cp -a "$src/." "$out/"
  (cd "$out" && nice ./configure -q "${CONFIGURE_ARGS[@]}" > "$out/configure.log" 2>&1) || {
    tail -n 30 "$out/configure.log" >&2; die "configure failed (log: $out/configure.log)"; }
  (cd "$out/tests" && nice make -s scno.h ksysent.h >&2) || die "generating tests/scno.h and ksysent.h failed"
  touch "$out/.configured"
fi
t="$out/tests"

# --- Which programs the listed tests run. -----------------------------------------------------
# Every program of the suite, as its Makefile names them.
all_progs=$(printf 'print-check-programs:\n\t@echo $(check_PROGRAMS)\n' |
  make -s -C "$t" -f Makefile -f - print-check-programs | tr ' ' '\n' | sort -u)
test_script() {  # the file a test name stands for
  if [ -f "$t/$1.gen.test" ]; then echo "$t/$1.gen.test"
  elif [ -f "$t/$1.test" ]; then echo "$t/$1.test"
  fi
}
# A test's text: its script and the scripts it sources from the suite (two levels).
test_text() {
  local name=$1 f inc
  f=$(test_script "$name")
  { cat "$f"
    for inc in $(grep -oE '\$\{?srcdir(=\.)?\}?/[A-Za-z0-9_.+-]+\.(test|sh)' "$f" | sed 's|.*/||' | sort -u); do
      # init.sh defines the helpers every test uses (test_trace_expr among them): not a test's text
      if [ ! -f "$t/$inc" ] || [ "$inc" = init.sh ]; then continue; fi
      cat "$t/$inc"
      for inc2 in $(grep -oE '\$\{?srcdir(=\.)?\}?/[A-Za-z0-9_.+-]+\.(test|sh)' "$t/$inc" | sed 's|.*/||' | sort -u); do
        if [ -f "$t/$inc2" ] && [ "$inc2" != init.sh ]; then cat "$t/$inc2"; fi
      done
    done
  } | sed -e "s/\\\${NAME}/$name/g" -e "s/\\\$NAME/$name/g"
}
wanted=$(mktemp); trap 'rm -f "$wanted"' EXIT
missing_tests=()
for list in "${lists[@]}"; do
  while read -r name _; do
    case "$name" in ''|'#'*) continue ;; esac
    [ -n "$(test_script "$name")" ] || { missing_tests+=("$name"); continue; }
    text=$(test_text "$name")
    { echo "$name"
      grep -oE '\.\./[A-Za-z0-9_+.-]+' <<<"$text" | sed 's|^\.\./||' || true
      # test_trace_expr runs the test's .in set and every other pure executable
      if grep -q 'test_trace_expr' <<<"$text"; then cat "$t/pure_executables.list"; fi
      if grep -q 'test_prog_set\|test_trace_expr' <<<"$text" && [ -f "$t/$name.in" ]; then
        sed 's/[[:space:]].*//' "$t/$name.in"
      fi
    } | sed 's/[[:space:]].*//' >> "$wanted"
  done < "$list"
done
[ ${#missing_tests[@]} = 0 ] || die "not tests of strace $PKG_VERSION: ${missing_tests[*]}"
progs=$(sort -u "$wanted" | grep -vx '' | comm -12 - <(echo "$all_progs"))

# --- Build them. ---------------------------------------------------------------------------------
n=$(echo "$progs" | grep -c . || true)
stale=$(cd "$t" && make -q libtests.a $progs >/dev/null 2>&1 && echo no || echo yes)
if [ "$stale" = yes ]; then
  log "building libtests.a and $n test programs (make -j$(nproc); log: $out/build.log)"
  start=$(date +%s)
  # make -k: a program that does not build is reported below and its tests fail in run.sh
  # with "not found"; the rest are still built.
  if ! (cd "$t" && nice make -k -j"$(nproc)" libtests.a $progs > "$out/build.log" 2>&1); then
    failed=$(cd "$t" && for p in $progs; do [ -x "$p" ] || echo "$p"; done | tr '\n' ' ')
    log "programs that did not build: ${failed:-none} (see $out/build.log)"
    [ -f "$t/libtests.a" ] || { tail -n 30 "$out/build.log" >&2; die "libtests.a did not build"; }
  fi
  log "built in $(( $(date +%s) - start )) s"
fi
echo "$out"
