//! `--spin=auto` (the default): while stops come close together ("hot": their mean gap
//! below [`HOT_GAP`]), the tracer keeps
//! the CPUs it and its tracees use out of idle, so that a stop does not wait for a halted
//! CPU (in a VM, a halted virtual CPU) to wake up.
//!
//! Two parts, both the tracer's own work; the tracees are never touched:
//! - before blocking in `wait4`, with fewer tracees than CPUs allowed to it (else the poll
//!   would take a CPU a tracee could use), the tracer polls `wait4(WNOHANG)` for at most
//!   [`POLL_FOR`], while polls keep finding a stop (after more than [`POLL_MISSES`] misses
//!   in [`POLL_WINDOW`] polls it skips polling for [`POLL_REST`] waits);
//! - helper threads of the tracer process, each under `SCHED_IDLE` (set on itself) and
//!   pinned to one CPU the trace was last seen on, spin there; each blocks on a condvar
//!   after [`COLD_AFTER`] without a stop, and the next stop wakes it.
//!
//! Both pay only where a CPU would otherwise halt in a stop (a quiet machine); on a busy
//! machine they cost. So while hot the tracer measures the stop rate for an [`EPOCH`] with
//! them and one without, keeps the faster for [`RUN_EPOCHS`] epochs, and measures again.
//!
//! A `SCHED_IDLE` thread gives way at once to any normal task woken on its CPU (wakeup
//! preemption of an idle-policy current task), and the scheduler's wake placement counts a
//! CPU running only `SCHED_IDLE` tasks as idle (`sched_idle_cpu()`), so where a tracee runs
//! and the share it gets do not change. At most one spinner per CPU in use (the tracer's,
//! and the CPUs its recently stopped tracees last ran on), never more than the CPUs allowed
//! to the tracer nor [`MAX_SPINNERS`]; none when the tracer has one CPU (tracer and tracees
//! then take turns there and it never idles in a stop).

use super::cpu_pin::{get_affinity, one_cpu, set_affinity};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The trace is hot while the mean gap between rounds of stops (a moving average, 1/16
/// weight to the newest) is below this; a program that computes between calls, with a
/// quick exit stop after each distant entry, is not.
const HOT_GAP: Duration = Duration::from_micros(150);
/// A spinner blocks after this long without a stop.
pub(crate) const COLD_AFTER: Duration = Duration::from_millis(1);
/// How long the tracer polls `wait4(WNOHANG)` before blocking.
const POLL_FOR: Duration = Duration::from_micros(50);
/// Polls are judged in windows of this many: with more than [`POLL_MISSES`] that found
/// nothing (the time went to a CPU the tracees could have used), the tracer rests from
/// polling...
const POLL_WINDOW: u32 = 16;
const POLL_MISSES: u32 = 2;
/// ...for this many waits.
const POLL_REST: u32 = 256;
/// Spinning pays only where CPUs would otherwise halt in a stop (a quiet machine); on a
/// busy one it costs. So while hot, the tracer measures: one epoch with spinning, one
/// without, then the faster for [`RUN_EPOCHS`] epochs, then again.
const EPOCH: Duration = Duration::from_millis(50);
const RUN_EPOCHS: u32 = 16;
/// Spinning must raise the stop rate by this factor to be kept.
const GAIN: f64 = 1.05;
/// How often the CPUs in use are looked at again while hot.
const REFRESH: Duration = Duration::from_millis(20);
/// Spinners at most, whatever the machine's size.
const MAX_SPINNERS: usize = 8;
/// A CPU not seen in use for this many refreshes loses its spinner.
const CPU_TTL: u32 = 3;

struct Shared {
    /// Bumped at every round of stops.
    activity: AtomicU64,
    /// Spinners blocked on `wake`.
    asleep: AtomicUsize,
    shutdown: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
    /// Per spinner: the CPU it spins on, or -1 (parked).
    targets: Vec<AtomicI32>,
}

pub(crate) struct Spin {
    shared: Option<Arc<Shared>>,
    threads: Vec<std::thread::JoinHandle<()>>,
    /// CPUs the tracer may run on (and so its spinners).
    allowed: Vec<usize>,
    /// CPU -> refreshes left before its spinner parks.
    in_use: Vec<(usize, u32)>,
    next_refresh: Instant,
    last_stop: Instant,
    polls: u32,
    poll_misses: u32,
    poll_rest: u32,
    /// The moving average of the gaps between rounds of stops, and whether it is short.
    mean_gap_us: f64,
    hot: bool,
    /// Spinning and polling now (the measurement's choice, or its probe).
    on: bool,
    phase: Phase,
    epoch_start: Instant,
    epoch_stops: u64,
    rate_on: f64,
}

#[derive(Clone, Copy)]
enum Phase {
    /// Measuring with spinning on, then off.
    ProbeOn,
    ProbeOff,
    /// The choice made, for this many more epochs.
    Run(u32),
}

impl Spin {
    /// `enabled`: `--spin=auto`. Without a second CPU allowed to the tracer, nothing spins.
    pub(crate) fn new(enabled: bool) -> Spin {
        let allowed = if enabled { allowed_cpus() } else { Vec::new() };
        let now = Instant::now();
        Spin {
            shared: None,
            threads: Vec::new(),
            allowed,
            in_use: Vec::new(),
            next_refresh: now,
            last_stop: now,
            polls: 0,
            mean_gap_us: COLD_AFTER.as_micros() as f64,
            hot: false,
            poll_misses: 0,
            poll_rest: 0,
            on: true,
            phase: Phase::ProbeOn,
            epoch_start: now,
            epoch_stops: 0,
            rate_on: 0.0,
        }
    }

    fn active(&self) -> bool {
        self.allowed.len() >= 2
    }

    /// A round of `count` stops was taken from `wait4`; `tids`: the tracees that stopped
    /// (stopped, so their last CPU is where they ran).
    pub(crate) fn on_stops(&mut self, count: usize, tids: impl Iterator<Item = i32>) {
        if !self.active() {
            return;
        }
        let now = Instant::now();
        let gap = now.duration_since(self.last_stop);
        let was_cold = gap > COLD_AFTER;
        self.last_stop = now;
        let gap_us = gap.as_micros().min(COLD_AFTER.as_micros()) as f64;
        self.mean_gap_us += (gap_us - self.mean_gap_us) / 16.0;
        self.hot = self.mean_gap_us < HOT_GAP.as_micros() as f64;
        if was_cold {
            // A quiet spell says nothing of either choice: measure afresh.
            self.epoch_start = now;
            self.epoch_stops = 0;
        }
        self.epoch_stops += count as u64;
        let elapsed = now.duration_since(self.epoch_start);
        if elapsed >= EPOCH {
            let rate = self.epoch_stops as f64 / elapsed.as_secs_f64();
            self.phase = match self.phase {
                Phase::ProbeOn => {
                    self.rate_on = rate;
                    self.set_on(false);
                    Phase::ProbeOff
                }
                Phase::ProbeOff => {
                    self.set_on(self.rate_on > rate * GAIN);
                    Phase::Run(RUN_EPOCHS)
                }
                Phase::Run(0) => {
                    self.set_on(true);
                    Phase::ProbeOn
                }
                Phase::Run(n) => Phase::Run(n - 1),
            };
            self.epoch_start = now;
            self.epoch_stops = 0;
        }
        if !self.on || !self.hot {
            return;
        }
        if let Some(shared) = &self.shared {
            shared.activity.fetch_add(1, Ordering::SeqCst);
            if shared.asleep.load(Ordering::SeqCst) > 0 {
                let _guard = shared.lock.lock();
                shared.wake.notify_all();
            }
        }
        if now >= self.next_refresh {
            self.next_refresh = now + REFRESH;
            self.refresh(tids);
        }
    }

    fn set_on(&mut self, on: bool) {
        self.on = on;
        if on {
            self.next_refresh = Instant::now();
        } else if let Some(shared) = &self.shared {
            // Parked until spinning is chosen again.
            for target in &shared.targets {
                target.store(-1, Ordering::SeqCst);
            }
        }
    }

    /// Looks again at the CPUs in use and points the spinners at them.
    fn refresh(&mut self, tids: impl Iterator<Item = i32>) {
        for entry in &mut self.in_use {
            entry.1 = entry.1.saturating_sub(1);
        }
        // SAFETY: sched_getcpu takes no arguments.
        let own = unsafe { libc::sched_getcpu() };
        let seen = std::iter::once(own)
            .chain(tids.take(MAX_SPINNERS * 2).filter_map(last_cpu))
            .filter(|c| *c >= 0)
            .map(|c| c as usize);
        for cpu in seen {
            if !self.allowed.contains(&cpu) {
                continue;
            }
            match self.in_use.iter_mut().find(|e| e.0 == cpu) {
                Some(e) => e.1 = CPU_TTL,
                None => self.in_use.push((cpu, CPU_TTL)),
            }
        }
        self.in_use.retain(|e| e.1 > 0);
        let limit = self.allowed.len().min(MAX_SPINNERS);
        self.in_use.truncate(limit);
        let shared = self
            .shared
            .get_or_insert_with(|| {
                Arc::new(Shared {
                    activity: AtomicU64::new(1),
                    asleep: AtomicUsize::new(0),
                    shutdown: AtomicBool::new(false),
                    lock: Mutex::new(()),
                    wake: Condvar::new(),
                    targets: (0..limit).map(|_| AtomicI32::new(-1)).collect(),
                })
            })
            .clone();
        let mut unparked = false;
        for (i, target) in shared.targets.iter().enumerate() {
            let cpu = self.in_use.get(i).map_or(-1, |e| e.0 as i32);
            unparked |= target.swap(cpu, Ordering::SeqCst) < 0 && cpu >= 0;
            if cpu >= 0 && i >= self.threads.len() {
                let s = shared.clone();
                match std::thread::Builder::new()
                    .name("spin".into())
                    .stack_size(64 * 1024)
                    .spawn(move || spinner(&s, i))
                {
                    Ok(handle) => self.threads.push(handle),
                    Err(_) => break,
                }
            }
        }
        if unparked {
            let _guard = shared.lock.lock();
            shared.wake.notify_all();
        }
    }

    /// Before a blocking `wait4`: whether to poll first, and for how long. `tracees`: how
    /// many there are; with as many as the tracer's CPUs, the poll would take a CPU one of
    /// them could run on.
    pub(crate) fn poll_window(&mut self, tracees: usize) -> Option<Duration> {
        if !self.active()
            || tracees >= self.allowed.len()
            || !self.on
            || !self.hot
            || self.last_stop.elapsed() > COLD_AFTER
        {
            return None;
        }
        if self.poll_rest > 0 {
            self.poll_rest -= 1;
            return None;
        }
        Some(POLL_FOR)
    }

    /// What the poll found.
    pub(crate) fn polled(&mut self, hit: bool) {
        self.polls += 1;
        self.poll_misses += u32::from(!hit);
        if self.poll_misses > POLL_MISSES {
            self.poll_rest = POLL_REST;
        }
        if self.polls >= POLL_WINDOW || self.poll_rest > 0 {
            self.polls = 0;
            self.poll_misses = 0;
        }
    }
}

impl Drop for Spin {
    fn drop(&mut self) {
        if let Some(shared) = &self.shared {
            shared.shutdown.store(true, Ordering::SeqCst);
            let guard = shared.lock.lock();
            shared.wake.notify_all();
            drop(guard);
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// One spinner: under `SCHED_IDLE`, on its target CPU, spinning while stops keep coming.
fn spinner(shared: &Shared, index: usize) {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: pid 0 is this thread; param is a valid sched_param.
    if unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) } != 0 {
        // Not idle class: spinning would take time from the tracees. Stay parked.
        return;
    }
    let mut pinned = -1;
    let mut seen = 0;
    let mut since = Instant::now();
    while !shared.shutdown.load(Ordering::Relaxed) {
        let target = shared.targets[index].load(Ordering::Relaxed);
        let now_activity = shared.activity.load(Ordering::Relaxed);
        if now_activity != seen {
            seen = now_activity;
            since = Instant::now();
        }
        if target >= 0 && target != pinned {
            pin_self(target as usize);
            pinned = target;
        }
        if target >= 0 && since.elapsed() < COLD_AFTER {
            for _ in 0..64 {
                std::hint::spin_loop();
            }
            continue;
        }
        // Cold (or parked): block until the next stop.
        let mut guard = match shared.lock.lock() {
            Ok(g) => g,
            Err(_) => return,
        };
        if target < 0 {
            // Parked: only a new target (or the end) wakes it, not every stop.
            while shared.targets[index].load(Ordering::SeqCst) < 0
                && !shared.shutdown.load(Ordering::SeqCst)
            {
                guard = match shared.wake.wait(guard) {
                    Ok(g) => g,
                    Err(_) => return,
                };
            }
            since = Instant::now();
            continue;
        }
        shared.asleep.fetch_add(1, Ordering::SeqCst);
        while shared.activity.load(Ordering::SeqCst) == seen
            && !shared.shutdown.load(Ordering::SeqCst)
        {
            guard = match shared.wake.wait(guard) {
                Ok(g) => g,
                Err(_) => return,
            };
        }
        shared.asleep.fetch_sub(1, Ordering::SeqCst);
    }
}

/// This thread on `cpu` only (a failure leaves it unpinned: a spinner elsewhere only
/// gains less).
fn pin_self(cpu: usize) {
    if let Ok(mask) = get_affinity(0) {
        let _ = set_affinity(0, &one_cpu(mask.len(), cpu));
    }
}

/// The CPUs this (tracer) thread may run on.
fn allowed_cpus() -> Vec<usize> {
    get_affinity(0).map_or_else(
        |_| Vec::new(),
        |mask| {
            (0..mask.len() * 8)
                .filter(|c| mask[c / 8] & (1 << (c % 8)) != 0)
                .collect()
        },
    )
}

/// The CPU `tid` last ran on (`/proc/TID/stat`, field 39), if it can be read.
fn last_cpu(tid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{tid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split_whitespace().nth(36)?.parse().ok()
}
