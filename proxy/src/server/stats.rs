//! The proxy's row in `/dev/mydevice` (docs/mydevice.md): connections open and accepted,
//! connections ended (`requests`: one per client served), bytes client → upstream
//! (`bytes_in`) and upstream → client (`bytes_out`) as they move, and connections that ended
//! in an error (no upstream, a reset, a timeout) or were refused at max-connections.

use crate::forward::conn::End;
use devstats::{Counters, Reporter};
use std::sync::Arc;
use std::time::Duration;

/// How often the reporter pushes the counters (only when they changed).
const INTERVAL: Duration = Duration::from_millis(500);

pub(crate) struct Stats {
    counters: Arc<Counters>,
    reporter: Option<Reporter>,
}

impl Stats {
    /// Pushes to `device` as source `proxy`; `none` keeps the counters to itself.
    pub(crate) fn start(device: &str) -> Stats {
        let counters = Arc::new(Counters::new());
        let reporter = (device != "none")
            .then(|| Reporter::start_at(device, "proxy", Arc::clone(&counters), INTERVAL));
        Stats { counters, reporter }
    }

    pub(crate) fn opened(&self) {
        self.counters.connection_opened();
    }

    /// Bytes moved since the last call: `up` client → upstream, `down` the other way.
    pub(crate) fn moved(&self, up: u64, down: u64) {
        self.counters.add_bytes_in(up);
        self.counters.add_bytes_out(down);
    }

    pub(crate) fn ended(&self, end: &End) {
        self.counters.connection_closed();
        self.counters.add_requests(1);
        if !matches!(end, End::Closed | End::Stopped) {
            self.counters.add_error();
        }
    }

    /// A client closed at once (max-connections).
    pub(crate) fn refused(&self) {
        self.counters.add_error();
    }
}

impl Drop for Stats {
    /// A last push, then the device is closed and the row disappears.
    fn drop(&mut self) {
        if let Some(r) = self.reporter.take() {
            r.stop();
        }
    }
}
