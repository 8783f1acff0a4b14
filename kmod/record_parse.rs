// SPDX-License-Identifier: GPL-2.0

//! The record format and its parser, in `core` alone (no allocation, no `kernel` crate), so
//! that one source file serves the module and user space: the module includes it from
//! `kmod/record.rs`, which maps [`Invalid`] to `EINVAL`; the `devstats` crate includes it too
//! (`devstats/src/fuzzing.rs`), where the fuzz target `mydevice_record` and its corpus replay
//! check it against `docs/mydevice.md` and devstats's encoder. It names nothing outside
//! itself, since either crate may be the one including it.
//!
//! A record is one `write()` of text lines `key=value\n`:
//!
//! ```text
//! v=1
//! name=httpd
//! conns_active=3
//! requests=1200
//! ```
//!
//! The first line is `v=1` (the protocol version). Then, in any order and each at most once:
//! `name` (1 to 31 bytes of `A-Z a-z 0-9 . _ -`), the counters of [`FIELDS`] and the TLS
//! gauges of [`TLS_FIELDS`], each an unsigned decimal that fits in 64 bits. A counter left
//! out keeps its value. Anything else
//! (an unknown key, a missing `=`, an empty line, a missing final newline, a sign, a space)
//! makes the whole record invalid: parsing is all or nothing, so a bad record changes nothing.

/// Version of the record format (the `v=` line of every write).
pub(crate) const PROTOCOL_VERSION: u32 = 1;

/// Longest source name, in bytes.
pub(crate) const NAME_MAX: usize = 31;

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

/// The optional TLS gauges: of the source's live connections (`conns_active`), how many
/// speak TLS, and how many of those have their records done by the kernel (kTLS). Only a
/// server that serves TLS sends them; a source shows them once a record carried either.
/// (Modules before 0.4.0 refuse them as unknown keys; `MYDEVICE_INFO_TLS` says a module
/// takes them.)
pub(crate) const TLS_FIELDS: [&str; 2] = ["conns_tls", "conns_ktls"];

/// The values of the [`TLS_FIELDS`] gauges, in that order.
pub(crate) type TlsCounters = [u64; TLS_FIELDS.len()];

/// Why a record or a name is refused: the protocol has one answer for all (`EINVAL`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Invalid;

/// A source's name: 1 to [`NAME_MAX`] bytes of `A-Z a-z 0-9 . _ -`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Name {
    bytes: [u8; NAME_MAX],
    len: usize,
}

impl Name {
    /// Validates `raw` as a name.
    pub(crate) fn parse(raw: &[u8]) -> Result<Self, Invalid> {
        let ok = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-');
        if raw.is_empty() || raw.len() > NAME_MAX || !raw.iter().all(ok) {
            return Err(Invalid);
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
    /// New values of the TLS gauges the record carries.
    pub(crate) tls: [Option<u64>; TLS_FIELDS.len()],
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

    /// Applies the record's TLS gauges to a source's, `None` while the source has never
    /// sent one: the first record carrying either makes them `Some` (the other from 0).
    pub(crate) fn apply_tls_to(&self, tls: &mut Option<TlsCounters>) {
        if self.tls.iter().all(Option::is_none) {
            return;
        }
        let gauges = tls.get_or_insert([0; TLS_FIELDS.len()]);
        for (slot, new) in gauges.iter_mut().zip(self.tls.iter()) {
            if let Some(v) = new {
                *slot = *v;
            }
        }
    }
}

/// Parses an unsigned decimal without sign or spaces that fits in a `u64`.
fn parse_u64(digits: &[u8]) -> Result<u64, Invalid> {
    if digits.is_empty() {
        return Err(Invalid);
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(Invalid);
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or(Invalid)?;
    }
    Ok(v)
}

/// Parses one record (the bytes of one write).
pub(crate) fn parse(input: &[u8]) -> Result<Record, Invalid> {
    let body = input.strip_suffix(b"\n").ok_or(Invalid)?;
    let mut lines = body.split(|&c| c == b'\n');

    let version = lines.next().ok_or(Invalid)?;
    let want = b"v=";
    let v = version.strip_prefix(want).ok_or(Invalid)?;
    // The line is `v=1` exactly: a leading zero (`v=01`) is refused, as it is not the
    // documented line. (Counters may have leading zeros: they are plain decimals.)
    if v.first() == Some(&b'0') || parse_u64(v)? != u64::from(PROTOCOL_VERSION) {
        return Err(Invalid);
    }

    let mut record = Record {
        name: None,
        counters: [None; FIELDS.len()],
        tls: [None; TLS_FIELDS.len()],
    };
    for line in lines {
        let eq = line.iter().position(|&c| c == b'=').ok_or(Invalid)?;
        let (key, value) = (&line[..eq], &line[eq + 1..]);
        if key == b"name" {
            if record.name.is_some() {
                return Err(Invalid);
            }
            record.name = Some(Name::parse(value)?);
            continue;
        }
        let is_key = |f: &&str| f.as_bytes() == key;
        let slot = match FIELDS.iter().position(is_key) {
            Some(i) => &mut record.counters[i],
            None => {
                let i = TLS_FIELDS.iter().position(is_key).ok_or(Invalid)?;
                &mut record.tls[i]
            }
        };
        if slot.is_some() {
            return Err(Invalid);
        }
        *slot = Some(parse_u64(value)?);
    }
    Ok(record)
}
