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
fn http_head_corpus() {
    replay("http_head", httpd::fuzzing::head);
}

#[test]
fn chunked_corpus() {
    replay("chunked", httpd::fuzzing::chunked);
}

#[test]
fn range_conditional_corpus() {
    replay("range_conditional", httpd::fuzzing::range_conditional);
}

#[test]
fn http_config_corpus() {
    replay("http_config", httpd::fuzzing::config);
}
