//! A log record: one small commit, written in one request into the log region (log.rs).
//! Each page the commit wrote is carried as a *delta*: the bytes where it differs from the
//! page it replaced (the committed version it was copied from), or from zeros for a page
//! with no predecessor. A single insert copies a leaf, its branch and the root, and changes
//! a slot array, a cell and a child pointer in them, so its record is one page where whole
//! copies were five.
//!
//! | bytes | field of the record |
//! |---|---|
//! | 0..8 | magic `OSTKBLOG` |
//! | 8..12 | CRC-32C of bytes 12..length of the record |
//! | 12..16 | pages the record carries (n) |
//! | 16..24 | the commit's transaction |
//! | 24..32 | the salt of the meta page the log continues |
//! | 32..40, 40..44 | root page, depth |
//! | 44..48 | the record's length in bytes (it takes that many rounded up to whole pages) |
//! | 48..56, 56..64 | page count, entries |
//! | 64..72, 72..80, 80..88 | newest free-list page, free-list position (as in the meta page) |
//! | 88.. | the n pages: page number (8), base page (8; 0 for zeros), ranges (4), then each range: offset (4), length (4), the bytes |
//!
//! A page is its base (as the state before the record has it: in the log, or in its place)
//! with the ranges written over it, and must then pass its own checksum, which covers its
//! page number: so a record is proven whole by its CRC, and each page it makes by its
//! checksum (a base that is not what the writer diffed against fails there).

use super::crc32c::crc32c;
use super::meta::Meta;
use super::{get_u32, get_u64, put_u32, put_u64};

pub(crate) const LOG_MAGIC: [u8; 8] = *b"OSTKBLOG";
const LIST_AT: usize = 88;

/// The most pages one record carries, at most 64 (a commit of more is written in place: a
/// checkpoint).
pub(crate) fn record_cap(ps: usize) -> usize {
    ((ps - LIST_AT) / 8).min(64)
}

/// One page of a record to encode: its number, its bytes (sealed), and the page it replaced
/// with that page's bytes, if any.
pub(crate) struct Delta<'a> {
    pub(crate) pg: u64,
    pub(crate) page: &'a [u8],
    pub(crate) base: Option<(u64, &'a [u8])>,
}

/// The byte ranges, 8-byte words at a time, where `new` differs from `old` (same length, a
/// multiple of 8: a page); a gap of one equal word is taken in, as a range more would cost
/// as much.
pub(crate) fn diff(old: &[u8], new: &[u8]) -> Vec<(usize, usize)> {
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let word = |c: &[u8]| u64::from_ne_bytes(c.try_into().unwrap_or([0; 8]));
    for (i, (a, b)) in old.chunks_exact(8).zip(new.chunks_exact(8)).enumerate() {
        // Compared as words: a slice comparison calls memcmp for each.
        if word(a) == word(b) {
            continue;
        }
        let at = 8 * i;
        match ranges.last_mut() {
            Some((start, len)) if *start + *len + 8 >= at => *len = at + 8 - *start,
            _ => ranges.push((at, 8)),
        }
    }
    ranges
}

/// The record of the commit whose state is `meta` (`meta.log_salt` the salt it continues),
/// padded with zeros to whole pages of `ps` bytes.
pub(crate) fn encode_record(meta: &Meta, pages: &[Delta<'_>], ps: usize) -> Vec<u8> {
    let mut p = vec![0u8; LIST_AT];
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
    let zeros = vec![0u8; ps];
    for d in pages {
        let (base, old) = d.base.unwrap_or((0, &zeros));
        let ranges = diff(old, d.page);
        p.extend_from_slice(&d.pg.to_le_bytes());
        p.extend_from_slice(&base.to_le_bytes());
        p.extend_from_slice(&(ranges.len() as u32).to_le_bytes());
        for (at, len) in ranges {
            p.extend_from_slice(&(at as u32).to_le_bytes());
            p.extend_from_slice(&(len as u32).to_le_bytes());
            p.extend_from_slice(&d.page[at..at + len]);
        }
    }
    let len = p.len();
    put_u32(&mut p, 44, len as u32);
    let crc = crc32c(&[&p[12..]]);
    put_u32(&mut p, 8, crc);
    p.resize(len.div_ceil(ps) * ps, 0);
    p
}

/// A record's header read back, not yet proven by its CRC (which needs the whole record).
#[derive(Debug)]
pub(crate) struct Header {
    /// The state after the commit.
    pub(crate) meta: Meta,
    /// Pages the record carries.
    pub(crate) count: usize,
    /// The record's length in bytes.
    pub(crate) len: usize,
    crc: u32,
}

/// One page of a record read back: where it goes, its base (0: zeros), and the ranges of
/// bytes to write over the base (offset, and where the bytes lie in the record).
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) pg: u64,
    pub(crate) base: u64,
    pub(crate) ranges: Vec<(usize, std::ops::Range<usize>)>,
}

/// What a page of the log region holds where a record may start.
#[derive(Debug)]
pub(crate) enum Found {
    /// The record that continues `base`'s log with transaction `txn`, by its header.
    Next(Header),
    /// Not that record: zeros, a record of an earlier log, or garbage.
    Other,
}

/// Reads the header at the place (the first page `p`) where the record of transaction
/// `txn` continuing the state `prev` (whose salt and page count it must share) would start.
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
    let len = get_u32(p, 44) as usize;
    if len < LIST_AT + 20 * n {
        return Err(format!("a length of {len} bytes for {n} pages"));
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
    Ok(Found::Next(Header {
        meta,
        count: n,
        len,
        crc: get_u32(p, 8),
    }))
}

impl Header {
    /// Pages of the log the record takes, at page size `ps`.
    pub(crate) fn pages(&self, ps: usize) -> u64 {
        self.len.div_ceil(ps) as u64
    }

    /// Whether the record `rec` (at least `len` bytes) makes its CRC.
    pub(crate) fn proven(&self, rec: &[u8]) -> bool {
        crc32c(&[&rec[12..self.len]]) == self.crc
    }

    /// The pages of the proven record `rec`, each checked to lie inside it and to be a page
    /// of the tree's (as is its base); why not, if one is not.
    pub(crate) fn entries(&self, rec: &[u8]) -> Result<Vec<Entry>, String> {
        let ps = self.meta.page_size as usize;
        let rec = &rec[..self.len];
        let meta = &self.meta;
        let in_tree = |pg: u64| {
            (2..meta.page_count).contains(&pg)
                && !(meta.log_start..meta.log_start + meta.log_pages).contains(&pg)
        };
        let mut at = LIST_AT;
        let mut take = |n: usize| -> Result<std::ops::Range<usize>, String> {
            let end = at
                .checked_add(n)
                .filter(|&e| e <= rec.len())
                .ok_or_else(|| "its pages run past its length".to_string())?;
            let r = at..end;
            at = end;
            Ok(r)
        };
        let mut out = Vec::with_capacity(self.count);
        for _ in 0..self.count {
            let pg = get_u64(rec, take(8)?.start);
            let base = get_u64(rec, take(8)?.start);
            let n = get_u32(rec, take(4)?.start) as usize;
            if !in_tree(pg) || (base != 0 && !in_tree(base)) {
                return Err(format!(
                    "it lists page {pg} from page {base}, not pages of the tree's"
                ));
            }
            let mut ranges = Vec::new();
            for _ in 0..n {
                let off = get_u32(rec, take(4)?.start) as usize;
                let len = get_u32(rec, take(4)?.start) as usize;
                if off.checked_add(len).is_none_or(|e| e > ps) {
                    return Err(format!("its bytes {off}..+{len} of page {pg} overrun it"));
                }
                ranges.push((off, take(len)?));
            }
            out.push(Entry { pg, base, ranges });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_round_trips_and_only_continues_its_own_log() {
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
        let old = vec![9u8; 4096];
        let mut new = old.clone();
        new[100] = 1;
        new[4095] = 2;
        let fresh: Vec<u8> = (0..4096).map(|i| (i % 7) as u8).collect();
        let pages = [
            Delta {
                pg: 3,
                page: &new,
                base: Some((4, &old)),
            },
            Delta {
                pg: 5,
                page: &fresh,
                base: None,
            },
        ];
        let rec = encode_record(&next, &pages, 4096);
        assert_eq!(
            rec.len(),
            4096 * 2,
            "the changed words and a page from zeros"
        );
        let Ok(Found::Next(h)) = decode_header(&rec[..4096], &prev, 6) else {
            panic!("not read back");
        };
        assert_eq!(h.meta, next);
        assert_eq!(h.pages(4096), 2);
        assert!(h.proven(&rec));
        let entries = h.entries(&rec).unwrap();
        let apply = |e: &Entry, base: &[u8]| {
            let mut p = base.to_vec();
            for (off, r) in &e.ranges {
                p[*off..*off + r.len()].copy_from_slice(&rec[r.clone()]);
            }
            p
        };
        assert_eq!((entries[0].pg, entries[0].base), (3, 4));
        assert_eq!(entries[0].ranges.len(), 2);
        assert_eq!(apply(&entries[0], &old), new);
        assert_eq!((entries[1].pg, entries[1].base), (5, 0));
        assert_eq!(apply(&entries[1], &[0; 4096]), fresh);
        let mut torn = rec.clone();
        torn[4096 + 5] ^= 1;
        assert!(!h.proven(&torn));
        // Another transaction, another salt: not this log's next record.
        assert!(matches!(decode_header(&rec, &prev, 7), Ok(Found::Other)));
        let other = Meta {
            log_salt: 78,
            ..prev
        };
        assert!(matches!(decode_header(&rec, &other, 6), Ok(Found::Other)));
        // A page of the log region listed: damaged.
        let bad = encode_record(
            &next,
            &[Delta {
                pg: 95,
                page: &fresh,
                base: None,
            }],
            4096,
        );
        let Ok(Found::Next(h)) = decode_header(&bad[..4096], &prev, 6) else {
            panic!("not read back");
        };
        assert!(h.proven(&bad) && h.entries(&bad).is_err());
    }

    #[test]
    fn a_diff_takes_whole_words_and_bridges_one_equal_word() {
        let old = [0u8; 64];
        let mut new = old;
        new[3] = 1; // word 0
        new[17] = 1; // word 2: one equal word between, bridged
        new[40] = 1; // word 5: two equal words between, a range of its own
        assert_eq!(diff(&old, &new), [(0, 24), (40, 8)]);
        assert!(diff(&old, &old).is_empty());
    }
}
