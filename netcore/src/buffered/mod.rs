//! Buffered connections: the upper of netcore's two layers, for servers that speak in
//! messages rather than files. The [`EventLoop`] accepts, reads into a [`Service`], queues
//! what the service sends in a bounded [`OutQueue`](outqueue::OutQueue) per connection and
//! writes each queue once per turn, closes idle connections and cuts off slow consumers. It
//! sits on [`crate::reactor`]; a server that must hand bodies to `sendfile` or `splice` uses
//! the reactor directly instead.
//!
//! | module | what it is for |
//! |---|---|
//! | [`event_loop`] | the single-threaded non-blocking loop and the [`Service`] trait |
//! | [`outqueue`] | a connection's bounded outbound byte queue, flushed with one write per turn |
//! | [`framing`] | splitting a byte stream into bounded lines (`\n` or `\r\n`) |
//! | [`transport`] | a layer between socket and service (TLS): handshake, records, close |

pub mod event_loop;
pub mod framing;
pub mod outqueue;
pub mod transport;

pub use event_loop::{CloseReason, Config, Conns, EventLoop, Service, Token};
