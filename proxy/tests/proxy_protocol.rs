//! The PROXY protocol header to upstreams (`send_proxy v1|v2`), parsed on the upstream's
//! side: it comes first, names the client's address and the proxy's listener, and the
//! client's own bytes follow intact.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Shutdown, SocketAddr, TcpStream};

/// Reads a v1 or v2 header, answers `SRC DST\n` with what it says, then echoes.
fn parse_then_echo(s: TcpStream, _: usize) {
    let mut r = BufReader::new(s.try_clone().unwrap());
    let mut first = [0u8; 12];
    r.read_exact(&mut first[..5]).unwrap();
    let (src, dst) = if &first[..5] == b"PROXY" {
        let mut line = String::new();
        r.read_line(&mut line).unwrap();
        let w: Vec<&str> = line.trim_end_matches("\r\n").split(' ').collect();
        assert_eq!(w[..2], ["", "TCP4"], "{line:?}");
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let port = |s: &str| s.parse::<u16>().unwrap();
        (
            SocketAddr::new(ip(w[2]), port(w[4])),
            SocketAddr::new(ip(w[3]), port(w[5])),
        )
    } else {
        r.read_exact(&mut first[5..]).unwrap();
        assert_eq!(&first, b"\r\n\r\n\0\r\nQUIT\n");
        let mut h = [0u8; 4];
        r.read_exact(&mut h).unwrap();
        assert_eq!(h[..2], [0x21, 0x11], "v2, PROXY, TCP over IPv4");
        let len = u16::from_be_bytes([h[2], h[3]]) as usize;
        assert_eq!(len, 12);
        let mut b = [0u8; 12];
        r.read_exact(&mut b).unwrap();
        let v4 = |o: &[u8]| IpAddr::V4(Ipv4Addr::new(o[0], o[1], o[2], o[3]));
        (
            SocketAddr::new(v4(&b[0..4]), u16::from_be_bytes([b[8], b[9]])),
            SocketAddr::new(v4(&b[4..8]), u16::from_be_bytes([b[10], b[11]])),
        )
    };
    let mut w = s;
    writeln!(w, "{src} {dst}").unwrap();
    let _ = std::io::copy(&mut r, &mut w);
    let _ = w.shutdown(Shutdown::Write);
}

fn check(version: &str) {
    let (up, _) = server(parse_then_echo);
    let p = Proxy::start(&[up], &["--send-proxy", version]);
    let mut s = p.connect();
    // Client bytes sent at once wait behind the header.
    s.write_all(b"hello through the proxy").unwrap();
    s.shutdown(Shutdown::Write).unwrap();
    let mut got = String::new();
    s.read_to_string(&mut got).unwrap();
    let want = format!(
        "{} {}\nhello through the proxy",
        s.local_addr().unwrap(),
        p.addr
    );
    assert_eq!(got, want, "{version}");
    let line = p.conn_line();
    assert!(
        line.contains("up=23 ") && line.contains("end=closed"),
        "{line}"
    );
}

#[test]
fn a_v1_header_names_the_client_and_comes_first() {
    check("v1");
}

#[test]
fn a_v2_header_names_the_client_and_comes_first() {
    check("v2");
}
