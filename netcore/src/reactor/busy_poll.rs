//! Polling before sleeping: a wait that finds nothing ready asks again, without blocking,
//! for a short while before it sleeps, when the last waits show that input comes back that
//! soon.
//!
//! Why: a server that sleeps in `epoll_wait` between two bursts of a busy peer is woken by
//! the peer's `send`, and the peer pays for the wake-up. Where the server's CPU halts when
//! idle (a virtual machine whose guest does not poll in its idle loop), that wake-up is an
//! inter-processor interrupt, an exit to the hypervisor, paid in the *sender's* time. A
//! server that finishes its turns quickly sleeps often, so a single-threaded client that
//! keeps it busy (redis-benchmark with pipelines) spends more time per request on it than on
//! a slower server. Asking again for a few microseconds costs the server that much
//! CPU and spares the peer the wake-up; no reply leaves later for it, only the next request
//! is picked up sooner.
//!
//! The window adapts as the kernel's `haltpoll` idle governor's does: it grows (doubling
//! from an eighth of the limit) after a sleep that ended within the limit, since polling
//! would have caught what woke it, and halves after a sleep longer than the limit (nothing
//! came while polling, and nothing soon after), down to no polling at all. An idle server
//! therefore does not spin: its first long sleep halves the window, and a few shut it.
//!
//! Between two asks the poller yields the CPU (`sched_yield`). Alone on its CPU, the yield
//! comes straight back (under a microsecond). When it switched to another task instead
//! (the thread's count of involuntary switches grew since this wait began to poll: looked
//! at only after a yield slower than [`SLOW_YIELD`]), the CPU is shared, with the peer
//! perhaps, and polling only takes turns from the task that would send the input, a
//! context switch each time. The window is then shut, and stays shut for [`SHARED_BACKOFF`]
//! whatever the sleeps, so that a loop sharing its CPU sleeps as a plain one does, trying
//! again every millisecond in case the scheduler has moved one of them or the other task
//! (a kernel worker, say) has gone.

use std::time::{Duration, Instant};

/// A yield slower than this may have let another task run: the switch count is read.
const SLOW_YIELD: Duration = Duration::from_micros(2);
/// How long polling stays off after such a yield.
pub(crate) const SHARED_BACKOFF: Duration = Duration::from_millis(1);

/// The adaptive window of [`Reactor::wait`](super::Reactor::wait)'s polling.
#[derive(Debug, Clone)]
pub(crate) struct BusyPoll {
    /// The longest the window grows to.
    limit: Duration,
    /// How long the next wait polls before it sleeps.
    window: Duration,
    /// No polling before this: a yield let another task run ([`BusyPoll::yielded`]).
    shared_until: Option<Instant>,
    /// The thread's involuntary switches when this wait began to poll.
    switches: Option<u64>,
}

impl BusyPoll {
    /// Polling of at most `limit` before a sleep; starts closed, opened by short sleeps.
    pub(crate) fn new(limit: Duration) -> BusyPoll {
        BusyPoll {
            limit,
            window: Duration::ZERO,
            shared_until: None,
            switches: None,
        }
    }

    /// How long the next wait should poll before it sleeps.
    #[cfg(test)]
    pub(crate) fn window(&self) -> Duration {
        self.window
    }

    /// Until when to poll, for a wait starting at `now` that may last until `until`:
    /// `None` if it should not poll (the window is shut, the CPU was found shared lately,
    /// or the wait is not to block).
    pub(crate) fn poll_until(&self, now: Instant, until: Option<Instant>) -> Option<Instant> {
        if self.window.is_zero()
            || until.is_some_and(|u| u <= now)
            || self.shared_until.is_some_and(|t| now < t)
        {
            return None;
        }
        let end = now + self.window;
        Some(until.map_or(end, |u| u.min(end)))
    }

    /// A wait begins to poll; `switches`: the thread's involuntary switches now
    /// ([`crate::sys::involuntary_switches`]), what [`BusyPoll::yielded`] compares with.
    pub(crate) fn polling(&mut self, switches: Option<u64>) {
        self.switches = switches;
    }

    /// A yield between two asks took `took`, ending at `now`: whether to go on polling.
    /// `switches` reads the thread's involuntary switches; if a slow yield finds the count
    /// grown since the wait began to poll, the CPU is shared: the window shuts for
    /// [`SHARED_BACKOFF`].
    pub(crate) fn yielded(
        &mut self,
        took: Duration,
        now: Instant,
        switches: impl FnOnce() -> Option<u64>,
    ) -> bool {
        if took < SLOW_YIELD {
            return true;
        }
        let Some(count) = switches() else {
            return true;
        };
        if self.switches.is_none_or(|before| before == count) {
            // A slow yield without a switch (an interrupt, the hypervisor), or no count to
            // compare with.
            return true;
        }
        self.window = Duration::ZERO;
        self.shared_until = Some(now + SHARED_BACKOFF);
        false
    }

    /// A wait slept from `from` to `to` (after polling in vain, or without polling) before
    /// something was ready or its timeout came: adjust the window.
    pub(crate) fn slept(&mut self, from: Instant, to: Instant) {
        if self.shared_until.is_some_and(|t| to < t) {
            return;
        }
        let slept = to.saturating_duration_since(from);
        let start = self.limit / 8;
        if slept <= self.limit {
            self.window = (self.window * 2).max(start).min(self.limit);
        } else {
            self.window /= 2;
            if self.window < start {
                self.window = Duration::ZERO;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: Duration = Duration::from_micros(40);

    #[test]
    fn short_sleeps_open_the_window_up_to_the_limit() {
        let mut p = BusyPoll::new(LIMIT);
        assert_eq!(p.window(), Duration::ZERO);
        let now = Instant::now();
        assert_eq!(p.poll_until(now, None), None);
        p.slept(now, now + Duration::from_micros(3));
        assert_eq!(p.window(), Duration::from_micros(5));
        for want in [10, 20, 40, 40] {
            p.slept(now, now + Duration::from_micros(30));
            assert_eq!(p.window(), Duration::from_micros(want));
        }
        assert_eq!(p.poll_until(now, None), Some(now + LIMIT));
    }

    #[test]
    fn long_sleeps_shut_it() {
        let mut p = BusyPoll::new(LIMIT);
        let now = Instant::now();
        for _ in 0..4 {
            p.slept(now, now + Duration::from_micros(1));
        }
        assert_eq!(p.window(), LIMIT);
        for want in [20, 10, 5, 0, 0] {
            p.slept(now, now + Duration::from_millis(100));
            assert_eq!(p.window(), Duration::from_micros(want));
        }
    }

    #[test]
    fn a_poll_ends_at_the_callers_limit_and_a_wait_not_to_block_does_not_poll() {
        let mut p = BusyPoll::new(LIMIT);
        let now = Instant::now();
        p.slept(now, now);
        let soon = now + Duration::from_micros(2);
        assert_eq!(p.poll_until(now, Some(soon)), Some(soon));
        let late = now + Duration::from_secs(1);
        assert_eq!(p.poll_until(now, Some(late)), Some(now + LIMIT / 8));
        assert_eq!(p.poll_until(now, Some(now)), None);
    }

    #[test]
    fn no_limit_never_polls() {
        let mut p = BusyPoll::new(Duration::ZERO);
        let now = Instant::now();
        p.slept(now, now);
        assert_eq!(p.window(), Duration::ZERO);
        assert_eq!(p.poll_until(now, None), None);
    }

    #[test]
    fn a_yield_that_let_another_task_run_stops_polling_for_a_while() {
        let mut p = BusyPoll::new(LIMIT);
        let now = Instant::now();
        p.slept(now, now);
        p.slept(now, now);
        assert_eq!(p.window(), LIMIT / 4);
        p.polling(Some(7));
        // Alone on the CPU: the yield comes straight back; the count is not even read.
        assert!(p.yielded(Duration::from_nanos(500), now, || unreachable!()));
        // Slow, but no switch: an interrupt, say.
        assert!(p.yielded(Duration::from_micros(5), now, || Some(7)));
        // No count to compare with (getrusage failed): go on.
        p.polling(None);
        assert!(p.yielded(Duration::from_micros(5), now, || Some(8)));
        p.polling(Some(7));
        assert_eq!(p.window(), LIMIT / 4);
        // Another task ran meanwhile.
        let later = now + Duration::from_millis(3);
        assert!(!p.yielded(Duration::from_millis(3), later, || Some(8)));
        assert_eq!(p.window(), Duration::ZERO);
        // Short sleeps do not reopen the window until the back-off is over...
        let within = later + SHARED_BACKOFF / 2;
        p.slept(within, within + Duration::from_micros(1));
        assert_eq!(p.window(), Duration::ZERO);
        assert_eq!(p.poll_until(within, None), None);
        // ...and do after it.
        let after = later + SHARED_BACKOFF;
        p.slept(after, after + Duration::from_micros(1));
        assert_eq!(p.window(), LIMIT / 8);
        assert!(p.poll_until(after, None).is_some());
    }
}
