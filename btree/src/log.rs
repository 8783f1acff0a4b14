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
    /// Pages of the records that could not be made, each with the damaged page (outside
    /// the log) that it was made from: reading one is an error naming that page.
    pub(crate) damaged: PgMap<u64>,
}

/// A page a record makes: its bytes, or the damaged page it was made from.
pub(crate) type Made = std::result::Result<Buf, u64>;

/// What the log holds at one place.
pub(crate) enum Slot {
    /// The next record, proven: its header, its pages (none when only proven), its length
    /// in pages.
    Record(Header, Vec<(u64, Made)>, u64),
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
        self.damaged.clear();
    }

    /// Takes in the pages of a record read.
    pub(crate) fn add(&mut self, pages: Vec<(u64, Made)>) {
        for (pg, made) in pages {
            match made {
                Ok(buf) => {
                    self.damaged.remove(&pg);
                    self.images.insert(pg, buf);
                }
                Err(base) => {
                    self.images.remove(&pg);
                    self.damaged.insert(pg, base);
                }
            }
        }
    }

    /// Reads the records written since the last call, up to the end of the log.
    pub(crate) fn catch_up(&mut self, db: &Db) -> Result<()> {
        let Some(mut meta) = self.meta else {
            return Ok(());
        };
        loop {
            match read_slot(db, &meta, self.next, Some(self))? {
                Slot::Record(_, pages, _)
                    if pages.iter().any(|(_, made)| made.is_err())
                        && db.checkpoint().ok() != self.base =>
                {
                    // A page made from one that another process's checkpoints have since
                    // reused (they changed the meta page first): the log this handle reads
                    // is gone, and the next transaction starts from the new checkpoint.
                    break;
                }
                Slot::Record(h, pages, len) => {
                    self.add(pages);
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
    let len = h.pages(db.geo.page_size);
    if let Slot::Record(..) = read_slot(db, &h.meta, at + len, None)? {
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
/// `prev`, read from the file and checked; with `before` (the log's records before it), its
/// pages made from their bases and checked too, else only the record proven. A record
/// proven whole whose page fails its checksum was made from a damaged page: that page is
/// named when the record's page is read (which a later commit may have freed, making the
/// damage harmless), as it would be if it were read itself.
pub(crate) fn read_slot(db: &Db, prev: &Meta, at: u64, before: Option<&LogState>) -> Result<Slot> {
    if prev.log_pages == 0 || at >= prev.log_pages {
        return Ok(Slot::End);
    }
    let ps = db.geo.page_size;
    let first = prev.log_start + at;
    let mut rec = vec![0u8; ps];
    read_pages(db, &mut rec, first)?;
    // A damaged state may hold the last transaction number there is: nothing follows it.
    let Some(txn) = prev.txn.checked_add(1) else {
        return Ok(Slot::End);
    };
    let h = match decode_header(&rec, prev, txn) {
        Ok(Found::Other) => return Ok(Slot::End),
        Ok(Found::Next(h)) => h,
        Err(why) => return Ok(Slot::Torn(format!("its header: {why}"), None)),
    };
    let n = h.pages(ps);
    if at + n > prev.log_pages {
        return Ok(Slot::Torn(
            format!("{n} pages run past the end of the log"),
            None,
        ));
    }
    rec.resize(n as usize * ps, 0);
    read_pages(db, &mut rec[ps..], first + 1)?;
    if !h.proven(&rec) {
        return Ok(Slot::Torn("it fails the record's checksum".into(), Some(h)));
    }
    let entries = match h.entries(&rec) {
        Ok(e) => e,
        Err(why) => return Ok(Slot::Torn(why, Some(h))),
    };
    let Some(before) = before else {
        return Ok(Slot::Record(h, Vec::new(), n));
    };
    let mut pages = Vec::with_capacity(entries.len());
    for e in entries {
        if let Some(&bad) = before.damaged.get(&e.base) {
            pages.push((e.pg, Err(bad)));
            continue;
        }
        let mut img = match (e.base, before.images.get(&e.base)) {
            (0, _) => vec![0u8; ps],
            (_, Some(b)) => b.to_vec(),
            (base, None) => {
                let mut p = vec![0u8; ps];
                read_pages(db, &mut p, base)?;
                p
            }
        };
        for (off, r) in &e.ranges {
            img[*off..*off + r.len()].copy_from_slice(&rec[r.clone()]);
        }
        if verify(&img, e.pg) && page_txn(&img) == txn {
            pages.push((e.pg, Ok(Buf::from(img))));
        } else if e.base == 0 {
            // Made from nothing but the record, which is proven: not a record we wrote.
            return Ok(Slot::Torn(
                format!("its page {} fails its checksum", e.pg),
                Some(h),
            ));
        } else {
            pages.push((e.pg, Err(e.base)));
        }
    }
    Ok(Slot::Record(h, pages, n))
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
