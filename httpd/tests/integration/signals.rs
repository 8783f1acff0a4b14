//! The operator's signals against the real server: SIGUSR1 reopens the logs under load
//! without losing or tearing a line, SIGQUIT lets a large download finish and refuses new
//! connections, SIGHUP applies a changed root (in-flight downloads finish) and refuses a bad
//! config while the old one keeps serving. Every wait is bounded; no timing is asserted.

use crate::common::*;
use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Big enough that the socket buffers cannot hold it: the download is really in flight.
pub const HUGE_LEN: usize = 24 << 20;

pub fn huge_content() -> Vec<u8> {
    (0..HUGE_LEN).map(|i| (i * 7 + i / 4093) as u8).collect()
}

/// Polls `path` (10 s at most) until it contains `needle`.
pub fn wait_for_text(path: &Path, needle: &str) -> bool {
    wait_for_count(path, needle, 1)
}

/// `n` requests for `path` on one keep-alive connection; the number answered 200.
pub fn keepalive_requests(addr: SocketAddr, path: &str, n: usize) -> usize {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut ok = 0;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 16384];
    for _ in 0..n {
        let req = format!("GET {path} HTTP/1.1\r\nHost: t\r\nUser-Agent: load\r\n\r\n");
        s.write_all(req.as_bytes()).unwrap();
        loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                if buf.len() >= end + 4 + len {
                    if head.starts_with("http/1.1 200") {
                        ok += 1;
                    }
                    buf.drain(..end + 4 + len);
                    break;
                }
            }
            let got = s.read(&mut chunk).expect("read a response");
            assert!(got > 0, "the server closed a keep-alive connection");
            buf.extend_from_slice(&chunk[..got]);
        }
    }
    ok
}

/// A GET of `path` whose body is read only partly: the rest waits in the network.
pub struct SlowDownload {
    stream: TcpStream,
    got: Vec<u8>,
}

impl SlowDownload {
    pub fn start(addr: SocketAddr, path: &str) -> SlowDownload {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let req = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
        stream.write_all(req.as_bytes()).unwrap();
        let mut got = vec![0u8; 64 * 1024];
        stream.read_exact(&mut got).expect("the first bytes");
        SlowDownload { stream, got }
    }

    /// Reads to the end; the body.
    pub fn finish(mut self) -> Vec<u8> {
        self.stream
            .read_to_end(&mut self.got)
            .expect("read the rest");
        let end = self
            .got
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a head");
        assert!(self.got.starts_with(b"HTTP/1.1 200"));
        self.got.split_off(end + 4)
    }
}

/// Polls `path` (10 s at most) until `needle` occurs `n` times in it.
pub fn wait_for_count(path: &Path, needle: &str, n: usize) -> bool {
    wait_until(|| fs::read_to_string(path).is_ok_and(|t| t.matches(needle).count() >= n))
}

/// The names of `pid`'s threads that are workers (`httpd-worker-N`).
pub fn worker_threads(pid: i32) -> usize {
    fs::read_dir(format!("/proc/{pid}/task"))
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| {
                    fs::read_to_string(e.path().join("comm"))
                        .is_ok_and(|c| c.starts_with("httpd-worker"))
                })
                .count()
        })
        .unwrap_or(0)
}

/// Whether connecting to `addr` is refused (polled, 10 s at most).
pub fn wait_refused(addr: SocketAddr) -> bool {
    wait_until(|| TcpStream::connect(addr).is_err())
}

/// A server with an error log next to its access log, and a huge file in its root.
fn start_with_error_log(extra: &[&str]) -> (Server, PathBuf) {
    let tmp_err = std::env::temp_dir().join(format!(
        "httpd-test-{}-{}-error.log",
        std::process::id(),
        extra.len() + rand_tag()
    ));
    let mut args = vec!["--error-log", tmp_err.to_str().unwrap()];
    args.extend_from_slice(extra);
    let server = Server::start_with(&args);
    fs::write(server.root.join("huge.bin"), huge_content()).unwrap();
    (server, tmp_err)
}

fn rand_tag() -> usize {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(1000);
    N.fetch_add(1, Ordering::Relaxed)
}

#[test]
fn sigusr1_reopens_the_logs_under_load_without_losing_a_line() {
    let (server, error_log) = start_with_error_log(&["--threads", "2"]);
    let addr = server.addr;
    const CLIENTS: usize = 4;
    const EACH: usize = 2000;
    let load: Vec<_> = (0..CLIENTS)
        .map(|_| {
            // 500 per connection: under the server's keepalive_requests (1000).
            std::thread::spawn(move || {
                (0..EACH / 500)
                    .map(|_| keepalive_requests(addr, "/style.css", 500))
                    .sum::<usize>()
            })
        })
        .collect();
    // Rotate twice while the clients run: rename, then SIGUSR1 (as logrotate does).
    let mut rotated = Vec::new();
    for i in 1..=2 {
        // The first time once the file has lines (the clients may take a while to start on a
        // busy machine; the first rotated file must hold some).
        if i == 1 {
            assert!(
                wait_until(|| fs::metadata(&server.log).is_ok_and(|m| m.len() > 0)),
                "no access log line after 10 s"
            );
        } else {
            // The second time once the reopened file has lines too, unless the clients
            // are done by then.
            wait_until(|| {
                fs::metadata(&server.log).is_ok_and(|m| m.len() > 0)
                    || load.iter().all(|h| h.is_finished())
            });
        }
        let to = server.log.with_extension(format!("log.{i}"));
        if fs::rename(&server.log, &to).is_ok() {
            rotated.push(to);
        }
        let err_to = error_log.with_extension(format!("log.{i}"));
        let _ = fs::rename(&error_log, &err_to);
        server.signal(libc::SIGUSR1);
        // The reopen creates the files afresh, and says so in the new error log.
        assert!(wait_for_text(&error_log, "reopened the logs"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !server.log.exists() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(
            server.log.exists(),
            "SIGUSR1 did not recreate the access log"
        );
        let _ = fs::remove_file(err_to);
    }
    let answered: usize = load.into_iter().map(|h| h.join().unwrap()).sum();
    assert_eq!(answered, CLIENTS * EACH);
    // After one more request (in the new file), every line is somewhere, whole.
    assert_eq!(keepalive_requests(addr, "/style.css", 1), 1);
    let expected = CLIENTS * EACH + 1;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut lines: Vec<String>;
    loop {
        lines = lines_of(rotated.iter().chain(std::iter::once(&server.log)));
        if lines.len() >= expected || Instant::now() >= deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(lines.len(), expected, "log lines vs requests");
    for l in &lines {
        assert!(
            l.starts_with("127.0.0.1 - - [")
                && l.ends_with("\"GET /style.css HTTP/1.1\" 200 24 \"-\" \"load\""),
            "torn or foreign line {l:?}"
        );
    }
    assert!(!fs::read_to_string(&server.log).unwrap().is_empty());
    assert!(!fs::read_to_string(&rotated[0]).unwrap().is_empty());
    eprintln!(
        "lines per file: {:?}",
        rotated
            .iter()
            .chain(std::iter::once(&server.log))
            .map(|p| fs::read_to_string(p).unwrap_or_default().lines().count())
            .collect::<Vec<_>>()
    );
    drop(server);
    let _ = fs::remove_file(&error_log);
}

#[test]
fn sigquit_finishes_a_large_download_refuses_new_clients_and_exits() {
    let (mut server, error_log) = start_with_error_log(&["--threads", "2"]);
    // An idle keep-alive connection: closed by the graceful stop.
    let mut idle = TcpStream::connect(server.addr).unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    idle.write_all(b"GET /style.css HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 1024];
    let n = idle.read(&mut first).unwrap();
    assert!(first[..n].starts_with(b"HTTP/1.1 200"));

    let download = SlowDownload::start(server.addr, "/huge.bin");
    server.signal(libc::SIGQUIT);
    assert!(wait_for_text(&error_log, "graceful shutdown"));
    assert!(wait_refused(server.addr), "still accepting after SIGQUIT");
    let mut rest = Vec::new();
    match idle.read_to_end(&mut rest) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {}
        Err(e) => panic!("the idle connection was not closed by the graceful stop: {e}"),
    }
    assert!(rest.is_empty(), "the idle connection got {rest:?}");
    let body = download.finish();
    assert_eq!(body.len(), HUGE_LEN);
    assert!(body == huge_content(), "the download was corrupted");
    let status = server
        .wait_exit(Duration::from_secs(10))
        .expect("httpd exits once the download is done");
    assert!(status.success(), "{status:?}");
    let _ = fs::remove_file(&error_log);
}

#[test]
fn sigquit_deadline_closes_a_client_that_does_not_read() {
    let (mut server, error_log) = start_with_error_log(&["--shutdown-timeout", "1s"]);
    let _stuck = SlowDownload::start(server.addr, "/huge.bin");
    server.signal(libc::SIGQUIT);
    let status = server
        .wait_exit(Duration::from_secs(15))
        .expect("httpd exits at its shutdown_timeout");
    assert!(status.success(), "{status:?}");
    let _ = fs::remove_file(&error_log);
}

/// A server started from a config file in `tmp`; returns it and the config's path.
fn start_from_config(site: &TempDir, root: &Path, error_log: &Path) -> (Server, PathBuf) {
    let conf = site.0.join("httpd.conf");
    fs::write(&conf, config_text(root, error_log)).unwrap();
    (Server::from_config(&conf, root), conf)
}

fn config_text(root: &Path, error_log: &Path) -> String {
    format!(
        "listen 127.0.0.1:0;\nthreads 2;\nroot {};\nerror_log {};\n",
        root.display(),
        error_log.display()
    )
}

/// A site for a reload test in `site`: the old root (with the huge file) and a new root
/// whose style.css says `new`.
pub fn old_and_new_roots(site: &TempDir) -> (PathBuf, PathBuf) {
    let old_root = make_site(&site.0);
    fs::write(old_root.join("huge.bin"), huge_content()).unwrap();
    let new_root = site.0.join("new-root");
    fs::create_dir_all(&new_root).unwrap();
    fs::write(new_root.join("style.css"), "new\n").unwrap();
    (old_root, new_root)
}

#[test]
fn sighup_with_a_new_root_serves_it_while_a_download_in_flight_finishes() {
    let site = TempDir::new("site");
    let (old_root, new_root) = old_and_new_roots(&site);
    let error_log = site.0.join("error.log");
    let (server, conf) = start_from_config(&site, &old_root, &error_log);

    let download = SlowDownload::start(server.addr, "/huge.bin");
    assert_eq!(curl(&[&server.url("/style.css")]).stdout, STYLE.as_bytes());
    fs::write(&conf, config_text(&new_root, &error_log)).unwrap();
    server.signal(libc::SIGHUP);
    assert!(
        wait_for_text(&error_log, "configuration reloaded"),
        "no reload in the error log: {:?}",
        fs::read_to_string(&error_log)
    );
    assert_eq!(curl(&[&server.url("/style.css")]).stdout, b"new\n");
    let body = download.finish();
    assert!(
        body == huge_content(),
        "the download in flight was cut or corrupted"
    );
}

#[test]
fn sighup_with_a_bad_config_is_refused_and_the_old_one_keeps_serving() {
    let site = TempDir::new("site");
    let root = make_site(&site.0);
    let error_log = site.0.join("error.log");
    let (server, conf) = start_from_config(&site, &root, &error_log);
    fs::write(&conf, "listen 127.0.0.1:0;\nroot /no/such/root;\n").unwrap();
    server.signal(libc::SIGHUP);
    let want = format!(
        "reload refused, still serving the old configuration: {}:2: root /no/such/root",
        conf.display()
    );
    assert!(
        wait_for_text(&error_log, &want),
        "{:?}",
        fs::read_to_string(&error_log)
    );
    assert_eq!(curl(&[&server.url("/style.css")]).stdout, STYLE.as_bytes());
    // A good file again: taken.
    fs::write(&conf, config_text(&root, &error_log)).unwrap();
    server.signal(libc::SIGHUP);
    assert!(wait_for_text(&error_log, "configuration reloaded"));
    assert_eq!(curl(&[&server.url("/style.css")]).stdout, STYLE.as_bytes());
}

/// SIGHUP with another thread count and another `listen` list: new worker threads start
/// on the sockets kept (same port) and on the new address (announced on stdout), the old
/// threads finish the download in flight and go; an address dropped later is closed.
#[test]
fn sighup_with_new_threads_and_addresses_starts_new_workers_on_kept_sockets() {
    let site = TempDir::new("site");
    let root = make_site(&site.0);
    fs::write(root.join("huge.bin"), huge_content()).unwrap();
    let error_log = site.0.join("error.log");
    let (server, conf) = start_from_config(&site, &root, &error_log);
    let a = server.addr;
    let text = |listen: &str, threads: usize| {
        format!(
            "{listen}threads {threads};\nroot {};\nerror_log {};\n",
            root.display(),
            error_log.display()
        )
    };
    assert!(wait_until(|| worker_threads(server.pid()) == 2));
    let download = SlowDownload::start(a, "/huge.bin");

    // 127.0.0.2 is loopback too, and a different configured address.
    fs::write(&conf, text("listen 127.0.0.1:0;\nlisten 127.0.0.2:0;\n", 3)).unwrap();
    server.signal(libc::SIGHUP);
    assert!(
        wait_for_count(&error_log, "configuration reloaded", 1),
        "{:?}",
        fs::read_to_string(&error_log)
    );
    let b = parse_listening(&server.next_stdout_line().expect("the new address"));
    assert_eq!(b.ip().to_string(), "127.0.0.2");
    for addr in [a, b] {
        let url = format!("http://{addr}/style.css");
        assert_eq!(curl(&[&url]).stdout, STYLE.as_bytes(), "{addr}");
    }
    // The old threads are still there for the download; they go once it is done.
    assert!(worker_threads(server.pid()) >= 3);
    assert!(
        download.finish() == huge_content(),
        "the download in flight was cut or corrupted"
    );
    assert!(
        wait_until(|| worker_threads(server.pid()) == 3),
        "{} worker threads",
        worker_threads(server.pid())
    );
    assert!(wait_for_text(&error_log, "the old worker threads finished"));
    assert_eq!(keepalive_requests(a, "/style.css", 20), 20);

    // The first address dropped, one thread: it is closed, the other keeps serving.
    fs::write(&conf, text("listen 127.0.0.2:0;\n", 1)).unwrap();
    server.signal(libc::SIGHUP);
    assert!(wait_for_count(&error_log, "configuration reloaded", 2));
    assert!(
        wait_refused(a),
        "{a} still accepts after it left the config"
    );
    assert!(wait_until(|| worker_threads(server.pid()) == 1));
    assert_eq!(keepalive_requests(b, "/style.css", 20), 20);
}

/// The version of the test: SIGUSR1 (after a rename) while `ab` loads the server;
/// the log lines, old file and new, number the requests. Skipped without `ab`.
#[test]
fn sigusr1_under_ab_load_loses_no_line() {
    if !have("ab") {
        eprintln!("note: ab (apache2-utils) not installed, skipped");
        return;
    }
    const N: usize = 20_000;
    let server = Server::start_with(&[]);
    let url = server.url("/style.css");
    let ab = std::thread::spawn(move || {
        std::process::Command::new("timeout")
            .args([
                "60",
                "ab",
                "-q",
                "-k",
                "-c",
                "8",
                "-n",
                &N.to_string(),
                &url,
            ])
            .output()
            .expect("run ab")
    });
    // Rotate once the load is under way (64 KiB of lines), or whenever ab is done.
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline
        && !ab.is_finished()
        && fs::metadata(&server.log).map(|m| m.len()).unwrap_or(0) < 64 * 1024
    {
        std::thread::sleep(Duration::from_millis(1));
    }
    let rotated = server.log.with_extension("log.1");
    fs::rename(&server.log, &rotated).unwrap();
    server.signal(libc::SIGUSR1);
    let out = ab.join().unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "ab failed: {report}");
    assert!(
        report.contains(&format!("Complete requests:      {N}")),
        "{report}"
    );
    assert!(report.contains("Failed requests:        0"), "{report}");
    let count = || {
        [&rotated, &server.log]
            .iter()
            .map(|p| fs::read_to_string(p).unwrap_or_default().lines().count())
            .sum::<usize>()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while count() < N && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(count(), N, "log lines (both files) vs requests");
    eprintln!(
        "lines before/after the reopen: {} / {}",
        fs::read_to_string(&rotated).unwrap().lines().count(),
        fs::read_to_string(&server.log)
            .unwrap_or_default()
            .lines()
            .count()
    );
}
