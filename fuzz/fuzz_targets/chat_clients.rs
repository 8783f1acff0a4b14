//! chat's room with several clients' interleaved byte streams and bounded queues.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| chat::fuzzing::clients(data));
