//! The body of chat's fuzz target (`fuzz/`), a plain function of arbitrary bytes, so that
//! libFuzzer and the corpus replay test (`tests/fuzz_corpus.rs`) run the same code. It
//! panics only on a bug. Not an API: hidden from the docs.

use crate::room::{After, ClientId, Outlet, Room};
use crate::threaded::{flush_outbox, Outbox};
use netcore::buffered::framing::{Frame, LineFramer};
use netcore::buffered::outqueue::OutQueue;
use netcore::{CloseReason, Stats};
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
        check_line(line);
        self.lines += 1;
    }
}

/// See [`Checked`].
fn check_line(line: &[u8]) {
    let text = std::str::from_utf8(line).expect("a line out is UTF-8");
    let body = text.strip_suffix('\n').expect("a line out ends in \\n");
    // Plain ASCII first: the common case, and cheaper for the fuzzer than `chars()`.
    let plain = body
        .bytes()
        .all(|b| (0x20..0x7f).contains(&b) || b == b'\t');
    assert!(
        plain || !body.chars().any(|c| c.is_control() && c != '\t'),
        "a control character in {body:?}"
    );
    // A nick, ": ", and each byte of the input line as at most a 3-byte U+FFFD; the
    // server's own lines are shorter than that.
    assert!(
        body.len() <= 32 + 3 * MAX_LINE,
        "{} bytes: {body:?}",
        body.len()
    );
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
        feed(&mut room, id, frame, &mut out);
        // A line is either ignored (empty) or answered or relayed.
        assert!(out.lines > sent || frame.as_ref().is_some_and(|l| l.is_empty()));
    }
    assert_eq!(room.len(), CLIENTS as usize);
    assert_eq!(
        streams(&whole, true),
        streams(&whole, false),
        "relays batched as the event loops batch them reach a client otherwise"
    );
}

/// One frame from client `id`: a line (a client that quits comes back at once, so the
/// room keeps its size) or a line too long (`None`).
fn feed(room: &mut Room, id: ClientId, frame: &Option<Vec<u8>>, out: &mut impl Outlet) {
    match frame {
        Some(line) => {
            if room.handle_line(id, line, out) == After::Quit {
                room.leave(id, None, true, out);
                room.join(id, out);
            }
        }
        None => room.line_too_long(id, out),
    }
}

/// What each client receives when the room handles `frames`, sent three in a row by each
/// client in turn, with a read ending after every fourth, relays batched per read (as the
/// event loops do: `Room::begin_batch`) or not.
fn streams(frames: &[Option<Vec<u8>>], batching: bool) -> Vec<Vec<u8>> {
    struct Streams(Vec<Vec<u8>>);
    impl Outlet for Streams {
        fn send(&mut self, to: ClientId, bytes: &[u8]) {
            self.0[to as usize - 1].extend_from_slice(bytes);
        }
    }
    let mut room = Room::new(MAX_LINE, Arc::new(Stats::new()));
    let mut out = Streams(vec![Vec::new(); CLIENTS as usize]);
    for id in 1..=CLIENTS {
        room.join(id, &mut out);
    }
    for (i, frame) in frames.iter().enumerate() {
        if batching && i % 4 == 0 {
            room.end_batch(&mut out);
            room.begin_batch();
        }
        let id = (i / 3) as ClientId % CLIENTS + 1;
        feed(&mut room, id, frame, &mut out);
    }
    room.end_batch(&mut out);
    out.0
}

/// Simulated clients of [`clients`]: connections come and go in these slots.
const SLOTS: usize = 4;
/// A client's outbound queue, small so that one that does not read overflows it soon: two
/// or three of the longest lines the room sends.
const MAX_QUEUE: usize = 3 * (32 + 3 * MAX_LINE) + 1;

/// Where the room's lines for a client wait until it reads them: the queue of one of the
/// server's models, by slot (a room mixing them is no real server's, but the room does not
/// know, and each client's queue is on its own).
enum Sink {
    /// The event loops' (even slots): netcore's `OutQueue`, filled as
    /// `netcore::buffered::Conns::send` fills it (replicated here: it needs a socket). A line
    /// that would take it past its bound cuts the client off and empties it.
    Loop { out: OutQueue, cut_off: bool },
    /// The `threads` and `pool` models' (odd slots): `threaded::Outbox` itself, bytes the
    /// owner took out (`batch`) counted against the bound, read by `threaded::flush_outbox`.
    Thread {
        outbox: Outbox,
        batch: OutQueue,
        /// The outbox asked for its owner to be woken.
        woken: bool,
    },
}

/// One simulated connection: its framer, its queue, and what it was sent and read.
struct Conn {
    id: ClientId,
    framer: LineFramer,
    sink: Sink,
    /// Every byte queued for it, and every byte it read, in order.
    queued: Vec<u8>,
    read: Vec<u8>,
}

impl Conn {
    /// Bytes waiting for the client.
    fn held(&self) -> usize {
        match &self.sink {
            Sink::Loop { out, .. } => out.pending(),
            Sink::Thread { outbox, .. } => outbox.held(),
        }
    }

    fn cut_off(&self) -> bool {
        match &self.sink {
            Sink::Loop { cut_off, .. } => *cut_off,
            Sink::Thread { outbox, .. } => outbox.is_cut_off(),
        }
    }
}

/// A client's socket taking at most `room` bytes (`WouldBlock` when full).
struct Socket<'a> {
    read: &'a mut Vec<u8>,
    room: usize,
}

impl std::io::Write for Socket<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.room);
        if n == 0 {
            return Err(std::io::ErrorKind::WouldBlock.into());
        }
        self.read.extend_from_slice(&buf[..n]);
        self.room -= n;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The room's outlet over the connections' queues; it checks every line as [`Checked`]
/// does, and every queue's bound.
struct Queues<'a> {
    conns: &'a mut [Option<Conn>; SLOTS],
    /// The last line checked: the room sends the same line to each recipient in turn.
    checked: &'a mut Vec<u8>,
}

impl Outlet for Queues<'_> {
    fn send(&mut self, to: ClientId, line: &[u8]) {
        let conn = self.conns.iter_mut().flatten().find(|c| c.id == to);
        let conn = conn.expect("a line to a client that is not connected");
        if line != self.checked.as_slice() {
            check_line(line);
            self.checked.clear();
            self.checked.extend_from_slice(line);
        }
        let queued = match &mut conn.sink {
            Sink::Loop { cut_off: true, .. } => false,
            Sink::Loop { out, cut_off } => {
                let ok = out.push(line).is_ok();
                if !ok {
                    out.clear();
                    *cut_off = true;
                }
                ok
            }
            Sink::Thread { outbox, woken, .. } => {
                let was_cut_off = outbox.is_cut_off();
                *woken |= outbox.push(line);
                !was_cut_off && !outbox.is_cut_off()
            }
        };
        if queued {
            conn.queued.extend_from_slice(line);
        }
        assert!(conn.held() <= MAX_QUEUE, "a queue past its bound");
    }
}

/// chat's room with several clients, the bytes of each arriving in pieces interleaved with
/// the others' and with their reads, as the servers serve them (the room and queue code,
/// no sockets). The input is a script: a byte picks a slot and an action, and the next
/// bytes say how much:
/// - send: a piece of that client's byte stream (connecting it first if the slot is empty),
///   framed and handled as `ChatService::on_data` and the threads' `client_loop` do;
/// - read: the client takes up to so many bytes of its queue;
/// - close: the client disconnects (an empty slot connects instead).
///
/// Checked: every line sent is valid UTF-8 without control characters and bounded
/// ([`Checked`]); a queue never holds more than its bound (for the threads' outbox, bytes
/// taken out and not yet written included); a client that does not read is cut off when a
/// line would take it past the bound, its queue dropped, and the others told
/// `* NICK left (too slow)`; what a client reads is what was queued for it, in order; the
/// room holds exactly the connected clients.
pub fn clients(data: &[u8]) {
    run_clients(data);
}

/// [`clients`], returning how many clients were cut off as too slow.
fn run_clients(data: &[u8]) -> usize {
    let mut cut_offs = 0;
    let mut room = Room::new(MAX_LINE, Arc::new(Stats::new()));
    let mut conns: [Option<Conn>; SLOTS] = Default::default();
    let mut next_id: ClientId = 1;
    let mut checked = Vec::new();
    let mut script = data.iter().copied();
    while let Some(op) = script.next() {
        let slot = usize::from(op) % SLOTS;
        let amount = usize::from(script.next().unwrap_or(0));
        let mut q = Queues {
            conns: &mut conns,
            checked: &mut checked,
        };
        match (op as usize / SLOTS) % 4 {
            // Send (connecting first): `amount % 64` bytes of the script.
            0 | 1 => {
                if q.conns[slot].is_none() {
                    connect(&mut room, &mut q, slot, &mut next_id);
                }
                let piece: Vec<u8> = script.by_ref().take(amount % 64).collect();
                let conn = q.conns[slot].as_mut().expect("connected");
                let id = conn.id;
                let mut framer = std::mem::replace(&mut conn.framer, LineFramer::new(1));
                let mut quit = false;
                let _ = framer.feed(&piece, |frame| match frame {
                    Frame::Line(line) => {
                        if room.handle_line(id, line, &mut q) == After::Quit {
                            quit = true;
                            return ControlFlow::Break(());
                        }
                        ControlFlow::Continue(())
                    }
                    Frame::TooLong => {
                        room.line_too_long(id, &mut q);
                        ControlFlow::Continue(())
                    }
                });
                assert!(
                    framer.buffered() <= MAX_LINE + 1,
                    "the framer holds too much"
                );
                let conn = q.conns[slot].as_mut().expect("connected");
                conn.framer = framer;
                if quit && !conn.cut_off() {
                    // `/quit`: closed once its queue is written (here: read at once).
                    read(conn, usize::MAX);
                    close(&mut room, &mut q, slot, None);
                }
            }
            // Read up to 4 × `amount` bytes.
            2 => {
                if let Some(conn) = q.conns[slot].as_mut() {
                    read(conn, 4 * amount);
                }
            }
            // Close, or connect.
            _ => {
                if q.conns[slot].is_some() {
                    close(&mut room, &mut q, slot, None);
                } else {
                    connect(&mut room, &mut q, slot, &mut next_id);
                }
            }
        }
        // The slow consumers cut off during this step are closed, as the event loop does at
        // the end of its turn, and as a woken thread does when it finds its outbox cut off:
        // each leaves with "too slow", which may cut off others in turn.
        while let Some(slot) = q
            .conns
            .iter()
            .position(|c| c.as_ref().is_some_and(woken_cut_off))
        {
            let nick = room.nick(q.conns[slot].as_ref().expect("connected").id);
            let notice = format!("* {} left (too slow)\n", nick.expect("a member"));
            close(&mut room, &mut q, slot, Some("too slow"));
            cut_offs += 1;
            for conn in q.conns.iter().flatten().filter(|c| !c.cut_off()) {
                assert!(
                    conn.queued.ends_with(notice.as_bytes()),
                    "{} was not told {notice:?}",
                    conn.id
                );
            }
        }
        for conn in q.conns.iter_mut().flatten() {
            assert!(!conn.cut_off(), "{} cut off and still served", conn.id);
            if let Sink::Thread { woken, .. } = &mut conn.sink {
                *woken = false;
            }
        }
        assert_eq!(room.len(), q.conns.iter().flatten().count());
    }
    cut_offs
}

/// Whether `conn` is cut off, as its server finds out: the event loop from its queue, a
/// thread by flushing its outbox once woken (its socket taking nothing now).
fn woken_cut_off(conn: &Conn) -> bool {
    match &conn.sink {
        Sink::Loop { cut_off, .. } => *cut_off,
        Sink::Thread { outbox, .. } if !outbox.is_cut_off() => false,
        Sink::Thread {
            outbox,
            batch,
            woken,
        } => {
            assert!(*woken, "an outbox cut off without waking its owner");
            let mut batch = OutQueue::new(batch.limit());
            let mut socket = Socket {
                read: &mut Vec::new(),
                room: 0,
            };
            let flushed = flush_outbox(&mut socket, outbox, &mut batch, &Stats::new());
            assert_eq!(flushed, Err(CloseReason::SlowConsumer));
            true
        }
    }
}

/// A new connection in `slot`: it joins the room.
fn connect(room: &mut Room, q: &mut Queues<'_>, slot: usize, next_id: &mut ClientId) {
    let id = *next_id;
    *next_id += 1;
    let sink = if slot % 2 == 0 {
        Sink::Loop {
            out: OutQueue::new(MAX_QUEUE),
            cut_off: false,
        }
    } else {
        Sink::Thread {
            outbox: Outbox::new(MAX_QUEUE),
            batch: OutQueue::new(usize::MAX),
            woken: false,
        }
    };
    q.conns[slot] = Some(Conn {
        id,
        framer: LineFramer::new(MAX_LINE),
        sink,
        queued: Vec::new(),
        read: Vec::new(),
    });
    room.join(id, q);
}

/// The client reads up to `n` bytes of what waits for it.
fn read(conn: &mut Conn, n: usize) {
    match &mut conn.sink {
        Sink::Loop { out, .. } => {
            let bytes = out.as_bytes();
            let n = n.min(bytes.len());
            conn.read.extend_from_slice(&bytes[..n]);
            out.consume(n);
        }
        Sink::Thread { outbox, batch, .. } => {
            let mut socket = Socket {
                read: &mut conn.read,
                room: n,
            };
            // The owner writes until the socket is full or nothing is left.
            while let Ok(left) = flush_outbox(&mut socket, outbox, batch, &Stats::new()) {
                if left == 0 || socket.room == 0 {
                    break;
                }
            }
        }
    }
}

/// The connection in `slot` closes: it leaves the room (the others told, with `why`). What
/// it read is what was queued for it, in order: a beginning of it, and with what still
/// waits all of it unless it was cut off (its queue dropped).
fn close(room: &mut Room, q: &mut Queues<'_>, slot: usize, why: Option<&str>) {
    let conn = q.conns[slot].take().expect("connected");
    room.leave(conn.id, why, true, q);
    assert!(
        conn.queued.starts_with(&conn.read),
        "read what was not queued"
    );
    if !conn.cut_off() {
        assert_eq!(conn.read.len() + conn.held(), conn.queued.len());
    } else if let Sink::Loop { out, .. } = &conn.sink {
        assert_eq!(out.pending(), 0, "a queue kept after a cut-off");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The committed seeds: a client that never reads (or a few bytes, for the threads'
    /// outbox, so that its owner holds a batch), while another sends twelve lines.
    #[test]
    fn the_slow_consumer_seeds_cut_one_client_off() {
        for seed in ["slow-consumer", "slow-consumer-thread"] {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fuzz/corpus/chat_clients/");
            let script = std::fs::read(format!("{dir}{seed}")).unwrap();
            assert_eq!(run_clients(&script), 1, "{seed}");
        }
    }
}
