//! Dropping root: the server's uid, gid, supplementary groups, capabilities and root
//! directory as `/proc` shows them for every thread, after start-up with `user`, `group` and
//! `chroot`. Needs root (skipped with a note otherwise); the refusals do not.

use crate::common::*;
use std::ffi::OsString;
use std::fs;
use std::process::Command;
use std::time::{Duration, Instant};

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
fn a_cached_file_made_unreadable_is_refused_at_the_next_request() {
    if !is_root() {
        eprintln!("note: not root, privilege drop not tested");
        return;
    }
    let tmp = TempDir::new("cache-perms");
    let root = make_site(&tmp.0);
    let log = tmp.0.join("access.log");
    let conf = tmp.0.join("httpd.conf");
    fs::write(
        &conf,
        format!(
            "listen 127.0.0.1:0;\nthreads 1;\nroot {};\naccess_log {};\n\
             user nobody;\ngroup nogroup;\n",
            root.display(),
            log.display(),
        ),
    )
    .unwrap();
    let file = root.join("style.css");
    let args: Vec<OsString> = vec!["--config".into(), conf.into_os_string()];
    let server = Server::spawn(&args, tmp, root.clone(), log);
    let url = server.url("/style.css");
    let status = || curl_response(&[&url], false).status;
    // One worker: the second request is answered from its file cache.
    assert_eq!(status(), 200);
    assert_eq!(status(), 200);
    let mode = |m: u32| {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&file, fs::Permissions::from_mode(m)).unwrap();
    };
    mode(0o000);
    assert_eq!(
        status(),
        403,
        "the kept descriptor must not serve a file nobody may read"
    );
    mode(0o644);
    assert_eq!(status(), 200);
    // Owned by root and readable by its owner only: nobody may not read it.
    mode(0o600);
    assert_eq!(status(), 403);
    // Given to nobody, it is readable again.
    std::os::unix::fs::chown(&file, Some(65534), None).unwrap();
    assert_eq!(status(), 200);
    // Replaced by rename: the new bytes at once.
    let new = root.join("style.css.new");
    fs::write(&new, "body { color: red }").unwrap();
    fs::rename(&new, &file).unwrap();
    let r = curl_response(&[&url], false);
    assert_eq!(
        (r.status, r.body.as_slice()),
        (200, &b"body { color: red }"[..])
    );
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
        .args([
            "--listen",
            "127.0.0.1:0",
            "--access-log",
            "off",
            "--allow-root",
        ])
        .arg("--root")
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

/// Under a master, the workers drop privileges and chroot; the master stays root outside,
/// so SIGHUP works: new workers start on the new root.
#[test]
fn worker_processes_drop_privileges_and_the_master_reloads_them() {
    if !is_root() {
        eprintln!("note: not root, privilege drop not tested");
        return;
    }
    let tmp = TempDir::new("mjail");
    let root = make_site(&tmp.0);
    let new_root = tmp.0.join("new-root");
    fs::create_dir_all(&new_root).unwrap();
    fs::write(new_root.join("style.css"), "new\n").unwrap();
    let log = tmp.0.join("access.log");
    let error_log = tmp.0.join("error.log");
    let conf = tmp.0.join("httpd.conf");
    let (dir, log_path) = (tmp.0.clone(), log.clone());
    let text = move |root: &std::path::Path| {
        format!(
            "listen 127.0.0.1:0;\nworker_processes 2;\nthreads 1;\nroot {};\naccess_log {};\n\
             error_log {};\nuser nobody;\ngroup nogroup;\nchroot {};\n",
            root.display(),
            log_path.display(),
            error_log.display(),
            dir.display()
        )
    };
    fs::write(&conf, text(&root)).unwrap();
    let jail = fs::canonicalize(&tmp.0).unwrap();
    let args: Vec<OsString> = vec!["--config".into(), conf.clone().into_os_string()];
    let server = Server::spawn(&args, tmp, root, log);
    let master = server.pid();
    let children = || -> Vec<i32> {
        fs::read_to_string(format!("/proc/{master}/task/{master}/children"))
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    // Each worker has dropped once its uid is nobody's.
    let dropped = |pid: i32| {
        fs::read_to_string(format!("/proc/{pid}/status"))
            .is_ok_and(|s| status_field(&s, "Uid:") == "65534 65534 65534 65534")
    };
    while Instant::now() < deadline
        && !(children().len() == 2 && children().iter().all(|&p| dropped(p)))
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    let workers = children();
    assert_eq!(workers.len(), 2);
    for pid in &workers {
        let status = fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        assert_eq!(status_field(&status, "Uid:"), "65534 65534 65534 65534");
        assert_eq!(status_field(&status, "Gid:"), "65534 65534 65534 65534");
        assert_eq!(status_field(&status, "Groups:"), "");
        assert_eq!(status_field(&status, "CapEff:"), "0000000000000000");
        assert_eq!(fs::read_link(format!("/proc/{pid}/root")).unwrap(), jail);
    }
    let status = fs::read_to_string(format!("/proc/{master}/status")).unwrap();
    assert_eq!(
        status_field(&status, "Uid:"),
        "0 0 0 0",
        "the master stays root"
    );
    assert_eq!(
        fs::read_link(format!("/proc/{master}/root")).unwrap(),
        std::path::PathBuf::from("/")
    );
    assert_eq!(curl(&[&server.url("/style.css")]).stdout, STYLE.as_bytes());

    fs::write(&conf, text(&new_root)).unwrap();
    server.signal(libc::SIGHUP);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut in_a_row = 0;
    while Instant::now() < deadline && in_a_row < 5 {
        let body = curl(&[&server.url("/style.css")]).stdout;
        in_a_row = if body == b"new\n" { in_a_row + 1 } else { 0 };
    }
    assert_eq!(in_a_row, 5, "the new root was not served after SIGHUP");
}

/// Started as root without `user`, or with `user root`, the server refuses to serve and
/// says how to proceed; `--check-config` says the same, and so does a master with worker
/// processes. `allow_root on;` (or `--allow-root`) is the explicit opt-in.
#[test]
fn serving_as_root_needs_an_explicit_opt_in() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let tmp = TempDir::new("asroot");
    let root = make_site(&tmp.0);
    let refused: [&[&str]; 4] = [
        &[],
        &["--user", "root"],
        &["--check-config"],
        &["--workers", "2"],
    ];
    for extra in refused {
        let out = Command::new("timeout")
            .arg("20")
            .arg(env!("CARGO_BIN_EXE_httpd"))
            .args(["--listen", "127.0.0.1:0", "--access-log", "off", "--root"])
            .arg(&root)
            .args(extra)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {err}");
        assert!(
            err.contains("refusing to serve as root") && err.contains("--allow-root"),
            "{extra:?}: {err}"
        );
        assert!(
            out.stdout.is_empty(),
            "{extra:?}: it started: {:?}",
            out.stdout
        );
    }
    // The opt-in, from the config file.
    let conf = tmp.0.join("root.conf");
    fs::write(
        &conf,
        format!(
            "listen 127.0.0.1:0;\nroot {};\naccess_log off;\nallow_root on;\n",
            root.display()
        ),
    )
    .unwrap();
    let out = Command::new("timeout")
        .arg("20")
        .arg(env!("CARGO_BIN_EXE_httpd"))
        .arg("--config")
        .arg(&conf)
        .arg("--check-config")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let log = tmp.0.join("unused.log");
    let args: Vec<OsString> = vec!["--config".into(), conf.into_os_string()];
    let server = Server::spawn(&args, tmp, root, log);
    let status = fs::read_to_string(format!("/proc/{}/status", server.pid())).unwrap();
    assert_eq!(status_field(&status, "Uid:"), "0 0 0 0");
    let out = curl(&["-o", "/dev/null", "-w", "%{http_code}", &server.url("/")]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
}
