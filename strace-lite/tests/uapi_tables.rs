//! The generated tables (src/uapi) are what `uapi/gen.py` makes from this machine's kernel
//! UAPI headers today: a table edited by hand, or headers that moved, fail here with a diff.

use std::path::Path;
use std::process::Command;

#[test]
fn uapi_tables_match_the_headers() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("uapi/gen.py");
    let out = Command::new("python3")
        .arg(&script)
        .arg("--check")
        .output()
        .expect("python3 runs uapi/gen.py");
    assert!(
        out.status.success(),
        "src/uapi is stale or the headers changed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
