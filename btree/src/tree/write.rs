//! Put and delete, copy-on-write: the path from the root to the leaf is decoded, changed
//! and written to new pages (or to the same page if this transaction already wrote it),
//! bottom-up. On the way up each parent settles its changed child:
//!
//! - a child that no longer fits a page splits in two and the parent gains a key;
//! - a child under a fifth full (not the root) is merged with a sibling if both fit in one
//!   page, and otherwise borrows from it (the two share their cells evenly), so a shrinking
//!   tree gives its pages back;
//! - a root branch left with one child is replaced by it, a root leaf left empty by nothing.
//!
//! Values too large for a leaf go to a chain of overflow pages.

use super::{tree_page, walk_overflow, OVERFLOW_DATA, OVERFLOW_LEN, OVERFLOW_NEXT};
use crate::error::{Error, Result};
use crate::format::node::{Cell, Node, Val};
use crate::format::{put_header, put_u32, put_u64, Kind, MAX_VALUE_LEN};
use crate::txn::WriteTxn;
use std::sync::Arc;

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
        let val = if self.geo().inline(key.len(), value.len()) {
            Val::Inline(value.to_vec())
        } else {
            Val::Overflow {
                len: value.len() as u32,
                first: self.write_overflow(value)?,
            }
        };
        let cell = Cell {
            key: key.to_vec(),
            val,
        };
        let root = self.meta.root;
        if root == 0 {
            self.meta.root = self.write_node(None, Node::leaf(vec![cell]))?;
            self.meta.depth = 1;
            self.meta.entries = 1;
            return Ok(());
        }
        let (node, append) = self.put_rec(root, 1, cell, true)?;
        self.finish_root(root, node, append)
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
        let Some(node) = self.delete_rec(root, 1, key)? else {
            return Ok(false);
        };
        self.meta.entries = self.meta.entries.saturating_sub(1);
        self.finish_root(root, node, false)?;
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
        let pg = match old {
            Some(p) if self.dirty.contains_key(&p) => p,
            Some(p) => {
                self.free_page(p);
                self.alloc()?
            }
            None => self.alloc()?,
        };
        let page = node
            .encode(self.geo(), self.meta.txn)
            .ok_or_else(|| Error::corrupt(pg, "a node larger than a page"))?;
        self.dirty.insert(pg, Arc::new(page));
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
            self.dirty.insert(pages[k], Arc::new(p));
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
