//! From a request target to a path under the document root.
//!
//! 1. The query (`?...`) is cut off; an absolute-form target (`http://host/path`) keeps only
//!    its path.
//! 2. Percent-decoding. A malformed escape (`%zz`, `%4`) is `400` (as nginx). An escape that
//!    decodes to `/` (`%2F`) or to NUL (`%00`) is `404`: no file name contains either, and an
//!    encoded slash must not become a path separator behind our back.
//! 3. Dot-segment removal on the decoded path (so `%2e%2e` is treated as `..`), and runs of
//!    slashes merged (nginx's `merge_slashes`). A `..` that would climb above the root is
//!    `403` (nginx says `400`; the issue asks for 403 or 404).
//!
//! The result always starts with `/` and contains no `.`/`..` segments, no empty segments,
//! no NUL. Symlinks are the business of whoever opens the file (the document root, which
//! never leaves the root).

use crate::http::status::Status;

/// A request path, decoded and normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CleanPath {
    /// Starts with `/`; segments separated by single slashes.
    pub(crate) path: Vec<u8>,
    /// The decoded path ended with `/` (a directory was asked for).
    pub(crate) trailing_slash: bool,
}

impl CleanPath {
    /// The path relative to the root, for `openat`: `.` for the root itself.
    pub(crate) fn relative(&self) -> &[u8] {
        match &self.path[1..] {
            [] => b".",
            rest => rest,
        }
    }
}

/// Splits a target into its path and query (without the `?`).
pub(crate) fn split_target(target: &[u8]) -> (&[u8], Option<&[u8]>) {
    let target = strip_absolute_form(target);
    let target = match target.iter().position(|&b| b == b'#') {
        Some(i) => &target[..i],
        None => target,
    };
    match target.iter().position(|&b| b == b'?') {
        Some(i) => (&target[..i], Some(&target[i + 1..])),
        None => (target, None),
    }
}

/// `http://host[:port]/path` → `/path` (`/` if there is no path).
fn strip_absolute_form(target: &[u8]) -> &[u8] {
    let lower_starts = |prefix: &[u8]| {
        target.len() >= prefix.len() && target[..prefix.len()].eq_ignore_ascii_case(prefix)
    };
    let scheme_len = if lower_starts(b"http://") {
        7
    } else if lower_starts(b"https://") {
        8
    } else {
        return target;
    };
    let rest = &target[scheme_len..];
    match rest.iter().position(|&b| b == b'/' || b == b'?') {
        Some(i) if rest[i] == b'/' => &rest[i..],
        // No path (`http://host` or `http://host?q`): the path is `/`.
        _ => b"/",
    }
}

/// The host of an absolute-form target, if it is one.
pub(crate) fn absolute_form_host(target: &[u8]) -> Option<&[u8]> {
    let lower_starts = |prefix: &[u8]| {
        target.len() >= prefix.len() && target[..prefix.len()].eq_ignore_ascii_case(prefix)
    };
    let rest = if lower_starts(b"http://") {
        &target[7..]
    } else if lower_starts(b"https://") {
        &target[8..]
    } else {
        return None;
    };
    let end = rest
        .iter()
        .position(|&b| b == b'/' || b == b'?')
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes `raw`, refusing escapes of `/` and NUL.
pub(crate) fn percent_decode(raw: &[u8]) -> Result<Vec<u8>, Status> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b == b'%' {
            let hi = raw.get(i + 1).copied().and_then(hex_value);
            let lo = raw.get(i + 2).copied().and_then(hex_value);
            let (Some(hi), Some(lo)) = (hi, lo) else {
                return Err(Status::BadRequest);
            };
            let c = hi << 4 | lo;
            if c == b'/' || c == 0 {
                return Err(Status::NotFound);
            }
            out.push(c);
            i += 3;
        } else {
            if b == 0 {
                return Err(Status::NotFound);
            }
            out.push(b);
            i += 1;
        }
    }
    Ok(out)
}

/// Removes `.` and `..` segments and empty segments from a decoded path that starts with `/`.
/// Climbing above the root is refused with `403`.
pub(crate) fn remove_dot_segments(decoded: &[u8]) -> Result<CleanPath, Status> {
    let mut segments: Vec<&[u8]> = Vec::new();
    for seg in decoded.split(|&b| b == b'/') {
        match seg {
            b"" | b"." => {}
            b".." => {
                if segments.pop().is_none() {
                    return Err(Status::Forbidden);
                }
            }
            _ => segments.push(seg),
        }
    }
    let last = decoded.rsplit(|&b| b == b'/').next().unwrap_or(b"");
    let trailing_slash = matches!(last, b"" | b"." | b"..");
    let mut path = Vec::with_capacity(decoded.len() + 1);
    for seg in &segments {
        path.push(b'/');
        path.extend_from_slice(seg);
    }
    if path.is_empty() {
        path.push(b'/');
    }
    Ok(CleanPath {
        path,
        trailing_slash,
    })
}

/// The whole pipeline: request-target path (no query) → clean path.
pub(crate) fn clean(raw_path: &[u8]) -> Result<CleanPath, Status> {
    if raw_path.first() != Some(&b'/') {
        return Err(Status::BadRequest);
    }
    remove_dot_segments(&percent_decode(raw_path)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(raw: &str) -> (String, bool) {
        let c = clean(raw.as_bytes()).unwrap();
        (String::from_utf8(c.path).unwrap(), c.trailing_slash)
    }

    #[test]
    fn plain_paths_are_unchanged() {
        assert_eq!(ok("/"), ("/".into(), true));
        assert_eq!(ok("/a/b.html"), ("/a/b.html".into(), false));
        assert_eq!(ok("/dir/"), ("/dir".into(), true));
    }

    #[test]
    fn dots_and_slashes_are_normalised() {
        assert_eq!(ok("/a/./b"), ("/a/b".into(), false));
        assert_eq!(ok("/a/../b"), ("/b".into(), false));
        assert_eq!(ok("//a///b//"), ("/a/b".into(), true));
        assert_eq!(ok("/a/.."), ("/".into(), true));
        assert_eq!(ok("/a/%2e%2E/b"), ("/b".into(), false));
        assert_eq!(ok("/..."), ("/...".into(), false));
        assert_eq!(ok("/.../x"), ("/.../x".into(), false));
        assert_eq!(ok("/%41%62"), ("/Ab".into(), false));
        assert_eq!(ok("/caf%C3%A9"), ("/café".into(), false));
    }

    #[test]
    fn escapes_from_the_root_are_refused() {
        for raw in [
            "/..",
            "/../etc/passwd",
            "/a/../../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/%2E%2e/%2e%2e/etc/passwd",
            "/a/./../..",
        ] {
            assert_eq!(clean(raw.as_bytes()), Err(Status::Forbidden), "{raw}");
        }
    }

    #[test]
    fn encoded_slash_and_nul_are_404_and_bad_escapes_400() {
        assert_eq!(clean(b"/a%2fb"), Err(Status::NotFound));
        assert_eq!(clean(b"/..%2F..%2Fetc/passwd"), Err(Status::NotFound));
        assert_eq!(clean(b"/a%00.html"), Err(Status::NotFound));
        assert_eq!(clean(b"/a%zz"), Err(Status::BadRequest));
        assert_eq!(clean(b"/a%4"), Err(Status::BadRequest));
        assert_eq!(clean(b"/a%"), Err(Status::BadRequest));
        assert_eq!(clean(b"a"), Err(Status::BadRequest));
    }

    #[test]
    fn targets_split_into_path_and_query() {
        assert_eq!(split_target(b"/a?b=c"), (&b"/a"[..], Some(&b"b=c"[..])));
        assert_eq!(split_target(b"/a"), (&b"/a"[..], None));
        assert_eq!(
            split_target(b"http://h:1/x?q"),
            (&b"/x"[..], Some(&b"q"[..]))
        );
        assert_eq!(split_target(b"http://h"), (&b"/"[..], None));
        assert_eq!(absolute_form_host(b"http://h:1/x"), Some(&b"h:1"[..]));
        assert_eq!(absolute_form_host(b"/x"), None);
    }

    #[test]
    fn relative_form_for_openat() {
        assert_eq!(clean(b"/").unwrap().relative(), b".");
        assert_eq!(clean(b"/a/b").unwrap().relative(), b"a/b");
    }
}
