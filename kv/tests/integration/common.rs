//! What every kv integration test needs: a temporary data directory, the real `kv` binary
//! started on an ephemeral loopback port (its log drained while it runs), a small RESP
//! client, and the real Redis tools.
//!
//! Every wait is bounded: the start is awaited for at most 20 s, reads have timeouts, and a
//! server that ignores SIGTERM is killed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// A temporary directory removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "kv-test-{}-{}-{tag}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// The log directory inside.
    pub fn aof_dir(&self) -> PathBuf {
        self.0.join("appendonlydir")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running kv.
pub struct Kv {
    pub child: Child,
    pub addr: SocketAddr,
    /// Everything it wrote on stderr so far.
    pub log: Arc<Mutex<String>>,
}

/// The kv binary.
pub fn kv_bin() -> &'static str {
    env!("CARGO_BIN_EXE_kv")
}

/// Starts `kv serve --listen 127.0.0.1:0 --dir DIR ARGS`, waits for its listening line.
pub fn start(dir: &Path, args: &[&str]) -> Kv {
    try_start(dir, args).unwrap_or_else(|e| panic!("kv did not start: {e}"))
}

/// Like [`start`]; `Err(log)` if kv exits instead of listening.
pub fn try_start(dir: &Path, args: &[&str]) -> Result<Kv, String> {
    let mut child = Command::new(kv_bin())
        .args(["serve", "--listen", "127.0.0.1:0", "--dir"])
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kv");
    let log = Arc::new(Mutex::new(String::new()));
    let stderr = child.stderr.take().unwrap();
    let sink = Arc::clone(&log);
    let stderr_reader = std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let mut l = sink.lock().unwrap();
            l.push_str(&line);
            l.push('\n');
        }
    });
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(addr) = line.strip_prefix("kv: listening on ") {
                let _ = tx.send(addr.parse::<SocketAddr>().ok());
            }
        }
        let _ = tx.send(None);
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(Some(addr)) => {
            // kv logs "Ready to accept connections" before it prints its address: wait for
            // the stderr reader to have it too, so the start-up's log lines are all there.
            let deadline = Instant::now() + Duration::from_secs(20);
            while !log.lock().unwrap().contains("Ready to accept connections")
                && Instant::now() < deadline
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(Kv { child, addr, log })
        }
        _ => {
            let deadline = Instant::now() + Duration::from_secs(10);
            while child.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            let _ = child.kill();
            let _ = child.wait();
            // The process is gone: its stderr reaches EOF and the reader ends with all of it.
            let _ = stderr_reader.join();
            let text = log.lock().unwrap().clone();
            Err(text)
        }
    }
}

impl Kv {
    pub fn connect(&self) -> Resp {
        Resp::connect(self.addr)
    }

    pub fn port(&self) -> String {
        self.addr.port().to_string()
    }

    pub fn log_text(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// SIGKILL: the process dies between any two instructions, as in a crash.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, and the exit status once it has exited (killed after 20 s).
    pub fn stop(mut self) -> std::process::ExitStatus {
        // SAFETY: signals our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return self.child.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Kv {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A RESP reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Option<Vec<u8>>),
    Array(Option<Vec<Reply>>),
}

impl Reply {
    pub fn bulk(s: &str) -> Reply {
        Reply::Bulk(Some(s.as_bytes().to_vec()))
    }
}

/// A blocking RESP connection with a read timeout.
pub struct Resp {
    pub reader: BufReader<TcpStream>,
}

impl Resp {
    pub fn connect(addr: SocketAddr) -> Resp {
        let s = TcpStream::connect(addr).expect("connect to kv");
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        Resp {
            reader: BufReader::new(s),
        }
    }

    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).unwrap();
    }

    /// Sends a command without waiting for its reply.
    pub fn send(&mut self, args: &[&[u8]]) {
        let mut buf = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            buf.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
            buf.extend_from_slice(a);
            buf.extend_from_slice(b"\r\n");
        }
        self.send_raw(&buf);
    }

    /// Runs a command given as words.
    pub fn cmd(&mut self, words: &[&str]) -> Reply {
        let args: Vec<&[u8]> = words.iter().map(|w| w.as_bytes()).collect();
        self.send(&args);
        self.read().expect("a reply")
    }

    /// The next reply; `None` at EOF.
    pub fn read(&mut self) -> Option<Reply> {
        let mut line = Vec::new();
        if self.reader.read_until(b'\n', &mut line).ok()? == 0 {
            return None;
        }
        let text = String::from_utf8_lossy(&line[1..line.len().saturating_sub(2)]).into_owned();
        Some(match line[0] {
            b'+' => Reply::Simple(text),
            b'-' => Reply::Error(text),
            b':' => Reply::Int(text.parse().unwrap()),
            b'$' => {
                let n: i64 = text.parse().unwrap();
                if n < 0 {
                    Reply::Bulk(None)
                } else {
                    let mut data = vec![0; n as usize + 2];
                    self.reader.read_exact(&mut data).ok()?;
                    data.truncate(n as usize);
                    Reply::Bulk(Some(data))
                }
            }
            b'*' => {
                let n: i64 = text.parse().unwrap();
                if n < 0 {
                    Reply::Array(None)
                } else {
                    let mut items = Vec::new();
                    for _ in 0..n {
                        items.push(self.read()?);
                    }
                    Reply::Array(Some(items))
                }
            }
            other => panic!("not RESP: {:?}", other as char),
        })
    }
}

/// Runs a program to completion with `input` on stdin, output collected (no pipe can fill:
/// `wait_with_output` reads both while waiting). Fails the test with a hint if it is missing.
pub fn run_tool(program: &str, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e} (run `make deps` to install the Redis tools)"));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    let _ = feeder.join();
    out
}

/// The log's files' contents, concatenated in manifest order.
pub fn aof_bytes(dir: &TempDir) -> Vec<u8> {
    let manifest = std::fs::read_to_string(dir.aof_dir().join("appendonly.aof.manifest")).unwrap();
    let mut all = Vec::new();
    for line in manifest.lines() {
        let name = line.split_whitespace().nth(1).unwrap();
        all.extend(std::fs::read(dir.aof_dir().join(name)).unwrap());
    }
    all
}

/// The path of the current (last) incremental file.
pub fn current_incr(dir: &TempDir) -> PathBuf {
    let manifest = std::fs::read_to_string(dir.aof_dir().join("appendonly.aof.manifest")).unwrap();
    let name = manifest
        .lines()
        .rfind(|l| l.ends_with("type i"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .to_string();
    dir.aof_dir().join(name)
}
