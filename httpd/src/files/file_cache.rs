//! Open files kept between requests, one cache per worker (no locks), checked on every
//! request.
//!
//! Without it a request for a file costs `openat2`, `statx`, `close` and, for a small file,
//! `pread`; with it, one `statx` of the path: if it names the same file (device and inode)
//! the kept descriptor serves the body, and a small file's bytes come from memory. The check
//! on every request is what sets it apart from nginx's `open_file_cache`, which trusts its
//! entries for `open_file_cache_valid` (60 s by default): here a file replaced by `rename`,
//! edited in place, or made unreadable (`chmod`, `chown`: each changes its ctime) is seen by
//! the very next request, which opens the file again.
//!
//! Only what the slow path opened is kept, so nothing reaches the cache without passing
//! `openat2`'s `RESOLVE_BENEATH`, and only if the probe by path found the file the open
//! found (a final symlink, which the probe does not follow, is never cached). A probe that
//! later finds the same inode by another route (a directory swapped for a symlink) finds a
//! file that was served from the root: the same bytes. Any change to the file changes its
//! ctime, which drops the entry: descriptor and bytes.
//!
//! Bytes are kept only for files whose last change is a second old when read: a write in
//! the same clock tick as our read would leave the timestamps unchanged (the "racily clean"
//! problem of git's index), so a file still being written is read from disk every time.

use crate::files::docroot::DocRoot;
use std::collections::HashMap;
use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Most files kept per worker (each holds a descriptor); fewer under a low descriptor
/// limit (see [`FileCache::new`]).
const MAX_ENTRIES: usize = 256;
/// Most bytes kept in memory per worker.
const MAX_BYTES: usize = 1 << 20;
/// Files up to this size have their bytes kept (the size sent with the head, copied).
const SMALL_FILE: u64 = crate::files::reply::SMALL_BODY;
/// An entry not used for this long is dropped (and its descriptor closed) at the next sweep.
const IDLE: Duration = Duration::from_secs(10);
/// A file changed less than this long ago is not kept in memory.
const SETTLED: Duration = Duration::from_secs(1);

/// What identifies a file and its current version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stat {
    pub(crate) dev: u64,
    pub(crate) ino: u64,
    pub(crate) mode: u32,
    pub(crate) size: u64,
    /// Seconds and nanoseconds since the epoch.
    pub(crate) mtime: (i64, u32),
    pub(crate) ctime: (i64, u32),
}

impl Stat {
    pub(crate) fn is_file(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFREG
    }

    pub(crate) fn is_dir(&self) -> bool {
        self.mode & libc::S_IFMT == libc::S_IFDIR
    }

    /// `statx` of `path` relative to `dir` (`AT_EMPTY_PATH` with an empty path: `dir`
    /// itself), not following a final symlink.
    fn statx(dir: i32, path: &CString, flags: i32) -> io::Result<Stat> {
        // SAFETY: statx is plain integers; the kernel fills it.
        let mut sx: libc::statx = unsafe { std::mem::zeroed() };
        // SAFETY: a NUL-terminated path and a buffer of the right type.
        let rc = unsafe {
            libc::statx(
                dir,
                path.as_ptr(),
                flags | libc::AT_SYMLINK_NOFOLLOW | libc::AT_NO_AUTOMOUNT,
                libc::STATX_BASIC_STATS,
                &mut sx,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Stat {
            dev: libc::makedev(sx.stx_dev_major, sx.stx_dev_minor),
            ino: sx.stx_ino,
            mode: u32::from(sx.stx_mode),
            size: sx.stx_size,
            mtime: (sx.stx_mtime.tv_sec, sx.stx_mtime.tv_nsec),
            ctime: (sx.stx_ctime.tv_sec, sx.stx_ctime.tv_nsec),
        })
    }

    /// The file `rel` names under `root` (a final symlink itself, not its target).
    pub(crate) fn of_path(root: &DocRoot, rel: &[u8]) -> io::Result<Stat> {
        let c = CString::new(rel).map_err(|_| io::Error::from_raw_os_error(libc::ENOENT))?;
        Stat::statx(root.raw_fd(), &c, 0)
    }

    /// The open file's.
    pub(crate) fn of_file(file: &File) -> io::Result<Stat> {
        Stat::statx(file.as_raw_fd(), &CString::default(), libc::AT_EMPTY_PATH)
    }

    fn same_file(&self, other: &Stat) -> bool {
        self.dev == other.dev && self.ino == other.ino
    }

    /// Last modified or changed at least `settle` before now.
    fn settled(&self, settle: Duration) -> bool {
        let (secs, nanos) = self.mtime.max(self.ctime);
        let Ok(secs) = u64::try_from(secs) else {
            return true; // before 1970: long settled
        };
        let changed = Duration::new(secs, nanos.min(999_999_999));
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .is_ok_and(|now| now > changed + settle)
    }
}

/// An open file to answer from.
#[derive(Debug, Clone)]
pub(crate) struct Opened {
    pub(crate) file: Arc<File>,
    pub(crate) stat: Stat,
    /// All its bytes, when it is small and kept.
    pub(crate) bytes: Option<Arc<[u8]>>,
}

#[derive(Debug)]
struct Entry {
    file: Arc<File>,
    stat: Stat,
    bytes: Option<Arc<[u8]>>,
    used: Instant,
}

/// A worker's kept files, by path relative to the root.
#[derive(Debug)]
pub(crate) struct FileCache {
    entries: HashMap<Vec<u8>, Entry>,
    bytes_kept: usize,
    /// How long a file must have been left alone before its bytes are kept.
    settle: Duration,
    /// At most this many entries.
    max_entries: usize,
}

impl Default for FileCache {
    fn default() -> FileCache {
        FileCache::new()
    }
}

impl FileCache {
    /// A cache that holds at most a sixteenth of the process's descriptor limit (64 files
    /// under the usual 1024), 256 at most: connections need the descriptors more.
    pub(crate) fn new() -> FileCache {
        // SAFETY: rlimit is plain integers; all-zero is a valid value.
        let mut lim: libc::rlimit = unsafe { std::mem::zeroed() };
        // SAFETY: getrlimit fills the struct we own.
        let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
        let soft = if rc == 0 { lim.rlim_cur as usize } else { 1024 };
        FileCache {
            entries: HashMap::new(),
            bytes_kept: 0,
            settle: SETTLED,
            max_entries: (soft / 16).clamp(4, MAX_ENTRIES),
        }
    }

    /// Opens `rel` under `root` (see [`DocRoot::open_beneath`] for the rules): from the cache
    /// when the path still names the kept file, else from the file system.
    pub(crate) fn open(&mut self, root: &DocRoot, rel: &[u8], now: Instant) -> io::Result<Opened> {
        let probe = Stat::of_path(root, rel).ok();
        if let Some(st) = probe.filter(Stat::is_file) {
            if let Some(hit) = self.hit(rel, st, now) {
                return Ok(hit);
            }
        }
        let file = Arc::new(root.open_beneath(rel)?);
        let stat = Stat::of_file(&file)?;
        let mut bytes = None;
        if stat.is_file() && probe.is_some_and(|p| p.same_file(&stat)) {
            bytes = self.read_small(&file, &stat);
            self.insert(rel, Arc::clone(&file), stat, bytes.clone(), now);
        }
        Ok(Opened { file, stat, bytes })
    }

    /// The kept entry for `rel` if it is the file `st` describes, unchanged. A file changed
    /// in any way since it was kept (its content, mode or owner: each moves the ctime) is
    /// dropped, and the caller opens it again: the open checks the permissions anew.
    fn hit(&mut self, rel: &[u8], st: Stat, now: Instant) -> Option<Opened> {
        let entry = self.entries.get_mut(rel)?;
        if entry.stat != st {
            if let Some(old) = self.entries.remove(rel) {
                self.forget(&old);
            }
            return None;
        }
        entry.used = now;
        Some(Opened {
            file: Arc::clone(&entry.file),
            stat: st,
            bytes: entry.bytes.clone(),
        })
    }

    /// All of a small, settled file, if there is room for it.
    fn read_small(&mut self, file: &File, stat: &Stat) -> Option<Arc<[u8]>> {
        if stat.size > SMALL_FILE
            || self.bytes_kept + stat.size as usize > MAX_BYTES
            || !stat.settled(self.settle)
        {
            return None;
        }
        let mut buf = vec![0; stat.size as usize];
        file.read_exact_at(&mut buf, 0).ok()?;
        self.bytes_kept += buf.len();
        Some(buf.into())
    }

    fn insert(
        &mut self,
        rel: &[u8],
        file: Arc<File>,
        stat: Stat,
        bytes: Option<Arc<[u8]>>,
        now: Instant,
    ) {
        if !self.entries.contains_key(rel) && self.entries.len() >= self.max_entries {
            self.evict_least_recent();
        }
        let entry = Entry {
            file,
            stat,
            bytes,
            used: now,
        };
        if let Some(old) = self.entries.insert(rel.to_vec(), entry) {
            self.forget(&old);
        }
    }

    fn evict_least_recent(&mut self) {
        let oldest = self
            .entries
            .iter()
            .min_by_key(|(_, e)| e.used)
            .map(|(k, _)| k.clone());
        if let Some(entry) = oldest.and_then(|k| self.entries.remove(&k)) {
            self.forget(&entry);
        }
    }

    fn forget(&mut self, entry: &Entry) {
        if let Some(b) = &entry.bytes {
            self.bytes_kept -= b.len();
        }
    }

    /// Drops entries unused for a while, closing their descriptors (a deleted file's
    /// space is freed once nothing holds it).
    pub(crate) fn evict_idle(&mut self, now: Instant) {
        let mut freed = 0;
        self.entries.retain(|_, e| {
            let keep = now.saturating_duration_since(e.used) < IDLE;
            if !keep {
                freed += e.bytes.as_ref().map_or(0, |b| b.len());
            }
            keep
        });
        self.bytes_kept -= freed;
    }

    /// Forgets everything (a reload may have changed the root).
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.bytes_kept = 0;
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no file is kept (then nothing is waiting to be evicted).
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site() -> (tempdir::Dir, DocRoot) {
        let dir = tempdir::Dir::new();
        let root = DocRoot::open(dir.path()).unwrap();
        (dir, root)
    }

    /// A throwaway directory (std only).
    mod tempdir {
        use std::path::{Path, PathBuf};
        pub(crate) struct Dir(PathBuf);
        impl Dir {
            pub(crate) fn new() -> Dir {
                use std::sync::atomic::{AtomicUsize, Ordering};
                static N: AtomicUsize = AtomicUsize::new(0);
                let p = std::env::temp_dir().join(format!(
                    "httpd-file-cache-{}-{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::Relaxed)
                ));
                std::fs::create_dir_all(&p).unwrap();
                Dir(p)
            }
            pub(crate) fn path(&self) -> &Path {
                &self.0
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                let _ = std::fs::remove_dir_all(&self.0);
            }
        }
    }

    /// A cache that keeps the bytes of files changed a moment ago.
    fn eager() -> FileCache {
        FileCache {
            settle: Duration::ZERO,
            ..FileCache::new()
        }
    }

    fn body(o: &Opened) -> Vec<u8> {
        let mut buf = vec![0; o.stat.size as usize];
        o.file.read_exact_at(&mut buf, 0).unwrap();
        buf
    }

    #[test]
    fn a_second_open_is_served_from_the_kept_file_and_bytes() {
        let (dir, root) = site();
        std::fs::write(dir.path().join("a.txt"), "hello").unwrap();
        let mut cache = eager();
        let now = Instant::now();
        let first = cache.open(&root, b"a.txt", now).unwrap();
        let second = cache.open(&root, b"a.txt", now).unwrap();
        assert!(Arc::ptr_eq(&first.file, &second.file));
        assert_eq!(second.bytes.as_deref(), Some(&b"hello"[..]));
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_replaced_file_is_seen_at_once() {
        let (dir, root) = site();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "old").unwrap();
        let mut cache = eager();
        let now = Instant::now();
        cache.open(&root, b"a.txt", now).unwrap();
        // The deploy pattern: write a new file, rename it over the old one.
        let tmp = dir.path().join("a.txt.new");
        std::fs::write(&tmp, "new!").unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        let o = cache.open(&root, b"a.txt", now).unwrap();
        assert_eq!(body(&o), b"new!");
        assert_ne!(o.bytes.as_deref(), Some(&b"old"[..]));
    }

    #[test]
    fn a_file_edited_in_place_is_seen_at_once() {
        let (dir, root) = site();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "one").unwrap();
        let mut cache = eager();
        let now = Instant::now();
        assert_eq!(
            cache.open(&root, b"a.txt", now).unwrap().bytes.as_deref(),
            Some(&b"one"[..])
        );
        std::fs::write(&path, "two").unwrap();
        let o = cache.open(&root, b"a.txt", now).unwrap();
        assert_eq!(body(&o), b"two");
        assert_eq!(o.bytes.as_deref(), Some(&b"two"[..]));
    }

    #[test]
    fn a_file_whose_mode_or_owner_changed_is_opened_again() {
        use std::os::unix::fs::PermissionsExt;
        let (dir, root) = site();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, "same").unwrap();
        let mut cache = eager();
        let now = Instant::now();
        let first = cache.open(&root, b"a.txt", now).unwrap();
        let again = cache.open(&root, b"a.txt", now).unwrap();
        assert!(
            Arc::ptr_eq(&first.file, &again.file),
            "unchanged: the kept descriptor"
        );
        // A chmod that leaves the file readable still changes its ctime: the next open must
        // go to the file system, where the permission check happens (a chmod 000 is then a
        // 403 for a server that dropped root; root itself passes every check).
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        let after = cache.open(&root, b"a.txt", now).unwrap();
        assert!(
            !Arc::ptr_eq(&first.file, &after.file),
            "a chmod must reopen the file"
        );
        assert_eq!(after.stat.mode & 0o777, 0o640);
        assert_eq!(cache.len(), 1);
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return; // only root may chown
        }
        std::os::unix::fs::chown(&path, Some(65534), None).unwrap();
        let chowned = cache.open(&root, b"a.txt", now).unwrap();
        assert!(
            !Arc::ptr_eq(&after.file, &chowned.file),
            "a chown must reopen the file"
        );
        assert_eq!(body(&chowned), b"same");
    }

    #[test]
    fn a_file_changed_a_moment_ago_is_read_every_time_not_kept() {
        let (dir, root) = site();
        std::fs::write(dir.path().join("a.txt"), "fresh").unwrap();
        let mut cache = FileCache::new();
        let now = Instant::now();
        for _ in 0..2 {
            let o = cache.open(&root, b"a.txt", now).unwrap();
            assert_eq!(body(&o), b"fresh");
            assert_eq!(o.bytes, None);
        }
        assert_eq!(cache.bytes_kept, 0);
    }

    #[test]
    fn symlinks_and_directories_are_not_kept() {
        let (dir, root) = site();
        std::fs::write(dir.path().join("a.txt"), "x").unwrap();
        std::os::unix::fs::symlink("a.txt", dir.path().join("link")).unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        let mut cache = eager();
        let now = Instant::now();
        assert_eq!(body(&cache.open(&root, b"link", now).unwrap()), b"x");
        assert!(cache.open(&root, b"d", now).unwrap().stat.is_dir());
        assert!(cache.is_empty());
    }

    #[test]
    fn a_path_leaving_the_root_is_refused_even_after_a_hit() {
        let (dir, root) = site();
        let outside = tempdir::Dir::new();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        std::fs::write(dir.path().join("d/secret"), "inside").unwrap();
        let mut cache = eager();
        let now = Instant::now();
        cache.open(&root, b"d/secret", now).unwrap();
        // The directory becomes a symlink out of the root: another inode, the slow path,
        // and openat2 refuses.
        std::fs::remove_dir_all(dir.path().join("d")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("d")).unwrap();
        let err = cache.open(&root, b"d/secret", now).unwrap_err();
        assert_eq!(err.raw_os_error(), Some(libc::EXDEV));
    }

    #[test]
    fn idle_entries_are_dropped_and_the_count_is_bounded() {
        let (dir, root) = site();
        let mut cache = eager();
        let now = Instant::now();
        for i in 0..cache.max_entries + 10 {
            let name = format!("f{i}");
            std::fs::write(dir.path().join(&name), "x").unwrap();
            cache
                .open(
                    &root,
                    name.as_bytes(),
                    now + Duration::from_millis(i as u64),
                )
                .unwrap();
        }
        assert_eq!(cache.len(), cache.max_entries);
        // The oldest went first.
        assert!(!cache.entries.contains_key(&b"f0"[..]));
        cache.evict_idle(now + IDLE + Duration::from_secs(1));
        assert!(cache.is_empty());
        assert_eq!(cache.bytes_kept, 0);
    }
}
