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
    /// One or more addresses; every worker listens on each.
    pub listen: Vec<SocketAddr>,
    pub root: PathBuf,
    /// Worker threads, each with its own epoll loop and listener.
    pub threads: usize,
    /// The access log file; `None` turns logging off.
    pub access_log: Option<PathBuf>,
    /// The error log file; `None` is stderr.
    pub error_log: Option<PathBuf>,
    pub timeouts: Timeouts,
    /// How long a graceful shutdown (SIGQUIT) waits for responses in flight.
    pub shutdown_timeout: Duration,
    pub limits: Limits,
    /// Connections held at once over all workers; past it a new connection gets 503.
    pub max_connections: usize,
    /// Requests served on one connection before it is closed (`keepalive_requests`).
    pub max_keepalive_requests: u32,
    /// Parsed and checked, not applied yet.
    pub user: Option<String>,
    pub group: Option<String>,
    pub chroot: Option<PathBuf>,
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

/// What `--check-config` checks beyond the file's own syntax: the root opens, the logs open
/// for appending (creating them, as `nginx -t` does).
pub fn check(opts: &Options) -> io::Result<()> {
    DocRoot::open(&opts.root).map_err(|e| {
        io::Error::new(
            e.kind(),
            format!("document root {}: {e}", opts.root.display()),
        )
    })?;
    for (what, path) in [
        ("access log", &opts.access_log),
        ("error log", &opts.error_log),
    ] {
        if let Some(path) = path {
            crate::log::open(path)
                .map_err(|e| io::Error::new(e.kind(), format!("{what} {}: {e}", path.display())))?;
        }
    }
    Ok(())
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
    if opts.user.is_some() || opts.group.is_some() || opts.chroot.is_some() {
        eprintln!("httpd: user, group and chroot are checked but not applied yet");
    }
    let waker = Arc::new(Waker::new()?);
    forward_signals(&waker, &[libc::SIGINT, libc::SIGTERM])?;
    // by_worker[w]: worker w's listener on every address.
    let mut by_worker: Vec<Vec<std::net::TcpListener>> = (0..threads).map(|_| Vec::new()).collect();
    let mut bound = Vec::new();
    for &addr in &opts.listen {
        let group = crate::net::bind_group(addr, threads)
            .map_err(|e| io::Error::new(e.kind(), format!("listen on {addr}: {e}")))?;
        bound.push(group[0].local_addr()?);
        for (w, l) in group.into_iter().enumerate() {
            by_worker[w].push(l);
        }
    }
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
        for addr in &bound {
            writeln!(stdout, "httpd: listening on http://{addr}/")?;
        }
        stdout.flush()?;
    }
    eprintln!(
        "httpd: serving {} with {threads} worker thread(s)",
        shared.root.path().display()
    );
    let mut handles = Vec::with_capacity(threads);
    for (i, listeners) in by_worker.into_iter().enumerate() {
        let worker = Worker::new(
            listeners,
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
