//! The TLS rows of the suite (issue #25): fan-out over TLS, chat (OpenSSL doing the records,
//! and the kernel doing them: kTLS) against Redis with TLS; then full handshakes per second,
//! chat against nginx's TLS `stream` listener; then the goals, met or not.
//!
//! Every TLS server serves the same certificate (`chat gen-cert`: ECDSA P-256) and gets the
//! same offer from the load generator (TLS 1.3, TLS_AES_128_GCM_SHA256, X25519: see
//! [`crate::tls`]; the handshake rows' client is [`crate::pinned`]'s), on the same pinned
//! core as the plain rows.

use crate::handshake::{self, HandshakeResult, HandshakeSpec};
use crate::load::{RunResult, Target};
use crate::pinned::PinnedClient;
use crate::servers::{self, Certs, ChatSetup, ChatTls};
use crate::suite::{self, create, csv_line, rate_of, ratio, FanOutTable, SuiteConfig};
use crate::tls::{TlsClient, CIPHER, GROUP};
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct TlsConfig {
    pub nginx: PathBuf,
    pub subscribers: Vec<usize>,
    pub models: Vec<String>,
    /// Messages delivered per fan-out run (longer than the plain rows': a TLS run at 500
    /// subscribers is otherwise over in well under a second, and start-up weighs on it).
    pub deliveries: u64,
    pub handshake_seconds: Duration,
    /// Handshakes in flight at once.
    pub handshake_conns: usize,
    /// Where to write the handshake rows as CSV.
    pub handshake_csv: Option<PathBuf>,
}

/// The goals.
const GOAL_VS_REDIS: f64 = 2.0;
const GOAL_KTLS: f64 = 1.3;
const GOAL_VS_NGINX: f64 = 1.0;

/// One goal's outcome: the ratio measured, or why there is none.
struct Goal {
    what: String,
    target: f64,
    ratio: Result<f64, String>,
    /// Said after the verdict, in parentheses.
    detail: Option<String>,
}

impl Goal {
    fn new(what: String, target: f64, a: Option<f64>, b: Option<f64>, why: &str) -> Goal {
        let ratio = match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => Ok(a / b),
            _ => Err(why.to_string()),
        };
        Goal {
            what,
            target,
            ratio,
            detail: None,
        }
    }

    fn line(&self) -> String {
        let line = self.verdict();
        match &self.detail {
            Some(d) => format!("{line} ({d})"),
            None => line,
        }
    }

    fn verdict(&self) -> String {
        match &self.ratio {
            Ok(r) if *r >= self.target => {
                format!("  {}: {r:.2}x, goal {}x: met", self.what, self.target)
            }
            Ok(r) => {
                // Short of the goal shows as short of it (0.997x, not 1.00x).
                let mut shown = format!("{r:.2}");
                if shown.parse::<f64>().is_ok_and(|v| v >= self.target) {
                    shown = format!("{r:.4}");
                }
                format!("  {}: {shown}x, goal {}x: NOT MET", self.what, self.target)
            }
            Err(why) => format!(
                "  {}: goal {}x: not measured ({why})",
                self.what, self.target
            ),
        }
    }
}

/// Whether the kernel can take TLS records: the `tls` ULP is registered, or loads (as a
/// module, `modprobe tls`, which needs root). `Err` says why not.
pub fn ktls_available() -> Result<(), String> {
    let ulps =
        || std::fs::read_to_string("/proc/sys/net/ipv4/tcp_available_ulp").unwrap_or_default();
    let has_tls = |s: String| s.split_whitespace().any(|u| u == "tls");
    if has_tls(ulps()) {
        return Ok(());
    }
    let _ = Command::new("modprobe")
        .args(["-q", "tls"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if has_tls(ulps()) {
        return Ok(());
    }
    Err(format!(
        "not available here: the kernel has no tls ULP (tcp_available_ulp: {:?}; modprobe tls failed)",
        ulps().trim()
    ))
}

/// Runs the TLS rows; returns false if a row that could run was void.
pub fn run(
    cfg: &SuiteConfig,
    tls: &TlsConfig,
    redis_version: &str,
    csv: &mut Option<std::fs::File>,
) -> io::Result<bool> {
    let certs = Certs::new(&cfg.chat)?;
    let client = TlsClient::new(&certs.cert())?;
    let ktls = ktls_available();
    let cfg = &SuiteConfig {
        deliveries: tls.deliveries,
        ..cfg.clone()
    };
    let mut goals = Vec::new();
    let mut table = FanOutTable {
        csv,
        name_width: 18,
        all_ok: true,
    };
    if !tls.subscribers.is_empty() {
        println!();
        println!(
            "TLS fan-out: the same runs over TLS 1.3 {CIPHER} ({GROUP}, ECDSA P-256 certificate) \
             on every connection; chat TLS: OpenSSL does the records (--ktls off); chat kTLS: \
             the kernel does them (--ktls on)"
        );
        table.header(&["vs redis", "vs TLS"]);
    }
    for &n in &tls.subscribers {
        let name = format!("redis {redis_version} TLS");
        let redis = match servers::start_redis(&cfg.redis_server, cfg.pin, Some((&certs, &client)))
        {
            Ok(server) => Some(suite::measure(
                Target::Redis,
                &server,
                n,
                cfg,
                Some(&client),
            )),
            Err(e) => {
                table.missing(n, &name, 2, &e.to_string());
                table.all_ok = false;
                None
            }
        };
        let redis_rate = redis.as_ref().and_then(rate_of);
        if let Some(r) = &redis {
            table.row(
                n,
                &name,
                "tls",
                r,
                &[ratio(rate_of(r), redis_rate), "-".into()],
            )?;
        }
        for model in &tls.models {
            let run_chat = |kind| {
                let setup = ChatSetup {
                    chat: &cfg.chat,
                    pin: cfg.pin,
                    model,
                    subscribers: n,
                    tls: kind,
                    certs: Some(&certs),
                    no_resumption: false,
                };
                match servers::start_chat(&setup) {
                    Ok(server) => suite::measure(Target::Chat, &server, n, cfg, Some(&client)),
                    Err(e) => RunResult::void(e.to_string()),
                }
            };
            let user = run_chat(ChatTls::Userspace);
            let user_rate = rate_of(&user);
            let name = format!("chat {model} TLS");
            table.row(
                n,
                &name,
                "tls",
                &user,
                &[ratio(user_rate, redis_rate), "-".into()],
            )?;
            goals.push(Goal::new(
                format!("chat {model} TLS fan-out at {n} subscribers, vs Redis TLS"),
                GOAL_VS_REDIS,
                user_rate,
                redis_rate,
                "a run was void",
            ));
            let name = format!("chat {model} kTLS");
            let what = format!("chat {model} kTLS fan-out at {n} subscribers, vs chat TLS");
            match &ktls {
                Ok(()) => {
                    let kernel = run_chat(ChatTls::Kernel);
                    let k = rate_of(&kernel);
                    table.row(
                        n,
                        &name,
                        "ktls",
                        &kernel,
                        &[ratio(k, redis_rate), ratio(k, user_rate)],
                    )?;
                    goals.push(Goal::new(what, GOAL_KTLS, k, user_rate, "a run was void"));
                }
                Err(why) => {
                    // Not a failure of the run: this host cannot, the row says so.
                    table.missing(n, &name, 2, why);
                    if let Some(f) = table.csv.as_mut() {
                        writeln!(
                            f,
                            "{}",
                            csv_line(n, &name, "ktls", &RunResult::void(why.clone()))
                        )?;
                    }
                    goals.push(Goal::new(
                        what,
                        GOAL_KTLS,
                        None,
                        None,
                        "kTLS not available here",
                    ));
                }
            }
        }
    }
    let mut all_ok = table.all_ok;
    all_ok &= handshakes(cfg, tls, &certs, &mut goals)?;
    if !goals.is_empty() {
        println!();
        println!("goals (issue #25):");
        for g in &goals {
            println!("{}", g.line());
        }
    }
    Ok(all_ok)
}

/// The handshake header of the CSV file.
pub const HANDSHAKE_CSV_HEADER: &str =
    "server,handshakes_per_s,server_cpu,server_us_per_handshake,client_cpu,void";

fn handshake_csv_line(server: &str, r: &HandshakeResult) -> String {
    let opt = |v: Option<f64>, prec: usize| v.map_or(String::new(), |v| format!("{v:.prec$}"));
    let ok = r.void.is_none();
    format!(
        "{server},{},{},{},{},{}",
        opt(ok.then(|| r.rate()), 0),
        opt(r.server_cpu.filter(|_| ok), 3),
        opt(r.server_us_per_handshake().filter(|_| ok), 1),
        opt(r.client_cpu.filter(|_| ok), 3),
        r.void.as_deref().unwrap_or("").replace([',', '\n'], ";")
    )
}

fn measure_handshakes(
    server: io::Result<servers::ServerProc>,
    tls: &TlsConfig,
    client: &handshake::Client,
) -> HandshakeResult {
    match server {
        Ok(server) => handshake::run(&HandshakeSpec {
            addr: server.addr,
            tls: client.clone(),
            conns: tls.handshake_conns,
            duration: tls.handshake_seconds,
            server_pid: Some(server.child.id()),
        }),
        Err(e) => HandshakeResult::void(e.to_string()),
    }
}

/// A handshake row's server CPU (of one core) from which its rate counts as the server's:
/// below it the server was waiting for the load generator, so the rate is not its limit.
const SERVER_BOUND: f64 = 0.9;

/// Whether a handshake row measured the server: not void, its core (nearly) saturated.
fn server_bound(r: &HandshakeResult) -> bool {
    r.void.is_none() && r.server_cpu.is_some_and(|c| c >= SERVER_BOUND)
}

/// Why a handshake row's rate does not count, if it does not.
fn not_server_bound(name: &str, r: &HandshakeResult) -> Option<String> {
    match (&r.void, r.server_cpu) {
        (Some(_), _) => Some(format!("{name}'s run was void")),
        (None, Some(c)) if c >= SERVER_BOUND => None,
        (None, Some(c)) => Some(format!(
            "{name}'s server was not the limit: {:.0}% of its core",
            c * 100.0
        )),
        (None, None) => Some(format!("{name}'s server CPU unknown")),
    }
}

fn handshakes(
    cfg: &SuiteConfig,
    tls: &TlsConfig,
    certs: &Certs,
    goals: &mut Vec<Goal>,
) -> io::Result<bool> {
    let mut csv = match &tls.handshake_csv {
        Some(path) => {
            let mut f = create(path)?;
            writeln!(f, "{HANDSHAKE_CSV_HEADER}")?;
            Some(f)
        }
        None => None,
    };
    let client = handshake::Client::Pinned(PinnedClient::new(&certs.cert())?);
    println!();
    println!(
        "TLS handshakes: {} connections at once for {:.1} s per server, each opened, a full \
         handshake (TLS 1.3 {CIPHER}, {GROUP}, the same ECDSA P-256 certificate, resumption off \
         on both sides), the server's first line read, closed; nginx: one worker, stream ssl \
         + return; the client (rustls) pins the certificate and skips its signature checks, \
         so that it costs less than a server and the server is the limit",
        tls.handshake_conns,
        tls.handshake_seconds.as_secs_f64()
    );
    println!(
        "server CPU: of its one core (a rate counts only from {:.0}%: the server the limit); \
         server us/hs: its CPU time per handshake; CPU vs nginx: nginx's us/hs over this \
         server's (above 1: less CPU than nginx)",
        SERVER_BOUND * 100.0
    );
    println!(
        "{:<18} {:>14}  {:>8}  {:>10}  {:>12}  {:>12}  {:>10}  note",
        "server",
        "handshakes/s",
        "vs nginx",
        "server CPU",
        "server us/hs",
        "CPU vs nginx",
        "client CPU"
    );
    let nginx_name = format!("nginx {}", servers::nginx_version(&tls.nginx));
    let nginx = measure_handshakes(
        servers::start_nginx(&tls.nginx, cfg.pin, certs),
        tls,
        &client,
    );
    let nginx_rate = server_bound(&nginx).then(|| nginx.rate());
    let nginx_us = nginx
        .server_us_per_handshake()
        .filter(|_| nginx.void.is_none());
    let nginx_why = not_server_bound("nginx", &nginx);
    let mut rows = vec![(nginx_name, nginx)];
    for model in &tls.models {
        let setup = ChatSetup {
            chat: &cfg.chat,
            pin: cfg.pin,
            model,
            subscribers: tls.handshake_conns,
            tls: ChatTls::Userspace,
            certs: Some(certs),
            no_resumption: true,
        };
        let r = measure_handshakes(servers::start_chat(&setup), tls, &client);
        let why = [nginx_why.clone(), not_server_bound("chat", &r)]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        let mut goal = Goal::new(
            format!("chat {model} TLS handshakes/s, vs nginx"),
            GOAL_VS_NGINX,
            server_bound(&r).then(|| r.rate()),
            nginx_rate,
            &why,
        );
        let us = r.server_us_per_handshake().filter(|_| r.void.is_none());
        if let (Some(n), Some(c)) = (nginx_us, us) {
            goal.detail = Some(format!(
                "server CPU per handshake: nginx's / chat's = {:.2}",
                n / c
            ));
        }
        goals.push(goal);
        rows.push((format!("chat {model} TLS"), r));
    }
    let mut all_ok = true;
    for (name, r) in &rows {
        let pct = |c: Option<f64>| c.map_or("-".into(), |c| format!("{:.0}%", c * 100.0));
        let (rate, vs, note) = match &r.void {
            Some(why) => {
                all_ok = false;
                ("void".into(), "-".into(), why.clone())
            }
            None if !server_bound(r) => (
                suite::human(r.rate()),
                "-".into(),
                "rate not counted: the server was not the limit".into(),
            ),
            None => (
                suite::human(r.rate()),
                ratio(Some(r.rate()), nginx_rate),
                String::new(),
            ),
        };
        let us = r.server_us_per_handshake().filter(|_| r.void.is_none());
        let cpu_vs = ratio(nginx_us, us);
        let us = us.map_or("-".into(), |us| format!("{us:.0}"));
        println!(
            "{name:<18} {rate:>14}  {vs:>8}  {:>10}  {us:>12}  {cpu_vs:>12}  {:>10}  {note}",
            pct(r.server_cpu),
            pct(r.client_cpu)
        );
        if let Some(f) = csv.as_mut() {
            writeln!(f, "{}", handshake_csv_line(name, r))?;
        }
    }
    Ok(all_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn goals_say_met_not_met_or_why_not_measured() {
        let met = Goal::new("a".into(), 2.0, Some(5.0), Some(2.0), "");
        assert_eq!(met.line(), "  a: 2.50x, goal 2x: met");
        let not = Goal::new("b".into(), 1.3, Some(1.0), Some(1.0), "");
        assert_eq!(not.line(), "  b: 1.00x, goal 1.3x: NOT MET");
        let mut close = Goal::new("d".into(), 1.0, Some(0.9975), Some(1.0), "");
        close.detail = Some("more".into());
        assert_eq!(close.line(), "  d: 0.9975x, goal 1x: NOT MET (more)");
        let none = Goal::new("c".into(), 1.3, None, Some(1.0), "kTLS not available here");
        assert_eq!(
            none.line(),
            "  c: goal 1.3x: not measured (kTLS not available here)"
        );
    }

    #[test]
    fn a_handshake_rate_counts_only_with_the_server_its_limit() {
        let at = |cpu: Option<f64>| HandshakeResult {
            handshakes: 1000,
            seconds: 1.0,
            server_cpu: cpu,
            client_cpu: Some(0.5),
            void: None,
        };
        assert!(server_bound(&at(Some(0.97))));
        assert_eq!(not_server_bound("chat", &at(Some(0.97))), None);
        assert!(!server_bound(&at(Some(0.6))));
        assert_eq!(
            not_server_bound("nginx", &at(Some(0.6))).as_deref(),
            Some("nginx's server was not the limit: 60% of its core")
        );
        assert!(!server_bound(&at(None)));
        let void = HandshakeResult::void("x".into());
        assert!(!server_bound(&void));
        assert_eq!(
            not_server_bound("chat", &void).as_deref(),
            Some("chat's run was void")
        );
    }

    #[test]
    fn handshake_csv_lines_match_the_header() {
        let r = HandshakeResult {
            handshakes: 1000,
            seconds: 2.0,
            server_cpu: Some(0.5),
            client_cpu: Some(1.0),
            void: None,
        };
        let line = handshake_csv_line("nginx 1.22.1", &r);
        assert_eq!(line, "nginx 1.22.1,500,0.500,1000.0,1.000,");
        assert_eq!(
            line.split(',').count(),
            HANDSHAKE_CSV_HEADER.split(',').count()
        );
        let void = handshake_csv_line("chat epoll TLS", &HandshakeResult::void("x, y".into()));
        assert_eq!(void, "chat epoll TLS,,,,,x; y");
    }
}
