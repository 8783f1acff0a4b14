#!/usr/bin/env bash
# Boots the test VM (QEMU, the kernel from scripts/kernel.sh, a busybox initramfs holding
# kmod/mydevice.ko, our static binaries and tests/vm) and does one of:
#
#   scripts/vm.sh shell            an interactive shell on the serial console
#   scripts/vm.sh run 'CMD...'     runs CMD (a shell command line) in the guest, prints its
#                                  output, exits with its status
#   scripts/vm.sh test [DIR|TEST]  runs the KTAP suite in DIR (default tests/vm), or the one
#                                  test TEST, in the guest; prints a line per test and
#                                  'N passed, N failed'
#
# A test with a '# boots: N' line is a multi-boot (power-loss) test: it gets a disk image of
# its own (ext4, made here) and N boots on it, each but the last ending in a power cut from
# inside the guest (tests/vm/run-suite.sh says how to write one). The suite's other tests
# run first, in one boot; then each multi-boot test, boot after boot.
#
# run and test also fail when the guest's kernel log has a BUG/WARNING/Oops/panic/lockdep
# report, or when the guest does not finish within VM_TIMEOUT seconds: QEMU's own exit code
# is never trusted alone.
#
# A boot that does not reach /init within VM_BOOT_TIMEOUT seconds is stopped and reported
# with the last lines it printed.
#
# Environment: KDIR (kernel build dir), VM_ACCEL (tcg|kvm; default: tcg unless a probe boot
# proved kvm works with this kernel), VM_TIMEOUT (seconds, the whole run), VM_BOOT_TIMEOUT
# (seconds, default 240), VM_MEM (MiB), VM_CPUS, VM_QEMU_ARGS (more QEMU arguments),
# TEST_TIMEOUT (test mode: each test's default limit in the guest, seconds), VM_DISK_MB (the
# size of a multi-boot test's disk unless its '# disk-mb: N' line says, default 128).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
. "$here/env.sh"

mode=${1:-shell}; shift || true
KDIR=${KDIR:-$("$here/kernel.sh" --kdir)}
bzimage="$KDIR/arch/x86/boot/bzImage"
ko="$root/kmod/mydevice.ko"
bindir="$root/target/x86_64-unknown-linux-gnu/release"
work="$root/target/vm"
VM_MEM=${VM_MEM:-512}
VM_CPUS=${VM_CPUS:-2}
VM_BOOT_TIMEOUT=${VM_BOOT_TIMEOUT:-240}
VM_DISK_MB=${VM_DISK_MB:-128}
# Set for a boot of a multi-boot test: its disk image, and a directory whose files go into
# the job's initramfs under /toolkit (the earlier boots' output).
vm_disk=
job_files=
log() { printf '[vm] %s\n' "$*" >&2; }

[ -f "$bzimage" ] || { log "no kernel at $bzimage: run 'make kernel' (or set KDIR)"; exit 2; }
[ -f "$ko" ] || { log "no module at $ko: run 'make kmod'"; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { log "qemu-system-x86_64 missing: run 'make deps'"; exit 2; }
command -v busybox >/dev/null || { log "busybox missing: run 'make deps'"; exit 2; }
command -v mkfs.ext4 >/dev/null && command -v e2fsck >/dev/null \
  || { log "mkfs.ext4 or e2fsck missing (e2fsprogs): run 'make deps'"; exit 2; }

# --- The initramfs: a base archive plus a small one holding this boot's job. ---------------
build_base() {
  local stage="$work/rootfs"
  rm -rf "$stage"; mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,toolkit/bin}
  cp "$(command -v busybox)" "$stage/bin/busybox"
  for applet in $("$stage/bin/busybox" --list); do
    [ -e "$stage/bin/$applet" ] || ln -s busybox "$stage/bin/$applet"
  done
  cp "$root/vm/init" "$stage/init"; chmod +x "$stage/init"
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' > "$stage/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$stage/etc/group"
  cp "$ko" "$stage/toolkit/"
  for b in btree chat chat-bench httpd kv proxy strace-lite mydevice-ctl devstats-device-tests proxy-large-tests; do
    [ -x "$bindir/$b" ] && strip --strip-debug -o "$stage/toolkit/bin/$b" "$bindir/$b"
  done
  # The Redis tools drive kv in the guest: dynamically linked, so with the libraries they
  # load, at the paths the host has them.
  for tool in redis-cli redis-benchmark; do
    local path; path=$(command -v "$tool") || { log "$tool missing: run 'make deps'"; exit 2; }
    cp "$path" "$stage/usr/bin/$tool"
    ldd "$path" | grep -o '/[^ ]*' | while read -r lib; do
      mkdir -p "$stage$(dirname "$lib")"
      [ -e "$stage$lib" ] || cp -L "$lib" "$stage$lib"
    done
  done
  cp -r "$root/tests" "$stage/toolkit/tests"
  (cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/base.cpio.gz"
}

# The kernel's command line: the whole boot on the serial console (earlyprintk from the first
# instruction, no `quiet`), so a boot that stalls shows where; a log buffer that holds a whole
# suite's run (the default 128 KiB wraps during the load/unload loops). /init turns the
# console down to warnings once it runs, so kernel lines do not break into the tests' output;
# the full log is dumped at the end.
KERNEL_CMDLINE="console=ttyS0 earlyprintk=serial,ttyS0,115200 log_buf_len=4M panic=-1"

boot() {  # boot ACCEL TIMEOUT MODE JOBFILE LOGFILE
  local accel=$1 limit=$2 vmode=$3 job=$4 serial=$5 jobdir="$work/job"
  rm -rf "$jobdir"; mkdir -p "$jobdir/toolkit"
  cp "$job" "$jobdir/toolkit/job.sh"
  if [ -n "$job_files" ]; then cp -r "$job_files"/. "$jobdir/toolkit/"; fi
  (cd "$jobdir" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/job.cpio.gz"
  cat "$work/base.cpio.gz" "$work/job.cpio.gz" > "$work/initrd.gz"
  local args=(-accel "$accel" -m "$VM_MEM" -smp "$VM_CPUS" -no-reboot
              -kernel "$bzimage" -initrd "$work/initrd.gz"
              -append "$KERNEL_CMDLINE toolkit.mode=$vmode")
  # shellcheck disable=SC2206 # VM_QEMU_ARGS is a list of words by design
  args+=(${VM_QEMU_ARGS:-})
  if [ -n "$vm_disk" ]; then args+=(-drive "file=$vm_disk,format=raw,if=virtio,cache=$(disk_cache)"); fi
  if [ "$vmode" = shell ]; then
    qemu-system-x86_64 "${args[@]}" -nographic
    return
  fi
  : > "$serial"
  timeout -k 5 "$limit" qemu-system-x86_64 "${args[@]}" -display none -monitor none \
    -serial "file:$serial" </dev/null &
  local qemu=$! t0=$SECONDS
  # The boot must reach /init's first marker within VM_BOOT_TIMEOUT: a guest that hangs in
  # boot is stopped and reported as such, not waited on for the whole run's limit.
  while kill -0 "$qemu" 2>/dev/null; do
    if grep -q '^TOOLKIT-RUN-BEGIN' "$serial" 2>/dev/null; then break; fi
    if (( SECONDS - t0 >= VM_BOOT_TIMEOUT )); then
      kill "$qemu" 2>/dev/null
      echo "TOOLKIT-BOOT-STALLED after $VM_BOOT_TIMEOUT s" >> "$serial"
      break
    fi
    sleep 1
  done
  wait "$qemu" || true
  tr -d '\r' < "$serial" > "$serial.txt" && mv "$serial.txt" "$serial"
}

# Says why a guest that did not finish did not: stalled in boot, or ran out of time.
report_stall() {  # report_stall SERIALLOG LIMIT
  if grep -q '^TOOLKIT-BOOT-STALLED' "$1"; then
    log "the guest's boot made no progress: /init did not start within $VM_BOOT_TIMEOUT s"
    log "(VM_BOOT_TIMEOUT); the last lines on its serial console ($(wc -c < "$1") bytes in all):"
  else
    log "the guest did not finish within $2 s; the last lines on its serial console:"
  fi
  grep -v "^TOOLKIT-BOOT-STALLED" "$1" | tail -n 30 >&2 || true
}

# Boots for a job (run or test mode). A boot that stalls before /init has run nothing of
# ours (the tests load the module): it is reported with its last lines, its log kept as
# LOGFILE.stalled, and the boot tried once more.
boot_job() {  # boot_job ACCEL TIMEOUT JOBFILE LOGFILE
  boot "$1" "$2" run "$3" "$4"
  if grep -q '^TOOLKIT-BOOT-STALLED' "$4"; then
    report_stall "$4" "$2"
    cp "$4" "$4.stalled"
    log "booting once more (the stalled boot's serial log is $4.stalled)"
    boot "$1" "$2" run "$3" "$4"
  fi
}

# KVM hangs this kernel on some machines: use it only once a short probe boot, cached per
# kernel build, has shown it reaching user space.
choose_accel() {
  if [ -n "${VM_ACCEL:-}" ]; then echo "$VM_ACCEL"; return; fi
  local verdict="$KDIR/.accel"
  if [ ! -f "$verdict" ]; then
    echo tcg > "$verdict"
    if [ -w /dev/kvm ]; then
      printf 'echo kvm-probe-ok\n' > "$work/probe.sh"
      boot kvm 30 run "$work/probe.sh" "$work/probe.log" 2>/dev/null
      if grep -q '^kvm-probe-ok' "$work/probe.log"; then echo kvm > "$verdict"; fi
      log "KVM probe: $(cat "$verdict") will be used (verdict cached in $verdict)"
    fi
  fi
  cat "$verdict"
}

# Kernel log lines that fail a run: the kernel's own reports of bugs (the pattern is shared
# with the guest tests).
kernel_problems() {  # SERIALLOG
  awk '/^TOOLKIT-DMESG-BEGIN/ {d=1; next} /^TOOLKIT-DMESG-END/ {d=0}
       d || /^\[ *[0-9]+\.[0-9]+\]/ {print}' "$1" |
    grep -E -f "$root/tests/vm/kernel-problems.ere" |
    sort -u || true
}

# --- Multi-boot (power-loss) tests. -----------------------------------------------------------
# header TEST NAME: the value of TEST's '# NAME: value' line (empty if none).
header() { sed -n "s/^# $2: *\([0-9][0-9]*\).*/\1/p" "$1" | head -n 1; }

# How QEMU caches the disk. cache=none: QEMU opens the image with O_DIRECT (no host page
# cache between the guest and the image) and shows the guest a disk with a volatile write
# cache, as most real disks are; so the guest's fsync/fdatasync must send the disk a FLUSH,
# and QEMU honours each FLUSH with an fdatasync of the image. (cache=unsafe would drop the
# FLUSHes; writeback would honour them too but serve from the host's page cache.) The cut
# itself is the guest's reset, the host keeps its power: a write the guest had sent is in
# the image, flushed or not, and what a cut loses is what the guest kernel still held in
# memory, which is what an fsync an application left out would lose. If the directory of the
# image does not take O_DIRECT (tmpfs before Linux 6.6), writethrough: every write reaches
# the image before the guest is told it is done.
disk_cache() {
  if [ -z "${disk_cache_mode:-}" ]; then
    disk_cache_mode=writethrough
    if dd if=/dev/zero of="$work/direct-probe" bs=4096 count=1 oflag=direct 2>/dev/null; then
      disk_cache_mode=none
    fi
    rm -f "$work/direct-probe"
  fi
  echo "$disk_cache_mode"
}

# new_disk IMAGE MIB: a fresh raw image with ext4 on the whole of it. Inode tables and
# journal are written now, not lazily by the guest (under TCG that would go on in the
# background of the test).
new_disk() {
  rm -f "$1"
  truncate -s "${2}M" "$1"
  mkfs.ext4 -q -F -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 "$1"
}

# Kernel log lines that fail a boot of a multi-boot test. Until its cut the kernel log goes
# to the console as it is written, so a kernel line may follow the test's output on a line.
kernel_problems_anywhere() {  # SERIALLOG
  grep -E '\[ *[0-9]+\.[0-9]+\]' "$1" | grep -E -f "$root/tests/vm/kernel-problems.ere" |
    sort -u || true
}

# run_boots TEST: runs the multi-boot test TEST (a path under $root): a new disk, then its N
# boots on it. A boot but the last must end in the test's power cut (its marker on the
# console, and no end of run); the last must pass; then the file system the cuts left must
# be consistent (e2fsck -fn). Prints PASS or FAIL with the reason; returns 1 on failure.
run_boots() {
  local t=$1 name boots limit mib img outs serial k why="" diag="" t0
  name=$(basename "$t" .sh); name=${name#[0-9][0-9]-}
  boots=$(header "$root/$t" boots)
  limit=$(header "$root/$t" timeout); limit=${limit:-${TEST_TIMEOUT:-180}}
  mib=$(header "$root/$t" disk-mb); mib=${mib:-$VM_DISK_MB}
  img="$work/disk-$name.img"
  outs="$work/boots-$name"
  rm -rf "$outs"; mkdir -p "$outs/boots"
  if ! new_disk "$img" "$mib" > "$work/mkfs.log" 2>&1; then
    echo "FAIL $name"; sed 's/^/     # /' "$work/mkfs.log"; return 1
  fi
  log "$name: $boots boots on a disk of its own ($img, $mib MiB, cache=$(disk_cache))"
  for ((k = 1; k <= boots; k++)); do
    serial="$work/serial-$name-$k.log"
    printf 'TEST_TIMEOUT=%s sh /toolkit/tests/vm/run-suite.sh --boot %s/%s /toolkit/%s\n' \
      "${TEST_TIMEOUT:-180}" "$k" "$boots" "$t" > "$work/job-boot.sh"
    t0=$SECONDS
    vm_disk=$img job_files=$outs
    boot_job "$accel" $((VM_BOOT_TIMEOUT + limit + 60)) "$work/job-boot.sh" "$serial"
    vm_disk= job_files=
    awk '/^TOOLKIT-RUN-BEGIN/ {p=1; next} /^TOOLKIT-RUN-END/ {p=0} p' "$serial" > "$outs/boots/$k.out"
    local problems; problems=$(kernel_problems_anywhere "$serial")
    if [ -n "$problems" ]; then
      why="boot $k of $boots: the kernel reported problems"; diag=$problems; break
    fi
    if (( k < boots )); then
      if grep -q '^TOOLKIT-RUN-END' "$serial"; then
        # Its output went to the console as it was written: its last lines say why.
        why="boot $k of $boots ended without cutting the power; the last lines of its output:"
        diag=$(grep -v '^TOOLKIT-' "$outs/boots/$k.out" | tail -n 20); break
      fi
      if ! grep -q 'TOOLKIT-POWER-CUT boot' "$serial"; then
        report_stall "$serial" $((VM_BOOT_TIMEOUT + limit + 60)) 2>&1 | sed 's/^\[vm\] //' > "$work/stall.log"
        why="boot $k of $boots neither ended nor cut the power"; diag=$(cat "$work/stall.log"); break
      fi
      log "$name: boot $k of $boots ran $((SECONDS - t0)) s, to its power cut"
    else
      log "$name: boot $k of $boots ran $((SECONDS - t0)) s"
      if ! grep -q '^TOOLKIT-RUN-END' "$serial"; then
        report_stall "$serial" $((VM_BOOT_TIMEOUT + limit + 60)) 2>&1 | sed 's/^\[vm\] //' > "$work/stall.log"
        why="boot $k of $boots did not finish"; diag=$(cat "$work/stall.log"); break
      fi
      if ! grep -q '^ok 1 ' "$outs/boots/$k.out"; then
        why="boot $k of $boots failed"; diag=$(sed -n 's/^# //p' "$outs/boots/$k.out"); break
      fi
      if ! diag=$(e2fsck -fn "$img" 2>&1); then
        why="the file system the power cuts left is not consistent (e2fsck -fn $img)"; break
      fi
    fi
  done
  if [ -z "$why" ]; then echo "PASS $name"; return 0; fi
  echo "FAIL $name"
  echo "     # $why"
  if [ -n "$diag" ]; then printf '%s\n' "$diag" | sed 's/^/     # /'; fi
  echo "     # serial logs: $work/serial-$name-*.log"
  return 1
}

mkdir -p "$work"
# One VM at a time per work tree: they share $work (initramfs, serial log).
exec 8>"$work/.lock"
flock 8
build_base
accel=$(choose_accel)
serial="$work/serial.log"

case "$mode" in
  shell)
    printf 'true\n' > "$work/job-shell.sh"
    log "booting ($accel); exit the shell to power off, or Ctrl-A X to quit QEMU"
    boot "$accel" 0 shell "$work/job-shell.sh" "$serial"
    ;;
  run)
    [ $# -gt 0 ] || { log "usage: scripts/vm.sh run 'COMMAND...'"; exit 2; }
    printf '%s\n' "$*" > "$work/job-run.sh"
    boot_job "$accel" "${VM_TIMEOUT:-300}" "$work/job-run.sh" "$serial"
    awk '/^TOOLKIT-RUN-BEGIN/ {p=1; next} /^TOOLKIT-RUN-END/ {p=0} p' "$serial"
    rc=$(sed -n 's/^TOOLKIT-RUN-END rc=\([0-9]*\)$/\1/p' "$serial")
    problems=$(kernel_problems "$serial")
    if [ -n "$problems" ]; then log "kernel log reports problems:"; printf '%s\n' "$problems" >&2; exit 1; fi
    if [ -z "$rc" ]; then report_stall "$serial" "${VM_TIMEOUT:-300}"; log "serial log: $serial"; exit 124; fi
    exit "$rc"
    ;;
  test)
    suite=${1:-tests/vm}
    suite=${suite#"$root"/}
    [ -e "$root/$suite" ] || { log "no suite or test at $suite"; exit 2; }
    if [ -d "$root/$suite" ]; then
      files=$(cd "$root" && ls "$suite"/[0-9]*.sh 2>/dev/null | sort || true)
    else
      files=$suite
    fi
    # Multi-boot tests run on their own, after the others.
    multi=() single=0
    for f in $files; do
      if [ "$(header "$root/$f" boots)" -gt 1 ] 2>/dev/null; then multi+=("$f"); else single=$((single + 1)); fi
    done
    status=0 pass=0 fail=0
    if (( single > 0 || ${#multi[@]} == 0 )); then
      printf 'TEST_TIMEOUT=%s sh /toolkit/tests/vm/run-suite.sh /toolkit/%s\n' \
        "${TEST_TIMEOUT:-180}" "$suite" > "$work/job-test.sh"
      # The whole boot's limit: every test of the suite, with tests/vm/39's 10,000 proxied
      # connections (about two minutes under TCG) among them.
      limit=${VM_TIMEOUT:-1200}
      log "running suite $suite in the VM ($accel, limit $limit s)"
      t0=$(date +%s)
      boot_job "$accel" "$limit" "$work/job-test.sh" "$serial"
      log "guest ran $(( $(date +%s) - t0 )) s; serial log: $serial"
      # One line per test, with the failing test's diagnostics; the counts go on below.
      awk -v counts="$work/counts" '
           /^TOOLKIT-RUN-BEGIN/ {p=1; next} /^TOOLKIT-RUN-END/ {p=0}
           !p {next}
           /^1\.\.[0-9]+$/ {plan=substr($0,4)+0; next}
           /^ok [0-9]+ / {sub(/^ok [0-9]+ /,""); printf "PASS %s\n", $0; pass++; last=""; next}
           /^not ok [0-9]+ / {sub(/^not ok [0-9]+ /,""); printf "FAIL %s\n", $0; fail++; next}
           /^# / {print "     " $0}
           END {print pass+0, fail+0 > counts;
                if (plan != pass + fail) {printf "suite planned %d tests, %d reported\n", plan, pass + fail; exit 1}}' \
        "$serial" || status=1
      read -r pass fail < "$work/counts"
      if ! grep -q '^TOOLKIT-RUN-END' "$serial"; then
        report_stall "$serial" "$limit"; status=1
      fi
      problems=$(kernel_problems "$serial")
      if [ -n "$problems" ]; then
        log "the guest's kernel log reports problems:"; printf '%s\n' "$problems" >&2; status=1
      fi
    fi
    for t in "${multi[@]}"; do
      if run_boots "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
    done
    echo "$pass passed, $fail failed"
    if (( pass + fail == 0 )); then echo "the suite ran no test"; status=1; fi
    if (( fail > 0 )); then status=1; fi
    exit $status
    ;;
  *) log "unknown mode '$mode' (shell, run or test)"; exit 2 ;;
esac
