//! `strace-lite`: the binary; everything is in the library (`src/lib.rs`).

fn main() {
    strace_lite::main();
}
