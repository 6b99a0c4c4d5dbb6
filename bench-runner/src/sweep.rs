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
use reports::schema::{
    AnchorValue, CellRecord, Pass, Record, RunInfo, Status, Timing, ViolationRecord,
};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use workloads::anchors;
use workloads::cancel::Cancel;
use workloads::cell::{CellError, CellRun, Measurement};
use workloads::op::OPS;
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
    caps: &'a Capabilities,
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

    /// Runs one cell's missing repetitions; returns its one-line outcome.
    fn run_cell(&mut self, cell: &PlannedCell, done: &Done) -> Result<String, SweepError> {
        let needs = cell.spec.needs().and_then(|n| self.caps.check_all(&n));
        if let Err(reason) = needs {
            self.write(cell, Pass::Timing, 0, Status::Skipped, |r| {
                r.reason = Some(reason.clone())
            })?;
            return Ok(format!("skipped: {reason}"));
        }
        let cancel = Cancel::new();
        let mut run = match CellRun::start(&cell.spec, cancel) {
            Ok(run) => run,
            Err(e) => return self.write_error(cell, 0, &e),
        };
        let iterations = match self.warm_up(&mut run) {
            Ok(n) => n,
            Err(e) => return self.write_error(cell, 0, &e),
        };
        let started = Instant::now();
        let mut medians = Vec::new();
        let todo = (0..self.config.repetitions).filter(|r| !done.ok_reps.contains(r));
        for (ok_reps, rep) in (done.ok_reps.len() as u32..).zip(todo) {
            if ok_reps >= self.config.min_repetitions && started.elapsed() > self.config.time_budget
            {
                break;
            }
            let m = match run.run(iterations, self.config.watchdog, self.interrupt) {
                Ok(m) => m,
                Err(e) => return self.write_error(cell, rep, &e),
            };
            let timing = timing(&m);
            medians.push(timing.ns_per_step);
            self.write(cell, Pass::Timing, rep, Status::Ok, |r| {
                r.timing = Some(timing)
            })?;
        }
        drop(run);
        medians.sort_by(f64::total_cmp);
        let median = medians.get(medians.len() / 2).copied();
        if !done.profiled {
            self.profile(cell, iterations, median)?;
        }
        Ok(match median {
            Some(m) => format!("ok {m:.0} ns/step"),
            None => "ok (profile pass only)".into(),
        })
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
    let bytes = fs::read(&args.config).map_err(|source| SweepError::Io {
        path: args.config.clone(),
        source,
    })?;
    let hash = format!("{:x}", Sha256::digest(&bytes));
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
    let (writer, done) = if path.exists() {
        if !args.resume {
            return Err(SweepError::Exists(path));
        }
        let existing = Results::read(&path)?;
        for w in &existing.warnings {
            eprintln!("warning: {}: {w}", path.display());
        }
        if existing.header.run.config_hash != hash {
            return Err(SweepError::HashMismatch {
                path,
                config: args.config.display().to_string(),
                found: existing.header.run.config_hash,
                expected: hash,
            });
        }
        (ResultsWriter::append_to(&path)?, done_by_cell(&existing))
    } else {
        let run = RunInfo {
            config_path: args.config.display().to_string(),
            config_hash: hash,
            started_unix: now_unix(),
            command: command_line(args, false),
        };
        let used: Vec<_> = OPS
            .iter()
            .flat_map(|op| op.needs())
            .filter_map(|n| match n {
                workloads::probe::Need::Opcode(code, name) => Some((code, name)),
                _ => None,
            })
            .unique()
            .collect();
        let mut header = header::build(&caps, run, caps.opcode_names(&used));
        header.anchors = anchors::calibrate(anchors::DEFAULT_BUDGET)
            .into_iter()
            .map(|a| AnchorValue {
                name: a.name,
                ns: a.ns,
                samples: a.samples,
                unsupported: a.unsupported,
            })
            .collect();
        (ResultsWriter::create(&path, &header)?, BTreeMap::new())
    };
    let cells = plan(&config, args.filter.as_deref());
    let mut sweeper = Sweeper {
        config: &config,
        caps: &caps,
        writer,
        interrupt,
        observers: config.profile.then(Observers::load),
        written: 0,
    };
    let mut progress = Progress::new(cells.len() as u64);
    let mut interrupted = false;
    let empty = Done::default();
    for cell in &cells {
        if interrupt.load(std::sync::atomic::Ordering::Relaxed) {
            interrupted = true;
            break;
        }
        let done = done.get(&cell.name).unwrap_or(&empty);
        if done.complete(config.min_repetitions) {
            progress.finish_cell(&cell.name, "ok (already measured)");
            continue;
        }
        progress.start_cell(&cell.name);
        let outcome = sweeper.run_cell(cell, done)?;
        if outcome.starts_with("interrupted") {
            interrupted = true;
            progress.println(&format!("{}: interrupted", cell.name));
            break;
        }
        progress.finish_cell(&cell.name, &outcome);
    }
    progress.finish();
    Ok(SweepOutcome {
        results: path,
        interrupted,
        written: sweeper.written,
        lock,
    })
}
