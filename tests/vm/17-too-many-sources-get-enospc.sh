# devstats/tests/device.rs: too_many_sources_get_enospc
rust_test too_many_sources_get_enospc
