//! `netcore`: the event-loop core that the toolkit's servers share.
//!
//! It is protocol-agnostic: it moves bytes between sockets and a [`Service`] that says what
//! they mean (the chat server's line protocol, an echo server, later the HTTP server).
//!
//! Two layers, the upper built on the lower, nothing pointing back:
//!
//! | layer | what it is for | used by |
//! |---|---|---|
//! | [`reactor`] | readiness (`select`, `poll`, `epoll`), a waker, per-token deadlines in a heap, a listener builder, accept with a reserve descriptor, a non-blocking connect, `send`/`sendfile`/`splice` | httpd's workers, directly |
//! | [`buffered`] | an event loop of buffered connections driving a [`Service`]: bounded outbound queues, one write per turn, idle timers, graceful close | chat's `select`/`poll`/`epoll` models, echo |
//!
//! Beside them: [`stats`] (live counters and their snapshot), [`sys`] (the few `libc`
//! calls std does not wrap, and resource limits) and [`config_file`] (the servers'
//! nginx-style config file read and split into directives and blocks); and, hidden (not an API), `fuzzing`: how
//! the fuzz targets of the crates above choose where to split their input.
//!
//! Only `std` and `libc`: no async runtime and no event-loop crate.
//!
//! A server is a [`Service`] run by an [`EventLoop`] over one of the backends:
//!
//! ```no_run
//! use netcore::reactor::{backend::Epoll, listener, signal};
//! use netcore::{CloseReason, Config, Conns, EventLoop, Service, Stats, Token};
//! use std::sync::Arc;
//!
//! /// Sends every byte back.
//! struct Echo;
//!
//! impl Service for Echo {
//!     fn on_open(&mut self, _: &mut Conns, _: Token) {}
//!     fn on_data(&mut self, conns: &mut Conns, id: Token, data: &[u8]) {
//!         conns.send(id, data); // queued; written once per loop turn
//!     }
//!     fn on_close(&mut self, _: &mut Conns, _: Token, _: CloseReason) {}
//!     fn refusal(&self, why: &str) -> Vec<u8> {
//!         format!("{why}\n").into_bytes()
//!     }
//! }
//!
//! # fn main() -> std::io::Result<()> {
//! let listener = listener::bind("127.0.0.1:7001".parse().unwrap(), 1024)?;
//! let waker = Arc::new(signal::Waker::new()?);
//! signal::forward_signals(&waker, &[libc::SIGINT, libc::SIGTERM])?;
//! let stats = Arc::new(Stats::new());
//! EventLoop::new(Epoll::new()?, listener, waker, Config::default(), stats)?.run(&mut Echo)
//! # }
//! ```

pub mod buffered;
pub mod config_file;
#[doc(hidden)]
pub mod fuzzing;
pub mod reactor;
pub mod stats;
pub mod sys;

pub use buffered::{CloseReason, Config, Conns, EventLoop, Service, Token};
pub use reactor::backend::{Event, Interest, Readiness};
pub use stats::{Stats, StatsSnapshot};

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every `.rs` file under `dir`, with its text.
    fn sources(dir: &Path) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(sources(&path));
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path.display().to_string(), text));
            }
        }
        out
    }

    #[test]
    fn the_reactor_does_not_know_the_buffered_layer() {
        let reactor = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/reactor");
        let files = sources(&reactor);
        assert!(files.len() >= 8, "{files:?}");
        let wrong: Vec<&String> = files
            .iter()
            .filter(|(_, text)| text.contains("crate::buffered") || text.contains("crate::{"))
            .map(|(file, _)| file)
            .collect();
        assert!(
            wrong.is_empty(),
            "the reactor uses the layer above it: {wrong:?}"
        );
    }
}
