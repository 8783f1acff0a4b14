//! Options about starting and stopping, each compared with the real strace: `-E` (the
//! command's environment), `-o '|CMD'` / `-o '!CMD'` (the trace piped to a command) and
//! `-I` (what SIGTERM and SIGTSTP do to the tracer).

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn env_changes_the_commands_environment_as_straces() {
    let run = |tracer: &str| {
        output_with_deadline(
            Command::new(tracer)
                .args([
                    "-e",
                    "trace=none",
                    "-E",
                    "FOO",
                    "-E",
                    "BAZ=3",
                    "-E",
                    "BAR=9",
                ])
                .args(["--env=NEW", "-E", "ADDED=x=y", "/usr/bin/env"])
                .env("FOO", "1")
                .env("BAR", "2")
                .env("NEW", "gone")
                .stdin(Stdio::null()),
            Duration::from_secs(30),
        )
    };
    let theirs = run(STRACE);
    let mine = run(STRACE_LITE);
    assert!(theirs.stdout.contains("BAR=9\n") && theirs.stdout.contains("ADDED=x=y\n"));
    assert!(!theirs.stdout.contains("FOO=") && !theirs.stdout.contains("NEW="));
    // The same variables in the same order (BAR replaced where it was, BAZ added last).
    assert_eq!(theirs.stdout, mine.stdout);
    assert_eq!(theirs.status.code(), mine.status.code());
}

#[test]
fn output_piped_to_a_command() {
    let dir = scratch_dir("pipe");
    let prog = program("files");
    for (i, spec) in ["|cat >", "!cat >"].iter().enumerate() {
        let mut traces = Vec::new();
        for tracer in [STRACE, STRACE_LITE] {
            let work = WorkDir::new(&format!("pipe{i}"));
            work.fresh();
            let file = dir.join(format!("{i}.{}", traces.len()));
            let run = run_with_deadline(
                Command::new(tracer)
                    .arg("-o")
                    .arg(format!("{spec}{}", file.display()))
                    .args(["-e", "trace=!set_tid_address"])
                    .arg(&prog)
                    .arg(work.path())
                    .stdin(Stdio::null()),
                Duration::from_secs(30),
            );
            assert_eq!(run.status.code(), Some(3), "{}", run.stderr);
            // The tracer waited for the command: its output is complete.
            let text = std::fs::read_to_string(&file).expect("the pipe's output");
            assert!(text.ends_with("+++ exited with 3 +++\n"), "{text}");
            traces.push(normalize(&text));
        }
        assert_same(spec, &traces[0], &traces[1]);
    }
}

/// Start `tracer -I intr -o /dev/null sh -c 'sleep 0.8; touch FLAG'`, send it `sig` once
/// the command sleeps; returns (how the tracer ended, whether the command lived on to touch FLAG,
/// whether the tracer was seen stopped).
fn interrupt(
    tracer: &str,
    intr: &str,
    sig: i32,
    flag: &Path,
) -> (Option<i32>, Option<i32>, bool, bool) {
    use std::os::unix::process::ExitStatusExt;
    let _ = std::fs::remove_file(flag);
    let mut child = Command::new(tracer)
        .args(["-I", intr, "-o", "/dev/null", "sh", "-c"])
        .arg(format!("sleep 0.8; touch {}", flag.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("tracer");
    // Once the command runs its `sleep`, the tracer is past its start-up and waits for
    // tracees (a signal before that meets a tracer still starting, under load too).
    let tracer_pid = child.id() as i32;
    let running = wait_for(Duration::from_secs(30), || {
        children(tracer_pid)
            .into_iter()
            .flat_map(children)
            .any(|p| proc_stat(p).is_some_and(|s| s.comm == "sleep"))
    });
    assert!(running, "{tracer}: the command's sleep never started");
    // SAFETY: signalling our own child.
    unsafe { libc::kill(tracer_pid, sig) };
    // The tracer stops (SIGTSTP), or ends, or goes on until the command ends with it.
    let mut stopped = false;
    wait_for(Duration::from_secs(10), || {
        let state = proc_stat(tracer_pid).map(|s| s.state);
        stopped = state == Some('T');
        stopped || matches!(state, None | Some('Z'))
    });
    if stopped {
        // SAFETY: as above.
        unsafe { libc::kill(tracer_pid, libc::SIGCONT) };
    }
    let status = wait_with_deadline(&mut child, Duration::from_secs(10)).expect("tracer ends");
    // The command, if it lives on, touches the flag 0.8 s after it started.
    let deadline = Instant::now() + Duration::from_secs(2);
    while !flag.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    (status.code(), status.signal(), flag.exists(), stopped)
}

#[test]
fn interruptible_decides_what_sigterm_and_sigtstp_do() {
    let dir = scratch_dir("interruptible");
    for (intr, sig) in [
        ("1", libc::SIGTERM),
        ("anywhere", libc::SIGTERM),
        ("2", libc::SIGTERM),
        ("waiting", libc::SIGINT),
        ("3", libc::SIGTERM),
        ("never", libc::SIGHUP),
        ("4", libc::SIGTERM),
        ("never_tstp", libc::SIGTSTP),
        ("3", libc::SIGTSTP),
    ] {
        // Both at once: each case takes a second or two of waiting.
        let (theirs, mine) = std::thread::scope(|s| {
            let theirs = s.spawn(|| interrupt(STRACE, intr, sig, &dir.join("strace.flag")));
            let mine = interrupt(STRACE_LITE, intr, sig, &dir.join("lite.flag"));
            (theirs.join().expect("strace run"), mine)
        });
        assert_eq!(theirs, mine, "-I {intr}, signal {sig}");
    }
}

#[test]
fn the_command_keeps_the_signals_its_caller_ignored() {
    // A shell's background job ignores SIGINT and SIGQUIT, and `nohup` ignores SIGHUP: the
    // traced command starts with them ignored, as strace's does, though the tracer itself
    // handles them.
    use std::os::unix::process::CommandExt;
    let run = |tracer: &str| {
        let mut cmd = Command::new(tracer);
        cmd.args(["-e", "trace=none", "grep", "SigIgn", "/proc/self/status"])
            .stdin(Stdio::null());
        // SAFETY: only signal(2), async-signal-safe, between fork and exec.
        unsafe {
            cmd.pre_exec(|| {
                for sig in [libc::SIGINT, libc::SIGQUIT, libc::SIGHUP] {
                    libc::signal(sig, libc::SIG_IGN);
                }
                Ok(())
            });
        }
        output_with_deadline(&mut cmd, Duration::from_secs(30))
    };
    let (theirs, mine) = (run(STRACE), run(STRACE_LITE));
    let mask = |out: &str| {
        let hex = out
            .trim()
            .strip_prefix("SigIgn:")
            .expect("a SigIgn line")
            .trim();
        u64::from_str_radix(hex, 16).expect("a hex mask")
    };
    let want = (1 << (libc::SIGINT - 1)) | (1 << (libc::SIGQUIT - 1)) | (1 << (libc::SIGHUP - 1));
    assert_eq!(
        mask(&theirs.stdout) & want,
        want,
        "strace: {}",
        theirs.stdout
    );
    assert_eq!(
        mask(&mine.stdout),
        mask(&theirs.stdout),
        "strace-lite: {}",
        mine.stdout
    );
}
