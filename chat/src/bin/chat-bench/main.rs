//! `chat-bench`: the broadcast fan-out benchmark of `bench/chat/run`.
//!
//! `chat-bench suite` starts Redis (the anchor) and a chat server per model on loopback, runs
//! one publisher against 10, 100 and 500 subscribers with 64-byte messages, and prints
//! delivered messages per second side by side with the ratio to Redis, the p99 latency and
//! the server's CPU (`--csv FILE` writes the same to a file, which `bench/plot` draws).
//! `chat-bench run` measures one server that is already running.

mod load;
mod suite;

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
    },
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
        } => {
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
            };
            match load::run(&spec) {
                Ok(r) => {
                    println!(
                        "delivered={} seconds={:.3} rate={:.0} server_cpu={} p99_ms={} void={}",
                        r.delivered,
                        r.seconds,
                        r.rate(),
                        r.server_cpu
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
        } => {
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
