//! The B+tree over pages: lookups and cursors for any [`Source`] of pages (a committed
//! snapshot, or a write transaction's own view with its changed pages), and the
//! copy-on-write changes ([`write`]).
//!
//! | module | what it is for |
//! |---|---|
//! | [`cursor`] | ordered cursors (seek, next, prev) and range scans both ways |
//! | [`write`] | put and delete: copy-on-write down one path, splits, merges and borrowing |

pub(crate) mod cursor;
pub(crate) mod write;

pub use cursor::{Cursor, Range};

use crate::cache::Buf;
use crate::error::{Error, Result};
use crate::format::node::{Page, ValRef};
use crate::format::{get_u32, get_u64, page_kind, Geometry, Kind, HEADER};

/// Where pages come from.
pub(crate) trait Source {
    fn geo(&self) -> Geometry;
    /// Page `pgno`, its checksum verified.
    fn raw(&self, pgno: u64) -> Result<Buf>;
    /// Branch or leaf page `pgno`, its checksum and layout verified.
    fn node(&self, pgno: u64) -> Result<Page>;
    /// The root page (0: empty) and the tree's depth.
    fn root(&self) -> (u64, u32);
    /// Pages in the file as this view sees it: no chain of pages can be longer.
    fn page_count(&self) -> u64;
}

/// Offsets in an overflow page: next page, bytes here, data.
pub(crate) const OVERFLOW_NEXT: usize = HEADER;
pub(crate) const OVERFLOW_LEN: usize = HEADER + 8;
pub(crate) const OVERFLOW_DATA: usize = HEADER + 12;

/// The page at `level` (1 = the root) on the way to a leaf, checked to be a leaf exactly
/// at the tree's depth.
pub(crate) fn tree_page(src: &dyn Source, pgno: u64, level: u32) -> Result<Page> {
    let page = src.node(pgno)?;
    let (_, depth) = src.root();
    if page.is_leaf() != (level == depth) {
        return Err(Error::corrupt(
            pgno,
            if page.is_leaf() {
                format!("a leaf at level {level} of a tree {depth} deep")
            } else {
                format!("a branch at level {level} of a tree {depth} deep")
            },
        ));
    }
    Ok(page)
}

/// The leaf where `key` is or would be; `None` for an empty tree.
pub(crate) fn leaf_for(src: &dyn Source, key: &[u8]) -> Result<Option<Page>> {
    let (mut pgno, depth) = src.root();
    if pgno == 0 {
        return Ok(None);
    }
    for level in 1..=depth {
        let page = tree_page(src, pgno, level)?;
        if page.is_leaf() {
            return Ok(Some(page));
        }
        pgno = page.child(page.child_index(key));
    }
    Err(Error::corrupt(pgno, "a tree with a root but no depth"))
}

pub(crate) fn get(src: &dyn Source, key: &[u8]) -> Result<Option<Vec<u8>>> {
    let Some(leaf) = leaf_for(src, key)? else {
        return Ok(None);
    };
    match leaf.search(key) {
        Ok(i) => value(src, &leaf, i).map(Some),
        Err(_) => Ok(None),
    }
}

/// A value as [`crate::ReadTxn::get_ref`] returns it: borrowed from the page that holds it
/// (shared with the page cache, no copy), or read from its overflow pages.
#[derive(Clone)]
pub struct Value(Repr);

#[derive(Clone)]
enum Repr {
    InPage { page: Page, at: usize, len: usize },
    Owned(Vec<u8>),
}

impl std::ops::Deref for Value {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match &self.0 {
            Repr::InPage { page, at, len } => &page.bytes()[*at..*at + *len],
            Repr::Owned(v) => v,
        }
    }
}

impl AsRef<[u8]> for Value {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Value").field(&&**self).finish()
    }
}

impl Value {
    pub fn to_vec(&self) -> Vec<u8> {
        (**self).to_vec()
    }
}

/// The value of `key`, without copying it out of its page.
pub(crate) fn get_ref(src: &dyn Source, key: &[u8]) -> Result<Option<Value>> {
    let Some(leaf) = leaf_for(src, key)? else {
        return Ok(None);
    };
    let Ok(i) = leaf.search(key) else {
        return Ok(None);
    };
    let (at, len) = match leaf.value(i) {
        ValRef::Inline(v) => (
            v.as_ptr() as usize - leaf.bytes().as_ptr() as usize,
            v.len(),
        ),
        ValRef::Overflow { .. } => return Ok(Some(Value(Repr::Owned(value(src, &leaf, i)?)))),
    };
    Ok(Some(Value(Repr::InPage {
        page: leaf,
        at,
        len,
    })))
}

/// A leaf's value `i`, read from its overflow pages if it has them.
pub(crate) fn value(src: &dyn Source, leaf: &Page, i: usize) -> Result<Vec<u8>> {
    match leaf.value(i) {
        ValRef::Inline(v) => Ok(v.to_vec()),
        ValRef::Overflow { len, first } => {
            let mut data = Vec::with_capacity(len as usize);
            walk_overflow(src, leaf.pgno, first, len, Some(&mut data))?;
            Ok(data)
        }
    }
}

/// The pages of an overflow value of `len` bytes starting at `first` (held by leaf
/// `owner`), checking that they are overflow pages that add up to `len`; the bytes go to
/// `data` if given.
pub(crate) fn walk_overflow(
    src: &dyn Source,
    owner: u64,
    first: u64,
    len: u32,
    mut data: Option<&mut Vec<u8>>,
) -> Result<Vec<u64>> {
    let cap = src.geo().overflow_data();
    let len = len as usize;
    if len == 0 {
        return Err(Error::corrupt(owner, "an overflow value of no bytes"));
    }
    let count = len.div_ceil(cap);
    // A damaged length (up to 4 GiB) or a chain that loops must not be walked (or its
    // pages listed) further than the file has pages.
    if count as u64 > src.page_count() {
        return Err(Error::corrupt(
            owner,
            format!(
                "its value of {len} bytes needs {count} overflow pages, more than the file's {}",
                src.page_count()
            ),
        ));
    }
    let mut pages = Vec::with_capacity(count);
    let (mut pgno, mut seen) = (first, 0usize);
    for k in 0..count {
        if pgno == 0 {
            return Err(Error::corrupt(
                owner,
                format!("its value of {len} bytes ends after {k} overflow pages"),
            ));
        }
        let p = src.raw(pgno)?;
        if page_kind(&p) != Some(Kind::Overflow) {
            return Err(Error::corrupt(
                pgno,
                "in an overflow chain but not an overflow page",
            ));
        }
        let n = get_u32(&p, OVERFLOW_LEN) as usize;
        let want = cap.min(len - seen);
        if n != want {
            return Err(Error::corrupt(
                pgno,
                format!("holds {n} bytes of a value where {want} belong"),
            ));
        }
        if let Some(d) = data.as_deref_mut() {
            d.extend_from_slice(&p[OVERFLOW_DATA..OVERFLOW_DATA + n]);
        }
        seen += n;
        pages.push(pgno);
        pgno = get_u64(&p, OVERFLOW_NEXT);
    }
    if pgno != 0 {
        return Err(Error::corrupt(
            owner,
            format!("its overflow chain goes on past the value's {len} bytes"),
        ));
    }
    Ok(pages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{put_header, put_u32, put_u64};

    /// A file of `pages` pages, each an overflow page full of a value's bytes whose next page
    /// is itself: a chain that never ends.
    struct Looping {
        geo: Geometry,
        pages: u64,
    }

    impl Source for Looping {
        fn geo(&self) -> Geometry {
            self.geo
        }
        fn raw(&self, pgno: u64) -> Result<Buf> {
            let mut p = vec![0u8; self.geo.page_size];
            put_header(&mut p, Kind::Overflow, 0, 1);
            put_u64(&mut p, OVERFLOW_NEXT, pgno);
            put_u32(&mut p, OVERFLOW_LEN, self.geo.overflow_data() as u32);
            Ok(p.into())
        }
        fn node(&self, pgno: u64) -> Result<Page> {
            Err(Error::corrupt(pgno, "not a node"))
        }
        fn root(&self) -> (u64, u32) {
            (0, 0)
        }
        fn page_count(&self) -> u64 {
            self.pages
        }
    }

    /// Found by the btree fuzz target: a damaged value length of up to 4 GiB over a chain
    /// that loops was walked a million pages long (4 GiB of memory in `btree check`).
    #[test]
    fn a_chain_longer_than_the_file_is_refused_before_it_is_walked() {
        let src = Looping {
            geo: Geometry::new(4096).expect("a page size"),
            pages: 16,
        };
        let e = walk_overflow(&src, 3, 5, u32::MAX, None).expect_err("a chain of 1M pages");
        assert!(e.to_string().contains("more than the file's 16"), "{e}");
        // Within the file's size the same loop is walked to its length, no further.
        let len = 3 * src.geo.overflow_data() as u32;
        let e = walk_overflow(&src, 3, 5, len, None).expect_err("a chain past its value");
        assert!(e.to_string().contains("goes on past"), "{e}");
    }
}
