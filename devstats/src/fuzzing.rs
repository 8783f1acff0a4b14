//! The body of the fuzz target `mydevice_record` (`fuzz/`), a plain function of arbitrary
//! bytes, so that libFuzzer and the corpus replay test (`tests/fuzz_corpus.rs`) run the same
//! code. It panics only on a bug. Not an API: hidden from the docs.
//!
//! The parser under test is the kernel module's own: `kmod/record_parse.rs` uses `core`
//! alone, and is compiled here from the very file `kmod/record.rs` includes.

use crate::counters::{CounterSnapshot, TlsSnapshot};
use crate::record::{encode_record, encode_record_with_tls};
use crate::uapi;

#[path = "../../kmod/record_parse.rs"]
mod kmod_record;

use kmod_record::{Counters, Name, Record, TlsCounters};

// The module's format and devstats's agree (the field names: a test below).
const _: () = assert!(kmod_record::NAME_MAX == uapi::NAME_MAX);
const _: () = assert!(kmod_record::PROTOCOL_VERSION == uapi::PROTOCOL_VERSION);

/// A record as values: the name's bytes, the counters and the TLS gauges it carries.
type Values = (Option<Vec<u8>>, [Option<u64>; 6], [Option<u64>; 2]);

/// A second parser, written from `docs/mydevice.md` alone, with `std` and no care for speed:
/// the first line is `v=1`; then each key at most once: `name`, 1 to 31 bytes of
/// `A-Z a-z 0-9 . _ -`, or a counter or TLS gauge, an unsigned decimal (digits only) that
/// fits in 64 bits; every line ends in `\n`, and there is no empty line.
fn reference(input: &[u8]) -> Option<Values> {
    let body = input.strip_suffix(b"\n")?;
    let mut lines = body.split(|&c| c == b'\n');
    if lines.next()? != b"v=1" {
        return None;
    }
    let mut name = None;
    let mut counters = [None; 6];
    let mut tls = [None; 2];
    for line in lines {
        let text = std::str::from_utf8(line).ok()?;
        let (key, value) = text.split_once('=')?;
        if key == "name" {
            let good = (1..=31).contains(&value.len())
                && value
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            if !good || name.replace(value.as_bytes().to_vec()).is_some() {
                return None;
            }
        } else {
            let slot = match uapi::FIELDS.iter().position(|&f| f == key) {
                Some(i) => &mut counters[i],
                None => &mut tls[uapi::TLS_FIELDS.iter().position(|&f| f == key)?],
            };
            if value.is_empty() || !value.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            if slot.replace(value.parse::<u64>().ok()?).is_some() {
                return None;
            }
        }
    }
    Some((name, counters, tls))
}

fn values(record: &Record) -> Values {
    (
        record.name.map(|n| n.as_bytes().to_vec()),
        record.counters,
        record.tls,
    )
}

/// `record` written out canonically: the version, the name, the counters it carries.
fn encode(record: &Record) -> Vec<u8> {
    let mut out = b"v=1\n".to_vec();
    if let Some(name) = record.name {
        out.extend_from_slice(format!("name={}\n", name.as_str()).as_bytes());
    }
    let fields = kmod_record::FIELDS
        .iter()
        .chain(kmod_record::TLS_FIELDS.iter());
    for (key, value) in fields.zip(record.counters.iter().chain(record.tls.iter())) {
        if let Some(v) = value {
            out.extend_from_slice(format!("{key}={v}\n").as_bytes());
        }
    }
    out
}

/// The record parser of `/dev/mydevice` on arbitrary input (see the module's docs):
/// - it decides as the reference parser written from `docs/mydevice.md` does, with the same
///   values, and what it accepts holds the documented limits (a valid name);
/// - a parsed record applies exactly its counters and TLS gauges (a source without gauges
///   gets them only from a record that carries one), and written out canonically parses back
///   to itself;
/// - devstats's encoder, given a name and counters made of the input, writes a record of at
///   most `RECORD_MAX` bytes that the module parses to those values when the name is valid,
///   and refuses whole when it is not (a name carrying `\n` and keys injects nothing).
pub fn record(data: &[u8]) {
    let parsed = kmod_record::parse(data);
    assert_eq!(
        parsed.as_ref().ok().map(values),
        reference(data),
        "the module's parser and the reference disagree on {:?}",
        String::from_utf8_lossy(data)
    );
    if let Ok(record) = &parsed {
        if let Some(name) = record.name {
            assert!((1..=uapi::NAME_MAX).contains(&name.as_bytes().len()));
            assert_eq!(name.as_str().as_bytes(), name.as_bytes());
            assert_eq!(Name::parse(name.as_bytes()), Ok(name));
        }
        let before: Counters = std::array::from_fn(|i| i as u64 ^ 0x5a5a);
        let mut after = before;
        record.apply_to(&mut after);
        for i in 0..after.len() {
            assert_eq!(after[i], record.counters[i].unwrap_or(before[i]));
        }
        let before_tls: TlsCounters = [7, 3];
        let (mut none, mut some) = (None, Some(before_tls));
        record.apply_tls_to(&mut none);
        record.apply_tls_to(&mut some);
        let carries = record.tls.iter().any(Option::is_some);
        assert_eq!(none.is_some(), carries);
        for i in 0..before_tls.len() {
            assert_eq!(
                some.map(|t| t[i]),
                Some(record.tls[i].unwrap_or(before_tls[i]))
            );
            if let Some(t) = none {
                assert_eq!(t[i], record.tls[i].unwrap_or(0));
            }
        }
        assert_eq!(kmod_record::parse(&encode(record)).as_ref(), Ok(record));
    }

    // The encoder: a name of the first byte's length (mod 40), counters from what follows.
    let (&len, rest) = data.split_first().unwrap_or((&0, &[]));
    let (name, rest) = rest.split_at((usize::from(len) % 40).min(rest.len()));
    let name = String::from_utf8_lossy(name);
    let mut words = rest.chunks(8).map(|c| {
        let mut b = [0u8; 8];
        b[..c.len()].copy_from_slice(c);
        u64::from_le_bytes(b)
    });
    let counters: [u64; 6] = std::array::from_fn(|_| words.next().unwrap_or(0));
    let gauges: [u64; 2] = std::array::from_fn(|_| words.next().unwrap_or(0));
    // With the TLS gauges when the first byte is odd, as a TLS server's reporter writes.
    let tls = (len % 2 == 1).then_some(TlsSnapshot {
        conns_tls: gauges[0],
        conns_ktls: gauges[1],
    });
    let sent_tls = if tls.is_some() {
        gauges.map(Some)
    } else {
        [None; 2]
    };
    let text = encode_record_with_tls(Some(&name), &CounterSnapshot(counters), tls);
    match (
        Name::parse(name.as_bytes()),
        kmod_record::parse(text.as_bytes()),
    ) {
        (Ok(good), Ok(record)) => {
            assert!(text.len() <= uapi::RECORD_MAX, "{} bytes", text.len());
            assert_eq!(record.name, Some(good));
            assert_eq!(record.counters, counters.map(Some));
            assert_eq!(record.tls, sent_tls);
        }
        (Err(_), Err(_)) => {}
        (name_ok, parsed) => panic!("name {name:?} ({name_ok:?}) encoded as {text:?}: {parsed:?}"),
    }
    // Without a name, as the reporter's later records.
    let text = encode_record(None, &CounterSnapshot(counters));
    let record = kmod_record::parse(text.as_bytes()).expect("an unnamed record parses");
    assert_eq!(
        (record.name, record.counters, record.tls),
        (None, counters.map(Some), [None; 2])
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_module_and_devstats_agree_on_the_fields() {
        assert_eq!(kmod_record::FIELDS, uapi::FIELDS);
        assert_eq!(kmod_record::TLS_FIELDS, uapi::TLS_FIELDS);
    }

    /// Found by this target: a name holding a newline added a line of its own, a TLS gauge
    /// (optional, so no repeated key gave it away), and the module took the record.
    #[test]
    fn a_name_cannot_add_a_line() {
        let tls = Some(TlsSnapshot {
            conns_tls: 0,
            conns_ktls: 0,
        });
        for t in [None, tls] {
            let text = encode_record_with_tls(
                Some("chat\nconns_tls=1"),
                &CounterSnapshot([1, 2, 3, 4, 5, 6]),
                t,
            );
            assert_eq!(
                text.lines().count(),
                if t.is_some() { 10 } else { 8 },
                "{text}"
            );
            assert_eq!(
                kmod_record::parse(text.as_bytes()),
                Err(kmod_record::Invalid)
            );
        }
    }

    /// Found by this target: the module took `v=01` (and `v=001`...) for the version line.
    #[test]
    fn the_version_line_is_v1_exactly() {
        for bad in [&b"v=01\nrequests=5\n"[..], b"v=001\n", b"v=0\n", b"v=1 \n"] {
            assert_eq!(
                kmod_record::parse(bad),
                Err(kmod_record::Invalid),
                "{bad:?}"
            );
        }
        assert!(kmod_record::parse(b"v=1\nrequests=05\n").is_ok());
    }
}
