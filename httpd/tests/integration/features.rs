//! Every protocol feature through `curl`: GET and HEAD with their headers, keep-alive reuse,
//! HTTP/1.0, content types, directories and their redirect, ranges, conditional requests,
//! 405, big bodies (sendfile) byte for byte, and the access log.

use crate::common::*;

#[test]
fn get_sends_the_file_with_its_headers() {
    let s = Server::start();
    let r = curl_response(&[&s.url("/")], false);
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    assert_eq!(r.body, INDEX.as_bytes());
    for unique in [
        "date",
        "server",
        "content-length",
        "content-type",
        "etag",
        "connection",
    ] {
        assert_eq!(r.header_count(unique), 1, "{unique}");
    }
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert_eq!(r.header("content-length"), Some(&*INDEX.len().to_string()));
    assert_eq!(r.header("server"), Some("httpd"));
    assert!(r.header("date").is_some_and(|d| d.ends_with(" GMT")));
    assert!(r
        .header("last-modified")
        .is_some_and(|d| d.ends_with(" GMT")));
    let etag = r.header("etag").unwrap();
    assert!(etag.starts_with('"') && etag.ends_with('"') && etag.contains('-'));
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    assert_eq!(r.header("connection"), Some("keep-alive"));
}

#[test]
fn head_sends_the_headers_and_no_body() {
    let s = Server::start();
    let out = curl(&["-I", &s.url("/style.css")]);
    // curl -I prints the head only; the raw check below proves no body bytes follow.
    let r = one_response(&out.stdout, true);
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-length"), Some(&*STYLE.len().to_string()));
    assert_eq!(r.header("content-type"), Some("text/css"));
    let raw = s.raw(b"HEAD /style.css HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert!(raw.ends_with(b"\r\n\r\n"), "no body after a HEAD head");
}

#[test]
fn keep_alive_reuses_the_connection_for_two_urls() {
    let s = Server::start();
    let out = curl(&["-v", &s.url("/"), &s.url("/style.css")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Re-using existing connection") || stderr.contains("Reusing existing"),
        "{stderr}"
    );
    assert_eq!(stderr.matches("Connected to").count(), 1, "{stderr}");
    let body = String::from_utf8_lossy(&out.stdout);
    assert_eq!(body, format!("{INDEX}{STYLE}"));
}

#[test]
fn http_10_closes_unless_asked_to_keep_alive() {
    let s = Server::start();
    let out = curl(&["-0", "-v", &s.url("/"), &s.url("/style.css")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("< Connection: close"), "{stderr}");
    assert_eq!(stderr.matches("Connected to").count(), 2, "{stderr}");
    let out = curl(&[
        "-0",
        "-v",
        "-H",
        "Connection: keep-alive",
        &s.url("/"),
        &s.url("/style.css"),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("< Connection: keep-alive"), "{stderr}");
    assert_eq!(stderr.matches("Connected to").count(), 1, "{stderr}");
}

#[test]
fn content_types_by_extension() {
    let s = Server::start();
    for (path, want) in [
        ("/index.html", "text/html"),
        ("/style.css", "text/css"),
        ("/pixel.png", "image/png"),
        ("/a%20b.txt", "text/plain"),
        ("/caf%C3%A9.txt", "text/plain"),
        ("/noext", "application/octet-stream"),
        ("/big.bin", "application/octet-stream"),
    ] {
        let out = curl(&[
            "-o",
            "/dev/null",
            "-w",
            "%{http_code} %{content_type}",
            &s.url(path),
        ]);
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            format!("200 {want}"),
            "{path}"
        );
    }
}

#[test]
fn directories_redirect_to_the_slash_and_serve_their_index_without_listing() {
    let s = Server::start();
    let r = curl_response(&[&s.url("/dir?x=1")], false);
    assert_eq!(r.status, 301);
    assert_eq!(r.header("location"), Some("/dir/?x=1"));
    assert!(String::from_utf8_lossy(&r.body).contains("301 Moved Permanently"));
    // curl -L follows it to the index.
    let out = curl(&["-L", &s.url("/dir")]);
    assert_eq!(out.stdout, SUB_INDEX.as_bytes());
    let r = curl_response(&[&s.url("/dir/")], false);
    assert_eq!(
        (r.status, r.header("content-type")),
        (200, Some("text/html"))
    );
    // A directory without index.html: no listing.
    let r = curl_response(&[&s.url("/empty/")], false);
    assert_eq!(r.status, 403);
    assert!(String::from_utf8_lossy(&r.body).contains("403 Forbidden"));
    // A file asked for as a directory.
    let r = curl_response(&[&s.url("/style.css/")], false);
    assert_eq!(r.status, 404);
}

#[test]
fn missing_files_are_404_with_a_small_html_page() {
    let s = Server::start();
    let r = curl_response(&[&s.url("/nope.html")], false);
    assert_eq!(r.status, 404);
    assert_eq!(r.header("content-type"), Some("text/html"));
    assert!(String::from_utf8_lossy(&r.body).contains("<title>404 Not Found</title>"));
    assert_eq!(r.header("connection"), Some("keep-alive"));
}

#[test]
fn other_methods_are_405_with_allow() {
    let s = Server::start();
    for method in ["POST", "PUT", "DELETE", "OPTIONS", "PATCH"] {
        let r = curl_response(&["-X", method, &s.url("/")], false);
        assert_eq!(r.status, 405, "{method}");
        assert_eq!(r.header("allow"), Some("GET, HEAD"), "{method}");
    }
    // A POST body is skipped and the connection stays usable.
    let out = curl(&[
        "-v",
        "-d",
        "field=value",
        "-o",
        "/dev/null",
        &s.url("/"),
        "-X",
        "POST",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("405"));
}

#[test]
fn single_ranges_give_206_and_bad_ones_416() {
    let s = Server::start();
    let big = big_content();
    let r = curl_response(&["-r", "1000-1999", &s.url("/big.bin")], false);
    assert_eq!(r.status, 206);
    assert_eq!(
        r.header("content-range"),
        Some(&*format!("bytes 1000-1999/{BIG_LEN}"))
    );
    assert_eq!(r.body, &big[1000..2000]);
    // A large range from an offset goes out with sendfile from that offset.
    let r = curl_response(&["-r", "1000-200999", &s.url("/big.bin")], false);
    assert_eq!(r.status, 206);
    assert!(r.body == big[1000..201000], "sendfile range differs");
    let r = curl_response(&["-r", "-100", &s.url("/big.bin")], false);
    assert_eq!(r.status, 206);
    assert_eq!(r.body, &big[BIG_LEN - 100..]);
    let r = curl_response(&["-r", "300000-", &s.url("/big.bin")], false);
    assert_eq!(r.body, &big[300000..]);
    let r = curl_response(&["-r", "999999-", &s.url("/big.bin")], false);
    assert_eq!(r.status, 416);
    assert_eq!(
        r.header("content-range"),
        Some(&*format!("bytes */{BIG_LEN}"))
    );
    // Several ranges: the whole file.
    let r = curl_response(&["-r", "0-1,5-6", &s.url("/style.css")], false);
    assert_eq!((r.status, r.body.as_slice()), (200, STYLE.as_bytes()));
    // If-Range with a stale validator: the whole file.
    let r = curl_response(
        &[
            "-r",
            "0-1",
            "-H",
            "If-Range: \"stale\"",
            &s.url("/style.css"),
        ],
        false,
    );
    assert_eq!(r.status, 200);
}

#[test]
fn conditional_requests_give_304_without_a_body() {
    let s = Server::start();
    let first = curl_response(&[&s.url("/style.css")], false);
    let etag = first.header("etag").unwrap().to_owned();
    let lm = first.header("last-modified").unwrap().to_owned();
    let r = curl_response(
        &[
            "-H",
            &format!("If-None-Match: {etag}"),
            &s.url("/style.css"),
        ],
        false,
    );
    assert_eq!(r.status, 304);
    assert!(r.body.is_empty());
    assert_eq!(r.header("etag"), Some(&*etag));
    let r = curl_response(
        &[
            "-H",
            &format!("If-Modified-Since: {lm}"),
            &s.url("/style.css"),
        ],
        false,
    );
    assert_eq!(r.status, 304);
    let r = curl_response(
        &[
            "-H",
            "If-Modified-Since: Sat, 01 Jan 2000 00:00:00 GMT",
            &s.url("/style.css"),
        ],
        false,
    );
    assert_eq!((r.status, r.body.as_slice()), (200, STYLE.as_bytes()));
    let r = curl_response(
        &["-H", "If-None-Match: \"other\"", &s.url("/style.css")],
        false,
    );
    assert_eq!(r.status, 200);
    // The raw bytes of a 304 end with the empty line: no body, even with a Content-Length
    // the client might expect.
    let raw = s.raw(
        format!("GET /style.css HTTP/1.1\r\nHost: t\r\nIf-None-Match: {etag}\r\nConnection: close\r\n\r\n")
            .as_bytes(),
    );
    assert!(raw.ends_with(b"\r\n\r\n"));
    assert!(raw.starts_with(b"HTTP/1.1 304 "));
}

#[test]
fn if_match_and_if_unmodified_since_are_evaluated() {
    let s = Server::start();
    let first = curl_response(&[&s.url("/style.css")], false);
    let etag = first.header("etag").unwrap().to_owned();
    let lm = first.header("last-modified").unwrap().to_owned();
    let status = |header: &str, range: bool| {
        let mut args = vec!["-H", header];
        if range {
            args.extend(["-H", "Range: bytes=0-3"]);
        }
        let url = s.url("/style.css");
        args.push(&url);
        curl_response(&args, false).status
    };
    // RFC 9110 §13.1.1 and §13.1.4; nginx 1.22.1 gives the same statuses.
    assert_eq!(status(&format!("If-Match: {etag}"), false), 200);
    assert_eq!(status("If-Match: *", false), 200);
    assert_eq!(status("If-Match: \"stale\"", false), 412);
    assert_eq!(
        status(&format!("If-Match: W/{etag}"), false),
        412,
        "weak tags never match"
    );
    assert_eq!(status(&format!("If-Unmodified-Since: {lm}"), false), 200);
    assert_eq!(
        status("If-Unmodified-Since: Sat, 01 Jan 2000 00:00:00 GMT", false),
        412
    );
    // A resumed download of a file that changed must not stitch in the new bytes.
    assert_eq!(status("If-Match: \"stale\"", true), 412);
    assert_eq!(status(&format!("If-Match: {etag}"), true), 206);
}

#[test]
fn big_files_arrive_byte_for_byte() {
    let s = Server::start();
    let out = curl(&[&s.url("/big.bin")]);
    assert!(out.stdout == big_content(), "big.bin differs");
    // The same over one keep-alive connection, three times.
    let u = s.url("/big.bin");
    let out = curl(&[&u, &u, &u]);
    assert!(out.stdout == big_content().repeat(3));
}

#[test]
fn every_request_is_in_the_access_log_in_combined_format() {
    let s = Server::start();
    curl(&["-A", "agent/1.0", "-e", "http://ref/", &s.url("/style.css")]);
    curl(&["-o", "/dev/null", &s.url("/nope")]);
    let lines = s.log_lines(2);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("127.0.0.1 - - ["), "{}", lines[0]);
    assert!(
        lines[0].ends_with(&format!(
            "] \"GET /style.css HTTP/1.1\" 200 {} \"http://ref/\" \"agent/1.0\"",
            STYLE.len()
        )),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("\"GET /nope HTTP/1.1\" 404 "),
        "{}",
        lines[1]
    );
    // A big body is logged with the bytes sent.
    curl(&["-o", "/dev/null", &s.url("/big.bin")]);
    let lines = s.log_lines(3);
    assert!(
        lines[2].contains(&format!("\" 200 {BIG_LEN} ")),
        "{}",
        lines[2]
    );
}

#[test]
fn sigterm_stops_the_server_cleanly() {
    let s = Server::start();
    curl(&["-o", "/dev/null", &s.url("/")]);
    let status = s.stop();
    assert!(status.success(), "{status:?}");
}

#[test]
fn a_changed_file_is_served_fresh_with_new_validators() {
    let s = Server::start();
    let before = curl_response(&[&s.url("/style.css")], false);
    std::fs::write(s.root.join("style.css"), "p { margin: 0 }\n/* longer */\n").unwrap();
    let after = curl_response(&[&s.url("/style.css")], false);
    assert_eq!(after.body, b"p { margin: 0 }\n/* longer */\n");
    assert_ne!(before.header("etag"), after.header("etag"));
    // The old ETag no longer matches: a full 200.
    let r = curl_response(
        &[
            "-H",
            &format!("If-None-Match: {}", before.header("etag").unwrap()),
            &s.url("/style.css"),
        ],
        false,
    );
    assert_eq!(r.status, 200);
}

#[test]
fn files_kept_open_between_requests_never_go_stale() {
    // The worker keeps a file open (and a small one in memory) once it has been left alone
    // for a second; every request still sees the file the path names now.
    let s = Server::start();
    let style = s.root.join("style.css");
    assert!(
        wait_until(|| settled(&style)),
        "style.css was changed in the future"
    );
    for _ in 0..2 {
        assert_eq!(
            curl_response(&[&s.url("/style.css")], false).body,
            STYLE.as_bytes()
        );
    }
    assert!(
        holds_open(s.pid(), &style),
        "no worker keeps style.css open"
    );
    // Same size, same second, in place.
    let same_size = "body { color: #654321 }\n";
    assert_eq!(same_size.len(), STYLE.len());
    std::fs::write(s.root.join("style.css"), same_size).unwrap();
    assert_eq!(
        curl_response(&[&s.url("/style.css")], false).body,
        same_size.as_bytes()
    );
    // Replaced by a rename (a deploy).
    let tmp = s.root.join("style.css.new");
    std::fs::write(&tmp, "p {}\n").unwrap();
    std::fs::rename(&tmp, s.root.join("style.css")).unwrap();
    assert_eq!(
        curl_response(&[&s.url("/style.css")], false).body,
        b"p {}\n"
    );
    // Removed.
    std::fs::remove_file(s.root.join("style.css")).unwrap();
    assert_eq!(curl_response(&[&s.url("/style.css")], false).status, 404);
}

/// Whether `path` was last changed (its mtime or ctime) more than a second ago, the age at
/// which a worker keeps a small file's bytes.
fn settled(path: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).unwrap();
    let changed = (m.mtime(), m.mtime_nsec()).max((m.ctime(), m.ctime_nsec()));
    let changed = std::time::UNIX_EPOCH
        + std::time::Duration::new(changed.0 as u64, changed.1 as u32)
        + std::time::Duration::from_secs(1);
    std::time::SystemTime::now() > changed
}

/// Whether process `pid` has `path` open.
fn holds_open(pid: i32, path: &std::path::Path) -> bool {
    let path = std::fs::canonicalize(path).unwrap();
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .any(|target| target == path)
}

#[test]
fn a_head_that_never_ends_is_closed_at_the_header_deadline() {
    // Slowloris: a request line, then silence. With --header-timeout 1 the server closes the
    // connection by itself (the read below ends with EOF, bounded by its own 10 s timeout).
    let s = Server::start_with(&["--header-timeout", "1"]);
    let raw = s.raw_until_server_closes(b"GET / HTTP/1.1\r\nHost: t\r\n");
    assert!(
        raw.is_empty() || raw.starts_with(b"HTTP/1.1 408"),
        "{raw:?}"
    );
    // Trickling one header line at a time does not extend the deadline either: a line every
    // 100 ms (the trickle is the behaviour under test), each well inside the 1 s deadline,
    // until the server has closed the connection (the writes fail), for 10 s at most.
    let mut c = std::net::TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    use std::io::{Read, Write};
    c.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    let start = std::time::Instant::now();
    let mut closed = false;
    for i in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        if c.write_all(format!("X-{i}: y\r\n").as_bytes()).is_err() {
            closed = true;
            break;
        }
    }
    assert!(
        closed,
        "a trickling head was kept open for {:?}",
        start.elapsed()
    );
    // Whatever came before the close is a 408 or nothing, and the read ends there.
    let mut rest = Vec::new();
    match c.read_to_end(&mut rest) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the closed connection did not read as closed: {e}"),
    }
    assert!(
        rest.is_empty() || rest.starts_with(b"HTTP/1.1 408"),
        "{rest:?}"
    );
    // The server still serves others.
    assert_eq!(curl_response(&[&s.url("/")], false).status, 200);
}

#[test]
fn an_idle_keep_alive_connection_is_closed_at_its_deadline() {
    let s = Server::start_with(&["--keepalive-timeout", "1"]);
    let mut c = std::net::TcpStream::connect(s.addr).unwrap();
    c.set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    use std::io::{Read, Write};
    c.write_all(b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    // Reads the response, then EOF when the idle deadline passes.
    let mut all = Vec::new();
    c.read_to_end(&mut all).unwrap();
    let r = one_response(&all, false);
    assert_eq!(
        (r.status, r.header("connection")),
        (200, Some("keep-alive"))
    );
}

#[test]
fn past_max_connections_a_new_client_gets_503_and_the_others_are_served() {
    use std::io::Write;
    let s = Server::start_with(&["--max-connections", "2", "--threads", "1"]);
    // Half a request each: under defer_accept a connection is accepted once data arrives.
    let partial = |addr| {
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.write_all(b"GET / HTTP/1.1\r\n").unwrap();
        c
    };
    let first = partial(s.addr);
    let second = partial(s.addr);
    let raw = s.raw_until_server_closes(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n");
    let r = one_response(&raw, false);
    assert_eq!(r.status, 503);
    assert_eq!(r.header("connection"), Some("close"));
    drop((first, second));
    // Once they are gone, clients are served again (the closes are noticed asynchronously,
    // so ask until they are, for 10 s at most).
    let mut status = 0;
    wait_until(|| {
        status = one_response(
            &s.raw(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"),
            false,
        )
        .status;
        status == 200
    });
    assert_eq!(status, 200);
}

/// `defer_accept` (on by default): the kernel holds a connection that has sent nothing (for
/// a second), so it takes no connection slot and is served once it speaks; with it off, the
/// silent connection is accepted at once and fills the slot.
#[test]
fn under_defer_accept_a_silent_connection_takes_no_slot() {
    use std::io::{Read, Write};
    let request = b"GET /style.css HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    let s = Server::start_with(&["--max-connections", "1", "--threads", "1"]);
    let mut silent = std::net::TcpStream::connect(s.addr).unwrap();
    assert_eq!(one_response(&s.raw(request), false).status, 200);
    silent.write_all(request).unwrap();
    let mut raw = Vec::new();
    silent.read_to_end(&mut raw).unwrap();
    assert_eq!(one_response(&raw, false).status, 200);

    let s = Server::start_with(&[
        "--max-connections",
        "1",
        "--threads",
        "1",
        "--defer-accept",
        "off",
    ]);
    let _silent = std::net::TcpStream::connect(s.addr).unwrap();
    assert_eq!(one_response(&s.raw(request), false).status, 503);
}

#[test]
fn the_last_request_allowed_on_a_connection_says_connection_close() {
    let s = Server::start_with(&["--keepalive-requests", "2"]);
    let req = b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\nGET /style.css HTTP/1.1\r\nHost: t\r\n\r\nGET /style.css HTTP/1.1\r\nHost: t\r\n\r\n";
    // The server answers two and closes (the exchange ends only because it closes).
    let raw = s.raw_until_server_closes(req);
    let rs = parse_responses(&raw, &[false, false]);
    assert_eq!(rs[0].header("connection"), Some("keep-alive"));
    assert_eq!(rs[1].header("connection"), Some("close"));
}

/// The listener delays acknowledgements: the ACK of a complete request rides on the
/// response, so a `Connection: close` exchange brings the client two segments (the SYN-ACK,
/// then the response with the FIN) and not a bare ACK of its request in between. (Should
/// the server take longer than the delayed-ACK timer, 40 ms, to answer, the kernel sends
/// the bare ACK after all, as on a busy machine; so one attempt of fifty must show two
/// segments. Without the setting every attempt shows three.)
#[test]
fn the_ack_of_a_request_rides_on_the_response() {
    use std::io::{Read, Write};
    let s = Server::start();
    let mut seen = Vec::new();
    for _ in 0..50 {
        let mut c = std::net::TcpStream::connect(s.addr).unwrap();
        c.write_all(b"GET /style.css HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            .unwrap();
        let mut raw = Vec::new();
        c.read_to_end(&mut raw).unwrap();
        assert_eq!(one_response(&raw, false).status, 200);
        seen.push(tcp_info(&c).tcpi_segs_in);
        if seen.last() == Some(&2) {
            return;
        }
    }
    panic!("segments received per exchange: {seen:?}, expected 2 at least once");
}

/// A client that sends its request in two writes, with Nagle's algorithm on (std's
/// default), holds the second write until the first is acknowledged. The server turns
/// quick-ack back on when it has part of a request, so that ACK leaves at once; without
/// it the ACK would wait for the kernel's delayed-ACK timer, at least 40 ms, on every
/// such request. That timer is a floor, not a speed: a slow or busy machine only adds to
/// it, so each kind of request (a connection's first, a kept-alive one) must come back
/// under it at least once in twenty connections, and none can without quick-ack.
#[test]
fn a_request_sent_in_two_writes_does_not_wait_for_the_delayed_ack() {
    use std::io::{BufRead, BufReader, Write};
    use std::time::{Duration, Instant};
    const DELAYED_ACK_FLOOR: Duration = Duration::from_millis(40);
    let s = Server::start();
    // Response times of the first request of each connection, and of the second.
    let mut took: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    let under_floor = |times: &Vec<Duration>| times.iter().any(|t| *t < DELAYED_ACK_FLOOR);
    for _ in 0..20 {
        let mut c = std::net::TcpStream::connect(s.addr).unwrap();
        let mut reader = BufReader::new(c.try_clone().unwrap());
        // Two requests on the connection: the first and a keep-alive one, both split.
        for times in &mut took {
            let start = Instant::now();
            c.write_all(b"GET /style.css HTTP/1.1\r\n").unwrap();
            c.write_all(b"Host: t\r\n\r\n").unwrap();
            let mut status = String::new();
            reader.read_line(&mut status).unwrap();
            times.push(start.elapsed());
            assert!(status.starts_with("HTTP/1.1 200"), "{status}");
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap();
                }
                if line == "\r\n" {
                    break;
                }
            }
            std::io::Read::read_exact(&mut reader, &mut vec![0; length]).unwrap();
        }
        if took.iter().all(under_floor) {
            return;
        }
    }
    panic!(
        "response times (first requests, kept-alive ones) {took:?}: requests waited for the \
         delayed ACK"
    );
}
