//! Put and delete, copy-on-write. The common case is edited in place: the path from the
//! root to the leaf is looked up without changing anything, then every page on it is made
//! this transaction's own (copied once to a free page, the old one freed; a page the
//! transaction already wrote is not copied again) and the cell is inserted into or removed
//! from the leaf's slot array ([`crate::format::edit`]), nothing else of the page decoded.
//! A leaf that overflows first shares its cells with its siblings under the same parent
//! (their cells copied between pages as they lie), or with them becomes one page more (a
//! B*-tree's 2-to-3 or 3-to-4 split), the parent's separators changed in place; a leaf
//! without siblings, or at the tree's end, is decoded and split in two. A parent that
//! overflows in turn splits in two, up to a new root.
//!
//! What may need rebalancing goes the general way: the path is decoded, changed and
//! written bottom-up, and on the way up each parent settles its changed child:
//!
//! - a child that no longer fits a page splits in two and the parent gains a key;
//! - a child under a fifth full (not the root) is merged with a sibling if both fit in one
//!   page, and otherwise borrows from it (the two share their cells evenly), so a shrinking
//!   tree gives its pages back;
//! - a root branch left with one child is replaced by it, a root leaf left empty by nothing.
//!
//! Values too large for a leaf go to a chain of overflow pages.

use super::{tree_page, walk_overflow, OVERFLOW_DATA, OVERFLOW_LEN, OVERFLOW_NEXT};
use crate::cache::Buf;
use crate::error::{Error, Result};
use crate::format::edit::{self, cell_size, payload, NewCell};
use crate::format::node::{
    encode_leaf, leaf_cell_key, plan_even, separator, Cell, Node, Page, Val, ValRef, BRANCH_CELL,
};
use crate::format::{put_header, put_u32, put_u64, Kind, MAX_VALUE_LEN};
use crate::tree::Source;
use crate::txn::WriteTxn;
use std::sync::Arc;

/// A page on the way from the root to a leaf: its number, the child taken (in the leaf,
/// the entry's place) and its number of cells.
/// A leaf that overflows shares its cells with its siblings if together they then keep at
/// least this part of a page free: an eighth. Less slack shares more often, each time
/// writing the siblings too, for fuller pages.
const SHARE_SLACK: usize = 8;

#[derive(Clone, Copy, Debug)]
struct Step {
    pgno: u64,
    idx: usize,
    n: usize,
}

impl WriteTxn<'_> {
    /// Sets `key` to `value`. Keys are at most a quarter page less 64 bytes (960 bytes with
    /// 4 KiB pages), values at most 1 GiB.
    pub fn put(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        let max = self.geo().max_key();
        if key.len() > max {
            return Err(Error::KeyTooLarge {
                len: key.len(),
                max,
            });
        }
        if value.len() > MAX_VALUE_LEN {
            return Err(Error::ValueTooLarge {
                len: value.len(),
                max: MAX_VALUE_LEN,
            });
        }
        self.guarded(|t| t.put_inner(key, value))
    }

    /// Removes `key`; whether it was there.
    pub fn delete(&mut self, key: &[u8]) -> Result<bool> {
        if key.len() > self.geo().max_key() {
            return Ok(false);
        }
        self.guarded(|t| t.delete_inner(key))
    }

    /// Runs a change; if it fails part-way, the transaction cannot commit.
    fn guarded<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if self.failed {
            return Err(Error::Io(std::io::Error::other(
                "an operation of this transaction failed part-way; drop it",
            )));
        }
        self.failed = true;
        let r = f(self)?;
        self.failed = false;
        self.changed = true;
        Ok(r)
    }

    fn put_inner(&mut self, key: &[u8], value: &[u8]) -> Result<()> {
        let new = if self.geo().inline(key.len(), value.len()) {
            NewCell::Inline { key, value }
        } else {
            NewCell::Overflow {
                key,
                len: value.len() as u32,
                first: self.write_overflow(value)?,
            }
        };
        let owned = |c: &NewCell<'_>| Cell {
            key: key.to_vec(),
            val: match *c {
                NewCell::Overflow { len, first, .. } => Val::Overflow { len, first },
                _ => Val::Inline(value.to_vec()),
            },
        };
        let root = self.meta.root;
        if root == 0 {
            self.meta.root = self.write_node(None, Node::leaf(vec![owned(&new)]))?;
            self.meta.depth = 1;
            self.meta.entries = 1;
            return Ok(());
        }
        let (mut path, found, leaf) = self.descend(key)?;
        let geo = self.geo();
        let old_leaf = leaf.pgno;
        let broken = || Error::corrupt(old_leaf, "broken cells");
        let (old_size, old) = match found {
            Ok(i) => (
                cell_size(leaf.bytes(), i).ok_or_else(broken)?,
                match leaf.value(i) {
                    ValRef::Overflow { len, first } => Some((len, first)),
                    ValRef::Inline(_) => None,
                },
            ),
            Err(_) => (0, None),
        };
        // The common case needs no sum over the leaf's cells: the cell fits in the gap
        // and the leaf does not shrink.
        let quick = new.size() >= old_size && edit::gap(leaf.bytes()) >= new.size();
        let after = if quick {
            0
        } else {
            let used = payload(leaf.bytes()).ok_or_else(broken)?;
            used - old_size.min(used) + new.size()
        };
        if !quick && after < geo.min_fill() && path.len() > 1 {
            // A replaced value much smaller: the leaf may have to merge.
            drop(leaf);
            let (node, append) = self.put_rec(root, 1, owned(&new), true)?;
            return self.finish_root(root, node, append);
        }
        if let Some((len, first)) = old {
            for pg in walk_overflow(self, old_leaf, first, len, None)? {
                self.free_page(pg);
            }
        }
        self.cow_path(&mut path, Some(leaf))?;
        let at = path.len() - 1;
        let pg = path[at].pgno;
        let i = match found {
            Ok(i) | Err(i) => i,
        };
        if found.is_err() {
            self.meta.entries += 1;
        }
        if quick || after <= geo.usable() {
            let p = self.dirty_mut(pg)?;
            if found.is_ok() {
                edit::remove(p, i);
            }
            return match edit::insert(p, i, &new) {
                Some(true) => Ok(()),
                _ => Err(Error::corrupt(old_leaf, "its cells cannot be rearranged")),
            };
        }
        // The leaf splits.
        let append = found.is_err() && i == path[at].n && path[..at].iter().all(|s| s.idx == s.n);
        if !append && at > 0 && self.share(&path, i, found.is_ok(), &new)? {
            return Ok(());
        }
        let mut node = self.node(pg)?.to_node();
        match found {
            Ok(i) => node.cells[i] = owned(&new),
            Err(i) => node.cells.insert(i, owned(&new)),
        }
        self.split_up(&path, node, append)
    }

    /// The leaf at the end of `path` (this transaction's) overflows with `new` as its cell
    /// `i` (in place of the cell there if `replace`). As a B*-tree does, it shares its
    /// cells with its siblings under the same parent before it splits:
    ///
    /// - with the emptier neighbour, if the two keep [`SHARE_SLACK`] free (one more page
    ///   written);
    /// - else with both neighbours, if the three keep it free (two more);
    /// - else they (two or three) become one page more, each as full as the others: about
    ///   two thirds full after a 2-to-3 split, three quarters after a 3-to-4.
    ///
    /// The cells are copied between pages as they lie, none decoded. `false` (nothing
    /// changed) if the leaf has no sibling or no cut works (large cells): it splits in two.
    fn share(&mut self, path: &[Step], i: usize, replace: bool, new: &NewCell<'_>) -> Result<bool> {
        let at = path.len() - 1;
        let geo = self.geo();
        let (me, parent) = (path[at].pgno, path[at - 1]);
        let pp = self.node(parent.pgno)?;
        let (idx, level) = (parent.idx, at as u32 + 1);
        // The window of siblings: the leaf and its neighbours under the same parent.
        let (lo, hi) = (idx.saturating_sub(1), (idx + 1).min(pp.len()));
        if lo == hi {
            return Ok(false);
        }
        let pages = (lo..=hi)
            .map(|c| {
                if c == idx {
                    self.node(me)
                } else {
                    tree_page(self, pp.child(c), level)
                }
            })
            .collect::<Result<Vec<Page>>>()?;
        // Every cell of the window is read below, in the order of the slots, not of the
        // bytes: the whole pages asked for at once rather than a miss waited for per cell.
        for p in &pages {
            p.prefetch();
        }
        let new_bytes = new.to_bytes();
        let mut cells: Vec<Vec<&[u8]>> = pages
            .iter()
            .map(|p| (0..p.len()).map(|j| p.raw_leaf_cell(j)).collect())
            .collect();
        let mine = &mut cells[idx - lo];
        if replace {
            mine[i] = &new_bytes;
        } else {
            mine.insert(i, &new_bytes);
        }
        let used: Vec<usize> = cells
            .iter()
            .map(|c| c.iter().map(|x| x.len() + 2).sum())
            .collect();
        let room = |n: usize| n * geo.usable() - geo.usable() / SHARE_SLACK;
        // The neighbour to share with: one this transaction has already written if the two
        // keep the slack free (sharing then writes no page more), else the emptier.
        let fits = |c: usize| used[idx - lo] + used[c - lo] <= room(2);
        let neighbours = || [lo, hi].into_iter().filter(|&c| c != idx);
        let written_fits =
            neighbours().find(|&c| fits(c) && self.dirty.contains_key(&pages[c - lo].pgno));
        let emptier = written_fits
            .or_else(|| neighbours().min_by_key(|&c| used[c - lo]))
            .unwrap_or(hi);
        let (from, to, parts) = if fits(emptier) {
            (idx.min(emptier), idx.max(emptier), 2)
        } else if used.len() == 3 && used.iter().sum::<usize>() <= room(3) {
            (lo, hi, 3)
        } else {
            (lo, hi, hi - lo + 2)
        };
        let window: Vec<&[u8]> = cells[from - lo..=to - lo].concat();
        let sizes: Vec<usize> = window.iter().map(|c| c.len() + 2).collect();
        let Some(cuts) = plan_even(geo, &sizes, true, parts) else {
            return Ok(false);
        };
        let seps: Vec<Vec<u8>> = cuts
            .iter()
            .map(|&k| separator(leaf_cell_key(window[k - 1]), leaf_cell_key(window[k])))
            .collect();
        // Shorter separators shrink the parent: not below the fill rule (the root aside),
        // which only the general path's rebalancing could mend. Split instead.
        let removed: usize = (from..to).map(|c| 2 + BRANCH_CELL + pp.key(c).len()).sum();
        let added: usize = seps.iter().map(|k| 2 + BRANCH_CELL + k.len()).sum();
        if added < removed && at > 1 && pp.payload() + added < removed + geo.min_fill() {
            return Ok(false);
        }
        let bounds: Vec<usize> = std::iter::once(0)
            .chain(cuts.iter().copied())
            .chain(std::iter::once(window.len()))
            .collect();
        let txn = self.meta.txn;
        let mut written = Vec::with_capacity(parts);
        for (k, part) in bounds.windows(2).enumerate() {
            let mut page = self.db.cache.buffer(geo.page_size);
            let fits = Arc::get_mut(&mut page)
                .is_some_and(|p| encode_leaf(p, geo, txn, &window[part[0]..part[1]]));
            if !fits {
                return Err(Error::corrupt(me, "its cells cannot be shared"));
            }
            let old = pages.get(from - lo + k).filter(|_| from + k <= to);
            written.push(self.write_page(old.map(|p| p.pgno), page)?);
        }
        let cells = seps.into_iter().zip(written[1..].iter().copied()).collect();
        self.reseat(&path[..at], from, written[0], to - from, cells)?;
        Ok(true)
    }

    /// Replaces `removed` cells of the branch at the end of `path` (this transaction's),
    /// from cell `li` on, with `cells` (key, child), child `li` becoming `left`: in place if
    /// they fit, else by splitting the branch up the path.
    fn reseat(
        &mut self,
        path: &[Step],
        li: usize,
        left: u64,
        removed: usize,
        cells: Vec<(Vec<u8>, u64)>,
    ) -> Result<()> {
        let pg = path[path.len() - 1].pgno;
        let broken = || Error::corrupt(pg, "its cells cannot be rearranged");
        let p = self.dirty_mut(pg)?;
        edit::set_child(p, li, left).ok_or_else(broken)?;
        for _ in 0..removed {
            edit::remove(p, li);
        }
        let mut rest = cells.into_iter().enumerate();
        for (k, (key, child)) in rest.by_ref() {
            let cell = NewCell::Branch { key: &key, child };
            match edit::insert(self.dirty_mut(pg)?, li + k, &cell) {
                Some(true) => continue,
                Some(false) => {
                    let mut node = self.node(pg)?.to_node();
                    let branch = |key, child| Cell {
                        key,
                        val: Val::Child(child),
                    };
                    node.cells.insert(li + k, branch(key, child));
                    for (k, (key, child)) in rest {
                        node.cells.insert(li + k, branch(key, child));
                    }
                    return self.split_up(path, node, false);
                }
                None => return Err(broken()),
            }
        }
        Ok(())
    }

    /// The path from the root to the leaf where `key` is or belongs, its place there, and
    /// the leaf.
    fn descend(&self, key: &[u8]) -> Result<(Vec<Step>, std::result::Result<usize, usize>, Page)> {
        let (mut pgno, depth) = (self.meta.root, self.meta.depth);
        let mut path = Vec::with_capacity(depth as usize);
        for level in 1..=depth {
            let page = tree_page(self, pgno, level)?;
            let n = page.len();
            if page.is_leaf() {
                let found = page.search(key);
                path.push(Step {
                    pgno,
                    idx: found.unwrap_or_else(|i| i),
                    n,
                });
                return Ok((path, found, page));
            }
            let idx = page.child_index(key);
            path.push(Step { pgno, idx, n });
            pgno = page.child(idx);
        }
        Err(Error::corrupt(pgno, "a tree with a root but no depth"))
    }

    /// Makes every page of `path` this transaction's own (a page already written by it is
    /// changed in place; any other is copied to a free page, the old one freed), and points
    /// each parent, and the root, at the copy. `leaf`, the last page as looked up, is
    /// copied from without looking it up again.
    fn cow_path(&mut self, path: &mut [Step], mut leaf: Option<Page>) -> Result<()> {
        let mut parent: Option<(u64, usize)> = None;
        for step in path.iter_mut() {
            let old = step.pgno;
            let looked_up = leaf.take_if(|p| p.pgno == old);
            let pg = if self.dirty.contains_key(&old) {
                old
            } else {
                let mut copy: Buf = match looked_up {
                    Some(p) => self.db.cache.copy_of(p.bytes()),
                    None => self.db.cache.copy_of(&self.raw(old)?),
                };
                if let Some(c) = Arc::get_mut(&mut copy) {
                    put_u64(c, 8, self.meta.txn);
                }
                self.free_page(old);
                let pg = self.alloc()?;
                self.dirty.insert(pg, copy);
                self.replaces(pg, old);
                pg
            };
            step.pgno = pg;
            match parent {
                Some((ppg, idx)) => edit::set_child(self.dirty_mut(ppg)?, idx, pg)
                    .ok_or_else(|| Error::corrupt(ppg, "a child outside the page"))?,
                None => self.meta.root = pg,
            }
            parent = Some((pg, step.idx));
        }
        Ok(())
    }

    /// This transaction's page `pg`, to change.
    fn dirty_mut(&mut self, pg: u64) -> Result<&mut [u8]> {
        self.dirty
            .get_mut(&pg)
            .map(Arc::make_mut)
            .ok_or_else(|| Error::corrupt(pg, "not written by this transaction"))
    }

    /// Splits `node`, the new content of the last page of `path` (this transaction's),
    /// and puts the separator into the parent, in place if it fits, else splitting it in
    /// turn, up to a new root.
    fn split_up(&mut self, path: &[Step], mut node: Node, mut append: bool) -> Result<()> {
        let geo = self.geo();
        let txn = self.meta.txn;
        let mut at = path.len() - 1;
        loop {
            let lp = path[at].pgno;
            let (l, sep, r) = node
                .split(geo, append)
                .map_err(|_| Error::corrupt(lp, "its cells cannot be split into two pages"))?;
            let l = l
                .encode(geo, txn)
                .ok_or_else(|| Error::corrupt(lp, "a node larger than a page"))?;
            self.dirty.insert(lp, Arc::from(l));
            let rp = self.write_node(None, r)?;
            if at == 0 {
                let root = Node {
                    leaf: false,
                    left: lp,
                    cells: vec![Cell {
                        key: sep,
                        val: Val::Child(rp),
                    }],
                };
                self.meta.root = self.write_node(None, root)?;
                self.meta.depth += 1;
                return Ok(());
            }
            at -= 1;
            let parent = &path[at];
            let cell = NewCell::Branch {
                key: &sep,
                child: rp,
            };
            match edit::insert(self.dirty_mut(parent.pgno)?, parent.idx, &cell) {
                Some(true) => return Ok(()),
                Some(false) => {}
                None => {
                    return Err(Error::corrupt(
                        parent.pgno,
                        "its cells cannot be rearranged",
                    ))
                }
            }
            append = append && parent.idx == parent.n;
            node = self.node(parent.pgno)?.to_node();
            node.cells.insert(
                parent.idx,
                Cell {
                    key: sep,
                    val: Val::Child(rp),
                },
            );
        }
    }

    /// Puts `cell` into the subtree at `pgno` (at `level`); returns the subtree's new root
    /// node, not yet written, and whether the change was an append at the tree's end.
    fn put_rec(
        &mut self,
        pgno: u64,
        level: u32,
        cell: Cell,
        rightmost: bool,
    ) -> Result<(Node, bool)> {
        let page = tree_page(self, pgno, level)?;
        let mut node = page.to_node();
        if page.is_leaf() {
            return match page.search(&cell.key) {
                Ok(i) => {
                    let old = std::mem::replace(&mut node.cells[i], cell);
                    self.free_value(&old, pgno)?;
                    Ok((node, false))
                }
                Err(i) => {
                    let append = rightmost && i == node.cells.len();
                    node.cells.insert(i, cell);
                    self.meta.entries += 1;
                    Ok((node, append))
                }
            };
        }
        let i = page.child_index(&cell.key);
        let child = page.child(i);
        let last = i == page.len();
        let (c, append) = self.put_rec(child, level + 1, cell, rightmost && last)?;
        self.settle(&mut node, i, child, c, level + 1, append)?;
        Ok((node, append && last))
    }

    fn delete_inner(&mut self, key: &[u8]) -> Result<bool> {
        let root = self.meta.root;
        if root == 0 {
            return Ok(false);
        }
        let (mut path, found, leaf) = self.descend(key)?;
        let Ok(i) = found else {
            return Ok(false);
        };
        let old_leaf = leaf.pgno;
        let broken = || Error::corrupt(old_leaf, "broken cells");
        let after = payload(leaf.bytes())
            .ok_or_else(broken)?
            .saturating_sub(cell_size(leaf.bytes(), i).ok_or_else(broken)?);
        let old = match leaf.value(i) {
            ValRef::Overflow { len, first } => Some((len, first)),
            ValRef::Inline(_) => None,
        };
        let last = leaf.len() == 1;
        drop(leaf);
        if path.len() > 1 && after < self.geo().min_fill() {
            // The leaf must merge with a sibling or borrow from it.
            let Some(node) = self.delete_rec(root, 1, key)? else {
                return Ok(false);
            };
            self.meta.entries = self.meta.entries.saturating_sub(1);
            self.finish_root(root, node, false)?;
            return Ok(true);
        }
        if let Some((len, first)) = old {
            for pg in walk_overflow(self, old_leaf, first, len, None)? {
                self.free_page(pg);
            }
        }
        self.meta.entries = self.meta.entries.saturating_sub(1);
        if path.len() == 1 && last {
            self.free_page(root);
            self.meta.root = 0;
            self.meta.depth = 0;
            return Ok(true);
        }
        self.cow_path(&mut path, None)?;
        let pg = path[path.len() - 1].pgno;
        edit::remove(self.dirty_mut(pg)?, i);
        Ok(true)
    }

    /// Removes `key` from the subtree at `pgno`: its new root node, or `None` if the key
    /// is not there (nothing changed).
    fn delete_rec(&mut self, pgno: u64, level: u32, key: &[u8]) -> Result<Option<Node>> {
        let page = tree_page(self, pgno, level)?;
        if page.is_leaf() {
            let Ok(i) = page.search(key) else {
                return Ok(None);
            };
            let mut node = page.to_node();
            let old = node.cells.remove(i);
            self.free_value(&old, pgno)?;
            return Ok(Some(node));
        }
        let i = page.child_index(key);
        let child = page.child(i);
        let Some(c) = self.delete_rec(child, level + 1, key)? else {
            return Ok(None);
        };
        let mut node = page.to_node();
        self.settle(&mut node, i, child, c, level + 1, false)?;
        Ok(Some(node))
    }

    /// Writes `c`, the new version of `parent`'s child `i` (until now page `old`, at
    /// `level`), splitting it or rebalancing it with a sibling as it needs.
    fn settle(
        &mut self,
        parent: &mut Node,
        i: usize,
        old: u64,
        c: Node,
        level: u32,
        append: bool,
    ) -> Result<()> {
        let geo = self.geo();
        if !c.fits(geo) {
            let (l, sep, r) = c
                .split(geo, append)
                .map_err(|_| Error::corrupt(old, "its cells cannot be split into two pages"))?;
            let lp = self.write_node(Some(old), l)?;
            let rp = self.write_node(None, r)?;
            parent.set_child(i, lp);
            parent.cells.insert(
                i,
                Cell {
                    key: sep,
                    val: Val::Child(rp),
                },
            );
            return Ok(());
        }
        if !c.underfull(geo) || parent.cells.is_empty() {
            let pg = self.write_node(Some(old), c)?;
            parent.set_child(i, pg);
            return Ok(());
        }
        // Underfull: with the left sibling, or the right one for the first child.
        let (li, sibling) = if i > 0 { (i - 1, i - 1) } else { (0, 1) };
        let sib_pg = parent.child(sibling);
        let sib = tree_page(self, sib_pg, level)?.to_node();
        let ((left, left_pg), (right, right_pg)) = if i > 0 {
            ((sib, sib_pg), (c, old))
        } else {
            ((c, old), (sib, sib_pg))
        };
        let sep = parent.cells[li].key.clone();
        let joined = Node::join(left, sep, right);
        if joined.fits(geo) {
            let pg = self.write_node(Some(left_pg), joined)?;
            self.free_page(right_pg);
            parent.cells.remove(li);
            parent.set_child(li, pg);
        } else {
            let (l, sep, r) = joined
                .split(geo, false)
                .map_err(|_| Error::corrupt(old, "its cells cannot be shared with a sibling"))?;
            let lp = self.write_node(Some(left_pg), l)?;
            let rp = self.write_node(Some(right_pg), r)?;
            parent.set_child(li, lp);
            parent.set_child(li + 1, rp);
            parent.cells[li].key = sep;
        }
        Ok(())
    }

    /// Writes the new root node (until now page `old`).
    fn finish_root(&mut self, old: u64, node: Node, append: bool) -> Result<()> {
        let geo = self.geo();
        if !node.fits(geo) {
            let (l, sep, r) = node
                .split(geo, append)
                .map_err(|_| Error::corrupt(old, "its cells cannot be split into two pages"))?;
            let lp = self.write_node(Some(old), l)?;
            let rp = self.write_node(None, r)?;
            let root = Node {
                leaf: false,
                left: lp,
                cells: vec![Cell {
                    key: sep,
                    val: Val::Child(rp),
                }],
            };
            self.meta.root = self.write_node(None, root)?;
            self.meta.depth += 1;
        } else if node.cells.is_empty() {
            self.free_page(old);
            if node.leaf {
                self.meta.root = 0;
                self.meta.depth = 0;
            } else {
                self.meta.root = node.left;
                self.meta.depth -= 1;
            }
        } else {
            self.meta.root = self.write_node(Some(old), node)?;
        }
        Ok(())
    }

    /// Writes `node` in place of page `old` (in the same page if this transaction wrote
    /// it, else in a new one, `old` going to the free list); returns its page.
    fn write_node(&mut self, old: Option<u64>, node: Node) -> Result<u64> {
        let page = node
            .encode(self.geo(), self.meta.txn)
            .ok_or_else(|| Error::corrupt(old.unwrap_or(0), "a node larger than a page"))?;
        self.write_page(old, Arc::from(page))
    }

    /// Writes `page` in place of page `old`, as [`Self::write_node`] does; returns its page.
    fn write_page(&mut self, old: Option<u64>, page: Buf) -> Result<u64> {
        let pg = match old {
            Some(p) if self.dirty.contains_key(&p) => p,
            Some(p) => {
                self.free_page(p);
                let pg = self.alloc()?;
                self.replaces(pg, p);
                pg
            }
            None => self.alloc()?,
        };
        if let Some(before) = self.dirty.insert(pg, page) {
            self.db.cache.recycle(before);
        }
        Ok(pg)
    }

    /// Writes `value` to a new chain of overflow pages; returns the first.
    fn write_overflow(&mut self, value: &[u8]) -> Result<u64> {
        let geo = self.geo();
        let cap = geo.overflow_data();
        let pages = (0..value.len().div_ceil(cap))
            .map(|_| self.alloc())
            .collect::<Result<Vec<u64>>>()?;
        for (k, chunk) in value.chunks(cap).enumerate() {
            let mut p = vec![0u8; geo.page_size];
            put_header(&mut p, Kind::Overflow, 0, self.meta.txn);
            put_u64(
                &mut p,
                OVERFLOW_NEXT,
                pages.get(k + 1).copied().unwrap_or(0),
            );
            put_u32(&mut p, OVERFLOW_LEN, chunk.len() as u32);
            p[OVERFLOW_DATA..OVERFLOW_DATA + chunk.len()].copy_from_slice(chunk);
            self.dirty.insert(pages[k], Arc::from(p));
        }
        Ok(pages[0])
    }

    /// Frees the overflow pages of a value being replaced or deleted (from leaf `owner`).
    fn free_value(&mut self, cell: &Cell, owner: u64) -> Result<()> {
        if let Val::Overflow { len, first } = cell.val {
            for pg in walk_overflow(self, owner, first, len, None)? {
                self.free_page(pg);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    //! Redistribution on overflow, seen in the leaves' cell counts: 512-byte pages, cells of
    //! 47 bytes (8-byte keys, 30-byte values), so a leaf holds at most 10.

    use crate::tree::{tree_page, Source};
    use crate::{Db, Options};
    use std::path::PathBuf;

    struct Temp(PathBuf);

    impl Drop for Temp {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    /// A file of 40 keys `k0000000`, `k0000010`, ... loaded in order: five leaves of 8
    /// (a split at the tree's end keeps the left page full but for the fifth of a page the
    /// right one needs), leaf i holding keys 80 i to 80 i + 70.
    fn five_leaves(tag: &str) -> (Temp, Db) {
        let t = Temp(std::env::temp_dir().join(format!(
            "btree-unit-{}-share-{tag}.btree",
            std::process::id()
        )));
        let _ = std::fs::remove_file(&t.0);
        let db = Db::open(
            &t.0,
            &Options {
                page_size: 512,
                ..Options::default()
            },
        )
        .unwrap();
        let mut w = db.write().unwrap();
        for i in 0..40 {
            w.put(&key(10 * i), &[b'v'; 30]).unwrap();
        }
        w.commit().unwrap();
        assert_eq!(leaves(&db), [8, 8, 8, 8, 8]);
        (t, db)
    }

    fn key(i: u32) -> Vec<u8> {
        format!("k{i:07}").into_bytes()
    }

    /// The cell count of each leaf, in key order (a tree of depth 2).
    fn leaves(db: &Db) -> Vec<usize> {
        let w = db.write().unwrap();
        let (root, depth) = w.root();
        assert_eq!(depth, 2);
        let r = tree_page(&w, root, 1).unwrap();
        (0..=r.len())
            .map(|i| tree_page(&w, r.child(i), 2).unwrap().len())
            .collect()
    }

    /// Puts and deletes in one commit; then `check` finds nothing wrong and every key is
    /// there or gone as it should be.
    fn commit(db: &Db, put: &[u32], del: &[u32]) {
        let mut w = db.write().unwrap();
        for &i in del {
            assert!(w.delete(&key(i)).unwrap());
        }
        for &i in put {
            w.put(&key(i), &[b'n'; 30]).unwrap();
        }
        w.commit().unwrap();
        let report = db.check().unwrap();
        assert!(report.problems.is_empty(), "{:#?}", report.problems);
        let r = db.read().unwrap();
        for &i in put {
            assert_eq!(r.get(&key(i)).unwrap().as_deref(), Some(&[b'n'; 30][..]));
        }
        for &i in del {
            assert_eq!(r.get(&key(i)).unwrap(), None);
        }
        let n = r
            .range(std::ops::Bound::Unbounded, std::ops::Bound::Unbounded)
            .count();
        assert_eq!(n as u64, db.check().unwrap().stats.entries);
    }

    #[test]
    fn an_overflowing_leaf_shares_with_its_right_sibling_if_it_has_room() {
        let (_t, db) = five_leaves("right");
        commit(&db, &[], &[160, 170, 180, 190]);
        assert_eq!(leaves(&db), [8, 8, 4, 8, 8]);
        // Leaf 1 overflows at its 11th cell; leaf 2 has more room than leaf 0: the 15
        // cells of leaves 1 and 2 are shared, no new page.
        commit(&db, &[101, 102, 103], &[]);
        assert_eq!(leaves(&db), [8, 7, 8, 8, 8]);
    }

    #[test]
    fn an_overflowing_leaf_shares_with_its_left_sibling_if_it_has_room() {
        let (_t, db) = five_leaves("left");
        commit(&db, &[], &[0, 10, 20, 30]);
        commit(&db, &[101, 102, 103], &[]);
        assert_eq!(leaves(&db), [7, 8, 8, 8, 8]);
        // The last leaf shares with the one before it too, when the insert is not at the
        // tree's end.
        commit(&db, &[], &[240, 250, 260, 270]);
        assert_eq!(leaves(&db), [7, 8, 8, 4, 8]);
        commit(&db, &[321, 322, 323], &[]);
        assert_eq!(leaves(&db), [7, 8, 8, 7, 8]);
    }

    #[test]
    fn an_overflowing_leaf_shares_with_a_neighbour_the_transaction_wrote_before_the_emptier() {
        let (_t, db) = five_leaves("written");
        commit(&db, &[], &[0, 10, 20, 30, 160, 170]);
        assert_eq!(leaves(&db), [4, 8, 6, 8, 8]);
        // Leaf 2 is written first (161); leaf 1 then overflows at its 11th cell. Leaf 0 is
        // emptier, but the 18 cells of leaves 1 and 2 keep the slack too, and leaf 2 is
        // already this transaction's: shared with it, leaf 0 not written.
        commit(&db, &[161, 101, 102, 103], &[]);
        assert_eq!(leaves(&db), [4, 9, 9, 8, 8]);
    }

    #[test]
    fn an_overflowing_leaf_shares_with_both_siblings_if_one_has_not_room_enough() {
        let (_t, db) = five_leaves("both");
        commit(&db, &[1, 161, 101, 102], &[]);
        assert_eq!(leaves(&db), [9, 10, 9, 8, 8]);
        // 20 cells do not leave two leaves an eighth of a page free, 29 leave three that.
        commit(&db, &[103], &[]);
        assert_eq!(leaves(&db), [10, 9, 10, 8, 8]);
    }

    #[test]
    fn two_full_leaves_and_one_more_cell_become_three() {
        let (_t, db) = five_leaves("three");
        commit(&db, &[1, 2, 101, 102], &[]);
        assert_eq!(leaves(&db), [10, 10, 8, 8, 8]);
        // The first leaf has one sibling: 21 cells in three pages, where a split in two
        // would leave 6, 5, 10.
        commit(&db, &[3], &[]);
        assert_eq!(leaves(&db), [7, 7, 7, 8, 8, 8]);
    }

    #[test]
    fn three_full_leaves_and_one_more_cell_become_four() {
        let (_t, db) = five_leaves("four");
        commit(&db, &[1, 2, 101, 102, 161, 162], &[]);
        assert_eq!(leaves(&db), [10, 10, 10, 8, 8]);
        commit(&db, &[103], &[]);
        assert_eq!(leaves(&db), [8, 8, 7, 8, 8, 8]);
        // Inserts at the tree's end still split without sharing, the left page kept full.
        commit(&db, &(0..20).map(|i| 1000 + i).collect::<Vec<_>>(), &[]);
        let l = leaves(&db);
        assert_eq!(l[l.len() - 4..l.len() - 1], [8, 8, 8], "{l:?}");
    }
}
