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
//! A small commit (at most `MAX_LISTED` pages, none past the end of the file) skips step
//! 2: its meta page lists the pages it wrote and a digest of their checksums, and counts
//! only if they all reached the disk whole (`Db::read_meta`), so one sync suffices; the
//! README argues it in full.

use crate::cache::{Buf, Cached, PgMap};
use crate::db::{Db, Shared};
use crate::error::{Error, Result};
use crate::format::crc32c::crc32c;
use crate::format::meta::{Meta, MAX_LISTED};
use crate::format::node::{check_layout, Page};
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
    base_slot: u64,
    /// The state being built; its `txn` is the base's plus one.
    pub(crate) meta: Meta,
    /// Pages written by this transaction (headers without checksums until commit).
    pub(crate) dirty: PgMap<Buf>,
    /// Pages this transaction allocated and then freed: reusable at once.
    pub(crate) dirty_free: Vec<u64>,
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
            meta: Meta::empty(db.geo.page_size as u32),
            dirty: PgMap::default(),
            dirty_free: Vec::new(),
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
        let file_len = db.file.len()?;
        if file_len < base.page_count * db.geo.page_size as u64 {
            return Err(Error::Truncated {
                pages: base.page_count,
                file_len,
            });
        }
        let cached = {
            let mut shared = db.shared();
            let oldest_reader = shared.readers.keys().next().copied();
            txn.reuse_limit = base
                .txn
                .checked_sub(1)
                .map(|l| oldest_reader.map_or(l, |r| r.min(l)));
            match shared.free.take() {
                Some((t, list)) if t == base.txn => Some(list),
                _ => None,
            }
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

    /// Gives back page `pgno`: at once if this transaction wrote it, else to the free list.
    pub(crate) fn free_page(&mut self, pgno: u64) {
        if self.dirty.remove(&pgno).is_some() {
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

        // This transaction's free-list record, in pages that may themselves come off the
        // free list (using up a record frees its pages, which the record then lists).
        let cap = geo.freelist_cap();
        let mut chain = Vec::new();
        while chain.len() < (self.freed.len() + self.dirty_free.len()).div_ceil(cap) {
            let pg = self.alloc()?;
            chain.push(pg);
        }
        let mut pages = std::mem::take(&mut self.freed);
        pages.append(&mut self.dirty_free);
        for (pg, p) in self.free.push(geo, txn, pages, chain) {
            self.dirty.insert(pg, Arc::from(p));
        }
        self.meta.free_head = self.free.head();
        (self.meta.free_skip_txn, self.meta.free_skip_index) = self.free.skip();

        // 1. The pages, sealed (their checksums), in runs of consecutive page numbers.
        let ps = geo.page_size as u64;
        let mut order: Vec<u64> = self.dirty.keys().copied().collect();
        order.sort_unstable();
        // No snapshot open in this process can reach these pages (they are free to all of
        // them); the cache may still hold what they held before: drop it before the disk
        // changes (cache.rs).
        self.db.cache.forget(order.iter().copied());
        let mut sums = Vec::with_capacity(4 * order.len());
        let mut written: Vec<(u64, Buf)> = Vec::with_capacity(order.len());
        for &pg in &order {
            if let Some(mut buf) = self.dirty.remove(&pg) {
                let p = Arc::make_mut(&mut buf);
                seal(p, pg);
                sums.extend_from_slice(&p[..4]);
                written.push((pg, buf));
            }
        }
        // Each run of consecutive pages in one write, from the buffers where they lie
        // (`pwritev`), up to 1 MiB at a time.
        let most = ((1 << 20) / geo.page_size).max(1);
        let mut start = 0;
        while start < written.len() {
            let mut end = start + 1;
            while end < written.len()
                && end - start < most
                && written[end].0 == written[end - 1].0 + 1
            {
                end += 1;
            }
            let run: Vec<&[u8]> = written[start..end].iter().map(|(_, b)| &b[..]).collect();
            self.db.file.write_pages_at(&run, written[start].0 * ps)?;
            start = end;
        }
        // One sync or two: a small commit that does not grow the file lists its pages in
        // the meta page and syncs them with it; any other syncs its pages first.
        let one_sync = order.len() <= MAX_LISTED && self.meta.page_count * ps <= self.file_len;
        if !one_sync && self.meta.page_count * ps > self.file_len {
            // Pages allocated but left unwritten (freed by this same transaction) must be
            // inside the file too.
            self.db.file.set_len(self.meta.page_count * ps)?;
        }
        let slot = 1 - self.base_slot;
        let meta_page = if one_sync {
            self.meta.listed = order.len() as u32;
            self.meta.digest = crc32c(&[&sums]);
            self.meta.encode_listing(slot, &order)
        } else {
            self.meta.listed = 0;
            self.meta.digest = 0;
            self.meta.encode(slot)
        };
        let db = self.db;
        let poison = |e: std::io::Error| {
            db.shared().poisoned = true;
            Error::Io(e)
        };
        if !one_sync {
            db.file.sync().map_err(poison)?;
        }
        db.file.write_at(&meta_page, slot * ps).map_err(poison)?;
        db.file.sync().map_err(poison)?;
        db.whole.lock().unwrap_or_else(|e| e.into_inner())[slot as usize] = Some(self.meta);
        if let Some(epoch) = db.cache.committed(self.base.txn, txn) {
            // The pages as written, which is what a read would now return (from the
            // kernel's page cache, or from the disk after the sync): the next transactions
            // find them without reading them back.
            for (pg, buf) in written {
                // Checked as a page read from the file would be (cheap next to writing it).
                let node_ok = matches!(page_kind(&buf), Some(Kind::Branch | Kind::Leaf))
                    && check_layout(&buf, db.geo).is_ok();
                db.cache.insert(epoch, pg, Cached { buf, node_ok });
            }
        }
        let mut shared: std::sync::MutexGuard<'_, Shared> = db.shared();
        shared.free = Some((txn, std::mem::take(&mut self.free)));
        Ok(txn)
    }
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

    /// A small change (one sync, listing its pages in the meta page) to a file that has
    /// room for it: `key0005` set to `tag`.
    fn small_change(db: &Db, model: &mut Model, tag: u8) -> crate::Result<u64> {
        let mut w = db.write()?;
        w.put(b"key0005", &[tag; 50])?;
        let txn = w.commit()?;
        model.insert(b"key0005".to_vec(), vec![tag; 50]);
        Ok(txn)
    }

    /// The file with commit A, then enough small commits that later ones reuse pages
    /// instead of growing the file (so they take the one-sync path).
    fn setup_small(tag: &str) -> (Temp, Model) {
        let (t, mut a) = setup(tag);
        let db = open(&t);
        for i in 0..4 {
            small_change(&db, &mut a, 10 + i).unwrap();
        }
        (t, a)
    }

    #[test]
    fn a_small_commit_whose_pages_never_reached_the_disk_is_not_used() {
        let (t, a) = setup_small("lost-page");
        let db = open(&t);
        let mut b = a.clone();
        small_change(&db, &mut b, 99).unwrap();
        let (meta, slot) = db.current_meta().unwrap();
        assert!(meta.listed > 0, "not a one-sync commit: {meta:?}");
        // As if the meta page had reached the disk and one of the pages it lists had
        // not (a write reordered before a power cut): that page goes back to zeros.
        let ps = db.geo.page_size as u64;
        let mut p = vec![0u8; ps as usize];
        db.file.read_at(&mut p, slot * ps).unwrap();
        let lost = meta.listed_pages(&p)[0];
        drop(db);
        let f = std::fs::OpenOptions::new().write(true).open(&t.0).unwrap();
        std::os::unix::fs::FileExt::write_all_at(&f, &vec![0u8; ps as usize], lost * ps).unwrap();
        let reopened = open(&t);
        assert!(contents(&reopened) == a, "not the previous commit");
        let report = reopened.check().unwrap();
        assert!(report.problems.is_empty(), "{:#?}", report.problems);
        assert!(
            report
                .notes
                .iter()
                .any(|n| n.contains("did not reach the disk whole")),
            "{:?}",
            report.notes
        );
        // The next commit replaces the incomplete one.
        let mut c = a.clone();
        small_change(&reopened, &mut c, 7).unwrap();
        let reopened = open(&t);
        assert!(contents(&reopened) == c, "not the expected commit");
        sound(&reopened);
    }

    #[test]
    fn a_small_commit_with_an_older_version_of_its_page_is_not_used() {
        // The page holds a version with the right transaction but other bytes (written by
        // an attempt at the same transaction that failed): the digest tells them apart.
        let (t, a) = setup_small("stale-page");
        let db = open(&t);
        let mut b = a.clone();
        small_change(&db, &mut b, 99).unwrap();
        let (meta, slot) = db.current_meta().unwrap();
        let ps = db.geo.page_size as u64;
        let mut p = vec![0u8; ps as usize];
        db.file.read_at(&mut p, slot * ps).unwrap();
        let pg = meta.listed_pages(&p)[0];
        let mut page = vec![0u8; ps as usize];
        db.file.read_at(&mut page, pg * ps).unwrap();
        drop(db);
        page[ps as usize - 1] ^= 1;
        crate::format::seal(&mut page, pg);
        let f = std::fs::OpenOptions::new().write(true).open(&t.0).unwrap();
        std::os::unix::fs::FileExt::write_all_at(&f, &page, pg * ps).unwrap();
        let reopened = open(&t);
        assert!(contents(&reopened) == a, "not the previous commit");
        sound(&reopened);
    }

    #[test]
    fn a_failed_fsync_of_a_small_commit_leaves_one_whole_commit_and_poisons_the_handle() {
        let (t, a) = setup_small("fsync-small");
        let db = open(&t);
        db.file.faults.lock().unwrap().sync_after = Some(0);
        let mut b = a.clone();
        assert!(small_change(&db, &mut b, 99).is_err());
        b.insert(b"key0005".to_vec(), vec![99; 50]); // what it would have made
        assert!(matches!(db.write(), Err(Error::Poisoned)));
        let reopened = open(&t);
        let now = contents(&reopened);
        assert!(now == a || now == b);
        sound(&reopened);
    }

    #[test]
    fn a_short_write_of_a_small_commit_leaves_the_last_commit() {
        let (t, a) = setup_small("short-small");
        let db = open(&t);
        {
            let mut f = db.file.faults.lock().unwrap();
            f.write_after = Some(0);
            f.keep = 100;
        }
        let mut b = a.clone();
        assert!(small_change(&db, &mut b, 99).is_err());
        assert!(contents(&open(&t)) == a, "not the expected commit");
        let mut c = a.clone();
        small_change(&db, &mut c, 98).unwrap();
        let reopened = open(&t);
        assert!(contents(&reopened) == c, "not the expected commit");
        sound(&reopened);
    }
}
