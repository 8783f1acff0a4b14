//! `chat`: a multi-client broadcast chat server, served by each classic concurrency model
//! (thread per client, a thread pool, `select`, `poll` and `epoll` event loops).
//!
//! At this stage only the command line exists; the server lands with its own issue.

use clap::{Parser, Subcommand, ValueEnum};

/// A multi-client broadcast chat server with five concurrency models side by side.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the chat server.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:7000")]
        listen: String,
        /// Concurrency model.
        #[arg(long, value_enum, default_value_t = Model::Epoll)]
        model: Model,
    },
}

/// The concurrency models a server can run with.
#[derive(ValueEnum, Clone, Copy, Debug)]
enum Model {
    /// One thread per client.
    Threads,
    /// A fixed pool of worker threads fed by a bounded queue.
    Pool,
    /// A single-threaded `select` event loop.
    Select,
    /// A single-threaded `poll` event loop.
    Poll,
    /// A single-threaded `epoll` event loop.
    Epoll,
}

fn main() {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve { listen, model } => {
            eprintln!("chat: serving {listen} with the {model:?} model is not implemented yet");
            std::process::exit(2);
        }
    }
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
