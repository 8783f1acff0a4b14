//! Replays the fuzz targets' committed corpora (`fuzz/corpus/TARGET`) through the same
//! functions libFuzzer calls, so a regression shows in `cargo test` without libFuzzer.

#[path = "../../fuzz/replay.rs"]
mod replay;
use replay::replay;

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
