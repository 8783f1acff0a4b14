//! btree opening and checking a damaged file, its pages' checksums made valid.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| btree::fuzzing::file(data));
