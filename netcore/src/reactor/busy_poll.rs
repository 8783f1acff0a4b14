//! Polling before sleeping: a wait that finds nothing ready asks again, without blocking,
//! for a short while before it sleeps, when the last waits show that input comes back that
//! soon.
//!
//! Why: a server that sleeps in `epoll_wait` between two bursts of a busy peer is woken by
//! the peer's `send`, and the peer pays for the wake-up. Where the server's CPU halts when
//! idle (a virtual machine whose guest does not poll in its idle loop), that wake-up is an
//! inter-processor interrupt through the hypervisor, many microseconds of the *sender's*
//! time. A server that finishes its turns quickly sleeps often, so a single-threaded client
//! that keeps it busy (redis-benchmark with pipelines) spends more time per request on it
//! than on a slower server. Asking again for a few microseconds costs the server that much
//! CPU and spares the peer the wake-up; no reply leaves later for it, only the next request
//! is picked up sooner.
//!
//! The window adapts as the kernel's `haltpoll` idle governor's does: it grows (doubling
//! from an eighth of the limit) after a sleep that ended within the limit, since polling
//! would have caught what woke it, and halves after a sleep longer than the limit (nothing
//! came while polling, and nothing soon after), down to no polling at all. An idle server
//! therefore does not spin: its first long sleep halves the window, and a few shut it.

use std::time::{Duration, Instant};

/// The adaptive window of [`Reactor::wait`](super::Reactor::wait)'s polling.
#[derive(Debug, Clone)]
pub(crate) struct BusyPoll {
    /// The longest the window grows to.
    limit: Duration,
    /// How long the next wait polls before it sleeps.
    window: Duration,
}

impl BusyPoll {
    /// Polling of at most `limit` before a sleep; starts closed, opened by short sleeps.
    pub(crate) fn new(limit: Duration) -> BusyPoll {
        BusyPoll {
            limit,
            window: Duration::ZERO,
        }
    }

    /// How long the next wait should poll before it sleeps.
    #[cfg(test)]
    pub(crate) fn window(&self) -> Duration {
        self.window
    }

    /// Until when to poll, for a wait starting at `now` that may last until `until`:
    /// `None` if it should not poll (the window is shut, or the wait is not to block).
    pub(crate) fn poll_until(&self, now: Instant, until: Option<Instant>) -> Option<Instant> {
        if self.window.is_zero() || until.is_some_and(|u| u <= now) {
            return None;
        }
        let end = now + self.window;
        Some(until.map_or(end, |u| u.min(end)))
    }

    /// A wait slept for `slept` (after polling in vain) before something was ready or its
    /// timeout came: adjust the window.
    pub(crate) fn slept(&mut self, slept: Duration) {
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
        p.slept(Duration::from_micros(3));
        assert_eq!(p.window(), Duration::from_micros(5));
        for want in [10, 20, 40, 40] {
            p.slept(Duration::from_micros(30));
            assert_eq!(p.window(), Duration::from_micros(want));
        }
        assert_eq!(p.poll_until(now, None), Some(now + LIMIT));
    }

    #[test]
    fn long_sleeps_shut_it() {
        let mut p = BusyPoll::new(LIMIT);
        for _ in 0..4 {
            p.slept(Duration::from_micros(1));
        }
        assert_eq!(p.window(), LIMIT);
        for want in [20, 10, 5, 0, 0] {
            p.slept(Duration::from_millis(100));
            assert_eq!(p.window(), Duration::from_micros(want));
        }
    }

    #[test]
    fn a_poll_ends_at_the_callers_limit_and_a_wait_not_to_block_does_not_poll() {
        let mut p = BusyPoll::new(LIMIT);
        p.slept(Duration::ZERO);
        let now = Instant::now();
        let soon = now + Duration::from_micros(2);
        assert_eq!(p.poll_until(now, Some(soon)), Some(soon));
        let late = now + Duration::from_secs(1);
        assert_eq!(p.poll_until(now, Some(late)), Some(now + LIMIT / 8));
        assert_eq!(p.poll_until(now, Some(now)), None);
    }

    #[test]
    fn no_limit_never_polls() {
        let mut p = BusyPoll::new(Duration::ZERO);
        p.slept(Duration::ZERO);
        assert_eq!(p.window(), Duration::ZERO);
        assert_eq!(p.poll_until(Instant::now(), None), None);
    }
}
