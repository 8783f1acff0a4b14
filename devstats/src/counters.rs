//! A server's live counters: atomics that any thread bumps without locking, and a snapshot
//! of them that the [`Reporter`](crate::Reporter) writes to the device.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};

/// The counters a server reports, one atomic each. Share it in an `Arc`.
///
/// A server that serves TLS also reports two gauges, once it called
/// [`report_tls`](Self::report_tls): of its live connections, how many speak TLS and how many
/// of those have their records done by the kernel (kTLS). Other servers report none (the
/// device's table shows `-`, not 0).
#[derive(Debug, Default)]
pub struct Counters {
    pub conns_active: AtomicU64,
    pub conns_total: AtomicU64,
    pub requests: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    pub errors: AtomicU64,
    pub conns_tls: AtomicU64,
    pub conns_ktls: AtomicU64,
    /// Whether the TLS gauges are reported.
    tls: AtomicBool,
}

/// The counters' values at one moment, in [`FIELDS`](crate::uapi::FIELDS) order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CounterSnapshot(pub [u64; 6]);

/// The TLS gauges at one moment: live TLS connections, and those of them with kTLS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TlsSnapshot {
    pub conns_tls: u64,
    pub conns_ktls: u64,
}

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

    /// From now on the TLS gauges are reported (a server that serves TLS says so at start).
    pub fn report_tls(&self) {
        self.tls.store(true, Relaxed);
    }

    /// A TLS connection finished its handshake; `ktls`: the kernel does its records.
    pub fn tls_established(&self, ktls: bool) {
        self.conns_tls.fetch_add(1, Relaxed);
        if ktls {
            self.conns_ktls.fetch_add(1, Relaxed);
        }
    }

    /// A connection counted by [`tls_established`](Self::tls_established) was closed.
    pub fn tls_closed(&self, ktls: bool) {
        let down = |v: u64| Some(v.saturating_sub(1));
        let _ = self.conns_tls.fetch_update(Relaxed, Relaxed, down);
        if ktls {
            let _ = self.conns_ktls.fetch_update(Relaxed, Relaxed, down);
        }
    }

    /// The TLS gauges, if they are reported.
    pub fn tls_snapshot(&self) -> Option<TlsSnapshot> {
        self.tls.load(Relaxed).then(|| TlsSnapshot {
            conns_tls: self.conns_tls.load(Relaxed),
            conns_ktls: self.conns_ktls.load(Relaxed),
        })
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

    #[test]
    fn tls_gauges_are_reported_only_when_asked() {
        let s = Counters::new();
        s.tls_established(true);
        assert_eq!(s.tls_snapshot(), None);
        s.report_tls();
        s.tls_established(false);
        s.tls_established(true);
        s.tls_closed(true);
        assert_eq!(
            s.tls_snapshot(),
            Some(TlsSnapshot {
                conns_tls: 2,
                conns_ktls: 1
            })
        );
        s.tls_closed(false);
        s.tls_closed(true);
        // A close without a matching handshake does not wrap the gauges.
        s.tls_closed(true);
        assert_eq!(s.tls_snapshot(), Some(TlsSnapshot::default()));
    }
}
