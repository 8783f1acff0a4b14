//! `--json`: every line is one JSON object, and rebuilding the text output from the
//! objects (name, argument texts, return text; signal, stop and exit lines) gives back
//! exactly what strace-lite prints without `--json` for the same program.

mod common;

use common::*;
use serde_json::Value;

/// The text line a JSON record stands for.
fn as_text(v: &Value) -> String {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
    match v["type"].as_str() {
        Some("syscall") => {
            let args: Vec<&str> = v["args"]
                .as_array()
                .expect("args")
                .iter()
                .map(|a| a["text"].as_str().expect("arg text"))
                .collect();
            format!("{}({}) = {}", s("name"), args.join(", "), s("return_text"))
        }
        Some("signal") => match v["siginfo"].as_str() {
            Some(info) => format!("--- {} {info} ---", s("signal")),
            None => format!("--- {} ---", s("signal")),
        },
        Some("stopped") => format!("--- stopped by {} ---", s("signal")),
        Some("exited") => format!("+++ exited with {} +++", v["status"]),
        Some("killed") => format!(
            "+++ killed by {}{} +++",
            s("signal"),
            if v["core_dumped"] == true {
                " (core dumped)"
            } else {
                ""
            }
        ),
        other => panic!("unknown record type {other:?}: {v}"),
    }
}

/// The values the text shows agree with the typed fields.
fn check_fields(v: &Value) {
    if v["type"] != "syscall" {
        return;
    }
    let ret = v["return_text"].as_str().expect("return_text");
    match v["errno"].as_str() {
        Some(e) => {
            assert!(ret.contains(&format!(" {e} (")), "{v}");
            let msg = v["error"].as_str().expect("error");
            assert!(ret.contains(&format!("({msg})")), "{v}");
            assert_eq!(v["retval"].as_i64().map(|r| r < 0), Some(true), "{v}");
        }
        None if ret == "?" => assert!(v["retval"].is_null(), "{v}"),
        None => {
            let first = ret.split([' ', '<']).next().unwrap_or_default();
            let shown = match first.strip_prefix("0x") {
                Some(h) => u64::from_str_radix(h, 16).ok().map(|x| x as i64),
                None if first.len() > 1 && first.starts_with('0') => {
                    i64::from_str_radix(first, 8).ok()
                }
                None => first.parse::<i64>().ok(),
            };
            assert_eq!(shown, v["retval"].as_i64(), "{v}");
        }
    }
    assert!(v["duration"].as_f64().is_some_and(|d| d >= 0.0), "{v}");
    assert!(v["time"].as_f64().is_some_and(|t| t > 1e9), "{v}");
    for a in v["args"].as_array().expect("args") {
        if a["type"] == "int" {
            assert_eq!(
                a["text"]
                    .as_str()
                    .map(str::parse::<i64>)
                    .and_then(Result::ok),
                a["value"].as_i64(),
                "{v}"
            );
        }
    }
}

fn round_trip(test: &str, options: &[&str], program_name: &str, args: &[&str]) {
    let dir = scratch_dir(test);
    let prog = program(program_name);
    let work = WorkDir::new(test);
    let args = work.args(args);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut traces = Vec::new();
    for (name, json) in [("text", false), ("json", true)] {
        work.fresh();
        let out = dir.join(name);
        let mut opts = options.to_vec();
        if json {
            opts.push("--json");
        }
        trace(STRACE_LITE, &opts, &out, &prog, &args);
        traces.push(std::fs::read_to_string(&out).expect("trace"));
    }
    let mut rebuilt = Vec::new();
    let mut pids = std::collections::HashSet::new();
    for (i, line) in traces[1].lines().enumerate() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{test}: line {} is not JSON ({e}): {line}", i + 1));
        assert!(v.is_object(), "{line}");
        pids.insert(v["pid"].as_i64().expect("pid"));
        check_fields(&v);
        rebuilt.push(as_text(&v));
    }
    assert_eq!(pids.len(), 1, "{test}: one process");
    // Inode numbers of pipes and sockets, and -T's durations, differ between the runs.
    let varying = regex::Regex::new(r":\[\d+\]| <\d+\.\d+>$").expect("regex");
    let fix = |lines: Vec<String>| -> Vec<String> {
        lines
            .into_iter()
            .map(|l| collapse_alignment(&varying.replace_all(&l, "")))
            .collect()
    };
    let text = fix(normalize(&traces[0]));
    let rebuilt = fix(normalize(&rebuilt.join("\n")));
    assert_same(test, &text, &rebuilt);
}

#[test]
fn files_round_trip() {
    round_trip("json-files", &[], "files", &["$DIR"]);
    round_trip("json-files-yy", &["-yy", "-T"], "files", &["$DIR"]);
}

#[test]
fn network_and_readiness_round_trip() {
    round_trip("json-net", &[], "net", &["$DIR"]);
    round_trip("json-poll", &[], "poll", &[]);
}

#[test]
fn signals_and_a_killed_tracee_round_trip() {
    round_trip("json-signals", &[], "signals", &[]);
    round_trip("json-killed", &[], "killed", &["15"]);
}

/// Under -f records are whole calls (no `<unfinished ...>`): every line still parses,
/// and each process has as many records as its reassembled text trace has lines.
#[test]
fn processes_under_f() {
    let dir = scratch_dir("json-procs");
    let prog = program("procs");
    trace(STRACE_LITE, &["-f"], &dir.join("text"), &prog, &[]);
    trace(
        STRACE_LITE,
        &["-f", "--json"],
        &dir.join("json"),
        &prog,
        &[],
    );
    let text = normalize(&std::fs::read_to_string(dir.join("text")).expect("text"));
    let groups = reassemble(&text);
    assert_eq!(groups.len(), 4, "procs runs four processes: {text:#?}");
    let json = std::fs::read_to_string(dir.join("json")).expect("json");
    let mut per_pid: Vec<(i64, usize)> = Vec::new();
    for line in json.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let pid = v["pid"].as_i64().expect("pid");
        match per_pid.iter_mut().find(|(p, _)| *p == pid) {
            Some((_, n)) => *n += 1,
            None => per_pid.push((pid, 1)),
        }
    }
    let mut theirs: Vec<usize> = groups.iter().map(|g| g.1.len()).collect();
    let mut mine: Vec<usize> = per_pid.iter().map(|p| p.1).collect();
    theirs.sort();
    mine.sort();
    assert_eq!(theirs, mine);
}
