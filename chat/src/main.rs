//! The `chat` command: `serve`, `echo`, `connect` and `gen-cert`.

use chat::certgen::{GenCertOptions, Validity};
use chat::server::{Model, Protocol, ServeOptions};
use chat::tls::{ClientTlsOptions, Ktls, ServerTlsOptions};
use clap::{Args, Parser, Subcommand};
use devstats::Reporter;
use netcore::Stats;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

/// A multi-client broadcast chat server with five concurrency models side by side.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the chat server (line protocol; see the README).
    Serve(ServerArgs),
    /// Run the echo server on the same core.
    Echo(ServerArgs),
    /// Connect to a chat server as an interactive client.
    Connect(ConnectArgs),
    /// Make test certificates: a self-signed server certificate, or (--ca) a test CA and a
    /// server certificate (and --client certificates) it signed.
    GenCert(GenCertArgs),
}

#[derive(Args, Debug)]
struct GenCertArgs {
    /// Directory to write the files to (created if missing): server.pem and server.key;
    /// with --ca also ca.pem and ca.key; NAME.pem and NAME.key for each --client NAME.
    #[arg(long, value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    /// A name of the server, a DNS name or an IP address (repeatable; the first is also the
    /// common name). Default: localhost and 127.0.0.1.
    #[arg(long = "name", value_name = "NAME|IP")]
    names: Vec<String>,
    /// Make a test CA and sign with it, instead of a self-signed server certificate.
    #[arg(long)]
    ca: bool,
    /// A client certificate for mutual TLS with this common name (the nick; repeatable).
    #[arg(long = "client", value_name = "NAME", requires = "ca")]
    clients: Vec<String>,
    /// Days the certificates are valid (from an hour ago).
    #[arg(long, default_value_t = 365, value_parser = clap::value_parser!(u32).range(1..=36_500))]
    days: u32,
    /// Overwrite files that exist.
    #[arg(long)]
    force: bool,
}

impl GenCertArgs {
    fn options(&self) -> GenCertOptions {
        let names = if self.names.is_empty() {
            vec!["localhost".into(), "127.0.0.1".into()]
        } else {
            self.names.clone()
        };
        GenCertOptions {
            dir: self.dir.clone(),
            names,
            ca: self.ca,
            clients: self.clients.clone(),
            validity: Validity::days_from_now(self.days),
            force: self.force,
        }
    }
}

#[derive(Args, Debug)]
struct ConnectArgs {
    /// Server address, e.g. 127.0.0.1:7000 (with --tls, the host must be a name or address
    /// the server's certificate carries).
    addr: String,
    /// Speak TLS, verifying the server's certificate and name.
    #[arg(long)]
    tls: bool,
    /// PEM file of the CAs to trust instead of the system's.
    #[arg(long, value_name = "FILE", requires = "tls")]
    ca: Option<PathBuf>,
    /// Do not verify the server's certificate or name (anyone in the middle can read along).
    #[arg(long, requires = "tls", conflicts_with = "ca")]
    insecure: bool,
    /// PEM file of a client certificate, for a server that asks for one (mutual TLS).
    #[arg(long, value_name = "FILE", requires = "tls")]
    cert: Option<PathBuf>,
    /// PEM file of the client certificate's key (default: the --cert file).
    #[arg(long, value_name = "FILE", requires = "cert")]
    key: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct ServerArgs {
    /// Address to listen on, HOST:PORT (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:7000", value_parser = parse_listen)]
    listen: SocketAddr,
    /// Concurrency model.
    #[arg(long, value_enum, default_value_t = Model::Epoll)]
    model: Model,
    /// Clients served at once; the next one gets "! server full" and is closed.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    max_clients: u32,
    /// Longest line in bytes (without the line end); longer ones get an error and are dropped.
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    max_line: u32,
    /// Unsent bytes queued for one client before it is disconnected as a slow consumer.
    #[arg(long, default_value_t = 1 << 20, value_parser = clap::value_parser!(u64).range(1024..=1 << 32))]
    max_queue: u64,
    /// Seconds a client may stay silent before it is disconnected (0: never).
    #[arg(long, default_value_t = 600)]
    idle_timeout: u64,
    /// Worker threads of the pool model (each serves one client at a time).
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    workers: u32,
    /// Clients the pool model keeps waiting for a free worker.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..))]
    pool_queue: u32,
    /// Device to push live statistics to (docs/mydevice.md), or "none".
    #[arg(long, default_value = devstats::DEVICE_PATH)]
    stats_device: String,
    /// Milliseconds between pushes of the statistics (only when they changed).
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(10..))]
    stats_interval_ms: u64,
    /// Serve TLS with this certificate (PEM, then any intermediates); needs --tls-key.
    /// --listen is then the TLS port, unless --tls-listen names another.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// The TLS port, HOST:PORT; --listen then stays plain beside it.
    #[arg(long, value_name = "ADDR", requires = "tls_cert", value_parser = parse_listen)]
    tls_listen: Option<SocketAddr>,
    /// Mutual TLS: every client must show a certificate from these CAs (PEM), and its
    /// common name is its nick, for good. No plain port beside it (--tls-listen).
    #[arg(
        long,
        value_name = "FILE",
        requires = "tls_cert",
        conflicts_with = "tls_listen"
    )]
    tls_client_ca: Option<PathBuf>,
    /// Accept TLS 1.2 too (default: TLS 1.3 only).
    #[arg(long, requires = "tls_cert")]
    tls12: bool,
    /// Seconds a client may take to finish its TLS handshake.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    tls_handshake_timeout: u64,
    /// Kernel TLS after the handshake: auto (where the kernel and OpenSSL can), on
    /// (required: connections without it are closed), off.
    #[arg(long, value_enum, default_value_t = Ktls::Auto)]
    ktls: Ktls,
    /// No session resumption: no session tickets, no session cache, every handshake full.
    #[arg(long, requires = "tls_cert")]
    tls_no_resumption: bool,
}

/// `HOST:PORT` to the first address it resolves to (`localhost:7000` works too).
fn parse_listen(s: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    s.to_socket_addrs()
        .map_err(|e| format!("{s}: {e} (expected HOST:PORT, e.g. 127.0.0.1:7000)"))?
        .next()
        .ok_or_else(|| format!("{s}: no address"))
}

impl ServerArgs {
    fn tls_options(&self) -> Option<ServerTlsOptions> {
        Some(ServerTlsOptions {
            cert: self.tls_cert.clone()?,
            key: self.tls_key.clone()?,
            client_ca: self.tls_client_ca.clone(),
            allow_tls12: self.tls12,
            handshake_timeout: Duration::from_secs(self.tls_handshake_timeout),
            ktls: self.ktls,
            resumption: !self.tls_no_resumption,
        })
    }

    fn options(&self) -> ServeOptions {
        ServeOptions {
            listen: self.listen,
            model: self.model,
            max_clients: self.max_clients as usize,
            max_line: self.max_line as usize,
            max_queue: self.max_queue as usize,
            idle_timeout: (self.idle_timeout > 0).then(|| Duration::from_secs(self.idle_timeout)),
            workers: self.workers as usize,
            pool_queue: self.pool_queue as usize,
            tls: self.tls_options(),
            tls_listen: self.tls_listen,
            ..ServeOptions::default()
        }
    }
}

fn serve(args: &ServerArgs, protocol: Protocol) -> ExitCode {
    let stats = Arc::new(Stats::new());
    // The device row is named after the protocol and the model: chat-epoll, echo-pool, ...
    let kind = match protocol {
        Protocol::Chat => "chat",
        Protocol::Echo => "echo",
    };
    let name = format!("{kind}-{}", format!("{:?}", args.model).to_lowercase());
    let _reporter = (args.stats_device != "none").then(|| {
        let interval = Duration::from_millis(args.stats_interval_ms);
        Reporter::start_at(&args.stats_device, &name, Arc::clone(&stats), interval)
    });
    match chat::server::serve(&args.options(), protocol, stats.clone()) {
        Ok(()) => {
            eprintln!("chat: stopped; {}", stats.snapshot());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("chat: {e}");
            ExitCode::FAILURE
        }
    }
}

impl ConnectArgs {
    fn tls_options(&self) -> Option<ClientTlsOptions> {
        self.tls.then(|| ClientTlsOptions {
            ca: self.ca.clone(),
            insecure: self.insecure,
            cert: self.cert.clone(),
            key: self.key.clone(),
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => serve(&args, Protocol::Chat),
        Command::Echo(args) => serve(&args, Protocol::Echo),
        Command::GenCert(args) => match chat::certgen::generate(&args.options()) {
            Ok(lines) => {
                for line in lines {
                    println!("chat: wrote {line}");
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("chat: gen-cert: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Connect(args) => {
            match chat::client::run(&args.addr, args.tls_options().as_ref()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("chat: {e}");
                    ExitCode::FAILURE
                }
            }
        }
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
    fn idle_timeout_zero_means_never() {
        let cli = Cli::try_parse_from(["prog", "serve", "--idle-timeout", "0", "--model", "poll"])
            .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        let opts = args.options();
        assert_eq!(opts.idle_timeout, None);
        assert_eq!(opts.model, Model::Poll);
    }

    #[test]
    fn bad_values_are_usage_errors() {
        assert!(Cli::try_parse_from(["prog", "serve", "--listen", "nowhere"]).is_err());
        assert!(Cli::try_parse_from(["prog", "serve", "--listen", "127.0.0.1"]).is_err());
        let cli = Cli::try_parse_from(["prog", "echo", "--listen", "localhost:0"]).unwrap();
        let Command::Echo(args) = cli.command else {
            panic!("not echo")
        };
        assert!(args.listen.ip().is_loopback());
        assert!(Cli::try_parse_from(["prog", "serve", "--max-clients", "0"]).is_err());
        assert!(Cli::try_parse_from(["prog", "serve", "--model", "fork"]).is_err());
    }

    #[test]
    fn tls_options_come_together() {
        // A certificate needs its key, and the other TLS options need a certificate.
        assert!(Cli::try_parse_from(["prog", "serve", "--tls-cert", "c.pem"]).is_err());
        assert!(Cli::try_parse_from(["prog", "serve", "--tls-key", "k.pem"]).is_err());
        assert!(Cli::try_parse_from(["prog", "serve", "--tls-listen", "127.0.0.1:0"]).is_err());
        assert!(Cli::try_parse_from(["prog", "serve", "--tls12"]).is_err());
        let cli = Cli::try_parse_from([
            "prog",
            "serve",
            "--tls-cert",
            "c.pem",
            "--tls-key",
            "k.pem",
            "--tls-listen",
            "127.0.0.1:0",
        ])
        .unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        let opts = args.options();
        let tls = opts.tls.expect("TLS options");
        assert!(!tls.allow_tls12 && tls.client_ca.is_none());
        assert_eq!(tls.ktls, Ktls::Auto);
        assert!(opts.tls_listen.is_some());
        // Without a certificate there is no TLS.
        let cli = Cli::try_parse_from(["prog", "serve"]).unwrap();
        let Command::Serve(args) = cli.command else {
            panic!("not serve")
        };
        assert!(args.options().tls.is_none());
        // The client: --ca and --insecure need --tls and exclude each other.
        assert!(Cli::try_parse_from(["prog", "connect", "h:1", "--ca", "ca.pem"]).is_err());
        assert!(Cli::try_parse_from([
            "prog",
            "connect",
            "h:1",
            "--tls",
            "--ca",
            "a",
            "--insecure"
        ])
        .is_err());
        assert!(Cli::try_parse_from(["prog", "connect", "h:1", "--tls", "--insecure"]).is_ok());
    }
}
