//! The whole benchmark: start Redis and each chat model on loopback, measure, print a table;
//! then the TLS rows ([`crate::tls_suite`]).
//!
//! Each server is pinned to one CPU and the load generator to another (on a machine with at
//! least two), so every server, Redis included, gets the same single core.

use crate::load::{self, RunResult, RunSpec, Target};
use crate::servers::{self, ChatSetup, ChatTls, ServerProc, CLIENT_CPU, SERVER_CPU};
use crate::tls::TlsClient;
use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

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
    /// The TLS rows: None skips them.
    pub tls: Option<crate::tls_suite::TlsConfig>,
}

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

pub(crate) fn measure(
    target: Target,
    server: &ServerProc,
    subscribers: usize,
    cfg: &SuiteConfig,
    tls: Option<&TlsClient>,
) -> RunResult {
    let spec = RunSpec {
        target,
        addr: server.addr,
        subscribers,
        messages: (cfg.deliveries / subscribers as u64).max(cfg.min_messages.max(1)),
        window: cfg.window,
        timeout: cfg.timeout,
        server_pid: Some(server.child.id()),
        tls: tls.cloned(),
    };
    load::run(&spec).unwrap_or_else(|e| RunResult::void(e.to_string()))
}

pub(crate) fn human(rate: f64) -> String {
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
/// `transport` is `plain`, `tls` (OpenSSL doing the records) or `ktls` (the kernel).
pub const CSV_HEADER: &str =
    "subscribers,server,transport,delivered_per_s,p99_ms,server_cpu,server_ns_per_msg,void";

pub(crate) fn csv_line(subscribers: usize, server: &str, transport: &str, r: &RunResult) -> String {
    let opt = |v: Option<f64>, prec: usize| v.map_or(String::new(), |v| format!("{v:.prec$}"));
    let ok = r.void.is_none();
    format!(
        "{subscribers},{server},{transport},{},{},{},{},{}",
        opt(ok.then(|| r.rate()), 0),
        opt(r.p99.filter(|_| ok).map(|d| d.as_secs_f64() * 1e3), 3),
        opt(r.server_cpu.filter(|_| ok), 3),
        opt(r.server_ns_per_msg().filter(|_| ok), 0),
        r.void.as_deref().unwrap_or("").replace([',', '\n'], ";")
    )
}

/// A fan-out table being printed (and written to the CSV file): a row per run, each with its
/// ratios to the anchors named in the header.
pub(crate) struct FanOutTable<'a> {
    pub csv: &'a mut Option<std::fs::File>,
    /// Width of the server column.
    pub name_width: usize,
    /// False once a row is void.
    pub all_ok: bool,
}

fn pct(c: Option<f64>) -> String {
    c.map_or("-".into(), |c| format!("{:.0}%", c * 100.0))
}

/// `a / b` as `2.31x`, or `-` when either is missing.
pub(crate) fn ratio(a: Option<f64>, b: Option<f64>) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => format!("{:.2}x", a / b),
        _ => "-".into(),
    }
}

impl FanOutTable<'_> {
    pub fn header(&self, ratios: &[&str]) {
        let w = self.name_width;
        let mut line = format!(
            "{:>11}  {:<w$} {:>16}",
            "subscribers", "server", "delivered msg/s"
        );
        for r in ratios {
            line.push_str(&format!("  {r:>8}"));
        }
        line.push_str(&format!(
            "  {:>8}  {:>10}  {:>14}  {:>10}  note",
            "p99 ms", "server CPU", "server ns/msg", "client CPU"
        ));
        println!("{line}");
    }

    /// A row whose server could not even start, or was not measured (`why`).
    pub fn missing(&mut self, n: usize, name: &str, ratios: usize, why: &str) {
        let w = self.name_width;
        let mut line = format!("{n:>11}  {name:<w$} {:>16}", "-");
        for _ in 0..ratios {
            line.push_str(&format!("  {:>8}", "-"));
        }
        line.push_str(&format!(
            "  {:>8}  {:>10}  {:>14}  {:>10}  {why}",
            "-", "-", "-", "-"
        ));
        println!("{line}");
    }

    /// Prints a run's row with its `ratios` (already formatted) and writes its CSV line.
    pub fn row(
        &mut self,
        n: usize,
        name: &str,
        transport: &str,
        r: &RunResult,
        ratios: &[String],
    ) -> io::Result<()> {
        let (rate, note) = match &r.void {
            Some(why) => {
                self.all_ok = false;
                ("void".to_string(), why.clone())
            }
            None => (human(r.rate()), String::new()),
        };
        let ns = r
            .server_ns_per_msg()
            .filter(|_| r.void.is_none())
            .map_or("-".into(), |ns| format!("{ns:.0}"));
        let p99 = r
            .p99
            .filter(|_| r.void.is_none())
            .map_or("-".into(), |d| format!("{:.2}", d.as_secs_f64() * 1e3));
        let w = self.name_width;
        let mut line = format!("{n:>11}  {name:<w$} {rate:>16}");
        for ratio in ratios {
            let ratio = if r.void.is_some() { "-" } else { ratio };
            line.push_str(&format!("  {ratio:>8}"));
        }
        line.push_str(&format!(
            "  {p99:>8}  {:>10}  {ns:>14}  {:>10}  {note}",
            pct(r.server_cpu),
            pct(r.client_cpu)
        ));
        println!("{line}");
        if let Some(f) = self.csv.as_mut() {
            writeln!(f, "{}", csv_line(n, name, transport, r))?;
        }
        Ok(())
    }
}

/// A run's rate if it counts.
pub(crate) fn rate_of(r: &RunResult) -> Option<f64> {
    r.void.is_none().then(|| r.rate())
}

/// Runs everything and prints the tables (and writes the CSV files if asked). Returns false
/// if any result was void.
pub fn run(cfg: &SuiteConfig) -> io::Result<bool> {
    let mut csv = match &cfg.csv {
        Some(path) => {
            let mut f = create(path)?;
            writeln!(f, "{CSV_HEADER}")?;
            Some(f)
        }
        None => None,
    };
    let pin = cfg.pin && cpus() >= 2;
    let cfg = &SuiteConfig { pin, ..cfg.clone() };
    if pin {
        servers::pin_self(CLIENT_CPU);
    }
    let cpu_name = |cpu: usize| if pin { cpu.to_string() } else { "any".into() };
    println!(
        "broadcast fan-out: 1 publisher, 64-byte messages, ~{} deliveries per run, window {}; \
         server on CPU {}, load generator on CPU {}\n\
         server CPU: share of one core over the run; server ns/msg: server CPU time per \
         delivered message (lower is better, robust to other load on the machine)",
        cfg.deliveries,
        cfg.window,
        cpu_name(SERVER_CPU),
        cpu_name(CLIENT_CPU),
    );
    let version = servers::redis_version(&cfg.redis_server);
    let mut table = FanOutTable {
        csv: &mut csv,
        name_width: 14,
        all_ok: true,
    };
    if !cfg.subscribers.is_empty() {
        println!();
        table.header(&["vs redis"]);
    }
    for &n in &cfg.subscribers {
        let redis = match servers::start_redis(&cfg.redis_server, cfg.pin, None) {
            Ok(server) => Some(measure(Target::Redis, &server, n, cfg, None)),
            Err(e) => {
                table.missing(n, "redis", 1, &e.to_string());
                table.all_ok = false;
                None
            }
        };
        let redis_rate = redis.as_ref().and_then(rate_of);
        if let Some(r) = &redis {
            table.row(
                n,
                &format!("redis {version}"),
                "plain",
                r,
                &[ratio(rate_of(r), redis_rate)],
            )?;
        }
        for model in &cfg.models {
            let setup = ChatSetup {
                chat: &cfg.chat,
                pin: cfg.pin,
                model,
                subscribers: n,
                tls: ChatTls::Plain,
                certs: None,
                no_resumption: false,
            };
            let r = match servers::start_chat(&setup) {
                Ok(server) => measure(Target::Chat, &server, n, cfg, None),
                Err(e) => RunResult::void(e.to_string()),
            };
            table.row(
                n,
                &format!("chat {model}"),
                "plain",
                &r,
                &[ratio(rate_of(&r), redis_rate)],
            )?;
        }
    }
    let mut all_ok = table.all_ok;
    if let Some(tls) = &cfg.tls {
        all_ok &= crate::tls_suite::run(cfg, tls, &version, &mut csv)?;
    }
    Ok(all_ok)
}

/// Creates `path` (and its directory) for writing.
pub(crate) fn create(path: &std::path::Path) -> io::Result<std::fs::File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::File::create(path)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot create {}: {e}", path.display())))
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
        let line = csv_line(10, "chat epoll", "plain", &ok);
        assert_eq!(line, "10,chat epoll,plain,2000,1.500,0.900,450000,");
        assert_eq!(
            line.split(',').count(),
            CSV_HEADER.split(',').count(),
            "{line}"
        );
        let void = csv_line(
            500,
            "chat threads",
            "ktls",
            &RunResult::void("timeout, 3 of 4".into()),
        );
        assert_eq!(void, "500,chat threads,ktls,,,,,timeout; 3 of 4");
    }
}
