//! strace's qualifiers and filters that used to be usage errors (issue 21), each traced
//! with the real strace and with strace-lite on the same program and compared line by
//! line: `-P`, `-e read=`/`-e write=` dumps, `-e status=`, `-e quiet=`, syscall numbers
//! and personalities in `-e trace=`, `-e raw=`, `-e abbrev=`, and the summary's `-S`
//! keys with `-O`.

mod common;

use common::*;
use regex::Regex;

/// Socket inode numbers and ports inside `-y` decorations and dumps vary between runs.
fn normalize_more(lines: Vec<String>) -> Vec<String> {
    let inode = Regex::new(r":\[\d+\]").expect("regex");
    lines
        .into_iter()
        .map(|l| collapse_alignment(&inode.replace_all(&l, ":[INODE]")))
        .collect()
}

/// Both tracers with `options` on `program args`: the same trace, the same end, and the
/// same messages on stderr (strace-lite's name aside). Returns strace's trace.
fn assert_matches(test: &str, options: &[&str], program: &str, args: &[&str]) -> Vec<String> {
    let (theirs, mine, theirs_run, mine_run) = both(test, options, program, args);
    assert_eq!(
        theirs_run.status.code(),
        mine_run.status.code(),
        "{test}: {}",
        mine_run.stderr
    );
    assert_eq!(
        theirs_run.stderr.replace(STRACE, "strace"),
        mine_run.stderr.replace("strace-lite", "strace"),
        "{test} {options:?}: messages"
    );
    let theirs = normalize_more(theirs);
    assert_same(
        &format!("{test} {options:?}"),
        &theirs,
        &normalize_more(mine),
    );
    theirs
}

#[test]
fn trace_path_selects_calls_by_path_and_by_descriptor() {
    // The directory `both` runs the program in, for each test name.
    let abs = |test: &str| format!("{}/data.txt", WorkDir::new(test).path().display());
    // The program opens "data.txt" relative to its directory: the relative spelling
    // matches the path arguments, the absolute one what its descriptors link to.
    let t = assert_matches(
        "tp-both",
        &["-P", "data.txt", "-P", &abs("tp-both")],
        "files",
        &["$DIR"],
    );
    assert!(t.iter().any(|l| l.starts_with("read(3, ")), "{t:#?}");
    assert!(
        t.iter().any(|l| l.starts_with("rename(\"data.txt\"")),
        "{t:#?}"
    );
    assert!(!t.iter().any(|l| l.starts_with("mmap(")), "{t:#?}");
    let t = assert_matches("tp-rel", &["--trace-path=data.txt"], "files", &["$DIR"]);
    assert!(!t.iter().any(|l| l.starts_with("read(3, ")), "{t:#?}");
    let t = assert_matches(
        "tp-abs",
        &["--trace-path", &abs("tp-abs")],
        "files",
        &["$DIR"],
    );
    assert!(t.iter().any(|l| l.starts_with("close(3)")), "{t:#?}");
    // A path nothing touches: only the exit line.
    let t = assert_matches("tp-none", &["-P", "/nonexistent/x"], "files", &["$DIR"]);
    assert_eq!(t, ["+++ exited with 3 +++"]);
    // A path through a symlink is also traced as what it resolves to, with strace's
    // message (not with quiet=path-resolution).
    assert_matches("tp-resolved", &["-P", "/bin/sh"], "files", &["$DIR"]);
    assert_matches(
        "tp-quiet",
        &["-P", "/bin/sh", "-e", "quiet=path-resolution"],
        "files",
        &["$DIR"],
    );
    // Descriptors of sockets and pipes are paths too (socket:[N]): none here.
    assert_matches("tp-net", &["-P", "/dev/null"], "net", &["$DIR"]);
}

#[test]
fn read_and_write_dumps() {
    let t = assert_matches(
        "dump-3",
        &["-e", "read=3", "-e", "write=3"],
        "files",
        &["$DIR"],
    );
    assert!(
        t.iter()
            .any(|l| l.starts_with(" | 00000  68 65 6c 6c 6f 09")),
        "{t:#?}"
    );
    assert!(t.iter().any(|l| l == " * 3 bytes in buffer 0"), "{t:#?}");
    assert_matches(
        "dump-all",
        &["-e", "read=all", "-e", "write=all"],
        "files",
        &["$DIR"],
    );
    assert_matches(
        "dump-long",
        &["--read=!1", "--write=3,4"],
        "files",
        &["$DIR"],
    );
    // sendto/recvfrom, sendmsg/recvmsg (a buffer per iovec, read ones cut at the
    // length received).
    let t = assert_matches(
        "dump-net",
        &["-e", "reads=all", "-e", "w=all"],
        "net",
        &["$DIR"],
    );
    assert!(t.iter().any(|l| l == " * 1 bytes in buffer 1"), "{t:#?}");
    // Under -e verbose=none the calls show addresses, and their data is dumped still.
    let t = assert_matches(
        "dump-nonverbose",
        &["-e", "verbose=none", "-e", "read=all", "-e", "write=all"],
        "net",
        &["$DIR"],
    );
    assert!(t.iter().any(|l| l == " * 1 bytes in buffer 1"), "{t:#?}");
    // Dumps follow the line they belong to, also when -z holds lines back.
    assert_matches("dump-z", &["-z", "-e", "read=3"], "files", &["$DIR"]);
}

#[test]
fn status_sets() {
    for (i, set) in [
        "status=failed",
        "status=!successful",
        "status=successful,unfinished",
        "status=unfinished",
        "status=none",
        "status=all",
        "status=detached,unavailable",
    ]
    .iter()
    .enumerate()
    {
        assert_matches(&format!("status{i}"), &["-e", set], "files", &["$DIR"]);
    }
    // exit_group never returns: it is `unfinished`.
    let t = assert_matches("status-long", &["--status=unfinished"], "procs", &[]);
    assert!(t.iter().any(|l| l.starts_with("exit_group(")), "{t:#?}");
    // -z and -Z: the last one wins, with strace's warning.
    assert_matches("status-zZ", &["-z", "-Z"], "files", &["$DIR"]);
    assert_matches("status-Zz", &["-Z", "-z"], "files", &["$DIR"]);
    assert_matches(
        "status-ez",
        &["-e", "status=failed", "-z"],
        "files",
        &["$DIR"],
    );
}

#[test]
fn quiet_sets() {
    assert_matches("quiet-exit", &["-e", "quiet=exit"], "files", &["$DIR"]);
    assert_matches("quiet-all", &["--quiet=all"], "signals", &[]);
    assert_matches("quiet-silence", &["--silence=exits"], "signals", &[]);
    assert_matches("quiet-none", &["-e", "quiet=none"], "signals", &[]);
    assert_matches("qqq", &["-qqq"], "signals", &[]);
    // thread-execve: no `+++ superseded` line.
    let (theirs, mine, ..) = both(
        "quiet-superseded",
        &[
            "-f",
            "-e",
            "quiet=superseded",
            "-e",
            "trace=execve,exit_group",
        ],
        "thread_exec",
        &[],
    );
    assert!(
        !theirs.iter().any(|l| l.contains("superseded")),
        "{theirs:#?}"
    );
    assert!(theirs.iter().any(|l| l.contains("execve(")), "{theirs:#?}");
    assert!(!mine.iter().any(|l| l.contains("superseded")), "{mine:#?}");
    assert_eq!(theirs.len(), mine.len(), "{theirs:#?}\n{mine:#?}");
}

#[test]
fn syscall_numbers_and_personalities_in_trace_sets() {
    for (i, set) in [
        "3",
        "trace=0,1,257,2",
        "t=!!write",
        "trace=%file@64",
        "trace=/^(open|close)@64",
        "trace=read@32,?nosuch,write",
        "trace=!%desc,42",
        "trace=/^[a-c]",
    ]
    .iter()
    .enumerate()
    {
        assert_matches(&format!("nr{i}"), &["-e", set], "files", &["$DIR"]);
    }
}

#[test]
fn raw_and_abbrev_sets() {
    let t = assert_matches("raw-some", &["-e", "raw=read,openat"], "files", &["$DIR"]);
    assert!(
        t.iter()
            .any(|l| l.starts_with("read(0x3, 0xADDR, 0xa) = 0xa")),
        "{t:#?}"
    );
    // (set_tid_address's pid, in hex, would not be normalised.)
    assert_matches(
        "raw-all",
        &["--raw=all", "-e", "trace=!set_tid_address"],
        "files",
        &["$DIR"],
    );
    // Whole structures and environments for the calls outside abbrev= (stat's times
    // differ between the two runs: left out).
    assert_matches(
        "abbrev-none",
        &["-e", "abbrev=none", "-e", "trace=!%%stat"],
        "procs",
        &[],
    );
    assert_matches(
        "abbrev-some",
        &["-e", "abbrev=!execve", "-e", "trace=!%%stat"],
        "procs",
        &[],
    );
}

/// `-e verbose=SET`: the calls outside the set print their structures, arrays and numbers
/// behind pointers as addresses (strings and buffers still read), in every family.
#[test]
fn verbose_sets() {
    for (program, args) in [
        ("files", &["$DIR"][..]),
        ("net", &["$DIR"]),
        ("signals", &[]),
        ("procs", &[]),
        ("poll", &[]),
        ("fds", &["$DIR"]),
        ("garbage", &[]),
        ("unsigned_fields", &[]),
        ("sockopts", &[]),
        ("fcntl_cmds", &[]),
        ("exec_arrays", &[]),
        ("named_constants", &[]),
        ("unread_memory", &[]),
        ("xattrs", &["$DIR"]),
        ("open_how", &["$DIR"]),
        ("clone3_args", &[]),
        ("iovecs", &["$DIR"]),
        ("robust_list", &[]),
    ] {
        let t = assert_matches(
            &format!("verbose-none-{program}"),
            &["-e", "verbose=none", "-e", "trace=!%%stat"],
            program,
            args,
        );
        assert!(
            t.iter()
                .any(|l| l.starts_with("execve(\"") && l.contains("\", 0xADDR, 0xADDR)")),
            "{t:#?}"
        );
    }
    let t = assert_matches(
        "verbose-some",
        &["-e", "verbose=!execve,fstat", "-e", "trace=!%%stat"],
        "procs",
        &[],
    );
    assert!(
        t.iter()
            .any(|l| l.starts_with("execve(\"") && l.contains("0xADDR")),
        "{t:#?}"
    );
}

/// With `-O 1s` every call's time is taken down to zero: the tables are deterministic,
/// and the order of calls that tie is strace's (by number), whatever the key.
#[test]
fn summary_sort_keys_and_overhead() {
    for key in [
        "avg_time", "avg-time", "min_time", "shortest", "max-time", "longest", "time", "calls",
        "errors", "nothing", "none", "name",
    ] {
        let t = assert_matches(
            &format!("sort-{key}"),
            &["-c", "-O", "1s", "-S", key],
            "files",
            &["$DIR"],
        );
        assert!(t.iter().any(|l| l.ends_with(" total")), "{t:#?}");
    }
    assert_matches(
        "overhead-us",
        &[
            "-C",
            "-w",
            "--summary-syscall-overhead=5000000",
            "--summary-sort-by=avg-time",
        ],
        "files",
        &["$DIR"],
    );
    assert_matches("overhead-float", &["-c", "-O", "2.5s"], "procs", &[]);
}

/// `-U`: the summary's columns, in the order given, the name column added last when left
/// out, each as wide as its widest value (`-O 1s` takes every time to zero; the long
/// names of fds.c's calls widen the name column).
#[test]
fn summary_columns() {
    for (i, columns) in [
        "time-percent,max_time,syscall_name",
        "time,time_min,name",
        "calls,errors",
        "name,calls,total-time,avg_time,shortest,longest,errors,time_percent",
        "errors,syscall",
    ]
    .iter()
    .enumerate()
    {
        let t = assert_matches(
            &format!("columns-{i}"),
            &["-c", "-O", "1s", "-U", columns, "-S", "calls"],
            "fds",
            &["$DIR"],
        );
        assert!(t.iter().any(|l| l.contains("total")), "{t:#?}");
    }
    assert_matches(
        "columns-C",
        &[
            "-C",
            "-O",
            "1s",
            "--summary-columns=calls,name",
            "-e",
            "trace=!%%stat",
        ],
        "files",
        &["$DIR"],
    );
}
