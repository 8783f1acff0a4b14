//! `btree check` and `btree stat`: one walk over the last commit that verifies every
//! invariant and counts what it sees. Each problem names the page:
//!
//! - every page's checksum, kind and layout; leaves exactly at the recorded depth;
//! - keys strictly increasing within a page, and within the bounds its parent gives it
//!   (so in order across pages); no page but the root under a fifth full, none empty;
//! - overflow chains exactly as long as their values;
//! - every page below the page count used exactly once: by the tree, an overflow chain or
//!   the free list, or listed as free; none leaked;
//! - the entry count in the meta page equal to the entries found;
//! - the log (log.rs): every record of the last commit proven by its CRC and its pages'
//!   checksums; a torn record at its end is an interrupted commit (a note), a damaged one
//!   followed by more records is damage (an error naming the record's page).

use crate::db::{Db, Snapshot};
use crate::format::meta::{Invalid, Meta};
use crate::format::node::ValRef;
use crate::freelist::FreeList;
use crate::log::{self, Slot};
use crate::tree::{tree_page, walk_overflow};

/// What a check found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Broken invariants, each naming its page; empty for a sound file.
    pub problems: Vec<String>,
    /// What is worth knowing but is no damage (a meta page left invalid by an interrupted
    /// commit, pages past the page count that such a commit wrote).
    pub notes: Vec<String>,
    pub stats: Stats,
}

/// The shape of the last commit.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub txn: u64,
    pub page_size: u32,
    /// Pages in use, the meta pages included.
    pub page_count: u64,
    pub file_len: u64,
    /// Entries found in the leaves.
    pub entries: u64,
    pub depth: u32,
    pub branch_pages: u64,
    pub leaf_pages: u64,
    pub overflow_pages: u64,
    pub freelist_pages: u64,
    /// Free pages, reusable now or once no snapshot can see them.
    pub free_pages: u64,
    /// Free pages the next writer can reuse at once (if no reader holds them back).
    pub reusable_pages: u64,
    /// Bytes of branch and leaf pages in use (headers and cells).
    pub branch_bytes: u64,
    pub leaf_bytes: u64,
    pub overflow_values: u64,
    /// Pages of the log region, and the records (commits) the log holds now.
    pub log_pages: u64,
    pub log_records: u64,
}

impl Stats {
    /// How full branch and leaf pages are, from 0 to 1.
    pub fn branch_fill(&self) -> f64 {
        fill(self.branch_bytes, self.branch_pages, self.page_size)
    }

    pub fn leaf_fill(&self) -> f64 {
        fill(self.leaf_bytes, self.leaf_pages, self.page_size)
    }
}

fn fill(bytes: u64, pages: u64, page_size: u32) -> f64 {
    if pages == 0 {
        0.0
    } else {
        bytes as f64 / (pages as f64 * page_size as f64)
    }
}

/// Problems listed before the rest are only counted.
const MAX_PROBLEMS: usize = 200;

struct Checker<'a> {
    snap: &'a Snapshot<'a>,
    /// For each page, 1 + the page that uses it (the meta pages use themselves); 0: unseen.
    owner: Vec<u64>,
    problems: Vec<String>,
    more: usize,
    stats: Stats,
}

impl Checker<'_> {
    fn problem(&mut self, p: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(p);
        } else {
            self.more += 1;
        }
    }

    /// Records that page `pgno` is used by `by`; false if it cannot be.
    fn mark(&mut self, pgno: u64, by: u64, what: &str) -> bool {
        let Some(slot) = self.owner.get_mut(pgno as usize).filter(|_| pgno >= 2) else {
            self.problem(format!(
                "page {by} refers to page {pgno} ({what}), outside the file's {} pages",
                self.stats.page_count
            ));
            return false;
        };
        if *slot != 0 {
            let first = *slot - 1;
            self.problem(format!(
                "page {pgno} is used twice: by page {first} and by page {by} ({what})"
            ));
            return false;
        }
        *slot = by + 1;
        true
    }

    /// Walks the subtree at `pgno` (at `level`, child of `parent`) whose keys must lie in
    /// `lo..hi`.
    fn walk(&mut self, pgno: u64, level: u32, lo: Option<&[u8]>, hi: Option<&[u8]>, parent: u64) {
        if !self.mark(pgno, parent, "a tree page") {
            return;
        }
        let page = match tree_page(self.snap, pgno, level) {
            Ok(p) => p,
            Err(e) => {
                self.problem(format!("{e} (a child of page {parent})"));
                return;
            }
        };
        let geo = self.snap.db.geo;
        let kind = if page.is_leaf() { "leaf" } else { "branch" };
        let used = (crate::format::HEADER + page.payload()) as u64;
        if page.is_leaf() {
            self.stats.leaf_pages += 1;
            self.stats.leaf_bytes += used;
            self.stats.entries += page.len() as u64;
        } else {
            self.stats.branch_pages += 1;
            self.stats.branch_bytes += used;
        }
        if page.len() == 0 {
            self.problem(format!("page {pgno} is an empty {kind}"));
        } else if level > 1 && page.payload() < geo.min_fill() {
            self.problem(format!(
                "page {pgno} is an underfull {kind}: {} bytes of cells, the least is {}",
                page.payload(),
                geo.min_fill()
            ));
        }
        for i in 0..page.len() {
            let k = page.key(i);
            if i > 0 && page.key(i - 1) >= k {
                self.problem(format!("page {pgno}: key {i} is not after key {}", i - 1));
            }
            if lo.is_some_and(|lo| k < lo) || hi.is_some_and(|hi| k >= hi) {
                self.problem(format!(
                    "page {pgno}: key {i} is outside the range its parent, page {parent}, gives it"
                ));
            }
        }
        if page.is_leaf() {
            for i in 0..page.len() {
                if let ValRef::Overflow { len, first } = page.value(i) {
                    self.stats.overflow_values += 1;
                    match walk_overflow(self.snap, pgno, first, len, None) {
                        Ok(pages) => {
                            for p in pages {
                                if self.mark(p, pgno, "an overflow page") {
                                    self.stats.overflow_pages += 1;
                                }
                            }
                        }
                        Err(e) => {
                            self.problem(format!("{e} (the value of key {i} of page {pgno})"))
                        }
                    }
                }
            }
            return;
        }
        for c in 0..=page.len() {
            let clo = if c == 0 { lo } else { Some(page.key(c - 1)) };
            let chi = if c == page.len() {
                hi
            } else {
                Some(page.key(c))
            };
            self.walk(page.child(c), level + 1, clo, chi, pgno);
        }
    }
}

impl Db {
    /// Checks the last commit (see the module's list); `Err` only if it cannot be read at
    /// all (no valid meta page, an I/O error).
    pub fn check(&self) -> crate::Result<Report> {
        let mut r = self.read()?;
        // Every page from the file, as it is now: the cache holds pages as they were.
        r.snap.epoch = None;
        let snap = &r.snap;
        let meta = snap.meta;
        let file_len = self.file.len()?;
        let mut c = Checker {
            snap,
            owner: vec![0; meta.page_count as usize],
            problems: Vec::new(),
            more: 0,
            stats: Stats {
                txn: meta.txn,
                page_size: meta.page_size,
                page_count: meta.page_count,
                file_len,
                depth: meta.depth,
                ..Stats::default()
            },
        };
        let mut notes = Vec::new();
        c.owner[0] = 1;
        c.owner[1] = 2;
        for slot in 0..2 {
            match self.read_meta(slot)? {
                Ok(m) if m.txn > meta.txn => c.problem(format!(
                    "meta page {slot} holds transaction {}, newer than the current {}",
                    m.txn, meta.txn
                )),
                Ok(_) => {}
                Err(why) => notes.push(format!(
                    "meta page {slot} is not valid ({}): an interrupted commit, or damage; the \
                     file is at transaction {} from the other",
                    match why {
                        Invalid::NotOurs => "no magic number".to_string(),
                        Invalid::Damaged(s) => s,
                    },
                    meta.txn
                )),
            }
        }
        let ps = meta.page_size as u64;
        if file_len > meta.page_count * ps {
            notes.push(format!(
                "{} bytes past the last page in use (written by an interrupted commit, or \
                 freed at the end); reused by the next commits",
                file_len - meta.page_count * ps
            ));
        }
        for p in meta.log_start..meta.log_start + meta.log_pages {
            if c.mark(p, p, "the log region") {
                c.stats.log_pages += 1;
            }
        }
        self.check_log(&meta, &mut c, &mut notes)?;
        if meta.root != 0 {
            c.walk(meta.root, 1, None, None, 0);
        }
        if c.stats.entries != meta.entries {
            c.problem(format!(
                "the meta page counts {} entries, the leaves hold {}",
                meta.entries, c.stats.entries
            ));
        }
        match FreeList::load(self, &meta) {
            Ok(list) => {
                for rec in &list.records {
                    for &p in &rec.chain {
                        if c.mark(p, p, "a free-list page") {
                            c.stats.freelist_pages += 1;
                        }
                    }
                    let holder = rec.chain.first().copied().unwrap_or(0);
                    for &p in &rec.pages[rec.used..] {
                        if c.mark(p, holder, "a free page") {
                            c.stats.free_pages += 1;
                        }
                    }
                }
                c.stats.reusable_pages = list.reusable(meta.txn.checked_sub(1));
                let leaked: Vec<u64> = (2..meta.page_count)
                    .filter(|&p| c.owner[p as usize] == 0)
                    .collect();
                if !leaked.is_empty() {
                    let shown: Vec<String> = leaked.iter().take(20).map(u64::to_string).collect();
                    c.problem(format!(
                        "{} pages are neither in the tree nor free (leaked): {}{}",
                        leaked.len(),
                        shown.join(", "),
                        if leaked.len() > 20 { ", ..." } else { "" }
                    ));
                }
            }
            Err(e) => c.problem(format!("the free list: {e}")),
        }
        if c.more > 0 {
            let more = c.more;
            c.problems.push(format!("... and {more} more problems"));
        }
        Ok(Report {
            problems: c.problems,
            notes,
            stats: c.stats,
        })
    }
}

impl Db {
    /// Reads the log from the file, as opening it would, and checks it ends at the state
    /// being checked, `meta`.
    fn check_log(
        &self,
        meta: &Meta,
        c: &mut Checker<'_>,
        notes: &mut Vec<String>,
    ) -> crate::Result<()> {
        let base = self.checkpoint()?;
        let mut at_meta = base.0;
        let mut at = 0;
        let mut pages_read = log::LogState::default();
        loop {
            match log::read_slot(self, &at_meta, at, Some(&pages_read)) {
                Ok(Slot::Record(h, pages, len)) => {
                    // A page made from a damaged one is reported where the tree reads it.
                    pages_read.add(pages);
                    at_meta = h.meta;
                    at += len;
                    c.stats.log_records += 1;
                }
                Ok(Slot::End) => break,
                Ok(Slot::Torn(why, header)) => {
                    match log::past_torn(self, &at_meta, at, &why, header) {
                        Err(_) if self.checkpoint().ok() != Some(base) => notes.push(
                            "the log was rewritten while it was read (a checkpoint by another \
                             process)"
                                .into(),
                        ),
                        Err(e) => c.problem(e.to_string()),
                        Ok(()) => notes.push(format!(
                            "the log ends in a torn record at page {} ({why}): an interrupted \
                             commit of transaction {}, ignored",
                            at_meta.log_start + at,
                            at_meta.txn + 1
                        )),
                    }
                    break;
                }
                Err(e) => {
                    c.problem(format!("the log: {e}"));
                    break;
                }
            }
        }
        if at_meta.txn < meta.txn {
            c.problem(format!(
                "the log ends at transaction {}, the state checked is transaction {}",
                at_meta.txn, meta.txn
            ));
        }
        Ok(())
    }
}
