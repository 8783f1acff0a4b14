//! The master process (nginx's model, `worker_processes N`): it binds the listeners, forks
//! N worker processes that serve on them, restarts a worker that dies (with a backoff when
//! they die young), turns the operator's signals into actions on the workers, and never
//! serves a request itself.
//!
//! | signal to the master | action |
//! |---|---|
//! | SIGTERM, SIGINT | SIGTERM to every worker, wait for them, exit |
//! | SIGQUIT | SIGQUIT to every worker (each finishes its responses), wait, exit |
//! | SIGHUP | re-read the config; if good, bind its new `listen` addresses, fork its `worker_processes` new workers with it and SIGQUIT the old ones (their responses in flight finish); if bad, refuse and keep the old workers |
//! | SIGUSR1 | reopen the master's error log, SIGUSR1 to every worker |
//!
//! Rotation by size is the master's too: it renames the files (`log_max_size`, `log_keep`)
//! and sends SIGUSR1 to the workers, so several processes never rename the same log.
//!
//! The master stays single-threaded (a `fork` of a threaded process may inherit held locks),
//! stays root, and stays outside any chroot: the workers drop privileges themselves, and a
//! reload works even when they are chrooted. One listening socket per address is shared by
//! every thread of every worker (so a retiring worker loses no queued connection); a worker
//! gets `PR_SET_PDEATHSIG`, so it never outlives a killed master.

use crate::config::Options;
use crate::log::errlog::{error, notice, warn};
use crate::net::socket::ListenerSetup;
use crate::process::generation::kept_sockets;
use crate::process::server::{self, Reload};
use crate::process::signals::{Command, Signals};
use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

/// Backoff before restarting a worker that died young (doubling up to the maximum).
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_secs(10);
/// A worker that lived this long resets the backoff.
const LIVED_LONG: Duration = Duration::from_secs(2);

struct Child {
    pid: libc::pid_t,
    started: Instant,
}

/// Forks one worker process serving `opts` on `listeners`.
fn spawn(opts: &Options, listeners: &[TcpListener]) -> io::Result<Child> {
    let _ = io::stdout().flush();
    crate::process::signals::block(true);
    // SAFETY: the master is single-threaded, so the child may run ordinary code.
    let pid = unsafe { libc::fork() };
    if pid != 0 {
        crate::process::signals::block(false);
    }
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: plain prctl; the worker dies with its master.
        unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) };
        // Rotation by size is the master's (one renamer, then SIGUSR1 to every worker).
        let opts = Options {
            log_max_size: 0,
            ..opts.clone()
        };
        let code = match server::run_worker_process(opts, listeners) {
            Ok(()) => 0,
            Err(e) => {
                error!("worker process: {e}");
                1
            }
        };
        // SAFETY: leave without running the master's exit handlers or flushing its buffers.
        unsafe { libc::_exit(code) };
    }
    notice!("started worker process {pid}");
    Ok(Child {
        pid,
        started: Instant::now(),
    })
}

fn kill_all(children: &[Child], sig: libc::c_int) {
    for c in children {
        // SAFETY: signalling our own child.
        unsafe { libc::kill(c.pid, sig) };
    }
}

/// Reaps exited children without blocking: their pids and statuses.
fn reap() -> Vec<(libc::pid_t, libc::c_int)> {
    let mut out = Vec::new();
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes the status into our local.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid <= 0 {
            return out;
        }
        out.push((pid, status));
    }
}

fn describe(status: libc::c_int) -> String {
    if libc::WIFSIGNALED(status) {
        format!("killed by signal {}", libc::WTERMSIG(status))
    } else {
        format!("exit status {}", libc::WEXITSTATUS(status))
    }
}

/// One listening socket per `listen` address, in the order of the running options' list.
fn bind_all(addrs: &[SocketAddr], setup: &ListenerSetup) -> io::Result<Vec<TcpListener>> {
    addrs.iter().map(|&addr| bind(addr, setup)).collect()
}

fn bind(addr: SocketAddr, setup: &ListenerSetup) -> io::Result<TcpListener> {
    crate::net::socket::bind_reuseport(addr, setup)
        .map_err(|e| io::Error::new(e.kind(), format!("listen on {addr}: {e}")))
}

/// The sockets for a reload's `listen` list: the running ones for the addresses kept (the
/// same sockets, so no queued connection is lost), new ones for new addresses (printed).
fn rebind(
    running: &[SocketAddr],
    listeners: &[TcpListener],
    wanted: &[SocketAddr],
    setup: &ListenerSetup,
) -> io::Result<Vec<TcpListener>> {
    let mut fresh = Vec::new();
    let mut out = Vec::with_capacity(wanted.len());
    for (&addr, kept) in wanted.iter().zip(kept_sockets(running, wanted)) {
        match kept {
            Some(i) => out.push(listeners[i].try_clone()?),
            None => {
                let l = bind(addr, setup)?;
                fresh.push(l.try_clone()?);
                out.push(l);
            }
        }
    }
    server::print_listening(fresh.iter().map(TcpListener::local_addr))?;
    Ok(out)
}

/// Runs the master with `processes` workers until they are all gone after a stop.
pub(crate) fn run(opts: Options, processes: usize, reload: Option<&Reload<'_>>) -> io::Result<()> {
    server::check(&opts)?;
    let error_log = match &opts.error_log {
        Some(p) => Some(
            crate::log::logfile::LogFile::open(p)
                .map_err(|e| io::Error::new(e.kind(), format!("error log {}: {e}", p.display())))?,
        ),
        None => None,
    };
    let mut listeners = bind_all(&opts.listen, &opts.listener_setup)?;
    let signals = Signals::install()?;
    crate::log::errlog::set(error_log);
    server::print_listening(listeners.iter().map(TcpListener::local_addr))?;
    notice!(
        "master process {} with {processes} worker process(es)",
        std::process::id()
    );
    let mut opts = opts;
    let mut processes = processes;
    let mut workers: Vec<Child> = Vec::new();
    // Old workers finishing their responses after a reload.
    let mut retiring: Vec<Child> = Vec::new();
    let mut backoff = BACKOFF_MIN;
    let mut restart_at: Option<Instant> = None;
    let mut stopping: Option<libc::c_int> = None;
    for _ in 0..processes {
        workers.push(spawn(&opts, &listeners)?);
    }
    loop {
        for (pid, status) in reap() {
            if let Some(i) = retiring.iter().position(|c| c.pid == pid) {
                retiring.remove(i);
                notice!("old worker process {pid} finished ({})", describe(status));
            } else if let Some(i) = workers.iter().position(|c| c.pid == pid) {
                let child = workers.remove(i);
                if stopping.is_none() {
                    warn!(
                        "worker process {pid} died ({}): restarting",
                        describe(status)
                    );
                    backoff = if child.started.elapsed() >= LIVED_LONG {
                        BACKOFF_MIN
                    } else {
                        (backoff * 2).min(BACKOFF_MAX)
                    };
                    restart_at.get_or_insert(Instant::now() + backoff);
                }
            }
        }
        if stopping.is_some() {
            if workers.is_empty() && retiring.is_empty() {
                notice!("stopped");
                return Ok(());
            }
        } else if restart_at.is_some_and(|t| Instant::now() >= t) {
            restart_at = None;
            while workers.len() < processes {
                match spawn(&opts, &listeners) {
                    Ok(c) => workers.push(c),
                    Err(e) => {
                        error!("fork: {e}");
                        restart_at = Some(Instant::now() + BACKOFF_MAX);
                        break;
                    }
                }
            }
        }
        if opts.log_max_size > 0 && stopping.is_none() {
            rotate_by_size(&opts, &workers);
        }
        for cmd in signals.wait(Duration::from_millis(100)) {
            match cmd {
                Command::Stop => {
                    notice!("fast shutdown: SIGTERM to the workers");
                    stopping = Some(libc::SIGTERM);
                    kill_all(&workers, libc::SIGTERM);
                    kill_all(&retiring, libc::SIGTERM);
                }
                Command::Graceful if stopping.is_none() => {
                    notice!("graceful shutdown: SIGQUIT to the workers");
                    stopping = Some(libc::SIGQUIT);
                    kill_all(&workers, libc::SIGQUIT);
                    // The workers close theirs: no socket is left listening.
                    listeners.clear();
                }
                Command::Graceful => {}
                Command::Reopen => {
                    if let Err(e) = crate::log::errlog::reopen() {
                        error!("reopening the error log: {e}");
                    }
                    notice!("reopened the logs (SIGUSR1), telling the workers");
                    kill_all(&workers, libc::SIGUSR1);
                    kill_all(&retiring, libc::SIGUSR1);
                }
                Command::Reload if stopping.is_none() => {
                    let Some(mut new) = reload_options(reload) else {
                        continue;
                    };
                    if new.listener_setup.congestion != opts.listener_setup.congestion {
                        warn!(
                            "reload: a tcp_congestion change needs a restart; kept the running one"
                        );
                        new.listener_setup.congestion = opts.listener_setup.congestion.clone();
                    }
                    let next =
                        match rebind(&opts.listen, &listeners, &new.listen, &new.listener_setup) {
                            Ok(next) => next,
                            Err(e) => {
                                error!("reload refused, still serving the old configuration: {e}");
                                continue;
                            }
                        };
                    // The master's copies of dropped addresses close before the fork, so
                    // no new worker inherits them; the old workers close theirs as they
                    // stop accepting.
                    listeners = next;
                    if new.listener_setup.defer_accept != opts.listener_setup.defer_accept {
                        // Kept sockets change in place (every worker shares them).
                        let on = new.listener_setup.defer_accept;
                        if let Err(e) = listeners
                            .iter()
                            .try_for_each(|l| crate::net::socket::set_defer_accept(l, on))
                        {
                            error!("reload: defer_accept: {e}");
                        }
                    }
                    // New workers first, then the old ones finish and go.
                    let mut fresh = Vec::new();
                    for _ in 0..new.processes {
                        match spawn(&new, &listeners) {
                            Ok(c) => fresh.push(c),
                            Err(e) => error!("fork: {e}"),
                        }
                    }
                    kill_all(&workers, libc::SIGQUIT);
                    retiring.append(&mut workers);
                    if fresh.len() < new.processes {
                        // A fork failed: the restart path makes up the number.
                        restart_at = Some(Instant::now() + backoff);
                    }
                    workers = fresh;
                    processes = new.processes;
                    opts = new;
                    notice!(
                        "configuration reloaded: {processes} worker process(es) serving {}",
                        opts.root.display()
                    );
                }
                Command::Reload => {}
            }
        }
    }
}

/// Rotation by size for the worker processes: the master renames the files of a log at or
/// past the size, reopens its own error log, and sends SIGUSR1 to the workers.
fn rotate_by_size(opts: &Options, workers: &[Child]) {
    let mut rotated = false;
    for path in opts.access_log.iter().chain(opts.error_log.iter()) {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        if size >= opts.log_max_size {
            match crate::log::logfile::shift_files(path, opts.log_keep) {
                Ok(()) => rotated = true,
                Err(e) => error!("rotating {}: {e}", path.display()),
            }
        }
    }
    if rotated {
        if let Err(e) = crate::log::errlog::reopen() {
            error!("reopening the error log: {e}");
        }
        kill_all(workers, libc::SIGUSR1);
    }
}

/// The new options on SIGHUP, or `None` (refused, logged). Everything may change but the
/// master itself: `worker_processes 0` (no master) needs a restart.
fn reload_options(reload: Option<&Reload<'_>>) -> Option<Options> {
    let Some(reload) = reload else {
        warn!("SIGHUP: no config file to re-read (started without --config)");
        return None;
    };
    notice!("re-reading the configuration (SIGHUP)");
    match reload().map_err(|e| e.to_string()).and_then(|o| {
        server::check(&o).map_err(|e| e.to_string())?;
        Ok(o)
    }) {
        Ok(o) if o.processes == 0 => {
            error!(
                "reload refused: worker_processes 0 (no master) needs a restart; \
                 still serving the old configuration"
            );
            None
        }
        Ok(o) => Some(o),
        Err(e) => {
            error!("reload refused, still serving the old configuration: {e}");
            None
        }
    }
}
