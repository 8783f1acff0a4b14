//! chat's line framer and room: every line out is clean UTF-8 within its bounds.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chat::fuzzing::lines(data));
