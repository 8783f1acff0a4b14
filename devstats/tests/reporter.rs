//! The reporter against a plain file standing in for the device: what it writes, when, and
//! what it does when the device is missing. (The real device is exercised in the VM suite.)

use devstats::{Counters, Reporter};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn records(path: &std::path::Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.split("v=1\n")
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The records once `done` holds for them (10 s at most).
fn wait_for(path: &std::path::Path, done: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = records(path);
        if done(&r) {
            return r;
        }
        assert!(Instant::now() < deadline, "records so far: {r:?}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A directory of its own for one test, emptied first.
fn scratch(test: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("devstats-reporter-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn names_the_source_once_then_pushes_only_changes() {
    let dir = scratch("changes");
    let sink = dir.join("sink");
    std::fs::write(&sink, "").unwrap();

    let counters = Arc::new(Counters::default());
    let reporter = Reporter::start_at(
        &sink,
        "test-srv",
        Arc::clone(&counters),
        Duration::from_millis(10),
    );
    let first = wait_for(&sink, |r| !r.is_empty());
    assert_eq!(
        first[0],
        "name=test-srv\nconns_active=0\nconns_total=0\nrequests=0\nbytes_in=0\nbytes_out=0\nerrors=0\n"
    );

    // Nothing changes for many intervals: nothing more is written. (An absence: the sleep
    // is the behaviour under test, and a slow machine only makes it fewer intervals.)
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(records(&sink).len(), 1);

    counters.connection_opened();
    counters.add_requests(3);
    counters.add_bytes_in(100);
    // The three updates are separate: a push may fall between them, so wait for the
    // record that has them all.
    let changed =
        "conns_active=1\nconns_total=1\nrequests=3\nbytes_in=100\nbytes_out=0\nerrors=0\n";
    let all = wait_for(&sink, |r| r.last().is_some_and(|l| l == changed));
    assert!(all.len() <= 4, "more records than changes: {all:?}");
    for pair in all.windows(2) {
        assert_ne!(pair[0], pair[1], "a record without a change: {all:?}");
    }

    // Stopping pushes the final figures.
    counters.connection_closed();
    reporter.stop();
    let all = records(&sink);
    assert!(
        all.last()
            .unwrap()
            .starts_with("conns_active=0\nconns_total=1\n"),
        "{all:?}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A device that cannot be opened: no file is made in its place (a running reporter would
/// have pushed at least its last record on `stop`), and the counters count on.
#[test]
fn missing_device_is_a_no_op() {
    let dir = scratch("missing");
    let device = dir.join("mydevice");
    let counters = Arc::new(Counters::default());
    let reporter = Reporter::start_at(
        &device,
        "nowhere",
        Arc::clone(&counters),
        Duration::from_millis(1),
    );
    counters.add_requests(1);
    reporter.stop();
    assert!(!device.exists(), "the reporter made {device:?}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    assert_eq!(counters.snapshot().0[2], 1, "requests");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn closing_a_connection_never_goes_below_zero() {
    let counters = Counters::default();
    counters.connection_closed();
    assert_eq!(counters.snapshot().0[0], 0);
}

#[test]
fn pushes_the_tls_gauges_of_a_server_that_reports_them() {
    let dir = scratch("tls");
    let sink = dir.join("sink");
    std::fs::write(&sink, "").unwrap();

    let counters = Arc::new(Counters::default());
    counters.report_tls();
    counters.connection_opened();
    counters.tls_established(true);
    let reporter = Reporter::start_at(
        &sink,
        "tls-srv",
        Arc::clone(&counters),
        Duration::from_millis(10),
    );
    let first = wait_for(&sink, |r| !r.is_empty());
    assert_eq!(
        first[0],
        "name=tls-srv\nconns_active=1\nconns_total=1\nrequests=0\nbytes_in=0\nbytes_out=0\n\
         errors=0\nconns_tls=1\nconns_ktls=1\n"
    );

    // A change of the gauges alone is a change: it is pushed.
    counters.tls_closed(true);
    let closed = "conns_active=1\nconns_total=1\nrequests=0\nbytes_in=0\nbytes_out=0\n\
                  errors=0\nconns_tls=0\nconns_ktls=0\n";
    wait_for(&sink, |r| r.last().is_some_and(|l| l == closed));
    reporter.stop();
}
