//! What a connection needs from its worker while it is driven ([`Ctx`]): the settings every
//! worker shares ([`Shared`], swapped by a reload), the clock, the access log, the worker's
//! file cache and reusable buffers, and the turn's counters.

use crate::files::docroot::DocRoot;
use crate::files::file_cache::FileCache;
use crate::http::date::Clock;
use crate::http::parse::Limits;
use crate::log::access::AccessLog;
use crate::log::logfile::LogFile;
use crate::proxy::pool::Pool;
use crate::proxy::route::ProxySettings;
use crate::proxy::splice::Pipes;
use devstats::Counters;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Per-connection deadlines (nginx's defaults where nginx has the same timer).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    /// From the first byte of a request head to its end (`client_header_timeout` 60s).
    pub(crate) header: Duration,
    /// Idle keep-alive connection (`keepalive_timeout` 75s).
    pub(crate) keepalive: Duration,
    /// A blocked send making no progress (`send_timeout` 60s).
    pub(crate) send: Duration,
    /// Lingering close (`lingering_timeout` 5s).
    pub(crate) linger: Duration,
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
pub(crate) struct Shared {
    pub(crate) root: DocRoot,
    pub(crate) limits: Limits,
    pub(crate) timeouts: Timeouts,
    pub(crate) counters: Arc<Counters>,
    pub(crate) max_connections_per_worker: usize,
    pub(crate) max_keepalive_requests: u32,
    pub(crate) access_log: Option<Arc<LogFile>>,
    /// How long a graceful stop waits for responses in flight.
    pub(crate) shutdown_timeout: Duration,
    /// The `proxy_pass` locations and their settings.
    pub(crate) proxy: ProxySettings,
}

/// Counts of this turn, added to the shared atomics once per turn.
#[derive(Debug, Default)]
pub(crate) struct TurnStats {
    pub(crate) requests: u64,
    pub(crate) bytes_in: u64,
    pub(crate) bytes_out: u64,
    pub(crate) errors: u64,
}

/// What a connection may use while it is driven: shared settings, the clock, the log, and
/// the worker's reusable buffers.
pub(crate) struct Ctx {
    pub(crate) shared: Arc<Shared>,
    pub(crate) clock: Clock,
    pub(crate) log: AccessLog,
    /// Output of the current turn for one connection, sent with one `send`.
    pub(crate) out: Vec<u8>,
    /// Where reads land before being appended to a connection's buffer: up to
    /// [`CLIENT_READ`](crate::conn::connection::CLIENT_READ) bytes from a client, a whole
    /// [`BUFFER_LIMIT`](crate::proxy::BUFFER_LIMIT) from an upstream (64 KiB, as nginx's
    /// `proxy_buffers`: a 1 MiB response is 16 reads, not 64).
    pub(crate) scratch: Vec<u8>,
    pub(crate) stats: TurnStats,
    /// This worker's open files (see [`FileCache`]).
    pub(crate) files: FileCache,
    pub(crate) now: Instant,
    pub(crate) shutting_down: bool,
    /// This worker's idle keep-alive connections to upstreams.
    pub(crate) pool: Pool,
    /// This worker's empty pipes for spliced response bodies.
    pub(crate) pipes: Pipes,
}
