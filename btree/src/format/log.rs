//! A log record: one small commit, written in one request into the log region (log.rs)
//! as a header page followed by the pages the commit wrote, each sealed with its own page
//! number (the place it will be copied to at the next checkpoint).
//!
//! | bytes | field of the header page |
//! |---|---|
//! | 0..8 | magic `OSTKBLOG` |
//! | 8..12 | CRC-32C of bytes 12.. of this page, then the checksums (4 bytes each) of the record's pages in order |
//! | 12..16 | pages in the record (n) |
//! | 16..24 | the commit's transaction |
//! | 24..32 | the salt of the meta page the log continues |
//! | 32..40, 40..44 | root page, depth |
//! | 48..56, 56..64 | page count, entries |
//! | 64..72, 72..80, 80..88 | newest free-list page, free-list position (as in the meta page) |
//! | 88.. | the n page numbers, 8 bytes each |
//!
//! The CRC covers the header and, through their own checksums, every page of the record,
//! so a record torn anywhere fails it; each page's checksum covers its page number.

use super::crc32c::crc32c;
use super::meta::Meta;
use super::{get_u32, get_u64, put_u32, put_u64};

pub(crate) const LOG_MAGIC: [u8; 8] = *b"OSTKBLOG";
const LIST_AT: usize = 88;

/// The most pages one record holds at page size `ps`: what the header lists, at most 64
/// (a commit of more is written in place: a checkpoint).
pub(crate) fn record_cap(ps: usize) -> usize {
    ((ps - LIST_AT) / 8).min(64)
}

/// The header page of the commit whose state is `meta` (`meta.log_salt` the salt it
/// continues), writing `pages` whose checksums are `sums` (4 bytes each, in order).
pub(crate) fn encode_header(meta: &Meta, pages: &[u64], sums: &[u8], ps: usize) -> Vec<u8> {
    let mut p = vec![0u8; ps];
    p[..8].copy_from_slice(&LOG_MAGIC);
    put_u32(&mut p, 12, pages.len() as u32);
    put_u64(&mut p, 16, meta.txn);
    put_u64(&mut p, 24, meta.log_salt);
    put_u64(&mut p, 32, meta.root);
    put_u32(&mut p, 40, meta.depth);
    put_u64(&mut p, 48, meta.page_count);
    put_u64(&mut p, 56, meta.entries);
    put_u64(&mut p, 64, meta.free_head);
    put_u64(&mut p, 72, meta.free_skip_txn);
    put_u64(&mut p, 80, meta.free_skip_index);
    for (i, &pg) in pages.iter().enumerate() {
        put_u64(&mut p, LIST_AT + 8 * i, pg);
    }
    let crc = crc32c(&[&p[12..], sums]);
    put_u32(&mut p, 8, crc);
    p
}

/// A header page read back, not yet proven by its CRC (which needs the pages).
#[derive(Debug)]
pub(crate) struct Header {
    /// The state after the commit.
    pub(crate) meta: Meta,
    pub(crate) pages: Vec<u64>,
    crc: u32,
}

/// What a page of the log region holds where a record may start.
#[derive(Debug)]
pub(crate) enum Found {
    /// The record that continues `base`'s log with transaction `txn`, by its header.
    Next(Header),
    /// Not that record: zeros, a record of an earlier log, or garbage.
    Other,
}

/// Reads the header at the place where the record of transaction `txn` continuing the
/// state `prev` (whose salt and page count it must share) would start.
pub(crate) fn decode_header(p: &[u8], prev: &Meta, txn: u64) -> Result<Found, String> {
    if p[..8] != LOG_MAGIC || get_u64(p, 24) != prev.log_salt || get_u64(p, 16) != txn {
        return Ok(Found::Other);
    }
    // From here on the page claims to be the next record: anything wrong is a torn or
    // damaged one.
    let n = get_u32(p, 12) as usize;
    if n > record_cap(p.len()) {
        return Err(format!("it lists {n} pages"));
    }
    let meta = Meta {
        txn,
        root: get_u64(p, 32),
        depth: get_u32(p, 40),
        page_count: get_u64(p, 48),
        entries: get_u64(p, 56),
        free_head: get_u64(p, 64),
        free_skip_txn: get_u64(p, 72),
        free_skip_index: get_u64(p, 80),
        ..*prev
    };
    if meta.page_count != prev.page_count {
        return Err(format!(
            "it counts {} pages, the file {}",
            meta.page_count, prev.page_count
        ));
    }
    meta.check_fields()?;
    let pages: Vec<u64> = (0..n).map(|i| get_u64(p, LIST_AT + 8 * i)).collect();
    let in_log = |pg: u64| (meta.log_start..meta.log_start + meta.log_pages).contains(&pg);
    if let Some(&pg) = pages
        .iter()
        .find(|&&pg| !(2..meta.page_count).contains(&pg) || in_log(pg))
    {
        return Err(format!("it lists page {pg}, not a page of the tree's"));
    }
    Ok(Found::Next(Header {
        meta,
        pages,
        crc: get_u32(p, 8),
    }))
}

impl Header {
    /// Whether the header page `p` and the record's pages' checksums `sums` make its CRC.
    pub(crate) fn proven(&self, p: &[u8], sums: &[u8]) -> bool {
        crc32c(&[&p[12..], sums]) == self.crc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_round_trips_and_only_continues_its_own_log() {
        let mut prev = Meta::empty(4096);
        prev.page_count = 100;
        prev.log_start = 90;
        prev.log_pages = 10;
        prev.log_salt = 77;
        prev.txn = 5;
        let mut next = prev;
        next.txn = 6;
        next.root = 3;
        next.depth = 1;
        next.entries = 1;
        let sums = [1, 2, 3, 4, 5, 6, 7, 8];
        let p = encode_header(&next, &[3, 4], &sums, 4096);
        let Ok(Found::Next(h)) = decode_header(&p, &prev, 6) else {
            panic!("not read back");
        };
        assert_eq!(h.meta, next);
        assert_eq!(h.pages, [3, 4]);
        assert!(h.proven(&p, &sums));
        assert!(!h.proven(&p, &[0; 8]));
        // Another transaction, another salt: not this log's next record.
        assert!(matches!(decode_header(&p, &prev, 7), Ok(Found::Other)));
        let other = Meta {
            log_salt: 78,
            ..prev
        };
        assert!(matches!(decode_header(&p, &other, 6), Ok(Found::Other)));
        // A page of the log region listed: damaged.
        let bad = encode_header(&next, &[3, 95], &sums, 4096);
        assert!(decode_header(&bad, &prev, 6).is_err());
    }
}
