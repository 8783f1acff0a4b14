//! Crash tests: `btree torture` commits numbered transactions of a deterministic workload
//! and prints each number once its commit has returned; it is SIGKILLed at a random moment,
//! round after round on the same file. After each kill the file must open, `check` must
//! find nothing wrong, and its content must be exactly commit k or k + 1, k being the last
//! number the child printed (k + 1 if it died after its commit's meta page reached the
//! file but before it could print).
//!
//! A kill loses the process, not the page cache: this tests that no moment of a commit
//! leaves a broken file to the next writer. Power loss, where the disk keeps only what was
//! synced, is the VM test's (a later increment).
//!
//! `BTREE_CRASH_ROUNDS=N` runs N rounds instead of the default.

mod common;

use btree::workload::{self, Rng, COUNTER_KEY};
use btree::Db;
use common::{bin, contents, open, Model, TempDir};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn rounds() -> u64 {
    std::env::var("BTREE_CRASH_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300)
}

/// The commit the file is at, by its counter key.
fn commit_of(db: &Db) -> u64 {
    let r = db.read().unwrap();
    r.get(COUNTER_KEY)
        .unwrap()
        .map_or(0, |v| String::from_utf8(v).unwrap().parse().unwrap())
}

#[test]
fn sigkill_at_random_moments_leaves_the_last_commit_or_the_next() {
    run("crash", &[], rounds());
}

/// With a log region of 16 pages most small commits go to the log and a checkpoint comes
/// every few commits: kills land in both.
#[test]
fn sigkill_during_logged_commits_and_checkpoints() {
    let logged = run("crash-log", &["--log-bytes", "65536"], rounds());
    assert!(logged > 0, "no round found commits in the log");
}

/// Runs `rounds` kill rounds of `btree torture ARGS`; returns how many found commits in the
/// log after the kill.
fn run(tag: &str, args: &[&str], n: u64) -> u64 {
    let dir = TempDir::new(tag);
    let path = dir.join("crash.btree");
    drop(open(&path, 4096)); // created before the first kill, so that it is a commit
    let mut model = Model::new();
    let mut model_at = 0u64;
    let mut rng = Rng::new(2024);
    let started = Instant::now();
    let (mut reported_total, mut one_after, mut none_reported) = (0u64, 0u64, 0u64);
    let mut last_at = 0u64;
    let mut largest = 0u64;
    let mut logged = 0u64;
    for round in 0..n {
        let mut child = Command::new(bin())
            .args(["torture", path.to_str().unwrap()])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut last = None;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                last = Some(line.trim().parse::<u64>().unwrap());
                let _ = tx.send(());
            }
            last
        });
        // Kill at a random moment: mostly mid-run, sometimes before the first commit ends,
        // sometimes right after a commit was reported.
        match rng.below(4) {
            0 => std::thread::sleep(Duration::from_micros(rng.below(3000))),
            1 => {
                let _ = rx.recv_timeout(Duration::from_secs(10));
                std::thread::sleep(Duration::from_micros(rng.below(400)));
            }
            _ => std::thread::sleep(Duration::from_micros(rng.between(2000, 40_000))),
        }
        child.kill().unwrap();
        let status = child.wait().unwrap();
        let reported = reader.join().unwrap();
        if status.code().is_some() {
            let mut err = String::new();
            std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
            panic!("round {round}: the writer exited by itself ({status}): {err}");
        }

        let db = Db::open(&path, &btree::Options::default())
            .unwrap_or_else(|e| panic!("round {round}: the file does not open: {e}"));
        let report = db.check().unwrap();
        assert!(
            report.problems.is_empty(),
            "round {round}: {:#?}",
            report.problems
        );
        if report.stats.log_records > 0 {
            logged += 1;
        }
        let at = commit_of(&db);
        let k = reported.unwrap_or(last_at);
        assert!(
            at == k || at == k + 1,
            "round {round}: the writer reported commit {k}, the file is at {at}"
        );
        match reported {
            Some(r) => reported_total += r - last_at,
            None => none_reported += 1,
        }
        if at == k + 1 {
            one_after += 1;
        }
        assert!(at >= model_at);
        for c in model_at + 1..=at {
            workload::apply(&mut model, &workload::ops(c));
        }
        model_at = at;
        last_at = at;
        let got = contents(&db).unwrap();
        if got != model {
            let missing = model.keys().filter(|k| !got.contains_key(*k)).count();
            let extra = got.keys().filter(|k| !model.contains_key(*k)).count();
            let differ = got
                .iter()
                .filter(|(k, v)| model.get(*k).is_some_and(|m| m != *v))
                .count();
            panic!("round {round}, commit {at}: {missing} keys missing, {extra} extra, {differ} differ");
        }
        largest = largest.max(std::fs::metadata(&path).unwrap().len());
    }
    eprintln!(
        "{n} rounds in {:.1} s: {model_at} commits, {reported_total} reported by the writers; \
         {one_after} kills after a commit landed but before it was reported; {none_reported} \
         rounds killed before any report; {logged} rounds found commits in the log; {} \
         entries; file at most {largest} bytes",
        started.elapsed().as_secs_f64(),
        model.len()
    );
    assert!(
        model_at > n / 2,
        "too few commits to mean anything: {model_at}"
    );
    logged
}

/// A reader in this process while `btree torture` commits in another, with a small log (a
/// checkpoint every few commits, the log rewritten from its start): each snapshot read
/// whole is exactly the commit its counter says; an error is only the one a reader in
/// another process may get when the writer reuses its pages, never damage in the log.
#[test]
fn a_reader_in_another_process_sees_logged_commits_and_checkpoints() {
    let dir = TempDir::new("log-reader");
    let path = dir.join("reader.btree");
    drop(open(&path, 4096));
    let mut child = Command::new(bin())
        .args(["torture", path.to_str().unwrap()])
        .args(["--log-bytes", "65536", "--commits", "400"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let db = open(&path, 4096);
    let (mut model, mut model_at) = (Model::new(), 0u64);
    let (mut whole, mut refused) = (0u64, 0u64);
    let mut last_at = 0u64;
    loop {
        let done = child.try_wait().unwrap().is_some();
        let at = match db.read().and_then(|r| {
            let at = r
                .get(COUNTER_KEY)?
                .map_or(0, |v| String::from_utf8(v).unwrap().parse().unwrap());
            let got: btree::Result<Model> = r
                .range(std::ops::Bound::Unbounded, std::ops::Bound::Unbounded)
                .collect();
            Ok((at, got?))
        }) {
            Ok((at, got)) => {
                assert!(at >= last_at, "went back from commit {last_at} to {at}");
                for c in model_at + 1..=at {
                    workload::apply(&mut model, &workload::ops(c));
                }
                model_at = at;
                assert!(got == model, "commit {at} read back different");
                whole += 1;
                at
            }
            Err(e) => {
                let text = e.to_string();
                assert!(
                    text.contains("after this snapshot") && !text.contains("log"),
                    "{text}"
                );
                refused += 1;
                last_at
            }
        };
        last_at = at;
        if done {
            break;
        }
    }
    let status = child.wait().unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{status}: {err}");
    assert_eq!(last_at, 400, "the last snapshot is not the last commit");
    eprintln!("{whole} snapshots read whole, {refused} refused (pages reused under them)");
    assert!(whole > 10);
}
