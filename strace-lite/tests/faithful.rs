//! By default a traced command runs as it would untraced, as under strace: its CPUs, its
//! scheduling policy and every result it gets are its own, and the trace shows them. And
//! a tracer that exits leaves the command running unless `--kill-on-exit` asks otherwise.

mod common;

use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// What a command learns about how it runs: its CPUs (from /proc, and from
/// sched_getaffinity through `nproc`), then the policy of its main thread and of a new
/// thread, each asked three ways (see tests/programs/sched_policy.c).
fn what_it_sees(prefix: &[&str]) -> String {
    let policy = program("sched_policy");
    let script = format!(
        "grep Cpus_allowed_list /proc/self/status >&2; nproc >&2; {} - ",
        policy.display()
    );
    let mut cmd = Command::new(prefix.first().copied().unwrap_or("sh"));
    let rest: Vec<&str> = prefix.iter().skip(1).copied().collect();
    if prefix.is_empty() {
        cmd.args(["-c", &script]);
    } else {
        cmd.args(&rest).args(["sh", "-c", &script]);
    }
    let run = run_with_deadline(cmd.stdin(Stdio::null()), Duration::from_secs(30));
    assert_eq!(run.status.code(), Some(0), "{prefix:?}: {}", run.stderr);
    run.stderr
}

#[test]
fn a_traced_command_sees_exactly_what_it_sees_untraced() {
    let untraced = what_it_sees(&[]);
    assert!(untraced.contains("Cpus_allowed_list:"), "{untraced}");
    for args in [
        &[STRACE_LITE, "-o", "/dev/null"][..],
        &[STRACE_LITE, "-f", "-o", "/dev/null"],
        &[STRACE_LITE, "-f", "-c", "-o", "/dev/null"],
        &[STRACE_LITE, "-f", "-e", "trace=accept", "-o", "/dev/null"],
        &[
            STRACE_LITE,
            "-f",
            "--seccomp-bpf",
            "-e",
            "trace=openat",
            "-o",
            "/dev/null",
        ],
    ] {
        assert_eq!(what_it_sees(args), untraced, "{args:?}");
    }
}

#[test]
fn the_trace_shows_the_results_the_kernel_gave() {
    // sched_getaffinity's mask and sched_getscheduler's policy, as strace shows them.
    let dir = scratch_dir("faithful-results");
    let policy = program("sched_policy");
    let script = format!("nproc >/dev/null; exec {} -", policy.display());
    let trace_of = |tracer: &str, name: &str| {
        let out = dir.join(name);
        let run = run_with_deadline(
            Command::new(tracer)
                .args(["-f", "-e", "trace=sched_getaffinity,sched_getscheduler"])
                .args(["-o", out.to_str().unwrap(), "sh", "-c", &script])
                .stdin(Stdio::null()),
            Duration::from_secs(30),
        );
        assert_eq!(run.status.code(), Some(0), "{tracer}: {}", run.stderr);
        let text = std::fs::read_to_string(&out).unwrap();
        // The calls without the pids of -f (which differ between runs).
        let calls: Vec<String> = text
            .lines()
            .map(|l| l.split_once(' ').map_or(l, |(_, rest)| rest.trim_start()))
            .filter(|l| l.starts_with("sched_"))
            .map(str::to_string)
            .collect();
        assert!(calls.len() >= 3, "{tracer} traced too little:\n{text}");
        calls
    };
    assert_eq!(trace_of(STRACE_LITE, "lite"), trace_of(STRACE, "strace"));
}

/// Starts `strace-lite ARGS sh -c 'echo $$ > PIDFILE; exec sleep 100'`, waits for the
/// command's pid, kills the tracer with SIGKILL, and returns the command's pid.
fn kill_the_tracer_of_a_sleeping_command(args: &[&str], name: &str) -> i32 {
    let dir = scratch_dir(name);
    let pidfile = dir.join("pid");
    let script = format!("echo $$ > {}; exec sleep 100", pidfile.display());
    let mut tracer = Command::new(STRACE_LITE)
        .args(args)
        .args(["-o", "/dev/null", "sh", "-c", &script])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let pid = loop {
        if let Some(pid) = std::fs::read_to_string(&pidfile)
            .ok()
            .and_then(|t| t.trim().parse::<i32>().ok())
        {
            break pid;
        }
        assert!(Instant::now() < deadline, "the command never started");
        std::thread::sleep(Duration::from_millis(10));
    };
    // The command must be in its sleep (traced) before the tracer goes.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "sleep") {
        assert!(Instant::now() < deadline, "the command never reached sleep");
        std::thread::sleep(Duration::from_millis(10));
    }
    tracer.kill().unwrap();
    tracer.wait().unwrap();
    pid
}

/// Whether `pid` is gone (reaped, or a zombie), waiting at most 10 s for it to go.
fn gone_within_10s(pid: i32) -> bool {
    wait_for(Duration::from_secs(10), || {
        matches!(proc_stat(pid).map(|s| s.state), None | Some('Z'))
    })
}

#[test]
fn a_tracer_that_dies_leaves_the_command_running_as_strace_does() {
    let pid = kill_the_tracer_of_a_sleeping_command(&["-f"], "faithful-outlives");
    // The kernel detached it; it goes on with its sleep, untraced.
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut status = String::new();
    while Instant::now() < deadline {
        status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
        if status.contains("TracerPid:\t0") {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: ending the sleep the test started.
    unsafe { libc::kill(pid, libc::SIGKILL) };
    assert!(status.contains("TracerPid:\t0"), "{status}");
    assert!(status.contains("Name:\tsleep"), "{status}");
}

#[test]
fn kill_on_exit_takes_the_command_down_with_the_tracer() {
    let pid = kill_the_tracer_of_a_sleeping_command(&["-f", "--kill-on-exit"], "faithful-exitkill");
    let gone = gone_within_10s(pid);
    if !gone {
        // SAFETY: ending the sleep the test started.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    assert!(gone, "the command outlived the tracer under --kill-on-exit");
}
