//! The PROXY protocol header (HAProxy's, versions 1 and 2) that tells a server who the
//! client is: sent to the server first, before any byte of the client's, when the group asks
//! (`send_proxy v1|v2`). Version 1 is a text line, version 2 a binary block; both carry the
//! client's address and the address it connected to (the proxy's listener).
//!
//! A client address of another family than the listener's (an IPv4 client on an IPv6
//! listener) is sent as IPv6 with the IPv4 address mapped; an unknown client is sent as
//! `UNKNOWN` (v1) or the `LOCAL` command (v2), as the specification says.

use crate::config::ProxyHeader;
use std::net::{IpAddr, SocketAddr};

/// The v2 signature: the first 12 bytes of every v2 header.
pub(crate) const V2_SIGNATURE: [u8; 12] = *b"\r\n\r\n\0\r\nQUIT\n";

/// The header for a client `src` that connected to `dst`.
pub(crate) fn header(version: ProxyHeader, src: Option<SocketAddr>, dst: SocketAddr) -> Vec<u8> {
    let pair = src.map(|s| same_family(s, dst));
    match version {
        ProxyHeader::V1 => match pair {
            None => b"PROXY UNKNOWN\r\n".to_vec(),
            Some((s, d)) => {
                let fam = if s.is_ipv4() { "TCP4" } else { "TCP6" };
                format!(
                    "PROXY {fam} {} {} {} {}\r\n",
                    s.ip(),
                    d.ip(),
                    s.port(),
                    d.port()
                )
                .into_bytes()
            }
        },
        ProxyHeader::V2 => {
            let mut h = V2_SIGNATURE.to_vec();
            match pair {
                None => {
                    // Version 2, LOCAL; family unspecified; no addresses.
                    h.extend_from_slice(&[0x20, 0x00, 0, 0]);
                }
                Some((s, d)) => {
                    let mut body = Vec::with_capacity(36);
                    let fam = match (s.ip(), d.ip()) {
                        (IpAddr::V4(a), IpAddr::V4(b)) => {
                            body.extend_from_slice(&a.octets());
                            body.extend_from_slice(&b.octets());
                            0x11 // TCP over IPv4
                        }
                        (a, b) => {
                            body.extend_from_slice(&v6(a).octets());
                            body.extend_from_slice(&v6(b).octets());
                            0x21 // TCP over IPv6
                        }
                    };
                    body.extend_from_slice(&s.port().to_be_bytes());
                    body.extend_from_slice(&d.port().to_be_bytes());
                    // Version 2, PROXY.
                    h.extend_from_slice(&[0x21, fam]);
                    h.extend_from_slice(&(body.len() as u16).to_be_bytes());
                    h.extend_from_slice(&body);
                }
            }
            h
        }
    }
}

fn v6(ip: IpAddr) -> std::net::Ipv6Addr {
    match ip {
        IpAddr::V4(a) => a.to_ipv6_mapped(),
        IpAddr::V6(a) => a,
    }
}

/// Both addresses in one family: IPv6 (mapped) unless both are IPv4.
fn same_family(s: SocketAddr, d: SocketAddr) -> (SocketAddr, SocketAddr) {
    if s.is_ipv4() == d.is_ipv4() {
        return (s, d);
    }
    (
        SocketAddr::new(IpAddr::V6(v6(s.ip())), s.port()),
        SocketAddr::new(IpAddr::V6(v6(d.ip())), d.port()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_1_is_the_specified_line() {
        let s = "192.0.2.1:5000".parse().unwrap();
        let d = "198.51.100.2:80".parse().unwrap();
        assert_eq!(
            header(ProxyHeader::V1, Some(s), d),
            b"PROXY TCP4 192.0.2.1 198.51.100.2 5000 80\r\n"
        );
        let s6 = "[2001:db8::1]:5000".parse().unwrap();
        assert_eq!(
            header(ProxyHeader::V1, Some(s6), d),
            b"PROXY TCP6 2001:db8::1 ::ffff:198.51.100.2 5000 80\r\n"
        );
        assert_eq!(header(ProxyHeader::V1, None, d), b"PROXY UNKNOWN\r\n");
    }

    #[test]
    fn version_2_is_the_specified_block() {
        let s = "192.0.2.1:5000".parse().unwrap();
        let d = "198.51.100.2:80".parse().unwrap();
        let h = header(ProxyHeader::V2, Some(s), d);
        assert_eq!(&h[..12], &V2_SIGNATURE);
        assert_eq!(&h[12..16], &[0x21, 0x11, 0, 12]);
        assert_eq!(&h[16..20], &[192, 0, 2, 1]);
        assert_eq!(&h[20..24], &[198, 51, 100, 2]);
        assert_eq!(&h[24..28], &[0x13, 0x88, 0, 80]);
        assert_eq!(h.len(), 28);
        let s6 = "[2001:db8::1]:5000".parse().unwrap();
        let h = header(ProxyHeader::V2, Some(s6), d);
        assert_eq!(&h[12..16], &[0x21, 0x21, 0, 36]);
        assert_eq!(h.len(), 16 + 36);
        assert_eq!(&header(ProxyHeader::V2, None, d)[12..], &[0x20, 0, 0, 0]);
    }
}
