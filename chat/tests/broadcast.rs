//! Broadcast delivery, for every model: once, in order, to every other client; to a client
//! reading one byte at a time; to 500 clients at once.

mod common;
use common::*;
use std::io::Read;

#[test]
fn broadcast_reaches_every_other_client_once_and_in_order() {
    for_each_model(|model| {
        let server = Server::start(model, &[]);
        let (mut a, nick_a) = server.join();
        let (mut b, nick_b) = server.join();
        let (mut c, _) = server.join();
        a.until(|l| l.ends_with("joined") && !l.contains(&nick_b));
        b.until(|l| l.ends_with("joined"));
        for i in 0..200 {
            a.say(&format!("a-{i}"));
            b.say(&format!("b-{i}"));
        }
        // C gets each sender's lines once and in order (the two senders interleave freely).
        let (mut next_a, mut next_b) = (0, 0);
        while next_a < 200 || next_b < 200 {
            let l = c.line();
            if let Some(rest) = l.strip_prefix(&format!("{nick_a}: ")) {
                assert_eq!(rest, format!("a-{next_a}"), "{model}");
                next_a += 1;
            } else if let Some(rest) = l.strip_prefix(&format!("{nick_b}: ")) {
                assert_eq!(rest, format!("b-{next_b}"), "{model}");
                next_b += 1;
            } else {
                panic!("{model}: unexpected line {l:?}");
            }
        }
        // B gets all of A's and none of its own; A none of its own.
        let (before, _) = b.until(|l| l == format!("{nick_a}: a-199"));
        let from_a: Vec<_> = before.iter().filter(|l| l.starts_with(&nick_a)).collect();
        assert_eq!(from_a.len(), 199, "{model}");
        assert!(
            before.iter().all(|l| !l.starts_with(&format!("{nick_b}:"))),
            "{model}"
        );
        let (before, _) = a.until(|l| l == format!("{nick_b}: b-199"));
        assert_eq!(before.len(), 199, "{model}: A got {before:?}");
        assert!(
            before.iter().all(|l| l.starts_with(&format!("{nick_b}: "))),
            "{model}"
        );
    });
}

#[test]
fn a_client_reading_one_byte_at_a_time_gets_everything() {
    for_each_model(|model| {
        let server = Server::start(model, &[]);
        let (mut slow, _) = server.join();
        let (mut talker, nick) = server.join();
        let mut want = String::new();
        for i in 0..300 {
            let text = format!("message {i} {}", "x".repeat(i % 50));
            want.push_str(&format!("{nick}: {text}\n"));
            talker.say(&text);
        }
        let join_notice = format!("* {nick} joined\n");
        let total = join_notice.len() + want.len();
        let mut got = Vec::with_capacity(total);
        let mut byte = [0u8; 1];
        while got.len() < total {
            let n = slow.reader.get_mut().read(&mut byte).expect("read");
            assert_eq!(n, 1, "{model}: EOF after {} bytes", got.len());
            got.push(byte[0]);
        }
        assert_eq!(
            String::from_utf8(got).unwrap(),
            join_notice + &want,
            "{model}"
        );
    });
}

#[test]
fn five_hundred_concurrent_clients_all_receive() {
    const N: usize = 500;
    raise_fd_limit(4 * N as u64 * 5 + 256);
    for_each_model(|model| {
        let server = Server::start(model, &["--max-clients", "1000", "--workers", "520"]);
        let mut clients: Vec<(Client, String)> = (0..N).map(|_| server.join()).collect();
        let (speaker, nick) = &mut clients[0];
        speaker.say("hello, all 500");
        let nick = nick.clone();
        let want = format!("{nick}: hello, all 500");
        for (i, (c, _)) in clients.iter_mut().enumerate().skip(1) {
            let (before, _) = c.until(|l| l == want);
            // Before the message: only join notices of those who came later.
            assert!(
                before.iter().all(|l| l.ends_with(" joined")),
                "{model}: client {i} got {before:?}"
            );
            assert_eq!(before.len(), N - 1 - i, "{model}: client {i}");
        }
        let (speaker, _) = &mut clients[0];
        speaker.say("/who");
        let (_, who) = speaker.until(|l| l.starts_with("* online"));
        assert!(who.starts_with(&format!("* online ({N})")), "{model}");
    });
}
