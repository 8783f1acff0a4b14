//! Pipelined requests over one raw TCP connection: answered in order, HEAD and 304 answers
//! never carry a body wherever they sit, bodies of skipped POSTs are not taken for requests,
//! and `Connection: close` in the middle ends the pipeline there.

use crate::common::*;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

#[test]
fn pipelined_requests_are_answered_in_order_with_exact_framing() {
    let s = Server::start();
    let req = b"GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n\
HEAD /style.css HTTP/1.1\r\nHost: t\r\n\r\n\
GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n\
HEAD /big.bin HTTP/1.1\r\nHost: t\r\n\r\n\
GET /nope HTTP/1.1\r\nHost: t\r\n\r\n\
HEAD /nope HTTP/1.1\r\nHost: t\r\n\r\n\
GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n\
GET /dir/ HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    let raw = s.raw_until_server_closes(req);
    let rs = parse_responses(&raw, &[false, true, false, true, false, true, false, false]);
    let statuses: Vec<u16> = rs.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 200, 200, 404, 404, 200, 200]);
    assert_eq!(rs[0].body, INDEX.as_bytes());
    assert!(rs[1].body.is_empty());
    assert_eq!(rs[2].body, STYLE.as_bytes());
    assert_eq!(rs[3].header("content-length"), Some(&*BIG_LEN.to_string()));
    assert!(rs[5].body.is_empty());
    assert!(rs[6].body == big_content());
    assert_eq!(rs[7].body, SUB_INDEX.as_bytes());
    assert_eq!(rs[7].header("connection"), Some("close"));
}

#[test]
fn head_and_304_behind_a_get_have_no_body() {
    let s = Server::start();
    let etag = curl_response(&[&s.url("/style.css")], false)
        .header("etag")
        .unwrap()
        .to_owned();
    let req = format!(
        "GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n\
HEAD /index.html HTTP/1.1\r\nHost: t\r\n\r\n\
GET /style.css HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag}\r\n\r\n\
HEAD /big.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-9\r\n\r\n\
GET /style.css HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
    );
    let raw = s.raw_until_server_closes(req.as_bytes());
    // parse_responses panics on any stray body byte (trailing bytes or misframed heads).
    let rs = parse_responses(&raw, &[false, true, true, true, false]);
    let statuses: Vec<u16> = rs.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 200, 304, 206, 200]);
    assert_eq!(rs[4].body, STYLE.as_bytes());
}

#[test]
fn a_skipped_post_body_is_not_taken_for_a_request() {
    let s = Server::start();
    // The body looks like a request; it must be skipped, not answered.
    let body = "GET /secret HTTP/1.1\r\nHost: t\r\n\r\n";
    let req = format!(
        "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}\
GET /style.css HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let raw = s.raw_until_server_closes(req.as_bytes());
    let rs = parse_responses(&raw, &[false, false]);
    assert_eq!((rs[0].status, rs[1].status), (405, 200));
    assert_eq!(rs[1].body, STYLE.as_bytes());
}

#[test]
fn nothing_is_answered_after_connection_close() {
    let s = Server::start();
    let req = b"GET /style.css HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n\
GET /index.html HTTP/1.1\r\nHost: t\r\n\r\n";
    let raw = s.raw_until_server_closes(req);
    let rs = parse_responses(&raw, &[false]);
    assert_eq!(rs[0].header("connection"), Some("close"));
}

#[test]
fn a_request_split_into_single_bytes_is_reassembled() {
    let s = Server::start();
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.set_nodelay(true).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let request = b"GET /style.css HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    let (last, head) = request.split_last().unwrap();
    // Each byte is sent once the server has read the one before: acknowledged by its
    // kernel, and no longer waiting in its socket.
    for b in head {
        c.write_all(&[*b]).unwrap();
        assert!(
            wait_until(|| unacknowledged(&c) == 0 && server_end(&c).unread == 0),
            "the server did not read the request's byte {:?}",
            *b as char
        );
    }
    c.write_all(&[*last]).unwrap();
    let mut raw = Vec::new();
    c.read_to_end(&mut raw).unwrap();
    let r = one_response(&raw, false);
    assert_eq!((r.status, r.body.as_slice()), (200, STYLE.as_bytes()));
}

#[test]
fn a_pipeline_larger_than_the_socket_buffers_arrives_in_order() {
    // 200 pipelined GETs of a 300 KiB file sent before reading anything: the responses
    // (60 MB) cannot fit in the socket buffers, so the server keeps its place in the pipeline
    // while its output is blocked, and everything arrives in order once the client reads.
    let s = Server::start();
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let n = 200;
    let one = b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n";
    let mut all = one.repeat(n - 1);
    all.extend_from_slice(b"GET /style.css HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let writer = {
        let mut c = c.try_clone().unwrap();
        std::thread::spawn(move || {
            let _ = c.write_all(&all);
        })
    };
    // Nothing is read until the server's output is blocked: the client's window is full and
    // the server has more to send than a corked head.
    assert!(
        wait_until(|| {
            let end = server_end(&c);
            end.waits_for_window && end.not_acked > 4096
        }),
        "the server never waited for the client's window: {:?}",
        server_end(&c)
    );
    let mut raw = Vec::new();
    c.read_to_end(&mut raw).unwrap();
    writer.join().unwrap();
    let rs = parse_responses(&raw, &vec![false; n]);
    assert!(rs[..n - 1]
        .iter()
        .all(|r| r.status == 200 && r.body.len() == BIG_LEN));
    assert_eq!(rs[n - 1].body, STYLE.as_bytes());
}

#[test]
fn a_thousand_small_pipelined_requests_in_one_write() {
    let s = Server::start_with(&["--keepalive-requests", "5000"]);
    let n = 1000;
    let mut req = b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n".repeat(n - 1);
    req.extend_from_slice(b"HEAD /style.css HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    let raw = s.raw_until_server_closes(&req);
    let mut bodiless = vec![false; n - 1];
    bodiless.push(true);
    let rs = parse_responses(&raw, &bodiless);
    assert!(rs[..n - 1]
        .iter()
        .all(|r| r.status == 200 && r.body == STYLE.as_bytes()));
    assert_eq!(rs[n - 1].header("connection"), Some("close"));
}

#[test]
fn a_chunked_body_is_skipped_and_the_connection_kept() {
    let s = Server::start();
    // The chunk data looks like a request; it must be skipped, not answered.
    let req = b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
21\r\nGET /secret HTTP/1.1\r\nHost: t\r\n\r\n\r\n3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\n\
GET /style.css HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    let raw = s.raw_until_server_closes(req);
    let rs = parse_responses(&raw, &[false, false]);
    assert_eq!((rs[0].status, rs[1].status), (405, 200));
    assert_eq!(rs[0].header("connection"), Some("keep-alive"));
    assert_eq!(rs[1].body, STYLE.as_bytes());
}

#[test]
fn a_chunked_body_that_cannot_be_framed_ends_the_connection() {
    let s = Server::start();
    // A chunk size that is not hex: whatever follows cannot be trusted. The request is
    // answered only once its body is framed, so the answer is 400 with `Connection: close`
    // (not a 200 promising keep-alive, then a silent close), and the "request" hidden after
    // it is never answered.
    let req = b"GET /style.css HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
zz\r\nGET /index.html HTTP/1.1\r\nHost: t\r\n\r\n";
    let raw = s.raw_until_server_closes(req);
    let rs = parse_responses(&raw, &[false]);
    assert_eq!(rs[0].status, 400);
    assert_eq!(rs[0].header("connection"), Some("close"));
    // A body that breaks after some good chunks gets the same.
    let req = b"GET /style.css HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
3\r\nabc\r\n3\r\nabcd\r\n0\r\n\r\n";
    let raw = s.raw_until_server_closes(req);
    let rs = parse_responses(&raw, &[false]);
    assert_eq!(rs[0].status, 400);
    assert_eq!(rs[0].header("connection"), Some("close"));
}

#[test]
fn a_request_whose_chunked_body_comes_in_pieces_is_answered_once_it_is_whole() {
    let s = Server::start();
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(b"GET /style.css HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab")
        .unwrap();
    // The request waits, its head kept, for the rest of its body.
    c.write_all(b"cde\r\n0\r\n\r\nGET /style.css HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut raw = Vec::new();
    c.read_to_end(&mut raw).unwrap();
    let rs = parse_responses(&raw, &[false, false]);
    assert_eq!((rs[0].status, rs[1].status), (200, 200));
    assert_eq!(rs[0].header("connection"), Some("keep-alive"));
    assert_eq!(rs[0].body, STYLE.as_bytes());
}

/// Segments this end of `c` has received so far (`TCP_INFO`'s `tcpi_segs_in`).
fn segments_received(c: &TcpStream) -> u32 {
    tcp_info(c).tcpi_segs_in
}

#[test]
fn the_last_response_and_the_fin_travel_in_one_segment() {
    // A client that closes as soon as the response is complete (wrk, browsers on
    // `Connection: close`) would otherwise close first and keep the TIME_WAIT; with the
    // FIN in the response's segment it has already seen the end. From the server after the
    // handshake: one segment with the response and the FIN, which also carries the ACK of
    // the request (the listener delays ACKs; should the delayed-ACK timer fire first, a
    // bare ACK comes before it); a separate FIN would make it three.
    let s = Server::start();
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let before = segments_received(&c);
    c.write_all(b"GET /style.css HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut raw = Vec::new();
    c.read_to_end(&mut raw).unwrap();
    let r = one_response(&raw, false);
    assert_eq!((r.status, r.body.as_slice()), (200, STYLE.as_bytes()));
    let from_server = segments_received(&c) - before;
    assert!(
        from_server <= 2,
        "{from_server} segments from the server after the handshake (expected one with the \
         response and the FIN, at most a bare ACK before it)"
    );
}

#[test]
fn a_client_slow_to_read_gets_a_window_that_takes_a_whole_response() {
    // The client asks for 100 KiB on a kept-alive connection and reads only once the whole
    // response could have arrived (as wrk does with 500 connections). Linux grows the
    // client's receive window only on a segment that arrives with room to spare: if every
    // response began with a full 64 KiB segment (head and body together), the window would
    // stay at its initial ~93 KiB and every response would stall on a zero window. httpd
    // sends the head on its own while the response does not fit, so the window grows.
    let s = Server::start();
    const LEN: usize = 100 * 1024;
    std::fs::write(s.root.join("100k.bin"), vec![b'x'; LEN]).unwrap();
    let mut c = TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    // SAFETY: a live socket; SO_RCVBUF is an int.
    let rcvbuf = {
        use std::os::fd::AsRawFd;
        let mut v: libc::c_int = 0;
        let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
        unsafe {
            libc::getsockopt(
                c.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                &mut v as *mut libc::c_int as *mut libc::c_void,
                &mut len,
            )
        };
        v as usize
    };
    if rcvbuf < LEN + LEN / 4 {
        eprintln!("skipped: a receive buffer of {rcvbuf} bytes cannot take the response");
        return;
    }
    let mut response_len = 0;
    for _ in 0..6 {
        c.write_all(b"GET /100k.bin HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        // Read only once the whole response has arrived, or once the server waits for
        // room in the client's window (more than a corked head left to send).
        let arrived_or_stalled = wait_until(|| {
            let queued = peek_unread(&c);
            let whole = queued
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .is_some_and(|end| queued.len() >= end + 4 + LEN);
            let end = server_end(&c);
            whole || (end.waits_for_window && end.not_acked > 1024)
        });
        assert!(
            arrived_or_stalled,
            "the response neither arrived nor stalled: {:?}",
            server_end(&c)
        );
        let mut raw = Vec::new();
        let mut buf = [0u8; 16384];
        loop {
            let n = c.read(&mut buf).unwrap();
            assert!(n > 0, "closed early");
            raw.extend_from_slice(&buf[..n]);
            if let Some(head_end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                if raw.len() >= head_end + 4 + LEN {
                    response_len = raw.len();
                    break;
                }
            }
        }
        assert_eq!(one_response(&raw, false).body.len(), LEN);
    }
    let window = tcp_info(&c).tcpi_rcv_ssthresh as usize;
    assert!(
        window >= response_len,
        "the client's window stayed at {window} bytes, less than a {response_len}-byte response"
    );
}
