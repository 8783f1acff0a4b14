//! What the integration tests share: the real `proxy` binary started with its stderr
//! drained on a thread, test servers on free ports, checksummed transfers, config files in
//! cargo's temporary directory. Waits are on events (a log line, a read), never sleeps.
#![allow(dead_code)]

use std::cell::RefCell;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

pub const WAIT: Duration = Duration::from_secs(60);

pub struct Proxy {
    pub child: Child,
    /// The bound address of each listener, in the order of their start-up lines.
    pub addrs: Vec<SocketAddr>,
    pub addr: SocketAddr,
    lines: Receiver<String>,
    /// Every line read so far.
    pub seen: RefCell<Vec<String>>,
}

impl Proxy {
    /// `proxy --listen 127.0.0.1:0 --upstream U...` and `extra`.
    pub fn start(upstreams: &[SocketAddr], extra: &[&str]) -> Proxy {
        let mut args: Vec<String> = vec!["--listen".into(), "127.0.0.1:0".into()];
        for u in upstreams {
            args.push("--upstream".into());
            args.push(u.to_string());
        }
        args.extend(extra.iter().map(|s| s.to_string()));
        Proxy::spawn(&args, 1)
    }

    /// `proxy ARGS`, waiting for `listeners` start-up lines.
    pub fn spawn(args: &[String], listeners: usize) -> Proxy {
        let mut cmd = Command::new(proxy_bin());
        cmd.args(args);
        Proxy::spawn_cmd(cmd, listeners)
    }

    /// `cmd` (the proxy binary with its arguments, and anything else set on it), waiting
    /// for `listeners` start-up lines.
    pub fn spawn_cmd(mut cmd: Command, listeners: usize) -> Proxy {
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = channel();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let mut p = Proxy {
            child,
            addrs: Vec::new(),
            addr: "0.0.0.0:0".parse().unwrap(),
            lines,
            seen: RefCell::new(Vec::new()),
        };
        for _ in 0..listeners {
            let line = p.wait_for(|l| l.starts_with("proxy: listening on "));
            p.addrs.push(listening_addr(&line));
        }
        p.addr = p.addrs[0];
        p
    }

    pub fn connect(&self) -> TcpStream {
        connect(self.addr)
    }

    /// The next line that `pred` accepts (earlier ones are kept in `seen`).
    pub fn wait_for(&self, pred: impl Fn(&str) -> bool) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(WAIT)
                .unwrap_or_else(|e| panic!("no line ({e}); seen: {:#?}", self.seen.borrow()));
            self.seen.borrow_mut().push(line.clone());
            if pred(&line) {
                return line;
            }
        }
    }

    /// The next connection log line.
    pub fn conn_line(&self) -> String {
        self.wait_for(|l| l.starts_with("conn "))
    }

    /// Lines seen so far that contain `s`.
    pub fn count(&self, s: &str) -> usize {
        self.seen.borrow().iter().filter(|l| l.contains(s)).count()
    }

    pub fn assert_alive(&mut self) {
        assert!(self.child.try_wait().unwrap().is_none(), "proxy exited");
    }

    pub fn signal(&self, sig: libc::c_int) {
        // SAFETY: signals our own child.
        assert_eq!(unsafe { libc::kill(self.child.id() as i32, sig) }, 0);
    }

    /// Waits for the exit (draining stderr meanwhile); whether it succeeded.
    pub fn wait_exit(&mut self) -> bool {
        let end = Instant::now() + WAIT;
        loop {
            while let Ok(l) = self.lines.try_recv() {
                self.seen.borrow_mut().push(l);
            }
            if let Some(st) = self.child.try_wait().unwrap() {
                while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(200)) {
                    self.seen.borrow_mut().push(l);
                }
                return st.success();
            }
            assert!(Instant::now() < end, "proxy did not exit");
            if let Ok(l) = self.lines.recv_timeout(Duration::from_millis(20)) {
                self.seen.borrow_mut().push(l);
            }
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The proxy binary: `$PROXY_BIN` when set (the test VM runs a test binary built here, where
/// cargo's path does not exist: tests/vm/39-proxy-ten-thousand-connections.sh), else the one
/// cargo built for these tests.
pub fn proxy_bin() -> PathBuf {
    std::env::var_os("PROXY_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_proxy")))
}

/// The address of a `proxy: listening on ADDR ...` line.
pub fn listening_addr(line: &str) -> SocketAddr {
    line.strip_prefix("proxy: listening on ")
        .and_then(|r| r.split(' ').next())
        .unwrap_or_else(|| panic!("{line}"))
        .parse()
        .unwrap()
}

pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    s
}

/// A config file with `text` in cargo's temporary directory, named after the test.
pub fn config_file(name: &str, text: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("proxy-{name}.conf"));
    std::fs::write(&p, text).unwrap();
    p
}

/// A server on a free port; each connection goes to `serve` on its own thread. Returns its
/// address and the count of connections it accepted.
pub fn server(serve: fn(TcpStream, usize)) -> (SocketAddr, Arc<AtomicUsize>) {
    server_on(TcpListener::bind("127.0.0.1:0").unwrap(), serve)
}

pub fn server_on(l: TcpListener, serve: fn(TcpStream, usize)) -> (SocketAddr, Arc<AtomicUsize>) {
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
pub fn echo(mut s: TcpStream, _: usize) {
    let mut r = s.try_clone().unwrap();
    let _ = std::io::copy(&mut r, &mut s);
    let _ = s.shutdown(Shutdown::Write);
}

/// A port nothing listens on.
pub fn dead_port() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Deterministic bytes: byte `i` of a stream.
pub fn byte(i: u64) -> u8 {
    (i.wrapping_mul(2_654_435_761) >> 13) as u8
}

pub fn fnv(hash: &mut u64, buf: &[u8]) {
    for &b in buf {
        *hash = (*hash ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
    }
}

/// Sends `len` bytes through the proxy to an echo upstream while reading the echo at once,
/// and checks the checksums.
pub fn round_trip(p: &Proxy, len: u64) {
    round_trip_at(p.addr, len)
}

pub fn round_trip_at(addr: SocketAddr, len: u64) {
    let s = connect(addr);
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

/// Whether a read on `s` ends (EOF or reset) without bytes: the proxy closed it.
pub fn closed_without_bytes(s: &mut TcpStream) -> bool {
    let mut got = Vec::new();
    let r = s.read_to_end(&mut got);
    got.is_empty() && (r.is_ok() || r.unwrap_err().kind() == std::io::ErrorKind::ConnectionReset)
}

/// What [`raise_nofile`] got: the soft `RLIMIT_NOFILE` now in force, and why it is below what
/// was wanted (`None` when it is not).
pub struct Nofile {
    pub limit: u64,
    pub short: Option<String>,
}

/// Raises this process's `RLIMIT_NOFILE` (children inherit it) towards `wanted`: the hard
/// limit first where the process may (`CAP_SYS_RESOURCE`, up to `/proc/sys/fs/nr_open`),
/// then the soft one up to the hard one. A machine that allows fewer gets fewer and is told
/// why, never a failure here.
pub fn raise_nofile(wanted: u64) -> Nofile {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own.
    assert_eq!(unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) }, 0);
    if lim.rlim_cur >= wanted {
        return Nofile {
            limit: lim.rlim_cur,
            short: None,
        };
    }
    let mut short = None;
    if lim.rlim_max < wanted {
        let nr_open: u64 = std::fs::read_to_string("/proc/sys/fs/nr_open")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(lim.rlim_max);
        let hard = wanted.min(nr_open).max(lim.rlim_max);
        let up = libc::rlimit {
            rlim_cur: lim.rlim_cur,
            rlim_max: hard,
        };
        // SAFETY: setrlimit reads the struct we own; refused without CAP_SYS_RESOURCE.
        if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &up) } == 0 {
            lim.rlim_max = hard;
            if hard < wanted {
                short = Some(format!("fs.nr_open is {nr_open}"));
            }
        } else {
            short = Some(format!(
                "the hard limit is {} and raising it needs CAP_SYS_RESOURCE ({})",
                lim.rlim_max,
                std::io::Error::last_os_error()
            ));
        }
    }
    lim.rlim_cur = wanted.min(lim.rlim_max);
    // SAFETY: as above; the soft limit may always go up to the hard one.
    assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &lim) }, 0);
    Nofile {
        limit: lim.rlim_cur,
        short,
    }
}

/// The descriptors process `pid` holds open (`/proc/PID/fd`).
pub fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap_or_else(|e| panic!("/proc/{pid}/fd: {e}"))
        .count()
}

/// The bytes of a long stream: byte `i` is `PATTERN[i % len]`, a period of 1 MiB + 7 (no
/// multiple of any buffer size, so a chunk lost, doubled or moved no longer matches). A
/// receiver compares what it gets with the slice it expects: every byte checked, at
/// `memcmp`'s speed even in an unoptimized test build.
pub struct Pattern(Vec<u8>);

impl Pattern {
    pub fn new() -> Pattern {
        Pattern((0..(1u64 << 20) + 7).map(byte).collect())
    }

    /// Writes `len` bytes of the stream to `w`.
    pub fn send(&self, w: &mut impl Write, len: u64) -> std::io::Result<()> {
        let p = &self.0;
        let mut sent = 0u64;
        while sent < len {
            let at = (sent % p.len() as u64) as usize;
            let n = ((len - sent) as usize).min(p.len() - at).min(256 * 1024);
            w.write_all(&p[at..at + n])?;
            sent += n as u64;
        }
        Ok(())
    }

    /// Reads `r` to its end, checking every byte against the stream; the count read.
    pub fn receive(&self, r: &mut impl Read) -> u64 {
        let p = &self.0;
        let mut buf = vec![0u8; 256 * 1024];
        let mut got = 0u64;
        loop {
            let n = r
                .read(&mut buf)
                .unwrap_or_else(|e| panic!("read after {got} bytes: {e}"));
            if n == 0 {
                return got;
            }
            let mut i = 0;
            while i < n {
                let at = ((got + i as u64) % p.len() as u64) as usize;
                let m = (n - i).min(p.len() - at);
                assert!(
                    buf[i..i + m] == p[at..at + m],
                    "bytes {}..{} differ from what was sent",
                    got + i as u64,
                    got + (i + m) as u64
                );
                i += m;
            }
            got += n as u64;
        }
    }
}

/// `len` bytes of the pattern through `addr` to an echo server and back, both ways at once:
/// a writer thread sends and half-closes, this thread checks every byte coming back.
pub fn pattern_round_trip(addr: SocketAddr, len: u64, pattern: &Arc<Pattern>) {
    let s = connect(addr);
    let mut w = s.try_clone().unwrap();
    let p = pattern.clone();
    let writer = thread::spawn(move || {
        p.send(&mut w, len).unwrap();
        w.shutdown(Shutdown::Write).unwrap();
    });
    let got = pattern.receive(&mut &s);
    writer.join().unwrap();
    assert_eq!(got, len);
}
