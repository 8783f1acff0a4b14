//! The commands and the text policy, for every model, against the real server.

mod common;
use common::*;

#[test]
fn greeting_nick_who_me_help_unknown_quit_and_notices() {
    for_each_model(|model| {
        let server = Server::start(model, &[]);
        let (mut a, nick_a) = server.join();
        assert!(nick_a.starts_with("guest"), "{model}: {nick_a}");
        let (mut b, nick_b) = server.join();
        assert_ne!(nick_a, nick_b);
        assert_eq!(a.line(), format!("* {nick_b} joined"), "{model}");

        a.say("/nick alice");
        assert_eq!(a.line(), format!("* {nick_a} is now alice"), "{model}");
        assert_eq!(b.line(), format!("* {nick_a} is now alice"), "{model}");
        b.say("/nick Alice");
        assert_eq!(b.line(), "! nick Alice is taken", "{model}");
        b.say("/nick no spaces");
        assert!(b.line().starts_with("! invalid nick"), "{model}");

        b.say("/who");
        assert_eq!(
            b.line(),
            format!("* online (2): alice, {nick_b}"),
            "{model}"
        );
        a.say("/me waves");
        assert_eq!(a.line(), "* alice waves", "{model}");
        assert_eq!(b.line(), "* alice waves", "{model}");
        a.say("/help");
        assert!(
            a.line().starts_with("* commands: /nick NAME, /who"),
            "{model}"
        );
        a.say("/dance now");
        assert_eq!(a.line(), "! unknown command /dance (try /help)", "{model}");
        a.say("//not a command");
        assert_eq!(b.line(), "alice: /not a command", "{model}");

        b.say("/quit");
        assert_eq!(b.line(), "* bye", "{model}");
        assert!(b.until_eof().is_empty(), "{model}");
        assert_eq!(a.line(), format!("* {nick_b} left"), "{model}");

        // A client that just disconnects is announced too.
        let (c, nick_c) = server.join();
        assert_eq!(a.line(), format!("* {nick_c} joined"), "{model}");
        drop(c);
        assert_eq!(a.line(), format!("* {nick_c} left"), "{model}");

        // One that resets its connection (SO_LINGER 0: close sends RST) is announced as
        // such, and is not a server error (the reset is the peer's doing).
        let (d, nick_d) = server.join();
        assert_eq!(a.line(), format!("* {nick_d} joined"), "{model}");
        let linger = libc::linger {
            l_onoff: 1,
            l_linger: 0,
        };
        // SAFETY: setsockopt reads our live linger struct of the given size.
        let rc = unsafe {
            libc::setsockopt(
                std::os::fd::AsRawFd::as_raw_fd(d.stream()),
                libc::SOL_SOCKET,
                libc::SO_LINGER,
                &linger as *const libc::linger as *const libc::c_void,
                std::mem::size_of::<libc::linger>() as libc::socklen_t,
            )
        };
        assert_eq!(rc, 0);
        drop(d);
        assert_eq!(
            a.line(),
            format!("* {nick_d} left (connection reset)"),
            "{model}"
        );
    });
}

/// A small deterministic generator for the garbage part of the corpus.
fn garbage(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as u8
        })
        .collect()
}

#[test]
fn malformed_input_corpus_is_handled_and_nothing_is_lost() {
    for_each_model(|model| {
        let server = Server::start(model, &["--max-line", "100"]);
        let (mut a, nick_a) = server.join();
        let (mut b, nick_b) = server.join();
        a.line();
        let p = format!("{nick_a}: ");
        // (what A sends, what B receives from it, what A receives back)
        let corpus: Vec<(Vec<u8>, Option<String>, Option<&str>)> = vec![
            (b"caf\xc3\xa9\n".to_vec(), Some(format!("{p}café")), None),
            (
                b"bad \xff\xfe utf8\n".to_vec(),
                Some(format!("{p}bad \u{FFFD}\u{FFFD} utf8")),
                None,
            ),
            (
                b"truncated \xe2\x82\n".to_vec(),
                Some(format!("{p}truncated \u{FFFD}")),
                None,
            ),
            (
                b"crlf line\r\n".to_vec(),
                Some(format!("{p}crlf line")),
                None,
            ),
            (
                b"lone\rcr\n".to_vec(),
                Some(format!("{p}lone\u{FFFD}cr")),
                None,
            ),
            (
                b"nul\0byte\n".to_vec(),
                None,
                Some("! NUL bytes are not allowed, line dropped"),
            ),
            (
                b"esc\x1b[2J\x07\n".to_vec(),
                Some(format!("{p}esc\u{FFFD}[2J\u{FFFD}")),
                None,
            ),
            (b"\n\r\n\n".to_vec(), None, None),
            (
                [b"y".repeat(101), b"\n".to_vec()].concat(),
                None,
                Some("! line too long (max 100 bytes), dropped"),
            ),
            (
                [b"z".repeat(5000), b"\r\n".to_vec()].concat(),
                None,
                Some("! line too long (max 100 bytes), dropped"),
            ),
            (
                [b"w".repeat(100), b"\r\n".to_vec()].concat(),
                Some(format!("{p}{}", "w".repeat(100))),
                None,
            ),
            (
                b"/\n".to_vec(),
                None,
                Some("! unknown command / (try /help)"),
            ),
            (
                b"/nick \xff\n".to_vec(),
                None,
                Some("! invalid nick: use 1 to 24 letters, digits, '_' or '-'"),
            ),
            (b"after\n".to_vec(), Some(format!("{p}after")), None),
        ];
        for (send, _, _) in &corpus {
            a.send(send);
        }
        for (_, to_b, to_a) in &corpus {
            if let Some(want) = to_b {
                assert_eq!(&b.line(), want, "{model}");
            }
            if let Some(want) = to_a {
                assert_eq!(a.line(), *want, "{model}");
            }
        }
        // Random bytes, newlines included: whatever comes out is valid UTF-8 lines (checked
        // by Client::line) and the server keeps serving.
        a.send(&garbage(64 * 1024, 0x9e3779b97f4a7c15));
        a.send(b"\n/who\n");
        a.until(|l| l.starts_with("* online (2)"));
        b.say("still working");
        a.until(|l| l == format!("{nick_b}: still working"));
    });
}
