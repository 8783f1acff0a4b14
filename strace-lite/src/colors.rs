//! `--color`: syscall names, errors, signals and exits in distinct colors on a terminal
//! (owo-colors). `auto` (the default) colors only when the trace goes to a terminal and
//! `NO_COLOR` is unset or empty; `always` and `never` decide regardless.

use owo_colors::OwoColorize;
use std::borrow::Cow;

/// `--color=WHEN`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    pub fn parse(value: &str) -> Result<Self, String> {
        match value {
            "auto" => Ok(ColorWhen::Auto),
            "always" => Ok(ColorWhen::Always),
            "never" => Ok(ColorWhen::Never),
            other => Err(format!(
                "invalid --color argument: '{other}' (always, never or auto)"
            )),
        }
    }
}

/// The painter of trace text: a no-op when colors are off.
#[derive(Debug, Clone, Copy)]
pub struct Colors {
    on: bool,
}

impl Colors {
    /// Decide for a trace going to a terminal (`to_terminal`) or not, with `no_color`
    /// the value of `NO_COLOR`.
    pub fn new(when: ColorWhen, to_terminal: bool, no_color: Option<&str>) -> Self {
        let on = match when {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => to_terminal && no_color.is_none_or(str::is_empty),
        };
        Colors { on }
    }

    #[cfg(test)]
    pub fn enabled(&self) -> bool {
        self.on
    }

    /// Whether the trace's text holds color escapes.
    pub fn on(&self) -> bool {
        self.on
    }

    fn paint(&self, text: &str, f: impl Fn(&str) -> String) -> String {
        if self.on {
            f(text)
        } else {
            text.to_string()
        }
    }

    /// A syscall's name.
    pub fn name(&self, text: &str) -> String {
        self.paint(text, |t| t.bold().cyan().to_string())
    }

    /// A syscall's name, borrowed as it is when there is no color (no copy per line).
    pub fn name_cow(&self, text: Cow<'static, str>) -> Cow<'static, str> {
        if self.on {
            Cow::Owned(self.name(&text))
        } else {
            text
        }
    }

    /// A failed call's result (`-1 ENOENT (No such file or directory)`).
    pub fn error(&self, text: &str) -> String {
        self.paint(text, |t| t.red().to_string())
    }

    /// A `--- SIGCHLD {...} ---` or `--- stopped by ... ---` line.
    pub fn signal(&self, text: &str) -> String {
        self.paint(text, |t| t.yellow().to_string())
    }

    /// A `+++ exited with N +++` (or superseded) line.
    pub fn exit(&self, text: &str) -> String {
        self.paint(text, |t| t.green().to_string())
    }

    /// A `+++ killed by SIG... +++` line.
    pub fn killed(&self, text: &str) -> String {
        self.paint(text, |t| t.bold().magenta().to_string())
    }
}

/// The width `text` takes in the ` = ` column: its bytes (as strace counts), less ANSI
/// escape sequences.
pub fn visible_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    if !bytes.contains(&0x1b) {
        return bytes.len();
    }
    let mut n = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0x1b {
            // CSI: ESC [ parameters, then a final byte from @ to ~.
            i += 2;
            while i < bytes.len() && !(b'@'..=b'~').contains(&bytes[i]) {
                i += 1;
            }
        } else {
            n += 1;
        }
        i += 1;
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn when_colors_are_on() {
        assert!(Colors::new(ColorWhen::Auto, true, None).enabled());
        assert!(Colors::new(ColorWhen::Auto, true, Some("")).enabled());
        assert!(!Colors::new(ColorWhen::Auto, true, Some("1")).enabled());
        assert!(!Colors::new(ColorWhen::Auto, false, None).enabled());
        assert!(Colors::new(ColorWhen::Always, false, Some("1")).enabled());
        assert!(!Colors::new(ColorWhen::Never, true, None).enabled());
        assert!(ColorWhen::parse("sometimes").is_err());
    }

    #[test]
    fn painted_text_keeps_its_width() {
        let c = Colors::new(ColorWhen::Always, false, None);
        for painted in [
            c.name("openat"),
            c.error("-1 ENOENT"),
            c.signal("--- x ---"),
        ] {
            assert!(painted.contains('\x1b'));
            assert_ne!(visible_len(&painted), painted.len());
        }
        assert_eq!(visible_len(&c.name("openat")), 6);
        assert_eq!(visible_len(&c.killed("+++ killed by SIGKILL +++")), 25);
        let off = Colors::new(ColorWhen::Never, false, None);
        assert_eq!(off.name("openat"), "openat");
    }
}
