//! `SCHED_BATCH` for the command while it shares one CPU with the tracer (`cpu_pin.rs`).
//!
//! On that CPU each `PTRACE_SYSCALL` wakes a tracee, and the scheduler lets a woken task
//! preempt the one that woke it. With several tracees stopped at once (the threads of a
//! program) the tracer then gets the CPU back only after the tracee it just resumed has
//! stopped again: two switches between address spaces per stop. A `SCHED_BATCH` task does
//! not preempt when woken, so the tracer resumes every stopped tracee, sleeps in `wait4`,
//! and the tracees run one after the other (threads of one process switch without
//! changing address space). Four threads in a `getppid` loop: 1.25 task switches per stop
//! instead of 1.59, and 7 % less time. Nothing else changes for the command: it keeps its
//! nice value and its share of the CPU.
//!
//! Only a command that would run under `SCHED_OTHER` (the tracer's policy) is moved, and
//! only while pinned: when the pin is let go every tracee goes back, and so does a child
//! let go untraced without `-f`. Nothing is hidden: `sched_getscheduler` and
//! `sched_getattr` answer `SCHED_BATCH` while it lasts, and the trace shows it. A command that sets a policy itself (`sched_setscheduler`, `sched_setattr`) keeps its
//! choice, and the other tracees go back at once.

use crate::memory::Memory;
use std::io;
use std::time::{Duration, Instant};

const SETTERS: [i64; 2] = [libc::SYS_sched_setscheduler, libc::SYS_sched_setattr];
/// `sched_attr.sched_flags`: leave the policy as it is.
const SCHED_FLAG_KEEP_POLICY: u64 = 0x08;
/// How long after going back a new tracee may still carry `SCHED_BATCH` (a task created
/// while the others went back inherits it).
const RELEASE_WINDOW: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Never moved (not pinned, or the command would not have run under `SCHED_OTHER`).
    Off,
    /// The command's tasks are under `SCHED_BATCH` on the tracer's behalf.
    On,
    /// They went back to `SCHED_OTHER` at this time.
    Released(Instant),
    /// The command set a policy itself: its tasks are left alone from now on.
    Chosen,
}

#[derive(Debug)]
pub struct SchedBatch {
    state: State,
}

impl SchedBatch {
    pub fn new() -> SchedBatch {
        SchedBatch { state: State::Off }
    }

    /// The command `pid` was started pinned (stopped before its `execve`, no threads yet):
    /// it and every task it creates run under `SCHED_BATCH`, if the tracer runs under
    /// `SCHED_OTHER` (which the command inherited). A refusal only means it stays as it is.
    pub fn start(&mut self, pid: i32) {
        if policy(0).is_ok_and(|p| p == libc::SCHED_OTHER)
            && set_policy(pid, libc::SCHED_BATCH).is_ok()
        {
            self.state = State::On;
        }
    }

    /// Whether the exit of syscall `nr` must be looked at: the policy setters, while the
    /// command's tasks are under `SCHED_BATCH`.
    pub fn watches_exit(&self, nr: u64) -> bool {
        self.state == State::On && SETTERS.contains(&(nr as i64))
    }

    /// The exit of a policy setter by `tid` about `target`; `tids` are all tracees. The
    /// command chose a policy: the other tracees go back to `SCHED_OTHER` now.
    pub fn on_exit(
        &mut self,
        tid: i32,
        nr: u64,
        rval: i64,
        target: i32,
        args: [u64; 6],
        tids: impl Iterator<Item = i32> + Clone,
    ) {
        if !self.watches_exit(nr) || rval < 0 || !tids.clone().any(|t| t == target) {
            return;
        }
        // sched_setattr(pid, attr, flags) may keep the policy (`sched_flags`, the u64
        // after `size` and `sched_policy`): the target then goes back too.
        let kept = nr as i64 == libc::SYS_sched_setattr
            && Memory::new(tid)
                .read_value::<u64>(args[1].wrapping_add(8))
                .is_some_and(|flags| flags & SCHED_FLAG_KEEP_POLICY != 0);
        for t in tids.filter(|&t| t != target || kept) {
            restore(t);
        }
        self.state = State::Chosen;
    }

    /// The pin was let go: every tracee back to `SCHED_OTHER`.
    pub fn release(&mut self, tids: impl Iterator<Item = i32>) {
        if self.state != State::On {
            return;
        }
        for tid in tids {
            restore(tid);
        }
        self.state = State::Released(Instant::now());
    }

    /// A task that leaves untraced (without `-f`, after the pin was let go).
    pub fn on_child_let_go(&self, child: i32) {
        if matches!(self.state, State::Released(_)) {
            restore(child);
        }
    }

    /// A new tracee: one created while the others went back may still be under
    /// `SCHED_BATCH`.
    pub fn on_new_tracee(&self, tid: i32) {
        if let State::Released(at) = self.state {
            if at.elapsed() < RELEASE_WINDOW {
                restore(tid);
            }
        }
    }
}

/// `tid` back to `SCHED_OTHER` if it is under `SCHED_BATCH` (a task that is gone, or
/// one that chose another policy, is left alone).
fn restore(tid: i32) {
    if policy(tid).is_ok_and(|p| p == libc::SCHED_BATCH) {
        let _ = set_policy(tid, libc::SCHED_OTHER);
    }
}

/// The policy of `tid` (0: this thread), without `SCHED_RESET_ON_FORK`.
fn policy(tid: i32) -> io::Result<i32> {
    // SAFETY: plain syscall with an integer argument.
    let p = unsafe { libc::sched_getscheduler(tid) };
    if p < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(p & !libc::SCHED_RESET_ON_FORK)
}

/// Sets a normal (non-real-time) policy, priority 0; the nice value is kept.
fn set_policy(tid: i32, policy: i32) -> io::Result<()> {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: the kernel reads one sched_param from our live value.
    if unsafe { libc::sched_setscheduler(tid, policy, &param) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
