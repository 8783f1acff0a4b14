//! The log of small commits: a region of the file, allocated once and reused from its
//! start after each checkpoint, where a small commit writes its pages and its new state as
//! one record in one request (format/log.rs), instead of writing them in their places.
//!
//! The current state is the valid meta page with the higher transaction (the checkpoint)
//! and the records that continue it: the first at the region's start, each next one right
//! after the one before, each carrying the checkpoint's salt and the transaction after the
//! previous one, and proven whole by its CRC. The first place that holds no such record
//! ends the log: zeros, a record of an earlier log (another salt, an older transaction),
//! or a torn record (an interrupted commit). A torn record followed by the record that
//! would continue it is damage inside acknowledged commits: an error, never skipped.
//!
//! Every handle keeps the log's pages in memory (`images`, newest version of each) and
//! reads them from there; each transaction begins by reading the meta pages and any
//! records written since (by this handle or any other, in any process).

use crate::cache::{Buf, PgMap};
use crate::db::Db;
use crate::error::{Error, Result};
use crate::format::log::{decode_header, Found, Header};
use crate::format::meta::Meta;
use crate::format::{page_txn, verify};

/// What this handle knows of the log.
#[derive(Debug, Default)]
pub(crate) struct LogState {
    /// The checkpoint the log continues (a meta page) and its slot; `None` before the first
    /// transaction.
    pub(crate) base: Option<(Meta, u64)>,
    /// Where the next record starts, in pages from the region's start.
    pub(crate) next: u64,
    /// The state after the last record read (the checkpoint's if none).
    pub(crate) meta: Option<Meta>,
    /// The newest version of each page the records hold.
    pub(crate) images: PgMap<Buf>,
}

/// What the log holds at one place.
pub(crate) enum Slot {
    /// The next record, proven: its header, its pages, its length in pages.
    Record(Header, Vec<(u64, Buf)>, u64),
    /// No record continues the log here.
    End,
    /// The next record by its first bytes, but torn or damaged (why); its header if that
    /// much is sound, to look past it.
    Torn(String, Option<Header>),
}

impl LogState {
    /// Starts again from checkpoint `base` in `slot`: the log is empty until read.
    pub(crate) fn reset(&mut self, base: Meta, slot: u64) {
        self.base = Some((base, slot));
        self.next = 0;
        self.meta = Some(base);
        self.images.clear();
    }

    /// Reads the records written since the last call, up to the end of the log.
    pub(crate) fn catch_up(&mut self, db: &Db) -> Result<()> {
        let Some(mut meta) = self.meta else {
            return Ok(());
        };
        loop {
            match read_slot(db, &meta, self.next)? {
                Slot::Record(h, pages, len) => {
                    for (pg, buf) in pages {
                        self.images.insert(pg, buf);
                    }
                    meta = h.meta;
                    self.next += len;
                }
                Slot::End => break,
                Slot::Torn(why, header) => {
                    if let Err(e) = past_torn(db, &meta, self.next, &why, header) {
                        // Unless another process checkpointed and began a new log over this
                        // one while it was read (the meta page changes first): then the
                        // next transaction starts from the new checkpoint.
                        if db.checkpoint().ok() == self.base {
                            return Err(e);
                        }
                    }
                    break;
                }
            }
        }
        self.meta = Some(meta);
        Ok(())
    }
}

/// A torn record at `at` ends the log, unless the record after it continues the log: then
/// commits after it were acknowledged, and the damage is an error naming the record.
pub(crate) fn past_torn(
    db: &Db,
    prev: &Meta,
    at: u64,
    why: &str,
    header: Option<Header>,
) -> Result<()> {
    let Some(h) = header else { return Ok(()) };
    let len = 1 + h.pages.len() as u64;
    if let Slot::Record(..) = read_slot(db, &h.meta, at + len)? {
        return Err(Error::corrupt(
            prev.log_start + at,
            format!(
                "the log record of transaction {} is damaged ({why}), and the log goes on \
                 after it",
                prev.txn + 1
            ),
        ));
    }
    Ok(())
}

/// The record at `at` (pages from the region's start) that would continue the state
/// `prev`, read from the file and checked.
pub(crate) fn read_slot(db: &Db, prev: &Meta, at: u64) -> Result<Slot> {
    if prev.log_pages == 0 || at >= prev.log_pages {
        return Ok(Slot::End);
    }
    let ps = db.geo.page_size;
    let first = prev.log_start + at;
    let mut p = vec![0u8; ps];
    read_pages(db, &mut p, first)?;
    // A damaged state may hold the last transaction number there is: nothing follows it.
    let Some(txn) = prev.txn.checked_add(1) else {
        return Ok(Slot::End);
    };
    let h = match decode_header(&p, prev, txn) {
        Ok(Found::Other) => return Ok(Slot::End),
        Ok(Found::Next(h)) => h,
        Err(why) => return Ok(Slot::Torn(format!("its header: {why}"), None)),
    };
    let n = h.pages.len() as u64;
    if at + 1 + n > prev.log_pages {
        return Ok(Slot::Torn(
            format!("{n} pages run past the end of the log"),
            None,
        ));
    }
    let mut body = vec![0u8; n as usize * ps];
    read_pages(db, &mut body, first + 1)?;
    let mut sums = Vec::with_capacity(4 * n as usize);
    let mut bad = None;
    for (i, (&pg, img)) in h.pages.iter().zip(body.chunks(ps)).enumerate() {
        sums.extend_from_slice(&img[..4]);
        if bad.is_none() && !(verify(img, pg) && page_txn(img) == txn) {
            bad = Some(format!(
                "its copy of page {pg}, at page {}, fails its checksum",
                first + 1 + i as u64
            ));
        }
    }
    if !h.proven(&p, &sums) || bad.is_some() {
        let why = bad.unwrap_or_else(|| "its header fails the record's checksum".into());
        return Ok(Slot::Torn(why, Some(h)));
    }
    let pages = h
        .pages
        .iter()
        .zip(body.chunks(ps))
        .map(|(&pg, img)| (pg, Buf::from(img)))
        .collect();
    Ok(Slot::Record(h, pages, 1 + n))
}

fn read_pages(db: &Db, buf: &mut [u8], first: u64) -> Result<()> {
    let ps = db.geo.page_size as u64;
    db.file.read_at(buf, first * ps).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Error::corrupt(first, "the log region is beyond the end of the file")
        } else {
            e.into()
        }
    })
}
