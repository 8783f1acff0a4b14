# devstats/tests/device.rs: unknown_ioctls_get_enotty
rust_test unknown_ioctls_get_enotty
