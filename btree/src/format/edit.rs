//! Changing a branch or leaf page in place, in the writer's own copy: inserting a cell into
//! the slot array, removing one, pointing a child elsewhere, without decoding the page's
//! other cells and without allocating per cell.
//!
//! A new cell goes into the free gap between the slot array and the lowest cell; a removed
//! cell leaves a hole that is reclaimed when a later insert finds the gap too small and the
//! page is compacted (its cells packed again at the end, in slot order). Every offset read
//! from the page is checked against it, so a page that passed its layout check but is
//! garbage (cells overlapping) makes an edit fail, never panic or write outside the page.

use super::node::{BRANCH_CELL, LEAF_CELL};
use super::{get_u16, get_u32, page_count, page_kind, put_u16, put_u32, put_u64, Kind, HEADER};

const FLAG_OVERFLOW: u8 = 1;

/// A cell to insert, borrowing its key and value.
#[derive(Clone, Copy, Debug)]
pub(crate) enum NewCell<'a> {
    Inline { key: &'a [u8], value: &'a [u8] },
    Overflow { key: &'a [u8], len: u32, first: u64 },
    Branch { key: &'a [u8], child: u64 },
}

impl NewCell<'_> {
    /// Bytes the cell takes in a page, with its slot (as `Cell::size`).
    pub(crate) fn size(&self) -> usize {
        2 + match self {
            NewCell::Inline { key, value } => LEAF_CELL + key.len() + value.len(),
            NewCell::Overflow { key, .. } => LEAF_CELL + key.len() + 8,
            NewCell::Branch { key, .. } => BRANCH_CELL + key.len(),
        }
    }

    /// The cell as it lies in a page, without its slot.
    pub(crate) fn to_bytes(self) -> Vec<u8> {
        let mut out = vec![0u8; self.size() - 2];
        self.write(&mut out);
        out
    }

    /// Writes the cell (without its slot) to `out`, which is `size() - 2` bytes.
    fn write(&self, out: &mut [u8]) {
        match *self {
            NewCell::Inline { key, value } => {
                put_u16(out, 0, key.len() as u16);
                out[2] = 0;
                put_u32(out, 3, value.len() as u32);
                out[LEAF_CELL..LEAF_CELL + key.len()].copy_from_slice(key);
                out[LEAF_CELL + key.len()..].copy_from_slice(value);
            }
            NewCell::Overflow { key, len, first } => {
                put_u16(out, 0, key.len() as u16);
                out[2] = FLAG_OVERFLOW;
                put_u32(out, 3, len);
                out[LEAF_CELL..LEAF_CELL + key.len()].copy_from_slice(key);
                put_u64(out, LEAF_CELL + key.len(), first);
            }
            NewCell::Branch { key, child } => {
                put_u16(out, 0, key.len() as u16);
                put_u64(out, 2, child);
                out[BRANCH_CELL..].copy_from_slice(key);
            }
        }
    }
}

fn is_leaf(p: &[u8]) -> bool {
    page_kind(p) == Some(Kind::Leaf)
}

/// Where the slot array starts.
fn slots(p: &[u8]) -> usize {
    if is_leaf(p) {
        HEADER
    } else {
        HEADER + 8
    }
}

fn slot(p: &[u8], i: usize) -> usize {
    get_u16(p, slots(p) + 2 * i) as usize
}

/// Bytes of the cell at `off` (without its slot), if it lies inside the page.
fn cell_len(p: &[u8], off: usize) -> Option<usize> {
    let fixed = if is_leaf(p) { LEAF_CELL } else { BRANCH_CELL };
    if off + fixed > p.len() {
        return None;
    }
    let klen = get_u16(p, off) as usize;
    let len = if !is_leaf(p) {
        BRANCH_CELL + klen
    } else if p[off + 2] == FLAG_OVERFLOW {
        LEAF_CELL + klen + 8
    } else {
        LEAF_CELL + klen + get_u32(p, off + 3) as usize
    };
    (off + len <= p.len()).then_some(len)
}

/// Bytes cell `i` takes, with its slot.
pub(crate) fn cell_size(p: &[u8], i: usize) -> Option<usize> {
    cell_len(p, slot(p, i)).map(|l| l + 2)
}

/// Bytes the page's cells take after the header (as `Node::payload`).
pub(crate) fn payload(p: &[u8]) -> Option<usize> {
    let mut sum = if is_leaf(p) { 0 } else { 8 };
    for i in 0..page_count(p) as usize {
        sum += cell_size(p, i)?;
    }
    Some(sum)
}

/// Free bytes between the slot array and the lowest cell: a cell that takes no more,
/// with its slot, goes in without compacting the page.
pub(crate) fn gap(p: &[u8]) -> usize {
    let n = page_count(p) as usize;
    let low = (0..n).map(|j| slot(p, j)).min().unwrap_or(p.len());
    low.saturating_sub(slots(p) + 2 * n)
}

/// Removes cell `i` (its bytes stay, a hole, until the page is compacted).
pub(crate) fn remove(p: &mut [u8], i: usize) {
    let n = page_count(p) as usize;
    let s = slots(p);
    p.copy_within(s + 2 * (i + 1)..s + 2 * n, s + 2 * i);
    put_u16(p, 6, (n - 1) as u16);
}

/// Points a branch's child `i` (0..=cells) at `child`.
pub(crate) fn set_child(p: &mut [u8], i: usize, child: u64) -> Option<()> {
    let at = if i == 0 {
        HEADER
    } else {
        let off = slot(p, i - 1);
        (off + BRANCH_CELL <= p.len()).then_some(off + 2)?
    };
    put_u64(p, at, child);
    Some(())
}

/// Inserts `cell` as cell `i`: `Some(true)` if done, `Some(false)` if the page cannot
/// hold it (the page is then unchanged), `None` if the page's layout is broken.
pub(crate) fn insert(p: &mut [u8], i: usize, cell: &NewCell<'_>) -> Option<bool> {
    let n = page_count(p) as usize;
    let s = slots(p);
    let need = cell.size() - 2;
    let slots_end = s + 2 * (n + 1);
    let lowest = |p: &[u8]| (0..n).map(|j| slot(p, j)).min().unwrap_or(p.len());
    let mut low = lowest(p);
    if low < slots_end + need {
        if payload(p)? + cell.size() > p.len() - HEADER {
            return Some(false);
        }
        compact(p)?;
        low = lowest(p);
        if low < slots_end + need {
            return None;
        }
    }
    let off = low - need;
    cell.write(&mut p[off..low]);
    p.copy_within(s + 2 * i..s + 2 * n, s + 2 * i + 2);
    put_u16(p, s + 2 * i, off as u16);
    put_u16(p, 6, (n + 1) as u16);
    Some(true)
}

/// Packs the cells at the end of the page again, in slot order, closing the holes.
fn compact(p: &mut [u8]) -> Option<()> {
    let n = page_count(p) as usize;
    let s = slots(p);
    let old = p.to_vec();
    let mut end = p.len();
    for i in 0..n {
        let off = slot(&old, i);
        let len = cell_len(&old, off)?;
        end = end.checked_sub(len).filter(|&e| e >= s + 2 * n)?;
        p[end..end + len].copy_from_slice(&old[off..off + len]);
        put_u16(p, s + 2 * i, end as u16);
    }
    Some(())
}
