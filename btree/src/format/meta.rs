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
//! | 88..92 | written pages listed (0: a commit that synced its pages before writing this page) |
//! | 92..96 | the commit's digest: CRC-32C of the listed pages' checksums, in list order |
//! | 96.. | the page numbers the commit wrote (8 bytes each), at most [`MAX_LISTED`], all in the first 512 bytes |
//!
//! A commit that lists its pages was made durable by one `fdatasync` of its pages and this
//! page together, so after a crash this page may be on disk without them: it counts only
//! if every listed page holds its checksum, this commit's transaction and the digest's
//! checksums (`Db::read_meta`); else the other meta page is the last commit.

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
    /// Pages listed after the fields (see the module), and their digest.
    pub(crate) listed: u32,
    pub(crate) digest: u32,
}

/// Where the list of written pages starts, and how many fit in the first 512 bytes.
pub(crate) const LIST_AT: usize = 96;
pub(crate) const MAX_LISTED: usize = (512 - LIST_AT) / 8;

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
            listed: 0,
            digest: 0,
        }
    }

    /// The page that holds this state, as meta page `slot`.
    pub(crate) fn encode(&self, slot: u64) -> Vec<u8> {
        self.encode_listing(slot, &[])
    }

    /// The page that holds this state, as meta page `slot`, listing `pages` (at most
    /// [`MAX_LISTED`]) as the commit's written pages, `self.digest` their digest.
    pub(crate) fn encode_listing(&self, slot: u64, pages: &[u64]) -> Vec<u8> {
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
        put_u32(&mut p, 88, pages.len() as u32);
        put_u32(&mut p, 92, if pages.is_empty() { 0 } else { self.digest });
        for (i, &pg) in pages.iter().enumerate() {
            put_u64(&mut p, LIST_AT + 8 * i, pg);
        }
        seal(&mut p, slot);
        p
    }

    /// Reads meta page `slot` from `p` (one page of `page_size` bytes).
    /// The pages a commit that lists them wrote (see the module), from its meta page `p`
    /// (decoded already).
    pub(crate) fn listed_pages(&self, p: &[u8]) -> Vec<u64> {
        (0..self.listed as usize)
            .map(|i| get_u64(p, LIST_AT + 8 * i))
            .collect()
    }

    pub(crate) fn decode(p: &[u8], slot: u64) -> Result<Meta, Invalid> {
        if p.len() < 96 || p[16..24] != MAGIC {
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
            listed: get_u32(p, 88),
            digest: get_u32(p, 92),
        };
        if Geometry::new(page_size).is_none() {
            return Err(Invalid::Damaged(format!("page size {page_size}")));
        }
        let in_file = |pg: u64| pg == 0 || (2..m.page_count).contains(&pg);
        if m.page_count < 2
            || m.page_count > (u64::MAX / page_size as u64)
            || !in_file(m.root)
            || !in_file(m.free_head)
            || m.depth > MAX_DEPTH
            || (m.root == 0) != (m.depth == 0)
            || (m.root == 0 && m.entries != 0)
            || m.listed as usize > MAX_LISTED
            || LIST_AT + 8 * m.listed as usize > p.len()
        {
            return Err(Invalid::Damaged(format!("inconsistent fields {m:?}")));
        }
        Ok(m)
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
