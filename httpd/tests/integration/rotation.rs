//! Rotation by size (`log_max_size`, `log_keep`): under load the access log is renamed to
//! `access.log.1`, `.2`, ... and reopened; every request's line is in one of the files, whole,
//! and no more than `log_keep` old files are kept.

use crate::common::*;
use crate::signals::keepalive_requests;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn numbered(log: &Path, i: usize) -> PathBuf {
    PathBuf::from(format!("{}.{i}", log.display()))
}

/// A phase of load big enough to pass the limit, then a bounded wait for the rotation.
fn load_and_wait_for_rotation(server: &Server, requests: usize, max: u64) {
    let addr = server.addr;
    let clients: Vec<_> = (0..2)
        .map(|_| std::thread::spawn(move || keepalive_requests(addr, "/style.css", requests / 2)))
        .collect();
    let answered: usize = clients.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(answered, requests);
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if fs::metadata(&server.log)
            .map(|m| m.len() < max)
            .unwrap_or(false)
        {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("the access log was not rotated");
}

fn all_lines(log: &Path, keep: usize) -> Vec<String> {
    let files: Vec<PathBuf> = (1..=keep)
        .map(|i| numbered(log, i))
        .chain(std::iter::once(log.to_path_buf()))
        .collect();
    lines_of(&files)
}

#[test]
fn rotation_by_size_loses_no_line() {
    rotation_loses_no_line(&[]);
}

/// With worker processes the master renames and signals them.
#[test]
fn rotation_by_size_under_a_master_loses_no_line() {
    rotation_loses_no_line(&["--workers", "2", "--threads", "1"]);
}

fn rotation_loses_no_line(extra: &[&str]) {
    const MAX: u64 = 16 * 1024;
    let mut args = vec!["--log-max-size", "16k", "--log-keep", "50"];
    args.extend_from_slice(extra);
    let server = Server::start_with(&args);
    let mut total = 0;
    for _ in 0..3 {
        // About 90 bytes a line: 400 lines pass 16 KiB.
        load_and_wait_for_rotation(&server, 400, MAX);
        total += 400;
    }
    assert!(numbered(&server.log, 3).exists(), "three rotations");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut lines = all_lines(&server.log, 50);
    while lines.len() < total && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        lines = all_lines(&server.log, 50);
    }
    assert_eq!(lines.len(), total);
    for l in &lines {
        assert!(
            l.starts_with("127.0.0.1 - - [")
                && l.ends_with("\"GET /style.css HTTP/1.1\" 200 24 \"-\" \"load\""),
            "torn line {l:?}"
        );
    }
}

#[test]
fn rotation_keeps_at_most_log_keep_files() {
    const MAX: u64 = 4 * 1024;
    let server = Server::start_with(&["--log-max-size", "4k", "--log-keep", "2"]);
    for _ in 0..4 {
        load_and_wait_for_rotation(&server, 100, MAX);
    }
    assert!(numbered(&server.log, 1).exists());
    assert!(numbered(&server.log, 2).exists());
    assert!(!numbered(&server.log, 3).exists());
}
