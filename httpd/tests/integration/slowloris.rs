//! 1,000 slowloris connections (a request head that never ends) do not stop a normal
//! client: its requests are answered while they hang (its latency is printed, not asserted),
//! and the slow ones get a 408 and are closed at the header deadline.

use crate::common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

const SLOW: usize = 1000;

/// Raises this process's descriptor limit to its hard limit (the slow clients need them).
fn raise_nofile() -> u64 {
    // SAFETY: get/setrlimit on a local struct.
    unsafe {
        let mut r: libc::rlimit = std::mem::zeroed();
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut r);
        r.rlim_cur = r.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &r);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut r);
        r.rlim_cur
    }
}

#[test]
fn a_thousand_slowloris_connections_do_not_stop_a_normal_client() {
    if raise_nofile() < (SLOW + 200) as u64 {
        eprintln!("note: descriptor limit too low for {SLOW} connections, skipped");
        return;
    }
    let server = Server::start_with(&["--header-timeout", "3s"]);
    let mut slow = Vec::with_capacity(SLOW);
    for i in 0..SLOW {
        let mut s = TcpStream::connect(server.addr).expect("connect a slow client");
        s.write_all(format!("GET /?{i} HTTP/1.1\r\nHost: t\r\nX-a: ").as_bytes())
            .unwrap();
        slow.push(s);
    }
    // A byte more on each, as a slowloris does to look alive.
    for s in &mut slow {
        let _ = s.write_all(b"b");
    }
    let mut worst = Duration::ZERO;
    for _ in 0..20 {
        let t = Instant::now();
        assert_eq!(curl(&[&server.url("/style.css")]).stdout, STYLE.as_bytes());
        worst = worst.max(t.elapsed());
    }
    eprintln!("normal client beside {SLOW} slowloris connections: worst latency {worst:?}");
    // The header deadline closes them all, with a 408 (best effort: the answer fits the
    // socket buffer here, so every one gets it).
    for s in &mut slow {
        s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        let mut got = Vec::new();
        match s.read_to_end(&mut got) {
            Ok(_) => {}
            Err(e) => panic!("a slow client was not closed at its deadline: {e}"),
        }
        assert!(
            got.starts_with(b"HTTP/1.1 408 Request Timeout\r\n"),
            "{:?}",
            String::from_utf8_lossy(&got)
        );
    }
    let lines = server.log_lines(20 + SLOW);
    assert_eq!(lines.iter().filter(|l| l.contains("\" 408 ")).count(), SLOW);
    assert_eq!(curl(&[&server.url("/style.css")]).stdout, STYLE.as_bytes());
}
