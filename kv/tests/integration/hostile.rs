//! Peers that misbehave: malformed RESP gets Redis's error and a close, absurd lengths are
//! refused before anything is allocated, a client that never reads is cut off at the output
//! limit, and none of it stalls a well-behaved client or grows the server without bound.

use crate::common::{start, Reply, Resp, TempDir};
use std::time::{Duration, Instant};

/// Sends `bytes`, expects one error reply starting with `want`, then the close.
fn refused(c: &mut Resp, bytes: &[u8], want: &str) {
    c.send_raw(bytes);
    match c.read() {
        Some(Reply::Error(e)) => assert!(
            e.starts_with(want),
            "{e:?} for {:?}",
            String::from_utf8_lossy(bytes)
        ),
        other => panic!("{other:?} for {:?}", String::from_utf8_lossy(bytes)),
    }
    assert!(
        c.read().is_none(),
        "the connection stays open after a protocol error"
    );
}

#[test]
fn malformed_requests_get_redis_errors_and_a_close() {
    let dir = TempDir::new("malformed");
    let kv = start(dir.path(), &[]);
    for (bytes, want) in [
        (
            &b"*x\r\n"[..],
            "ERR Protocol error: invalid multibulk length",
        ),
        (
            b"*1\r\n+PING\r\n",
            "ERR Protocol error: expected '$', got '+'",
        ),
        (b"*1\r\n$-5\r\n", "ERR Protocol error: invalid bulk length"),
        (
            b"*1\r\n$99999999999\r\n",
            "ERR Protocol error: invalid bulk length",
        ),
        (
            b"*99999999999\r\n",
            "ERR Protocol error: invalid multibulk length",
        ),
        (
            b"*1\r\n$4\r\nPINGxx",
            "ERR Protocol error: bulk not terminated by CRLF",
        ),
        (
            b"SET a \"unbalanced\n",
            "ERR Protocol error: unbalanced quotes in request",
        ),
    ] {
        let mut c = kv.connect();
        refused(&mut c, bytes, want);
    }
    // An inline line or a count line without its newline, past 64 KiB.
    let mut c = kv.connect();
    refused(
        &mut c,
        &vec![b'A'; 70 * 1024],
        "ERR Protocol error: too big inline request",
    );
    let mut c = kv.connect();
    let mut count = b"*".to_vec();
    count.extend(std::iter::repeat_n(b'1', 70 * 1024));
    refused(
        &mut c,
        &count,
        "ERR Protocol error: too big mbulk count string",
    );
    // Binary keys and values with NUL and CRLF inside are data, not protocol.
    let mut c = kv.connect();
    c.send(&[b"SET", b"\0key\r\n", b"\0\xff\r\nvalue"]);
    assert_eq!(c.read(), Some(Reply::Simple("OK".into())));
    c.send(&[b"GET", b"\0key\r\n"]);
    assert_eq!(
        c.read(),
        Some(Reply::Bulk(Some(b"\0\xff\r\nvalue".to_vec())))
    );
    // The server is fine.
    assert_eq!(c.cmd(&["PING"]), Reply::Simple("PONG".into()));
}

#[test]
fn a_huge_value_sent_slowly_is_bounded_by_the_bulk_limit_and_stalls_nobody() {
    let dir = TempDir::new("slow-bulk");
    let kv = start(dir.path(), &["--set", "proto-max-bulk-len=1mb"]);
    let mut big = kv.connect();
    // 1 GiB announced: refused at the length, before any byte of it is read.
    refused(
        &mut big,
        b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1073741824\r\n",
        "ERR Protocol error: invalid bulk length",
    );
    // Under the limit and sent a little at a time: other clients are served meanwhile.
    let mut slow = kv.connect();
    slow.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1000000\r\n");
    let mut other = kv.connect();
    for chunk in 0..10 {
        slow.send_raw(&vec![b'x'; 100_000]);
        let t = Instant::now();
        assert_eq!(other.cmd(&["PING"]), Reply::Simple("PONG".into()));
        assert!(
            t.elapsed() < Duration::from_secs(5),
            "chunk {chunk}: a slow sender stalled others"
        );
    }
    slow.send_raw(b"\r\n");
    assert_eq!(slow.read(), Some(Reply::Simple("OK".into())));
    assert_eq!(other.cmd(&["STRLEN", "k"]), Reply::Int(1_000_000));
}

#[test]
fn a_client_that_never_reads_is_cut_off_at_the_output_limit() {
    let dir = TempDir::new("no-reader");
    let kv = start(dir.path(), &["--set", "client-output-buffer-limit=1mb"]);
    let mut c = kv.connect();
    assert_eq!(
        c.cmd(&["SET", "big", &"x".repeat(100_000)]),
        Reply::Simple("OK".into())
    );
    // 2000 GETs of 100 kB: 200 MB of replies that are never read.
    let mut pipeline = Vec::new();
    for _ in 0..2000 {
        pipeline.extend_from_slice(b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n");
    }
    let mut writer = c.reader.get_ref().try_clone().unwrap();
    let sent = std::thread::spawn(move || {
        use std::io::Write;
        writer.write_all(&pipeline).is_ok()
    });
    let mut other = kv.connect();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let Reply::Bulk(Some(list)) = other.cmd(&["CLIENT", "LIST"]) else {
            panic!()
        };
        if String::from_utf8_lossy(&list).lines().count() == 1 {
            break; // only `other` is left
        }
        assert!(
            Instant::now() < deadline,
            "the non-reading client was never cut off"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = sent.join();
    // The server's memory did not follow the 200 MB of replies.
    let Reply::Bulk(Some(info)) = other.cmd(&["INFO", "memory"]) else {
        panic!()
    };
    let info = String::from_utf8_lossy(&info).into_owned();
    let used: u64 = info
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap();
    assert!(used < 64 << 20, "used_memory {used}");
}

#[test]
fn unauthenticated_clients_cannot_make_the_server_allocate_much() {
    let dir = TempDir::new("unauth");
    let kv = start(dir.path(), &["--requirepass", "pw"]);
    let mut c = kv.connect();
    refused(
        &mut c,
        b"*100\r\n",
        "ERR Protocol error: unauthenticated multibulk length",
    );
    let mut c = kv.connect();
    refused(
        &mut c,
        b"*2\r\n$4\r\nAUTH\r\n$100000\r\n",
        "ERR Protocol error: unauthenticated bulk length",
    );
}
