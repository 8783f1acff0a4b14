//! A layer between a connection's socket and the service: TLS, set up by a handshake after
//! the accept, then carrying the connection's bytes both ways.
//!
//! netcore itself knows no cryptography: a listener added with
//! [`EventLoop::add_listener`](crate::EventLoop::add_listener) and an [`Upgrade`] wraps
//! each accepted socket in the [`Transport`] the upgrade makes (the chat server's is OpenSSL).
//! The loop then drives it without ever blocking:
//!
//! - **Handshake.** Until [`Transport::handshake`] says [`Progress::Done`], the connection
//!   is not the service's: no `on_open`, no data. Each readiness of the socket advances the
//!   handshake by what the bytes at hand allow; [`Progress::WantRead`] and
//!   [`Progress::WantWrite`] say which readiness to wait for next. A handshake not done after
//!   [`Upgrade::handshake_timeout`] is dropped, so a client that stops mid-handshake costs a
//!   descriptor for that long and stalls no one. A failed handshake is closed at once; the
//!   transport says why in its own log line.
//! - **Records.** Reads and writes go through the transport; a read or write that cannot go
//!   on returns [`io::ErrorKind::WouldBlock`], and [`Transport::wants_write`] says whether
//!   it waits for the socket to be writable (TLS may have to write to read: a key update's
//!   answer) rather than readable. Bytes the transport already holds, decrypted or read
//!   ahead ([`Transport::buffered`]), are read at once, since the socket will not say
//!   readable for them.
//! - **Close.** A graceful close flushes the queued output, then [`Transport::close`] (the
//!   TLS `close_notify`), then closes the socket.

use std::io;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Where a handshake stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Set up: the connection carries data now.
    Done,
    /// Waiting for the socket to be readable.
    WantRead,
    /// Waiting for the socket to be writable.
    WantWrite,
}

/// A connection's layer over its socket (see the module's documentation).
pub trait Transport: std::fmt::Debug + Send {
    /// Advances the handshake as far as the socket allows. An error ends the connection.
    fn handshake(&mut self) -> io::Result<Progress>;
    /// Reads decrypted bytes: `Ok(0)` at the peer's end of the stream, `WouldBlock` when
    /// nothing is at hand yet.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize>;
    /// Writes bytes from the front of `buf` (a partial write is fine). After `WouldBlock`
    /// the next call must pass the same bytes again at the front, possibly with more after
    /// them: an output queue that only grows at its tail does that by itself.
    fn write(&mut self, buf: &[u8]) -> io::Result<usize>;
    /// The last `read`, `write` or handshake that would block waits for writability.
    fn wants_write(&self) -> bool;
    /// Bytes held that a `read` can return without the socket (decrypted, or whole records
    /// read ahead), not read yet: while non-zero, read again. A transport returns 0 when its
    /// last read needed the socket (e.g. it holds part of a record), so the caller waits for
    /// readiness instead of looping.
    fn buffered(&self) -> usize;
    /// Says goodbye in the protocol (TLS `close_notify`): best effort, never blocks.
    fn close(&mut self);
    /// The peer's name as the handshake verified it (a TLS client certificate's subject),
    /// if it did.
    fn peer_name(&self) -> Option<String> {
        None
    }
}

/// Lets `OutQueue::write_once` write through a transport.
pub struct Writer<'a>(pub &'a mut dyn Transport);

impl io::Write for Writer<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Makes the transport of each connection accepted on a listener.
pub trait Upgrade: Send {
    /// The transport over `stream` (already non-blocking), before its handshake; an error
    /// closes the connection. `peer` is the address `accept` gave (`None`: unknown), so the
    /// transport need not ask the kernel again.
    fn upgrade(
        &self,
        stream: &TcpStream,
        peer: Option<SocketAddr>,
    ) -> io::Result<Box<dyn Transport>>;
    /// How long a handshake may take before the connection is dropped.
    fn handshake_timeout(&self) -> Duration;
}
