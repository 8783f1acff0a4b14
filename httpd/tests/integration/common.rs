//! What every integration test needs: a document root with known files, the real `httpd`
//! binary started on an ephemeral loopback port, raw TCP exchanges and `curl`.
//!
//! Every wait is bounded: reads have timeouts, the server's start is awaited for at most
//! 10 s, and a server that ignores SIGTERM is killed.

use std::ffi::{CString, OsString};
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const INDEX: &str =
    "<!doctype html><title>home</title><link rel=stylesheet href=style.css><p>hello\n";
pub const STYLE: &str = "body { color: #123456 }\n";
pub const SUB_INDEX: &str = "<p>sub</p>\n";
pub const BIG_LEN: usize = 300 * 1024 + 7;

/// The lines of every file of `paths` in turn (a missing file has none).
pub fn lines_of<P: AsRef<Path>>(paths: impl IntoIterator<Item = P>) -> Vec<String> {
    paths
        .into_iter()
        .flat_map(|p| {
            fs::read_to_string(p)
                .unwrap_or_default()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Whether the tests run as root (CI does; httpd then needs `--allow-root` or `--user`).
pub fn is_root() -> bool {
    // SAFETY: no arguments, cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Deterministic bytes for the big file (every offset distinct enough to catch misplaced
/// ranges).
pub fn big_content() -> Vec<u8> {
    (0..BIG_LEN)
        .map(|i| (i % 251) as u8 ^ (i / 251) as u8)
        .collect()
}

/// A temporary directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "httpd-test-{}-{}-{tag}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// The site every test serves, under `<tmp>/root`, with a secret next to (outside) it.
///
/// ```text
/// root/index.html  root/style.css  root/pixel.png  root/big.bin  root/a b.txt  root/café.txt
/// root/dir/index.html  root/empty/  root/noext
/// root/inside-link -> style.css          (relative, stays inside: served)
/// root/escape-link -> ../secret.txt      (relative, leaves the root: 403)
/// root/abs-link    -> <tmp>/secret.txt   (absolute, leaves the root: 403)
/// root/dir-escape  -> ..                 (a directory outside: 403)
/// root/fifo                              (not a regular file: 404)
/// secret.txt                             (must never be served)
/// ```
pub fn make_site(tmp: &Path) -> PathBuf {
    let root = tmp.join("root");
    fs::create_dir_all(root.join("dir")).unwrap();
    fs::create_dir_all(root.join("empty")).unwrap();
    fs::write(root.join("index.html"), INDEX).unwrap();
    fs::write(root.join("style.css"), STYLE).unwrap();
    fs::write(root.join("pixel.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
    fs::write(root.join("big.bin"), big_content()).unwrap();
    fs::write(root.join("a b.txt"), "space\n").unwrap();
    fs::write(root.join("café.txt"), "accent\n").unwrap();
    fs::write(root.join("noext"), "raw\n").unwrap();
    fs::write(root.join("dir/index.html"), SUB_INDEX).unwrap();
    fs::write(tmp.join("secret.txt"), "SECRET\n").unwrap();
    std::os::unix::fs::symlink("style.css", root.join("inside-link")).unwrap();
    std::os::unix::fs::symlink("../secret.txt", root.join("escape-link")).unwrap();
    std::os::unix::fs::symlink(tmp.join("secret.txt"), root.join("abs-link")).unwrap();
    std::os::unix::fs::symlink("..", root.join("dir-escape")).unwrap();
    let fifo = CString::new(root.join("fifo").as_os_str().as_bytes()).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    root
}

/// A running `httpd` serving a fresh copy of the site.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    /// The lines the server prints on stdout after the first.
    lines: mpsc::Receiver<String>,
    /// Holds the site; removed with the server.
    _tmp: TempDir,
    pub root: PathBuf,
    pub log: PathBuf,
}

impl Server {
    pub fn start() -> Server {
        Server::start_with(&[])
    }

    pub fn start_with(extra: &[&str]) -> Server {
        let tmp = TempDir::new("site");
        let root = make_site(&tmp.0);
        let log = tmp.0.join("access.log");
        // Two worker threads unless the test chooses.
        let threads: &[&str] = if extra.contains(&"--threads") {
            &[]
        } else {
            &["--threads", "2"]
        };
        let mut args: Vec<OsString> = vec!["--listen".into(), "127.0.0.1:0".into()];
        args.extend(threads.iter().map(OsString::from));
        args.extend(["--root".into(), root.clone().into_os_string()]);
        args.extend(["--access-log".into(), log.clone().into_os_string()]);
        args.extend(extra.iter().map(OsString::from));
        Server::spawn(&args, tmp, root, log)
    }

    /// Starts `httpd` with `args` on a site made in `tmp` (its root and access log as
    /// given); waits for the first `listening on` line. Run as root (as CI does), the server
    /// is also given `--allow-root`: the tests that mean to drop privileges set `user`.
    pub fn spawn(args: &[OsString], tmp: TempDir, root: PathBuf, log: PathBuf) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_httpd"))
            .args(args)
            .args(is_root().then_some("--allow-root"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start httpd");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        // Reads every line for the life of the server (a closed pipe would fail its writes).
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    // Nobody listens any more: keep draining.
                }
            }
        });
        let line = match rx.recv_timeout(Duration::from_secs(10)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("httpd did not report its address within 10 s");
            }
        };
        let addr = parse_listening(&line);
        Server {
            child,
            addr,
            lines: rx,
            _tmp: tmp,
            root,
            log,
        }
    }

    /// Starts `httpd --config CONF` serving `root` (which the file names), with its access
    /// log in a fresh temporary directory.
    pub fn from_config(conf: &Path, root: &Path) -> Server {
        let tmp = TempDir::new("conf");
        let log = tmp.0.join("access.log");
        let args: Vec<OsString> = vec![
            "--config".into(),
            conf.as_os_str().to_owned(),
            "--access-log".into(),
            log.clone().into_os_string(),
        ];
        Server::spawn(&args, tmp, root.to_path_buf(), log)
    }

    /// The next line the server prints on stdout (10 s at most).
    pub fn next_stdout_line(&self) -> Option<String> {
        self.lines.recv_timeout(Duration::from_secs(10)).ok()
    }

    /// The server's process id.
    pub fn pid(&self) -> i32 {
        self.child.id() as i32
    }

    /// Sends `sig` to the server.
    pub fn signal(&self, sig: i32) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.pid(), sig) };
    }

    /// Waits at most `limit` for the server to exit by itself.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Sends `request` on a new connection, half-closes, and reads until the server closes.
    pub fn raw(&self, request: &[u8]) -> Vec<u8> {
        raw_exchange(self.addr, request, true)
    }

    /// Like [`raw`](Self::raw) but keeps the sending side open: the server must close by
    /// itself (it said `Connection: close`).
    pub fn raw_until_server_closes(&self, request: &[u8]) -> Vec<u8> {
        raw_exchange(self.addr, request, false)
    }

    /// Stops the server with SIGTERM and waits (at most 10 s) for it to exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        self.terminate().expect("httpd exited")
    }

    fn terminate(&mut self) -> Option<std::process::ExitStatus> {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }

    /// The access log's lines (waits until at least `at_least` are there, at most 5 s: the
    /// workers write their lines at the end of each loop turn).
    pub fn log_lines(&self, at_least: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let text = fs::read_to_string(&self.log).unwrap_or_default();
            let lines: Vec<String> = text.lines().map(str::to_owned).collect();
            if lines.len() >= at_least || Instant::now() >= deadline {
                return lines;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
    }
}

/// The address of a `httpd: listening on http://ADDR/` line.
pub fn parse_listening(line: &str) -> SocketAddr {
    line.trim()
        .strip_prefix("httpd: listening on http://")
        .and_then(|s| s.strip_suffix('/'))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("unexpected line {line:?}"))
}

pub fn raw_exchange(addr: SocketAddr, request: &[u8], half_close: bool) -> Vec<u8> {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(10))).unwrap();
    // The server may answer and close before taking all of a bad request: ignore EPIPE.
    let _ = s.write_all(request);
    if half_close {
        let _ = s.shutdown(Shutdown::Write);
    }
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => break,
            Err(e) => panic!(
                "reading the response to {:?}: {e} (got {:?} so far)",
                String::from_utf8_lossy(&request[..request.len().min(200)]),
                String::from_utf8_lossy(&out)
            ),
        }
    }
    out
}

/// One parsed response.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub status_line: String,
    /// Names lowercased, in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn header_count(&self, name: &str) -> usize {
        self.headers.iter().filter(|(n, _)| n == name).count()
    }
}

/// Splits a byte stream into responses. `bodiless[i]` says the i-th answers a HEAD (or is
/// expected to be a 304): it then has no body whatever its `Content-Length` says. Panics if
/// the stream is not exactly that many well-framed responses.
pub fn parse_responses(mut data: &[u8], bodiless: &[bool]) -> Vec<Response> {
    let mut out = Vec::new();
    for (i, &no_body) in bodiless.iter().enumerate() {
        let end = data
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| {
                panic!(
                    "response {i}: no end of head in {:?}",
                    String::from_utf8_lossy(data)
                )
            });
        let head = std::str::from_utf8(&data[..end]).expect("head is UTF-8");
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap().to_owned();
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad status line {status_line:?}"));
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (n, v) = l.split_once(':').expect("header line has a colon");
                (n.to_ascii_lowercase(), v.trim().to_owned())
            })
            .collect();
        data = &data[end + 4..];
        let len: usize = if no_body || status == 304 {
            0
        } else {
            headers
                .iter()
                .find(|(n, _)| n == "content-length")
                .map(|(_, v)| v.parse().unwrap())
                .unwrap_or(0)
        };
        assert!(
            data.len() >= len,
            "response {i}: body shorter than Content-Length"
        );
        out.push(Response {
            status,
            status_line,
            headers,
            body: data[..len].to_vec(),
        });
        data = &data[len..];
    }
    assert!(
        data.is_empty(),
        "trailing bytes after {} responses: {:?}",
        bodiless.len(),
        String::from_utf8_lossy(&data[..data.len().min(300)])
    );
    out
}

/// The one response of a raw exchange.
pub fn one_response(data: &[u8], head_request: bool) -> Response {
    parse_responses(data, &[head_request]).remove(0)
}

/// Whether a program is on PATH.
pub fn have(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Runs curl with a 10 s limit: `-s -S` plus `args`.
pub fn curl(args: &[&str]) -> Output {
    let out = Command::new("curl")
        .args(["-s", "-S", "--max-time", "10"])
        .args(args)
        .output()
        .expect("run curl (Debian package curl)");
    assert!(
        out.status.success(),
        "curl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `curl -i` output split into a response (head + body).
pub fn curl_response(args: &[&str], head_request: bool) -> Response {
    let mut all = vec!["-i"];
    all.extend_from_slice(args);
    let out = curl(&all);
    one_response(&out.stdout, head_request)
}

/// `TCP_INFO` of this end of `c`.
pub fn tcp_info(c: &TcpStream) -> libc::tcp_info {
    use std::os::fd::AsRawFd;
    // SAFETY: tcp_info is plain integers; getsockopt writes at most `len` bytes into it.
    let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
    let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
    // SAFETY: a live socket and a buffer of `len` bytes.
    let rc = unsafe {
        libc::getsockopt(
            c.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_INFO,
            &mut info as *mut libc::tcp_info as *mut libc::c_void,
            &mut len,
        )
    };
    assert_eq!(rc, 0, "TCP_INFO: {}", std::io::Error::last_os_error());
    info
}

/// Polls (10 s at most) until `cond` holds.
pub fn wait_until(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    false
}

/// `ioctl(fd, req)` on `c` for an `int` count of bytes.
fn queued_bytes(c: &TcpStream, req: libc::c_ulong) -> usize {
    use std::os::fd::AsRawFd;
    let mut n: libc::c_int = 0;
    // SAFETY: a live socket; SIOCINQ and SIOCOUTQ write one int.
    let rc = unsafe { libc::ioctl(c.as_raw_fd(), req, &mut n) };
    assert_eq!(rc, 0, "ioctl: {}", std::io::Error::last_os_error());
    n as usize
}

/// Bytes that arrived on `c` and are not read yet (`SIOCINQ`).
pub fn unread(c: &TcpStream) -> usize {
    queued_bytes(c, libc::FIONREAD)
}

/// Bytes written on `c` that the server's kernel has not acknowledged yet (`SIOCOUTQ`).
pub fn unacknowledged(c: &TcpStream) -> usize {
    queued_bytes(c, libc::TIOCOUTQ)
}

/// What has arrived on `c` and is not read yet, left in place (`MSG_PEEK`).
pub fn peek_unread(c: &TcpStream) -> Vec<u8> {
    let mut buf = vec![0u8; unread(c)];
    let n = c.peek(&mut buf).expect("peek");
    buf.truncate(n);
    buf
}

/// The server's end of `client`'s loopback connection as `/proc/net/tcp` shows it.
#[derive(Debug)]
pub struct ServerEnd {
    /// Bytes written by the server and not acknowledged by the client, sent or not
    /// (`tx_queue`).
    pub not_acked: u64,
    /// Bytes received by the server's kernel and not read by the server (`rx_queue`).
    pub unread: u64,
    /// The zero-window probe timer runs: the server has data to send, none in flight, and
    /// no room in the client's window for it.
    pub waits_for_window: bool,
    /// The socket's inode (`socket:[INODE]` among the server's descriptors).
    pub inode: u64,
}

/// An `int` socket option of the server's end of `client`'s connection, read from the
/// server process `pid` itself: its descriptor is found by the socket's inode and copied
/// with `pidfd_getfd` (the test process is httpd's parent, so ptrace's rules allow it).
pub fn server_socket_option(pid: i32, client: &TcpStream, level: i32, name: i32) -> i32 {
    let want = format!("socket:[{}]", server_end(client).inode);
    let fd: i32 = fs::read_dir(format!("/proc/{pid}/fd"))
        .expect("/proc/PID/fd")
        .filter_map(|e| {
            let e = e.ok()?;
            let target = fs::read_link(e.path()).ok()?;
            (target.to_str() == Some(want.as_str()))
                .then(|| e.file_name().to_str()?.parse().ok())?
        })
        .next()
        .unwrap_or_else(|| panic!("no {want} among process {pid}'s descriptors"));
    // SAFETY: plain system calls on integers; the descriptors they return are closed here.
    unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, pid, 0) as i32;
        assert!(
            pidfd >= 0,
            "pidfd_open: {}",
            std::io::Error::last_os_error()
        );
        let copy = libc::syscall(libc::SYS_pidfd_getfd, pidfd, fd, 0) as i32;
        assert!(
            copy >= 0,
            "pidfd_getfd: {}",
            std::io::Error::last_os_error()
        );
        let mut value: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        let r = libc::getsockopt(
            copy,
            level,
            name,
            (&mut value as *mut libc::c_int).cast(),
            &mut len,
        );
        assert_eq!(r, 0, "getsockopt: {}", std::io::Error::last_os_error());
        libc::close(copy);
        libc::close(pidfd);
        value
    }
}

/// The server's end of `client`'s connection (IPv4; the tests listen on 127.0.0.1).
pub fn server_end(client: &TcpStream) -> ServerEnd {
    let hex = |a: SocketAddr| match a {
        SocketAddr::V4(v4) => format!(
            "{:08X}:{:04X}",
            u32::from_ne_bytes(v4.ip().octets()),
            v4.port()
        ),
        SocketAddr::V6(_) => panic!("IPv4 only"),
    };
    let (local, remote) = (
        hex(client.peer_addr().unwrap()),
        hex(client.local_addr().unwrap()),
    );
    let table = fs::read_to_string("/proc/net/tcp").expect("/proc/net/tcp");
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when ...
    table
        .lines()
        .skip(1)
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|f| f.len() > 5 && f[1] == local && f[2] == remote)
        .map(|f| {
            let (tx, rx) = f[4].split_once(':').expect("tx_queue:rx_queue");
            let timer = f[5].split_once(':').expect("tr:tm->when").0;
            ServerEnd {
                not_acked: u64::from_str_radix(tx, 16).expect("tx_queue"),
                unread: u64::from_str_radix(rx, 16).expect("rx_queue"),
                waits_for_window: timer == "04",
                inode: f[9].parse().expect("inode"),
            }
        })
        .unwrap_or_else(|| panic!("no {local} -> {remote} in /proc/net/tcp"))
}
