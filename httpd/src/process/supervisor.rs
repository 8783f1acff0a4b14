//! The control plane: one loop over the operator's signals ([`crate::process::signals`]) that
//! steers a set of [`Workers`], worker threads in this process (`threads.rs`) or worker
//! processes under a master (`processes.rs`), and the reload rules, written once for both.
//!
//! | signal | the supervisor |
//! |---|---|
//! | SIGTERM, SIGINT | stops every worker at once, waits for them, exits |
//! | SIGQUIT | closes its listeners and stops the workers gracefully (responses in flight finish), waits, exits |
//! | SIGHUP | re-reads the config: if good, the new settings are applied ([`reload_plan`] keeps the running value of what needs a restart), new addresses bound, kept ones keep their sockets and queues, new workers start and the old ones finish their responses; if bad, refused, the old workers keep serving |
//! | SIGUSR1 | reopens the error log, and the workers their logs |
//!
//! Rotation by size is the supervisor's too: it looks at the logs every tick, renames one
//! at or past `log_max_size` and has everything reopen as on SIGUSR1, so a single process
//! renames and no line is lost or torn.
//!
//! Start-up ([`run`]): the listeners are bound (after the refusal to serve as root), the
//! error log opened, the workers prepared and started, and the bound addresses printed on
//! stdout. Why one loop: the two ways of running workers (nginx's master of processes, and
//! threads where nginx has processes) obey the same signals and the same reload rules, so
//! they must not drift apart; only what a worker is differs.

use crate::config::Options;
use crate::log::errlog::{error, notice, warn};
use crate::log::logfile::LogFile;
use crate::process::listeners::{rebind, ListenGroup};
use crate::process::signals::{Command, Signals};
use std::io::{self, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// Re-reads the configuration: `reload` gives the new options (or the config error).
pub(crate) type Reload<'a> = dyn Fn() -> Result<Options, String> + 'a;

/// What the workers are, for what a reload may change ([`reload_plan`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Threads of this process, which dropped its privileges and has no master above it.
    Threads,
    /// Processes forked by a master that stays root and outside any chroot.
    Processes,
}

/// How the workers stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Every connection closed at once (SIGTERM, SIGINT).
    Fast,
    /// Stop accepting, finish the responses in flight (SIGQUIT, or old workers on a reload).
    Graceful,
}

/// A set of workers the supervisor steers: worker threads or worker processes.
pub(crate) trait Workers: Sized {
    /// What a reload may change under these workers ([`reload_plan`]).
    const KIND: Kind;
    /// How long the supervisor waits for a signal before it looks at the workers again.
    const TICK: Duration;
    /// What [`prepare`](Self::prepare) makes of the options for a start or a reload.
    type Prepared;

    /// How many sockets to bind for a new `listen` address.
    fn sockets_per_address(opts: &Options) -> usize;

    /// Checks and opens what workers on `opts` need, before anything changes (`running`: the
    /// workers a reload replaces, `None` at start-up); an error refuses the start or reload.
    fn prepare(opts: &Options, running: Option<&Self>) -> io::Result<Self::Prepared>;

    /// Starts the workers on `listeners`.
    fn start(
        prepared: Self::Prepared,
        opts: &Options,
        listeners: &[ListenGroup],
    ) -> io::Result<Self>;

    /// A good reload from `running` to `new`: either the new settings are swapped into the
    /// running workers, or new workers start on `next`, which replaces `listeners`, and the
    /// old ones stop gracefully. When to replace is the workers' call: before a fork (a
    /// child must not inherit the sockets of dropped addresses), or once new threads run.
    /// On an error nothing changed: the reload is refused.
    fn reload(
        &mut self,
        prepared: Self::Prepared,
        running: &Options,
        new: &Options,
        listeners: &mut Vec<ListenGroup>,
        next: Vec<ListenGroup>,
    ) -> io::Result<()>;

    /// Stops every worker, the old ones finishing after a reload included.
    fn stop(&mut self, how: Stop);

    /// Has every worker reopen its logs (SIGUSR1, or after a rotation by size).
    fn reopen_logs(&self);

    /// Looks after the workers: collects the old ones that finished, and deals with one
    /// that was lost (restarted, or the others stopped). `listeners`: for a restart.
    fn poll(&mut self, listeners: &[ListenGroup]);

    /// Whether they run, not stopping.
    fn running(&self) -> bool;

    /// Whether every worker has gone.
    fn finished(&self) -> bool;

    /// Once finished: the error of a worker that failed, if any.
    fn finish(self) -> io::Result<()>;
}

/// Runs the server with workers `W` until they are all gone after a stop (or lost). The
/// bound addresses are printed on stdout (`httpd: listening on http://ADDR/`, one line per
/// `listen`), so a caller that asked for port 0 learns the port. SIGHUP calls `reload` (if
/// any) and applies what it returns.
pub(crate) fn run<W: Workers>(opts: Options, reload: Option<&Reload<'_>>) -> io::Result<()> {
    check_not_root(
        &opts,
        crate::process::privileges::resolve(opts.user.as_deref(), opts.group.as_deref())?,
    )?;
    let per_address = W::sockets_per_address(&opts);
    let (listeners, _) = rebind(&[], &opts.listen, per_address, &opts.listener_setup)?;
    supervise::<W>(opts, reload, listeners, true)
}

/// The supervisor's loop with workers `W` on bound `listeners`; `print`: say the bound
/// addresses on stdout (a worker process, under its master, prints nothing).
pub(crate) fn supervise<W: Workers>(
    opts: Options,
    reload: Option<&Reload<'_>>,
    mut listeners: Vec<ListenGroup>,
    print: bool,
) -> io::Result<()> {
    let error_log = open_log(&opts.error_log, None, "error log")?;
    let prepared = W::prepare(&opts, None)?;
    let signals = Signals::install()?;
    crate::log::errlog::set(error_log);
    let mut workers = W::start(prepared, &opts, &listeners)?;
    if print {
        print_listening(listeners.iter().map(ListenGroup::bound))?;
    }
    let mut running = opts;
    loop {
        workers.poll(&listeners);
        if workers.finished() {
            break;
        }
        if running.log_max_size > 0 {
            rotate_by_size(&running, &workers);
        }
        for cmd in signals.wait(W::TICK) {
            match cmd {
                Command::Stop => {
                    notice!("fast shutdown (SIGTERM/SIGINT)");
                    workers.stop(Stop::Fast);
                    listeners.clear();
                }
                Command::Graceful if workers.running() => {
                    notice!(
                        "graceful shutdown (SIGQUIT): finishing responses in flight, at most {:?}",
                        running.shutdown_timeout
                    );
                    workers.stop(Stop::Graceful);
                    // The workers close theirs: no socket is left listening.
                    listeners.clear();
                }
                Command::Reopen => {
                    reopen_logs(&workers);
                    notice!("reopened the logs (SIGUSR1)");
                }
                Command::Reload if workers.running() => match reload {
                    None => warn!("SIGHUP: no config file to re-read (started without --config)"),
                    Some(reload) => {
                        notice!("re-reading the configuration (SIGHUP)");
                        match apply_reload(reload, &running, &mut listeners, &mut workers, print) {
                            Ok(new) => running = new,
                            Err(e) => error!("{e}"),
                        }
                    }
                },
                Command::Graceful | Command::Reload => {}
            }
        }
    }
    let result = workers.finish();
    notice!("stopped");
    result
}

/// The options a reload applies: `new` with the running value kept, and a warning, for
/// what `kind` of workers cannot change without a restart (`tcp_congestion`, which the
/// kept sockets carry; for threads also `user`, `group` and `chroot`, dropped to already,
/// and `worker_processes`); or why the reload is refused.
pub(crate) fn reload_plan(
    kind: Kind,
    running: &Options,
    mut new: Options,
) -> Result<(Options, Vec<&'static str>), &'static str> {
    let mut kept = Vec::new();
    match kind {
        Kind::Threads => {
            if (&new.user, &new.group, &new.chroot)
                != (&running.user, &running.group, &running.chroot)
            {
                kept.push("user, group and chroot changes need a restart; kept the running ones");
                new.user = running.user.clone();
                new.group = running.group.clone();
                new.chroot = running.chroot.clone();
            }
            if new.processes != running.processes {
                kept.push("a worker_processes change needs a restart; kept the running one");
                new.processes = running.processes;
            }
        }
        Kind::Processes if new.processes == 0 => {
            return Err("worker_processes 0 (no master) needs a restart");
        }
        Kind::Processes => {}
    }
    if new.listener_setup.congestion != running.listener_setup.congestion {
        kept.push("a tcp_congestion change needs a restart; kept the running one");
        new.listener_setup.congestion = running.listener_setup.congestion.clone();
    }
    Ok((new, kept))
}

/// SIGHUP: the new options if they are good and applied, or why the reload was refused
/// (the old options keep serving). Everything that can fail (the file, the root, the logs,
/// the new addresses, the new workers) is done before anything running changes. After a
/// drop of root, a port below 1024 can no longer be bound: the reload is refused.
fn apply_reload<W: Workers>(
    reload: &Reload<'_>,
    running: &Options,
    listeners: &mut Vec<ListenGroup>,
    workers: &mut W,
    print: bool,
) -> Result<Options, String> {
    if crate::chroot::chrooted() {
        return Err(
            "reload refused: httpd runs chrooted and cannot read its config file; restart it"
                .into(),
        );
    }
    let refused = |e: &dyn std::fmt::Display| {
        format!("reload refused, still serving the old configuration: {e}")
    };
    let new = reload().map_err(|e| refused(&e))?;
    let (new, kept) = reload_plan(W::KIND, running, new).map_err(|e| refused(&e))?;
    for k in kept {
        warn!("reload: {k}");
    }
    let prepared = W::prepare(&new, Some(workers)).map_err(|e| refused(&e))?;
    let old_error = crate::log::errlog::current();
    let error_log =
        open_log(&new.error_log, old_error.as_ref(), "error log").map_err(|e| refused(&e))?;
    let per_address = W::sockets_per_address(&new);
    let (next, fresh) = rebind(listeners, &new.listen, per_address, &new.listener_setup)
        .map_err(|e| refused(&e))?;
    workers
        .reload(prepared, running, &new, listeners, next)
        .map_err(|e| refused(&e))?;
    if print {
        if let Err(e) = print_listening(fresh.into_iter().map(Ok)) {
            error!("printing the new addresses: {e}");
        }
    }
    if new.listener_setup.defer_accept != running.listener_setup.defer_accept {
        // Kept sockets change in place; newly bound ones have it from their setup.
        let on = new.listener_setup.defer_accept;
        if let Err(e) = listeners.iter().try_for_each(|g| g.set_defer_accept(on)) {
            error!("reload: defer_accept: {e}");
        }
    }
    crate::log::errlog::set(error_log);
    notice!("configuration reloaded: serving {}", new.root.display());
    Ok(new)
}

/// SIGUSR1, or a rotation: the error log and every worker's logs reopened.
fn reopen_logs<W: Workers>(workers: &W) {
    workers.reopen_logs();
    if let Err(e) = crate::log::errlog::reopen() {
        error!("reopening the error log: {e}");
    }
}

/// Rotation by size: each log at or past `log_max_size` is renamed `FILE.1` (the older ones
/// shift up, `log_keep` are kept), then every log is reopened as on SIGUSR1. Checked every
/// tick, so a file may pass the size by what is written meanwhile.
fn rotate_by_size<W: Workers>(running: &Options, workers: &W) {
    let mut rotated = false;
    for path in running.access_log.iter().chain(&running.error_log) {
        let shifted = crate::chroot::visible(path).and_then(|visible| {
            let size = std::fs::metadata(&visible).map_or(0, |m| m.len());
            if size < running.log_max_size {
                return Ok(false);
            }
            crate::log::logfile::shift_files(&visible, running.log_keep).map(|()| true)
        });
        match shifted {
            Ok(shifted) => rotated |= shifted,
            Err(e) => error!("rotating {}: {e}", path.display()),
        }
    }
    if rotated {
        reopen_logs(workers);
    }
}

/// Says each bound address on stdout, `httpd: listening on http://ADDR/` (a caller that
/// asked for port 0 learns the port; a reload adding an address says it too).
fn print_listening(addrs: impl IntoIterator<Item = io::Result<SocketAddr>>) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    for addr in addrs {
        writeln!(stdout, "httpd: listening on http://{}/", addr?)?;
    }
    stdout.flush()
}

fn with_context(e: io::Error, what: &str, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{what} {}: {e}", path.display()))
}

/// Opens a log, reusing `old` when the path is the same (a reload keeps the open file).
pub(crate) fn open_log(
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

/// Opens the document root of `opts`.
pub(crate) fn open_root(opts: &Options) -> io::Result<crate::files::docroot::DocRoot> {
    crate::files::docroot::DocRoot::open(&opts.root)
        .map_err(|e| with_context(e, "document root", &opts.root))
}

/// What `--check-config` checks beyond the file's own syntax (and a master before it forks
/// workers on new options): the root opens, the logs open for appending (creating them, as
/// `nginx -t` does), the congestion control exists, the user and group exist, the paths lie
/// under the chroot, and the server would not serve as root unasked.
pub(crate) fn check(opts: &Options) -> io::Result<()> {
    open_root(opts)?;
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
fn check_not_root(opts: &Options, ids: Option<crate::process::privileges::Ids>) -> io::Result<()> {
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

/// The paths that must lie under a chroot: the root and the log files.
pub(crate) fn control_paths(opts: &Options) -> Vec<(&'static str, PathBuf)> {
    let mut v = vec![("root", opts.root.clone())];
    if let Some(p) = &opts.access_log {
        v.push(("access log", p.clone()));
    }
    if let Some(p) = &opts.error_log {
        v.push(("error log", p.clone()));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::congestion::Congestion;

    fn options() -> Options {
        crate::config::Settings::default().into_options()
    }

    /// `Options` has no `PartialEq` (its parts have none): compared as printed.
    fn same(a: &Options, b: &Options) -> bool {
        format!("{a:?}") == format!("{b:?}")
    }

    /// The running options of a server with `kind` workers.
    fn running(kind: Kind) -> Options {
        let mut o = options();
        o.processes = if kind == Kind::Processes { 2 } else { 0 };
        o
    }

    /// Everything the workers can change passes; nothing is kept, nothing said.
    #[test]
    fn a_plain_change_is_applied_as_it_is() {
        for kind in [Kind::Threads, Kind::Processes] {
            let running = running(kind);
            let mut new = running.clone();
            new.root = "/srv/other".into();
            new.threads = running.threads + 1;
            new.listen.push("127.0.0.2:0".parse().unwrap());
            new.listener_setup.defer_accept = !running.listener_setup.defer_accept;
            new.error_log = Some("/var/log/httpd/error.log".into());
            let (planned, kept) = reload_plan(kind, &running, new.clone()).unwrap();
            assert!(same(&planned, &new), "{kind:?}");
            assert!(kept.is_empty(), "{kind:?}: {kept:?}");
        }
    }

    #[test]
    fn tcp_congestion_needs_a_restart_for_both() {
        for kind in [Kind::Threads, Kind::Processes] {
            let running = running(kind);
            let mut new = running.clone();
            new.listener_setup.congestion = Congestion::Named("reno".into());
            let (planned, kept) = reload_plan(kind, &running, new).unwrap();
            assert_eq!(
                planned.listener_setup.congestion,
                running.listener_setup.congestion
            );
            assert_eq!(
                kept,
                ["a tcp_congestion change needs a restart; kept the running one"]
            );
        }
    }

    /// One process has dropped to its user and entered its chroot, and has no master to fork.
    #[test]
    fn threads_keep_the_running_user_group_chroot_and_worker_processes() {
        let mut running = running(Kind::Threads);
        running.user = Some("nobody".into());
        let mut new = options();
        new.user = Some("www-data".into());
        new.chroot = Some("/srv".into());
        new.processes = 2;
        new.root = "/srv/www".into();
        let (planned, kept) = reload_plan(Kind::Threads, &running, new).unwrap();
        assert_eq!(planned.user.as_deref(), Some("nobody"));
        assert_eq!(planned.chroot, None);
        assert_eq!(planned.processes, 0);
        assert_eq!(planned.root, PathBuf::from("/srv/www"));
        assert_eq!(
            kept,
            [
                "user, group and chroot changes need a restart; kept the running ones",
                "a worker_processes change needs a restart; kept the running one"
            ]
        );
    }

    /// A master stays root outside the chroot: its new workers may take new ones. It cannot
    /// turn itself into a single process.
    #[test]
    fn processes_take_a_new_user_and_count_but_not_zero() {
        let running = running(Kind::Processes);
        let mut new = running.clone();
        new.user = Some("nobody".into());
        new.chroot = Some("/srv".into());
        new.processes = 3;
        let (planned, kept) = reload_plan(Kind::Processes, &running, new.clone()).unwrap();
        assert!(same(&planned, &new));
        assert!(kept.is_empty());
        new.processes = 0;
        assert_eq!(
            reload_plan(Kind::Processes, &running, new).err(),
            Some("worker_processes 0 (no master) needs a restart")
        );
    }
}
