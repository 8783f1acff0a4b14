//! Starting and steering the server: the document root, the logs, the statistics reporter,
//! the listeners (one per worker and address, `SO_REUSEPORT`), the worker threads, and then
//! the main thread's loop over the operator's signals ([`crate::process::signals`]).
//!
//! [`Options`] is everything the server needs to run; the command line fills it from the
//! config file and the flags. The workers see the settings through [`Control`]: a reload
//! (SIGHUP) swaps in a new [`Shared`] and wakes them; a stop or a graceful stop sets the
//! state and wakes them.

use crate::config::Options;
use crate::conn::ctx::Shared;
use crate::files::docroot::DocRoot;
use crate::log::errlog::{error, notice, warn};
use crate::log::logfile::LogFile;
use crate::process::control::{Control, State};
use crate::process::generation::{kept_sockets, Generation, ListenGroup};
use crate::process::signals::{Command, Signals};
use devstats::{Counters, Reporter};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

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
pub(crate) fn check(opts: &Options) -> io::Result<()> {
    DocRoot::open(&opts.root).map_err(|e| with_context(e, "document root", &opts.root))?;
    open_log(&opts.access_log, None, "access log")?;
    open_log(&opts.error_log, None, "error log")?;
    crate::net::congestion::check(&opts.listener_setup.congestion)?;
    let ids = crate::process::privileges::resolve(opts.user.as_deref(), opts.group.as_deref())?;
    if let Some(dir) = &opts.chroot {
        for (what, p) in control_paths(opts) {
            crate::process::privileges::check_under(dir, &p, what)?;
        }
    }
    check_not_root(opts, ids)
}

/// Refuses to serve as root unless `allow_root` says so: started as root, the server must be
/// given a `user` other than root to become once bound (nginx falls back to `nobody`;
/// Apache refuses `User root` outright; we refuse and say how to proceed).
/// `ids`: `user` and `group` resolved ([`crate::process::privileges::resolve`]).
pub(crate) fn check_not_root(
    opts: &Options,
    ids: Option<crate::process::privileges::Ids>,
) -> io::Result<()> {
    if opts.allow_root || !crate::process::privileges::is_root() {
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
    let root = crate::process::privileges::is_root();
    let ids = crate::process::privileges::resolve(opts.user.as_deref(), opts.group.as_deref())?;
    if let Some(dir) = &opts.chroot {
        for (what, p) in paths {
            crate::process::privileges::check_under(dir, p, what)?;
        }
    }
    let ids = match ids {
        Some(_) if !root => {
            warn!("user and group need root to take effect: ignored");
            None
        }
        other => other,
    };
    crate::process::privileges::drop_privileges(opts.chroot.as_deref(), ids)?;
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
    } else if crate::process::privileges::is_root() {
        warn!("serving as root (allow_root): set `user` to drop privileges");
    }
    Ok(())
}

/// Re-reads the configuration: `reload` gives the new options (or the config error).
pub(crate) type Reload<'a> = dyn Fn() -> Result<Options, String> + 'a;

/// Runs the server until SIGINT or SIGTERM (or the end of a graceful stop after SIGQUIT).
/// The bound addresses are printed on stdout first (`httpd: listening on http://ADDR/`, one
/// line per `listen`), so a caller that asked for port 0 learns the port. SIGHUP calls
/// `reload` (if any) and applies what it returns.
pub(crate) fn run(opts: Options, reload: Option<&Reload<'_>>) -> io::Result<()> {
    check_not_root(
        &opts,
        crate::process::privileges::resolve(opts.user.as_deref(), opts.group.as_deref())?,
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
pub(crate) fn run_worker_process(
    opts: Options,
    listeners: &[std::net::TcpListener],
) -> io::Result<()> {
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
pub(crate) fn print_listening(
    addrs: impl IntoIterator<Item = io::Result<SocketAddr>>,
) -> io::Result<()> {
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
    crate::log::errlog::set(error_log);
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
        if current.control.state() == State::Run && current.lost_a_worker() {
            error!("a worker stopped: stopping the others");
            set_state_all(&current, &retiring, State::Stop);
        }
        for cmd in signals.wait(Duration::from_millis(200)) {
            match cmd {
                Command::Stop => {
                    notice!("fast shutdown (SIGTERM/SIGINT)");
                    set_state_all(&current, &retiring, State::Stop);
                    groups.clear();
                }
                Command::Graceful => {
                    notice!(
                        "graceful shutdown (SIGQUIT): finishing responses in flight, at most {:?}",
                        current.control.shared().shutdown_timeout
                    );
                    set_state_all(&current, &retiring, State::Graceful);
                    // The workers close theirs: no socket is left listening.
                    groups.clear();
                }
                Command::Reopen => {
                    reopen_access_logs(std::iter::once(&current).chain(&retiring));
                    if let Err(e) = crate::log::errlog::reopen() {
                        error!("reopening the error log: {e}");
                    }
                    notice!("reopened the logs (SIGUSR1)");
                }
                Command::Reload => match reload {
                    None => warn!("SIGHUP: no config file to re-read (started without --config)"),
                    Some(reload) if current.control.state() == State::Run => {
                        if let Some(next) =
                            apply_reload(reload, &running, &mut groups, &current, print)
                        {
                            if let Some(generation) = next.generation {
                                current.control.set_state(State::Graceful);
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
fn set_state_all(current: &Generation, retiring: &[Generation], state: State) {
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
    for log in access.iter().chain(crate::log::errlog::current().iter()) {
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
    if crate::chroot::chrooted() {
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
    let old_error = crate::log::errlog::current();
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
    crate::log::errlog::set(error_log);
    notice!("configuration reloaded: serving {}", new.root.display());
    Some(Reloaded {
        opts: new,
        generation,
    })
}
