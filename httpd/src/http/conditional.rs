//! Validators and conditional requests: `ETag`, `Last-Modified`, `If-Match`,
//! `If-Unmodified-Since`, `If-None-Match`, `If-Modified-Since` and `If-Range` (RFC 9110
//! §8.8 and §13), evaluated in the order of RFC 9110 §13.2.2.
//!
//! The entity tag is nginx's: `"<mtime in hex>-<size in hex>"`, strong, so a browser that
//! switches between nginx and httpd on the same files keeps its cache.

use crate::http::date::parse_http_date;
use crate::http::parse::trim_ows;
use crate::http::status::Status;

/// How entity tags compare (RFC 9110 §8.8.3.2): strong needs both tags strong and equal;
/// weak ignores the `W/` prefix. Our tags are always strong.
#[derive(Debug, Clone, Copy)]
enum Comparison {
    Strong,
    Weak,
}

/// The precondition headers of a GET or HEAD request, raw.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Preconditions<'a> {
    pub(crate) if_match: Option<&'a [u8]>,
    pub(crate) if_unmodified_since: Option<&'a [u8]>,
    pub(crate) if_none_match: Option<&'a [u8]>,
    pub(crate) if_modified_since: Option<&'a [u8]>,
}

/// What identifies one version of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Validators {
    /// Modification time, whole seconds since the epoch.
    pub(crate) mtime: i64,
    pub(crate) size: u64,
}

impl Validators {
    /// The `ETag` value, quotes included.
    pub(crate) fn etag(&self) -> String {
        format!("\"{:x}-{:x}\"", self.mtime, self.size)
    }

    /// What the preconditions of a GET or HEAD decide, in RFC 9110 §13.2.2's order:
    /// `412 Precondition Failed` when `If-Match` fails, or, without `If-Match`, when the file
    /// changed after `If-Unmodified-Since`; else `304 Not Modified` as [`Self::not_modified`]
    /// says; else `None`: answer as usual. A date that does not parse is ignored.
    pub(crate) fn precondition(&self, p: &Preconditions<'_>) -> Option<Status> {
        let failed = match (p.if_match, p.if_unmodified_since.and_then(parse_http_date)) {
            (Some(im), _) => !self.match_holds(im),
            (None, Some(since)) => self.mtime > since,
            (None, None) => false,
        };
        if failed {
            return Some(Status::PreconditionFailed);
        }
        self.not_modified(p.if_none_match, p.if_modified_since)
            .then_some(Status::NotModified)
    }

    /// `If-Match` with strong comparison (RFC 9110 §13.1.1): `*` (the file exists), or a
    /// listed strong tag equal to ours; a weak `W/` tag never matches.
    fn match_holds(&self, header: &[u8]) -> bool {
        self.listed(header, Comparison::Strong)
    }

    /// Whether `header`, `*` or a comma-separated list of entity tags, names ours.
    fn listed(&self, header: &[u8], comparison: Comparison) -> bool {
        let header = trim_ows(header);
        if header == b"*" {
            return true;
        }
        let ours = self.etag();
        header
            .split(|&b| b == b',')
            .map(trim_ows)
            .map(|tag| match comparison {
                Comparison::Weak => tag.strip_prefix(b"W/").unwrap_or(tag),
                Comparison::Strong => tag,
            })
            .any(|tag| tag == ours.as_bytes())
    }

    /// Whether a `304 Not Modified` answers a GET/HEAD with these headers. `If-None-Match`
    /// wins when present; `If-Modified-Since` counts only without it (RFC 9110 §13.2.2).
    pub(crate) fn not_modified(
        &self,
        if_none_match: Option<&[u8]>,
        if_modified_since: Option<&[u8]>,
    ) -> bool {
        if let Some(inm) = if_none_match {
            return self.none_match_fails(inm);
        }
        match if_modified_since.and_then(parse_http_date) {
            Some(since) => self.mtime <= since,
            None => false,
        }
    }

    /// `If-None-Match` with weak comparison: `*` or any listed tag equal to ours (a `W/`
    /// prefix is ignored).
    fn none_match_fails(&self, header: &[u8]) -> bool {
        self.listed(header, Comparison::Weak)
    }

    /// Whether `If-Range` lets the `Range` header apply: a strong tag equal to ours, or a
    /// date equal to our modification time. Anything else sends the whole file.
    pub(crate) fn if_range_holds(&self, if_range: &[u8]) -> bool {
        let v = trim_ows(if_range);
        if v.starts_with(b"\"") {
            return v == self.etag().as_bytes();
        }
        if v.starts_with(b"W/") {
            return false;
        }
        parse_http_date(v) == Some(self.mtime)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V: Validators = Validators {
        mtime: 784_111_777,
        size: 1024,
    };

    #[test]
    fn etag_is_nginx_style() {
        assert_eq!(V.etag(), "\"2ebc98a1-400\"");
    }

    #[test]
    fn if_none_match() {
        assert!(V.not_modified(Some(b"\"2ebc98a1-400\""), None));
        assert!(V.not_modified(Some(b"\"x\", W/\"2ebc98a1-400\""), None));
        assert!(V.not_modified(Some(b"*"), None));
        assert!(!V.not_modified(Some(b"\"x\""), None));
        // If-None-Match wins over a matching If-Modified-Since.
        assert!(!V.not_modified(Some(b"\"x\""), Some(b"Sun, 06 Nov 1994 08:49:37 GMT")));
    }

    #[test]
    fn if_modified_since() {
        assert!(V.not_modified(None, Some(b"Sun, 06 Nov 1994 08:49:37 GMT")));
        assert!(V.not_modified(None, Some(b"Mon, 07 Nov 1994 08:49:37 GMT")));
        assert!(!V.not_modified(None, Some(b"Sat, 05 Nov 1994 08:49:37 GMT")));
        assert!(!V.not_modified(None, Some(b"garbage")));
        assert!(!V.not_modified(None, None));
    }

    #[test]
    fn if_match_uses_strong_comparison() {
        let im = |v: &'static [u8]| Preconditions {
            if_match: Some(v),
            ..Preconditions::default()
        };
        assert_eq!(V.precondition(&im(b"\"2ebc98a1-400\"")), None);
        assert_eq!(V.precondition(&im(b"\"x\", \"2ebc98a1-400\"")), None);
        assert_eq!(V.precondition(&im(b"*")), None);
        assert_eq!(
            V.precondition(&im(b"\"x\"")),
            Some(Status::PreconditionFailed)
        );
        assert_eq!(
            V.precondition(&im(b"W/\"2ebc98a1-400\"")),
            Some(Status::PreconditionFailed)
        );
    }

    #[test]
    fn if_unmodified_since_counts_only_without_if_match() {
        let ius = |v: &'static [u8]| Preconditions {
            if_unmodified_since: Some(v),
            ..Preconditions::default()
        };
        // The file was modified at 08:49:37 on 6 Nov 1994.
        assert_eq!(V.precondition(&ius(b"Sun, 06 Nov 1994 08:49:37 GMT")), None);
        assert_eq!(
            V.precondition(&ius(b"Sat, 05 Nov 1994 08:49:37 GMT")),
            Some(Status::PreconditionFailed)
        );
        assert_eq!(V.precondition(&ius(b"garbage")), None);
        let both = Preconditions {
            if_match: Some(b"\"2ebc98a1-400\""),
            if_unmodified_since: Some(b"Sat, 05 Nov 1994 08:49:37 GMT"),
            ..Preconditions::default()
        };
        assert_eq!(V.precondition(&both), None);
    }

    #[test]
    fn a_failed_precondition_wins_over_not_modified() {
        let p = Preconditions {
            if_match: Some(b"\"x\""),
            if_none_match: Some(b"\"2ebc98a1-400\""),
            ..Preconditions::default()
        };
        assert_eq!(V.precondition(&p), Some(Status::PreconditionFailed));
        let p = Preconditions {
            if_none_match: Some(b"\"2ebc98a1-400\""),
            ..Preconditions::default()
        };
        assert_eq!(V.precondition(&p), Some(Status::NotModified));
    }

    #[test]
    fn if_range() {
        assert!(V.if_range_holds(b"\"2ebc98a1-400\""));
        assert!(!V.if_range_holds(b"W/\"2ebc98a1-400\""));
        assert!(!V.if_range_holds(b"\"other\""));
        assert!(V.if_range_holds(b"Sun, 06 Nov 1994 08:49:37 GMT"));
        assert!(!V.if_range_holds(b"Mon, 07 Nov 1994 08:49:37 GMT"));
    }
}
