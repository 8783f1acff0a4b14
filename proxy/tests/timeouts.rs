//! The three timeouts against the real binary: a connect that never completes moves on to
//! the next server after `connect_timeout`; a busy connection is still closed at its
//! `total_timeout`; an idle one at its `idle_timeout` (in tests/proxy.rs).

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
