//! A second, deliberately simple request-line parser for differential fuzzing: the rules of
//! `http::parse` written from its documentation, by splitting on spaces instead of scanning.

use crate::http::status::Status;

/// `METHOD SP+ target SP+ HTTP/1.minor SP*`: method in `A-Z _ -`, target of bytes above
/// space but DEL, version digits at most 3 each, major without a leading zero; a major
/// other than 1 is `505`, anything else wrong `400`. (method, target, minor).
pub(crate) fn request_line(line: &[u8]) -> Result<(&[u8], &[u8], u16), Status> {
    if line.first() == Some(&b' ') {
        return Err(Status::BadRequest);
    }
    let parts: Vec<&[u8]> = line
        .split(|&b| b == b' ')
        .filter(|p| !p.is_empty())
        .collect();
    let [method, target, version] = parts[..] else {
        return Err(Status::BadRequest);
    };
    let method_ok = method
        .iter()
        .all(|&b| b.is_ascii_uppercase() || b == b'_' || b == b'-');
    if !method_ok || !target.iter().all(|&b| b > b' ' && b != 0x7f) {
        return Err(Status::BadRequest);
    }
    let numbers = version.strip_prefix(b"HTTP/").ok_or(Status::BadRequest)?;
    let text = std::str::from_utf8(numbers).map_err(|_| Status::BadRequest)?;
    let (major, minor) = text.split_once('.').ok_or(Status::BadRequest)?;
    let digits = |s: &str| (1..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(major) || !digits(minor) || major.starts_with('0') {
        return Err(Status::BadRequest);
    }
    if major != "1" {
        return Err(Status::VersionNotSupported);
    }
    Ok((
        method,
        target,
        minor.parse().map_err(|_| Status::BadRequest)?,
    ))
}
