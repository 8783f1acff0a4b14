//! httpd's Range, HTTP dates and conditional headers against a file's size and time.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| httpd::fuzzing::range_conditional(data));
