//! Live counters of a server, kept in one place and read as a snapshot.
//!
//! They are `devstats`' counters: the same atomics that its reporter pushes to
//! `/dev/mydevice`, so a server keeps its figures once and every consumer (a log line, the
//! device) reads them from there. `requests` is whatever the protocol calls a unit of work
//! (a chat line relayed, an HTTP request answered).

pub use devstats::{CounterSnapshot as StatsSnapshot, Counters as Stats};
