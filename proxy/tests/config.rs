//! The config file against the real binary: `--check-config` on good and bad files, and a
//! file with two listeners, each sending its clients to its own group of servers; the
//! example file.

mod common;

use common::*;
use std::process::Command;
use std::sync::atomic::Ordering;

fn check(path: &std::path::Path) -> (bool, String, String) {
    let out = Command::new(proxy_bin())
        .arg("-c")
        .arg(path)
        .arg("--check-config")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn check_config_accepts_a_good_file_and_names_the_line_of_a_bad_one() {
    let good = config_file(
        "check-good",
        "# two groups\n\
         idle_timeout 30s;\n\
         group a {\n    server 127.0.0.1:9000;\n    balance least-connections;\n}\n\
         group b {\n    server 127.0.0.1:9001;\n}\n\
         listen 127.0.0.1:0 a;\n\
         listen 127.0.0.1:0 b;\n",
    );
    let (ok, out, err) = check(&good);
    assert!(ok, "{err}");
    assert!(
        out.contains("configuration OK") && out.contains("2 listeners, 2 groups"),
        "{out}"
    );

    let bad = config_file(
        "check-bad",
        "group a {\n    server 127.0.0.1:9000;\n    balance random;\n}\nlisten 127.0.0.1:0 a;\n",
    );
    let (ok, _, err) = check(&bad);
    assert!(!ok);
    let want = format!("{}:3: \"random\": expected", bad.display());
    assert!(err.contains(&want), "{err}");

    let unknown_group = config_file(
        "check-group",
        "group a {\n    server 127.0.0.1:9000;\n}\nlisten 127.0.0.1:0 b;\n",
    );
    let (ok, _, err) = check(&unknown_group);
    assert!(
        !ok && err.contains(":4: listen 127.0.0.1:0: no group \"b\""),
        "{err}"
    );

    let missing = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("no-such.conf");
    let (ok, _, err) = check(&missing);
    assert!(!ok && err.contains("no-such.conf"), "{err}");

    // Not UTF-8, binary noise: an error, not a panic.
    let noise = config_file("check-noise", "");
    std::fs::write(&noise, [0xff, 0xfe, b'{', b'\n', 0, b';']).unwrap();
    let (ok, _, err) = check(&noise);
    assert!(!ok && err.contains(":1: not valid UTF-8"), "{err}");
}

#[test]
fn the_example_file_is_good() {
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("proxy.conf.example");
    let (ok, out, err) = check(&example);
    assert!(ok, "{err}");
    assert!(out.contains("3 listeners, 2 groups"), "{out}");
}

#[test]
fn each_listener_sends_its_clients_to_its_own_group() {
    let (a, count_a) = server(echo);
    let (b1, count_b1) = server(echo);
    let (b2, count_b2) = server(echo);
    let path = config_file(
        "two-listeners",
        &format!(
            "group a {{\n    server {a};\n}}\n\
             group b {{\n    server {b1};\n    server {b2};\n}}\n\
             listen 127.0.0.1:0 a;\n\
             listen 127.0.0.1:0 b;\n"
        ),
    );
    let p = Proxy::spawn(&["-c".into(), path.display().to_string()], 2);
    for _ in 0..2 {
        round_trip_at(p.addrs[0], 1024);
    }
    for _ in 0..4 {
        round_trip_at(p.addrs[1], 1024);
    }
    assert_eq!(count_a.load(Ordering::SeqCst), 2);
    assert_eq!(count_b1.load(Ordering::SeqCst), 2);
    assert_eq!(count_b2.load(Ordering::SeqCst), 2);
}
