# devstats/tests/device.rs: only_cap_sys_admin_may_reset
rust_test only_cap_sys_admin_may_reset
