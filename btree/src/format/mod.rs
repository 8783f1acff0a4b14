//! The file format, without any I/O: fixed-size pages, each with a 16-byte header and a
//! checksum, of five kinds. README.md draws them; this is the reference.
//!
//! Every page starts with:
//!
//! | bytes | field |
//! |---|---|
//! | 0..4 | CRC-32C of the page number (8 bytes, little-endian) followed by bytes 4.. of the page |
//! | 4 | kind: 1 meta, 2 branch, 3 leaf, 4 overflow, 5 free list |
//! | 5 | flags: 1 on the last free-list page of a transaction's record, else 0 |
//! | 6..8 | count: cells in a branch or leaf, page numbers in a free-list page |
//! | 8..16 | the transaction that wrote the page |
//!
//! Seeding the checksum with the page number makes a page written to the wrong place as
//! detectable as a torn or flipped one. All integers are little-endian.
//!
//! | module | what it is for |
//! |---|---|
//! | [`crc32c`] | the checksum |
//! | [`meta`] | the two meta pages: where the tree, the free list and the file end |
//! | [`node`] | branch and leaf pages: a validated view for readers, an owned form for the writer |
//! | [`edit`] | the writer's changes to its own copy of a page, in place |
//! | [`log`] | the header of a log record: a small commit's state and the pages it wrote |

pub(crate) mod crc32c;
pub(crate) mod edit;
pub(crate) mod log;
pub(crate) mod meta;
pub(crate) mod node;

/// The first bytes after the header of both meta pages.
pub(crate) const MAGIC: [u8; 8] = *b"OSTKBTRE";
/// The format version; a file with another is refused.
pub(crate) const VERSION: u32 = 3;
pub const DEFAULT_PAGE_SIZE: u32 = 4096;
pub const MIN_PAGE_SIZE: u32 = 512;
pub const MAX_PAGE_SIZE: u32 = 65536;
/// The largest value: 1 GiB (the format could hold 4 GiB; a value is read whole into memory).
pub const MAX_VALUE_LEN: usize = 1 << 30;
/// The deepest tree accepted: a tree of 4 KiB pages is 5 or 6 deep at a billion keys.
pub(crate) const MAX_DEPTH: u32 = 32;

/// Bytes of the common page header.
pub(crate) const HEADER: usize = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Meta = 1,
    Branch = 2,
    Leaf = 3,
    Overflow = 4,
    FreeList = 5,
}

impl Kind {
    pub(crate) fn from_byte(b: u8) -> Option<Kind> {
        Some(match b {
            1 => Kind::Meta,
            2 => Kind::Branch,
            3 => Kind::Leaf,
            4 => Kind::Overflow,
            5 => Kind::FreeList,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Meta => "meta",
            Kind::Branch => "branch",
            Kind::Leaf => "leaf",
            Kind::Overflow => "overflow",
            Kind::FreeList => "free-list",
        }
    }
}

/// The sizes that follow from the page size.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Geometry {
    pub(crate) page_size: usize,
}

impl Geometry {
    pub(crate) fn new(page_size: u32) -> Option<Geometry> {
        (page_size.is_power_of_two() && (MIN_PAGE_SIZE..=MAX_PAGE_SIZE).contains(&page_size))
            .then_some(Geometry {
                page_size: page_size as usize,
            })
    }

    /// Bytes of a branch or leaf page for cells (and a branch's first child).
    pub(crate) fn usable(self) -> usize {
        self.page_size - HEADER
    }

    /// The largest cell, with its 2-byte slot: a quarter of a page, so that a split or a
    /// redistribution always leaves both halves fitting and at least [`Self::min_fill`] full.
    pub(crate) fn max_cell(self) -> usize {
        self.usable() / 4
    }

    /// The largest key: 960 bytes with 4 KiB pages (a quarter page less 64 bytes).
    pub(crate) fn max_key(self) -> usize {
        self.page_size / 4 - 64
    }

    /// A page other than the root whose cells take fewer bytes than this is underfull and
    /// is merged with a sibling or borrows from it: a fifth of a page.
    pub(crate) fn min_fill(self) -> usize {
        self.usable() / 5
    }

    /// Value bytes in one overflow page (header, next page, length, then data).
    pub(crate) fn overflow_data(self) -> usize {
        self.page_size - HEADER - 12
    }

    /// Page numbers in one free-list page (header, next page, then the numbers).
    pub(crate) fn freelist_cap(self) -> usize {
        (self.page_size - HEADER - 8) / 8
    }

    /// Whether a value of `vlen` bytes under a key of `klen` bytes lives in the leaf.
    pub(crate) fn inline(self, klen: usize, vlen: usize) -> bool {
        2 + node::LEAF_CELL + klen + vlen <= self.max_cell()
    }
}

pub(crate) fn get_u16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

pub(crate) fn get_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

pub(crate) fn get_u64(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

pub(crate) fn put_u16(b: &mut [u8], at: usize, v: u16) {
    b[at..at + 2].copy_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

pub(crate) fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

/// Writes the header of a page (all but its checksum, which [`seal`] adds).
pub(crate) fn put_header(page: &mut [u8], kind: Kind, count: u16, txn: u64) {
    page[4] = kind as u8;
    page[5] = 0;
    put_u16(page, 6, count);
    put_u64(page, 8, txn);
}

pub(crate) fn page_kind(page: &[u8]) -> Option<Kind> {
    Kind::from_byte(page[4])
}

pub(crate) fn page_count(page: &[u8]) -> u16 {
    get_u16(page, 6)
}

pub(crate) fn page_txn(page: &[u8]) -> u64 {
    get_u64(page, 8)
}

fn checksum(page: &[u8], pgno: u64) -> u32 {
    crc32c::crc32c(&[&pgno.to_le_bytes(), &page[4..]])
}

/// Stores the checksum of `page` as page number `pgno`.
pub(crate) fn seal(page: &mut [u8], pgno: u64) {
    let c = checksum(page, pgno);
    put_u32(page, 0, c);
}

/// Whether `page` is intact as page number `pgno`.
pub(crate) fn verify(page: &[u8], pgno: u64) -> bool {
    page.len() > HEADER && get_u32(page, 0) == checksum(page, pgno)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometry_keeps_its_promises_at_every_page_size() {
        let mut ps = MIN_PAGE_SIZE;
        while ps <= MAX_PAGE_SIZE {
            let g = Geometry::new(ps).unwrap();
            // The largest branch cell and the largest overflow leaf cell fit in max_cell.
            assert!(2 + node::BRANCH_CELL + g.max_key() <= g.max_cell(), "{ps}");
            assert!(
                2 + node::LEAF_CELL + g.max_key() + 8 <= g.max_cell(),
                "{ps}"
            );
            assert!(g.max_cell() + 2 * g.min_fill() < g.usable());
            assert!(g.page_size - 1 <= u16::MAX as usize);
            ps *= 2;
        }
        assert!(Geometry::new(1000).is_none());
        assert!(Geometry::new(256).is_none());
        assert!(Geometry::new(1 << 17).is_none());
    }

    #[test]
    fn a_page_checksum_covers_its_number_and_every_byte() {
        let mut p = vec![0u8; 512];
        put_header(&mut p, Kind::Leaf, 0, 7);
        seal(&mut p, 9);
        assert!(verify(&p, 9));
        assert!(!verify(&p, 10));
        for at in [4, 100, 511] {
            p[at] ^= 1;
            assert!(!verify(&p, 9));
            p[at] ^= 1;
        }
    }
}
