//! A server's live counters: atomics that any thread bumps without locking, and a snapshot
//! of them that the [`Reporter`](crate::Reporter) writes to the device.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// The counters a server reports, one atomic each. Share it in an `Arc`.
#[derive(Debug, Default)]
pub struct Counters {
    pub conns_active: AtomicU64,
    pub conns_total: AtomicU64,
    pub requests: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    pub errors: AtomicU64,
}

/// The counters' values at one moment, in [`FIELDS`](crate::uapi::FIELDS) order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CounterSnapshot(pub [u64; 6]);

impl Counters {
    /// A connection was accepted.
    pub fn connection_opened(&self) {
        self.conns_active.fetch_add(1, Relaxed);
        self.conns_total.fetch_add(1, Relaxed);
    }

    /// A connection was closed.
    pub fn connection_closed(&self) {
        // Saturating: a close without a matching open must not wrap the gauge.
        let _ = self
            .conns_active
            .fetch_update(Relaxed, Relaxed, |v| Some(v.saturating_sub(1)));
    }

    pub fn add_requests(&self, n: u64) {
        self.requests.fetch_add(n, Relaxed);
    }

    pub fn add_bytes_in(&self, n: u64) {
        self.bytes_in.fetch_add(n, Relaxed);
    }

    pub fn add_bytes_out(&self, n: u64) {
        self.bytes_out.fetch_add(n, Relaxed);
    }

    pub fn add_errors(&self, n: u64) {
        self.errors.fetch_add(n, Relaxed);
    }

    /// Reads every counter (each read is atomic; together they are a near-instant view).
    pub fn snapshot(&self) -> CounterSnapshot {
        CounterSnapshot([
            self.conns_active.load(Relaxed),
            self.conns_total.load(Relaxed),
            self.requests.load(Relaxed),
            self.bytes_in.load(Relaxed),
            self.bytes_out.load(Relaxed),
            self.errors.load(Relaxed),
        ])
    }
}
