//! Worker processes under a master (nginx's model, `worker_processes N`): the [`Workers`]
//! that the master, which never serves a request itself, forks, restarts and signals.
//!
//! | the supervisor asks | the master |
//! |---|---|
//! | start, reload | forks `worker_processes` workers on its listeners (each serves them with `threads` threads of its own, [`crate::process::threads`]); on a reload, then SIGQUIT to the old ones, whose responses in flight finish |
//! | fast or graceful stop | SIGTERM or SIGQUIT to the workers |
//! | reopen the logs | SIGUSR1 to the workers |
//!
//! A worker that dies is restarted, after a backoff while they die young. The master stays
//! single-threaded (a `fork` of a threaded process may inherit held locks), stays root, and
//! stays outside any chroot: the workers drop privileges themselves, and a reload works
//! even when they are chrooted, and may change their user. One listening socket per
//! address is shared by every thread of every worker (so a retiring worker loses no queued
//! connection); a worker gets `PR_SET_PDEATHSIG`, so it never outlives a killed master.
//! Rotation by size is the master's (the supervisor's), so processes never race to rename.

use crate::config::Options;
use crate::log::errlog::{error, notice, warn};
use crate::process::listeners::ListenGroup;
use crate::process::supervisor::{self, Kind, Stop, Workers};
use crate::process::threads::WorkerThreads;
use std::io::{self, Write};
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

/// The master's worker processes: those serving, those finishing after a reload, and when
/// to make up for the ones that died.
pub(crate) struct WorkerProcesses {
    /// What the workers run (forked again on a restart).
    opts: Options,
    workers: Vec<Child>,
    /// Old workers finishing their responses after a reload.
    retiring: Vec<Child>,
    backoff: Duration,
    restart_at: Option<Instant>,
    stopping: bool,
}

impl Workers for WorkerProcesses {
    const KIND: Kind = Kind::Processes;
    const TICK: Duration = Duration::from_millis(100);
    /// The master opens nothing for its workers: it checks the options, they open.
    type Prepared = ();

    /// One socket per address, shared by every thread of every worker.
    fn sockets_per_address(_: &Options) -> usize {
        1
    }

    fn prepare(opts: &Options, _: Option<&Self>) -> io::Result<()> {
        supervisor::check(opts)
    }

    fn start((): (), opts: &Options, listeners: &[ListenGroup]) -> io::Result<Self> {
        notice!(
            "master process {} with {} worker process(es)",
            std::process::id(),
            opts.processes
        );
        let mut p = WorkerProcesses {
            opts: opts.clone(),
            workers: Vec::new(),
            retiring: Vec::new(),
            backoff: BACKOFF_MIN,
            restart_at: None,
            stopping: false,
        };
        for _ in 0..opts.processes {
            p.workers.push(spawn(opts, listeners)?);
        }
        Ok(p)
    }

    /// New workers on `next` first, then SIGQUIT to the old ones. Never refused: a fork that
    /// fails is made up by the restarts.
    fn reload(
        &mut self,
        (): (),
        _running: &Options,
        new: &Options,
        listeners: &mut Vec<ListenGroup>,
        next: Vec<ListenGroup>,
    ) -> io::Result<()> {
        // The master's copies of dropped addresses close before the fork, so no new worker
        // inherits them; the old workers close theirs as they stop accepting.
        *listeners = next;
        let mut fresh = Vec::new();
        for _ in 0..new.processes {
            match spawn(new, listeners) {
                Ok(c) => fresh.push(c),
                Err(e) => error!("fork: {e}"),
            }
        }
        kill_all(&self.workers, libc::SIGQUIT);
        self.retiring.append(&mut self.workers);
        if fresh.len() < new.processes {
            self.restart_at = Some(Instant::now() + self.backoff);
        }
        self.workers = fresh;
        self.opts = new.clone();
        notice!(
            "reload: {} new worker process(es); the old ones finish their responses in flight",
            new.processes
        );
        Ok(())
    }

    fn stop(&mut self, how: Stop) {
        self.stopping = true;
        match how {
            Stop::Fast => {
                kill_all(&self.workers, libc::SIGTERM);
                kill_all(&self.retiring, libc::SIGTERM);
            }
            // The old ones had their SIGQUIT at the reload.
            Stop::Graceful => kill_all(&self.workers, libc::SIGQUIT),
        }
    }

    fn reopen_logs(&self) {
        kill_all(&self.workers, libc::SIGUSR1);
        kill_all(&self.retiring, libc::SIGUSR1);
    }

    /// Reaps the children that exited; a worker that died is restarted (not while
    /// stopping), after the backoff.
    fn poll(&mut self, listeners: &[ListenGroup]) {
        for (pid, status) in reap() {
            if let Some(i) = self.retiring.iter().position(|c| c.pid == pid) {
                self.retiring.remove(i);
                notice!("old worker process {pid} finished ({})", describe(status));
            } else if let Some(i) = self.workers.iter().position(|c| c.pid == pid) {
                let child = self.workers.remove(i);
                if !self.stopping {
                    warn!(
                        "worker process {pid} died ({}): restarting",
                        describe(status)
                    );
                    self.backoff = if child.started.elapsed() >= LIVED_LONG {
                        BACKOFF_MIN
                    } else {
                        (self.backoff * 2).min(BACKOFF_MAX)
                    };
                    self.restart_at.get_or_insert(Instant::now() + self.backoff);
                }
            }
        }
        if self.stopping || self.restart_at.is_none_or(|t| Instant::now() < t) {
            return;
        }
        self.restart_at = None;
        while self.workers.len() < self.opts.processes {
            match spawn(&self.opts, listeners) {
                Ok(c) => self.workers.push(c),
                Err(e) => {
                    error!("fork: {e}");
                    self.restart_at = Some(Instant::now() + BACKOFF_MAX);
                    break;
                }
            }
        }
    }

    fn running(&self) -> bool {
        !self.stopping
    }

    fn finished(&self) -> bool {
        self.stopping && self.workers.is_empty() && self.retiring.is_empty()
    }

    fn finish(self) -> io::Result<()> {
        Ok(())
    }
}

/// Forks one worker process serving `opts` on `listeners`: the supervisor with worker
/// threads, without a config file to reload and printing nothing.
fn spawn(opts: &Options, listeners: &[ListenGroup]) -> io::Result<Child> {
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
        let served = listeners
            .iter()
            .map(ListenGroup::duplicate)
            .collect::<io::Result<_>>()
            .and_then(|listeners| {
                supervisor::supervise::<WorkerThreads>(opts, None, listeners, false)
            });
        let code = match served {
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
