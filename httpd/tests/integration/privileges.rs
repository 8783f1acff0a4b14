//! Dropping root: the server's uid, gid, supplementary groups, capabilities and root
//! directory as `/proc` shows them for every thread, after start-up with `user`, `group` and
//! `chroot`. Needs root (skipped with a note otherwise); the refusals do not.

use crate::common::*;
use std::ffi::OsString;
use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};

fn is_root() -> bool {
    // SAFETY: no arguments, cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn status_field(status: &str, name: &str) -> String {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| panic!("no {name} in {status}"))
}

#[test]
fn drops_to_user_group_and_chroot_for_every_thread() {
    if !is_root() {
        eprintln!("note: not root, privilege drop not tested");
        return;
    }
    let tmp = TempDir::new("jail");
    let root = make_site(&tmp.0);
    let log = tmp.0.join("access.log");
    let error_log = tmp.0.join("error.log");
    let conf = tmp.0.join("httpd.conf");
    fs::write(
        &conf,
        format!(
            "listen 127.0.0.1:0;\nthreads 2;\nroot {};\naccess_log {};\nerror_log {};\n\
             user nobody;\ngroup nogroup;\nchroot {};\n",
            root.display(),
            log.display(),
            error_log.display(),
            tmp.0.display()
        ),
    )
    .unwrap();
    let jail = fs::canonicalize(&tmp.0).unwrap();
    let args: Vec<OsString> = vec!["--config".into(), conf.into_os_string()];
    let server = Server::spawn(&args, tmp, root, log);
    assert_eq!(curl(&[&server.url("/style.css")]).stdout, STYLE.as_bytes());
    assert_eq!(server.log_lines(1).len(), 1);

    let nobody = "65534 65534 65534 65534";
    let tasks: Vec<_> = fs::read_dir(format!("/proc/{}/task", server.pid()))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(tasks.len() >= 3, "main, two workers (and the reporter)");
    for task in &tasks {
        let status = fs::read_to_string(task.join("status")).unwrap();
        assert_eq!(status_field(&status, "Uid:"), nobody, "{task:?}");
        assert_eq!(status_field(&status, "Gid:"), nobody, "{task:?}");
        assert_eq!(status_field(&status, "Groups:"), "", "{task:?}");
        // No capability left: setuid(0) is impossible.
        assert_eq!(status_field(&status, "CapEff:"), "0000000000000000");
        assert_eq!(status_field(&status, "CapPrm:"), "0000000000000000");
    }
    let proc_root = fs::read_link(format!("/proc/{}/root", server.pid())).unwrap();
    assert_eq!(proc_root, jail);

    // Chrooted, the server cannot read its config file again: SIGHUP is refused, it serves on.
    server.signal(libc::SIGHUP);
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline
        && !fs::read_to_string(&error_log)
            .unwrap_or_default()
            .contains("reload refused: httpd runs chrooted")
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let text = fs::read_to_string(&error_log).unwrap();
    assert!(
        text.contains("reload refused: httpd runs chrooted"),
        "{text}"
    );
    assert!(text.contains("running as uid 65534 gid 65534"), "{text}");
    assert_eq!(curl(&[&server.url("/style.css")]).stdout, STYLE.as_bytes());
}

#[test]
fn a_root_outside_the_chroot_is_refused() {
    let tmp = TempDir::new("jail2");
    let root = make_site(&tmp.0);
    let jail = tmp.0.join("jail");
    fs::create_dir_all(&jail).unwrap();
    let out = Command::new("timeout")
        .arg("20")
        .arg(env!("CARGO_BIN_EXE_httpd"))
        .args(["--listen", "127.0.0.1:0", "--access-log", "off", "--root"])
        .arg(&root)
        .arg("--chroot")
        .arg(&jail)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("is outside the chroot"), "{err}");
    assert!(out.stdout.is_empty(), "it started: {:?}", out.stdout);
}
