// SPDX-License-Identifier: GPL-2.0

//! The sources the device knows and the module's totals, behind one global mutex.
//!
//! A source is registered by the first valid record written to an open file, and belongs
//! to that file: it is removed when the file is released (the server closed it, exited or
//! was killed), so no row outlives its writer. Only the process (thread group) that
//! registered a source may update it. Every change and every snapshot happens under the
//! lock, so a reader always sees each row as one write left it.

use crate::record::{Counters, Name, Record};
use crate::table::{Row, Totals};
use kernel::{
    prelude::*,
    time::{Instant, Monotonic},
};

/// The identity of a registered source, kept by the file that registered it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct SourceId(u64);

/// The process that registered a source: the only one that may update it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Owner {
    /// Thread group id, as the process's own pid namespace numbers it (the table's PID).
    pub(crate) tgid: i32,
    /// That pid namespace (its address, for identity only).
    pub(crate) pid_ns: usize,
}

/// One registered source.
struct Source {
    id: SourceId,
    name: Name,
    owner: Owner,
    registered: Instant<Monotonic>,
    updated: Instant<Monotonic>,
    counters: Counters,
}

/// All the sources and the totals.
pub(crate) struct Registry {
    sources: KVec<Source>,
    next_id: u64,
    loaded: Option<Instant<Monotonic>>,
    totals: Totals,
}

kernel::sync::global_lock! {
    // SAFETY: `init()` is called once, in the module initialiser, before the device is
    // registered and so before any other use of the lock.
    pub(crate) unsafe(uninit) static REGISTRY: Mutex<Registry> = Registry {
        sources: KVec::new(),
        next_id: 1,
        loaded: None,
        totals: Totals {
            opens: 0,
            writes_accepted: 0,
            writes_rejected: 0,
            reads: 0,
        },
    };
}

/// Milliseconds since `since` (zero if the clock went backwards, which it does not).
fn ms_since(since: Instant<Monotonic>) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(0)
}

/// What a snapshot copies out under the lock.
pub(crate) struct Snapshot {
    pub(crate) uptime_ms: u64,
    pub(crate) totals: Totals,
    pub(crate) rows: KVec<Row>,
}

impl Registry {
    /// Marks the module as loaded now: the header's uptime counts from here.
    pub(crate) fn start(&mut self) {
        self.loaded = Some(Instant::now());
    }

    /// Counts an open of the device.
    pub(crate) fn count_open(&mut self) {
        self.totals.opens += 1;
    }

    /// Counts a table read.
    pub(crate) fn count_read(&mut self) {
        self.totals.reads += 1;
    }

    /// Counts a write that was refused (whatever the reason).
    pub(crate) fn count_rejected(&mut self) {
        self.totals.writes_rejected += 1;
    }

    /// Number of registered sources.
    pub(crate) fn len(&self) -> usize {
        self.sources.len()
    }

    /// Applies a valid record written by process `owner` to the file whose source is `*mine`:
    /// registers a source if the file has none yet (the record must name it, and there must
    /// be room for it: at most `max_sources`), or updates the file's source.
    ///
    /// Errors: `EINVAL` for a registration without a name, `ENOSPC` when the table is full,
    /// `EPERM` when `owner` did not register the source. Nothing changes on error.
    pub(crate) fn apply(
        &mut self,
        mine: &mut Option<SourceId>,
        record: &Record,
        owner: Owner,
        max_sources: usize,
    ) -> Result {
        let now = Instant::now();
        match *mine {
            None => {
                let name = record.name.ok_or(EINVAL)?;
                if self.sources.len() >= max_sources {
                    return Err(ENOSPC);
                }
                let mut counters = Counters::default();
                record.apply_to(&mut counters);
                let id = SourceId(self.next_id);
                self.sources.push(
                    Source {
                        id,
                        name,
                        owner,
                        registered: now,
                        updated: now,
                        counters,
                    },
                    GFP_KERNEL,
                )?;
                self.next_id += 1;
                *mine = Some(id);
            }
            Some(id) => {
                let source = self.find(id).ok_or(EINVAL)?;
                if source.owner != owner {
                    return Err(EPERM);
                }
                if let Some(name) = record.name {
                    source.name = name;
                }
                record.apply_to(&mut source.counters);
                source.updated = now;
            }
        }
        self.totals.writes_accepted += 1;
        Ok(())
    }

    fn find(&mut self, id: SourceId) -> Option<&mut Source> {
        self.sources.iter_mut().find(|s| s.id == id)
    }

    /// Frees the table itself. Called when the module unloads: a static is never dropped,
    /// so without this the vector's buffer would leak at every unload.
    pub(crate) fn release_memory(&mut self) {
        self.sources = KVec::new();
    }

    /// Removes a source (its file is being released).
    pub(crate) fn remove(&mut self, id: SourceId) {
        if let Some(i) = self.sources.iter().position(|s| s.id == id) {
            let _ = self.sources.remove(i);
        }
    }

    /// Zeroes the module totals, and the counters of source `mine` if `owner` owns it.
    pub(crate) fn reset(&mut self, mine: Option<SourceId>, owner: Owner) {
        self.totals = Totals::default();
        if let Some(source) = mine.and_then(|id| self.find(id)) {
            if source.owner == owner {
                source.counters = Counters::default();
            }
        }
    }

    /// Copies out the header figures and every row, as they are now.
    pub(crate) fn snapshot(&self) -> Result<Snapshot> {
        let mut rows = KVec::with_capacity(self.sources.len(), GFP_KERNEL)?;
        for s in self.sources.iter() {
            rows.push(
                Row {
                    name: s.name,
                    pid: s.owner.tgid,
                    uptime_ms: ms_since(s.registered),
                    idle_ms: ms_since(s.updated),
                    counters: s.counters,
                },
                GFP_KERNEL,
            )?;
        }
        Ok(Snapshot {
            uptime_ms: self.loaded.map(ms_since).unwrap_or(0),
            totals: self.totals,
            rows,
        })
    }
}
