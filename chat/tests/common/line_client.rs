//! A program nobody here wrote (`openssl s_client`, `socat`) as a chat client: lines to its
//! stdin, the server's lines from its stdout, read on a thread so that every wait is bounded.

use super::GUARD;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// The child and its stdout lines; killed when dropped.
pub struct LineClient {
    pub child: Child,
    lines: Receiver<String>,
}

impl LineClient {
    /// Starts `cmd` with stdin and stdout piped (stderr discarded).
    pub fn spawn(cmd: &mut Command) -> LineClient {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {cmd:?}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { return };
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        LineClient { child, lines }
    }

    pub fn say(&mut self, line: &str) {
        let stdin = self.child.stdin.as_mut().unwrap();
        stdin.write_all(format!("{line}\n").as_bytes()).unwrap();
        stdin.flush().unwrap();
    }

    /// The next line; panics at its end of output or after the guard time.
    pub fn line(&self) -> String {
        self.try_line().expect("a line from the client")
    }

    /// The next line, or `None` once its output has ended.
    pub fn try_line(&self) -> Option<String> {
        match self.lines.recv_timeout(GUARD) {
            Ok(l) => Some(l),
            Err(RecvTimeoutError::Disconnected) => None,
            Err(RecvTimeoutError::Timeout) => panic!("no line from the client in {GUARD:?}"),
        }
    }

    pub fn until(&self, want: impl Fn(&str) -> bool) -> String {
        loop {
            let l = self.line();
            if want(&l) {
                return l;
            }
        }
    }

    /// Waits (bounded) for the child to exit; its exit code.
    pub fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + GUARD;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "the client did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for LineClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
