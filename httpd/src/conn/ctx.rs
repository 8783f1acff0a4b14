//! What a connection needs from its worker while it is driven ([`Ctx`]): the settings every
//! worker shares ([`Shared`], swapped by a reload), the clock, the access log, the worker's
//! file cache and reusable buffers, and the turn's counters.

use crate::files::docroot::DocRoot;
use crate::files::file_cache::FileCache;
use crate::http::date::Clock;
use crate::http::parse::Limits;
use crate::log::access::AccessLog;
use crate::log::logfile::LogFile;
use devstats::Counters;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Per-connection deadlines (nginx's defaults where nginx has the same timer).
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From the first byte of a request head to its end (`client_header_timeout` 60s).
    pub header: Duration,
    /// Idle keep-alive connection (`keepalive_timeout` 75s).
    pub keepalive: Duration,
    /// A blocked send making no progress (`send_timeout` 60s).
    pub send: Duration,
    /// Lingering close (`lingering_timeout` 5s).
    pub linger: Duration,
}

impl Default for Timeouts {
    fn default() -> Timeouts {
        Timeouts {
            header: Duration::from_secs(60),
            keepalive: Duration::from_secs(75),
            send: Duration::from_secs(60),
            linger: Duration::from_secs(5),
        }
    }
}

/// What every worker reads and nobody writes (apart from the atomics). A reload makes a new
/// one; connections pick it up at their next request.
#[derive(Debug)]
pub struct Shared {
    pub root: DocRoot,
    pub limits: Limits,
    pub timeouts: Timeouts,
    pub counters: Arc<Counters>,
    pub max_connections_per_worker: usize,
    pub max_keepalive_requests: u32,
    pub access_log: Option<Arc<LogFile>>,
    /// How long a graceful stop waits for responses in flight.
    pub shutdown_timeout: Duration,
}

/// Counts of this turn, added to the shared atomics once per turn.
#[derive(Debug, Default)]
pub struct TurnStats {
    pub requests: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub errors: u64,
}

/// What a connection may use while it is driven: shared settings, the clock, the log, and
/// the worker's reusable buffers.
pub struct Ctx {
    pub shared: Arc<Shared>,
    pub clock: Clock,
    pub log: AccessLog,
    /// Output of the current turn for one connection, sent with one `send`.
    pub out: Vec<u8>,
    /// Where reads land before being appended to a connection's buffer.
    pub scratch: Vec<u8>,
    pub stats: TurnStats,
    /// This worker's open files (see [`FileCache`]).
    pub files: FileCache,
    pub now: Instant,
    pub shutting_down: bool,
}
