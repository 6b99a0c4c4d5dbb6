//! The sweep: plan the cells, gate each on the probe, warm it up, time its
//! repetitions, and append every outcome to results.jsonl the moment it is
//! known. An interrupted sweep keeps everything measured and resumes from the
//! file; a cell that breaks the order is recorded as failed, never as a timing.

use crate::config::{Config, ConfigError};
use crate::header;
use crate::plan::{plan, PlannedCell};
use crate::profile::Observers;
use crate::progress::Progress;
use itertools::Itertools;
use reports::results::{Results, ResultsError, ResultsWriter};
use reports::schema::{CellRecord, Pass, Record, RunInfo, Status, Timing, ViolationRecord};
use std::collections::{BTreeMap, BTreeSet};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use workloads::cancel::Cancel;
use workloads::cell::{CellError, CellRun, Measurement};
use workloads::probe::Capabilities;

/// What `bench-runner sweep` was asked to do.
pub struct SweepArgs {
    /// The config file.
    pub config: PathBuf,
    /// The output directory.
    pub out: PathBuf,
    /// Continue the results file in `out`.
    pub resume: bool,
    /// Only cells whose name matches.
    pub filter: Option<String>,
}

/// Why a sweep could not run or go on.
#[derive(thiserror::Error, Debug)]
pub enum SweepError {
    /// The config is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The results file could not be read or written.
    #[error(transparent)]
    Results(#[from] ResultsError),
    /// Another sweep holds the output directory.
    #[error("{0}: another sweep is writing to this directory")]
    Locked(PathBuf),
    /// A results file is there and `--resume` was not given.
    #[error("{0} already exists: pass --resume to continue it, or choose another --out")]
    Exists(PathBuf),
    /// `--resume` with a different config.
    #[error("{path}: written with config hash {found}, but {config} hashes to {expected}; resume needs the same config")]
    HashMismatch {
        /// The results file.
        path: PathBuf,
        /// The config file.
        config: String,
        /// Hash in the results header.
        found: String,
        /// Hash of the config now.
        expected: String,
    },
    /// The output directory could not be prepared.
    #[error("{path}: {source}")]
    Io {
        /// What failed.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// How a sweep ended.
pub struct SweepOutcome {
    /// The results file.
    pub results: PathBuf,
    /// Whether it stopped on Ctrl-C/SIGTERM before finishing.
    pub interrupted: bool,
    /// Records written by this invocation.
    pub written: usize,
    /// The output directory's lock, held until the caller has rendered the
    /// reports, so that another sweep cannot write there meanwhile.
    pub lock: File,
}

fn now_unix() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What the results file already holds for each cell (for `--resume`).
#[derive(Default)]
struct Done {
    ok_reps: Vec<u32>,
    finished: bool,
    profiled: bool,
}

impl Done {
    /// Whether nothing of the cell is left to run: it failed or was skipped,
    /// or its profile line is there and none of its timing lines went missing
    /// (repetitions run in order, so a complete cell holds 0..n, n at least
    /// the minimum; a gap is a line lost to corruption, run again).
    fn complete(&self, min_repetitions: u32) -> bool {
        let reps: std::collections::BTreeSet<u32> = self.ok_reps.iter().copied().collect();
        let in_order = reps.iter().zip(0..).all(|(&rep, i)| rep == i);
        self.finished || (self.profiled && in_order && reps.len() as u32 >= min_repetitions)
    }
}

/// A cell being measured across the rounds of a sweep.
struct Active<'c> {
    cell: &'c PlannedCell,
    /// Repetitions recorded ok, earlier runs included.
    reps: BTreeSet<u32>,
    /// Passes per repetition, found by the first warm-up of this run.
    iterations: Option<u64>,
    /// Time spent timing its repetitions in this run (against `time_budget`).
    spent: Duration,
    /// ns/step of this run's repetitions.
    medians: Vec<f64>,
    /// Its profile line is already recorded (a resume re-runs only lost repetitions).
    profiled: bool,
    /// Failed or interrupted: no more visits.
    ended: bool,
}

/// What one visit of a cell came to.
enum Visit {
    /// A repetition was recorded (ns/step).
    Measured(f64),
    /// The cell failed (reason recorded); it is not visited again.
    Ended(String),
    /// Ctrl-C or SIGTERM: the sweep stops.
    Interrupted,
}

fn done_by_cell(results: &Results) -> BTreeMap<String, Done> {
    let mut done: BTreeMap<String, Done> = BTreeMap::new();
    for r in &results.records {
        let d = done.entry(r.name.clone()).or_default();
        match (r.pass, r.status) {
            (Pass::Timing, Status::Ok) => d.ok_reps.push(r.rep),
            (_, Status::Interrupted) => {}
            (Pass::Profile, _) => d.profiled = true,
            (_, Status::Failed | Status::Skipped) => d.finished = true,
        }
    }
    done
}

struct Sweeper<'a> {
    config: &'a Config,
    writer: ResultsWriter,
    interrupt: &'a AtomicBool,
    observers: Option<Observers>,
    written: usize,
}

impl Sweeper<'_> {
    fn write(
        &mut self,
        cell: &PlannedCell,
        pass: Pass,
        rep: u32,
        status: Status,
        fill: impl FnOnce(&mut CellRecord),
    ) -> Result<(), SweepError> {
        let mut record = CellRecord {
            name: cell.name.clone(),
            cell: cell.key.clone(),
            pass,
            rep,
            status,
            reason: None,
            violation: None,
            timing: None,
            profile: None,
            labels: cell.labels.clone(),
            placement: Some(cell.placement.clone()),
            oversubscribed: cell.oversubscribed,
            finished_unix: now_unix(),
        };
        fill(&mut record);
        self.writer.append(&Record::Cell(Box::new(record)))?;
        self.written += 1;
        Ok(())
    }

    fn write_error(
        &mut self,
        cell: &PlannedCell,
        rep: u32,
        error: &CellError,
    ) -> Result<String, SweepError> {
        let status = match error {
            CellError::Interrupted => Status::Interrupted,
            _ => Status::Failed,
        };
        let violation = match error {
            CellError::Violation(v) => Some(ViolationRecord {
                group: v.group,
                expected: v.expected,
                got: v.got,
                source: v.source.name().into(),
            }),
            _ => None,
        };
        let reason = error.to_string();
        self.write(cell, Pass::Timing, rep, status, |r| {
            r.reason = Some(reason.clone());
            r.violation = violation;
        })?;
        Ok(reason)
    }

    /// Runs repetition `rep` of a cell on a fresh set-up: warmed up (the first
    /// visit also finds how many passes make a repetition), timed, recorded.
    fn visit(&mut self, a: &mut Active<'_>, rep: u32) -> Result<Visit, SweepError> {
        let mut run = match CellRun::start(&a.cell.spec, Cancel::new()) {
            Ok(run) => run,
            Err(e) => return self.visit_failed(a, rep, &e),
        };
        let warmed = match a.iterations {
            Some(n) => run
                .run((n / 4).max(1), self.config.watchdog, self.interrupt)
                .map(|_| n),
            None => self.warm_up(&mut run),
        };
        let iterations = match warmed {
            Ok(n) => n,
            Err(e) => return self.visit_failed(a, rep, &e),
        };
        a.iterations = Some(iterations);
        let started = Instant::now();
        let measured = run.run(iterations, self.config.watchdog, self.interrupt);
        a.spent += started.elapsed();
        let m = match measured {
            Ok(m) => m,
            Err(e) => return self.visit_failed(a, rep, &e),
        };
        let timing = timing(&m);
        a.medians.push(timing.ns_per_step);
        a.reps.insert(rep);
        let ns = timing.ns_per_step;
        self.write(a.cell, Pass::Timing, rep, Status::Ok, |r| {
            r.timing = Some(timing)
        })?;
        Ok(Visit::Measured(ns))
    }

    fn visit_failed(
        &mut self,
        a: &mut Active<'_>,
        rep: u32,
        e: &CellError,
    ) -> Result<Visit, SweepError> {
        a.ended = true;
        let reason = self.write_error(a.cell, rep, e)?;
        Ok(match e {
            CellError::Interrupted => Visit::Interrupted,
            _ => Visit::Ended(reason),
        })
    }

    /// The profile pass of a cell whose repetitions are all recorded (unless
    /// it has one already); returns its one-line outcome.
    fn finish(&mut self, a: &mut Active<'_>) -> Result<String, SweepError> {
        a.medians.sort_by(f64::total_cmp);
        let median = a.medians.get(a.medians.len() / 2).copied();
        let outcome = match median {
            Some(m) => format!("ok {m:.0} ns/step"),
            None => "ok (profile pass only)".into(),
        };
        if a.profiled {
            return Ok(outcome);
        }
        let iterations = match a.iterations {
            Some(n) => n,
            // Every repetition was measured before a resume: calibrate anew.
            None => {
                let calibrated = CellRun::start(&a.cell.spec, Cancel::new())
                    .and_then(|mut run| self.warm_up(&mut run));
                match calibrated {
                    Ok(n) => n,
                    Err(e) => {
                        a.ended = true;
                        return self.write_error(a.cell, 0, &e);
                    }
                }
            }
        };
        self.profile(a.cell, iterations, median)?;
        Ok(outcome)
    }

    /// Writes the cell's profile-pass line; its presence marks the cell complete.
    fn profile(
        &mut self,
        cell: &PlannedCell,
        iterations: u64,
        median: Option<f64>,
    ) -> Result<(), SweepError> {
        let Some(observers) = &mut self.observers else {
            return self.write(cell, Pass::Profile, 0, Status::Skipped, |r| {
                r.reason = Some("profile pass disabled by the config".into())
            });
        };
        let result = observers.profile(
            &cell.spec,
            iterations,
            median,
            self.config.watchdog,
            self.interrupt,
        );
        match result {
            Ok(profile) => self.write(cell, Pass::Profile, 0, Status::Ok, |r| {
                r.profile = Some(profile)
            }),
            Err(e) => {
                let status = match e {
                    CellError::Interrupted => Status::Interrupted,
                    _ => Status::Failed,
                };
                self.write(cell, Pass::Profile, 0, status, |r| {
                    r.reason = Some(e.to_string())
                })
            }
        }
    }

    /// Runs passes for the warm-up time and returns how many passes make one
    /// repetition of about `rep_time`.
    fn warm_up(&mut self, run: &mut CellRun) -> Result<u64, CellError> {
        let start = Instant::now();
        let mut passes = 0u64;
        let mut batch = 1u64;
        while passes == 0 || start.elapsed() < self.config.warmup {
            run.run(batch, self.config.watchdog, self.interrupt)?;
            passes += batch;
            batch = (batch * 2).min(1 << 16);
        }
        let per_pass = start.elapsed().as_secs_f64() / passes as f64;
        Ok(((self.config.rep_time.as_secs_f64() / per_pass).ceil() as u64).clamp(1, 1 << 24))
    }
}

fn timing(m: &Measurement) -> Timing {
    let steps = m.steps.max(1);
    Timing {
        iterations: m.iterations,
        steps: m.steps,
        wall_ns: m.wall_ns,
        cpu_ns: m.cpu_ns,
        ns_per_step: m.wall_ns as f64 / steps as f64,
        cpu_ns_per_step: m.cpu_ns as f64 / steps as f64,
    }
}

/// Holds the output directory's lock for the life of the sweep.
fn lock_dir(out: &Path) -> Result<File, SweepError> {
    let io = |source| SweepError::Io {
        path: out.to_path_buf(),
        source,
    };
    fs::create_dir_all(out).map_err(io)?;
    let lock = File::create(out.join(".lock")).map_err(io)?;
    match fs4::fs_std::FileExt::try_lock_exclusive(&lock) {
        Ok(true) => Ok(lock),
        Ok(false) => Err(SweepError::Locked(out.to_path_buf())),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
            Err(SweepError::Locked(out.to_path_buf()))
        }
        Err(e) => Err(io(e)),
    }
}

/// The command that reproduces (or resumes) this sweep.
pub fn command_line(args: &SweepArgs, resume: bool) -> Vec<String> {
    let mut cmd = vec![
        "bench-runner".to_string(),
        "sweep".into(),
        args.config.display().to_string(),
        "--out".into(),
        args.out.display().to_string(),
    ];
    if let Some(f) = &args.filter {
        cmd.extend(["--filter".into(), f.clone()]);
    }
    if resume {
        cmd.push("--resume".into());
    }
    cmd
}

/// Runs (or resumes) a sweep. `interrupt` is set by Ctrl-C/SIGTERM.
pub fn sweep(args: &SweepArgs, interrupt: &AtomicBool) -> Result<SweepOutcome, SweepError> {
    let config = Config::load(&args.config)?;
    let lock = lock_dir(&args.out)?;
    let path = args.out.join("results.jsonl");
    let caps = Capabilities::detect();
    // A kill between creating the file and writing its header leaves it empty:
    // it holds nothing to keep, so it is started afresh.
    if fs::metadata(&path).is_ok_and(|m| m.len() == 0) {
        fs::remove_file(&path).map_err(|source| SweepError::Io {
            path: path.clone(),
            source,
        })?;
    }
    let cells = plan(&config, args.filter.as_deref());
    let (writer, done) = if path.exists() {
        if !args.resume {
            return Err(SweepError::Exists(path));
        }
        let existing = Results::read(&path)?;
        for w in &existing.warnings {
            eprintln!("warning: {}: {w}", path.display());
        }
        if existing.header.run.config_hash != config.hash {
            return Err(SweepError::HashMismatch {
                path,
                config: args.config.display().to_string(),
                found: existing.header.run.config_hash,
                expected: config.hash.clone(),
            });
        }
        (ResultsWriter::append_to(&path)?, done_by_cell(&existing))
    } else {
        let run = RunInfo {
            config_path: args.config.display().to_string(),
            config_hash: config.hash.clone(),
            started_unix: now_unix(),
            command: command_line(args, false),
        };
        // Every opcode the planned cells need (their ops' and their styles'),
        // so the header says which of them this kernel has.
        let used: Vec<_> = cells
            .iter()
            .filter_map(|cell| cell.spec.needs().ok())
            .flatten()
            .filter_map(|n| match n {
                workloads::probe::Need::Opcode(code, name) => Some((code, name)),
                _ => None,
            })
            .unique()
            .collect();
        let mut header = header::build(&caps, run, caps.opcode_names(&used));
        header::calibrate_anchors(&mut header, &config.placement);
        (ResultsWriter::create(&path, &header)?, BTreeMap::new())
    };
    let mut sweeper = Sweeper {
        config: &config,
        writer,
        interrupt,
        observers: config.profile.then(Observers::load),
        written: 0,
    };
    // Every cell takes `repetitions` units of progress for its repetitions and
    // one for its profile pass (or its skip).
    let per_cell = u64::from(config.repetitions) + 1;
    let mut progress = Progress::new(cells.len() as u64 * per_cell);
    let empty = Done::default();
    let mut active = Vec::new();
    for cell in &cells {
        let done = done.get(&cell.name).unwrap_or(&empty);
        if done.complete(config.min_repetitions) {
            progress.advance(per_cell, &cell.name, "ok (already measured)");
            continue;
        }
        if let Err(reason) = cell.spec.needs().and_then(|n| caps.check_all(&n)) {
            sweeper.write(cell, Pass::Timing, 0, Status::Skipped, |r| {
                r.reason = Some(reason.clone())
            })?;
            progress.advance(per_cell, &cell.name, &format!("skipped: {reason}"));
            continue;
        }
        active.push(Active {
            cell,
            reps: done.ok_reps.iter().copied().collect(),
            iterations: None,
            spent: Duration::ZERO,
            medians: Vec::new(),
            profiled: done.profiled,
            ended: false,
        });
    }
    // Repetitions run in rounds over all cells, so that a slow drift of the
    // machine (frequency, host load, placement) spreads over every cell instead
    // of landing on the few measured while it lasted.
    let mut interrupted = false;
    'rounds: for rep in 0..config.repetitions {
        for a in active.iter_mut().filter(|a| !a.ended) {
            if interrupt.load(std::sync::atomic::Ordering::Relaxed) {
                interrupted = true;
                break 'rounds;
            }
            let spent_budget =
                a.reps.len() as u32 >= config.min_repetitions && a.spent > config.time_budget;
            if a.reps.contains(&rep) || spent_budget {
                progress.advance(1, &a.cell.name, "ok");
                continue;
            }
            progress.start_cell(&a.cell.name);
            match sweeper.visit(a, rep)? {
                Visit::Measured(ns) => {
                    progress.advance(1, &a.cell.name, &format!("ok {ns:.0} ns/step"))
                }
                Visit::Ended(reason) => {
                    progress.advance(per_cell - u64::from(rep), &a.cell.name, &reason)
                }
                Visit::Interrupted => {
                    interrupted = true;
                    progress.println(&format!("{}: interrupted", a.cell.name));
                    break 'rounds;
                }
            }
        }
    }
    if !interrupted {
        for a in active.iter_mut().filter(|a| !a.ended) {
            if interrupt.load(std::sync::atomic::Ordering::Relaxed) {
                interrupted = true;
                break;
            }
            progress.start_cell(&a.cell.name);
            let outcome = sweeper.finish(a)?;
            progress.advance(1, &a.cell.name, &outcome);
        }
    }
    progress.finish();
    Ok(SweepOutcome {
        results: path,
        interrupted,
        written: sweeper.written,
        lock,
    })
}
