//! `chat-bench`: the broadcast fan-out benchmark of `bench/chat/run`.
//!
//! `chat-bench suite` starts Redis (the anchor) and a chat server per model on loopback, runs
//! one publisher against 10, 100 and 500 subscribers with 64-byte messages, and prints
//! delivered messages per second side by side with the ratio to Redis, the p99 latency and
//! the server's CPU (`--csv FILE` writes the same to a file, which `bench/plot` draws).
//! Then the TLS rows: the fan-out over TLS (chat with OpenSSL doing the records, and with
//! kTLS, against Redis with TLS) and full handshakes per second against nginx, with the
//! issue's goals met or not (`--no-tls` skips them).
//! `chat-bench run` measures one server that is already running (`--tls-ca` over TLS), and
//! `chat-bench handshakes` one TLS server's full handshakes per second.

mod handshake;
mod latency;
mod load;
mod pinned;
mod servers;
mod suite;
mod tls;
mod tls_suite;

use clap::{Parser, Subcommand, ValueEnum};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    version,
    about = "Broadcast fan-out benchmark: the chat models against Redis pub/sub"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum TargetArg {
    Chat,
    Redis,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start the servers, run every model and Redis, print the table.
    Suite {
        /// The chat binary (default: `chat` beside this program).
        #[arg(long)]
        chat: Option<PathBuf>,
        /// The redis-server binary.
        #[arg(long, default_value = "redis-server")]
        redis_server: PathBuf,
        /// Subscriber counts, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "10,100,500")]
        subscribers: Vec<usize>,
        /// Models, comma-separated.
        #[arg(
            long,
            value_delimiter = ',',
            default_value = "threads,pool,select,poll,epoll"
        )]
        models: Vec<String>,
        /// Messages delivered per run (messages published = this / subscribers).
        #[arg(long, default_value_t = 4_000_000)]
        deliveries: u64,
        /// Messages published per run at least, whatever the subscriber count.
        #[arg(long, default_value_t = 1000)]
        min_messages: u64,
        /// Also write the results to this CSV file (bench/plot draws it).
        #[arg(long)]
        csv: Option<PathBuf>,
        /// Messages the publisher may be ahead of the slowest subscriber.
        #[arg(long, default_value_t = 4096)]
        window: u64,
        /// Seconds before a run is abandoned.
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        /// Do not pin the server and the load generator to separate CPUs.
        #[arg(long)]
        no_pin: bool,
        /// Skip the TLS rows (fan-out over TLS and kTLS, handshakes against nginx).
        #[arg(long)]
        no_tls: bool,
        /// Subscriber counts of the TLS fan-out rows, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "100,500")]
        tls_subscribers: Vec<usize>,
        /// Chat models of the TLS rows, comma-separated.
        #[arg(long, value_delimiter = ',', default_value = "epoll")]
        tls_models: Vec<String>,
        /// Messages delivered per TLS fan-out run.
        #[arg(long, default_value_t = 16_000_000)]
        tls_deliveries: u64,
        /// The nginx binary (the handshake rows' anchor).
        #[arg(long, default_value = "nginx")]
        nginx: PathBuf,
        /// Seconds of handshakes per server.
        #[arg(long, default_value_t = 5.0)]
        handshake_seconds: f64,
        /// Handshakes in flight at once (one client thread each).
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
        handshake_conns: u32,
        /// Also write the handshake rows to this CSV file.
        #[arg(long)]
        handshake_csv: Option<PathBuf>,
    },
    /// Measure one running server.
    Run {
        #[arg(long, value_enum)]
        target: TargetArg,
        #[arg(long)]
        addr: SocketAddr,
        #[arg(long, default_value_t = 100)]
        subscribers: usize,
        #[arg(long, default_value_t = 40_000)]
        messages: u64,
        #[arg(long, default_value_t = 4096)]
        window: u64,
        #[arg(long, default_value_t = 30)]
        timeout: u64,
        /// The server's pid, for its CPU time.
        #[arg(long)]
        server_pid: Option<u32>,
        /// Speak TLS, trusting this certificate (PEM) for the server's address.
        #[arg(long, value_name = "FILE")]
        tls_ca: Option<PathBuf>,
    },
    /// Measure full TLS handshakes per second against one running server.
    Handshakes {
        #[arg(long)]
        addr: SocketAddr,
        /// The server's certificate (PEM): it must send exactly this one (pinned).
        #[arg(long, value_name = "FILE")]
        ca: PathBuf,
        /// Use OpenSSL's client, verifying the certificate against --ca for the server's
        /// address, instead of the cheaper pinned client (rustls), which the suite uses.
        #[arg(long)]
        verify: bool,
        /// Handshakes in flight at once (one thread each).
        #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=4096))]
        conns: u32,
        #[arg(long, default_value_t = 5.0)]
        seconds: f64,
        /// The server's pid, for its CPU time (its children's too).
        #[arg(long)]
        server_pid: Option<u32>,
    },
}

/// Seconds as a duration, refusing what is not a sensible length of run.
fn seconds(s: f64, what: &str) -> Result<Duration, String> {
    if s > 0.0 && s <= 3600.0 {
        Ok(Duration::from_secs_f64(s))
    } else {
        Err(format!("{what} must be in (0, 3600], not {s}"))
    }
}

fn main() -> ExitCode {
    let _ = netcore::sys::raise_fd_limit(1 << 16);
    match Cli::parse().command {
        Command::Run {
            target,
            addr,
            subscribers,
            messages,
            window,
            timeout,
            server_pid,
            tls_ca,
        } => {
            let tls = match tls_ca.as_deref().map(tls::TlsClient::new).transpose() {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("chat-bench: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let spec = load::RunSpec {
                target: match target {
                    TargetArg::Chat => load::Target::Chat,
                    TargetArg::Redis => load::Target::Redis,
                },
                addr,
                subscribers,
                messages,
                window: window.max(1),
                timeout: Duration::from_secs(timeout),
                server_pid,
                tls,
            };
            match load::run(&spec) {
                Ok(r) => {
                    println!(
                        "delivered={} seconds={:.3} rate={:.0} server_cpu={} client_cpu={} p99_ms={} void={}",
                        r.delivered,
                        r.seconds,
                        r.rate(),
                        r.server_cpu
                            .map_or("-".into(), |c| format!("{:.0}%", c * 100.0)),
                        r.client_cpu
                            .map_or("-".into(), |c| format!("{:.0}%", c * 100.0)),
                        r.p99
                            .map_or("-".into(), |d| format!("{:.3}", d.as_secs_f64() * 1e3)),
                        r.void.as_deref().unwrap_or("no")
                    );
                    if r.void.is_some() {
                        ExitCode::FAILURE
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                Err(e) => {
                    eprintln!("chat-bench: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Handshakes {
            addr,
            ca,
            verify,
            conns,
            seconds: secs,
            server_pid,
        } => {
            let run = || -> Result<handshake::HandshakeResult, String> {
                let duration = seconds(secs, "--seconds")?;
                let tls = if verify {
                    tls::TlsClient::new(&ca).map(handshake::Client::Verifying)
                } else {
                    pinned::PinnedClient::new(&ca).map(handshake::Client::Pinned)
                };
                let tls = tls.map_err(|e| e.to_string())?;
                Ok(handshake::run(&handshake::HandshakeSpec {
                    addr,
                    tls,
                    conns: conns as usize,
                    duration,
                    server_pid,
                }))
            };
            match run() {
                Ok(r) => {
                    let pct =
                        |c: Option<f64>| c.map_or("-".into(), |c| format!("{:.0}%", c * 100.0));
                    println!(
                        "handshakes={} seconds={:.3} rate={:.0} server_cpu={} client_cpu={} void={}",
                        r.handshakes,
                        r.seconds,
                        r.rate(),
                        pct(r.server_cpu),
                        pct(r.client_cpu),
                        r.void.as_deref().unwrap_or("no")
                    );
                    if r.void.is_some() {
                        ExitCode::FAILURE
                    } else {
                        ExitCode::SUCCESS
                    }
                }
                Err(e) => {
                    eprintln!("chat-bench: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Suite {
            chat,
            redis_server,
            subscribers,
            models,
            deliveries,
            min_messages,
            csv,
            window,
            timeout,
            no_pin,
            no_tls,
            tls_subscribers,
            tls_models,
            tls_deliveries,
            nginx,
            handshake_seconds,
            handshake_conns,
            handshake_csv,
        } => {
            let handshake_seconds = match seconds(handshake_seconds, "--handshake-seconds") {
                Ok(d) => d,
                Err(e) => {
                    eprintln!("chat-bench: {e}");
                    return ExitCode::from(2);
                }
            };
            let chat = chat.unwrap_or_else(|| {
                std::env::current_exe()
                    .ok()
                    .and_then(|p| p.parent().map(|d| d.join("chat")))
                    .unwrap_or_else(|| PathBuf::from("chat"))
            });
            let cfg = suite::SuiteConfig {
                chat,
                redis_server,
                subscribers,
                models,
                deliveries,
                min_messages,
                csv,
                window: window.max(1),
                timeout: Duration::from_secs(timeout),
                pin: !no_pin,
                tls: (!no_tls).then_some(tls_suite::TlsConfig {
                    nginx,
                    subscribers: tls_subscribers,
                    models: tls_models,
                    deliveries: tls_deliveries,
                    handshake_seconds,
                    handshake_conns: handshake_conns as usize,
                    handshake_csv,
                }),
            };
            match suite::run(&cfg) {
                Ok(true) => ExitCode::SUCCESS,
                Ok(false) => ExitCode::FAILURE,
                Err(e) => {
                    eprintln!("chat-bench: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
