//! The write transaction and the commit protocol.
//!
//! A writer never changes a page of a committed state: every page it changes is written
//! somewhere free (copy-on-write), and the pages it replaces go to the free list. Commit:
//!
//! 1. write the free list's new record and every new page (each with its checksum);
//! 2. `fdatasync`;
//! 3. write the meta page that does not hold the last commit;
//! 4. `fdatasync`: the commit is durable, and `commit` returns.
//!
//! A crash before step 3 has changed only pages no committed state uses; a crash during
//! it leaves a meta page whose checksum fails, so the other (the last commit) is used; a
//! crash after it finds the new meta valid and everything it points to already synced.
//!
//! A small commit (at most `record_cap` pages, the file not growing, room left in the log)
//! is instead one record appended to the log region in one write, then one `fdatasync`
//! (log.rs); the next commit written in place (a large one, or one the log has no room
//! for) writes the log's pages to their places too: a checkpoint. The README argues it in
//! full.

use crate::cache::{Buf, Cached, PgMap};
use crate::db::{Db, Shared};
use crate::error::{Error, Result};
use crate::format::log::{encode_record, record_cap, Delta};
use crate::format::meta::Meta;
use crate::format::node::{prefetch, Page};
use crate::format::{page_kind, seal, Geometry, Kind};
use crate::freelist::FreeList;
use crate::tree::{self, Cursor, Range, Source};
use std::ops::Bound;
use std::sync::{Arc, MutexGuard, TryLockError};

/// The one write transaction. Its changes are visible to its own `get`, `cursor` and
/// `range`, to nobody else until [`WriteTxn::commit`] returns; dropping it without
/// committing discards them.
pub struct WriteTxn<'a> {
    pub(crate) db: &'a Db,
    _guard: MutexGuard<'a, ()>,
    base: Meta,
    /// The slot of the meta page (the checkpoint) the base continues.
    base_slot: u64,
    /// That checkpoint's transaction, and where the log's next record goes.
    checkpoint_txn: u64,
    log_next: u64,
    /// The state being built; its `txn` is the base's plus one.
    pub(crate) meta: Meta,
    /// Pages written by this transaction (headers without checksums until commit).
    pub(crate) dirty: PgMap<Buf>,
    /// Pages this transaction allocated and then freed: reusable at once.
    pub(crate) dirty_free: Vec<u64>,
    /// The page of the base state each written page replaced, where it has one: a log
    /// record carries the written page as its difference from that one.
    pub(crate) origin: PgMap<u64>,
    /// Pages of the base state this transaction freed.
    pub(crate) freed: Vec<u64>,
    pub(crate) free: FreeList,
    /// Free-list records of this transaction or earlier may be reused.
    reuse_limit: Option<u64>,
    /// The page cache's epoch for the base's pages.
    epoch: Option<u64>,
    /// The file's length when the transaction began.
    file_len: u64,
    pub(crate) changed: bool,
    /// An operation failed part-way: the transaction can only be dropped.
    pub(crate) failed: bool,
}

impl std::fmt::Debug for WriteTxn<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteTxn")
            .field("base", &self.base)
            .field("meta", &self.meta)
            .field("dirty", &self.dirty.len())
            .finish()
    }
}

impl Db {
    /// Begins the write transaction, or fails with [`Error::Busy`] at once if another
    /// writer (this handle's or another process's) has one.
    pub fn write(&self) -> Result<WriteTxn<'_>> {
        WriteTxn::begin(self, false)
    }

    /// Begins the write transaction, waiting for any other writer to finish.
    pub fn write_wait(&self) -> Result<WriteTxn<'_>> {
        WriteTxn::begin(self, true)
    }
}

impl<'a> WriteTxn<'a> {
    fn begin(db: &'a Db, wait: bool) -> Result<WriteTxn<'a>> {
        if db.read_only {
            return Err(Error::ReadOnly);
        }
        let guard = if wait {
            db.writer.lock().unwrap_or_else(|e| e.into_inner())
        } else {
            match db.writer.try_lock() {
                Ok(g) => g,
                Err(TryLockError::Poisoned(e)) => e.into_inner(),
                Err(TryLockError::WouldBlock) => return Err(Error::Busy),
            }
        };
        if db.shared().poisoned {
            return Err(Error::Poisoned);
        }
        if !db.file.lock(wait)? {
            return Err(Error::Busy);
        }
        let mut txn = WriteTxn {
            db,
            _guard: guard,
            base: Meta::empty(db.geo.page_size as u32),
            base_slot: 0,
            checkpoint_txn: 0,
            log_next: 0,
            meta: Meta::empty(db.geo.page_size as u32),
            dirty: PgMap::default(),
            dirty_free: Vec::new(),
            origin: PgMap::default(),
            freed: Vec::new(),
            free: FreeList::default(),
            reuse_limit: None,
            epoch: None,
            file_len: 0,
            changed: false,
            failed: false,
        };
        // From here on, dropping `txn` releases the lock.
        let (base, slot) = db.current_meta()?;
        (txn.checkpoint_txn, txn.log_next) = {
            let log = db.log();
            (log.base.map_or(base.txn, |(c, _)| c.txn), log.next)
        };
        let file_len = db.file.len()?;
        if file_len < base.page_count * db.geo.page_size as u64 {
            return Err(Error::Truncated {
                pages: base.page_count,
                file_len,
            });
        }
        // Pages freed since the checkpoint are still its pages: they wait for the next one,
        // so that the pages it writes in place are free in the last (README).
        let limit = |checkpoint: u64, reader: Option<u64>| {
            base.txn
                .checked_sub(1)
                .map(|l| l.min(checkpoint))
                .map(|l| reader.map_or(l, |r: u64| r.min(l)))
        };
        let (oldest_reader, cached) = {
            let mut shared = db.shared();
            let oldest_reader = shared.readers.keys().next().copied();
            txn.reuse_limit = limit(txn.checkpoint_txn, oldest_reader);
            let cached = match shared.free.take() {
                // A checkpoint made at a writer's start keeps the transaction and changes
                // the free list: the salt tells the two apart.
                Some((t, list)) if t == (base.txn, base.log_salt) => Some(list),
                _ => None,
            };
            (oldest_reader, cached)
        };
        txn.free = match cached {
            Some(list) => list,
            None => FreeList::load(db, &base)?,
        };
        txn.epoch = db.cache.begin(base.txn);
        txn.file_len = file_len;
        txn.base = base;
        txn.base_slot = slot;
        txn.meta = Meta {
            txn: base.txn + 1,
            ..base
        };
        let enough = record_cap(db.geo.page_size) as u64;
        if base.txn > txn.checkpoint_txn
            && txn.free.reusable(txn.reuse_limit) < enough
            && txn.free.freed_since(txn.checkpoint_txn) >= enough
        {
            // The pages freed since the checkpoint wait for the next one: make it now, rather
            // than grow the file for want of them (if there are enough of them to be worth
            // a checkpoint: a small file would otherwise make one at nearly every commit).
            // The state stays the same (and its free list, which readers of this state in
            // other handles may have): only its pages move to their places.
            txn.meta = base;
            let mut written = Vec::new();
            txn.merge_log_records(&mut written, true)?;
            txn.write_in_place(&mut written, false)?;
            txn.base = txn.meta;
            txn.base_slot = 1 - txn.base_slot;
            txn.checkpoint_txn = base.txn;
            txn.log_next = 0;
            txn.reuse_limit = limit(base.txn, oldest_reader);
            txn.meta = Meta {
                txn: base.txn + 1,
                ..txn.base
            };
        }
        Ok(txn)
    }

    pub(crate) fn geo(&self) -> Geometry {
        self.db.geo
    }

    /// The value of `key`, as this transaction has it.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        tree::get(self, key)
    }

    /// A cursor over this transaction's entries.
    pub fn cursor(&self) -> Cursor<'_> {
        Cursor::new(self)
    }

    pub fn range(&self, from: Bound<&[u8]>, to: Bound<&[u8]>) -> Range<'_> {
        Range::new(self, from, to, false)
    }

    pub fn range_rev(&self, from: Bound<&[u8]>, to: Bound<&[u8]>) -> Range<'_> {
        Range::new(self, from, to, true)
    }

    /// The number of entries.
    pub fn len(&self) -> u64 {
        self.meta.entries
    }

    pub fn is_empty(&self) -> bool {
        self.meta.entries == 0
    }

    /// The transaction number this commit will have.
    pub fn txn_id(&self) -> u64 {
        self.meta.txn
    }

    /// A page to write: one this transaction freed, else a free one no snapshot can see,
    /// else a new one at the end of the file.
    pub(crate) fn alloc(&mut self) -> Result<u64> {
        if let Some(pg) = self.dirty_free.pop() {
            return Ok(pg);
        }
        if let Some(pg) = self.free.pop(self.reuse_limit, &mut self.freed) {
            return Ok(pg);
        }
        let pg = self.meta.page_count;
        if pg
            .checked_add(1)
            .and_then(|n| n.checked_mul(self.geo().page_size as u64))
            .is_none()
        {
            return Err(Error::Io(std::io::Error::other(
                "the file would exceed 2^64 bytes",
            )));
        }
        self.meta.page_count += 1;
        Ok(pg)
    }

    /// Page `pg`, written by this transaction, replaces page `old` of the base state.
    pub(crate) fn replaces(&mut self, pg: u64, old: u64) {
        self.origin.insert(pg, old);
    }

    /// Gives back page `pgno`: at once if this transaction wrote it, else to the free list.
    pub(crate) fn free_page(&mut self, pgno: u64) {
        if self.dirty.remove(&pgno).is_some() {
            self.origin.remove(&pgno);
            self.dirty_free.push(pgno);
        } else {
            self.freed.push(pgno);
        }
    }

    /// Makes the transaction's changes durable and visible; returns its number (the last
    /// commit's, if nothing changed). On an error nothing of it is visible, and after a
    /// failed sync or meta write the handle refuses further writes ([`Error::Poisoned`]).
    pub fn commit(mut self) -> Result<u64> {
        if self.failed {
            return Err(Error::Io(std::io::Error::other(
                "an operation of this transaction failed part-way; it cannot commit",
            )));
        }
        if !self.changed {
            return Ok(self.base.txn);
        }
        let geo = self.geo();
        let txn = self.meta.txn;

        for (pg, p) in self.free_list_record(txn)? {
            self.dirty.insert(pg, Arc::from(p));
        }

        let mut order: Vec<u64> = self.dirty.keys().copied().collect();
        order.sort_unstable();
        // No snapshot open in this process can reach these pages (they are free to all of
        // them); the cache may still hold what they held before: drop it before the disk
        // changes (cache.rs).
        self.db.cache.forget(order.iter().copied());
        let mut written: Vec<(u64, Buf)> = order
            .iter()
            .filter_map(|&pg| Some((pg, self.dirty.remove(&pg)?)))
            .collect();
        for k in 0..written.len() {
            // The pages were written all through the transaction and have left the CPU's
            // cache: the next one is fetched while this one is checksummed.
            if let Some((_, next)) = written.get(k + 1) {
                prefetch(next);
            }
            let (pg, buf) = &mut written[k];
            seal(Arc::make_mut(buf), *pg);
        }
        let record = (self.base.log_pages > 0
            && written.len() <= record_cap(geo.page_size)
            && self.meta.page_count == self.base.page_count)
            .then(|| self.record(&written))
            .transpose()?
            .filter(|r| self.log_next + (r.len() / geo.page_size) as u64 <= self.base.log_pages);
        if let Some(record) = record {
            self.append(&written, &record)?;
        } else {
            self.write_in_place(&mut written, true)?;
        }
        let db = self.db;
        if let Some(epoch) = db.cache.committed(self.base.txn, txn) {
            // The pages as written, which is what a read would now return (from the log's
            // pages in memory, from the kernel's page cache, or from the disk after the
            // sync): the next transactions find them without reading them back.
            for (pg, buf) in written {
                // Built by this transaction from checked pages, as its own reads of them
                // trust (`Source::node`): no layout check again.
                let node_ok = matches!(page_kind(&buf), Some(Kind::Branch | Kind::Leaf));
                db.cache.insert(epoch, pg, Cached { buf, node_ok });
            }
        }
        let mut shared: std::sync::MutexGuard<'_, Shared> = db.shared();
        shared.free = Some(((txn, self.meta.log_salt), std::mem::take(&mut self.free)));
        Ok(txn)
    }
}

impl WriteTxn<'_> {
    fn poison(&self, e: std::io::Error) -> Error {
        self.db.shared().poisoned = true;
        Error::Io(e)
    }

    /// The log record of this commit's pages `written` (sealed): each as its difference
    /// from the page of the base state it replaced, or from zeros.
    fn record(&self, written: &[(u64, Buf)]) -> Result<Vec<u8>> {
        let mut bases = Vec::with_capacity(written.len());
        for (pg, _) in written {
            bases.push(match self.origin.get(pg) {
                Some(&old) => Some((old, self.raw(old)?)),
                None => None,
            });
        }
        let pages: Vec<Delta<'_>> = written
            .iter()
            .zip(&bases)
            .map(|((pg, page), base)| Delta {
                pg: *pg,
                page,
                base: base.as_ref().map(|(old, b)| (*old, &b[..])),
            })
            .collect();
        Ok(encode_record(&self.meta, &pages, self.geo().page_size))
    }

    /// A small commit: its record at the log's end, in one write, and one sync.
    fn append(&mut self, written: &[(u64, Buf)], record: &[u8]) -> Result<()> {
        let db = self.db;
        let ps = self.geo().page_size;
        let at = (self.base.log_start + self.log_next) * ps as u64;
        // A failed write promised nothing: the record is torn or absent, the log ends
        // before it, and the next commit writes over it.
        db.file.write_at(record, at)?;
        if let Err(e) = db.file.sync() {
            // The kernel may have dropped the record's dirty pages, or kept them: unmake it,
            // as far as one can, so that the file reopens at the commit before (after a
            // power cut it may still hold either).
            let _ = db.file.write_at(&vec![0u8; ps], at);
            let _ = db.file.sync();
            return Err(self.poison(e));
        }
        let mut log = db.log();
        for (pg, buf) in written {
            log.images.insert(*pg, buf.clone());
        }
        log.next = self.log_next + (record.len() / ps) as u64;
        log.meta = Some(self.meta);
        Ok(())
    }

    /// A commit in place, which is also the checkpoint of the log: its pages and the
    /// newest version of every page of the log still in use go to their places; sync;
    /// the meta page (which empties the log); sync. With `merge`, the free-list records of
    /// the logged commits become one record of this commit's (`merge_log_records`).
    fn write_in_place(&mut self, written: &mut Vec<(u64, Buf)>, merge: bool) -> Result<()> {
        let db = self.db;
        let geo = self.geo();
        let ps = geo.page_size as u64;
        if self.base.txn > self.checkpoint_txn {
            if merge {
                self.merge_log_records(written, false)?;
            }
            // Pages freed since the checkpoint need not be written: no state after this
            // commit uses them (and crash recovery reads them from the log).
            let free_now: std::collections::HashSet<u64> = self
                .free
                .records
                .iter()
                .filter(|r| r.txn > self.checkpoint_txn)
                .flat_map(|r| r.pages[r.used..].iter().copied())
                .collect();
            let mine: std::collections::HashSet<u64> = written.iter().map(|w| w.0).collect();
            let log = db.log();
            // A page of the log that could not be made is not written over its place: the
            // checkpoint stops, naming the damaged page it came from.
            if let Some((pg, &bad)) = log
                .damaged
                .iter()
                .find(|(pg, _)| !mine.contains(pg) && !free_now.contains(pg))
            {
                return Err(Error::corrupt(
                    bad,
                    format!("page {pg} of the log cannot be made: page {bad} is damaged"),
                ));
            }
            written.extend(
                log.images
                    .iter()
                    .filter(|(pg, _)| !mine.contains(pg) && !free_now.contains(pg))
                    .map(|(&pg, b)| (pg, b.clone())),
            );
            written.sort_unstable_by_key(|w| w.0);
        }
        let small = written.len() <= record_cap(geo.page_size);
        if self.meta.log_pages == 0 && db.new_log_pages > 0 && small {
            // The first small commit: a log region at the end of the file, written (zeros)
            // now, so that writing records in it later changes no block allocation.
            self.meta.log_start = self.meta.page_count;
            self.meta.log_pages = db.new_log_pages;
            self.meta.page_count += db.new_log_pages;
            let zeros = vec![0u8; (1 << 20).min(db.new_log_pages * ps) as usize];
            let (mut at, end) = (self.meta.log_start * ps, self.meta.page_count * ps);
            while at < end {
                let n = (end - at).min(zeros.len() as u64) as usize;
                db.file.write_at(&zeros[..n], at)?;
                at += n as u64;
            }
        }
        self.meta.log_salt = new_salt();
        // One write a page, even for a run of consecutive pages. A write of several pages
        // that the kernel's page cache does not hold yet (the pages a commit adds at the
        // file's end) becomes one large folio there (ext4 has them since Linux 6.16), and
        // every later write of one of its pages, and its writeback, walks all the folio's
        // blocks: far more than the calls a run saves (README, "Where the time goes").
        for (pg, buf) in written.iter() {
            db.file.write_at(buf, pg * ps)?;
        }
        let reached = written
            .last()
            .map_or(0, |w| (w.0 + 1) * ps)
            .max(self.file_len);
        if self.meta.page_count * ps > reached {
            // Pages allocated but left unwritten (freed by this same transaction) must be
            // inside the file too. (When the last page was written, the writes grew the
            // file: an `ftruncate` per growing commit cost 1 % of batched inserts.)
            db.file.set_len(self.meta.page_count * ps)?;
        }
        let slot = 1 - self.base_slot;
        let meta_page = self.meta.encode(slot);
        db.file.sync().map_err(|e| self.poison(e))?;
        db.file
            .write_at(&meta_page, slot * ps)
            .map_err(|e| self.poison(e))?;
        db.file.sync().map_err(|e| self.poison(e))?;
        db.log().reset(self.meta, slot);
        Ok(())
    }
}

impl WriteTxn<'_> {
    /// Replaces the free-list records of the commits since the checkpoint (one each, a page
    /// each for single inserts), this commit's included, by one record of this commit's
    /// that lists their pages and the pages that held them: the checkpoint writes a page or
    /// two of free list instead of one per logged commit. (Pages freed earlier are only
    /// reused later, which is safe.)
    ///
    /// With `keep_last`, for a checkpoint that keeps the last commit's state (made when a
    /// writer starts): the last commit's record stays (its pages are not reusable yet, and
    /// its number must stay the newest), rewritten to point at the merged record, which
    /// takes the number of the commit before it, so that its pages are reusable as theirs
    /// were.
    fn merge_log_records(&mut self, written: &mut Vec<(u64, Buf)>, keep_last: bool) -> Result<()> {
        let checkpoint = self.checkpoint_txn;
        let since = self
            .free
            .records
            .iter()
            .rev()
            .take_while(|r| r.txn > checkpoint);
        if keep_last && since.count() < 3 {
            return Ok(());
        }
        let last = match self.free.records.back() {
            Some(r) if keep_last && r.txn == self.meta.txn => self.free.records.pop_back(),
            _ => None,
        };
        let mut pages = Vec::new();
        while let Some(r) = self.free.records.back() {
            if r.txn <= self.checkpoint_txn {
                break;
            }
            if let Some(r) = self.free.records.pop_back() {
                pages.extend_from_slice(&r.pages[r.used..]);
                pages.extend(r.chain);
            }
        }
        if pages.is_empty() {
            return Ok(());
        }
        // This commit's own record, built already, is not written.
        let dropped: std::collections::HashSet<u64> = pages.iter().copied().collect();
        written.retain(|(pg, _)| !dropped.contains(pg));
        self.freed = pages;
        let tag = self.meta.txn - u64::from(keep_last);
        let mut record = self.free_list_record(tag)?;
        if let Some(r) = last {
            // Its pages again, pointing at the merged record.
            let pages = r.pages[r.used..].to_vec();
            record.extend(self.free.push(self.geo(), r.txn, pages, r.chain));
            self.meta.free_head = self.free.head();
        }
        self.db.cache.forget(record.iter().map(|(pg, _)| *pg));
        for (pg, mut p) in record {
            seal(&mut p, pg);
            written.push((pg, Arc::from(p)));
        }
        written.sort_unstable_by_key(|w| w.0);
        Ok(())
    }
}

impl WriteTxn<'_> {
    /// This transaction's free-list record of the pages it freed (`freed` and `dirty_free`,
    /// both taken), in pages that may themselves come off the free list (using up a record
    /// frees its pages, which the record then lists); the meta page's free-list fields
    /// follow it. The record's pages, unsealed.
    fn free_list_record(&mut self, txn: u64) -> Result<Vec<(u64, Vec<u8>)>> {
        let geo = self.geo();
        let cap = geo.freelist_cap();
        let mut chain = Vec::new();
        while chain.len() < (self.freed.len() + self.dirty_free.len()).div_ceil(cap) {
            let pg = self.alloc()?;
            chain.push(pg);
        }
        let mut pages = std::mem::take(&mut self.freed);
        pages.append(&mut self.dirty_free);
        let record = self.free.push(geo, txn, pages, chain);
        self.meta.free_head = self.free.head();
        (self.meta.free_skip_txn, self.meta.free_skip_index) = self.free.skip();
        Ok(record)
    }
}

/// A salt for the next log: records of earlier logs (or bytes in values that mimic one)
/// do not carry it.
fn new_salt() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    h.finish()
}

impl Drop for WriteTxn<'_> {
    fn drop(&mut self) {
        self.db.file.unlock();
    }
}

impl Source for WriteTxn<'_> {
    fn geo(&self) -> Geometry {
        self.db.geo
    }

    fn raw(&self, pgno: u64) -> Result<Buf> {
        match self.dirty.get(&pgno) {
            Some(p) => Ok(p.clone()),
            None => Ok(self.db.page(pgno, &self.base, self.epoch)?.buf),
        }
    }

    fn node(&self, pgno: u64) -> Result<Page> {
        match self.dirty.get(&pgno) {
            // Built by this transaction from checked pages.
            Some(p) => Ok(Page::trusted(pgno, p.clone())),
            None => self.db.node(pgno, &self.base, self.epoch),
        }
    }

    fn root(&self) -> (u64, u32) {
        (self.meta.root, self.meta.depth)
    }

    fn page_count(&self) -> u64 {
        self.meta.page_count
    }
}

#[cfg(test)]
mod tests {
    //! Fault injection under the writer: each fault makes `commit` fail, and the file,
    //! reopened as after a crash, holds a whole commit that `check` finds sound.

    use crate::{Db, Error, Options};
    use std::collections::BTreeMap;
    use std::ops::Bound;
    use std::path::PathBuf;

    type Model = BTreeMap<Vec<u8>, Vec<u8>>;

    struct Temp(PathBuf);

    impl Temp {
        fn new(tag: &str) -> Temp {
            Temp(
                std::env::temp_dir().join(format!("btree-unit-{}-{tag}.btree", std::process::id())),
            )
        }
    }

    impl Drop for Temp {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    fn open(t: &Temp) -> Db {
        Db::open(&t.0, &Options::default()).unwrap()
    }

    fn contents(db: &Db) -> Model {
        let r = db.read().unwrap();
        r.range(Bound::Unbounded, Bound::Unbounded)
            .collect::<crate::Result<_>>()
            .unwrap()
    }

    fn sound(db: &Db) {
        let report = db.check().unwrap();
        assert!(report.problems.is_empty(), "{:#?}", report.problems);
    }

    /// A commit of `n` entries (some in overflow pages) tagged `tag`, applied to `model`.
    fn change(db: &Db, model: &mut Model, tag: u8, n: u32) -> crate::Result<u64> {
        let mut w = db.write()?;
        let mut next = model.clone();
        for i in 0..n {
            let k = format!("key{i:04}").into_bytes();
            let v = vec![tag; if i % 10 == 0 { 6000 } else { 50 }];
            w.put(&k, &v)?;
            next.insert(k, v);
        }
        w.delete(b"key0003")?;
        next.remove(&b"key0003"[..]);
        let txn = w.commit()?;
        *model = next;
        Ok(txn)
    }

    /// The file with commit A, and its model.
    fn setup(tag: &str) -> (Temp, Model) {
        let t = Temp::new(tag);
        let _ = std::fs::remove_file(&t.0);
        let db = open(&t);
        let mut a = Model::new();
        change(&db, &mut a, 1, 300).unwrap();
        change(&db, &mut a, 2, 300).unwrap();
        (t, a)
    }

    #[test]
    fn a_short_write_of_the_pages_leaves_the_last_commit() {
        let (t, a) = setup("short");
        let db = open(&t);
        {
            let mut f = db.file.faults.lock().unwrap();
            f.write_after = Some(0);
            f.keep = 100;
        }
        let mut b = a.clone();
        assert!(matches!(change(&db, &mut b, 3, 400), Err(Error::Io(_))));
        let reopened = open(&t);
        assert!(contents(&reopened) == a, "not the expected commit");
        sound(&reopened);
        // Nothing was promised, so the handle goes on: the next commit is whole.
        let mut c = a.clone();
        change(&db, &mut c, 4, 400).unwrap();
        let reopened = open(&t);
        assert!(contents(&reopened) == c, "not the expected commit");
        sound(&reopened);
    }

    #[test]
    fn a_torn_page_write_leaves_the_last_commit() {
        let (t, a) = setup("torn-page");
        let db = open(&t);
        {
            let mut f = db.file.faults.lock().unwrap();
            f.write_after = Some(0);
            f.keep = db.geo.page_size / 2 + 512;
        }
        let mut b = a.clone();
        assert!(change(&db, &mut b, 3, 400).is_err());
        let reopened = open(&t);
        assert!(contents(&reopened) == a, "not the expected commit");
        sound(&reopened);
    }

    #[test]
    fn a_failed_fsync_of_the_pages_leaves_the_last_commit_and_poisons_the_handle() {
        let (t, a) = setup("fsync-pages");
        let db = open(&t);
        db.file.faults.lock().unwrap().sync_after = Some(0);
        let mut b = a.clone();
        assert!(matches!(change(&db, &mut b, 3, 400), Err(Error::Io(_))));
        assert!(matches!(db.write(), Err(Error::Poisoned)));
        let reopened = open(&t);
        assert!(contents(&reopened) == a, "not the expected commit");
        sound(&reopened);
    }

    #[test]
    fn a_failed_fsync_of_the_meta_page_leaves_one_whole_commit() {
        let (t, a) = setup("fsync-meta");
        let db = open(&t);
        db.file.faults.lock().unwrap().sync_after = Some(1);
        let mut b = a.clone();
        let mut attempted = a.clone();
        assert!(change(&db, &mut b, 3, 400).is_err());
        // What the failed commit would have made.
        for i in 0..400u32 {
            let k = format!("key{i:04}").into_bytes();
            attempted.insert(k, vec![3; if i % 10 == 0 { 6000 } else { 50 }]);
        }
        attempted.remove(&b"key0003"[..]);
        assert!(matches!(db.write(), Err(Error::Poisoned)));
        let reopened = open(&t);
        let now = contents(&reopened);
        assert!(now == a || now == attempted);
        sound(&reopened);
    }

    #[test]
    fn a_torn_meta_page_falls_back_to_the_last_commit() {
        let (t, a) = setup("torn-meta");
        let db = open(&t);
        let (_, slot) = db.current_meta().unwrap();
        let next_slot = 1 - slot;
        {
            let mut f = db.file.faults.lock().unwrap();
            f.write_pos = Some(next_slot * db.geo.page_size as u64);
            f.write_after = Some(0);
            // Inside the fields: the page mixes new and old. (A write torn at a sector
            // boundary leaves it whole, old or new: everything it holds is in the first 512
            // bytes.)
            f.keep = 44;
        }
        let mut b = a.clone();
        assert!(change(&db, &mut b, 3, 400).is_err());
        let reopened = open(&t);
        assert!(contents(&reopened) == a, "not the expected commit");
        let report = reopened.check().unwrap();
        assert!(report.problems.is_empty(), "{:#?}", report.problems);
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains(&format!("meta page {next_slot} is not valid"))),
            "{:?}",
            report.notes
        );
        // The next commit overwrites the torn meta page.
        let mut c = a.clone();
        change(&reopened, &mut c, 4, 100).unwrap();
        assert!(contents(&open(&t)) == c, "not the expected commit");
        let notes = open(&t).check().unwrap().notes;
        assert!(!notes.iter().any(|n| n.contains("not valid")), "{notes:?}");
    }

    /// A small change (one record in the log, one sync): `key0005` set to `tag`.
    fn small_change(db: &Db, model: &mut Model, tag: u8) -> crate::Result<u64> {
        let mut w = db.write()?;
        w.put(b"key0005", &[tag; 50])?;
        let txn = w.commit()?;
        model.insert(b"key0005".to_vec(), vec![tag; 50]);
        Ok(txn)
    }

    /// The file with commit A, then small commits until one is in the log (the first makes
    /// the log region, some may wait for free pages).
    fn setup_small(tag: &str) -> (Temp, Model) {
        let (t, mut a) = setup(tag);
        let db = open(&t);
        // Free pages for the small commits: those freed after a checkpoint wait for the next.
        let mut w = db.write().unwrap();
        for i in 100..300u32 {
            let k = format!("key{i:04}").into_bytes();
            w.delete(&k).unwrap();
            a.remove(&k);
        }
        w.commit().unwrap();
        for i in 0..8 {
            small_change(&db, &mut a, 10 + i).unwrap();
        }
        assert!(db.log().next > 0, "no commit went to the log");
        (t, a)
    }

    /// Where the next record goes: its first page in the file.
    fn log_end(db: &Db) -> u64 {
        let (meta, _) = db.current_meta().unwrap();
        meta.log_start + db.log().next
    }

    /// The length in bytes of the log record at page `at`.
    fn record_len(t: &Temp, at: u64) -> u64 {
        let ps = open(t).geo.page_size;
        let f = std::fs::File::open(&t.0).unwrap();
        let mut p = vec![0u8; ps];
        std::os::unix::fs::FileExt::read_exact_at(&f, &mut p, at * ps as u64).unwrap();
        crate::format::get_u32(&p, 44) as u64
    }

    fn overwrite(t: &Temp, bytes: &[u8], at: u64) {
        let f = std::fs::OpenOptions::new().write(true).open(&t.0).unwrap();
        std::os::unix::fs::FileExt::write_all_at(&f, bytes, at).unwrap();
    }

    #[test]
    fn a_small_commit_is_one_record_in_the_log_seen_by_other_handles() {
        let (t, a) = setup_small("logged");
        let db = open(&t);
        let other = open(&t); // opened before the commit: catches up at its next read
        let before = log_end(&db);
        let (checkpoint, _) = db.checkpoint().unwrap();
        let mut b = a.clone();
        let txn = small_change(&db, &mut b, 99).unwrap();
        assert!(log_end(&db) > before, "not in the log");
        assert_eq!(db.checkpoint().unwrap().0, checkpoint, "written in place");
        assert_eq!(other.read().unwrap().txn_id(), txn);
        assert!(contents(&other) == b);
        let fresh = open(&t);
        assert!(contents(&fresh) == b);
        let report = fresh.check().unwrap();
        assert!(report.problems.is_empty(), "{:#?}", report.problems);
        assert!(report.stats.log_records > 0 && report.stats.log_pages > 0);
        // A large commit is the checkpoint: the log's pages go to their places.
        let mut c = b.clone();
        change(&other, &mut c, 5, 300).unwrap();
        assert!(other.checkpoint().unwrap().0.txn > checkpoint.txn);
        let fresh = open(&t);
        assert!(contents(&fresh) == c);
        assert_eq!(fresh.check().unwrap().stats.log_records, 0);
        sound(&fresh);
        assert!(contents(&db) == c);
    }

    #[test]
    fn a_single_insert_is_a_record_of_one_page() {
        let (t, a) = setup_small("one-page");
        let db = open(&t);
        let mut b = a.clone();
        for tag in 0..5 {
            let before = log_end(&db);
            small_change(&db, &mut b, 50 + tag).unwrap();
            // Its leaf, branch, root and free-list page, each as its changes: one page.
            assert_eq!(log_end(&db), before + 1);
        }
        let fresh = open(&t);
        assert!(contents(&fresh) == b);
        sound(&fresh);
    }

    #[test]
    fn a_checkpoint_at_a_writers_start_merges_the_logged_commits_free_list_records() {
        let (t, mut a) = setup_small("merge-at-start");
        let db = open(&t);
        // Single inserts until the reusable pages run out and a writer's start checkpoints
        // (its meta page holds the last commit, not a new one).
        let mut merged = None;
        for i in 0..400u32 {
            let before = db.checkpoint().unwrap().0.txn;
            let k = format!("new{i:05}").into_bytes();
            let mut w = db.write().unwrap();
            w.put(&k, b"v").unwrap();
            let txn = w.commit().unwrap();
            a.insert(k, b"v".to_vec());
            let (c, _) = db.checkpoint().unwrap();
            if c.txn == txn - 1 && txn - 1 > before + 3 {
                merged = Some((before, c));
                break;
            }
        }
        let (before, c) = merged.expect("no checkpoint at a writer's start");
        // The logged commits' records, one per commit, are now two: the last commit's,
        // and one of all before it.
        let list = crate::freelist::FreeList::load(&db, &c).unwrap();
        let since: Vec<u64> = list
            .records
            .iter()
            .filter(|r| r.txn > before)
            .map(|r| r.txn)
            .collect();
        assert_eq!(since, [c.txn - 1, c.txn], "{since:?}");
        let fresh = open(&t);
        assert!(contents(&fresh) == a);
        sound(&fresh);
        // Another handle that had the free list of that commit reads the new one.
        let mut b = a.clone();
        small_change(&fresh, &mut b, 77).unwrap();
        small_change(&db, &mut b, 78).unwrap();
        let fresh = open(&t);
        assert!(contents(&fresh) == b);
        sound(&fresh);
    }

    #[test]
    fn a_failed_fsync_of_a_checkpoint_at_a_writers_start_leaves_the_last_commit() {
        use crate::format::log::record_cap;
        use crate::freelist::FreeList;
        for after in 0..2 {
            let (t, mut a) = setup_small(&format!("fsync-merge-{after}"));
            let db = open(&t);
            // Single inserts until the next writer would checkpoint at its start (as
            // `begin` decides: few reusable pages, enough freed since the checkpoint).
            let mut due = false;
            for i in 0..400u32 {
                let (meta, _) = db.current_meta().unwrap();
                let (c, _) = db.checkpoint().unwrap();
                let list = FreeList::load(&db, &meta).unwrap();
                let enough = record_cap(db.geo.page_size) as u64;
                if meta.txn > c.txn + 3
                    && list.reusable(Some((meta.txn - 1).min(c.txn))) < enough
                    && list.freed_since(c.txn) >= enough
                {
                    due = true;
                    break;
                }
                let k = format!("new{i:05}").into_bytes();
                let mut w = db.write().unwrap();
                w.put(&k, b"v").unwrap();
                w.commit().unwrap();
                a.insert(k, b"v".to_vec());
            }
            assert!(due, "no checkpoint at a writer's start came due");
            db.file.faults.lock().unwrap().sync_after = Some(after);
            assert!(db.write().is_err());
            assert!(matches!(db.write(), Err(Error::Poisoned)));
            // The state is the last commit's either way (the checkpoint keeps it).
            let reopened = open(&t);
            assert!(contents(&reopened) == a, "not the last commit");
            sound(&reopened);
            let mut b = a.clone();
            small_change(&reopened, &mut b, 5).unwrap();
            assert!(contents(&open(&t)) == b);
            sound(&open(&t));
        }
    }

    #[test]
    fn a_damaged_page_a_record_was_made_from_is_named_when_read() {
        use crate::format::log::{decode_header, Found};
        let (t, _) = setup_small("damaged-base");
        let db = open(&t);
        let ps = db.geo.page_size;
        let at = log_end(&db);
        let logged: Vec<u64> = db.log().images.keys().copied().collect();
        let prev = db.current_meta().unwrap().0;
        // A key at the tree's end: a leaf the earlier records did not copy.
        let mut w = db.write().unwrap();
        w.put(b"zzz", b"last").unwrap();
        w.commit().unwrap();
        drop(db);
        let f = std::fs::File::open(&t.0).unwrap();
        let mut rec = vec![0u8; ps];
        std::os::unix::fs::FileExt::read_exact_at(&f, &mut rec, at * ps as u64).unwrap();
        let Ok(Found::Next(h)) = decode_header(&rec, &prev, prev.txn + 1) else {
            panic!("no record");
        };
        let base = h
            .entries(&rec)
            .unwrap()
            .iter()
            .map(|e| e.base)
            .find(|&b| b != 0 && !logged.contains(&b))
            .expect("a page made from one in its place");
        // The base, in its place, damaged: the record is whole, the page it makes is not.
        overwrite(&t, &[0x5a; 8], base * ps as u64 + 100);
        let db = open(&t);
        match db.read().unwrap().get(b"zzz") {
            Err(Error::Corrupt { page, .. }) => assert_eq!(page, base),
            other => panic!("{other:?}"),
        }
        assert!(contents_or_error(&db).is_err());
        let report = db.check().unwrap();
        assert!(
            report
                .problems
                .iter()
                .any(|p| p.contains(&format!("page {base}"))),
            "{:#?}",
            report.problems
        );
    }

    fn contents_or_error(db: &Db) -> crate::Result<Model> {
        let r = db.read()?;
        r.range(Bound::Unbounded, Bound::Unbounded).collect()
    }

    #[test]
    fn a_torn_log_record_is_ignored_as_is_garbage_after_the_log() {
        let (t, a) = setup_small("torn-record");
        let db = open(&t);
        let ps = db.geo.page_size as u64;
        let at = log_end(&db);
        let mut b = a.clone();
        small_change(&db, &mut b, 99).unwrap();
        let after = log_end(&db);
        drop(db);
        // Garbage after the last record: the log ends there.
        overwrite(&t, &vec![0xa5; 3 * ps as usize], after * ps);
        assert!(contents(&open(&t)) == b);
        sound(&open(&t));
        // The last record's last byte lost: it is torn, and ignored.
        overwrite(&t, &[0x5a], at * ps + record_len(&t, at) - 1);
        let reopened = open(&t);
        assert!(contents(&reopened) == a, "not the commit before");
        let report = reopened.check().unwrap();
        assert!(report.problems.is_empty(), "{:#?}", report.problems);
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains("torn record") && n.contains(&format!("page {at}"))),
            "{:?}",
            report.notes
        );
        // The next commit takes its place.
        let mut c = a.clone();
        small_change(&reopened, &mut c, 7).unwrap();
        assert!(contents(&open(&t)) == c);
        sound(&open(&t));
    }

    #[test]
    fn a_damaged_record_before_the_last_is_an_error_naming_it() {
        let (t, a) = setup_small("damaged-record");
        let db = open(&t);
        let ps = db.geo.page_size as u64;
        let at = log_end(&db);
        let mut b = a.clone();
        small_change(&db, &mut b, 99).unwrap();
        small_change(&db, &mut b, 98).unwrap();
        drop(db);
        // The first of the two records' last byte.
        overwrite(&t, &[0x5a], at * ps + record_len(&t, at) - 1);
        match Db::open(&t.0, &Options::default()) {
            Err(Error::Corrupt { page, reason }) => {
                assert_eq!(page, at, "{reason}");
                assert!(reason.contains("log record"), "{reason}");
            }
            other => panic!("{:?}", other.err()),
        }
    }

    #[test]
    fn a_failed_fsync_of_a_logged_commit_leaves_the_last_commit_and_poisons_the_handle() {
        let (t, a) = setup_small("fsync-small");
        let db = open(&t);
        let at = log_end(&db);
        db.file.faults.lock().unwrap().sync_after = Some(0);
        let mut b = a.clone();
        assert!(small_change(&db, &mut b, 99).is_err());
        assert_eq!(log_end(&db), at, "the record was taken as written");
        assert!(matches!(db.write(), Err(Error::Poisoned)));
        let reopened = open(&t);
        assert!(contents(&reopened) == a);
        sound(&reopened);
    }

    #[test]
    fn a_short_write_of_a_logged_commit_leaves_the_last_commit() {
        let (t, a) = setup_small("short-small");
        let db = open(&t);
        {
            let mut f = db.file.faults.lock().unwrap();
            f.write_after = Some(0);
            // Inside the record (one page for this commit).
            f.keep = 100;
        }
        let mut b = a.clone();
        assert!(small_change(&db, &mut b, 99).is_err());
        assert!(contents(&open(&t)) == a, "not the expected commit");
        let report = open(&t).check().unwrap();
        assert!(report.problems.is_empty(), "{:#?}", report.problems);
        let mut c = a.clone();
        small_change(&db, &mut c, 98).unwrap();
        let reopened = open(&t);
        assert!(contents(&reopened) == c, "not the expected commit");
        sound(&reopened);
    }

    #[test]
    fn a_failed_fsync_of_a_checkpoint_leaves_a_whole_commit() {
        let (t, a) = setup_small("fsync-checkpoint");
        let db = open(&t);
        let mut b = a.clone();
        small_change(&db, &mut b, 99).unwrap();
        for after in 0..2 {
            let db = open(&t);
            db.file.faults.lock().unwrap().sync_after = Some(after);
            let mut c = b.clone();
            assert!(change(&db, &mut c, 3, 400).is_err());
            let mut attempted = b.clone();
            for i in 0..400u32 {
                let k = format!("key{i:04}").into_bytes();
                attempted.insert(k, vec![3; if i % 10 == 0 { 6000 } else { 50 }]);
            }
            attempted.remove(&b"key0003"[..]);
            let now = contents(&open(&t));
            assert!(now == b || (after == 1 && now == attempted));
            sound(&open(&t));
            if now == attempted {
                break;
            }
        }
    }
}
