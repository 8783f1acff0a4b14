# Self-check of the harness: a device test name that does not exist runs zero Rust tests,
# which rust_test must count as a failure.
rust_test no_such_device_test
