//! Process life, for every model: SIGTERM tells clients, flushes, exits 0; a restarted server
//! binds its port at once; the echo server echoes.

mod common;
use common::*;
use std::io::{Read, Write};

#[test]
fn sigterm_tells_the_clients_flushes_and_exits_zero() {
    for_each_model(|model| {
        let mut server = Server::start(model, &[]);
        let (mut a, _) = server.join();
        let (mut b, nick_b) = server.join();
        a.line();
        b.say("last words");
        a.until(|l| l.ends_with("last words"));
        server.signal(libc::SIGTERM);
        assert_eq!(a.until_eof(), ["* server shutting down"], "{model}");
        assert_eq!(b.until_eof(), ["* server shutting down"], "{model}");
        assert_eq!(server.wait_exit(), Some(0), "{model} ({nick_b})");
    });
}

#[test]
fn sigint_with_no_clients_exits_zero() {
    for_each_model(|model| {
        let mut server = Server::start(model, &[]);
        server.signal(libc::SIGINT);
        assert_eq!(server.wait_exit(), Some(0), "{model}");
    });
}

#[test]
fn a_restarted_server_binds_its_port_at_once() {
    for_each_model(|model| {
        let mut first = Server::start(model, &[]);
        let addr = first.addr;
        let (mut a, _) = first.join();
        a.say("/who");
        a.line();
        // The server closes first, so its side of the connection is left in TIME_WAIT.
        first.signal(libc::SIGTERM);
        a.until_eof();
        assert_eq!(first.wait_exit(), Some(0));
        let second = Server::start_on("serve", &addr.to_string(), model, &[]);
        assert_eq!(second.addr, addr);
        let (_, nick) = second.join();
        assert!(nick.starts_with("guest"));
    });
}

#[test]
fn echo_echoes_every_byte_on_every_model() {
    for_each_model(|model| {
        let mut server = Server::start_sub("echo", model, &[]);
        let mut c = std::net::TcpStream::connect(server.addr).unwrap();
        c.set_read_timeout(Some(GUARD)).unwrap();
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut reader = c.try_clone().unwrap();
        let expect = data.clone();
        let r = std::thread::spawn(move || {
            let mut got = vec![0u8; expect.len()];
            reader.read_exact(&mut got).unwrap();
            assert_eq!(got, expect);
        });
        c.write_all(&data).unwrap();
        r.join().unwrap();
        server.signal(libc::SIGTERM);
        assert_eq!(server.wait_exit(), Some(0), "{model}");
    });
}

#[test]
fn connect_without_a_terminal_pipes_lines_both_ways() {
    use std::process::{Command, Stdio};
    let server = Server::start("epoll", &[]);
    let (mut watcher, _) = server.join();
    let mut child = Command::new(env!("CARGO_BIN_EXE_chat"))
        .args(["connect", &server.addr.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn chat connect");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"hello from a pipe\n").unwrap();
    let (_, joined) = watcher.until(|l| l.ends_with(" joined"));
    let nick = joined
        .trim_start_matches("* ")
        .trim_end_matches(" joined")
        .to_string();
    assert_eq!(watcher.line(), format!("{nick}: hello from a pipe"));
    watcher.say("hi back");
    stdin.write_all(b"/quit\n").unwrap();
    drop(stdin);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let out = rx
        .recv_timeout(GUARD)
        .expect("chat connect did not exit")
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("* welcome to chat, you are "), "{text}");
    assert!(text.ends_with("* bye\n"), "{text}");
}

#[test]
fn sigterm_flushes_what_is_queued_before_closing() {
    for_each_model(|model| {
        let mut server = Server::start(model, &[]);
        let (mut reader, _) = server.join();
        let (mut talker, nick) = server.join();
        reader.line();
        // 400 KB for a client that is not reading yet: part sits in socket buffers, the rest
        // in the server's queue for it.
        let text = "q".repeat(2000);
        for i in 0..200 {
            talker.say(&format!("{i:03}{text}"));
        }
        // Its reply proves every line before it was handled.
        talker.say("/who");
        talker.until(|l| l.starts_with("* online"));
        server.signal(libc::SIGTERM);
        for i in 0..200 {
            assert_eq!(reader.line(), format!("{nick}: {i:03}{text}"), "{model}");
        }
        assert_eq!(reader.until_eof(), ["* server shutting down"], "{model}");
        assert_eq!(server.wait_exit(), Some(0), "{model}");
    });
}
