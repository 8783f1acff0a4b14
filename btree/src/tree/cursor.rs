//! Ordered cursors and range scans. A cursor keeps the path from the root to its entry
//! (each page and the index taken in it), so `next` and `prev` cost one page load per leaf
//! crossed, and it sees exactly its snapshot however long it lives.

use super::{tree_page, value, walk_overflow, Source};
use crate::error::Result;
use crate::format::node::{Page, ValRef};
use std::ops::Bound;

/// A key and its value.
pub type Entry = (Vec<u8>, Vec<u8>);

#[derive(Clone, Copy)]
enum Edge<'k> {
    First,
    Last,
    Key(&'k [u8]),
}

/// A position in the tree, moved by `first`, `last`, `seek`, `seek_le`, `next` and `prev`,
/// each returning the entry it lands on (`None` off either end, after which `next` starts
/// from the first entry and `prev` from the last).
pub struct Cursor<'t> {
    src: &'t dyn Source,
    /// Root first. In a branch the index is the child taken; in the leaf, the entry, which
    /// may be one past the last while moving.
    stack: Vec<(Page, usize)>,
    /// The value of the entry `next_ref`/`prev_ref` returned, if it is in overflow pages.
    scratch: Vec<u8>,
}

impl std::fmt::Debug for Cursor<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let path: Vec<_> = self.stack.iter().map(|(p, i)| (p.pgno, *i)).collect();
        f.debug_struct("Cursor").field("path", &path).finish()
    }
}

impl<'t> Cursor<'t> {
    pub(crate) fn new(src: &'t dyn Source) -> Cursor<'t> {
        Cursor {
            src,
            stack: Vec::new(),
            scratch: Vec::new(),
        }
    }

    /// The first entry.
    pub fn first(&mut self) -> Result<Option<Entry>> {
        self.restart(Edge::First)?;
        self.settle_forward()
    }

    /// The last entry.
    pub fn last(&mut self) -> Result<Option<Entry>> {
        self.restart(Edge::Last)?;
        self.back()
    }

    /// The first entry whose key is `key` or after it.
    pub fn seek(&mut self, key: &[u8]) -> Result<Option<Entry>> {
        self.restart(Edge::Key(key))?;
        self.settle_forward()
    }

    /// The last entry whose key is `key` or before it.
    pub fn seek_le(&mut self, key: &[u8]) -> Result<Option<Entry>> {
        match self.seek(key)? {
            Some(e) if e.0 == key => Ok(Some(e)),
            Some(_) => self.back(),
            None => self.last(),
        }
    }

    /// The entry after the current one (the first if there is none).
    #[allow(clippy::should_implement_trait)] // fallible, and moves both ways: not an Iterator
    pub fn next(&mut self) -> Result<Option<Entry>> {
        match self.stack.last_mut() {
            None => self.first(),
            Some((_, i)) => {
                *i += 1;
                self.settle_forward()
            }
        }
    }

    /// The entry before the current one (the last if there is none).
    pub fn prev(&mut self) -> Result<Option<Entry>> {
        if self.stack.is_empty() {
            return self.last();
        }
        self.back()
    }

    fn restart(&mut self, edge: Edge<'_>) -> Result<()> {
        self.stack.clear();
        let (root, _) = self.src.root();
        if root != 0 {
            self.descend(root, edge)?;
        }
        Ok(())
    }

    /// Goes down from page `pgno` (a child of the stack's last page) to a leaf.
    fn descend(&mut self, mut pgno: u64, edge: Edge<'_>) -> Result<()> {
        loop {
            let page = tree_page(self.src, pgno, self.stack.len() as u32 + 1)?;
            if page.is_leaf() {
                let i = match edge {
                    Edge::First => {
                        page.prefetch();
                        0
                    }
                    Edge::Last => {
                        page.prefetch();
                        page.len()
                    }
                    Edge::Key(k) => page.search(k).unwrap_or_else(|i| i),
                };
                self.stack.push((page, i));
                return Ok(());
            }
            let i = match edge {
                Edge::First => 0,
                Edge::Last => page.len(),
                Edge::Key(k) => page.child_index(k),
            };
            pgno = page.child(i);
            self.stack.push((page, i));
        }
    }

    /// The entry after the current one (the first if there is none), borrowed from the
    /// cursor until it moves: no copy of the key, nor of a value held in its leaf.
    pub fn next_ref(&mut self) -> Result<Option<(&[u8], &[u8])>> {
        // The common step of a scan: the next entry is in the same leaf.
        if let Some((leaf, i)) = self.stack.last_mut() {
            if *i + 1 < leaf.len() && leaf.is_leaf() {
                *i += 1;
                return self.current_ref(true);
            }
        }
        let found = match self.stack.last_mut() {
            None => {
                self.restart(Edge::First)?;
                self.forward()?
            }
            Some((_, i)) => {
                *i += 1;
                self.forward()?
            }
        };
        self.current_ref(found)
    }

    /// The entry before the current one (the last if there is none), borrowed as in
    /// [`Cursor::next_ref`].
    pub fn prev_ref(&mut self) -> Result<Option<(&[u8], &[u8])>> {
        if self.stack.is_empty() {
            self.restart(Edge::Last)?;
        }
        let found = self.backward()?;
        self.current_ref(found)
    }

    fn current_ref(&mut self, found: bool) -> Result<Option<(&[u8], &[u8])>> {
        let Some((leaf, i)) = self.stack.last().filter(|_| found) else {
            return Ok(None);
        };
        match leaf.entry(*i) {
            (k, ValRef::Inline(v)) => return Ok(Some((k, v))),
            (_, ValRef::Overflow { len, first }) => {
                self.scratch.clear();
                walk_overflow(self.src, leaf.pgno, first, len, Some(&mut self.scratch))?;
            }
        }
        let Some((leaf, i)) = self.stack.last() else {
            return Ok(None);
        };
        Ok(Some((leaf.key(*i), &self.scratch)))
    }

    fn current(&self) -> Result<Option<Entry>> {
        let Some((leaf, i)) = self.stack.last() else {
            return Ok(None);
        };
        Ok(Some((leaf.key(*i).to_vec(), value(self.src, leaf, *i)?)))
    }

    /// From the leaf position (which may be one past its last entry) to the next entry;
    /// whether there is one.
    fn forward(&mut self) -> Result<bool> {
        loop {
            match self.stack.last() {
                None => return Ok(false),
                Some((leaf, i)) if *i < leaf.len() => return Ok(true),
                Some(_) => {}
            }
            self.stack.pop();
            // Up to the nearest branch with a child to the right, then down its left edge.
            loop {
                match self.stack.last_mut() {
                    None => return Ok(false),
                    Some((page, i)) if *i < page.len() => {
                        *i += 1;
                        let child = page.child(*i);
                        self.descend(child, Edge::First)?;
                        break;
                    }
                    Some(_) => {
                        self.stack.pop();
                    }
                }
            }
        }
    }

    /// From the leaf position (which may be one past its last entry) to the next entry.
    fn settle_forward(&mut self) -> Result<Option<Entry>> {
        if self.forward()? {
            self.current()
        } else {
            Ok(None)
        }
    }

    /// To the entry before the leaf position.
    fn back(&mut self) -> Result<Option<Entry>> {
        if self.backward()? {
            self.current()
        } else {
            Ok(None)
        }
    }

    /// To the entry before the leaf position; whether there is one.
    fn backward(&mut self) -> Result<bool> {
        loop {
            match self.stack.last_mut() {
                None => return Ok(false),
                Some((_, i)) if *i > 0 => {
                    *i -= 1;
                    return Ok(true);
                }
                Some(_) => {}
            }
            self.stack.pop();
            loop {
                match self.stack.last_mut() {
                    None => return Ok(false),
                    Some((page, i)) if *i > 0 => {
                        *i -= 1;
                        let child = page.child(*i);
                        self.descend(child, Edge::Last)?;
                        break;
                    }
                    Some(_) => {
                        self.stack.pop();
                    }
                }
            }
        }
    }
}

/// The entries between two bounds, in key order or reversed; an error ends it.
#[derive(Debug)]
pub struct Range<'t> {
    cursor: Cursor<'t>,
    from: Bound<Vec<u8>>,
    to: Bound<Vec<u8>>,
    rev: bool,
    started: bool,
    done: bool,
}

impl<'t> Range<'t> {
    pub(crate) fn new(
        src: &'t dyn Source,
        from: Bound<&[u8]>,
        to: Bound<&[u8]>,
        rev: bool,
    ) -> Range<'t> {
        Range {
            cursor: Cursor::new(src),
            from: from.map(<[u8]>::to_vec),
            to: to.map(<[u8]>::to_vec),
            rev,
            started: false,
            done: false,
        }
    }

    fn start(&mut self) -> Result<Option<Entry>> {
        let c = &mut self.cursor;
        if !self.rev {
            match &self.from {
                Bound::Unbounded => c.first(),
                Bound::Included(k) => c.seek(k),
                Bound::Excluded(k) => match c.seek(k)? {
                    Some(e) if &e.0 == k => c.next(),
                    other => Ok(other),
                },
            }
        } else {
            match &self.to {
                Bound::Unbounded => c.last(),
                Bound::Included(k) => c.seek_le(k),
                Bound::Excluded(k) => match c.seek_le(k)? {
                    Some(e) if &e.0 == k => c.prev(),
                    other => Ok(other),
                },
            }
        }
    }

    /// Whether `key` is on this side of the bound the scan runs towards.
    fn within(&self, key: &[u8]) -> bool {
        if !self.rev {
            match &self.to {
                Bound::Unbounded => true,
                Bound::Included(k) => key <= k.as_slice(),
                Bound::Excluded(k) => key < k.as_slice(),
            }
        } else {
            match &self.from {
                Bound::Unbounded => true,
                Bound::Included(k) => key >= k.as_slice(),
                Bound::Excluded(k) => key > k.as_slice(),
            }
        }
    }
}

impl Iterator for Range<'_> {
    type Item = Result<Entry>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let step = if !self.started {
            self.started = true;
            self.start()
        } else if self.rev {
            self.cursor.prev()
        } else {
            self.cursor.next()
        };
        match step {
            Ok(Some(e)) if self.within(&e.0) => Some(Ok(e)),
            Ok(_) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
