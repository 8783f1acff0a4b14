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
    pub fn new() -> Counters {
        Counters::default()
    }

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

    pub fn add_error(&self) {
        self.add_errors(1);
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

/// `conns_active=1 conns_total=2 ...`, the record's keys on one line (for logs).
impl std::fmt::Display for CounterSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, (key, value)) in crate::uapi::FIELDS.iter().zip(self.0).enumerate() {
            let sep = if i == 0 { "" } else { " " };
            write!(f, "{sep}{key}={value}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_add_up_in_the_snapshot() {
        let s = Counters::new();
        s.connection_opened();
        s.connection_opened();
        s.connection_closed();
        s.connection_closed();
        // A close without a matching open does not wrap the gauge.
        s.connection_closed();
        s.add_requests(3);
        s.add_bytes_in(10);
        s.add_bytes_out(20);
        s.add_error();
        s.add_errors(2);
        let snap = s.snapshot();
        assert_eq!(snap, CounterSnapshot([0, 2, 3, 10, 20, 3]));
        assert_eq!(
            snap.to_string(),
            "conns_active=0 conns_total=2 requests=3 bytes_in=10 bytes_out=20 errors=3"
        );
    }
}
