//! The meta pages, 0 and 1: the file's identity (magic, version, page size) and one committed
//! state each: the tree's root and depth, the number of pages in use, the free list. Commits
//! alternate between them, so the one not being written always holds a whole commit; the
//! valid one with the higher transaction number is the current state.
//!
//! | bytes | field |
//! |---|---|
//! | 0..16 | page header (kind 1; its transaction is the commit's) |
//! | 16..24 | magic `OSTKBTRE` |
//! | 24..28 | format version |
//! | 28..32 | page size |
//! | 32..40 | root page (0: empty tree) |
//! | 40..44 | depth (0: empty tree, 1: the root is a leaf) |
//! | 48..56 | page count: pages 0..count are the file's; later ones are left over from an interrupted commit |
//! | 56..64 | entries |
//! | 64..72 | newest free-list page (0: none) |
//! | 72..80, 80..88 | free-list position: entries freed by earlier transactions than the first, and the first so many of that one's, are used |
//! | 88..96 | first page of the log region (0: no log yet) |
//! | 96..104 | pages in the log region |
//! | 104..112 | the log's salt: records of the log that continue this state carry it |
//!
//! A meta page is a *checkpoint*: its state's pages are all in their places in the file.
//! Small commits after it are records in the log region (format/log.rs, log.rs), which
//! carry this meta page's transaction + 1, + 2, ... and its salt; the current state is
//! the valid meta page with the higher transaction and the log records that continue it.

use super::{
    get_u32, get_u64, page_kind, page_txn, put_header, put_u32, put_u64, seal, verify, Geometry,
    Kind, MAGIC, MAX_DEPTH, VERSION,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Meta {
    pub(crate) txn: u64,
    pub(crate) page_size: u32,
    pub(crate) root: u64,
    pub(crate) depth: u32,
    pub(crate) page_count: u64,
    pub(crate) entries: u64,
    pub(crate) free_head: u64,
    pub(crate) free_skip_txn: u64,
    pub(crate) free_skip_index: u64,
    /// The log region: pages `log_start..log_start + log_pages` (0, 0: none).
    pub(crate) log_start: u64,
    pub(crate) log_pages: u64,
    /// Set at each checkpoint: only log records that carry it continue this state.
    pub(crate) log_salt: u64,
}

/// Why a meta page is not used.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Invalid {
    /// Not this format at all (no magic).
    NotOurs,
    /// Ours, but damaged or from another version.
    Damaged(String),
}

impl Meta {
    /// The state of a new, empty file.
    pub(crate) fn empty(page_size: u32) -> Meta {
        Meta {
            txn: 0,
            page_size,
            root: 0,
            depth: 0,
            page_count: 2,
            entries: 0,
            free_head: 0,
            free_skip_txn: 0,
            free_skip_index: 0,
            log_start: 0,
            log_pages: 0,
            log_salt: 0,
        }
    }

    /// The page that holds this state, as meta page `slot`.
    pub(crate) fn encode(&self, slot: u64) -> Vec<u8> {
        let mut p = vec![0u8; self.page_size as usize];
        put_header(&mut p, Kind::Meta, 0, self.txn);
        p[16..24].copy_from_slice(&MAGIC);
        put_u32(&mut p, 24, VERSION);
        put_u32(&mut p, 28, self.page_size);
        put_u64(&mut p, 32, self.root);
        put_u32(&mut p, 40, self.depth);
        put_u64(&mut p, 48, self.page_count);
        put_u64(&mut p, 56, self.entries);
        put_u64(&mut p, 64, self.free_head);
        put_u64(&mut p, 72, self.free_skip_txn);
        put_u64(&mut p, 80, self.free_skip_index);
        put_u64(&mut p, 88, self.log_start);
        put_u64(&mut p, 96, self.log_pages);
        put_u64(&mut p, 104, self.log_salt);
        seal(&mut p, slot);
        p
    }

    /// Reads meta page `slot` from `p` (one page of `page_size` bytes).
    pub(crate) fn decode(p: &[u8], slot: u64) -> Result<Meta, Invalid> {
        if p.len() < 112 || p[16..24] != MAGIC {
            return Err(Invalid::NotOurs);
        }
        let page_size = get_u32(p, 28);
        if page_size as usize != p.len() {
            return Err(Invalid::Damaged(format!(
                "records page size {page_size}, read as {}",
                p.len()
            )));
        }
        if !verify(p, slot) {
            return Err(Invalid::Damaged("checksum mismatch".into()));
        }
        if page_kind(p) != Some(Kind::Meta) {
            return Err(Invalid::Damaged("not a meta page".into()));
        }
        let version = get_u32(p, 24);
        if version != VERSION {
            return Err(Invalid::Damaged(format!(
                "format version {version}; this build reads version {VERSION}"
            )));
        }
        let m = Meta {
            txn: page_txn(p),
            page_size,
            root: get_u64(p, 32),
            depth: get_u32(p, 40),
            page_count: get_u64(p, 48),
            entries: get_u64(p, 56),
            free_head: get_u64(p, 64),
            free_skip_txn: get_u64(p, 72),
            free_skip_index: get_u64(p, 80),
            log_start: get_u64(p, 88),
            log_pages: get_u64(p, 96),
            log_salt: get_u64(p, 104),
        };
        if Geometry::new(page_size).is_none() {
            return Err(Invalid::Damaged(format!("page size {page_size}")));
        }
        m.check_fields().map_err(Invalid::Damaged)?;
        Ok(m)
    }

    /// Whether the fields are consistent (for a meta page or a log record's state).
    pub(crate) fn check_fields(&self) -> Result<(), String> {
        let m = self;
        let page_size = m.page_size;
        let in_file = |pg: u64| pg == 0 || (2..m.page_count).contains(&pg);
        let log_ok = if m.log_start == 0 {
            m.log_pages == 0
        } else {
            m.log_start >= 2
                && m.log_pages >= 2
                && m.log_start
                    .checked_add(m.log_pages)
                    .is_some_and(|end| end <= m.page_count)
        };
        if m.page_count < 2
            || m.page_count > (u64::MAX / page_size as u64)
            || !in_file(m.root)
            || !in_file(m.free_head)
            || m.depth > MAX_DEPTH
            || (m.root == 0) != (m.depth == 0)
            || (m.root == 0 && m.entries != 0)
            || !log_ok
        {
            return Err(format!("inconsistent fields {m:?}"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_damage() {
        let mut m = Meta::empty(4096);
        m.txn = 5;
        m.root = 7;
        m.depth = 2;
        m.page_count = 9;
        m.entries = 3;
        let p = m.encode(1);
        assert_eq!(Meta::decode(&p, 1), Ok(m));
        assert!(matches!(Meta::decode(&p, 0), Err(Invalid::Damaged(_))));
        let mut bad = p.clone();
        bad[4000] ^= 0x10;
        assert!(matches!(Meta::decode(&bad, 1), Err(Invalid::Damaged(_))));
        assert_eq!(Meta::decode(&[0u8; 4096], 0), Err(Invalid::NotOurs));
        assert!(matches!(
            Meta::decode(&p[..2048], 1),
            Err(Invalid::Damaged(_))
        ));
        m.root = 9; // not below page_count
        assert!(matches!(
            Meta::decode(&m.encode(0), 0),
            Err(Invalid::Damaged(_))
        ));
    }
}
