//! `bench-runner`: sweeps io_uring ordering styles across submission modes and
//! shapes, verifies that every run kept the order, and records the results;
//! renders and compares results files.

#![warn(missing_docs)]

mod advise;
mod config;
mod estimate;
mod family;
mod filter;
mod header;
mod list;
mod load;
mod out_dir;
mod perf_control;
mod plan;
mod presence;
mod profile;
mod progress;
mod repro;
mod resume;
mod source;
mod stopping;
mod study;
mod sweep;

use clap::{Parser, Subcommand};
use reports::results::Results;
use reports::sanitize::stdout;
use std::path::{Path, PathBuf};
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
        /// The sweep config (TOML); without one, the built-in default sweep.
        config: Option<PathBuf>,
        /// Output directory (results.jsonl and reports).
        #[arg(long, default_value = "results")]
        out: PathBuf,
        /// Continue an interrupted sweep in OUT with the same config.
        #[arg(long)]
        resume: bool,
        /// Only run cells whose name matches (substring, or glob with `*`).
        #[arg(long, value_name = "PATTERN")]
        filter: Option<String>,
        /// Turn on a perf started with `-D -1 --control fifo:CTL,ACK` over
        /// each profile pass's counter window only, and off again, waiting
        /// for its ack each time: at most 5 s (then the sweep stops with an
        /// error), and Ctrl-C or SIGTERM ends the wait.
        #[arg(long, value_name = "CTL,ACK")]
        perf_control: Option<perf_control::PerfFifos>,
        /// Write into OUT even when another user owns it, or group or others
        /// may write in it without the sticky bit (refused otherwise: as
        /// root, such a directory could hold links planted to overwrite files).
        #[arg(long)]
        out_owner_ok: bool,
    },
    /// Validate a config and print its cells, without running anything.
    Plan {
        /// The sweep config (TOML); without one, the built-in default sweep.
        config: Option<PathBuf>,
        /// Only cells whose name matches (substring, or glob with `*`).
        #[arg(long, value_name = "PATTERN")]
        filter: Option<String>,
    },
    /// Write the default sweep, with the comments that explain it, as a
    /// config to start from.
    Init {
        /// Where to write it.
        #[arg(default_value = "config.toml")]
        path: PathBuf,
        /// Replace the file if it exists.
        #[arg(long)]
        force: bool,
    },
    /// Run a study: the focused sweep that answers one question, the usual
    /// reports, and findings.md, the answers computed from the results.
    Study {
        /// The study (`--list` shows them).
        #[arg(required_unless_present = "list")]
        name: Option<String>,
        /// List the shipped studies, one line each.
        #[arg(long, conflicts_with = "name")]
        list: bool,
        /// Output directory (default: results/study-NAME).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Continue an interrupted run of the study in OUT.
        #[arg(long)]
        resume: bool,
        /// Five short repetitions per cell: the same cells and findings in
        /// seconds, with wider intervals.
        #[arg(long)]
        quick: bool,
        /// Write into OUT even when another user owns it, or group or others
        /// may write in it without the sticky bit (refused otherwise: as
        /// root, such a directory could hold links planted to overwrite files).
        #[arg(long)]
        out_owner_ok: bool,
    },
    /// Which style to use at one shape: a short sweep of every style that
    /// keeps order there, ranked by median with compare's significance rules.
    Advise {
        /// Groups.
        #[arg(long)]
        groups: u32,
        /// Steps per group.
        #[arg(long)]
        steps: u32,
        /// Steps per submission.
        #[arg(long)]
        batch: u32,
        /// The mode.
        #[arg(long, default_value = "default")]
        mode: String,
        /// The op.
        #[arg(long, default_value = "nop")]
        op: String,
        /// Output directory (default: results/advise-gG-sS-bB-MODE-OP).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write into OUT even when another user owns it, or group or others
        /// may write in it without the sticky bit (refused otherwise: as
        /// root, such a directory could hold links planted to overwrite files).
        #[arg(long)]
        out_owner_ok: bool,
    },
    /// Write repro.c: one cell as a short C program on liburing alone that
    /// checks the order as the tool does and counts the passes that broke it.
    /// With --study and no CELL: the reproducers of every cell the study's
    /// reproductions expect to break, built, one directory each under OUT
    /// with the finding it belongs to (what `presence` runs).
    Repro {
        /// The cell, named as the reports print it
        /// (`link/sqpoll-shared/nop/g1-s16-b16-t1`); with --study or
        /// --config, a `--filter` pattern that matches one of its cells.
        #[arg(required_unless_present = "study")]
        cell: Option<String>,
        /// Where to write repro.c.
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// Take the cell from this study's sweep (its ring size and placement).
        #[arg(long, conflicts_with = "config")]
        study: Option<String>,
        /// Take the cell from this config.
        #[arg(long)]
        config: Option<PathBuf>,
        /// Also build and run it (gcc, liburing) and write bug.txt, the bug
        /// report mail, from what it printed (or, where it held here, from
        /// the --kernels it broke on).
        #[arg(long, requires = "cell")]
        mail: bool,
        /// Also build it statically (liburing's and libc's static
        /// libraries) into OUT/repro: a binary that runs where liburing is
        /// not installed, as in scripts/kernel-matrix's guests.
        #[arg(long = "static")]
        static_build: bool,
        /// Results files of `bench-runner presence` runs (one per kernel,
        /// e.g. from scripts/kernel-matrix): the mail says on which kernels
        /// the behaviour is present, in how many runs.
        #[arg(long, num_args = 1.., requires = "mail")]
        kernels: Vec<PathBuf>,
        /// Write into OUT even when another user owns it, or group or others
        /// may write in it without the sticky bit (refused otherwise: as
        /// root, such a directory could hold links planted to overwrite files).
        #[arg(long)]
        out_owner_ok: bool,
    },
    /// Run built reproducers (`repro --static`) several times each on this
    /// kernel and record each run as a `repro` line of OUT/results.jsonl:
    /// whether the behaviour was present (order broken, wakeup lost), held,
    /// skipped or failed. `report` over several kernels' files gives the
    /// presence table.
    Presence {
        /// Reproducer binaries, directories holding one named `repro`, or
        /// a study's directory of them (`repro --study NAME`).
        #[arg(required_unless_present = "study")]
        reproducers: Vec<PathBuf>,
        /// Write and build this study's reproducers (as `repro --study
        /// NAME`) into OUT/reproducers first and run them too: one row per
        /// finding in the presence table.
        #[arg(long)]
        study: Option<String>,
        /// Runs of each reproducer.
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
        runs: u32,
        /// Passes of each run (its `--passes`).
        #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u64).range(1..))]
        passes: u64,
        /// The longest each run goes on (its `--seconds`).
        #[arg(long, default_value_t = 10.0)]
        seconds: f64,
        /// Seconds after which a run is killed and recorded failed with
        /// code `timeout`.
        #[arg(long, default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..))]
        run_timeout: u64,
        /// Output directory for results.jsonl.
        #[arg(long, default_value = "results/presence")]
        out: PathBuf,
        /// Write into OUT even when another user owns it, or group or others
        /// may write in it without the sticky bit (refused otherwise: as
        /// root, such a directory could hold links planted to overwrite files).
        #[arg(long)]
        out_owner_ok: bool,
    },
    /// List styles, modes and ops, and whether this machine supports each.
    List,
    /// Print a results table and render report.md/html, email.txt (with
    /// email-full.txt to attach), bench.json and plots.
    Report {
        /// results.jsonl files (several: kernels or machines side by side).
        #[arg(required = true)]
        results: Vec<PathBuf>,
        /// Where to write the reports (default: beside the first results file).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Skip the plots (text outputs only).
        #[arg(long)]
        no_plots: bool,
        /// Write into OUT even when another user owns it, or group or others
        /// may write in it without the sticky bit (refused otherwise: as
        /// root, such a directory could hold links planted to overwrite files).
        #[arg(long)]
        out_owner_ok: bool,
    },
    /// Hold a run's harness overhead (each cell over its raw reference loop,
    /// measured in the same blocks) to limits; exit code 1 when the median or
    /// any cell is over its limit, naming the cells.
    Fidelity {
        /// results.jsonl files.
        #[arg(required = true)]
        results: Vec<PathBuf>,
        /// The most the median overhead may be.
        #[arg(long, default_value_t = reports::analysis::fidelity::Limits::CI.median)]
        median: f64,
        /// The most any one cell's overhead may be.
        #[arg(long, default_value_t = reports::analysis::fidelity::Limits::CI.cell)]
        cell: f64,
    },
    /// Compare a baseline with a candidate; exit code 1 when any cell
    /// regressed or broke, a baseline cell is missing from the candidate
    /// (unless --allow-missing), or nothing was compared.
    Compare {
        /// Baseline results.jsonl.
        base: PathBuf,
        /// Candidate results.jsonl.
        candidate: PathBuf,
        /// Smallest relative change of the median that counts, in percent.
        #[arg(long, default_value_t = 5.0)]
        threshold: f64,
        /// Significance level of the test.
        #[arg(long, default_value_t = 0.05)]
        alpha: f64,
        /// Also give verdicts to oversubscribed cells (more busy threads than CPUs).
        #[arg(long)]
        include_oversubscribed: bool,
        /// Accept baseline cells the candidate lacks (each is otherwise a
        /// failure, exit code 1).
        #[arg(long)]
        allow_missing: bool,
        /// Where to write compare.md, compare-email.txt and compare-bench.json.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Write into OUT even when another user owns it, or group or others
        /// may write in it without the sticky bit (refused otherwise: as
        /// root, such a directory could hold links planted to overwrite files).
        #[arg(long)]
        out_owner_ok: bool,
    },
}

/// Exit code of `compare` when any cell regressed.
const EXIT_REGRESSION: u8 = 1;
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
        .expect("SIGINT and SIGTERM may always be handled");
        signal_hook::flag::register(signal, flag.clone())
            .expect("SIGINT and SIGTERM may always be handled");
    }
    flag
}

/// What a sweep's results are read for once its reports are rendered.
enum Then<'a> {
    /// Nothing more.
    Reports,
    /// A study's findings.
    Findings(&'a study::Study),
    /// `advise`'s ranking.
    Advice,
}

/// Runs a sweep, then renders its reports and what `then` asks of it.
fn run_sweep(args: sweep::SweepArgs, then: Then<'_>) -> ExitCode {
    let study = match then {
        Then::Findings(s) => Some(s),
        Then::Reports | Then::Advice => None,
    };
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
            let rendered = Results::read(&outcome.results)
                .map_err(|e| e.to_string())
                .and_then(|r| {
                    let asked = study
                        .map(study::Study::asked)
                        .transpose()
                        .map_err(|e| e.to_string())?;
                    render(std::slice::from_ref(&r), &args.out, true, asked.as_ref())?;
                    match then {
                        Then::Findings(s) => findings(s, &r, &args.out),
                        Then::Advice => {
                            advice(&r);
                            Ok(())
                        }
                        Then::Reports => Ok(()),
                    }
                });
            // Only now may another sweep use the directory.
            drop(outcome.lock);
            match rendered {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: rendering reports: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            match e {
                sweep::SweepError::Config(_)
                | sweep::SweepError::HashMismatch { .. }
                | sweep::SweepError::PerfControlWithoutProfile
                | sweep::SweepError::OutDir(_)
                | sweep::SweepError::NoMatch(_)
                | sweep::SweepError::PerfControl(perf_control::PerfControlError::NotFifo {
                    ..
                })
                | sweep::SweepError::PerfControl(perf_control::PerfControlError::NoListener {
                    ..
                }) => ExitCode::from(EXIT_USAGE),
                _ => ExitCode::FAILURE,
            }
        }
    }
}

/// Prints `advise`'s ranking of the results.
fn advice(results: &Results) {
    let report = reports::analysis::model::Report::build(std::slice::from_ref(results));
    let advice =
        reports::analysis::advice::Advice::of(&report, &reports::CompareOptions::default());
    print!(
        "{}",
        stdout(&reports::render::advice_text::text(
            &advice,
            &results.header.run.command
        ))
    );
}

/// Prints a study's findings, which the reports wrote to findings.md.
fn findings(study: &study::Study, results: &Results, out: &Path) -> Result<(), String> {
    let sentences = study.sentences(results).map_err(|e| e.to_string())?;
    println!("findings of study {}:", study.name);
    for s in &sentences {
        print!("{}", stdout(&format!("- {s}\n")));
    }
    eprintln!("findings: {}", out.join("findings.md").display());
    Ok(())
}

/// `study`: lists the shipped studies, or runs one.
fn run_study(
    name: Option<String>,
    list: bool,
    out: Option<PathBuf>,
    resume: bool,
    quick: bool,
    out_owner_ok: bool,
) -> ExitCode {
    if list {
        for s in study::STUDIES {
            println!("{:<20} {}", s.name, s.summary());
        }
        return ExitCode::SUCCESS;
    }
    let name = name.unwrap_or_default();
    let Some(found) = study::find(&name) else {
        eprintln!("error: unknown study `{name}` (known: {})", study::names());
        return ExitCode::from(EXIT_USAGE);
    };
    let args = sweep::SweepArgs {
        config: source::ConfigSource::Study { name, quick },
        out: out.unwrap_or_else(|| Path::new("results").join(format!("study-{}", found.name))),
        resume,
        filter: None,
        perf_control: None,
        out_owner_ok,
    };
    run_sweep(args, Then::Findings(found))
}

/// `init`: writes the built-in default sweep to `path`, never over a file
/// unless `force`.
fn init(path: &Path, force: bool) -> ExitCode {
    let text = source::BUILT_IN.as_bytes();
    // Replacing goes through a temporary file renamed into place, so a link
    // planted at `path` is replaced, never written through; a new file is
    // created exclusively, which a link at `path` also refuses.
    let written = if force {
        reports::render::exporter::write_file(path, text).map_err(std::io::Error::other)
    } else {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
            .and_then(|mut f| std::io::Write::write_all(&mut f, text))
    };
    match written {
        Ok(()) => {
            eprintln!(
                "wrote {}: the default sweep; run it with: bench-runner sweep {}",
                path.display(),
                path.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            eprintln!(
                "error: {} exists: pass --force to replace it",
                path.display()
            );
            ExitCode::from(EXIT_USAGE)
        }
        Err(e) => {
            eprintln!("error: {}: {e}", path.display());
            ExitCode::FAILURE
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
            perf_control,
            out_owner_ok,
        } => run_sweep(
            sweep::SweepArgs {
                config: source::ConfigSource::of(config),
                out,
                resume,
                filter,
                perf_control,
                out_owner_ok,
            },
            Then::Reports,
        ),
        Command::Advise {
            groups,
            steps,
            batch,
            mode,
            op,
            out,
            out_owner_ok,
        } => match advise::AdviseShape::new(groups, steps, batch, &mode, &op) {
            Ok(shape) => run_advise(shape, out, out_owner_ok),
            Err(e) => {
                eprintln!("error: {e}");
                ExitCode::from(EXIT_USAGE)
            }
        },
        Command::Study {
            name,
            list,
            out,
            resume,
            quick,
            out_owner_ok,
        } => run_study(name, list, out, resume, quick, out_owner_ok),
        Command::Init { path, force } => init(&path, force),
        Command::Plan { config, filter } => print_plan(config, filter.as_deref()),
        Command::Repro {
            cell,
            out,
            study,
            config,
            mail,
            static_build,
            kernels,
            out_owner_ok,
        } => match (cell, study) {
            (None, Some(study)) => run_study_repro(&study, &out, static_build, out_owner_ok),
            (cell, study) => run_repro(repro::ReproArgs {
                cell: cell.unwrap_or_default(),
                source: study
                    .map(|name| source::ConfigSource::Study { name, quick: false })
                    .or(config.map(source::ConfigSource::File)),
                out,
                mail,
                static_build,
                kernels,
                out_owner_ok,
            }),
        },
        Command::Presence {
            reproducers,
            study,
            runs,
            passes,
            seconds,
            run_timeout,
            out,
            out_owner_ok,
        } => run_presence(presence::PresenceArgs {
            reproducers,
            study,
            runs,
            passes,
            seconds,
            run_timeout: std::time::Duration::from_secs(run_timeout),
            out,
            out_owner_ok,
        }),
        Command::List => print_list(),
        Command::Report {
            results,
            out,
            no_plots,
            out_owner_ok,
        } => report(&results, out, no_plots, out_owner_ok),
        Command::Fidelity {
            results,
            median,
            cell,
        } => fidelity(
            &results,
            reports::analysis::fidelity::Limits { median, cell },
        ),
        Command::Compare {
            base,
            candidate,
            threshold,
            alpha,
            include_oversubscribed,
            allow_missing,
            out,
            out_owner_ok,
        } => compare(
            &base,
            &candidate,
            &reports::CompareOptions {
                threshold: threshold / 100.0,
                alpha,
                include_oversubscribed,
                allow_missing,
            },
            out,
            out_owner_ok,
        ),
    }
}

/// `advise`: a short sweep of every style that keeps order at `shape`, then
/// its ranking; `out` defaults to the shape's own directory.
fn run_advise(shape: advise::AdviseShape, out: Option<PathBuf>, out_owner_ok: bool) -> ExitCode {
    let out = out.unwrap_or_else(|| shape.default_out());
    let args = sweep::SweepArgs {
        config: source::ConfigSource::Advise(shape),
        out,
        resume: false,
        filter: None,
        perf_control: None,
        out_owner_ok,
    };
    run_sweep(args, Then::Advice)
}

/// `repro`: writes the cell's reproducer, or says in one line why not.
fn run_repro(args: repro::ReproArgs) -> ExitCode {
    match repro::write(&args) {
        Ok(w) => {
            eprintln!(
                "wrote {} ({} lines) for {}; build it with: {}",
                w.path.display(),
                w.lines,
                w.cell,
                repro::BUILD
            );
            if let Some(binary) = w.binary {
                eprintln!("built {} ({})", binary.display(), repro::BUILD_STATIC);
            }
            if let Some(mail) = w.mail {
                eprintln!("wrote {}", mail.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => repro_failed(e),
    }
}

/// What `repro` says and exits with when it wrote nothing: a held cell
/// (no bug to report) and an output directory it may not write are
/// failures (1), anything else a usage error (2).
fn repro_failed(e: repro::ReproError) -> ExitCode {
    match e {
        e @ repro::ReproError::Held(_) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
        repro::ReproError::OutDir(e) if !e.is_usage() => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
        e => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// `repro --study NAME`: writes and builds the reproducers of the study's
/// findings, or says in one line why not.
fn run_study_repro(study: &str, out: &Path, static_build: bool, out_owner_ok: bool) -> ExitCode {
    match repro::study::write(study, out, static_build, out_owner_ok) {
        Ok(built) => {
            for b in &built {
                eprintln!("built {} for {}", b.dir.join("repro").display(), b.cell);
            }
            eprintln!(
                "wrote {} reproducers of {study}'s findings into {}; run them with: bench-runner presence {}",
                built.len(),
                out.display(),
                out.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => repro_failed(e),
    }
}

/// `presence`: runs the reproducers and records their runs, or says in one
/// line why not.
fn run_presence(args: presence::PresenceArgs) -> ExitCode {
    if !(args.seconds > 0.0 && args.seconds.is_finite()) {
        eprintln!(
            "error: --seconds must be a positive number, not {}",
            args.seconds
        );
        return ExitCode::from(EXIT_USAGE);
    }
    match presence::run(&args) {
        Ok(path) => {
            eprintln!("wrote {}", path.display());
            ExitCode::SUCCESS
        }
        Err(presence::PresenceError::OutDir(e)) if e.is_usage() => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_USAGE)
        }
        Err(
            e @ (presence::PresenceError::Reproducer { .. }
            | presence::PresenceError::Cell { .. }
            | presence::PresenceError::Study(
                repro::ReproError::Study(_) | repro::ReproError::Refused { .. },
            )),
        ) => {
            eprintln!("error: {e}");
            ExitCode::from(EXIT_USAGE)
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `plan`: validates the config and prints the cells `filter` keeps, one
/// name a line, then their count, without running anything; on stderr,
/// which of them this machine would skip and why (the sweep's own check),
/// the batches that run as smaller ones, and how long the sweep would take.
/// A filter that keeps no cell is refused.
fn print_plan(config: Option<PathBuf>, filter: Option<&str>) -> ExitCode {
    let source = source::ConfigSource::of(config);
    let c = match config::Config::from_source(&source) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let filter = filter.map(filter::Filter::new);
    let planned = plan::plan_noting(&c, filter.as_ref());
    if let Some(f) = &filter {
        if let Err(e) = f.check(
            planned.cells.len(),
            plan::plan(&c, None).len(),
            &source.to_string(),
        ) {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    }
    let caps = workloads::probe::Capabilities::detect();
    let mut skips: Vec<(workloads::probe::Unmet, Vec<&str>)> = Vec::new();
    let (mut runnable, mut references) = (0, 0);
    for cell in &planned.cells {
        println!("{}", cell.name);
        match cell.check(&caps) {
            Ok(()) => {
                runnable += 1;
                references += usize::from(cell.has_reference(&c));
            }
            Err(unmet) => match skips.iter_mut().find(|(u, _)| *u == unmet) {
                Some((_, names)) => names.push(&cell.name),
                None => skips.push((unmet, vec![&cell.name])),
            },
        }
    }
    println!("{} cell(s)", planned.cells.len());
    for (unmet, names) in &skips {
        eprintln!(
            "{} cell(s) skipped on this machine ({}): {}",
            names.len(),
            unmet.code.as_str(),
            stdout(&unmet.reason)
        );
        for name in names {
            eprintln!("  {name}");
        }
    }
    for clamp in &planned.clamps {
        eprintln!("{clamp}");
    }
    eprintln!("{}", estimate::Estimate::of(&c, runnable, references));
    ExitCode::SUCCESS
}

/// `list`: prints the styles, modes and ops and whether this machine
/// supports each.
fn print_list() -> ExitCode {
    print!(
        "{}",
        list::render(&workloads::probe::Capabilities::detect())
    );
    ExitCode::SUCCESS
}

/// Reads results files, printing their warnings; `Err` is the exit code.
fn read_all(paths: &[PathBuf]) -> Result<Vec<Results>, ExitCode> {
    let mut inputs = Vec::new();
    for path in paths {
        match Results::read(path) {
            Ok(r) => {
                for w in &r.warnings {
                    eprintln!("warning: {}: {w}", path.display());
                }
                inputs.push(r);
            }
            Err(e) => {
                eprintln!("error: {e}");
                return Err(ExitCode::from(EXIT_USAGE));
            }
        }
    }
    Ok(inputs)
}

/// The outputs a person opens first, named at the end of `sweep` and
/// `report`: the page and the mail.
const READ_FIRST: [(&str, &str); 2] = [("report.html", "report"), ("email.txt", "mail")];

/// Renders every report output of `inputs` into `out`, the findings
/// answering a study's question (and findings.md) when there is one, then
/// prints the verdict, names the files to read first and counts the rest.
fn render(
    inputs: &[Results],
    out: &Path,
    plots: bool,
    study: Option<&reports::analysis::findings::StudyQuestion>,
) -> Result<(), String> {
    let opts = reports::RenderOptions { plots, png: plots };
    let start = std::time::Instant::now();
    let reports::Written {
        paths: written,
        verdict,
        table,
    } = reports::render_answering(inputs, out, &opts, study).map_err(|e| e.to_string())?;
    for sentence in &verdict {
        for line in reports::render::mail::wrap(sentence, 78, "- ", "  ") {
            eprintln!("{line}");
        }
    }
    for line in &table {
        eprintln!("{line}");
    }
    for (file, what) in READ_FIRST {
        if let Some(path) = written
            .iter()
            .find(|p| p.file_name() == Some(file.as_ref()))
        {
            eprintln!("{what}: {}", path.display());
        }
    }
    eprintln!(
        "{} file(s) in all in {} ({:.2} s)",
        written.len(),
        out.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn report(paths: &[PathBuf], out: Option<PathBuf>, no_plots: bool, out_owner_ok: bool) -> ExitCode {
    let out = out.unwrap_or_else(|| beside(&paths[0]));
    if let Err(code) = prepare_out(&out, out_owner_ok) {
        return code;
    }
    let inputs = match read_all(paths) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    print!("{}", stdout(&reports::text_table(&inputs)));
    match render(&inputs, &out, !no_plots, None) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Checks (creating it if needed) the output directory of `report` or
/// `compare` (see `out_dir`); `Err` is the exit code, its reason printed.
fn prepare_out(out: &Path, owner_ok: bool) -> Result<(), ExitCode> {
    out_dir::prepare(out, owner_ok).map_err(|e| {
        eprintln!("error: {e}");
        if e.is_usage() {
            ExitCode::from(EXIT_USAGE)
        } else {
            ExitCode::FAILURE
        }
    })
}

/// `fidelity`: the harness overhead of `paths`' cells against `limits`.
fn fidelity(paths: &[PathBuf], limits: reports::analysis::fidelity::Limits) -> ExitCode {
    let inputs = match read_all(paths) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    let report = reports::analysis::model::Report::build(&inputs);
    let verdict = reports::analysis::fidelity::Fidelity::judge(&report, limits);
    for line in verdict.lines() {
        print!("{}", stdout(&format!("{line}\n")));
    }
    if verdict.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The directory of a results file, where its reports go by default.
fn beside(path: &Path) -> PathBuf {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

fn compare(
    base: &Path,
    candidate: &Path,
    opts: &reports::CompareOptions,
    out: Option<PathBuf>,
    out_owner_ok: bool,
) -> ExitCode {
    let out = out.unwrap_or_else(|| beside(candidate));
    if let Err(code) = prepare_out(&out, out_owner_ok) {
        return code;
    }
    let inputs = match read_all(&[base.to_path_buf(), candidate.to_path_buf()]) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    let comparison = reports::compare(&inputs[0], &inputs[1], opts);
    print!("{}", stdout(&comparison.text()));
    if let Err(e) = reports::render_comparison(&comparison, &out) {
        eprintln!("error: {e}");
        return ExitCode::FAILURE;
    }
    if comparison.has_regression() {
        ExitCode::from(EXIT_REGRESSION)
    } else {
        ExitCode::SUCCESS
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn perf_controls_help_states_how_long_it_waits_for_perf() {
        let mut cli = Cli::command();
        let sweep = cli.find_subcommand_mut("sweep").unwrap();
        let help = sweep.render_long_help().to_string();
        let wait = format!("at most {} s", perf_control::ACK_TIMEOUT.as_secs());
        assert!(help.contains(&wait), "{help}");
    }
}
