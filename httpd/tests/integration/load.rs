//! A short load with ApacheBench (`ab`, Debian package apache2-utils): keep-alive and not,
//! small and big files. Every request must succeed and be logged. Skipped with a note when
//! `ab` is not installed. No timing is asserted.

use crate::common::*;
use std::process::Command;

fn ab(args: &[&str]) -> String {
    let out = Command::new("timeout")
        .arg("30")
        .arg("ab")
        .args(args)
        .output()
        .expect("run ab");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "ab {args:?} failed: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

fn field<'a>(report: &'a str, name: &str) -> &'a str {
    report
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .map(str::trim)
        .unwrap_or_else(|| panic!("no {name:?} in ab's report:\n{report}"))
}

#[test]
fn ab_short_load_all_succeed_and_are_logged() {
    if !have("ab") {
        eprintln!("NOTE: ab (apache2-utils) is not installed; skipping the load test");
        return;
    }
    let s = Server::start();
    let url = s.url("/index.html");
    let big = s.url("/big.bin");
    let runs: [(&[&str], &str, u64); 3] = [
        (&["-q", "-n", "2000", "-c", "20"], &url, 2000),
        (&["-q", "-k", "-n", "3000", "-c", "50"], &url, 3000),
        (&["-q", "-k", "-n", "200", "-c", "10"], &big, 200),
    ];
    let mut total = 0;
    for (args, u, n) in runs {
        let mut all = args.to_vec();
        all.push(u);
        let report = ab(&all);
        assert_eq!(
            field(&report, "Complete requests:"),
            n.to_string(),
            "{report}"
        );
        assert_eq!(field(&report, "Failed requests:"), "0", "{report}");
        assert!(!report.contains("Non-2xx responses"), "{report}");
        total += n;
    }
    let lines = s.log_lines(total as usize);
    assert_eq!(lines.len() as u64, total);
    assert!(lines.iter().all(|l| l.contains("\" 200 ")));
}
