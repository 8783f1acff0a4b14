//! The servers the suite measures, each started on a free loopback port and pinned to the
//! server CPU: chat (plain, TLS, kTLS), Redis (plain or TLS) and nginx's TLS `stream`
//! listener (the handshake anchor), with the one certificate they all share.

use crate::load::{self, read_until};
use crate::tls::{TlsClient, CIPHER};
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SERVER_CPU: usize = 1;
pub const CLIENT_CPU: usize = 0;

pub fn pin_self(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t with one bit set, applied to this thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// A server process, stopped with SIGTERM (then SIGKILL) when dropped.
pub struct ServerProc {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Drop for ServerProc {
    fn drop(&mut self) {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn command(program: &Path, pin: bool) -> Command {
    let mut cmd = Command::new(program);
    cmd.stdin(Stdio::null()).stderr(Stdio::null());
    if pin {
        // SAFETY: sched_setaffinity is async-signal-safe; it runs in the child before exec.
        unsafe {
            cmd.pre_exec(|| {
                pin_self(SERVER_CPU);
                Ok(())
            });
        }
    }
    cmd
}

fn start_error(program: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("cannot start {}: {e}", program.display()))
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The certificate every TLS server of the run serves (ECDSA P-256, self-signed for
/// 127.0.0.1 by `chat gen-cert`), in a directory removed when dropped.
pub struct Certs {
    pub dir: PathBuf,
}

impl Certs {
    pub fn new(chat: &Path) -> io::Result<Certs> {
        let dir = std::env::temp_dir().join(format!("chat-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let out = Command::new(chat)
            .args(["gen-cert", "--dir"])
            .arg(&dir)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| start_error(chat, e))?;
        if !out.status.success() {
            return Err(io::Error::other(format!(
                "chat gen-cert failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(Certs { dir })
    }
    pub fn cert(&self) -> PathBuf {
        self.dir.join("server.pem")
    }
    pub fn key(&self) -> PathBuf {
        self.dir.join("server.key")
    }
}

impl Drop for Certs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// How a chat server is started.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum ChatTls {
    Plain,
    /// TLS, OpenSSL doing the records (`--ktls off`).
    Userspace,
    /// TLS, the kernel doing the records (`--ktls on`: a connection without is closed).
    Kernel,
}

pub struct ChatSetup<'a> {
    pub chat: &'a Path,
    pub pin: bool,
    pub model: &'a str,
    pub subscribers: usize,
    pub tls: ChatTls,
    pub certs: Option<&'a Certs>,
    /// `--tls-no-resumption` (the handshake rows).
    pub no_resumption: bool,
}

pub fn start_chat(s: &ChatSetup) -> io::Result<ServerProc> {
    let workers = (s.subscribers + 8).to_string();
    // Room for the subscribers, the publisher and a few more.
    let max_clients = (s.subscribers + 16).max(5000).to_string();
    let mut cmd = command(s.chat, s.pin);
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--model", s.model])
        .args([
            "--max-clients",
            &max_clients,
            "--max-queue",
            "67108864",
            "--idle-timeout",
            "0",
        ])
        .args(["--workers", &workers, "--pool-queue", "64"]);
    if s.tls != ChatTls::Plain {
        let certs = s
            .certs
            .ok_or_else(|| io::Error::other("TLS without a certificate"))?;
        cmd.arg("--tls-cert")
            .arg(certs.cert())
            .arg("--tls-key")
            .arg(certs.key());
        let ktls = if s.tls == ChatTls::Kernel {
            "on"
        } else {
            "off"
        };
        cmd.args(["--ktls", ktls]);
        if s.no_resumption {
            cmd.arg("--tls-no-resumption");
        }
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| start_error(s.chat, e))?;
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        BufReader::new(out).read_line(&mut line)?;
    }
    let addr = line.split_whitespace().nth(3).and_then(|a| a.parse().ok());
    let server = |addr| ServerProc { child, addr };
    match addr {
        Some(addr) => Ok(server(addr)),
        None => {
            drop(server(SocketAddr::from(([127, 0, 0, 1], 0))));
            Err(io::Error::other(format!(
                "chat did not say where it listens: {line:?}"
            )))
        }
    }
}

/// Redis as its users run a pub/sub server: no persistence, no output buffer limit for
/// subscribers (the load generator's window bounds what is queued). With `tls`, the TLS port
/// only (`--port 0`), TLS 1.3 and [`CIPHER`], no client certificates asked for.
pub fn start_redis(
    redis_server: &Path,
    pin: bool,
    tls: Option<(&Certs, &TlsClient)>,
) -> io::Result<ServerProc> {
    let port = free_port()?.to_string();
    let mut cmd = command(redis_server, pin);
    match tls {
        None => cmd.args(["--port", &port]),
        Some((certs, _)) => cmd
            .args(["--port", "0", "--tls-port", &port])
            .arg("--tls-cert-file")
            .arg(certs.cert())
            .arg("--tls-key-file")
            .arg(certs.key())
            .args(["--tls-auth-clients", "no", "--tls-protocols", "TLSv1.3"])
            .args(["--tls-ciphersuites", CIPHER]),
    };
    let child = cmd
        .args(["--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no", "--protected-mode", "no"])
        .args([
            "--client-output-buffer-limit",
            "pubsub 0 0 0",
            "--maxclients",
            "10000",
        ])
        .args([
            "--daemonize",
            "no",
            "--loglevel",
            "warning",
            "--logfile",
            "",
        ])
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| start_error(redis_server, e))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port.parse::<u16>().unwrap_or(0)));
    let server = ServerProc { child, addr };
    // Ready when it answers PING.
    wait_ready("redis-server", || {
        let mut s = load::connect(addr, tls.map(|(_, c)| c))?;
        s.write_all(b"PING\r\n")?;
        let got = read_until(&mut s, |g| g.len() >= 7)?;
        if got == b"+PONG\r\n" {
            Ok(())
        } else {
            Err(io::Error::other("no PONG"))
        }
    })?;
    Ok(server)
}

/// Retries `ready` until it succeeds, for 10 s, while the server runs.
fn wait_ready(name: &str, mut ready: impl FnMut() -> io::Result<()>) -> io::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let why = match ready() {
            Ok(()) => return Ok(()),
            Err(e) => e,
        };
        if Instant::now() > deadline {
            return Err(io::Error::other(format!("{name} did not come up: {why}")));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn redis_version(redis_server: &Path) -> String {
    version_of(redis_server, "--version", |s| {
        s.split_whitespace()
            .find_map(|w| w.strip_prefix("v=").map(str::to_string))
    })
}

pub fn nginx_version(nginx: &Path) -> String {
    // `nginx version: nginx/1.22.1`, on stderr.
    version_of(nginx, "-v", |s| {
        s.split_whitespace()
            .find_map(|w| w.strip_prefix("nginx/").map(str::to_string))
    })
}

fn version_of(program: &Path, arg: &str, find: impl Fn(&str) -> Option<String>) -> String {
    Command::new(program)
        .arg(arg)
        .output()
        .ok()
        .and_then(|o| {
            let mut text = String::from_utf8_lossy(&o.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&o.stderr));
            find(&text)
        })
        .unwrap_or_else(|| "?".into())
}

/// nginx's configuration for the handshake rows: one worker (chat's event loop is one
/// thread), a TLS `stream` listener on the shared certificate with TLS 1.3 and [`CIPHER`]
/// only, resumption off (no session cache, no tickets of either kind), and the `return`
/// directive: a line for each client once its handshake is done, then close, as chat
/// greets each client. No access log.
fn nginx_conf(dir: &Path, port: u16, certs: &Certs) -> String {
    let module = Path::new("/usr/lib/nginx/modules/ngx_stream_module.so");
    let load = if module.exists() {
        format!("load_module {};\n", module.display())
    } else {
        String::new()
    };
    // SAFETY: getuid has no memory effects.
    let user = if unsafe { libc::getuid() } == 0 {
        "user root;\n"
    } else {
        ""
    };
    format!(
        "{load}{user}worker_processes 1;
daemon off;
master_process on;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
worker_rlimit_nofile 65536;
events {{ worker_connections 16384; use epoll; }}
stream {{
  server {{
    listen 127.0.0.1:{port} ssl backlog=4096;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.3;
    ssl_conf_command Ciphersuites {CIPHER};
    ssl_session_cache off;
    ssl_session_tickets off;
    ssl_conf_command NumTickets 0;
    tcp_nodelay on;
    return \"* hello\\n\";
  }}
}}
",
        dir = dir.display(),
        cert = certs.cert().display(),
        key = certs.key().display(),
    )
}

pub fn start_nginx(nginx: &Path, pin: bool, certs: &Certs) -> io::Result<ServerProc> {
    let port = free_port()?;
    let dir = certs.dir.join("nginx");
    std::fs::create_dir_all(&dir)?;
    let conf = dir.join("nginx.conf");
    std::fs::write(&conf, nginx_conf(&dir, port, certs))?;
    let child = command(nginx, pin)
        .arg("-c")
        .arg(&conf)
        .arg("-p")
        .arg(&dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .stdout(Stdio::null())
        .spawn()
        .map_err(|e| start_error(nginx, e))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let server = ServerProc { child, addr };
    if let Err(e) = wait_ready("nginx", || TcpStream::connect(addr).map(drop)) {
        // Its error log says why (a configuration it refused, a port taken...).
        let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
        return Err(io::Error::other(format!("{e}; {}", log.trim())));
    }
    Ok(server)
}
