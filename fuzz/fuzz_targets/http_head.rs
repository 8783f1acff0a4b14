//! httpd's request-head parser, incremental framing and interpretation.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| httpd::fuzzing::head(data));
