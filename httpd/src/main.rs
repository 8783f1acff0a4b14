//! `httpd`: a static-file HTTP/1.0 and 1.1 server on epoll worker threads.
//!
//! ```sh
//! httpd --listen 127.0.0.1:8080 --root ./public --threads 2 --access-log access.log
//! ```
//!
//! The server itself is the library (`lib.rs`, modules laid out like nginx's `src/http`);
//! this file is the command line.

use clap::Parser;
use httpd::{parse, server};
use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

/// A static-file HTTP/1.1 server.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// Address to listen on (port 0 picks a free port; the bound address is printed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Directory to serve.
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// Worker threads, each with its own epoll loop [default: the number of CPUs].
    #[arg(long)]
    threads: Option<usize>,
    /// Access log file, or `off`.
    #[arg(long, default_value = "access.log")]
    access_log: String,
    /// Connections held at once; past it new ones get 503.
    #[arg(long, default_value_t = 16384)]
    max_connections: usize,
    /// Requests served on one keep-alive connection before it is closed.
    #[arg(long, default_value_t = 1000)]
    keepalive_requests: u32,
    /// Seconds an idle keep-alive connection is kept.
    #[arg(long, default_value_t = 75)]
    keepalive_timeout: u64,
    /// Seconds a client has to send a whole request head.
    #[arg(long, default_value_t = 60)]
    header_timeout: u64,
}

fn listen_addr(s: &str) -> Result<SocketAddr, String> {
    s.to_socket_addrs()
        .map_err(|e| format!("--listen {s}: {e}"))?
        .next()
        .ok_or_else(|| format!("--listen {s}: no address"))
}

fn main() {
    let cli = Cli::parse();
    let listen = match listen_addr(&cli.listen) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("httpd: {e}");
            std::process::exit(2);
        }
    };
    let threads = cli.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    let opts = server::Options {
        listen,
        root: cli.root,
        threads,
        access_log: (cli.access_log != "off").then(|| PathBuf::from(&cli.access_log)),
        timeouts: server::Timeouts {
            keepalive: Duration::from_secs(cli.keepalive_timeout),
            header: Duration::from_secs(cli.header_timeout),
            ..server::Timeouts::default()
        },
        limits: parse::Limits::default(),
        max_connections: cli.max_connections,
        max_keepalive_requests: cli.keepalive_requests,
    };
    if let Err(e) = server::run(opts) {
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
        assert!(listen_addr("127.0.0.1:0").is_ok());
        assert!(listen_addr("nonsense").is_err());
    }
}
