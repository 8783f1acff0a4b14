//! The bodies of kv's fuzz targets (`fuzz/`), as plain functions of arbitrary bytes, so that
//! libFuzzer and the corpus replay test (`tests/fuzz_corpus.rs`) run the same code. Each
//! panics only on a bug: a property the parser must keep, checked beyond "no panic". Not an
//! API: hidden from the docs, and the parsers themselves stay `pub(crate)`.

use crate::aof::load::{scan, Problem};
use crate::config::Config;
use crate::resp::request::{Limits, Parsed, Parser, ProtocolError};
use crate::state::Server;
use netcore::fuzzing::split_points;

/// Limits of an authenticated client, with a bulk bound small enough that the fuzzer's
/// inputs reach it.
const OPEN: Limits = Limits {
    max_bulk: 1 << 20,
    authenticated: true,
};

/// What a parser makes of a query buffer: the requests, then where it stopped waiting for
/// more (`Ok(pos)`) or the protocol error that closes the connection.
type Outcome = (Vec<Vec<Vec<u8>>>, Result<usize, ProtocolError>);

/// Parses `data` as it would arrive in pieces ending at each of `cuts` (increasing), the
/// query buffer growing and the parser keeping its place, as a connection does.
fn parse_in_pieces(data: &[u8], cuts: impl Iterator<Item = usize>, limits: Limits) -> Outcome {
    let mut parser = Parser::default();
    let mut pos = 0;
    let mut requests = Vec::new();
    for end in cuts.chain([data.len()]) {
        loop {
            match parser.next(&data[..end], &mut pos, limits) {
                Ok(Parsed::Request(args)) => requests.push(args.to_vec()),
                Ok(Parsed::Incomplete) => break,
                Err(e) => return (requests, Err(e)),
            }
        }
    }
    (requests, Ok(pos))
}

/// The RESP request parser: the same bytes give the same requests and the same error
/// whether they arrive whole, a byte at a time, or split at the points the input's first
/// bytes choose ([`split_points`]); requests are never empty and re-encoded as multibulk
/// they parse back to themselves; an unauthenticated client gets a prefix of those
/// requests, each of a bounded size.
pub fn resp(input: &[u8]) {
    let (points, data) = split_points(input);
    let whole = parse_in_pieces(data, std::iter::empty(), OPEN);
    let (requests, _) = &whole;
    assert!(requests.iter().all(|r| !r.is_empty()), "an empty request");

    let split = parse_in_pieces(data, points.iter().copied(), OPEN);
    assert_eq!(split, whole, "split at bytes {points:?}");
    let bytewise = parse_in_pieces(data, 1..data.len(), OPEN);
    assert_eq!(bytewise, whole, "fed a byte at a time");

    let mut encoded = Vec::new();
    for r in requests {
        crate::cmd::encode(&mut encoded, r);
    }
    let again = parse_in_pieces(&encoded, std::iter::empty(), OPEN);
    assert_eq!(&again.0, requests, "re-encoded requests");
    assert_eq!(again.1, Ok(encoded.len()), "re-encoded requests");

    let guarded = Limits {
        authenticated: false,
        ..OPEN
    };
    let (before_auth, _) = parse_in_pieces(data, std::iter::empty(), guarded);
    assert!(
        requests.starts_with(&before_auth),
        "unauthenticated requests"
    );
    // At most 10 bulks of 16 KiB, or an inline line (which Redis does not limit further).
    let most = (10 * 16384).max(crate::resp::request::INLINE_MAX);
    for r in &before_auth {
        assert!(r.iter().map(Vec::len).sum::<usize>() <= most, "{r:?}");
    }
}

/// Replaying a log: whatever the bytes, the scan ends with an error, a torn tail or a whole
/// log, never a panic; the dataset it leaves, written out as a rewrite does and replayed
/// into a fresh server, is a whole log that gives the same dataset.
pub fn aof(data: &[u8]) {
    let mut server = replaying_server();
    let result = scan(data, |args| {
        within_memory(args)?;
        crate::cmd::replay(&mut server, args)
    });
    assert!(result.valid_len <= result.len && result.len == data.len() as u64);
    assert_eq!(result.problem.is_none(), result.valid_len == result.len);
    if let Some(Problem::Corrupt(why)) = &result.problem {
        assert!(!why.is_empty());
    }

    let mut rewritten = Vec::new();
    crate::aof::rewrite::write_dataset(&server, &mut rewritten).expect("writing to a Vec");
    let mut copy = replaying_server();
    let again = scan(&rewritten, |args| crate::cmd::replay(&mut copy, args));
    assert_eq!(again.problem, None, "the rewritten log");
    assert_eq!(
        copy.db.dump(),
        server.db.dump(),
        "the rewritten log's dataset"
    );
}

/// Refuses, as if it failed, a command whose numbers size an allocation (`SETRANGE`'s
/// offset, `SRANDMEMBER`'s and `HRANDFIELD`'s negative counts) over a million: a real log may
/// hold `SETRANGE k 536870000 x`, and a few of them would only find libFuzzer's memory limit.
fn within_memory(args: &[Vec<u8>]) -> Result<(), String> {
    let sized = ["setrange", "srandmember", "hrandfield"];
    if !sized
        .iter()
        .any(|c| args[0].eq_ignore_ascii_case(c.as_bytes()))
    {
        return Ok(());
    }
    let big = |a: &Vec<u8>| {
        crate::resp::request::parse_i64(a).is_some_and(|n| n.unsigned_abs() > 1 << 20)
    };
    match args.iter().skip(2).any(big) {
        true => Err("over the fuzz target's memory bound".into()),
        false => Ok(()),
    }
}

/// A server as at start-up, replaying its log: nothing expires.
fn replaying_server() -> Server {
    let mut server = Server::new(Config::default(), || 0);
    server.db.loading = true;
    server
}
