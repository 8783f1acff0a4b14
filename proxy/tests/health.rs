//! Upstream choice and health against the real binary: least-connections sends new clients
//! to the least busy server; a server that fails `max_fails` connects in a row is out for
//! `fail_timeout` and then back; with active checks a dead server is out before any client
//! tries it, and back once a check succeeds.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::Ordering;
use std::time::Instant;

#[test]
fn least_connections_sends_new_clients_to_the_least_busy_server() {
    let (a, count_a) = server(echo);
    let (b, count_b) = server(echo);
    let p = Proxy::start(&[a, b], &["--balance", "least-connections"]);
    // A held connection on the first server.
    let mut held = p.connect();
    held.write_all(b"x").unwrap();
    held.read_exact(&mut [0u8; 1]).unwrap();
    assert_eq!(count_a.load(Ordering::SeqCst), 1);
    // Round-robin would alternate; least-connections sends every short one to the other.
    for _ in 0..3 {
        round_trip(&p, 1024);
        assert!(p.conn_line().contains(&format!("upstream={b}")));
    }
    assert_eq!(count_a.load(Ordering::SeqCst), 1);
    assert_eq!(count_b.load(Ordering::SeqCst), 3);
    // The held one still works.
    held.write_all(b"y").unwrap();
    held.read_exact(&mut [0u8; 1]).unwrap();
}

#[test]
fn a_server_failing_connects_in_a_row_is_out_for_a_while_then_back() {
    let a = dead_port();
    let (b, _) = server(echo);
    let p = Proxy::start(&[a, b], &["--max-fails", "2", "--fail-timeout", "0.5"]);
    let refused = format!("connect to {a}");
    // Before it is taken out: it comes back no sooner than fail_timeout after this.
    let t0 = Instant::now();
    // Clients start at a and b in turn; those starting at a go on to b.
    for _ in 0..4 {
        round_trip(&p, 100);
        p.conn_line();
    }
    assert_eq!(p.count(&refused), 2, "{:#?}", p.seen.borrow());
    assert_eq!(
        p.count(&format!("upstream {a} of group default out after 2")),
        1
    );
    // Out: no client tries it.
    for _ in 0..4 {
        round_trip(&p, 100);
        p.conn_line();
    }
    assert_eq!(p.count(&refused), 2);
    // It comes to life; once fail_timeout has passed, clients reach it again.
    let (_, count_a) = server_on(TcpListener::bind(a).unwrap(), echo);
    let start = Instant::now();
    while count_a.load(Ordering::SeqCst) == 0 {
        assert!(start.elapsed() < WAIT, "never back");
        round_trip(&p, 100);
        p.conn_line();
    }
    assert!(t0.elapsed().as_secs_f64() >= 0.5, "back too soon");
    assert_eq!(
        p.count(&format!("upstream {a} of group default back in")),
        1
    );
}

#[test]
fn active_checks_take_a_dead_server_out_and_bring_it_back() {
    let a = dead_port();
    let (b, _) = server(echo);
    let p = Proxy::start(
        &[a, b],
        &[
            "--health-check",
            "0.05",
            "--max-fails",
            "2",
            "--fail-timeout",
            "60",
        ],
    );
    p.wait_for(|l| {
        l.contains(&format!(
            "upstream {a} of group default out after 2 failed checks"
        ))
    });
    // Out before any client: none tries it.
    for _ in 0..4 {
        round_trip(&p, 100);
        assert!(p.conn_line().contains(&format!("upstream={b}")));
    }
    assert_eq!(p.count(&format!("connect to {a}")), 0);
    // It comes to life: a check brings it back (not the 60 s fail_timeout).
    let (_, count_a) = server_on(TcpListener::bind(a).unwrap(), echo);
    p.wait_for(|l| {
        l.contains(&format!(
            "upstream {a} of group default back in (check succeeded)"
        ))
    });
    // Round-robin: one of the next two clients goes to it.
    let mut lines = Vec::new();
    for _ in 0..2 {
        round_trip(&p, 100);
        lines.push(p.conn_line());
    }
    assert!(
        lines.iter().any(|l| l.contains(&format!("upstream={a}"))),
        "{lines:#?}"
    );
    assert!(count_a.load(Ordering::SeqCst) > 0);
}
