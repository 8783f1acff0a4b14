//! The `poll(2)` backend: one `pollfd` array handed to the kernel on every wait.

use super::{Event, Interest, Readiness};
use std::collections::HashMap;
use std::io;
use std::os::fd::RawFd;
use std::time::Duration;

/// The `poll(2)` readiness backend.
#[derive(Debug, Default)]
pub struct Poll {
    fds: Vec<libc::pollfd>,
    /// `tokens[i]` is the token of `fds[i]`.
    tokens: Vec<usize>,
    /// Descriptor → its index in `fds`.
    index: HashMap<RawFd, usize>,
}

fn poll_events(interest: Interest) -> libc::c_short {
    let mut ev = 0;
    if interest.readable {
        ev |= libc::POLLIN;
    }
    if interest.writable {
        ev |= libc::POLLOUT;
    }
    ev
}

impl Poll {
    pub fn new() -> Poll {
        Poll::default()
    }
}

impl Readiness for Poll {
    fn name(&self) -> &'static str {
        "poll"
    }

    fn register(&mut self, fd: RawFd, token: usize, interest: Interest) -> io::Result<()> {
        if self.index.contains_key(&fd) {
            return Err(io::Error::from_raw_os_error(libc::EEXIST));
        }
        self.index.insert(fd, self.fds.len());
        self.fds.push(libc::pollfd {
            fd,
            events: poll_events(interest),
            revents: 0,
        });
        self.tokens.push(token);
        Ok(())
    }

    fn reregister(&mut self, fd: RawFd, token: usize, interest: Interest) -> io::Result<()> {
        let i = *self
            .index
            .get(&fd)
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))?;
        self.fds[i].events = poll_events(interest);
        self.tokens[i] = token;
        Ok(())
    }

    fn deregister(&mut self, fd: RawFd) -> io::Result<()> {
        let i = self
            .index
            .remove(&fd)
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOENT))?;
        self.fds.swap_remove(i);
        self.tokens.swap_remove(i);
        if let Some(moved) = self.fds.get(i) {
            self.index.insert(moved.fd, i);
        }
        Ok(())
    }

    fn wait(&mut self, events: &mut Vec<Event>, timeout: Option<Duration>) -> io::Result<()> {
        events.clear();
        // SAFETY: the array and its length describe memory we own for the whole call.
        let n = unsafe {
            libc::poll(
                self.fds.as_mut_ptr(),
                self.fds.len() as libc::nfds_t,
                super::timeout_ms(timeout),
            )
        };
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
        for (pfd, &token) in self.fds.iter().zip(&self.tokens) {
            let re = pfd.revents;
            if re == 0 {
                continue;
            }
            let hangup = re & (libc::POLLERR | libc::POLLHUP | libc::POLLNVAL) != 0;
            events.push(Event {
                token,
                readable: re & libc::POLLIN != 0 || hangup,
                writable: re & libc::POLLOUT != 0,
                hangup,
            });
        }
        Ok(())
    }
}
