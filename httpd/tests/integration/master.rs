//! The master process (`--workers N`): it forks the workers and serves nothing itself, a
//! killed worker is replaced while the server keeps answering, SIGHUP replaces the workers
//! with ones on the new root while a download in flight finishes, SIGQUIT lets a download
//! finish and then everything exits, and no worker outlives the master.

use crate::common::*;
use crate::signals::{huge_content, wait_for_text, SlowDownload, HUGE_LEN};
use std::ffi::OsString;
use std::fs;
use std::time::{Duration, Instant};

/// The master's children as `/proc` lists them.
fn children(pid: i32) -> Vec<i32> {
    fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
}

/// Polls (10 s at most) until `cond` holds.
fn wait_until(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn gone(pid: i32) -> bool {
    !std::path::Path::new(&format!("/proc/{pid}")).exists()
        || fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| s.contains(") Z "))
}

#[test]
fn master_forks_workers_serves_nothing_and_replaces_a_killed_one() {
    let server = Server::start_with(&["--workers", "2", "--threads", "1"]);
    let master = server.pid();
    assert!(wait_until(|| children(master).len() == 2), "two workers");
    let status = fs::read_to_string(format!("/proc/{master}/status")).unwrap();
    assert!(
        status.contains("Threads:\t1\n"),
        "the master has no worker threads"
    );
    assert_eq!(curl(&[&server.url("/style.css")]).stdout, STYLE.as_bytes());

    let workers = children(master);
    // SAFETY: killing a process of our own test server.
    unsafe { libc::kill(workers[0], libc::SIGKILL) };
    assert!(
        wait_until(|| {
            let now = children(master);
            now.len() == 2 && !now.contains(&workers[0])
        }),
        "the killed worker was not replaced: {:?}",
        children(master)
    );
    for _ in 0..20 {
        assert_eq!(curl(&[&server.url("/style.css")]).stdout, STYLE.as_bytes());
    }
    let all = children(master);
    assert!(server.stop().success());
    for pid in all {
        assert!(wait_until(|| gone(pid)), "worker {pid} outlived the master");
    }
}

#[test]
fn master_sigquit_lets_a_download_finish_then_exits() {
    let mut server = Server::start_with(&["--workers", "2", "--threads", "1"]);
    fs::write(server.root.join("huge.bin"), huge_content()).unwrap();
    let master = server.pid();
    assert!(wait_until(|| children(master).len() == 2));
    let download = SlowDownload::start(server.addr, "/huge.bin");
    server.signal(libc::SIGQUIT);
    let body = download.finish();
    assert_eq!(body.len(), HUGE_LEN);
    assert!(body == huge_content());
    let status = server
        .wait_exit(Duration::from_secs(10))
        .expect("the master exits after its workers");
    assert!(status.success(), "{status:?}");
}

#[test]
fn master_sighup_starts_workers_on_the_new_root_while_a_download_finishes() {
    let site = TempDir::new("msite");
    let old_root = make_site(&site.0);
    fs::write(old_root.join("huge.bin"), huge_content()).unwrap();
    let new_root = site.0.join("new-root");
    fs::create_dir_all(&new_root).unwrap();
    fs::write(new_root.join("style.css"), "new\n").unwrap();
    let error_log = site.0.join("error.log");
    let conf = site.0.join("httpd.conf");
    let text = |root: &std::path::Path| {
        format!(
            "listen 127.0.0.1:0;\nworker_processes 2;\nthreads 1;\nroot {};\nerror_log {};\n",
            root.display(),
            error_log.display()
        )
    };
    fs::write(&conf, text(&old_root)).unwrap();
    let tmp = TempDir::new("mhup");
    let log = tmp.0.join("access.log");
    let args: Vec<OsString> = vec![
        "--config".into(),
        conf.clone().into_os_string(),
        "--access-log".into(),
        log.clone().into_os_string(),
    ];
    let server = Server::spawn(&args, tmp, old_root.clone(), log);
    let master = server.pid();
    assert!(wait_until(|| children(master).len() == 2));
    let old_workers = children(master);

    let download = SlowDownload::start(server.addr, "/huge.bin");
    // A bad file first: refused, the old workers keep serving.
    fs::write(&conf, "worker_processes 2;\nbogus 1;\n").unwrap();
    server.signal(libc::SIGHUP);
    assert!(wait_for_text(&error_log, "reload refused"));
    assert_eq!(curl(&[&server.url("/style.css")]).stdout, STYLE.as_bytes());
    assert_eq!(children(master), old_workers);

    fs::write(&conf, text(&new_root)).unwrap();
    server.signal(libc::SIGHUP);
    assert!(wait_for_text(&error_log, "configuration reloaded"));
    // Until the old workers have seen their SIGQUIT one of them may still take a new
    // connection: wait for the new root on five requests in a row.
    let mut in_a_row = 0;
    assert!(wait_until(|| {
        let body = curl(&[&server.url("/style.css")]).stdout;
        in_a_row = if body == b"new\n" { in_a_row + 1 } else { 0 };
        in_a_row >= 5
    }));
    let body = download.finish();
    assert!(
        body == huge_content(),
        "the download in flight was cut or corrupted"
    );
    // The old workers leave once done; two new ones serve.
    assert!(wait_until(|| {
        let now = children(master);
        now.len() == 2 && old_workers.iter().all(|p| !now.contains(p))
    }));
}
