//! `strace-lite`: a ptrace syscall tracer with strace's flags and output format.
//!
//! At this stage only the command line exists; the tracer lands with its own issue.

use clap::Parser;

/// Trace the system calls of a command, like strace.
#[derive(Parser, Debug)]
#[command(version, about, trailing_var_arg = true)]
struct Cli {
    /// Command to run under the tracer, and its arguments.
    #[arg(required = true, num_args = 1..)]
    command: Vec<String>,
}

fn main() {
    let cli = Cli::parse();
    eprintln!(
        "strace-lite: tracing {:?} is not implemented yet",
        cli.command
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

    #[test]
    fn options_after_the_command_belong_to_the_command() {
        let cli = Cli::try_parse_from(["strace-lite", "ls", "-la", "--color"]).unwrap();
        assert_eq!(cli.command, ["ls", "-la", "--color"]);
    }
}
