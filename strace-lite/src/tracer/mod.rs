//! The tracer: one `wait4` per stop, and for each stop the one action it calls for:
//! decode and print a syscall entry or exit, print and re-deliver a signal, note a
//! group-stop (and keep the tracee stopped with `PTRACE_LISTEN`), adopt a new child,
//! follow an `execve`, or report an exit. Tracees behave as they would untraced.

mod attach;
mod cpu_pin;
mod ptrace;
mod sched_batch;
mod seccomp;
mod siginfo;
mod spawn;
mod spin;
mod tracee;

use crate::cli::{quiet, status, Interruptible, Options, SummaryMode, TimestampStyle};
use crate::colors::{ColorWhen, Colors};
use crate::decode::{Call, DecodeOptions, DecoderTable, Step};
use crate::format;
use crate::output::Output;
use crate::signals;
use crate::summary::Summary;
use crate::syscall_table;
use rustc_hash::FxHashMap as HashMap;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tracee::Tracee;

/// The signal that asked the tracer to stop (Ctrl-C and friends), or 0.
static STOP_SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_stop_signal(sig: libc::c_int) {
    STOP_SIGNAL.store(sig, Ordering::SeqCst);
}

/// Set by the flush timer (SIGALRM): buffered trace text is due to be written.
static FLUSH_DUE: AtomicBool = AtomicBool::new(false);

/// Timer ticks so far (`--same-cpu=auto` looks at the tracees at each).
static TICKS: AtomicU64 = AtomicU64::new(0);

extern "C" fn on_flush_timer(_: libc::c_int) {
    FLUSH_DUE.store(true, Ordering::SeqCst);
    TICKS.fetch_add(1, Ordering::SeqCst);
}

/// How often a trace going to a file is written out (besides whenever the buffer fills
/// and at the end): often enough for `tail -f`, rarely enough to cost nothing.
const FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// How the traced command ended, for the tracer's own exit.
#[derive(Debug, Clone, Copy)]
pub enum Outcome {
    Exited(i32),
    Killed(i32),
}

const EXECVE: u64 = 59;
const EXECVEAT: u64 = 322;
const RESTART_SYSCALL: u64 = 219;
/// Calls whose stack `-k` takes at entry: exit, exit_group, munmap, mremap, shmdt.
const STACK_AT_ENTRY: [u64; 5] = [60, 231, 11, 25, 67];
/// Calls that change a process's mappings (what `-k` caches): mmap, mprotect, munmap,
/// mremap, shmat, execve, execveat.
const MAPPING_CALLS: [u64; 7] = [9, 10, 11, 25, 30, 59, 322];

/// The whole tracing session.
pub struct Tracer {
    opts: Options,
    decode_opts: DecodeOptions,
    decoders: DecoderTable,
    out: Output,
    summary: Summary,
    tracees: HashMap<i32, Tracee>,
    /// The spawned command's pid, whose end is the tracer's exit status.
    main_pid: Option<i32>,
    outcome: Option<Outcome>,
    /// `-o FILE` with `-f` (or several -p): every line starts with its pid.
    pid_prefix_always: bool,
    /// A call's wall time is printed or counted (`-T`, `--json`, `-c -w`).
    timed: bool,
    last_line_time: Option<Instant>,
    colors: Colors,
    /// `-k`.
    unwinder: crate::stack::Unwinder,
    /// `--same-cpu`.
    pin: cpu_pin::CpuPin,
    /// `--spin`.
    spin: spin::Spin,
    /// The timer tick last looked at.
    ticks_seen: u64,
    /// Stops taken from `wait4` and not handled yet: (tid, status, system time).
    pending: std::collections::VecDeque<(i32, i32, Duration)>,
    /// Stops reported so far (wrapping), and looks for more stops in a row that found none.
    stops_seen: u32,
    empty_drains: u32,
    /// Stops the last look that went on until `wait4` found nothing had in hand: what a
    /// shorter look stops at. And looks since that one.
    look_expect: usize,
    looks_since_full: u32,
}

impl Tracer {
    pub fn new(opts: Options) -> Result<Self, String> {
        let out = Output::new(opts.output.as_ref(), opts.output_per_process, opts.column).map_err(
            |e| {
                format!(
                    "Can't fopen '{}': {e}",
                    opts.output
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default()
                )
            },
        )?;
        // JSON is never colored; a trace into a file only if that file is a terminal.
        let to_terminal = {
            use std::io::IsTerminal;
            match &opts.output {
                None => std::io::stderr().is_terminal(),
                Some(_) if opts.output_per_process => false,
                Some(p) if crate::output::pipe_command(p).is_some() => false,
                Some(p) => std::fs::OpenOptions::new()
                    .write(true)
                    .open(p)
                    .is_ok_and(|f| f.is_terminal()),
            }
        };
        let when = if opts.json {
            ColorWhen::Never
        } else {
            opts.color
        };
        let no_color = std::env::var("NO_COLOR").ok();
        let colors = Colors::new(when, to_terminal, no_color.as_deref());
        let mut out = out;
        out.set_colored(colors.on());
        Ok(Tracer {
            colors,
            unwinder: Default::default(),
            decode_opts: DecodeOptions::from_options(&opts),
            decoders: DecoderTable::new(),
            out,
            summary: Summary::new(opts.latency).with_overhead(opts.overhead),
            tracees: HashMap::default(),
            main_pid: None,
            outcome: None,
            pid_prefix_always: false,
            timed: opts.syscall_times
                || opts.json
                || (opts.summary != SummaryMode::Off && opts.wall_clock),
            last_line_time: None,
            pin: cpu_pin::CpuPin::new(opts.same_cpu, opts.follow_forks),
            spin: spin::Spin::new(opts.spin),
            ticks_seen: 0,
            pending: Default::default(),
            stops_seen: 0,
            empty_drains: 0,
            look_expect: 0,
            looks_since_full: 0,
            opts,
        })
    }

    /// Start (or attach to) the tracees and trace until none is left.
    pub fn run(mut self) -> Result<Option<Outcome>, String> {
        install_stop_handlers();
        // As strace: a command and `-p` together trace both, the command started first.
        if !self.opts.command.is_empty() {
            // Under -k the calls that change the mappings stop too (not shown: they are not
            // in the set), so the unwinder's maps cache is dropped when it goes stale.
            let filter = self.opts.seccomp_bpf.then(|| {
                let extra: &[u64] = if self.opts.stack_trace {
                    &MAPPING_CALLS
                } else {
                    &[]
                };
                seccomp::program(&self.opts.trace.with(extra))
            });
            // Before the fork: the command inherits the mask.
            self.pin.start().map_err(|e| format!("--same-cpu: {e}"))?;
            // Pinned without -f, new tasks are attached only to be let go unpinned.
            let follow = self.opts.follow_forks || self.pin.borrows_children();
            let options =
                ptrace::seize_options(follow, self.opts.kill_on_exit, self.opts.seccomp_bpf);
            let pid = spawn::spawn(
                &self.opts.command,
                &self.opts.env,
                options,
                filter.as_deref(),
            )?;
            self.pin.on_command_started(pid);
            // Only now, so that the command does not inherit what -I sets.
            apply_interruptible(self.opts.interruptible);
            let mut t = Tracee::new(pid);
            t.hidden = true;
            self.tracees.insert(pid, t);
            self.main_pid = Some(pid);
        }
        if self.opts.command.is_empty() {
            apply_interruptible(self.opts.interruptible);
        }
        if !self.opts.pids.is_empty() {
            let options =
                ptrace::seize_options(self.opts.follow_forks, self.opts.kill_on_exit, false);
            let pids = self.opts.pids.clone();
            for pid in pids {
                // All threads, with or without -f (strace takes only the named thread
                // without -f; a process's threads are what its pid means here).
                let tids = match attach::attach_process(pid, options) {
                    Ok(tids) => tids,
                    // With a command to trace, strace only warns and goes on.
                    Err(message) if self.main_pid.is_some() => {
                        self.out.flush();
                        eprintln!("strace-lite: {message}");
                        continue;
                    }
                    Err(message) => return Err(message),
                };
                for tid in &tids {
                    let mut t = Tracee::new(*tid);
                    t.attached = true;
                    self.tracees.insert(*tid, t);
                }
                if self.opts.says(quiet::ATTACH) {
                    self.out.flush();
                    if tids.len() > 1 {
                        eprintln!(
                            "strace-lite: Process {pid} attached with {} threads",
                            tids.len()
                        );
                    } else {
                        eprintln!("strace-lite: Process {pid} attached");
                    }
                }
            }
        }
        // With -o, strace prefixes every line with its pid when more than one process
        // is (or may be) traced; on stderr it writes `[pid N]` only while several are.
        self.pid_prefix_always = self.opts.output.is_some()
            && !self.opts.output_per_process
            && (self.opts.follow_forks || self.tracees.len() > 1);
        // A trace into a file is written in large pieces: at most every FLUSH_INTERVAL
        // (a timer interrupts wait4 when the tracees are quiet) or when the buffer is
        // full. A trace on stderr is written before each wait, as it interleaves with the
        // command's own output there.
        let timed_flush = self.opts.output.is_some();
        // The same timer lets `--same-cpu=auto` look at the tracees now and then.
        let timer = timed_flush || self.pin.wants_ticks();
        if timer {
            flush_timer(true);
        }
        self.event_loop(timed_flush, timer);
        flush_timer(false);
        self.finish();
        // Stopped by Ctrl-C (or SIGTERM...): the tracees were let go; end like strace,
        // by that signal.
        match STOP_SIGNAL.load(Ordering::SeqCst) {
            0 => Ok(self.outcome),
            sig => Ok(Some(Outcome::Killed(sig))),
        }
    }

    /// `timer`: the interval timer is on (for `timed_flush`, or for the pin's ticks).
    fn event_loop(&mut self, timed_flush: bool, mut timer: bool) {
        while !self.tracees.is_empty() {
            if STOP_SIGNAL.load(Ordering::SeqCst) != 0 {
                flush_timer(false);
                self.detach_all();
                return;
            }
            if !timed_flush || FLUSH_DUE.swap(false, Ordering::SeqCst) {
                self.out.flush();
            }
            let ticks = TICKS.load(Ordering::SeqCst);
            if ticks != self.ticks_seen {
                self.ticks_seen = ticks;
                let running = self.tracees.values().filter(|t| !t.in_syscall).count();
                self.pin.on_tick(running, self.tracees.keys().copied());
                if timer && !timed_flush && !self.pin.wants_ticks() {
                    // The pin is let go and the trace goes out before each wait: nothing
                    // left for the timer to do.
                    flush_timer(false);
                    timer = false;
                }
            }
            let want_usage = self.opts.summary != SummaryMode::Off && !self.opts.wall_clock;
            // While hot, look without sleeping for a short while first (`spin.rs`).
            let mut polled = None;
            if let Some(window) = self.spin.poll_window(self.tracees.len()) {
                let start = Instant::now();
                while polled.is_none() && start.elapsed() < window {
                    polled = wait_any(libc::WNOHANG, want_usage);
                    if polled.is_none()
                        && std::io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD)
                    {
                        break;
                    }
                }
                self.spin.polled(polled.is_some());
            }
            let Some(first) = polled.or_else(|| wait_any(0, want_usage)) else {
                match std::io::Error::last_os_error().raw_os_error() {
                    Some(libc::EINTR) => continue,
                    _ => return,
                }
            };
            // Several tracees: take every stop already reported before handling any, as
            // strace does. Each is handled once, oldest first, so a busy thread cannot
            // starve the others; and a tracee reported last has left its CPU by the time
            // its turn comes, so the ptrace calls on it find it inactive at once. When
            // only one of them is busy (a shell waiting for its child) the look finds
            // nothing and costs a wait4 per stop: after a few empty looks, only every
            // DRAIN_PROBE-th stop looks, until one finds something again.
            //
            // A look that goes on until wait4 finds nothing ends with an empty wait4. Threads
            // that take turns (4 threads in a loop of calls, the main one blocked in futex)
            // stop as many times every round, so a look stops once it holds as many stops
            // as the last full look found. Every FULL_LOOK_EVERY-th look goes on until
            // nothing is left: a tracee the short looks leave behind (wait4 reports tracees
            // in the order they were attached) waits a few rounds at most, and the number
            // follows threads that get busy or go quiet.
            self.pending.push_back(first);
            self.stops_seen = self.stops_seen.wrapping_add(1);
            let look = self.tracees.len() >= 2
                && (self.empty_drains < DRAIN_MISSES || self.stops_seen % DRAIN_PROBE == 0);
            if look {
                let before = self.pending.len();
                let full = self.looks_since_full + 1 >= FULL_LOOK_EVERY;
                let mut found_none = false;
                while full || self.pending.len() < self.look_expect {
                    match wait_any(libc::WNOHANG, want_usage) {
                        Some(next) => self.pending.push_back(next),
                        None => {
                            found_none = true;
                            break;
                        }
                    }
                }
                if self.pending.len() > before {
                    self.empty_drains = 0;
                } else if found_none {
                    self.empty_drains = self.empty_drains.saturating_add(1);
                }
                if found_none {
                    self.look_expect = self.pending.len();
                    self.looks_since_full = 0;
                } else {
                    self.looks_since_full += 1;
                }
            }
            self.spin
                .on_stops(self.pending.len(), self.pending.iter().map(|p| p.0));
            while let Some((pid, status, stime)) = self.pending.pop_front() {
                self.handle_stop(pid, status, stime);
            }
        }
    }

    fn handle_stop(&mut self, tid: i32, status: i32, stime: Duration) {
        if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
            return self.on_exit(tid, status);
        }
        if !libc::WIFSTOPPED(status) {
            return;
        }
        let sig = libc::WSTOPSIG(status);
        let event = status >> 16;
        if !self.tracees.contains_key(&tid) {
            if !self.opts.follow_forks {
                return self.let_child_go(tid, sig, event);
            }
            self.adopt(tid);
        }
        if sig == libc::SIGTRAP | 0x80 {
            self.on_syscall_stop(tid, stime);
            self.resume(tid, 0);
        } else if event == libc::PTRACE_EVENT_STOP {
            if matches!(
                sig,
                libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU
            ) {
                self.print_group_stop(tid, sig);
                let _ = ptrace::listen(tid);
            } else {
                self.resume(tid, 0);
            }
        } else if event != 0 {
            match event {
                libc::PTRACE_EVENT_FORK | libc::PTRACE_EVENT_VFORK | libc::PTRACE_EVENT_CLONE => {
                    if let Ok(child) = ptrace::event_message(tid) {
                        let child = child as i32;
                        if !self.opts.follow_forks {
                            self.on_child_borrowed(tid, child);
                        } else if !self.tracees.contains_key(&child) {
                            self.adopt(child);
                        }
                    }
                }
                libc::PTRACE_EVENT_EXEC => self.on_exec(tid),
                libc::PTRACE_EVENT_SECCOMP => self.on_seccomp_stop(tid, stime),
                libc::PTRACE_EVENT_EXIT => self.on_event_exit(tid),
                _ => {}
            }
            self.resume(tid, 0);
        } else {
            self.on_signal(tid, sig);
            self.resume(tid, sig);
        }
    }

    /// Let `tid` run on. With `--seccomp-bpf` a tracee outside a traced call runs until
    /// the filter or a signal stops it; inside one, to the call's exit.
    fn resume(&self, tid: i32, sig: i32) {
        let in_syscall = self.tracees.get(&tid).is_some_and(|t| t.in_syscall);
        let _ = if self.opts.seccomp_bpf && !in_syscall {
            ptrace::cont(tid, sig)
        } else {
            ptrace::syscall(tid, sig)
        };
    }

    /// The filter stopped `tid` at the entry of a traced call.
    fn on_seccomp_stop(&mut self, tid: i32, stime: Duration) {
        let Ok(ptrace::SyscallStop::Entry {
            nr,
            args,
            stack_pointer,
        }) = ptrace::syscall_info(tid)
        else {
            return;
        };
        if let Some(t) = self.tracees.get_mut(&tid) {
            t.phase_known = true;
        }
        self.on_syscall_entry(tid, nr, args, stack_pointer, stime);
    }

    /// Without `-f`, `parent` (stopped at its fork event) created `child`, which the kernel
    /// attached because the pin asked for it (`CpuPin::borrows_children`): the pin goes, and
    /// `parent` stops passing on new tasks, so this happens once.
    ///
    /// The child is let go here and now, so the tracer never ends (or detaches) with it
    /// still attached: under `--kill-on-exit`, `PTRACE_O_EXITKILL` passed on to it would
    /// kill it. Its first stop is
    /// in the queue of reported stops, or comes at once: a new task stops before it runs.
    fn on_child_borrowed(&mut self, parent: i32, child: i32) {
        self.pin
            .on_child_borrowed(child, self.tracees.keys().copied());
        let options = ptrace::seize_options(false, self.opts.kill_on_exit, self.opts.seccomp_bpf);
        let _ = ptrace::set_options(parent, options);
        let status = match self.pending.iter().position(|&(tid, _, _)| tid == child) {
            Some(i) => self.pending.remove(i).map(|(_, status, _)| status),
            None => wait_for(child),
        };
        // None: let go already (its first stop came before its parent's fork event).
        if let Some(status) = status {
            if libc::WIFSTOPPED(status) {
                self.let_child_go(child, libc::WSTOPSIG(status), status >> 16);
            }
        }
    }

    /// Without `-f`, a task that is not a tracee stopped: a child the pin asked the kernel
    /// to attach, at its first stop (before any code of its own ran). It leaves untraced,
    /// with the original mask (and the signal it stopped for, if any).
    fn let_child_go(&mut self, child: i32, sig: i32, event: i32) {
        // Its parent's fork event may not have been handled yet.
        self.pin
            .on_child_borrowed(child, self.tracees.keys().copied());
        let plain_signal = event == 0 && sig != libc::SIGTRAP | 0x80;
        let _ = ptrace::detach(child, if plain_signal { sig } else { 0 });
    }

    /// A new child appeared (its fork event, or its first stop, whichever came first).
    fn adopt(&mut self, tid: i32) {
        self.tracees.insert(tid, Tracee::new(tid));
        self.pin.on_new_tracee(tid);
        if self.opts.says(quiet::ATTACH) {
            self.out.flush();
            eprintln!("strace-lite: Process {tid} attached");
        }
    }

    /// A syscall stop. Once a tracee's phase is known (its first stop asks the kernel),
    /// entry and exit alternate, and the kernel is asked only for what will be used:
    /// nothing at the exit of a hidden call, nothing at entry under `-c` alone (the
    /// number comes with the result, from one `PTRACE_GETREGS` at exit).
    fn on_syscall_stop(&mut self, tid: i32, stime: Duration) {
        let Some(t) = self.tracees.get_mut(&tid) else {
            return;
        };
        if t.phase_known {
            let summary_only = self.opts.summary == SummaryMode::Only;
            if !t.in_syscall
                && summary_only
                && !self.opts.seccomp_bpf
                && self.opts.trace_paths.is_empty()
            {
                t.begin_syscall(u64::MAX, stime, self.timed);
                t.nr_at_exit = true;
                return;
            }
            if t.in_syscall && t.nr_at_exit {
                let Ok((nr, rval)) = ptrace::nr_and_result(tid) else {
                    return;
                };
                t.nr = nr;
                t.nr_at_exit = false;
                if t.hidden && (nr == EXECVE || nr == EXECVEAT) {
                    t.hidden = false;
                }
                t.filtered = t.hidden || !self.opts.trace.contains(nr);
                return self.on_syscall_exit(tid, rval, stime);
            }
            if t.in_syscall && t.filtered && t.call.is_none() && !self.pin.watches_exit(t.nr) {
                // Not shown, not counted: only the phase changes.
                t.in_syscall = false;
                t.previous_nr = Some(t.nr);
                return;
            }
        }
        t.phase_known = true;
        let Ok(stop) = ptrace::syscall_info(tid) else {
            return;
        };
        let in_syscall = self.tracees.get(&tid).is_some_and(|t| t.in_syscall);
        match stop {
            ptrace::SyscallStop::Entry {
                nr,
                args,
                stack_pointer,
            } => self.on_syscall_entry(tid, nr, args, stack_pointer, stime),
            ptrace::SyscallStop::Exit { rval } => self.on_syscall_exit(tid, rval, stime),
            ptrace::SyscallStop::Unknown {
                nr,
                args,
                rval,
                stack_pointer,
            } => {
                if in_syscall {
                    self.on_syscall_exit(tid, rval, stime)
                } else {
                    self.on_syscall_entry(tid, nr, args, stack_pointer, stime)
                }
            }
        }
    }

    fn on_syscall_entry(&mut self, tid: i32, nr: u64, args: [u64; 6], sp: u64, stime: Duration) {
        let Some(t) = self.tracees.get_mut(&tid) else {
            return;
        };
        t.begin_syscall(nr, stime, self.timed);
        let i386 = syscall_table::is_i386(nr);
        if i386 != t.i386 && !t.hidden {
            t.i386 = i386;
            self.personality_notice(tid, i386);
        }
        let Some(t) = self.tracees.get_mut(&tid) else {
            return;
        };
        if t.hidden {
            if nr == EXECVE || nr == EXECVEAT {
                t.hidden = false;
            } else {
                t.filtered = true;
                return;
            }
        }
        t.filtered = !self.opts.trace.contains(nr);
        if !t.filtered && !self.opts.trace_paths.is_empty() {
            // -P: only calls that access one of the paths (strace's pathtrace_match).
            t.filtered = !crate::pathtrace::matches(tid, nr, &args, &self.opts.trace_paths);
        }
        if self.opts.stack_trace && MAPPING_CALLS.contains(&nr) {
            self.unwinder.forget_maps();
        }
        if t.filtered || self.opts.summary == SummaryMode::Only {
            return;
        }
        if self.opts.stack_trace && STACK_AT_ENTRY.contains(&nr) {
            let stack = self.backtrace(tid);
            if let Some(t) = self.tracees.get_mut(&tid) {
                t.stack = stack;
            }
        }
        let Some(t) = self.tracees.get_mut(&tid) else {
            return;
        };
        let mut opts = self.decode_opts;
        // -e abbrev=SET (and -v, its `none`): structures in full for the calls outside it.
        opts.verbose = !self.opts.abbrev.contains(nr);
        let raw = self.opts.raw.contains(nr);
        let mut call = Call::new(tid, nr, args, sp, opts);
        // -e verbose=SET: the calls outside it print their structures as addresses.
        call.mem = call.mem.with_structs(self.opts.verbose_calls.contains(nr));
        let step = if nr == RESTART_SYSCALL {
            // Like strace, a call interrupted before we attached is reported as syscall 0.
            let previous = syscall_table::name(t.previous_nr.unwrap_or(0));
            call.push(&format!("<... resuming interrupted {previous} ...>"));
            Step::Done
        } else {
            if raw {
                // -e raw=SET: strace's printargs, and the result in hex.
                call.ret_style = crate::decode::RetStyle::Hex;
                crate::decode::raw(&mut call)
            } else {
                (self.decoders.get(nr))(&mut call)
            }
        };
        let name = self.colors.name_cow(syscall_table::name(nr));
        t.step = step;
        if self.opts.filters_status() || self.opts.json {
            t.staged = Some(format!("{name}({}", call.out));
            t.call = Some(call);
            return;
        }
        self.begin_line(tid);
        // The line's start, piece by piece into the buffer (no copy of it first).
        self.out.write(tid, &name);
        self.out.write(tid, "(");
        self.out.write(tid, &call.out);
        if let Some(t) = self.tracees.get_mut(&tid) {
            t.call = Some(call);
        }
    }

    fn on_syscall_exit(&mut self, tid: i32, rval: i64, stime: Duration) {
        let Some(t) = self.tracees.get_mut(&tid) else {
            return;
        };
        if !t.in_syscall {
            // An exit without a seen entry (a new child returning from clone).
            return;
        }
        let nr = t.nr;
        self.pin
            .on_exit(tid, nr, rval, self.tracees.keys().copied());
        let Some(t) = self.tracees.get_mut(&tid) else {
            return;
        };
        t.in_syscall = false;
        t.previous_nr = Some(t.nr);
        let failed = (-4095..0).contains(&rval);
        let wall = t.entered_at.map_or(Duration::ZERO, |at| at.elapsed());
        if self.opts.summary != SummaryMode::Off && !t.filtered {
            let time = if self.opts.wall_clock {
                wall
            } else {
                stime.saturating_sub(t.stime_at_entry)
            };
            self.summary.record(t.nr, failed, time);
        }
        let Some(mut call) = t.call.take() else {
            return;
        };
        let staged = t.staged.take();
        call.rval = rval;
        call.exiting = true;
        call.out.clear();
        if t.step == Step::AtExit {
            (self.decoders.get(call.nr))(&mut call);
        }
        let result = self.result_text(&call, wall);
        if let Some(head) = staged {
            let show = self.opts.shows_status(if failed {
                status::FAILED
            } else {
                status::SUCCESSFUL
            });
            if show && self.opts.json {
                let args = format!(
                    "{}{}",
                    &head[syscall_table::name(call.nr).len() + 1..],
                    call.out
                );
                let ret = self.return_text(&call);
                self.emit_json_syscall(&call, &args, Some(&ret), wall);
            } else if show {
                self.begin_line(tid);
                self.out.write(tid, &head);
                self.finish_syscall_line(tid, &call.out, &result);
                self.dump_io(tid, &call);
                self.print_stack(tid);
            }
            return;
        }
        self.resume_line_if_cut(tid, call.nr);
        self.finish_syscall_line(tid, &call.out, &result);
        self.dump_io(tid, &call);
        self.print_stack(tid);
    }

    /// `-e read=`/`-e write=`: the data `call` moved, after its line.
    fn dump_io(&mut self, tid: i32, call: &Call) {
        if self.opts.read_fds.is_empty() && self.opts.write_fds.is_empty() {
            return;
        }
        let text = crate::dump::dump(call, &self.opts.read_fds, &self.opts.write_fds);
        for line in text.lines() {
            self.out.begin_line(tid);
            self.out.write(tid, line);
            self.out.end_line(tid);
        }
    }

    /// `-k`: `tid`'s frames now.
    fn backtrace(&mut self, tid: i32) -> Vec<String> {
        match ptrace::regs(tid) {
            Ok(regs) => self.unwinder.backtrace(tid, &regs),
            Err(_) => Vec::new(),
        }
    }

    /// `-k`: the frames of `tid`'s current call: taken at its entry for the calls that
    /// change what the stack means (exit, munmap...), else now, at its exit (so an
    /// `execve` shows the new program), as strace does.
    fn take_stack(&mut self, tid: i32) -> Vec<String> {
        if !self.opts.stack_trace {
            return Vec::new();
        }
        let Some(t) = self.tracees.get_mut(&tid) else {
            return Vec::new();
        };
        let taken = std::mem::take(&mut t.stack);
        if taken.is_empty() && !STACK_AT_ENTRY.contains(&t.nr) {
            return self.backtrace(tid);
        }
        taken
    }

    /// `-k`: print the frames of `tid`'s call, one line each.
    fn print_stack(&mut self, tid: i32) {
        let stack = self.take_stack(tid);
        self.print_frames(tid, stack);
    }

    fn print_frames(&mut self, tid: i32, stack: Vec<String>) {
        for frame in stack {
            self.out.begin_line(tid);
            self.out.write(tid, &frame);
            self.out.end_line(tid);
        }
    }

    /// `-k`: print the frames taken at the entry of a call that never returned.
    fn print_entry_stack(&mut self, tid: i32) {
        let stack = self
            .tracees
            .get_mut(&tid)
            .map(|t| std::mem::take(&mut t.stack))
            .unwrap_or_default();
        self.print_frames(tid, stack);
    }

    /// If another line was printed since `tid`'s entry, start `<... name resumed>`.
    fn resume_line_if_cut(&mut self, tid: i32, nr: u64) {
        let cut = if self.out.is_per_thread() {
            !self.out.line_is_open(tid)
        } else {
            self.out.open_line_owner() != Some(tid)
        };
        if cut {
            self.begin_line(tid);
            self.out.write(tid, "<... ");
            self.out
                .write(tid, &self.colors.name_cow(syscall_table::name(nr)));
            self.out.write(tid, " resumed>");
        }
    }

    fn finish_syscall_line(&mut self, tid: i32, exit_args: &str, result: &str) {
        self.out.write(tid, exit_args);
        self.out.write(tid, ") ");
        self.out.tab_to_column(tid);
        self.out.write(tid, "= ");
        self.out.write(tid, result);
        self.out.end_line(tid);
    }

    /// `-1 ENOENT (No such file or directory)`, `3</etc/passwd>`, `0x5581a000`, plus
    /// the decoder's note and `-T`'s duration.
    fn result_text(&self, call: &Call, wall: Duration) -> String {
        let mut s = self.return_text(call);
        if self.opts.syscall_times {
            s.push_str(&format!(
                " <{}.{:06}>",
                wall.as_secs(),
                wall.subsec_micros()
            ));
        }
        s
    }

    /// The result as the text output shows it after ` = `, without `-T`'s duration.
    fn return_text(&self, call: &Call) -> String {
        call.return_text(|text| self.colors.error(text))
    }

    /// `--json`: the record of one syscall; `ret` is `None` for a call that never
    /// returned.
    fn emit_json_syscall(&mut self, call: &Call, args: &str, ret: Option<&str>, wall: Duration) {
        let failed = ret.is_some() && (-4095..0).contains(&call.rval);
        let errno = failed.then(|| {
            (
                format::errno_name(-call.rval),
                format::errno_message(-call.rval),
            )
        });
        let name = syscall_table::name(call.nr);
        let stack = if ret.is_some() {
            self.take_stack(call.pid)
        } else {
            self.tracees
                .get_mut(&call.pid)
                .map(|t| std::mem::take(&mut t.stack))
                .unwrap_or_default()
        };
        let line = crate::json::syscall(&crate::json::SyscallRecord {
            pid: call.pid,
            time: epoch_now() - wall.as_secs_f64(),
            name: &name,
            nr: call.nr,
            args,
            retval: ret.map(|_| call.rval),
            return_text: ret.unwrap_or("?"),
            errno,
            duration: wall.as_secs_f64(),
            stack: self.opts.stack_trace.then_some(&stack[..]),
        });
        self.emit_json(call.pid, &line);
    }

    /// Write one JSON line for `tid`.
    fn emit_json(&mut self, tid: i32, line: &str) {
        self.out.begin_line(tid);
        self.out.write(tid, line);
        self.out.end_line(tid);
    }

    /// The tracee is about to exit: a syscall it was in will never return (`= ?`).
    fn on_event_exit(&mut self, tid: i32) {
        let Some(t) = self.tracees.get_mut(&tid) else {
            return;
        };
        if !t.in_syscall {
            return;
        }
        t.in_syscall = false;
        let step = t.step;
        let staged = t.staged.take();
        let Some(call) = t.call.take() else {
            return;
        };
        if let Some(head) = staged {
            // A call that never returned: shown when `unfinished` is in -e status=.
            if !self.opts.shows_status(status::UNFINISHED) {
                return;
            }
            if self.opts.json {
                let wall = self
                    .tracees
                    .get(&tid)
                    .and_then(|t| t.entered_at)
                    .map_or(Duration::ZERO, |at| at.elapsed());
                let args = head[syscall_table::name(call.nr).len() + 1..].to_string();
                self.emit_json_syscall(&call, &args, None, wall);
                return;
            }
            self.begin_line(tid);
            self.out.write(tid, &head);
        } else {
            self.resume_line_if_cut(tid, call.nr);
        }
        if step == Step::AtExit {
            self.out.write(tid, " <unfinished ...>");
        }
        self.out.write(tid, ") ");
        self.out.tab_to_column(tid);
        self.out.write(tid, "= ?");
        self.out.end_line(tid);
    }

    /// `execve` succeeded in `tid`; if a non-leader thread ran it, it now has the
    /// leader's id and the old thread's state moves there.
    fn on_exec(&mut self, tid: i32) {
        let Ok(former) = ptrace::event_message(tid) else {
            return;
        };
        // Under --seccomp-bpf an untraced execve made no stop: the trace starts here.
        if let Some(t) = self.tracees.get_mut(&tid) {
            t.hidden = false;
        }
        let former = former as i32;
        if former != tid {
            if self.out.line_is_open(former) {
                // strace's maybe_switch_tcbs: the execve line is still open (nothing was
                // written after it; with -ff, in the old thread's file): say where it
                // went on. Its `<... execve resumed>` follows under the new id.
                self.out
                    .write(former, &format!(" <pid changed to {tid} ...>"));
                self.out.end_line(former);
            }
            let says = self.opts.says(quiet::THREAD_EXECVE);
            if self.shows_events(tid) && says && self.opts.json {
                let line = crate::json::superseded(former, epoch_now(), tid);
                self.emit_json(tid, &line);
            } else if self.shows_events(tid) && says {
                self.begin_line(tid);
                let text = self
                    .colors
                    .exit(&format!("+++ superseded by execve in pid {former} +++"));
                self.out.write(tid, &text);
                self.out.end_line(tid);
            }
            if let Some(mut t) = self.tracees.remove(&former) {
                t.tid = tid;
                if let Some(call) = t.call.as_mut() {
                    call.pid = tid;
                    call.mem.pid = tid;
                }
                self.tracees.insert(tid, t);
            }
            self.out.close_thread(former);
        }
    }

    fn on_signal(&mut self, tid: i32, sig: i32) {
        if !self.shows_events(tid) || !self.opts.signals.contains(sig) {
            return;
        }
        if self.opts.json {
            let info = ptrace::siginfo(tid)
                .ok()
                .map(|info| siginfo::format(&info, self.opts.xlat_style));
            let line = crate::json::signal(tid, epoch_now(), &signals::name(sig), info.as_deref());
            return self.emit_json(tid, &line);
        }
        let text = match ptrace::siginfo(tid) {
            Ok(info) => format!(
                "--- {} {} ---",
                signals::name(sig),
                siginfo::format(&info, self.opts.xlat_style)
            ),
            Err(_) => format!("--- {} ---", signals::name(sig)),
        };
        self.begin_line(tid);
        let text = self.colors.signal(&text);
        self.out.write(tid, &text);
        self.out.end_line(tid);
        // -k: where the signal found the tracee, as strace prints it.
        if self.opts.stack_trace {
            let stack = self.backtrace(tid);
            self.print_frames(tid, stack);
        }
    }

    fn print_group_stop(&mut self, tid: i32, sig: i32) {
        if !self.shows_events(tid) || !self.opts.signals.contains(sig) {
            return;
        }
        if self.opts.json {
            let line = crate::json::stopped(tid, epoch_now(), &signals::name(sig));
            return self.emit_json(tid, &line);
        }
        self.begin_line(tid);
        let text = self
            .colors
            .signal(&format!("--- stopped by {} ---", signals::name(sig)));
        self.out.write(tid, &text);
        self.out.end_line(tid);
    }

    /// Whether signal and exit lines are printed for `tid`.
    fn shows_events(&self, tid: i32) -> bool {
        self.opts.summary != SummaryMode::Only && !self.tracees.get(&tid).is_some_and(|t| t.hidden)
    }

    fn on_exit(&mut self, tid: i32, status: i32) {
        // -qq hides "exited" lines; "killed by" lines stay, as in strace.
        let show = self.shows_events(tid)
            && self.tracees.contains_key(&tid)
            && (self.opts.says(quiet::EXIT) || !libc::WIFEXITED(status));
        if show && self.opts.json {
            let line = if libc::WIFEXITED(status) {
                crate::json::exited(tid, epoch_now(), libc::WEXITSTATUS(status))
            } else {
                let sig = libc::WTERMSIG(status);
                crate::json::killed(
                    tid,
                    epoch_now(),
                    &signals::name(sig),
                    libc::WCOREDUMP(status),
                )
            };
            self.emit_json(tid, &line);
        } else if show {
            let text = if libc::WIFEXITED(status) {
                self.colors.exit(&format!(
                    "+++ exited with {} +++",
                    libc::WEXITSTATUS(status)
                ))
            } else {
                let sig = libc::WTERMSIG(status);
                let core = if libc::WCOREDUMP(status) {
                    " (core dumped)"
                } else {
                    ""
                };
                self.colors
                    .killed(&format!("+++ killed by {}{core} +++", signals::name(sig)))
            };
            self.begin_line(tid);
            self.out.write(tid, &text);
            self.out.end_line(tid);
        }
        // A call that never returned (`exit_group(0) = ?`) has its frames after the
        // exit line, as strace prints them.
        self.print_entry_stack(tid);
        self.tracees.remove(&tid);
        self.out.close_thread(tid);
        if Some(tid) == self.main_pid {
            self.outcome = Some(if libc::WIFEXITED(status) {
                Outcome::Exited(libc::WEXITSTATUS(status))
            } else {
                Outcome::Killed(libc::WTERMSIG(status))
            });
        }
    }

    /// strace's notice of a tracee that switches between x86_64 and i386 calls, a line of
    /// the trace (not with `-q`, nor by default with `-o` and a command).
    fn personality_notice(&mut self, tid: i32, i386: bool) {
        if !self.opts.says(quiet::PERSONALITY) || self.opts.json {
            return;
        }
        let bits = if i386 { 32 } else { 64 };
        self.begin_line(tid);
        self.out.write(
            tid,
            &format!("[ Process PID={tid} runs in {bits} bit mode. ]"),
        );
        self.out.end_line(tid);
    }

    /// Start a line for `tid`: cut any open line, then the pid and time prefixes.
    fn begin_line(&mut self, tid: i32) {
        self.out.begin_line(tid);
        // Written piece by piece: a line of a -f trace starts here, no allocation for it.
        let mut digits = itoa::Buffer::new();
        let pid = digits.format(tid);
        const SPACES: &str = "     ";
        let pad = &SPACES[..5usize.saturating_sub(pid.len())];
        if self.pid_prefix_always {
            // `{tid:<5} `
            self.out.write(tid, pid);
            self.out.write(tid, pad);
            self.out.write(tid, " ");
        } else if self.opts.output.is_none() && self.tracees.len() > 1 {
            // `[pid {tid:>5}] `
            self.out.write(tid, "[pid ");
            self.out.write(tid, pad);
            self.out.write(tid, pid);
            self.out.write(tid, "] ");
        }
        if self.opts.relative || self.opts.timestamps != TimestampStyle::None {
            let time = self.time_prefix();
            self.out.write(tid, &time);
        }
    }

    fn time_prefix(&mut self) -> String {
        if self.opts.relative {
            let now = Instant::now();
            let d = self.last_line_time.map_or(Duration::ZERO, |t| now - t);
            self.last_line_time = Some(now);
            return format!("{:>6}.{:06} ", d.as_secs(), d.subsec_micros());
        }
        if self.opts.timestamps == TimestampStyle::None {
            return String::new();
        }
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let secs = now.as_secs() as libc::time_t;
        let micros = now.subsec_micros();
        if self.opts.timestamps == TimestampStyle::Epoch {
            return format!("{secs}.{micros:06} ");
        }
        // SAFETY: localtime_r fills the tm we own.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        unsafe { libc::localtime_r(&secs, &mut tm) };
        let hms = format!("{:02}:{:02}:{:02}", tm.tm_hour, tm.tm_min, tm.tm_sec);
        if self.opts.timestamps == TimestampStyle::Micros {
            format!("{hms}.{micros:06} ")
        } else {
            format!("{hms} ")
        }
    }

    /// Ctrl-C: let every tracee go, running (or stopped, if it was group-stopped); under
    /// `--kill-on-exit` they are left attached, to die with the tracer.
    fn detach_all(&mut self) {
        // The command strace-lite started gets the signal that stops strace-lite (as
        // strace does); processes attached with -p are only let go.
        let sig = STOP_SIGNAL.load(Ordering::SeqCst);
        if let Some(pid) = self.main_pid {
            if sig != 0 && self.tracees.contains_key(&pid) {
                // SAFETY: signalling the child we spawned.
                unsafe { libc::kill(pid, sig) };
            }
        }
        if self.opts.kill_on_exit {
            // As strace's --kill-on-exit: no detach; PTRACE_O_EXITKILL kills every tracee
            // when the tracer exits.
            return;
        }
        let tids: Vec<i32> = self.tracees.keys().copied().collect();
        self.pin.on_detach(tids.iter().copied());
        for tid in tids {
            let _ = ptrace::interrupt(tid);
            // Wait (bounded) for the stop the interrupt causes, then detach from it,
            // handing back a signal that was about to be delivered.
            for _ in 0..64 {
                let mut status = 0;
                // SAFETY: waiting for our own tracee.
                let r = unsafe { libc::waitpid(tid, &mut status, libc::__WALL) };
                if r < 0 {
                    break;
                }
                if libc::WIFEXITED(status) || libc::WIFSIGNALED(status) {
                    break;
                }
                let sig = libc::WSTOPSIG(status);
                let event = status >> 16;
                let deliver = if sig == libc::SIGTRAP | 0x80 || event != 0 || sig == libc::SIGTRAP {
                    0
                } else {
                    sig
                };
                if event == libc::PTRACE_EVENT_STOP || event == 0 {
                    let _ = ptrace::detach(tid, deliver);
                    break;
                }
                let _ = ptrace::syscall(tid, 0);
            }
            let staged = self.tracees.get_mut(&tid).and_then(|t| t.staged.take());
            if let Some(head) = staged {
                // A call held for -e status=: shown, cut, when `detached` is in the set.
                if self.opts.shows_status(status::DETACHED) && !self.opts.json {
                    self.begin_line(tid);
                    self.out.write(tid, &head);
                    self.out.write(tid, " <detached ...>");
                    self.out.end_line(tid);
                }
            } else if self.out.line_is_open(tid) {
                self.out.write(tid, " <detached ...>");
                self.out.end_line(tid);
            }
            if self.opts.pids.contains(&tid) && self.opts.says(quiet::ATTACH) {
                self.out.flush();
                eprintln!("strace-lite: Process {tid} detached");
            }
        }
        self.tracees.clear();
    }

    fn finish(&mut self) {
        for tid in self.tracees.keys().copied().collect::<Vec<_>>() {
            if self.out.line_is_open(tid) {
                self.out.write(tid, " <unfinished ...>");
                self.out.end_line(tid);
            }
        }
        if self.opts.summary != SummaryMode::Off {
            let table = self
                .summary
                .render_columns(self.opts.sort_by, &self.opts.summary_columns);
            self.out.write_raw(&table);
        }
        self.out.close();
    }
}

/// Start (or stop) the periodic SIGALRM that makes buffered trace text due.
fn flush_timer(on: bool) {
    let interval = if on {
        libc::timeval {
            tv_sec: 0,
            tv_usec: FLUSH_INTERVAL.as_micros() as libc::suseconds_t,
        }
    } else {
        libc::timeval {
            tv_sec: 0,
            tv_usec: 0,
        }
    };
    // SAFETY: installing a handler that only stores to an atomic (no SA_RESTART, so it
    // interrupts wait4), then setting our own interval timer.
    unsafe {
        if on {
            let mut act: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = on_flush_timer as extern "C" fn(libc::c_int) as usize;
            libc::sigemptyset(&mut act.sa_mask);
            libc::sigaction(libc::SIGALRM, &act, std::ptr::null_mut());
        }
        let timer = libc::itimerval {
            it_interval: interval,
            it_value: interval,
        };
        libc::setitimer(libc::ITIMER_REAL, &timer, std::ptr::null_mut());
    }
}

/// Seconds since the epoch, now.
fn epoch_now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
}

/// `-I`, as strace sets it up once the command is started: with `anywhere` the fatal
/// signals (SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTERM) keep their default action and kill
/// the tracer where it stands; with `waiting` they end the trace between two stops (the
/// tracees are let go); with `never` they are ignored (the command, in the terminal's
/// process group, still gets them), and with `never_tstp` SIGTSTP (^Z) too.
fn apply_interruptible(intr: Interruptible) {
    let fatal = [
        libc::SIGHUP,
        libc::SIGINT,
        libc::SIGQUIT,
        libc::SIGPIPE,
        libc::SIGTERM,
    ];
    for sig in fatal {
        // SAFETY: setting a signal's disposition (a handler that only stores to an atomic,
        // no SA_RESTART so that it interrupts wait4; or a default).
        unsafe {
            match intr {
                Interruptible::Anywhere => {
                    libc::signal(sig, libc::SIG_DFL);
                }
                Interruptible::Waiting => {
                    let mut act: libc::sigaction = std::mem::zeroed();
                    act.sa_sigaction = on_stop_signal as extern "C" fn(libc::c_int) as usize;
                    libc::sigemptyset(&mut act.sa_mask);
                    libc::sigaction(sig, &act, std::ptr::null_mut());
                }
                Interruptible::Never | Interruptible::NeverTstp => {
                    libc::signal(sig, libc::SIG_IGN);
                }
            }
        }
    }
    if intr == Interruptible::NeverTstp {
        // SAFETY: ignoring SIGTSTP.
        unsafe { libc::signal(libc::SIGTSTP, libc::SIG_IGN) };
    }
}

/// Ctrl-C, SIGTERM, SIGHUP and SIGQUIT stop the tracer (which then detaches); they
/// interrupt `wait4` (no SA_RESTART) so the loop sees them at once.
fn install_stop_handlers() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT] {
        // SAFETY: installing a handler that only stores to an atomic; the old action is
        // written to memory we own.
        unsafe {
            let mut act: libc::sigaction = std::mem::zeroed();
            let mut old: libc::sigaction = std::mem::zeroed();
            act.sa_sigaction = on_stop_signal as extern "C" fn(libc::c_int) as usize;
            act.sa_flags = 0;
            libc::sigemptyset(&mut act.sa_mask);
            libc::sigaction(sig, &act, &mut old);
            if old.sa_sigaction == libc::SIG_IGN {
                spawn::IGNORED_AT_START.fetch_or(1 << sig, std::sync::atomic::Ordering::Relaxed);
            }
        }
    }
    // A closed trace pipe must not kill the tracer (and with it the tracees).
    // SAFETY: ignoring SIGPIPE.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_IGN) };
    // Every ptrace stop would send the tracer a SIGCHLD, only for it to be dropped (the
    // default action is to ignore it); with SA_NOCLDSTOP the kernel only wakes wait4.
    // SAFETY: the default action, with a flag; exec resets both for the command.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = libc::SIG_DFL;
        act.sa_flags = libc::SA_NOCLDSTOP;
        libc::sigemptyset(&mut act.sa_mask);
        libc::sigaction(libc::SIGCHLD, &act, std::ptr::null_mut());
    }
}

/// Empty looks for more reported stops (see `event_loop`) after which only every
/// `DRAIN_PROBE`-th stop looks.
const DRAIN_MISSES: u32 = 4;
const DRAIN_PROBE: u32 = 16;
/// Every this many looks, one goes on until `wait4` reports nothing (see `event_loop`).
const FULL_LOOK_EVERY: u32 = 4;

/// The next status of `tid` (a tracee), waiting for it; `None` if it is not ours.
fn wait_for(tid: i32) -> Option<i32> {
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes the status we own.
        let r = unsafe { libc::waitpid(tid, &mut status, libc::__WALL) };
        if r == tid {
            return Some(status);
        }
        if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
            return None;
        }
    }
}

/// One `wait4(-1, __WALL | flags)`: the tid, its status and, when asked, its system time.
/// `None` when nothing was reported (`WNOHANG`) or on error (errno tells which).
fn wait_any(flags: i32, want_usage: bool) -> Option<(i32, i32, Duration)> {
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value (wait4 fills it).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let usage_ptr = if want_usage {
        &mut usage as *mut libc::rusage
    } else {
        std::ptr::null_mut()
    };
    // SAFETY: wait4 writes the status and, when asked, the rusage we own.
    let pid = unsafe { libc::wait4(-1, &mut status, libc::__WALL | flags, usage_ptr) };
    if pid <= 0 {
        return None;
    }
    let stime = Duration::from_secs(usage.ru_stime.tv_sec as u64)
        + Duration::from_micros(usage.ru_stime.tv_usec as u64);
    Some((pid, status, stime))
}
