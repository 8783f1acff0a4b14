//! TLS, for every model: `openssl s_client`, `socat` and `ncat --ssl` (clients nobody here
//! wrote) chat with our own TLS clients, `chat connect --tls` verifies the server and refuses a wrong CA or name, and
//! plaintext, garbage, a stalled handshake or TLS 1.2 on the TLS port end that connection
//! alone. The CA and the server's certificate are made by `openssl req` at test time, with
//! the recipe of the README, in a temporary directory.

mod common;
use chat::certgen::{issue, Credential, Role, Validity};
use common::*;
use openssl::pkey::PKey;
use openssl::ssl::{SslConnector, SslFiletype, SslMethod, SslStream};
use openssl::x509::X509;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::Receiver;
use std::time::Instant;

/// A throw-away PKI: a CA, a server certificate it signed (for `localhost` and 127.0.0.1),
/// and an unrelated CA.
struct Pki {
    dir: PathBuf,
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl (package openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const P256: [&str; 4] = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];

impl Pki {
    fn new() -> Pki {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "chat-tls-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let pki = Pki { dir };
        pki.ca("ca");
        pki.ca("other-ca");
        pki.issue(
            "server",
            "localhost",
            "ca",
            &[
                "-addext",
                "subjectAltName=DNS:localhost,IP:127.0.0.1",
                "-addext",
                "extendedKeyUsage=serverAuth",
            ],
        );
        pki
    }

    /// `NAME.pem` and `NAME.key`: a self-signed CA.
    fn ca(&self, name: &str) {
        let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
        let subj = format!("/CN=chat test {name}");
        let mut args = vec!["req", "-x509"];
        args.extend(P256);
        args.extend([
            "-noenc", "-days", "2", "-subj", &subj, "-keyout", &key, "-out", &pem,
        ]);
        openssl(&self.dir, &args);
    }

    /// `NAME.pem` and `NAME.key`: a certificate for `cn` signed by the CA `ca`.
    fn issue(&self, name: &str, cn: &str, ca: &str, ext: &[&str]) {
        let (key, pem) = (format!("{name}.key"), format!("{name}.pem"));
        let (ca_pem, ca_key) = (format!("{ca}.pem"), format!("{ca}.key"));
        let subj = format!("/CN={cn}");
        let mut args = vec!["req", "-x509"];
        args.extend(P256);
        args.extend(["-noenc", "-days", "2", "-subj", &subj]);
        args.extend(["-addext", "basicConstraints=critical,CA:FALSE"]);
        args.extend(ext);
        args.extend([
            "-CA", &ca_pem, "-CAkey", &ca_key, "-keyout", &key, "-out", &pem,
        ]);
        openssl(&self.dir, &args);
    }

    /// A client certificate `NAME.pem`/`NAME.key` for the common name `cn`.
    fn client(&self, name: &str, cn: &str, ca: &str) {
        self.issue(name, cn, ca, &["-addext", "extendedKeyUsage=clientAuth"]);
    }

    fn path(&self, file: &str) -> String {
        self.dir.join(file).to_str().unwrap().to_string()
    }

    /// The server's TLS options.
    fn serve_args(&self) -> Vec<String> {
        vec![
            "--tls-cert".into(),
            self.path("server.pem"),
            "--tls-key".into(),
            self.path("server.key"),
        ]
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A TLS server of `model` with `extra` options; the server and its TLS address.
fn tls_server(pki: &Pki, model: &str, extra: &[&str]) -> Server {
    let mut args: Vec<String> = pki.serve_args();
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Server::start(model, &args)
}

/// A test client over TLS reading whole lines.
struct TlsClient {
    reader: BufReader<SslStream<TcpStream>>,
}

impl TlsClient {
    /// Connects to `addr`, trusting `ca`, expecting the certificate to name `host`.
    fn try_connect(addr: SocketAddr, ca: &str, host: &str) -> Result<TlsClient, String> {
        TlsClient::try_connect_with(addr, ca, host, |_| {})
    }

    fn try_connect_with(
        addr: SocketAddr,
        ca: &str,
        host: &str,
        setup: impl FnOnce(&mut openssl::ssl::SslConnectorBuilder),
    ) -> Result<TlsClient, String> {
        TlsClient::over(TcpStream::connect(addr).expect("connect"), ca, host, setup)
    }

    /// TLS over a connected socket.
    fn over(
        s: TcpStream,
        ca: &str,
        host: &str,
        setup: impl FnOnce(&mut openssl::ssl::SslConnectorBuilder),
    ) -> Result<TlsClient, String> {
        s.set_read_timeout(Some(GUARD)).unwrap();
        s.set_write_timeout(Some(GUARD)).unwrap();
        let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
        b.set_ca_file(ca).unwrap();
        setup(&mut b);
        let tls = b.build().connect(host, s).map_err(|e| e.to_string())?;
        Ok(TlsClient {
            reader: BufReader::new(tls),
        })
    }

    fn connect(addr: SocketAddr, pki: &Pki) -> TlsClient {
        TlsClient::try_connect(addr, &pki.path("ca.pem"), "localhost").expect("TLS connect")
    }

    /// Connects and reads the greeting; returns the client and its nick.
    fn join(addr: SocketAddr, pki: &Pki) -> (TlsClient, String) {
        let mut c = TlsClient::connect(addr, pki);
        let nick = nick_of(&c.line());
        (c, nick)
    }

    fn say(&mut self, line: &str) {
        self.reader
            .get_mut()
            .write_all(format!("{line}\n").as_bytes())
            .expect("send");
    }

    fn try_line(&mut self) -> Option<String> {
        let mut buf = Vec::new();
        match self.reader.read_until(b'\n', &mut buf) {
            Ok(0) => None,
            Ok(_) => {
                assert_eq!(buf.pop(), Some(b'\n'), "line without end: {buf:?}");
                Some(String::from_utf8(buf).expect("valid UTF-8"))
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => None,
            Err(e) => panic!("read failed: {e}"),
        }
    }

    fn line(&mut self) -> String {
        self.try_line().expect("expected a line, got EOF")
    }

    fn until(&mut self, want: impl Fn(&str) -> bool) -> String {
        loop {
            let l = self.line();
            if want(&l) {
                return l;
            }
        }
    }
}

fn nick_of(greeting: &str) -> String {
    greeting
        .strip_prefix("* welcome to chat, you are ")
        .and_then(|r| r.split(';').next())
        .unwrap_or_else(|| panic!("unexpected greeting {greeting:?}"))
        .to_string()
}

/// `openssl s_client` as a chat client (`-quiet`: nothing but the server's lines on stdout).
type SClient = LineClient;

impl SClient {
    fn start(addr: SocketAddr, args: &[&str]) -> SClient {
        LineClient::spawn(
            Command::new("openssl")
                .args(["s_client", "-connect", &addr.to_string(), "-quiet"])
                .args(args),
        )
    }
}

/// `s_client` verifying the server against the test CA and its name.
fn verifying_s_client(addr: SocketAddr, pki: &Pki, extra: &[&str]) -> SClient {
    let ca = pki.path("ca.pem");
    let mut args = vec![
        "-CAfile",
        &ca,
        "-verify_return_error",
        "-verify_hostname",
        "localhost",
    ];
    args.extend(extra);
    SClient::start(addr, &args)
}

#[test]
fn s_client_sends_a_line_and_gets_the_broadcast_on_every_model() {
    let pki = Pki::new();
    for_each_model(|model| {
        let server = tls_server(&pki, model, &[]);
        let (mut a, nick_a) = TlsClient::join(server.addr, &pki);
        let mut s = verifying_s_client(server.addr, &pki, &[]);
        let nick_s = nick_of(&s.line());
        a.until(|l| l == format!("* {nick_s} joined"));
        s.say("hello from s_client");
        a.until(|l| l == format!("{nick_s}: hello from s_client"));
        a.say("hello from the test");
        s.until(|l| l == format!("{nick_a}: hello from the test"));
        s.say("/quit");
        s.until(|l| l == "* bye");
        a.until(|l| l == format!("* {nick_s} left"));
    });
}

#[test]
fn a_plain_port_and_a_tls_port_share_one_room_on_every_model() {
    let pki = Pki::new();
    for_each_model(|model| {
        let server = tls_server(&pki, model, &["--tls-listen", "127.0.0.1:0"]);
        let tls_addr = server.second_addr();
        assert_ne!(tls_addr, server.addr);
        let (mut plain, nick_p) = server.join();
        let (mut tls, nick_t) = TlsClient::join(tls_addr, &pki);
        plain.until(|l| l == format!("* {nick_t} joined"));
        plain.say("in the clear");
        tls.until(|l| l == format!("{nick_p}: in the clear"));
        tls.say("encrypted");
        plain.until(|l| l == format!("{nick_t}: encrypted"));
    });
}

#[test]
fn chat_connect_verifies_the_server_and_refuses_a_wrong_ca() {
    let pki = Pki::new();
    let server = tls_server(&pki, "epoll", &[]);
    let (mut a, _) = TlsClient::join(server.addr, &pki);
    let connect = |args: &[&str], input: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_chat"))
            .arg("connect")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn chat connect");
        // Written on a thread: a client refused before it reads its input must not block us.
        let mut stdin = child.stdin.take().unwrap();
        let input = input.to_string();
        std::thread::spawn(move || {
            let _ = stdin.write_all(input.as_bytes());
        });
        let deadline = Instant::now() + GUARD;
        while child.try_wait().unwrap().is_none() {
            assert!(
                Instant::now() < deadline,
                "chat connect {args:?} did not exit"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let out = child.wait_with_output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let port = server.addr.port();
    let (ca, other) = (pki.path("ca.pem"), pki.path("other-ca.pem"));
    let at_localhost = format!("localhost:{port}");
    let at_ip = format!("127.0.0.1:{port}");

    // The right CA, by name and by address: in, a line relayed, out on end of input.
    for addr in [&at_localhost, &at_ip] {
        let (code, out, err) = connect(&["--tls", "--ca", &ca, addr], "via chat connect\n");
        assert_eq!(code, Some(0), "{addr}: {err}");
        assert!(out.starts_with("* welcome to chat, you are "), "{out:?}");
        a.until(|l| l.ends_with(": via chat connect"));
    }
    // A CA that did not sign the server's certificate, or the system's CAs: refused before
    // a byte of chat.
    let (code, out, err) = connect(&["--tls", "--ca", &other, &at_localhost], "never sent\n");
    assert_eq!(code, Some(1));
    assert!(out.is_empty(), "{out:?}");
    assert!(err.contains("certificate"), "{err}");
    let (code, _, err) = connect(&["--tls", &at_localhost], "never sent\n");
    assert_eq!(code, Some(1), "{err}");
    // --insecure takes it anyway.
    let (code, out, err) = connect(&["--tls", "--insecure", &at_localhost], "insecure\n");
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("* welcome"), "{out:?}");
    a.until(|l| l.ends_with(": insecure"));
    // A name the certificate does not carry.
    let wrong = TlsClient::try_connect(server.addr, &ca, "not-the-server.example");
    let err = wrong.err().expect("a wrong host name is refused");
    assert!(err.contains("certificate verify failed"), "{err}");
    // s_client with the wrong CA gives up too.
    let mut s = SClient::start(server.addr, &["-CAfile", &other, "-verify_return_error"]);
    assert_ne!(s.wait_exit(), Some(0));
    // Nothing of that disturbed the member already in.
    let (mut b, nick_b) = TlsClient::join(server.addr, &pki);
    b.say("still fine");
    a.until(|l| l == format!("{nick_b}: still fine"));
}

/// Reads a raw connection to its end (EOF or reset); true if it ended.
fn ends(c: &mut Client) -> bool {
    let mut buf = [0u8; 4096];
    loop {
        match c.reader.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(e) => panic!("the server did not close it: {e}"),
        }
    }
}

#[test]
fn plaintext_garbage_and_stalled_handshakes_end_only_their_connection_on_every_model() {
    let pki = Pki::new();
    for_each_model(|model| {
        let server = tls_server(&pki, model, &["--tls-handshake-timeout", "1"]);
        let (mut a, _) = TlsClient::join(server.addr, &pki);
        // A client that stops in the middle of its ClientHello, and one that says nothing.
        let mut stalled = Client::connect(server.addr);
        stalled.send(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00]);
        let mut silent = Client::connect(server.addr);
        // Meanwhile others join and talk.
        let (mut b, nick_b) = TlsClient::join(server.addr, &pki);
        b.say("during a stalled handshake");
        a.until(|l| l == format!("{nick_b}: during a stalled handshake"));
        // Plaintext chat on the TLS port: closed (after an alert, perhaps).
        let mut plain = Client::connect(server.addr);
        plain.send(b"hello in the clear\n");
        assert!(ends(&mut plain), "{model}");
        // Random bytes after a finished handshake: that client is closed, the others see
        // it leave.
        let (mut c, nick_c) = TlsClient::join(server.addr, &pki);
        a.until(|l| l == format!("* {nick_c} joined"));
        c.reader
            .get_ref()
            .get_ref()
            .write_all(&[0x17, 0x03, 0x03, 0x00, 0x20, 0xde, 0xad, 0xbe, 0xef].repeat(8))
            .unwrap();
        // The server answers with an alert (bad record MAC) and closes.
        let mut rest = Vec::new();
        match c.reader.read_to_end(&mut rest) {
            Ok(_) => {}
            Err(e) => assert!(e.to_string().contains("bad record mac"), "{model}: {e}"),
        }
        assert!(rest.is_empty(), "{model}: {rest:?}");
        a.until(|l| l.starts_with(&format!("* {nick_c} left")));
        // The stalled handshakes are dropped after the timeout.
        assert!(ends(&mut stalled), "{model}");
        assert!(ends(&mut silent), "{model}");
        // And the room goes on.
        b.say("after all that");
        a.until(|l| l == format!("{nick_b}: after all that"));
    });
}

#[test]
fn tls_1_2_is_refused_unless_allowed() {
    let pki = Pki::new();
    for model in ["threads", "epoll"] {
        let strict = tls_server(&pki, model, &[]);
        let mut s = verifying_s_client(strict.addr, &pki, &["-tls1_2"]);
        assert_ne!(s.wait_exit(), Some(0), "{model}");
        let lenient = tls_server(&pki, model, &["--tls12"]);
        let s = verifying_s_client(lenient.addr, &pki, &["-tls1_2"]);
        nick_of(&s.line());
    }
}

#[test]
fn a_key_that_does_not_match_the_certificate_is_a_startup_error() {
    let pki = Pki::new();
    let out = Command::new(env!("CARGO_BIN_EXE_chat"))
        .args(["serve", "--listen", "127.0.0.1:0", "--stats-device", "none"])
        .args(["--tls-cert", &pki.path("server.pem")])
        .args(["--tls-key", &pki.path("ca.key")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("does not match"), "{err}");
    let out = Command::new(env!("CARGO_BIN_EXE_chat"))
        .args(["serve", "--listen", "127.0.0.1:0", "--stats-device", "none"])
        .args([
            "--tls-cert",
            "/nonexistent.pem",
            "--tls-key",
            "/nonexistent.key",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent.pem"), "{err}");
}

/// A TLS client showing the certificate `NAME.pem` (mutual TLS).
fn with_cert(addr: SocketAddr, pki: &Pki, name: &str) -> Result<TlsClient, String> {
    let (cert, key) = (
        pki.path(&format!("{name}.pem")),
        pki.path(&format!("{name}.key")),
    );
    TlsClient::try_connect_with(addr, &pki.path("ca.pem"), "localhost", |b| {
        b.set_certificate_chain_file(&cert).unwrap();
        b.set_private_key_file(&key, SslFiletype::PEM).unwrap();
    })
}

/// Whether the server ends a connection without a greeting (an alert or a close).
fn refused_without_greeting(c: Result<TlsClient, String>) -> bool {
    let Ok(mut c) = c else {
        return true;
    };
    let mut rest = Vec::new();
    let _ = c.reader.read_to_end(&mut rest);
    rest.is_empty()
}

#[test]
fn mutual_tls_makes_the_certificate_name_the_nick_on_every_model() {
    let pki = Pki::new();
    pki.client("alice", "alice", "ca");
    pki.client("bob", "bob", "ca");
    pki.client("spaced", "Alice Smith", "ca");
    pki.client("forged", "carol", "other-ca");
    let client_ca = pki.path("ca.pem");
    for_each_model(|model| {
        let server = tls_server(&pki, model, &["--tls-client-ca", &client_ca]);
        let mut alice = with_cert(server.addr, &pki, "alice").expect("alice connects");
        assert_eq!(nick_of(&alice.line()), "alice", "{model}");
        let mut bob = with_cert(server.addr, &pki, "bob").expect("bob connects");
        assert_eq!(nick_of(&bob.line()), "bob", "{model}");
        alice.until(|l| l == "* bob joined");
        bob.say("/nick alice");
        assert_eq!(
            bob.line(),
            "! your nick is your certificate's name (bob), it cannot change"
        );
        bob.say("signed, bob");
        alice.until(|l| l == "bob: signed, bob");
        // No certificate, one from another CA: no greeting, no member.
        let anonymous = TlsClient::try_connect(server.addr, &pki.path("ca.pem"), "localhost");
        assert!(refused_without_greeting(anonymous), "{model}");
        let forged = with_cert(server.addr, &pki, "forged");
        assert!(refused_without_greeting(forged), "{model}");
        // A name that is no nick, and alice a second time: told why, then closed.
        let mut spaced = with_cert(server.addr, &pki, "spaced").unwrap();
        assert!(spaced.line().contains("is not a valid nick"), "{model}");
        assert_eq!(spaced.try_line(), None, "{model}");
        let mut again = with_cert(server.addr, &pki, "alice").unwrap();
        assert_eq!(again.line(), "! nick alice is taken", "{model}");
        assert_eq!(again.try_line(), None, "{model}");
        bob.say("/who");
        let who = bob.until(|l| l.starts_with("* online"));
        assert_eq!(who, "* online (2): alice, bob", "{model}");
    });
    // s_client and chat connect with a certificate.
    let server = tls_server(&pki, "epoll", &["--tls-client-ca", &client_ca]);
    let mut alice = with_cert(server.addr, &pki, "alice").expect("alice connects");
    alice.line();
    let (ca, bob_pem, bob_key) = (pki.path("ca.pem"), pki.path("bob.pem"), pki.path("bob.key"));
    let s = SClient::start(
        server.addr,
        &["-CAfile", &ca, "-cert", &bob_pem, "-key", &bob_key],
    );
    assert_eq!(nick_of(&s.line()), "bob");
    drop(s);
    alice.until(|l| l == "* bob left");
    let out = Command::new(env!("CARGO_BIN_EXE_chat"))
        .args([
            "connect", "--tls", "--ca", &ca, "--cert", &bob_pem, "--key", &bob_key,
        ])
        .arg(format!("localhost:{}", server.addr.port()))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("* welcome to chat, you are bob;"),
        "{stdout:?}"
    );
}

/// A child process killed and reaped when dropped, so a failing test leaves no server.
struct Reaped(Child);

impl std::ops::Deref for Reaped {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Reaped {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A TLS server of `model` whose stderr the test reads: its lines, as they come.
fn logging_tls_server(
    pki: &Pki,
    model: &str,
    extra: &[&str],
) -> (Reaped, SocketAddr, Receiver<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_chat"))
        .args(["serve", "--listen", "127.0.0.1:0", "--model", model])
        .args(["--stats-device", "none"])
        .args(pki.serve_args())
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn chat");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .split_whitespace()
        .nth(3)
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {first:?}"));
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    (Reaped(child), addr, rx)
}

/// The next stderr line of the server that contains `want`.
fn log_line(log: &Receiver<String>, want: &str) -> String {
    loop {
        let l = log.recv_timeout(GUARD).expect("a log line");
        if l.contains(want) {
            return l;
        }
    }
}

#[test]
fn a_handshake_log_line_names_the_client_by_its_own_address() {
    // The event loops take the address `accept4` gave (no getpeername); threads ask the
    // socket. Either way it is the client's own address and port.
    let pki = Pki::new();
    for model in ["epoll", "poll", "threads"] {
        let (mut child, addr, log) = logging_tls_server(&pki, model, &[]);
        let tcp = TcpStream::connect(addr).expect("connect");
        let me = tcp.local_addr().unwrap();
        let mut c = TlsClient::over(tcp, &pki.path("ca.pem"), "localhost", |_| {}).expect("TLS");
        assert!(c.line().starts_with("* welcome to chat"), "{model}");
        let line = log_line(&log, "TLSv1.3");
        assert!(
            line.starts_with(&format!("chat: TLS {me}: TLSv1.3 ")),
            "{model}: {line} (client {me})"
        );
        let _ = child.kill();
        let _ = child.wait();
    }
}

#[test]
fn every_connection_says_whether_ktls_took_and_ktls_on_requires_it() {
    let pki = Pki::new();
    for model in ["pool", "poll"] {
        // auto: served either way; the line says which.
        let (mut child, addr, log) = logging_tls_server(&pki, model, &["--ktls", "auto"]);
        let (mut a, _) = TlsClient::join(addr, &pki);
        let line = log_line(&log, "TLSv1.3");
        assert!(line.contains(", kTLS "), "{model}: {line}");
        let (mut b, nick_b) = TlsClient::join(addr, &pki);
        b.say("whatever the kernel does");
        a.until(|l| l == format!("{nick_b}: whatever the kernel does"));
        let _ = child.kill();
        let _ = child.wait();
        // off: never asked.
        let (mut child, addr, log) = logging_tls_server(&pki, model, &["--ktls", "off"]);
        let (_a, _) = TlsClient::join(addr, &pki);
        let line = log_line(&log, "TLSv1.3");
        assert!(line.ends_with(", kTLS off"), "{model}: {line}");
        let _ = child.kill();
        let _ = child.wait();
        // on: a connection the kernel did not take is closed, with a line saying so.
        let (mut child, addr, log) = logging_tls_server(&pki, model, &["--ktls", "on"]);
        let c = TlsClient::connect(addr, &pki);
        let line = log_line(&log, "TLSv1.3");
        if line.contains("kTLS off") {
            log_line(&log, "the kernel did not take the records");
            assert!(refused_without_greeting(Ok(c)), "{model}");
        } else {
            let mut c = c;
            nick_of(&c.line());
        }
        let _ = child.kill();
        let _ = child.wait();
    }
}

#[test]
fn a_tls_reader_that_falls_behind_gets_every_line_in_order_on_every_model() {
    // Its socket fills, so the server's SSL_write stops half way (WANT_WRITE) and is retried
    // as it drains, with more queued behind: every line must come through once, in order.
    let pki = Pki::new();
    for_each_model(|model| {
        let server = tls_server(&pki, model, &["--max-queue", "67108864"]);
        let small = Client::connect_small_rcvbuf(server.addr, 4096)
            .reader
            .into_inner();
        let mut slow = TlsClient::over(small, &pki.path("ca.pem"), "localhost", |_| {}).unwrap();
        nick_of(&slow.line());
        let (mut talker, nick) = TlsClient::join(server.addr, &pki);
        slow.until(|l| l == format!("* {nick} joined"));
        let filler = "y".repeat(150);
        // More than the server's socket buffer (up to 4 MiB) holds.
        let n = 40_000;
        for i in 0..n {
            talker.say(&format!("{i} {filler}"));
        }
        // A line back from the server proves it has read all of them.
        talker.say("/who");
        talker.until(|l| l.starts_with("* online"));
        for i in 0..n {
            assert_eq!(slow.line(), format!("{nick}: {i} {filler}"), "{model}");
        }
    });
}

/// `NAME.pem`/`NAME.key`: a certificate for `role` signed by the test CA that expired
/// nine days ago (made with `chat::certgen`: `openssl req` cannot date one in the past).
fn expired(pki: &Pki, name: &str, role: Role) {
    let read = |f: &str| std::fs::read(pki.path(f)).unwrap();
    let ca = Credential {
        cert: X509::from_pem(&read("ca.pem")).unwrap(),
        key: PKey::private_key_from_pem(&read("ca.key")).unwrap(),
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let validity = Validity {
        start: now - 10 * 86_400,
        days: 1,
    };
    issue(&role, &ca, validity)
        .unwrap()
        .write(&pki.dir, name, false)
        .unwrap();
}

#[test]
fn an_expired_client_certificate_is_refused_under_mutual_tls() {
    let pki = Pki::new();
    pki.client("alice", "alice", "ca");
    expired(&pki, "late", Role::Client("late".into()));
    let client_ca = pki.path("ca.pem");
    for model in ["threads", "epoll"] {
        let (mut child, addr, log) =
            logging_tls_server(&pki, model, &["--tls-client-ca", &client_ca]);
        let mut alice = with_cert(addr, &pki, "alice").expect("alice connects");
        assert_eq!(nick_of(&alice.line()), "alice", "{model}");
        // The expired one: no greeting, no member, and the server says why.
        assert!(
            refused_without_greeting(with_cert(addr, &pki, "late")),
            "{model}"
        );
        let line = log_line(&log, "handshake failed");
        assert!(
            line.ends_with("(client certificate: certificate has expired)"),
            "{model}: {line}"
        );
        // s_client showing it gets nothing either.
        let (pem, key) = (pki.path("late.pem"), pki.path("late.key"));
        let ca = pki.path("ca.pem");
        let s = SClient::start(addr, &["-CAfile", &ca, "-cert", &pem, "-key", &key]);
        assert_eq!(s.try_line(), None, "{model}");
        // alice never saw anyone join.
        alice.say("/who");
        assert_eq!(
            alice.until(|l| l.starts_with("* online")),
            "* online (1): alice"
        );
        let _ = child.kill();
        let _ = child.wait();
    }
}

#[test]
fn an_expired_server_certificate_is_refused_by_the_clients() {
    let pki = Pki::new();
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    expired(&pki, "stale", Role::Server(names));
    let server = Server::start(
        "epoll",
        &[
            "--tls-cert",
            &pki.path("stale.pem"),
            "--tls-key",
            &pki.path("stale.key"),
        ],
    );
    let mut s = verifying_s_client(server.addr, &pki, &[]);
    assert_ne!(s.wait_exit(), Some(0));
    let out = Command::new(env!("CARGO_BIN_EXE_chat"))
        .args(["connect", "--tls", "--ca", &pki.path("ca.pem")])
        .arg(format!("localhost:{}", server.addr.port()))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("certificate has expired"), "{err}");
    assert!(out.stdout.is_empty());
}

#[test]
fn a_client_without_sni_is_served_on_every_model() {
    // The server has one certificate and never looks at the name a client asks for: a
    // ClientHello without server_name gets the same certificate, which still verifies.
    let pki = Pki::new();
    for_each_model(|model| {
        let server = tls_server(&pki, model, &[]);
        let (mut a, _) = TlsClient::join(server.addr, &pki);
        let mut s = verifying_s_client(server.addr, &pki, &["-noservername"]);
        let nick = nick_of(&s.line());
        s.say("no name asked");
        a.until(|l| l == format!("{nick}: no name asked"));
    });
}

/// `socat - OPENSSL:HOST:PORT,...` (Debian's socat, another TLS client nobody here wrote):
/// stdin lines to the server, its lines to stdout.
fn socat(host_port: &str, opts: &str) -> LineClient {
    LineClient::spawn(Command::new("socat").args(["-", &format!("OPENSSL:{host_port},{opts}")]))
}

#[test]
fn socat_sends_a_line_and_gets_the_broadcast_on_every_model() {
    let pki = Pki::new();
    let ca = pki.path("ca.pem");
    for_each_model(|model| {
        let server = tls_server(&pki, model, &[]);
        let (mut a, nick_a) = TlsClient::join(server.addr, &pki);
        let port = server.addr.port();
        let mut s = socat(
            &format!("localhost:{port}"),
            &format!("cafile={ca},verify=1"),
        );
        let nick_s = nick_of(&s.line());
        a.until(|l| l == format!("* {nick_s} joined"));
        s.say("hello from socat");
        a.until(|l| l == format!("{nick_s}: hello from socat"));
        a.say("hello to socat");
        s.until(|l| l == format!("{nick_a}: hello to socat"));
        s.say("/quit");
        s.until(|l| l == "* bye");
        assert_eq!(s.wait_exit(), Some(0), "{model}");
        a.until(|l| l == format!("* {nick_s} left"));
    });
    // socat verifying against another CA gives up before a line.
    let server = tls_server(&pki, "epoll", &[]);
    let other = pki.path("other-ca.pem");
    let port = server.addr.port();
    let mut s = socat(
        &format!("localhost:{port}"),
        &format!("cafile={other},verify=1"),
    );
    assert_eq!(s.try_line(), None);
    assert_ne!(s.wait_exit(), Some(0));
}

/// `ncat --ssl` (nmap's Ncat, Debian's `ncat`, a third TLS client nobody here wrote): stdin
/// lines to the server at 127.0.0.1:`port`, its lines to stdout. `args` say what it trusts.
fn ncat(port: u16, args: &[&str]) -> LineClient {
    LineClient::spawn(
        Command::new("ncat")
            .args(["--ssl", "--ssl-verify"])
            .args(args)
            .args(["127.0.0.1", &port.to_string()]),
    )
}

#[test]
fn ncat_ssl_verifying_the_server_sends_a_line_and_gets_the_broadcast_on_every_model() {
    let pki = Pki::new();
    let ca = pki.path("ca.pem");
    // The CA to trust, and the name to ask for (SNI) and find in the certificate.
    let trusting = [
        "--ssl-trustfile",
        ca.as_str(),
        "--ssl-servername",
        "localhost",
    ];
    for_each_model(|model| {
        let server = tls_server(&pki, model, &[]);
        let (mut a, nick_a) = TlsClient::join(server.addr, &pki);
        let mut n = ncat(server.addr.port(), &trusting);
        let nick_n = nick_of(&n.line());
        a.until(|l| l == format!("* {nick_n} joined"));
        n.say("hello from ncat");
        a.until(|l| l == format!("{nick_n}: hello from ncat"));
        a.say("hello to ncat");
        n.until(|l| l == format!("{nick_a}: hello to ncat"));
        n.say("/quit");
        n.until(|l| l == "* bye");
        a.until(|l| l == format!("* {nick_n} left"));
        // The server closed the connection; Ncat leaves once its input ends too.
        drop(n.child.stdin.take());
        assert_eq!(n.wait_exit(), Some(0), "{model}");
    });
}

#[test]
fn ncat_ssl_refuses_a_server_whose_ca_or_name_it_does_not_trust() {
    let pki = Pki::new();
    let server = tls_server(&pki, "epoll", &[]);
    let (mut a, _) = TlsClient::join(server.addr, &pki);
    let (ca, other) = (pki.path("ca.pem"), pki.path("other-ca.pem"));
    let port = server.addr.port().to_string();
    // Ncat with no input: it says what it checked (-v) and gives up (-i: a guard, should it
    // be served instead: it would then wait for the server to close).
    let refused = |args: &[&str]| {
        let out = Command::new("ncat")
            .args(["-v", "-i", "30", "--ssl", "--ssl-verify"])
            .args(args)
            .args(["127.0.0.1", &port])
            .stdin(Stdio::null())
            .output()
            .expect("run ncat (package ncat)");
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    let unknown_ca = "Certificate verification failed (unable to get local issuer certificate)";
    let refusals: [(&[&str], &str); 3] = [
        // Ncat's own CAs and the system's: the test CA is in neither.
        (&["--ssl-servername", "localhost"], unknown_ca),
        // Another CA.
        (
            &["--ssl-trustfile", &other, "--ssl-servername", "localhost"],
            unknown_ca,
        ),
        // The right CA, a name the certificate does not carry (it has localhost and
        // 127.0.0.1, the address Ncat connects to).
        (
            &["--ssl-trustfile", &ca, "--ssl-servername", "chat.example"],
            "Certificate verification error",
        ),
    ];
    for (args, why) in refusals {
        let (code, stdout, stderr) = refused(args);
        assert_eq!(stdout, "", "{args:?}: a line from the server");
        assert_ne!(code, Some(0), "{args:?}: {stderr}");
        assert!(stderr.contains(why), "{args:?}: {stderr}");
    }
    // The same command, trusting the CA and asking for the right name, is served: the
    // refusals above were the checks, not something else.
    let mut n = ncat(
        server.addr.port(),
        &["--ssl-trustfile", &ca, "--ssl-servername", "localhost"],
    );
    let nick_n = nick_of(&n.line());
    a.until(|l| l == format!("* {nick_n} joined"));
    n.say("/quit");
    n.until(|l| l == "* bye");
    drop(n.child.stdin.take());
    assert_eq!(n.wait_exit(), Some(0));
    // The server went on: its room still works.
    let (_b, nick_b) = TlsClient::join(server.addr, &pki);
    a.until(|l| l == format!("* {nick_b} joined"));
}

#[test]
fn the_server_says_its_tls_totals_when_it_stops() {
    let pki = Pki::new();
    for model in ["threads", "poll"] {
        let (mut child, addr, log) = logging_tls_server(&pki, model, &["--ktls", "auto"]);
        let (mut a, _) = TlsClient::join(addr, &pki);
        let (_b, nick_b) = TlsClient::join(addr, &pki);
        a.until(|l| l == format!("* {nick_b} joined"));
        // A failed handshake is no handshake.
        let mut plain = Client::connect(addr);
        plain.send(b"not TLS\n");
        assert!(ends(&mut plain), "{model}");
        // SAFETY: signalling our own child.
        unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
        let mut lines = Vec::new();
        let totals = loop {
            let l = log.recv_timeout(GUARD).expect("the totals line");
            if let Some(t) = l.strip_prefix("chat: TLS: ") {
                break t.to_string();
            }
            lines.push(l);
        };
        // As many with kTLS as the per-connection lines said (none on a kernel without it).
        let said = |what: &str| lines.iter().filter(|l| l.contains(what)).count();
        let send = said(", kTLS send");
        let recv = said("+recv") + said(", kTLS recv");
        assert_eq!(
            totals,
            format!("2 handshakes, {send} with kTLS send, {recv} with kTLS recv"),
            "{model}"
        );
        assert_eq!(child.wait().unwrap().code(), Some(0), "{model}");
    }
}

#[test]
fn no_0_rtt_data_is_ever_accepted_and_resumption_works() {
    // The server's session tickets allow no early data (OpenSSL's default, max_early_data 0),
    // so a client resuming a session cannot send any: s_client with -early_data sends none,
    // resumes, and chats normally; the line it wanted to send early reaches nobody.
    let pki = Pki::new();
    let server = tls_server(&pki, "epoll", &[]);
    let (mut a, _) = TlsClient::join(server.addr, &pki);
    let (sess, early) = (pki.path("sess.pem"), pki.path("early.txt"));
    std::fs::write(&early, "early line\n").unwrap();
    let ca = pki.path("ca.pem");
    let mut first = SClient::start(server.addr, &["-CAfile", &ca, "-sess_out", &sess]);
    nick_of(&first.line());
    // The tickets come before the greeting: a round trip later s_client has saved them.
    first.say("/who");
    first.until(|l| l.starts_with("* online"));
    drop(first);
    assert!(
        std::fs::metadata(&sess).unwrap().len() > 0,
        "no session saved"
    );
    // Not -quiet: s_client says whether it resumed and sent early data.
    let mut second = LineClient::spawn(Command::new("openssl").args([
        "s_client",
        "-connect",
        &server.addr.to_string(),
        "-CAfile",
        &ca,
        "-sess_in",
        &sess,
        "-early_data",
        &early,
    ]));
    second.until(|l| l.starts_with("Reused, TLSv1.3"));
    second.until(|l| l == "Early data was not sent");
    let nick = nick_of(&second.until(|l| l.starts_with("* welcome to chat, you are ")));
    second.say("normal line");
    let mut before = Vec::new();
    loop {
        let l = a.line();
        if l == format!("{nick}: normal line") {
            break;
        }
        before.push(l);
    }
    assert!(
        !before.iter().any(|l| l.contains("early line")),
        "{before:?}"
    );
    // s_client prints the new tickets it got (buffered: by its exit at the latest); none
    // allows early data either.
    second.say("Q");
    let mut max_early = Vec::new();
    while let Some(l) = second.try_line() {
        if let Some(v) = l.trim().strip_prefix("Max Early Data: ") {
            max_early.push(v.to_string());
        }
    }
    assert!(!max_early.is_empty(), "s_client printed no ticket");
    assert!(max_early.iter().all(|v| v == "0"), "{max_early:?}");
}

#[test]
fn a_renegotiation_attempt_is_refused_and_ends_only_that_connection() {
    // TLS 1.2 (allowed here) could renegotiate; the server answers a new ClientHello with a
    // no_renegotiation alert, on which OpenSSL's client gives up (handshake_failure): that
    // connection ends, logged, and the room goes on.
    let pki = Pki::new();
    for model in ["threads", "epoll"] {
        let (mut child, addr, log) = logging_tls_server(&pki, model, &["--tls12"]);
        let (mut a, _) = TlsClient::join(addr, &pki);
        // Not -quiet: s_client reads "R" on a line of its own as "renegotiate".
        let ca = pki.path("ca.pem");
        let mut s = LineClient::spawn(Command::new("openssl").args([
            "s_client",
            "-connect",
            &addr.to_string(),
            "-CAfile",
            &ca,
            "-tls1_2",
        ]));
        let nick = nick_of(&s.until(|l| l.starts_with("* welcome to chat, you are ")));
        a.until(|l| l == format!("* {nick} joined"));
        s.say("R");
        assert_ne!(s.wait_exit(), Some(0), "{model}");
        a.until(|l| l == format!("* {nick} left (connection error)"));
        let line = log_line(&log, "alert handshake failure");
        assert!(line.starts_with("chat: TLS 127.0.0.1:"), "{model}: {line}");
        let (mut b, nick_b) = TlsClient::join(addr, &pki);
        b.say("still here");
        a.until(|l| l == format!("{nick_b}: still here"));
        let _ = child.kill();
        let _ = child.wait();
    }
}

#[test]
fn with_no_resumption_the_server_gives_no_session_to_resume() {
    // The same client against a server with resumption (the default) and one without: the
    // first saves a session, the second has none to save (no tickets were sent).
    let pki = Pki::new();
    let ca = pki.path("ca.pem");
    for (extra, resumable) in [(&[][..], true), (&["--tls-no-resumption"][..], false)] {
        let server = tls_server(&pki, "epoll", extra);
        let sess = pki.path(&format!("sess-{resumable}.pem"));
        let mut c = SClient::start(server.addr, &["-CAfile", &ca, "-sess_out", &sess]);
        nick_of(&c.line());
        // The tickets come before the greeting: a round trip later s_client has them.
        c.say("/who");
        c.until(|l| l.starts_with("* online"));
        drop(c);
        let saved = std::fs::metadata(&sess).map_or(0, |m| m.len()) > 0;
        assert_eq!(saved, resumable, "{extra:?}: session saved = {saved}");
    }
}

/// The last value of `key` in the records a server pushed to the plain file `path`.
fn last_pushed(path: &Path, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let prefix = format!("{key}=");
    text.lines()
        .rev()
        .find_map(|l| l.strip_prefix(&prefix))
        .map(|v| v.parse().expect("a number"))
}

/// Waits (GUARD at most) until the last pushed `conns_tls` and `conns_ktls` are `want`.
fn wait_for_gauges(path: &Path, want: (u64, u64), model: &str) {
    let deadline = Instant::now() + GUARD;
    loop {
        let now = (
            last_pushed(path, "conns_tls"),
            last_pushed(path, "conns_ktls"),
        );
        if now == (Some(want.0), Some(want.1)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{model}: gauges {now:?}, want {want:?}: {}",
            std::fs::read_to_string(path).unwrap_or_default()
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn the_pushed_record_counts_live_tls_connections_on_every_model() {
    let pki = Pki::new();
    for_each_model(|model| {
        // A plain file stands in for /dev/mydevice: it keeps every record the server pushes.
        let sink = pki.dir.join(format!("records-{model}"));
        std::fs::write(&sink, "").unwrap();
        let sink_arg = sink.to_str().unwrap();
        let args = ["--stats-device", sink_arg, "--stats-interval-ms", "10"];
        let server = tls_server(&pki, model, &[&args[..], &["--ktls", "off"]].concat());
        // Before any client: the gauges are there, at zero (a TLS server reports them).
        wait_for_gauges(&sink, (0, 0), model);
        let (mut a, _) = TlsClient::join(server.addr, &pki);
        let (mut b, nick_b) = TlsClient::join(server.addr, &pki);
        a.until(|l| l == format!("* {nick_b} joined"));
        // A connection that never finishes its handshake is no TLS connection.
        let mut plain = Client::connect(server.addr);
        plain.send(b"not TLS\n");
        assert!(ends(&mut plain), "{model}");
        wait_for_gauges(&sink, (2, 0), model);
        b.say("/quit");
        b.until(|l| l == "* bye");
        a.until(|l| l == format!("* {nick_b} left"));
        wait_for_gauges(&sink, (1, 0), model);
        drop(b);
    });
    // A server without TLS reports no gauges at all (the device shows `-`).
    let sink = pki.dir.join("records-plain");
    std::fs::write(&sink, "").unwrap();
    let server = Server::start(
        "epoll",
        &[
            "--stats-device",
            sink.to_str().unwrap(),
            "--stats-interval-ms",
            "10",
        ],
    );
    let mut c = Client::connect(server.addr);
    c.line();
    let deadline = Instant::now() + GUARD;
    while last_pushed(&sink, "conns_total") != Some(1) {
        assert!(Instant::now() < deadline, "no record with the connection");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    assert_eq!(last_pushed(&sink, "conns_tls"), None);
    assert_eq!(last_pushed(&sink, "conns_ktls"), None);
}

/// A socket whose writes after the first (a TLS client's ClientHello) collect in `out`
/// instead of leaving: the client's second flight and the records it writes next then go to
/// the server in one burst, cut where the test likes.
#[derive(Debug)]
struct Held {
    tcp: TcpStream,
    writes: usize,
    out: Vec<u8>,
}

impl Read for Held {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.tcp.read(buf)
    }
}

impl Write for Held {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.writes += 1;
        if self.writes > 1 {
            self.out.extend_from_slice(buf);
            Ok(buf.len())
        } else {
            self.tcp.write(buf)
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Read system calls the process `pid` has made so far, all its threads together.
fn read_syscalls(pid: u32) -> u64 {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).expect("/proc/PID/io");
    io.lines()
        .find_map(|l| l.strip_prefix("syscr: "))
        .and_then(|n| n.trim().parse().ok())
        .expect("syscr in /proc/PID/io")
}

#[test]
fn lines_sent_with_the_finished_message_in_one_burst_are_relayed_in_order_on_every_model() {
    // The server reads ahead during the handshake (one recv takes the client's whole flight):
    // lines that came in the same segment as the client's Finished are then held by OpenSSL,
    // not the socket, and must be relayed without waiting for the socket to say readable;
    // the rest of the burst follows from the socket; and a partial record at the end must
    // wait for its rest in poll/epoll, not in a loop.
    let pki = Pki::new();
    for_each_model(|model| {
        let server = tls_server(&pki, model, &["--max-queue", "67108864"]);
        let (mut reader, _) = TlsClient::join(server.addr, &pki);
        let tcp = TcpStream::connect(server.addr).expect("connect");
        tcp.set_read_timeout(Some(GUARD)).unwrap();
        let mut b = SslConnector::builder(SslMethod::tls_client()).unwrap();
        b.set_ca_file(pki.path("ca.pem")).unwrap();
        let held = Held {
            tcp,
            writes: 0,
            out: Vec::new(),
        };
        // TLS 1.3: the client is done once its Finished is written (here: held back).
        let mut talker = BufReader::new(b.build().connect("localhost", held).expect("TLS"));
        // One record per line (one SSL_write each), all in one write with the Finished but
        // the last 3 bytes: about 8 KB, which the server's read-ahead takes whole.
        let n = 200;
        let tls = talker.get_mut();
        for i in 0..n {
            tls.write_all(format!("{i} in a burst\n").as_bytes())
                .unwrap();
        }
        let held = tls.get_mut();
        let out = std::mem::take(&mut held.out);
        let (most, rest) = out.split_at(out.len() - 3);
        held.tcp.write_all(most).unwrap();
        let mut greeting = String::new();
        talker.read_line(&mut greeting).unwrap();
        let nick = nick_of(greeting.trim_end());
        reader.until(|l| l == format!("* {nick} joined"));
        for i in 0..n - 1 {
            assert_eq!(reader.line(), format!("{nick}: {i} in a burst"), "{model}");
        }
        // The server now holds the start of the last record; it waits for the rest.
        let pid = server.child.id();
        let before = read_syscalls(pid);
        std::thread::sleep(std::time::Duration::from_millis(300));
        let reads = read_syscalls(pid) - before;
        assert!(
            reads < 20,
            "{model}: {reads} reads in 300 ms while a record waited for its end"
        );
        talker.get_mut().get_mut().tcp.write_all(rest).unwrap();
        assert_eq!(
            reader.line(),
            format!("{nick}: {} in a burst", n - 1),
            "{model}"
        );
    });
}
