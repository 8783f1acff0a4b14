// SPDX-License-Identifier: GPL-2.0

//! The records servers write to the device, and their parser. The format and the parser
//! live in `record_parse.rs`, which uses `core` alone so that user space compiles the same
//! file (`devstats` does, for the fuzz target `mydevice_record`); this module maps its
//! errors to the kernel's.
//!
//! A record is one `write()` of at most [`RECORD_MAX`](crate::uapi::RECORD_MAX) bytes of
//! text lines `key=value\n`, all or nothing: a bad record changes nothing.

#[path = "record_parse.rs"]
mod shared;

use kernel::prelude::*;
pub(crate) use shared::{
    Counters, Name, Record, TlsCounters, FIELDS, NAME_MAX, PROTOCOL_VERSION, TLS_FIELDS,
};

/// Parses one record (the bytes of one write): `EINVAL` if it breaks any rule.
pub(crate) fn parse(input: &[u8]) -> Result<Record> {
    shared::parse(input).map_err(|shared::Invalid| EINVAL)
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
            assert_eq!(r.name.map(|n| n.as_bytes().len()), Some(5));
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
    fn tls_gauges_are_optional_and_apply_like_counters() {
        let r = parse(b"v=1\nconns_active=3\nconns_ktls=1\nconns_tls=2\n");
        assert!(r.is_ok());
        if let Ok(r) = r {
            assert_eq!(r.counters[0], Some(3));
            assert_eq!(r.tls, [Some(2), Some(1)]);
            let mut tls = None;
            r.apply_tls_to(&mut tls);
            assert_eq!(tls, Some([2, 1]));
        }
        // A record without them leaves a source's as they are, shown or not.
        let r = parse(b"v=1\nrequests=5\n");
        assert!(r.is_ok());
        if let Ok(r) = r {
            let (mut never, mut shown) = (None, Some([4, 4]));
            r.apply_tls_to(&mut never);
            r.apply_tls_to(&mut shown);
            assert_eq!((never, shown), (None, Some([4, 4])));
        }
        // One of them alone: the other starts at 0, or keeps its value.
        let r = parse(b"v=1\nconns_ktls=7\n");
        assert!(r.is_ok());
        if let Ok(r) = r {
            let (mut never, mut shown) = (None, Some([9, 1]));
            r.apply_tls_to(&mut never);
            r.apply_tls_to(&mut shown);
            assert_eq!((never, shown), (Some([0, 7]), Some([9, 7])));
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
        let bad: [&[u8]; 27] = [
            b"",
            b"\n",
            b"v=1",
            b"v=2\n",
            b"v=\n",
            b"v=01\n",
            b"v=0\n",
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
            b"v=1\nconns_tls=1\nconns_tls=1\n",
            b"v=1\nconns_ktls=-1\n",
            b"v=1\nconns_tls=\n",
            b"v=1\nconns_tls=18446744073709551616\n",
            b"v=1\nconns_TLS=1\n",
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
