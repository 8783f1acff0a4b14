//! `--same-cpu`: the command runs (traced, to its end) restricted to one CPU, the one the
//! tracer runs on; refused with `-p`, whose process it would change.

mod common;

use common::*;
use std::process::{Command, Stdio};
use std::time::Duration;

/// The command's own view of its CPUs, written to stderr (the trace goes to /dev/null).
fn allowed_cpus(extra: &[&str]) -> Run {
    let mut args = extra.to_vec();
    args.extend([
        "-f",
        "-o",
        "/dev/null",
        "sh",
        "-c",
        "grep Cpus_allowed_list /proc/self/status >&2",
    ]);
    run_with_deadline(
        Command::new(STRACE_LITE).args(&args).stdin(Stdio::null()),
        Duration::from_secs(10),
    )
}

#[test]
fn the_command_runs_on_one_cpu() {
    let pinned = allowed_cpus(&["--same-cpu"]);
    assert_eq!(pinned.status.code(), Some(0), "{}", pinned.stderr);
    let list = pinned
        .stderr
        .trim()
        .strip_prefix("Cpus_allowed_list:")
        .unwrap_or_else(|| panic!("{:?}", pinned.stderr))
        .trim();
    assert!(list.parse::<u32>().is_ok(), "not one CPU: {list:?}");
    // Without the flag the command keeps the tracer's mask (several CPUs on a machine that
    // has them).
    let free = allowed_cpus(&[]);
    assert_eq!(free.status.code(), Some(0), "{}", free.stderr);
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    if cpus > 1 {
        assert!(
            !free.stderr.trim().ends_with(&format!(":\t{list}")),
            "{}",
            free.stderr
        );
    }
}

#[test]
fn is_refused_with_p() {
    let run = run_with_deadline(
        Command::new(STRACE_LITE)
            .args(["--same-cpu", "-p", "1"])
            .stdin(Stdio::null()),
        Duration::from_secs(10),
    );
    assert_eq!(run.status.code(), Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("--same-cpu cannot be used with -p"),
        "{}",
        run.stderr
    );
}
