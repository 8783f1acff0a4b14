//! `btree`: see the library's documentation and README.md.

fn main() -> std::process::ExitCode {
    btree::main()
}
