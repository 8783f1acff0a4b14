//! One direction of a connection: a source socket, a pipe, a sink socket. Bytes are spliced
//! from the source into the pipe and from the pipe into the sink, so they never enter user
//! space. Backpressure: the source is read only while the pipe is empty, so a slow sink
//! stops the reading and the memory held is at most one pipe's capacity. The source's EOF
//! becomes `shutdown(SHUT_WR)` on the sink once the pipe is empty (the half-close carried).

use crate::sys;
use netcore::reactor::send::{shutdown_write, splice};
use std::io;
use std::net::TcpStream;
use std::os::fd::{AsFd, OwnedFd};

/// The most one splice from the source moves: the default pipe capacity.
const CHUNK: usize = 64 * 1024;
/// Splices per call, so one busy connection cannot starve the others in a turn.
const ROUNDS: usize = 16;

/// Which socket a direction failed on.
#[derive(Debug)]
pub(crate) enum Failure {
    Source(io::Error),
    Sink(io::Error),
}

#[derive(Debug)]
pub(crate) struct Direction {
    pipe_r: OwnedFd,
    pipe_w: OwnedFd,
    /// Bytes in the pipe, not yet in the sink.
    in_pipe: usize,
    /// The source said EOF.
    eof: bool,
    /// The sink was shut for writing: this direction is done.
    shut: bool,
    /// Bytes delivered to the sink.
    pub(crate) bytes: u64,
}

impl Direction {
    pub(crate) fn new() -> io::Result<Direction> {
        let (pipe_r, pipe_w) = sys::pipe()?;
        Ok(Direction {
            pipe_r,
            pipe_w,
            in_pipe: 0,
            eof: false,
            shut: false,
            bytes: 0,
        })
    }

    /// The source should be watched for readability.
    pub(crate) fn wants_read(&self) -> bool {
        !self.eof && self.in_pipe == 0
    }

    /// The sink should be watched for writability.
    pub(crate) fn wants_write(&self) -> bool {
        self.in_pipe > 0
    }

    pub(crate) fn done(&self) -> bool {
        self.shut
    }

    /// Reads from the source into an empty pipe, without writing (the sink is not connected
    /// yet). `Ok(true)`: something happened (bytes or EOF).
    pub(crate) fn fill(&mut self, source: &TcpStream) -> Result<bool, Failure> {
        if !self.wants_read() {
            return Ok(false);
        }
        match splice(source.as_fd(), self.pipe_w.as_fd(), CHUNK, false) {
            Ok(0) => self.eof = true,
            Ok(n) => self.in_pipe += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) => return Err(Failure::Source(e)),
        }
        Ok(true)
    }

    /// Moves what can be moved now: the pipe into the sink, then (pipe empty) the source into
    /// the pipe, then again; at EOF with the pipe empty, shuts the sink for writing.
    /// `Ok(true)`: progress was made (for the idle timer).
    pub(crate) fn pump(&mut self, source: &TcpStream, sink: &TcpStream) -> Result<bool, Failure> {
        let mut moved = false;
        for _ in 0..ROUNDS {
            if self.in_pipe > 0 {
                match splice(self.pipe_r.as_fd(), sink.as_fd(), self.in_pipe, false) {
                    Ok(n) => {
                        self.in_pipe -= n.min(self.in_pipe);
                        self.bytes += n as u64;
                        moved = true;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(Failure::Sink(e)),
                }
            } else if self.eof {
                if !self.shut {
                    shutdown_write(sink);
                    self.shut = true;
                    moved = true;
                }
                break;
            } else if !self.fill(source)? {
                break;
            } else {
                moved = true;
            }
        }
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;

    fn pair() -> (TcpStream, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (s, _) = l.accept().unwrap();
        s.set_nonblocking(true).unwrap();
        (c, s)
    }

    #[test]
    fn stops_reading_while_the_pipe_holds_bytes_and_carries_the_eof() {
        let (mut a_peer, a) = pair();
        let (b, mut b_peer) = pair();
        let mut d = Direction::new().unwrap();
        a_peer.write_all(b"hello").unwrap();
        drop(a_peer);
        while d.bytes < 5 || !d.done() {
            d.pump(&a, &b).unwrap();
        }
        assert!(!d.wants_read() && !d.wants_write());
        let mut got = String::new();
        b_peer.read_to_string(&mut got).unwrap();
        assert_eq!(got, "hello");
    }
}
