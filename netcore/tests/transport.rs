//! The event loop's transports, on every backend, with a toy transport over real loopback
//! sockets: its handshake wants reading, then writing, before it is done; its reads hand
//! out one byte at a time from what it buffered (so the loop must read what the transport
//! holds without the socket saying readable); its "encryption" flips bit 5 of every byte.
//! The service hears only of connections whose handshake is done; a stalled handshake is
//! dropped at its timeout while others go on; a failed one at once; a plain listener serves
//! beside the upgraded one.

use netcore::buffered::transport::{Progress, Transport, Upgrade};
use netcore::reactor::backend::{Epoll, Poll, Select};
use netcore::reactor::signal::Waker;
use netcore::{CloseReason, Config, Conns, EventLoop, Readiness, Service, Stats, Token};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

const GUARD: Duration = Duration::from_secs(20);

fn flip(bytes: &[u8]) -> Vec<u8> {
    bytes.iter().map(|b| b ^ 0x20).collect()
}

#[derive(Debug)]
struct Toy {
    fd: RawFd,
    /// Handshake bytes received so far.
    hello: Vec<u8>,
    /// Asked for writability once before answering the hello.
    waited_for_write: bool,
    /// Decrypted bytes not handed out yet.
    inbox: Vec<u8>,
    want_write: bool,
    log: Arc<Mutex<Vec<String>>>,
}

fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: a live descriptor and buffer.
    let n = unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

fn send(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: a live descriptor and buffer.
    let n = unsafe { libc::send(fd, buf.as_ptr().cast(), buf.len(), libc::MSG_NOSIGNAL) };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

impl Transport for Toy {
    fn handshake(&mut self) -> io::Result<Progress> {
        while self.hello.len() < 6 {
            let mut b = [0u8; 6];
            let want = 6 - self.hello.len();
            match recv(self.fd, &mut b[..want]) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => self.hello.extend_from_slice(&b[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(Progress::WantRead),
                Err(e) => return Err(e),
            }
            if !b"HELLO\n".starts_with(&self.hello) {
                self.log.lock().unwrap().push("handshake failed".into());
                return Err(io::ErrorKind::InvalidData.into());
            }
        }
        if !self.waited_for_write {
            self.waited_for_write = true;
            return Ok(Progress::WantWrite);
        }
        send(self.fd, b"WELCOME\n")?;
        Ok(Progress::Done)
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.inbox.is_empty() {
            let mut raw = [0u8; 4096];
            let n = recv(self.fd, &mut raw)?;
            if n == 0 {
                return Ok(0);
            }
            self.inbox = flip(&raw[..n]);
        }
        // One byte at a time: the rest stays buffered here, not in the socket.
        buf[0] = self.inbox.remove(0);
        Ok(1)
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let r = send(self.fd, &flip(buf));
        self.want_write = matches!(&r, Err(e) if e.kind() == io::ErrorKind::WouldBlock);
        r
    }

    fn wants_write(&self) -> bool {
        self.want_write
    }

    fn buffered(&self) -> usize {
        self.inbox.len()
    }

    fn close(&mut self) {
        let _ = send(self.fd, b"BYE\n");
    }

    fn peer_name(&self) -> Option<String> {
        Some("toy".into())
    }
}

struct ToyUpgrade {
    timeout: Duration,
    log: Arc<Mutex<Vec<String>>>,
}

impl Upgrade for ToyUpgrade {
    fn upgrade(
        &self,
        stream: &TcpStream,
        _peer: Option<std::net::SocketAddr>,
    ) -> io::Result<Box<dyn Transport>> {
        Ok(Box::new(Toy {
            fd: stream.as_raw_fd(),
            hello: Vec::new(),
            waited_for_write: false,
            inbox: Vec::new(),
            want_write: false,
            log: self.log.clone(),
        }))
    }
    fn handshake_timeout(&self) -> Duration {
        self.timeout
    }
}

/// Greets with the peer's verified name, echoes lines, closes on "bye".
struct Greeter {
    log: Arc<Mutex<Vec<String>>>,
    line: Vec<u8>,
}

impl Service for Greeter {
    fn on_open(&mut self, conns: &mut Conns, id: Token) {
        let name = conns.peer_name(id).unwrap_or_else(|| "stranger".into());
        self.log.lock().unwrap().push(format!("open {name}"));
        conns.send(id, format!("hello {name}\n").as_bytes());
    }

    fn on_data(&mut self, conns: &mut Conns, id: Token, data: &[u8]) {
        for &b in data {
            self.line.push(b);
            if b == b'\n' {
                let line = std::mem::take(&mut self.line);
                if line == b"bye\n" {
                    conns.send(id, b"goodbye\n");
                    conns.close(id);
                } else {
                    conns.send(id, &line);
                }
            }
        }
    }

    fn on_close(&mut self, _conns: &mut Conns, _id: Token, reason: CloseReason) {
        self.log.lock().unwrap().push(format!("close {reason:?}"));
    }

    fn refusal(&self, why: &str) -> Vec<u8> {
        format!("refused: {why}\n").into_bytes()
    }
}

struct Running {
    plain: SocketAddr,
    toy: SocketAddr,
    waker: Arc<Waker>,
    log: Arc<Mutex<Vec<String>>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Running {
    fn stop(mut self) -> Vec<String> {
        self.waker.wake();
        self.thread.take().unwrap().join().unwrap();
        self.log.lock().unwrap().clone()
    }
}

fn start<B: Readiness + Send + 'static>(backend: B) -> Running {
    let bind = || netcore::reactor::listener::bind("127.0.0.1:0".parse().unwrap(), 128).unwrap();
    let (plain, toy): (TcpListener, TcpListener) = (bind(), bind());
    let (plain_addr, toy_addr) = (plain.local_addr().unwrap(), toy.local_addr().unwrap());
    let waker = Arc::new(Waker::new().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let upgrade = ToyUpgrade {
        timeout: Duration::from_millis(300),
        log: log.clone(),
    };
    let mut el = EventLoop::with_listeners(
        backend,
        vec![(plain, None), (toy, Some(Box::new(upgrade)))],
        waker.clone(),
        Config::default(),
        Arc::new(Stats::new()),
    )
    .unwrap();
    let mut service = Greeter {
        log: log.clone(),
        line: Vec::new(),
    };
    let thread = thread::spawn(move || el.run(&mut service).unwrap());
    Running {
        plain: plain_addr,
        toy: toy_addr,
        waker,
        log,
        thread: Some(thread),
    }
}

fn each_backend(f: impl Fn(Running)) {
    f(start(Select::new()));
    f(start(Poll::new()));
    f(start(Epoll::new().unwrap()));
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(GUARD)).unwrap();
    s
}

/// Reads exactly `n` bytes.
fn read_n(s: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    s.read_exact(&mut buf).expect("read");
    buf
}

fn read_to_end(s: &mut TcpStream) -> Vec<u8> {
    let mut rest = Vec::new();
    let _ = s.read_to_end(&mut rest);
    rest
}

#[test]
fn a_transport_handshakes_then_carries_the_bytes_and_says_goodbye() {
    each_backend(|r| {
        let mut c = connect(r.toy);
        // The hello in two pieces: the handshake waits for the rest.
        c.write_all(b"HEL").unwrap();
        thread::sleep(Duration::from_millis(30));
        c.write_all(b"LO\n").unwrap();
        assert_eq!(read_n(&mut c, 8), b"WELCOME\n");
        assert_eq!(read_n(&mut c, 10), flip(b"hello toy\n"));
        // Many lines in one segment: the transport hands them out a byte at a time.
        let lines: Vec<u8> = (0..50)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        c.write_all(&flip(&lines)).unwrap();
        assert_eq!(read_n(&mut c, lines.len()), flip(&lines));
        c.write_all(&flip(b"bye\n")).unwrap();
        let mut want = flip(b"goodbye\n");
        want.extend_from_slice(b"BYE\n");
        assert_eq!(read_to_end(&mut c), want);
        let log = r.stop();
        assert_eq!(log, ["open toy", "close Requested"]);
    });
}

#[test]
fn stalled_and_failed_handshakes_end_alone_and_the_service_never_sees_them() {
    each_backend(|r| {
        let mut silent = connect(r.toy);
        let mut halfway = connect(r.toy);
        halfway.write_all(b"HEL").unwrap();
        let mut wrong = connect(r.toy);
        wrong.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
        // Meanwhile a plain client and a toy client are served.
        let mut plain = connect(r.plain);
        let mut hello = [0u8; 15];
        plain.read_exact(&mut hello).unwrap();
        assert_eq!(&hello, b"hello stranger\n");
        let mut ok = connect(r.toy);
        ok.write_all(b"HELLO\n").unwrap();
        assert_eq!(read_n(&mut ok, 8), b"WELCOME\n");
        // The wrong one at once, the stalled ones at the timeout: closed, nothing sent.
        let started = Instant::now();
        assert!(read_to_end(&mut wrong).is_empty());
        assert!(read_to_end(&mut silent).is_empty());
        assert!(read_to_end(&mut halfway).is_empty());
        assert!(started.elapsed() < GUARD);
        // The toy client is still served.
        assert_eq!(read_n(&mut ok, 10), flip(b"hello toy\n"));
        ok.write_all(&flip(b"still here\n")).unwrap();
        assert_eq!(read_n(&mut ok, 11), flip(b"still here\n"));
        drop((ok, plain));
        let log = r.stop();
        let opens: Vec<_> = log.iter().filter(|l| l.starts_with("open")).collect();
        assert_eq!(opens, ["open stranger", "open toy"]);
        assert_eq!(log.iter().filter(|l| l.starts_with("close")).count(), 2);
        assert!(log.iter().any(|l| l == "handshake failed"));
    });
}

#[test]
fn a_shutdown_drops_handshakes_in_progress() {
    each_backend(|r| {
        let mut halfway = connect(r.toy);
        halfway.write_all(b"HE").unwrap();
        let mut plain = connect(r.plain);
        let mut hello = [0u8; 15];
        plain.read_exact(&mut hello).unwrap();
        let log = r.stop();
        assert!(read_to_end(&mut halfway).is_empty());
        assert_eq!(log, ["open stranger", "close Shutdown"]);
    });
}
