#!/usr/bin/env bash
# Keeps docs/progression.md true: every command in it is run, every link points at a file
# that exists and every line anchor at the function it names.
#
#   docs/check-progression.sh            check the links and images, check the VM blocks and
#                                        their guest test, run the host blocks
#   docs/check-progression.sh --links    only the links, the images and the VM blocks' guest
#                                        test (no binaries needed: make check runs this)
#   docs/check-progression.sh --write-vm-test
#                                        write the VM blocks' guest test (tests/vm/$VM_TEST),
#                                        which make vm-test runs, then check it
#   docs/check-progression.sh --fix-anchors
#                                        rewrite each anchor whose line moved to the one line of
#                                        its file that now holds the named item (refuses when it
#                                        is missing or not unique), then check the links
#   docs/check-progression.sh --only N   run only the host block whose fence is on line N
#   VERBOSE=1 docs/check-progression.sh  also print what each passing block printed
#
# The document's conventions, which this script enforces:
#
# - A fenced block marked ```sh is run on the host, ```sh vm needs the kernel module: it is
#   checked here (`sh -n` on it and on its CMD='...', /toolkit/bin/NAME only for the
#   binaries scripts/vm.sh puts in the VM image, no target/release/ path) and run in the VM
#   by the guest test tests/vm/37-progression-vm-blocks.sh, generated from the page
#   (--write-vm-test): each CMD as `make vm-run CMD='...'` runs it, in a fresh shell in
#   /toolkit with the module unloaded. This check fails when that file is not what the page
#   generates, and dry-runs it on the host (every block reached, each CMD intact). ```text
#   is output, never run. Any other fence (```bash, ```console, ...) is an error, so a
#   command cannot slip out of the check by a typo.
# - A host block is a bash script run with `set -euo pipefail`, from a scratch directory that
#   looks like the clone's root (its top-level entries linked, target/release/ linked to the
#   binaries), with TMPDIR inside the scratch directory, in a session of its own, under a
#   time limit (BLOCK_TIMEOUT, 60 s). When it ends, whatever it left running in its session
#   is killed. A block starts its servers on port 0, waits for their "listening" line, talks
#   to them and stops them itself: no fixed sleeps, no fixed ports.
# - A link with a line anchor is written [PATH: ITEM](../PATH#LN) and ITEM (e.g. `fn run`)
#   must be on line N, N+1, N+2 or N+3 of PATH.
# - Every "## Step" section has at least one runnable block and an exercise.
# - Every image (![ALT](PATH)) exists, and an SVG one is a whole SVG document.
#
# Runs from any clone path: it was run from a clone 223 characters deep, with BIN_DIR and
# TMPDIR inside it (the scratch directories then over 300), every block passing.
#
# BIN_DIR: the directory holding the release binaries (default: $CARGO_TARGET_DIR/release
# when CARGO_TARGET_DIR is set, else target/release of the clone). The Makefile passes the
# static build's directory, target/x86_64-unknown-linux-gnu/release.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
doc="$root/docs/progression.md"
BLOCK_TIMEOUT=${BLOCK_TIMEOUT:-60}
# The guest test generated from the page's VM blocks (tests/vm/ is the VM suite).
VM_TEST=37-progression-vm-blocks.sh
vm_test=$root/tests/vm/$VM_TEST
mode=all only=
case "${1:-}" in
  --links) mode=links ;;
  --fix-anchors) mode=fix ;;
  --only) mode=all; only=${2:?--only needs a line number} ;;
  --write-vm-test) mode=write-vm-test ;;
  "") ;;
  *) echo "usage: $0 [--links | --fix-anchors | --only LINE | --write-vm-test]" >&2; exit 2 ;;
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
images() {  # prints LINE<TAB>TARGET for every inline image
  awk '/^ *```/ { fence = !fence; next } !fence {
         s = $0
         while (match(s, /!\[[^]]*\]\([^) ]+\)/)) {
           l = substr(s, RSTART, RLENGTH); s = substr(s, RSTART + RLENGTH)
           sub(/^!\[[^]]*\]\(/, "", l); printf "%d\t%s\n", NR, substr(l, 1, length(l) - 1)
         }
       }' "$doc"
}
check_images() {
  local n=0 line target file
  while IFS=$'\t' read -r line target; do
    n=$((n + 1))
    case "$target" in http://*|https://*) fail "$line" "image $target: images live in the repository"; continue ;; esac
    file=$root/docs/${target%%#*}
    [ -s "$file" ] || { fail "$line" "image $target: no such file (or empty)"; continue; }
    case "$file" in
      *.svg) grep -q '<svg' "$file" && tail -c 200 "$file" | grep -q '</svg>' \
               || fail "$line" "image $target: not a whole SVG document" ;;
    esac
  done < <(images)
  echo "check-progression: $n images checked"
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
# The guest commands of the VM blocks, in page order: HEADING<TAB>CMD for each make vm-run
# CMD='...' (after split_blocks), HEADING the title of the section holding it. The CMD is
# what `make vm-run` hands the guest (the Makefile passes it through $(value CMD),
# unexpanded). Numbered in order, not by line, so an edit above them changes nothing.
vm_commands() {
  local f line heading
  for f in $(ls "$blocks_dir" | grep '\.vm$' | sort -n); do
    line=${f%%.*}
    heading=$(head -n "$line" "$doc" | grep '^##' | tail -n 1)
    sed -n "s/.*make vm-run CMD='\(.*\)'.*/\1/p" "$blocks_dir/$f" | while IFS= read -r cmd; do
      printf '%s\t%s\n' "$heading" "$cmd"
    done
  done
}
# The guest test that runs them (tests/vm/$VM_TEST), on stdout.
vm_test_script() {
  cat <<'HEAD'
# docs/progression.md's `sh vm` blocks, run in the VM by make vm-test as the page's `sh`
# blocks are run on the host by make docs-check, so its VM commands cannot rot either. Each
# block's CMD runs as `make vm-run CMD='...'` runs it after a fresh boot: in a new shell, in
# /toolkit, the module not loaded; it passes by exiting 0.
#
# Generated from the page by docs/check-progression.sh --write-vm-test: do not edit here.
# docs/check-progression.sh fails while this file is not what the page generates.
# timeout: 600

# progression_block N: runs the guest command on stdin, the page's Nth VM command.
# PROGRESSION_DRY_RUN=1 prints it instead (the host's check runs this file so).
progression_block() {
  b=${TMPDIR:-/tmp}/progression-block-$1
  cat > $b.sh
  if [ -n "${PROGRESSION_DRY_RUN:-}" ]; then
    printf 'would run VM command %s: %s\n' "$1" "$(cat $b.sh)"
    return 0
  fi
  unload_module
  echo "== VM command $1 of docs/progression.md"
  # A session of its own (setsid execs in place), so that whatever it leaves running goes.
  ( cd /toolkit && exec setsid sh $b.sh ) > $b.out 2>&1 < /dev/null &
  block=$!
  wait $block
  rc=$?
  kill -KILL -$block 2>/dev/null
  sed 's/^/    /' $b.out
  [ $rc -eq 0 ] || fail "VM command $1 of docs/progression.md exited with status $rc: $(cat $b.sh)"
}
HEAD
  local n=0 heading cmd
  while IFS=$'\t' read -r heading cmd; do
    n=$((n + 1))
    printf '\n# %s\nprogression_block %s <<'"'"'CMD'"'"'\n%s\nCMD\n' "$heading" "$n" "$cmd"
  done < <(vm_commands)
}
# Checks the committed guest test against the page, parses it (sh, and busybox's sh, the
# guest's, when there is one), and dry-runs it: every CMD reached, intact.
check_vm_test() {
  local want=$blocks_dir/vm-test.sh got=$blocks_dir/vm-test.dry expected=$blocks_dir/vm-test.expected
  # make would expand a $(...) in CMD itself (to nothing) unless the recipe takes its value.
  grep -qF "run '\$(value CMD)'" "$root/Makefile" \
    || fail 1 "the Makefile's vm-run does not pass \$(value CMD): make would expand the blocks' \$(...) itself"
  vm_test_script > "$want"
  if ! cmp -s "$want" "$vm_test"; then
    fail 1 "tests/vm/$VM_TEST is not what the page's sh vm blocks generate: run docs/check-progression.sh --write-vm-test"
    return
  fi
  sh -n "$vm_test" 2>"$blocks_dir/err" || { fail 1 "tests/vm/$VM_TEST does not parse: $(cat "$blocks_dir/err")"; return; }
  if command -v busybox >/dev/null; then
    busybox sh -n "$vm_test" 2>"$blocks_dir/err" || { fail 1 "tests/vm/$VM_TEST does not parse in busybox sh: $(cat "$blocks_dir/err")"; return; }
  fi
  (cd "$blocks_dir" && TMPDIR=$blocks_dir PROGRESSION_DRY_RUN=1 sh -c 'fail() { echo "FAIL: $*"; exit 1; }; unload_module() { :; }; . "$1"' sh "$vm_test") \
    > "$got" 2>&1 || { fail 1 "tests/vm/$VM_TEST: the dry run failed: $(tail -n 3 "$got")"; return; }
  vm_commands | cut -f2- | awk '{ printf "would run VM command %d: %s\n", NR, $0 }' > "$expected"
  cmp -s "$got" "$expected" || fail 1 "tests/vm/$VM_TEST: the dry run did not reach every block intact: $(diff "$expected" "$got" | head -n 5)"
  echo "check-progression: tests/vm/$VM_TEST runs the $(grep -c . "$expected") VM commands (dry run)"
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
if [ "$mode" = write-vm-test ]; then
  split_blocks > /dev/null
  vm_test_script > "$vm_test"
  echo "check-progression: wrote tests/vm/$VM_TEST ($(vm_commands | wc -l) VM commands)"
  check_vm_test
  [ "$failures" = 0 ]; exit
fi
check_links
check_images
if [ "$mode" = links ]; then
  split_blocks > /dev/null
  check_vm_test
  [ "$failures" = 0 ]; exit
fi

while IFS=$'\t' read -r line msg; do fail "$line" "$msg"; done < <(check_steps; split_blocks)
check_vm_test
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
echo "check-progression: $host host blocks, $vm VM blocks (checked; make vm-test runs them: tests/vm/$VM_TEST), $failures failures"
[ "$failures" = 0 ]
