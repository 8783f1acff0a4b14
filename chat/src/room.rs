//! The chat itself, independent of how bytes reach it: who is in the room under which nick,
//! what each line means, and which lines go to whom. Every concurrency model drives the same
//! [`Room`]; they differ only in how the lines it produces reach the sockets ([`Outlet`]).
//!
//! The protocol (also in the crate's README):
//!
//! - A line from a client is relayed to every *other* client as `nick: text`.
//! - Server lines start with `* ` (notices) or `! ` (errors), so they never look like a
//!   message: nicks are letters, digits, `_` and `-` only.
//! - Commands: `/nick NAME`, `/who`, `/me ACTION`, `/quit`, `/help`; `//text` sends `/text`.
//!   Anything else starting with `/` gets `! unknown command`.
//! - Text policy: invalid UTF-8 is replaced by U+FFFD; control characters other than TAB
//!   (which could drive other people's terminals) are replaced by U+FFFD; a line holding a
//!   NUL byte is refused with an error line and dropped; empty lines are ignored.

use netcore::Stats;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Arc;

/// Names a client for the room; the models choose the numbers.
pub type ClientId = u64;

/// Longest nick, in bytes (nicks are ASCII).
pub const MAX_NICK: usize = 24;

/// Where the room's lines go: each model queues them on the client's connection.
pub trait Outlet {
    /// Queue `line` (ending in `\n`) for client `to`. A client that is gone is skipped.
    fn send(&mut self, to: ClientId, line: &[u8]);
}

/// What the caller does after a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum After {
    Continue,
    /// The client asked to leave (`/quit`): close it once its output is flushed.
    Quit,
}

#[derive(Debug)]
struct Member {
    id: ClientId,
    nick: String,
    /// The nick is a name the server verified (a client certificate's): `/nick` is refused.
    certified: bool,
}

/// The room: members in join order and the protocol's rules.
#[derive(Debug)]
pub struct Room {
    members: Vec<Member>,
    /// Client → index in `members`.
    index: HashMap<ClientId, usize>,
    next_guest: u64,
    /// The line being built, reused so notices allocate nothing.
    line: Vec<u8>,
    /// Relayed lines of `relays_from` not yet sent to the others (see [`Room::begin_batch`]).
    relays: Vec<u8>,
    relays_from: ClientId,
    batching: bool,
    stats: Arc<Stats>,
    max_line: usize,
}

fn valid_nick(nick: &str) -> bool {
    !nick.is_empty()
        && nick.len() <= MAX_NICK
        && nick
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn is_plain_ascii(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || b == b'\t'
}

/// The text of a line under the text policy, or `None` if it holds a NUL byte.
fn clean_text(line: &[u8]) -> Option<Cow<'_, str>> {
    if line.iter().all(|&b| is_plain_ascii(b)) {
        // The common case, untouched. Plain ASCII is valid UTF-8.
        return Some(String::from_utf8_lossy(line));
    }
    if line.contains(&0) {
        return None;
    }
    let text = String::from_utf8_lossy(line);
    Some(Cow::Owned(
        text.chars()
            .map(|c| {
                if c.is_control() && c != '\t' {
                    char::REPLACEMENT_CHARACTER
                } else {
                    c
                }
            })
            .collect(),
    ))
}

impl Room {
    /// A room whose lines are at most `max_line` bytes (for the error message).
    pub fn new(max_line: usize, stats: Arc<Stats>) -> Room {
        Room {
            members: Vec::new(),
            index: HashMap::new(),
            next_guest: 1,
            line: Vec::with_capacity(256),
            relays: Vec::with_capacity(256),
            relays_from: 0,
            batching: false,
            stats,
            max_line,
        }
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The nick of a member.
    pub fn nick(&self, id: ClientId) -> Option<&str> {
        self.index.get(&id).map(|&i| self.members[i].nick.as_str())
    }

    fn nick_taken(&self, nick: &str, except: ClientId) -> bool {
        self.members
            .iter()
            .any(|m| m.id != except && m.nick.eq_ignore_ascii_case(nick))
    }

    /// Sends `text` + `\n` to one client.
    fn tell(out: &mut dyn Outlet, to: ClientId, text: &str) {
        let mut line = Vec::with_capacity(text.len() + 1);
        line.extend_from_slice(text.as_bytes());
        line.push(b'\n');
        out.send(to, &line);
    }

    /// Sends `text` + `\n` to every member except `except`.
    fn tell_others(&mut self, out: &mut dyn Outlet, except: Option<ClientId>, text: &str) {
        self.line.clear();
        self.line.extend_from_slice(text.as_bytes());
        self.line.push(b'\n');
        for m in &self.members {
            if Some(m.id) != except {
                out.send(m.id, &self.line);
            }
        }
    }

    /// From now until [`Room::end_batch`], consecutive lines relayed from one sender are
    /// sent to each other member together, as one `send` of all of them, instead of one
    /// `send` per line per member: for a fan-out, one copy of a whole read into each
    /// member's queue instead of one per line (a copy per member is the server's main
    /// cost per delivered message). Each member gets exactly the bytes, in the order, it got
    /// line by line: any other output, or a line from another sender, sends the batch first.
    pub fn begin_batch(&mut self) {
        self.batching = true;
    }

    /// Sends the lines batched since [`Room::begin_batch`] and stops batching.
    pub fn end_batch(&mut self, out: &mut dyn Outlet) {
        self.flush_relays(out);
        self.batching = false;
    }

    /// Sends the relayed lines waiting to every member but their sender.
    fn flush_relays(&mut self, out: &mut dyn Outlet) {
        if self.relays.is_empty() {
            return;
        }
        for m in &self.members {
            if m.id != self.relays_from {
                out.send(m.id, &self.relays);
            }
        }
        self.relays.clear();
    }

    /// A new client: it gets a guest nick and the greeting, the others a join notice.
    pub fn join(&mut self, id: ClientId, out: &mut dyn Outlet) {
        self.flush_relays(out);
        let nick = loop {
            let candidate = format!("guest{}", self.next_guest);
            self.next_guest += 1;
            if !self.nick_taken(&candidate, id) {
                break candidate;
            }
        };
        self.admit(id, nick, false, out);
    }

    /// A client whose name the server has verified (mutual TLS: its certificate's common
    /// name) joins under that name as its nick, for good. Returns false, having told it why,
    /// if the name is no valid nick or someone in the room has it: the caller closes it.
    pub fn join_certified(&mut self, id: ClientId, name: &str, out: &mut dyn Outlet) -> bool {
        self.flush_relays(out);
        if !valid_nick(name) {
            self.stats.add_error();
            Self::tell(
                out,
                id,
                &format!(
                    "! your certificate's name {name:?} is not a valid nick \
                     (1 to {MAX_NICK} letters, digits, '_' or '-')"
                ),
            );
            return false;
        }
        if self.nick_taken(name, id) {
            self.stats.add_error();
            Self::tell(out, id, &format!("! nick {name} is taken"));
            return false;
        }
        self.admit(id, name.to_string(), true, out);
        true
    }

    fn admit(&mut self, id: ClientId, nick: String, certified: bool, out: &mut dyn Outlet) {
        self.index.insert(id, self.members.len());
        self.members.push(Member {
            id,
            nick: nick.clone(),
            certified,
        });
        Self::tell(
            out,
            id,
            &format!(
                "* welcome to chat, you are {nick}; {} online; /help lists the commands",
                self.members.len()
            ),
        );
        self.tell_others(out, Some(id), &format!("* {nick} joined"));
    }

    /// A client leaves. `why` (e.g. "idle", "too slow") is added to the notice; with
    /// `announce` false (the server is shutting down) nobody is told.
    pub fn leave(&mut self, id: ClientId, why: Option<&str>, announce: bool, out: &mut dyn Outlet) {
        self.flush_relays(out);
        let Some(i) = self.index.remove(&id) else {
            return;
        };
        let gone = self.members.remove(i);
        for (j, m) in self.members.iter().enumerate().skip(i) {
            self.index.insert(m.id, j);
        }
        if announce {
            let notice = match why {
                Some(why) => format!("* {} left ({why})", gone.nick),
                None => format!("* {} left", gone.nick),
            };
            self.tell_others(out, None, &notice);
        }
    }

    /// A notice to everyone (e.g. the server is shutting down).
    pub fn notice_all(&mut self, text: &str, out: &mut dyn Outlet) {
        self.flush_relays(out);
        self.tell_others(out, None, &format!("* {text}"));
    }

    /// Tells a client its line was too long and dropped.
    pub fn line_too_long(&mut self, id: ClientId, out: &mut dyn Outlet) {
        self.flush_relays(out);
        self.stats.add_error();
        Self::tell(
            out,
            id,
            &format!("! line too long (max {} bytes), dropped", self.max_line),
        );
    }

    /// Handles one complete line (without its line end) from `id`.
    pub fn handle_line(&mut self, id: ClientId, line: &[u8], out: &mut dyn Outlet) -> After {
        let Some(&i) = self.index.get(&id) else {
            return After::Continue;
        };
        if line.is_empty() {
            return After::Continue;
        }
        let Some(text) = clean_text(line) else {
            self.flush_relays(out);
            self.stats.add_error();
            Self::tell(out, id, "! NUL bytes are not allowed, line dropped");
            return After::Continue;
        };
        if let Some(rest) = text.strip_prefix('/') {
            if let Some(literal) = rest.strip_prefix('/') {
                self.relay(i, &format!("/{literal}"), out);
                return After::Continue;
            }
            let (cmd, arg) = match rest.split_once(' ') {
                Some((c, a)) => (c, a.trim()),
                None => (rest, ""),
            };
            self.flush_relays(out);
            return self.command(id, i, cmd, arg, out);
        }
        self.relay(i, &text, out);
        After::Continue
    }

    /// `nick: text` to everyone but the sender (batched with the sender's previous lines
    /// while batching).
    fn relay(&mut self, sender: usize, text: &str, out: &mut dyn Outlet) {
        let from = &self.members[sender];
        if from.id != self.relays_from {
            self.flush_relays(out);
        }
        let from = &self.members[sender];
        self.relays_from = from.id;
        self.relays.extend_from_slice(from.nick.as_bytes());
        self.relays.extend_from_slice(b": ");
        self.relays.extend_from_slice(text.as_bytes());
        self.relays.push(b'\n');
        self.stats.add_requests(1);
        if !self.batching {
            self.flush_relays(out);
        }
    }

    fn command(
        &mut self,
        id: ClientId,
        i: usize,
        cmd: &str,
        arg: &str,
        out: &mut dyn Outlet,
    ) -> After {
        match cmd {
            "nick" => {
                if self.members[i].certified {
                    Self::tell(
                        out,
                        id,
                        &format!(
                            "! your nick is your certificate's name ({}), it cannot change",
                            self.members[i].nick
                        ),
                    );
                } else if !valid_nick(arg) {
                    Self::tell(
                        out,
                        id,
                        &format!("! invalid nick: use 1 to {MAX_NICK} letters, digits, '_' or '-'"),
                    );
                } else if self.nick_taken(arg, id) {
                    Self::tell(out, id, &format!("! nick {arg} is taken"));
                } else {
                    let old = std::mem::replace(&mut self.members[i].nick, arg.to_string());
                    self.tell_others(out, None, &format!("* {old} is now {arg}"));
                }
            }
            "who" => {
                let nicks: Vec<&str> = self.members.iter().map(|m| m.nick.as_str()).collect();
                Self::tell(
                    out,
                    id,
                    &format!("* online ({}): {}", nicks.len(), nicks.join(", ")),
                );
            }
            "me" => {
                if arg.is_empty() {
                    Self::tell(out, id, "! usage: /me ACTION");
                } else {
                    let notice = format!("* {} {arg}", self.members[i].nick);
                    self.tell_others(out, None, &notice);
                    self.stats.add_requests(1);
                }
            }
            "quit" => {
                Self::tell(out, id, "* bye");
                return After::Quit;
            }
            "help" => Self::tell(
                out,
                id,
                "* commands: /nick NAME, /who, /me ACTION, /quit, /help; \
                 other lines go to everyone; start a line with // to send a leading /",
            ),
            _ => {
                let shown: String = cmd.chars().take(32).collect();
                Self::tell(out, id, &format!("! unknown command /{shown} (try /help)"));
            }
        }
        After::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Collects what each client would receive.
    #[derive(Default)]
    struct Inboxes(HashMap<ClientId, Vec<String>>);

    impl Outlet for Inboxes {
        fn send(&mut self, to: ClientId, line: &[u8]) {
            let s = String::from_utf8(line.to_vec()).expect("server lines are UTF-8");
            assert!(s.ends_with('\n'));
            // A batch of relayed lines is one send: each line is a line received.
            let inbox = self.0.entry(to).or_default();
            inbox.extend(s.trim_end_matches('\n').split('\n').map(str::to_string));
        }
    }

    impl Inboxes {
        fn take(&mut self, id: ClientId) -> Vec<String> {
            self.0.remove(&id).unwrap_or_default()
        }
    }

    fn room_with(n: u64) -> (Room, Inboxes) {
        let mut room = Room::new(100, Arc::new(Stats::new()));
        let mut out = Inboxes::default();
        for id in 1..=n {
            room.join(id, &mut out);
        }
        out.0.clear();
        (room, out)
    }

    #[test]
    fn join_greets_and_announces() {
        let (mut room, mut out) = room_with(1);
        room.join(2, &mut out);
        let greeting = out.take(2);
        assert_eq!(greeting.len(), 1);
        assert!(
            greeting[0].starts_with("* welcome to chat, you are guest2;"),
            "{greeting:?}"
        );
        assert_eq!(out.take(1), ["* guest2 joined"]);
    }

    #[test]
    fn a_line_goes_to_everyone_else_with_the_nick() {
        let (mut room, mut out) = room_with(3);
        assert_eq!(room.handle_line(1, b"hello", &mut out), After::Continue);
        assert!(out.take(1).is_empty());
        assert_eq!(out.take(2), ["guest1: hello"]);
        assert_eq!(out.take(3), ["guest1: hello"]);
    }

    #[test]
    fn a_certified_nick_is_fixed_and_unique() {
        let (mut room, mut out) = room_with(0);
        assert!(room.join_certified(1, "alice", &mut out));
        assert!(out.take(1)[0].starts_with("* welcome to chat, you are alice;"));
        room.handle_line(1, b"/nick mallory", &mut out);
        assert_eq!(
            out.take(1),
            ["! your nick is your certificate's name (alice), it cannot change"]
        );
        room.join(2, &mut out);
        room.handle_line(2, b"/nick ALICE", &mut out);
        assert_eq!(out.take(2)[1], "! nick ALICE is taken");
        // The same name twice, or a name that is no nick: refused, not admitted.
        assert!(!room.join_certified(3, "Alice", &mut out));
        assert_eq!(out.take(3), ["! nick Alice is taken"]);
        assert!(!room.join_certified(4, "Alice Smith", &mut out));
        assert!(out.take(4)[0].contains("is not a valid nick"));
        assert_eq!(room.len(), 2);
        assert_eq!(room.nick(1), Some("alice"));
    }

    #[test]
    fn nick_rules() {
        let (mut room, mut out) = room_with(2);
        room.handle_line(1, b"/nick alice", &mut out);
        assert_eq!(out.take(2), ["* guest1 is now alice"]);
        assert_eq!(out.take(1), ["* guest1 is now alice"]);
        room.handle_line(2, b"/nick ALICE", &mut out);
        assert_eq!(out.take(2), ["! nick ALICE is taken"]);
        room.handle_line(2, b"/nick bad name", &mut out);
        assert!(out.take(2)[0].starts_with("! invalid nick"));
        room.handle_line(2, b"/nick", &mut out);
        assert!(out.take(2)[0].starts_with("! invalid nick"));
        room.handle_line(
            2,
            format!("/nick {}", "x".repeat(MAX_NICK + 1)).as_bytes(),
            &mut out,
        );
        assert!(out.take(2).last().unwrap().starts_with("! invalid nick"));
        assert_eq!(room.nick(1), Some("alice"));
    }

    #[test]
    fn a_guest_nick_taken_by_hand_is_skipped() {
        let (mut room, mut out) = room_with(1);
        room.handle_line(1, b"/nick guest2", &mut out);
        room.join(2, &mut out);
        assert_eq!(room.nick(2), Some("guest3"));
    }

    #[test]
    fn who_me_quit_help_unknown() {
        let (mut room, mut out) = room_with(2);
        room.handle_line(1, b"/who", &mut out);
        assert_eq!(out.take(1), ["* online (2): guest1, guest2"]);
        room.handle_line(1, b"/me waves", &mut out);
        assert_eq!(out.take(1), ["* guest1 waves"]);
        assert_eq!(out.take(2), ["* guest1 waves"]);
        room.handle_line(1, b"/me", &mut out);
        assert_eq!(out.take(1), ["! usage: /me ACTION"]);
        room.handle_line(1, b"/help", &mut out);
        assert!(out.take(1)[0].starts_with("* commands:"));
        room.handle_line(1, b"/frobnicate now", &mut out);
        assert_eq!(out.take(1), ["! unknown command /frobnicate (try /help)"]);
        room.handle_line(1, b"//slash", &mut out);
        assert_eq!(out.take(2), ["guest1: /slash"]);
        assert_eq!(room.handle_line(1, b"/quit", &mut out), After::Quit);
        assert_eq!(out.take(1), ["* bye"]);
        room.leave(1, None, true, &mut out);
        assert_eq!(out.take(2), ["* guest1 left"]);
        assert_eq!(room.len(), 1);
    }

    #[test]
    fn text_policy_utf8_controls_nul_empty() {
        let (mut room, mut out) = room_with(2);
        room.handle_line(1, b"caf\xc3\xa9 \xff\xfe ok", &mut out);
        assert_eq!(out.take(2), ["guest1: café \u{FFFD}\u{FFFD} ok"]);
        room.handle_line(1, b"esc\x1b[2Jbell\x07\tTab", &mut out);
        assert_eq!(out.take(2), ["guest1: esc\u{FFFD}[2Jbell\u{FFFD}\tTab"]);
        room.handle_line(1, b"nul\0byte", &mut out);
        assert!(out.take(2).is_empty());
        assert_eq!(out.take(1), ["! NUL bytes are not allowed, line dropped"]);
        room.handle_line(1, b"", &mut out);
        assert!(out.0.is_empty());
    }

    #[test]
    fn leaving_keeps_the_others_in_order() {
        let (mut room, mut out) = room_with(4);
        room.leave(2, Some("idle"), true, &mut out);
        assert_eq!(out.take(1), ["* guest2 left (idle)"]);
        assert_eq!(out.take(3), ["* guest2 left (idle)"]);
        assert_eq!(out.take(4), ["* guest2 left (idle)"]);
        assert!(out.take(2).is_empty());
        room.handle_line(4, b"/who", &mut out);
        assert_eq!(out.take(4), ["* online (3): guest1, guest3, guest4"]);
        room.handle_line(3, b"still here", &mut out);
        assert_eq!(out.take(4), ["guest3: still here"]);
        assert_eq!(out.take(1), ["guest3: still here"]);
        room.leave(9, None, true, &mut out);
        room.leave(1, None, false, &mut out);
        assert!(out.0.is_empty());
    }

    /// What each client receives, as bytes, and how many sends it took.
    #[derive(Default)]
    struct Streams {
        bytes: HashMap<ClientId, Vec<u8>>,
        sends: usize,
    }

    impl Outlet for Streams {
        fn send(&mut self, to: ClientId, line: &[u8]) {
            self.bytes.entry(to).or_default().extend_from_slice(line);
            self.sends += 1;
        }
    }

    /// One step of a conversation, for [`play`].
    enum Step {
        Line(ClientId, &'static [u8]),
        Join(ClientId),
        Leave(ClientId),
        TooLong(ClientId),
        Notice,
        /// What the event loop does between two reads.
        EndOfRead,
    }

    fn play(steps: &[Step], batching: bool) -> Streams {
        let mut room = Room::new(100, Arc::new(Stats::new()));
        let mut out = Streams::default();
        for id in 1..=4 {
            room.join(id, &mut out);
        }
        if batching {
            room.begin_batch();
        }
        for step in steps {
            match *step {
                Step::Line(id, line) => {
                    room.handle_line(id, line, &mut out);
                }
                Step::Join(id) => room.join(id, &mut out),
                Step::Leave(id) => room.leave(id, Some("idle"), true, &mut out),
                Step::TooLong(id) => room.line_too_long(id, &mut out),
                Step::Notice => room.notice_all("server shutting down", &mut out),
                Step::EndOfRead => {
                    if batching {
                        room.end_batch(&mut out);
                        room.begin_batch();
                    }
                }
            }
        }
        room.end_batch(&mut out);
        out
    }

    #[test]
    fn batched_relays_reach_everyone_as_the_same_bytes_in_the_same_order() {
        use Step::*;
        let steps = [
            Line(1, b"one"),
            Line(1, b"two"),
            Line(1, b"//three"),
            Line(2, b"from two"),
            Line(1, b"four"),
            Line(1, b"/nick ann"),
            Line(1, b"five"),
            Line(1, b"bad\0line"),
            Line(1, b"six"),
            Line(3, b"/me waves"),
            Line(3, b"/who"),
            Line(1, b"seven"),
            TooLong(2),
            Line(1, b"eight"),
            Join(5),
            Line(1, b"nine"),
            EndOfRead,
            Line(1, b"ten"),
            Leave(2),
            Line(1, b"eleven"),
            Line(1, b""),
            Line(1, b"twelve"),
            Line(4, b"/quit"),
            Notice,
            Line(1, b"last"),
            EndOfRead,
            Line(1, b"after the read"),
        ];
        let one_by_one = play(&steps, false);
        let batched = play(&steps, true);
        assert_eq!(batched.bytes, one_by_one.bytes);
        assert!(
            batched.sends < one_by_one.sends,
            "{} sends batched, {} one by one",
            batched.sends,
            one_by_one.sends
        );
        let to3 = String::from_utf8(batched.bytes[&3].clone()).unwrap();
        assert!(
            to3.contains("guest1: one\nguest1: two\nguest1: /three\nguest2: from two\n"),
            "{to3}"
        );
    }

    #[test]
    fn without_batching_each_relayed_line_is_sent_at_once() {
        let (mut room, mut out) = room_with(3);
        room.handle_line(1, b"hello", &mut out);
        assert_eq!(out.take(2), ["guest1: hello"]);
        assert_eq!(out.take(3), ["guest1: hello"]);
        room.begin_batch();
        room.handle_line(1, b"a", &mut out);
        room.handle_line(1, b"b", &mut out);
        assert!(out.take(2).is_empty(), "held until the batch ends");
        room.end_batch(&mut out);
        assert_eq!(out.take(2), ["guest1: a", "guest1: b"]);
        room.handle_line(1, b"c", &mut out);
        assert_eq!(out.take(3), ["guest1: a", "guest1: b", "guest1: c"]);
    }
}
