//! `chat connect`: a client a person can use in a terminal.
//!
//! On a terminal the line being typed is ours, not the terminal's: the terminal is put in
//! non-canonical, no-echo mode, keystrokes are collected into an input line, and each incoming
//! line is printed by erasing the input line (`\r` + erase-line), printing the message, and
//! redrawing the prompt with what was typed so far. So incoming lines never garble typing.
//! Output post-processing stays on, so `\n` still moves to the start of the next line.
//! The terminal settings are restored on exit. Keys: Enter sends, Backspace, Ctrl-U (erase
//! line), Ctrl-W (erase word); Ctrl-C, or Ctrl-D on an empty line, quits.
//!
//! Without a terminal (input or output redirected) it is a plain pipe: stdin lines go to the
//! server, server lines to stdout, and end of input half-closes the connection (over TLS:
//! sends `close_notify`, and reads on until the server closes).
//!
//! With TLS ([`crate::tls::connect`]) the server's certificate is checked against the
//! system's CAs (or `--ca`), and its name against the host part of the address, before a
//! byte of chat goes out; `--insecure` skips both.

use crate::conn::Conn;
use crate::tls::{self, ClientTlsOptions};
use openssl::ssl::SslStream;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsRawFd;
use std::thread;
use std::time::{Duration, Instant};

/// Longest input line the client lets you type.
const MAX_INPUT: usize = 4096;

/// Connects to `addr` (over TLS with `tls`) and runs the client until the server closes or
/// the user quits.
pub fn run(addr: &str, tls: Option<&ClientTlsOptions>) -> io::Result<()> {
    let stream = TcpStream::connect(addr)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot connect to {addr}: {e}")))?;
    // SAFETY: isatty only inspects the descriptors.
    let tty = unsafe { libc::isatty(0) == 1 && libc::isatty(1) == 1 };
    match tls {
        None if tty => interactive(Conn::Plain(stream)),
        None => piped(stream),
        Some(opts) => {
            let tls = Box::new(tls::connect(stream, tls::host_of(addr), opts)?);
            if tty {
                interactive(Conn::Tls(tls))
            } else {
                piped_tls(tls)
            }
        }
    }
}

/// The pipe over TLS: one thread (an SSL connection is not split across two), `poll(2)` on
/// stdin and the socket.
fn piped_tls(mut conn: Box<SslStream<TcpStream>>) -> io::Result<()> {
    let mut stdout = io::stdout();
    let mut buf = [0u8; 16 * 1024];
    let mut input_open = true;
    loop {
        let mut fds = [
            libc::pollfd {
                fd: conn.get_ref().as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: if input_open { 0 } else { -1 },
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        if conn.ssl().pending() == 0 {
            // SAFETY: two live pollfds (a negative fd is ignored).
            unsafe { libc::poll(fds.as_mut_ptr(), 2, -1) };
        } else {
            fds[0].revents = libc::POLLIN;
        }
        if fds[0].revents != 0 {
            let n = match conn.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                return Ok(());
            }
            stdout.write_all(&buf[..n])?;
            stdout.flush()?;
        }
        if fds[1].revents != 0 {
            // SAFETY: reads into a live buffer; fd 0 is read unbuffered, so `poll` sees all.
            let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            if n == 0 {
                input_open = false;
                // The TLS half-close: the server sees the end, we read on until it closes.
                let _ = conn.shutdown();
            } else {
                conn.write_all(&buf[..n as usize])?;
            }
        }
    }
}

fn piped(stream: TcpStream) -> io::Result<()> {
    let mut from_server = stream.try_clone()?;
    let printer = thread::spawn(move || -> io::Result<()> {
        let mut stdout = io::stdout();
        let mut buf = [0u8; 16 * 1024];
        loop {
            let n = match from_server.read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            stdout.write_all(&buf[..n])?;
            stdout.flush()?;
        }
    });
    let mut to_server = &stream;
    let copied = io::copy(&mut io::stdin().lock(), &mut to_server);
    let _ = stream.shutdown(Shutdown::Write);
    let printed = printer
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("output thread panicked")));
    copied?;
    printed
}

/// The terminal's settings, restored when dropped.
struct RawMode {
    saved: libc::termios,
}

impl RawMode {
    fn enable() -> io::Result<RawMode> {
        // SAFETY: termios is plain data; tcgetattr fills it.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: fd 0 is a terminal (checked by the caller); `t` is live.
        if unsafe { libc::tcgetattr(0, &mut t) } != 0 {
            return Err(io::Error::last_os_error());
        }
        let saved = t;
        t.c_lflag &= !(libc::ICANON | libc::ECHO | libc::ISIG | libc::IEXTEN);
        t.c_iflag &= !(libc::IXON | libc::ICRNL);
        t.c_cc[libc::VMIN] = 1;
        t.c_cc[libc::VTIME] = 0;
        // SAFETY: as above.
        if unsafe { libc::tcsetattr(0, libc::TCSANOW, &t) } != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(RawMode { saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: restores the settings read in `enable`.
        unsafe { libc::tcsetattr(0, libc::TCSANOW, &self.saved) };
    }
}

/// What the person has typed, and the screen around it.
struct Editor {
    input: Vec<u8>,
    /// Inside an escape sequence (arrow keys...), which is skipped.
    escape: Escape,
}

#[derive(PartialEq)]
enum Escape {
    None,
    Started,
    Csi,
}

/// What a keystroke asks for.
enum Action {
    None,
    Redraw,
    Send(Vec<u8>),
    Quit,
}

impl Editor {
    fn key(&mut self, b: u8) -> Action {
        match self.escape {
            Escape::Started => {
                self.escape = if b == b'[' || b == b'O' {
                    Escape::Csi
                } else {
                    Escape::None
                };
                return Action::None;
            }
            Escape::Csi => {
                if (0x40..=0x7e).contains(&b) {
                    self.escape = Escape::None;
                }
                return Action::None;
            }
            Escape::None => {}
        }
        match b {
            b'\r' | b'\n' => Action::Send(std::mem::take(&mut self.input)),
            0x03 => Action::Quit,
            0x04 if self.input.is_empty() => Action::Quit,
            0x7f | 0x08 => {
                // Remove one whole UTF-8 character.
                while let Some(last) = self.input.pop() {
                    if last & 0xc0 != 0x80 {
                        break;
                    }
                }
                Action::Redraw
            }
            0x15 => {
                self.input.clear();
                Action::Redraw
            }
            0x17 => {
                while self.input.last() == Some(&b' ') {
                    self.input.pop();
                }
                while matches!(self.input.last(), Some(&c) if c != b' ') {
                    self.input.pop();
                }
                Action::Redraw
            }
            0x1b => {
                self.escape = Escape::Started;
                Action::None
            }
            b if b < 0x20 => Action::None,
            b => {
                if self.input.len() < MAX_INPUT {
                    self.input.push(b);
                }
                Action::Redraw
            }
        }
    }

    /// Erases the input line, and returns the bytes that redraw the prompt and the input.
    fn prompt(&self) -> Vec<u8> {
        let mut s = b"\r\x1b[K> ".to_vec();
        s.extend_from_slice(String::from_utf8_lossy(&self.input).as_bytes());
        s
    }
}

/// A server line made safe for the terminal: no control characters.
fn printable(line: &[u8]) -> String {
    String::from_utf8_lossy(line)
        .chars()
        .map(|c| if c.is_control() && c != '\t' { '?' } else { c })
        .collect()
}

fn interactive(mut stream: Conn) -> io::Result<()> {
    let _raw = RawMode::enable()?;
    let mut out = io::stdout().lock();
    let mut editor = Editor {
        input: Vec::new(),
        escape: Escape::None,
    };
    let mut incoming: Vec<u8> = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    let mut quit_at: Option<Instant> = None;
    out.write_all(&editor.prompt())?;
    out.flush()?;
    loop {
        if matches!(quit_at, Some(t) if t.elapsed() > Duration::from_secs(2)) {
            break;
        }
        let mut fds = [
            libc::pollfd {
                fd: 0,
                events: if quit_at.is_some() { 0 } else { libc::POLLIN },
                revents: 0,
            },
            libc::pollfd {
                fd: stream.fd(),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        if stream.pending() == 0 {
            // SAFETY: two live pollfds; a 200 ms tick to notice the quit deadline.
            unsafe { libc::poll(fds.as_mut_ptr(), 2, 200) };
        } else {
            fds[1].revents = libc::POLLIN;
        }
        if fds[1].revents != 0 {
            let n = match stream.read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => 0,
            };
            if n == 0 {
                out.write_all(b"\r\x1b[K* connection closed\n")?;
                break;
            }
            incoming.extend_from_slice(&buf[..n]);
            if let Some(last) = incoming.iter().rposition(|&b| b == b'\n') {
                out.write_all(b"\r\x1b[K")?;
                for line in incoming[..last].split(|&b| b == b'\n') {
                    out.write_all(printable(line).as_bytes())?;
                    out.write_all(b"\n")?;
                }
                incoming.drain(..=last);
                out.write_all(&editor.prompt())?;
            }
            out.flush()?;
        }
        if fds[0].revents != 0 {
            let n = match io::stdin().lock().read(&mut buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if n == 0 {
                quit_at = Some(Instant::now());
                stream.write_all(b"/quit\n")?;
            }
            for &b in &buf[..n] {
                match editor.key(b) {
                    Action::None => {}
                    Action::Redraw => out.write_all(&editor.prompt())?,
                    Action::Send(mut line) => {
                        // Show what was sent, as sent, above the prompt.
                        out.write_all(b"\r\x1b[K")?;
                        out.write_all(printable(&line).as_bytes())?;
                        out.write_all(b"\n")?;
                        line.push(b'\n');
                        stream.write_all(&line)?;
                        out.write_all(&editor.prompt())?;
                    }
                    Action::Quit => {
                        quit_at = Some(Instant::now());
                        stream.write_all(b"/quit\n")?;
                        break;
                    }
                }
            }
            out.flush()?;
        }
    }
    out.write_all(b"\r\x1b[K")?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(keys: &[u8]) -> (Editor, Vec<Vec<u8>>) {
        let mut e = Editor {
            input: Vec::new(),
            escape: Escape::None,
        };
        let mut sent = Vec::new();
        for &k in keys {
            if let Action::Send(l) = e.key(k) {
                sent.push(l);
            }
        }
        (e, sent)
    }

    #[test]
    fn editing_keys() {
        let (_, sent) = typed(b"helo\x7flo\r");
        assert_eq!(sent, [b"hello".to_vec()]);
        let (_, sent) = typed(b"one two\x17three\r");
        assert_eq!(sent, [b"one three".to_vec()]);
        let (_, sent) = typed(b"junk\x15ok\r");
        assert_eq!(sent, [b"ok".to_vec()]);
        // Arrow keys are skipped, not typed.
        let (_, sent) = typed(b"a\x1b[Db\x1bOAc\r");
        assert_eq!(sent, [b"abc".to_vec()]);
        // Backspace removes a whole multi-byte character.
        let (e, _) = typed("é€".as_bytes());
        let mut e = e;
        e.key(0x7f);
        assert_eq!(e.input, "é".as_bytes());
    }

    #[test]
    fn incoming_control_characters_are_not_sent_to_the_terminal() {
        assert_eq!(printable(b"a\x1b[2Jb\xff"), "a?[2Jb\u{FFFD}");
    }
}
