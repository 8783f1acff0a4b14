#!/usr/bin/env bash
# Boots the test VM (QEMU, the kernel from scripts/kernel.sh, a busybox initramfs holding
# kmod/mydevice.ko, our static binaries and tests/vm) and does one of:
#
#   scripts/vm.sh shell            an interactive shell on the serial console
#   scripts/vm.sh run 'CMD...'     runs CMD (a shell command line) in the guest, prints its
#                                  output, exits with its status
#   scripts/vm.sh test [DIR]       runs the KTAP suite in DIR (default tests/vm) in the guest;
#                                  prints a line per test and 'N passed, N failed'
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
# TEST_TIMEOUT (test mode: each test's default limit in the guest, seconds).
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
log() { printf '[vm] %s\n' "$*" >&2; }

[ -f "$bzimage" ] || { log "no kernel at $bzimage: run 'make kernel' (or set KDIR)"; exit 2; }
[ -f "$ko" ] || { log "no module at $ko: run 'make kmod'"; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { log "qemu-system-x86_64 missing: run 'make deps'"; exit 2; }
command -v busybox >/dev/null || { log "busybox missing: run 'make deps'"; exit 2; }

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
  for b in chat chat-bench httpd kv strace-lite mydevice-ctl devstats-device-tests; do
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
  (cd "$jobdir" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/job.cpio.gz"
  cat "$work/base.cpio.gz" "$work/job.cpio.gz" > "$work/initrd.gz"
  local args=(-accel "$accel" -m "$VM_MEM" -smp "$VM_CPUS" -no-reboot
              -kernel "$bzimage" -initrd "$work/initrd.gz"
              -append "$KERNEL_CMDLINE toolkit.mode=$vmode")
  # shellcheck disable=SC2206 # VM_QEMU_ARGS is a list of words by design
  args+=(${VM_QEMU_ARGS:-})
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
    [ -f "$root/$suite/run-suite.sh" ] || [ -d "$root/$suite" ] || { log "no suite at $suite"; exit 2; }
    printf 'TEST_TIMEOUT=%s sh /toolkit/tests/vm/run-suite.sh /toolkit/%s\n' \
      "${TEST_TIMEOUT:-180}" "$suite" > "$work/job-test.sh"
    limit=${VM_TIMEOUT:-900}
    log "running suite $suite in the VM ($accel, limit $limit s)"
    t0=$(date +%s)
    boot_job "$accel" "$limit" "$work/job-test.sh" "$serial"
    log "guest ran $(( $(date +%s) - t0 )) s; serial log: $serial"
    status=0
    # One line per test, with the failing test's diagnostics, then the closing count.
    awk '/^TOOLKIT-RUN-BEGIN/ {p=1; next} /^TOOLKIT-RUN-END/ {p=0}
         !p {next}
         /^1\.\.[0-9]+$/ {plan=substr($0,4)+0; next}
         /^ok [0-9]+ / {sub(/^ok [0-9]+ /,""); printf "PASS %s\n", $0; pass++; last=""; next}
         /^not ok [0-9]+ / {sub(/^not ok [0-9]+ /,""); printf "FAIL %s\n", $0; fail++; next}
         /^# / {print "     " $0}
         END {printf "%d passed, %d failed\n", pass, fail;
              if (plan != pass + fail) {printf "suite planned %d tests, %d reported\n", plan, pass + fail; exit 1}
              if (pass + fail == 0) {print "the suite ran no test"; exit 1}
              exit (fail > 0)}' "$serial" || status=1
    if ! grep -q '^TOOLKIT-RUN-END' "$serial"; then
      report_stall "$serial" "$limit"; status=1
    fi
    problems=$(kernel_problems "$serial")
    if [ -n "$problems" ]; then
      log "the guest's kernel log reports problems:"; printf '%s\n' "$problems" >&2; status=1
    fi
    exit $status
    ;;
  *) log "unknown mode '$mode' (shell, run or test)"; exit 2 ;;
esac
