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

fn wait_for(path: &std::path::Path, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = records(path);
        if r.len() >= count || Instant::now() > deadline {
            return r;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn names_the_source_once_then_pushes_only_changes() {
    let dir = std::env::temp_dir().join(format!("devstats-reporter-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let sink = dir.join("sink");
    std::fs::write(&sink, "").unwrap();

    let counters = Arc::new(Counters::default());
    let reporter = Reporter::start_at(
        &sink,
        "test-srv",
        Arc::clone(&counters),
        Duration::from_millis(10),
    );
    let first = wait_for(&sink, 1);
    assert_eq!(
        first[0],
        "name=test-srv\nconns_active=0\nconns_total=0\nrequests=0\nbytes_in=0\nbytes_out=0\nerrors=0\n"
    );

    // Nothing changes for many intervals: nothing more is written.
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(records(&sink).len(), 1);

    counters.connection_opened();
    counters.add_requests(3);
    counters.add_bytes_in(100);
    let second = wait_for(&sink, 2);
    assert_eq!(
        second[1],
        "conns_active=1\nconns_total=1\nrequests=3\nbytes_in=100\nbytes_out=0\nerrors=0\n"
    );

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

#[test]
fn missing_device_is_a_no_op() {
    let counters = Arc::new(Counters::default());
    let reporter = Reporter::start_at(
        "/nonexistent/mydevice",
        "nowhere",
        Arc::clone(&counters),
        Duration::from_millis(1),
    );
    counters.add_requests(1);
    reporter.stop();
}

#[test]
fn closing_a_connection_never_goes_below_zero() {
    let counters = Counters::default();
    counters.connection_closed();
    assert_eq!(counters.snapshot().0[0], 0);
}
