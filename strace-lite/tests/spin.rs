//! `--spin=auto` (the default): the tracer's own idle-class threads keep the trace's CPUs
//! awake while stops come close together, and block when the trace goes cold; the traced
//! program's CPUs, policy and nice value stay its own.

mod common;

use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

/// State letter and policy (field 41) of each thread of `pid`, main thread first.
fn threads(pid: u32) -> Vec<(i32, char, u32)> {
    let mut out: Vec<(i32, char, u32)> = std::fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| {
            d.filter_map(|e| {
                let tid: i32 = e.ok()?.file_name().to_str()?.parse().ok()?;
                let stat = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
                let rest = &stat[stat.rfind(')')? + 2..];
                let fields: Vec<&str> = rest.split_whitespace().collect();
                let state = fields.first()?.chars().next()?;
                let policy = fields.get(38)?.parse().ok()?;
                Some((tid, state, policy))
            })
            .collect()
        })
        .unwrap_or_default();
    out.sort_by_key(|t| (t.0 != pid as i32, t.0));
    out
}

/// CPUs this test may run on (the tracer inherits them).
fn allowed_cpus() -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect("status");
    let line = status
        .lines()
        .find(|l| l.starts_with("Cpus_allowed_list:"))
        .expect("Cpus_allowed_list");
    line.split(':')
        .nth(1)
        .expect("list")
        .trim()
        .split(',')
        .map(|r| match r.split_once('-') {
            Some((a, b)) => b.parse::<usize>().unwrap() - a.parse::<usize>().unwrap() + 1,
            None => 1,
        })
        .sum()
}

/// Runs `burst` under `prefix`; after its burst, checks the tracer's threads with `check`,
/// then lets it finish. Returns what the program printed at its end.
fn burst_under(prefix: &[&str], check: impl FnOnce(u32)) -> String {
    let mut cmd = Command::new(
        prefix
            .first()
            .copied()
            .unwrap_or(program("burst").to_str().unwrap()),
    );
    if !prefix.is_empty() {
        cmd.args(&prefix[1..]).arg(program("burst"));
    }
    let mut child = cmd
        .arg("20000")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("hot line");
    assert_eq!(line, "hot\n");
    check(child.id());
    drop(child.stdin.take());
    let mut rest = String::new();
    out.read_line(&mut rest).expect("last line");
    let status = wait_with_deadline(&mut child, Duration::from_secs(30)).expect("exits");
    assert!(status.success(), "{prefix:?}: {status:?}");
    rest
}

#[test]
fn spinners_are_idle_class_and_block_once_the_trace_is_cold() {
    let untraced = burst_under(&[], |_| {});
    let mut spinners_seen = 0;
    let traced = burst_under(&[STRACE_LITE, "-o", "/dev/null"], |tracer| {
        // The program now waits on stdin: within a few ms of its last call every thread
        // of the tracer is asleep (the spinners blocked).
        let mut last = Vec::new();
        let cold = wait_for(Duration::from_secs(10), || {
            last = threads(tracer);
            last.iter().all(|t| t.1 == 'S')
        });
        assert!(cold, "tracer threads still running: {last:?}");
        // The main thread keeps the tracer's policy; the others are SCHED_IDLE (5).
        assert_eq!(last[0].2, 0, "{last:?}");
        assert!(last[1..].iter().all(|t| t.2 == 5), "{last:?}");
        spinners_seen = last.len() - 1;
    });
    assert_eq!(traced, untraced);
    // A spinner per CPU in use: none with a single CPU, at most the CPUs allowed.
    let cpus = allowed_cpus();
    if cpus >= 2 {
        assert!(spinners_seen >= 1, "no spinner on {cpus} CPUs");
    }
    assert!(
        spinners_seen <= cpus.min(8),
        "{spinners_seen} spinners on {cpus} CPUs"
    );
}

#[test]
fn spin_never_starts_no_thread_and_one_cpu_needs_none() {
    for prefix in [
        &[STRACE_LITE, "--spin=never", "-o", "/dev/null"][..],
        &["taskset", "-c", "0", STRACE_LITE, "-o", "/dev/null"],
    ] {
        burst_under(prefix, |tracer| {
            let t = threads(tracer);
            assert_eq!(t.len(), 1, "{prefix:?}: {t:?}");
        });
    }
    let bad = run_lite(&["--spin=sometimes", "true"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        bad.stderr.contains("invalid --spin value 'sometimes'"),
        "{}",
        bad.stderr
    );
}
