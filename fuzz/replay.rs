//! The corpus replay of the crates' `tests/fuzz_corpus.rs`, one copy for all: each
//! includes this file as a module (`#[path = "../../fuzz/replay.rs"] mod replay;`). It
//! belongs to no package of its own and is not a fuzz target: it runs a target's committed
//! corpus through the same body libFuzzer calls, without libFuzzer.

use std::path::Path;

/// Runs `body` on every file of `fuzz/corpus/target`; the corpus must not be empty.
pub fn replay(target: &str, body: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/corpus")
        .join(target);
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| body(&data));
        assert!(outcome.is_ok(), "{} fails its target", path.display());
        files += 1;
    }
    assert!(files > 0, "{} is empty", dir.display());
}
