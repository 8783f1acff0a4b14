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
        // The hint only where strace gives it (error_msg_and_help, not _and_die).
        assert_eq!(
            mine.stderr.contains("Try 'strace-lite -h'"),
            theirs.stderr.contains(" -h' for more information"),
            "{args:?}: {}",
            mine.stderr
        );
    }
}

/// strace's words, with strace-lite's name and strace's path made `strace`.
fn same_words(theirs: &Run, mine: &Run) -> (String, String) {
    (
        theirs.stderr.replace(STRACE, "strace"),
        mine.stderr.replace("strace-lite", "strace"),
    )
}

/// What strace 6.1 refuses, and what it only warns about, strace-lite refuses and warns
/// about with the same message and the same exit status.
#[test]
fn rejections_and_warnings_are_straces() {
    let cases: &[&[&str]] = &[
        &["-p"],
        &["-p", "0"],
        &["-p", "1,,2"],
        &["-p", "12,abc"],
        &["-o"],
        &["-c", "-C", "true"],
        &["-ff", "-c", "-o", "x", "true"],
        &["-ff", "-o", "|cat", "true"],
        &["-ff", "-o", "!cat", "true"],
        &["-s", "x", "true"],
        &["-s", "-1", "true"],
        &["-s", "1073741824", "true"],
        &["--string-limit=12x", "true"],
        &["-a", "x", "true"],
        &["-e", "foo=bar", "true"],
        &["-e", "trace=9999", "true"],
        &["-e", "trace=451", "true"],
        &["-e", "trace=", "true"],
        &["-e", "trace=,", "true"],
        &["-e", "trace=!", "true"],
        &["-e", "trace=%nosuch", "true"],
        &["-e", "trace=%FILE", "true"],
        &["-e", "trace=/[", "true"],
        &["-e", "trace=/nomatch", "true"],
        &["-e", "trace=read@65", "true"],
        &["-e", "trace=none@32", "true"],
        &["-e", "status=weird", "true"],
        &["--status", "true"],
        &["-e", "quiet=weird", "true"],
        &["-q", "-e", "quiet=attach", "true"],
        &["-e", "read=x", "true"],
        &["-e", "write=-1", "true"],
        &["-e", "signal=NOPE", "true"],
        &["-e", "raw=nosuch", "true"],
        &["-e", "kvm=foo", "true"],
        &["--secontext", "true"],
        &["-y", "--decode-fds=path", "true"],
        &["-S", "foo", "true"],
        &["-O", "x", "-c", "true"],
        &["-O", "-1", "-c", "true"],
        &["-I", "0", "true"],
        &["-I", "5", "true"],
        &["--interruptible=sometimes", "true"],
        &["-w", "true"],
        &["-U", "calls", "true"],
        &["-c", "-U", "calls,nope", "true"],
        &["-c", "-U", "", "true"],
        &["-c", "-U", "none", "true"],
        &["-c", "-U", "calls,time,count", "true"],
        &[
            "-c",
            "--summary-columns=name,errors,error,calls",
            "-U",
            "calls",
            "true",
        ],
        &["-Q", "true"],
        &["--no-such", "true"],
        // Only warnings: the command runs.
        &["-c", "-k", "-o", "/dev/null", "true"],
        &["-S", "avg_time", "-o", "/dev/null", "true"],
        &["-z", "-Z", "-o", "/dev/null", "true"],
        &["-c", "-r", "-T", "-o", "/dev/null", "true"],
        // Accepted.
        &["-e", "trace=?9999", "-o", "/dev/null", "true"],
        &["-I", "never_tstp", "-O", "1.5ms", "-o", "/dev/null", "true"],
        &[
            "--stack-trace",
            "-e",
            "trace=none",
            "-o",
            "/dev/null",
            "true",
        ],
    ];
    for args in cases {
        let theirs = strace(args);
        let mine = run_lite(args);
        let (t, m) = same_words(&theirs, &mine);
        assert_eq!(t, m, "{args:?}");
        assert_eq!(theirs.status.code(), mine.status.code(), "{args:?}: {m}");
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

#[test]
fn a_command_line_of_any_bytes_is_traced_as_strace_traces_it() {
    // execve takes bytes: an argument that is not UTF-8 reaches the command unchanged, and
    // the trace shows it as strace does (the -E value too).
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let arg = OsStr::from_bytes(b"caf\xe9");
    let env = OsStr::from_bytes(b"LITE_TEST=\xff\xfe");
    let run = |tracer: &str| {
        let mut cmd = Command::new(tracer);
        cmd.args(["-e", "trace=execve", "-v", "-s", "4096", "-E"])
            .arg(env)
            .args(["/usr/bin/printf", "%s"])
            .arg(arg)
            .stdin(Stdio::null());
        run_with_deadline(&mut cmd, Duration::from_secs(10))
    };
    let (theirs, mine) = (run(STRACE), run(STRACE_LITE));
    assert_eq!(theirs.status.code(), Some(0), "strace: {}", theirs.stderr);
    assert_eq!(mine.status.code(), Some(0), "strace-lite: {}", mine.stderr);
    assert_eq!(mine.stdout, theirs.stdout);
    let execve = |r: &Run| {
        r.stderr
            .lines()
            .find(|l| l.starts_with("execve("))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no execve line: {}", r.stderr))
    };
    assert!(execve(&mine).contains(r#""caf\351""#), "{}", execve(&mine));
    assert_eq!(execve(&mine), execve(&theirs));
}
