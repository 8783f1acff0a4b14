//! A proxied connection: the client, the upstream once connected, and the two directions
//! between them. It says what each socket waits for, moves bytes when the server says a
//! socket is ready, and says when and how it ended. A failure on one socket is carried to
//! the other as a reset (`SO_LINGER` 0 before the close), as the peer would see it directly.

use crate::config::Forward;
use crate::forward::direction::{Direction, Failure};
use crate::forward::pipes::Pipes;
use crate::server::upstreams::{Group, Lease};
use netcore::reactor::reset::linger_zero;
use netcore::reactor::send::send;
use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpStream};
use std::rc::Rc;
use std::time::Instant;

/// How a connection ended, for its log line.
#[derive(Debug)]
pub(crate) enum End {
    /// Both directions finished with EOF.
    Closed,
    /// An error on the client's socket (a reset), carried to the upstream as a reset.
    ClientError(io::Error),
    /// An error on the upstream's socket (a reset), carried to the client as a reset.
    UpstreamError(io::Error),
    Idle,
    /// Over the total timeout (a connection's whole life).
    Lifetime,
    /// Still open when a drain (SIGQUIT) ran out of time.
    DrainTimeout,
    /// No upstream could be connected to.
    NoUpstream,
    /// The proxy stopped (SIGINT, SIGTERM).
    Stopped,
}

impl fmt::Display for End {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            End::Closed => write!(f, "closed"),
            End::ClientError(e) => write!(f, "client-error ({e})"),
            End::UpstreamError(e) => write!(f, "upstream-error ({e})"),
            End::Idle => write!(f, "idle-timeout"),
            End::Lifetime => write!(f, "total-timeout"),
            End::DrainTimeout => write!(f, "drain-timeout"),
            End::NoUpstream => write!(f, "no-upstream"),
            End::Stopped => write!(f, "stopped"),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) client: TcpStream,
    pub(crate) client_addr: Option<SocketAddr>,
    /// The upstream socket; connected once `connected` is set.
    pub(crate) upstream: Option<TcpStream>,
    pub(crate) connected: bool,
    /// The group its listener sends it to (the one current when it came, kept across a
    /// reload), where its turn starts, and the servers it tried.
    pub(crate) group: Rc<Group>,
    pub(crate) first: usize,
    pub(crate) tried: Vec<SocketAddr>,
    /// The server in use (or being connected to); counted in its connections while held.
    pub(crate) lease: Option<Lease>,
    /// Client to upstream, and upstream to client.
    pub(crate) up: Direction,
    pub(crate) down: Direction,
    pub(crate) started: Instant,
    /// Bytes for the server before any of the client's (the PROXY protocol header), and
    /// how many of them were sent.
    pub(crate) preamble: Vec<u8>,
    pub(crate) preamble_sent: usize,
    /// In the loop's list of connections to drive again next turn.
    pub(crate) again: bool,
}

impl Conn {
    pub(crate) fn new(
        client: TcpStream,
        client_addr: Option<SocketAddr>,
        group: Rc<Group>,
        forward: Forward,
    ) -> Conn {
        let first = group.start();
        Conn {
            client,
            client_addr,
            upstream: None,
            connected: false,
            group,
            first,
            tried: Vec::new(),
            lease: None,
            up: Direction::new(forward),
            // The upstream is registered before it is connected: its first bytes bring a
            // wake-up, so it is not read (for an EAGAIN) when the connect completes.
            down: Direction::until_readable(forward),
            started: Instant::now(),
            preamble: Vec::new(),
            preamble_sent: 0,
            again: false,
        }
    }

    /// A direction stopped at its per-call limit with bytes still to move: drive it again
    /// without waiting for an event.
    pub(crate) fn busy(&self) -> bool {
        self.up.busy() || self.down.busy()
    }

    /// Moves what can be moved in both directions. `Ok(true)`: progress (for the idle timer);
    /// `Err`: the connection is over.
    /// Pipes come from `pipes` while bytes are in flight and go back to it once delivered.
    pub(crate) fn drive(&mut self, pipes: &mut Pipes) -> Result<bool, End> {
        let Some(upstream) = self.upstream.as_ref().filter(|_| self.connected) else {
            // Still connecting: nothing to move yet.
            return Ok(false);
        };
        if self.preamble_left() {
            match send(upstream, &self.preamble[self.preamble_sent..], false) {
                Ok(n) => self.preamble_sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(End::UpstreamError(e)),
            }
            if self.preamble_left() {
                // The client's bytes wait in the pipe until the header is out.
                return self.up.fill(&self.client, pipes).map_err(|f| match f {
                    Failure::Source(e) | Failure::Sink(e) => End::ClientError(e),
                });
            }
        }
        // A direction that ends after the other one did is not shut: the close follows.
        let down_done = self.down.done();
        let up = self
            .up
            .pump(&self.client, upstream, pipes, down_done)
            .map_err(|f| match f {
                Failure::Source(e) => End::ClientError(e),
                Failure::Sink(e) => End::UpstreamError(e),
            })?;
        let down = self
            .down
            .pump(upstream, &self.client, pipes, self.up.done())
            .map_err(|f| match f {
                Failure::Source(e) => End::UpstreamError(e),
                Failure::Sink(e) => End::ClientError(e),
            })?;
        if self.up.done() && self.down.done() {
            return Err(End::Closed);
        }
        Ok(up || down)
    }

    /// A socket was reported ready for reading (`hung_up`: its peer shut its side, or it
    /// failed): its direction may read again.
    pub(crate) fn readable(&mut self, upstream_side: bool, hung_up: bool) {
        if upstream_side {
            self.down.readable(hung_up);
        } else {
            self.up.readable(hung_up);
        }
    }

    /// Gives back the pipes it holds, the connection being over.
    pub(crate) fn release(&mut self, pipes: &mut Pipes) {
        self.up.release(pipes);
        self.down.release(pipes);
    }

    fn preamble_left(&self) -> bool {
        self.preamble_sent < self.preamble.len()
    }

    /// The server in use or last tried, for the log line.
    pub(crate) fn upstream_addr(&self) -> Option<SocketAddr> {
        self.lease
            .as_ref()
            .map(|l| l.0.addr)
            .or_else(|| self.tried.last().copied())
    }

    /// Prepares the close for `end`: an error on one side becomes a reset on the other.
    pub(crate) fn carry(&self, end: &End) {
        match end {
            End::ClientError(_) => {
                if let Some(u) = &self.upstream {
                    linger_zero(u);
                }
            }
            End::UpstreamError(_) | End::NoUpstream => linger_zero(&self.client),
            _ => {}
        }
    }
}
