//! Replays the fuzz targets' committed corpora (`fuzz/corpus/TARGET`) through the same
//! functions libFuzzer calls, so a regression shows in `cargo test` without libFuzzer.

use std::path::Path;

/// Runs `body` on every file of `fuzz/corpus/target`; the corpus must not be empty.
fn replay(target: &str, body: fn(&[u8])) {
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

#[test]
fn chat_lines_corpus() {
    replay("chat_lines", chat::fuzzing::lines);
}

#[test]
fn chat_clients_corpus() {
    replay("chat_clients", chat::fuzzing::clients);
}
