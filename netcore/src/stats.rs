//! Live counters of a server, kept in one place and read as a snapshot.
//!
//! Every model of a server updates the same [`Stats`] (atomics, so threads may share it);
//! anything that reports them (a log line, `/dev/mydevice`) takes a [`Stats::snapshot`].

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

/// The counters. `requests` is whatever the protocol calls a unit of work (a chat line
/// relayed, an HTTP request answered).
#[derive(Debug, Default)]
pub struct Stats {
    connections_active: AtomicU64,
    connections_total: AtomicU64,
    requests: AtomicU64,
    bytes_in: AtomicU64,
    bytes_out: AtomicU64,
    errors: AtomicU64,
}

/// A copy of the counters at one moment.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub connections_active: u64,
    pub connections_total: u64,
    pub requests: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub errors: u64,
}

impl Stats {
    pub fn new() -> Stats {
        Stats::default()
    }

    pub fn connection_opened(&self) {
        self.connections_active.fetch_add(1, Relaxed);
        self.connections_total.fetch_add(1, Relaxed);
    }

    pub fn connection_closed(&self) {
        // Never wraps below zero, even if a caller closes twice.
        let _ = self
            .connections_active
            .fetch_update(Relaxed, Relaxed, |n| n.checked_sub(1));
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

    pub fn add_error(&self) {
        self.errors.fetch_add(1, Relaxed);
    }

    /// The counters now. Each is read atomically; together they are not one instant, which
    /// is fine for monitoring.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            connections_active: self.connections_active.load(Relaxed),
            connections_total: self.connections_total.load(Relaxed),
            requests: self.requests.load(Relaxed),
            bytes_in: self.bytes_in.load(Relaxed),
            bytes_out: self.bytes_out.load(Relaxed),
            errors: self.errors.load(Relaxed),
        }
    }
}

impl std::fmt::Display for StatsSnapshot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "connections_active={} connections_total={} requests={} bytes_in={} bytes_out={} errors={}",
            self.connections_active,
            self.connections_total,
            self.requests,
            self.bytes_in,
            self.bytes_out,
            self.errors
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_add_up_in_the_snapshot() {
        let s = Stats::new();
        s.connection_opened();
        s.connection_opened();
        s.connection_closed();
        s.connection_closed();
        s.connection_closed();
        s.add_requests(3);
        s.add_bytes_in(10);
        s.add_bytes_out(20);
        s.add_error();
        let snap = s.snapshot();
        assert_eq!(
            snap,
            StatsSnapshot {
                connections_active: 0,
                connections_total: 2,
                requests: 3,
                bytes_in: 10,
                bytes_out: 20,
                errors: 1
            }
        );
        assert!(snap.to_string().contains("requests=3"));
    }
}
