//! `mydevice-ctl`: talks to `/dev/mydevice` from the command line, through the same
//! [`devstats`] crate the servers use: protocol information, a binary snapshot, a reset, and
//! pushing a record by hand (which is how the VM suite plays a server).

use clap::{Parser, Subcommand};
use devstats::{encode_record, encode_record_with_tls, CounterSnapshot, Device, TlsSnapshot};
use devstats::{uapi, DEVICE_PATH};
use std::process::ExitCode;
use std::time::Duration;

/// Talk to /dev/mydevice: show, snapshot, reset, push.
#[derive(Parser, Debug)]
#[command(version, about)]
struct Cli {
    /// The device.
    #[arg(long, default_value = DEVICE_PATH)]
    device: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print the protocol version, limits and features (MYDEVICE_IOC_INFO).
    Info,
    /// Print a binary snapshot (MYDEVICE_IOC_SNAPSHOT), one source a line: name, pid, the six
    /// counters, the TLS gauges (`-` for a source without them), idle ms.
    Snapshot,
    /// Reset the module totals (MYDEVICE_IOC_RESET; needs CAP_SYS_ADMIN).
    Reset,
    /// Register a source and push counters, then keep the file open for a while.
    Push {
        /// Source name.
        #[arg(long)]
        name: String,
        /// Counters in table order: conns_active conns_total requests bytes_in bytes_out errors.
        #[arg(num_args = 6, value_names = ["ACTIVE", "TOTAL", "REQUESTS", "IN", "OUT", "ERRORS"])]
        counters: Vec<u64>,
        /// Seconds to keep the file (and so the row) open after pushing.
        #[arg(long, default_value_t = 0.0)]
        hold: f64,
        /// The TLS gauges: live TLS connections, and those of them with kTLS (both or none).
        #[arg(long, num_args = 2, value_names = ["TLS", "KTLS"])]
        tls: Option<Vec<u64>>,
    },
    /// Time COUNT pushes of a full record (what a server's reporter does every interval).
    PushCost {
        #[arg(long, default_value_t = 100_000)]
        count: u32,
    },
}

fn run(cli: Cli) -> Result<(), String> {
    let device = Device::open(&cli.device).map_err(|e| format!("{}: {e}", cli.device))?;
    match cli.command {
        Command::Info => {
            let info = device.info().map_err(|e| format!("info: {e}"))?;
            let tls = if info.features & uapi::INFO_TLS != 0 {
                " tls"
            } else {
                ""
            };
            println!(
                "protocol {} max_sources {} record_max {} sources {} max_sources_per_uid {} \
                 features {:#x}{tls}",
                info.protocol,
                info.max_sources,
                info.record_max,
                info.sources,
                info.max_sources_per_uid,
                info.features
            );
        }
        Command::Snapshot => {
            let s = device.snapshot().map_err(|e| format!("snapshot: {e}"))?;
            println!(
                "protocol {} uptime_ms {} opens {} writes_accepted {} writes_rejected {} reads {} sources {}",
                s.protocol, s.uptime_ms, s.opens, s.writes_accepted, s.writes_rejected, s.reads,
                s.rows.len()
            );
            for r in &s.rows {
                let c = r.counters.0;
                let (tls, ktls) = match r.tls {
                    Some(t) => (t.conns_tls.to_string(), t.conns_ktls.to_string()),
                    None => ("-".into(), "-".into()),
                };
                println!(
                    "{} {} {} {} {} {} {} {} {tls} {ktls} {}",
                    r.name, r.pid, c[0], c[1], c[2], c[3], c[4], c[5], r.idle_ms
                );
            }
        }
        Command::Reset => device.reset().map_err(|e| format!("reset: {e}"))?,
        Command::Push {
            name,
            counters,
            hold,
            tls,
        } => {
            let mut values = [0u64; 6];
            values.copy_from_slice(&counters);
            let tls = tls.map(|t| TlsSnapshot {
                conns_tls: t[0],
                conns_ktls: t[1],
            });
            // An older module would answer EINVAL: say why instead.
            if tls.is_some()
                && device
                    .info()
                    .is_ok_and(|i| i.features & uapi::INFO_TLS == 0)
            {
                return Err(format!(
                    "--tls: {} is a module before 0.4.0, which takes no TLS gauges",
                    cli.device
                ));
            }
            let record = encode_record_with_tls(Some(&name), &CounterSnapshot(values), tls);
            device
                .write_record(record.as_bytes())
                .map_err(|e| format!("push: {e}"))?;
            let hold =
                Duration::try_from_secs_f64(hold).map_err(|e| format!("--hold {hold}: {e}"))?;
            std::thread::sleep(hold);
        }
        Command::PushCost { count } => {
            let counters = devstats::Counters::new();
            let first = encode_record(Some("push-cost"), &counters.snapshot());
            device
                .write_record(first.as_bytes())
                .map_err(|e| format!("push: {e}"))?;
            let start = std::time::Instant::now();
            for _ in 0..count {
                // What the reporter does per push: snapshot, encode, one write.
                counters.add_requests(1);
                let record = encode_record(None, &counters.snapshot());
                device
                    .write_record(record.as_bytes())
                    .map_err(|e| format!("push: {e}"))?;
            }
            let ns = start.elapsed().as_nanos() / u128::from(count.max(1));
            println!("pushes={count} ns_per_push={ns}");
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mydevice-ctl: {e}");
            ExitCode::FAILURE
        }
    }
}
