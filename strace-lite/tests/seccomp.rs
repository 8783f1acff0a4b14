//! `--seccomp-bpf`: the kernel stops the tracee only for the traced calls, and the
//! trace is the same as strace's `--seccomp-bpf` trace (and as without the filter):
//! fork, vfork, exec and a killed child; threads; the summary's counts; and strace's
//! rules for the option (needs -f, refused with -p).

mod common;

use common::*;
use std::process::{Command, Stdio};
use std::time::Duration;

fn assert_reassembled_same(test: &str, options: &[&str], program: &str) {
    let (theirs, mine, theirs_run, mine_run) = both(test, options, program, &[]);
    assert_eq!(theirs_run.status.code(), mine_run.status.code(), "{test}");
    let theirs = reassemble(&theirs);
    let mine = reassemble(&mine);
    assert!(!theirs.is_empty(), "{test}: strace traced nothing");
    assert_eq!(theirs.len(), mine.len(), "{test}: processes");
    for ((tp, t), (mp, m)) in theirs.iter().zip(&mine) {
        assert_eq!(tp, mp);
        assert_same(&format!("{test} {tp}"), t, m);
    }
}

#[test]
fn processes_with_a_filter_trace_as_strace() {
    assert_reassembled_same(
        "seccomp-procs",
        &["-f", "--seccomp-bpf", "-e", "trace=%process,write"],
        "procs",
    );
    // A small set; execve is in it so the parent is the first process named (pids are
    // renamed in order of first appearance).
    assert_reassembled_same(
        "seccomp-procs-kill",
        &["-f", "--seccomp-bpf", "-e", "trace=execve,kill,wait4"],
        "procs",
    );
}

#[test]
fn threads_with_a_filter_trace_as_strace() {
    assert_reassembled_same(
        "seccomp-threads",
        &["-f", "--seccomp-bpf", "-e", "trace=write,exit,exit_group"],
        "threads",
    );
}

/// Files, with every call traced: the filter traces everything and nothing changes.
#[test]
fn everything_traced_through_the_filter() {
    let (theirs, mine, _, _) = both("seccomp-all", &["-f", "--seccomp-bpf"], "files", &["$DIR"]);
    assert!(theirs.len() > 5, "strace traced nothing: {theirs:#?}");
    let strip = |lines: Vec<String>| -> Vec<String> {
        lines
            .into_iter()
            .map(|l| collapse_alignment(l.split_once("  ").map_or(&l, |(_, r)| r.trim_start())))
            .collect()
    };
    assert_same("seccomp-all", &strip(theirs), &strip(mine));
}

#[test]
fn summary_counts_only_traced_calls() {
    let dir = scratch_dir("seccomp-c");
    let counts = |tracer: &str| {
        let out = dir.join(format!("{}.c", tracer.rsplit('/').next().unwrap_or("x")));
        trace(
            tracer,
            &["-f", "--seccomp-bpf", "-c", "-e", "trace=write,close"],
            &out,
            &program("files"),
            &[dir.to_str().expect("utf8")],
        );
        let text = std::fs::read_to_string(&out).expect("summary");
        let mut rows: Vec<(String, String)> = text
            .lines()
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() >= 5 && f[3].parse::<u64>().is_ok())
                    .then(|| (f[f.len() - 1].to_string(), f[3].to_string()))
            })
            .collect();
        rows.sort();
        rows
    };
    let theirs = counts(STRACE);
    assert!(theirs.iter().any(|(n, _)| n == "write"), "{theirs:?}");
    assert_eq!(theirs, counts(STRACE_LITE));
}

fn stderr_of(tracer: &str, args: &[&str]) -> Run {
    run_with_deadline(
        Command::new(tracer).args(args).stdin(Stdio::null()),
        Duration::from_secs(10),
    )
}

#[test]
fn needs_f_and_is_refused_with_p() {
    let theirs = stderr_of(STRACE, &["--seccomp-bpf", "-o", "/dev/null", "true"]);
    let mine = stderr_of(STRACE_LITE, &["--seccomp-bpf", "-o", "/dev/null", "true"]);
    assert!(theirs.stderr.contains("--seccomp-bpf"), "{}", theirs.stderr);
    assert_eq!(
        theirs.stderr.replace(&format!("{STRACE}:"), "strace-lite:"),
        mine.stderr,
        "the warning without -f"
    );
    assert_eq!(mine.status.code(), Some(0));
    let mine = stderr_of(STRACE_LITE, &["-f", "--seccomp-bpf", "-p", "1"]);
    assert_eq!(mine.status.code(), Some(1), "{}", mine.stderr);
    assert!(mine.stderr.contains("-p"), "{}", mine.stderr);
}
