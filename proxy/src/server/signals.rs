//! The signals an operator sends, as commands for the loop (httpd's set, nginx's):
//!
//! | signal | command |
//! |---|---|
//! | SIGTERM, SIGINT | [`Command::Stop`]: every connection closed at once |
//! | SIGQUIT | [`Command::Drain`]: stop accepting, let open connections end (up to `shutdown_timeout`), exit |
//! | SIGHUP | [`Command::Reload`]: read the config file again; a bad one is refused, the old one stays |
//!
//! netcore's handler writes the signal number into the waker's pipe; [`take`] reads them in
//! the loop, where anything may be done safely.

use netcore::reactor::signal::{forward_signals, Waker};
use std::io;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Command {
    Stop,
    Drain,
    Reload,
}

const HANDLED: [libc::c_int; 4] = [libc::SIGTERM, libc::SIGINT, libc::SIGQUIT, libc::SIGHUP];

/// Forwards the handled signals into `waker`.
pub(crate) fn install(waker: &Waker) -> io::Result<()> {
    forward_signals(waker, &HANDLED)
}

fn command_of(sig: libc::c_int) -> Option<Command> {
    match sig {
        libc::SIGTERM | libc::SIGINT => Some(Command::Stop),
        libc::SIGQUIT => Some(Command::Drain),
        libc::SIGHUP => Some(Command::Reload),
        _ => None,
    }
}

/// The commands of the signals in the waker's pipe, in arrival order; empties the pipe.
pub(crate) fn take(waker: &Waker) -> Vec<Command> {
    let mut buf = [0u8; 64];
    let mut out = Vec::new();
    loop {
        // SAFETY: reads into a live local buffer of its size; the pipe is non-blocking.
        let n = unsafe {
            libc::read(
                waker.read_fd(),
                buf.as_mut_ptr() as *mut libc::c_void,
                buf.len(),
            )
        };
        if n > 0 {
            out.extend(
                buf[..n as usize]
                    .iter()
                    .filter_map(|&b| command_of(libc::c_int::from(b))),
            );
            continue;
        }
        if n == -1 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        return out;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_numbers_become_commands() {
        let w = Waker::new().unwrap();
        assert!(take(&w).is_empty());
        // What the handler writes: one byte, the signal number.
        w.wake(); // 1 is SIGHUP's number on Linux
        assert_eq!(take(&w), vec![Command::Reload]);
        assert_eq!(command_of(libc::SIGQUIT), Some(Command::Drain));
        assert_eq!(command_of(libc::SIGTERM), Some(Command::Stop));
    }
}
