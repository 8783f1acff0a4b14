//! Reading requests from a client's query buffer, as Redis's `processMultibulkBuffer` and
//! `processInlineBuffer` do: RESP multibulk (`*N\r\n` then N `$len\r\nbytes\r\n`) or an inline
//! line (`SET k v\n`, split like `sdssplitargs`, with quotes). Pipelined requests follow each
//! other in the buffer; a request may arrive in any number of pieces.
//!
//! The parser keeps its place between calls, so a 500 MB value arriving a few bytes at a time
//! is looked at once, not rescanned at every read. It hands out each request as a slice of
//! argument buffers it keeps and refills for the next request of the connection: a pipelined
//! GET costs no allocation once the connection has warmed up. Limits are Redis's: a count or inline line
//! over 64 KiB without its newline, a bulk over `proto-max-bulk-len`, and (before `AUTH`)
//! more than 10 arguments or bulks over 16 KiB are protocol errors, after which Redis replies
//! and closes the connection.

/// The longest inline request, or `*`/`$` line, without its newline (`PROTO_INLINE_MAX_SIZE`).
pub(crate) const INLINE_MAX: usize = 64 * 1024;

/// A protocol error: the reply text (without `-ERR `); the connection closes after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProtocolError(pub(crate) String);

/// Limits the parser enforces.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// `proto-max-bulk-len`: the longest single argument.
    pub(crate) max_bulk: usize,
    /// Before authentication: at most 10 arguments of at most 16 KiB (Redis's limits for
    /// unauthenticated clients, so an attacker cannot make the server allocate much).
    pub(crate) authenticated: bool,
}

/// An argument buffer bigger than this is freed once its request has run instead of being
/// kept for the next one, so a connection that once sent a big value does not hold its size.
const ARG_KEEP: usize = 4 * 1024;
/// Argument buffers kept between requests (a request with more allocates the rest). With
/// [`ARG_KEEP`], an idle connection holds at most 256 KiB of them; a usual one, a few bytes.
const ARGS_KEEP: usize = 64;

/// Where the parser is in the current multibulk request.
#[derive(Debug, Default)]
pub(crate) struct Parser {
    /// Arguments still to read of the current multibulk request (0: none started).
    remaining: usize,
    /// The length of the bulk whose data is awaited.
    bulk: Option<usize>,
    /// Argument buffers: the first `argc` hold the current request; the others, emptied,
    /// wait to be reused.
    args: Vec<Vec<u8>>,
    argc: usize,
    /// Bytes from the current position already searched for a line's end without finding
    /// it: a `*`/`$` or inline line that arrives in pieces is searched once, not from its
    /// start again at every read (that would be quadratic in the line's length).
    scanned: usize,
}

/// What [`Parser::next`] found.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed<'a> {
    /// A whole request (never empty), valid until the parser's next call.
    Request(&'a [Vec<u8>]),
    /// More bytes are needed.
    Incomplete,
}

fn error(msg: impl Into<String>) -> ProtocolError {
    ProtocolError(format!("Protocol error: {}", msg.into()))
}

/// The line starting at `buf[pos..]` up to `\r\n`: (line without `\r\n`, position after).
/// `*scanned` bytes from `pos` are known to hold no `\r\n`; on `None` it grows to all of them.
fn crlf_line<'a>(buf: &'a [u8], pos: usize, scanned: &mut usize) -> Option<(&'a [u8], usize)> {
    // One byte back: a `\r` that ended the last piece may pair with this piece's `\n`.
    let from = (pos + scanned.saturating_sub(1)).min(buf.len());
    let Some(at) = buf[from..].windows(2).position(|w| w == b"\r\n") else {
        *scanned = buf.len() - pos;
        return None;
    };
    *scanned = 0;
    let end = from + at;
    Some((&buf[pos..end], end + 2))
}

/// Redis's `string2ll`: an optional `-`, digits, no leading zeros (but `0`), no spaces.
pub(crate) fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    let (neg, digits) = match s[0] {
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || (digits[0] == b'0' && (digits.len() > 1 || neg)) {
        return None;
    }
    // At most 20 digits: the checked arithmetic catches what u64 cannot hold.
    let mut n: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if neg {
        // -(2^63) is i64::MIN; anything bigger does not fit.
        (n <= 1 << 63).then(|| (n as i64).wrapping_neg())
    } else {
        i64::try_from(n).ok()
    }
}

/// The common `*N\r\n` or `$N\r\n` line at `buf[pos..]` (`prefix`, then 1 to 18 digits
/// without a leading zero, then CRLF), read in one pass: (N, position after). `None` for
/// anything else, which the general path ([`crlf_line`], [`parse_i64`]) then reads, so the
/// two never disagree: when this finds a line it is the first CRLF's, and its number is
/// `parse_i64`'s.
fn count_line(buf: &[u8], pos: usize, prefix: u8) -> Option<(usize, usize)> {
    let b = buf.get(pos..)?;
    if b.first() != Some(&prefix) {
        return None;
    }
    let mut n = 0usize;
    let mut i = 1;
    while let Some(&d) = b.get(i) {
        if !d.is_ascii_digit() || i > 18 {
            break;
        }
        n = n * 10 + usize::from(d - b'0');
        i += 1;
    }
    let digits = i - 1;
    if digits == 0 || (b[1] == b'0' && digits > 1) || b.get(i..i + 2) != Some(b"\r\n") {
        return None;
    }
    Some((n, pos + i + 2))
}

impl Parser {
    /// Whether part of a request has been read (its `*N` line, some of its arguments): the
    /// bytes that follow continue it.
    pub(crate) fn mid_request(&self) -> bool {
        self.remaining > 0
    }

    /// Parses the next request from `buf[*pos..]`, advancing `*pos` past what it consumed.
    pub(crate) fn next(
        &mut self,
        buf: &[u8],
        pos: &mut usize,
        limits: Limits,
    ) -> Result<Parsed<'_>, ProtocolError> {
        if self.remaining == 0 && self.argc > 0 {
            self.release();
        }
        loop {
            if *pos >= buf.len() {
                return Ok(Parsed::Incomplete);
            }
            if self.remaining == 0 {
                if buf[*pos] != b'*' {
                    match inline(buf, pos, &mut self.scanned)? {
                        Some(args) if args.is_empty() => continue, // a blank line
                        Some(args) => {
                            self.argc = args.len();
                            self.args = args;
                            return Ok(Parsed::Request(&self.args[..self.argc]));
                        }
                        None => return Ok(Parsed::Incomplete),
                    }
                }
                let (count, after) = match count_line(buf, *pos, b'*') {
                    Some((n, after)) => (n as i64, after),
                    None => {
                        let Some((line, after)) = crlf_line(buf, *pos, &mut self.scanned) else {
                            if buf.len() - *pos > INLINE_MAX {
                                return Err(error("too big mbulk count string"));
                            }
                            return Ok(Parsed::Incomplete);
                        };
                        (parse_i64(&line[1..]).ok_or_else(multibulk_error)?, after)
                    }
                };
                self.scanned = 0;
                if count > i32::MAX as i64 {
                    return Err(multibulk_error());
                }
                if !limits.authenticated && count > 10 {
                    return Err(error("unauthenticated multibulk length"));
                }
                *pos = after;
                if count <= 0 {
                    continue; // Redis skips an empty multibulk
                }
                // The buffers are not allocated from the count: they grow as arguments arrive.
                self.remaining = count as usize;
            }
            while self.remaining > 0 {
                let len = match self.bulk {
                    Some(len) => len,
                    None => {
                        let (len, after) = match count_line(buf, *pos, b'$') {
                            Some((n, after)) => (n as i64, after),
                            None => {
                                let Some((line, after)) = crlf_line(buf, *pos, &mut self.scanned)
                                else {
                                    if buf.len() - *pos > INLINE_MAX {
                                        return Err(error("too big bulk count string"));
                                    }
                                    return Ok(Parsed::Incomplete);
                                };
                                if line.first() != Some(&b'$') {
                                    let got = line.first().map_or(' ', |&c| c as char);
                                    return Err(error(format!("expected '$', got '{got}'")));
                                }
                                let n = parse_i64(&line[1..])
                                    .ok_or_else(|| error("invalid bulk length"))?;
                                (n, after)
                            }
                        };
                        self.scanned = 0;
                        if len < 0 || len as u64 > limits.max_bulk as u64 {
                            return Err(error("invalid bulk length"));
                        }
                        let len = len as usize;
                        if !limits.authenticated && len > 16384 {
                            return Err(error("unauthenticated bulk length"));
                        }
                        *pos = after;
                        self.bulk = Some(len);
                        len
                    }
                };
                if buf.len() - *pos < len + 2 {
                    return Ok(Parsed::Incomplete);
                }
                if &buf[*pos + len..*pos + len + 2] != b"\r\n" {
                    return Err(error("bulk not terminated by CRLF"));
                }
                if self.argc == self.args.len() {
                    self.args.push(Vec::new());
                }
                let arg = &mut self.args[self.argc];
                arg.clear();
                arg.extend_from_slice(&buf[*pos..*pos + len]);
                self.argc += 1;
                *pos += len + 2;
                self.bulk = None;
                self.remaining -= 1;
            }
            return Ok(Parsed::Request(&self.args[..self.argc]));
        }
    }

    /// After a request has run: its buffers emptied for the next, the big ones freed.
    fn release(&mut self) {
        for arg in &mut self.args[..self.argc] {
            if arg.capacity() > ARG_KEEP {
                *arg = Vec::new();
            }
        }
        self.argc = 0;
        if self.args.len() > ARGS_KEEP {
            self.args.truncate(ARGS_KEEP);
            self.args.shrink_to_fit();
        }
    }
}

fn multibulk_error() -> ProtocolError {
    error("invalid multibulk length")
}

/// An inline request: a line up to `\n` (a `\r` before it dropped), split into arguments.
/// `Ok(None)`: no whole line yet.
/// `*scanned` bytes from `pos` are known to hold no `\n` (see [`Parser`]).
fn inline(
    buf: &[u8],
    pos: &mut usize,
    scanned: &mut usize,
) -> Result<Option<Vec<Vec<u8>>>, ProtocolError> {
    let rest = &buf[*pos..];
    *scanned = (*scanned).min(rest.len());
    let Some(nl) = rest[*scanned..].iter().position(|&b| b == b'\n') else {
        if rest.len() > INLINE_MAX {
            return Err(error("too big inline request"));
        }
        *scanned = rest.len();
        return Ok(None);
    };
    let nl = *scanned + nl;
    *scanned = 0;
    let mut line = &rest[..nl];
    if line.last() == Some(&b'\r') {
        line = &line[..line.len() - 1];
    }
    let args = split_args(line).ok_or_else(|| error("unbalanced quotes in request"))?;
    *pos += nl + 1;
    Ok(Some(args))
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

/// Redis's `sdssplitargs`: words separated by spaces; `"..."` with `\n \r \t \b \a \\ \"`
/// and `\xHH` escapes, `'...'` with `\'`; a closing quote must be followed by a space or the
/// end. `None` for unbalanced quotes.
pub(crate) fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= line.len() {
            return Some(args);
        }
        let mut cur = Vec::new();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            if in_dq {
                let c = *line.get(i)?;
                if c == b'\\'
                    && line.get(i + 1) == Some(&b'x')
                    && line.get(i + 2).and_then(|&c| hex(c)).is_some()
                    && line.get(i + 3).and_then(|&c| hex(c)).is_some()
                {
                    cur.push(hex(line[i + 2])? * 16 + hex(line[i + 3])?);
                    i += 3;
                } else if c == b'\\' && i + 1 < line.len() {
                    i += 1;
                    cur.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    // The closing quote must be followed by a space or nothing.
                    if line.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else if in_sq {
                let c = *line.get(i)?;
                if c == b'\\' && line.get(i + 1) == Some(&b'\'') {
                    i += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    if line.get(i + 1).is_some_and(|c| !c.is_ascii_whitespace()) {
                        return None;
                    }
                    i += 1;
                    break;
                } else {
                    cur.push(c);
                }
            } else {
                match line.get(i) {
                    None => break,
                    Some(c) if c.is_ascii_whitespace() => break,
                    Some(b'"') => in_dq = true,
                    Some(b'\'') => in_sq = true,
                    Some(&c) => cur.push(c),
                }
            }
            i += 1;
        }
        args.push(cur);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN: Limits = Limits {
        max_bulk: 512 << 20,
        authenticated: true,
    };

    fn all(input: &[u8]) -> Result<Vec<Vec<String>>, ProtocolError> {
        let mut p = Parser::default();
        let mut pos = 0;
        let mut out = Vec::new();
        while let Parsed::Request(args) = p.next(input, &mut pos, OPEN)? {
            out.push(
                args.iter()
                    .map(|a| String::from_utf8_lossy(a).into_owned())
                    .collect(),
            );
        }
        Ok(out)
    }

    #[test]
    fn multibulk_and_inline_requests_pipelined() {
        let got = all(
            b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\nPING\r\n\r\nSET a \"b c\"\n*0\r\n*1\r\n$4\r\nPING\r\n",
        )
        .unwrap();
        assert_eq!(
            got,
            [
                vec!["GET", "k"],
                vec!["PING"],
                vec!["SET", "a", "b c"],
                vec!["PING"]
            ]
        );
    }

    #[test]
    fn a_request_in_pieces_is_the_same_request() {
        let whole = b"*3\r\n$3\r\nSET\r\n$5\r\nhello\r\n$10\r\n0123456789\r\n";
        for split in 1..whole.len() {
            let mut p = Parser::default();
            let mut buf = Vec::new();
            let mut pos = 0;
            buf.extend_from_slice(&whole[..split]);
            assert_eq!(
                p.next(&buf, &mut pos, OPEN).unwrap(),
                Parsed::Incomplete,
                "{split}"
            );
            buf.extend_from_slice(&whole[split..]);
            let Parsed::Request(args) = p.next(&buf, &mut pos, OPEN).unwrap() else {
                panic!("{split}");
            };
            assert_eq!(args, [&b"SET"[..], b"hello", b"0123456789"]);
            assert_eq!(pos, whole.len());
        }
    }

    /// Lines that arrive a byte at a time (a `\r` and its `\n` in different reads too) are
    /// found where they end: the parser searches each byte once, not from the line's start.
    #[test]
    fn lines_arriving_a_byte_at_a_time() {
        let long = "x".repeat(60_000);
        let inline = format!("SET k {long}\r\n");
        let multibulk = format!(
            "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n${}\r\n{long}\r\n",
            long.len()
        );
        for whole in [inline.as_bytes(), multibulk.as_bytes()] {
            let mut p = Parser::default();
            let (mut buf, mut pos) = (Vec::new(), 0);
            let mut got = None;
            for &b in whole {
                buf.push(b);
                if let Parsed::Request(args) = p.next(&buf, &mut pos, OPEN).unwrap() {
                    got = Some(args.to_vec());
                }
            }
            let args = got.expect("a whole request");
            assert_eq!(args.len(), 3);
            assert_eq!(args[2].len(), long.len());
            assert_eq!(pos, whole.len());
        }
    }

    /// The parser refills the same argument buffers: each request is exactly its own
    /// arguments, whatever the one before held, and a big argument's buffer is freed once
    /// its request has run.
    #[test]
    fn reused_buffers_hold_only_their_own_request() {
        let big = "v".repeat(100_000);
        let input = format!(
            "*3\r\n$3\r\nSET\r\n$9\r\nlong-key!\r\n${}\r\n{big}\r\n\
             *2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$0\r\n\r\nPING x\r\n*1\r\n$4\r\nPING\r\n",
            big.len()
        );
        let got = all(input.as_bytes()).unwrap();
        assert_eq!(got[0], ["SET", "long-key!", &big]);
        assert_eq!(
            got[1..],
            [vec!["GET", "k"], vec![""], vec!["PING", "x"], vec!["PING"]]
        );

        let mut p = Parser::default();
        let mut pos = 0;
        let Parsed::Request(args) = p.next(input.as_bytes(), &mut pos, OPEN).unwrap() else {
            panic!("a request");
        };
        assert_eq!(args[2].len(), big.len());
        let Parsed::Request(args) = p.next(input.as_bytes(), &mut pos, OPEN).unwrap() else {
            panic!("a request");
        };
        assert_eq!(args.len(), 2);
        assert!(
            p.args.iter().all(|a| a.capacity() <= ARG_KEEP),
            "the big buffer is kept"
        );

        // A request of many arguments: past ARGS_KEEP, their buffers go too.
        let mut many = format!("*{}\r\n$4\r\nMSET\r\n", 2 * ARGS_KEEP + 1);
        for i in 0..2 * ARGS_KEEP {
            many.push_str(&format!("$4\r\n{i:04}\r\n"));
        }
        many.push_str("*1\r\n$4\r\nPING\r\n");
        let mut pos = 0;
        let Parsed::Request(args) = p.next(many.as_bytes(), &mut pos, OPEN).unwrap() else {
            panic!("a request");
        };
        assert_eq!(args.len(), 2 * ARGS_KEEP + 1);
        assert_eq!(args[2 * ARGS_KEEP], b"0127".to_vec());
        let Parsed::Request(args) = p.next(many.as_bytes(), &mut pos, OPEN).unwrap() else {
            panic!("a request");
        };
        assert_eq!(args, [b"PING".to_vec()]);
        assert!(p.args.len() <= ARGS_KEEP, "{} buffers kept", p.args.len());
    }

    /// The one-pass reading of `*N` and `$N` lines agrees with the general one on the lines
    /// it leaves to it.
    #[test]
    fn count_lines_read_in_one_pass_or_not_give_the_same_answers() {
        let err = |input: &[u8]| all(input).unwrap_err().0;
        assert_eq!(err(b"*01\r\n"), "Protocol error: invalid multibulk length");
        assert_eq!(
            err(b"*1\r\n$01\r\nx\r\n"),
            "Protocol error: invalid bulk length"
        );
        assert_eq!(err(b"*1\r\n$1x\r\n"), "Protocol error: invalid bulk length");
        assert_eq!(
            err(b"*1\r\n$1\rx\r\n"),
            "Protocol error: invalid bulk length"
        );
        assert_eq!(
            err(b"*1\r\n$1234567890123456789\r\n"),
            "Protocol error: invalid bulk length"
        );
        assert_eq!(
            err(b"*12345678901234567890\r\n"),
            "Protocol error: invalid multibulk length"
        );
        assert_eq!(all(b"*0\r\n*-1\r\n*1\r\n$0\r\n\r\n").unwrap(), [vec![""]]);
        // A count line cut anywhere, then completed.
        let whole = b"*1\r\n$10\r\n0123456789\r\n";
        for cut in 0..whole.len() {
            let (mut p, mut pos) = (Parser::default(), 0);
            assert_eq!(
                p.next(&whole[..cut], &mut pos, OPEN).unwrap(),
                Parsed::Incomplete
            );
            let Parsed::Request(args) = p.next(whole, &mut pos, OPEN).unwrap() else {
                panic!("{cut}");
            };
            assert_eq!(args, [b"0123456789".to_vec()]);
        }
    }

    #[test]
    fn binary_values_with_nul_and_crlf_inside() {
        let mut p = Parser::default();
        let mut pos = 0;
        let got = p
            .next(b"*2\r\n$3\r\nGET\r\n$4\r\n\0\r\n\xff\r\n", &mut pos, OPEN)
            .unwrap();
        assert_eq!(
            got,
            Parsed::Request(&[b"GET".to_vec(), b"\0\r\n\xff".to_vec()])
        );
    }

    #[test]
    fn malformed_requests_get_redis_error_texts() {
        let err = |input: &[u8]| all(input).unwrap_err().0;
        assert_eq!(err(b"*x\r\n"), "Protocol error: invalid multibulk length");
        assert_eq!(
            err(b"*3000000000\r\n"),
            "Protocol error: invalid multibulk length"
        );
        assert_eq!(
            err(b"*1\r\n+GET\r\n"),
            "Protocol error: expected '$', got '+'"
        );
        assert_eq!(err(b"*1\r\n$-1\r\n"), "Protocol error: invalid bulk length");
        assert_eq!(
            err(b"*1\r\n$1000000000000\r\n"),
            "Protocol error: invalid bulk length"
        );
        assert_eq!(
            err(b"*1\r\n$3\r\nGETxx"),
            "Protocol error: bulk not terminated by CRLF"
        );
        assert_eq!(
            err(b"SET a \"b\n"),
            "Protocol error: unbalanced quotes in request"
        );
        assert_eq!(
            err(b"SET a \"b\"c\n"),
            "Protocol error: unbalanced quotes in request"
        );
        let long = vec![b'a'; INLINE_MAX + 1];
        assert_eq!(err(&long), "Protocol error: too big inline request");
        let mut long_count = b"*".to_vec();
        long_count.extend(std::iter::repeat_n(b'1', INLINE_MAX + 1));
        assert_eq!(
            err(&long_count),
            "Protocol error: too big mbulk count string"
        );
    }

    #[test]
    fn unauthenticated_clients_are_held_to_small_requests() {
        let guest = Limits {
            authenticated: false,
            ..OPEN
        };
        let mut pos = 0;
        let e = Parser::default()
            .next(b"*11\r\n", &mut pos, guest)
            .unwrap_err();
        assert_eq!(e.0, "Protocol error: unauthenticated multibulk length");
        let mut pos = 0;
        let e = Parser::default()
            .next(b"*1\r\n$16385\r\n", &mut pos, guest)
            .unwrap_err();
        assert_eq!(e.0, "Protocol error: unauthenticated bulk length");
    }

    #[test]
    fn quotes_and_escapes_split_like_redis() {
        let split =
            |s: &[u8]| split_args(s).map(|v| v.into_iter().map(|a| a.to_vec()).collect::<Vec<_>>());
        assert_eq!(split(b"  set  'it''s'  "), None);
        assert_eq!(
            split(b"set 'it\\'s' \"a\\x41\\n\""),
            Some(vec![b"set".to_vec(), b"it's".to_vec(), b"aA\n".to_vec()])
        );
        assert_eq!(split(b"\"\""), Some(vec![b"".to_vec()]));
        assert_eq!(split(b""), Some(vec![]));
    }

    #[test]
    fn integers_parse_as_string2ll_does() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-12"), Some(-12));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        for bad in [
            &b""[..],
            b"01",
            b"-0",
            b"+1",
            b" 1",
            b"1 ",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"18446744073709551616",
            b"99999999999999999999",
            b"-",
            b"1e3",
        ] {
            assert_eq!(parse_i64(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }
}
