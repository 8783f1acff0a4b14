//! Waking a blocked loop: a self-pipe [`Waker`], and SIGINT/SIGTERM forwarded into one.
//!
//! A signal handler may do almost nothing safely; ours writes one byte (the signal number)
//! into the waker's pipe with `write(2)`, which is async-signal-safe, and restores `errno`.
//! The loop watches the pipe's read end like any socket and shuts down in its own time.
//! Threads that want to learn of a shutdown can `poll` the same read end: the byte stays
//! in the pipe until someone calls [`Waker::drain`].

use crate::sys::cvt;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicI32, Ordering};

/// A non-blocking pipe: `wake` from any thread (or a signal handler), watch `read_fd`.
#[derive(Debug)]
pub struct Waker {
    read: OwnedFd,
    write: OwnedFd,
}

impl Waker {
    pub fn new() -> io::Result<Waker> {
        let mut fds = [0; 2];
        // SAFETY: pipe2 fills the array with two fresh descriptors.
        cvt(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) })?;
        // SAFETY: both descriptors are fresh and owned by nothing else.
        let (read, write) = unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        Ok(Waker { read, write })
    }

    /// The descriptor to watch for readability.
    pub fn read_fd(&self) -> RawFd {
        self.read.as_raw_fd()
    }

    /// Makes `read_fd` readable. A full pipe already is, so `EAGAIN` is success.
    pub fn wake(&self) {
        let b = 1u8;
        // SAFETY: writes one byte from a live local.
        unsafe {
            libc::write(
                self.write.as_raw_fd(),
                &b as *const u8 as *const libc::c_void,
                1,
            )
        };
    }

    /// Empties the pipe; returns whether anything was in it.
    pub fn drain(&self) -> bool {
        let mut buf = [0u8; 64];
        let mut any = false;
        loop {
            // SAFETY: reads into a live local buffer of the given size.
            let n = unsafe {
                libc::read(
                    self.read.as_raw_fd(),
                    buf.as_mut_ptr() as *mut libc::c_void,
                    buf.len(),
                )
            };
            if n > 0 {
                any = true;
                continue;
            }
            if n == -1 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return any;
        }
    }

    /// Whether `wake` was called and nobody drained since (does not consume).
    pub fn is_woken(&self) -> bool {
        let mut pfd = libc::pollfd {
            fd: self.read.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one pollfd we own, zero timeout.
        unsafe { libc::poll(&mut pfd, 1, 0) == 1 }
    }
}

/// The write end the handler writes to; -1 while no handler is installed.
static SIGNAL_PIPE: AtomicI32 = AtomicI32::new(-1);
/// The last signal caught, for the log line saying why a server stopped.
static LAST_SIGNAL: AtomicI32 = AtomicI32::new(0);

extern "C" fn on_signal(sig: libc::c_int) {
    // SAFETY: only async-signal-safe calls: errno access and write(2).
    unsafe {
        let saved = *libc::__errno_location();
        LAST_SIGNAL.store(sig, Ordering::Relaxed);
        let fd = SIGNAL_PIPE.load(Ordering::Relaxed);
        if fd >= 0 {
            let b = sig as u8;
            libc::write(fd, &b as *const u8 as *const libc::c_void, 1);
        }
        *libc::__errno_location() = saved;
    }
}

/// Installs a handler for `signals` that wakes `waker`. The handler keeps its own duplicate of
/// the pipe's write end for the life of the process, so dropping the waker later is safe.
/// `SA_RESTART` is set, so blocking calls elsewhere are restarted rather than failing.
pub fn forward_signals(waker: &Waker, signals: &[libc::c_int]) -> io::Result<()> {
    // SAFETY: duplicates a descriptor we own; the copy is leaked to the handler on purpose.
    let dup = cvt(unsafe { libc::fcntl(waker.write.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) })?;
    let old = SIGNAL_PIPE.swap(dup, Ordering::SeqCst);
    if old >= 0 {
        // SAFETY: the previous duplicate is ours; the handler now uses the new one.
        unsafe { libc::close(old) };
    }
    for &sig in signals {
        // SAFETY: a zeroed sigaction with our handler, an empty mask and SA_RESTART.
        unsafe {
            let mut sa: libc::sigaction = std::mem::zeroed();
            sa.sa_sigaction = on_signal as *const () as libc::sighandler_t;
            sa.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut sa.sa_mask);
            cvt(libc::sigaction(sig, &sa, std::ptr::null_mut()))?;
        }
    }
    Ok(())
}

/// The number of the last signal the handler caught (0 if none).
pub fn last_signal() -> libc::c_int {
    LAST_SIGNAL.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wake_makes_readable_and_drain_empties() {
        let w = Waker::new().unwrap();
        assert!(!w.is_woken());
        w.wake();
        w.wake();
        assert!(w.is_woken());
        assert!(w.drain());
        assert!(!w.is_woken());
        assert!(!w.drain());
    }

    #[test]
    fn many_wakes_never_block() {
        let w = Waker::new().unwrap();
        for _ in 0..200_000 {
            w.wake();
        }
        assert!(w.drain());
    }

    #[test]
    fn a_forwarded_signal_wakes_the_pipe() {
        let w = Waker::new().unwrap();
        // SIGUSR2: nothing else in the test binary uses it.
        forward_signals(&w, &[libc::SIGUSR2]).unwrap();
        // SAFETY: raise delivers to this thread; the handler is installed.
        unsafe { libc::raise(libc::SIGUSR2) };
        assert!(w.is_woken());
        assert_eq!(last_signal(), libc::SIGUSR2);
    }
}
