//! The command line as strace has it: bad options are usage errors with exit status 1,
//! a missing command is an error, and options after the command belong to it.

mod common;

use common::*;
use std::process::{Command, Stdio};
use std::time::Duration;

fn strace(args: &[&str]) -> Run {
    run_with_deadline(
        Command::new(STRACE).args(args).stdin(Stdio::null()),
        Duration::from_secs(10),
    )
}

#[test]
fn usage_errors_exit_1_like_strace() {
    for args in [
        &["-Q", "true"][..],
        &["--no-such-option", "true"],
        &["-s", "many", "true"],
        &["-e", "trace=nosuchcall", "true"],
        &["-e", "signal=SIGNOPE", "true"],
        &["-X", "fancy", "true"],
        &["-S", "color", "true"],
        &["-p", "abc"],
        &[],
    ] {
        let theirs = strace(args);
        let mine = run_lite(args);
        assert_eq!(theirs.status.code(), Some(1), "strace {args:?}");
        assert_eq!(
            mine.status.code(),
            Some(1),
            "strace-lite {args:?}: {}",
            mine.stderr
        );
        assert!(
            mine.stderr.contains("Try 'strace-lite -h'"),
            "{args:?}: {}",
            mine.stderr
        );
    }
}

#[test]
fn missing_command_is_an_error_like_strace() {
    let theirs = strace(&["/nonexistent/program"]);
    let mine = run_lite(&["/nonexistent/program"]);
    assert_eq!(theirs.status.code(), Some(1));
    assert_eq!(mine.status.code(), Some(1));
    assert!(
        mine.stderr.contains("Can't stat '/nonexistent/program'"),
        "{}",
        mine.stderr
    );
}

/// strace-lite with `args` and stdin closed, both outputs captured, killed after 10 s.
fn lite_output(args: &[&str]) -> Run {
    output_with_deadline(
        Command::new(STRACE_LITE).args(args).stdin(Stdio::null()),
        Duration::from_secs(10),
    )
}

#[test]
fn help_and_version_exit_0() {
    let out = lite_output(&["-h"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.contains("-f"), "{}", out.stdout);
    let out = lite_output(&["-V"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.contains("strace-lite"), "{}", out.stdout);
}

#[test]
fn options_after_the_command_are_the_commands() {
    let out = lite_output(&["-e", "trace=none", "/bin/echo", "-f", "-o", "x"]);
    assert_eq!(out.stdout, "-f -o x\n");
    assert_eq!(out.stderr, "+++ exited with 0 +++\n");
}
