//! Helpers for the integration tests: the real `chat` binary on an ephemeral loopback port,
//! and line-reading clients whose every read has a deadline (a guard against hangs, never a
//! timing assertion).

#![allow(dead_code)]

mod line_client;
#[allow(unused_imports)]
pub use line_client::LineClient;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Longest any single read may wait before the test fails instead of hanging.
pub const GUARD: Duration = Duration::from_secs(20);

pub const MODELS: [&str; 5] = ["threads", "pool", "select", "poll", "epoll"];

/// A `chat serve` (or `chat echo`) process; SIGKILLed if still running when dropped.
pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    /// The lines the server prints on stdout after the first.
    more: std::sync::mpsc::Receiver<String>,
}

impl Server {
    /// Starts `chat <sub> --listen 127.0.0.1:0 --model MODEL ARGS..` and reads the port it
    /// prints.
    pub fn start_sub(sub: &str, model: &str, args: &[&str]) -> Server {
        Server::start_on(sub, "127.0.0.1:0", model, args)
    }

    pub fn start(model: &str, args: &[&str]) -> Server {
        Server::start_sub("serve", model, args)
    }

    pub fn start_on(sub: &str, listen: &str, model: &str, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chat"))
            .args([sub, "--listen", listen, "--model", model])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            // CHAT_TEST_STDERR=1 shows the servers' logs when debugging a test.
            .stderr(if std::env::var_os("CHAT_TEST_STDERR").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("spawn chat");
        // The first line, read on a thread of its own so that a server that never says
        // where it listens fails the test after GUARD instead of hanging it.
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut stdout = BufReader::new(stdout);
            loop {
                let mut line = String::new();
                if !matches!(stdout.read_line(&mut line), Ok(n) if n > 0) {
                    return;
                }
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        let Ok(line) = rx.recv_timeout(GUARD) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chat {sub} (model {model}) did not say where it listens within {GUARD:?}");
        };
        // "chat: listening on 127.0.0.1:PORT (MODEL model)"
        let addr = listening_addr(&line);
        Server {
            child,
            addr,
            more: rx,
        }
    }

    /// The address of the second `listening on` line (the TLS port beside a plain one).
    pub fn second_addr(&self) -> SocketAddr {
        let line = self
            .more
            .recv_timeout(GUARD)
            .expect("a second listening line");
        listening_addr(&line)
    }

    pub fn connect(&self) -> Client {
        Client::connect(self.addr)
    }

    /// Connects and reads the greeting; returns the client and its nick.
    pub fn join(&self) -> (Client, String) {
        let mut c = self.connect();
        let greeting = c.line();
        let nick = greeting
            .strip_prefix("* welcome to chat, you are ")
            .and_then(|r| r.split(';').next())
            .unwrap_or_else(|| panic!("unexpected greeting {greeting:?}"))
            .to_string();
        (c, nick)
    }

    pub fn signal(&self, sig: i32) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, sig) };
    }

    /// Waits (bounded) for the process to exit and returns its exit code.
    pub fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + GUARD;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status.code();
            }
            assert!(Instant::now() < deadline, "server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The address in "chat: listening on 127.0.0.1:PORT (MODEL model)".
fn listening_addr(line: &str) -> SocketAddr {
    line.split_whitespace()
        .nth(3)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A test client reading whole lines.
pub struct Client {
    pub reader: BufReader<TcpStream>,
}

impl Client {
    pub fn connect(addr: SocketAddr) -> Client {
        let s = TcpStream::connect(addr).expect("connect");
        s.set_read_timeout(Some(GUARD)).unwrap();
        s.set_write_timeout(Some(GUARD)).unwrap();
        Client {
            reader: BufReader::new(s),
        }
    }

    /// Connects with a small receive buffer set before the handshake, so the kernel absorbs
    /// little of what the server sends to a client that does not read.
    pub fn connect_small_rcvbuf(addr: SocketAddr, bytes: i32) -> Client {
        use std::os::fd::FromRawFd;
        let SocketAddr::V4(v4) = addr else {
            panic!("IPv4 only")
        };
        // SAFETY: plain socket calls on a descriptor we own; sockaddr_in is fully set.
        let s = unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
            assert!(fd >= 0);
            let rc = libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                &bytes as *const i32 as *const libc::c_void,
                4,
            );
            assert_eq!(rc, 0);
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: v4.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from_ne_bytes(v4.ip().octets()),
                },
                sin_zero: [0; 8],
            };
            let rc = libc::connect(
                fd,
                &sin as *const libc::sockaddr_in as *const libc::sockaddr,
                std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
            );
            assert_eq!(rc, 0, "connect: {}", std::io::Error::last_os_error());
            TcpStream::from_raw_fd(fd)
        };
        s.set_read_timeout(Some(GUARD)).unwrap();
        Client {
            reader: BufReader::new(s),
        }
    }

    pub fn stream(&self) -> &TcpStream {
        self.reader.get_ref()
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).expect("send");
    }

    pub fn say(&mut self, line: &str) {
        self.send(format!("{line}\n").as_bytes());
    }

    /// The next line, without its `\n`; panics at EOF or after the guard time.
    pub fn line(&mut self) -> String {
        self.try_line().expect("expected a line, got EOF")
    }

    /// The next line, or `None` at EOF (or a reset).
    pub fn try_line(&mut self) -> Option<String> {
        let mut buf = Vec::new();
        match self.reader.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(_) => {
                assert_eq!(buf.pop(), Some(b'\n'), "line without end: {buf:?}");
                Some(String::from_utf8(buf).expect("server lines are valid UTF-8"))
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => None,
            Err(e) => panic!("read failed: {e}"),
        }
    }

    /// Reads lines until one satisfies `want`; returns the lines before it and it.
    pub fn until(&mut self, want: impl Fn(&str) -> bool) -> (Vec<String>, String) {
        let mut before = Vec::new();
        loop {
            let l = self.line();
            if want(&l) {
                return (before, l);
            }
            before.push(l);
        }
    }

    /// Reads to EOF and returns the lines received on the way.
    pub fn until_eof(&mut self) -> Vec<String> {
        let mut lines = Vec::new();
        while let Some(l) = self.try_line() {
            lines.push(l);
        }
        lines
    }

    /// Drains raw bytes until EOF or reset; returns how many.
    pub fn drain_to_eof(&mut self) -> usize {
        let mut total = 0;
        let mut buf = [0u8; 64 * 1024];
        loop {
            match self.reader.read(&mut buf) {
                Ok(0) => return total,
                Ok(n) => total += n,
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return total,
                Err(e) => panic!("drain failed: {e}"),
            }
        }
    }
}

/// Runs `f` for every model, each in its own thread, and fails with the model's name.
pub fn for_each_model(f: impl Fn(&str) + Sync) {
    std::thread::scope(|s| {
        let handles: Vec<_> = MODELS.iter().map(|&m| (m, s.spawn(|| f(m)))).collect();
        let mut failed = Vec::new();
        for (m, h) in handles {
            if h.join().is_err() {
                failed.push(m);
            }
        }
        assert!(failed.is_empty(), "failed for models {failed:?}");
    });
}

/// Raises this process's descriptor limit for tests with many clients.
pub fn raise_fd_limit(n: u64) {
    let got = netcore::sys::raise_fd_limit(n).expect("setrlimit");
    assert!(got >= n, "RLIMIT_NOFILE hard limit too low: {got} < {n}");
}
