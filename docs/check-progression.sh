#!/usr/bin/env bash
# Keeps docs/progression.md true: every command in it is run, every link points at a file
# that exists and every line anchor at the function it names.
#
#   docs/check-progression.sh            check the links, check the VM blocks, run the host blocks
#   docs/check-progression.sh --links    only the links (no binaries needed)
#   docs/check-progression.sh --fix-anchors
#                                        rewrite each anchor whose line moved to the one line of
#                                        its file that now holds the named item (refuses when it
#                                        is missing or not unique), then check the links
#   docs/check-progression.sh --only N   run only the host block whose fence is on line N
#   VERBOSE=1 docs/check-progression.sh  also print what each passing block printed
#
# The document's conventions, which this script enforces:
#
# - A fenced block marked ```sh is run on the host, ```sh vm needs the kernel module and is
#   only checked here (`sh -n` on it and on its CMD='...', /toolkit/bin/NAME only for the
#   binaries scripts/vm.sh puts in the VM image, no target/release/ path); ```text is output,
#   never run. Any other fence (```bash, ```console, ...) is an error, so a command cannot
#   slip out of the check by a typo.
# - A host block is a bash script run with `set -euo pipefail`, from a scratch directory that
#   looks like the clone's root (its top-level entries linked, target/release/ linked to the
#   binaries), with TMPDIR inside the scratch directory, in a session of its own, under a
#   time limit (BLOCK_TIMEOUT, 60 s). When it ends, whatever it left running in its session
#   is killed. A block starts its servers on port 0, waits for their "listening" line, talks
#   to them and stops them itself: no fixed sleeps, no fixed ports.
# - A link with a line anchor is written [PATH: ITEM](../PATH#LN) and ITEM (e.g. `fn run`)
#   must be on line N, N+1, N+2 or N+3 of PATH.
# - Every "## Step" section has at least one runnable block and an exercise.
#
# BIN_DIR: the directory holding the release binaries (default: $CARGO_TARGET_DIR/release
# when CARGO_TARGET_DIR is set, else target/release of the clone). The Makefile passes the
# static build's directory, target/x86_64-unknown-linux-gnu/release.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
doc="$root/docs/progression.md"
BLOCK_TIMEOUT=${BLOCK_TIMEOUT:-60}
mode=all only=
case "${1:-}" in
  --links) mode=links ;;
  --fix-anchors) mode=fix ;;
  --only) mode=all; only=${2:?--only needs a line number} ;;
  "") ;;
  *) echo "usage: $0 [--links | --fix-anchors | --only LINE]" >&2; exit 2 ;;
esac
if [ -z "${BIN_DIR:-}" ]; then
  if [ -n "${CARGO_TARGET_DIR:-}" ]; then BIN_DIR=$CARGO_TARGET_DIR/release; else BIN_DIR=$root/target/release; fi
fi
case "$BIN_DIR" in /*) ;; *) BIN_DIR=$root/$BIN_DIR ;; esac
failures=0
fail() { echo "docs/progression.md:$1: $2"; failures=$((failures + 1)); }
[ -f "$doc" ] || { echo "no $doc"; exit 1; }

# --- Links ---------------------------------------------------------------------------------
# Every relative link: the file exists (relative to docs/). With #LN: the text is "PATH: ITEM"
# and ITEM is on lines N..N+3.
links() {  # prints LINE<TAB>TEXT<TAB>TARGET for every inline link
  awk '/^ *```/ { fence = !fence; next } !fence {
         s = $0
         while (match(s, /\[[^]]*\]\([^) ]+\)/)) {
           l = substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH)
           split(l, p, /\]\(/); text = substr(p[1], 2); target = substr(p[2], 1, length(p[2]) - 1)
           printf "%d\t%s\t%s\n", NR, text, target
         }
       }' "$doc"
}
check_links() {
  local n=0 line text target path anchor item ln
  while IFS=$'\t' read -r line text target; do
    case "$target" in http://*|https://*|mailto:*|\#*) continue ;; esac
    n=$((n + 1))
    path=${target%%#*}; anchor=
    [ "$path" != "$target" ] && anchor=${target#*#}
    [ -e "$root/docs/$path" ] || { fail "$line" "link to $path: no such file"; continue; }
    [ -n "$anchor" ] || continue
    [[ "$anchor" =~ ^L([0-9]+)$ ]] || { fail "$line" "link $target: the anchor must be #LN"; continue; }
    ln=${BASH_REMATCH[1]}
    item=${text#*: }
    [ "$item" != "$text" ] && [ -n "$item" ] || { fail "$line" "link $target: its text must be 'PATH: ITEM'"; continue; }
    item=${item#\`}; item=${item%\`}
    [ "${text%%: *}" = "$(realpath -m --relative-to="$root" "$root/docs/$path")" ] \
      || fail "$line" "link text '${text%%: *}' does not name the file it points to ($path)"
    if ! sed -n "${ln},$((ln + 3))p" "$root/docs/$path" | grep -qF -- "$item"; then
      fail "$line" "$path#L$ln: '$item' is not on lines $ln-$((ln + 3)) (moved? docs/check-progression.sh --fix-anchors)"
    fi
  done < <(links)
  [ "$n" -gt 0 ] || fail 1 "no relative links found: the link check checked nothing"
  echo "check-progression: $n links checked"
}
fix_anchors() {
  local line text target path ln item hits
  local edits=()
  while IFS=$'\t' read -r line text target; do
    [[ "$target" =~ ^([^#]+)#L([0-9]+)$ ]] || continue
    path=${BASH_REMATCH[1]} ln=${BASH_REMATCH[2]}
    item=${text#*: }; item=${item#\`}; item=${item%\`}
    [ -f "$root/docs/$path" ] || continue
    sed -n "${ln},$((ln + 3))p" "$root/docs/$path" | grep -qF -- "$item" && continue
    hits=$(grep -nF -- "$item" "$root/docs/$path" | cut -d: -f1)
    if [ "$(printf '%s\n' "$hits" | grep -c .)" = 1 ]; then
      edits+=("$line" "$target" "$path#L$hits")
      echo "docs/progression.md:$line: $target -> #L$hits"
    else
      fail "$line" "$path: '$item' is on $(printf '%s\n' "$hits" | grep -c .) lines, fix it by hand"
    fi
  done < <(links)
  local i
  for ((i = 0; i < ${#edits[@]}; i += 3)); do
    sed -i "${edits[i]}s|(${edits[i+1]})|(${edits[i+2]})|" "$doc"
  done
}

# --- Blocks --------------------------------------------------------------------------------
blocks_dir=$(mktemp -d)
trap 'rm -rf "$blocks_dir"' EXIT
# Splits the document's fenced blocks into $blocks_dir/LINE.KIND (LINE: the fence's line).
split_blocks() {
  awk -v dir="$blocks_dir" '
    /^ *```/ {
      if (!open) {
        match($0, /^ */); indent = RLENGTH
        info = substr($0, indent + 4); open = 1; start = NR
        if (info == "sh") kind = "host"; else if (info == "sh vm") kind = "vm";
        else if (info == "text") kind = "text";
        else { printf "%d\tfence \"%s\": use sh, sh vm or text\n", NR, $0; kind = "text" }
        file = dir "/" start "." kind; printf "" > file
      } else { open = 0; close(file) }
      next
    }
    # Indented like its fence (in a list item): the indentation is not part of the block.
    open { line = $0; if (substr(line, 1, indent) ~ /^ *$/) line = substr(line, indent + 1); print line > file }
    END { if (open) printf "%d\tblock never closed\n", start }
  ' "$doc"
}
vm_binaries() {  # the binaries scripts/vm.sh copies into the image's /toolkit/bin
  sed -n 's/^[[:space:]]*for b in \(.*\); do$/\1/p' "$root/scripts/vm.sh" | grep -w strace-lite | head -n 1
}
check_vm_block() {  # check_vm_block LINE FILE
  local line=$1 file=$2 name cmd images
  sh -n "$file" 2>"$blocks_dir/err" || { fail "$line" "sh vm block does not parse: $(cat "$blocks_dir/err")"; return; }
  grep -q "make vm-run CMD='" "$file" || fail "$line" "sh vm block without make vm-run CMD='...'"
  grep -q 'target/release/' "$file" && fail "$line" "sh vm block names target/release/: in the VM the binaries are /toolkit/bin/NAME"
  # The guest command (CMD='...'), parsed on its own too.
  cmd=$(sed -n "s/.*CMD='\(.*\)'.*/\1/p" "$file" | head -n 1)
  printf '%s\n' "$cmd" | sh -n 2>"$blocks_dir/err" || fail "$line" "CMD='...' does not parse: $(cat "$blocks_dir/err")"
  images=$(vm_binaries)
  [ -n "$images" ] || { fail "$line" "cannot find the image's binary list in scripts/vm.sh"; return; }
  for name in $(grep -o '/toolkit/bin/[A-Za-z0-9_.-]*' "$file" | sed 's|/toolkit/bin/||' | sort -u); do
    printf '%s\n' $images | grep -qx "$name" || fail "$line" "/toolkit/bin/$name is not in the VM image (scripts/vm.sh: $images)"
  done
  for name in $(grep -o '/toolkit/[A-Za-z0-9_.-]*\.ko' "$file" | sort -u); do
    [ "$name" = /toolkit/mydevice.ko ] || fail "$line" "$name: the image holds /toolkit/mydevice.ko only"
  done
}
# A scratch directory that looks like the clone's root: its entries linked, the binaries at
# target/release.
make_scratch() {
  local dir=$1 e
  mkdir -p "$dir/target" "$dir/tmp"
  for e in "$root"/* "$root"/.[!.]*; do
    [ -e "$e" ] || continue
    case "${e##*/}" in target|.git) continue ;; esac
    ln -s "$e" "$dir/${e##*/}"
  done
  ln -s "$BIN_DIR" "$dir/target/release"
}
run_host_block() {  # run_host_block LINE FILE
  local line=$1 file=$2 scratch pid rc start
  scratch=$(mktemp -d "$blocks_dir/run.XXXXXX")
  make_scratch "$scratch"
  { echo 'set -euo pipefail'; cat "$file"; } > "$scratch/tmp/block.sh"
  start=$SECONDS
  # setsid: the block and all it starts share one session and process group, killed at the
  # end; timeout (in that group) ends a block that hangs.
  (cd "$scratch" && TMPDIR="$scratch/tmp" exec setsid timeout -k 5 "$BLOCK_TIMEOUT" bash "$scratch/tmp/block.sh") \
    > "$scratch/tmp/output" 2>&1 < /dev/null &
  pid=$!
  wait "$pid"; rc=$?
  # Anything the block left running (a server it did not stop) goes with its session.
  # setsid made the block's pid its session id.
  for p in $(ps -eo pid=,sid= | awk -v s="$pid" '$2 == s { print $1 }'); do kill -KILL "$p" 2>/dev/null; done
  if [ "$rc" = 0 ]; then
    echo "check-progression: ok - block at line $line ($((SECONDS - start)) s)"
    [ -z "${VERBOSE:-}" ] || sed 's/^/    /' "$scratch/tmp/output"
  else
    [ "$rc" = 124 ] && rc="timed out after $BLOCK_TIMEOUT s"
    fail "$line" "host block failed ($rc); its output:"
    sed 's/^/    /' "$scratch/tmp/output" | tail -n 40
  fi
  [ -n "${KEEP_SCRATCH:-}" ] || rm -rf "$scratch"
}
check_steps() {  # every "## Step" section has a runnable block and an exercise
  awk '
    /^ *```/ { f = $0; sub(/^ */, "", f); if (!infence && (f == "```sh" || f == "```sh vm")) blocks++; infence = !infence; next }
    infence { next }
    /^## / { if (step) report(); step = ($0 ~ /^## Step/); title = $0; at = NR; blocks = 0; exercise = 0; next }
    /^\*\*Exercise/ || /^### Exercise/ { exercise = 1 }
    function report() {
      if (!blocks) printf "%d\t%s: no sh or sh vm block\n", at, title
      if (!exercise) printf "%d\t%s: no exercise\n", at, title
    }
    END { if (step) report() }
  ' "$doc"
}

if [ "$mode" = fix ]; then
  fix_anchors
  check_links
  [ "$failures" = 0 ]; exit
fi
check_links
[ "$mode" = links ] && { [ "$failures" = 0 ]; exit; }

while IFS=$'\t' read -r line msg; do fail "$line" "$msg"; done < <(check_steps; split_blocks)
steps=$(grep -c '^## Step' "$doc")
[ "$steps" -ge 7 ] || fail 1 "$steps '## Step' sections, expected 7"
host=0 vm=0
for b in $(ls "$blocks_dir" | sort -n); do
  line=${b%%.*}; kind=${b#*.}; f=$blocks_dir/$b
  case "$kind" in
    vm) vm=$((vm + 1)); check_vm_block "$line" "$f" ;;
    host)
      host=$((host + 1))
      if [ -z "$only" ] || [ "$only" = "$line" ]; then
        missing=
        for name in $(grep -o 'target/release/[A-Za-z0-9_-]*' "$f" | sed 's|target/release/||' | sort -u); do
          [ -x "$BIN_DIR/$name" ] || { fail "$line" "$BIN_DIR/$name does not exist (cargo build --release, or set BIN_DIR)"; missing=1; }
        done
        [ -n "$missing" ] || run_host_block "$line" "$f"
      fi ;;
  esac
done
[ "$host" -gt 0 ] || fail 1 "no sh blocks: nothing was run"
echo "check-progression: $host host blocks, $vm VM blocks (checked, to be run with make vm-run), $failures failures"
[ "$failures" = 0 ]
