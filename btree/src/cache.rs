//! The page cache: pages read from the file, kept after their checksum (and, for branch and
//! leaf pages, their layout) has been verified once, so that a lookup visits each page on
//! its path without a `pread`, a checksum or a layout check.
//!
//! Why a cached page is as good as one read and checked just now: a page's bytes change on
//! disk only when a writer writes it, and a writer writes only pages that no snapshot open
//! in this process can reach (copy-on-write: reused pages are free to every open snapshot).
//! The writer of this handle drops every page it is about to write from the cache before
//! writing it ([`PageCache::forget`]), so the cache never holds an older version of a page
//! than the last commit of this handle. A commit by anyone else (another process, another
//! handle) is seen when a transaction begins: the current meta page holds a transaction
//! the cache does not know, and the cache's *epoch* moves on ([`PageCache::begin`]). Every
//! page is cached under the epoch of the snapshot that read it and found only by
//! snapshots of that same epoch, so moving the epoch on empties the cache at once, and a
//! slow reader of an older epoch that puts a page in after that cannot hand it to a
//! newer snapshot.
//!
//! The pages a commit of this handle wrote go into the cache as written once the commit is
//! durable: a read would return the same bytes (from the kernel's page cache, or from the
//! disk after the sync), and the next transactions need not read them back.
//!
//! What the cache does not see: a page damaged on disk after it was cached. It returns the
//! bytes that were verified, which are the committed data; `check` always reads the disk.
//!
//! The cache holds up to `Options::cache_bytes` (256 MiB by default, at most 65,536
//! pages), direct-mapped: page `p` in slot `p` modulo the number of slots, so a lookup is
//! one probe; two pages that share a slot evict each other.
//!
//! A page the cache lets go that nothing else holds keeps its buffer as a *spare* for the
//! writer's next page (a copy on write, a page encoded): a commit of random inserts
//! replaces about as many pages as it writes, and reusing their buffers spares a `malloc`
//! and a `free` per page written.

use crate::format::MAX_PAGE_SIZE;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, Mutex, MutexGuard};

/// A page's bytes, shared between the cache, readers and the writer's dirty map.
pub(crate) type Buf = Arc<[u8]>;

/// A hasher for page numbers (Fibonacci hashing: one multiply).
#[derive(Default, Clone, Copy)]
pub(crate) struct PgHasher(u64);

impl Hasher for PgHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ b as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (n ^ self.0).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by page number.
pub(crate) type PgMap<V> = HashMap<u64, V, BuildHasherDefault<PgHasher>>;

/// The most slots a cache has (256 MiB of 4 KiB pages).
const MAX_SLOTS: usize = 1 << 16;

/// The most spare buffers kept (16 MiB of 4 KiB pages): more than a commit of a thousand
/// random inserts writes.
const MAX_SPARE: usize = 4096;

/// A verified page: its bytes, and whether it is a branch or leaf page whose layout
/// `Page::parse` accepted.
#[derive(Clone, Debug)]
pub(crate) struct Cached {
    pub(crate) buf: Buf,
    pub(crate) node_ok: bool,
}

/// One slot of the direct-mapped cache: the page it holds and the epoch it was read under.
#[derive(Debug, Default)]
struct Slot {
    pgno: u64,
    epoch: u64,
    page: Option<Cached>,
}

#[derive(Debug, Default)]
struct State {
    epoch: u64,
    /// The commit the cache is up to date with (0: none yet).
    txn: u64,
}

/// Direct-mapped: page `p` can only be in slot `p mod slots`, so a lookup is one probe of
/// one slot (a file of at most that many pages never has two pages compete for a slot).
/// Each slot is tagged with the epoch its page was read under and is seen only by
/// snapshots of that epoch, so moving the epoch on empties the cache at once.
#[derive(Debug)]
pub(crate) struct PageCache {
    slots: Vec<Mutex<Slot>>,
    state: Mutex<State>,
    /// Buffers of pages let go, held by nothing else, all of one page size.
    spare: Mutex<Vec<Buf>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl PageCache {
    pub(crate) fn new(bytes: usize, page_size: usize) -> PageCache {
        let n = (bytes / page_size.clamp(1, MAX_PAGE_SIZE as usize)).min(MAX_SLOTS);
        // A power of two, so that the slot is the page number's low bits.
        let n = if n == 0 { 0 } else { 1 << n.ilog2() };
        PageCache {
            slots: (0..n).map(|_| Mutex::default()).collect(),
            state: Mutex::default(),
            spare: Mutex::default(),
        }
    }

    fn slot(&self, pgno: u64) -> &Mutex<Slot> {
        &self.slots[pgno as usize & (self.slots.len() - 1)]
    }

    /// A transaction begins on the commit `txn` (the current meta page's): the epoch its
    /// pages may be cached under, or `None` to bypass the cache (an older commit than the
    /// cache's: a reader that lost a race with this handle's writer).
    pub(crate) fn begin(&self, txn: u64) -> Option<u64> {
        if self.slots.is_empty() {
            return None;
        }
        let mut st = lock(&self.state);
        if txn == st.txn {
            return Some(st.epoch);
        }
        if txn < st.txn {
            return None;
        }
        // Someone else committed: what the cache holds may be stale.
        st.epoch += 1;
        st.txn = txn;
        Some(st.epoch)
    }

    /// This handle's writer committed `txn` on top of `base`, having forgotten every page
    /// it wrote: the epoch under which it may put them in as written, if the cache is
    /// still this handle's line of commits.
    pub(crate) fn committed(&self, base: u64, txn: u64) -> Option<u64> {
        if self.slots.is_empty() {
            return None;
        }
        let mut st = lock(&self.state);
        if st.txn == base || st.txn == txn {
            st.txn = txn;
            Some(st.epoch)
        } else {
            // A commit in between that the cache did not see: start again.
            st.txn = 0;
            st.epoch += 1;
            None
        }
    }

    pub(crate) fn get(&self, epoch: u64, pgno: u64) -> Option<Cached> {
        if self.slots.is_empty() {
            return None;
        }
        let s = lock(self.slot(pgno));
        if s.epoch != epoch || s.pgno != pgno {
            return None;
        }
        s.page.clone()
    }

    pub(crate) fn insert(&self, epoch: u64, pgno: u64, page: Cached) {
        if self.slots.is_empty() {
            return;
        }
        let old = std::mem::replace(
            &mut *lock(self.slot(pgno)),
            Slot {
                pgno,
                epoch,
                page: Some(page),
            },
        );
        if let Some(c) = old.page {
            self.recycle(c.buf);
        }
    }

    /// Drops pages about to be written.
    pub(crate) fn forget(&self, pages: impl Iterator<Item = u64>) {
        if self.slots.is_empty() {
            return;
        }
        for pg in pages {
            let mut s = lock(self.slot(pg));
            if s.pgno == pg {
                let old = s.page.take();
                drop(s);
                if let Some(c) = old {
                    self.recycle(c.buf);
                }
            }
        }
    }

    /// Keeps the buffer of a page let go as a spare, if nothing else holds it.
    pub(crate) fn recycle(&self, mut buf: Buf) {
        if Arc::get_mut(&mut buf).is_some() {
            let mut spare = lock(&self.spare);
            if spare.len() < MAX_SPARE {
                spare.push(buf);
            }
        }
    }

    /// A buffer of `len` bytes that only the caller holds, of unspecified content: a
    /// spare if there is one, else a new one.
    pub(crate) fn buffer(&self, len: usize) -> Buf {
        if let Some(b) = lock(&self.spare).pop().filter(|b| b.len() == len) {
            return b;
        }
        std::iter::repeat_n(0u8, len).collect()
    }

    /// A copy of `src` that only the caller holds.
    pub(crate) fn copy_of(&self, src: &[u8]) -> Buf {
        let mut b = self.buffer(src.len());
        match Arc::get_mut(&mut b) {
            Some(m) => {
                m.copy_from_slice(src);
                b
            }
            None => Arc::from(src),
        }
    }
}
