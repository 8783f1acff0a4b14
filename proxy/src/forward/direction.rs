//! One direction of a connection: a source socket, a pipe, a sink socket. Bytes are spliced
//! from the source into the pipe and from the pipe into the sink, so they never enter user
//! space. Backpressure: the source is read only while the pipe is empty, so a slow sink
//! stops the reading and the memory held is at most one pipe's capacity. The source's EOF
//! becomes `shutdown(SHUT_WR)` on the sink once the pipe is empty (the half-close carried).
//!
//! The copying fallback: where a descriptor refuses splice (`EINVAL`: a socket type without
//! splice support), or when asked (`forward copy`, to compare), the direction reads into a
//! buffer of the pipe's size and sends from it instead, with the same backpressure (the
//! source is read only while the buffer is empty) and the same half-close. Bytes already in
//! the pipe when splice is refused are taken out of it into the buffer first.

use crate::sys;
use netcore::reactor::send::{send, splice};
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

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
    /// The copying fallback's buffer (`None`: splicing); `in_pipe` bytes from `at` wait in it.
    copy: Option<Box<[u8]>>,
    at: usize,
}

/// Whether a splice error means "this descriptor does not do splice": copy instead.
fn refused(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
    )
}

impl Direction {
    /// A direction that splices, or copies from the start if `copy`.
    pub(crate) fn new(copy: bool) -> io::Result<Direction> {
        let (pipe_r, pipe_w) = sys::pipe()?;
        let mut d = Direction {
            pipe_r,
            pipe_w,
            in_pipe: 0,
            eof: false,
            shut: false,
            bytes: 0,
            copy: None,
            at: 0,
        };
        if copy {
            d.start_copying()?;
        }
        Ok(d)
    }

    /// Whether it copies rather than splices.
    pub(crate) fn copying(&self) -> bool {
        self.copy.is_some()
    }

    /// Switches to copying; the bytes in the pipe move into the buffer.
    fn start_copying(&mut self) -> io::Result<()> {
        let mut buf = vec![0u8; CHUNK].into_boxed_slice();
        let mut have = 0;
        while have < self.in_pipe {
            let n = sys::read(self.pipe_r.as_fd(), &mut buf[have..self.in_pipe])?;
            if n == 0 {
                break;
            }
            have += n;
        }
        self.in_pipe = have;
        self.at = 0;
        self.copy = Some(buf);
        Ok(())
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
    pub(crate) fn fill(&mut self, source: &impl AsFd) -> Result<bool, Failure> {
        if !self.wants_read() {
            return Ok(false);
        }
        let got = match &mut self.copy {
            Some(buf) => {
                self.at = 0;
                sys::read(source.as_fd(), buf)
            }
            None => match splice(source.as_fd(), self.pipe_w.as_fd(), CHUNK, false) {
                Err(e) if refused(&e) => {
                    self.start_copying().map_err(Failure::Source)?;
                    return self.fill(source);
                }
                r => r,
            },
        };
        match got {
            Ok(0) => self.eof = true,
            Ok(n) => self.in_pipe += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
            Err(e) => return Err(Failure::Source(e)),
        }
        Ok(true)
    }

    /// Sends what waits (in the pipe or the buffer) into the sink; `Ok(0)` never.
    fn flush(&mut self, sink: &impl AsFd) -> io::Result<usize> {
        match &self.copy {
            Some(buf) => send(sink, &buf[self.at..self.at + self.in_pipe], false),
            None => match splice(self.pipe_r.as_fd(), sink.as_fd(), self.in_pipe, false) {
                Err(e) if refused(&e) => {
                    self.start_copying()?;
                    self.flush(sink)
                }
                r => r,
            },
        }
    }

    /// Moves what can be moved now: the pipe into the sink, then (pipe empty) the source into
    /// the pipe, then again; at EOF with the pipe empty, shuts the sink for writing.
    /// `Ok(true)`: progress was made (for the idle timer).
    pub(crate) fn pump(&mut self, source: &impl AsFd, sink: &impl AsFd) -> Result<bool, Failure> {
        let mut moved = false;
        for _ in 0..ROUNDS {
            if self.in_pipe > 0 {
                match self.flush(sink) {
                    Ok(n) => {
                        let n = n.min(self.in_pipe);
                        self.in_pipe -= n;
                        self.at += n;
                        self.bytes += n as u64;
                        moved = true;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => return Err(Failure::Sink(e)),
                }
            } else if self.eof || !self.fill(source)? {
                break;
            } else {
                moved = true;
            }
        }
        // After the loop, not in it: an EOF read on its last round must still be carried,
        // since the direction then waits for nothing (neither side is watched for it).
        if self.eof && self.in_pipe == 0 && !self.shut {
            // A sink already reset makes it fail, which changes nothing here.
            // SAFETY: plain syscall on a descriptor the caller holds.
            unsafe { libc::shutdown(sink.as_fd().as_raw_fd(), libc::SHUT_WR) };
            self.shut = true;
            moved = true;
        }
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};

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
        let mut d = Direction::new(false).unwrap();
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

    #[test]
    fn a_source_that_refuses_splice_is_copied_from() {
        // An eventfd has no splice support (EINVAL); a read gives its 8-byte counter.
        // SAFETY: plain syscall; the descriptor is owned at once.
        let fd = unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) };
        assert!(fd >= 0);
        // SAFETY: a fresh descriptor owned by nothing else.
        let src = unsafe { <OwnedFd as std::os::fd::FromRawFd>::from_raw_fd(fd) };
        let value = 0x0102_0304_0506_0708u64;
        // SAFETY: writes 8 bytes from a live local.
        let n = unsafe { libc::write(fd, &value as *const u64 as *const libc::c_void, 8) };
        assert_eq!(n, 8);
        let (b, b_peer) = pair();
        let (b, mut b_peer) = (b_peer, b); // the sink non-blocking, its peer blocking
        let mut d = Direction::new(false).unwrap();
        while d.bytes < 8 {
            d.pump(&src, &b).unwrap();
        }
        assert!(d.copying());
        let mut got = [0u8; 8];
        b_peer.read_exact(&mut got).unwrap();
        assert_eq!(got, value.to_ne_bytes());
    }

    #[test]
    fn copying_keeps_the_backpressure_and_the_half_close() {
        let (mut a_peer, a) = pair();
        let (b, b_peer) = pair();
        let (b, mut b_peer) = (b_peer, b); // the sink non-blocking, its peer blocking
        let mut d = Direction::new(true).unwrap();
        let body: Vec<u8> = (0..200_000u32).map(|i| i as u8).collect();
        let send = body.clone();
        let writer = std::thread::spawn(move || {
            a_peer.write_all(&send).unwrap();
        });
        let reader = std::thread::spawn(move || {
            let mut got = Vec::new();
            b_peer.read_to_end(&mut got).unwrap();
            got
        });
        while !d.done() {
            d.pump(&a, &b).unwrap();
            assert!(d.in_pipe <= CHUNK);
        }
        writer.join().unwrap();
        assert!(d.copying());
        drop(b);
        assert_eq!(reader.join().unwrap(), body);
    }

    #[test]
    fn an_eof_read_on_the_last_round_of_a_pump_is_still_carried() {
        // Pipes as source and sink, so each splice moves exactly one CHUNK. The direction
        // starts with a chunk in its pipe, so the pump alternates flush, fill, flush, ...
        // and with ROUNDS / 2 chunks in all (one in the pipe) its last round reads the EOF. The
        // sink must be shut then, not left waiting for nothing (neither side watched).
        let (src_r, src_w) = sys::pipe().unwrap();
        let (sink_r, sink_w) = sys::pipe().unwrap();
        let chunks = ROUNDS / 2;
        for fd in [&src_w, &sink_w] {
            // Room for every chunk (512 KiB: under the default pipe-max-size of 1 MiB).
            // SAFETY: plain syscall on a pipe we own.
            let n = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_SETPIPE_SZ, CHUNK * chunks) };
            assert!(
                n >= (CHUNK * chunks) as i32,
                "F_SETPIPE_SZ: {}",
                io::Error::last_os_error()
            );
        }
        let data = vec![7u8; CHUNK * chunks];
        // SAFETY: writes from a live buffer of the length given.
        let n = unsafe { libc::write(src_w.as_raw_fd(), data.as_ptr().cast(), data.len()) };
        assert_eq!(n, data.len() as isize);
        drop(src_w);
        let mut d = Direction::new(false).unwrap();
        assert!(d.fill(&src_r).unwrap());
        assert_eq!(d.in_pipe, CHUNK);
        d.pump(&src_r, &sink_w).unwrap();
        assert_eq!(d.bytes, (CHUNK * chunks) as u64);
        assert!(
            d.done() || d.wants_read() || d.wants_write(),
            "a direction waiting for nothing: {d:?}"
        );
        assert!(d.done());
        drop(sink_r);
    }
}
