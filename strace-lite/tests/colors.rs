//! `--color`: with colors, the trace is the colorless trace plus escapes (so ` = ` stays
//! in its column), with syscall names, errors, signals, exits and kills each in its own
//! color; `auto` colors a terminal only, and not when NO_COLOR is set.

mod common;

use common::*;
use owo_colors::OwoColorize;
use regex::Regex;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn strip_ansi(text: &str) -> String {
    Regex::new("\x1b\\[[0-9;]*m")
        .expect("regex")
        .replace_all(text, "")
        .into_owned()
}

/// Trace `program_name` in `test`'s scratch dir (the same paths for every run of one test:
/// its work dir is emptied before each run).
fn lite_trace(test: &str, options: &[&str], program_name: &str, args: &[&str]) -> String {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("strace-lite/colors")
        .join(test);
    std::fs::create_dir_all(&dir).expect("trace dir");
    let work = WorkDir::new(test);
    work.fresh();
    let args = work.args(args);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = dir.join("trace");
    trace(STRACE_LITE, options, &out, &program(program_name), &args);
    std::fs::read_to_string(&out).expect("trace")
}

#[test]
fn colored_trace_is_the_plain_trace_with_escapes() {
    let _ = scratch_dir("color-files");
    let colored = lite_trace("color-files", &["--color=always"], "files", &["$DIR"]);
    let plain = lite_trace("color-files", &["--color=never"], "files", &["$DIR"]);
    assert!(!plain.contains('\x1b'));
    assert_same(
        "stripped",
        &normalize(&plain),
        &normalize(&strip_ansi(&colored)),
    );
    let name = Regex::new(r"^([a-z_0-9]+)\(").expect("regex");
    let mut errors = 0;
    for (c, p) in colored.lines().zip(plain.lines()) {
        if let Some(n) = name.captures(p) {
            let painted = (&n[1]).bold().cyan().to_string();
            assert!(c.starts_with(&painted), "name not colored: {c:?}");
        }
        if let Some((_, err)) = p.split_once(" = -1 ") {
            let painted = format!("-1 {err}").red().to_string();
            assert!(c.ends_with(&painted), "error not colored: {c:?}");
            errors += 1;
        }
        if p.starts_with("+++ exited") {
            assert_eq!(c, p.green().to_string());
        }
    }
    assert!(errors > 0, "files makes failing calls");
}

#[test]
fn signals_and_kills_have_their_colors() {
    let colored = lite_trace("color-signals", &["--color=always"], "signals", &[]);
    let signal_lines: Vec<&str> = colored
        .lines()
        .filter(|l| strip_ansi(l).starts_with("--- SIG"))
        .collect();
    assert!(!signal_lines.is_empty());
    for l in signal_lines {
        assert_eq!(l, strip_ansi(l).yellow().to_string());
    }
    let killed = lite_trace("color-killed", &["--color=always"], "killed", &["9"]);
    let last = killed.lines().last().expect("a line");
    assert_eq!(
        last,
        "+++ killed by SIGKILL +++".bold().magenta().to_string()
    );
}

/// Run strace-lite on /bin/true with stderr on a fresh terminal; what the terminal got.
fn on_terminal(args: &[&str], no_color: Option<&str>) -> String {
    let (master, slave) = open_pty();
    let mut cmd = Command::new(STRACE_LITE);
    cmd.args(args)
        .arg("/bin/true")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::from(slave));
    match no_color {
        Some(v) => cmd.env("NO_COLOR", v),
        None => cmd.env_remove("NO_COLOR"),
    };
    let mut child = cmd.spawn().expect("spawn");
    drop(cmd);
    // Read everything the tracer writes until it has exited and the terminal is drained.
    use std::io::Read;
    let mut file = std::fs::File::from(master);
    // SAFETY: making our own master fd non-blocking.
    unsafe {
        use std::os::fd::AsRawFd;
        let fd = file.as_raw_fd();
        libc::fcntl(
            fd,
            libc::F_SETFL,
            libc::fcntl(fd, libc::F_GETFL) | libc::O_NONBLOCK,
        );
    }
    let mut out = Vec::new();
    let start = std::time::Instant::now();
    let mut exited = false;
    loop {
        let mut buf = [0u8; 4096];
        match file.read(&mut buf) {
            Ok(n) if n > 0 => out.extend_from_slice(&buf[..n]),
            _ if exited => break,
            _ => std::thread::sleep(Duration::from_millis(5)),
        }
        if !exited && child.try_wait().expect("wait").is_some() {
            exited = true;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "tracer hangs");
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn auto_colors_a_terminal_unless_no_color() {
    let auto = on_terminal(&[], None);
    assert!(auto.contains("execve"), "{auto:?}");
    assert!(auto.contains('\x1b'), "auto on a terminal: {auto:?}");
    let no_color = on_terminal(&[], Some("1"));
    assert!(
        no_color.contains("execve") && !no_color.contains('\x1b'),
        "{no_color:?}"
    );
    let forced = on_terminal(&["--color=always"], Some("1"));
    assert!(forced.contains('\x1b'), "--color=always beats NO_COLOR");
    let never = on_terminal(&["--color=never"], None);
    assert!(never.contains("execve") && !never.contains('\x1b'));
    // Into a file (not a terminal), auto means none.
    let file = lite_trace("color-auto-file", &[], "files", &["$DIR"]);
    assert!(
        file.contains("execve") && !file.contains('\x1b'),
        "{file:?}"
    );
}

#[test]
fn a_bad_color_is_a_usage_error() {
    let run = run_lite(&["--color=sometimes", "true"]);
    assert_eq!(run.status.code(), Some(1));
    assert!(run.stderr.contains("--color"), "{}", run.stderr);
}
