//! The text records written to the device (see `docs/mydevice.md`):
//! `v=1\n`, then `name=...\n` and `key=value\n` for each counter.

use crate::counters::CounterSnapshot;
use crate::uapi::{FIELDS, PROTOCOL_VERSION};
use std::fmt::Write;

/// Encodes a record carrying every counter, and the name when given (the first record of
/// a file must name its source).
pub fn encode_record(name: Option<&str>, counters: &CounterSnapshot) -> String {
    let mut out = String::with_capacity(160);
    let _ = writeln!(out, "v={PROTOCOL_VERSION}");
    if let Some(name) = name {
        let _ = writeln!(out, "name={name}");
    }
    for (key, value) in FIELDS.iter().zip(counters.0) {
        let _ = writeln!(out, "{key}={value}");
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
        let r = encode_record(Some(&name), &CounterSnapshot([u64::MAX; 6]));
        assert!(r.len() <= crate::uapi::RECORD_MAX, "{} bytes", r.len());
    }
}
