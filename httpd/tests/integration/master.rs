//! The master process (`--workers N`): it forks the workers and serves nothing itself, a
//! killed worker is replaced while the server keeps answering, SIGHUP replaces the workers
//! with ones on the new root while a download in flight finishes, SIGQUIT lets a download
//! finish and then everything exits, and no worker outlives the master.

use crate::common::*;
use crate::signals::{
    huge_content, old_and_new_roots, wait_for_count, wait_for_text, wait_refused, SlowDownload,
    HUGE_LEN,
};
use std::fs;
use std::time::Duration;

/// The master's children as `/proc` lists them.
fn children(pid: i32) -> Vec<i32> {
    fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|p| p.parse().ok())
        .collect()
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
    let (old_root, new_root) = old_and_new_roots(&site);
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
    let server = Server::from_config(&conf, &old_root);
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

/// SIGHUP may change everything the master runs: the number of worker processes and the
/// `listen` list (the master binds the new address, announces it, and closes a dropped one).
#[test]
fn master_sighup_changes_worker_processes_and_listen_addresses() {
    let site = TempDir::new("msite2");
    let root = make_site(&site.0);
    let error_log = site.0.join("error.log");
    let conf = site.0.join("httpd.conf");
    let text = |listen: &str, processes: usize| {
        format!(
            "{listen}worker_processes {processes};\nthreads 1;\nroot {};\nerror_log {};\n",
            root.display(),
            error_log.display()
        )
    };
    fs::write(&conf, text("listen 127.0.0.1:0;\n", 2)).unwrap();
    let server = Server::from_config(&conf, &root);
    let master = server.pid();
    let a = server.addr;
    assert!(wait_until(|| children(master).len() == 2));

    fs::write(&conf, text("listen 127.0.0.1:0;\nlisten 127.0.0.2:0;\n", 3)).unwrap();
    server.signal(libc::SIGHUP);
    let b = parse_listening(&server.next_stdout_line().expect("the new address"));
    assert!(wait_for_count(&error_log, "configuration reloaded", 1));
    assert!(
        wait_until(|| children(master).len() == 3),
        "{:?}",
        children(master)
    );
    for addr in [a, b] {
        let url = format!("http://{addr}/style.css");
        assert_eq!(curl(&[&url]).stdout, STYLE.as_bytes(), "{addr}");
    }

    fs::write(&conf, text("listen 127.0.0.2:0;\n", 1)).unwrap();
    server.signal(libc::SIGHUP);
    assert!(wait_for_count(&error_log, "configuration reloaded", 2));
    assert!(wait_until(|| children(master).len() == 1));
    assert!(
        wait_refused(a),
        "{a} still accepts after it left the config"
    );
    let url = format!("http://{b}/style.css");
    assert_eq!(curl(&[&url]).stdout, STYLE.as_bytes());

    // No master left behind: `worker_processes 0` needs a restart.
    fs::write(&conf, text("listen 127.0.0.2:0;\n", 0)).unwrap();
    server.signal(libc::SIGHUP);
    assert!(wait_for_text(
        &error_log,
        "worker_processes 0 (no master) needs a restart"
    ));
    assert_eq!(curl(&[&url]).stdout, STYLE.as_bytes());
}
