//! Limits and policies, for every model: slow consumers are cut off while the others keep
//! receiving, a full server refuses with a line, idle clients are closed.

mod common;
use common::*;

#[test]
fn a_slow_consumer_is_cut_off_while_the_others_keep_receiving() {
    // The talker sends 8 lines at a time and waits until the reader has them all, so the
    // reader is never behind by more than 32 KB (under the 64 KiB limit). The slow client
    // never reads: the server's queue for it grows until it is cut off. Sending goes on until
    // that is seen, then 80 lines more: the others are unaffected.
    const LEN: usize = 4000;
    const GUARD_LINES: usize = 20_000;
    for_each_model(|model| {
        let server = Server::start(model, &["--max-queue", "65536", "--max-line", "8192"]);
        let mut slow = Client::connect_small_rcvbuf(server.addr, 4096);
        let greeting = slow.line();
        let nick_slow = greeting
            .strip_prefix("* welcome to chat, you are ")
            .and_then(|r| r.split(';').next())
            .expect("greeting")
            .to_string();
        let (mut reader, _) = server.join();
        let (mut talker, nick_t) = server.join();
        reader.until(|l| l.ends_with("joined"));
        let cut_notice = format!("* {nick_slow} left (too slow)");
        let mut sent = 0;
        let mut cut_at = None;
        while cut_at.is_none_or(|c| sent < c + 80) {
            assert!(
                sent < GUARD_LINES,
                "{model}: the slow consumer was never cut off"
            );
            let mut batch = Vec::new();
            for i in sent..sent + 8 {
                batch.extend_from_slice(format!("{i:06}{}\n", "m".repeat(LEN - 6)).as_bytes());
            }
            talker.send(&batch);
            for i in sent..sent + 8 {
                let mut l = reader.line();
                if l == cut_notice {
                    cut_at = Some(sent);
                    l = reader.line();
                }
                let body = l
                    .strip_prefix(&format!("{nick_t}: "))
                    .unwrap_or_else(|| panic!("{model}: unexpected {l:.80}"));
                assert_eq!(&body[..6], format!("{i:06}"), "{model}");
            }
            sent += 8;
        }
        // The slow client finds its connection closed after whatever was buffered for it.
        slow.drain_to_eof();
        talker.say("/who");
        let (_, who) = talker.until(|l| l.starts_with("* online"));
        assert!(who.starts_with("* online (2)"), "{model}: {who}");
    });
}

#[test]
fn past_max_clients_the_next_gets_server_full_and_is_closed() {
    for_each_model(|model| {
        let server = Server::start(
            model,
            &["--max-clients", "2", "--workers", "2", "--pool-queue", "4"],
        );
        let (mut a, _) = server.join();
        let (_b, _) = server.join();
        a.line();
        let mut c = server.connect();
        assert_eq!(c.until_eof(), ["! server full"], "{model}");
        // The two inside are unaffected.
        a.say("/who");
        assert!(a.line().starts_with("* online (2)"), "{model}");
    });
}

#[test]
fn an_idle_client_is_told_and_closed() {
    for_each_model(|model| {
        let server = Server::start(model, &["--idle-timeout", "1"]);
        let (mut a, _) = server.join();
        assert_eq!(a.until_eof(), ["! idle timeout, closing"], "{model}");
    });
}

#[test]
fn select_refuses_descriptors_beyond_fd_setsize_and_keeps_serving() {
    // Enough clients to push the server's descriptors past 1024.
    const N: usize = 1100;
    raise_fd_limit(N as u64 + 256);
    let server = Server::start("select", &["--max-clients", "5000"]);
    let mut greeted = Vec::new();
    let mut refused = 0;
    for _ in 0..N {
        let mut c = server.connect();
        let first = c.line();
        if first.starts_with("* welcome") {
            greeted.push(c);
        } else {
            assert!(first.starts_with("! descriptor "), "{first}");
            assert!(first.contains("FD_SETSIZE"), "{first}");
            assert!(c.until_eof().is_empty());
            refused += 1;
        }
    }
    assert!(refused > 0, "no descriptor reached FD_SETSIZE");
    assert!(
        greeted.len() >= 1000,
        "only {} clients served",
        greeted.len()
    );
    let c = &mut greeted[0];
    c.say("/who");
    let (_, who) = c.until(|l| l.starts_with("* online"));
    assert!(
        who.starts_with(&format!("* online ({})", greeted.len())),
        "{:.40}",
        who
    );
}
