# devstats/tests/device.rs: killed_writer_loses_its_row
rust_test killed_writer_loses_its_row
