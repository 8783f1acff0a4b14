//! The handshake load: connections opened, TLS handshake done, closed, as fast as the server
//! takes them, from `conns` threads at once for a fixed time.
//!
//! A handshake counts once the client has the server's first application bytes (chat's
//! greeting, nginx's `return` line): the server has then finished its side too. The client
//! reads nothing more and closes. Every handshake is a full one (the client never offers a
//! session); a server that sends session tickets anyway, or chooses another cipher suite,
//! voids the run.
//!
//! The client is the pinned one ([`PinnedClient`]: cheaper than the server, so a server on
//! its own core is the limit) or, to compare, OpenSSL's verifying one ([`TlsClient`]).

use crate::load::cpu;
use crate::pinned::PinnedClient;
use crate::tls::TlsClient;
use std::io::{self, Read};
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The TLS client of a handshake run.
#[derive(Clone, Debug)]
pub enum Client {
    /// The server's certificate pinned, its signature unchecked ([`crate::pinned`]).
    Pinned(PinnedClient),
    /// OpenSSL's, verifying the certificate as any client does.
    Verifying(TlsClient),
}

impl Client {
    fn tickets(&self) -> u64 {
        match self {
            Client::Pinned(c) => c.tickets(),
            Client::Verifying(c) => c.tickets(),
        }
    }
}

pub struct HandshakeSpec {
    pub addr: SocketAddr,
    pub tls: Client,
    /// Connections in flight at once (one thread each).
    pub conns: usize,
    pub duration: Duration,
    pub server_pid: Option<u32>,
}

pub struct HandshakeResult {
    pub handshakes: u64,
    pub seconds: f64,
    /// Server CPU time over the run divided by wall time (1.0 = one core busy).
    pub server_cpu: Option<f64>,
    pub client_cpu: Option<f64>,
    pub void: Option<String>,
}

impl HandshakeResult {
    pub fn void(why: String) -> HandshakeResult {
        HandshakeResult {
            handshakes: 0,
            seconds: 0.0,
            server_cpu: None,
            client_cpu: None,
            void: Some(why),
        }
    }

    pub fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.handshakes as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// Server CPU microseconds per handshake.
    pub fn server_us_per_handshake(&self) -> Option<f64> {
        let cpu = self.server_cpu? * self.seconds;
        (self.handshakes > 0).then(|| cpu * 1e6 / self.handshakes as f64)
    }
}

/// One handshake, up to the server's first application bytes.
fn handshake(addr: SocketAddr, tls: &Client) -> io::Result<()> {
    let s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.set_write_timeout(Some(Duration::from_secs(10)))?;
    s.set_nodelay(true)?;
    let mut byte = [0u8; 1];
    let n = match tls {
        Client::Pinned(c) => c.connect(s)?.read(&mut byte)?,
        Client::Verifying(c) => c.connect(s)?.read(&mut byte)?,
    };
    match n {
        0 => Err(io::Error::other("closed before its first line")),
        _ => Ok(()),
    }
}

pub fn run(spec: &HandshakeSpec) -> HandshakeResult {
    let count = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let failure: Mutex<Option<String>> = Mutex::new(None);
    let tickets_before = spec.tls.tickets();
    let cpu_start = cpu(spec.server_pid);
    let own_start = crate::load::own_cpu();
    let started = Instant::now();
    let deadline = started + spec.duration;
    std::thread::scope(|scope| {
        for _ in 0..spec.conns.max(1) {
            let tls = spec.tls.clone();
            let (count, stop, failure) = (&count, &stop, &failure);
            scope.spawn(move || {
                while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                    match handshake(spec.addr, &tls) {
                        Ok(()) => {
                            count.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => {
                            stop.store(true, Ordering::Relaxed);
                            if let Ok(mut f) = failure.lock() {
                                f.get_or_insert_with(|| format!("handshake: {e}"));
                            }
                        }
                    }
                }
            });
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    let per_second = |a: Option<f64>, b: Option<f64>| match (a, b) {
        (Some(a), Some(b)) if seconds > 0.0 => Some((b - a) / seconds),
        _ => None,
    };
    let server_cpu = per_second(cpu_start, cpu(spec.server_pid));
    let client_cpu = per_second(own_start, crate::load::own_cpu());
    let handshakes = count.load(Ordering::Relaxed);
    let tickets = spec.tls.tickets() - tickets_before;
    let mut void = failure.into_inner().unwrap_or_else(|e| e.into_inner());
    if void.is_none() && tickets > 0 {
        void = Some(format!(
            "resumption is on: {tickets} session tickets for {handshakes} handshakes"
        ));
    }
    if void.is_none() && handshakes == 0 {
        void = Some("no handshake finished".into());
    }
    HandshakeResult {
        handshakes,
        seconds,
        server_cpu,
        client_cpu,
        void,
    }
}
