//! The proxied locations: `proxy_pass /api/ http://127.0.0.1:9000;` (repeatable), the
//! proxy's timeouts and limits, and which location a request path falls under.
//!
//! A path is matched after percent-decoding and dot-segment removal (as nginx matches its
//! `location`s), so `/api/../admin` is not under `/api/` and `/static/../api/x` is; the
//! target is forwarded as the client sent it. The longest matching prefix wins.

use crate::http::path;
use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

/// How a `HOST:PORT` becomes an address (the first the name has, `None` when it has none):
/// [`system_resolve`], or in the config fuzz target a stand-in that never asks the network.
pub(crate) type Resolve = fn(&str) -> io::Result<Option<SocketAddr>>;

/// The system's resolver (`getaddrinfo`), as `listen` and `proxy_pass` use it.
pub(crate) fn system_resolve(host_port: &str) -> io::Result<Option<SocketAddr>> {
    Ok(host_port.to_socket_addrs()?.next())
}

/// One `proxy_pass` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Route {
    /// Starts with `/`; a path equal to it or below it matches (`/api/` matches `/api/x`;
    /// `/api` matches `/api`, `/api/x` and `/apix`, as an nginx prefix location does).
    pub(crate) prefix: String,
    pub(crate) upstream: SocketAddr,
    /// As written (`127.0.0.1:9000`): the `Host` sent to an HTTP/1.0 client's upstream.
    pub(crate) authority: String,
}

/// The proxy's settings: the locations and how long to wait for upstreams.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProxySettings {
    pub(crate) routes: Vec<Route>,
    /// To establish a connection (`proxy_connect_timeout`, nginx's default 60s).
    pub(crate) connect_timeout: Duration,
    /// Between two reads (or writes) of the upstream (`proxy_read_timeout`, 60s).
    pub(crate) read_timeout: Duration,
    /// The `Host` sent upstream; `None`: as the client sent it (`proxy_set_host`).
    pub(crate) host: Option<String>,
    /// Largest request body forwarded (`proxy_max_body_size`; nginx's
    /// `client_max_body_size`, 1m by default); larger is `413`.
    pub(crate) max_body: u64,
    /// Idle keep-alive connections a worker keeps per upstream (`proxy_keepalive`).
    pub(crate) keepalive: usize,
    /// The longest a request waits for one of `keepalive` busy connections to fall free
    /// before it opens one (`proxy_queue_wait`, 2ms; 0: no queue; [`crate::proxy::pool`]).
    pub(crate) queue_wait: Duration,
}

impl Default for ProxySettings {
    fn default() -> ProxySettings {
        ProxySettings {
            routes: Vec::new(),
            connect_timeout: Duration::from_secs(60),
            read_timeout: Duration::from_secs(60),
            host: None,
            max_body: 1 << 20,
            keepalive: 32,
            queue_wait: Duration::from_millis(2),
        }
    }
}

impl ProxySettings {
    /// The location `raw_path` (a request target's path, still encoded) falls under.
    pub(crate) fn route_for(&self, raw_path: &[u8]) -> Option<&Route> {
        if self.routes.is_empty() {
            return None;
        }
        let clean = path::clean(raw_path).ok()?;
        let mut p = clean.path;
        if clean.trailing_slash && p.last() != Some(&b'/') {
            p.push(b'/');
        }
        self.routes
            .iter()
            .filter(|r| p.starts_with(r.prefix.as_bytes()))
            .max_by_key(|r| r.prefix.len())
    }
}

/// Parses the two values of `proxy_pass PREFIX URL`.
pub(crate) fn parse_route(prefix: &str, url: &str, resolve: Resolve) -> Result<Route, String> {
    if !prefix.starts_with('/') {
        return Err(format!("proxy_pass prefix \"{prefix}\" must start with /"));
    }
    match path::clean(prefix.as_bytes()) {
        Ok(c) if c.path == prefix.trim_end_matches('/').as_bytes() || prefix == "/" => {}
        _ => {
            return Err(format!(
                "proxy_pass prefix \"{prefix}\" must be a plain path (no dot segments, no escapes, no double slashes)"
            ))
        }
    }
    let Some(authority) = url.strip_prefix("http://") else {
        return Err(format!(
            "proxy_pass \"{url}\": expected http://HOST:PORT (https is not supported)"
        ));
    };
    let authority = authority.strip_suffix('/').unwrap_or(authority);
    if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
        return Err(format!(
            "proxy_pass \"{url}\": expected http://HOST:PORT, with no path (the request's target is forwarded as sent)"
        ));
    }
    let with_port = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.bytes().all(|b| b.is_ascii_digit()) && !p.is_empty())
        && !authority.ends_with(']')
    {
        authority.to_owned()
    } else {
        format!("{authority}:80")
    };
    let upstream = resolve(&with_port)
        .map_err(|e| format!("proxy_pass \"{url}\": {e}"))?
        .ok_or_else(|| format!("proxy_pass \"{url}\": no address"))?;
    Ok(Route {
        prefix: prefix.to_owned(),
        upstream,
        authority: authority.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(routes: &[(&str, &str)]) -> ProxySettings {
        ProxySettings {
            routes: routes
                .iter()
                .map(|(p, u)| parse_route(p, u, system_resolve).unwrap())
                .collect(),
            ..ProxySettings::default()
        }
    }

    #[test]
    fn the_longest_prefix_of_the_clean_path_wins() {
        let s = settings(&[
            ("/api/", "http://127.0.0.1:9000"),
            ("/api/v2/", "http://127.0.0.1:9002"),
        ]);
        let port = |p: &[u8]| s.route_for(p).map(|r| r.upstream.port());
        assert_eq!(port(b"/api/x"), Some(9000));
        assert_eq!(port(b"/api/"), Some(9000));
        assert_eq!(port(b"/api"), None);
        assert_eq!(port(b"/api/v2/x"), Some(9002));
        assert_eq!(port(b"/%61pi/x"), Some(9000));
        assert_eq!(port(b"/static/../api/x"), Some(9000));
        assert_eq!(port(b"/api/../admin"), None);
        assert_eq!(port(b"/api/.."), None);
        assert_eq!(port(b"/index.html"), None);
    }

    #[test]
    fn bad_lines_are_refused_with_a_reason() {
        assert!(parse_route("api/", "http://127.0.0.1:1", system_resolve).is_err());
        assert!(parse_route("/a/../b/", "http://127.0.0.1:1", system_resolve).is_err());
        assert!(parse_route("/a/", "https://127.0.0.1:1", system_resolve).is_err());
        assert!(parse_route("/a/", "http://127.0.0.1:1/path", system_resolve).is_err());
        assert!(parse_route("/a/", "http://u@127.0.0.1:1", system_resolve).is_err());
        assert!(parse_route("/a/", "127.0.0.1:1", system_resolve).is_err());
        let r = parse_route("/a/", "http://127.0.0.1:1/", system_resolve).unwrap();
        assert_eq!(r.authority, "127.0.0.1:1");
        let r = parse_route("/", "http://[::1]:8", system_resolve).unwrap();
        assert_eq!(r.upstream, "[::1]:8".parse().unwrap());
        let r = parse_route("/", "http://127.0.0.1", system_resolve).unwrap();
        assert_eq!(r.upstream.port(), 80);
    }
}
