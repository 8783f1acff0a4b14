//! `struct sockaddr` as strace 6.1's sockaddr.c prints it: the family, then the fields of
//! the families it knows (UNIX, INET, INET6, IPX, AX.25, X.25, NETLINK, PACKET, RxRPC,
//! IEEE 802.15.4, ALG, NFC, VSOCK, QIPCRTR, XDP, MCTP; Bluetooth by the length, which
//! tells its HCI, SCO, RFCOMM and L2CAP forms apart) when the length covers their struct,
//! else `sa_data` as a string; each under the `-X` style as strace has it.

use super::Call;
use crate::cli::XlatStyle;
use crate::format;
use crate::uapi::xlat::net::{ADDRESS_FAMILIES, SOCK_TYPES};
use crate::uapi::xlat::sockaddr::{
    AF_PACKET_TYPES, ALG_SOCKADDR_FLAGS, ARP_HARDWARE_TYPES, BDADDR_TYPES, BLUETOOTH_L2_CID,
    BLUETOOTH_L2_PSM, ETHERNET_PROTOCOLS, HCI_CHANNELS, IEEE802154_ADDRS, IEEE802154_ADDR_TYPES,
    IEEE802154_PAN_IDS, MCTP_ADDRS, MCTP_NETS, NFC_SAPS, NFC_SOCKADDR_PROTOCOLS, QIPCRTR_NODES,
    QIPCRTR_PORTS, RXRPC_SERVICES, VSOCK_CIDS, VSOCK_FLAGS, VSOCK_PORTS, XDP_SOCKADDR_FLAGS,
};

/// What strace reads of a sockaddr: at most a `sockaddr_storage`.
const STORAGE: usize = 128;

/// The sockaddr of `len` bytes at `addr`, or None when strace prints the address (a
/// length below 2, memory it cannot read, a call `-e verbose=` leaves out).
pub(crate) fn sockaddr_text(c: &Call, addr: u64, len: u32) -> Option<String> {
    let len = len as i32;
    if len < 2 {
        return None;
    }
    let len = (len as usize).min(STORAGE);
    let mut bytes = c.mem.read_struct(addr, len)?;
    // strace decodes from a zeroed buffer one byte longer than sockaddr_storage; the
    // family printers read fields past a short length as zeros.
    bytes.resize(2 * STORAGE, 0);
    Some(Sockaddr { c, b: &bytes, len }.text())
}

/// One sockaddr being printed: its bytes (zero-padded) and the length given.
struct Sockaddr<'a> {
    c: &'a Call,
    b: &'a [u8],
    len: usize,
}

impl Sockaddr<'_> {
    fn style(&self) -> XlatStyle {
        self.c.style()
    }

    fn u8_at(&self, o: usize) -> u8 {
        self.b[o]
    }

    fn u16_at(&self, o: usize) -> u16 {
        u16::from_ne_bytes([self.b[o], self.b[o + 1]])
    }

    fn u32_at(&self, o: usize) -> u32 {
        u32::from_ne_bytes(self.b[o..o + 4].try_into().expect("4 bytes"))
    }

    fn u64_at(&self, o: usize) -> u64 {
        u64::from_ne_bytes(self.b[o..o + 8].try_into().expect("8 bytes"))
    }

    /// print_quoted_string with style 0: every byte, escaped as `-x` says.
    fn string(&self, o: usize, size: usize) -> String {
        format::quote(&self.b[o..o + size], self.c.opts.hex)
    }

    /// print_quoted_string with QUOTE_0_TERMINATED: up to `size - 1` bytes, ending at a
    /// NUL; and whether none ended it (the byte after those is not a NUL either).
    fn cstring(&self, o: usize, size: usize) -> (String, bool) {
        let max = size.saturating_sub(1);
        let field = &self.b[o..o + max];
        match field.iter().position(|&b| b == 0) {
            Some(end) => (format::quote(&field[..end], self.c.opts.hex), false),
            None => (format::quote(field, self.c.opts.hex), self.b[o + max] != 0),
        }
    }

    fn text(&self) -> String {
        let family = self.u16_at(0);
        let mut s = format!(
            "{{sa_family={}",
            format::xlat(u64::from(family), ADDRESS_FAMILIES, "AF_???", self.style())
        );
        if self.len > 2 {
            s.push_str(", ");
            let decoded = match (family, self.len) {
                (1, 3..) => Some(self.unix()),
                (2, 16..) => Some(self.inet(0)),
                (3, 16..) => Some(self.ax25()),
                (4, 16..) => Some(self.ipx()),
                (9, 18..) => Some(self.x25()),
                (10, 24..) => Some(self.inet6(0, self.len)),
                (16, 12..) => Some(self.netlink()),
                (17, 20..) => Some(self.packet()),
                (31, 3..) => self.bluetooth(),
                (33, 36..) => Some(self.rxrpc()),
                (36, 20..) => Some(self.ieee802154()),
                (38, 25..) => Some(self.alg()),
                (39, 16..) => Some(self.nfc()),
                (40, 16..) => Some(self.vsock()),
                (42, 12..) => Some(self.qipcrtr()),
                (44, 16..) => Some(self.xdp()),
                (45, 12..) => Some(self.mctp()),
                _ => None,
            };
            s.push_str(
                &decoded.unwrap_or_else(|| format!("sa_data={}", self.string(2, self.len - 2))),
            );
        }
        s.push('}');
        s
    }

    /// A field in network byte order: its bytes under `-X raw`, `htons(N)` (or what
    /// `decoded` says) otherwise, both under `-X verbose`.
    fn network(&self, o: usize, size: usize, decoded: String) -> String {
        let raw = format::quote(&self.b[o..o + size], 2);
        match self.style() {
            XlatStyle::Raw => raw,
            XlatStyle::Abbrev => decoded,
            XlatStyle::Verbose => format!("{raw} /* {decoded} */"),
        }
    }

    fn port(&self, o: usize) -> String {
        let port = u16::from_be_bytes([self.b[o], self.b[o + 1]]);
        self.network(o, 2, format!("htons({port})"))
    }

    /// `sun_path="/tmp/sock"`, `sun_path=@"abstract"`.
    fn unix(&self) -> String {
        let path_len = self.len.min(110) - 2;
        if self.b[2] != 0 {
            let (q, _) = self.cstring(2, path_len + 1);
            format!("sun_path={q}")
        } else {
            format!("sun_path=@{}", self.string(3, path_len - 1))
        }
    }

    /// `sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")` of the sockaddr_in at `o`.
    fn inet(&self, o: usize) -> String {
        let ip =
            std::net::Ipv4Addr::new(self.b[o + 4], self.b[o + 5], self.b[o + 6], self.b[o + 7]);
        let addr = match self.style() {
            XlatStyle::Abbrev => format!("inet_addr(\"{ip}\")"),
            _ => self.network(o + 4, 4, format!("inet_addr(\"{ip}\")")),
        };
        format!("sin_port={}, sin_addr={addr}", self.port(o + 2))
    }

    /// The sockaddr_in6 at `o` of `len` bytes: the scope id only when it was given, as
    /// an interface for a link-local address.
    fn inet6(&self, o: usize, len: usize) -> String {
        let flow = u32::from_be_bytes(self.b[o + 4..o + 8].try_into().expect("4 bytes"));
        let octets: [u8; 16] = self.b[o + 8..o + 24].try_into().expect("16 bytes");
        let ip = std::net::Ipv6Addr::from(octets);
        let addr = match self.style() {
            XlatStyle::Abbrev => format!("inet_pton(AF_INET6, \"{ip}\", &sin6_addr)"),
            _ => format!(
                "sin6_addr={}",
                self.network(o + 8, 16, format!("inet_pton(AF_INET6, \"{ip}\")"))
            ),
        };
        let mut s = format!(
            "sin6_port={}, sin6_flowinfo={}, {addr}",
            self.port(o + 2),
            self.network(o + 4, 4, format!("htonl({flow})"))
        );
        if len > 24 {
            let scope = self.u32_at(o + 24);
            let link_local = (octets[0] == 0xfe && octets[1] & 0xc0 == 0x80)
                || (octets[0] == 0xff && octets[1] & 0xf == 2);
            if link_local {
                s.push_str(&format!(", sin6_scope_id={}", self.ifindex(scope)));
            } else {
                s.push_str(&format!(", sin6_scope_id={scope}"));
            }
        }
        s
    }

    /// strace's print_ifindex: `if_nametoindex("lo")` for an interface that exists.
    fn ifindex(&self, index: u32) -> String {
        let name =
            interface_name(index).map(|n| format!("if_nametoindex({})", format::quote(&n, 0)));
        match (name, self.style()) {
            (Some(n), XlatStyle::Abbrev) => n,
            (Some(n), XlatStyle::Verbose) => format!("{index} /* {n} */"),
            _ => index.to_string(),
        }
    }

    fn ipx(&self) -> String {
        let node: Vec<String> = (0..6)
            .map(|i| hex0(u64::from(self.u8_at(8 + i)), 2))
            .collect();
        let mut s = format!(
            "sipx_port={}, sipx_network=htonl({}), sipx_node=[{}], sipx_type={}",
            self.port(2),
            format::hex(u64::from(u32::from_be_bytes(
                self.b[4..8].try_into().expect("4 bytes")
            ))),
            node.join(", "),
            hex0(u64::from(self.u8_at(14)), 2)
        );
        if self.u8_at(15) != 0 {
            s.push_str(&format!(
                ", sipx_zero={}",
                format::hex(u64::from(self.u8_at(15)))
            ));
        }
        s
    }

    fn x25(&self) -> String {
        let (q, unterminated) = self.cstring(2, 16);
        let more = if unterminated { "..." } else { "" };
        format!("sx25_addr={{x25_addr={q}{more}}}")
    }

    fn netlink(&self) -> String {
        let mut s = String::new();
        let pad = self.u16_at(2);
        if pad != 0 {
            s.push_str(&format!("nl_pad={}, ", format::hex(u64::from(pad))));
        }
        s.push_str(&format!(
            "nl_pid={}, nl_groups={}",
            self.u32_at(4) as i32,
            hex0(u64::from(self.u32_at(8)), 8)
        ));
        s
    }

    fn packet(&self) -> String {
        let proto = u16::from_be_bytes([self.b[2], self.b[3]]);
        let proto_name = format::xlat(
            u64::from(proto),
            ETHERNET_PROTOCOLS,
            "ETH_P_???",
            XlatStyle::Abbrev,
        );
        let mut s = format!(
            "sll_protocol={}, sll_ifindex={}, sll_hatype={}, sll_pkttype={}, sll_halen={}",
            self.network(2, 2, format!("htons({proto_name})")),
            self.ifindex(self.u32_at(4)),
            format::xlat(
                u64::from(self.u16_at(8)),
                ARP_HARDWARE_TYPES,
                "ARPHRD_???",
                self.style()
            ),
            format::xlat(
                u64::from(self.u8_at(10)),
                AF_PACKET_TYPES,
                "PACKET_???",
                self.style()
            ),
            self.u8_at(11)
        );
        let halen = usize::from(self.u8_at(11));
        if halen != 0 {
            let in_bounds = self.len - 12;
            let mut addr = Vec::new();
            for i in 0..halen {
                if i >= in_bounds {
                    addr.push("...".to_string());
                    break;
                }
                addr.push(hex0(u64::from(self.u8_at(12 + i)), 2));
            }
            s.push_str(&format!(", sll_addr=[{}]", addr.join(", ")));
        }
        s
    }

    /// PRINT_FIELD_XVAL_VERBOSE: the value and its name in a comment (raw under -X raw).
    fn xval_verbose(&self, value: u64, table: &format::Xlat, dflt: &str) -> String {
        let style = match self.style() {
            XlatStyle::Raw => XlatStyle::Raw,
            _ => XlatStyle::Verbose,
        };
        format::xlat(value, table, dflt, style)
    }

    fn rxrpc(&self) -> String {
        let mut s = format!(
            "srx_service={}, transport_type={}, transport_len={}, transport={{",
            self.xval_verbose(u64::from(self.u16_at(2)), RXRPC_SERVICES, "???_SERVICE"),
            format::xlat(
                u64::from(self.u16_at(4)),
                SOCK_TYPES,
                "SOCK_???",
                self.style()
            ),
            self.u16_at(6)
        );
        let declared = usize::from(self.u16_at(6));
        let transport_len = declared.min(self.len - 8);
        let rest = transport_len.saturating_sub(2);
        let family = self.u16_at(8);
        let fam = |s: &Self| format::xlat(u64::from(family), ADDRESS_FAMILIES, "AF_???", s.style());
        match family {
            2 | 10 => {
                let (name, min) = if family == 2 {
                    ("sin", 16)
                } else {
                    ("sin6", 24)
                };
                s.push_str(&format!("{name}={{{name}_family={}", fam(self)));
                if declared >= min {
                    s.push_str(", ");
                    s.push_str(&if family == 2 {
                        self.inet(8)
                    } else {
                        self.inet6(8, transport_len)
                    });
                } else if rest > 0 {
                    s.push_str(&format!(", {}", self.string(10, rest)));
                }
                s.push('}');
            }
            _ => {
                s.push_str(&format!("family={}", fam(self)));
                if rest > 0 {
                    s.push_str(&format!(", {}", self.string(10, rest)));
                }
            }
        }
        s.push('}');
        s
    }

    fn ieee802154(&self) -> String {
        let addr_type = self.u32_at(4);
        let mut s = format!(
            "addr={{addr_type={}, pan_id={}",
            self.xval_verbose(
                u64::from(addr_type),
                IEEE802154_ADDR_TYPES,
                "IEEE802154_ADDR_???"
            ),
            self.xval_verbose(u64::from(self.u16_at(8)), IEEE802154_PAN_IDS, "")
        );
        match addr_type {
            0 => {}
            2 => s.push_str(&format!(
                ", short_addr={}",
                self.xval_verbose(u64::from(self.u16_at(10)), IEEE802154_ADDRS, "")
            )),
            _ => {
                let hw = &self.b[10..18];
                let mac: Vec<String> = hw.iter().map(|b| format!("{b:02x}")).collect();
                let mac = mac.join(":");
                let raw = format::quote(hw, 2);
                s.push_str(&match self.style() {
                    XlatStyle::Raw => format!(", hwaddr={raw}"),
                    XlatStyle::Abbrev => format!(", hwaddr={mac}"),
                    XlatStyle::Verbose => format!(", hwaddr={raw} /* {mac} */"),
                });
            }
        }
        s.push('}');
        s
    }

    /// print_quoted_string with QUOTE_0_TERMINATED | QUOTE_EXPECT_TRAILING_0: `...` after
    /// a string no NUL ended.
    fn expected_cstring(&self, o: usize, size: usize) -> String {
        let (q, unterminated) = self.cstring(o, size);
        if unterminated {
            format!("{q}...")
        } else {
            q
        }
    }

    fn alg(&self) -> String {
        let flags_verbose = |v: u32| {
            let style = match self.style() {
                XlatStyle::Raw => XlatStyle::Raw,
                _ => XlatStyle::Verbose,
            };
            printflags(
                u64::from(v),
                Some("CRYPTO_ALG_???"),
                style,
                ALG_SOCKADDR_FLAGS,
            )
        };
        format!(
            "salg_type={}, salg_feat={}, salg_mask={}, salg_name={}",
            self.expected_cstring(2, 14),
            flags_verbose(self.u32_at(16)),
            flags_verbose(self.u32_at(20)),
            self.expected_cstring(24, self.len - 24)
        )
    }

    fn nfc(&self) -> String {
        let mut s = format!(
            "dev_idx={}, target_idx={}, nfc_protocol={}",
            self.ifindex(self.u32_at(4)),
            format::hex(u64::from(self.u32_at(8))),
            format::xlat(
                u64::from(self.u32_at(12)),
                NFC_SOCKADDR_PROTOCOLS,
                "NFC_PROTO_???",
                self.style()
            )
        );
        // struct sockaddr_nfc_llcp on x86_64: 96 bytes, service_name_len a u64 at 88.
        if self.len < 96 {
            if self.len > 16 {
                s.push_str(", ...");
            }
            return s;
        }
        let name_len = self.u64_at(88);
        s.push_str(&format!(
            ", dsap={}, ssap={}, service_name={}, service_name_len={name_len}",
            self.xval_verbose(u64::from(self.u8_at(16)), NFC_SAPS, ""),
            self.xval_verbose(u64::from(self.u8_at(17)), NFC_SAPS, ""),
            self.string(18, name_len.min(63) as usize)
        ));
        s
    }

    fn vsock(&self) -> String {
        let mut s = String::new();
        let reserved = self.u16_at(2);
        if reserved != 0 {
            s.push_str(&format!(
                "svm_reserved1={}, ",
                format::hex(u64::from(reserved))
            ));
        }
        s.push_str(&format!(
            "svm_cid={}, svm_port={}, svm_flags={}",
            format::xlat(u64::from(self.u32_at(8)), VSOCK_CIDS, "", self.style()),
            format::xlat(u64::from(self.u32_at(4)), VSOCK_PORTS, "", self.style()),
            printflags(
                u64::from(self.u8_at(12)),
                Some("VMADDR_FLAG_???"),
                self.style(),
                VSOCK_FLAGS
            )
        ));
        if self.b[13..16].iter().any(|&b| b != 0) {
            s.push_str(&format!(", svm_zero={}", format::quote(&self.b[13..16], 2)));
        }
        s
    }

    fn qipcrtr(&self) -> String {
        format!(
            "sq_node={}, sq_port={}",
            format::xlat(u64::from(self.u32_at(4)), QIPCRTR_NODES, "", self.style()),
            format::xlat(u64::from(self.u32_at(8)), QIPCRTR_PORTS, "", self.style())
        )
    }

    fn xdp(&self) -> String {
        const XDP_SHARED_UMEM: u16 = 1;
        let flags = self.u16_at(2);
        let mut s = format!(
            "sxdp_flags={}, sxdp_ifindex={}, sxdp_queue_id={}",
            printflags(
                u64::from(flags),
                Some("XDP_???"),
                self.style(),
                XDP_SOCKADDR_FLAGS
            ),
            self.ifindex(self.u32_at(4)),
            self.u32_at(8)
        );
        let fd = self.u32_at(12);
        if flags & XDP_SHARED_UMEM != 0 {
            let text = crate::fdinfo::describe_fd(
                self.c.pid,
                fd as i32,
                self.c.opts.decode_fds,
                self.c.opts.hex,
            );
            s.push_str(&format!(", sxdp_shared_umem_fd={text}"));
        } else if fd != 0 {
            s.push_str(&format!(
                ", sxdp_shared_umem_fd={}",
                format::hex(u64::from(fd))
            ));
        }
        s
    }

    fn mctp(&self) -> String {
        let mut s = String::new();
        let pad0 = self.u16_at(2);
        if pad0 != 0 {
            s.push_str(&format!("__smctp_pad0={}, ", format::hex(u64::from(pad0))));
        }
        s.push_str(&format!(
            "smctp_network={}, smctp_addr={{s_addr={}}}, smctp_type={}, smctp_tag={}",
            format::xlat(u64::from(self.u32_at(4)), MCTP_NETS, "", self.style()),
            format::xlat(u64::from(self.u8_at(8)), MCTP_ADDRS, "", self.style()),
            format::hex(u64::from(self.u8_at(9))),
            format::hex(u64::from(self.u8_at(10)))
        ));
        let pad1 = self.u8_at(11);
        if pad1 != 0 {
            s.push_str(&format!(", __smctp_pad1={}", format::hex(u64::from(pad1))));
        }
        s
    }

    /// strace's print_mac_addr: `11:22:33:44:55:66`, its bytes under `-X raw`, both
    /// under `-X verbose`.
    fn mac(&self, o: usize, size: usize) -> String {
        let bytes = &self.b[o..o + size];
        let raw = format::quote(bytes, 2);
        let text: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let text = text.join(":");
        match self.style() {
            XlatStyle::Raw => raw,
            XlatStyle::Abbrev => text,
            XlatStyle::Verbose => format!("{raw} /* {text} */"),
        }
    }

    /// Bluetooth: the length tells the form (sockaddr_hci 4 or 6 bytes, sco 8, rc 10, l2
    /// 12 or 14); any other is `sa_data`.
    fn bluetooth(&self) -> Option<String> {
        Some(match self.len {
            4 | 6 => {
                let mut s = format!("hci_dev=htobs({})", self.u16_at(2));
                if self.len == 6 {
                    s.push_str(&format!(
                        ", hci_channel={}",
                        format::xlat(
                            u64::from(self.u16_at(4)),
                            HCI_CHANNELS,
                            "HCI_CHANNEL_???",
                            self.style()
                        )
                    ));
                }
                s
            }
            8 => format!("sco_bdaddr={}", self.mac(2, 6)),
            10 => format!("rc_bdaddr={}, rc_channel={}", self.mac(2, 6), self.u8_at(8)),
            12 | 14 => {
                let mut s = format!(
                    "l2_psm={}, l2_bdaddr={}, l2_cid={}",
                    self.l2_number(self.u16_at(2), L2_PSM),
                    self.mac(4, 6),
                    self.l2_number(self.u16_at(10), L2_CID)
                );
                if self.len == 14 {
                    s.push_str(&format!(
                        ", l2_bdaddr_type={}",
                        format::xlat(
                            u64::from(self.u8_at(12)),
                            BDADDR_TYPES,
                            "BDADDR_???",
                            self.style()
                        )
                    ));
                }
                s
            }
            _ => return None,
        })
    }

    /// strace's print_bluetooth_l2_psm and _cid: `htobs(NAME)`, `htobs(DYN_START+5)` for
    /// a dynamic one, the number with `/* L2CAP_..._??? */` for an unknown one.
    fn l2_number(&self, value: u16, kind: L2Kind) -> String {
        let name = kind
            .table
            .iter()
            .find(|(v, _)| *v == u64::from(value))
            .map(|(_, n)| *n);
        let dynamic = kind
            .ranges
            .iter()
            .find(|(start, end, _)| (*start..=*end).contains(&value));
        let known = name.is_some() || dynamic.is_some();
        let style = self.style();
        let mut s = String::from("htobs(");
        if style != XlatStyle::Abbrev || !known {
            s.push_str(&format::hex(u64::from(value)));
        }
        if style != XlatStyle::Raw {
            let comment = style == XlatStyle::Verbose || !known;
            if comment {
                s.push_str(" /* ");
            }
            match (name, dynamic) {
                (Some(n), _) => s.push_str(n),
                (None, Some((start, _, start_name))) => {
                    // print_xlat: the constant's name as the -X style prints a constant.
                    let base = format::styled(&format::hex(u64::from(*start)), start_name, style);
                    s.push_str(&format!("{base}+{}", value - start));
                }
                (None, None) => s.push_str(kind.unknown),
            }
            if comment {
                s.push_str(" */");
            }
        }
        s.push(')');
        s
    }

    /// AX.25: the call sign, and with digipeaters (or a longer length) the full form.
    fn ax25(&self) -> String {
        const CALL: usize = 7;
        const BASE: usize = 16;
        let ndigis = self.u32_at(12) as i32;
        let full = ndigis != 0 || self.len > BASE;
        let mut s = String::new();
        if full {
            s.push_str("fsa_ax25={");
        }
        s.push_str(&format!(
            "sax25_call={}, sax25_ndigis={ndigis}",
            ax25_addr(&self.b[2..2 + CALL], self.style())
        ));
        if !full {
            return s;
        }
        s.push('}');
        let has = ((self.len - BASE) / CALL).min(8);
        let want = (ndigis.max(0) as usize).min(8);
        let digis = has.min(want);
        if want != 0 {
            let mut items: Vec<String> = (0..digis)
                .map(|i| {
                    let o = BASE + i * CALL;
                    ax25_addr(&self.b[o..o + CALL], self.style())
                })
                .collect();
            if want > has {
                items.push("...".to_string());
            }
            s.push_str(&format!(", fsa_digipeater=[{}]", items.join(", ")));
        }
        if self.len > has * CALL + BASE {
            s.push_str(", ...");
        }
        s
    }
}

/// The L2CAP numbers strace names: a table, the dynamic ranges, the unknown's comment.
struct L2Kind {
    table: &'static format::Xlat,
    ranges: &'static [(u16, u16, &'static str)],
    unknown: &'static str,
}

const L2_PSM: L2Kind = L2Kind {
    table: BLUETOOTH_L2_PSM,
    ranges: &[
        (0x80, 0xff, "L2CAP_PSM_LE_DYN_START"),
        (0x1001, 0xffff, "L2CAP_PSM_DYN_START"),
    ],
    unknown: "L2CAP_PSM_???",
};

const L2_CID: L2Kind = L2Kind {
    table: BLUETOOTH_L2_CID,
    ranges: &[(0x40, 0xffff, "L2CAP_CID_DYN_START")],
    unknown: "L2CAP_CID_???",
};

/// The name of network interface `index`, if there is one.
fn interface_name(index: u32) -> Option<Vec<u8>> {
    let mut buf = [0 as libc::c_char; libc::IF_NAMESIZE];
    // SAFETY: if_indextoname writes at most IF_NAMESIZE bytes (NUL included) into buf.
    let p = unsafe { libc::if_indextoname(index, buf.as_mut_ptr()) };
    if p.is_null() {
        return None;
    }
    // SAFETY: on success buf holds a NUL-terminated name.
    let name = unsafe { std::ffi::CStr::from_ptr(buf.as_ptr()) };
    Some(name.to_bytes().to_vec())
}

/// C's `%#0*llx` with a field width of `width`: `0x41`, `00` for zero, `0x000001`.
fn hex0(value: u64, width: usize) -> String {
    if value == 0 {
        return "0".repeat(width);
    }
    let digits = format!("{value:x}");
    let pad = width.saturating_sub(2 + digits.len());
    format!("0x{}{digits}", "0".repeat(pad))
}

/// strace's printflags_ex with one table: names joined by `|`, the unknown rest in hex,
/// `dflt` in a comment when no bit is known; under `-X verbose` the number first and the
/// names in a comment; under `-X raw` the number (nothing for 0 without a default).
fn printflags(flags: u64, dflt: Option<&str>, style: XlatStyle, table: &format::Xlat) -> String {
    if style == XlatStyle::Raw {
        return if flags != 0 || dflt.is_some() {
            format::hex(flags)
        } else {
            String::new()
        };
    }
    let verbose = style == XlatStyle::Verbose;
    let mut out = String::new();
    if verbose && flags != 0 {
        out.push_str(&format::hex(flags));
    }
    let mut rest = flags;
    let mut n = 0;
    for &(v, name) in table {
        if rest == v || (v != 0 && rest & v == v) {
            if verbose && rest == 0 {
                out.push('0');
            }
            if n > 0 {
                out.push('|');
            } else if verbose {
                out.push_str(" /* ");
            }
            out.push_str(name);
            rest &= !v;
            n += 1;
        }
        if rest == 0 {
            break;
        }
    }
    if n > 0 {
        if rest != 0 {
            out.push('|');
            out.push_str(&format::hex(rest));
        }
        if verbose {
            out.push_str(" */");
        }
    } else if rest != 0 {
        if !verbose {
            out.push_str(&format::hex(rest));
        }
        if let Some(d) = dflt {
            out.push_str(&format!(" /* {d} */"));
        }
    } else if dflt.is_some() {
        out.push('0');
    }
    out
}

/// strace's check_ax25_address: whether a call sign prints in its native form (Abbrev),
/// with its bytes too (Verbose), or only as bytes (Raw).
fn ax25_check(call: &[u8]) -> Option<XlatStyle> {
    let mut ret = None;
    let mut space_seen = false;
    let mut char_seen = false;
    for &byte in &call[..6] {
        if byte & 1 != 0 {
            ret = Some(XlatStyle::Verbose);
        }
        let c = byte >> 1;
        if c == b' ' {
            space_seen = true;
        } else {
            char_seen = true;
        }
        if !c.is_ascii_digit() && !c.is_ascii_uppercase() && c != b' ' {
            ret = Some(XlatStyle::Verbose);
        }
        if c != b' ' && space_seen {
            ret = Some(XlatStyle::Verbose);
        }
        if !(b' '..=0x7e).contains(&c) || c == b'*' || c == b'/' {
            return Some(XlatStyle::Raw);
        }
    }
    if call[6] & !0x1e != 0 {
        ret = Some(XlatStyle::Verbose);
    }
    if !char_seen && call[6] != 0 {
        ret = Some(XlatStyle::Verbose);
    }
    ret
}

/// strace's ax25_addr2str: `CALL-SSID`, `*` for an empty call with SSID 0.
fn ax25_name(call: &[u8]) -> String {
    let mut end = 6;
    while end > 0 && call[end - 1] >> 1 == b' ' {
        end -= 1;
    }
    let mut s: String = call[..end].iter().map(|&b| char::from(b >> 1)).collect();
    let ssid = (call[6] >> 1) & 0xf;
    s.push_str(&format!("-{ssid}"));
    if s == "-0" {
        return "*".to_string();
    }
    s
}

/// strace's print_ax25_addr: `VALID-13`, or `{ax25_call="\x..."}` with the name in a
/// comment when the call sign is not a clean one (or under `-X`).
fn ax25_addr(call: &[u8], style: XlatStyle) -> String {
    let style = ax25_check(call).unwrap_or(style);
    let raw = format!("{{ax25_call={}}}", format::quote(call, 2));
    match style {
        XlatStyle::Raw => raw,
        XlatStyle::Abbrev => ax25_name(call),
        XlatStyle::Verbose => format!("{raw} /* {} */", ax25_name(call)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_padded_hex_as_c_prints_it() {
        assert_eq!(hex0(0x41, 2), "0x41");
        assert_eq!(hex0(0, 2), "00");
        assert_eq!(hex0(0, 8), "00000000");
        assert_eq!(hex0(1, 8), "0x000001");
        assert_eq!(hex0(0xfacefeed, 8), "0xfacefeed");
    }

    #[test]
    fn flags_in_each_style() {
        let t: &format::Xlat = &[(1, "A"), (2, "B")];
        assert_eq!(printflags(3, Some("X_???"), XlatStyle::Abbrev, t), "A|B");
        assert_eq!(printflags(5, Some("X_???"), XlatStyle::Abbrev, t), "A|0x4");
        assert_eq!(
            printflags(4, Some("X_???"), XlatStyle::Abbrev, t),
            "0x4 /* X_??? */"
        );
        assert_eq!(printflags(0, Some("X_???"), XlatStyle::Abbrev, t), "0");
        assert_eq!(printflags(0, None, XlatStyle::Raw, t), "");
        assert_eq!(printflags(3, None, XlatStyle::Verbose, t), "0x3 /* A|B */");
        assert_eq!(
            printflags(4, Some("X_???"), XlatStyle::Verbose, t),
            "0x4 /* X_??? */"
        );
    }

    #[test]
    fn ax25_call_signs() {
        let call = |s: &[u8; 6], ssid: u8| -> Vec<u8> {
            let mut v: Vec<u8> = s.iter().map(|c| c << 1).collect();
            v.push(ssid << 1);
            v
        };
        assert_eq!(
            ax25_addr(&call(b"VALID ", 13), XlatStyle::Abbrev),
            "VALID-13"
        );
        assert_eq!(ax25_addr(&call(b"      ", 0), XlatStyle::Abbrev), "*");
        assert_eq!(
            ax25_addr(&call(b"SPA CE", 0), XlatStyle::Abbrev),
            "{ax25_call=\"\\xa6\\xa0\\x82\\x40\\x86\\x8a\\x00\"} /* SPA CE-0 */"
        );
    }
}
