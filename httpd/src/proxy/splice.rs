//! A response body moved from the upstream's socket to the client's with `splice(2)`
//! through a pipe, never entering user space: for a body that needs no re-framing (a
//! `Content-Length` body relayed with the same length, or a body until close to an HTTP/1.0
//! client), once everything before it (the head, body bytes read with it) is out.
//!
//! A pipe is filled only when it is empty and then emptied into the client: it is the one
//! buffer of the direction, so a client that stops reading holds at most [`PIPE_SIZE`]
//! bytes here and the upstream's socket fills behind it (the backpressure of the copying
//! path). Pipes come from a small per-worker stock ([`Pipes`]) and go back empty, so a
//! response costs no `pipe2` or `close`. Where the kernel refuses a splice (`EINVAL`) the
//! exchange copies instead.

use netcore::reactor::{pipe, send};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

/// The capacity asked of a pipe: the most body bytes one splice moves, and held for a
/// client that does not read. The unprivileged limit (`fs.pipe-max-size`) is 1 MiB.
pub(crate) const PIPE_SIZE: usize = 256 * 1024;
/// A body shorter than this is copied: a pipe's two system calls a turn save little on it.
pub(crate) const SPLICE_MIN: u64 = 64 * 1024;
/// Empty pipes a worker keeps for the next response.
const FREE_PIPES: usize = 8;

/// A pipe and the body bytes in it.
#[derive(Debug)]
pub(crate) struct BodyPipe {
    r: OwnedFd,
    w: OwnedFd,
    capacity: usize,
    /// Bytes in the pipe, not yet given to the client.
    pub(crate) held: usize,
}

/// A worker's empty pipes.
#[derive(Debug, Default)]
pub(crate) struct Pipes {
    free: Vec<BodyPipe>,
}

impl Pipes {
    /// An empty pipe (kept or new); `None` when none can be made (no descriptor left).
    pub(crate) fn take(&mut self) -> Option<BodyPipe> {
        if let Some(p) = self.free.pop() {
            return Some(p);
        }
        let (r, w) = pipe::pipe().ok()?;
        let capacity = pipe::set_size(&w, PIPE_SIZE);
        Some(BodyPipe {
            r,
            w,
            capacity,
            held: 0,
        })
    }

    /// A pipe back: kept if empty and the stock is not full, else closed.
    pub(crate) fn give(&mut self, p: BodyPipe) {
        if p.held == 0 && self.free.len() < FREE_PIPES {
            self.free.push(p);
        }
    }
}

impl BodyPipe {
    /// Splices at most `max` bytes (and the pipe's capacity) from `from` into the empty
    /// pipe. `Ok(0)`: the peer's EOF.
    pub(crate) fn fill(&mut self, from: BorrowedFd<'_>, max: u64) -> io::Result<usize> {
        debug_assert_eq!(self.held, 0);
        let len = max.min(self.capacity as u64) as usize;
        let n = send::splice(from, self.w.as_fd(), len, false)?;
        self.held = n;
        Ok(n)
    }

    /// The most one [`BodyPipe::fill`] takes.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    /// Splices the pipe's bytes into `to` until it is empty or `to` is full (`WouldBlock`
    /// then); `more`: more body follows (`SPLICE_F_MORE`). Returns the bytes moved.
    pub(crate) fn drain(&mut self, to: BorrowedFd<'_>, more: bool) -> io::Result<usize> {
        let mut moved = 0;
        while self.held > 0 {
            match send::splice(self.r.as_fd(), to, self.held, more) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.held -= n;
                    moved += n;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock && moved > 0 => break,
                Err(e) => return Err(e),
            }
        }
        Ok(moved)
    }
}

impl BodyPipe {
    /// Reads the pipe's bytes back into `out` (the exchange stops splicing), emptying it.
    pub(crate) fn read_into(&mut self, out: &mut Vec<u8>) -> io::Result<()> {
        let start = out.len();
        out.resize(start + self.held, 0);
        let mut at = start;
        while self.held > 0 {
            // SAFETY: reads into the live tail of `out`, at most its length.
            let n = unsafe {
                libc::read(
                    self.r.as_raw_fd(),
                    out[at..].as_mut_ptr() as *mut libc::c_void,
                    out.len() - at,
                )
            };
            if n <= 0 {
                let e = io::Error::last_os_error();
                if n < 0 && e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                out.truncate(at);
                return Err(if n == 0 {
                    io::ErrorKind::UnexpectedEof.into()
                } else {
                    e
                });
            }
            at += n as usize;
            self.held -= n as usize;
        }
        Ok(())
    }
}

/// A splice the kernel refuses for these descriptors (copy instead).
pub(crate) fn refused(e: &io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::os::unix::net::UnixStream;

    fn pair() -> (UnixStream, UnixStream) {
        let (a, b) = UnixStream::pair().unwrap();
        a.set_nonblocking(true).unwrap();
        b.set_nonblocking(true).unwrap();
        (a, b)
    }

    #[test]
    fn a_fill_takes_at_most_what_is_asked_and_a_drain_gives_it_on() {
        let mut pipes = Pipes::default();
        let mut p = pipes.take().unwrap();
        assert!(p.capacity() >= 4096);
        let (mut up, from) = pair();
        let (to, mut client) = pair();
        up.write_all(b"0123456789").unwrap();
        assert_eq!(p.fill(from.as_fd(), 4).unwrap(), 4);
        assert_eq!(p.drain(to.as_fd(), true).unwrap(), 4);
        assert_eq!(p.held, 0);
        assert_eq!(p.fill(from.as_fd(), 100).unwrap(), 6);
        assert_eq!(p.drain(to.as_fd(), false).unwrap(), 6);
        let mut got = [0u8; 10];
        client.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"0123456789");
        // Nothing there: EAGAIN, not a hang; the peer's close: 0.
        let e = p.fill(from.as_fd(), 100).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        drop(up);
        assert_eq!(p.fill(from.as_fd(), 100).unwrap(), 0);
        pipes.give(p);
        assert_eq!(pipes.free.len(), 1);
    }

    #[test]
    fn bytes_a_full_client_does_not_take_stay_in_the_pipe_and_can_be_read_back() {
        let mut p = Pipes::default().take().unwrap();
        let (mut up, from) = pair();
        let (to, _client) = pair();
        // Fill the client's socket until it takes no more.
        let junk = vec![7u8; 64 * 1024];
        while (&to).write(&junk).is_ok() {}
        up.write_all(b"held back").unwrap();
        assert_eq!(p.fill(from.as_fd(), 100).unwrap(), 9);
        let e = p.drain(to.as_fd(), false).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::WouldBlock);
        assert_eq!(p.held, 9);
        let mut out = b"head ".to_vec();
        p.read_into(&mut out).unwrap();
        assert_eq!(out, b"head held back");
        assert_eq!(p.held, 0);
        // A pipe given back with bytes in it is closed, not kept.
        let mut pipes = Pipes::default();
        let mut q = pipes.take().unwrap();
        up.write_all(b"x").unwrap();
        q.fill(from.as_fd(), 1).unwrap();
        pipes.give(q);
        assert!(pipes.free.is_empty());
    }
}
