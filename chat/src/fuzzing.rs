//! The body of chat's fuzz target (`fuzz/`), a plain function of arbitrary bytes, so that
//! libFuzzer and the corpus replay test (`tests/fuzz_corpus.rs`) run the same code. It
//! panics only on a bug. Not an API: hidden from the docs.

use crate::room::{After, ClientId, Outlet, Room};
use netcore::buffered::framing::{Frame, LineFramer};
use netcore::Stats;
use std::ops::ControlFlow;
use std::sync::Arc;

/// The longest line a client may send here: short, so the fuzzer's inputs reach the bound.
const MAX_LINE: usize = 40;
/// Clients in the room; input lines are sent by each in turn.
const CLIENTS: ClientId = 3;

/// The frames of `data` fed in pieces ending at each of `cuts`, as owned lines (`None`:
/// a line too long).
fn frames(data: &[u8], cuts: impl Iterator<Item = usize>) -> Vec<Option<Vec<u8>>> {
    let mut framer = LineFramer::new(MAX_LINE);
    let mut out = Vec::new();
    let mut from = 0;
    for end in cuts.chain([data.len()]) {
        let _ = framer.feed(&data[from..end], |frame| {
            out.push(match frame {
                Frame::Line(line) => Some(line.to_vec()),
                Frame::TooLong => None,
            });
            ControlFlow::Continue(())
        });
        assert!(
            framer.buffered() <= MAX_LINE + 1,
            "the framer holds too much"
        );
        from = end;
    }
    out
}

/// Checks every line the room sends: valid UTF-8 (the outlet gets bytes), one `\n` at the
/// end, no control character but TAB, and a bounded length.
struct Checked {
    lines: usize,
}

impl Outlet for Checked {
    fn send(&mut self, to: ClientId, line: &[u8]) {
        assert!((1..=CLIENTS).contains(&to), "a line to client {to}");
        let text = std::str::from_utf8(line).expect("a line out is UTF-8");
        let body = text.strip_suffix('\n').expect("a line out ends in \\n");
        assert!(
            !body.chars().any(|c| c.is_control() && c != '\t'),
            "a control character in {body:?}"
        );
        // A nick, ": ", and each byte of the input line as at most a 3-byte U+FFFD; the
        // server's own lines are shorter than that.
        assert!(
            body.len() <= 32 + 3 * MAX_LINE,
            "{} bytes: {body:?}",
            body.len()
        );
        self.lines += 1;
    }
}

/// chat's line framer and room on arbitrary input: the same frames whether the bytes come
/// whole or one at a time, no frame over the bound, and every line the room sends out
/// clean (see [`Checked`]).
pub fn lines(data: &[u8]) {
    let whole = frames(data, std::iter::empty());
    assert_eq!(frames(data, 1..data.len()), whole, "fed a byte at a time");
    assert!(whole.iter().flatten().all(|l| l.len() <= MAX_LINE));

    let mut room = Room::new(MAX_LINE, Arc::new(Stats::new()));
    let mut out = Checked { lines: 0 };
    for id in 1..=CLIENTS {
        room.join(id, &mut out);
    }
    for (i, frame) in whole.iter().enumerate() {
        let id = i as ClientId % CLIENTS + 1;
        let sent = out.lines;
        match frame {
            Some(line) => {
                if room.handle_line(id, line, &mut out) == After::Quit {
                    room.leave(id, None, true, &mut out);
                    room.join(id, &mut out);
                }
            }
            None => room.line_too_long(id, &mut out),
        }
        // A line is either ignored (empty) or answered or relayed.
        assert!(out.lines > sent || frame.as_ref().is_some_and(|l| l.is_empty()));
    }
    assert_eq!(room.len(), CLIENTS as usize);
}
