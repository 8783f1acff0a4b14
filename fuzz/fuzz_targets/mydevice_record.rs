//! The `/dev/mydevice` record parser, compiled from the module's own source file.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| devstats::fuzzing::record(data));
