//! Tables generated from the kernel's UAPI headers by `uapi/gen.py` (strace-lite/README.md,
//! "Tables"): the named constants the decoders print and the x86_64 system call table.
//! Nothing here is written by hand; the test `uapi_tables_match_the_headers` regenerates them
//! and fails when a file differs, so a table cannot drift from the ABI.

pub(crate) mod syscalls;
pub(crate) mod xlat;
