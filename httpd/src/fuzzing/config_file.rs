//! The body of the `http_config` target: httpd's config file parser.

use crate::config::{self, LogDest, Settings, Threads};
use crate::net::congestion::Congestion;
use crate::process::supervisor;
use std::fmt::Write;
use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

/// The file name errors carry.
const FILE: &str = "fuzz.conf";

/// A resolver that never asks the network: `localhost:PORT` is 127.0.0.1, `nowhere:PORT`
/// has no address, an address is itself, any other name does not exist.
fn offline(host_port: &str) -> io::Result<Option<SocketAddr>> {
    if let Ok(a) = host_port.parse() {
        return Ok(Some(a));
    }
    let (host, port) = host_port
        .rsplit_once(':')
        .ok_or_else(|| io::Error::other("no port"))?;
    let port: u16 = port.parse().map_err(|_| io::Error::other("bad port"))?;
    match host {
        "localhost" => Ok(Some(SocketAddr::from(([127, 0, 0, 1], port)))),
        "nowhere" => Ok(None),
        _ => Err(io::Error::new(io::ErrorKind::NotFound, "no such host")),
    }
}

/// The directory relative paths are taken from, made once: it holds `www/` and `logs/`, and
/// the logs `--check-config` opens (whatever the file names) go there.
fn base() -> &'static Path {
    static BASE: OnceLock<PathBuf> = OnceLock::new();
    BASE.get_or_init(|| {
        let dir = std::env::temp_dir().join("httpd-fuzz-config");
        for sub in ["www", "logs"] {
            std::fs::create_dir_all(dir.join(sub)).expect("the fuzz base directory");
        }
        dir
    })
}

fn ms(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

fn path(p: &Path) -> String {
    p.to_str()
        .expect("a path from a config is UTF-8")
        .to_owned()
}

/// `s` written out as a config file, one directive per line (every field: a new one fails to
/// compile here until it is printed).
fn print(s: &Settings) -> String {
    let Settings {
        listen,
        root,
        threads,
        max_connections,
        keepalive_requests,
        header_timeout,
        keepalive_timeout,
        send_timeout,
        shutdown_timeout,
        access_log,
        error_log,
        user,
        group,
        chroot,
        log_max_size,
        log_keep,
        worker_processes,
        allow_root,
        tcp_congestion,
        defer_accept,
        proxy_pass,
        proxy_connect_timeout,
        proxy_read_timeout,
        proxy_set_host,
        proxy_max_body_size,
        proxy_keepalive,
        proxy_queue_wait,
    } = s;
    let mut lines: Vec<(&str, String)> = Vec::new();
    lines.extend(listen.iter().map(|a| ("listen", a.to_string())));
    let on = |b: bool| if b { "on" } else { "off" }.to_owned();
    let log = |d: &LogDest| match d {
        LogDest::Off => "off".to_owned(),
        LogDest::Stderr => "stderr".to_owned(),
        LogDest::File(p) => path(p),
    };
    let opt = |lines: &mut Vec<(&'static str, String)>, key, v: Option<String>| {
        lines.extend(v.map(|v| (key, v)));
    };
    opt(&mut lines, "root", root.as_deref().map(path));
    opt(
        &mut lines,
        "threads",
        threads.map(|t| match t {
            Threads::Auto => "auto".to_owned(),
            Threads::Count(n) => n.to_string(),
        }),
    );
    opt(
        &mut lines,
        "max_connections",
        max_connections.map(|n| n.to_string()),
    );
    opt(
        &mut lines,
        "keepalive_requests",
        keepalive_requests.map(|n| n.to_string()),
    );
    opt(&mut lines, "header_timeout", header_timeout.map(ms));
    opt(&mut lines, "keepalive_timeout", keepalive_timeout.map(ms));
    opt(&mut lines, "send_timeout", send_timeout.map(ms));
    opt(&mut lines, "shutdown_timeout", shutdown_timeout.map(ms));
    opt(&mut lines, "access_log", access_log.as_ref().map(log));
    opt(&mut lines, "error_log", error_log.as_ref().map(log));
    opt(&mut lines, "user", user.clone());
    opt(&mut lines, "group", group.clone());
    opt(&mut lines, "chroot", chroot.as_deref().map(path));
    opt(
        &mut lines,
        "log_max_size",
        log_max_size.map(|n| n.to_string()),
    );
    opt(&mut lines, "log_keep", log_keep.map(|n| n.to_string()));
    opt(
        &mut lines,
        "worker_processes",
        worker_processes.map(|n| n.to_string()),
    );
    opt(&mut lines, "allow_root", allow_root.map(on));
    opt(
        &mut lines,
        "tcp_congestion",
        tcp_congestion.as_ref().map(|c| match c {
            Congestion::Auto => "auto".to_owned(),
            Congestion::Default => "default".to_owned(),
            Congestion::Named(n) => n.clone(),
        }),
    );
    opt(&mut lines, "defer_accept", defer_accept.map(on));
    for r in proxy_pass {
        lines.push(("proxy_pass", format!("{} http://{}", r.prefix, r.authority)));
    }
    opt(
        &mut lines,
        "proxy_connect_timeout",
        proxy_connect_timeout.map(ms),
    );
    opt(&mut lines, "proxy_read_timeout", proxy_read_timeout.map(ms));
    opt(&mut lines, "proxy_set_host", proxy_set_host.clone());
    opt(
        &mut lines,
        "proxy_max_body_size",
        proxy_max_body_size.map(|n| n.to_string()),
    );
    opt(
        &mut lines,
        "proxy_keepalive",
        proxy_keepalive.map(|n| n.to_string()),
    );
    opt(&mut lines, "proxy_queue_wait", proxy_queue_wait.map(ms));
    let mut out = String::new();
    for (key, value) in lines {
        let _ = writeln!(out, "{key} {value};");
    }
    out
}

/// httpd's config file parser on arbitrary text (relative paths from a scratch directory,
/// host names resolved offline):
/// - an error names the file and a line of the input; the lines before it parse, and those
///   up to it fail with the same error;
/// - a file that parses, written out again, parses to the same settings; laid over the
///   defaults (as the command line's flags are) or under nothing, it is unchanged;
/// - its options pass through `--check-config`'s checks (the root opened, the logs opened
///   for appending, moved into the scratch directory, the user and group looked up, the
///   paths checked against the chroot) to an answer, without panic.
pub fn config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (file, base) = (Path::new(FILE), base());
    let parse = |text: &str| config::parse_with(text, file, base, offline);
    match parse(text) {
        Err(e) => {
            let lines: Vec<&str> = text.lines().collect();
            assert!(
                (1..=lines.len()).contains(&e.line),
                "line {} of {}: {e}",
                e.line,
                lines.len()
            );
            assert_eq!(e.file, file);
            assert!(!e.message.is_empty());
            assert!(e.to_string().starts_with(&format!("{FILE}:{}: ", e.line)));
            let before = lines[..e.line - 1].join("\n");
            assert!(parse(&before).is_ok(), "{e}, but the lines before fail");
            let through = lines[..e.line].join("\n");
            assert_eq!(parse(&through), Err(e));
        }
        Ok(settings) => {
            let printed = print(&settings);
            assert_eq!(
                parse(&printed).as_ref(),
                Ok(&settings),
                "written out as {printed:?}"
            );
            assert_eq!(Settings::default().overlay(settings.clone()), settings);
            assert_eq!(settings.clone().overlay(Settings::default()), settings);
            let mut opts = settings.into_options();
            let logs = base.join("logs");
            opts.access_log = opts.access_log.map(|_| logs.join("access.log"));
            opts.error_log = opts.error_log.map(|_| logs.join("error.log"));
            let _ = supervisor::check(&opts);
        }
    }
}
