//! Replays the fuzz targets' committed corpora (`fuzz/corpus/TARGET`) through the same
//! functions libFuzzer calls, so a regression shows in `cargo test` without libFuzzer.

#[path = "../../fuzz/replay.rs"]
mod replay;
use replay::replay;

#[test]
fn btree_corpus() {
    replay("btree", btree::fuzzing::file);
}
