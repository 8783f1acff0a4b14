//! The command line: the flags, laid over the config file's settings ([`config::Settings`]),
//! give the [`config::Options`]; then `--check-config` checks them, or the server runs
//! ([`supervisor::run`] with worker threads, or with worker processes under a master).
//!
//! The top of the crate: it may use every layer, and none uses it but `main.rs`.

use crate::config::{self, LogDest, Settings, Threads};
use crate::net::congestion::Congestion;
use crate::process::processes::WorkerProcesses;
use crate::process::supervisor;
use crate::process::threads::WorkerThreads;
use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

/// A static-file HTTP/1.1 server.
#[derive(Parser, Debug, Clone)]
#[command(version, about)]
struct Cli {
    /// Config file (see httpd.conf.example); the flags below override it.
    #[arg(long, value_name = "PATH")]
    config: Option<PathBuf>,
    /// Check the configuration and exit: 0 and "configuration OK", or 1 and the error.
    #[arg(long, short = 't')]
    check_config: bool,
    /// Address to listen on, repeatable (port 0 picks a free port; the bound address is
    /// printed) [default: 127.0.0.1:8080].
    #[arg(long, value_parser = config::parse_listen)]
    listen: Vec<std::net::SocketAddr>,
    /// Directory to serve [default: .].
    #[arg(long)]
    root: Option<PathBuf>,
    /// Worker threads, each with its own epoll loop [default: the number of CPUs].
    #[arg(long)]
    threads: Option<usize>,
    /// Access log file, or `off` [default: access.log].
    #[arg(long)]
    access_log: Option<String>,
    /// Error log file, or `stderr` [default: stderr].
    #[arg(long)]
    error_log: Option<String>,
    /// Connections held at once; past it new ones get 503 [default: 16384].
    #[arg(long)]
    max_connections: Option<usize>,
    /// Requests served on one keep-alive connection before it is closed [default: 1000].
    #[arg(long)]
    keepalive_requests: Option<u32>,
    /// Idle keep-alive connection lifetime (30, 30s, 500ms, 2m) [default: 75s].
    #[arg(long, value_parser = config::parse_duration)]
    keepalive_timeout: Option<Duration>,
    /// Time a client has to send a whole request head [default: 60s].
    #[arg(long, value_parser = config::parse_duration)]
    header_timeout: Option<Duration>,
    /// Time a blocked send may make no progress [default: 60s].
    #[arg(long, value_parser = config::parse_duration)]
    send_timeout: Option<Duration>,
    /// How long SIGQUIT waits for responses in flight [default: 30s].
    #[arg(long, value_parser = config::parse_duration)]
    shutdown_timeout: Option<Duration>,
    /// Rotate a log once it reaches this size (512k, 10m, 1g; off) [default: off].
    #[arg(long, value_parser = config::parse_size)]
    log_max_size: Option<u64>,
    /// Rotated log files kept (PATH.1 .. PATH.N) [default: 5].
    #[arg(long)]
    log_keep: Option<usize>,
    /// Worker processes under a master process (0: none, this process serves) [default: 0].
    #[arg(long)]
    workers: Option<usize>,
    /// User to run as once bound (needs root).
    #[arg(long)]
    user: Option<String>,
    /// Group to run as once bound [default: the user's primary group].
    #[arg(long)]
    group: Option<String>,
    /// Directory to chroot into once bound (the root and logs must lie under it).
    #[arg(long)]
    chroot: Option<PathBuf>,
    /// Serve as root when started as root without --user (refused otherwise).
    #[arg(long)]
    allow_root: bool,
    /// TCP congestion control of the listeners: default (the system's), auto (reno on
    /// loopback listeners when the system default is bbr, which paces with a timer per
    /// packet), or a name such as cubic [default: default].
    #[arg(long, value_name = "NAME", value_parser = Congestion::parse)]
    tcp_congestion: Option<Congestion>,
    /// TCP_DEFER_ACCEPT on the listeners: a connection is accepted once its request
    /// arrives, or after a second of silence (on, off) [default: on].
    #[arg(long, value_name = "on|off", value_parser = config::parse_switch)]
    defer_accept: Option<bool>,
}

fn log_dest(v: &str) -> LogDest {
    match v {
        "off" => LogDest::Off,
        "stderr" => LogDest::Stderr,
        _ => LogDest::File(PathBuf::from(v)),
    }
}

impl Cli {
    /// What the flags set, to lay over the config file.
    fn settings(&self) -> Settings {
        Settings {
            listen: self.listen.clone(),
            root: self.root.clone(),
            threads: self.threads.map(Threads::Count),
            max_connections: self.max_connections,
            keepalive_requests: self.keepalive_requests,
            header_timeout: self.header_timeout,
            keepalive_timeout: self.keepalive_timeout,
            send_timeout: self.send_timeout,
            shutdown_timeout: self.shutdown_timeout,
            access_log: self.access_log.as_deref().map(log_dest),
            error_log: self.error_log.as_deref().map(log_dest),
            user: self.user.clone(),
            group: self.group.clone(),
            chroot: self.chroot.clone(),
            log_max_size: self.log_max_size,
            log_keep: self.log_keep,
            worker_processes: self.workers,
            allow_root: self.allow_root.then_some(true),
            tcp_congestion: self.tcp_congestion.clone(),
            defer_accept: self.defer_accept,
            ..Settings::default()
        }
    }
}

/// The options: defaults, then the config file (if any), then the flags.
fn options(cli: &Cli) -> Result<config::Options, String> {
    let file = match &cli.config {
        Some(path) => config::load(path).map_err(|e| e.to_string())?,
        None => Settings::default(),
    };
    Ok(file.overlay(cli.settings()).into_options())
}

/// The program: parses the command line, then checks the configuration (`--check-config`) or
/// runs the server (with a master when `worker_processes` asks for one) until it stops;
/// exits 1 with the error on stderr if anything fails.
pub fn main() {
    let cli = Cli::parse();
    let opts = match options(&cli) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("httpd: {e}");
            std::process::exit(1);
        }
    };
    if cli.check_config {
        match supervisor::check(&opts) {
            Ok(()) => {
                match &cli.config {
                    Some(p) => println!("httpd: configuration OK ({})", p.display()),
                    None => println!("httpd: configuration OK"),
                }
                return;
            }
            Err(e) => {
                eprintln!("httpd: {e}");
                std::process::exit(1);
            }
        }
    }
    // SIGHUP: the file read again, the same flags laid over it.
    let reload = || options(&cli);
    let reload: Option<&supervisor::Reload<'_>> = cli.config.is_some().then_some(&reload as _);
    let result = match opts.processes {
        0 => supervisor::run::<WorkerThreads>(opts, reload),
        _ => supervisor::run::<WorkerProcesses>(opts, reload),
    };
    if let Err(e) = result {
        eprintln!("httpd: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn unknown_flag_is_a_usage_error() {
        let err = Cli::try_parse_from(["prog", "--no-such-flag"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument);
    }

    #[test]
    fn listen_addresses() {
        assert!(Cli::try_parse_from(["prog", "--listen", "127.0.0.1:0"]).is_ok());
        assert!(Cli::try_parse_from(["prog", "--listen", "nonsense"]).is_err());
    }

    #[test]
    fn flags_without_a_file_give_the_defaults() {
        let cli = Cli::try_parse_from(["prog", "--keepalive-timeout", "5"]).unwrap();
        let o = options(&cli).unwrap();
        assert_eq!(o.timeouts.keepalive, Duration::from_secs(5));
        assert_eq!(o.access_log, Some(PathBuf::from("access.log")));
        assert_eq!(o.error_log, None);
        assert_eq!(o.listen.len(), 1);
    }
}
