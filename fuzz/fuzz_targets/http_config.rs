//! httpd's config file parser: errors name a line, a parsed file written out parses the same.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| httpd::fuzzing::config(data));
