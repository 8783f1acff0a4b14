//! Dropping root: chroot into the configured directory, then clear the supplementary groups,
//! set the group, set the user, and prove there is no way back (`setuid(0)` must fail).
//!
//! The server binds its listeners, opens its document root and logs as root first (nginx's
//! order), then calls [`drop_privileges`] before any worker starts. Paths are given as seen
//! from outside; with a chroot, the root and the logs must lie under it, and
//! [`crate::chroot::visible`] maps a path for use inside (a log reopened on SIGUSR1). glibc
//! applies `setuid`/`setgid` to every thread of the process, so the reporter thread started
//! earlier is covered too.

use netcore::sys::cvt_named;
use std::ffi::CString;
use std::io;
use std::path::Path;

/// The ids to run as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ids {
    pub(crate) uid: libc::uid_t,
    pub(crate) gid: libc::gid_t,
}

fn lookup_user(name: &str) -> io::Result<Option<Ids>> {
    let c = CString::new(name).map_err(|_| io::Error::other("user name with a NUL"))?;
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: passwd is integers and pointers; all zeroes is a valid value.
    let mut pw: libc::passwd = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: a NUL-terminated name; the reentrant lookup writes into our passwd and
    // buffer (whose length it is given) and sets `out`, nothing else.
    let rc =
        unsafe { libc::getpwnam_r(c.as_ptr(), &mut pw, buf.as_mut_ptr(), buf.len(), &mut out) };
    if rc != 0 || out.is_null() {
        return Ok(None);
    }
    Ok(Some(Ids {
        uid: pw.pw_uid,
        gid: pw.pw_gid,
    }))
}

fn lookup_group(name: &str) -> io::Result<Option<libc::gid_t>> {
    let c = CString::new(name).map_err(|_| io::Error::other("group name with a NUL"))?;
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    // SAFETY: group is integers and pointers; all zeroes is a valid value.
    let mut gr: libc::group = unsafe { std::mem::zeroed() };
    let mut out: *mut libc::group = std::ptr::null_mut();
    // SAFETY: as for getpwnam_r above, with a group.
    let rc =
        unsafe { libc::getgrnam_r(c.as_ptr(), &mut gr, buf.as_mut_ptr(), buf.len(), &mut out) };
    Ok((rc == 0 && !out.is_null()).then_some(gr.gr_gid))
}

fn numeric(v: &str) -> Option<u32> {
    v.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| v.parse().ok())
        .flatten()
}

/// The ids for `user` and `group` (names or numbers). Without `group`, the user's primary
/// group; a numeric user unknown to the passwd database needs `group`.
pub(crate) fn resolve(user: Option<&str>, group: Option<&str>) -> io::Result<Option<Ids>> {
    let Some(user) = user else {
        if group.is_some() {
            return Err(io::Error::other("group is set without user"));
        }
        return Ok(None);
    };
    let by_name = lookup_user(user)?;
    let (uid, primary) = match (by_name, numeric(user)) {
        (Some(ids), _) => (ids.uid, Some(ids.gid)),
        (None, Some(uid)) => (uid, None),
        (None, None) => return Err(io::Error::other(format!("user \"{user}\" does not exist"))),
    };
    let gid = match group {
        Some(g) => match (lookup_group(g)?, numeric(g)) {
            (Some(gid), _) => gid,
            (None, Some(gid)) => gid,
            (None, None) => return Err(io::Error::other(format!("group \"{g}\" does not exist"))),
        },
        None => primary.ok_or_else(|| {
            io::Error::other(format!("user {user} has no passwd entry: set group"))
        })?,
    };
    Ok(Some(Ids { uid, gid }))
}

/// Errors unless `path` lies under `chroot` (both canonicalized).
pub(crate) fn check_under(chroot: &Path, path: &Path, what: &str) -> io::Result<()> {
    let c = std::fs::canonicalize(chroot)?;
    let p = match std::fs::canonicalize(path) {
        Ok(p) => p,
        // A log not created yet: its directory.
        Err(_) => std::fs::canonicalize(path.parent().unwrap_or(Path::new("/")))?,
    };
    if p.starts_with(&c) {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "{what} {} is outside the chroot {}",
            path.display(),
            chroot.display()
        )))
    }
}

/// Enters `chroot` (if any), then becomes `ids` (if any), for good.
pub(crate) fn drop_privileges(chroot: Option<&Path>, ids: Option<Ids>) -> io::Result<()> {
    if let Some(dir) = chroot {
        crate::chroot::enter(dir)?;
    }
    let Some(ids) = ids else {
        return Ok(());
    };
    // SAFETY: plain id syscalls (glibc broadcasts them to every thread).
    unsafe {
        cvt_named(libc::setgroups(0, std::ptr::null()), "setgroups")?;
        cvt_named(libc::setgid(ids.gid), "setgid")?;
        cvt_named(libc::setuid(ids.uid), "setuid")?;
    }
    // SAFETY: as above; this one must fail.
    if ids.uid != 0 && unsafe { libc::setuid(0) } == 0 {
        return Err(io::Error::other("could regain root after dropping it"));
    }
    Ok(())
}

/// Whether the process runs as root.
pub(crate) fn is_root() -> bool {
    // SAFETY: no arguments, cannot fail.
    unsafe { libc::geteuid() == 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_names_and_numbers() {
        assert_eq!(resolve(None, None).unwrap(), None);
        assert!(resolve(None, Some("root")).is_err());
        assert_eq!(
            resolve(Some("root"), None).unwrap(),
            Some(Ids { uid: 0, gid: 0 })
        );
        assert_eq!(
            resolve(Some("4242"), Some("4343")).unwrap(),
            Some(Ids {
                uid: 4242,
                gid: 4343
            })
        );
        assert!(resolve(Some("no-such-user-xyz"), None).is_err());
        assert!(resolve(Some("root"), Some("no-such-group-xyz")).is_err());
    }

    #[test]
    fn paths_under_a_chroot() {
        assert!(check_under(Path::new("/usr"), Path::new("/usr/bin"), "root").is_ok());
        assert!(check_under(Path::new("/usr"), Path::new("/etc"), "root").is_err());
    }
}
