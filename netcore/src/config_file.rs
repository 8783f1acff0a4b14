//! The config file the servers share the form of (httpd's and the proxy's): nginx-style
//! lines, `name args...;` and, where a server has blocks, `words... {` and `}`; `#` starts a
//! comment. This module reads the file and splits it into those lines; what the directives
//! and blocks mean stays with each server.
//!
//! ```
//! use netcore::config_file::{lines, Directive, Line};
//! let text = "listen 127.0.0.1:80 web;  # the port\ngroup web {\n  server 10.0.0.1:80;\n}\n";
//! let got: Vec<_> = lines(text).map(|(n, l)| (n, l.unwrap())).collect();
//! let listen = Directive { key: "listen", args: vec!["127.0.0.1:80", "web"] };
//! assert_eq!(got[0], (1, Line::Directive(listen)));
//! assert_eq!(got[1], (2, Line::Open { words: vec!["group", "web"], text: "group web {" }));
//! assert_eq!(got[3], (4, Line::Close));
//! ```

use std::fmt;
use std::path::{Path, PathBuf};

/// A config error: the file, the line (0 when the file itself is at fault) and the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    pub file: PathBuf,
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.message)
        } else {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.message)
        }
    }
}

impl std::error::Error for Error {}

/// Largest config file read.
pub const MAX_FILE: u64 = 1 << 20;

/// The text of the config file at `path`: a regular file of at most [`MAX_FILE`] bytes, in
/// UTF-8 (an error names the first line that is not).
pub fn read(path: &Path) -> Result<String, Error> {
    let err = |message: String| Error {
        file: path.to_path_buf(),
        line: 0,
        message,
    };
    let meta = std::fs::metadata(path).map_err(|e| err(e.to_string()))?;
    if !meta.is_file() {
        return Err(err("not a regular file".into()));
    }
    if meta.len() > MAX_FILE {
        return Err(err(format!("larger than {MAX_FILE} bytes")));
    }
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    String::from_utf8(bytes).map_err(|e| Error {
        file: path.to_path_buf(),
        line: 1 + e.as_bytes()[..e.utf8_error().valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count(),
        message: "not valid UTF-8".into(),
    })
}

/// `key args...;`: the arguments split at white space (they may still hold `;`, `{` or `}`,
/// which each server refuses in its own words).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Directive<'a> {
    pub key: &'a str,
    pub args: Vec<&'a str>,
}

/// One line of a config file with blocks that says something.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line<'a> {
    Directive(Directive<'a>),
    /// `words... {`: a block opens; `text` is the whole line, comment and blanks cut.
    Open {
        words: Vec<&'a str>,
        text: &'a str,
    },
    /// `}`: the block open ends.
    Close,
}

/// The lines of a file without blocks, with their numbers (from 1): comments and blank
/// lines skipped, each line a [`Directive`] or the message saying why it is none (a `{` or
/// `}` line is a directive missing its `;`).
pub fn directives(text: &str) -> impl Iterator<Item = (usize, Result<Directive<'_>, String>)> {
    meaningful(text).map(|(n, line)| (n, directive(line)))
}

/// The lines of a file with blocks, with their numbers (from 1): comments and blank lines
/// skipped, each line a [`Line`] or the message saying why it is none.
pub fn lines(text: &str) -> impl Iterator<Item = (usize, Result<Line<'_>, String>)> {
    meaningful(text).map(|(n, line)| {
        let l = if line == "}" {
            Ok(Line::Close)
        } else if let Some(head) = line.strip_suffix('{') {
            Ok(Line::Open {
                words: head.split_whitespace().collect(),
                text: line,
            })
        } else {
            directive(line).map(Line::Directive)
        };
        (n, l)
    })
}

/// The lines that say something, numbered from 1, with their comment and blanks cut.
fn meaningful(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines().enumerate().filter_map(|(i, raw)| {
        let line = raw.split('#').next().unwrap_or("").trim();
        (!line.is_empty()).then_some((i + 1, line))
    })
}

fn directive(line: &str) -> Result<Directive<'_>, String> {
    let Some(body) = line.strip_suffix(';') else {
        return Err(format!("missing \";\" at the end of {line:?}"));
    };
    let mut words = body.split_whitespace();
    let Some(key) = words.next() else {
        return Err("\";\" without a directive".into());
    };
    Ok(Directive {
        key,
        args: words.collect(),
    })
}

/// A directive's whole-number value: plain decimal digits (no sign, no exponent) in
/// `min..=max`, or the message saying why not, as both servers word it.
pub fn number(v: &str, min: usize, max: usize) -> Result<usize, String> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("\"{v}\" is not a number"));
    }
    match v.parse::<usize>() {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(format!("{v} is out of range ({min} to {max})")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d<'a>(key: &'a str, args: &[&'a str]) -> Directive<'a> {
        Directive {
            key,
            args: args.to_vec(),
        }
    }

    #[test]
    fn comments_and_blank_lines_are_skipped_and_numbers_kept() {
        let got: Vec<_> = directives("# top\n\n  a 1 2;  # why\n\tb;\n").collect();
        assert_eq!(
            got,
            vec![(3, Ok(d("a", &["1", "2"]))), (4, Ok(d("b", &[])))]
        );
    }

    #[test]
    fn a_line_without_its_semicolon_or_directive_is_an_error() {
        let got: Vec<_> = directives("a 1\n ;\n").collect();
        assert_eq!(
            got,
            vec![
                (1, Err("missing \";\" at the end of \"a 1\"".to_string())),
                (2, Err("\";\" without a directive".to_string())),
            ]
        );
    }

    #[test]
    fn braces_are_blocks_only_where_a_server_has_them() {
        let text = "group g {\n  a;\n}\n";
        let got: Vec<_> = lines(text).collect();
        assert_eq!(
            got,
            vec![
                (
                    1,
                    Ok(Line::Open {
                        words: vec!["group", "g"],
                        text: "group g {"
                    })
                ),
                (2, Ok(Line::Directive(d("a", &[])))),
                (3, Ok(Line::Close)),
            ]
        );
        let got: Vec<_> = directives(text).collect();
        assert_eq!(
            got,
            vec![
                (
                    1,
                    Err("missing \";\" at the end of \"group g {\"".to_string())
                ),
                (2, Ok(d("a", &[]))),
                (3, Err("missing \";\" at the end of \"}\"".to_string())),
            ]
        );
    }

    #[test]
    fn read_refuses_what_is_not_a_small_utf8_file() {
        let dir = std::env::temp_dir().join(format!("netcore-config-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = read(&dir).unwrap_err();
        assert_eq!((e.line, e.message.as_str()), (0, "not a regular file"));
        let bad = dir.join("bad.conf");
        std::fs::write(&bad, b"a;\nb;\nc \xff;\n").unwrap();
        let e = read(&bad).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("{}:3: not valid UTF-8", bad.display())
        );
        let big = dir.join("big.conf");
        std::fs::write(&big, vec![b'#'; MAX_FILE as usize + 1]).unwrap();
        assert_eq!(
            read(&big).unwrap_err().message,
            format!("larger than {MAX_FILE} bytes")
        );
        let good = dir.join("good.conf");
        std::fs::write(&good, "a;\n").unwrap();
        assert_eq!(read(&good).unwrap(), "a;\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
