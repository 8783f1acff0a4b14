//! One direction of a connection: a source socket, a pipe, a sink socket. Bytes are spliced
//! from the source into the pipe and from the pipe into the sink, so they never enter user
//! space. Backpressure: the source is read only while nothing is in flight, so a slow sink
//! stops the reading and the memory held is at most one pipe's capacity. The source's EOF
//! becomes `shutdown(SHUT_WR)` on the sink once the pipe is empty (the half-close carried).
//!
//! The pipe is not the direction's own: it is taken from the pool ([`Pipes`]) when a read
//! is about to put bytes in flight, and given back, empty, when the last of them reached the
//! sink. An idle direction holds nothing but its place.
//!
//! The copying fallback: when the pool has no pipe to give, the bytes go through a buffer of
//! the pipe's size instead (read, then send), with the same backpressure and half-close, and
//! the buffer goes back to the pool once they are out; the next read tries for a pipe again.
//! Where a descriptor refuses splice (`EINVAL`: a socket type without splice support), or
//! when asked (`forward copy`, to compare), the direction copies for good, each read through
//! a buffer from the pool. Bytes already in the pipe when splice is refused are taken out of
//! it into a buffer.
//!
//! `splice-auto` (the default, HAProxy's `option splice-auto`): splicing a small message
//! costs more than copying it (two splices and a pipe against a read and a send), so a
//! direction copies, through a buffer from the pool, until a read brings [`BULK`] bytes or
//! fills the buffer (a bulk transfer); from the next read on it splices, and goes back to
//! copying when a splice moves less than [`SMALL`]. A copying read that comes back short of
//! the buffer emptied the source's queue: the direction waits for the next readiness rather
//! than reading again for an `EAGAIN` (the loop says when it is readable again).
//!
//! The loop registers the sockets edge-triggered: a pump moves bytes until the sink or the
//! source has nothing more to give (`EAGAIN`, a short copying read, the EOF), or until its
//! per-call limit ([`Direction::busy`]: the loop drives it again without an event).

use crate::config::Forward;
use crate::forward::pipes::{Pipe, Pipes};
use crate::sys;
use netcore::reactor::send::{send, splice};
use std::io;
use std::os::fd::{AsFd, AsRawFd};

/// The default pipe capacity and buffer size (`pipe_size`), which the tests use.
#[cfg(test)]
const CHUNK: usize = crate::forward::pipes::DEFAULT_SIZE;
/// `splice-auto`: a copying read of this much (or a full buffer, if smaller) starts a bulk
/// transfer: splice from the next read on.
const BULK: usize = 64 * 1024;
/// Splices per call, so one busy connection cannot starve the others in a turn.
const ROUNDS: usize = 16;
/// `splice-auto`: a splice read under this is the end of a bulk transfer: copy again.
const SMALL: usize = 4096;

/// Which socket a direction failed on.
#[derive(Debug)]
pub(crate) enum Failure {
    Source(io::Error),
    Sink(io::Error),
}

/// What holds the bytes in flight.
#[derive(Debug)]
enum Held {
    /// Nothing in flight, nothing held.
    Nothing,
    /// A pipe from the pool.
    Pipe(Pipe),
    /// A buffer of `pipe_size` bytes; `in_flight` bytes from `at` wait in it.
    Buffer(Box<[u8]>),
}

#[derive(Debug)]
pub(crate) struct Direction {
    held: Held,
    /// Bytes read from the source, not yet in the sink.
    in_flight: usize,
    /// Where the bytes in flight start in the buffer.
    at: usize,
    /// The source said EOF.
    eof: bool,
    /// The sink was shut for writing: this direction is done.
    shut: bool,
    /// Bytes delivered to the sink.
    pub(crate) bytes: u64,
    /// Copies for good: `forward copy`, or a descriptor refused splice.
    copy_only: bool,
    /// Bytes went through a buffer at least once (no pipe to be had), for the log line.
    copied: bool,
    /// `splice-auto`: copy small reads, splice from a read that filled the buffer on.
    auto: bool,
    /// `splice-auto`: in a bulk transfer, splicing.
    bulk: bool,
    /// The buffer held was chosen (`splice-auto`'s small reads), not taken for want of a pipe.
    by_choice: bool,
    /// A copying read came back short: the source is empty until it is reported readable
    /// again ([`Direction::readable`]; bytes that come after the read are reported).
    drained: bool,
    /// The source was reported shut by its peer (or failed): its EOF (or error) waits
    /// behind its bytes, and no other wake-up will come for it, so a short read is not
    /// taken as the end of what there is to read.
    peer_done: bool,
    /// A read ahead for the EOF (below) failed: the error waits until the bytes read
    /// before it are in the sink, as it would have been met after them.
    pending: Option<io::Error>,
    /// Bytes delivered to the sink through a pipe.
    pub(crate) spliced: u64,
    /// The last pump stopped at `ROUNDS`, not for want of bytes or room.
    busy: bool,
}

/// Whether a splice error means "this descriptor does not do splice": copy instead.
fn refused(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
    )
}

impl Direction {
    /// A direction that moves bytes as `forward` says: splicing with pipes from the pool,
    /// copying for good, or copying small reads and splicing bulk ones.
    pub(crate) fn new(forward: Forward) -> Direction {
        let copy = forward == Forward::Copy;
        Direction {
            held: Held::Nothing,
            in_flight: 0,
            at: 0,
            eof: false,
            shut: false,
            bytes: 0,
            copy_only: copy,
            copied: false,
            auto: forward == Forward::Auto,
            bulk: false,
            by_choice: false,
            drained: false,
            peer_done: false,
            pending: None,
            spliced: 0,
            busy: false,
        }
    }

    /// The same, but not read until the loop reports the source readable: for a socket
    /// registered before any byte can reach it (an upstream being connected to), whose
    /// first bytes are sure to bring a wake-up, so no read is made for an `EAGAIN` (a
    /// server answers after the request, not when the connect completes).
    pub(crate) fn until_readable(forward: Forward) -> Direction {
        Direction {
            drained: true,
            ..Direction::new(forward)
        }
    }

    /// Whether it copied rather than spliced: for good, or for want of a pipe at least once.
    pub(crate) fn copying(&self) -> bool {
        self.copy_only || self.copied
    }

    /// Whether it holds a pipe from the pool now.
    #[cfg(test)]
    pub(crate) fn holds_pipe(&self) -> bool {
        matches!(self.held, Held::Pipe(_))
    }

    /// Copies for good from now on; the bytes in the pipe move into a buffer and the pipe
    /// goes back to the pool.
    fn start_copying(&mut self, pipes: &mut Pipes) -> io::Result<()> {
        self.copy_only = true;
        let mut buf = pipes.take_buffer();
        let mut have = 0;
        if let Held::Pipe(p) = &self.held {
            while have < self.in_flight {
                let n = sys::read(p.r.as_fd(), &mut buf[have..self.in_flight])?;
                if n == 0 {
                    break;
                }
                have += n;
            }
        }
        if let Held::Pipe(p) = std::mem::replace(&mut self.held, Held::Buffer(buf)) {
            pipes.give(p, true);
        }
        self.in_flight = have;
        self.at = 0;
        Ok(())
    }

    /// Something to hold the next bytes: a pipe from the pool, or a buffer from it (copying
    /// for good, `splice-auto` between bulk transfers, or no pipe free).
    fn hold(&mut self, pipes: &mut Pipes) {
        if matches!(self.held, Held::Nothing) {
            let want_pipe = !self.copy_only && (!self.auto || self.bulk);
            self.by_choice = !want_pipe;
            self.held = match want_pipe.then(|| pipes.take()).flatten() {
                Some(p) => Held::Pipe(p),
                None => Held::Buffer(pipes.take_buffer()),
            };
        }
    }

    /// Nothing in flight: the pipe or the passing buffer goes back to the pool.
    fn let_go(&mut self, pipes: &mut Pipes) {
        if self.in_flight == 0 {
            self.release(pipes);
        }
    }

    /// Gives back what it holds, the connection being over: a pipe with bytes still in it is
    /// closed rather than kept.
    pub(crate) fn release(&mut self, pipes: &mut Pipes) {
        match std::mem::replace(&mut self.held, Held::Nothing) {
            Held::Pipe(p) => pipes.give(p, self.in_flight == 0),
            Held::Buffer(b) => pipes.give_buffer(b),
            Held::Nothing => {}
        }
    }

    /// The source was reported readable: a read may find bytes again; `hung_up`: its peer
    /// shut its side (or it failed), so reads go on to the EOF (or the error).
    pub(crate) fn readable(&mut self, hung_up: bool) {
        self.drained = false;
        self.peer_done |= hung_up;
    }

    /// The last pump stopped at its limit with more to move: drive it again.
    pub(crate) fn busy(&self) -> bool {
        self.busy
    }

    /// The source may be read: no EOF yet, nothing in flight.
    pub(crate) fn wants_read(&self) -> bool {
        !self.eof && self.in_flight == 0
    }

    /// Bytes wait for the sink.
    #[cfg(test)]
    pub(crate) fn wants_write(&self) -> bool {
        self.in_flight > 0
    }

    pub(crate) fn done(&self) -> bool {
        self.shut
    }

    /// Reads from the source while nothing is in flight, without writing (the sink is not
    /// connected yet). `Ok(true)`: something happened (bytes or EOF).
    pub(crate) fn fill(&mut self, source: &impl AsFd, pipes: &mut Pipes) -> Result<bool, Failure> {
        if !self.wants_read() {
            return Ok(false);
        }
        if let Some(e) = self.pending.take() {
            return Err(Failure::Source(e));
        }
        self.hold(pipes);
        let got = match &mut self.held {
            Held::Buffer(buf) => {
                self.at = 0;
                sys::read(source.as_fd(), buf)
            }
            Held::Pipe(p) => match splice(source.as_fd(), p.w.as_fd(), p.capacity, false) {
                Err(e) if refused(&e) => {
                    self.start_copying(pipes).map_err(Failure::Source)?;
                    return self.fill(source, pipes);
                }
                r => r,
            },
            Held::Nothing => unreachable!("hold() put a pipe or a buffer in place"),
        };
        let result = match got {
            Ok(0) => {
                self.eof = true;
                Ok(true)
            }
            Ok(n) => {
                self.in_flight += n;
                match &self.held {
                    Held::Buffer(buf) => {
                        if !self.by_choice {
                            self.copied = true;
                        }
                        // A short read took all the source had (a TCP read stops only
                        // when its queue is empty): no second read for an EAGAIN.
                        self.drained = n < buf.len() && !self.peer_done;
                        if self.auto && n >= BULK.min(buf.len()) {
                            self.bulk = true;
                        }
                        if n < buf.len() && self.peer_done {
                            self.read_ahead(source);
                        }
                    }
                    Held::Pipe(_) => {
                        if self.auto && n < SMALL {
                            self.bulk = false;
                        }
                    }
                    Held::Nothing => {}
                }
                Ok(true)
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(e) => Err(Failure::Source(e)),
        };
        self.let_go(pipes);
        result
    }

    /// After a short copying read from a source whose peer shut its side: the read that
    /// would follow the send (for the EOF behind the bytes) made before it, into the rest
    /// of the buffer. When it finds the EOF, the bytes go out with `MSG_MORE` and the FIN
    /// that follows at once (`shutdown`, or the close) leaves in the same segment as the
    /// last of them, as HAProxy sends them: one segment and one ACK fewer for a short
    /// connection's response, the same bytes and the same FIN. Same system calls: a read
    /// and a send either way.
    fn read_ahead(&mut self, source: &impl AsFd) {
        let Held::Buffer(buf) = &mut self.held else {
            return;
        };
        let end = self.at + self.in_flight;
        match sys::read(source.as_fd(), &mut buf[end..]) {
            Ok(0) => self.eof = true,
            Ok(n) => self.in_flight += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => self.pending = Some(e),
        }
    }

    /// Sends what waits (in the pipe or the buffer) into the sink; `Ok(0)` never. A buffer's
    /// last bytes before the EOF go with `MSG_MORE`: the FIN follows as soon as they are out
    /// (a send that finds the socket's buffer full pushes what it queued, `MSG_MORE` or not).
    fn flush(&mut self, sink: &impl AsFd, pipes: &mut Pipes) -> io::Result<usize> {
        match &self.held {
            Held::Buffer(buf) => send(sink, &buf[self.at..self.at + self.in_flight], self.eof),
            Held::Pipe(p) => match splice(p.r.as_fd(), sink.as_fd(), self.in_flight, false) {
                Err(e) if refused(&e) => {
                    self.start_copying(pipes)?;
                    self.flush(sink, pipes)
                }
                r => r,
            },
            Held::Nothing => unreachable!("bytes in flight are held"),
        }
    }

    /// Moves what can be moved now: the pipe into the sink, then (pipe empty) the source into
    /// the pipe, then again; at EOF with the pipe empty, shuts the sink for writing, unless
    /// `then_closed` (the other direction is done: the connection is closed at once, and the
    /// close sends the FIN). `Ok(true)`: progress was made (for the idle timer).
    pub(crate) fn pump(
        &mut self,
        source: &impl AsFd,
        sink: &impl AsFd,
        pipes: &mut Pipes,
        then_closed: bool,
    ) -> Result<bool, Failure> {
        let mut moved = false;
        let mut waits = false;
        for _ in 0..ROUNDS {
            if self.in_flight > 0 {
                let via_pipe = matches!(self.held, Held::Pipe(_));
                match self.flush(sink, pipes) {
                    Ok(n) => {
                        let n = n.min(self.in_flight);
                        self.in_flight -= n;
                        self.at += n;
                        self.bytes += n as u64;
                        if via_pipe && matches!(self.held, Held::Pipe(_)) {
                            self.spliced += n as u64;
                        }
                        moved = true;
                        self.let_go(pipes);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        waits = true;
                        break;
                    }
                    Err(e) => return Err(Failure::Sink(e)),
                }
            } else if self.eof || self.drained || !self.fill(source, pipes)? {
                waits = true;
                break;
            } else {
                moved = true;
            }
        }
        self.busy = !waits;
        // After the loop, not in it: an EOF read on its last round must still be carried,
        // since the direction then waits for nothing (neither side is watched for it).
        if self.eof && self.in_flight == 0 && !self.shut {
            if !then_closed {
                // A sink already reset makes it fail, which changes nothing here.
                // SAFETY: plain syscall on a descriptor the caller holds.
                unsafe { libc::shutdown(sink.as_fd().as_raw_fd(), libc::SHUT_WR) };
            }
            self.shut = true;
            moved = true;
        }
        Ok(moved)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use netcore::reactor::reset::linger_zero;
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::OwnedFd;

    fn pair() -> (TcpStream, TcpStream) {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let c = TcpStream::connect(l.local_addr().unwrap()).unwrap();
        let (s, _) = l.accept().unwrap();
        s.set_nonblocking(true).unwrap();
        (c, s)
    }

    /// A sink and its peer: the sink non-blocking, its peer blocking.
    fn sink_pair() -> (TcpStream, TcpStream) {
        let (peer, sink) = pair();
        (sink, peer)
    }

    #[test]
    fn stops_reading_while_the_pipe_holds_bytes_and_carries_the_eof() {
        let (mut a_peer, a) = pair();
        let (b, mut b_peer) = pair();
        let mut pool = Pipes::new(4);
        let mut d = Direction::new(Forward::Splice);
        a_peer.write_all(b"hello").unwrap();
        drop(a_peer);
        while d.bytes < 5 || !d.done() {
            d.readable(false);
            d.pump(&a, &b, &mut pool, false).unwrap();
        }
        assert!(!d.wants_read() && !d.wants_write());
        let mut got = String::new();
        b_peer.read_to_string(&mut got).unwrap();
        assert_eq!(got, "hello");
    }

    /// Everything `peer` has for now, the sink's peer being blocking with a read timeout.
    fn read_some(peer: &mut TcpStream, n: usize) -> Vec<u8> {
        let mut got = vec![0u8; n];
        peer.read_exact(&mut got).unwrap();
        got
    }

    #[test]
    fn a_pipe_is_held_only_while_bytes_are_in_flight() {
        let (mut a_peer, a) = pair();
        let (b, mut b_peer) = sink_pair();
        let mut pool = Pipes::new(4);
        let mut d = Direction::new(Forward::Splice);
        a_peer.write_all(b"hello").unwrap();
        while !d.fill(&a, &mut pool).unwrap() {}
        assert!(d.holds_pipe() && d.wants_write() && !d.wants_read());
        assert_eq!(pool.in_use(), 1);
        d.pump(&a, &b, &mut pool, false).unwrap();
        assert_eq!(read_some(&mut b_peer, 5), b"hello");
        // Delivered: the pipe is back in the pool, kept open for the next taker.
        assert!(!d.holds_pipe() && d.wants_read());
        assert_eq!((pool.in_use(), pool.open()), (0, 1));
        assert!(!d.copying());
        drop(a_peer);
        while !d.done() {
            d.readable(false);
            d.pump(&a, &b, &mut pool, false).unwrap();
        }
        assert_eq!((pool.in_use(), pool.open()), (0, 1));
    }

    #[test]
    fn without_a_free_pipe_bytes_are_copied_and_the_next_read_splices_again() {
        let (mut a_peer, a) = pair();
        let (b, mut b_peer) = sink_pair();
        let mut pool = Pipes::new(1);
        let other = pool.take().unwrap();
        let mut d = Direction::new(Forward::Splice);
        a_peer.write_all(b"abc").unwrap();
        while !d.fill(&a, &mut pool).unwrap() {}
        assert!(!d.holds_pipe() && d.wants_write(), "{d:?}");
        d.pump(&a, &b, &mut pool, false).unwrap();
        assert_eq!(read_some(&mut b_peer, 3), b"abc");
        assert!(d.copying());
        // The pipe comes back to the pool: the next bytes are spliced through it.
        pool.give(other, true);
        a_peer.write_all(b"def").unwrap();
        while !d.fill(&a, &mut pool).unwrap() {}
        assert!(d.holds_pipe());
        d.pump(&a, &b, &mut pool, false).unwrap();
        assert_eq!(read_some(&mut b_peer, 3), b"def");
        assert_eq!(pool.in_use(), 0);
    }

    #[test]
    fn a_pipe_given_back_with_bytes_in_it_is_closed() {
        let (mut a_peer, a) = pair();
        let mut pool = Pipes::new(4);
        let mut d = Direction::new(Forward::Splice);
        a_peer.write_all(b"left over").unwrap();
        while !d.fill(&a, &mut pool).unwrap() {}
        d.release(&mut pool);
        assert_eq!((pool.in_use(), pool.open()), (0, 0));
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
        let (b, mut b_peer) = sink_pair();
        let mut pool = Pipes::new(4);
        let mut d = Direction::new(Forward::Splice);
        while d.bytes < 8 {
            d.readable(false);
            d.pump(&src, &b, &mut pool, false).unwrap();
        }
        assert!(d.copying());
        let mut got = [0u8; 8];
        b_peer.read_exact(&mut got).unwrap();
        assert_eq!(got, value.to_ne_bytes());
    }

    #[test]
    fn copying_keeps_the_backpressure_and_the_half_close() {
        let (mut a_peer, a) = pair();
        let (b, mut b_peer) = sink_pair();
        let mut pool = Pipes::new(4);
        let mut d = Direction::new(Forward::Copy);
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
            d.readable(false);
            d.pump(&a, &b, &mut pool, false).unwrap();
            assert!(d.in_flight <= CHUNK);
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
        let mut pool = Pipes::new(4);
        let mut d = Direction::new(Forward::Splice);
        assert!(d.fill(&src_r, &mut pool).unwrap());
        assert_eq!(d.in_flight, CHUNK);
        d.pump(&src_r, &sink_w, &mut pool, false).unwrap();
        assert_eq!(d.bytes, (CHUNK * chunks) as u64);
        assert!(
            d.done() || d.wants_read() || d.wants_write(),
            "a direction waiting for nothing: {d:?}"
        );
        assert!(d.done());
        drop(sink_r);
    }

    /// A pipe with room for `chunks` CHUNKs (at most 512 KiB: under the default
    /// pipe-max-size of 1 MiB), as a source or a sink that takes every byte at once.
    fn roomy_pipe(chunks: usize) -> (OwnedFd, OwnedFd) {
        let (r, w) = sys::pipe().unwrap();
        // SAFETY: plain syscall on a pipe we own.
        let n = unsafe { libc::fcntl(w.as_raw_fd(), libc::F_SETPIPE_SZ, CHUNK * chunks) };
        assert!(
            n >= (CHUNK * chunks) as i32,
            "F_SETPIPE_SZ: {}",
            io::Error::last_os_error()
        );
        (r, w)
    }

    fn put(fd: &OwnedFd, data: &[u8]) {
        // SAFETY: writes from a live buffer of the length given.
        let n = unsafe { libc::write(fd.as_raw_fd(), data.as_ptr().cast(), data.len()) };
        assert_eq!(n, data.len() as isize);
    }

    #[test]
    fn splice_auto_copies_small_reads_and_splices_after_a_read_that_filled_the_buffer() {
        // A pipe as the source: each read takes exactly what was put in it (up to CHUNK).
        let (src_r, src_w) = roomy_pipe(4);
        let (b, mut b_peer) = sink_pair();
        let total = 1200 + CHUNK;
        let reader = std::thread::spawn(move || read_some(&mut b_peer, total));
        let mut pool = Pipes::new(4);
        let mut d = Direction::new(Forward::Auto);
        // A small message is copied, and no pipe is made for it.
        put(&src_w, &[1u8; 100]);
        assert!(d.fill(&src_r, &mut pool).unwrap());
        assert!(!d.holds_pipe() && d.wants_write(), "{d:?}");
        d.pump(&src_r, &b, &mut pool, false).unwrap();
        assert_eq!((d.bytes, d.spliced, pool.open()), (100, 0, 0));
        assert!(
            !d.copying(),
            "copied by choice is not copied for want of a pipe"
        );
        // A read that fills the buffer (copied): the next read splices, and being small
        // (1,000 bytes, under SMALL) it ends the bulk transfer.
        put(&src_w, &vec![2u8; CHUNK + 1000]);
        d.readable(false);
        assert!(d.fill(&src_r, &mut pool).unwrap());
        assert!(!d.holds_pipe() && d.in_flight == CHUNK, "{d:?}");
        while d.bytes < 1100 + CHUNK as u64 {
            d.pump(&src_r, &b, &mut pool, false).unwrap();
        }
        assert_eq!(d.spliced, 1000);
        assert_eq!((pool.in_use(), pool.open()), (0, 1));
        // Copying again.
        put(&src_w, &[3u8; 100]);
        d.readable(false);
        assert!(d.fill(&src_r, &mut pool).unwrap());
        assert!(!d.holds_pipe(), "{d:?}");
        while d.bytes < total as u64 {
            d.pump(&src_r, &b, &mut pool, false).unwrap();
        }
        assert_eq!(d.spliced, 1000);
        // Every byte in order.
        let mut want = vec![1u8; 100];
        want.extend(vec![2u8; CHUNK + 1000]);
        want.extend([3u8; 100]);
        assert!(reader.join().unwrap() == want);
    }

    #[test]
    fn a_short_copying_read_is_not_followed_by_a_read_until_the_source_is_readable() {
        let (mut a_peer, a) = pair();
        let (b, mut b_peer) = sink_pair();
        let mut pool = Pipes::new(4);
        let mut d = Direction::new(Forward::Copy);
        a_peer.write_all(b"one").unwrap();
        while d.bytes < 3 {
            d.readable(false);
            d.pump(&a, &b, &mut pool, false).unwrap();
        }
        assert_eq!(read_some(&mut b_peer, 3), b"one");
        // Bytes that came since are not read until the loop says the source is readable.
        a_peer.write_all(b"two").unwrap();
        let mut pfd = libc::pollfd {
            fd: a.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one pollfd we own.
        assert_eq!(unsafe { libc::poll(&mut pfd, 1, 10_000) }, 1);
        d.pump(&a, &b, &mut pool, false).unwrap();
        assert_eq!(d.bytes, 3);
        d.readable(false);
        d.pump(&a, &b, &mut pool, false).unwrap();
        assert_eq!(d.bytes, 6);
        assert_eq!(read_some(&mut b_peer, 3), b"two");
    }

    #[test]
    fn a_bigger_pipe_size_moves_more_a_splice_and_copies_through_bigger_buffers() {
        const SIZE: usize = 4 * CHUNK; // 256 KiB, under the default pipe-max-size of 1 MiB
        let (src_r, src_w) = roomy_pipe(8);
        let (b, mut b_peer) = sink_pair();
        let reader = std::thread::spawn(move || read_some(&mut b_peer, 2 * SIZE));
        let mut pool = Pipes::new(4);
        pool.set_size(SIZE);
        // Spliced: one splice takes all 256 KiB into the pipe.
        put(&src_w, &vec![5u8; SIZE]);
        let mut d = Direction::new(Forward::Splice);
        assert!(d.fill(&src_r, &mut pool).unwrap());
        assert!(d.holds_pipe() && d.in_flight == SIZE, "{d:?}");
        while d.bytes < SIZE as u64 {
            d.pump(&src_r, &b, &mut pool, false).unwrap();
        }
        // Copied: one read takes all 256 KiB into the buffer.
        put(&src_w, &vec![6u8; SIZE]);
        let mut c = Direction::new(Forward::Copy);
        assert!(c.fill(&src_r, &mut pool).unwrap());
        assert_eq!(c.in_flight, SIZE);
        while c.bytes < SIZE as u64 {
            c.pump(&src_r, &b, &mut pool, false).unwrap();
        }
        let got = reader.join().unwrap();
        assert!(got[..SIZE].iter().all(|&x| x == 5) && got[SIZE..].iter().all(|&x| x == 6));
    }

    #[test]
    fn a_pump_stopped_at_its_limit_says_so_and_goes_on_when_pumped_again() {
        // Pipes as source and sink: each splice moves one CHUNK, and a pump's ROUNDS move
        // ROUNDS / 2 of them. With more in the source, the pump stops at its limit with
        // bytes still to read (no EAGAIN: edge-triggered, no event would come for them).
        let chunks = ROUNDS / 2 + 4;
        let (src_r, src_w) = roomy_pipe(chunks);
        let (sink_r, sink_w) = roomy_pipe(chunks);
        put(&src_w, &vec![9u8; CHUNK * chunks]);
        let mut pool = Pipes::new(4);
        let mut d = Direction::new(Forward::Splice);
        d.pump(&src_r, &sink_w, &mut pool, false).unwrap();
        assert_eq!(d.bytes, (CHUNK * ROUNDS / 2) as u64);
        assert!(d.busy(), "{d:?}");
        d.pump(&src_r, &sink_w, &mut pool, false).unwrap();
        assert_eq!(d.bytes, (CHUNK * chunks) as u64);
        assert!(!d.busy(), "stopped at EAGAIN, not at the limit: {d:?}");
        drop(sink_r);
    }

    #[test]
    fn a_source_reported_hung_up_is_read_to_its_eof_past_a_short_read() {
        // Edge-triggered: the wake-up that said "bytes, then the peer's EOF" is the last one,
        // so a short read must not stop the reading before the EOF.
        let (mut a_peer, a) = pair();
        let (b, mut b_peer) = sink_pair();
        let mut pool = Pipes::new(4);
        let mut d = Direction::new(Forward::Copy);
        a_peer.write_all(b"last").unwrap();
        a_peer.shutdown(std::net::Shutdown::Write).unwrap();
        let mut pfd = libc::pollfd {
            fd: a.as_raw_fd(),
            events: libc::POLLRDHUP,
            revents: 0,
        };
        // SAFETY: one pollfd we own.
        assert_eq!(unsafe { libc::poll(&mut pfd, 1, 10_000) }, 1);
        d.readable(true);
        d.pump(&a, &b, &mut pool, false).unwrap();
        assert!(d.done(), "{d:?}");
        let mut got = String::new();
        b_peer.read_to_string(&mut got).unwrap();
        assert_eq!(got, "last");
    }

    /// Segments `s` has sent (`TCP_INFO`'s `tcpi_segs_out`).
    fn segs_out(s: &TcpStream) -> u32 {
        // SAFETY: zeroed tcp_info is valid; getsockopt writes at most `len` bytes into it.
        let mut info: libc::tcp_info = unsafe { std::mem::zeroed() };
        let mut len = std::mem::size_of::<libc::tcp_info>() as libc::socklen_t;
        // SAFETY: as above, on a socket we hold.
        let r = unsafe {
            libc::getsockopt(
                s.as_raw_fd(),
                libc::IPPROTO_TCP,
                libc::TCP_INFO,
                (&mut info as *mut libc::tcp_info).cast(),
                &mut len,
            )
        };
        assert_eq!(r, 0, "TCP_INFO: {}", io::Error::last_os_error());
        info.tcpi_segs_out
    }

    /// Waits (up to 10 s) until `s` reports its peer shut its side (or failed).
    fn wait_hung_up(s: &TcpStream) {
        let mut pfd = libc::pollfd {
            fd: s.as_raw_fd(),
            events: libc::POLLRDHUP,
            revents: 0,
        };
        // SAFETY: one pollfd we own.
        assert_eq!(unsafe { libc::poll(&mut pfd, 1, 10_000) }, 1);
    }

    #[test]
    fn the_last_bytes_before_the_eof_leave_with_the_fin_in_one_segment() {
        // A short connection's response: bytes, then the upstream's FIN, both there when
        // the wake-up comes. The sink gets them in one segment (data and FIN), as HAProxy
        // sends them, not the bytes and then a FIN alone.
        for forward in [Forward::Auto, Forward::Copy] {
            let (mut a_peer, a) = pair();
            let (b, mut b_peer) = sink_pair();
            let mut pool = Pipes::new(4);
            let mut d = Direction::new(forward);
            a_peer.write_all(&[4u8; 1024]).unwrap();
            a_peer.shutdown(std::net::Shutdown::Write).unwrap();
            wait_hung_up(&a);
            let before = segs_out(&b);
            d.readable(true);
            d.pump(&a, &b, &mut pool, false).unwrap();
            assert!(d.done() && d.bytes == 1024, "{d:?}");
            let mut got = Vec::new();
            b_peer.read_to_end(&mut got).unwrap();
            assert!(got == [4u8; 1024]);
            assert_eq!(
                segs_out(&b) - before,
                1,
                "{forward:?}: data and FIN in one segment"
            );
        }
    }

    #[test]
    fn bytes_then_a_reset_reach_the_sink_before_the_error_is_reported() {
        // The read for the EOF, made before the send, meets the reset: the bytes read before
        // it still go to the sink first, then the error ends the direction.
        let (mut a_peer, a) = pair();
        let (b, mut b_peer) = sink_pair();
        let mut pool = Pipes::new(4);
        let mut d = Direction::new(Forward::Auto);
        a_peer.write_all(b"gone").unwrap();
        linger_zero(&a_peer);
        drop(a_peer);
        wait_hung_up(&a);
        d.readable(true);
        match d.pump(&a, &b, &mut pool, false) {
            Err(Failure::Source(e)) => assert_eq!(e.kind(), io::ErrorKind::ConnectionReset),
            other => panic!("expected the source's reset, got {other:?} ({d:?})"),
        }
        assert_eq!(d.bytes, 4);
        assert_eq!(read_some(&mut b_peer, 4), b"gone");
    }

    #[test]
    fn a_direction_made_until_readable_reads_only_once_told() {
        let (mut a_peer, a) = pair();
        let (b, mut b_peer) = sink_pair();
        let mut pool = Pipes::new(4);
        for forward in [Forward::Auto, Forward::Splice, Forward::Copy] {
            let mut d = Direction::until_readable(forward);
            a_peer.write_all(b"first").unwrap();
            let mut pfd = libc::pollfd {
                fd: a.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one pollfd we own.
            assert_eq!(unsafe { libc::poll(&mut pfd, 1, 10_000) }, 1);
            assert!(!d.pump(&a, &b, &mut pool, false).unwrap());
            assert_eq!(d.bytes, 0, "{forward:?}");
            d.readable(false);
            while d.bytes < 5 {
                d.pump(&a, &b, &mut pool, false).unwrap();
            }
            assert_eq!(read_some(&mut b_peer, 5), b"first");
        }
    }
}
