//! Integration tests of the real `httpd` binary with real clients: `curl` for the features,
//! raw TCP for malformed and pipelined requests, `ab` for a short load. One test binary, one
//! module per theme; every server runs on an ephemeral loopback port.

mod common;
mod features;
mod httpolice;
mod load;
mod malformed;
mod pipelining;
mod traversal;
