//! `netcore`: the event-loop core that the toolkit's servers share.
//!
//! It is protocol-agnostic: it moves bytes between sockets and a [`Service`] that says what
//! they mean (the chat server's line protocol, an echo server, later the HTTP server).
//!
//! | module | what it is for |
//! |---|---|
//! | [`backend`] | readiness backends: `select(2)`, `poll(2)`, `epoll(7)`, one file each, one trait |
//! | [`listener`] | a listening socket with `SO_REUSEADDR` and an explicit backlog |
//! | [`outqueue`] | a connection's bounded outbound byte queue, flushed with one write per turn |
//! | [`framing`] | splitting a byte stream into bounded lines (`\n` or `\r\n`) |
//! | [`event_loop`] | the single-threaded non-blocking server loop, generic over the backend |
//! | [`signal`] | a waker (self-pipe) and forwarding of SIGINT/SIGTERM into it |
//! | [`slab`] | connections by token, a freed token reused only from the next turn |
//! | [`stats`] | live counters (connections, requests, bytes, errors) and their snapshot |
//! | [`sys`] | the few `libc` calls std does not wrap |
//!
//! Only `std` and `libc`: no async runtime and no event-loop crate.
//!
//! A server is a [`Service`] run by an [`EventLoop`] over one of the backends:
//!
//! ```no_run
//! use netcore::{backend::Epoll, signal, CloseReason, Config, Conns, EventLoop, Service, Stats, Token};
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
//! let listener = netcore::listener::bind("127.0.0.1:7001".parse().unwrap(), 1024)?;
//! let waker = Arc::new(signal::Waker::new()?);
//! signal::forward_signals(&waker, &[libc::SIGINT, libc::SIGTERM])?;
//! let stats = Arc::new(Stats::new());
//! EventLoop::new(Epoll::new()?, listener, waker, Config::default(), stats)?.run(&mut Echo)
//! # }
//! ```

pub mod backend;
pub mod event_loop;
pub mod framing;
pub mod listener;
pub mod outqueue;
pub mod signal;
pub mod slab;
pub mod stats;
pub mod sys;

pub use backend::{Event, Interest, Readiness};
pub use event_loop::{CloseReason, Config, Conns, EventLoop, Service, Token};
pub use stats::{Stats, StatsSnapshot};
