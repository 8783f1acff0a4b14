//! The pipe pool: a direction takes a pipe only while it has bytes in flight and gives it
//! back, empty, once they are in the sink; an idle connection then holds no pipe, only its
//! two sockets. As HAProxy does (`maxpipes`, `get_pipe`/`put_pipe` in its `src/pipe.c`),
//! the pool is bounded: at most `max` pipes exist at once, in use or kept free for the next
//! taker. When none can be had (the bound, or no descriptor left) the caller copies through
//! a buffer instead, so a connection never fails for want of a pipe.
//!
//! The buffers a direction copies through (`splice-auto`'s small reads, `forward copy`, or no
//! pipe to be had) come from here too: kept when given back, up to [`FREE_BUFFER_BYTES`], so
//! a small request costs neither an allocation nor the zeroing of a fresh buffer.
//!
//! Pipes and buffers are `pipe_size` bytes: a pipe is asked for that capacity
//! (`F_SETPIPE_SZ`, HAProxy's `tune.pipesize`); where the kernel refuses (past
//! `fs.pipe-max-size` unprivileged, or over the user's pipe pages) the pipe keeps the
//! capacity it has, and a direction splices at most that much at once.

use crate::sys;
use std::os::fd::OwnedFd;

/// A pipe: its read end and its write end, both non-blocking, and its capacity.
#[derive(Debug)]
pub(crate) struct Pipe {
    pub(crate) r: OwnedFd,
    pub(crate) w: OwnedFd,
    pub(crate) capacity: usize,
}

/// Copy buffers kept for the next taker at most, in bytes (64 of 64 KiB, 4 of 1 MiB).
pub(crate) const FREE_BUFFER_BYTES: usize = 4 << 20;
/// The kernel's default pipe capacity, and `pipe_size`'s default.
pub(crate) const DEFAULT_SIZE: usize = 64 * 1024;

#[derive(Debug)]
pub(crate) struct Pipes {
    /// Empty pipes ready for the next taker.
    free: Vec<Pipe>,
    /// Copy buffers ready for the next taker.
    buffers: Vec<Box<[u8]>>,
    /// Pipes taken and not given back.
    in_use: usize,
    /// The most pipes that may exist, in use and free together.
    max: usize,
    /// The capacity asked of a new pipe, and the size of a buffer.
    size: usize,
}

impl Pipes {
    pub(crate) fn new(max: usize) -> Pipes {
        Pipes {
            free: Vec::new(),
            buffers: Vec::new(),
            in_use: 0,
            max,
            size: DEFAULT_SIZE,
        }
    }

    /// A new `pipe_size` (a reload): free pipes and buffers of another size are closed.
    pub(crate) fn set_size(&mut self, size: usize) {
        if size != self.size {
            self.size = size;
            self.free.clear();
            self.buffers.clear();
        }
    }

    /// A new bound (a reload); free pipes beyond it are closed at once, pipes in use beyond it
    /// when they come back.
    pub(crate) fn set_max(&mut self, max: usize) {
        self.max = max;
        let keep = max.saturating_sub(self.in_use);
        self.free.truncate(keep);
    }

    /// An empty pipe: a free one, or a new one while under the bound. `None` at the bound or
    /// when no pipe can be made (`EMFILE`, `ENFILE`): the caller copies instead.
    pub(crate) fn take(&mut self) -> Option<Pipe> {
        if self.in_use >= self.max {
            return None;
        }
        let pipe = match self.free.pop() {
            Some(p) => p,
            None => {
                let (r, w) = sys::pipe().ok()?;
                let capacity = sys::set_pipe_size(&w, self.size);
                Pipe { r, w, capacity }
            }
        };
        self.in_use += 1;
        Some(pipe)
    }

    /// A pipe back from its taker: kept for the next one if `empty` and under the bound,
    /// closed otherwise (bytes left in it belong to a connection that is gone).
    pub(crate) fn give(&mut self, pipe: Pipe, empty: bool) {
        self.in_use -= 1;
        if empty && self.in_use + self.free.len() < self.max {
            self.free.push(pipe);
        }
    }

    /// A copy buffer of `pipe_size` bytes: a kept one, or a new one.
    pub(crate) fn take_buffer(&mut self) -> Box<[u8]> {
        self.buffers
            .pop()
            .unwrap_or_else(|| vec![0u8; self.size].into_boxed_slice())
    }

    /// A copy buffer back from its taker, kept for the next one while under the bound.
    pub(crate) fn give_buffer(&mut self, buf: Box<[u8]>) {
        if buf.len() == self.size && (self.buffers.len() + 1) * self.size <= FREE_BUFFER_BYTES {
            self.buffers.push(buf);
        }
    }

    /// Pipes taken and not given back.
    #[cfg(test)]
    pub(crate) fn in_use(&self) -> usize {
        self.in_use
    }

    /// Pipes open: in use and free.
    #[cfg(test)]
    pub(crate) fn open(&self) -> usize {
        self.in_use + self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_most_max_pipes_exist_and_empty_ones_are_reused() {
        let mut pool = Pipes::new(2);
        let a = pool.take().unwrap();
        let b = pool.take().unwrap();
        assert!(pool.take().is_none(), "a third pipe past a bound of 2");
        assert_eq!((pool.in_use(), pool.open()), (2, 2));
        let a_fd = std::os::fd::AsRawFd::as_raw_fd(&a.r);
        pool.give(a, true);
        assert_eq!((pool.in_use(), pool.open()), (1, 2));
        let again = pool.take().unwrap();
        assert_eq!(
            std::os::fd::AsRawFd::as_raw_fd(&again.r),
            a_fd,
            "not reused"
        );
        // One given back with bytes in it is closed, not kept for another taker.
        pool.give(b, false);
        assert_eq!((pool.in_use(), pool.open()), (1, 1));
        pool.give(again, true);
        assert_eq!((pool.in_use(), pool.open()), (0, 1));
    }

    #[test]
    fn a_lower_bound_closes_free_pipes_and_a_bound_of_zero_gives_none() {
        let mut pool = Pipes::new(3);
        let taken: Vec<Pipe> = (0..3).map(|_| pool.take().unwrap()).collect();
        let mut taken = taken.into_iter();
        pool.give(taken.next().unwrap(), true);
        pool.give(taken.next().unwrap(), true);
        assert_eq!(pool.open(), 3);
        pool.set_max(1);
        // One still in use: no free one may stay.
        assert_eq!((pool.in_use(), pool.open()), (1, 1));
        assert!(pool.take().is_none());
        pool.give(taken.next().unwrap(), true);
        assert_eq!(pool.open(), 1);
        pool.set_max(0);
        assert_eq!(pool.open(), 0);
        assert!(pool.take().is_none());
    }
}
