//! kv's log replay on a damaged log, and the rewrite of what it loaded.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kv::fuzzing::aof(data));
