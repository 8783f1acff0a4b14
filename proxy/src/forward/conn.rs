//! A proxied connection: the client, the upstream once connected, and the two directions
//! between them. It says what each socket waits for, moves bytes when the server says a
//! socket is ready, and says when and how it ended. A failure on one socket is carried to
//! the other as a reset (`SO_LINGER` 0 before the close), as the peer would see it directly.

use crate::forward::direction::{Direction, Failure};
use crate::sys;
use netcore::Interest;
use std::fmt;
use std::io;
use std::net::{SocketAddr, TcpStream};
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
    /// No upstream could be connected to.
    NoUpstream,
    /// Over `--max-connections`.
    Refused,
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
            End::NoUpstream => write!(f, "no-upstream"),
            End::Refused => write!(f, "refused (max-connections)"),
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
    /// Index of the upstream tried first, and how many were tried.
    pub(crate) first: usize,
    pub(crate) attempts: usize,
    /// The upstream in use (or last tried), for the log line.
    pub(crate) upstream_index: Option<usize>,
    /// Client to upstream, and upstream to client.
    pub(crate) up: Direction,
    pub(crate) down: Direction,
    pub(crate) started: Instant,
    /// What each socket is registered for (`None`: not registered).
    pub(crate) client_reg: Option<Interest>,
    pub(crate) upstream_reg: Option<Interest>,
}

impl Conn {
    pub(crate) fn new(
        client: TcpStream,
        client_addr: Option<SocketAddr>,
        first: usize,
    ) -> io::Result<Conn> {
        Ok(Conn {
            client,
            client_addr,
            upstream: None,
            connected: false,
            first,
            attempts: 0,
            upstream_index: None,
            up: Direction::new()?,
            down: Direction::new()?,
            started: Instant::now(),
            client_reg: None,
            upstream_reg: None,
        })
    }

    /// What the client and the upstream should be watched for now.
    pub(crate) fn interests(&self) -> (Interest, Interest) {
        if !self.connected {
            // Early client bytes wait in the pipe; the upstream's writability ends the connect.
            let client = Interest {
                readable: self.up.wants_read(),
                writable: false,
            };
            return (client, Interest::WRITE);
        }
        let client = Interest {
            readable: self.up.wants_read(),
            writable: self.down.wants_write(),
        };
        let upstream = Interest {
            readable: self.down.wants_read(),
            writable: self.up.wants_write(),
        };
        (client, upstream)
    }

    /// Moves what can be moved in both directions. `Ok(true)`: progress (for the idle timer);
    /// `Err`: the connection is over.
    pub(crate) fn drive(&mut self) -> Result<bool, End> {
        let Some(upstream) = self.upstream.as_ref().filter(|_| self.connected) else {
            // Still connecting: only read early client bytes into the pipe.
            return self.up.fill(&self.client).map_err(|f| match f {
                Failure::Source(e) | Failure::Sink(e) => End::ClientError(e),
            });
        };
        let up = self.up.pump(&self.client, upstream).map_err(|f| match f {
            Failure::Source(e) => End::ClientError(e),
            Failure::Sink(e) => End::UpstreamError(e),
        })?;
        let down = self
            .down
            .pump(upstream, &self.client)
            .map_err(|f| match f {
                Failure::Source(e) => End::UpstreamError(e),
                Failure::Sink(e) => End::ClientError(e),
            })?;
        if self.up.done() && self.down.done() {
            return Err(End::Closed);
        }
        Ok(up || down)
    }

    /// Prepares the close for `end`: an error on one side becomes a reset on the other.
    pub(crate) fn carry(&self, end: &End) {
        match end {
            End::ClientError(_) => {
                if let Some(u) = &self.upstream {
                    sys::set_linger_zero(u);
                }
            }
            End::UpstreamError(_) | End::Refused | End::NoUpstream => {
                sys::set_linger_zero(&self.client)
            }
            _ => {}
        }
    }
}
