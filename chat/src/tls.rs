//! TLS for chat, through OpenSSL (the system's libssl): the server's context and its
//! per-connection sessions, and the client's connector.
//!
//! A server session is an `SSL` on the connection's own descriptor (a socket BIO, not a
//! Rust one): OpenSSL reads and writes the socket itself, which is what lets it hand the
//! record layer to the kernel (kTLS) after the handshake. The socket is non-blocking in every
//! model, so each call may end in `WANT_READ` or `WANT_WRITE`: [`TlsSession`] turns those
//! into `WouldBlock` and remembers which readiness the connection waits for
//! ([`Transport::wants_write`]). The event loops drive it through netcore's
//! [`Transport`]; the `threads` and `pool` models through [`TlsSession::handshake_until`]
//! and the same read and write calls in their `poll(2)` loop.
//!
//! A server that reports to `/dev/mydevice` ([`TlsServer::report_to`]) counts its live TLS
//! connections there, and those of them whose records the kernel does (kTLS in either
//! direction): a session counts from its finished handshake until it is dropped.
//!
//! Defaults: TLS 1.3 only (`--tls12` allows 1.2), no renegotiation, no 0-RTT data (OpenSSL
//! accepts none unless told to), a peer that closes without `close_notify` is an ordinary
//! end of stream (chat's lines carry no length a truncation could fake).

use foreign_types::ForeignTypeRef;
use netcore::buffered::transport::{Progress, Transport, Upgrade};
use netcore::Stats;
use openssl::error::ErrorStack;
use openssl::nid::Nid;
use openssl::ssl::{
    HandshakeError, Ssl, SslConnector, SslContext, SslContextBuilder, SslFiletype, SslMethod,
    SslMode, SslOptions, SslRef, SslSessionCacheMode, SslStream, SslVerifyMode, SslVersion,
};
use openssl::x509::X509Name;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::os::fd::AsRawFd;
use std::os::raw::c_int;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

extern "C" {
    // In libssl, which openssl-sys links; openssl-sys does not declare them.
    fn SSL_set_fd(ssl: *mut openssl_sys::SSL, fd: c_int) -> c_int;
    fn SSL_has_pending(ssl: *const openssl_sys::SSL) -> c_int;
    fn SSL_set_read_ahead(ssl: *mut openssl_sys::SSL, yes: c_int);
}

/// One line on stderr in one `write(2)`: `eprintln!` on the unbuffered stderr makes a
/// system call per piece of its format (seven for the line each handshake logs).
fn log_line(args: std::fmt::Arguments) {
    use std::io::Write;
    let mut line = args.to_string();
    line.push('\n');
    let _ = io::stderr().lock().write_all(line.as_bytes());
}

/// `eprintln!`, in one `write(2)` (see [`log_line`]).
macro_rules! log {
    ($($arg:tt)*) => { log_line(format_args!($($arg)*)) };
}

/// `SSL_OP_ENABLE_KTLS` (OpenSSL 3.0), which the `openssl` crate does not name.
const SSL_OP_ENABLE_KTLS: u64 = 1 << 3;
/// `BIO_CTRL_GET_KTLS_SEND` and `BIO_CTRL_GET_KTLS_RECV` (`BIO_get_ktls_send` and
/// `BIO_get_ktls_recv` are macros over `BIO_ctrl`).
const BIO_CTRL_GET_KTLS_SEND: c_int = 73;
const BIO_CTRL_GET_KTLS_RECV: c_int = 76;

/// Whether the kernel takes over the record layer after the handshake.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Ktls {
    /// Where the kernel and OpenSSL can; otherwise OpenSSL does the records.
    Auto,
    /// Required: a connection whose records the kernel did not take is closed.
    On,
    /// Never: OpenSSL does the records.
    #[default]
    Off,
}

/// The server's TLS settings (`chat serve --tls-*`).
#[derive(Debug, Clone)]
pub struct ServerTlsOptions {
    /// PEM: the server's certificate, then any intermediates.
    pub cert: PathBuf,
    /// PEM: its private key.
    pub key: PathBuf,
    /// PEM: the CAs whose client certificates are accepted; `Some` asks every client for one
    /// (mutual TLS).
    pub client_ca: Option<PathBuf>,
    /// Accept TLS 1.2 as well as 1.3.
    pub allow_tls12: bool,
    /// How long a client may take to finish its handshake.
    pub handshake_timeout: Duration,
    pub ktls: Ktls,
    /// Let clients resume sessions (TLS 1.3 session tickets); off, every handshake is full.
    pub resumption: bool,
}

/// What a failed OpenSSL setup call means to a person: the file and OpenSSL's reasons.
fn setup_error(what: &str, e: ErrorStack) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, format!("{what}: {e}"))
}

/// The server's TLS context, shared by every connection.
#[derive(Clone)]
pub struct TlsServer {
    ctx: SslContext,
    handshake_timeout: Duration,
    ktls: Ktls,
    mutual: bool,
    counts: Arc<TlsCounts>,
    /// The server's live counters, where the TLS gauges go (see [`TlsServer::report_to`]).
    stats: Option<Arc<Stats>>,
}

/// How many handshakes finished, and how many of those the kernel took over, per direction:
/// the server's totals, said at its end. (`/dev/mydevice` shows the live connections: the
/// gauges of [`Stats`].)
#[derive(Debug, Default)]
pub struct TlsCounts {
    pub handshakes: AtomicU64,
    pub ktls_send: AtomicU64,
    pub ktls_recv: AtomicU64,
}

impl std::fmt::Display for TlsCounts {
    /// `3 handshakes, 3 with kTLS send, 0 with kTLS recv`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = |c: &AtomicU64| c.load(Ordering::Relaxed);
        write!(
            f,
            "{} handshakes, {} with kTLS send, {} with kTLS recv",
            n(&self.handshakes),
            n(&self.ktls_send),
            n(&self.ktls_recv)
        )
    }
}

impl std::fmt::Debug for TlsServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsServer")
            .field("handshake_timeout", &self.handshake_timeout)
            .field("ktls", &self.ktls)
            .field("mutual", &self.mutual)
            .finish()
    }
}

impl TlsServer {
    /// Loads the certificate and key (and the client CAs) and checks that they match.
    pub fn new(opts: &ServerTlsOptions) -> io::Result<TlsServer> {
        let mut b = SslContextBuilder::new(SslMethod::tls_server())
            .map_err(|e| setup_error("TLS context", e))?;
        let min = if opts.allow_tls12 {
            SslVersion::TLS1_2
        } else {
            SslVersion::TLS1_3
        };
        b.set_min_proto_version(Some(min))
            .map_err(|e| setup_error("TLS version", e))?;
        b.set_certificate_chain_file(&opts.cert)
            .map_err(|e| setup_error(&format!("certificate {}", opts.cert.display()), e))?;
        let mismatch = || {
            format!(
                "private key {} does not match certificate {}",
                opts.key.display(),
                opts.cert.display()
            )
        };
        b.set_private_key_file(&opts.key, SslFiletype::PEM)
            .map_err(|e| {
                let what = if e.to_string().contains("key values mismatch") {
                    mismatch()
                } else {
                    format!("private key {}", opts.key.display())
                };
                setup_error(&what, e)
            })?;
        b.check_private_key()
            .map_err(|e| setup_error(&mismatch(), e))?;
        let mut options = SslOptions::NO_RENEGOTIATION
            | SslOptions::IGNORE_UNEXPECTED_EOF
            | SslOptions::CIPHER_SERVER_PREFERENCE;
        if opts.ktls != Ktls::Off {
            options |= SslOptions::from_bits_retain(SSL_OP_ENABLE_KTLS as _);
        }
        if !opts.resumption {
            // No tickets at all (not even stateful ones, which without a cache would be
            // useless bytes) and no session cache: nothing a client could resume with.
            options |= SslOptions::NO_TICKET;
            b.set_num_tickets(0)
                .map_err(|e| setup_error("TLS session tickets", e))?;
            b.set_session_cache_mode(SslSessionCacheMode::OFF);
        }
        b.set_options(options);
        // Retrying a write with the output queue's bytes, wherever its buffer has moved, and
        // taking a partial write as progress.
        b.set_mode(SslMode::ACCEPT_MOVING_WRITE_BUFFER | SslMode::ENABLE_PARTIAL_WRITE);
        // Read-ahead during the handshake (nginx keeps it on throughout): one `recv` takes
        // the client's whole flight (ClientHello; then ChangeCipherSpec and Finished) instead
        // of two per record, its 5-byte header, then its body. Turned off once the handshake
        // is done (see `TlsSession::handshake`). What is read ahead and not decrypted yet is
        // no longer in the socket, so the loops read again while `TlsSession::buffered`
        // says so.
        b.set_read_ahead(true);
        if let Some(ca) = &opts.client_ca {
            let what = format!("client CA {}", ca.display());
            b.set_ca_file(ca).map_err(|e| setup_error(&what, e))?;
            let names = X509Name::load_client_ca_file(ca).map_err(|e| setup_error(&what, e))?;
            b.set_client_ca_list(names);
            b.set_verify(SslVerifyMode::PEER | SslVerifyMode::FAIL_IF_NO_PEER_CERT);
        }
        Ok(TlsServer {
            ctx: b.build(),
            handshake_timeout: opts.handshake_timeout,
            ktls: opts.ktls,
            mutual: opts.client_ca.is_some(),
            counts: Arc::default(),
            stats: None,
        })
    }

    /// Counts the live TLS connections, and those with kTLS, in `stats`, which from now on
    /// reports them (the device's `TLS` and `KTLS` columns).
    pub fn report_to(&mut self, stats: Arc<Stats>) {
        stats.report_tls();
        self.stats = Some(stats);
    }

    /// The totals of this server's connections, shared with every session.
    pub fn counts(&self) -> Arc<TlsCounts> {
        Arc::clone(&self.counts)
    }

    /// Whether clients must show a certificate from the client CAs.
    pub fn mutual(&self) -> bool {
        self.mutual
    }

    pub fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }

    /// A server session on `stream`'s descriptor (which must outlive it), before its
    /// handshake. `peer` names the client in the log lines (`None`: asked of the socket).
    pub fn session(&self, stream: &TcpStream, peer: Option<SocketAddr>) -> io::Result<TlsSession> {
        let ssl = Ssl::new(&self.ctx).map_err(|e| setup_error("TLS session", e))?;
        // SAFETY: a live SSL and descriptor; the SSL makes a socket BIO that does not close it.
        if unsafe { SSL_set_fd(ssl.as_ptr(), stream.as_raw_fd()) } != 1 {
            return Err(setup_error("SSL_set_fd", ErrorStack::get()));
        }
        let mut ssl = ssl;
        ssl.set_accept_state();
        let peer = peer
            .map_or_else(|| stream.peer_addr(), Ok)
            .map(|a| a.to_string())
            .unwrap_or_else(|_| "?".into());
        Ok(TlsSession {
            ssl,
            peer,
            want_write: false,
            read_blocked: false,
            ktls: self.ktls,
            mutual: self.mutual,
            counts: Arc::clone(&self.counts),
            stats: self.stats.clone(),
            counted: None,
        })
    }
}

impl Upgrade for TlsServer {
    fn upgrade(
        &self,
        stream: &TcpStream,
        peer: Option<SocketAddr>,
    ) -> io::Result<Box<dyn Transport>> {
        Ok(Box::new(self.session(stream, peer)?))
    }
    fn handshake_timeout(&self) -> Duration {
        self.handshake_timeout
    }
}

/// What one OpenSSL I/O call came to.
enum Outcome {
    Done(usize),
    WantRead,
    WantWrite,
    /// The peer's `close_notify` (or its end of the stream).
    Eof,
    Failed(io::Error),
}

/// One server connection's TLS (see the module's documentation).
#[derive(Debug)]
pub struct TlsSession {
    ssl: Ssl,
    peer: String,
    want_write: bool,
    /// The last read needed more from the socket: whatever OpenSSL holds read ahead is (at
    /// most) part of a record, which no read can return before the socket has the rest.
    read_blocked: bool,
    ktls: Ktls,
    /// The client showed a certificate the client CAs vouch for (mutual TLS).
    mutual: bool,
    counts: Arc<TlsCounts>,
    stats: Option<Arc<Stats>>,
    /// Counted in `stats` as a live TLS connection since its handshake; `Some(true)`: with
    /// kTLS. Given back when the session is dropped.
    counted: Option<bool>,
}

impl Drop for TlsSession {
    fn drop(&mut self) {
        if let (Some(stats), Some(ktls)) = (&self.stats, self.counted) {
            stats.tls_closed(ktls);
        }
    }
}

/// Clears the thread's errno and OpenSSL error queue before a call whose failure reads them.
fn clear_errors() {
    // SAFETY: thread-local error state.
    unsafe {
        openssl_sys::ERR_clear_error();
        *libc::__errno_location() = 0;
    }
}

impl TlsSession {
    fn ptr(&self) -> *mut openssl_sys::SSL {
        self.ssl.as_ptr()
    }

    /// Classifies the result `ret` of an OpenSSL call (`n` bytes on success).
    fn outcome(&mut self, ret: c_int, n: usize) -> Outcome {
        if ret > 0 {
            self.want_write = false;
            return Outcome::Done(n);
        }
        let os = io::Error::last_os_error();
        // SAFETY: a live SSL; `ret` is what the call returned.
        let code = unsafe { openssl_sys::SSL_get_error(self.ptr(), ret) };
        let stack = ErrorStack::get();
        match code {
            openssl_sys::SSL_ERROR_WANT_READ => {
                self.want_write = false;
                Outcome::WantRead
            }
            openssl_sys::SSL_ERROR_WANT_WRITE => {
                self.want_write = true;
                Outcome::WantWrite
            }
            openssl_sys::SSL_ERROR_ZERO_RETURN => Outcome::Eof,
            openssl_sys::SSL_ERROR_SYSCALL if stack.errors().is_empty() => {
                match os.raw_os_error() {
                    Some(0) | None => Outcome::Eof,
                    Some(_) => Outcome::Failed(os),
                }
            }
            _ => Outcome::Failed(io::Error::new(
                io::ErrorKind::InvalidData,
                if stack.errors().is_empty() {
                    format!("TLS error {code}")
                } else {
                    stack.to_string()
                },
            )),
        }
    }

    /// `host:port` of the peer, for log lines.
    pub fn peer(&self) -> &str {
        &self.peer
    }

    /// The negotiated version and cipher, e.g. `TLSv1.3 TLS_AES_256_GCM_SHA384`.
    pub fn describe(&self) -> String {
        let cipher = self.ssl.current_cipher().map_or("?", |c| c.name());
        format!("{} {cipher}", self.ssl.version_str())
    }

    /// Whether the kernel encrypts (`.0`) and decrypts (`.1`) this connection's records.
    pub fn ktls(&self) -> (bool, bool) {
        ktls_of(&self.ssl)
    }

    /// The common name of the client's verified certificate (mutual TLS only).
    pub fn peer_common_name(&self) -> Option<String> {
        if !self.mutual {
            return None;
        }
        let cert = self.ssl.peer_certificate()?;
        let entry = cert.subject_name().entries_by_nid(Nid::COMMONNAME).next()?;
        entry.data().to_string().ok()
    }

    /// Reports the finished handshake on stderr, checks the kTLS requirement, and counts the
    /// connection as a live one.
    fn established(&mut self) -> io::Result<()> {
        let (tx, rx) = self.ktls();
        self.counts.handshakes.fetch_add(1, Ordering::Relaxed);
        self.counts
            .ktls_send
            .fetch_add(u64::from(tx), Ordering::Relaxed);
        self.counts
            .ktls_recv
            .fetch_add(u64::from(rx), Ordering::Relaxed);
        let ktls = match (tx, rx) {
            (true, true) => "kTLS send+recv",
            (true, false) => "kTLS send",
            (false, true) => "kTLS recv",
            (false, false) => "kTLS off",
        };
        let who = match self.peer_common_name() {
            Some(cn) => format!(", client {cn:?}"),
            None => String::new(),
        };
        log!("chat: TLS {}: {}, {ktls}{who}", self.peer, self.describe());
        if self.mutual && who.is_empty() {
            log!(
                "chat: TLS {}: the client certificate has no common name, closing",
                self.peer
            );
            return Err(io::Error::other("client certificate without a common name"));
        }
        if self.ktls == Ktls::On && !tx {
            log!(
                "chat: TLS {}: the kernel did not take the records (--ktls on), closing",
                self.peer
            );
            return Err(io::Error::other("kTLS required and not available"));
        }
        if let Some(stats) = &self.stats {
            stats.tls_established(tx || rx);
            self.counted = Some(tx || rx);
        }
        Ok(())
    }

    /// Runs the handshake to its end on a non-blocking socket, waiting in `poll(2)`, until
    /// `deadline` or until `stop` (a descriptor, e.g. the server's stop waker) is readable.
    /// For the threaded models, where a thread may wait for its own client.
    pub fn handshake_until(
        &mut self,
        fd: c_int,
        deadline: Instant,
        stop: Option<c_int>,
    ) -> io::Result<()> {
        loop {
            let events = match self.handshake()? {
                Progress::Done => return Ok(()),
                Progress::WantRead => libc::POLLIN,
                Progress::WantWrite => libc::POLLOUT,
            };
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                log!(
                    "chat: TLS {}: handshake not done in time, dropped",
                    self.peer
                );
                return Err(io::ErrorKind::TimedOut.into());
            }
            let mut fds = [
                libc::pollfd {
                    fd,
                    events,
                    revents: 0,
                },
                libc::pollfd {
                    fd: stop.unwrap_or(-1),
                    events: libc::POLLIN,
                    revents: 0,
                },
            ];
            let ms = left.as_millis().clamp(1, i32::MAX as u128) as c_int;
            // SAFETY: two live pollfds (a negative fd is ignored).
            unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
            if fds[1].revents != 0 {
                return Err(io::Error::other("server stopping"));
            }
        }
    }
}

impl Transport for TlsSession {
    fn handshake(&mut self) -> io::Result<Progress> {
        clear_errors();
        // SAFETY: a live SSL in accept state.
        let ret = unsafe { openssl_sys::SSL_do_handshake(self.ptr()) };
        match self.outcome(ret, 0) {
            Outcome::Done(_) => {
                // Records then come exactly as they are read: a turn of the event loop takes
                // one record from a client, not all its socket holds. With read-ahead on, a
                // publisher's burst became one turn's fan-out of hundreds of KB, queues
                // larger than one record's write per turn (SSL_MODE_ENABLE_PARTIAL_WRITE) and
                // their compaction: 25-50 % more server CPU per message at 500 subscribers.
                // SAFETY: a live SSL; bytes already read ahead stay and are read first.
                unsafe { SSL_set_read_ahead(self.ptr(), 0) };
                self.established()?;
                Ok(Progress::Done)
            }
            Outcome::WantRead => Ok(Progress::WantRead),
            Outcome::WantWrite => Ok(Progress::WantWrite),
            Outcome::Eof => {
                log!("chat: TLS {}: closed during the handshake", self.peer);
                Err(io::ErrorKind::UnexpectedEof.into())
            }
            Outcome::Failed(e) => {
                // OpenSSL's error says only "certificate verify failed"; the verify result
                // says why (expired, unknown CA...), for whoever reads the log.
                let v = self.ssl.verify_result();
                let why = if v.as_raw() != 0 {
                    format!(" (client certificate: {})", v.error_string())
                } else {
                    String::new()
                };
                log!("chat: TLS {}: handshake failed: {e}{why}", self.peer);
                Err(e)
            }
        }
    }

    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        clear_errors();
        let mut n = 0usize;
        // SAFETY: a live SSL; `buf` is writable for its length; `n` receives the count.
        let ret = unsafe {
            openssl_sys::SSL_read_ex(self.ptr(), buf.as_mut_ptr().cast(), buf.len(), &mut n)
        };
        let outcome = self.outcome(ret, n);
        self.read_blocked = matches!(outcome, Outcome::WantRead | Outcome::WantWrite);
        match outcome {
            Outcome::Done(n) => Ok(n),
            Outcome::WantRead | Outcome::WantWrite => Err(io::ErrorKind::WouldBlock.into()),
            Outcome::Eof => Ok(0),
            Outcome::Failed(e) => {
                log!("chat: TLS {}: {e}", self.peer);
                Err(e)
            }
        }
    }

    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        clear_errors();
        let mut n = 0usize;
        // SAFETY: a live SSL; `buf` is readable for its length; `n` receives the count.
        let ret = unsafe {
            openssl_sys::SSL_write_ex(self.ptr(), buf.as_ptr().cast(), buf.len(), &mut n)
        };
        match self.outcome(ret, n) {
            Outcome::Done(n) => Ok(n),
            Outcome::WantRead | Outcome::WantWrite => Err(io::ErrorKind::WouldBlock.into()),
            Outcome::Eof => Err(io::ErrorKind::BrokenPipe.into()),
            Outcome::Failed(e) => Err(e),
        }
    }

    fn wants_write(&self) -> bool {
        self.want_write
    }

    /// Decrypted bytes held; or, when there are none, 1 if OpenSSL holds records read ahead
    /// that the last read did not find incomplete (a read may return them without the
    /// socket). 0 after a read that needs the socket: the caller then waits for readiness
    /// instead of spinning on a partial record.
    fn buffered(&self) -> usize {
        let decrypted = self.ssl.pending();
        if decrypted > 0 || self.read_blocked {
            return decrypted;
        }
        // SAFETY: a live SSL.
        usize::from(unsafe { SSL_has_pending(self.ptr()) } == 1)
    }

    fn peer_name(&self) -> Option<String> {
        self.peer_common_name()
    }

    fn close(&mut self) {
        clear_errors();
        // SAFETY: a live SSL; one `close_notify`, whatever the result.
        unsafe { openssl_sys::SSL_shutdown(self.ptr()) };
        clear_errors();
    }
}

fn ktls_of(ssl: &SslRef) -> (bool, bool) {
    // SAFETY: a live SSL; its BIOs (if any) live as long as it.
    unsafe {
        let wbio = openssl_sys::SSL_get_wbio(ssl.as_ptr());
        let rbio = openssl_sys::SSL_get_rbio(ssl.as_ptr());
        let tx = !wbio.is_null()
            && openssl_sys::BIO_ctrl(wbio, BIO_CTRL_GET_KTLS_SEND, 0, std::ptr::null_mut()) > 0;
        let rx = !rbio.is_null()
            && openssl_sys::BIO_ctrl(rbio, BIO_CTRL_GET_KTLS_RECV, 0, std::ptr::null_mut()) > 0;
        (tx, rx)
    }
}

/// How `chat connect --tls` checks the server.
#[derive(Debug, Clone, Default)]
pub struct ClientTlsOptions {
    /// PEM: the CAs to trust instead of the system's.
    pub ca: Option<PathBuf>,
    /// Skip every check of the server's certificate and name.
    pub insecure: bool,
    /// PEM: a client certificate and its key, for a server that asks for one.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

/// The host part of `HOST:PORT` (`[v6]:port` too), the name the certificate must carry.
pub fn host_of(addr: &str) -> &str {
    let host = match addr.rfind(':') {
        Some(i) if !addr[..i].contains(']') && addr[..i].contains(':') => addr, // bare IPv6
        Some(i) => &addr[..i],
        None => addr,
    };
    host.trim_start_matches('[').trim_end_matches(']')
}

/// Connects TLS over `stream` to the server named `host`, verifying its certificate and
/// name unless `insecure`. Blocking.
pub fn connect(
    stream: TcpStream,
    host: &str,
    opts: &ClientTlsOptions,
) -> io::Result<SslStream<TcpStream>> {
    let mut b =
        SslConnector::builder(SslMethod::tls_client()).map_err(|e| setup_error("TLS", e))?;
    if let Some(ca) = &opts.ca {
        b.set_ca_file(ca)
            .map_err(|e| setup_error(&format!("CA file {}", ca.display()), e))?;
    }
    if let Some(cert) = &opts.cert {
        b.set_certificate_chain_file(cert)
            .map_err(|e| setup_error(&format!("certificate {}", cert.display()), e))?;
        let key = opts.key.as_ref().unwrap_or(cert);
        b.set_private_key_file(key, SslFiletype::PEM)
            .map_err(|e| setup_error(&format!("private key {}", key.display()), e))?;
    }
    if opts.insecure {
        b.set_verify(SslVerifyMode::NONE);
    }
    let mut config = b.build().configure().map_err(|e| setup_error("TLS", e))?;
    if opts.insecure {
        config.set_verify_hostname(false);
    }
    config.connect(host, stream).map_err(|e| {
        let why = match &e {
            HandshakeError::Failure(mid) | HandshakeError::WouldBlock(mid) => {
                let v = mid.ssl().verify_result();
                if v.as_raw() != 0 {
                    format!("certificate: {}", v.error_string())
                } else {
                    mid.error().to_string()
                }
            }
            HandshakeError::SetupFailure(stack) => stack.to_string(),
        };
        io::Error::new(
            io::ErrorKind::ConnectionRefused,
            format!("TLS handshake with {host} failed: {why}"),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_of_addresses() {
        assert_eq!(host_of("localhost:7000"), "localhost");
        assert_eq!(host_of("127.0.0.1:7000"), "127.0.0.1");
        assert_eq!(host_of("[::1]:7000"), "::1");
        assert_eq!(host_of("chat.example"), "chat.example");
    }
}
