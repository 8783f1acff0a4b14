//! The command line: where to listen, the upstreams, the limits and timeouts. Parsed by
//! clap; durations are whole or fractional seconds so tests can use short ones.

use clap::Parser;
use std::time::Duration;

/// A TCP proxy: splice(2) between client and upstream, round-robin over the upstreams.
#[derive(Debug, Parser)]
#[command(name = "proxy", version)]
pub(crate) struct Args {
    /// Address to listen on (port 0: any free port; the chosen one is logged).
    #[arg(long, value_name = "ADDR:PORT")]
    pub(crate) listen: std::net::SocketAddr,
    /// An upstream; give several for round-robin.
    #[arg(long = "upstream", value_name = "HOST:PORT", required = true)]
    pub(crate) upstreams: Vec<String>,
    /// Seconds one connect attempt may take before the next upstream is tried.
    #[arg(long, value_name = "SECONDS", default_value = "5", value_parser = seconds)]
    pub(crate) connect_timeout: Duration,
    /// Seconds without a byte moved in either direction before a connection is closed.
    #[arg(long, value_name = "SECONDS", default_value = "300", value_parser = seconds)]
    pub(crate) idle_timeout: Duration,
    /// Connections open at once; a client beyond them is closed at once.
    #[arg(long, default_value_t = 10_000)]
    pub(crate) max_connections: usize,
}

fn seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("not a number of seconds: {s}"))?;
    if !(v.is_finite() && v > 0.0 && v < 1e9) {
        return Err(format!("seconds out of range: {s}"));
    }
    Ok(Duration::from_secs_f64(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_accepts_fractions_and_refuses_nonsense() {
        assert_eq!(seconds("0.5").unwrap(), Duration::from_millis(500));
        for bad in ["", "x", "0", "-1", "inf", "NaN", "1e30"] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
    }
}
