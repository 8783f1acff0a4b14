//! The signals an operator sends, as commands for the main thread (nginx's set):
//!
//! | signal | command |
//! |---|---|
//! | SIGTERM, SIGINT | [`Command::Stop`]: fast shutdown, connections closed at once |
//! | SIGQUIT | [`Command::Graceful`]: stop accepting, finish responses in flight (up to `shutdown_timeout`), exit |
//! | SIGHUP | [`Command::Reload`]: re-read the config file; a bad one is refused, the old one keeps serving |
//! | SIGUSR1 | [`Command::Reopen`]: reopen the access and error logs (logrotate) |
//!
//! The handler (netcore's) writes the signal number into a pipe; [`Signals::wait`] reads it
//! in the main thread, where anything may be done safely.

use netcore::reactor::signal::{forward_signals, Waker};
use std::io;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Command {
    Stop,
    Graceful,
    Reload,
    Reopen,
}

/// The command a signal asks for.
pub(crate) fn command_of(sig: libc::c_int) -> Option<Command> {
    match sig {
        libc::SIGTERM | libc::SIGINT => Some(Command::Stop),
        libc::SIGQUIT => Some(Command::Graceful),
        libc::SIGHUP => Some(Command::Reload),
        libc::SIGUSR1 => Some(Command::Reopen),
        _ => None,
    }
}

/// The signals' pipe, read by the main thread only.
pub(crate) struct Signals {
    pipe: Waker,
}

impl Signals {
    /// Installs the handlers.
    pub(crate) fn install() -> io::Result<Signals> {
        let pipe = Waker::new()?;
        forward_signals(&pipe, &HANDLED)?;
        block(false);
        Ok(Signals { pipe })
    }

    /// Waits up to `timeout` for signals; returns their commands in arrival order.
    pub(crate) fn wait(&self, timeout: Duration) -> Vec<Command> {
        let mut pfd = libc::pollfd {
            fd: self.pipe.read_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
        // SAFETY: one pollfd we own.
        if unsafe { libc::poll(&mut pfd, 1, ms) } <= 0 {
            return Vec::new();
        }
        let mut buf = [0u8; 64];
        let mut out = Vec::new();
        loop {
            // SAFETY: reads into a live local buffer of its size; the pipe is non-blocking.
            let n = unsafe {
                libc::read(
                    self.pipe.read_fd(),
                    buf.as_mut_ptr() as *mut libc::c_void,
                    buf.len(),
                )
            };
            if n <= 0 {
                break;
            }
            out.extend(
                buf[..n as usize]
                    .iter()
                    .filter_map(|&b| command_of(libc::c_int::from(b))),
            );
        }
        out
    }
}

/// The signals we handle, blocked (`true`) or unblocked in the calling thread. The master
/// blocks them around `fork`, so a worker cannot take one before it installed its own
/// handlers (it would run the master's, writing into the master's pipe); the worker unblocks
/// them once installed, and what was pending is delivered then.
pub(crate) fn block(blocked: bool) {
    // SAFETY: a local signal set, filled and passed to pthread_sigmask.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in HANDLED {
            libc::sigaddset(&mut set, sig);
        }
        let how = if blocked {
            libc::SIG_BLOCK
        } else {
            libc::SIG_UNBLOCK
        };
        libc::pthread_sigmask(how, &set, std::ptr::null_mut());
    }
}

const HANDLED: [libc::c_int; 5] = [
    libc::SIGTERM,
    libc::SIGINT,
    libc::SIGQUIT,
    libc::SIGHUP,
    libc::SIGUSR1,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands() {
        assert_eq!(command_of(libc::SIGTERM), Some(Command::Stop));
        assert_eq!(command_of(libc::SIGQUIT), Some(Command::Graceful));
        assert_eq!(command_of(libc::SIGHUP), Some(Command::Reload));
        assert_eq!(command_of(libc::SIGUSR1), Some(Command::Reopen));
        assert_eq!(command_of(libc::SIGUSR2), None);
    }
}
