# devstats/tests/device.rs: bad_user_pointers_get_efault
rust_test bad_user_pointers_get_efault
