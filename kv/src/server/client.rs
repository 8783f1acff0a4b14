//! One connection's protocol state: its query buffer (bytes received, not yet parsed), the
//! parser's place in it, and its command session.

use crate::cmd::Session;
use crate::resp::request::Parser;

#[derive(Debug, Default)]
pub(crate) struct Client {
    /// Bytes received; requests are parsed from `pos`.
    pub(crate) query: Vec<u8>,
    pub(crate) pos: usize,
    pub(crate) parser: Parser,
    pub(crate) session: Session,
}

impl Client {
    /// Drops the bytes already parsed once they are most of the buffer, so that the buffer
    /// holds only what is pending (and a client sending steadily does not grow it).
    pub(crate) fn compact(&mut self) {
        if self.pos == self.query.len() {
            self.query.clear();
            self.pos = 0;
            if self.query.capacity() > 64 * 1024 {
                self.query.shrink_to(16 * 1024);
            }
        } else if self.pos > 0 && self.pos >= self.query.len() / 2 {
            self.query.drain(..self.pos);
            self.pos = 0;
        }
    }

    /// Bytes held and not yet parsed.
    pub(crate) fn pending(&self) -> usize {
        self.query.len() - self.pos
    }
}
