//! `-p PID`: attaching to a running process (all its threads), tracing it, and on
//! Ctrl-C detaching so that it keeps running, untraced and not stopped.

mod common;

use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `/proc/PID/status` field `name`.
fn status_field(pid: u32, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name}:")))
        .map(|v| v.trim().to_string())
}

/// Poll `cond` every 10 ms for at most `limit`.
fn wait_until(limit: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < limit {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    false
}

/// Kills the process when dropped, so a failing assertion leaves nothing behind.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `sleeper` test program (two threads that sleep), killed when dropped.
fn start_sleeper() -> KillOnDrop {
    KillOnDrop(
        Command::new(program("sleeper"))
            .stdout(Stdio::null())
            .spawn()
            .expect("start sleeper"),
    )
}

#[test]
fn attach_traces_every_thread_and_ctrl_c_detaches_leaving_it_running() {
    let dir = scratch_dir("attach");
    let out = dir.join("trace");
    let target = start_sleeper();
    let pid = target.0.id();
    assert!(wait_until(Duration::from_secs(5), || {
        std::fs::read_dir(format!("/proc/{pid}/task")).map_or(0, |d| d.count()) == 2
    }));

    let mut tracer = KillOnDrop(
        Command::new(STRACE_LITE)
            .args(["-p", &pid.to_string(), "-o"])
            .arg(&out)
            .stderr(Stdio::piped())
            .spawn()
            .expect("start strace-lite"),
    );
    let stderr = PipeReader::start(tracer.0.stderr.take().expect("stderr"));
    // Both threads show up in the trace (with -o, each line starts with its pid).
    let traced_both = wait_until(Duration::from_secs(10), || {
        let text = std::fs::read_to_string(&out).unwrap_or_default();
        let tids: std::collections::HashSet<&str> = text
            .lines()
            .filter(|l| l.contains("getppid()"))
            .filter_map(|l| l.split_whitespace().next())
            .collect();
        tids.len() == 2
    });
    assert!(
        traced_both,
        "{}",
        std::fs::read_to_string(&out).unwrap_or_default()
    );
    assert_eq!(
        status_field(pid, "TracerPid").as_deref(),
        Some(tracer.0.id().to_string().as_str())
    );

    // Ctrl-C: strace-lite detaches and ends by SIGINT, as strace does.
    // SAFETY: kill(2) with a pid and a signal number; no memory is involved.
    unsafe { libc::kill(tracer.0.id() as i32, libc::SIGINT) };
    let mut ended = None;
    assert!(wait_until(Duration::from_secs(10), || {
        ended = tracer.0.try_wait().expect("try_wait");
        ended.is_some()
    }));
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(ended.and_then(|s| s.signal()), Some(libc::SIGINT));
    let stderr = stderr.finish(Duration::from_secs(10));
    assert!(
        stderr.contains(&format!("Process {pid} attached with 2 threads")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("Process {pid} detached")),
        "{stderr}"
    );

    // The process is untraced, not stopped, and still making progress.
    assert_eq!(status_field(pid, "TracerPid").as_deref(), Some("0"));
    for tid in std::fs::read_dir(format!("/proc/{pid}/task")).expect("task dir") {
        let tid = tid.expect("entry").file_name();
        let stat =
            std::fs::read_to_string(format!("/proc/{pid}/task/{}/stat", tid.to_string_lossy()))
                .expect("stat");
        let state = stat.rsplit(") ").next().and_then(|r| r.chars().next());
        assert!(
            matches!(state, Some('S') | Some('R')),
            "thread state {state:?}"
        );
    }
    let switches =
        || status_field(pid, "voluntary_ctxt_switches").and_then(|v| v.parse::<u64>().ok());
    let before = switches();
    assert!(
        wait_until(Duration::from_secs(5), || switches() > before),
        "the process stopped running"
    );
}

#[test]
fn attach_to_a_missing_process_is_an_error() {
    let run = run_with_deadline(
        Command::new(STRACE_LITE)
            .args(["-p", "999999999"])
            .stdin(Stdio::null()),
        Duration::from_secs(10),
    );
    assert_eq!(run.status.code(), Some(1));
    assert!(run.stderr.contains("999999999"), "{}", run.stderr);
}

/// If strace-lite is killed outright, nothing it traced stays stopped: a command it
/// started runs on untraced, as under strace (`--kill-on-exit`, tested in faithful.rs,
/// kills it instead), and so does a process it attached to.
#[test]
fn a_killed_tracer_leaves_no_tracee_stopped() {
    // A spawned command runs on.
    let mut tracer = KillOnDrop(
        Command::new(STRACE_LITE)
            .args(["-qq", "-o", "/dev/null"])
            .arg(program("sleeper"))
            .stdin(Stdio::null())
            .spawn()
            .expect("start strace-lite"),
    );
    let tracer_pid = tracer.0.id();
    let mut child = None;
    assert!(wait_until(Duration::from_secs(10), || {
        child = std::fs::read_to_string(format!("/proc/{tracer_pid}/task/{tracer_pid}/children"))
            .ok()
            .and_then(|s| {
                s.split_whitespace()
                    .next()
                    .and_then(|p| p.parse::<u32>().ok())
            });
        child.is_some()
    }));
    let child = child.expect("child pid");
    tracer.0.kill().expect("kill tracer");
    let _ = tracer.0.wait();
    let untraced = wait_until(Duration::from_secs(10), || {
        status_field(child, "TracerPid").as_deref() == Some("0")
    });
    let state = status_field(child, "State");
    // SAFETY: ending the sleeper the test started (through the tracer).
    unsafe { libc::kill(child as i32, libc::SIGKILL) };
    assert!(untraced, "the spawned command is still traced, or gone");
    assert!(
        state.as_deref().is_some_and(|s| s.starts_with(['S', 'R'])),
        "the spawned command is not running on: {state:?}"
    );

    // An attached process keeps running.
    let target = start_sleeper();
    let pid = target.0.id();
    let mut tracer = KillOnDrop(
        Command::new(STRACE_LITE)
            .args(["-qq", "-o", "/dev/null", "-p", &pid.to_string()])
            .stdin(Stdio::null())
            .spawn()
            .expect("start strace-lite"),
    );
    let tracer_pid = tracer.0.id().to_string();
    assert!(wait_until(Duration::from_secs(10), || status_field(
        pid,
        "TracerPid"
    )
    .as_deref()
        == Some(tracer_pid.as_str())));
    tracer.0.kill().expect("kill tracer");
    let _ = tracer.0.wait();
    assert!(wait_until(Duration::from_secs(10), || status_field(
        pid,
        "TracerPid"
    )
    .as_deref()
        == Some("0")));
    let switches =
        || status_field(pid, "voluntary_ctxt_switches").and_then(|v| v.parse::<u64>().ok());
    let before = switches();
    assert!(
        wait_until(Duration::from_secs(5), || switches() > before),
        "the attached process stopped running"
    );
}

/// `napper ARGS` (tests/programs/napper.c) once it is blocked in syscall `nr` (35 nanosleep,
/// 0 read), with stdin from a pipe whose write end is returned.
fn start_napper(args: &[&str], nr: u32) -> (KillOnDrop, std::process::ChildStdin) {
    let mut child = KillOnDrop(
        Command::new(program("napper"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start napper"),
    );
    let stdin = child.0.stdin.take().expect("stdin");
    let pid = child.0.id();
    assert!(
        wait_until(Duration::from_secs(10), || {
            std::fs::read_to_string(format!("/proc/{pid}/syscall"))
                .is_ok_and(|s| s.starts_with(&format!("{nr} ")))
        }),
        "napper never blocked in syscall {nr}"
    );
    (child, stdin)
}

/// The calls of a shared trace, per process (joined `<unfinished ...>` lines), in an
/// order that does not depend on which process the scheduler ran first.
/// Each process's lines are normalised on their own (its pid is `PID0` in both traces).
/// The call named in `<... resuming interrupted CALL ...>` is not compared: strace 6.1
/// names the number left in its `PTRACE_GET_SYSCALL_INFO` buffer by the last stop it
/// looked at (the attach stop fills none), `read` (0) when that was no stop at all, but a
/// leftover of the command's calls (`syscall_0x7f...`) when a command is traced too.
fn per_process(trace: &str) -> Vec<Vec<String>> {
    let interrupted = regex::Regex::new(r"resuming interrupted \S+ \.\.\.>").expect("regex");
    let trace = interrupted.replace_all(trace, "resuming interrupted CALL ...>");
    let mut by_pid: Vec<(&str, String)> = Vec::new();
    for line in trace.lines() {
        let pid = line.split(' ').next().unwrap_or_default();
        match by_pid.iter_mut().find(|(p, _)| *p == pid) {
            Some((_, text)) => text.push_str(&format!("{line}\n")),
            None => by_pid.push((pid, format!("{line}\n"))),
        }
    }
    let mut groups: Vec<Vec<String>> = by_pid
        .iter()
        .flat_map(|(_, text)| reassemble(&normalize(text)))
        .map(|(_, lines)| lines)
        .collect();
    groups.sort();
    groups
}

/// `-p PID` with a command (issue 21): as strace, both are traced, each line with its pid,
/// and the exit status is the command's. (strace-lite used to ignore the command and wait
/// for the attached process alone.)
#[test]
fn attach_and_a_command_together_trace_both() {
    let dir = scratch_dir("attach-and-command");
    let mut traces = Vec::new();
    for tracer in [STRACE, STRACE_LITE] {
        let (target, _stdin) = start_napper(&["1500", "0"], 35);
        let out = dir.join("trace");
        let run = run_with_deadline(
            Command::new(tracer)
                .arg("-o")
                .arg(&out)
                .args(["-p", &target.0.id().to_string()])
                .arg(program("napper"))
                .args(["0", "3"])
                .stdin(Stdio::null()),
            Duration::from_secs(30),
        );
        assert_eq!(run.status.code(), Some(3), "{tracer}: {}", run.stderr);
        let text = std::fs::read_to_string(&out).expect("trace");
        traces.push(per_process(&text));
    }
    assert_eq!(traces[0].len(), 2, "strace traced two processes");
    assert_eq!(traces[0].len(), traces[1].len(), "processes traced");
    for (theirs, mine) in traces[0].iter().zip(&traces[1]) {
        assert_same("attach and command", theirs, mine);
    }
}

/// With a command, a `-p` that cannot be attached is only a warning, as in strace.
#[test]
fn with_a_command_a_missing_pid_is_a_warning() {
    let run = run_with_deadline(
        Command::new(STRACE_LITE)
            .args(["-o", "/dev/null", "-p", "999999999"])
            .arg(program("napper"))
            .args(["0", "4"])
            .stdin(Stdio::null()),
        Duration::from_secs(10),
    );
    assert_eq!(run.status.code(), Some(4), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("attach: ptrace(PTRACE_SEIZE, 999999999): No such process"),
        "{}",
        run.stderr
    );
}

/// A process attached while blocked in a call: a restartable `read` is shown again from
/// its entry, a `nanosleep` as strace 6.1 shows it, `restart_syscall(<... resuming
/// interrupted read ...>)` (strace 6.1 names the number its `PTRACE_GET_SYSCALL_INFO`
/// buffer holds, which the attach stop does not fill: 0 when nothing else was traced,
/// whatever the call was).
#[test]
fn a_call_interrupted_by_the_attach_reads_as_in_strace() {
    let dir = scratch_dir("attach-interrupted");
    for (args, nr) in [(["read", "0"], 0), (["1000", "0"], 35)] {
        let mut traces = Vec::new();
        for tracer in [STRACE, STRACE_LITE] {
            let (target, mut stdin) = start_napper(&args, nr);
            let pid = target.0.id();
            let out = dir.join("trace");
            let mut child = KillOnDrop(
                Command::new(tracer)
                    .arg("-o")
                    .arg(&out)
                    .args(["-p", &pid.to_string()])
                    .stdin(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("start tracer"),
            );
            let tracer_pid = child.0.id().to_string();
            assert!(wait_until(Duration::from_secs(10), || status_field(
                pid,
                "TracerPid"
            )
            .as_deref()
                == Some(tracer_pid.as_str())));
            // Let the attach's interruption happen before the read can complete.
            std::thread::sleep(Duration::from_millis(200));
            use std::io::Write;
            stdin.write_all(b"x").expect("write");
            assert!(
                wait_with_deadline(&mut child.0, Duration::from_secs(10)).is_some(),
                "{tracer} did not end"
            );
            traces.push(normalize(&std::fs::read_to_string(&out).expect("trace")));
        }
        assert!(traces[0].len() >= 4, "{:?}", traces[0]);
        assert_same(&format!("attached in {}", args[0]), &traces[0], &traces[1]);
    }
}
