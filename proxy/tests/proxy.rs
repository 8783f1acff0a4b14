//! The real `proxy` binary between real sockets: checksummed transfers both ways at once,
//! half-close, an upstream reset, all upstreams down, round-robin, max-connections, SIGTERM.
//! Waits are on events (a log line, a read), never sleeps; the child's stderr is drained.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

struct Proxy {
    child: Child,
    addr: SocketAddr,
    lines: Receiver<String>,
}

impl Proxy {
    fn start(upstreams: &[SocketAddr], extra: &[&str]) -> Proxy {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_proxy"));
        cmd.args(["--listen", "127.0.0.1:0"]);
        for u in upstreams {
            cmd.args(["--upstream", &u.to_string()]);
        }
        cmd.args(extra)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = channel();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let first = lines.recv_timeout(WAIT).unwrap();
        let addr = first
            .strip_prefix("proxy: listening on ")
            .and_then(|r| r.split(' ').next())
            .unwrap_or_else(|| panic!("{first}"))
            .parse()
            .unwrap();
        Proxy { child, addr, lines }
    }

    fn connect(&self) -> TcpStream {
        let s = TcpStream::connect(self.addr).unwrap();
        s.set_read_timeout(Some(WAIT)).unwrap();
        s
    }

    /// The next connection log line.
    fn conn_line(&self) -> String {
        loop {
            let line = self.lines.recv_timeout(WAIT).expect("a log line");
            if line.starts_with("conn ") {
                return line;
            }
        }
    }

    fn assert_alive(&mut self) {
        assert!(self.child.try_wait().unwrap().is_none(), "proxy exited");
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server on a free port; each connection goes to `serve` on its own thread. Returns its
/// address and the count of connections it accepted.
fn server(serve: fn(TcpStream, usize)) -> (SocketAddr, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let c = count.clone();
    thread::spawn(move || {
        for s in l.incoming().map_while(Result::ok) {
            let n = c.fetch_add(1, Ordering::SeqCst);
            thread::spawn(move || serve(s, n));
        }
    });
    (addr, count)
}

/// Sends back every byte, then half-closes at the client's EOF.
fn echo(mut s: TcpStream, _: usize) {
    let mut r = s.try_clone().unwrap();
    let _ = std::io::copy(&mut r, &mut s);
    let _ = s.shutdown(Shutdown::Write);
}

/// A port nothing listens on.
fn dead_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Deterministic bytes: byte `i` of a stream.
fn byte(i: u64) -> u8 {
    (i.wrapping_mul(2_654_435_761) >> 13) as u8
}

fn fnv(hash: &mut u64, buf: &[u8]) {
    for &b in buf {
        *hash = (*hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
}

/// Sends `len` bytes through the proxy to an echo upstream while reading the echo at once,
/// and checks the checksums.
fn round_trip(p: &Proxy, len: u64) {
    let s = p.connect();
    let mut w = s.try_clone().unwrap();
    let writer = thread::spawn(move || {
        let mut hash = 0xcbf2_9ce4_8422_2325u64;
        let mut buf = vec![0u8; 64 * 1024];
        let mut sent = 0u64;
        while sent < len {
            let n = (len - sent).min(buf.len() as u64) as usize;
            for (i, b) in buf[..n].iter_mut().enumerate() {
                *b = byte(sent + i as u64);
            }
            w.write_all(&buf[..n]).unwrap();
            fnv(&mut hash, &buf[..n]);
            sent += n as u64;
        }
        w.shutdown(Shutdown::Write).unwrap();
        hash
    });
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    let mut got = 0u64;
    let mut buf = vec![0u8; 64 * 1024];
    let mut r = &s;
    loop {
        let n = r.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        fnv(&mut hash, &buf[..n]);
        got += n as u64;
    }
    assert_eq!(got, len);
    assert_eq!(hash, writer.join().unwrap());
}

#[test]
fn transfers_arrive_whole_in_both_directions_at_once() {
    let (up, _) = server(echo);
    let p = Proxy::start(&[up], &[]);
    for len in [0, 1024, 64 << 20] {
        round_trip(&p, len);
        let line = p.conn_line();
        assert!(line.contains(&format!("up={len} down={len}")), "{line}");
        assert!(line.contains("end=closed"), "{line}");
    }
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
    // SAFETY: signals our own child.
    assert_eq!(unsafe { libc::kill(p.child.id() as i32, libc::SIGTERM) }, 0);
    let status = p.child.wait().unwrap();
    assert!(status.success(), "{status}");
}
