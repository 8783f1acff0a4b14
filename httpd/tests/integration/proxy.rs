//! `proxy_pass`: httpd as a reverse proxy, in front of httpd itself (files) and of a small
//! upstream written here (a thread per connection, blocking sockets) that echoes bodies,
//! shows the head it received, counts its connections, and misbehaves on request: silent,
//! malformed, closing. Every check is on real sockets, with curl where it fits.

use crate::common::{
    curl, curl_response, parse_responses, server_end, server_socket_option, wait_until, Server,
    TempDir,
};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The upstream's big response: far more than every buffer on the way.
const BIG: u64 = 64 << 20;

/// The body of `/api/extra`, followed by bytes that are no response to anything.
const EXTRA_BODY: u64 = 300 * 1024;
/// The proxy's read of an upstream response (httpd/README.md: "read 64 KiB at a time"):
/// `/api/boundary`'s head and body fill exactly one.
const BOUNDARY_READ: usize = 64 * 1024;
/// The bytes `/api/cut` (of four times as many promised) and `/api/bigclose` send.
const CUT_AT: u64 = 3 << 20;

/// The steps of `stray_bytes_on_an_idle_connection_are_seen_before_a_request_takes_it`,
/// which the upstream's `/api/junk-after` and `/api/hold` wait for and advance.
static STEP: AtomicUsize = AtomicUsize::new(0);

/// Waits until `STEP` is at least `n` (10 s at most).
fn step_reached(n: usize) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while STEP.load(Ordering::SeqCst) < n {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    true
}

fn pattern(i: u64) -> u8 {
    (i % 251) as u8 ^ (i >> 16) as u8
}

/// The test upstream.
struct Upstream {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    /// Connections that ended (the proxy closed them).
    closed: Arc<AtomicUsize>,
    /// Request heads received, in order.
    heads: Arc<Mutex<Vec<String>>>,
    /// Bytes of `/api/big` written so far (the write blocks when nobody reads).
    big_written: Arc<AtomicU64>,
}

impl Upstream {
    fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let up = Upstream {
            addr: listener.local_addr().unwrap(),
            connections: Arc::default(),
            closed: Arc::default(),
            heads: Arc::default(),
            big_written: Arc::default(),
        };
        let (connections, closed, heads, big) = (
            up.connections.clone(),
            up.closed.clone(),
            up.heads.clone(),
            up.big_written.clone(),
        );
        std::thread::spawn(move || {
            for s in listener.incoming() {
                let Ok(s) = s else { return };
                connections.fetch_add(1, Ordering::SeqCst);
                let (heads, big, closed) = (heads.clone(), big.clone(), closed.clone());
                std::thread::spawn(move || {
                    let _ = serve(s, &heads, &big);
                    closed.fetch_add(1, Ordering::SeqCst);
                });
            }
        });
        up
    }

    fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

/// Serves one connection's requests until it closes.
fn serve(s: TcpStream, heads: &Mutex<Vec<String>>, big: &AtomicU64) -> std::io::Result<()> {
    let mut r = BufReader::new(s.try_clone()?);
    let mut w = s;
    let mut served = 0;
    loop {
        served += 1;
        let mut head = String::new();
        loop {
            let mut line = String::new();
            if r.read_line(&mut line)? == 0 {
                return Ok(());
            }
            head.push_str(&line);
            if line == "\r\n" {
                break;
            }
        }
        let first = head.lines().next().unwrap_or("").to_owned();
        let method = first.split(' ').next().unwrap_or("").to_owned();
        let target = first.split(' ').nth(1).unwrap_or("");
        let path = target.split('?').next().unwrap_or("").to_owned();
        let header = |name: &str| {
            head.lines().find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
            })
        };
        let mut body = Vec::new();
        if let Some(n) = header("content-length") {
            body.resize(n.parse().unwrap(), 0);
            r.read_exact(&mut body)?;
        } else if header("transfer-encoding").is_some() {
            loop {
                let mut size = String::new();
                r.read_line(&mut size)?;
                let n = usize::from_str_radix(size.trim(), 16).unwrap();
                let mut chunk = vec![0; n + 2];
                r.read_exact(&mut chunk)?;
                if n == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..n]);
            }
        }
        heads.lock().unwrap().push(head.clone());
        let no_body = method == "HEAD";
        let plain = |w: &mut TcpStream, status: &str, body: &[u8]| {
            let _ = write!(w, "HTTP/1.1 {status}\r\nContent-Length: {}\r\nX-Up: 1\r\nKeep-Alive: timeout=5\r\n\r\n", body.len());
            if !no_body {
                let _ = w.write_all(body);
            }
        };
        match path.as_str() {
            // A kept connection the upstream drops when its next request comes (the race a
            // pool cannot see coming).
            "/api/flaky" if served > 1 => return Ok(()),
            "/api/flaky" => plain(&mut w, "200 OK", b"flaky\n"),
            // A kept connection the upstream closes as soon as it answered.
            "/api/bye" => {
                plain(&mut w, "200 OK", b"bye\n");
                return Ok(());
            }
            "/api/echo" => plain(&mut w, "200 OK", &body),
            // Answered at once; then, at step 3, a stray response on the idle connection.
            "/api/junk-after" => {
                plain(&mut w, "200 OK", b"ok");
                if step_reached(3) {
                    w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nevil!")?;
                    STEP.store(4, Ordering::SeqCst);
                }
            }
            // Half a body at step 1, the rest a moment later.
            "/api/hold" => {
                if step_reached(1) {
                    w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nfirst")?;
                    STEP.store(2, Ordering::SeqCst);
                }
                std::thread::sleep(Duration::from_millis(300));
                w.write_all(b"-last")?;
            }
            // A body in two parts, the second half a second later.
            "/api/pause" => {
                w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nfirst")?;
                std::thread::sleep(Duration::from_millis(500));
                w.write_all(b"-last")?;
            }
            "/api/head" => plain(&mut w, "200 OK", head.as_bytes()),
            "/api/chunked" => {
                w.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nhello \r\n5;x=y\r\nworld\r\n0\r\nT: 1\r\n\r\n")?;
            }
            "/api/close" => {
                w.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end")?;
                return Ok(());
            }
            "/api/nocontent" => w.write_all(b"HTTP/1.1 204 No Content\r\n\r\n")?,
            "/api/notmodified" => w.write_all(
                b"HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\nETag: \"x\"\r\n\r\n",
            )?,
            "/api/malformed" => {
                w.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\nhello")?;
                return Ok(());
            }
            "/api/garbage" => {
                w.write_all(b"SSH-2.0-OpenSSH\r\n\r\n")?;
                return Ok(());
            }
            "/api/silent" => {
                // Never answers; holds the connection until the proxy gives up.
                let mut sink = Vec::new();
                let _ = r.read_to_end(&mut sink);
                return Ok(());
            }
            // A long body that passes as it is (spliced), then more bytes in the same write:
            // what looks like a second response no request asked for.
            "/api/extra" => {
                let mut all =
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {EXTRA_BODY}\r\n\r\n").into_bytes();
                all.extend((0..EXTRA_BODY).map(pattern));
                all.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nevil!");
                w.write_all(&all)?;
            }
            // A short body (copied, not spliced) whose head and body fill exactly one of
            // the proxy's 64 KiB reads, then a stray response in the same write: the read
            // that ends the body leaves the stray bytes in the socket.
            "/api/boundary" => {
                let head = |len: usize| {
                    format!("HTTP/1.1 200 OK\r\nContent-Length: {len:05}\r\n\r\n").into_bytes()
                };
                let len = BOUNDARY_READ - head(0).len();
                let mut all = head(len);
                all.extend((0..len as u64).map(pattern));
                all.extend_from_slice(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nevil!");
                w.write_all(&all)?;
            }
            // A long body promised and cut short: the upstream dies mid-body.
            "/api/cut" => {
                write!(
                    w,
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                    4 * CUT_AT
                )?;
                let body: Vec<u8> = (0..CUT_AT).map(pattern).collect();
                w.write_all(&body)?;
                return Ok(());
            }
            // A long body the upstream writes until its writes stall (nobody reads), then
            // resets the connection.
            "/api/stall-reset" => {
                write!(w, "HTTP/1.1 200 OK\r\nContent-Length: {BIG}\r\n\r\n")?;
                w.set_write_timeout(Some(Duration::from_millis(300)))?;
                let buf: Vec<u8> = (0..64 * 1024).map(pattern).collect();
                while w.write_all(&buf).is_ok() {}
                let linger = libc::linger {
                    l_onoff: 1,
                    l_linger: 0,
                };
                // SAFETY: sets SO_LINGER from a live struct of its size on a live socket.
                unsafe {
                    libc::setsockopt(
                        std::os::fd::AsRawFd::as_raw_fd(&w),
                        libc::SOL_SOCKET,
                        libc::SO_LINGER,
                        (&linger as *const libc::linger).cast(),
                        std::mem::size_of::<libc::linger>() as libc::socklen_t,
                    );
                }
                return Ok(());
            }
            // A long body delimited by the upstream's close.
            "/api/bigclose" => {
                w.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n")?;
                let body: Vec<u8> = (0..CUT_AT).map(pattern).collect();
                w.write_all(&body)?;
                return Ok(());
            }
            "/api/big" => {
                write!(w, "HTTP/1.1 200 OK\r\nContent-Length: {BIG}\r\n\r\n")?;
                let mut buf = vec![0u8; 64 * 1024];
                let mut at = 0u64;
                while at < BIG {
                    for (i, b) in buf.iter_mut().enumerate() {
                        *b = pattern(at + i as u64);
                    }
                    w.write_all(&buf)?;
                    at += buf.len() as u64;
                    big.store(at, Ordering::SeqCst);
                }
            }
            _ => plain(&mut w, "404 Not Found", b"no such thing\n"),
        }
    }
}

/// httpd serving files (the upstream of the file tests) and httpd proxying to it and to
/// `up`, from a config file; and where its error log goes.
struct Proxy {
    files: Server,
    proxy: Server,
    error_log: std::path::PathBuf,
    down: SocketAddr,
    _conf: TempDir,
}

fn start(up: &Upstream) -> Proxy {
    start_with(up, "")
}

/// [`start`] with more directives in the config file.
fn start_with(up: &Upstream, extra: &str) -> Proxy {
    let files = Server::start();
    let mut huge = Vec::with_capacity(5 << 20);
    for i in 0..(5u64 << 20) + 3 {
        huge.push(pattern(i * 7));
    }
    std::fs::create_dir_all(files.root.join("files")).unwrap();
    std::fs::write(files.root.join("files/huge.bin"), &huge).unwrap();
    std::fs::write(files.root.join("files/small.txt"), "small file\n").unwrap();
    // An address nobody listens on.
    let down = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let conf = TempDir::new("proxy-conf");
    let root = conf.0.join("root");
    std::fs::create_dir_all(&root).unwrap();
    std::fs::write(root.join("local.txt"), "served here\n").unwrap();
    let error_log = conf.0.join("error.log");
    let text = format!(
        "listen 127.0.0.1:0;\nroot {};\nthreads 1;\nerror_log {};\n\
         proxy_pass /files/ http://{};\nproxy_pass /api/ http://{};\nproxy_pass /down/ http://{down};\n\
         proxy_connect_timeout 2s;\nproxy_read_timeout 1s;\nproxy_max_body_size 64m;\n{extra}",
        root.display(),
        error_log.display(),
        files.addr,
        up.addr,
    );
    let path = conf.0.join("httpd.conf");
    std::fs::write(&path, text).unwrap();
    let proxy = Server::from_config(&path, &root);
    Proxy {
        files,
        proxy,
        error_log,
        down,
        _conf: conf,
    }
}

fn error_log(p: &Proxy, want: &str) -> String {
    let mut text = String::new();
    wait_until(|| {
        text = std::fs::read_to_string(&p.error_log).unwrap_or_default();
        text.contains(want)
    });
    text
}

#[test]
fn files_small_and_large_come_through_the_proxy_whole() {
    let up = Upstream::start();
    let p = start(&up);
    let small = curl(&[&p.proxy.url("/files/small.txt")]);
    assert_eq!(small.stdout, b"small file\n");
    let huge = curl(&[&p.proxy.url("/files/huge.bin")]);
    let want = std::fs::read(p.files.root.join("files/huge.bin")).unwrap();
    assert_eq!(huge.stdout.len(), want.len());
    assert!(huge.stdout == want, "the 5 MiB file differs");
    // Paths outside the locations are httpd's own files.
    assert_eq!(curl(&[&p.proxy.url("/local.txt")]).stdout, b"served here\n");
    // A dot segment cannot climb out of a location to the upstream's other paths.
    let r = curl_response(
        &["--path-as-is", &p.proxy.url("/files/../local.txt")],
        false,
    );
    assert_eq!(r.body, b"served here\n");
    let lines = p.proxy.log_lines(3);
    assert!(
        lines.iter().any(
            |l| l.contains("GET /files/huge.bin HTTP/1.1\" 200 5242883 ")
                && l.ends_with(&format!("upstream={}", p.files.addr))
        ),
        "{lines:#?}"
    );
}

#[test]
fn bodies_stream_to_the_upstream_in_both_framings() {
    let up = Upstream::start();
    let p = start(&up);
    let tmp = TempDir::new("post");
    let body: Vec<u8> = (0..3u64 << 20).map(|i| pattern(i * 3)).collect();
    let file = tmp.0.join("body.bin");
    std::fs::write(&file, &body).unwrap();
    let at = format!("@{}", file.display());
    let url = p.proxy.url("/api/echo");
    let echoed = curl(&["--data-binary", &at, &url]);
    assert!(echoed.stdout == body, "Content-Length body differs");
    let echoed = curl(&[
        "-H",
        "Transfer-Encoding: chunked",
        "--data-binary",
        &at,
        &url,
    ]);
    assert!(echoed.stdout == body, "chunked body differs");
    let heads = up.heads();
    assert!(
        heads[0].contains("Content-Length: 3145728\r\n"),
        "{}",
        heads[0]
    );
    assert!(
        heads[1].contains("Transfer-Encoding: chunked\r\n"),
        "{}",
        heads[1]
    );
    assert!(!heads.iter().any(|h| h.contains("Expect")));
}

#[test]
fn a_body_behind_expect_100_continue_keeps_the_client_connection() {
    // httpd answers `100 Continue` itself and streams the body on, so the framing stays
    // known and the client's next request is served on the same connection.
    let up = Upstream::start();
    let p = start(&up);
    let mut s = TcpStream::connect(p.proxy.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(
        b"POST /api/echo HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n",
    )
    .unwrap();
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert_eq!(line, "HTTP/1.1 100 Continue\r\n");
    line.clear();
    r.read_line(&mut line).unwrap();
    assert_eq!(line, "\r\n");
    s.write_all(b"hello").unwrap();
    s.write_all(b"GET /api/echo HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    for (i, want) in [&b"hello"[..], b""].into_iter().enumerate() {
        let mut head = String::new();
        loop {
            let mut l = String::new();
            assert!(r.read_line(&mut l).unwrap() > 0, "response {i}: closed");
            head.push_str(&l);
            if l == "\r\n" {
                break;
            }
        }
        assert!(head.starts_with("HTTP/1.1 200"), "response {i}: {head}");
        assert!(!head.contains("Connection: close"), "response {i}: {head}");
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("Content-Length: "))
            .unwrap()
            .parse()
            .unwrap();
        let mut body = vec![0; len];
        r.read_exact(&mut body).unwrap();
        assert_eq!(body, want, "response {i}");
    }
    assert!(!up.heads()[0].contains("Expect"));
}

#[test]
fn upstream_connections_are_kept_alive_and_reused() {
    let up = Upstream::start();
    let p = start(&up);
    for i in 0..5 {
        // Each curl is a new client connection; the upstream connection is the pool's.
        let r = curl_response(&[&p.proxy.url(&format!("/api/head?n={i}"))], false);
        assert_eq!(r.status, 200);
        assert_eq!(r.header("connection"), Some("keep-alive"));
        assert!(
            r.header("keep-alive").is_none(),
            "hop-by-hop from the upstream"
        );
        assert_eq!(r.header("x-up"), Some("1"));
    }
    assert_eq!(up.heads().len(), 5);
    assert_eq!(up.connections.load(Ordering::SeqCst), 1);
    // A response delimited by the upstream's close is re-framed, and that connection is
    // not reused.
    // (curl undoes the chunked framing, and fails on a bad one.)
    let r = curl(&["-D", "-", &p.proxy.url("/api/close")]);
    let text = String::from_utf8(r.stdout).unwrap();
    assert!(text.contains("Transfer-Encoding: chunked\r\n"), "{text}");
    assert!(text.ends_with("\r\n\r\nuntil the end"), "{text}");
    assert_eq!(curl(&[&p.proxy.url("/api/chunked")]).stdout, b"hello world");
    assert_eq!(up.connections.load(Ordering::SeqCst), 2);
}

#[test]
fn a_proxied_keep_alive_connection_has_nagle_off() {
    // The relay writes a response in pieces; with Nagle on, a small last piece waits for the
    // client's delayed ACK (40 ms). A connection that only ever had proxied answers too.
    let up = Upstream::start();
    let p = start(&up);
    let mut c = TcpStream::connect(p.proxy.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    c.write_all(b"GET /api/head HTTP/1.1\r\nHost: a\r\n\r\n")
        .unwrap();
    let mut r = BufReader::new(c.try_clone().unwrap());
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    let nodelay = server_socket_option(p.proxy.pid(), &c, libc::IPPROTO_TCP, libc::TCP_NODELAY);
    assert_eq!(
        nodelay, 1,
        "TCP_NODELAY on httpd's end of a proxied connection"
    );
}

#[test]
fn a_proxied_response_that_pauses_midway_has_nagle_off_on_a_closing_connection_too() {
    // A client closed after its response gets Nagle's algorithm turned off only when the
    // response waits on the upstream midway (a whole one is pushed out by the FIN): a piece
    // sent before the pause must not wait for the client's delayed ACK.
    let up = Upstream::start();
    let p = start(&up);
    let mut c = TcpStream::connect(p.proxy.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    c.write_all(b"GET /api/pause HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut r = BufReader::new(c.try_clone().unwrap());
    let mut line = String::new();
    r.read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 200"), "{line}");
    let nodelay = || server_socket_option(p.proxy.pid(), &c, libc::IPPROTO_TCP, libc::TCP_NODELAY);
    assert!(wait_until(|| nodelay() == 1), "TCP_NODELAY on httpd's end");
    let mut rest = String::new();
    r.read_to_string(&mut rest).unwrap();
    assert!(rest.ends_with("\r\n\r\nfirst-last"), "{rest}");
}

#[test]
fn a_reload_closes_the_idle_upstream_connections() {
    // After SIGHUP an upstream's address may name another server: the kept connections
    // go, and the next request opens a new one.
    let up = Upstream::start();
    let p = start(&up);
    let r = curl_response(&[&p.proxy.url("/api/head")], false);
    assert_eq!(r.status, 200);
    assert_eq!(up.connections.load(Ordering::SeqCst), 1);
    assert_eq!(up.closed.load(Ordering::SeqCst), 0);
    p.proxy.signal(libc::SIGHUP);
    error_log(&p, "configuration reloaded");
    assert!(
        wait_until(|| up.closed.load(Ordering::SeqCst) == 1),
        "the idle upstream connection was kept after the reload"
    );
    let r = curl_response(&[&p.proxy.url("/api/head")], false);
    assert_eq!(r.status, 200);
    assert_eq!(up.connections.load(Ordering::SeqCst), 2);
}

#[test]
fn forwarding_headers_are_added_and_hop_by_hop_ones_dropped() {
    let up = Upstream::start();
    let p = start(&up);
    let r = curl(&[
        "-H",
        "Connection: keep-alive, X-Drop",
        "-H",
        "X-Drop: secret",
        "-H",
        "Keep-Alive: 300",
        "-H",
        "TE: trailers",
        "-H",
        "Proxy-Authorization: Basic eA==",
        "-H",
        "X-Forwarded-For: 192.0.2.1",
        "-H",
        "X-Keep: yes",
        &p.proxy.url("/api/head"),
    ]);
    let head = String::from_utf8(r.stdout).unwrap();
    assert!(head.starts_with("GET /api/head HTTP/1.1\r\n"), "{head}");
    let host = format!("Host: {}\r\n", p.proxy.addr);
    assert!(head.contains(&host), "{head}");
    assert!(
        head.contains("X-Forwarded-For: 192.0.2.1, 127.0.0.1\r\n"),
        "{head}"
    );
    assert!(
        head.contains(&format!(
            "Forwarded: for=127.0.0.1;proto=http;host=\"{}\"\r\n",
            p.proxy.addr
        )),
        "{head}"
    );
    for gone in ["X-Drop", "Keep-Alive", "TE:", "Proxy-Authorization"] {
        assert!(!head.contains(gone), "{gone} forwarded: {head}");
    }
    assert!(head.contains("X-Keep: yes\r\n"));
    assert!(head.contains("Connection: keep-alive\r\n"));
}

#[test]
fn head_204_and_304_have_no_body_and_keep_the_connection_in_step() {
    let up = Upstream::start();
    let p = start(&up);
    let out = p.proxy.raw(
        b"HEAD /api/head HTTP/1.1\r\nHost: x\r\n\r\n\
          GET /api/nocontent HTTP/1.1\r\nHost: x\r\n\r\n\
          GET /api/notmodified HTTP/1.1\r\nHost: x\r\n\r\n\
          GET /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nConnection: close\r\n\r\nlast",
    );
    let rs = parse_responses(&out, &[true, true, true, false]);
    let statuses: Vec<u16> = rs.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 204, 304, 200]);
    assert_eq!(rs[2].header("content-length"), Some("100"));
    assert_eq!(rs[3].body, b"last");
    // An HTTP/1.0 client gets a body of unknown length up to the close.
    let out = p.proxy.raw(b"GET /api/chunked HTTP/1.0\r\n\r\n");
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("Connection: close\r\n"), "{text}");
    assert!(!text.contains("chunked"), "{text}");
    assert!(text.ends_with("\r\n\r\nhello world"), "{text}");
}

#[test]
fn a_failing_upstream_is_a_502_and_a_silent_one_a_504() {
    let up = Upstream::start();
    let p = start(&up);
    let r = curl_response(&[&p.proxy.url("/down/x")], false);
    assert_eq!(r.status, 502);
    let log = error_log(&p, &format!("upstream {}", p.down));
    assert!(log.contains("connect"), "{log}");
    for path in ["/api/malformed", "/api/garbage"] {
        let r = curl_response(&[&p.proxy.url(path)], false);
        assert_eq!(r.status, 502, "{path}");
    }
    error_log(&p, "malformed response head");
    let start = Instant::now();
    let r = curl_response(&[&p.proxy.url("/api/silent")], false);
    assert_eq!(r.status, 504);
    assert!(start.elapsed() >= Duration::from_millis(900));
    error_log(&p, "timed out (504 Gateway Timeout)");
    let lines = p.proxy.log_lines(4);
    for (path, status, addr) in [
        ("/down/x", 502, p.down),
        ("/api/malformed", 502, up.addr),
        ("/api/silent", 504, up.addr),
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.contains(&format!("GET {path} HTTP/1.1\" {status} "))
                    && l.ends_with(&format!("upstream={addr}"))),
            "{path}: {lines:#?}"
        );
    }
}

#[test]
fn a_smuggling_attempt_is_refused_before_the_upstream_sees_anything() {
    let up = Upstream::start();
    let p = start(&up);
    for attack in [
        &b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /api/head HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        b"POST /api/echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
        b"POST /api/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n",
        b"POST /api/echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ] {
        let out = p.proxy.raw(attack);
        let text = String::from_utf8_lossy(&out);
        assert!(
            text.starts_with("HTTP/1.1 400") || text.starts_with("HTTP/1.1 501"),
            "{text}"
        );
    }
    assert!(up.heads().is_empty(), "{:?}", up.heads());
}

/// VmRSS of a process, in KiB.
fn rss_kib(pid: i32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn a_slow_client_holds_the_upstream_back_instead_of_growing_memory() {
    let up = Upstream::start();
    let p = start(&up);
    let mut c = TcpStream::connect(p.proxy.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(b"GET /api/big HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 1024];
    c.read_exact(&mut first).unwrap();
    // The client stops reading: the upstream's writes must stall well short of the body.
    let mut last = 0;
    let mut since = Instant::now();
    assert!(wait_until(|| {
        let now = up.big_written.load(Ordering::SeqCst);
        if now != last {
            last = now;
            since = Instant::now();
        }
        since.elapsed() > Duration::from_millis(300)
    }));
    let stalled = up.big_written.load(Ordering::SeqCst);
    assert!(
        stalled < BIG / 2,
        "the upstream wrote {stalled} of {BIG} bytes to a client that reads nothing"
    );
    let rss = rss_kib(p.proxy.pid());
    eprintln!("upstream stalled at {stalled} bytes, httpd at {rss} KiB");
    assert!(rss < 32 * 1024, "httpd holds {rss} KiB");
    // Reading on gets the whole body, intact.
    let head_end = first.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let mut at = 0u64;
    let check = |bytes: &[u8], at: &mut u64| {
        for &b in bytes {
            assert_eq!(b, pattern(*at), "byte {at}");
            *at += 1;
        }
    };
    check(&first[head_end..], &mut at);
    let mut buf = vec![0u8; 256 * 1024];
    while at < BIG {
        let n = c.read(&mut buf).unwrap();
        assert!(n > 0, "cut at {at}");
        check(&buf[..n], &mut at);
    }
}

#[test]
fn a_kept_connection_the_upstream_drops_is_retried_once_for_idempotent_requests() {
    let up = Upstream::start();
    let p = start(&up);
    assert_eq!(curl(&[&p.proxy.url("/api/flaky")]).stdout, b"flaky\n");
    // The pooled connection is taken, the upstream closes it on reading the request: a new
    // connection carries the GET again.
    assert_eq!(curl(&[&p.proxy.url("/api/flaky")]).stdout, b"flaky\n");
    assert_eq!(up.connections.load(Ordering::SeqCst), 2);
    assert_eq!(up.heads().len(), 3);
    // A POST is not sent twice: 502.
    let r = curl_response(&["--data-binary", "x", &p.proxy.url("/api/flaky")], false);
    assert_eq!(r.status, 502);
    assert_eq!(up.connections.load(Ordering::SeqCst), 2);
}

/// Sockets in `CLOSE_WAIT` (the peer closed, this side not yet) toward `port` on loopback.
fn close_wait_to(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let remote = format!("0100007F:{port:04X}");
    table
        .lines()
        .skip(1)
        .filter(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            f.len() > 3 && f[2] == remote && f[3] == "08"
        })
        .count()
}

#[test]
fn an_idle_kept_connection_the_upstream_closes_is_closed_at_once() {
    let up = Upstream::start();
    let p = start(&up);
    assert_eq!(curl(&[&p.proxy.url("/api/bye")]).stdout, b"bye\n");
    // The upstream closed it after answering: the pool, watching its idle connections,
    // closes its end at once, rather than leaving it half-closed (CLOSE_WAIT) until a
    // request or the idle timeout (50 s) finds it.
    let port = up.addr.port();
    assert!(
        wait_until(|| close_wait_to(port) == 0),
        "{} sockets left in CLOSE_WAIT",
        close_wait_to(port)
    );
    // A POST (never sent twice) then goes on a new connection.
    let r = curl_response(&["--data-binary", "x", &p.proxy.url("/api/echo")], false);
    assert_eq!(r.status, 200);
    assert_eq!(up.connections.load(Ordering::SeqCst), 2);
}

/// Reads one response (its head and a `Content-Length` body) from `r`; returns the body.
fn read_response_bytes(r: &mut BufReader<TcpStream>) -> Vec<u8> {
    let mut len = 0;
    loop {
        let mut line = String::new();
        assert!(r.read_line(&mut line).unwrap() > 0, "the connection ended");
        if line == "\r\n" {
            break;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            len = v.trim().parse().unwrap();
        }
    }
    let mut body = vec![0; len];
    r.read_exact(&mut body).unwrap();
    body
}

/// [`read_response_bytes`] for a text body.
fn read_response(r: &mut BufReader<TcpStream>) -> String {
    String::from_utf8(read_response_bytes(r)).unwrap()
}

#[test]
fn requests_pipelined_behind_a_proxied_one_are_answered_in_order() {
    // A request arriving while the one before it waits on the upstream (its own write, and
    // a burst in one write): each is proxied in turn, on the same client connection.
    let up = Upstream::start();
    let p = start(&up);
    let c = TcpStream::connect(p.proxy.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut w = c.try_clone().unwrap();
    let mut r = BufReader::new(c);
    let get = |n: usize| format!("GET /api/head?n={n} HTTP/1.1\r\nHost: x\r\n\r\n");
    w.write_all(get(0).as_bytes()).unwrap();
    w.write_all(get(1).as_bytes()).unwrap();
    let burst: String = (2..10).map(get).collect();
    w.write_all(burst.as_bytes()).unwrap();
    for n in 0..10 {
        let body = read_response(&mut r);
        assert!(
            body.starts_with(&format!("GET /api/head?n={n} ")),
            "{n}: {body}"
        );
    }
}

#[test]
fn a_connection_close_request_is_answered_whether_the_upstream_answers_or_not() {
    // A client that closes after its response is not registered with epoll while the
    // upstream works (nothing to wait for from it): the upstream's wake-up, or the read
    // timeout's 504, must still reach it, and the connection then close.
    let up = Upstream::start();
    let p = start(&up);
    for (path, status) in [("/api/head", "200"), ("/api/silent", "504")] {
        let mut c = TcpStream::connect(p.proxy.addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            c,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut got = String::new();
        c.read_to_string(&mut got).unwrap();
        assert!(
            got.starts_with(&format!("HTTP/1.1 {status} ")),
            "{path}: {got}"
        );
        assert!(got.contains("Connection: close\r\n"), "{path}: {got}");
    }
}

/// CPU time (user + system) a process has used, in clock ticks.
fn cpu_ticks(pid: i32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // After the command name's closing parenthesis: state is field 3, utime 14, stime 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

/// A client that resets while httpd's buffer of its body is full (the upstream takes none):
/// the reset ends the exchange at once, rather than the socket's error waking the worker
/// again and again until the read timeout.
#[test]
fn a_client_that_resets_with_its_body_backed_up_is_dropped_at_once() {
    // An upstream that accepts and never reads.
    let stall = TcpListener::bind("127.0.0.1:0").unwrap();
    let stall_addr = stall.local_addr().unwrap();
    let conf = TempDir::new("proxy-stall");
    let root = conf.0.join("root");
    std::fs::create_dir_all(&root).unwrap();
    let error_log = conf.0.join("error.log");
    let path = conf.0.join("httpd.conf");
    std::fs::write(
        &path,
        format!(
            "listen 127.0.0.1:0;\nroot {};\nthreads 1;\nerror_log {};\n\
             proxy_pass /stall/ http://{stall_addr};\nproxy_read_timeout 30s;\nproxy_max_body_size 1g;\n",
            root.display(),
            error_log.display()
        ),
    )
    .unwrap();
    let proxy = Server::from_config(&path, &root);
    let mut c = TcpStream::connect(proxy.addr).unwrap();
    c.write_all(b"POST /stall/x HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n")
        .unwrap();
    let (_upstream, _) = stall.accept().unwrap();
    // Send until every buffer on the way is full: the upstream's, httpd's, the client's.
    c.set_write_timeout(Some(Duration::from_millis(500)))
        .unwrap();
    let chunk = vec![b'x'; 64 * 1024];
    while c.write_all(&chunk).is_ok() {}
    // Close with a reset (SO_LINGER 0).
    let linger = libc::linger {
        l_onoff: 1,
        l_linger: 0,
    };
    // SAFETY: a valid socket and a `linger` of the size given.
    let rc = unsafe {
        libc::setsockopt(
            std::os::fd::AsRawFd::as_raw_fd(&c),
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&linger as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0);
    drop(c);
    let log = {
        let mut text = String::new();
        assert!(wait_until(|| {
            text = std::fs::read_to_string(&error_log).unwrap_or_default();
            text.contains("client")
        }));
        text
    };
    assert!(log.contains("the client's connection failed"), "{log}");
    // And the worker is idle again: a second of waiting costs it (next to) no CPU.
    let before = cpu_ticks(proxy.pid());
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_ticks(proxy.pid()) - before;
    assert!(
        used < 20,
        "httpd used {used} ticks of CPU in one idle second"
    );
}

#[test]
fn surplus_upstream_connections_are_closed_with_a_reset() {
    // Three requests at once need three upstream connections; `proxy_keepalive 1` keeps
    // one. The two others are closed as they fall idle, with a reset (as HAProxy closes
    // them): a FIN would leave each in TIME_WAIT on httpd's side, and with hundreds of
    // clients thousands a second pile up and slow every new connect.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let up = listener.local_addr().unwrap();
    let arrived = Arc::new(AtomicUsize::new(0));
    let (ends_tx, ends) = std::sync::mpsc::channel::<String>();
    {
        let arrived = arrived.clone();
        std::thread::spawn(move || {
            for s in listener.incoming() {
                let Ok(mut s) = s else { return };
                let (arrived, ends_tx) = (arrived.clone(), ends_tx.clone());
                std::thread::spawn(move || {
                    let mut head = Vec::new();
                    let mut b = [0u8; 1024];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match s.read(&mut b) {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&b[..n]),
                        }
                    }
                    // Answers only once all three are open at once.
                    arrived.fetch_add(1, Ordering::SeqCst);
                    wait_until(|| arrived.load(Ordering::SeqCst) >= 3);
                    s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                        .unwrap();
                    // How httpd ends the idle connection (the one kept: never, here).
                    let end = match s.read(&mut b) {
                        Ok(0) => "FIN".to_owned(),
                        Ok(_) => "another request".to_owned(),
                        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                            "reset".to_owned()
                        }
                        Err(e) => format!("error {e}"),
                    };
                    let _ = ends_tx.send(end);
                });
            }
        });
    }
    let conf = TempDir::new("proxy-keepalive-1");
    let root = conf.0.join("root");
    std::fs::create_dir_all(&root).unwrap();
    let path = conf.0.join("httpd.conf");
    std::fs::write(
        &path,
        format!(
            "listen 127.0.0.1:0;\nroot {};\nthreads 1;\nproxy_pass /api/ http://{up};\nproxy_keepalive 1;\n",
            root.display()
        ),
    )
    .unwrap();
    let proxy = Server::from_config(&path, &root);
    let clients: Vec<_> = (0..3)
        .map(|i| {
            let addr = proxy.addr;
            std::thread::spawn(move || {
                let mut c = TcpStream::connect(addr).unwrap();
                c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
                write!(c, "GET /api/{i} HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
                let mut got = Vec::new();
                let mut b = [0u8; 1024];
                while !got.ends_with(b"\r\n\r\nok") {
                    let n = c.read(&mut b).unwrap();
                    assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&got));
                    got.extend_from_slice(&b[..n]);
                }
                assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"));
                c
            })
        })
        .collect();
    let _clients: Vec<TcpStream> = clients.into_iter().map(|t| t.join().unwrap()).collect();
    for _ in 0..2 {
        let end = ends.recv_timeout(Duration::from_secs(10)).unwrap();
        assert_eq!(
            end, "reset",
            "how httpd closed a surplus idle upstream connection"
        );
    }
    // The third stays kept.
    assert!(ends.recv_timeout(Duration::from_millis(200)).is_err());
}

fn assert_pattern(body: &[u8], len: u64) {
    assert_eq!(body.len() as u64, len);
    if let Some(i) = (0..len).find(|&i| body[i as usize] != pattern(i)) {
        panic!("byte {i} of {len} differs");
    }
}

#[test]
fn a_body_until_close_comes_whole_to_both_http_versions() {
    let up = Upstream::start();
    let p = start(&up);
    // HTTP/1.0: passed on as it comes, until httpd closes.
    let mut c = TcpStream::connect(p.proxy.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(b"GET /api/bigclose HTTP/1.0\r\n\r\n").unwrap();
    let mut all = Vec::new();
    c.read_to_end(&mut all).unwrap();
    let head_end = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&all[..head_end]).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200 ok\r\n"), "{head}");
    assert!(
        !head.contains("content-length") && !head.contains("transfer-encoding"),
        "{head}"
    );
    assert_pattern(&all[head_end..], CUT_AT);
    // HTTP/1.1: re-framed in chunks (curl checks and decodes them).
    let out = curl(&["-D", "-", "-o", "/dev/null", &p.proxy.url("/api/bigclose")]);
    let head = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
    assert!(head.contains("transfer-encoding: chunked\r\n"), "{head}");
    assert_pattern(&curl(&[&p.proxy.url("/api/bigclose")]).stdout, CUT_AT);
}

#[test]
fn an_upstream_that_dies_mid_body_cuts_the_client_connection() {
    let up = Upstream::start();
    let p = start(&up);
    let mut c = TcpStream::connect(p.proxy.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(b"GET /api/cut HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut all = Vec::new();
    // The connection ends (EOF or a reset), well short of the promised length.
    let _ = c.read_to_end(&mut all);
    let text = String::from_utf8_lossy(&all[..all.len().min(200)]).into_owned();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(
        text.contains(&format!("Content-Length: {}\r\n", 4 * CUT_AT)),
        "{text}"
    );
    let head_end = all.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let body = &all[head_end..];
    assert!((body.len() as u64) <= CUT_AT, "{} body bytes", body.len());
    assert_pattern(body, body.len() as u64);
    error_log(
        &p,
        "the upstream closed the connection in the response body",
    );
}

#[test]
fn bytes_after_a_long_body_do_not_reach_the_next_request() {
    let up = Upstream::start();
    let p = start(&up);
    // Pipelined: the second request is taken up in the same turn as the first response
    // ends, before any wake-up could report the stray bytes on the pooled connection.
    let c = TcpStream::connect(p.proxy.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    (&c).write_all(
        b"GET /api/extra HTTP/1.1\r\nHost: x\r\n\r\nGET /api/head HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .unwrap();
    let mut r = BufReader::new(c);
    let body = read_response_bytes(&mut r);
    assert_pattern(&body, EXTRA_BODY);
    // The connection that carried the stray bytes was closed, not pooled: the next
    // request gets its own answer on a new one.
    let second = read_response(&mut r);
    assert!(second.starts_with("GET /api/head HTTP/1.1\r\n"), "{second}");
    assert_eq!(up.connections.load(Ordering::SeqCst), 2);
}

#[test]
fn bytes_after_a_short_copied_body_do_not_reach_the_next_request() {
    // The copying path's twin of the test above: the read that completes the body fills
    // the proxy's buffer, so the stray response behind it stays in the socket; the
    // pipelined second request is taken up in the same turn and may go again on a new
    // connection (a GET), so no peek at the pooled connection would catch it. Several
    // clients in turn: the upstream's write reaches the proxy's socket whole almost always,
    // and each time it must not be reused.
    let up = Upstream::start();
    let p = start(&up);
    for i in 0..10 {
        let c = TcpStream::connect(p.proxy.addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        (&c).write_all(
            b"GET /api/boundary HTTP/1.1\r\nHost: x\r\n\r\nGET /api/head HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        .unwrap();
        let mut r = BufReader::new(c);
        let body = read_response_bytes(&mut r);
        let len = body.len();
        assert!(len > 60_000 && len < BOUNDARY_READ, "{len}");
        assert_pattern(&body, len as u64);
        let second = read_response(&mut r);
        assert!(
            second.starts_with("GET /api/head HTTP/1.1\r\n"),
            "client {i}: the second request got {second:?}"
        );
    }
}

/// Sends `GET path` with `Connection: close` from `n` clients at once (every request
/// written before any response is read); checks each answer.
fn burst(p: &Proxy, path: &str, n: usize) {
    let clients: Vec<TcpStream> = (0..n)
        .map(|_| {
            let c = TcpStream::connect(p.proxy.addr).unwrap();
            c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            (&c).write_all(
                format!("GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").as_bytes(),
            )
            .unwrap();
            c
        })
        .collect();
    for mut c in clients {
        let mut got = String::new();
        c.read_to_string(&mut got).unwrap();
        assert!(got.starts_with("HTTP/1.1 200 "), "{got}");
    }
}

#[test]
fn a_burst_past_proxy_keepalive_waits_for_the_kept_connections_instead_of_connecting() {
    // 16 clients at once, 4 connections kept: the requests past the 4 busy ones wait for
    // one of them to fall free rather than connecting, only to have those connections
    // closed as surplus when the responses end. Without the queue every burst opened 12
    // (100 in 8 bursts). `proxy_queue_wait` long, so that however busy the machine no
    // request waits out its time (its default, 2 ms, is the next test's).
    // `/api/chunked` is one write of the upstream's: a response in two (`/api/head`) waits
    // on a kept connection for the delayed ACK of its first part (the test upstream
    // leaves Nagle's algorithm on), 40 ms, which would only slow the test.
    let up = Upstream::start();
    let p = start_with(&up, "proxy_keepalive 4;\nproxy_queue_wait 30s;\n");
    let rounds = 8;
    for _ in 0..rounds {
        burst(&p, "/api/chunked", 16);
    }
    assert_eq!(up.heads().len(), rounds * 16);
    assert_eq!(up.connections.load(Ordering::SeqCst), 4);
    // `proxy_queue_wait 0`: no queue, a connection for each request past the idle ones.
    let up = Upstream::start();
    let p = start_with(&up, "proxy_keepalive 4;\nproxy_queue_wait 0;\n");
    for _ in 0..rounds {
        burst(&p, "/api/chunked", 16);
    }
    let opened = up.connections.load(Ordering::SeqCst);
    assert!(opened > 4, "{opened} connections without the queue");
}

#[test]
fn a_request_queued_behind_busy_connections_connects_if_none_falls_free() {
    // One connection kept, and it is busy with a request the upstream never answers (a 504
    // after proxy_read_timeout, 1 s): a second client's request waits in the queue only
    // its short while, then opens its own connection, and is answered long before. It
    // has a body, which the queue holds back and which then streams up whole.
    let up = Upstream::start();
    let p = start_with(&up, "proxy_keepalive 1;\n");
    let mut stuck = TcpStream::connect(p.proxy.addr).unwrap();
    stuck
        .write_all(b"GET /api/silent HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert!(wait_until(|| up.connections.load(Ordering::SeqCst) == 1));
    let dir = TempDir::new("proxy-queued-body");
    let body: Vec<u8> = (0..300_000u64).map(pattern).collect();
    let file = dir.0.join("body");
    std::fs::write(&file, &body).unwrap();
    let data = format!("@{}", file.display());
    let r = curl_response(&["--data-binary", &data, &p.proxy.url("/api/echo")], false);
    assert_eq!(r.status, 200);
    assert!(r.body == body, "the body came back changed");
    assert_eq!(up.connections.load(Ordering::SeqCst), 2);
    // The stuck request is still waiting for its answer.
    stuck.set_nonblocking(true).unwrap();
    let mut b = [0u8; 1];
    let e = stuck.read(&mut b).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::WouldBlock);
    stuck.set_nonblocking(false).unwrap();
    stuck
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut got = [0u8; 12];
    stuck.read_exact(&mut got).unwrap();
    assert_eq!(&got, b"HTTP/1.1 504");
}

#[test]
fn a_reload_that_raises_proxy_keepalive_under_a_queued_request_leaves_the_worker_serving() {
    // A request queued under `proxy_keepalive 1` keeps that bound; a reload raises the
    // worker's to 4. The worker then takes the request off the queue (1 busy, under 4),
    // the request finds the upstream still at its own bound and queues again: taken off
    // again and again in the same turn, the worker spun and answered nobody.
    let up = Upstream::start();
    let p = start_with(&up, "proxy_keepalive 1;\nproxy_queue_wait 30s;\n");
    // The one kept connection stays busy: its client reads nothing of a long body (the
    // exchange waits on the client, so no upstream timeout ends it).
    let mut busy = TcpStream::connect(p.proxy.addr).unwrap();
    busy.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    busy.write_all(b"GET /api/big HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 1024];
    busy.read_exact(&mut first).unwrap();
    // A second request waits in the queue behind it...
    let mut queued = TcpStream::connect(p.proxy.addr).unwrap();
    queued
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    queued
        .write_all(b"GET /api/head HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    // ...once a request sent after it is answered (one worker, in the order they came).
    let r = curl_response(&[&p.proxy.url("/local.txt")], false);
    assert_eq!(r.status, 200);
    assert_eq!(up.connections.load(Ordering::SeqCst), 1);
    let conf = p._conf.0.join("httpd.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(
        &conf,
        text.replace("proxy_keepalive 1;", "proxy_keepalive 4;"),
    )
    .unwrap();
    p.proxy.signal(libc::SIGHUP);
    error_log(&p, "configuration reloaded");
    let r = curl_response(&["--max-time", "10", &p.proxy.url("/local.txt")], false);
    assert_eq!(r.status, 200, "no answer after the reload");
    // The busy client reads its body: the connection falls free and the queued request goes.
    let mut buf = vec![0u8; 256 * 1024];
    let mut left = BIG + first.windows(4).position(|w| w == b"\r\n\r\n").unwrap() as u64 + 4
        - first.len() as u64;
    while left > 0 {
        let n = busy.read(&mut buf).unwrap();
        assert!(n > 0, "cut with {left} bytes to go");
        left -= n as u64;
    }
    let mut answer = Vec::new();
    queued.read_to_end(&mut answer).unwrap();
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

#[test]
fn stray_bytes_on_an_idle_connection_are_seen_before_a_request_takes_it() {
    // An idle kept connection receives a stray response while httpd is stopped, between
    // another exchange's response bytes and a client's next request: one turn of the
    // worker's loop then sees the three, in that order, and alternating upstream events
    // with the others would hand the request that idle connection (a GET: taken without a
    // peek) before the idle connection's own event closed it. Idle connections' events go
    // first in a turn.
    STEP.store(0, Ordering::SeqCst);
    let up = Upstream::start();
    let p = start(&up);
    // One client's exchange holds a connection, waiting for its response...
    let mut h = TcpStream::connect(p.proxy.addr).unwrap();
    h.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    h.write_all(b"GET /api/hold HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    assert!(wait_until(|| up.heads().len() == 1));
    // ...and another's response ends: its connection is idle in the pool.
    let k = TcpStream::connect(p.proxy.addr).unwrap();
    k.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut kr = BufReader::new(k.try_clone().unwrap());
    (&k).write_all(b"GET /api/junk-after HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut kr), "ok");
    assert_eq!(up.connections.load(Ordering::SeqCst), 2);
    let pid = p.proxy.pid();
    // SAFETY: signals to the httpd this test started.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    STEP.store(1, Ordering::SeqCst);
    let sent = step_reached(2);
    STEP.store(3, Ordering::SeqCst);
    let sent = sent && step_reached(4);
    (&k).write_all(b"GET /api/head HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    // The request waits in httpd's socket before httpd runs again.
    assert!(wait_until(|| server_end(&k).unread > 0));
    // SAFETY: as above.
    unsafe { libc::kill(pid, libc::SIGCONT) };
    assert!(sent, "the upstream did not write its parts");
    let second = read_response(&mut kr);
    assert!(
        second.starts_with("GET /api/head HTTP/1.1\r\n"),
        "{second:?}"
    );
    let mut rest = String::new();
    h.read_to_string(&mut rest).unwrap();
    assert!(rest.ends_with("first-last"), "{rest}");
}

/// The upstream resets the connection while the body it sent waits for a client that does
/// not read (in the pipe of a spliced body, and the sockets' buffers): the hang-up, which
/// epoll reports whatever the interest, ends the exchange instead of waking the worker
/// again and again.
#[test]
fn an_upstream_reset_while_the_client_does_not_read_ends_the_exchange() {
    let up = Upstream::start();
    let p = start(&up);
    let mut c = TcpStream::connect(p.proxy.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(b"GET /api/stall-reset HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 1024];
    c.read_exact(&mut first).unwrap();
    assert!(first.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(wait_until(|| up.closed.load(Ordering::SeqCst) == 1));
    error_log(
        &p,
        "(response cut short) while serving 127.0.0.1 \"GET /api/stall-reset",
    );
    let before = cpu_ticks(p.proxy.pid());
    std::thread::sleep(Duration::from_secs(1));
    let used = cpu_ticks(p.proxy.pid()) - before;
    assert!(
        used < 20,
        "httpd used {used} ticks of CPU in one idle second"
    );
    // The client's connection was cut short of the body.
    let mut rest = Vec::new();
    let _ = c.read_to_end(&mut rest);
    assert!((rest.len() as u64) < BIG);
}

#[test]
fn a_new_upstream_connection_is_read_only_once_its_response_is_there() {
    // Right after the request its response cannot be there yet: a read then is an
    // `EAGAIN` for nothing (one system call in ten of a short proxied request). The new
    // connection is registered with epoll, which reports the response when it comes.
    // Checked with the real strace attached to httpd: on the socket connected to the
    // upstream, no read comes back empty-handed.
    let up = Upstream::start();
    let p = start(&up);
    let dir = TempDir::new("proxy-strace");
    let trace = dir.0.join("trace");
    let mut strace = std::process::Command::new("strace")
        .args(["-f", "-e", "trace=connect,recvfrom", "-o"])
        .arg(&trace)
        .args(["-p", &p.proxy.pid().to_string()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("strace (scripts/deps.sh installs it)");
    // Attached to every thread once it says so (`Process N attached with M threads`).
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = strace.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let _ = tx.send(line);
        }
    });
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("strace attaches");
        if line.contains("attached") {
            break;
        }
    }
    for path in ["/api/head", "/api/head"] {
        let mut c = TcpStream::connect(p.proxy.addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            c,
            "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut got = String::new();
        c.read_to_string(&mut got).unwrap();
        assert!(got.starts_with("HTTP/1.1 200 "), "{got}");
    }
    // SAFETY: a signal to the strace this test started.
    unsafe { libc::kill(strace.id() as i32, libc::SIGINT) };
    strace.wait().unwrap();
    let text = std::fs::read_to_string(&trace).unwrap();
    let port = format!("htons({})", up.addr.port());
    let fd = text
        .lines()
        .find(|l| l.contains("connect(") && l.contains(&port))
        .and_then(|l| l.split("connect(").nth(1)?.split(',').next())
        .unwrap_or_else(|| panic!("no connect to the upstream in the trace:\n{text}"))
        .to_string();
    let reads: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(&format!("recvfrom({fd},")))
        .collect();
    assert!(!reads.is_empty(), "the upstream was not read:\n{text}");
    assert!(
        reads.iter().all(|l| !l.contains("EAGAIN")),
        "a read of the upstream came back empty:\n{text}"
    );
}
