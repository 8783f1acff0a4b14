//! Splitting a byte stream into lines, with a bound on line length.
//!
//! A line ends with `\n`; a `\r` right before it is removed too, so `\r\n` clients work.
//! Bytes are not interpreted otherwise (no UTF-8 check here: that is the protocol's call).
//! A line longer than the bound is reported once as [`Frame::TooLong`] and its bytes are
//! discarded up to and including its `\n`; the lines after it are framed normally. Memory
//! held per connection is thus at most the bound.

use std::ops::ControlFlow;

/// What the framer found in the stream.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// A complete line without its `\n` (or `\r\n`).
    Line(&'a [u8]),
    /// A line exceeded the maximum length; it is being discarded.
    TooLong,
}

/// Incremental line splitter for one connection.
#[derive(Debug)]
pub struct LineFramer {
    partial: Vec<u8>,
    max_line: usize,
    discarding: bool,
}

fn strip_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

impl LineFramer {
    /// A framer for lines of at most `max_line` bytes (not counting `\r\n`).
    pub fn new(max_line: usize) -> LineFramer {
        LineFramer {
            partial: Vec::new(),
            max_line,
            discarding: false,
        }
    }

    /// Bytes of an unfinished line held from earlier input.
    pub fn buffered(&self) -> usize {
        self.partial.len()
    }

    /// Feeds `data` and calls `on_frame` for each line completed (and each over-long line
    /// detected), in order. If `on_frame` returns `Break`, framing stops there and the rest of
    /// `data` is dropped (the connection is closing).
    pub fn feed<F>(&mut self, mut data: &[u8], mut on_frame: F) -> ControlFlow<()>
    where
        F: FnMut(Frame<'_>) -> ControlFlow<()>,
    {
        while !data.is_empty() {
            let newline = data.iter().position(|&b| b == b'\n');
            if self.discarding {
                match newline {
                    Some(i) => {
                        self.discarding = false;
                        data = &data[i + 1..];
                        continue;
                    }
                    None => return ControlFlow::Continue(()),
                }
            }
            match newline {
                Some(i) => {
                    let (chunk, rest) = (&data[..i], &data[i + 1..]);
                    data = rest;
                    if self.partial.is_empty() {
                        let line = strip_cr(chunk);
                        if line.len() > self.max_line {
                            on_frame(Frame::TooLong)?;
                        } else {
                            on_frame(Frame::Line(line))?;
                        }
                    } else {
                        self.partial.extend_from_slice(chunk);
                        let mut line = std::mem::take(&mut self.partial);
                        let keep = strip_cr(&line).len();
                        line.truncate(keep);
                        let flow = if line.len() > self.max_line {
                            on_frame(Frame::TooLong)
                        } else {
                            on_frame(Frame::Line(&line))
                        };
                        // Keep the allocation for the next partial line.
                        line.clear();
                        self.partial = line;
                        flow?;
                    }
                }
                None => {
                    // Allow one byte beyond the bound for a `\r` whose `\n` has not come yet.
                    if self.partial.len() + data.len() > self.max_line + 1 {
                        self.partial.clear();
                        self.discarding = true;
                        on_frame(Frame::TooLong)?;
                    } else {
                        self.partial.extend_from_slice(data);
                    }
                    return ControlFlow::Continue(());
                }
            }
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(max: usize, chunks: &[&[u8]]) -> Vec<String> {
        let mut f = LineFramer::new(max);
        let mut out = Vec::new();
        for c in chunks {
            let _ = f.feed(c, |fr| {
                out.push(match fr {
                    Frame::Line(l) => String::from_utf8_lossy(l).into_owned(),
                    Frame::TooLong => "<too long>".to_string(),
                });
                ControlFlow::Continue(())
            });
        }
        out
    }

    #[test]
    fn lines_split_on_newline_and_crlf() {
        assert_eq!(frames(100, &[b"a\nb\r\nc"]), ["a", "b"]);
        assert_eq!(frames(100, &[b"a\r", b"\n"]), ["a"]);
        assert_eq!(frames(100, &[b"\n\r\n"]), ["", ""]);
        // A lone \r inside a line is data.
        assert_eq!(frames(100, &[b"a\rb\n"]), ["a\rb"]);
    }

    #[test]
    fn a_line_arriving_one_byte_at_a_time_is_whole() {
        let chunks: Vec<&[u8]> = b"hello world\nbye\n".chunks(1).collect();
        assert_eq!(frames(100, &chunks), ["hello world", "bye"]);
    }

    #[test]
    fn over_long_lines_are_reported_once_and_skipped() {
        assert_eq!(
            frames(3, &[b"abc\nabcd\nok\n"]),
            ["abc", "<too long>", "ok"]
        );
        assert_eq!(
            frames(3, &[b"ab", b"cd", b"ef", b"\nok\n"]),
            ["<too long>", "ok"]
        );
        assert_eq!(
            frames(3, &[b"abcdefgh", b"ijk", b"lm\nok\n"]),
            ["<too long>", "ok"]
        );
        // Exactly the maximum with \r\n is fine.
        assert_eq!(frames(3, &[b"abc\r", b"\n"]), ["abc"]);
    }

    #[test]
    fn memory_stays_bounded_without_newlines() {
        let mut f = LineFramer::new(10);
        for _ in 0..1000 {
            let _ = f.feed(&[b'x'; 100], |_| ControlFlow::Continue(()));
            assert!(f.buffered() <= 11);
        }
    }

    #[test]
    fn break_stops_framing() {
        let mut f = LineFramer::new(100);
        let mut seen = Vec::new();
        let flow = f.feed(b"a\nb\nc\n", |fr| {
            seen.push(format!("{fr:?}"));
            if seen.len() == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        assert_eq!(flow, ControlFlow::Break(()));
        assert_eq!(seen.len(), 2);
    }
}
