//! strace-lite's decoders: one syscall's registers and a made-up tracee memory, the line
//! printed (text and `--json`) well formed.
#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| strace_lite::fuzzing::decode(data));
