//! `chat gen-cert`: what it writes is accepted by tools nobody here wrote (`openssl verify`,
//! `openssl s_client -verify_return_error`) and by `chat serve` and `chat connect --tls`,
//! self-signed and with a test CA, mutual TLS included.

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh temporary directory, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "chat-gen-cert-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        TempDir(dir)
    }

    fn path(&self, file: &str) -> String {
        self.0.join(file).to_str().unwrap().to_string()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn gen_cert(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_chat"))
        .args(["gen-cert", "--dir", dir.to_str().unwrap()])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run chat gen-cert")
}

fn gen_cert_ok(dir: &Path, args: &[&str]) -> String {
    let out = gen_cert(dir, args);
    assert!(
        out.status.success(),
        "chat gen-cert {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `openssl ARGS`; its exit status and stdout+stderr.
fn openssl(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl (package openssl)");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn greeted(l: &str) -> bool {
    l.starts_with("* welcome to chat, you are ")
}

/// `openssl s_client` that fails unless the server's certificate verifies against `ca` and
/// names `host`.
fn s_client(port: u16, ca: &str, host_check: &[&str], extra: &[&str]) -> LineClient {
    LineClient::spawn(
        Command::new("openssl")
            .args(["s_client", "-quiet", "-verify_return_error", "-CAfile", ca])
            .args(["-connect", &format!("127.0.0.1:{port}")])
            .args(host_check)
            .args(extra),
    )
}

#[test]
fn a_self_signed_certificate_is_accepted_by_openssl_chat_serve_and_chat_connect() {
    let dir = TempDir::new();
    let said = gen_cert_ok(&dir.0, &[]);
    assert!(said.contains("self-signed"), "{said}");
    let (pem, key) = (dir.path("server.pem"), dir.path("server.key"));
    let (ok, text) = openssl(&[
        "verify",
        "-x509_strict",
        "-purpose",
        "sslserver",
        "-CAfile",
        &pem,
        &pem,
    ]);
    assert!(ok, "{text}");
    let server = Server::start("epoll", &["--tls-cert", &pem, "--tls-key", &key]);
    let port = server.addr.port();
    // By name and by address (the default names: localhost and 127.0.0.1).
    for check in [
        ["-verify_hostname", "localhost"],
        ["-verify_ip", "127.0.0.1"],
    ] {
        let s = s_client(port, &pem, &check, &[]);
        assert!(greeted(&s.line()), "{check:?}");
    }
    // Another name is refused.
    let mut s = s_client(port, &pem, &["-verify_hostname", "elsewhere.example"], &[]);
    assert_ne!(s.wait_exit(), Some(0));
    let out = Command::new(env!("CARGO_BIN_EXE_chat"))
        .args([
            "connect",
            "--tls",
            "--ca",
            &pem,
            &format!("localhost:{port}"),
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        greeted(&stdout),
        "{stdout:?} {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_test_ca_signs_the_server_and_clients_for_mutual_tls() {
    let dir = TempDir::new();
    let names = [
        "--name",
        "chat.test",
        "--name",
        "127.0.0.1",
        "--name",
        "::1",
    ];
    let mut args = vec![
        "--ca", "--client", "alice", "--client", "bob", "--days", "2",
    ];
    args.extend(names);
    let said = gen_cert_ok(&dir.0, &args);
    assert_eq!(said.lines().count(), 4, "{said}");
    let ca = dir.path("ca.pem");
    let (server_pem, server_key) = (dir.path("server.pem"), dir.path("server.key"));
    let verify = |purpose: &str, file: &str| {
        let (ok, text) = openssl(&[
            "verify",
            "-x509_strict",
            "-purpose",
            purpose,
            "-CAfile",
            &ca,
            file,
        ]);
        assert!(ok, "{file}: {text}");
    };
    verify("sslserver", &server_pem);
    verify("sslclient", &dir.path("alice.pem"));
    verify("sslclient", &dir.path("bob.pem"));
    // A client certificate is no server's, and the other way round.
    let (ok, _) = openssl(&[
        "verify",
        "-purpose",
        "sslserver",
        "-CAfile",
        &ca,
        &dir.path("alice.pem"),
    ]);
    assert!(!ok, "a client certificate passed as a server's");
    // Valid for 2 days (from an hour ago): still in a day, gone in two.
    let (ok, text) = openssl(&["x509", "-in", &server_pem, "-noout", "-checkend", "86400"]);
    assert!(ok, "{text}");
    let (ok, _) = openssl(&["x509", "-in", &server_pem, "-noout", "-checkend", "172800"]);
    assert!(!ok, "valid longer than --days");
    // chat serve takes them, with the CA as the client CA: alice's certificate is her nick.
    let server = Server::start(
        "poll",
        &[
            "--tls-cert",
            &server_pem,
            "--tls-key",
            &server_key,
            "--tls-client-ca",
            &ca,
        ],
    );
    let port = server.addr.port();
    let alice = [
        "-cert",
        &dir.path("alice.pem"),
        "-key",
        &dir.path("alice.key"),
    ];
    let mut a = s_client(port, &ca, &["-verify_hostname", "chat.test"], &alice);
    assert!(a.line().starts_with("* welcome to chat, you are alice;"));
    let bob = ["-cert", &dir.path("bob.pem"), "-key", &dir.path("bob.key")];
    let b = s_client(port, &ca, &["-verify_ip", "127.0.0.1"], &bob);
    assert!(b.line().starts_with("* welcome to chat, you are bob;"));
    a.until(|l| l == "* bob joined");
    a.say("signed by the test CA");
    b.until(|l| l == "alice: signed by the test CA");
    // Without a client certificate: no greeting.
    let mut anonymous = s_client(port, &ca, &["-verify_ip", "127.0.0.1"], &[]);
    assert_eq!(anonymous.try_line(), None);
    anonymous.wait_exit();
}

#[test]
fn bad_requests_are_refused_and_existing_files_kept() {
    let dir = TempDir::new();
    let refused = |args: &[&str], why: &str| {
        let out = gen_cert(&dir.0, args);
        assert_eq!(
            out.status.code(),
            Some(if why.is_empty() { 2 } else { 1 }),
            "{args:?}"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(why), "{args:?}: {err}");
    };
    refused(&["--client", "alice"], ""); // clap: --client needs --ca
    refused(&["--name", "a,b"], "neither an IP address nor a DNS name");
    refused(&["--ca", "--client", "../etc"], "client name");
    refused(&["--ca", "--client", "server"], "client name");
    refused(&["--days", "0"], "");
    assert!(!dir.0.exists(), "nothing written for a refused request");
    gen_cert_ok(&dir.0, &[]);
    let before = std::fs::read(dir.path("server.key")).unwrap();
    refused(&[], "exists (--force overwrites it)");
    assert_eq!(std::fs::read(dir.path("server.key")).unwrap(), before);
    gen_cert_ok(&dir.0, &["--force"]);
    assert_ne!(std::fs::read(dir.path("server.key")).unwrap(), before);
}
