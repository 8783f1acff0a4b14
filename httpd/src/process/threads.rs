//! Worker threads in this process: the [`Workers`] of a server without a master, and of each
//! worker process under one.
//!
//! A [`Generation`] is a set of worker threads obeying one [`Control`]: a state (run,
//! graceful stop, stop), the current [`Shared`] settings, a waker per worker. The start
//! opens what the workers need (root, access log, `/dev/mydevice`), drops to the configured
//! user and chroot, then starts the first generation. A reload that changes only settings
//! swaps a new [`Shared`] into the running generation and wakes its workers; one that
//! changes `listen` or `threads` starts a new generation on the supervisor's listeners (the
//! sockets kept, with their queues, and the new ones) and retires the old one, which stops
//! accepting and finishes its responses in flight while the new one already serves:
//! nginx's reload, with threads where nginx has processes. A worker that returns while its
//! generation runs stops the others: the process exits with its error.

use crate::config::Options;
use crate::conn::ctx::Shared;
use crate::log::errlog::{error, notice, warn};
use crate::log::logfile::LogFile;
use crate::process::control::{Control, State};
use crate::process::listeners::ListenGroup;
use crate::process::supervisor::{control_paths, open_log, open_root, Kind, Stop, Workers};
use crate::process::worker::Worker;
use devstats::{Counters, Reporter};
use std::io;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A set of worker threads under one [`Control`].
pub(crate) struct Generation {
    pub(crate) control: Arc<Control>,
    handles: Vec<JoinHandle<io::Result<()>>>,
}

impl Generation {
    /// Starts `threads` workers serving `shared` on their share of `groups`.
    pub(crate) fn start(
        shared: Arc<Shared>,
        threads: usize,
        groups: &[ListenGroup],
    ) -> io::Result<Generation> {
        let threads = threads.max(1);
        let control = Arc::new(Control::new(shared, threads)?);
        let mut workers = Vec::with_capacity(threads);
        for i in 0..threads {
            let mut listeners = Vec::new();
            for g in groups {
                listeners.extend(g.share(i, threads)?);
            }
            workers.push(Worker::new(listeners, Arc::clone(&control), i)?);
        }
        let mut generation = Generation {
            control,
            handles: Vec::with_capacity(threads),
        };
        for (i, worker) in workers.into_iter().enumerate() {
            let spawned = std::thread::Builder::new()
                .name(format!("httpd-worker-{i}"))
                .spawn(move || worker.run());
            match spawned {
                Ok(h) => generation.handles.push(h),
                Err(e) => {
                    generation.control.set_state(State::Stop);
                    let _ = generation.join();
                    return Err(e);
                }
            }
        }
        Ok(generation)
    }

    /// Whether every worker has returned.
    pub(crate) fn finished(&self) -> bool {
        self.handles.iter().all(|h| h.is_finished())
    }

    /// Whether some worker has returned (while the others may still run).
    pub(crate) fn lost_a_worker(&self) -> bool {
        self.handles.iter().any(|h| h.is_finished())
    }

    /// Waits for every worker; the last error (or panic) if any failed.
    pub(crate) fn join(self) -> io::Result<()> {
        let mut result = Ok(());
        for h in self.handles {
            match h.join() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => result = Err(e),
                Err(_) => result = Err(io::Error::other("a worker thread panicked")),
            }
        }
        result
    }
}

/// The worker threads: the generation serving, the ones replaced by a reload and finishing
/// their responses in flight, and the statistics reporter.
pub(crate) struct WorkerThreads {
    current: Generation,
    retiring: Vec<Generation>,
    reporter: Reporter,
}

impl WorkerThreads {
    fn generations(&self) -> impl Iterator<Item = &Generation> {
        std::iter::once(&self.current).chain(&self.retiring)
    }
}

impl Workers for WorkerThreads {
    const KIND: Kind = Kind::Threads;
    const TICK: Duration = Duration::from_millis(200);
    type Prepared = Shared;

    /// One socket per thread (`SO_REUSEPORT`), each with its own accept queue.
    fn sockets_per_address(opts: &Options) -> usize {
        opts.threads.max(1)
    }

    /// The settings the workers see; a reload keeps the counters, and the access log when
    /// its path is the same.
    fn prepare(opts: &Options, running: Option<&Self>) -> io::Result<Shared> {
        let Some(running) = running else {
            // Descriptors: connections plus the files being sent.
            let _ = netcore::sys::raise_fd_limit((opts.max_connections as u64) * 2 + 64);
            return make_shared(opts, &Arc::new(Counters::default()), None);
        };
        let old = running.current.control.shared();
        make_shared(opts, &old.counters, old.access_log.as_ref())
    }

    fn start(shared: Shared, opts: &Options, listeners: &[ListenGroup]) -> io::Result<Self> {
        let threads = opts.threads.max(1);
        // Opened before the chroot and the drop to `user`, which could make it unreachable.
        let device = devstats::Device::open(devstats::DEVICE_PATH);
        become_configured_user(opts)?;
        let reporter = Reporter::start_on(
            device,
            std::path::Path::new(devstats::DEVICE_PATH),
            "httpd",
            Arc::clone(&shared.counters),
            Duration::from_millis(500),
        );
        let current = Generation::start(Arc::new(shared), threads, listeners)?;
        notice!(
            "serving {} with {threads} worker thread(s)",
            current.control.shared().root.path().display()
        );
        Ok(WorkerThreads {
            current,
            retiring: Vec::new(),
            reporter,
        })
    }

    /// The same `listen` list and thread count: the running generation takes the new
    /// settings. Otherwise a new generation starts on `next` and the old one retires.
    fn reload(
        &mut self,
        shared: Shared,
        running: &Options,
        new: &Options,
        listeners: &mut Vec<ListenGroup>,
        next: Vec<ListenGroup>,
    ) -> io::Result<()> {
        let threads = new.threads.max(1);
        if new.listen == running.listen && threads == running.threads.max(1) {
            self.current.control.set_shared(Arc::new(shared));
            return Ok(());
        }
        let generation = Generation::start(Arc::new(shared), threads, &next)?;
        *listeners = next;
        notice!(
            "reload: {threads} new worker thread(s) on {} address(es); the old ones finish \
             their responses in flight",
            listeners.len()
        );
        self.current.control.set_state(State::Graceful);
        self.retiring
            .push(std::mem::replace(&mut self.current, generation));
        Ok(())
    }

    fn stop(&mut self, how: Stop) {
        let state = match how {
            Stop::Fast => State::Stop,
            Stop::Graceful => State::Graceful,
        };
        for g in self.generations() {
            g.control.set_state(state);
        }
    }

    /// Every generation's access log (the same file unless a reload changed its path); the
    /// workers switch to the new file at their next flush.
    fn reopen_logs(&self) {
        let mut done: Vec<Arc<LogFile>> = Vec::new();
        for g in self.generations() {
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

    fn poll(&mut self, _listeners: &[ListenGroup]) {
        let (done, still): (Vec<_>, Vec<_>) = std::mem::take(&mut self.retiring)
            .into_iter()
            .partition(Generation::finished);
        self.retiring = still;
        for g in done {
            match g.join() {
                Ok(()) => notice!("the old worker threads finished"),
                Err(e) => error!("an old worker thread: {e}"),
            }
        }
        if self.running() && self.current.lost_a_worker() {
            error!("a worker stopped: stopping the others");
            self.stop(Stop::Fast);
        }
    }

    fn running(&self) -> bool {
        self.current.control.state() == State::Run
    }

    fn finished(&self) -> bool {
        self.current.finished() && self.retiring.is_empty()
    }

    fn finish(self) -> io::Result<()> {
        let result = self.current.join();
        self.reporter.stop();
        result
    }
}

/// The settings of `opts` as the workers see them (the access log reused when unchanged).
fn make_shared(
    opts: &Options,
    counters: &Arc<Counters>,
    old_access: Option<&Arc<LogFile>>,
) -> io::Result<Shared> {
    let root = open_root(opts)?;
    Ok(Shared {
        root,
        limits: opts.limits,
        timeouts: opts.timeouts,
        counters: Arc::clone(counters),
        max_connections_per_worker: opts.max_connections.div_ceil(opts.threads.max(1)).max(1),
        max_keepalive_requests: opts.max_keepalive_requests.max(1),
        access_log: open_log(&opts.access_log, old_access, "access log")?,
        shutdown_timeout: opts.shutdown_timeout,
        proxy: opts.proxy.clone(),
    })
}

/// Everything is bound and open: chroot and drop to the configured user and group, before
/// any worker starts. Serving as root was refused before anything was bound unless allowed.
fn become_configured_user(opts: &Options) -> io::Result<()> {
    let root = crate::process::privileges::is_root();
    let ids = crate::process::privileges::resolve(opts.user.as_deref(), opts.group.as_deref())?;
    if let Some(dir) = &opts.chroot {
        for (what, p) in control_paths(opts) {
            crate::process::privileges::check_under(dir, &p, what)?;
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
