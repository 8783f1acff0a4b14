//! kv's RESP request parser, whole, split at every point and a byte at a time.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| kv::fuzzing::resp(data));
