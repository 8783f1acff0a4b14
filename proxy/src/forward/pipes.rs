//! The pipe pool: a direction takes a pipe only while it has bytes in flight and gives it
//! back, empty, once they are in the sink; an idle connection then holds no pipe, only its
//! two sockets. As HAProxy does (`maxpipes`, `get_pipe`/`put_pipe` in its `src/pipe.c`),
//! the pool is bounded: at most `max` pipes exist at once, in use or kept free for the next
//! taker. When none can be had (the bound, or no descriptor left) the caller copies through
//! a buffer instead, so a connection never fails for want of a pipe.
//!
//! The buffers a direction copies through for a moment (`splice-auto`'s small reads, or no
//! pipe to be had) come from here too: kept when given back, up to [`FREE_BUFFERS`], so a
//! small request costs neither an allocation nor the zeroing of a fresh buffer.

use crate::sys;
use std::os::fd::OwnedFd;

/// A pipe: its read end and its write end, both non-blocking.
#[derive(Debug)]
pub(crate) struct Pipe {
    pub(crate) r: OwnedFd,
    pub(crate) w: OwnedFd,
}

/// Copy buffers kept for the next taker at most (64 KiB each: 4 MiB in all).
pub(crate) const FREE_BUFFERS: usize = 64;

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
}

impl Pipes {
    pub(crate) fn new(max: usize) -> Pipes {
        Pipes {
            free: Vec::new(),
            buffers: Vec::new(),
            in_use: 0,
            max,
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
                Pipe { r, w }
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

    /// A copy buffer of `len` bytes: a kept one, or a new one.
    pub(crate) fn take_buffer(&mut self, len: usize) -> Box<[u8]> {
        match self.buffers.pop() {
            Some(b) if b.len() == len => b,
            _ => vec![0u8; len].into_boxed_slice(),
        }
    }

    /// A copy buffer back from its taker, kept for the next one while under the bound.
    pub(crate) fn give_buffer(&mut self, buf: Box<[u8]>) {
        if self.buffers.len() < FREE_BUFFERS {
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
