//! Starting and steering the server: the document root, the logs, the statistics reporter,
//! the listeners (one per worker and address, `SO_REUSEPORT`), the worker threads, and then
//! the main thread's loop over the operator's signals ([`crate::signals`]).
//!
//! [`Options`] is everything the server needs to run; the command line fills it from the
//! config file and the flags. The workers see the settings through [`Control`]: a reload
//! (SIGHUP) swaps in a new [`Shared`] and wakes them; a stop or a graceful stop sets the
//! state and wakes them.

use crate::generation::{kept_sockets, Generation, ListenGroup};
use crate::logfile::LogFile;
use crate::net::ListenerSetup;
use crate::parse::Limits;
use crate::signals::{Command, Signals};
use crate::docroot::DocRoot;
use crate::{error, notice, warn};
use devstats::{Counters, Reporter};
use netcore::signal::Waker;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};
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
    /// Who to run as and where to chroot, once bound (see `privileges`).
    pub user: Option<String>,
    pub group: Option<String>,
    pub chroot: Option<PathBuf>,
    /// Worker processes under a master (`master.rs`); 0: no master, this process serves.
    pub processes: usize,
    /// Rotate a log once it reaches this size (0: never), keeping `log_keep` old files.
    pub log_max_size: u64,
    pub log_keep: usize,
    /// Serve as root if started as root without `user` (or with `user root`); refused
    /// otherwise (see [`check_not_root`]).
    pub allow_root: bool,
    /// The listeners' TCP congestion control and `TCP_DEFER_ACCEPT`.
    pub listener_setup: ListenerSetup,
}

/// What every worker reads and nobody writes (apart from the atomics). A reload makes a new
/// one; connections pick it up at their next request.
#[derive(Debug)]
pub struct Shared {
    pub root: DocRoot,
    pub limits: Limits,
    pub timeouts: Timeouts,
    pub counters: Arc<Counters>,
    pub max_connections_per_worker: usize,
    pub max_keepalive_requests: u32,
    pub access_log: Option<Arc<LogFile>>,
    /// How long a graceful stop waits for responses in flight.
    pub shutdown_timeout: Duration,
}

/// The workers' state, set by the main thread.
pub const RUN: u8 = 0;
pub const GRACEFUL: u8 = 1;
pub const STOP: u8 = 2;

/// How the main thread steers the workers: a state, the current [`Shared`], and a waker per
/// worker (each worker drains its own).
#[derive(Debug)]
pub struct Control {
    state: AtomicU8,
    shared: Mutex<Arc<Shared>>,
    generation: AtomicU64,
    wakers: Vec<Arc<Waker>>,
}

impl Control {
    /// Running `shared`, with a waker for each of `workers` workers.
    pub fn new(shared: Arc<Shared>, workers: usize) -> io::Result<Control> {
        let wakers = (0..workers)
            .map(|_| Waker::new().map(Arc::new))
            .collect::<io::Result<_>>()?;
        Ok(Control {
            state: AtomicU8::new(RUN),
            shared: Mutex::new(shared),
            generation: AtomicU64::new(0),
            wakers,
        })
    }

    pub fn state(&self) -> u8 {
        self.state.load(Ordering::Acquire)
    }

    /// Cheap: whether [`shared`](Self::shared) changed.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn shared(&self) -> Arc<Shared> {
        Arc::clone(&self.shared.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub fn wakers(&self) -> &[Arc<Waker>] {
        &self.wakers
    }

    pub fn set_state(&self, state: u8) {
        // Never back: a graceful stop may become a fast one, not the reverse.
        self.state.fetch_max(state, Ordering::AcqRel);
        self.wake_all();
    }

    fn set_shared(&self, shared: Arc<Shared>) {
        *self.shared.lock().unwrap_or_else(|e| e.into_inner()) = shared;
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.wake_all();
    }

    fn wake_all(&self) {
        for w in &self.wakers {
            w.wake();
        }
    }
}

fn with_context(e: io::Error, what: &str, path: &std::path::Path) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
}

/// Opens a log, reusing `old` when the path is the same (a reload keeps the open file).
fn open_log(
    path: &Option<PathBuf>,
    old: Option<&Arc<LogFile>>,
    what: &str,
) -> io::Result<Option<Arc<LogFile>>> {
    match (path, old) {
        (None, _) => Ok(None),
        (Some(p), Some(old)) if old.path() == p => Ok(Some(Arc::clone(old))),
        (Some(p), _) => LogFile::open(p)
            .map(Some)
            .map_err(|e| with_context(e, what, p)),
    }
}

/// What `--check-config` checks beyond the file's own syntax: the root opens, the logs open
/// for appending (creating them, as `nginx -t` does).
pub fn check(opts: &Options) -> io::Result<()> {
    DocRoot::open(&opts.root).map_err(|e| with_context(e, "document root", &opts.root))?;
    open_log(&opts.access_log, None, "access log")?;
    open_log(&opts.error_log, None, "error log")?;
    crate::congestion::check(&opts.listener_setup.congestion)?;
    let ids = crate::privileges::resolve(opts.user.as_deref(), opts.group.as_deref())?;
    if let Some(dir) = &opts.chroot {
        for (what, p) in control_paths(opts) {
            crate::privileges::check_under(dir, &p, what)?;
        }
    }
    check_not_root(opts, ids)
}

/// Refuses to serve as root unless `allow_root` says so: started as root, the server must be
/// given a `user` other than root to become once bound (nginx falls back to `nobody`;
/// Apache refuses `User root` outright; we refuse and say how to proceed).
/// `ids`: `user` and `group` resolved ([`crate::privileges::resolve`]).
pub fn check_not_root(opts: &Options, ids: Option<crate::privileges::Ids>) -> io::Result<()> {
    if opts.allow_root || !crate::privileges::is_root() {
        return Ok(());
    }
    if ids.is_some_and(|ids| ids.uid != 0) {
        return Ok(());
    }
    Err(io::Error::new(
        io::ErrorKind::PermissionDenied,
        "refusing to serve as root: set `user` (--user) to the unprivileged user to \
         become once bound, or `allow_root on;` (--allow-root) to serve as root anyway",
    ))
}

/// The settings of `opts` as the workers see them (the logs reused when unchanged).
fn make_shared(
    opts: &Options,
    threads: usize,
    counters: &Arc<Counters>,
    old_access: Option<&Arc<LogFile>>,
) -> io::Result<Shared> {
    let root =
        DocRoot::open(&opts.root).map_err(|e| with_context(e, "document root", &opts.root))?;
    Ok(Shared {
        root,
        limits: opts.limits,
        timeouts: opts.timeouts,
        counters: Arc::clone(counters),
        max_connections_per_worker: opts.max_connections.div_ceil(threads).max(1),
        max_keepalive_requests: opts.max_keepalive_requests.max(1),
        access_log: open_log(&opts.access_log, old_access, "access log")?,
        shutdown_timeout: opts.shutdown_timeout,
    })
}

/// The paths that must lie under a chroot: the root and the log files.
fn control_paths(opts: &Options) -> Vec<(&'static str, PathBuf)> {
    let mut v = vec![("root", opts.root.clone())];
    if let Some(p) = &opts.access_log {
        v.push(("access log", p.clone()));
    }
    if let Some(p) = &opts.error_log {
        v.push(("error log", p.clone()));
    }
    v
}

/// Everything is bound and open: chroot and drop to the configured user and group. Serving
/// as root was allowed by [`check_not_root`] before anything was bound.
fn become_configured_user(opts: &Options, paths: &[(&'static str, PathBuf)]) -> io::Result<()> {
    let root = crate::privileges::is_root();
    let ids = crate::privileges::resolve(opts.user.as_deref(), opts.group.as_deref())?;
    if let Some(dir) = &opts.chroot {
        for (what, p) in paths {
            crate::privileges::check_under(dir, p, what)?;
        }
    }
    let ids = match ids {
        Some(_) if !root => {
            warn!("user and group need root to take effect: ignored");
            None
        }
        other => other,
    };
    crate::privileges::drop_privileges(opts.chroot.as_deref(), ids)?;
    if let Some(ids) = ids {
        notice!(
            "running as uid {} gid {}{}",
            ids.uid,
            ids.gid,
            match &opts.chroot {
                Some(c) => format!(", chrooted in {}", c.display()),
                None => String::new(),
            }
        );
    } else if crate::privileges::is_root() {
        warn!("serving as root (allow_root): set `user` to drop privileges");
    }
    Ok(())
}

/// Re-reads the configuration: `reload` gives the new options (or the config error).
pub type Reload<'a> = dyn Fn() -> Result<Options, String> + 'a;

/// Runs the server until SIGINT or SIGTERM (or the end of a graceful stop after SIGQUIT).
/// The bound addresses are printed on stdout first (`httpd: listening on http://ADDR/`, one
/// line per `listen`), so a caller that asked for port 0 learns the port. SIGHUP calls
/// `reload` (if any) and applies what it returns.
pub fn run(opts: Options, reload: Option<&Reload<'_>>) -> io::Result<()> {
    check_not_root(
        &opts,
        crate::privileges::resolve(opts.user.as_deref(), opts.group.as_deref())?,
    )?;
    let threads = opts.threads.max(1);
    let groups = opts
        .listen
        .iter()
        .map(|&addr| ListenGroup::bind(addr, threads, &opts.listener_setup))
        .collect::<io::Result<Vec<_>>>()?;
    serve(opts, reload, groups, true)
}

/// A worker process of the master (`master.rs`): serves on the master's listeners (one
/// socket per address, shared by every thread of every worker process), prints nothing.
pub fn run_worker_process(opts: Options, listeners: &[std::net::TcpListener]) -> io::Result<()> {
    let groups = opts
        .listen
        .iter()
        .zip(listeners)
        .map(|(&configured, l)| {
            Ok(ListenGroup {
                configured,
                sockets: vec![l.try_clone()?],
            })
        })
        .collect::<io::Result<Vec<_>>>()?;
    serve(opts, None, groups, false)
}

/// Says each bound address on stdout, `httpd: listening on http://ADDR/` (a caller that
/// asked for port 0 learns the port; a reload adding an address says it too).
pub fn print_listening(addrs: impl IntoIterator<Item = io::Result<SocketAddr>>) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    for addr in addrs {
        writeln!(stdout, "httpd: listening on http://{}/", addr?)?;
    }
    stdout.flush()
}

/// The server on bound listeners; `print`: say the bound addresses on stdout.
fn serve(
    opts: Options,
    reload: Option<&Reload<'_>>,
    groups: Vec<ListenGroup>,
    print: bool,
) -> io::Result<()> {
    let threads = opts.threads.max(1);
    // Descriptors: connections plus the files being sent.
    let _ = netcore::sys::raise_fd_limit((opts.max_connections as u64) * 2 + 64);
    let counters = Arc::new(Counters::default());
    let error_log = open_log(&opts.error_log, None, "error log")?;
    let shared = make_shared(&opts, threads, &counters, None)?;
    let signals = Signals::install()?;
    crate::errlog::set(error_log);
    // Opened before the chroot and the drop to `user`, which could make it unreachable.
    let device = devstats::Device::open(devstats::DEVICE_PATH);
    become_configured_user(&opts, &control_paths(&opts))?;
    let reporter = Reporter::start_on(
        device,
        std::path::Path::new(devstats::DEVICE_PATH),
        "httpd",
        Arc::clone(&counters),
        Duration::from_millis(500),
    );
    let mut current = Generation::start(Arc::new(shared), threads, &groups)?;
    if print {
        print_listening(groups.iter().map(ListenGroup::bound))?;
    }
    notice!(
        "serving {} with {threads} worker thread(s)",
        current.control.shared().root.path().display()
    );
    let mut groups = groups;
    // Generations replaced by a reload, finishing their responses in flight.
    let mut retiring: Vec<Generation> = Vec::new();
    let mut running = opts;
    loop {
        let (done, still): (Vec<_>, Vec<_>) = retiring.into_iter().partition(|g| g.finished());
        retiring = still;
        for g in done {
            match g.join() {
                Ok(()) => notice!("the old worker threads finished"),
                Err(e) => error!("an old worker thread: {e}"),
            }
        }
        if current.finished() && retiring.is_empty() {
            break;
        }
        if running.log_max_size > 0 {
            rotate_by_size(&current.control, running.log_max_size, running.log_keep);
        }
        if current.control.state() == RUN && current.lost_a_worker() {
            error!("a worker stopped: stopping the others");
            set_state_all(&current, &retiring, STOP);
        }
        for cmd in signals.wait(Duration::from_millis(200)) {
            match cmd {
                Command::Stop => {
                    notice!("fast shutdown (SIGTERM/SIGINT)");
                    set_state_all(&current, &retiring, STOP);
                    groups.clear();
                }
                Command::Graceful => {
                    notice!(
                        "graceful shutdown (SIGQUIT): finishing responses in flight, at most {:?}",
                        current.control.shared().shutdown_timeout
                    );
                    set_state_all(&current, &retiring, GRACEFUL);
                    // The workers close theirs: no socket is left listening.
                    groups.clear();
                }
                Command::Reopen => {
                    reopen_access_logs(std::iter::once(&current).chain(&retiring));
                    if let Err(e) = crate::errlog::reopen() {
                        error!("reopening the error log: {e}");
                    }
                    notice!("reopened the logs (SIGUSR1)");
                }
                Command::Reload => match reload {
                    None => warn!("SIGHUP: no config file to re-read (started without --config)"),
                    Some(reload) if current.control.state() == RUN => {
                        if let Some(next) =
                            apply_reload(reload, &running, &mut groups, &current, print)
                        {
                            if let Some(generation) = next.generation {
                                current.control.set_state(GRACEFUL);
                                retiring.push(std::mem::replace(&mut current, generation));
                            }
                            running = next.opts;
                        }
                    }
                    Some(_) => {}
                },
            }
        }
    }
    let result = current.join();
    reporter.stop();
    notice!("stopped");
    result
}

/// Stops (or gracefully stops) every generation, the retiring ones included.
fn set_state_all(current: &Generation, retiring: &[Generation], state: u8) {
    for g in std::iter::once(current).chain(retiring) {
        g.control.set_state(state);
    }
}

/// SIGUSR1: every generation's access log (the same file unless a reload changed its path).
fn reopen_access_logs<'a>(generations: impl Iterator<Item = &'a Generation>) {
    let mut done: Vec<Arc<LogFile>> = Vec::new();
    for g in generations {
        if let Some(log) = &g.control.shared().access_log {
            if done.iter().any(|d| Arc::ptr_eq(d, log)) {
                continue;
            }
            if let Err(e) = log.reopen() {
                error!("reopening the access log {}: {e}", log.path().display());
            }
            done.push(Arc::clone(log));
        }
    }
}

/// Rotates each log at or past `max` bytes (checked five times a second: a file may pass
/// `max` by what is written meanwhile).
fn rotate_by_size(control: &Control, max: u64, keep: usize) {
    let access = control.shared().access_log.clone();
    for log in access.iter().chain(crate::errlog::current().iter()) {
        if log.size() >= max {
            if let Err(e) = log.rotate(keep) {
                error!("rotating {}: {e}", log.path().display());
            }
        }
    }
}

/// What a good reload changes: the options, and a new generation of workers when `listen`
/// or `threads` changed (the caller retires the old one).
struct Reloaded {
    opts: Options,
    generation: Option<Generation>,
}

/// SIGHUP: the new options replace the running ones if they are good; otherwise the old ones
/// keep serving (`None`). Settings the workers read ([`Shared`]) are swapped in place; a new
/// `listen` list or thread count starts a new [`Generation`] on the sockets kept from the
/// old list plus the new addresses bound now (after a drop of root, a port below 1024 can no
/// longer be bound: the reload is refused). `user`, `group`, `chroot` and
/// `worker_processes` need a restart.
fn apply_reload(
    reload: &Reload<'_>,
    running: &Options,
    groups: &mut Vec<ListenGroup>,
    current: &Generation,
    print: bool,
) -> Option<Reloaded> {
    notice!("re-reading the configuration (SIGHUP)");
    let refuse = |e: &dyn std::fmt::Display| {
        error!("reload refused, still serving the old configuration: {e}");
    };
    if crate::privileges::chrooted() {
        error!("reload refused: httpd runs chrooted and cannot read its config file; restart it");
        return None;
    }
    let mut new = match reload() {
        Ok(new) => new,
        Err(e) => {
            refuse(&e);
            return None;
        }
    };
    if (&new.user, &new.group, &new.chroot) != (&running.user, &running.group, &running.chroot) {
        warn!("reload: user, group and chroot changes need a restart; kept the running ones");
        new.user = running.user.clone();
        new.group = running.group.clone();
        new.chroot = running.chroot.clone();
    }
    if new.processes != running.processes {
        warn!("reload: a worker_processes change needs a restart; kept the running one");
        new.processes = running.processes;
    }
    if new.listener_setup.congestion != running.listener_setup.congestion {
        warn!("reload: a tcp_congestion change needs a restart; kept the running one");
        new.listener_setup.congestion = running.listener_setup.congestion.clone();
    }
    let threads = new.threads.max(1);
    let old = current.control.shared();
    let shared = match make_shared(&new, threads, &old.counters, old.access_log.as_ref()) {
        Ok(s) => s,
        Err(e) => {
            refuse(&e);
            return None;
        }
    };
    let old_error = crate::errlog::current();
    let error_log = match open_log(&new.error_log, old_error.as_ref(), "error log") {
        Ok(l) => l,
        Err(e) => {
            refuse(&e);
            return None;
        }
    };
    let generation = if new.listen != running.listen || threads != running.threads.max(1) {
        // Sockets of addresses kept stay (with their queues); new addresses are bound now.
        let mut fresh = Vec::new();
        let running: Vec<SocketAddr> = groups.iter().map(|g| g.configured).collect();
        let next: io::Result<Vec<ListenGroup>> = new
            .listen
            .iter()
            .zip(kept_sockets(&running, &new.listen))
            .map(|(&addr, kept)| match kept {
                Some(i) => groups[i].duplicate(),
                None => {
                    let g = ListenGroup::bind(addr, threads, &new.listener_setup)?;
                    fresh.push(g.duplicate()?);
                    Ok(g)
                }
            })
            .collect();
        let next = match next {
            Ok(next) => next,
            Err(e) => {
                refuse(&e);
                return None;
            }
        };
        let generation = match Generation::start(Arc::new(shared), threads, &next) {
            Ok(g) => g,
            Err(e) => {
                refuse(&e);
                return None;
            }
        };
        *groups = next;
        if print {
            if let Err(e) = print_listening(fresh.iter().map(ListenGroup::bound)) {
                error!("printing the new addresses: {e}");
            }
        }
        notice!(
            "reload: {threads} new worker thread(s) on {} address(es); the old ones finish \
             their responses in flight",
            groups.len()
        );
        Some(generation)
    } else {
        current.control.set_shared(Arc::new(shared));
        None
    };
    if new.listener_setup.defer_accept != running.listener_setup.defer_accept {
        // Kept sockets change in place; newly bound ones have it from their setup.
        let on = new.listener_setup.defer_accept;
        if let Err(e) = groups.iter().try_for_each(|g| g.set_defer_accept(on)) {
            error!("reload: defer_accept: {e}");
        }
    }
    crate::errlog::set(error_log);
    notice!("configuration reloaded: serving {}", new.root.display());
    Some(Reloaded {
        opts: new,
        generation,
    })
}
