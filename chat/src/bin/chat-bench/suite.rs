//! The whole benchmark: start Redis and each chat model on loopback, measure, print a table.
//!
//! Each server is pinned to one CPU and the load generator to another (on a machine with at
//! least two), so every server, Redis included, gets the same single core.

use crate::load::{self, RunResult, RunSpec, Target};
use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct SuiteConfig {
    pub chat: PathBuf,
    pub redis_server: PathBuf,
    pub subscribers: Vec<usize>,
    pub models: Vec<String>,
    pub deliveries: u64,
    /// Messages published per run at least, however many subscribers.
    pub min_messages: u64,
    /// Where to write the results as CSV too (one line per server and subscriber count).
    pub csv: Option<PathBuf>,
    pub window: u64,
    pub timeout: Duration,
    pub pin: bool,
}

const SERVER_CPU: usize = 1;
const CLIENT_CPU: usize = 0;

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

fn pin_self(cpu: usize) {
    // SAFETY: a zeroed cpu_set_t with one bit set, applied to this thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(cpu, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// A server process, stopped with SIGTERM (then SIGKILL) when dropped.
struct ServerProc {
    child: Child,
    addr: SocketAddr,
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

fn command(program: &PathBuf, pin: bool) -> Command {
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

fn start_chat(cfg: &SuiteConfig, model: &str, subscribers: usize) -> io::Result<ServerProc> {
    let workers = (subscribers + 8).to_string();
    // Room for the subscribers, the publisher and a few more.
    let max_clients = (subscribers + 16).max(5000).to_string();
    let mut child = command(&cfg.chat, cfg.pin)
        .args(["serve", "--listen", "127.0.0.1:0", "--model", model])
        .args([
            "--max-clients",
            &max_clients,
            "--max-queue",
            "67108864",
            "--idle-timeout",
            "0",
        ])
        .args(["--workers", &workers, "--pool-queue", "64"])
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot start {}: {e}", cfg.chat.display()),
            )
        })?;
    let mut line = String::new();
    if let Some(out) = child.stdout.take() {
        BufReader::new(out).read_line(&mut line)?;
    }
    let addr = line
        .split_whitespace()
        .nth(3)
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| io::Error::other(format!("chat did not say where it listens: {line:?}")))?;
    Ok(ServerProc { child, addr })
}

fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn start_redis(cfg: &SuiteConfig) -> io::Result<ServerProc> {
    let port = free_port()?;
    let child = command(&cfg.redis_server, cfg.pin)
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
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
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot start {}: {e}", cfg.redis_server.display()),
            )
        })?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let server = ServerProc { child, addr };
    // Ready when it answers PING.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(mut s) = TcpStream::connect(addr) {
            use std::io::{Read, Write};
            s.set_read_timeout(Some(Duration::from_secs(2)))?;
            let mut buf = [0u8; 7];
            if s.write_all(b"PING\r\n").is_ok()
                && s.read_exact(&mut buf).is_ok()
                && &buf == b"+PONG\r\n"
            {
                return Ok(server);
            }
        }
        if Instant::now() > deadline {
            return Err(io::Error::other("redis-server did not come up"));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn redis_version(cfg: &SuiteConfig) -> String {
    Command::new(&cfg.redis_server)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| {
            s.split_whitespace()
                .find_map(|w| w.strip_prefix("v=").map(str::to_string))
        })
        .unwrap_or_else(|| "?".into())
}

fn measure(
    target: Target,
    server: &ServerProc,
    subscribers: usize,
    cfg: &SuiteConfig,
) -> RunResult {
    let spec = RunSpec {
        target,
        addr: server.addr,
        subscribers,
        messages: (cfg.deliveries / subscribers as u64).max(cfg.min_messages.max(1)),
        window: cfg.window,
        timeout: cfg.timeout,
        server_pid: Some(server.child.id()),
    };
    load::run(&spec).unwrap_or_else(|e| RunResult::void(e.to_string()))
}

fn human(rate: f64) -> String {
    let n = rate.round() as u64;
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The CSV file's header; `csv_line` writes its rows. A void result has empty figures and
/// says why in `void` (commas replaced: it is the last column).
pub const CSV_HEADER: &str =
    "subscribers,server,delivered_per_s,p99_ms,server_cpu,server_ns_per_msg,void";

fn csv_line(subscribers: usize, server: &str, r: &RunResult) -> String {
    let opt = |v: Option<f64>, prec: usize| v.map_or(String::new(), |v| format!("{v:.prec$}"));
    let ok = r.void.is_none();
    format!(
        "{subscribers},{server},{},{},{},{},{}",
        opt(ok.then(|| r.rate()), 0),
        opt(r.p99.filter(|_| ok).map(|d| d.as_secs_f64() * 1e3), 3),
        opt(r.server_cpu.filter(|_| ok), 3),
        opt(r.server_ns_per_msg().filter(|_| ok), 0),
        r.void.as_deref().unwrap_or("").replace([',', '\n'], ";")
    )
}

/// Runs everything and prints the table (and writes the CSV file if asked). Returns false if
/// any result was void.
pub fn run(cfg: &SuiteConfig) -> io::Result<bool> {
    let mut csv = match &cfg.csv {
        Some(path) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)?;
            }
            let mut f = std::fs::File::create(path).map_err(|e| {
                io::Error::new(e.kind(), format!("cannot create {}: {e}", path.display()))
            })?;
            writeln!(f, "{CSV_HEADER}")?;
            Some(f)
        }
        None => None,
    };
    let pin = cfg.pin && cpus() >= 2;
    let cfg = &SuiteConfig { pin, ..cfg.clone() };
    if pin {
        pin_self(CLIENT_CPU);
    }
    println!(
        "broadcast fan-out: 1 publisher, 64-byte messages, ~{} deliveries per run, window {}; \
         server on CPU {}, load generator on CPU {}\n\
         server CPU: share of one core over the run; server ns/msg: server CPU time per \
         delivered message (lower is better, robust to other load on the machine)",
        cfg.deliveries,
        cfg.window,
        if pin {
            SERVER_CPU.to_string()
        } else {
            "any".into()
        },
        if pin {
            CLIENT_CPU.to_string()
        } else {
            "any".into()
        },
    );
    let version = redis_version(cfg);
    let mut all_ok = true;
    println!();
    println!(
        "{:>11}  {:<14} {:>16}  {:>8}  {:>8}  {:>10}  {:>14}  {:>10}  note",
        "subscribers",
        "server",
        "delivered msg/s",
        "vs redis",
        "p99 ms",
        "server CPU",
        "server ns/msg",
        "client CPU"
    );
    for &n in &cfg.subscribers {
        let redis = match start_redis(cfg) {
            Ok(server) => {
                let r = measure(Target::Redis, &server, n, cfg);
                drop(server);
                Some(r)
            }
            Err(e) => {
                println!(
                    "{n:>11}  {:<14} {:>16}  {:>8}  {:>8}  {:>10}  {:>14}  {:>10}  {e}",
                    "redis", "-", "-", "-", "-", "-", "-"
                );
                all_ok = false;
                None
            }
        };
        let redis_rate = redis
            .as_ref()
            .filter(|r| r.void.is_none())
            .map(RunResult::rate);
        let mut rows: Vec<(String, RunResult)> = Vec::new();
        if let Some(r) = redis {
            rows.push((format!("redis {version}"), r));
        }
        for model in &cfg.models {
            let r = match start_chat(cfg, model, n) {
                Ok(server) => measure(Target::Chat, &server, n, cfg),
                Err(e) => RunResult::void(e.to_string()),
            };
            rows.push((format!("chat {model}"), r));
        }
        for (name, r) in rows {
            let (rate, ratio, note) = match &r.void {
                Some(why) => {
                    all_ok = false;
                    ("void".to_string(), "-".to_string(), why.clone())
                }
                None => (
                    human(r.rate()),
                    redis_rate.map_or("-".into(), |b| format!("{:.2}x", r.rate() / b)),
                    String::new(),
                ),
            };
            let pct = |c: Option<f64>| c.map_or("-".into(), |c| format!("{:.0}%", c * 100.0));
            let (cpu, client): (String, String) = (pct(r.server_cpu), pct(r.client_cpu));
            let ns = r
                .server_ns_per_msg()
                .filter(|_| r.void.is_none())
                .map_or("-".into(), |ns| format!("{ns:.0}"));
            let p99 = r
                .p99
                .filter(|_| r.void.is_none())
                .map_or("-".into(), |d| format!("{:.2}", d.as_secs_f64() * 1e3));
            println!(
                "{n:>11}  {name:<14} {rate:>16}  {ratio:>8}  {p99:>8}  {cpu:>10}  {ns:>14}  {client:>10}  {note}"
            );
            if let Some(f) = csv.as_mut() {
                writeln!(f, "{}", csv_line(n, &name, &r))?;
            }
        }
    }
    Ok(all_ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn csv_lines_have_the_header_columns_and_void_results_no_figures() {
        let ok = RunResult {
            delivered: 1000,
            seconds: 0.5,
            server_cpu: Some(0.9),
            client_cpu: Some(0.5),
            p99: Some(Duration::from_micros(1500)),
            void: None,
        };
        let line = csv_line(10, "chat epoll", &ok);
        assert_eq!(line, "10,chat epoll,2000,1.500,0.900,450000,");
        assert_eq!(
            line.split(',').count(),
            CSV_HEADER.split(',').count(),
            "{line}"
        );
        let void = csv_line(
            500,
            "chat threads",
            &RunResult::void("timeout, 3 of 4".into()),
        );
        assert_eq!(void, "500,chat threads,,,,,timeout; 3 of 4");
    }
}
