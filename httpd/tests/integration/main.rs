//! Integration tests of the real `httpd` binary with real clients: `curl` for the features,
//! raw TCP for malformed and pipelined requests and path traversal, `ab` for a short load,
//! headless Chromium for a page with CSS, script and image, and HTTPolice over a recorded
//! exchange (the last three skip with a note when their tool is not installed). One test
//! binary, one module per theme; every server runs on an ephemeral loopback port.

mod browser;
mod common;
mod config;
mod features;
mod httpolice;
mod load;
mod malformed;
mod master;
mod pipelining;
mod privileges;
mod proxy;
mod rotation;
mod signals;
mod slowloris;
mod traversal;
