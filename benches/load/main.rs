//! The Convene load harness: starts the Zoom emulator, the release hub and a bare-minimum
//! comparator as separate processes on loopback, seeds them through the real OAuth flow,
//! and measures throughput, latency, CPU and memory. Run `cargo bench --bench load -- --help`.

mod browser;
mod bulk;
mod chaos;
mod comparator;
mod database;
mod forms;
mod hub;
mod hub_db;
mod hub_metrics;
mod load;
mod measure;
mod million;
mod postgres;
mod processes;
mod receiver;
mod scale;
mod stats;
mod storm;
mod testbed;
mod workload;
mod zoom;

use clap::{Parser, Subcommand};

/// Measures the hub against Zoom called directly and against a bare-minimum comparator.
#[derive(Parser, Debug)]
#[command(name = "load")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Passed by `cargo bench`; ignored.
    #[arg(long, global = true, hide = true)]
    bench: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Paths (a)–(f) at each concurrency level, Zoom-like and zero latency.
    Measure(measure::MeasureArgs),
    /// Event creates through one, then two hub instances on one PostgreSQL database.
    Scale(scale::ScaleArgs),
    /// Many credentials expired at once and used from two instances: refresh grants each.
    Storm(storm::StormArgs),
    /// Event create and list with a million stored events, against an empty database.
    Million(million::MillionArgs),
    /// Steady load through Zoom faults, hub SIGKILLs and a PostgreSQL restart; then checks.
    Chaos(chaos::ChaosArgs),
    /// (child role) The Zoom emulator alone.
    #[command(hide = true)]
    Emulator(zoom::EmulatorRole),
    /// (child role) The bare-minimum comparator.
    #[command(hide = true)]
    Comparator(comparator::ComparatorRole),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    match Cli::parse().command {
        Command::Measure(args) => measure::run(args).await,
        Command::Scale(args) => scale::run(args).await,
        Command::Storm(args) => storm::run(args).await,
        Command::Chaos(args) => chaos::run(args).await,
        Command::Million(args) => million::run(args).await,
        Command::Emulator(role) => role.serve().await,
        Command::Comparator(role) => role.serve().await,
    }
}
