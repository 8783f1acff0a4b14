//! The three timeouts against the real binary: a connect that never completes moves on to
//! the next server after `connect_timeout`; a busy connection is still closed at its
//! `total_timeout`; an idle one at its `idle_timeout` (in tests/proxy.rs); a silent upstream
//! ends at the idle timeout; a slow one that trickles bytes is carried as long as it is
//! never idle that long, and cut at the total timeout.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// A server whose SYNs are dropped: a listener with a backlog of 0, its queue filled by
/// connections never accepted. A connect to it stays under way.
fn black_hole() -> (SocketAddr, TcpListener, Vec<TcpStream>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    // SAFETY: a listening socket we own; listen again only changes its backlog.
    assert_eq!(unsafe { libc::listen(l.as_raw_fd(), 0) }, 0);
    let addr = l.local_addr().unwrap();
    let fillers = (0..2)
        .filter_map(|_| TcpStream::connect_timeout(&addr, Duration::from_millis(300)).ok())
        .collect();
    (addr, l, fillers)
}

#[test]
fn a_connect_that_never_completes_moves_on_after_the_connect_timeout() {
    let (hole, _l, _fillers) = black_hole();
    let (up, _) = server(echo);
    let p = Proxy::start(&[hole, up], &["--connect-timeout", "0.3"]);
    let start = Instant::now();
    round_trip(&p, 1024);
    let took = start.elapsed();
    let line = p.conn_line();
    assert!(
        line.contains(&format!("upstream={up}")) && line.contains("end=closed"),
        "{line}"
    );
    assert_eq!(p.count(&format!("connect to {hole}: timed out")), 1);
    assert!(took >= Duration::from_millis(300), "{took:?}");
}

#[test]
fn a_busy_connection_is_closed_at_its_total_timeout() {
    let (up, _) = server(echo);
    let p = Proxy::start(&[up], &["--total-timeout", "0.5", "--idle-timeout", "60"]);
    let mut s = p.connect();
    let start = Instant::now();
    // Never idle: a byte there and back, again and again, until the proxy closes it.
    let mut b = [0u8; 1];
    loop {
        if s.write_all(b"x").is_err() {
            break;
        }
        match s.read(&mut b) {
            Ok(1) => continue,
            _ => break,
        }
    }
    assert!(start.elapsed() >= Duration::from_millis(450));
    let line = p.conn_line();
    assert!(line.contains("end=total-timeout"), "{line}");
}

#[test]
fn a_silent_upstream_is_closed_at_the_idle_timeout_and_the_client_told() {
    // Accepts, reads, never answers; tells when the proxy closed its end.
    fn silent(mut s: TcpStream, _: usize) {
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got);
        assert_eq!(got, b"hello?");
    }
    let (up, _) = server(silent);
    let p = Proxy::start(&[up], &["--idle-timeout", "0.4"]);
    let mut s = p.connect();
    let start = Instant::now();
    s.write_all(b"hello?").unwrap();
    assert!(closed_without_bytes(&mut s));
    let took = start.elapsed();
    let line = p.conn_line();
    assert!(
        line.contains("up=6 down=0") && line.contains("end=idle-timeout"),
        "{line}"
    );
    assert!(took >= Duration::from_millis(380), "{took:?}");
}

#[test]
fn a_slow_upstream_that_trickles_within_the_idle_timeout_is_carried_to_its_end() {
    // 40 bytes, one every 30 ms: 1.2 s in all, four times the idle timeout, but never
    // idle for as long as it.
    fn trickle(mut s: TcpStream, _: usize) {
        let mut req = [0u8; 3];
        s.read_exact(&mut req).unwrap();
        for i in 0..40u64 {
            std::thread::sleep(Duration::from_millis(30));
            if s.write_all(&[byte(i)]).is_err() {
                return;
            }
        }
    }
    let (up, _) = server(trickle);
    let p = Proxy::start(&[up], &["--idle-timeout", "0.3"]);
    let mut s = p.connect();
    let start = Instant::now();
    s.write_all(b"go!").unwrap();
    let mut got = Vec::new();
    s.read_to_end(&mut got).unwrap();
    assert!(start.elapsed() >= Duration::from_millis(1200));
    assert_eq!(got, (0..40).map(byte).collect::<Vec<u8>>());
    // The upstream closed after its last byte and the client's EOF ends the other way.
    s.shutdown(std::net::Shutdown::Write).unwrap();
    let line = p.conn_line();
    assert!(
        line.contains("up=3 down=40") && line.contains("end=closed"),
        "{line}"
    );
}

#[test]
fn a_slow_upstream_past_the_total_timeout_is_cut_there() {
    fn trickle(mut s: TcpStream, _: usize) {
        let mut req = [0u8; 3];
        s.read_exact(&mut req).unwrap();
        for i in 0..100u64 {
            std::thread::sleep(Duration::from_millis(30));
            if s.write_all(&[byte(i)]).is_err() {
                return;
            }
        }
    }
    let (up, _) = server(trickle);
    let p = Proxy::start(&[up], &["--idle-timeout", "0.3", "--total-timeout", "0.6"]);
    let mut s = p.connect();
    let start = Instant::now();
    s.write_all(b"go!").unwrap();
    let mut got = Vec::new();
    let _ = s.read_to_end(&mut got);
    let took = start.elapsed();
    assert!(took >= Duration::from_millis(580), "{took:?}");
    assert!(!got.is_empty() && got.len() < 100, "{}", got.len());
    assert!(got.iter().enumerate().all(|(i, &b)| b == byte(i as u64)));
    let line = p.conn_line();
    assert!(line.contains("end=total-timeout"), "{line}");
}
