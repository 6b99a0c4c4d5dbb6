//! `bench-runner`: sweeps io_uring ordering styles across submission modes and
//! shapes, verifies that every run kept the order, and records the results;
//! renders and compares results files.

mod config;
mod header;
mod list;
mod plan;
mod profile;
mod progress;
mod sweep;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// What each way of enforcing order on io_uring costs, and where the cost goes.
#[derive(Parser)]
#[command(name = "bench-runner", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run every cell of a config and append the results to OUT/results.jsonl.
    Sweep {
        /// The sweep config (TOML).
        config: PathBuf,
        /// Output directory (results.jsonl and reports).
        #[arg(long, default_value = "results")]
        out: PathBuf,
        /// Continue an interrupted sweep in OUT with the same config.
        #[arg(long)]
        resume: bool,
        /// Only run cells whose name matches (substring, or glob with `*`).
        #[arg(long, value_name = "PATTERN")]
        filter: Option<String>,
    },
    /// Validate a config and print its cells, without running anything.
    Plan {
        /// The sweep config (TOML).
        config: PathBuf,
        /// Only cells whose name matches (substring, or glob with `*`).
        #[arg(long, value_name = "PATTERN")]
        filter: Option<String>,
    },
    /// List styles, modes and ops, and whether this machine supports each.
    List,
    /// Summarise a results file as a plain-text table.
    Report {
        /// results.jsonl files (several: kernels or machines side by side).
        #[arg(required = true)]
        results: Vec<PathBuf>,
    },
}

/// Exit code for a bad invocation or a bad config.
const EXIT_USAGE: u8 = 2;
/// Exit code after Ctrl-C/SIGTERM (128 + SIGINT).
const EXIT_INTERRUPTED: u8 = 130;

fn install_signals() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second signal while the first is being handled ends the process at once.
        signal_hook::flag::register_conditional_shutdown(
            signal,
            EXIT_INTERRUPTED as i32,
            flag.clone(),
        )
        .expect("signal handler");
        signal_hook::flag::register(signal, flag.clone()).expect("signal handler");
    }
    flag
}

fn run_sweep(args: sweep::SweepArgs) -> ExitCode {
    let interrupt = install_signals();
    match sweep::sweep(&args, &interrupt) {
        Ok(outcome) if outcome.interrupted => {
            eprintln!(
                "interrupted: {} record(s) written, everything measured is in {}; resume with: {}",
                outcome.written,
                outcome.results.display(),
                sweep::command_line(&args, true).join(" ")
            );
            ExitCode::from(EXIT_INTERRUPTED)
        }
        Ok(outcome) => {
            eprintln!(
                "done: {} record(s) written to {}",
                outcome.written,
                outcome.results.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            match e {
                sweep::SweepError::Config(_) | sweep::SweepError::HashMismatch { .. } => {
                    ExitCode::from(EXIT_USAGE)
                }
                _ => ExitCode::FAILURE,
            }
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Sweep {
            config,
            out,
            resume,
            filter,
        } => run_sweep(sweep::SweepArgs {
            config,
            out,
            resume,
            filter,
        }),
        Command::Plan { config, filter } => match config::Config::load(&config) {
            Ok(c) => {
                let cells = plan::plan(&c, filter.as_deref());
                for cell in &cells {
                    println!("{}", cell.name);
                }
                println!("{} cell(s)", cells.len());
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(EXIT_USAGE)
            }
        },
        Command::List => {
            print!(
                "{}",
                list::render(&workloads::probe::Capabilities::detect())
            );
            ExitCode::SUCCESS
        }
        Command::Report { results } => report(&results),
    }
}

fn report(paths: &[PathBuf]) -> ExitCode {
    let mut inputs = Vec::new();
    for path in paths {
        match reports::results::Results::read(path) {
            Ok(r) => {
                for w in &r.warnings {
                    eprintln!("warning: {}: {w}", path.display());
                }
                inputs.push(r);
            }
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
        }
    }
    for r in &inputs {
        for rec in &r.records {
            println!(
                "{:<48} {:?} {:?} {}",
                rec.name,
                rec.status,
                rec.timing.as_ref().map(|t| t.ns_per_step),
                rec.reason.as_deref().unwrap_or("")
            );
        }
    }
    ExitCode::SUCCESS
}
