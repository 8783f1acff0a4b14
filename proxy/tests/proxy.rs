//! The real `proxy` binary between real sockets: checksummed transfers both ways at once,
//! half-close, an upstream reset, all upstreams down, round-robin, max-connections, SIGTERM,
//! the copying fallback.
//! Waits are on events (a log line, a read), never sleeps; the child's stderr is drained.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::Ordering;

/// The `spliced=` bytes of a connection's log line.
fn spliced(line: &str) -> u64 {
    let v = line.split("spliced=").nth(1).expect("spliced= in the line");
    v.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn transfers_arrive_whole_in_both_directions_at_once() {
    let (up, _) = server(echo);
    // `splice-auto` (the default): 1 KiB is copied (by choice: no `forward=copy`), most of
    // 64 MiB spliced (the reads until one fills the buffer are copied).
    let p = Proxy::start(&[up], &[]);
    for len in [0, 1024, 64 << 20] {
        round_trip(&p, len);
        let line = p.conn_line();
        assert!(line.contains(&format!("up={len} down={len}")), "{line}");
        assert!(line.contains("end=closed"), "{line}");
        assert!(!line.contains("forward=copy"), "{line}");
        if len < 64 * 1024 {
            assert_eq!(spliced(&line), 0, "{line}");
        } else {
            assert!(spliced(&line) >= len, "{line}");
        }
    }
    // `forward splice`: every byte through a pipe.
    let p = Proxy::start(&[up], &["--forward", "splice"]);
    for len in [0, 1024, 64 << 20] {
        round_trip(&p, len);
        let line = p.conn_line();
        assert!(line.contains(&format!("up={len} down={len}")), "{line}");
        assert!(line.contains("end=closed"), "{line}");
        assert_eq!(spliced(&line), 2 * len, "{line}");
    }
}

#[test]
fn an_upstream_that_speaks_first_reaches_a_silent_client() {
    // A greeting sent as soon as the connection is accepted (SMTP's, a database's): the
    // upstream side is read when it is reported readable, whenever that is.
    fn greet(mut s: TcpStream, _: usize) {
        s.write_all(b"220 ready\r\n").unwrap();
        let mut rest = Vec::new();
        let _ = s.read_to_end(&mut rest);
    }
    let (up, _) = server(greet);
    let p = Proxy::start(&[up], &[]);
    let mut s = p.connect();
    let mut got = [0u8; 11];
    s.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"220 ready\r\n");
    s.shutdown(Shutdown::Write).unwrap();
    let mut rest = Vec::new();
    s.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    let line = p.conn_line();
    assert!(
        line.contains("up=0 down=11") && line.contains("end=closed"),
        "{line}"
    );
}

#[test]
fn a_client_that_half_closes_still_gets_the_whole_response() {
    // Reads the request to its end, then answers 1 MiB and closes.
    fn answer_after_eof(mut s: TcpStream, _: usize) {
        let mut req = Vec::new();
        s.read_to_end(&mut req).unwrap();
        let body: Vec<u8> = (0..1u64 << 20).map(byte).collect();
        let _ = s.write_all(&body);
    }
    let (up, _) = server(answer_after_eof);
    let p = Proxy::start(&[up], &[]);
    let mut s = p.connect();
    s.write_all(b"request").unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).unwrap();
    assert_eq!(got.len(), 1 << 20);
    assert!(got.iter().enumerate().all(|(i, &b)| b == byte(i as u64)));
    let line = p.conn_line();
    assert!(
        line.contains("up=7 down=1048576") && line.contains("end=closed"),
        "{line}"
    );
}

#[test]
fn an_upstream_reset_reaches_the_client_and_the_proxy_survives() {
    // The first connection: some bytes, then a reset. Later ones: echo.
    fn reset_first(mut s: TcpStream, n: usize) {
        if n > 0 {
            return echo(s, n);
        }
        let mut b = [0u8; 4];
        s.read_exact(&mut b).unwrap();
        s.write_all(b"partial").unwrap();
        let lg = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: passes a live local of the size given, on a socket we own; the drop after
        // it is then a reset.
        let r = unsafe {
            libc::setsockopt(
                std::os::fd::AsRawFd::as_raw_fd(&s),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                &lg as *const _ as *const libc::c_void,
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            )
        };
        assert_eq!(r, 0);
    }
    let (up, _) = server(reset_first);
    let mut p = Proxy::start(&[up], &[]);
    let mut s = p.connect();
    s.write_all(b"ping").unwrap();
    let mut got = Vec::new();
    let r = s.read_to_end(&mut got);
    assert!(got.len() <= 7, "{got:?}");
    if let Err(e) = r {
        assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset);
    }
    let line = p.conn_line();
    assert!(line.contains("end=upstream-error"), "{line}");
    p.assert_alive();
    round_trip(&p, 1024);
}

#[test]
fn with_every_upstream_down_the_client_is_closed_and_the_proxy_survives() {
    let mut p = Proxy::start(&[dead_port(), dead_port()], &["--connect-timeout", "2"]);
    let mut s = p.connect();
    let mut got = Vec::new();
    let r = s.read_to_end(&mut got);
    assert!(got.is_empty());
    assert!(r.is_ok() || r.unwrap_err().kind() == std::io::ErrorKind::ConnectionReset);
    let line = p.conn_line();
    assert!(line.contains("end=no-upstream"), "{line}");
    p.assert_alive();
}

#[test]
fn clients_go_round_robin_and_skip_a_dead_upstream() {
    let (a, count_a) = server(echo);
    let (b, count_b) = server(echo);
    let p = Proxy::start(&[a, b], &[]);
    for _ in 0..4 {
        round_trip(&p, 1024);
    }
    assert_eq!(count_a.load(Ordering::SeqCst), 2);
    assert_eq!(count_b.load(Ordering::SeqCst), 2);
    // A dead upstream first in line: its clients go on to the next.
    let (c, count_c) = server(echo);
    let p = Proxy::start(&[dead_port(), c], &[]);
    for _ in 0..3 {
        round_trip(&p, 1024);
    }
    assert_eq!(count_c.load(Ordering::SeqCst), 3);
}

#[test]
fn over_max_connections_the_next_client_is_closed_at_once() {
    let (up, _) = server(echo);
    let p = Proxy::start(&[up], &["--max-connections", "1"]);
    let mut first = p.connect();
    first.write_all(b"one").unwrap();
    let mut b = [0u8; 3];
    first.read_exact(&mut b).unwrap();
    let mut second = p.connect();
    let mut got = Vec::new();
    let r = second.read_to_end(&mut got);
    assert!(got.is_empty());
    assert!(r.is_ok() || r.unwrap_err().kind() == std::io::ErrorKind::ConnectionReset);
    assert!(p.conn_line().contains("end=refused"));
    // The first still works.
    first.write_all(b"two").unwrap();
    first.read_exact(&mut b).unwrap();
    assert_eq!(&b, b"two");
}

#[test]
fn an_idle_connection_is_closed_and_sigterm_stops() {
    let (up, _) = server(echo);
    let mut p = Proxy::start(&[up], &["--idle-timeout", "0.3"]);
    let mut s = p.connect();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    assert!(p.conn_line().contains("end=idle-timeout"));
    let _held = p.connect();
    p.signal(libc::SIGTERM);
    let status = p.child.wait().unwrap();
    assert!(status.success(), "{status}");
}

#[test]
fn the_copying_fallback_carries_transfers_whole_and_says_so() {
    let (up, _) = server(echo);
    let p = Proxy::start(&[up], &["--forward", "copy"]);
    for len in [0, 1024, 64 << 20] {
        round_trip(&p, len);
        let line = p.conn_line();
        assert!(line.contains(&format!("up={len} down={len}")), "{line}");
        assert!(line.contains("forward=copy end=closed"), "{line}");
    }
}
