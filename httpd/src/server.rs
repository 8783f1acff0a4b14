//! Starting the server: the document root, the access log, the statistics reporter, the
//! listeners (one per worker, `SO_REUSEPORT`), signals, and the worker threads.
//!
//! [`Options`] is everything the server needs to run; the command line fills it today, the
//! config file of the operations issue will fill it tomorrow (with the flags as overrides).

use crate::parse::Limits;
use crate::static_file::DocRoot;
use crate::worker::Worker;
use devstats::{Counters, Reporter};
use netcore::signal::{forward_signals, Waker};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Per-connection deadlines (nginx's defaults where nginx has the same timer).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From the first byte of a request head to its end (`client_header_timeout` 60s).
    pub header: Duration,
    /// Idle keep-alive connection (`keepalive_timeout` 75s).
    pub keepalive: Duration,
    /// A blocked send making no progress (`send_timeout` 60s).
    pub send: Duration,
    /// Lingering close (`lingering_timeout` 5s).
    pub linger: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            header: Duration::from_secs(60),
            keepalive: Duration::from_secs(75),
            send: Duration::from_secs(60),
            linger: Duration::from_secs(5),
        }
    }
}

/// How to run the server.
#[derive(Debug, Clone)]
pub struct Options {
    pub listen: SocketAddr,
    pub root: PathBuf,
    /// Worker threads, each with its own epoll loop and listener.
    pub threads: usize,
    /// The access log file; `None` turns logging off.
    pub access_log: Option<PathBuf>,
    pub timeouts: Timeouts,
    pub limits: Limits,
    /// Connections held at once over all workers; past it a new connection gets 503.
    pub max_connections: usize,
    /// Requests served on one connection before it is closed (`keepalive_requests`).
    pub max_keepalive_requests: u32,
}

/// What every worker reads and nobody writes (apart from the atomics).
#[derive(Debug)]
pub struct Shared {
    pub root: DocRoot,
    pub limits: Limits,
    pub timeouts: Timeouts,
    pub counters: Arc<Counters>,
    pub max_connections_per_worker: usize,
    pub max_keepalive_requests: u32,
}

/// Runs the server until SIGINT or SIGTERM. The bound address is printed on stdout first
/// (`httpd: listening on http://ADDR/`), so a caller that asked for port 0 learns the port.
pub fn run(opts: Options) -> io::Result<()> {
    let threads = opts.threads.max(1);
    // Descriptors: connections plus the files being sent.
    let _ = netcore::sys::raise_fd_limit((opts.max_connections as u64) * 2 + 64);
    let root = DocRoot::open(&opts.root).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("document root {}: {e}", opts.root.display()),
        )
    })?;
    let log_file = match &opts.access_log {
        Some(path) => Some(crate::log::open(path).map_err(|e| {
            io::Error::new(e.kind(), format!("access log {}: {e}", path.display()))
        })?),
        None => None,
    };
    let waker = Arc::new(Waker::new()?);
    forward_signals(&waker, &[libc::SIGINT, libc::SIGTERM])?;
    let listeners = crate::net::bind_group(opts.listen, threads)
        .map_err(|e| io::Error::new(e.kind(), format!("listen on {}: {e}", opts.listen)))?;
    let bound = listeners[0].local_addr()?;
    let counters = Arc::new(Counters::default());
    let reporter = Reporter::start("httpd", Arc::clone(&counters), Duration::from_millis(500));
    let shared = Arc::new(Shared {
        root,
        limits: opts.limits,
        timeouts: opts.timeouts,
        counters,
        max_connections_per_worker: opts.max_connections.div_ceil(threads).max(1),
        max_keepalive_requests: opts.max_keepalive_requests.max(1),
    });
    {
        let mut stdout = io::stdout().lock();
        writeln!(stdout, "httpd: listening on http://{bound}/")?;
        stdout.flush()?;
    }
    eprintln!(
        "httpd: serving {} with {threads} worker thread(s)",
        shared.root.path().display()
    );
    let mut handles = Vec::with_capacity(threads);
    for (i, listener) in listeners.into_iter().enumerate() {
        let worker = Worker::new(
            listener,
            Arc::clone(&waker),
            Arc::clone(&shared),
            log_file.clone(),
        )?;
        let handle = std::thread::Builder::new()
            .name(format!("httpd-worker-{i}"))
            .spawn(move || worker.run())?;
        handles.push(handle);
    }
    let mut result = Ok(());
    for h in handles {
        match h.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => result = Err(e),
            Err(_) => result = Err(io::Error::other("a worker thread panicked")),
        }
    }
    reporter.stop();
    let sig = netcore::signal::last_signal();
    if sig != 0 {
        eprintln!("httpd: stopped by signal {sig}");
    }
    result
}
