//! `--same-cpu`: the tracer and the command on one CPU, and when to let go. Off by default
//! (strace's behaviour: the command runs as it would untraced); asked for, it changes how
//! the command runs, and the command and the trace see it as it is.
//!
//! Tracer and tracee take turns: at each ptrace stop one sleeps and the other wakes. On two
//! CPUs every stop wakes a task on the other CPU, which is idle by then (in a VM, halted:
//! the wake-up goes through the hypervisor); on one CPU it is a switch between two tasks
//! there. That is most of a traced syscall's cost here: `getpid` traced costs about half as
//! much pinned (see README.md).
//!
//! The price is that the command shares one CPU with the tracer. For one thread of
//! execution little is lost, so `auto` pins, and lets go (every tracee's mask and the tracer's back to what they were) as soon as the command
//! could use a second CPU:
//!
//! - without `-f`, when the command creates a task (`clone`, `fork`, `vfork`, `clone3`):
//!   the new task will not be traced and must not keep the pin. While pinned, the tracer
//!   asks the kernel to attach new tasks anyway (`PTRACE_O_TRACEFORK` and the like), so a
//!   child is held at its first stop, before running any code of its own; the tracer gives
//!   it the original mask, lets it go (`PTRACE_DETACH`), and stops asking. Nothing is read
//!   at each syscall's entry for this: `-c` reads the number at exit only;
//! - with `-f` (all tasks traced), when two tracees compute side by side. At two timer
//!   ticks in a row: two tracees were outside a syscall, and since their CPU times (from
//!   `/proc/TID/schedstat`) were last read the tracees ran at least half the time, two of them
//!   at least a twentieth each, and twice as long as the tracer. A fork whose parent then
//!   waits, as in a shell script, stays pinned; so do threads that mostly make system calls
//!   (4 threads in a `getppid` loop run about 0.6 as long as the tracer: every stop goes
//!   through the one tracer anyway, and on one CPU a stop costs two task switches there
//!   instead of wake-ups sent across CPUs, 2.8 s against 4.0 s let go); two processes or
//!   threads computing do not. Past `MAX_WATCHED` tracees, two outside a syscall at two
//!   ticks are enough;
//! - when the command sets its own affinity (`sched_setaffinity`): its choice wins.
//!
//! Nothing is hidden: while pinned, `sched_getaffinity` answers the one-CPU mask (so
//! `nproc` says 1 and thread pools size themselves by it), and the trace shows the answer
//! the kernel gave. Under `auto` the command also runs under `SCHED_BATCH` while pinned, so
//! that a resumed tracee does not preempt the tracer (`sched_batch.rs`). `always` pins for
//! the whole run; `never`, the default, does not pin. Refused with `-p` (a running
//! process's affinity is not ours to change); `auto` is off with `--seccomp-bpf` (few stops,
//! and the tracer would not see the calls above).

use super::sched_batch::SchedBatch;
use crate::cli::SameCpu;
use std::collections::HashMap;
use std::io;
use std::time::{Duration, Instant};

/// Timer ticks in a row with two tracees computing before `auto` lets go.
const BUSY_TICKS: u32 = 2;
/// Beyond this many tracees their CPU times are not read at each tick: two of them outside
/// a syscall at two ticks is enough to let go.
const MAX_WATCHED: usize = 64;
/// How long after letting go a new tracee may still carry the pin (a `fork` that was under
/// way: its child is reported a moment later).
const RELEASE_WINDOW: Duration = Duration::from_secs(1);

const CLONES: [u64; 4] = [
    libc::SYS_clone as u64,
    libc::SYS_fork as u64,
    libc::SYS_vfork as u64,
    libc::SYS_clone3 as u64,
];

#[derive(Debug)]
pub struct CpuPin {
    mode: SameCpu,
    follow: bool,
    /// The tracer's mask before pinning, as `sched_getaffinity` gave it.
    original: Vec<u8>,
    /// Tracer and tracees are pinned now.
    active: bool,
    /// The one-CPU mask they were pinned to.
    pinned: Vec<u8>,
    /// When the pin was let go (a task whose creation was under way then may carry it).
    released_at: Option<Instant>,
    busy_ticks: u32,
    /// Each tracee's CPU time (ns) when they were last read, the tracer's, and when.
    run_time: HashMap<i32, u64>,
    tracer_time: u64,
    last_read: Instant,
    /// The command's scheduling policy while pinned.
    batch: SchedBatch,
}

impl CpuPin {
    pub fn new(mode: SameCpu, follow: bool) -> CpuPin {
        CpuPin {
            mode,
            follow,
            original: Vec::new(),
            active: false,
            pinned: Vec::new(),
            released_at: None,
            busy_ticks: 0,
            run_time: HashMap::new(),
            tracer_time: 0,
            last_read: Instant::now(),
            batch: SchedBatch::new(),
        }
    }

    /// Before the command is started: pins the tracer to the CPU it runs on (the command
    /// inherits the mask). Under `auto` a failure only means no pin.
    pub fn start(&mut self) -> io::Result<()> {
        match (self.mode, self.pin_now()) {
            (SameCpu::Always, Err(e)) => Err(e),
            _ => Ok(()),
        }
    }

    fn pin_now(&mut self) -> io::Result<()> {
        if self.mode == SameCpu::Never {
            return Ok(());
        }
        self.original = get_affinity(0)?;
        // SAFETY: no arguments; returns the CPU number or -1.
        let cpu = unsafe { libc::sched_getcpu() };
        if cpu < 0 {
            return Err(io::Error::last_os_error());
        }
        let one = one_cpu(self.original.len(), cpu as usize);
        set_affinity(0, &one)?;
        self.pinned = one;
        self.active = true;
        // The command starts now, with no CPU time of its own.
        self.last_read = Instant::now();
        self.tracer_time = tracer_cpu_ns();
        Ok(())
    }

    /// The command `pid` was started (stopped before its `execve`), pinned: under `auto`
    /// it runs under `SCHED_BATCH` while the pin lasts (`sched_batch.rs`).
    pub fn on_command_started(&mut self, pid: i32) {
        if self.managed() {
            self.batch.start(pid);
        }
    }

    fn managed(&self) -> bool {
        self.active && self.mode == SameCpu::Auto
    }

    /// Without `-f`, while pinned: the command's new tasks are to be attached (ptrace
    /// options) only to be given the original mask and let go.
    pub fn borrows_children(&self) -> bool {
        self.managed() && !self.follow
    }

    /// Whether the exit of syscall `nr` must be looked at even when the call is not shown:
    /// `sched_setaffinity` (the command's own choice), the policy setters while the command
    /// is under `SCHED_BATCH`, and, while children are borrowed, the task-creating calls (a
    /// child the kernel did not attach).
    pub fn watches_exit(&self, nr: u64) -> bool {
        (self.borrows_children() && CLONES.contains(&nr))
            || self.batch.watches_exit(nr)
            || (nr as i64 == libc::SYS_sched_setaffinity
                && (self.managed() || self.released_at.is_some()))
    }

    /// The periodic timer should run (to notice tracees running side by side).
    pub fn wants_ticks(&self) -> bool {
        self.managed() && self.follow
    }

    /// Without `-f`: the command created `child` (its fork event, or the child's first
    /// stop, whichever the tracer sees first). Lets go, and the child leaves with the
    /// original mask too.
    pub fn on_child_borrowed(&mut self, child: i32, tids: impl Iterator<Item = i32>) {
        if self.borrows_children() {
            self.release(tids);
        }
        if self.released_at.is_some() {
            let _ = set_affinity(child, &self.original);
            self.batch.on_child_let_go(child);
        }
    }

    /// A syscall exit of `tid`, seen in every mode (`-c` reads the number only here);
    /// `tids` are all tracees. After a successful `sched_setaffinity` the command's masks
    /// are its own: the others are let go, the one it set is left as it chose. The policy
    /// setters go to [`SchedBatch::on_exit`]. No result is ever changed.
    pub fn on_exit(
        &mut self,
        tid: i32,
        nr: u64,
        rval: i64,
        tids: impl Iterator<Item = i32> + Clone,
    ) {
        if !self.watches_exit(nr) {
            return;
        }
        if CLONES.contains(&nr) {
            // Still pinned at a successful clone's exit: no fork event came (a
            // `CLONE_UNTRACED` child). Let go late rather than never.
            if rval > 0 {
                self.release(tids);
                let _ = set_affinity(rval as i32, &self.original);
            }
            return;
        }
        let Ok(regs) = super::ptrace::regs(tid) else {
            return;
        };
        let target = match regs.rdi as i32 {
            0 => tid,
            pid => pid,
        };
        if self.batch.watches_exit(nr) {
            let args = [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9];
            self.batch.on_exit(tid, nr, rval, target, args, tids);
            return;
        }
        if nr as i64 == libc::SYS_sched_setaffinity && rval == 0 {
            if self.managed() {
                let tids: Vec<i32> = tids.collect();
                self.release_except(&tids, target);
            }
            self.released_at = None;
        }
    }

    /// A timer tick; `running` tracees are outside a syscall.
    pub fn on_tick(&mut self, running: usize, tids: impl Iterator<Item = i32>) {
        if !self.wants_ticks() {
            return;
        }
        let tids: Vec<i32> = tids.collect();
        let computing =
            running >= 2 && (tids.len() > MAX_WATCHED || self.run_times_say_computing(&tids));
        if !computing {
            self.busy_ticks = 0;
            return;
        }
        self.busy_ticks += 1;
        if self.busy_ticks >= BUSY_TICKS {
            self.release(tids.into_iter());
        }
    }

    /// Reads every tracee's CPU time and the tracer's: since they were last read (the
    /// last tick, or further back if fewer than two tracees ran at the ticks between), the
    /// tracees ran at least half the time, two of them at least a twentieth each, and
    /// twice as long as the tracer. A task new since then started at zero. Without
    /// schedstat files (a kernel without `CONFIG_SCHED_INFO`), tracees outside a syscall
    /// are enough.
    fn run_times_say_computing(&mut self, tids: &[i32]) -> bool {
        let now = Instant::now();
        let interval = now.duration_since(std::mem::replace(&mut self.last_read, now));
        let interval = u64::try_from(interval.as_nanos()).unwrap_or(u64::MAX);
        let mut read = HashMap::with_capacity(tids.len());
        let (mut busy, mut total) = (0, 0u64);
        for &tid in tids {
            let Some(ns) = run_ns(tid) else {
                continue;
            };
            let spent = ns.saturating_sub(self.run_time.get(&tid).copied().unwrap_or(0));
            busy += usize::from(spent.saturating_mul(20) >= interval);
            total = total.saturating_add(spent);
            read.insert(tid, ns);
        }
        let tracer = tracer_cpu_ns();
        let tracer_spent = tracer.saturating_sub(std::mem::replace(&mut self.tracer_time, tracer));
        let unknown = read.is_empty();
        self.run_time = read;
        unknown
            || (busy >= 2
                && total.saturating_mul(2) >= interval
                && total >= tracer_spent.saturating_mul(2))
    }

    /// A new tracee: one whose creation was under way when the others were let go may
    /// still carry the pin (a task the command later pins to that CPU itself is left alone).
    pub fn on_new_tracee(&self, tid: i32) {
        self.batch.on_new_tracee(tid);
        let just_released = self
            .released_at
            .is_some_and(|t| t.elapsed() < RELEASE_WINDOW);
        if !self.active && just_released && get_affinity(tid).is_ok_and(|m| m == self.pinned) {
            let _ = set_affinity(tid, &self.original);
        }
    }

    /// The tracer lets the tracees go (Ctrl-C): whatever the mode, they leave unpinned.
    pub fn on_detach(&mut self, tids: impl Iterator<Item = i32>) {
        if self.active {
            self.release(tids);
        }
    }

    /// Every tracee and the tracer back to the original mask and policy.
    fn release(&mut self, tids: impl Iterator<Item = i32>) {
        let tids: Vec<i32> = tids.collect();
        self.release_except(&tids, 0);
    }

    /// As [`CpuPin::release`], but the mask of `keep` (0: none), which the command set
    /// itself, is left as it is.
    fn release_except(&mut self, tids: &[i32], keep: i32) {
        for &tid in tids.iter().filter(|&&t| t != keep) {
            // A tracee that is gone is not an error.
            let _ = set_affinity(tid, &self.original);
        }
        self.batch.release(tids.iter().copied());
        let _ = set_affinity(0, &self.original);
        self.active = false;
        self.released_at = Some(Instant::now());
    }
}

/// The CPU time task `tid` has run, in ns (the first field of `/proc/TID/schedstat`).
fn run_ns(tid: i32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{tid}/schedstat")).ok()?;
    stat.split_whitespace().next()?.parse().ok()
}

/// The CPU time this thread (the tracer's loop) has run, in ns.
fn tracer_cpu_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: the kernel writes one timespec into `ts`.
    if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } != 0 {
        return 0;
    }
    (ts.tv_sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(ts.tv_nsec as u64)
}

/// A mask of `len` bytes with only `cpu` in it.
pub(super) fn one_cpu(len: usize, cpu: usize) -> Vec<u8> {
    let mut one = vec![0u8; len];
    if let Some(byte) = one.get_mut(cpu / 8) {
        *byte = 1 << (cpu % 8);
    }
    one
}

/// The mask of `tid` (0: this thread) in the kernel's size.
pub(super) fn get_affinity(tid: i32) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; 1024];
    // SAFETY: the kernel writes at most `buf.len()` bytes into our buffer.
    let n = unsafe {
        libc::syscall(
            libc::SYS_sched_getaffinity,
            tid,
            buf.len(),
            buf.as_mut_ptr(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    buf.truncate(n as usize);
    Ok(buf)
}

pub(super) fn set_affinity(tid: i32, mask: &[u8]) -> io::Result<()> {
    // SAFETY: the kernel reads `mask.len()` bytes from our buffer.
    let rc = unsafe { libc::syscall(libc::SYS_sched_setaffinity, tid, mask.len(), mask.as_ptr()) };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}
