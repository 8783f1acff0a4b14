//! HTTPolice (PyPI `httpolice` with `bitstring<4`) over a recorded pipelined exchange: every
//! kind of answer the server gives (200, HEAD, 304 by tag and by date, 206, 416, 301, 404,
//! 405 after a skipped body, the closing request), checked down to its debug notices.
//! Skipped with a note when `httpolice` is not on PATH.

use crate::common::*;
use std::process::Command;

#[test]
fn httpolice_finds_nothing_in_a_pipelined_exchange() {
    if !have("httpolice") {
        eprintln!(
            "NOTE: httpolice (pip install httpolice 'bitstring<4') is not installed; skipping"
        );
        return;
    }
    let s = Server::start();
    let first = curl_response(&[&s.url("/style.css")], false);
    let etag = first.header("etag").unwrap().to_owned();
    let lm = first.header("last-modified").unwrap().to_owned();
    let get = |path: &str, extra: &str| {
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nUser-Agent: t\r\n{extra}\r\n")
    };
    let requests = [
        get("/", ""),
        "HEAD /style.css HTTP/1.1\r\nHost: localhost\r\nUser-Agent: t\r\n\r\n".to_owned(),
        get("/style.css", &format!("If-None-Match: {etag}\r\n")),
        get("/style.css", &format!("If-Modified-Since: {lm}\r\n")),
        get("/big.bin", "Range: bytes=0-99\r\n"),
        get("/big.bin", "Range: bytes=999999-\r\n"),
        get("/dir", ""),
        get("/nope", ""),
        "POST / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: t\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nabc"
            .to_owned(),
        get("/dir/", "Connection: close\r\n"),
    ]
    .concat();
    let responses = s.raw_until_server_closes(requests.as_bytes());
    let mut combined = b"======== BEGIN INBOUND STREAM ========\r\n".to_vec();
    combined.extend_from_slice(requests.as_bytes());
    combined.extend_from_slice(b"======== BEGIN OUTBOUND STREAM ========\r\n");
    combined.extend_from_slice(&responses);
    let tmp = TempDir::new("httpolice");
    let file = tmp.0.join("exchange.txt");
    std::fs::write(&file, combined).unwrap();
    let out = Command::new("timeout")
        .args(["60", "httpolice", "-i", "combined", "--fail-on", "debug"])
        .arg(&file)
        .output()
        .expect("run httpolice");
    assert!(
        out.status.success(),
        "HTTPolice reports:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
