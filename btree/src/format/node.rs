//! Branch and leaf pages: slotted pages, cells packed from the end, a slot array of 2-byte
//! offsets after the header in key order.
//!
//! ```text
//! leaf:   | header 16 | slot 0 | slot 1 | ... free ... | cell 1 | cell 0 |
//! branch: | header 16 | child 0 (8) | slot 0 | ... free ... | cell 0 |
//! leaf cell:   key length u16, flags u8 (0 inline, 1 overflow), value length u32, key,
//!              then the value or the first overflow page (u64)
//! branch cell: key length u16, child u64, key; keys >= key go to that child
//! ```
//!
//! A branch with n keys has n + 1 children: child 0 holds the keys below key 0, child i
//! (the child of cell i - 1) those from key i - 1 up to key i.
//!
//! Readers search a [`Page`] in place, after [`Page::parse`] has checked every offset and
//! length, so that no input can make an access fall outside the page. The writer changes
//! its own copy of a page in place ([`super::edit`]) when it can; to split, merge or borrow
//! it decodes the page into a [`Node`], changes it, and encodes it again.

use crate::cache::Buf;

use super::{
    get_u16, get_u32, get_u64, page_count, page_kind, put_header, put_u16, put_u32, put_u64,
    Geometry, Kind, HEADER,
};

/// Fixed bytes of a leaf cell before its key: key length, flags, value length.
pub(crate) const LEAF_CELL: usize = 7;
/// Fixed bytes of a branch cell before its key: key length, child.
pub(crate) const BRANCH_CELL: usize = 10;

const FLAG_OVERFLOW: u8 = 1;

/// A leaf's value as stored, or a branch cell's child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Val {
    Inline(Vec<u8>),
    Overflow { len: u32, first: u64 },
    Child(u64),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Cell {
    pub(crate) key: Vec<u8>,
    pub(crate) val: Val,
}

impl Cell {
    /// Bytes the cell takes in a page, with its slot.
    pub(crate) fn size(&self) -> usize {
        2 + self.key.len()
            + match &self.val {
                Val::Inline(v) => LEAF_CELL + v.len(),
                Val::Overflow { .. } => LEAF_CELL + 8,
                Val::Child(_) => BRANCH_CELL,
            }
    }
}

/// A branch or leaf page decoded for changing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Node {
    pub(crate) leaf: bool,
    /// A branch's child 0 (unused in a leaf).
    pub(crate) left: u64,
    pub(crate) cells: Vec<Cell>,
}

impl Node {
    pub(crate) fn leaf(cells: Vec<Cell>) -> Node {
        Node {
            leaf: true,
            left: 0,
            cells,
        }
    }

    /// Bytes the node needs after the header.
    pub(crate) fn payload(&self) -> usize {
        let first = if self.leaf { 0 } else { 8 };
        first + self.cells.iter().map(Cell::size).sum::<usize>()
    }

    pub(crate) fn fits(&self, geo: Geometry) -> bool {
        self.payload() <= geo.usable()
    }

    pub(crate) fn underfull(&self, geo: Geometry) -> bool {
        self.payload() < geo.min_fill()
    }

    /// A branch's child `i` (0..=cells).
    pub(crate) fn child(&self, i: usize) -> u64 {
        match i.checked_sub(1).and_then(|c| self.cells.get(c)) {
            Some(Cell {
                val: Val::Child(c), ..
            }) => *c,
            _ => self.left,
        }
    }

    pub(crate) fn set_child(&mut self, i: usize, pgno: u64) {
        if i == 0 {
            self.left = pgno;
        } else if let Some(c) = self.cells.get_mut(i - 1) {
            c.val = Val::Child(pgno);
        }
    }

    /// The page of this node, written by transaction `txn`; `None` if it does not fit.
    pub(crate) fn encode(&self, geo: Geometry, txn: u64) -> Option<Vec<u8>> {
        if !self.fits(geo) || self.cells.len() > u16::MAX as usize {
            return None;
        }
        let mut p = vec![0u8; geo.page_size];
        let kind = if self.leaf { Kind::Leaf } else { Kind::Branch };
        put_header(&mut p, kind, self.cells.len() as u16, txn);
        let slots = if self.leaf { HEADER } else { HEADER + 8 };
        if !self.leaf {
            put_u64(&mut p, HEADER, self.left);
        }
        let mut end = geo.page_size;
        for (i, c) in self.cells.iter().enumerate() {
            end -= c.size() - 2;
            put_u16(&mut p, slots + 2 * i, end as u16);
            put_u16(&mut p, end, c.key.len() as u16);
            match &c.val {
                Val::Inline(v) => {
                    p[end + 2] = 0;
                    put_u32(&mut p, end + 3, v.len() as u32);
                    let k = end + LEAF_CELL;
                    p[k..k + c.key.len()].copy_from_slice(&c.key);
                    p[k + c.key.len()..k + c.key.len() + v.len()].copy_from_slice(v);
                }
                Val::Overflow { len, first } => {
                    p[end + 2] = FLAG_OVERFLOW;
                    put_u32(&mut p, end + 3, *len);
                    let k = end + LEAF_CELL;
                    p[k..k + c.key.len()].copy_from_slice(&c.key);
                    put_u64(&mut p, k + c.key.len(), *first);
                }
                Val::Child(child) => {
                    put_u64(&mut p, end + 2, *child);
                    let k = end + BRANCH_CELL;
                    p[k..k + c.key.len()].copy_from_slice(&c.key);
                }
            }
        }
        Some(p)
    }

    /// Splits an overfull node in two and returns (left, separator, right): keys below the
    /// separator stay left. Both halves fit and are at least `min_fill` full; `append` (the
    /// change was at the end of the tree's last page, as in sequential inserts) leaves the
    /// left half as full as that allows instead of halving. A branch's middle key moves up;
    /// a leaf's separator is the shortest prefix of the right half's first key that is
    /// above the left half's last. `Err` gives the node back if no split point works,
    /// which the cell-size limits rule out.
    pub(crate) fn split(self, geo: Geometry, append: bool) -> Result<(Node, Vec<u8>, Node), Node> {
        let n = self.cells.len();
        let sizes: Vec<usize> = self.cells.iter().map(Cell::size).collect();
        let total: usize = sizes.iter().sum();
        // (k, left payload, right payload) for every split point: a leaf's left half is
        // cells[..k]; a branch's is cells[..k], cell k moves up, its child starting the right.
        let mut before = 0;
        let mut points = Vec::with_capacity(n);
        for (k, s) in sizes.iter().enumerate() {
            if self.leaf {
                if k > 0 {
                    points.push((k, before, total - before));
                }
            } else {
                points.push((k, 8 + before, 8 + total - before - s));
            }
            before += s;
        }
        let fits = |&&(_, l, r): &&(usize, usize, usize)| l <= geo.usable() && r <= geo.usable();
        let full =
            |&&(_, l, r): &&(usize, usize, usize)| l >= geo.min_fill() && r >= geo.min_fill();
        let chosen = if append {
            points.iter().filter(fits).filter(full).max_by_key(|p| p.0)
        } else {
            points
                .iter()
                .filter(fits)
                .filter(full)
                .min_by_key(|(_, l, r)| l.abs_diff(*r))
        }
        .or_else(|| points.iter().filter(fits).min_by_key(|(_, l, r)| l.max(r)))
        .map(|p| p.0);
        let Some(k) = chosen else {
            return Err(self);
        };
        let mut cells = self.cells;
        let mut right = cells.split_off(k);
        if self.leaf {
            let sep = separator(&cells[k - 1].key, &right[0].key);
            Ok((Node::leaf(cells), sep, Node::leaf(right)))
        } else {
            let up = right.remove(0);
            let Val::Child(child) = up.val else {
                return Err(Node {
                    leaf: false,
                    left: self.left,
                    cells: [cells, vec![up], right].concat(),
                });
            };
            let left = Node {
                leaf: false,
                left: self.left,
                cells,
            };
            let right = Node {
                leaf: false,
                left: child,
                cells: right,
            };
            Ok((left, up.key, right))
        }
    }

    /// Two siblings and the separator between them as one node.
    pub(crate) fn join(mut left: Node, sep: Vec<u8>, right: Node) -> Node {
        if !left.leaf {
            left.cells.push(Cell {
                key: sep,
                val: Val::Child(right.left),
            });
        }
        left.cells.extend(right.cells);
        left
    }
}

/// Where to cut cells of these sizes (with their slots) into `parts` pages, each in turn
/// the one nearest to an equal share of what is left, among those that fit and are at
/// least `min_fill` full: the index of the first cell of each part after the first (a
/// branch's cell there moves up to the parent). `None` if no such cut exists.
pub(crate) fn plan_even(
    geo: Geometry,
    sizes: &[usize],
    leaf: bool,
    parts: usize,
) -> Option<Vec<usize>> {
    let n = sizes.len();
    let base = if leaf { 0 } else { 8 };
    let good = |bytes: usize| bytes <= geo.usable() && bytes >= geo.min_fill();
    let mut cuts = Vec::with_capacity(parts);
    let mut start = 0;
    for left in (2..=parts).rev() {
        let target = (base + sizes[start.min(n)..].iter().sum::<usize>()) / left;
        let mut before = base;
        let mut best: Option<(usize, usize)> = None;
        for (k, s) in sizes.iter().enumerate().skip(start) {
            if (k > start || !leaf) && good(before) {
                let d = before.abs_diff(target);
                if best.is_none_or(|(_, bd)| d < bd) {
                    best = Some((k, d));
                }
            }
            before += s;
        }
        let (k, _) = best?;
        cuts.push(k);
        start = if leaf { k } else { k + 1 };
    }
    let last = base + sizes[start.min(n)..].iter().sum::<usize>();
    (start < n && good(last)).then_some(cuts)
}

/// The key of a leaf cell as it lies in a page (without its slot).
pub(crate) fn leaf_cell_key(cell: &[u8]) -> &[u8] {
    let klen = get_u16(cell, 0) as usize;
    &cell[LEAF_CELL..LEAF_CELL + klen]
}

/// Writes into `page` (a page's size, any content) a leaf of these cells (each as it lies
/// in a page, without its slot), written by transaction `txn`: cells copied as they are,
/// none decoded. `false` (the page unspecified) if they do not fit.
pub(crate) fn encode_leaf(page: &mut [u8], geo: Geometry, txn: u64, cells: &[&[u8]]) -> bool {
    let bytes: usize = cells.iter().map(|c| c.len() + 2).sum();
    if bytes > geo.usable() || cells.len() > u16::MAX as usize || page.len() != geo.page_size {
        return false;
    }
    // Each byte written once: the header and slots, the gap's zeros, then the cells from
    // the last to the first (cell 0 ends the page). Zeroing the whole page first and then
    // overwriting it cost a page's memset on every page sharing writes.
    let slots = HEADER + 2 * cells.len();
    page[..HEADER].fill(0);
    put_header(page, Kind::Leaf, cells.len() as u16, txn);
    let mut end = geo.page_size;
    for (i, c) in cells.iter().enumerate() {
        end -= c.len();
        put_u16(page, HEADER + 2 * i, end as u16);
        page[end..end + c.len()].copy_from_slice(c);
    }
    page[slots..end].fill(0);
    true
}

/// The shortest key `s` with `below < s <= at`, given `below < at`.
pub(crate) fn separator(below: &[u8], at: &[u8]) -> Vec<u8> {
    let common = below.iter().zip(at).take_while(|(a, b)| a == b).count();
    at[..(common + 1).min(at.len())].to_vec()
}

/// A leaf's value as it lies in the page.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ValRef<'a> {
    Inline(&'a [u8]),
    Overflow { len: u32, first: u64 },
}

/// A branch or leaf page whose layout has been checked: every access stays inside it.
/// Cloning it shares the bytes.
#[derive(Clone, Debug)]
pub(crate) struct Page {
    pub(crate) pgno: u64,
    buf: Buf,
    leaf: bool,
    n: usize,
}

impl Page {
    /// Checks the layout of a branch or leaf page whose checksum has been verified (see
    /// [`check_layout`]).
    pub(crate) fn parse(pgno: u64, buf: impl Into<Buf>, geo: Geometry) -> Result<Page, String> {
        let buf = buf.into();
        let (leaf, n) = check_layout(&buf, geo)?;
        Ok(Page { pgno, buf, leaf, n })
    }

    /// A page whose layout was checked before (when it entered the page cache), or that
    /// the writer built itself.
    pub(crate) fn trusted(pgno: u64, buf: Buf) -> Page {
        let leaf = page_kind(&buf) == Some(Kind::Leaf);
        let n = page_count(&buf) as usize;
        Page { pgno, buf, leaf, n }
    }
}

/// `a.cmp(b)` for keys (bytes in order, a prefix first), 8 bytes at a time as big-endian
/// integers instead of a call to `memcmp` (most comparisons end at the first word): a
/// binary search makes several per page it visits, and branch keys are often shorter than
/// 8 bytes (a split puts up the shortest prefix that separates the two halves).
#[inline]
pub(crate) fn cmp_keys(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    // Zero-padded, 8 bytes order the keys wherever they differ: a difference at a byte
    // both keys have is their order, and a key that ends before the other's byte there is
    // non-zero is a prefix of it, so the smaller. Equal words: on to the next 8 bytes.
    let mut at = 0;
    loop {
        let (a, b) = (&a[at..], &b[at..]);
        let (x, y) = (prefix8(a), prefix8(b));
        if x != y {
            return x.cmp(&y);
        }
        if a.len() <= 8 || b.len() <= 8 {
            // The shorter is a prefix of the other, or both are equal.
            return a.len().cmp(&b.len());
        }
        at += 8;
    }
}

/// Asks the CPU to bring all of `buf` into its cache, without waiting for it.
pub(crate) fn prefetch(buf: &[u8]) {
    for at in (0..buf.len()).step_by(64) {
        prefetch_line(buf, at);
    }
}

/// Asks the CPU to bring the cache line of `buf[at]` in, without waiting for it.
#[inline]
fn prefetch_line(buf: &[u8], at: usize) {
    #[cfg(target_arch = "x86_64")]
    if let Some(b) = buf.get(at) {
        // SAFETY: a prefetch is a hint: it reads no memory the program sees and cannot
        // fault; SSE, which has it, is part of every x86_64 CPU. The address is in `buf`.
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(
                (b as *const u8).cast(),
            )
        };
    }
}

/// The first 8 bytes of `a` as a big-endian integer, zero-padded.
#[inline]
fn prefix8(a: &[u8]) -> u64 {
    if let Some(x) = a.first_chunk::<8>() {
        return u64::from_be_bytes(*x);
    }
    let mut v = 0;
    for (i, &b) in a.iter().enumerate() {
        v |= (b as u64) << (56 - 8 * i);
    }
    v
}

/// Checks the layout of a branch or leaf page: the slot array fits, every cell lies after
/// it and inside the page, flags are known, keys are within the limit and children are
/// real page numbers. Returns whether it is a leaf, and its cell count.
pub(crate) fn check_layout(buf: &[u8], geo: Geometry) -> Result<(bool, usize), String> {
    let ps = geo.page_size;
    if buf.len() != ps {
        return Err(format!("{} bytes, not a page", buf.len()));
    }
    let leaf = match page_kind(buf) {
        Some(Kind::Leaf) => true,
        Some(Kind::Branch) => false,
        Some(k) => {
            return Err(format!(
                "a {} page where a branch or leaf belongs",
                k.name()
            ))
        }
        None => return Err(format!("unknown page kind {}", buf[4])),
    };
    let n = page_count(buf) as usize;
    let slots = if leaf { HEADER } else { HEADER + 8 };
    let slots_end = slots + 2 * n;
    if slots_end > ps {
        return Err(format!("{n} cells do not fit in the page"));
    }
    if !leaf && get_u64(buf, HEADER) < 2 {
        return Err("child 0 is not a page number".into());
    }
    for i in 0..n {
        let off = get_u16(buf, slots + 2 * i) as usize;
        let fixed = if leaf { LEAF_CELL } else { BRANCH_CELL };
        if off < slots_end || off + fixed > ps {
            return Err(format!("cell {i} at offset {off}, outside the cell area"));
        }
        let klen = get_u16(buf, off) as usize;
        if klen > geo.max_key() {
            return Err(format!("cell {i}: a key of {klen} bytes, over the limit"));
        }
        let end = if leaf {
            let tail = match buf[off + 2] {
                0 => get_u32(buf, off + 3) as usize,
                FLAG_OVERFLOW => 8,
                f => return Err(format!("cell {i}: unknown flags {f}")),
            };
            off + LEAF_CELL + klen + tail
        } else {
            if get_u64(buf, off + 2) < 2 {
                return Err(format!("cell {i}: its child is not a page number"));
            }
            off + BRANCH_CELL + klen
        };
        if end > ps {
            return Err(format!("cell {i} runs past the end of the page"));
        }
    }
    Ok((leaf, n))
}

impl Page {
    /// Leaf cell `i` as it lies in the page, without its slot (its layout was checked).
    pub(crate) fn raw_leaf_cell(&self, i: usize) -> &[u8] {
        let off = self.cell(i);
        let b = &self.buf[off..];
        let tail = match b[2] {
            FLAG_OVERFLOW => 8,
            _ => get_u32(b, 3) as usize,
        };
        &b[..LEAF_CELL + get_u16(b, 0) as usize + tail]
    }

    /// The page's bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.buf
    }

    pub(crate) fn is_leaf(&self) -> bool {
        self.leaf
    }

    pub(crate) fn len(&self) -> usize {
        self.n
    }

    fn cell(&self, i: usize) -> usize {
        let slots = if self.leaf { HEADER } else { HEADER + 8 };
        get_u16(&self.buf, slots + 2 * i) as usize
    }

    pub(crate) fn key(&self, i: usize) -> &[u8] {
        let off = self.cell(i);
        let head = &self.buf[off..off + 2];
        let klen = u16::from_le_bytes([head[0], head[1]]) as usize;
        let k = off + if self.leaf { LEAF_CELL } else { BRANCH_CELL };
        &self.buf[k..k + klen]
    }

    /// Asks the CPU to bring the whole page into its cache ahead of use: a scan reads every
    /// cell of a leaf, and the cells lie in insertion order, not key order.
    pub(crate) fn prefetch(&self) {
        prefetch(&self.buf);
    }

    /// A leaf's value `i`.
    pub(crate) fn value(&self, i: usize) -> ValRef<'_> {
        self.entry(i).1
    }

    /// A leaf's entry `i`, key and value, its cell's header read once (a scan's every step).
    pub(crate) fn entry(&self, i: usize) -> (&[u8], ValRef<'_>) {
        let off = self.cell(i);
        let head = &self.buf[off..off + LEAF_CELL];
        let klen = u16::from_le_bytes([head[0], head[1]]) as usize;
        let overflow = head[2] == FLAG_OVERFLOW;
        let vlen = u32::from_le_bytes([head[3], head[4], head[5], head[6]]);
        let k = off + LEAF_CELL;
        let v = k + klen;
        let key = &self.buf[k..v];
        if overflow {
            let first = &self.buf[v..v + 8];
            let first = u64::from_le_bytes([
                first[0], first[1], first[2], first[3], first[4], first[5], first[6], first[7],
            ]);
            (key, ValRef::Overflow { len: vlen, first })
        } else {
            (key, ValRef::Inline(&self.buf[v..v + vlen as usize]))
        }
    }

    /// A branch's child `i` (0..=len).
    pub(crate) fn child(&self, i: usize) -> u64 {
        if i == 0 {
            get_u64(&self.buf, HEADER)
        } else {
            get_u64(&self.buf, self.cell(i - 1) + 2)
        }
    }

    /// In a leaf: `Ok(i)` if key `i` is `key`, else `Err(i)` where it would go.
    pub(crate) fn search(&self, key: &[u8]) -> Result<usize, usize> {
        // `key` with what it depends on hoisted out of the loop, and each probe decided by
        // the keys' first 8 bytes (see `cmp_keys`), the probed key's read as one word.
        let (slots, fixed) = if self.leaf {
            (HEADER, LEAF_CELL)
        } else {
            (HEADER + 8, BRANCH_CELL)
        };
        let buf = &*self.buf;
        let want = prefix8(key);
        let (mut lo, mut hi) = (0, self.n);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let off = u16::from_le_bytes([buf[slots + 2 * mid], buf[slots + 2 * mid + 1]]);
            let off = off as usize;
            let head = &buf[off..off + 2];
            let k = off + fixed;
            let klen = u16::from_le_bytes([head[0], head[1]]) as usize;
            let got = match buf.get(k..k + 8).and_then(|w| w.first_chunk::<8>()) {
                // The word may run past the key: keep only the key's bytes.
                Some(w) if klen < 8 => u64::from_be_bytes(*w) & !(u64::MAX >> (8 * klen)),
                Some(w) => u64::from_be_bytes(*w),
                None => prefix8(&buf[k..k + klen]),
            };
            let order = if got != want {
                got.cmp(&want)
            } else {
                cmp_keys(&buf[k..k + klen], key)
            };
            match order {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    /// In a branch: the child whose keys include `key` (the number of keys <= it).
    pub(crate) fn child_index(&self, key: &[u8]) -> usize {
        match self.search(key) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// Bytes the page's cells take after the header.
    pub(crate) fn payload(&self) -> usize {
        let first = if self.leaf { 0 } else { 8 };
        first
            + (0..self.n)
                .map(|i| {
                    2 + self.key(i).len()
                        + if self.leaf {
                            LEAF_CELL
                                + match self.value(i) {
                                    ValRef::Inline(v) => v.len(),
                                    ValRef::Overflow { .. } => 8,
                                }
                        } else {
                            BRANCH_CELL
                        }
                })
                .sum::<usize>()
    }

    pub(crate) fn to_node(&self) -> Node {
        let cells = (0..self.n)
            .map(|i| Cell {
                key: self.key(i).to_vec(),
                val: if self.leaf {
                    match self.value(i) {
                        ValRef::Inline(v) => Val::Inline(v.to_vec()),
                        ValRef::Overflow { len, first } => Val::Overflow { len, first },
                    }
                } else {
                    Val::Child(self.child(i + 1))
                },
            })
            .collect();
        Node {
            leaf: self.leaf,
            left: if self.leaf { 0 } else { self.child(0) },
            cells,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo() -> Geometry {
        Geometry::new(512).unwrap()
    }

    fn leaf_cell(k: &str, v: &str) -> Cell {
        Cell {
            key: k.as_bytes().to_vec(),
            val: Val::Inline(v.as_bytes().to_vec()),
        }
    }

    #[test]
    fn encode_parse_round_trip() {
        let mut n = Node::leaf(vec![leaf_cell("a", "1"), leaf_cell("bb", "")]);
        n.cells.push(Cell {
            key: b"c".to_vec(),
            val: Val::Overflow {
                len: 9000,
                first: 77,
            },
        });
        let p = Page::parse(5, n.encode(geo(), 3).unwrap(), geo()).unwrap();
        assert_eq!(p.to_node(), n);
        assert_eq!(p.payload(), n.payload());
        assert_eq!(p.search(b"bb"), Ok(1));
        assert_eq!(p.search(b"b"), Err(1));
        assert_eq!(p.search(b"d"), Err(3));
        let b = Node {
            leaf: false,
            left: 10,
            cells: vec![
                Cell {
                    key: b"m".to_vec(),
                    val: Val::Child(11),
                },
                Cell {
                    key: b"t".to_vec(),
                    val: Val::Child(12),
                },
            ],
        };
        let p = Page::parse(6, b.encode(geo(), 3).unwrap(), geo()).unwrap();
        assert_eq!(p.to_node(), b);
        assert_eq!(
            [b"a" as &[u8], b"m", b"n", b"t", b"z"].map(|k| p.child(p.child_index(k))),
            [10, 11, 11, 12, 12]
        );
    }

    #[test]
    fn splits_fit_and_fill_both_halves() {
        let g = geo();
        for append in [false, true] {
            for vlen in [0, 5, 40, 90] {
                let mut n = Node::leaf(vec![]);
                let mut i = 0;
                while n.fits(g) {
                    n.cells
                        .push(leaf_cell(&format!("key{i:04}"), &"v".repeat(vlen)));
                    i += 1;
                }
                let (l, sep, r) = n.split(g, append).unwrap();
                assert!(l.fits(g) && r.fits(g), "{vlen} {append}");
                assert!(!l.underfull(g) && !r.underfull(g), "{vlen} {append}");
                assert!(l.cells.last().unwrap().key < sep && sep <= r.cells[0].key);
            }
        }
    }

    #[test]
    fn separators_are_short() {
        assert_eq!(separator(b"apple", b"apricot"), b"apr");
        assert_eq!(separator(b"ab", b"abc"), b"abc");
        assert_eq!(separator(b"", b"x"), b"x");
        assert_eq!(separator(b"a", b"b"), b"b");
    }

    #[test]
    fn damaged_layouts_are_refused_not_followed() {
        let n = Node::leaf(vec![leaf_cell("key", "value")]);
        let good = n.encode(geo(), 1).unwrap();
        let mut bad = good.clone();
        put_u16(&mut bad, 6, 300); // more slots than fit
        assert!(Page::parse(2, bad, geo()).is_err());
        let mut bad = good.clone();
        put_u16(&mut bad, HEADER, 4); // a cell inside the header
        assert!(Page::parse(2, bad, geo()).is_err());
        let mut bad = good.clone();
        let off = get_u16(&good, HEADER) as usize;
        put_u32(&mut bad, off + 3, 1000); // a value running past the end
        assert!(Page::parse(2, bad, geo()).is_err());
        let mut bad = good;
        bad[off + 2] = 9;
        assert!(Page::parse(2, bad, geo()).is_err());
    }

    #[test]
    fn cmp_keys_orders_as_bytes() {
        // Keys that differ at every position, in the first 8 bytes and after, with the
        // bytes that a signed or little-endian comparison would misorder, and prefixes.
        let mut keys: Vec<Vec<u8>> = vec![Vec::new()];
        for len in [1, 7, 8, 9, 16, 17] {
            for at in 0..len {
                for b in [0u8, 1, 0x7f, 0x80, 0xff] {
                    let mut k = vec![0x80u8; len];
                    k[at] = b;
                    keys.push(k);
                }
            }
        }
        for a in &keys {
            for b in &keys {
                assert_eq!(cmp_keys(a, b), a.cmp(b), "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn search_agrees_with_slice_order() {
        // Short keys (read as a word that runs past them, or at the page's end where no
        // word fits), keys with zero bytes, equal first 8 bytes, in leaves and branches.
        let mut keys: Vec<Vec<u8>> = vec![
            vec![],
            vec![0],
            vec![0, 0],
            vec![1],
            vec![1, 0],
            vec![1, 0, 0, 0, 0, 0, 0, 0],
            vec![1, 0, 0, 0, 0, 0, 0, 0, 0],
            vec![1, 0, 0, 0, 0, 0, 0, 0, 5],
            vec![1, 2, 3],
            vec![0x80; 7],
            vec![0x80; 8],
            vec![0x80; 12],
            vec![0xff],
            vec![0xff; 9],
        ];
        keys.sort();
        let mut probes = keys.clone();
        for k in &keys {
            probes.extend([
                [k.as_slice(), &[0]].concat(),
                [k.as_slice(), &[0xff]].concat(),
            ]);
        }
        for leaf in [true, false] {
            // Each order of cells in the page: the last key's cell at the page's end, or
            // the first's.
            for rev in [false, true] {
                let cells: Vec<Cell> = keys
                    .iter()
                    .enumerate()
                    .map(|(i, k)| Cell {
                        key: k.clone(),
                        val: if leaf {
                            Val::Inline(Vec::new())
                        } else {
                            Val::Child(100 + i as u64)
                        },
                    })
                    .collect();
                let n = Node {
                    leaf,
                    left: if leaf { 0 } else { 99 },
                    cells,
                };
                let mut bytes = n.encode(geo(), 3).unwrap();
                if rev {
                    // The same cells laid out from the page's end in the other order.
                    let slots = if leaf { HEADER } else { HEADER + 8 };
                    let mut out = bytes.clone();
                    let mut end = bytes.len();
                    for (i, c) in n.cells.iter().enumerate().rev() {
                        let at = get_u16(&bytes, slots + 2 * i) as usize;
                        let size = c.size() - 2;
                        end -= size;
                        out[end..end + size].copy_from_slice(&bytes[at..at + size]);
                        put_u16(&mut out, slots + 2 * i, end as u16);
                    }
                    bytes = out;
                }
                let p = Page::parse(5, bytes, geo()).unwrap();
                for probe in &probes {
                    assert_eq!(
                        p.search(probe),
                        keys.binary_search(probe),
                        "leaf {leaf} probe {probe:?}"
                    );
                }
            }
        }
    }
}
