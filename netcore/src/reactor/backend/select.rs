//! The `select(2)` backend: three bitmaps of `FD_SETSIZE` bits rebuilt on every wait.
//!
//! `select` cannot name a descriptor at or beyond `FD_SETSIZE` (1024 on Linux): `FD_SET` on
//! such a descriptor writes past the end of the set. [`Select::register`] refuses those with
//! an `InvalidInput` error that says so, and the event loop turns that into a refused client.

use super::{Event, Interest, Readiness};
use std::io;
use std::mem::MaybeUninit;
use std::os::fd::RawFd;
use std::time::Duration;

/// The `select(2)` readiness backend.
#[derive(Debug, Default)]
pub struct Select {
    /// Indexed by descriptor: the token and interest of each registration.
    slots: Vec<Option<(usize, Interest)>>,
}

impl Select {
    pub fn new() -> Select {
        Select { slots: Vec::new() }
    }

    fn slot(&mut self, fd: RawFd) -> io::Result<&mut Option<(usize, Interest)>> {
        if fd < 0 || fd as usize >= libc::FD_SETSIZE {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "descriptor {fd} is at or beyond FD_SETSIZE ({}): select(2) cannot watch it \
                     (use the poll or epoll model for this many connections)",
                    libc::FD_SETSIZE
                ),
            ));
        }
        let i = fd as usize;
        if self.slots.len() <= i {
            self.slots.resize(i + 1, None);
        }
        Ok(&mut self.slots[i])
    }
}

fn empty_set() -> libc::fd_set {
    let mut set = MaybeUninit::<libc::fd_set>::uninit();
    // SAFETY: FD_ZERO initialises the whole set.
    unsafe {
        libc::FD_ZERO(set.as_mut_ptr());
        set.assume_init()
    }
}

impl Readiness for Select {
    fn name(&self) -> &'static str {
        "select"
    }

    fn register(&mut self, fd: RawFd, token: usize, interest: Interest) -> io::Result<()> {
        let slot = self.slot(fd)?;
        if slot.is_some() {
            return Err(io::Error::from_raw_os_error(libc::EEXIST));
        }
        *slot = Some((token, interest));
        Ok(())
    }

    fn reregister(&mut self, fd: RawFd, token: usize, interest: Interest) -> io::Result<()> {
        let slot = self.slot(fd)?;
        if slot.is_none() {
            return Err(io::Error::from_raw_os_error(libc::ENOENT));
        }
        *slot = Some((token, interest));
        Ok(())
    }

    fn deregister(&mut self, fd: RawFd) -> io::Result<()> {
        let slot = self.slot(fd)?;
        if slot.take().is_none() {
            return Err(io::Error::from_raw_os_error(libc::ENOENT));
        }
        while matches!(self.slots.last(), Some(None)) {
            self.slots.pop();
        }
        Ok(())
    }

    fn wait(&mut self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()> {
        events.clear();
        let mut read = empty_set();
        let mut write = empty_set();
        let mut nfds = 0;
        for (fd, slot) in self.slots.iter().enumerate() {
            if let Some((_, interest)) = slot {
                // Every fd here is below FD_SETSIZE: `slot` refused the others.
                let fd = fd as RawFd;
                // SAFETY: fd < FD_SETSIZE, the sets are initialised.
                unsafe {
                    if interest.readable {
                        libc::FD_SET(fd, &mut read);
                    }
                    if interest.writable {
                        libc::FD_SET(fd, &mut write);
                    }
                }
                nfds = fd + 1;
            }
        }
        let mut tv;
        let tv_ptr = match timeout {
            None => std::ptr::null_mut(),
            Some(d) => {
                tv = libc::timeval {
                    tv_sec: d.as_secs().min(i32::MAX as u64) as libc::time_t,
                    tv_usec: d.subsec_micros() as libc::suseconds_t,
                };
                &mut tv as *mut libc::timeval
            }
        };
        // SAFETY: the sets and timeval live across the call; nfds bounds the sets.
        let n = unsafe { libc::select(nfds, &mut read, &mut write, std::ptr::null_mut(), tv_ptr) };
        if n == -1 {
            let err = io::Error::last_os_error();
            return if err.kind() == io::ErrorKind::Interrupted {
                Ok(())
            } else {
                Err(err)
            };
        }
        if n == 0 {
            return Ok(());
        }
        for (fd, slot) in self.slots.iter().enumerate() {
            if let Some((token, _)) = slot {
                // SAFETY: fd < FD_SETSIZE, sets initialised.
                let (r, w) = unsafe {
                    (
                        libc::FD_ISSET(fd as RawFd, &read),
                        libc::FD_ISSET(fd as RawFd, &write),
                    )
                };
                if r || w {
                    events.push(Event {
                        token: *token,
                        readable: r,
                        writable: w,
                        hangup: false,
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

    #[test]
    fn descriptors_beyond_fd_setsize_are_refused_with_a_clear_error() {
        crate::sys::raise_fd_limit(4096).unwrap();
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        // SAFETY: F_DUPFD returns a new descriptor we then own.
        let high = unsafe { libc::fcntl(a.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 1500) };
        assert!(high >= 1500, "could not get a descriptor >= 1500");
        // SAFETY: `high` is a fresh descriptor owned by nothing else.
        let high = unsafe { OwnedFd::from_raw_fd(high) };
        let mut s = Select::new();
        let err = s.register(high.as_raw_fd(), 1, Interest::READ).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("FD_SETSIZE"), "{err}");
        // The backend still works for the descriptors it can watch.
        s.register(a.as_raw_fd(), 2, Interest::WRITE).unwrap();
        let mut events = Vec::new();
        s.wait(&mut events, Some(Duration::from_secs(1))).unwrap();
        assert_eq!(events.len(), 1);
    }

    #[test]
    fn double_registration_and_unknown_deregistration_are_errors() {
        let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
        let mut s = Select::new();
        s.register(a.as_raw_fd(), 1, Interest::READ).unwrap();
        assert!(s.register(a.as_raw_fd(), 1, Interest::READ).is_err());
        s.deregister(a.as_raw_fd()).unwrap();
        assert!(s.deregister(a.as_raw_fd()).is_err());
    }
}
