//! Appending to the log and making it durable, by `appendfsync`:
//!
//! - `always`: the turn's commands (every client's) are written with one `write`, then one
//!   `fdatasync`, before any reply of the turn leaves: group commit. A failed write or sync
//!   stops the server, since it could no longer keep its promise (Redis does the same).
//! - `everysec`: written every turn; a background thread syncs once a second, so the loop
//!   never waits for the disk. How far behind it is shows in `INFO persistence`.
//! - `no`: written every turn; the kernel writes back when it likes.

use crate::aof::manifest::{path_of, sync_dir, Manifest, Part};
use crate::config::Fsync;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// What the loop and the sync thread share (everysec).
#[derive(Debug)]
struct Shared {
    /// The file the thread syncs (a clone of the writer's), replaced when the log switches.
    file: Mutex<Option<File>>,
    /// Bytes written / bytes known synced, as positions in an endless stream.
    written: AtomicU64,
    synced: AtomicU64,
    /// Unix ms of the last successful sync.
    last_sync_ms: AtomicU64,
    syncs: AtomicU64,
    failed: AtomicBool,
    stop: AtomicBool,
    wake: Condvar,
    lock: Mutex<()>,
}

/// The log being appended to.
#[derive(Debug)]
pub(crate) struct Writer {
    dir: PathBuf,
    pub(crate) manifest: Manifest,
    file: File,
    policy: Fsync,
    /// Bytes in the log's files (for INFO and automatic rewrites).
    pub(crate) size: u64,
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn now_ms() -> u64 {
    crate::store::now_ms().max(0) as u64
}

fn open_append(path: &Path) -> io::Result<File> {
    OpenOptions::new().create(true).append(true).open(path)
}

impl Writer {
    /// Appends to the current file of `manifest` in `dir` (created with a first incremental
    /// file when there is none).
    pub(crate) fn open(dir: &Path, mut manifest: Manifest, policy: Fsync) -> io::Result<Writer> {
        if manifest.current().is_none() {
            let part = Part::incr(manifest.max_seq() + 1);
            let f = open_append(&path_of(dir, &part))?;
            f.sync_all()?;
            manifest.incrs.push(part);
            manifest.store(dir)?;
        }
        let current = manifest
            .current()
            .cloned()
            .ok_or_else(|| io::Error::other("no log file"))?;
        let file = open_append(&path_of(dir, &current))?;
        let size = manifest.size(dir);
        let shared = Arc::new(Shared {
            file: Mutex::new(Some(file.try_clone()?)),
            written: AtomicU64::new(0),
            synced: AtomicU64::new(0),
            last_sync_ms: AtomicU64::new(now_ms()),
            syncs: AtomicU64::new(0),
            failed: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            wake: Condvar::new(),
            lock: Mutex::new(()),
        });
        let mut w = Writer {
            dir: dir.to_path_buf(),
            manifest,
            file,
            policy,
            size,
            shared,
            thread: None,
        };
        w.set_policy(policy);
        Ok(w)
    }

    pub(crate) fn policy(&self) -> Fsync {
        self.policy
    }

    /// Changes `appendfsync` (CONFIG SET): starts or stops the sync thread.
    pub(crate) fn set_policy(&mut self, policy: Fsync) {
        self.policy = policy;
        if policy == Fsync::Everysec && self.thread.is_none() {
            self.shared.stop.store(false, Ordering::Release);
            let shared = Arc::clone(&self.shared);
            self.thread = std::thread::Builder::new()
                .name("aof-fsync".into())
                .spawn(move || sync_every_second(&shared))
                .ok();
        } else if policy != Fsync::Everysec {
            self.stop_thread();
        }
    }

    fn stop_thread(&mut self) {
        if let Some(t) = self.thread.take() {
            self.shared.stop.store(true, Ordering::Release);
            self.shared.wake.notify_all();
            let _ = t.join();
        }
    }

    /// Writes `buf` (the turn's commands) and, under `always`, syncs it: when this returns
    /// `Ok`, the replies of those commands may leave.
    pub(crate) fn append(&mut self, buf: &[u8]) -> io::Result<()> {
        if buf.is_empty() {
            return Ok(());
        }
        if self.shared.failed.load(Ordering::Acquire) {
            return Err(io::Error::other("the background fsync of the log failed"));
        }
        self.file.write_all(buf)?;
        self.size += buf.len() as u64;
        let written = self
            .shared
            .written
            .fetch_add(buf.len() as u64, Ordering::AcqRel)
            + buf.len() as u64;
        if self.policy == Fsync::Always {
            self.file.sync_data()?;
            self.shared.synced.store(written, Ordering::Release);
            self.shared.last_sync_ms.store(now_ms(), Ordering::Release);
            self.shared.syncs.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Syncs everything written (at shutdown, whatever the policy).
    pub(crate) fn sync(&mut self) -> io::Result<()> {
        self.file.sync_data()?;
        let written = self.shared.written.load(Ordering::Acquire);
        self.shared.synced.store(written, Ordering::Release);
        Ok(())
    }

    /// Bytes written and not yet known synced, and ms since the last sync (INFO).
    pub(crate) fn lag(&self) -> (u64, u64, u64) {
        let pending = self.shared.written.load(Ordering::Acquire)
            - self.shared.synced.load(Ordering::Acquire);
        let age = now_ms().saturating_sub(self.shared.last_sync_ms.load(Ordering::Acquire));
        (
            pending,
            if pending == 0 { 0 } else { age },
            self.shared.syncs.load(Ordering::Relaxed),
        )
    }

    /// Starts a new incremental file and lists it in the manifest (for a rewrite: the
    /// writes from now on go to the new file). Returns the new part.
    pub(crate) fn switch_to_new_incr(&mut self) -> io::Result<Part> {
        self.sync()?;
        let part = Part::incr(self.manifest.max_seq() + 1);
        let file = open_append(&path_of(&self.dir, &part))?;
        file.sync_all()?;
        sync_dir(&self.dir)?;
        let mut next = self.manifest.clone();
        next.incrs.push(part.clone());
        next.store(&self.dir)?;
        self.manifest = next;
        *self.shared.file.lock().unwrap_or_else(|e| e.into_inner()) = Some(file.try_clone()?);
        self.file = file;
        Ok(part)
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

/// The everysec thread: once a second, if anything was written since the last sync, sync.
fn sync_every_second(shared: &Shared) {
    let mut next = Instant::now() + Duration::from_secs(1);
    loop {
        {
            let guard = shared.lock.lock().unwrap_or_else(|e| e.into_inner());
            let wait = next.saturating_duration_since(Instant::now());
            let _ = shared.wake.wait_timeout(guard, wait);
        }
        if shared.stop.load(Ordering::Acquire) {
            return;
        }
        if Instant::now() < next {
            continue;
        }
        next = Instant::now() + Duration::from_secs(1);
        let written = shared.written.load(Ordering::Acquire);
        if written == shared.synced.load(Ordering::Acquire) {
            shared.last_sync_ms.store(now_ms(), Ordering::Release);
            continue;
        }
        let file = shared.file.lock().unwrap_or_else(|e| e.into_inner());
        let Some(f) = file.as_ref() else {
            continue;
        };
        match f.sync_data() {
            Ok(()) => {
                shared.synced.fetch_max(written, Ordering::AcqRel);
                shared.last_sync_ms.store(now_ms(), Ordering::Release);
                shared.syncs.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                crate::log::warn(&format!("background fsync of the log failed: {e}"));
                shared.failed.store(true, Ordering::Release);
            }
        }
    }
}
