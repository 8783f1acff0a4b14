// SPDX-License-Identifier: GPL-2.0

//! The records servers write to the device, and their parser.
//!
//! A record is one `write()` of text lines `key=value\n`, at most
//! [`RECORD_MAX`](crate::uapi::RECORD_MAX) bytes:
//!
//! ```text
//! v=1
//! name=httpd
//! conns_active=3
//! requests=1200
//! ```
//!
//! The first line is `v=1` (the protocol version). Then, in any order and each at most once:
//! `name` (1 to 31 bytes of `A-Z a-z 0-9 . _ -`) and the counters of [`FIELDS`], each an
//! unsigned decimal that fits in 64 bits. A counter left out keeps its value. Anything else
//! (an unknown key, a missing `=`, an empty line, a missing final newline, a sign, a space)
//! makes the whole record invalid: parsing is all or nothing, so a bad record changes nothing.

use crate::uapi::{NAME_MAX, PROTOCOL_VERSION};
use kernel::prelude::*;

/// The counters a source reports, in the order of the table columns and binary rows.
pub(crate) const FIELDS: [&str; 6] = [
    "conns_active",
    "conns_total",
    "requests",
    "bytes_in",
    "bytes_out",
    "errors",
];

/// The values of the [`FIELDS`] counters, in that order.
pub(crate) type Counters = [u64; FIELDS.len()];

/// A source's name: 1 to [`NAME_MAX`] bytes of `A-Z a-z 0-9 . _ -`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Name {
    bytes: [u8; NAME_MAX],
    len: usize,
}

impl Name {
    /// Validates `raw` as a name.
    pub(crate) fn parse(raw: &[u8]) -> Result<Self> {
        let ok = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-');
        if raw.is_empty() || raw.len() > NAME_MAX || !raw.iter().all(ok) {
            return Err(EINVAL);
        }
        let mut bytes = [0u8; NAME_MAX];
        bytes[..raw.len()].copy_from_slice(raw);
        Ok(Self {
            bytes,
            len: raw.len(),
        })
    }

    /// The name's bytes.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    /// The name as text (names are ASCII by construction).
    pub(crate) fn as_str(&self) -> &str {
        core::str::from_utf8(self.as_bytes()).unwrap_or("?")
    }
}

/// A parsed record: what one write asks to change.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Record {
    /// The source's name, if the record sets it (required when a file registers).
    pub(crate) name: Option<Name>,
    /// New values of the counters the record carries.
    pub(crate) counters: [Option<u64>; FIELDS.len()],
}

impl Record {
    /// Applies the record's counters to `counters`, leaving the others as they are.
    pub(crate) fn apply_to(&self, counters: &mut Counters) {
        for (slot, new) in counters.iter_mut().zip(self.counters.iter()) {
            if let Some(v) = new {
                *slot = *v;
            }
        }
    }
}

/// Parses an unsigned decimal without sign or spaces that fits in a `u64`.
fn parse_u64(digits: &[u8]) -> Result<u64> {
    if digits.is_empty() {
        return Err(EINVAL);
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(EINVAL);
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or(EINVAL)?;
    }
    Ok(v)
}

/// Parses one record (the bytes of one write).
pub(crate) fn parse(input: &[u8]) -> Result<Record> {
    let body = input.strip_suffix(b"\n").ok_or(EINVAL)?;
    let mut lines = body.split(|&c| c == b'\n');

    let version = lines.next().ok_or(EINVAL)?;
    let want = b"v=";
    let v = version.strip_prefix(want).ok_or(EINVAL)?;
    if parse_u64(v)? != u64::from(PROTOCOL_VERSION) {
        return Err(EINVAL);
    }

    let mut record = Record {
        name: None,
        counters: [None; FIELDS.len()],
    };
    for line in lines {
        let eq = line.iter().position(|&c| c == b'=').ok_or(EINVAL)?;
        let (key, value) = (&line[..eq], &line[eq + 1..]);
        if key == b"name" {
            if record.name.is_some() {
                return Err(EINVAL);
            }
            record.name = Some(Name::parse(value)?);
            continue;
        }
        let field = FIELDS
            .iter()
            .position(|f| f.as_bytes() == key)
            .ok_or(EINVAL)?;
        if record.counters[field].is_some() {
            return Err(EINVAL);
        }
        record.counters[field] = Some(parse_u64(value)?);
    }
    Ok(record)
}

#[kunit_tests(mydevice_record)]
mod tests {
    use super::*;

    #[test]
    fn full_record_sets_every_field() {
        let r = parse(
            b"v=1\nname=httpd\nconns_active=3\nconns_total=10\nrequests=7\nbytes_in=100\n\
              bytes_out=2000\nerrors=1\n",
        );
        assert!(r.is_ok());
        if let Ok(r) = r {
            assert_eq!(r.name.map(|n| n.len), Some(5));
            assert_eq!(
                r.counters,
                [Some(3), Some(10), Some(7), Some(100), Some(2000), Some(1)]
            );
        }
    }

    #[test]
    fn partial_record_keeps_other_counters() {
        let r = parse(b"v=1\nrequests=5\n");
        assert!(r.is_ok());
        if let Ok(r) = r {
            assert!(r.name.is_none());
            let mut c: Counters = [1, 2, 3, 4, 5, 6];
            r.apply_to(&mut c);
            assert_eq!(c, [1, 2, 5, 4, 5, 6]);
        }
    }

    #[test]
    fn version_line_alone_is_valid() {
        assert!(parse(b"v=1\n").is_ok());
    }

    #[test]
    fn largest_u64_is_accepted_and_one_more_is_not() {
        assert_eq!(
            parse(b"v=1\nbytes_out=18446744073709551615\n").map(|r| r.counters[4]),
            Ok(Some(u64::MAX))
        );
        assert!(parse(b"v=1\nbytes_out=18446744073709551616\n").is_err());
    }

    #[test]
    fn malformed_records_are_rejected() {
        let bad: [&[u8]; 20] = [
            b"",
            b"\n",
            b"v=1",
            b"v=2\n",
            b"v=\n",
            b"name=x\nv=1\n",
            b"v=1\n\n",
            b"v=1\nname=a\nname=b\n",
            b"v=1\nrequests=1\nrequests=2\n",
            b"v=1\nrequests=-1\n",
            b"v=1\nrequests=+1\n",
            b"v=1\nrequests= 1\n",
            b"v=1\nrequests=1 \n",
            b"v=1\nrequests=\n",
            b"v=1\nrequests\n",
            b"v=1\nunknown=1\n",
            b"v=1\nname=\n",
            b"v=1\nname=has space\n",
            b"v=1\nname=0123456789012345678901234567890123\n",
            b"v=1\r\nrequests=1\r\n",
        ];
        for input in bad {
            assert_eq!(parse(input), Err(EINVAL));
        }
    }

    #[test]
    fn names_allow_the_documented_bytes_only() {
        assert!(Name::parse(b"chat-epoll_2.0").is_ok());
        assert!(Name::parse(b"0123456789012345678901234567890").is_ok());
        assert!(Name::parse(b"01234567890123456789012345678901").is_err());
        assert!(Name::parse(b"a/b").is_err());
        assert!(Name::parse(b"a\0b").is_err());
        assert!(Name::parse("caf\u{e9}".as_bytes()).is_err());
    }
}
