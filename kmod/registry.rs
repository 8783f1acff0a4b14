// SPDX-License-Identifier: GPL-2.0

//! The sources the device knows and the module's totals, behind one global mutex.
//!
//! A source is registered by the first valid record written to an open file, and belongs
//! to that file: it is removed when the file is released (the server closed it, exited or
//! was killed), so no row outlives its writer. Only the process (thread group) that
//! registered a source may update it. Every change and every snapshot happens under the
//! lock, so a reader always sees each row as one write left it.
//!
//! Nothing is allocated under the lock: the table of sources is allocated when the module
//! loads, for `max_sources` of them, so a write never allocates, and a snapshot reserves its
//! rows before it takes the lock ([`snapshot`]).

use crate::process::Process;
use crate::record::{Counters, Name, Record, TlsCounters};
use crate::table::{Row, Totals};
use kernel::{
    pid_namespace::PidNamespace,
    prelude::*,
    task::Kuid,
    time::{Instant, Monotonic},
};

/// The identity of a registered source, kept by the file that registered it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct SourceId(u64);

/// The process that writes a record, as the registry sees it.
pub(crate) struct Caller {
    /// The process (every thread of a process is the same one). A registration keeps this
    /// reference; otherwise it is dropped under the lock, which is only a decrement: the
    /// calling process holds its own `struct pid`, so this is never the last reference.
    pub(crate) process: Process,
    /// The user charged for the sources it registers (its effective uid).
    pub(crate) uid: Kuid,
}

/// How many sources may exist.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// In all.
    pub(crate) max_sources: usize,
    /// Registered by processes of one uid.
    pub(crate) max_per_uid: usize,
}

/// One registered source. Dropping it drops its reference on the owner's `struct pid`, which
/// frees it if the owner is gone: [`REGISTRY`]'s users drop removed sources after unlocking.
pub(crate) struct Source {
    id: SourceId,
    name: Name,
    /// The registering process. Comparing it with the caller's says whether the caller is
    /// that process; the row's PID is read from it in each reader's pid namespace.
    owner: Process,
    /// The registering process's effective uid, counted against `max_per_uid`.
    uid: Kuid,
    registered: Instant<Monotonic>,
    updated: Instant<Monotonic>,
    counters: Counters,
    /// The TLS gauges, once a record carried one (`None`: the source reports none).
    tls: Option<TlsCounters>,
}

/// All the sources and the totals.
pub(crate) struct Registry {
    /// Allocated by [`Registry::start`] with room for `limits.max_sources`.
    sources: KVVec<Source>,
    limits: Limits,
    next_id: u64,
    loaded: Option<Instant<Monotonic>>,
    totals: Totals,
}

kernel::sync::global_lock! {
    // SAFETY: `init()` is called once, in the module initialiser, before the device is
    // registered and so before any other use of the lock.
    pub(crate) unsafe(uninit) static REGISTRY: Mutex<Registry> = Registry::EMPTY;
}

/// Milliseconds since `since` (zero if the clock went backwards, which it does not).
fn ms_since(since: Instant<Monotonic>) -> u64 {
    u64::try_from(since.elapsed().as_millis()).unwrap_or(0)
}

/// What a snapshot copies out under the lock.
pub(crate) struct Snapshot {
    pub(crate) uptime_ms: u64,
    pub(crate) totals: Totals,
    /// Sources registered.
    pub(crate) sources: usize,
    /// The first rows, as many as were asked for.
    pub(crate) rows: KVVec<Row>,
}

impl Registry {
    /// A registry with no room for any source, until [`Registry::start`].
    pub(crate) const EMPTY: Registry = Registry {
        sources: KVVec::new(),
        limits: Limits {
            max_sources: 0,
            max_per_uid: 0,
        },
        next_id: 1,
        loaded: None,
        totals: Totals {
            opens: 0,
            writes_accepted: 0,
            writes_rejected: 0,
            reads: 0,
        },
    };

    /// Makes the registry ready: `sources`, empty and with room for `limits.max_sources`
    /// (allocated by the caller, before it took the lock), becomes the table, and the
    /// header's uptime counts from now.
    pub(crate) fn start(&mut self, sources: KVVec<Source>, limits: Limits) {
        self.sources = sources;
        self.limits = Limits {
            max_sources: limits.max_sources.min(self.sources.capacity()),
            ..limits
        };
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

    /// Applies a valid record written by `caller` to the file whose source is `*mine`:
    /// registers a source if the file has none yet (the record must name it, and there must
    /// be room for it), or updates the file's source.
    ///
    /// Registration is refused when the table holds `max_sources` sources, and when the
    /// caller's uid holds `max_per_uid` of them, unless `may_exceed_cap()` (asked only then)
    /// says the caller may go over that cap.
    ///
    /// Errors: `EINVAL` for a registration without a name, `ENOSPC` when the table is full,
    /// `EDQUOT` when the caller's uid has its share, `EPERM` when `caller` is not the process
    /// that registered the source. Nothing changes on error, and nothing is allocated.
    pub(crate) fn apply(
        &mut self,
        mine: &mut Option<SourceId>,
        record: &Record,
        caller: Caller,
        may_exceed_cap: impl FnOnce() -> bool,
    ) -> Result {
        let now = Instant::now();
        match *mine {
            None => {
                let name = record.name.ok_or(EINVAL)?;
                if self.sources.len() >= self.limits.max_sources {
                    return Err(ENOSPC);
                }
                let held = self.sources.iter().filter(|s| s.uid == caller.uid).count();
                if held >= self.limits.max_per_uid && !may_exceed_cap() {
                    return Err(EDQUOT);
                }
                let mut counters = Counters::default();
                record.apply_to(&mut counters);
                let mut tls = None;
                record.apply_tls_to(&mut tls);
                let id = SourceId(self.next_id);
                let source = Source {
                    id,
                    name,
                    owner: caller.process,
                    uid: caller.uid,
                    registered: now,
                    updated: now,
                    counters,
                    tls,
                };
                // The table was allocated for `max_sources`, checked above.
                self.sources
                    .push_within_capacity(source)
                    .map_err(|_| ENOSPC)?;
                self.next_id += 1;
                *mine = Some(id);
            }
            Some(id) => {
                let source = self.find(id).ok_or(EINVAL)?;
                if source.owner != caller.process {
                    return Err(EPERM);
                }
                if let Some(name) = record.name {
                    source.name = name;
                }
                record.apply_to(&mut source.counters);
                record.apply_tls_to(&mut source.tls);
                source.updated = now;
            }
        }
        self.totals.writes_accepted += 1;
        Ok(())
    }

    fn find(&mut self, id: SourceId) -> Option<&mut Source> {
        self.sources.iter_mut().find(|s| s.id == id)
    }

    /// Gives back the table itself, to be freed. Called when the module unloads, with no
    /// source left: a static is never dropped, so the table would leak at every unload.
    pub(crate) fn take_memory(&mut self) -> KVVec<Source> {
        self.limits.max_sources = 0;
        core::mem::take(&mut self.sources)
    }

    /// Removes a source (its file is being released) and returns it, for the caller to drop
    /// once it has unlocked the registry.
    #[must_use]
    pub(crate) fn remove(&mut self, id: SourceId) -> Option<Source> {
        let i = self.sources.iter().position(|s| s.id == id)?;
        self.sources.remove(i).ok()
    }

    /// Zeroes the module totals, and the counters of source `mine` if `process` registered
    /// it (its TLS gauges too, which it keeps reporting). Whether the caller may reset at
    /// all is for it to check.
    pub(crate) fn reset(&mut self, mine: Option<SourceId>, process: &Process) {
        self.totals = Totals::default();
        if let Some(source) = mine.and_then(|id| self.find(id)) {
            if source.owner == *process {
                source.counters = Counters::default();
                if let Some(tls) = &mut source.tls {
                    *tls = TlsCounters::default();
                }
            }
        }
    }

    /// Copies the header figures and the first rows into `rows`, which has room for them
    /// (the caller reserved it before locking): `None` if it does not. Each row's PID is
    /// its writer's process id in `reader`, 0 if the writer is not visible there (or is gone
    /// while another process keeps its file open).
    fn snapshot_into(
        &self,
        mut rows: KVVec<Row>,
        max_rows: usize,
        reader: Option<&PidNamespace>,
    ) -> Option<Snapshot> {
        let wanted = self.sources.len().min(max_rows);
        if rows.capacity() - rows.len() < wanted {
            return None;
        }
        for s in self.sources.iter().take(wanted) {
            let row = Row {
                name: s.name,
                pid: s.owner.nr_in(reader),
                uptime_ms: ms_since(s.registered),
                idle_ms: ms_since(s.updated),
                counters: s.counters,
                tls: s.tls,
            };
            rows.push_within_capacity(row).ok()?;
        }
        Some(Snapshot {
            uptime_ms: self.loaded.map(ms_since).unwrap_or(0),
            totals: self.totals,
            sources: self.sources.len(),
            rows,
        })
    }
}

/// Takes a snapshot of [`REGISTRY`] with at most `max_rows` rows, and counts it as a read.
/// The rows are allocated before the lock is taken: for the sources there are, and if more
/// registered meanwhile, for the most there can be.
pub(crate) fn snapshot(max_rows: usize, reader: Option<&PidNamespace>) -> Result<Snapshot> {
    let (now, most) = {
        let registry = REGISTRY.lock();
        (registry.len(), registry.limits.max_sources)
    };
    let mut rows = KVVec::with_capacity(now.min(max_rows), GFP_KERNEL)?;
    loop {
        let mut registry = REGISTRY.lock();
        let needed = registry.len().min(max_rows);
        if rows.capacity() >= needed {
            registry.count_read();
            return registry.snapshot_into(rows, max_rows, reader).ok_or(ENOMEM);
        }
        drop(registry);
        rows = KVVec::with_capacity(needed.max(most.min(max_rows)), GFP_KERNEL)?;
    }
}

#[kunit_tests(mydevice_registry)]
mod tests {
    use super::*;
    use crate::record;
    use kernel::bindings;

    fn uid(val: u32) -> Kuid {
        Kuid::from_raw(bindings::kuid_t { val })
    }

    /// The test itself (a kthread), writing as `uid`.
    fn me(uid_val: u32) -> Result<Caller> {
        Ok(Caller {
            process: Process::current()?,
            uid: uid(uid_val),
        })
    }

    /// A process that is not the test's own: `init_task`, the boot CPU's idle task (pid 0),
    /// which exists as long as the kernel runs.
    fn other(uid_val: u32) -> Result<Caller> {
        Ok(Caller {
            // SAFETY: `init_task` is a valid `struct task_struct` for the kernel's whole life.
            process: unsafe { Process::of_task(&raw mut bindings::init_task) }?,
            uid: uid(uid_val),
        })
    }

    fn registry(max_sources: usize, max_per_uid: usize) -> Result<Registry> {
        let mut r = Registry::EMPTY;
        r.start(
            KVVec::with_capacity(max_sources, GFP_KERNEL)?,
            Limits {
                max_sources,
                max_per_uid,
            },
        );
        Ok(r)
    }

    fn named(name: &str) -> Result<Record> {
        let mut text = KVec::new();
        text.extend_from_slice(b"v=1\nrequests=1\nname=", GFP_KERNEL)?;
        text.extend_from_slice(name.as_bytes(), GFP_KERNEL)?;
        text.push(b'\n', GFP_KERNEL)?;
        record::parse(&text)
    }

    fn rows(r: &Registry) -> Result<KVVec<Row>> {
        let spare = KVVec::with_capacity(r.len(), GFP_KERNEL)?;
        let task = kernel::current!();
        Ok(r.snapshot_into(spare, usize::MAX, task.active_pid_ns())
            .ok_or(ENOMEM)?
            .rows)
    }

    #[test]
    fn registration_needs_a_name_and_a_free_slot() -> Result {
        let mut r = registry(2, 8)?;
        let (mut a, mut b, mut c) = (None, None, None);
        let unnamed = record::parse(b"v=1\nrequests=1\n")?;
        assert_eq!(r.apply(&mut a, &unnamed, me(1000)?, || false), Err(EINVAL));
        r.apply(&mut a, &named("a")?, me(1000)?, || false)?;
        r.apply(&mut b, &named("b")?, me(1000)?, || false)?;
        assert_eq!(
            r.apply(&mut c, &named("c")?, me(1000)?, || true),
            Err(ENOSPC)
        );
        assert_eq!(c, None);
        assert_eq!(r.len(), 2);
        assert_eq!(r.totals.writes_accepted, 2);
        Ok(())
    }

    #[test]
    fn another_process_may_not_update_a_row() -> Result {
        let mut r = registry(4, 4)?;
        let mut mine = None;
        r.apply(&mut mine, &named("mine")?, me(1000)?, || false)?;
        let update = record::parse(b"v=1\nrequests=666\nname=stolen\n")?;
        // Another process, even of the same uid.
        assert_eq!(
            r.apply(&mut mine, &update, other(1000)?, || true),
            Err(EPERM)
        );
        let row = rows(&r)?;
        assert_eq!(row[0].name.as_str(), "mine");
        assert_eq!(row[0].counters[2], 1);
        assert_eq!(r.totals.writes_accepted, 1);
        r.apply(&mut mine, &update, me(1000)?, || false)?;
        assert_eq!(rows(&r)?[0].counters[2], 666);
        Ok(())
    }

    #[test]
    fn one_uid_gets_at_most_its_share() -> Result {
        let mut r = registry(8, 2)?;
        let mut files = [None; 5];
        r.apply(&mut files[0], &named("a0")?, me(1000)?, || false)?;
        r.apply(&mut files[1], &named("a1")?, me(1000)?, || false)?;
        assert_eq!(
            r.apply(&mut files[2], &named("a2")?, me(1000)?, || false),
            Err(EDQUOT)
        );
        assert_eq!(files[2], None);
        // Another uid has its own share; a caller allowed to (CAP_SYS_RESOURCE) goes over.
        r.apply(&mut files[3], &named("b0")?, me(1001)?, || false)?;
        r.apply(&mut files[4], &named("a2")?, me(1000)?, || true)?;
        assert_eq!(r.len(), 4);
        // Slots given back are the uid's again; the one over the cap counts too.
        if let Some(id) = files[0].take() {
            drop(r.remove(id));
        }
        assert_eq!(
            r.apply(&mut files[0], &named("a3")?, me(1000)?, || false),
            Err(EDQUOT)
        );
        if let Some(id) = files[4].take() {
            drop(r.remove(id));
        }
        r.apply(&mut files[0], &named("a3")?, me(1000)?, || false)?;
        Ok(())
    }

    #[test]
    fn reset_zeroes_totals_and_only_the_callers_row() -> Result {
        let mut r = registry(4, 4)?;
        let (mut mine, mut theirs) = (None, None);
        r.apply(&mut mine, &named("mine")?, me(0)?, || false)?;
        r.apply(&mut theirs, &named("theirs")?, other(0)?, || false)?;
        r.count_open();
        r.count_read();
        r.count_rejected();
        // From another process, on my file: the totals, not my row.
        r.reset(mine, &other(0)?.process);
        assert_eq!(r.totals.opens, 0);
        assert_eq!(r.totals.reads, 0);
        assert_eq!(r.totals.writes_accepted, 0);
        assert_eq!(r.totals.writes_rejected, 0);
        assert_eq!(rows(&r)?[0].counters[2], 1);
        r.reset(mine, &me(0)?.process);
        let after = rows(&r)?;
        assert_eq!(after[0].counters, [0; 6]);
        assert_eq!(after[1].counters[2], 1);
        Ok(())
    }

    #[test]
    fn tls_gauges_show_once_sent_and_reset_with_the_row() -> Result {
        let mut r = registry(4, 4)?;
        let (mut plain, mut tls) = (None, None);
        r.apply(&mut plain, &named("plain")?, me(0)?, || false)?;
        let first = record::parse(b"v=1\nname=tls\nconns_active=3\nconns_tls=2\nconns_ktls=1\n")?;
        r.apply(&mut tls, &first, me(0)?, || false)?;
        let shown = rows(&r)?;
        assert_eq!((shown[0].tls, shown[1].tls), (None, Some([2, 1])));
        // Updates without them keep them; with one, change that one.
        r.apply(
            &mut plain,
            &record::parse(b"v=1\nrequests=9\n")?,
            me(0)?,
            || false,
        )?;
        r.apply(
            &mut tls,
            &record::parse(b"v=1\nrequests=9\n")?,
            me(0)?,
            || false,
        )?;
        r.apply(
            &mut tls,
            &record::parse(b"v=1\nconns_ktls=0\n")?,
            me(0)?,
            || false,
        )?;
        let shown = rows(&r)?;
        assert_eq!((shown[0].tls, shown[1].tls), (None, Some([2, 0])));
        // A reset zeroes them, and the row still reports TLS.
        r.reset(tls, &me(0)?.process);
        let shown = rows(&r)?;
        assert_eq!((shown[0].tls, shown[1].tls), (None, Some([0, 0])));
        Ok(())
    }

    #[test]
    fn release_frees_the_row_and_its_slot() -> Result {
        let mut r = registry(1, 1)?;
        let (mut first, mut second) = (None, None);
        r.apply(&mut first, &named("first")?, me(1000)?, || false)?;
        assert_eq!(
            r.apply(&mut second, &named("second")?, me(1000)?, || true),
            Err(ENOSPC)
        );
        let id = first.ok_or(EINVAL)?;
        assert!(r.remove(id).is_some());
        assert!(r.remove(id).is_none());
        assert_eq!(r.len(), 0);
        r.apply(&mut second, &named("second")?, me(1000)?, || false)?;
        assert_eq!(rows(&r)?[0].name.as_str(), "second");
        Ok(())
    }

    #[test]
    fn a_row_shows_its_process_id() -> Result {
        let mut r = registry(2, 2)?;
        let (mut mine, mut theirs) = (None, None);
        r.apply(&mut mine, &named("mine")?, me(1000)?, || false)?;
        r.apply(&mut theirs, &named("theirs")?, other(1000)?, || false)?;
        let task = kernel::current!();
        let shown = rows(&r)?;
        assert!(shown[0].pid > 0);
        assert_eq!(shown[0].pid, task.tgid_nr_ns(None));
        // The idle task is pid 0.
        assert_eq!(shown[1].pid, 0);
        // Without a namespace to number it in, no number.
        assert_eq!(me(1000)?.process.nr_in(None), 0);
        Ok(())
    }

    /// Evidence for `process.rs`: `Task::tgid()`, `Task::pid()` and
    /// `CurrentTask::group_leader()` read `struct task_struct` at the offsets bindgen
    /// computed. Without `CONFIG_SCHEDSTATS`, `struct sched_statistics` is empty but
    /// `____cacheline_aligned`: GCC puts `task_struct::stats` at offset 768, bindgen (which
    /// gives the empty struct alignment 1) at 720, so `pid` is read at 1064 instead of 1112,
    /// `tgid` at 1068 instead of 1116, `group_leader` at 1120, where GCC put `real_parent`.
    /// The C functions are right either way. So the Rust field reads agree with them exactly
    /// when bindgen aligns `sched_statistics`; if that ever changes, this test says so.
    #[test]
    fn task_fields_read_from_rust_match_c_only_if_bindgen_aligns_sched_statistics() {
        let task = kernel::current!();
        let from_c = task.tgid_nr_ns(None);
        assert!(from_c > 0);
        // A kthread is its own thread group: pid, tgid and group leader are itself.
        let fields_agree = task.tgid() == from_c
            && task.pid() == from_c
            && core::ptr::eq(task.group_leader().as_ptr(), task.as_ptr());
        let bindgen_aligns = core::mem::align_of::<bindings::sched_statistics>() > 1;
        assert_eq!(fields_agree, bindgen_aligns);
    }
}
