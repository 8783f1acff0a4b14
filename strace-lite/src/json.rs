//! `--json`: one JSON object per line for each syscall (complete, entry and exit
//! together), signal, stop and exit, for scripts. The schema is in README.md; the
//! argument texts are exactly the text output's, split at the top-level commas, each
//! with a type and, where the text is a number, its value.

use serde_json::{json, Map, Value};

/// One finished (or never-finishing) syscall.
pub struct SyscallRecord<'a> {
    pub pid: i32,
    /// Seconds since the epoch at the call's entry.
    pub time: f64,
    pub name: &'a str,
    pub nr: u64,
    /// The decoded arguments as the text output shows them, `, `-separated.
    pub args: &'a str,
    /// The raw return value; `None` when the call never returned (`= ?`).
    pub retval: Option<i64>,
    /// The text after ` = ` in the text output (without `-T`'s duration).
    pub return_text: &'a str,
    pub errno: Option<(String, String)>,
    /// Seconds between entry and exit.
    pub duration: f64,
    /// `-k`'s frame lines.
    pub stack: Option<&'a [String]>,
}

pub fn syscall(r: &SyscallRecord) -> String {
    let (errno, error) = match &r.errno {
        Some((name, message)) => (json!(name), json!(message)),
        None => (Value::Null, Value::Null),
    };
    let obj = json!({
        "type": "syscall",
        "pid": r.pid,
        "time": round6(r.time),
        "name": r.name,
        "nr": r.nr,
        "args": split_args(r.args).iter().map(|a| arg(a)).collect::<Vec<_>>(),
        "retval": r.retval,
        "return_text": r.return_text,
        "errno": errno,
        "error": error,
        "duration": round6(r.duration),
    });
    let mut obj = obj;
    if let (Some(stack), Some(map)) = (r.stack, obj.as_object_mut()) {
        let frames: Vec<&str> = stack.iter().map(|f| f.trim_start_matches(" > ")).collect();
        map.insert("stack".into(), json!(frames));
    }
    obj.to_string()
}

/// `--- SIGCHLD {...} ---`.
pub fn signal(pid: i32, time: f64, signal: &str, siginfo: Option<&str>) -> String {
    json!({
        "type": "signal",
        "pid": pid,
        "time": round6(time),
        "signal": signal,
        "siginfo": siginfo,
    })
    .to_string()
}

/// `--- stopped by SIGSTOP ---`.
pub fn stopped(pid: i32, time: f64, signal: &str) -> String {
    json!({ "type": "stopped", "pid": pid, "time": round6(time), "signal": signal }).to_string()
}

/// `+++ exited with N +++`.
pub fn exited(pid: i32, time: f64, status: i32) -> String {
    json!({ "type": "exited", "pid": pid, "time": round6(time), "status": status }).to_string()
}

/// `+++ killed by SIGKILL (core dumped) +++`.
pub fn killed(pid: i32, time: f64, signal: &str, core_dumped: bool) -> String {
    json!({
        "type": "killed",
        "pid": pid,
        "time": round6(time),
        "signal": signal,
        "core_dumped": core_dumped,
    })
    .to_string()
}

/// `+++ superseded by execve in pid N +++`.
pub fn superseded(pid: i32, time: f64, by: i32) -> String {
    json!({ "type": "superseded", "pid": pid, "time": round6(time), "by": by }).to_string()
}

/// Microsecond precision, as the text output's timestamps.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Split an argument list at its top-level `, ` (outside quotes, brackets, braces and
/// parentheses, and `/* comments */`).
pub fn split_args(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut in_quote = false;
    let mut in_comment = false;
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if in_quote {
            if c == b'\\' {
                i += 1;
            } else if c == b'"' {
                in_quote = false;
            }
        } else if in_comment {
            if c == b'*' && bytes.get(i + 1) == Some(&b'/') {
                in_comment = false;
                i += 1;
            }
        } else {
            match c {
                b'"' => in_quote = true,
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    in_comment = true;
                    i += 1;
                }
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth -= 1,
                b',' if depth == 0 && bytes.get(i + 1) == Some(&b' ') => {
                    out.push(text[start..i].to_string());
                    start = i + 2;
                    i += 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    if start < text.len() {
        out.push(text[start..].to_string());
    }
    out
}

/// One argument: `{"type": ..., "text": ...}`, with `value` for numbers and fds (and
/// `path` for a decorated fd), `name` for `name=value` arguments.
pub fn arg(text: &str) -> Value {
    let mut m = Map::new();
    let (kind, value): (&str, Option<Value>) = classify(text, &mut m);
    m.insert("type".into(), json!(kind));
    m.insert("text".into(), json!(text));
    if let Some(v) = value {
        m.insert("value".into(), v);
    }
    Value::Object(m)
}

fn classify(text: &str, m: &mut Map<String, Value>) -> (&'static str, Option<Value>) {
    if text.starts_with('"') {
        return ("string", None);
    }
    if text.starts_with('{') {
        return ("struct", None);
    }
    if text.starts_with('[') || text.starts_with("~[") {
        return ("array", None);
    }
    if text == "NULL" {
        return ("pointer", Some(json!(0)));
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(v) = u64::from_str_radix(hex, 16) {
            return ("hex", Some(json!(v)));
        }
    }
    if text.len() > 1 && text.starts_with('0') && text.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        if let Ok(v) = u64::from_str_radix(&text[1..], 8) {
            return ("octal", Some(json!(v)));
        }
    }
    if let Ok(v) = text.parse::<i64>() {
        return ("int", Some(json!(v)));
    }
    if let Some((num, rest)) = text.split_once('<') {
        if let (Ok(fd), Some(path)) = (num.parse::<i64>(), rest.strip_suffix('>')) {
            m.insert("path".into(), json!(path));
            return ("fd", Some(json!(fd)));
        }
    }
    if let Some((name, _)) = text.split_once('=') {
        if !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            m.insert("name".into(), json!(name));
            return ("named", None);
        }
    }
    let symbolic = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    };
    if symbolic(text) {
        return ("const", None);
    }
    if text.split('|').all(|p| symbolic(p) || p.starts_with("0x")) {
        return ("flags", None);
    }
    ("expr", None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_top_level_commas_only() {
        let text = r#"AT_FDCWD, "a, \"b\"", {st_mode=S_IFREG|0644, st_size=3, ...}, [1, 2], 0x7ff /* x, y */, 0644"#;
        assert_eq!(
            split_args(text),
            [
                "AT_FDCWD",
                r#""a, \"b\"""#,
                "{st_mode=S_IFREG|0644, st_size=3, ...}",
                "[1, 2]",
                "0x7ff /* x, y */",
                "0644"
            ]
        );
        assert_eq!(split_args(text).join(", "), text);
        assert!(split_args("").is_empty());
    }

    #[test]
    fn argument_types() {
        let t = |s: &str| arg(s)["type"].as_str().unwrap_or("").to_string();
        assert_eq!(t("3"), "int");
        assert_eq!(t("-100"), "int");
        assert_eq!(t("0644"), "octal");
        assert_eq!(arg("0644")["value"], 0o644);
        assert_eq!(t("0x1000"), "hex");
        assert_eq!(t("NULL"), "pointer");
        assert_eq!(t("\"abc\"..."), "string");
        assert_eq!(t("AT_FDCWD"), "const");
        assert_eq!(t("O_RDONLY|O_CLOEXEC"), "flags");
        assert_eq!(t("child_stack=NULL"), "named");
        assert_eq!(t("3</etc/passwd>"), "fd");
        assert_eq!(arg("3</etc/passwd>")["path"], "/etc/passwd");
        assert_eq!(t("~[KILL STOP]"), "array");
    }

    #[test]
    fn a_record_is_one_line_of_valid_json() {
        let line = syscall(&SyscallRecord {
            pid: 7,
            time: 1.5,
            name: "write",
            nr: 1,
            args: "1, \"hi\\n\", 3",
            retval: Some(3),
            return_text: "3",
            errno: None,
            duration: 0.000_012,
            stack: None,
        });
        assert!(!line.contains('\n'));
        let v: Value = serde_json::from_str(&line).expect("json");
        assert_eq!(v["args"][1]["text"], "\"hi\\n\"");
        assert_eq!(v["retval"], 3);
        assert_eq!(v["errno"], Value::Null);
    }
}
