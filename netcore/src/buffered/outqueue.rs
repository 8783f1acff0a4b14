//! A connection's outbound queue: bytes waiting to be written, bounded in size.
//!
//! Everything queued for a connection during one loop turn sits contiguously in one buffer,
//! so [`OutQueue::write_once`] sends all of it with a single `write(2)`: write coalescing.
//! A partial write keeps the rest, in order, for the next turn; `EINTR` is retried and
//! `EAGAIN` just means "next turn". No byte is lost or sent twice.
//!
//! The bound is what keeps a server's memory finite whatever its peers do: [`OutQueue::push`]
//! refuses bytes past the limit, and the caller decides what that means (the event loop
//! disconnects the slow consumer).

use std::io::{self, Write};

/// Buffers larger than this are shrunk back when they empty, so an idle connection does not
/// keep the memory of its largest burst.
const KEEP_CAPACITY: usize = 256 * 1024;

/// The queue refused bytes: they would have taken it past its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

/// A bounded FIFO of bytes, written from the front.
#[derive(Debug)]
pub struct OutQueue {
    buf: Vec<u8>,
    /// Bytes before `start` are already written.
    start: usize,
    limit: usize,
}

impl OutQueue {
    /// A queue that holds at most `limit` unwritten bytes.
    pub fn new(limit: usize) -> OutQueue {
        OutQueue {
            buf: Vec::new(),
            start: 0,
            limit,
        }
    }

    /// Bytes queued and not yet written.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    pub fn is_empty(&self) -> bool {
        self.pending() == 0
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// The unwritten bytes, in order.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[self.start..]
    }

    /// Appends `bytes`, or refuses all of them if that would exceed the limit.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), Overflow> {
        if self.pending() + bytes.len() > self.limit {
            return Err(Overflow);
        }
        if self.start > 0 && self.start >= self.buf.len() / 2 {
            // Reclaim the written front before growing.
            self.buf.drain(..self.start);
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// Drops everything unwritten (the connection is going away).
    pub fn clear(&mut self) {
        self.buf = Vec::new();
        self.start = 0;
    }

    /// Marks `n` more bytes as written.
    pub fn consume(&mut self, n: usize) {
        self.start += n.min(self.pending());
        if self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
            if self.buf.capacity() > KEEP_CAPACITY {
                self.buf.shrink_to(KEEP_CAPACITY);
            }
        }
    }

    /// Writes as much of the queue as one `write` takes. Returns the bytes written: `Ok(0)` if
    /// the queue is empty or the writer would block (`EAGAIN`). `EINTR` is retried; any other
    /// error is returned and the queue is left as it was.
    pub fn write_once<W: Write>(&mut self, w: &mut W) -> io::Result<usize> {
        if self.is_empty() {
            return Ok(0);
        }
        loop {
            match w.write(&self.buf[self.start..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => {
                    self.consume(n);
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(0),
                Err(e) => return Err(e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that takes at most `chunk` bytes per call, after `interrupts` EINTRs and
    /// with every other call returning EAGAIN: the hard cases of a non-blocking socket.
    struct Stingy {
        out: Vec<u8>,
        chunk: usize,
        interrupts: usize,
        calls: usize,
    }

    impl Write for Stingy {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.calls += 1;
            if self.interrupts > 0 {
                self.interrupts -= 1;
                return Err(io::ErrorKind::Interrupted.into());
            }
            if self.calls % 2 == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = b.len().min(self.chunk);
            self.out.extend_from_slice(&b[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn partial_writes_eintr_and_eagain_lose_and_duplicate_nothing() {
        let mut q = OutQueue::new(1 << 20);
        let mut w = Stingy {
            out: Vec::new(),
            chunk: 7,
            interrupts: 3,
            calls: 0,
        };
        let mut want = Vec::new();
        for i in 0..500 {
            let line = format!("line {i}\n");
            want.extend_from_slice(line.as_bytes());
            q.push(line.as_bytes()).unwrap();
            if i % 3 == 0 {
                q.write_once(&mut w).unwrap();
            }
        }
        let mut turns = 0;
        while !q.is_empty() {
            q.write_once(&mut w).unwrap();
            turns += 1;
            assert!(turns < 100_000);
        }
        assert_eq!(w.out, want);
    }

    #[test]
    fn push_past_the_limit_is_refused_whole() {
        let mut q = OutQueue::new(10);
        q.push(b"12345678").unwrap();
        assert_eq!(q.push(b"abc"), Err(Overflow));
        assert_eq!(q.as_bytes(), b"12345678");
        q.push(b"ab").unwrap();
        assert_eq!(q.pending(), 10);
    }

    #[test]
    fn written_bytes_free_room_under_the_limit() {
        let mut q = OutQueue::new(10);
        q.push(b"0123456789").unwrap();
        let mut sink = Vec::new();
        // A Vec takes everything in one write.
        assert_eq!(q.write_once(&mut sink).unwrap(), 10);
        assert!(q.is_empty());
        q.push(b"0123456789").unwrap();
        assert_eq!(sink, b"0123456789");
    }

    #[test]
    fn one_write_carries_everything_queued() {
        let mut q = OutQueue::new(1000);
        for _ in 0..10 {
            q.push(b"abc\n").unwrap();
        }
        struct Count(usize, Vec<u8>);
        impl Write for Count {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                self.0 += 1;
                self.1.extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut c = Count(0, Vec::new());
        q.write_once(&mut c).unwrap();
        assert_eq!(c.0, 1);
        assert_eq!(c.1.len(), 40);
    }

    #[test]
    fn a_failed_write_keeps_the_queue() {
        struct Broken;
        impl Write for Broken {
            fn write(&mut self, _: &[u8]) -> io::Result<usize> {
                Err(io::ErrorKind::BrokenPipe.into())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut q = OutQueue::new(100);
        q.push(b"keep").unwrap();
        assert!(q.write_once(&mut Broken).is_err());
        assert_eq!(q.as_bytes(), b"keep");
    }
}
