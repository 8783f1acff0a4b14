//! A database file and the read transactions on it: opening (creating a new file, finding
//! the page size and the current meta page), loading a page with every check, and
//! snapshots that stay whole while writers commit.

use crate::cache::{Buf, Cached, PageCache};
use crate::error::{Error, Result};
use crate::file::DataFile;
use crate::format::meta::{Invalid, Meta};
use crate::format::node::{check_layout, Page};
use crate::format::{
    page_kind, page_txn, verify, Geometry, Kind, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, MIN_PAGE_SIZE,
};
use crate::freelist::FreeList;
use crate::log::LogState;
use crate::tree::{self, Cursor, Range, Source, Value};
use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::ops::Bound;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// How to open a file.
#[derive(Clone, Debug)]
pub struct Options {
    /// The page size of a new file (a power of two from 512 to 65536); an existing file
    /// keeps its own.
    pub page_size: u32,
    /// Create the file if it does not exist (not with `read_only`).
    pub create: bool,
    /// Open for reading only: no write transactions.
    pub read_only: bool,
    /// Bytes of verified pages to keep in memory (0: none; every page visited is read and
    /// checked again).
    pub cache_bytes: usize,
    /// Bytes of the log region a file gets for small commits, made at the first small
    /// commit that finds none (0: none; every commit is written in place). A file keeps
    /// the region it has.
    pub log_bytes: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            page_size: DEFAULT_PAGE_SIZE,
            create: true,
            read_only: false,
            cache_bytes: 256 << 20,
            log_bytes: 4 << 20,
        }
    }
}

/// An open database file. Share it between threads by reference: any number of
/// [`ReadTxn`]s, one [`crate::WriteTxn`] at a time (across processes too, by `flock`).
#[derive(Debug)]
pub struct Db {
    pub(crate) file: DataFile,
    pub(crate) geo: Geometry,
    pub(crate) read_only: bool,
    /// Held by the write transaction of this handle.
    pub(crate) writer: Mutex<()>,
    pub(crate) shared: Mutex<Shared>,
    pub(crate) cache: PageCache,
    /// The log of small commits as this handle has read it (log.rs).
    pub(crate) log: Mutex<LogState>,
    /// Pages of the log region this handle makes for a file without one.
    pub(crate) new_log_pages: u64,
}

#[derive(Debug, Default)]
pub(crate) struct Shared {
    /// Snapshots of the open read transactions: transaction -> how many.
    pub(crate) readers: BTreeMap<u64, usize>,
    /// The free list as of a commit, so that the next writer need not read it again.
    pub(crate) free: Option<((u64, u64), FreeList)>,
    pub(crate) poisoned: bool,
}

impl Db {
    /// Opens (or, with `options.create`, creates) the database in `path`.
    pub fn open(path: impl AsRef<Path>, options: &Options) -> Result<Db> {
        let path = path.as_ref();
        let geo = Geometry::new(options.page_size).ok_or(Error::BadPageSize(options.page_size))?;
        let create = options.create && !options.read_only;
        let file = OpenOptions::new()
            .read(true)
            .write(!options.read_only)
            .create(create)
            .truncate(false)
            .open(path)?;
        let file = DataFile::new(file);
        if file.len()? == 0 {
            if !create {
                return Err(Error::NotABtree("an empty file".into()));
            }
            initialize(&file, path, geo)?;
        }
        let page_size = detect_page_size(&file)?;
        let file_len = file.len()?;
        if file_len < 2 * page_size as u64 {
            return Err(Error::Truncated { pages: 2, file_len });
        }
        let db = Db {
            file,
            cache: PageCache::new(options.cache_bytes, page_size as usize),
            log: Mutex::new(LogState::default()),
            new_log_pages: match (options.log_bytes / page_size as usize) as u64 {
                n if n < 2 => 0,
                n => n,
            },
            geo: Geometry::new(page_size).ok_or(Error::BadPageSize(page_size))?,
            read_only: options.read_only,
            writer: Mutex::new(()),
            shared: Mutex::new(Shared::default()),
        };
        let (meta, _) = db.checkpoint()?;
        // The length again, after the meta page: a writer in another process may have grown
        // the file and committed since the first look (its pages are written before its
        // meta page, so a length read after the meta covers them).
        let file_len = db.file.len()?;
        if file_len < meta.page_count * page_size as u64 {
            return Err(Error::Truncated {
                pages: meta.page_count,
                file_len,
            });
        }
        db.current_meta()?;
        Ok(db)
    }

    pub fn page_size(&self) -> u32 {
        self.geo.page_size as u32
    }

    /// A read transaction on the last commit.
    pub fn read(&self) -> Result<ReadTxn<'_>> {
        let mut shared = self.shared();
        let (meta, _) = self.current_meta()?;
        *shared.readers.entry(meta.txn).or_default() += 1;
        let epoch = self.cache.begin(meta.txn);
        Ok(ReadTxn {
            snap: Snapshot {
                db: self,
                meta,
                epoch,
                root: OnceLock::new(),
            },
        })
    }

    pub(crate) fn shared(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads meta page `slot`; a meta page of a commit that lists its pages is valid only
    /// if they are on the disk, whole (format/meta.rs).
    pub(crate) fn read_meta(&self, slot: u64) -> Result<Result<Meta, Invalid>> {
        let ps = self.geo.page_size;
        let mut p = vec![0u8; ps];
        match self.file.read_at(&mut p, slot * ps as u64) {
            Ok(()) => Ok(self.meta_in(&p, slot)),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                Ok(Err(Invalid::Damaged("beyond the end of the file".into())))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Meta page `slot`, read as `p`.
    fn meta_in(&self, p: &[u8], slot: u64) -> Result<Meta, Invalid> {
        Meta::decode(p, slot)
    }

    pub(crate) fn log(&self) -> MutexGuard<'_, LogState> {
        self.log.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current state and the slot of the checkpoint it continues: the valid meta page
    /// with the higher transaction, then the log records written after it (log.rs).
    pub(crate) fn current_meta(&self) -> Result<(Meta, u64)> {
        // The meta pages are read under the log's lock, so that a checkpoint this handle
        // makes meanwhile (which resets the log once its meta page is written) cannot be
        // undone by a reset to the checkpoint before it.
        let mut log = self.log();
        let (c, slot) = self.checkpoint()?;
        if log.base != Some((c, slot)) {
            log.reset(c, slot);
        }
        log.catch_up(self)?;
        Ok((log.meta.unwrap_or(c), slot))
    }

    /// The last checkpoint: the valid meta page with the higher transaction, and its slot.
    pub(crate) fn checkpoint(&self) -> Result<(Meta, u64)> {
        // Both in one read (each on its own if the file ends inside them).
        let ps = self.geo.page_size;
        let mut both = vec![0u8; 2 * ps];
        let (a, b) = match self.file.read_at(&mut both, 0) {
            Ok(()) => (self.meta_in(&both[..ps], 0), self.meta_in(&both[ps..], 1)),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
                (self.read_meta(0)?, self.read_meta(1)?)
            }
            Err(e) => return Err(e.into()),
        };
        match (a, b) {
            (Ok(a), Ok(b)) if b.txn > a.txn => Ok((b, 1)),
            (Ok(a), _) => Ok((a, 0)),
            (_, Ok(b)) => Ok((b, 1)),
            (Err(Invalid::NotOurs), Err(Invalid::NotOurs)) => Err(Error::NotABtree(
                "no magic number in either meta page".into(),
            )),
            (Err(a), Err(b)) => {
                let why = |i: Invalid| match i {
                    Invalid::NotOurs => "no magic number".to_string(),
                    Invalid::Damaged(s) => s,
                };
                Err(Error::corrupt(
                    0,
                    format!(
                        "neither meta page is valid: page 0: {}; page 1: {}",
                        why(a),
                        why(b)
                    ),
                ))
            }
        }
    }

    /// Page `pgno` of the state `meta`, its checksum verified.
    pub(crate) fn load_page(&self, pgno: u64, meta: &Meta) -> Result<Vec<u8>> {
        if pgno < 2 || pgno >= meta.page_count {
            return Err(Error::corrupt(
                pgno,
                format!(
                    "referred to, but outside the file's {} pages",
                    meta.page_count
                ),
            ));
        }
        if (meta.log_start..meta.log_start + meta.log_pages).contains(&pgno) {
            return Err(Error::corrupt(
                pgno,
                "referred to, but a page of the log region",
            ));
        }
        let logged = {
            let log = self.log();
            if let Some(&bad) = log.damaged.get(&pgno) {
                return Err(Error::corrupt(
                    bad,
                    format!(
                        "page {pgno}, in the log as its changes to page {bad}, cannot be made: \
                         page {bad} is damaged"
                    ),
                ));
            }
            log.images.get(&pgno).cloned()
        };
        let ps = self.geo.page_size;
        let p = match logged {
            // Proven when its record was read (or as this handle wrote it).
            Some(img) => img.to_vec(),
            None => self.read_page(pgno)?,
        };
        let txn = page_txn(&p);
        if txn > meta.txn {
            return Err(Error::corrupt(
                pgno,
                format!(
                    "written by transaction {txn}, after this snapshot ({}): damaged, or reused \
                     by a writer in another process while this reader was open",
                    meta.txn
                ),
            ));
        }
        debug_assert_eq!(p.len(), ps);
        Ok(p)
    }

    /// Page `pgno` from its place in the file, its checksum verified.
    fn read_page(&self, pgno: u64) -> Result<Vec<u8>> {
        let ps = self.geo.page_size;
        let mut p = vec![0u8; ps];
        self.file.read_at(&mut p, pgno * ps as u64).map_err(|e| {
            if e.kind() == std::io::ErrorKind::UnexpectedEof {
                Error::corrupt(pgno, "beyond the end of the file")
            } else {
                e.into()
            }
        })?;
        if !verify(&p, pgno) {
            return Err(Error::corrupt(
                pgno,
                "checksum mismatch (a torn or damaged page)",
            ));
        }
        Ok(p)
    }

    /// Page `pgno` of the state `meta`, verified: from the cache if `epoch` allows, else
    /// read, checked and (under `epoch`) cached.
    pub(crate) fn page(&self, pgno: u64, meta: &Meta, epoch: Option<u64>) -> Result<Cached> {
        if let Some(e) = epoch {
            if let Some(c) = self.cache.get(e, pgno) {
                // Pages are cached only from inside the file, as it was at the cache's
                // commit; this snapshot is that commit or a later one of this handle's.
                if pgno >= meta.page_count || page_txn(&c.buf) > meta.txn {
                    return Err(Error::corrupt(
                        pgno,
                        format!("not part of snapshot {} (a stale reference)", meta.txn),
                    ));
                }
                return Ok(c);
            }
        }
        let p = self.load_page(pgno, meta)?;
        let node_ok = matches!(page_kind(&p), Some(Kind::Branch | Kind::Leaf))
            && check_layout(&p, self.geo).is_ok();
        let c = Cached {
            buf: Arc::from(p),
            node_ok,
        };
        if let Some(e) = epoch {
            self.cache.insert(e, pgno, c.clone());
        }
        Ok(c)
    }

    /// Branch or leaf page `pgno` of the state `meta`, its checksum and layout verified.
    pub(crate) fn node(&self, pgno: u64, meta: &Meta, epoch: Option<u64>) -> Result<Page> {
        let c = self.page(pgno, meta, epoch)?;
        if c.node_ok {
            Ok(Page::trusted(pgno, c.buf))
        } else {
            Page::parse(pgno, c.buf, self.geo).map_err(|why| Error::corrupt(pgno, why))
        }
    }
}

/// Writes the two meta pages of an empty file, under the write lock (two processes may
/// create the same file at once: the second finds it initialized).
fn initialize(file: &DataFile, path: &Path, geo: Geometry) -> Result<()> {
    file.lock(true)?;
    let result = (|| {
        if file.len()? != 0 {
            return Ok(());
        }
        let meta = Meta::empty(geo.page_size as u32);
        let mut both = meta.encode(0);
        both.extend(meta.encode(1));
        file.write_at(&both, 0)?;
        file.sync()?;
        // The file's name must reach the disk too.
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        std::fs::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    file.unlock();
    result
}

/// The page size: the one meta page 0's header records, else the first size at which
/// either meta page is valid (meta page 0 may be the damaged one).
fn detect_page_size(file: &DataFile) -> Result<u32> {
    let mut head = [0u8; 32];
    let recorded = (file.read_at(&mut head, 0).is_ok() && head[16..24] == crate::format::MAGIC)
        .then(|| crate::format::get_u32(&head, 28))
        .filter(|&ps| Geometry::new(ps).is_some());
    let mut candidates: Vec<u32> = recorded.into_iter().collect();
    let mut ps = MIN_PAGE_SIZE;
    while ps <= MAX_PAGE_SIZE {
        candidates.push(ps);
        ps *= 2;
    }
    for ps in candidates {
        for slot in 0..2u64 {
            let mut p = vec![0u8; ps as usize];
            if file.read_at(&mut p, slot * ps as u64).is_ok() && Meta::decode(&p, slot).is_ok() {
                return Ok(ps);
            }
        }
    }
    if let Some(ps) = recorded {
        // Ours, but both meta pages are damaged: let the caller say how.
        return Ok(ps);
    }
    if file.len()? < 2 * MIN_PAGE_SIZE as u64 {
        return Err(Error::NotABtree("shorter than two pages".into()));
    }
    Err(Error::NotABtree("no meta page with a magic number".into()))
}

/// One committed state, as a reader sees it.
#[derive(Debug)]
pub(crate) struct Snapshot<'a> {
    pub(crate) db: &'a Db,
    pub(crate) meta: Meta,
    /// The page cache's epoch this snapshot may use (`None`: read every page from the file).
    pub(crate) epoch: Option<u64>,
    /// The root page, once loaded: every lookup starts there.
    pub(crate) root: OnceLock<Page>,
}

impl Source for Snapshot<'_> {
    fn geo(&self) -> Geometry {
        self.db.geo
    }

    fn raw(&self, pgno: u64) -> Result<Buf> {
        Ok(self.db.page(pgno, &self.meta, self.epoch)?.buf)
    }

    fn node(&self, pgno: u64) -> Result<Page> {
        if pgno != self.meta.root {
            return self.db.node(pgno, &self.meta, self.epoch);
        }
        if let Some(p) = self.root.get() {
            return Ok(p.clone());
        }
        let p = self.db.node(pgno, &self.meta, self.epoch)?;
        Ok(self.root.get_or_init(|| p).clone())
    }

    fn root(&self) -> (u64, u32) {
        (self.meta.root, self.meta.depth)
    }

    fn page_count(&self) -> u64 {
        self.meta.page_count
    }
}

/// A consistent view of the last commit at the time it began; writers never change what it
/// sees. Drop it when done: until then the pages it sees cannot be reused.
#[derive(Debug)]
pub struct ReadTxn<'a> {
    pub(crate) snap: Snapshot<'a>,
}

impl ReadTxn<'_> {
    /// The value of `key`.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        tree::get(&self.snap, key)
    }

    /// The value of `key`, borrowed from the page that holds it (no copy, unless it is in
    /// overflow pages).
    pub fn get_ref(&self, key: &[u8]) -> Result<Option<Value>> {
        tree::get_ref(&self.snap, key)
    }

    /// A cursor over the entries in key order.
    pub fn cursor(&self) -> Cursor<'_> {
        Cursor::new(&self.snap)
    }

    /// The entries from `from` to `to` in key order.
    pub fn range(&self, from: Bound<&[u8]>, to: Bound<&[u8]>) -> Range<'_> {
        Range::new(&self.snap, from, to, false)
    }

    /// The entries from `from` to `to`, last first.
    pub fn range_rev(&self, from: Bound<&[u8]>, to: Bound<&[u8]>) -> Range<'_> {
        Range::new(&self.snap, from, to, true)
    }

    /// The number of entries.
    pub fn len(&self) -> u64 {
        self.snap.meta.entries
    }

    pub fn is_empty(&self) -> bool {
        self.snap.meta.entries == 0
    }

    /// The transaction this snapshot is the result of.
    pub fn txn_id(&self) -> u64 {
        self.snap.meta.txn
    }
}

impl Drop for ReadTxn<'_> {
    fn drop(&mut self) {
        let mut shared = self.snap.db.shared();
        if let Some(n) = shared.readers.get_mut(&self.snap.meta.txn) {
            *n -= 1;
            if *n == 0 {
                shared.readers.remove(&self.snap.meta.txn);
            }
        }
    }
}
