//! The text records written to the device (see `docs/mydevice.md`):
//! `v=1\n`, then `name=...\n` and `key=value\n` for each counter, and for the TLS gauges
//! when the server reports them.

use crate::counters::{CounterSnapshot, TlsSnapshot};
use crate::uapi::{FIELDS, PROTOCOL_VERSION, TLS_FIELDS};
use std::fmt::Write;

/// Encodes a record carrying every counter, and the name when given (the first record of
/// a file must name its source).
pub fn encode_record(name: Option<&str>, counters: &CounterSnapshot) -> String {
    encode_record_with_tls(name, counters, None)
}

/// Like [`encode_record`], with the TLS gauges when given. Only a module that announces
/// [`INFO_TLS`](crate::uapi::INFO_TLS) takes them; an older one refuses the record
/// (`EINVAL`).
pub fn encode_record_with_tls(
    name: Option<&str>,
    counters: &CounterSnapshot,
    tls: Option<TlsSnapshot>,
) -> String {
    let mut out = String::with_capacity(200);
    let _ = writeln!(out, "v={PROTOCOL_VERSION}");
    if let Some(name) = name {
        // A name is one line: a newline in it would end the line and add a key of the
        // caller's choosing (`conns_tls=`, which a record may leave out). It becomes a byte
        // no name may hold, so the module refuses the record (EINVAL) as any bad name.
        let _ = writeln!(out, "name={}", name.replace('\n', "?"));
    }
    for (key, value) in FIELDS.iter().zip(counters.0) {
        let _ = writeln!(out, "{key}={value}");
    }
    if let Some(t) = tls {
        for (key, value) in TLS_FIELDS.iter().zip([t.conns_tls, t.conns_ktls]) {
            let _ = writeln!(out, "{key}={value}");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_lists_version_name_and_every_counter() {
        let r = encode_record(Some("chat"), &CounterSnapshot([1, 2, 3, 4, 5, 6]));
        assert_eq!(
            r,
            "v=1\nname=chat\nconns_active=1\nconns_total=2\nrequests=3\nbytes_in=4\n\
             bytes_out=5\nerrors=6\n"
        );
    }

    #[test]
    fn largest_record_fits_the_limit() {
        let name = "n".repeat(crate::uapi::NAME_MAX);
        let tls = TlsSnapshot {
            conns_tls: u64::MAX,
            conns_ktls: u64::MAX,
        };
        let r = encode_record_with_tls(Some(&name), &CounterSnapshot([u64::MAX; 6]), Some(tls));
        assert!(r.len() <= crate::uapi::RECORD_MAX, "{} bytes", r.len());
    }

    #[test]
    fn tls_gauges_follow_the_counters() {
        let tls = TlsSnapshot {
            conns_tls: 2,
            conns_ktls: 1,
        };
        let r = encode_record_with_tls(None, &CounterSnapshot([1, 2, 3, 4, 5, 6]), Some(tls));
        assert_eq!(
            r,
            "v=1\nconns_active=1\nconns_total=2\nrequests=3\nbytes_in=4\nbytes_out=5\n\
             errors=6\nconns_tls=2\nconns_ktls=1\n"
        );
    }
}
