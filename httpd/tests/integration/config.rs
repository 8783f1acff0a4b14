//! The config file: serving from it, flags overriding it, `--check-config`, and the error
//! messages (file, line, problem) of a file the server refuses to start with.

use crate::common::*;
use std::ffi::OsString;
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn httpd(args: &[&std::ffi::OsStr]) -> Output {
    Command::new("timeout")
        .arg("20")
        .arg(env!("CARGO_BIN_EXE_httpd"))
        .args(args)
        .args(is_root().then_some("--allow-root"))
        .output()
        .expect("run httpd")
}

fn write_conf(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("httpd.conf");
    fs::write(&path, text).unwrap();
    path
}

/// A server started from a config file alone (plus `extra` flags).
fn start_from_conf(conf: impl Fn(&Path, &Path) -> String, extra: &[&str]) -> Server {
    let tmp = TempDir::new("conf");
    let root = make_site(&tmp.0);
    let log = tmp.0.join("access.log");
    let path = write_conf(&tmp.0, &conf(&root, &log));
    let mut args: Vec<OsString> = vec!["--config".into(), path.into_os_string()];
    args.extend(extra.iter().map(OsString::from));
    Server::spawn(&args, tmp, root, log)
}

#[test]
fn config_file_with_two_listen_addresses_serves_on_both() {
    let server = start_from_conf(
        |root, log| {
            format!(
                "# test\nlisten 127.0.0.1:0;\nlisten 127.0.0.1:0;  # a second\nroot {};\n\
                 threads 2;\naccess_log {};\nkeepalive_timeout 5s;\n",
                root.display(),
                log.display()
            )
        },
        &[],
    );
    let second = parse_listening(&server.next_stdout_line().expect("a second listen line"));
    assert_ne!(server.addr, second);
    for addr in [server.addr, second] {
        let body = curl(&[&format!("http://{addr}/style.css")]).stdout;
        assert_eq!(body, STYLE.as_bytes());
    }
    assert_eq!(server.log_lines(2).len(), 2);
}

#[test]
fn flags_override_the_config_file() {
    // The file serves an empty directory without a log; the flags point at the site and a log.
    let other = TempDir::new("other");
    let tmp = TempDir::new("conf");
    let root = make_site(&tmp.0);
    let log = tmp.0.join("access.log");
    let path = write_conf(
        &tmp.0,
        &format!(
            "listen 127.0.0.1:1;\nroot {};\naccess_log off;\nthreads 1;\n",
            other.0.display()
        ),
    );
    let args: Vec<OsString> = [
        "--config".into(),
        path.into_os_string(),
        "--listen".into(),
        "127.0.0.1:0".into(),
        "--root".into(),
        root.clone().into_os_string(),
        "--access-log".into(),
        log.clone().into_os_string(),
    ]
    .into();
    let server = Server::spawn(&args, tmp, root, log);
    let body = curl(&[&server.url("/style.css")]).stdout;
    assert_eq!(body, STYLE.as_bytes());
    assert_eq!(server.log_lines(1).len(), 1);
}

#[test]
fn check_config_accepts_a_good_file_and_the_example() {
    let tmp = TempDir::new("check");
    let root = make_site(&tmp.0);
    let path = write_conf(
        &tmp.0,
        &format!(
            "listen 127.0.0.1:0;\nroot {};\naccess_log a.log;\n",
            root.display()
        ),
    );
    let out = httpd(&[
        "--config".as_ref(),
        path.as_ref(),
        "--check-config".as_ref(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("configuration OK"));

    // The example names directories of a real installation: check its syntax by pointing
    // those at ours with sed-like replacement.
    let example = fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/httpd.conf.example"))
        .unwrap()
        .replace("/var/www/html", &root.display().to_string())
        .replace("/var/log/httpd", &tmp.0.display().to_string());
    let path = write_conf(&tmp.0, &example);
    let out = httpd(&["--config".as_ref(), path.as_ref(), "-t".as_ref()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[test]
fn config_errors_name_the_file_and_line_and_stop_the_server() {
    let tmp = TempDir::new("bad");
    let root = make_site(&tmp.0);
    let cases = [
        (
            "listen 127.0.0.1:0;\n\nbogus 1;\n",
            ":3: unknown directive \"bogus\"",
        ),
        ("listen 127.0.0.1:0\n", ":1: missing \";\""),
        ("threads many;\n", ":1: \"many\" is not a number"),
        (
            "keepalive_timeout 3 4;\n",
            ":1: \"keepalive_timeout\" takes one value, got 2",
        ),
        ("send_timeout 5weeks;\n", ":1: \"5weeks\" is not a duration"),
        (
            "listen 127.0.0.1:0;\nroot /no/such/dir;\n",
            ":2: root /no/such/dir: not a directory",
        ),
        (
            "user no-such-user-httpd;\n",
            ":1: user \"no-such-user-httpd\" does not exist",
        ),
        (
            "threads 1;\nthreads 2;\n",
            ":2: \"threads\" directive is duplicate",
        ),
    ];
    for (text, want) in cases {
        let path = write_conf(&tmp.0, text);
        let want = format!("{}{want}", path.display());
        for check in [true, false] {
            let mut args: Vec<&std::ffi::OsStr> = vec!["--config".as_ref(), path.as_ref()];
            if check {
                args.push("--check-config".as_ref());
            } else {
                args.extend(["--root".as_ref(), root.as_os_str()]);
            }
            let out = httpd(&args);
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{text:?}: {err}");
            assert!(
                err.contains(&want),
                "{text:?}: stderr {err:?} lacks {want:?}"
            );
            assert!(
                out.stdout.is_empty(),
                "{text:?}: the server printed {:?}",
                out.stdout
            );
        }
    }
    let out = httpd(&["--config".as_ref(), tmp.0.join("missing.conf").as_ref()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.conf: No such file"));
}

/// The words `ss` shows for the server's side of `client`'s connection to `server`
/// (the congestion control algorithm among them).
fn server_side_tcp_info(server: &Server, client: &std::net::TcpStream) -> Vec<String> {
    let filter = format!(
        "( sport = :{} and dport = :{} )",
        server.addr.port(),
        client.local_addr().unwrap().port()
    );
    let out = Command::new("ss")
        .args(["-H", "-t", "-i", "-n", "state", "established", &filter])
        .output()
        .expect("run ss (iproute2)");
    assert!(out.status.success(), "ss: {out:?}");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// What `ss` shows of a connection served by a server started with `args`.
fn served_congestion(args: &[&str]) -> Vec<String> {
    connection_tcp_info(&Server::start_with(args))
}

/// What `ss` shows of the server's side of a new connection that got a response.
fn connection_tcp_info(server: &Server) -> Vec<String> {
    use std::io::{Read, Write};
    let mut client = std::net::TcpStream::connect(server.addr).unwrap();
    client
        .write_all(b"GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut first = [0u8; 12];
    client.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    server_side_tcp_info(server, &client)
}

#[test]
fn tcp_congestion_reaches_the_connections_the_listener_accepts() {
    let system = fs::read_to_string("/proc/sys/net/ipv4/tcp_congestion_control").unwrap();
    let system = system.trim();
    // By default the system's choice, as nginx's connections get.
    let words = served_congestion(&[]);
    assert!(
        words.iter().any(|w| w == system),
        "{system} not in {words:?}"
    );
    // `auto` on a loopback listener: no pacing algorithm (reno instead of bbr).
    let auto = if system.starts_with("bbr") {
        "reno"
    } else {
        system
    };
    let words = served_congestion(&["--tcp-congestion", "auto"]);
    assert!(words.iter().any(|w| w == auto), "{auto} not in {words:?}");
    if auto != system {
        assert!(!words.iter().any(|w| w == system), "{system} in {words:?}");
    }
    let words = served_congestion(&["--tcp-congestion", "reno"]);
    assert!(words.iter().any(|w| w == "reno"), "reno not in {words:?}");
}

/// A server run from a config file (one thread on 127.0.0.1, its site, logs beside the
/// file, and some `extra` directives) that a test rewrites and reloads.
struct Reloadable {
    server: Server,
    conf: std::path::PathBuf,
    /// The file's text without the extra directives.
    base: String,
    error_log: std::path::PathBuf,
}

impl Reloadable {
    fn start(tag: &str, extra: &str) -> Reloadable {
        let tmp = TempDir::new(tag);
        let root = make_site(&tmp.0);
        let log = tmp.0.join("access.log");
        let error_log = tmp.0.join("error.log");
        let base = format!(
            "listen 127.0.0.1:0;\nthreads 1;\nroot {};\naccess_log {};\nerror_log {};\n",
            root.display(),
            log.display(),
            error_log.display()
        );
        let conf = write_conf(&tmp.0, &format!("{base}{extra}"));
        let args: Vec<OsString> = vec!["--config".into(), conf.clone().into_os_string()];
        let server = Server::spawn(&args, tmp, root, log);
        Reloadable {
            server,
            conf,
            base,
            error_log,
        }
    }

    /// Rewrites the file with `extra` in place of the old directives, sends SIGHUP and
    /// waits for the reload; returns the error log.
    fn reload(&self, extra: &str) -> String {
        fs::write(&self.conf, format!("{}{extra}", self.base)).unwrap();
        self.server.signal(libc::SIGHUP);
        assert!(
            crate::signals::wait_for_text(&self.error_log, "configuration reloaded"),
            "{:?}",
            fs::read_to_string(&self.error_log)
        );
        fs::read_to_string(&self.error_log).unwrap()
    }
}

#[test]
fn a_reload_keeps_the_running_tcp_congestion() {
    let r = Reloadable::start("ccreload", "tcp_congestion reno;\n");
    let words = connection_tcp_info(&r.server);
    assert!(words.iter().any(|w| w == "reno"), "reno not in {words:?}");
    let errors = r.reload("tcp_congestion default;\n");
    assert!(
        errors.contains("a tcp_congestion change needs a restart; kept the running one"),
        "{errors}"
    );
    let words = connection_tcp_info(&r.server);
    assert!(words.iter().any(|w| w == "reno"), "reno not in {words:?}");
}

#[test]
fn a_reload_turns_defer_accept_off_on_the_running_listener() {
    reload_defer_accept_off(0);
}

#[test]
fn a_reload_turns_defer_accept_off_on_the_listener_the_workers_share() {
    reload_defer_accept_off(1);
}

/// Starts with `defer_accept on` and one connection slot, reloads with it off, and checks
/// what a silent connection does to the slot before and after.
fn reload_defer_accept_off(worker_processes: usize) {
    let extra = |defer: &str| {
        format!("max_connections 1;\nworker_processes {worker_processes};\ndefer_accept {defer};\n")
    };
    let r = Reloadable::start("deferreload", &extra("on"));
    let request = b"GET /style.css HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
    // On: a silent connection is held by the kernel and leaves the one slot free.
    let silent = std::net::TcpStream::connect(r.server.addr).unwrap();
    assert_eq!(one_response(&r.server.raw(request), false).status, 200);
    drop(silent);
    r.reload(&extra("off"));
    // Off, on the same socket: the silent connection is accepted and fills the slot. The
    // first one's close may not have been noticed yet; retry until it has.
    let mut status = 0;
    wait_until(|| {
        let _silent = std::net::TcpStream::connect(r.server.addr).unwrap();
        status = one_response(&r.server.raw(request), false).status;
        status == 503
    });
    assert_eq!(status, 503);
}

#[test]
fn a_congestion_control_the_kernel_refuses_stops_the_start_up() {
    let tmp = TempDir::new("cc");
    let root = make_site(&tmp.0);
    let out = httpd(&[
        "--listen".as_ref(),
        "127.0.0.1:0".as_ref(),
        "--root".as_ref(),
        root.as_os_str(),
        "--access-log".as_ref(),
        "off".as_ref(),
        "--tcp-congestion".as_ref(),
        "no_such_cc".as_ref(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("listen on 127.0.0.1:0: tcp_congestion no_such_cc: not available"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "{:?}", out.stdout);
    let out = httpd(&[
        "--root".as_ref(),
        root.as_os_str(),
        "--access-log".as_ref(),
        "off".as_ref(),
        "--tcp-congestion".as_ref(),
        "no_such_cc".as_ref(),
        "--check-config".as_ref(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("tcp_congestion no_such_cc: not available"),
        "{err}"
    );
    let out = httpd(&["--tcp-congestion".as_ref(), "Bad!".as_ref()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("tcp_congestion \"Bad!\": expected"), "{err}");
}
