//! The command line: either a config file (`-c FILE`, read again on SIGHUP) or one listener
//! and its upstreams given as flags; the global limits and timeouts as flags override the
//! file's. Parsed by clap; [`Args::config`] turns it into the [`Config`] the server runs with.
//! Durations are in the file's syntax (`500ms`, `0.3s`, `2m`), bare numbers being seconds.

use crate::config::{self, values, Balance, Config, Forward, GroupConf, ListenConf, ProxyHeader};
use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

/// A TCP proxy: splice(2) between client and upstream.
#[derive(Debug, Parser)]
#[command(name = "proxy", version)]
pub(crate) struct Args {
    /// The config file (several listeners, each with its group of servers); read again on
    /// SIGHUP.
    #[arg(short = 'c', long = "config", value_name = "FILE", conflicts_with_all = ["listen", "upstreams"])]
    pub(crate) config: Option<PathBuf>,
    /// Check the configuration, print whether it is good, and exit.
    #[arg(long)]
    pub(crate) check_config: bool,
    /// Address to listen on (port 0: any free port; the chosen one is logged).
    #[arg(
        long,
        value_name = "ADDR:PORT",
        required_unless_present = "config",
        requires = "upstreams"
    )]
    pub(crate) listen: Option<std::net::SocketAddr>,
    /// An upstream; give several for round-robin.
    #[arg(long = "upstream", value_name = "HOST:PORT", requires = "listen")]
    pub(crate) upstreams: Vec<String>,
    /// How the upstream is chosen: round-robin or least-connections.
    #[arg(long, value_name = "HOW", conflicts_with = "config", value_parser = balance)]
    pub(crate) balance: Option<Balance>,
    /// Connects failed in a row that take an upstream out (0: never).
    #[arg(long, value_name = "N", conflicts_with = "config")]
    pub(crate) max_fails: Option<u32>,
    /// How long an upstream taken out stays out.
    #[arg(long, value_name = "DURATION", conflicts_with = "config", value_parser = values::duration)]
    pub(crate) fail_timeout: Option<Duration>,
    /// Active checks: a TCP connect to each upstream this often.
    #[arg(long, value_name = "DURATION", conflicts_with = "config", value_parser = values::duration)]
    pub(crate) health_check: Option<Duration>,
    /// Send the PROXY protocol header (v1 or v2) to the upstreams.
    #[arg(long, value_name = "VERSION", conflicts_with = "config", value_parser = proxy_header)]
    pub(crate) send_proxy: Option<ProxyHeader>,
    /// One connect attempt's limit; then the next upstream is tried.
    #[arg(long, value_name = "DURATION", value_parser = values::duration)]
    pub(crate) connect_timeout: Option<Duration>,
    /// No byte moved in either direction for this long: the connection is closed.
    #[arg(long, value_name = "DURATION", value_parser = values::duration)]
    pub(crate) idle_timeout: Option<Duration>,
    /// A connection's whole life, however busy.
    #[arg(long, value_name = "DURATION", value_parser = values::duration)]
    pub(crate) total_timeout: Option<Duration>,
    /// How long SIGQUIT waits for open connections to end.
    #[arg(long, value_name = "DURATION", value_parser = values::duration)]
    pub(crate) shutdown_timeout: Option<Duration>,
    /// How bytes move: splice-auto (copy small reads, splice bulk ones; the default),
    /// splice (always through a pipe) or copy (always through a buffer).
    #[arg(long, value_name = "HOW", value_parser = ["splice-auto", "splice", "copy"])]
    pub(crate) forward: Option<String>,
    /// A pipe's capacity and a copy buffer's size (65536, 64k, 1m; default 64k).
    #[arg(long, value_name = "SIZE", value_parser = values::size)]
    pub(crate) pipe_size: Option<usize>,
    /// Connections open at once; a client beyond them is closed at once.
    #[arg(long, value_name = "N")]
    pub(crate) max_connections: Option<usize>,
    /// Splice pipes at once (default: max-connections / 4); past them bytes are copied.
    #[arg(long, value_name = "N")]
    pub(crate) max_pipes: Option<usize>,
    /// Device to push live statistics to (docs/mydevice.md), or "none".
    #[arg(long, value_name = "PATH", default_value = devstats::DEVICE_PATH)]
    pub(crate) stats_device: String,
}

fn balance(v: &str) -> Result<Balance, String> {
    match v {
        "round-robin" => Ok(Balance::RoundRobin),
        "least-connections" => Ok(Balance::LeastConnections),
        _ => Err("expected round-robin or least-connections".into()),
    }
}

fn proxy_header(v: &str) -> Result<ProxyHeader, String> {
    match v {
        "v1" => Ok(ProxyHeader::V1),
        "v2" => Ok(ProxyHeader::V2),
        _ => Err("expected v1 or v2".into()),
    }
}

impl Args {
    /// The configuration: the file's (read now) or the flags' single listener, with the
    /// global flags laid over it.
    pub(crate) fn config(&self) -> Result<Config, String> {
        let mut c = match &self.config {
            Some(path) => config::load(path).map_err(|e| e.to_string())?,
            None => self.flags_config()?,
        };
        if let Some(d) = self.connect_timeout {
            c.connect_timeout = d;
        }
        if let Some(d) = self.idle_timeout {
            c.idle_timeout = d;
        }
        if let Some(d) = self.total_timeout {
            c.total_timeout = Some(d);
        }
        if let Some(d) = self.shutdown_timeout {
            c.shutdown_timeout = d;
        }
        if let Some(f) = &self.forward {
            c.forward = Forward::parse(f)?;
        }
        if let Some(n) = self.pipe_size {
            c.pipe_size = n;
        }
        if let Some(n) = self.max_connections {
            c.max_connections = n.max(1);
        }
        if let Some(n) = self.max_pipes {
            c.max_pipes = Some(n);
        }
        Ok(c)
    }

    /// One listener, one group named `default`.
    fn flags_config(&self) -> Result<Config, String> {
        let Some(listen) = self.listen else {
            return Err("--listen or --config is required".into());
        };
        let mut g = GroupConf::new("default");
        for u in &self.upstreams {
            let a = values::addr(u).map_err(|e| format!("upstream {e}"))?;
            if !g.servers.contains(&a) {
                g.servers.push(a);
            }
        }
        if g.servers.is_empty() {
            return Err("no --upstream".into());
        }
        if let Some(b) = self.balance {
            g.balance = b;
        }
        if let Some(n) = self.max_fails {
            g.max_fails = n;
        }
        if let Some(d) = self.fail_timeout {
            g.fail_timeout = d;
        }
        g.health_check = self.health_check;
        g.send_proxy = self.send_proxy;
        Ok(Config {
            listeners: vec![ListenConf {
                addr: listen,
                group: g.name.clone(),
            }],
            groups: vec![g],
            ..Config::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_make_one_listener_and_one_group() {
        let a = Args::parse_from([
            "proxy",
            "--listen",
            "127.0.0.1:0",
            "--upstream",
            "127.0.0.1:1",
            "--upstream",
            "127.0.0.1:2",
            "--idle-timeout",
            "0.5",
            "--balance",
            "least-connections",
        ]);
        let c = a.config().unwrap();
        assert_eq!(c.listeners.len(), 1);
        assert_eq!(c.groups[0].servers.len(), 2);
        assert_eq!(c.groups[0].balance, Balance::LeastConnections);
        assert_eq!(c.idle_timeout, Duration::from_millis(500));
        // The pipe pool: a quarter of max_connections unless set.
        assert_eq!(c.pipes(), 2500);
        let pipes = |extra: &[&str]| {
            let mut argv = vec![
                "proxy",
                "--listen",
                "127.0.0.1:0",
                "--upstream",
                "127.0.0.1:1",
            ];
            argv.extend(extra);
            Args::parse_from(argv).config().unwrap().pipes()
        };
        assert_eq!(pipes(&["--max-connections", "400"]), 100);
        assert_eq!(pipes(&["--max-connections", "400", "--max-pipes", "7"]), 7);
        assert_eq!(pipes(&["--max-pipes", "0"]), 0);
        assert!(Args::try_parse_from(["proxy", "--listen", "127.0.0.1:0"]).is_err());
        assert!(Args::try_parse_from(["proxy", "-c", "x", "--listen", "127.0.0.1:0"]).is_err());
        assert!(Args::try_parse_from(["proxy", "-c", "x", "--balance", "round-robin"]).is_err());
    }
}
