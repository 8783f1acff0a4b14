//! The configuration: what the proxy runs with, from a config file ([`parse`], httpd's
//! style: one directive a line ended by `;`, `#` comments, plus `group NAME { ... }` blocks)
//! or from the command line (one listener, one group). A file is read again on SIGHUP; a bad
//! one is refused with its file and line and the running configuration stays. Reading the
//! file and splitting it into lines is netcore's [`netcore::config_file`], shared with httpd.
//!
//! ```text
//! connect_timeout 5s;
//! idle_timeout 5m;
//! total_timeout off;
//! max_connections 10000;
//! max_pipes 2500;                  # splice pipes at once (default max_connections / 4)
//! shutdown_timeout 30s;
//! forward splice-auto;             # or splice (always a pipe), copy (always a buffer)
//! pipe_size 64k;                   # a pipe's capacity and a copy buffer's size
//!
//! group web {
//!     server 127.0.0.1:9000;
//!     server 127.0.0.1:9001;
//!     balance least-connections;   # or round-robin (the default)
//!     max_fails 3;                 # failed connects in a row that take a server out (0: never)
//!     fail_timeout 10s;            # how long it stays out
//!     health_check 2s;             # a TCP connect every 2s (default off)
//!     send_proxy v2;               # PROXY protocol header to the servers (v1, v2, off)
//! }
//!
//! listen 127.0.0.1:8080 web;      # may be repeated; several may share a group
//! ```

pub(crate) mod parse;
pub(crate) mod values;

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

/// How a group picks the server for a new client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Balance {
    /// Each client starts at the next server in turn.
    RoundRobin,
    /// The server with the fewest connections open (connecting included); ties in turn.
    LeastConnections,
}

/// The PROXY protocol header sent to the servers first, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProxyHeader {
    V1,
    V2,
}

/// A group of servers and how they are chosen and watched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GroupConf {
    pub(crate) name: String,
    pub(crate) servers: Vec<SocketAddr>,
    pub(crate) balance: Balance,
    /// Connects failed in a row that take a server out; 0: never out.
    pub(crate) max_fails: u32,
    /// How long a server taken out by failed connects stays out.
    pub(crate) fail_timeout: Duration,
    /// Active checks: a TCP connect every so often (`None`: off). A server whose `max_fails`
    /// checks in a row failed is out until one succeeds.
    pub(crate) health_check: Option<Duration>,
    pub(crate) send_proxy: Option<ProxyHeader>,
}

impl GroupConf {
    /// A group with the defaults (nginx's `max_fails 1; fail_timeout 10s`).
    pub(crate) fn new(name: &str) -> GroupConf {
        GroupConf {
            name: name.to_owned(),
            servers: Vec::new(),
            balance: Balance::RoundRobin,
            max_fails: 1,
            fail_timeout: Duration::from_secs(10),
            health_check: None,
            send_proxy: None,
        }
    }
}

/// A listening address and the group its clients go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListenConf {
    pub(crate) addr: SocketAddr,
    pub(crate) group: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Config {
    pub(crate) listeners: Vec<ListenConf>,
    pub(crate) groups: Vec<GroupConf>,
    /// One connect attempt; then the next server is tried.
    pub(crate) connect_timeout: Duration,
    /// No byte moved either way for this long: the connection is closed.
    pub(crate) idle_timeout: Duration,
    /// A connection's whole life, however busy (`None`: no limit).
    pub(crate) total_timeout: Option<Duration>,
    /// Connections open at once; the next client is closed at once.
    pub(crate) max_connections: usize,
    /// Pipes that may exist at once (in use and kept free), a direction taking one only
    /// while it has bytes in flight; past it a direction copies. `None`: HAProxy's default
    /// for its `maxpipes`, a quarter of `max_connections`.
    pub(crate) max_pipes: Option<usize>,
    /// How long SIGQUIT waits for open connections before closing them.
    pub(crate) shutdown_timeout: Duration,
    /// How a direction moves bytes (`forward`).
    pub(crate) forward: Forward,
    /// The capacity asked of a pipe (`F_SETPIPE_SZ`) and the size of a copy buffer: the
    /// most a direction has in flight. The kernel's default pipe, 64 KiB, by default.
    pub(crate) pipe_size: usize,
}

/// How a direction moves bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forward {
    /// `splice-auto` (HAProxy's `option splice-auto`): copy through a buffer, and splice
    /// from the read after one that filled the buffer (a bulk transfer) until a read is small.
    Auto,
    /// `splice`: every read through a pipe.
    Splice,
    /// `copy`: every read through a buffer, for comparison. (Splice is refused by some
    /// descriptors; a direction then copies by itself whatever this says.)
    Copy,
}

impl Forward {
    /// The value of `forward` and `--forward`.
    pub(crate) fn parse(v: &str) -> Result<Forward, String> {
        match v {
            "splice-auto" => Ok(Forward::Auto),
            "splice" => Ok(Forward::Splice),
            "copy" => Ok(Forward::Copy),
            v => Err(format!(
                "\"{v}\": expected \"splice-auto\", \"splice\" or \"copy\""
            )),
        }
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listeners: Vec::new(),
            groups: Vec::new(),
            connect_timeout: Duration::from_secs(5),
            idle_timeout: Duration::from_secs(300),
            total_timeout: None,
            max_connections: 10_000,
            max_pipes: None,
            shutdown_timeout: Duration::from_secs(30),
            forward: Forward::Auto,
            pipe_size: 64 * 1024,
        }
    }
}

impl Config {
    /// The pipe pool's bound: `max_pipes`, or a quarter of `max_connections`.
    pub(crate) fn pipes(&self) -> usize {
        self.max_pipes.unwrap_or(self.max_connections / 4)
    }

    /// Descriptors the proxy may need at once: two sockets a connection, two ends a pipe,
    /// and `BASE_FDS` for the rest (standard streams, epoll, listeners, checks).
    pub(crate) fn descriptors(&self) -> u64 {
        2 * self.max_connections as u64
            + 2 * self.pipes() as u64
            + BASE_FDS
            + self.listeners.len() as u64
    }

    pub(crate) fn group(&self, name: &str) -> Option<&GroupConf> {
        self.groups.iter().find(|g| g.name == name)
    }
}

/// Descriptors held whatever the load: standard streams, epoll, the signal pipe, the
/// acceptor's reserve, the statistics device, and room for the health checks' sockets.
const BASE_FDS: u64 = 32;

pub(crate) use netcore::config_file::Error;

/// Reads and parses a config file.
pub(crate) fn load(path: &Path) -> Result<Config, Error> {
    let text = netcore::config_file::read(path)?;
    parse::parse(&text, path)
}
