//! Where trace lines go and how they are laid out: one shared stream (stderr or `-o
//! FILE`) or, with `-ff -o FILE`, one `FILE.PID` per traced thread; the column of the
//! current line (for aligning ` = ` at `-a COL`); and strace's rule for a line another
//! process cuts into: the open line is ended with ` <unfinished ...>`.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

/// The buffer of a trace file: written when full (or when the tracer's flush timer says).
const FILE_BUFFER: usize = 64 * 1024;

/// One output stream and the column its current line has reached.
struct Sink {
    writer: Box<dyn Write>,
    column: usize,
    /// The text may hold color escapes (`--color`).
    colored: bool,
}

impl Sink {
    fn new(writer: Box<dyn Write>) -> Self {
        Sink {
            writer,
            column: 0,
            colored: false,
        }
    }

    fn write(&mut self, text: &str) {
        // A trace that cannot be written (a full disk, a closed pipe) must not stop the
        // tracee; the text is dropped.
        let _ = self.writer.write_all(text.as_bytes());
        // Columns as a terminal shows them: color escapes take none (and only a colored
        // trace has any: the decoders quote a tracee's escapes). The pieces are short (a
        // name, a parenthesis, a pid): a plain loop beats memrchr's setup.
        let width = |rest: &str| {
            if self.colored {
                crate::colors::visible_len(rest)
            } else {
                rest.len()
            }
        };
        match text.bytes().rposition(|b| b == b'\n') {
            Some(i) => self.column = width(&text[i + 1..]),
            None => self.column += width(text),
        }
    }
}

/// The trace's destination.
pub struct Output {
    shared: Sink,
    /// `-ff -o FILE`: the base name, and one sink per thread.
    per_thread_base: Option<PathBuf>,
    per_thread: HashMap<i32, Sink>,
    /// The thread whose line is open on the shared stream (strace's `printing_tcp`).
    open_line_owner: Option<i32>,
    /// The column ` = ` is aligned at (`-a`).
    column_target: usize,
    /// Lines hold color escapes.
    colored: bool,
    /// `-o '|CMD'`: the shell reading the trace, waited for at the end.
    pipe_child: Option<std::process::Child>,
}

/// `-o '|CMD'` or `-o '!CMD'`: the command the trace is piped to.
pub fn pipe_command(path: &std::path::Path) -> Option<&str> {
    let text = path.to_str()?;
    text.strip_prefix('|').or_else(|| text.strip_prefix('!'))
}

impl Output {
    /// stderr, or the `-o` file (created or truncated); `per_thread` for `-ff -o`.
    pub fn new(path: Option<&PathBuf>, per_thread: bool, column: usize) -> io::Result<Self> {
        if let Some(command) = path.and_then(|p| pipe_command(p)) {
            // As strace's popen: `/bin/sh -c CMD` reading the trace on its stdin, started
            // before the command (which does not inherit the pipe).
            let mut child = std::process::Command::new("/bin/sh")
                .arg("-c")
                .arg(command)
                .stdin(std::process::Stdio::piped())
                .spawn()?;
            let stdin = child.stdin.take().expect("piped stdin");
            // Line-buffered, as strace's pipe.
            return Ok(Output {
                shared: Sink::new(Box::new(io::LineWriter::new(stdin))),
                per_thread_base: None,
                per_thread: HashMap::new(),
                open_line_owner: None,
                column_target: column,
                colored: false,
                pipe_child: Some(child),
            });
        }
        let (shared, base): (Box<dyn Write>, Option<PathBuf>) = match path {
            Some(p) if per_thread => (Box::new(BufWriter::new(io::stderr())), Some(p.clone())),
            Some(p) => (
                Box::new(BufWriter::with_capacity(FILE_BUFFER, File::create(p)?)),
                None,
            ),
            None => (Box::new(BufWriter::new(io::stderr())), None),
        };
        Ok(Output {
            shared: Sink::new(shared),
            per_thread_base: base,
            per_thread: HashMap::new(),
            open_line_owner: None,
            column_target: column,
            colored: false,
            pipe_child: None,
        })
    }

    /// The end of the trace: everything written, and with `-o '|CMD'` the pipe closed and
    /// CMD waited for, so that its output is complete when the tracer exits.
    pub fn close(&mut self) {
        self.flush();
        if let Some(mut child) = self.pipe_child.take() {
            self.shared = Sink::new(Box::new(io::sink()));
            let _ = child.wait();
        }
    }

    /// Lines will hold color escapes (which take no column).
    pub fn set_colored(&mut self, colored: bool) {
        self.colored = colored;
        self.shared.colored = colored;
    }

    /// Whether each thread has its own file (so lines never interleave).
    pub fn is_per_thread(&self) -> bool {
        self.per_thread_base.is_some()
    }

    fn sink(&mut self, tid: i32) -> &mut Sink {
        let Some(base) = &self.per_thread_base else {
            return &mut self.shared;
        };
        let base = base.clone();
        let colored = self.colored;
        self.per_thread.entry(tid).or_insert_with(|| {
            let mut name = base.into_os_string();
            name.push(format!(".{tid}"));
            let mut sink = match File::create(&name) {
                Ok(f) => Sink::new(Box::new(BufWriter::with_capacity(FILE_BUFFER, f))),
                Err(e) => {
                    eprintln!(
                        "strace-lite: can't open {}: {e}",
                        PathBuf::from(&name).display()
                    );
                    Sink::new(Box::new(io::sink()))
                }
            };
            sink.colored = colored;
            sink
        })
    }

    /// Start a new line for `tid`. If a line is still open (another thread's on the
    /// shared stream, or this thread's own), end it with ` <unfinished ...>` first and
    /// return whose it was.
    pub fn begin_line(&mut self, tid: i32) -> Option<i32> {
        let mut cut = None;
        if self.is_per_thread() {
            let sink = self.sink(tid);
            if sink.column != 0 {
                sink.write(" <unfinished ...>\n");
                cut = Some(tid);
            }
        } else if let Some(owner) = self.open_line_owner {
            if self.shared.column != 0 {
                self.shared.write(" <unfinished ...>\n");
                cut = Some(owner);
            }
        }
        self.open_line_owner = Some(tid);
        cut
    }

    /// The thread whose line is open on the shared stream.
    pub fn open_line_owner(&self) -> Option<i32> {
        self.open_line_owner
    }

    /// Append text to `tid`'s line.
    pub fn write(&mut self, tid: i32, text: &str) {
        self.sink(tid).write(text);
    }

    /// Pad `tid`'s line with spaces to the alignment column.
    pub fn tab_to_column(&mut self, tid: i32) {
        let target = self.column_target;
        let sink = self.sink(tid);
        // Written from a run of spaces: no String per line.
        const SPACES: &str = "                                                                ";
        while sink.column < target {
            let n = (target - sink.column).min(SPACES.len());
            sink.write(&SPACES[..n]);
        }
    }

    /// End `tid`'s line.
    pub fn end_line(&mut self, tid: i32) {
        self.sink(tid).write("\n");
        self.open_line_owner = None;
    }

    /// Whether `tid`'s output currently has an open (unterminated) line.
    pub fn line_is_open(&mut self, tid: i32) -> bool {
        if self.is_per_thread() {
            self.sink(tid).column != 0
        } else {
            self.open_line_owner == Some(tid) && self.shared.column != 0
        }
    }

    /// Write text that is not part of any thread's line (the summary table).
    pub fn write_raw(&mut self, text: &str) {
        self.shared.write(text);
    }

    /// Push buffered text to the files.
    pub fn flush(&mut self) {
        let _ = self.shared.writer.flush();
        for sink in self.per_thread.values_mut() {
            let _ = sink.writer.flush();
        }
    }

    /// Close `tid`'s own file (`-ff`), when the thread is gone.
    pub fn close_thread(&mut self, tid: i32) {
        if let Some(mut sink) = self.per_thread.remove(&tid) {
            let _ = sink.writer.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn output(buf: &Shared) -> Output {
        Output {
            shared: Sink::new(Box::new(buf.clone())),
            per_thread_base: None,
            per_thread: HashMap::new(),
            open_line_owner: None,
            column_target: 40,
            colored: false,
            pipe_child: None,
        }
    }

    #[test]
    fn another_threads_line_cuts_the_open_one() {
        let buf = Shared::default();
        let mut out = output(&buf);
        assert_eq!(out.begin_line(1), None);
        out.write(1, "read(3, ");
        assert_eq!(out.begin_line(2), Some(1));
        out.write(2, "getpid()");
        out.write(2, " ");
        out.tab_to_column(2);
        out.write(2, "= 2");
        out.end_line(2);
        assert_eq!(out.open_line_owner(), None);
        let text = String::from_utf8(buf.0.lock().expect("lock").clone()).expect("utf8");
        assert_eq!(
            text,
            "read(3,  <unfinished ...>\ngetpid()                                = 2\n"
        );
    }
}
