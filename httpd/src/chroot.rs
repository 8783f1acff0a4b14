//! The chroot the process entered, if any, and paths as the process sees them from inside.
//!
//! Paths are configured as seen from outside. [`enter`] chroots (the server does, once it has
//! bound and opened what it needs, before it drops root) and records where; [`visible`] then
//! maps such a path for use inside (a log reopened on SIGUSR1), and [`chrooted`] says
//! whether a config file is still within reach. A leaf: it uses nothing of the crate, so the
//! logs and the processes can both ask it.

use netcore::sys::cvt_named;
use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The chroot in force, once entered.
static CHROOT: OnceLock<PathBuf> = OnceLock::new();

/// Enters `dir` (canonicalized) as the root directory, and changes to its `/`.
pub(crate) fn enter(dir: &Path) -> io::Result<()> {
    let canonical = std::fs::canonicalize(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("chroot {}: {e}", dir.display())))?;
    let c = CString::new(canonical.as_os_str().as_bytes())
        .map_err(|_| io::Error::other("chroot path with a NUL"))?;
    // SAFETY: NUL-terminated paths.
    cvt_named(unsafe { libc::chroot(c.as_ptr()) }, "chroot")?;
    cvt_named(unsafe { libc::chdir(c"/".as_ptr()) }, "chdir /")?;
    let _ = CHROOT.set(canonical);
    Ok(())
}

/// `path` as the process sees it now (under the chroot once entered).
pub(crate) fn visible(path: &Path) -> io::Result<PathBuf> {
    let Some(chroot) = CHROOT.get() else {
        return Ok(path.to_path_buf());
    };
    let p = if path.is_absolute() {
        path.to_path_buf()
    } else {
        return Err(io::Error::other("a relative path inside the chroot"));
    };
    match p.strip_prefix(chroot) {
        Ok(rest) => Ok(Path::new("/").join(rest)),
        Err(_) => Err(io::Error::other(format!(
            "{} is outside the chroot {}",
            path.display(),
            chroot.display()
        ))),
    }
}

/// Whether the process runs chrooted.
pub(crate) fn chrooted() -> bool {
    CHROOT.get().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_outside_a_chroot_are_unchanged() {
        // Not chrooted in tests: paths are unchanged.
        assert!(!chrooted());
        assert_eq!(visible(Path::new("/a/b")).unwrap(), PathBuf::from("/a/b"));
    }
}
