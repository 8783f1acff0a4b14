//! The load generator: one publisher, N subscribers, one thread, one epoll.
//!
//! It speaks the chat line protocol and Redis's RESP `SUBSCRIBE`/`PUBLISH`, so the same code
//! measures both. Every message carries its sequence number; each subscriber checks that it
//! receives 0, 1, 2, ... exactly, so a lost, duplicated or reordered message voids the run.
//! The publisher keeps at most `window` messages ahead of the slowest subscriber (flow
//! control, so neither server has to buffer without bound or cut anyone off).
//!
//! With `tls`, every connection speaks TLS ([`crate::tls`]): the same frames inside records.
//!
//! Latency: each message is stamped when the publisher's write of its last byte returns, and
//! each delivery when the subscriber's read that completes it returns; the run reports the
//! 99th percentile over every delivery. It is the latency under full load (the publisher
//! keeps up to `window` messages in flight), as the one-threaded load generator sees it.

use crate::latency::Latencies;
use crate::tls::{Conn, TlsClient};
use netcore::reactor::backend::{Epoll, Interest, Readiness};
use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Bytes of a message's payload (the 64-byte messages).
pub const PAYLOAD: usize = 64;
const CHANNEL: &str = "bench";

/// Bytes a subscriber's stream is read into: several reads' worth of frames.
const SUBSCRIBER_BUFFER: usize = 64 * 1024;

/// Which server is measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Chat,
    Redis,
}

/// One run's parameters.
#[derive(Clone, Debug)]
pub struct RunSpec {
    pub target: Target,
    pub addr: SocketAddr,
    pub subscribers: usize,
    pub messages: u64,
    pub window: u64,
    pub timeout: Duration,
    /// The server's pid, to read its CPU time.
    pub server_pid: Option<u32>,
    /// Speak TLS with this client context.
    pub tls: Option<TlsClient>,
}

/// What a run measured.
#[derive(Clone, Debug)]
pub struct RunResult {
    pub delivered: u64,
    pub seconds: f64,
    /// Server CPU time over the run divided by wall time (1.0 = one core busy).
    pub server_cpu: Option<f64>,
    /// The load generator's own CPU time over the run divided by wall time.
    pub client_cpu: Option<f64>,
    /// The 99th percentile of the deliveries' latencies (publish to receipt).
    pub p99: Option<Duration>,
    /// Why the result does not count (lost/reordered messages, timeout...).
    pub void: Option<String>,
}

impl RunResult {
    /// Server CPU nanoseconds per delivered message: the server's cost, whatever else the
    /// machine is doing.
    pub fn server_ns_per_msg(&self) -> Option<f64> {
        let cpu = self.server_cpu? * self.seconds;
        (self.delivered > 0).then(|| cpu * 1e9 / self.delivered as f64)
    }

    /// A result that measured nothing, for the reason given.
    pub fn void(why: String) -> RunResult {
        RunResult {
            delivered: 0,
            seconds: 0.0,
            server_cpu: None,
            client_cpu: None,
            p99: None,
            void: Some(why),
        }
    }

    pub fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.delivered as f64 / self.seconds
        } else {
            0.0
        }
    }
}

fn payload(seq: u64) -> [u8; PAYLOAD] {
    let mut p = [b'.'; PAYLOAD];
    let digits = format!("{seq:016}");
    p[..16].copy_from_slice(digits.as_bytes());
    p
}

fn parse_seq(p: &[u8]) -> Option<u64> {
    let mut n = 0u64;
    for &b in p.get(..16)? {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n * 10 + (b - b'0') as u64;
    }
    Some(n)
}

/// Adds one to a number written as ASCII digits (`payload`'s first 16 bytes).
fn increment_digits(d: &mut [u8; 16]) {
    for b in d.iter_mut().rev() {
        if *b == b'9' {
            *b = b'0';
        } else {
            *b += 1;
            return;
        }
    }
}

#[cfg(test)]
/// The first 16 bytes of `payload(seq)`.
fn digits(seq: u64) -> [u8; 16] {
    let mut d = [0u8; 16];
    d.copy_from_slice(&payload(seq)[..16]);
    d
}

/// One publish, as the wire wants it.
fn publish_frame(target: Target, seq: u64, out: &mut Vec<u8>) {
    match target {
        Target::Chat => {
            out.extend_from_slice(&payload(seq));
            out.push(b'\n');
        }
        Target::Redis => {
            out.extend_from_slice(
                format!(
                    "*3\r\n$7\r\nPUBLISH\r\n${}\r\n{CHANNEL}\r\n${PAYLOAD}\r\n",
                    CHANNEL.len()
                )
                .as_bytes(),
            );
            out.extend_from_slice(&payload(seq));
            out.extend_from_slice(b"\r\n");
        }
    }
}

/// A subscriber's connection and what it has verified so far.
struct Subscriber {
    stream: Conn,
    buf: Vec<u8>,
    /// Bytes of `buf` holding data.
    len: usize,
    next_seq: u64,
    /// The whole frame message `next_seq` must arrive as (prefix, payload, suffix): each
    /// frame is compared with it in one go, and its sequence number's digits incremented in
    /// place, instead of parsing what came.
    expected: Vec<u8>,
}

/// Frames a subscriber receives: a fixed prefix, the payload, a fixed suffix.
struct Framing {
    /// The chat: `pubnick: `; Redis: `*3\r\n$7\r\nmessage\r\n$5\r\nbench\r\n$64\r\n`.
    prefix: Vec<u8>,
    suffix: &'static [u8],
}

impl Framing {
    fn len(&self) -> usize {
        self.prefix.len() + PAYLOAD + self.suffix.len()
    }

    /// The frame of message `seq`.
    fn frame(&self, seq: u64) -> Vec<u8> {
        let mut f = Vec::with_capacity(self.len());
        f.extend_from_slice(&self.prefix);
        f.extend_from_slice(&payload(seq));
        f.extend_from_slice(self.suffix);
        f
    }
}

/// Whether `a` and `b` (of one length) hold the same bytes: 16 at a time (the last 16
/// overlapping the chunk before), without a branch per chunk, inlined where `memcmp` is a
/// call that costs more than the compare for a frame of 70 to 100 bytes.
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    debug_assert_eq!(a.len(), b.len());
    let n = a.len();
    if n < 16 {
        return a == b;
    }
    let word =
        |s: &[u8], at: usize| u128::from_ne_bytes(s[at..at + 16].try_into().expect("16 bytes"));
    let mut diff = word(a, n - 16) ^ word(b, n - 16);
    for at in (0..n - 15).step_by(16) {
        diff |= word(a, at) ^ word(b, at);
    }
    diff == 0
}

enum Parsed {
    Ok,
    Bad(String),
}

impl Subscriber {
    fn new(stream: Conn, buf: Vec<u8>, len: usize, f: &Framing) -> Subscriber {
        Subscriber {
            stream,
            buf,
            len,
            next_seq: 0,
            expected: f.frame(0),
        }
    }

    /// Verifies every complete frame in the buffer, advancing `next_seq` past each message
    /// delivered in order. Chat notices (lines starting with `* `) are skipped.
    fn parse(&mut self, f: &Framing, target: Target) -> Parsed {
        let flen = self.expected.len();
        let plen = f.prefix.len();
        let mut pos = 0;
        let data = &self.buf[..self.len];
        while pos < data.len() {
            let rest = &data[pos..];
            // The common case: the next message, in order, byte for byte.
            if rest.len() >= flen && same(&rest[..flen], &self.expected) {
                self.next_seq += 1;
                let digits: &mut [u8; 16] = (&mut self.expected[plen..plen + 16])
                    .try_into()
                    .expect("16 digits");
                increment_digits(digits);
                pos += flen;
                continue;
            }
            if rest.len() >= flen
                && rest.starts_with(&f.prefix)
                && rest[flen - f.suffix.len()..flen] == *f.suffix
            {
                // A frame, but not the one expected: say what came instead.
                let p = &rest[plen..plen + PAYLOAD];
                return Parsed::Bad(match parse_seq(p) {
                    Some(seq) if seq != self.next_seq => {
                        format!("expected message {} got {seq}", self.next_seq)
                    }
                    _ => format!("corrupt payload in message {}", self.next_seq),
                });
            }
            if target == Target::Chat {
                // Some other line: a notice, skipped whole if complete.
                match rest.iter().position(|&b| b == b'\n') {
                    Some(i) => {
                        if !rest.starts_with(b"* ") {
                            let line = String::from_utf8_lossy(&rest[..i]).into_owned();
                            return Parsed::Bad(format!("unexpected line {line:.80}"));
                        }
                        pos += i + 1;
                        continue;
                    }
                    None => break,
                }
            }
            if rest.len() >= flen {
                return Parsed::Bad("unexpected bytes from the server".into());
            }
            break;
        }
        self.buf.copy_within(pos..self.len, 0);
        self.len -= pos;
        Parsed::Ok
    }
}

/// A connection to the server (TLS's handshake done, with `tls`), blocking with timeouts.
pub fn connect(addr: SocketAddr, tls: Option<&TlsClient>) -> io::Result<Conn> {
    let s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(10)))?;
    s.set_write_timeout(Some(Duration::from_secs(10)))?;
    s.set_nodelay(true)?;
    crate::tls::over(s, tls)
}

/// Reads until `want` returns true for what was read so far (a handshake).
pub fn read_until(s: &mut impl Read, mut want: impl FnMut(&[u8]) -> bool) -> io::Result<Vec<u8>> {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !want(&got) {
        let n = s.read(&mut buf)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "server closed during the handshake",
            ));
        }
        got.extend_from_slice(&buf[..n]);
    }
    Ok(got)
}

fn chat_join(s: &mut Conn) -> io::Result<(String, Vec<u8>)> {
    let got = read_until(s, |g| g.contains(&b'\n'))?;
    let i = got.iter().position(|&b| b == b'\n').unwrap_or(got.len());
    let greeting = String::from_utf8_lossy(&got[..i]).into_owned();
    let nick = greeting
        .strip_prefix("* welcome to chat, you are ")
        .and_then(|r| r.split(';').next())
        .ok_or_else(|| io::Error::other(format!("unexpected greeting {greeting:?}")))?
        .to_string();
    Ok((nick, got[(i + 1).min(got.len())..].to_vec()))
}

/// CPU seconds of process `pid` and its children (nginx's worker), if it is still there.
pub fn cpu(pid: Option<u32>) -> Option<f64> {
    let pid = pid?;
    let mut total = netcore::sys::process_cpu_seconds(pid).ok()?;
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"));
    for child in children.unwrap_or_default().split_whitespace() {
        if let Some(c) = child
            .parse()
            .ok()
            .and_then(|c| netcore::sys::process_cpu_seconds(c).ok())
        {
            total += c;
        }
    }
    Some(total)
}

/// CPU seconds of this process alone: the load generator, without the servers the suite
/// started (its children, which [`cpu`] would add).
pub fn own_cpu() -> Option<f64> {
    netcore::sys::process_cpu_seconds(std::process::id()).ok()
}

/// Runs one measurement.
pub fn run(spec: &RunSpec) -> io::Result<RunResult> {
    // Each subscriber's connection and the bytes read with its greeting or SUBSCRIBE reply.
    let mut joined = Vec::with_capacity(spec.subscribers);
    let redis_sub_reply = format!(
        "*3\r\n$9\r\nsubscribe\r\n${}\r\n{CHANNEL}\r\n:1\r\n",
        CHANNEL.len()
    );
    for _ in 0..spec.subscribers {
        let mut s = connect(spec.addr, spec.tls.as_ref())?;
        let leftover = match spec.target {
            Target::Chat => chat_join(&mut s)?.1,
            Target::Redis => {
                s.write_all(format!("SUBSCRIBE {CHANNEL}\r\n").as_bytes())?;
                let got = read_until(&mut s, |g| g.len() >= redis_sub_reply.len())?;
                if !got.starts_with(redis_sub_reply.as_bytes()) {
                    return Err(io::Error::other("unexpected SUBSCRIBE reply"));
                }
                got[redis_sub_reply.len()..].to_vec()
            }
        };
        joined.push((s, leftover));
    }
    let mut publisher = connect(spec.addr, spec.tls.as_ref())?;
    let framing = match spec.target {
        Target::Chat => {
            let (nick, _) = chat_join(&mut publisher)?;
            Framing {
                prefix: format!("{nick}: ").into_bytes(),
                suffix: b"\n",
            }
        }
        Target::Redis => Framing {
            prefix: format!(
                "*3\r\n$7\r\nmessage\r\n${}\r\n{CHANNEL}\r\n${PAYLOAD}\r\n",
                CHANNEL.len()
            )
            .into_bytes(),
            suffix: b"\r\n",
        },
    };
    let subs = joined.into_iter().map(|(s, leftover)| {
        // Written whole now (not zeroed lazily by the kernel), so its pages fault in before
        // the run, not during it. A TLS read brings at most one record (16 KiB).
        let mut buf = vec![0x55u8; SUBSCRIBER_BUFFER];
        buf[..leftover.len()].copy_from_slice(&leftover);
        Subscriber::new(s, buf, leftover.len(), &framing)
    });
    let mut subs: Vec<Subscriber> = subs.collect();
    let mut epoll = Epoll::new()?;
    for (i, s) in subs.iter().enumerate() {
        s.stream.set_nonblocking(true)?;
        epoll.register(s.stream.fd(), i, Interest::READ)?;
    }
    publisher.set_nonblocking(true)?;
    let pub_token = subs.len();
    let mut pub_interest = Interest::READ;
    epoll.register(publisher.fd(), pub_token, pub_interest)?;

    let mut out: Vec<u8> = Vec::with_capacity(1 << 20);
    let mut out_pos = 0;
    let mut sent: u64 = 0;
    // Every frame has the same length: the frames fully written are out_pos / frame_len.
    let frame_len = {
        let mut f = Vec::new();
        publish_frame(spec.target, 0, &mut f);
        f.len()
    };
    // The first message in `out`, and the next message to stamp as written.
    let mut batch_first: u64 = 0;
    let mut stamped: u64 = 0;
    // When each message was written (ns since `started`), and each delivery's latency (ns).
    let mut sent_at: Vec<u64> = vec![0; spec.messages as usize];
    let mut latencies = Latencies::default();
    let mut scratch = vec![0u8; 256 * 1024];
    let mut events = Vec::new();
    let started = Instant::now();
    let cpu_start = cpu(spec.server_pid);
    let own_start = own_cpu();
    let total = spec.messages;
    let mut done_subs = 0;
    let mut void = None;
    'run: loop {
        let min_recv = subs.iter().map(|s| s.next_seq).min().unwrap_or(total);
        if min_recv >= total {
            break;
        }
        if started.elapsed() > spec.timeout {
            void = Some(format!(
                "timeout ({min_recv} of {total} delivered to the slowest)"
            ));
            break;
        }
        // Publish within the window.
        if out_pos == out.len() && sent < total {
            out.clear();
            out_pos = 0;
            batch_first = sent;
            let room = spec
                .window
                .saturating_sub(sent - min_recv)
                .min(total - sent)
                .min(2048);
            for _ in 0..room {
                publish_frame(spec.target, sent, &mut out);
                sent += 1;
            }
        }
        if out_pos < out.len() {
            match publisher.write(&out[out_pos..]) {
                Ok(n) => {
                    out_pos += n;
                    let written = batch_first + (out_pos / frame_len) as u64;
                    if written > stamped {
                        let now = started.elapsed().as_nanos() as u64;
                        for t in &mut sent_at[stamped as usize..written as usize] {
                            *t = now;
                        }
                        stamped = written;
                    }
                }
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        let want = if out_pos < out.len() {
            Interest::READ_WRITE
        } else {
            Interest::READ
        };
        if want != pub_interest {
            epoll.reregister(publisher.fd(), pub_token, want)?;
            pub_interest = want;
        }
        epoll.wait(&mut events, Some(Duration::from_millis(100)))?;
        for ev in &events {
            if ev.token == pub_token {
                // Redis's publish replies and chat notices: read and drop.
                loop {
                    match publisher.read(&mut scratch) {
                        Ok(0) => {
                            void = Some("server closed the publisher".into());
                            break 'run;
                        }
                        Ok(_) => continue,
                        Err(_) => break,
                    }
                }
                continue;
            }
            let s = &mut subs[ev.token];
            // Read again while OpenSSL holds bytes (decrypted, or read ahead): the socket says
            // nothing of them.
            loop {
                let had = s.next_seq;
                let len = s.len;
                match s.stream.read(&mut s.buf[len..]) {
                    Ok(0) => {
                        void = Some(format!("server closed subscriber {}", ev.token));
                        break 'run;
                    }
                    Ok(n) => {
                        s.len += n;
                        let now = started.elapsed().as_nanos() as u64;
                        if let Parsed::Bad(why) = s.parse(&framing, spec.target) {
                            void = Some(format!("subscriber {}: {why}", ev.token));
                            break 'run;
                        }
                        // The messages this read completed: had, had + 1, ..., next_seq - 1.
                        let got = had.min(total) as usize..s.next_seq.min(total) as usize;
                        latencies.record(now, &sent_at[got]);
                        if s.len == s.buf.len() {
                            void = Some("unparseable stream".into());
                            break 'run;
                        }
                        if had < total && s.next_seq >= total {
                            done_subs += 1;
                        }
                        if s.next_seq > total {
                            void = Some("more messages than sent".into());
                            break 'run;
                        }
                    }
                    Err(e)
                        if e.kind() == io::ErrorKind::WouldBlock
                            || e.kind() == io::ErrorKind::Interrupted =>
                    {
                        break;
                    }
                    Err(e) => {
                        void = Some(format!("subscriber read: {e}"));
                        break 'run;
                    }
                }
                if !s.stream.has_pending() {
                    break;
                }
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    let server_cpu = match (cpu_start, cpu(spec.server_pid)) {
        (Some(a), Some(b)) if seconds > 0.0 => Some((b - a) / seconds),
        _ => None,
    };
    let _ = done_subs;
    let client_cpu = match (own_start, own_cpu()) {
        (Some(a), Some(b)) if seconds > 0.0 => Some((b - a) / seconds),
        _ => None,
    };
    let delivered: u64 = subs.iter().map(|s| s.next_seq).sum();
    let p99 = latencies.percentile(99.0).map(Duration::from_nanos);
    Ok(RunResult {
        delivered,
        seconds,
        server_cpu,
        client_cpu,
        p99,
        void,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trips_its_sequence_number() {
        assert_eq!(parse_seq(&payload(1234567)), Some(1234567));
        assert_eq!(payload(0).len(), PAYLOAD);
        assert_eq!(parse_seq(b"12x4567890123456"), None);
    }

    #[test]
    fn incremented_digits_spell_the_next_sequence_number() {
        for seq in [0, 8, 9, 99, 1234567, 9_999_999_999_999_998] {
            let mut d = digits(seq);
            increment_digits(&mut d);
            assert_eq!(d, digits(seq + 1), "after {seq}");
        }
    }

    fn chat_framing() -> Framing {
        Framing {
            prefix: b"bob: ".to_vec(),
            suffix: b"\n",
        }
    }

    fn redis_framing() -> Framing {
        Framing {
            prefix: b"*3\r\n$7\r\nmessage\r\n$5\r\nbench\r\n$64\r\n".to_vec(),
            suffix: b"\r\n",
        }
    }

    /// `f`'s frames of these sequence numbers, after `head`.
    fn frames(f: &Framing, head: &[u8], seqs: &[u64]) -> Vec<u8> {
        let mut frames = head.to_vec();
        for &seq in seqs {
            frames.extend_from_slice(&f.frame(seq));
        }
        frames
    }

    /// A subscriber (on a real socket, never read here) whose buffer holds `bytes`,
    /// expecting message 0.
    fn subscriber(f: &Framing, bytes: &[u8]) -> Subscriber {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let stream = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let mut buf = vec![0u8; 4096];
        buf[..bytes.len()].copy_from_slice(bytes);
        Subscriber::new(Conn::Plain(stream), buf, bytes.len(), f)
    }

    /// Why `parse` refuses `bytes` (panics if it accepts them).
    fn refused(f: &Framing, target: Target, bytes: &[u8]) -> String {
        match subscriber(f, bytes).parse(f, target) {
            Parsed::Bad(why) => why,
            Parsed::Ok => panic!("accepted {:?}", String::from_utf8_lossy(bytes)),
        }
    }

    #[test]
    fn same_says_whether_every_byte_is_equal() {
        let a: Vec<u8> = (0..100u8).collect();
        for len in [0, 1, 15, 16, 17, 73, 97, 100] {
            assert!(same(&a[..len], &a[..len]));
            for at in 0..len {
                let mut b = a[..len].to_vec();
                b[at] ^= 0x20;
                assert!(!same(&a[..len], &b), "len {len}, byte {at}");
            }
        }
    }

    #[test]
    fn parse_counts_the_messages_delivered_in_order() {
        let f = chat_framing();
        let frames = frames(&f, b"* a notice\n", &[0, 1, 2]);
        // The last frame lacks its last 10 bytes.
        let mut s = subscriber(&f, &frames[..frames.len() - 10]);
        assert!(matches!(s.parse(&f, Target::Chat), Parsed::Ok));
        assert_eq!(s.next_seq, 2);
        assert_eq!(s.len, f.len() - 10, "the partial frame is kept");
        // Its last 10 bytes complete it.
        s.buf[s.len..s.len + 10].copy_from_slice(&frames[frames.len() - 10..]);
        s.len += 10;
        assert!(matches!(s.parse(&f, Target::Chat), Parsed::Ok));
        assert_eq!((s.next_seq, s.len), (3, 0));
    }

    #[test]
    fn parse_counts_every_message_however_the_reads_cut_the_stream() {
        for (f, target) in [
            (chat_framing(), Target::Chat),
            (redis_framing(), Target::Redis),
        ] {
            let seqs: Vec<u64> = (0..40).collect();
            let stream = frames(&f, b"", &seqs);
            for cut in [1, 7, f.len() - 1, f.len() + 3, 2 * f.len() + 1] {
                let mut s = subscriber(&f, b"");
                for piece in stream.chunks(cut) {
                    s.buf[s.len..s.len + piece.len()].copy_from_slice(piece);
                    s.len += piece.len();
                    assert!(matches!(s.parse(&f, target), Parsed::Ok), "cut {cut}");
                }
                assert_eq!((s.next_seq, s.len), (40, 0), "{target:?} cut {cut}");
            }
        }
    }

    #[test]
    fn parse_refuses_a_missing_or_repeated_message() {
        for (f, target) in [
            (chat_framing(), Target::Chat),
            (redis_framing(), Target::Redis),
        ] {
            let missing = frames(&f, b"", &[0, 2]);
            assert_eq!(refused(&f, target, &missing), "expected message 1 got 2");
            let repeated = frames(&f, b"", &[0, 1, 1]);
            assert_eq!(refused(&f, target, &repeated), "expected message 2 got 1");
        }
    }

    #[test]
    fn parse_refuses_a_message_whose_payload_differs_anywhere() {
        for (f, target) in [
            (chat_framing(), Target::Chat),
            (redis_framing(), Target::Redis),
        ] {
            let good = frames(&f, b"", &[0, 1]);
            // A byte of message 1's padding, after its sequence number; then one of its digits.
            for at in [f.len() + f.prefix.len() + 40, f.len() + f.prefix.len() + 3] {
                let mut bad = good.clone();
                bad[at] = b'x';
                assert_eq!(
                    refused(&f, target, &bad),
                    "corrupt payload in message 1",
                    "{target:?} byte {at}"
                );
            }
        }
    }

    #[test]
    fn parse_refuses_another_sender_or_framing() {
        let f = chat_framing();
        let mut eve = frames(&f, b"", &[0]);
        eve[..3].copy_from_slice(b"eve");
        assert!(refused(&f, Target::Chat, &eve).starts_with("unexpected line eve: 0000"));
        let f = redis_framing();
        let mut no_crlf = frames(&f, b"", &[0]);
        let end = no_crlf.len();
        no_crlf[end - 2..].copy_from_slice(b"\n\n");
        assert_eq!(
            refused(&f, Target::Redis, &no_crlf),
            "unexpected bytes from the server"
        );
    }
}
