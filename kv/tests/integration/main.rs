//! kv against the real things: redis-cli, redis-py, redis-benchmark, crashes (SIGKILL at
//! random moments), torn and corrupt logs, and peers that send garbage.

mod btree_engine;
mod clients;
mod common;
mod durability;
mod hostile;
mod log_files;
