//! How the main thread steers a generation of worker threads: a state (run, graceful stop,
//! stop), the current [`Shared`] settings, and a waker per worker.

use crate::conn::ctx::Shared;
use netcore::reactor::signal::Waker;
use std::io;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

/// The workers' state, set by the main thread. Ordered: a state only moves up (a graceful
/// stop may become a fast one, never the reverse); kept in an `AtomicU8` as its `u8`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub(crate) enum State {
    Run = 0,
    /// Finish the responses in flight, then go (SIGQUIT, or an old generation).
    Graceful = 1,
    /// Close everything now (SIGTERM, SIGINT).
    Stop = 2,
}

impl State {
    fn from_u8(v: u8) -> State {
        match v {
            0 => State::Run,
            1 => State::Graceful,
            _ => State::Stop,
        }
    }
}

/// How the main thread steers the workers: a state, the current [`Shared`], and a waker per
/// worker (each worker drains its own).
#[derive(Debug)]
pub(crate) struct Control {
    state: AtomicU8,
    shared: Mutex<Arc<Shared>>,
    generation: AtomicU64,
    wakers: Vec<Arc<Waker>>,
}

impl Control {
    /// Running `shared`, with a waker for each of `workers` workers.
    pub(crate) fn new(shared: Arc<Shared>, workers: usize) -> io::Result<Control> {
        let wakers = (0..workers)
            .map(|_| Waker::new().map(Arc::new))
            .collect::<io::Result<_>>()?;
        Ok(Control {
            state: AtomicU8::new(State::Run as u8),
            shared: Mutex::new(shared),
            generation: AtomicU64::new(0),
            wakers,
        })
    }

    pub(crate) fn state(&self) -> State {
        State::from_u8(self.state.load(Ordering::Acquire))
    }

    /// Cheap: whether [`shared`](Self::shared) changed.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub(crate) fn shared(&self) -> Arc<Shared> {
        Arc::clone(&self.shared.lock().unwrap_or_else(|e| e.into_inner()))
    }

    pub(crate) fn wakers(&self) -> &[Arc<Waker>] {
        &self.wakers
    }

    pub(crate) fn set_state(&self, state: State) {
        // Never back: a graceful stop may become a fast one, not the reverse.
        self.state.fetch_max(state as u8, Ordering::AcqRel);
        self.wake_all();
    }

    /// Swaps in new settings (a reload) and wakes the workers to take them.
    pub(crate) fn set_shared(&self, shared: Arc<Shared>) {
        *self.shared.lock().unwrap_or_else(|e| e.into_inner()) = shared;
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.wake_all();
    }

    fn wake_all(&self) {
        for w in &self.wakers {
            w.wake();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::State;

    #[test]
    fn states_round_trip_through_their_u8_and_only_move_up() {
        for s in [State::Run, State::Graceful, State::Stop] {
            assert_eq!(State::from_u8(s as u8), s);
        }
        // set_state keeps the larger: a graceful stop may become a fast one, not run again.
        assert!(State::Run < State::Graceful && State::Graceful < State::Stop);
    }
}
