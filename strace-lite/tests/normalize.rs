//! The trace normaliser the differential tests rely on: pids are renamed where a pid
//! stands and nowhere else, so a child whose pid equals some length in the trace (an
//! mmap of 8192 bytes next to pid 8192) does not make two equal traces differ.

mod common;

use common::normalize;

#[test]
fn only_pid_positions_are_renamed() {
    let trace = "\
8192  mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, 3, 0) = 0x7f0000000000
8192  clone(child_stack=NULL, flags=SIGCHLD) = 8193
8193  write(1, \"8192\", 4)                = 4
8192  wait4(8193, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], WUNTRACED, NULL) = 8193
8192  --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=8193, si_uid=0, si_status=0, si_utime=0, si_stime=0} ---
8192  tgkill(8192, 8193, SIGTERM)       = 0
8192  read(3, \"\", 8193)                = 0
8192  getpid()                          = 8192
8192  +++ exited with 0 +++
";
    let lines = normalize(trace);
    assert_eq!(
        lines,
        [
            "PID0  mmap(NULL, 8192, PROT_READ, MAP_PRIVATE, 3, 0) = 0xADDR",
            "PID0  clone(child_stack=NULL, flags=SIGCHLD) = PID1",
            "PID1  write(1, \"8192\", 4) = 4",
            "PID0  wait4(PID1, [{WIFEXITED(s) && WEXITSTATUS(s) == 0}], WUNTRACED, NULL) = PID1",
            "PID0  --- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED, si_pid=PID1, si_uid=0, si_status=0, si_utime=T, si_stime=T} ---",
            "PID0  tgkill(PID0, PID1, SIGTERM) = 0",
            "PID0  read(3, \"\", 8193) = 0",
            "PID0  getpid() = PID0",
            "PID0  +++ exited with 0 +++",
        ]
    );
}

#[test]
fn stderr_style_prefixes_and_tracer_notes() {
    let trace = "\
[pid  4096] execve(\"/bin/true\", [\"true\"], 0x7ffd00000000 /* 3 vars */) = 0
[pid  4100] +++ superseded by execve in pid 4096 +++
[pid  4096] fstat(3, {st_mode=S_IFREG|0644, st_size=4096, ...}) = 0
";
    assert_eq!(
        normalize(trace),
        [
            "[pid  PID0] execve(\"/bin/true\", [\"true\"], 0xADDR /* 3 vars */) = 0",
            "[pid  PID1] +++ superseded by execve in pid PID0 +++",
            "[pid  PID0] fstat(3, {st_mode=S_IFREG|0644, st_size=4096, ...}) = 0",
        ]
    );
}
