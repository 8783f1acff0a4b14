//! Size and count at scale against the real binary: a gigabyte through the proxy in both
//! directions at once (spliced), every byte checked; ten thousand clients open at once,
//! each served. Waits are on events (a read, a log line), never sleeps.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::thread;
use std::time::Instant;

#[test]
fn a_gigabyte_arrives_whole_in_both_directions_at_once() {
    const LEN: u64 = 1 << 30;
    let (up, _) = server(echo);
    let p = Proxy::start(&[up], &[]);
    let pattern = Arc::new(Pattern::new());
    let start = Instant::now();
    pattern_round_trip(p.addr, LEN, &pattern);
    eprintln!("1 GiB each way through the proxy in {:?}", start.elapsed());
    let line = p.conn_line();
    assert!(line.contains(&format!("up={LEN} down={LEN}")), "{line}");
    assert!(
        line.contains("end=closed") && !line.contains("forward=copy"),
        "{line}"
    );
    // `splice-auto`: copied until a read fills the buffer, spliced from then on.
    let spliced: u64 = line
        .split("spliced=")
        .nth(1)
        .and_then(|v| v.split(' ').next())
        .and_then(|v| v.parse().ok())
        .expect("spliced= in the line");
    assert!(spliced >= LEN, "{line}");
}

/// Descriptors the proxy holds per idle connection: its two sockets (pipes are taken from
/// its pool only while bytes are in flight).
const PROXY_FDS_PER_CONN: u64 = 2;
/// The proxy's pipe pool in this test (`--max-pipes`): two descriptors each at most.
const PIPES: u64 = 64;
/// Descriptors besides the connections': the proxy's own (standard streams, epoll, the
/// listener, ...) and this process's (the test harness, the other test, the proxy's stderr).
const SPARE_FDS: u64 = 64;

#[test]
fn ten_thousand_clients_open_at_once_are_each_served() {
    // 10,000, or as many as the descriptor limit allows: the proxy (which inherits the
    // limit) needs two per connection plus its pipes, this process two (the client and the
    // upstream's end).
    let reserve = SPARE_FDS + 2 * PIPES;
    let nofile = raise_nofile(10_000 * PROXY_FDS_PER_CONN + reserve);
    let limit = nofile.limit;
    let n = (limit.saturating_sub(reserve) / PROXY_FDS_PER_CONN).min(10_000) as usize;
    match &nofile.short {
        Some(why) if n < 10_000 => {
            eprintln!("descriptor limit {limit} ({why}): {n} clients at once rather than 10,000")
        }
        _ => eprintln!("descriptor limit {limit}: {n} clients at once"),
    }
    assert!(
        n >= 100,
        "a descriptor limit of {limit} is too low for this test"
    );

    // The upstream: one thread; each connection's 8-byte id is sent back, and the
    // connection is kept until all are served; then each is read to its EOF and closed.
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    // SAFETY: a listening socket we own; listen again only lengthens its queue past std's
    // 128, so that the proxy's connects are not dropped while this thread is busy.
    assert_eq!(unsafe { libc::listen(l.as_raw_fd(), 4096) }, 0);
    let up = l.local_addr().unwrap();
    let (served_tx, served) = channel();
    let (close_tx, close) = channel::<()>();
    let upstream = thread::spawn(move || {
        let mut held = Vec::with_capacity(n);
        for _ in 0..n {
            let (mut s, _) = l.accept().unwrap();
            s.set_read_timeout(Some(WAIT)).unwrap();
            let mut id = [0u8; 8];
            s.read_exact(&mut id).unwrap();
            s.write_all(&id).unwrap();
            held.push(s);
        }
        served_tx.send(()).unwrap();
        close.recv().unwrap();
        for mut s in held {
            let mut rest = Vec::new();
            s.read_to_end(&mut rest).unwrap();
            assert!(rest.is_empty());
        }
    });

    let pipes = PIPES.to_string();
    let p = Proxy::start(
        &[up],
        &[
            "--max-connections",
            "20000",
            "--max-pipes",
            &pipes,
            "--connect-timeout",
            "60",
        ],
    );
    let base = open_fds(p.child.id());
    let start = Instant::now();
    let mut clients: Vec<TcpStream> = (0..n as u64)
        .map(|i| {
            let mut s = p.connect();
            s.write_all(&i.to_le_bytes()).unwrap();
            s
        })
        .collect();
    // Every client gets its own id back while all of them are open.
    for (i, s) in clients.iter_mut().enumerate() {
        let mut id = [0u8; 8];
        s.read_exact(&mut id).unwrap();
        assert_eq!(u64::from_le_bytes(id), i as u64);
    }
    served.recv_timeout(WAIT).unwrap();
    eprintln!("{n} clients connected and served in {:?}", start.elapsed());
    // All open and idle: two descriptors each, and the pool's pipes at most.
    let held = open_fds(p.child.id()) - base;
    eprintln!(
        "the proxy holds {held} descriptors for {n} idle connections ({:.3} each)",
        held as f64 / n as f64
    );
    assert!(
        (2 * n..=2 * n + 2 * PIPES as usize).contains(&held),
        "{held} descriptors for {n} idle connections"
    );

    // Each half-closes; the upstream sees the EOF, closes; the client sees the EOF.
    for s in &clients {
        s.shutdown(Shutdown::Write).unwrap();
    }
    close_tx.send(()).unwrap();
    for mut s in clients {
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
    }
    upstream.join().unwrap();
    for _ in 0..n {
        let line = p.conn_line();
        assert!(
            line.contains("up=8 down=8") && line.contains("end=closed"),
            "{line}"
        );
    }
    eprintln!("{n} clients in {:?} in all", start.elapsed());
}
