//! A client's request under a `proxy_pass` location: the exchange of [`crate::proxy`] that
//! carries it, built from the request httpd parsed and checked (so nothing it would refuse
//! is forwarded), and what its access-log line needs once the response is over.

use crate::conn::ctx::Ctx;
use crate::http::request::{BodyFraming, Request};
use crate::http::status::Status;
use crate::log::access::{Entry, PendingLine};
use crate::proxy::exchange::Exchange;
use crate::proxy::forward::RequestBody;
use crate::proxy::headers::{self, Outgoing};
use crate::proxy::route::Route;
use std::net::IpAddr;

/// One proxied request of a connection.
#[derive(Debug)]
pub(crate) struct Proxied {
    pub(crate) ex: Exchange,
    request_line: Vec<u8>,
    referer: Option<Vec<u8>>,
    user_agent: Option<Vec<u8>>,
}

/// The exchange for `req` (its head is `head_bytes`) to `route`'s upstream, for connection
/// `id` from `peer`; `keep_alive`: the client may keep the connection. A `100 Continue` the
/// client waits for goes into `ctx.out`.
pub(crate) fn start(
    id: usize,
    head_bytes: &[u8],
    req: &Request<'_>,
    route: &Route,
    peer: IpAddr,
    keep_alive: bool,
    ctx: &mut Ctx,
) -> Proxied {
    let settings = &ctx.shared.proxy;
    let target_host = crate::http::path::absolute_form_host(req.head.target);
    let host: &[u8] = match (&settings.host, req.head.host, target_host) {
        (Some(h), _, _) => h.as_bytes(),
        (None, Some(h), _) => h,
        (None, None, Some(h)) => h,
        (None, None, None) => route.authority.as_bytes(),
    };
    let mut head = Vec::with_capacity(head_bytes.len() + 160);
    headers::request_head(
        &Outgoing {
            head: head_bytes,
            method: req.head.method,
            path: req.raw_path,
            query: req.query,
            host,
            peer,
            body: req.body,
        },
        &mut head,
    );
    let client_11 = req.head.version.is_some_and(|v| v.at_least_11());
    if client_11 && req.head.expect_continue && req.body != BodyFraming::None {
        // The body streams as it comes: the client need not wait for the upstream's word.
        ctx.out.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    let ex = Exchange::new(
        id,
        route.upstream,
        req.head.method,
        head,
        RequestBody::new(req.body, settings.max_body),
        client_11,
        keep_alive,
        settings,
    );
    Proxied {
        ex,
        request_line: req.head.request_line.to_vec(),
        referer: req.head.referer.map(<[u8]>::to_vec),
        user_agent: req.head.user_agent.map(<[u8]>::to_vec),
    }
}

impl Proxied {
    /// Writes the access-log line: `status` (the upstream's, or httpd's 502/504) and the
    /// body bytes sent, with the upstream's address.
    pub(crate) fn log(&self, peer: IpAddr, status: u16, bytes: u64, ctx: &mut Ctx) {
        if !ctx.log.enabled() {
            return;
        }
        let entry = Entry {
            peer,
            time: ctx.clock.log(),
            request_line: &self.request_line,
            status,
            referer: self.referer.as_deref(),
            user_agent: self.user_agent.as_deref(),
        };
        let line = PendingLine::new(&entry).with_upstream(self.ex.upstream);
        ctx.log.finish(&line, bytes);
    }

    /// The error log's line for a failure.
    pub(crate) fn log_error(&self, peer: IpAddr, status: Option<Status>, why: &str) {
        let what = match status {
            Some(s) => format!("{} {}", s.code(), s.reason()),
            None => "response cut short".to_owned(),
        };
        crate::log::errlog::error!(
            "proxy: upstream {}: {why} ({what}) while serving {peer} \"{}\"",
            self.ex.upstream,
            String::from_utf8_lossy(&self.request_line)
        );
    }
}
