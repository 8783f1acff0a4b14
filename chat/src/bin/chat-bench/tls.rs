//! The load generator's side of TLS: one client context for every server measured, and a
//! connection ([`Conn`], chat's own client type) that is plain TCP or TLS over it.
//!
//! Every server gets the same offer: TLS 1.3 only, the one cipher suite [`CIPHER`], the one
//! key exchange group [`GROUP`], the server's certificate verified against the benchmark's
//! own (self-signed, from `chat gen-cert`) for the name 127.0.0.1. A handshake that ends
//! with anything else is an error, so no row is measured with another cipher by mistake.
//! The client never offers a session to resume; it counts the session tickets servers send
//! (the handshake rows require none: resumption off on both sides).
//!
//! Reading is made cheap for the client, whichever server it measures: OpenSSL reads ahead
//! into a [`READ_BUFFER`]-byte buffer, so one `recv` brings every record the socket holds
//! (up to that size) instead of two `recv`s (header, then body) per record. A reader must
//! then keep reading while [`Conn::has_pending`]: those records are no longer in the socket.

pub use chat::conn::Conn;
use foreign_types::ForeignTypeRef;
use openssl::ssl::{
    SslConnector, SslMethod, SslSessionCacheMode, SslStream, SslVerifyMode, SslVersion,
};
use std::io;
use std::net::TcpStream;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The cipher suite of every TLS row (one kTLS supports).
pub const CIPHER: &str = "TLS_AES_128_GCM_SHA256";
/// The key exchange group of every TLS row.
pub const GROUP: &str = "X25519";

/// Bytes OpenSSL reads from the socket at once (read-ahead): several 16 KiB records.
pub const READ_BUFFER: usize = 64 * 1024;

extern "C" {
    // In libssl (1.1.0 and later); openssl-sys does not declare it.
    fn SSL_CTX_set_default_read_buffer_len(ctx: *mut openssl_sys::SSL_CTX, len: usize);
}

/// `SSL_ctrl` command of `SSL_get_negotiated_group` (a macro in OpenSSL 3.0's ssl.h).
const SSL_CTRL_GET_NEGOTIATED_GROUP: libc::c_int = 134;
/// OpenSSL's NID of X25519 ([`GROUP`]).
const NID_X25519: libc::c_long = 1034;

/// The client context shared by all the connections of a run.
#[derive(Clone)]
pub struct TlsClient {
    connector: SslConnector,
    tickets: Arc<AtomicU64>,
}

impl std::fmt::Debug for TlsClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsClient")
            .field("tickets", &self.tickets())
            .finish()
    }
}

fn err(what: &str, e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("{what}: {e}"))
}

impl TlsClient {
    /// A client trusting `ca` (PEM) only.
    pub fn new(ca: &Path) -> io::Result<TlsClient> {
        let mut b = SslConnector::builder(SslMethod::tls_client()).map_err(|e| err("TLS", e))?;
        b.set_min_proto_version(Some(SslVersion::TLS1_3))
            .and_then(|_| b.set_max_proto_version(Some(SslVersion::TLS1_3)))
            .map_err(|e| err("TLS version", e))?;
        b.set_ciphersuites(CIPHER).map_err(|e| err(CIPHER, e))?;
        b.set_groups_list(GROUP).map_err(|e| err(GROUP, e))?;
        b.set_ca_file(ca)
            .map_err(|e| err(&format!("CA {}", ca.display()), e))?;
        b.set_verify(SslVerifyMode::PEER);
        b.set_read_ahead(true);
        // SAFETY: a live SSL_CTX, not yet shared; sessions made from it take this length.
        unsafe { SSL_CTX_set_default_read_buffer_len(b.as_ptr(), READ_BUFFER) };
        // Sessions are only counted (each is a ticket the server sent), never kept or offered.
        let tickets = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&tickets);
        b.set_session_cache_mode(
            SslSessionCacheMode::CLIENT | SslSessionCacheMode::NO_INTERNAL_STORE,
        );
        b.set_new_session_callback(move |_, _| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        Ok(TlsClient {
            connector: b.build(),
            tickets,
        })
    }

    /// Session tickets received so far, by every connection of this client.
    pub fn tickets(&self) -> u64 {
        self.tickets.load(Ordering::Relaxed)
    }

    /// A full handshake over `stream` (blocking; its timeouts bound it), verifying the
    /// server as 127.0.0.1 and checking the version, cipher suite and group it chose.
    pub fn connect(&self, stream: TcpStream) -> io::Result<SslStream<TcpStream>> {
        let host = stream.peer_addr()?.ip().to_string();
        let s = self
            .connector
            .configure()
            .map_err(|e| err("TLS", e))?
            .connect(&host, stream)
            .map_err(|e| err("TLS handshake", e))?;
        let cipher = s.ssl().current_cipher().map_or("?", |c| c.name());
        if cipher != CIPHER || s.ssl().version_str() != "TLSv1.3" {
            return Err(io::Error::other(format!(
                "the server chose {} {cipher}, not TLSv1.3 {CIPHER}",
                s.ssl().version_str()
            )));
        }
        // SAFETY: a live SSL; this control only reads the negotiated group's NID.
        let group = unsafe {
            openssl_sys::SSL_ctrl(
                s.ssl().as_ptr(),
                SSL_CTRL_GET_NEGOTIATED_GROUP,
                0,
                std::ptr::null_mut(),
            )
        };
        if group != NID_X25519 {
            return Err(io::Error::other(format!(
                "the server chose key exchange group NID {group}, not {GROUP}"
            )));
        }
        if s.ssl().session_reused() {
            return Err(io::Error::other("a session was resumed"));
        }
        Ok(s)
    }
}

/// A load generator's connection: `stream`, with TLS over it if `tls` (handshake done).
pub fn over(stream: TcpStream, tls: Option<&TlsClient>) -> io::Result<Conn> {
    Ok(match tls {
        Some(t) => Conn::Tls(Box::new(t.connect(stream)?)),
        None => Conn::Plain(stream),
    })
}
