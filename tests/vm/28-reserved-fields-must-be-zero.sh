# devstats/tests/device.rs: reserved_fields_must_be_zero
rust_test reserved_fields_must_be_zero
