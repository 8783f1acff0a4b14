//! The free list: pages that no longer belong to the tree, grouped by the transaction that
//! freed them, so that a page is reused only once no snapshot can still see it.
//!
//! A page freed by transaction T is still part of snapshot T - 1 and earlier. The writer of
//! transaction N + 1 (the last commit being N) reuses it only if T <= N - 1, so the previous
//! commit's tree stays whole as well as the last one, and if T is at most the snapshot of
//! every reader open in this process. (LMDB keeps the same two commits; readers in other
//! processes are not tracked yet: see README.md.)
//!
//! On disk each commit that freed pages adds one record at the head of a chain of free-list
//! pages, newest first; pages are reused oldest first, so a commit writes only its own
//! record and never rewrites older ones. How far the oldest records are used up is kept in
//! the meta page (`free_skip_txn`, `free_skip_index`); a record used up entirely is dropped,
//! its pages freed in turn, and the walk stops at the oldest record still in use (the last
//! page of each record is flagged), never following a pointer into a dropped one.
//!
//! ```text
//! free-list page: | header 16 (count = numbers here) | next page (8) | page numbers (8 each) ... |
//! ```

use crate::db::Db;
use crate::error::{Error, Result};
use crate::format::meta::Meta;
use crate::format::{
    get_u64, page_count, page_kind, page_txn, put_header, put_u64, Geometry, Kind, HEADER,
};
use std::collections::VecDeque;

/// The pages one transaction freed.
#[derive(Clone, Debug)]
pub(crate) struct Record {
    pub(crate) txn: u64,
    pub(crate) pages: Vec<u64>,
    /// The free-list pages that hold this record.
    pub(crate) chain: Vec<u64>,
    /// How many of `pages` are reused already.
    pub(crate) used: usize,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct FreeList {
    /// Oldest first.
    pub(crate) records: VecDeque<Record>,
}

const LAST_OF_RECORD: u8 = 1;

impl FreeList {
    /// Reads the free list of the state `meta` describes.
    pub(crate) fn load(db: &Db, meta: &Meta) -> Result<FreeList> {
        let cap = db.geo.freelist_cap();
        let mut newest_first: Vec<Record> = Vec::new();
        let mut pg = meta.free_head;
        let mut steps = 0u64;
        while pg != 0 {
            steps += 1;
            if steps > meta.page_count {
                return Err(Error::corrupt(pg, "the free list runs in a circle"));
            }
            let p = db.load_page(pg, meta)?;
            if page_kind(&p) != Some(Kind::FreeList) {
                return Err(Error::corrupt(
                    pg,
                    "in the free list but not a free-list page",
                ));
            }
            let txn = page_txn(&p);
            let n = page_count(&p) as usize;
            if n > cap {
                return Err(Error::corrupt(pg, format!("{n} page numbers do not fit")));
            }
            let entries = (0..n).map(|i| get_u64(&p, HEADER + 8 + 8 * i));
            let mut pages = Vec::with_capacity(n);
            for e in entries {
                if !(2..meta.page_count).contains(&e) {
                    return Err(Error::corrupt(
                        pg,
                        format!("lists page {e}, outside the file"),
                    ));
                }
                pages.push(e);
            }
            match newest_first.last_mut() {
                Some(r) if r.txn == txn => {
                    r.pages.extend(pages);
                    r.chain.push(pg);
                }
                Some(r) if r.txn < txn => {
                    return Err(Error::corrupt(
                        pg,
                        format!("free list out of order: transaction {txn} after {}", r.txn),
                    ))
                }
                _ => newest_first.push(Record {
                    txn,
                    pages,
                    chain: vec![pg],
                    used: 0,
                }),
            }
            if p[5] & LAST_OF_RECORD != 0 && txn <= meta.free_skip_txn {
                break;
            }
            pg = get_u64(&p, HEADER);
        }
        newest_first.reverse();
        let mut list = FreeList {
            records: newest_first.into(),
        };
        match list.records.front_mut() {
            Some(r)
                if r.txn == meta.free_skip_txn
                    && meta.free_skip_index as usize <= r.pages.len() =>
            {
                r.used = meta.free_skip_index as usize;
            }
            None if meta.free_skip_index == 0 => {}
            _ => {
                return Err(Error::corrupt(
                    meta.free_head,
                    format!(
                    "the free list does not end at transaction {} entry {} as the meta page says",
                    meta.free_skip_txn, meta.free_skip_index
                ),
                ))
            }
        }
        Ok(list)
    }

    /// Takes a page freed by a transaction no later than `limit`. A record used up is
    /// dropped and its own pages go to `freed`.
    pub(crate) fn pop(&mut self, limit: Option<u64>, freed: &mut Vec<u64>) -> Option<u64> {
        let limit = limit?;
        loop {
            let r = self.records.front_mut()?;
            if r.txn > limit {
                return None;
            }
            if let Some(&pg) = r.pages.get(r.used) {
                r.used += 1;
                if r.used == r.pages.len() {
                    if let Some(r) = self.records.pop_front() {
                        freed.extend(r.chain);
                    }
                }
                return Some(pg);
            }
            if let Some(r) = self.records.pop_front() {
                freed.extend(r.chain);
            }
        }
    }

    /// Free pages that a writer starting now could reuse at once.
    pub(crate) fn reusable(&self, limit: Option<u64>) -> u64 {
        let Some(limit) = limit else { return 0 };
        self.records
            .iter()
            .take_while(|r| r.txn <= limit)
            .map(|r| (r.pages.len() - r.used) as u64)
            .sum()
    }

    /// Free pages freed by transactions after `txn` (and the pages that list them).
    pub(crate) fn freed_since(&self, txn: u64) -> u64 {
        self.records
            .iter()
            .rev()
            .take_while(|r| r.txn > txn)
            .map(|r| (r.pages.len() - r.used + r.chain.len()) as u64)
            .sum()
    }

    /// The meta page's `free_skip_txn` and `free_skip_index`.
    pub(crate) fn skip(&self) -> (u64, u64) {
        self.records
            .front()
            .map_or((0, 0), |r| (r.txn, r.used as u64))
    }

    /// The newest free-list page, 0 if none.
    pub(crate) fn head(&self) -> u64 {
        self.records
            .back()
            .and_then(|r| r.chain.first())
            .copied()
            .unwrap_or(0)
    }

    /// Adds the record of transaction `txn` (`pages` freed, held in the pages `chain`) and
    /// returns its pages, to be written.
    pub(crate) fn push(
        &mut self,
        geo: Geometry,
        txn: u64,
        mut pages: Vec<u64>,
        chain: Vec<u64>,
    ) -> Vec<(u64, Vec<u8>)> {
        pages.sort_unstable();
        let cap = geo.freelist_cap();
        let older = self.head();
        let mut out = Vec::with_capacity(chain.len());
        for (j, &pg) in chain.iter().enumerate() {
            let part = pages
                .get(j * cap..((j + 1) * cap).min(pages.len()))
                .unwrap_or(&[]);
            let mut p = vec![0u8; geo.page_size];
            put_header(&mut p, Kind::FreeList, part.len() as u16, txn);
            let next = chain.get(j + 1).copied().unwrap_or(older);
            if j + 1 == chain.len() {
                p[5] = LAST_OF_RECORD;
            }
            put_u64(&mut p, HEADER, next);
            for (i, &e) in part.iter().enumerate() {
                put_u64(&mut p, HEADER + 8 + 8 * i, e);
            }
            out.push((pg, p));
        }
        if !chain.is_empty() {
            self.records.push_back(Record {
                txn,
                pages,
                chain,
                used: 0,
            });
        }
        out
    }
}
