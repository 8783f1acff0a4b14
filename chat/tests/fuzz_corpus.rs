//! Replays the fuzz targets' committed corpora (`fuzz/corpus/TARGET`) through the same
//! functions libFuzzer calls, so a regression shows in `cargo test` without libFuzzer.

#[path = "../../fuzz/replay.rs"]
mod replay;
use replay::replay;

#[test]
fn chat_lines_corpus() {
    replay("chat_lines", chat::fuzzing::lines);
}

#[test]
fn chat_clients_corpus() {
    replay("chat_clients", chat::fuzzing::clients);
}
