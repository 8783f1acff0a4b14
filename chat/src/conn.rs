//! A client's connection to a chat (or any line) server: plain TCP, or TLS over it.
//!
//! One type for the two clients: `chat connect` ([`crate::client`]) and the load generator
//! (`chat-bench`). Both poll the descriptor themselves, so besides `Read` and `Write` it
//! gives the socket's descriptor and the bytes OpenSSL has already decrypted, which the
//! socket will not signal as readable.

use foreign_types::ForeignTypeRef;
use openssl::ssl::SslStream;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::os::fd::{AsRawFd, RawFd};
use std::os::raw::c_int;

extern "C" {
    // In libssl (1.1.0 and later), which openssl-sys links; openssl-sys does not declare it.
    fn SSL_has_pending(ssl: *const openssl_sys::SSL) -> c_int;
}

/// The connection to the server: plain, or TLS over it.
pub enum Conn {
    Plain(TcpStream),
    Tls(Box<SslStream<TcpStream>>),
}

impl Conn {
    fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(s) => s,
            Conn::Tls(s) => s.get_ref(),
        }
    }

    /// The TCP socket's descriptor (to poll).
    pub fn fd(&self) -> RawFd {
        self.tcp().as_raw_fd()
    }

    /// Puts the TCP socket in (or out of) non-blocking mode.
    pub fn set_nonblocking(&self, on: bool) -> io::Result<()> {
        self.tcp().set_nonblocking(on)
    }

    /// Decrypted bytes OpenSSL holds that the socket will not signal as readable.
    pub fn pending(&self) -> usize {
        match self {
            Conn::Plain(_) => 0,
            Conn::Tls(s) => s.ssl().pending(),
        }
    }

    /// Whether OpenSSL holds bytes the socket will not signal as readable: decrypted ones,
    /// or, with read-ahead, records it has read from the socket but not yet decrypted
    /// (which [`Conn::pending`] does not count).
    pub fn has_pending(&self) -> bool {
        match self {
            Conn::Plain(_) => false,
            // SAFETY: a live SSL, only read.
            Conn::Tls(s) => (unsafe { SSL_has_pending(s.ssl().as_ptr()) }) == 1,
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
        }
    }
}
