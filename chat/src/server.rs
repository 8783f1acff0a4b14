//! Starting a server: options, the model switch, signals, and the final report.

use crate::tls::{ServerTlsOptions, TlsServer};
use netcore::reactor::backend::{Epoll, Poll, Select};
use netcore::reactor::signal::{self, Waker};
use netcore::Stats;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

/// The concurrency models a server can run with.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// One thread per client.
    Threads,
    /// A fixed pool of worker threads fed by a bounded queue.
    Pool,
    /// A single-threaded `select` event loop (at most FD_SETSIZE descriptors).
    Select,
    /// A single-threaded `poll` event loop.
    Poll,
    /// A single-threaded `epoll` event loop.
    Epoll,
}

impl Model {
    pub const ALL: [Model; 5] = [
        Model::Threads,
        Model::Pool,
        Model::Select,
        Model::Poll,
        Model::Epoll,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Model::Threads => "threads",
            Model::Pool => "pool",
            Model::Select => "select",
            Model::Poll => "poll",
            Model::Epoll => "epoll",
        }
    }
}

/// Everything `chat serve` (and `chat echo`) can be told.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub model: Model,
    /// Clients served at once; the next gets `! server full` and is closed.
    pub max_clients: usize,
    /// Longest line accepted, in bytes without the line end.
    pub max_line: usize,
    /// Unsent bytes a client may have queued before it is cut off as a slow consumer.
    pub max_queue: usize,
    /// A client silent for this long is closed; `None`: never.
    pub idle_timeout: Option<Duration>,
    /// How long a closing client may take to read its last lines.
    pub close_linger: Duration,
    /// Worker threads of the `pool` model.
    pub workers: usize,
    /// Clients the `pool` model keeps waiting for a worker.
    pub pool_queue: usize,
    /// TLS settings; `None`: plain TCP only.
    pub tls: Option<ServerTlsOptions>,
    /// With `tls`: the TLS port, and `listen` stays plain beside it; `None`: `listen`
    /// itself is the TLS port.
    pub tls_listen: Option<SocketAddr>,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 7000)),
            model: Model::Epoll,
            max_clients: 1000,
            max_line: 4096,
            max_queue: 1 << 20,
            idle_timeout: Some(Duration::from_secs(600)),
            close_linger: Duration::from_secs(2),
            workers: 64,
            pool_queue: 256,
            tls: None,
            tls_listen: None,
        }
    }
}

impl ServeOptions {
    /// The netcore loop configuration these options mean.
    pub fn loop_config(&self) -> netcore::Config {
        netcore::Config {
            max_clients: self.max_clients,
            max_outbound: self.max_queue,
            idle_timeout: self.idle_timeout,
            close_linger: self.close_linger,
            shutdown_grace: self.close_linger,
            read_chunk: 64 * 1024,
            ..netcore::Config::default()
        }
    }
}

/// What runs on the socket: the chat or the plain echo server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Chat,
    Echo,
}

/// A listening socket, and the TLS its connections begin with (`None`: plain TCP).
pub type Listener = (TcpListener, Option<TlsServer>);

fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    netcore::reactor::listener::bind(addr, netcore::reactor::listener::DEFAULT_BACKLOG)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))
}

/// Binds, prints `chat: listening on ADDR (MODEL model)` on stdout (`(MODEL model, TLS)` for
/// the TLS port; with a plain and a TLS port, the plain one's line comes first), serves
/// until SIGINT or SIGTERM, and returns once every client is told and closed. `stats` is
/// updated live, so a caller may sample it from another thread; with TLS it reports the TLS
/// gauges too (live TLS connections, and those with kTLS). With TLS, the last stderr line is
/// the TLS totals: `chat: TLS: 3 handshakes, 3 with kTLS send, 0 with kTLS recv`.
pub fn serve(opts: &ServeOptions, protocol: Protocol, stats: Arc<Stats>) -> io::Result<()> {
    // Many clients need many descriptors; take what the hard limit allows.
    let _ = netcore::sys::raise_fd_limit(1 << 20);
    let mut tls = opts.tls.as_ref().map(TlsServer::new).transpose()?;
    if tls.is_some() && protocol == Protocol::Echo {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the echo server has no TLS",
        ));
    }
    if let Some(tls) = &mut tls {
        tls.report_to(Arc::clone(&stats));
    }
    let tls_counts = tls.as_ref().map(TlsServer::counts);
    let mut listeners: Vec<Listener> = Vec::new();
    match (tls, opts.tls_listen) {
        (None, _) => listeners.push((bind(opts.listen)?, None)),
        (Some(tls), None) => listeners.push((bind(opts.listen)?, Some(tls))),
        (Some(tls), Some(addr)) => {
            listeners.push((bind(opts.listen)?, None));
            listeners.push((bind(addr)?, Some(tls)));
        }
    }
    let waker = Arc::new(Waker::new()?);
    signal::forward_signals(&waker, &[libc::SIGINT, libc::SIGTERM])?;
    {
        let mut out = io::stdout().lock();
        let what = match protocol {
            Protocol::Chat => "chat",
            Protocol::Echo => "echo",
        };
        for (listener, tls) in &listeners {
            writeln!(
                out,
                "{what}: listening on {} ({} model{})",
                listener.local_addr()?,
                opts.model.name(),
                if tls.is_some() { ", TLS" } else { "" }
            )?;
        }
        out.flush()?;
    }
    let served = match protocol {
        Protocol::Chat => serve_chat(opts, listeners, waker, stats),
        Protocol::Echo => {
            let (listener, _) = listeners.remove(0);
            crate::echo::serve(opts, listener, waker, stats)
        }
    };
    // The TLS totals (the device's row shows the live connections).
    if let (Ok(()), Some(counts)) = (&served, tls_counts) {
        eprintln!("chat: TLS: {counts}");
    }
    served
}

fn serve_chat(
    opts: &ServeOptions,
    listeners: Vec<Listener>,
    waker: Arc<Waker>,
    stats: Arc<Stats>,
) -> io::Result<()> {
    use crate::evloop::run;
    match opts.model {
        Model::Select => run(Select::new(), listeners, waker, opts, stats),
        Model::Poll => run(Poll::new(), listeners, waker, opts, stats),
        Model::Epoll => run(Epoll::new()?, listeners, waker, opts, stats),
        Model::Threads => {
            let shared = Arc::new(crate::threaded::Shared::new(opts.clone(), stats)?);
            crate::threaded::serve_threads(listeners, waker, shared)
        }
        Model::Pool => {
            let shared = Arc::new(crate::threaded::Shared::new(opts.clone(), stats)?);
            crate::pool::serve_pool(listeners, waker, shared)
        }
    }
}
