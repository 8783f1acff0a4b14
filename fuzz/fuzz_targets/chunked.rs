//! httpd's chunked body decoder, whole and in pieces, and on bodies it must accept.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| httpd::fuzzing::chunked(data));
