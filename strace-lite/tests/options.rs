//! strace's options, each checked against the real strace on the same program (filters,
//! string and constant styles, fd decoration, result filters, the summary table) or, for
//! what depends on the clock, against strace's format.

mod common;

use common::*;
use regex::Regex;

/// Also hide socket/pipe inode numbers and ports inside `-yy` decorations.
fn normalize_fds(lines: Vec<String>) -> Vec<String> {
    let inode = Regex::new(r":\[\d+\]").expect("regex");
    let port = Regex::new(r":\d{4,5}([\]-])").expect("regex");
    lines
        .into_iter()
        .map(|l| {
            let l = inode.replace_all(&l, ":[INODE]").into_owned();
            collapse_alignment(&port.replace_all(&l, ":PORT$1"))
        })
        .collect()
}

fn assert_matches(test: &str, options: &[&str], program: &str, args: &[&str]) {
    let (theirs, mine, theirs_run, mine_run) = both(test, options, program, args);
    assert!(
        !theirs.is_empty(),
        "{test}: strace wrote no trace: {}",
        theirs_run.stderr
    );
    assert_same_end(test, &theirs_run, &mine_run);
    assert_same(
        &format!("{test} {options:?}"),
        &normalize_fds(theirs),
        &normalize_fds(mine),
    );
}

/// Both tracers ended the same way (the traced program's exit code, or its signal).
fn assert_same_end(test: &str, theirs: &Run, mine: &Run) {
    use std::os::unix::process::ExitStatusExt;
    let end = |run: &Run| (run.status.code(), run.status.signal());
    assert_eq!(end(theirs), end(mine), "{test}: {}", mine.stderr);
}

#[test]
fn trace_sets_names_negation_classes_and_regex() {
    for (i, set) in [
        "trace=%file",
        "trace=!read,write,mmap",
        "trace=/^(open|close)",
        "trace=%desc",
        "trace=%memory",
        "trace=%%stat",
        "trace=%process",
        "trace=%signal",
        "trace=none",
        "openat,close",
    ]
    .iter()
    .enumerate()
    {
        assert_matches(&format!("set{i}"), &["-e", set], "files", &["$DIR"]);
    }
    assert_matches("net-class", &["-e", "trace=%net"], "net", &["$DIR"]);
}

#[test]
fn string_limits_and_hex_strings() {
    assert_matches("s8", &["-s", "8"], "files", &["$DIR"]);
    assert_matches("s0", &["-s", "0"], "files", &["$DIR"]);
    assert_matches("x", &["-x"], "files", &["$DIR"]);
    assert_matches("xx", &["-xx"], "files", &["$DIR"]);
}

#[test]
fn successful_and_failed_only() {
    assert_matches("z", &["-z"], "files", &["$DIR"]);
    assert_matches("Z", &["-Z"], "files", &["$DIR"]);
}

#[test]
fn constant_styles() {
    assert_matches("Xraw", &["-X", "raw"], "files", &["$DIR"]);
    assert_matches("Xverbose", &["-X", "verbose"], "files", &["$DIR"]);
    assert_matches("Xverbose-procs", &["-X", "verbose"], "procs", &[]);
    // Socket types, socket addresses, handlers, siginfo, UTIME_*, statx flags: strace
    // prints their parts raw, not the decoded form.
    for style in ["raw", "verbose"] {
        assert_matches(&format!("X{style}-xraw"), &["-X", style], "xraw", &["$DIR"]);
        assert_matches(&format!("X{style}-net"), &["-X", style], "net", &["$DIR"]);
        assert_matches(&format!("X{style}-signals"), &["-X", style], "signals", &[]);
    }
    assert_matches("Xraw-garbage", &["-X", "raw"], "garbage", &[]);
}

#[test]
fn fd_paths_and_socket_details() {
    assert_matches("y", &["-y"], "files", &["$DIR"]);
    assert_matches("yy", &["-yy"], "files", &["$DIR"]);
    assert_matches("y-net", &["-y"], "net", &["$DIR"]);
    assert_matches("yy-poll", &["-yy"], "poll", &[]);
    assert_matches("yy-bound", &["-yy"], "bound", &[]);
}

#[test]
fn verbose_structures_and_environment() {
    assert_matches("v-procs", &["-v"], "procs", &[]);
    assert_matches("v-net", &["-v"], "net", &["$DIR"]);
}

#[test]
fn alignment_column_signal_filter_and_quiet() {
    assert_matches("a20", &["-a", "20"], "files", &["$DIR"]);
    assert_matches("a60", &["-a60"], "signals", &[]);
    assert_matches("nosig", &["-e", "signal=none"], "signals", &[]);
    assert_matches("sigset", &["-e", "signal=!SIGALRM"], "signals", &[]);
    assert_matches("qq", &["-qq"], "killed", &["9"]);
}

/// The summary table's counts (`calls`, `errors`, `syscall`) equal strace's; the times
/// are the machine's.
#[test]
fn summary_counts_match() {
    let strip_times = |lines: Vec<String>| -> Vec<String> {
        let re = Regex::new(r"^ *[0-9.]+ +[0-9.]+ +[0-9]+ ").expect("regex");
        lines
            .into_iter()
            .map(|l| re.replace(&l, "").into_owned())
            .collect()
    };
    for (opts, program) in [
        (&["-c", "-S", "name"][..], "files"),
        (&["-c", "-w", "-S", "name"], "files"),
        (&["-C", "-S", "name"], "files"),
        (&["-c", "-f", "-S", "name"], "procs"),
        // Handlers return through rt_sigreturn, whose exit shows no number (orig_rax is
        // -1 then); and a fork without -f.
        (&["-c", "-S", "name"], "signals"),
    ] {
        let args: &[&str] = if program == "files" { &["$DIR"] } else { &[] };
        let (theirs, mine, theirs_run, mine_run) = both("summary", opts, program, args);
        assert!(theirs.iter().any(|l| l.ends_with(" total")));
        assert_same_end(&format!("{opts:?}"), &theirs_run, &mine_run);
        assert_same(
            &format!("{opts:?}"),
            &strip_times(theirs),
            &strip_times(mine),
        );
    }
}

#[test]
fn timestamps_and_durations_have_straces_format() {
    let dir = scratch_dir("times");
    let prog = program("poll");
    let out = dir.join("t.out");
    let cases: [(&[&str], &str); 5] = [
        (&["-t"], r"^\d\d:\d\d:\d\d [a-z_0-9]+\("),
        (&["-tt"], r"^\d\d:\d\d:\d\d\.\d{6} [a-z_0-9]+\("),
        (&["-ttt"], r"^\d{10}\.\d{6} [a-z_0-9]+\("),
        (&["-r"], r"^ +\d+\.\d{6} [a-z_0-9]+\("),
        (&["-T"], r"^[a-z_0-9]+\(.*\) += .* <\d+\.\d{6}>$"),
    ];
    for (opts, pattern) in cases {
        let re = Regex::new(pattern).expect("regex");
        trace(STRACE_LITE, opts, &out, &prog, &[]);
        let text = std::fs::read_to_string(&out).expect("trace");
        let syscall_lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.contains("+++") && !l.contains("= ?"))
            .collect();
        assert!(syscall_lines.len() > 20, "{opts:?}: {text}");
        for line in syscall_lines {
            assert!(
                re.is_match(line),
                "{opts:?}: {line:?} does not match {pattern}"
            );
        }
    }
}

#[test]
fn trace_goes_to_stderr_without_o_and_stdout_is_the_tracees() {
    let prog = program("threads");
    let out = output_with_deadline(
        std::process::Command::new(STRACE_LITE)
            .args(["-e", "trace=write"])
            .arg(&prog)
            .stdin(std::process::Stdio::null()),
        std::time::Duration::from_secs(30),
    );
    let (stdout, stderr) = (out.stdout, out.stderr);
    assert_eq!(stdout, "one.\n\ntwo.\n\ndone\n");
    assert!(stderr.contains("write(1, \"done\\n\", 5)"), "{stderr}");
    assert!(stderr.ends_with("+++ exited with 0 +++\n"), "{stderr}");
}

/// `--latency`: strace's table unchanged (compared with strace's, times aside), then a
/// table of p50/p99/max per syscall that agrees with the `-T` times of the same run.
#[test]
fn latency_percentiles_after_straces_table() {
    let dir = scratch_dir("latency");
    let prog = program("files");
    let work = dir.join("work");
    std::fs::create_dir_all(&work).expect("work");
    let w = work.to_str().expect("utf8");
    let theirs_path = dir.join("strace.out");
    let mine_path = dir.join("lite.out");
    trace(STRACE, &["-c", "-S", "name"], &theirs_path, &prog, &[w]);
    std::fs::remove_dir_all(&work).expect("clean");
    std::fs::create_dir_all(&work).expect("work");
    trace(
        STRACE_LITE,
        &["-c", "-S", "name", "--latency"],
        &mine_path,
        &prog,
        &[w],
    );
    let theirs = std::fs::read_to_string(&theirs_path).expect("strace");
    let mine = std::fs::read_to_string(&mine_path).expect("lite");
    let (table, latency) = mine.split_once("\n\n").expect("two tables");
    let times = Regex::new(r"(?m)^ *[0-9.]+ +[0-9.]+ +[0-9]+ ").expect("regex");
    assert_eq!(
        times.replace_all(theirs.trim_end(), ""),
        times.replace_all(table, ""),
        "strace's table"
    );
    let names: Vec<&str> = table
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().last())
        .filter(|n| *n != "total" && !n.starts_with('-'))
        .collect();
    assert!(names.len() >= 5, "{table}");
    let latency_names: Vec<&str> = latency
        .lines()
        .skip(2)
        .filter_map(|l| l.split_whitespace().last())
        .collect();
    assert_eq!(names, latency_names);

    // -C -T -w: each call's duration is on its line; the percentiles must be theirs.
    let both_path = dir.join("both.out");
    std::fs::remove_dir_all(&work).expect("clean");
    std::fs::create_dir_all(&work).expect("work");
    trace(
        STRACE_LITE,
        &["-C", "-T", "-w", "--latency"],
        &both_path,
        &prog,
        &[w],
    );
    let text = std::fs::read_to_string(&both_path).expect("lite");
    let line = Regex::new(r"^([a-z_0-9]+)\(.* <(\d+)\.(\d{6})>$").expect("regex");
    let mut by_name: std::collections::HashMap<String, Vec<f64>> = Default::default();
    for l in text.lines() {
        if let Some(c) = line.captures(l) {
            let us = c[2].parse::<f64>().expect("s") * 1e6 + c[3].parse::<f64>().expect("us");
            by_name.entry(c[1].to_string()).or_default().push(us);
        }
    }
    let (_, latency) = text.split_once("\n\n").expect("latency table");
    let mut checked = 0;
    for l in latency.lines().skip(2) {
        let f: Vec<&str> = l.split_whitespace().collect();
        let Some(mut samples) = by_name.get(f[3]).cloned() else {
            continue;
        };
        samples.sort_by(f64::total_cmp);
        let rank =
            |p: f64| samples[((p / 100.0 * samples.len() as f64).ceil() as usize).max(1) - 1];
        for (i, p) in [(0, 50.0), (1, 99.0), (2, 100.0)] {
            let shown: f64 = f[i].parse().expect("number");
            // -T truncates to the microsecond; the table is within 1/64 below the time.
            let exact = rank(p);
            assert!(
                shown >= exact * (1.0 - 1.0 / 64.0) - 0.1 && shown <= exact + 1.1,
                "{l}: column {i} is {shown}, the -T times give {exact}"
            );
        }
        checked += 1;
    }
    assert!(checked >= 5, "{latency}");
}
