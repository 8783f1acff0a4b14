//! `httpd`: a static-file web server built on epoll, worker threads and fork()ed workers.
//!
//! At this stage only the command line exists; the server lands with its own issue.

use clap::Parser;
use std::path::PathBuf;

/// A static-file HTTP/1.1 server.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Directory to serve.
    #[arg(long, default_value = ".")]
    root: PathBuf,
}

fn main() {
    let cli = Cli::parse();
    eprintln!(
        "httpd: serving {} on {} is not implemented yet",
        cli.root.display(),
        cli.listen
    );
    std::process::exit(2);
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn unknown_flag_is_a_usage_error() {
        let err = Cli::try_parse_from(["prog", "--no-such-flag"]).unwrap_err();
        assert_eq!(err.kind(), clap::error::ErrorKind::UnknownArgument);
    }
}
